//! Finding the actor's face when none is tracked: a sweep of detector windows over the frame (or
//! over the `actor-region`), coarse to fine, spread over frames within a budget of model runs per
//! frame so that a search never stalls a live stream.
//!
//! **The sweep** ([`sweep`]), in this order:
//! 1. where the face was last seen, if it was: one full-range window about five times its crop
//!    (a lecturer who turned to the board and back is found in one run);
//! 2. the whole area, letterboxed into one square: the short-range model (close-ups, the
//!    element's behaviour before the sweep existed), then the full-range model;
//! 3. levels of square full-range windows, each level half the side of the one before, down to
//!    [`MIN_WINDOW`]; the windows of a level overlap by [`WINDOW_OVERLAP`] of their side and run
//!    from the area's centre outwards;
//! 4. in an `actor-region` ([`Area::pointed`]), finer levels below [`MIN_WINDOW`], down to
//!    [`MIN_POINTED_WINDOW`], each while it has at most [`MAX_FINE_LEVEL_WINDOWS`] windows (they
//!    run last, finest last).
//!
//! Why these sizes: both BlazeFace models find a face whose detector box is at least a tenth of
//! their input ([`MIN_BOX_FRACTION`], see [`super::detector`]). A level of side `S` therefore
//! finds faces from `0.1 S`, and a face up to `0.2 S` (the next level's reach) lies whole in one
//! of its windows because they overlap by `0.25 S`. [`MIN_WINDOW`] makes the finest level reach
//! a box of [`MIN_FACE_BOX`] pixels: a face about 32 pixels wide with its eye corners about 12
//! pixels apart. Where the user pointed (an `actor-region`), the finer levels reach faces of
//! [`MIN_POINTED_FACE`] pixels (a 12-pixel face in a 640x360 stage shot): the detectors see each
//! window scaled up to their input (the crop is sampled bilinearly), so such a face in a
//! 100-pixel window is as large to them as a 32-pixel face in a 200-pixel one. Those windows are
//! few (a region up to about 600x600 pixels gets the 100-pixel level: at most 64 windows, 16
//! frames at the default budget), and the budget per frame is the same.
//!
//! **Cost** (2 cores, one ONNX Runtime thread): a full-range run is about 2.3 ms, a short-range
//! run 0.8 ms, a landmark check 1.7 ms. A whole sweep is 129 windows on a 1920x1080 frame and 519
//! on 3840x2160 (asserted by a test); with the default budget of 4 runs per frame
//! it takes 33 frames at 1080p and 130 at 4K (1.1 s and 4.3 s at 30 frames/s), and each
//! searching frame spends at most 4 runs (about 9 ms) on it.
//!
//! **Which face** ([`FaceSearch::pick`]): a face where the tracked face was last seen is taken
//! at once; otherwise, with `rank` 0, the largest face of the first (coarsest) level that finds
//! any; with `rank` n > 0, the (n+1)-th largest face of a whole sweep (none while the sweep finds
//! fewer). Faces whose centre lies outside the area are not taken.

use std::collections::VecDeque;

use super::detector::{weighted_nms, Detection, DetectorModel};
use super::frame_region::FrameRegion;
use super::landmarker::FaceLandmarks;
use super::roi::Roi;
use super::spot::{
    is_inside_other, is_same_face, larger_first, FaceSpot, JUMP_SCALE, JUMP_SHIFT, REFOUND_SCALE,
    REFOUND_SHIFT,
};
use crate::runtime::RuntimeError;

/// Smallest detector box the sweep is made to find, pixels (a face about 32 pixels wide, eye
/// corners about 12 pixels apart: the box is about 1.7 eye-corner distances).
pub const MIN_FACE_BOX: f32 = 20.0;
/// Smallest box, as a share of the window side, that the detectors find (see
/// [`super::detector`]'s measured reach).
pub const MIN_BOX_FRACTION: f32 = 0.1;
/// Side of the finest level's windows, pixels.
pub const MIN_WINDOW: f32 = MIN_FACE_BOX / MIN_BOX_FRACTION;
/// Overlap of neighbouring windows of a level, in window sides: a face box up to twice
/// [`MIN_BOX_FRACTION`] of the side fits whole in one window, with a margin.
pub const WINDOW_OVERLAP: f32 = 0.25;
/// Side of the window around where the face was last seen, in crop sizes of that face (its
/// detector box is then about 0.15 of the window, in the middle of the models' reach).
pub const LAST_SEEN_WINDOW: f32 = 5.0;
/// Default model runs per frame while searching (about 9 ms on 2 cores).
pub const DEFAULT_BUDGET: usize = 4;
/// Width (cheek to cheek) of the smallest face a sweep over an `actor-region` is made to find,
/// pixels. Its detector box is about 1.2 times that (14 pixels).
pub const MIN_POINTED_FACE: f32 = 12.0;
/// Least side of the finest windows of a sweep over an `actor-region`, pixels: 8 widths of a
/// [`MIN_POINTED_FACE`] face, whose box is then 0.15 of the window (in the middle of the
/// detectors' reach, like [`LAST_SEEN_WINDOW`]'s). The levels halve from [`MIN_WINDOW`], so the
/// finest is 100 pixels.
pub const MIN_POINTED_WINDOW: f32 = 8.0 * MIN_POINTED_FACE;
/// Most windows a level finer than [`MIN_WINDOW`] may have (a level with more is left out: the
/// region is too large for it, and the sweep would take many frames).
pub const MAX_FINE_LEVEL_WINDOWS: usize = 64;

/// A rectangle of the picture, square-pixel coordinates (x multiplied by the pixel aspect
/// ratio, see [`super::roi`]), x0 < x1, y0 < y1, and whether the user pointed to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Whether it is an `actor-region` the user set: a sweep over it also runs the finer levels
    /// that find faces down to [`MIN_POINTED_FACE`] pixels (see the module docs).
    pub pointed: bool,
    /// Left edge.
    pub x0: f32,
    /// Top edge.
    pub y0: f32,
    /// Right edge.
    pub x1: f32,
    /// Bottom edge.
    pub y1: f32,
}

impl Area {
    /// The part `region` of a `w`x`h` picture (square pixels); the whole picture without one.
    pub fn of_picture(w: f32, h: f32, region: Option<&FrameRegion>) -> Area {
        match region {
            Some(r) => Area {
                pointed: true,
                x0: r.x * w,
                y0: r.y * h,
                x1: (r.x + r.width) * w,
                y1: (r.y + r.height) * h,
            },
            None => Area {
                pointed: false,
                x0: 0.0,
                y0: 0.0,
                x1: w,
                y1: h,
            },
        }
    }

    /// Whether the point (`x`, `y`) lies inside.
    pub fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }

    fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    fn height(&self) -> f32 {
        self.y1 - self.y0
    }
}

/// One detector run of a sweep: a square window and the model that looks through it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchWindow {
    /// The window (upright square, square-pixel coordinates; it may reach past the picture,
    /// which is then extended by its edge).
    pub roi: Roi,
    /// The model run on it.
    pub model: DetectorModel,
    /// 0 for the whole-area and last-seen windows, then 1, 2, ... from the coarsest level.
    pub level: usize,
}

/// The windows of a sweep over `area`, in the order they run (see the module docs); with
/// `last_seen`, a window where the face was last seen comes first.
pub fn sweep(area: Area, last_seen: Option<&FaceSpot>) -> Vec<SearchWindow> {
    let mut out = Vec::new();
    let upright = |cx: f32, cy: f32, size: f32| Roi {
        cx,
        cy,
        size,
        angle: 0.0,
    };
    out.extend(last_seen.map(last_seen_window));
    let (w, h) = (area.width(), area.height());
    let (mx, my) = ((area.x0 + area.x1) / 2.0, (area.y0 + area.y1) / 2.0);
    let long = w.max(h);
    for model in [DetectorModel::ShortRange, DetectorModel::FullRange] {
        out.push(SearchWindow {
            roi: upright(mx, my, long),
            model,
            level: 0,
        });
    }
    // Level sides, finest first: MIN_WINDOW doubled while below the area's longer side.
    let mut sides = Vec::new();
    let mut side = MIN_WINDOW;
    while side < long {
        sides.push(side);
        side *= 2.0;
    }
    if area.pointed {
        // Finer levels in a region the user pointed to, while they stay few.
        let mut side = MIN_WINDOW / 2.0;
        while side >= MIN_POINTED_WINDOW
            && side < long
            && axis_centres(area.y0, h, side).len() * axis_centres(area.x0, w, side).len()
                <= MAX_FINE_LEVEL_WINDOWS
        {
            sides.insert(0, side);
            side /= 2.0;
        }
    }
    for (level, &side) in sides.iter().rev().enumerate() {
        let mut level_windows: Vec<SearchWindow> = axis_centres(area.y0, h, side)
            .into_iter()
            .flat_map(|cy| {
                axis_centres(area.x0, w, side)
                    .into_iter()
                    .map(move |cx| (cx, cy))
            })
            .map(|(cx, cy)| SearchWindow {
                roi: upright(cx, cy, side),
                model: DetectorModel::FullRange,
                level: level + 1,
            })
            .collect();
        let from_centre =
            |win: &SearchWindow| (win.roi.cx - mx).powi(2) + (win.roi.cy - my).powi(2);
        level_windows.sort_by(|a, b| from_centre(a).total_cmp(&from_centre(b)));
        out.extend(level_windows);
    }
    out
}

/// Centres of the windows of side `side` along one axis of length `len` starting at `start`:
/// evenly spread, neighbours at most (1 - [`WINDOW_OVERLAP`]) sides apart; one in the middle
/// when the side covers the axis.
fn axis_centres(start: f32, len: f32, side: f32) -> Vec<f32> {
    if side >= len {
        return vec![start + len / 2.0];
    }
    let stride = side * (1.0 - WINDOW_OVERLAP);
    let n = ((len - side) / stride).ceil() as usize + 1;
    (0..n)
        .map(|i| start + side / 2.0 + i as f32 * (len - side) / (n - 1) as f32)
        .collect()
}

/// The full-range window around where a face was last seen: [`LAST_SEEN_WINDOW`] times its crop,
/// at least [`MIN_POINTED_WINDOW`] (a face of [`MIN_POINTED_FACE`] pixels, crop about 21, gets a
/// window of about 105 pixels, where the detectors see it).
pub fn last_seen_window(seen: &FaceSpot) -> SearchWindow {
    SearchWindow {
        roi: Roi {
            cx: seen.cx,
            cy: seen.cy,
            size: (seen.size * LAST_SEEN_WINDOW).max(MIN_POINTED_WINDOW),
            angle: 0.0,
        },
        model: DetectorModel::FullRange,
        level: 0,
    }
}

/// What a search runs: the detectors on a window, and the landmarker on a detection.
pub trait FaceFinder {
    /// Detections in `window` (weighted NMS applied), square-pixel picture coordinates.
    fn detect(&mut self, window: &SearchWindow) -> Result<Vec<Detection>, RuntimeError>;
    /// The landmarks of the face `detection` boxes, from one landmarker run on its crop, `None`
    /// when the landmarker says there is no face (a detector's false alarm).
    fn check(&mut self, detection: &Detection) -> Result<Option<FaceLandmarks>, RuntimeError>;
}

/// A face the search found and the landmarker confirmed.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its landmarks on the frame it was confirmed on.
    pub landmarks: FaceLandmarks,
    /// Where it is.
    pub spot: FaceSpot,
    /// The level of the window that found it.
    pub level: usize,
}

/// Which face a search takes (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PickRule {
    /// 0: the largest face; n: the (n+1)-th largest of a whole sweep.
    pub rank: usize,
}

/// What a search may spend in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Model runs; 0: no bound.
    pub runs: usize,
    /// No run but the frame's first starts unless it is expected to end by this instant (by
    /// what a run has been taking); `None`: no time limit.
    pub until: Option<std::time::Instant>,
}

impl Budget {
    /// At most `runs` model runs (0: no bound), no time limit.
    pub fn runs(runs: usize) -> Self {
        Budget { runs, until: None }
    }
}

/// A search in progress, carried from frame to frame until it picks a face.
#[derive(Debug, Default)]
pub struct FaceSearch {
    /// The area the running sweep covers.
    area: Option<Area>,
    windows: Vec<SearchWindow>,
    /// The index of the next window to run.
    next: usize,
    /// Detections waiting for their landmark check, with the level that found them.
    unchecked: VecDeque<(Detection, usize)>,
    /// Faces found in this sweep.
    candidates: Vec<Candidate>,
    /// Model runs so far (detector runs and landmark checks), for tests and benchmarks.
    pub runs: u64,
    /// Sweeps completed so far.
    pub sweeps: u64,
    /// Frames this search ran in.
    frames: u64,
    /// What a model run has been taking (a running mean of the last few, detector runs and
    /// landmark checks alike), for [`Budget::until`]; `None` before the first run.
    run_cost: Option<std::time::Duration>,
}

/// Weight of the newest run in [`FaceSearch`]'s running mean of a run's cost.
const RUN_COST_WEIGHT: f64 = 0.25;

impl FaceSearch {
    /// No search running.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a sweep is under way.
    pub fn is_running(&self) -> bool {
        !self.windows.is_empty()
    }

    /// Stops the search (a face is tracked again, or the picture changed at once: a cut).
    pub fn stop(&mut self) {
        self.area = None;
        self.windows.clear();
        self.next = 0;
        self.frames = 0;
        self.unchecked.clear();
        self.candidates.clear();
    }

    /// Runs the search for one frame: at most `budget.runs` model runs (0: no bound, the whole
    /// sweep), none but the first started unless it is expected to end by `budget.until`,
    /// starting a sweep over `area` if none is under way; faces whose centre lies outside `area`
    /// are dropped. With `last_seen`, the window where the face was last seen runs first in every
    /// frame of a sweep (every other frame with a budget of 1), so that a face back where it was
    /// is found in the frame it is back, wherever the sweep is. Returns the face picked by `rule`
    /// (see [`FaceSearch::pick`]) once there is one; the search then stops.
    pub fn step(
        &mut self,
        finder: &mut dyn FaceFinder,
        area: Area,
        last_seen: Option<&FaceSpot>,
        budget: Budget,
        rule: PickRule,
    ) -> Result<Option<Candidate>, RuntimeError> {
        let Budget {
            runs: budget,
            until,
        } = budget;
        if self.area != Some(area) {
            // Another region, or a frame of another size: a sweep planned for this one.
            self.stop();
        }
        let fresh = !self.is_running();
        if fresh {
            self.windows = sweep(area, last_seen);
            self.next = 0;
            self.area = Some(area);
        }
        self.frames += 1;
        let mut spent = 0usize;
        let within = |spent: usize, run_cost: Option<std::time::Duration>| {
            (budget == 0 || spent < budget)
                && (spent == 0
                    || until.is_none_or(|t| {
                        std::time::Instant::now() + run_cost.unwrap_or_default() <= t
                    }))
        };
        // A sweep that starts runs that window first anyway; an unbounded one runs it every frame.
        let probe = last_seen
            .filter(|_| !fresh && (budget >= 2 || budget == 1 && self.frames.is_multiple_of(2)));
        let mut probe = probe.map(last_seen_window);
        while within(spent, self.run_cost) {
            let started = std::time::Instant::now();
            if let Some((det, level)) = self.unchecked.pop_front() {
                spent += 1;
                self.runs += 1;
                let checked = finder.check(&det)?;
                self.count_run(started);
                if let Some(lm) = checked {
                    let spot = FaceSpot::of(&lm);
                    let known = self
                        .candidates
                        .iter()
                        .any(|c| is_same_face(&c.spot, &spot, JUMP_SHIFT, JUMP_SCALE));
                    // Part of a face already found, or the whole of one found in part, is no
                    // second face: the larger reading is kept (`actor-face=1` on a one-face clip
                    // followed a reading of the lower half of the face, and drew it as a huge
                    // motion).
                    let part = self
                        .candidates
                        .iter_mut()
                        .find(|c| is_inside_other(&c.spot, &spot));
                    if let Some(c) = part {
                        if spot.size > c.spot.size && !known && area.contains(spot.cx, spot.cy) {
                            *c = Candidate {
                                landmarks: lm,
                                spot,
                                level,
                            };
                        }
                    } else if area.contains(spot.cx, spot.cy) && !known {
                        self.candidates.push(Candidate {
                            landmarks: lm,
                            spot,
                            level,
                        });
                    }
                }
                if let Some(c) = self.pick(last_seen, rule) {
                    self.stop();
                    return Ok(Some(c));
                }
                continue;
            }
            let window = match probe.take() {
                Some(w) => w,
                None => {
                    let Some(window) = self.windows.get(self.next).copied() else {
                        // The sweep is over: start the next one in the next frame.
                        self.sweeps += 1;
                        self.stop();
                        break;
                    };
                    self.next += 1;
                    window
                }
            };
            spent += 1;
            self.runs += 1;
            let found = finder.detect(&window)?;
            self.count_run(started);
            // A face seen by several windows is checked once: skip boxes overlapping a
            // detection already waiting or a face already found.
            for d in weighted_nms(found) {
                let seen = self.unchecked.iter().any(|(u, _)| u.iou(&d) > 0.3)
                    || self.candidates.iter().any(|c| {
                        let spot = FaceSpot::of_detection(&d);
                        is_same_face(&c.spot, &spot, REFOUND_SHIFT, REFOUND_SCALE)
                    });
                if !seen {
                    self.unchecked.push_back((d, window.level));
                }
            }
            if let Some(c) = self.pick(last_seen, rule) {
                self.stop();
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// Adds the run that began at `started` to the running mean of a run's cost.
    fn count_run(&mut self, started: std::time::Instant) {
        let took = started.elapsed();
        self.run_cost = Some(match self.run_cost {
            Some(mean) => mean.mul_f64(1.0 - RUN_COST_WEIGHT) + took.mul_f64(RUN_COST_WEIGHT),
            None => took,
        });
    }

    /// The face to take now, if any: one where the tracked face was last seen; else, for rank
    /// 0, the largest once every window of the levels up to its own ran and every detection of
    /// them was checked; for rank n, the (n+1)-th largest once the whole sweep ran and was
    /// checked.
    fn pick(&self, last_seen: Option<&FaceSpot>, rule: PickRule) -> Option<Candidate> {
        if let Some(seen) = last_seen {
            if let Some(c) = self
                .candidates
                .iter()
                .find(|c| is_same_face(seen, &c.spot, REFOUND_SHIFT, REFOUND_SCALE))
            {
                return Some(c.clone());
            }
        }
        if self.candidates.is_empty() {
            return None;
        }
        let mut by_size: Vec<&Candidate> = self.candidates.iter().collect();
        by_size.sort_by(|a, b| larger_first(&a.spot, &b.spot));
        // Levels whose windows all ran and whose detections were all checked.
        let running_level = self.windows.get(self.next).map(|w| w.level);
        let unchecked_level = self.unchecked.iter().map(|&(_, l)| l).min();
        let done_below = match (running_level, unchecked_level) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => usize::MAX,
        };
        if rule.rank == 0 {
            let coarsest = by_size.iter().map(|c| c.level).min()?;
            (coarsest < done_below).then(|| {
                by_size
                    .iter()
                    .find(|c| c.level == coarsest)
                    .map(|c| (*c).clone())
            })?
        } else {
            (done_below == usize::MAX)
                .then(|| by_size.get(rule.rank).map(|c| (*c).clone()))
                .flatten()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(w: f32, h: f32) -> Area {
        Area::of_picture(w, h, None)
    }

    /// Whether a face box of side `b` centred on (`x`, `y`) lies whole in a window of `wins`
    /// whose side is at most `b / MIN_BOX_FRACTION` (a window that finds it).
    fn covered(wins: &[SearchWindow], x: f32, y: f32, b: f32) -> bool {
        wins.iter().any(|w| {
            let r = &w.roi;
            b >= MIN_BOX_FRACTION * r.size - 1e-3
                && (x - b / 2.0) >= r.cx - r.size / 2.0
                && (x + b / 2.0) <= r.cx + r.size / 2.0
                && (y - b / 2.0) >= r.cy - r.size / 2.0
                && (y + b / 2.0) <= r.cy + r.size / 2.0
        })
    }

    #[test]
    fn every_face_from_the_smallest_box_up_is_seen_whole_by_a_window_that_reaches_it() {
        for (w, h) in [
            (1920.0, 1080.0),
            (3840.0, 2160.0),
            (1280.0, 720.0),
            (640.0, 360.0),
        ] {
            let wins = sweep(picture(w, h), None);
            println!("{w}x{h}: {} windows", wins.len());
            let mut b = MIN_FACE_BOX;
            while b < h * 0.6 {
                let mut y = b / 2.0;
                while y <= h - b / 2.0 {
                    let mut x = b / 2.0;
                    while x <= w - b / 2.0 {
                        assert!(covered(&wins, x, y, b), "{w}x{h}: box {b} at {x},{y}");
                        x += b / 3.0 + 7.0;
                    }
                    y += b / 3.0 + 7.0;
                }
                b *= 1.3;
            }
        }
    }

    #[test]
    fn the_sweep_runs_whole_area_first_then_coarse_to_fine_from_the_centre() {
        let wins = sweep(picture(1920.0, 1080.0), None);
        assert_eq!(wins[0].model, DetectorModel::ShortRange);
        assert_eq!(wins[0].roi.size, 1920.0);
        assert_eq!(wins[1].model, DetectorModel::FullRange);
        assert!(wins.windows(2).all(|p| p[0].level <= p[1].level));
        assert!(wins
            .windows(2)
            .all(|p| p[0].level != p[1].level || p[0].roi.size == p[1].roi.size));
        let finest = wins.last().unwrap().roi.size;
        assert_eq!(finest, MIN_WINDOW);
        // The first window of a level is the one nearest the centre.
        let first = wins.iter().find(|w| w.roi.size == finest).unwrap();
        assert!((first.roi.cx - 960.0).abs() < finest && (first.roi.cy - 540.0).abs() < finest);
        // The cost the module docs state.
        assert_eq!(wins.len(), 129);
        assert_eq!(sweep(picture(3840.0, 2160.0), None).len(), 519);
        // Where the face was last seen comes first.
        let seen = FaceSpot {
            cx: 300.0,
            cy: 200.0,
            size: 60.0,
        };
        let wins = sweep(picture(1920.0, 1080.0), Some(&seen));
        assert_eq!(wins[0].roi.cx, 300.0);
        assert_eq!(wins[0].roi.size, 300.0);
    }

    #[test]
    fn a_small_region_is_swept_with_windows_where_a_12_pixel_face_is_seen() {
        // A stage of 160x120 pixels in a 640x360 wide shot.
        let region: FrameRegion = "0.4,0.25,0.25,0.3333".parse().unwrap();
        let area = Area::of_picture(640.0, 360.0, Some(&region));
        let wins = sweep(area, None);
        let fine: Vec<&SearchWindow> = wins
            .iter()
            .filter(|w| w.level > 0 && w.roi.size < MIN_WINDOW)
            .collect();
        assert_eq!(fine.len(), 4, "{wins:?}");
        assert!(fine.iter().all(|w| w.roi.size >= MIN_POINTED_WINDOW));
        // The fine windows run after the coarser ones.
        assert_eq!(wins.last().map(|w| w.roi.size), Some(MIN_WINDOW / 2.0));
        // A 12-pixel face's box (about 1.2 face widths) anywhere in the region lies whole in a
        // window where it is at least 0.14 of the side.
        let b = 1.2 * MIN_POINTED_FACE;
        let mut y = area.y0 + b / 2.0;
        while y <= area.y1 - b / 2.0 {
            let mut x = area.x0 + b / 2.0;
            while x <= area.x1 - b / 2.0 {
                assert!(
                    wins.iter().any(|w| {
                        let r = &w.roi;
                        b >= 0.14 * r.size
                            && x - b / 2.0 >= r.cx - r.size / 2.0
                            && x + b / 2.0 <= r.cx + r.size / 2.0
                            && y - b / 2.0 >= r.cy - r.size / 2.0
                            && y + b / 2.0 <= r.cy + r.size / 2.0
                    }),
                    "box {b} at {x},{y}"
                );
                x += 3.0;
            }
            y += 3.0;
        }
        // The whole frame (no region) keeps its sweep; a region too large for the fine level
        // (a whole 1080p frame: 350 windows of 100 pixels) too.
        let whole = sweep(picture(640.0, 360.0), None);
        assert!(whole.iter().all(|w| w.roi.size >= MIN_WINDOW));
        let all: FrameRegion = "0,0,1,1".parse().unwrap();
        let big = sweep(Area::of_picture(1920.0, 1080.0, Some(&all)), None);
        assert_eq!(big.len(), sweep(picture(1920.0, 1080.0), None).len());
        // A region of 600x600 pixels still gets it (at most 64 windows).
        let square: FrameRegion = "0,0,0.3125,0.5556".parse().unwrap();
        let mid = sweep(Area::of_picture(1920.0, 1080.0, Some(&square)), None);
        let n = mid
            .iter()
            .filter(|w| w.level > 0 && w.roi.size < MIN_WINDOW)
            .count();
        assert!(n > 0 && n <= MAX_FINE_LEVEL_WINDOWS, "{n}");
    }

    #[test]
    fn a_region_confines_the_windows() {
        let region: FrameRegion = "0.5,0.25,0.5,0.5".parse().unwrap();
        let area = Area::of_picture(1920.0, 1080.0, Some(&region));
        assert_eq!(
            area,
            Area {
                pointed: true,
                x0: 960.0,
                y0: 270.0,
                x1: 1920.0,
                y1: 810.0
            }
        );
        for w in sweep(area, None) {
            // Windows smaller than the region lie inside it; larger ones are centred on it.
            let r = &w.roi;
            if r.size < 540.0 {
                assert!(r.cx - r.size / 2.0 >= 960.0 - 1e-3, "{w:?}");
                assert!(r.cy + r.size / 2.0 <= 810.0 + 1e-3, "{w:?}");
            } else {
                assert!(area.contains(r.cx, r.cy), "{w:?}");
                assert!(
                    r.cy == 540.0 && (r.size >= 960.0 || r.cx - r.size / 2.0 >= 960.0 - 1e-3),
                    "{w:?}"
                );
            }
        }
    }

    /// A picture with faces (boxes) at known places: a window finds a face when the face's box
    /// lies whole inside it and is at least a tenth of its side.
    struct Scene {
        faces: Vec<(f32, f32, f32)>,
        detect_runs: usize,
        check_runs: usize,
        /// What a detector run takes (slept).
        run_time: std::time::Duration,
    }

    impl Scene {
        /// A picture with no face, no run made yet, runs taking no time.
        fn empty() -> Self {
            Scene {
                faces: vec![],
                detect_runs: 0,
                check_runs: 0,
                run_time: std::time::Duration::ZERO,
            }
        }
    }

    fn face_lm(x: f32, y: f32, b: f32) -> FaceLandmarks {
        // A square of points of side b (its tracking crop is 1.5 b).
        let mut points: Vec<[f32; 3]> = (0..468)
            .map(|i| {
                let (u, v) = (
                    (i % 22) as f32 / 21.0 - 0.5,
                    (i / 22 % 22) as f32 / 21.0 - 0.5,
                );
                [x + u * b, y + v * b, 0.0]
            })
            .collect();
        // Level eyes: the crop is upright.
        let (r, l) = crate::face::landmarker::EYE_CORNERS;
        points[r] = [x - b / 4.0, y, 0.0];
        points[l] = [x + b / 4.0, y, 0.0];
        FaceLandmarks {
            points,
            presence: 1.0,
        }
    }

    impl FaceFinder for Scene {
        fn detect(&mut self, w: &SearchWindow) -> Result<Vec<Detection>, RuntimeError> {
            self.detect_runs += 1;
            std::thread::sleep(self.run_time);
            let r = &w.roi;
            Ok(self
                .faces
                .iter()
                .filter(|&&(x, y, b)| {
                    b >= MIN_BOX_FRACTION * r.size
                        && (x - r.cx).abs() + b / 2.0 <= r.size / 2.0
                        && (y - r.cy).abs() + b / 2.0 <= r.size / 2.0
                })
                .map(|&(x, y, b)| Detection {
                    cx: x,
                    cy: y,
                    w: b,
                    h: b,
                    keypoints: [
                        (x - b / 4.0, y),
                        (x + b / 4.0, y),
                        (x, y),
                        (x, y),
                        (x, y),
                        (x, y),
                    ],
                    score: 0.9,
                })
                .collect())
        }

        fn check(&mut self, d: &Detection) -> Result<Option<FaceLandmarks>, RuntimeError> {
            self.check_runs += 1;
            Ok(Some(face_lm(d.cx, d.cy, d.w)))
        }
    }

    fn run(
        scene: &mut Scene,
        area: Area,
        seen: Option<&FaceSpot>,
        budget: usize,
        rank: usize,
        frames: usize,
    ) -> Option<(usize, Candidate)> {
        let mut s = FaceSearch::new();
        for frame in 0..frames {
            let before = scene.detect_runs + scene.check_runs;
            let got = s
                .step(scene, area, seen, Budget::runs(budget), PickRule { rank })
                .unwrap();
            let spent = scene.detect_runs + scene.check_runs - before;
            assert!(
                budget == 0 || spent <= budget,
                "frame {frame}: {spent} runs"
            );
            if let Some(c) = got {
                return Some((frame, c));
            }
        }
        None
    }

    #[test]
    fn a_small_face_in_1080p_is_found_within_one_sweep_spent_at_the_budget_per_frame() {
        let mut scene = Scene {
            faces: vec![(1500.0, 300.0, 22.0)],
            ..Scene::empty()
        };
        let (frame, c) = run(&mut scene, picture(1920.0, 1080.0), None, 4, 0, 200).expect("found");
        assert!((c.spot.cx - 1500.0).abs() < 1.0, "{c:?}");
        assert!(frame <= 129 / 4 + 1, "found at frame {frame}");
    }

    #[test]
    fn the_largest_face_is_taken_before_a_smaller_one_nearer_the_centre() {
        let mut scene = Scene {
            faces: vec![(960.0, 540.0, 40.0), (300.0, 300.0, 90.0)],
            ..Scene::empty()
        };
        let (_, c) = run(&mut scene, picture(1920.0, 1080.0), None, 4, 0, 200).unwrap();
        assert!((c.spot.cx - 300.0).abs() < 1.0, "{c:?}");
        // Rank 1: the second largest, after a whole sweep.
        let (frame, c) = run(&mut scene, picture(1920.0, 1080.0), None, 4, 1, 200).unwrap();
        assert!((c.spot.cx - 960.0).abs() < 1.0, "{c:?}");
        assert!(
            frame >= 129 / 4 - 1,
            "rank 1 waits for the whole sweep: frame {frame}"
        );
        // Rank 2 of two faces: none.
        assert!(run(&mut scene, picture(1920.0, 1080.0), None, 4, 2, 100).is_none());
        // A region around the smaller face takes it.
        let region: FrameRegion = "0.4,0.4,0.2,0.2".parse().unwrap();
        let area = Area::of_picture(1920.0, 1080.0, Some(&region));
        let (_, c) = run(&mut scene, area, None, 4, 0, 200).unwrap();
        assert!((c.spot.cx - 960.0).abs() < 1.0, "{c:?}");
    }

    #[test]
    fn a_face_where_the_lost_face_was_is_taken_in_the_first_frame() {
        let mut scene = Scene {
            faces: vec![(960.0, 540.0, 200.0), (300.0, 800.0, 30.0)],
            ..Scene::empty()
        };
        let seen = FaceSpot {
            cx: 305.0,
            cy: 795.0,
            size: 45.0,
        };
        let (frame, c) = run(&mut scene, picture(1920.0, 1080.0), Some(&seen), 4, 0, 10).unwrap();
        assert_eq!(frame, 0);
        assert!((c.spot.cx - 300.0).abs() < 1.0, "{c:?}");
    }

    #[test]
    fn a_face_back_where_it_was_is_found_in_that_frame_whatever_the_sweep_does() {
        let seen = FaceSpot {
            cx: 500.0,
            cy: 300.0,
            size: 60.0,
        };
        let mut scene = Scene::empty();
        let mut s = FaceSearch::new();
        let area = picture(1920.0, 1080.0);
        let rule = PickRule { rank: 0 };
        // The face is away for 20 frames: the sweep moves on.
        for _ in 0..20 {
            assert!(s
                .step(&mut scene, area, Some(&seen), Budget::runs(4), rule)
                .unwrap()
                .is_none());
        }
        assert!(s.is_running());
        scene.faces.push((500.0, 300.0, 40.0));
        let c = s
            .step(&mut scene, area, Some(&seen), Budget::runs(4), rule)
            .unwrap();
        assert!(
            c.is_some_and(|c| (c.spot.cx - 500.0).abs() < 1.0),
            "found in the frame it is back"
        );
    }

    #[test]
    fn a_region_set_during_a_sweep_starts_a_sweep_of_it() {
        let mut scene = Scene {
            faces: vec![(300.0, 300.0, 25.0)],
            ..Scene::empty()
        };
        let mut s = FaceSearch::new();
        let rule = PickRule { rank: 0 };
        let whole = picture(1920.0, 1080.0);
        assert!(s
            .step(&mut scene, whole, None, Budget::runs(4), rule)
            .unwrap()
            .is_none());
        let region: FrameRegion = "0,0,0.25,0.5".parse().unwrap();
        let area = Area::of_picture(1920.0, 1080.0, Some(&region));
        let before = scene.detect_runs;
        let found = (0..20).find_map(|_| {
            s.step(&mut scene, area, None, Budget::runs(4), rule)
                .unwrap()
        });
        assert!(found.is_some(), "the face in the region is found");
        // A sweep of the region alone: far fewer windows than the rest of the frame's.
        assert!(
            scene.detect_runs - before <= sweep(area, None).len(),
            "{}",
            scene.detect_runs
        );
    }

    #[test]
    fn a_spent_time_limit_lets_one_run_start_per_frame_so_the_sweep_goes_on() {
        let mut scene = Scene::empty();
        let mut s = FaceSearch::new();
        let area = picture(1280.0, 720.0);
        let spent = Budget {
            runs: 4,
            until: Some(std::time::Instant::now()),
        };
        for frame in 1..=3 {
            let found = s.step(&mut scene, area, None, spent, PickRule { rank: 0 });
            assert!(found.unwrap().is_none());
            assert_eq!(scene.detect_runs, frame, "one run in frame {frame}");
        }
        // Time left: the run budget bounds it again.
        let later = Budget {
            runs: 4,
            until: Some(std::time::Instant::now() + std::time::Duration::from_secs(60)),
        };
        s.step(&mut scene, area, None, later, PickRule { rank: 0 })
            .unwrap();
        assert_eq!(scene.detect_runs, 7);
    }

    #[test]
    fn a_run_expected_to_end_after_the_time_limit_does_not_start() {
        // Runs of 20 ms and 50 ms of time: two runs (the second ends at 40 ms), not a third
        // that would start before 50 ms and end at 60 ms, 10 ms into the next frame's time.
        let run_time = std::time::Duration::from_millis(20);
        let mut scene = Scene {
            run_time,
            ..Scene::empty()
        };
        let mut s = FaceSearch::new();
        let area = picture(1280.0, 720.0);
        let budget = Budget {
            runs: 10,
            until: Some(std::time::Instant::now() + run_time * 5 / 2),
        };
        s.step(&mut scene, area, None, budget, PickRule { rank: 0 })
            .unwrap();
        assert!(
            (1..=2).contains(&scene.detect_runs),
            "{} runs",
            scene.detect_runs
        );
    }

    #[test]
    fn an_unbounded_budget_sweeps_in_one_frame_and_an_empty_picture_restarts() {
        let mut scene = Scene::empty();
        let mut s = FaceSearch::new();
        let area = picture(1280.0, 720.0);
        assert!(s
            .step(
                &mut scene,
                area,
                None,
                Budget::runs(0),
                PickRule { rank: 0 }
            )
            .unwrap()
            .is_none());
        assert_eq!(scene.detect_runs, sweep(area, None).len());
        assert_eq!(s.sweeps, 1);
        assert!(!s.is_running());
        s.step(
            &mut scene,
            area,
            None,
            Budget::runs(3),
            PickRule { rank: 0 },
        )
        .unwrap();
        assert!(s.is_running(), "a new sweep started");
    }
}
