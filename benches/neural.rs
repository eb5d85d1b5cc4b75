//! Per-frame cost of the LivePortrait driving path by stage (issue 15): the crop to tensor, the
//! motion extractor, the keypoint maths (pose from bins, relative motion), the stitching
//! network, the warping network + SPADE decoder, and the output to 8-bit RGB; plus the avatar's
//! once-per-avatar appearance features. Run on the CPU here with the tiny set; on a GPU with a
//! full-size random-weight set (tools/liveportrait/export_full_random.py) and CUDA.
//!
//!     cargo bench --bench neural
//!     LP_MODELS=/path/to/set LP_PROVIDER=cuda LP_FRAMES=200 cargo bench --bench neural
//!
//! `LP_MODELS` (default tests/data/liveportrait/tiny), `LP_PROVIDER` (`cpu` default, `cuda`,
//! `tensorrt`, `auto`), `LP_FRAMES` (default 30, after 5 warm-up frames), `LP_THREADS` (ONNX
//! Runtime intra-op threads, default 0: its choice). Source and driving crops: the tiny set's
//! committed 256x256 PNGs. Prints milliseconds per frame (median, 99th percentile, worst) of each
//! stage and of the whole path, twice: with plain session runs (stage by stage) and through the
//! engine's I/O-bound [`Animator`] (the feature volume resident on the provider). Not a test: it
//! asserts nothing about speed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gstfacereenact::neural::keypoints::{relative_motion, Motion};
use gstfacereenact::neural::model_set::{LivePortraitModels, INPUT_SIZE, OUTPUT_SIZE};
use gstfacereenact::neural::runner::{output_to_rgb8, rgb8_to_input, write_output_rgb8, Animator};
use gstfacereenact::neural::stitching::{
    apply_driving_multiplier, apply_stitching, stitching_input,
};
use gstfacereenact::runtime::{self, ExecutionProvider};

fn crop(path: &PathBuf) -> Vec<u8> {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    assert_eq!(img.dimensions(), (INPUT_SIZE as u32, INPUT_SIZE as u32));
    img.into_raw()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "  {name:<50} median {:>8.2}  p99 {:>8.2}  worst {:>8.2}",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(*times.last().unwrap())
    );
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tiny = root.join("tests/data/liveportrait/tiny");
    let dir = std::env::var_os("LP_MODELS").map_or(tiny.clone(), PathBuf::from);
    let provider = match std::env::var("LP_PROVIDER").as_deref() {
        Ok("cuda") => ExecutionProvider::Cuda,
        Ok("tensorrt") => ExecutionProvider::TensorRt,
        Ok("auto") => ExecutionProvider::Auto,
        _ => ExecutionProvider::Cpu,
    };
    let frames: usize = std::env::var("LP_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let threads: usize = std::env::var("LP_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    runtime::ensure_loaded().expect("ONNX Runtime");
    let t = Instant::now();
    let models = LivePortraitModels::load(&dir, provider, threads).expect("model set");
    println!(
        "{}: loaded in {:.1} s, running on {}",
        dir.display(),
        t.elapsed().as_secs_f64(),
        models.active_provider()
    );
    let source = crop(&tiny.join("source_256.png"));
    let driving: Vec<Vec<u8>> = (0..3)
        .map(|i| crop(&tiny.join(format!("driving_{i}_256.png"))))
        .collect();

    let t = Instant::now();
    let src_in = rgb8_to_input(&source, INPUT_SIZE, INPUT_SIZE).unwrap();
    let feature_3d = models.appearance_features(&src_in).unwrap();
    let src_motion = Motion::from_raw(&models.motion(&src_in).unwrap());
    let x_s = src_motion.transformed();
    println!(
        "  avatar (once): appearance features + motion {:.2} ms (first run, with warm-up)",
        ms(t.elapsed())
    );

    let mut reference: Option<Motion> = None;
    let stages = [
        "crop to tensor",
        "motion extractor",
        "keypoint maths",
        "stitching",
        "warping + SPADE decoder",
        "output to RGB8",
        "whole driving path",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); stages.len()];
    for i in 0..frames + 5 {
        let t0 = Instant::now();
        let input = rgb8_to_input(&driving[i % 3], INPUT_SIZE, INPUT_SIZE).unwrap();
        let t1 = Instant::now();
        let raw = models.motion(&input).unwrap();
        let t2 = Instant::now();
        let motion = Motion::from_raw(&raw);
        let reference = reference.get_or_insert_with(|| motion.clone());
        let x_d_new = relative_motion(&src_motion, reference, &motion).keypoints(&src_motion.kp);
        let t3 = Instant::now();
        let delta = models.stitching(&stitching_input(&x_s, &x_d_new)).unwrap();
        let x_d = apply_driving_multiplier(&x_s, &apply_stitching(&x_d_new, &delta), 1.0);
        let t4 = Instant::now();
        let out = models.warp(&feature_3d, &x_d, &x_s).unwrap();
        let t5 = Instant::now();
        let rgb = output_to_rgb8(&out);
        let t6 = Instant::now();
        std::hint::black_box(rgb);
        if i >= 5 {
            for (k, d) in [
                t1 - t0,
                t2 - t1,
                t3 - t2,
                t4 - t3,
                t5 - t4,
                t6 - t5,
                t6 - t0,
            ]
            .into_iter()
            .enumerate()
            {
                times[k].push(d);
            }
        }
    }
    println!("  plain session runs (inputs wrapped, outputs allocated and the feature volume copied to the provider every frame), per frame over {frames} frames (ms):");
    for (name, t) in stages.iter().zip(times) {
        report(name, t);
    }

    // The engine's path: I/O binding, the feature volume resident in the provider's memory.
    let t = Instant::now();
    let mut animator = Animator::new(models.clone(), &source).unwrap();
    println!(
        "  avatar (once), bound: appearance features + motion + binding {:.2} ms",
        ms(t.elapsed())
    );
    let stages = [
        "drive (crop to tensor, motion, maths, stitching)",
        "render (warping + SPADE decoder)",
        "output to RGB8",
        "whole driving path",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); stages.len()];
    let mut rgb = vec![0u8; 3 * OUTPUT_SIZE * OUTPUT_SIZE];
    for i in 0..frames + 5 {
        let t0 = Instant::now();
        let kp = animator.drive(&driving[i % 3]).unwrap();
        let t1 = Instant::now();
        animator.render(&kp.x_d).unwrap();
        let t2 = Instant::now();
        write_output_rgb8(animator.render_output(), &mut rgb);
        let t3 = Instant::now();
        std::hint::black_box(&rgb);
        if i >= 5 {
            for (k, d) in [t1 - t0, t2 - t1, t3 - t2, t3 - t0].into_iter().enumerate() {
                times[k].push(d);
            }
        }
    }
    println!("  bound (the engine's path), per frame over {frames} frames (ms):");
    for (name, t) in stages.iter().zip(times) {
        report(name, t);
    }
}
