//! The embedded engine: MediaPipe face mesh tracking, relative motion transfer, piecewise-affine
//! mesh warp of the avatar picture with the actor's mouth interior.

use image::RgbImage;

use super::actor_tracking::{ActorTracking, Tracked};
use super::mesh_avatar::MeshAvatar;
use super::rendering::Rendering;
use super::{EngineSettings, FrameOutcome, ReenactEngine};
use crate::avatar::AvatarModel;
use crate::face::FaceTracker;
use crate::motion::pose::Similarity;
use crate::motion::reacquire::Reacquire;
use crate::motion::rest::{rest_weight, set_rest_pose, AbsenceClock};
use crate::motion::MotionTransfer;
use crate::motion::TargetPose;
use crate::parallel::join_here;
use crate::render::mouth::{
    colour_match, draw_mouth_interior, skin_colour, ColourMatch, MouthSource,
};
use crate::render::mouth_patch::MouthPatch;
use crate::render::{CanvasRows, WarpMesh};
use crate::runtime::RuntimeError;
use crate::video::{Rect, RgbSource};

/// Head-region pixels per drawing thread when `render-threads` is automatic.
///
/// Until 2026-12-07 this was 400,000: the bands were handed to rayon's pool with `rayon::join`,
/// and a second thread then cost up to 0.9 ms per frame on the 512x512 astronaut (a head region
/// of 0.04 megapixels) while saving 8.5 ms of 29 on bw_photo_2048 (0.88). Since the first band
/// draws on the calling thread ([`join_here`]), two bands pay on small heads too: the element's
/// frame on talk_wink_480, 2 cores, three runs each, went from 5.5 to 5.1 ms with astronaut_512,
/// 8.4 to 7.7 ms with mona_lisa_720x1280 and 7.7 to 6.7 ms with glasses_beard_400.
pub const AUTO_PIXELS_PER_THREAD: u64 = 20_000;

/// The number of bands for `region` when `render-threads` is automatic: one per
/// [`AUTO_PIXELS_PER_THREAD`], at most one per core (counted once per process: the count reads
/// cgroup files).
fn auto_bands(region: Rect) -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pixels = (region.x1 - region.x0) as u64 * (region.y1 - region.y0) as u64;
    (pixels.div_ceil(AUTO_PIXELS_PER_THREAD) as usize).clamp(1, cores)
}

/// Draws `rows` with `draw`, split into `bands` horizontal bands of the rows `span` (the rest of
/// the rows go to the first and last band) drawn in parallel: the first band on the calling
/// thread, the others on rayon's pool ([`join_here`]). Each band is drawn whole by one thread, so
/// the triangles' far-to-near order holds within it.
fn draw_in_bands(
    rows: CanvasRows,
    span: (u32, u32),
    bands: usize,
    draw: &(dyn Fn(&mut CanvasRows) + Sync),
) {
    if bands <= 1 {
        let mut rows = rows;
        draw(&mut rows);
        return;
    }
    let first = bands / 2;
    let (y0, y1) = span;
    let mid = y0 + ((y1.saturating_sub(y0)) as u64 * first as u64 / bands as u64) as u32;
    let (top, bottom) = rows.split_at(mid);
    join_here(
        || draw_in_bands(top, (y0, mid), first, draw),
        || draw_in_bands(bottom, (mid, y1), bands - first, draw),
    );
}

/// Bounding box (x, y) of `points`.
fn bounds(points: &[[f32; 3]]) -> ([f32; 2], [f32; 2]) {
    points.iter().fold(
        ([f32::MAX, f32::MAX], [f32::MIN, f32::MIN]),
        |(lo, hi), p| {
            (
                [lo[0].min(p[0]), lo[1].min(p[1])],
                [hi[0].max(p[0]), hi[1].max(p[1])],
            )
        },
    )
}

/// Landmark-driven reenactment (see the crate docs for the pipeline).
pub struct MeshEngine {
    tracking: ActorTracking,
    motion: MotionTransfer,
    reacquire: Reacquire,
    /// The avatar's pose of the current frame (its buffer reused frame to frame).
    target: TargetPose,
    /// The rendering: the avatar picture with the re-posed head drawn over it, and its alpha
    /// when the avatar has one, drawn with the same mesh. Kept while the actor's face is missing
    /// (the avatar holds its last pose).
    rendering: Rendering,
    /// What this engine derives from the current avatar, its warp mesh posed in place (made by
    /// [`ReenactEngine::prepare`] or on the first frame that draws).
    avatar: Option<MeshAvatar>,
    /// How long the current run of actor frames without a face has lasted.
    absence: AbsenceClock,
    /// The pose shown when the avatar started to ease to rest (the held pose).
    rest_from: Option<TargetPose>,
    /// The actor's last open mouth and the colour match it was drawn with, for easing to rest.
    mouth_patch: MouthPatch,
    colour: ColourMatch,
}

/// Draws `target` onto `rendering` (sized for `avatar`): restores from the avatar picture what
/// the last frame drew and the head's region ([`Rendering::restore_for`]), then draws the posed
/// mesh over it with the mouth interior of `mouth` colour-matched by `colour`, in
/// `render_threads` bands (0: by the region's size). When the avatar has an alpha, the
/// rendering's alpha gets the same mesh drawn from it (no mouth interior: the opening lies
/// inside the face, opaque).
fn draw_pose(
    rendering: &mut Rendering,
    mesh: &mut WarpMesh,
    avatar: &AvatarModel,
    target: &TargetPose,
    mouth: MouthSource,
    colour: ColourMatch,
    render_threads: usize,
) {
    mesh.pose(target);
    // Only the head region is drawn: restore it (and what the last frame drew) from the
    // avatar picture, then draw the head over it.
    let (w, h) = avatar.image.dimensions();
    let (x0, y0, x1, y1) = mesh.moving_region();
    let (lo, hi) = bounds(&target.points);
    let region = Rect::covering([x0, y0], [x1, y1], w, h).union(&Rect::covering(lo, hi, w, h));
    rendering.restore_for(avatar, region);
    mesh.sort_by_depth();
    let mesh = &*mesh;
    let draw = |rows: &mut CanvasRows| {
        mesh.draw_band(rows, &avatar.image);
        // The lips' edge is anti-aliased over the actor's interior when it is drawn.
        let actor_mouth = draw_mouth_interior(
            rows,
            MouthSource {
                image: &avatar.image,
                par: 1.0,
                points: &avatar.landmarks.points,
            },
            mouth,
            &target.points,
            colour,
        );
        mesh.draw_face(rows, &avatar.image, actor_mouth);
    };
    let bands = match render_threads {
        0 => auto_bands(region),
        n => n,
    };
    let (canvas, alpha_canvas) = rendering.split_mut();
    draw_in_bands(CanvasRows::of(canvas), (region.y0, region.y1), bands, &draw);
    if let (Some(alpha), Some(alpha_canvas)) = (&avatar.alpha, alpha_canvas) {
        let draw_alpha = |rows: &mut CanvasRows| {
            mesh.draw_band(rows, alpha);
            mesh.draw_face(rows, alpha, false);
        };
        draw_in_bands(
            CanvasRows::of(alpha_canvas),
            (region.y0, region.y1),
            bands,
            &draw_alpha,
        );
    }
}

impl MeshEngine {
    /// An engine tracking with `tracker`.
    pub fn new(tracker: FaceTracker) -> Self {
        MeshEngine {
            tracking: ActorTracking::new(tracker),
            motion: MotionTransfer::new(),
            reacquire: Reacquire::new(),
            target: TargetPose {
                points: Vec::with_capacity(470),
                rigid: Similarity::identity(),
            },
            rendering: Rendering::new(),
            avatar: None,
            absence: AbsenceClock::new(),
            rest_from: None,
            mouth_patch: MouthPatch::new(),
            colour: ColourMatch::NONE,
        }
    }

    /// A frame without an actor face, at stream time `t`: holds the last pose for
    /// `hold_seconds`, then eases to the avatar's rest pose (see [`crate::motion::rest`]) and
    /// ends on the avatar picture itself.
    fn without_face(&mut self, avatar: &AvatarModel, t: f64, settings: &EngineSettings) {
        self.reacquire.lost();
        let absent = self.absence.tick(t);
        let Some(w) = rest_weight(absent, settings.hold_seconds) else {
            return;
        };
        if self.target.points.is_empty() || self.rendering.is_clear() {
            return; // nothing drawn yet, or already at rest: the canvas is the picture
        }
        let from = self.rest_from.get_or_insert_with(|| self.target.clone());
        set_rest_pose(&mut self.target, &avatar.landmarks.points);
        if w >= 1.0 || from.points.len() != self.target.points.len() {
            // At rest: the avatar picture itself, exactly.
            self.rendering.clear_to(avatar);
            self.reacquire.hold(&self.target);
            return;
        }
        self.target.blend_from(from, w);
        self.reacquire.hold(&self.target);
        let mesh = &mut self
            .avatar
            .get_or_insert_with(|| MeshAvatar::of(avatar))
            .mesh;
        let own = MouthSource {
            image: &avatar.image,
            par: 1.0,
            points: &avatar.landmarks.points,
        };
        draw_pose(
            &mut self.rendering,
            mesh,
            avatar,
            &self.target,
            self.mouth_patch.source().unwrap_or(own),
            self.colour,
            settings.render_threads,
        );
    }

    /// Frames a face search ran in (it runs only while no face is followed), and the model runs
    /// it made.
    pub fn search_counts(&self) -> (u64, u64) {
        self.tracking.search_counts()
    }

    /// The stream was flushed (a seek): forget the tracked face's crop, the smoothing history, the
    /// held pose and the last output, so that nothing from before the seek shows after it. The
    /// reference frame stays (the same clip; a face found elsewhere after the seek starts a new
    /// shot, see [`crate::face::tracker`]).
    pub fn flush(&mut self, avatar: &AvatarModel) {
        self.tracking.reset();
        self.reacquire.reset();
        self.forget_absence();
        self.rendering.clear_to(avatar);
    }

    /// Ends an absence of the actor's face (or forgets it after a seek or an avatar change).
    fn forget_absence(&mut self) {
        self.absence.stop();
        self.rest_from = None;
    }
}

impl ReenactEngine for MeshEngine {
    fn process(
        &mut self,
        avatar: &AvatarModel,
        actor: &(dyn RgbSource + Sync),
        par: f32,
        t: f64,
        settings: &EngineSettings,
    ) -> Result<FrameOutcome, RuntimeError> {
        self.rendering.ensure_size(avatar);
        let Tracked::Face { new_shot } = self.tracking.next(actor, par, t, settings)? else {
            self.without_face(avatar, t, settings);
            return Ok(FrameOutcome::NoFace);
        };
        self.forget_absence();
        if new_shot {
            // A cut: motion relative to the previous shot's face would shift and scale the avatar
            // to its limits. This frame's place and size become the reference's (and, relative
            // to the first frame, its pose and expression); the avatar glides to it.
            self.motion.new_shot();
            self.reacquire.lost();
        }
        let actor_points = self.tracking.points();
        let own = self.avatar.get_or_insert_with(|| MeshAvatar::of(avatar));
        self.motion.target_into(
            actor_points,
            &own.neutral,
            &settings.motion,
            t,
            &mut self.target,
        );
        self.reacquire.apply(&mut self.target);
        self.colour = colour_match(skin_colour(actor, par, actor_points), own.skin);
        self.mouth_patch.capture(actor, par, actor_points);
        draw_pose(
            &mut self.rendering,
            &mut own.mesh,
            avatar,
            &self.target,
            MouthSource {
                image: actor,
                par,
                points: actor_points,
            },
            self.colour,
            settings.render_threads,
        );
        Ok(FrameOutcome::Reenacted)
    }

    fn output(&self) -> (&RgbImage, Rect) {
        self.rendering.output()
    }

    fn output_alpha(&self) -> Option<&RgbImage> {
        self.rendering.output_alpha()
    }

    fn drawn_pose(&self) -> Option<&TargetPose> {
        (!self.target.points.is_empty()).then_some(&self.target)
    }

    fn actor_landmarks(&self) -> Option<&[[f32; 3]]> {
        self.tracking.landmarks()
    }

    fn reset_reference(&mut self) {
        self.motion.reset_reference();
    }

    fn avatar_changed(&mut self) {
        // The rendering is remade from the new avatar on the next frame (its size differs), or by
        // a flush.
        self.rendering.reset();
        self.avatar = None;
        self.tracking.reset_smoothing();
        self.reacquire.reset();
        self.forget_absence();
        self.mouth_patch.clear();
    }

    /// The avatar's warp mesh, neutral pose and skin colour ([`MeshAvatar`]); the mesh engine
    /// has no models of its own to run ahead.
    fn prepare(&mut self, avatar: &AvatarModel) -> Result<(), RuntimeError> {
        self.avatar.get_or_insert_with(|| MeshAvatar::of(avatar));
        Ok(())
    }

    fn flush(&mut self, avatar: &AvatarModel) {
        MeshEngine::flush(self, avatar)
    }

    fn search_counts(&self) -> (u64, u64) {
        MeshEngine::search_counts(self)
    }

    fn speed_advice(&self, searching: bool) -> &'static str {
        if searching {
            "lower search-budget, set actor-region to where the face can be, or feed a smaller \
             actor frame"
        } else {
            "use a smaller avatar picture, feed a smaller actor frame, or leave a core free for \
             the element (the second eye's iris run and the head's second band use another \
             thread)"
        }
    }
}
