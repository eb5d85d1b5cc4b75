//! GStreamer glue of `facereenact`: caps, properties, buffers, errors. No maths here.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;
use gst_video::prelude::*;
use gst_video::subclass::prelude::*;
use image::RgbImage;
use once_cell::sync::Lazy;

use super::face_meta;
use super::{
    ActorChoiceChoice, AlphaChoice, ExecutionProviderChoice, MotionReferenceChoice,
    MotionRegionChoice,
};
use crate::avatar::{AlphaRequest, AvatarError, AvatarModel};
use crate::engine::{EngineSettings, FrameOutcome, MeshEngine, NeuralEngine, ReenactEngine};
use crate::face::human_likeness;
use crate::face::search::DEFAULT_BUDGET;
use crate::face::{FrameRegion, TrackOptions};
use crate::models::{default_models_dir, person_segmenter, FaceModels};
use crate::motion::rest::{DEFAULT_HOLD_SECONDS, REST_EASE_SECONDS};
use crate::motion::{MotionSettings, OneEuroParams};
use crate::neural::lip_normalization::open_mouth_left_open;
use crate::neural::model_set::LivePortraitModels;
use crate::output_size::{capped, other_side, SizeRule, DEFAULT_MAX_SIDE};
use crate::quality::{DrawnLandmarks, DrawnPose};
use crate::runtime::RuntimeError;
use crate::video::write::{write_rect, AlphaOut, Canvas};
use crate::video::{FrameView, FrameViewMut, Layout, Rect, YuvMatrix};

static CAT: Lazy<gst::DebugCategory> = Lazy::new(|| {
    gst::DebugCategory::new(
        "facereenact",
        gst::DebugColorFlags::empty(),
        Some("Face reenactment"),
    )
});

/// Formats accepted on the sink pad and produced on the source pad (the output keeps the input's
/// format): what decoders and cameras produce (I420, NV12), read in place, and packed RGB.
const FORMATS: [gst_video::VideoFormat; 12] = [
    gst_video::VideoFormat::I420,
    gst_video::VideoFormat::Nv12,
    gst_video::VideoFormat::Rgbx,
    gst_video::VideoFormat::Bgrx,
    gst_video::VideoFormat::Xrgb,
    gst_video::VideoFormat::Xbgr,
    gst_video::VideoFormat::Rgba,
    gst_video::VideoFormat::Bgra,
    gst_video::VideoFormat::Argb,
    gst_video::VideoFormat::Abgr,
    gst_video::VideoFormat::Rgb,
    gst_video::VideoFormat::Bgr,
];

/// The formats with an alpha channel offered first on the source pad when `alpha` is not opaque
/// (straight alpha; what `compositor` and `videoconvert` take).
const ALPHA_FORMATS: [gst_video::VideoFormat; 4] = [
    gst_video::VideoFormat::Rgba,
    gst_video::VideoFormat::Bgra,
    gst_video::VideoFormat::Argb,
    gst_video::VideoFormat::Abgr,
];

const DEFAULT_EXPRESSION_MULTIPLIER: f64 = 1.0;
const DEFAULT_ADAPT_SCALE: bool = true;
const DEFAULT_SMOOTHING: bool = true;
const DEFAULT_MIN_CUTOFF: f64 = 1.0;
const DEFAULT_BETA: f64 = 15.0;
/// One intra-op thread: these models are small (4 ms), and on a 2-core machine more threads
/// compete with decoding and encoding in the same pipeline (1008 frames of talk_wink_480 through
/// the conversion pipeline: 14.2 s with 1 thread, 19.9 s with ONNX Runtime's choice, 25.6 s with 2).
const DEFAULT_THREADS: u32 = 1;
/// Threads drawing the head region: 0 = by its size (one per 0.4 megapixels, at most one per
/// core, see [`crate::engine::mesh::AUTO_PIXELS_PER_THREAD`]).
const DEFAULT_RENDER_THREADS: u32 = 0;
/// A warning is posted after this many consecutive actor frames without a face (2 s at 30 fps).
const NO_FACE_WARNING_FRAMES: u64 = 60;
/// Highest `actor-face` and `avatar-face` rank.
const MAX_FACE_RANK: u32 = 31;
/// `processing-deadline` when it is automatic (0) and the input's frame rate is unknown or
/// variable: one frame at 30 fps.
const FALLBACK_DEADLINE: gst::ClockTime = gst::ClockTime::from_nseconds(33_333_333);
/// Least time between two warnings about frames over the processing deadline.
const LATE_WARNING_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
struct Settings {
    avatar: Option<PathBuf>,
    avatar_face: u32,
    alpha: AlphaChoice,
    /// `models-dir`; `None`: [`default_models_dir`].
    models_dir: Option<PathBuf>,
    /// `engine`: `None` for the embedded mesh engine, else the LivePortrait model set's folder.
    engine: Option<PathBuf>,
    execution_provider: ExecutionProviderChoice,
    inference_threads: u32,
    render_threads: u32,
    iris_reuse: bool,
    expression_multiplier: f64,
    adapt_scale: bool,
    motion_region: MotionRegionChoice,
    motion_reference: MotionReferenceChoice,
    smoothing: bool,
    min_cutoff: f64,
    beta: f64,
    /// `actor-region` as set, and what it reads as: `Ok(None)` for the whole frame, `Err` with
    /// why it does not read (start() fails with it).
    actor_region: (String, Result<Option<FrameRegion>, String>),
    actor_face: u32,
    actor_choice: ActorChoiceChoice,
    search_budget: u32,
    hold_time: f64,
    /// `processing-deadline`, nanoseconds; 0 = one frame of the input.
    processing_deadline: u64,
    /// `output-max-side`: cap on the long side of an unconstrained output, pixels; 0: none.
    output_max_side: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            avatar: None,
            avatar_face: 0,
            alpha: AlphaChoice::Opaque,
            models_dir: None,
            engine: None,
            execution_provider: ExecutionProviderChoice::default(),
            inference_threads: DEFAULT_THREADS,
            render_threads: DEFAULT_RENDER_THREADS,
            iris_reuse: true,
            expression_multiplier: DEFAULT_EXPRESSION_MULTIPLIER,
            adapt_scale: DEFAULT_ADAPT_SCALE,
            motion_region: MotionRegionChoice::All,
            motion_reference: MotionReferenceChoice::Camera,
            smoothing: DEFAULT_SMOOTHING,
            min_cutoff: DEFAULT_MIN_CUTOFF,
            beta: DEFAULT_BETA,
            actor_region: (String::new(), Ok(None)),
            actor_face: 0,
            actor_choice: ActorChoiceChoice::Largest,
            search_budget: DEFAULT_BUDGET as u32,
            hold_time: DEFAULT_HOLD_SECONDS as f64,
            processing_deadline: 0,
            output_max_side: DEFAULT_MAX_SIDE,
        }
    }
}

impl Settings {
    /// The face models' folder: `models-dir`, else the default ([`default_models_dir`]).
    fn models_dir(&self) -> PathBuf {
        self.models_dir.clone().unwrap_or_else(default_models_dir)
    }

    fn engine_settings(&self) -> EngineSettings {
        EngineSettings {
            motion: MotionSettings {
                expression_multiplier: self.expression_multiplier as f32,
                adapt_scale: self.adapt_scale,
                region: self.motion_region.into(),
                reference: self.motion_reference.into(),
            },
            render_threads: self.render_threads as usize,
            tracking: TrackOptions {
                region: self.actor_region.1.clone().ok().flatten(),
                rank: self.actor_face as usize,
                search_budget: self.search_budget as usize,
                // Set per frame in a live stream (see search_time_for).
                search_time: None,
                choice: self.actor_choice.into(),
            },
            hold_seconds: if self.hold_time < 0.0 {
                f32::INFINITY
            } else {
                self.hold_time as f32
            },
            smoothing: self.smoothing.then(|| OneEuroParams {
                min_cutoff: self.min_cutoff as f32,
                beta: self.beta as f32,
                ..OneEuroParams::default()
            }),
        }
    }
}

struct State {
    models: FaceModels,
    engine: Box<dyn ReenactEngine>,
    avatar: Arc<AvatarModel>,
    /// The avatar picture in the output's layout, copied into every output frame before the
    /// engine's changed rectangle is written over it. `None` after an avatar change.
    canvas: Option<Canvas>,
    frames: u64,
    frames_without_face: u64,
    /// Consecutive actor frames without a face so far.
    faceless_run: u64,
    /// Whether the last frame re-posed the avatar from an actor face.
    reenacted: bool,
    /// Size and pixel aspect ratio of the last actor frame.
    actor_frame: (u32, u32, f32),
    /// The processing deadline in force ([`deadline_for`] the input's frame rate).
    deadline: gst::ClockTime,
    /// What a face search may spend per live frame ([`search_time_for`]).
    search_time: Duration,
    /// Whether the negotiated output format has an alpha channel.
    output_alpha: bool,
    /// Whether upstream is live (from the last latency query): only then can a frame be late.
    live: bool,
    /// Frames that took longer than the processing deadline, the longest time a frame took, the
    /// number of the frame that took it (of all frames, and of the late ones), and when the last
    /// warning about them was posted.
    late_frames: u64,
    longest: (Duration, u64),
    longest_late: (Duration, u64),
    last_late_warning: Option<Instant>,
    /// The output size last said on the bus to differ from the avatar picture's.
    size_reported: Option<(u32, u32)>,
}

#[derive(Default)]
pub struct FaceReenact {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
}

/// The GStreamer error domain and code of a problem, to post it as an error or a warning.
#[derive(Debug, Clone, Copy)]
enum ErrorCode {
    Core(gst::CoreError),
    Resource(gst::ResourceError),
    Stream(gst::StreamError),
    Library(gst::LibraryError),
}

impl ErrorCode {
    /// An error message with `text`, for a `Result` GStreamer posts (start, a flow error).
    fn message(self, text: &str) -> gst::ErrorMessage {
        match self {
            ErrorCode::Core(c) => gst::error_msg!(c, ("{}", text)),
            ErrorCode::Resource(c) => gst::error_msg!(c, ("{}", text)),
            ErrorCode::Stream(c) => gst::error_msg!(c, ("{}", text)),
            ErrorCode::Library(c) => gst::error_msg!(c, ("{}", text)),
        }
    }

    /// The same as a GLib error, to post as a warning.
    fn glib_error(self, text: &str) -> glib::Error {
        match self {
            ErrorCode::Core(c) => glib::Error::new(c, text),
            ErrorCode::Resource(c) => glib::Error::new(c, text),
            ErrorCode::Stream(c) => glib::Error::new(c, text),
            ErrorCode::Library(c) => glib::Error::new(c, text),
        }
    }
}

fn runtime_error_code(e: &RuntimeError) -> ErrorCode {
    match e {
        RuntimeError::Library(_) => ErrorCode::Library(gst::LibraryError::Init),
        RuntimeError::ModelMissing(_) => ErrorCode::Resource(gst::ResourceError::NotFound),
        // An engine folder that is not there (or not a folder), as a missing avatar is.
        RuntimeError::ModelSet(dir, _) if !dir.is_dir() => {
            ErrorCode::Resource(gst::ResourceError::NotFound)
        }
        RuntimeError::ModelInvalid(..)
        | RuntimeError::ModelChecksum(..)
        | RuntimeError::ModelSet(..) => ErrorCode::Resource(gst::ResourceError::OpenRead),
        RuntimeError::Provider(..) => ErrorCode::Library(gst::LibraryError::Settings),
        RuntimeError::Inference(_) => ErrorCode::Library(gst::LibraryError::Failed),
    }
}

fn runtime_error_message(e: &RuntimeError) -> gst::ErrorMessage {
    runtime_error_code(e).message(&e.to_string())
}

fn avatar_error_code(e: &AvatarError) -> ErrorCode {
    match e {
        AvatarError::NotFound(_) => ErrorCode::Resource(gst::ResourceError::NotFound),
        AvatarError::Decode(..) | AvatarError::TooLarge(..) => {
            ErrorCode::Resource(gst::ResourceError::OpenRead)
        }
        // The header was read: the file ends or breaks part-way through its pixel data.
        AvatarError::Damaged(..) => ErrorCode::Resource(gst::ResourceError::Read),
        AvatarError::NoFace(_) | AvatarError::NoSuchFace(..) | AvatarError::NoFaceAtSize(..) => {
            ErrorCode::Stream(gst::StreamError::Format)
        }
        AvatarError::OutputTooLarge(..) => ErrorCode::Core(gst::CoreError::Negotiation),
        AvatarError::Runtime(r) => runtime_error_code(r),
    }
}

fn avatar_error_message(e: &AvatarError) -> gst::ErrorMessage {
    avatar_error_code(e).message(&e.to_string())
}

/// The colour matrix of a YUV stream's colorimetry (BT.709, BT.2020, else BT.601, which is also
/// what `videoconvert` assumes for unknown SD colorimetry), full range when the caps say 0-255.
fn yuv_matrix(info: &gst_video::VideoInfo) -> YuvMatrix {
    let c = info.colorimetry();
    let m = match c.matrix() {
        gst_video::VideoColorMatrix::Bt709 => YuvMatrix::BT709,
        gst_video::VideoColorMatrix::Bt2020 => YuvMatrix::BT2020,
        _ => YuvMatrix::BT601,
    };
    if c.range() == gst_video::VideoColorRange::Range0_255 {
        m.full()
    } else {
        m
    }
}

/// How the engine reads and writes frames of `info`'s format; `None` for a format outside
/// [`FORMATS`].
fn layout_of(info: &gst_video::VideoInfo) -> Option<Layout> {
    match info.format() {
        gst_video::VideoFormat::I420 => Some(Layout::I420(yuv_matrix(info))),
        gst_video::VideoFormat::Nv12 => Some(Layout::Nv12(yuv_matrix(info))),
        f if FORMATS.contains(&f) => {
            let finfo = info.format_info();
            let o = finfo.poffset();
            Some(Layout::Packed {
                pixel_stride: finfo.pixel_stride()[0] as usize,
                offsets: [o[0] as usize, o[1] as usize, o[2] as usize],
            })
        }
        _ => None,
    }
}

/// The time a face search may spend in one frame of a live stream: [`SEARCH_SHARE`] of the
/// deadline or of the frame's duration (`frame`, else [`FALLBACK_DEADLINE`]), whichever is
/// shorter: a deadline longer than a frame absorbs a slow frame, not a sustained rate.
fn search_time_for(deadline: gst::ClockTime, frame: Option<gst::ClockTime>) -> Duration {
    let period = frame.unwrap_or(FALLBACK_DEADLINE).min(deadline);
    Duration::from_nanos(period.nseconds()).mul_f64(SEARCH_SHARE)
}

/// The processing deadline: `processing-deadline` (`set`, nanoseconds) when not 0, else one
/// frame of the input (`frame`, when its frame rate is fixed), else [`FALLBACK_DEADLINE`].
fn deadline_for(set: u64, frame: Option<gst::ClockTime>) -> gst::ClockTime {
    if set > 0 {
        gst::ClockTime::from_nseconds(set)
    } else {
        frame.unwrap_or(FALLBACK_DEADLINE)
    }
}

/// How an alpha (`None`: the avatar has none) is written: as such where the output format
/// carries one (`carried`), else composited over white.
fn alpha_out(alpha: Option<&RgbImage>, carried: bool) -> AlphaOut<'_> {
    match (alpha, carried) {
        (Some(a), true) => AlphaOut::Straight(a),
        (Some(a), false) => AlphaOut::OverWhite(a),
        (None, _) => AlphaOut::Opaque,
    }
}

fn plane_error(what: &str, e: impl std::fmt::Display) -> gst::ErrorMessage {
    gst::error_msg!(
        gst::StreamError::Format,
        ("{what} frame does not match its caps: {e}")
    )
}

/// A read view of a mapped frame, without copying it.
fn view_of<'a>(
    frame: &'a gst_video::VideoFrameRef<&gst::BufferRef>,
) -> Result<FrameView<'a>, gst::ErrorMessage> {
    let layout =
        layout_of(frame.info()).ok_or_else(|| plane_error("actor", "unsupported format"))?;
    let strides = frame.plane_stride();
    let mut planes: [(&[u8], usize); 3] = [(&[], 0); 3];
    for (k, plane) in planes.iter_mut().enumerate().take(layout.planes()) {
        *plane = (
            frame.plane_data(k as u32).unwrap_or(&[]),
            strides[k] as usize,
        );
    }
    let planes = &planes[..layout.planes()];
    FrameView::new(frame.width(), frame.height(), layout, planes)
        .map_err(|e| plane_error("actor", e))
}

/// A write view of a mapped output frame.
fn view_mut_of<'a>(
    frame: &'a mut gst_video::VideoFrameRef<&mut gst::BufferRef>,
) -> Result<FrameViewMut<'a>, gst::ErrorMessage> {
    let layout =
        layout_of(frame.info()).ok_or_else(|| plane_error("output", "unsupported format"))?;
    let (w, h) = (frame.width(), frame.height());
    let mut strides = [0i32; 4];
    let given = frame.plane_stride();
    strides[..given.len().min(4)].copy_from_slice(&given[..given.len().min(4)]);
    let planes = frame
        .planes_data_mut()
        .into_iter()
        .zip(strides)
        .map(|(d, s)| (d, s as usize))
        .take(layout.planes());
    FrameViewMut::new(w, h, layout, planes).map_err(|e| plane_error("output", e))
}

impl FaceReenact {
    /// Loads the avatar at `path` prepared at the size `rule` gives it (the picture is scaled
    /// once, here).
    fn load_avatar(
        &self,
        path: &Path,
        models: &FaceModels,
        rule: SizeRule,
    ) -> Result<AvatarModel, AvatarError> {
        let settings = self.settings.lock().unwrap().clone();
        let (face, alpha) = (settings.avatar_face as usize, settings.alpha);
        let mut tracker = models.tracker();
        // The segmentation model is loaded only for a matte (its session is cached per process).
        let mut segmenter = None;
        if alpha == AlphaChoice::Matte {
            segmenter = Some(
                person_segmenter(
                    &settings.models_dir(),
                    settings.execution_provider.into(),
                    settings.inference_threads as usize,
                )
                .map_err(AvatarError::Runtime)?,
            );
        }
        let request = match (alpha, segmenter.as_mut()) {
            (AlphaChoice::Picture, _) => AlphaRequest::Picture,
            (AlphaChoice::Matte, Some(s)) => AlphaRequest::Matte(s),
            _ => AlphaRequest::Opaque,
        };
        let avatar = AvatarModel::load_sized(path, &mut tracker, face, request, rule)?;
        if alpha == AlphaChoice::Picture && avatar.alpha.is_none() {
            gst::element_imp_warning!(
                self,
                gst::StreamError::Format,
                (
                    "alpha=picture but avatar picture {} has no alpha channel: the output is opaque \
                     (use a PNG with transparency, or alpha=matte to cut the person out)",
                    path.display()
                )
            );
        }
        let presence = avatar.landmarks.presence;
        if !human_likeness::looks_human(presence) {
            gst::element_imp_warning!(
                self,
                gst::StreamError::Format,
                (
                    "the face in avatar picture {} looks little like a human face (landmark confidence {:.2}; \
                     human faces give {} or more): the animation may put human features on it (the actor's teeth \
                     in its mouth, human eyelids). Use a picture of a human face, or motion-region=pose to move \
                     only its head",
                    path.display(),
                    presence,
                    human_likeness::HUMAN_FACE_MIN_PRESENCE
                )
            );
        }
        gst::info!(
            CAT,
            imp = self,
            "avatar {} loaded: {}x{} (the picture is {}x{})",
            path.display(),
            avatar.size().0,
            avatar.size().1,
            avatar.picture_size.0,
            avatar.picture_size.1
        );
        Ok(avatar)
    }

    /// A new avatar while running: load it on the calling thread, swap it in, renegotiate if its
    /// size differs. A bad file keeps the old avatar and posts a warning.
    fn swap_avatar(&self, path: PathBuf) {
        let Some(models) = self
            .state
            .lock()
            .unwrap()
            .as_ref()
            .map(|s| s.models.clone())
        else {
            return; // not started: start() loads it
        };
        let max_side = self.settings.lock().unwrap().output_max_side;
        match self.load_avatar(&path, &models, SizeRule::Capped(max_side)) {
            Ok(avatar) => {
                let mut guard = self.state.lock().unwrap();
                let Some(state) = guard.as_mut() else { return };
                let resized = state.avatar.size() != avatar.size();
                state.avatar = Arc::new(avatar);
                state.canvas = None;
                state.engine.avatar_changed();
                drop(guard);
                if resized {
                    self.obj().reconfigure_src();
                }
            }
            Err(e) => {
                // The same domain and code as the error at start, as a warning.
                let text = format!("keeping the previous avatar: {e}");
                gst::warning!(CAT, imp = self, "{text}");
                let warning = avatar_error_code(&e).glib_error(&text);
                let _ = self.obj().post_message(
                    gst::message::Warning::builder_from_error(warning)
                        .src(&*self.obj())
                        .build(),
                );
                self.restore_avatar_setting(Some(&path));
            }
        }
    }

    /// After an avatar change that was refused (to `refused`; `None`: unset): the `avatar`
    /// property reads back the avatar in use again, unless it was set once more meanwhile.
    fn restore_avatar_setting(&self, refused: Option<&Path>) {
        let Some(in_use) = self
            .state
            .lock()
            .unwrap()
            .as_ref()
            .map(|s| s.avatar.path.clone())
        else {
            return;
        };
        let mut settings = self.settings.lock().unwrap();
        if settings.avatar.as_deref() != refused {
            return;
        }
        settings.avatar = Some(in_use);
        drop(settings);
        self.obj().notify("avatar");
    }

    /// The width and height downstream's caps fix (every structure the same), if they do.
    fn downstream_size(&self) -> Option<(u32, u32)> {
        let caps = self.obj().src_pad().peer_query_caps(None);
        if caps.is_any() || caps.is_empty() {
            return None;
        }
        let mut size = None;
        for s in caps.iter() {
            let w = s.get::<i32>("width").ok().filter(|&w| w > 0)? as u32;
            let h = s.get::<i32>("height").ok().filter(|&h| h > 0)? as u32;
            if size.is_some_and(|seen| seen != (w, h)) {
                return None;
            }
            size = Some((w, h));
        }
        size
    }

    /// The avatar picture's own size and the output size it prefers (its size up to
    /// `output-max-side`), once started.
    fn preferred_size(&self) -> Option<((u32, u32), (u32, u32))> {
        let max_side = self.settings.lock().unwrap().output_max_side;
        let picture = self.state.lock().unwrap().as_ref()?.avatar.picture_size;
        Some((picture, capped(picture, max_side)))
    }

    /// Prepares the avatar in use again at the output's `size` when it has another (downstream
    /// asked for a size, or an avatar change kept the caps): the picture is decoded and scaled
    /// once, its face found again on the scaled picture, and the engine starts over with it.
    /// Says on the bus why the output's size differs from the picture's. Errors: the avatar's,
    /// as at start.
    fn fit_avatar(&self, size: (u32, u32)) -> Result<(), gst::ErrorMessage> {
        let Some((models, path, current)) = self
            .state
            .lock()
            .unwrap()
            .as_ref()
            .map(|s| (s.models.clone(), s.avatar.path.clone(), s.avatar.size()))
        else {
            return Ok(());
        };
        if current != size {
            let avatar = self
                .load_avatar(&path, &models, SizeRule::Exact(size.0, size.1))
                .map_err(|e| avatar_error_message(&e))?;
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else {
                return Ok(());
            };
            state.avatar = Arc::new(avatar);
            state.canvas = None;
            state.engine.avatar_changed();
            state
                .engine
                .prepare(&state.avatar)
                .map_err(|e| runtime_error_message(&e))?;
        }
        self.report_size(size);
        Ok(())
    }

    /// Posts an info message when the output's `size` is not the avatar picture's own (padded to
    /// even), once per size: from which size, to which, why, and how to change it.
    fn report_size(&self, size: (u32, u32)) {
        let max_side = self.settings.lock().unwrap().output_max_side;
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else { return };
        let (pw, ph) = state.avatar.picture_size;
        if size == capped((pw, ph), 0) || state.size_reported == Some(size) {
            return;
        }
        state.size_reported = Some(size);
        let path = state.avatar.path.clone();
        drop(guard);
        let (w, h) = size;
        let text = if max_side != 0 && size == capped((pw, ph), max_side) {
            format!(
                "avatar picture {} is {pw}x{ph}: the output is scaled to {w}x{h}, its long side capped by \
                 output-max-side={max_side}. Set output-max-side=0 to keep the picture's size, or ask for a size \
                 with a caps filter after facereenact (e.g. video/x-raw,width=1920,height=1080)",
                path.display()
            )
        } else {
            let placed = crate::output_size::fit((pw, ph), size);
            // A side left to the picture's aspect ratio pads at most a pixel's rounding.
            let padding = if placed.width + 2 >= w && placed.height + 2 >= h {
                "its aspect ratio kept"
            } else {
                "whole and centred, the rest padded with the colour of its edges (transparent with an alpha)"
            };
            format!(
                "avatar picture {} is {pw}x{ph}: the output is {w}x{h} as downstream asked; the picture is \
                 scaled once, {padding}",
                path.display()
            )
        };
        gst::info!(CAT, imp = self, "{text}");
        // The text in the debug field too: gst-launch-1.0 -m prints only that of an info.
        gst::element_imp_info!(
            self,
            gst::CoreError::Negotiation,
            ("{}", text),
            ["{}", text]
        );
    }

    fn reset_reference(&self) {
        if let Some(state) = self.state.lock().unwrap().as_mut() {
            state.engine.reset_reference();
        }
    }

    /// The processing deadline in force (while stopped, the one the element will start with).
    fn deadline(&self) -> gst::ClockTime {
        let set = self.settings.lock().unwrap().processing_deadline;
        self.state
            .lock()
            .unwrap()
            .as_ref()
            .map_or_else(|| deadline_for(set, None), |s| s.deadline)
    }

    /// After a frame that took `elapsed`: adds the face meta to `outbuf` and, in a live stream,
    /// counts the frame late when it took longer than the deadline, with a warning at most every
    /// [`LATE_WARNING_INTERVAL`].
    fn finish_frame(&self, outbuf: &mut gst::BufferRef, elapsed: Duration) {
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else { return };
        let deadline = Duration::from_nanos(state.deadline.nseconds());
        if let Some(pose) = state.engine.drawn_pose() {
            let (w, h, par) = state.actor_frame;
            let actor = state
                .engine
                .actor_landmarks()
                .filter(|_| state.reenacted)
                .map(|points| (points, w, h, par));
            face_meta::attach(outbuf, state.avatar.size(), pose, state.reenacted, actor);
        }
        let frame = state.frames.saturating_sub(1);
        gst::debug!(CAT, imp = self, "actor frame {frame} took {elapsed:?}");
        if elapsed > state.longest.0 {
            state.longest = (elapsed, frame);
        }
        // A file read as fast as it goes has no deadline: only a live stream's frames are late.
        if elapsed <= deadline || !state.live {
            return;
        }
        state.late_frames += 1;
        if elapsed > state.longest_late.0 {
            state.longest_late = (elapsed, frame);
        }
        let now = Instant::now();
        if state
            .last_late_warning
            .is_some_and(|t| now.duration_since(t) < LATE_WARNING_INTERVAL)
        {
            return;
        }
        state.last_late_warning = Some(now);
        let (late, longest) = (state.late_frames, state.longest_late);
        let searching = !state.reenacted;
        let advice = state.engine.speed_advice(searching);
        drop(guard);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        gst::element_imp_warning!(
            self,
            gst::CoreError::Clock,
            (
                "actor frame {} took {:.3} ms in facereenact ({}), over its processing deadline of {:.3} ms \
                 (frames over it so far: {}; the longest of them took {:.3} ms, frame {}): a live sink may drop such frames. \
                 Raise processing-deadline (nanoseconds; 0 = one frame), or {}",
                frame,
                ms(elapsed),
                if searching { "no face followed: searching" } else { "a face followed" },
                ms(deadline),
                late,
                ms(longest.0),
                longest.1,
                advice
            )
        );
    }
}

/// Share of a live frame's time (see [`search_time_for`]) a face search may spend (the rest is
/// for the tracking attempt before it, the rendering and the conversions).
const SEARCH_SHARE: f64 = 0.5;

#[glib::object_subclass]
impl ObjectSubclass for FaceReenact {
    const NAME: &'static str = "GstFaceReenact";
    type Type = super::FaceReenact;
    type ParentType = gst_video::VideoFilter;
}

impl ObjectImpl for FaceReenact {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: Lazy<Vec<glib::ParamSpec>> = Lazy::new(|| {
            vec![
                glib::ParamSpecString::builder("avatar")
                    .nick("Avatar")
                    .blurb(
                        "Path of the avatar picture (PNG or JPEG with one human face, at most 16384 pixels a side and \
                         64 megapixels). The output has the size downstream asks for (a caps filter with width and height after \
                         the element: the picture is scaled once, whole and centred, the rest padded with its edges' colour); \
                         unconstrained, the picture's size up to output-max-side on its long side, padded to even width and \
                         height by repeating the last column or row; transparent areas become white unless alpha says otherwise. \
                         Changeable while PLAYING: the next frames use the new avatar; a picture of another size renegotiates \
                         the output caps (a caps filter with width and height after the element keeps the size fixed, e.g. for \
                         an encoder); a bad file keeps the old one, and the property reads back the one in use",
                    )
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("avatar-face")
                    .nick("Avatar face")
                    .blurb("Which face of the avatar picture to animate when it shows several: 0 = the largest, 1 = the next largest, ... (ties: leftmost first)")
                    .maximum(MAX_FACE_RANK)
                    .default_value(0)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("output-max-side")
                    .nick("Output max side")
                    .blurb(&format!("Cap on the long side of the output, pixels, when downstream does not ask for a size: a larger \
                            avatar picture is scaled down once when loaded, keeping its aspect ratio (with an info message on the bus). \
                            0 = no cap: the picture's own size. A caps filter with width and height after the element sets the size \
                            whatever this says. Read when the avatar is loaded. Default {DEFAULT_MAX_SIDE}"))
                    .maximum(crate::avatar::MAX_AVATAR_SIDE)
                    .default_value(DEFAULT_MAX_SIDE)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("alpha", AlphaChoice::Opaque)
                    .nick("Alpha")
                    .blurb("Transparency of the output: opaque = the avatar picture's own background; picture = the picture's \
                            alpha channel (a PNG with transparency); matte = a person matte computed from the picture. \
                            The alpha is warped with the head (hair against transparency moves with it; with the LivePortrait engine \
                            picture's alpha is not moved and matte is computed again on each frame) and is straight, not \
                            premultiplied. Not opaque: the source pad offers RGBA, BGRA, ARGB and ABGR first \
                            (for compositor; a format without alpha drops it, with a warning)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("models-dir")
                    .nick("Models folder")
                    .blurb("Folder with face_detection_short_range.onnx, face_detection_full_range.onnx, face_landmark.onnx and iris_landmark.onnx \
                            (and selfie_segmentation.onnx for alpha=matte). Unset: $FACEREENACT_MODELS_DIR, else the models/ folder \
                            installed beside the plugin, else the source tree's")
                    .default_value(None)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("engine")
                    .nick("Reenactment engine")
                    .blurb("Empty: the embedded face-mesh engine. A folder: the LivePortrait engine with the ONNX model set in it \
                            (appearance_feature_extractor.onnx, motion_extractor.onnx, warping_spade.onnx, stitching.onnx; f32), \
                            run with execution-provider and inference-threads. Read at start")
                    .default_value(Some(""))
                    .mutable_ready()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("execution-provider", ExecutionProviderChoice::Auto)
                    .nick("Execution provider")
                    .blurb("ONNX Runtime execution provider; auto falls back to the CPU and says so on the bus")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("inference-threads")
                    .nick("Inference threads")
                    .blurb("ONNX Runtime intra-op threads per model (0 = ONNX Runtime's choice)")
                    .maximum(64)
                    .default_value(DEFAULT_THREADS)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("render-threads")
                    .nick("Render threads")
                    .blurb("Threads drawing the re-posed head, each a horizontal band of it: 1 = the streaming thread only, \
                            0 = one per 0.4 megapixels of head region, at most one per core (a second thread pays on avatars of about 2048 pixels). \
                            Embedded engine only")
                    .minimum(0)
                    .maximum(16)
                    .default_value(DEFAULT_RENDER_THREADS)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("iris-reuse")
                    .nick("Iris reuse")
                    .blurb("Run the iris model (eyelids, gaze) only on an eye whose picture changed since it last ran on it: \
                            about 1 ms less per frame; false runs it on every frame (the quality report's jitter is the same either way)")
                    .default_value(true)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecDouble::builder("expression-multiplier")
                    .nick("Expression multiplier")
                    .blurb("Scales the actor's expression (mouth, eyes, brows) on the avatar: 0 = none, 1 = as the actor, >1 exaggerates")
                    .minimum(0.0)
                    .maximum(3.0)
                    .default_value(DEFAULT_EXPRESSION_MULTIPLIER)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("adapt-scale")
                    .nick("Adapt scale")
                    .blurb("Scale the actor's motion by the ratio of face sizes (avatar / actor), as FOMM's adapt_movement_scale \
                            (embedded engine; the LivePortrait engine's motion is relative in its own crop)")
                    .default_value(DEFAULT_ADAPT_SCALE)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("motion-region", MotionRegionChoice::All)
                    .nick("Motion region")
                    .blurb("Which parts of the actor's motion reach the avatar: all, pose (head only), expression (face only), lips (lips and jaw), eyes (blinks, gaze)")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("motion-reference", MotionReferenceChoice::Camera)
                    .nick("Motion reference")
                    .blurb("What the actor's motion is measured against: camera (head pose relative to facing the camera, expression relative to the actor's neutral face learned over the last half minute: the avatar is as pictured whenever the actor faces the camera at rest, whatever the first frame), first-frame (both relative to the first face frame of the stream or of each shot: LivePortrait's relative motion)")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("smoothing")
                    .nick("Smoothing")
                    .blurb("One-Euro filter on the actor's landmarks (removes jitter, follows fast motion)")
                    .default_value(DEFAULT_SMOOTHING)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("smoothing-min-cutoff")
                    .nick("One-Euro min cutoff")
                    .blurb("One-Euro cut-off frequency at rest, Hz: lower = steadier still face, more lag")
                    .minimum(0.01)
                    .maximum(30.0)
                    .default_value(DEFAULT_MIN_CUTOFF)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("smoothing-beta")
                    .nick("One-Euro beta")
                    .blurb("One-Euro speed coefficient (speed in face widths per second): higher = less lag on fast motion")
                    .minimum(0.0)
                    .maximum(100.0)
                    .default_value(DEFAULT_BETA)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("actor-region")
                    .nick("Actor region")
                    .blurb("Part of the actor frame where the actor's face is looked for and followed, as fractions of the frame: \
                            \"x,y,width,height\" (e.g. \"0.25,0,0.5,0.6\" for a lectern or a stage); empty = the whole frame. \
                            A face whose centre leaves it is lost. A value that does not read stops the start with an error \
                            (while PLAYING: a warning, the previous region stays)")
                    .default_value(Some(""))
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("actor-face")
                    .nick("Actor face")
                    .blurb("Which face a search takes when none is followed (at the start, after a cut or a loss): \
                            0 = the largest, 1 = the next largest, ... (ties: leftmost first). A face where the followed face \
                            was last seen is taken first; once found, a face is followed whatever its size")
                    .maximum(MAX_FACE_RANK)
                    .default_value(0)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("actor-choice", ActorChoiceChoice::Largest)
                    .nick("Actor choice")
                    .blurb("How the actor face is chosen when the frame shows several: largest = by size (see actor-face), \
                            followed while it is found; speaking = as largest, and meanwhile the other faces are watched \
                            (about 10 landmark runs a second each, at most 2 model runs a frame, within search-budget) and the one \
                            whose mouth moves clearly more than the followed face's for half a second is taken, at most every 2 s \
                            (each change starts a new shot, as a cut does)")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("search-budget")
                    .nick("Search budget")
                    .blurb("Model runs per frame spent looking for a face while none is followed (about 2.3 ms each on a 2-core CPU); \
                            a search of the whole frame down to faces 32 pixels wide takes 129 runs at 1920x1080, 519 at 3840x2160, \
                            spread over frames. 0 = no bound: the whole search in one frame (for files, not live streams). \
                            In a live stream a search also starts no run (but the frame's first) expected to end more than half a frame's time \
                            (or of processing-deadline, if shorter) after the frame's start")
                    .maximum(1024)
                    .default_value(DEFAULT_BUDGET as u32)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt64::builder("processing-deadline")
                    .nick("Processing deadline")
                    .blurb("Most time one frame may spend in the element, nanoseconds: added to the pipeline's latency, so that \
                            a live sink shows every frame. 0 = one frame of the input's frame rate (33.3 ms when unknown). \
                            In a live stream, frames that take longer are counted and reported in a warning on the bus")
                    .default_value(0)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecDouble::builder("hold-time")
                    .nick("Hold time")
                    .blurb(&format!("Seconds of stream without an actor face that the avatar holds its last pose; then it eases to rest, \
                            its own picture, over {REST_EASE_SECONDS} s, and eases into the actor's motion again when a face is back. \
                            -1 = hold until a face is back. The LivePortrait engine glides its keypoints to the avatar's own and fades into the picture"))
                    .minimum(-1.0)
                    .maximum(86400.0)
                    .default_value(DEFAULT_HOLD_SECONDS as f64)
                    .mutable_playing()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn signals() -> &'static [glib::subclass::Signal] {
        static SIGNALS: Lazy<Vec<glib::subclass::Signal>> = Lazy::new(|| {
            vec![glib::subclass::Signal::builder("reset-reference")
                .action()
                .class_handler(|args| {
                    let element = args[0].get::<super::FaceReenact>().expect("signal arg");
                    element.imp().reset_reference();
                    None
                })
                .build()]
        });
        SIGNALS.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        // Properties read in start() only: set while running, they wait for the next start.
        if pspec.flags().contains(gst::PARAM_FLAG_MUTABLE_READY) {
            let state = self.obj().current_state();
            if state > gst::State::Ready {
                gst::element_imp_warning!(
                    self,
                    gst::LibraryError::Settings,
                    (
                        "{} was changed while {:?}: it takes effect when the element next starts (stop the pipeline and play it again)",
                        pspec.name(),
                        state
                    )
                );
            }
        }
        let mut settings = self.settings.lock().unwrap();
        match pspec.name() {
            "avatar" => {
                // An empty path is no avatar, as no path is.
                let path = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from);
                let changed = settings.avatar != path;
                settings.avatar = path.clone();
                drop(settings);
                match (changed, path) {
                    (true, Some(path)) => self.swap_avatar(path),
                    (true, None) if self.state.lock().unwrap().is_some() => {
                        gst::element_imp_warning!(
                            self,
                            gst::ResourceError::NotFound,
                            ("avatar unset while running: keeping the previous avatar; set avatar to a PNG or JPEG picture of a face")
                        );
                        self.restore_avatar_setting(None);
                    }
                    _ => {}
                }
            }
            "avatar-face" => settings.avatar_face = value.get().expect("type checked upstream"),
            "models-dir" => {
                settings.models_dir = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from);
            }
            "engine" => {
                settings.engine = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from);
            }
            "execution-provider" => {
                settings.execution_provider = value.get().expect("type checked upstream")
            }
            "alpha" => settings.alpha = value.get().expect("type checked upstream"),
            "inference-threads" => {
                settings.inference_threads = value.get().expect("type checked upstream")
            }
            "render-threads" => {
                settings.render_threads = value.get().expect("type checked upstream")
            }
            "iris-reuse" => settings.iris_reuse = value.get().expect("type checked upstream"),
            "expression-multiplier" => {
                settings.expression_multiplier = value.get().expect("type checked upstream")
            }
            "adapt-scale" => settings.adapt_scale = value.get().expect("type checked upstream"),
            "motion-region" => settings.motion_region = value.get().expect("type checked upstream"),
            "motion-reference" => {
                settings.motion_reference = value.get().expect("type checked upstream")
            }
            "smoothing" => settings.smoothing = value.get().expect("type checked upstream"),
            "smoothing-min-cutoff" => {
                settings.min_cutoff = value.get().expect("type checked upstream")
            }
            "smoothing-beta" => settings.beta = value.get().expect("type checked upstream"),
            "actor-region" => {
                let text = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                    .unwrap_or_default();
                let parsed = if text.trim().is_empty() {
                    Ok(None)
                } else {
                    text.parse::<FrameRegion>().map(Some)
                };
                match (&parsed, self.state.lock().unwrap().is_some()) {
                    (Err(e), true) => {
                        // Running: keep the region in use.
                        drop(settings);
                        gst::element_imp_warning!(
                            self,
                            gst::LibraryError::Settings,
                            ("actor-region {}: keeping the previous region", e)
                        );
                    }
                    _ => settings.actor_region = (text, parsed),
                }
            }
            "actor-face" => settings.actor_face = value.get().expect("type checked upstream"),
            "actor-choice" => settings.actor_choice = value.get().expect("type checked upstream"),
            "search-budget" => settings.search_budget = value.get().expect("type checked upstream"),
            "hold-time" => settings.hold_time = value.get().expect("type checked upstream"),
            "processing-deadline" => {
                settings.processing_deadline = value.get().expect("type checked upstream")
            }
            "output-max-side" => {
                settings.output_max_side = value.get().expect("type checked upstream")
            }
            other => unimplemented!("property {other}"),
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let settings = self.settings.lock().unwrap();
        match pspec.name() {
            "avatar" => settings
                .avatar
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned())
                .to_value(),
            "avatar-face" => settings.avatar_face.to_value(),
            "alpha" => settings.alpha.to_value(),
            "models-dir" => settings
                .models_dir
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned())
                .to_value(),
            "engine" => settings
                .engine
                .as_ref()
                .map_or_else(String::new, |p| p.to_string_lossy().into_owned())
                .to_value(),
            "execution-provider" => settings.execution_provider.to_value(),
            "inference-threads" => settings.inference_threads.to_value(),
            "render-threads" => settings.render_threads.to_value(),
            "iris-reuse" => settings.iris_reuse.to_value(),
            "expression-multiplier" => settings.expression_multiplier.to_value(),
            "adapt-scale" => settings.adapt_scale.to_value(),
            "motion-region" => settings.motion_region.to_value(),
            "motion-reference" => settings.motion_reference.to_value(),
            "smoothing" => settings.smoothing.to_value(),
            "smoothing-min-cutoff" => settings.min_cutoff.to_value(),
            "smoothing-beta" => settings.beta.to_value(),
            "actor-region" => settings.actor_region.0.to_value(),
            "actor-face" => settings.actor_face.to_value(),
            "actor-choice" => settings.actor_choice.to_value(),
            "search-budget" => settings.search_budget.to_value(),
            "hold-time" => settings.hold_time.to_value(),
            "processing-deadline" => settings.processing_deadline.to_value(),
            "output-max-side" => settings.output_max_side.to_value(),
            other => unimplemented!("property {other}"),
        }
    }
}

impl GstObjectImpl for FaceReenact {}

impl ElementImpl for FaceReenact {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static ELEMENT_METADATA: Lazy<gst::subclass::ElementMetadata> = Lazy::new(|| {
            gst::subclass::ElementMetadata::new(
                "Face reenactment",
                "Filter/Effect/Video",
                "Re-poses an avatar picture with the actor video's head motion and facial expression",
                "facereenact developers",
            )
        });
        Some(&*ELEMENT_METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static PAD_TEMPLATES: Lazy<Vec<gst::PadTemplate>> = Lazy::new(|| {
            let caps = gst_video::VideoCapsBuilder::new()
                .format_list(FORMATS)
                .build();
            vec![
                gst::PadTemplate::new(
                    "src",
                    gst::PadDirection::Src,
                    gst::PadPresence::Always,
                    &caps,
                )
                .unwrap(),
                gst::PadTemplate::new(
                    "sink",
                    gst::PadDirection::Sink,
                    gst::PadPresence::Always,
                    &caps,
                )
                .unwrap(),
            ]
        });
        PAD_TEMPLATES.as_ref()
    }
}

impl BaseTransformImpl for FaceReenact {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::NeverInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let settings = self.settings.lock().unwrap().clone();
        if let Err(e) = &settings.actor_region.1 {
            return Err(gst::error_msg!(
                gst::LibraryError::Settings,
                ("actor-region {}", e)
            ));
        }
        let Some(avatar_path) = settings.avatar.clone() else {
            return Err(gst::error_msg!(
                gst::ResourceError::NotFound,
                ("no avatar set: set the avatar property to a PNG or JPEG picture of a face")
            ));
        };
        let provider = settings.execution_provider.into();
        if let Some(dir) = &settings.engine {
            LivePortraitModels::check_before_loading(dir, provider)
                .map_err(|e| runtime_error_message(&e))?;
        }
        let models = FaceModels::load(
            &settings.models_dir(),
            provider,
            settings.inference_threads as usize,
        )
        .map_err(|e| runtime_error_message(&e))?;
        let notes = models.fallback_notes();
        if !notes.is_empty() {
            gst::element_imp_info!(
                self,
                gst::LibraryError::Settings,
                (
                    "execution-provider={}: running on {} ({})",
                    provider.nick(),
                    models.landmarker.active_provider,
                    notes.join("; ")
                ),
                [
                    "execution-provider={}: running on {} ({})",
                    provider.nick(),
                    models.landmarker.active_provider,
                    notes.join("; ")
                ]
            );
        }
        // A size downstream fixes already (a caps filter) is known now: the picture is scaled to
        // it once, not first to its capped size and again when the caps are set.
        let rule = self
            .downstream_size()
            .map_or(SizeRule::Capped(settings.output_max_side), |(w, h)| {
                SizeRule::Exact(w, h)
            });
        let avatar = self
            .load_avatar(&avatar_path, &models, rule)
            .map_err(|e| avatar_error_message(&e))?;
        let tracker = models.tracker_with_iris_reuse(settings.iris_reuse);
        let mut engine: Box<dyn ReenactEngine> = match &settings.engine {
            None => Box::new(MeshEngine::new(tracker)),
            Some(dir) => {
                let set =
                    LivePortraitModels::load(dir, provider, settings.inference_threads as usize)
                        .map_err(|e| runtime_error_message(&e))?;
                gst::info!(
                    CAT,
                    imp = self,
                    "LivePortrait engine: model set {} on {}",
                    dir.display(),
                    set.active_provider()
                );
                for note in set.notes() {
                    gst::element_imp_warning!(
                        self,
                        gst::LibraryError::Settings,
                        ("{}", note),
                        [
                            "model set {}, execution-provider={}",
                            dir.display(),
                            provider.nick()
                        ]
                    );
                }
                if set.active_provider() == "cpu" {
                    gst::element_imp_warning!(
                        self,
                        gst::LibraryError::Settings,
                        (
                            "the LivePortrait engine runs on the CPU: expect about 0.25 frames per second with full-size models \
                             (3.9 s a frame measured with inference-threads=2 on 2 cores; 2.6 s for the warping network alone on 16). \
                             Set inference-threads to the number of cores, or run it on an NVIDIA GPU: execution-provider=cuda with \
                             ONNX Runtime's GPU build (the onnxruntime-gpu wheel's library, given by ORT_DYLIB_PATH; README, \"GPUs\")"
                        ),
                        ["model set {}, execution-provider={}, inference-threads={}", dir.display(), provider.nick(), settings.inference_threads]
                    );
                }
                if let Some(ratio) =
                    open_mouth_left_open(&avatar.landmarks.points, set.has_retargeting().1)
                {
                    gst::element_imp_warning!(
                        self,
                        gst::ResourceError::NotFound,
                        (
                            "avatar {} has an open mouth (lip gap {:.2} of its width) and the model set in {} has no \
                             stitching_lip.onnx: its lips cannot be closed first, so they will not close with the actor's. \
                             Add stitching_lip.onnx from the same set",
                            avatar.path.display(),
                            ratio,
                            dir.display()
                        )
                    );
                }
                let engine = NeuralEngine::new(tracker, models.new_landmarker(), set);
                if settings.alpha == AlphaChoice::Matte {
                    // The rendering is matted again every frame (see NeuralEngine::with_matting).
                    let segmenter = person_segmenter(
                        &settings.models_dir(),
                        provider,
                        settings.inference_threads as usize,
                    )
                    .map_err(|e| runtime_error_message(&e))?;
                    Box::new(engine.with_matting(segmenter))
                } else {
                    Box::new(engine)
                }
            }
        };
        // Before the clock runs: the first live frames do not pay for the avatar's features or
        // a provider's first run.
        engine
            .prepare(&avatar)
            .map_err(|e| runtime_error_message(&e))?;
        *self.state.lock().unwrap() = Some(State {
            models,
            engine,
            avatar: Arc::new(avatar),
            canvas: None,
            frames: 0,
            frames_without_face: 0,
            faceless_run: 0,
            reenacted: false,
            actor_frame: (0, 0, 1.0),
            deadline: deadline_for(settings.processing_deadline, None),
            search_time: search_time_for(deadline_for(settings.processing_deadline, None), None),
            output_alpha: false,
            live: false,
            late_frames: 0,
            longest: (Duration::ZERO, 0),
            longest_late: (Duration::ZERO, 0),
            last_late_warning: None,
            size_reported: None,
        });
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        if let Some(state) = self.state.lock().unwrap().take() {
            gst::info!(
                CAT,
                imp = self,
                "stopped after {} frames, {} without a face, {} over the processing deadline (the longest {:?}, frame {})",
                state.frames,
                state.frames_without_face,
                state.late_frames,
                state.longest.0,
                state.longest.1
            );
        }
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        if let gst::EventView::FlushStop(_) = event.view() {
            // A flushing seek: nothing tracked before it may leak into the frames after it.
            if let Some(state) = self.state.lock().unwrap().as_mut() {
                state.engine.flush(&state.avatar);
                state.faceless_run = 0;
            }
        }
        self.parent_sink_event(event)
    }

    fn query(&self, direction: gst::PadDirection, query: &mut gst::QueryRef) -> bool {
        let latency = matches!(query.view(), gst::QueryView::Latency(_));
        let answered = BaseTransformImplExt::parent_query(self, direction, query);
        if answered && latency && direction == gst::PadDirection::Src {
            // Upstream's latency plus the time a frame may take here.
            if let gst::QueryViewMut::Latency(q) = query.view_mut() {
                let (live, min, max) = q.result();
                if let Some(state) = self.state.lock().unwrap().as_mut() {
                    state.live = live;
                }
                let deadline = self.deadline();
                q.set(live, min + deadline, max.map(|m| m + deadline));
                gst::debug!(
                    CAT,
                    imp = self,
                    "latency: upstream {min} + deadline {deadline}"
                );
            }
        }
        answered
    }

    fn transform(
        &self,
        inbuf: &gst::Buffer,
        outbuf: &mut gst::BufferRef,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let started = Instant::now();
        // The video filter maps both frames and calls transform_frame.
        let flow = self.parent_transform(inbuf, outbuf)?;
        self.finish_frame(outbuf, started.elapsed());
        Ok(flow)
    }

    fn fixate_caps(
        &self,
        direction: gst::PadDirection,
        caps: &gst::Caps,
        othercaps: gst::Caps,
    ) -> gst::Caps {
        if direction != gst::PadDirection::Sink {
            return self.parent_fixate_caps(direction, caps, othercaps);
        }
        // The source pad's caps: the first structure downstream allows, its size fixed first.
        let mut othercaps = othercaps;
        othercaps.truncate();
        if let Some(s) = othercaps.make_mut().structure_mut(0) {
            self.fixate_size(s);
        }
        let fixed = self.parent_fixate_caps(direction, caps, othercaps);
        gst::debug!(CAT, imp = self, "fixated the output to {fixed:?}");
        fixed
    }

    fn transform_caps(
        &self,
        direction: gst::PadDirection,
        caps: &gst::Caps,
        filter: Option<&gst::Caps>,
    ) -> Option<gst::Caps> {
        let preferred = self.preferred_size().map(|(_, size)| size);
        let alpha = self.settings.lock().unwrap().alpha != AlphaChoice::Opaque;
        let mut out = caps.clone();
        for s in out.make_mut().iter_mut() {
            if alpha {
                match direction {
                    // With an alpha, the output's format is free of the input's: alpha formats
                    // first, then the input's, then the others (without alpha, the avatar is
                    // composited over white; see set_info's warning).
                    gst::PadDirection::Sink => {
                        let mut formats: Vec<String> = ALPHA_FORMATS
                            .iter()
                            .map(|f| f.to_str().to_string())
                            .collect();
                        let given: Vec<String> = match s.get::<gst::List>("format") {
                            Ok(list) => {
                                list.iter().filter_map(|v| v.get::<String>().ok()).collect()
                            }
                            Err(_) => s.get::<String>("format").ok().into_iter().collect(),
                        };
                        // Then the input's format, then any other (the output is converted).
                        let others = FORMATS.iter().map(|f| f.to_str().to_string());
                        for f in given.into_iter().chain(others) {
                            if !formats.contains(&f) {
                                formats.push(f);
                            }
                        }
                        s.set("format", gst::List::new(formats));
                        // The input's YUV colorimetry does not describe an RGBA output.
                        s.remove_fields(["colorimetry", "chroma-site"]);
                    }
                    _ => s.set(
                        "format",
                        gst::List::new(FORMATS.iter().map(|f| f.to_str().to_string())),
                    ),
                }
            }
            // Any actor size gives any output size (the avatar is scaled to it once), and any
            // output size takes any actor size.
            s.remove_fields(["width", "height", "pixel-aspect-ratio"]);
            s.set("width", gst::IntRange::new(1, i32::MAX));
            s.set("height", gst::IntRange::new(1, i32::MAX));
            if direction == gst::PadDirection::Sink {
                s.set("pixel-aspect-ratio", gst::Fraction::new(1, 1));
            }
        }
        if let (gst::PadDirection::Sink, Some((w, h))) = (direction, preferred) {
            // Sink → src: the avatar's own size (up to output-max-side) first, square pixels;
            // then any size downstream asks for.
            let mut first = out.clone();
            for s in first.make_mut().iter_mut() {
                s.set("width", w as i32);
                s.set("height", h as i32);
            }
            first.make_mut().append(out);
            out = first;
        }
        gst::debug!(
            CAT,
            imp = self,
            "transformed {caps:?} ({direction:?}) to {out:?}"
        );
        match filter {
            Some(f) => Some(f.intersect_with_mode(&out, gst::CapsIntersectMode::First)),
            None => Some(out),
        }
    }
}

impl FaceReenact {
    /// Fixes the output's width and height left open by downstream: a side asked alone gets the
    /// other by the picture's aspect ratio; neither asked: the preferred size (the picture's up to
    /// `output-max-side`), or the nearest downstream allows.
    fn fixate_size(&self, s: &mut gst::StructureRef) {
        let Some((picture, (pw, ph))) = self.preferred_size() else {
            return;
        };
        let side = |s: &gst::StructureRef, f: &str| s.get::<i32>(f).ok().map(|v| v.max(1) as u32);
        let aspect = |v: Option<u32>| v.map_or(i32::MAX, |v| v.min(i32::MAX as u32) as i32);
        match (side(s, "width"), side(s, "height")) {
            (Some(_), Some(_)) => {}
            (Some(w), None) => {
                s.fixate_field_nearest_int("height", aspect(other_side(picture, Some(w), None)));
            }
            (None, Some(h)) => {
                s.fixate_field_nearest_int("width", aspect(other_side(picture, None, Some(h))));
            }
            (None, None) => {
                s.fixate_field_nearest_int("width", pw as i32);
                let w = side(s, "width").unwrap_or(pw);
                let h = if w == pw {
                    ph
                } else {
                    other_side(picture, Some(w), None).unwrap_or(ph)
                };
                s.fixate_field_nearest_int("height", h as i32);
            }
        }
    }
}

impl VideoFilterImpl for FaceReenact {
    fn set_info(
        &self,
        _incaps: &gst::Caps,
        in_info: &gst_video::VideoInfo,
        _outcaps: &gst::Caps,
        out_info: &gst_video::VideoInfo,
    ) -> Result<(), gst::LoggableError> {
        let fps = in_info.fps();
        let frame_duration = (fps.numer() > 0 && fps.denom() > 0).then(|| {
            gst::ClockTime::from_nseconds(
                (1_000_000_000u128 * fps.denom() as u128 / fps.numer() as u128) as u64,
            )
        });
        let set = self.settings.lock().unwrap().processing_deadline;
        let mut changed = false;
        if let Some(state) = self.state.lock().unwrap().as_mut() {
            let deadline = deadline_for(set, frame_duration);
            changed = deadline != state.deadline;
            state.deadline = deadline;
            state.search_time = search_time_for(deadline, frame_duration);
            state.output_alpha = out_info.format_info().has_alpha();
            // The canvas holds the alpha written or composited over white: make it again.
            state.canvas = None;
        }
        // The avatar is prepared at the negotiated size, once.
        self.fit_avatar((out_info.width(), out_info.height()))
            .map_err(|e| {
                self.post_error_message(e);
                gst::loggable_error!(CAT, "the avatar could not be prepared at the output size")
            })?;
        if changed {
            // The latency this element adds changed: the pipeline asks again.
            let _ = self
                .obj()
                .post_message(gst::message::Latency::builder().src(&*self.obj()).build());
        }
        let alpha = self.settings.lock().unwrap().alpha;
        if alpha != AlphaChoice::Opaque && !out_info.format_info().has_alpha() {
            gst::element_imp_warning!(
                self,
                gst::CoreError::Negotiation,
                (
                    "alpha={} but downstream took {}, a format without alpha: the avatar is composited over white. \
                     Everything between facereenact and the compositor must take an alpha format, and so must the \
                     compositor's own output (e.g. compositor ! video/x-raw,format=AYUV ! videoconvert ! x264enc): \
                     a compositor whose output has no alpha takes none on its inputs either",
                    alpha.nick(),
                    out_info.format().to_str()
                )
            );
        }
        Ok(())
    }

    fn transform_frame(
        &self,
        inframe: &gst_video::VideoFrameRef<&gst::BufferRef>,
        outframe: &mut gst_video::VideoFrameRef<&mut gst::BufferRef>,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let size = (outframe.width(), outframe.height());
        let stale = self
            .state
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|s| s.avatar.size() != size);
        if stale && !self.obj().src_pad().needs_reconfigure() {
            // An avatar change renegotiated to the same caps (downstream fixes the size): the new
            // avatar is fitted to them.
            self.fit_avatar(size).map_err(|e| {
                self.post_error_message(e);
                gst::FlowError::Error
            })?;
        }
        let mut settings = self.settings.lock().unwrap().engine_settings();
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else {
            return Err(gst::FlowError::Flushing);
        };
        if state.live {
            // A live frame must leave in time: the search starts no model run expected to end
            // after its share of the frame's time (the sweep goes on next frame).
            settings.tracking.search_time = Some(state.search_time);
        }
        let par = inframe.info().par();
        let par = par.numer() as f32 / par.denom().max(1) as f32;
        let t = inframe
            .buffer()
            .pts()
            .map(|p| p.nseconds() as f64 / 1e9)
            .unwrap_or(state.frames as f64 / 30.0);
        let avatar = state.avatar.clone();
        let actor = view_of(inframe).map_err(|e| {
            self.post_error_message(e);
            gst::FlowError::Error
        })?;
        let outcome = state
            .engine
            .process(
                &avatar,
                &actor,
                if par > 0.0 { par } else { 1.0 },
                t,
                &settings,
            )
            .map_err(|e| {
                let msg = runtime_error_message(&e);
                self.post_error_message(msg);
                gst::FlowError::Error
            })?;
        state.frames += 1;
        state.reenacted = outcome == FrameOutcome::Reenacted;
        state.actor_frame = (
            inframe.width(),
            inframe.height(),
            if par > 0.0 { par } else { 1.0 },
        );
        if outcome == FrameOutcome::NoFace {
            state.frames_without_face += 1;
            state.faceless_run += 1;
            gst::debug!(CAT, imp = self, "no face in actor frame {}", state.frames);
            if state.faceless_run == NO_FACE_WARNING_FRAMES {
                gst::element_imp_warning!(
                    self,
                    gst::StreamError::Failed,
                    ("no face in the last {} actor frames: the avatar holds its last pose for hold-time, then rests in its own, until a face is found (the search goes on; actor-region and search-budget set where and how fast)", NO_FACE_WARNING_FRAMES),
                    ["actor frame {}, pts {:?}", state.frames, inframe.buffer().pts()]
                );
            }
        } else {
            if state.faceless_run >= NO_FACE_WARNING_FRAMES {
                gst::element_imp_info!(
                    self,
                    gst::StreamError::Failed,
                    (
                        "face found again after {} actor frames without one",
                        state.faceless_run
                    ),
                    [
                        "face found again after {} actor frames without one",
                        state.faceless_run
                    ]
                );
            }
            state.faceless_run = 0;
            if CAT.above_threshold(gst::DebugLevel::Log) {
                if let Some(pose) = state.engine.drawn_pose() {
                    // Read by examples/report.rs: the motion drawn, apart from how a landmarker
                    // reads it back from the output.
                    gst::log!(
                        CAT,
                        imp = self,
                        "drawn frame {}: {}",
                        state.frames - 1,
                        DrawnPose::of(pose)
                    );
                    if CAT.above_threshold(gst::DebugLevel::Trace) {
                        gst::trace!(
                            CAT,
                            imp = self,
                            "drawn landmarks {}: {}",
                            state.frames - 1,
                            DrawnLandmarks::of(pose)
                        );
                    }
                }
            }
        }
        let mut out = view_mut_of(outframe).map_err(|e| {
            self.post_error_message(e);
            gst::FlowError::Error
        })?;
        let (rendering, changed) = state.engine.output();
        // The alpha written as such, or, where the output format has none, composited over white.
        let carried = state.output_alpha;
        let rendering_alpha = alpha_out(state.engine.output_alpha(), carried);
        let (w, h) = out.dimensions();
        if rendering.dimensions() == (w, h) {
            // The avatar's canvas in the output's layout, converted once; then only the head.
            let canvas = match state.canvas.take() {
                Some(c) if c.format() == (w, h, out.layout()) => c,
                _ => Canvas::new(
                    &avatar.image,
                    alpha_out(avatar.alpha.as_ref(), carried),
                    out.layout(),
                ),
            };
            canvas.copy_to(&mut out).map_err(|e| {
                self.post_error_message(plane_error("output", e));
                gst::FlowError::Error
            })?;
            state.canvas = Some(canvas);
            write_rect(rendering, rendering_alpha, changed, &mut out);
        } else {
            // The one frame between an avatar change and renegotiation: the overlap, black around.
            let mut fitted = RgbImage::new(w, h);
            image::imageops::replace(&mut fitted, rendering, 0, 0);
            write_rect(&fitted, AlphaOut::Opaque, Rect::full(w, h), &mut out);
        }
        Ok(gst::FlowSuccess::Ok)
    }
}
