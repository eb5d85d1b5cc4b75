//! The `facereenact` element: actor video in, re-posed avatar video out. Only this module knows
//! GStreamer (with `lib.rs`); it adapts caps, properties, buffers and errors to the core.
//!
//! * `imp.rs`: the subclass code (GObject, element, base transform, video filter);
//! * [`settings`]: the properties, one table with their defaults and ParamSpecs;
//! * `stream.rs`: what is held while running, and the locks (the engine's apart from the state's);
//! * `stream_control.rs`: starting the stream, and the changes other threads ask for while it runs;
//! * `avatar_in_use.rs`: loading, swapping and fitting the avatar;
//! * `frame_processing.rs`: one frame through the engine, face meta, missing-face and late-frame reports;
//! * `composition.rs`: the rendering written into the output frame;
//! * `frames.rs`: formats and mapped frames as the core's views; `caps.rs`: caps negotiation;
//! * `timing.rs`: the processing deadline and late frames; `errors.rs`: error domains and codes;
//! * [`face_meta`]: the face metadata on each output buffer.

use gst::glib;
use gst::prelude::*;

mod avatar_in_use;
mod caps;
mod composition;
mod errors;
pub mod face_meta;
mod frame_processing;
mod frames;
mod imp;
pub mod settings;
mod stream;
mod stream_control;
mod timing;

glib::wrapper! {
    /// Face reenactment filter. See `gst-inspect-1.0 facereenact` for its properties.
    pub struct FaceReenact(ObjectSubclass<imp::FaceReenact>)
        @extends gst_video::VideoFilter, gst_base::BaseTransform, gst::Element, gst::Object;
}

/// Where inference runs (the `execution-provider` property).
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum, Default)]
#[repr(u32)]
#[enum_type(name = "GstFaceReenactExecutionProvider")]
pub enum ExecutionProviderChoice {
    /// TensorRT, then CUDA, then CPU; the fallback is posted on the bus as an info message.
    #[default]
    #[enum_value(
        name = "Auto: the fastest available (TensorRT, CUDA, then CPU)",
        nick = "auto"
    )]
    Auto = 0,
    /// CPU only.
    #[enum_value(name = "CPU", nick = "cpu")]
    Cpu = 1,
    /// NVIDIA CUDA; an element error if it cannot be registered.
    #[enum_value(name = "NVIDIA CUDA", nick = "cuda")]
    Cuda = 2,
    /// NVIDIA TensorRT; an element error if it cannot be registered.
    #[enum_value(name = "NVIDIA TensorRT", nick = "tensorrt")]
    TensorRt = 3,
}

impl From<ExecutionProviderChoice> for crate::runtime::ExecutionProvider {
    fn from(c: ExecutionProviderChoice) -> Self {
        use crate::runtime::ExecutionProvider as E;
        match c {
            ExecutionProviderChoice::Auto => E::Auto,
            ExecutionProviderChoice::Cpu => E::Cpu,
            ExecutionProviderChoice::Cuda => E::Cuda,
            ExecutionProviderChoice::TensorRt => E::TensorRt,
        }
    }
}

/// How the actor face is chosen among several (the `actor-choice` property).
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum, Default)]
#[repr(u32)]
#[enum_type(name = "GstFaceReenactActorChoice")]
pub enum ActorChoiceChoice {
    /// The largest face (or the one of rank `actor-face`), followed while it is found.
    #[default]
    #[enum_value(
        name = "Largest: the largest face (rank actor-face), followed while it is found",
        nick = "largest"
    )]
    Largest = 0,
    /// The face that speaks.
    #[enum_value(
        name = "Speaking: the face whose mouth moves most, with hysteresis",
        nick = "speaking"
    )]
    Speaking = 1,
}

impl From<ActorChoiceChoice> for crate::face::ActorChoice {
    fn from(c: ActorChoiceChoice) -> Self {
        match c {
            ActorChoiceChoice::Largest => crate::face::ActorChoice::Largest,
            ActorChoiceChoice::Speaking => crate::face::ActorChoice::Speaking,
        }
    }
}

/// Which parts of the actor's motion reach the avatar (the `motion-region` property).
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum, Default)]
#[repr(u32)]
#[enum_type(name = "GstFaceReenactMotionRegion")]
pub enum MotionRegionChoice {
    /// Head pose and expression.
    #[default]
    #[enum_value(name = "All: head pose and expression", nick = "all")]
    All = 0,
    /// Head pose only.
    #[enum_value(
        name = "Head pose only (the avatar keeps its expression)",
        nick = "pose"
    )]
    Pose = 1,
    /// Expression only.
    #[enum_value(
        name = "Expression only (the avatar's head stays still)",
        nick = "expression"
    )]
    Expression = 2,
    /// Lips and jaw only.
    #[enum_value(name = "Lips and jaw only (dubbing)", nick = "lips")]
    Lips = 3,
    /// Eyes only.
    #[enum_value(name = "Eyes only (blinks, winks, gaze)", nick = "eyes")]
    Eyes = 4,
}

impl From<MotionRegionChoice> for crate::motion::MotionRegion {
    fn from(c: MotionRegionChoice) -> Self {
        use crate::motion::MotionRegion as R;
        match c {
            MotionRegionChoice::All => R::All,
            MotionRegionChoice::Pose => R::Pose,
            MotionRegionChoice::Expression => R::Expression,
            MotionRegionChoice::Lips => R::Lips,
            MotionRegionChoice::Eyes => R::Eyes,
        }
    }
}

/// What the actor's motion is measured against (the `motion-reference` property).
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum, Default)]
#[repr(u32)]
#[enum_type(name = "GstFaceReenactMotionReference")]
pub enum MotionReferenceChoice {
    /// Head pose relative to facing the camera, expression relative to the learned neutral face.
    #[default]
    #[enum_value(
        name = "Camera: the actor facing the camera with a face at rest gives the avatar as pictured",
        nick = "camera"
    )]
    Camera = 0,
    /// Pose and expression relative to the first face frame (LivePortrait's relative motion).
    #[enum_value(
        name = "First frame: pose and expression relative to the first face frame of the stream or shot (LivePortrait's relative motion)",
        nick = "first-frame"
    )]
    FirstFrame = 1,
}

impl From<MotionReferenceChoice> for crate::motion::MotionReference {
    fn from(c: MotionReferenceChoice) -> Self {
        match c {
            MotionReferenceChoice::Camera => Self::Camera,
            MotionReferenceChoice::FirstFrame => Self::FirstFrame,
        }
    }
}

/// Where the output's alpha comes from (the `alpha` property).
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum, Default)]
#[repr(u32)]
#[enum_type(name = "GstFaceReenactAlpha")]
pub enum AlphaChoice {
    /// None: the avatar's own background, opaque (its transparency composited over white).
    #[default]
    #[enum_value(
        name = "Opaque: the avatar picture's own background (transparency over white)",
        nick = "opaque"
    )]
    Opaque = 0,
    /// The avatar picture's own alpha channel, warped with the head.
    #[enum_value(
        name = "The avatar picture's alpha channel (PNG), warped with the head",
        nick = "picture"
    )]
    Picture = 1,
    /// A person matte computed from the avatar picture, warped with the head.
    #[enum_value(
        name = "A person matte computed from the avatar picture (MediaPipe selfie segmentation), warped with the head",
        nick = "matte"
    )]
    Matte = 2,
}

impl AlphaChoice {
    /// The property value's nick, as `gst-launch-1.0` takes it.
    pub fn nick(self) -> &'static str {
        match self {
            AlphaChoice::Opaque => "opaque",
            AlphaChoice::Picture => "picture",
            AlphaChoice::Matte => "matte",
        }
    }
}

/// Registers the element with `plugin`.
pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    ExecutionProviderChoice::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    MotionRegionChoice::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    MotionReferenceChoice::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    ActorChoiceChoice::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    AlphaChoice::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "facereenact",
        gst::Rank::NONE,
        FaceReenact::static_type(),
    )
}
