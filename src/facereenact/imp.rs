//! The `facereenact` element's subclass code: properties, caps, events and buffers handed to the
//! parts of this module that do the work (see `mod.rs`).

/**
 * SECTION:element-facereenact
 * @see_also: compositor, videoconvert
 *
 * Face reenactment: re-poses an avatar picture (the `avatar` property) with the head motion and
 * facial expression of the actor video on the sink pad, frame by frame, keeping the avatar's
 * identity and background. One frame out for each frame in, with the input's timestamps; each
 * output buffer carries a `GstVideoRegionOfInterestMeta` of type `face` with the drawn pose
 * (parameter structure `facereenact/pose`).
 *
 * Two engines (`engine`): `mesh`, the embedded face-mesh engine (MediaPipe face mesh, relative
 * motion, a piecewise-affine warp), and `liveportrait`, LivePortrait's networks run from the ONNX
 * model set in `engine-models-dir`. Inference runs through ONNX Runtime (`execution-provider`).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=actor.mp4 ! decodebin ! videoconvert ! \
 *   facereenact avatar=portrait.jpg ! videoconvert ! x264enc ! mp4mux ! filesink location=out.mp4
 * ]|
 * Re-enacts `portrait.jpg` with the face in `actor.mp4`; the output has the picture's size up to
 * `output-max-side` unless a caps filter after the element asks for another.
 */
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;
use gst_video::prelude::*;
use gst_video::subclass::prelude::*;

use super::caps;
use super::frames::{frame_duration, FORMATS};
use super::settings::{parse_actor_region, Settings};
use super::stream::{EngineInUse, StreamState};
use super::AlphaChoice;

pub(super) static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "facereenact",
        gst::DebugColorFlags::empty(),
        Some("Face reenactment"),
    )
});

/// The element. Lock order: `engine`, then `state`, then `settings`; `state` and `settings` are
/// held only briefly, so that the latency query, `reset-reference` and an avatar change never
/// wait for a frame being drawn (which holds `engine`).
#[derive(Default)]
pub struct FaceReenact {
    pub(super) settings: Mutex<Settings>,
    pub(super) state: Mutex<Option<StreamState>>,
    pub(super) engine: Mutex<Option<EngineInUse>>,
}

#[glib::object_subclass]
impl ObjectSubclass for FaceReenact {
    const NAME: &'static str = "GstFaceReenact";
    type Type = super::FaceReenact;
    type ParentType = gst_video::VideoFilter;
}

impl ObjectImpl for FaceReenact {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(Settings::param_specs);
        PROPERTIES.as_ref()
    }

    fn signals() -> &'static [glib::subclass::Signal] {
        static SIGNALS: LazyLock<Vec<glib::subclass::Signal>> = LazyLock::new(|| {
            vec![glib::subclass::Signal::builder("reset-reference")
                .action()
                .class_handler(|args| {
                    let element = args[0].get::<super::FaceReenact>().expect("signal arg");
                    element.imp().request_reference_reset();
                    None
                })
                .build()]
        });
        SIGNALS.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let running = self.state.lock().unwrap().is_some();
        // Properties read in start() only: set while running, they wait for the next start.
        if pspec.flags().contains(gst::PARAM_FLAG_MUTABLE_READY) && running {
            gst::element_imp_warning!(
                self,
                gst::LibraryError::Settings,
                (
                    "{} was changed while {:?}: it takes effect when the element next starts (stop the pipeline and play it again)",
                    pspec.name(),
                    self.obj().current_state()
                )
            );
        }
        if pspec.name() == "actor-region" && running {
            // Running: a region that does not read keeps the region in use.
            let text = value.get::<Option<String>>().expect("a string property");
            if let Err(e) = parse_actor_region(text.as_deref()) {
                gst::element_imp_warning!(
                    self,
                    gst::LibraryError::Settings,
                    ("actor-region {}: keeping the previous region", e)
                );
                return;
            }
        }
        let changed = self
            .settings
            .lock()
            .unwrap()
            .set(pspec.name(), value)
            .unwrap_or_else(|| unimplemented!("property {}", pspec.name()));
        if pspec.name() == "avatar" && changed {
            self.avatar_property_changed();
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        self.settings
            .lock()
            .unwrap()
            .get(pspec.name())
            .unwrap_or_else(|| unimplemented!("property {}", pspec.name()))
    }
}

impl GstObjectImpl for FaceReenact {}

impl ElementImpl for FaceReenact {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static ELEMENT_METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Face reenactment",
                "Filter/Effect/Video",
                "Re-poses an avatar picture with the actor video's head motion and facial expression",
                "facereenact developers",
            )
        });
        Some(&*ELEMENT_METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static PAD_TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            let caps = gst_video::VideoCapsBuilder::new()
                .format_list(FORMATS)
                .build();
            ["src", "sink"]
                .into_iter()
                .zip([gst::PadDirection::Src, gst::PadDirection::Sink])
                .map(|(name, direction)| {
                    gst::PadTemplate::new(name, direction, gst::PadPresence::Always, &caps).unwrap()
                })
                .collect()
        });
        PAD_TEMPLATES.as_ref()
    }
}

impl BaseTransformImpl for FaceReenact {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::NeverInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let downstream = caps::fixed_size(&self.obj().src_pad().peer_query_caps(None));
        let settings = self.settings.lock().unwrap().clone();
        let (state, engine) = self.start_stream(&settings, downstream)?;
        *self.engine.lock().unwrap() = Some(engine);
        *self.state.lock().unwrap() = Some(state);
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        self.engine.lock().unwrap().take();
        if let Some(state) = self.state.lock().unwrap().take() {
            let (longest, frame) = state.timing.longest();
            gst::info!(
                CAT,
                imp = self,
                "stopped after {} frames, {} without a face, {} over the processing deadline (the longest {:?}, frame {})",
                state.frames,
                state.frames_without_face,
                state.timing.late_frames(),
                longest,
                frame
            );
        }
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        if let gst::EventView::FlushStop(_) = event.view() {
            // A flushing seek: nothing tracked before it may leak into the frames after it.
            self.flush_engine();
        }
        self.parent_sink_event(event)
    }

    fn query(&self, direction: gst::PadDirection, query: &mut gst::QueryRef) -> bool {
        let latency = matches!(query.view(), gst::QueryView::Latency(_));
        let answered = BaseTransformImplExt::parent_query(self, direction, query);
        if answered && latency && direction == gst::PadDirection::Src {
            // Upstream's latency plus the time a frame may take here.
            if let gst::QueryViewMut::Latency(q) = query.view_mut() {
                let (live, min, max) = q.result();
                let deadline = self.deadline_when_live(live);
                q.set(live, min + deadline, max.map(|m| m + deadline));
                gst::debug!(
                    CAT,
                    imp = self,
                    "latency: upstream {min} + deadline {deadline}"
                );
            }
        }
        answered
    }

    fn transform(
        &self,
        inbuf: &gst::Buffer,
        outbuf: &mut gst::BufferRef,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let started = Instant::now();
        // The video filter maps both frames and calls transform_frame.
        let flow = self.parent_transform(inbuf, outbuf)?;
        self.finish_frame(outbuf, started.elapsed());
        Ok(flow)
    }

    fn fixate_caps(
        &self,
        direction: gst::PadDirection,
        caps: &gst::Caps,
        othercaps: gst::Caps,
    ) -> gst::Caps {
        if direction != gst::PadDirection::Sink {
            return self.parent_fixate_caps(direction, caps, othercaps);
        }
        // The source pad's caps: the first structure downstream allows, its size fixed first.
        let mut othercaps = othercaps;
        othercaps.truncate();
        if let (Some(s), Some((picture, preferred))) =
            (othercaps.make_mut().structure_mut(0), self.preferred_size())
        {
            caps::fixate_size(s, picture, preferred);
        }
        let fixed = self.parent_fixate_caps(direction, caps, othercaps);
        gst::debug!(CAT, imp = self, "fixated the output to {fixed:?}");
        fixed
    }

    fn transform_caps(
        &self,
        direction: gst::PadDirection,
        caps: &gst::Caps,
        filter: Option<&gst::Caps>,
    ) -> Option<gst::Caps> {
        let preferred = self.preferred_size().map(|(_, size)| size);
        let alpha = self.settings.lock().unwrap().alpha != AlphaChoice::Opaque;
        let out = caps::transform_caps(direction, caps, preferred, alpha);
        gst::debug!(
            CAT,
            imp = self,
            "transformed {caps:?} ({direction:?}) to {out:?}"
        );
        match filter {
            Some(f) => Some(f.intersect_with_mode(&out, gst::CapsIntersectMode::First)),
            None => Some(out),
        }
    }
}

impl VideoFilterImpl for FaceReenact {
    fn set_info(
        &self,
        _incaps: &gst::Caps,
        in_info: &gst_video::VideoInfo,
        _outcaps: &gst::Caps,
        out_info: &gst_video::VideoInfo,
    ) -> Result<(), gst::LoggableError> {
        let set = self.settings.lock().unwrap().processing_deadline;
        let changed = self.output_negotiated(set, frame_duration(in_info), out_info);
        // The avatar is prepared at the negotiated size, once.
        self.fit_avatar((out_info.width(), out_info.height()))
            .map_err(|e| {
                self.post_error_message(e);
                gst::loggable_error!(CAT, "the avatar could not be prepared at the output size")
            })?;
        if changed {
            // The latency this element adds changed: the pipeline asks again.
            let _ = self
                .obj()
                .post_message(gst::message::Latency::builder().src(&*self.obj()).build());
        }
        let alpha = self.settings.lock().unwrap().alpha;
        if alpha != AlphaChoice::Opaque && !out_info.format_info().has_alpha() {
            gst::element_imp_warning!(
                self,
                gst::CoreError::Negotiation,
                (
                    "alpha={} but downstream took {}, a format without alpha: the avatar is composited over white. \
                     Everything between facereenact and the compositor must take an alpha format, and so must the \
                     compositor's own output (e.g. compositor ! video/x-raw,format=AYUV ! videoconvert ! x264enc): \
                     a compositor whose output has no alpha takes none on its inputs either",
                    alpha.nick(),
                    out_info.format().to_str()
                )
            );
        }
        Ok(())
    }

    fn transform_frame(
        &self,
        inframe: &gst_video::VideoFrameRef<&gst::BufferRef>,
        outframe: &mut gst_video::VideoFrameRef<&mut gst::BufferRef>,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        self.process_frame(inframe, outframe).map_err(|e| {
            if let Some(msg) = e {
                self.post_error_message(msg);
                gst::FlowError::Error
            } else {
                gst::FlowError::Flushing
            }
        })?;
        Ok(gst::FlowSuccess::Ok)
    }
}
