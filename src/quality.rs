//! Measures of reenactment quality computed from face-mesh landmarks: what the tests and the
//! benchmark use to check that the avatar moves like the actor.

use std::fmt;

use crate::face::landmarker::{EYE_CORNERS, NUM_LANDMARKS};
use crate::face::FaceLandmarks;
use crate::motion::TargetPose;

/// Upper and lower inner-lip midpoints.
pub const MOUTH_GAP: (usize, usize) = (13, 14);
/// Upper and lower eyelid midpoints of the subject's right and left eye.
pub const EYE_GAPS: [(usize, usize); 2] = [(159, 145), (386, 374)];

fn dist(p: &[[f32; 3]], a: usize, b: usize) -> f32 {
    ((p[a][0] - p[b][0]).powi(2) + (p[a][1] - p[b][1]).powi(2)).sqrt()
}

/// Outer-eye-corner distance of `points`, pixels, at least 0.001: what the openings divide by.
fn interocular_of(points: &[[f32; 3]]) -> f32 {
    dist(points, EYE_CORNERS.0, EYE_CORNERS.1).max(1e-3)
}

/// Mouth opening: inner-lip gap over the outer-eye-corner distance (0 closed, about 0.5 wide
/// open). Unitless, independent of face size.
pub fn mouth_opening(face: &FaceLandmarks) -> f32 {
    mouth_opening_of(&face.points)
}

/// [`mouth_opening`] of 468 bare landmark points.
pub fn mouth_opening_of(points: &[[f32; 3]]) -> f32 {
    dist(points, MOUTH_GAP.0, MOUTH_GAP.1) / interocular_of(points)
}

/// Eye opening of each eye (subject's right, left): lid gap over the outer-eye-corner distance
/// (about 0.1 open, 0.05 or less closed with this landmarker).
pub fn eye_opening(face: &FaceLandmarks) -> [f32; 2] {
    eye_opening_of(&face.points)
}

/// [`eye_opening`] of 468 bare landmark points.
pub fn eye_opening_of(points: &[[f32; 3]]) -> [f32; 2] {
    let io = interocular_of(points);
    [
        dist(points, EYE_GAPS[0].0, EYE_GAPS[0].1) / io,
        dist(points, EYE_GAPS[1].0, EYE_GAPS[1].1) / io,
    ]
}

/// What the engine drew in one frame, in the units of the measures above: the same numbers the
/// quality report measures on the output with the landmarker, but read from the target pose, so
/// that the report can tell the engine's motion from the measuring landmarker's noise.
///
/// Its `Display` form, logged by the element at the LOG level for every re-posed frame, is
/// `mouth=0.1234 eyes=0.1012,0.0987 roll=-1.23 yaw=4.56 pitch=0.78` (openings as in
/// [`mouth_opening`] and [`eye_opening`]; the head's roll, yaw and pitch in degrees relative to
/// the reference actor frame, as limited by the motion transfer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawnPose {
    /// [`mouth_opening_of`] the target landmarks.
    pub mouth: f32,
    /// [`eye_opening_of`] the target landmarks (subject's right, left).
    pub eyes: [f32; 2],
    /// Head roll, yaw and pitch, degrees (see [`crate::motion::pose::Similarity::roll_yaw_pitch_deg`]).
    pub roll_yaw_pitch: (f32, f32, f32),
}

impl DrawnPose {
    /// The measures of `pose` (468 or more target landmarks).
    pub fn of(pose: &TargetPose) -> Self {
        DrawnPose {
            mouth: mouth_opening_of(&pose.points),
            eyes: eye_opening_of(&pose.points),
            roll_yaw_pitch: pose.rigid.roll_yaw_pitch_deg(),
        }
    }

    /// Parses the `Display` form back; `None` for any other text.
    pub fn parse(text: &str) -> Option<Self> {
        let mut fields = text.split_whitespace().map(|f| f.split_once('='));
        let mut next = |key: &str| match fields.next()? {
            Some((k, v)) if k == key => Some(v),
            _ => None,
        };
        let num = |v: &str| v.parse::<f32>().ok();
        let mouth = num(next("mouth")?)?;
        let (r, l) = next("eyes")?.split_once(',')?;
        let eyes = [num(r)?, num(l)?];
        let roll = num(next("roll")?)?;
        let yaw = num(next("yaw")?)?;
        let pitch = num(next("pitch")?)?;
        Some(DrawnPose {
            mouth,
            eyes,
            roll_yaw_pitch: (roll, yaw, pitch),
        })
    }
}

impl fmt::Display for DrawnPose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (roll, yaw, pitch) = self.roll_yaw_pitch;
        write!(
            f,
            "mouth={:.4} eyes={:.4},{:.4} roll={roll:.2} yaw={yaw:.2} pitch={pitch:.2}",
            self.mouth, self.eyes[0], self.eyes[1]
        )
    }
}

/// The drawn landmarks of one frame: the target's first 468 points (x, y in avatar pixels), as
/// the element logs them at the TRACE level (`drawn landmarks N: x,y x,y ...`, two decimals) so
/// that the quality report can measure the drawn jitter apart from the landmarker's.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnLandmarks(pub Vec<[f32; 2]>);

impl DrawnLandmarks {
    /// The first 468 points of `pose` (fewer when it has fewer).
    pub fn of(pose: &TargetPose) -> Self {
        DrawnLandmarks(
            pose.points
                .iter()
                .take(NUM_LANDMARKS)
                .map(|p| [p[0], p[1]])
                .collect(),
        )
    }

    /// Parses the `Display` form back; `None` for any other text.
    pub fn parse(text: &str) -> Option<Self> {
        text.split_whitespace()
            .map(|pair| {
                let (x, y) = pair.split_once(',')?;
                Some([x.parse().ok()?, y.parse().ok()?])
            })
            .collect::<Option<Vec<_>>>()
            .filter(|p| !p.is_empty())
            .map(DrawnLandmarks)
    }
}

impl fmt::Display for DrawnLandmarks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{:.2},{:.2}", p[0], p[1])?;
        }
        Ok(())
    }
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

    #[test]
    fn a_drawn_pose_reads_back_from_its_log_line() {
        let mut points = vec![[0.0f32; 3]; 468];
        points[263] = [100.0, 0.0, 0.0];
        points[14] = [0.0, 25.0, 0.0];
        points[145] = [0.0, 8.0, 0.0];
        let rigid = crate::motion::Similarity {
            rotation: *nalgebra::Rotation3::from_euler_angles(0.0, 0.0, 0.1).matrix(),
            ..crate::motion::Similarity::identity()
        };
        let drawn = DrawnPose::of(&TargetPose { points, rigid });
        assert!((drawn.mouth - 0.25).abs() < 1e-6, "{drawn}");
        assert!(
            (drawn.eyes[0] - 0.08).abs() < 1e-6 && drawn.eyes[1] == 0.0,
            "{drawn}"
        );
        assert!((drawn.roll_yaw_pitch.0 - 5.73).abs() < 0.01, "{drawn}");
        let line = drawn.to_string();
        let back = DrawnPose::parse(&line).expect("parses");
        assert!(
            (back.mouth - drawn.mouth).abs() < 1e-4 && back.eyes == [0.08, 0.0],
            "{line}"
        );
        assert!((back.roll_yaw_pitch.0 - 5.73).abs() < 0.01, "{line}");
        assert_eq!(DrawnPose::parse("no face in actor frame 3"), None);
        assert_eq!(
            DrawnPose::parse("mouth=0.1 eyes=0.1 roll=0 yaw=0 pitch=0"),
            None
        );
    }

    #[test]
    fn drawn_landmarks_read_back_from_their_log_line() {
        let mut points = vec![[0.0f32; 3]; 470];
        points[5] = [12.345, -6.5, 3.0];
        let rigid = crate::motion::Similarity::identity();
        let drawn = DrawnLandmarks::of(&TargetPose { points, rigid });
        assert_eq!(drawn.0.len(), 468, "the iris centres are not landmarks");
        let line = drawn.to_string();
        let back = DrawnLandmarks::parse(&line).expect("parses");
        assert_eq!(back.0.len(), 468);
        assert!(
            (back.0[5][0] - 12.345).abs() < 0.01 && back.0[5][1] == -6.5,
            "{:?}",
            back.0[5]
        );
        assert_eq!(DrawnLandmarks::parse("mouth=0.1"), None);
        assert_eq!(DrawnLandmarks::parse(""), None);
    }
}
