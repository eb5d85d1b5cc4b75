//! The output's size: what downstream asks for (a caps filter), else the avatar picture's up to
//! `output-max-side`, with an info message when it is scaled. The avatar is scaled once, at load:
//! its face is found on the scaled picture and re-posed at the output's size.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use gst::prelude::*;
use gstfacereenact::avatar::{AlphaRequest, AvatarModel};
use gstfacereenact::output_size::SizeRule;
use image::RgbImage;

/// A phone-size portrait, 2400x3600 (the Mona Lisa, 720x1280, enlarged to 2400 wide and cut to
/// 3600 high around its middle), written once per test process as a JPEG.
fn big_avatar() -> PathBuf {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let small = image::open(shared_media("avatar/mona_lisa_720x1280.jpg"))
            .unwrap()
            .to_rgb8();
        let tall =
            image::imageops::resize(&small, 2400, 4267, image::imageops::FilterType::CatmullRom);
        let big = image::imageops::crop_imm(&tall, 0, 333, 2400, 3600).to_image();
        let path = std::env::temp_dir().join(format!("facereenact_big_{}.jpg", std::process::id()));
        big.save(&path).unwrap();
        path
    })
    .clone()
}

/// Runs `pipeline` (ending in `appsink name=sink`) to EOS; returns its RGB frames and the texts
/// of the info messages the element posted.
fn frames_and_infos(pipeline: &str) -> (Vec<Frame>, Vec<String>) {
    let infos = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = infos.clone();
    let frames = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = frames.clone();
    run_to_sink_with(
        pipeline,
        move |p| {
            // Infos are collected on the streaming threads, as they are posted.
            p.bus().unwrap().set_sync_handler(move |_, msg| {
                if let gst::MessageView::Info(i) = msg.view() {
                    seen.lock().unwrap().push(i.error().message().to_string());
                }
                gst::BusSyncReply::Pass
            });
        },
        600,
        move |sample| out.lock().unwrap().push(sample_to_frame(sample)),
    );
    let frames = std::mem::take(&mut *frames.lock().unwrap());
    let infos = std::mem::take(&mut *infos.lock().unwrap());
    (frames, infos)
}

/// The avatar as the element prepares it for an output of `size`: the picture scaled once, its
/// face found on it.
fn avatar_at(path: &Path, size: (u32, u32)) -> AvatarModel {
    init();
    let models = face_models();
    AvatarModel::load_sized(
        path,
        &mut models.tracker(),
        0,
        AlphaRequest::Opaque,
        SizeRule::Exact(size.0, size.1),
    )
    .unwrap()
}

/// Mean absolute difference of two pictures over the rectangle x0..x1, y0..y1, levels.
fn mean_diff(a: &RgbImage, b: &RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> f64 {
    mean_abs_diff(a, b, |x, y| (x0..x1).contains(&x) && (y0..y1).contains(&y))
}

/// A 2400x3600 avatar with `video/x-raw,width=640,height=360` after the element: every frame is
/// 640x360; the picture is fitted whole in the middle (240x360 at x = 200), the bands beside it
/// are the plain padding, and the face is re-posed (the output differs from the scaled picture
/// where the face is) in most of talk_wink's first 240 frames.
#[test]
fn a_caps_filter_asking_a_size_gets_that_size_with_the_face_reposed() {
    let big = big_avatar();
    let (frames, infos) = frames_and_infos(&format!(
        "filesrc location=\"{}\" ! decodebin ! identity eos-after=240 ! videoconvert ! \
         video/x-raw,format=RGB ! facereenact avatar=\"{}\" ! video/x-raw,format=RGB,width=640,height=360 ! appsink name=sink",
        shared_media("driving/talk_wink_480.mp4").display(),
        big.display()
    ));
    assert!(frames.len() >= 230, "{} frames", frames.len());
    assert!(frames
        .iter()
        .all(|f| f.image.dimensions() == (640, 360) && f.par == 1.0));
    assert!(
        infos
            .iter()
            .any(|i| i.contains("2400x3600") && i.contains("640x360")),
        "an info says the picture was scaled: {infos:?}"
    );
    let avatar = avatar_at(&big, (640, 360));
    // The face box, from the landmarks found on the scaled picture.
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in &avatar.landmarks.points[..468] {
        (x0, y0, x1, y1) = (x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1]));
    }
    println!("avatar face at {x0:.0},{y0:.0} .. {x1:.0},{y1:.0} of 640x360");
    assert!(
        x0 > 200.0 && x1 < 440.0 && x1 - x0 > 20.0,
        "the face lies in the fitted picture"
    );
    let face = (x0 as u32, y0 as u32, x1 as u32, y1 as u32);
    let reposed = frames
        .iter()
        .filter(|f| mean_diff(&f.image, &avatar.image, face) > 2.0)
        .count();
    // Outside the head, the output is the scaled picture, padding included.
    let bands = frames
        .iter()
        .filter(|f| {
            mean_diff(&f.image, &avatar.image, (0, 0, 190, 360)) < 0.5
                && mean_diff(&f.image, &avatar.image, (450, 0, 640, 360)) < 0.5
        })
        .count();
    println!(
        "{} frames: {reposed} differ from the scaled picture on the face, {bands} equal it in the bands",
        frames.len()
    );
    assert!(
        reposed * 10 >= frames.len() * 8,
        "{reposed} of {} re-posed",
        frames.len()
    );
    assert_eq!(bands, frames.len());
    // The padding is plain: the bands are one colour each, the picture's edge colour.
    let f = &frames[0].image;
    assert_eq!(f.get_pixel(0, 0), f.get_pixel(150, 359));
    assert_eq!(f.get_pixel(639, 0), f.get_pixel(500, 200));
}

/// The same picture with nothing downstream asking a size: the output is capped at 1920 on its
/// long side (1280x1920), or at `output-max-side`, with an info message naming the picture's
/// size, the output's and how to change it; `output-max-side=0` keeps the picture's size.
#[test]
fn an_unconstrained_big_avatar_is_capped_on_its_long_side_with_an_info_message() {
    let big = big_avatar();
    for (extra, size) in [
        ("", (1280, 1920)),
        ("output-max-side=900", (600, 900)),
        ("output-max-side=0", (2400, 3600)),
    ] {
        let (frames, infos) = frames_and_infos(&format!(
            "videotestsrc num-buffers=3 ! video/x-raw,format=RGB,width=320,height=240 ! \
             facereenact avatar=\"{}\" {extra} ! appsink name=sink",
            big.display()
        ));
        assert_eq!(frames.len(), 3);
        for f in &frames {
            assert_eq!(f.image.dimensions(), size, "{extra}");
        }
        let said: Vec<&String> = infos.iter().filter(|i| i.contains("2400x3600")).collect();
        println!("{extra}: {said:?}");
        if size == (2400, 3600) {
            assert!(said.is_empty(), "{said:?}");
        } else {
            assert_eq!(said.len(), 1, "{infos:?}");
            let text = said[0];
            assert!(
                text.contains(&format!("{}x{}", size.0, size.1))
                    && text.contains("output-max-side")
                    && text.contains("caps filter"),
                "{text}"
            );
        }
    }
}

/// Only a width asked (or only a height): the other side keeps the picture's aspect ratio
/// (2400x3600 is 2:3), rounded to even.
#[test]
fn a_width_or_a_height_alone_keeps_the_aspect_ratio() {
    let big = big_avatar();
    for (caps, size) in [("width=640", (640, 960)), ("height=500", (334, 500))] {
        let (frames, _) = frames_and_infos(&format!(
            "videotestsrc num-buffers=2 ! video/x-raw,format=RGB,width=320,height=240 ! \
             facereenact avatar=\"{}\" ! video/x-raw,{caps} ! appsink name=sink",
            big.display()
        ));
        assert_eq!(frames.len(), 2);
        assert!(
            frames.iter().all(|f| f.image.dimensions() == size),
            "{caps}: {:?}",
            frames[0].image.dimensions()
        );
    }
}

/// Downstream fixes the size and the avatar changes while playing to a picture of another size:
/// the output keeps the size asked for and shows the new picture fitted into it (no black
/// border, no old avatar).
#[test]
fn an_avatar_change_under_a_fixed_output_size_fits_the_new_picture_to_it() {
    let mut h = reenact_harness(
        &shared_media("avatar/astronaut_512.png"),
        &[],
        "width=320,height=240,framerate=30/1",
    );
    h.set_sink_caps_str("video/x-raw,format=RGBx,width=300,height=200");
    let grey = |i: u64| {
        let mut buffer = gst::Buffer::from_mut_slice(vec![128u8; 320 * 240 * 4]);
        buffer
            .get_mut()
            .unwrap()
            .set_pts(gst::ClockTime::from_mseconds(i * 33));
        buffer
    };
    h.push(grey(0)).unwrap();
    let out = h.pull().unwrap();
    let caps = h.sinkpad().unwrap().current_caps().unwrap();
    let astronaut = avatar_at(&shared_media("avatar/astronaut_512.png"), (300, 200));
    assert_eq!(rgbx_image(&out, &caps), astronaut.image);
    let other = shared_media("avatar/glasses_beard_400.jpg");
    h.element()
        .unwrap()
        .set_property("avatar", other.to_str().unwrap());
    let glasses = avatar_at(&other, (300, 200));
    let mut last = None;
    for i in 1..4 {
        h.push(grey(i)).unwrap();
        let out = h.pull().unwrap();
        let caps = h.sinkpad().unwrap().current_caps().unwrap();
        last = Some(rgbx_image(&out, &caps));
    }
    let last = last.unwrap();
    assert_eq!(last.dimensions(), (300, 200));
    assert!(
        last == glasses.image,
        "no face in, the new avatar fitted to 300x200 out"
    );
}

/// A size too large to hold, or too small for the face to be found, stops at once with an error
/// that names the size and the fix (a fresh-eyes run found 20000x20000 scaling for minutes in
/// silence, and 24x24 blamed the picture for having no face).
#[test]
fn an_output_size_too_large_or_too_small_fails_naming_the_size() {
    init();
    let avatar = shared_media("avatar/astronaut_512.png");
    let actor = shared_media("driving/grin_512.mp4");
    let launch = |w: u32, h: u32| {
        format!(
            "filesrc location=\"{}\" ! decodebin ! videoconvert ! facereenact avatar=\"{}\" ! \
             video/x-raw,width={w},height={h} ! fakesink",
            actor.display(),
            avatar.display()
        )
    };
    // Refused before scaling anything (scaling to that size took minutes): an error at all
    // within first_error's 60 s.
    let (err, _) = first_error(&launch(20000, 20000));
    assert!(
        err.matches(gst::CoreError::Negotiation) && err.message().contains("20000x20000"),
        "{err}"
    );
    let (err, _) = first_error(&launch(24, 24));
    assert!(
        err.matches(gst::StreamError::Format)
            && err.message().contains("24x24")
            && err.message().contains("larger output"),
        "{err}"
    );
}
