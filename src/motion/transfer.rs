//! Relative motion transfer: the actor's head pose and expression, measured against a reference
//! actor frame, applied to the avatar's own landmarks.
//!
//! With actor landmarks `a_t` (frame t) and `a_r` (reference frame), avatar landmarks `v`:
//! * head pose `S_t` = similarity with `a_t ≈ S_t(a_r)` on rigid points ([`head_pose`]);
//! * expression `e_t = S_t⁻¹(a_t) − a_r`: landmark displacement in the reference's pose;
//! * actor-to-avatar alignment `S_av` with `v ≈ S_av(a_r)`; with adapt scale its scale `k`
//!   (avatar face size / actor face size) scales every displacement (FOMM's
//!   `adapt_movement_scale`, Siarohin et al., NeurIPS 2019), without it `k = 1`;
//! * target `w = c + s_t·R'(v + m·k·R_av·e_t − c) + k·R_av·(S_t(c_r) − c_r)`, with `R' = R_av R_t R_avᵀ`
//!   (the actor's rotation expressed in the avatar's frame), `m` the expression multiplier, `c_r`
//!   and `c` the centroids of the rigid points of the reference and of the avatar.
//!
//! When the avatar *is* the reference frame, `w = a_t` exactly (see the tests).

use nalgebra::Vector3;

use super::pose::{head_pose, Similarity, RIGID_POINTS};

/// Which parts of the actor's motion reach the avatar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotionSettings {
    /// Expression multiplier: 0 freezes the avatar's expression, 1 copies the actor's, above 1
    /// exaggerates.
    pub expression_multiplier: f32,
    /// Scale displacements by the ratio of face sizes (see the module docs).
    pub adapt_scale: bool,
}

impl Default for MotionSettings {
    fn default() -> Self {
        MotionSettings {
            expression_multiplier: 1.0,
            adapt_scale: true,
        }
    }
}

/// The avatar's pose for one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetPose {
    /// 468 target landmarks in avatar pixel coordinates (x, y) with depth z.
    pub points: Vec<[f32; 3]>,
    /// The head's rigid motion in avatar coordinates (no expression): maps an avatar point that
    /// moves with the skull (hair, ears) to its target.
    pub rigid: Similarity,
}

/// Relative motion state: the reference actor frame and its alignment to the avatar.
#[derive(Debug, Clone, Default)]
pub struct MotionTransfer {
    reference: Option<Vec<[f32; 3]>>,
}

fn centroid(points: &[[f32; 3]]) -> Vector3<f32> {
    RIGID_POINTS
        .iter()
        .map(|&i| Vector3::from(points[i]))
        .sum::<Vector3<f32>>()
        / RIGID_POINTS.len() as f32
}

impl MotionTransfer {
    /// No reference yet: the next actor frame with a face becomes it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops the reference: the next actor frame with a face becomes the new reference.
    pub fn reset_reference(&mut self) {
        self.reference = None;
    }

    /// Whether a reference actor frame is set.
    pub fn has_reference(&self) -> bool {
        self.reference.is_some()
    }

    /// The avatar's target pose for actor landmarks `actor` (square-pixel actor coordinates),
    /// given the avatar's landmarks `avatar` (avatar pixels). The first call sets the reference.
    /// Falls back to the avatar's own landmarks when a pose cannot be estimated (degenerate input).
    pub fn target(
        &mut self,
        actor: &[[f32; 3]],
        avatar: &[[f32; 3]],
        s: &MotionSettings,
    ) -> TargetPose {
        let reference = self.reference.get_or_insert_with(|| actor.to_vec());
        let neutral = || TargetPose {
            points: avatar.to_vec(),
            rigid: Similarity::identity(),
        };
        let (Some(pose), Some(align)) = (head_pose(reference, actor), head_pose(reference, avatar))
        else {
            return neutral();
        };
        let k = if s.adapt_scale { align.scale } else { 1.0 };
        let r_av = align.rotation;
        let r_rel = r_av * pose.rotation * r_av.transpose();
        let c_r = centroid(reference);
        let c = centroid(avatar);
        let shift = r_av * (pose.apply(&c_r) - c_r) * k;
        let rigid = Similarity {
            scale: pose.scale,
            rotation: r_rel,
            translation: c - r_rel * c * pose.scale + shift,
        };
        let inv = pose.inverse();
        let points = avatar
            .iter()
            .zip(actor)
            .zip(reference.iter())
            .map(|((v, a), r)| {
                let expr = inv.apply(&Vector3::from(*a)) - Vector3::from(*r);
                let moved = Vector3::from(*v) + r_av * expr * (k * s.expression_multiplier);
                let w = rigid.apply(&moved);
                [w.x, w.y, w.z]
            })
            .collect();
        TargetPose { points, rigid }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Rotation3;

    fn face() -> Vec<[f32; 3]> {
        (0..468)
            .map(|i| {
                let t = i as f32;
                [
                    100.0 + (t * 1.3).sin() * 40.0,
                    120.0 + (t * 0.7).cos() * 50.0,
                    (t * 2.1).sin() * 15.0,
                ]
            })
            .collect()
    }

    fn transform(points: &[[f32; 3]], s: &Similarity) -> Vec<[f32; 3]> {
        points
            .iter()
            .map(|p| s.apply(&Vector3::from(*p)).into())
            .collect()
    }

    #[test]
    fn avatar_equal_to_the_reference_reproduces_the_actor() {
        let reference = face();
        let mut mt = MotionTransfer::new();
        let settings = MotionSettings::default();
        mt.target(&reference, &reference, &settings);
        // Frame t: head turned and moved, mouth point displaced (expression).
        let pose = Similarity {
            scale: 1.1,
            rotation: *Rotation3::from_euler_angles(0.1f32, 0.3, -0.2).matrix(),
            translation: Vector3::new(5.0, -3.0, 1.0),
        };
        let mut actor = transform(&reference, &pose);
        actor[14][1] += 12.0;
        let out = mt.target(&actor, &reference, &settings);
        for (o, a) in out.points.iter().zip(&actor) {
            for c in 0..3 {
                assert!((o[c] - a[c]).abs() < 0.05, "{o:?} vs {a:?}");
            }
        }
    }

    #[test]
    fn motion_is_scaled_to_a_larger_avatar_and_expression_multiplier_applies() {
        let reference = face();
        let avatar_pose = Similarity {
            scale: 2.0,
            rotation: nalgebra::Matrix3::identity(),
            translation: Vector3::new(50.0, 0.0, 0.0),
        };
        let avatar = transform(&reference, &avatar_pose);
        let mut mt = MotionTransfer::new();
        let mut settings = MotionSettings::default();
        let first = mt.target(&reference, &avatar, &settings).points;
        let worst = first
            .iter()
            .zip(&avatar)
            .flat_map(|(a, b)| (0..3).map(move |c| (a[c] - b[c]).abs()))
            .fold(0.0, f32::max);
        assert!(
            worst < 0.01,
            "reference frame: avatar unchanged (moved {worst} px)"
        );
        // The actor moves 10 px right and opens the mouth by 6 px.
        let mut actor: Vec<[f32; 3]> = reference
            .iter()
            .map(|p| [p[0] + 10.0, p[1], p[2]])
            .collect();
        actor[14][1] += 6.0;
        let out = mt.target(&actor, &avatar, &settings);
        assert!(
            (out.points[1][0] - (avatar[1][0] + 20.0)).abs() < 0.05,
            "translation x2"
        );
        assert!(
            (out.points[14][1] - (avatar[14][1] + 12.0)).abs() < 0.05,
            "mouth x2"
        );
        settings.expression_multiplier = 0.5;
        let half = mt.target(&actor, &avatar, &settings);
        assert!(
            (half.points[14][1] - (avatar[14][1] + 6.0)).abs() < 0.05,
            "mouth x2 x0.5"
        );
        settings.adapt_scale = false;
        let raw = mt.target(&actor, &avatar, &settings);
        assert!(
            (raw.points[1][0] - (avatar[1][0] + 10.0)).abs() < 0.05,
            "unscaled translation"
        );
    }

    #[test]
    fn reset_reference_makes_the_next_frame_neutral() {
        let reference = face();
        let mut mt = MotionTransfer::new();
        let s = MotionSettings::default();
        mt.target(&reference, &reference, &s);
        let moved: Vec<[f32; 3]> = reference
            .iter()
            .map(|p| [p[0] + 30.0, p[1], p[2]])
            .collect();
        assert_ne!(mt.target(&moved, &reference, &s).points, reference);
        mt.reset_reference();
        assert!(!mt.has_reference());
        let out = mt.target(&moved, &reference, &s);
        assert!(out
            .points
            .iter()
            .zip(&reference)
            .all(|(a, b)| (a[0] - b[0]).abs() < 1e-3));
    }
}
