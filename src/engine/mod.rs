//! The seam between what the element does (re-pose an avatar frame by frame) and how: the
//! embedded landmark-driven [`MeshEngine`] now, a neural engine later, behind [`ReenactEngine`].

pub mod mesh;

use image::RgbImage;

use crate::avatar::AvatarModel;
use crate::motion::{MotionSettings, OneEuroParams};
use crate::runtime::RuntimeError;

pub use mesh::MeshEngine;

/// Per-frame controls, read once per frame from the element's settings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EngineSettings {
    /// Expression multiplier and adapt scale.
    pub motion: MotionSettings,
    /// One-Euro smoothing of the actor's landmarks; `None` disables smoothing.
    pub smoothing: Option<OneEuroParams>,
}

/// What happened to one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameOutcome {
    /// The actor's face was found and the avatar re-posed.
    Reenacted,
    /// No face in the actor frame: the avatar keeps its last pose (or its own pose before any).
    NoFace,
}

/// A face-reenactment engine.
pub trait ReenactEngine: Send {
    /// Renders `avatar` re-posed by the actor frame `actor` (8-bit RGB, pixel aspect ratio `par`)
    /// at stream time `t` seconds into `out`, which has the avatar's size.
    fn process(
        &mut self,
        avatar: &AvatarModel,
        actor: &RgbImage,
        par: f32,
        t: f64,
        settings: &EngineSettings,
        out: &mut RgbImage,
    ) -> Result<FrameOutcome, RuntimeError>;

    /// The next actor frame with a face becomes the reference ("neutral") frame.
    fn reset_reference(&mut self);

    /// The avatar was replaced: forget what was derived from the previous one.
    fn avatar_changed(&mut self);
}
