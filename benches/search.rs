//! Far faces benchmark (issue 13): the whole element's cost per frame on 1280x720, 1920x1080
//! and 3840x2160 I420 actor frames held in memory (decoding excluded), while it tracks a face
//! 72 pixels wide and while it searches a frame without a face, at the default search budget
//! and with no bound (a whole sweep in every frame).
//!
//!     cargo bench --bench search          (after scripts/setup.sh)
//!
//! Actor: tests/media/driving/talk_wink_480.mp4 scaled so that the face is 72 pixels wide,
//! placed off-centre over tests/media/avatar/no_face_coffee.png stretched over the frame.
//! Avatar: tests/media/avatar/astronaut_512.png. Not a test: it prints a table (median, 99th
//! percentile and worst frame, milliseconds) and asserts nothing about speed.

use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

use image::{imageops, RgbImage};

/// Frames of each kind per actor size (cycled over the passes).
const FRAMES: usize = 30;
/// Passes over the frames per timing.
const ROUNDS: usize = 4;

/// `img` as an I420 buffer (through videoconvert), with the given caps size.
fn to_i420(convert: &mut gst_check::Harness, img: &RgbImage) -> gst::Buffer {
    convert
        .push(common::rgbx_buffer(img, None, None))
        .expect("push");
    convert.pull().expect("converted")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Milliseconds per frame of `h` on `buffers`, ROUNDS passes: (median, 99th percentile, worst).
fn time_frames(
    h: &mut gst_check::Harness,
    buffers: &[gst::Buffer],
    frame: &mut u64,
) -> (f64, f64, f64) {
    let mut ms = Vec::with_capacity(buffers.len() * ROUNDS);
    for _ in 0..ROUNDS {
        for b in buffers {
            let mut b = b.copy();
            {
                let b = b.make_mut();
                b.set_pts(gst::ClockTime::from_mseconds(*frame * 33));
                b.set_duration(gst::ClockTime::from_mseconds(33));
            }
            *frame += 1;
            let t = Instant::now();
            h.push(b).unwrap();
            std::hint::black_box(h.pull().unwrap());
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    ms.sort_by(f64::total_cmp);
    (
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        *ms.last().unwrap(),
    )
}

fn main() {
    common::init();
    let talk = common::decode_scaled(
        &common::shared_media("driving/talk_wink_480.mp4"),
        480,
        480,
        FRAMES,
    );
    let cup = image::open(common::shared_media("avatar/no_face_coffee.png"))
        .unwrap()
        .to_rgb8();
    let avatar = common::shared_media("avatar/astronaut_512.png");
    // talk_wink's face is 232 pixels wide in its 480x480 frame (cheek to cheek).
    let side = (480.0 * 72.0 / 232.0) as u32;
    println!("| actor | state | search-budget | median ms | 99th % ms | worst ms |");
    println!("|---|---|---|---|---|---|");
    for (w, h) in [(1280u32, 720u32), (1920, 1080), (3840, 2160)] {
        let back = imageops::resize(&cup, w, h, imageops::FilterType::Triangle);
        let caps = format!("video/x-raw,format=I420,width={w},height={h},framerate=30/1");
        let mut convert = gst_check::Harness::new("videoconvert");
        convert.set_src_caps_str(&format!(
            "video/x-raw,format=RGBx,width={w},height={h},framerate=30/1"
        ));
        convert.set_sink_caps_str(&caps);
        let with_face: Vec<gst::Buffer> = talk
            .iter()
            .map(|f| {
                let small = imageops::resize(&f.image, side, side, imageops::FilterType::Triangle);
                let mut img = back.clone();
                imageops::replace(
                    &mut img,
                    &small,
                    (w as f32 * 0.62) as i64,
                    (h as f32 * 0.35) as i64,
                );
                to_i420(&mut convert, &img)
            })
            .collect();
        let empty = vec![to_i420(&mut convert, &back); FRAMES];
        for budget in [4u32, 0] {
            let mut harness = gst_check::Harness::new_parse(&format!(
                "facereenact avatar=\"{}\" search-budget={budget}",
                avatar.display()
            ));
            harness.set_src_caps_str(&caps);
            harness.play();
            let mut frame = 0;
            // Until the face is found, then tracking.
            for b in &with_face {
                harness.push(b.clone()).unwrap();
                harness.pull().unwrap();
            }
            let (med, p99, worst) = time_frames(&mut harness, &with_face, &mut frame);
            println!(
                "| {w}x{h} | tracking a 72 px face | {budget} | {med:.2} | {p99:.2} | {worst:.2} |"
            );
            let (med, p99, worst) = time_frames(&mut harness, &empty, &mut frame);
            println!(
                "| {w}x{h} | searching (no face) | {budget} | {med:.2} | {p99:.2} | {worst:.2} |"
            );
        }
    }
}
