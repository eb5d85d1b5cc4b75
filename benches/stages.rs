//! Benchmark: frames per second of each stage and of the whole element on the demo media
//! (carphone actor, astronaut avatar), frames decoded into memory first.
//!
//!     cargo bench --bench stages            (after scripts/setup.sh)
//!     STAGES_ACTOR=tests/media/driving/talk_wink_480.mp4 \
//!       STAGES_AVATAR=tests/media/avatar/astronaut_512.png cargo bench --bench stages
//!
//! `STAGES_ACTOR` and `STAGES_AVATAR` (paths, relative to the checkout or absolute) replace the
//! demo clip and picture.
//!
//! Not a test: it prints figures and asserts nothing about speed.

use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use gst::prelude::*;
use gstfacereenact::avatar::AvatarModel;
use gstfacereenact::engine::mesh_avatar::MeshAvatar;
use gstfacereenact::engine::{EngineSettings, MeshEngine, ReenactEngine};
use gstfacereenact::face::tracker::Thumbnail;
use gstfacereenact::face::{DetectorModel, EyeRefiner, FaceDetector, Landmarker};
use gstfacereenact::models::{default_models_dir, FaceModels};
use gstfacereenact::motion::{MotionTransfer, OneEuroFilter, OneEuroParams};
use gstfacereenact::render::mouth::{colour_match, draw_mouth_interior, skin_colour, MouthSource};
use gstfacereenact::render::CanvasRows;
use gstfacereenact::runtime::ExecutionProvider;

const ROUNDS: usize = 3;

fn report(name: &str, total: Duration, frames: usize) {
    let per = total.as_secs_f64() / frames as f64;
    println!(
        "{name:<28} {:>8.3} ms/frame {:>9.1} frames/s",
        per * 1e3,
        1.0 / per
    );
}

fn time_element(launch: &str) -> f64 {
    let pipeline = gst::parse::launch(launch).unwrap();
    let start = Instant::now();
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    for msg in bus.iter_timed(gst::ClockTime::NONE) {
        match msg.view() {
            gst::MessageView::Eos(_) => break,
            gst::MessageView::Error(e) => panic!("{}", e.error()),
            _ => {}
        }
    }
    let t = start.elapsed().as_secs_f64();
    pipeline.set_state(gst::State::Null).unwrap();
    t
}

fn main() {
    common::init();
    let root = env!("CARGO_MANIFEST_DIR");
    let from_env = |var: &str, default: &str| {
        let p = std::env::var(var).unwrap_or_else(|_| default.to_string());
        if std::path::Path::new(&p).is_absolute() {
            p
        } else {
            format!("{root}/{p}")
        }
    };
    let actor_path = from_env("STAGES_ACTOR", ".deps/media/carphone_pristine.mp4");
    let avatar_path = from_env("STAGES_AVATAR", ".deps/media/astronaut.png");
    let decoded = common::decode(std::path::Path::new(&actor_path));
    let par = decoded[0].par;
    let frames: Vec<_> = decoded.into_iter().map(|f| f.image).collect();
    let n = frames.len() * ROUNDS;
    println!(
        "actor {actor_path}: {} frames {}x{} (par {par:.3}); avatar {avatar_path}; {ROUNDS} rounds, 1 inference thread",
        frames.len(),
        frames[0].width(),
        frames[0].height()
    );

    let models = FaceModels::load(&default_models_dir(), ExecutionProvider::Cpu, 1)
        .expect("models (run scripts/setup.sh)");
    let avatar =
        AvatarModel::load(std::path::Path::new(&avatar_path), &mut models.tracker()).unwrap();

    // Landmarks of every frame, for the stages that need them.
    let mut tracker = models.tracker();
    let lms: Vec<_> = frames
        .iter()
        .map(|f| tracker.track(f, par).unwrap().expect("face").clone())
        .collect();

    let t = Instant::now();
    for _ in 0..ROUNDS {
        for f in &frames {
            std::hint::black_box(Thumbnail::of(f));
        }
    }
    report("cut check (thumbnail)", t.elapsed(), n);

    let mut detector =
        FaceDetector::new(models.detector.session.clone(), DetectorModel::ShortRange);
    let t = Instant::now();
    for _ in 0..ROUNDS {
        for f in &frames {
            std::hint::black_box(detector.detect(f, par, None).unwrap());
        }
    }
    report("detect (BlazeFace short range)", t.elapsed(), n);
    let mut detector = FaceDetector::new(
        models.full_range_detector.session.clone(),
        DetectorModel::FullRange,
    );
    let t = Instant::now();
    for _ in 0..ROUNDS {
        for f in &frames {
            std::hint::black_box(detector.detect(f, par, None).unwrap());
        }
    }
    report("detect (BlazeFace full range)", t.elapsed(), n);

    let mut landmarker = Landmarker::new(models.landmarker.session.clone());
    let t = Instant::now();
    for _ in 0..ROUNDS {
        for (i, f) in frames.iter().enumerate() {
            let roi = lms[i.saturating_sub(1)].tracking_roi();
            std::hint::black_box(landmarker.landmarks(f, par, &roi).unwrap());
        }
    }
    report("landmarks (face mesh)", t.elapsed(), n);

    // One session (the eyes one after the other), then a session per eye (both at once when
    // both need the model), as the element does.
    for (label, mut eyes) in [
        (
            "eyelids (iris model, x2)",
            EyeRefiner::new(models.iris.session.clone()),
        ),
        (
            "  the same, both eyes at once",
            EyeRefiner::with_session_per_eye([
                models.iris.session.clone(),
                models.iris_second.session.clone(),
            ]),
        ),
    ] {
        let t = Instant::now();
        for _ in 0..ROUNDS {
            for (i, f) in frames.iter().enumerate() {
                let mut lm = lms[i].clone();
                std::hint::black_box(eyes.refine(f, par, &mut lm).unwrap());
            }
        }
        report(label, t.elapsed(), n);
        println!(
            "  iris model runs: {} of {} eye crops (the others reused an unchanged eye's output)",
            eyes.runs,
            eyes.runs + eyes.reuses
        );
    }

    let mut motion = MotionTransfer::new();
    let mut filter = OneEuroFilter::new();
    let params = OneEuroParams::default();
    let settings = EngineSettings::default();
    let mut flat = Vec::new();
    let mut targets = Vec::new();
    let t = Instant::now();
    for r in 0..ROUNDS {
        for (i, lm) in lms.iter().enumerate() {
            flat.clear();
            flat.extend(lm.points.iter().flatten());
            filter.filter(
                &mut flat,
                (r * frames.len() + i) as f64 / 30.0,
                lm.interocular(),
                &params,
            );
            let pts: Vec<[f32; 3]> = flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
            let target = motion.target(
                &pts,
                &avatar.landmarks.points,
                &settings.motion,
                (r * frames.len() + i) as f64 / 30.0,
            );
            if r == 0 {
                targets.push(target);
            }
        }
    }
    report("motion (smoothing + pose)", t.elapsed(), n);

    let MeshAvatar { mut mesh, skin, .. } = MeshAvatar::of(&avatar);
    let mut out = avatar.image.clone();
    let t = Instant::now();
    for _ in 0..ROUNDS {
        for target in &targets {
            out.copy_from_slice(&avatar.image);
            mesh.pose(target);
            mesh.sort_by_depth();
            mesh.draw_band(&mut CanvasRows::of(&mut out), &avatar.image);
            mesh.draw_face(&mut CanvasRows::of(&mut out), &avatar.image, false);
        }
    }
    report("warp (canvas copy + mesh)", t.elapsed(), n);

    let t = Instant::now();
    for _ in 0..ROUNDS {
        for (i, target) in targets.iter().enumerate() {
            let colour = colour_match(skin_colour(&frames[i], par, &lms[i].points), skin);
            draw_mouth_interior(
                &mut CanvasRows::of(&mut out),
                MouthSource {
                    image: &avatar.image,
                    par: 1.0,
                    points: &avatar.landmarks.points,
                },
                MouthSource {
                    image: &frames[i],
                    par,
                    points: &lms[i].points,
                },
                &target.points,
                colour,
            );
        }
    }
    report("composite (mouth interior)", t.elapsed(), n);

    let mut engine = MeshEngine::new(models.tracker());
    let t = Instant::now();
    for r in 0..ROUNDS {
        for (i, f) in frames.iter().enumerate() {
            engine
                .process(
                    &avatar,
                    f,
                    par,
                    (r * frames.len() + i) as f64 / 30.0,
                    &settings,
                )
                .unwrap();
        }
    }
    report("whole engine (in memory)", t.elapsed(), n);
    let (searching, runs) = engine.search_counts();
    println!("  frames searched for a face: {searching} of {n} ({runs} model runs)");

    let base = format!(
        "filesrc location={actor_path} ! decodebin ! videoconvert ! video/x-raw,format=RGBx"
    );
    let decode_only = time_element(&format!("{base} ! fakesink sync=false"));
    let with_element = time_element(&format!(
        "{base} ! facereenact avatar={avatar_path} inference-threads=1 ! fakesink sync=false"
    ));
    let per = (with_element - decode_only) / frames.len() as f64;
    println!(
        "{:<28} {:>8.3} ms/frame {:>9.1} frames/s  (pipeline {with_element:.2} s minus decoding {decode_only:.2} s)",
        "whole element (GStreamer)",
        per * 1e3,
        1.0 / per
    );
}
