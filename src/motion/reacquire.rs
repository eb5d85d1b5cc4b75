//! Easing back in after the actor's face was lost: while the face is missing the avatar holds its
//! last pose; when the face is found again the avatar glides to the new pose over
//! [`EASE_FRAMES`] frames instead of jumping (a "pop").

use super::limits::smoothstep;
use super::transfer::TargetPose;

/// Frames over which the avatar moves from its held pose to the re-found actor's pose (0.2 s at
/// 30 frames/s).
pub const EASE_FRAMES: u32 = 6;

/// Remembers the last pose shown and eases from it after a loss.
#[derive(Debug, Clone, Default)]
pub struct Reacquire {
    held: Option<TargetPose>,
    /// Frames since the face was found again, while easing.
    easing: Option<u32>,
}

impl Reacquire {
    /// A fresh state: nothing held, no easing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The actor frame had no face: the next found face eases in from the held pose.
    pub fn lost(&mut self) {
        if self.held.is_some() {
            self.easing = Some(0);
        }
    }

    /// Forgets the held pose (new avatar: its landmarks differ).
    pub fn reset(&mut self) {
        self.held = None;
        self.easing = None;
    }

    /// Blends `target` (this frame's pose) from the held pose while easing
    /// ([`TargetPose::blend_from`] with smoothstep weights), then holds the result.
    pub fn apply(&mut self, target: &mut TargetPose) {
        if let (Some(k), Some(held)) = (self.easing, &self.held) {
            target.blend_from(held, smoothstep(0.0, EASE_FRAMES as f32, (k + 1) as f32));
            self.easing = (k + 1 < EASE_FRAMES).then_some(k + 1);
        }
        self.hold(target);
    }

    /// Makes `shown` the held pose, the one a face found again eases in from (the engine calls
    /// it for the poses it shows without a face: easing to rest).
    pub fn hold(&mut self, shown: &TargetPose) {
        match &mut self.held {
            Some(h) if h.points.len() == shown.points.len() => {
                h.points.copy_from_slice(&shown.points);
                h.rigid = shown.rigid;
            }
            slot => *slot = Some(shown.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::motion::Similarity;

    fn pose(x: f32) -> TargetPose {
        TargetPose {
            points: vec![[x, 0.0, 0.0]; 3],
            rigid: Similarity::identity(),
        }
    }

    #[test]
    fn a_refound_face_glides_from_the_held_pose_instead_of_jumping() {
        let mut r = Reacquire::new();
        let mut first = pose(0.0);
        r.apply(&mut first);
        assert_eq!(first.points[0][0], 0.0, "no loss: unchanged");
        r.lost();
        let mut xs = vec![];
        for _ in 0..EASE_FRAMES + 2 {
            let mut p = pose(60.0);
            r.apply(&mut p);
            xs.push(p.points[0][0]);
        }
        assert!(xs[0] > 0.0 && xs[0] < 15.0, "first step is small: {xs:?}");
        assert!(xs.windows(2).all(|w| w[1] >= w[0]), "monotonic: {xs:?}");
        assert_eq!(
            xs[EASE_FRAMES as usize - 1],
            60.0,
            "arrives after EASE_FRAMES"
        );
        assert_eq!(*xs.last().unwrap(), 60.0);
    }

    #[test]
    fn without_a_held_pose_nothing_is_eased() {
        let mut r = Reacquire::new();
        r.lost();
        let mut p = pose(60.0);
        r.apply(&mut p);
        assert_eq!(p.points[0][0], 60.0);
    }
}
