//! Who is speaking: each face's mouth activity over the last second, and the choice of the face
//! to follow by it, with hysteresis (the `actor-choice=speaking` rule).
//!
//! **Mouth activity** ([`MouthActivity`]): the standard deviation of the mouth opening (the
//! inner-lip gap over the outer-eye-corner distance, [`super::opening_measures::mouth_opening_of`]) over
//! the last [`ACTIVITY_WINDOW`] seconds of samples. Speech opens and closes the mouth three to six
//! times a second, so its opening varies widely within a second; a listener's mouth, closed or
//! held in a smile, barely varies. The measure does not depend on how often a face is sampled
//! (the followed face every frame, the others a few times a second, see
//! [`super::speaker_watch`]), nor on its size (the opening is a ratio).
//!
//! **The choice** ([`SpeakerChoice`]): another face is taken when, for [`LEAD_SECONDS`] in a row,
//! its activity is at least [`SPEAKING_ACTIVITY`] (it speaks) and at least [`LEAD_RATIO`] times
//! the followed face's (clearly more than the followed face), and never sooner than
//! [`MIN_SWITCH_SECONDS`] after the last switch. Two people talking at once keep the followed
//! one; when one stops and the other goes on, the followed face changes about a second later
//! (the activity window empties of the old speaker's speech and fills with the new one's).

use std::collections::VecDeque;

/// How the tracker chooses the actor face among several (the element's `actor-choice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ActorChoice {
    /// By size: a search takes the largest face (or the one of rank `actor-face`), which is then
    /// followed while it is found.
    #[default]
    Largest,
    /// By speech: as [`ActorChoice::Largest`], and while a face is followed the other faces are
    /// watched (see [`super::speaker_watch`]); the one that speaks is taken (see the module docs).
    Speaking,
}

/// Length of the window the mouth activity is measured over, seconds.
pub const ACTIVITY_WINDOW: f64 = 1.0;
/// Fewest samples in the window for an activity to be measured.
pub const MIN_SAMPLES: usize = 4;
/// Shortest time between a window's first and last samples for an activity to be measured, in
/// [`ACTIVITY_WINDOW`]s: a face seen for a moment has no activity yet.
pub const MIN_SPAN: f64 = 0.6;
/// Activity (standard deviation of the mouth opening) from which a mouth counts as speaking.
/// Measured with the tracker on 1 s windows every 0.5 s, faces 85 to 180 pixels wide: the woman
/// of talk_wink_480.mp4 talking, median 0.063, at least 0.03 in 61 of 64 windows (0.004 to
/// 0.028 in pauses); the man of glasses_512x480.mp4 where he does not talk, 0.001 to 0.011
/// (0.04 to 0.06 where he does); a still frame, below 0.003.
pub const SPEAKING_ACTIVITY: f32 = 0.025;
/// A face leads when its activity is at least this many times the followed face's.
pub const LEAD_RATIO: f32 = 2.0;
/// How long a face must lead, without a break, before it is taken, seconds.
pub const LEAD_SECONDS: f64 = 0.5;
/// Least time between two switches, seconds.
pub const MIN_SWITCH_SECONDS: f64 = 2.0;

/// The mouth openings of one face over the last [`ACTIVITY_WINDOW`] seconds.
#[derive(Debug, Clone, Default)]
pub struct MouthActivity {
    /// (stream time in seconds, mouth opening), oldest first.
    samples: VecDeque<(f64, f32)>,
}

impl MouthActivity {
    /// No samples.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the mouth opening `opening` (gap over eye-corner distance) seen at stream time `t`
    /// seconds, and forgets the samples older than the window. A time before the last sample's
    /// (a seek backwards) starts the history afresh.
    pub fn push(&mut self, t: f64, opening: f32) {
        if self.samples.back().is_some_and(|&(last, _)| t < last) {
            self.samples.clear();
        }
        self.samples.push_back((t, opening));
        while self
            .samples
            .front()
            .is_some_and(|&(s, _)| s < t - ACTIVITY_WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// Forgets every sample.
    pub fn clear(&mut self) {
        self.samples.clear();
    }

    /// The activity at stream time `t` seconds: the standard deviation of the openings sampled in
    /// the window before `t`; `None` while they are fewer than [`MIN_SAMPLES`] or span less than
    /// [`MIN_SPAN`] of the window.
    pub fn activity(&self, t: f64) -> Option<f32> {
        let inside = || {
            self.samples
                .iter()
                .filter(move |&&(s, _)| s >= t - ACTIVITY_WINDOW && s <= t)
        };
        let n = inside().count();
        let first = inside().next()?.0;
        let last = inside().next_back()?.0;
        if n < MIN_SAMPLES || last - first < MIN_SPAN * ACTIVITY_WINDOW {
            return None;
        }
        let mean = inside().map(|&(_, o)| o as f64).sum::<f64>() / n as f64;
        let var = inside()
            .map(|&(_, o)| (o as f64 - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        Some(var.sqrt() as f32)
    }
}

/// The hysteresis of the choice by speech: which face leads, since when, and when the followed
/// face last changed by it.
#[derive(Debug, Clone, Default)]
pub struct SpeakerChoice {
    /// The face leading the followed one (its id) and since when (stream seconds).
    leader: Option<(u64, f64)>,
    /// When the last switch was made (stream seconds).
    last_switch: Option<f64>,
}

impl SpeakerChoice {
    /// No leader, no switch yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the leader and the last switch (a seek).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Forgets the leader (the faces were replaced: a cut, or the followed face changed by a
    /// search); the last switch still counts.
    pub fn forget_leader(&mut self) {
        self.leader = None;
    }

    /// The face to take at stream time `t` seconds, if any, given the followed face's activity
    /// (`None`: not measured yet, then nothing is taken) and each other face's `(id, activity)`.
    /// A returned face counts as taken: the next switch waits [`MIN_SWITCH_SECONDS`]. See the
    /// module docs for the rule.
    pub fn decide(
        &mut self,
        t: f64,
        followed: Option<f32>,
        others: impl IntoIterator<Item = (u64, Option<f32>)>,
    ) -> Option<u64> {
        if self.last_switch.is_some_and(|s| t < s) {
            // A seek backwards: the last switch lies in the future.
            self.last_switch = None;
        }
        let Some(followed) = followed else {
            self.leader = None;
            return None;
        };
        let lead = others
            .into_iter()
            .filter_map(|(id, a)| Some((id, a?)))
            .filter(|&(_, a)| a >= SPEAKING_ACTIVITY && a >= LEAD_RATIO * followed)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| id);
        let Some(id) = lead else {
            self.leader = None;
            return None;
        };
        let since = match self.leader {
            Some((leader, since)) if leader == id => since,
            _ => t,
        };
        self.leader = Some((id, since));
        let rested = self.last_switch.is_none_or(|s| t - s >= MIN_SWITCH_SECONDS);
        if t - since >= LEAD_SECONDS && rested {
            self.leader = None;
            self.last_switch = Some(t);
            return Some(id);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPS: f64 = 30.0;

    /// A mouth opening at time `t` of someone talking (`talks`) or silent, with landmark noise:
    /// talking opens the mouth between 0 and about 0.35 four to five times a second, irregularly;
    /// silence keeps it near closed. `seed` gives each face its own rhythm and noise.
    fn opening(t: f64, talks: bool, seed: u64) -> f32 {
        let noise = {
            let mut x = (t * 1000.0) as u64 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            x ^= x >> 33;
            x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
            x ^= x >> 33;
            (x % 1000) as f32 / 1000.0 - 0.5
        };
        let base = 0.02 + 0.006 * noise;
        if !talks {
            return base;
        }
        let phase = t * (4.0 + seed as f64 % 3.0 * 0.4) * std::f64::consts::TAU;
        let syllable = (0.5 - 0.5 * (phase + 0.7 * (t * 1.3 + seed as f64).sin()).cos()) as f32;
        base + 0.33 * syllable
    }

    /// Feeds `frames` of a scene through the activity measure and the choice: faces `talking(t)`
    /// (one flag per face), the followed one sampled every frame, the others every third frame
    /// (10 times a second); returns the followed face per frame.
    fn run(n_faces: usize, frames: usize, talking: impl Fn(f64) -> Vec<bool>) -> Vec<usize> {
        let mut acts: Vec<MouthActivity> = (0..n_faces).map(|_| MouthActivity::new()).collect();
        let mut choice = SpeakerChoice::new();
        let mut followed = 0usize;
        let mut out = Vec::new();
        for f in 0..frames {
            let t = f as f64 / FPS;
            let talks = talking(t);
            for (i, a) in acts.iter_mut().enumerate() {
                if i == followed || f % 3 == i % 3 {
                    a.push(t, opening(t, talks[i], i as u64 + 1));
                }
            }
            let others = (0..n_faces)
                .filter(|&i| i != followed)
                .map(|i| (i as u64, acts[i].activity(t)));
            if let Some(id) = choice.decide(t, acts[followed].activity(t), others) {
                followed = id as usize;
            }
            out.push(followed);
        }
        out
    }

    fn switches(followed: &[usize]) -> Vec<(usize, usize)> {
        followed
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[0] != w[1])
            .map(|(f, w)| (f + 1, w[1]))
            .collect()
    }

    #[test]
    fn activity_is_the_spread_of_the_opening_over_the_last_second() {
        let mut a = MouthActivity::new();
        assert_eq!(a.activity(0.0), None);
        // A still mouth: no activity once a window's worth of samples is in.
        for f in 0..10 {
            a.push(f as f64 * 0.1, 0.2);
        }
        assert_eq!(a.activity(0.9), Some(0.0));
        // Opening 0 and 0.4 in turn: a standard deviation of 0.2 (0.199 with 11 samples in the
        // window, 6 of one and 5 of the other).
        for f in 10..30 {
            a.push(f as f64 * 0.1, if f % 2 == 0 { 0.0 } else { 0.4 });
        }
        let act = a.activity(2.9).unwrap();
        assert!((act - 0.2).abs() < 0.002, "{act}");
        // Samples older than the window are forgotten: still again after a second.
        for f in 30..42 {
            a.push(f as f64 * 0.1, 0.1);
        }
        assert!(a.activity(4.1).unwrap() < 1e-6);
        // Too few samples, or too short a span: not measured.
        let mut b = MouthActivity::new();
        for f in 0..10 {
            b.push(f as f64 * 0.05, 0.3 * (f % 2) as f32);
        }
        assert_eq!(b.activity(0.45), None, "0.45 s of samples");
        let mut c = MouthActivity::new();
        c.push(0.0, 0.0);
        c.push(0.9, 0.3);
        assert_eq!(c.activity(0.9), None, "two samples");
        // A seek backwards starts afresh.
        a.push(1.0, 0.3);
        assert_eq!(a.activity(1.0), None);
    }

    #[test]
    fn the_synthetic_talker_is_active_and_the_listener_is_not() {
        // Checks the test's own scene against the thresholds: a talker's activity is well above
        // SPEAKING_ACTIVITY, a silent face's well below.
        let (mut talker, mut silent) = (MouthActivity::new(), MouthActivity::new());
        for f in 0..90 {
            let t = f as f64 / FPS;
            talker.push(t, opening(t, true, 2));
            silent.push(t, opening(t, false, 1));
        }
        let (a, b) = (talker.activity(3.0).unwrap(), silent.activity(3.0).unwrap());
        assert!(a > 3.0 * SPEAKING_ACTIVITY, "talker {a}");
        assert!(b < SPEAKING_ACTIVITY / 5.0, "silent {b}");
    }

    #[test]
    fn the_talking_face_is_taken_from_a_silent_one_after_the_lead_time() {
        // Face 0 (followed first: the larger) is silent, face 1 talks.
        let followed = run(2, 150, |_| vec![false, true]);
        let sw = switches(&followed);
        assert_eq!(sw.len(), 1, "{sw:?}");
        let (frame, to) = sw[0];
        assert_eq!(to, 1);
        // A window's worth of samples, then the lead time: about 1.1 s, well under 2 s.
        let at = frame as f64 / FPS;
        assert!(
            (MIN_SPAN * ACTIVITY_WINDOW + LEAD_SECONDS - 0.1..2.0).contains(&at),
            "switched at {at} s"
        );
    }

    #[test]
    fn nobody_talking_or_the_followed_face_talking_keeps_it() {
        for (who, talks) in [("nobody", [false, false]), ("the followed", [true, false])] {
            let followed = run(2, 300, |_| talks.to_vec());
            assert!(followed.iter().all(|&f| f == 0), "{who} talking");
        }
    }

    #[test]
    fn turns_are_followed_within_two_seconds_with_one_switch_each() {
        // Face 0 talks for 4 s, then face 1 for 4 s, and so on: 20 s, five turns.
        let turn = 4.0;
        let followed = run(2, (20.0 * FPS) as usize, |t| {
            let first = ((t / turn) as usize).is_multiple_of(2);
            vec![first, !first]
        });
        let sw = switches(&followed);
        println!("switches (frame, face): {sw:?}");
        assert_eq!(sw.len(), 4, "one switch per change of speaker: {sw:?}");
        for (k, &(frame, to)) in sw.iter().enumerate() {
            let change = (k + 1) as f64 * turn;
            let at = frame as f64 / FPS;
            assert_eq!(to, (k + 1) % 2, "{sw:?}");
            assert!(
                at > change && at - change <= 2.0,
                "turn at {change} s followed at {at} s"
            );
        }
    }

    #[test]
    fn two_faces_talking_at_once_do_not_flicker() {
        // Both talk for 20 s (each with its own rhythm and loudness changes): the followed face
        // stays; then face 1 goes on alone and is taken once.
        let followed = run(2, (26.0 * FPS) as usize, |t| vec![t < 20.0, true]);
        let sw = switches(&followed);
        assert_eq!(sw.len(), 1, "{sw:?}");
        assert!(sw[0].0 as f64 / FPS > 20.0, "{sw:?}");
    }

    #[test]
    fn short_exchanges_never_switch_more_often_than_the_least_interval() {
        // Three faces taking turns every 0.7 s: faster than the hysteresis lets through.
        let followed = run(3, (20.0 * FPS) as usize, |t| {
            let who = (t / 0.7) as usize % 3;
            (0..3).map(|i| i == who).collect()
        });
        let sw = switches(&followed);
        for w in sw.windows(2) {
            let gap = (w[1].0 - w[0].0) as f64 / FPS;
            assert!(gap >= MIN_SWITCH_SECONDS - 1e-9, "{sw:?}");
        }
    }

    #[test]
    fn a_leader_must_lead_without_a_break() {
        let mut c = SpeakerChoice::new();
        // Face 7 leads for 0.4 s, stops leading for a moment, then leads again: the lead time
        // counts from its second start.
        for f in 0..=12 {
            assert_eq!(c.decide(f as f64 / FPS, Some(0.01), [(7, Some(0.1))]), None);
        }
        assert_eq!(c.decide(13.0 / FPS, Some(0.06), [(7, Some(0.1))]), None);
        let mut taken = None;
        for f in 14..60 {
            if let Some(id) = c.decide(f as f64 / FPS, Some(0.01), [(7, Some(0.1))]) {
                taken = Some((f, id));
                break;
            }
        }
        let (f, id) = taken.expect("taken");
        assert_eq!(id, 7);
        assert!((f - 14) as f64 / FPS >= LEAD_SECONDS - 1e-9, "frame {f}");
        // An unmeasured followed face takes nobody.
        let mut c = SpeakerChoice::new();
        for f in 0..60 {
            assert_eq!(c.decide(f as f64 / FPS, None, [(7, Some(0.3))]), None);
        }
    }
}
