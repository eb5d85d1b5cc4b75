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
