//! Person matte of a picture with MediaPipe's selfie segmentation model
//! (`selfie_segmentation.onnx`, the general 256x256 model, converted from
//! `mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite`, see models/NOTICE): cuts
//! an avatar without alpha out of its background.
//!
//! Model: input `input_1` `1x256x256x3` float RGB in 0..1 (NHWC, row 0 at the top); output
//! `activation_10` `1x256x256x1` float, the probability (0..1, the model ends with a sigmoid)
//! that each cell shows a person.
//!
//! Feeding and reading it as MediaPipe's `selfie_segmentation_cpu.pbtxt` graph does (in the
//! mediapipe 0.10.14 wheel): ImageToTensorCalculator stretches the whole picture to 256x256
//! (`keep_aspect_ratio: false`, no letterbox) with bilinear sampling (OpenCV `INTER_LINEAR`, no
//! anti-aliasing), values 0..1; TensorsToSegmentationCalculator applies no activation
//! (`activation: NONE`) and resizes the 256x256 probabilities to the picture's size with
//! `cv::resize` (bilinear); nothing is thresholded. One difference, on purpose: MediaPipe's CPU
//! warp maps tensor pixel index j to picture pixel index j * w / 256 (pixel corners aligned),
//! while its `cv::resize` back aligns pixel centres, so its mask sits up to half a tensor cell
//! off the picture (0.5 px for a 512 px picture, 3.5 px at 2048). Here both directions align
//! pixel centres, so the matte lies on the picture.
//!
//! Model source: Google, MediaPipe Selfie Segmentation (github.com/google/mediapipe, Apache-2.0;
//! model card "MediaPipe Selfie Segmentation", 2021).

use image::imageops::{self, FilterType};
use image::{GrayImage, ImageBuffer, Luma, RgbImage};

use crate::face::Roi;
use crate::runtime::{run_rgb, RuntimeError, SharedSession};

/// Model input (and output) side, pixels.
pub const INPUT_SIZE: usize = 256;

/// The person segmenter: a shared ONNX session of `selfie_segmentation.onnx` and its buffers.
pub struct PersonSegmenter {
    session: SharedSession,
    input: Vec<f32>,
    probabilities: Vec<f32>,
}

impl PersonSegmenter {
    /// Wraps a session made from `selfie_segmentation.onnx` (see
    /// [`crate::models::person_segmenter`], which checks the file first).
    pub fn new(session: SharedSession) -> Self {
        PersonSegmenter {
            session,
            input: vec![0.0; INPUT_SIZE * INPUT_SIZE * 3],
            probabilities: Vec::with_capacity(INPUT_SIZE * INPUT_SIZE),
        }
    }

    /// The model's person probabilities for `picture` (`w x h` pixels): `256 x 256` values in
    /// 0..1, row-major, row 0 at the top; value `y * 256 + x` covers the picture's rectangle
    /// [x w / 256, (x + 1) w / 256) x [y h / 256, (y + 1) h / 256) (the picture stretched to a
    /// square, whatever its aspect ratio).
    ///
    /// Errors: [`RuntimeError::Inference`] when the run fails or the model returns another number
    /// of values. Panics on an empty picture (no pixel to sample).
    pub fn probabilities(&mut self, picture: &RgbImage) -> Result<&[f32], RuntimeError> {
        let (w, h) = picture.dimensions();
        assert!(w > 0 && h > 0, "an empty picture has no person matte");
        // The whole picture stretched to the square input: seen with a pixel aspect ratio of
        // h / w it is a square of side h (see `Roi`'s square-pixel coordinates), sampled
        // bilinearly at the centres of the input's pixels, 0..255 mapped to 0..1.
        let square = Roi {
            cx: h as f32 / 2.0,
            cy: h as f32 / 2.0,
            size: h as f32,
            angle: 0.0,
        };
        square.crop_into(
            picture,
            h as f32 / w as f32,
            INPUT_SIZE,
            0.0,
            1.0,
            &mut self.input,
        );
        run_rgb(
            &self.session,
            &self.input,
            (INPUT_SIZE, INPUT_SIZE),
            &mut self.probabilities,
        )?;
        if self.probabilities.len() != INPUT_SIZE * INPUT_SIZE {
            return Err(RuntimeError::Inference(format!(
                "segmentation model returned {} values, expected {}",
                self.probabilities.len(),
                INPUT_SIZE * INPUT_SIZE
            )));
        }
        Ok(&self.probabilities)
    }

    /// The person matte of `picture`, at its size: 255 = person, 0 = background, values between
    /// on the edges (255 x the model's probability, not thresholded).
    ///
    /// The model's 256x256 probabilities ([`PersonSegmenter::probabilities`]) are resized to the
    /// picture's size with `image`'s triangle filter: bilinear interpolation between cell
    /// centres when enlarging (as MediaPipe's `cv::resize`), a tent-weighted average when
    /// shrinking a side below 256. An empty picture gives an empty matte.
    ///
    /// Errors: as [`PersonSegmenter::probabilities`].
    pub fn matte(&mut self, picture: &RgbImage) -> Result<GrayImage, RuntimeError> {
        let (w, h) = picture.dimensions();
        if w == 0 || h == 0 {
            return Ok(GrayImage::new(w, h));
        }
        let probabilities = self.probabilities(picture)?.to_vec();
        let side = INPUT_SIZE as u32;
        let small: ImageBuffer<Luma<f32>, Vec<f32>> =
            ImageBuffer::from_raw(side, side, probabilities).expect("256x256 values");
        let full = imageops::resize(&small, w, h, FilterType::Triangle);
        let level = |p: f32| (p.clamp(0.0, 1.0) * 255.0).round() as u8;
        Ok(
            GrayImage::from_raw(w, h, full.into_raw().into_iter().map(level).collect())
                .expect("w x h values"),
        )
    }
}

impl PersonSegmenter {
    /// The person matte of `picture` inside `rect` (clipped to the picture): `write(x, y, level)`
    /// is called once per pixel with the matte's level there (255 = person, 0 = background). The
    /// probabilities are sampled bilinearly at pixel centres (as [`PersonSegmenter::matte`] when
    /// the picture is at least 256 pixels on each side; for a smaller one `matte` averages
    /// instead). Allocates nothing.
    ///
    /// Errors: as [`PersonSegmenter::probabilities`].
    pub fn matte_rect_with(
        &mut self,
        picture: &RgbImage,
        rect: crate::video::Rect,
        mut write: impl FnMut(u32, u32, u8),
    ) -> Result<(), RuntimeError> {
        let (w, h) = picture.dimensions();
        if w == 0 || h == 0 || rect.is_empty() {
            return Ok(());
        }
        let p = self.probabilities(picture)?;
        let n = INPUT_SIZE as f32;
        let cell =
            |x: usize, y: usize| p[y.min(INPUT_SIZE - 1) * INPUT_SIZE + x.min(INPUT_SIZE - 1)];
        let coord = |i: u32, side: u32| {
            let u = ((i as f32 + 0.5) * n / side as f32 - 0.5).clamp(0.0, n - 1.0);
            (u.floor() as usize, u - u.floor())
        };
        for y in rect.y0..rect.y1.min(h) {
            let (v0, fy) = coord(y, h);
            for x in rect.x0..rect.x1.min(w) {
                let (u0, fx) = coord(x, w);
                let top = cell(u0, v0) * (1.0 - fx) + cell(u0 + 1, v0) * fx;
                let bottom = cell(u0, v0 + 1) * (1.0 - fx) + cell(u0 + 1, v0 + 1) * fx;
                let value = top * (1.0 - fy) + bottom * fy;
                write(x, y, (value.clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
        Ok(())
    }
}

impl crate::avatar::Matting for PersonSegmenter {
    fn matte(&mut self, picture: &RgbImage) -> Result<GrayImage, RuntimeError> {
        PersonSegmenter::matte(self, picture)
    }
}
