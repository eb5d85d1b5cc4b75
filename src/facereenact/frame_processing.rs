//! One actor frame through the element: the engine re-poses the avatar (with the engine locked,
//! the shared state only read and written in short locks), the rendering is composed into the
//! output frame, the face meta is attached, and missing faces and late frames are reported.

use std::time::{Duration, Instant};

use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::prelude::*;
use gst_video::prelude::*;

use super::face_meta;
use super::frames::{pixel_aspect_ratio, plane_error, view_mut_of, view_of};
use super::imp::{FaceReenact, CAT};
use crate::engine::FrameOutcome;

/// A warning is posted after this many consecutive actor frames without a face (2 s at 30 fps).
pub const NO_FACE_WARNING_FRAMES: u64 = 60;

impl FaceReenact {
    /// Re-poses the avatar with `inframe` and writes the result into `outframe`. Errors: `None`
    /// when stopped (flushing), else the message to post.
    pub(super) fn process_frame(
        &self,
        inframe: &gst_video::VideoFrameRef<&gst::BufferRef>,
        outframe: &mut gst_video::VideoFrameRef<&mut gst::BufferRef>,
    ) -> Result<(), Option<gst::ErrorMessage>> {
        let size = (outframe.width(), outframe.height());
        let stale = self
            .state
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|s| s.avatar.size() != size);
        if stale && !self.obj().src_pad().needs_reconfigure() {
            // An avatar change renegotiated to the same caps (downstream fixes the size): the new
            // avatar is fitted to them.
            self.fit_avatar(size).map_err(Some)?;
        }
        let mut settings = self.settings.lock().unwrap().engine_settings();
        let mut engine = self.engine.lock().unwrap();
        let engine = engine.as_mut().ok_or(None)?;
        let inputs = self.sync_engine(engine).ok_or(None)?;
        // A live frame must leave in time: the search starts no model run expected to end after
        // its share of the frame's time (the sweep goes on next frame).
        settings.tracking.search_time = inputs.live_search_time;
        let par = pixel_aspect_ratio(inframe.info());
        let t = inframe
            .buffer()
            .pts()
            .map(|p| p.nseconds() as f64 / 1e9)
            .unwrap_or(inputs.frames as f64 / 30.0);
        let actor = view_of(inframe).map_err(Some)?;
        let outcome = engine
            .engine
            .process(&inputs.avatar, &actor, par, t, &settings)
            .map_err(|e| Some(e.into()))?;
        self.count_frame(
            outcome,
            (inframe.width(), inframe.height(), par),
            inframe.buffer().pts(),
        );
        let mut out = view_mut_of(outframe).map_err(Some)?;
        engine
            .composition
            .compose(
                &mut out,
                &inputs.avatar,
                engine.engine.as_ref(),
                inputs.output_alpha,
            )
            .map_err(|e| Some(plane_error("output", e)))
    }

    /// Counts a frame's `outcome` (an actor frame of `actor` width, height and pixel aspect
    /// ratio, at `pts`), with a warning after [`NO_FACE_WARNING_FRAMES`] frames without a face
    /// and an info when one is found again.
    fn count_frame(
        &self,
        outcome: FrameOutcome,
        actor: (u32, u32, f32),
        pts: Option<gst::ClockTime>,
    ) {
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else { return };
        state.frames += 1;
        state.reenacted = outcome == FrameOutcome::Reenacted;
        state.actor_frame = actor;
        let frames = state.frames;
        if outcome == FrameOutcome::NoFace {
            state.frames_without_face += 1;
            state.faceless_run += 1;
            let run = state.faceless_run;
            drop(guard);
            gst::debug!(CAT, imp = self, "no face in actor frame {frames}");
            if run == NO_FACE_WARNING_FRAMES {
                gst::element_imp_warning!(
                    self,
                    gst::StreamError::Failed,
                    ("no face in the last {} actor frames: the avatar holds its last pose for hold-time, then rests in its own, until a face is found (the search goes on; actor-region and search-budget set where and how fast)", NO_FACE_WARNING_FRAMES),
                    ["actor frame {}, pts {:?}", frames, pts]
                );
            }
            return;
        }
        let run = std::mem::take(&mut state.faceless_run);
        drop(guard);
        if run >= NO_FACE_WARNING_FRAMES {
            let text = format!("face found again after {run} actor frames without one");
            gst::element_imp_info!(self, gst::StreamError::Failed, ("{}", text), ["{}", text]);
        }
    }

    /// After a frame that took `elapsed`: adds the face meta to `outbuf` and, in a live stream,
    /// counts the frame late when it took longer than the deadline, with a warning at most every
    /// [`super::timing::LATE_WARNING_INTERVAL`].
    pub(super) fn finish_frame(&self, outbuf: &mut gst::BufferRef, elapsed: Duration) {
        let engine_guard = self.engine.lock().unwrap();
        let Some(engine) = engine_guard.as_ref() else {
            return;
        };
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else { return };
        if let Some(pose) = engine.engine.drawn_pose() {
            let (w, h, par) = state.actor_frame;
            let actor = engine
                .engine
                .actor_landmarks()
                .filter(|_| state.reenacted)
                .map(|points| (points, w, h, par));
            face_meta::attach(outbuf, state.avatar.size(), pose, state.reenacted, actor);
        }
        let frame = state.frames.saturating_sub(1);
        gst::debug!(CAT, imp = self, "actor frame {frame} took {elapsed:?}");
        let Some(late) = state.timing.record(frame, elapsed, Instant::now()) else {
            return;
        };
        let searching = !state.reenacted;
        drop(guard);
        let advice = engine.engine.speed_advice(searching);
        drop(engine_guard);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        gst::element_imp_warning!(
            self,
            gst::CoreError::Clock,
            (
                "actor frame {} took {:.3} ms in facereenact ({}), over its processing deadline of {:.3} ms \
                 (frames over it so far: {}; the longest of them took {:.3} ms, frame {}): a live sink may drop such frames. \
                 Raise processing-deadline (nanoseconds; 0 = one frame), or {}",
                late.frame,
                ms(late.elapsed),
                if searching { "no face followed: searching" } else { "a face followed" },
                ms(late.deadline),
                late.late_frames,
                ms(late.longest_late.0),
                late.longest_late.1,
                advice
            )
        );
    }
}
