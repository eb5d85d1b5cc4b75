//! The actor's neutral face, learned from the stream instead of taken from its first frame: a
//! shot that opens mid-word, mid-smile, frowning or mid-blink must not make that expression the
//! avatar's "nothing moves" state.
//!
//! Snapshots of the actor's face (any values: the 468 landmarks in the face's own frame for the
//! mesh engine, LivePortrait's 21x3 expression deformation for the neural one) are kept over the
//! last [`WINDOW_SNAPSHOTS`] × [`SNAPSHOT_INTERVAL_S`] seconds (about half a minute). The neutral
//! value of each is its median over the snapshots that show the part it belongs to at rest:
//! * [`Gate::MouthClosed`]: the third of the snapshots with the most closed mouth (a talking
//!   mouth is open half the time; its neutral is closed);
//! * [`Gate::RightEyeOpen`], [`Gate::LeftEyeOpen`]: the snapshot with that eye open, latched: a
//!   snapshot whose eye is [`LATCH_EYE_RATIO`] times as open as the neutral's (and more by
//!   [`LATCH_EYE_GAP`]) replaces it, as in first-frame mode (`super::transfer`). A median of the
//!   most open snapshots moved with every new one and that motion showed in the avatar's lids:
//!   the drawn eyes of `tests/far_faces.rs` correlated 0.925 with the actor's at 72 px, against
//!   0.952 latched;
//! * [`Gate::Any`]: all of them (brows, cheeks: the actor's usual face, so that a frown or smile
//!   held for a few seconds at a shot's start is outvoted within seconds).
//!
//! The first snapshot is the neutral at once (nothing better is known); the median then takes
//! over, and the neutral given out eases to it with a time constant of [`EASE_S`], so that a
//! new median never jumps the avatar's expression.

/// Snapshots kept (the window is this many times [`SNAPSHOT_INTERVAL_S`]).
pub const WINDOW_SNAPSHOTS: usize = 100;
/// Seconds between snapshots: a few a second, evenly, so that the seconds a shot opens with
/// weigh no more than any others.
pub const SNAPSHOT_INTERVAL_S: f64 = 0.3;
/// An eye's neutral is replaced by a snapshot where it is this many times as open ...
pub const LATCH_EYE_RATIO: f32 = 1.5;
/// ... and more open by this share of the eye-corner distance.
pub const LATCH_EYE_GAP: f32 = 0.02;
/// A mouth whose inner-lip gap is under this share of the eye-corner distance is closed.
pub const CLOSED_MOUTH_GAP: f32 = 0.03;
/// Time constant of the neutral's ease to a new median, seconds.
pub const EASE_S: f32 = 0.3;

/// Which snapshots a value's neutral is the median of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// All snapshots.
    Any,
    /// The closed mouths, or the third with the smallest mouth opening if more.
    MouthClosed,
    /// The snapshot latched for the subject's right eye being open.
    RightEyeOpen,
    /// The snapshot latched for the subject's left eye being open.
    LeftEyeOpen,
}

/// How open a snapshot's mouth and eyes are: inner-lip and lid gaps over the eye-corner distance
/// (the units of [`crate::face::opening_measures::mouth_opening_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Openness {
    /// Inner-lip gap at the mouth's centre.
    pub mouth: f32,
    /// The subject's right eye's lid gap.
    pub right_eye: f32,
    /// The subject's left eye's lid gap.
    pub left_eye: f32,
}

/// The learned neutral of a fixed-length vector of values (see the module docs). All its
/// memory is taken when it is made: observing allocates nothing.
#[derive(Debug, Clone)]
pub struct NeutralFace {
    gates: Vec<Gate>,
    /// [`WINDOW_SNAPSHOTS`] rows of one value per gate, a ring: row `(first + k) % WINDOW` is the
    /// k-th oldest of `count`.
    rows: Vec<f32>,
    open: Vec<Openness>,
    first: usize,
    count: usize,
    last_snapshot: Option<f64>,
    last_t: Option<f64>,
    median: Vec<f32>,
    neutral: Vec<f32>,
    column: Vec<f32>,
    /// Row indices of the snapshots each gate takes its median over.
    all: Vec<usize>,
    mouth: Vec<usize>,
    /// The openness of the snapshots latched for the right and left eye.
    latched_eyes: [Option<f32>; 2],
}

/// Keeps in `rows` (row indices) those whose `key` in `open` is among the `share` with the
/// smallest values (at least one), or at most `also`.
fn subset(
    rows: &mut Vec<usize>,
    open: &[Openness],
    key: impl Fn(&Openness) -> f32,
    share: f32,
    also: f32,
) {
    let k = |r: usize| key(&open[r]);
    rows.sort_unstable_by(|&a, &b| k(a).total_cmp(&k(b)));
    let share = ((rows.len() as f32 * share).round() as usize).max(1);
    let within = rows.iter().take_while(|&&r| k(r) <= also).count();
    rows.truncate(share.max(within));
}

impl NeutralFace {
    /// A neutral for values gated by `gates` (one per value).
    pub fn new(gates: Vec<Gate>) -> Self {
        let n = gates.len();
        let rows = || Vec::with_capacity(WINDOW_SNAPSHOTS);
        NeutralFace {
            gates,
            rows: vec![0.0; n * WINDOW_SNAPSHOTS],
            open: vec![Openness::default(); WINDOW_SNAPSHOTS],
            first: 0,
            count: 0,
            last_snapshot: None,
            last_t: None,
            median: vec![0.0; n],
            neutral: vec![0.0; n],
            column: Vec::with_capacity(WINDOW_SNAPSHOTS),
            all: rows(),
            mouth: rows(),
            latched_eyes: [None; 2],
        }
    }

    /// Forgets every snapshot: the next observation is the neutral.
    pub fn reset(&mut self) {
        self.count = 0;
        self.first = 0;
        self.latched_eyes = [None; 2];
        self.last_snapshot = None;
        self.last_t = None;
    }

    /// Whether nothing was observed since the start or the last [`NeutralFace::reset`].
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Snapshots held.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Observes `values` (one per gate) with openness `open` at stream time `t` seconds, and
    /// returns the neutral. Panics when `values` has another length than the gates.
    pub fn observe(&mut self, values: &[f32], open: Openness, t: f64) -> &[f32] {
        let n = self.gates.len();
        assert_eq!(values.len(), n, "one value per gate");
        let due = self
            .last_snapshot
            .is_none_or(|last| t - last >= SNAPSHOT_INTERVAL_S - 1e-6 || t < last);
        if due {
            let row = if self.count == WINDOW_SNAPSHOTS {
                let oldest = self.first;
                self.first = (self.first + 1) % WINDOW_SNAPSHOTS;
                oldest
            } else {
                self.count += 1;
                (self.first + self.count - 1) % WINDOW_SNAPSHOTS
            };
            self.rows[row * n..(row + 1) * n].copy_from_slice(values);
            self.open[row] = open;
            self.last_snapshot = Some(t);
            self.update_median(row);
        }
        if self.count == 1 && due {
            self.neutral.copy_from_slice(values);
        } else {
            let dt = self.last_t.map_or(0.0, |last| (t - last).clamp(0.0, 1.0)) as f32;
            let w = 1.0 - (-dt / EASE_S).exp();
            for (n, m) in self.neutral.iter_mut().zip(&self.median) {
                *n += (m - *n) * w;
            }
        }
        self.last_t = Some(t);
        &self.neutral
    }

    /// The neutral as last given by [`NeutralFace::observe`].
    pub fn neutral(&self) -> &[f32] {
        &self.neutral
    }

    /// The neutral's target after the snapshot `newest` (a row) was taken: medians, and the
    /// eyes' latches.
    fn update_median(&mut self, newest: usize) {
        let n = self.gates.len();
        self.all.clear();
        self.all
            .extend((0..self.count).map(|k| (self.first + k) % WINDOW_SNAPSHOTS));
        self.mouth.clear();
        self.mouth.extend_from_slice(&self.all);
        subset(
            &mut self.mouth,
            &self.open,
            |o| o.mouth,
            1.0 / 3.0,
            CLOSED_MOUTH_GAP,
        );
        let open = self.open[newest];
        let latch = [open.right_eye, open.left_eye];
        let mut takes = [false; 2];
        for (eye, (latched, now)) in self.latched_eyes.iter_mut().zip(latch).enumerate() {
            if latched.is_none_or(|then| now > then * LATCH_EYE_RATIO && now > then + LATCH_EYE_GAP)
            {
                *latched = Some(now);
                takes[eye] = true;
            }
        }
        for (i, gate) in self.gates.iter().enumerate() {
            let rows = match gate {
                Gate::Any => &self.all,
                Gate::MouthClosed => &self.mouth,
                Gate::RightEyeOpen | Gate::LeftEyeOpen => {
                    if takes[usize::from(*gate == Gate::LeftEyeOpen)] {
                        self.median[i] = self.rows[newest * n + i];
                    }
                    continue;
                }
            };
            self.column.clear();
            self.column
                .extend(rows.iter().map(|&r| self.rows[r * n + i]));
            let mid = self.column.len() / 2;
            let (_, m, _) = self.column.select_nth_unstable_by(mid, f32::total_cmp);
            self.median[i] = *m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `frames` at 30 per second from stream time `from`; returns the time after them.
    fn run<const N: usize>(
        neutral: &mut NeutralFace,
        from: f64,
        frames: usize,
        frame: impl Fn(usize) -> ([f32; N], Openness),
    ) -> f64 {
        for i in 0..frames {
            let (v, o) = frame(i);
            neutral.observe(&v, o, from + i as f64 / 30.0);
        }
        from + frames as f64 / 30.0
    }

    fn open(mouth: f32) -> Openness {
        Openness {
            mouth,
            right_eye: 0.3,
            left_eye: 0.3,
        }
    }

    #[test]
    fn a_shot_opening_with_a_frown_and_an_open_mouth_settles_on_the_usual_face() {
        let mut n = NeutralFace::new(vec![Gate::Any, Gate::MouthClosed]);
        // First frame: frowning (brow 5) with the mouth open (jaw 8): the neutral at once.
        assert_eq!(n.observe(&[5.0, 8.0], open(0.4), 0.0), &[5.0, 8.0]);
        // One second of the same, then talking with a relaxed brow (0) for three seconds: the
        // mouth opens and closes (jaw 0 closed .. 8 open).
        let t = run(&mut n, 1.0 / 30.0, 29, |_| ([5.0, 8.0], open(0.4)));
        run(&mut n, t, 90, |i| {
            // Pseudo-random openings (not periodic: the snapshots would alias), the lips closed
            // half of the time as in speech.
            let r = ((i as f32 * 12.9898).sin() * 43758.547).fract().abs();
            let o = if r < 0.5 { 0.0 } else { r };
            ([0.0, 8.0 * o], open(0.4 * o))
        });
        let v = n.neutral();
        assert!(v[0].abs() < 0.5, "the frown is outvoted: brow {}", v[0]);
        assert!(v[1] < 1.0, "the neutral mouth is closed: jaw {}", v[1]);
    }

    #[test]
    fn blinks_are_not_neutral_and_a_short_expression_does_not_move_the_neutral() {
        let mut n = NeutralFace::new(vec![Gate::RightEyeOpen, Gate::Any]);
        let eyes = |right: f32| Openness {
            mouth: 0.0,
            right_eye: right,
            left_eye: 0.3,
        };
        // Ten seconds of a relaxed face blinking every second (lid 0 open, 5 closed).
        let t = run(&mut n, 0.0, 300, |i| {
            let blink = i % 30 < 6;
            (
                [if blink { 5.0 } else { 0.0 }, 0.0],
                eyes(if blink { 0.0 } else { 0.3 }),
            )
        });
        assert!(n.neutral()[0].abs() < 0.1, "lid {}", n.neutral()[0]);
        // A two-second smile (cheek 6): the neutral's cheek stays near its rest.
        run(&mut n, t, 60, |_| ([0.0, 6.0], eyes(0.3)));
        assert!(n.neutral()[1] < 0.5, "cheek {}", n.neutral()[1]);
    }

    #[test]
    fn the_neutral_eases_to_a_new_median_and_reset_forgets() {
        let mut n = NeutralFace::new(vec![Gate::Any]);
        n.observe(&[0.0], open(0.0), 0.0);
        run(&mut n, 0.3, 3, |_| ([10.0], open(0.0)));
        let eased = n.neutral()[0];
        assert!(eased > 0.0 && eased < 10.0, "no jump: {eased}");
        n.reset();
        assert!(n.is_empty());
        assert_eq!(n.observe(&[3.0], open(0.0), 5.0), &[3.0]);
        // A window's worth of snapshots at most.
        run(&mut n, 6.0, 30 * 60, |_| ([3.0], open(0.0)));
        assert_eq!(n.len(), WINDOW_SNAPSHOTS);
    }
}
