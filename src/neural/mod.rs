//! LivePortrait's neural face reenactment, run from its ONNX model set (no GStreamer types).
//!
//! Source: KwaiVGI/LivePortrait, commit 1986663b, vendored under
//! `tools/liveportrait/vendor/liveportrait/` (`src/live_portrait_wrapper.py`,
//! `src/utils/camera.py`); the pipeline loop (relative motion + stitching, default options) is
//! reproduced in `tools/liveportrait/make_tiny_set.py`.
//!
//! * [`model_set`]: loads and checks the ONNX files, binds every tensor by name;
//! * [`declared_opset`]: whether a warping model's GridSample nodes run on a GPU provider (its
//!   declared opset), read from the file without running it;
//! * [`bound_model`]: the per-frame models run through I/O binding (tensors allocated once, the
//!   feature volume kept in the provider's memory);
//! * [`head_pose`]: pose bins to degrees, rotation matrix;
//! * [`keypoints`]: implicit keypoint transform and relative motion;
//! * [`camera_reference`]: the camera-relative stand-in for the first driving frame;
//! * [`stitching`]: the stitching network's input and how its output is applied;
//! * [`lip_normalization`]: an avatar's open mouth animated from closed (`flag_normalize_lip`);
//! * [`crop`]: the face crop from our 468 landmarks, sampled to 256x256;
//! * [`paste_back`]: the 512x512 output pasted back into the avatar picture, feathered;
//! * [`runner`]: the stages in order, from RGB8 crops to the 512x512 RGB8 animated frame;
//! * [`absence_easing`]: the driving keypoints held, eased to rest and back around the actor's
//!   absences.
//!
//! Tested stage by stage against `tests/data/liveportrait/tiny/` (`tests/liveportrait_reference.rs`).

pub mod absence_easing;
pub mod bound_model;
pub mod camera_reference;
pub mod crop;
pub mod declared_opset;
pub mod head_pose;
pub mod keypoints;
pub mod lip_normalization;
pub mod model_set;
pub mod paste_back;
pub mod runner;
pub mod stitching;
