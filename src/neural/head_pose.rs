//! Head pose: the motion extractor's 66 bin logits to degrees, and the rotation matrix.
//!
//! Source: LivePortrait `src/utils/camera.py` (`headpose_pred_to_degree`, `get_rotation_matrix`),
//! vendored in `tools/liveportrait/vendor/liveportrait/`.

use nalgebra::Matrix3;

/// Number of pose bins per angle (the motion extractor's `pitch`, `yaw`, `roll` outputs, 1x66).
pub const NUM_BINS: usize = 66;
/// Width of one bin, degrees.
pub const BIN_DEGREES: f64 = 3.0;
/// Degrees subtracted from `BIN_DEGREES * expected bin index` (LivePortrait's "modified average").
pub const BIN_OFFSET_DEGREES: f64 = 97.5;

/// One angle in degrees from its 66 bin logits (before softmax): `softmax(logits)`, expected bin
/// index `sum_i p_i * i`, `3 * index - 97.5` (`camera.headpose_pred_to_degree`). Computed in f64
/// (the reference computes in f32; the two agree to about 1e-5 degree).
///
/// Panics when `logits` does not hold [`NUM_BINS`] values.
pub fn bins_to_degrees(logits: &[f32]) -> f32 {
    assert_eq!(logits.len(), NUM_BINS, "pose logits must be 1x{NUM_BINS}");
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
    let (mut sum, mut weighted) = (0f64, 0f64);
    for (i, &l) in logits.iter().enumerate() {
        let e = (l as f64 - max).exp();
        sum += e;
        weighted += e * i as f64;
    }
    (weighted / sum * BIN_DEGREES - BIN_OFFSET_DEGREES) as f32
}

/// The head rotation for keypoints stored as **row vectors**, exactly as
/// `camera.get_rotation_matrix(pitch, yaw, roll)` returns it: with `rot_x(pitch)`, `rot_y(yaw)`,
/// `rot_z(roll)` the usual right-handed matrices for column vectors and
/// `rot = rot_z * rot_y * rot_x`, the result is `R = rot^T`, to be used as `kp_row * R`
/// (see [`crate::neural::keypoints::transform_keypoints`]). Angles in degrees, converted with
/// `deg / 180 * pi` in f32 as the reference does.
pub fn rotation_matrix(pitch_deg: f32, yaw_deg: f32, roll_deg: f32) -> Matrix3<f32> {
    let rad = |d: f32| d / 180.0 * std::f32::consts::PI;
    let (sx, cx) = rad(pitch_deg).sin_cos();
    let (sy, cy) = rad(yaw_deg).sin_cos();
    let (sz, cz) = rad(roll_deg).sin_cos();
    #[rustfmt::skip]
    let rot_x = Matrix3::new(
        1.0, 0.0, 0.0,
        0.0, cx, -sx,
        0.0, sx, cx,
    );
    #[rustfmt::skip]
    let rot_y = Matrix3::new(
        cy, 0.0, sy,
        0.0, 1.0, 0.0,
        -sy, 0.0, cy,
    );
    #[rustfmt::skip]
    let rot_z = Matrix3::new(
        cz, -sz, 0.0,
        sz, cz, 0.0,
        0.0, 0.0, 1.0,
    );
    (rot_z * rot_y * rot_x).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peaked_distribution_gives_its_bin_and_uniform_gives_the_centre() {
        let mut logits = [0f32; NUM_BINS];
        logits[40] = 100.0;
        assert!((bins_to_degrees(&logits) - (40.0 * 3.0 - 97.5)).abs() < 1e-4);
        // Uniform: expected index 32.5, 3 * 32.5 - 97.5 = 0.
        assert!(bins_to_degrees(&[0.5; NUM_BINS]).abs() < 1e-4);
    }

    #[test]
    fn rotation_is_orthonormal_and_rotates_row_vectors_like_rot_does_columns() {
        let r = rotation_matrix(20.0, -35.0, 10.0);
        assert!((r * r.transpose() - Matrix3::identity()).norm() < 1e-6);
        // Pure yaw of +90 degrees: rot_y maps the column x axis (1,0,0) to (0,0,-1); the row
        // vector times R must give the same.
        let r = rotation_matrix(0.0, 90.0, 0.0);
        let x = nalgebra::RowVector3::new(1.0f32, 0.0, 0.0) * r;
        assert!(
            (x - nalgebra::RowVector3::new(0.0, 0.0, -1.0)).norm() < 1e-6,
            "{x}"
        );
    }
}
