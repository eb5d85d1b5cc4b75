//! The LivePortrait engine in the element (`engine=liveportrait engine-models-dir=<model set folder>`), with the tiny
//! random-weight set of `tests/data/liveportrait/tiny/` (its pictures are noise-like, not faces):
//! what is pasted where, one output per input, a wrong set refused at start, the CPU warning.

mod common;

use std::path::{Path, PathBuf};

use common::{init, root, run_to_sink_with, sample_to_frame, shared_media, Frame};
use gst::prelude::*;
use gstfacereenact::avatar::{AlphaRequest, AvatarModel};
use gstfacereenact::neural::crop::{crop_transform, SOURCE_CROP};
use gstfacereenact::neural::paste_back::feather;

fn tiny_set() -> PathBuf {
    root().join("tests/data/liveportrait/tiny")
}

/// Runs `launch` (ending in `appsink name=sink`, with `facereenact name=fr`) to EOS: the frames,
/// the warnings posted and the number of buffers facereenact received.
fn run(launch: &str) -> (Vec<Frame>, Vec<String>, u64) {
    let received = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let count = received.clone();
    let frames = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = frames.clone();
    let warnings = run_to_sink_with(
        launch,
        move |pipeline| {
            pipeline
                .by_name("fr")
                .unwrap()
                .static_pad("sink")
                .unwrap()
                .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    gst::PadProbeReturn::Ok
                });
        },
        600,
        move |sample| out.lock().unwrap().push(sample_to_frame(sample)),
    );
    let frames = std::mem::take(&mut *frames.lock().unwrap());
    let received = received.load(std::sync::atomic::Ordering::SeqCst);
    (frames, warnings, received)
}

/// `frames` frames of the talking clip, two a second (so that they differ), through the element.
fn driving_launch(engine: &Path, avatar: &Path, frames: u32) -> String {
    driving_launch_on(engine, avatar, frames, "cpu")
}

/// [`driving_launch`] with `execution-provider=provider`.
fn driving_launch_on(engine: &Path, avatar: &Path, frames: u32, provider: &str) -> String {
    format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! videorate drop-only=true ! \
         video/x-raw,format=RGB,framerate=2/1 ! identity eos-after={frames} ! \
         facereenact name=fr engine=liveportrait engine-models-dir=\"{}\" execution-provider={provider} avatar=\"{}\" ! \
         videoconvert ! video/x-raw,format=RGB ! appsink name=sink",
        shared_media("driving/talk_wink_480.mp4").display(),
        engine.display(),
        avatar.display()
    )
}

#[test]
fn the_output_is_the_avatar_with_the_animated_crop_pasted_in() {
    let avatar_path = shared_media("avatar/astronaut_512.png");
    let (frames, warnings, received) = run(&driving_launch(&tiny_set(), &avatar_path, 9));
    assert!(frames.len() >= 6, "{} frames", frames.len());
    assert_eq!(frames.len() as u64, received, "one output per input");
    // The CPU warning, once.
    let cpu: Vec<_> = warnings
        .iter()
        .filter(|w| w.contains("LivePortrait engine runs on the CPU"))
        .collect();
    assert_eq!(cpu.len(), 1, "{warnings:?}");
    assert!(cpu[0].contains("execution-provider=cuda"), "{cpu:?}");

    // Where the avatar crop lies, from the landmarks the element finds at load.
    let mut tracker = common::tracker();
    let avatar =
        AvatarModel::load_with_alpha(&avatar_path, &mut tracker, 0, AlphaRequest::Opaque).unwrap();
    let o2c = crop_transform(&avatar.landmarks.points, 256.0, &SOURCE_CROP)
        .unwrap()
        .then_scale(2.0);
    let picture = &avatar.image;
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.image.dimensions(), picture.dimensions(), "frame {i}");
        let (mut inside, mut changed_inside, mut outside) = (0u64, 0u64, 0u64);
        for (x, y, p) in f.image.enumerate_pixels() {
            let c = o2c.apply([x as f32 + 0.5, y as f32 + 0.5]);
            let a = picture.get_pixel(x, y);
            if c.iter().any(|&v| !(-2.0..=514.0).contains(&v)) {
                // Far from the face: the avatar picture exactly (RGB through the element).
                assert_eq!(p, a, "frame {i} ({x}, {y}) outside the pasted square");
                outside += 1;
            } else if feather(c, 512.0) == 1.0 {
                inside += 1;
                changed_inside += u64::from(p != a);
            }
        }
        assert!(
            outside > 10_000,
            "frame {i}: the square covers the picture ({outside})"
        );
        assert!(
            changed_inside * 2 > inside,
            "frame {i}: {changed_inside} of {inside} pixels inside the pasted face differ"
        );
    }
    // Different driving frames, different outputs.
    let differing = frames[0]
        .image
        .pixels()
        .zip(frames[frames.len() - 1].image.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        differing > 1000,
        "first and last outputs differ in {differing} pixels"
    );
}

#[test]
fn a_model_set_with_a_file_missing_fails_start_naming_it() {
    let dir = common::tempdir().join("lp-missing");
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(tiny_set()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "onnx") && !p.ends_with("warping_spade.onnx") {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    init();
    let (err, _) = common::first_error(&driving_launch(
        &dir,
        &shared_media("avatar/astronaut_512.png"),
        2,
    ));
    let msg = err.message().to_string();
    assert!(err.matches(gst::ResourceError::OpenRead), "{err:?}: {msg}");
    assert!(
        msg.contains("warping_spade.onnx") && msg.contains("missing"),
        "{msg}"
    );
    assert!(
        !msg.contains("stitching.onnx:"),
        "only the missing file is named: {msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// FasterLivePortrait's release declares an opset below 20 around 5-D GridSample: a GPU provider
/// fails on it at the first frame. Asked for, the element refuses it when it starts, saying why
/// and how to convert it (decided from the file, so it shows without a GPU).
#[test]
fn a_set_declared_at_opset_16_is_refused_at_start_on_a_gpu_provider_naming_the_converter() {
    let set = common::tiny_set_at_opset_16("lp-opset16-element");
    init();
    for provider in ["cuda", "tensorrt"] {
        let (err, _) = common::first_error(&driving_launch_on(
            &set,
            &shared_media("avatar/astronaut_512.png"),
            2,
            provider,
        ));
        let msg = err.message().to_string();
        println!("{provider}: {msg}");
        let file = set.join("warping_spade.onnx").display().to_string();
        for part in [
            file.as_str(),
            "opset 16",
            "5-D",
            "tools/liveportrait/convert_set.sh",
        ] {
            assert!(
                msg.contains(part),
                "{provider}: {part:?} missing from: {msg}"
            );
        }
        // The set is refused for what it is, not for the missing GPU.
        assert!(!msg.contains("could not be registered"), "{msg}");
    }
    std::fs::remove_dir_all(&set).unwrap();
}

/// On the CPU the same set runs, with a warning that a GPU would refuse it.
#[test]
fn a_set_declared_at_opset_16_runs_on_the_cpu_with_a_warning() {
    let set = common::tiny_set_at_opset_16("lp-opset16-cpu");
    init();
    let (frames, warnings, received) = run(&driving_launch(
        &set,
        &shared_media("avatar/astronaut_512.png"),
        2,
    ));
    assert_eq!(frames.len() as u64, received);
    assert!(
        warnings.iter().any(|w| w.contains("opset 16")
            && w.contains("a GPU provider would refuse it")
            && w.contains("convert_set.sh")),
        "{warnings:?}"
    );
    std::fs::remove_dir_all(&set).unwrap();
}

#[test]
fn an_engine_folder_that_is_not_there_is_not_found_naming_it() {
    init();
    let (err, _) = common::first_error(&driving_launch(
        Path::new("/nonexistent/liveportrait_onnx"),
        &shared_media("avatar/astronaut_512.png"),
        2,
    ));
    let msg = err.message().to_string();
    // The same error as a missing avatar file.
    assert!(err.matches(gst::ResourceError::NotFound), "{err:?}: {msg}");
    assert!(
        msg.contains("/nonexistent/liveportrait_onnx does not exist"),
        "{msg}"
    );
}

/// `engine=<folder>`, the form before `engine-models-dir`, still runs the LivePortrait engine,
/// with a warning that says what to write instead.
#[test]
fn the_folder_form_of_engine_still_works_with_a_deprecation_warning() {
    init();
    let launch = driving_launch(&tiny_set(), &shared_media("avatar/astronaut_512.png"), 3)
        .replace("engine=liveportrait engine-models-dir=", "engine=");
    assert!(launch.contains(&format!("engine=\"{}\"", tiny_set().display())));
    let (frames, warnings, received) = run(&launch);
    assert_eq!(frames.len() as u64, received, "one output per input");
    assert!(received >= 1, "{received} frames");
    let expected = format!(
        "set engine=liveportrait engine-models-dir={}",
        tiny_set().display()
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("deprecated") && w.contains(&expected)),
        "{warnings:?}"
    );
    // The LivePortrait engine ran: its CPU warning is there.
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("LivePortrait engine runs on the CPU")),
        "{warnings:?}"
    );
}

#[test]
fn an_unknown_engine_or_a_liveportrait_engine_without_its_set_fails_start_saying_what_to_set() {
    init();
    let avatar = shared_media("avatar/astronaut_512.png");
    let base = driving_launch(&tiny_set(), &avatar, 2);
    let models = format!("engine-models-dir=\"{}\"", tiny_set().display());
    for (launch, expected) in [
        (
            base.replace("engine=liveportrait", "engine=livportrait"),
            "set engine to mesh or liveportrait",
        ),
        (
            base.replace(&models, ""),
            "engine=liveportrait needs its model set: set engine-models-dir",
        ),
    ] {
        let (err, _) = common::first_error(&launch);
        let msg = err.message().to_string();
        assert!(err.matches(gst::LibraryError::Settings), "{err:?}: {msg}");
        assert!(msg.contains(expected), "{expected:?} missing from: {msg}");
    }
}

#[test]
fn without_a_face_the_output_holds_then_eases_to_the_avatar_picture_and_back() {
    let avatar_path = shared_media("avatar/astronaut_512.png");
    let tiny = tiny_set();
    let mut h = common::reenact_harness(
        &avatar_path,
        &[
            ("engine", "liveportrait"),
            ("engine-models-dir", tiny.to_str().unwrap()),
            ("execution-provider", "cpu"),
            ("hold-time", "0.2"),
        ],
        "width=480,height=480,framerate=30/1",
    );
    let picture = image::open(&avatar_path).unwrap().to_rgb8();
    let grey = image::RgbImage::from_pixel(480, 480, image::Rgb([128, 128, 128]));
    let actor = common::decode_scaled(&shared_media("driving/talk_wink_480.mp4"), 480, 480, 1);
    let at = |ms: u64| Some(gst::ClockTime::from_mseconds(ms));
    let frame = at(33);
    // No face yet: the avatar picture.
    let first = common::push_pull(&mut h, &grey, at(0), frame);
    assert!(first.image == picture, "no face yet: the avatar picture");
    // A face: the animated crop fades in over 6 frames from the picture shown, then is pasted
    // whole.
    let fade_in: Vec<f64> = (0..7)
        .map(|k| {
            let out = common::push_pull(&mut h, &actor[0].image, at(33 + 33 * k), frame);
            common::mean_abs_diff(&out.image, &picture, |_, _| true)
        })
        .collect();
    let full = fade_in[6];
    assert!(full > 1.0, "the rendering differs from the picture: {full}");
    assert!(
        fade_in[0] > 0.0 && fade_in[0] < 0.5 * full && fade_in[5] > 0.9 * full,
        "a fade in from the picture: {fade_in:?}"
    );
    let driven = common::push_pull(&mut h, &actor[0].image, at(260), frame);
    // The face is gone: the last output is held for hold-time (0.2 s of frames from the first
    // frame without it)...
    for ms in [300, 400, 499] {
        let held = common::push_pull(&mut h, &grey, at(ms), frame);
        assert!(
            held.image == driven.image,
            "{ms} ms: the last output is held"
        );
    }
    // ...then eases towards rest: a new rendering, not yet faded (the fade is the second half
    // of the 1 s ease)...
    let easing = common::push_pull(&mut h, &grey, at(800), frame);
    assert!(easing.image != driven.image, "easing: rendered again");
    let part = common::mean_abs_diff(&easing.image, &picture, |_, _| true);
    assert!(part > 0.2 * full, "not faded yet: {part} against {full}");
    // ...and is the avatar picture exactly once the ease is over.
    // (The ease ends hold-time plus 1 s after the face was lost: at 1.5 s.)
    let rest = common::push_pull(&mut h, &grey, at(1550), frame);
    assert!(rest.image == picture, "at rest: the avatar picture");
    // The face is back: the rendering fades in over a few frames, not at once.
    let back = common::push_pull(&mut h, &actor[0].image, at(1600), frame);
    let fading_in = common::mean_abs_diff(&back.image, &picture, |_, _| true);
    assert!(
        fading_in > 0.0 && fading_in < 0.5 * full,
        "the first frame back is mostly the picture: {fading_in} against {full}"
    );
}

/// Runs `launch` (from [`driving_launch`]) with `alpha` set on the element and RGBA out: each
/// frame's width and alpha bytes, row-major.
fn run_alphas(launch: &str, alpha: &str) -> Vec<(usize, Vec<u8>)> {
    let launch = launch
        .replace(
            "facereenact name=fr",
            &format!("facereenact name=fr {alpha}"),
        )
        .replace(
            "videoconvert ! video/x-raw,format=RGB ! appsink",
            "video/x-raw,format=RGBA ! appsink",
        );
    let alphas = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = alphas.clone();
    run_to_sink_with(
        &launch,
        |_| {},
        600,
        move |sample| {
            let caps = sample.caps().unwrap();
            let info = gst_video::VideoInfo::from_caps(caps).unwrap();
            assert_eq!(info.format(), gst_video::VideoFormat::Rgba);
            let map = sample.buffer().unwrap().map_readable().unwrap();
            let stride = info.stride()[0] as usize;
            let (w, h) = (info.width() as usize, info.height() as usize);
            let a: Vec<u8> = (0..h)
                .flat_map(|y| (0..w).map(move |x| (y, x)))
                .map(|(y, x)| map[y * stride + x * 4 + 3])
                .collect();
            out.lock().unwrap().push((w, a));
        },
    );
    let alphas = std::mem::take(&mut *alphas.lock().unwrap());
    alphas
}

#[test]
fn with_a_matte_the_rendered_head_is_matted_again_every_frame() {
    use gstfacereenact::models::{default_models_dir, person_segmenter};
    use gstfacereenact::runtime::ExecutionProvider;
    let avatar_path = shared_media("avatar/astronaut_512.png");
    let alphas = run_alphas(&driving_launch(&tiny_set(), &avatar_path, 3), "alpha=matte");
    assert!(alphas.len() >= 2, "{} frames", alphas.len());
    // The matte made at load, and where the pasted square lies.
    let mut segmenter = person_segmenter(&default_models_dir(), ExecutionProvider::Cpu, 1).unwrap();
    let mut tracker = common::tracker();
    let avatar = AvatarModel::load_with_alpha(
        &avatar_path,
        &mut tracker,
        0,
        AlphaRequest::Matte(&mut segmenter),
    )
    .unwrap();
    let loaded = avatar.alpha.as_ref().unwrap();
    let o2c = crop_transform(&avatar.landmarks.points, 256.0, &SOURCE_CROP)
        .unwrap()
        .then_scale(2.0);
    for (i, (w, a)) in alphas.iter().enumerate() {
        let (mut inside, mut changed, mut outside) = (0u64, 0u64, 0u64);
        for (k, &v) in a.iter().enumerate() {
            let (x, y) = ((k % w) as u32, (k / w) as u32);
            let c = o2c.apply([x as f32 + 0.5, y as f32 + 0.5]);
            let at_load = loaded.get_pixel(x, y).0[0];
            if c.iter().any(|&v| !(-40.0..=552.0).contains(&v)) {
                assert_eq!(
                    v, at_load,
                    "frame {i} ({x}, {y}) far from the pasted square"
                );
                outside += 1;
            } else if feather(c, 512.0) == 1.0 {
                inside += 1;
                changed += u64::from(v.abs_diff(at_load) > 16);
            }
        }
        println!("frame {i}: {changed} of {inside} pixels of the pasted face re-matted differently, {outside} outside");
        assert!(outside > 10_000, "frame {i}: {outside}");
        // The tiny set paints noise over the head: no longer a person where the face was.
        assert!(changed * 10 > inside, "frame {i}: {changed} of {inside}");
    }
}

/// astronaut_512 with a transparent left third and a soft edge, written to the test's temp
/// folder, and its alpha as a function of x.
fn astronaut_with_a_transparent_left_third() -> (PathBuf, fn(u32) -> u8) {
    fn alpha(x: u32) -> u8 {
        ((x as f32 - 150.0) * 32.0).clamp(0.0, 255.0) as u8
    }
    let rgba = common::with_alpha(&common::astronaut_picture(), |x, _| alpha(x));
    let avatar = common::tempdir().join("lp_astronaut_alpha.png");
    rgba.save(&avatar).unwrap();
    (avatar, alpha)
}

#[test]
fn a_matte_keeps_the_pictures_own_transparency() {
    let (avatar, alpha) = astronaut_with_a_transparent_left_third();
    let alphas = run_alphas(&driving_launch(&tiny_set(), &avatar, 3), "alpha=matte");
    assert!(alphas.len() >= 2, "{} frames", alphas.len());
    for (i, (w, a)) in alphas.iter().enumerate() {
        for (k, &v) in a.iter().enumerate() {
            let x = (k % w) as u32;
            if alpha(x) == 0 {
                assert_eq!(
                    v,
                    0,
                    "frame {i} ({x}, {}) is transparent in the picture",
                    k / w
                );
            }
        }
    }
}

#[test]
fn the_avatars_own_alpha_comes_out_with_the_liveportrait_engine() {
    let (avatar, alpha) = astronaut_with_a_transparent_left_third();
    let alphas = run_alphas(&driving_launch(&tiny_set(), &avatar, 3), "alpha=picture");
    assert!(alphas.len() >= 2, "{} frames", alphas.len());
    for (i, (w, a)) in alphas.iter().enumerate() {
        for (k, &v) in a.iter().enumerate() {
            let (x, y) = (k % w, k / w);
            assert_eq!(v, alpha(x as u32), "frame {i} ({x}, {y})");
        }
    }
}

#[test]
fn the_drawn_pose_is_read_back_from_the_rendering() {
    use gstfacereenact::engine::read_back::PoseReadBack;
    let models = common::face_models();
    let mut tracker = models.tracker_with_iris_reuse(true);
    let avatar = AvatarModel::load_with_alpha(
        &shared_media("avatar/astronaut_512.png"),
        &mut tracker,
        0,
        AlphaRequest::Opaque,
    )
    .unwrap();
    let mut reader = PoseReadBack::new(models.new_landmarker());

    // Noise where the face is: no face, no pose.
    let mut noise = avatar.image.clone();
    for (x, y, p) in noise.enumerate_pixels_mut() {
        let v = ((x * 7919 + y * 104_729) % 251) as u8;
        p.0 = [v, v.wrapping_mul(3), v.wrapping_mul(7)];
    }
    reader.read(&noise, &avatar.landmarks).unwrap();
    assert!(reader.pose().is_none(), "a pose read from noise");

    // The avatar picture itself: its own landmarks, no motion.
    reader.read(&avatar.image, &avatar.landmarks).unwrap();
    let pose = reader.pose().expect("the avatar's face is read back");
    assert_eq!(pose.points.len(), 468);
    let err = pose
        .points
        .iter()
        .zip(&avatar.landmarks.points)
        .map(|(a, b)| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt())
        .sum::<f32>()
        / 468.0;
    assert!(err < 2.0, "read-back landmarks {err} px from the avatar's");
    let (roll, yaw, pitch) = pose.rigid.roll_yaw_pitch_deg();
    assert!(
        (pose.rigid.scale - 1.0).abs() < 0.03 && roll.abs().max(yaw.abs()).max(pitch.abs()) < 2.0,
        "no motion expected: scale {} roll {roll} yaw {yaw} pitch {pitch}",
        pose.rigid.scale
    );

    // The picture moved 24 px right and 10 px down: the rigid motion says so.
    let (w, h) = avatar.image.dimensions();
    let moved = image::RgbImage::from_fn(w, h, |x, y| {
        *avatar.image.get_pixel(
            x.saturating_sub(24).min(w - 1),
            y.saturating_sub(10).min(h - 1),
        )
    });
    reader.read(&moved, &avatar.landmarks).unwrap();
    let pose = reader.pose().unwrap();
    let centre = nalgebra::Vector3::from(avatar.landmarks.points[1]);
    let shift = pose.rigid.apply(&centre) - centre;
    assert!(
        (shift.x - 24.0).abs() < 2.0 && (shift.y - 10.0).abs() < 2.0,
        "the nose tip moved by {shift:?}, expected (24, 10)"
    );
}

#[test]
fn an_open_mouthed_avatar_without_the_lip_model_is_warned_about() {
    // astronaut_512's mouth is open (lip gap over width above LivePortrait's 0.03).
    let avatar = shared_media("avatar/astronaut_512.png");
    let dir = common::tempdir().join("lp-no-lip");
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(tiny_set()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "onnx") && !p.ends_with("stitching_lip.onnx") {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    let (_, warnings, _) = run(&driving_launch(&dir, &avatar, 2));
    let lip: Vec<_> = warnings
        .iter()
        .filter(|w| w.contains("has no stitching_lip.onnx"))
        .collect();
    assert_eq!(lip.len(), 1, "{warnings:?}");
    assert!(
        lip[0].contains("astronaut_512.png") && lip[0].contains("Add stitching_lip.onnx"),
        "{lip:?}"
    );
    // With the whole set, no such warning.
    let (_, warnings, _) = run(&driving_launch(&tiny_set(), &avatar, 2));
    assert!(
        !warnings.iter().any(|w| w.contains("stitching_lip")),
        "{warnings:?}"
    );
}
