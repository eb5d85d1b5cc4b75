//! Throughput benchmark (issue 4): whole-element cost per frame on decoded frames held in memory
//! (decoding excluded), next to the bare landmark inference measured in the same run, for
//! 512x512 and 1280x720 actors and 512x512, 1024x1024 and 2048-pixel avatars; 1 vs 2 inference
//! and render threads;
//! resident memory of one instance and of a second one; then a soak printing RSS over time.
//!
//!     cargo bench --bench throughput                 (after scripts/setup.sh)
//!     SOAK_SECONDS=60 cargo bench --bench throughput (shorter soak; 0 skips it; default 600)
//!
//! Actor: tests/media/driving/grin_512.mp4 (512x512), and the same frames pillarboxed into
//! 1280x720. Avatars: tests/media/avatar/astronaut_512.png, the same picture scaled to
//! 1024x1024, and tests/media/avatar/bw_photo_2048.jpg. Render threads 0 is the default (by
//! the head region's size). Not a test: it prints a table and asserts nothing about speed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use gstfacereenact::face::Landmarker;
use gstfacereenact::models::{default_models_dir, FaceModels};
use gstfacereenact::runtime::{run_rgb_square, ExecutionProvider};

/// Passes over the clip per timing.
const ROUNDS: usize = 4;

/// Resident set size and its peak, KiB.
fn memory_kib() -> (u64, u64) {
    (common::status_kib("VmRSS:"), common::status_kib("VmHWM:"))
}

/// Decoded raw buffers and their caps: `filesrc ! decodebin ! <convert> ! appsink`.
fn decode_raw(path: &Path, convert: &str) -> (Vec<gst::Buffer>, gst::Caps) {
    let decoded = std::sync::Arc::new(std::sync::Mutex::new((Vec::new(), None)));
    let out = decoded.clone();
    common::run_to_sink(
        &format!(
            "filesrc location=\"{}\" ! decodebin ! {convert} ! appsink name=sink",
            path.display()
        ),
        move |sample| {
            let mut out = out.lock().unwrap();
            out.1
                .get_or_insert_with(|| sample.caps().unwrap().to_owned());
            out.0.push(sample.buffer_owned().unwrap());
        },
    );
    let (buffers, caps) = std::mem::take(&mut *decoded.lock().unwrap());
    (buffers, caps.expect("decoded frames"))
}

/// A harness around `launch` (a `facereenact` description, optionally with elements in front),
/// with `caps` on its source; warmed up on the first frames.
fn harness(launch: &str, caps: &gst::Caps, buffers: &[gst::Buffer]) -> gst_check::Harness {
    let mut h = gst_check::Harness::new_parse(launch);
    h.set_src_caps(caps.clone());
    h.play();
    for b in buffers.iter().take(10) {
        h.push(b.clone()).unwrap();
        h.pull().unwrap();
    }
    h
}

/// Milliseconds per frame of `h` over `ROUNDS` passes of `buffers` (timestamps rewritten so that
/// they keep increasing across passes).
fn element_ms(h: &mut gst_check::Harness, buffers: &[gst::Buffer], start: &mut u64) -> f64 {
    let n = buffers.len() * ROUNDS;
    let t = Instant::now();
    for _ in 0..ROUNDS {
        for b in buffers {
            let mut b = b.copy();
            {
                let b = b.make_mut();
                b.set_pts(gst::ClockTime::from_mseconds(*start * 40));
                b.set_duration(gst::ClockTime::from_mseconds(40));
            }
            *start += 1;
            h.push(b).unwrap();
            std::hint::black_box(h.pull().unwrap());
        }
    }
    t.elapsed().as_secs_f64() * 1e3 / n as f64
}

/// The floor: the landmarker on the same frames (crop + inference, crops from tracked landmarks),
/// and the bare ONNX Runtime session run on the same frames' 192x192 crops, milliseconds per frame.
fn landmark_floor(models: &FaceModels, frames: &[common::Frame]) -> (f64, f64) {
    let mut tracker = models.tracker();
    let rois: Vec<_> = frames
        .iter()
        .map(|f| {
            tracker
                .track(&f.image, f.par)
                .unwrap()
                .expect("face")
                .tracking_roi()
        })
        .collect();
    let mut landmarker = Landmarker::new(models.landmarker.session.clone());
    let n = frames.len() * ROUNDS;
    let t = Instant::now();
    for _ in 0..ROUNDS {
        for (f, roi) in frames.iter().zip(&rois) {
            std::hint::black_box(landmarker.landmarks(&f.image, f.par, roi).unwrap());
        }
    }
    let with_crop = t.elapsed().as_secs_f64() * 1e3 / n as f64;
    // The bare run gets the real crops, cut beforehand: the cost of an inference depends on the
    // picture (a constant input ran about 40 % faster with the original PRelu models).
    let crops: Vec<Vec<f32>> = frames
        .iter()
        .zip(&rois)
        .map(|(f, roi)| {
            let mut c = vec![0.0f32; 192 * 192 * 3];
            roi.crop_into(&f.image, f.par, 192, 0.0, 1.0, &mut c);
            c
        })
        .collect();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let t = Instant::now();
    for _ in 0..ROUNDS {
        for input in &crops {
            run_rgb_square(&models.landmarker.session, input, 192, &mut a, &mut b).unwrap();
        }
    }
    (with_crop, t.elapsed().as_secs_f64() * 1e3 / n as f64)
}

fn main() {
    common::init();
    let actor = common::shared_media("driving/grin_512.mp4");
    let avatar_512 = common::shared_media("avatar/astronaut_512.png");
    let avatar_2048 = common::shared_media("avatar/bw_photo_2048.jpg");
    let avatar_1024: PathBuf = std::env::temp_dir().join("facereenact-bench-astronaut-1024.png");
    image::open(&avatar_512)
        .unwrap()
        .resize_exact(1024, 1024, image::imageops::FilterType::Lanczos3)
        .save(&avatar_1024)
        .unwrap();

    let rgbx_512 = decode_raw(&actor, "videoconvert ! video/x-raw,format=RGBx");
    let pillarbox = "videoscale add-borders=true ! video/x-raw,width=1280,height=720,pixel-aspect-ratio=1/1 ! videoconvert";
    let rgbx_720 = decode_raw(&actor, &format!("{pillarbox} ! video/x-raw,format=RGBx"));
    let i420_720 = decode_raw(&actor, &format!("{pillarbox} ! video/x-raw,format=I420"));
    let nv12_720 = decode_raw(&actor, &format!("{pillarbox} ! video/x-raw,format=NV12"));
    let i420_512 = decode_raw(&actor, "videoconvert ! video/x-raw,format=I420");
    let frames_512 = common::decode(&actor);

    let models = FaceModels::load(&default_models_dir(), ExecutionProvider::Cpu, 1)
        .expect("models (run scripts/setup.sh)");
    let (floor_crop, floor_run) = landmark_floor(&models, &frames_512);
    println!(
        "floor: landmarker {floor_crop:.2} ms/frame (crop + inference), bare session run {floor_run:.2} ms ({} frames x {ROUNDS})",
        frames_512.len()
    );
    let mut pts = 0u64;
    // Memory: one instance, then a second one in the same process (sessions are shared).
    let (before, _) = memory_kib();
    let mut first = harness(
        &format!("facereenact avatar=\"{}\"", avatar_512.display()),
        &rgbx_512.1,
        &rgbx_512.0,
    );
    element_ms(&mut first, &rgbx_512.0, &mut pts);
    let (one, _) = memory_kib();
    let mut second = harness(
        &format!("facereenact avatar=\"{}\"", avatar_512.display()),
        &rgbx_512.1,
        &rgbx_512.0,
    );
    element_ms(&mut second, &rgbx_512.0, &mut pts);
    let (two, peak) = memory_kib();
    println!(
        "memory: RSS {:.1} MB with the decoded frames and the models loaded, +{:.1} MB with the first instance, +{:.1} MB with a second one; peak {:.1} MB",
        before as f64 / 1024.0,
        (one as f64 - before as f64) / 1024.0,
        (two as f64 - one as f64) / 1024.0,
        peak as f64 / 1024.0
    );

    drop(second);
    println!();
    println!("| actor | input | avatar | inference threads | render threads | element ms/frame | frames/s | / landmarker (crop + run) | / bare run |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut row = |actor: &str,
                   input: &str,
                   avatar: &Path,
                   (threads, render): (u32, u32),
                   (buffers, caps): &(Vec<gst::Buffer>, gst::Caps)| {
        let mut h = harness(
            &format!(
                // output-max-side=0: the 2048-pixel avatar at its own size, as the row says.
                "facereenact avatar=\"{}\" output-max-side=0 inference-threads={threads} render-threads={render}",
                avatar.display()
            ),
            caps,
            buffers,
        );
        let ms = element_ms(&mut h, buffers, &mut pts);
        let (w, hh) = image::image_dimensions(avatar).unwrap();
        println!(
            "| {actor} | {input} | {w}x{hh} | {threads} | {render} | {ms:.2} | {:.0} | {:.2}x | {:.2}x |",
            1e3 / ms,
            ms / floor_crop,
            ms / floor_run
        );
    };
    // Render threads: 0 is the default (by the head region's size).
    row("512x512", "RGBx", &avatar_512, (1, 0), &rgbx_512);
    row("512x512", "RGBx", &avatar_512, (2, 0), &rgbx_512);
    row("512x512", "RGBx", &avatar_512, (1, 2), &rgbx_512);
    row("512x512", "RGBx", &avatar_1024, (1, 0), &rgbx_512);
    row("512x512", "RGBx", &avatar_1024, (1, 2), &rgbx_512);
    row("512x512", "RGBx", &avatar_2048, (1, 1), &rgbx_512);
    row("512x512", "RGBx", &avatar_2048, (1, 0), &rgbx_512);
    row("512x512", "I420", &avatar_512, (1, 0), &i420_512);
    row("1280x720", "RGBx", &avatar_512, (1, 0), &rgbx_720);
    row("1280x720", "I420", &avatar_512, (1, 0), &i420_720);
    row("1280x720", "NV12", &avatar_512, (1, 0), &nv12_720);

    let soak = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600u64);
    if soak == 0 {
        return;
    }
    println!();
    println!(
        "soak: {soak} s of 512x512 frames through one instance, RSS every {} s",
        (soak / 10).max(1)
    );
    let t = Instant::now();
    let step = Duration::from_secs((soak / 10).max(1));
    let mut next = step;
    let (start_rss, _) = memory_kib();
    let mut frames = 0u64;
    println!("| t (s) | frames | RSS (MB) |");
    println!("|---|---|---|");
    println!("| 0 | 0 | {:.1} |", start_rss as f64 / 1024.0);
    while t.elapsed() < Duration::from_secs(soak) {
        for b in &rgbx_512.0 {
            let mut b = b.copy();
            b.make_mut()
                .set_pts(gst::ClockTime::from_mseconds(pts * 40));
            pts += 1;
            first.push(b).unwrap();
            std::hint::black_box(first.pull().unwrap());
            frames += 1;
        }
        if t.elapsed() >= next {
            println!(
                "| {} | {frames} | {:.1} |",
                next.as_secs(),
                memory_kib().0 as f64 / 1024.0
            );
            next += step;
        }
    }
    let (end_rss, _) = memory_kib();
    println!(
        "soak: RSS growth {:+.1} MB over {frames} frames",
        (end_rss as f64 - start_rss as f64) / 1024.0
    );
}
