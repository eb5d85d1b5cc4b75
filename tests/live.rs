//! A live source through the element for a minute (issue 14): every frame reaches a synchronised
//! sink in time, and the pipeline's latency includes the element's processing deadline. The only
//! test of its binary, so that no other test competes with it for the CPU while it runs.
//!
//! The element is given a processing deadline of [`DEADLINE_NS`], as a user of a slow machine
//! would set it: what is tested is that the element announces its deadline in the latency and
//! keeps within it, and that its face search keeps to its share of a frame (half of it), not how
//! fast this machine is. On the 2-core machine of issue 15 the default one-frame deadline
//! (33.3 ms) was missed by 30 of 1800 frames: re-detections took up to 93 ms (speed is measured
//! by `benches/latency.rs` and `benches/search.rs`). The element runs in the compositor's
//! thread, so the compositor drops frames when searching frames take a frame's time: 29 were
//! dropped when a search could start a run just before its time was spent.

mod common;

use gst::prelude::*;

/// 60 s at 30 fps.
const FRAMES: u64 = 1800;

/// The element's processing deadline, nanoseconds.
const DEADLINE_NS: u64 = 150_000_000;

/// Frames that may be lost in the minute (2 %), dropped by the sink or skipped (on QoS events)
/// by the compositor or the element: on the 2-core machine of issue 15 the whole pipeline
/// (decoder, scaler, compositor and element) runs near the CPU's capacity, and runs lost 11, 2
/// and 13 of 1800 (2, 1 and 2 of them dropped by the sink), most at start-up while the file branch
/// starts. More than this means frames come late as a rule, which a user would see.
const MAX_LOST: u64 = 36;

#[test]
fn a_live_30_fps_source_runs_a_minute_with_its_frames_in_time() {
    common::init();
    // A live 30 fps picture (a black frame, like a camera's) with the talking actor composited
    // in; after the clip's 33.6 s the actor is gone and the element searches for the rest.
    // The sink drops what comes more than 20 ms late, as video sinks do by default.
    let launch = format!(
        "compositor name=c ! video/x-raw,width=640,height=360,framerate=30/1 \
         ! facereenact name=fr processing-deadline={DEADLINE_NS} avatar=\"{}\" \
         ! fakesink name=sink sync=true qos=true max-lateness=20000000 \
         videotestsrc is-live=true pattern=black num-buffers={FRAMES} \
         ! video/x-raw,width=640,height=360,framerate=30/1 ! c.sink_0 \
         filesrc location=\"{}\" ! decodebin ! videoconvert ! videoscale \
         ! video/x-raw,width=320,height=320 ! c.sink_1",
        common::shared_media("avatar/astronaut_512.png").display(),
        common::shared_media("driving/talk_wink_480.mp4").display(),
    );
    let pipeline = gst::parse::launch(&launch)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    let (mut warnings, mut qos, mut latency) = (Vec::new(), 0, None);
    let mut qos_by = std::collections::BTreeMap::new();
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(180)) {
        match msg.view() {
            gst::MessageView::Eos(..) => break,
            gst::MessageView::Error(e) => panic!("{} ({:?})", e.error(), e.debug()),
            gst::MessageView::Warning(w) => warnings.push(w.error().message().to_string()),
            gst::MessageView::Qos(_) => {
                // Which element dropped or was late: printed, for a failure's diagnosis.
                let src = msg.src().map_or_else(String::new, |s| s.name().to_string());
                *qos_by.entry(src).or_insert(0u32) += 1;
                qos += 1;
            }
            gst::MessageView::AsyncDone(_) if latency.is_none() => {
                // Upstream's latency (what the element's sink pad sees) and the whole pipeline's.
                let mut up = gst::query::Latency::new();
                let sink_pad = pipeline.by_name("fr").unwrap().static_pad("sink").unwrap();
                assert!(
                    sink_pad.peer_query(&mut up),
                    "upstream answers the latency query"
                );
                let mut q = gst::query::Latency::new();
                assert!(pipeline.query(&mut q), "the latency query is answered");
                latency = Some((up.result().1, q.result()));
            }
            _ => {}
        }
    }
    let stats = pipeline
        .by_name("sink")
        .unwrap()
        .property::<gst::Structure>("stats");
    pipeline.set_state(gst::State::Null).unwrap();
    let rendered = stats.get::<u64>("rendered").unwrap();
    let dropped = stats.get::<u64>("dropped").unwrap();
    println!("{stats:?}; {qos} QoS messages, by element: {qos_by:?}");
    // Lost frames, whoever skipped them (the QoS messages name who: printed above). (The
    // compositor may add one frame at the end.)
    assert!(
        rendered + MAX_LOST >= FRAMES && rendered <= FRAMES + 1 && dropped <= MAX_LOST,
        "{stats:?}; QoS messages by element {qos_by:?}; warnings {warnings:?}"
    );
    // The element adds its deadline to its upstream's latency.
    let (upstream, (live, min, _)) = latency.expect("a latency answer");
    assert!(live);
    assert!(
        min >= upstream + gst::ClockTime::from_nseconds(DEADLINE_NS),
        "pipeline latency {min}, upstream {upstream}: the element's deadline is missing"
    );
    assert!(
        !warnings.iter().any(|w| w.contains("processing-deadline")),
        "{warnings:?}"
    );
}
