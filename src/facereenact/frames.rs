//! Frame mapping: the formats the element takes, and GStreamer's mapped video frames as the
//! core's [`FrameView`] and [`FrameViewMut`] (planes read and written in place, no copy).

use gst_video::prelude::*;

use crate::video::{FrameView, FrameViewMut, Layout, YuvMatrix};

/// Formats accepted on the sink pad and produced on the source pad (the output keeps the input's
/// format): what decoders and cameras produce (I420, NV12), read in place, and packed RGB.
pub const FORMATS: [gst_video::VideoFormat; 12] = [
    gst_video::VideoFormat::I420,
    gst_video::VideoFormat::Nv12,
    gst_video::VideoFormat::Rgbx,
    gst_video::VideoFormat::Bgrx,
    gst_video::VideoFormat::Xrgb,
    gst_video::VideoFormat::Xbgr,
    gst_video::VideoFormat::Rgba,
    gst_video::VideoFormat::Bgra,
    gst_video::VideoFormat::Argb,
    gst_video::VideoFormat::Abgr,
    gst_video::VideoFormat::Rgb,
    gst_video::VideoFormat::Bgr,
];

/// The formats with an alpha channel offered first on the source pad when `alpha` is not opaque
/// (straight alpha; what `compositor` and `videoconvert` take).
pub const ALPHA_FORMATS: [gst_video::VideoFormat; 4] = [
    gst_video::VideoFormat::Rgba,
    gst_video::VideoFormat::Bgra,
    gst_video::VideoFormat::Argb,
    gst_video::VideoFormat::Abgr,
];

/// The colour matrix of a YUV stream's colorimetry (BT.709, BT.2020, else BT.601, which is also
/// what `videoconvert` assumes for unknown SD colorimetry), full range when the caps say 0-255.
pub fn yuv_matrix(info: &gst_video::VideoInfo) -> YuvMatrix {
    let c = info.colorimetry();
    let m = match c.matrix() {
        gst_video::VideoColorMatrix::Bt709 => YuvMatrix::BT709,
        gst_video::VideoColorMatrix::Bt2020 => YuvMatrix::BT2020,
        _ => YuvMatrix::BT601,
    };
    if c.range() == gst_video::VideoColorRange::Range0_255 {
        m.full()
    } else {
        m
    }
}

/// How the core reads and writes frames of `info`'s format; `None` for a format outside
/// [`FORMATS`].
pub fn layout_of(info: &gst_video::VideoInfo) -> Option<Layout> {
    match info.format() {
        gst_video::VideoFormat::I420 => Some(Layout::I420(yuv_matrix(info))),
        gst_video::VideoFormat::Nv12 => Some(Layout::Nv12(yuv_matrix(info))),
        f if FORMATS.contains(&f) => {
            let finfo = info.format_info();
            let o = finfo.poffset();
            Some(Layout::Packed {
                pixel_stride: finfo.pixel_stride()[0] as usize,
                offsets: [o[0] as usize, o[1] as usize, o[2] as usize],
            })
        }
        _ => None,
    }
}

/// The error of a mapped frame (`what`: "actor" or "output") that does not match its caps.
pub fn plane_error(what: &str, e: impl std::fmt::Display) -> gst::ErrorMessage {
    gst::error_msg!(
        gst::StreamError::Format,
        ("{what} frame does not match its caps: {e}")
    )
}

/// A read view of a mapped actor frame, without copying it. Errors: a format outside
/// [`FORMATS`], or planes smaller than the caps say (`STREAM FORMAT`).
pub fn view_of<'a>(
    frame: &'a gst_video::VideoFrameRef<&gst::BufferRef>,
) -> Result<FrameView<'a>, gst::ErrorMessage> {
    let layout =
        layout_of(frame.info()).ok_or_else(|| plane_error("actor", "unsupported format"))?;
    let strides = frame.plane_stride();
    let mut planes: [(&[u8], usize); 3] = [(&[], 0); 3];
    for (k, plane) in planes.iter_mut().enumerate().take(layout.planes()) {
        *plane = (
            frame.plane_data(k as u32).unwrap_or(&[]),
            strides[k] as usize,
        );
    }
    let planes = &planes[..layout.planes()];
    FrameView::new(frame.width(), frame.height(), layout, planes)
        .map_err(|e| plane_error("actor", e))
}

/// A write view of a mapped output frame. Errors: as [`view_of`].
pub fn view_mut_of<'a>(
    frame: &'a mut gst_video::VideoFrameRef<&mut gst::BufferRef>,
) -> Result<FrameViewMut<'a>, gst::ErrorMessage> {
    let layout =
        layout_of(frame.info()).ok_or_else(|| plane_error("output", "unsupported format"))?;
    let (w, h) = (frame.width(), frame.height());
    let mut strides = [0i32; 4];
    let given = frame.plane_stride();
    strides[..given.len().min(4)].copy_from_slice(&given[..given.len().min(4)]);
    let planes = frame
        .planes_data_mut()
        .into_iter()
        .zip(strides)
        .map(|(d, s)| (d, s as usize))
        .take(layout.planes());
    FrameViewMut::new(w, h, layout, planes).map_err(|e| plane_error("output", e))
}

/// The duration of one frame at `info`'s frame rate; `None` when it is unknown or variable (0/1).
pub fn frame_duration(info: &gst_video::VideoInfo) -> Option<gst::ClockTime> {
    let fps = info.fps();
    (fps.numer() > 0 && fps.denom() > 0).then(|| {
        gst::ClockTime::from_nseconds(
            (1_000_000_000u128 * fps.denom() as u128 / fps.numer() as u128) as u64,
        )
    })
}

/// The pixel aspect ratio of `info` as a number (1 when it says 0).
pub fn pixel_aspect_ratio(info: &gst_video::VideoInfo) -> f32 {
    let par = info.par();
    let par = par.numer() as f32 / par.denom().max(1) as f32;
    if par > 0.0 {
        par
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(format: gst_video::VideoFormat, fps: (i32, i32)) -> gst_video::VideoInfo {
        gst::init().unwrap();
        gst_video::VideoInfo::builder(format, 64, 48)
            .fps(gst::Fraction::new(fps.0, fps.1))
            .build()
            .unwrap()
    }

    #[test]
    fn every_format_has_a_layout_and_others_none() {
        for f in FORMATS {
            assert!(layout_of(&info(f, (30, 1))).is_some(), "{f:?}");
        }
        assert!(layout_of(&info(gst_video::VideoFormat::Yuy2, (30, 1))).is_none());
    }

    #[test]
    fn packed_layouts_place_red_green_blue() {
        let Some(Layout::Packed {
            pixel_stride,
            offsets,
        }) = layout_of(&info(gst_video::VideoFormat::Bgrx, (30, 1)))
        else {
            panic!("BGRx is packed");
        };
        assert_eq!(pixel_stride, 4);
        assert_eq!(offsets, [2, 1, 0]);
    }

    #[test]
    fn frame_duration_of_fixed_and_variable_rates() {
        let d = frame_duration(&info(gst_video::VideoFormat::I420, (30000, 1001))).unwrap();
        assert_eq!(d.nseconds(), 33_366_666);
        assert_eq!(
            frame_duration(&info(gst_video::VideoFormat::I420, (0, 1))),
            None
        );
    }
}
