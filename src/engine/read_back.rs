//! The drawn pose read back from a rendering: for an engine that moves pixels, not landmarks (the
//! LivePortrait engine), the 468-point landmarker runs on the rendered face and the head's rigid
//! motion is fitted from the avatar's landmarks to what it finds.
//!
//! Where it looks: the avatar's face region ([`FaceLandmarks::tracking_roi`] of the avatar's
//! landmarks) until a read-back finds a face, then where the last one found it, as the tracker
//! follows a face from frame to frame. A read-back whose face presence is under
//! [`MIN_READ_BACK_PRESENCE`] (the rendering shows no face there) keeps the previous pose.
//!
//! The rigid motion is [`head_pose`] (Umeyama on the skull's rigid points) from the avatar's
//! landmarks to the read-back ones, in avatar pixels, as the mesh engine's
//! [`TargetPose::rigid`] is.

use image::RgbImage;

use crate::face::landmarker::{FaceLandmarks, Landmarker, NUM_LANDMARKS};
use crate::motion::pose::head_pose;
use crate::motion::rest::set_rest_pose;
use crate::motion::{Similarity, TargetPose};
use crate::runtime::RuntimeError;

/// Face presence (0..1) under which a read-back is not taken as a face.
pub const MIN_READ_BACK_PRESENCE: f32 = 0.5;

/// Reads drawn poses back (see the module docs). After the first pose, a read-back allocates
/// nothing.
pub struct PoseReadBack {
    landmarker: Landmarker,
    /// The last read-back with a face.
    drawn: FaceLandmarks,
    /// The current read-back.
    reading: FaceLandmarks,
    /// The pose of `drawn`, once a read-back found a face.
    pose: Option<TargetPose>,
}

impl PoseReadBack {
    /// A reader running `landmarker` (a landmarker of the face models).
    pub fn new(landmarker: Landmarker) -> Self {
        PoseReadBack {
            landmarker,
            drawn: FaceLandmarks::with_capacity(),
            reading: FaceLandmarks::with_capacity(),
            pose: None,
        }
    }

    /// Reads the face drawn in `rendering` (the avatar's size, square pixels) of the avatar whose
    /// own landmarks are `avatar` (avatar pixels). Errors: the landmarker's
    /// [`RuntimeError::Inference`].
    pub fn read(
        &mut self,
        rendering: &RgbImage,
        avatar: &FaceLandmarks,
    ) -> Result<(), RuntimeError> {
        let roi = if self.pose.is_some() {
            self.drawn.tracking_roi()
        } else {
            avatar.tracking_roi()
        };
        self.landmarker
            .landmarks_into(rendering, 1.0, &roi, &mut self.reading)?;
        if self.reading.presence < MIN_READ_BACK_PRESENCE {
            return Ok(());
        }
        std::mem::swap(&mut self.drawn, &mut self.reading);
        let points = &self.drawn.points[..NUM_LANDMARKS];
        let rigid = head_pose(&avatar.points, points).unwrap_or_else(Similarity::identity);
        let pose = self.pose.get_or_insert_with(|| TargetPose {
            points: Vec::with_capacity(NUM_LANDMARKS),
            rigid,
        });
        pose.points.clear();
        pose.points.extend_from_slice(points);
        pose.rigid = rigid;
        Ok(())
    }

    /// The last pose read with a face (468 landmarks in avatar pixels, the rigid motion from the
    /// avatar's own pose); `None` before any.
    pub fn pose(&self) -> Option<&TargetPose> {
        self.pose.as_ref()
    }

    /// The avatar shown at rest, its own picture: its own landmarks `avatar` (avatar pixels),
    /// unmoved, without a landmarker run.
    pub fn rest(&mut self, avatar: &FaceLandmarks) {
        // The next read looks where the avatar's own face is.
        self.drawn.points.clear();
        self.drawn.points.extend_from_slice(&avatar.points);
        self.drawn.presence = avatar.presence;
        let pose = self.pose.get_or_insert_with(|| TargetPose {
            points: Vec::with_capacity(NUM_LANDMARKS),
            rigid: Similarity::identity(),
        });
        set_rest_pose(pose, &avatar.points[..NUM_LANDMARKS]);
    }

    /// Forgets the pose (a new avatar, a flush): the next read looks at the avatar's face region.
    pub fn reset(&mut self) {
        self.pose = None;
    }
}
