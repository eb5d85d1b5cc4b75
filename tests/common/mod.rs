//! Helpers shared by the integration tests: media paths, decoding, running the element.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Once;

use gst::prelude::*;
use gst_video::prelude::*;
use gstfacereenact::face::{FaceLandmarks, FaceTracker};
use gstfacereenact::models::{default_models_dir, FaceModels};
use gstfacereenact::runtime::ExecutionProvider;
use image::RgbImage;

pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        gst::init().unwrap();
        gstfacereenact::plugin_register_static().expect("register the plugin");
        if let Err(e) = gstfacereenact::runtime::ensure_loaded() {
            panic!("{e}");
        }
    });
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Demo media fetched by scripts/setup.sh.
pub fn demo_media(name: &str) -> PathBuf {
    let p = root().join(".deps/media").join(name);
    assert!(
        p.is_file(),
        "{} is missing: run scripts/setup.sh first",
        p.display()
    );
    p
}

/// Real test media in ../shared/media (or $FACEREENACT_SHARED_MEDIA).
pub fn shared_media(rel: &str) -> PathBuf {
    let base = std::env::var_os("FACEREENACT_SHARED_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/media"));
    let p = base.join(rel);
    assert!(
        p.is_file(),
        "{} is missing: these tests need ../shared/media (or FACEREENACT_SHARED_MEDIA)",
        p.display()
    );
    p
}

/// One decoded or produced frame.
pub struct Frame {
    pub image: RgbImage,
    pub pts: Option<gst::ClockTime>,
    pub duration: Option<gst::ClockTime>,
    /// Pixel aspect ratio of the frame's caps.
    pub par: f32,
}

fn sample_to_frame(sample: &gst::Sample) -> Frame {
    let caps = sample.caps().expect("caps");
    let info = gst_video::VideoInfo::from_caps(caps).expect("video caps");
    let buffer = sample.buffer().expect("buffer");
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info).expect("map");
    let (w, h) = (info.width(), info.height());
    let stride = frame.plane_stride()[0] as usize;
    let data = frame.plane_data(0).unwrap();
    let mut image = RgbImage::new(w, h);
    for y in 0..h as usize {
        image.as_mut()[y * w as usize * 3..(y + 1) * w as usize * 3]
            .copy_from_slice(&data[y * stride..y * stride + w as usize * 3]);
    }
    let par = info.par();
    Frame {
        image,
        pts: buffer.pts(),
        duration: buffer.duration(),
        par: par.numer() as f32 / par.denom() as f32,
    }
}

/// Runs `description` (a gst-launch line ending in `appsink name=sink`) to EOS, handing every
/// sample the sink receives to `on_sample` as it arrives. Panics with the bus error on failure.
pub fn run_to_sink(description: &str, on_sample: impl FnMut(&gst::Sample) + Send + 'static) {
    init();
    let pipeline = gst::parse::launch(description)
        .expect("pipeline")
        .downcast::<gst::Pipeline>()
        .unwrap();
    let sink = pipeline
        .by_name("sink")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    sink.set_property("sync", false);
    let on_sample = std::sync::Mutex::new(on_sample);
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |s| {
                let sample = s.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                (on_sample.lock().unwrap())(&sample);
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    pipeline.set_state(gst::State::Playing).expect("PLAYING");
    let bus = pipeline.bus().unwrap();
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(600)) {
        match msg.view() {
            gst::MessageView::Eos(..) => break,
            gst::MessageView::Error(e) => {
                pipeline.set_state(gst::State::Null).unwrap();
                panic!("pipeline error: {} ({:?})", e.error(), e.debug());
            }
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
}

/// Runs `description` (a gst-launch line ending in `appsink name=sink`) to EOS and returns every
/// frame the sink received. Panics with the bus error on failure.
pub fn run_to_frames(description: &str) -> Vec<Frame> {
    let frames = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = frames.clone();
    run_to_sink(description, move |sample| {
        out.lock().unwrap().push(sample_to_frame(sample))
    });
    let taken = std::mem::take(&mut *frames.lock().unwrap());
    taken
}

/// A field of /proc/self/status in KiB (`"VmRSS:"` resident size, `"VmHWM:"` its peak); 0 when
/// unavailable.
pub fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Decodes a video file to RGB frames.
pub fn decode(path: &Path) -> Vec<Frame> {
    run_to_frames(&format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink",
        path.display()
    ))
}

/// Runs the element on `actor` with `avatar` (plus extra properties) and returns its RGB output.
pub fn reenact(actor: &Path, avatar: &Path, extra: &str) -> Vec<Frame> {
    run_to_frames(&format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! video/x-raw,format=RGB ! \
         facereenact avatar=\"{}\" {extra} ! appsink name=sink",
        actor.display(),
        avatar.display()
    ))
}

/// A tracker for measuring landmarks on frames.
pub fn tracker() -> FaceTracker {
    init();
    FaceModels::load(&default_models_dir(), ExecutionProvider::Cpu, 1)
        .expect("models")
        .tracker()
}

/// Landmarks of each frame (tracked through the sequence); `None` where no face was found.
pub fn landmarks_of(frames: &[Frame]) -> Vec<Option<FaceLandmarks>> {
    let mut t = tracker();
    frames
        .iter()
        .map(|f| t.track(&f.image, f.par).expect("inference"))
        .collect()
}

/// Mean absolute difference per channel value (0..255) between `a` and `b` over the pixels where
/// `keep(x, y)` is true.
pub fn mean_abs_diff(a: &RgbImage, b: &RgbImage, keep: impl Fn(u32, u32) -> bool) -> f64 {
    let (mut sum, mut n) = (0u64, 0u64);
    for (x, y, pa) in a.enumerate_pixels() {
        if keep(x, y) {
            let pb = b.get_pixel(x, y);
            for c in 0..3 {
                sum += (pa.0[c] as i64 - pb.0[c] as i64).unsigned_abs();
            }
            n += 3;
        }
    }
    sum as f64 / n.max(1) as f64
}

/// Runs `launch` until the first error and returns it (panics on EOS without error).
pub fn first_error(launch: &str) -> (gst::glib::Error, String) {
    init();
    let pipeline = gst::parse::launch(launch).unwrap();
    let _ = pipeline.set_state(gst::State::Playing);
    let bus = pipeline.bus().unwrap();
    let found = loop {
        let msg = bus
            .timed_pop(gst::ClockTime::from_seconds(60))
            .expect("no error within 60 s");
        match msg.view() {
            gst::MessageView::Error(e) => {
                break (
                    e.error(),
                    e.debug().map(|d| d.to_string()).unwrap_or_default(),
                )
            }
            gst::MessageView::Eos(_) => panic!("reached EOS without an error"),
            _ => {}
        }
    };
    pipeline.set_state(gst::State::Null).unwrap();
    found
}

/// A fresh folder for this test thread's files, under the system temp folder.
pub fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "facereenact-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
