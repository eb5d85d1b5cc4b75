//! facereenact: a GStreamer element that re-poses an avatar picture with an actor video's head
//! motion and facial expression (face reenactment), frame by frame.
//!
//! Pipeline of one actor frame (see docs/architecture.md, "How a frame is processed"):
//! [`face`] (detect when tracking is lost, 468 landmarks) → [`motion`] (head pose by Umeyama,
//! expression, relative motion against a reference frame, One-Euro smoothing) → [`render`]
//! (piecewise-affine mesh warp of the avatar, mouth interior, feathered paste-back onto the
//! cached avatar canvas). [`facereenact`] is the GStreamer glue only.

pub mod avatar;
pub mod engine;
pub mod face;
#[allow(clippy::module_inception)]
pub mod facereenact;
pub mod matte;
pub mod models;
pub mod motion;
pub mod neural;
pub mod output_size;
pub mod parallel;
pub mod picture;
#[doc(hidden)]
pub mod quality;
pub mod render;
pub mod runtime;
pub mod sampling;
pub mod video;

use gst::glib;

fn plugin_init(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    facereenact::register(plugin)
}

gst::plugin_define!(
    facereenact,
    env!("CARGO_PKG_DESCRIPTION"),
    plugin_init,
    concat!(env!("CARGO_PKG_VERSION"), "-", env!("COMMIT_ID")),
    "MPL-2.0",
    env!("CARGO_PKG_NAME"),
    env!("CARGO_PKG_NAME"),
    // No public repository yet: say so rather than show a placeholder address.
    "built from the facereenact source tree (no public repository yet)",
    env!("BUILD_REL_DATE")
);
