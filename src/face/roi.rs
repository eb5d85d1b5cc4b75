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

    /// This crop moved just far enough towards `target` that `target` lies within `dead` of it:
    /// a crop that stays where it is while the face only trembles, and follows it (lagging by the
    /// dead band, never stepping) when it moves.
    ///
    /// Why: the landmarker's output depends slightly on where the crop lies, and a crop placed
    /// from the last frame's landmarks feeds that back: noise that a still face does not have.
    /// MediaPipe's face mesh graph has the same loop; a still crop makes a still face give the
    /// same landmarks frame after frame.
    pub fn follow(&self, target: &Roi, dead: &RoiDeadBand) -> Roi {
        // Centre: the excess of the shift over `dead.shift` crop sides.
        let (dx, dy) = (target.cx - self.cx, target.cy - self.cy);
        let dist = (dx * dx + dy * dy).sqrt();
        let keep = dead.shift * self.size;
        let (cx, cy) = if dist > keep {
            let k = (dist - keep) / dist;
            (self.cx + dx * k, self.cy + dy * k)
        } else {
            (self.cx, self.cy)
        };
        // Size: the excess of the log ratio over `dead.scale`.
        let ratio = (target.size / self.size.max(1e-6)).ln();
        let size = self.size * shrink_towards_zero(ratio, dead.scale).exp();
        // Angle: the excess of the (wrapped) turn over `dead.angle`.
        let turn = (target.angle - self.angle + std::f32::consts::PI)
            .rem_euclid(std::f32::consts::TAU)
            - std::f32::consts::PI;
        let angle = self.angle + shrink_towards_zero(turn, dead.angle);
        Roi {
            cx,
            cy,
            size,
            angle,
        }
    }

    /// Fills `out` (length `n*n*3`, NHWC, RGB) with the crop, bilinear-sampled, values mapped
    /// linearly from 0..255 to `lo..hi` (0..1 for the landmarker, -1..1 for the detector).
    /// `par` is the picture's pixel aspect ratio (x of the picture = square-pixel x / par).
    /// Positions outside the picture take the border's value (edge extension). Each crop row is
    /// one [`RgbSource::crop_row`] call: within a quarter of a level ((`hi` - `lo`) / 1020) of
    /// [`RgbSource::sample`] at each pixel centre.
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
        if n == 0 {
            return;
        }
        let scale = (hi - lo) / 255.0;
        // A crop row is a line in the picture, written by the source's row kernel straight into
        // the tensor (it chooses its sampling code once per row, not once per pixel).
        self.for_each_row(par, n, out, |start, step, out_row| {
            img.crop_row(start, step, (lo, scale), out_row)
        });
    }

    /// Calls `row(start, step, out_row)` for each of the `n` rows of an `n`x`n` crop: the
    /// picture position of the row's first sample centre and the step to the next (`par`-scaled
    /// x, y; pixels), and the row's `3 n` values of `out`.
    fn for_each_row(
        &self,
        par: f32,
        n: usize,
        out: &mut [f32],
        mut row: impl FnMut((f32, f32), (f32, f32), &mut [f32]),
    ) {
        let nf = n as f32;
        // The affine map of `to_picture`, with the rotation computed once per crop rather than
        // once per pixel (it was half the landmarker's cost).
        let (s, c) = self.angle.sin_cos();
        let local = |k: usize| ((k as f32 + 0.5) / nf - 0.5) * self.size;
        let step = (c * self.size / nf / par, s * self.size / nf);
        for (v, out_row) in out.chunks_exact_mut(n * 3).enumerate() {
            let (ly, lx) = (local(v), local(0));
            let start = ((self.cx - s * ly + c * lx) / par, self.cy + c * ly + s * lx);
            row(start, step, out_row);
        }
    }
}

/// How far a crop's target may move before [`Roi::follow`] moves the crop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoiDeadBand {
    /// Centre shift, crop sides.
    pub shift: f32,
    /// Size change, natural log of the ratio (0.02: 2 %).
    pub scale: f32,
    /// Rotation, radians.
    pub angle: f32,
}

/// `x` moved `by` towards zero, stopping at zero.
fn shrink_towards_zero(x: f32, by: f32) -> f32 {
    x.signum() * (x.abs() - by).max(0.0)
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

    /// Asserts that each crop pixel (u, v) of `out` (`n`x`n`x3, values 0..255) is `sample` at
    /// the picture point the crop maps its centre to, within 1e-2.
    fn assert_crop_samples(
        roi: &Roi,
        n: usize,
        out: &[f32],
        pixels: impl IntoIterator<Item = (usize, usize)>,
        sample: impl Fn(f32, f32) -> [f32; 3],
    ) {
        for (u, v) in pixels {
            let (x, y) = roi.to_picture(u as f32 + 0.5, v as f32 + 0.5, n as f32);
            let want = sample(x, y);
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
        let pixels = [(0, 0), (5, 17), (23, 23), (12, 3)];
        assert_crop_samples(&roi, n, &out, pixels, |x, y| bilinear(&img, x / 1.25, y));
    }

    #[test]
    fn a_crop_of_a_frame_view_samples_where_to_picture_points_in_every_chunk() {
        // An RGBx frame, a rotated crop reaching past its top-left corner, more than one chunk a
        // row.
        let img = RgbImage::from_fn(90, 70, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, 7]));
        let data: Vec<u8> = img.pixels().flat_map(|p| [p[0], p[1], p[2], 0]).collect();
        let layout = crate::video::Layout::Packed {
            pixel_stride: 4,
            offsets: [0, 1, 2],
        };
        let view = crate::video::FrameView::new(90, 70, layout, &[(&data, 90 * 4)]).unwrap();
        let roi = Roi {
            cx: 20.0,
            cy: 15.0,
            size: 50.0,
            angle: -0.3,
        };
        let n = 2 * crate::video::ROW_CHUNK + 7;
        let mut out = vec![0.0; n * n * 3];
        roi.crop_into(&view, 0.9, n, 0.0, 255.0, &mut out);
        let pixels = (0..n).flat_map(|v| (0..n).map(move |u| (u, v)));
        assert_crop_samples(&roi, n, &out, pixels, |x, y| view.sample(x / 0.9, y));
    }

    /// The crop as [`Roi::crop_into`] cut it before the fixed-point row kernels: every sample
    /// through [`RgbSource::sample_row`] in `f32`, then scaled (the reference the kernels are
    /// held to).
    #[allow(clippy::too_many_arguments)]
    fn crop_by_samples<S: RgbSource + ?Sized>(
        roi: &Roi,
        img: &S,
        par: f32,
        n: usize,
        lo: f32,
        hi: f32,
        out: &mut [f32],
    ) {
        let scale = (hi - lo) / 255.0;
        roi.for_each_row(par, n, out, |start, step, out_row| {
            crate::video::for_each_row_sample(img, start, step, n, |u, px| {
                let o = &mut out_row[3 * u..3 * u + 3];
                o[0] = lo + px[0] * scale;
                o[1] = lo + px[1] * scale;
                o[2] = lo + px[2] * scale;
            });
        });
    }

    /// A fixed LCG: uniform in 0..1.
    struct Lcg(u32);

    impl Lcg {
        fn next(&mut self) -> f32 {
            self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (self.0 >> 8) as f32 / (1u32 << 24) as f32
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| (self.next() * 256.0) as u8).collect()
        }
        fn range(&mut self, lo: f32, hi: f32) -> f32 {
            lo + (hi - lo) * self.next()
        }
    }

    /// The largest difference, in levels (1/255 of `hi - lo`), between [`Roi::crop_into`] and
    /// [`crop_by_samples`] on `img` over random crops: rotated, of any size, partly or wholly
    /// outside the picture, with pixel aspect ratios from 0.5 to 2 and output sides 1 to 130
    /// (more than two [`crate::video::ROW_CHUNK`]s).
    fn worst_crop_difference<S: RgbSource + ?Sized>(img: &S, seed: u32) -> f32 {
        let (w, h) = img.dimensions();
        let (w, h) = (w as f32, h as f32);
        let mut rng = Lcg(seed);
        let mut worst = 0.0f32;
        let ranges = [(0.0, 1.0), (-1.0, 1.0), (0.0, 255.0)];
        // The last 2x2 block of the picture, every tap inside: with 3-byte pixels and unpadded
        // rows, the packed kernel cannot read its four lanes past the end there.
        let corner = Roi {
            cx: w - 1.0,
            cy: h - 1.0,
            size: 0.8,
            angle: 0.0,
        };
        let mut got = [f32::NAN; 4 * 4 * 3];
        let mut want = [f32::NAN; 4 * 4 * 3];
        corner.crop_into(img, 1.0, 4, 0.0, 255.0, &mut got);
        crop_by_samples(&corner, img, 1.0, 4, 0.0, 255.0, &mut want);
        for (g, w) in got.iter().zip(&want) {
            worst = worst.max((g - w).abs());
        }
        for i in 0..60 {
            let par = [1.0, 0.9, 4.0 / 3.0, rng.range(0.5, 2.0)][i % 4];
            // Every third crop well inside (whole rows on the clamp-free path).
            let inside = i % 3 == 0;
            let (cx, cy, size) = if inside {
                let size = rng.range(2.0, 0.4 * w.min(h));
                (rng.range(0.4, 0.6) * w * par, rng.range(0.4, 0.6) * h, size)
            } else {
                (
                    rng.range(-0.3, 1.3) * w * par,
                    rng.range(-0.3, 1.3) * h,
                    rng.range(1.0, 1.5 * w.max(h)),
                )
            };
            let roi = Roi {
                cx,
                cy,
                size,
                angle: rng.range(-3.2, 3.2),
            };
            let n = [1, 7, 64, 65, 130, 192][i % 6];
            let (lo, hi) = ranges[i % 3];
            let mut got = vec![f32::NAN; n * n * 3];
            let mut want = vec![f32::NAN; n * n * 3];
            roi.crop_into(img, par, n, lo, hi, &mut got);
            crop_by_samples(&roi, img, par, n, lo, hi, &mut want);
            for (g, w) in got.iter().zip(&want) {
                let d = (g - w).abs() / ((hi - lo) / 255.0);
                assert!(d.is_finite(), "{roi:?} n {n}: {g} vs {w}");
                worst = worst.max(d);
            }
        }
        worst
    }

    #[test]
    fn crops_of_packed_frames_stay_within_a_tenth_of_a_level_of_the_per_sample_path() {
        let mut rng = Lcg(11);
        let (w, h) = (97, 75);
        for (pixel_stride, offsets, what) in [
            (4, [0, 1, 2], "RGBx"),
            (4, [2, 1, 0], "BGRx"),
            (4, [1, 2, 3], "xRGB"),
            (4, [3, 2, 1], "xBGR"),
            (3, [0, 1, 2], "RGB"),
            (3, [2, 1, 0], "BGR"),
            (6, [4, 2, 0], "6-byte pixels"),
        ] {
            let stride = w * pixel_stride + 5; // padded rows
            let data = rng.bytes(stride * h);
            let layout = crate::video::Layout::Packed {
                pixel_stride,
                offsets,
            };
            let view = crate::video::FrameView::new(w as u32, h as u32, layout, &[(&data, stride)])
                .unwrap();
            let worst = worst_crop_difference(&view, pixel_stride as u32);
            println!("{what}: largest difference {worst:.4} levels");
            assert!(worst < 0.1, "{what}: {worst} levels");
        }
        let img = RgbImage::from_raw(w as u32, h as u32, rng.bytes(w * h * 3)).unwrap();
        let worst = worst_crop_difference(&img, 5);
        println!("RgbImage: largest difference {worst:.4} levels");
        assert!(worst < 0.1, "RgbImage: {worst} levels");
    }

    #[test]
    fn crops_of_i420_and_nv12_frames_stay_within_a_quarter_of_a_level_of_the_per_sample_path() {
        use crate::video::{FrameView, Layout, YuvMatrix};
        let mut rng = Lcg(12);
        // Odd and even sizes (chroma planes ceil(w / 2) x ceil(h / 2)), padded strides.
        for (w, h) in [(97usize, 75usize), (1280, 720)] {
            let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
            let luma = rng.bytes((w + 3) * h);
            let (u, v) = (rng.bytes((cw + 1) * ch), rng.bytes((cw + 7) * ch));
            let uv = rng.bytes((2 * cw + 2) * ch);
            for m in [
                YuvMatrix::BT601,
                YuvMatrix::BT709,
                YuvMatrix::BT709.full(),
                YuvMatrix::BT2020,
            ] {
                let (wu, hu) = (w as u32, h as u32);
                let planes = [(&luma[..], w + 3), (&u[..], cw + 1), (&v[..], cw + 7)];
                let i420 = FrameView::new(wu, hu, Layout::I420(m), &planes).unwrap();
                let planes = [(&luma[..], w + 3), (&uv[..], 2 * cw + 2)];
                let nv12 = FrameView::new(wu, hu, Layout::Nv12(m), &planes).unwrap();
                for (view, what) in [(i420, "I420"), (nv12, "NV12")] {
                    let worst = worst_crop_difference(&view, w as u32);
                    println!("{what} {w}x{h} {m:?}: largest difference {worst:.4} levels");
                    assert!(worst < 0.25, "{what} {w}x{h} {m:?}: {worst} levels");
                }
            }
        }
    }

    const BAND: RoiDeadBand = RoiDeadBand {
        shift: 0.02,
        scale: 0.02,
        angle: 0.01,
    };

    fn crop() -> Roi {
        Roi {
            cx: 100.0,
            cy: 80.0,
            size: 200.0,
            angle: 0.1,
        }
    }

    #[test]
    fn a_crop_stays_put_while_its_target_trembles_within_the_dead_band() {
        let c = crop();
        for (dx, dy, ds, da) in [(3.0, -2.0, 1.01, 0.005), (-2.5, 2.5, 0.99, -0.009)] {
            let target = Roi {
                cx: c.cx + dx,
                cy: c.cy + dy,
                size: c.size * ds,
                angle: c.angle + da,
            };
            assert_eq!(c.follow(&target, &BAND), c, "{target:?}");
        }
    }

    #[test]
    fn a_crop_follows_a_moving_target_lagging_by_the_dead_band() {
        let c = crop();
        let target = Roi {
            cx: c.cx + 30.0,
            cy: c.cy - 40.0,
            size: c.size * 1.5,
            angle: c.angle - 0.3,
        };
        let f = c.follow(&target, &BAND);
        // 50 px away; the crop stops 0.02 * 200 = 4 px short, on the line to the target.
        let (dx, dy) = (target.cx - f.cx, target.cy - f.cy);
        assert!(((dx * dx + dy * dy).sqrt() - 4.0).abs() < 1e-3, "{f:?}");
        assert!((dx * 40.0 + dy * 30.0).abs() < 1e-3, "on the line: {f:?}");
        assert!(((target.size / f.size).ln() - 0.02).abs() < 1e-4, "{f:?}");
        assert!((f.angle - (target.angle + 0.01)).abs() < 1e-5, "{f:?}");
        // Following again from there does not move it: the target is on the band's edge.
        let g = f.follow(&target, &BAND);
        assert!(
            (g.cx - f.cx).abs() < 1e-3 && (g.size - f.size).abs() < 1e-2,
            "{g:?}"
        );
    }

    #[test]
    fn a_crop_turns_the_short_way_across_the_half_turn() {
        let c = Roi {
            angle: 3.1,
            ..crop()
        };
        let target = Roi {
            angle: -3.1,
            ..crop()
        };
        // From 3.1 to -3.1 rad is 0.083 rad anticlockwise through pi, not 6.2 rad back.
        let f = c.follow(&target, &BAND);
        let turned = f.angle - c.angle;
        assert!(
            (turned - (std::f32::consts::TAU - 6.2 - 0.01)).abs() < 1e-4,
            "{turned}"
        );
    }
}
