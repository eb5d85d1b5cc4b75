//! Bilinear sampling of 8-bit RGB pictures, shared by the model crops and the mesh warp.

use image::RgbImage;

use crate::video::taps;

/// Samples `img` at the continuous pixel position (`x`, `y`) with bilinear interpolation.
///
/// Convention: pixel (i, j) covers [i, i+1) x [j, j+1), its centre is at (i + 0.5, j + 0.5).
/// Positions outside the picture are clamped to the border (edge extension), so a warp that
/// reaches slightly past the edge repeats the edge instead of painting black.
/// Returns R, G, B in 0..255 as `f32`.
#[inline(always)]
pub fn bilinear(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = img.dimensions();
    let fx = x - 0.5;
    let fy = y - 0.5;
    // Fast path: the 2x2 footprint lies inside, so the two rows are read as two 6-byte slices
    // (two bounds checks instead of twelve, no clamping).
    if fx >= 0.0 && fy >= 0.0 && fx < (w - 1) as f32 && fy < (h - 1) as f32 {
        let (x0, y0) = (fx as usize, fy as usize);
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        let stride = w as usize * 3;
        let i = y0 * stride + x0 * 3;
        let raw = img.as_raw();
        let top = &raw[i..i + 6];
        let bottom = &raw[i + stride..i + stride + 6];
        let mut out = [0.0f32; 3];
        for c in 0..3 {
            let t = top[c] as f32 + (top[c + 3] as f32 - top[c] as f32) * ax;
            let b = bottom[c] as f32 + (bottom[c + 3] as f32 - bottom[c] as f32) * ax;
            out[c] = t + (b - t) * ay;
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

/// Fractional bits of the positions in [`bilinear_span`]: enough that stepping along a row of
/// thousands of pixels drifts by far less than a weight step.
const POS_BITS: u32 = 32;
/// Fractional bits of the bilinear weights in [`bilinear_span`]: the four taps' weights sum to
/// 4096², so a weighted sum of 8-bit taps plus rounding stays within `u32` (255 * 4096² + 2^23 <
/// 2^32), and rounding the position to 1/4096 pixel moves a result by at most about 0.06 of a
/// level.
const WEIGHT_BITS: u32 = 12;

/// [`bilinear`] along a line, rounded to 8 bits: pixel `k` of `out` (packed RGB, 3 bytes a pixel)
/// gets `img` sampled at (`x` + k `dx`, `y` + k `dy`).
///
/// The row loop of the mesh warp. Positions advance in 32.32 fixed point and the 2x2 taps are
/// blended with 12-bit integer weights where they lie inside the picture; near or past its border
/// each pixel goes through [`bilinear`]'s clamped path. Results may differ from rounding
/// [`bilinear`] by one level.
pub fn bilinear_span(img: &RgbImage, x: f32, y: f32, dx: f32, dy: f32, out: &mut [u8]) {
    let n = out.len() / 3;
    let (w, h) = img.dimensions();
    let one = (1u64 << POS_BITS) as f64;
    // Pixel-centre convention: tap (i, j) sits at (i + 0.5, j + 0.5).
    let (fx, fy) = (x as f64 - 0.5, y as f64 - 0.5);
    let (fx_end, fy_end) = (fx + dx as f64 * n as f64, fy + dy as f64 * n as f64);
    // The fixed-point walk needs every position to fit in an i64 (NaN fails too), and a 2x2
    // footprint to exist: otherwise, sample each pixel the plain way.
    let limit = (1u64 << 24) as f64;
    if w < 2 || h < 2 || ![fx, fy, fx_end, fy_end].iter().all(|v| v.abs() < limit) {
        for (k, px) in out.chunks_exact_mut(3).enumerate() {
            let s = bilinear(img, x + k as f32 * dx, y + k as f32 * dy);
            for ch in 0..3 {
                px[ch] = (s[ch] + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
        return;
    }
    // Biased by half a weight step, so that truncating a position to the weights' precision
    // rounds it to the nearest step (the bias carries into the tap index where it should).
    let bias = 1i64 << (POS_BITS - WEIGHT_BITS - 1);
    let mut px = (fx * one) as i64 + bias;
    let mut py = (fy * one) as i64 + bias;
    let (step_x, step_y) = ((dx as f64 * one) as i64, (dy as f64 * one) as i64);
    let (last_x, last_y) = (w as u64 - 1, h as u64 - 1);
    let stride = w as usize * 3;
    let raw = img.as_raw();
    const FULL: u32 = 1 << WEIGHT_BITS;
    const MASK: i64 = (1 << WEIGHT_BITS) - 1;
    const ROUND: u32 = 1 << (2 * WEIGHT_BITS - 1);
    for o in out.chunks_exact_mut(3) {
        let (x0, y0) = (px >> POS_BITS, py >> POS_BITS);
        // A negative index wraps to a huge u64: one unsigned comparison per axis.
        if (x0 as u64) < last_x && (y0 as u64) < last_y {
            let ax = ((px >> (POS_BITS - WEIGHT_BITS)) & MASK) as u32;
            let ay = ((py >> (POS_BITS - WEIGHT_BITS)) & MASK) as u32;
            // The four taps' weights, summing to FULL²: the same integer as blending along x,
            // then along y, with fewer products.
            let w11 = ax * ay;
            let (w10, w01) = ((ax << WEIGHT_BITS) - w11, (ay << WEIGHT_BITS) - w11);
            let w00 = FULL * FULL - w10 - w01 - w11;
            let i = y0 as usize * stride + x0 as usize * 3;
            let top = &raw[i..i + 6];
            let bottom = &raw[i + stride..i + stride + 6];
            for c in 0..3 {
                let sum = top[c] as u32 * w00
                    + top[c + 3] as u32 * w10
                    + bottom[c] as u32 * w01
                    + bottom[c + 3] as u32 * w11;
                o[c] = ((sum + ROUND) >> (2 * WEIGHT_BITS)) as u8;
            }
        } else {
            let sx = ((px - bias) as f64 / one + 0.5) as f32;
            let sy = ((py - bias) as f64 / one + 0.5) as f32;
            let s = bilinear(img, sx, sy);
            for ch in 0..3 {
                o[ch] = (s[ch] + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
        px += step_x;
        py += step_y;
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
