//! `actor-choice=speaking`: the element follows the face that talks, not the largest one. Inputs
//! are built here from the real clips (never stored): two people side by side in a 640x360
//! frame, the larger face on the left, each either live (talking: the woman of
//! talk_wink_480.mp4) or still (one frame held: silent).
//! Which face the element follows is read from the `facereenact/actor` structure of the face
//! meta on each output buffer, as an application would.

mod common;

use gst_video::VideoRegionOfInterestMeta;
use image::{imageops, RgbImage};

/// Frame size and rate of the built scenes.
const W: u32 = 640;
const H: u32 = 360;
const FPS: u64 = 30;

/// First frame of talk_wink_480.mp4 used: she starts talking at about 1.5 s.
const TALK_FROM: usize = 45;

/// The people's frames: the woman talking (talk_wink_480.mp4 from [`TALK_FROM`] on, 300x300:
/// face about 130 px wide) and the man of glasses_512x480.mp4 on his first frame (320x300: face
/// about 180 px wide), as a silent listener.
struct People {
    woman: Vec<RgbImage>,
    man: RgbImage,
}

fn people(frames: usize) -> People {
    let decode = |name: &str, w: u32, h: u32, n: usize| -> Vec<RgbImage> {
        common::decode_scaled(&common::shared_media(name), w, h, n)
            .into_iter()
            .map(|f| f.image)
            .collect()
    };
    let mut woman = decode("driving/talk_wink_480.mp4", 300, 300, TALK_FROM + frames);
    assert_eq!(woman.len(), TALK_FROM + frames);
    woman.drain(..TALK_FROM);
    let man = decode("driving/glasses_512x480.mp4", 320, 300, 1).remove(0);
    People { woman, man }
}

/// The woman at 200x200 (face about 85 px wide).
fn small(img: &RgbImage) -> RgbImage {
    imageops::resize(img, 200, 200, imageops::FilterType::Triangle)
}

/// The scene: a grey room, the left person's picture (at most 320x300) at (0, 30), the right
/// one's (at most 200x200) at (400, 80).
fn scene(left: &RgbImage, right: &RgbImage) -> RgbImage {
    let mut out = RgbImage::from_pixel(W, H, image::Rgb([96, 100, 104]));
    imageops::replace(&mut out, left, 0, 30);
    imageops::replace(&mut out, right, 400, 80);
    out
}

/// What one output frame says: the x centre of the followed face's box in the input (`None`
/// without a face) and the centre of the drawn face's box in the output.
struct Followed {
    actor_x: Option<f64>,
    drawn: Option<(f64, f64)>,
}

/// Runs the element with `actor-choice=choice` on `frames` scenes, `picture(f)` giving frame
/// `f`'s, and reads each output frame's face meta.
fn run(choice: &str, frames: usize, picture: impl Fn(usize) -> RgbImage) -> Vec<Followed> {
    let avatar = common::shared_media("avatar/astronaut_512.png");
    let mut h = common::reenact_harness(
        &avatar,
        &[("actor-choice", choice)],
        &format!("width={W},height={H},framerate={FPS}/1"),
    );
    let ns = 1_000_000_000 / FPS;
    let mut out = Vec::new();
    for f in 0..frames {
        let img = picture(f);
        let pts = gst::ClockTime::from_nseconds(f as u64 * ns);
        h.push(common::rgbx_buffer(
            &img,
            Some(pts),
            Some(gst::ClockTime::from_nseconds(ns)),
        ))
        .unwrap();
        let buf = h.pull().expect("one output per input");
        let meta = buf.meta::<VideoRegionOfInterestMeta>();
        let actor_x = meta.as_ref().and_then(|m| {
            let a = m.param("facereenact/actor")?;
            let x = a.get::<u32>("x").ok()? as f64;
            let w = a.get::<u32>("width").ok()? as f64;
            Some(x + w / 2.0)
        });
        let drawn = meta.map(|m| {
            let (x, y, w, h) = m.rect();
            (x as f64 + w as f64 / 2.0, y as f64 + h as f64 / 2.0)
        });
        out.push(Followed { actor_x, drawn });
    }
    out
}

/// Which person a box centre is: the left one's face lies left of x = 320, the right one's
/// right of 400.
fn side(f: &Followed) -> Option<char> {
    f.actor_x.map(|x| if x < 360.0 { 'L' } else { 'R' })
}

/// The followed side per frame as a run-length string, e.g. "L x 45, R x 45".
fn timeline(sides: &[Option<char>]) -> String {
    let mut runs: Vec<(Option<char>, usize)> = Vec::new();
    for &s in sides {
        match runs.last_mut() {
            Some((c, n)) if *c == s => *n += 1,
            _ => runs.push((s, 1)),
        }
    }
    runs.iter()
        .map(|(c, n)| format!("{} x {n}", c.unwrap_or('-')))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn the_smaller_talking_face_is_followed_not_the_larger_silent_one() {
    let frames = 3 * FPS as usize;
    let p = people(frames);
    // The man on the left silent (one frame), the woman on the right talking.
    let picture = |f: usize| scene(&p.man, &small(&p.woman[f]));
    let out = run("speaking", frames, picture);
    let speaking: Vec<Option<char>> = out.iter().map(side).collect();
    println!("speaking: {}", timeline(&speaking));
    // The larger face is found first (as with largest), then the talker is taken within 2 s and
    // kept.
    assert_eq!(speaking[0], Some('L'), "{}", timeline(&speaking));
    let from = 2 * FPS as usize;
    assert!(
        speaking[from..].iter().all(|&s| s == Some('R')),
        "the talker followed from 2 s on: {}",
        timeline(&speaking)
    );
    // The change of face is a new shot: the avatar's head does not jump to where the other face
    // is (its drawn box moves no more at the switch than while one face is followed).
    let steps: Vec<f64> = out
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0].drawn.expect("meta"), w[1].drawn.expect("meta"));
            ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
        })
        .collect();
    let switch = speaking.iter().position(|&s| s == Some('R')).unwrap();
    let at_switch = steps[switch - 1];
    let most_else = steps
        .iter()
        .enumerate()
        .filter(|&(k, _)| k + 1 != switch)
        .map(|(_, &s)| s)
        .fold(0.0, f64::max);
    println!("drawn face step at the switch {at_switch:.2} px, most elsewhere {most_else:.2} px");
    assert!(
        at_switch <= most_else.max(2.0),
        "the avatar jumped {at_switch:.2} px at the switch (at most {most_else:.2} elsewhere)"
    );
    // Today's rule: the larger face, all along.
    let largest: Vec<Option<char>> = run("largest", frames, picture).iter().map(side).collect();
    println!("largest: {}", timeline(&largest));
    assert!(
        largest.iter().all(|&s| s == Some('L')),
        "{}",
        timeline(&largest)
    );
}

#[test]
fn turns_are_followed_within_two_seconds_and_only_turns_switch() {
    // 14 s, the woman twice: the larger one on the left talks for 4 s while the smaller one on
    // the right is still (one frame held), then the right one talks for 4 s while the left one
    // is still, then the left one, then the right one. Each talks where the other stopped in
    // the clip, so that they never say the same thing.
    let turn = 4 * FPS as usize;
    let frames = 14 * FPS as usize;
    let p = people(frames);
    let sides: Vec<Option<char>> = run("speaking", frames, |f| {
        // The frame each one shows: the live one moves on, the other holds its last one.
        let k = f / turn;
        let (mut left, mut right) = (0, 0);
        for seg in 0..=k {
            let end = if seg == k { f } else { (seg + 1) * turn - 1 };
            let played = (seg / 2) * turn + (end - seg * turn);
            if seg % 2 == 0 {
                left = played;
            } else {
                right = played + 2 * turn;
            }
        }
        scene(&p.woman[left], &small(&p.woman[right.min(frames - 1)]))
    })
    .iter()
    .map(side)
    .collect();
    println!("speaking, turns every 4 s: {}", timeline(&sides));
    let switches: Vec<(usize, char)> = sides
        .windows(2)
        .enumerate()
        .filter_map(|(f, w)| match (w[0], w[1]) {
            (Some(a), Some(b)) if a != b => Some((f + 1, b)),
            _ => None,
        })
        .collect();
    println!("switches (frame, side): {switches:?}");
    assert!(
        sides.iter().all(|s| s.is_some()),
        "a face in every frame: {}",
        timeline(&sides)
    );
    assert_eq!(sides[0], Some('L'));
    // One switch per change of speaker (three), each within 2 s after it, to the new speaker.
    assert_eq!(switches.len(), 3, "{}", timeline(&sides));
    for (k, &(f, to)) in switches.iter().enumerate() {
        let change = (k + 1) * turn;
        assert_eq!(to, if k % 2 == 0 { 'R' } else { 'L' }, "{switches:?}");
        assert!(
            f > change && f - change <= 2 * FPS as usize,
            "turn at frame {change} followed at frame {f}"
        );
    }
}
