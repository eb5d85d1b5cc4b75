//! Helpers shared by the integration tests: media paths, decoding, running the element.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Once;

use gst::prelude::*;
use gst_video::prelude::*;
use gstfacereenact::avatar::AvatarModel;
use gstfacereenact::face::{FaceLandmarks, FaceTracker};
use gstfacereenact::facereenact::face_meta::DrawnFace;
use gstfacereenact::models::{default_models_dir, FaceModels};
use gstfacereenact::motion::pose::{rigid_centroid, Similarity};
use gstfacereenact::motion::TargetPose;
use gstfacereenact::runtime::ExecutionProvider;
use image::RgbImage;
use nalgebra::{Rotation3, Vector3};

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

/// The shared test avatar `avatar/astronaut_512.png` ([`shared_media`]), decoded to RGB
/// (512x512).
pub fn astronaut_picture() -> RgbImage {
    image::open(shared_media("avatar/astronaut_512.png"))
        .unwrap()
        .to_rgb8()
}

/// The avatar model of `avatar/astronaut_512.png`, its face found with a tracker of `models`.
pub fn astronaut_model(models: &FaceModels) -> AvatarModel {
    AvatarModel::load(
        &shared_media("avatar/astronaut_512.png"),
        &mut models.tracker(),
    )
    .unwrap()
}

/// The avatar model of the picture at `path`, its face found with a measuring [`tracker`];
/// panics with the loading error.
pub fn load_avatar(path: &Path) -> AvatarModel {
    AvatarModel::load(path, &mut tracker()).unwrap_or_else(|e| panic!("{e}"))
}

/// `picture` with the alpha `alpha(x, y)` (0 transparent to 255 opaque) at each pixel (x, y):
/// what the tests save as PNG avatars with transparency.
pub fn with_alpha(picture: &RgbImage, alpha: impl Fn(u32, u32) -> u8) -> image::RgbaImage {
    image::RgbaImage::from_fn(picture.width(), picture.height(), |x, y| {
        let p = picture.get_pixel(x, y).0;
        image::Rgba([p[0], p[1], p[2], alpha(x, y)])
    })
}

/// One decoded or produced frame.
pub struct Frame {
    pub image: RgbImage,
    pub pts: Option<gst::ClockTime>,
    pub duration: Option<gst::ClockTime>,
    /// Pixel aspect ratio of the frame's caps.
    pub par: f32,
}

/// A sample of packed RGB video (see [`rgb_image_of`]) as a [`Frame`].
pub fn sample_to_frame(sample: &gst::Sample) -> Frame {
    let caps = sample.caps().expect("caps");
    let info = gst_video::VideoInfo::from_caps(caps).expect("video caps");
    let buffer = sample.buffer().expect("buffer");
    let par = info.par();
    Frame {
        image: rgb_image_of(buffer, &info),
        pts: buffer.pts(),
        duration: buffer.duration(),
        par: par.numer() as f32 / par.denom() as f32,
    }
}

/// Plane 0 of `buffer`, a video frame laid out as `info` says, as an RGBA picture of its width
/// and height: each pixel's red, green, blue and alpha bytes at the format's component offsets,
/// alpha 255 where the format has none. The picture itself for the packed RGB formats (RGB, BGR,
/// RGBx, BGRx, xRGB, RGBA, BGRA, ARGB, ...); for a planar YUV format, only its luma bytes.
pub fn rgba_image_of(buffer: &gst::BufferRef, info: &gst_video::VideoInfo) -> image::RgbaImage {
    plane_0_picture(buffer, info, image::Rgba)
}

/// [`rgba_image_of`] without the alpha: the picture of a packed RGB frame.
pub fn rgb_image_of(buffer: &gst::BufferRef, info: &gst_video::VideoInfo) -> RgbImage {
    plane_0_picture(buffer, info, |[r, g, b, _]| image::Rgb([r, g, b]))
}

/// Plane 0 of `buffer` (see [`rgba_image_of`]), each pixel's [r, g, b, a] made into a `P`.
fn plane_0_picture<P: image::Pixel<Subpixel = u8>>(
    buffer: &gst::BufferRef,
    info: &gst_video::VideoInfo,
    pixel: impl Fn([u8; 4]) -> P,
) -> image::ImageBuffer<P, Vec<u8>> {
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, info).expect("map");
    let finfo = info.format_info();
    let stride = frame.plane_stride()[0] as usize;
    let step = finfo.pixel_stride()[0] as usize;
    let o: Vec<usize> = finfo.poffset().iter().map(|&o| o as usize).collect();
    let has_alpha = finfo.has_alpha();
    let data = frame.plane_data(0).unwrap();
    image::ImageBuffer::from_fn(info.width(), info.height(), |x, y| {
        let p = y as usize * stride + x as usize * step;
        let alpha = if has_alpha { data[p + o[3]] } else { 255 };
        pixel([data[p + o[0]], data[p + o[1]], data[p + o[2]], alpha])
    })
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

/// The gst-launch line of [`reenact`]: `actor` decoded to RGB, `facereenact` with `avatar` and
/// `extra` properties, straight into `appsink name=sink`.
fn reenact_launch(actor: &Path, avatar: &Path, extra: &str) -> String {
    format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! video/x-raw,format=RGB ! \
         facereenact avatar=\"{}\" {extra} ! appsink name=sink",
        actor.display(),
        avatar.display()
    )
}

/// Runs the element on `actor` with `avatar` (plus extra properties) and returns its RGB output.
pub fn reenact(actor: &Path, avatar: &Path, extra: &str) -> Vec<Frame> {
    run_to_frames(&reenact_launch(actor, avatar, extra))
}

/// The face models of the default models folder, on the CPU with one thread per session (ONNX
/// Runtime loaded first).
pub fn face_models() -> FaceModels {
    init();
    FaceModels::load(&default_models_dir(), ExecutionProvider::Cpu, 1).expect("models")
}

/// A tracker for measuring landmarks on frames (the iris model runs on every frame).
pub fn tracker() -> FaceTracker {
    face_models().measuring_tracker()
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

/// The picture of a packed RGB (RGBx, RGBA, ...) buffer with caps `caps` (see [`rgb_image_of`]).
pub fn rgbx_image(buffer: &gst::Buffer, caps: &gst::Caps) -> RgbImage {
    rgb_image_of(buffer, &gst_video::VideoInfo::from_caps(caps).unwrap())
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
    push_pull_drawn(h, img, pts, duration).0
}

/// [`push_pull`], and what the element drew on the output frame ([`drawn_of`]).
pub fn push_pull_drawn(
    h: &mut gst_check::Harness,
    img: &RgbImage,
    pts: Option<gst::ClockTime>,
    duration: Option<gst::ClockTime>,
) -> (Frame, Option<DrawnFace>) {
    h.push(rgbx_buffer(img, pts, duration)).expect("push");
    let out = h.pull().expect("one output per input");
    let caps = h.sinkpad().unwrap().current_caps().unwrap();
    let frame = Frame {
        image: rgbx_image(&out, &caps),
        pts: out.pts(),
        duration: out.duration(),
        par: 1.0,
    };
    (frame, drawn_of(&out))
}

/// Centre of the rigid points (forehead, nose, eye corners, cheekbones) and eye-corner distance
/// of a face: where the head is and how large (pixels).
pub fn head_of(lm: &FaceLandmarks) -> ([f32; 2], f32) {
    head_of_points(&lm.points)
}

/// [`head_of`] 468 (or more) bare landmark points.
pub fn head_of_points(points: &[[f32; 3]]) -> ([f32; 2], f32) {
    use gstfacereenact::motion::pose::RIGID_POINTS;
    let n = RIGID_POINTS.len() as f32;
    let cx = RIGID_POINTS.iter().map(|&i| points[i][0]).sum::<f32>() / n;
    let cy = RIGID_POINTS.iter().map(|&i| points[i][1]).sum::<f32>() / n;
    let (a, b) = (points[33], points[263]);
    let interocular = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    ([cx, cy], interocular)
}

/// `points` (face-mesh landmarks, pixels) turned by `yaw` and `pitch` (degrees) about the
/// centroid of their rigid points, with the rotation as the pose: the target pose
/// `motion::transfer` makes of an avatar's own landmarks for an actor who turns by that much and
/// keeps the expression.
pub fn turned(points: &[[f32; 3]], yaw: f32, pitch: f32) -> TargetPose {
    let c = rigid_centroid(points);
    let r = *Rotation3::from_euler_angles(pitch.to_radians(), yaw.to_radians(), 0.0).matrix();
    let rigid = Similarity {
        scale: 1.0,
        rotation: r,
        translation: c - r * c,
    };
    TargetPose {
        points: points
            .iter()
            .map(|p| rigid.apply(&Vector3::from(*p)).into())
            .collect(),
        rigid,
    }
}

/// Jitter of a landmark sequence: the mean absolute second difference over time of the
/// landmarks `points` (indices; x and y), each frame's in eye-corner distances (at least 1
/// pixel). 0 for a still face; a few thousandths for the landmarker's noise on a still picture.
pub fn landmark_jitter<L: std::borrow::Borrow<FaceLandmarks>>(lms: &[L], points: &[usize]) -> f32 {
    let mut sum = 0.0;
    let mut n = 0;
    for w in lms.windows(3) {
        let (a, b, c) = (w[0].borrow(), w[1].borrow(), w[2].borrow());
        let io = b.interocular().max(1.0);
        for &k in points {
            for i in 0..2 {
                sum += (c.points[k][i] - 2.0 * b.points[k][i] + a.points[k][i]).abs() / io;
                n += 1;
            }
        }
    }
    sum / n.max(1) as f32
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

/// What the element drew on `buffer`, one of its output buffers, when it re-posed the avatar by
/// the actor: its face meta read back ([`DrawnFace::read`]) when the meta says `reenacted`;
/// `None` on a frame where the actor's face was not found (or that carries no face meta).
pub fn drawn_of(buffer: &gst::BufferRef) -> Option<DrawnFace> {
    DrawnFace::read(buffer).filter(|d| d.reenacted)
}

/// [`reenact`], and what the element drew: slot N is [`drawn_of`] its Nth output frame.
pub fn reenact_drawn(
    actor: &Path,
    avatar: &Path,
    extra: &str,
) -> (Vec<Frame>, Vec<Option<DrawnFace>>) {
    let out = std::sync::Arc::new(std::sync::Mutex::new((Vec::new(), Vec::new())));
    let sink = out.clone();
    run_to_sink(&reenact_launch(actor, avatar, extra), move |sample| {
        let mut out = sink.lock().unwrap();
        out.0.push(sample_to_frame(sample));
        out.1.push(sample.buffer().and_then(drawn_of));
    });
    let taken = std::mem::take(&mut *out.lock().unwrap());
    taken
}

/// Runs pipelines/`script` with `args` and the extra environment `envs` (the plugin found in
/// [`plugin_dir`]), killed after `limit_s` seconds (a pipeline that hangs fails its test
/// instead of stalling the suite); returns its exit status and what it wrote to stderr.
pub fn run_script(
    script: &str,
    args: &[&std::ffi::OsStr],
    envs: &[(&str, &str)],
    limit_s: u32,
) -> (std::process::ExitStatus, String) {
    let out = std::process::Command::new("timeout")
        .arg(limit_s.to_string())
        .arg("bash")
        .arg(root().join("pipelines").join(script))
        .args(args)
        .current_dir(root())
        .env("GST_PLUGIN_PATH", plugin_dir())
        .envs(envs.iter().copied())
        .output()
        .expect("bash runs");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
