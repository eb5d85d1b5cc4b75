//! The actor's head pose relative to the camera: the similarity that carries MediaPipe's
//! canonical face, facing the camera, onto the face's landmarks.
//!
//! The canonical face is MediaPipe's `canonical_face_model.obj` (google/mediapipe,
//! `mediapipe/modules/face_geometry/data/`, Apache License 2.0: see `models/LICENSE`), the mean
//! face of the face-mesh topology looking straight into the camera, in centimetres. Only its
//! [`RIGID_POINTS`] are kept, turned into landmark axes (x right, y down, z into the picture:
//! the model's y and z negated, a rotation of 180° about x).
//!
//! Frontal faces read a few degrees of pitch against the canonical face as it is stored (mean
//! 3.9° over six frontal portraits of `tests/media/avatar`, 0.8° to 4.6° median over the frontal
//! talking clips): the canonical face is turned by [`LANDMARKER_PITCH_DEG`] before the fit, so
//! that a frontal face reads 0.
//!
//! The landmarks come from a crop centred on the face (weak perspective), so the pose is the
//! head's rotation relative to the ray from the camera to the face: a face at the frame's edge
//! that looks into the lens reads as facing the camera, wherever it is in the frame.

use nalgebra::{Rotation3, Vector3};

use super::pose::{umeyama, Similarity, RIGID_POINTS};

/// The pitch (degrees, the convention of [`Similarity::roll_yaw_pitch_deg`]) at which the
/// landmarker reads a frontal face against the canonical face as stored (see the module docs).
pub const LANDMARKER_PITCH_DEG: f32 = 3.5;

/// MediaPipe's canonical face at [`RIGID_POINTS`] (same order), centimetres, landmark axes.
/// The digits are the model file's, as published.
#[allow(clippy::excessive_precision)]
pub const CANONICAL_RIGID: [[f32; 3]; RIGID_POINTS.len()] = [
    [0.000000, -8.261778, -4.481535],  // 10
    [0.000000, -6.545390, -5.027311],  // 151
    [0.000000, -4.885979, -5.385258],  // 9
    [0.000000, -4.019042, -5.284764],  // 8
    [0.000000, -3.271027, -5.236015],  // 168
    [0.000000, -2.473255, -5.788627],  // 6
    [0.000000, -1.728369, -6.316750],  // 197
    [0.000000, -1.059413, -6.774605],  // 195
    [0.000000, -0.365669, -7.242870],  // 5
    [0.000000, 0.463170, -7.586580],   // 4
    [0.000000, 1.126865, -7.475604],   // 1
    [-4.445859, -2.663991, -3.173422], // 33
    [-1.856432, -2.585245, -3.757904], // 133
    [1.856432, -2.585245, -3.757904],  // 362
    [4.445859, -2.663991, -3.173422],  // 263
    [-4.670959, -2.664461, -3.084075], // 130
    [4.670959, -2.664461, -3.084075],  // 359
    [-7.664182, -0.673132, 2.435867],  // 234
    [7.664182, -0.673132, 2.435867],   // 454
    [-7.743095, -2.364999, 2.005167],  // 127
    [7.743095, -2.364999, 2.005167],   // 356
    [-1.405627, 1.714196, -5.241087],  // 98
    [1.405627, 1.714196, -5.241087],   // 327
    [-1.592294, 1.257709, -5.456949],  // 64
    [1.592294, 1.257709, -5.456949],   // 294
    [0.000000, 2.089024, -6.058267],   // 2
];

/// The similarity carrying the canonical face (centimetres, facing the camera) onto `points`
/// (468 landmarks; pixels, y down, z into the picture): its rotation is the head's pose
/// relative to facing the camera (identity: looking into the lens), its scale pixels per
/// centimetre. `None` for degenerate landmarks.
pub fn camera_pose(points: &[[f32; 3]]) -> Option<Similarity> {
    if points.len() < 468 {
        return None;
    }
    let tilt = Rotation3::from_euler_angles(LANDMARKER_PITCH_DEG.to_radians(), 0.0, 0.0);
    let src: [Vector3<f32>; RIGID_POINTS.len()] =
        std::array::from_fn(|k| tilt * Vector3::from(CANONICAL_RIGID[k]));
    let dst: [Vector3<f32>; RIGID_POINTS.len()] =
        std::array::from_fn(|k| Vector3::from(points[RIGID_POINTS[k]]));
    umeyama(&src, &dst)
}

/// The canonical face's rigid points as the landmarker reads a frontal face (turned by
/// [`LANDMARKER_PITCH_DEG`]), placed by `pose` into a 468-point landmark set (the other points
/// stay zero): [`camera_pose`] of it gives `pose` back.
pub fn canonical_landmarks(pose: &Similarity) -> Vec<[f32; 3]> {
    let tilt = Rotation3::from_euler_angles(LANDMARKER_PITCH_DEG.to_radians(), 0.0, 0.0);
    let mut points = vec![[0.0f32; 3]; 468];
    for (k, &i) in RIGID_POINTS.iter().enumerate() {
        points[i] = pose
            .apply(&(tilt * Vector3::from(CANONICAL_RIGID[k])))
            .into();
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(roll: f32, yaw: f32, pitch: f32, at: Vector3<f32>) -> Vec<[f32; 3]> {
        let r =
            Rotation3::from_euler_angles(pitch.to_radians(), yaw.to_radians(), roll.to_radians());
        canonical_landmarks(&Similarity {
            scale: 9.0,
            rotation: *r.matrix(),
            translation: at,
        })
    }

    #[test]
    fn a_face_looking_into_the_camera_reads_as_frontal_anywhere_in_the_frame() {
        for at in [
            Vector3::new(320.0, 180.0, 0.0),
            Vector3::new(20.0, 340.0, 0.0),
        ] {
            let pose = camera_pose(&placed(0.0, 0.0, 0.0, at)).unwrap();
            let (roll, yaw, pitch) = pose.roll_yaw_pitch_deg();
            assert!(roll.abs() < 0.01 && yaw.abs() < 0.01 && pitch.abs() < 0.01);
            assert!(
                (pose.scale - 9.0).abs() < 1e-3,
                "pixels per cm: {}",
                pose.scale
            );
        }
    }

    #[test]
    fn a_turned_head_reads_its_turn() {
        let pose = camera_pose(&placed(5.0, 30.0, -12.0, Vector3::new(100.0, 100.0, 0.0))).unwrap();
        let (roll, yaw, pitch) = pose.roll_yaw_pitch_deg();
        assert!((roll - 5.0).abs() < 0.01, "roll {roll}");
        assert!((yaw - 30.0).abs() < 0.01, "yaw {yaw}");
        assert!((pitch + 12.0).abs() < 0.01, "pitch {pitch}");
    }

    #[test]
    fn the_canonical_face_has_the_landmarks_handedness() {
        // Landmark 33 (the subject's right eye, outer corner) is on the picture's left, the nose
        // tip (4) nearer the camera than the eye corners.
        let k = |i: usize| RIGID_POINTS.iter().position(|&r| r == i).unwrap();
        assert!(CANONICAL_RIGID[k(33)][0] < CANONICAL_RIGID[k(263)][0]);
        assert!(CANONICAL_RIGID[k(4)][2] < CANONICAL_RIGID[k(33)][2]);
        assert!(
            CANONICAL_RIGID[k(10)][1] < CANONICAL_RIGID[k(2)][1],
            "forehead above the nose"
        );
    }
}
