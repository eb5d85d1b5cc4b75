//! Rotated square region of interest: the crop a face model looks at.
//!
//! Coordinates are *square-pixel* picture coordinates: x is multiplied by the picture's pixel
//! aspect ratio (`par`), y is in pixels, origin at the top-left corner, y down. For ordinary
//! square-pixel pictures (`par == 1`) they are plain pixel coordinates.

use crate::video::RgbSource;

/// A square crop of side `size` centred on (`cx`, `cy`), rotated by `angle` radians.
///
/// `angle` is the direction of the crop's x axis in the picture (y down): 0 is upright, a positive
/// angle turns the crop clockwise on screen. MediaPipe's convention (rotation from the right eye to
/// the left eye) gives crops in which the eyes are level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    /// Centre x, square pixels.
    pub cx: f32,
    /// Centre y, pixels.
    pub cy: f32,
    /// Side length, pixels.
    pub size: f32,
    /// Rotation, radians.
    pub angle: f32,
}

impl Roi {
    /// Maps a point of an `n`x`n` model input (0..n, pixel corners) to picture coordinates.
    #[inline]
    pub fn to_picture(&self, u: f32, v: f32, n: f32) -> (f32, f32) {
        let (s, c) = self.angle.sin_cos();
        let lx = (u / n - 0.5) * self.size;
        let ly = (v / n - 0.5) * self.size;
        (self.cx + c * lx - s * ly, self.cy + s * lx + c * ly)
    }

    /// Maps a picture point to the `n`x`n` model input (inverse of [`Roi::to_picture`]).
    #[inline]
    pub fn to_input(&self, x: f32, y: f32, n: f32) -> (f32, f32) {
        let (s, c) = self.angle.sin_cos();
        let dx = x - self.cx;
        let dy = y - self.cy;
        let lx = c * dx + s * dy;
        let ly = -s * dx + c * dy;
        ((lx / self.size + 0.5) * n, (ly / self.size + 0.5) * n)
    }

    /// Fills `out` (length `n*n*3`, NHWC, RGB) with the crop, bilinear-sampled, values mapped
    /// linearly from 0..255 to `lo..hi` (0..1 for the landmarker, -1..1 for the detector).
    /// `par` is the picture's pixel aspect ratio (x of the picture = square-pixel x / par).
    pub fn crop_into<S: RgbSource + ?Sized>(
        &self,
        img: &S,
        par: f32,
        n: usize,
        lo: f32,
        hi: f32,
        out: &mut [f32],
    ) {
        assert_eq!(out.len(), n * n * 3, "crop buffer must hold n*n*3 floats");
        let scale = (hi - lo) / 255.0;
        let nf = n as f32;
        // The affine map of `to_picture`, with the rotation computed once per crop rather than
        // once per pixel (it was half the landmarker's cost).
        let (s, c) = self.angle.sin_cos();
        let local = |k: usize| ((k as f32 + 0.5) / nf - 0.5) * self.size;
        for v in 0..n {
            let ly = local(v);
            let (row_x, row_y) = (self.cx - s * ly, self.cy + c * ly);
            for u in 0..n {
                let lx = local(u);
                let px = img.sample((row_x + c * lx) / par, row_y + s * lx);
                let o = (v * n + u) * 3;
                out[o] = lo + px[0] * scale;
                out[o + 1] = lo + px[1] * scale;
                out[o + 2] = lo + px[2] * scale;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::bilinear;
    use image::RgbImage;

    #[test]
    fn picture_and_input_mappings_are_inverse() {
        let roi = Roi {
            cx: 100.0,
            cy: 80.0,
            size: 64.0,
            angle: 0.4,
        };
        for &(u, v) in &[(0.0, 0.0), (192.0, 0.0), (96.0, 96.0), (10.0, 170.0)] {
            let (x, y) = roi.to_picture(u, v, 192.0);
            let (u2, v2) = roi.to_input(x, y, 192.0);
            assert!((u - u2).abs() < 1e-3 && (v - v2).abs() < 1e-3);
        }
        // The centre of the input is the ROI centre.
        assert_eq!(roi.to_picture(96.0, 96.0, 192.0), (100.0, 80.0));
    }

    #[test]
    fn crop_of_an_upright_roi_copies_the_picture() {
        // A horizontal ramp: the crop must keep left-to-right order and the value range.
        let img = RgbImage::from_fn(64, 64, |x, _| image::Rgb([(x * 4) as u8, 0, 255]));
        let roi = Roi {
            cx: 32.0,
            cy: 32.0,
            size: 64.0,
            angle: 0.0,
        };
        let mut out = vec![0.0; 64 * 64 * 3];
        roi.crop_into(&img, 1.0, 64, -1.0, 1.0, &mut out);
        let r = |u: usize| out[(10 * 64 + u) * 3];
        assert!(r(0) < r(20) && r(20) < r(63));
        assert!((out[2] - 1.0).abs() < 1e-6, "blue 255 maps to hi");
        assert!((r(0) - (-1.0)).abs() < 1e-6, "red 0 maps to lo");
    }

    #[test]
    fn crop_of_a_rotated_roi_samples_where_to_picture_points() {
        let img = RgbImage::from_fn(90, 70, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, 7]));
        let roi = Roi {
            cx: 41.0,
            cy: 33.0,
            size: 40.0,
            angle: 0.6,
        };
        let n = 24;
        let mut out = vec![0.0; n * n * 3];
        roi.crop_into(&img, 1.25, n, 0.0, 255.0, &mut out);
        for (u, v) in [(0, 0), (5, 17), (23, 23), (12, 3)] {
            let (x, y) = roi.to_picture(u as f32 + 0.5, v as f32 + 0.5, n as f32);
            let want = bilinear(&img, x / 1.25, y);
            let o = (v * n + u) * 3;
            for ch in 0..3 {
                assert!(
                    (out[o + ch] - want[ch]).abs() < 1e-2,
                    "({u},{v}) {:?} vs {want:?}",
                    &out[o..o + 3]
                );
            }
        }
    }
}
