//! 468-point face-mesh landmarks with MediaPipe's `face_landmark.onnx`.
//!
//! Model: input `1x192x192x3` float RGB in 0..1 (NHWC), a face crop rotated so the eyes are level
//! (see [`Roi`]); outputs `1x1x1x1404` (468 points x, y, z in input pixels; z is depth relative
//! to the face centre, same scale as x, smaller is nearer the camera) and `1x1x1x1` face-presence
//! logit. Source: Kartynnik et al., "Real-time Facial Surface Geometry from Monocular Video on
//! Mobile GPUs", 2019, and github.com/google/mediapipe (Apache-2.0).

use crate::video::RgbSource;

use super::roi::Roi;
use crate::runtime::{run_rgb_square, RuntimeError, SharedSession};

/// Model input side, pixels.
pub const INPUT_SIZE: usize = 192;
/// Number of face-mesh landmarks.
pub const NUM_LANDMARKS: usize = 468;
/// Right-eye outer corner and left-eye outer corner (subject's sides): MediaPipe's rotation points.
pub const EYE_CORNERS: (usize, usize) = (33, 263);

/// 468 landmarks in square-pixel picture coordinates; z in the same units as x, relative to the
/// face centre, smaller is nearer the camera. After eye refinement two more points follow: the
/// iris centres ([`super::eye_refiner::IRIS_CENTRES`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FaceLandmarks {
    /// Points (x, y, z).
    pub points: Vec<[f32; 3]>,
    /// Face-presence probability 0..1 (sigmoid of the model's logit).
    pub presence: f32,
}

impl FaceLandmarks {
    /// No points yet, room for the 468 landmarks and the two iris centres: a buffer for
    /// [`Landmarker::landmarks_into`] that never grows.
    pub fn with_capacity() -> Self {
        FaceLandmarks {
            points: Vec::with_capacity(NUM_LANDMARKS + 2),
            presence: 0.0,
        }
    }

    /// The crop to track this face in the next frame: centred on the landmarks' bounding box in
    /// the eye-level frame, rotated from the right to the left outer eye corner, 1.5x the longer
    /// side (MediaPipe's `face_landmark_landmarks_to_roi`).
    pub fn tracking_roi(&self) -> Roi {
        let a = self.points[EYE_CORNERS.0];
        let b = self.points[EYE_CORNERS.1];
        let angle = (b[1] - a[1]).atan2(b[0] - a[0]);
        let (s, c) = angle.sin_cos();
        let (mut lo_u, mut hi_u, mut lo_v, mut hi_v) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in &self.points {
            let u = c * p[0] + s * p[1];
            let v = -s * p[0] + c * p[1];
            lo_u = lo_u.min(u);
            hi_u = hi_u.max(u);
            lo_v = lo_v.min(v);
            hi_v = hi_v.max(v);
        }
        let (mu, mv) = ((lo_u + hi_u) / 2.0, (lo_v + hi_v) / 2.0);
        Roi {
            cx: c * mu - s * mv,
            cy: s * mu + c * mv,
            size: (hi_u - lo_u).max(hi_v - lo_v) * 1.5,
            angle,
        }
    }

    /// Distance between the outer eye corners, pixels: the face's size for normalising distances.
    pub fn interocular(&self) -> f32 {
        let a = self.points[EYE_CORNERS.0];
        let b = self.points[EYE_CORNERS.1];
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
    }
}

/// The landmarker: a shared ONNX session and its input buffer.
pub struct Landmarker {
    session: SharedSession,
    input: Vec<f32>,
    raw: Vec<f32>,
    logit: Vec<f32>,
}

impl Landmarker {
    /// Wraps a session made from `face_landmark.onnx`.
    pub fn new(session: SharedSession) -> Self {
        Landmarker {
            session,
            input: vec![0.0; INPUT_SIZE * INPUT_SIZE * 3],
            raw: Vec::with_capacity(NUM_LANDMARKS * 3),
            logit: Vec::with_capacity(1),
        }
    }

    /// Runs the landmarker on the crop `roi` of `img` (pixel aspect ratio `par`) and maps the 468
    /// points back to square-pixel picture coordinates.
    pub fn landmarks(
        &mut self,
        img: &(impl RgbSource + ?Sized),
        par: f32,
        roi: &Roi,
    ) -> Result<FaceLandmarks, RuntimeError> {
        let mut out = FaceLandmarks::with_capacity();
        self.landmarks_into(img, par, roi, &mut out)?;
        Ok(out)
    }

    /// [`Landmarker::landmarks`] written into `out`, reusing its buffer (no allocation once it
    /// has the capacity, see [`FaceLandmarks::with_capacity`]).
    pub fn landmarks_into(
        &mut self,
        img: &(impl RgbSource + ?Sized),
        par: f32,
        roi: &Roi,
        out: &mut FaceLandmarks,
    ) -> Result<(), RuntimeError> {
        roi.crop_into(img, par, INPUT_SIZE, 0.0, 1.0, &mut self.input);
        run_rgb_square(
            &self.session,
            &self.input,
            INPUT_SIZE,
            &mut self.raw,
            &mut self.logit,
        )?;
        let (raw, logit) = (&self.raw, &self.logit);
        if raw.len() < NUM_LANDMARKS * 3 || logit.is_empty() {
            return Err(RuntimeError::Inference(format!(
                "landmark model returned {} values, expected {}",
                raw.len(),
                NUM_LANDMARKS * 3
            )));
        }
        let n = INPUT_SIZE as f32;
        let zscale = roi.size / n;
        out.points.clear();
        out.points
            .extend(raw.chunks_exact(3).take(NUM_LANDMARKS).map(|p| {
                let (x, y) = roi.to_picture(p[0], p[1], n);
                [x, y, p[2] * zscale]
            }));
        out.presence = 1.0 / (1.0 + (-logit[0]).exp());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_roi_follows_a_rotated_face() {
        // A synthetic "face": points on a 100x120 rectangle rotated by 30 degrees about (200, 150).
        let ang = 30f32.to_radians();
        let (s, c) = ang.sin_cos();
        let mut points = vec![[0.0f32; 3]; NUM_LANDMARKS];
        for (i, p) in points.iter_mut().enumerate() {
            let u = (i % 11) as f32 * 10.0 - 50.0;
            let v = (i / 11 % 13) as f32 * 10.0 - 60.0;
            *p = [200.0 + c * u - s * v, 150.0 + s * u + c * v, 0.0];
        }
        points[EYE_CORNERS.0] = [200.0 - c * 30.0, 150.0 - s * 30.0, 0.0];
        points[EYE_CORNERS.1] = [200.0 + c * 30.0, 150.0 + s * 30.0, 0.0];
        let lm = FaceLandmarks {
            points,
            presence: 1.0,
        };
        let roi = lm.tracking_roi();
        assert!((roi.angle - ang).abs() < 1e-4);
        assert!(
            (roi.cx - 200.0).abs() < 1e-2 && (roi.cy - 150.0).abs() < 1e-2,
            "{roi:?}"
        );
        assert!(
            (roi.size - 180.0).abs() < 1e-2,
            "1.5x the 120 px long side: {roi:?}"
        );
        assert!((lm.interocular() - 60.0).abs() < 1e-3);
    }
}
