//! Eyelid (and iris) refinement with MediaPipe's `iris_landmark.onnx`.
//!
//! The plain face-mesh model follows eyelids poorly: its eyes barely close on a blink. MediaPipe's
//! iris model, run on a 64x64 crop around each eye, returns 71 eye-region points (eyelids, two
//! halos, brow) and 5 iris points, and MediaPipe writes the 71 back into the mesh
//! (`update_face_landmarks_calculator.cc`, `kEyeLandmarkIndicesInFaceMesh`). We do the same.
//!
//! Model: input `1x64x64x3` float RGB in 0..1 (NHWC), a crop of 2.3x the eye-corner distance,
//! rotated so the corners are level, mirrored horizontally for the subject's left eye (the model
//! is trained on the eye on the image's left); outputs `1x213` (71 points x, y, z in input pixels) and `1x15`
//! (iris centre and 4 iris edge points). Source: Ablavatski et al., "Real-time Pupil Tracking from
//! Monocular Video for Digital Puppetry", 2020; github.com/google/mediapipe (Apache-2.0).

use crate::video::RgbSource;

use super::landmarker::FaceLandmarks;
use super::roi::Roi;
use crate::parallel::join_here;
use crate::runtime::{run_rgb_square, RuntimeError, SharedSession};

/// Model input side, pixels.
pub const INPUT_SIZE: usize = 64;
/// Number of eye-region points the model returns per eye.
pub const EYE_POINTS: usize = 71;

/// Face-mesh indices of the 71 eye-region points, subject's left eye (image right).
pub const LEFT_EYE_MESH_INDICES: [usize; EYE_POINTS] = [
    263, 249, 390, 373, 374, 380, 381, 382, 362, // eye lower contour
    466, 388, 387, 386, 385, 384, 398, // eye upper contour (excluding corners)
    359, 255, 339, 254, 253, 252, 256, 341, 463, // halo x2 lower contour
    467, 260, 259, 257, 258, 286, 414, // halo x2 upper contour
    446, 261, 448, 449, 450, 451, 452, 453, 464, // halo x3 lower contour
    342, 445, 444, 443, 442, 441, 413, // halo x3 upper contour
    265, 353, 276, 283, 282, 295, // halo x4 upper contour / eyebrow inner contour
    372, 340, 346, 347, 348, 349, 350, 357, 465, // halo x5 lower contour
    383, 300, 293, 334, 296, 336, 285, 417, // halo x5 upper contour / eyebrow outer contour
];

/// Face-mesh indices of the 71 eye-region points, subject's right eye (image left).
pub const RIGHT_EYE_MESH_INDICES: [usize; EYE_POINTS] = [
    33, 7, 163, 144, 145, 153, 154, 155, 133, // eye lower contour
    246, 161, 160, 159, 158, 157, 173, // eye upper contour (excluding corners)
    130, 25, 110, 24, 23, 22, 26, 112, 243, // halo x2 lower contour
    247, 30, 29, 27, 28, 56, 190, // halo x2 upper contour
    226, 31, 228, 229, 230, 231, 232, 233, 244, // halo x3 lower contour
    113, 225, 224, 223, 222, 221, 189, // halo x3 upper contour
    35, 124, 46, 53, 52, 65, // halo x4 upper contour / eyebrow inner contour
    143, 111, 117, 118, 119, 120, 121, 128, 245, // halo x5 lower contour
    156, 70, 63, 105, 66, 107, 55, 193, // halo x5 upper contour / eyebrow outer contour
];

/// Indices at which [`EyeRefiner::refine`] appends the iris centres to the 468 face-mesh points
/// (subject's right eye, left eye), as MediaPipe's refined 478-point mesh does with its 10 iris
/// points.
pub const IRIS_CENTRES: (usize, usize) = (468, 469);

/// How many of the 71 points are written back into the mesh: the eyelids and the first halo
/// (the outer halos and brows of the plain mesh are already good and move with expression).
const REFINED_POINTS: usize = 32;

/// Iris of one eye: centre and radius in square-pixel picture coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Iris {
    /// Centre x, y.
    pub centre: [f32; 2],
    /// Mean distance of the 4 edge points from the centre, pixels.
    pub radius: f32,
}

/// An eye crop is "unchanged" when its [`block_change`] from the crop the iris model last ran on is
/// below this (input units 0..1): the model's previous output is then reused, mapped through the
/// current crop. The crop is aligned to the eye corners, so a head that moves with still eyes
/// changes it little; a blink (the lid covering the iris) changes it far more.
///
/// Measured by tracking tests/media/driving and counting session runs: the model ran on 76 %
/// of the eye crops of talk_wink_480 (talking, blinking, winking), 51 % of glasses_512x480's and
/// 33 % of grin_512's. With 0.01 and 6 frames it ran less, but the report's eye correlation on
/// grin_512 + bw_photo_2048 fell from 0.926 (every frame) to 0.822; with these values it is 0.938
/// (0.947 against 0.960 on grin_512 + astronaut_512).
///
/// `cargo run --release --example iris_reuse` (2026-12-07) compares the eye openings this rule
/// gives with the model's on every frame: 99th-percentile errors of 0.006-0.015 eye-corner
/// distances per clip (a blink spans about 0.13), the model on 62 % of the five clips' eye crops.
/// A rule that looks only at the crop's centre (the lids and iris; 0.008) ran it on 56 % and was
/// as close or closer on four clips, but on turns_laugh_512 (laughing: the cheeks push the lower
/// lids up from the crop's edge) its 99th-percentile error doubled (0.006 to 0.013) and the
/// quality report's drawn-eye correlation fell by 0.005-0.011 with the four avatars: not taken.
pub const REUSE_MAX_CHANGE: f32 = 0.006;
/// Frames an eye's model output is reused at most before the model runs again anyway.
pub const REUSE_MAX_FRAMES: u32 = 3;

/// The iris model's last output for one eye and the crop it ran on.
#[derive(Default)]
struct EyeCache {
    crop: Vec<f32>,
    contour: Vec<f32>,
    iris: Vec<f32>,
    /// Frames since the model last ran on this eye.
    age: u32,
}

/// Refines eyelids with the iris model.
///
/// Skips the model for an eye whose crop has not changed since the model last ran on it (see
/// [`REUSE_MAX_CHANGE`]): the iris model costs more than the face landmarker, and a still eye
/// gives it the same input again. When both eyes need the model and the refiner has a session
/// per eye ([`EyeRefiner::with_session_per_eye`]), the first eye runs on the calling thread and
/// the second on rayon's pool at the same time ([`crate::parallel::join_here`]), so that they
/// overlap when a second core is free.
pub struct EyeRefiner {
    /// Sessions for the subject's right and left eye (the same session twice, or two sessions
    /// of the same model that can run at the same time).
    sessions: [SharedSession; 2],
    /// Each eye's crop, `INPUT_SIZE`x`INPUT_SIZE`x3, this frame.
    inputs: [Vec<f32>; 2],
    /// Subject's right eye, left eye.
    cache: [EyeCache; 2],
    /// How many times the iris model ran (one eye each).
    pub runs: u64,
    /// How many times an eye's previous model output was reused.
    pub reuses: u64,
    /// [`REUSE_MAX_CHANGE`], or 0 when the model runs on every frame.
    max_change: f32,
    /// [`REUSE_MAX_FRAMES`].
    max_frames: u32,
}

impl EyeRefiner {
    /// Wraps a session made from `iris_landmark.onnx`; the eyes run one after the other.
    pub fn new(session: SharedSession) -> Self {
        Self::with_session_per_eye([session.clone(), session])
    }

    /// Wraps two sessions of `iris_landmark.onnx` (subject's right eye, left eye): when both
    /// eyes need the model in a frame, they run at the same time on two threads. Two distinct
    /// sessions are needed for that (a session runs one inference at a time); see
    /// [`crate::runtime::session_copy`]. The results are the same as with one session.
    pub fn with_session_per_eye(sessions: [SharedSession; 2]) -> Self {
        EyeRefiner {
            sessions,
            inputs: std::array::from_fn(|_| vec![0.0; INPUT_SIZE * INPUT_SIZE * 3]),
            cache: Default::default(),
            runs: 0,
            reuses: 0,
            max_change: REUSE_MAX_CHANGE,
            max_frames: REUSE_MAX_FRAMES,
        }
    }

    /// The same refiner, running the model on every frame (no reuse): for measuring output
    /// frames, where each frame must be judged on its own.
    pub fn every_frame(self) -> Self {
        let max_frames = self.max_frames;
        self.with_reuse(0.0, max_frames)
    }

    /// The same refiner with another reuse rule: an eye's output is reused while its
    /// [`block_change`] stays below `max_change` (input units 0..1), for `max_frames` frames at
    /// most (for measuring rules against [`REUSE_MAX_CHANGE`] and [`REUSE_MAX_FRAMES`]).
    pub fn with_reuse(mut self, max_change: f32, max_frames: u32) -> Self {
        self.max_change = max_change;
        self.max_frames = max_frames;
        self
    }

    /// Forgets the previous model outputs: the next frame runs the model on both eyes. Call it
    /// when the tracked face changes (lost, another shot, a seek).
    pub fn reset(&mut self) {
        for c in &mut self.cache {
            c.crop.clear();
        }
    }

    /// The eye crop for the eye with outer/inner corners `a` and `b` (MediaPipe's
    /// `iris_landmark_landmarks_to_roi`: centred between the corners, 2.3x their distance).
    pub fn eye_roi(a: [f32; 3], b: [f32; 3]) -> Roi {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        Roi {
            cx: (a[0] + b[0]) / 2.0,
            cy: (a[1] + b[1]) / 2.0,
            size: (dx * dx + dy * dy).sqrt() * 2.3,
            angle: dy.atan2(dx),
        }
    }

    /// Replaces the eyelid points of `face` with the iris model's, for both eyes, appends the two
    /// iris centres as points [`IRIS_CENTRES`] (z: the mean depth of the eye's corners), and
    /// returns the two irises (subject's right, then left). `img`/`par` as for the landmarker.
    pub fn refine(
        &mut self,
        img: &(impl RgbSource + ?Sized),
        par: f32,
        face: &mut FaceLandmarks,
    ) -> Result<[Iris; 2], RuntimeError> {
        let indices = [&RIGHT_EYE_MESH_INDICES, &LEFT_EYE_MESH_INDICES];
        // Crops (from the landmarker's eye corners) and which eyes need the model.
        let rois: [Roi; 2] =
            std::array::from_fn(|eye| self.crop_eye(img, par, face, indices[eye], eye));
        let run: [bool; 2] = std::array::from_fn(|eye| !self.reusable(eye));
        let [s0, s1] = &self.sessions;
        let [i0, i1] = &self.inputs;
        let [c0, c1] = &mut self.cache;
        match run {
            [true, true] => {
                // The first eye here, at once (this thread just wrote its crop), the second on
                // the pool (see crate::parallel).
                let (a, b) = join_here(|| run_eye(s0, i0, c0), || run_eye(s1, i1, c1));
                a?;
                b?;
            }
            [true, false] => run_eye(s0, i0, c0)?,
            [false, true] => run_eye(s1, i1, c1)?,
            [false, false] => {}
        }
        for (eye, &ran) in run.iter().enumerate() {
            if ran {
                self.runs += 1;
            } else {
                self.cache[eye].age += 1;
                self.reuses += 1;
            }
        }
        let right = self.write_back(face, indices[0], 0, &rois[0])?;
        let left = self.write_back(face, indices[1], 1, &rois[1])?;
        face.points.truncate(IRIS_CENTRES.0);
        for (iris, idx) in [(right, indices[0]), (left, indices[1])] {
            let z = (face.points[idx[0]][2] + face.points[idx[8]][2]) / 2.0;
            face.points.push([iris.centre[0], iris.centre[1], z]);
        }
        Ok([right, left])
    }

    /// Fills `inputs[eye]` with the eye's crop and returns the crop.
    fn crop_eye(
        &mut self,
        img: &(impl RgbSource + ?Sized),
        par: f32,
        face: &FaceLandmarks,
        indices: &[usize; EYE_POINTS],
        eye: usize,
    ) -> Roi {
        let mirror = eye == 1;
        // The model is trained on the eye on the image's left (corners 33 -> 133, outer corner on
        // the crop's left); the other eye (362 -> 263) is cropped the same way and mirrored.
        let (outer, inner) = (face.points[indices[0]], face.points[indices[8]]);
        let roi = if mirror {
            Self::eye_roi(inner, outer)
        } else {
            Self::eye_roi(outer, inner)
        };
        let input = &mut self.inputs[eye];
        roi.crop_into(img, par, INPUT_SIZE, 0.0, 1.0, input);
        if mirror {
            mirror_rows(input, INPUT_SIZE);
        }
        roi
    }

    /// Whether the model's last output for `eye` can stand for this frame's crop.
    fn reusable(&self, eye: usize) -> bool {
        let cache = &self.cache[eye];
        let input = &self.inputs[eye];
        cache.crop.len() == input.len()
            && cache.age < self.max_frames
            && block_change(&cache.crop, input, INPUT_SIZE) < self.max_change
    }

    /// Writes the model's output for `eye` (cropped at `roi`) back into `face`.
    fn write_back(
        &self,
        face: &mut FaceLandmarks,
        indices: &[usize; EYE_POINTS],
        eye: usize,
        roi: &Roi,
    ) -> Result<Iris, RuntimeError> {
        let mirror = eye == 1;
        let n = INPUT_SIZE as f32;
        let (contour, iris) = (&self.cache[eye].contour, &self.cache[eye].iris);
        if contour.len() < EYE_POINTS * 3 || iris.len() < 15 {
            return Err(RuntimeError::Inference(
                "iris model returned too few values".into(),
            ));
        }
        let to_picture = |x: f32, y: f32| {
            let u = if mirror { n - x } else { x };
            roi.to_picture(u, y, n)
        };
        for k in 0..REFINED_POINTS {
            let (x, y) = to_picture(contour[3 * k], contour[3 * k + 1]);
            let p = &mut face.points[indices[k]];
            p[0] = x;
            p[1] = y;
        }
        let (cx, cy) = to_picture(iris[0], iris[1]);
        let radius = (1..5)
            .map(|k| {
                let (x, y) = to_picture(iris[3 * k], iris[3 * k + 1]);
                ((x - cx).powi(2) + (y - cy).powi(2)).sqrt()
            })
            .sum::<f32>()
            / 4.0;
        Ok(Iris {
            centre: [cx, cy],
            radius,
        })
    }
}

/// Runs the iris model on `input` and keeps its output and input in `cache`.
fn run_eye(
    session: &SharedSession,
    input: &[f32],
    cache: &mut EyeCache,
) -> Result<(), RuntimeError> {
    run_rgb_square(
        session,
        input,
        INPUT_SIZE,
        &mut cache.contour,
        &mut cache.iris,
    )?;
    cache.crop.clear();
    cache.crop.extend_from_slice(input);
    cache.age = 0;
    Ok(())
}

/// Side of the blocks [`block_change`] averages over, input pixels.
const BLOCK: usize = 8;

/// How much the picture changed between two `n`x`n`x3 crops, robust to noise and sub-pixel shifts:
/// the mean absolute difference of their 8x8-pixel block means (per channel, input units).
pub fn block_change(a: &[f32], b: &[f32], n: usize) -> f32 {
    let blocks = n / BLOCK;
    let mut total = 0.0f32;
    for by in 0..blocks {
        for bx in 0..blocks {
            let mut d = [0.0f32; 3];
            for y in by * BLOCK..(by + 1) * BLOCK {
                let row = (y * n + bx * BLOCK) * 3;
                for (k, (p, q)) in a[row..row + BLOCK * 3]
                    .iter()
                    .zip(&b[row..row + BLOCK * 3])
                    .enumerate()
                {
                    d[k % 3] += p - q;
                }
            }
            total += d.iter().map(|v| v.abs()).sum::<f32>();
        }
    }
    total / (blocks * blocks * BLOCK * BLOCK * 3) as f32
}

/// Mirrors an `n`x`n`x3 NHWC buffer left-right in place.
fn mirror_rows(buf: &mut [f32], n: usize) {
    for row in buf.chunks_exact_mut(n * 3) {
        for u in 0..n / 2 {
            for c in 0..3 {
                row.swap(u * 3 + c, (n - 1 - u) * 3 + c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_tables_are_mirror_images_and_start_with_the_eye_contours() {
        use crate::face::mesh_topology::{LEFT_EYE, RIGHT_EYE};
        let mut r: Vec<usize> = RIGHT_EYE_MESH_INDICES[..16].to_vec();
        let mut l: Vec<usize> = LEFT_EYE_MESH_INDICES[..16].to_vec();
        r.sort_unstable();
        l.sort_unstable();
        let mut re = RIGHT_EYE.to_vec();
        let mut le = LEFT_EYE.to_vec();
        re.sort_unstable();
        le.sort_unstable();
        assert_eq!(r, re, "first 16 points are the right eye opening");
        assert_eq!(l, le, "first 16 points are the left eye opening");
    }

    /// A 64x64 eye-like crop: grey skin, a dark iris disc at (`cx`, 32), and, with `lid`, the top
    /// `lid` rows covered by skin-coloured eyelid.
    fn eye_crop(cx: f32, lid: usize) -> Vec<f32> {
        let n = INPUT_SIZE;
        let mut c = vec![0.0f32; n * n * 3];
        for y in 0..n {
            for x in 0..n {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - 32.0).powi(2)).sqrt();
                let v = if y < lid {
                    0.75
                } else if d < 10.0 {
                    0.15
                } else {
                    0.7
                };
                c[(y * n + x) * 3..(y * n + x) * 3 + 3].copy_from_slice(&[v, v * 0.9, v * 0.8]);
            }
        }
        c
    }

    #[test]
    fn block_change_ignores_a_subpixel_shift_but_not_a_blink() {
        let open = eye_crop(32.0, 0);
        assert_eq!(block_change(&open, &open, INPUT_SIZE), 0.0);
        let shifted = block_change(&open, &eye_crop(32.6, 0), INPUT_SIZE);
        let closing = block_change(&open, &eye_crop(32.0, 30), INPUT_SIZE);
        assert!(
            shifted < REUSE_MAX_CHANGE,
            "a 0.6 px shift must reuse: {shifted}"
        );
        assert!(
            closing > 2.0 * REUSE_MAX_CHANGE,
            "a lid over the iris must rerun: {closing}"
        );
    }

    #[test]
    fn mirror_swaps_columns() {
        let mut b: Vec<f32> = (0..2 * 2 * 3).map(|i| i as f32).collect();
        mirror_rows(&mut b, 2);
        assert_eq!(&b[..6], &[3.0, 4.0, 5.0, 0.0, 1.0, 2.0]);
    }
}
