//! The LivePortrait stages in order, on RGB8 crops: source once, then each driving frame.
//!
//! Source: LivePortrait `src/live_portrait_wrapper.py` (`prepare_source`, `extract_feature_3d`,
//! `get_kp_info`, `transform_keypoint`, `stitching`, `warp_decode`, `parse_output`) and the
//! pipeline loop reproduced in `tools/liveportrait/make_tiny_set.py` (image source, driving video,
//! `flag_relative_motion=True`, `flag_stitching=True`, `driving_multiplier=1.0`, no eye/lip
//! retargeting, closed-mouth branch of `flag_normalize_lip`). Face crop and paste-back are not
//! part of it: the crops are given.

use ort::value::DynTensor;

use super::bound_model::{run_to_device, BoundModel};
use super::camera_reference::CameraDrivingReference;
use super::keypoints::{flatten, relative_motion_in, Keypoints, Motion, RawMotion, RelativeMotion};
use super::lip_normalization::{apply_lip_delta, normalization_input};
use super::model_set::{
    LivePortraitModels, APPEARANCE, INPUT_SIZE, MOTION, OUTPUT_SIZE, STITCHING, WARPING,
};
use super::stitching::{
    apply_driving_multiplier, apply_stitching, stitching_input, STITCHING_OUTPUT_LEN,
};
use crate::motion::MotionRegion;
use crate::runtime::RuntimeError;

/// Writes an RGB8 crop (`width x height x 3`, row-major, must be 256x256) into `out`, the input
/// tensor of the extractors: 1x3x256x256 f32 NCHW, `value / 255` in f32 (0..1, no mean/std
/// normalisation), as `prepare_source` does. Errors: [`RuntimeError::Inference`] for another
/// size. Panics when `out` does not hold 3x256x256 values.
pub fn write_input(
    rgb: &[u8],
    width: usize,
    height: usize,
    out: &mut [f32],
) -> Result<(), RuntimeError> {
    if width != INPUT_SIZE || height != INPUT_SIZE || rgb.len() != width * height * 3 {
        return Err(RuntimeError::Inference(format!(
            "LivePortrait crops must be {INPUT_SIZE}x{INPUT_SIZE} RGB8, got {width}x{height} \
             with {} bytes",
            rgb.len()
        )));
    }
    let plane = width * height;
    assert_eq!(out.len(), 3 * plane, "the input tensor must be 1x3x256x256");
    for (i, px) in rgb.chunks_exact(3).enumerate() {
        for c in 0..3 {
            out[c * plane + i] = px[c] as f32 / 255.0;
        }
    }
    Ok(())
}

/// [`write_input`] into a new vector.
pub fn rgb8_to_input(rgb: &[u8], width: usize, height: usize) -> Result<Vec<f32>, RuntimeError> {
    let mut out = vec![0f32; 3 * INPUT_SIZE * INPUT_SIZE];
    write_input(rgb, width, height, &mut out)?;
    Ok(out)
}

/// Writes the animated picture as RGB8 into `rgb` (512x512x3, row-major HWC) from
/// `warping_spade`'s `out` (1x3x512x512 NCHW): `uint8(clip(out, 0, 1) * 255)` with truncation, as
/// `parse_output` does.
///
/// Panics when `out` does not hold 3x512x512 values or `rgb` 512x512x3.
pub fn write_output_rgb8(out: &[f32], rgb: &mut [u8]) {
    let plane = OUTPUT_SIZE * OUTPUT_SIZE;
    assert_eq!(
        out.len(),
        3 * plane,
        "warping_spade output must be 1x3x512x512"
    );
    assert_eq!(rgb.len(), 3 * plane, "the RGB8 output must be 512x512x3");
    for (i, px) in rgb.chunks_exact_mut(3).enumerate() {
        for c in 0..3 {
            px[c] = (out[c * plane + i].clamp(0.0, 1.0) * 255.0) as u8;
        }
    }
}

/// [`write_output_rgb8`] into a new vector.
pub fn output_to_rgb8(out: &[f32]) -> Vec<u8> {
    let mut rgb = vec![0u8; 3 * OUTPUT_SIZE * OUTPUT_SIZE];
    write_output_rgb8(out, &mut rgb);
    rgb
}

/// What is computed once for the source crop.
#[derive(Debug)]
pub struct SourceState {
    /// Appearance features `f_s`, 1x32x16x64x64, in the execution provider's memory (device
    /// memory on a GPU; see [`super::bound_model::to_host`] to read it).
    pub feature_3d: DynTensor,
    /// The source's motion (pose in degrees, rotation, t, exp, scale, kp).
    pub motion: Motion,
    /// Transformed source keypoints `x_s`, 21x3.
    pub x_s: Keypoints,
}

/// The keypoints of one driving frame, stage by stage.
#[derive(Debug, Clone)]
pub struct DrivenKeypoints {
    /// The driving frame's own motion.
    pub motion: Motion,
    /// Relative motion against the reference (first) driving frame.
    pub relative: RelativeMotion,
    /// `x_d_new`, before stitching, 21x3.
    pub x_d_new: Keypoints,
    /// `stitching.onnx` output, 1x65.
    pub stitching_output: [f32; STITCHING_OUTPUT_LEN],
    /// Keypoints after stitching, lip normalisation when it applies, and the driving multiplier
    /// 1.0: `kp_driving` of `warping_spade`.
    pub x_d: Keypoints,
}

/// Animates one source crop with a sequence of driving crops; the first driving frame given to
/// [`Animator::drive`] is the reference of relative motion.
///
/// The per-frame models run through [`BoundModel`]s: after [`Animator::new`], a frame allocates
/// no tensor on the host or the device; the feature volume stays in the provider's memory.
pub struct Animator {
    motion: BoundModel,
    stitching: BoundModel,
    warping: BoundModel,
    source: SourceState,
    reference: Option<Motion>,
    /// Lip normalisation's delta, added to every frame's stitched keypoints
    /// ([`Animator::normalize_lips`]).
    lip_delta: Option<Keypoints>,
}

impl Animator {
    /// Extracts the source's features and motion from its RGB8 256x256 crop, and binds the
    /// per-frame models (see [`super::bound_model`]).
    pub fn new(models: LivePortraitModels, source_rgb: &[u8]) -> Result<Animator, RuntimeError> {
        let mut motion = BoundModel::new(models.session(&MOTION), &MOTION)?;
        write_input(source_rgb, INPUT_SIZE, INPUT_SIZE, motion.input_mut("img"))?;
        let feature_3d = run_to_device(
            models.session(&APPEARANCE),
            &APPEARANCE,
            motion.input_mut("img"),
        )?;
        motion.run()?;
        let source_motion = Motion::from_raw(&RawMotion::from_outputs(|n| motion.output(n)));
        let x_s = source_motion.transformed();
        let mut warping = BoundModel::new(models.session(&WARPING), &WARPING)?;
        warping.bind_resident("feature_3d", &feature_3d)?;
        warping
            .input_mut("kp_source")
            .copy_from_slice(&flatten(&x_s));
        Ok(Animator {
            motion,
            stitching: BoundModel::new(models.session(&STITCHING), &STITCHING)?,
            warping,
            source: SourceState {
                feature_3d,
                motion: source_motion,
                x_s,
            },
            reference: None,
            lip_delta: None,
        })
    }

    /// Lip normalisation ([`super::lip_normalization`]): when the source's lip-open ratio
    /// `source_lip_ratio` is at least the threshold and the set has `stitching_lip.onnx`, every
    /// later frame is animated from closed lips. Returns whether it applies. Errors: the lip
    /// model's run.
    pub fn normalize_lips(
        &mut self,
        models: &LivePortraitModels,
        source_lip_ratio: f32,
    ) -> Result<bool, RuntimeError> {
        self.lip_delta = None;
        let Some(input) = normalization_input(&self.source.x_s, source_lip_ratio) else {
            return Ok(false);
        };
        if !models.has_retargeting().1 {
            return Ok(false);
        }
        self.lip_delta = Some(models.retarget_lip(&input)?);
        Ok(true)
    }

    /// The source's features and keypoints.
    pub fn source(&self) -> &SourceState {
        &self.source
    }

    /// The reference driving frame's motion, once a frame was driven.
    pub fn reference(&self) -> Option<&Motion> {
        self.reference.as_ref()
    }

    /// Forgets the reference driving frame: the next [`Animator::drive`] sets it again.
    pub fn reset_reference(&mut self) {
        self.reference = None;
    }

    /// Keypoints for a driving RGB8 256x256 crop: motion, relative motion (the first call sets the
    /// reference), `x_d_new`, stitching; LivePortrait's defaults (the whole face, expression
    /// multiplier 1).
    pub fn drive(&mut self, driving_rgb: &[u8]) -> Result<DrivenKeypoints, RuntimeError> {
        self.drive_with(driving_rgb, MotionRegion::All, 1.0, None)
    }

    /// [`Animator::drive`] with the motion limited to `region` and the expression change scaled
    /// by `expression_multiplier` ([`relative_motion_in`]), and, with `camera` (the reference,
    /// the actor's 468 landmarks in pixels, the stream time in seconds), measured against the
    /// camera-relative reference ([`CameraDrivingReference`]) instead of the first driving frame.
    pub fn drive_with(
        &mut self,
        driving_rgb: &[u8],
        region: MotionRegion,
        expression_multiplier: f32,
        camera: Option<(&mut CameraDrivingReference, &[[f32; 3]], f64)>,
    ) -> Result<DrivenKeypoints, RuntimeError> {
        write_input(
            driving_rgb,
            INPUT_SIZE,
            INPUT_SIZE,
            self.motion.input_mut("img"),
        )?;
        self.motion.run()?;
        let motion = Motion::from_raw(&RawMotion::from_outputs(|n| self.motion.output(n)));
        let virtual_reference;
        let reference = match camera {
            Some((camera, actor, t)) => {
                virtual_reference = camera.reference(&motion, actor, t);
                &virtual_reference
            }
            None => self.reference.get_or_insert_with(|| motion.clone()),
        };
        let relative = relative_motion_in(
            &self.source.motion,
            reference,
            &motion,
            region,
            expression_multiplier,
        );
        let x_d_new = relative.keypoints(&self.source.motion.kp);
        self.stitching
            .input_mut("input")
            .copy_from_slice(&stitching_input(&self.source.x_s, &x_d_new));
        self.stitching.run()?;
        let stitching_output: [f32; STITCHING_OUTPUT_LEN] = self
            .stitching
            .output("output")
            .try_into()
            .map_err(|_| RuntimeError::Inference("stitching output is not 1x65".into()))?;
        let mut stitched = apply_stitching(&x_d_new, &stitching_output);
        if let Some(delta) = &self.lip_delta {
            stitched = apply_lip_delta(&stitched, delta);
        }
        let x_d = apply_driving_multiplier(&self.source.x_s, &stitched, 1.0);
        Ok(DrivenKeypoints {
            motion,
            relative,
            x_d_new,
            stitching_output,
            x_d,
        })
    }

    /// `warping_spade`'s raw output (1x3x512x512 RGB 0..1 NCHW, flat) for driven keypoints
    /// `kp_driving`; valid until the next call.
    pub fn render(&mut self, kp_driving: &Keypoints) -> Result<&[f32], RuntimeError> {
        self.warping
            .input_mut("kp_driving")
            .copy_from_slice(&flatten(kp_driving));
        self.warping.run()?;
        Ok(self.warping.output("out"))
    }

    /// The last [`Animator::render`]'s output (1x3x512x512 RGB 0..1 NCHW, flat).
    pub fn render_output(&self) -> &[f32] {
        self.warping.output("out")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_planar_0_to_1_and_output_truncates() {
        let mut rgb = vec![0u8; INPUT_SIZE * INPUT_SIZE * 3];
        rgb[0..3].copy_from_slice(&[255, 51, 0]);
        let x = rgb8_to_input(&rgb, INPUT_SIZE, INPUT_SIZE).unwrap();
        let plane = INPUT_SIZE * INPUT_SIZE;
        assert_eq!((x[0], x[plane], x[2 * plane]), (1.0, 0.2, 0.0));
        assert!(rgb8_to_input(&rgb, 128, 512).is_err());
        let mut out = vec![0.5f32; 3 * OUTPUT_SIZE * OUTPUT_SIZE];
        out[0] = 1.5;
        out[1] = -0.2;
        out[2] = 0.999;
        let q = output_to_rgb8(&out);
        // 0.5 * 255 = 127.5 -> 127 (truncation, not rounding); 0.999 * 255 = 254.7 -> 254.
        assert_eq!(&q[0..9], &[255, 127, 127, 0, 127, 127, 254, 127, 127]);
    }
}
