//! Head pose, expression, relative motion and temporal smoothing. Knows nothing of GStreamer.

pub mod camera_offset;
pub mod camera_pose;
pub mod camera_reference;
pub mod foldover;
pub mod limits;
pub mod mouth_corners;
pub mod neutral_face;
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
pub use transfer::{MotionReference, MotionSettings, MotionTransfer, TargetPose};
