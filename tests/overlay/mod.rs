//! Helpers of the overlay script tests (`tests/overlay_pipelines.rs`,
//! `tests/overlay_delivery.rs`): the test clips and avatars, running the scripts, receivers and
//! an RTMP server on 127.0.0.1, reading what was received.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;

use crate::common::*;
use gst::prelude::*;
use image::RgbImage;

/// The test clips: 3 s at 30 frames/s.
pub const FRAMES: usize = 90;
pub const SECONDS: f64 = 3.0;
/// The programme's size.
pub const W: u32 = 640;
pub const H: u32 = 360;

/// A folder for this process's shared inputs.
pub fn inputs_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("facereenact-overlay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a gst-launch line to EOS. With `cut_s`, the buffers leaving its elements named `vcut`
/// and `acut` from `cut_s` seconds on are dropped.
pub fn run_launch(description: &str, cut_s: Option<f64>) {
    init();
    let pipeline = gst::parse::launch(description)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    if let Some(cut) = cut_s {
        let cut = gst::ClockTime::from_nseconds((cut * 1e9) as u64);
        for name in ["vcut", "acut"] {
            let pad = pipeline.by_name(name).unwrap().static_pad("src").unwrap();
            pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                match info.buffer() {
                    Some(b) if b.pts().is_some_and(|t| t >= cut) => gst::PadProbeReturn::Drop,
                    _ => gst::PadProbeReturn::Ok,
                }
            });
        }
    }
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(120)) {
        match msg.view() {
            gst::MessageView::Eos(..) => {
                pipeline.set_state(gst::State::Null).unwrap();
                return;
            }
            gst::MessageView::Error(e) => {
                panic!("{description}: {} ({:?})", e.error(), e.debug())
            }
            _ => {}
        }
    }
    panic!("{description}: no end within 120 s");
}

/// The actor: the first 3 s of the shared talking clip with its sound, scaled to 240x240.
pub fn actor() -> &'static PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| actor_cut(SECONDS, "actor.mp4"))
}

/// The first `seconds` of the shared talking clip with its sound, 240x240, as `name`.
pub fn actor_cut(seconds: f64, name: &str) -> PathBuf {
    let out = inputs_dir().join(name);
    run_launch(
        &format!(
            "filesrc location=\"{}\" ! qtdemux name=d \
             d.video_0 ! queue ! decodebin ! identity name=vcut ! videoconvert ! videoscale ! \
             video/x-raw,width=240,height=240,format=I420 ! \
             x264enc speed-preset=ultrafast pass=qual quantizer=18 ! h264parse ! queue ! mux. \
             d.audio_0 ! queue ! decodebin ! identity name=acut ! audioconvert ! avenc_aac ! queue ! mux. \
             mp4mux name=mux ! filesink location=\"{}\"",
            shared_media("driving/talk_wink_480.mp4").display(),
            out.display()
        ),
        Some(seconds),
    );
    out
}

/// A still programme of colour bars, 640x360, 3 s at 30 frames/s: bright (the bars lifted) or
/// dark (the bars darkened to a night scene's levels).
pub fn programme(bright: bool) -> PathBuf {
    static BRIGHT: OnceLock<PathBuf> = OnceLock::new();
    static DARK: OnceLock<PathBuf> = OnceLock::new();
    let (cell, name, brightness) = if bright {
        (&BRIGHT, "bright.mp4", 0.2)
    } else {
        (&DARK, "dark.mp4", -0.6)
    };
    cell.get_or_init(|| programme_of(FRAMES, brightness, name))
        .clone()
}

/// A still programme of colour bars, 640x360 at 30 frames/s, `frames` long, as `name`.
pub fn programme_of(frames: usize, brightness: f64, name: &str) -> PathBuf {
    let out = inputs_dir().join(name);
    run_launch(
        &format!(
            "videotestsrc num-buffers={frames} pattern=smpte75 ! \
             video/x-raw,width={W},height={H},framerate=30/1 ! videobalance brightness={brightness} ! \
             videoconvert ! video/x-raw,format=I420 ! \
             x264enc speed-preset=ultrafast pass=qual quantizer=10 ! mp4mux ! \
             filesink location=\"{}\"",
            out.display()
        ),
        None,
    );
    out
}

/// The astronaut at 256x256 (a quarter of the work of the 512x512 picture).
pub fn avatar_rgb() -> RgbImage {
    image::imageops::resize(
        &image::open(demo_media("astronaut.png")).unwrap().to_rgb8(),
        256,
        256,
        image::imageops::FilterType::Triangle,
    )
}

/// Where the head is in the 256x256 avatar: an ellipse (centre, radii) around hair and chin.
pub const HEAD: ([f32; 2], [f32; 2]) = ([112.5, 55.0], [50.0, 60.0]);

/// How far (x, y) of the avatar is from the head's centre, in head radii (1 on the ellipse).
pub fn head_radius(x: f32, y: f32) -> f32 {
    let ([cx, cy], [rx, ry]) = HEAD;
    (((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2)).sqrt()
}

/// The test avatars: the 256x256 astronaut as a plain RGB PNG, and as an RGBA PNG, opaque on the
/// head's ellipse (a 2-pixel soft edge) and transparent outside.
pub fn avatars() -> &'static (PathBuf, PathBuf) {
    static AVATARS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    AVATARS.get_or_init(|| {
        let rgb = avatar_rgb();
        let plain = inputs_dir().join("astronaut_256.png");
        rgb.save(&plain).unwrap();
        let rgba = with_alpha(&rgb, |x, y| {
            let r = head_radius(x as f32 + 0.5, y as f32 + 0.5);
            let edge = (1.0 - (r - 1.0) * HEAD.1[0] / 2.0).clamp(0.0, 1.0);
            (edge * 255.0).round() as u8
        });
        let cutout = inputs_dir().join("astronaut_head_rgba.png");
        rgba.save(&cutout).unwrap();
        (plain, cutout)
    })
}

/// How long an overlay script may run in a test, seconds (3 s clips: a minute or less).
pub const SCRIPT_LIMIT_S: u32 = 120;

/// overlay.sh ACTOR PROGRAMME AVATAR DEST LAYOUT, which must succeed.
pub fn overlay(programme: &Path, avatar: &Path, dest: &str, layout: &str, envs: &[(&str, &str)]) {
    let (status, stderr) = run_script(
        "overlay.sh",
        &[
            actor().as_os_str(),
            programme.as_os_str(),
            avatar.as_os_str(),
            dest.as_ref(),
            layout.as_ref(),
        ],
        envs,
        SCRIPT_LIMIT_S,
    );
    assert!(
        status.success(),
        "overlay.sh {layout} -> {dest} failed: {status}\n{stderr}"
    );
    assert!(stderr.contains("overlay: done in "), "{stderr}");
}

/// The decoded picture and the seconds of decoded sound of a recording.
pub struct Received {
    pub frames: Vec<RgbImage>,
    pub sound_s: f64,
}

pub fn receive(path: &Path) -> Received {
    let frames = decode(path).into_iter().map(|f| f.image).collect();
    let samples = std::sync::Arc::new(std::sync::Mutex::new(0f64));
    let sink = samples.clone();
    run_to_sink(
        &format!(
            "filesrc location=\"{}\" ! decodebin ! audioconvert ! \
             audio/x-raw,format=S16LE,layout=interleaved ! appsink name=sink",
            path.display()
        ),
        move |sample| {
            let s = sample.caps().unwrap().structure(0).unwrap().to_owned();
            let rate = s.get::<i32>("rate").unwrap() as f64;
            let channels = s.get::<i32>("channels").unwrap() as f64;
            *sink.lock().unwrap() += sample.buffer().unwrap().size() as f64 / 2.0 / channels / rate;
        },
    );
    let sound_s = *samples.lock().unwrap();
    Received { frames, sound_s }
}

/// Saves `frame` as /tmp/overlay/`name`.png for looking at.
pub fn dump(frame: &RgbImage, name: &str) {
    let dir = std::env::temp_dir().join("overlay");
    std::fs::create_dir_all(&dir).unwrap();
    frame.save(dir.join(format!("{name}.png"))).unwrap();
}

/// A UDP (`udp`) or TCP port on 127.0.0.1 that nothing uses now.
pub fn free_port(udp: bool) -> u16 {
    if udp {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    } else {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }
}

/// Whether a socket is bound to `port` in /proc/net/`table` (udp, or tcp listening).
pub fn bound(table: &str, port: u16) -> bool {
    let text = std::fs::read_to_string(format!("/proc/net/{table}")).unwrap_or_default();
    text.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 3
            && f[1].ends_with(&format!(":{port:04X}"))
            && (table.starts_with("udp") || f[3] == "0A")
    })
}

/// Waits (polling, at most 60 s) until `ready()`, or panics with `what` once `child` has exited.
pub fn wait_for(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    for _ in 0..600 {
        if ready() {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{what}: it exited ({status}) before it was ready");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what}: not ready after 60 s");
}

/// A child process killed when dropped (a failing test leaves no receiver or server behind).
pub struct Killed(pub Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// gst-launch-1.0 `source` ! filesink `out`, as a receiver in its own process (it ends at EOS).
pub fn receiver(source: &str, out: &Path) -> Killed {
    let mut args: Vec<String> = vec!["60".into(), "gst-launch-1.0".into(), "-q".into()];
    args.extend(source.split_whitespace().map(String::from));
    args.extend([
        "!".into(),
        "filesink".into(),
        format!("location={}", out.display()),
    ]);
    Killed(
        Command::new("timeout")
            .args(&args)
            .spawn()
            .expect("gst-launch-1.0 runs"),
    )
}

/// What a receiver recorded, once it has ended (at the stream's end; a receiver that never ends
/// is killed when the script's `timeout` has failed the test): playable, the programme's size,
/// every frame but the last `lost_s` seconds (a key frame every 2 s: a start missed would lose
/// 2 s), the sound along.
pub fn check_received(mut rx: Killed, recording: &Path, what: &str, lost_s: f64) -> Received {
    let status = rx.0.wait().unwrap();
    assert!(status.success(), "{what} receiver: {status}");
    let got = receive(recording);
    println!(
        "{what}: {} frames of {:?}, {:.3} s of sound",
        got.frames.len(),
        got.frames.first().map(|f| f.dimensions()),
        got.sound_s
    );
    let least = FRAMES - (lost_s * 30.0).ceil() as usize;
    assert!(
        (least..=FRAMES).contains(&got.frames.len()),
        "{what}: {} frames received, sent {FRAMES}",
        got.frames.len()
    );
    assert_eq!(got.frames[0].dimensions(), (W, H), "{what}");
    assert!(
        got.sound_s > SECONDS - lost_s - 0.1 && got.sound_s < SECONDS + 0.1,
        "{what}: {} s of sound",
        got.sound_s
    );
    got
}

/// nginx with the RTMP module on 127.0.0.1:`port`, in the foreground in `dir`, as this user.
pub fn nginx(dir: &Path, port: u16) -> Killed {
    let module = Path::new("/usr/lib/nginx/modules/ngx_rtmp_module.so");
    assert!(
        Path::new("/usr/sbin/nginx").is_file() && module.is_file(),
        "nginx or {} is missing: run scripts/test.sh (installs nginx and libnginx-mod-rtmp)",
        module.display()
    );
    let d = dir.display();
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "load_module {};\ndaemon off;\nmaster_process off;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log info;\nevents {{ worker_connections 64; }}\n\
             rtmp {{ server {{ listen 127.0.0.1:{port}; application live {{ live on; record off; }} }} }}\n",
            module.display()
        ),
    )
    .unwrap();
    let mut child = Command::new("/usr/sbin/nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(dir.join("error.log"))
        .spawn()
        .expect("nginx runs");
    wait_for(&mut child, "nginx", || bound("tcp", port));
    Killed(child)
}
