//! End to end: real actor videos through a real pipeline, output checked the way a viewer would.

mod common;

use common::*;
use gstfacereenact::engine::mesh_avatar::MeshAvatar;
use gstfacereenact::quality::{eye_opening, mouth_opening, pearson};

/// Facts about one run of the element, measured with the project's own landmarker.
struct Run {
    frames_in: usize,
    frames_out: usize,
    mouth_corr: f32,
    eye_corr: f32,
    background_mad: f64,
    faces_found_in_output: usize,
}

fn run(actor: &std::path::Path, avatar_path: &std::path::Path) -> Run {
    let actor_frames = decode(actor);
    let out = reenact(actor, avatar_path, "");
    let avatar = load_avatar(avatar_path);
    let (aw, ah) = avatar.size();

    // One output frame per input frame, avatar-sized, same timestamps and durations.
    assert_eq!(
        out.len(),
        actor_frames.len(),
        "one output frame per input frame"
    );
    for (o, a) in out.iter().zip(&actor_frames) {
        assert_eq!(
            o.image.dimensions(),
            (aw, ah),
            "output has the avatar's size"
        );
        assert_eq!(o.pts, a.pts, "PTS passes through");
        assert_eq!(o.duration, a.duration, "duration passes through");
    }

    // Far from the face the avatar picture is untouched.
    let (x0, y0, x1, y1) = MeshAvatar::of(&avatar).mesh.moving_region();
    let outside = |x: u32, y: u32| {
        let (x, y) = (x as f32, y as f32);
        x < x0 - 2.0 || x > x1 + 2.0 || y < y0 - 2.0 || y > y1 + 2.0
    };
    let background_mad = out
        .iter()
        .map(|o| mean_abs_diff(&o.image, &avatar.image, outside))
        .fold(0.0f64, f64::max);

    let actor_lm = landmarks_of(&actor_frames);
    let out_lm = landmarks_of(&out);
    let (mut am, mut om, mut ae, mut oe) = (vec![], vec![], vec![], vec![]);
    for (a, o) in actor_lm.iter().zip(&out_lm) {
        if let (Some(a), Some(o)) = (a, o) {
            am.push(mouth_opening(a));
            om.push(mouth_opening(o));
            let (ea, eo) = (eye_opening(a), eye_opening(o));
            ae.push(ea[0] + ea[1]);
            oe.push(eo[0] + eo[1]);
        }
    }
    let r = Run {
        frames_in: actor_frames.len(),
        frames_out: out.len(),
        mouth_corr: pearson(&am, &om).unwrap_or(f32::NAN),
        eye_corr: pearson(&ae, &oe).unwrap_or(f32::NAN),
        background_mad,
        faces_found_in_output: out_lm.iter().flatten().count(),
    };
    println!(
        "{} + {}: {} frames in, {} out, face in {} outputs, mouth corr {:.3}, eye corr {:.3}, background MAD {:.3}/255",
        actor.file_name().unwrap().to_string_lossy(),
        avatar_path.file_name().unwrap().to_string_lossy(),
        r.frames_in,
        r.frames_out,
        r.faces_found_in_output,
        r.mouth_corr,
        r.eye_corr,
        r.background_mad
    );
    r
}

// Bounds. The output is measured with the same landmarker as the actor, so landmark noise enters
// twice. Measured (2026-11-29, session 2): mouth 0.97 carphone, 0.87 talk_wink, 0.99 grin; eyes
// 0.89 talk_wink. A mouth that does not follow the actor gives a correlation near 0; with smoothing that
// lags by a few frames (One-Euro at the paper's 1 Hz derivative cut-off) talk_wink dropped to
// 0.78 mouth / 0.75 eyes: the bounds separate "talking like the actor" from both.
const MOUTH_CORR_MIN: f32 = 0.8;
// Blinks are short (3-6 frames); a lagging or missing blink costs most of this correlation.
const EYE_CORR_MIN: f32 = 0.8;
// Pixels outside the warp's outer ring are copied from the avatar: any difference is a bug.
const BACKGROUND_MAD_MAX: f64 = 0.5;

/// What every run must show: a face in at least `min_faces` output frames, the background far
/// from the face untouched, and the mouth following the actor's.
fn assert_follows_the_actor(r: &Run, min_faces: usize) {
    assert!(
        r.faces_found_in_output >= min_faces,
        "the output stays a face: {}",
        r.faces_found_in_output
    );
    assert!(
        r.background_mad <= BACKGROUND_MAD_MAX,
        "background changed: {}",
        r.background_mad
    );
    assert!(
        r.mouth_corr >= MOUTH_CORR_MIN,
        "mouth correlation {}",
        r.mouth_corr
    );
}

#[test]
fn demo_media_carphone_drives_the_astronaut() {
    let r = run(
        &demo_media("carphone_pristine.mp4"),
        &demo_media("astronaut.png"),
    );
    assert_eq!(r.frames_in, 120);
    assert_eq!(r.frames_out, 120);
    assert_follows_the_actor(&r, 114);
}

#[test]
fn shared_media_talk_wink_drives_the_astronaut_mouth_and_eyes() {
    let r = run(
        &shared_media("driving/talk_wink_480.mp4"),
        &shared_media("avatar/astronaut_512.png"),
    );
    assert_eq!(r.frames_out, 1008);
    assert_follows_the_actor(&r, 1000);
    assert!(r.eye_corr >= EYE_CORR_MIN, "eye correlation {}", r.eye_corr);
}

#[test]
fn shared_media_grin_drives_a_painting() {
    let r = run(
        &shared_media("driving/grin_512.mp4"),
        &shared_media("avatar/mona_lisa_720x1280.jpg"),
    );
    assert_eq!(r.frames_out, 78);
    assert_follows_the_actor(&r, 76);
}

#[test]
fn every_frame_carries_the_pose_it_drew_and_the_drawn_pose_follows_the_actor() {
    let actor = shared_media("driving/grin_512.mp4");
    let (out, drawn) = reenact_drawn(&actor, &shared_media("avatar/astronaut_512.png"), "");
    println!(
        "drawn poses: {} for {} frames",
        drawn.iter().flatten().count(),
        out.len()
    );
    assert_eq!(drawn.len(), out.len(), "one slot per output frame");
    let landmarks: Vec<_> = drawn
        .iter()
        .map(|d| d.as_ref().map(|d| &d.landmarks))
        .collect();
    assert_eq!(landmarks.len(), out.len(), "drawn landmarks too");
    assert!(landmarks.iter().all(|l| l.is_some_and(|l| l.len() == 468)));
    let actor_lm = landmarks_of(&decode(&actor));
    let (mut actor_mouth, mut drawn_mouth) = (vec![], vec![]);
    for (a, d) in actor_lm.iter().zip(&drawn) {
        let d = d
            .as_ref()
            .expect("every frame of grin_512 has a face, so a drawn pose");
        assert!(
            d.roll_yaw_pitch.0.abs() < 5.0,
            "grin_512 barely turns: roll, yaw, pitch {:?}",
            d.roll_yaw_pitch
        );
        if let Some(a) = a {
            actor_mouth.push(mouth_opening(a));
            drawn_mouth.push(d.mouth);
        }
    }
    // The drawn mouth is the actor's, smoothed and transferred: much closer than the 0.8 that
    // the landmarker's reading of the output must reach.
    let corr = pearson(&actor_mouth, &drawn_mouth).unwrap_or(f32::NAN);
    assert!(corr >= 0.95, "drawn mouth correlation {corr}");
}
