//! LivePortrait's ONNX model set: loading, interface check, and one run per model with every
//! tensor bound by name.
//!
//! The expected interface is the one of FasterLivePortrait's ONNX release, which the tiny set in
//! `tests/data/liveportrait/tiny/` reproduces (see its README.md and
//! `tools/liveportrait/make_tiny_set.py`). All inputs and outputs are f32, batch 1, NCHW; inside, a
//! set may compute in f16 (`tools/liveportrait/convert_set.sh --half`, for GPUs).
//!
//! Dynamic dimensions: ONNX Runtime reports a dynamic (symbolic) dimension as -1. It is accepted
//! only as the **batch** dimension (the first) where 1 is expected: this engine always feeds
//! batch 1, which such a model takes, and exporters commonly leave the batch dynamic. Any other
//! dynamic dimension is refused: the maths around the models fix them (21 keypoints, 66 pose
//! bins, a 32x16x64x64 feature volume, a 512x512 output) and a dynamic one would hide a model of
//! another shape until the first run.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use ort::session::SessionInputValue;
use ort::value::{TensorElementType, TensorRef, ValueType};

use super::declared_opset;
use super::keypoints::{keypoints_from_flat, Keypoints, RawMotion, NUM_KP};
use super::stitching::{STITCHING_INPUT_LEN, STITCHING_OUTPUT_LEN};
use crate::runtime::{self, ExecutionProvider, LoadedSession, RuntimeError, SharedSession};

/// Side of the square RGB input crop of the appearance and motion extractors, pixels.
pub const INPUT_SIZE: usize = 256;
/// Side of the square RGB output of `warping_spade.onnx`, pixels.
pub const OUTPUT_SIZE: usize = 512;
/// Shape of the appearance feature volume `f_s` (`appearance_feature_extractor.onnx` `output`).
pub const FEATURE_SHAPE: [usize; 5] = [1, 32, 16, 64, 64];

/// One tensor of a model's interface: name and shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorSpec {
    /// Tensor name in the ONNX file.
    pub name: &'static str,
    /// Shape, batch first.
    pub shape: &'static [i64],
}

/// A model file of the set and its expected interface (all tensors f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// File name inside the set's folder.
    pub file: &'static str,
    /// Inputs, in the order LivePortrait's export gives them (bound by name, not by position).
    pub inputs: &'static [TensorSpec],
    /// Outputs (read by name).
    pub outputs: &'static [TensorSpec],
    /// `false` for the files the default pipeline needs; `true` for eye/lip retargeting.
    pub optional: bool,
}

const fn t(name: &'static str, shape: &'static [i64]) -> TensorSpec {
    TensorSpec { name, shape }
}

/// `appearance_feature_extractor.onnx`: `img` 1x3x256x256 RGB 0..1 -> `output` f_s 1x32x16x64x64.
pub const APPEARANCE: ModelSpec = ModelSpec {
    file: "appearance_feature_extractor.onnx",
    inputs: &[t("img", &[1, 3, 256, 256])],
    outputs: &[t("output", &[1, 32, 16, 64, 64])],
    optional: false,
};
/// `motion_extractor.onnx`: `img` 1x3x256x256 -> `pitch`, `yaw`, `roll` 1x66 bin logits, `t` 1x3,
/// `exp` 1x63, `scale` 1x1, `kp` 1x63.
pub const MOTION: ModelSpec = ModelSpec {
    file: "motion_extractor.onnx",
    inputs: &[t("img", &[1, 3, 256, 256])],
    outputs: &[
        t("pitch", &[1, 66]),
        t("yaw", &[1, 66]),
        t("roll", &[1, 66]),
        t("t", &[1, 3]),
        t("exp", &[1, 63]),
        t("scale", &[1, 1]),
        t("kp", &[1, 63]),
    ],
    optional: false,
};
/// `warping_spade.onnx`: `feature_3d` 1x32x16x64x64, `kp_driving` 1x21x3, `kp_source` 1x21x3 ->
/// `out` 1x3x512x512 RGB (sigmoid, 0..1).
pub const WARPING: ModelSpec = ModelSpec {
    file: "warping_spade.onnx",
    inputs: &[
        t("feature_3d", &[1, 32, 16, 64, 64]),
        t("kp_driving", &[1, 21, 3]),
        t("kp_source", &[1, 21, 3]),
    ],
    outputs: &[t("out", &[1, 3, 512, 512])],
    optional: false,
};
/// `stitching.onnx`: `input` 1x126 `[x_s, x_d]` -> `output` 1x65 (63 deltas, dtx, dty).
pub const STITCHING: ModelSpec = ModelSpec {
    file: "stitching.onnx",
    inputs: &[t("input", &[1, 126])],
    outputs: &[t("output", &[1, 65])],
    optional: false,
};
/// `stitching_eye.onnx` (optional): `input` 1x66 `[x_s (63), eye ratios (3)]` -> `output` 1x63.
pub const STITCHING_EYE: ModelSpec = ModelSpec {
    file: "stitching_eye.onnx",
    inputs: &[t("input", &[1, 66])],
    outputs: &[t("output", &[1, 63])],
    optional: true,
};
/// `stitching_lip.onnx` (optional): `input` 1x65 `[x_s (63), lip ratios (2)]` -> `output` 1x63.
pub const STITCHING_LIP: ModelSpec = ModelSpec {
    file: "stitching_lip.onnx",
    inputs: &[t("input", &[1, 65])],
    outputs: &[t("output", &[1, 63])],
    optional: true,
};

/// FasterLivePortrait's TensorRT variant of `warping_spade.onnx` (GridSample3D plugin op), which
/// `tools/liveportrait/convert_set.sh` turns into `warping_spade.onnx`.
pub const TENSORRT_WARPING_FILE: &str = "warping_spade-fix.onnx";

/// Every file of the set, required ones first.
pub const MODEL_SPECS: [ModelSpec; 6] = [
    APPEARANCE,
    MOTION,
    WARPING,
    STITCHING,
    STITCHING_EYE,
    STITCHING_LIP,
];

/// A tensor as found in a model file: name, element type, shape (-1 = dynamic).
#[derive(Debug, Clone, PartialEq)]
pub struct FoundTensor {
    /// Tensor name.
    pub name: String,
    /// Element type, `None` when not a tensor.
    pub ty: Option<TensorElementType>,
    /// Shape as ONNX Runtime reports it (-1 for a dynamic dimension).
    pub shape: Vec<i64>,
}

fn found(outlets: &[ort::value::Outlet]) -> Vec<FoundTensor> {
    outlets
        .iter()
        .map(|o| {
            let dtype: &ValueType = o.dtype();
            FoundTensor {
                name: o.name().to_string(),
                ty: dtype.tensor_type(),
                shape: dtype.tensor_shape().map(|s| s.to_vec()).unwrap_or_default(),
            }
        })
        .collect()
}

fn shape_str(shape: &[i64]) -> String {
    shape
        .iter()
        .map(|&d| {
            if d < 0 {
                "?".to_string()
            } else {
                d.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("x")
}

fn ty_str(ty: Option<TensorElementType>) -> String {
    match ty {
        Some(TensorElementType::Float32) => "f32".into(),
        Some(TensorElementType::Float16) => "f16".into(),
        Some(other) => format!("{other:?}"),
        None => "not a tensor".into(),
    }
}

fn expected_str(specs: &[TensorSpec]) -> String {
    specs
        .iter()
        .map(|s| format!("{} f32 {}", s.name, shape_str(s.shape)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn found_str(tensors: &[FoundTensor]) -> String {
    tensors
        .iter()
        .map(|f| format!("{} {} {}", f.name, ty_str(f.ty), shape_str(&f.shape)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a found shape satisfies an expected one: same rank, same dimensions, except a dynamic
/// (-1) first dimension where 1 (batch) is expected.
pub fn shape_matches(expected: &[i64], found: &[i64]) -> bool {
    expected.len() == found.len()
        && expected
            .iter()
            .zip(found)
            .enumerate()
            .all(|(i, (&e, &f))| e == f || (i == 0 && e == 1 && f < 0))
}

/// What differs between a model's expected interface and the one found in its file, one line per
/// difference (empty when it matches). `kind` is `input` or `output`.
fn differences(kind: &str, expected: &[TensorSpec], found: &[FoundTensor]) -> Vec<String> {
    let mut out = Vec::new();
    for e in expected {
        match found.iter().find(|f| f.name == e.name) {
            None => out.push(format!("{kind} '{}' missing", e.name)),
            Some(f) => {
                if f.ty == Some(TensorElementType::Float16) {
                    out.push(format!("{kind} '{}' is f16", e.name));
                } else if f.ty != Some(TensorElementType::Float32) {
                    out.push(format!("{kind} '{}' is {}, not f32", e.name, ty_str(f.ty)));
                }
                if !shape_matches(e.shape, &f.shape) {
                    out.push(format!(
                        "{kind} '{}' has shape {}, not {}",
                        e.name,
                        shape_str(&f.shape),
                        shape_str(e.shape)
                    ));
                }
            }
        }
    }
    for f in found {
        if !expected.iter().any(|e| e.name == f.name) {
            out.push(format!("unexpected {kind} '{}'", f.name));
        }
    }
    out
}

/// Checks one model file's interface. Returns the problem line naming the file, what was
/// expected and what was found, or `None` when it matches.
pub fn check_interface(
    spec: &ModelSpec,
    path: &Path,
    inputs: &[FoundTensor],
    outputs: &[FoundTensor],
) -> Option<String> {
    let mut diffs = differences("input", spec.inputs, inputs);
    diffs.extend(differences("output", spec.outputs, outputs));
    if diffs.is_empty() {
        return None;
    }
    let half = [inputs, outputs]
        .iter()
        .any(|t| t.iter().any(|f| f.ty == Some(TensorElementType::Float16)));
    let advice = if half {
        format!(
            " (the engine feeds and reads f32: a set with f16 inside is fine, but its inputs and \
             outputs must be f32: `{}` puts a Cast at each f16 input and output)",
            declared_opset::converter_command(path.parent().unwrap_or(Path::new(".")))
        )
    } else {
        String::new()
    };
    Some(format!(
        "{}: {}{advice}; expected inputs [{}] outputs [{}], found inputs [{}] outputs [{}]",
        path.display(),
        diffs.join(", "),
        expected_str(spec.inputs),
        expected_str(spec.outputs),
        found_str(inputs),
        found_str(outputs)
    ))
}

/// The loaded LivePortrait model set (sessions are shared process-wide, see
/// [`runtime::session`]); cheap to clone.
#[derive(Clone)]
pub struct LivePortraitModels {
    dir: PathBuf,
    appearance: LoadedSession,
    motion: LoadedSession,
    warping: LoadedSession,
    stitching: LoadedSession,
    stitching_eye: Option<LoadedSession>,
    stitching_lip: Option<LoadedSession>,
    notes: Vec<String>,
}

/// What the warping model's declared opset means for `provider` (`active`: the provider that
/// runs it once loaded, `None` before): `Err` with the problem line when it cannot run there,
/// `Ok(Some(note))` when it runs here but would not on a GPU, `Ok(None)` when nothing is wrong.
///
/// Decided from the file's declared opset and ops ([`declared_opset`]), never from a run: on the
/// CPU a 5-D GridSample at opset 16 runs, on CUDA it fails on the first frame.
pub fn warping_readiness(
    findings: &declared_opset::GridSampleFindings,
    provider: ExecutionProvider,
    active: Option<&str>,
) -> Result<Option<String>, String> {
    if findings.needs_conversion_for_cpu() {
        return Err(findings.problem());
    }
    if !findings.needs_conversion_for_gpu() {
        return Ok(None);
    }
    let on_gpu = match active {
        Some(a) => a != "cpu",
        None => matches!(
            provider,
            ExecutionProvider::Cuda | ExecutionProvider::TensorRt
        ),
    };
    if on_gpu {
        Err(findings.problem())
    } else {
        Ok(Some(format!(
            "{} (it runs on the CPU as it is; a GPU provider would refuse it)",
            findings.problem()
        )))
    }
}

/// The warping model's GridSample facts (`None` when the file cannot be read: loading names it),
/// refused as [`warping_readiness`] says for `provider` before any session is made.
fn warping_findings_checked(
    dir: &Path,
    provider: ExecutionProvider,
) -> Result<Option<declared_opset::GridSampleFindings>, RuntimeError> {
    let findings = declared_opset::read(&dir.join(WARPING.file)).ok();
    if let Some(f) = &findings {
        if let Err(problem) = warping_readiness(f, provider, None) {
            return Err(RuntimeError::ModelSet(dir.to_path_buf(), vec![problem]));
        }
    }
    Ok(findings)
}

impl LivePortraitModels {
    /// Loads the set in `dir` ([`MODEL_SPECS`]: the four required files and, when present,
    /// `stitching_eye.onnx` and `stitching_lip.onnx`) and checks every file's input and output
    /// names, element types (f32) and shapes.
    ///
    /// Errors: [`RuntimeError::ModelSet`] listing, per file, what is wrong with what was expected
    /// and what was found (a missing required file named by its path; a file ONNX Runtime
    /// refuses; a wrong name, type or shape; f16 inputs or outputs: a set with f16 inside and f32
    /// inputs and outputs is accepted), all files at once; a warping model the provider cannot
    /// run ([`warping_readiness`]: 5-D GridSample declared below opset 20 on a GPU provider, or
    /// the GridSample3D plugin op anywhere), before any session is made for an explicit GPU
    /// provider, after loading for `auto`; [`RuntimeError::Library`] / [`RuntimeError::Provider`] as
    /// [`runtime::session`] gives them.
    pub fn load(
        dir: &Path,
        provider: ExecutionProvider,
        threads: usize,
    ) -> Result<LivePortraitModels, RuntimeError> {
        if !dir.is_dir() {
            let what = if dir.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            return Err(RuntimeError::ModelSet(
                dir.to_path_buf(),
                vec![format!(
                    "{} {what}: engine-models-dir= takes the folder holding the LivePortrait ONNX \
                     set ({}), an absolute or relative path without ~ or file:// (see \
                     docs/liveportrait.md, \
                     \"Getting a LivePortrait model set\", for where to get it)",
                    dir.display(),
                    MODEL_SPECS
                        .iter()
                        .filter(|s| !s.optional)
                        .map(|s| s.file)
                        .collect::<Vec<_>>()
                        .join(", ")
                )],
            ));
        }
        let findings = warping_findings_checked(dir, provider)?;
        let mut problems = Vec::new();
        let mut sessions: Vec<Option<LoadedSession>> = Vec::new();
        for spec in &MODEL_SPECS {
            let path = dir.join(spec.file);
            if !path.is_file() {
                if !spec.optional {
                    let plugin = dir.join(TENSORRT_WARPING_FILE);
                    let hint = if spec.file == WARPING.file && plugin.is_file() {
                        format!(
                            " ({} is FasterLivePortrait's TensorRT-only variant, with the GridSample3D \
                             plugin op: convert the set with `{}` to get warping_spade.onnx)",
                            plugin.display(),
                            declared_opset::converter_command(dir)
                        )
                    } else {
                        String::new()
                    };
                    problems.push(format!(
                        "{}: missing{hint}; expected inputs [{}] outputs [{}]",
                        path.display(),
                        expected_str(spec.inputs),
                        expected_str(spec.outputs)
                    ));
                }
                sessions.push(None);
                continue;
            }
            match runtime::session(&path, provider, threads) {
                Ok(loaded) => {
                    let (inputs, outputs) = {
                        let s = loaded.session.lock().unwrap_or_else(|e| e.into_inner());
                        (found(s.inputs()), found(s.outputs()))
                    };
                    match check_interface(spec, &path, &inputs, &outputs) {
                        Some(p) => {
                            problems.push(p);
                            sessions.push(None);
                        }
                        None => sessions.push(Some(loaded)),
                    }
                }
                Err(RuntimeError::ModelInvalid(p, e)) => {
                    let hint = if spec.optional {
                        "optional: remove it to run without it, or download it again"
                    } else {
                        "download it again"
                    };
                    problems.push(format!(
                        "{}: ONNX Runtime refused it ({hint}): {e}",
                        p.display()
                    ));
                    sessions.push(None);
                }
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() {
            return Err(RuntimeError::ModelSet(dir.to_path_buf(), problems));
        }
        let mut it = sessions.into_iter();
        let mut next = || it.next().flatten();
        let required = "checked above: every required file loaded";
        let models = LivePortraitModels {
            dir: dir.to_path_buf(),
            appearance: next().expect(required),
            motion: next().expect(required),
            warping: next().expect(required),
            stitching: next().expect(required),
            stitching_eye: next(),
            stitching_lip: next(),
            notes: Vec::new(),
        };
        // `auto` may have landed on a GPU: decide again with the provider that runs it.
        let mut notes = Vec::new();
        if let Some(f) = &findings {
            match warping_readiness(f, provider, Some(models.active_provider())) {
                Err(problem) => {
                    return Err(RuntimeError::ModelSet(dir.to_path_buf(), vec![problem]))
                }
                Ok(note) => notes.extend(note),
            }
        }
        Ok(LivePortraitModels { notes, ..models })
    }

    /// The checks that need no session, for a caller to run before it loads anything else for
    /// `provider` (the element does, before its face models): the warping model's GridSample
    /// ops, read from the file ([`warping_readiness`]), so that a set a GPU provider cannot run
    /// is refused for what it is, not on the first frame nor for a missing GPU. Errors:
    /// [`RuntimeError::ModelSet`] naming the file, the cause and the converter. A file that
    /// cannot be read passes here: [`Self::load`] names it.
    pub fn check_before_loading(
        dir: &Path,
        provider: ExecutionProvider,
    ) -> Result<(), RuntimeError> {
        warping_findings_checked(dir, provider).map(|_| ())
    }

    /// What the user should know about the set although it runs (for a warning): a warping
    /// model that runs on the CPU but a GPU provider would refuse ([`warping_readiness`]).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The folder the set was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The execution provider that runs the set (that of `warping_spade.onnx`, the heaviest).
    pub fn active_provider(&self) -> &'static str {
        self.warping.active_provider
    }

    /// The loaded session of a required file ([`APPEARANCE`], [`MOTION`], [`WARPING`],
    /// [`STITCHING`]), for [`super::bound_model`]. Panics for another spec.
    pub fn session(&self, spec: &ModelSpec) -> &LoadedSession {
        match spec.file {
            f if f == APPEARANCE.file => &self.appearance,
            f if f == MOTION.file => &self.motion,
            f if f == WARPING.file => &self.warping,
            f if f == STITCHING.file => &self.stitching,
            f => panic!("{f} is not a required file of the set"),
        }
    }

    /// Whether `stitching_eye.onnx` and `stitching_lip.onnx` were loaded.
    pub fn has_retargeting(&self) -> (bool, bool) {
        (self.stitching_eye.is_some(), self.stitching_lip.is_some())
    }

    /// Appearance features `f_s` (1x32x16x64x64, flat C order) of a source crop `img`
    /// (1x3x256x256 RGB 0..1 NCHW, see [`super::runner::rgb8_to_input`]).
    pub fn appearance_features(&self, img: &[f32]) -> Result<Vec<f32>, RuntimeError> {
        let mut outs = run(
            &self.appearance.session,
            &APPEARANCE,
            &[(img, &[1, 3, INPUT_SIZE, INPUT_SIZE])],
        )?;
        Ok(outs.remove(0))
    }

    /// The motion extractor's outputs for a crop `img` (1x3x256x256 RGB 0..1 NCHW).
    pub fn motion(&self, img: &[f32]) -> Result<RawMotion, RuntimeError> {
        let outs = run(
            &self.motion.session,
            &MOTION,
            &[(img, &[1, 3, INPUT_SIZE, INPUT_SIZE])],
        )?;
        // Same order as MOTION.outputs (each read by its name in `run`).
        Ok(RawMotion::from_outputs(|name| {
            let i = MOTION.outputs.iter().position(|t| t.name == name);
            &outs[i.expect("a MOTION output")]
        }))
    }

    /// `stitching.onnx`: input 1x126 (see [`super::stitching::stitching_input`]) -> output 1x65.
    pub fn stitching(&self, input: &[f32; STITCHING_INPUT_LEN]) -> Result<Vec<f32>, RuntimeError> {
        let mut outs = run(
            &self.stitching.session,
            &STITCHING,
            &[(input, &[1, STITCHING_INPUT_LEN])],
        )?;
        debug_assert_eq!(outs[0].len(), STITCHING_OUTPUT_LEN);
        Ok(outs.remove(0))
    }

    /// `warping_spade.onnx`: the animated picture `out` 1x3x512x512 (RGB, 0..1 from a sigmoid,
    /// NCHW) from the source features `feature_3d` (1x32x16x64x64), the driven keypoints
    /// `kp_driving` and the source keypoints `kp_source` (1x21x3 each).
    pub fn warp(
        &self,
        feature_3d: &[f32],
        kp_driving: &Keypoints,
        kp_source: &Keypoints,
    ) -> Result<Vec<f32>, RuntimeError> {
        let d = super::keypoints::flatten(kp_driving);
        let s = super::keypoints::flatten(kp_source);
        let mut outs = run(
            &self.warping.session,
            &WARPING,
            &[
                (feature_3d, &FEATURE_SHAPE),
                (&d, &[1, NUM_KP, 3]),
                (&s, &[1, NUM_KP, 3]),
            ],
        )?;
        Ok(outs.remove(0))
    }

    /// `stitching_eye.onnx`: `[x_s flat (63), eye ratios (3)]` (1x66) -> keypoint deltas 21x3.
    /// Errors: [`RuntimeError::ModelMissing`] when the set has no such file.
    pub fn retarget_eye(&self, input: &[f32; 66]) -> Result<Keypoints, RuntimeError> {
        self.retarget(&self.stitching_eye, &STITCHING_EYE, input)
    }

    /// `stitching_lip.onnx`: `[x_s flat (63), lip ratios (2)]` (1x65) -> keypoint deltas 21x3.
    /// Errors: [`RuntimeError::ModelMissing`] when the set has no such file.
    pub fn retarget_lip(&self, input: &[f32; 65]) -> Result<Keypoints, RuntimeError> {
        self.retarget(&self.stitching_lip, &STITCHING_LIP, input)
    }

    fn retarget(
        &self,
        session: &Option<LoadedSession>,
        spec: &ModelSpec,
        input: &[f32],
    ) -> Result<Keypoints, RuntimeError> {
        let s = session
            .as_ref()
            .ok_or_else(|| RuntimeError::ModelMissing(self.dir.join(spec.file)))?;
        let outs = run(&s.session, spec, &[(input, &[1, input.len()])])?;
        Ok(keypoints_from_flat(&outs[0]))
    }
}

/// Runs `session` with `inputs` bound to `spec.inputs`' names (same order as the spec, data and
/// shape each) and returns every output of `spec.outputs`, read by name, flat, in the spec's
/// order. Errors: [`RuntimeError::Inference`] when the run fails, an output is missing or has a
/// size other than the spec's.
fn run(
    session: &SharedSession,
    spec: &ModelSpec,
    inputs: &[(&[f32], &[usize])],
) -> Result<Vec<Vec<f32>>, RuntimeError> {
    assert_eq!(inputs.len(), spec.inputs.len());
    let mut session = session.lock().unwrap_or_else(|e| e.into_inner());
    let mut feeds: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = Vec::with_capacity(inputs.len());
    for (tensor, (data, shape)) in spec.inputs.iter().zip(inputs) {
        let value = TensorRef::from_array_view((shape.to_vec(), *data))?;
        feeds.push((Cow::Borrowed(tensor.name), value.into()));
    }
    let outputs = session.run(feeds)?;
    let mut out = Vec::with_capacity(spec.outputs.len());
    for tensor in spec.outputs {
        let value = outputs.get(tensor.name).ok_or_else(|| {
            RuntimeError::Inference(format!("{} gave no output '{}'", spec.file, tensor.name))
        })?;
        let (_, values) = value.try_extract_tensor::<f32>()?;
        let expected: i64 = tensor.shape.iter().product();
        if values.len() as i64 != expected {
            return Err(RuntimeError::Inference(format!(
                "{} output '{}' has {} values, expected {}",
                spec.file,
                tensor.name,
                values.len(),
                expected
            )));
        }
        out.push(values.to_vec());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_dimension_is_accepted_only_for_the_batch() {
        assert!(shape_matches(&[1, 3, 256, 256], &[1, 3, 256, 256]));
        assert!(shape_matches(&[1, 3, 256, 256], &[-1, 3, 256, 256]));
        assert!(!shape_matches(&[1, 3, 256, 256], &[1, 3, -1, 256]));
        assert!(!shape_matches(&[1, 126], &[1, 63]));
        assert!(!shape_matches(&[1, 21, 3], &[1, 63]));
    }

    #[test]
    fn f16_inputs_and_outputs_are_refused_pointing_to_the_converter() {
        let f = |name: &str, ty, shape: &[i64]| FoundTensor {
            name: name.into(),
            ty: Some(ty),
            shape: shape.to_vec(),
        };
        let msg = check_interface(
            &STITCHING,
            Path::new("/set/stitching.onnx"),
            &[f("input", TensorElementType::Float16, &[1, 126])],
            &[f("output", TensorElementType::Float16, &[1, 65])],
        )
        .expect("f16 must be refused");
        assert!(
            msg.contains("/set/stitching.onnx")
                && msg.contains("'input' is f16")
                && msg.contains("convert_set.sh"),
            "{msg}"
        );
        assert!(check_interface(
            &STITCHING,
            Path::new("/set/stitching.onnx"),
            &[f("input", TensorElementType::Float32, &[-1, 126])],
            &[f("output", TensorElementType::Float32, &[-1, 65])],
        )
        .is_none());
    }

    #[test]
    fn an_old_opset_warping_model_is_refused_on_a_gpu_provider_and_noted_on_the_cpu() {
        let old = declared_opset::GridSampleFindings {
            path: PathBuf::from("/set/warping_spade.onnx"),
            opset: Some(16),
            volumetric_grid_samples: 2,
            planar_grid_samples: 0,
            grid_sample_3d: 0,
        };
        for p in [ExecutionProvider::Cuda, ExecutionProvider::TensorRt] {
            let e = warping_readiness(&old, p, None).expect_err("a GPU provider must refuse it");
            assert!(
                e.contains("opset 16") && e.contains("convert_set.sh"),
                "{e}"
            );
        }
        // `auto`: undecided before loading, refused once it has landed on a GPU.
        assert!(matches!(
            warping_readiness(&old, ExecutionProvider::Auto, None),
            Ok(Some(_))
        ));
        assert!(warping_readiness(&old, ExecutionProvider::Auto, Some("cuda")).is_err());
        let note = warping_readiness(&old, ExecutionProvider::Auto, Some("cpu"))
            .unwrap()
            .expect("on the CPU it runs, with a note");
        assert!(note.contains("runs on the CPU"), "{note}");
        let current = declared_opset::GridSampleFindings {
            opset: Some(20),
            ..old.clone()
        };
        assert_eq!(
            warping_readiness(&current, ExecutionProvider::Cuda, None),
            Ok(None)
        );
        let plugin = declared_opset::GridSampleFindings {
            volumetric_grid_samples: 0,
            grid_sample_3d: 2,
            ..old
        };
        assert!(warping_readiness(&plugin, ExecutionProvider::Cpu, None).is_err());
    }

    #[test]
    fn a_missing_folder_or_a_file_is_named_as_such_once() {
        let missing = Path::new("/nonexistent/liveportrait_onnx");
        let Err(e) = LivePortraitModels::load(missing, ExecutionProvider::Cpu, 1) else {
            panic!("a missing folder must be refused");
        };
        let msg = e.to_string();
        assert!(
            msg.contains("/nonexistent/liveportrait_onnx does not exist"),
            "{msg}"
        );
        assert!(
            msg.contains("warping_spade.onnx") && msg.contains("docs/liveportrait.md"),
            "{msg}"
        );
        assert_eq!(msg.matches("missing").count(), 0, "{msg}");
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let Err(e) = LivePortraitModels::load(&file, ExecutionProvider::Cpu, 1) else {
            panic!("a file must be refused");
        };
        assert!(e.to_string().contains("Cargo.toml is not a folder"), "{e}");
    }
}
