//! The documented range of head motion the avatar follows, with a soft knee: motion inside
//! [`KNEE`] of a limit passes unchanged, beyond it it eases towards the limit and never passes it.
//! A picture is a fixed frame: past these limits the warp would tear the background and show
//! the inside of cheeks it never saw, so the avatar holds near the limit instead.
//!
//! The head rotation limits were chosen by eye on contact sheets of the mesh warp
//! (`cargo run --example pose_sheet`: mona_lisa_720x1280, glasses_beard_400, astronaut_512,
//! bw_photo_2048, eyes_closed_480 re-posed at yaw and pitch -40..40° in 5° steps, the painting
//! also in 2° steps). Up to 20° of yaw either way, 20° of chin up and 15° of chin down four of
//! them look like a turned person; the painting's far temple streaks sideways from about 14° of
//! yaw (faint), clearly at 20°, and from 22° its cheek bulges into the hair. From 25° of yaw the
//! far cheek bulges on all (a seam along the astronaut's jaw, glasses_beard's ear and glasses' arm
//! stretched sideways), and from 20° of chin down the jaw and beard are squeezed while the ears
//! widen. Yaw is limited at 18°, which the eased motion reaches only for turns far past it.

use nalgebra::{Rotation3, Vector3};

use super::pose::Similarity;

/// Largest head roll relative to the reference frame, degrees.
pub const MAX_ROLL_DEG: f32 = 35.0;
/// Largest head yaw (turn left/right) relative to the reference frame, degrees, either way.
pub const MAX_YAW_DEG: f32 = 18.0;
/// Largest head pitch with the chin up (negative pitch: rotation about the picture's x axis, y
/// down, z into the picture) relative to the reference frame, degrees.
pub const MAX_PITCH_UP_DEG: f32 = 20.0;
/// Largest head pitch with the chin down (positive pitch) relative to the reference frame,
/// degrees: smaller than [`MAX_PITCH_UP_DEG`], the warp squeezes a lowered jaw sooner.
pub const MAX_PITCH_DOWN_DEG: f32 = 15.0;
/// Largest change of head size relative to the reference frame (1.2 = 20 % larger or 1/1.2
/// smaller).
pub const MAX_SCALE: f32 = 1.2;
/// Largest head translation in the avatar picture, in avatar eye-corner distances.
pub const MAX_SHIFT: f32 = 0.3;
/// Share of a limit that passes unchanged.
pub const KNEE: f32 = 0.6;

/// `x` unchanged while `|x| <= KNEE·limit`, then eased (tanh, continuous slope) so that
/// `|result| <= limit` for every `x`.
pub fn soft_limit(x: f32, limit: f32) -> f32 {
    let knee = KNEE * limit;
    let a = x.abs();
    if a <= knee || limit <= 0.0 {
        return x;
    }
    let room = limit - knee;
    x.signum() * (knee + room * ((a - knee) / room).tanh())
}

/// [`soft_limit`] with a different limit each side: `lower` (> 0) for negative `x`, `upper` for
/// positive `x`. Unchanged (and so continuous, with slope 1) around 0.
pub fn soft_limit_asymmetric(x: f32, lower: f32, upper: f32) -> f32 {
    if x < 0.0 {
        soft_limit(x, lower)
    } else {
        soft_limit(x, upper)
    }
}

/// Hermite smoothstep: 0 at `x <= a`, 1 at `x >= b`, smooth (zero slope at both ends) between.
pub fn smoothstep(a: f32, b: f32, x: f32) -> f32 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Limits the actor's head motion `pose` (relative to the reference frame, in the actor's
/// camera frame) to the documented range: roll, yaw, pitch (chin up and down apart) and scale.
pub fn limit_pose(pose: &mut Similarity) {
    let (roll, yaw, pitch) = pose.roll_yaw_pitch_deg();
    let (roll, yaw, pitch) = (
        soft_limit(roll, MAX_ROLL_DEG),
        soft_limit(yaw, MAX_YAW_DEG),
        soft_limit_asymmetric(pitch, MAX_PITCH_UP_DEG, MAX_PITCH_DOWN_DEG),
    );
    // R = Rz(roll)·Ry(yaw)·Rx(pitch); nalgebra's from_euler_angles(r, p, y) is Rz(y)·Ry(p)·Rx(r).
    pose.rotation =
        *Rotation3::from_euler_angles(pitch.to_radians(), yaw.to_radians(), roll.to_radians())
            .matrix();
    pose.scale = soft_limit(pose.scale.max(1e-3).ln(), MAX_SCALE.ln()).exp();
}

/// Limits a head translation `shift` (avatar pixels) to [`MAX_SHIFT`] eye-corner distances
/// `interocular` (avatar pixels), keeping its direction.
pub fn limit_shift(shift: Vector3<f32>, interocular: f32) -> Vector3<f32> {
    let n = shift.xy().norm();
    if n <= 0.0 {
        return shift;
    }
    let k = soft_limit(n, MAX_SHIFT * interocular) / n;
    Vector3::new(shift.x * k, shift.y * k, shift.z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_motion_passes_and_large_motion_stays_inside_the_limit() {
        assert_eq!(soft_limit(10.0, 30.0), 10.0);
        assert_eq!(soft_limit(-10.0, 30.0), -10.0);
        let mut last = 0.0;
        for k in 0..200 {
            let y = soft_limit(k as f32, 30.0);
            assert!(y >= last && y <= 30.0, "monotonic and bounded at {k}: {y}");
            last = y;
        }
        assert!(soft_limit(1000.0, 30.0) > 29.0, "approaches the limit");
    }

    #[test]
    fn a_small_pose_is_unchanged_and_a_large_turn_is_eased() {
        let small = Similarity {
            scale: 1.05,
            rotation: *Rotation3::from_euler_angles(0.1f32, 0.15, -0.1).matrix(),
            translation: Vector3::new(3.0, 4.0, 0.0),
        };
        let mut p = small;
        limit_pose(&mut p);
        assert!((p.rotation - small.rotation).norm() < 1e-5);
        assert!((p.scale - 1.05).abs() < 1e-6);
        assert_eq!(p.translation, small.translation);

        let mut big = Similarity {
            scale: 2.0,
            rotation: *Rotation3::from_euler_angles(0.0f32, 80f32.to_radians(), 0.0).matrix(),
            translation: Vector3::zeros(),
        };
        limit_pose(&mut big);
        let (_, yaw, _) = big.roll_yaw_pitch_deg();
        assert!(
            yaw > KNEE * MAX_YAW_DEG && yaw <= MAX_YAW_DEG + 1e-3,
            "yaw {yaw}"
        );
        assert!(
            big.scale <= MAX_SCALE && big.scale > 1.1,
            "scale {}",
            big.scale
        );
    }

    /// The yaw (`axis` 1) or pitch (`axis` 2) that [`limit_pose`] leaves of a pure rotation by
    /// `deg` about that axis.
    fn limited(axis: usize, deg: f32) -> f32 {
        let a = deg.to_radians();
        let (pitch, yaw) = if axis == 1 { (0.0, a) } else { (a, 0.0) };
        let mut p = Similarity {
            scale: 1.0,
            rotation: *Rotation3::from_euler_angles(pitch, yaw, 0.0).matrix(),
            translation: Vector3::zeros(),
        };
        limit_pose(&mut p);
        let (roll, y, x) = p.roll_yaw_pitch_deg();
        assert!(roll.abs() < 1e-3, "a pure turn gained roll {roll}");
        if axis == 1 {
            y
        } else {
            x
        }
    }

    #[test]
    fn yaw_and_pitch_are_continuous_pass_inside_the_knee_and_never_pass_their_limits() {
        // (axis, limit for negative angles, limit for positive angles)
        let axes = [
            (1, MAX_YAW_DEG, MAX_YAW_DEG),
            (2, MAX_PITCH_UP_DEG, MAX_PITCH_DOWN_DEG),
        ];
        for (axis, lower, upper) in axes {
            let step = 0.25;
            let mut last = limited(axis, -85.0);
            for k in 1..=(170.0 / step) as i32 {
                let x = -85.0 + k as f32 * step;
                let y = limited(axis, x);
                let limit = if x < 0.0 { lower } else { upper };
                assert!(y.abs() <= limit + 1e-3, "axis {axis}: {x}° gave {y}°");
                if x.abs() <= KNEE * limit {
                    assert!(
                        (y - x).abs() < 1e-2,
                        "axis {axis}: {x}° inside the knee gave {y}°"
                    );
                }
                // Continuous with a slope of at most 1: no step at the knee or at 0.
                let dy = y - last;
                assert!(
                    dy >= -1e-3 && dy <= step + 1e-2,
                    "axis {axis}: {dy}° step at {x}°"
                );
                last = y;
            }
            // Far turns come close to the limit (eased, not stopped short).
            assert!(limited(axis, 85.0) > upper - 1.0 && limited(axis, -85.0) < 1.0 - lower);
        }
    }

    #[test]
    fn shift_keeps_its_direction() {
        let s = limit_shift(Vector3::new(300.0, 400.0, 7.0), 100.0);
        assert!((s.xy().norm() - MAX_SHIFT * 100.0).abs() < 1.0);
        assert!((s.x / s.y - 0.75).abs() < 1e-4);
        assert_eq!(s.z, 7.0);
    }
}
