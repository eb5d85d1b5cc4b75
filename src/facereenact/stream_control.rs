//! Starting the stream, and the changes other threads ask for while it runs: they are left
//! pending in the [`StreamState`] and applied by the streaming thread before its next frame
//! ([`FaceReenact::sync_engine`]), so that the latency query, `reset-reference` and an avatar
//! change never wait for a frame being drawn.

use std::sync::Arc;

use gst::prelude::*;
use gst::subclass::prelude::*;

use super::composition::OutputComposition;
use super::errors::ErrorCode;
use super::imp::{FaceReenact, CAT};
use super::settings::Settings;
use super::stream::{EngineInUse, FrameInputs, StreamState};
use super::timing::FrameTiming;
use crate::engine::factory::NoticeKind;
use crate::models::FaceModels;
use crate::output_size::SizeRule;

impl FaceReenact {
    /// Loads the face models, the avatar (at `downstream`'s size when a caps filter fixes one) and
    /// the engine `settings` ask for, posting the engine's start-up notices. Errors: a setting
    /// that does not read, a missing or faceless avatar, models that do not load.
    pub(super) fn start_stream(
        &self,
        settings: &Settings,
        downstream: Option<(u32, u32)>,
    ) -> Result<(StreamState, EngineInUse), gst::ErrorMessage> {
        let settings_error =
            |text: String| gst::error_msg!(gst::LibraryError::Settings, ("{}", text));
        settings
            .actor_region()
            .map_err(|e| settings_error(format!("actor-region {e}")))?;
        let request = settings.engine_request().map_err(settings_error)?;
        let Some(avatar_path) = settings.avatar_path() else {
            return Err(gst::error_msg!(
                gst::ResourceError::NotFound,
                ("no avatar set: set the avatar property to a PNG or JPEG picture of a face")
            ));
        };
        request.check_before_loading()?;
        let models = FaceModels::load(&settings.models_dir(), request.provider, request.threads)?;
        let notes = models.fallback_notes();
        if !notes.is_empty() {
            let text = format!(
                "execution-provider={}: running on {} ({})",
                request.provider.nick(),
                models.landmarker.active_provider,
                notes.join("; ")
            );
            gst::element_imp_info!(
                self,
                gst::LibraryError::Settings,
                ("{}", text),
                ["{}", text]
            );
        }
        // A size downstream fixes already (a caps filter) is known now: the picture is scaled to
        // it once, not first to its capped size and again when the caps are set.
        let rule = downstream.map_or(SizeRule::Capped(settings.output_max_side), |(w, h)| {
            SizeRule::Exact(w, h)
        });
        let avatar = self.load_avatar(&avatar_path, &models, rule)?;
        let mut built = request.build(&models, &avatar)?;
        for notice in &built.notices {
            if notice.kind == NoticeKind::Info {
                gst::info!(CAT, imp = self, "{} ({})", notice.text, notice.detail);
                continue;
            }
            let error = ErrorCode::from(notice.kind).glib_error(&notice.text);
            let _ = self.obj().post_message(
                gst::message::Warning::builder_from_error(error)
                    .src(&*self.obj())
                    .debug(&notice.detail)
                    .build(),
            );
        }
        // Before the clock runs: the first live frames do not pay for the avatar's features or
        // a provider's first run.
        built.engine.prepare(&avatar)?;
        let state = StreamState {
            models,
            avatar: Arc::new(avatar),
            avatar_pending: false,
            reset_pending: false,
            frames: 0,
            frames_without_face: 0,
            faceless_run: 0,
            reenacted: false,
            actor_frame: (0, 0, 1.0),
            timing: FrameTiming::new(settings.processing_deadline),
            output_alpha: false,
            size_reported: None,
        };
        let engine = EngineInUse {
            engine: built.engine,
            composition: OutputComposition::default(),
        };
        Ok((state, engine))
    }

    /// Applies to `engine` what other threads changed since the last frame (a new avatar, a
    /// reference reset) and returns what the next frame needs; `None` when stopped. Called by
    /// the streaming thread with the engine locked.
    pub(super) fn sync_engine(&self, engine: &mut EngineInUse) -> Option<FrameInputs> {
        let mut guard = self.state.lock().unwrap();
        let state = guard.as_mut()?;
        let (avatar_changed, reset) = (state.avatar_pending, state.reset_pending);
        state.avatar_pending = false;
        state.reset_pending = false;
        let inputs = FrameInputs {
            avatar: state.avatar.clone(),
            live_search_time: state.timing.live.then_some(state.timing.search_time),
            output_alpha: state.output_alpha,
            frames: state.frames,
        };
        drop(guard);
        if avatar_changed {
            engine.engine.avatar_changed();
            engine.composition.invalidate();
        }
        if reset {
            engine.engine.reset_reference();
        }
        Some(inputs)
    }

    /// `reset-reference`: the next actor frame with a face becomes the reference. Applied by the
    /// streaming thread before its next frame; this does not wait for a frame being drawn.
    pub(super) fn request_reference_reset(&self) {
        if let Some(state) = self.state.lock().unwrap().as_mut() {
            state.reset_pending = true;
        }
    }

    /// A flushing seek: the engine forgets what it tracked and shows the avatar picture.
    pub(super) fn flush_engine(&self) {
        let mut engine = self.engine.lock().unwrap();
        let Some(engine) = engine.as_mut() else {
            return;
        };
        let Some(inputs) = self.sync_engine(engine) else {
            return;
        };
        engine.engine.flush(&inputs.avatar);
        if let Some(state) = self.state.lock().unwrap().as_mut() {
            state.faceless_run = 0;
        }
    }

    /// The processing deadline in force (while stopped, the one the element will start with), as
    /// the latency query adds it; notes whether upstream is `live`.
    pub(super) fn deadline_when_live(&self, live: bool) -> gst::ClockTime {
        let set = self.settings.lock().unwrap().processing_deadline;
        let mut guard = self.state.lock().unwrap();
        match guard.as_mut() {
            Some(state) => {
                state.timing.live = live;
                state.timing.deadline
            }
            None => FrameTiming::new(set).deadline,
        }
    }

    /// The caps were set: the input's frame duration (`frame`; `None` when unknown) and the
    /// output's format. Returns whether the deadline changed.
    pub(super) fn output_negotiated(
        &self,
        set: u64,
        frame: Option<gst::ClockTime>,
        out_info: &gst_video::VideoInfo,
    ) -> bool {
        if let Some(engine) = self.engine.lock().unwrap().as_mut() {
            // The canvas holds the alpha written or composited over white: make it again.
            engine.composition.invalidate();
        }
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else {
            return false;
        };
        state.output_alpha = out_info.format_info().has_alpha();
        state.timing.set_frame_duration(set, frame)
    }
}
