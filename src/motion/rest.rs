//! Easing to rest during a long absence of the actor's face: a lecturer who turns to the board
//! or walks out of the shot must not leave the avatar frozen mid-word. For the first `hold`
//! seconds without a face the avatar holds its last pose (a face lost for a moment comes back
//! without a change); then it eases to its rest pose, its own picture, over
//! [`REST_EASE_SECONDS`]. When the face is back, [`super::reacquire`] eases into the actor's motion
//! again from the pose shown.

use super::limits::smoothstep;
use super::pose::Similarity;
use super::transfer::TargetPose;

/// Default hold, seconds: shorter than a look at the board, longer than a turn of the head.
pub const DEFAULT_HOLD_SECONDS: f32 = 1.0;
/// Seconds over which the avatar eases from the held pose to its rest pose.
pub const REST_EASE_SECONDS: f32 = 1.0;

/// The rest pose's share of the pose shown `absent` seconds after the face was lost, with a hold
/// of `hold` seconds: `None` while holding, then rising from 0 to 1 over [`REST_EASE_SECONDS`]
/// (smoothstep: no jolt at either end), 1 from then on.
pub fn rest_weight(absent: f32, hold: f32) -> Option<f32> {
    (absent > hold).then(|| smoothstep(0.0, REST_EASE_SECONDS, absent - hold))
}

/// Seconds of stream an absence of the actor's face has lasted, from the frames' stream times.
/// Stream time normally grows frame by frame; where it does not (timestamps that jump back, as
/// when two files are joined or a live source restarts its clock, or repeat), a frame counts as
/// long as the last frame that moved forward ([`DEFAULT_FRAME_SECONDS`] before any), so that an
/// absence neither freezes nor ends early. A jump forward counts whole: that stream time passed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AbsenceClock {
    /// The last frame's stream time, seconds, while an absence lasts.
    last: Option<f64>,
    /// Seconds counted since the absence's first frame.
    elapsed: f64,
    /// The last forward step between frames, seconds.
    step: Option<f64>,
}

/// What a frame counts for before any frame moved the stream time forward (30 frames/s).
pub const DEFAULT_FRAME_SECONDS: f64 = 1.0 / 30.0;

impl AbsenceClock {
    /// No absence.
    pub fn new() -> Self {
        Self::default()
    }

    /// A frame without a face at stream time `t` (seconds): the seconds the absence has lasted
    /// (0 for its first frame).
    pub fn tick(&mut self, t: f64) -> f32 {
        if let Some(last) = self.last {
            let dt = t - last;
            if dt > 0.0 {
                self.elapsed += dt;
                self.step = Some(dt);
            } else {
                self.elapsed += self.step.unwrap_or(DEFAULT_FRAME_SECONDS);
            }
        }
        self.last = Some(t);
        self.elapsed as f32
    }

    /// Whether an absence is being counted.
    pub fn is_running(&self) -> bool {
        self.last.is_some()
    }

    /// Ends the absence (a face is back, a seek, a new avatar); the frame step is kept.
    pub fn stop(&mut self) {
        self.last = None;
        self.elapsed = 0.0;
    }
}

/// Makes `pose` the avatar at rest: its own landmarks `points` (avatar pixels), unmoved (reusing
/// `pose`'s buffer).
pub fn set_rest_pose(pose: &mut TargetPose, points: &[[f32; 3]]) {
    pose.points.clear();
    pose.points.extend_from_slice(points);
    pose.rigid = Similarity::identity();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_avatar_holds_then_eases_to_rest_smoothly_and_stays() {
        let hold = 1.0;
        assert_eq!(rest_weight(0.0, hold), None);
        assert_eq!(rest_weight(0.99, hold), None, "a short loss holds");
        // Frames at 30 frames/s from the first after the hold.
        let steps: Vec<f32> = (1..=60)
            .map(|k| rest_weight(1.0 + k as f32 / 30.0, hold).unwrap())
            .collect();
        assert!(steps[0] < 0.01, "starts at the held pose: {}", steps[0]);
        assert!(
            steps.windows(2).all(|w| w[1] >= w[0]),
            "monotonic: {steps:?}"
        );
        // No frame moves more than twice the mean step (a smooth ease, no jump).
        let largest = steps.windows(2).map(|w| w[1] - w[0]).fold(0.0, f32::max);
        assert!(
            largest <= 2.0 / (30.0 * REST_EASE_SECONDS),
            "largest step {largest}"
        );
        assert_eq!(steps[29], 1.0, "at rest after REST_EASE_SECONDS");
        assert_eq!(rest_weight(30.0, hold), Some(1.0), "and stays there");
    }

    #[test]
    fn an_absence_counts_stream_time_and_a_jump_back_neither_freezes_nor_ends_it() {
        let mut c = AbsenceClock::new();
        assert!(!c.is_running());
        assert_eq!(c.tick(10.0), 0.0);
        assert!((c.tick(10.04) - 0.04).abs() < 1e-6);
        // Back to 0 (two files joined): each frame still counts its 0.04 s.
        assert!((c.tick(0.0) - 0.08).abs() < 1e-6);
        assert!((c.tick(0.04) - 0.12).abs() < 1e-6);
        // The same time again counts a frame too; a jump forward counts whole.
        assert!((c.tick(0.04) - 0.16).abs() < 1e-6);
        assert!((c.tick(5.04) - 5.16).abs() < 1e-5);
        c.stop();
        assert!(!c.is_running());
        assert_eq!(c.tick(3.0), 0.0, "a new absence starts at 0");
        // Before any forward step, a repeated time counts one frame at 30 frames/s.
        let mut fresh = AbsenceClock::new();
        fresh.tick(1.0);
        assert!((fresh.tick(1.0) - DEFAULT_FRAME_SECONDS as f32).abs() < 1e-6);
    }

    fn rest_pose(points: &[[f32; 3]]) -> TargetPose {
        let mut pose = TargetPose {
            points: vec![[1.0; 3]; 7],
            rigid: Similarity::identity(),
        };
        pose.rigid.scale = 3.0;
        set_rest_pose(&mut pose, points);
        pose
    }

    #[test]
    fn a_blend_towards_rest_moves_the_points_and_the_head_back() {
        let mut held = rest_pose(&[[10.0, 20.0, 0.0], [30.0, 40.0, 0.0]]);
        assert_eq!(held.rigid.scale, 1.0, "at rest the head is unmoved");
        held.rigid.translation.x = 8.0;
        held.rigid.scale = 1.2;
        let rest = rest_pose(&[[0.0, 0.0, 0.0], [20.0, 20.0, 0.0]]);
        let mut shown = rest.clone();
        shown.blend_from(&held, 0.25);
        assert_eq!(shown.points[0], [7.5, 15.0, 0.0]);
        assert!((shown.rigid.translation.x - 6.0).abs() < 1e-6);
        assert!((shown.rigid.scale - 1.15).abs() < 1e-6);
        let mut at_rest = rest.clone();
        at_rest.blend_from(&held, 1.0);
        assert_eq!(at_rest, rest);
    }
}
