//! Mesh warp, mouth interior and paste-back onto the avatar canvas. Knows nothing of GStreamer.

pub mod canvas_rows;
pub mod mouth;
pub mod mouth_patch;
pub mod triangle;
pub mod warp_mesh;

pub use canvas_rows::CanvasRows;
pub use warp_mesh::WarpMesh;
