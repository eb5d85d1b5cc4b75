//! The LivePortrait engine's steady state allocates no frame-sized memory (issue 15): after the
//! first frames, a frame through the element with `engine=liveportrait engine-models-dir=<tiny set>` makes only the small Rust
//! allocations of the `ort` crate's run wrappers (names, a vector of output handles: about
//! 0.7 KiB per face-model run and 2.5 KiB for the three bound runs) and of the face tracker's
//! re-detections, no tensor, crop or picture. Counted with a counting global allocator (count
//! and bytes); this file holds one test so that no other test allocates meanwhile.
//!
//! ONNX Runtime's own C++ allocations are not seen here: on the CPU its arena, on a GPU its
//! device arena, serve the bound runs from blocks kept after the first frames.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use common::*;
use gstfacereenact::neural::bound_model::{bound_runs, BoundModel};
use gstfacereenact::neural::model_set::{LivePortraitModels, MOTION, STITCHING, WARPING};
use gstfacereenact::runtime::{run_rgb_square, ExecutionProvider};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LARGEST: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        LARGEST.fetch_max(layout.size() as u64, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        LARGEST.fetch_max(new_size as u64, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counted() -> (u64, u64) {
    (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

/// Allocations (count, bytes) of the last of four calls of `f`.
fn steady(mut f: impl FnMut()) -> (u64, u64) {
    for _ in 0..3 {
        f();
    }
    let before = counted();
    f();
    let after = counted();
    (after.0 - before.0, after.1 - before.1)
}

/// The largest single allocation a steady frame may make, bytes: under one row of the smallest
/// frame-sized buffer the engine keeps (a 256-pixel RGB8 crop row with 4x4 supersampling is
/// 3072 bytes; the 512x512 output is 768 KiB, the feature volume 32 MiB).
const LARGEST_ALLOWED: u64 = 2048;
/// The bytes a steady frame may allocate in all: the `ort` run wrappers of the face model runs and
/// the three bound runs (measured below, a few KiB) with room for the tracker's re-detections.
const FRAME_BYTES_ALLOWED: u64 = 16 * 1024;

#[test]
fn steady_state_liveportrait_frames_allocate_no_tensor_crop_or_picture() {
    init();
    let set = root().join("tests/data/liveportrait/tiny");
    // What one plain session run (the face tracker's) and the bound runs allocate in `ort`.
    let face = face_models();
    let input = vec![0.5f32; 192 * 192 * 3];
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let plain =
        steady(|| run_rgb_square(&face.landmarker.session, &input, 192, &mut a, &mut b).unwrap());
    let models = LivePortraitModels::load(&set, ExecutionProvider::Cpu, 1).unwrap();
    // The three per-frame models, each run alone (their wrappers grow with their outputs).
    let mut bound = (0, 0);
    for spec in [&MOTION, &STITCHING, &WARPING] {
        let mut model = BoundModel::new(models.session(spec), spec).unwrap();
        let run = steady(|| model.run().unwrap());
        println!("{}: {run:?} per bound run (count, bytes)", spec.file);
        bound = (bound.0 + run.0, bound.1 + run.1);
    }
    println!("per face-model run {plain:?}, the three bound runs {bound:?} (count, bytes)");

    let frames = decode(&shared_media("driving/grin_512.mp4"));
    let avatar = shared_media("avatar/astronaut_512.png");
    let mut h = reenact_harness(
        &avatar,
        &[
            ("engine", "liveportrait"),
            ("engine-models-dir", set.to_str().unwrap()),
        ],
        "width=512,height=512,framerate=30/1",
    );
    let ns = 1_000_000_000 / 30;
    let warm_up = 5;
    let (mut measured, mut over) = (0, Vec::new());
    let mut worst = (0, 0, 0);
    for (i, f) in frames.iter().take(20).enumerate() {
        let buffer = rgbx_buffer(
            &f.image,
            Some(gst::ClockTime::from_nseconds(i as u64 * ns)),
            Some(gst::ClockTime::from_nseconds(ns)),
        );
        let bound_before = bound_runs();
        let before = counted();
        LARGEST.store(0, Ordering::Relaxed);
        h.push(buffer).unwrap();
        let out = h.pull().unwrap();
        let after = counted();
        let largest = LARGEST.load(Ordering::Relaxed);
        drop(out);
        if i >= warm_up {
            measured += 1;
            // The three per-frame models: motion, stitching, warping.
            let runs = bound_runs() - bound_before;
            assert_eq!(runs, 3, "frame {i}: {runs} bound runs");
            let (count, bytes) = (after.0 - before.0, after.1 - before.1);
            worst = worst.max((bytes, count, largest));
            if largest > LARGEST_ALLOWED || bytes > FRAME_BYTES_ALLOWED {
                over.push((i, count, bytes, largest));
            }
        }
    }
    println!(
        "worst steady frame: {} bytes in {} allocations, largest {}",
        worst.0, worst.1, worst.2
    );
    assert!(measured >= 15, "only {measured} frames measured");
    assert!(
        over.is_empty(),
        "frames (index, allocations, bytes, largest allocation) over {FRAME_BYTES_ALLOWED} bytes \
         or with an allocation over {LARGEST_ALLOWED}: {over:?}"
    );
}
