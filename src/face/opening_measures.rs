//! How open a face's mouth and eyes are, as one number each independent of the face's size:
//! the gap between two opposite landmarks (MediaPipe face-mesh indices) over the distance between
//! the outer eye corners. The engine draws the mouth interior and watches speakers with these,
//! the face meta reports them, the tests compare the actor's with the avatar's.
//!
//! Coordinates: any pixels (x, y; z is ignored), as long as both axes have the same unit.

use super::landmarker::EYE_CORNERS;

/// Upper and lower inner-lip midpoints (MediaPipe face-mesh indices).
pub const MOUTH_GAP: (usize, usize) = (13, 14);
/// Upper and lower eyelid midpoints of the subject's right and left eye (MediaPipe face-mesh
/// indices).
pub const EYE_GAPS: [(usize, usize); 2] = [(159, 145), (386, 374)];

/// Distance in the image plane (x, y) between landmarks `a` and `b` of `points`, pixels.
fn dist(points: &[[f32; 3]], a: usize, b: usize) -> f32 {
    ((points[a][0] - points[b][0]).powi(2) + (points[a][1] - points[b][1]).powi(2)).sqrt()
}

/// Outer-eye-corner distance of `points`, pixels, at least 0.001: what the openings divide by.
fn interocular_of(points: &[[f32; 3]]) -> f32 {
    dist(points, EYE_CORNERS.0, EYE_CORNERS.1).max(1e-3)
}

/// Mouth opening of 468 (or more) face-mesh landmarks: the inner-lip gap ([`MOUTH_GAP`]) over
/// the outer-eye-corner distance. Unitless: 0 closed, about 0.5 wide open. Panics when a gap's or
/// an eye corner's landmark is missing from `points`.
pub fn mouth_opening_of(points: &[[f32; 3]]) -> f32 {
    dist(points, MOUTH_GAP.0, MOUTH_GAP.1) / interocular_of(points)
}

/// Eye opening of each eye of 468 (or more) face-mesh landmarks, [subject's right, left]: the
/// lid gap ([`EYE_GAPS`]) over the outer-eye-corner distance. Unitless: about 0.1 open, 0.05 or
/// less closed with the project's landmarker. Panics when a gap's or an eye corner's landmark
/// is missing from `points`.
pub fn eye_opening_of(points: &[[f32; 3]]) -> [f32; 2] {
    let io = interocular_of(points);
    [
        dist(points, EYE_GAPS[0].0, EYE_GAPS[0].1) / io,
        dist(points, EYE_GAPS[1].0, EYE_GAPS[1].1) / io,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openings_are_gaps_over_the_eye_corner_distance_whatever_the_face_size() {
        let mut points = vec![[0.0f32; 3]; 468];
        points[33] = [0.0, 0.0, 0.0];
        points[263] = [100.0, 0.0, 0.0];
        points[13] = [50.0, 50.0, 0.0];
        points[14] = [50.0, 70.0, 0.0];
        points[159] = [20.0, 0.0, 0.0];
        points[145] = [20.0, 10.0, 0.0];
        assert!((mouth_opening_of(&points) - 0.2).abs() < 1e-6);
        let [right, left] = eye_opening_of(&points);
        assert!((right - 0.1).abs() < 1e-6 && left == 0.0);
        let big: Vec<[f32; 3]> = points
            .iter()
            .map(|p| [p[0] * 3.0, p[1] * 3.0, 0.0])
            .collect();
        assert!(
            (mouth_opening_of(&big) - 0.2).abs() < 1e-6,
            "scale invariant"
        );
    }
}
