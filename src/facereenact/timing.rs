//! Frame timing: the processing deadline the element adds to the pipeline's latency, the share
//! of a live frame's time a face search may spend, and the count of frames over the deadline
//! (reported on the bus at most every [`LATE_WARNING_INTERVAL`]).

use std::time::{Duration, Instant};

/// `processing-deadline` when it is automatic (0) and the input's frame rate is unknown or
/// variable: one frame at 30 fps.
pub const FALLBACK_DEADLINE: gst::ClockTime = gst::ClockTime::from_nseconds(33_333_333);
/// Share of a live frame's time (see [`search_time_for`]) a face search may spend (the rest is
/// for the tracking attempt before it, the rendering and the conversions).
pub const SEARCH_SHARE: f64 = 0.5;
/// Least time between two warnings about frames over the processing deadline.
pub const LATE_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// The processing deadline: `processing-deadline` (`set`, nanoseconds) when not 0, else one
/// frame of the input (`frame`, when its frame rate is fixed), else [`FALLBACK_DEADLINE`].
pub fn deadline_for(set: u64, frame: Option<gst::ClockTime>) -> gst::ClockTime {
    if set > 0 {
        gst::ClockTime::from_nseconds(set)
    } else {
        frame.unwrap_or(FALLBACK_DEADLINE)
    }
}

/// The time a face search may spend in one frame of a live stream: [`SEARCH_SHARE`] of the
/// deadline or of the frame's duration (`frame`, else [`FALLBACK_DEADLINE`]), whichever is
/// shorter: a deadline longer than a frame absorbs a slow frame, not a sustained rate.
pub fn search_time_for(deadline: gst::ClockTime, frame: Option<gst::ClockTime>) -> Duration {
    let period = frame.unwrap_or(FALLBACK_DEADLINE).min(deadline);
    Duration::from_nanos(period.nseconds()).mul_f64(SEARCH_SHARE)
}

/// A warning due about frames over the deadline (see [`FrameTiming::record`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LateReport {
    /// The late frame's number (from 0) and the time it took.
    pub frame: u64,
    pub elapsed: Duration,
    /// The deadline it missed.
    pub deadline: Duration,
    /// Frames over the deadline so far, and the longest of them (time, frame number).
    pub late_frames: u64,
    pub longest_late: (Duration, u64),
}

/// One stream's frame timing: the deadline in force, the live search bound, and the late-frame
/// count.
#[derive(Debug, Clone)]
pub struct FrameTiming {
    /// The processing deadline in force ([`deadline_for`] the input's frame rate).
    pub deadline: gst::ClockTime,
    /// What a face search may spend per live frame ([`search_time_for`]).
    pub search_time: Duration,
    /// Whether upstream is live (from the last latency query): only then can a frame be late.
    pub live: bool,
    late_frames: u64,
    longest: (Duration, u64),
    longest_late: (Duration, u64),
    last_warning: Option<Instant>,
}

impl FrameTiming {
    /// The timing of a stream whose frame rate is not known yet, with `processing-deadline`
    /// `set` (nanoseconds; 0: one frame).
    pub fn new(set: u64) -> Self {
        let deadline = deadline_for(set, None);
        FrameTiming {
            deadline,
            search_time: search_time_for(deadline, None),
            live: false,
            late_frames: 0,
            longest: (Duration::ZERO, 0),
            longest_late: (Duration::ZERO, 0),
            last_warning: None,
        }
    }

    /// The input's frame duration is known (`None`: unknown or variable rate). Returns whether
    /// the deadline changed (the element then posts a latency message).
    pub fn set_frame_duration(&mut self, set: u64, frame: Option<gst::ClockTime>) -> bool {
        let deadline = deadline_for(set, frame);
        let changed = deadline != self.deadline;
        self.deadline = deadline;
        self.search_time = search_time_for(deadline, frame);
        changed
    }

    /// Records that frame `frame` took `elapsed` (at `now`). A frame of a live stream over the
    /// deadline is counted late; a [`LateReport`] is returned for it unless one was returned less
    /// than [`LATE_WARNING_INTERVAL`] before. A file read as fast as it goes has no deadline.
    pub fn record(&mut self, frame: u64, elapsed: Duration, now: Instant) -> Option<LateReport> {
        if elapsed > self.longest.0 {
            self.longest = (elapsed, frame);
        }
        let deadline = Duration::from_nanos(self.deadline.nseconds());
        if elapsed <= deadline || !self.live {
            return None;
        }
        self.late_frames += 1;
        if elapsed > self.longest_late.0 {
            self.longest_late = (elapsed, frame);
        }
        if self
            .last_warning
            .is_some_and(|t| now.duration_since(t) < LATE_WARNING_INTERVAL)
        {
            return None;
        }
        self.last_warning = Some(now);
        Some(LateReport {
            frame,
            elapsed,
            deadline,
            late_frames: self.late_frames,
            longest_late: self.longest_late,
        })
    }

    /// Frames over the deadline so far.
    pub fn late_frames(&self) -> u64 {
        self.late_frames
    }

    /// The longest time a frame took, and its number.
    pub fn longest(&self) -> (Duration, u64) {
        self.longest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn the_deadline_is_the_setting_else_one_frame_else_30_fps() {
        let frame = Some(gst::ClockTime::from_nseconds(40 * MS));
        assert_eq!(deadline_for(100 * MS, frame).nseconds(), 100 * MS);
        assert_eq!(deadline_for(0, frame).nseconds(), 40 * MS);
        assert_eq!(deadline_for(0, None), FALLBACK_DEADLINE);
    }

    #[test]
    fn a_search_spends_half_of_the_shorter_of_frame_and_deadline() {
        let frame = Some(gst::ClockTime::from_nseconds(40 * MS));
        let long = gst::ClockTime::from_nseconds(200 * MS);
        assert_eq!(search_time_for(long, frame), Duration::from_millis(20));
        let short = gst::ClockTime::from_nseconds(10 * MS);
        assert_eq!(search_time_for(short, frame), Duration::from_millis(5));
        assert_eq!(
            search_time_for(long, None),
            Duration::from_nanos(FALLBACK_DEADLINE.nseconds()).mul_f64(SEARCH_SHARE)
        );
    }

    #[test]
    fn frames_of_a_file_are_never_late() {
        let mut t = FrameTiming::new(10 * MS);
        let now = Instant::now();
        assert_eq!(t.record(0, Duration::from_millis(500), now), None);
        assert_eq!(t.late_frames(), 0);
        assert_eq!(t.longest(), (Duration::from_millis(500), 0));
    }

    #[test]
    fn late_live_frames_are_counted_and_reported_at_most_every_interval() {
        let mut t = FrameTiming::new(10 * MS);
        t.live = true;
        let start = Instant::now();
        assert_eq!(t.record(0, Duration::from_millis(5), start), None);
        let first = t
            .record(1, Duration::from_millis(20), start)
            .expect("reported");
        assert_eq!((first.frame, first.late_frames), (1, 1));
        assert_eq!(first.deadline, Duration::from_millis(10));
        // Within the interval: counted, not reported.
        let soon = start + Duration::from_secs(1);
        assert_eq!(t.record(2, Duration::from_millis(30), soon), None);
        assert_eq!(t.late_frames(), 2);
        let later = start + LATE_WARNING_INTERVAL;
        let second = t
            .record(3, Duration::from_millis(15), later)
            .expect("reported");
        assert_eq!(second.late_frames, 3);
        assert_eq!(second.longest_late, (Duration::from_millis(30), 2));
    }

    #[test]
    fn a_known_frame_rate_changes_the_automatic_deadline_only() {
        let mut t = FrameTiming::new(0);
        assert_eq!(t.deadline, FALLBACK_DEADLINE);
        assert!(t.set_frame_duration(0, Some(gst::ClockTime::from_nseconds(40 * MS))));
        assert_eq!(t.deadline.nseconds(), 40 * MS);
        assert!(!t.set_frame_duration(0, Some(gst::ClockTime::from_nseconds(40 * MS))));
        let mut fixed = FrameTiming::new(100 * MS);
        assert!(!fixed.set_frame_duration(100 * MS, Some(gst::ClockTime::from_nseconds(40 * MS))));
        assert_eq!(fixed.search_time, Duration::from_millis(20));
    }
}
