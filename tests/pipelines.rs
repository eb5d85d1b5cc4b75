//! The ready-made gst-launch pipelines in pipelines/, run as a user would run them.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

fn run_script(script: &str, args: &[&str]) {
    // `timeout`: a pipeline that hangs fails the test instead of stalling the suite.
    let status = Command::new("timeout")
        .args(["300", "bash"])
        .arg(root().join("pipelines").join(script))
        .args(args)
        .current_dir(root())
        .env("GST_PLUGIN_PATH", plugin_dir())
        .status()
        .expect("bash runs");
    assert!(status.success(), "{script} failed: {status}");
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
    run_script(
        "demo.sh",
        &[
            demo_media("carphone_pristine.mp4").to_str().unwrap(),
            demo_media("astronaut.png").to_str().unwrap(),
            out.to_str().unwrap(),
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
    run_script(
        "convert_with_audio.sh",
        &[
            actor.to_str().unwrap(),
            demo_media("astronaut.png").to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    out
}
