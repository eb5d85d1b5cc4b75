//! The ready-made gst-launch pipelines in pipelines/, run as a user would run them.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

/// Runs pipelines/`script` with `args`, which must succeed within 300 s.
fn run_pipeline(script: &str, args: &[&std::path::Path]) {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let (status, stderr) = run_script(script, &args, &[], 300);
    assert!(status.success(), "{script} failed: {status}\n{stderr}");
}

/// gst-discoverer-1.0's report of a media file.
fn discover(path: &std::path::Path) -> String {
    // -t 120: the default 10 s timeout can pass while other tests load the machine.
    let out = Command::new("gst-discoverer-1.0")
        .args(["-t", "120"])
        .arg(path)
        .output()
        .expect("gst-discoverer-1.0 runs");
    assert!(
        out.status.success(),
        "discoverer failed on {}",
        path.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn duration_s(report: &str) -> f64 {
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with("Duration:"))
        .expect("a duration");
    let t = line.trim().trim_start_matches("Duration:").trim();
    let parts: Vec<f64> = t.split(':').map(|p| p.parse().unwrap()).collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

#[test]
fn demo_pipeline_writes_a_playable_h264_mp4_of_the_whole_clip() {
    let dir = tempdir();
    let out = dir.join("demo.mp4");
    run_pipeline(
        "demo.sh",
        &[
            &demo_media("carphone_pristine.mp4"),
            &demo_media("astronaut.png"),
            &out,
        ],
    );
    let report = discover(&out);
    assert!(report.contains("H.264"), "{report}");
    assert!(
        report.contains("Width: 512") && report.contains("Height: 512"),
        "{report}"
    );
    // 120 frames at 30000/1001 fps.
    assert!((duration_s(&report) - 4.004).abs() < 0.05, "{report}");
    // And it decodes back to 120 frames.
    assert_eq!(decode(&out).len(), 120);
}

#[test]
fn conversion_pipeline_carries_the_actors_audio_through() {
    let actor = shared_media("driving/talk_wink_480.mp4");
    let out = convert_with_audio(&actor, "talk.mp4");
    let report = discover(&out);
    let source = discover(&actor);
    assert!(
        report.contains("H.264") && report.contains("MPEG-4 AAC"),
        "{report}"
    );
    assert!(
        (duration_s(&report) - duration_s(&source)).abs() < 0.1,
        "{report}\n{source}"
    );
}

#[test]
fn conversion_pipeline_on_a_clip_without_audio_writes_video_instead_of_hanging() {
    let actor = shared_media("driving/grin_512.mp4");
    let out = convert_with_audio(&actor, "grin.mp4");
    let report = discover(&out);
    assert!(
        report.contains("H.264") && !report.contains("audio #"),
        "{report}"
    );
    assert_eq!(decode(&out).len(), 78);
}

/// Runs pipelines/convert_with_audio.sh on `actor` with the astronaut; returns the output path.
fn convert_with_audio(actor: &std::path::Path, name: &str) -> PathBuf {
    let out = tempdir().join(name);
    run_pipeline(
        "convert_with_audio.sh",
        &[actor, &demo_media("astronaut.png"), &out],
    );
    out
}

// Lecture conversion (pipelines/lecture.sh) on a synthetic lecture made by scripts/make_lecture.sh.

/// How wide the speaker's face is in the synthetic lecture (make_lecture.sh's measure; about 27
/// pixels cheek to cheek): 32 pixels in 640x360, a lecturer seen from the back of a hall (96
/// pixels at 1080p).
const LECTURE_FACE_PX: u32 = 32;
/// The synthetic lecture: 2 minutes of 640x360 at 30 fps, with sound.
const LECTURE_SECONDS: u32 = 120;
const LECTURE_SIZE: (u32, u32) = (640, 360);
const LECTURE_FRAMES: usize = (LECTURE_SECONDS * 30) as usize;
const FRAME_S: f64 = 1.0 / 30.0;

/// The synthetic lecture, made once per test process (the tests that use it share it).
fn lecture_input() -> &'static PathBuf {
    static INPUT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    INPUT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("facereenact-lecture-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("lecture.mp4");
        let media = shared_media("driving/talk_wink_480.mp4");
        let status = Command::new("timeout")
            .args(["600", "bash"])
            .arg(root().join("scripts/make_lecture.sh"))
            .arg(&out)
            .arg(LECTURE_SECONDS.to_string())
            .arg(format!("{}x{}", LECTURE_SIZE.0, LECTURE_SIZE.1))
            .arg(LECTURE_FACE_PX.to_string())
            .env(
                "FACEREENACT_SHARED_MEDIA",
                media.parent().unwrap().parent().unwrap(),
            )
            .current_dir(root())
            .status()
            .expect("bash runs");
        assert!(status.success(), "make_lecture.sh failed: {status}");
        out
    })
}

/// Runs pipelines/lecture.sh with `args` (at most 900 s); returns its exit status and what it
/// printed on stderr.
fn run_lecture(args: &[&std::ffi::OsStr]) -> (std::process::ExitStatus, String) {
    run_script("lecture.sh", args, &[], 900)
}

/// One decoded stream of a file: buffer count, running times of its first and last buffer's
/// start and end, and for video the size and a few frames.
#[derive(Debug, Default)]
struct Track {
    buffers: usize,
    /// Audio samples (per channel).
    samples: u64,
    start_s: f64,
    end_s: f64,
    size: (u32, u32),
    /// (index, frame) of the frames asked for.
    kept: Vec<(usize, image::RgbImage)>,
}

impl Track {
    fn span_s(&self) -> f64 {
        self.end_s - self.start_s
    }
}

/// Decodes the video (`audio` false, keeping the frames at the indices `keep` as RGB) or the
/// sound of `path`.
fn track(path: &std::path::Path, audio: bool, keep: &[usize]) -> Track {
    let description = if audio {
        format!(
            "filesrc location=\"{}\" ! decodebin ! audioconvert ! \
             audio/x-raw,format=S16LE,layout=interleaved ! appsink name=sink",
            path.display()
        )
    } else {
        format!(
            "filesrc location=\"{}\" ! decodebin ! videoconvert ! video/x-raw,format=RGB ! \
             appsink name=sink",
            path.display()
        )
    };
    let found = std::sync::Arc::new(std::sync::Mutex::new(Track::default()));
    let sink = found.clone();
    let keep = keep.to_vec();
    run_to_sink(&description, move |sample| {
        let buffer = sample.buffer().unwrap();
        let segment = sample
            .segment()
            .and_then(|s| s.downcast_ref::<gst::ClockTime>())
            .unwrap()
            .clone();
        let running = |t: Option<gst::ClockTime>| {
            segment
                .to_running_time(t)
                .expect("a running time")
                .nseconds() as f64
                / 1e9
        };
        let pts = buffer.pts();
        let end = pts.zip(buffer.duration()).map(|(p, d)| p + d);
        let structure = sample.caps().unwrap().structure(0).unwrap().to_owned();
        let mut t = sink.lock().unwrap();
        if t.buffers == 0 {
            t.start_s = running(pts);
        }
        t.end_s = running(end.or(pts));
        if audio {
            let channels = structure.get::<i32>("channels").unwrap() as u64;
            t.samples += buffer.size() as u64 / 2 / channels;
        } else {
            let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
            t.size = (info.width(), info.height());
            if keep.contains(&t.buffers) {
                let image = rgb_image_of(buffer, &info);
                let i = t.buffers;
                t.kept.push((i, image));
            }
        }
        t.buffers += 1;
    });
    let mut t = found.lock().unwrap();
    std::mem::take(&mut *t)
}

/// Progress lines of lecture.sh (`frame 1234/3600  34.3 %  speed 4.12x  eta 0:00:19`) as
/// (frame, total, percent, speed).
fn progress_lines(stderr: &str) -> Vec<(usize, usize, f64, f64)> {
    stderr
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() != 8 || w[0] != "frame" || w[3] != "%" || w[4] != "speed" || w[6] != "eta" {
                return None;
            }
            let (done, total) = w[1].split_once('/')?;
            Some((
                done.parse().ok()?,
                total.parse().ok()?,
                w[2].parse().ok()?,
                w[5].strip_suffix('x')?.parse().ok()?,
            ))
        })
        .collect()
}

/// Runs lecture.sh in `layout` on the synthetic lecture and checks what a user would notice:
/// it succeeds, shows progress, keeps every frame, and the sound lasts as long as the picture and
/// starts with it. Returns the output's video track with the frames at `keep`, and the input's.
fn convert_lecture(layout: &str, keep: &[usize]) -> (Track, Track) {
    let input = lecture_input();
    let out = tempdir().join(format!("lecture_{layout}.mp4"));
    let avatar = demo_media("astronaut.png");
    let (status, stderr) = run_lecture(&[
        input.as_os_str(),
        out.as_os_str(),
        avatar.as_os_str(),
        layout.as_ref(),
    ]);
    assert!(
        status.success(),
        "lecture.sh {layout} failed: {status}\n{stderr}"
    );

    // Progress about once a second, with sane numbers.
    let progress = progress_lines(&stderr);
    assert!(!progress.is_empty(), "no progress lines:\n{stderr}");
    for &(done, total, percent, speed) in &progress {
        assert_eq!(total, LECTURE_FRAMES, "{stderr}");
        assert!(done > 0 && done <= total, "{stderr}");
        assert!(
            (percent - 100.0 * done as f64 / total as f64).abs() < 0.06,
            "{stderr}"
        );
        // Positive and finite: the first line, during start-up, read 0.03x on a slow machine.
        assert!(speed > 0.0 && speed < 100.0, "{stderr}");
    }
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "frames done must not go back:\n{stderr}"
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!(
            "done: {LECTURE_FRAMES} frames (2:00 of video) in "
        )),
        "{stderr}"
    );

    let source = track(input, false, keep);
    let source_audio = track(input, true, &[]);
    let video = track(&out, false, keep);
    let audio = track(&out, true, &[]);
    println!(
        "{layout}: {} progress lines; input {} frames, picture {:.4} s, sound {:.4} s; \
         output {} frames {}x{}, picture {:.4} s from {:.4} s, sound {:.4} s from {:.4} s \
         ({} samples)",
        progress.len(),
        source.buffers,
        source.span_s(),
        source_audio.span_s(),
        video.buffers,
        video.size.0,
        video.size.1,
        video.span_s(),
        video.start_s,
        audio.span_s(),
        audio.start_s,
        audio.samples
    );
    // The generator's lecture itself: every frame, sound as long as the picture.
    assert_eq!(source.buffers, LECTURE_FRAMES);
    assert!((source_audio.span_s() - source.span_s()).abs() < FRAME_S);
    // One output frame per input frame; the sound as long as the picture and starting with it
    // (within one frame: the AAC encoder's 1024 samples of delay are 21 ms at 48 kHz).
    assert_eq!(video.buffers, LECTURE_FRAMES, "{layout}");
    assert!(
        (video.span_s() - LECTURE_SECONDS as f64).abs() < 0.001,
        "{layout}: {video:?}"
    );
    assert!(
        (audio.span_s() - video.span_s()).abs() < FRAME_S,
        "{layout}: sound {:.4} s, picture {:.4} s",
        audio.span_s(),
        video.span_s()
    );
    assert!(
        (audio.samples as f64 / 48000.0 - video.span_s()).abs() < FRAME_S,
        "{layout}: {} samples of sound for {:.4} s of picture",
        audio.samples,
        video.span_s()
    );
    assert!(
        ((audio.start_s - video.start_s) - (source_audio.start_s - source.start_s)).abs() < FRAME_S,
        "{layout}: sound starts {:.4} s after the picture, in the input {:.4} s",
        audio.start_s - video.start_s,
        source_audio.start_s - source.start_s
    );
    (video, source)
}

#[test]
fn lecture_figure_layout_converts_every_frame_with_the_sound_in_step() {
    let (video, _) = convert_lecture("figure", &[300, 1500, 2500]);
    // The avatar's size, and it is the avatar that shows: away from its head (the lower corners:
    // suit and helmet) the frame is the avatar picture.
    let avatar = image::open(demo_media("astronaut.png")).unwrap().to_rgb8();
    assert_eq!(video.size, avatar.dimensions());
    let head = |x: u32, y: u32| (150..360).contains(&x) && y < 260;
    for (i, frame) in &video.kept {
        let diff = mean_abs_diff(frame, &avatar, |_, y| y > 400);
        let moved = mean_abs_diff(frame, &avatar, head);
        println!(
            "figure frame {i}: {diff:.2} from the avatar below the head, {moved:.2} at the head"
        );
        assert!(
            diff < 6.0,
            "frame {i}: output differs from the avatar by {diff:.1} away from the head"
        );
        // The small lecturer is found and followed: the avatar's head is re-posed, not the
        // picture as it is. Encoding alone makes the difference below the head (about 3 levels);
        // re-posed heads measured 13-20.
        assert!(
            moved > 8.0 && moved > 2.5 * diff,
            "frame {i}: the avatar's head is the picture's ({moved:.2}, {diff:.2} below it): the lecturer was not followed"
        );
    }
    let (a, b) = (&video.kept[0].1, &video.kept[2].1);
    let between = mean_abs_diff(a, b, head);
    let noise = mean_abs_diff(a, b, |_, y| y > 400);
    println!("head between frames 300 and 2500: {between:.2} (below the head {noise:.2})");
    assert!(
        between > 3.0 * noise.max(1.0),
        "the head is the same in frames 300 and 2500 ({between:.2}, below it {noise:.2})"
    );
}

#[test]
fn lecture_pip_layout_keeps_the_recording_with_the_avatar_in_a_corner() {
    let keep = [300, 2500];
    let (video, source) = convert_lecture("pip", &keep);
    assert_eq!(video.size, LECTURE_SIZE);
    // The documented defaults: a quarter of the height tall, the avatar's shape (square), a 36th
    // of the height from the bottom-right corner.
    let (w, h) = LECTURE_SIZE;
    let side = h / 4;
    let margin = h / 36;
    let (x0, y0) = (w - margin - side, h - margin - side);
    let inside = |x: u32, y: u32| x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
    let avatar = image::imageops::resize(
        &image::open(demo_media("astronaut.png")).unwrap().to_rgb8(),
        side,
        side,
        image::imageops::FilterType::Triangle,
    );
    for ((i, out), (_, src)) in video.kept.iter().zip(&source.kept) {
        // Board and slides stay: outside the picture-in-picture the frame is the recording's
        // (encoding noise aside: hardly a pixel off by more than 48 levels).
        let outside = mean_abs_diff(out, src, |x, y| !inside(x, y));
        let changed = share_changed(out, src, |x, y| !inside(x, y));
        assert!(
            outside < 4.0 && changed < 0.002,
            "frame {i}: differs from the recording by {outside:.1}, {:.2} % of it changed",
            100.0 * changed
        );
        // In the corner: the avatar (its lower part, away from the moving head), not the recording
        // (the avatar is scaled there by videoscale, here by a triangle filter: about 12 apart).
        let pip = image::imageops::crop_imm(out, x0, y0, side, side).to_image();
        let corner = image::imageops::crop_imm(src, x0, y0, side, side).to_image();
        let lower = |_: u32, y: u32| y > side * 3 / 4;
        let to_avatar = mean_abs_diff(&pip, &avatar, lower);
        let to_recording = mean_abs_diff(&pip, &corner, lower);
        println!(
            "frame {i}: outside the corner {outside:.2} from the recording ({:.3} % of the \
             pixels changed); corner {to_avatar:.2} from the avatar, {to_recording:.2} from the \
             recording",
            100.0 * changed
        );
        assert!(
            to_avatar < 20.0 && to_recording > 3.0 * to_avatar,
            "frame {i}: corner differs from the avatar by {to_avatar:.1}, from the recording by {to_recording:.1}"
        );
    }
}

#[test]
fn lecture_pipeline_without_sound_writes_video_and_says_so() {
    let out = tempdir().join("lecture_silent.mp4");
    let (status, stderr) = run_lecture(&[
        shared_media("driving/grin_512.mp4").as_os_str(),
        out.as_os_str(),
        demo_media("astronaut.png").as_os_str(),
    ]);
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("has no sound; writing video only"),
        "{stderr}"
    );
    let report = discover(&out);
    assert!(
        report.contains("H.264") && !report.contains("audio #"),
        "{report}"
    );
    assert_eq!(decode(&out).len(), 78);
}

#[test]
fn lecture_pipeline_refuses_missing_or_unreadable_files_naming_them() {
    let dir = tempdir();
    let out = dir.join("never.mp4");
    let avatar = demo_media("astronaut.png");
    let not_video = dir.join("notes.mp4");
    std::fs::write(&not_video, "these are lecture notes, not a video\n").unwrap();
    let missing = dir.join("missing_lecture.mkv");
    let actor = shared_media("driving/grin_512.mp4");
    let no_face = shared_media("avatar/no_face_coffee.png");
    let missing_avatar = dir.join("missing_avatar.png");
    for (input, avatar, named) in [
        (&missing, &avatar, &missing),
        (&not_video, &avatar, &not_video),
        (&actor, &missing_avatar, &missing_avatar),
        (&actor, &no_face, &no_face),
    ] {
        let (status, stderr) =
            run_lecture(&[input.as_os_str(), out.as_os_str(), avatar.as_os_str()]);
        assert_eq!(status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(named.to_str().unwrap()),
            "the message does not name {}:\n{stderr}",
            named.display()
        );
        assert!(!out.exists(), "{} was written", out.display());
    }
}

#[test]
fn lecture_counts_the_frames_it_converted_and_shows_the_elements_warnings() {
    // A recording whose sound starts at 0 and picture at 0.85 s (90 frames of colour bars, no
    // face): 3.85 s long, but 90 frames, not 3.85 s x 30 = 116.
    let dir = tempdir();
    let input = dir.join("late_picture.mp4");
    let status = Command::new("gst-launch-1.0")
        .args(["-q", "-e"])
        .args(
            "videotestsrc num-buffers=90 pattern=smpte75 timestamp-offset=850000000 ! \
             video/x-raw,width=160,height=120,framerate=30/1 ! x264enc ! h264parse ! queue ! \
             mp4mux name=m ! filesink"
                .split_whitespace(),
        )
        .arg(format!("location={}", input.display()))
        .args(
            "audiotestsrc num-buffers=180 ! audio/x-raw,rate=48000 ! avenc_aac ! aacparse ! \
             queue ! m."
                .split_whitespace(),
        )
        .status()
        .expect("gst-launch-1.0 runs");
    assert!(status.success());
    assert_eq!(decode(&input).len(), 90);
    assert!((duration_s(&discover(&input)) - 3.85).abs() < 0.05);

    let out = dir.join("late_picture_out.mp4");
    let (status, stderr) = run_lecture(&[
        input.as_os_str(),
        out.as_os_str(),
        demo_media("astronaut.png").as_os_str(),
    ]);
    assert!(status.success(), "{stderr}");
    // What the element said, one readable line, among the progress lines.
    assert!(
        stderr.lines().any(|l| l
            .starts_with("lecture: warning (facereenact): no face in the last 60 actor frames: ")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Setting pipeline") && !stderr.contains("Additional debug info"),
        "gst-launch's chatter reached the user:\n{stderr}"
    );
    // The totals: the frames really there and converted.
    for (done, total, _, _) in progress_lines(&stderr) {
        assert_eq!(total, 90, "{stderr}");
        assert!(done <= 90, "{stderr}");
    }
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("done: 90 frames (0:03 of video) in "),
        "{stderr}"
    );
    assert_eq!(decode(&out).len(), 90);
}
