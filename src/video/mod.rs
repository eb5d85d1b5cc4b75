//! Video frames as the engine reads and writes them, without GStreamer: borrowed planes of packed
//! RGB, I420 or NV12 frames ([`FrameView`], [`FrameViewMut`]), read by bilinear sampling where the
//! models and the mouth need them ([`RgbSource`]), so that an actor frame is never converted
//! whole, and written back only where the avatar changed ([`write`]).

pub mod rect;
pub mod write;
pub mod yuv;

use image::RgbImage;

use crate::sampling::bilinear;
pub use rect::Rect;
pub use yuv::YuvMatrix;

/// A colour picture that can be sampled anywhere: what the face models' crops, the skin colour
/// and the mouth interior read from the actor frame.
///
/// Coordinates are the picture's own pixels, pixel (i, j) covering [i, i+1) x [j, j+1); positions
/// outside are clamped to the border. Values are R, G, B in 0..255.
pub trait RgbSource {
    /// Width and height, pixels.
    fn dimensions(&self) -> (u32, u32);
    /// Bilinear sample at (`x`, `y`).
    fn sample(&self, x: f32, y: f32) -> [f32; 3];
}

impl RgbSource for RgbImage {
    fn dimensions(&self) -> (u32, u32) {
        RgbImage::dimensions(self)
    }

    #[inline(always)]
    fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        bilinear(self, x, y)
    }
}

/// The memory layout of a frame's planes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Layout {
    /// One plane of `pixel_stride`-byte pixels (3 or 4) with R, G and B at byte `offsets`
    /// (RGBx, BGRx, xRGB, RGBA, ..., RGB, BGR).
    Packed {
        /// Bytes per pixel.
        pixel_stride: usize,
        /// Byte offsets of R, G, B within a pixel.
        offsets: [usize; 3],
    },
    /// Planar 4:2:0: a Y plane and quarter-size U (Cb) and V (Cr) planes, in that order.
    I420(YuvMatrix),
    /// Semi-planar 4:2:0: a Y plane and a quarter-size plane of interleaved Cb, Cr pairs.
    Nv12(YuvMatrix),
}

impl Layout {
    /// Bytes per row and rows of each plane of a `width` x `height` frame, tightly packed, in
    /// plane order; (0, 0) past the last plane. 4:2:0 chroma planes are ceil(width / 2) x
    /// ceil(height / 2).
    pub fn plane_shapes(&self, width: u32, height: u32) -> [(usize, usize); 3] {
        let (w, h) = (width as usize, height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        match self {
            Layout::Packed { pixel_stride, .. } => [(w * pixel_stride, h), (0, 0), (0, 0)],
            Layout::I420(_) => [(w, h), (cw, ch), (cw, ch)],
            Layout::Nv12(_) => [(w, h), (2 * cw, ch), (0, 0)],
        }
    }

    /// Number of planes.
    pub fn planes(&self) -> usize {
        match self {
            Layout::Packed { .. } => 1,
            Layout::I420(_) => 3,
            Layout::Nv12(_) => 2,
        }
    }
}

/// Errors of [`FrameView::new`] and [`FrameViewMut::new`]: the planes do not fit the layout.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaneError(pub String);

impl std::fmt::Display for PlaneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that `planes` (data, stride) hold a `width` x `height` frame of `layout`; 4:2:0 chroma
/// planes are ceil(width / 2) x ceil(height / 2).
fn check_planes(
    layout: &Layout,
    width: u32,
    height: u32,
    planes: &[(usize, usize)],
) -> Result<(), PlaneError> {
    // Everything here is on the stack: it runs twice per frame.
    if width == 0 || height == 0 {
        return Err(PlaneError(format!("empty frame {width}x{height}")));
    }
    if planes.len() != layout.planes() {
        return Err(PlaneError(format!(
            "{} planes given, {layout:?} has {}",
            planes.len(),
            layout.planes()
        )));
    }
    let need = layout.plane_shapes(width, height);
    for (k, (&(len, stride), (row, rows))) in planes.iter().zip(need).enumerate() {
        if stride < row || len < stride * (rows - 1) + row {
            return Err(PlaneError(format!(
                "plane {k}: {len} bytes with stride {stride} cannot hold {rows} rows of {row} bytes"
            )));
        }
    }
    Ok(())
}

/// A borrowed video frame (an actor frame as GStreamer maps it), read without converting it.
#[derive(Debug, Clone, Copy)]
pub struct FrameView<'a> {
    width: u32,
    height: u32,
    layout: Layout,
    planes: [&'a [u8]; 3],
    strides: [usize; 3],
}

impl<'a> FrameView<'a> {
    /// A view of `width` x `height` pixels in `layout`, its planes given as (data, stride in
    /// bytes) in the layout's plane order.
    ///
    /// Errors: a plane too short for its rows or a wrong number of planes.
    pub fn new(
        width: u32,
        height: u32,
        layout: Layout,
        planes: &[(&'a [u8], usize)],
    ) -> Result<Self, PlaneError> {
        let mut sizes = [(0usize, 0usize); 3];
        for (k, (d, st)) in planes.iter().enumerate().take(3) {
            sizes[k] = (d.len(), *st);
        }
        check_planes(&layout, width, height, &sizes[..planes.len().min(3)])?;
        if planes.len() > 3 {
            return Err(PlaneError(format!(
                "{} planes given, at most 3",
                planes.len()
            )));
        }
        let mut p: [&'a [u8]; 3] = [&[]; 3];
        let mut s = [0usize; 3];
        for (k, (d, st)) in planes.iter().enumerate() {
            p[k] = d;
            s[k] = *st;
        }
        Ok(FrameView {
            width,
            height,
            layout,
            planes: p,
            strides: s,
        })
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The frame converted whole to RGB (for tests, tools and the rare full-frame need).
    pub fn to_rgb_image(&self) -> RgbImage {
        RgbImage::from_fn(self.width, self.height, |x, y| {
            image::Rgb(self.pixel(x as usize, y as usize).map(yuv::q))
        })
    }

    /// R, G, B of pixel (`x`, `y`) (chroma of 4:2:0 frames taken from its 2x2 block).
    #[inline]
    pub fn pixel(&self, x: usize, y: usize) -> [f32; 3] {
        match self.layout {
            Layout::Packed {
                pixel_stride,
                offsets,
            } => {
                let i = y * self.strides[0] + x * pixel_stride;
                let p = &self.planes[0][i..i + pixel_stride];
                [
                    p[offsets[0]] as f32,
                    p[offsets[1]] as f32,
                    p[offsets[2]] as f32,
                ]
            }
            Layout::I420(m) => {
                let c = (y / 2) * self.strides[1] + x / 2;
                let c2 = (y / 2) * self.strides[2] + x / 2;
                m.to_rgb(
                    self.planes[0][y * self.strides[0] + x] as f32,
                    self.planes[1][c] as f32,
                    self.planes[2][c2] as f32,
                )
            }
            Layout::Nv12(m) => {
                let c = (y / 2) * self.strides[1] + (x / 2) * 2;
                m.to_rgb(
                    self.planes[0][y * self.strides[0] + x] as f32,
                    self.planes[1][c] as f32,
                    self.planes[1][c + 1] as f32,
                )
            }
        }
    }
}

/// Bilinear taps of a `w` x `h` plane at continuous position (`x`, `y`) (pixel-centre convention,
/// clamped to the border): the column and row of the top-left tap, the column and row steps to
/// the right and bottom taps (0 at the last column or row), and the fractional weights. Shared
/// with [`crate::sampling::bilinear`].
#[inline(always)]
pub(crate) fn taps(w: usize, h: usize, x: f32, y: f32) -> (usize, usize, usize, usize, f32, f32) {
    let fx = (x - 0.5).clamp(0.0, (w - 1) as f32);
    let fy = (y - 0.5).clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (fx as usize, fy as usize);
    let dx = usize::from(x0 + 1 < w);
    let dy = usize::from(y0 + 1 < h);
    (x0, y0, dx, dy, fx - x0 as f32, fy - y0 as f32)
}

/// Bilinear sample of one byte channel: `plane` with row `stride`, pixels `step` bytes apart,
/// the channel at byte `offset`, `w` x `h` samples.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn plane_sample(
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
    let top = plane[i] as f32 + (plane[j] as f32 - plane[i] as f32) * ax;
    let bottom = plane[k] as f32 + (plane[l] as f32 - plane[k] as f32) * ax;
    top + (bottom - top) * ay
}

impl RgbSource for FrameView<'_> {
    fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Packed frames: bilinear per channel. 4:2:0 frames: luma bilinear at (`x`, `y`), chroma
    /// bilinear at (`x`/2, `y`/2) in the chroma plane (chroma sited at the centre of its 2x2
    /// block), then converted with the frame's matrix.
    #[inline]
    fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let (w, h) = (self.width as usize, self.height as usize);
        match self.layout {
            Layout::Packed {
                pixel_stride,
                offsets,
            } => {
                let (x0, y0, dx, dy, ax, ay) = taps(w, h, x, y);
                let p = self.planes[0];
                let i = y0 * self.strides[0] + x0 * pixel_stride;
                let (j, k) = (i + dx * pixel_stride, i + dy * self.strides[0]);
                let l = k + dx * pixel_stride;
                let mut out = [0.0f32; 3];
                for c in 0..3 {
                    let o = offsets[c];
                    let (a, b) = (p[i + o] as f32, p[j + o] as f32);
                    let (d, e) = (p[k + o] as f32, p[l + o] as f32);
                    let top = a + (b - a) * ax;
                    let bottom = d + (e - d) * ax;
                    out[c] = top + (bottom - top) * ay;
                }
                out
            }
            Layout::I420(m) => {
                let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
                let luma = plane_sample(self.planes[0], self.strides[0], 1, 0, w, h, x, y);
                let (cx, cy) = (x / 2.0, y / 2.0);
                let u = plane_sample(self.planes[1], self.strides[1], 1, 0, cw, ch, cx, cy);
                let v = plane_sample(self.planes[2], self.strides[2], 1, 0, cw, ch, cx, cy);
                m.to_rgb(luma, u, v)
            }
            Layout::Nv12(m) => {
                let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
                let luma = plane_sample(self.planes[0], self.strides[0], 1, 0, w, h, x, y);
                let (cx, cy) = (x / 2.0, y / 2.0);
                let u = plane_sample(self.planes[1], self.strides[1], 2, 0, cw, ch, cx, cy);
                let v = plane_sample(self.planes[1], self.strides[1], 2, 1, cw, ch, cx, cy);
                m.to_rgb(luma, u, v)
            }
        }
    }
}

/// A mutably borrowed video frame (an output buffer as GStreamer maps it).
#[derive(Debug)]
pub struct FrameViewMut<'a> {
    width: u32,
    height: u32,
    layout: Layout,
    planes: [&'a mut [u8]; 3],
    strides: [usize; 3],
}

impl<'a> FrameViewMut<'a> {
    /// As [`FrameView::new`], writable: the layout's planes in order, as (data, stride).
    pub fn new(
        width: u32,
        height: u32,
        layout: Layout,
        planes: impl IntoIterator<Item = (&'a mut [u8], usize)>,
    ) -> Result<Self, PlaneError> {
        let mut data: [&'a mut [u8]; 3] = [&mut [], &mut [], &mut []];
        let mut strides = [0usize; 3];
        let mut sizes = [(0usize, 0usize); 3];
        let mut n = 0;
        for (d, st) in planes {
            if n == 3 {
                return Err(PlaneError("more than 3 planes given".into()));
            }
            sizes[n] = (d.len(), st);
            strides[n] = st;
            data[n] = d;
            n += 1;
        }
        check_planes(&layout, width, height, &sizes[..n])?;
        Ok(FrameViewMut {
            width,
            height,
            layout,
            planes: data,
            strides,
        })
    }

    /// Width and height, pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The same frame, read-only.
    pub fn as_view(&self) -> FrameView<'_> {
        let planes: [&[u8]; 3] = [self.planes[0], self.planes[1], self.planes[2]];
        FrameView {
            width: self.width,
            height: self.height,
            layout: self.layout,
            planes,
            strides: self.strides,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 6x4 test picture with distinct colours.
    fn picture() -> RgbImage {
        RgbImage::from_fn(6, 4, |x, y| {
            image::Rgb([
                (x * 40 + 10) as u8,
                (y * 60 + 20) as u8,
                ((x + y) * 25) as u8,
            ])
        })
    }

    #[test]
    fn packed_views_sample_like_the_rgb_picture_in_every_byte_order() {
        let pic = picture();
        for (pixel_stride, offsets) in [
            (4, [0, 1, 2]),
            (4, [2, 1, 0]),
            (4, [1, 2, 3]),
            (3, [2, 1, 0]),
        ] {
            let stride = 6 * pixel_stride + 5; // padded rows
            let mut data = vec![7u8; stride * 4];
            for (x, y, p) in pic.enumerate_pixels() {
                for c in 0..3 {
                    data[y as usize * stride + x as usize * pixel_stride + offsets[c]] = p[c];
                }
            }
            let layout = Layout::Packed {
                pixel_stride,
                offsets,
            };
            let view = FrameView::new(6, 4, layout, &[(&data, stride)]).unwrap();
            assert_eq!(view.to_rgb_image(), pic);
            for &(x, y) in &[(0.5, 0.5), (2.25, 1.75), (5.9, 3.9), (-3.0, 10.0)] {
                assert_eq!(
                    view.sample(x, y),
                    pic.sample(x, y),
                    "{layout:?} at ({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn i420_and_nv12_views_decode_flat_colours_and_agree_with_each_other() {
        // A 5x3 frame (odd sizes: chroma planes 3x2) of one colour.
        let m = YuvMatrix::BT601;
        let [y, u, v] = m.from_rgb([200.0, 60.0, 120.0]);
        let luma = vec![y; 5 * 3];
        let (cu, cv) = (vec![u; 3 * 2], vec![v; 3 * 2]);
        let uv: Vec<u8> = (0..6).flat_map(|_| [u, v]).collect();
        let i420 =
            FrameView::new(5, 3, Layout::I420(m), &[(&luma, 5), (&cu, 3), (&cv, 3)]).unwrap();
        let nv12 = FrameView::new(5, 3, Layout::Nv12(m), &[(&luma, 5), (&uv, 6)]).unwrap();
        for &(x, yy) in &[(0.5, 0.5), (4.5, 2.5), (2.2, 1.3)] {
            let a = i420.sample(x, yy);
            assert_eq!(a, nv12.sample(x, yy));
            for (c, want) in a.iter().zip([200.0, 60.0, 120.0]) {
                assert!((c - want).abs() < 2.0, "{a:?}");
            }
        }
    }

    #[test]
    fn planes_too_small_for_the_frame_are_refused() {
        let data = vec![0u8; 10];
        let layout = Layout::Packed {
            pixel_stride: 4,
            offsets: [0, 1, 2],
        };
        assert!(FrameView::new(2, 2, layout, &[(&data, 8)]).is_err());
        assert!(FrameView::new(2, 2, Layout::I420(YuvMatrix::BT601), &[(&data, 2)]).is_err());
        assert!(FrameView::new(2, 1, layout, &[(&data, 8)]).is_ok());
    }
}
