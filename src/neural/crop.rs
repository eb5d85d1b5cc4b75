//! LivePortrait's face crop, placed from our own 468 face-mesh landmarks (MediaPipe order).
//!
//! Source: KwaiVGI/LivePortrait `src/utils/crop.py` (`parse_pt2_from_pt_x`,
//! `parse_rect_from_landmark`, `_estimate_similar_transform_from_pts`, `crop_image`) and the crop
//! options of `src/config/crop_config.py` (source: `scale=2.3`, `vx_ratio=0`, `vy_ratio=-0.125`)
//! and `src/config/argument_config.py` (driving video: `scale_crop_driving_video=2.2`,
//! `vy_ratio_crop_driving_video=-0.1`).
//!
//! As there, the crop is a similarity: its y axis runs from the eyes' centre to the lips' centre
//! (so the face is upright whatever its roll), its size is `scale` times the larger side of the
//! landmarks' bounding box in that rotated frame, and its centre is the box's centre shifted by
//! `vy_ratio` of the size along the axis (negative: up, towards the forehead).
//!
//! Differences from LivePortrait, all in where the box lies, not how it is built:
//! * LivePortrait's landmarks are its own 203 points (contour, brows, eyes, lips, nose); ours are
//!   the 468 of the face mesh, whose box also holds the forehead, so it is taller and the face
//!   comes out somewhat smaller in the crop than LivePortrait's for the same `scale`;
//! * the eye centres are the means of our eye-opening contours, the lips' centre the middle of
//!   the outer mouth corners (LivePortrait: 4 eye-contour points each, 2 lip points);
//! * pixel centres are at `i + 0.5` (our sampling convention), OpenCV's at `i`: half a pixel.

use crate::face::mesh_topology::{LEFT_EYE, RIGHT_EYE};
use crate::video::RgbSource;

/// Where the crop lies around the face: [`SOURCE_CROP`], [`DRIVING_CROP`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropParams {
    /// Crop side over the larger side of the landmarks' (rotated) bounding box.
    pub scale: f32,
    /// Shift across the face (along the eyes), in crop sides.
    pub vx_ratio: f32,
    /// Shift along the face (eyes to lips), in crop sides; negative is up.
    pub vy_ratio: f32,
}

/// LivePortrait's source (avatar) crop: `crop_config.py`.
pub const SOURCE_CROP: CropParams = CropParams {
    scale: 2.3,
    vx_ratio: 0.0,
    vy_ratio: -0.125,
};

/// LivePortrait's driving-video crop (`flag_crop_driving_video`): `argument_config.py`.
pub const DRIVING_CROP: CropParams = CropParams {
    scale: 2.2,
    vx_ratio: 0.0,
    vy_ratio: -0.1,
};

/// Outer mouth corners (MediaPipe 61 and 291): their middle is the lips' centre.
const OUTER_MOUTH_CORNERS: (usize, usize) = (61, 291);

/// A 2-D similarity `(x, y) -> (a x - b y + tx, b x + a y + ty)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity2 {
    pub a: f32,
    pub b: f32,
    pub tx: f32,
    pub ty: f32,
}

impl Similarity2 {
    /// The identity.
    pub const IDENTITY: Similarity2 = Similarity2 {
        a: 1.0,
        b: 0.0,
        tx: 0.0,
        ty: 0.0,
    };

    /// The point `p` mapped.
    pub fn apply(&self, p: [f32; 2]) -> [f32; 2] {
        [
            self.a * p[0] - self.b * p[1] + self.tx,
            self.b * p[0] + self.a * p[1] + self.ty,
        ]
    }

    /// The inverse map (`self` must not be degenerate).
    pub fn inverse(&self) -> Similarity2 {
        let d = self.a * self.a + self.b * self.b;
        let (a, b) = (self.a / d, -self.b / d);
        Similarity2 {
            a,
            b,
            tx: -(a * self.tx - b * self.ty),
            ty: -(b * self.tx + a * self.ty),
        }
    }

    /// `self` followed by a uniform scale by `k` about the origin.
    pub fn then_scale(&self, k: f32) -> Similarity2 {
        Similarity2 {
            a: self.a * k,
            b: self.b * k,
            tx: self.tx * k,
            ty: self.ty * k,
        }
    }

    /// The scale factor (`|(a, b)|`).
    pub fn scale(&self) -> f32 {
        self.a.hypot(self.b)
    }
}

fn mean_of(points: &[[f32; 3]], idx: &[usize]) -> [f32; 2] {
    let (mut x, mut y) = (0.0, 0.0);
    for &i in idx {
        x += points[i][0];
        y += points[i][1];
    }
    [x / idx.len() as f32, y / idx.len() as f32]
}

/// The transform from picture coordinates (square pixels; continuous, pixel centres at `i +
/// 0.5`) to the coordinates of a `dsize` x `dsize` crop of the face of `points` (at least the
/// 468 face-mesh landmarks; only the first 468 are used), placed as `params` says: LivePortrait's
/// `M_o2c` (`_estimate_similar_transform_from_pts` with `flag_do_rot=True`, `use_lip=True`).
/// `None` for fewer than 468 points or a degenerate (zero-sized) face.
pub fn crop_transform(points: &[[f32; 3]], dsize: f32, params: &CropParams) -> Option<Similarity2> {
    if points.len() < 468 {
        return None;
    }
    let pts = &points[..468];
    let right = mean_of(pts, &RIGHT_EYE);
    let left = mean_of(pts, &LEFT_EYE);
    let eyes = [(right[0] + left[0]) / 2.0, (right[1] + left[1]) / 2.0];
    let lips = mean_of(pts, &[OUTER_MOUTH_CORNERS.0, OUTER_MOUTH_CORNERS.1]);
    // uy: eyes to lips (down the face); ux: uy turned a quarter to the image's right.
    let (dx, dy) = (lips[0] - eyes[0], lips[1] - eyes[1]);
    let l = dx.hypot(dy);
    let uy = if l <= 1e-3 || !l.is_finite() {
        [0.0, 1.0]
    } else {
        [dx / l, dy / l]
    };
    let ux = [uy[1], -uy[0]];
    let n = pts.len() as f32;
    let c0 = pts
        .iter()
        .fold([0.0f32; 2], |c, p| [c[0] + p[0], c[1] + p[1]]);
    let c0 = [c0[0] / n, c0[1] / n];
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for p in pts {
        let (rx, ry) = (p[0] - c0[0], p[1] - c0[1]);
        let r = [rx * ux[0] + ry * ux[1], rx * uy[0] + ry * uy[1]];
        for k in 0..2 {
            lo[k] = lo[k].min(r[k]);
            hi[k] = hi[k].max(r[k]);
        }
    }
    let c1 = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
    let size = (hi[0] - lo[0]).max(hi[1] - lo[1]) * params.scale;
    if !(size > 1e-3 && size.is_finite()) {
        return None;
    }
    let (sx, sy) = (
        c1[0] + params.vx_ratio * size,
        c1[1] + params.vy_ratio * size,
    );
    let center = [
        c0[0] + ux[0] * sx + uy[0] * sy,
        c0[1] + ux[1] * sx + uy[1] * sy,
    ];
    // crop = s R (p - center) + dsize / 2 with R's rows ux and uy: a = s ux.x, b = s uy.x.
    let s = dsize / size;
    let (a, b) = (s * ux[0], s * uy[0]);
    let half = dsize / 2.0;
    Some(Similarity2 {
        a,
        b,
        tx: half - (a * center[0] - b * center[1]),
        ty: half - (b * center[0] + a * center[1]),
    })
}

/// Largest crop side [`sample_crop`] takes, pixels (the extractors take 256).
pub const MAX_CROP_SIZE: usize = 512;

/// Samples the `size` x `size` RGB8 crop (row-major, 3 bytes a pixel, into `out`) whose pixel
/// centre `(i + 0.5, j + 0.5)` maps through `c2o` (crop to picture, square pixels) to the
/// picture `src` of pixel aspect ratio `par` (its x in source pixels is the square-pixel x over
/// `par`). Bilinear, edge pixels extended outside the picture (as [`RgbSource::sample`]); when
/// one crop pixel spans more than a picture pixel, `n` x `n` samples are averaged (`n` up to 4,
/// from the scale) so that a large picture is not aliased.
///
/// Allocates nothing (its scratch rows are on the stack).
///
/// Panics when `out` is not `size * size * 3` bytes or `size` exceeds [`MAX_CROP_SIZE`].
pub fn sample_crop(
    src: &(dyn RgbSource + Sync),
    par: f32,
    c2o: &Similarity2,
    size: usize,
    out: &mut [u8],
) {
    assert_eq!(out.len(), size * size * 3, "crop buffer size");
    assert!(
        size <= MAX_CROP_SIZE,
        "crop side {size} over {MAX_CROP_SIZE}"
    );
    let par = if par > 0.0 { par } else { 1.0 };
    let n = (c2o.scale().max(c2o.scale() / par).ceil() as usize).clamp(1, 4);
    let step = 1.0 / n as f32;
    let mut row_buf = [0u8; MAX_CROP_SIZE * 4 * 3];
    let mut acc_buf = [0u32; MAX_CROP_SIZE * 3];
    let row = &mut row_buf[..size * n * 3];
    let acc = &mut acc_buf[..size * 3];
    for j in 0..size {
        acc.iter_mut().for_each(|v| *v = 0);
        for sj in 0..n {
            let cy = j as f32 + (sj as f32 + 0.5) * step;
            let cx = 0.5 * step;
            let p = c2o.apply([cx, cy]);
            row.iter_mut().for_each(|v| *v = 0);
            src.sample_span(p[0] / par, p[1], c2o.a * step / par, c2o.b * step, row);
            for (i, px) in row.chunks_exact(3).enumerate() {
                let o = (i / n) * 3;
                for c in 0..3 {
                    acc[o + c] += px[c] as u32;
                }
            }
        }
        let nn = (n * n) as u32;
        for (o, &v) in out[j * size * 3..(j + 1) * size * 3]
            .iter_mut()
            .zip(acc.iter())
        {
            *o = ((v + nn / 2) / nn) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn a_similarity_round_trips() {
        let angle = 0.3f32;
        let s = 1.7f32;
        let m = Similarity2 {
            a: s * angle.cos(),
            b: s * angle.sin(),
            tx: 12.5,
            ty: -40.0,
        };
        let inv = m.inverse();
        for p in [[0.0, 0.0], [100.0, 3.0], [-7.5, 250.0]] {
            let q = inv.apply(m.apply(p));
            assert!(
                (q[0] - p[0]).abs() < 1e-3 && (q[1] - p[1]).abs() < 1e-3,
                "{p:?} -> {q:?}"
            );
        }
        // Rotation by `angle` and scale `s`: the x axis maps to (s cos, s sin).
        let e = m.apply([1.0, 0.0]);
        let o = m.apply([0.0, 0.0]);
        assert!((e[0] - o[0] - s * angle.cos()).abs() < 1e-5);
        assert!((e[1] - o[1] - s * angle.sin()).abs() < 1e-5);
        let k = m.then_scale(2.0);
        let q = k.apply([3.0, 4.0]);
        let r = m.apply([3.0, 4.0]);
        assert!((q[0] - 2.0 * r[0]).abs() < 1e-4 && (q[1] - 2.0 * r[1]).abs() < 1e-4);
        assert!((m.scale() - s).abs() < 1e-5);
    }

    /// 468 landmarks of an upright synthetic face centred at `c` with eyes `w` apart, rotated
    /// by `roll` radians: the eyes, mouth corners and a box of other points.
    fn synthetic_face(c: [f32; 2], w: f32, roll: f32) -> Vec<[f32; 3]> {
        let mut local = vec![[0.0f32; 2]; 468];
        // Box: the remaining points spread on a 1.6w x 2w rectangle's edge around the centre
        // (centre at the middle between the eyes and the mouth, which is also the box's).
        for (i, p) in local.iter_mut().enumerate() {
            let t = i as f32 / 468.0 * 4.0;
            let (u, v) = match t as u32 {
                0 => (t.fract() * 2.0 - 1.0, -1.0),
                1 => (1.0, t.fract() * 2.0 - 1.0),
                2 => (1.0 - t.fract() * 2.0, 1.0),
                _ => (-1.0, 1.0 - t.fract() * 2.0),
            };
            *p = [u * 0.8 * w, v * w];
        }
        for &i in &RIGHT_EYE {
            local[i] = [-w / 2.0, -w / 2.0];
        }
        for &i in &LEFT_EYE {
            local[i] = [w / 2.0, -w / 2.0];
        }
        local[OUTER_MOUTH_CORNERS.0] = [-w / 3.0, w / 2.0];
        local[OUTER_MOUTH_CORNERS.1] = [w / 3.0, w / 2.0];
        let (cs, sn) = (roll.cos(), roll.sin());
        local
            .iter()
            .map(|p| {
                [
                    c[0] + cs * p[0] - sn * p[1],
                    c[1] + sn * p[0] + cs * p[1],
                    0.0,
                ]
            })
            .collect()
    }

    #[test]
    fn an_upright_face_lands_centred_and_level() {
        for roll in [0.0f32, 0.4, -0.7] {
            let pts = synthetic_face([300.0, 200.0], 80.0, roll);
            let params = CropParams {
                scale: 2.0,
                vx_ratio: 0.0,
                vy_ratio: 0.0,
            };
            let m = crop_transform(&pts, 256.0, &params).unwrap();
            // The box is 1.6w x 2w: the crop side is 2 * 2w = 320 picture pixels.
            assert!(
                (m.scale() - 256.0 / 320.0).abs() < 1e-3,
                "{roll}: {}",
                m.scale()
            );
            let c = m.apply([300.0, 200.0]);
            assert!(
                (c[0] - 128.0).abs() < 0.05 && (c[1] - 128.0).abs() < 0.05,
                "{roll}: {c:?}"
            );
            // Level: both eyes on one crop row, right eye (image left) on the left.
            let (r, l) = (
                m.apply([pts[33][0], pts[33][1]]),
                m.apply([pts[263][0], pts[263][1]]),
            );
            assert!((r[1] - l[1]).abs() < 1e-2, "{roll}: {r:?} {l:?}");
            assert!(r[0] < l[0]);
            // The eyes above the mouth.
            let mouth = m.apply([pts[61][0], pts[61][1]]);
            assert!(mouth[1] > r[1] + 10.0);
            // vy_ratio < 0 moves the face down in the crop (more forehead).
            let up = crop_transform(&pts, 256.0, &SOURCE_CROP).unwrap();
            let c = up.apply([300.0, 200.0]);
            assert!((c[0] - 128.0).abs() < 0.05, "{roll}: {c:?}");
            assert!((c[1] - 128.0 - 0.125 * 256.0).abs() < 0.05, "{roll}: {c:?}");
        }
        assert!(crop_transform(
            &synthetic_face([0.0, 0.0], 80.0, 0.0)[..400],
            256.0,
            &SOURCE_CROP
        )
        .is_none());
    }

    #[test]
    fn the_crop_samples_through_the_transform() {
        // A picture whose left half is red and right half blue, with a green dot at (70, 30).
        let mut img = RgbImage::from_fn(200, 100, |x, _| {
            if x < 100 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        for y in 28..33 {
            for x in 68..73 {
                img.put_pixel(x, y, Rgb([0, 255, 0]));
            }
        }
        // Crop 64x64 around (70, 30) at 1:1, rotated a quarter turn: crop x runs along picture y.
        let c2o = Similarity2 {
            a: 0.0,
            b: 1.0,
            tx: 70.0 + 32.0,
            ty: 30.0 - 32.0,
        };
        let mut out = vec![0u8; 64 * 64 * 3];
        sample_crop(&img, 1.0, &c2o, 64, &mut out);
        let px = |i: usize, j: usize| &out[(j * 64 + i) * 3..(j * 64 + i) * 3 + 3];
        assert_eq!(px(32, 32), &[0, 255, 0]);
        // Crop y grows to picture -x: crop row 0 is picture x = 102 (blue), the last row x = 39.
        assert_eq!(px(10, 0), &[0, 0, 255]);
        assert_eq!(px(10, 63), &[255, 0, 0]);
        // Shrinking 4x averages: a half-red, half-blue strip at the seam.
        let shrink = Similarity2 {
            a: 4.0,
            b: 0.0,
            tx: 100.0 - 2.0,
            ty: 0.0,
        };
        let mut out = vec![0u8; 4 * 4 * 3];
        sample_crop(&img, 1.0, &shrink, 4, &mut out);
        let p = &out[0..3];
        assert!(
            p[0] > 100 && p[0] < 155 && p[2] > 100 && p[2] < 155,
            "{p:?}"
        );
    }
}
