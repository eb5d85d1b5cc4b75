//! Easing back in after the actor's face was lost: while the face is missing the avatar holds its
//! last pose; when the face is found again the avatar glides to the new pose over
//! [`EASE_FRAMES`] frames instead of jumping (a "pop").

use nalgebra::Matrix3;

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

    /// Blends `target` (this frame's pose) from the held pose while easing, then holds the
    /// result. Linear blend with smoothstep weights; the rigid motion's rotation is blended
    /// component-wise (a near-rotation for the small steps involved, used only for the band).
    pub fn apply(&mut self, target: &mut TargetPose) {
        if let (Some(k), Some(held)) = (self.easing, &self.held) {
            if held.points.len() == target.points.len() {
                let w = smoothstep(0.0, EASE_FRAMES as f32, (k + 1) as f32);
                for (p, h) in target.points.iter_mut().zip(&held.points) {
                    for c in 0..3 {
                        p[c] = h[c] + (p[c] - h[c]) * w;
                    }
                }
                let r: Matrix3<f32> = held.rigid.rotation * (1.0 - w) + target.rigid.rotation * w;
                target.rigid.rotation = r;
                target.rigid.scale = held.rigid.scale + (target.rigid.scale - held.rigid.scale) * w;
                target.rigid.translation =
                    held.rigid.translation * (1.0 - w) + target.rigid.translation * w;
            }
            self.easing = (k + 1 < EASE_FRAMES).then_some(k + 1);
        }
        match &mut self.held {
            Some(h) if h.points.len() == target.points.len() => {
                h.points.copy_from_slice(&target.points);
                h.rigid = target.rigid;
            }
            slot => *slot = Some(target.clone()),
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
