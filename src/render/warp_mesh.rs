//! The avatar's warp mesh: face-mesh triangles, eye fans and an outer band, built once per avatar
//! and re-posed every frame.
//!
//! Vertices (avatar pixel coordinates, z = landmark depth):
//! * `0..468`: the face-mesh landmarks;
//! * `468`, `469`: centres of the right and left eye openings, at the iris centres when the
//!   landmarks have them (fans close the eye holes, so a closing eyelid squeezes the eyeball away:
//!   a blink; moving the fan centre moves the iris: gaze);
//! * ring 1 (36 points): the face oval pushed out by [`RING1_SCALE`] about its centroid (more
//!   upwards, [`RING1_HAIR`], for the hair); moves with the head (hair, ears, top of the neck);
//! * ring 2 (36 points): the oval pushed out by [`RING2_SCALE`] (plus [`RING2_HAIR`] upwards);
//!   never moves, so the warp is the identity there and the background beyond it stays exactly
//!   as in the avatar picture.
//!
//! Paste-back: the warp is one continuous piecewise-affine map that is the identity on ring 2 and
//! beyond, so the re-posed head joins the untouched picture without a seam or a colour step, and
//! every band pixel is opaque. (An alpha fade across the outer band, as in earlier versions,
//! showed the displaced hair and the original hair at once: a ghost beside the head.)
//!
//! Drawing order: outer band (ring 1 → ring 2), inner band (oval → ring 1), the mouth interior (by
//! the caller, between [`WarpMesh::draw_band`] and [`WarpMesh::draw_face`]), then face triangles
//! back to front by depth so that a near cheek covers a far one when the head turns.
//!
//! Occlusion edges: a face triangle that the head pose turns over (compared with the same
//! triangle before the pose, so folds made by the expression do not count) is the far side of a
//! fold; where a front-facing triangle nearer than it borders it, that edge is where the near
//! part (a nose, a cheek) covers the far one, and it is anti-aliased over what lies behind
//! ([`feather_edges`]) instead of leaving a staircase. Measured on glasses_512x480 +
//! glasses_beard_400 (frames 300, 420, 480): 117-388 pixels per frame change, along the nose's
//! lower edge over the moustache and the far jaw line.

use image::RgbImage;
use nalgebra::{Vector2, Vector3};

use super::triangle::{feather_edges, warp_triangle, Blend, WarpVertex};
use super::CanvasRows;
use crate::face::eye_refiner::IRIS_CENTRES;
use crate::face::mesh_topology::{FACE_OVAL, LEFT_EYE, LIPS_INNER, RIGHT_EYE, TRIANGLES};
use crate::motion::openings::{face_axes, gap as lid_gap, LEFT_LID_PAIRS, RIGHT_LID_PAIRS};
use crate::motion::TargetPose;

/// Ring 1 radius as a multiple of the face oval's (about the oval centroid).
pub const RING1_SCALE: f32 = 1.45;
/// Ring 2 radius as a multiple of the face oval's: the outer edge of everything that moves.
pub const RING2_SCALE: f32 = 1.85;
/// Extra ring 1 scale straight up from the face (hair above the forehead moves with the head),
/// fading to none sideways.
pub const RING1_HAIR: f32 = 0.25;
/// Extra ring 2 scale straight up from the face.
pub const RING2_HAIR: f32 = 0.35;
/// Share of ring 1's motion that follows the rigid head motion; the rest follows the nearest
/// oval point (so that the neck stretches with an opening jaw).
const RING1_RIGID_SHARE: f32 = 0.5;
/// Largest ring 1 displacement as a share of its distance to ring 2.
const RING1_MAX_TRAVEL: f32 = 0.4;

const N_FACE: usize = 468;
const EYE_R: usize = 468;
const EYE_L: usize = 469;
const RING1: usize = 470;
const N_OVAL: usize = FACE_OVAL.len();
const RING2: usize = RING1 + N_OVAL;
const N_VERTICES: usize = RING2 + N_OVAL;

/// Warp mesh of one avatar, with reusable per-frame buffers.
#[derive(Debug, Clone)]
pub struct WarpMesh {
    src: Vec<[f32; 3]>,
    dst: Vec<[f32; 3]>,
    band_outer: Vec<[usize; 3]>,
    band_inner: Vec<[usize; 3]>,
    face: Vec<[usize; 3]>,
    /// Per face triangle, the face triangle across each edge (`tri[k]` to `tri[(k + 1) % 3]`).
    neighbours: Vec<[Option<usize>; 3]>,
    /// Per face triangle, which edges border the mouth opening (the inner lip contour).
    mouth_rim: Vec<[bool; 3]>,
    /// Per face triangle, whether the head pose keeps its orientation (front-facing) or turns it
    /// over (the far side of a nose or cheek); set by [`WarpMesh::sort_by_depth`].
    facing: Vec<bool>,
    /// The destination vertices before the head pose (the target's rigid motion undone), set by
    /// [`WarpMesh::pose`]: what the expression alone makes of the face.
    frontal: Vec<[f32; 3]>,
    order: Vec<(f32, usize)>,
}

/// Signed doubled area of triangle `t` of `p` (x, y), pixels².
fn doubled_area(p: &[[f32; 3]], t: &[usize; 3]) -> f32 {
    let [a, b, c] = t.map(|i| p[i]);
    (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])
}

/// For each triangle of `tris`, the triangle sharing each of its edges (`t[k]` to
/// `t[(k + 1) % 3]`), if any.
fn edge_neighbours(tris: &[[usize; 3]]) -> Vec<[Option<usize>; 3]> {
    let mut by_edge = std::collections::HashMap::with_capacity(tris.len() * 3);
    for (i, t) in tris.iter().enumerate() {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            by_edge
                .entry((a.min(b), a.max(b)))
                .or_insert_with(Vec::new)
                .push(i);
        }
    }
    tris.iter()
        .enumerate()
        .map(|(i, t)| {
            std::array::from_fn(|k| {
                let (a, b) = (t[k], t[(k + 1) % 3]);
                by_edge[&(a.min(b), a.max(b))]
                    .iter()
                    .copied()
                    .find(|&j| j != i)
            })
        })
        .collect()
}

fn mean_of(points: &[[f32; 3]], idx: &[usize]) -> [f32; 3] {
    let mut m = [0.0; 3];
    for &i in idx {
        for c in 0..3 {
            m[c] += points[i][c] / idx.len() as f32;
        }
    }
    m
}

/// Largest iris offset from the eye opening's centre along the eye (share of the half eye width)
/// and across it (share of the lid gap): keeps the fan centre inside the eye opening, so the fan
/// never folds.
const IRIS_TRAVEL_ALONG: f32 = 0.35;
const IRIS_TRAVEL_ACROSS: f32 = 0.25;

/// Centre of an eye's fan: the iris centre `points[iris]` when the points have it (limited to
/// stay inside the opening), else the mean of the eye contour `contour`.
fn eye_centre(
    points: &[[f32; 3]],
    contour: &[usize],
    lids: &[(usize, usize); 7],
    iris: usize,
) -> [f32; 3] {
    let m = mean_of(points, contour);
    let Some(c) = points.get(iris) else {
        return m;
    };
    let (outer, inner) = (points[lids[0].1], points[lids[6].1]);
    let (ax, ay) = (inner[0] - outer[0], inner[1] - outer[1]);
    let len = (ax * ax + ay * ay).sqrt().max(1e-3);
    let (ux, uy) = (ax / len, ay / len);
    let gap = lid_gap(points, lids[3], Vector2::new(-uy, ux)).max(0.0);
    let (dx, dy) = (c[0] - m[0], c[1] - m[1]);
    let along = (dx * ux + dy * uy).clamp(
        -IRIS_TRAVEL_ALONG * len / 2.0,
        IRIS_TRAVEL_ALONG * len / 2.0,
    );
    let across = (dx * -uy + dy * ux).clamp(-IRIS_TRAVEL_ACROSS * gap, IRIS_TRAVEL_ACROSS * gap);
    [
        m[0] + along * ux - across * uy,
        m[1] + along * uy + across * ux,
        m[2],
    ]
}

fn strip(inner: usize, outer: usize, n: usize, out: &mut Vec<[usize; 3]>) {
    for i in 0..n {
        let j = (i + 1) % n;
        out.push([inner + i, outer + i, outer + j]);
        out.push([inner + i, outer + j, inner + j]);
    }
}

impl WarpMesh {
    /// Builds the mesh around the avatar's 468 landmarks (avatar pixels, z depth).
    pub fn new(avatar: &[[f32; 3]]) -> Self {
        let mut src = Vec::with_capacity(N_VERTICES);
        src.extend_from_slice(&avatar[..N_FACE]);
        src.push(eye_centre(
            avatar,
            &RIGHT_EYE,
            &RIGHT_LID_PAIRS,
            IRIS_CENTRES.0,
        ));
        src.push(eye_centre(
            avatar,
            &LEFT_EYE,
            &LEFT_LID_PAIRS,
            IRIS_CENTRES.1,
        ));
        let c = mean_of(avatar, &FACE_OVAL);
        let (_, down, _) = face_axes(avatar);
        for (scale, hair) in [(RING1_SCALE, RING1_HAIR), (RING2_SCALE, RING2_HAIR)] {
            for &i in &FACE_OVAL {
                let p = avatar[i];
                let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
                // Upward share of this oval point's direction (1 straight up, 0 sideways or down).
                let up =
                    (-(dx * down.x + dy * down.y) / (dx * dx + dy * dy).sqrt().max(1e-3)).max(0.0);
                let k = scale + hair * up;
                src.push([c[0] + dx * k, c[1] + dy * k, p[2]]);
            }
        }
        // The oval's landmark indices are not contiguous: inner band triangles address them
        // directly.
        let mut band_inner = Vec::with_capacity(2 * N_OVAL);
        for (i, &o) in FACE_OVAL.iter().enumerate() {
            let j = (i + 1) % N_OVAL;
            band_inner.push([o, RING1 + i, RING1 + j]);
            band_inner.push([o, RING1 + j, FACE_OVAL[j]]);
        }
        let mut band_outer = Vec::with_capacity(2 * N_OVAL);
        strip(RING1, RING2, N_OVAL, &mut band_outer);
        let mut face: Vec<[usize; 3]> = TRIANGLES
            .iter()
            .map(|t| [t[0] as usize, t[1] as usize, t[2] as usize])
            .collect();
        for (centre, eye) in [(EYE_R, &RIGHT_EYE[..]), (EYE_L, &LEFT_EYE[..])] {
            for i in 0..eye.len() {
                face.push([centre, eye[i], eye[(i + 1) % eye.len()]]);
            }
        }
        let order = Vec::with_capacity(face.len());
        WarpMesh {
            dst: src.clone(),
            src,
            band_outer,
            band_inner,
            neighbours: edge_neighbours(&face),
            mouth_rim: face
                .iter()
                .map(|t| {
                    std::array::from_fn(|k| {
                        let (a, b) = (t[k], t[(k + 1) % 3]);
                        let n = LIPS_INNER.len();
                        (0..n).any(|i| {
                            let (p, q) = (LIPS_INNER[i], LIPS_INNER[(i + 1) % n]);
                            (a, b) == (p, q) || (a, b) == (q, p)
                        })
                    })
                })
                .collect(),
            facing: vec![true; face.len()],
            frontal: vec![[0.0; 3]; N_VERTICES],
            face,
            order,
        }
    }

    /// Number of triangles drawn per frame.
    pub fn triangle_count(&self) -> usize {
        self.band_outer.len() + self.band_inner.len() + self.face.len()
    }

    /// Poses the mesh: face vertices go to the target landmarks, the eye centres to the centres of
    /// the target eye contours, ring 1 follows the head, ring 2 stays.
    pub fn pose(&mut self, target: &TargetPose) {
        let t = &target.points;
        self.dst[..N_FACE].copy_from_slice(&t[..N_FACE]);
        self.dst[EYE_R] = eye_centre(t, &RIGHT_EYE, &RIGHT_LID_PAIRS, IRIS_CENTRES.0);
        self.dst[EYE_L] = eye_centre(t, &LEFT_EYE, &LEFT_LID_PAIRS, IRIS_CENTRES.1);
        for (i, &o) in FACE_OVAL.iter().enumerate() {
            let s = self.src[RING1 + i];
            let rigid = target.rigid.apply(&Vector3::from(s));
            let oval_shift = [
                t[o][0] - self.src[o][0],
                t[o][1] - self.src[o][1],
                t[o][2] - self.src[o][2],
            ];
            let mut shift = [0.0; 3];
            for c in 0..3 {
                shift[c] = RING1_RIGID_SHARE * (rigid[c] - s[c])
                    + (1.0 - RING1_RIGID_SHARE) * oval_shift[c];
            }
            // Ring 1 may travel at most RING1_MAX_TRAVEL of its distance to ring 2 (in the
            // picture plane), so that the outer band never folds over and the warp never reaches
            // past ring 2.
            let r2 = self.src[RING2 + i];
            let gap = ((r2[0] - s[0]).powi(2) + (r2[1] - s[1]).powi(2)).sqrt();
            let travel = (shift[0] * shift[0] + shift[1] * shift[1]).sqrt();
            let k = if travel > RING1_MAX_TRAVEL * gap {
                RING1_MAX_TRAVEL * gap / travel
            } else {
                1.0
            };
            self.dst[RING1 + i] = [s[0] + shift[0] * k, s[1] + shift[1] * k, s[2] + shift[2]];
            self.dst[RING2 + i] = self.src[RING2 + i];
        }
        let unpose = target.rigid.inverse();
        for (f, d) in self.frontal.iter_mut().zip(&self.dst) {
            *f = unpose.apply(&Vector3::from(*d)).into();
        }
    }

    fn vertex(&self, i: usize) -> WarpVertex {
        let s = self.src[i];
        let d = self.dst[i];
        WarpVertex {
            src: [s[0], s[1]],
            dst: [d[0], d[1]],
            alpha: 1.0,
        }
    }

    fn draw(&self, out: &mut CanvasRows, avatar: &RgbImage, tri: &[usize; 3]) {
        let v = [
            self.vertex(tri[0]),
            self.vertex(tri[1]),
            self.vertex(tri[2]),
        ];
        warp_triangle(out, avatar, 1.0, &v, &Blend::COPY);
    }

    /// Draws the outer and inner band from the avatar picture onto `out` (its rows only).
    pub fn draw_band(&self, out: &mut CanvasRows, avatar: &RgbImage) {
        for tri in self.band_outer.iter().chain(&self.band_inner) {
            self.draw(out, avatar, tri);
        }
    }

    /// Orders the face triangles far to near for [`WarpMesh::draw_face`]: call it after
    /// [`WarpMesh::pose`], once per pose.
    pub fn sort_by_depth(&mut self) {
        for (f, t) in self.facing.iter_mut().zip(&self.face) {
            *f = doubled_area(&self.frontal, t) * doubled_area(&self.dst, t) >= 0.0;
        }
        self.order.clear();
        for (k, t) in self.face.iter().enumerate() {
            let z = self.dst[t[0]][2] + self.dst[t[1]][2] + self.dst[t[2]][2];
            self.order.push((z, k));
        }
        // Larger z is farther from the camera: draw it first.
        self.order.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    }

    /// Draws the face triangles from the avatar picture onto `out` (its rows only), far to near
    /// in the order of the last [`WarpMesh::sort_by_depth`]. Where a front-facing triangle borders
    /// one the pose turned over, that edge is an occlusion edge (the near side of a fold) and is
    /// anti-aliased over what lies behind it ([`feather_edges`]). With `feather_mouth` (the
    /// actor's mouth interior was drawn in the opening), the lips' inner edge is anti-aliased
    /// over it too; without, the opening shows the avatar's own interior, which continues the
    /// lips, and is left exact.
    pub fn draw_face(&self, out: &mut CanvasRows, avatar: &RgbImage, feather_mouth: bool) {
        for &(_, k) in &self.order {
            let tri = self.face[k];
            self.draw(out, avatar, &tri);
            if self.facing[k] {
                // An edge is an occlusion edge when the triangle across it is turned over and
                // farther from the camera (larger z) than this one.
                let depth = |t: &[usize; 3]| t.iter().map(|&i| self.dst[i][2]).sum::<f32>();
                let near = depth(&tri);
                let occluding = self.neighbours[k]
                    .map(|n| n.is_some_and(|n| !self.facing[n] && depth(&self.face[n]) > near));
                // The lips' inner edge, over the mouth interior drawn before them.
                let rim = self.mouth_rim[k];
                let edges = std::array::from_fn(|e| occluding[e] || (feather_mouth && rim[e]));
                let v = [
                    self.vertex(tri[0]),
                    self.vertex(tri[1]),
                    self.vertex(tri[2]),
                ];
                feather_edges(out, avatar, 1.0, &v, edges);
            }
        }
    }

    /// How much the last [`WarpMesh::pose`] smears the head's band (hair, ears, the top of the
    /// neck): the largest anisotropy `σ₁/σ₂` over the band triangles of their affine warp from
    /// the picture to the output (`σ` its singular values; 1 = no smear, 2 = stretched twice as
    /// much one way as the other). A turned-over or collapsed triangle gives infinity.
    pub fn band_stretch(&self) -> f32 {
        self.band_outer
            .iter()
            .chain(&self.band_inner)
            .map(|t| {
                let [a, b, c] = t.map(|i| self.src[i]);
                let [p, q, r] = t.map(|i| self.dst[i]);
                let s = nalgebra::Matrix2::new(b[0] - a[0], c[0] - a[0], b[1] - a[1], c[1] - a[1]);
                let d = nalgebra::Matrix2::new(q[0] - p[0], r[0] - p[0], q[1] - p[1], r[1] - p[1]);
                let Some(inv) = s.try_inverse() else {
                    return 1.0; // a degenerate triangle in the picture draws nothing
                };
                let m = d * inv;
                if m.determinant() <= 0.0 {
                    return f32::INFINITY;
                }
                let sv = m.singular_values();
                sv.max() / sv.min()
            })
            .fold(1.0, f32::max)
    }

    /// Bounding box `(x0, y0, x1, y1)` of everything [`WarpMesh::pose`] can move (ring 2), in
    /// avatar pixels: outside it the output equals the avatar picture.
    pub fn moving_region(&self) -> (f32, f32, f32, f32) {
        let ring2 = &self.src[RING2..];
        let fold = |f: fn(f32, f32) -> f32, c: usize, init: f32| {
            ring2.iter().fold(init, |a, p| f(a, p[c]))
        };
        (
            fold(f32::min, 0, f32::MAX),
            fold(f32::min, 1, f32::MAX),
            fold(f32::max, 0, f32::MIN),
            fold(f32::max, 1, f32::MIN),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::motion::pose::Similarity;

    /// A plausible flat "face": landmarks on a disc, so that the mesh has area.
    fn disc_face() -> Vec<[f32; 3]> {
        (0..468)
            .map(|i| {
                let a = i as f32 * 2.399_963; // golden angle spiral
                let r = 60.0 * ((i as f32 + 0.5) / 468.0).sqrt();
                [128.0 + r * a.cos(), 128.0 + r * a.sin(), 0.0]
            })
            .collect()
    }

    #[test]
    fn identity_pose_reproduces_the_avatar_and_far_pixels_never_change() {
        let avatar = RgbImage::from_fn(256, 256, |x, y| {
            image::Rgb([x as u8, y as u8, (x ^ y) as u8])
        });
        let face = disc_face();
        let mut mesh = WarpMesh::new(&face);
        assert_eq!(mesh.triangle_count(), 852 + 32 + 4 * FACE_OVAL.len());
        mesh.pose(&TargetPose {
            points: face.clone(),
            rigid: Similarity::identity(),
        });
        let mut out = avatar.clone();
        mesh.sort_by_depth();
        mesh.draw_band(&mut CanvasRows::of(&mut out), &avatar);
        mesh.draw_face(&mut CanvasRows::of(&mut out), &avatar, false);
        let max_diff = out
            .pixels()
            .zip(avatar.pixels())
            .flat_map(|(a, b)| (0..3).map(move |c| (a.0[c] as i32 - b.0[c] as i32).abs()))
            .max()
            .unwrap();
        assert!(max_diff <= 1, "identity warp changed a pixel by {max_diff}");

        // Move the head 10 px right: pixels outside ring 2 stay, pixels at the centre move.
        let shifted: Vec<[f32; 3]> = face.iter().map(|p| [p[0] + 10.0, p[1], p[2]]).collect();
        let rigid = Similarity {
            translation: Vector3::new(10.0, 0.0, 0.0),
            ..Similarity::identity()
        };
        mesh.pose(&TargetPose {
            points: shifted,
            rigid,
        });
        let mut moved = avatar.clone();
        mesh.sort_by_depth();
        mesh.draw_band(&mut CanvasRows::of(&mut moved), &avatar);
        mesh.draw_face(&mut CanvasRows::of(&mut moved), &avatar, false);
        let (x0, y0, x1, y1) = mesh.moving_region();
        for (x, y, p) in moved.enumerate_pixels() {
            let inside = (x as f32) >= x0 - 1.0
                && (x as f32) <= x1 + 1.0
                && (y as f32) >= y0 - 1.0
                && (y as f32) <= y1 + 1.0;
            if !inside {
                assert_eq!(p, avatar.get_pixel(x, y));
            }
        }
        assert_eq!(
            moved.get_pixel(138, 128),
            avatar.get_pixel(128, 128),
            "centre moved by 10 px"
        );
    }

    /// The disc face with a bump towards the camera (a nose, 40 px high) at its centre, posed by
    /// `rigid` about the picture point (128, 128).
    fn posed_bump(rigid: Similarity) -> (Vec<[f32; 3]>, TargetPose) {
        let face: Vec<[f32; 3]> = disc_face()
            .into_iter()
            .map(|p| {
                let r2 = (p[0] - 128.0).powi(2) + (p[1] - 128.0).powi(2);
                [p[0], p[1], -40.0 * (-r2 / 400.0).exp()]
            })
            .collect();
        let c = Vector3::new(128.0, 128.0, 0.0);
        let rigid = Similarity {
            translation: c - rigid.rotation * c + rigid.translation,
            ..rigid
        };
        let points = face
            .iter()
            .map(|p| rigid.apply(&Vector3::from(*p)).into())
            .collect();
        (face, TargetPose { points, rigid })
    }

    fn draw_posed(mesh: &WarpMesh, avatar: &RgbImage) -> RgbImage {
        let mut out = avatar.clone();
        mesh.draw_band(&mut CanvasRows::of(&mut out), avatar);
        mesh.draw_face(&mut CanvasRows::of(&mut out), avatar, false);
        out
    }

    #[test]
    fn a_turned_head_feathers_its_occlusion_edges_and_a_tilted_one_draws_none() {
        let avatar = RgbImage::from_fn(256, 256, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                (y * 5 % 256) as u8,
                ((x + y) % 256) as u8,
            ])
        });
        let changed =
            |a: &RgbImage, b: &RgbImage| a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count();
        // Roll 20° and a shift: in the picture plane, nothing turns over.
        let roll = Similarity {
            rotation: *nalgebra::Rotation3::from_euler_angles(0.0, 0.0, 0.35).matrix(),
            translation: Vector3::new(6.0, -4.0, 0.0),
            ..Similarity::identity()
        };
        let (face, target) = posed_bump(roll);
        let mut mesh = WarpMesh::new(&face);
        mesh.pose(&target);
        mesh.sort_by_depth();
        assert!(
            mesh.facing.iter().all(|&f| f),
            "roll turned a triangle over"
        );
        // Yaw 50°: the bump's far flank turns over, and its near flank's edges are feathered.
        let yaw = Similarity {
            rotation: *nalgebra::Rotation3::from_euler_angles(0.0, 0.87, 0.0).matrix(),
            ..Similarity::identity()
        };
        let (face, target) = posed_bump(yaw);
        let mut mesh = WarpMesh::new(&face);
        mesh.pose(&target);
        mesh.sort_by_depth();
        let turned = mesh.facing.iter().filter(|&&f| !f).count();
        assert!(turned > 0, "yaw turned nothing over");
        let feathered = draw_posed(&mesh, &avatar);
        let mut hard = mesh.clone();
        hard.facing.fill(true);
        let hard = draw_posed(&hard, &avatar);
        let n = changed(&feathered, &hard);
        // A fringe a pixel wide along the occlusion edges: some pixels, a small share of the
        // head (about 11,000 pixels).
        assert!(
            n > 0 && n < 1500,
            "{n} pixels feathered ({turned} triangles turned over)"
        );
    }

    #[test]
    fn the_eye_fan_centre_follows_the_iris_but_stays_inside_the_opening() {
        // Right eye: lids 10 px apart around y = 100, corners 40 px apart.
        let mut p = disc_face();
        p.truncate(468);
        for (k, &(u, l)) in RIGHT_LID_PAIRS.iter().enumerate() {
            let x = 85.0 + 5.0 * k as f32;
            p[u] = [x, 95.0, 0.0];
            p[l] = [x, 105.0, 0.0];
        }
        for &i in &RIGHT_EYE {
            if !RIGHT_LID_PAIRS.iter().any(|&(u, l)| u == i || l == i) {
                p[i] = [if i == 33 { 80.0 } else { 120.0 }, 100.0, 0.0];
            }
        }
        let m = mean_of(&p, &RIGHT_EYE);
        assert_eq!(
            eye_centre(&p, &RIGHT_EYE, &RIGHT_LID_PAIRS, IRIS_CENTRES.0),
            m,
            "no iris: contour mean"
        );
        p.push([m[0] + 3.0, m[1] + 1.0, 0.0]);
        p.push([0.0; 3]);
        let c = eye_centre(&p, &RIGHT_EYE, &RIGHT_LID_PAIRS, IRIS_CENTRES.0);
        assert!(
            (c[0] - (m[0] + 3.0)).abs() < 1e-3 && (c[1] - (m[1] + 1.0)).abs() < 1e-3,
            "gaze: {c:?}"
        );
        p[IRIS_CENTRES.0] = [m[0] + 50.0, m[1] - 30.0, 0.0];
        let c = eye_centre(&p, &RIGHT_EYE, &RIGHT_LID_PAIRS, IRIS_CENTRES.0);
        assert!(
            c[0] < 112.0 && c[1] >= 95.0 && c[1] <= 105.0,
            "far iris clamped inside: {c:?}"
        );
    }
}
