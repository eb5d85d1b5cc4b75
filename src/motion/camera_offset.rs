//! A camera that always looks at the actor from a little above, below or aside: learned slowly
//! as a small, bounded offset of the "facing the camera" pose, so that such an actor's usual
//! pose gives the avatar its own.
//!
//! The offset follows the actor's yaw and pitch (relative to facing the camera, see
//! [`super::camera_pose`]) with a time constant of [`OFFSET_TIME_CONSTANT_S`], learning only from
//! frames within [`OFFSET_GATE_DEG`] of it (a deliberate turn, held for seconds, teaches it
//! nothing and stays a turn), and never passes [`MAX_OFFSET_DEG`]. Roll is not learned: a camera
//! is hardly ever rolled, and a head tilt is expression.

use nalgebra::{Matrix3, Rotation3};

/// The largest learned offset of yaw or pitch, degrees.
pub const MAX_OFFSET_DEG: f32 = 10.0;
/// Frames whose yaw and pitch are both within this many degrees of the offset teach it.
pub const OFFSET_GATE_DEG: f32 = 12.0;
/// Seconds for the offset to cover 63 % of the way to a pose held (within the gate).
pub const OFFSET_TIME_CONSTANT_S: f32 = 20.0;
/// Longest step of stream time one frame teaches, seconds (a gap in the stream is not a pose
/// held for its length).
const MAX_STEP_S: f64 = 0.2;

/// The learned camera offset (yaw and pitch, degrees), starting at zero.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CameraOffset {
    yaw: f32,
    pitch: f32,
    last_t: Option<f64>,
}

impl CameraOffset {
    /// No offset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets what was learned.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Learns from a frame at stream time `t` seconds whose head pose relative to facing the
    /// camera has `yaw` and `pitch` degrees.
    pub fn learn(&mut self, yaw: f32, pitch: f32, t: f64) {
        let dt = self
            .last_t
            .map_or(0.0, |last| (t - last).clamp(0.0, MAX_STEP_S)) as f32;
        self.last_t = Some(t);
        if (yaw - self.yaw).abs() > OFFSET_GATE_DEG || (pitch - self.pitch).abs() > OFFSET_GATE_DEG
        {
            return;
        }
        let rate = (dt / OFFSET_TIME_CONSTANT_S).min(1.0);
        self.yaw = (self.yaw + (yaw - self.yaw) * rate).clamp(-MAX_OFFSET_DEG, MAX_OFFSET_DEG);
        self.pitch =
            (self.pitch + (pitch - self.pitch) * rate).clamp(-MAX_OFFSET_DEG, MAX_OFFSET_DEG);
    }

    /// The offset's yaw and pitch, degrees.
    pub fn yaw_pitch_deg(&self) -> (f32, f32) {
        (self.yaw, self.pitch)
    }

    /// The offset as a rotation in landmark axes, `Ry(yaw)·Rx(pitch)` (the convention of
    /// [`super::Similarity::roll_yaw_pitch_deg`]).
    pub fn rotation(&self) -> Matrix3<f32> {
        *Rotation3::from_euler_angles(self.pitch.to_radians(), self.yaw.to_radians(), 0.0).matrix()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `seconds` of a held pose at 30 frames a second, from stream time `from`.
    fn hold(offset: &mut CameraOffset, yaw: f32, pitch: f32, from: f64, seconds: f64) -> f64 {
        let frames = (seconds * 30.0) as usize;
        for i in 0..frames {
            offset.learn(yaw, pitch, from + i as f64 / 30.0);
        }
        from + frames as f64 / 30.0
    }

    #[test]
    fn a_camera_slightly_above_is_learned_slowly_and_bounded() {
        let mut offset = CameraOffset::new();
        let t = hold(&mut offset, 4.0, -8.0, 0.0, 2.0);
        let (yaw, pitch) = offset.yaw_pitch_deg();
        assert!(yaw > 0.0 && yaw < 0.5, "two seconds teach little: {yaw}");
        assert!(pitch < 0.0 && pitch > -1.0, "{pitch}");
        hold(&mut offset, 4.0, -8.0, t, 120.0);
        let (yaw, pitch) = offset.yaw_pitch_deg();
        assert!(
            (yaw - 4.0).abs() < 0.1 && (pitch + 8.0).abs() < 0.1,
            "{yaw} {pitch}"
        );
        // A pose farther off is followed to the bound only.
        let mut offset = CameraOffset::new();
        let mut t = 0.0;
        for step in 1..=5 {
            t = hold(&mut offset, 3.0 * step as f32, 0.0, t, 60.0);
        }
        assert_eq!(offset.yaw_pitch_deg().0, MAX_OFFSET_DEG);
    }

    #[test]
    fn a_deliberate_turn_held_for_seconds_teaches_nothing() {
        let mut offset = CameraOffset::new();
        hold(&mut offset, 28.0, 0.0, 0.0, 30.0);
        assert_eq!(offset.yaw_pitch_deg(), (0.0, 0.0));
        assert_eq!(offset.rotation(), Matrix3::identity());
    }

    #[test]
    fn a_gap_in_the_stream_is_not_a_long_hold() {
        let mut offset = CameraOffset::new();
        offset.learn(8.0, 0.0, 0.0);
        offset.learn(8.0, 0.0, 600.0);
        assert!(offset.yaw_pitch_deg().0 < 0.1);
    }
}
