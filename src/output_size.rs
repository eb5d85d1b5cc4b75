//! The output's size: the avatar picture's own size up to a cap on its long side, or the size
//! downstream asks for; and where the picture lies in an output of another shape. Pure size
//! arithmetic, pixels; the scaling itself is [`crate::picture::fit_into`], the caps negotiation
//! the element's.
//!
//! Rules (docs/user-guide.md, "Output size"):
//! * Unconstrained, the output has the picture's size, padded to even width and height, unless
//!   its long side is over the cap ([`DEFAULT_MAX_SIDE`], the `output-max-side` property): then
//!   it is scaled to the cap, keeping its aspect ratio ([`capped`]).
//! * Downstream asks for a width only (or a height only): the other side keeps the picture's
//!   aspect ratio ([`other_side`]).
//! * Downstream asks for both: the whole picture is fitted inside, centred, and the rest is
//!   padded ([`fit`]); nothing of the picture is cut off.

/// Default cap on the long side of an unconstrained output, pixels: 1080p's long side. A phone
/// photo (3061x4600) gives a 1278x1920 output instead of 3062x4600 (8x fewer pixels to copy and
/// convert every frame).
pub const DEFAULT_MAX_SIDE: u32 = 1920;

/// Which size the avatar is prepared at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeRule {
    /// The picture's own size (even), scaled down to this cap on its long side when over it;
    /// 0: no cap.
    Capped(u32),
    /// Exactly this width and height (what downstream negotiated), pixels.
    Exact(u32, u32),
}

impl SizeRule {
    /// The output size this rule gives a `picture` (width, height) of that size.
    pub fn resolve(self, picture: (u32, u32)) -> (u32, u32) {
        match self {
            SizeRule::Capped(max_side) => capped(picture, max_side),
            SizeRule::Exact(w, h) => (w.max(1), h.max(1)),
        }
    }
}

/// `v` rounded to the nearest even number, at least 2.
fn even(v: f64) -> u32 {
    ((v / 2.0).round() as u32 * 2).max(2)
}

/// The unconstrained output size of a `picture` (width, height, pixels): the picture's size
/// padded to even width and height when its long side is at most `max_side` (or `max_side` is
/// 0); else scaled so that its long side is `max_side`, the other side keeping the aspect ratio,
/// both rounded to even.
///
/// E.g. 3061x4600 with 1920: 1278x1920; 512x512 with 1920: 512x512; 511x300: 512x300.
pub fn capped(picture: (u32, u32), max_side: u32) -> (u32, u32) {
    let (w, h) = (picture.0.max(1), picture.1.max(1));
    let long = w.max(h);
    if max_side == 0 || long <= max_side {
        return (w + w % 2, h + h % 2);
    }
    let s = f64::from(max_side) / f64::from(long);
    // An odd cap: the even side below it.
    let limit = (max_side & !1).max(2);
    (
        even(f64::from(w) * s).min(limit),
        even(f64::from(h) * s).min(limit),
    )
}

/// The side that keeps a `picture`'s aspect ratio when one side is given: with `width` given,
/// the height, else with `height` given, the width; rounded to even, at least 2. Both or
/// neither given: `None`.
///
/// E.g. 3061x4600 with width 1280: height 1924.
pub fn other_side(picture: (u32, u32), width: Option<u32>, height: Option<u32>) -> Option<u32> {
    let (w, h) = (f64::from(picture.0.max(1)), f64::from(picture.1.max(1)));
    match (width, height) {
        (Some(tw), None) => Some(even(f64::from(tw) * h / w)),
        (None, Some(th)) => Some(even(f64::from(th) * w / h)),
        _ => None,
    }
}

/// Where a picture lies in an output of another size: the rectangle it is scaled to, pixels
/// of the output, origin top-left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width of the scaled picture.
    pub width: u32,
    /// Height of the scaled picture.
    pub height: u32,
}

/// The largest rectangle with a `picture`'s aspect ratio that fits inside `target` (width,
/// height, pixels), centred ("letterbox" or "pillarbox"): the whole picture is kept, and the
/// bands left and right (or above and below) are the padding. A side within half a pixel of the
/// target's fills it; every side is at least 1 pixel.
///
/// E.g. 3061x4600 into 1920x1080: 719x1080 at x = 600.
pub fn fit(picture: (u32, u32), target: (u32, u32)) -> Placement {
    let (pw, ph) = (f64::from(picture.0.max(1)), f64::from(picture.1.max(1)));
    let (tw, th) = (target.0.max(1), target.1.max(1));
    let s = (f64::from(tw) / pw).min(f64::from(th) / ph);
    let width = ((pw * s).round() as u32).clamp(1, tw);
    let height = ((ph * s).round() as u32).clamp(1, th);
    Placement {
        x: (tw - width) / 2,
        y: (th - height) / 2,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_photo_is_capped_on_its_long_side_keeping_its_aspect_ratio() {
        assert_eq!(capped((3061, 4600), 1920), (1278, 1920));
        assert_eq!(capped((4600, 3061), 1920), (1920, 1278));
        assert_eq!(capped((4000, 4000), 1000), (1000, 1000));
        let (w, h) = capped((3061, 4600), 1080);
        assert_eq!(h, 1080);
        assert!((w as f64 / h as f64 - 3061.0 / 4600.0).abs() < 2.0 / 1080.0);
    }

    #[test]
    fn a_picture_within_the_cap_or_without_one_keeps_its_size_padded_to_even() {
        assert_eq!(capped((512, 512), 1920), (512, 512));
        assert_eq!(capped((511, 301), 1920), (512, 302));
        assert_eq!(capped((1920, 1080), 1920), (1920, 1080));
        assert_eq!(capped((3061, 4600), 0), (3062, 4600));
        assert_eq!(SizeRule::Capped(0).resolve((3061, 4600)), (3062, 4600));
        assert_eq!(
            SizeRule::Exact(1921, 1081).resolve((3061, 4600)),
            (1921, 1081)
        );
    }

    #[test]
    fn capped_sizes_are_even_and_never_exceed_the_cap() {
        for (w, h) in [
            (3061, 4600),
            (1921, 3),
            (5000, 1),
            (16384, 9999),
            (2001, 2001),
        ] {
            for cap in [2, 100, 1279, 1920] {
                let (cw, ch) = capped((w, h), cap);
                assert!(cw % 2 == 0 && ch % 2 == 0, "{w}x{h} cap {cap}: {cw}x{ch}");
                assert!(cw.max(ch) <= cap.max(2), "{w}x{h} cap {cap}: {cw}x{ch}");
                assert!(cw >= 2 && ch >= 2);
            }
        }
    }

    #[test]
    fn one_side_asked_gives_the_other_by_the_aspect_ratio() {
        assert_eq!(other_side((3061, 4600), Some(1280), None), Some(1924));
        assert_eq!(other_side((3061, 4600), None, Some(1080)), Some(718));
        assert_eq!(other_side((512, 512), Some(301), None), Some(302));
        assert_eq!(other_side((512, 512), Some(1), None), Some(2));
        assert_eq!(other_side((512, 512), Some(100), Some(100)), None);
        assert_eq!(other_side((512, 512), None, None), None);
    }

    #[test]
    fn a_picture_of_another_shape_is_fitted_whole_and_centred() {
        // Portrait into landscape: pillarbox.
        let p = fit((3061, 4600), (1920, 1080));
        assert_eq!((p.width, p.height), (719, 1080));
        assert_eq!((p.x, p.y), (600, 0));
        // Landscape into portrait: letterbox.
        let p = fit((1920, 1080), (1080, 1920));
        assert_eq!((p.width, p.height), (1080, 608));
        assert_eq!((p.x, p.y), (0, 656));
        // Same shape: fills it, up or down.
        assert_eq!(
            fit((512, 512), (1024, 1024)),
            Placement {
                x: 0,
                y: 0,
                width: 1024,
                height: 1024
            }
        );
        assert_eq!(
            fit((3062, 4600), (1278, 1920)),
            Placement {
                x: 0,
                y: 0,
                width: 1278,
                height: 1920
            }
        );
        // Always inside, never empty.
        for (pic, target) in [((1, 10000), (100, 100)), ((7, 3), (2, 2)), ((5, 5), (1, 3))] {
            let p = fit(pic, target);
            assert!(p.width >= 1 && p.height >= 1);
            assert!(
                p.x + p.width <= target.0 && p.y + p.height <= target.1,
                "{pic:?} {target:?}: {p:?}"
            );
        }
    }
}
