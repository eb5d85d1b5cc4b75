//! Whether a landmarked face looks like a human face, from the face-mesh landmarker's
//! face-presence score ([`super::FaceLandmarks::presence`], 0..1).
//!
//! The landmarker was trained on human faces: an animal's face or a drawn one that the detector
//! finds still gets landmarks and a presence above [`super::tracker::MIN_PRESENCE`] (so it is
//! accepted as a face), but a lower one than any human face. Animated, such an avatar gets human
//! features drawn onto it (the actor's teeth on a muzzle, human lids): worth a warning.

/// Face presence (0..1) under which a face is taken as looking little like a human face.
///
/// Measured with [`crate::avatar::AvatarModel::load`] on the pictures of `tests/media/avatar`:
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
    use crate::avatar::AvatarModel;
    use crate::models::{default_models_dir, FaceModels};
    use crate::runtime::ExecutionProvider;
    use std::path::Path;

    #[test]
    fn presences_at_and_above_the_threshold_look_human_and_below_it_do_not() {
        assert!(looks_human(1.0));
        assert!(looks_human(HUMAN_FACE_MIN_PRESENCE));
        assert!(!looks_human(0.879));
        assert!(!looks_human(0.5));
        assert!(!looks_human(f32::NAN));
    }

    #[test]
    fn the_test_avatars_human_faces_look_human_and_the_cat_does_not() {
        let models = FaceModels::load(&default_models_dir(), ExecutionProvider::Cpu, 1)
            .expect("face models");
        let media = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/media/avatar");
        let presence = |name: &str| {
            let mut tracker = models.tracker();
            AvatarModel::load(&media.join(name), &mut tracker)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .landmarks
                .presence
        };
        for name in [
            "astronaut_512.png",
            "bw_photo_2048.jpg",
            "cartoon_852.jpg",
            "eyes_closed_480.png",
            "glasses_beard_400.jpg",
            "gray_tiny_128.jpg",
            "mona_lisa_720x1280.jpg",
            "profile_gray_512.png",
        ] {
            let p = presence(name);
            println!("{name}: face presence {p:.6}");
            assert!(looks_human(p), "{name}: face presence {p}");
        }
        // The cat is taken for a face (it loads), but not a human one.
        let cat = presence("cat_chelsea.png");
        println!("cat_chelsea.png: face presence {cat:.6}");
        assert!(!looks_human(cat), "the cat's face presence {cat}");
    }
}
