//! Keeps the mouth corners within what a mouth can do: the actor's smile is added to the avatar's
//! own expression (relative motion), so an avatar that already grins in its picture would
//! otherwise stretch to a "joker" mouth, wider than the eyes, corners up to the cheeks.
//!
//! Measures (in eye-corner distances, the avatar's own frame, y down):
//! * mouth width: outer corners 61 → 291 along the eye line; a big grin is about 0.85;
//! * corner elevation: how far the outer corners sit above the upper lip's inner centre (13).
//!
//! Growth beyond the avatar's pictured value is soft-limited ([`super::limits::soft_limit`]) so
//! that the result stays below [`MAX_WIDTH`] / [`MAX_ELEVATION`] (or the picture's own value plus
//! a little room, when the picture already exceeds them). The correction moves each corner and
//! fades out over [`CORRECTION_RADIUS`] around it, so the lips and cheeks follow smoothly.

use super::limits::{smoothstep, soft_limit};
use super::openings::face_axes;

/// Outer mouth corners (subject's right, left).
pub const OUTER_CORNERS: (usize, usize) = (61, 291);
/// Upper lip, inner centre: the reference the corners' elevation is measured from.
pub const UPPER_LIP_CENTRE: usize = 13;
/// Widest mouth, eye-corner distances.
pub const MAX_WIDTH: f32 = 0.9;
/// Highest corner elevation, eye-corner distances.
pub const MAX_ELEVATION: f32 = 0.06;
/// Growth always allowed beyond the picture's own width or elevation, eye-corner distances.
pub const MIN_ROOM: f32 = 0.04;
/// Radius over which a corner's correction fades out, eye-corner distances.
pub const CORRECTION_RADIUS: f32 = 0.3;

/// Mouth width and corner elevation of `p` along the axes `(right, down)`, in units of `io`.
fn measure(p: &[[f32; 3]], right: [f32; 2], down: [f32; 2], io: f32) -> (f32, f32) {
    let (r, l, a) = (p[OUTER_CORNERS.0], p[OUTER_CORNERS.1], p[UPPER_LIP_CENTRE]);
    let width = ((l[0] - r[0]) * right[0] + (l[1] - r[1]) * right[1]) / io;
    let up = |c: [f32; 3]| ((a[0] - c[0]) * down[0] + (a[1] - c[1]) * down[1]) / io;
    (width, (up(r) + up(l)) / 2.0)
}

/// How much of `grown - base` may stay: growth above `base` is eased so the total stays below
/// `max(limit, base + MIN_ROOM)`; shrinking is never limited. Returns the excess to remove.
fn excess(grown: f32, base: f32, limit: f32) -> f32 {
    let room = (limit - base).max(MIN_ROOM);
    let over = grown - base;
    if over <= 0.0 {
        0.0
    } else {
        over - soft_limit(over, room)
    }
}

/// Limits the mouth corners of the target `points` (468+ points, the avatar's own frame before
/// the head rotation, pixels) given the avatar's neutral landmarks `avatar`.
pub fn limit_mouth_corners(points: &mut [[f32; 3]], avatar: &[[f32; 3]]) {
    let (right, down, io) = face_axes(avatar);
    let (right, down) = ([right.x, right.y], [down.x, down.y]);
    let (w0, e0) = measure(avatar, right, down, io);
    let (w, e) = measure(points, right, down, io);
    let too_wide = excess(w, w0, MAX_WIDTH) * io;
    let too_high = excess(e, e0, MAX_ELEVATION) * io;
    if too_wide <= 0.0 && too_high <= 0.0 {
        return;
    }
    // Each corner moves inwards by half the extra width and down by the extra elevation.
    let corners = [
        (OUTER_CORNERS.0, 1.0f32), // the right corner moves along +right to narrow
        (OUTER_CORNERS.1, -1.0f32),
    ];
    let radius = CORRECTION_RADIUS * io;
    for (corner, side) in corners {
        let c = avatar[corner];
        let shift = [
            side * right[0] * too_wide / 2.0 + down[0] * too_high,
            side * right[1] * too_wide / 2.0 + down[1] * too_high,
        ];
        for (p, a) in points.iter_mut().zip(avatar) {
            let d = ((a[0] - c[0]).powi(2) + (a[1] - c[1]).powi(2)).sqrt();
            let k = 1.0 - smoothstep(0.0, radius, d);
            p[0] += shift[0] * k;
            p[1] += shift[1] * k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eye corners 100 px apart; mouth corners `width` apart at 180 px, 13 at 180 - `lift`.
    fn face(width: f32, lift: f32) -> Vec<[f32; 3]> {
        let mut p = vec![[150.0f32, 60.0, 0.0]; 468];
        p[33] = [100.0, 100.0, 0.0];
        p[263] = [200.0, 100.0, 0.0];
        p[OUTER_CORNERS.0] = [150.0 - width / 2.0, 180.0 - lift, 0.0];
        p[OUTER_CORNERS.1] = [150.0 + width / 2.0, 180.0 - lift, 0.0];
        p[UPPER_LIP_CENTRE] = [150.0, 180.0, 0.0];
        p
    }

    #[test]
    fn a_neutral_avatar_smiles_freely_a_grinning_one_stays_a_mouth() {
        // Neutral avatar (mouth 50 px wide): the actor's +20 px smile passes unchanged.
        let avatar = face(50.0, 0.0);
        let mut t = face(70.0, 3.0);
        let before = t.clone();
        limit_mouth_corners(&mut t, &avatar);
        assert_eq!(t, before);
        // Grinning avatar (83 px): +20 px more is eased to stay under 0.9 + a little room.
        let avatar = face(83.0, 4.0);
        let mut t = face(103.0, 12.0);
        limit_mouth_corners(&mut t, &avatar);
        let width = t[OUTER_CORNERS.1][0] - t[OUTER_CORNERS.0][0];
        assert!(
            width <= 100.0 * MAX_WIDTH + 0.5 && width > 83.0,
            "width {width}"
        );
        let lift = t[UPPER_LIP_CENTRE][1] - t[OUTER_CORNERS.0][1];
        assert!(
            lift <= 100.0 * (0.04 + MIN_ROOM) + 0.5 && lift > 4.0,
            "elevation {lift}"
        );
        // Far points (the forehead) do not move.
        assert_eq!(t[10], face(103.0, 12.0)[10]);
    }
}
