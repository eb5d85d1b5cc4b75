//! A followed face and when two findings are the same face: where a face is ([`FaceSpot`], the
//! centre and size of its landmarker crop), when landmarks count as a face ([`MIN_PRESENCE`]),
//! and the rules that say whether two findings (on consecutive frames, after a loss, or within
//! one frame) are one face ([`is_same_face`] with the jump and re-found limits,
//! [`is_inside_other`], [`overlap`]). Shared by the tracker, the search and the watch of the
//! other faces ([`super::tracker`], [`super::search`], [`super::speaker_watch`]).

use super::detector::Detection;
use super::landmarker::FaceLandmarks;

/// Landmarks whose face-presence probability is below this are treated as "no face".
pub const MIN_PRESENCE: f32 = 0.5;

/// Largest shift of the face's crop centre between two consecutive frames, in crop sizes (the
/// crop is 1.5x the face's landmark box, about 3.5 eye-corner distances): 0.3 is about one
/// eye-corner distance, more than a head moves in one frame at 10 frames/s or more.
pub const JUMP_SHIFT: f32 = 0.3;
/// Largest change of the face's crop size between two consecutive frames (either way).
pub const JUMP_SCALE: f32 = 1.25;
/// A face found again after a loss farther than this (crop sizes) from where it was last seen is
/// a new face (a cut, or someone else).
pub const REFOUND_SHIFT: f32 = 0.5;
/// A face found again after a loss larger or smaller than this ratio is a new face.
pub const REFOUND_SCALE: f32 = 1.4;

/// Where a tracked face is: the centre and size of its tracking crop, square pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceSpot {
    /// Crop centre x.
    pub cx: f32,
    /// Crop centre y.
    pub cy: f32,
    /// Crop side (1.5x the longer side of the landmark box: independent of roll and yaw).
    pub size: f32,
}

impl FaceSpot {
    /// The spot of tracked landmarks.
    pub fn of(lm: &FaceLandmarks) -> Self {
        let r = lm.tracking_roi();
        FaceSpot {
            cx: r.cx,
            cy: r.cy,
            size: r.size.max(1e-3),
        }
    }

    /// The spot of a detection (its landmarker crop).
    pub fn of_detection(d: &Detection) -> Self {
        let r = d.landmark_roi();
        FaceSpot {
            cx: r.cx,
            cy: r.cy,
            size: r.size.max(1e-3),
        }
    }
}

/// The order of faces in a picture: the larger crop first, ties the leftmost first (the order of
/// `avatar-face` and of a search's ranks).
pub fn larger_first(a: &FaceSpot, b: &FaceSpot) -> std::cmp::Ordering {
    b.size.total_cmp(&a.size).then(a.cx.total_cmp(&b.cx))
}

/// Whether one of two faces has its centre inside the other's face (the face box being the
/// middle two thirds of its crop, see [`FaceSpot::size`]): two people's faces never do, a
/// landmarker's reading of part of a face (a detection on the mouth and chin) and the whole face
/// do. Pixels of one frame.
pub fn is_inside_other(a: &FaceSpot, b: &FaceSpot) -> bool {
    let inside = |p: &FaceSpot, face: &FaceSpot| {
        (p.cx - face.cx).abs() < face.size / 3.0 && (p.cy - face.cy).abs() < face.size / 3.0
    };
    inside(a, b) || inside(b, a)
}

/// Whether `now` can be the face seen at `before`: shifted by at most `max_shift` crop sizes (of
/// the larger of the two) and scaled by at most `max_scale` either way.
pub fn is_same_face(before: &FaceSpot, now: &FaceSpot, max_shift: f32, max_scale: f32) -> bool {
    let size = before.size.max(now.size);
    let shift = ((now.cx - before.cx).powi(2) + (now.cy - before.cy).powi(2)).sqrt();
    let ratio = now.size.max(before.size) / now.size.min(before.size);
    shift <= max_shift * size && ratio <= max_scale
}

/// Whether the faces at `a` and `b` are one for the watch of the other faces
/// ([`super::speaker_watch`]): their centres closer than half the larger crop (about three
/// quarters of a face width), whatever their sizes. Stricter than
/// [`is_same_face`]: a detector box on part of a face (its eyes, a cheek) is that face too.
pub fn overlap(a: &FaceSpot, b: &FaceSpot) -> bool {
    let d = ((a.cx - b.cx).powi(2) + (a.cy - b.cy).powi(2)).sqrt();
    d < 0.5 * a.size.max(b.size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_of_a_face_is_inside_it_and_two_faces_side_by_side_are_not() {
        let face = FaceSpot {
            cx: 300.0,
            cy: 200.0,
            size: 150.0,
        };
        let lower_half = FaceSpot {
            cx: 300.0,
            cy: 240.0,
            size: 80.0,
        };
        let neighbour = FaceSpot {
            cx: 420.0,
            cy: 210.0,
            size: 140.0,
        };
        assert!(is_inside_other(&face, &lower_half) && is_inside_other(&lower_half, &face));
        assert!(!is_inside_other(&face, &neighbour));
    }

    fn spot(cx: f32, cy: f32, size: f32) -> FaceSpot {
        FaceSpot { cx, cy, size }
    }

    #[test]
    fn a_head_moving_between_frames_is_the_same_face_a_cut_is_not() {
        let before = spot(240.0, 240.0, 300.0);
        // A fast head shake: a third of an eye-corner distance (~0.1 crop) in a frame, 5 % larger.
        assert!(is_same_face(
            &before,
            &spot(270.0, 245.0, 315.0),
            JUMP_SHIFT,
            JUMP_SCALE
        ));
        // Rolled or turned heads keep their crop size; a nod moves the centre a little.
        assert!(is_same_face(
            &before,
            &spot(240.0, 200.0, 290.0),
            JUMP_SHIFT,
            JUMP_SCALE
        ));
        // A cut to a wider shot: the face is 60 % of the size, elsewhere.
        assert!(!is_same_face(
            &before,
            &spot(330.0, 180.0, 180.0),
            JUMP_SHIFT,
            JUMP_SCALE
        ));
        // A cut to a close-up at the same place: 1.5x larger.
        assert!(!is_same_face(
            &before,
            &spot(240.0, 240.0, 450.0),
            JUMP_SHIFT,
            JUMP_SCALE
        ));
        // Another face beside this one: a face width away.
        assert!(!is_same_face(
            &before,
            &spot(480.0, 240.0, 300.0),
            JUMP_SHIFT,
            JUMP_SCALE
        ));
        // Found again after a loss a little off where it was: the same face.
        assert!(is_same_face(
            &before,
            &spot(330.0, 260.0, 340.0),
            REFOUND_SHIFT,
            REFOUND_SCALE
        ));
        assert!(!is_same_face(
            &before,
            &spot(500.0, 260.0, 300.0),
            REFOUND_SHIFT,
            REFOUND_SCALE
        ));
        assert!(!is_same_face(
            &before,
            &spot(240.0, 240.0, 150.0),
            REFOUND_SHIFT,
            REFOUND_SCALE
        ));
    }

    #[test]
    fn faces_overlap_when_their_centres_are_closer_than_half_the_larger_crop() {
        let face = spot(300.0, 200.0, 150.0);
        // A detector box on the eyes: small, a third of a crop above the centre.
        assert!(overlap(&face, &spot(300.0, 150.0, 40.0)));
        // A neighbour a face width away.
        assert!(!overlap(&face, &spot(420.0, 200.0, 140.0)));
    }

    #[test]
    fn faces_are_ordered_larger_first_then_leftmost_first() {
        let mut faces = [
            spot(300.0, 0.0, 50.0),
            spot(100.0, 0.0, 80.0),
            spot(200.0, 0.0, 50.0),
        ];
        faces.sort_by(larger_first);
        let order: Vec<f32> = faces.iter().map(|f| f.cx).collect();
        assert_eq!(order, [100.0, 200.0, 300.0]);
    }
}
