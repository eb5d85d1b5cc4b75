//! Head pose as a 3-D similarity transform, estimated with Umeyama's method.
//!
//! Source: S. Umeyama, "Least-squares estimation of transformation parameters between two point
//! patterns", IEEE TPAMI 13(4), 1991. The SVD comes from `nalgebra`.

use nalgebra::{Matrix3, Vector3};

/// Landmarks that move with the skull and hardly with expression: forehead, nose bridge and tip,
/// outer and inner eye corners, temples, cheekbones. Used to estimate the head pose.
pub const RIGID_POINTS: [usize; 26] = [
    10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 33, 133, 362, 263, 130, 359, 234, 454, 127, 356, 98,
    327, 64, 294, 2,
];

/// `p -> scale * rotation * p + translation` in landmark coordinates (pixels, y down, z into the
/// picture).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// Uniform scale (1 = same size).
    pub scale: f32,
    /// Proper rotation (determinant +1).
    pub rotation: Matrix3<f32>,
    /// Translation, pixels.
    pub translation: Vector3<f32>,
}

impl Similarity {
    /// The identity transform.
    pub fn identity() -> Self {
        Similarity {
            scale: 1.0,
            rotation: Matrix3::identity(),
            translation: Vector3::zeros(),
        }
    }

    /// Applies the transform to a point.
    #[inline]
    pub fn apply(&self, p: &Vector3<f32>) -> Vector3<f32> {
        self.rotation * p * self.scale + self.translation
    }

    /// The inverse transform.
    pub fn inverse(&self) -> Self {
        let rt = self.rotation.transpose();
        Similarity {
            scale: 1.0 / self.scale,
            rotation: rt,
            translation: -(rt * self.translation) / self.scale,
        }
    }

    /// Roll, yaw and pitch of the rotation in degrees (rotation about the z, y and x axes;
    /// `R = Rz(roll) * Ry(yaw) * Rx(pitch)`).
    pub fn roll_yaw_pitch_deg(&self) -> (f32, f32, f32) {
        let r = &self.rotation;
        let yaw = (-r[(2, 0)]).clamp(-1.0, 1.0).asin();
        let roll = r[(1, 0)].atan2(r[(0, 0)]);
        let pitch = r[(2, 1)].atan2(r[(2, 2)]);
        (roll.to_degrees(), yaw.to_degrees(), pitch.to_degrees())
    }
}

/// Least-squares similarity mapping `src[i]` onto `dst[i]` (Umeyama 1991, with the reflection
/// correction). Returns `None` for fewer than 3 points or degenerate (collinear) sets.
pub fn umeyama(src: &[Vector3<f32>], dst: &[Vector3<f32>]) -> Option<Similarity> {
    let n = src.len();
    if n < 3 || n != dst.len() {
        return None;
    }
    let nf = n as f32;
    let mu_s = src.iter().sum::<Vector3<f32>>() / nf;
    let mu_d = dst.iter().sum::<Vector3<f32>>() / nf;
    let mut cov = Matrix3::<f32>::zeros();
    let mut var_s = 0.0f32;
    for (s, d) in src.iter().zip(dst) {
        let (a, b) = (s - mu_s, d - mu_d);
        cov += b * a.transpose();
        var_s += a.norm_squared();
    }
    cov /= nf;
    var_s /= nf;
    if var_s <= f32::EPSILON {
        return None;
    }
    let svd = cov.svd(true, true);
    let (u, v_t) = (svd.u?, svd.v_t?);
    let mut d = Matrix3::identity();
    if (u.determinant() * v_t.determinant()) < 0.0 {
        d[(2, 2)] = -1.0;
    }
    let rotation = u * d * v_t;
    let sv = svd.singular_values;
    let trace = sv[0] * d[(0, 0)] + sv[1] * d[(1, 1)] + sv[2] * d[(2, 2)];
    let scale = trace / var_s;
    if !scale.is_finite() || scale <= 0.0 {
        return None;
    }
    let translation = mu_d - rotation * mu_s * scale;
    Some(Similarity {
        scale,
        rotation,
        translation,
    })
}

/// The centroid of the [`RIGID_POINTS`] of a 468-point landmark set (same units): the head's
/// centre for turning it and for measuring its shift.
pub fn rigid_centroid(points: &[[f32; 3]]) -> Vector3<f32> {
    RIGID_POINTS
        .iter()
        .map(|&i| Vector3::from(points[i]))
        .sum::<Vector3<f32>>()
        / RIGID_POINTS.len() as f32
}

/// [`umeyama`] over the [`RIGID_POINTS`] of two 468-point landmark sets.
pub fn head_pose(src: &[[f32; 3]], dst: &[[f32; 3]]) -> Option<Similarity> {
    // Arrays, not vectors: this runs twice per frame and must not allocate.
    let pick = |pts: &[[f32; 3]]| -> [Vector3<f32>; RIGID_POINTS.len()] {
        std::array::from_fn(|k| Vector3::from(pts[RIGID_POINTS[k]]))
    };
    umeyama(&pick(src), &pick(dst))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Rotation3;

    fn cloud() -> Vec<Vector3<f32>> {
        (0..30)
            .map(|i| {
                let t = i as f32;
                Vector3::new(
                    (t * 1.7).sin() * 50.0,
                    (t * 0.9).cos() * 60.0,
                    (t * 2.3).sin() * 20.0,
                )
            })
            .collect()
    }

    #[test]
    fn recovers_a_known_rotation_scale_and_translation() {
        let rot = Rotation3::from_euler_angles(0.2f32, -0.35, 0.15); // pitch, yaw, roll (radians)
        let truth = Similarity {
            scale: 1.7,
            rotation: *rot.matrix(),
            translation: Vector3::new(12.0, -7.0, 3.0),
        };
        let src = cloud();
        let dst: Vec<_> = src.iter().map(|p| truth.apply(p)).collect();
        let est = umeyama(&src, &dst).expect("well-posed");
        assert!((est.scale - 1.7).abs() < 1e-3, "scale {}", est.scale);
        assert!((est.rotation - truth.rotation).abs().max() < 1e-3);
        assert!((est.translation - truth.translation).abs().max() < 1e-2);
        let (roll, yaw, pitch) = est.roll_yaw_pitch_deg();
        assert!((roll - 0.15f32.to_degrees()).abs() < 0.1, "roll {roll}");
        assert!((yaw + 0.35f32.to_degrees()).abs() < 0.1, "yaw {yaw}");
        assert!((pitch - 0.2f32.to_degrees()).abs() < 0.1, "pitch {pitch}");
        // The inverse undoes it.
        let back = est.inverse().apply(&dst[3]);
        assert!((back - src[3]).abs().max() < 1e-2);
    }

    #[test]
    fn never_returns_a_reflection_and_rejects_degenerate_input() {
        let src = cloud();
        let mirrored: Vec<_> = src.iter().map(|p| Vector3::new(-p.x, p.y, p.z)).collect();
        let est = umeyama(&src, &mirrored).unwrap();
        assert!((est.rotation.determinant() - 1.0).abs() < 1e-4);
        let same = vec![Vector3::new(1.0, 1.0, 1.0); 5];
        assert!(umeyama(&same, &same).is_none());
        assert!(umeyama(&src[..2], &src[..2]).is_none());
    }
}
