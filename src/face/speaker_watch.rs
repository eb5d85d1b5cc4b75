//! The faces of the frame other than the followed one, watched for speech while a face is
//! followed (`actor-choice=speaking`), within a small bound of model runs per frame.
//!
//! **Finding them.** One detector window of a sweep over the area (the same windows as a face
//! search, [`super::search::sweep`]: the whole area first, then finer levels) runs every
//! [`DISCOVERY_SECONDS`]; a face it finds that overlaps neither the followed face nor a watched
//! one ([`overlap`]) is watched (at most [`MAX_WATCHED`]).
//!
//! **Watching them.** Each watched face's landmarks are refreshed on its crop of the last check
//! every [`REFRESH_SECONDS`] (round robin, the face waiting longest first), and its mouth opening
//! joins its [`MouthActivity`]; the followed face's opening joins its own every frame (from the
//! landmarks the tracker found anyway). A face the landmarker no longer finds on its crop
//! ([`MAX_MISSES`] checks in a row) or that moved onto the followed face is dropped: checks at
//! 10 Hz follow a seated or standing person, and a face that ran away is found again by the
//! detector windows.
//!
//! **Cost.** At most [`RUNS_PER_FRAME`] model runs per frame (fewer with a smaller
//! `search-budget`), none that is expected (by what runs have been taking) to end after the
//! frame's time limit in a live stream; on average one landmark run per watched face every
//! [`REFRESH_SECONDS`] and one detector run every [`DISCOVERY_SECONDS`] (2 ms and 2.3 ms on 2
//! cores). A switch costs one landmark run more.
//!
//! **Switching.** [`SpeakerChoice`] says when a watched face is taken; the face taken and the
//! face left swap places (each keeps its activity history), so that turns can go back and forth.

use std::time::{Duration, Instant};

use super::detector::Detection;
use super::landmarker::FaceLandmarks;
use super::opening_measures::mouth_opening_of;
use super::roi::Roi;
use super::search::{sweep, Area, Budget, SearchWindow};
use super::speaker::{MouthActivity, SpeakerChoice};
use super::spot::{is_same_face, overlap, FaceSpot, MIN_PRESENCE, REFOUND_SCALE, REFOUND_SHIFT};
use crate::runtime::RuntimeError;

/// Most faces watched besides the followed one.
pub const MAX_WATCHED: usize = 6;
/// Time between two landmark checks of a watched face, seconds (10 checks a second: enough to
/// see a mouth open and close three to six times a second in the spread of its opening).
pub const REFRESH_SECONDS: f64 = 0.1;
/// Time between two detector windows looking for faces to watch, seconds.
pub const DISCOVERY_SECONDS: f64 = 0.2;
/// Most model runs the watch makes in one frame (a switch adds one).
pub const RUNS_PER_FRAME: usize = 2;
/// A watched face is dropped after this many checks in a row without it.
pub const MAX_MISSES: u32 = 3;

/// What the watch runs on a frame.
pub trait FaceLooker {
    /// Detections in `window` (weighted NMS applied), square-pixel picture coordinates.
    fn detect(&mut self, window: &SearchWindow) -> Result<Vec<Detection>, RuntimeError>;
    /// The landmarks of the face in the landmarker crop `roi`, into `out`.
    fn landmarks_into(&mut self, roi: &Roi, out: &mut FaceLandmarks) -> Result<(), RuntimeError>;
}

/// A face watched for speech.
#[derive(Debug, Clone)]
struct Watched {
    /// Its name for [`SpeakerChoice`].
    id: u64,
    /// The landmarker crop of its next check.
    roi: Roi,
    /// Where it was at its last check (or where the detector saw it).
    spot: FaceSpot,
    /// Its mouth openings.
    activity: MouthActivity,
    /// Stream time of its last check; `None` before its first (a new detection).
    checked: Option<f64>,
    /// Checks in a row that did not find it.
    misses: u32,
}

/// The other faces of a video and their mouth activity, and the choice by speech (see the module
/// docs).
#[derive(Debug)]
pub struct SpeakerWatch {
    /// The followed face's mouth openings.
    followed: MouthActivity,
    faces: Vec<Watched>,
    choice: SpeakerChoice,
    /// The area the detector windows cover, and the windows.
    area: Option<Area>,
    windows: Vec<SearchWindow>,
    next_window: usize,
    /// Stream time of the last detector window.
    last_discovery: Option<f64>,
    next_id: u64,
    /// The landmarker's output (reused).
    scratch: FaceLandmarks,
    /// A running mean of what a model run has been taking.
    run_cost: Option<Duration>,
    /// Model runs made so far (for tests and benchmarks).
    pub runs: u64,
    /// Switches made so far.
    pub switches: u64,
}

/// Weight of the newest run in the running mean of a run's cost.
const RUN_COST_WEIGHT: f64 = 0.25;

impl Default for SpeakerWatch {
    fn default() -> Self {
        Self::new()
    }
}

impl SpeakerWatch {
    /// Nothing watched.
    pub fn new() -> Self {
        SpeakerWatch {
            followed: MouthActivity::new(),
            faces: Vec::with_capacity(MAX_WATCHED),
            choice: SpeakerChoice::new(),
            area: None,
            windows: Vec::new(),
            next_window: 0,
            last_discovery: None,
            next_id: 0,
            scratch: FaceLandmarks::with_capacity(),
            run_cost: None,
            runs: 0,
            switches: 0,
        }
    }

    /// Forgets everything (a seek, or the choice by speech turned off).
    pub fn reset(&mut self) {
        self.forget_faces();
        self.choice.reset();
    }

    /// Number of faces watched now.
    pub fn watched(&self) -> usize {
        self.faces.len()
    }

    /// Forgets the faces and their activity (a cut: another shot shows other faces); the last
    /// switch still counts.
    pub fn forget_faces(&mut self) {
        self.followed.clear();
        self.faces.clear();
        self.choice.forget_leader();
        self.area = None;
        self.windows.clear();
        self.next_window = 0;
        self.last_discovery = None;
    }

    /// The tracker took the face at `spot` by a search (at the start, after a loss or a cut): a
    /// watched face there becomes the followed one with its activity; another face starts with
    /// none.
    pub fn followed_found(&mut self, spot: &FaceSpot) {
        self.choice.forget_leader();
        match self
            .faces
            .iter()
            .position(|w| is_same_face(&w.spot, spot, REFOUND_SHIFT, REFOUND_SCALE))
        {
            Some(i) => self.followed = self.faces.swap_remove(i).activity,
            None => self.followed.clear(),
        }
    }

    /// One frame of watching at stream time `t` seconds, with `followed` the followed face's
    /// landmarks on this frame, faces looked for in `area`, at most `budget` runs (capped at
    /// [`RUNS_PER_FRAME`]; see the module docs). Returns this frame's landmarks of the face to
    /// follow from now on when the choice switches, else `None`.
    pub fn step(
        &mut self,
        looker: &mut dyn FaceLooker,
        t: f64,
        followed: &FaceLandmarks,
        area: Area,
        budget: Budget,
    ) -> Result<Option<FaceLandmarks>, RuntimeError> {
        let here = FaceSpot::of(followed);
        self.followed.push(t, mouth_opening_of(&followed.points));
        if self.area != Some(area) {
            // Another region or frame size: other windows, and only faces inside it.
            self.windows = sweep(area, None);
            self.next_window = 0;
            self.area = Some(area);
            self.faces.retain(|w| area.contains(w.spot.cx, w.spot.cy));
        }
        self.faces.retain(|w| !overlap(&w.spot, &here));
        let runs = match budget.runs {
            0 => RUNS_PER_FRAME,
            n => n.min(RUNS_PER_FRAME),
        };
        let mut spent = 0;
        while spent < runs
            && budget
                .until
                .is_none_or(|u| Instant::now() + self.run_cost.unwrap_or_default() <= u)
        {
            let due = self
                .faces
                .iter()
                .enumerate()
                .filter(|(_, w)| {
                    w.checked
                        .is_none_or(|c| t - c >= REFRESH_SECONDS - 1e-6 || t < c)
                })
                .min_by(|a, b| {
                    let at = |w: &Watched| w.checked.unwrap_or(f64::NEG_INFINITY);
                    at(a.1).total_cmp(&at(b.1))
                })
                .map(|(i, _)| i);
            let discover = self.faces.len() < MAX_WATCHED
                && self
                    .last_discovery
                    .is_none_or(|d| t - d >= DISCOVERY_SECONDS - 1e-6 || t < d);
            let started = Instant::now();
            if let Some(i) = due {
                self.check(looker, i, t, &here, area)?;
            } else if discover {
                self.discover(looker, t, &here, area)?;
            } else {
                break;
            }
            spent += 1;
            self.runs += 1;
            let took = started.elapsed();
            self.run_cost = Some(match self.run_cost {
                Some(m) => m.mul_f64(1.0 - RUN_COST_WEIGHT) + took.mul_f64(RUN_COST_WEIGHT),
                None => took,
            });
        }
        let others = self.faces.iter().map(|w| (w.id, w.activity.activity(t)));
        let Some(id) = self.choice.decide(t, self.followed.activity(t), others) else {
            return Ok(None);
        };
        let Some(i) = self.faces.iter().position(|w| w.id == id) else {
            return Ok(None);
        };
        self.runs += 1;
        looker.landmarks_into(&self.faces[i].roi, &mut self.scratch)?;
        let spot = FaceSpot::of(&self.scratch);
        if self.scratch.presence < MIN_PRESENCE || !area.contains(spot.cx, spot.cy) {
            self.faces[i].misses += 1;
            return Ok(None);
        }
        // The face left is watched in the place of the face taken, with its own history.
        let id = self.next_id;
        self.next_id += 1;
        let w = &mut self.faces[i];
        std::mem::swap(&mut self.followed, &mut w.activity);
        *w = Watched {
            id,
            roi: followed.tracking_roi(),
            spot: here,
            activity: std::mem::take(&mut w.activity),
            checked: Some(t),
            misses: 0,
        };
        self.switches += 1;
        Ok(Some(self.scratch.clone()))
    }

    /// Checks watched face `i`: its landmarks on its crop, its mouth opening.
    fn check(
        &mut self,
        looker: &mut dyn FaceLooker,
        i: usize,
        t: f64,
        followed: &FaceSpot,
        area: Area,
    ) -> Result<(), RuntimeError> {
        looker.landmarks_into(&self.faces[i].roi, &mut self.scratch)?;
        let lm = &self.scratch;
        let spot = FaceSpot::of(lm);
        let elsewhere = |j: usize, w: &Watched| j == i || !overlap(&w.spot, &spot);
        let found = lm.presence >= MIN_PRESENCE
            && area.contains(spot.cx, spot.cy)
            && !overlap(followed, &spot)
            && self.faces.iter().enumerate().all(|(j, w)| elsewhere(j, w));
        let w = &mut self.faces[i];
        let first = w.checked.is_none();
        w.checked = Some(t);
        if found {
            w.activity.push(t, mouth_opening_of(&lm.points));
            w.roi = lm.tracking_roi();
            w.spot = spot;
            w.misses = 0;
        } else {
            w.misses += 1;
            // A detection the landmarker refuses at once is no face (a detector's false alarm).
            if first || w.misses >= MAX_MISSES {
                self.faces.swap_remove(i);
            }
        }
        Ok(())
    }

    /// Runs the next detector window and watches the new faces it finds.
    fn discover(
        &mut self,
        looker: &mut dyn FaceLooker,
        t: f64,
        followed: &FaceSpot,
        area: Area,
    ) -> Result<(), RuntimeError> {
        self.last_discovery = Some(t);
        if self.next_window >= self.windows.len() {
            self.next_window = 0;
        }
        let Some(window) = self.windows.get(self.next_window).copied() else {
            return Ok(());
        };
        self.next_window += 1;
        for d in looker.detect(&window)? {
            let spot = FaceSpot::of_detection(&d);
            let known =
                overlap(followed, &spot) || self.faces.iter().any(|w| overlap(&w.spot, &spot));
            if known || !area.contains(spot.cx, spot.cy) || self.faces.len() >= MAX_WATCHED {
                continue;
            }
            self.faces.push(Watched {
                id: self.next_id,
                roi: d.landmark_roi(),
                spot,
                activity: MouthActivity::new(),
                checked: None,
                misses: 0,
            });
            self.next_id += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Range;

    use crate::face::detector::Detection;
    use crate::face::landmarker::EYE_CORNERS;
    use crate::face::opening_measures::MOUTH_GAP;

    /// A face of the test scene: centre, box side (pixels) and mouth opening over time.
    struct SceneFace {
        x: f32,
        y: f32,
        b: f32,
        opening: fn(f64) -> f32,
    }

    /// A picture with faces at known places; a window finds a face whose box lies in it and is at
    /// least a tenth of its side; the landmarker finds a face whose centre lies in its crop.
    struct Scene {
        faces: Vec<SceneFace>,
        t: f64,
        detect_runs: usize,
        landmark_runs: usize,
    }

    fn face_lm(f: &SceneFace, t: f64, out: &mut FaceLandmarks) {
        let (x, y, b) = (f.x, f.y, f.b);
        out.points.clear();
        out.points.extend((0..468).map(|i| {
            let (u, v) = (
                (i % 22) as f32 / 21.0 - 0.5,
                (i / 22 % 22) as f32 / 21.0 - 0.5,
            );
            [x + u * b, y + v * b, 0.0]
        }));
        let (r, l) = EYE_CORNERS;
        out.points[r] = [x - b / 4.0, y - b / 6.0, 0.0];
        out.points[l] = [x + b / 4.0, y - b / 6.0, 0.0];
        // Mouth opening: gap over the eye-corner distance (b / 2).
        let gap = (f.opening)(t) * b / 2.0;
        out.points[MOUTH_GAP.0] = [x, y + b / 4.0, 0.0];
        out.points[MOUTH_GAP.1] = [x, y + b / 4.0 + gap, 0.0];
        out.presence = 1.0;
    }

    impl FaceLooker for Scene {
        fn detect(&mut self, w: &SearchWindow) -> Result<Vec<Detection>, RuntimeError> {
            self.detect_runs += 1;
            let r = &w.roi;
            Ok(self
                .faces
                .iter()
                .filter(|f| {
                    f.b >= 0.1 * r.size
                        && (f.x - r.cx).abs() + f.b / 2.0 <= r.size / 2.0
                        && (f.y - r.cy).abs() + f.b / 2.0 <= r.size / 2.0
                })
                .map(|f| Detection {
                    cx: f.x,
                    cy: f.y,
                    w: f.b,
                    h: f.b,
                    keypoints: [
                        (f.x - f.b / 4.0, f.y),
                        (f.x + f.b / 4.0, f.y),
                        (f.x, f.y),
                        (f.x, f.y),
                        (f.x, f.y),
                        (f.x, f.y),
                    ],
                    score: 0.9,
                })
                .collect())
        }

        fn landmarks_into(
            &mut self,
            roi: &Roi,
            out: &mut FaceLandmarks,
        ) -> Result<(), RuntimeError> {
            self.landmark_runs += 1;
            match self.faces.iter().find(|f| {
                (f.x - roi.cx).abs() < roi.size / 2.0 && (f.y - roi.cy).abs() < roi.size / 2.0
            }) {
                Some(f) => face_lm(f, self.t, out),
                None => {
                    out.points.clear();
                    out.points.resize(468, [roi.cx, roi.cy, 0.0]);
                    out.presence = 0.0;
                }
            }
            Ok(())
        }
    }

    fn still(_: f64) -> f32 {
        0.02
    }

    fn talking(t: f64) -> f32 {
        (0.15 + 0.15 * (t * 4.3 * std::f64::consts::TAU).sin()) as f32
    }

    /// Runs `frames` frames at 30 fps with the followed face `followed` (an index of the
    /// scene's faces) and returns the index followed per frame and the most runs of one frame.
    fn run(scene: &mut Scene, mut followed: usize, frames: usize) -> (Vec<usize>, usize) {
        let mut watch = SpeakerWatch::new();
        let area = Area::of_picture(640.0, 360.0, None);
        let mut out = Vec::new();
        let mut most = 0;
        let mut lm = FaceLandmarks::with_capacity();
        for f in 0..frames {
            let t = f as f64 / 30.0;
            scene.t = t;
            face_lm(&scene.faces[followed], t, &mut lm);
            let before = scene.detect_runs + scene.landmark_runs;
            let taken = watch.step(scene, t, &lm, area, Budget::runs(4)).unwrap();
            most = most.max(scene.detect_runs + scene.landmark_runs - before);
            if let Some(t) = taken {
                let spot = FaceSpot::of(&t);
                followed = scene
                    .faces
                    .iter()
                    .position(|f| (f.x - spot.cx).abs() < 2.0)
                    .expect("a scene face");
            }
            out.push(followed);
        }
        (out, most)
    }

    /// A larger face (left, 200 px) and a smaller one (right, 90 px) with these mouths.
    fn two_faces(larger: fn(f64) -> f32, smaller: fn(f64) -> f32) -> Scene {
        Scene {
            faces: vec![
                SceneFace {
                    x: 180.0,
                    y: 180.0,
                    b: 200.0,
                    opening: larger,
                },
                SceneFace {
                    x: 500.0,
                    y: 200.0,
                    b: 90.0,
                    opening: smaller,
                },
            ],
            t: 0.0,
            detect_runs: 0,
            landmark_runs: 0,
        }
    }

    #[test]
    fn the_smaller_talking_face_is_taken_from_the_larger_silent_one() {
        let mut scene = two_faces(still, talking);
        let (followed, most) = run(&mut scene, 0, 90);
        let first = followed.iter().position(|&f| f == 1).expect("switched");
        assert!(first <= 60, "switched at frame {first}");
        assert!(followed[first..].iter().all(|&f| f == 1));
        // Bounded cost: at most RUNS_PER_FRAME runs a frame, plus one at the switch; about one
        // landmark run per 0.1 s and one detector run per 0.2 s.
        assert!(most <= RUNS_PER_FRAME + 1, "{most} runs in a frame");
        assert!(
            scene.landmark_runs <= 35 && scene.detect_runs <= 16,
            "{} landmark runs, {} detector runs in 3 s",
            scene.landmark_runs,
            scene.detect_runs
        );
    }

    #[test]
    fn the_followed_talking_face_stays_and_a_silent_one_is_only_watched() {
        let mut scene = two_faces(talking, still);
        let (followed, _) = run(&mut scene, 0, 150);
        assert!(followed.iter().all(|&f| f == 0));
        assert!(scene.landmark_runs > 30, "the other face is checked");
    }

    #[test]
    fn a_face_that_leaves_is_dropped_and_nothing_runs_past_the_budget() {
        let mut scene = two_faces(still, still);
        let mut watch = SpeakerWatch::new();
        let area = Area::of_picture(640.0, 360.0, None);
        let mut lm = FaceLandmarks::with_capacity();
        // The first face followed, one run a frame, over `frames` at 30 frames a second.
        let mut follow_first =
            |watch: &mut SpeakerWatch, scene: &mut Scene, frames: Range<usize>| {
                for f in frames {
                    let t = f as f64 / 30.0;
                    scene.t = t;
                    face_lm(&scene.faces[0], t, &mut lm);
                    watch.step(scene, t, &lm, area, Budget::runs(1)).unwrap();
                }
            };
        follow_first(&mut watch, &mut scene, 0..60);
        assert_eq!(watch.watched(), 1, "the other face is watched");
        scene.faces.pop();
        follow_first(&mut watch, &mut scene, 60..90);
        assert_eq!(watch.watched(), 0, "gone");
        // A spent time limit: no run at all.
        let runs = watch.runs;
        let spent = Budget {
            runs: 2,
            until: Some(Instant::now()),
        };
        scene.t = 3.0;
        watch.step(&mut scene, 3.0, &lm, area, spent).unwrap();
        assert_eq!(watch.runs, runs);
    }
}
