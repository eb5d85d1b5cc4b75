//! Axis-aligned pixel rectangles: the part of the output a frame changed.

/// Pixels `x0..x1` x `y0..y1` (ends exclusive), in a picture's pixel grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    /// First column.
    pub x0: u32,
    /// First row.
    pub y0: u32,
    /// One past the last column.
    pub x1: u32,
    /// One past the last row.
    pub y1: u32,
}

impl Rect {
    /// The whole of a `width` x `height` picture.
    pub fn full(width: u32, height: u32) -> Rect {
        Rect {
            x0: 0,
            y0: 0,
            x1: width,
            y1: height,
        }
    }

    /// The pixels touched by anything inside the continuous box `lo`..`hi` (x, y in pixels),
    /// clipped to a `width` x `height` picture.
    pub fn covering(lo: [f32; 2], hi: [f32; 2], width: u32, height: u32) -> Rect {
        let clip = |v: f32, max: u32| {
            if v.is_finite() {
                v.clamp(0.0, max as f32)
            } else if v > 0.0 {
                max as f32
            } else {
                0.0
            }
        };
        let r = Rect {
            x0: clip(lo[0].floor(), width) as u32,
            y0: clip(lo[1].floor(), height) as u32,
            x1: clip(hi[0].ceil(), width) as u32,
            y1: clip(hi[1].ceil(), height) as u32,
        };
        if r.is_empty() {
            Rect::default()
        } else {
            r
        }
    }

    /// Whether it holds no pixel.
    pub fn is_empty(&self) -> bool {
        self.x0 >= self.x1 || self.y0 >= self.y1
    }

    /// The smallest rectangle holding both (an empty one adds nothing).
    pub fn union(&self, other: &Rect) -> Rect {
        if self.is_empty() {
            return *other;
        }
        if other.is_empty() {
            return *self;
        }
        Rect {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }

    /// Grown to even bounds (for 4:2:0 chroma blocks), clipped to `width` x `height`.
    pub fn to_even(&self, width: u32, height: u32) -> Rect {
        if self.is_empty() {
            return *self;
        }
        Rect {
            x0: self.x0 & !1,
            y0: self.y0 & !1,
            x1: (self.x1 + (self.x1 & 1)).min(width),
            y1: (self.y1 + (self.y1 & 1)).min(height),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covering_rounds_outwards_and_clips() {
        let r = Rect::covering([10.2, -5.0], [20.1, 30.9], 16, 100);
        assert_eq!(
            r,
            Rect {
                x0: 10,
                y0: 0,
                x1: 16,
                y1: 31
            }
        );
        assert!(Rect::covering([50.0, 0.0], [60.0, 5.0], 16, 100).is_empty());
        assert!(Rect::covering([f32::NAN, 0.0], [1.0, 1.0], 16, 100).x1 <= 16);
    }

    #[test]
    fn union_ignores_empty_and_even_grows_to_chroma_blocks() {
        let a = Rect {
            x0: 3,
            y0: 5,
            x1: 7,
            y1: 9,
        };
        assert_eq!(a.union(&Rect::default()), a);
        assert_eq!(
            a.union(&Rect {
                x0: 1,
                y0: 6,
                x1: 4,
                y1: 12
            }),
            Rect {
                x0: 1,
                y0: 5,
                x1: 7,
                y1: 12
            }
        );
        assert_eq!(
            a.to_even(100, 100),
            Rect {
                x0: 2,
                y0: 4,
                x1: 8,
                y1: 10
            }
        );
        assert_eq!(
            a.to_even(7, 9),
            Rect {
                x0: 2,
                y0: 4,
                x1: 7,
                y1: 9
            }
        );
    }
}
