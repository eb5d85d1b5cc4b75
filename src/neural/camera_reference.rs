//! The LivePortrait engine's camera-relative reference ([`crate::motion::MotionReference::Camera`]):
//! the driving "first frame" of LivePortrait's relative motion replaced by a virtual one, so that
//! an actor facing the camera with a face at rest gives the avatar as pictured.
//!
//! LivePortrait's motion extractor reads each driving frame's absolute pitch, yaw and roll.
//! Relative motion computes `R_new = (R_d · R_d0ᵀ) · R_s` and `exp_new = exp_s + (exp_d −
//! exp_d0)` (see [`super::keypoints::relative_motion`]); the virtual reference `d0` has:
//! * the rotation of facing the camera, turned by the learned camera offset
//!   ([`crate::motion::camera_offset`], learned from the extractor's own yaw and pitch);
//! * the expression deformation of the actor's neutral face ([`crate::motion::neutral_face`]:
//!   the lip keypoints' from closed-mouth frames, the eye keypoints' from open-eyed ones, the
//!   rest from all, over the last half minute);
//! * the scale and translation of the shot's first driving frame (as in relative motion).

use super::head_pose::rotation_matrix;
use super::keypoints::{
    flatten, keypoints_from_flat, Motion, EYE_KEYPOINTS, LIP_KEYPOINTS, NUM_KP,
};
use crate::motion::camera_offset::CameraOffset;
use crate::motion::neutral_face::{Gate, NeutralFace, Openness};

/// The virtual driving reference, learned frame by frame.
#[derive(Debug, Clone)]
pub struct CameraDrivingReference {
    neutral: NeutralFace,
    offset: CameraOffset,
    /// The shot's first driving frame (scale, translation).
    first: Option<Motion>,
}

impl Default for CameraDrivingReference {
    fn default() -> Self {
        Self::new()
    }
}

impl CameraDrivingReference {
    /// Nothing learned yet.
    pub fn new() -> Self {
        let gates = (0..NUM_KP)
            .map(|k| {
                if LIP_KEYPOINTS.contains(&k) {
                    Gate::MouthClosed
                } else if EYE_KEYPOINTS.contains(&k) {
                    Gate::RightEyeOpen
                } else {
                    Gate::Any
                }
            })
            .flat_map(|g| [g; 3])
            .collect();
        CameraDrivingReference {
            neutral: NeutralFace::new(gates),
            offset: CameraOffset::new(),
            first: None,
        }
    }

    /// Forgets the neutral, the offset and the shot.
    pub fn reset(&mut self) {
        self.neutral.reset();
        self.offset.reset();
        self.first = None;
    }

    /// A new shot: its first driving frame gives the scale and translation, and the neutral is
    /// learned anew (as the mesh engine's, see
    /// [`crate::motion::camera_reference::CameraReference::new_shot`]).
    pub fn new_shot(&mut self) {
        self.first = None;
        self.neutral.reset();
    }

    /// The reference for the driving frame `driving` at stream time `t` seconds, whose actor
    /// landmarks are `actor` (468, pixels; their mouth and eye openness gate the neutral). Both
    /// eyes' keypoints are gated by the less open eye.
    pub fn reference(&mut self, driving: &Motion, actor: &[[f32; 3]], t: f64) -> Motion {
        let open = crate::motion::camera_reference::openness(actor);
        let eyes = open.right_eye.min(open.left_eye);
        let gate = Openness {
            mouth: open.mouth,
            right_eye: eyes,
            left_eye: eyes,
        };
        let exp = keypoints_from_flat(self.neutral.observe(&flatten(&driving.exp), gate, t));
        self.offset.learn(driving.yaw_deg, driving.pitch_deg, t);
        let first = self.first.get_or_insert_with(|| driving.clone());
        let (yaw, pitch) = self.offset.yaw_pitch_deg();
        Motion {
            pitch_deg: pitch,
            yaw_deg: yaw,
            roll_deg: 0.0,
            rotation: rotation_matrix(pitch, yaw, 0.0),
            t: first.t,
            exp,
            scale: first.scale,
            kp: first.kp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::keypoints::relative_motion;

    fn motion(pitch: f32, yaw: f32, smile: f32) -> Motion {
        let mut exp = [[0.0f32; 3]; NUM_KP];
        for &k in &LIP_KEYPOINTS {
            exp[k] = [smile, -smile, 0.0];
        }
        exp[3] = [smile, 0.0, 0.0];
        Motion {
            pitch_deg: pitch,
            yaw_deg: yaw,
            roll_deg: 0.0,
            rotation: rotation_matrix(pitch, yaw, 0.0),
            t: [0.1, 0.2, 0.0],
            exp,
            scale: 1.3,
            kp: [[0.5; 3]; NUM_KP],
        }
    }

    /// A face with open eyes and a closed mouth, for the gates.
    fn face() -> Vec<[f32; 3]> {
        use crate::motion::openings::{LEFT_LID_PAIRS, LIP_PAIRS, RIGHT_LID_PAIRS};
        let mut p = vec![[0.0f32; 3]; 468];
        p[33] = [0.0, 0.0, 0.0];
        p[263] = [60.0, 0.0, 0.0];
        for &(u, l) in RIGHT_LID_PAIRS.iter().chain(&LEFT_LID_PAIRS) {
            p[l] = [p[u][0], p[u][1] + 10.0, 0.0];
        }
        for &(u, l) in &LIP_PAIRS {
            p[u] = [30.0, 70.0, 0.0];
            p[l] = [30.0, 70.5, 0.0];
        }
        p
    }

    #[test]
    fn facing_the_camera_at_rest_gives_the_source_as_pictured_after_a_turned_smiling_start() {
        let source = motion(5.0, -15.0, 0.0);
        let mut reference = CameraDrivingReference::new();
        let actor = face();
        // The stream opens turned 25 degrees and smiling, for a second.
        let opening = motion(0.0, 25.0, 0.02);
        for i in 0..30 {
            reference.reference(&opening, &actor, i as f64 / 30.0);
        }
        // Then faces the camera, at rest, for four seconds.
        let rest = motion(0.0, 0.0, 0.0);
        let mut r = reference.reference(&rest, &actor, 1.0);
        for i in 31..150 {
            r = reference.reference(&rest, &actor, i as f64 / 30.0);
        }
        let out = relative_motion(&source, &r, &rest);
        assert!(
            (out.rotation - source.rotation).norm() < 1e-4,
            "the source's own pose"
        );
        for k in 0..NUM_KP {
            for j in 0..3 {
                assert!(
                    (out.exp[k][j] - source.exp[k][j]).abs() < 2e-3,
                    "keypoint {k}: {} vs {}",
                    out.exp[k][j],
                    source.exp[k][j]
                );
            }
        }
        assert_eq!(
            (out.scale, out.t),
            (source.scale, [source.t[0], source.t[1], 0.0])
        );
    }
}
