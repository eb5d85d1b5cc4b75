//! Pixel-level rules that turn a decoded avatar picture into the element's output canvas:
//! transparency over white, or kept as straight alpha with the colours under it bled; even width
//! and height; scaled once to the output's size; and the check that a JPEG file is complete.
//! Pure functions on images and bytes; the file handling and errors are in [`crate::avatar`].

use image::imageops::{self, FilterType};
use image::{GrayImage, ImageBuffer, Luma, Pixel, Rgb, RgbImage, RgbaImage};

use crate::output_size::fit;

/// Composites a picture with alpha over white: fully transparent pixels become white, whatever
/// colour they hide, and partly transparent ones are blended with white.
pub fn composite_over_white(src: &RgbaImage) -> RgbImage {
    RgbImage::from_fn(src.width(), src.height(), |x, y| {
        let [r, g, b, a] = src.get_pixel(x, y).0;
        let a = u32::from(a);
        let over = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        Rgb([over(r), over(g), over(b)])
    })
}

/// Pads a picture (colour or alpha) to even width and height by repeating its last column and/or
/// last row.
///
/// 4:2:0 encoders downstream (x264enc) refuse odd sizes, and the output has the avatar's size.
/// A picture that is already even is returned unchanged.
pub fn pad_to_even<P: Pixel>(
    src: ImageBuffer<P, Vec<P::Subpixel>>,
) -> ImageBuffer<P, Vec<P::Subpixel>> {
    let (w, h) = src.dimensions();
    if w % 2 == 0 && h % 2 == 0 {
        return src;
    }
    let (pw, ph) = (w + w % 2, h + h % 2);
    ImageBuffer::from_fn(pw, ph, |x, y| *src.get_pixel(x.min(w - 1), y.min(h - 1)))
}

/// Passes of [`bleed_under_transparency`]: how far, in pixels, the colours of visible pixels
/// spread under fully transparent ones. Bilinear sampling reads one pixel around a position and
/// the warp hardly scales, so 4 is ample.
pub const BLEED_PIXELS: usize = 4;

/// A picture's straight (not premultiplied) colours and its alpha, with the colour of every fully
/// transparent pixel within [`BLEED_PIXELS`] of a visible one replaced by the mean colour of its
/// visible (or already filled) 8-neighbours, pass after pass ("alpha bleeding").
///
/// Why: what a PNG stores under alpha 0 is arbitrary (often black). A warp samples between a
/// visible pixel and a transparent one at a silhouette's edge, and straight alpha keeps the colour
/// it gets there: without bleeding, hair against transparency gets a dark fringe once composited.
/// Visible pixels (alpha > 0) keep their colour exactly. Farther transparent pixels keep theirs:
/// nothing samples them next to a visible pixel.
pub fn bleed_under_transparency(src: &RgbaImage) -> (RgbImage, GrayImage) {
    let (w, h) = src.dimensions();
    let alpha = GrayImage::from_fn(w, h, |x, y| Luma([src.get_pixel(x, y)[3]]));
    let mut colour = RgbImage::from_fn(w, h, |x, y| {
        let p = src.get_pixel(x, y).0;
        Rgb([p[0], p[1], p[2]])
    });
    let mut known: Vec<bool> = alpha.pixels().map(|a| a[0] > 0).collect();
    let (wi, hi) = (w as i64, h as i64);
    let mut fill = Vec::new();
    for _ in 0..BLEED_PIXELS {
        fill.clear();
        for y in 0..hi {
            for x in 0..wi {
                if known[(y * wi + x) as usize] {
                    continue;
                }
                let (mut sum, mut n) = ([0u32; 3], 0u32);
                for (dx, dy) in [
                    (-1, -1),
                    (0, -1),
                    (1, -1),
                    (-1, 0),
                    (1, 0),
                    (-1, 1),
                    (0, 1),
                    (1, 1),
                ] {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= wi || ny >= hi || !known[(ny * wi + nx) as usize] {
                        continue;
                    }
                    let p = colour.get_pixel(nx as u32, ny as u32).0;
                    for c in 0..3 {
                        sum[c] += u32::from(p[c]);
                    }
                    n += 1;
                }
                if n > 0 {
                    fill.push((x as u32, y as u32, sum.map(|s| ((s + n / 2) / n) as u8)));
                }
            }
        }
        if fill.is_empty() {
            break;
        }
        for &(x, y, c) in &fill {
            colour.put_pixel(x, y, Rgb(c));
            known[(y as i64 * wi + x as i64) as usize] = true;
        }
    }
    (colour, alpha)
}

/// `alpha` in R, G and B: the form in which the warp mesh draws an alpha channel, through the
/// same code and with the same map as the colour picture.
pub fn alpha_as_rgb(alpha: &GrayImage) -> RgbImage {
    RgbImage::from_fn(alpha.width(), alpha.height(), |x, y| {
        let a = alpha.get_pixel(x, y)[0];
        Rgb([a, a, a])
    })
}

/// Filter that scales an avatar picture to the output size (once, when the avatar is loaded):
/// Lanczos3, sharp when shrinking a phone photo and without the blocky look of a bilinear
/// enlargement.
pub const SCALE_FILTER: FilterType = FilterType::Lanczos3;

/// What fills an output around a picture of another shape ([`fit_into`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Padding<P> {
    /// Each band the mean colour of the picture's edge beside it (left band: the left column's
    /// mean, and so on): a plain backdrop that continues the picture's background.
    EdgeMean,
    /// This value (an alpha band: 0, transparent).
    Value(P),
}

/// `src` scaled with [`SCALE_FILTER`] to the largest size with its aspect ratio that fits inside
/// `target` (width, height, pixels; see [`crate::output_size::fit`]), centred, the rest filled as
/// `padding` says. A `src` of `target`'s size is returned unscaled.
pub fn fit_into<P>(
    src: &ImageBuffer<P, Vec<u8>>,
    target: (u32, u32),
    padding: Padding<P>,
) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8> + 'static,
{
    if src.dimensions() == target {
        return src.clone();
    }
    let place = fit(src.dimensions(), target);
    let scaled = imageops::resize(src, place.width, place.height, SCALE_FILTER);
    let mean = |pixels: &mut dyn Iterator<Item = &P>| -> P {
        let mut sum = [0u64; 4];
        let mut n = 0u64;
        for p in pixels {
            for (s, &c) in sum.iter_mut().zip(p.channels()) {
                *s += u64::from(c);
            }
            n += 1;
        }
        let values: Vec<u8> = sum[..usize::from(P::CHANNEL_COUNT)]
            .iter()
            .map(|&s| ((s + n / 2) / n.max(1)) as u8)
            .collect();
        *P::from_slice(&values)
    };
    let (sw, sh) = scaled.dimensions();
    let [left, right, top, bottom] = match padding {
        Padding::Value(v) => [v; 4],
        Padding::EdgeMean => [
            mean(&mut (0..sh).map(|y| scaled.get_pixel(0, y))),
            mean(&mut (0..sh).map(|y| scaled.get_pixel(sw - 1, y))),
            mean(&mut (0..sw).map(|x| scaled.get_pixel(x, 0))),
            mean(&mut (0..sw).map(|x| scaled.get_pixel(x, sh - 1))),
        ],
    };
    let (x1, y1) = (place.x + sw, place.y + sh);
    ImageBuffer::from_fn(target.0, target.1, |x, y| {
        if x < place.x {
            left
        } else if x >= x1 {
            right
        } else if y < place.y {
            top
        } else if y >= y1 {
            bottom
        } else {
            *scaled.get_pixel(x - place.x, y - place.y)
        }
    })
}

/// Whether a JPEG file's bytes reach its end-of-image marker (`FF D9`).
///
/// Walks the marker segments (skipping each by its length, so that an EXIF thumbnail's own
/// end marker does not count) and then the entropy-coded data, where `FF 00` is a stuffed byte
/// and `FF D0`..`FF D7` are restart markers. A file cut short ends before the marker; decoders
/// fill the missing part with grey without an error.
pub fn jpeg_is_complete(data: &[u8]) -> bool {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    loop {
        while i < data.len() && data[i] != 0xFF {
            i += 1;
        }
        while i < data.len() && data[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = data.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0xD9 => return true,
            // Stuffed byte, restart markers and TEM carry no length.
            0x00 | 0x01 | 0xD0..=0xD7 => {}
            _ => {
                let Some(len) = data.get(i..i + 2) else {
                    return false;
                };
                i += usize::from(u16::from_be_bytes([len[0], len[1]]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn a_tall_picture_fitted_into_a_wide_output_is_whole_centred_and_padded_with_its_edges() {
        // A 40x80 picture: left half red, right half blue, a black dot in the middle.
        let mut src = RgbImage::from_fn(40, 80, |x, _| {
            if x < 20 {
                Rgb([200, 0, 0])
            } else {
                Rgb([0, 0, 200])
            }
        });
        src.put_pixel(20, 40, Rgb([0, 0, 0]));
        let out = fit_into(&src, (160, 40), Padding::EdgeMean);
        assert_eq!(out.dimensions(), (160, 40));
        // The picture is 20x40 in the middle (x 70..90); the bands continue its left and right
        // edges' colours.
        assert_eq!(*out.get_pixel(0, 20), Rgb([200, 0, 0]));
        assert_eq!(*out.get_pixel(69, 5), Rgb([200, 0, 0]));
        assert_eq!(*out.get_pixel(159, 20), Rgb([0, 0, 200]));
        assert_eq!(*out.get_pixel(90, 35), Rgb([0, 0, 200]));
        assert!(out.get_pixel(72, 20)[0] > 150 && out.get_pixel(87, 20)[2] > 150);
        // An alpha channel is padded transparent.
        let alpha = GrayImage::from_pixel(40, 80, Luma([255]));
        let a = fit_into(&alpha, (160, 40), Padding::Value(Luma([0])));
        assert_eq!(
            (
                a.get_pixel(69, 20)[0],
                a.get_pixel(80, 20)[0],
                a.get_pixel(90, 20)[0]
            ),
            (0, 255, 0)
        );
        // The same size: unchanged.
        assert_eq!(fit_into(&src, (40, 80), Padding::EdgeMean), src);
    }

    #[test]
    fn transparent_pixels_become_white_whatever_they_hide() {
        let mut src = RgbaImage::from_pixel(2, 1, Rgba([0, 0, 0, 0]));
        src.put_pixel(1, 0, Rgba([10, 20, 30, 255]));
        let out = composite_over_white(&src);
        assert_eq!(out.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(
            out.get_pixel(1, 0).0,
            [10, 20, 30],
            "opaque pixels are kept"
        );
        let half = composite_over_white(&RgbaImage::from_pixel(1, 1, Rgba([0, 0, 0, 128])));
        assert_eq!(half.get_pixel(0, 0).0, [127, 127, 127]);
    }

    #[test]
    fn odd_sizes_are_padded_by_repeating_the_last_column_and_row() {
        let src = RgbImage::from_fn(3, 5, |x, y| Rgb([x as u8, y as u8, 7]));
        let out = pad_to_even(src.clone());
        assert_eq!(out.dimensions(), (4, 6));
        for (x, y, p) in out.enumerate_pixels() {
            assert_eq!(*p, *src.get_pixel(x.min(2), y.min(4)), "({x}, {y})");
        }
        let even = RgbImage::new(4, 2);
        assert_eq!(pad_to_even(even.clone()), even);
        assert_eq!(pad_to_even(RgbImage::new(1, 1)).dimensions(), (2, 2));
    }

    #[test]
    fn bleeding_fills_only_transparent_pixels_near_visible_ones_and_keeps_the_alpha() {
        // A red opaque column at x = 0, a half-transparent blue one at x = 1, then black under
        // alpha 0 for 8 columns.
        let src = RgbaImage::from_fn(10, 3, |x, _| match x {
            0 => Rgba([200, 0, 0, 255]),
            1 => Rgba([0, 0, 200, 128]),
            _ => Rgba([0, 0, 0, 0]),
        });
        let (colour, alpha) = bleed_under_transparency(&src);
        for (x, y, p) in src.enumerate_pixels() {
            assert_eq!(alpha.get_pixel(x, y)[0], p[3], "alpha kept at ({x}, {y})");
        }
        assert_eq!(
            colour.get_pixel(0, 1).0,
            [200, 0, 0],
            "visible colours are kept"
        );
        assert_eq!(colour.get_pixel(1, 1).0, [0, 0, 200]);
        // Column 2 borders only the blue column: it takes blue, and so does the bleed beyond it.
        for x in 2..2 + BLEED_PIXELS as u32 {
            assert_eq!(colour.get_pixel(x, 1).0, [0, 0, 200], "bled at x = {x}");
        }
        let far = 2 + BLEED_PIXELS as u32;
        assert_eq!(
            colour.get_pixel(far, 1).0,
            [0, 0, 0],
            "beyond the bleed: untouched"
        );
        let rgb = alpha_as_rgb(&alpha);
        assert_eq!(rgb.get_pixel(1, 0).0, [128; 3]);
    }

    #[test]
    fn a_jpeg_is_complete_only_with_its_end_marker_outside_the_headers() {
        // SOI, an APP1 segment hiding an end marker, SOS with entropy data (stuffed FF 00, a
        // restart marker), EOI.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x04, 0xFF, 0xD9];
        jpeg.extend([
            0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56,
        ]);
        jpeg.extend([0xFF, 0xD9]);
        assert!(jpeg_is_complete(&jpeg));
        for cut in 0..jpeg.len() {
            assert!(!jpeg_is_complete(&jpeg[..cut]), "cut at {cut}");
        }
        assert!(!jpeg_is_complete(b"not a jpeg"));
    }
}
