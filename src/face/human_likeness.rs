//! Whether a landmarked face looks like a human face, from the face-mesh landmarker's
//! face-presence score ([`super::FaceLandmarks::presence`], 0..1).
//!
//! The landmarker was trained on human faces: an animal's face or a drawn one that the detector
//! finds still gets landmarks and a presence above [`super::spot::MIN_PRESENCE`] (so it is
//! accepted as a face), but a lower one than any human face. Animated, such an avatar gets human
//! features drawn onto it (the actor's teeth on a muzzle, human lids): worth a warning.

/// Face presence (0..1) under which a face is taken as looking little like a human face.
///
/// Measured with `AvatarModel::load` on the pictures of `tests/media/avatar` (checked by
/// `tests/avatar_pictures.rs`):
/// every human face 0.99995 or more (profile_gray_512 0.999955, eyes_closed_480 0.999999; the
/// others, the painting and the 3D cartoon boy included, 1.000000 to six decimals), the cat of
/// `cat_chelsea.png` 0.879. 0.99 (a logit of 4.6, against 10 or more for the human faces and 2.0
/// for the cat) leaves human pictures harder than these room before they are warned about.
pub const HUMAN_FACE_MIN_PRESENCE: f32 = 0.99;

/// True when a face whose landmarks have face presence `presence` (0..1) looks like a human
/// face: `presence` is [`HUMAN_FACE_MIN_PRESENCE`] or more. NaN is not.
pub fn looks_human(presence: f32) -> bool {
    presence >= HUMAN_FACE_MIN_PRESENCE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presences_at_and_above_the_threshold_look_human_and_below_it_do_not() {
        assert!(looks_human(1.0));
        assert!(looks_human(HUMAN_FACE_MIN_PRESENCE));
        assert!(!looks_human(0.879));
        assert!(!looks_human(0.5));
        assert!(!looks_human(f32::NAN));
    }
}
