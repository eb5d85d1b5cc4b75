//! The actor's face as every engine follows it: found and tracked by a [`FaceTracker`], its 468
//! landmarks smoothed by a One-Euro filter (in eye-corner distances per second, see
//! [`crate::motion::one_euro`]), restarted at a cut and after a frame without a face.

use super::EngineSettings;
use crate::face::FaceTracker;
use crate::motion::OneEuroFilter;
use crate::runtime::RuntimeError;
use crate::video::RgbSource;

/// A tracked, smoothed actor face, with buffers reused frame to frame.
pub struct ActorTracking {
    /// The tracker (face search, landmarks, cut detection).
    pub tracker: FaceTracker,
    filter: OneEuroFilter,
    smoothed: Vec<f32>,
    points: Vec<[f32; 3]>,
}

/// What [`ActorTracking::next`] found in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracked {
    /// No face: the smoothing restarts with the next face.
    NoFace,
    /// A face, its smoothed landmarks in [`ActorTracking::points`]; `new_shot`: the tracker saw
    /// a cut (or the face came back elsewhere), so the smoothing restarted at this frame and
    /// motion relative to an earlier frame no longer means anything.
    Face { new_shot: bool },
}

impl ActorTracking {
    /// Tracking with `tracker`.
    pub fn new(tracker: FaceTracker) -> Self {
        ActorTracking {
            tracker,
            filter: OneEuroFilter::new(),
            smoothed: Vec::with_capacity(468 * 3),
            points: Vec::with_capacity(468),
        }
    }

    /// Tracks the face in `actor` (pixel aspect ratio `par`) at stream time `t` seconds with
    /// `settings`' tracking options, and smooths its landmarks with `settings.smoothing` (none:
    /// the raw landmarks).
    pub fn next(
        &mut self,
        actor: &(dyn RgbSource + Sync),
        par: f32,
        t: f64,
        settings: &EngineSettings,
    ) -> Result<Tracked, RuntimeError> {
        self.tracker.set_options(settings.tracking);
        let Some(landmarks) = self.tracker.track_at(actor, par, t)? else {
            self.filter.reset();
            return Ok(Tracked::NoFace);
        };
        self.smoothed.clear();
        self.smoothed.extend(landmarks.points.iter().flatten());
        let interocular = landmarks.interocular();
        let new_shot = self.tracker.new_shot();
        if new_shot {
            self.filter.reset();
        }
        if let Some(params) = &settings.smoothing {
            self.filter
                .filter(&mut self.smoothed, t, interocular, params);
        }
        self.points.clear();
        self.points
            .extend(self.smoothed.chunks_exact(3).map(|c| [c[0], c[1], c[2]]));
        Ok(Tracked::Face { new_shot })
    }

    /// The smoothed landmarks of the last frame with a face (468, square-pixel coordinates of
    /// the actor frame); empty before any.
    pub fn points(&self) -> &[[f32; 3]] {
        &self.points
    }

    /// [`ActorTracking::points`], `None` before any face: what
    /// [`super::ReenactEngine::actor_landmarks`] gives.
    pub fn landmarks(&self) -> Option<&[[f32; 3]]> {
        (!self.points.is_empty()).then_some(&self.points)
    }

    /// Restarts the smoothing (an avatar change).
    pub fn reset_smoothing(&mut self) {
        self.filter.reset();
    }

    /// Forgets the followed face and the smoothing (a seek).
    pub fn reset(&mut self) {
        self.tracker.reset();
        self.filter.reset();
    }

    /// Frames a face search ran in, and the model runs it made.
    pub fn search_counts(&self) -> (u64, u64) {
        (self.tracker.searching_frames, self.tracker.search_runs())
    }
}
