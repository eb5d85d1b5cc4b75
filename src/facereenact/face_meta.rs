//! The face metadata each output buffer carries for downstream elements and applications: a
//! `GstVideoRegionOfInterestMeta` of type [`ROI_TYPE`] around the re-posed face, with two
//! parameter structures, [`POSE_PARAMS`] (the drawn landmarks and head pose) and
//! [`ACTOR_PARAMS`] (where the actor's face was in the input frame).
//!
//! Reading it (Rust): [`DrawnFace::read`] for the drawn pose, or
//! `buffer.meta::<gst_video::VideoRegionOfInterestMeta>()`, then `.rect()` for the box and
//! `.param("facereenact/pose")` for the structure; in C,
//! `gst_buffer_get_video_region_of_interest_meta()` and `gst_video_region_of_interest_meta_get_param()`.
//! `compositor` does not carry it through; `videoscale` scales the box, not the landmarks.
//!
//! The meta is the one read-back of what the element drew: the tests and the quality report
//! (`examples/report.rs`) read it, not the element's log.

use gst_video::VideoRegionOfInterestMeta;

use crate::face::landmarker::NUM_LANDMARKS;
use crate::face::opening_measures::{eye_opening_of, mouth_opening_of};
use crate::motion::TargetPose;

/// The ROI meta's type: the re-posed face.
pub const ROI_TYPE: &str = "face";
/// Name of the parameter structure with the drawn pose. Fields:
/// * `reenacted` (boolean): the pose follows the actor in this frame; false while the actor's
///   face is missing (the avatar holds its last pose, or eases to its rest pose);
/// * `landmarks` (`GstValueArray` of 936 `gfloat`s): the 468 drawn face-mesh landmarks, in
///   MediaPipe's face-mesh order, as x0, y0, x1, y1, ...
///   in output pixels (x to the right, y down, origin at the top-left corner);
/// * `roll`, `yaw`, `pitch` (doubles, degrees): the head's rotation relative to the avatar
///   picture's own pose (see [`crate::motion::pose::Similarity::roll_yaw_pitch_deg`]);
/// * `scale` (double): the head's size relative to the avatar picture's (1 = the same);
/// * `mouth-opening`, `eye-opening-right`, `eye-opening-left` (doubles): the openings as
///   [`mouth_opening_of`] and [`eye_opening_of`] measure them (gap over the eye-corner
///   distance; right and left are the subject's).
pub const POSE_PARAMS: &str = "facereenact/pose";
/// Name of the parameter structure with the actor's face box in the input frame: `x`, `y`,
/// `width`, `height` (unsigned integers, input pixels, the box of the landmarks clamped to the
/// frame). Present only on frames where the actor's face was found.
pub const ACTOR_PARAMS: &str = "facereenact/actor";

/// Bounding box (x0, y0, x1, y1) of `points` (x scaled by `x_scale`) clamped to `w` x `h`,
/// whole pixels covering it; `None` when empty or outside.
fn pixel_box(points: &[[f32; 3]], x_scale: f32, w: u32, h: u32) -> Option<(u32, u32, u32, u32)> {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in points {
        x0 = x0.min(p[0] * x_scale);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0] * x_scale);
        y1 = y1.max(p[1]);
    }
    let clamp = |v: f32, hi: u32| v.clamp(0.0, hi as f32);
    let (x0, x1) = (clamp(x0.floor(), w) as u32, clamp(x1.ceil(), w) as u32);
    let (y0, y1) = (clamp(y0.floor(), h) as u32, clamp(y1.ceil(), h) as u32);
    (x1 > x0 && y1 > y0).then_some((x0, y0, x1 - x0, y1 - y0))
}

/// Adds the face ROI meta to `buffer`, a `width` x `height` output frame: the box around the
/// drawn `pose`'s landmarks and [`POSE_PARAMS`]; with `actor`, [`ACTOR_PARAMS`] from the actor's
/// landmarks (square-pixel coordinates of an input frame of `actor.1` x `actor.2` pixels whose
/// pixel aspect ratio is `actor.3`). A pose outside the frame adds nothing.
pub fn attach(
    buffer: &mut gst::BufferRef,
    (width, height): (u32, u32),
    pose: &TargetPose,
    reenacted: bool,
    actor: Option<(&[[f32; 3]], u32, u32, f32)>,
) {
    let Some(rect) = pixel_box(&pose.points, 1.0, width, height) else {
        return;
    };
    let (roll, yaw, pitch) = pose.rigid.roll_yaw_pitch_deg();
    let eyes = eye_opening_of(&pose.points);
    let landmarks = gst::Array::new(
        pose.points
            .iter()
            .take(NUM_LANDMARKS)
            .flat_map(|p| [p[0], p[1]]),
    );
    let mut meta = VideoRegionOfInterestMeta::add(buffer, ROI_TYPE, rect);
    meta.add_param(
        gst::Structure::builder(POSE_PARAMS)
            .field("reenacted", reenacted)
            .field("landmarks", landmarks)
            .field("roll", roll as f64)
            .field("yaw", yaw as f64)
            .field("pitch", pitch as f64)
            .field("scale", pose.rigid.scale as f64)
            .field("mouth-opening", mouth_opening_of(&pose.points) as f64)
            .field("eye-opening-right", eyes[0] as f64)
            .field("eye-opening-left", eyes[1] as f64)
            .build(),
    );
    if let Some((points, w, h, par)) = actor {
        let x_scale = if par > 0.0 { 1.0 / par } else { 1.0 };
        if let Some((x, y, bw, bh)) = pixel_box(points, x_scale, w, h) {
            meta.add_param(
                gst::Structure::builder(ACTOR_PARAMS)
                    .field("x", x)
                    .field("y", y)
                    .field("width", bw)
                    .field("height", bh)
                    .build(),
            );
        }
    }
}

/// What the element drew on one output frame, read back from its face meta ([`POSE_PARAMS`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnFace {
    /// The pose follows the actor in this frame (the actor's face was found); false while the
    /// avatar holds its last pose or eases to rest.
    pub reenacted: bool,
    /// The 468 drawn face-mesh landmarks (MediaPipe's order), (x, y) in output pixels, x to the
    /// right, y down, origin at the top-left corner.
    pub landmarks: Vec<[f32; 2]>,
    /// The head's roll, yaw and pitch relative to the avatar picture's own pose, degrees (see
    /// [`crate::motion::pose::Similarity::roll_yaw_pitch_deg`]).
    pub roll_yaw_pitch: (f32, f32, f32),
    /// The head's size relative to the avatar picture's (1 = the same).
    pub scale: f32,
    /// Mouth opening of the drawn landmarks ([`mouth_opening_of`]: inner-lip gap over the
    /// eye-corner distance, unitless).
    pub mouth: f32,
    /// Eye openings of the drawn landmarks, [subject's right, left] ([`eye_opening_of`]: lid gap
    /// over the eye-corner distance, unitless).
    pub eyes: [f32; 2],
}

impl DrawnFace {
    /// The drawn face of `buffer`'s face meta (the ROI meta of type [`ROI_TYPE`] with
    /// [`POSE_PARAMS`]); `None` when the buffer has none (no face drawn yet, or the drawn face
    /// lay outside the frame) or when its structure lacks a field or has one of another type.
    pub fn read(buffer: &gst::BufferRef) -> Option<Self> {
        let meta = buffer
            .iter_meta::<VideoRegionOfInterestMeta>()
            .find(|m| m.roi_type() == ROI_TYPE)?;
        let p = meta.param(POSE_PARAMS)?;
        let num = |name: &str| p.get::<f64>(name).ok().map(|v| v as f32);
        let flat = p.get::<gst::Array>("landmarks").ok()?;
        let flat = flat
            .iter()
            .map(|v| v.get::<f32>().ok())
            .collect::<Option<Vec<f32>>>()?;
        Some(DrawnFace {
            reenacted: p.get::<bool>("reenacted").ok()?,
            landmarks: flat.chunks_exact(2).map(|xy| [xy[0], xy[1]]).collect(),
            roll_yaw_pitch: (num("roll")?, num("yaw")?, num("pitch")?),
            scale: num("scale")?,
            mouth: num("mouth-opening")?,
            eyes: [num("eye-opening-right")?, num("eye-opening-left")?],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::motion::pose::Similarity;

    #[test]
    fn the_box_covers_the_points_in_whole_pixels_and_stays_in_the_frame() {
        let points = [[10.2, 20.7, 0.0], [30.5, 5.1, 0.0], [-4.0, 12.0, 0.0]];
        assert_eq!(pixel_box(&points, 1.0, 100, 100), Some((0, 5, 31, 16)));
        // x scaled: an anamorphic actor frame's square-pixel x back to its own pixels.
        assert_eq!(pixel_box(&points[..2], 0.5, 100, 100), Some((5, 5, 11, 16)));
        assert_eq!(pixel_box(&[[200.0, 200.0, 0.0]], 1.0, 100, 100), None);
    }

    #[test]
    fn the_meta_reads_back_with_its_box_pose_and_landmarks() {
        gst::init().unwrap();
        let points: Vec<[f32; 3]> = (0..468)
            .map(|i| [100.0 + (i % 20) as f32, 50.0 + (i / 20) as f32, 0.0])
            .collect();
        let pose = TargetPose {
            points,
            rigid: Similarity {
                scale: 1.25,
                ..Similarity::identity()
            },
        };
        let mut buffer = gst::Buffer::new();
        let actor = [[40.0f32, 30.0, 0.0], [80.0, 90.0, 0.0]];
        attach(
            buffer.get_mut().unwrap(),
            (256, 256),
            &pose,
            true,
            Some((&actor, 320, 240, 2.0)),
        );
        let meta = buffer
            .meta::<VideoRegionOfInterestMeta>()
            .expect("a ROI meta");
        assert_eq!(meta.roi_type(), ROI_TYPE);
        assert_eq!(meta.rect(), (100, 50, 19, 23));
        let p = meta.param(POSE_PARAMS).expect("pose params");
        assert!(p.get::<bool>("reenacted").unwrap());
        assert_eq!(p.get::<f64>("scale").unwrap(), 1.25);
        let lm = p.get::<gst::Array>("landmarks").unwrap();
        assert_eq!(lm.len(), 936);
        assert_eq!(lm[2].get::<f32>().unwrap(), 101.0, "x of landmark 1");
        let a = meta.param(ACTOR_PARAMS).expect("actor params");
        let field = |n: &str| a.get::<u32>(n).unwrap();
        assert_eq!(
            (field("x"), field("y"), field("width"), field("height")),
            (20, 30, 20, 60)
        );
    }

    #[test]
    fn the_drawn_face_reads_back_from_the_meta_it_was_attached_as() {
        gst::init().unwrap();
        // A face 100 px between the eye corners, its mouth open 25 px, its right eye 8 px, on
        // a head rolled by 0.1 rad and drawn 1.25 times the picture's size.
        let mut points: Vec<[f32; 3]> = (0..470)
            .map(|i| [100.0 + (i % 20) as f32, 50.0 + (i / 20) as f32, 0.0])
            .collect();
        points[33] = [100.0, 60.0, 0.0];
        points[263] = [200.0, 60.0, 0.0];
        points[13] = [150.0, 100.0, 0.0];
        points[14] = [150.0, 125.0, 0.0];
        points[159] = [120.0, 55.0, 0.0];
        points[145] = [120.0, 63.0, 0.0];
        points[386] = [180.0, 55.0, 0.0];
        points[374] = [180.0, 55.0, 0.0];
        let pose = TargetPose {
            points,
            rigid: Similarity {
                scale: 1.25,
                rotation: *nalgebra::Rotation3::from_euler_angles(0.0, 0.0, 0.1).matrix(),
                ..Similarity::identity()
            },
        };
        for reenacted in [true, false] {
            let mut buffer = gst::Buffer::new();
            attach(
                buffer.get_mut().unwrap(),
                (256, 256),
                &pose,
                reenacted,
                None,
            );
            let drawn = DrawnFace::read(&buffer).expect("a drawn face");
            assert_eq!(drawn.reenacted, reenacted);
            assert_eq!(
                drawn.landmarks.len(),
                468,
                "the iris centres are not landmarks"
            );
            assert_eq!(drawn.landmarks[5], [105.0, 50.0]);
            assert_eq!(drawn.landmarks[263], [200.0, 60.0]);
            assert!((drawn.mouth - 0.25).abs() < 1e-6, "{drawn:?}");
            assert!((drawn.eyes[0] - 0.08).abs() < 1e-6 && drawn.eyes[1] == 0.0);
            let (roll, yaw, pitch) = drawn.roll_yaw_pitch;
            assert!((roll - 5.73).abs() < 0.01, "roll {roll}");
            assert!(yaw.abs() < 1e-3 && pitch.abs() < 1e-3);
            assert_eq!(drawn.scale, 1.25);
        }
        // No meta, or a ROI meta of another type: nothing drawn.
        let mut buffer = gst::Buffer::new();
        assert_eq!(DrawnFace::read(&buffer), None);
        VideoRegionOfInterestMeta::add(buffer.get_mut().unwrap(), "hand", (0, 0, 10, 10));
        assert_eq!(DrawnFace::read(&buffer), None);
    }
}
