//! Actor streams as they come in real use: seeks, odd frame rates, cuts, several faces, faces at
//! the border or tiny, odd sizes and pixel aspect ratios, long runs. Inputs are built here from
//! the real clips (never stored); outputs are measured with the project's own landmarker.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use common::*;
use gst::prelude::*;
use gstfacereenact::avatar::AvatarModel;
use gstfacereenact::engine::EngineSettings;
use gstfacereenact::face::search::{sweep, Area, DEFAULT_BUDGET};
use gstfacereenact::face::tracker::{Thumbnail, CUT_PICTURE_CHANGE};
use gstfacereenact::face::FaceLandmarks;
use gstfacereenact::quality::{mouth_opening, pearson};
use image::{imageops, Rgb, RgbImage};

const MS: u64 = 1_000_000;

fn ct(ns: u64) -> gst::ClockTime {
    gst::ClockTime::from_nseconds(ns)
}

/// A grey canvas of `w`x`h`.
fn canvas(w: u32, h: u32) -> RgbImage {
    RgbImage::from_pixel(w, h, Rgb([110, 110, 110]))
}

/// `img` scaled to `s`x`s`.
fn scaled(img: &RgbImage, s: u32) -> RgbImage {
    imageops::resize(img, s, s, imageops::FilterType::Triangle)
}

/// Mouth-opening correlation between actor faces and output faces, over the frames where both
/// show one; with the number of such frames.
fn mouth_corr(actor: &[Option<FaceLandmarks>], out: &[Option<FaceLandmarks>]) -> (f32, usize) {
    let (mut a, mut o) = (vec![], vec![]);
    for (x, y) in actor.iter().zip(out) {
        if let (Some(x), Some(y)) = (x, y) {
            a.push(mouth_opening(x));
            o.push(mouth_opening(y));
        }
    }
    (pearson(&a, &o).unwrap_or(f32::NAN), a.len())
}

/// The output head relative to the avatar's own: (size ratio, shift in avatar eye-corner
/// distances), per output frame with a face.
fn heads_vs_avatar(avatar: &AvatarModel, out: &[Option<FaceLandmarks>]) -> Vec<(f32, f32)> {
    let ([ax, ay], aio) = head_of(&avatar.landmarks);
    out.iter()
        .map(|o| {
            o.as_ref().map(|o| {
                let ([x, y], io) = head_of(o);
                (io / aio, ((x - ax).powi(2) + (y - ay).powi(2)).sqrt() / aio)
            })
        })
        .map(|h| h.unwrap_or((f32::NAN, f32::NAN)))
        .collect()
}

fn median(mut v: Vec<f32>) -> f32 {
    v.retain(|x| x.is_finite());
    assert!(!v.is_empty(), "no values");
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// Largest frame-to-frame motion of the output head: (shift in avatar eye-corner distances,
/// size change as a ratio - 1), over consecutive frames that both show a face.
fn largest_step(avatar: &AvatarModel, out: &[Option<FaceLandmarks>]) -> (f32, f32) {
    let (_, aio) = head_of(&avatar.landmarks);
    let (mut shift, mut scale) = (0.0f32, 0.0f32);
    for w in out.windows(2) {
        if let (Some(a), Some(b)) = (&w[0], &w[1]) {
            let (pa, ia) = head_of(a);
            let (pb, ib) = head_of(b);
            shift = shift.max(((pa[0] - pb[0]).powi(2) + (pa[1] - pb[1]).powi(2)).sqrt() / aio);
            scale = scale.max((ia.max(ib) / ia.min(ib)) - 1.0);
        }
    }
    (shift, scale)
}

fn flush_and_segment(h: &mut gst_check::Harness, start: gst::ClockTime) {
    assert!(h.push_event(gst::event::FlushStart::new()));
    assert!(h.push_event(gst::event::FlushStop::new(true)));
    let mut seg = gst::FormattedSegment::<gst::ClockTime>::new();
    seg.set_start(start);
    seg.set_time(start);
    assert!(h.push_event(gst::event::Segment::new(&seg)));
}

const TALK_NS: u64 = 33_333_333;

// ---------------------------------------------------------------------------------------------
// 1. Flushing seeks

/// After a flush nothing tracked before it (face crop, smoothing history, held pose) changes a
/// pixel: a seek shows exactly what a fresh element shows from that position (both with a new
/// reference, so that only the flushed state can differ).
#[test]
fn after_a_flushing_seek_the_output_is_what_a_fresh_start_there_gives() {
    let frames = decode_scaled(&shared_media("driving/talk_wink_480.mp4"), 240, 240, 330);
    let caps = "width=240,height=240,framerate=30/1,pixel-aspect-ratio=1/1";
    let avatar = demo_media("astronaut.png");

    // Played from the start, then a seek to frame 300 (10 s).
    let mut h = reenact_harness(&avatar, &[], caps);
    for (i, f) in frames.iter().enumerate().take(30) {
        let o = push_pull(
            &mut h,
            &f.image,
            Some(ct(i as u64 * TALK_NS)),
            Some(ct(TALK_NS)),
        );
        assert_eq!(o.pts, Some(ct(i as u64 * TALK_NS)));
    }
    flush_and_segment(&mut h, ct(300 * TALK_NS));
    h.element()
        .unwrap()
        .emit_by_name::<()>("reset-reference", &[]);
    let seeked: Vec<Frame> = (300..330)
        .map(|i| {
            push_pull(
                &mut h,
                &frames[i].image,
                Some(ct(i as u64 * TALK_NS)),
                Some(ct(TALK_NS)),
            )
        })
        .collect();
    assert!(h.try_pull().is_none(), "one output per input");

    // A fresh element started at frame 300.
    let mut fresh = reenact_harness(&avatar, &[], caps);
    let mut seg = gst::FormattedSegment::<gst::ClockTime>::new();
    seg.set_start(ct(300 * TALK_NS));
    assert!(fresh.push_event(gst::event::Segment::new(&seg)));
    let expected: Vec<Frame> = (300..330)
        .map(|i| {
            push_pull(
                &mut fresh,
                &frames[i].image,
                Some(ct(i as u64 * TALK_NS)),
                Some(ct(TALK_NS)),
            )
        })
        .collect();

    let mut differing = vec![];
    for (k, (a, b)) in seeked.iter().zip(&expected).enumerate() {
        assert_eq!(
            a.pts,
            Some(ct((300 + k) as u64 * TALK_NS)),
            "the seek's timestamps"
        );
        let mad = mean_abs_diff(&a.image, &b.image, |_, _| true);
        if mad > 0.0 {
            differing.push((k, mad));
        }
    }
    println!("frames differing from a fresh start after the seek: {differing:?}");
    assert!(
        differing.is_empty(),
        "state from before the seek leaked into frames after it: {differing:?}"
    );
}

/// A real pipeline seeked with FLUSH|ACCURATE to the middle, then back to the start: every
/// frame in comes out, the output resumes at the seek's timestamps, no error, and the avatar
/// talks with the actor again after each seek.
#[test]
fn flushing_seeks_in_a_pipeline_resume_at_the_seek_position_and_the_avatar_follows_again() {
    init();
    let actor = demo_media("carphone_pristine.mp4");
    let avatar = demo_media("astronaut.png");
    let pipeline = gst::parse::launch(&format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! facereenact name=fr avatar=\"{}\" ! \
         videoconvert ! video/x-raw,format=RGB ! appsink name=sink sync=false",
        actor.display(),
        avatar.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let fr = pipeline.by_name("fr").unwrap();
    // Timestamps of every buffer into and out of the element.
    let seen = Arc::new(Mutex::new((vec![], vec![])));
    for (pad, which) in [("sink", 0), ("src", 1)] {
        let seen = seen.clone();
        fr.static_pad(pad)
            .unwrap()
            .add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                let pts = info.buffer().and_then(|b| b.pts());
                let mut s = seen.lock().unwrap();
                if which == 0 {
                    s.0.push(pts)
                } else {
                    s.1.push(pts)
                }
                gst::PadProbeReturn::Ok
            });
    }
    let frames = Arc::new(Mutex::new(Vec::<Frame>::new()));
    let sink = pipeline
        .by_name("sink")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    let out = frames.clone();
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |s| {
                let sample = s.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
                let buffer = sample.buffer().unwrap();
                out.lock().unwrap().push(Frame {
                    image: rgb_image_of(buffer, &info),
                    pts: buffer.pts(),
                    duration: buffer.duration(),
                    par: 1.0,
                });
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    let bus = pipeline.bus().unwrap();
    let wait = |what: gst::MessageType| {
        let msg = bus
            .timed_pop_filtered(
                gst::ClockTime::from_seconds(120),
                &[what, gst::MessageType::Error],
            )
            .unwrap_or_else(|| panic!("no {what:?} within 120 s"));
        if let gst::MessageView::Error(e) = msg.view() {
            panic!("pipeline error: {} ({:?})", e.error(), e.debug());
        }
    };
    pipeline.set_state(gst::State::Paused).unwrap();
    wait(gst::MessageType::AsyncDone);
    let seek = |pos: gst::ClockTime| {
        pipeline
            .seek_simple(gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE, pos)
            .expect("seek");
    };
    seek(gst::ClockTime::from_seconds(2));
    wait(gst::MessageType::AsyncDone);
    pipeline.set_state(gst::State::Playing).unwrap();
    wait(gst::MessageType::Eos);
    let middle: Vec<Frame> = std::mem::take(&mut *frames.lock().unwrap());
    seek(gst::ClockTime::ZERO);
    wait(gst::MessageType::Eos);
    let from_start: Vec<Frame> = std::mem::take(&mut *frames.lock().unwrap());
    pipeline.set_state(gst::State::Null).unwrap();
    let (ins, outs) = std::mem::take(&mut *seen.lock().unwrap());
    let ms = |v: &[Frame]| {
        v.iter()
            .map(|f| f.pts.unwrap().mseconds())
            .collect::<Vec<_>>()
    };
    println!(
        "seek to 2 s: {} frames {:?}; back to 0: {} frames {:?}; element in {}, out {}",
        middle.len(),
        ms(&middle),
        from_start.len(),
        ms(&from_start),
        ins.len(),
        outs.len()
    );
    assert_eq!(
        ins, outs,
        "one output per input with its timestamp, seeks included"
    );

    let actor_frames = decode(&actor);
    assert_eq!(actor_frames.len(), 120);
    // After the seek to 2 s: timestamps from 2 s on (the demuxer and decoder choose the first
    // frame; the element keeps it), increasing, to the end of the clip.
    let first = middle[0].pts.unwrap();
    assert!(
        first >= gst::ClockTime::from_seconds(2) && first < gst::ClockTime::from_mseconds(2100),
        "resumes at the seek position: {first}"
    );
    assert!(
        middle.windows(2).all(|w| w[1].pts > w[0].pts),
        "increasing timestamps"
    );
    assert_eq!(middle.last().unwrap().pts, actor_frames.last().unwrap().pts);
    let got: Vec<_> = from_start.iter().map(|f| f.pts).collect();
    let want: Vec<_> = actor_frames.iter().map(|f| f.pts).collect();
    assert_eq!(
        got, want,
        "back at the start: every frame again, its own timestamp"
    );

    // The avatar talks with the actor after each seek.
    let actor_lm = landmarks_of(&actor_frames);
    let out_lm = landmarks_of(&from_start);
    let (corr, n) = mouth_corr(&actor_lm, &out_lm);
    let mid_lm = landmarks_of(&middle);
    let tail: Vec<Option<FaceLandmarks>> = actor_frames
        .iter()
        .zip(&actor_lm)
        .filter(|(f, _)| middle.iter().any(|m| m.pts == f.pts))
        .map(|(_, l)| l.clone())
        .collect();
    let mid_lm: Vec<Option<FaceLandmarks>> = middle
        .iter()
        .zip(mid_lm)
        .filter(|(m, _)| actor_frames.iter().any(|f| f.pts == m.pts))
        .map(|(_, l)| l)
        .collect();
    let (corr_mid, n_mid) = mouth_corr(&tail, &mid_lm);
    println!("mouth correlation after the seek back {corr:.3} ({n} frames), after the seek to 2 s {corr_mid:.3} ({n_mid})");
    assert!(
        n >= 110 && corr >= 0.8,
        "after the seek back: {corr} over {n}"
    );
    assert!(
        n_mid >= 55 && corr_mid >= 0.8,
        "after the seek to 2 s: {corr_mid} over {n_mid}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Fractional and variable frame rates

/// 30000/1001 caps with exact rational timestamps, then framerate 0/1 with irregular spacing and
/// durations (some unset): every PTS and duration comes out untouched and the avatar's mouth still
/// follows (One-Euro smoothing runs on the PTS in seconds, not on frame counts).
#[test]
fn fractional_and_variable_frame_rates_keep_every_timestamp_and_the_mouth_follows() {
    let frames = decode_scaled(&shared_media("driving/talk_wink_480.mp4"), 240, 240, 180);
    let mut h = reenact_harness(
        &demo_media("astronaut.png"),
        &[],
        "width=240,height=240,framerate=30000/1001,pixel-aspect-ratio=1/1",
    );
    let ntsc = |i: u64| {
        gst::ClockTime::SECOND
            .mul_div_floor(i * 1001, 30000)
            .unwrap()
    };
    let mut sent = vec![];
    let mut outs = vec![];
    for i in 0..90u64 {
        let (pts, dur) = (ntsc(i), Some(ntsc(i + 1) - ntsc(i)));
        outs.push(push_pull(&mut h, &frames[i as usize].image, Some(pts), dur));
        sent.push((Some(pts), dur));
    }
    h.set_src_caps_str(
        "video/x-raw,format=RGBx,width=240,height=240,framerate=0/1,pixel-aspect-ratio=1/1",
    );
    let steps_ms = [33u64, 17, 50, 66, 25, 100, 41, 8];
    let mut t = ntsc(90);
    for (k, i) in (90..180usize).enumerate() {
        let d = ct(steps_ms[k % steps_ms.len()] * MS);
        let dur = (k % 3 != 2).then_some(d);
        outs.push(push_pull(&mut h, &frames[i].image, Some(t), dur));
        sent.push((Some(t), dur));
        t += d;
    }
    assert!(h.try_pull().is_none(), "one output per input");
    let got: Vec<_> = outs.iter().map(|o| (o.pts, o.duration)).collect();
    assert_eq!(got, sent, "PTS and duration pass through untouched");

    let (corr, n) = mouth_corr(&landmarks_of(&frames), &landmarks_of(&outs));
    println!("mouth correlation at 30000/1001 then variable rate: {corr:.3} over {n} frames");
    assert!(n >= 170 && corr >= 0.8, "mouth correlation {corr} over {n}");
}

// ---------------------------------------------------------------------------------------------
// 3. A cut to another shot

/// talk_wink (a medium shot) cut to a close-up of grin (1.5x larger, shifted): the tracker sees a
/// cut and the new shot's first frame becomes the reference, so the avatar keeps its own size and
/// place instead of growing and shifting to its limits, and its mouth follows the new actor.
#[test]
fn a_cut_to_another_shot_takes_a_new_reference_and_the_avatar_keeps_its_size_and_place() {
    let talk = decode_scaled(&shared_media("driving/talk_wink_480.mp4"), 480, 480, 45);
    let grin = decode_scaled(&shared_media("driving/grin_512.mp4"), 720, 720, 78);
    let close_up: Vec<RgbImage> = grin
        .iter()
        .map(|f| imageops::crop_imm(&f.image, 60, 150, 480, 480).to_image())
        .collect();
    let cut = talk.len();
    let actor: Vec<RgbImage> = talk
        .iter()
        .map(|f| f.image.clone())
        .chain(close_up)
        .collect();

    // The tracker alone: one cut, at the cut.
    let mut t = tracker();
    let mut cuts = vec![];
    for (i, img) in actor.iter().enumerate() {
        t.track(img, 1.0).unwrap();
        if t.new_shot() {
            cuts.push(i);
        }
    }
    println!(
        "cuts seen at {cuts:?} (the cut is at {cut}); picture change at the cut {:.1}",
        Thumbnail::of(&actor[cut - 1]).change(&Thumbnail::of(&actor[cut]))
    );
    assert_eq!(cuts, vec![cut], "one new shot, at the cut");

    let avatar_path = demo_media("astronaut.png");
    let avatar = load_avatar(&avatar_path);
    let mut h = reenact_harness(&avatar_path, &[], "width=480,height=480,framerate=30/1");
    let out: Vec<Frame> = actor
        .iter()
        .enumerate()
        .map(|(i, img)| push_pull(&mut h, img, Some(ct(i as u64 * TALK_NS)), Some(ct(TALK_NS))))
        .collect();
    let out_lm = landmarks_of(&out);
    let heads = heads_vs_avatar(&avatar, &out_lm);
    let after: Vec<(f32, f32)> = heads[cut + 8..].to_vec();
    let scale = median(after.iter().map(|h| h.0).collect());
    let shift = median(after.iter().map(|h| h.1).collect());
    let before_scale = median(heads[10..cut].iter().map(|h| h.0).collect());
    println!(
        "output head vs avatar: before the cut size x{before_scale:.3}; after size x{scale:.3}, shift {shift:.3} eye-corner distances"
    );
    // Measured: x0.996 and 0.054 with the new reference; x1.095 and 0.314 (the shift limit)
    // relative to the first shot's face.
    assert!(
        (scale - 1.0).abs() <= 0.06,
        "after the cut the avatar's head is x{scale:.3} its own size"
    );
    assert!(
        shift <= 0.15,
        "after the cut the avatar's head moved {shift:.3} eye-corner distances"
    );

    let actor_frames: Vec<Frame> = actor[cut..]
        .iter()
        .map(|img| Frame {
            image: img.clone(),
            pts: None,
            duration: None,
            par: 1.0,
        })
        .collect();
    let (corr, n) = mouth_corr(&landmarks_of(&actor_frames), &out_lm[cut..]);
    println!("mouth correlation after the cut {corr:.3} over {n} frames");
    assert!(
        n >= 70 && corr >= 0.8,
        "mouth after the cut: {corr} over {n}"
    );
}

/// Continuous shots with head motion are never taken for cuts (a new reference mid-shot would
/// jump the avatar back to its own pose).
#[test]
fn continuous_shots_are_never_taken_for_cuts() {
    let mut total = 0;
    for (clip, w, h) in [
        (shared_media("driving/glasses_512x480.mp4"), 256, 240),
        (shared_media("driving/grin_512.mp4"), 256, 256),
        (demo_media("carphone_pristine.mp4"), 176, 144),
    ] {
        let frames = decode_scaled(&clip, w, h, usize::MAX);
        let mut t = tracker();
        for f in &frames {
            t.track(&f.image, 1.0).unwrap();
        }
        let change = frames
            .windows(2)
            .map(|w| Thumbnail::of(&w[0].image).change(&Thumbnail::of(&w[1].image)))
            .fold(0.0f32, f32::max);
        println!(
            "{}: {} frames, {} cuts, {} frames searched, largest picture change {change:.1} (a cut: {CUT_PICTURE_CHANGE})",
            clip.display(),
            frames.len(),
            t.shots_started,
            t.searching_frames
        );
        assert_eq!(
            t.shots_started,
            0,
            "{}: a continuous shot taken for a cut",
            clip.display()
        );
        total += frames.len();
    }
    assert!(total > 700);
}

// ---------------------------------------------------------------------------------------------
// 4. Several faces

/// Two actors side by side: grin on the right (larger at first), talk_wink on the left, growing
/// until it is the larger; for five frames in the middle neither is in the picture. The largest
/// face is picked first and followed to the end, also after the gap (the face found near where it
/// was, not the now larger one): the avatar's mouth moves with the right actor's throughout.
#[test]
fn with_two_faces_the_largest_is_followed_and_never_swapped_for_the_other() {
    let n = 78;
    let talk = decode_scaled(&shared_media("driving/talk_wink_480.mp4"), 480, 480, n);
    let grin = decode_scaled(&shared_media("driving/grin_512.mp4"), 270, 270, n);
    let n = grin.len().min(talk.len());
    let gap = 40..45;
    let mut left_alone = vec![];
    let actor: Vec<RgbImage> = (0..n)
        .map(|i| {
            let s = 200 + (160 * i / (n - 1)) as u32;
            let left = scaled(&talk[i].image, s);
            let mut c = canvas(680, 370);
            if !gap.contains(&i) {
                imageops::replace(&mut c, &left, 10, (370 - s as i64) / 2);
                imageops::replace(&mut c, &grin[i].image, 400, 50);
            }
            left_alone.push(Frame {
                image: left,
                pts: None,
                duration: None,
                par: 1.0,
            });
            c
        })
        .collect();

    let mut t = tracker();
    for (i, img) in actor.iter().enumerate() {
        let lm = t.track(img, 1.0).unwrap();
        if gap.contains(&i) {
            continue;
        }
        let lm = lm.unwrap_or_else(|| panic!("frame {i}: a face"));
        let ([x, _], _) = head_of(lm);
        assert!(
            x > 400.0,
            "frame {i}: the tracker moved to the left face (x {x})"
        );
    }

    let avatar = demo_media("astronaut.png");
    let mut h = reenact_harness(&avatar, &[], "width=680,height=370,framerate=25/1");
    let out: Vec<Frame> = actor
        .iter()
        .enumerate()
        .map(|(i, img)| push_pull(&mut h, img, Some(ct(i as u64 * 40 * MS)), Some(ct(40 * MS))))
        .collect();
    let out_lm = landmarks_of(&out);
    let (right, nr) = mouth_corr(&landmarks_of(&grin), &out_lm);
    let (left, _) = mouth_corr(&landmarks_of(&left_alone), &out_lm);
    println!("output mouth vs the right actor {right:.3} ({nr} frames), vs the left {left:.3}");
    assert!(
        nr >= n - 3 && right >= 0.8,
        "follows the right actor: {right}"
    );
    let grin_lm = landmarks_of(&grin);
    let (after_gap, _) = mouth_corr(&grin_lm[gap.end..], &out_lm[gap.end..]);
    println!("after the gap: {after_gap:.3}");
    assert!(
        after_gap >= 0.8,
        "after the gap the avatar follows the right actor again: {after_gap}"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Faces at the border and tiny faces

/// The actor slides out of the left edge and back. While the face is found, even partly outside
/// the frame, the avatar follows; once it is lost the avatar holds its last pose exactly for the
/// hold time (1 s), then eases towards rest; when it comes back it glides in. No pop: the output
/// head never moves more than a little per frame.
#[test]
fn a_face_sliding_out_of_the_frame_and_back_is_held_without_popping() {
    let talk = decode_scaled(&shared_media("driving/talk_wink_480.mp4"), 240, 240, 90);
    let n = talk.len();
    let offset = |i: usize| -> i64 {
        // 0 → -230 px (the face is fully out) → 0, a triangle over the clip.
        let k = i.min(n - 1 - i) as i64;
        -(230 * k / (n as i64 / 2)).min(230)
    };
    let actor: Vec<RgbImage> = (0..n)
        .map(|i| {
            let mut c = canvas(240, 240);
            imageops::replace(&mut c, &talk[i].image, offset(i), 0);
            c
        })
        .collect();
    let avatar_path = demo_media("astronaut.png");
    let avatar = load_avatar(&avatar_path);
    let mut h = reenact_harness(&avatar_path, &[], "width=240,height=240,framerate=30/1");
    let out: Vec<Frame> = actor
        .iter()
        .enumerate()
        .map(|(i, img)| push_pull(&mut h, img, Some(ct(i as u64 * TALK_NS)), Some(ct(TALK_NS))))
        .collect();
    assert_eq!(out.len(), n, "every frame out");

    let found: Vec<bool> = {
        let mut t = tracker();
        actor
            .iter()
            .map(|a| t.track(a, 1.0).unwrap().is_some())
            .collect()
    };
    let lost: Vec<usize> = (1..n).filter(|&i| !found[i]).collect();
    println!(
        "actor face lost at {lost:?}, offsets {:?}",
        lost.iter().map(|&i| offset(i)).collect::<Vec<_>>()
    );
    assert!(!lost.is_empty(), "the face leaves the frame");
    let hold = (EngineSettings::default().hold_seconds * 30.0) as usize;
    for &i in &lost {
        if i - lost[0] < hold {
            assert!(
                out[i].image == out[i - 1].image,
                "frame {i}: no face, the avatar holds its last pose"
            );
        }
    }
    assert!(
        lost.len() > hold + 5 && out[lost[0] + hold + 5].image != out[lost[0]].image,
        "after the hold time the avatar eases towards rest"
    );
    let out_lm = landmarks_of(&out);
    let (shift, scale) = largest_step(&avatar, &out_lm);
    let heads = heads_vs_avatar(&avatar, &out_lm);
    println!("largest output head step: shift {shift:.3} eye-corner distances, size {scale:.3}; heads {heads:?}");
    assert!(
        out_lm.iter().all(|o| o.is_some()),
        "the output always shows the avatar's face"
    );
    assert!(
        shift <= 0.1,
        "the avatar's head jumped {shift} eye-corner distances in a frame"
    );
    assert!(
        scale <= 0.05,
        "the avatar's head size jumped {scale} in a frame"
    );
}

/// The actor's clip shrinks into the corner of a 640x480 frame until the face is about 40 pixels
/// wide, and stays there. Tracked from full size, the face is followed as it shrinks; no frame is
/// lost, the head stays inside its limits without popping. A stream that starts with such a tiny
/// face finds it within the search's first frames and follows it from there.
#[test]
fn a_face_shrinking_to_forty_pixels_is_followed_and_a_tiny_face_from_the_start_is_found() {
    let talk = decode_scaled(&shared_media("driving/talk_wink_480.mp4"), 480, 480, 90);
    let n = talk.len();
    let side = |i: usize| -> u32 {
        if i < 45 {
            480 - (380 * i / 44) as u32
        } else {
            100
        }
    };
    let actor: Vec<RgbImage> = (0..n)
        .map(|i| {
            let mut c = canvas(640, 480);
            let s = side(i);
            imageops::replace(
                &mut c,
                &scaled(&talk[i].image, s),
                640 - s as i64,
                480 - s as i64,
            );
            c
        })
        .collect();
    let avatar_path = demo_media("astronaut.png");
    let avatar = load_avatar(&avatar_path);
    let mut h = reenact_harness(&avatar_path, &[], "width=640,height=480,framerate=30/1");
    let out: Vec<Frame> = actor
        .iter()
        .enumerate()
        .map(|(i, img)| push_pull(&mut h, img, Some(ct(i as u64 * TALK_NS)), Some(ct(TALK_NS))))
        .collect();
    let mut t = tracker();
    let actor_lm: Vec<Option<FaceLandmarks>> = actor
        .iter()
        .map(|a| t.track(a, 1.0).unwrap().cloned())
        .collect();
    let sizes: Vec<f32> = actor_lm
        .iter()
        .map(|l| l.as_ref().map_or(0.0, |l| l.interocular()))
        .collect();
    println!("actor eye-corner distance per frame: {sizes:.0?}");
    assert!(
        actor_lm.iter().all(Option::is_some),
        "the shrinking face is followed in every frame"
    );
    let out_lm = landmarks_of(&out);
    let (shift, scale) = largest_step(&avatar, &out_lm);
    let heads = heads_vs_avatar(&avatar, &out_lm);
    println!("largest output head step: shift {shift:.3}, size {scale:.3}; heads {heads:?}");
    assert!(
        out_lm.iter().all(|o| o.is_some()),
        "the output always shows the avatar's face"
    );
    assert!(
        shift <= 0.1 && scale <= 0.05,
        "no pop: shift {shift}, size {scale}"
    );

    // A tiny face from the start: found by the search within its first frames (the sweep of a
    // 640x480 frame), then followed: the avatar moves from then on.
    let mut h = reenact_harness(&avatar_path, &[], "width=640,height=480,framerate=30/1");
    let sweep_frames = sweep(Area::of_picture(640.0, 480.0, None), None)
        .len()
        .div_ceil(DEFAULT_BUDGET);
    let moved: Vec<bool> = actor
        .iter()
        .enumerate()
        .skip(60)
        .map(|(i, img)| {
            let o = push_pull(&mut h, img, Some(ct(i as u64 * TALK_NS)), Some(ct(TALK_NS)));
            o.image != avatar.image
        })
        .collect();
    let first = moved.iter().position(|&m| m);
    println!("tiny face from the start: the avatar first moves at frame {first:?} of the stream");
    let first = first.expect("the tiny face is found");
    assert!(first <= sweep_frames, "found after {first} frames");
    assert!(
        moved[first..].iter().filter(|&&m| m).count() + 2 >= moved.len() - first,
        "followed from then on: {moved:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Odd sizes and non-square pixels in a real pipeline

/// carphone scaled to 175x143 (odd, not a multiple of 2 or 16) and to 131x143 with 4:3 pixels
/// (the same picture on screen): every frame out with its timestamp, avatar-sized with square
/// pixels, and the avatar talks with the actor.
#[test]
fn odd_sizes_and_non_square_pixels_in_a_pipeline_reenact_every_frame() {
    let actor = demo_media("carphone_pristine.mp4");
    let avatar = demo_media("astronaut.png");
    for caps in [
        "width=175,height=143,pixel-aspect-ratio=1/1",
        "width=131,height=143,pixel-aspect-ratio=4/3",
    ] {
        let src = format!(
            "filesrc location=\"{}\" ! decodebin ! videoconvert ! videoscale ! video/x-raw,{caps} ! videoconvert",
            actor.display()
        );
        let input = run_to_frames(&format!(
            "{src} ! video/x-raw,format=RGB ! appsink name=sink"
        ));
        let out = run_to_frames(&format!(
            "{src} ! facereenact avatar=\"{}\" ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink",
            avatar.display()
        ));
        assert_eq!(input.len(), 120, "{caps}");
        assert_eq!(out.len(), 120, "{caps}: one output per input");
        for (i, o) in input.iter().zip(&out) {
            assert_eq!((o.pts, o.duration), (i.pts, i.duration), "{caps}");
            assert_eq!(o.image.dimensions(), (512, 512), "{caps}");
            assert_eq!(o.par, 1.0, "{caps}: square pixels out");
        }
        let expected_par = if caps.contains("4/3") { 4.0 / 3.0 } else { 1.0 };
        assert!(
            (input[0].par - expected_par).abs() < 1e-3,
            "{caps}: input PAR {}",
            input[0].par
        );
        let (corr, n) = mouth_corr(&landmarks_of(&input), &landmarks_of(&out));
        println!("{caps}: mouth correlation {corr:.3} over {n} frames");
        assert!(
            n >= 110 && corr >= 0.8,
            "{caps}: mouth correlation {corr} over {n}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Ten minutes

/// Ten minutes of stream time at 10 frames/s (6000 frames of carphone, looped from memory):
/// every frame out with its timestamp, and RSS flat between minute 1 and minute 10. Runs in a
/// child process of its own, so that the other tests' allocations do not show in its RSS.
#[test]
fn ten_minutes_of_actor_stream_keep_memory_flat() {
    if !in_own_process(
        "ten_minutes_of_actor_stream_keep_memory_flat",
        "6000 frames",
    ) {
        return;
    }
    let clip = decode(&demo_media("carphone_pristine.mp4"));
    let mut h = reenact_harness(
        &demo_media("astronaut.png"),
        &[],
        "width=176,height=144,framerate=10/1,pixel-aspect-ratio=1/1",
    );
    let buffers: Vec<gst::Buffer> = clip
        .iter()
        .map(|f| rgbx_buffer(&f.image, None, None))
        .collect();
    let started = Instant::now();
    let (mut at_minute_1, mut peak) = (0u64, 0u64);
    for i in 0..6000u64 {
        let mut b = buffers[(i as usize) % buffers.len()].copy();
        {
            let b = b.make_mut();
            b.set_pts(ct(i * 100 * MS));
            b.set_duration(ct(100 * MS));
        }
        h.push(b).unwrap();
        let out = h.pull().unwrap();
        assert_eq!(out.pts(), Some(ct(i * 100 * MS)));
        if i == 600 {
            at_minute_1 = status_kib("VmRSS:");
        }
        if i > 600 {
            peak = peak.max(status_kib("VmRSS:"));
        }
    }
    let at_minute_10 = status_kib("VmRSS:");
    println!(
        "6000 frames (10 min at 10 fps) in {:.1} s; RSS minute 1 {at_minute_1} KiB, minute 10 {at_minute_10} KiB, peak after minute 1 {peak} KiB",
        started.elapsed().as_secs_f64()
    );
    assert!(at_minute_1 > 0);
    let grown = at_minute_10 as i64 - at_minute_1 as i64;
    assert!(
        grown < 4 * 1024,
        "RSS grew by {grown} KiB between minute 1 and minute 10"
    );
}

#[test]
fn a_still_face_in_sensor_noise_gives_still_landmarks() {
    // A portrait shown 40 times with fresh sensor noise (+-3 levels): the face does not move, so
    // neither must its landmarks. The tracking crop stays put within its dead band
    // (CROP_DEAD_BAND). Placed afresh from each frame's landmarks, the crop fed their noise
    // back: 0.0055 eye-corner distances on this painting, against 0.0020 with the band.
    let still = &image::open(shared_media("avatar/mona_lisa_720x1280.jpg"))
        .expect("the Mona Lisa")
        .to_rgb8();
    let mut seed = 12345u32;
    let mut t = tracker();
    let lms: Vec<FaceLandmarks> = (0..40)
        .map(|_| {
            let noisy = RgbImage::from_fn(still.width(), still.height(), |x, y| {
                let p = still.get_pixel(x, y).0;
                Rgb(p.map(|v| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (v as i32 + (seed >> 29) as i32 - 3).clamp(0, 255) as u8
                }))
            });
            t.track(&noisy, 1.0)
                .expect("inference")
                .expect("a face")
                .clone()
        })
        .collect();
    let all: Vec<usize> = (0..468).collect();
    let jitter = landmark_jitter(&lms, &all);
    assert!(
        jitter < 0.0035,
        "a still face's landmarks tremble by {jitter:.5} eye-corner distances per frame"
    );
}
