//! Frame-to-frame face tracking: detection only when tracking is lost, otherwise the landmarker
//! runs on a crop predicted from the previous frame's landmarks (MediaPipe's FaceMesh scheme).
//!
//! **Finding a face.** With no face tracked (the first frames, after a cut or a loss) a
//! [`FaceSearch`] sweeps the frame (or the `actor-region`, [`TrackOptions::region`]) with the
//! short- and full-range detectors, coarse to fine, within a budget of model runs per frame
//! ([`TrackOptions::search_budget`]): faces from about 32 pixels wide are found in any frame size
//! (see [`super::search`] for the windows, their cost and the bound).
//!
//! **Which face.** A face where the followed face was last seen is taken first (see
//! [`is_same_face`]); else the largest (ties: leftmost first, the order of `avatar-face`), or the
//! face of rank [`TrackOptions::rank`] by size. While a face is found on its predicted crop it
//! is followed, whatever other faces the frame shows, as long as its centre stays inside the
//! region; with [`ActorChoice::Speaking`] ([`TrackOptions::choice`]) the other faces are watched
//! meanwhile and the one that speaks is taken (see [`super::speaker`] and
//! [`super::speaker_watch`]), which starts a new shot like a cut.
//!
//! **Cuts.** A picture that changes at once ([`CUT_PICTURE_CHANGE`]) with the face found at another
//! place or size ([`CUT_SHIFT`], [`CUT_SCALE`]), a face that jumps farther or grows/shrinks more between two consecutive frames than a
//! head can move ([`JUMP_SHIFT`], [`JUMP_SCALE`]), or that is found again after a loss at another
//! place or size ([`REFOUND_SHIFT`], [`REFOUND_SCALE`]), starts a new shot: the detector runs
//! again on the whole frame and [`FaceTracker::new_shot`] says so, so that the motion transfer can
//! take a new reference frame (relative motion against another shot's face would shift and scale
//! the avatar as far as its limits allow).
//!
//! **Borders.** A face with more than [`MAX_OUTSIDE`] of its landmarks outside the picture is
//! still tracked but reported as no face: the avatar holds its last pose instead of following the
//! landmarker's guess of the missing part.

use image::RgbImage;

use crate::video::{RgbSource, ROW_CHUNK};

use super::detector::{Detection, DetectorModel, FaceDetector};
use super::eye_refiner::EyeRefiner;
use super::frame_region::FrameRegion;
use super::landmarker::{FaceLandmarks, Landmarker};
use super::roi::{Roi, RoiDeadBand};
use super::search::{Area, Budget, FaceFinder, FaceSearch, PickRule, SearchWindow};
use super::speaker::ActorChoice;
use super::speaker_watch::{FaceLooker, SpeakerWatch};
use super::spot::{
    is_same_face, larger_first, FaceSpot, JUMP_SCALE, JUMP_SHIFT, MIN_PRESENCE, REFOUND_SCALE,
    REFOUND_SHIFT,
};
use crate::runtime::RuntimeError;

/// A cut: consecutive pictures differ by more than this (mean absolute difference, 0..255, of
/// their [`Thumbnail`]s) ...
pub const CUT_PICTURE_CHANGE: f32 = 30.0;
/// ... and the face found again on the new picture is shifted by more than this share of its
/// crop size (about a quarter of an eye-corner distance) or scaled by more than
/// [`CUT_SCALE`] from the previous frame's. A cut to a shot with the face at the same place and
/// size needs no new reference (relative motion stays small); a flash or a fast pan over a
/// still face is no cut.
pub const CUT_SHIFT: f32 = 0.08;
/// See [`CUT_SHIFT`].
pub const CUT_SCALE: f32 = 1.1;

/// A face with more than this share of its landmarks outside the picture counts as not found
/// (it is still tracked): near the border the landmarker guesses the missing part, and its guess
/// swells or squeezes the face (measured on talk_wink slid out of the frame: 12 % larger in one
/// frame when half the face was out).
pub const MAX_OUTSIDE: f32 = 0.25;

/// How far the landmarks' tracking crop may drift before the crop follows (see
/// [`Roi::follow`]): 2 % of its side, 2 % of its size, 1 degree.
///
/// Why: the landmarker's output depends a little on where its crop lies, and a crop placed afresh
/// from every frame's landmarks fed that noise back, most on paintings. Measured with the quality
/// report (`scripts/report_matrix.sh`, which tracks the output with this same tracker): the
/// output jitter of grin_512 + mona_lisa_720x1280 was 1.61x the actor's without the band and is
/// 0.95x with it. Half this band (1 %) and twice it (4 %) gave about the same.
pub const CROP_DEAD_BAND: RoiDeadBand = RoiDeadBand {
    shift: 0.02,
    scale: 0.02,
    angle: std::f32::consts::PI / 180.0,
};

/// Weight of the newest frame-to-frame shift in the tracked face's smoothed velocity (an
/// exponential moving average over about two frames).
pub const VELOCITY_SMOOTHING: f32 = 0.5;

/// Share of `lm`'s landmarks outside a picture of `w`x`h` square pixels.
pub fn outside_share(lm: &FaceLandmarks, w: f32, h: f32) -> f32 {
    let out = lm
        .points
        .iter()
        .filter(|p| p[0] < 0.0 || p[1] < 0.0 || p[0] > w || p[1] > h)
        .count();
    out as f32 / lm.points.len().max(1) as f32
}

/// Side of a [`Thumbnail`] in blocks.
const THUMB: usize = 16;
/// Samples per block side of a [`Thumbnail`] (at most: every pixel of a small picture). 8 until
/// 2026-12-07; 4 reads a quarter of the pixels (0.27 -> 0.07 ms a 480x480 frame in
/// `cargo bench --bench stages`), and a cut changes every block mean by tens of levels
/// ([`CUT_PICTURE_CHANGE`] is 30), far more than 16 samples instead of 64 add.
const THUMB_SAMPLES: usize = 4;

/// A 16x16 grid of mean luma values of a picture: what a cut changes at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Thumbnail([f32; THUMB * THUMB]);

impl Thumbnail {
    /// The thumbnail of `img` (about [`THUMB_SAMPLES`] x [`THUMB_SAMPLES`] samples per block).
    ///
    /// The samples are the pixels themselves (pixel centres, whole steps), read a row at a time
    /// through [`RgbSource::crop_row`] (the fixed-point kernels of the frame views): with 8x8
    /// samples a block, 0.27 ms for a 480x480 RGB frame where per-sample bilinear reads took
    /// 0.38 ms (`cargo bench --bench stages`, 2026-12-07).
    pub fn of(img: &(impl RgbSource + ?Sized)) -> Self {
        let (w, h) = img.dimensions();
        let (w, h) = (w as usize, h as usize);
        let mut sum = [0.0f32; THUMB * THUMB];
        let mut n = [0u32; THUMB * THUMB];
        let sx = (w / (THUMB * THUMB_SAMPLES)).max(1);
        let sy = (h / (THUMB * THUMB_SAMPLES)).max(1);
        let mut row = [0.0f32; 3 * ROW_CHUNK];
        // Every `sx`-th pixel of every `sy`-th row, ROW_CHUNK samples per kernel call.
        for y in (0..h).step_by(sy) {
            let by = y * THUMB / h;
            let samples = w.div_ceil(sx);
            for k0 in (0..samples).step_by(ROW_CHUNK) {
                let count = (samples - k0).min(ROW_CHUNK);
                let start = ((k0 * sx) as f32 + 0.5, y as f32 + 0.5);
                let out = &mut row[..3 * count];
                img.crop_row(start, (sx as f32, 0.0), (0.0, 1.0), out);
                for (j, px) in out.chunks_exact(3).enumerate() {
                    let luma = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
                    let b = by * THUMB + (k0 + j) * sx * THUMB / w;
                    sum[b] += luma;
                    n[b] += 1;
                }
            }
        }
        for (s, &k) in sum.iter_mut().zip(&n) {
            *s /= k.max(1) as f32;
        }
        Thumbnail(sum)
    }

    /// Mean absolute difference of the two thumbnails, 0..255.
    pub fn change(&self, other: &Thumbnail) -> f32 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| (a - b).abs())
            .sum::<f32>()
            / self.0.len() as f32
    }
}

/// How the tracker chooses and finds the face, read once per frame from the element's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackOptions {
    /// Only faces whose centre lies in this part of the frame are found and followed; `None`:
    /// the whole frame.
    pub region: Option<FrameRegion>,
    /// Which face a search takes: 0 the largest, n the (n+1)-th largest (see
    /// [`super::search`]).
    pub rank: usize,
    /// Model runs per frame a search may spend; 0: no bound (a whole sweep in one frame).
    pub search_budget: usize,
    /// Time per frame the face finding may spend, counted from the start of the frame's
    /// tracking, on top of the search budget: no search run starts that is expected (by what
    /// runs have been taking) to end after it, except the frame's first, so that a sweep goes
    /// on; `None`: no time limit. The element sets it from the processing deadline of a live
    /// stream.
    pub search_time: Option<std::time::Duration>,
    /// How the followed face is chosen among several: by size, or by who speaks (the other
    /// faces are then watched, see [`super::speaker_watch`]).
    pub choice: ActorChoice,
}

impl Default for TrackOptions {
    fn default() -> Self {
        TrackOptions {
            region: None,
            rank: 0,
            search_budget: super::search::DEFAULT_BUDGET,
            search_time: None,
            choice: ActorChoice::Largest,
        }
    }
}

/// Why a search started: which distances a face found by it may lie from where the followed
/// face was, and still be the same shot.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SearchCause {
    /// The picture changed at once.
    Cut,
    /// The face jumped farther than a head moves in a frame.
    Jump,
    /// The face was lost (or none was tracked yet).
    Lost,
}

/// The models a search runs on one frame.
struct FrameFinder<'a, S: RgbSource + ?Sized> {
    short_range: &'a mut FaceDetector,
    full_range: &'a mut FaceDetector,
    landmarker: &'a mut Landmarker,
    img: &'a S,
    par: f32,
}

impl<S: RgbSource + ?Sized> FaceLooker for FrameFinder<'_, S> {
    fn detect(&mut self, window: &SearchWindow) -> Result<Vec<Detection>, RuntimeError> {
        FaceFinder::detect(self, window)
    }

    fn landmarks_into(&mut self, roi: &Roi, out: &mut FaceLandmarks) -> Result<(), RuntimeError> {
        self.landmarker.landmarks_into(self.img, self.par, roi, out)
    }
}

impl<S: RgbSource + ?Sized> FaceFinder for FrameFinder<'_, S> {
    fn detect(&mut self, window: &SearchWindow) -> Result<Vec<Detection>, RuntimeError> {
        let detector = match window.model {
            DetectorModel::ShortRange => &mut *self.short_range,
            DetectorModel::FullRange => &mut *self.full_range,
        };
        detector.detect(self.img, self.par, Some(window.roi))
    }

    fn check(&mut self, detection: &Detection) -> Result<Option<FaceLandmarks>, RuntimeError> {
        let lm = self
            .landmarker
            .landmarks(self.img, self.par, &detection.landmark_roi())?;
        Ok((lm.presence >= MIN_PRESENCE).then_some(lm))
    }
}

/// Tracks one face through a video.
pub struct FaceTracker {
    detector: FaceDetector,
    full_range: FaceDetector,
    landmarker: Landmarker,
    eyes: Option<EyeRefiner>,
    /// The tracked face's landmarks in the last frame, before eye refinement: its crop in the
    /// next frame.
    previous: Option<FaceLandmarks>,
    /// The crop `previous` was found on (the landmarker's crop follows its landmarks with a dead
    /// band, [`CROP_DEAD_BAND`]); `None` with `previous`.
    crop: Option<Roi>,
    /// The tracked face's smoothed shift per frame (square pixels, x and y; see
    /// [`VELOCITY_SMOOTHING`]): where the next frame's crop is predicted.
    velocity: (f32, f32),
    /// The landmarker's output for this frame (a buffer reused frame to frame).
    scratch: FaceLandmarks,
    /// What [`FaceTracker::track`] returns: this frame's landmarks with refined eyes.
    current: FaceLandmarks,
    /// Where the followed face was last found (kept while it is lost).
    last_seen: Option<FaceSpot>,
    /// Whether a search looks where the face was last seen first: not after [`FaceTracker::reset`]
    /// (a seek: nothing from before it may change what is found after it).
    search_last_seen: bool,
    /// Whether the last [`FaceTracker::track`] started a new shot.
    new_shot: bool,
    /// A new shot started and is not reported yet (its face was mostly outside the picture).
    pending_shot: bool,
    /// The previous picture's thumbnail.
    thumb: Option<Thumbnail>,
    /// The search for a face while none is tracked.
    search: FaceSearch,
    /// Why the running search started.
    search_cause: SearchCause,
    /// This frame's options.
    options: TrackOptions,
    /// The other faces watched for speech (with [`ActorChoice::Speaking`]).
    speakers: SpeakerWatch,
    /// This frame's stream time, seconds.
    time: f64,
    /// Number of frames a search ran in so far (tracking quality indicator, for benchmarks and
    /// tests).
    pub searching_frames: u64,
    /// Number of new shots started so far (cuts seen; not the first face).
    pub shots_started: u64,
}

impl FaceTracker {
    /// A tracker using the given models (`detector` the short-range one, `full_range` the
    /// full-range one, see [`DetectorModel`]); with `eyes`, eyelids are refined by the iris model.
    pub fn new(
        detector: FaceDetector,
        full_range: FaceDetector,
        landmarker: Landmarker,
        eyes: Option<EyeRefiner>,
    ) -> Self {
        debug_assert_eq!(detector.model(), DetectorModel::ShortRange);
        debug_assert_eq!(full_range.model(), DetectorModel::FullRange);
        FaceTracker {
            detector,
            full_range,
            landmarker,
            eyes,
            previous: None,
            crop: None,
            velocity: (0.0, 0.0),
            scratch: FaceLandmarks::with_capacity(),
            current: FaceLandmarks::with_capacity(),
            last_seen: None,
            search_last_seen: false,
            new_shot: false,
            pending_shot: false,
            thumb: None,
            search: FaceSearch::new(),
            search_cause: SearchCause::Lost,
            options: TrackOptions::default(),
            speakers: SpeakerWatch::new(),
            time: 0.0,
            searching_frames: 0,
            shots_started: 0,
        }
    }

    /// Sets how the following frames choose and find the face (the element sets them once per
    /// frame).
    pub fn set_options(&mut self, options: TrackOptions) {
        self.options = options;
    }

    /// Model runs the searches made so far (detector runs and landmark checks).
    pub fn search_runs(&self) -> u64 {
        self.search.runs
    }

    /// Model runs the watch of the other faces made so far (with [`ActorChoice::Speaking`]),
    /// and the switches to another face it made.
    pub fn speaker_counts(&self) -> (u64, u64) {
        (self.speakers.runs, self.speakers.switches)
    }

    /// Makes the tracked face's landmarks, refined by the eye model, the frame's result
    /// (`current`).
    fn finish(&mut self, img: &(impl RgbSource + ?Sized), par: f32) -> Result<(), RuntimeError> {
        let lm = self.previous.as_ref().expect("a face to finish");
        self.current.points.clear();
        self.current.points.extend_from_slice(&lm.points);
        self.current.presence = lm.presence;
        if let Some(eyes) = &mut self.eyes {
            eyes.refine(img, par, &mut self.current)?;
        }
        Ok(())
    }

    /// Forgets the tracked face: the next frame starts with a detection. Where it was last seen
    /// is kept (a face found again elsewhere starts a new shot).
    /// The next picture is not compared with the last one either (after a seek the picture
    /// changes at once without a cut).
    pub fn reset(&mut self) {
        self.previous = None;
        self.thumb = None;
        self.search.stop();
        self.search_last_seen = false;
        self.speakers.reset();
        if let Some(eyes) = &mut self.eyes {
            eyes.reset();
        }
    }

    /// How many times the iris model ran on an eye, and how many times an unchanged eye's
    /// previous output was reused instead (0, 0 without eye refinement).
    pub fn eye_model_counts(&self) -> (u64, u64) {
        self.eyes.as_ref().map_or((0, 0), |e| (e.runs, e.reuses))
    }

    /// Whether the last [`FaceTracker::track`] found a face that is not the one tracked before:
    /// a cut to another shot (see the module docs). False for the first face of a stream.
    pub fn new_shot(&self) -> bool {
        self.new_shot
    }

    /// Landmarks of the tracked face in `img` (square-pixel coordinates, pixel aspect `par`), or
    /// `None` when the frame has no face. The frame's stream time is taken as 1/30 s after the
    /// previous one's (see [`FaceTracker::track_at`]).
    pub fn track(
        &mut self,
        img: &(impl RgbSource + ?Sized),
        par: f32,
    ) -> Result<Option<&FaceLandmarks>, RuntimeError> {
        let t = self.time + 1.0 / 30.0;
        self.track_at(img, par, t)
    }

    /// [`FaceTracker::track`] of a frame at stream time `t` seconds (what the choice by speech
    /// measures mouth activity and its hysteresis in).
    pub fn track_at(
        &mut self,
        img: &(impl RgbSource + ?Sized),
        par: f32,
        t: f64,
    ) -> Result<Option<&FaceLandmarks>, RuntimeError> {
        self.time = t;
        let found = self.track_face(img, par)?;
        let (w, h) = img.dimensions();
        let (w, h) = (w as f32 * par, h as f32);
        if found && outside_share(&self.current, w, h) <= MAX_OUTSIDE {
            self.new_shot = std::mem::take(&mut self.pending_shot);
            Ok(Some(&self.current))
        } else {
            // None, or mostly outside the picture: still tracked, but not shown (see the module
            // docs).
            self.new_shot = false;
            Ok(None)
        }
    }

    /// Finds this frame's face; when found, `current` holds it. The steady state
    /// (the face found on its predicted crop) reuses buffers and allocates nothing.
    fn track_face(
        &mut self,
        img: &(impl RgbSource + ?Sized),
        par: f32,
    ) -> Result<bool, RuntimeError> {
        // The search's time counts from here: the tracking attempt before it spends it too.
        let started = std::time::Instant::now();
        let thumb = Thumbnail::of(img);
        let picture_cut = self
            .thumb
            .replace(thumb)
            .is_some_and(|t| t.change(self.thumb.as_ref().expect("set")) > CUT_PICTURE_CHANGE);
        if picture_cut {
            // Do not fit the landmarks on the old face's crop: they would slide over to the new
            // face in a few frames, each step too small to be taken for a cut. A search under
            // way starts again on the new picture.
            self.previous = None;
            self.search.stop();
            self.search_cause = SearchCause::Cut;
            self.speakers.forget_faces();
        }
        if self.options.choice != ActorChoice::Speaking && self.speakers.watched() > 0 {
            self.speakers.reset();
        }
        let (w, h) = img.dimensions();
        let area = Area::of_picture(w as f32 * par, h as f32, self.options.region.as_ref());
        let mut jumped = None;
        let mut steady = false;
        if let Some(prev) = &mut self.previous {
            let mut target = prev.tracking_roi();
            // A face that moves (a lecturer walking, a small face crossing a fifth of its crop
            // a frame) is looked for where it is going: the crop leads by the face's velocity.
            // A still face's trembling stays inside the dead band and moves nothing.
            let (vx, vy) = self.velocity;
            if (vx * vx + vy * vy).sqrt() > CROP_DEAD_BAND.shift * target.size {
                target.cx += vx;
                target.cy += vy;
            }
            let roi = match self.crop {
                Some(crop) => crop.follow(&target, &CROP_DEAD_BAND),
                None => target,
            };
            self.crop = Some(roi);
            self.landmarker
                .landmarks_into(img, par, &roi, &mut self.scratch)?;
            let lm = &self.scratch;
            let spot = FaceSpot::of(lm);
            if lm.presence >= MIN_PRESENCE && area.contains(spot.cx, spot.cy) {
                let before = FaceSpot::of(prev);
                if is_same_face(&before, &spot, JUMP_SHIFT, JUMP_SCALE) {
                    let k = VELOCITY_SMOOTHING;
                    self.velocity = (
                        self.velocity.0 + k * (spot.cx - before.cx - self.velocity.0),
                        self.velocity.1 + k * (spot.cy - before.cy - self.velocity.1),
                    );
                    self.last_seen = Some(spot);
                    std::mem::swap(prev, &mut self.scratch);
                    steady = true;
                } else {
                    // Farther than a head moves in a frame: a cut. Look at the whole frame
                    // again.
                    jumped = Some(lm.clone());
                    self.search_cause = SearchCause::Jump;
                }
            } else if !picture_cut {
                self.search_cause = SearchCause::Lost;
            }
        }
        if steady {
            if self.options.choice == ActorChoice::Speaking {
                self.watch_speakers(img, par, area, started)?;
            }
            self.finish(img, par)?;
            return Ok(true);
        }
        self.previous = None;
        self.crop = None;
        self.velocity = (0.0, 0.0);
        self.searching_frames += 1;
        // Look where the face was last seen first, when that is inside the area.
        let seen = self
            .last_seen
            .filter(|s| self.search_last_seen && area.contains(s.cx, s.cy));
        let picked = {
            let mut finder = FrameFinder {
                short_range: &mut self.detector,
                full_range: &mut self.full_range,
                landmarker: &mut self.landmarker,
                img,
                par,
            };
            self.search.step(
                &mut finder,
                area,
                seen.as_ref(),
                Budget {
                    runs: self.options.search_budget,
                    until: self.options.search_time.map(|t| started + t),
                },
                PickRule {
                    rank: self.options.rank,
                },
            )?
        };
        let mut found = match picked {
            // This frame's landmarks of the picked face (it may have been found a few frames
            // ago): the tracking run of this frame.
            Some(c) => {
                let lm = self
                    .landmarker
                    .landmarks(img, par, &c.landmarks.tracking_roi())?;
                (lm.presence >= MIN_PRESENCE).then_some(lm)
            }
            None => None,
        };
        if found.is_none() && jumped.is_some() {
            // Nothing else found yet: the face that jumped is the face (a cut or a fast move;
            // the shot test below tells which).
            found = jumped;
            self.search.stop();
        }
        let Some(lm) = found else {
            return Ok(false);
        };
        self.search.stop();
        // How far the face may have gone: a frame after a cut or a jump, or after a loss.
        let (max_shift, max_scale) = match self.search_cause {
            SearchCause::Cut => (CUT_SHIFT, CUT_SCALE),
            SearchCause::Jump => (JUMP_SHIFT, JUMP_SCALE),
            SearchCause::Lost => (REFOUND_SHIFT, REFOUND_SCALE),
        };
        self.search_cause = SearchCause::Lost;
        let spot = FaceSpot::of(&lm);
        if self
            .last_seen
            .is_some_and(|seen| !is_same_face(&seen, &spot, max_shift, max_scale))
        {
            self.pending_shot = true;
            self.shots_started += 1;
        }
        self.last_seen = Some(spot);
        self.search_last_seen = true;
        self.previous = Some(lm);
        self.speakers.followed_found(&spot);
        self.finish(img, par)?;
        Ok(true)
    }

    /// One frame of watching the other faces for speech (see [`super::speaker_watch`]); when
    /// another face is taken, it becomes the followed face and a new shot starts (the motion
    /// must not take the jump from one face to the other as the actor's).
    fn watch_speakers(
        &mut self,
        img: &(impl RgbSource + ?Sized),
        par: f32,
        area: Area,
        started: std::time::Instant,
    ) -> Result<(), RuntimeError> {
        let Some(followed) = &self.previous else {
            return Ok(());
        };
        let mut looker = FrameFinder {
            short_range: &mut self.detector,
            full_range: &mut self.full_range,
            landmarker: &mut self.landmarker,
            img,
            par,
        };
        let budget = Budget {
            runs: self.options.search_budget,
            until: self.options.search_time.map(|t| started + t),
        };
        let taken = self
            .speakers
            .step(&mut looker, self.time, followed, area, budget)?;
        if let Some(lm) = taken {
            let spot = FaceSpot::of(&lm);
            self.previous = Some(lm);
            self.crop = None;
            self.velocity = (0.0, 0.0);
            self.last_seen = Some(spot);
            self.pending_shot = true;
            if let Some(eyes) = &mut self.eyes {
                eyes.reset();
            }
        }
        Ok(())
    }

    /// Landmarks of the largest face in a still picture (see [`FaceTracker::faces_in_still`]).
    pub fn detect_still(&mut self, img: &RgbImage) -> Result<Option<FaceLandmarks>, RuntimeError> {
        self.detect_still_nth(img, 0).map(|(lm, _)| lm)
    }

    /// Landmarks of face `n` of a still picture, faces ordered largest first (ties: leftmost
    /// first), with the number of faces found. `None` when `n` is not below that number.
    /// Landmarks are refined with a second landmarker pass on their own crop, eyelids and irises
    /// with the iris model.
    pub fn detect_still_nth(
        &mut self,
        img: &RgbImage,
        n: usize,
    ) -> Result<(Option<FaceLandmarks>, usize), RuntimeError> {
        let boxes = self.faces_in_still(img)?;
        // A box the landmarker refuses is not a face: the detector also fires on other round
        // shapes (the astronaut's suit), sometimes with a box larger than the real face's. Boxes
        // whose landmarks land on a face already found are the same face.
        let mut faces: Vec<FaceLandmarks> = Vec::new();
        for det in &boxes {
            let Some(lm) = self.refine(img, 1.0, det)? else {
                continue;
            };
            let spot = FaceSpot::of(&lm);
            if !faces
                .iter()
                .any(|f| is_same_face(&FaceSpot::of(f), &spot, JUMP_SHIFT, JUMP_SCALE))
            {
                faces.push(lm);
            }
        }
        // Largest face first (ties: leftmost), as the boxes were.
        faces.sort_by(|a, b| larger_first(&FaceSpot::of(a), &FaceSpot::of(b)));
        let count = faces.len();
        let Some(mut lm) = faces.into_iter().nth(n) else {
            return Ok((None, count));
        };
        if let Some(eyes) = &mut self.eyes {
            eyes.refine(img, 1.0, &mut lm)?;
        }
        Ok((Some(lm), count))
    }

    /// Every face the detector finds in a still picture, largest box first (ties: leftmost
    /// first), so that the order does not depend on scores. Searches the whole picture and
    /// square windows of the shorter side and of half of it (the short-range detector misses
    /// faces smaller than about a fifth of its input); boxes found in several windows are merged
    /// (intersection over union above 0.3, the more confident kept).
    pub fn faces_in_still(&mut self, img: &RgbImage) -> Result<Vec<Detection>, RuntimeError> {
        let mut found: Vec<Detection> = Vec::new();
        for window in search_windows(img.width() as f32, img.height() as f32) {
            for d in self.detector.detect(img, 1.0, window)? {
                match found.iter_mut().find(|f| f.iou(&d) > 0.3) {
                    Some(f) if f.score >= d.score => {}
                    Some(f) => *f = d,
                    None => found.push(d),
                }
            }
        }
        found.sort_by(larger_box_first);
        Ok(found)
    }

    fn refine(
        &mut self,
        img: &(impl RgbSource + ?Sized),
        par: f32,
        det: &Detection,
    ) -> Result<Option<FaceLandmarks>, RuntimeError> {
        let first = self.landmarker.landmarks(img, par, &det.landmark_roi())?;
        if first.presence < MIN_PRESENCE {
            return Ok(None);
        }
        let second = self.landmarker.landmarks(img, par, &first.tracking_roi())?;
        Ok(Some(if second.presence >= MIN_PRESENCE {
            second
        } else {
            first
        }))
    }
}

/// The order of detections in a picture: larger box first, ties leftmost first (as
/// [`larger_first`] orders faces).
fn larger_box_first(a: &Detection, b: &Detection) -> std::cmp::Ordering {
    (b.w * b.h)
        .total_cmp(&(a.w * a.h))
        .then(a.cx.total_cmp(&b.cx))
}

/// Detector windows for a still picture of `w`x`h`: the whole picture (letterboxed), then
/// overlapping squares of the shorter side and of half of it.
pub fn search_windows(w: f32, h: f32) -> Vec<Option<Roi>> {
    let mut out = vec![None];
    let short = w.min(h);
    for side in [short, short / 2.0] {
        if side < 64.0 {
            break;
        }
        let step = side / 2.0;
        let mut y = side / 2.0;
        while y <= h - side / 2.0 + 0.5 {
            let mut x = side / 2.0;
            while x <= w - side / 2.0 + 0.5 {
                out.push(Some(Roi {
                    cx: x,
                    cy: y,
                    size: side,
                    angle: 0.0,
                }));
                x += step;
            }
            y += step;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_changes_the_thumbnail_a_small_motion_does_not() {
        let a = RgbImage::from_fn(320, 240, |x, y| {
            image::Rgb([(x / 2) as u8, (y / 2) as u8, 90])
        });
        // The same picture moved by 3 pixels (a head or a camera moving in a frame).
        let b = RgbImage::from_fn(320, 240, |x, y| {
            image::Rgb([((x + 3).min(319) / 2) as u8, (y / 2) as u8, 90])
        });
        // Another shot: another layout of light and dark.
        let c = RgbImage::from_fn(320, 240, |x, y| {
            image::Rgb([(255 - x * 3 / 4) as u8, (y / 2) as u8, 200])
        });
        let (ta, tb, tc) = (Thumbnail::of(&a), Thumbnail::of(&b), Thumbnail::of(&c));
        assert_eq!(ta.change(&ta), 0.0);
        assert!(ta.change(&tb) < 5.0, "{}", ta.change(&tb));
        assert!(ta.change(&tc) > CUT_PICTURE_CHANGE, "{}", ta.change(&tc));
    }

    #[test]
    fn the_thumbnail_averages_the_pixels_every_step_of_every_row() {
        // 300x200: steps of 4 pixels (300 / 64) and 3 rows (200 / 64), 75 samples a row (two
        // chunks).
        let img = RgbImage::from_fn(300, 200, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                (y * 5 % 256) as u8,
                ((x + y) % 256) as u8,
            ])
        });
        let mut sum = [0.0f32; THUMB * THUMB];
        let mut n = [0u32; THUMB * THUMB];
        for y in (0..200).step_by(3) {
            for x in (0..300).step_by(4) {
                let p = img.get_pixel(x, y);
                let luma = 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
                let b = (y as usize * THUMB / 200) * THUMB + x as usize * THUMB / 300;
                sum[b] += luma;
                n[b] += 1;
            }
        }
        let got = Thumbnail::of(&img);
        for b in 0..THUMB * THUMB {
            let want = sum[b] / n[b] as f32;
            assert!(
                (got.0[b] - want).abs() < 1e-3,
                "block {b}: {} vs {want}",
                got.0[b]
            );
        }
    }

    #[test]
    fn the_share_of_a_face_outside_the_picture_counts_its_landmarks() {
        let lm = FaceLandmarks {
            points: (0..100)
                .map(|i| [i as f32 * 2.0 - 50.0, 10.0, 0.0])
                .collect(),
            presence: 1.0,
        };
        // x from -50 to 148: 25 points left of 0, 24 right of 100.
        assert_eq!(outside_share(&lm, 200.0, 100.0), 0.25);
        assert_eq!(outside_share(&lm, 100.0, 100.0), 0.49);
    }

    #[test]
    fn search_windows_cover_a_portrait_picture_inside_its_bounds() {
        let ws = search_windows(720.0, 1280.0);
        assert!(ws[0].is_none(), "whole picture first");
        let rois: Vec<Roi> = ws.into_iter().flatten().collect();
        assert!(rois.iter().any(|r| r.size == 720.0) && rois.iter().any(|r| r.size == 360.0));
        for r in &rois {
            assert!(
                r.cx - r.size / 2.0 >= -0.5 && r.cx + r.size / 2.0 <= 720.5,
                "{r:?}"
            );
            assert!(
                r.cy - r.size / 2.0 >= -0.5 && r.cy + r.size / 2.0 <= 1280.5,
                "{r:?}"
            );
        }
    }
}
