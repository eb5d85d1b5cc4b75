//! Face detection, landmarks and tracking on 8-bit RGB pictures. Knows nothing of GStreamer.

pub mod detector;
pub mod eye_refiner;
pub mod human_likeness;
pub mod landmarker;
pub mod mesh_topology;
pub mod roi;
pub mod search;
pub mod speaker;
pub mod speaker_watch;
pub mod tracker;

pub use detector::{Detection, DetectorModel, FaceDetector};
pub use eye_refiner::EyeRefiner;
pub use landmarker::{FaceLandmarks, Landmarker};
pub use roi::Roi;
pub use search::FrameRegion;
pub use speaker::ActorChoice;
pub use tracker::{FaceTracker, TrackOptions};
