//! Pastes LivePortrait's animated crop back into the avatar picture.
//!
//! Source: KwaiVGI/LivePortrait `src/utils/crop.py` (`prepare_paste_back`, `paste_back`): the
//! output is warped back through the crop's inverse transform and blended with the picture by a
//! mask in crop coordinates, `mask * output + (1 - mask) * picture`. LivePortrait's mask is an
//! image (`resources/mask_template.png`); this one is computed instead: a rectangular feather,
//! 1 inside and a smoothstep down to 0 over the crop's outer band, from [`FEATHER_START`] to
//! [`FEATHER_END`] of the side from each edge (the face, about the crop's middle 45%, is wholly
//! inside the opaque part).

use image::RgbImage;

use super::crop::Similarity2;
use crate::video::{Rect, RgbSource};

/// Distance from the crop's nearest edge, in crop sides, below which the mask is 0.
pub const FEATHER_START: f32 = 0.02;
/// Distance from the crop's nearest edge, in crop sides, from which the mask is 1.
pub const FEATHER_END: f32 = 0.15;

/// The mask at crop point `c` (continuous coordinates of a `size` x `size` crop): 0 outside the
/// crop and near its edges, 1 inside, smooth in between.
pub fn feather(c: [f32; 2], size: f32) -> f32 {
    let d = c[0].min(size - c[0]).min(c[1]).min(size - c[1]) / size;
    let t = ((d - FEATHER_START) / (FEATHER_END - FEATHER_START)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Writes into `canvas` (the avatar's size) the avatar picture `avatar` with the square RGB
/// `output` pasted where the crop `o2c` (picture coordinates to `output`'s coordinates, pixel
/// centres at `i + 0.5`) took it from, blended by [`feather`] times `opacity` (0..1; 0: the
/// avatar picture). Only the square's bounding box is written (it is the returned rectangle,
/// clipped to the picture); outside it the canvas is left as it is, and inside it every pixel
/// where the mask is 0 is the avatar's exactly.
///
/// Panics when `canvas` and `avatar` differ in size.
pub fn paste_back(
    canvas: &mut RgbImage,
    avatar: &RgbImage,
    output: &RgbImage,
    o2c: &Similarity2,
    opacity: f32,
) -> Rect {
    assert_eq!(canvas.dimensions(), avatar.dimensions(), "canvas size");
    let (w, h) = avatar.dimensions();
    let size = output.width() as f32;
    let c2o = o2c.inverse();
    let corners = [[0.0, 0.0], [size, 0.0], [0.0, size], [size, size]].map(|c| c2o.apply(c));
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for c in corners {
        for k in 0..2 {
            lo[k] = lo[k].min(c[k]);
            hi[k] = hi[k].max(c[k]);
        }
    }
    let rect = Rect::covering(lo, hi, w, h);
    for y in rect.y0..rect.y1 {
        for x in rect.x0..rect.x1 {
            let c = o2c.apply([x as f32 + 0.5, y as f32 + 0.5]);
            let m = feather(c, size) * opacity;
            let a = avatar.get_pixel(x, y).0;
            let px = if m <= 0.0 {
                a
            } else {
                let o = output.sample(c[0], c[1]);
                let mut px = [0u8; 3];
                for k in 0..3 {
                    let v = m * o[k] + (1.0 - m) * a[k] as f32;
                    px[k] = (v + 0.5).clamp(0.0, 255.0) as u8;
                }
                px
            };
            canvas.put_pixel(x, y, image::Rgb(px));
        }
    }
    rect
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn the_feather_is_one_inside_zero_outside_and_smooth_between() {
        assert_eq!(feather([256.0, 256.0], 512.0), 1.0);
        assert_eq!(feather([0.2 * 512.0, 256.0], 512.0), 1.0);
        assert_eq!(feather([-5.0, 256.0], 512.0), 0.0);
        assert_eq!(feather([256.0, 5.0], 512.0), 0.0);
        let mid = feather([256.0, 0.085 * 512.0], 512.0);
        assert!(mid > 0.3 && mid < 0.7, "{mid}");
    }

    #[test]
    fn outside_is_the_avatar_centre_the_output_edge_blended() {
        let avatar = RgbImage::from_fn(300, 200, |x, y| Rgb([x as u8, y as u8, 77]));
        let output = RgbImage::from_pixel(64, 64, Rgb([250, 10, 200]));
        // The crop: 128x128 picture pixels from (100, 40), rotated a little, to 64x64.
        let angle = 0.2f32;
        let s = 0.5f32;
        let (a, b) = (s * angle.cos(), s * angle.sin());
        let centre = [164.0f32, 104.0];
        let o2c = Similarity2 {
            a,
            b,
            tx: 32.0 - (a * centre[0] - b * centre[1]),
            ty: 32.0 - (b * centre[0] + a * centre[1]),
        };
        let mut canvas = avatar.clone();
        let rect = paste_back(&mut canvas, &avatar, &output, &o2c, 1.0);
        assert!(!rect.is_empty());
        assert!(
            rect.x0 > 80 && rect.x1 < 250 && rect.y0 > 20 && rect.y1 < 190,
            "{rect:?}"
        );
        let mut blended = 0;
        for y in 0..200 {
            for x in 0..300 {
                let c = o2c.apply([x as f32 + 0.5, y as f32 + 0.5]);
                let inside = c.iter().all(|&v| (0.0..=64.0).contains(&v));
                let (p, av) = (canvas.get_pixel(x, y).0, avatar.get_pixel(x, y).0);
                if !inside {
                    assert_eq!(p, av, "({x}, {y}) outside the square");
                }
                let m = feather(c, 64.0);
                if m == 1.0 {
                    assert_eq!(p, [250, 10, 200], "({x}, {y}) at the centre");
                } else if m > 0.1 && m < 0.9 {
                    // Strictly between the two.
                    for k in 0..3 {
                        let (lo, hi) = (
                            av[k].min(output.get_pixel(0, 0)[k]),
                            av[k].max(output.get_pixel(0, 0)[k]),
                        );
                        assert!(p[k] >= lo && p[k] <= hi, "({x}, {y}) {p:?}");
                    }
                    assert_ne!(p, av);
                    assert_ne!(p, [250, 10, 200]);
                    blended += 1;
                }
            }
        }
        assert!(blended > 100, "{blended}");
        assert_eq!(canvas.get_pixel(164, 104).0, [250, 10, 200]);
        // Opacity scales the mask: 0 writes the avatar back, a half mixes the centre halfway.
        paste_back(&mut canvas, &avatar, &output, &o2c, 0.0);
        assert!(canvas == avatar, "opacity 0: the avatar picture exactly");
        paste_back(&mut canvas, &avatar, &output, &o2c, 0.5);
        let (p, av) = (canvas.get_pixel(164, 104).0, avatar.get_pixel(164, 104).0);
        for k in 0..3 {
            let half = (f32::from(av[k]) + f32::from(output.get_pixel(0, 0)[k])) / 2.0;
            assert!((f32::from(p[k]) - half).abs() <= 1.0, "{p:?} {av:?}");
        }
    }
}
