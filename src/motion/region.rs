//! Region selector: which parts of the actor's motion reach the avatar (LivePortrait's
//! `animation_region`: all / exp / pose / lip / eyes).

use super::limits::smoothstep;
use crate::face::mesh_topology::{LEFT_EYE, LIPS_OUTER, RIGHT_EYE};

/// Which parts of the actor's motion the avatar follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MotionRegion {
    /// Head pose and the whole expression.
    #[default]
    All,
    /// Head pose only: rotation, translation and scale; the avatar keeps its expression.
    Pose,
    /// Expression only: the avatar's head stays where it is in the picture.
    Expression,
    /// Lips and jaw only (no head motion): for dubbing a still portrait.
    Lips,
    /// Eyes and eyelids only (blinks, winks, gaze; no head motion).
    Eyes,
}

/// Lips region: full weight within this distance of the mouth centre, in eye-corner distances
/// (reaches the chin).
const LIPS_INNER_RADIUS: f32 = 0.55;
/// Lips region: zero weight beyond this distance (below the eyes).
const LIPS_OUTER_RADIUS: f32 = 0.8;
/// Eyes region: full weight within this distance of an eye centre, in eye-corner distances
/// (eyelids and iris).
const EYES_INNER_RADIUS: f32 = 0.18;
/// Eyes region: zero weight beyond this distance (the brows move half-way).
const EYES_OUTER_RADIUS: f32 = 0.32;

fn mean(points: &[[f32; 3]], idx: &[usize]) -> [f32; 2] {
    let n = idx.len() as f32;
    idx.iter().fold([0.0, 0.0], |m, &i| {
        [m[0] + points[i][0] / n, m[1] + points[i][1] / n]
    })
}

/// 1 at `d <= inner`, 0 at `d >= outer`, smooth (smoothstep) in between.
fn falloff(d: f32, inner: f32, outer: f32) -> f32 {
    1.0 - smoothstep(inner, outer, d)
}

impl MotionRegion {
    /// Whether the head pose (rotation, translation, scale) is transferred.
    pub fn moves_head(self) -> bool {
        matches!(self, MotionRegion::All | MotionRegion::Pose)
    }

    /// Writes into `weights` how much of the actor's expression each of the avatar's landmarks
    /// `avatar` (468 points, pixels) receives: 0..1, smooth at the region's edge so that the
    /// warp does not tear.
    pub fn expression_weights(self, avatar: &[[f32; 3]], weights: &mut Vec<f32>) {
        weights.clear();
        let io = {
            let (a, b) = (avatar[33], avatar[263]);
            ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2))
                .sqrt()
                .max(1e-3)
        };
        let dist =
            |p: &[f32; 3], c: [f32; 2]| ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt() / io;
        match self {
            MotionRegion::All | MotionRegion::Expression => weights.resize(avatar.len(), 1.0),
            MotionRegion::Pose => weights.resize(avatar.len(), 0.0),
            MotionRegion::Lips => {
                let m = mean(avatar, &LIPS_OUTER);
                weights.extend(
                    avatar
                        .iter()
                        .map(|p| falloff(dist(p, m), LIPS_INNER_RADIUS, LIPS_OUTER_RADIUS)),
                );
            }
            MotionRegion::Eyes => {
                let (r, l) = (mean(avatar, &RIGHT_EYE), mean(avatar, &LEFT_EYE));
                weights.extend(avatar.iter().map(|p| {
                    let d = dist(p, r).min(dist(p, l));
                    falloff(d, EYES_INNER_RADIUS, EYES_OUTER_RADIUS)
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schematic face: eye corners 100 px apart, the mouth 80 px below the eye line.
    fn face() -> Vec<[f32; 3]> {
        let mut p = vec![[150.0f32, 60.0, 0.0]; 468]; // forehead
        for &i in &RIGHT_EYE {
            p[i] = [115.0, 100.0, 0.0];
        }
        for &i in &LEFT_EYE {
            p[i] = [185.0, 100.0, 0.0];
        }
        p[33] = [100.0, 100.0, 0.0];
        p[263] = [200.0, 100.0, 0.0];
        for &i in &LIPS_OUTER {
            p[i] = [150.0, 180.0, 0.0];
        }
        p[152] = [150.0, 230.0, 0.0]; // chin
        p
    }

    #[test]
    fn lips_cover_the_chin_but_not_the_eyes_and_eyes_not_the_mouth() {
        let f = face();
        let mut w = Vec::new();
        MotionRegion::Lips.expression_weights(&f, &mut w);
        assert_eq!(w.len(), 468);
        assert_eq!(w[LIPS_OUTER[0]], 1.0);
        assert_eq!(w[152], 1.0, "chin moves with the jaw");
        assert_eq!(w[RIGHT_EYE[0]], 0.0);
        assert_eq!(w[10], 0.0, "forehead");
        MotionRegion::Eyes.expression_weights(&f, &mut w);
        assert_eq!(w[RIGHT_EYE[3]], 1.0);
        assert_eq!(w[LEFT_EYE[3]], 1.0);
        assert_eq!(w[LIPS_OUTER[0]], 0.0);
        MotionRegion::Pose.expression_weights(&f, &mut w);
        assert!(w.iter().all(|&x| x == 0.0));
        assert!(MotionRegion::Pose.moves_head() && !MotionRegion::Lips.moves_head());
    }

    #[test]
    fn falloff_is_smooth_and_monotonic() {
        let mut last = 1.0;
        for k in 0..=100 {
            let v = falloff(k as f32 / 100.0, 0.2, 0.6);
            assert!(v <= last + 1e-6 && (0.0..=1.0).contains(&v));
            last = v;
        }
        assert_eq!(falloff(0.2, 0.2, 0.6), 1.0);
        assert_eq!(falloff(0.6, 0.2, 0.6), 0.0);
    }
}
