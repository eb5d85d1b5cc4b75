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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::Detection;
    use crate::models::{person_segmenter, FaceModels};
    use crate::runtime::ExecutionProvider;
    use std::path::{Path, PathBuf};

    fn models_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    fn segmenter() -> PersonSegmenter {
        person_segmenter(&models_dir(), ExecutionProvider::Cpu, 1).expect("segmentation model")
    }

    /// Real test media in tests/media (or $FACEREENACT_SHARED_MEDIA), as tests/common does.
    fn shared_avatar(name: &str) -> RgbImage {
        let base = std::env::var_os("FACEREENACT_SHARED_MEDIA")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/media"));
        let p = base.join("avatar").join(name);
        image::open(&p)
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e}: the test media are in tests/media (or $FACEREENACT_SHARED_MEDIA)",
                    p.display()
                )
            })
            .to_rgb8()
    }

    fn demo_astronaut() -> RgbImage {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".deps/media/astronaut.png");
        image::open(&p)
            .unwrap_or_else(|e| panic!("{}: {e}: run scripts/setup.sh first", p.display()))
            .to_rgb8()
    }

    /// Mean matte value (0..255) over the rectangle [x0, x1) x [y0, y1), clamped to the matte.
    fn mean(matte: &GrayImage, (x0, y0, x1, y1): (f32, f32, f32, f32)) -> f32 {
        let (w, h) = matte.dimensions();
        let cx = |x: f32| (x.max(0.0) as u32).min(w);
        let cy = |y: f32| (y.max(0.0) as u32).min(h);
        let (mut sum, mut n) = (0u64, 0u64);
        for y in cy(y0)..cy(y1) {
            for x in cx(x0)..cx(x1) {
                sum += matte.get_pixel(x, y)[0] as u64;
                n += 1;
            }
        }
        assert!(n > 0, "empty region");
        sum as f32 / n as f32
    }

    /// The largest face the short-range detector finds in `picture`.
    fn face_box(picture: &RgbImage) -> Detection {
        let models = FaceModels::load(&models_dir(), ExecutionProvider::Cpu, 1).expect("models");
        let mut faces = models.tracker().faces_in_still(picture).expect("detector");
        faces.sort_by(|a, b| (b.w * b.h).total_cmp(&(a.w * a.h)));
        faces.into_iter().next().expect("a face in a portrait")
    }

    /// A real portrait: the matte is person over the face (the inner half of the detector's
    /// box: eyes, nose, mouth) and background in the top corners (an eighth of the picture's
    /// side, above the head in these portraits).
    fn check_portrait(picture: &RgbImage, what: &str) {
        let matte = segmenter().matte(picture).unwrap();
        assert_eq!(matte.dimensions(), picture.dimensions(), "{what}");
        let f = face_box(picture);
        let face = (
            f.cx - f.w / 4.0,
            f.cy - f.h / 4.0,
            f.cx + f.w / 4.0,
            f.cy + f.h / 4.0,
        );
        let face_mean = mean(&matte, face);
        assert!(face_mean > 230.0, "{what}: face {face_mean}");
        let (w, h) = (picture.width() as f32, picture.height() as f32);
        let c = w.min(h) / 8.0;
        for corner in [(0.0, 0.0, c, c), (w - c, 0.0, w, c)] {
            let m = mean(&matte, corner);
            assert!(m < 25.0, "{what}: corner {corner:?} {m}");
        }
    }

    #[test]
    fn the_astronaut_is_a_person_over_her_face_and_not_in_the_corners() {
        check_portrait(&demo_astronaut(), "astronaut");
    }

    #[test]
    fn real_portraits_are_people_over_the_face_and_not_in_the_corners() {
        for name in [
            "glasses_beard_400.jpg",
            "eyes_closed_480.png",
            "bw_photo_2048.jpg",
            "mona_lisa_720x1280.jpg",
        ] {
            check_portrait(&shared_avatar(name), name);
        }
    }

    /// MediaPipe's own TFLite model (selfie_segmentation.tflite of the mediapipe 0.10.14 wheel,
    /// TFLite 2.21 with its XNNPACK delegate) on the demo astronaut stretched to 256x256 by
    /// `tf.image.resize` (bilinear at pixel centres), RGB in 0..1: the mean probability of each
    /// 32x32 block of its 256x256 output, rows top to bottom. Fed -1..1 instead, blocks move by
    /// up to 0.13; fed BGR, by up to 0.95.
    const ASTRONAUT_TFLITE_BLOCKS: [[f32; 8]; 8] = [
        [0.0, 0.0, 0.184, 0.705, 0.304, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.525, 1.0, 0.643, 0.0, 0.0, 0.0],
        [0.0, 0.031, 0.599, 1.0, 0.16, 0.0, 0.0, 0.0],
        [0.007, 0.592, 1.0, 1.0, 0.735, 0.026, 0.0, 0.0],
        [0.419, 1.0, 1.0, 1.0, 1.0, 0.564, 0.0, 0.0],
        [0.629, 1.0, 1.0, 1.0, 0.966, 0.9, 0.59, 0.119],
        [0.849, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.678],
        [0.886, 0.994, 0.989, 0.947, 0.999, 1.0, 1.0, 0.798],
    ];

    #[test]
    fn probabilities_match_mediapipes_tflite_model_on_the_astronaut() {
        let mut s = segmenter();
        let p = s.probabilities(&demo_astronaut()).unwrap();
        let mut worst = 0.0f32;
        for (by, row) in ASTRONAUT_TFLITE_BLOCKS.iter().enumerate() {
            for (bx, &expected) in row.iter().enumerate() {
                let mut sum = 0.0;
                for y in by * 32..(by + 1) * 32 {
                    sum += p[y * INPUT_SIZE + bx * 32..y * INPUT_SIZE + (bx + 1) * 32]
                        .iter()
                        .sum::<f32>();
                }
                worst = worst.max((sum / 1024.0 - expected).abs());
            }
        }
        assert!(worst < 0.01, "max block difference {worst}");
    }

    #[test]
    fn pictures_without_a_person_give_an_almost_empty_matte() {
        let mut s = segmenter();
        let flat = RgbImage::from_pixel(300, 200, image::Rgb([128, 140, 150]));
        let gradient = RgbImage::from_fn(320, 240, |x, y| {
            image::Rgb([(x * 255 / 319) as u8, (y * 255 / 239) as u8, 96])
        });
        for (what, picture) in [("flat", flat), ("gradient", gradient)] {
            let matte = s.matte(&picture).unwrap();
            let person = matte.pixels().filter(|p| p[0] >= 128).count();
            let m = mean(&matte, (0.0, 0.0, 1e9, 1e9));
            assert!(
                person * 100 < matte.len() && m < 10.0,
                "{what}: {person} person pixels, mean {m}"
            );
        }
    }

    #[test]
    fn the_matte_has_the_pictures_size_whatever_its_shape() {
        let mut s = segmenter();
        let astronaut = demo_astronaut();
        for (w, h) in [(257, 131), (99, 401), (1, 1), (512, 255)] {
            let picture = imageops::resize(&astronaut, w, h, FilterType::Triangle);
            assert_eq!(s.matte(&picture).unwrap().dimensions(), (w, h));
        }
        assert_eq!(s.matte(&RgbImage::new(0, 7)).unwrap().dimensions(), (0, 7));
    }

    #[test]
    fn a_stretched_portrait_keeps_its_matte_on_the_person() {
        // Squeezed to half its width the astronaut is still a person over her face, and the
        // matte follows the squeeze: the same matte, squeezed, within a few levels on average.
        let mut s = segmenter();
        let astronaut = demo_astronaut();
        let squeezed = imageops::resize(&astronaut, 256, 512, FilterType::Triangle);
        let matte = s.matte(&squeezed).unwrap();
        let reference = imageops::resize(
            &s.matte(&astronaut).unwrap(),
            256,
            512,
            FilterType::Triangle,
        );
        let diff: u64 = matte
            .pixels()
            .zip(reference.pixels())
            .map(|(a, b)| (a[0] as i32 - b[0] as i32).unsigned_abs() as u64)
            .sum();
        let mean_diff = diff as f32 / matte.len() as f32;
        assert!(mean_diff < 6.0, "mean difference {mean_diff}");
    }

    #[test]
    fn a_rectangle_of_the_matte_is_the_full_mattes_and_the_rest_is_left_alone() {
        let picture = shared_avatar("mona_lisa_720x1280.jpg");
        let mut seg = segmenter();
        let full = seg.matte(&picture).unwrap();
        let mut alpha = RgbImage::from_pixel(picture.width(), picture.height(), image::Rgb([7; 3]));
        let rect = crate::video::Rect {
            x0: 100,
            y0: 50,
            x1: 400,
            y1: 300,
        };
        seg.matte_rect_with(&picture, rect, |x, y, level| {
            alpha.put_pixel(x, y, image::Rgb([level; 3]))
        })
        .unwrap();
        let mut worst = 0u8;
        for (x, y, a) in alpha.enumerate_pixels() {
            let inside = (100..400).contains(&x) && (50..300).contains(&y);
            if inside {
                assert!(a.0[0] == a.0[1] && a.0[1] == a.0[2]);
                worst = worst.max(a.0[0].abs_diff(full.get_pixel(x, y).0[0]));
            } else {
                assert_eq!(a.0, [7; 3], "({x}, {y}) outside the rectangle was written");
            }
        }
        assert!(worst <= 1, "differs from the full matte by {worst} levels");
    }
}
