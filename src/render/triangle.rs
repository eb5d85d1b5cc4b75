//! Piecewise-affine warping, one triangle at a time.
//!
//! A destination triangle is rasterised at pixel centres; each pixel takes the colour of the
//! source picture at the same barycentric position in the source triangle (bilinear sampling),
//! so the map inside a triangle is exactly the affine map fixed by its three vertex pairs.

use super::CanvasRows;
use crate::video::RgbSource;

/// One warp vertex: where it is in the source picture and in the output, and its opacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WarpVertex {
    /// Source position, source pixels (x in square pixels; see `src_par`).
    pub src: [f32; 2],
    /// Destination position, output pixels.
    pub dst: [f32; 2],
    /// Opacity at this vertex, 0..1, interpolated across the triangle.
    pub alpha: f32,
}

/// How a triangle is blended onto the output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blend {
    /// The interpolated alpha is multiplied by this and clamped to 0..1: 1 gives a linear ramp
    /// between vertices, larger values make the triangle opaque sooner (a narrower feather).
    pub sharpness: f32,
    /// Per-channel colour gain applied to the sampled source (colour matching), 1 = unchanged.
    pub gain: [f32; 3],
    /// Chroma factor applied last (after gain and shadow tint): 1 unchanged, 0 grey (Rec. 601
    /// luma kept).
    pub saturation: f32,
    /// When set, dark pixels (luma below [`SHADOW_LUMA`]) take this hue, keeping their luma: the
    /// colour is given with luma 1 (Rec. 601). Darker pixels are tinted more.
    pub shadow_tint: Option<[f32; 3]>,
}

/// Luma (0..255) below which [`Blend::shadow_tint`] starts to apply.
pub const SHADOW_LUMA: f32 = 110.0;

impl Blend {
    /// Opaque where all vertices are opaque, no colour change.
    pub const COPY: Blend = Blend {
        sharpness: 1.0,
        gain: [1.0; 3],
        saturation: 1.0,
        shadow_tint: None,
    };
}

/// The pixels a destination triangle can touch within `out`'s rows, and 1 / its doubled signed
/// area (for barycentric coordinates).
struct RasterBox {
    min_x: i64,
    max_x: i64,
    min_y: i64,
    max_y: i64,
    inv: f32,
}

impl RasterBox {
    /// `None` for a degenerate triangle (area below 1e-6 px², or not finite) or one outside
    /// `out`. The box reaches `pad` pixels beyond the triangle (0: its own pixels).
    fn of(out: &CanvasRows, v: &[WarpVertex; 3], pad: f32) -> Option<RasterBox> {
        let [a, b, c] = [v[0].dst, v[1].dst, v[2].dst];
        let area = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]);
        if area.abs() < 1e-6 || !area.is_finite() {
            return None;
        }
        let w = out.width();
        let (y0, y1) = out.rows();
        let min_x = (a[0].min(b[0]).min(c[0]) - pad).floor().max(0.0) as i64;
        let max_x = ((a[0].max(b[0]).max(c[0]) + pad).ceil() as i64).min(w as i64 - 1);
        let min_y = ((a[1].min(b[1]).min(c[1]) - pad).floor() as i64).max(y0 as i64);
        let max_y = ((a[1].max(b[1]).max(c[1]) + pad).ceil() as i64).min(y1 as i64 - 1);
        (min_x <= max_x && min_y <= max_y).then_some(RasterBox {
            min_x,
            max_x,
            min_y,
            max_y,
            inv: 1.0 / area,
        })
    }
}

/// Barycentric coordinates (l0, l1, l2) of the point (`px`, `py`) in the triangle `d`, with
/// `inv` = 1 / its doubled signed area ([`RasterBox::inv`]).
#[inline(always)]
fn barycentric(d: [[f32; 2]; 3], inv: f32, px: f32, py: f32) -> (f32, f32, f32) {
    let [a, b, c] = d;
    let l1 = ((px - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (py - a[1])) * inv;
    let l2 = ((b[0] - a[0]) * (py - a[1]) - (px - a[0]) * (b[1] - a[1])) * inv;
    (1.0 - l1 - l2, l1, l2)
}

/// Warps the source triangle of `v` onto its destination triangle in `out`.
///
/// `src_par` is the source picture's pixel aspect ratio (source x in square pixels is divided by
/// it before sampling). Pixels whose centre lies inside the destination triangle (with a 1e-4
/// barycentric tolerance, so that shared edges leave no cracks) and inside `out`'s rows are
/// written; the rest is untouched. Degenerate destination triangles (area below 1e-6 px²) draw
/// nothing.
///
/// An opaque triangle (all alphas 1, [`Blend::COPY`]'s colour) is drawn a row span at a time
/// through [`RgbSource::sample_span`]: its 8-bit values may then differ by one level from
/// sampling each pixel on its own.
pub fn warp_triangle<S: RgbSource + ?Sized>(
    out: &mut CanvasRows,
    src: &S,
    src_par: f32,
    v: &[WarpVertex; 3],
    blend: &Blend,
) {
    let [a, b, c] = [v[0].dst, v[1].dst, v[2].dst];
    let Some(RasterBox {
        min_x,
        max_x,
        min_y,
        max_y,
        inv,
    }) = RasterBox::of(out, v, 0.0)
    else {
        return;
    };
    const EPS: f32 = -1e-4;
    let opaque = v.iter().all(|p| p.alpha >= 1.0)
        && blend.gain == [1.0; 3]
        && blend.saturation == 1.0
        && blend.shadow_tint.is_none();
    // Source positions in the source picture's own pixels (x divided by its pixel aspect ratio
    // once per vertex: the map stays affine).
    let sxs = [
        v[0].src[0] / src_par,
        v[1].src[0] / src_par,
        v[2].src[0] / src_par,
    ];
    let sys = [v[0].src[1], v[1].src[1], v[2].src[1]];
    // The map is affine, so one pixel to the right moves the source position by the same step
    // everywhere in the triangle: d(l1)/dx * (s1 - s0) + d(l2)/dx * (s2 - s0). In f64, as it is
    // multiplied by up to a row's width.
    let (dsx, dsy) = {
        let d = |p: [f32; 2], q: [f32; 2], k: usize| p[k] as f64 - q[k] as f64;
        let inv = 1.0 / (d(b, a, 0) * d(c, a, 1) - d(c, a, 0) * d(b, a, 1));
        let (l1_dx, l2_dx) = (d(c, a, 1) * inv, -d(b, a, 1) * inv);
        let step = |s: [f32; 3]| {
            (l1_dx * (s[1] as f64 - s[0] as f64) + l2_dx * (s[2] as f64 - s[0] as f64)) as f32
        };
        (step(sxs), step(sys))
    };
    // Barycentric coordinates (l0, l1, l2) of pixel (x, y)'s centre, and whether it is inside.
    let bary = |x: i64, py: f32| barycentric([a, b, c], inv, x as f32 + 0.5, py);
    let inside = |(l0, l1, l2): (f32, f32, f32)| !(l0 < EPS || l1 < EPS || l2 < EPS);
    // Along a row each barycentric coordinate is affine in px: l = l_at0 + slope * px, the
    // slopes the same for every row (their reciprocals too: a row then needs no division).
    let l1_slope = (c[1] - a[1]) * inv;
    let l2_slope = -(b[1] - a[1]) * inv;
    let slopes = [-l1_slope - l2_slope, l1_slope, l2_slope];
    let recip = slopes.map(|s| 1.0 / s);
    for y in min_y..=max_y {
        let py = y as f32 + 0.5;
        // Solving l >= EPS for all three bounds the span of pixels to test; it is widened by a
        // pixel on each side so that rounding never drops a pixel the exact test would keep.
        let l1_at0 = (-a[0] * (c[1] - a[1]) - (c[0] - a[0]) * (py - a[1])) * inv;
        let l2_at0 = ((b[0] - a[0]) * (py - a[1]) + a[0] * (b[1] - a[1])) * inv;
        let at0 = [1.0 - l1_at0 - l2_at0, l1_at0, l2_at0];
        let (mut lo, mut hi) = (min_x as f32, max_x as f32 + 1.0);
        for k in 0..3 {
            if slopes[k] > 0.0 {
                lo = lo.max((EPS - at0[k]) * recip[k] - 0.5);
            } else if slopes[k] < 0.0 {
                hi = hi.min((EPS - at0[k]) * recip[k] - 0.5);
            } else if at0[k] < EPS {
                hi = lo - 1.0;
            }
        }
        // Also skips rows where a bound is NaN (a degenerate triangle).
        if lo.partial_cmp(&hi).is_none_or(|o| o.is_gt()) {
            continue;
        }
        let x_from = (floor_i64(lo) - 1).max(min_x);
        let x_to = (ceil_i64(hi) + 1).min(max_x);
        if opaque {
            // The pixels inside a convex triangle form one run per row: the per-pixel test is
            // only needed to find its ends, starting from the solved bounds (usually right: two
            // tests an end, the pixel and its outer neighbour), and the source position then
            // advances by a constant step from the first pixel's.
            let test = |x: i64| inside(bary(x, py));
            let mut first = ceil_i64(lo).clamp(x_from, x_to);
            if test(first) {
                while first > x_from && test(first - 1) {
                    first -= 1;
                }
            } else {
                loop {
                    first += 1;
                    if first > x_to || test(first) {
                        break;
                    }
                }
                if first > x_to {
                    continue;
                }
            }
            let mut last = floor_i64(hi).clamp(first, x_to);
            if test(last) {
                while last < x_to && test(last + 1) {
                    last += 1;
                }
            } else {
                // Stops at `first` at the latest, which is inside.
                while !test(last) {
                    last -= 1;
                }
            }
            let (l0, l1, l2) = bary(first, py);
            let sx = l0 * sxs[0] + l1 * sxs[1] + l2 * sxs[2];
            let sy = l0 * sys[0] + l1 * sys[1] + l2 * sys[2];
            let row = out.row_mut(y as usize);
            src.sample_span(
                sx,
                sy,
                dsx,
                dsy,
                &mut row[first as usize * 3..(last as usize + 1) * 3],
            );
            continue;
        }
        for x in x_from..=x_to {
            let (l0, l1, l2) = bary(x, py);
            if !inside((l0, l1, l2)) {
                continue;
            }
            let sx = l0 * sxs[0] + l1 * sxs[1] + l2 * sxs[2];
            let sy = l0 * sys[0] + l1 * sys[1] + l2 * sys[2];
            let s = src.sample(sx, sy);
            let px_out = out.pixel_mut(x as usize, y as usize);
            let al = ((l0 * v[0].alpha + l1 * v[1].alpha + l2 * v[2].alpha) * blend.sharpness)
                .clamp(0.0, 1.0);
            let mut px = [
                s[0] * blend.gain[0],
                s[1] * blend.gain[1],
                s[2] * blend.gain[2],
            ];
            if let Some(tint) = blend.shadow_tint {
                let luma = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
                let w = ((SHADOW_LUMA - luma) / SHADOW_LUMA).clamp(0.0, 1.0);
                for ch in 0..3 {
                    px[ch] += (luma * tint[ch] - px[ch]) * w;
                }
            }
            if blend.saturation != 1.0 {
                let luma = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
                for c in &mut px {
                    *c = luma + (*c - luma) * blend.saturation;
                }
            }
            for ch in 0..3 {
                let val = px[ch].clamp(0.0, 255.0);
                let old = px_out[ch] as f32;
                px_out[ch] = (old + (val - old) * al + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// Width of the fringe [`feather_edges`] draws outside a triangle's edge, output pixels.
pub const FEATHER_WIDTH: f32 = 1.0;

/// Anti-aliases the chosen edges of an opaque triangle already drawn by [`warp_triangle`]: the
/// pixels whose centre lies outside the destination triangle across edge `k` (from vertex `k` to
/// vertex `(k + 1) % 3`, for each `edges[k]` set) by less than [`FEATHER_WIDTH`], and inside its
/// other edges, get the triangle's own colour at its border next to them blended over what they
/// show, with coverage `1 - distance / FEATHER_WIDTH` (a product over the edges a
/// pixel is outside of). Pixels inside the triangle and farther ones are untouched.
///
/// Meant for occlusion edges: where a nearer part of the face covers a farther one (a fold of the
/// mesh when the head turns or nods), the nearer triangle's edge would otherwise be a staircase
/// against the farther skin. Not for edges shared with a neighbour that continues the surface: its
/// pixels would be blended with this triangle's extrapolation for nothing.
pub fn feather_edges<S: RgbSource + ?Sized>(
    out: &mut CanvasRows,
    src: &S,
    src_par: f32,
    v: &[WarpVertex; 3],
    edges: [bool; 3],
) {
    if !edges.iter().any(|&e| e) {
        return;
    }
    let d = [v[0].dst, v[1].dst, v[2].dst];
    let Some(RasterBox {
        min_x,
        max_x,
        min_y,
        max_y,
        inv,
    }) = RasterBox::of(out, v, FEATHER_WIDTH)
    else {
        return;
    };
    // Edge k as a signed distance (pixels, positive inside) of a point: n_k . p + o_k.
    let mut lines = [([0.0f32; 2], 0.0f32); 3];
    for (k, line) in lines.iter_mut().enumerate() {
        let (p, q) = (d[k], d[(k + 1) % 3]);
        let (ex, ey) = (q[0] - p[0], q[1] - p[1]);
        let len = (ex * ex + ey * ey).sqrt();
        if len < 1e-6 {
            return;
        }
        // Left normal for a counter-clockwise (positive area) triangle points inside.
        let s = inv.signum() / len;
        let n = [-ey * s, ex * s];
        *line = (n, -(n[0] * p[0] + n[1] * p[1]));
    }
    for y in min_y..=max_y {
        let py = y as f32 + 0.5;
        for x in min_x..=max_x {
            let px = x as f32 + 0.5;
            let mut coverage = 1.0f32;
            let mut outside = false;
            for (k, (n, o)) in lines.iter().enumerate() {
                let dist = n[0] * px + n[1] * py + o;
                if dist >= 0.0 {
                    continue;
                }
                if !edges[k] || dist <= -FEATHER_WIDTH {
                    coverage = 0.0;
                    break;
                }
                outside = true;
                coverage *= 1.0 + dist / FEATHER_WIDTH;
            }
            if !outside || coverage <= 0.0 {
                continue;
            }
            // The colour at the triangle's border next to the pixel (barycentric coordinates
            // clamped to the triangle): carrying the affine map on past the edge would, on a
            // squeezed triangle, reach far into the source picture.
            let (l0, l1, l2) = barycentric(d, inv, px, py);
            let (l0, l1, l2) = (l0.max(0.0), l1.max(0.0), l2.max(0.0));
            let sum = l0 + l1 + l2;
            let (l0, l1, l2) = (l0 / sum, l1 / sum, l2 / sum);
            let sx = (l0 * v[0].src[0] + l1 * v[1].src[0] + l2 * v[2].src[0]) / src_par;
            let sy = l0 * v[0].src[1] + l1 * v[1].src[1] + l2 * v[2].src[1];
            let s = src.sample(sx, sy);
            let px_out = out.pixel_mut(x as usize, y as usize);
            for ch in 0..3 {
                let old = px_out[ch] as f32;
                px_out[ch] = (old + (s[ch].clamp(0.0, 255.0) - old) * coverage + 0.5) as u8;
            }
        }
    }
}

/// `v.floor() as i64` without a call to the C library's `floorf` (x86-64's baseline has no
/// rounding instruction): it runs a few times per row.
#[inline(always)]
fn floor_i64(v: f32) -> i64 {
    let t = v as i64;
    t.saturating_sub(i64::from(t as f32 > v))
}

/// `v.ceil() as i64`, as [`floor_i64`].
#[inline(always)]
fn ceil_i64(v: f32) -> i64 {
    let t = v as i64;
    t.saturating_add(i64::from((t as f32) < v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::bilinear;
    use image::RgbImage;

    /// The straightforward per-pixel opaque warp (the code before the span fast path: span
    /// bounds, then barycentrics, the inside test and a clamped bilinear sample for every
    /// pixel): what the fast path must reproduce.
    fn warp_triangle_reference(
        out: &mut CanvasRows,
        src: &RgbImage,
        src_par: f32,
        v: &[WarpVertex; 3],
    ) {
        let [a, b, c] = [v[0].dst, v[1].dst, v[2].dst];
        let Some(RasterBox {
            min_x,
            max_x,
            min_y,
            max_y,
            inv,
        }) = RasterBox::of(out, v, 0.0)
        else {
            return;
        };
        const EPS: f32 = -1e-4;
        let sxs = v.map(|p| p.src[0] / src_par);
        for y in min_y..=max_y {
            let py = y as f32 + 0.5;
            let l1_at0 = (-a[0] * (c[1] - a[1]) - (c[0] - a[0]) * (py - a[1])) * inv;
            let l1_slope = (c[1] - a[1]) * inv;
            let l2_at0 = ((b[0] - a[0]) * (py - a[1]) + a[0] * (b[1] - a[1])) * inv;
            let l2_slope = -(b[1] - a[1]) * inv;
            let (mut lo, mut hi) = (min_x as f32, max_x as f32 + 1.0);
            for (at0, slope) in [
                (1.0 - l1_at0 - l2_at0, -l1_slope - l2_slope),
                (l1_at0, l1_slope),
                (l2_at0, l2_slope),
            ] {
                if slope > 0.0 {
                    lo = lo.max((EPS - at0) / slope - 0.5);
                } else if slope < 0.0 {
                    hi = hi.min((EPS - at0) / slope - 0.5);
                } else if at0 < EPS {
                    hi = lo - 1.0;
                }
            }
            if lo.partial_cmp(&hi).is_none_or(|o| o.is_gt()) {
                continue;
            }
            let x_from = (lo.floor() as i64 - 1).max(min_x);
            let x_to = (hi.ceil() as i64 + 1).min(max_x);
            for x in x_from..=x_to {
                let (l0, l1, l2) = barycentric([a, b, c], inv, x as f32 + 0.5, py);
                if l0 < EPS || l1 < EPS || l2 < EPS {
                    continue;
                }
                let sx = l0 * sxs[0] + l1 * sxs[1] + l2 * sxs[2];
                let sy = l0 * v[0].src[1] + l1 * v[1].src[1] + l2 * v[2].src[1];
                let s = bilinear(src, sx, sy);
                let px_out = out.pixel_mut(x as usize, y as usize);
                for ch in 0..3 {
                    px_out[ch] = (s[ch] + 0.5).clamp(0.0, 255.0) as u8;
                }
            }
        }
    }

    /// The triangle (0,0)-(side,0)-(0,side), mapped onto itself, with per-vertex alphas.
    fn corner_triangle(side: f32, alpha: [f32; 3]) -> [WarpVertex; 3] {
        let corners = [[0.0, 0.0], [side, 0.0], [0.0, side]];
        [0, 1, 2].map(|i| WarpVertex {
            src: corners[i],
            dst: corners[i],
            alpha: alpha[i],
        })
    }

    fn pattern(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 3 % 256) as u8,
                (y * 5 % 256) as u8,
                ((x + y) * 2 % 256) as u8,
            ])
        })
    }

    #[test]
    fn two_triangles_reproduce_an_affine_map_exactly() {
        // dst = A*src + t with A a rotation+scale: the quad split in two triangles must give the
        // same pixels as sampling the inverse map directly, with no crack on the diagonal.
        let src = pattern(128, 128);
        let (ca, sa, k) = (0.3f32.cos(), 0.3f32.sin(), 0.8f32);
        let fwd = |p: [f32; 2]| {
            [
                k * (ca * p[0] - sa * p[1]) + 30.0,
                k * (sa * p[0] + ca * p[1]) + 10.0,
            ]
        };
        let inv = |q: [f32; 2]| {
            let (x, y) = ((q[0] - 30.0) / k, (q[1] - 10.0) / k);
            [ca * x + sa * y, -sa * x + ca * y]
        };
        let quad = [[10.0, 10.0], [110.0, 10.0], [110.0, 110.0], [10.0, 110.0]];
        let vx = |i: usize| WarpVertex {
            src: quad[i],
            dst: fwd(quad[i]),
            alpha: 1.0,
        };
        let mut out = RgbImage::new(160, 160);
        warp_triangle(
            &mut CanvasRows::of(&mut out),
            &src,
            1.0,
            &[vx(0), vx(1), vx(2)],
            &Blend::COPY,
        );
        warp_triangle(
            &mut CanvasRows::of(&mut out),
            &src,
            1.0,
            &[vx(0), vx(2), vx(3)],
            &Blend::COPY,
        );
        let mut checked = 0;
        for y in 0..160u32 {
            for x in 0..160u32 {
                let s = inv([x as f32 + 0.5, y as f32 + 0.5]);
                if s[0] < 12.0 || s[0] > 108.0 || s[1] < 12.0 || s[1] > 108.0 {
                    continue; // near the quad's border
                }
                let expect = bilinear(&src, s[0], s[1]);
                let got = out.get_pixel(x, y).0;
                for ch in 0..3 {
                    assert!(
                        (got[ch] as f32 - expect[ch]).abs() <= 1.0,
                        "({x},{y}) {got:?} vs {expect:?}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 4000, "checked {checked} pixels");
    }

    #[test]
    fn a_feathered_edge_fades_over_one_pixel_outside_it_and_only_there() {
        // A white triangle with a shallow top edge (from (4, 10.2) to (60, 13.0)) over black.
        let src = RgbImage::from_pixel(64, 64, image::Rgb([255, 255, 255]));
        let corners = [[4.0, 10.2], [60.0, 13.0], [30.0, 50.0]];
        let v = corners.map(|c| WarpVertex {
            src: c,
            dst: c,
            alpha: 1.0,
        });
        let draw = |edges: [bool; 3]| {
            let mut out = RgbImage::new(64, 64);
            warp_triangle(&mut CanvasRows::of(&mut out), &src, 1.0, &v, &Blend::COPY);
            feather_edges(&mut CanvasRows::of(&mut out), &src, 1.0, &v, edges);
            out
        };
        let (plain, feathered) = (draw([false; 3]), draw([true, false, false]));
        // Signed distance of a pixel centre above the top edge, pixels.
        let (ex, ey) = (56.0f32, 2.8f32);
        let len = (ex * ex + ey * ey).sqrt();
        let above = |x: u32, y: u32| {
            let (px, py) = (x as f32 + 0.5 - 4.0, y as f32 + 0.5 - 10.2);
            (ex * py - ey * px) / -len
        };
        let mut blended = 0;
        for y in 0..64 {
            for x in 0..64 {
                let (p, f) = (plain.get_pixel(x, y)[0], feathered.get_pixel(x, y)[0]);
                if p == 255 {
                    assert_eq!(f, 255, "inside pixel ({x}, {y}) changed");
                    continue;
                }
                let d = above(x, y);
                let near_top = d > 0.0 && d < FEATHER_WIDTH && (10..40).contains(&x);
                if near_top {
                    // Coverage falls with the distance from the edge.
                    let want = 255.0 * (1.0 - d / FEATHER_WIDTH);
                    assert!(
                        (f as f32 - want).abs() <= 1.5,
                        "({x}, {y}): {f}, want {want}"
                    );
                    blended += (f > 0 && f < 255) as usize;
                } else if d >= FEATHER_WIDTH || !(2..62).contains(&x) {
                    assert_eq!(f, 0, "pixel ({x}, {y}) far from the edge changed");
                }
            }
        }
        // The staircase of a 1-in-20 edge becomes a ramp: about one blended pixel per column.
        assert!(blended >= 25, "{blended} blended pixels");
        // Pixels outside the other, not feathered, edges stay as they were.
        for y in 14..50 {
            let lx = (4.0 + (y as f32 + 0.5 - 10.2) * 26.0 / 39.8) as u32;
            if lx >= 2 {
                assert_eq!(feathered.get_pixel(lx - 2, y)[0], 0, "left of row {y}");
            }
        }
    }

    #[test]
    fn alpha_zero_vertices_leave_the_output_unchanged_and_gain_scales_colour() {
        let src = RgbImage::from_pixel(32, 32, image::Rgb([100, 100, 100]));
        let mut out = RgbImage::from_pixel(32, 32, image::Rgb([0, 0, 0]));
        let tri = |alpha: f32| corner_triangle(32.0, [alpha; 3]);
        warp_triangle(
            &mut CanvasRows::of(&mut out),
            &src,
            1.0,
            &tri(0.0),
            &Blend {
                sharpness: 1.0,
                gain: [2.0, 1.0, 1.0],
                saturation: 1.0,
                shadow_tint: None,
            },
        );
        assert_eq!(out.get_pixel(5, 5).0, [0, 0, 0]);
        warp_triangle(
            &mut CanvasRows::of(&mut out),
            &src,
            1.0,
            &tri(1.0),
            &Blend {
                sharpness: 1.0,
                gain: [2.0, 1.0, 0.5],
                saturation: 1.0,
                shadow_tint: None,
            },
        );
        assert_eq!(out.get_pixel(5, 5).0, [200, 100, 50]);
        assert_eq!(out.get_pixel(30, 30).0, [0, 0, 0], "outside the triangle");
    }

    #[test]
    fn shadow_tint_turns_dark_pixels_to_the_tint_hue_and_keeps_bright_ones() {
        let luma = |p: [u8; 3]| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
        let tri = corner_triangle(16.0, [1.0, 1.0, 0.999]);
        let blend = Blend {
            sharpness: 2.0,
            gain: [1.0; 3],
            saturation: 1.0,
            shadow_tint: Some([1.8, 0.66, 0.66]),
        };
        for (colour, tinted) in [([10u8, 20, 60], true), ([200u8, 210, 240], false)] {
            let src = RgbImage::from_pixel(16, 16, image::Rgb(colour));
            let mut out = RgbImage::new(16, 16);
            warp_triangle(&mut CanvasRows::of(&mut out), &src, 1.0, &tri, &blend);
            let p = out.get_pixel(2, 2).0;
            assert!(
                (luma(p) - luma(colour)).abs() < 2.0,
                "luma kept: {p:?} from {colour:?}"
            );
            assert_eq!(p[0] > p[2], tinted, "{p:?} from {colour:?}");
        }
    }

    #[test]
    fn zero_saturation_gives_grey_of_the_same_luma() {
        let tri = corner_triangle(16.0, [1.0, 1.0, 1.0]);
        let blend = Blend {
            sharpness: 1.0,
            gain: [1.0; 3],
            saturation: 0.0,
            shadow_tint: Some([1.8, 0.66, 0.66]),
        };
        let src = RgbImage::from_pixel(16, 16, image::Rgb([200, 40, 60]));
        let mut out = RgbImage::new(16, 16);
        warp_triangle(&mut CanvasRows::of(&mut out), &src, 1.0, &tri, &blend);
        let p = out.get_pixel(2, 2).0;
        assert!(p[0] == p[1] && p[1] == p[2], "grey: {p:?}");
        let luma = 0.299 * 200.0 + 0.587 * 40.0 + 0.114 * 60.0;
        assert!((p[0] as f32 - luma).abs() <= 1.0, "{p:?} vs luma {luma}");
    }

    #[test]
    fn row_spans_cover_exactly_the_pixels_inside_each_triangle() {
        // Against the plain test of every pixel of the bounding box, on thin, wide, tilted,
        // clockwise and counter-clockwise triangles (a deterministic pseudo-random set).
        let src = RgbImage::from_pixel(8, 8, image::Rgb([255, 255, 255]));
        let mut seed = 12345u32;
        let mut rnd = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 70.0 - 5.0
        };
        for _ in 0..300 {
            let d = [[rnd(), rnd()], [rnd(), rnd()], [rnd(), rnd()]];
            let v = d.map(|p| WarpVertex {
                src: [4.0, 4.0],
                dst: p,
                alpha: 1.0,
            });
            let mut out = RgbImage::new(64, 64);
            warp_triangle(&mut CanvasRows::of(&mut out), &src, 1.0, &v, &Blend::COPY);
            let area = (d[1][0] - d[0][0]) * (d[2][1] - d[0][1])
                - (d[2][0] - d[0][0]) * (d[1][1] - d[0][1]);
            for y in 0..64 {
                for x in 0..64 {
                    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                    let l1 = ((px - d[0][0]) * (d[2][1] - d[0][1])
                        - (d[2][0] - d[0][0]) * (py - d[0][1]))
                        / area;
                    let l2 = ((d[1][0] - d[0][0]) * (py - d[0][1])
                        - (px - d[0][0]) * (d[1][1] - d[0][1]))
                        / area;
                    let inside =
                        area.abs() >= 1e-6 && l1 >= -1e-4 && l2 >= -1e-4 && 1.0 - l1 - l2 >= -1e-4;
                    // Pixels within a hair of an edge may go either way by rounding.
                    let margin = [l1, l2, 1.0 - l1 - l2]
                        .iter()
                        .map(|l| (l + 1e-4).abs())
                        .fold(f32::MAX, f32::min);
                    if margin > 1e-3 {
                        assert_eq!(
                            out.get_pixel(x, y)[0] == 255,
                            inside,
                            "pixel ({x}, {y}) of {d:?}"
                        );
                    }
                }
            }
        }
    }

    /// A camera-like picture: smooth shading, hard edges and sensor noise.
    fn photo_like(w: u32, h: u32) -> RgbImage {
        let mut seed = 7u32;
        RgbImage::from_fn(w, h, |x, y| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 28) as f32 - 8.0;
            let (fx, fy) = (x as f32, y as f32);
            let shade = 128.0 + 90.0 * (fx * 0.11).sin() * (fy * 0.07).cos();
            let edge = if (fx - 0.6 * fy - 20.0).abs() < 9.0 {
                200.0
            } else {
                0.0
            };
            let q = |v: f32| v.clamp(0.0, 255.0) as u8;
            image::Rgb([
                q(shade + noise),
                q(255.0 - shade + edge * 0.5 - noise),
                q(edge + fy * 2.0 + noise),
            ])
        })
    }

    #[test]
    fn the_opaque_fast_path_matches_the_per_pixel_warp_within_one_level() {
        // Random triangles, their source corners reaching past the picture's borders (clamped
        // taps) or lying on them, drawn onto a noise canvas in two bands (so that coverage
        // mismatches would show as large differences too), against the per-pixel reference.
        let (sw, sh) = (97u32, 83u32);
        let src = photo_like(sw, sh);
        let mut seed = 2024u32;
        let mut rnd = |lo: f32, hi: f32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            lo + (seed >> 8) as f32 / (1u32 << 24) as f32 * (hi - lo)
        };
        let background = RgbImage::from_fn(96, 96, |x, y| {
            image::Rgb([
                (x * 37 % 251) as u8,
                (y * 91 % 241) as u8,
                ((x ^ y) * 13) as u8,
            ])
        });
        let (mut drawn, mut off_by_one) = (0usize, 0usize);
        for k in 0..400 {
            let mut v = [0, 1, 2].map(|_| WarpVertex {
                src: [rnd(-8.0, sw as f32 + 8.0), rnd(-8.0, sh as f32 + 8.0)],
                dst: [rnd(-10.0, 106.0), rnd(-10.0, 106.0)],
                alpha: 1.0,
            });
            match k % 4 {
                // Source corners exactly on the picture's corners and edges.
                0 => {
                    v[0].src = [0.0, 0.0];
                    v[1].src = [sw as f32, 0.0];
                    v[2].src = [rnd(0.0, sw as f32), sh as f32];
                }
                // A nearly uniform scale (the common case), touching the left border.
                1 => {
                    let (k, tx, ty) = (rnd(0.5, 2.5), rnd(-20.0, 40.0), rnd(-20.0, 40.0));
                    v[0].src[0] = 0.0;
                    for p in &mut v {
                        p.dst = [p.src[0] * k + tx, p.src[1] * k + ty];
                    }
                }
                _ => {}
            }
            let par = if k % 3 == 0 { 0.9 } else { 1.0 };
            let mut want = background.clone();
            warp_triangle_reference(&mut CanvasRows::of(&mut want), &src, par, &v);
            let mut got = background.clone();
            let (mut top, mut bottom) = CanvasRows::of(&mut got).split_at(41);
            warp_triangle(&mut top, &src, par, &v, &Blend::COPY);
            warp_triangle(&mut bottom, &src, par, &v, &Blend::COPY);
            for ((g, w), b) in got.pixels().zip(want.pixels()).zip(background.pixels()) {
                drawn += usize::from(w != b);
                for ch in 0..3 {
                    let d = (g.0[ch] as i32 - w.0[ch] as i32).abs();
                    assert!(d <= 1, "triangle {k} {v:?}: {g:?} vs {w:?}");
                    off_by_one += usize::from(d == 1);
                }
            }
        }
        assert!(drawn > 100_000, "{drawn} pixels drawn");
        assert!(
            off_by_one * 100 < drawn,
            "{off_by_one} channels off by one in {drawn} pixels"
        );
    }

    #[test]
    fn integer_floor_and_ceil_agree_with_the_library_ones() {
        for v in [
            0.0f32,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.999,
            -2.999,
            1e-30,
            -1e-30,
            8_388_609.0,
            3e9,
            -3e9,
            1e30,
            -1e30,
            f32::NAN,
        ] {
            assert_eq!(floor_i64(v), v.floor() as i64, "floor {v}");
            assert_eq!(ceil_i64(v), v.ceil() as i64, "ceil {v}");
        }
    }
}
