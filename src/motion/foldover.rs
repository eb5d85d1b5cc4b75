//! Keeps the expression from folding the face mesh over itself.
//!
//! Relative motion adds the actor's landmark displacements to the avatar's own face. When the
//! avatar's proportions differ from the actor's, a displacement that is harmless on the actor can
//! push a landmark past its neighbour on the avatar: a skin triangle turns over, and the
//! piecewise-affine warp draws that skin twice, mirrored. Measured (before this guard) with
//! talk_wink_480: on astronaut_512 a triangle turned over in 198 of 1008 frames (at the jaw line
//! and the mouth corners); on mona_lisa_720x1280 in 705, mostly the rows under her lower lip,
//! which the opening mouth pushed into the chin.
//!
//! [`FoldGuard::unfold`] compares every skin triangle's signed area in the target with its area on
//! the avatar's neutral face. Where a triangle has turned over, the displacements (from the
//! neutral face) of its corners and of their neighbours are smoothed: each moves
//! [`RELAXATION`] of the way to the mean of its neighbours' displacements, a pass at a time, until
//! no triangle is turned over or [`MAX_PASSES`] passes are spent. Smoothing, unlike scaling the
//! motion back, keeps the motion: a lower lip pushed into the chin drags the chin along instead
//! of stopping, so the mouth still opens as far.
//!
//! The eyelids and the inner lips are left alone, and triangles touching them are not tested:
//! blinks and the lip gap are the motion users look at most, and their own rules keep them apart
//! ([`super::openings::keep_openings_apart`]). The eye and mouth openings are holes of the mesh
//! ([`TRIANGLES`]).
//!
//! Works in the avatar's frontal frame, before the head rotation: the 3-D pose turns the far
//! cheek's triangles over on purpose (they are drawn back to front, under the near ones).

use crate::face::eye_refiner::{LEFT_EYE_MESH_INDICES, RIGHT_EYE_MESH_INDICES};
use crate::face::mesh_topology::{LIPS_INNER, TRIANGLES};

/// Smallest share of its neutral area a skin triangle may keep (signed: a triangle turned over
/// has a negative share).
pub const MIN_AREA_RATIO: f32 = 0.0;
/// Triangles of the neutral face whose height is under this share of their longest side are
/// slivers and not tested.
pub const MIN_SHAPE: f32 = 0.1;
/// Share of the way to its neighbours' mean displacement a landmark moves per pass.
pub const RELAXATION: f32 = 0.5;
/// Passes at most per frame.
pub const MAX_PASSES: usize = 16;
/// Number of face-mesh landmarks the triangles address.
const MESH_POINTS: usize = 468;
/// Eyelid points per eye (the first of the iris model's 71): pinned.
const EYE_PINNED: usize = 16;
/// Neutral triangles smaller than this (pixels²) are not tested: when they turn over, no more
/// than a pixel or two shows it.
pub const MIN_AREA: f32 = 2.0;

/// The skin triangles the guard tests: those without a pinned corner.
fn tested_triangles() -> impl Iterator<Item = [u16; 3]> {
    TRIANGLES
        .iter()
        .copied()
        .filter(|t| !t.iter().any(|&i| pinned(i as usize)))
}

/// Whether landmark `i` is pinned: an eyelid or the inner lips.
fn pinned(i: usize) -> bool {
    LIPS_INNER.contains(&i)
        || RIGHT_EYE_MESH_INDICES[..EYE_PINNED].contains(&i)
        || LEFT_EYE_MESH_INDICES[..EYE_PINNED].contains(&i)
}

/// Signed area of triangle `t` of `p`, pixels² (its sign depends on the triangle's winding, which
/// varies across [`TRIANGLES`]: compare signs, not values).
fn signed_area(p: &[[f32; 3]], t: [u16; 3]) -> f32 {
    let [a, b, c] = t.map(|i| p[i as usize]);
    ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) / 2.0
}

/// Per-frame buffers of [`FoldGuard::unfold`]: no allocation once it has run.
#[derive(Debug, Clone, Default)]
pub struct FoldGuard {
    /// Displacement of each landmark from the neutral face, pixels.
    shift: Vec<[f32; 3]>,
    /// Sum of the neighbours' displacements and their count, per landmark.
    around: Vec<([f32; 3], f32)>,
    /// Landmarks at a corner of a turned-over triangle in this pass.
    moving: Vec<bool>,
    /// Those and their neighbours: the landmarks a pass smooths.
    near: Vec<bool>,
    /// The skin triangles that are tested: those without a pinned corner (filled once).
    tested: Vec<[u16; 3]>,
    /// Per landmark: pinned (filled once).
    pinned: Vec<bool>,
    /// Turned-over triangles found in the last call, before unfolding (for diagnostics).
    pub last_folded: usize,
    /// Passes used in the last call.
    pub last_passes: usize,
}

impl FoldGuard {
    /// An empty guard.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of tested skin triangles (no eyelid or inner-lip corner, no sliver)
    /// turned over in `points` relative to `neutral` (both at least 468 landmarks, pixels).
    pub fn folded(points: &[[f32; 3]], neutral: &[[f32; 3]]) -> usize {
        tested_triangles()
            .filter(|&t| folds(points, neutral, t))
            .count()
    }

    /// Smooths the displacement of `points` from `neutral` (the target and the avatar's neutral
    /// landmarks, pixels in the avatar's frontal frame; at least 468 each, extra points such as
    /// the iris centres are left as they are) around every turned-over triangle, until none is
    /// or [`MAX_PASSES`] passes are spent (see the module docs). A target without one is left
    /// exactly as it is.
    pub fn unfold(&mut self, points: &mut [[f32; 3]], neutral: &[[f32; 3]]) {
        self.last_passes = 0;
        self.last_folded = 0;
        if points.len() < MESH_POINTS || neutral.len() < MESH_POINTS {
            return;
        }
        if self.pinned.is_empty() {
            // Every buffer is sized on the first call, so that a fold later in a stream does not
            // allocate.
            self.shift.reserve(MESH_POINTS);
            self.around.reserve(MESH_POINTS);
            self.moving.reserve(MESH_POINTS);
            self.near.reserve(MESH_POINTS);
            self.pinned.extend((0..MESH_POINTS).map(pinned));
            self.tested.extend(tested_triangles());
        }
        self.shift.clear();
        self.shift.extend(
            points[..MESH_POINTS]
                .iter()
                .zip(neutral)
                .map(|(p, n)| -> [f32; 3] { std::array::from_fn(|c| p[c] - n[c]) }),
        );
        for pass in 0..=MAX_PASSES {
            self.moving.clear();
            self.moving.resize(MESH_POINTS, false);
            let mut folded = 0;
            for &t in &self.tested {
                if folds(points, neutral, t) {
                    folded += 1;
                    for i in t {
                        self.moving[i as usize] = true;
                    }
                }
            }
            if pass == 0 {
                self.last_folded = folded;
            }
            if folded == 0 || pass == MAX_PASSES {
                break;
            }
            self.last_passes = pass + 1;
            self.relax();
            for (i, p) in points[..MESH_POINTS].iter_mut().enumerate() {
                let (n, d) = (neutral[i], self.shift[i]);
                *p = std::array::from_fn(|c| n[c] + d[c]);
            }
        }
    }

    /// One smoothing pass over the moving landmarks and their neighbours (pinned ones excepted).
    fn relax(&mut self) {
        self.around.clear();
        self.around.resize(MESH_POINTS, ([0.0; 3], 0.0));
        self.near.clear();
        self.near.extend_from_slice(&self.moving);
        for t in TRIANGLES {
            let t = t.map(usize::from);
            let touched = t.iter().any(|&i| self.moving[i]);
            for (k, &i) in t.iter().enumerate() {
                self.near[i] |= touched;
                let (sum, n) = &mut self.around[i];
                for &j in [t[(k + 1) % 3], t[(k + 2) % 3]].iter() {
                    for (s, d) in sum.iter_mut().zip(self.shift[j]) {
                        *s += d;
                    }
                    *n += 1.0;
                }
            }
        }
        for (i, ((d, (sum, n)), &go)) in self
            .shift
            .iter_mut()
            .zip(&self.around)
            .zip(&self.near)
            .enumerate()
        {
            if go && !self.pinned[i] && *n > 0.0 {
                for c in 0..3 {
                    d[c] += RELAXATION * (sum[c] / n - d[c]);
                }
            }
        }
    }
}

/// Whether triangle `t` has turned over in `points` relative to `neutral`. A sliver on the
/// neutral face (its height under [`MIN_SHAPE`] of its longest side, or under [`MIN_AREA`]:
/// the silhouette of a turned face) turns over with landmark noise and shows nothing when it
/// does: never.
fn folds(points: &[[f32; 3]], neutral: &[[f32; 3]], t: [u16; 3]) -> bool {
    let a0 = signed_area(neutral, t);
    let [a, b, c] = t.map(|i| neutral[i as usize]);
    let side2 = |p: [f32; 3], q: [f32; 3]| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
    let longest2 = side2(a, b).max(side2(b, c)).max(side2(c, a));
    a0.abs() > MIN_AREA
        && 2.0 * a0.abs() >= MIN_SHAPE * longest2
        && signed_area(points, t) / a0 < MIN_AREA_RATIO
}
