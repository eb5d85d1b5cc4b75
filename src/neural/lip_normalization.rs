//! Lip normalisation: an avatar photographed with an open mouth is animated from a closed mouth,
//! so that the actor's closed mouth closes the avatar's.
//!
//! LivePortrait (`flag_normalize_lip=True`, its default for a still source and a driving video):
//! when the source's lip-open ratio `c_s_lip` is at least [`LIP_NORMALIZE_THRESHOLD`], the lip
//! retargeting network is run once on `[x_s (63), c_s_lip, 0]` (1x65, "let the lip-open scalar be
//! 0 at first") and its 21x3 output is added to the driven keypoints of every frame, after
//! stitching and before the driving multiplier. Source: LivePortrait
//! `src/live_portrait_pipeline.py` (`flag_normalize_lip`, `lip_delta_before_animation`),
//! `src/live_portrait_wrapper.py` (`calc_combined_lip_ratio`, `retarget_lip`),
//! `src/config/inference_config.py` (`lip_normalize_threshold = 0.03`).
//!
//! The ratio: LivePortrait's `calc_lip_close_ratio` is the inner-lip gap over the mouth width on
//! its own 203-point landmarks (points 90-102 over 48-66). We do not ship that landmarker; the
//! same ratio is taken on our 468 MediaPipe landmarks: inner-lip midpoints 13-14 over the mouth
//! corners 61-291. It is an equivalent measure, not the same points, so an avatar near the
//! threshold may be normalised where LivePortrait would not, or the reverse.

use super::keypoints::{flatten, Keypoints, NUM_KP};

/// Lip-open ratio from which the avatar's lips are normalised (LivePortrait's
/// `lip_normalize_threshold`).
pub const LIP_NORMALIZE_THRESHOLD: f32 = 0.03;

/// Inner-lip midpoints (upper, lower) of the 468 MediaPipe landmarks.
pub const INNER_LIP_MIDPOINTS: (usize, usize) = (13, 14);
/// Mouth corners (right, left) of the 468 MediaPipe landmarks.
pub const MOUTH_CORNERS: (usize, usize) = (61, 291);

/// Lip-open ratio of a face from its 468 landmarks (any pixel units): the inner-lip gap over
/// the mouth width, about 0 closed, 0.3-0.6 wide open. `None` for fewer than 468 points or a
/// degenerate mouth.
pub fn lip_open_ratio(points: &[[f32; 3]]) -> Option<f32> {
    if points.len() < 468 {
        return None;
    }
    let dist = |a: usize, b: usize| {
        let (p, q) = (points[a], points[b]);
        ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt()
    };
    let width = dist(MOUTH_CORNERS.0, MOUTH_CORNERS.1);
    (width > 1e-6).then(|| dist(INNER_LIP_MIDPOINTS.0, INNER_LIP_MIDPOINTS.1) / (width + 1e-6))
}

/// The lip retargeting input that closes the source's lips, 1x65: `x_s` flattened (63), the
/// source's lip-open ratio, 0 (`calc_combined_lip_ratio([0.], source_lmk)` after `concat_feat`).
/// `None` when the ratio is under [`LIP_NORMALIZE_THRESHOLD`]: the lips need no normalising.
pub fn normalization_input(x_s: &Keypoints, source_lip_ratio: f32) -> Option<[f32; 65]> {
    if source_lip_ratio < LIP_NORMALIZE_THRESHOLD {
        return None;
    }
    let mut input = [0f32; 65];
    input[..NUM_KP * 3].copy_from_slice(&flatten(x_s));
    input[NUM_KP * 3] = source_lip_ratio;
    input[NUM_KP * 3 + 1] = 0.0;
    Some(input)
}

/// The lip-open ratio of an avatar (its 468 landmarks) whose open mouth cannot be normalised
/// because the set has no lip retargeting model (`has_lip_model` false): its lips will not close
/// with the actor's. `None` when the mouth needs no normalising or can be.
pub fn open_mouth_left_open(points: &[[f32; 3]], has_lip_model: bool) -> Option<f32> {
    let ratio = lip_open_ratio(points)?;
    (!has_lip_model && ratio >= LIP_NORMALIZE_THRESHOLD).then_some(ratio)
}

/// Adds the lip delta (21x3) to the stitched keypoints.
pub fn apply_lip_delta(x_d: &Keypoints, delta: &Keypoints) -> Keypoints {
    let mut out = *x_d;
    for (p, d) in out.iter_mut().zip(delta) {
        for (v, dv) in p.iter_mut().zip(d) {
            *v += dv;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mouth(gap: f32) -> Vec<[f32; 3]> {
        let mut points = vec![[0.0f32; 3]; 468];
        points[61] = [40.0, 100.0, 0.0];
        points[291] = [90.0, 100.0, 0.0];
        points[13] = [65.0, 100.0 - gap / 2.0, 0.0];
        points[14] = [65.0, 100.0 + gap / 2.0, 0.0];
        points
    }

    #[test]
    fn the_ratio_is_the_gap_over_the_width_and_only_an_open_mouth_is_normalised() {
        let closed = lip_open_ratio(&mouth(0.5)).unwrap();
        let open = lip_open_ratio(&mouth(20.0)).unwrap();
        assert!((closed - 0.01).abs() < 1e-4, "{closed}");
        assert!((open - 0.4).abs() < 1e-4, "{open}");
        assert!(lip_open_ratio(&mouth(1.0)[..100]).is_none());
        let x_s = [[0.5f32; 3]; NUM_KP];
        assert!(normalization_input(&x_s, closed).is_none());
        let input = normalization_input(&x_s, open).unwrap();
        assert_eq!((input[62], input[63], input[64]), (0.5, open, 0.0));
        assert_eq!(open_mouth_left_open(&mouth(20.0), false), Some(open));
        assert_eq!(open_mouth_left_open(&mouth(20.0), true), None);
        assert_eq!(open_mouth_left_open(&mouth(0.5), false), None);
    }
}
