//! Faces far from the camera: a lecturer at the back of a hall, a performer on a stage, a
//! presenter in a wide shot; several people in the shot; cuts between wide and close shots; long
//! absences. Inputs are built here from the real clips (never stored): talk_wink composited at a
//! chosen face size into 1080p and 4K frames over a picture without a face.
//!
//! "Face width" here is the horizontal extent of the face's 468 landmarks, cheek to cheek; the
//! eye corners are about 0.64 of it apart, a face detector's box is about 1.2 times it.

mod common;

use common::*;
use gstfacereenact::avatar::AvatarModel;
use gstfacereenact::engine::{EngineSettings, FrameOutcome, MeshEngine, ReenactEngine};
use gstfacereenact::face::opening_measures::{eye_opening_of, mouth_opening_of};
use gstfacereenact::face::search::{sweep, Area, DEFAULT_BUDGET};
use gstfacereenact::face::{FaceLandmarks, FrameRegion};
use gstfacereenact::models::FaceModels;
use gstfacereenact::motion::rest::REST_EASE_SECONDS;
use gstfacereenact::quality::{eye_opening, mouth_opening, pearson};
use image::{imageops, RgbImage};

/// Width of a face: the horizontal extent of its 468 landmarks (cheek to cheek), pixels.
fn face_width(points: &[[f32; 3]]) -> f32 {
    let (lo, hi) = points[..468]
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), p| {
            (lo.min(p[0]), hi.max(p[0]))
        });
    hi - lo
}

/// A clip's frames (square, `side` pixels) and the landmarks measured on them at that size.
struct Clip {
    frames: Vec<RgbImage>,
    landmarks: Vec<Option<FaceLandmarks>>,
    /// Median face width in the frames, pixels.
    width: f32,
}

fn clip(name: &str, side: u32, n: usize) -> Clip {
    let frames: Vec<RgbImage> = decode_scaled(&shared_media(name), side, side, n)
        .into_iter()
        .map(|f| f.image)
        .collect();
    let mut t = tracker();
    let landmarks: Vec<Option<FaceLandmarks>> = frames
        .iter()
        .map(|f| t.track(f, 1.0).unwrap().cloned())
        .collect();
    let mut widths: Vec<f32> = landmarks
        .iter()
        .flatten()
        .map(|l| face_width(&l.points))
        .collect();
    widths.sort_by(f32::total_cmp);
    let width = widths[widths.len() / 2];
    Clip {
        frames,
        landmarks,
        width,
    }
}

/// A picture without a face, `w`x`h`: the coffee cup stretched over the frame.
fn backdrop(w: u32, h: u32) -> RgbImage {
    let cup = image::open(shared_media("avatar/no_face_coffee.png"))
        .unwrap()
        .to_rgb8();
    imageops::resize(&cup, w, h, imageops::FilterType::Triangle)
}

/// Pastes `frame` (a clip frame whose faces are `clip_width` wide) onto `out`, scaled so that the
/// face is `face` pixels wide, the frame's centre at (`x`, `y`).
fn paste(out: &mut RgbImage, frame: &RgbImage, clip_width: f32, face: f32, x: f32, y: f32) {
    let side = (frame.width() as f32 * face / clip_width).round().max(1.0) as u32;
    let small = imageops::resize(frame, side, side, imageops::FilterType::Triangle);
    imageops::replace(
        out,
        &small,
        (x - side as f32 / 2.0).round() as i64,
        (y - side as f32 / 2.0).round() as i64,
    );
}

/// Mean absolute second difference over time of the 468 points (x, y), in units of `scale`.
fn jitter(points: &[Vec<[f32; 3]>], scale: f32) -> f32 {
    let (mut sum, mut n) = (0.0, 0);
    for w in points.windows(3) {
        for ((a, b), c) in w[0].iter().zip(&w[1]).zip(&w[2]).take(468) {
            for k in 0..2 {
                sum += (c[k] - 2.0 * b[k] + a[k]).abs();
                n += 1;
            }
        }
    }
    sum / n.max(1) as f32 / scale
}

/// What the engine did with one actor sequence.
#[derive(Default)]
struct Run {
    /// Per frame: the drawn landmarks when the frame was re-posed.
    drawn: Vec<Option<Vec<[f32; 3]>>>,
    /// Per frame: the engine's rendering (only kept when asked for).
    renderings: Vec<RgbImage>,
}

impl Run {
    fn reposed(&self) -> usize {
        self.drawn.iter().flatten().count()
    }

    fn first(&self) -> Option<usize> {
        self.drawn.iter().position(Option::is_some)
    }
}

/// Runs a fresh engine on `frames` (square pixels) at the stream times `times`, seconds.
fn run_engine(
    models: &FaceModels,
    avatar: &AvatarModel,
    frames: impl Iterator<Item = (f64, RgbImage)>,
    settings: &EngineSettings,
    keep_renderings: bool,
) -> Run {
    let mut engine = MeshEngine::new(models.tracker());
    let mut run = Run::default();
    for (t, img) in frames {
        let outcome = engine.process(avatar, &img, 1.0, t, settings).unwrap();
        run.drawn.push(
            (outcome == FrameOutcome::Reenacted)
                .then(|| engine.drawn_pose().unwrap().points[..468].to_vec()),
        );
        if keep_renderings {
            run.renderings.push(engine.output().0.clone());
        }
    }
    run
}

/// The delay, in frames (0..=5), at which the drawn mouth openings correlate best with the
/// actor's: how far the drawn mouth lags behind.
fn mouth_lag(actor: &[Option<FaceLandmarks>], drawn: &[Option<Vec<[f32; 3]>>]) -> usize {
    (0..=5)
        .max_by(|&a, &b| {
            let corr = |k: usize| mouth_follows(&actor[..actor.len() - k], &drawn[k..]);
            corr(a).total_cmp(&corr(b))
        })
        .unwrap()
}

/// Correlation of the drawn mouth openings with the actor's (`actor[i]` measured on the clip's
/// frame i), over the frames that have both.
fn mouth_follows(actor: &[Option<FaceLandmarks>], drawn: &[Option<Vec<[f32; 3]>>]) -> f32 {
    let (mut a, mut d) = (vec![], vec![]);
    for (x, y) in actor.iter().zip(drawn) {
        if let (Some(x), Some(y)) = (x, y) {
            a.push(mouth_opening(x));
            d.push(mouth_opening_of(y));
        }
    }
    pearson(&a, &d).unwrap_or(f32::NAN)
}

// ---------------------------------------------------------------------------------------------
// 1. Faces from 32 to 300 pixels wide in 1080p and 4K

/// talk_wink (240 frames: talking, a wink and a blink) composited into 1920x1080 and 3840x2160
/// frames with the face 32 to 300 pixels wide, off-centre. At every size the face is found
/// within the sweep's first frames, nearly every frame is re-posed, and the drawn mouth and eyes
/// follow the actor's as measured on the full-size clip.
///
/// The mouth bound, per size: what the landmarker reads on the small face itself is the most the
/// engine can pass on (0.979-0.983 at 32 px, 0.996-0.998 from 72 px); measured, the drawn mouth
/// (smoothed) correlates 0.004-0.010 below that reading at every size (0.969-0.973 at 32 px,
/// 0.990-0.993 from 72 px, 0.994 for the clip at full size), so the test asks for the reading
/// less 0.02 and at least 0.95 (0.9 below 72 px). The eyes (lids a pixel or two apart on a 32-px
/// face): measured 0.91-0.92 at 32 px, 0.94 at 48, 0.95-0.97 from 72 px, 0.97 at full size;
/// bound 0.85 below 72 px, 0.93 from 72. Jitter: the drawn landmarks' jitter is 0.95x-1.01x the
/// full-size run's at every size; bound 1.3x. Lag: the delay at which the drawn mouth correlates
/// best with the actor's is no longer than at full size.
#[test]
fn a_face_from_32_to_300_pixels_wide_in_1080p_and_4k_is_found_and_followed() {
    let models = face_models();
    let avatar = astronaut_model(&models);
    let talk = clip("driving/talk_wink_480.mp4", 480, 240);
    let n = talk.frames.len();
    let settings = EngineSettings::default();
    let times = |i: usize| i as f64 / 30.0;
    let full = run_engine(
        &models,
        &avatar,
        talk.frames
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, f)| (times(i), f)),
        &settings,
        false,
    );
    let scale = avatar.landmarks.interocular();
    let full_jitter = jitter(
        &full.drawn.iter().flatten().cloned().collect::<Vec<_>>(),
        scale,
    );
    let eyes_of = |run: &Run| {
        let (mut a, mut d) = (vec![], vec![]);
        for (x, y) in talk.landmarks.iter().zip(&run.drawn) {
            if let (Some(x), Some(y)) = (x, y) {
                let ([r, l], [dr, dl]) = (eye_opening(x), eye_opening_of(y));
                a.push(r + l);
                d.push(dr + dl);
            }
        }
        pearson(&a, &d).unwrap_or(f32::NAN)
    };
    let full_lag = mouth_lag(&talk.landmarks, &full.drawn);
    println!(
        "talk_wink face width at 480x480: {:.0} px; as it is: mouth {:.3} (lag {full_lag} frames), eyes {:.3}, jitter {full_jitter:.4}",
        talk.width,
        mouth_follows(&talk.landmarks, &full.drawn),
        eyes_of(&full)
    );
    for (w, h) in [(1920u32, 1080u32), (3840, 2160)] {
        let back = backdrop(w, h);
        let sweep_frames = sweep(Area::of_picture(w as f32, h as f32, None), None)
            .len()
            .div_ceil(DEFAULT_BUDGET);
        for face in [32.0f32, 48.0, 72.0, 108.0, 160.0, 300.0] {
            let place = |f: &RgbImage| {
                let mut img = back.clone();
                paste(
                    &mut img,
                    f,
                    talk.width,
                    face,
                    w as f32 * 0.62,
                    h as f32 * 0.4,
                );
                img
            };
            let run = run_engine(
                &models,
                &avatar,
                talk.frames
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (times(i), place(f))),
                &settings,
                false,
            );
            // The landmarker's own reading of the small face.
            let mut measure = models.measuring_tracker();
            let (mut actor_m, mut read_m, mut iod) = (vec![], vec![], vec![]);
            for (i, f) in talk.frames.iter().enumerate() {
                let small = measure.track(&place(f), 1.0).unwrap().cloned();
                if let (Some(a), Some(s), Some(_)) = (&talk.landmarks[i], &small, &run.drawn[i]) {
                    actor_m.push(mouth_opening(a));
                    read_m.push(mouth_opening(s));
                    iod.push(s.interocular());
                }
            }
            let mouth = mouth_follows(&talk.landmarks, &run.drawn);
            let lag = mouth_lag(&talk.landmarks, &run.drawn);
            let reading = pearson(&actor_m, &read_m).unwrap_or(f32::NAN);
            let eyes = eyes_of(&run);
            let drawn_jitter = jitter(
                &run.drawn.iter().flatten().cloned().collect::<Vec<_>>(),
                scale,
            );
            iod.sort_by(f32::total_cmp);
            println!(
                "{w}x{h} face {face:>3} px (eye corners {:.1} px): re-posed {}/{n} from frame {:?}; drawn mouth {mouth:.3} (landmarker's reading {reading:.3}, lag {lag} frames), eyes {eyes:.3}, jitter {:.2}x",
                iod.get(iod.len() / 2).copied().unwrap_or(0.0),
                run.reposed(),
                run.first(),
                drawn_jitter / full_jitter,
            );
            let first = run.first().expect("the face is found");
            assert!(
                first <= sweep_frames,
                "{w}x{h}, {face} px: found at frame {first}"
            );
            assert!(
                run.reposed() >= n - first - 3,
                "{w}x{h}, {face} px: {} of {n} frames re-posed after frame {first}",
                run.reposed()
            );
            assert!(
                run.reposed() * 10 >= n * 9,
                "{w}x{h}, {face} px: only {} of {n} frames re-posed",
                run.reposed()
            );
            let (mouth_floor, eyes_floor) = if face < 72.0 {
                (0.9, 0.85)
            } else {
                (0.95, 0.93)
            };
            assert!(
                mouth >= mouth_floor && mouth >= reading - 0.02,
                "{w}x{h}, {face} px: drawn mouth {mouth} (reading {reading})"
            );
            assert!(eyes >= eyes_floor, "{w}x{h}, {face} px: drawn eyes {eyes}");
            assert!(
                lag <= full_lag,
                "{w}x{h}, {face} px: the drawn mouth lags {lag} frames ({full_lag} at full size)"
            );
            assert!(
                drawn_jitter <= 1.3 * full_jitter,
                "{w}x{h}, {face} px: jitter {drawn_jitter} against {full_jitter} at full size"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Which person

/// A lecturer (talk_wink, 60 px face) on the stage in the upper middle of a 1280x720 frame and an
/// audience member's head (grin_512, 120 px face) in the lower left corner, through the element.
/// By default the larger face is followed (the documented rule); `actor-face=1` takes the
/// lecturer once the whole frame was searched, and `actor-region` around the stage takes it at
/// once. Which face the avatar follows is told
/// by the drawn mouth's correlation with each actor's.
#[test]
fn actor_region_and_actor_face_choose_the_lecturer_over_a_larger_audience_head() {
    let n = 75;
    let talk = clip("driving/talk_wink_480.mp4", 480, n);
    let grin = clip("driving/grin_512.mp4", 512, n);
    let n = talk.frames.len().min(grin.frames.len());
    let back = backdrop(1280, 720);
    let frames: Vec<RgbImage> = (0..n)
        .map(|i| {
            let mut img = back.clone();
            paste(&mut img, &talk.frames[i], talk.width, 60.0, 700.0, 220.0);
            paste(&mut img, &grin.frames[i], grin.width, 120.0, 200.0, 600.0);
            img
        })
        .collect();
    let avatar = shared_media("avatar/astronaut_512.png");
    let follows = |props: &[(&str, &str)]| -> (f32, f32, usize) {
        let mut h = reenact_harness(&avatar, props, "width=1280,height=720,framerate=25/1");
        let points: Vec<Option<Vec<[f32; 3]>>> = frames
            .iter()
            .enumerate()
            .map(|(i, img)| {
                let t = gst::ClockTime::from_mseconds(i as u64 * 40);
                let (_, drawn) = push_pull_drawn(&mut h, img, Some(t), None);
                drawn.map(|d| d.landmarks.iter().map(|p| [p[0], p[1], 0.0]).collect())
            })
            .collect();
        let reposed = points.iter().flatten().count();
        (
            mouth_follows(&talk.landmarks, &points),
            mouth_follows(&grin.landmarks, &points),
            reposed,
        )
    };
    for (props, lecturer) in [
        (vec![], false),
        (vec![("actor-face", "1")], true),
        (vec![("actor-region", "0.35,0,0.4,0.6")], true),
        (vec![("actor-region", "0,0.5,0.4,0.5")], false),
    ] {
        let (talk_corr, grin_corr, reposed) = follows(&props);
        println!(
            "{props:?} follows: lecturer {talk_corr:.3}, audience {grin_corr:.3}, {reposed}/{n} re-posed"
        );
        // A rank other than the largest is known once the whole frame was searched.
        let search = if props.iter().any(|p| p.0 == "actor-face") {
            let windows = sweep(Area::of_picture(1280.0, 720.0, None), None).len();
            (windows + 4).div_ceil(DEFAULT_BUDGET)
        } else {
            2
        };
        assert!(
            reposed + search >= n,
            "{props:?}: {reposed} of {n} re-posed"
        );
        let (chosen, other) = if lecturer {
            (talk_corr, grin_corr)
        } else {
            (grin_corr, talk_corr)
        };
        assert!(
            chosen >= 0.8 && chosen > other + 0.3,
            "{props:?}: follows the {} ({chosen}), not the other ({other})",
            if lecturer {
                "lecturer"
            } else {
                "audience member"
            }
        );
    }
}

/// A wrong `actor-region` stops the start with an error naming the value and the form expected.
#[test]
fn an_actor_region_that_does_not_read_stops_the_start_naming_it() {
    let (err, _) = first_error(&format!(
        "videotestsrc num-buffers=2 ! facereenact avatar=\"{}\" actor-region=\"0.5,0.5,0.8\" ! fakesink",
        shared_media("avatar/astronaut_512.png").display()
    ));
    let msg = err.message().to_string();
    assert!(
        err.matches(gst::LibraryError::Settings)
            && msg.contains("0.5,0.5,0.8")
            && msg.contains("x,y,width,height"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Cuts between a wide and a close shot

/// A 1920x1080 wide shot (48 px face) cut to a close-up (the face 520 px wide) and back. Each
/// cut starts a new shot: the avatar glides back to its own pose and place instead of taking the
/// close-up's face as a huge motion (or the wide shot's as a tiny one), the close-up is found at
/// once and the wide shot within the search's first frames, and the mouth follows in each shot.
#[test]
fn a_wide_shot_cut_to_a_close_up_and_back_is_followed_without_a_jump() {
    let models = face_models();
    let avatar = astronaut_model(&models);
    let talk = clip("driving/talk_wink_480.mp4", 480, 180);
    let back = backdrop(1920, 1080);
    let shot = |i: usize| if (60..120).contains(&i) { 520.0 } else { 48.0 };
    let frames = talk.frames.iter().enumerate().map(|(i, f)| {
        let mut img = back.clone();
        let face = shot(i);
        let (x, y) = if face > 100.0 {
            (960.0, 560.0)
        } else {
            (1300.0, 380.0)
        };
        paste(&mut img, f, talk.width, face, x, y);
        (i as f64 / 30.0, img)
    });
    let run = run_engine(&models, &avatar, frames, &EngineSettings::default(), false);
    let ([ax, ay], aio) = head_of_points(&avatar.landmarks.points);
    let mut largest_step = 0.0f32;
    for (i, w) in run.drawn.windows(2).enumerate() {
        if let (Some(a), Some(b)) = (&w[0], &w[1]) {
            let ((pa, ia), (pb, ib)) = (head_of_points(a), head_of_points(b));
            let step = ((pa[0] - pb[0]).powi(2) + (pa[1] - pb[1]).powi(2)).sqrt() / aio
                + (ia.max(ib) / ia.min(ib) - 1.0);
            largest_step = largest_step.max(step);
            if step > 0.1 {
                println!("frame {}: head step {step:.3}", i + 1);
            }
        }
    }
    let missing: Vec<usize> = (0..run.drawn.len())
        .filter(|&i| run.drawn[i].is_none())
        .collect();
    println!("frames not re-posed: {missing:?}; largest head step {largest_step:.3}");
    // The wide shot's first frames (the search), none in the close-up, a few after the cut back.
    assert!(
        missing.iter().all(|&i| i < 10 || (120..130).contains(&i)),
        "{missing:?}"
    );
    assert!(
        largest_step <= 0.1,
        "the avatar's head jumped {largest_step}"
    );
    for (range, what) in [
        (70..120, "close-up"),
        (135..180, "wide shot after the close-up"),
    ] {
        let d: Vec<_> = range.clone().map(|i| run.drawn[i].clone()).collect();
        let corr = mouth_follows(&talk.landmarks[range.clone()], &d);
        // The head stays at the avatar's own place and size: each shot is its own reference.
        let heads: Vec<([f32; 2], f32)> = d.iter().flatten().map(|p| head_of_points(p)).collect();
        let worst = heads
            .iter()
            .map(|&([x, y], io)| {
                ((x - ax).powi(2) + (y - ay).powi(2)).sqrt() / aio + (io / aio - 1.0).abs()
            })
            .fold(0.0f32, f32::max);
        println!("{what}: mouth {corr:.3}, head off its own place and size by at most {worst:.3}");
        assert!(corr >= 0.9, "{what}: mouth {corr}");
        assert!(worst <= 0.25, "{what}: head off by {worst}");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Long absences

/// The lecturer (72 px face in 1080p) talks for 2 s, turns away for 20 s (no face in the frame),
/// and comes back for 3 s. The avatar holds its last pose for the hold time, eases to its own
/// picture (exactly) over REST_EASE_SECONDS without a jump, stays there, and eases into the
/// actor's motion again when the face is back.
#[test]
fn after_a_long_absence_the_avatar_eases_to_rest_and_back() {
    let models = face_models();
    let avatar = astronaut_model(&models);
    let talk = clip("driving/talk_wink_480.mp4", 480, 150);
    let back = backdrop(1920, 1080);
    let settings = EngineSettings::default();
    // 2 s of face at 30 frames/s, 20 s of empty frame at 10 frames/s, 3 s of face at 30.
    let mut times = vec![];
    let mut faces = vec![];
    for i in 0..60 {
        times.push(i as f64 / 30.0);
        faces.push(Some(i));
    }
    for k in 0..200 {
        times.push(2.0 + k as f64 / 10.0);
        faces.push(None);
    }
    for i in 60..150 {
        times.push(22.0 + (i - 60) as f64 / 30.0);
        faces.push(Some(i));
    }
    let frames = times.iter().zip(&faces).map(|(&t, f)| {
        let mut img = back.clone();
        if let Some(i) = f {
            paste(&mut img, &talk.frames[*i], talk.width, 72.0, 700.0, 400.0);
        }
        (t, img)
    });
    let run = run_engine(&models, &avatar, frames, &settings, true);
    let gone = 60;
    let back_at = 260;
    let diff = |img: &RgbImage| mean_abs_diff(img, &avatar.image, |_, _| true);
    let held = &run.renderings[gone - 1];
    let hold = settings.hold_seconds as f64;
    let mut eased = vec![];
    for k in gone..back_at {
        let absent = times[k] - times[gone];
        let img = &run.renderings[k];
        if absent <= hold {
            assert!(
                img == held,
                "frame {k} ({absent:.1} s without a face): holds the last pose"
            );
        } else if absent >= hold + REST_EASE_SECONDS as f64 + 0.05 {
            assert!(
                img == &avatar.image,
                "frame {k} ({absent:.1} s): the avatar's own picture"
            );
        } else {
            eased.push(diff(img));
        }
    }
    println!(
        "held pose differs from the picture by {:.2}; easing to rest: {eased:.2?}",
        diff(held)
    );
    assert!(diff(held) > 0.3, "the held pose is not the rest pose");
    assert!(
        eased.len() >= 8,
        "the ease takes about a second: {} frames at 10/s",
        eased.len()
    );
    assert!(
        eased.windows(2).all(|w| w[1] <= w[0] + 0.02),
        "towards rest: {eased:?}"
    );
    // Back: re-posed at once, easing from rest (no jump), then following the mouth.
    assert!(run.drawn[back_at..].iter().take(3).all(Option::is_some));
    let ([ax, ay], aio) = head_of_points(&avatar.landmarks.points);
    let (p, io) = head_of_points(run.drawn[back_at].as_ref().unwrap());
    let first_step =
        ((p[0] - ax).powi(2) + (p[1] - ay).powi(2)).sqrt() / aio + (io / aio - 1.0).abs();
    println!("first frame back: head {first_step:.3} from rest");
    assert!(
        first_step <= 0.05,
        "the first frame back jumps {first_step}"
    );
    let actor: Vec<Option<FaceLandmarks>> = faces[back_at + 6..]
        .iter()
        .map(|f| talk.landmarks[f.unwrap()].clone())
        .collect();
    let corr = mouth_follows(&actor, &run.drawn[back_at + 6..]);
    println!("mouth after the return {corr:.3}");
    assert!(corr >= 0.9, "mouth after the return {corr}");
}

/// A lecturer pacing across a 1920x1080 stage: the face (32 and 48 pixels wide) walks right for 4
/// s then back, at up to 8 pixels a frame (a quarter of a 32-px face's width: a brisk walk for a
/// face that size), slowing down to turn, bobbing up and down. It is followed in every frame and the drawn mouth
/// follows the actor's about as well as when the face stands still (0.973 at 32 px).
///
/// Measured: mouth 0.958-0.968 with the crop led by the face's velocity; without it 0.924 at 4
/// px/frame (and, walking straight on at 8 px/frame, 0.681 against 0.973): the crop, placed where
/// the face was, saw it off-centre.
#[test]
fn a_small_face_walking_across_the_frame_is_followed() {
    let models = face_models();
    let avatar = astronaut_model(&models);
    let talk = clip("driving/talk_wink_480.mp4", 480, 240);
    let back = backdrop(1920, 1080);
    for (face, speed) in [(32.0f32, 4.0f32), (48.0, 6.0), (32.0, 8.0)] {
        let frames = talk.frames.iter().enumerate().map(|(i, f)| {
            let mut img = back.clone();
            // Right for 4 s, then back: the speed rises to `speed` and falls to 0 at the turn.
            let phase = std::f32::consts::PI * i as f32 / 120.0;
            let walked = speed * 120.0 / std::f32::consts::PI * (1.0 - phase.cos());
            let bob = 20.0 * (i as f32 / 10.0).sin();
            paste(&mut img, f, talk.width, face, 300.0 + walked, 500.0 + bob);
            (i as f64 / 30.0, img)
        });
        let run = run_engine(&models, &avatar, frames, &EngineSettings::default(), false);
        let first = run.first().expect("found");
        let mouth = mouth_follows(&talk.landmarks, &run.drawn);
        println!(
            "walking {face} px at {speed} px/frame: re-posed {}/{} from frame {first}, mouth {mouth:.3}",
            run.reposed(),
            run.drawn.len()
        );
        assert_eq!(
            run.reposed(),
            run.drawn.len() - first,
            "{face} px at {speed}: a frame lost"
        );
        assert!(
            mouth >= 0.95,
            "{face} px at {speed} px/frame: mouth {mouth}"
        );
    }
}

/// A performer far away on a stage: talk_wink's face 12 and 14 pixels wide (cheek to cheek) in a
/// 640x360 wide shot, with `actor-region` drawn around them: tightly (160x120 pixels) and
/// loosely (320x180, the stage). In a region, the search also samples 100-pixel windows, scaled
/// up to the detector's input, where a 14-pixel detector box is 0.15 of the window (0.07 in the
/// finest window before, 200 pixels).
///
/// Sharp faces (scaled down with a triangle filter) were found and followed before too: found
/// at frame 0 or 1, re-posed in every later frame; drawn mouth 0.59-0.60 at 12 px (lips a pixel
/// apart), 0.91 at 14 px; the test keeps them. Soft ones (the frame blurred, Gaussian sigma 0.8
/// pixels, as a compressed or slightly defocused wide shot) show the difference: before, the 12
/// pixel face was never found in either region (its 200-pixel window's detection gave a crop the
/// landmarker did not confirm); now it is found at frame 2 (tight) and 9 (loose), and re-posed in
/// 95 of 238 and 92 of 231 later frames (the landmarker loses it in the others, and the search
/// finds it again): following a soft 12-pixel face in every frame is not solved here.
#[test]
fn a_12_pixel_face_in_the_actor_region_is_found_and_followed() {
    let models = face_models();
    let avatar = astronaut_model(&models);
    let talk = clip("driving/talk_wink_480.mp4", 480, 240);
    let n = talk.frames.len();
    let (w, h) = (640.0f32, 360.0f32);
    let back = backdrop(w as u32, h as u32);
    let (x, y) = (400.0f32, 150.0f32);
    for (rw, rh) in [(160.0f32, 120.0f32), (320.0, 180.0)] {
        // The face off the region's centre, as a user draws it.
        let region = FrameRegion {
            x: (x - 0.4 * rw) / w,
            y: (y - 0.45 * rh) / h,
            width: rw / w,
            height: rh / h,
        };
        let area = Area::of_picture(w, h, Some(&region));
        let windows = sweep(area, None).len();
        let sweep_frames = windows.div_ceil(DEFAULT_BUDGET);
        let mut settings = EngineSettings::default();
        settings.tracking.region = Some(region);
        for (face, blur) in [(12.0f32, 0.0f32), (14.0, 0.0), (12.0, 0.8)] {
            let frames = talk.frames.iter().enumerate().map(|(i, f)| {
                let mut img = back.clone();
                paste(&mut img, f, talk.width, face, x, y);
                if blur > 0.0 {
                    img = imageops::blur(&img, blur);
                }
                (i as f64 / 30.0, img)
            });
            let run = run_engine(&models, &avatar, frames, &settings, false);
            let first = run.first();
            let mouth = mouth_follows(&talk.landmarks, &run.drawn);
            println!(
                "{face} px face (blur {blur}) in a 640x360 frame, {rw}x{rh} actor-region ({windows} windows, \
                 {sweep_frames} frames a sweep): found at frame {first:?}, re-posed {}/{} after it, \
                 drawn mouth {mouth:.3}",
                run.reposed(),
                n - first.unwrap_or(n)
            );
            let first =
                first.unwrap_or_else(|| panic!("{face} px, blur {blur}, {rw}x{rh}: never found"));
            if blur > 0.0 {
                // Found within a few sweeps of the region, and followed in part.
                assert!(
                    first <= 3 * sweep_frames,
                    "{face} px soft, {rw}x{rh}: found at frame {first}, a sweep takes {sweep_frames}"
                );
                assert!(
                    run.reposed() * 3 >= n - first,
                    "{face} px soft, {rw}x{rh}: {} of {} frames re-posed after frame {first}",
                    run.reposed(),
                    n - first
                );
                continue;
            }
            assert!(
                first <= sweep_frames + 2,
                "{face} px, {rw}x{rh}: found at frame {first}, a sweep takes {sweep_frames}"
            );
            assert!(
                run.reposed() * 10 >= (n - first) * 9,
                "{face} px, {rw}x{rh}: {} of {} frames re-posed after frame {first}",
                run.reposed(),
                n - first
            );
            assert!(
                mouth >= if face < 14.0 { 0.4 } else { 0.8 },
                "{face} px, {rw}x{rh}: drawn mouth {mouth}"
            );
        }
    }
}
