//! Relative motion transfer: the actor's head pose and expression, measured against a reference
//! actor frame, applied to the avatar's own landmarks.
//!
//! With actor landmarks `a_t` (frame t) and `a_r` (reference frame), avatar landmarks `v`:
//! * head pose `S_t` = similarity with `a_t ≈ S_t(a_r)` on rigid points ([`head_pose`]), limited
//!   to the documented range ([`super::limits`]) before it moves the avatar;
//! * expression `e_t = S_t⁻¹(a_t) − a_r`: landmark displacement in the reference's pose;
//! * actor-to-avatar alignment `S_av` with `v ≈ S_av(a_r)`; with adapt scale its scale `k`
//!   (avatar face size / actor face size) scales every displacement (FOMM's
//!   `adapt_movement_scale`, Siarohin et al., NeurIPS 2019), without it `k = 1`;
//! * target `w = c + s_t·R_t(v + m·g·k·R_av·e_t − c) + k·(S_t(c_r) − c_r)`: the actor's head
//!   rotation `R_t` and shift in camera coordinates, about the avatar's head centre (a neck turns
//!   about the camera's vertical whatever the head's tilt; conjugating by `R_av` instead would
//!   let the actor's tilt in the reference frame tilt the avatar's axes: measured on
//!   glasses_512x480 + Mona Lisa, roll correlation 0.84 conjugated, 0.99 in camera coordinates),
//!   the expression in the face's own frame; `m` the expression multiplier, `g` the region weight of the landmark ([`MotionRegion`]), `c_r` and `c`
//!   the centroids of the rigid points of the reference and of the avatar. Lip gaps are then set
//!   from the actor's own ([`transfer_lip_gaps`]), the philtrum kept from shrinking more than the
//!   actor's in proportion ([`keep_philtrum_proportional`]), the mouth corners kept within a
//!   mouth's reach ([`limit_mouth_corners`]), turned-over skin triangles smoothed out
//!   ([`FoldGuard`]) and eyelids and lips kept from crossing ([`keep_openings_apart`]).
//!
//! When the avatar *is* the reference frame, `w = a_t` exactly (see the tests).
//!
//! **The reference frame** `a_r` is chosen by [`MotionReference`]:
//! * [`MotionReference::Camera`] (the default): a virtual frame, the actor's learned neutral face
//!   facing the camera where the shot's first face was ([`CameraReference`]). The avatar then
//!   shows its own pose, as pictured, whenever the actor faces the camera, and its own expression
//!   whenever the actor's face is at rest, whatever the stream or a shot opens with.
//! * [`MotionReference::FirstFrame`] (LivePortrait's relative motion): the first actor frame with
//!   a face (of the stream, of a shot, or after [`MotionTransfer::reset_reference`]). Head pose is
//!   relative to it. The expression reference starts there too but settles on the actor's
//!   neutral face: when a later frame's mouth is more closed than the reference's (by
//!   [`LATCH_MOUTH_GAP`]), its mouth and jaw become the reference; when an eye is clearly more
//!   open ([`LATCH_EYE_RATIO`]), that eye's lids do. So an actor who starts mid-word or mid-blink
//!   leaves the avatar distorted only until the mouth first closes or the eye opens, and the
//!   change happens while the avatar's mouth or eye is moving anyway (no pop).

use nalgebra::Vector3;

use super::camera_reference::CameraReference;
use super::foldover::FoldGuard;
use super::limits::{limit_pose, limit_shift};
use super::mouth_corners::limit_mouth_corners;
use super::openings::{
    face_axes, gap, keep_openings_apart, transfer_lip_gaps, LEFT_LID_PAIRS, LIP_PAIRS,
    RIGHT_LID_PAIRS,
};
use super::philtrum::keep_philtrum_proportional;
use super::pose::{head_pose, rigid_centroid, Similarity, RIGID_POINTS};
use super::region::MotionRegion;
use crate::face::eye_refiner::{LEFT_EYE_MESH_INDICES, RIGHT_EYE_MESH_INDICES};

/// The expression reference takes the actor's mouth when its inner-lip gap is smaller than the
/// reference's by this share of the eye-corner distance.
pub const LATCH_MOUTH_GAP: f32 = 0.02;
/// The expression reference takes an actor eye when its lid gap is this many times the
/// reference's (and larger by at least [`LATCH_MOUTH_GAP`] eye-corner distances).
pub const LATCH_EYE_RATIO: f32 = 1.5;
/// Eyelid and first-halo points the iris model refines, per eye: what an eye latch replaces.
const EYE_LATCH_POINTS: usize = 32;

/// What the actor's motion is measured against (the element's `motion-reference`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MotionReference {
    /// Head pose relative to facing the camera, expression relative to the actor's learned
    /// neutral face (see the module docs).
    #[default]
    Camera,
    /// Both relative to the first actor frame with a face of the stream or shot (LivePortrait's
    /// relative motion).
    FirstFrame,
}

/// Which parts of the actor's motion reach the avatar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotionSettings {
    /// Expression multiplier: 0 freezes the avatar's expression, 1 copies the actor's, above 1
    /// exaggerates.
    pub expression_multiplier: f32,
    /// Scale displacements by the ratio of face sizes (see the module docs).
    pub adapt_scale: bool,
    /// Region selector: all, pose only, expression only, lips, eyes.
    pub region: MotionRegion,
    /// What the motion is measured against.
    pub reference: MotionReference,
}

impl Default for MotionSettings {
    fn default() -> Self {
        MotionSettings {
            expression_multiplier: 1.0,
            adapt_scale: true,
            region: MotionRegion::All,
            reference: MotionReference::Camera,
        }
    }
}

/// The avatar's pose for one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetPose {
    /// 468 target landmarks in avatar pixel coordinates (x, y) with depth z.
    pub points: Vec<[f32; 3]>,
    /// The head's rigid motion in avatar coordinates (no expression): maps an avatar point that
    /// moves with the skull (hair, ears) to its target.
    pub rigid: Similarity,
}

impl TargetPose {
    /// Moves this pose from `from` to itself by `w` (0: `from`, 1: itself unchanged): points
    /// linearly, the rigid motion's scale and translation linearly and its rotation
    /// component-wise (a near-rotation for the small steps of an ease, used only for the head's
    /// band). Poses of different point counts are left as they are.
    pub fn blend_from(&mut self, from: &TargetPose, w: f32) {
        if from.points.len() != self.points.len() {
            return;
        }
        for (p, h) in self.points.iter_mut().zip(&from.points) {
            for c in 0..3 {
                p[c] = h[c] + (p[c] - h[c]) * w;
            }
        }
        let r = &mut self.rigid;
        r.rotation = from.rigid.rotation * (1.0 - w) + r.rotation * w;
        r.scale = from.rigid.scale + (r.scale - from.rigid.scale) * w;
        r.translation = from.rigid.translation * (1.0 - w) + r.translation * w;
    }
}

/// Relative motion state: the reference actor frame and reusable per-frame buffers.
#[derive(Debug, Clone, Default)]
pub struct MotionTransfer {
    reference: Option<Vec<[f32; 3]>>,
    /// The camera-relative reference's learned state.
    camera: CameraReference,
    /// The actor's landmarks brought back into the reference's pose.
    unposed: Vec<[f32; 3]>,
    weights: Vec<f32>,
    latch: Vec<f32>,
    fold_guard: FoldGuard,
}

/// Gap of an (upper, lower) pair along the face's own down axis, pixels.
fn lid_gap(points: &[[f32; 3]], pair: (usize, usize)) -> f32 {
    gap(points, pair, face_axes(points).1)
}

impl MotionTransfer {
    /// No reference yet: the next actor frame with a face becomes it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops the reference: the next actor frame with a face becomes the new reference (with
    /// [`MotionReference::Camera`]: the learned neutral face and camera offset are learned anew
    /// from the next frame on).
    pub fn reset_reference(&mut self) {
        self.reference = None;
        self.camera.reset();
    }

    /// A new shot begins (a cut, the face found again elsewhere, another speaker): with
    /// [`MotionReference::FirstFrame`] its first actor frame becomes the reference; with
    /// [`MotionReference::Camera`] it gives the reference's place and size, and the neutral face
    /// is learned anew ([`CameraReference::new_shot`]).
    pub fn new_shot(&mut self) {
        self.reference = None;
        self.camera.new_shot();
    }

    /// The learned camera offset's yaw and pitch, degrees (zero with
    /// [`MotionReference::FirstFrame`]).
    pub fn camera_offset_deg(&self) -> (f32, f32) {
        self.camera.offset_deg()
    }

    /// Whether a reference actor frame is set.
    pub fn has_reference(&self) -> bool {
        self.reference.is_some()
    }

    /// Moves the expression reference towards the actor's neutral face (see the module docs).
    fn settle_reference(&mut self) {
        let (Some(reference), unposed) = (self.reference.as_mut(), &self.unposed) else {
            return;
        };
        let (_, _, io) = face_axes(reference);
        let centre = LIP_PAIRS[4];
        let replace = |reference: &mut Vec<[f32; 3]>, idx: &mut dyn Iterator<Item = usize>| {
            for i in idx {
                if !RIGID_POINTS.contains(&i) {
                    reference[i] = unposed[i];
                }
            }
        };
        if lid_gap(unposed, centre) < lid_gap(reference, centre) - LATCH_MOUTH_GAP * io {
            MotionRegion::Lips.expression_weights(reference, &mut self.latch);
            let latch = &self.latch;
            replace(reference, &mut (0..latch.len()).filter(|&i| latch[i] > 0.0));
        }
        for (pairs, eye) in [
            (&RIGHT_LID_PAIRS, &RIGHT_EYE_MESH_INDICES),
            (&LEFT_LID_PAIRS, &LEFT_EYE_MESH_INDICES),
        ] {
            let (now, then) = (lid_gap(unposed, pairs[3]), lid_gap(reference, pairs[3]));
            if now > then * LATCH_EYE_RATIO && now > then + LATCH_MOUTH_GAP * io {
                replace(reference, &mut eye[..EYE_LATCH_POINTS].iter().copied());
            }
        }
    }

    /// The avatar's target pose for actor landmarks `actor` (square-pixel actor coordinates) at
    /// stream time `t` seconds, given the avatar's neutral landmarks `avatar` (avatar pixels).
    /// With [`MotionReference::FirstFrame`] the first call sets the reference. Falls back to the
    /// avatar's own landmarks when a pose cannot be estimated (degenerate input).
    pub fn target(
        &mut self,
        actor: &[[f32; 3]],
        avatar: &[[f32; 3]],
        s: &MotionSettings,
        t: f64,
    ) -> TargetPose {
        let mut out = TargetPose {
            points: Vec::with_capacity(avatar.len()),
            rigid: Similarity::identity(),
        };
        self.target_into(actor, avatar, s, t, &mut out);
        out
    }

    /// [`MotionTransfer::target`] written into `out`, reusing its point buffer: no allocation
    /// once `out` has held a pose (the engine's per-frame path).
    pub fn target_into(
        &mut self,
        actor: &[[f32; 3]],
        avatar: &[[f32; 3]],
        s: &MotionSettings,
        t: f64,
        out: &mut TargetPose,
    ) {
        out.points.clear();
        let camera = match s.reference {
            MotionReference::FirstFrame => {
                self.reference.get_or_insert_with(|| actor.to_vec());
                None
            }
            MotionReference::Camera => Some(self.camera.update(actor, t)),
        };
        if let Some(camera) = camera {
            let Some(virtual_frame) = camera else {
                out.points.extend_from_slice(avatar);
                out.rigid = Similarity::identity();
                return;
            };
            let reference = self.reference.get_or_insert_with(Vec::new);
            reference.clear();
            reference.extend_from_slice(virtual_frame);
        }
        let reference = self.reference.as_ref().expect("set above");
        let (Some(pose), Some(align)) = (head_pose(reference, actor), head_pose(reference, avatar))
        else {
            out.points.extend_from_slice(avatar);
            out.rigid = Similarity::identity();
            return;
        };
        let inv = pose.inverse();
        self.unposed.clear();
        self.unposed.extend(
            actor
                .iter()
                .map(|a| -> [f32; 3] { inv.apply(&Vector3::from(*a)).into() }),
        );
        if s.reference == MotionReference::FirstFrame {
            self.settle_reference();
        }
        let reference = self.reference.as_ref().expect("set above");

        let k = if s.adapt_scale { align.scale } else { 1.0 };
        let r_av = align.rotation;
        let rigid = if s.region.moves_head() {
            let mut head = pose;
            limit_pose(&mut head);
            // The actor's rotation and shift in camera coordinates, about the avatar's head
            // centre: a neck turns about the camera's vertical whatever the head's own tilt, and
            // the actor's tilt in the reference frame must not tilt the avatar's axes.
            let r_rel = head.rotation;
            let c_r = rigid_centroid(reference);
            let c = rigid_centroid(avatar);
            let (_, _, io) = face_axes(avatar);
            // The shift is the actor's head centre's own motion, from the pose before its
            // rotation was limited: the limited rotation with the unlimited pose's translation
            // would move the centre by `(R_limited − R)·c_r`, up to the shift limit in a
            // direction set by where the face sits in the actor frame, whenever a turn passes
            // the knee (measured: the painting pushed 0.3 eye-corner distances up or aside at
            // the limit, its hair band stretched 6.7 times one way).
            let shift = limit_shift((pose.apply(&c_r) - c_r) * k, io);
            Similarity {
                scale: head.scale,
                rotation: r_rel,
                translation: c - r_rel * c * head.scale + shift,
            }
        } else {
            Similarity::identity()
        };
        s.region.expression_weights(avatar, &mut self.weights);
        let gain = k * s.expression_multiplier;
        let points = &mut out.points;
        points.extend(
            avatar
                .iter()
                .zip(&self.unposed)
                .zip(reference.iter())
                .zip(&self.weights)
                .map(|(((v, u), r), &g)| -> [f32; 3] {
                    let expr = Vector3::from(*u) - Vector3::from(*r);
                    (Vector3::from(*v) + r_av * expr * (gain * g)).into()
                }),
        );
        transfer_lip_gaps(
            points,
            avatar,
            &self.unposed,
            k,
            s.expression_multiplier,
            &self.weights,
        );
        keep_philtrum_proportional(
            points,
            avatar,
            &self.unposed,
            reference,
            s.expression_multiplier,
        );
        limit_mouth_corners(points, avatar);
        self.fold_guard.unfold(points, avatar);
        keep_openings_apart(points, avatar);
        for p in points.iter_mut() {
            *p = rigid.apply(&Vector3::from(*p)).into();
        }
        out.rigid = rigid;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Rotation3;

    /// A pseudo-random face with level eye corners 80 px apart and open, uncrossed eyelids and
    /// lips.
    fn face() -> Vec<[f32; 3]> {
        let mut p: Vec<[f32; 3]> = (0..468)
            .map(|i| {
                let t = i as f32;
                [
                    100.0 + (t * 1.3).sin() * 40.0,
                    120.0 + (t * 0.7).cos() * 50.0,
                    (t * 2.1).sin() * 15.0,
                ]
            })
            .collect();
        p[33] = [60.0, 100.0, 0.0];
        p[263] = [140.0, 100.0, 0.0];
        for &(u, l) in RIGHT_LID_PAIRS
            .iter()
            .chain(&LEFT_LID_PAIRS)
            .chain(&LIP_PAIRS)
        {
            p[l] = [p[u][0], p[u][1] + 4.0, p[u][2]];
        }
        p
    }

    /// LivePortrait's relative motion: these tests measure against the first frame.
    fn first_frame() -> MotionSettings {
        MotionSettings {
            reference: MotionReference::FirstFrame,
            ..MotionSettings::default()
        }
    }

    fn transform(points: &[[f32; 3]], s: &Similarity) -> Vec<[f32; 3]> {
        points
            .iter()
            .map(|p| s.apply(&Vector3::from(*p)).into())
            .collect()
    }

    #[test]
    fn avatar_equal_to_the_reference_reproduces_the_actor() {
        let reference = face();
        let mut mt = MotionTransfer::new();
        let settings = first_frame();
        mt.target(&reference, &reference, &settings, 0.0);
        // Frame t: head turned about its centre and moved, mouth point displaced (expression).
        // The turn stays inside the knees of the pose limits (`super::limits`), which it passes
        // unchanged.
        let rotation = *Rotation3::from_euler_angles(0.1f32, 0.15, -0.2).matrix();
        let c = rigid_centroid(&reference);
        let pose = Similarity {
            scale: 1.1,
            rotation,
            translation: c - rotation * c * 1.1 + Vector3::new(5.0, -3.0, 1.0),
        };
        let mut actor = transform(&reference, &pose);
        actor[14][1] += 12.0;
        let out = mt.target(&actor, &reference, &settings, 0.0);
        for (o, a) in out.points.iter().zip(&actor) {
            for c in 0..3 {
                assert!((o[c] - a[c]).abs() < 0.05, "{o:?} vs {a:?}");
            }
        }
    }

    #[test]
    fn a_turn_past_the_limits_turns_the_avatar_in_place() {
        // The face far from the frame's origin, turned about its own centre far past the yaw and
        // pitch limits: the avatar turns (to the limit) about its head centre and does not move.
        let reference = transform(
            &face(),
            &Similarity {
                translation: Vector3::new(900.0, 600.0, 0.0),
                ..Similarity::identity()
            },
        );
        let c = rigid_centroid(&reference);
        for (pitch, yaw) in [(0.0f32, 70.0f32), (0.0, -70.0), (60.0, 0.0), (-60.0, 0.0)] {
            let r =
                *Rotation3::from_euler_angles(pitch.to_radians(), yaw.to_radians(), 0.0).matrix();
            let turn = Similarity {
                scale: 1.0,
                rotation: r,
                translation: c - r * c,
            };
            let mut mt = MotionTransfer::new();
            mt.target(&reference, &reference, &first_frame(), 0.0);
            let out = mt.target(
                &transform(&reference, &turn),
                &reference,
                &first_frame(),
                0.0,
            );
            let (_, y, p) = out.rigid.roll_yaw_pitch_deg();
            assert!(y.abs() + p.abs() > 10.0, "turned: yaw {y}, pitch {p}");
            let moved = (out.rigid.apply(&c) - c).norm();
            assert!(
                moved < 0.01,
                "({pitch}°, {yaw}°): head centre moved {moved} px"
            );
        }
    }

    #[test]
    fn motion_is_scaled_to_a_larger_avatar_and_expression_multiplier_applies() {
        let reference = face();
        let avatar_pose = Similarity {
            scale: 2.0,
            rotation: nalgebra::Matrix3::identity(),
            translation: Vector3::new(50.0, 0.0, 0.0),
        };
        let avatar = transform(&reference, &avatar_pose);
        let mut mt = MotionTransfer::new();
        let mut settings = first_frame();
        let first = mt.target(&reference, &avatar, &settings, 0.0).points;
        let worst = first
            .iter()
            .zip(&avatar)
            .flat_map(|(a, b)| (0..3).map(move |c| (a[c] - b[c]).abs()))
            .fold(0.0, f32::max);
        assert!(
            worst < 0.01,
            "reference frame: avatar unchanged (moved {worst} px)"
        );
        // The actor moves 10 px right and opens the mouth by 6 px.
        let mut actor: Vec<[f32; 3]> = reference
            .iter()
            .map(|p| [p[0] + 10.0, p[1], p[2]])
            .collect();
        actor[14][1] += 6.0;
        let out = mt.target(&actor, &avatar, &settings, 0.0);
        assert!(
            (out.points[1][0] - (avatar[1][0] + 20.0)).abs() < 0.05,
            "translation x2"
        );
        assert!(
            (out.points[14][1] - (avatar[14][1] + 12.0)).abs() < 0.05,
            "mouth x2"
        );
        settings.expression_multiplier = 0.5;
        let half = mt.target(&actor, &avatar, &settings, 0.0);
        assert!(
            (half.points[14][1] - (avatar[14][1] + 6.0)).abs() < 0.05,
            "mouth x2 x0.5"
        );
        settings.adapt_scale = false;
        let raw = mt.target(&actor, &avatar, &settings, 0.0);
        assert!(
            (raw.points[1][0] - (avatar[1][0] + 10.0)).abs() < 0.05,
            "unscaled translation"
        );
    }

    #[test]
    fn reset_reference_makes_the_next_frame_neutral() {
        let reference = face();
        let mut mt = MotionTransfer::new();
        let s = first_frame();
        mt.target(&reference, &reference, &s, 0.0);
        let moved: Vec<[f32; 3]> = reference
            .iter()
            .map(|p| [p[0] + 30.0, p[1], p[2]])
            .collect();
        assert_ne!(mt.target(&moved, &reference, &s, 0.0).points, reference);
        mt.reset_reference();
        assert!(!mt.has_reference());
        let out = mt.target(&moved, &reference, &s, 0.0);
        assert!(out
            .points
            .iter()
            .zip(&reference)
            .all(|(a, b)| (a[0] - b[0]).abs() < 1e-3));
    }

    #[test]
    fn an_actor_starting_mid_word_moves_the_avatars_mouth_with_the_actors() {
        let avatar = face();
        let closed = face();
        let mut open = face();
        for &(_, l) in &LIP_PAIRS {
            open[l][1] += 20.0;
        }
        let gap = |p: &[[f32; 3]]| p[14][1] - p[13][1];
        let mut mt = MotionTransfer::new();
        let s = first_frame();
        // The first actor frame has the mouth open (24 px): it becomes the reference, and the
        // avatar's mouth (4 px in the picture) opens as wide as the actor's, not left as pictured.
        let first = mt.target(&open, &avatar, &s, 0.0).points;
        assert!(
            (gap(&first) - 24.0).abs() < 0.5,
            "open from the first frame: {}",
            gap(&first)
        );
        // The actor closes to 4 px: so does the avatar, without the lips crossing.
        let shut = mt.target(&closed, &avatar, &s, 0.0).points;
        assert!(
            (gap(&shut) - 4.0).abs() < 0.5,
            "closes with the actor: {}",
            gap(&shut)
        );
        // The closed mouth is now the expression reference: opening again moves the lower lip
        // (the jaw) and leaves the upper lip, as the actor's did.
        let again = mt.target(&open, &avatar, &s, 0.0).points;
        assert!(
            (gap(&again) - 24.0).abs() < 0.5,
            "opens again: {}",
            gap(&again)
        );
        assert!(
            (again[14][1] - (avatar[14][1] + 20.0)).abs() < 0.5,
            "the jaw drops"
        );
        assert!(
            (again[13][1] - avatar[13][1]).abs() < 0.5,
            "the upper lip stays"
        );
    }

    #[test]
    fn regions_select_head_or_face_motion() {
        let reference = face();
        let mut actor: Vec<[f32; 3]> = reference.iter().map(|p| [p[0] + 8.0, p[1], p[2]]).collect();
        actor[14][1] += 6.0;
        let run = |region| {
            let mut mt = MotionTransfer::new();
            let s = MotionSettings {
                region,
                ..first_frame()
            };
            mt.target(&reference, &reference, &s, 0.0);
            mt.target(&actor, &reference, &s, 0.0).points
        };
        let pose = run(MotionRegion::Pose);
        assert!(
            (pose[10][0] - (reference[10][0] + 8.0)).abs() < 0.05,
            "pose: head moves"
        );
        assert!(
            (pose[14][1] - reference[14][1]).abs() < 0.05,
            "pose: mouth stays"
        );
        let expr = run(MotionRegion::Expression);
        assert!(
            (expr[10][0] - reference[10][0]).abs() < 0.05,
            "expression: head stays"
        );
        assert!(
            (expr[14][1] - (reference[14][1] + 6.0)).abs() < 0.05,
            "expression: mouth moves"
        );
    }

    #[test]
    fn head_rotation_is_applied_in_camera_coordinates_whatever_the_avatars_tilt() {
        let reference = face();
        let c = rigid_centroid(&reference);
        let about_centre = |r: nalgebra::Matrix3<f32>| Similarity {
            scale: 1.0,
            rotation: r,
            translation: c - r * c,
        };
        // The avatar is the reference face tilted 20 degrees in the picture.
        let tilt = *Rotation3::from_euler_angles(0.0f32, 0.0, 20f32.to_radians()).matrix();
        let avatar = transform(&reference, &about_centre(tilt));
        // The actor turns 10 degrees about the camera's vertical.
        let turn = *Rotation3::from_euler_angles(0.0f32, 10f32.to_radians(), 0.0).matrix();
        let actor = transform(&reference, &about_centre(turn));
        let mut mt = MotionTransfer::new();
        let s = first_frame();
        mt.target(&reference, &avatar, &s, 0.0);
        let out = mt.target(&actor, &avatar, &s, 0.0);
        assert!(
            (out.rigid.rotation - turn).norm() < 1e-4,
            "the avatar turns about the camera's vertical: {:?}",
            out.rigid.rotation
        );
    }

    #[test]
    fn camera_relative_the_avatar_faces_the_camera_when_the_actor_does_after_a_turned_start() {
        use crate::motion::camera_pose::canonical_landmarks;
        // A face whose rigid points are the canonical face's, the rest pseudo-random around.
        let place = |yaw: f32| {
            let r = *Rotation3::from_euler_angles(0.0f32, yaw.to_radians(), 0.0).matrix();
            let pose = Similarity {
                scale: 10.0,
                rotation: r,
                translation: Vector3::new(200.0, 150.0, 0.0),
            };
            let mut p = transform(&face(), &Similarity { scale: 0.1, ..pose });
            let rigid = canonical_landmarks(&pose);
            for &i in &RIGID_POINTS {
                p[i] = rigid[i];
            }
            p
        };
        let avatar = place(0.0);
        let s = MotionSettings::default();
        assert_eq!(s.reference, MotionReference::Camera);
        let (mut camera, mut relative) = (MotionTransfer::new(), MotionTransfer::new());
        let yaw_of = |p: &TargetPose| p.rigid.roll_yaw_pitch_deg().1;
        // The stream opens turned 10 degrees (inside the yaw limit's knee, see `super::limits`).
        let turned = place(10.0);
        let first = camera.target(&turned, &avatar, &s, 0.0);
        relative.target(&turned, &avatar, &first_frame(), 0.0);
        assert!(
            (yaw_of(&first) - 10.0).abs() < 0.5,
            "turned as the actor: {}",
            yaw_of(&first)
        );
        // Then faces the camera: the avatar as pictured; relative to the first frame it would be
        // turned 10 degrees the other way.
        let front = place(0.0);
        let now = camera.target(&front, &avatar, &s, 1.0);
        assert!(
            yaw_of(&now).abs() < 0.5,
            "faces the camera: {}",
            yaw_of(&now)
        );
        let old = relative.target(&front, &avatar, &first_frame(), 1.0);
        assert!(yaw_of(&old) < -9.0, "relative: {}", yaw_of(&old));
    }
}
