//! A horizontal band of rows of an RGB canvas, writable on its own: the unit of parallel
//! rendering (each thread draws every triangle, clipped to its band).

use image::RgbImage;

/// Rows `y0..y1` of a `width`-pixel-wide 8-bit RGB canvas; `data` holds exactly those rows,
/// 3 bytes a pixel, no padding.
#[derive(Debug)]
pub struct CanvasRows<'a> {
    data: &'a mut [u8],
    width: u32,
    y0: u32,
    y1: u32,
}

impl<'a> CanvasRows<'a> {
    /// All rows of `img`.
    pub fn of(img: &'a mut RgbImage) -> Self {
        let (width, height) = img.dimensions();
        CanvasRows {
            data: img,
            width,
            y0: 0,
            y1: height,
        }
    }

    /// Width, pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The first row and one past the last, in canvas rows.
    pub fn rows(&self) -> (u32, u32) {
        (self.y0, self.y1)
    }

    /// Splits into rows `y0..y` and `y..y1` (`y` is clamped into the band).
    pub fn split_at(self, y: u32) -> (CanvasRows<'a>, CanvasRows<'a>) {
        let y = y.clamp(self.y0, self.y1);
        let (top, bottom) = self
            .data
            .split_at_mut((y - self.y0) as usize * self.width as usize * 3);
        (
            CanvasRows {
                data: top,
                width: self.width,
                y0: self.y0,
                y1: y,
            },
            CanvasRows {
                data: bottom,
                width: self.width,
                y0: y,
                y1: self.y1,
            },
        )
    }

    /// The `3 * width` bytes of row `y`, canvas coordinates; `y` must be inside the band.
    #[inline(always)]
    pub fn row_mut(&mut self, y: usize) -> &mut [u8] {
        let row = self.width as usize * 3;
        let o = (y - self.y0 as usize) * row;
        &mut self.data[o..o + row]
    }

    /// The 3 bytes of pixel (`x`, `y`), canvas coordinates; `y` must be inside the band.
    #[inline(always)]
    pub fn pixel_mut(&mut self, x: usize, y: usize) -> &mut [u8] {
        let o = (y - self.y0 as usize) * self.width as usize * 3 + x * 3;
        &mut self.data[o..o + 3]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_bands_address_the_same_pixels_as_the_whole() {
        let mut img = RgbImage::new(4, 5);
        {
            let (mut top, mut bottom) = CanvasRows::of(&mut img).split_at(2);
            assert_eq!((top.rows(), bottom.rows()), ((0, 2), (2, 5)));
            top.pixel_mut(1, 1).copy_from_slice(&[1, 2, 3]);
            bottom.pixel_mut(3, 4).copy_from_slice(&[4, 5, 6]);
            bottom.row_mut(3)[3..6].copy_from_slice(&[7, 8, 9]);
            let (_, rest) = bottom.split_at(9);
            assert_eq!(
                rest.rows(),
                (5, 5),
                "a split past the end gives an empty band"
            );
        }
        assert_eq!(img.get_pixel(1, 1).0, [1, 2, 3]);
        assert_eq!(img.get_pixel(3, 4).0, [4, 5, 6]);
        assert_eq!(img.get_pixel(1, 3).0, [7, 8, 9]);
    }
}
