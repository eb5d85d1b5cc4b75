//! Head pose, expression, relative motion and temporal smoothing. Knows nothing of GStreamer.

pub mod one_euro;
pub mod pose;
pub mod transfer;

pub use one_euro::{OneEuroFilter, OneEuroParams};
pub use pose::Similarity;
pub use transfer::{MotionSettings, MotionTransfer, TargetPose};
