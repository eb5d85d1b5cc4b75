//! A copy of the actor's open mouth, kept for the frames that no longer show the actor's face:
//! while the avatar eases to rest ([`crate::motion::rest`]) its opening mouth is still filled
//! with the actor's last teeth and tongue, closing with the lips, instead of switching to the
//! avatar's own dark interior in one frame.

use image::RgbImage;

use super::mouth::{actor_interior_weight, MouthSource};
use crate::face::landmarker::EYE_CORNERS;
use crate::face::mesh_topology::LIPS_INNER;
use crate::video::RgbSource;

/// Margin around the inner lips' box that the patch keeps, in shares of the box's larger side
/// (the mouth fan samples slightly outside the contour when it feathers).
pub const MARGIN: f32 = 0.25;

/// The actor's mouth region (8-bit RGB, square pixels) and the actor's landmarks in the patch's
/// coordinates; empty until a frame with an open mouth was captured.
#[derive(Debug, Clone, Default)]
pub struct MouthPatch {
    image: RgbImage,
    points: Vec<[f32; 3]>,
}

impl MouthPatch {
    /// An empty patch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the captured mouth.
    pub fn clear(&mut self) {
        self.points.clear();
    }

    /// Captures the mouth of `actor` (pixel aspect `par`) whose 468 or more landmarks are
    /// `points` (square pixels), when it is open enough for its interior to be drawn (see
    /// [`actor_interior_weight`]); a closed mouth clears the patch. Reuses the patch's buffers:
    /// nothing is allocated once they have held the largest mouth.
    pub fn capture(&mut self, actor: &(dyn RgbSource + Sync), par: f32, points: &[[f32; 3]]) {
        if actor_interior_weight(points) <= 0.0 {
            self.clear();
            return;
        }
        let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
        for &i in &LIPS_INNER {
            for c in 0..2 {
                lo[c] = lo[c].min(points[i][c]);
                hi[c] = hi[c].max(points[i][c]);
            }
        }
        let margin = MARGIN * (hi[0] - lo[0]).max(hi[1] - lo[1]);
        let (x0, y0) = ((lo[0] - margin).floor(), (lo[1] - margin).floor());
        let w = ((hi[0] + margin).ceil() - x0).clamp(1.0, 4096.0) as u32;
        let h = ((hi[1] + margin).ceil() - y0).clamp(1.0, 4096.0) as u32;
        if self.image.dimensions() != (w, h) {
            // The same buffer, resized within its capacity; when it must grow, room for a square
            // of two eye-corner distances, more than a mouth opens to (so that a mouth opening
            // wider does not allocate again).
            let mut data = std::mem::take(&mut self.image).into_raw();
            let needed = w as usize * h as usize * 3;
            if data.capacity() < needed {
                let (a, b) = (points[EYE_CORNERS.0], points[EYE_CORNERS.1]);
                let room = (2.0 * ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt())
                    .min(4096.0) as usize;
                data.reserve(needed.max(room * room * 3) - data.len());
            }
            data.resize(needed, 0);
            self.image = RgbImage::from_raw(w, h, data).expect("sized for w x h");
        }
        let row_bytes = w as usize * 3;
        for (j, row) in self.image.chunks_exact_mut(row_bytes).enumerate() {
            // Pixel centres of the patch, in the actor picture's own pixels.
            actor.sample_span((x0 + 0.5) / par, y0 + j as f32 + 0.5, 1.0 / par, 0.0, row);
        }
        self.points.clear();
        self.points
            .extend(points.iter().map(|p| [p[0] - x0, p[1] - y0, p[2]]));
    }

    /// The captured mouth as a source for the mouth interior; `None` when none is captured.
    pub fn source(&self) -> Option<MouthSource<'_>> {
        (!self.points.is_empty()).then_some(MouthSource {
            image: &self.image,
            par: 1.0,
            points: &self.points,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::opening_measures::mouth_opening_of;

    /// 468 points with the inner lips on a circle of radius `r` about (cx, cy) (their upper and
    /// lower middle points `r` apart vertically).
    fn mouth(cx: f32, cy: f32, r: f32) -> Vec<[f32; 3]> {
        let mut p = vec![[cx, cy - 3.0 * r, 0.0]; 468];
        let n = LIPS_INNER.len();
        for (k, &i) in LIPS_INNER.iter().enumerate() {
            let a = k as f32 / n as f32 * std::f32::consts::TAU;
            p[i] = [cx + 2.0 * r * a.cos(), cy + r * a.sin(), 0.0];
        }
        // Eye corners, for the opening's scale.
        p[33] = [cx - 40.0, cy - 50.0, 0.0];
        p[263] = [cx + 40.0, cy - 50.0, 0.0];
        p
    }

    #[test]
    fn an_open_mouth_is_copied_with_its_landmarks_and_a_closed_one_is_not() {
        // A picture whose colour encodes the position: the patch must show the same pixels.
        let actor = RgbImage::from_fn(200, 160, |x, y| image::Rgb([x as u8, y as u8, 77]));
        let points = mouth(100.0, 110.0, 12.0);
        let mut patch = MouthPatch::new();
        patch.capture(&actor, 1.0, &points);
        let src = patch.source().expect("captured");
        assert!((mouth_opening_of(src.points) - mouth_opening_of(&points)).abs() < 1e-5);
        for &i in &LIPS_INNER {
            let (x, y) = (src.points[i][0], src.points[i][1]);
            let got = src.image.sample(x, y);
            let want = actor.sample(points[i][0], points[i][1]);
            for c in 0..3 {
                assert!(
                    (got[c] - want[c]).abs() < 1.0,
                    "point {i}: {got:?} vs {want:?}"
                );
            }
        }
        patch.capture(&actor, 1.0, &mouth(100.0, 110.0, 0.1));
        assert!(patch.source().is_none(), "a closed mouth clears it");
    }

    #[test]
    fn non_square_pixels_are_captured_in_square_pixels() {
        // 2:1 pixels: square-pixel x is twice the picture's x.
        let actor = RgbImage::from_fn(100, 160, |x, y| image::Rgb([(x * 2) as u8, y as u8, 0]));
        let points = mouth(100.0, 110.0, 12.0);
        let mut patch = MouthPatch::new();
        patch.capture(&actor, 2.0, &points);
        let src = patch.source().unwrap();
        let i = LIPS_INNER[3];
        let got = src.image.sample(src.points[i][0], src.points[i][1]);
        let want = actor.sample(points[i][0] / 2.0, points[i][1]);
        assert!((got[0] - want[0]).abs() < 2.5, "{got:?} vs {want:?}");
    }
}
