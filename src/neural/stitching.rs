//! Stitching: the small network that corrects the driven keypoints so that the animated face
//! stays in place, and how its output is applied.
//!
//! Source: LivePortrait `src/live_portrait_wrapper.py` (`stitch`, `stitching`), `concat_feat` of
//! `src/utils/helper.py`, and the `driving_multiplier` line of the pipeline (reproduced in
//! `tools/liveportrait/make_tiny_set.py`).

use super::keypoints::{flatten, Keypoints, NUM_KP};

/// Length of `stitching.onnx`'s input (1x126): `[x_s (63), x_d (63)]`.
pub const STITCHING_INPUT_LEN: usize = 2 * NUM_KP * 3;
/// Length of `stitching.onnx`'s output (1x65): 63 keypoint deltas, then dtx, dty.
pub const STITCHING_OUTPUT_LEN: usize = NUM_KP * 3 + 2;

/// The stitching input, 1x126: the source keypoints `x_s` flattened keypoint-major (63), then
/// the driven keypoints `x_d_new` (63) (`concat_feat(kp_source, kp_driving)`).
pub fn stitching_input(x_s: &Keypoints, x_d: &Keypoints) -> [f32; STITCHING_INPUT_LEN] {
    let mut out = [0f32; STITCHING_INPUT_LEN];
    out[..NUM_KP * 3].copy_from_slice(&flatten(x_s));
    out[NUM_KP * 3..].copy_from_slice(&flatten(x_d));
    out
}

/// Applies the stitching output (1x65) to the driven keypoints as `stitching` does: the first 63
/// values, as 21x3, are added to every coordinate; the last two (dtx, dty) are added to x and y
/// of every keypoint.
///
/// Panics when `delta` does not hold 65 values.
pub fn apply_stitching(x_d: &Keypoints, delta: &[f32]) -> Keypoints {
    assert_eq!(
        delta.len(),
        STITCHING_OUTPUT_LEN,
        "stitching output must be 1x65"
    );
    let mut out = *x_d;
    for (k, p) in out.iter_mut().enumerate() {
        for (j, v) in p.iter_mut().enumerate() {
            *v += delta[k * 3 + j];
        }
        p[0] += delta[NUM_KP * 3];
        p[1] += delta[NUM_KP * 3 + 1];
    }
    out
}

/// `x_s + (x_d - x_s) * multiplier` (the pipeline's `driving_multiplier`, 1.0 by default: kept
/// because in f32 it is not exactly the identity, and the reference does it).
pub fn apply_driving_multiplier(x_s: &Keypoints, x_d: &Keypoints, multiplier: f32) -> Keypoints {
    let mut out = [[0f32; 3]; NUM_KP];
    for k in 0..NUM_KP {
        for j in 0..3 {
            out[k][j] = x_s[k][j] + (x_d[k][j] - x_s[k][j]) * multiplier;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_go_to_every_coordinate_and_dtx_dty_to_x_and_y() {
        let x = [[1.0f32, 2.0, 3.0]; NUM_KP];
        let mut delta = [0f32; STITCHING_OUTPUT_LEN];
        delta[4] = 0.5; // keypoint 1, y
        delta[63] = 0.25;
        delta[64] = -0.125;
        let y = apply_stitching(&x, &delta);
        assert_eq!(y[0], [1.25, 1.875, 3.0]);
        assert_eq!(y[1], [1.25, 2.375, 3.0]);
        let input = stitching_input(&x, &y);
        assert_eq!(&input[63..66], &[1.25, 1.875, 3.0]);
        assert_eq!(&input[..3], &[1.0, 2.0, 3.0]);
    }
}
