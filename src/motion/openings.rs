//! The face's openings (eyelids, lips) as pairs of opposite landmarks: keeping them from folding
//! over, and the avatar's closed-mouth pose.
//!
//! Coordinates: avatar pixels, y down. "Down" is the face's own down axis, perpendicular to the
//! line from the right (33) to the left (263) outer eye corner, so a tilted avatar works too.

use nalgebra::Vector2;

use super::limits::smoothstep;

/// (upper, lower) eyelid landmark pairs of the subject's right eye, outer to inner corner
/// (MediaPipe face mesh indices).
pub const RIGHT_LID_PAIRS: [(usize, usize); 7] = [
    (246, 7),
    (161, 163),
    (160, 144),
    (159, 145),
    (158, 153),
    (157, 154),
    (173, 155),
];
/// (upper, lower) eyelid pairs of the subject's left eye, outer to inner corner.
pub const LEFT_LID_PAIRS: [(usize, usize); 7] = [
    (466, 249),
    (388, 390),
    (387, 373),
    (386, 374),
    (385, 380),
    (384, 381),
    (398, 382),
];
/// (upper, lower) inner-lip pairs, from the right mouth corner (78) to the left one (308).
pub const LIP_PAIRS: [(usize, usize); 9] = [
    (191, 95),
    (80, 88),
    (81, 178),
    (82, 87),
    (13, 14),
    (312, 317),
    (311, 402),
    (310, 318),
    (415, 324),
];
/// Mouth corners (right, left).
pub const MOUTH_CORNERS: (usize, usize) = (78, 308);

/// An avatar eye whose central lid gap is below this share of the eye-corner distance is closed
/// in the picture: it may close further (no fold) but never opens, since the picture has no
/// eyeball to show.
pub const CLOSED_EYE_GAP: f32 = 0.03;
/// An avatar mouth whose central inner-lip gap is above this share of the eye-corner distance is
/// open in the picture and gets closed for its neutral pose ([`closed_mouth`]).
pub const OPEN_MOUTH_GAP: f32 = 0.04;

fn xy(p: &[f32; 3]) -> Vector2<f32> {
    Vector2::new(p[0], p[1])
}

/// The face's right axis (unit, from landmark 33 to 263), its down axis and the eye-corner
/// distance, in pixels.
pub fn face_axes(points: &[[f32; 3]]) -> (Vector2<f32>, Vector2<f32>, f32) {
    let e = xy(&points[263]) - xy(&points[33]);
    let io = e.norm().max(1e-3);
    let right = e / io;
    (right, Vector2::new(-right.y, right.x), io)
}

/// Gap of an (upper, lower) pair along `down`, pixels (negative: folded over).
pub fn gap(points: &[[f32; 3]], (u, l): (usize, usize), down: Vector2<f32>) -> f32 {
    (xy(&points[l]) - xy(&points[u])).dot(&down)
}

/// Keeps every eyelid and lip pair of the target `points` from crossing (lower above upper),
/// which would fold the warp mesh over itself, and keeps an eye that is closed in the avatar
/// picture `avatar` closed. Both sets are 468 points in the avatar's own frame (before the head
/// rotation), pixels.
pub fn keep_openings_apart(points: &mut [[f32; 3]], avatar: &[[f32; 3]]) {
    let (_, down, io) = face_axes(avatar);
    for pairs in [&RIGHT_LID_PAIRS, &LEFT_LID_PAIRS] {
        let closed = gap(avatar, pairs[3], down) < CLOSED_EYE_GAP * io;
        for &pair in pairs.iter() {
            let max = if closed {
                gap(avatar, pair, down).max(0.0)
            } else {
                f32::INFINITY
            };
            clamp_gap(points, pair, down, 0.0, max);
        }
    }
    for &pair in &LIP_PAIRS {
        clamp_gap(points, pair, down, 0.0, f32::INFINITY);
    }
}

/// Sets the inner-lip gaps of the target `points` from the actor's own gaps: a closed mouth is
/// closed for everyone, so the gap is transferred absolutely (scaled by the face-size ratio
/// `scale`) rather than relative to the reference frame, which keeps a slightly parted actor mouth
/// from opening the avatar's by whatever its lips did in the reference. `actor` is the actor's
/// face in the reference pose (468 points, actor pixels), `avatar` the avatar's neutral face,
/// `points` the target in the avatar's own frame. `amount` (the expression multiplier) and the
/// per-landmark region `weights` blend from the avatar's neutral gap (0) to the actor's (1).
/// Both lips of a pair move by half the correction.
pub fn transfer_lip_gaps(
    points: &mut [[f32; 3]],
    avatar: &[[f32; 3]],
    actor: &[[f32; 3]],
    scale: f32,
    amount: f32,
    weights: &[f32],
) {
    let (_, down_av, _) = face_axes(avatar);
    let (_, down_ac, _) = face_axes(actor);
    for &(u, l) in &LIP_PAIRS {
        let neutral = gap(avatar, (u, l), down_av);
        let actor_gap = gap(actor, (u, l), down_ac).max(0.0) * scale;
        let w = amount * weights[u].min(weights[l]);
        let want = neutral + (actor_gap - neutral) * w;
        let half = down_av * ((want - gap(points, (u, l), down_av)) / 2.0);
        points[u][0] -= half.x;
        points[u][1] -= half.y;
        points[l][0] += half.x;
        points[l][1] += half.y;
    }
}

/// Moves both points of `pair` along `down`, symmetrically, so that their gap is in `min..=max`.
fn clamp_gap(
    points: &mut [[f32; 3]],
    pair: (usize, usize),
    down: Vector2<f32>,
    min: f32,
    max: f32,
) {
    let g = gap(points, pair, down);
    let want = g.clamp(min, max);
    if want == g {
        return;
    }
    let half = down * ((g - want) / 2.0);
    let (u, l) = pair;
    points[u][0] += half.x;
    points[u][1] += half.y;
    points[l][0] -= half.x;
    points[l][1] -= half.y;
}

/// The avatar's landmarks with the mouth closed, when the picture shows it open (central gap
/// above [`OPEN_MOUTH_GAP`]); `None` when it is already closed.
///
/// The jaw closes: each lower inner-lip point rises to its upper partner, and everything below
/// the mouth line (lower lip, chin, jaw) rises, fading out sideways beyond the mouth corners
/// (towards the jaw hinges) and upwards within a tenth of the eye-corner distance below the mouth
/// line. Just under the lips a point rises by the lip gap above it ([`lip_line_across`]: a smile's
/// gap narrows towards the corners), lower down (chin, jaw) by the central gap: a point never
/// rises past the lip above it, so the lower lip does not fold over itself. The upper lip stays.
/// Used as the avatar's neutral pose so that an avatar pictured with an open mouth closes it when
/// the actor does.
pub fn closed_mouth(avatar: &[[f32; 3]]) -> Option<Vec<[f32; 3]>> {
    let (right, down, io) = face_axes(avatar);
    let centre_gap = gap(avatar, LIP_PAIRS[4], down);
    if centre_gap <= OPEN_MOUTH_GAP * io {
        return None;
    }
    let mouth = (xy(&avatar[LIP_PAIRS[4].0]) + xy(&avatar[LIP_PAIRS[4].1])) / 2.0;
    let half_width = (xy(&avatar[MOUTH_CORNERS.1]) - xy(&avatar[MOUTH_CORNERS.0]))
        .dot(&right)
        .abs()
        / 2.0;
    let mut out = avatar.to_vec();
    for (p, q) in out.iter_mut().zip(avatar) {
        let rel = xy(q) - mouth;
        let (x, y) = (rel.dot(&right), rel.dot(&down));
        let sideways = 1.0 - smoothstep(half_width, 3.0 * half_width, x.abs());
        // Between the corners: the whole lower lip (at or below the lower inner lip) rises by
        // the gap above it, the upper lip (at or above the upper inner lip) stays. Beyond them:
        // a ramp from the mouth line down.
        let (below, near_gap) = match lip_line_across(avatar, mouth, right, down, x) {
            Some((upper, g)) if g > 1e-3 => (smoothstep(0.0, 1.0, (y - upper) / g), g),
            _ => (smoothstep(0.0, 0.1 * io, y), 0.0),
        };
        // From the gap above the point (at the lips) to the central gap (the chin): the lift
        // grows downwards more slowly than the points are apart, so their order is kept.
        let far = smoothstep(0.1 * io, 0.5 * io, y);
        let lift = down * ((near_gap + (centre_gap - near_gap) * far) * below * sideways);
        p[0] -= lift.x;
        p[1] -= lift.y;
    }
    for &(u, l) in &LIP_PAIRS {
        let g = gap(avatar, (u, l), down).max(0.0);
        let target = xy(&avatar[l]) - down * g;
        out[l][0] = target.x;
        out[l][1] = target.y;
    }
    Some(out)
}

/// The upper inner lip's position and the inner-lip gap at lateral position `x` (pixels along
/// `right` from `mouth`, the centre of the central lip pair), both in pixels along `down` from
/// `mouth`: linear between the mouth corners (gap 0) and the [`LIP_PAIRS`]; `None` beyond the
/// corners.
fn lip_line_across(
    points: &[[f32; 3]],
    mouth: Vector2<f32>,
    right: Vector2<f32>,
    down: Vector2<f32>,
    x: f32,
) -> Option<(f32, f32)> {
    let at = |i: usize| {
        let r = xy(&points[i]) - mouth;
        (r.dot(&right), r.dot(&down))
    };
    let corner = |i: usize| {
        let (cx, cy) = at(i);
        (cx, cy, 0.0)
    };
    // (lateral position, upper lip, gap) from one corner through the pairs to the other.
    let knots = std::iter::once(corner(MOUTH_CORNERS.0))
        .chain(LIP_PAIRS.iter().map(|&(u, l)| {
            let ((ux, uy), (lx, _)) = (at(u), at(l));
            ((ux + lx) / 2.0, uy, gap(points, (u, l), down).max(0.0))
        }))
        .chain(std::iter::once(corner(MOUTH_CORNERS.1)));
    let mut prev: Option<(f32, f32, f32)> = None;
    for k in knots {
        if let Some(p) = prev {
            let (lo, hi) = (p.0.min(k.0), p.0.max(k.0));
            if x >= lo && x <= hi && hi > lo {
                let t = (x - p.0) / (k.0 - p.0);
                return Some((p.1 + (k.1 - p.1) * t, p.2 + (k.2 - p.2) * t));
            }
        }
        prev = Some(k);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eye corners 100 px apart on y = 100, lids and lips open by `eye` and `mouth` pixels.
    fn face(eye: f32, mouth: f32) -> Vec<[f32; 3]> {
        let mut p = vec![[150.0f32, 60.0, 0.0]; 468];
        p[33] = [100.0, 100.0, 0.0];
        p[263] = [200.0, 100.0, 0.0];
        for (k, &(u, l)) in RIGHT_LID_PAIRS.iter().enumerate() {
            p[u] = [105.0 + 5.0 * k as f32, 100.0 - eye / 2.0, 0.0];
            p[l] = [105.0 + 5.0 * k as f32, 100.0 + eye / 2.0, 0.0];
        }
        for (k, &(u, l)) in LEFT_LID_PAIRS.iter().enumerate() {
            p[u] = [195.0 - 5.0 * k as f32, 100.0 - eye / 2.0, 0.0];
            p[l] = [195.0 - 5.0 * k as f32, 100.0 + eye / 2.0, 0.0];
        }
        p[MOUTH_CORNERS.0] = [125.0, 180.0, 0.0];
        p[MOUTH_CORNERS.1] = [175.0, 180.0, 0.0];
        for (k, &(u, l)) in LIP_PAIRS.iter().enumerate() {
            let x = 130.0 + 5.0 * k as f32;
            let g = mouth * (1.0 - ((x - 150.0) / 25.0).powi(2));
            p[u] = [x, 180.0 - g / 2.0, 0.0];
            p[l] = [x, 180.0 + g / 2.0, 0.0];
        }
        p[152] = [150.0, 230.0, 0.0]; // chin
        p[10] = [150.0, 20.0, 0.0]; // forehead
        p
    }

    #[test]
    fn crossed_lids_and_lips_meet_in_the_middle() {
        let avatar = face(10.0, 0.0);
        let mut target = avatar.clone();
        // A blink overshoots: the lower lid ends 4 px above the upper one.
        target[145][1] = target[159][1] - 4.0;
        target[14][1] = target[13][1] - 2.0;
        keep_openings_apart(&mut target, &avatar);
        assert!((target[145][1] - target[159][1]).abs() < 1e-4);
        assert!((target[14][1] - target[13][1]).abs() < 1e-4);
        // Untouched pairs keep their gap.
        assert!((target[386][1] - avatar[386][1]).abs() < 1e-6);
    }

    #[test]
    fn an_eye_closed_in_the_picture_never_opens() {
        let avatar = face(1.0, 0.0);
        let mut target = avatar.clone();
        target[159][1] -= 6.0; // the actor opens wide
        keep_openings_apart(&mut target, &avatar);
        let g = target[145][1] - target[159][1];
        assert!((g - 1.0).abs() < 1e-4, "gap {g}");
    }

    #[test]
    fn an_open_mouth_closes_with_the_jaw_and_the_upper_face_stays() {
        assert!(closed_mouth(&face(10.0, 2.0)).is_none(), "already closed");
        let avatar = face(10.0, 20.0);
        let closed = closed_mouth(&avatar).expect("open mouth");
        for &(u, l) in &LIP_PAIRS {
            assert!(
                (closed[l][1] - closed[u][1]).abs() < 1e-3,
                "pair {u}/{l} meets"
            );
            assert_eq!(closed[u], avatar[u], "upper lip stays");
        }
        assert!(
            (closed[152][1] - (avatar[152][1] - 20.0)).abs() < 1e-3,
            "chin rises by the gap"
        );
        assert_eq!(closed[10], avatar[10], "forehead stays");
        assert_eq!(closed[159], avatar[159], "eyes stay");
    }

    /// Rows of the lower lip under each [`LIP_PAIRS`] column, from just under the inner lip
    /// to the outer lip (MediaPipe face mesh).
    const LOWER_LIP_ROWS: [[usize; 9]; 3] = [
        [96, 89, 179, 86, 15, 316, 403, 319, 325],
        [77, 90, 180, 85, 16, 315, 404, 320, 307],
        [146, 91, 181, 84, 17, 314, 405, 321, 375],
    ];

    #[test]
    fn a_smile_closes_without_folding_the_lower_lip() {
        // A smile's gap narrows towards the corners (face(): 20 px at the centre, 7 px at the
        // outer pairs); the lower lip is 9 px thick under it. Lifting every point under the
        // mouth line by the central gap pushed the lip's lower rows past its inner edge beside
        // the centre: the warp folded there (dark slivers with jagged edges at the corners).
        let mut avatar = face(10.0, 20.0);
        for (r, row) in LOWER_LIP_ROWS.iter().enumerate() {
            for (k, &i) in row.iter().enumerate() {
                let l = avatar[LIP_PAIRS[k].1];
                avatar[i] = [l[0], l[1] + 3.0 * (r + 1) as f32, 0.0];
            }
        }
        let closed = closed_mouth(&avatar).expect("open mouth");
        for (k, &(u, l)) in LIP_PAIRS.iter().enumerate() {
            let column: Vec<f32> = [u, l]
                .into_iter()
                .chain(LOWER_LIP_ROWS.iter().map(|row| row[k]))
                .map(|i| closed[i][1])
                .collect();
            assert!(
                column.windows(2).all(|w| w[1] >= w[0] - 1e-3),
                "column {k} keeps its order top to bottom: {column:?}"
            );
            // The lip moves up as a whole: it keeps its thickness.
            let thickness = column[4] - column[1];
            assert!((thickness - 9.0).abs() < 0.5, "column {k}: {thickness}");
        }
    }

    #[test]
    fn lip_gaps_follow_the_actors_own_gap_scaled_to_the_avatar() {
        let avatar = face(10.0, 0.0);
        let mut target = avatar.clone();
        // Relative motion opened the avatar's lips by 6 px although the actor's are shut.
        target[14][1] += 6.0;
        let shut = face(10.0, 0.0);
        let w = vec![1.0; 468];
        transfer_lip_gaps(&mut target, &avatar, &shut, 2.0, 1.0, &w);
        assert!(
            (target[14][1] - target[13][1]).abs() < 1e-4,
            "closed like the actor's"
        );
        // The actor opens by 10 px at the centre: the avatar, twice the size, by 20.
        let open = face(10.0, 10.0);
        transfer_lip_gaps(&mut target, &avatar, &open, 2.0, 1.0, &w);
        assert!((target[14][1] - target[13][1] - 20.0).abs() < 1e-3);
        // Expression multiplier 0: the avatar's own (neutral) gap.
        transfer_lip_gaps(&mut target, &avatar, &open, 2.0, 0.0, &w);
        assert!((target[14][1] - target[13][1]).abs() < 1e-4);
    }
}
