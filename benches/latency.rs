//! Per-frame processing latency of the element (issue 14): the time each actor frame spends in
//! `facereenact` (from its sink pad to its source pad, measured with pad probes in a running
//! pipeline that decodes in another thread), at 1280x720 and 1920x1080 actors, with the worst
//! kinds of frames made visible: the first frame, frames while no face is in the picture (the
//! bounded search, `search-budget`), the re-detection after a cut, and the frame after an avatar
//! swap (to a picture of another size, so the caps renegotiate).
//!
//!     cargo bench --bench latency          (after scripts/setup.sh)
//!
//! The actor stream, per resolution (concat of three segments, I420, 30 fps):
//! 1. about 150 frames: tests/media/driving/talk_wink_480.mp4 boxed into the frame at the left;
//! 2. 60 frames of black (no face: the element searches the whole frame, a few model runs a
//!    frame);
//! 3. about 240 frames: the same clip boxed at the right (a cut: the face is found again);
//!    at output frame 300 the avatar is swapped from astronaut_512.png to mona_lisa_720x1280.jpg.
//!
//! Frames are told apart by their face meta (`reenacted`): a frame without a face is "no face";
//! the first with one after those, "re-detection". Not a test: it prints the distribution (median, 99th percentile, worst) and the worst frames
//! with what happened in them, and asserts nothing about speed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gst::prelude::*;

#[path = "../tests/common/mod.rs"]
mod common;

/// Frames of each segment (about: `identity eos-after` lets a few more through).
const TRACKED: usize = 150;
const BLACK: usize = 60;
const AFTER_CUT: usize = 240;
/// The frame at which the avatar swap is started (from another thread).
const SWAP_AT: usize = 300;

/// What happened in one frame, read from its face meta (`reenacted`).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    First,
    Tracking,
    NoFace,
    /// The first frame with a face after frames without one.
    Redetection,
}

/// What a frame is, for the report: `kinds[frame]`, or the avatar swap.
fn label(frame: usize, kinds: &[Kind], swapped_at: usize) -> &'static str {
    if frame == swapped_at {
        return "avatar swap";
    }
    match kinds[frame] {
        Kind::First => "first frame",
        Kind::Tracking => "tracking",
        Kind::NoFace => "no face (search)",
        Kind::Redetection => "re-detection after the cut",
    }
}

/// The frame's kind from its buffer's face meta, given the previous frame's kind.
fn kind_of(buffer: &gst::BufferRef, previous: Option<Kind>) -> Kind {
    let reenacted = buffer
        .meta::<gst_video::VideoRegionOfInterestMeta>()
        .and_then(|m| {
            m.param("facereenact/pose")
                .map(|p| p.get::<bool>("reenacted").unwrap_or(false))
        })
        .unwrap_or(false);
    match (previous, reenacted) {
        (None, _) => Kind::First,
        (_, false) => Kind::NoFace,
        (Some(Kind::NoFace), true) => Kind::Redetection,
        (_, true) => Kind::Tracking,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn run(width: u32, height: u32) {
    let clip = common::shared_media("driving/talk_wink_480.mp4");
    let avatar = common::shared_media("avatar/astronaut_512.png");
    let swap_to = common::shared_media("avatar/mona_lisa_720x1280.jpg");
    let caps = format!("video/x-raw,format=I420,width={width},height={height},framerate=30/1");
    // talk_wink_480 boxed into the frame: videobox adds borders (negative crops).
    let boxed = |left: i32, frames: usize| {
        let top = (height as i32 - 480) / 2;
        let right = width as i32 - 480 - left;
        format!(
            "filesrc location=\"{}\" ! decodebin ! videoconvert ! identity eos-after={frames} \
             ! videobox fill=black left={} right={} top={} bottom={} ! videoconvert ! {caps} ! c.",
            clip.display(),
            -left,
            -right,
            -top,
            -(height as i32 - 480 - top)
        )
    };
    let launch = format!(
        "concat name=c ! queue max-size-buffers=4 ! facereenact name=fr avatar=\"{}\" ! fakesink sync=false \
         {} videotestsrc pattern=black num-buffers={BLACK} ! {caps} ! c. {}",
        avatar.display(),
        boxed(width as i32 / 8, TRACKED),
        boxed(width as i32 - 480 - width as i32 / 8, AFTER_CUT),
    );
    common::init();
    let pipeline = gst::parse::launch(&launch)
        .expect("pipeline")
        .downcast::<gst::Pipeline>()
        .unwrap();
    let element = pipeline.by_name("fr").unwrap();
    let entered = Arc::new(Mutex::new(None::<Instant>));
    let times = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let kinds = Arc::new(Mutex::new(Vec::<Kind>::new()));
    // The first frame processed after the swap returned (usize::MAX: not yet).
    let swapped_at = Arc::new(AtomicUsize::new(usize::MAX));
    {
        let entered = entered.clone();
        element
            .static_pad("sink")
            .unwrap()
            .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                *entered.lock().unwrap() = Some(Instant::now());
                gst::PadProbeReturn::Ok
            });
    }
    {
        let (entered, times, swapped_at) = (entered.clone(), times.clone(), swapped_at.clone());
        let kinds = kinds.clone();
        let element = element.clone();
        element.clone().static_pad("src").unwrap().add_probe(
            gst::PadProbeType::BUFFER,
            move |_, info| {
                let took = entered.lock().unwrap().take().map(|t| t.elapsed());
                if let Some(gst::PadProbeData::Buffer(b)) = &info.data {
                    let mut kinds = kinds.lock().unwrap();
                    let k = kind_of(b, kinds.last().copied());
                    kinds.push(k);
                }
                let mut times = times.lock().unwrap();
                times.push(took.unwrap_or_default());
                if times.len() == SWAP_AT {
                    let (element, swap_to, swapped_at) =
                        (element.clone(), swap_to.clone(), swapped_at.clone());
                    std::thread::spawn(move || {
                        element.set_property("avatar", swap_to.to_str().unwrap());
                        // The swap's own work ran on this thread; the frame after it pays the
                        // rest (canvas, renegotiation). Ordering: the probe reads it later.
                        swapped_at.store(usize::MAX - 1, Ordering::SeqCst);
                    });
                }
                if swapped_at.load(Ordering::SeqCst) == usize::MAX - 1 {
                    swapped_at.store(times.len(), Ordering::SeqCst);
                }
                gst::PadProbeReturn::Ok
            },
        );
    }
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(600)) {
        match msg.view() {
            gst::MessageView::Eos(..) => break,
            gst::MessageView::Error(e) => panic!("{} ({:?})", e.error(), e.debug()),
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    let times = times.lock().unwrap().clone();
    let kinds = kinds.lock().unwrap().clone();
    let swapped_at = swapped_at.load(Ordering::SeqCst);
    let mut sorted = times.clone();
    sorted.sort();
    println!(
        "{width}x{height}: {} frames, median {:.1} ms, p99 {:.1} ms, worst {:.1} ms",
        times.len(),
        ms(percentile(&sorted, 0.5)),
        ms(percentile(&sorted, 0.99)),
        ms(*sorted.last().unwrap())
    );
    for kind in [
        "first frame",
        "tracking",
        "no face (search)",
        "re-detection after the cut",
        "avatar swap",
    ] {
        let mut of: Vec<Duration> = times
            .iter()
            .enumerate()
            .filter(|(i, _)| label(*i, &kinds, swapped_at) == kind)
            .map(|(_, t)| *t)
            .collect();
        if of.is_empty() {
            continue;
        }
        of.sort();
        println!(
            "    {kind:<28} {:>4} frames  median {:>6.1} ms  p99 {:>6.1} ms  worst {:>6.1} ms",
            of.len(),
            ms(percentile(&of, 0.5)),
            ms(percentile(&of, 0.99)),
            ms(*of.last().unwrap())
        );
    }
    let mut worst: Vec<(usize, Duration)> = times.iter().copied().enumerate().collect();
    worst.sort_by_key(|w| std::cmp::Reverse(w.1));
    let list: Vec<String> = worst
        .iter()
        .take(5)
        .map(|(i, t)| {
            format!(
                "frame {i} {:.1} ms ({})",
                ms(*t),
                label(*i, &kinds, swapped_at)
            )
        })
        .collect();
    println!("    worst frames: {}", list.join(", "));
}

fn main() {
    for (w, h) in [(1280, 720), (1920, 1080)] {
        run(w, h);
    }
}
