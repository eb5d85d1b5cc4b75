//! Implicit 3D keypoints: the motion extractor's outputs, their transform, and relative motion.
//!
//! Source: LivePortrait `src/live_portrait_wrapper.py` (`get_kp_info`, `transform_keypoint`) and
//! the relative-motion lines of `live_portrait_pipeline.py` (defaults `flag_relative_motion=True`,
//! `animation_region="all"`, `driving_option="pose-friendly"`), reproduced in
//! `tools/liveportrait/make_tiny_set.py`.
//!
//! Convention: keypoints are **row vectors** (21x3, keypoint-major: k0.x, k0.y, k0.z, k1.x, ...)
//! multiplied on the right by the row-vector rotation of [`super::head_pose::rotation_matrix`].
//! Units are the model's normalised crop coordinates (about -1..1).

use nalgebra::Matrix3;

use super::head_pose::{bins_to_degrees, rotation_matrix, NUM_BINS};
use crate::motion::MotionRegion;

/// Number of implicit keypoints.
pub const NUM_KP: usize = 21;

/// 21 keypoints, each (x, y, z), row-major as LivePortrait's 1x21x3 tensors.
pub type Keypoints = [[f32; 3]; NUM_KP];

/// The motion extractor's seven outputs as the ONNX gives them (`motion_extractor.onnx`).
#[derive(Debug, Clone, PartialEq)]
pub struct RawMotion {
    /// `pitch` 1x66 bin logits (before softmax).
    pub pitch: [f32; NUM_BINS],
    /// `yaw` 1x66 bin logits.
    pub yaw: [f32; NUM_BINS],
    /// `roll` 1x66 bin logits.
    pub roll: [f32; NUM_BINS],
    /// `t` 1x3 translation (tx, ty, tz); tz is never used.
    pub t: [f32; 3],
    /// `exp` 1x63 expression deformation (21x3).
    pub exp: Keypoints,
    /// `scale` 1x1.
    pub scale: f32,
    /// `kp` 1x63 canonical keypoints (21x3).
    pub kp: Keypoints,
}

/// Motion of one picture with the pose in degrees and its rotation (`get_kp_info` with
/// `flag_refine_info=True`, plus `get_rotation_matrix`).
#[derive(Debug, Clone, PartialEq)]
pub struct Motion {
    /// Pitch, degrees.
    pub pitch_deg: f32,
    /// Yaw, degrees.
    pub yaw_deg: f32,
    /// Roll, degrees.
    pub roll_deg: f32,
    /// Row-vector rotation `R` (`get_rotation_matrix`, the transpose of `rot_z rot_y rot_x`).
    pub rotation: Matrix3<f32>,
    /// Translation (tx, ty, tz).
    pub t: [f32; 3],
    /// Expression deformation, 21x3.
    pub exp: Keypoints,
    /// Scale.
    pub scale: f32,
    /// Canonical keypoints, 21x3.
    pub kp: Keypoints,
}

/// A flat 63-value slice as 21x3 keypoints.
///
/// Panics when `flat` does not hold 63 values.
pub fn keypoints_from_flat(flat: &[f32]) -> Keypoints {
    assert_eq!(flat.len(), NUM_KP * 3, "keypoints must be 1x63");
    let mut k = [[0f32; 3]; NUM_KP];
    for (dst, src) in k.iter_mut().zip(flat.chunks_exact(3)) {
        dst.copy_from_slice(src);
    }
    k
}

/// 21x3 keypoints flattened keypoint-major (1x63 / 1x21x3 in C order).
pub fn flatten(k: &Keypoints) -> [f32; NUM_KP * 3] {
    let mut out = [0f32; NUM_KP * 3];
    for (dst, src) in out.chunks_exact_mut(3).zip(k.iter()) {
        dst.copy_from_slice(src);
    }
    out
}

impl RawMotion {
    /// The seven outputs read by name from `output` (each flat, C order: `pitch`, `yaw`, `roll`
    /// 66 values, `t` 3, `exp` 63, `scale` 1, `kp` 63).
    ///
    /// Panics when an output has another length.
    pub fn from_outputs<'a>(output: impl Fn(&str) -> &'a [f32]) -> RawMotion {
        let bins = |name: &str| -> [f32; NUM_BINS] {
            output(name)
                .try_into()
                .unwrap_or_else(|_| panic!("motion output '{name}' must be 1x{NUM_BINS}"))
        };
        let t = output("t");
        assert_eq!(t.len(), 3, "motion output 't' must be 1x3");
        RawMotion {
            pitch: bins("pitch"),
            yaw: bins("yaw"),
            roll: bins("roll"),
            t: [t[0], t[1], t[2]],
            exp: keypoints_from_flat(output("exp")),
            scale: output("scale")[0],
            kp: keypoints_from_flat(output("kp")),
        }
    }
}

impl Motion {
    /// Degrees from the bins ([`bins_to_degrees`]) and the rotation ([`rotation_matrix`]).
    pub fn from_raw(raw: &RawMotion) -> Motion {
        let pitch_deg = bins_to_degrees(&raw.pitch);
        let yaw_deg = bins_to_degrees(&raw.yaw);
        let roll_deg = bins_to_degrees(&raw.roll);
        Motion {
            pitch_deg,
            yaw_deg,
            roll_deg,
            rotation: rotation_matrix(pitch_deg, yaw_deg, roll_deg),
            t: raw.t,
            exp: raw.exp,
            scale: raw.scale,
            kp: raw.kp,
        }
    }

    /// The transformed keypoints `x` of this picture ([`transform_keypoints`] of its own motion).
    pub fn transformed(&self) -> Keypoints {
        transform_keypoints(&self.kp, &self.rotation, &self.exp, self.scale, &self.t)
    }
}

/// `x = scale * (kp @ R + exp) + t` for row-vector keypoints, with `t = (tx, ty, tz)` added to x
/// and y only: **tz is never added** (`transform_keypoint`: `kp_transformed[:, :, 0:2] +=
/// t[:, None, 0:2]`). Also gives the relative `x_d_new` when `t` has tz = 0 (pipeline).
pub fn transform_keypoints(
    kp: &Keypoints,
    rotation: &Matrix3<f32>,
    exp: &Keypoints,
    scale: f32,
    t: &[f32; 3],
) -> Keypoints {
    let mut out = [[0f32; 3]; NUM_KP];
    for ((o, p), e) in out.iter_mut().zip(kp.iter()).zip(exp.iter()) {
        for (j, oj) in o.iter_mut().enumerate() {
            let rotated =
                p[0] * rotation[(0, j)] + p[1] * rotation[(1, j)] + p[2] * rotation[(2, j)];
            *oj = scale * (rotated + e[j]);
        }
        o[0] += t[0];
        o[1] += t[1];
    }
    out
}

/// The source's motion driven relatively by a driving frame against the reference (first)
/// driving frame.
#[derive(Debug, Clone, PartialEq)]
pub struct RelativeMotion {
    /// `R_new = (R_d_i @ R_d_0^T) @ R_s` (row-vector rotations).
    pub rotation: Matrix3<f32>,
    /// `exp_new = exp_s + (exp_d_i - exp_d_0)`, 21x3.
    pub exp: Keypoints,
    /// `scale_new = scale_s * (scale_d_i / scale_d_0)`.
    pub scale: f32,
    /// `t_new = t_s + (t_d_i - t_d_0)`, then `t_new[2] = 0`.
    pub t: [f32; 3],
}

/// Relative motion (LivePortrait pipeline, image source, driving video, default options):
/// `source` is the source picture's motion, `reference` the first driving frame's, `driving` the
/// current driving frame's. For `driving == reference` the result gives back the source's `x_s`.
pub fn relative_motion(source: &Motion, reference: &Motion, driving: &Motion) -> RelativeMotion {
    let rotation = (driving.rotation * reference.rotation.transpose()) * source.rotation;
    let mut exp = [[0f32; 3]; NUM_KP];
    for (k, e) in exp.iter_mut().enumerate() {
        for (j, v) in e.iter_mut().enumerate() {
            *v = source.exp[k][j] + (driving.exp[k][j] - reference.exp[k][j]);
        }
    }
    let scale = source.scale * (driving.scale / reference.scale);
    let mut t = [0f32; 3];
    for (j, v) in t.iter_mut().enumerate().take(2) {
        *v = source.t[j] + (driving.t[j] - reference.t[j]);
    }
    RelativeMotion {
        rotation,
        exp,
        scale,
        t,
    }
}

/// LivePortrait's lip keypoints (`animation_region="lip"`: indices 6, 12, 14, 17, 19, 20).
pub const LIP_KEYPOINTS: [usize; 6] = [6, 12, 14, 17, 19, 20];
/// LivePortrait's eye keypoints (`animation_region="eyes"`: indices 11, 13, 15, 16, 18).
pub const EYE_KEYPOINTS: [usize; 5] = [11, 13, 15, 16, 18];

/// [`relative_motion`] limited to a region and with the expression change scaled, as the
/// element's `motion-region` and `expression-multiplier` ask:
///
/// * the rotation and translation are relative (as in [`relative_motion`]) for `All` and `Pose`,
///   the source's own otherwise; the scale likewise (LivePortrait's own `"pose"` region keeps the
///   source's scale; ours follows the actor's distance as the mesh engine's does);
/// * the expression is `exp_s + multiplier * (exp_d_i - exp_d_0)` on every keypoint for `All` and
///   `Expression`, on [`LIP_KEYPOINTS`] for `Lips`, on [`EYE_KEYPOINTS`] for `Eyes`, and the
///   source's own elsewhere and for `Pose`.
///
/// Source: LivePortrait `live_portrait_pipeline.py` (`animation_region`, image source, driving
/// video). With `All` and a multiplier of 1 the result equals [`relative_motion`] exactly.
pub fn relative_motion_in(
    source: &Motion,
    reference: &Motion,
    driving: &Motion,
    region: MotionRegion,
    expression_multiplier: f32,
) -> RelativeMotion {
    let mut out = relative_motion(source, reference, driving);
    let head = matches!(region, MotionRegion::All | MotionRegion::Pose);
    if !head {
        out.rotation = source.rotation;
        out.scale = source.scale;
        out.t = [source.t[0], source.t[1], 0.0];
    }
    let moves = |k: usize| match region {
        MotionRegion::All | MotionRegion::Expression => true,
        MotionRegion::Pose => false,
        MotionRegion::Lips => LIP_KEYPOINTS.contains(&k),
        MotionRegion::Eyes => EYE_KEYPOINTS.contains(&k),
    };
    for (k, e) in out.exp.iter_mut().enumerate() {
        for (j, v) in e.iter_mut().enumerate() {
            *v = if moves(k) {
                source.exp[k][j] + expression_multiplier * (driving.exp[k][j] - reference.exp[k][j])
            } else {
                source.exp[k][j]
            };
        }
    }
    out
}

impl RelativeMotion {
    /// `x_d_new = scale_new * (kp_s @ R_new + exp_new) + t_new` (before stitching), with `kp_s`
    /// the source's canonical keypoints.
    pub fn keypoints(&self, kp_source: &Keypoints) -> Keypoints {
        transform_keypoints(kp_source, &self.rotation, &self.exp, self.scale, &self.t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn motion(seed: f32) -> Motion {
        let mut kp = [[0f32; 3]; NUM_KP];
        let mut exp = [[0f32; 3]; NUM_KP];
        for k in 0..NUM_KP {
            for j in 0..3 {
                kp[k][j] = ((k * 3 + j) as f32 * 0.37 + seed).sin();
                exp[k][j] = ((k * 3 + j) as f32 * 0.11 + seed).cos() * 0.02;
            }
        }
        Motion {
            pitch_deg: 10.0 * seed,
            yaw_deg: -20.0 * seed,
            roll_deg: 5.0,
            rotation: rotation_matrix(10.0 * seed, -20.0 * seed, 5.0),
            t: [0.1 * seed, -0.05, 0.3],
            exp,
            scale: 1.0 + 0.1 * seed,
            kp,
        }
    }

    #[test]
    fn the_reference_frame_gives_back_the_source_keypoints() {
        let (s, d0) = (motion(0.3), motion(1.1));
        let x_s = s.transformed();
        let x = relative_motion(&s, &d0, &d0).keypoints(&s.kp);
        for (a, b) in x.iter().flatten().zip(x_s.iter().flatten()) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn all_with_multiplier_one_is_the_reference_relative_motion() {
        let (s, d0, d1) = (motion(0.3), motion(1.1), motion(0.7));
        assert_eq!(
            relative_motion_in(&s, &d0, &d1, MotionRegion::All, 1.0),
            relative_motion(&s, &d0, &d1)
        );
    }

    #[test]
    fn regions_move_only_their_part() {
        let (s, d0, d1) = (motion(0.3), motion(1.1), motion(0.7));
        let full = relative_motion(&s, &d0, &d1);
        let pose = relative_motion_in(&s, &d0, &d1, MotionRegion::Pose, 1.0);
        assert_eq!(
            (pose.rotation, pose.scale, pose.t),
            (full.rotation, full.scale, full.t)
        );
        assert_eq!(pose.exp, s.exp);
        let lips = relative_motion_in(&s, &d0, &d1, MotionRegion::Lips, 1.0);
        assert_eq!((lips.rotation, lips.scale), (s.rotation, s.scale));
        assert_eq!(lips.t, [s.t[0], s.t[1], 0.0]);
        for k in 0..NUM_KP {
            let expected = if LIP_KEYPOINTS.contains(&k) {
                full.exp[k]
            } else {
                s.exp[k]
            };
            assert_eq!(lips.exp[k], expected, "keypoint {k}");
        }
        let eyes = relative_motion_in(&s, &d0, &d1, MotionRegion::Eyes, 1.0);
        assert_eq!(eyes.exp[11], full.exp[11]);
        assert_eq!(eyes.exp[6], s.exp[6]);
        // The multiplier scales the expression change, not the head.
        let frozen = relative_motion_in(&s, &d0, &d1, MotionRegion::All, 0.0);
        assert_eq!(frozen.exp, s.exp);
        assert_eq!(frozen.rotation, full.rotation);
        let doubled = relative_motion_in(&s, &d0, &d1, MotionRegion::Expression, 2.0);
        let change = |e: &Keypoints| e[6][1] - s.exp[6][1];
        assert!((change(&doubled.exp) - 2.0 * change(&full.exp)).abs() < 1e-6);
    }

    #[test]
    fn tz_is_not_added() {
        let s = motion(0.3);
        let mut t = s.t;
        t[2] = 100.0;
        let x = transform_keypoints(&s.kp, &s.rotation, &s.exp, s.scale, &t);
        assert_eq!(x, s.transformed());
    }
}
