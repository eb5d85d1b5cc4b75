//! The element as GStreamer sees it: caps, timestamps, frame counts, properties, errors.

mod common;

use common::*;
use gst::prelude::*;

const FRAME_NS: u64 = 33_366_667;

fn harness(avatar: &std::path::Path) -> gst_check::Harness {
    init();
    let element = gst::ElementFactory::make("facereenact")
        .property("avatar", avatar.to_str().unwrap())
        .build()
        .unwrap();
    let mut h = gst_check::Harness::with_element(&element, Some("sink"), Some("src"));
    h.set_src_caps_str(
        "video/x-raw,format=RGBx,width=320,height=240,framerate=30000/1001,pixel-aspect-ratio=1/1",
    );
    h
}

/// A harness on `avatar` that has passed one frame, its element, and a bus of the element's own
/// (the harness has none) for the messages posted after that.
fn running_with_bus(avatar: &std::path::Path) -> (gst_check::Harness, gst::Element, gst::Bus) {
    let mut h = harness(avatar);
    h.push(grey_frame(0)).unwrap();
    h.pull().unwrap();
    let element = h.element().unwrap();
    let bus = gst::Bus::new();
    element.set_bus(Some(&bus));
    (h, element, bus)
}

/// The error of the next warning on `bus`; panics when there is none.
fn next_warning(bus: &gst::Bus) -> gst::glib::Error {
    let warning = bus
        .pop_filtered(&[gst::MessageType::Warning])
        .expect("a warning on the bus");
    let gst::MessageView::Warning(w) = warning.view() else {
        unreachable!("filtered")
    };
    w.error()
}

fn grey_frame(i: u64) -> gst::Buffer {
    let mut buffer = gst::Buffer::from_mut_slice(vec![128u8; 320 * 240 * 4]);
    {
        let b = buffer.get_mut().unwrap();
        b.set_pts(gst::ClockTime::from_nseconds(i * FRAME_NS));
        b.set_duration(gst::ClockTime::from_nseconds(FRAME_NS));
    }
    buffer
}

#[test]
fn output_is_avatar_sized_with_the_input_timestamps_one_frame_per_frame() {
    let avatar = demo_media("astronaut.png");
    let mut h = harness(&avatar);
    for i in 0..8 {
        h.push(grey_frame(i)).unwrap();
    }
    let caps = h.sinkpad().unwrap().current_caps().unwrap();
    let s = caps.structure(0).unwrap();
    assert_eq!(s.get::<i32>("width").unwrap(), 512);
    assert_eq!(s.get::<i32>("height").unwrap(), 512);
    assert_eq!(
        s.get::<&str>("format").unwrap(),
        "RGBx",
        "output keeps the input's format"
    );
    assert_eq!(
        s.get::<gst::Fraction>("framerate").unwrap(),
        gst::Fraction::new(30000, 1001)
    );
    assert_eq!(
        s.get::<gst::Fraction>("pixel-aspect-ratio").unwrap(),
        gst::Fraction::new(1, 1)
    );
    let picture = image::open(&avatar).unwrap().to_rgb8();
    for i in 0..8 {
        let out = h.pull().unwrap();
        assert_eq!(out.pts(), Some(gst::ClockTime::from_nseconds(i * FRAME_NS)));
        assert_eq!(
            out.duration(),
            Some(gst::ClockTime::from_nseconds(FRAME_NS))
        );
        // A frame without a face shows the avatar as it is.
        assert!(
            rgbx_image(&out, &caps) == picture,
            "frame {i}: no face in, avatar out"
        );
    }
    assert!(h.try_pull().is_none(), "exactly one output per input");
}

const SRC: &str = "videotestsrc num-buffers=5 ! video/x-raw,format=RGBx,width=64,height=64";

#[test]
fn missing_avatar_property_is_a_resource_not_found_error() {
    let (err, _) = first_error(&format!("{SRC} ! facereenact ! fakesink"));
    assert!(err.matches(gst::ResourceError::NotFound), "{err}");
    assert!(err.message().contains("avatar"), "{err}");
}

#[test]
fn missing_avatar_file_is_named_in_the_error() {
    let (err, _) = first_error(&format!(
        "{SRC} ! facereenact avatar=/nonexistent/me.png ! fakesink"
    ));
    assert!(err.matches(gst::ResourceError::NotFound), "{err}");
    assert!(err.message().contains("/nonexistent/me.png"), "{err}");
}

#[test]
fn a_file_that_is_not_a_picture_is_an_open_read_error() {
    let not_picture = root().join("Cargo.toml");
    let (err, _) = first_error(&format!(
        "{SRC} ! facereenact avatar={} ! fakesink",
        not_picture.display()
    ));
    assert!(err.matches(gst::ResourceError::OpenRead), "{err}");
    assert!(err.message().contains("Cargo.toml"), "{err}");
}

#[test]
fn avatar_without_a_face_is_a_stream_format_error_naming_the_file() {
    let coffee = shared_media("avatar/no_face_coffee.png");
    let (err, _) = first_error(&format!(
        "{SRC} ! facereenact avatar={} ! fakesink",
        coffee.display()
    ));
    assert!(err.matches(gst::StreamError::Format), "{err}");
    assert!(
        err.message().contains("no_face_coffee.png") && err.message().contains("no face"),
        "{err}"
    );
}

#[test]
fn missing_models_folder_names_the_model_file() {
    let avatar = demo_media("astronaut.png");
    let (err, _) = first_error(&format!(
        "{SRC} ! facereenact avatar={} models-dir=/nonexistent/models ! fakesink",
        avatar.display()
    ));
    assert!(err.matches(gst::ResourceError::NotFound), "{err}");
    assert!(err.message().contains("/nonexistent/models/"), "{err}");
}

#[test]
fn a_models_folder_with_swapped_files_is_refused_by_sha256() {
    // The detector and the iris model under each other's names: both are valid ONNX files.
    let models = root().join("models");
    let dir = tempdir().join("swapped_models");
    std::fs::create_dir_all(&dir).unwrap();
    for (from, to) in [
        ("face_detection_short_range.onnx", "iris_landmark.onnx"),
        ("iris_landmark.onnx", "face_detection_short_range.onnx"),
        ("face_landmark.onnx", "face_landmark.onnx"),
    ] {
        std::fs::copy(models.join(from), dir.join(to)).unwrap();
    }
    let avatar = demo_media("astronaut.png");
    let (err, _) = first_error(&format!(
        "{SRC} ! facereenact avatar={} models-dir={} ! fakesink",
        avatar.display(),
        dir.display()
    ));
    assert!(err.matches(gst::ResourceError::OpenRead), "{err}");
    let msg = err.message();
    assert!(
        msg.contains(
            &dir.join("face_detection_short_range.onnx")
                .display()
                .to_string()
        ) && msg.contains("sha256")
            && msg.contains("git checkout models/"),
        "{msg}"
    );
}

#[test]
fn an_unavailable_gpu_provider_is_reported_not_silently_replaced() {
    let avatar = demo_media("astronaut.png");
    init();
    let pipeline = gst::parse::launch(&format!(
        "{SRC} ! facereenact avatar={} execution-provider=cuda ! fakesink",
        avatar.display()
    ))
    .unwrap();
    let _ = pipeline.set_state(gst::State::Playing);
    let bus = pipeline.bus().unwrap();
    let mut outcome = None;
    while let Some(msg) = bus.timed_pop(gst::ClockTime::from_seconds(60)) {
        match msg.view() {
            gst::MessageView::Error(e) => {
                outcome = Some(Err(e.error()));
                break;
            }
            gst::MessageView::Eos(_) => {
                outcome = Some(Ok(()));
                break;
            }
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    match outcome.expect("EOS or error") {
        // A machine with CUDA runs; one without must say so.
        Ok(()) => {}
        Err(err) => {
            assert!(err.matches(gst::LibraryError::Settings), "{err}");
            assert!(
                err.message().contains("cuda") && err.message().contains("execution-provider"),
                "{err}"
            );
        }
    }
}

#[test]
fn avatar_change_while_playing_renegotiates_and_a_bad_file_keeps_the_old_avatar() {
    let (mut h, element, bus) = running_with_bus(&demo_media("astronaut.png"));

    // A bad file: warning, old avatar kept, stream goes on.
    element.set_property("avatar", "/nonexistent/other.png");
    let warning = next_warning(&bus);
    assert!(
        warning.message().contains("/nonexistent/other.png"),
        "{warning}"
    );
    // As at start: a missing file is RESOURCE NOT_FOUND, a file that is not a picture OPEN_READ.
    assert!(warning.matches(gst::ResourceError::NotFound), "{warning}");
    assert_eq!(
        element.property::<String>("avatar"),
        demo_media("astronaut.png").to_str().unwrap(),
        "the property reads back the avatar in use"
    );
    let not_picture = root().join("Cargo.toml");
    element.set_property("avatar", not_picture.to_str().unwrap());
    let warning = next_warning(&bus);
    assert!(warning.matches(gst::ResourceError::OpenRead), "{warning}");
    h.push(grey_frame(1)).unwrap();
    h.pull().unwrap();
    let caps = h.sinkpad().unwrap().current_caps().unwrap();
    assert_eq!(caps.structure(0).unwrap().get::<i32>("width").unwrap(), 512);

    // A good file of another size: the output follows it.
    let other = shared_media("avatar/glasses_beard_400.jpg");
    element.set_property("avatar", other.to_str().unwrap());
    h.push(grey_frame(2)).unwrap();
    let out = h.pull().unwrap();
    let caps = h.sinkpad().unwrap().current_caps().unwrap();
    let s = caps.structure(0).unwrap();
    assert_eq!(
        (
            s.get::<i32>("width").unwrap(),
            s.get::<i32>("height").unwrap()
        ),
        (400, 400)
    );
    assert_eq!(out.pts(), Some(gst::ClockTime::from_nseconds(2 * FRAME_NS)));
    let picture = image::open(&other).unwrap().to_rgb8();
    assert!(
        rgbx_image(&out, &caps) == picture,
        "no face in, the new avatar out"
    );
}

#[test]
fn a_long_run_of_actor_frames_without_a_face_is_reported_once_and_never_drops_frames() {
    let mut h = harness(&demo_media("astronaut.png"));
    let element = h.element().unwrap();
    let bus = gst::Bus::new();
    element.set_bus(Some(&bus));
    for i in 0..90 {
        h.push(grey_frame(i)).unwrap();
        assert_eq!(
            h.pull().unwrap().pts(),
            Some(gst::ClockTime::from_nseconds(i * FRAME_NS))
        );
    }
    let warnings: Vec<String> =
        std::iter::from_fn(|| bus.pop_filtered(&[gst::MessageType::Warning]))
            .map(|m| match m.view() {
                gst::MessageView::Warning(w) => w.error().message().to_string(),
                _ => unreachable!(),
            })
            .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("no face") && warnings[0].contains("60"),
        "{warnings:?}"
    );
}

#[test]
fn null_to_playing_to_null_a_hundred_times_neither_fails_nor_grows() {
    // RSS is per process: measured alone, away from the other tests' decoded frames.
    if !in_own_process(
        "null_to_playing_to_null_a_hundred_times_neither_fails_nor_grows",
        "growth over 90 more",
    ) {
        return;
    }
    init();
    let avatar = demo_media("astronaut.png");
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=2 ! video/x-raw,format=RGBx,width=160,height=120 ! \
         facereenact avatar=\"{}\" ! fakesink",
        avatar.display()
    ))
    .unwrap();
    let bus = pipeline.bus().unwrap();
    let cycle = |i: usize| {
        pipeline.set_state(gst::State::Playing).unwrap();
        let msg = bus
            .timed_pop_filtered(
                gst::ClockTime::from_seconds(30),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            )
            .unwrap_or_else(|| panic!("cycle {i}: neither EOS nor error within 30 s"));
        if let gst::MessageView::Error(e) = msg.view() {
            panic!("cycle {i}: {}", e.error());
        }
        pipeline.set_state(gst::State::Null).unwrap();
    };
    for i in 0..10 {
        cycle(i);
    }
    let settled = status_kib("VmRSS:");
    for i in 10..100 {
        cycle(i);
    }
    let grown = status_kib("VmRSS:") as i64 - settled as i64;
    println!("RSS after 10 cycles {settled} KiB, growth over 90 more: {grown} KiB");
    // One avatar model (its 512x512 canvas and mesh) is under 2 MB: 90 leaked starts would be
    // well over 100 MB.
    assert!(
        grown < 20 * 1024,
        "RSS grew by {grown} KiB over 90 start/stop cycles"
    );
}

#[test]
fn a_start_only_property_set_while_playing_warns_that_it_waits_for_the_next_start() {
    let (mut h, element, bus) = running_with_bus(&demo_media("astronaut.png"));
    // Read once per frame: no warning.
    element.set_property("expression-multiplier", 2.0f64);
    assert!(bus.pop_filtered(&[gst::MessageType::Warning]).is_none());
    // Read in start() only: a warning naming the property; the stream goes on.
    element.set_property("iris-reuse", false);
    let warning = next_warning(&bus);
    assert!(
        warning.message().contains("iris-reuse") && warning.message().contains("next starts"),
        "{warning}"
    );
    assert!(warning.matches(gst::LibraryError::Settings), "{warning}");
    h.push(grey_frame(1)).unwrap();
    assert!(h.pull().is_ok(), "the stream goes on");
}

#[test]
fn an_actor_region_that_does_not_read_while_playing_warns_and_keeps_the_region_in_use() {
    let (mut h, element, bus) = running_with_bus(&demo_media("astronaut.png"));
    element.set_property("actor-region", "0.1,0.1,0.5,0.5");
    assert!(bus.pop_filtered(&[gst::MessageType::Warning]).is_none());
    element.set_property("actor-region", "0.1,0.1,0.5");
    let warning = next_warning(&bus);
    assert!(
        warning.matches(gst::LibraryError::Settings)
            && warning.message().contains("0.1,0.1,0.5")
            && warning.message().contains("keeping the previous region"),
        "{warning}"
    );
    assert_eq!(
        element.property::<String>("actor-region"),
        "0.1,0.1,0.5,0.5",
        "the region in use"
    );
    // The whole frame again.
    element.set_property("actor-region", "");
    assert!(bus.pop_filtered(&[gst::MessageType::Warning]).is_none());
    h.push(grey_frame(1)).unwrap();
    assert!(h.pull().is_ok(), "the stream goes on");
}

#[test]
fn an_empty_avatar_path_is_no_avatar() {
    // Before the start: the same error as no avatar at all.
    let (err, _) = first_error(
        "videotestsrc num-buffers=1 ! video/x-raw,format=RGBx,width=64,height=48 ! facereenact avatar=\"\" ! fakesink",
    );
    assert!(err.message().contains("no avatar set"), "{}", err.message());
    // While running: a warning, and the old avatar stays.
    let (mut h, element, bus) = running_with_bus(&demo_media("astronaut.png"));
    element.set_property("avatar", "");
    let warning = next_warning(&bus);
    assert!(
        warning.message().contains("keeping the previous avatar"),
        "{warning}"
    );
    assert_eq!(
        element.property::<Option<String>>("avatar").as_deref(),
        demo_media("astronaut.png").to_str(),
        "the property reads back the avatar in use"
    );
    h.push(grey_frame(1)).unwrap();
    let out = h.pull().unwrap();
    let caps = h.sinkpad().unwrap().current_caps().unwrap();
    assert_eq!(rgbx_image(&out, &caps).dimensions(), (512, 512));
}

#[test]
fn properties_set_from_another_thread_while_playing_take_effect_without_stopping() {
    let avatar = demo_media("astronaut.png");
    let mut h = harness(&avatar);
    h.play();
    let element = h.element().unwrap();
    let setter = std::thread::spawn(move || {
        for k in 0..200 {
            element.set_property("expression-multiplier", (k % 3) as f64);
            element.set_property("smoothing", k % 2 == 0);
            element.set_property_from_str("motion-region", ["all", "lips", "pose"][k % 3]);
            element.emit_by_name::<()>("reset-reference", &[]);
        }
        element
    });
    for i in 0..60 {
        h.push(grey_frame(i)).unwrap();
        assert!(h.pull().is_ok(), "frame {i} comes out");
    }
    let element = setter.join().expect("setter thread");
    assert_eq!(element.property::<f64>("expression-multiplier"), 1.0);
    assert!(!element.property::<bool>("smoothing"));
    assert_eq!(
        element.property::<gstfacereenact::facereenact::MotionRegionChoice>("motion-region"),
        gstfacereenact::facereenact::MotionRegionChoice::Lips,
        "the last value set wins"
    );
}

#[test]
fn a_caps_change_mid_stream_and_gap_events_keep_every_frame_and_timestamp() {
    let avatar = demo_media("astronaut.png");
    let mut h = harness(&avatar);
    for i in 0..4 {
        h.push(grey_frame(i)).unwrap();
    }
    // A gap (a live source that had nothing to send) passes downstream; no error, no EOS.
    assert!(
        h.push_event(gst::event::Gap::builder(gst::ClockTime::from_nseconds(4 * FRAME_NS)).build())
    );
    // Mid-stream the actor switches to 641x479 BGRx at a 16:15 pixel aspect ratio.
    h.set_src_caps_str(
        "video/x-raw,format=BGRx,width=641,height=479,framerate=25/1,pixel-aspect-ratio=16/15",
    );
    for i in 5..9u64 {
        let mut b = gst::Buffer::from_mut_slice(vec![90u8; 641 * 479 * 4]);
        {
            let b = b.get_mut().unwrap();
            b.set_pts(gst::ClockTime::from_mseconds(i * 40));
            b.set_duration(gst::ClockTime::from_mseconds(40));
        }
        h.push(b).unwrap();
    }
    let mut pts = Vec::new();
    while let Some(out) = h.try_pull() {
        pts.push(out.pts());
    }
    let expected: Vec<_> = (0..4)
        .map(|i| Some(gst::ClockTime::from_nseconds(i * FRAME_NS)))
        .chain((5..9).map(|i| Some(gst::ClockTime::from_mseconds(i * 40))))
        .collect();
    assert_eq!(pts, expected, "every frame out, timestamps untouched");
    let caps = h.sinkpad().unwrap().current_caps().unwrap();
    let s = caps.structure(0).unwrap();
    assert_eq!(
        s.get::<&str>("format").unwrap(),
        "BGRx",
        "output follows the new format"
    );
    assert_eq!(
        s.get::<i32>("width").unwrap(),
        512,
        "still the avatar's size"
    );
    assert_eq!(
        s.get::<gst::Fraction>("framerate").unwrap(),
        gst::Fraction::new(25, 1)
    );
    let mut gap_seen = false;
    while let Some(ev) = h.try_pull_event() {
        gap_seen |= ev.type_() == gst::EventType::Gap;
    }
    assert!(gap_seen, "the gap event reached downstream");
}

#[test]
fn i420_and_nv12_actors_are_reenacted_in_their_own_format_like_rgb_ones() {
    // The same clip through the element as RGBx, I420 and NV12; the capsfilters on both sides make
    // the element itself read and write the YUV formats (no conversion in front or behind it).
    let actor = demo_media("carphone_pristine.mp4");
    let avatar = demo_media("astronaut.png");
    let run = |format: &str, then: &str| {
        run_to_frames(&format!(
            "filesrc location=\"{}\" ! decodebin ! videoconvert ! video/x-raw,format={format} ! \
             facereenact avatar=\"{}\" ! video/x-raw,format={format} ! {then} videoconvert ! \
             video/x-raw,format=RGB ! appsink name=sink",
            actor.display(),
            avatar.display()
        ))
    };
    for format in ["I420", "NV12"] {
        let yuv = run(format, "");
        // The reference: the RGBx run's output through the same 4:2:0 round trip by videoconvert,
        // so that only the element's own reading and writing of the format differ.
        let rgb = run(
            "RGBx",
            &format!("videoconvert ! video/x-raw,format={format} !"),
        );
        assert_eq!(yuv.len(), rgb.len(), "{format}: one frame out per frame in");
        let (mut worst, mut worst_corner) = (0.0f64, 0.0f64);
        for (a, b) in yuv.iter().zip(&rgb) {
            assert_eq!(
                (a.pts, a.duration),
                (b.pts, b.duration),
                "{format}: timestamps"
            );
            worst = worst.max(mean_abs_diff(&a.image, &b.image, |_, _| true));
            // Far from the head the output is the avatar picture: conversion alone.
            worst_corner =
                worst_corner.max(mean_abs_diff(&a.image, &b.image, |x, y| x < 64 && y < 64));
        }
        eprintln!("{format}: worst frame {worst:.2}/255, background corner {worst_corner:.2}/255");
        // A wrong matrix or range, swapped chroma planes or a misread stride is far above these.
        assert!(
            worst_corner < 1.0,
            "{format}: background differs by {worst_corner:.2}/255"
        );
        // The head: landmarks measured on YUV crops rather than RGB ones move it by a hair.
        assert!(
            worst < 2.0,
            "{format}: output differs from the RGBx run by {worst:.2}/255"
        );
    }
}

#[test]
fn qos_is_on_and_a_frame_already_late_downstream_is_dropped_with_a_qos_message() {
    let avatar = demo_media("astronaut.png");
    let mut h = harness(&avatar);
    let element = h.element().unwrap();
    // GstVideoFilter turns QoS on: a live pipeline that cannot keep up drops late frames here
    // (posting QoS messages) instead of falling further and further behind.
    assert!(element.property::<bool>("qos"), "QoS must be on by default");
    let bus = gst::Bus::new();
    element.set_bus(Some(&bus));
    h.push(grey_frame(0)).unwrap();
    assert!(h.pull().is_ok());
    // Downstream says frames up to 1 s of running time are already too late (a live sink that
    // fell behind): the element skips such frames instead of spending time on them.
    h.push_upstream_event(gst::event::Qos::new(
        gst::QOSType::Underflow,
        2.0,
        500 * 1_000_000,
        gst::ClockTime::from_mseconds(500),
    ));
    for i in 1..5 {
        h.push(grey_frame(i)).unwrap();
    }
    assert!(
        h.try_pull().is_none(),
        "frames 1-4 (33-133 ms) are behind the 1 s QoS deadline and must be dropped"
    );
    let qos = bus
        .iter()
        .filter(|m| matches!(m.view(), gst::MessageView::Qos(_)))
        .count();
    assert!(qos > 0, "each dropped frame posts a QoS message");
    // A frame in time passes again.
    let mut late = grey_frame(60);
    late.make_mut().set_pts(gst::ClockTime::from_seconds(2));
    h.push(late).unwrap();
    assert!(h.pull().is_ok());
    element.set_bus(None);
}

#[test]
fn drawing_the_head_in_parallel_bands_gives_the_same_pixels_as_one_thread() {
    let avatar = demo_media("astronaut.png");
    let frames = decode(&demo_media("carphone_pristine.mp4"));
    let run = |threads: &str| {
        let mut h = reenact_harness(
            &avatar,
            &[("render-threads", threads)],
            "width=176,height=144,framerate=30/1",
        );
        frames
            .iter()
            .take(40)
            .enumerate()
            .map(|(i, f)| {
                let t = gst::ClockTime::from_nseconds(i as u64 * FRAME_NS);
                push_pull(
                    &mut h,
                    &f.image,
                    Some(t),
                    Some(gst::ClockTime::from_nseconds(FRAME_NS)),
                )
                .image
            })
            .collect::<Vec<_>>()
    };
    let one = run("1");
    for threads in ["2", "3"] {
        let banded = run(threads);
        for (i, (a, b)) in one.iter().zip(&banded).enumerate() {
            assert!(
                a == b,
                "render-threads={threads}: frame {i} differs from one thread"
            );
        }
    }
    assert!(
        one.iter()
            .any(|f| f != &image::open(&avatar).unwrap().to_rgb8()),
        "the avatar must have moved for the comparison to mean anything"
    );
}

#[test]
fn a_live_source_plays_in_real_time_and_the_latency_query_is_answered() {
    // A live camera-like source (timestamps from the clock) into a synchronised sink: every frame
    // reaches the sink in time, and the pipeline's latency query succeeds (the element holds no
    // frame, so it adds nothing to the source's latency).
    init();
    let avatar = demo_media("astronaut.png");
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc is-live=true num-buffers=45 ! \
         video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! \
         facereenact avatar=\"{}\" ! fakesink name=sink sync=true",
        avatar.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let sink = pipeline.by_name("sink").unwrap();
    let started = std::time::Instant::now();
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    let mut latency_checked = false;
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(30)) {
        match msg.view() {
            gst::MessageView::Eos(_) => break,
            gst::MessageView::Error(e) => panic!("{}", e.error()),
            gst::MessageView::AsyncDone(_) if !latency_checked => {
                let mut q = gst::query::Latency::new();
                assert!(pipeline.query(&mut q), "the latency query must be answered");
                let (live, min, _) = q.result();
                assert!(live, "a live pipeline");
                assert!(min < gst::ClockTime::from_mseconds(100), "latency {min}");
                latency_checked = true;
            }
            _ => {}
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stats = sink.property::<gst::Structure>("stats");
    pipeline.set_state(gst::State::Null).unwrap();
    assert!(latency_checked, "the pipeline never prerolled");
    let rendered = stats.get::<u64>("rendered").unwrap();
    let dropped = stats.get::<u64>("dropped").unwrap();
    println!("live: {rendered} rendered, {dropped} dropped in {elapsed:.2} s");
    // At 30 frames/s the element has 33 ms per frame and needs a few: all frames are shown in
    // time, give or take a late one when the machine is busy with other tests.
    assert!(
        rendered >= 42,
        "{rendered} of 45 live frames shown, {dropped} late"
    );
    assert!(
        elapsed >= 1.3,
        "45 live frames at 30 fps take 1.5 s of clock time: {elapsed}"
    );
}

#[test]
fn iris_reuse_skips_the_iris_model_on_unchanged_eyes_and_can_be_turned_off() {
    init();
    let element = gst::ElementFactory::make("facereenact").build().unwrap();
    assert!(element.property::<bool>("iris-reuse"), "on by default");
    // grin_512: a still head that grins, so its eyes change now and then.
    let frames = decode(&shared_media("driving/grin_512.mp4"));
    let models = face_models();
    let eyes = 2 * frames.len() as u64;
    for reuse in [false, true] {
        let mut tracker = models.tracker_with_iris_reuse(reuse);
        for f in &frames {
            assert!(tracker.track(&f.image, f.par).unwrap().is_some());
        }
        let (runs, reuses) = tracker.eye_model_counts();
        println!("iris-reuse={reuse}: the iris model ran on {runs} of {eyes} eyes");
        assert_eq!(runs + reuses, eyes, "every eye of every frame is refined");
        if reuse {
            assert!(
                runs * 10 < eyes * 7,
                "unchanged eyes reuse: {runs} runs of {eyes}"
            );
        } else {
            assert_eq!(reuses, 0, "iris-reuse=false runs the model on every eye");
        }
    }
}

#[test]
fn eyes_on_two_sessions_at_once_give_the_landmarks_of_one_session() {
    init();
    use gstfacereenact::face::EyeRefiner;
    let models = face_models();
    // Two sessions, so that the eyes can run at the same time (one session runs one inference at
    // a time).
    assert!(!std::sync::Arc::ptr_eq(
        &models.iris.session,
        &models.iris_second.session
    ));
    let frames = decode(&shared_media("driving/talk_wink_480.mp4"));
    let mut parallel = models.tracker_with_iris_reuse(false);
    let mut sequential = models.tracker_with_eyes(Some(
        EyeRefiner::new(models.iris.session.clone()).every_frame(),
    ));
    for f in frames.iter().take(60) {
        let a = parallel.track(&f.image, f.par).unwrap().cloned();
        let b = sequential.track(&f.image, f.par).unwrap().cloned();
        assert_eq!(
            a.map(|l| l.points),
            b.map(|l| l.points),
            "both eyes refined at once must give the same points"
        );
    }
    assert_eq!(parallel.eye_model_counts(), (120, 0));
}

/// The warnings `launch` posts on its way to EOS.
fn warnings_of(launch: &str) -> Vec<String> {
    init();
    play_to_eos(&gst::parse::launch(launch).unwrap(), 120)
}

#[test]
fn a_frame_over_the_processing_deadline_is_warned_in_a_live_stream_only() {
    let avatar = demo_media("astronaut.png");
    // A 1 µs deadline: every frame is over it. A warning names the deadline and the fix.
    let pipeline = |live: bool| {
        format!(
            "videotestsrc is-live={live} num-buffers=15 ! video/x-raw,width=320,height=240,framerate=30/1 \
             ! facereenact avatar=\"{}\" processing-deadline=1000 ! fakesink sync={live}",
            avatar.display()
        )
    };
    let live = warnings_of(&pipeline(true));
    let late: Vec<_> = live
        .iter()
        .filter(|w| w.contains("processing deadline of 0.001 ms"))
        .collect();
    assert_eq!(late.len(), 1, "one warning (at most every 10 s): {live:?}");
    assert!(late[0].contains("Raise processing-deadline (nanoseconds"));
    // The test picture has no face: the advice is about the search.
    assert!(
        late[0].contains("searching") && late[0].contains("lower search-budget"),
        "{}",
        late[0]
    );
    // A file-like stream, as fast as it goes: no frame is late.
    let file = warnings_of(&pipeline(false));
    assert!(
        !file.iter().any(|w| w.contains("processing deadline")),
        "{file:?}"
    );
}

#[test]
fn an_avatar_whose_face_looks_little_human_is_warned_about_at_start_and_on_change() {
    // The cat is found and landmarked (it loads), but its face presence is well under a human
    // face's: the element says so, naming the file, when it starts with it ...
    let cat = shared_media("avatar/cat_chelsea.png");
    let about_cat =
        |w: &str| w.contains("looks little like a human face") && w.contains(cat.to_str().unwrap());
    init();
    let play = |avatar: &std::path::Path| {
        let pipeline = gst::parse::launch(&format!(
            "videotestsrc num-buffers=2 ! video/x-raw,width=64,height=64 ! \
             facereenact avatar=\"{}\" ! fakesink",
            avatar.display()
        ))
        .unwrap();
        play_to_eos(&pipeline, 120)
    };
    let warnings = play(&cat);
    assert_eq!(
        warnings.iter().filter(|w| about_cat(w)).count(),
        1,
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("motion-region=pose")),
        "{warnings:?}"
    );
    // ... not with a human face ...
    let warnings = play(&demo_media("astronaut.png"));
    assert!(
        !warnings.iter().any(|w| w.contains("human face")),
        "{warnings:?}"
    );
    // ... and when the avatar changes to it while running, which it does.
    let (mut h, element, bus) = running_with_bus(&demo_media("astronaut.png"));
    element.set_property("avatar", cat.to_str().unwrap());
    let warning = next_warning(&bus);
    assert!(about_cat(warning.message()), "{warning}");
    assert!(warning.matches(gst::StreamError::Format), "{warning}");
    h.push(grey_frame(1)).unwrap();
    h.pull().unwrap();
    assert_eq!(element.property::<String>("avatar"), cat.to_str().unwrap());
}
