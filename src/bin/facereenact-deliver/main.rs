//! `facereenact-deliver`: runs a production pipeline (gst-launch syntax, ending in a muxer named
//! `mux`) and delivers the muxer's stream to one destination, keeping the production running
//! through the receiver's absences. `pipelines/overlay.sh` builds the production pipeline and
//! runs it through this program.
//!
//! What it adds to `gst-launch-1.0 -e`, for a live link left running:
//! * **Reconnection.** The muxed stream leaves the production pipeline through an appsink and
//!   is sent by a second, small pipeline (`appsrc ! srtsink|rtmp2sink|filesink`, [`delivery`]),
//!   rebuilt when it fails, when an SRT listener stops acknowledging for `--stall-after` seconds
//!   (GStreamer 1.22's srtsink itself goes on silently), or when its sink accepts nothing for as
//!   long, while the element and the encoder keep running: a sink's error never reaches the
//!   production pipeline. Attempts follow [`backoff::Backoff`] (0.5 s, doubling to 4 s), for
//!   `--reconnect-for` seconds (default: until stopped; 0: give up at once, exit status 2).
//!   While no receiver is reached, frames are dropped, not queued: at most the last second
//!   waits, which an SRT caller sends first once connected (so nothing of the stream's start is
//!   lost when its listener is there); a receiver that comes back gets the current picture, from
//!   a key frame forced at once (an upstream force-key-unit event).
//! * **An SRT listener that does not wait** (`wait-for-connection=false`): frames no receiver
//!   gets are dropped, Ctrl-C works with no receiver, a late receiver gets live pictures.
//! * **Ctrl-C (or SIGTERM) that always stops within `--stop-within` seconds** (default 2): the
//!   muxer's inputs are all ended at the running time of the latest data it holds (whichever
//!   input is ahead; the others catch up to it), so a recording's sound and picture end
//!   together; if the end does not reach the destination in time, it stops anyway (exit status
//!   2). A second Ctrl-C stops at once (exit status 2).
//! * **Secrets** (SRT passphrase, RTMP stream key) from a file or an environment variable,
//!   never the command line, and masked (`****`) in everything it prints.
//!
//! Exit status: 0 the stream ended and its end reached the destination (also after Ctrl-C);
//! 1 bad arguments or secrets; 2 a pipeline error, delivery given up, or a stop that could not
//! end the stream cleanly.

mod backoff;
mod delivery;
mod destination;
mod secret;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use gst::glib;
use gst::prelude::*;

use delivery::{Cmd, Delivery, Link, Shared, SinkConfig};
use destination::Destination;
use secret::Masker;

/// Command line. Secrets are never arguments: see `--srt-passphrase-file`, `--rtmp-key-file`.
#[derive(Parser, Debug)]
#[command(
    name = "facereenact-deliver",
    about = "Run a production pipeline ending in a muxer named `mux` and deliver its stream to \
             DEST, reconnecting when the receiver goes away"
)]
struct Cli {
    /// srt://HOST:PORT (caller), srt://:PORT (listener), rtmp[s]://HOST[:PORT]/APP[/STREAM],
    /// or a .ts, .mp4 or .mkv file
    #[arg(long)]
    dest: String,
    /// Prefix of every line printed (the calling script's name)
    #[arg(long, default_value = "deliver")]
    name: String,
    /// SRT latency in milliseconds (the receive buffer retransmissions must fit in)
    #[arg(long, default_value_t = 125)]
    srt_latency_ms: u32,
    /// SRT stream id (ingest servers route publishers by it)
    #[arg(long)]
    srt_streamid: Option<String>,
    /// File whose first line is the SRT passphrase (10 to 79 characters); without it,
    /// $FACEREENACT_SRT_PASSPHRASE; without either the link is not encrypted
    #[arg(long)]
    srt_passphrase_file: Option<PathBuf>,
    /// AES key length of an encrypted SRT link, in bytes: 16 (AES-128), 24 or 32 (AES-256)
    #[arg(long, default_value_t = 32)]
    srt_key_bytes: u32,
    /// File whose first line is the RTMP stream key (when DEST has no STREAM part); without
    /// it, $FACEREENACT_RTMP_KEY
    #[arg(long)]
    rtmp_key_file: Option<PathBuf>,
    /// Seconds to keep trying to reach the receiver when it is lost or not there yet;
    /// negative: until stopped; 0: give up at once
    #[arg(long, default_value_t = -1.0, allow_hyphen_values = true)]
    reconnect_for: f64,
    /// Seconds a network sink may accept no data before it is rebuilt
    #[arg(long, default_value_t = 3.0)]
    stall_after: f64,
    /// Seconds between progress lines
    #[arg(long, default_value_t = 5)]
    progress_every: u64,
    /// Seconds Ctrl-C waits for the end of the stream to reach DEST
    #[arg(long, default_value_t = 2.0)]
    stop_within: f64,
    /// The production pipeline, gst-launch syntax, with an element named `mux` whose source pad
    /// is left free
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pipeline: Vec<String>,
}

fn running_time(pad: &gst::Pad, pts: Option<gst::ClockTime>) -> Option<u64> {
    let segment = pad.sticky_event::<gst::event::Segment>(0)?;
    let segment = segment.segment().downcast_ref::<gst::ClockTime>()?.clone();
    segment
        .to_running_time(pts?)
        .map(|t: gst::ClockTime| t.nseconds())
}

/// Probes on the muxer's inputs: track the latest end of the data it received; after a stop, end each input
/// at the stop time (so a recording's tracks end together).
fn watch_mux_inputs(mux: &gst::Element, shared: &Arc<Shared>) {
    // On the pads that feed the muxer (a probe that drops buffers and pushes the end of stream
    // belongs on a source pad).
    for pad in mux.sink_pads().iter().filter_map(|p| p.peer()) {
        let s = shared.clone();
        let ended = Arc::new(AtomicBool::new(false));
        pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
            let Some(buffer) = info.buffer() else {
                return gst::PadProbeReturn::Ok;
            };
            let rt = running_time(pad, buffer.pts());
            let stop = *s.stop_at.lock().unwrap();
            if let (Some(stop), Some(rt)) = (stop, rt) {
                if rt >= stop {
                    if !ended.swap(true, Ordering::SeqCst) {
                        pad.push_event(gst::event::Eos::new());
                    }
                    return gst::PadProbeReturn::Drop;
                }
            }
            if let Some(rt) = rt {
                let end = rt + buffer.duration().map_or(0, |d| d.nseconds());
                s.last_end.fetch_max(end, Ordering::SeqCst);
            }
            gst::PadProbeReturn::Ok
        });
    }
}

/// A stop request (Ctrl-C, SIGTERM): the first ends the stream at the latest data the muxer
/// received and gives it `stop_within` to reach the destination; a second stops at once.
fn request_stop(
    s: &Arc<Shared>,
    pipeline: &gst::Pipeline,
    fin: &(impl Fn(i32, String) + Clone + Send + 'static),
    stopping: &AtomicBool,
    stop_within: Duration,
) {
    if stopping.swap(true, Ordering::SeqCst) {
        fin(2, "stopped at once (second stop request)".into());
        return;
    }
    let end = s.last_end.load(Ordering::SeqCst);
    if end > 0 {
        *s.stop_at.lock().unwrap() = Some(end);
        s.say(&format!(
            "stopping: the stream ends at {} (again to stop at once)",
            clock(end as f64 / 1e9)
        ));
    } else {
        s.say("stopping (again to stop at once)");
        pipeline.send_event(gst::event::Eos::new());
    }
    let fin = fin.clone();
    let peer = s.peer.clone();
    glib::timeout_add_once(stop_within, move || {
        fin(
            2,
            format!(
                "stopped after {:.1} s: the end of the stream did not reach {peer} in time",
                stop_within.as_secs_f64()
            ),
        )
    });
}

fn clock(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn main() {
    let cli = Cli::parse();
    std::process::exit(run(cli));
}

fn run(cli: Cli) -> i32 {
    let fail = |text: String| {
        eprintln!("{}: {text}", cli.name);
        1
    };
    let dest = match Destination::parse(&cli.dest) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    if ![16, 24, 32].contains(&cli.srt_key_bytes) {
        return fail(format!(
            "--srt-key-bytes {} is not 16, 24 or 32",
            cli.srt_key_bytes
        ));
    }
    let mut masker = Masker::default();
    let srt_passphrase = match secret::read(
        "FACEREENACT_SRT_PASSPHRASE",
        cli.srt_passphrase_file.as_deref(),
    ) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let rtmp_key = match secret::read("FACEREENACT_RTMP_KEY", cli.rtmp_key_file.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Some(p) = &srt_passphrase {
        if let Err(e) = secret::check_srt_passphrase(p) {
            return fail(e);
        }
        masker.add(&p.value);
    }
    if let Some(k) = &rtmp_key {
        masker.add(&k.value);
    }
    if let Destination::Rtmp { stream, .. } = &dest {
        match stream {
            Some(s) => {
                masker.add(s);
                eprintln!(
                    "{}: note: the stream key is part of the URL, where `ps` shows it: put it in \
                     a file (OVERLAY_RTMP_KEY_FILE) or in FACEREENACT_RTMP_KEY and leave it out \
                     of the URL",
                    cli.name
                );
            }
            None if rtmp_key.is_none() => {
                return fail(format!(
                    "{} has no stream key: give it in a file (OVERLAY_RTMP_KEY_FILE) or in the \
                     environment variable FACEREENACT_RTMP_KEY",
                    masker.mask(&cli.dest)
                ))
            }
            None => {}
        }
    }
    if let Err(e) = gst::init() {
        return fail(format!("GStreamer could not start: {e}"));
    }
    let words: Vec<&str> = cli.pipeline.iter().map(String::as_str).collect();
    let pipeline = match gst::parse::launchv(&words) {
        Ok(p) => match p.downcast::<gst::Pipeline>() {
            Ok(p) => p,
            Err(_) => return fail("the production pipeline is a single element".into()),
        },
        Err(e) => return fail(format!("the production pipeline does not parse: {e}")),
    };
    let Some(mux) = pipeline.by_name("mux") else {
        return fail("the production pipeline has no element named mux".into());
    };
    let network = dest.is_network();
    // The muxed stream leaves the production pipeline here.
    let out = gst_app::AppSink::builder()
        .name("to-delivery")
        .sync(false)
        .build();
    out.set_property("async", false);
    pipeline.add(&out).unwrap();
    if let Err(e) = mux.link(&out) {
        return fail(format!("mux's output cannot be linked: {e}"));
    }
    let shared = Arc::new(Shared {
        name: cli.name.clone(),
        masker,
        peer: dest.describe(),
        frames: AtomicU64::new(0),
        appsrc: Mutex::new(None),
        passed: AtomicU64::new(0),
        last_pass: Mutex::new(Instant::now()),
        link: Mutex::new(Link::Down {
            since: Instant::now(),
            attempts: 0,
        }),
        stop_at: Mutex::new(None),
        last_end: AtomicU64::new(0),
        ended: AtomicBool::new(false),
        start: Instant::now(),
    });
    watch_mux_inputs(&mux, &shared);
    // Asks the encoder for a key frame with its headers now (an upstream force-key-unit event
    // from the appsink: the muxer passes it to its inputs).
    let force_key: Arc<dyn Fn() + Send + Sync> = {
        let pad = out.static_pad("sink").unwrap();
        Arc::new(move || {
            let event = gst_video::UpstreamForceKeyUnitEvent::builder()
                .all_headers(true)
                .build();
            pad.push_event(event);
        })
    };
    let caps = Arc::new(Mutex::new(None::<gst::Caps>));
    let (to_delivery, rx) = mpsc::channel::<Cmd>();
    {
        let s = shared.clone();
        let caps = caps.clone();
        let tx = Mutex::new(to_delivery.clone());
        out.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    let Some(buffer) = sample.buffer_owned() else {
                        return Ok(gst::FlowSuccess::Ok);
                    };
                    let new_caps = sample.caps_owned();
                    let changed = {
                        let mut c = caps.lock().unwrap();
                        let changed = *c != new_caps;
                        if changed {
                            *c = new_caps.clone();
                        }
                        changed
                    };
                    let appsrc = s.appsrc.lock().unwrap().clone();
                    if let Some(src) = appsrc {
                        if changed || src.caps().is_none() {
                            src.set_caps(new_caps.as_ref());
                        }
                        let ret = src.push_buffer(buffer);
                        // A recording must not lose data: its errors stop the production. A
                        // network link's are the delivery thread's business.
                        if !network {
                            return ret;
                        }
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .eos(move |_| {
                    let _ = tx.lock().unwrap().send(Cmd::Ended);
                })
                .build(),
        );
    }
    let main_loop = glib::MainLoop::new(None, false);
    let status = Arc::new(Mutex::new(None::<i32>));
    // The end of the program, from any thread: the status and a last line.
    let finish = {
        let main_loop = main_loop.clone();
        let status = status.clone();
        let shared = shared.clone();
        move |code: i32, text: String| {
            let mut st = status.lock().unwrap();
            if st.is_none() {
                *st = Some(code);
                shared.say(&text);
            }
            main_loop.quit();
        }
    };
    let cfg = SinkConfig {
        dest: dest.clone(),
        srt_latency_ms: cli.srt_latency_ms,
        srt_streamid: cli.srt_streamid.clone(),
        srt_passphrase,
        srt_key_bytes: cli.srt_key_bytes,
        rtmp_key,
        stall_after: Duration::from_secs_f64(cli.stall_after.max(0.5)),
        give_up_after: if !network {
            Some(Duration::ZERO)
        } else if cli.reconnect_for < 0.0 {
            None
        } else {
            Some(Duration::from_secs_f64(cli.reconnect_for))
        },
    };
    // A recording's delivery is there before the first byte (nothing may be dropped); a
    // network link is reached by the delivery thread once the production runs.
    let mut first = None;
    if !network {
        match Delivery::start(&cfg, &shared, None, force_key.clone()) {
            Ok(d) => {
                *shared.appsrc.lock().unwrap() = Some(d.appsrc.clone());
                *shared.link.lock().unwrap() = Link::Up {
                    since: Instant::now(),
                };
                first = Some(d);
            }
            Err(e) => return fail(format!("cannot write {}: {e}", shared.peer)),
        }
    }

    let bus = pipeline.bus().unwrap();
    let _watch = {
        let s = shared.clone();
        let fin = finish.clone();
        bus.add_watch(move |_, msg| {
            use gst::MessageView;
            let from = msg.src().map(|o| o.name().to_string()).unwrap_or_default();
            match msg.view() {
                MessageView::Error(e) => fin(
                    2,
                    format!(
                        "error from {from}: {}{}",
                        e.error(),
                        e.debug().map(|d| format!(" ({d})")).unwrap_or_default()
                    ),
                ),
                MessageView::Warning(w) => s.say(&format!("warning ({from}): {}", w.error())),
                MessageView::Info(i) => s.say(&format!("note ({from}): {}", i.error())),
                MessageView::Element(el) => {
                    if let Some(st) = el.structure() {
                        if st.name() == "progress" {
                            if let Ok(n) = st.get::<i64>("current") {
                                s.frames.store(n.max(0) as u64, Ordering::Relaxed);
                            }
                        }
                    }
                }
                _ => {}
            }
            glib::ControlFlow::Continue
        })
        .expect("one bus watch")
    };

    // Progress lines.
    {
        let s = shared.clone();
        let every = cli.progress_every.max(1);
        let mut last_report = 0u64;
        glib::timeout_add_local(Duration::from_millis(250), move || {
            let elapsed = s.start.elapsed();
            let secs = elapsed.as_secs();
            if secs / every > last_report {
                last_report = secs / every;
                let link = s.link.lock().unwrap().clone();
                let state = match link {
                    Link::Up { since } => format!(
                        "sending to {} (link up {})",
                        s.peer,
                        clock(since.elapsed().as_secs_f64())
                    ),
                    Link::Down { since, attempts } => format!(
                        "{} not reached for {} ({attempts} attempts); frames dropped",
                        s.peer,
                        clock(since.elapsed().as_secs_f64())
                    ),
                    Link::Listening { receivers: 0 } => {
                        "no receiver connected; frames dropped".to_string()
                    }
                    Link::Listening { receivers } => format!("sending to {receivers} receiver(s)"),
                };
                s.say(&format!(
                    "{} frames in {}; {state}",
                    s.frames.load(Ordering::Relaxed),
                    clock(elapsed.as_secs_f64())
                ));
            }
            glib::ControlFlow::Continue
        });
    }

    // Ctrl-C and SIGTERM: end the stream, bounded; a second one stops at once. (A thread waits
    // for the signals and hands each to the main loop.)
    {
        let s = shared.clone();
        let pipeline = pipeline.clone();
        let fin = finish.clone();
        let stop_within = Duration::from_secs_f64(cli.stop_within.max(0.1));
        let stopping = Arc::new(AtomicBool::new(false));
        let mut signals = match signal_hook::iterator::Signals::new([
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
        ]) {
            Ok(signals) => signals,
            Err(e) => return fail(format!("cannot watch for Ctrl-C: {e}")),
        };
        std::thread::spawn(move || {
            for _ in signals.forever() {
                let s = s.clone();
                let pipeline = pipeline.clone();
                let fin = fin.clone();
                let stopping = stopping.clone();
                glib::idle_add_once(move || {
                    request_stop(&s, &pipeline, &fin, &stopping, stop_within)
                });
            }
        });
    }

    if pipeline.set_state(gst::State::Playing).is_err() {
        let msg = bus
            .timed_pop_filtered(gst::ClockTime::from_seconds(1), &[gst::MessageType::Error])
            .and_then(|m| match m.view() {
                gst::MessageView::Error(e) => {
                    Some(format!("{} ({})", e.error(), e.debug().unwrap_or_default()))
                }
                _ => None,
            })
            .unwrap_or_else(|| "no reason given".into());
        shared.say(&format!("the pipeline did not start: {msg}"));
        let _ = pipeline.set_state(gst::State::Null);
        return 2;
    }
    let delivery_thread = {
        let s = shared.clone();
        let fin = finish.clone();
        let caps = caps.clone();
        let force_key = force_key.clone();
        std::thread::spawn(move || delivery::run(cfg, s, rx, caps, force_key, first, fin))
    };
    main_loop.run();
    let _ = to_delivery.send(Cmd::Shutdown);
    let code = status.lock().unwrap().unwrap_or(2);
    // In order, each step bounded (a sink stuck on the network must not hold the exit): the
    // delivery pipeline, the production pipeline, the delivery pipelines still being stopped.
    // The process's exit runs libsrt's static destructors, which must not meet SRT threads
    // still running: when a step does not finish in time, the process leaves without them.
    let deadline = Instant::now() + Duration::from_secs(3);
    while !delivery_thread.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let delivery_done = delivery_thread.is_finished();
    let (tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = pipeline.set_state(gst::State::Null);
        let _ = tx.send(());
    });
    let production_done = done.recv_timeout(Duration::from_secs(2)).is_ok();
    let stops_done = delivery::wait_for_stops(Duration::from_secs(2));
    if !(delivery_done && production_done && stops_done) {
        shared.say("a pipeline did not stop in time; leaving without waiting for it");
        // SAFETY: _exit ends the process at once; nothing after it runs.
        unsafe { libc::_exit(code) }
    }
    code
}
