//! The embedded engine: MediaPipe face mesh tracking, relative motion transfer, piecewise-affine
//! mesh warp of the avatar picture with the actor's mouth interior.

use image::RgbImage;

use super::{EngineSettings, FrameOutcome, ReenactEngine};
use crate::avatar::AvatarModel;
use crate::face::FaceTracker;
use crate::motion::reacquire::Reacquire;
use crate::motion::{MotionTransfer, OneEuroFilter};
use crate::render::mouth::{colour_match, draw_mouth_interior, skin_colour, MouthSource};
use crate::render::WarpMesh;
use crate::runtime::RuntimeError;

/// Landmark-driven reenactment (see the crate docs for the pipeline).
pub struct MeshEngine {
    tracker: FaceTracker,
    motion: MotionTransfer,
    reacquire: Reacquire,
    filter: OneEuroFilter,
    smoothed: Vec<f32>,
    actor_points: Vec<[f32; 3]>,
    /// The last re-posed frame, shown again while the actor's face is missing.
    last_output: Option<RgbImage>,
    /// This engine's posed copy of the avatar's warp mesh (made on the first frame of an avatar).
    mesh: Option<WarpMesh>,
}

impl MeshEngine {
    /// An engine tracking with `tracker`.
    pub fn new(tracker: FaceTracker) -> Self {
        MeshEngine {
            tracker,
            motion: MotionTransfer::new(),
            reacquire: Reacquire::new(),
            filter: OneEuroFilter::new(),
            smoothed: Vec::with_capacity(468 * 3),
            actor_points: Vec::with_capacity(468),
            last_output: None,
            mesh: None,
        }
    }

    /// How many times the face detector ran (it runs only when tracking is lost).
    pub fn detections_run(&self) -> u64 {
        self.tracker.detections_run
    }

    /// The stream was flushed (a seek): forget the tracked face's crop, the smoothing history, the
    /// held pose and the last output, so that nothing from before the seek shows after it. The
    /// reference frame stays (the same clip; a face found elsewhere after the seek starts a new
    /// shot, see [`crate::face::tracker`]).
    pub fn flush(&mut self) {
        self.tracker.reset();
        self.filter.reset();
        self.reacquire.reset();
        self.last_output = None;
    }
}

impl ReenactEngine for MeshEngine {
    fn process(
        &mut self,
        avatar: &AvatarModel,
        actor: &RgbImage,
        par: f32,
        t: f64,
        settings: &EngineSettings,
        out: &mut RgbImage,
    ) -> Result<FrameOutcome, RuntimeError> {
        let Some(landmarks) = self.tracker.track(actor, par)? else {
            self.filter.reset();
            self.reacquire.lost();
            match &self.last_output {
                Some(last) if last.dimensions() == out.dimensions() => out.copy_from_slice(last),
                _ => out.copy_from_slice(&avatar.image),
            }
            return Ok(FrameOutcome::NoFace);
        };
        if self.tracker.new_shot() {
            // A cut: motion relative to the previous shot's face would shift and scale the avatar
            // to its limits. This frame becomes the reference; the avatar glides back to it.
            self.motion.reset_reference();
            self.filter.reset();
            self.reacquire.lost();
        }
        self.smoothed.clear();
        self.smoothed.extend(landmarks.points.iter().flatten());
        if let Some(params) = &settings.smoothing {
            self.filter
                .filter(&mut self.smoothed, t, landmarks.interocular(), params);
        }
        self.actor_points.clear();
        self.actor_points
            .extend(self.smoothed.chunks_exact(3).map(|c| [c[0], c[1], c[2]]));

        let mut target = self
            .motion
            .target(&self.actor_points, &avatar.neutral, &settings.motion);
        self.reacquire.apply(&mut target);
        out.copy_from_slice(&avatar.image);
        let mesh = self.mesh.get_or_insert_with(|| avatar.mesh.clone());
        mesh.pose(&target);
        mesh.draw_band(out, &avatar.image);
        let colour = colour_match(skin_colour(actor, par, &self.actor_points), avatar.skin);
        draw_mouth_interior(
            out,
            MouthSource {
                image: &avatar.image,
                par: 1.0,
                points: &avatar.landmarks.points,
            },
            MouthSource {
                image: actor,
                par,
                points: &self.actor_points,
            },
            &target.points,
            colour,
        );
        mesh.draw_face(out, &avatar.image);
        match &mut self.last_output {
            Some(last) if last.dimensions() == out.dimensions() => last.copy_from_slice(out),
            slot => *slot = Some(out.clone()),
        }
        Ok(FrameOutcome::Reenacted)
    }

    fn reset_reference(&mut self) {
        self.motion.reset_reference();
    }

    fn avatar_changed(&mut self) {
        self.last_output = None;
        self.mesh = None;
        self.filter.reset();
        self.reacquire.reset();
    }
}
