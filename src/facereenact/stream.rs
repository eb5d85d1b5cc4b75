//! What the element holds while it runs, split by who needs it: [`StreamState`] (the avatar in
//! use, the frame counts, the timing; locked briefly by any thread) and [`EngineInUse`] (the
//! engine and the output composition; locked by the streaming thread while it draws a frame).
//! Changes asked from other threads (a new avatar, `reset-reference`) are left in the state as
//! pending and applied by the streaming thread before its next frame (see `stream_control.rs`).

use std::sync::Arc;

use super::composition::OutputComposition;
use super::timing::FrameTiming;
use crate::avatar::AvatarModel;
use crate::engine::ReenactEngine;
use crate::models::FaceModels;

/// The running stream's state shared by the streaming and application threads.
pub struct StreamState {
    /// The face models (the avatar search on an avatar change runs them).
    pub models: FaceModels,
    /// The avatar in use.
    pub avatar: Arc<AvatarModel>,
    /// The avatar changed since the engine last saw it.
    pub avatar_pending: bool,
    /// `reset-reference` was emitted since the last frame.
    pub reset_pending: bool,
    /// Actor frames so far, those without a face, and the current run of frames without one.
    pub frames: u64,
    pub frames_without_face: u64,
    pub faceless_run: u64,
    /// Whether the last frame re-posed the avatar from an actor face.
    pub reenacted: bool,
    /// Size and pixel aspect ratio of the last actor frame.
    pub actor_frame: (u32, u32, f32),
    /// The deadline, the live search bound, the late frames.
    pub timing: FrameTiming,
    /// Whether the negotiated output format has an alpha channel.
    pub output_alpha: bool,
    /// The output size last said on the bus to differ from the avatar picture's.
    pub size_reported: Option<(u32, u32)>,
}

/// The streaming thread's side: the engine and what writes its renderings into output frames.
pub struct EngineInUse {
    pub engine: Box<dyn ReenactEngine>,
    pub composition: OutputComposition,
}

/// What a frame needs from the state, read in one short lock ([`FaceReenact::sync_engine`]).
pub struct FrameInputs {
    pub avatar: Arc<AvatarModel>,
    pub live_search_time: Option<std::time::Duration>,
    pub output_alpha: bool,
    pub frames: u64,
}
