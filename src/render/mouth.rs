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

/// Hue of the mouth cavity (dark red), normalised to luma 1: dark interior pixels take it, so a
/// cavity that a low-quality actor video renders grey or blue still reads as a mouth.
pub const CAVITY_TINT: [f32; 3] = [1.80, 0.66, 0.66];

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

/// Colour gain for the actor's mouth interior: one factor for all channels, the square root of
/// the ratio of skin lumas (Rec. 601) avatar / actor, clamped to 0.7..1.4. One factor keeps the
/// interior's own hues (red tongue, white teeth) instead of tinting them with the difference in
/// skin tones; the square root because a mouth cavity is dark whatever the lighting of the face,
/// so the full ratio turned a brightly lit avatar's cavity grey.
pub fn colour_gain(actor_skin: [f32; 3], avatar_skin: [f32; 3]) -> [f32; 3] {
    let luma = |c: [f32; 3]| (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]).max(1.0);
    [(luma(avatar_skin) / luma(actor_skin))
        .sqrt()
        .clamp(0.7, 1.4); 3]
}

fn centre(points: &[[f32; 3]]) -> [f32; 2] {
    let mut m = [0.0; 2];
    for &i in &LIPS_INNER {
        m[0] += points[i][0] / LIPS_INNER.len() as f32;
        m[1] += points[i][1] / LIPS_INNER.len() as f32;
    }
    m
}

/// A picture and its 468 landmarks (square-pixel coordinates, pixel aspect `par`): where a mouth
/// interior is taken from.
#[derive(Clone, Copy)]
pub struct MouthSource<'a> {
    /// The picture.
    pub image: &'a RgbImage,
    /// Its pixel aspect ratio.
    pub par: f32,
    /// Its landmarks.
    pub points: &'a [[f32; 3]],
}

/// Warps the region inside the inner lip contour of `src` onto the inner lip contour of
/// `dst_points` in `out`, as a fan about the contour's centre. Opacity goes linearly from
/// `rim_alpha` at the lips to 1 at the centre; `blend` sets colour gain and shadow tint.
fn warp_mouth_fan(
    out: &mut RgbImage,
    src: MouthSource,
    dst_points: &[[f32; 3]],
    rim_alpha: f32,
    blend: &Blend,
) {
    let src_c = centre(src.points);
    let dst_c = centre(dst_points);
    let n = LIPS_INNER.len();
    for k in 0..n {
        let (i, j) = (LIPS_INNER[k], LIPS_INNER[(k + 1) % n]);
        let rim = |p: usize| WarpVertex {
            src: [src.points[p][0], src.points[p][1]],
            dst: [dst_points[p][0], dst_points[p][1]],
            alpha: rim_alpha,
        };
        let tri = [
            WarpVertex {
                src: src_c,
                dst: dst_c,
                alpha: 1.0,
            },
            rim(i),
            rim(j),
        ];
        warp_triangle(out, src.image, src.par, &tri, blend);
    }
}

/// Draws the mouth interior into `out` inside the target inner lip contour (`target_points`,
/// output pixels): first the avatar's own interior (its teeth when its mouth is open in the
/// picture) warped to the target contour, then the actor's interior over it, colour-matched by
/// `gain` ([`colour_gain`]), its shadows tinted to [`CAVITY_TINT`], blended from [`RIM_ALPHA`] at
/// the lips to opaque at the centre.
pub fn draw_mouth_interior(
    out: &mut RgbImage,
    avatar: MouthSource,
    actor: MouthSource,
    target_points: &[[f32; 3]],
    gain: [f32; 3],
) {
    warp_mouth_fan(out, avatar, target_points, 1.0, &Blend::COPY);
    let blend = Blend {
        sharpness: 1.0,
        gain,
        shadow_tint: Some(CAVITY_TINT),
    };
    warp_mouth_fan(out, actor, target_points, RIM_ALPHA, &blend);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_matches_skin_and_is_bounded() {
        let g = colour_gain([100.0; 3], [150.0; 3]);
        let expect = 1.5f32.sqrt();
        assert!(
            (g[0] - expect).abs() < 1e-5 && g[0] == g[1] && g[1] == g[2],
            "one factor: {g:?}"
        );
        assert_eq!(colour_gain([0.0; 3], [255.0; 3]), [1.4; 3]);
        assert_eq!(colour_gain([255.0; 3], [0.0; 3]), [0.7; 3]);
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
            MouthSource {
                image: &avatar,
                par: 1.0,
                points: &avatar_pts,
            },
            MouthSource {
                image: &actor,
                par: 1.0,
                points: &actor_pts,
            },
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
