//! `motion-reference`: with `camera` (the default) the avatar faces the camera whenever the actor
//! does, whatever pose the stream opens with; with `first-frame` (LivePortrait's relative
//! motion) it stays turned by the first frame's pose.

mod common;

use common::*;
use gstfacereenact::motion::camera_pose::camera_pose;

/// Per frame of `actor`: the actor's yaw and pitch relative to facing the camera (degrees, from
/// the project's landmarker), `None` without a face.
fn actor_poses(frames: &[Frame]) -> Vec<Option<(f32, f32)>> {
    landmarks_of(frames)
        .iter()
        .map(|lm| {
            let pose = camera_pose(&lm.as_ref()?.points)?;
            let (_, yaw, pitch) = pose.roll_yaw_pitch_deg();
            Some((yaw, pitch))
        })
        .collect()
}

/// The yaw the element drew on each frame (relative to the avatar as pictured, degrees).
fn drawn_yaws(actor: &std::path::Path, avatar: &std::path::Path, props: &str) -> Vec<Option<f32>> {
    let drawn = capture_drawn();
    let frames = reenact(actor, avatar, props);
    let drawn = drawn.lock().unwrap();
    (0..frames.len())
        .map(|i| {
            let pose = drawn.poses.get(i)?.as_ref()?;
            Some(pose.roll_yaw_pitch.1)
        })
        .collect()
}

#[test]
fn a_turned_first_frame_does_not_leave_the_avatar_turned() {
    init();
    let actor = shared_media("driving/turned_start_512.mp4");
    let avatar = shared_media("avatar/astronaut_512.png");
    let frames = decode(&actor);
    let poses = actor_poses(&frames);
    let (first_yaw, _) = poses[0].expect("a face in the first frame");
    assert!(
        first_yaw.abs() > 12.0,
        "the clip opens in a three-quarter view: yaw {first_yaw}"
    );
    // Frames where the actor faces the camera (within 5 degrees), after the first second.
    let facing: Vec<usize> = poses
        .iter()
        .enumerate()
        .skip(30)
        .filter_map(|(i, p)| {
            p.filter(|(y, p)| y.abs() < 5.0 && p.abs() < 10.0)
                .map(|_| i)
        })
        .collect();
    assert!(
        facing.len() >= 20,
        "the actor faces the camera in {} frames",
        facing.len()
    );
    let camera = drawn_yaws(&actor, &avatar, "");
    let relative = drawn_yaws(&actor, &avatar, "motion-reference=first-frame");
    let worst = |drawn: &[Option<f32>]| {
        facing
            .iter()
            .filter_map(|&i| drawn.get(i).copied().flatten())
            .map(f32::abs)
            .fold(0.0f32, f32::max)
    };
    let mean = |drawn: &[Option<f32>]| {
        let v: Vec<f32> = facing
            .iter()
            .filter_map(|&i| drawn.get(i).copied().flatten())
            .map(f32::abs)
            .collect();
        v.iter().sum::<f32>() / v.len().max(1) as f32
    };
    println!(
        "first frame yaw {first_yaw:.1}; {} facing frames: drawn |yaw| mean {:.1} max {:.1} \
         (camera), mean {:.1} max {:.1} (first-frame)",
        facing.len(),
        mean(&camera),
        worst(&camera),
        mean(&relative),
        worst(&relative)
    );
    assert!(
        worst(&camera) < 8.0,
        "camera: the avatar faces the camera when the actor does (worst {})",
        worst(&camera)
    );
    assert!(
        mean(&relative) > 12.0,
        "first-frame stays relative to the turned first frame (mean {})",
        mean(&relative)
    );
}
