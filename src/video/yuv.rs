//! Y'CbCr <-> R'G'B' conversion for 8-bit video (ITU-R BT.601, BT.709, BT.2020 matrices, limited
//! or full range), as GStreamer's `videoconvert` does for the same colorimetry.
//!
//! Formulas: ITU-R BT.601-7 / BT.709-6 section 3, with Kg = 1 - Kr - Kb:
//! Y = Kr R + Kg G + Kb B, Cb = (B - Y) / (2 (1 - Kb)), Cr = (R - Y) / (2 (1 - Kr)), R, G, B and Y in
//! 0..255, Cb and Cr in -127.5..127.5. Limited ("TV") range stores Y as 16 + 219/255 Y and the
//! chroma as 128 + 224/255 C; full range stores Y as is and the chroma as 128 + C.

/// The colour matrix and range of a Y'CbCr frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YuvMatrix {
    /// Red weight of luma.
    pub kr: f32,
    /// Blue weight of luma.
    pub kb: f32,
    /// Full range (0..255) rather than limited (16..235 luma, 16..240 chroma).
    pub full_range: bool,
}

impl YuvMatrix {
    /// ITU-R BT.601 (standard-definition video), limited range.
    pub const BT601: YuvMatrix = YuvMatrix {
        kr: 0.299,
        kb: 0.114,
        full_range: false,
    };
    /// ITU-R BT.709 (high-definition video), limited range.
    pub const BT709: YuvMatrix = YuvMatrix {
        kr: 0.2126,
        kb: 0.0722,
        full_range: false,
    };
    /// ITU-R BT.2020 (ultra-high-definition video), limited range.
    pub const BT2020: YuvMatrix = YuvMatrix {
        kr: 0.2627,
        kb: 0.0593,
        full_range: false,
    };

    /// The same matrix in full range (JPEG-style, as many webcams send).
    pub const fn full(self) -> YuvMatrix {
        YuvMatrix {
            full_range: true,
            ..self
        }
    }

    /// R, G, B (0..255, not clamped) of stored 8-bit values `y`, `u` (Cb), `v` (Cr) given as
    /// floats (they may be interpolated).
    #[inline(always)]
    pub fn to_rgb(&self, y: f32, u: f32, v: f32) -> [f32; 3] {
        let (y, cb, cr) = if self.full_range {
            (y, u - 128.0, v - 128.0)
        } else {
            (
                (y - 16.0) * (255.0 / 219.0),
                (u - 128.0) * (255.0 / 224.0),
                (v - 128.0) * (255.0 / 224.0),
            )
        };
        let kg = 1.0 - self.kr - self.kb;
        let r = y + 2.0 * (1.0 - self.kr) * cr;
        let b = y + 2.0 * (1.0 - self.kb) * cb;
        let g = (y - self.kr * r - self.kb * b) / kg;
        [r, g, b]
    }

    /// [`YuvMatrix::to_rgb`] as an affine map, in `f64`: row `c` (R, G, B) is `[ky, ku, kv, k0]`
    /// with channel `c` = `ky` y + `ku` u + `kv` v + `k0` for stored values `y`, `u` (Cb), `v`
    /// (Cr). For kernels that fold the conversion into their own scaling.
    pub fn to_rgb_affine(&self) -> [[f64; 4]; 3] {
        let (kr, kb) = (self.kr as f64, self.kb as f64);
        let kg = 1.0 - kr - kb;
        // Y' = ky (y - y0), Cb = kc (u - 128), Cr = kc (v - 128).
        let (ky, y0, kc) = if self.full_range {
            (1.0, 0.0, 1.0)
        } else {
            (255.0 / 219.0, 16.0, 255.0 / 224.0)
        };
        // R = Y' + 2 (1 - kr) Cr, B = Y' + 2 (1 - kb) Cb, G = (Y' - kr R - kb B) / kg.
        let (r_v, b_u) = (2.0 * (1.0 - kr) * kc, 2.0 * (1.0 - kb) * kc);
        let (g_v, g_u) = (-kr * r_v / kg, -kb * b_u / kg);
        let row = |ku: f64, kv: f64| [ky, ku, kv, -ky * y0 - 128.0 * (ku + kv)];
        [row(0.0, r_v), row(g_u, g_v), row(b_u, 0.0)]
    }

    /// Stored 8-bit Y, Cb, Cr of an R, G, B colour (0..255), rounded and clamped.
    #[inline]
    pub fn from_rgb(&self, rgb: [f32; 3]) -> [u8; 3] {
        let [y, cb, cr] = self.from_rgb_unrounded(rgb);
        [q(y), q(cb), q(cr)]
    }

    /// Stored Y, Cb, Cr of an R, G, B colour as floats (for averaging chroma before rounding).
    #[inline]
    pub fn from_rgb_unrounded(&self, [r, g, b]: [f32; 3]) -> [f32; 3] {
        let y = self.kr * r + (1.0 - self.kr - self.kb) * g + self.kb * b;
        let cb = (b - y) / (2.0 * (1.0 - self.kb));
        let cr = (r - y) / (2.0 * (1.0 - self.kr));
        if self.full_range {
            [y, 128.0 + cb, 128.0 + cr]
        } else {
            [
                16.0 + y * (219.0 / 255.0),
                128.0 + cb * (224.0 / 255.0),
                128.0 + cr * (224.0 / 255.0),
            ]
        }
    }
}

/// Rounds and clamps to a byte.
#[inline]
pub fn q(v: f32) -> u8 {
    (v + 0.5).clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_range_black_white_and_grey_map_to_the_nominal_levels() {
        for m in [YuvMatrix::BT601, YuvMatrix::BT709, YuvMatrix::BT2020] {
            assert_eq!(m.from_rgb([0.0; 3]), [16, 128, 128]);
            assert_eq!(m.from_rgb([255.0; 3]), [235, 128, 128]);
            let white = m.to_rgb(235.0, 128.0, 128.0);
            assert!(white.iter().all(|c| (c - 255.0).abs() < 1e-3), "{white:?}");
        }
        assert_eq!(
            YuvMatrix::BT709.full().from_rgb([255.0; 3]),
            [255, 128, 128]
        );
    }

    #[test]
    fn the_affine_form_converts_like_to_rgb() {
        for m in [YuvMatrix::BT601, YuvMatrix::BT709.full(), YuvMatrix::BT2020] {
            let k = m.to_rgb_affine();
            for (y, u, v) in [
                (16.0, 128.0, 128.0),
                (235.0, 16.0, 240.0),
                (81.3, 90.7, 239.9),
            ] {
                let want = m.to_rgb(y, u, v);
                for c in 0..3 {
                    let got =
                        k[c][0] * y as f64 + k[c][1] * u as f64 + k[c][2] * v as f64 + k[c][3];
                    assert!(
                        (got as f32 - want[c]).abs() < 1e-3,
                        "{m:?} {c}: {got} vs {want:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn bt601_red_matches_the_published_values_and_round_trips() {
        // BT.601 limited range: pure red is Y 81, Cb 90, Cr 240 (the standard's 75 % bars scale).
        assert_eq!(YuvMatrix::BT601.from_rgb([255.0, 0.0, 0.0]), [81, 90, 240]);
        for m in [YuvMatrix::BT601, YuvMatrix::BT709.full(), YuvMatrix::BT2020] {
            for rgb in [
                [200.0, 30.0, 90.0],
                [12.0, 250.0, 128.0],
                [90.0, 90.0, 200.0],
            ] {
                let [y, u, v] = m.from_rgb_unrounded(rgb);
                let back = m.to_rgb(y, u, v);
                for c in 0..3 {
                    assert!((back[c] - rgb[c]).abs() < 1e-2, "{m:?} {rgb:?} -> {back:?}");
                }
            }
        }
    }
}
