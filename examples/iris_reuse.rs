//! The iris model's reuse rule against running the model on every frame: how often it runs, and
//! how far the eye openings it gives stray from the every-frame ones.
//!
//!     cargo run --release --example iris_reuse                       # the element's rule
//!     cargo run --release --example iris_reuse -- 0.008,3 0.012,4    # other rules
//!
//! Each rule is `max_change,max_frames` ([`EyeRefiner::with_reuse`]; the element's is
//! `REUSE_MAX_CHANGE`, `REUSE_MAX_FRAMES`). For every clip in `tests/media/driving` (or the
//! folder in `$IRIS_REUSE_CLIPS`), the face is tracked without eye refinement; the iris model then
//! refines those landmarks on every frame, and again under each rule. Per clip and rule it prints
//! the share of eye crops the model ran on and the error of the eye openings
//! (`eye_opening_of`, eye-corner distances; a blink spans about 0.13): mean, 99th percentile,
//! largest, and how many eye-frames were off by more than 0.03. Needs `scripts/setup.sh`.

#[path = "../tests/common/mod.rs"]
mod common;

use gstfacereenact::face::eye_refiner::{REUSE_MAX_CHANGE, REUSE_MAX_FRAMES};
use gstfacereenact::face::opening_measures::eye_opening_of;
use gstfacereenact::face::{EyeRefiner, FaceLandmarks};
use gstfacereenact::models::{default_models_dir, FaceModels};
use gstfacereenact::runtime::ExecutionProvider;

/// Eye openings (subject's right, left) of every frame with a face, refined by `eyes`.
fn openings(
    eyes: &mut EyeRefiner,
    frames: &[common::Frame],
    plain: &[Option<FaceLandmarks>],
) -> Vec<Option<[f32; 2]>> {
    frames
        .iter()
        .zip(plain)
        .map(|(f, lm)| {
            lm.as_ref().map(|lm| {
                let mut lm = lm.clone();
                eyes.refine(&f.image, f.par, &mut lm).expect("iris model");
                eye_opening_of(&lm.points)
            })
        })
        .collect()
}

fn main() {
    common::init();
    let models = FaceModels::load(&default_models_dir(), ExecutionProvider::Cpu, 1)
        .expect("models (run scripts/setup.sh)");
    let mut rules: Vec<(f32, u32)> = std::env::args()
        .skip(1)
        .map(|a| {
            let (c, k) = a
                .split_once(',')
                .unwrap_or_else(|| panic!("{a}: a rule is max_change,max_frames, e.g. 0.008,3"));
            (
                c.parse().expect("max_change: a number"),
                k.parse().expect("max_frames: a whole number"),
            )
        })
        .collect();
    if rules.is_empty() {
        rules.push((REUSE_MAX_CHANGE, REUSE_MAX_FRAMES));
    }
    let dir = std::env::var("IRIS_REUSE_CLIPS")
        .unwrap_or_else(|_| format!("{}/tests/media/driving", env!("CARGO_MANIFEST_DIR")));
    let mut clips: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mp4"))
        .collect();
    clips.sort();
    for clip in clips {
        let frames = common::decode(&clip);
        let mut tracker = models.tracker_with_eyes(None);
        let plain: Vec<_> = frames
            .iter()
            .map(|f| tracker.track(&f.image, f.par).expect("tracking").cloned())
            .collect();
        let every = openings(
            &mut EyeRefiner::new(models.iris.session.clone()).every_frame(),
            &frames,
            &plain,
        );
        println!(
            "{}: {} frames, {} with a face",
            clip.file_name().unwrap().to_string_lossy(),
            frames.len(),
            every.iter().flatten().count()
        );
        for &(max_change, max_frames) in &rules {
            let mut eyes =
                EyeRefiner::new(models.iris.session.clone()).with_reuse(max_change, max_frames);
            let reused = openings(&mut eyes, &frames, &plain);
            let mut errors: Vec<f32> = reused
                .iter()
                .zip(&every)
                .filter_map(|(r, e)| Some((r.as_ref()?, e.as_ref()?)))
                .flat_map(|(r, e)| [(r[0] - e[0]).abs(), (r[1] - e[1]).abs()])
                .collect();
            if errors.is_empty() {
                println!("  no face tracked");
                continue;
            }
            errors.sort_by(f32::total_cmp);
            let mean = errors.iter().sum::<f32>() / errors.len() as f32;
            let p99 = errors[(errors.len() - 1) * 99 / 100];
            let over = errors.iter().filter(|&&e| e > 0.03).count();
            println!(
                "  rule {max_change},{max_frames}: model on {:5.1} % of eye crops; opening error mean {mean:.4}, \
                 99th percentile {p99:.4}, largest {:.4}, over 0.03: {over}",
                100.0 * eyes.runs as f64 / (eyes.runs + eyes.reuses).max(1) as f64,
                errors[errors.len() - 1],
            );
        }
    }
}
