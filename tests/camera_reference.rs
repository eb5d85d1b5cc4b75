//! `motion-reference`: with `camera` (the default) the avatar faces the camera whenever the actor
//! does, whatever pose the stream opens with; with `first-frame` (LivePortrait's relative
//! motion) it stays turned by the first frame's pose.

mod common;

use std::path::Path;

use common::*;
use gstfacereenact::facereenact::face_meta::DrawnFace;
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

/// The yaw the element drew on each frame (relative to the avatar as pictured, degrees), `None`
/// where it did not re-pose the avatar.
fn yaws_of(drawn: &[Option<DrawnFace>]) -> Vec<Option<f32>> {
    drawn
        .iter()
        .map(|d| Some(d.as_ref()?.roll_yaw_pitch.1))
        .collect()
}

/// The yaws the element drew on `actor` (a file) with `props`.
fn drawn_yaws(actor: &Path, avatar: &Path, props: &str) -> Vec<Option<f32>> {
    yaws_of(&reenact_drawn(actor, avatar, props).1)
}

/// What the element drew on each of `frames` (30 frames a second) with `props`.
fn drawn_on(frames: &[Frame], avatar: &Path, props: &[(&str, &str)]) -> Vec<Option<DrawnFace>> {
    let (w, h) = frames[0].image.dimensions();
    let mut harness = reenact_harness(
        avatar,
        props,
        &format!("width={w},height={h},framerate=30/1"),
    );
    let step = gst::ClockTime::from_nseconds(1_000_000_000 / 30);
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| push_pull_drawn(&mut harness, &f.image, Some(step * i as u64), Some(step)).1)
        .collect()
}

/// The yaws the element drew on `frames` (30 frames a second) with `props`.
fn drawn_yaws_of(frames: &[Frame], avatar: &Path, props: &[(&str, &str)]) -> Vec<Option<f32>> {
    yaws_of(&drawn_on(frames, avatar, props))
}

/// The frames from `from` on where the actor faces the camera (within 5 degrees of yaw and 10 of
/// pitch).
fn facing_frames(poses: &[Option<(f32, f32)>], from: usize) -> Vec<usize> {
    poses
        .iter()
        .enumerate()
        .skip(from)
        .filter_map(|(i, p)| {
            p.filter(|(y, p)| y.abs() < 5.0 && p.abs() < 10.0)
                .map(|_| i)
        })
        .collect()
}

/// Mean and largest drawn |yaw| over `frames`.
fn yaw_stats(drawn: &[Option<f32>], frames: &[usize]) -> (f32, f32) {
    let v: Vec<f32> = frames
        .iter()
        .filter_map(|&i| drawn.get(i).copied().flatten())
        .map(f32::abs)
        .collect();
    let mean = v.iter().sum::<f32>() / v.len().max(1) as f32;
    (mean, v.iter().copied().fold(0.0, f32::max))
}

#[test]
fn a_turned_first_frame_does_not_leave_the_avatar_turned() {
    let actor = shared_media("driving/turned_start_512.mp4");
    let avatar = shared_media("avatar/astronaut_512.png");
    let frames = decode(&actor);
    let poses = actor_poses(&frames);
    let (first_yaw, _) = poses[0].expect("a face in the first frame");
    assert!(
        first_yaw.abs() > 12.0,
        "the clip opens in a three-quarter view: yaw {first_yaw}"
    );
    // Frames where the actor faces the camera, after the first second.
    let facing = facing_frames(&poses, 30);
    assert!(
        facing.len() >= 20,
        "the actor faces the camera in {} frames",
        facing.len()
    );
    let camera = yaw_stats(&drawn_yaws(&actor, &avatar, ""), &facing);
    let relative = yaw_stats(
        &drawn_yaws(&actor, &avatar, "motion-reference=first-frame"),
        &facing,
    );
    compare(
        &format!("turned start (first frame yaw {first_yaw:.1})"),
        facing.len(),
        camera,
        relative,
    );
}

/// Prints the drawn |yaw| (mean, largest) over `facing` frames with both references, and asserts
/// that `camera` faces the camera while `first-frame` stays turned.
fn compare(what: &str, facing: usize, camera: (f32, f32), relative: (f32, f32)) {
    println!(
        "{what}: {facing} frames facing the camera: drawn |yaw| mean {:.1} max {:.1} (camera), \
         mean {:.1} max {:.1} (first-frame)",
        camera.0, camera.1, relative.0, relative.1
    );
    assert!(
        camera.1 < 8.0,
        "{what}: camera: the avatar faces the camera: {camera:?}"
    );
    assert!(
        relative.0 > 12.0,
        "{what}: first-frame: turned by the first frame: {relative:?}"
    );
}

#[test]
fn a_shot_opening_turned_after_a_cut_does_not_leave_the_avatar_turned() {
    // Three seconds of a man facing the camera, cut to the turned start of another person.
    let mut frames = decode_scaled(&shared_media("driving/glasses_512x480.mp4"), 512, 512, 90);
    let first_shot = frames.len();
    frames.extend(decode_scaled(
        &shared_media("driving/turned_start_512.mp4"),
        512,
        512,
        189,
    ));
    let poses = actor_poses(&frames);
    let (cut_yaw, _) = poses[first_shot].expect("a face after the cut");
    assert!(
        cut_yaw.abs() > 12.0,
        "the second shot opens turned: {cut_yaw}"
    );
    // Where the actor faces the camera from a third of a second after the cut.
    let facing = facing_frames(&poses, first_shot + 10);
    let avatar = shared_media("avatar/mona_lisa_720x1280.jpg");
    let camera = yaw_stats(&drawn_yaws_of(&frames, &avatar, &[]), &facing);
    let relative = yaw_stats(
        &drawn_yaws_of(&frames, &avatar, &[("motion-reference", "first-frame")]),
        &facing,
    );
    compare(
        &format!("cut (second shot opens at yaw {cut_yaw:.1})"),
        facing.len(),
        camera,
        relative,
    );
}

/// Mouth width: the outer mouth corners' distance (61, 291) over the eye-corner distance.
fn mouth_width(p: impl Fn(usize) -> [f32; 2]) -> f32 {
    let d = |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    d(p(61), p(291)) / d(p(33), p(263))
}

#[test]
fn a_stream_opening_mid_smile_does_not_make_the_smile_neutral() {
    // One second of the glasses clip's smile (from frame 300), then its first six seconds.
    let clip = decode_scaled(&shared_media("driving/glasses_512x480.mp4"), 512, 480, 330);
    let mut frames: Vec<Frame> = Vec::new();
    for f in clip[300..330].iter().chain(&clip[..180]) {
        frames.push(Frame {
            image: f.image.clone(),
            pts: None,
            duration: None,
            par: 1.0,
        });
    }
    let actor: Vec<f32> = landmarks_of(&frames)
        .iter()
        .map(|lm| {
            let lm = lm.as_ref().expect("a face in every frame");
            mouth_width(|i| [lm.points[i][0], lm.points[i][1]])
        })
        .collect();
    let avatar = shared_media("avatar/astronaut_512.png");
    let picture = Frame {
        image: image::open(&avatar).unwrap().to_rgb8(),
        pts: None,
        duration: None,
        par: 1.0,
    };
    let pictured = landmarks_of(std::slice::from_ref(&picture))[0]
        .clone()
        .expect("avatar face");
    let rest = mouth_width(|i| [pictured.points[i][0], pictured.points[i][1]]);
    // The last three seconds: the actor talks without smiling.
    let tail = frames.len() - 90..frames.len();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let drawn_widths = |props: &[(&str, &str)]| -> Vec<f32> {
        let drawn = drawn_on(&frames, &avatar, props);
        tail.clone()
            .filter_map(|i| {
                let points = &drawn.get(i)?.as_ref()?.landmarks;
                Some(mouth_width(|k| points[k]))
            })
            .collect()
    };
    let camera = mean(&drawn_widths(&[]));
    let relative = mean(&drawn_widths(&[("motion-reference", "first-frame")]));
    println!(
        "mid-smile start: actor mouth width {:.3} smiling, {:.3} later; avatar {rest:.3} as \
         pictured, drawn later {camera:.3} (camera), {relative:.3} (first-frame)",
        mean(&actor[..30]),
        mean(&actor[tail.clone()]),
    );
    assert!(
        mean(&actor[..30]) > mean(&actor[tail]) + 0.05,
        "the stream opens with a wider (smiling) mouth than later"
    );
    assert!(
        (camera - rest).abs() < 0.5 * (relative - rest).abs(),
        "camera: the avatar's mouth is not pinched by the opening smile ({camera} against \
         {relative} with first-frame, {rest} as pictured)"
    );
}

/// Frontal portraits read as facing the camera (the canonical face's calibration: a user whose
/// actor faces the camera gets the avatar as pictured only if this holds), and a turned one
/// (the Mona Lisa) reads turned.
#[test]
fn frontal_portraits_read_as_facing_the_camera() {
    init();
    let read = |name: &str| {
        let image = image::open(shared_media(&format!("avatar/{name}")))
            .unwrap()
            .to_rgb8();
        let frame = Frame {
            image,
            pts: None,
            duration: None,
            par: 1.0,
        };
        let lm = landmarks_of(std::slice::from_ref(&frame))[0]
            .clone()
            .expect("a face");
        let (_, yaw, pitch) = camera_pose(&lm.points).unwrap().roll_yaw_pitch_deg();
        println!("{name}: yaw {yaw:.1}, pitch {pitch:.1}");
        (yaw, pitch)
    };
    for name in [
        "astronaut_512.png",
        "glasses_beard_400.jpg",
        "bw_photo_2048.jpg",
        "cartoon_852.jpg",
        "gray_tiny_128.jpg",
        "eyes_closed_480.png",
    ] {
        let (yaw, pitch) = read(name);
        assert!(
            yaw.abs() < 6.0 && pitch.abs() < 6.0,
            "{name}: yaw {yaw}, pitch {pitch}"
        );
    }
    let (yaw, _) = read("mona_lisa_720x1280.jpg");
    assert!(yaw.abs() > 12.0, "the Mona Lisa is turned: yaw {yaw}");
}
