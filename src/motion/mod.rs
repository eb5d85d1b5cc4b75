//! Head pose, expression, relative motion and temporal smoothing. Knows nothing of GStreamer.

pub mod foldover;
pub mod limits;
pub mod mouth_corners;
pub mod one_euro;
pub mod openings;
pub mod philtrum;
pub mod pose;
pub mod reacquire;
pub mod region;
pub mod rest;
pub mod transfer;

pub use one_euro::{OneEuroFilter, OneEuroParams};
pub use pose::Similarity;
pub use region::MotionRegion;
pub use transfer::{MotionSettings, MotionTransfer, TargetPose};
