//! Easing the LivePortrait engine's driving keypoints around the actor's absences, as the mesh
//! engine eases its pose ([`crate::motion::rest`], [`crate::motion::reacquire`]), so that a
//! lecturer who turns to the board does not leave the avatar frozen mid-word:
//!
//! 1. for the first `hold` seconds without a face the last rendering is held (a face lost for a
//!    moment comes back without a change);
//! 2. then the driving keypoints glide from the last ones drawn to the avatar's own, `x_s`, over
//!    [`REST_EASE_SECONDS`] ([`rest_weight`]'s smoothstep), and the rendering fades into the
//!    avatar picture over the second half of that glide: the networks' reconstruction of the
//!    avatar at its own keypoints is close to its picture but not equal to it, pixel for pixel,
//!    and a fade hides the difference where a switch would show it;
//! 3. at rest the output is the avatar picture exactly;
//! 4. when a face is found again (or a cut restarts the reference frame), the keypoints glide
//!    from those shown to the actor's over [`EASE_FRAMES`] frames, and a rendering that had
//!    faded (at rest, or on its way there) fades in over the same frames.
//!
//! Keypoints are LivePortrait's 21 implicit 3-D keypoints, `kp_driving` of `warping_spade` (see
//! [`super::keypoints`]). Opacity 0..1 scales the paste-back's feathered mask
//! ([`super::paste_back::paste_back`]): 0 shows the avatar picture, 1 the rendering.

use super::keypoints::Keypoints;
use crate::motion::limits::smoothstep;
use crate::motion::reacquire::EASE_FRAMES;
pub use crate::motion::rest::REST_EASE_SECONDS;
use crate::motion::rest::{rest_weight, AbsenceClock};

/// Share of the glide to rest after which the rendering starts fading into the avatar picture.
pub const FADE_START: f32 = 0.5;

/// What a frame shows: a rendering at keypoints `kp`, pasted with `opacity`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shown {
    /// The driving keypoints rendered, 21x3.
    pub kp: Keypoints,
    /// The paste-back's opacity, 0..1.
    pub opacity: f32,
}

/// What a frame without a face shows ([`AbsenceEasing::without_face`]).
// Returned by value once a frame: boxing the 256-byte variant would allocate per frame.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WithoutFace {
    /// The last output, unchanged.
    Hold,
    /// A rendering on the way to rest.
    Draw(Shown),
    /// The avatar picture itself.
    Rest,
}

/// The keypoints shown across absences (see the module docs). Plain data, no allocation.
#[derive(Debug, Clone, Default)]
pub struct AbsenceEasing {
    /// The last rendering shown; `None`: the avatar picture (nothing drawn yet, or at rest).
    shown: Option<Shown>,
    /// How long the current absence has lasted.
    absence: AbsenceClock,
    /// Where the glide to rest started.
    rest_from: Option<Shown>,
    /// Frames done of a glide back to the actor, and where it started.
    easing_in: Option<(u32, Shown)>,
}

/// `a + (b - a) w`, keypoint by keypoint.
fn lerp(a: &Keypoints, b: &Keypoints, w: f32) -> Keypoints {
    let mut out = *a;
    for (o, q) in out.iter_mut().zip(b) {
        for k in 0..3 {
            o[k] += (q[k] - o[k]) * w;
        }
    }
    out
}

impl AbsenceEasing {
    /// Nothing shown yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A frame at stream time `t` seconds without a face, with a hold of `hold` seconds and the
    /// avatar's own keypoints `rest` (`x_s`). The absence is timed by an [`AbsenceClock`]
    /// (timestamps that jump back neither freeze nor end it).
    pub fn without_face(&mut self, t: f64, hold: f32, rest: &Keypoints) -> WithoutFace {
        self.easing_in = None;
        let Some(w) = rest_weight(self.absence.tick(t), hold) else {
            return WithoutFace::Hold;
        };
        let Some(shown) = self.shown else {
            return WithoutFace::Rest;
        };
        let from = *self.rest_from.get_or_insert(shown);
        if w >= 1.0 {
            self.shown = None;
            self.rest_from = None;
            return WithoutFace::Rest;
        }
        let now = Shown {
            kp: lerp(&from.kp, rest, w),
            opacity: from.opacity * (1.0 - smoothstep(FADE_START, 1.0, w)),
        };
        self.shown = Some(now);
        WithoutFace::Draw(now)
    }

    /// A frame with a face whose driving keypoints are `kp` (after stitching); `new_shot`: the
    /// reference frame was restarted (a cut); `rest`: the avatar's own keypoints (`x_s`).
    /// Returns what to render.
    pub fn with_face(&mut self, kp: &Keypoints, new_shot: bool, rest: &Keypoints) -> Shown {
        let returning = self.absence.is_running() || new_shot;
        self.absence.stop();
        self.rest_from = None;
        if returning {
            // From what is shown: the held or gliding keypoints, or the avatar picture at rest.
            let from = self.shown.unwrap_or(Shown {
                kp: *rest,
                opacity: 0.0,
            });
            self.easing_in = Some((0, from));
        }
        let now = match self.easing_in {
            Some((k, from)) => {
                let w = smoothstep(0.0, EASE_FRAMES as f32, (k + 1) as f32);
                self.easing_in = (k + 1 < EASE_FRAMES).then_some((k + 1, from));
                Shown {
                    kp: lerp(&from.kp, kp, w),
                    opacity: from.opacity + (1.0 - from.opacity) * w,
                }
            }
            None => Shown {
                kp: *kp,
                opacity: 1.0,
            },
        };
        self.shown = Some(now);
        now
    }

    /// Forgets what was shown (a new avatar, a seek): the avatar picture is shown.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::keypoints::NUM_KP;

    fn kp(v: f32) -> Keypoints {
        [[v, -v, 0.5 * v]; NUM_KP]
    }

    const HOLD: f32 = 1.0;
    const FPS: f64 = 30.0;

    #[test]
    fn the_last_rendering_is_held_then_glides_and_fades_to_the_avatar_picture() {
        let (rest, actor) = (kp(0.0), kp(1.0));
        let mut e = AbsenceEasing::new();
        assert_eq!(
            e.with_face(&actor, false, &rest),
            Shown {
                kp: actor,
                opacity: 1.0
            }
        );
        // Frames without a face from t = 10 s.
        let at = |k: u32| 10.0 + f64::from(k) / FPS;
        for k in 0..30 {
            assert_eq!(
                e.without_face(at(k), HOLD, &rest),
                WithoutFace::Hold,
                "frame {k}"
            );
        }
        let mut glide = Vec::new();
        let mut k = 30;
        loop {
            k += 1;
            match e.without_face(at(k), HOLD, &rest) {
                WithoutFace::Draw(s) => glide.push(s),
                WithoutFace::Rest => break,
                WithoutFace::Hold => panic!("frame {k}: held after the hold"),
            }
        }
        // About REST_EASE_SECONDS of frames, the keypoints moving towards rest only, by small
        // steps (no jump), the fade only in the second half.
        let frames = (REST_EASE_SECONDS as f64 * FPS).round() as usize;
        assert!(
            (frames - 2..=frames).contains(&glide.len()),
            "{}",
            glide.len()
        );
        let x: Vec<f32> = glide.iter().map(|s| s.kp[0][0]).collect();
        assert!(x.windows(2).all(|w| w[1] <= w[0]), "{x:?}");
        assert!(x[0] > 0.99 && *x.last().unwrap() < 0.02, "{x:?}");
        assert!(
            x.windows(2).all(|w| w[0] - w[1] < 2.0 / frames as f32),
            "{x:?}"
        );
        let half = glide.len() / 2;
        assert!(glide[..half - 1].iter().all(|s| s.opacity == 1.0));
        let o: Vec<f32> = glide[half..].iter().map(|s| s.opacity).collect();
        assert!(
            o.windows(2).all(|w| w[1] <= w[0]) && *o.last().unwrap() < 0.05,
            "{o:?}"
        );
        // At rest it stays there.
        assert_eq!(e.without_face(at(k + 300), HOLD, &rest), WithoutFace::Rest);
    }

    #[test]
    fn a_face_back_after_rest_glides_and_fades_in_from_the_avatar_picture() {
        let (rest, actor) = (kp(0.0), kp(1.0));
        let mut e = AbsenceEasing::new();
        e.with_face(&actor, false, &rest);
        e.without_face(0.0, HOLD, &rest);
        assert_eq!(e.without_face(5.0, HOLD, &rest), WithoutFace::Rest);
        let back: Vec<Shown> = (0..EASE_FRAMES + 2)
            .map(|_| e.with_face(&actor, false, &rest))
            .collect();
        assert!(
            back[0].opacity > 0.0 && back[0].opacity < 0.2,
            "{:?}",
            back[0]
        );
        assert!(back[0].kp[0][0] < 0.2, "{:?}", back[0]);
        assert!(back.windows(2).all(|w| w[1].opacity >= w[0].opacity));
        let done = EASE_FRAMES as usize - 1;
        assert_eq!(
            back[done],
            Shown {
                kp: actor,
                opacity: 1.0
            }
        );
        assert_eq!(back[done + 2], back[done]);
    }

    #[test]
    fn a_face_lost_for_a_moment_glides_back_from_the_held_keypoints_without_a_fade() {
        let (rest, before, after) = (kp(0.0), kp(1.0), kp(2.0));
        let mut e = AbsenceEasing::new();
        e.with_face(&before, false, &rest);
        assert_eq!(e.without_face(0.0, HOLD, &rest), WithoutFace::Hold);
        let first = e.with_face(&after, false, &rest);
        assert_eq!(first.opacity, 1.0);
        assert!(first.kp[0][0] > 1.0 && first.kp[0][0] < 1.2, "{first:?}");
        // A cut (a new reference frame) glides from what is shown too.
        for _ in 0..EASE_FRAMES {
            e.with_face(&after, false, &rest);
        }
        let cut = e.with_face(&before, true, &rest);
        assert!(cut.kp[0][0] > 1.8, "{cut:?}");
    }

    #[test]
    fn timestamps_that_jump_back_during_an_absence_do_not_freeze_the_ease() {
        let (rest, actor) = (kp(0.0), kp(1.0));
        let mut e = AbsenceEasing::new();
        e.with_face(&actor, false, &rest);
        // 0.8 s without a face at 10 frames/s, then the clock restarts at 0 (files joined).
        let mut times: Vec<f64> = (0..8).map(|k| 20.0 + f64::from(k) / 10.0).collect();
        times.extend((0..30).map(|k| f64::from(k) / 10.0));
        let shown: Vec<WithoutFace> = times
            .iter()
            .map(|&t| e.without_face(t, HOLD, &rest))
            .collect();
        // Held for the first second of frames, then gliding: not held until the clock catches
        // up with 20 s.
        let held = shown
            .iter()
            .take_while(|s| **s == WithoutFace::Hold)
            .count();
        assert!((10..=11).contains(&held), "held for {held} frames");
        assert_eq!(
            shown[25],
            WithoutFace::Rest,
            "at rest after 2.5 s of frames"
        );
    }

    #[test]
    fn a_first_face_is_drawn_at_once_and_reset_forgets_what_was_shown() {
        let (rest, actor) = (kp(0.0), kp(1.0));
        let mut e = AbsenceEasing::new();
        // No face and nothing drawn: the picture, whatever the time.
        assert_eq!(e.without_face(0.0, HOLD, &rest), WithoutFace::Hold);
        assert_eq!(e.without_face(9.0, HOLD, &rest), WithoutFace::Rest);
        e.reset();
        assert_eq!(
            e.with_face(&actor, false, &rest),
            Shown {
                kp: actor,
                opacity: 1.0
            }
        );
    }
}
