//! Speaker choice benchmark (issue 20): what the watch of the other faces
//! (`actor-choice=speaking`) adds to the tracker's time per frame, on a 640x360 two-face scene.
//!
//!     cargo bench --bench speaker          (after scripts/setup.sh)
//!
//! Scene: the man of tests/media/driving/glasses_512x480.mp4 on the left (his first 3 s,
//! where he barely moves his mouth; 320x300: face about 180 px wide) and the woman of
//! talk_wink_480.mp4 talking on the right (from 1.5 s on, 200x200: face about 85 px wide), over
//! grey, as in tests/speaker_choice.rs (where the man is one still frame: here both move, so
//! that the followed face costs the same with both choices, the eye model running on every
//! frame). The tracker (one ONNX Runtime thread, eye refinement on, as the
//! element's) runs 3 s of frames with `largest` and with `speaking`, in turns, ROUNDS times; the
//! first pass of each is a warm-up. Not a test: it prints a table (median, 99th percentile,
//! worst and mean wall time per frame, the thread's CPU time per frame, the watch's model runs
//! per frame, the frames a search ran in) and asserts nothing about speed.

use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

use gstfacereenact::face::{ActorChoice, FaceTracker, TrackOptions};
use gstfacereenact::models::{default_models_dir, FaceModels};
use gstfacereenact::runtime::ExecutionProvider;
use image::{imageops, RgbImage};

/// Frames per pass (3 s at 30 frames/s).
const FRAMES: usize = 90;
/// Passes per choice (the first is not timed).
const ROUNDS: usize = 5;

/// CPU time this thread has run, nanoseconds (/proc/thread-self/schedstat): less disturbed by
/// other processes on a busy machine than wall time.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// One pass of a fresh-started tracker over `frames` (stream time from 0): wall milliseconds
/// per frame, the watch's model runs, the thread's CPU nanoseconds and the frames a search ran
/// in.
fn pass(
    tracker: &mut FaceTracker,
    frames: &[RgbImage],
    choice: ActorChoice,
) -> (Vec<f64>, u64, u64, u64) {
    tracker.reset();
    tracker.set_options(TrackOptions {
        choice,
        ..TrackOptions::default()
    });
    let (runs_before, _) = tracker.speaker_counts();
    let searching = tracker.searching_frames;
    let cpu = thread_cpu_ns();
    let mut ms = Vec::with_capacity(frames.len());
    for (i, f) in frames.iter().enumerate() {
        let t = Instant::now();
        std::hint::black_box(tracker.track_at(f, 1.0, i as f64 / 30.0).unwrap());
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    (
        ms,
        tracker.speaker_counts().0 - runs_before,
        thread_cpu_ns() - cpu,
        tracker.searching_frames - searching,
    )
}

fn main() {
    common::init();
    let woman = common::decode_scaled(
        &common::shared_media("driving/talk_wink_480.mp4"),
        200,
        200,
        45 + FRAMES,
    );
    let man = common::decode_scaled(
        &common::shared_media("driving/glasses_512x480.mp4"),
        320,
        300,
        FRAMES,
    );
    let frames: Vec<RgbImage> = woman[45..]
        .iter()
        .zip(&man)
        .map(|(w, m)| {
            let mut img = RgbImage::from_pixel(640, 360, image::Rgb([96, 100, 104]));
            imageops::replace(&mut img, &m.image, 0, 30);
            imageops::replace(&mut img, &w.image, 400, 80);
            img
        })
        .collect();
    let models =
        FaceModels::load(&default_models_dir(), ExecutionProvider::Cpu, 1).expect("models");
    let mut tracker = models.tracker();
    let choices = [ActorChoice::Largest, ActorChoice::Speaking];
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut runs = [0u64; 2];
    let mut cpu = [0u64; 2];
    let mut searching = [0u64; 2];
    for round in 0..ROUNDS {
        for (k, &choice) in choices.iter().enumerate() {
            let (ms, r, c, s) = pass(&mut tracker, &frames, choice);
            if round > 0 {
                times[k].extend(ms);
                runs[k] += r;
                cpu[k] += c;
                searching[k] += s;
            }
        }
    }
    println!(
        "| actor-choice | median ms | 99th % ms | worst ms | mean ms | CPU ms per frame | watch runs per frame | searching frames per pass |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (k, choice) in ["largest", "speaking"].iter().enumerate() {
        let ms = &mut times[k];
        let mean = ms.iter().sum::<f64>() / ms.len() as f64;
        ms.sort_by(f64::total_cmp);
        println!(
            "| {choice} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} |",
            percentile(ms, 0.5),
            percentile(ms, 0.99),
            ms.last().unwrap(),
            mean,
            cpu[k] as f64 / 1e6 / ms.len() as f64,
            runs[k] as f64 / ms.len() as f64,
            searching[k] as f64 / (ROUNDS - 1) as f64
        );
    }
}
