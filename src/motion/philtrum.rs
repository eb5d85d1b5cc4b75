//! Keeps the skin between nose and upper lip (the philtrum) from being squeezed flat.
//!
//! Relative motion moves the avatar's upper lip by the actor's displacement, scaled by the ratio
//! of face sizes. When the actor's upper lip rises (a closed-lip smile, a sneer), an avatar whose
//! upper lip sits closer under its nose than the actor's (a face pictured smiling, with the lip
//! already raised; or simply a short philtrum) gets the same rise over less skin: the lip reaches
//! the nose, the moustache or the skin above the lip is squeezed to a line. Seen on
//! glasses_beard_400 and astronaut_512 driven by glasses_512x480's closed-lip smile (frame 300):
//! the actor's philtrum shrank to 0.66 of its length, the avatars' to 0.44 and 0.38.
//!
//! [`keep_philtrum_proportional`] measures the philtrum as the distance along the face's down axis
//! from below the nose tip (landmark 2) to the top of the upper lip (0). The avatar's may shrink
//! to the same share of its own length as the actor's did (a proportional, local adapt scale),
//! not further: the mouth region then moves down by the difference, fully from the upper lip
//! down to the lower lip, fading out upwards to the nose base, downwards to the chin (152) and
//! sideways beyond the mouth corners. A philtrum that lengthens is left as the motion made it.

use nalgebra::Vector2;

use super::limits::smoothstep;
use super::openings::{face_axes, MOUTH_CORNERS};

/// Below the nose tip: the philtrum's top.
pub const NOSE_BASE: usize = 2;
/// Top of the upper lip, centre: the philtrum's bottom.
pub const UPPER_LIP_TOP: usize = 0;
/// Bottom of the lower lip, centre.
pub const LOWER_LIP_BOTTOM: usize = 17;
/// Chin, lowest point.
pub const CHIN: usize = 152;

fn xy(p: &[f32; 3]) -> Vector2<f32> {
    Vector2::new(p[0], p[1])
}

/// Philtrum length of `p` along `down`, pixels.
fn philtrum(p: &[[f32; 3]], down: Vector2<f32>) -> f32 {
    (xy(&p[UPPER_LIP_TOP]) - xy(&p[NOSE_BASE])).dot(&down)
}

/// Moves the mouth region of the target `points` down so that the avatar's philtrum keeps at
/// least the share of its neutral length that the actor's keeps (see the module docs).
/// `avatar` is the avatar's neutral face, `points` the target in the avatar's own frame before
/// the head rotation (avatar pixels); `actor` and `reference` are the actor's face now and in the
/// reference frame, both in the reference's pose (actor pixels). All at least 468 landmarks.
/// `amount` (the expression multiplier) scales the actor's change of share: 2 lets the avatar's
/// philtrum shrink twice as much. Returns the shift applied at the upper lip, pixels (0 when none
/// was needed).
pub fn keep_philtrum_proportional(
    points: &mut [[f32; 3]],
    avatar: &[[f32; 3]],
    actor: &[[f32; 3]],
    reference: &[[f32; 3]],
    amount: f32,
) -> f32 {
    let (right, down, _) = face_axes(avatar);
    let (_, actor_down, _) = face_axes(reference);
    let (actor_then, actor_now) = (philtrum(reference, actor_down), philtrum(actor, actor_down));
    let neutral = philtrum(avatar, down);
    if actor_then <= 1e-3 || neutral <= 1e-3 {
        return 0.0;
    }
    let share = (1.0 - amount * (1.0 - actor_now / actor_then)).clamp(0.0, 1.0);
    let shortfall = neutral * share - philtrum(points, down);
    if shortfall <= 0.0 {
        return 0.0;
    }
    let top = xy(&avatar[NOSE_BASE]).dot(&down);
    let lip = xy(&avatar[UPPER_LIP_TOP]).dot(&down);
    let lower = xy(&avatar[LOWER_LIP_BOTTOM]).dot(&down);
    let chin = xy(&avatar[CHIN]).dot(&down);
    let (left_corner, right_corner) = (
        xy(&avatar[MOUTH_CORNERS.0]).dot(&right),
        xy(&avatar[MOUTH_CORNERS.1]).dot(&right),
    );
    let centre = (left_corner + right_corner) / 2.0;
    let half_width = (right_corner - left_corner).abs() / 2.0;
    let shift = down * shortfall;
    for (p, a) in points.iter_mut().zip(avatar) {
        let (x, y) = (xy(a).dot(&right), xy(a).dot(&down));
        let vertical = smoothstep(top, lip, y) * (1.0 - smoothstep(lower, chin, y));
        let sideways = 1.0 - smoothstep(half_width, 2.0 * half_width, (x - centre).abs());
        let k = vertical * sideways;
        p[0] += shift.x * k;
        p[1] += shift.y * k;
    }
    shortfall
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A face with level eye corners 100 px apart, the nose base at y = 150, the upper lip's top
    /// at y = 150 + `philtrum`, the mouth 60 px wide, the lower lip's bottom 25 px under the upper
    /// lip's top and the chin at y = 260. Other landmarks on a grid.
    fn face(philtrum: f32) -> Vec<[f32; 3]> {
        let mut p: Vec<[f32; 3]> = (0..468)
            .map(|i| {
                [
                    50.0 + (i % 20) as f32 * 5.0,
                    100.0 + (i / 20) as f32 * 7.0,
                    0.0,
                ]
            })
            .collect();
        p[33] = [50.0, 100.0, 0.0];
        p[263] = [150.0, 100.0, 0.0];
        p[NOSE_BASE] = [100.0, 150.0, 0.0];
        p[UPPER_LIP_TOP] = [100.0, 150.0 + philtrum, 0.0];
        p[LOWER_LIP_BOTTOM] = [100.0, 175.0 + philtrum, 0.0];
        p[MOUTH_CORNERS.0] = [70.0, 162.0 + philtrum, 0.0];
        p[MOUTH_CORNERS.1] = [130.0, 162.0 + philtrum, 0.0];
        p[CHIN] = [100.0, 260.0, 0.0];
        p
    }

    /// Moves the whole mouth of `p` up by `px` pixels.
    fn raise_mouth(p: &mut [[f32; 3]], px: f32) {
        for i in [
            UPPER_LIP_TOP,
            LOWER_LIP_BOTTOM,
            MOUTH_CORNERS.0,
            MOUTH_CORNERS.1,
        ] {
            p[i][1] -= px;
        }
    }

    #[test]
    fn a_short_philtrum_shrinks_in_proportion_not_by_the_actors_pixels() {
        // The actor's philtrum (30 px) shrinks by 10 px: to two thirds. The avatar's is 12 px;
        // the same 10 px rise would leave it 2 px long.
        let (reference, mut actor) = (face(30.0), face(30.0));
        raise_mouth(&mut actor, 10.0);
        let avatar = face(12.0);
        let mut target = avatar.clone();
        raise_mouth(&mut target, 10.0);
        let shift = keep_philtrum_proportional(&mut target, &avatar, &actor, &reference, 1.0);
        let kept = target[UPPER_LIP_TOP][1] - target[NOSE_BASE][1];
        assert!(
            (kept - 8.0).abs() < 0.01,
            "philtrum {kept} px, want 12 * 2/3"
        );
        assert!((shift - 6.0).abs() < 0.01, "shift {shift}");
        // The nose and the chin stay; the mouth moves down as a whole.
        assert_eq!(target[NOSE_BASE], avatar[NOSE_BASE]);
        assert_eq!(target[CHIN], avatar[CHIN]);
        let lip = target[LOWER_LIP_BOTTOM][1] - target[UPPER_LIP_TOP][1];
        assert!((lip - 25.0).abs() < 0.01, "lip height {lip}");
    }

    #[test]
    fn a_philtrum_that_keeps_its_share_is_left_alone() {
        let (reference, mut actor) = (face(30.0), face(30.0));
        actor[UPPER_LIP_TOP][1] -= 10.0;
        let avatar = face(30.0);
        let mut target = avatar.clone();
        target[UPPER_LIP_TOP][1] -= 10.0;
        let before = target.clone();
        assert_eq!(
            keep_philtrum_proportional(&mut target, &avatar, &actor, &reference, 1.0),
            0.0
        );
        assert_eq!(target, before);
        // A lengthening philtrum (an "oh") is not shortened either.
        let mut actor = face(30.0);
        actor[UPPER_LIP_TOP][1] += 5.0;
        let mut target = avatar.clone();
        target[UPPER_LIP_TOP][1] += 8.0;
        let before = target.clone();
        keep_philtrum_proportional(&mut target, &avatar, &actor, &reference, 1.0);
        assert_eq!(target, before);
    }
}
