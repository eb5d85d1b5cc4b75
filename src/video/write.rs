//! Writing RGB renderings into output frames: a rectangle at a time ([`write_rect`]), and the
//! avatar's static canvas converted once into the output layout ([`Canvas`]) and copied whole.

use image::RgbImage;

use super::rect::Rect;
use super::yuv::q;
use super::{FrameViewMut, Layout, PlaneError};

/// What [`write_rect`] does with a rendering's alpha (the avatar's size, its R channel read: see
/// [`crate::avatar::AvatarModel::alpha`]).
#[derive(Debug, Clone, Copy)]
pub enum AlphaOut<'a> {
    /// No alpha: a packed layout's fourth byte (alpha or padding) gets 255.
    Opaque,
    /// Written into a packed layout's fourth byte, straight (colours not premultiplied), as
    /// GStreamer's RGBA formats are.
    Straight(&'a RgbImage),
    /// The output cannot carry it: the colours are composited over white (as an avatar picture
    /// without `alpha` is), the fourth byte, if any, gets 255.
    OverWhite(&'a RgbImage),
}

/// Writes the pixels of `rect` of `src` into `out` at the same place, converted to its layout,
/// with `alpha` as [`AlphaOut`] says. 4:2:0 layouts write `rect` grown to even bounds; each
/// chroma sample is the mean chroma of its 2x2 block.
///
/// `src`, the alpha and `out` must be the same size (an alpha of another size is ignored); the
/// rectangle is clipped to it.
pub fn write_rect(src: &RgbImage, alpha: AlphaOut, rect: Rect, out: &mut FrameViewMut<'_>) {
    let (w, h) = out.dimensions();
    debug_assert_eq!(src.dimensions(), (w, h));
    let r = Rect {
        x0: rect.x0.min(w),
        y0: rect.y0.min(h),
        x1: rect.x1.min(w).min(src.width()),
        y1: rect.y1.min(h).min(src.height()),
    };
    if r.is_empty() {
        return;
    }
    let sw = src.width() as usize * 3;
    let (alpha, over_white) = match alpha {
        AlphaOut::Opaque => (None, None),
        AlphaOut::Straight(a) => (Some(a), None),
        AlphaOut::OverWhite(a) => (None, Some(a)),
    };
    let fits = |a: &&RgbImage| a.dimensions() == src.dimensions();
    let (alpha, over_white) = (alpha.filter(fits), over_white.filter(fits));
    let flattened;
    let raw = match over_white {
        Some(a) => {
            flattened = composite_rect_over_white(src, a, r);
            &flattened
        }
        None => src.as_raw(),
    };
    let strides = out.strides;
    match out.layout {
        Layout::Packed {
            pixel_stride,
            offsets,
        } => {
            let fourth = (0..pixel_stride).find(|o| !offsets.contains(o));
            let plane = &mut *out.planes[0];
            for y in r.y0 as usize..r.y1 as usize {
                let line = &mut plane[y * strides[0]..];
                let srow = &raw[y * sw..(y + 1) * sw];
                let arow = alpha.map(|a| &a.as_raw()[y * sw..(y + 1) * sw]);
                for x in r.x0 as usize..r.x1 as usize {
                    let d = &mut line[x * pixel_stride..(x + 1) * pixel_stride];
                    let s = &srow[x * 3..x * 3 + 3];
                    d[offsets[0]] = s[0];
                    d[offsets[1]] = s[1];
                    d[offsets[2]] = s[2];
                    if let Some(f) = fourth {
                        d[f] = arow.map_or(255, |a| a[x * 3]);
                    }
                }
            }
        }
        Layout::I420(m) | Layout::Nv12(m) => {
            let r = r.to_even(w, h);
            let nv12 = matches!(out.layout, Layout::Nv12(_));
            let (luma, chroma) = out.planes.split_at_mut(1);
            let luma = &mut *luma[0];
            for by in (r.y0 as usize..r.y1 as usize).step_by(2) {
                for bx in (r.x0 as usize..r.x1 as usize).step_by(2) {
                    let (mut u, mut v, mut n) = (0.0f32, 0.0f32, 0.0f32);
                    for y in by..(by + 2).min(h as usize) {
                        for x in bx..(bx + 2).min(w as usize) {
                            let s = &raw[y * sw + x * 3..y * sw + x * 3 + 3];
                            let [yy, cb, cr] =
                                m.from_rgb_unrounded([s[0] as f32, s[1] as f32, s[2] as f32]);
                            luma[y * strides[0] + x] = q(yy);
                            u += cb;
                            v += cr;
                            n += 1.0;
                        }
                    }
                    let (cx, cy) = (bx / 2, by / 2);
                    if nv12 {
                        let i = cy * strides[1] + cx * 2;
                        chroma[0][i] = q(u / n);
                        chroma[0][i + 1] = q(v / n);
                    } else {
                        chroma[0][cy * strides[1] + cx] = q(u / n);
                        chroma[1][cy * strides[2] + cx] = q(v / n);
                    }
                }
            }
        }
    }
}

/// `src`'s raw bytes with the pixels of `rect` composited over white by `alpha`'s R channel
/// (c a + 255 (1 - a), rounded); the rest copied. Allocates: used only where the output cannot
/// carry the alpha (a warning says so), not in the usual paths.
fn composite_rect_over_white(src: &RgbImage, alpha: &RgbImage, rect: Rect) -> Vec<u8> {
    let mut out = src.as_raw().clone();
    let sw = src.width() as usize * 3;
    let a = alpha.as_raw();
    for y in rect.y0 as usize..rect.y1 as usize {
        for i in y * sw + rect.x0 as usize * 3..y * sw + rect.x1 as usize * 3 {
            let (c, a) = (u32::from(out[i]), u32::from(a[i - i % 3]));
            out[i] = ((c * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

/// A picture converted once into an output layout, with tight strides: the avatar's static
/// canvas, copied into every output frame before the changed rectangle is written over it.
#[derive(Debug, Clone, PartialEq)]
pub struct Canvas {
    width: u32,
    height: u32,
    layout: Layout,
    planes: Vec<Vec<u8>>,
    strides: Vec<usize>,
}

impl Canvas {
    /// `picture` (with `alpha`, see [`write_rect`]) in `layout`.
    pub fn new(picture: &RgbImage, alpha: AlphaOut, layout: Layout) -> Canvas {
        let (w, h) = picture.dimensions();
        let shapes = &layout.plane_shapes(w, h)[..layout.planes()];
        let mut planes: Vec<Vec<u8>> = shapes.iter().map(|(s, r)| vec![0u8; s * r]).collect();
        let strides: Vec<usize> = shapes.iter().map(|(s, _)| *s).collect();
        {
            let views = planes
                .iter_mut()
                .zip(&strides)
                .map(|(p, s)| (&mut p[..], *s));
            let mut view =
                FrameViewMut::new(w, h, layout, views).expect("planes sized for the layout");
            write_rect(picture, alpha, Rect::full(w, h), &mut view);
        }
        Canvas {
            width: w,
            height: h,
            layout,
            planes,
            strides,
        }
    }

    /// Width, height and layout.
    pub fn format(&self) -> (u32, u32, Layout) {
        (self.width, self.height, self.layout)
    }

    /// Copies the canvas into `out` row by row (any strides). Errors when `out` has another size
    /// or layout.
    pub fn copy_to(&self, out: &mut FrameViewMut<'_>) -> Result<(), PlaneError> {
        if (out.width, out.height, out.layout) != (self.width, self.height, self.layout) {
            return Err(PlaneError(format!(
                "canvas {}x{} {:?} cannot fill a {}x{} {:?} frame",
                self.width, self.height, self.layout, out.width, out.height, out.layout
            )));
        }
        for (k, (plane, &stride)) in self.planes.iter().zip(&self.strides).enumerate() {
            let dst_stride = out.strides[k];
            let dst = &mut *out.planes[k];
            for (row, src) in plane.chunks_exact(stride).enumerate() {
                dst[row * dst_stride..row * dst_stride + stride].copy_from_slice(src);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::{RgbSource, YuvMatrix};

    fn picture(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 30 + 5) as u8,
                (y * 40 + 10) as u8,
                ((x * y) % 200) as u8,
            ])
        })
    }

    /// Owned planes for a `w` x `h` frame in `layout`, rows padded by 3 bytes.
    fn planes(w: usize, h: usize, layout: Layout) -> Vec<(Vec<u8>, usize)> {
        layout.plane_shapes(w as u32, h as u32)[..layout.planes()]
            .iter()
            .map(|(row, rows)| (vec![0u8; (row + 3) * rows], row + 3))
            .collect()
    }

    fn frame<'a>(
        w: u32,
        h: u32,
        layout: Layout,
        p: &'a mut [(Vec<u8>, usize)],
    ) -> FrameViewMut<'a> {
        let views = p.iter_mut().map(|(d, s)| (&mut d[..], *s));
        FrameViewMut::new(w, h, layout, views).unwrap()
    }

    #[test]
    fn packed_round_trip_is_exact_and_sets_the_fourth_byte() {
        let pic = picture(7, 5);
        let layout = Layout::Packed {
            pixel_stride: 4,
            offsets: [3, 2, 1],
        };
        let mut p = planes(7, 5, layout);
        let mut out = frame(7, 5, layout, &mut p);
        write_rect(&pic, AlphaOut::Opaque, Rect::full(7, 5), &mut out);
        assert_eq!(out.as_view().to_rgb_image(), pic);
        assert_eq!(p[0].0[0], 255, "xBGR: the first byte is the padding");
    }

    #[test]
    fn alpha_reaches_the_alpha_byte_of_each_packed_layout_and_only_inside_the_rectangle() {
        let pic = picture(6, 4);
        let alpha = RgbImage::from_fn(6, 4, |x, y| {
            let a = (x * 40 + y) as u8;
            image::Rgb([a, a, a])
        });
        // RGBA, BGRA, ARGB, ABGR.
        for (offsets, a_at) in [
            ([0, 1, 2], 3),
            ([2, 1, 0], 3),
            ([1, 2, 3], 0),
            ([3, 2, 1], 0),
        ] {
            let layout = Layout::Packed {
                pixel_stride: 4,
                offsets,
            };
            let canvas = Canvas::new(&pic, AlphaOut::Straight(&alpha), layout);
            let mut p = planes(6, 4, layout);
            let mut out = frame(6, 4, layout, &mut p);
            canvas.copy_to(&mut out).unwrap();
            assert_eq!(out.as_view().to_rgb_image(), pic, "{offsets:?}");
            let stride = p[0].1;
            for y in 0..4 {
                for x in 0..6 {
                    assert_eq!(
                        p[0].0[y * stride + x * 4 + a_at],
                        alpha.get_pixel(x as u32, y as u32)[0],
                        "{offsets:?} ({x}, {y})"
                    );
                }
            }
            // An opaque rectangle written over it changes the alpha there only.
            let opaque = RgbImage::from_pixel(6, 4, image::Rgb([255; 3]));
            let mut out = frame(6, 4, layout, &mut p);
            let rect = Rect {
                x0: 1,
                y0: 1,
                x1: 3,
                y1: 2,
            };
            write_rect(&pic, AlphaOut::Straight(&opaque), rect, &mut out);
            for y in 0..4u32 {
                for x in 0..6u32 {
                    let inside = (1..3).contains(&x) && y == 1;
                    let want = if inside {
                        255
                    } else {
                        alpha.get_pixel(x, y)[0]
                    };
                    assert_eq!(p[0].0[y as usize * stride + x as usize * 4 + a_at], want);
                }
            }
        }
    }

    #[test]
    fn yuv_round_trip_keeps_flat_areas_and_only_the_rectangle_changes() {
        let m = YuvMatrix::BT709;
        for layout in [Layout::I420(m), Layout::Nv12(m.full())] {
            let flat = RgbImage::from_pixel(9, 7, image::Rgb([180, 90, 40]));
            let canvas = Canvas::new(&flat, AlphaOut::Opaque, layout);
            let mut p = planes(9, 7, layout);
            let mut out = frame(9, 7, layout, &mut p);
            canvas.copy_to(&mut out).unwrap();
            let back = out.as_view().to_rgb_image();
            for px in back.pixels() {
                for c in 0..3 {
                    assert!(
                        (px[c] as i32 - [180, 90, 40][c]).abs() <= 2,
                        "{layout:?} {px:?}"
                    );
                }
            }
            // A grey square over (2..6, 2..6), written through the rectangle (3..5, 3..5): the
            // rectangle grows to the chroma blocks it touches and nothing outside them changes.
            let mut changed = flat.clone();
            for y in 2..6 {
                for x in 2..6 {
                    changed.put_pixel(x, y, image::Rgb([128, 128, 128]));
                }
            }
            write_rect(
                &changed,
                AlphaOut::Opaque,
                Rect {
                    x0: 3,
                    y0: 3,
                    x1: 5,
                    y1: 5,
                },
                &mut out,
            );
            let view = out.as_view();
            let after = view.to_rgb_image();
            for (x, y, px) in after.enumerate_pixels() {
                let inside = (2..6).contains(&x) && (2..6).contains(&y);
                if !inside {
                    assert_eq!(px, back.get_pixel(x, y), "({x}, {y}) outside the rectangle");
                }
            }
            let g = view.sample(4.0, 4.0);
            assert!(
                g.iter().all(|c| (c - 128.0).abs() < 3.0),
                "{layout:?} {g:?}"
            );
        }
    }

    #[test]
    fn an_alpha_the_output_cannot_carry_is_composited_over_white() {
        let pic = RgbImage::from_pixel(4, 2, image::Rgb([20, 100, 200]));
        let alpha = RgbImage::from_fn(4, 2, |x, _| {
            let a = [0, 128, 255, 255][x as usize];
            image::Rgb([a, a, a])
        });
        let layout = Layout::Packed {
            pixel_stride: 3,
            offsets: [0, 1, 2],
        };
        let canvas = Canvas::new(&pic, AlphaOut::OverWhite(&alpha), layout);
        let mut p = planes(4, 2, layout);
        let mut out = frame(4, 2, layout, &mut p);
        canvas.copy_to(&mut out).unwrap();
        let back = out.as_view().to_rgb_image();
        assert_eq!(
            back.get_pixel(0, 0).0,
            [255, 255, 255],
            "transparent: white"
        );
        assert_eq!(
            back.get_pixel(1, 0).0,
            [137, 177, 227],
            "half: blended with white"
        );
        assert_eq!(back.get_pixel(2, 1).0, [20, 100, 200], "opaque: its colour");
    }

    #[test]
    fn a_canvas_refuses_a_frame_of_another_size_or_layout() {
        let pic = picture(4, 4);
        let canvas = Canvas::new(&pic, AlphaOut::Opaque, Layout::I420(YuvMatrix::BT601));
        let mut p = planes(4, 2, Layout::I420(YuvMatrix::BT601));
        let mut out = frame(4, 2, Layout::I420(YuvMatrix::BT601), &mut p);
        assert!(canvas.copy_to(&mut out).is_err());
    }
}
