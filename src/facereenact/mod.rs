//! The `facereenact` element: actor video in, re-posed avatar video out.

use gst::glib;
use gst::prelude::*;

mod imp;

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

/// Registers the element with `plugin`.
pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    ExecutionProviderChoice::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "facereenact",
        gst::Rank::NONE,
        FaceReenact::static_type(),
    )
}
