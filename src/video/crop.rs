//! Model-input crops read straight from a frame: the row kernels behind
//! [`RgbSource::crop_row`] for packed RGB, I420 and NV12 planes.
//!
//! A crop row is a line of sample positions. The kernels walk it in 32.32 fixed point, take the
//! bilinear weights to 12 bits ([`crate::sampling::FixedLine`], as [`crate::sampling::bilinear_span`] does) and write
//! `lo + scale * value` straight into the `f32` tensor, without an intermediate buffer:
//!
//! * packed 3- and 4-byte pixels: a row whose taps all lie inside the picture blends each
//!   sample's two pixel pairs as four float lanes (one vector register); other rows clamp each
//!   sample's taps to the border (edge extension, as [`RgbSource::sample`]) and blend in
//!   integers;
//! * other pixel sizes: integer blends, a clamp-free loop for rows wholly inside;
//! * 4:2:0 frames: luma and both chroma planes blended in integers (a clamp-free loop for rows
//!   wholly inside), converted to RGB once per output sample through the matrix's affine form
//!   ([`YuvMatrix::to_rgb_affine`]) with the output scaling folded in.
//!
//! The values differ from [`RgbSource::sample`]'s by the rounding of each position to 1/8192
//! pixel for the weights: at most 255 / 4096 ≈ 0.06 of a level for packed RGB, and about 0.21
//! for 4:2:0 frames (the chroma's error grows by the matrix's chroma gain, up to 2.1).
//! `src/face/roi.rs` tests both against the per-sample path over random crops.

use super::{for_each_row_sample, RgbSource, YuvMatrix};
use crate::sampling::{weighted_sum, FixedLine as Line, FULL, MASK, POS_BITS, WEIGHT_BITS};

/// The value of one unit of a blended sum (the four weights sum to `FULL²`).
const UNIT: f64 = 1.0 / (FULL as f64 * FULL as f64);

/// [`RgbSource::crop_row`] through [`RgbSource::sample_row`] (the per-sample `f32` path): for
/// sources without a kernel of their own, and rows the kernels cannot walk.
pub(crate) fn crop_row_by_samples<S: RgbSource + ?Sized>(
    img: &S,
    start: (f32, f32),
    step: (f32, f32),
    (lo, scale): (f32, f32),
    out: &mut [f32],
) {
    for_each_row_sample(img, start, step, out.len() / 3, |k, px| {
        let o = &mut out[3 * k..3 * k + 3];
        o[0] = lo + px[0] * scale;
        o[1] = lo + px[1] * scale;
        o[2] = lo + px[2] * scale;
    });
}

/// Taps `a` (top left), `b` (top right), `d` (bottom left), `e` (bottom right) blended with
/// `w`, in units of [`UNIT`].
#[inline(always)]
fn blend(a: u8, b: u8, d: u8, e: u8, w: [u32; 4]) -> f32 {
    weighted_sum(a, b, d, e, w) as f32
}

/// Bytes 0..4 of the pixels at `top[0]`, `top[ps]`, `bottom[0]`, `bottom[ps]` blended at the
/// fixed-point position (`x`, `y`) with its weights (as [`crate::sampling::weights`], in `f32`): four lanes,
/// 0..255.
#[inline(always)]
fn lane_blend(top: &[u8], bottom: &[u8], ps: usize, x: i64, y: i64) -> [f32; 4] {
    let unit = 1.0 / FULL as f32;
    let ax = ((x >> (POS_BITS - WEIGHT_BITS)) & MASK) as f32 * unit;
    let ay = ((y >> (POS_BITS - WEIGHT_BITS)) & MASK) as f32 * unit;
    let lanes = |s: &[u8], j: usize| -> [f32; 4] { std::array::from_fn(|c| s[j + c] as f32) };
    let (a, b) = (lanes(top, 0), lanes(top, ps));
    let (d, e) = (lanes(bottom, 0), lanes(bottom, ps));
    std::array::from_fn(|c| {
        let t = a[c] + (b[c] - a[c]) * ax;
        let u = d[c] + (e[c] - d[c]) * ax;
        t + (u - t) * ay
    })
}

/// The sample of the packed plane `p` (`ps`-byte pixels) at `line`'s position, taps clamped to
/// the border, written to `o` as `lo` + `k` * blended sum (`(lo, k)`).
#[inline(always)]
fn clamped(p: &Packed, ps: usize, line: &Line, (lo, k): (f32, f32), o: &mut [f32]) {
    let (x0, y0, dx, dy, wt) = line.clamped_taps(p.size.0, p.size.1);
    let (plane, stride) = (p.plane, p.stride);
    let i = y0 * stride + x0 * ps;
    let (j, d) = (i + dx * ps, i + dy * stride);
    let e = d + dx * ps;
    let c = |o: usize| blend(plane[i + o], plane[j + o], plane[d + o], plane[e + o], wt);
    let [r, g, b] = p.offsets;
    o[0] = lo + c(r) * k;
    o[1] = lo + c(g) * k;
    o[2] = lo + c(b) * k;
}

/// [`clamped`] out of line, for the rare sample of an inside row that needs it.
#[cold]
#[inline(never)]
fn clamped_cold(p: &Packed, ps: usize, line: &Line, k: (f32, f32), o: &mut [f32]) {
    clamped(p, ps, line, k, o)
}

/// One plane of packed RGB pixels.
pub(crate) struct Packed<'a> {
    /// The plane.
    pub plane: &'a [u8],
    /// Bytes per row.
    pub stride: usize,
    /// Bytes per pixel.
    pub pixel_stride: usize,
    /// Byte offsets of R, G, B within a pixel.
    pub offsets: [usize; 3],
    /// Width and height, pixels.
    pub size: (usize, usize),
}

/// [`RgbSource::crop_row`] on a packed plane of `PS`-byte pixels (0: `pixel_stride` bytes).
/// Returns false, writing nothing, where the row cannot be walked in fixed point.
pub(crate) fn packed_row<const PS: usize>(
    p: &Packed,
    start: (f32, f32),
    step: (f32, f32),
    (lo, scale): (f32, f32),
    out: &mut [f32],
) -> bool {
    let n = out.len() / 3;
    let (w, h) = p.size;
    let Some(mut line) = Line::new(start, step, n, 1.0).filter(|_| w > 0 && h > 0) else {
        return false;
    };
    let ps = if PS == 0 { p.pixel_stride } else { PS };
    let [r, g, b] = p.offsets;
    // Lets the compiler drop the per-channel bounds checks inside a pixel pair.
    assert!(r < ps && g < ps && b < ps, "channel offsets within a pixel");
    let (plane, stride) = (p.plane, p.stride);
    let out = &mut out[..3 * n];
    let k = (lo, scale * UNIT as f32);
    let inside = line.inside(n, w, h);
    if (PS == 3 || PS == 4) && inside {
        // Two pixels' bytes from each tap row, blended as four float lanes (the compiler keeps
        // them in one vector register); with 3-byte pixels the fourth lane is the next pixel's
        // first byte, unused. Where that lane would run past the plane (3-byte pixels at its
        // very end), the sample takes the clamped path (the same value there).
        let span = PS + 4;
        for o in out.chunks_exact_mut(3) {
            let (x0, y0) = ((line.x >> POS_BITS) as usize, (line.y >> POS_BITS) as usize);
            let i = y0 * stride + x0 * PS;
            match (
                plane.get(i..i + span),
                plane.get(i + stride..i + stride + span),
            ) {
                (Some(top), Some(bottom)) => {
                    let v = lane_blend(top, bottom, PS, line.x, line.y);
                    o[0] = lo + v[r] * scale;
                    o[1] = lo + v[g] * scale;
                    o[2] = lo + v[b] * scale;
                }
                _ => clamped_cold(p, ps, &line, k, o),
            }
            line.advance();
        }
    } else if inside {
        for o in out.chunks_exact_mut(3) {
            let (x0, y0, wt) = line.inside_taps();
            let i = y0 * stride + x0 * ps;
            // Two slices of two pixels: two bounds checks, the channel reads within them.
            let top = &plane[i..i + 2 * ps];
            let bottom = &plane[i + stride..i + stride + 2 * ps];
            let c = |o: usize| blend(top[o], top[o + ps], bottom[o], bottom[o + ps], wt);
            o[0] = lo + c(r) * k.1;
            o[1] = lo + c(g) * k.1;
            o[2] = lo + c(b) * k.1;
            line.advance();
        }
    } else {
        for o in out.chunks_exact_mut(3) {
            clamped(p, ps, &line, k, o);
            line.advance();
        }
    }
    true
}

/// The planes of a 4:2:0 frame: Y, U, V (I420) or Y and interleaved UV (NV12, the third unused).
pub(crate) struct Yuv<'a> {
    /// The planes.
    pub planes: [&'a [u8]; 3],
    /// Their bytes per row.
    pub strides: [usize; 3],
    /// Width and height of the luma plane, pixels.
    pub size: (usize, usize),
    /// The colour matrix.
    pub matrix: YuvMatrix,
}

/// [`RgbSource::crop_row`] on a 4:2:0 frame, I420 (`NV12` false) or NV12 (`NV12` true): luma
/// sampled at the position, chroma at half of it in the chroma planes, as
/// [`RgbSource::sample`] does. Returns false, writing nothing, where the row cannot be walked in
/// fixed point.
pub(crate) fn yuv_row<const NV12: bool>(
    p: &Yuv,
    start: (f32, f32),
    step: (f32, f32),
    (lo, scale): (f32, f32),
    out: &mut [f32],
) -> bool {
    let n = out.len() / 3;
    let (w, h) = p.size;
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let (Some(mut luma), Some(mut chroma)) = (
        Line::new(start, step, n, 1.0),
        Line::new(start, step, n, 2.0),
    ) else {
        return false;
    };
    // Output channel c = k[c][3] + k[c][0] Y + k[c][1] U + k[c][2] V, with Y, U, V blended sums:
    // the matrix, the output scaling and the sums' unit in one affine map. R has no U term and
    // B no V term.
    let k = p.matrix.to_rgb_affine().map(|[ky, ku, kv, k0]| {
        let s = scale as f64 * UNIT;
        [ky * s, ku * s, kv * s, lo as f64 + scale as f64 * k0].map(|v| v as f32)
    });
    let [kr, kg, kb] = k;
    let write = |o: &mut [f32], (y, u, v): (f32, f32, f32)| {
        o[0] = kr[3] + kr[0] * y + kr[2] * v;
        o[1] = kg[3] + kg[0] * y + kg[1] * u + kg[2] * v;
        o[2] = kb[3] + kb[0] * y + kb[1] * u;
    };
    let [py, pu, pv] = p.planes;
    let [sy, su, sv] = p.strides;
    let out = &mut out[..3 * n];
    if luma.inside(n, w, h) && chroma.inside(n, cw, ch) {
        for o in out.chunks_exact_mut(3) {
            let (x0, y0, wt) = luma.inside_taps();
            let i = y0 * sy + x0;
            let (top, bottom) = (&py[i..i + 2], &py[i + sy..i + sy + 2]);
            let y = blend(top[0], top[1], bottom[0], bottom[1], wt);
            let (x0, y0, wt) = chroma.inside_taps();
            let (u, v) = if NV12 {
                let i = y0 * su + 2 * x0;
                let (top, bottom) = (&pu[i..i + 4], &pu[i + su..i + su + 4]);
                (
                    blend(top[0], top[2], bottom[0], bottom[2], wt),
                    blend(top[1], top[3], bottom[1], bottom[3], wt),
                )
            } else {
                let i = y0 * su + x0;
                let (top, bottom) = (&pu[i..i + 2], &pu[i + su..i + su + 2]);
                let u = blend(top[0], top[1], bottom[0], bottom[1], wt);
                let i = y0 * sv + x0;
                let (top, bottom) = (&pv[i..i + 2], &pv[i + sv..i + sv + 2]);
                (u, blend(top[0], top[1], bottom[0], bottom[1], wt))
            };
            write(o, (y, u, v));
            luma.advance();
            chroma.advance();
        }
    } else {
        for o in out.chunks_exact_mut(3) {
            let (x0, y0, dx, dy, wt) = luma.clamped_taps(w, h);
            let i = y0 * sy + x0;
            let (j, d) = (i + dx, i + dy * sy);
            let y = blend(py[i], py[j], py[d], py[d + dx], wt);
            let (x0, y0, dx, dy, wt) = chroma.clamped_taps(cw, ch);
            let (u, v) = if NV12 {
                let i = y0 * su + 2 * x0;
                let (j, d) = (i + 2 * dx, i + dy * su);
                let e = d + 2 * dx;
                (
                    blend(pu[i], pu[j], pu[d], pu[e], wt),
                    blend(pu[i + 1], pu[j + 1], pu[d + 1], pu[e + 1], wt),
                )
            } else {
                let i = y0 * su + x0;
                let u = blend(pu[i], pu[i + dx], pu[i + dy * su], pu[i + dy * su + dx], wt);
                let i = y0 * sv + x0;
                (
                    u,
                    blend(pv[i], pv[i + dx], pv[i + dy * sv], pv[i + dy * sv + dx], wt),
                )
            };
            write(o, (y, u, v));
            luma.advance();
            chroma.advance();
        }
    }
    true
}
