//! Pixel-level rules that turn a decoded avatar picture into the element's output canvas:
//! transparency over white, even width and height, and the check that a JPEG file is complete.
//! Pure functions on images and bytes; the file handling and errors are in [`crate::avatar`].

use image::{Rgb, RgbImage, RgbaImage};

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

/// Pads a picture to even width and height by repeating its last column and/or last row.
///
/// 4:2:0 encoders downstream (x264enc) refuse odd sizes, and the output has the avatar's size.
/// A picture that is already even is returned unchanged.
pub fn pad_to_even(src: RgbImage) -> RgbImage {
    let (w, h) = src.dimensions();
    if w % 2 == 0 && h % 2 == 0 {
        return src;
    }
    let (pw, ph) = (w + w % 2, h + h % 2);
    RgbImage::from_fn(pw, ph, |x, y| *src.get_pixel(x.min(w - 1), y.min(h - 1)))
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
