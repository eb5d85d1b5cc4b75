//! The open mouth's interior, taken from the actor.
//!
//! The face mesh has a hole inside the inner lip contour. When the target mouth opens, that hole
//! is filled with the actor's own mouth interior (teeth, tongue, darkness), warped from the actor's
//! inner lip contour onto the avatar's target inner lip contour as a fan of triangles about the
//! contour's centre, colour-matched to the avatar by a per-channel gain (ratio of mean skin
//! colours), and feathered towards the lips, which are drawn over it afterwards.
//! Stretching the avatar's lip texture over the gap (what a plain mesh warp does) looks like
//! rubber; this is the classic alternative in landmark-driven reenactment (e.g. Thies et al.,
//! "Face2Face", CVPR 2016, copies the actor's mouth interior).

use image::RgbImage;

use super::triangle::{warp_triangle, Blend, WarpVertex};
use crate::face::mesh_topology::LIPS_INNER;
use crate::sampling::bilinear;

/// Landmarks on cheeks, forehead and chin, where skin colour is sampled for colour matching.
pub const SKIN_POINTS: [usize; 14] = [
    50, 280, 101, 330, 36, 266, 205, 425, 151, 9, 108, 337, 199, 175,
];

/// Opacity of the actor's interior at the inner lip contour (1 at the centre): the avatar's own
/// warped interior shows through a little at the lips, which hides the seam.
pub const RIM_ALPHA: f32 = 0.5;

/// Mean RGB (0..255) of `img` at the [`SKIN_POINTS`] of `points` (square-pixel coordinates,
/// picture pixel aspect `par`).
pub fn skin_colour(img: &RgbImage, par: f32, points: &[[f32; 3]]) -> [f32; 3] {
    let mut m = [0.0; 3];
    for &i in &SKIN_POINTS {
        let s = bilinear(img, points[i][0] / par, points[i][1]);
        for c in 0..3 {
            m[c] += s[c] / SKIN_POINTS.len() as f32;
        }
    }
    m
}

/// Colour gain that maps the actor's skin brightness onto the avatar's: one factor for all
/// channels (ratio of Rec. 601 luma), clamped to 0.5..2. A single factor keeps the interior's own
/// hues (red tongue, white teeth) instead of tinting them with the difference in skin tones.
pub fn colour_gain(actor_skin: [f32; 3], avatar_skin: [f32; 3]) -> [f32; 3] {
    let luma = |c: [f32; 3]| (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]).max(1.0);
    [(luma(avatar_skin) / luma(actor_skin)).clamp(0.5, 2.0); 3]
}

fn centre(points: &[[f32; 3]]) -> [f32; 2] {
    let mut m = [0.0; 2];
    for &i in &LIPS_INNER {
        m[0] += points[i][0] / LIPS_INNER.len() as f32;
        m[1] += points[i][1] / LIPS_INNER.len() as f32;
    }
    m
}

/// Warps the region inside the inner lip contour of `src_points` (in `src`, pixel aspect
/// `src_par`) onto the inner lip contour of `dst_points` in `out`, as a fan about the contour's
/// centre. Opacity goes linearly from `rim_alpha` at the lips to `centre_alpha` at the centre.
#[allow(clippy::too_many_arguments)]
fn warp_mouth_fan(
    out: &mut RgbImage,
    src: &RgbImage,
    src_par: f32,
    src_points: &[[f32; 3]],
    dst_points: &[[f32; 3]],
    rim_alpha: f32,
    centre_alpha: f32,
    gain: [f32; 3],
) {
    let src_c = centre(src_points);
    let dst_c = centre(dst_points);
    let blend = Blend {
        sharpness: 1.0,
        gain,
    };
    let n = LIPS_INNER.len();
    for k in 0..n {
        let (i, j) = (LIPS_INNER[k], LIPS_INNER[(k + 1) % n]);
        let rim = |p: usize| WarpVertex {
            src: [src_points[p][0], src_points[p][1]],
            dst: [dst_points[p][0], dst_points[p][1]],
            alpha: rim_alpha,
        };
        let tri = [
            WarpVertex {
                src: src_c,
                dst: dst_c,
                alpha: centre_alpha,
            },
            rim(i),
            rim(j),
        ];
        warp_triangle(out, src, src_par, &tri, &blend);
    }
}

/// Draws the mouth interior into `out` inside the target inner lip contour: first the avatar's
/// own interior (its teeth when its mouth is open in the picture) warped to the target contour,
/// then the actor's interior over it, colour-matched by `gain` ([`colour_gain`]) and blended
/// from [`RIM_ALPHA`] at the lips to opaque at the centre.
///
/// `avatar` / `avatar_points`: the avatar picture and its landmarks (avatar pixels);
/// `actor` / `actor_par` / `actor_points`: the actor frame and its 468 landmarks (square pixels);
/// `target_points`: the avatar's target landmarks (output pixels).
#[allow(clippy::too_many_arguments)]
pub fn draw_mouth_interior(
    out: &mut RgbImage,
    avatar: &RgbImage,
    avatar_points: &[[f32; 3]],
    actor: &RgbImage,
    actor_par: f32,
    actor_points: &[[f32; 3]],
    target_points: &[[f32; 3]],
    gain: [f32; 3],
) {
    warp_mouth_fan(
        out,
        avatar,
        1.0,
        avatar_points,
        target_points,
        1.0,
        1.0,
        [1.0; 3],
    );
    warp_mouth_fan(
        out,
        actor,
        actor_par,
        actor_points,
        target_points,
        RIM_ALPHA,
        1.0,
        gain,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_matches_skin_and_is_bounded() {
        let g = colour_gain([100.0; 3], [150.0; 3]);
        assert!(
            (g[0] - 1.5).abs() < 1e-5 && g[0] == g[1] && g[1] == g[2],
            "one factor: {g:?}"
        );
        assert_eq!(colour_gain([0.0; 3], [255.0; 3]), [2.0; 3]);
        assert_eq!(colour_gain([255.0; 3], [0.0; 3]), [0.5; 3]);
    }

    #[test]
    fn interior_fills_the_opened_mouth_and_nothing_outside() {
        // Actor: a dark mouth (value 20) on bright skin (200); target lips opened to a 40x20 box.
        let actor = RgbImage::from_fn(200, 200, |x, y| {
            let inside = (80..120).contains(&x) && (95..105).contains(&y);
            image::Rgb(if inside {
                [20, 20, 20]
            } else {
                [200, 200, 200]
            })
        });
        let mut actor_pts = vec![[0.0f32; 3]; 468];
        let mut target_pts = vec![[0.0f32; 3]; 468];
        let n = LIPS_INNER.len();
        for (k, &i) in LIPS_INNER.iter().enumerate() {
            let a = k as f32 / n as f32 * std::f32::consts::TAU;
            actor_pts[i] = [100.0 + 20.0 * a.cos(), 100.0 + 5.0 * a.sin(), 0.0];
            target_pts[i] = [50.0 + 40.0 * a.cos(), 50.0 + 20.0 * a.sin(), 0.0];
        }
        // The avatar's mouth is closed (its contour collapsed to a line): nothing of it is drawn.
        let avatar = RgbImage::from_pixel(100, 100, image::Rgb([250, 0, 0]));
        let mut avatar_pts = vec![[0.0f32; 3]; 468];
        for (k, &i) in LIPS_INNER.iter().enumerate() {
            avatar_pts[i] = [30.0 + k as f32, 50.0, 0.0];
        }
        let mut out = RgbImage::from_pixel(100, 100, image::Rgb([150, 150, 150]));
        draw_mouth_interior(
            &mut out,
            &avatar,
            &avatar_pts,
            &actor,
            1.0,
            &actor_pts,
            &target_pts,
            [1.0; 3],
        );
        assert!(
            out.get_pixel(50, 50).0[0] < 40,
            "centre is the actor's dark interior"
        );
        assert_eq!(
            out.get_pixel(50, 80).0,
            [150, 150, 150],
            "outside the lips untouched"
        );
        assert_eq!(out.get_pixel(5, 50).0, [150, 150, 150]);
    }
}
