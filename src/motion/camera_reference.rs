//! The reference frame of camera-relative motion ([`super::MotionReference::Camera`]): instead of
//! the actor's first face frame, a virtual frame holding the actor's learned neutral face
//! ([`super::neutral_face`]) facing the camera (up to the learned [`super::camera_offset`]), at
//! the place and size of the shot's first face frame.
//!
//! Motion measured against it is the head's pose relative to facing the camera and the
//! expression relative to the actor's usual face, whatever pose and expression the stream or a
//! shot opens with; translation and scale stay relative to the shot's first frame (a presenter
//! who starts off-centre is not moved to the centre).
//!
//! Every actor frame is brought into the canonical face's frame by its camera pose
//! ([`super::camera_pose::camera_pose`]: centimetres, facing the camera) and observed by the
//! neutral: its rigid points freely, its lips and jaw while the mouth is closed, its eyelids
//! while the eye is open.

use nalgebra::Vector3;

use super::camera_offset::CameraOffset;
use super::camera_pose::camera_pose;
use super::neutral_face::{Gate, NeutralFace, Openness};
use super::openings::{face_axes, gap, LEFT_LID_PAIRS, LIP_PAIRS, RIGHT_LID_PAIRS};
use super::pose::{rigid_centroid, Similarity, RIGID_POINTS};
use super::region::MotionRegion;
use crate::face::eye_refiner::{LEFT_EYE_MESH_INDICES, RIGHT_EYE_MESH_INDICES};

/// Eyelid and first-halo points of each eye that an eye's openness gates.
const EYE_GATED_POINTS: usize = 32;
/// Openness of a face's mouth and eyes, over its eye-corner distance.
pub fn openness(points: &[[f32; 3]]) -> Openness {
    let (_, down, io) = face_axes(points);
    Openness {
        mouth: gap(points, LIP_PAIRS[4], down) / io,
        right_eye: gap(points, RIGHT_LID_PAIRS[3], down) / io,
        left_eye: gap(points, LEFT_LID_PAIRS[3], down) / io,
    }
}

/// Which snapshots each landmark coordinate's neutral comes from (three per landmark).
fn gates_for(face: &[[f32; 3]]) -> Vec<Gate> {
    let mut lips = Vec::new();
    MotionRegion::Lips.expression_weights(face, &mut lips);
    (0..face.len())
        .map(|i| {
            if RIGID_POINTS.contains(&i) {
                Gate::Any
            } else if RIGHT_EYE_MESH_INDICES[..EYE_GATED_POINTS].contains(&i) {
                Gate::RightEyeOpen
            } else if LEFT_EYE_MESH_INDICES[..EYE_GATED_POINTS].contains(&i) {
                Gate::LeftEyeOpen
            } else if lips[i] > 0.0 {
                Gate::MouthClosed
            } else {
                Gate::Any
            }
        })
        .flat_map(|g| [g; 3])
        .collect()
}

/// The camera-relative reference (see the module docs), with its buffers.
#[derive(Debug, Clone, Default)]
pub struct CameraReference {
    neutral: Option<NeutralFace>,
    offset: CameraOffset,
    /// Pixels per centimetre and rigid-point centroid of the shot's first face frame.
    placement: Option<(f32, Vector3<f32>)>,
    canonical: Vec<f32>,
    reference: Vec<[f32; 3]>,
}

impl CameraReference {
    /// Nothing learned yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the neutral face, the camera offset and the shot's placement.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// A new shot (a cut, the face found again elsewhere, another speaker): the place and size
    /// of its first face frame become the reference's, and the neutral face is learned anew from
    /// it (it may be another person: measured on the five shared driving clips, the proportions
    /// of the rigid points do not tell people apart, one person against itself 0.008-0.024
    /// eye-corner distances root mean square in median, two people 0.014-0.042; keeping a neutral
    /// across a cut to another person drew the new face's proportions as expression).
    pub fn new_shot(&mut self) {
        self.placement = None;
        if let Some(neutral) = self.neutral.as_mut() {
            neutral.reset();
        }
    }

    /// The learned camera offset's yaw and pitch, degrees.
    pub fn offset_deg(&self) -> (f32, f32) {
        self.offset.yaw_pitch_deg()
    }

    /// Observes the actor's landmarks `actor` (468, pixels) at stream time `t` seconds and
    /// returns the reference frame for them (468 landmarks, pixels): the actor's neutral face,
    /// facing the camera (turned by the learned offset), where the shot's first face was.
    /// `None` when no pose can be estimated (degenerate landmarks).
    pub fn update(&mut self, actor: &[[f32; 3]], t: f64) -> Option<&[[f32; 3]]> {
        let pose = camera_pose(actor)?;
        let inv = pose.inverse();
        self.canonical.clear();
        self.canonical.extend(
            actor
                .iter()
                .flat_map(|a| -> [f32; 3] { inv.apply(&Vector3::from(*a)).into() }),
        );
        let points = as_points(&self.canonical);
        let open = openness(points);
        let neutral = self
            .neutral
            .get_or_insert_with(|| NeutralFace::new(gates_for(points)));
        let n = neutral.observe(&self.canonical, open, t);
        let (_, yaw, pitch) = pose.roll_yaw_pitch_deg();
        self.offset.learn(yaw, pitch, t);
        let (scale, centre) = *self
            .placement
            .get_or_insert_with(|| (pose.scale, rigid_centroid(actor)));
        let rotation = self.offset.rotation();
        let c = rigid_centroid(as_points(n));
        let place = Similarity {
            scale,
            rotation,
            translation: centre - rotation * c * scale,
        };
        self.reference.clear();
        self.reference.extend(
            n.chunks_exact(3)
                .map(|p| -> [f32; 3] { place.apply(&Vector3::new(p[0], p[1], p[2])).into() }),
        );
        Some(&self.reference)
    }
}

/// Flat x, y, z values as points.
fn as_points(flat: &[f32]) -> &[[f32; 3]] {
    let (points, rest) = flat.as_chunks::<3>();
    debug_assert!(rest.is_empty());
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::motion::camera_pose::canonical_landmarks;
    use crate::motion::pose::head_pose;
    use nalgebra::Rotation3;

    /// A face: the canonical rigid points and, elsewhere, points spread around them, with open
    /// eyes and a closed mouth; `smile` widens and raises the mouth region.
    fn face(smile: f32) -> Vec<[f32; 3]> {
        let mut p: Vec<[f32; 3]> = (0..468)
            .map(|i| {
                let t = i as f32;
                [
                    (t * 1.3).sin() * 6.0,
                    (t * 0.7).cos() * 7.0,
                    (t * 2.1).sin() * 2.0 - 4.0,
                ]
            })
            .collect();
        let frontal = canonical_landmarks(&Similarity::identity());
        for &i in &RIGID_POINTS {
            p[i] = frontal[i];
        }
        for &(u, l) in RIGHT_LID_PAIRS.iter().chain(&LEFT_LID_PAIRS) {
            p[l] = [p[u][0], p[u][1] + 1.0, p[u][2]];
        }
        for &(u, l) in &LIP_PAIRS {
            p[u] = [p[u][0] * (1.0 + smile), 4.0 - smile, -5.0];
            p[l] = [p[u][0], p[u][1] + 0.05, -5.0];
        }
        p
    }

    fn posed(face: &[[f32; 3]], yaw: f32, pitch: f32) -> Vec<[f32; 3]> {
        let r = *Rotation3::from_euler_angles(pitch.to_radians(), yaw.to_radians(), 0.0).matrix();
        face.iter()
            .map(|p| {
                let v = r * Vector3::from(*p) * 12.0 + Vector3::new(300.0, 200.0, 0.0);
                v.into()
            })
            .collect()
    }

    #[test]
    fn a_turned_first_frame_is_measured_against_facing_the_camera() {
        let mut reference = CameraReference::new();
        // The stream opens turned 25 degrees: the reference faces the camera, so the motion to
        // the actor is the turn itself.
        let first = posed(&face(0.0), 25.0, 0.0);
        let r = reference.update(&first, 0.0).unwrap().to_vec();
        let (_, yaw, _) = head_pose(&r, &first).unwrap().roll_yaw_pitch_deg();
        assert!((yaw - 25.0).abs() < 0.5, "yaw {yaw}");
        // Facing the camera a second later: no motion.
        let front = posed(&face(0.0), 0.0, 0.0);
        for i in 1..30 {
            reference.update(&front, i as f64 / 30.0);
        }
        let r = reference.update(&front, 1.0).unwrap().to_vec();
        let (roll, yaw, pitch) = head_pose(&r, &front).unwrap().roll_yaw_pitch_deg();
        assert!(
            roll.abs() < 0.5 && yaw.abs() < 0.5 && pitch.abs() < 0.5,
            "{roll} {yaw} {pitch}"
        );
    }

    #[test]
    fn a_shot_opening_mid_smile_loses_the_smile_from_its_neutral() {
        let mut reference = CameraReference::new();
        let (smiling, relaxed) = (posed(&face(0.3), 0.0, 0.0), posed(&face(0.0), 0.0, 0.0));
        reference.update(&smiling, 0.0);
        for i in 1..30 {
            reference.update(&smiling, i as f64 / 30.0);
        }
        for i in 30..150 {
            reference.update(&relaxed, i as f64 / 30.0);
        }
        let r = reference.update(&relaxed, 5.0).unwrap();
        let corner = LIP_PAIRS[0].0;
        assert!(
            (r[corner][0] - relaxed[corner][0]).abs() < 0.2,
            "the mouth corner's neutral is the relaxed one: {} vs {}",
            r[corner][0],
            relaxed[corner][0]
        );
    }
}
