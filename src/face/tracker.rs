//! Frame-to-frame face tracking: detection only when tracking is lost, otherwise the landmarker
//! runs on a crop predicted from the previous frame's landmarks (MediaPipe's FaceMesh scheme).

use image::RgbImage;

use super::detector::{Detection, FaceDetector};
use super::eye_refiner::EyeRefiner;
use super::landmarker::{FaceLandmarks, Landmarker};
use super::roi::Roi;
use crate::runtime::RuntimeError;

/// Landmarks whose face-presence probability is below this are treated as "no face".
pub const MIN_PRESENCE: f32 = 0.5;

/// Tracks one face through a video.
pub struct FaceTracker {
    detector: FaceDetector,
    landmarker: Landmarker,
    eyes: Option<EyeRefiner>,
    previous: Option<FaceLandmarks>,
    /// Number of detector runs so far (tracking quality indicator, for benchmarks and tests).
    pub detections_run: u64,
}

impl FaceTracker {
    /// A tracker using the given models; with `eyes`, eyelids are refined by the iris model.
    pub fn new(detector: FaceDetector, landmarker: Landmarker, eyes: Option<EyeRefiner>) -> Self {
        FaceTracker {
            detector,
            landmarker,
            eyes,
            previous: None,
            detections_run: 0,
        }
    }

    fn refine_eyes(
        &mut self,
        img: &RgbImage,
        par: f32,
        mut lm: FaceLandmarks,
    ) -> Result<FaceLandmarks, RuntimeError> {
        if let Some(eyes) = &mut self.eyes {
            eyes.refine(img, par, &mut lm)?;
        }
        Ok(lm)
    }

    /// Forgets the tracked face: the next frame starts with a detection.
    pub fn reset(&mut self) {
        self.previous = None;
    }

    /// Landmarks of the tracked face in `img` (square-pixel coordinates, pixel aspect `par`), or
    /// `None` when the frame has no face.
    pub fn track(
        &mut self,
        img: &RgbImage,
        par: f32,
    ) -> Result<Option<FaceLandmarks>, RuntimeError> {
        if let Some(prev) = self.previous.take() {
            let lm = self.landmarker.landmarks(img, par, &prev.tracking_roi())?;
            if lm.presence >= MIN_PRESENCE {
                self.previous = Some(lm.clone());
                return self.refine_eyes(img, par, lm).map(Some);
            }
        }
        self.detections_run += 1;
        let dets = self.detector.detect(img, par, None)?;
        let Some(best) = dets.first() else {
            return Ok(None);
        };
        let found = self.refine(img, par, best)?;
        self.previous = found.clone();
        match found {
            Some(lm) => self.refine_eyes(img, par, lm).map(Some),
            None => Ok(None),
        }
    }

    /// Landmarks of the largest face in a still picture (see [`FaceTracker::faces_in_still`]).
    pub fn detect_still(&mut self, img: &RgbImage) -> Result<Option<FaceLandmarks>, RuntimeError> {
        self.detect_still_nth(img, 0).map(|(lm, _)| lm)
    }

    /// Landmarks of face `n` of a still picture, faces ordered largest first (ties: leftmost
    /// first), with the number of faces found. `None` when `n` is not below that number.
    /// Landmarks are refined with a second landmarker pass on their own crop, eyelids and irises
    /// with the iris model.
    pub fn detect_still_nth(
        &mut self,
        img: &RgbImage,
        n: usize,
    ) -> Result<(Option<FaceLandmarks>, usize), RuntimeError> {
        let faces = self.faces_in_still(img)?;
        let Some(det) = faces.get(n) else {
            return Ok((None, faces.len()));
        };
        let lm = match self.refine(img, 1.0, det)? {
            Some(lm) => Some(self.refine_eyes(img, 1.0, lm)?),
            None => None,
        };
        Ok((lm, faces.len()))
    }

    /// Every face the detector finds in a still picture, largest box first (ties: leftmost
    /// first), so that the order does not depend on scores. Searches the whole picture and
    /// square windows of the shorter side and of half of it (the short-range detector misses
    /// faces smaller than about a fifth of its input); boxes found in several windows are merged
    /// (intersection over union above 0.3, the more confident kept).
    pub fn faces_in_still(&mut self, img: &RgbImage) -> Result<Vec<Detection>, RuntimeError> {
        let mut found: Vec<Detection> = Vec::new();
        for window in search_windows(img.width() as f32, img.height() as f32) {
            for d in self.detector.detect(img, 1.0, window)? {
                match found.iter_mut().find(|f| f.iou(&d) > 0.3) {
                    Some(f) if f.score >= d.score => {}
                    Some(f) => *f = d,
                    None => found.push(d),
                }
            }
        }
        found.sort_by(|a, b| {
            (b.w * b.h)
                .total_cmp(&(a.w * a.h))
                .then(a.cx.total_cmp(&b.cx))
        });
        Ok(found)
    }

    fn refine(
        &mut self,
        img: &RgbImage,
        par: f32,
        det: &Detection,
    ) -> Result<Option<FaceLandmarks>, RuntimeError> {
        let first = self.landmarker.landmarks(img, par, &det.landmark_roi())?;
        if first.presence < MIN_PRESENCE {
            return Ok(None);
        }
        let second = self.landmarker.landmarks(img, par, &first.tracking_roi())?;
        Ok(Some(if second.presence >= MIN_PRESENCE {
            second
        } else {
            first
        }))
    }
}

/// Detector windows for a still picture of `w`x`h`: the whole picture (letterboxed), then
/// overlapping squares of the shorter side and of half of it.
pub fn search_windows(w: f32, h: f32) -> Vec<Option<Roi>> {
    let mut out = vec![None];
    let short = w.min(h);
    for side in [short, short / 2.0] {
        if side < 64.0 {
            break;
        }
        let step = side / 2.0;
        let mut y = side / 2.0;
        while y <= h - side / 2.0 + 0.5 {
            let mut x = side / 2.0;
            while x <= w - side / 2.0 + 0.5 {
                out.push(Some(Roi {
                    cx: x,
                    cy: y,
                    size: side,
                    angle: 0.0,
                }));
                x += step;
            }
            y += step;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_windows_cover_a_portrait_picture_inside_its_bounds() {
        let ws = search_windows(720.0, 1280.0);
        assert!(ws[0].is_none(), "whole picture first");
        let rois: Vec<Roi> = ws.into_iter().flatten().collect();
        assert!(rois.iter().any(|r| r.size == 720.0) && rois.iter().any(|r| r.size == 360.0));
        for r in &rois {
            assert!(
                r.cx - r.size / 2.0 >= -0.5 && r.cx + r.size / 2.0 <= 720.5,
                "{r:?}"
            );
            assert!(
                r.cy - r.size / 2.0 >= -0.5 && r.cy + r.size / 2.0 <= 1280.5,
                "{r:?}"
            );
        }
    }
}
