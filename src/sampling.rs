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
}
