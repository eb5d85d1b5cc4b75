//! The LivePortrait engine (`gstfacereenact::neural`) against the stage-by-stage references of
//! the tiny random-weight model set in `tests/data/liveportrait/tiny/` (see its README.md),
//! made by LivePortrait's own code (PyTorch) on the committed PNG crops.
//!
//! Tolerances, from the reference's own onnxruntime-vs-PyTorch figures
//! (`onnxruntime_pipeline_check_max_abs_diff` in reference.json: 3.4e-5 motion logits, 1.8e-7
//! f_s, 1.1e-5 warping_spade output, 1.9e-9 stitching) and the float error of the maths (f32,
//! values of order 1: a few 1e-7 per operation):
//! * ONNX outputs vs PyTorch: pose logits 1e-4 (3x the 3.4e-5 seen), other motion outputs 1e-5,
//!   f_s 1e-6, warping output 5e-5 (4x 1.1e-5, also covering the keypoint error fed in),
//!   stitching output 1e-6;
//! * maths fed with the reference's own tensors: degrees 1e-4 (f64 vs f32 softmax sum over 66
//!   bins times 3), rotations 1e-6, keypoints 2e-6;
//! * the chain from the PNGs (our ONNX outputs feed our maths): the logit error of 3.4e-5 moves a
//!   pose by at most 3 * 32.5 * 3.4e-5 = 3.3e-3 degree, i.e. 6e-5 rad on unit-scale keypoints:
//!   keypoints 1e-4; warping output 1e-4 (its own 1.1e-5 plus the effect of keypoints up to
//!   2e-5 off, measured up to 4e-5);
//! * u8 frames: truncation turns a 1e-5 difference into one level where the value sits at a
//!   level boundary: at most 1 level off, on at most 0.5% of the values.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use gstfacereenact::neural::bound_model::to_host;
use gstfacereenact::neural::declared_opset;
use gstfacereenact::neural::head_pose::{bins_to_degrees, rotation_matrix};
use gstfacereenact::neural::keypoints::{
    flatten, keypoints_from_flat, relative_motion, Keypoints, Motion, RawMotion,
};
use gstfacereenact::neural::model_set::LivePortraitModels;
use gstfacereenact::neural::runner::{output_to_rgb8, rgb8_to_input, Animator};
use gstfacereenact::neural::stitching::{
    apply_driving_multiplier, apply_stitching, stitching_input,
};
use gstfacereenact::runtime::{ExecutionProvider, RuntimeError};

const FRAMES: [&str; 3] = ["driving0", "driving1", "driving2"];

/// The set and its references: the tiny set, or the folder `FACEREENACT_LP_SET` names (a set
/// written with its references by `tools/liveportrait/export_checkpoints.py --references`, to
/// check a full-size export by hand).
fn set_dir() -> PathBuf {
    std::env::var_os("FACEREENACT_LP_SET")
        .map(PathBuf::from)
        .unwrap_or_else(common::tiny_liveportrait_set)
}

struct Reference {
    json: serde_json::Value,
    tensors: HashMap<String, Vec<f32>>,
}

impl Reference {
    fn get(&self, name: &str) -> &[f32] {
        self.tensors
            .get(name)
            .unwrap_or_else(|| panic!("reference.json has no tensor {name}"))
    }
    fn scalar(&self, name: &str) -> f32 {
        self.get(name)[0]
    }
    fn kp(&self, name: &str) -> Keypoints {
        keypoints_from_flat(self.get(name))
    }
    fn raw_motion(&self, pre: &str) -> RawMotion {
        RawMotion::from_outputs(|name| self.get(&format!("{pre}.raw.{name}")))
    }
}

fn reference() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| {
        let text = std::fs::read_to_string(set_dir().join("reference.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut tensors = HashMap::new();
        for (name, t) in json["tensors"].as_object().expect("tensors") {
            let data: Vec<f32> = t["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            let len: u64 = t["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap())
                .product();
            assert_eq!(data.len() as u64, len, "{name}");
            tensors.insert(name.clone(), data);
        }
        Reference { json, tensors }
    })
}

fn models() -> LivePortraitModels {
    models_in(&set_dir())
}

fn models_in(dir: &Path) -> LivePortraitModels {
    if let Err(e) = gstfacereenact::runtime::ensure_loaded() {
        panic!("{e}");
    }
    LivePortraitModels::load(dir, ExecutionProvider::Cpu, 1).unwrap_or_else(|e| panic!("{e}"))
}

fn png_rgb(name: &str) -> (Vec<u8>, u32, u32) {
    let img = image::open(set_dir().join(name)).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    (img.into_raw(), w, h)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()))
}

/// Asserts |ours - reference| <= tol everywhere and prints the maximum (the test log is the
/// measurement).
fn check(what: &str, ours: &[f32], reference: &[f32], tol: f32) {
    let d = max_abs_diff(ours, reference);
    println!("{what}: max |diff| {d:.3e} (tolerance {tol:.0e})");
    assert!(d <= tol, "{what}: max |diff| {d:e} > {tol:e}");
}

fn mat(m: &nalgebra::Matrix3<f32>) -> Vec<f32> {
    // Row-major [row][col], as the reference stores R.
    (0..3)
        .flat_map(|r| (0..3).map(move |c| m[(r, c)]))
        .collect()
}

/// f[0, :, ::4, ::16, ::16] of a flat 1x32x16x64x64 volume (reference's `feature_3d_sample`).
fn feature_sample(f: &[f32]) -> Vec<f32> {
    let mut out = Vec::new();
    for c in 0..32 {
        for d in (0..16).step_by(4) {
            for h in (0..64).step_by(16) {
                for w in (0..64).step_by(16) {
                    out.push(f[((c * 16 + d) * 64 + h) * 64 + w]);
                }
            }
        }
    }
    out
}

/// out[0, :, ::32, ::32] of a flat 1x3x512x512 output (reference's `*.out_sample`).
fn out_sample(o: &[f32]) -> Vec<f32> {
    let mut v = Vec::new();
    for c in 0..3 {
        for h in (0..512).step_by(32) {
            for w in (0..512).step_by(32) {
                v.push(o[(c * 512 + h) * 512 + w]);
            }
        }
    }
    v
}

fn check_raw_motion(pre: &str, ours: &RawMotion, r: &Reference) {
    for (name, v) in [
        ("pitch", &ours.pitch),
        ("yaw", &ours.yaw),
        ("roll", &ours.roll),
    ] {
        check(
            &format!("{pre}.raw.{name}"),
            v,
            r.get(&format!("{pre}.raw.{name}")),
            1e-4,
        );
    }
    check(
        &format!("{pre}.raw.t"),
        &ours.t,
        r.get(&format!("{pre}.raw.t")),
        1e-5,
    );
    check(
        &format!("{pre}.raw.exp"),
        &flatten(&ours.exp),
        r.get(&format!("{pre}.raw.exp")),
        1e-5,
    );
    check(
        &format!("{pre}.raw.scale"),
        &[ours.scale],
        r.get(&format!("{pre}.raw.scale")),
        1e-5,
    );
    check(
        &format!("{pre}.raw.kp"),
        &flatten(&ours.kp),
        r.get(&format!("{pre}.raw.kp")),
        1e-5,
    );
}

#[test]
fn extractors_match_the_reference_on_the_png_crops() {
    check_extractors(&models());
}

/// The extractors of `m` against the reference, from the committed PNG crops.
fn check_extractors(m: &LivePortraitModels) {
    let r = reference();
    let (src, w, h) = png_rgb("source_256.png");
    let input = rgb8_to_input(&src, w as usize, h as usize).unwrap();
    let plane = 256 * 256;
    let means: Vec<f32> = (0..3)
        .map(|c| {
            (input[c * plane..(c + 1) * plane]
                .iter()
                .map(|&v| v as f64)
                .sum::<f64>()
                / plane as f64) as f32
        })
        .collect();
    check(
        "source.input_mean",
        &means,
        r.get("source.input_mean"),
        1e-6,
    );

    let f_s = m.appearance_features(&input).unwrap();
    assert_eq!(f_s.len(), 32 * 16 * 64 * 64);
    check(
        "source.feature_3d_sample",
        &feature_sample(&f_s),
        r.get("source.feature_3d_sample"),
        1e-6,
    );
    let sum: f64 = f_s.iter().map(|&v| v as f64).sum();
    let ref_sum = r.json["feature_3d_stats"]["sum"].as_f64().unwrap();
    // 2M values each within 1e-6: the sums agree within 2.
    println!("f_s sum {sum} vs {ref_sum}");
    assert!((sum - ref_sum).abs() < 2.0, "f_s sum {sum} vs {ref_sum}");

    check_raw_motion("source", &m.motion(&input).unwrap(), r);
    for (i, pre) in FRAMES.iter().enumerate() {
        let (d, w, h) = png_rgb(&format!("driving_{i}_256.png"));
        let input = rgb8_to_input(&d, w as usize, h as usize).unwrap();
        check_raw_motion(pre, &m.motion(&input).unwrap(), r);
    }
}

#[test]
fn pose_keypoints_relative_motion_and_stitching_maths_match_the_reference() {
    let (r, m) = (reference(), models());
    let motion = |pre: &str| Motion::from_raw(&r.raw_motion(pre));
    let s = motion("source");
    let d0 = motion("driving0");
    let all: Vec<(&str, Motion)> = std::iter::once("source")
        .chain(FRAMES)
        .map(|p| (p, motion(p)))
        .collect();
    for (pre, mo) in &all {
        check(
            &format!("{pre}.pitch_deg"),
            &[mo.pitch_deg],
            r.get(&format!("{pre}.pitch_deg")),
            1e-4,
        );
        check(
            &format!("{pre}.yaw_deg"),
            &[mo.yaw_deg],
            r.get(&format!("{pre}.yaw_deg")),
            1e-4,
        );
        check(
            &format!("{pre}.roll_deg"),
            &[mo.roll_deg],
            r.get(&format!("{pre}.roll_deg")),
            1e-4,
        );
        // The rotation from the reference's own degrees, so that it is checked on its own.
        let rot = rotation_matrix(
            r.scalar(&format!("{pre}.pitch_deg")),
            r.scalar(&format!("{pre}.yaw_deg")),
            r.scalar(&format!("{pre}.roll_deg")),
        );
        check(
            &format!("{pre}.R"),
            &mat(&rot),
            r.get(&format!("{pre}.R")),
            1e-6,
        );
        check(
            &format!("{pre}.R (from our degrees)"),
            &mat(&mo.rotation),
            r.get(&format!("{pre}.R")),
            1e-5,
        );
        check(
            &format!("{pre}.x"),
            &flatten(&mo.transformed()),
            r.get(&format!("{pre}.x")),
            2e-6,
        );
    }
    let x_s = r.kp("source.x");
    for pre in FRAMES {
        let rel = relative_motion(&s, &d0, &motion(pre));
        check(
            &format!("{pre}.R_new"),
            &mat(&rel.rotation),
            r.get(&format!("{pre}.R_new")),
            1e-5,
        );
        check(
            &format!("{pre}.exp_new"),
            &flatten(&rel.exp),
            r.get(&format!("{pre}.exp_new")),
            1e-6,
        );
        check(
            &format!("{pre}.scale_new"),
            &[rel.scale],
            r.get(&format!("{pre}.scale_new")),
            1e-6,
        );
        check(
            &format!("{pre}.t_new"),
            &rel.t,
            r.get(&format!("{pre}.t_new")),
            1e-6,
        );
        check(
            &format!("{pre}.x_d_new"),
            &flatten(&rel.keypoints(&s.kp)),
            r.get(&format!("{pre}.x_d_new")),
            2e-5,
        );
        // Stitching from the reference's x_s and x_d_new.
        let input = stitching_input(&x_s, &r.kp(&format!("{pre}.x_d_new")));
        check(
            &format!("{pre}.stitching_input"),
            &input,
            r.get(&format!("{pre}.stitching_input")),
            0.0,
        );
        let out = m.stitching(&input).unwrap();
        check(
            &format!("{pre}.stitching_output"),
            &out,
            r.get(&format!("{pre}.stitching_output")),
            1e-6,
        );
        let stitched = apply_stitching(
            &r.kp(&format!("{pre}.x_d_new")),
            r.get(&format!("{pre}.stitching_output")),
        );
        let x_d = apply_driving_multiplier(&x_s, &stitched, 1.0);
        check(
            &format!("{pre}.x_d_stitched"),
            &flatten(&x_d),
            r.get(&format!("{pre}.x_d_stitched")),
            1e-6,
        );
    }
    // Degrees straight from the bins too (the maths of Motion::from_raw, spelled out).
    check(
        "source.pitch_deg (bins)",
        &[bins_to_degrees(r.get("source.raw.pitch"))],
        r.get("source.pitch_deg"),
        1e-4,
    );
    // Optional retargeting models, from the reference's example inputs.
    let eye: [f32; 66] = r.get("retarget.eye_input").try_into().unwrap();
    check(
        "retarget.eye_delta",
        &flatten(&m.retarget_eye(&eye).unwrap()),
        r.get("retarget.eye_delta"),
        1e-6,
    );
    let lip: [f32; 65] = r.get("retarget.lip_input").try_into().unwrap();
    check(
        "retarget.lip_delta",
        &flatten(&m.retarget_lip(&lip).unwrap()),
        r.get("retarget.lip_delta"),
        1e-6,
    );
}

/// Levels differing between two RGB8 pictures: (max difference, share of values that differ).
fn level_diff(a: &[u8], b: &[u8]) -> (u8, f64) {
    assert_eq!(a.len(), b.len());
    let mut max = 0u8;
    let mut n = 0usize;
    for (x, y) in a.iter().zip(b) {
        let d = x.abs_diff(*y);
        max = max.max(d);
        n += (d != 0) as usize;
    }
    (max, n as f64 / a.len() as f64)
}

fn check_frame(what: &str, out: &[f32], png: &str) {
    let ours = output_to_rgb8(out);
    let (reference, w, h) = png_rgb(png);
    assert_eq!((w, h), (512, 512));
    let (max, share) = level_diff(&ours, &reference);
    println!(
        "{what} vs {png}: max {max} level(s), {:.4}% of values differ",
        share * 100.0
    );
    assert!(
        max <= 1 && share <= 0.005,
        "{what}: max {max} levels, {:.4}% differ",
        share * 100.0
    );
}

#[test]
fn the_chain_from_the_png_crops_reproduces_the_reference_frames() {
    check_chain(models());
}

/// The whole chain of `m` (source, three driving crops, stitching, warping) against the reference.
fn check_chain(m: LivePortraitModels) {
    let r = reference();
    let (src, _, _) = png_rgb("source_256.png");
    let mut animator = Animator::new(m, &src).unwrap();
    // The feature volume the warping model is bound to (kept in the provider's memory).
    check(
        "source.feature_3d_sample (chain)",
        &feature_sample(&to_host(&animator.source().feature_3d).unwrap()),
        r.get("source.feature_3d_sample"),
        1e-5,
    );
    check(
        "source.x (chain)",
        &flatten(&animator.source().x_s),
        r.get("source.x"),
        1e-4,
    );
    for (i, pre) in FRAMES.iter().enumerate() {
        let (d, _, _) = png_rgb(&format!("driving_{i}_256.png"));
        let kp = animator.drive(&d).unwrap();
        check(
            &format!("{pre}.x (chain)"),
            &flatten(&kp.motion.transformed()),
            r.get(&format!("{pre}.x")),
            1e-4,
        );
        check(
            &format!("{pre}.x_d_new (chain)"),
            &flatten(&kp.x_d_new),
            r.get(&format!("{pre}.x_d_new")),
            1e-4,
        );
        check(
            &format!("{pre}.stitching_output (chain)"),
            &kp.stitching_output,
            r.get(&format!("{pre}.stitching_output")),
            1e-4,
        );
        check(
            &format!("{pre}.x_d_stitched (chain)"),
            &flatten(&kp.x_d),
            r.get(&format!("{pre}.x_d_stitched")),
            1e-4,
        );
        let out = animator.render(&kp.x_d).unwrap();
        check(
            &format!("{pre}.out_sample (chain)"),
            &out_sample(out),
            r.get(&format!("{pre}.out_sample")),
            1e-4,
        );
        let mean = out.iter().map(|&v| v as f64).sum::<f64>() / out.len() as f64;
        let ref_mean = r.json["frames"][pre]["stats"]["mean"].as_f64().unwrap();
        println!("{pre} mean {mean} vs {ref_mean}");
        assert!(
            (mean - ref_mean).abs() < 1e-5,
            "{pre} mean {mean} vs {ref_mean}"
        );
        check_frame(pre, out, &format!("{pre}_out_512.png"));
    }
}

#[test]
fn moving_the_driving_keypoints_moves_the_output() {
    let r = reference();
    let (src, _, _) = png_rgb("source_256.png");
    let mut animator = Animator::new(models(), &src).unwrap();
    let base = animator
        .render(&r.kp("driving0.x_d_stitched"))
        .unwrap()
        .to_vec();
    let moved = animator.render(&r.kp("moved.kp_driving")).unwrap().to_vec();
    check(
        "moved.out_sample",
        &out_sample(&moved),
        r.get("moved.out_sample"),
        5e-5,
    );
    check_frame("moved", &moved, "moved_out_512.png");
    let mean_abs: f64 = base
        .iter()
        .zip(&moved)
        .map(|(a, b)| (a - b).abs() as f64)
        .sum::<f64>()
        / base.len() as f64;
    let expected = r.json["moved_vs_driving0_mean_abs_diff"].as_f64().unwrap();
    println!("mean |out(moved) - out(driving0)| {mean_abs} (reference {expected})");
    assert!(
        mean_abs > 0.01,
        "moving the keypoints by 0.15 must change the picture: {mean_abs}"
    );
    assert!(
        (mean_abs - expected).abs() < 1e-4,
        "{mean_abs} vs {expected}"
    );
}

fn copy_set(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(set_dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "onnx") {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

#[test]
fn a_set_with_a_wrong_or_missing_file_is_refused_naming_it() {
    let _ = models();
    let dir = std::env::temp_dir().join(format!("facereenact-lp-set-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_set(&dir);
    // stitching.onnx replaced by the motion extractor; stitching_eye.onnx by the lip model
    // (input 1x65, not 1x66); warping_spade.onnx removed.
    std::fs::copy(
        dir.join("motion_extractor.onnx"),
        dir.join("stitching.onnx"),
    )
    .unwrap();
    std::fs::copy(
        dir.join("stitching_lip.onnx"),
        dir.join("stitching_eye.onnx"),
    )
    .unwrap();
    std::fs::remove_file(dir.join("warping_spade.onnx")).unwrap();
    let err = LivePortraitModels::load(&dir, ExecutionProvider::Cpu, 1)
        .err()
        .expect("a wrong set must be refused");
    let msg = err.to_string();
    println!("{msg}");
    assert!(matches!(err, RuntimeError::ModelSet(..)), "{err:?}");
    let stitching = format!("{}: ", dir.join("stitching.onnx").display());
    let eye = format!("{}: ", dir.join("stitching_eye.onnx").display());
    let warping = format!("{}: missing", dir.join("warping_spade.onnx").display());
    for needle in [
        stitching.as_str(),
        "input 'input' missing",
        "unexpected input 'img'",
        "expected inputs [input f32 1x126] outputs [output f32 1x65]",
        "found inputs [img f32 1x3x256x256] outputs [pitch f32 1x66",
        eye.as_str(),
        "input 'input' has shape 1x65, not 1x66",
        warping.as_str(),
        "expected inputs [feature_3d f32 1x32x16x64x64, kp_driving f32 1x21x3, kp_source f32 1x21x3]",
    ] {
        assert!(msg.contains(needle), "the message must say {needle:?}: {msg}");
    }
    // The untouched files are not blamed.
    assert!(!msg.contains("appearance_feature_extractor.onnx"), "{msg}");
    assert!(!msg.contains("stitching_lip.onnx:"), "{msg}");
    // Optional files may be absent; the intact set loads. Another folder: sessions are cached
    // per path for the whole process, so the replaced files above would be found again.
    let _ = std::fs::remove_dir_all(&dir);
    let dir = dir.with_extension("intact");
    let _ = std::fs::remove_dir_all(&dir);
    copy_set(&dir);
    std::fs::remove_file(dir.join("stitching_eye.onnx")).unwrap();
    std::fs::remove_file(dir.join("stitching_lip.onnx")).unwrap();
    let m =
        LivePortraitModels::load(&dir, ExecutionProvider::Cpu, 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.has_retargeting(), (false, false));
    let eye_err = m.retarget_eye(&[0.0; 66]).expect_err("no eye model");
    assert!(
        eye_err.to_string().contains("stitching_eye.onnx"),
        "{eye_err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_open_avatar_mouth_is_animated_from_closed_lips_as_liveportrait_normalises_it() {
    use gstfacereenact::neural::lip_normalization::normalization_input;
    let r = reference();
    let m = models();
    let (src, _, _) = png_rgb("source_256.png");
    let (d, _, _) = png_rgb("driving_0_256.png");
    let mut animator = Animator::new(m.clone(), &src).unwrap();
    // The input layout is the reference's `concat_feat(x_s, [c_s_lip, c_d_lip])` with c_d_lip 0.
    let c_s = r.get("retarget.lip_ratio")[0];
    let input = normalization_input(&animator.source().x_s, c_s).unwrap();
    check(
        "lip normalisation input [x_s, c_s_lip]",
        &input[..64],
        &r.get("retarget.lip_input")[..64],
        1e-5,
    );
    assert_eq!(input[64], 0.0, "the lips are animated from closed");

    // Under the threshold: LivePortrait's closed-mouth branch, the reference's keypoints.
    assert!(!animator.normalize_lips(&m, 0.02).unwrap());
    let closed = animator.drive(&d).unwrap().x_d;
    check(
        "x_d, closed source mouth",
        &flatten(&closed),
        r.get("driving0.x_d_stitched"),
        1e-4,
    );
    // Open: the lip delta of [x_s, c_s, 0] is added to every frame's stitched keypoints.
    animator.reset_reference();
    assert!(animator.normalize_lips(&m, c_s).unwrap());
    let open = animator.drive(&d).unwrap().x_d;
    let delta = m.retarget_lip(&input).unwrap();
    let expected: Vec<f32> = flatten(&closed)
        .iter()
        .zip(flatten(&delta))
        .map(|(a, b)| a + b)
        .collect();
    check("x_d, open source mouth", &flatten(&open), &expected, 1e-6);
    assert!(
        max_abs_diff(&flatten(&open), &flatten(&closed)) > 1e-4,
        "the lip delta moves the keypoints"
    );
}

/// The tiny set's warping network declared at opset 16 around its 5-D GridSample nodes, as
/// FasterLivePortrait's release is (`tests/data/liveportrait/tiny_opset16/`), converted with the
/// user's command: the converted set computes what the reference computes.
#[test]
fn a_set_declared_at_opset_16_converted_passes_the_reference_checks() {
    let old = common::tiny_set_at_opset_16("lp-opset16-in");
    let out = old.with_file_name(format!("facereenact-lp-opset16-out-{}", std::process::id()));
    let printed = common::convert_liveportrait_set(&old, &out, &[]);
    println!("{printed}");
    assert!(
        printed.contains("warping_spade.onnx: opset 16 -> 20"),
        "{printed}"
    );
    let findings = declared_opset::read(&out.join("warping_spade.onnx")).unwrap();
    assert_eq!(findings.opset, Some(20));
    assert!(!findings.needs_conversion_for_gpu(), "{findings:?}");
    let m = models_in(&out);
    assert!(m.notes().is_empty(), "{:?}", m.notes());
    check_extractors(&m);
    check_chain(m);
    // A GPU provider no longer refuses it for its opset (here it fails only for want of CUDA).
    if let Err(e) = LivePortraitModels::load(&out, ExecutionProvider::Cuda, 1) {
        assert!(matches!(e, RuntimeError::Provider(..)), "{e}");
    }
    let _ = std::fs::remove_dir_all(&old);
    let _ = std::fs::remove_dir_all(&out);
}

/// FasterLivePortrait's TensorRT file (`warping_spade-fix.onnx`: GridSample3D plugin op, made
/// here from the opset-16 variant): refused as it is, even on the CPU, naming the converter;
/// converted, it computes what the reference computes.
#[test]
fn a_set_with_the_tensorrt_plugin_op_is_refused_and_converted_passes_the_reference_checks() {
    let tmp = common::tempdir();
    let plugin = tmp.join("warping_spade-fix.onnx");
    let root = common::root();
    common::project_python(&[
        root.join("tools/liveportrait/make_variant.py").as_os_str(),
        std::ffi::OsStr::new("plugin"),
        root.join("tests/data/liveportrait/tiny_opset16/warping_spade.onnx")
            .as_os_str(),
        plugin.as_os_str(),
    ]);
    // Named warping_spade.onnx, the plugin op is refused on the CPU too, before any run.
    let renamed = common::tiny_set_with_warping("lp-plugin-renamed", &plugin, "warping_spade.onnx");
    let e = LivePortraitModels::load(&renamed, ExecutionProvider::Cpu, 1)
        .err()
        .expect("GridSample3D must be refused");
    let msg = e.to_string();
    assert!(
        msg.contains("GridSample3D") && msg.contains("convert_set.sh"),
        "{msg}"
    );
    // As FasterLivePortrait ships it (only warping_spade-fix.onnx): the missing file's line says
    // what the file present is.
    let input = common::tiny_set_with_warping("lp-plugin-in", &plugin, "warping_spade-fix.onnx");
    let e = LivePortraitModels::load(&input, ExecutionProvider::Cpu, 1)
        .err()
        .expect("a set without warping_spade.onnx must be refused");
    let msg = e.to_string();
    assert!(
        msg.contains("warping_spade-fix.onnx") && msg.contains("convert_set.sh"),
        "{msg}"
    );
    let out = input.with_file_name(format!("facereenact-lp-plugin-out-{}", std::process::id()));
    let printed = common::convert_liveportrait_set(&input, &out, &[]);
    println!("{printed}");
    assert!(printed.contains("GridSample3D node(s)"), "{printed}");
    let m = models_in(&out);
    check_extractors(&m);
    check_chain(m);
    for d in [renamed, input, out] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A set whose file takes and gives f16 (inputs and outputs too): refused, naming the converter;
/// converted, its inputs and outputs are f32 again (a Cast each) and it computes what the
/// reference computes within f16's precision.
#[test]
fn a_set_with_f16_inputs_and_outputs_is_refused_and_converted_runs() {
    let tmp = common::tempdir();
    let half_io = tmp.join("stitching_f16_io.onnx");
    let root = common::root();
    common::project_python(&[
        root.join("tools/liveportrait/make_variant.py").as_os_str(),
        std::ffi::OsStr::new("f16-io"),
        set_dir().join("stitching.onnx").as_os_str(),
        half_io.as_os_str(),
    ]);
    let input = common::tiny_set_with_warping(
        "lp-f16-io-in",
        &set_dir().join("warping_spade.onnx"),
        "warping_spade.onnx",
    );
    std::fs::copy(&half_io, input.join("stitching.onnx")).unwrap();
    let e = LivePortraitModels::load(&input, ExecutionProvider::Cpu, 1)
        .err()
        .expect("f16 inputs must be refused");
    let msg = e.to_string();
    assert!(
        msg.contains("stitching.onnx") && msg.contains("is f16") && msg.contains("convert_set.sh"),
        "{msg}"
    );
    let out = input.with_file_name(format!("facereenact-lp-f16-io-out-{}", std::process::id()));
    let printed = common::convert_liveportrait_set(&input, &out, &[]);
    println!("{printed}");
    assert!(printed.contains("given a Cast to f32"), "{printed}");
    let m = models_in(&out);
    let r = reference();
    let input_values: [f32; 126] = r
        .get("driving1.stitching_input")
        .try_into()
        .expect("126 values");
    let ours = m.stitching(&input_values).unwrap();
    let d = max_abs_diff(&ours, r.get("driving1.stitching_output"));
    println!("stitching in f16: max |diff| {d:.2e}");
    assert!(d < 1e-3, "stitching in f16 off by {d}");
    for dir in [input, out] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// `convert_set.sh --half` (f16 inside, f32 inputs and outputs, for GPUs): the engine loads it and
/// its frames are the reference's within f16's precision.
#[test]
fn an_f16_set_renders_the_reference_frames_within_f16_precision() {
    let out = std::env::temp_dir().join(format!("facereenact-lp-half-{}", std::process::id()));
    let printed = common::convert_liveportrait_set(&set_dir(), &out, &["--half"]);
    println!("{printed}");
    let r = reference();
    let (src, _, _) = png_rgb("source_256.png");
    let mut animator = Animator::new(models_in(&out), &src).unwrap();
    for (i, pre) in FRAMES.iter().enumerate() {
        let (d, _, _) = png_rgb(&format!("driving_{i}_256.png"));
        let kp = animator.drive(&d).unwrap();
        let kp_diff = max_abs_diff(&flatten(&kp.x_d), r.get(&format!("{pre}.x_d_stitched")));
        let ours = output_to_rgb8(animator.render(&kp.x_d).unwrap());
        let (reference_png, _, _) = png_rgb(&format!("{pre}_out_512.png"));
        let mean = ours
            .iter()
            .zip(&reference_png)
            .map(|(a, b)| a.abs_diff(*b) as f64)
            .sum::<f64>()
            / ours.len() as f64;
        let (max, share) = level_diff(&ours, &reference_png);
        println!(
            "{pre} f16: keypoints max |diff| {kp_diff:.2e}; frame mean {mean:.3} levels, max {max}, {:.2}% differ",
            share * 100.0
        );
        // Measured: keypoints up to 1.4e-2 off (unit-scale keypoints, f16 has 11 bits), frames
        // 0.07-0.36 levels off on average, at most 7 (of 255) where a pixel is off.
        assert!(kp_diff < 3e-2, "{pre}: keypoints {kp_diff}");
        assert!(mean < 1.0 && max <= 16, "{pre}: mean {mean}, max {max}");
    }
    let _ = std::fs::remove_dir_all(&out);
}
