//! Caps negotiation: any actor size gives any output size (the avatar is scaled to it once); the
//! output prefers the avatar picture's size (up to `output-max-side`), square pixels, and with an
//! alpha the alpha formats first.

use super::frames::{ALPHA_FORMATS, FORMATS};
use crate::output_size::other_side;

/// The caps on the other pad for `caps` on the `direction` pad: every size, the formats (with
/// `alpha`, those with an alpha channel first on the source pad, then the input's, then any),
/// and on the source pad the `preferred` output size (width, height in pixels) first.
pub fn transform_caps(
    direction: gst::PadDirection,
    caps: &gst::Caps,
    preferred: Option<(u32, u32)>,
    alpha: bool,
) -> gst::Caps {
    let mut out = caps.clone();
    for s in out.make_mut().iter_mut() {
        if alpha {
            match direction {
                // With an alpha, the output's format is free of the input's: alpha formats
                // first, then the input's, then the others (without alpha, the avatar is
                // composited over white; see set_info's warning).
                gst::PadDirection::Sink => {
                    let mut formats: Vec<String> = ALPHA_FORMATS
                        .iter()
                        .map(|f| f.to_str().to_string())
                        .collect();
                    let given: Vec<String> = match s.get::<gst::List>("format") {
                        Ok(list) => list.iter().filter_map(|v| v.get::<String>().ok()).collect(),
                        Err(_) => s.get::<String>("format").ok().into_iter().collect(),
                    };
                    // Then the input's format, then any other (the output is converted).
                    let others = FORMATS.iter().map(|f| f.to_str().to_string());
                    for f in given.into_iter().chain(others) {
                        if !formats.contains(&f) {
                            formats.push(f);
                        }
                    }
                    s.set("format", gst::List::new(formats));
                    // The input's YUV colorimetry does not describe an RGBA output.
                    s.remove_fields(["colorimetry", "chroma-site"]);
                }
                _ => s.set(
                    "format",
                    gst::List::new(FORMATS.iter().map(|f| f.to_str().to_string())),
                ),
            }
        }
        // Any actor size gives any output size (the avatar is scaled to it once), and any
        // output size takes any actor size.
        s.remove_fields(["width", "height", "pixel-aspect-ratio"]);
        s.set("width", gst::IntRange::new(1, i32::MAX));
        s.set("height", gst::IntRange::new(1, i32::MAX));
        if direction == gst::PadDirection::Sink {
            s.set("pixel-aspect-ratio", gst::Fraction::new(1, 1));
        }
    }
    if let (gst::PadDirection::Sink, Some((w, h))) = (direction, preferred) {
        // Sink → src: the avatar's own size (up to output-max-side) first, square pixels; then
        // any size downstream asks for.
        let mut first = out.clone();
        for s in first.make_mut().iter_mut() {
            s.set("width", w as i32);
            s.set("height", h as i32);
        }
        first.make_mut().append(out);
        out = first;
    }
    out
}

/// Fixes the output's width and height left open by downstream in `s`: a side asked alone gets
/// the other by the `picture`'s aspect ratio; neither asked: the `preferred` size (the picture's
/// up to `output-max-side`), or the nearest downstream allows. Sizes in pixels.
pub fn fixate_size(s: &mut gst::StructureRef, picture: (u32, u32), preferred: (u32, u32)) {
    let (pw, ph) = preferred;
    let side = |s: &gst::StructureRef, f: &str| s.get::<i32>(f).ok().map(|v| v.max(1) as u32);
    let aspect = |v: Option<u32>| v.map_or(i32::MAX, |v| v.min(i32::MAX as u32) as i32);
    match (side(s, "width"), side(s, "height")) {
        (Some(_), Some(_)) => {}
        (Some(w), None) => {
            s.fixate_field_nearest_int("height", aspect(other_side(picture, Some(w), None)));
        }
        (None, Some(h)) => {
            s.fixate_field_nearest_int("width", aspect(other_side(picture, None, Some(h))));
        }
        (None, None) => {
            s.fixate_field_nearest_int("width", pw as i32);
            let w = side(s, "width").unwrap_or(pw);
            let h = if w == pw {
                ph
            } else {
                other_side(picture, Some(w), None).unwrap_or(ph)
            };
            s.fixate_field_nearest_int("height", h as i32);
        }
    }
}

/// The width and height `caps` fix (every structure the same), if they do: what downstream asks
/// for with a caps filter.
pub fn fixed_size(caps: &gst::Caps) -> Option<(u32, u32)> {
    if caps.is_any() || caps.is_empty() {
        return None;
    }
    let mut size = None;
    for s in caps.iter() {
        let w = s.get::<i32>("width").ok().filter(|&w| w > 0)? as u32;
        let h = s.get::<i32>("height").ok().filter(|&h| h > 0)? as u32;
        if size.is_some_and(|seen| seen != (w, h)) {
            return None;
        }
        size = Some((w, h));
    }
    size
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(text: &str) -> gst::Caps {
        gst::init().unwrap();
        text.parse().unwrap()
    }

    #[test]
    fn the_avatar_size_comes_first_then_any_size() {
        let input = caps("video/x-raw,format=I420,width=640,height=480,framerate=30/1");
        let out = transform_caps(gst::PadDirection::Sink, &input, Some((512, 512)), false);
        let first = out.structure(0).unwrap();
        assert_eq!(first.get::<i32>("width").unwrap(), 512);
        assert_eq!(first.get::<i32>("height").unwrap(), 512);
        assert_eq!(first.get::<String>("format").unwrap(), "I420");
        let any = out.structure(1).unwrap();
        assert!(any.get::<gst::IntRange<i32>>("width").is_ok());
        assert_eq!(
            any.get::<gst::Fraction>("pixel-aspect-ratio").unwrap(),
            gst::Fraction::new(1, 1)
        );
    }

    #[test]
    fn with_an_alpha_the_alpha_formats_come_first() {
        let input = caps("video/x-raw,format=I420,width=640,height=480,colorimetry=bt709");
        let out = transform_caps(gst::PadDirection::Sink, &input, None, true);
        let s = out.structure(0).unwrap();
        let formats: Vec<String> = s
            .get::<gst::List>("format")
            .unwrap()
            .iter()
            .map(|v| v.get::<String>().unwrap())
            .collect();
        assert_eq!(&formats[..5], ["RGBA", "BGRA", "ARGB", "ABGR", "I420"]);
        assert!(!s.has_field("colorimetry"));
    }

    #[test]
    fn a_side_asked_alone_gets_the_other_by_the_picture_s_aspect() {
        let c = caps("video/x-raw,width=1000,height=[1,2147483647]");
        let mut c = c;
        fixate_size(
            c.make_mut().structure_mut(0).unwrap(),
            (2000, 1000),
            (2000, 1000),
        );
        assert_eq!(c.structure(0).unwrap().get::<i32>("height").unwrap(), 500);
        let mut free = caps("video/x-raw,width=[1,2147483647],height=[1,2147483647]");
        fixate_size(
            free.make_mut().structure_mut(0).unwrap(),
            (4000, 3000),
            (1920, 1440),
        );
        let s = free.structure(0).unwrap();
        assert_eq!(
            (
                s.get::<i32>("width").unwrap(),
                s.get::<i32>("height").unwrap()
            ),
            (1920, 1440)
        );
    }

    #[test]
    fn a_size_is_fixed_only_when_every_structure_says_the_same() {
        assert_eq!(
            fixed_size(&caps("video/x-raw,width=320,height=240")),
            Some((320, 240))
        );
        assert_eq!(
            fixed_size(&caps("video/x-raw,width=[1,100],height=240")),
            None
        );
        assert_eq!(
            fixed_size(&caps(
                "video/x-raw,width=320,height=240; video/x-raw,width=640,height=480"
            )),
            None
        );
        assert_eq!(fixed_size(&gst::Caps::new_any()), None);
    }
}
