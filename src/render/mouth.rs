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

use super::triangle::{warp_triangle, Blend, WarpVertex};
use super::CanvasRows;
use crate::face::mesh_topology::LIPS_INNER;
use crate::face::opening_measures::mouth_opening_of;
use crate::motion::limits::smoothstep;
use crate::motion::openings::OPEN_MOUTH_GAP;
use crate::video::RgbSource;

/// Landmarks on cheeks, forehead and chin, where skin colour is sampled for colour matching.
pub const SKIN_POINTS: [usize; 14] = [
    50, 280, 101, 330, 36, 266, 205, 425, 151, 9, 108, 337, 199, 175,
];

/// Hue of the mouth cavity (dark red), normalised to luma 1: dark interior pixels take it, so a
/// cavity that a low-quality actor video renders grey or blue still reads as a mouth.
pub const CAVITY_TINT: [f32; 3] = [1.80, 0.66, 0.66];

/// Mean RGB (0..255) of `img` at the [`SKIN_POINTS`] of `points` (square-pixel coordinates,
/// picture pixel aspect `par`).
pub fn skin_colour(img: &(impl RgbSource + ?Sized), par: f32, points: &[[f32; 3]]) -> [f32; 3] {
    let mut m = [0.0; 3];
    for &i in &SKIN_POINTS {
        let s = img.sample(points[i][0] / par, points[i][1]);
        for c in 0..3 {
            m[c] += s[c] / SKIN_POINTS.len() as f32;
        }
    }
    m
}

/// How the actor's mouth interior is adjusted to the avatar's colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColourMatch {
    /// One brightness factor for all channels.
    pub gain: f32,
    /// Per-channel factor (R, G, B) on top of `gain`, luma-neutral: a share of the avatar's skin
    /// hue against the actor's, so that the interior takes on the picture's palette (a
    /// varnished painting's warm cast) without losing its own hues. 1 each for equal skin hues.
    pub tint: [f32; 3],
    /// Chroma factor: 1 keeps the actor's colours, 0 makes the interior grey (for a
    /// black-and-white avatar).
    pub saturation: f32,
}

impl ColourMatch {
    /// No change.
    pub const NONE: ColourMatch = ColourMatch {
        gain: 1.0,
        tint: [1.0; 3],
        saturation: 1.0,
    };
}

fn luma(c: [f32; 3]) -> f32 {
    (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]).max(1.0)
}

fn chroma(c: [f32; 3]) -> f32 {
    (c[0].max(c[1]).max(c[2]) - c[0].min(c[1]).min(c[2])) / luma(c)
}

/// Share (as a power) of the avatar's skin hue against the actor's that [`ColourMatch::tint`]
/// carries: 0 none, 1 the whole per-channel ratio (which tinted a tongue the colour of skin).
pub const TINT_SHARE: f32 = 0.5;

/// Colour match of the actor's mouth interior to the avatar, from the two mean skin colours.
///
/// Gain: one factor for all channels, the square root of the ratio of skin lumas (Rec. 601)
/// avatar / actor, clamped to 0.7..1.4 (the square root because a mouth cavity is dark whatever
/// the lighting of the face: the full ratio turned a brightly lit avatar's cavity grey). Tint: per
/// channel, the ratio of skin colours avatar / actor over the ratio of their lumas, to the power
/// [`TINT_SHARE`], clamped to 0.6..1.6: the interior keeps its own hues (red tongue, white teeth)
/// but leans towards the picture's palette (on mona_lisa_720x1280 a pink tongue pasted on the
/// painting's warm varnish looked like a sticker). Saturation: 1.5x the ratio of skin chromas
/// avatar / actor, clamped to 0..1, so a black-and-white photo gets a grey mouth and a colour
/// portrait keeps its colours.
pub fn colour_match(actor_skin: [f32; 3], avatar_skin: [f32; 3]) -> ColourMatch {
    let ratio = luma(avatar_skin) / luma(actor_skin);
    ColourMatch {
        gain: ratio.sqrt().clamp(0.7, 1.4),
        tint: std::array::from_fn(|c| {
            (avatar_skin[c].max(1.0) / actor_skin[c].max(1.0) / ratio)
                .powf(TINT_SHARE)
                .clamp(0.6, 1.6)
        }),
        saturation: (1.5 * chroma(avatar_skin) / chroma(actor_skin).max(1e-3)).clamp(0.0, 1.0),
    }
}

/// Actor mouth opening (inner-lip gap 13-14 over the outer-eye-corner distance 33-263) below
/// which the actor's interior is not used: a closed actor mouth has no interior to show, and the
/// avatar's own (its teeth, when it smiles in the picture) is kept instead.
pub const CLOSED_MOUTH: f32 = 0.01;
/// Actor mouth opening from which the actor's interior is fully used.
pub const OPEN_MOUTH: f32 = 0.05;

/// Weight 0..1 of the actor's interior for the actor landmarks `points` (smoothstep between
/// [`CLOSED_MOUTH`] and [`OPEN_MOUTH`]).
pub fn actor_interior_weight(points: &[[f32; 3]]) -> f32 {
    smoothstep(CLOSED_MOUTH, OPEN_MOUTH, mouth_opening_of(points))
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
    pub image: &'a (dyn RgbSource + Sync),
    /// Its pixel aspect ratio.
    pub par: f32,
    /// Its landmarks.
    pub points: &'a [[f32; 3]],
}

/// Share of the way from the inner lip contour to its centre over which [`warp_mouth_fan`] fades
/// a layer in: the layer's edge against the lips is a ramp, not a hard polygon edge (which showed
/// as a staircase of pixels where a dark interior meets a light lip). Over the ramp the avatar's
/// own interior shows through: teeth under the lips, as in a real open mouth. The report's mouth
/// correlation on talk_wink_480 moved within its noise (0.85-0.94 for 0.15 to 0.6); 0.6 looked
/// the most natural on the open "oh" of glasses_512x480 (frame 70) with astronaut_512 and
/// glasses_beard_400. Only for an avatar pictured with its mouth open: one pictured with its lips
/// together has no interior of its own (the ramp showed its stretched lip line, a pale band that
/// made mona_lisa_720x1280's open mouth read as thick closed lips). There that line is darkened
/// to [`NEAR_CLOSED_GAIN`] (the shadow inside the lips), the actor's interior fades in over
/// [`CLOSED_RIM_FEATHER`] only, and the lips' edge is anti-aliased over it
/// ([`crate::render::WarpMesh::draw_face`]).
pub const RIM_FEATHER: f32 = 0.6;
/// [`RIM_FEATHER`] for an avatar pictured with its lips together, over a dark rim.
pub const CLOSED_RIM_FEATHER: f32 = 0.25;

/// Warps the region inside the inner lip contour of `src` onto the inner lip contour of
/// `dst_points` in `out`, as a fan about the contour's centre, with opacity `alpha`. With
/// `feather` (0..1) the opacity is 0 at the lips and rises linearly to `alpha` over that share of
/// the way to the centre; with 0 it is `alpha` everywhere. `blend` sets colour gain and shadow
/// tint. The map is the same affine map per fan triangle whatever the opacity: each fan triangle
/// is drawn as its inner triangle plus the band between it and the lips.
fn warp_mouth_fan(
    out: &mut CanvasRows,
    src: MouthSource,
    dst_points: &[[f32; 3]],
    (alpha, feather): (f32, f32),
    blend: &Blend,
) {
    let src_c = centre(src.points);
    let dst_c = centre(dst_points);
    let lerp =
        |c: [f32; 2], p: [f32; 2], k: f32| [c[0] + (p[0] - c[0]) * k, c[1] + (p[1] - c[1]) * k];
    let n = LIPS_INNER.len();
    for k in 0..n {
        let (i, j) = (LIPS_INNER[k], LIPS_INNER[(k + 1) % n]);
        // (source, destination) of the rim point p and of the point `1 - RIM_FEATHER` of the way
        // from the centre to it.
        let rim = |p: usize, a: f32, at: f32| WarpVertex {
            src: lerp(src_c, [src.points[p][0], src.points[p][1]], at),
            dst: lerp(dst_c, [dst_points[p][0], dst_points[p][1]], at),
            alpha: a,
        };
        let inner = 1.0 - feather;
        let rim_alpha = if feather > 0.0 { 0.0 } else { alpha };
        let centre_v = WarpVertex {
            src: src_c,
            dst: dst_c,
            alpha,
        };
        let (ii, ij) = (rim(i, alpha, inner), rim(j, alpha, inner));
        let (oi, oj) = (rim(i, rim_alpha, 1.0), rim(j, rim_alpha, 1.0));
        // Without a feather the band has no area and draws nothing.
        for tri in [[centre_v, ii, ij], [ii, oi, oj], [ii, oj, ij]] {
            warp_triangle(out, src.image, src.par, &tri, blend);
        }
    }
}

/// Brightness of the avatar's own mouth interior when the target mouth is nearly closed: a mouth
/// opened by a sliver shows a dark gap, not the bright teeth of the avatar's pictured smile (which
/// read as an open mouth). It rises linearly to 1 as the target opening reaches the pictured one.
pub const NEAR_CLOSED_GAIN: f32 = 0.3;

/// Draws the mouth interior into `out` inside the target inner lip contour (`target_points`,
/// output pixels): first the avatar's own interior (its teeth when its mouth is open in the
/// picture) warped to the target contour, then, while the target opening is below the pictured
/// one, the same darkened towards [`NEAR_CLOSED_GAIN`], then the actor's interior, weighted by
/// [`actor_interior_weight`], adjusted by `colour` ([`colour_match`]), its shadows tinted to
/// [`CAVITY_TINT`]. The two last layers fade in over [`RIM_FEATHER`] from the lips, where the
/// avatar's own interior continues its lips without a step. Returns whether the actor's interior
/// was drawn (the lips' edge over it is then anti-aliased, see
/// [`crate::render::WarpMesh::draw_face`]).
pub fn draw_mouth_interior(
    out: &mut CanvasRows,
    avatar: MouthSource,
    actor: MouthSource,
    target_points: &[[f32; 3]],
    colour: ColourMatch,
) -> bool {
    // How open the avatar's mouth is in the picture: 0 lips together, 1 open (teeth).
    let pictured = mouth_opening_of(avatar.points);
    let open = smoothstep(OPEN_MOUTH_GAP / 2.0, OPEN_MOUTH_GAP, pictured);
    // The avatar's own interior, as it is at the lips (so that nothing steps there); with the
    // lips together in the picture that is only their stretched line, kept as a dark rim (the
    // shadow inside the lips) ...
    let base = Blend {
        gain: [NEAR_CLOSED_GAIN + (1.0 - NEAR_CLOSED_GAIN) * open; 3],
        ..Blend::COPY
    };
    warp_mouth_fan(out, avatar, target_points, (1.0, 0.0), &base);
    // ... darkened towards the centre while the target opens less than the picture.
    let t = (mouth_opening_of(target_points) / pictured.max(1e-3)).clamp(0.0, 1.0);
    if t < 1.0 {
        let dark = Blend {
            gain: [NEAR_CLOSED_GAIN + (1.0 - NEAR_CLOSED_GAIN) * t; 3],
            ..Blend::COPY
        };
        warp_mouth_fan(out, avatar, target_points, (1.0, RIM_FEATHER), &dark);
    }
    let w = actor_interior_weight(actor.points);
    if w <= 0.0 {
        return false;
    }
    let blend = Blend {
        sharpness: 1.0,
        gain: colour.tint.map(|t| t * colour.gain),
        saturation: colour.saturation,
        shadow_tint: Some(CAVITY_TINT),
    };
    // Without an interior of its own, the actor's reaches nearer the lips: over the dark rim.
    let feather = CLOSED_RIM_FEATHER + (RIM_FEATHER - CLOSED_RIM_FEATHER) * open;
    warp_mouth_fan(out, actor, target_points, (w, feather), &blend);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    /// [`draw_mouth_interior`] of `avatar` and `actor` (picture, landmarks) onto a 100x100 grey
    /// (150) canvas, with colours kept.
    fn draw_on_grey(
        (avatar, avatar_pts): (&RgbImage, &[[f32; 3]]),
        (actor, actor_pts): (&RgbImage, &[[f32; 3]]),
        target: &[[f32; 3]],
    ) -> RgbImage {
        let mut out = RgbImage::from_pixel(100, 100, image::Rgb([150; 3]));
        draw_mouth_interior(
            &mut CanvasRows::of(&mut out),
            MouthSource {
                image: avatar,
                par: 1.0,
                points: avatar_pts,
            },
            MouthSource {
                image: actor,
                par: 1.0,
                points: actor_pts,
            },
            target,
            ColourMatch::NONE,
        );
        out
    }

    #[test]
    fn colour_match_follows_skin_brightness_and_greys_a_black_and_white_avatar() {
        let m = colour_match([100.0, 80.0, 60.0], [150.0, 120.0, 90.0]);
        assert!((m.gain - 1.5f32.sqrt()).abs() < 1e-3, "{m:?}");
        assert!(
            m.tint.iter().all(|t| (t - 1.0).abs() < 1e-3),
            "same skin hue: no tint"
        );
        assert_eq!(m.saturation, 1.0, "same skin hue: colours kept");
        assert_eq!(colour_match([0.0; 3], [255.0; 3]).gain, 1.4);
        assert_eq!(colour_match([255.0; 3], [0.0; 3]).gain, 0.7);
        assert_eq!(
            colour_match([200.0, 150.0, 120.0], [140.0; 3]).saturation,
            0.0,
            "grey avatar"
        );
    }

    #[test]
    fn a_warm_avatar_tints_the_interior_warm_but_keeps_its_brightness() {
        // A painting's varnished skin (less blue) against an actor's neutral skin.
        let m = colour_match([200.0, 150.0, 130.0], [200.0, 150.0, 70.0]);
        assert!(m.tint[2] < 0.8, "blue kept: {m:?}");
        assert!(m.tint[0] > 1.0 && m.tint[1] > 1.0, "red and green: {m:?}");
        // A pink tongue turns warmer, about as bright.
        let tongue = [200.0f32, 110.0, 120.0];
        let tinted: [f32; 3] = std::array::from_fn(|c| tongue[c] * m.tint[c]);
        assert!(tinted[2] < tinted[1], "{tinted:?}");
        assert!(
            (luma(tinted) / luma(tongue) - 1.0).abs() < 0.06,
            "{tinted:?}"
        );
    }

    #[test]
    fn a_closed_actor_mouth_contributes_no_interior() {
        let mut p = vec![[0.0f32; 3]; 468];
        p[33] = [0.0, 0.0, 0.0];
        p[263] = [100.0, 0.0, 0.0];
        p[13] = [50.0, 50.0, 0.0];
        p[14] = [50.0, 51.0, 0.0];
        assert_eq!(actor_interior_weight(&p), 0.0);
        p[14] = [50.0, 60.0, 0.0];
        assert_eq!(actor_interior_weight(&p), 1.0);
    }

    #[test]
    fn an_avatar_pictured_with_a_closed_mouth_shows_the_actors_interior_up_to_the_lips() {
        // Actor: dark interior (20) in a 40x10 box inside its open contour, on bright skin.
        let actor = RgbImage::from_fn(200, 200, |x, y| {
            let inside = (80..120).contains(&x) && (95..105).contains(&y);
            image::Rgb(if inside { [20; 3] } else { [200; 3] })
        });
        let (mut actor_pts, mut target_pts) = (vec![[0.0f32; 3]; 468], vec![[0.0f32; 3]; 468]);
        let n = LIPS_INNER.len();
        for (k, &i) in LIPS_INNER.iter().enumerate() {
            let a = k as f32 / n as f32 * std::f32::consts::TAU;
            actor_pts[i] = [100.0 + 20.0 * a.cos(), 100.0 + 5.0 * a.sin(), 0.0];
            target_pts[i] = [50.0 + 40.0 * a.cos(), 50.0 + 20.0 * a.sin(), 0.0];
        }
        actor_pts[263] = [100.0, 0.0, 0.0];
        // The avatar (red) is pictured with its lips together: eye corners 100 px apart, the
        // inner lip contour a line.
        let avatar = RgbImage::from_pixel(100, 100, image::Rgb([250, 0, 0]));
        let mut avatar_pts = vec![[0.0f32; 3]; 468];
        avatar_pts[263] = [100.0, 0.0, 0.0];
        for (k, &i) in LIPS_INNER.iter().enumerate() {
            let a = k as f32 / n as f32 * std::f32::consts::TAU;
            // 13 (k = 0) and 14 (k = 10) meet at the centre, the corners are 60 px apart.
            avatar_pts[i] = [50.0 + 30.0 * a.sin(), 50.0, 0.0];
        }
        let out = draw_on_grey((&avatar, &avatar_pts), (&actor, &actor_pts), &target_pts);
        // 85 % of the way from the centre to the lips' corner: the actor's dark cavity (tinted
        // red, luma 20), not the avatar's stretched lip line.
        let near_rim = out.get_pixel(84, 50).0;
        assert!(
            near_rim[1] < 40 && near_rim[0] < 80,
            "near the lips: {near_rim:?}"
        );
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
        let out = draw_on_grey((&avatar, &avatar_pts), (&actor, &actor_pts), &target_pts);
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
