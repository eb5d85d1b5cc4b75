//! Measures of reenactment quality computed from face-mesh landmarks: what the tests and the
//! benchmark use to check that the avatar moves like the actor.

use crate::face::FaceLandmarks;

/// Upper and lower inner-lip midpoints.
pub const MOUTH_GAP: (usize, usize) = (13, 14);
/// Upper and lower eyelid midpoints of the subject's right and left eye.
pub const EYE_GAPS: [(usize, usize); 2] = [(159, 145), (386, 374)];

fn dist(p: &[[f32; 3]], a: usize, b: usize) -> f32 {
    ((p[a][0] - p[b][0]).powi(2) + (p[a][1] - p[b][1]).powi(2)).sqrt()
}

/// Mouth opening: inner-lip gap over the outer-eye-corner distance (0 closed, about 0.5 wide
/// open). Unitless, independent of face size.
pub fn mouth_opening(face: &FaceLandmarks) -> f32 {
    mouth_opening_of(&face.points)
}

/// [`mouth_opening`] of 468 bare landmark points.
pub fn mouth_opening_of(points: &[[f32; 3]]) -> f32 {
    dist(points, MOUTH_GAP.0, MOUTH_GAP.1) / dist(points, 33, 263).max(1e-3)
}

/// Eye opening of each eye (subject's right, left): lid gap over the outer-eye-corner distance
/// (about 0.1 open, 0.05 or less closed with this landmarker).
pub fn eye_opening(face: &FaceLandmarks) -> [f32; 2] {
    let io = face.interocular().max(1e-3);
    [
        dist(&face.points, EYE_GAPS[0].0, EYE_GAPS[0].1) / io,
        dist(&face.points, EYE_GAPS[1].0, EYE_GAPS[1].1) / io,
    ]
}

/// Head roll in degrees: angle of the line from the right to the left outer eye corner (0 level,
/// positive clockwise on screen, y down).
pub fn roll_deg(face: &FaceLandmarks) -> f32 {
    let (a, b) = (face.points[33], face.points[263]);
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
    fn openings_are_normalised_by_face_size() {
        let mut points = vec![[0.0f32; 3]; 468];
        points[33] = [0.0, 0.0, 0.0];
        points[263] = [100.0, 0.0, 0.0];
        points[13] = [50.0, 50.0, 0.0];
        points[14] = [50.0, 70.0, 0.0];
        points[159] = [20.0, 0.0, 0.0];
        points[145] = [20.0, 10.0, 0.0];
        let face = FaceLandmarks {
            points: points.clone(),
            presence: 1.0,
        };
        assert!((mouth_opening(&face) - 0.2).abs() < 1e-6);
        assert!((eye_opening(&face)[0] - 0.1).abs() < 1e-6);
        let big = FaceLandmarks {
            points: points
                .iter()
                .map(|p| [p[0] * 3.0, p[1] * 3.0, 0.0])
                .collect(),
            presence: 1.0,
        };
        assert!((mouth_opening(&big) - 0.2).abs() < 1e-6, "scale invariant");
        assert_eq!(roll_deg(&face), 0.0);
    }
}
