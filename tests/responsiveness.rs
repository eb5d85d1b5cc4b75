//! The element answers while a frame is being drawn: the latency query, `reset-reference` and an
//! avatar change do not wait for the engine (a LivePortrait frame on a CPU takes seconds).

mod common;

use std::sync::mpsc;
use std::time::Instant;

use common::*;
use gst::prelude::*;

/// A 4K frame without a face and `search-budget=0` make one frame a whole-frame face search (over
/// 500 model runs, about a second on 2 cores); meanwhile another thread queries the latency, emits
/// `reset-reference` and changes the avatar. Each returns before the frame leaves the element.
#[test]
fn latency_reset_and_an_avatar_change_do_not_wait_for_a_frame_being_drawn() {
    let avatar = shared_media("avatar/astronaut_512.png");
    let other = tempdir().join("responsiveness-astronaut.png");
    std::fs::copy(&avatar, &other).unwrap();
    let mut h = reenact_harness(
        &avatar,
        &[("search-budget", "0")],
        "width=3840,height=2160,framerate=30/1",
    );
    let element = h.element().unwrap();
    let grey = image::RgbImage::from_pixel(3840, 2160, image::Rgb([128, 128, 128]));
    let frame_ns = gst::ClockTime::from_nseconds(33_333_333);

    let (started_tx, started_rx) = mpsc::channel::<()>();
    let other_path = other.to_str().unwrap().to_string();
    let asker = std::thread::spawn(move || {
        started_rx.recv().unwrap();
        // Well inside the frame's search.
        std::thread::sleep(std::time::Duration::from_millis(150));
        let mut done = Vec::new();
        let mut q = gst::query::Latency::new();
        let answered = element.static_pad("src").unwrap().query(&mut q);
        done.push(("latency query", Instant::now(), answered));
        element.emit_by_name::<()>("reset-reference", &[]);
        done.push(("reset-reference", Instant::now(), true));
        element.set_property("avatar", &other_path);
        done.push(("avatar change", Instant::now(), true));
        done
    });
    started_tx.send(()).unwrap();
    let pushed = Instant::now();
    h.push(rgbx_buffer(
        &grey,
        Some(gst::ClockTime::ZERO),
        Some(frame_ns),
    ))
    .expect("push");
    let frame_out = Instant::now();
    let done = asker.join().unwrap();
    println!(
        "the frame took {:.0} ms",
        frame_out.duration_since(pushed).as_secs_f64() * 1e3
    );
    for (what, at, answered) in &done {
        assert!(answered, "{what} not answered");
        println!(
            "{what} returned {:.0} ms after the push",
            at.duration_since(pushed).as_secs_f64() * 1e3
        );
        assert!(
            *at < frame_out,
            "{what} waited for the frame being drawn ({:.0} ms after the push; the frame left at {:.0} ms)",
            at.duration_since(pushed).as_secs_f64() * 1e3,
            frame_out.duration_since(pushed).as_secs_f64() * 1e3
        );
    }
    h.pull().expect("one output per input");
    // The change took effect on the next frame.
    let element = h.element().unwrap();
    assert_eq!(
        element.property::<Option<String>>("avatar").as_deref(),
        other.to_str()
    );
    h.push(rgbx_buffer(&grey, Some(frame_ns), Some(frame_ns)))
        .expect("push");
    h.pull().expect("one output per input");
    std::fs::remove_file(&other).unwrap();
}
