//! The delivery pipeline, `appsrc ! SINK`, fed with the production pipeline's muxed stream, and
//! the thread that keeps it up: built, checked, torn down and built again, apart from the
//! production pipeline, so that nothing a sink does (an error, a stall, a slow state change) can
//! stop the element and the encoder.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gst::prelude::*;

use crate::backoff::Backoff;
use crate::destination::Destination;
use crate::secret::{Masker, Secret};

/// How long a new delivery pipeline must run without an error for its link to count as up
/// (rtmp2sink connects after it starts).
pub const CONFIRM: Duration = Duration::from_millis(1500);
/// How long an SRT caller has to be acknowledged by its listener (SRT's own connection timeout
/// is 3 s).
pub const SRT_CONFIRM: Duration = Duration::from_millis(3500);

/// What is going on with the link, for progress lines.
#[derive(Debug, Clone)]
pub enum Link {
    /// Not reached yet, or lost: since when, how many attempts so far.
    Down { since: Instant, attempts: u32 },
    /// Sending (a caller's or publisher's link, a recording), since when.
    Up { since: Instant },
    /// An SRT listener: how many receivers are connected.
    Listening { receivers: u32 },
}

/// State shared by the main loop, the delivery thread and the callbacks.
pub struct Shared {
    pub name: String,
    pub masker: Masker,
    /// The destination in words, never with a key.
    pub peer: String,
    /// Frames counted by the production pipeline's `progressreport` (if it has one).
    pub frames: AtomicU64,
    /// The delivery pipeline's source while it is there and up; `None`: the stream is dropped.
    pub appsrc: Mutex<Option<gst_app::AppSrc>>,
    /// Buffers that left the delivery pipeline's source, and when the last one did.
    pub passed: AtomicU64,
    pub last_pass: Mutex<Instant>,
    pub link: Mutex<Link>,
    /// The running time (ns) at which the muxer's inputs end (set by a stop request).
    pub stop_at: Mutex<Option<u64>>,
    /// End (running time, ns) of the latest buffer the muxer received, on any input: what
    /// it holds already; a stop ends every input there.
    pub last_end: AtomicU64,
    /// The production pipeline's end reached its appsink.
    pub ended: AtomicBool,
    pub start: Instant,
}

impl Shared {
    /// Prints one line on stderr, `NAME: text`, secrets masked.
    pub fn say(&self, text: &str) {
        eprintln!("{}: {}", self.name, self.masker.mask(text));
    }
}

/// Commands to the delivery thread.
pub enum Cmd {
    /// The production stream ended: end the delivery pipeline's stream.
    Ended,
    /// Stop working on the link (the program ends).
    Shutdown,
}

/// How to build the sink for the destination.
pub struct SinkConfig {
    pub dest: Destination,
    pub srt_latency_ms: u32,
    pub srt_streamid: Option<String>,
    pub srt_passphrase: Option<Secret>,
    pub srt_key_bytes: u32,
    pub rtmp_key: Option<Secret>,
    /// A sink that accepts nothing for this long is rebuilt.
    pub stall_after: Duration,
    /// Give up once the link has been down this long (`None`: never).
    pub give_up_after: Option<Duration>,
}

fn make_sink(
    cfg: &SinkConfig,
    shared: &Arc<Shared>,
    force_key: Arc<dyn Fn() + Send + Sync>,
) -> Result<gst::Element, String> {
    let make = |factory: &str, package: &str| {
        gst::ElementFactory::make(factory)
            .name("sink")
            .build()
            .map_err(|_| format!("GStreamer has no element {factory} ({package})"))
    };
    let sink = match &cfg.dest {
        Destination::SrtCaller { .. } | Destination::SrtListener { .. } => {
            let sink = make("srtsink", "gstreamer1.0-plugins-bad")?;
            let uri = match &cfg.dest {
                Destination::SrtCaller { host, port } => format!("srt://{host}:{port}?mode=caller"),
                Destination::SrtListener { port } => format!("srt://:{port}?mode=listener"),
                _ => unreachable!(),
            };
            sink.set_property("uri", uri.as_str());
            sink.set_property("latency", cfg.srt_latency_ms as i32);
            // A listener never blocks the stream waiting for a receiver: frames no one gets
            // are dropped. A caller waits for its connection, with what the appsrc holds (at
            // most a second): nothing of the stream's start is lost when the listener is there.
            sink.set_property(
                "wait-for-connection",
                matches!(cfg.dest, Destination::SrtCaller { .. }),
            );
            // Reconnection is ours (the delivery thread), not srtsink's.
            sink.set_property("auto-reconnect", false);
            if let Some(p) = &cfg.srt_passphrase {
                sink.set_property("passphrase", p.value.as_str());
                sink.set_property_from_str("pbkeylen", &cfg.srt_key_bytes.to_string());
            }
            if let Some(id) = &cfg.srt_streamid {
                sink.set_property("streamid", id.as_str());
            }
            if matches!(cfg.dest, Destination::SrtListener { .. }) {
                let s = shared.clone();
                sink.connect("caller-added", false, move |_| {
                    let n = {
                        let mut link = s.link.lock().unwrap();
                        let n = match *link {
                            Link::Listening { receivers } => receivers + 1,
                            _ => 1,
                        };
                        *link = Link::Listening { receivers: n };
                        n
                    };
                    s.say(&format!(
                        "a receiver connected ({n} now); sending from a key frame"
                    ));
                    force_key();
                    None
                });
                let s = shared.clone();
                sink.connect("caller-removed", false, move |_| {
                    let n = {
                        let mut link = s.link.lock().unwrap();
                        let n = match *link {
                            Link::Listening { receivers } => receivers.saturating_sub(1),
                            _ => 0,
                        };
                        *link = Link::Listening { receivers: n };
                        n
                    };
                    s.say(&format!(
                        "a receiver left ({n} now){}",
                        if n == 0 {
                            "; frames are dropped until one calls in"
                        } else {
                            ""
                        }
                    ));
                    None
                });
            }
            sink
        }
        Destination::Rtmp {
            secure,
            host,
            port,
            app,
            stream,
        } => {
            let sink = make("rtmp2sink", "gstreamer1.0-plugins-bad")?;
            let key = match (stream, &cfg.rtmp_key) {
                (Some(s), _) => s.clone(),
                (None, Some(k)) => k.value.clone(),
                (None, None) => return Err("no RTMP stream key".into()),
            };
            // Each part in its own property: the key is never part of a location string that
            // GStreamer could print.
            sink.set_property_from_str("scheme", if *secure { "rtmps" } else { "rtmp" });
            sink.set_property("host", host.as_str());
            sink.set_property(
                "port",
                i32::from(port.unwrap_or(if *secure { 443 } else { 1935 })),
            );
            sink.set_property("application", app.as_str());
            sink.set_property("stream", key.as_str());
            sink
        }
        Destination::File(path) => {
            let sink = make("filesink", "gstreamer1.0-plugins-base")?;
            sink.set_property(
                "location",
                path.to_str().ok_or("the file name is not UTF-8")?,
            );
            sink
        }
    };
    sink.set_property("sync", false);
    Ok(sink)
}

/// A delivery pipeline: `appsrc ! sink`.
pub struct Delivery {
    pub pipeline: gst::Pipeline,
    pub appsrc: gst_app::AppSrc,
    pub sink: gst::Element,
}

impl Delivery {
    /// Builds and starts one. For a network link the source drops its oldest data when a
    /// second's worth (or 8 MB) is waiting; for a recording it blocks (nothing is lost).
    pub fn start(
        cfg: &SinkConfig,
        shared: &Arc<Shared>,
        caps: Option<gst::Caps>,
        force_key: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Delivery, String> {
        let network = cfg.dest.is_network();
        let appsrc = gst_app::AppSrc::builder()
            .name("from-production")
            .format(gst::Format::Time)
            .block(!network)
            .max_bytes(8 << 20)
            .max_time(gst::ClockTime::SECOND)
            .build();
        if network {
            appsrc.set_property_from_str("leaky-type", "downstream");
        }
        if let Some(c) = caps {
            appsrc.set_caps(Some(&c));
        }
        let sink = make_sink(cfg, shared, force_key)?;
        let pipeline = gst::Pipeline::with_name("delivery");
        pipeline
            .add_many([appsrc.upcast_ref::<gst::Element>(), &sink])
            .map_err(|e| e.to_string())?;
        appsrc.link(&sink).map_err(|e| e.to_string())?;
        if let Some(pad) = appsrc.static_pad("src") {
            let s = shared.clone();
            pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                s.passed.fetch_add(1, Ordering::Relaxed);
                *s.last_pass.lock().unwrap() = Instant::now();
                gst::PadProbeReturn::Ok
            });
        }
        let delivery = Delivery {
            pipeline,
            appsrc,
            sink,
        };
        if delivery.pipeline.set_state(gst::State::Playing).is_err() {
            let why = delivery
                .error()
                .unwrap_or_else(|| "it did not start".into());
            delivery.stop();
            return Err(why);
        }
        Ok(delivery)
    }

    /// The first error on its bus, if any (without waiting).
    pub fn error(&self) -> Option<String> {
        let bus = self.pipeline.bus()?;
        while let Some(msg) = bus.pop() {
            if let gst::MessageView::Error(e) = msg.view() {
                return Some(e.error().to_string());
            }
        }
        None
    }

    /// Whether its stream has ended (EOS on its bus), or the error that stopped it.
    pub fn poll(&self) -> Result<bool, String> {
        let Some(bus) = self.pipeline.bus() else {
            return Ok(false);
        };
        while let Some(msg) = bus.pop() {
            match msg.view() {
                gst::MessageView::Error(e) => return Err(e.error().to_string()),
                gst::MessageView::Eos(_) => return Ok(true),
                _ => {}
            }
        }
        Ok(false)
    }

    /// SRT acknowledgements received so far, when the sink is an SRT caller connected to its
    /// listener (`None` while not connected). srtsink's `stats` hold only `bytes-sent-total`
    /// until the connection is made; then the SRT counters, `packet-ack-received` among them,
    /// which grows while the listener answers.
    pub fn srt_acks(&self) -> Option<i64> {
        self.sink.find_property("stats")?;
        let stats = self.sink.property::<gst::Structure>("stats");
        stats
            .get::<i32>("packet-ack-received")
            .map(i64::from)
            .or_else(|_| stats.get::<i64>("packet-ack-received"))
            .ok()
    }

    /// Stops it on a thread of its own: a sink stuck in a network call must hold up nothing.
    /// [`wait_for_stops`] waits for those still running.
    pub fn stop(self) {
        STOPPING.fetch_add(1, Ordering::SeqCst);
        std::thread::spawn(move || {
            drop(self);
            STOPPING.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// Delivery pipelines being stopped on their own threads.
static STOPPING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Waits at most `limit` for the delivery pipelines being stopped; whether they all are.
pub fn wait_for_stops(limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while STOPPING.load(Ordering::SeqCst) > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    STOPPING.load(Ordering::SeqCst) == 0
}

impl Drop for Delivery {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// The delivery thread: brings the link up, watches it, and brings it back up after each
/// failure, until the stream ends, delivery is given up or the program stops. `caps`: the
/// muxed stream's caps once known; `force_key`: asks the encoder for a key frame now;
/// `done(status, text)`: ends the program.
pub fn run(
    cfg: SinkConfig,
    shared: Arc<Shared>,
    rx: mpsc::Receiver<Cmd>,
    caps: Arc<Mutex<Option<gst::Caps>>>,
    force_key: Arc<dyn Fn() + Send + Sync>,
    first: Option<Delivery>,
    done: impl Fn(i32, String),
) {
    let mut current = first;
    let mut reason: Option<String> = current.is_none().then(String::new);
    let mut stalled_since_pass = 0u64;
    let mut last_acks = (0i64, Instant::now());
    loop {
        if let Some(why) = reason.take() {
            *shared.appsrc.lock().unwrap() = None;
            if let Some(d) = current.take() {
                d.stop();
            }
            let initial = why.is_empty();
            if !initial {
                shared.say(&format!("lost {}: {why}", shared.peer));
            }
            if shared.ended.load(Ordering::SeqCst) {
                done(
                    2,
                    format!(
                        "the stream ended while {} was not reached: its end was not delivered",
                        shared.peer
                    ),
                );
                return;
            }
            let since = Instant::now();
            *shared.link.lock().unwrap() = Link::Down { since, attempts: 0 };
            let mut backoff = Backoff::new(cfg.give_up_after);
            let mut wait = Duration::ZERO;
            if !initial {
                match backoff.next_wait(since.elapsed()) {
                    Some(w) => wait = w,
                    None => {
                        done(2, format!("gave up on {}: {why}", shared.peer));
                        return;
                    }
                }
            }
            loop {
                match rx.recv_timeout(wait) {
                    Ok(Cmd::Shutdown) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    Ok(Cmd::Ended) => {
                        done(
                            2,
                            format!(
                                "the stream ended while {} was not reached: its end was not \
                                 delivered",
                                shared.peer
                            ),
                        );
                        return;
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                }
                let attempts = {
                    let mut link = shared.link.lock().unwrap();
                    match &mut *link {
                        Link::Down { attempts, .. } => {
                            *attempts += 1;
                            *attempts
                        }
                        _ => 1,
                    }
                };
                // (Not locked across the attempt: the production's appsink takes it per buffer.)
                let known_caps = caps.lock().unwrap().clone();
                let outcome = Delivery::start(&cfg, &shared, known_caps, force_key.clone())
                    .and_then(|d| {
                        // Data flows while the link is confirmed.
                        *shared.last_pass.lock().unwrap() = Instant::now();
                        *shared.appsrc.lock().unwrap() = Some(d.appsrc.clone());
                        force_key();
                        let caller = matches!(cfg.dest, Destination::SrtCaller { .. });
                        let until = Instant::now() + if caller { SRT_CONFIRM } else { CONFIRM };
                        let failed = |d: Delivery, e: String| {
                            *shared.appsrc.lock().unwrap() = None;
                            d.stop();
                            Err(e)
                        };
                        loop {
                            if let Err(e) = d.poll() {
                                return failed(d, e);
                            }
                            // An SRT caller is up once its listener acknowledges data.
                            if caller && d.srt_acks().is_some_and(|n| n > 0) {
                                return Ok(d);
                            }
                            if Instant::now() >= until {
                                if caller {
                                    return failed(
                                        d,
                                        format!("no answer in {:.1} s", SRT_CONFIRM.as_secs_f64()),
                                    );
                                }
                                return Ok(d);
                            }
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    });
                match outcome {
                    Ok(d) => {
                        let down = since.elapsed().as_secs_f64();
                        {
                            let mut link = shared.link.lock().unwrap();
                            // (A receiver may have called in already.)
                            if !matches!(*link, Link::Listening { .. }) {
                                *link = match cfg.dest {
                                    Destination::SrtListener { .. } => {
                                        Link::Listening { receivers: 0 }
                                    }
                                    _ => Link::Up {
                                        since: Instant::now(),
                                    },
                                };
                            }
                        }
                        let what = match cfg.dest {
                            Destination::SrtListener { .. } => "listening for",
                            _ => "sending to",
                        };
                        if !initial {
                            shared.say(&format!(
                                "{what} {} again after {down:.1} s without it ({attempts} attempts)",
                                shared.peer
                            ));
                        } else if attempts > 1 {
                            shared.say(&format!(
                                "{what} {} (reached after {down:.1} s, {attempts} attempts)",
                                shared.peer
                            ));
                        } else {
                            shared.say(&format!("{what} {}", shared.peer));
                        }
                        current = Some(d);
                        last_acks = (0, Instant::now());
                        break;
                    }
                    Err(e) => match backoff.next_wait(since.elapsed()) {
                        Some(w) => {
                            shared.say(&format!(
                                    "cannot reach {} (attempt {attempts}, down {:.1} s): {e}; next try in {:.1} s",
                                    shared.peer,
                                    since.elapsed().as_secs_f64(),
                                    w.as_secs_f64()
                                ));
                            wait = w;
                        }
                        None => {
                            done(
                                2,
                                format!(
                                    "gave up on {} after {:.1} s (reconnect-for): {e}",
                                    shared.peer,
                                    since.elapsed().as_secs_f64()
                                ),
                            );
                            return;
                        }
                    },
                }
            }
        }
        // Up: watch it.
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Cmd::Shutdown) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Ok(Cmd::Ended) => {
                if let Some(d) = &current {
                    let _ = d.appsrc.end_of_stream();
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let Some(d) = &current else { continue };
        match d.poll() {
            Ok(true) => {
                done(0, "done: the end of the stream was delivered".into());
                return;
            }
            Ok(false) => {}
            Err(e) => {
                if cfg.dest.is_network() {
                    reason = Some(e);
                } else {
                    done(2, format!("cannot write {}: {e}", shared.peer));
                    return;
                }
                continue;
            }
        }
        // An SRT caller whose listener stopped acknowledging is cut off (srtsink itself may go
        // on accepting data without a word: the silent stall after a listener leaves).
        if let (Some(acks), Destination::SrtCaller { .. }) = (d.srt_acks(), &cfg.dest) {
            if acks != last_acks.0 {
                last_acks = (acks, Instant::now());
            } else if last_acks.1.elapsed() > cfg.stall_after {
                reason = Some(format!(
                    "no acknowledgement from it for {:.1} s",
                    last_acks.1.elapsed().as_secs_f64()
                ));
                last_acks = (0, Instant::now());
                continue;
            }
        }
        // A sink that accepts nothing while data waits has stalled.
        if cfg.dest.is_network() {
            let waiting: u64 = d.appsrc.current_level_bytes();
            let idle = shared.last_pass.lock().unwrap().elapsed();
            let passed = shared.passed.load(Ordering::Relaxed);
            if waiting > 0 && idle > cfg.stall_after && passed != stalled_since_pass {
                stalled_since_pass = passed;
                reason = Some(format!(
                    "it accepted no data for {:.1} s",
                    idle.as_secs_f64()
                ));
            }
        }
    }
}
