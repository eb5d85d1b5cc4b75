//! The seam between what the element does (re-pose an avatar frame by frame) and how: the
//! embedded landmark-driven [`MeshEngine`] and the LivePortrait [`NeuralEngine`], behind
//! [`ReenactEngine`].

pub mod actor_tracking;
pub mod factory;
pub mod mesh;
pub mod mesh_avatar;
pub mod neural;
pub mod read_back;
pub mod rendering;

use image::RgbImage;

use crate::avatar::AvatarModel;
use crate::face::TrackOptions;
use crate::motion::{MotionSettings, OneEuroParams, TargetPose};
use crate::runtime::RuntimeError;
use crate::video::{Rect, RgbSource};

pub use mesh::MeshEngine;
pub use neural::NeuralEngine;

/// Per-frame controls, read once per frame from the element's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineSettings {
    /// Expression multiplier and adapt scale.
    pub motion: MotionSettings,
    /// One-Euro smoothing of the actor's landmarks; `None` disables smoothing.
    pub smoothing: Option<OneEuroParams>,
    /// Horizontal bands the head region is drawn in, one per thread (rayon's pool): 1 draws on
    /// the calling thread, 0 chooses by the region's size (see `mesh::AUTO_PIXELS_PER_THREAD`).
    pub render_threads: usize,
    /// Which face is found and followed, and how much a search may spend per frame.
    pub tracking: TrackOptions,
    /// Seconds without an actor face that the avatar holds its last pose before it eases to rest
    /// (see [`crate::motion::rest`]); infinite: it holds until a face is back.
    pub hold_seconds: f32,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            motion: MotionSettings::default(),
            smoothing: Some(OneEuroParams::default()),
            render_threads: 0,
            tracking: TrackOptions::default(),
            hold_seconds: crate::motion::rest::DEFAULT_HOLD_SECONDS,
        }
    }
}

/// What happened to one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameOutcome {
    /// The actor's face was found and the avatar re-posed.
    Reenacted,
    /// No face in the actor frame: the avatar keeps its last pose (or its own pose before any),
    /// or eases to rest after the hold time.
    NoFace,
}

/// A face-reenactment engine.
///
/// The engine owns its rendering: an RGB picture of the avatar's size that differs from the
/// avatar picture only inside [`ReenactEngine::output`]'s rectangle, so that the caller converts
/// only that rectangle and copies the rest from a canvas it converted once.
pub trait ReenactEngine: Send {
    /// Renders `avatar` re-posed by the actor frame `actor` (any [`RgbSource`]: an RGB picture or
    /// a packed RGB, I420 or NV12 frame read in place; pixel aspect ratio `par`) at stream time
    /// `t` seconds. Without a face the previous rendering stays (the avatar holds its pose).
    fn process(
        &mut self,
        avatar: &AvatarModel,
        actor: &(dyn RgbSource + Sync),
        par: f32,
        t: f64,
        settings: &EngineSettings,
    ) -> Result<FrameOutcome, RuntimeError>;
    /// The current rendering (the avatar's size, 8-bit RGB) and the rectangle outside which it
    /// equals the avatar picture (empty before the first face).
    fn output(&self) -> (&RgbImage, Rect);
    /// The rendering's alpha when the avatar has one ([`AvatarModel::alpha`]): the avatar's size,
    /// 0 transparent .. 255 opaque in each of R, G and B, equal to the avatar's alpha outside
    /// [`ReenactEngine::output`]'s rectangle. `None`: the output is opaque.
    fn output_alpha(&self) -> Option<&RgbImage>;
    /// The avatar's pose drawn by the last frame that returned [`FrameOutcome::Reenacted`]
    /// (468 target landmarks in avatar pixels and the head's rigid motion); `None` before any.
    fn drawn_pose(&self) -> Option<&TargetPose>;
    /// The actor's face landmarks of the last frame that returned [`FrameOutcome::Reenacted`]
    /// (468, smoothed as the motion used them; square-pixel coordinates of the actor frame: x
    /// times its pixel aspect ratio, y in rows); `None` before any.
    fn actor_landmarks(&self) -> Option<&[[f32; 3]]>;
    /// The next actor frame with a face becomes the reference ("neutral") frame.
    fn reset_reference(&mut self);

    /// The avatar was replaced: forget what was derived from the previous one.
    fn avatar_changed(&mut self);

    /// Derives now what this engine derives from `avatar` on its first frame with a face, and
    /// runs its per-frame models once, so that the first frames of a live stream do not pay for
    /// it (the element calls it when it starts). The default does nothing. Errors: a model
    /// run's [`RuntimeError`].
    fn prepare(&mut self, _avatar: &AvatarModel) -> Result<(), RuntimeError> {
        Ok(())
    }

    /// The stream was flushed (a seek): forget what was tracked and the last output, so that
    /// nothing from before the seek shows after it; the output is `avatar`'s picture again.
    fn flush(&mut self, avatar: &AvatarModel);

    /// Frames a face search ran in (it runs only while no face is followed), and the model runs
    /// it made.
    fn search_counts(&self) -> (u64, u64);

    /// What makes this engine's frames faster, for a user whose frames are late (one clause, no
    /// final full stop); `searching`: the late frame had no face followed (a face search ran).
    fn speed_advice(&self, searching: bool) -> &'static str;
}
