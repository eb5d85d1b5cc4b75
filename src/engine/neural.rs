//! The LivePortrait engine: the actor's face tracked as the mesh engine tracks it, cropped as
//! LivePortrait crops it, animated by LivePortrait's networks (relative motion from a reference
//! frame, stitching) and pasted back into the avatar picture.
//!
//! * Tracking: a [`FaceTracker`] from the same face models, landmarks smoothed by the same
//!   One-Euro filter and settings as [`super::MeshEngine`]; the crop follows the smoothed
//!   landmarks ([`crate::neural::crop::DRIVING_CROP`]).
//! * Avatar: cropped once per avatar ([`crate::neural::crop::SOURCE_CROP`], from the avatar's
//!   landmarks found at load), its appearance features and keypoints extracted once
//!   ([`Animator::new`]); [`ReenactEngine::avatar_changed`] drops them.
//! * An avatar with an open mouth is animated from closed lips when the set has
//!   `stitching_lip.onnx` ([`crate::neural::lip_normalization`], LivePortrait's default).
//! * Motion controls: `motion-region` and `expression-multiplier` as
//!   [`crate::neural::keypoints::relative_motion_in`] applies them; `adapt-scale` does not apply
//!   (LivePortrait's motion is relative in its own normalised crop).
//! * Without a face the last output is held for `hold-time`, then the driving keypoints glide to
//!   the avatar's own and the rendering fades into the avatar picture; a face found again is
//!   eased in ([`crate::neural::absence_easing`], as the mesh engine eases its pose).
//! * The drawn pose ([`ReenactEngine::drawn_pose`], hence the face meta and the drawn-pose log
//!   lines) is **read back** from the rendering: the networks move pixels, not landmarks, so the
//!   468-point landmarker runs once per frame on the rendered face ([`PoseReadBack`]).
//! * Alpha: with `alpha=matte` ([`NeuralEngine::with_matting`]) the rendering is matted again
//!   every frame inside the pasted square, so the silhouette follows the animated head: the new
//!   matte times the picture's own alpha ([`AvatarModel::own_alpha`]), blended into the matte
//!   made at load by the paste-back's feather. Otherwise the avatar's
//!   own ([`AvatarModel::alpha`], the picture's), not moved: the networks give no motion field to
//!   move it with, so hair that moves beyond the avatar's silhouette is cut by it.

use image::RgbImage;

use super::actor_tracking::{ActorTracking, Tracked};
use super::read_back::PoseReadBack;
use super::rendering::Rendering;
use super::{EngineSettings, FrameOutcome, ReenactEngine};
use crate::avatar::AvatarModel;
use crate::face::landmarker::Landmarker;
use crate::face::FaceTracker;
use crate::matte::PersonSegmenter;
use crate::motion::{MotionReference, TargetPose};
use crate::neural::absence_easing::{AbsenceEasing, WithoutFace};
use crate::neural::camera_reference::CameraDrivingReference;
use crate::neural::crop::{crop_transform, sample_crop, Similarity2, DRIVING_CROP, SOURCE_CROP};
use crate::neural::lip_normalization::lip_open_ratio;
use crate::neural::model_set::{LivePortraitModels, INPUT_SIZE, OUTPUT_SIZE};
use crate::neural::paste_back::{feather, paste_back};
use crate::neural::runner::{write_output_rgb8, Animator};
use crate::runtime::RuntimeError;
use crate::video::{Rect, RgbSource};

/// What is derived from one avatar.
struct AvatarState {
    animator: Animator,
    /// Avatar picture to the 512x512 output's coordinates.
    o2c_output: Similarity2,
}

/// LivePortrait reenactment (see the module docs).
pub struct NeuralEngine {
    tracking: ActorTracking,
    /// The drawn pose, read back from the rendering.
    read_back: PoseReadBack,
    models: LivePortraitModels,
    avatar: Option<AvatarState>,
    /// The driving crop, 256x256 RGB8.
    crop: Vec<u8>,
    /// The animated crop, 512x512 RGB8.
    output: RgbImage,
    /// The rendering: the avatar picture with the last output pasted in, and the avatar's
    /// alpha (RGB-replicated, see [`AvatarModel::alpha`]), matted again with `matting`.
    rendering: Rendering,
    /// With `alpha=matte`: re-mattes the pasted square of every rendering.
    matting: Option<PersonSegmenter>,
    /// The keypoints shown across the actor's absences.
    easing: AbsenceEasing,
    /// The camera-relative driving reference (`motion-reference=camera`).
    camera: CameraDrivingReference,
}

impl NeuralEngine {
    /// An engine tracking with `tracker`, animating with `models`, and reading the drawn face
    /// back with `read_back` (a landmarker of the face models).
    pub fn new(tracker: FaceTracker, read_back: Landmarker, models: LivePortraitModels) -> Self {
        NeuralEngine {
            tracking: ActorTracking::new(tracker),
            read_back: PoseReadBack::new(read_back),
            models,
            avatar: None,
            crop: vec![0; INPUT_SIZE * INPUT_SIZE * 3],
            output: RgbImage::new(OUTPUT_SIZE as u32, OUTPUT_SIZE as u32),
            rendering: Rendering::new(),
            matting: None,
            easing: AbsenceEasing::new(),
            camera: CameraDrivingReference::new(),
        }
    }

    /// With `alpha=matte`: the person matte is computed again on every rendering inside the
    /// pasted square (where the head moved), with `segmenter`, instead of keeping the matte made
    /// at load.
    pub fn with_matting(mut self, segmenter: PersonSegmenter) -> Self {
        self.matting = Some(segmenter);
        self
    }

    /// The avatar's crop and source state, made on first use.
    fn avatar_state(&mut self, avatar: &AvatarModel) -> Result<&mut AvatarState, RuntimeError> {
        if self.avatar.is_none() {
            let o2c = crop_transform(&avatar.landmarks.points, INPUT_SIZE as f32, &SOURCE_CROP)
                .ok_or_else(|| {
                    RuntimeError::Inference(
                        "the avatar's face landmarks give no LivePortrait crop".into(),
                    )
                })?;
            let mut source = vec![0u8; INPUT_SIZE * INPUT_SIZE * 3];
            sample_crop(&avatar.image, 1.0, &o2c.inverse(), INPUT_SIZE, &mut source);
            let mut animator = Animator::new(self.models.clone(), &source)?;
            if let Some(ratio) = lip_open_ratio(&avatar.landmarks.points) {
                animator.normalize_lips(&self.models, ratio)?;
            }
            self.avatar = Some(AvatarState {
                animator,
                o2c_output: o2c.then_scale(OUTPUT_SIZE as f32 / INPUT_SIZE as f32),
            });
        }
        Ok(self.avatar.as_mut().expect("set above"))
    }

    /// Pastes the last rendering (`self.output`, the crop `o2c_output` of the avatar picture)
    /// into the canvas with `opacity`, mattes it again with `alpha=matte`, and reads the drawn
    /// pose back.
    fn draw(
        &mut self,
        avatar: &AvatarModel,
        o2c_output: &Similarity2,
        opacity: f32,
    ) -> Result<(), RuntimeError> {
        let (canvas, _) = self.rendering.split_mut();
        let rect = paste_back(canvas, &avatar.image, &self.output, o2c_output, opacity);
        self.rendering.mark_changed(rect);
        let changed = self.rendering.changed();
        let (canvas, alpha) = self.rendering.split_mut();
        if let (Some(segmenter), Some(alpha), Some(at_load)) =
            (self.matting.as_mut(), alpha, avatar.alpha.as_ref())
        {
            // The new matte where the rendering was pasted, blended into the matte made at load
            // by the paste's own feather and opacity (no seam at the square's edge), and times
            // the picture's own alpha (its transparency stays).
            let own = avatar.own_alpha.as_ref();
            segmenter.matte_rect_with(canvas, changed, |x, y, level| {
                let c = o2c_output.apply([x as f32 + 0.5, y as f32 + 0.5]);
                let m = feather(c, OUTPUT_SIZE as f32) * opacity;
                let own = own.map_or(255.0, |a| f32::from(a.get_pixel(x, y).0[0]));
                let now = f32::from(level) * own / 255.0;
                let before = f32::from(at_load.get_pixel(x, y).0[0]);
                let v = (m * now + (1.0 - m) * before).round() as u8;
                alpha.put_pixel(x, y, image::Rgb([v; 3]));
            })?;
        }
        self.read_back
            .read(self.rendering.output().0, &avatar.landmarks)
    }

    /// A frame without a face at stream time `t`: the last output held, a rendering on its way
    /// to rest, or the avatar picture ([`AbsenceEasing::without_face`]).
    fn without_face(
        &mut self,
        avatar: &AvatarModel,
        t: f64,
        settings: &EngineSettings,
    ) -> Result<FrameOutcome, RuntimeError> {
        let Some(state) = self.avatar.as_mut() else {
            return Ok(FrameOutcome::NoFace); // nothing drawn yet: the avatar picture
        };
        let rest = state.animator.source().x_s;
        match self.easing.without_face(t, settings.hold_seconds, &rest) {
            WithoutFace::Hold => {}
            WithoutFace::Rest => {
                if !self.rendering.is_clear() {
                    self.rendering.clear_to(avatar);
                    self.read_back.rest(&avatar.landmarks);
                }
            }
            WithoutFace::Draw(shown) => {
                write_output_rgb8(state.animator.render(&shown.kp)?, &mut self.output);
                let o2c_output = state.o2c_output;
                self.draw(avatar, &o2c_output, shown.opacity)?;
            }
        }
        Ok(FrameOutcome::NoFace)
    }
}

impl ReenactEngine for NeuralEngine {
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
            return self.without_face(avatar, t, settings);
        };
        let Some(o2c) = crop_transform(self.tracking.points(), INPUT_SIZE as f32, &DRIVING_CROP)
        else {
            self.tracking.reset_smoothing();
            return self.without_face(avatar, t, settings);
        };
        sample_crop(actor, par, &o2c.inverse(), INPUT_SIZE, &mut self.crop);
        self.avatar_state(avatar)?;
        let state = self.avatar.as_mut().expect("made above");
        let actor_points = self.tracking.points();
        if new_shot {
            // A cut: motion relative to the previous shot's face is meaningless.
            state.animator.reset_reference();
            self.camera.new_shot();
        }
        let motion = &settings.motion;
        let camera = (motion.reference == MotionReference::Camera).then_some((
            &mut self.camera,
            actor_points,
            t,
        ));
        let driven = state.animator.drive_with(
            &self.crop,
            motion.region,
            motion.expression_multiplier,
            camera,
        )?;
        let rest = state.animator.source().x_s;
        let shown = self.easing.with_face(&driven.x_d, new_shot, &rest);
        write_output_rgb8(state.animator.render(&shown.kp)?, &mut self.output);
        let o2c_output = state.o2c_output;
        self.draw(avatar, &o2c_output, shown.opacity)?;
        Ok(FrameOutcome::Reenacted)
    }

    fn output(&self) -> (&RgbImage, Rect) {
        self.rendering.output()
    }

    /// The avatar's own alpha, not moved (see the module docs).
    fn output_alpha(&self) -> Option<&RgbImage> {
        self.rendering.output_alpha()
    }

    /// Read back from the rendering (see the module docs).
    fn drawn_pose(&self) -> Option<&TargetPose> {
        self.read_back.pose()
    }

    fn actor_landmarks(&self) -> Option<&[[f32; 3]]> {
        self.tracking.landmarks()
    }

    fn reset_reference(&mut self) {
        self.camera.reset();
        if let Some(state) = self.avatar.as_mut() {
            state.animator.reset_reference();
        }
    }

    /// The avatar's crop, features and keypoints, and one warping run at the avatar's own
    /// keypoints: an execution provider's first run is its slowest (ONNX Runtime's CUDA provider
    /// searches its convolution algorithms then), better spent at start than on the first face.
    fn prepare(&mut self, avatar: &AvatarModel) -> Result<(), RuntimeError> {
        let state = self.avatar_state(avatar)?;
        let rest = state.animator.source().x_s;
        state.animator.render(&rest)?;
        Ok(())
    }

    fn avatar_changed(&mut self) {
        self.avatar = None;
        self.easing.reset();
        self.read_back.reset();
        self.rendering.reset();
        self.tracking.reset_smoothing();
    }

    fn flush(&mut self, avatar: &AvatarModel) {
        self.tracking.reset();
        self.easing.reset();
        self.read_back.reset();
        self.rendering.clear_to(avatar);
    }

    fn search_counts(&self) -> (u64, u64) {
        self.tracking.search_counts()
    }

    fn speed_advice(&self, _searching: bool) -> &'static str {
        "run the LivePortrait engine on a GPU (execution-provider=cuda with ONNX Runtime's GPU \
         build), or use the embedded engine (no engine property)"
    }
}
