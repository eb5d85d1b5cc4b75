//! Video frames as the engine reads and writes them, without GStreamer: borrowed planes of packed
//! RGB, I420 or NV12 frames ([`FrameView`], [`FrameViewMut`]), read by bilinear sampling where the
//! models and the mouth need them ([`RgbSource`]), so that an actor frame is never converted
//! whole, and written back only where the avatar changed ([`write`]).

mod crop;
pub mod rect;
pub mod write;
pub mod yuv;

use image::RgbImage;

use crate::sampling::{
    bilinear, bilinear_span, blend, inside_taps, plane_sample, taps, taps_inside,
};
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

    /// `out.len()` bilinear samples along a line, in the coordinates of [`RgbSource::sample`]:
    /// sample k (from 0) at (`x` + k `step_x`, `y` + k `step_y`), pixels, computed in `f32` as
    /// [`row_position`] does; each the value [`RgbSource::sample`] gives there (within 1e-4).
    ///
    /// One call per row of a crop instead of one per pixel: sources override it to choose their
    /// sampling code once per row (the default calls [`RgbSource::sample`] for each).
    fn sample_row(&self, x: f32, y: f32, step_x: f32, step_y: f32, out: &mut [[f32; 3]]) {
        for (k, o) in out.iter_mut().enumerate() {
            let (px, py) = row_position(x, y, step_x, step_y, k);
            *o = self.sample(px, py);
        }
    }

    /// A row of a model-input crop: `out.len() / 3` samples along a line, placed as
    /// [`RgbSource::sample_row`] places them (sample k at (`x` + k `step_x`, `y` + k `step_y`),
    /// pixels), written as `f32` tensor values: `out[3 k + c]` = `lo` + `scale` * channel c (R,
    /// G, B) of sample k.
    ///
    /// Each value is within 0.25 of a level (0.25 `scale`) of [`RgbSource::sample`]'s there. The
    /// default goes through [`RgbSource::sample_row`]; the frame views and RGB pictures step the
    /// positions in fixed point, blend with 12-bit weights and write straight into `out` (see
    /// `src/video/crop.rs`).
    fn crop_row(
        &self,
        (x, y): (f32, f32),
        (step_x, step_y): (f32, f32),
        (lo, scale): (f32, f32),
        out: &mut [f32],
    ) {
        crop::crop_row_by_samples(self, (x, y), (step_x, step_y), (lo, scale), out)
    }

    /// Samples along a line into packed 8-bit RGB: pixel `k` of `out` (3 bytes a pixel) gets the
    /// sample at (`x` + k `dx`, `y` + k `dy`), rounded to the nearest level and clamped to 0..255.
    ///
    /// The row loop of an opaque warp; a picture can override it with a faster equivalent (8-bit
    /// results may then differ by one level from rounding).
    fn sample_span(&self, x: f32, y: f32, dx: f32, dy: f32, out: &mut [u8]) {
        for (k, px) in out.chunks_exact_mut(3).enumerate() {
            let (px_x, px_y) = row_position(x, y, dx, dy, k);
            let s = self.sample(px_x, px_y);
            for ch in 0..3 {
                px[ch] = (s[ch] + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// Position of sample `k` of [`RgbSource::sample_row`] from (`x`, `y`) in steps of (`step_x`,
/// `step_y`): (`x` + k `step_x`, `y` + k `step_y`), pixels.
#[inline(always)]
pub fn row_position(x: f32, y: f32, step_x: f32, step_y: f32, k: usize) -> (f32, f32) {
    let k = k as f32;
    (x + k * step_x, y + k * step_y)
}

/// Samples per [`RgbSource::sample_row`] call of [`for_each_row_sample`].
pub const ROW_CHUNK: usize = 64;

/// Calls `f(k, sample)` for the `n` samples of a line from (`x`, `y`) in steps of (`step_x`,
/// `step_y`), pixels, as [`RgbSource::sample_row`] places them: read [`ROW_CHUNK`] at a time into
/// a buffer on the stack, so a line of any length costs one call per chunk and no allocation.
pub fn for_each_row_sample<S: RgbSource + ?Sized>(
    img: &S,
    (x, y): (f32, f32),
    (step_x, step_y): (f32, f32),
    n: usize,
    mut f: impl FnMut(usize, [f32; 3]),
) {
    let mut buffer = [[0.0f32; 3]; ROW_CHUNK];
    for k0 in (0..n).step_by(ROW_CHUNK) {
        let samples = &mut buffer[..(n - k0).min(ROW_CHUNK)];
        let (cx, cy) = row_position(x, y, step_x, step_y, k0);
        img.sample_row(cx, cy, step_x, step_y, samples);
        for (k, &px) in samples.iter().enumerate() {
            f(k0 + k, px);
        }
    }
}

impl RgbSource for RgbImage {
    fn dimensions(&self) -> (u32, u32) {
        RgbImage::dimensions(self)
    }

    #[inline(always)]
    fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        bilinear(self, x, y)
    }

    #[inline]
    fn sample_span(&self, x: f32, y: f32, dx: f32, dy: f32, out: &mut [u8]) {
        bilinear_span(self, x, y, dx, dy, out)
    }

    /// The packed fixed-point kernel of `src/video/crop.rs` (3-byte pixels).
    fn crop_row(&self, start: (f32, f32), step: (f32, f32), output: (f32, f32), out: &mut [f32]) {
        let (w, h) = RgbImage::dimensions(self);
        let packed = crop::Packed {
            plane: self.as_raw(),
            stride: w as usize * 3,
            pixel_stride: 3,
            offsets: [0, 1, 2],
            size: (w as usize, h as usize),
        };
        if !crop::packed_row::<3>(&packed, start, step, output, out) {
            crop::crop_row_by_samples(self, start, step, output, out);
        }
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

/// One layout's sampling code for [`RgbSource::sample_row`]: chosen once per row.
trait RowKernel {
    /// Whether [`RowKernel::inside_sample`] may sample at (`x`, `y`).
    fn inside(&self, x: f32, y: f32) -> bool;
    /// The sample at (`x`, `y`), where [`RowKernel::inside`] holds: no clamping.
    fn inside_sample(&self, x: f32, y: f32) -> [f32; 3];
    /// The sample anywhere (clamped to the border): [`RgbSource::sample`].
    fn clamped(&self, x: f32, y: f32) -> [f32; 3];
}

/// [`RgbSource::sample_row`] with `kernel`: when both ends of the row are inside, so is every
/// sample between them (positions are monotonic in k, and the inside region is a box), and the
/// row takes the clamp-free path; otherwise each sample chooses.
#[inline(always)]
fn kernel_row<K: RowKernel>(
    kernel: &K,
    x: f32,
    y: f32,
    step_x: f32,
    step_y: f32,
    out: &mut [[f32; 3]],
) {
    let Some(last) = out.len().checked_sub(1) else {
        return;
    };
    let (lx, ly) = row_position(x, y, step_x, step_y, last);
    if kernel.inside(x, y) && kernel.inside(lx, ly) {
        for (k, o) in out.iter_mut().enumerate() {
            let (px, py) = row_position(x, y, step_x, step_y, k);
            *o = kernel.inside_sample(px, py);
        }
    } else {
        for (k, o) in out.iter_mut().enumerate() {
            let (px, py) = row_position(x, y, step_x, step_y, k);
            *o = if kernel.inside(px, py) {
                kernel.inside_sample(px, py)
            } else {
                kernel.clamped(px, py)
            };
        }
    }
}

/// A packed frame of `PS`-byte pixels (0: `pixel_stride` bytes, for strides other than 3 and 4).
struct PackedKernel<'a, const PS: usize> {
    plane: &'a [u8],
    stride: usize,
    pixel_stride: usize,
    offsets: [usize; 3],
    w: usize,
    h: usize,
}

impl<const PS: usize> RowKernel for PackedKernel<'_, PS> {
    #[inline(always)]
    fn inside(&self, x: f32, y: f32) -> bool {
        taps_inside(self.w, self.h, x, y)
    }

    #[inline(always)]
    fn inside_sample(&self, x: f32, y: f32) -> [f32; 3] {
        if PS == 0 {
            return self.clamped(x, y);
        }
        let (i, ax, ay) = inside_taps(self.stride, PS, x, y);
        // Two slices of two pixels: two bounds checks, the channel reads within them.
        let top = &self.plane[i..i + 2 * PS];
        let bottom = &self.plane[i + self.stride..i + self.stride + 2 * PS];
        // (An explicit array: `[T; N]::map` is not always inlined.)
        let c = |o: usize| blend(top[o], top[o + PS], bottom[o], bottom[o + PS], ax, ay);
        let [r, g, b] = self.offsets;
        [c(r), c(g), c(b)]
    }

    #[inline(always)]
    fn clamped(&self, x: f32, y: f32) -> [f32; 3] {
        let (x0, y0, dx, dy, ax, ay) = taps(self.w, self.h, x, y);
        let (p, ps) = (self.plane, self.pixel_stride);
        let i = y0 * self.stride + x0 * ps;
        let (j, k) = (i + dx * ps, i + dy * self.stride);
        let l = k + dx * ps;
        let c = |o: usize| blend(p[i + o], p[j + o], p[k + o], p[l + o], ax, ay);
        let [r, g, b] = self.offsets;
        [c(r), c(g), c(b)]
    }
}

/// A 4:2:0 frame: I420 (`NV12` false: U and V planes) or NV12 (`NV12` true: `u` holds the
/// interleaved pairs, `v` is unused).
struct YuvKernel<'a, const NV12: bool> {
    planes: [&'a [u8]; 3],
    strides: [usize; 3],
    w: usize,
    h: usize,
    m: YuvMatrix,
}

impl<const NV12: bool> YuvKernel<'_, NV12> {
    /// Chroma plane size.
    #[inline(always)]
    fn chroma_size(&self) -> (usize, usize) {
        (self.w.div_ceil(2), self.h.div_ceil(2))
    }
}

impl<const NV12: bool> RowKernel for YuvKernel<'_, NV12> {
    #[inline(always)]
    fn inside(&self, x: f32, y: f32) -> bool {
        let (cw, ch) = self.chroma_size();
        taps_inside(self.w, self.h, x, y) && taps_inside(cw, ch, x / 2.0, y / 2.0)
    }

    #[inline(always)]
    fn inside_sample(&self, x: f32, y: f32) -> [f32; 3] {
        let [py, pu, pv] = self.planes;
        let [sy, su, sv] = self.strides;
        let (i, ax, ay) = inside_taps(sy, 1, x, y);
        let (top, bottom) = (&py[i..i + 2], &py[i + sy..i + sy + 2]);
        let luma = blend(top[0], top[1], bottom[0], bottom[1], ax, ay);
        let (cx, cy) = (x / 2.0, y / 2.0);
        let (u, v) = if NV12 {
            let (i, ax, ay) = inside_taps(su, 2, cx, cy);
            let (top, bottom) = (&pu[i..i + 4], &pu[i + su..i + su + 4]);
            (
                blend(top[0], top[2], bottom[0], bottom[2], ax, ay),
                blend(top[1], top[3], bottom[1], bottom[3], ax, ay),
            )
        } else {
            let (i, ax, ay) = inside_taps(su, 1, cx, cy);
            let (top, bottom) = (&pu[i..i + 2], &pu[i + su..i + su + 2]);
            let u = blend(top[0], top[1], bottom[0], bottom[1], ax, ay);
            let (i, ax, ay) = inside_taps(sv, 1, cx, cy);
            let (top, bottom) = (&pv[i..i + 2], &pv[i + sv..i + sv + 2]);
            (u, blend(top[0], top[1], bottom[0], bottom[1], ax, ay))
        };
        self.m.to_rgb(luma, u, v)
    }

    #[inline(always)]
    fn clamped(&self, x: f32, y: f32) -> [f32; 3] {
        let (w, h) = (self.w, self.h);
        let (cw, ch) = self.chroma_size();
        let [py, pu, pv] = self.planes;
        let [sy, su, sv] = self.strides;
        let luma = plane_sample(py, sy, 1, 0, w, h, x, y);
        let (cx, cy) = (x / 2.0, y / 2.0);
        let (u, v) = if NV12 {
            (
                plane_sample(pu, su, 2, 0, cw, ch, cx, cy),
                plane_sample(pu, su, 2, 1, cw, ch, cx, cy),
            )
        } else {
            (
                plane_sample(pu, su, 1, 0, cw, ch, cx, cy),
                plane_sample(pv, sv, 1, 0, cw, ch, cx, cy),
            )
        };
        self.m.to_rgb(luma, u, v)
    }
}

impl<'a> FrameView<'a> {
    /// The packed kernel of this frame, `PS`-byte pixels (0: any).
    #[inline(always)]
    fn packed<const PS: usize>(
        &self,
        pixel_stride: usize,
        offsets: [usize; 3],
    ) -> PackedKernel<'a, PS> {
        PackedKernel {
            plane: self.planes[0],
            stride: self.strides[0],
            pixel_stride,
            offsets,
            w: self.width as usize,
            h: self.height as usize,
        }
    }

    /// The 4:2:0 kernel of this frame.
    #[inline(always)]
    fn yuv<const NV12: bool>(&self, m: YuvMatrix) -> YuvKernel<'a, NV12> {
        YuvKernel {
            planes: self.planes,
            strides: self.strides,
            w: self.width as usize,
            h: self.height as usize,
            m,
        }
    }
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
        match self.layout {
            Layout::Packed {
                pixel_stride,
                offsets,
            } => self.packed::<0>(pixel_stride, offsets).clamped(x, y),
            Layout::I420(m) => self.yuv::<false>(m).clamped(x, y),
            Layout::Nv12(m) => self.yuv::<true>(m).clamped(x, y),
        }
    }

    /// As [`RgbSource::sample`] at each position, bit for bit: the layout is matched once per
    /// row, and samples whose taps all lie inside the picture skip the clamping.
    fn sample_row(&self, x: f32, y: f32, step_x: f32, step_y: f32, out: &mut [[f32; 3]]) {
        match self.layout {
            Layout::Packed {
                pixel_stride: 4,
                offsets,
            } => kernel_row(&self.packed::<4>(4, offsets), x, y, step_x, step_y, out),
            Layout::Packed {
                pixel_stride: 3,
                offsets,
            } => kernel_row(&self.packed::<3>(3, offsets), x, y, step_x, step_y, out),
            Layout::Packed {
                pixel_stride,
                offsets,
            } => kernel_row(
                &self.packed::<0>(pixel_stride, offsets),
                x,
                y,
                step_x,
                step_y,
                out,
            ),
            Layout::I420(m) => kernel_row(&self.yuv::<false>(m), x, y, step_x, step_y, out),
            Layout::Nv12(m) => kernel_row(&self.yuv::<true>(m), x, y, step_x, step_y, out),
        }
    }

    /// The fixed-point kernels of `src/video/crop.rs`, chosen once per row by layout.
    fn crop_row(&self, start: (f32, f32), step: (f32, f32), output: (f32, f32), out: &mut [f32]) {
        let size = (self.width as usize, self.height as usize);
        let packed = |pixel_stride, offsets| crop::Packed {
            plane: self.planes[0],
            stride: self.strides[0],
            pixel_stride,
            offsets,
            size,
        };
        let yuv = |matrix| crop::Yuv {
            planes: self.planes,
            strides: self.strides,
            size,
            matrix,
        };
        let done = match self.layout {
            Layout::Packed {
                pixel_stride: 4,
                offsets,
            } => crop::packed_row::<4>(&packed(4, offsets), start, step, output, out),
            Layout::Packed {
                pixel_stride: 3,
                offsets,
            } => crop::packed_row::<3>(&packed(3, offsets), start, step, output, out),
            Layout::Packed {
                pixel_stride,
                offsets,
            } => crop::packed_row::<0>(&packed(pixel_stride, offsets), start, step, output, out),
            Layout::I420(m) => crop::yuv_row::<false>(&yuv(m), start, step, output, out),
            Layout::Nv12(m) => crop::yuv_row::<true>(&yuv(m), start, step, output, out),
        };
        if !done {
            crop::crop_row_by_samples(self, start, step, output, out);
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

    /// Pseudo-random bytes (a fixed LCG), so that neighbouring taps differ.
    fn noise(n: usize, seed: u32) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 24) as u8
            })
            .collect()
    }

    /// Rows from (x, y) in steps of (step_x, step_y), n samples, on a 7x5 picture: inside it
    /// (the clamp-free path), crossing its borders, wholly outside, rotated, backwards.
    const ROWS: [(f32, f32, f32, f32, usize); 10] = [
        (1.2, 1.3, 0.1, 0.05, 20),
        (0.5, 0.5, 1.0, 0.0, 7),
        (-2.3, 1.7, 0.37, 0.0, 40),
        (3.1, -2.0, 0.0, 0.29, 30),
        (-1.5, -2.0, 0.31, 0.23, 50),
        (9.0, 6.5, -0.41, -0.27, 45),
        (-1.0, 6.0, 0.35, -0.33, 40),
        (-5.0, -5.0, 0.0, 0.0, 3),
        (6.9, 4.9, 0.013, 0.011, 10),
        (2.0, 2.5, 0.7, 0.0, 0),
    ];

    /// `view.sample_row` against `view.sample` at each position of each of [`ROWS`]: equal bit
    /// for bit (the trait asks for 1e-4; the frame views' clamp-free path computes the same).
    fn assert_rows_sample_like_points(view: &FrameView, what: &str) {
        for &(x, y, sx, sy, n) in &ROWS {
            let mut row = vec![[f32::NAN; 3]; n];
            view.sample_row(x, y, sx, sy, &mut row);
            for (k, got) in row.iter().enumerate() {
                let (px, py) = row_position(x, y, sx, sy, k);
                assert_eq!(
                    *got,
                    view.sample(px, py),
                    "{what}: row from ({x}, {y}) step ({sx}, {sy}), sample {k} at ({px}, {py})"
                );
            }
        }
    }

    #[test]
    fn packed_rows_sample_like_points_inside_across_the_borders_and_rotated() {
        for (pixel_stride, offsets, what) in [
            (4, [0, 1, 2], "RGBx"),
            (4, [2, 1, 0], "BGRx"),
            (4, [1, 2, 3], "xRGB"),
            (3, [0, 1, 2], "RGB"),
            (3, [2, 1, 0], "BGR"),
            (6, [4, 2, 0], "6-byte pixels"),
        ] {
            let stride = 7 * pixel_stride + 3; // padded rows
            let data = noise(stride * 5, pixel_stride as u32);
            let layout = Layout::Packed {
                pixel_stride,
                offsets,
            };
            let view = FrameView::new(7, 5, layout, &[(&data, stride)]).unwrap();
            assert_rows_sample_like_points(&view, what);
        }
    }

    #[test]
    fn i420_and_nv12_rows_sample_like_points_inside_across_the_borders_and_rotated() {
        // 7x5: chroma planes 4x3; padded strides.
        let luma = noise(9 * 5, 1);
        let (u, v) = (noise(6 * 3, 2), noise(5 * 3, 3));
        let uv = noise(10 * 3, 4);
        for m in [YuvMatrix::BT601, YuvMatrix::BT709.full()] {
            let i420 =
                FrameView::new(7, 5, Layout::I420(m), &[(&luma, 9), (&u, 6), (&v, 5)]).unwrap();
            assert_rows_sample_like_points(&i420, "I420");
            let nv12 = FrameView::new(7, 5, Layout::Nv12(m), &[(&luma, 9), (&uv, 10)]).unwrap();
            assert_rows_sample_like_points(&nv12, "NV12");
        }
    }

    #[test]
    fn rgb_picture_rows_sample_like_points() {
        let pic = RgbImage::from_raw(7, 5, noise(7 * 5 * 3, 5)).unwrap();
        for &(x, y, sx, sy, n) in &ROWS {
            let mut row = vec![[f32::NAN; 3]; n];
            pic.sample_row(x, y, sx, sy, &mut row);
            for (k, got) in row.iter().enumerate() {
                let (px, py) = row_position(x, y, sx, sy, k);
                assert_eq!(*got, pic.sample(px, py), "sample {k} at ({px}, {py})");
            }
        }
    }
}
