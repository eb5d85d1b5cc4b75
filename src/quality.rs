//! Measures of reenactment quality computed from face-mesh landmarks: what the tests, the
//! benchmarks and the quality report (`examples/report.rs`) use to check that the avatar moves
//! like the actor. Not part of the plugin's interface (hidden from the documentation); the
//! openings the engine itself uses are in [`crate::face::opening_measures`].

use crate::face::landmarker::EYE_CORNERS;
use crate::face::opening_measures::{eye_opening_of, mouth_opening_of};
use crate::face::FaceLandmarks;

/// Mouth opening of a face: inner-lip gap over the outer-eye-corner distance (0 closed, about
/// 0.5 wide open; unitless, independent of face size). See [`mouth_opening_of`].
pub fn mouth_opening(face: &FaceLandmarks) -> f32 {
    mouth_opening_of(&face.points)
}

/// Eye opening of each eye of a face, [subject's right, left]: lid gap over the outer-eye-corner
/// distance (about 0.1 open, 0.05 or less closed with this landmarker; unitless). See
/// [`eye_opening_of`].
pub fn eye_opening(face: &FaceLandmarks) -> [f32; 2] {
    eye_opening_of(&face.points)
}

/// Head roll in degrees: angle of the line from the right to the left outer eye corner (0 level,
/// positive clockwise on screen, y down).
pub fn roll_deg(face: &FaceLandmarks) -> f32 {
    let (a, b) = (face.points[EYE_CORNERS.0], face.points[EYE_CORNERS.1]);
    (b[1] - a[1]).atan2(b[0] - a[0]).to_degrees()
}

/// Pearson correlation of two equally long series; `None` when shorter than 3 or when either is
/// constant.
pub fn pearson(a: &[f32], b: &[f32]) -> Option<f32> {
    if a.len() != b.len() || a.len() < 3 {
        return None;
    }
    let n = a.len() as f64;
    let ma = a.iter().map(|&x| x as f64).sum::<f64>() / n;
    let mb = b.iter().map(|&x| x as f64).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x as f64 - ma, y as f64 - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        return None;
    }
    Some((sab / (saa.sqrt() * sbb.sqrt())) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_of_linear_series_is_one_and_of_opposite_is_minus_one() {
        let a = [1.0, 2.0, 3.0, 5.0];
        let b = [2.0, 4.0, 6.0, 10.0];
        let c = [-1.0, -2.0, -3.0, -5.0];
        assert!((pearson(&a, &b).unwrap() - 1.0).abs() < 1e-6);
        assert!((pearson(&a, &c).unwrap() + 1.0).abs() < 1e-6);
        assert!(pearson(&a, &[1.0; 4]).is_none());
    }

    #[test]
    fn measures_of_a_face_delegate_and_roll_follows_the_eye_line() {
        let mut points = vec![[0.0f32; 3]; 468];
        points[EYE_CORNERS.0] = [0.0, 0.0, 0.0];
        points[EYE_CORNERS.1] = [100.0, 0.0, 0.0];
        points[13] = [50.0, 50.0, 0.0];
        points[14] = [50.0, 70.0, 0.0];
        let mut face = FaceLandmarks {
            points,
            presence: 1.0,
        };
        assert!((mouth_opening(&face) - 0.2).abs() < 1e-6);
        assert_eq!(roll_deg(&face), 0.0);
        face.points[EYE_CORNERS.1] = [100.0, 100.0, 0.0];
        assert!((roll_deg(&face) - 45.0).abs() < 1e-4);
    }
}
