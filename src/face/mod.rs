//! Face detection, landmarks and tracking on 8-bit RGB pictures. Knows nothing of GStreamer.

pub mod detector;
pub mod eye_refiner;
pub mod frame_region;
pub mod human_likeness;
pub mod landmarker;
pub mod mesh_topology;
pub mod opening_measures;
pub mod roi;
pub mod search;
pub mod speaker;
pub mod speaker_watch;
pub mod spot;
pub mod tracker;

pub use detector::{Detection, DetectorModel, FaceDetector};
pub use eye_refiner::EyeRefiner;
pub use frame_region::FrameRegion;
pub use landmarker::{FaceLandmarks, Landmarker};
pub use roi::Roi;
pub use search::DEFAULT_BUDGET as DEFAULT_SEARCH_BUDGET;
pub use speaker::ActorChoice;
pub use tracker::{FaceTracker, TrackOptions};
