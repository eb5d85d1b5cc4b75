//! Face detection with MediaPipe's BlazeFace models: the short-range model
//! (`face_detection_short_range.onnx`, faces within about 2 m of a phone camera) and the
//! full-range model (`face_detection_full_range.onnx`, faces within about 5 m).
//!
//! Models ([`DetectorModel`]):
//! - short range: input `1x128x128x3` float RGB in -1..1 (NHWC); outputs `regressors` `1x896x16`
//!   and `classificators` `1x896x1` (logits) over 896 SSD anchors (4 layers, strides 8/16/16/16,
//!   two anchors per stride-8 cell, six per stride-16 cell); score threshold 0.5.
//! - full range: input `1x192x192x3` float RGB in -1..1; outputs `Identity` `1x2304x16` and
//!   `Identity_1` `1x2304x1` over 2304 anchors (one layer, stride 4, a 48x48 grid, one anchor per
//!   cell); score threshold 0.6.
//!
//! Anchors, box decoding and weighted non-maximum suppression follow MediaPipe's
//! `face_detection_short_range.pbtxt` and `face_detection_full_range.pbtxt` (SsdAnchorsCalculator
//! with a fixed anchor size; TensorsToDetections with x/y/w/h scale equal to the input side,
//! sigmoid scores; weighted NMS, IoU 0.3).
//! Source: Bazarevsky et al., "BlazeFace: Sub-millisecond Neural Face Detection on Mobile GPUs",
//! 2019, and github.com/google/mediapipe (Apache-2.0).
//!
//! Measured reach (both models, talk_wink_480 frames scaled into a textured 400x400 picture, 20
//! frames per size): a face is found when its detector box is at least 13 input pixels wide,
//! a tenth of the short-range model's 128 and 7 % of the full-range model's 192 (17-18 of 20 at
//! that edge, all 20 above it), up to at least 70 % of the input.

use crate::video::RgbSource;

use super::roi::Roi;
use crate::runtime::{run_rgb_square, RuntimeError, SharedSession};

const NMS_IOU: f32 = 0.3;

/// Which BlazeFace model a [`FaceDetector`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetectorModel {
    /// `face_detection_short_range.onnx`: 128x128 input, 896 anchors.
    ShortRange,
    /// `face_detection_full_range.onnx`: 192x192 input, 2304 anchors.
    FullRange,
}

impl DetectorModel {
    /// Model input side, pixels.
    pub fn input_size(self) -> usize {
        match self {
            DetectorModel::ShortRange => 128,
            DetectorModel::FullRange => 192,
        }
    }

    /// Number of SSD anchors (rows of the model's outputs).
    pub fn num_anchors(self) -> usize {
        match self {
            DetectorModel::ShortRange => 896,
            DetectorModel::FullRange => 2304,
        }
    }

    /// MediaPipe's score threshold for this model (0..1, after the sigmoid).
    pub fn min_score(self) -> f32 {
        match self {
            DetectorModel::ShortRange => 0.5,
            DetectorModel::FullRange => 0.6,
        }
    }

    /// SSD anchor centres in 0..1 model-input coordinates, in the model's output order.
    pub fn anchors(self) -> Vec<(f32, f32)> {
        // Layers of equal strides are merged: (stride, anchors per cell).
        let layers: &[(usize, usize)] = match self {
            DetectorModel::ShortRange => &[(8, 2), (16, 6)],
            DetectorModel::FullRange => &[(4, 1)],
        };
        let mut out = Vec::with_capacity(self.num_anchors());
        for &(stride, per_cell) in layers {
            let grid = self.input_size() / stride;
            for y in 0..grid {
                for x in 0..grid {
                    for _ in 0..per_cell {
                        out.push((
                            (x as f32 + 0.5) / grid as f32,
                            (y as f32 + 0.5) / grid as f32,
                        ));
                    }
                }
            }
        }
        out
    }
}

/// One detected face, in square-pixel picture coordinates (see [`super::roi`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Box centre x, y and width, height, pixels.
    pub cx: f32,
    /// Box centre y.
    pub cy: f32,
    /// Box width.
    pub w: f32,
    /// Box height.
    pub h: f32,
    /// Six keypoints (x, y): subject's right eye, left eye, nose tip, mouth centre, right ear
    /// tragion, left ear tragion. "Right" is the subject's right, on the image's left.
    pub keypoints: [(f32, f32); 6],
    /// Confidence 0..1.
    pub score: f32,
}

impl Detection {
    /// Intersection over union of the two boxes (0 when they do not overlap or have no area).
    pub fn iou(&self, other: &Detection) -> f32 {
        let (a, b) = (self, other);
        let ix = ((a.cx + a.w / 2.0).min(b.cx + b.w / 2.0)
            - (a.cx - a.w / 2.0).max(b.cx - b.w / 2.0))
        .max(0.0);
        let iy = ((a.cy + a.h / 2.0).min(b.cy + b.h / 2.0)
            - (a.cy - a.h / 2.0).max(b.cy - b.h / 2.0))
        .max(0.0);
        let inter = ix * iy;
        let union = a.w * a.h + b.w * b.h - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }

    /// The landmarker crop for this face, as MediaPipe builds it: the box centre, rotated so the
    /// eyes are level, a square of 1.5x the longer box side.
    pub fn landmark_roi(&self) -> Roi {
        let (x0, y0) = self.keypoints[0];
        let (x1, y1) = self.keypoints[1];
        Roi {
            cx: self.cx,
            cy: self.cy,
            size: self.w.max(self.h) * 1.5,
            angle: (y1 - y0).atan2(x1 - x0),
        }
    }
}

/// The face detector: a shared ONNX session of one [`DetectorModel`] plus its anchors and input
/// buffer.
pub struct FaceDetector {
    model: DetectorModel,
    session: SharedSession,
    anchors: Vec<(f32, f32)>,
    input: Vec<f32>,
    regressors: Vec<f32>,
    scores: Vec<f32>,
}

impl FaceDetector {
    /// Wraps a session made from `model`'s file.
    pub fn new(session: SharedSession, model: DetectorModel) -> Self {
        let n = model.input_size();
        FaceDetector {
            model,
            session,
            anchors: model.anchors(),
            input: vec![0.0; n * n * 3],
            regressors: Vec::with_capacity(model.num_anchors() * 16),
            scores: Vec::with_capacity(model.num_anchors()),
        }
    }

    /// The model this detector runs.
    pub fn model(&self) -> DetectorModel {
        self.model
    }

    /// Detects faces in the square region `window` of `img` (the whole picture letterboxed when
    /// `window` is `None`). Returns detections sorted by decreasing score, after weighted NMS,
    /// in square-pixel picture coordinates. `par` is the picture's pixel aspect ratio.
    pub fn detect(
        &mut self,
        img: &(impl RgbSource + ?Sized),
        par: f32,
        window: Option<Roi>,
    ) -> Result<Vec<Detection>, RuntimeError> {
        let roi = window.unwrap_or_else(|| {
            // Letterbox: a square around the whole picture, padding by edge extension.
            let (w, h) = img.dimensions();
            let (w, h) = (w as f32 * par, h as f32);
            Roi {
                cx: w / 2.0,
                cy: h / 2.0,
                size: w.max(h),
                angle: 0.0,
            }
        });
        let side = self.model.input_size();
        roi.crop_into(img, par, side, -1.0, 1.0, &mut self.input);
        let n = side as f32;
        run_rgb_square(
            &self.session,
            &self.input,
            side,
            &mut self.regressors,
            &mut self.scores,
        )?;
        let anchors = self.model.num_anchors();
        if self.regressors.len() < anchors * 16 || self.scores.len() < anchors {
            return Err(RuntimeError::Inference(
                "detector returned too few values".into(),
            ));
        }
        let mut raw = Vec::new();
        for (i, &(ax, ay)) in self.anchors.iter().enumerate() {
            let score = 1.0 / (1.0 + (-self.scores[i].clamp(-100.0, 100.0)).exp());
            if score < self.model.min_score() {
                continue;
            }
            let r = &self.regressors[i * 16..(i + 1) * 16];
            let mut kp = [(0.0, 0.0); 6];
            for (k, p) in kp.iter_mut().enumerate() {
                *p = roi.to_picture((r[4 + 2 * k] / n + ax) * n, (r[5 + 2 * k] / n + ay) * n, n);
            }
            let (cx, cy) = roi.to_picture((r[0] / n + ax) * n, (r[1] / n + ay) * n, n);
            let scale = roi.size / n;
            raw.push(Detection {
                cx,
                cy,
                w: r[2] * scale,
                h: r[3] * scale,
                keypoints: kp,
                score,
            });
        }
        Ok(weighted_nms(raw))
    }
}

/// MediaPipe's weighted non-maximum suppression: overlapping boxes (IoU > 0.3) are merged into
/// their score-weighted mean; the merged detection keeps the highest score.
pub fn weighted_nms(mut dets: Vec<Detection>) -> Vec<Detection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !dets.is_empty() {
        let best = dets[0].clone();
        let (group, rest): (Vec<Detection>, Vec<Detection>) =
            dets.into_iter().partition(|d| best.iou(d) > NMS_IOU);
        dets = rest;
        let total: f32 = group.iter().map(|d| d.score).sum();
        let mut merged = best.clone();
        if group.len() > 1 && total > 0.0 {
            let avg = |f: &dyn Fn(&Detection) -> f32| {
                group.iter().map(|d| f(d) * d.score).sum::<f32>() / total
            };
            merged.cx = avg(&|d| d.cx);
            merged.cy = avg(&|d| d.cy);
            merged.w = avg(&|d| d.w);
            merged.h = avg(&|d| d.h);
            for k in 0..6 {
                merged.keypoints[k] = (avg(&|d| d.keypoints[k].0), avg(&|d| d.keypoints[k].1));
            }
        }
        out.push(merged);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(cx: f32, score: f32) -> Detection {
        Detection {
            cx,
            cy: 50.0,
            w: 20.0,
            h: 20.0,
            keypoints: [(cx, 50.0); 6],
            score,
        }
    }

    #[test]
    fn anchors_match_the_model_output_count_and_lie_inside_the_input() {
        for model in [DetectorModel::ShortRange, DetectorModel::FullRange] {
            let a = model.anchors();
            assert_eq!(a.len(), model.num_anchors(), "{model:?}");
            assert!(a
                .iter()
                .all(|&(x, y)| x > 0.0 && x < 1.0 && y > 0.0 && y < 1.0));
        }
        let a = DetectorModel::ShortRange.anchors();
        assert_eq!(a[0], (0.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[512], (0.5 / 8.0, 0.5 / 8.0));
        // Full range: one anchor per cell of a 48x48 grid, row by row.
        let a = DetectorModel::FullRange.anchors();
        assert_eq!(a[1], (1.5 / 48.0, 0.5 / 48.0));
        assert_eq!(a[48], (0.5 / 48.0, 1.5 / 48.0));
    }

    #[test]
    fn nms_merges_overlapping_boxes_and_keeps_separate_faces() {
        let out = weighted_nms(vec![det(50.0, 0.9), det(52.0, 0.9), det(200.0, 0.6)]);
        assert_eq!(out.len(), 2, "two faces");
        assert!(
            (out[0].cx - 51.0).abs() < 1e-4,
            "equal scores average the centres"
        );
        assert_eq!(out[1].cx, 200.0);
    }

    #[test]
    fn landmark_roi_is_level_with_the_eyes_and_larger_than_the_box() {
        let mut d = det(100.0, 0.9);
        d.keypoints[0] = (90.0, 40.0);
        d.keypoints[1] = (110.0, 60.0); // eye line at 45 degrees
        let roi = d.landmark_roi();
        assert!((roi.angle - std::f32::consts::FRAC_PI_4).abs() < 1e-5);
        assert_eq!(roi.size, 30.0);
    }
}
