//! The `actor-region` property: a part of the frame given as fractions of its width and height,
//! written `x,y,width,height` ([`FrameRegion`]). The search and the tracker keep to it (see
//! [`super::search::Area::of_picture`]).

/// A part of the frame in fractions of its width and height (0..1, origin top-left): the
/// `actor-region` property, written `x,y,width,height` (e.g. `0.25,0,0.5,0.6`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameRegion {
    /// Left edge, fraction of the frame width.
    pub x: f32,
    /// Top edge, fraction of the frame height.
    pub y: f32,
    /// Width, fraction of the frame width.
    pub width: f32,
    /// Height, fraction of the frame height.
    pub height: f32,
}

impl std::str::FromStr for FrameRegion {
    type Err = String;

    /// Parses `x,y,width,height` (fractions). Errors say what is wrong and what is expected.
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let usage = "expected four fractions of the frame, x,y,width,height, e.g. 0.25,0,0.5,0.6";
        if parts.len() != 4 {
            return Err(format!("\"{s}\": {usage}"));
        }
        let mut v = [0f32; 4];
        for (slot, part) in v.iter_mut().zip(&parts) {
            *slot = part
                .parse::<f32>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| format!("\"{s}\": \"{part}\" is not a number; {usage}"))?;
        }
        let [x, y, width, height] = v;
        if x < 0.0 || y < 0.0 || width <= 0.0 || height <= 0.0 {
            return Err(format!(
                "\"{s}\": x and y must be 0 or more, width and height more than 0; {usage}"
            ));
        }
        if x + width > 1.0 + 1e-4 || y + height > 1.0 + 1e-4 {
            return Err(format!(
                "\"{s}\": the region must lie inside the frame (x + width and y + height at most 1)"
            ));
        }
        Ok(FrameRegion {
            x,
            y,
            width,
            height,
        })
    }
}

impl std::fmt::Display for FrameRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{},{},{}", self.x, self.y, self.width, self.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_reads_from_four_fractions_and_a_wrong_one_says_why() {
        let r: FrameRegion = " 0.1, 0.2 ,0.3,0.4".parse().unwrap();
        assert_eq!(
            r,
            FrameRegion {
                x: 0.1,
                y: 0.2,
                width: 0.3,
                height: 0.4
            }
        );
        assert_eq!(r.to_string().parse::<FrameRegion>().unwrap(), r);
        for (bad, says) in [
            ("0.1,0.2,0.3", "four fractions"),
            ("a,0,1,1", "\"a\" is not a number"),
            ("0,0,0,1", "more than 0"),
            ("0.6,0,0.5,1", "inside the frame"),
            ("nan,0,1,1", "not a number"),
        ] {
            let e = bad.parse::<FrameRegion>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
