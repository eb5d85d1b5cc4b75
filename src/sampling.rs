//! Bilinear sampling of 8-bit pictures, the one home of its taps and blends: the `f32` taps and
//! blend (`taps`, `taps_inside`, `inside_taps`, `blend`, `plane_sample`) that [`bilinear`] and
//! the frame views of [`crate::video`] read with, and the fixed-point line walk (`FixedLine`,
//! `weights`, `weighted_sum`) of [`bilinear_span`] and the model-input crops
//! (`src/video/crop.rs`). Shared by the model crops and the mesh warp.

use image::RgbImage;

/// Samples `img` at the continuous pixel position (`x`, `y`) with bilinear interpolation.
///
/// Convention: pixel (i, j) covers [i, i+1) x [j, j+1), its centre is at (i + 0.5, j + 0.5).
/// Positions outside the picture are clamped to the border (edge extension), so a warp that
/// reaches slightly past the edge repeats the edge instead of painting black.
/// Returns R, G, B in 0..255 as `f32`.
#[inline(always)]
pub fn bilinear(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = img.dimensions();
    // Fast path: the 2x2 footprint lies inside, so the two rows are read as two 6-byte slices
    // (two bounds checks instead of twelve, no clamping).
    if taps_inside(w as usize, h as usize, x, y) {
        let stride = w as usize * 3;
        let (i, ax, ay) = inside_taps(stride, 3, x, y);
        let raw = img.as_raw();
        let top = &raw[i..i + 6];
        let bottom = &raw[i + stride..i + stride + 6];
        let mut out = [0.0f32; 3];
        for c in 0..3 {
            out[c] = blend(top[c], top[c + 3], bottom[c], bottom[c + 3], ax, ay);
        }
        return out;
    }
    // Near or past the border: clamped taps.
    let (x0, y0, dx, dy, ax, ay) = taps(w as usize, h as usize, x, y);
    let raw = img.as_raw();
    let stride = w as usize * 3;
    let i00 = y0 * stride + x0 * 3;
    let (i10, i01) = (i00 + dx * 3, i00 + dy * stride);
    let i11 = i01 + dx * 3;
    let mut out = [0.0f32; 3];
    for c in 0..3 {
        let top = raw[i00 + c] as f32 * (1.0 - ax) + raw[i10 + c] as f32 * ax;
        let bottom = raw[i01 + c] as f32 * (1.0 - ax) + raw[i11 + c] as f32 * ax;
        out[c] = top * (1.0 - ay) + bottom * ay;
    }
    out
}

/// Bilinear taps of a `w` x `h` plane at continuous position (`x`, `y`) (pixel-centre convention,
/// clamped to the border): the column and row of the top-left tap, the column and row steps to
/// the right and bottom taps (0 at the last column or row), and the fractional weights. Used by
/// [`bilinear`] and the frame views of [`crate::video`].
#[inline(always)]
pub(crate) fn taps(w: usize, h: usize, x: f32, y: f32) -> (usize, usize, usize, usize, f32, f32) {
    let fx = (x - 0.5).clamp(0.0, (w - 1) as f32);
    let fy = (y - 0.5).clamp(0.0, (h - 1) as f32);
    // Through u32, as in `inside_taps` (NaN gives 0 either way).
    let (x0, y0) = (fx as u32 as usize, fy as u32 as usize);
    let dx = usize::from(x0 + 1 < w);
    let dy = usize::from(y0 + 1 < h);
    (x0, y0, dx, dy, fx - x0 as f32, fy - y0 as f32)
}

/// Bilinear sample of one byte channel: `plane` with row `stride`, pixels `step` bytes apart,
/// the channel at byte `offset`, `w` x `h` samples.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn plane_sample(
    plane: &[u8],
    stride: usize,
    step: usize,
    offset: usize,
    w: usize,
    h: usize,
    x: f32,
    y: f32,
) -> f32 {
    let (x0, y0, dx, dy, ax, ay) = taps(w, h, x, y);
    let i = y0 * stride + x0 * step + offset;
    let (j, k) = (i + dx * step, i + dy * stride);
    let l = k + dx * step;
    blend(plane[i], plane[j], plane[k], plane[l], ax, ay)
}

/// Whether every bilinear tap at (`x`, `y`) of a `w` x `h` plane lies inside it unclamped: then
/// [`taps`] gives the plain floor and fraction there, with both steps 1. NaN gives false.
#[inline(always)]
pub(crate) fn taps_inside(w: usize, h: usize, x: f32, y: f32) -> bool {
    let (fx, fy) = (x - 0.5, y - 0.5);
    fx >= 0.0 && fy >= 0.0 && fx < (w - 1) as f32 && fy < (h - 1) as f32
}

/// Top-left tap index and weights at (`x`, `y`) where [`taps_inside`] holds: byte `y0 stride +
/// x0 step`, fractions (`ax`, `ay`).
#[inline(always)]
pub(crate) fn inside_taps(stride: usize, step: usize, x: f32, y: f32) -> (usize, f32, f32) {
    let (fx, fy) = (x - 0.5, y - 0.5);
    // Through u32: a saturating float -> usize conversion takes about twice the instructions
    // (measured: a fifth of the packed row's time); values here are below 2^24.
    let (x0, y0) = (fx as u32, fy as u32);
    let i = y0 as usize * stride + x0 as usize * step;
    (i, fx - x0 as f32, fy - y0 as f32)
}

/// Bilinear blend of taps `a` (top left), `b` (top right), `d` (bottom left), `e` (bottom
/// right) with the fractional weights (`ax`, `ay`): along x, then y. The one blend of the `f32`
/// paths ([`bilinear`]'s taps inside the picture, [`plane_sample`], the frame views' row kernels),
/// so that they give equal values.
#[inline(always)]
pub(crate) fn blend(a: u8, b: u8, d: u8, e: u8, ax: f32, ay: f32) -> f32 {
    let (a, b, d, e) = (a as f32, b as f32, d as f32, e as f32);
    let top = a + (b - a) * ax;
    let bottom = d + (e - d) * ax;
    top + (bottom - top) * ay
}

/// Fractional bits of the fixed-point positions: enough that stepping along a row of thousands
/// of pixels drifts by far less than a weight step.
pub(crate) const POS_BITS: u32 = 32;
/// Fractional bits of the bilinear weights: the four taps' weights sum to 4096², so a weighted
/// sum of 8-bit taps plus rounding stays within `u32` (255 * 4096² + 2^23 < 2^32), and rounding
/// the position to 1/4096 pixel moves a result by at most about 0.06 of a level.
pub(crate) const WEIGHT_BITS: u32 = 12;
/// One pixel in position units.
pub(crate) const ONE: f64 = (1u64 << POS_BITS) as f64;
/// Half a weight step: added to every position so that truncating it to the weights' precision
/// rounds it to the nearest step (the bias carries into the tap index where it should).
pub(crate) const BIAS: i64 = 1 << (POS_BITS - WEIGHT_BITS - 1);
/// Weight mask after shifting a position right by `POS_BITS - WEIGHT_BITS`.
pub(crate) const MASK: i64 = (1 << WEIGHT_BITS) - 1;
/// One in weight units.
pub(crate) const FULL: u32 = 1 << WEIGHT_BITS;
/// Positions (and steps), pixels, beyond which [`FixedLine::new`] gives up (the caller samples
/// each pixel the plain way): they then fit an `i64` with room to spare (NaN goes there too).
pub(crate) const LIMIT: f64 = (1u64 << 24) as f64;

/// Sample positions along a row on one plane, fixed point ([`POS_BITS`] fractional bits),
/// measured from the top-left tap's centre (a plane position minus 0.5) and biased by [`BIAS`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct FixedLine {
    pub x: i64,
    pub y: i64,
    pub dx: i64,
    pub dy: i64,
}

impl FixedLine {
    /// The `n` positions (`x` + k `dx`, `y` + k `dy`) of the frame, pixels, on a plane of
    /// `1 / sub` of its resolution (`sub` 1 or 2); `None` where one of them or a step is not
    /// finite or beyond [`LIMIT`].
    pub(crate) fn new(
        (x, y): (f32, f32),
        (dx, dy): (f32, f32),
        n: usize,
        sub: f64,
    ) -> Option<FixedLine> {
        let (fx, fy) = (x as f64 / sub - 0.5, y as f64 / sub - 0.5);
        let (dx, dy) = (dx as f64 / sub, dy as f64 / sub);
        let last = n.saturating_sub(1) as f64;
        let ends = [fx, fy, dx, dy, fx + dx * last, fy + dy * last];
        ends.iter().all(|v| v.abs() < LIMIT).then(|| FixedLine {
            x: (fx * ONE) as i64 + BIAS,
            y: (fy * ONE) as i64 + BIAS,
            dx: (dx * ONE) as i64,
            dy: (dy * ONE) as i64,
        })
    }

    /// Whether the taps of all `n` samples lie inside a `w` x `h` plane unclamped (positions
    /// are linear in k and the region is a box: checking both ends is enough).
    pub(crate) fn inside(&self, n: usize, w: usize, h: usize) -> bool {
        let last = n.saturating_sub(1) as i64;
        n == 0
            || (fixed_taps_inside(self.x, self.y, w, h)
                && fixed_taps_inside(self.x + last * self.dx, self.y + last * self.dy, w, h))
    }

    /// Whether the current sample's taps lie inside a `w` x `h` plane unclamped.
    #[inline(always)]
    pub(crate) fn here_inside(&self, w: usize, h: usize) -> bool {
        fixed_taps_inside(self.x, self.y, w, h)
    }

    /// The current position on the plane, pixels (the bias and the tap-centre offset undone).
    pub(crate) fn position(&self) -> (f32, f32) {
        let at = |v: i64| ((v - BIAS) as f64 / ONE + 0.5) as f32;
        (at(self.x), at(self.y))
    }

    /// The next position.
    #[inline(always)]
    pub(crate) fn advance(&mut self) {
        self.x += self.dx;
        self.y += self.dy;
    }

    /// Column and row of the top-left tap and the four weights, where [`FixedLine::inside`] holds.
    #[inline(always)]
    pub(crate) fn inside_taps(&self) -> (usize, usize, [u32; 4]) {
        let (x0, y0) = ((self.x >> POS_BITS) as usize, (self.y >> POS_BITS) as usize);
        (x0, y0, weights(self.x, self.y))
    }

    /// Column and row of the top-left tap, the column and row steps to the other taps (0 on the
    /// last column or row) and the four weights, clamped to a `w` x `h` plane.
    #[inline(always)]
    pub(crate) fn clamped_taps(
        &self,
        w: usize,
        h: usize,
    ) -> (usize, usize, usize, usize, [u32; 4]) {
        let x = self.x.clamp(BIAS, (((w - 1) as i64) << POS_BITS) + BIAS);
        let y = self.y.clamp(BIAS, (((h - 1) as i64) << POS_BITS) + BIAS);
        let (x0, y0) = ((x >> POS_BITS) as usize, (y >> POS_BITS) as usize);
        let (dx, dy) = (usize::from(x0 + 1 < w), usize::from(y0 + 1 < h));
        (x0, y0, dx, dy, weights(x, y))
    }
}

/// Whether the 2x2 taps at fixed-point position (`x`, `y`) lie inside a `w` x `h` plane.
#[inline(always)]
fn fixed_taps_inside(x: i64, y: i64, w: usize, h: usize) -> bool {
    // A negative index wraps to a huge u64: one unsigned comparison per axis.
    ((x >> POS_BITS) as u64) < w as u64 - 1 && ((y >> POS_BITS) as u64) < h as u64 - 1
}

/// The weights of the top-left, top-right, bottom-left and bottom-right taps at the fixed-point
/// position (`x`, `y`), summing to `FULL²`: the same integers as blending along x, then y.
#[inline(always)]
pub(crate) fn weights(x: i64, y: i64) -> [u32; 4] {
    let ax = ((x >> (POS_BITS - WEIGHT_BITS)) & MASK) as u32;
    let ay = ((y >> (POS_BITS - WEIGHT_BITS)) & MASK) as u32;
    let w11 = ax * ay;
    let (w10, w01) = ((ax << WEIGHT_BITS) - w11, (ay << WEIGHT_BITS) - w11);
    [FULL * FULL - w10 - w01 - w11, w10, w01, w11]
}

/// Taps `a` (top left), `b` (top right), `d` (bottom left), `e` (bottom right) blended with the
/// fixed-point weights `w` of [`weights`] (in that order): the sum, in units of `1 / FULL²` of a
/// level (at most 255 FULL², within `u32`).
#[inline(always)]
pub(crate) fn weighted_sum(a: u8, b: u8, d: u8, e: u8, w: [u32; 4]) -> u32 {
    a as u32 * w[0] + b as u32 * w[1] + d as u32 * w[2] + e as u32 * w[3]
}

/// [`bilinear`] along a line, rounded to 8 bits: pixel `k` of `out` (packed RGB, 3 bytes a pixel)
/// gets `img` sampled at (`x` + k `dx`, `y` + k `dy`).
///
/// The row loop of the mesh warp. Positions advance in 32.32 fixed point (`FixedLine`) and the
/// 2x2 taps are blended with 12-bit integer weights where they lie inside the picture; near or past its border
/// each pixel goes through [`bilinear`]'s clamped path. Results may differ from rounding
/// [`bilinear`] by one level.
pub fn bilinear_span(img: &RgbImage, x: f32, y: f32, dx: f32, dy: f32, out: &mut [u8]) {
    let n = out.len() / 3;
    let (w, h) = (img.width() as usize, img.height() as usize);
    // The fixed-point walk needs every position to fit in an i64 (NaN fails too), and a 2x2
    // footprint to exist: otherwise, sample each pixel the plain way.
    let Some(mut line) = FixedLine::new((x, y), (dx, dy), n, 1.0).filter(|_| w >= 2 && h >= 2)
    else {
        for (k, px) in out.chunks_exact_mut(3).enumerate() {
            let s = bilinear(img, x + k as f32 * dx, y + k as f32 * dy);
            for ch in 0..3 {
                px[ch] = (s[ch] + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
        return;
    };
    let stride = w * 3;
    let raw = img.as_raw();
    const ROUND: u32 = 1 << (2 * WEIGHT_BITS - 1);
    for o in out.chunks_exact_mut(3) {
        if line.here_inside(w, h) {
            let (x0, y0, wt) = line.inside_taps();
            let i = y0 * stride + x0 * 3;
            let top = &raw[i..i + 6];
            let bottom = &raw[i + stride..i + stride + 6];
            for c in 0..3 {
                let sum = weighted_sum(top[c], top[c + 3], bottom[c], bottom[c + 3], wt);
                o[c] = ((sum + ROUND) >> (2 * WEIGHT_BITS)) as u8;
            }
        } else {
            let (sx, sy) = line.position();
            let s = bilinear(img, sx, sy);
            for ch in 0..3 {
                o[ch] = (s[ch] + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
        line.advance();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_centres_return_exact_values_and_midpoints_average() {
        let mut img = RgbImage::new(2, 1);
        img.put_pixel(0, 0, image::Rgb([0, 100, 200]));
        img.put_pixel(1, 0, image::Rgb([100, 200, 0]));
        assert_eq!(bilinear(&img, 0.5, 0.5), [0.0, 100.0, 200.0]);
        assert_eq!(bilinear(&img, 1.5, 0.5), [100.0, 200.0, 0.0]);
        assert_eq!(bilinear(&img, 1.0, 0.5), [50.0, 150.0, 100.0]);
        // Outside: clamped to the border pixel, not black.
        assert_eq!(bilinear(&img, -10.0, 5.0), [0.0, 100.0, 200.0]);
    }

    #[test]
    fn spans_match_rounded_bilinear_inside_across_and_past_the_border() {
        let img = RgbImage::from_fn(40, 30, |x, y| {
            image::Rgb([(x * 6) as u8, (y * 8) as u8, ((x * y) % 256) as u8])
        });
        for (x, y, dx, dy) in [
            (3.2, 4.7, 0.93, 0.11),
            (-5.0, 12.3, 1.7, 0.0),
            (38.0, -3.0, -0.6, 1.3),
            (0.5, 0.5, 1.0, 1.0),
            (20.0, 15.0, 0.0, 0.0),
        ] {
            let mut out = [0u8; 3 * 50];
            bilinear_span(&img, x, y, dx, dy, &mut out);
            for (k, px) in out.chunks_exact(3).enumerate() {
                let s = bilinear(&img, x + k as f32 * dx, y + k as f32 * dy);
                for c in 0..3 {
                    assert!(
                        (px[c] as f32 - s[c]).abs() <= 0.5 + 0.07,
                        "k {k} at ({x}, {y}) + k ({dx}, {dy}): {px:?} vs {s:?}"
                    );
                }
            }
        }
    }
}
