//! Steady state makes no heap allocation of its own (issue 4): after the first frames, the only
//! Rust allocations while a frame goes through the element are those the `ort` crate makes for
//! each ONNX Runtime session run, one for the face meta (issue 14: gstreamer-video's
//! `VideoRegionOfInterestMeta::add` copies its type name into a C string; the meta's structures
//! are GLib's allocations, not counted here), and one per piece of work handed to rayon's pool
//! (issue 23: the second eye's iris run and the second drawing band; rayon boxes the job, see
//! `gstfacereenact::parallel::pool_hand_offs`). Counted with a counting global allocator; this file holds one
//! test so that no other test allocates meanwhile.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use common::*;
use gstfacereenact::parallel::pool_hand_offs;
use gstfacereenact::runtime::{inference_runs, run_rgb_square};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

#[test]
fn steady_state_frames_allocate_nothing_beyond_the_onnx_runtime_calls() {
    init();
    // What one session run allocates in the `ort` crate (its input and output wrappers).
    let models = face_models();
    let input = vec![0.5f32; 192 * 192 * 3];
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        run_rgb_square(&models.landmarker.session, &input, 192, &mut a, &mut b).unwrap();
    }
    let before = allocations();
    run_rgb_square(&models.landmarker.session, &input, 192, &mut a, &mut b).unwrap();
    let per_run = allocations() - before;
    assert!(per_run <= 8, "one session run allocated {per_run} times");

    let frames = decode(&shared_media("driving/grin_512.mp4"));
    let avatar = shared_media("avatar/astronaut_512.png");
    let fps = 30u64;
    let mut h = reenact_harness(&avatar, &[], "width=512,height=512,framerate=30/1");
    let ns = 1_000_000_000 / fps;
    let buffers: Vec<_> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            rgbx_buffer(
                &f.image,
                Some(gst::ClockTime::from_nseconds(i as u64 * ns)),
                Some(gst::ClockTime::from_nseconds(ns)),
            )
        })
        .collect();
    // The face meta's type name, once per frame with a drawn face (all of them here).
    const META: u64 = 1;
    // rayon's injector queue (crossbeam-deque) holds 63 jobs per block: one block allocation per
    // 63 hand-offs at most, in whichever frame crosses the boundary.
    const JOBS_PER_QUEUE_BLOCK: u64 = 63;
    let warm_up = 10;
    let (mut measured, mut extra, mut block_frames, mut all_hand_offs) =
        (0, Vec::new(), 0u64, 0u64);
    for (i, buffer) in buffers.into_iter().enumerate() {
        let (allocs, runs, hand_offs) = (allocations(), inference_runs(), pool_hand_offs());
        h.push(buffer).unwrap();
        let out = h.pull().unwrap();
        let (allocs, runs, hand_offs) = (
            allocations() - allocs,
            inference_runs() - runs,
            pool_hand_offs() - hand_offs,
        );
        drop(out);
        if i >= warm_up {
            measured += 1;
            all_hand_offs += hand_offs;
            let expected = per_run * runs + META + hand_offs;
            if hand_offs > 0 && allocs == expected + 1 {
                block_frames += 1;
            } else if allocs != expected {
                extra.push((i, allocs, runs, hand_offs));
            }
        }
    }
    assert!(measured > 50, "only {measured} frames measured");
    assert!(
        block_frames <= all_hand_offs / JOBS_PER_QUEUE_BLOCK + 1,
        "{block_frames} frames allocated one more than their runs, meta and hand-offs: more than \
         one queue block per {JOBS_PER_QUEUE_BLOCK} of the {all_hand_offs} hand-offs"
    );
    assert!(
        extra.is_empty(),
        "frames (index, allocations, session runs, pool hand-offs) allocating beyond {per_run} per session run, {META} for the meta and 1 per hand-off: {extra:?}"
    );
}
