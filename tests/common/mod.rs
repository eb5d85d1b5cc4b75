//! Helpers shared by the integration tests: media paths, decoding, running the element.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Once;

use gst::prelude::*;
use gst_video::prelude::*;
use gstfacereenact::face::{FaceLandmarks, FaceTracker};
use gstfacereenact::models::{default_models_dir, FaceModels};
use gstfacereenact::quality::{DrawnLandmarks, DrawnPose};
use gstfacereenact::runtime::ExecutionProvider;
use image::RgbImage;

pub fn init() {
    init_gstreamer();
    if let Err(e) = gstfacereenact::runtime::ensure_loaded() {
        panic!("{e}");
    }
}

/// GStreamer and the plugin, without loading ONNX Runtime (the element loads it when it starts).
pub fn init_gstreamer() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        gst::init().unwrap();
        gstfacereenact::plugin_register_static().expect("register the plugin");
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

/// Real test media in tests/media of the repository (tests/media/README.md gives each file's
/// source and licence), or in $FACEREENACT_SHARED_MEDIA when that is set; `rel` is e.g.
/// "avatar/astronaut_512.png".
pub fn shared_media(rel: &str) -> PathBuf {
    let base = std::env::var_os("FACEREENACT_SHARED_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("tests/media"));
    let p = base.join(rel);
    assert!(
        p.is_file(),
        "{} is missing: the test media are in tests/media of the repository \
         (FACEREENACT_SHARED_MEDIA, when set, replaces that folder)",
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

pub fn sample_to_frame(sample: &gst::Sample) -> Frame {
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

/// Plays `pipeline` to EOS, waiting at most `timeout_s` seconds between two bus messages, and
/// returns the messages of the warnings posted on the way; leaves it in NULL. Panics with the bus
/// error on failure.
pub fn play_to_eos(pipeline: &gst::Element, timeout_s: u64) -> Vec<String> {
    pipeline.set_state(gst::State::Playing).expect("PLAYING");
    let bus = pipeline.bus().unwrap();
    let mut warnings = Vec::new();
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(timeout_s)) {
        match msg.view() {
            gst::MessageView::Eos(..) => break,
            gst::MessageView::Error(e) => {
                pipeline.set_state(gst::State::Null).unwrap();
                panic!("pipeline error: {} ({:?})", e.error(), e.debug());
            }
            gst::MessageView::Warning(w) => warnings.push(w.error().message().to_string()),
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    warnings
}

/// Runs `description` (a gst-launch line ending in `appsink name=sink`) to EOS, handing every
/// sample the sink receives to `on_sample` as it arrives; returns the warnings posted. Panics
/// with the bus error on failure.
pub fn run_to_sink(
    description: &str,
    on_sample: impl FnMut(&gst::Sample) + Send + 'static,
) -> Vec<String> {
    run_to_sink_with(description, |_| {}, 600, on_sample)
}

/// [`run_to_sink`], with `setup` called on the pipeline before it plays (to add probes) and at
/// most `timeout_s` seconds between two bus messages.
pub fn run_to_sink_with(
    description: &str,
    setup: impl FnOnce(&gst::Pipeline),
    timeout_s: u64,
    on_sample: impl FnMut(&gst::Sample) + Send + 'static,
) -> Vec<String> {
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
    setup(&pipeline);
    play_to_eos(pipeline.upcast_ref(), timeout_s)
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

/// A tracker for measuring landmarks on frames (the iris model runs on every frame).
pub fn tracker() -> FaceTracker {
    init();
    FaceModels::load(&default_models_dir(), ExecutionProvider::Cpu, 1)
        .expect("models")
        .measuring_tracker()
}

/// Landmarks of each frame (tracked through the sequence); `None` where no face was found.
pub fn landmarks_of(frames: &[Frame]) -> Vec<Option<FaceLandmarks>> {
    let mut t = tracker();
    frames
        .iter()
        .map(|f| t.track(&f.image, f.par).expect("inference").cloned())
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

/// The share of the pixels where `keep(x, y)` whose channels differ between `a` and `b` by more
/// than 48 levels on average: what an eye sees as changed, above encoding noise.
pub fn share_changed(a: &RgbImage, b: &RgbImage, keep: impl Fn(u32, u32) -> bool) -> f64 {
    let (mut changed, mut n) = (0u64, 0u64);
    for (x, y, pa) in a.enumerate_pixels() {
        if keep(x, y) {
            let pb = b.get_pixel(x, y);
            let d: i32 = (0..3)
                .map(|c| (pa.0[c] as i32 - pb.0[c] as i32).abs())
                .sum();
            changed += u64::from(d > 3 * 48);
            n += 1;
        }
    }
    changed as f64 / n.max(1) as f64
}

/// Runs `launch` until the first error and returns it (panics on EOS without error).
pub fn first_error(launch: &str) -> (gst::glib::Error, String) {
    init_gstreamer();
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

/// Decodes a video file to RGB frames of `width`x`height` (scaled, square pixels), keeping at
/// most the first `max_frames`.
pub fn decode_scaled(path: &Path, width: u32, height: u32, max_frames: usize) -> Vec<Frame> {
    let frames = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = frames.clone();
    run_to_sink(
        &format!(
            "filesrc location=\"{}\" ! decodebin ! videoconvert ! videoscale ! \
             video/x-raw,format=RGB,width={width},height={height},pixel-aspect-ratio=1/1 ! \
             appsink name=sink",
            path.display()
        ),
        move |sample| {
            let mut v = out.lock().unwrap();
            if v.len() < max_frames {
                v.push(sample_to_frame(sample));
            }
        },
    );
    let taken = std::mem::take(&mut *frames.lock().unwrap());
    taken
}

/// An RGBx buffer holding `img`, with the given timestamps.
pub fn rgbx_buffer(
    img: &RgbImage,
    pts: Option<gst::ClockTime>,
    duration: Option<gst::ClockTime>,
) -> gst::Buffer {
    let mut data = Vec::with_capacity(img.width() as usize * img.height() as usize * 4);
    for p in img.pixels() {
        data.extend_from_slice(&[p.0[0], p.0[1], p.0[2], 255]);
    }
    let mut buffer = gst::Buffer::from_mut_slice(data);
    {
        let b = buffer.get_mut().unwrap();
        b.set_pts(pts);
        b.set_duration(duration);
    }
    buffer
}

/// The picture of an RGBx (or RGBA) buffer with caps `caps`.
pub fn rgbx_image(buffer: &gst::Buffer, caps: &gst::Caps) -> RgbImage {
    let info = gst_video::VideoInfo::from_caps(caps).unwrap();
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer.as_ref(), &info).unwrap();
    let stride = frame.plane_stride()[0] as usize;
    let data = frame.plane_data(0).unwrap();
    RgbImage::from_fn(info.width(), info.height(), |x, y| {
        let o = y as usize * stride + x as usize * 4;
        image::Rgb([data[o], data[o + 1], data[o + 2]])
    })
}

/// A harness around a `facereenact` with `avatar` (and `props`, `name=value` pairs), fed RGBx with
/// the caps fields `caps` (e.g. "width=240,height=240,framerate=30/1").
pub fn reenact_harness(avatar: &Path, props: &[(&str, &str)], caps: &str) -> gst_check::Harness {
    init();
    let mut b =
        gst::ElementFactory::make("facereenact").property("avatar", avatar.to_str().unwrap());
    for (k, v) in props {
        b = b.property_from_str(k, v);
    }
    let element = b.build().unwrap();
    let mut h = gst_check::Harness::with_element(&element, Some("sink"), Some("src"));
    h.set_src_caps_str(&format!("video/x-raw,format=RGBx,{caps}"));
    h
}

/// Pushes `img` with the given timestamps through `h` and returns the output frame (one output
/// per input is asserted).
pub fn push_pull(
    h: &mut gst_check::Harness,
    img: &RgbImage,
    pts: Option<gst::ClockTime>,
    duration: Option<gst::ClockTime>,
) -> Frame {
    h.push(rgbx_buffer(img, pts, duration)).expect("push");
    let out = h.pull().expect("one output per input");
    let caps = h.sinkpad().unwrap().current_caps().unwrap();
    Frame {
        image: rgbx_image(&out, &caps),
        pts: out.pts(),
        duration: out.duration(),
        par: 1.0,
    }
}

/// Centre of the rigid points (forehead, nose, eye corners, cheekbones) and eye-corner distance
/// of a face: where the head is and how large.
pub fn head_of(lm: &FaceLandmarks) -> ([f32; 2], f32) {
    use gstfacereenact::motion::pose::RIGID_POINTS;
    let n = RIGID_POINTS.len() as f32;
    let cx = RIGID_POINTS.iter().map(|&i| lm.points[i][0]).sum::<f32>() / n;
    let cy = RIGID_POINTS.iter().map(|&i| lm.points[i][1]).sum::<f32>() / n;
    ([cx, cy], lm.interocular())
}

/// Reruns this test binary with only the test `name`, in a process of its own, with the
/// environment variables `envs` added; asserts that it passed and returns what it printed.
pub fn rerun_alone(name: &str, envs: &[(&str, &std::ffi::OsStr)]) -> String {
    let started = std::time::Instant::now();
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", name, "--nocapture", "--test-threads=1"]);
    for (k, v) in envs {
        command.env(k, v);
    }
    let out = command.output().expect("run the test binary");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "{text}\nchild process: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        out.status.success(),
        "{name} failed in its own process:\n{text}"
    );
    text
}

/// For tests that measure this process's memory: when called in the test `name` as run by
/// `cargo test`, reruns it alone ([`rerun_alone`]: no other test's allocations show in its RSS),
/// asserts that the child printed `marker`, and returns `false`: the caller returns. In the child
/// it returns `true`: the caller runs the test.
pub fn in_own_process(name: &str, marker: &str) -> bool {
    const CHILD: &str = "FACEREENACT_TEST_CHILD";
    if std::env::var_os(CHILD).is_some_and(|v| v == name) {
        return true;
    }
    let text = rerun_alone(name, &[(CHILD, name.as_ref())]);
    assert!(
        text.contains(marker),
        "the child did not run {name}:\n{text}"
    );
    false
}

/// target/<profile>, where cargo puts the plugin's shared library.
pub fn plugin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    assert!(
        dir.join("libgstfacereenact.so").is_file(),
        "{} has no libgstfacereenact.so: run `cargo build` (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// What the element drew, frame by frame, read from its log (see [`capture_drawn`]).
#[derive(Debug, Default)]
pub struct Drawn {
    /// Slot N: frame N's drawn pose (LOG level).
    pub poses: Vec<Option<DrawnPose>>,
    /// Slot N: frame N's drawn landmarks (TRACE level).
    pub landmarks: Vec<Option<DrawnLandmarks>>,
}

/// Puts `value` into slot `i` of `slots`, growing it as needed.
fn put<T: Clone>(slots: &mut Vec<Option<T>>, i: usize, value: T) {
    if slots.len() <= i {
        slots.resize(i + 1, None);
    }
    slots[i] = Some(value);
}

/// Captures the element's `drawn frame N: ...` and `drawn landmarks N: ...` log lines (see
/// [`DrawnPose`], [`DrawnLandmarks`]) for the rest of the process (GStreamer's default log
/// output is switched off).
pub fn capture_drawn() -> std::sync::Arc<std::sync::Mutex<Drawn>> {
    let drawn = std::sync::Arc::new(std::sync::Mutex::new(Drawn::default()));
    let sink = drawn.clone();
    gst::log::remove_default_log_function();
    gst::log::set_threshold_for_name("facereenact", gst::DebugLevel::Trace);
    gst::log::add_log_function(move |cat, _, _, _, _, _, msg| {
        if cat.name() != "facereenact" {
            return;
        }
        let Some(text) = msg.get() else { return };
        let numbered = |prefix: &str| {
            let (frame, rest) = text.strip_prefix(prefix)?.split_once(": ")?;
            Some((frame.parse::<usize>().ok()?, rest))
        };
        if let Some((i, pose)) = numbered("drawn frame ") {
            if let Some(pose) = DrawnPose::parse(pose) {
                put(&mut sink.lock().unwrap().poses, i, pose);
            }
        } else if let Some((i, points)) = numbered("drawn landmarks ") {
            if let Some(points) = DrawnLandmarks::parse(points) {
                put(&mut sink.lock().unwrap().landmarks, i, points);
            }
        }
    });
    drawn
}

/// The tiny LivePortrait set (`tests/data/liveportrait/tiny/`).
pub fn tiny_liveportrait_set() -> PathBuf {
    root().join("tests/data/liveportrait/tiny")
}

/// A LivePortrait set in a fresh folder `name` under the system temp folder: the tiny set's
/// files, without `warping_spade.onnx`, plus `warping` copied as `warping_name`. Sessions are
/// cached per path for the whole process, so each variant needs its own folder.
pub fn tiny_set_with_warping(name: &str, warping: &Path, warping_name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("facereenact-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(tiny_liveportrait_set()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "onnx") && !p.ends_with("warping_spade.onnx") {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(warping, dir.join(warping_name)).unwrap();
    dir
}

/// The tiny set with the same warping network declared at opset 16, as FasterLivePortrait's
/// release declares it (`tests/data/liveportrait/tiny_opset16/`, see its README.md).
pub fn tiny_set_at_opset_16(name: &str) -> PathBuf {
    tiny_set_with_warping(
        name,
        &root().join("tests/data/liveportrait/tiny_opset16/warping_spade.onnx"),
        "warping_spade.onnx",
    )
}

/// Runs the project's Python environment (`scripts/python_env.sh` with the converter's
/// requirements) on `args`; panics with its output when it fails. Returns stdout.
pub fn project_python(args: &[&std::ffi::OsStr]) -> String {
    let python = std::process::Command::new("bash")
        .arg(root().join("scripts/python_env.sh"))
        .arg(root().join("tools/liveportrait/requirements-convert.txt"))
        .output()
        .expect("bash scripts/python_env.sh");
    assert!(
        python.status.success(),
        "scripts/python_env.sh failed: {}",
        String::from_utf8_lossy(&python.stderr)
    );
    let python = String::from_utf8(python.stdout).unwrap().trim().to_string();
    let out = std::process::Command::new(&python)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{python} {args:?} failed: {text}");
    text
}

/// `tools/liveportrait/convert_set.sh IN OUT extra...`, the user's command; panics with its
/// output when it fails. Returns what it printed. OUT is emptied first.
pub fn convert_liveportrait_set(input: &Path, out: &Path, extra: &[&str]) -> String {
    let _ = std::fs::remove_dir_all(out);
    let run = std::process::Command::new("bash")
        .arg(root().join("tools/liveportrait/convert_set.sh"))
        .arg(input)
        .arg(out)
        .args(extra)
        .output()
        .expect("bash tools/liveportrait/convert_set.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        run.status.success(),
        "convert_set.sh {input:?} {out:?} failed: {text}"
    );
    text
}
