//! The One-Euro filter: an adaptive low-pass filter that removes jitter when the signal is still
//! and follows quickly when it moves.
//!
//! Source: G. Casiez, N. Roussel, D. Vogel, "1 Euro Filter: A Simple Speed-based Low-pass Filter
//! for Noisy Input in Interactive Systems", CHI 2012.
//!
//! One change to the paper's filter: a sample that lands farther than [`JUMP_FLOOR`] face sizes and
//! [`JUMP_FLOOR_PIXELS`] from the filter's last output opens the cut-off by the excess at once
//! (see [`OneEuroFilter::filter`]).
//! The paper's speed is a low-passed derivative, which passes through zero when a motion reverses,
//! so the cut-off drops just when the motion turns back. On glasses_512x480's short "oh"s (mouth
//! opening in eye-corner distances, actor -> drawn on astronaut_512): frame 72, 0.019 -> 0.040
//! with the paper's filter, 0.032 with the jump floor; frame 89, 0.080 -> 0.108 and 0.089.

use std::f32::consts::PI;

/// One-Euro parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OneEuroParams {
    /// Cut-off frequency at rest, Hz: lower removes more jitter from a still face.
    pub min_cutoff: f32,
    /// Speed coefficient: higher cuts lag on fast motion.
    pub beta: f32,
    /// Cut-off for the derivative, Hz. The paper uses 1 Hz; we use 4 Hz because a blink lasts
    /// 100-200 ms and a derivative filtered at 1 Hz does not see it in time to open the cut-off,
    /// so blinks and short mouth movements were lost (measured on talk_wink_480: eye-opening
    /// correlation 0.83 at 1 Hz, 0.9 at 4 Hz with beta 15).
    pub d_cutoff: f32,
}

impl Default for OneEuroParams {
    fn default() -> Self {
        OneEuroParams {
            min_cutoff: 1.0,
            beta: 15.0,
            d_cutoff: 4.0,
        }
    }
}

/// Distance from the filter's last output, in face sizes (the `scale` passed to
/// [`OneEuroFilter::filter`]; the engine passes the eye-corner distance), beyond which a sample
/// counts as a jump. Above landmark noise: on the landmarks of grin_512 (a still actor) the
/// largest distance of any coordinate in a frame is 0.013 face sizes (median over frames; 0.028
/// on glasses_512x480, which moves), while a mouth snapping shut moves the lips 0.12-0.16.
pub const JUMP_FLOOR: f32 = 0.03;
/// The jump floor in the values' own units (pixels), for small faces where landmark noise is
/// larger than [`JUMP_FLOOR`] face sizes: on carphone_pristine (176x144, 32 px between the eye
/// corners) the largest distance in a frame is 1.6 px (0.049 face sizes, median over frames).
pub const JUMP_FLOOR_PIXELS: f32 = 2.0;

fn alpha(cutoff: f32, dt: f32) -> f32 {
    let tau = 1.0 / (2.0 * PI * cutoff);
    1.0 / (1.0 + tau / dt)
}

/// A bank of independent One-Euro filters over a vector of values (e.g. 468x3 landmark
/// coordinates). `scale` divides the speed before `beta` applies, so that the same parameters work
/// for faces of any size (speeds in face sizes per second rather than pixels per second).
#[derive(Debug, Clone, Default)]
pub struct OneEuroFilter {
    x: Vec<f32>,
    dx: Vec<f32>,
    last_t: Option<f64>,
}

impl OneEuroFilter {
    /// An empty filter: the first sample passes through unchanged.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets history (next sample passes through).
    pub fn reset(&mut self) {
        self.last_t = None;
    }

    /// Filters `values` in place, sampled at time `t` seconds. `scale` is the signal's natural
    /// size (face size in pixels); speeds are measured in `scale` units per second. The speed
    /// that opens each value's cut-off is the larger of the filtered derivative (the paper's) and
    /// the jump: how far the sample lies beyond [`JUMP_FLOOR`] face sizes and [`JUMP_FLOOR_PIXELS`]
    /// (whichever is farther) from the last output, per second.
    pub fn filter(&mut self, values: &mut [f32], t: f64, scale: f32, p: &OneEuroParams) {
        let floor = JUMP_FLOOR.max(JUMP_FLOOR_PIXELS / scale.max(1e-3));
        self.filter_with_jump_floor(values, t, scale, p, floor);
    }

    /// [`OneEuroFilter::filter`] with the jump floor `floor` (face sizes); infinite: the paper's
    /// filter.
    fn filter_with_jump_floor(
        &mut self,
        values: &mut [f32],
        t: f64,
        scale: f32,
        p: &OneEuroParams,
        floor: f32,
    ) {
        let dt = match self.last_t {
            Some(last) if self.x.len() == values.len() && t > last => (t - last) as f32,
            _ => {
                self.x.clear();
                self.x.extend_from_slice(values);
                self.dx.clear();
                self.dx.resize(values.len(), 0.0);
                self.last_t = Some(t);
                return;
            }
        };
        self.last_t = Some(t);
        let a_d = alpha(p.d_cutoff, dt);
        let scale = scale.max(1e-3);
        for ((v, x), d) in values.iter_mut().zip(&mut self.x).zip(&mut self.dx) {
            *d += a_d * ((*v - *x) / dt - *d);
            let jump = ((*v - *x).abs() / scale - floor).max(0.0) / dt;
            let a = alpha(p.min_cutoff + p.beta * (d.abs() / scale).max(jump), dt);
            *x += a * (*v - *x);
            *v = *x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(i: usize) -> f32 {
        // Deterministic zero-mean pseudo-noise in -1..1 (murmur3's 32-bit finaliser as a hash).
        let mut x = (i as u32).wrapping_mul(0x9E37_79B9);
        x ^= x >> 16;
        x = x.wrapping_mul(0x85EB_CA6B);
        x ^= x >> 13;
        x = x.wrapping_mul(0xC2B2_AE35);
        x ^= x >> 16;
        (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
    }

    #[test]
    fn removes_jitter_from_a_still_signal() {
        // Landmark jitter of a still face: +-0.3 px on a 150 px face, 30 frames/s.
        let mut f = OneEuroFilter::new();
        let p = OneEuroParams::default();
        let (mut raw_var, mut out_var) = (0.0, 0.0);
        for i in 0..300 {
            let raw = 100.0 + 0.3 * noise(i);
            let mut v = [raw];
            f.filter(&mut v, i as f64 / 30.0, 150.0, &p);
            if i > 30 {
                raw_var += (raw - 100.0f32).powi(2);
                out_var += (v[0] - 100.0f32).powi(2);
            }
        }
        assert!(
            out_var < raw_var * 0.25,
            "jitter power {out_var} vs raw {raw_var}"
        );
    }

    #[test]
    fn follows_a_fast_step_within_a_few_frames() {
        let mut f = OneEuroFilter::new();
        let p = OneEuroParams::default();
        let mut v = [0.0f32];
        for i in 0..30 {
            v = [0.0];
            f.filter(&mut v, i as f64 / 30.0, 100.0, &p);
        }
        // Jump by one face size; after 3 frames most of the step must be through.
        for i in 30..33 {
            v = [100.0];
            f.filter(&mut v, i as f64 / 30.0, 100.0, &p);
        }
        assert!(v[0] > 80.0, "lags: {}", v[0]);
    }

    /// The output of a filter with jump floor `floor` over `samples` at 30 frames/s on a
    /// 100 px face.
    fn run(samples: &[f32], floor: f32) -> Vec<f32> {
        let mut f = OneEuroFilter::new();
        let p = OneEuroParams::default();
        samples
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let mut v = [s];
                f.filter_with_jump_floor(&mut v, i as f64 / 30.0, 100.0, &p, floor);
                v[0]
            })
            .collect()
    }

    #[test]
    fn a_motion_that_reverses_at_once_is_followed_back() {
        // A mouth that opens by 0.15 face sizes for two frames and snaps shut.
        let mut samples = vec![0.0f32; 30];
        samples.extend([15.0, 15.0, 0.0]);
        let out = run(&samples, JUMP_FLOOR);
        assert!(out[31] > 12.0, "the opening is followed: {}", out[31]);
        assert!(
            out[32] < 2.0,
            "the closing is followed: {} still open",
            out[32]
        );
        // The paper's filter: its filtered derivative is still positive the frame the mouth
        // shuts, so its cut-off stays low and the mouth stays a fifth open (2.9 px here, 1.2 px
        // with the jump floor).
        let paper = run(&samples, f32::INFINITY);
        assert!(paper[32] > 2.5, "the paper's filter lags: {}", paper[32]);
    }

    #[test]
    fn jitter_below_the_jump_floor_is_smoothed_as_in_the_paper() {
        // Noise of +-2.5 px on a 100 px face (0.025 face sizes, under JUMP_FLOOR): exactly the
        // paper's output, so a still face stays as still as before.
        let samples: Vec<f32> = (0..300).map(|i| 50.0 + 2.5 * noise(i)).collect();
        assert_eq!(run(&samples, JUMP_FLOOR), run(&samples, f32::INFINITY));
    }

    #[test]
    fn a_small_faces_pixel_noise_is_not_taken_for_jumps() {
        // A 32 px face (carphone) with +-1.5 px of noise: 0.047 face sizes, above JUMP_FLOOR
        // but under JUMP_FLOOR_PIXELS, so the public filter gives the paper's output.
        let p = OneEuroParams::default();
        let (mut ours, mut paper) = (OneEuroFilter::new(), OneEuroFilter::new());
        for i in 0..300 {
            let s = 50.0 + 1.5 * noise(i);
            let (mut a, mut b) = ([s], [s]);
            let t = i as f64 / 30.0;
            ours.filter(&mut a, t, 32.0, &p);
            paper.filter_with_jump_floor(&mut b, t, 32.0, &p, f32::INFINITY);
            assert_eq!(a, b, "frame {i}");
        }
    }
}
