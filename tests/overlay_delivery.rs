//! pipelines/overlay.sh's delivery as a broadcast engineer leaves it running (through
//! `facereenact-deliver`), on 127.0.0.1: an SRT listener that comes 5 s late and leaves twice,
//! an SRT listener mode whose receivers come and go, an RTMP server killed and restarted, Ctrl-C
//! with no receiver and during a recording, an encrypted SRT link, and secrets kept out of `ps`
//! and of everything the script prints. Each test prints the dead air it measured.

mod common;
mod overlay;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::*;
use gst::prelude::*;
use overlay::*;

/// A 30 s programme: long enough for a receiver to leave and come back twice.
fn long_programme() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| programme_of(900, 0.0, "programme_30s.mp4"))
}

/// Sends `signal` to the process group `pgid`.
fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// A program in its own process group (as a shell runs a job), killed with its children when
/// dropped.
struct Group(Child);

impl Group {
    fn spawn(cmd: &mut Command) -> Group {
        use std::os::unix::process::CommandExt;
        Group(cmd.process_group(0).spawn().expect("spawns"))
    }
    fn pgid(&self) -> u32 {
        self.0.id()
    }
    /// Whether it still runs.
    fn running(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
    /// Waits at most `limit` for it to end; kills it and panics after that.
    fn wait(&mut self, limit: Duration, what: &str) -> ExitStatus {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Some(s) = self.0.try_wait().unwrap() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal_group(self.pgid(), "-KILL");
        panic!("{what}: still running after {limit:?}");
    }
    /// The command lines of its processes, as `ps` shows them to anyone on the machine.
    fn command_lines(&self) -> String {
        let out = Command::new("ps")
            .args(["-o", "args=", "-g", &self.pgid().to_string()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        signal_group(self.pgid(), "-KILL");
        let _ = self.0.wait();
    }
}

/// overlay.sh (pip) from the test actor over `programme` to `dest`, in the background; its
/// stderr goes to `log`.
fn start_overlay(
    actor: &Path,
    programme: &Path,
    dest: &str,
    envs: &[(&str, &str)],
    log: &Path,
) -> Group {
    Group::spawn(
        Command::new("bash")
            .arg(root().join("pipelines/overlay.sh"))
            .arg(actor)
            .arg(programme)
            .arg(&avatars().0)
            .arg(dest)
            .current_dir(root())
            .env("GST_PLUGIN_PATH", plugin_dir())
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap()),
    )
}

/// overlay.sh from the 3 s test actor over the 30 s programme to an SRT destination on a free
/// port (`dest` makes it from the port), with its log in a fresh folder `name`: the folder, the
/// port, the log, the running script.
fn srt_overlay(
    name: &str,
    dest: impl Fn(u16) -> String,
    envs: &[(&str, &str)],
) -> (PathBuf, u16, PathBuf, Group) {
    let dir = tempdir().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port(true);
    let log = dir.join("overlay.log");
    let run = start_overlay(actor(), long_programme(), &dest(port), envs, &log);
    (dir, port, log, run)
}

/// A receiver, gst-launch-1.0 `source` ! filesink `out`, in its own process group.
fn receiver_group(source: &str, out: &Path) -> Group {
    let mut args: Vec<String> = vec!["-q".into()];
    args.extend(source.split_whitespace().map(String::from));
    // Unbuffered: the file shows the first data when it comes (the dead-air figures).
    args.extend([
        "!".into(),
        "filesink".into(),
        "buffer-mode=unbuffered".into(),
        format!("location={}", out.display()),
    ]);
    Group::spawn(
        Command::new("gst-launch-1.0")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Waits until `path` holds more than `bytes` bytes; returns how long that took, or `None`
/// after `limit`.
fn wait_for_data(path: &Path, bytes: u64, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if size(path) > bytes {
            return Some(t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Video frames decodable from a recording that may have been cut anywhere (a receiver killed):
/// counted until the end or the first error.
fn frames_in(path: &Path) -> usize {
    init();
    let pipeline = gst::parse::launch(&format!(
        "filesrc location=\"{}\" ! decodebin ! video/x-raw ! fakesink name=sink",
        path.display()
    ))
    .unwrap();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    let bin = pipeline.clone().downcast::<gst::Bin>().unwrap();
    bin.by_name("sink")
        .unwrap()
        .static_pad("sink")
        .unwrap()
        .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
            c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            gst::PadProbeReturn::Ok
        });
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(60)) {
        match msg.view() {
            gst::MessageView::Eos(..) | gst::MessageView::Error(..) => break,
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    count.load(std::sync::atomic::Ordering::SeqCst)
}

fn read(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

/// Waits until the log holds `text`; panics with the log after `limit`.
fn wait_for_line(log: &Path, text: &str, limit: Duration) {
    let t0 = Instant::now();
    while !read(log).contains(text) {
        assert!(
            t0.elapsed() < limit,
            "no {text:?} in {limit:?}:\n{}",
            read(log)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn srt_listener(port: u16, out: &Path, passphrase: Option<&str>) -> Group {
    let pass = passphrase
        .map(|p| format!(" passphrase={p} pbkeylen=32"))
        .unwrap_or_default();
    let rx = receiver_group(
        &format!("srtsrc uri=srt://127.0.0.1:{port}?mode=listener latency=125{pass}"),
        out,
    );
    let t0 = Instant::now();
    while !bound("udp", port) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the SRT listener did not bind"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    rx
}

#[test]
fn an_srt_caller_waits_for_a_late_listener_and_comes_back_each_time_it_leaves() {
    let (dir, port, log, mut run) =
        srt_overlay("srt-caller", |port| format!("srt://127.0.0.1:{port}"), &[]);
    let spawned = Instant::now();
    // The listener comes up 5 s late: the caller must still be there, trying.
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        run.running(),
        "overlay.sh gave up before its listener came:\n{}",
        read(&log)
    );
    let mut dead_air = Vec::new();
    for i in 0..3 {
        let out = dir.join(format!("received_{i}.ts"));
        println!(
            "listener {i} starts at {:.2} s",
            spawned.elapsed().as_secs_f64()
        );
        let rx = srt_listener(port, &out, None);
        let waited = wait_for_data(&out, 0, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("listener {i} got nothing in 10 s:\n{}", read(&log)));
        dead_air.push(waited.as_secs_f64());
        println!(
            "listener {i} data at {:.2} s",
            spawned.elapsed().as_secs_f64()
        );
        if i < 2 {
            // It receives for 2 s, then leaves (killed, as a receiver that crashes or is closed).
            std::thread::sleep(Duration::from_secs(2));
            drop(rx);
            println!(
                "listener {i} killed at {:.2} s",
                spawned.elapsed().as_secs_f64()
            );
            let frames = frames_in(&out);
            assert!(frames >= 30, "listener {i}: {frames} frames in 2 s");
            std::thread::sleep(Duration::from_secs(1));
        } else {
            let mut rx = rx;
            let status = run.wait(Duration::from_secs(60), "overlay.sh");
            let text = read(&log);
            assert!(status.success(), "overlay.sh: {status}\n{text}");
            // The receiver ends with the stream.
            rx.wait(Duration::from_secs(10), "the last listener");
            assert!(
                frames_in(&out) >= 30,
                "the last listener got {} frames",
                frames_in(&out)
            );
        }
    }
    let text = read(&log);
    println!("{text}");
    println!("dead air (listener up -> first data), s: {dead_air:.2?}");
    assert_eq!(text.matches("(reached after").count(), 1, "{text}");
    assert_eq!(text.matches("again after").count(), 2, "{text}");
    // 5 s late: reached at the next attempt (at most 4 s apart); after a leave: lost, then the
    // attempts start at 0.5 s.
    for (i, d) in dead_air.iter().enumerate() {
        assert!(*d < 6.0, "listener {i}: {d:.1} s of dead air");
    }
}

#[test]
fn an_srt_caller_told_not_to_wait_gives_up_at_once_naming_its_listener() {
    let (_, port, log, mut run) = srt_overlay(
        "srt-give-up",
        |port| format!("srt://127.0.0.1:{port}"),
        &[("OVERLAY_RECONNECT_S", "0")],
    );
    let status = run.wait(
        Duration::from_secs(60),
        "overlay.sh with OVERLAY_RECONNECT_S=0",
    );
    let text = read(&log);
    println!("{text}");
    assert_eq!(status.code(), Some(2), "{text}");
    assert!(
        text.contains(&format!("gave up on the SRT listener 127.0.0.1:{port}")),
        "{text}"
    );
}

#[test]
fn an_srt_listener_sends_live_pictures_to_a_late_receiver_and_stops_on_ctrl_c_with_none() {
    let (dir, port, log, mut run) =
        srt_overlay("srt-listener", |port| format!("srt://:{port}"), &[]);
    let t0 = Instant::now();
    while !bound("udp", port) {
        assert!(run.running(), "{}", read(&log));
        assert!(t0.elapsed() < Duration::from_secs(60), "{}", read(&log));
        std::thread::sleep(Duration::from_millis(50));
    }
    // 4 s with no receiver: those frames are dropped, not kept for the first receiver.
    std::thread::sleep(Duration::from_secs(4));
    let out = dir.join("late.ts");
    let joined = Instant::now();
    let rx = receiver_group(
        &format!("srtsrc uri=srt://127.0.0.1:{port}?mode=caller latency=125"),
        &out,
    );
    let first =
        wait_for_data(&out, 0, Duration::from_secs(10)).expect("the late receiver got nothing");
    std::thread::sleep(Duration::from_secs(3));
    drop(rx);
    let stayed = joined.elapsed().as_secs_f64();
    let frames = frames_in(&out);
    println!(
        "late receiver: first data after {:.2} s, {frames} frames in {stayed:.1} s",
        first.as_secs_f64()
    );
    // Live: about 30 frames a second while it was there, not the 4 s before it came on top.
    assert!(frames >= 45, "{frames} frames in {stayed:.1} s");
    assert!(
        (frames as f64) < stayed * 30.0 + 20.0,
        "{frames} frames in {stayed:.1} s: a backlog was sent"
    );
    // No receiver again; Ctrl-C.
    std::thread::sleep(Duration::from_secs(1));
    let stop = Instant::now();
    signal_group(run.pgid(), "-INT");
    let status = run.wait(Duration::from_secs(10), "overlay.sh after Ctrl-C");
    let took = stop.elapsed().as_secs_f64();
    let text = read(&log);
    println!("{text}\nCtrl-C with no receiver: stopped in {took:.2} s, {status}");
    assert!(status.success(), "{text}");
    assert!(took < 2.5, "Ctrl-C took {took:.2} s");
    assert!(text.contains("a receiver connected"), "{text}");
}

#[test]
fn an_rtmp_publisher_republishes_after_the_server_restarts_and_keeps_its_key_secret() {
    let dir = tempdir().join("rtmp-restart");
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port(false);
    let key = "show-8f3kQ2-secret-key";
    let server = nginx(&dir, port);
    let log = dir.join("overlay.log");
    let url = format!("rtmp://127.0.0.1:{port}/live");
    let player_url = format!("rtmp://127.0.0.1:{port}/live/{key}");
    let mut run = start_overlay(
        actor(),
        long_programme(),
        &url,
        &[("FACEREENACT_RTMP_KEY", key)],
        &log,
    );
    let first = dir.join("before.flv");
    let player = receiver_group(&format!("rtmp2src location={player_url}"), &first);
    wait_for_data(&first, 10_000, Duration::from_secs(60))
        .unwrap_or_else(|| panic!("the player got nothing:\n{}", read(&log)));
    wait_for_line(&log, "sending to the RTMP server", Duration::from_secs(20));
    let lines = run.command_lines();
    assert!(!lines.contains(key), "the key shows in ps:\n{lines}");
    // The server dies (and its player with it); 2 s later it is back.
    drop(server);
    drop(player);
    std::thread::sleep(Duration::from_secs(2));
    let restarted = Instant::now();
    let _server = nginx(&dir, port);
    let second = dir.join("after.flv");
    let _player = receiver_group(&format!("rtmp2src location={player_url}"), &second);
    let waited = wait_for_data(&second, 10_000, Duration::from_secs(20))
        .unwrap_or_else(|| panic!("nothing republished in 20 s:\n{}", read(&log)));
    println!(
        "dead air after the RTMP server restarted: {:.2} s to the new player's first 10 kB",
        restarted.elapsed().as_secs_f64()
    );
    let _ = waited;
    std::thread::sleep(Duration::from_secs(2));
    signal_group(run.pgid(), "-INT");
    let status = run.wait(Duration::from_secs(10), "overlay.sh after Ctrl-C");
    let text = read(&log);
    println!("{text}");
    assert!(status.success(), "{status}\n{text}");
    assert!(text.contains("again after"), "{text}");
    assert!(!text.contains(key), "the key shows in the output:\n{text}");
    assert!(
        frames_in(&second) >= 30,
        "{} frames after the restart",
        frames_in(&second)
    );
}

#[test]
fn an_encrypted_srt_link_delivers_only_with_its_passphrase_which_never_shows() {
    // (No spaces: the receivers' command lines are split on them.)
    let pass = "correct-horse-battery-staple";
    let pass_file = tempdir().join("srt-passphrase");
    std::fs::write(&pass_file, format!("{pass}\n")).unwrap();
    let (dir, port, log, mut run) = srt_overlay(
        "srt-aes",
        |port| format!("srt://127.0.0.1:{port}"),
        &[("OVERLAY_SRT_PASSPHRASE_FILE", pass_file.to_str().unwrap())],
    );
    // A listener with the wrong passphrase gets nothing.
    let wrong = dir.join("wrong.ts");
    let rx = srt_listener(port, &wrong, Some("not-the-right-passphrase"));
    std::thread::sleep(Duration::from_secs(6));
    drop(rx);
    assert_eq!(size(&wrong), 0, "the wrong passphrase received data");
    let lines = run.command_lines();
    assert!(
        !lines.contains(pass),
        "the passphrase shows in ps:\n{lines}"
    );
    // The right one gets the stream.
    let right = dir.join("right.ts");
    let _rx = srt_listener(port, &right, Some(pass));
    let waited = wait_for_data(&right, 0, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("the right passphrase got nothing:\n{}", read(&log)));
    std::thread::sleep(Duration::from_secs(2));
    signal_group(run.pgid(), "-INT");
    let status = run.wait(Duration::from_secs(10), "overlay.sh after Ctrl-C");
    let text = read(&log);
    println!(
        "{text}\nright passphrase: first data {:.2} s after its listener came",
        waited.as_secs_f64()
    );
    assert!(status.success(), "{text}");
    assert!(
        !text.contains(pass),
        "the passphrase shows in the output:\n{text}"
    );
    assert!(frames_in(&right) >= 30, "{} frames", frames_in(&right));
}

#[test]
fn a_recording_stopped_with_ctrl_c_has_sound_and_picture_of_the_same_length() {
    let dir = tempdir().join("recording-stop");
    std::fs::create_dir_all(&dir).unwrap();
    let actor = actor_cut(30.0, "actor_30s.mp4");
    let out = dir.join("stopped.mp4");
    let log = dir.join("overlay.log");
    let mut run = start_overlay(&actor, long_programme(), out.to_str().unwrap(), &[], &log);
    wait_for_data(&out, 0, Duration::from_secs(60))
        .unwrap_or_else(|| panic!("no recording started:\n{}", read(&log)));
    std::thread::sleep(Duration::from_millis(1500));
    let stop = Instant::now();
    signal_group(run.pgid(), "-INT");
    let status = run.wait(Duration::from_secs(10), "overlay.sh after Ctrl-C");
    let took = stop.elapsed().as_secs_f64();
    let text = read(&log);
    println!("{text}");
    assert!(status.success(), "{text}");
    let (video_end, sound_end) = track_lengths(&out);
    println!(
        "stopped after {took:.2} s: the picture track lasts {video_end:.3} s, the sound {sound_end:.3} s"
    );
    assert!(took < 2.5, "the stop took {took:.2} s");
    assert!(video_end < 25.0, "not stopped early: {video_end:.1} s");
    // Within a frame (33 ms).
    assert!(
        (video_end - sound_end).abs() < 0.034,
        "picture lasts {video_end:.3} s, sound {sound_end:.3} s"
    );
    // Playable, with every frame up to the stop.
    let got = receive(&out);
    assert!(
        (got.frames.len() as f64 / 30.0 - video_end).abs() < 0.05,
        "{} frames for {video_end:.3} s",
        got.frames.len()
    );
}

/// How long a recording's picture and sound tracks are (from the first sample's time to the
/// last one's end, seconds), as its demuxer gives them.
fn track_lengths(path: &Path) -> (f64, f64) {
    init();
    let pipeline = gst::parse::launch(&format!(
        "filesrc location=\"{}\" ! qtdemux name=d d.video_0 ! queue ! fakesink name=v \
         d.audio_0 ! queue ! fakesink name=a",
        path.display()
    ))
    .unwrap()
    .downcast::<gst::Bin>()
    .unwrap();
    let spans: Vec<std::sync::Arc<std::sync::Mutex<(f64, f64)>>> = ["v", "a"]
        .iter()
        .map(|name| {
            let end = std::sync::Arc::new(std::sync::Mutex::new((f64::MAX, 0f64)));
            let e = end.clone();
            pipeline
                .by_name(name)
                .unwrap()
                .static_pad("sink")
                .unwrap()
                .add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                    if let Some(b) = info.buffer() {
                        if let Some(pts) = b.pts() {
                            let t = (pts + b.duration().unwrap_or_default()).seconds_f64();
                            let mut e = e.lock().unwrap();
                            *e = (e.0.min(pts.seconds_f64()), e.1.max(t));
                        }
                    }
                    gst::PadProbeReturn::Ok
                });
            end
        })
        .collect();
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(60)) {
        match msg.view() {
            gst::MessageView::Eos(..) => break,
            gst::MessageView::Error(e) => panic!("{path:?}: {}", e.error()),
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    let v = *spans[0].lock().unwrap();
    let a = *spans[1].lock().unwrap();
    println!(
        "{path:?}: picture {:.3}..{:.3} s, sound {:.3}..{:.3} s",
        v.0, v.1, a.0, a.1
    );
    (v.1 - v.0, a.1 - a.0)
}
