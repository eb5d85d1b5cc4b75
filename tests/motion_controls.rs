//! Motion controls and awkward avatars, end to end: the region selector, an avatar pictured with
//! its mouth open, an avatar pictured with its eyes closed.

mod common;

use common::*;
use gstfacereenact::avatar::AvatarModel;
use gstfacereenact::engine::mesh_avatar::MeshAvatar;
use gstfacereenact::face::mesh_topology::{LEFT_EYE, LIPS_INNER, RIGHT_EYE};
use gstfacereenact::face::opening_measures::mouth_opening_of;
use gstfacereenact::face::FaceLandmarks;
use gstfacereenact::motion::foldover::FoldGuard;
use gstfacereenact::motion::openings::{face_axes, LEFT_LID_PAIRS, RIGHT_LID_PAIRS};
use gstfacereenact::motion::pose::head_pose;
use gstfacereenact::quality::{mouth_opening, pearson};

/// Head roll of each frame relative to the first, degrees (Umeyama pose on rigid points).
fn rolls(lms: &[&FaceLandmarks]) -> Vec<f32> {
    lms.iter()
        .map(|l| {
            head_pose(&lms[0].points, &l.points)
                .map(|p| p.roll_yaw_pitch_deg().0)
                .unwrap_or(0.0)
        })
        .collect()
}

fn range(v: &[f32]) -> f32 {
    v.iter().cloned().fold(f32::MIN, f32::max) - v.iter().cloned().fold(f32::MAX, f32::min)
}

/// (actor, output) landmarks of the frames where both have a face.
fn paired(actor: &[Frame], out: &[Frame]) -> Vec<(FaceLandmarks, FaceLandmarks)> {
    landmarks_of(actor)
        .into_iter()
        .zip(landmarks_of(out))
        .filter_map(|(a, o)| Some((a?, o?)))
        .collect()
}

#[test]
fn motion_region_lips_moves_only_the_mouth_and_pose_only_the_head() {
    let actor_path = demo_media("carphone_pristine.mp4");
    let avatar = demo_media("astronaut.png");
    let actor = decode(&actor_path);

    let lips = reenact(&actor_path, &avatar, "motion-region=lips");
    let pairs = paired(&actor, &lips);
    assert!(pairs.len() >= 110, "faces in {} frames", pairs.len());
    let a: Vec<&FaceLandmarks> = pairs.iter().map(|p| &p.0).collect();
    let o: Vec<&FaceLandmarks> = pairs.iter().map(|p| &p.1).collect();
    let actor_roll = range(&rolls(&a));
    let mouth = |v: &[&FaceLandmarks]| v.iter().map(|l| mouth_opening(l)).collect::<Vec<_>>();
    let lips_mouth = pearson(&mouth(&a), &mouth(&o)).unwrap();
    let lips_roll = range(&rolls(&o));
    println!("actor roll range {actor_roll:.1}°; lips: mouth corr {lips_mouth:.3}, output roll range {lips_roll:.1}°");
    // The carphone actor rolls his head through about 20 degrees; the lips-only avatar holds
    // its head within landmark noise and still talks.
    assert!(actor_roll > 10.0, "the actor's head moves: {actor_roll}");
    assert!(
        lips_roll < 3.0,
        "lips only: the head stays, roll range {lips_roll}"
    );
    assert!(
        lips_mouth >= 0.8,
        "lips only: the mouth follows, {lips_mouth}"
    );

    let pose = reenact(&actor_path, &avatar, "motion-region=pose");
    let pairs = paired(&actor, &pose);
    let a: Vec<&FaceLandmarks> = pairs.iter().map(|p| &p.0).collect();
    let o: Vec<&FaceLandmarks> = pairs.iter().map(|p| &p.1).collect();
    let roll_corr = pearson(&rolls(&a), &rolls(&o)).unwrap();
    let (actor_mouth, out_mouth) = (range(&mouth(&a)), range(&mouth(&o)));
    println!(
        "pose: roll corr {roll_corr:.3}, mouth range actor {actor_mouth:.3} output {out_mouth:.3}"
    );
    assert!(
        roll_corr >= 0.9,
        "pose only: the head follows, roll corr {roll_corr}"
    );
    assert!(
        out_mouth < 0.5 * actor_mouth,
        "pose only: the mouth keeps still ({out_mouth} vs the actor's {actor_mouth})"
    );
}

#[test]
fn an_avatar_pictured_with_its_mouth_open_closes_it_with_the_actor() {
    let avatar =
        AvatarModel::load(&shared_media("avatar/astronaut_512.png"), &mut tracker()).unwrap();
    let pictured = mouth_opening(&avatar.landmarks);
    let neutral = mouth_opening_of(&MeshAvatar::of(&avatar).neutral);
    println!("astronaut mouth opening: pictured {pictured:.3}, neutral {neutral:.3}");
    assert!(
        pictured > 0.05,
        "the astronaut smiles with her teeth showing: {pictured}"
    );
    assert!(
        neutral < 0.005,
        "her neutral pose has the lips together: {neutral}"
    );

    // Through the element: while the carphone actor's mouth is closed, hers is closed too.
    let actor_path = demo_media("carphone_pristine.mp4");
    let actor = decode(&actor_path);
    let out = reenact(&actor_path, &shared_media("avatar/astronaut_512.png"), "");
    let closed: Vec<f32> = paired(&actor, &out)
        .iter()
        .filter(|(a, _)| mouth_opening(a) < 0.03)
        .map(|(_, o)| mouth_opening(o))
        .collect();
    assert!(
        closed.len() >= 10,
        "frames with the actor's mouth closed: {}",
        closed.len()
    );
    let mean = closed.iter().sum::<f32>() / closed.len() as f32;
    println!(
        "output mouth opening while the actor's is closed: mean {mean:.3} over {} frames",
        closed.len()
    );
    assert!(
        mean < 0.6 * pictured,
        "closed with the actor: {mean} vs pictured {pictured}"
    );
}

#[test]
fn an_avatar_pictured_with_closed_eyes_keeps_its_lids_together() {
    let path = shared_media("avatar/eyes_closed_480.png");
    let avatar = AvatarModel::load(&path, &mut tracker()).unwrap();
    let gap = |p: &[[f32; 3]], pairs: &[(usize, usize); 7]| {
        let (u, l) = pairs[3];
        (p[l][1] - p[u][1]) / (p[263][0] - p[33][0]).abs()
    };
    let pictured = [
        gap(&avatar.landmarks.points, &RIGHT_LID_PAIRS),
        gap(&avatar.landmarks.points, &LEFT_LID_PAIRS),
    ];
    println!("eyes_closed_480 lid gaps: {pictured:?}");
    let actor_path = demo_media("carphone_pristine.mp4");
    let out = reenact(&actor_path, &path, "");
    assert_eq!(out.len(), 120, "every frame comes out");
    let mut t = tracker();
    let (mut widest, mut narrowest, mut faces) = (0.0f32, f32::MAX, 0);
    for f in &out {
        if let Some(l) = t.track(&f.image, f.par).unwrap() {
            faces += 1;
            for pairs in [&RIGHT_LID_PAIRS, &LEFT_LID_PAIRS] {
                widest = widest.max(gap(&l.points, pairs));
                narrowest = narrowest.min(gap(&l.points, pairs));
            }
        }
    }
    println!("output lid gaps from {narrowest:.3} to {widest:.3} in {faces} faces");
    assert!(faces >= 110, "the output stays a face: {faces}");
    // The landmarker reads these closed, eyelined lids as a narrow opening (0.06-0.08 of the
    // eye-corner distance, an open eye reads 0.1 or more). Lids that tore or folded over would
    // read negative; eyes pulled open to stare would read well above the picture's gap.
    let pictured_max = pictured[0].max(pictured[1]);
    assert!(narrowest > -0.01, "lids never cross: {narrowest}");
    assert!(
        widest < 1.5 * pictured_max,
        "the closed eyes never open to a stare: {widest} vs pictured {pictured_max}"
    );
}

/// Lower outer lip, centre and both sides (MediaPipe face-mesh indices).
const LOWER_OUTER_LIP: [usize; 9] = [146, 91, 181, 84, 17, 314, 405, 321, 375];

#[test]
fn a_lip_pushed_into_the_chin_drags_the_chin_along_instead_of_folding() {
    let avatar = AvatarModel::load(
        &shared_media("avatar/mona_lisa_720x1280.jpg"),
        &mut tracker(),
    )
    .unwrap();
    let neutral = &MeshAvatar::of(&avatar).neutral;
    let (_, down, io) = face_axes(neutral);
    // An opening mouth whose lower lip moves down by 0.12 eye-corner distances while the skin
    // under it stays: the rows under the lip turn over.
    let push = 0.12 * io;
    let mut target = neutral.clone();
    for &i in &LOWER_OUTER_LIP {
        target[i][0] += down.x * push;
        target[i][1] += down.y * push;
    }
    let folded = FoldGuard::folded(&target, neutral);
    assert!(folded > 0, "the push should turn triangles over");
    let mut guard = FoldGuard::new();
    let before = target.clone();
    guard.unfold(&mut target, neutral);
    assert_eq!(guard.last_folded, folded);
    assert_eq!(FoldGuard::folded(&target, neutral), 0, "still folded");
    // Eyelids and inner lips are not moved.
    for i in LIPS_INNER.iter().chain(&RIGHT_EYE).chain(&LEFT_EYE) {
        assert_eq!(target[*i], before[*i], "landmark {i} moved");
    }
    // The lip keeps most of its motion; the chin under it comes along.
    let moved = |i: usize| {
        ((target[i][0] - neutral[i][0]) * down.x + (target[i][1] - neutral[i][1]) * down.y) / io
    };
    let lip = LOWER_OUTER_LIP.iter().map(|&i| moved(i)).sum::<f32>() / 9.0;
    assert!(
        lip > 0.06,
        "lip moved {lip} eye-corner distances, pushed 0.12"
    );
    for i in [18, 83, 313] {
        assert!(moved(i) > 0.005, "chin landmark {i} moved {}", moved(i));
    }
    // A target without folds is left exactly as it is.
    let mut calm = neutral.clone();
    for &i in &LOWER_OUTER_LIP {
        calm[i][1] += 0.01 * io;
    }
    let unchanged = calm.clone();
    guard.unfold(&mut calm, neutral);
    assert_eq!(calm, unchanged);
}
