//! Quality report: runs `facereenact` on a driving video and an avatar, writes a contact sheet
//! (actor | output | the output's head enlarged, every Nth frame) and prints a table of metrics measured with the project's
//! own landmarker.
//!
//!     cargo run --release --example report -- ACTOR.mp4 AVATAR.png OUT_DIR [EVERY_N] [ELEMENT PROPS...]
//!
//! Metrics (each over the frames where both actor and output have a face):
//! * `mouth`: Pearson correlation of mouth opening (inner-lip gap / eye-corner distance), actor vs output;
//! * `eyes`: the same for eye opening (sum of both eyes' lid gaps / eye-corner distance);
//! * `roll`, `yaw`: the same for head roll and yaw relative to the first frame (degrees, Umeyama
//!   pose on the rigid points: forehead, nose, eye corners, cheekbones);
//! * `bg`: largest per-frame mean absolute difference (0..255) between output and avatar picture
//!   outside the head region (the face oval pushed out 1.6x about its centre, 2.0x straight up:
//!   hair, ears, neck);
//! * `jitter`: output jitter / actor jitter, jitter being the mean second difference of the
//!   landmarks over time in eye-corner distances (1 = as steady as the actor, < 1 steadier);
//! * `head jitter`: the same over the rigid points only (the head's shaking, without expression);
//! * `drawn mouth/eyes/roll`: the `mouth`, `eyes` and `roll` correlations again, but with what
//!   the engine drew (the pose in each output frame's face meta, read back with
//!   `gstfacereenact::facereenact::face_meta::DrawnFace::read`) in place of the landmarker's
//!   reading of the output.
//!   Where these are high and the measured ones low, the shortfall is in how the landmarker reads
//!   the avatar back, not in the motion the avatar was given;
//! * `drawn jitter`: `jitter` again, with the drawn landmarks (from the same face meta) in place
//!   of the landmarker's reading of the output.
//!
//! The output's landmarks are tracked frame to frame like the actor's; with `REPORT_FIXED_CROP=1`
//! they are measured on one fixed crop around the avatar's face (no tracking loop).
//!
//! Needs scripts/setup.sh to have run (ONNX Runtime, models).

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};

use gstfacereenact::avatar::AvatarModel;
use gstfacereenact::face::eye_refiner::EyeRefiner;
use gstfacereenact::face::landmarker::Landmarker;
use gstfacereenact::face::mesh_topology::FACE_OVAL;
use gstfacereenact::face::spot::MIN_PRESENCE;
use gstfacereenact::face::FaceLandmarks;
use gstfacereenact::facereenact::face_meta::DrawnFace;
use gstfacereenact::models::{default_models_dir, FaceModels};
use gstfacereenact::motion::pose::{head_pose, RIGID_POINTS};
use gstfacereenact::quality::{eye_opening, mouth_opening, pearson};
use gstfacereenact::runtime::ExecutionProvider;
use image::{imageops, RgbImage};

/// The head region of the `bg` metric: the avatar's face oval pushed out this many times about
/// its centroid (ears, the top of the neck) ...
const HEAD_REGION_SCALE: f32 = 1.6;
/// ... and this much more straight up, fading to nothing sideways (the hair above the forehead:
/// the face oval's top is the hairline). Fixed here, independent of the engine's own band sizes,
/// so that changing the engine cannot move the goal posts.
const HEAD_REGION_HAIR: f32 = 0.4;

/// Metrics of one run (see the module docs).
struct Metrics {
    /// Index of the frame with the largest background change.
    worst_bg_frame: usize,
    /// Per-frame series (CSV): actor and output mouth, eyes, roll, yaw.
    csv: String,
    /// Actor's head roll range (max - min), degrees: below a few degrees the roll correlation
    /// is mostly landmark noise.
    roll_range: f32,
    frames: usize,
    with_face: usize,
    mouth: f32,
    eyes: f32,
    roll: f32,
    yaw: f32,
    background: f64,
    jitter: f32,
    head_jitter: f32,
    /// Correlation of the actor's mouth, eyes and roll with the drawn ones, over the frames that
    /// have both (NaN when the element re-posed no frame).
    drawn: [f32; 3],
    /// Jitter of the drawn landmarks / the actor's (see `jitter`); NaN without them.
    drawn_jitter: f32,
}

/// Head roll and yaw (degrees) of each frame relative to the first (Umeyama pose on rigid points).
fn pose_series(lms: &[&FaceLandmarks]) -> (Vec<f32>, Vec<f32>) {
    let first = &lms[0].points;
    lms.iter()
        .map(|l| {
            head_pose(first, &l.points)
                .map(|p| {
                    let (roll, yaw, _) = p.roll_yaw_pitch_deg();
                    (roll, yaw)
                })
                .unwrap_or((0.0, 0.0))
        })
        .unzip()
}

/// Whether (x, y) lies inside the polygon `poly` (even-odd rule).
fn inside(poly: &[(f32, f32)], x: f32, y: f32) -> bool {
    let mut c = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (xi, yi) = poly[i];
        let (xj, yj) = poly[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            c = !c;
        }
        j = i;
    }
    c
}

/// Landmarks of each output frame measured on one fixed crop, the avatar picture's own face crop
/// enlarged by a quarter, with eyelids refined: no frame-to-frame tracking loop, whose crop
/// feedback adds noise of its own. The avatar's head stays within that crop by construction
/// (see src/motion/limits.rs).
fn landmarks_on_fixed_crop(
    out: &[common::Frame],
    avatar: &AvatarModel,
) -> Vec<Option<FaceLandmarks>> {
    let models =
        FaceModels::load(&default_models_dir(), ExecutionProvider::Cpu, 1).expect("models");
    let mut landmarker = Landmarker::new(models.landmarker.session.clone());
    let mut eyes = EyeRefiner::new(models.iris.session.clone());
    let mut roi = avatar.landmarks.tracking_roi();
    roi.size *= 1.25;
    out.iter()
        .map(|f| {
            let mut lm = landmarker
                .landmarks(&f.image, 1.0, &roi)
                .expect("inference");
            if lm.presence < MIN_PRESENCE {
                return None;
            }
            eyes.refine(&f.image, 1.0, &mut lm).expect("inference");
            Some(lm)
        })
        .collect()
}

fn measure(
    actor: &[common::Frame],
    out: &[common::Frame],
    avatar: &AvatarModel,
    drawn: &[Option<DrawnFace>],
) -> Metrics {
    let actor_lm = common::landmarks_of(actor);
    let out_lm = if std::env::var_os("REPORT_FIXED_CROP").is_some() {
        landmarks_on_fixed_crop(out, avatar)
    } else {
        common::landmarks_of(out)
    };
    let pairs: Vec<(usize, &FaceLandmarks, &FaceLandmarks)> = actor_lm
        .iter()
        .zip(&out_lm)
        .enumerate()
        .filter_map(|(i, (a, o))| Some((i, a.as_ref()?, o.as_ref()?)))
        .collect();
    let a: Vec<&FaceLandmarks> = pairs.iter().map(|p| p.1).collect();
    let o: Vec<&FaceLandmarks> = pairs.iter().map(|p| p.2).collect();
    let series = |f: &dyn Fn(&FaceLandmarks) -> f32, v: &[&FaceLandmarks]| {
        v.iter().map(|l| f(l)).collect::<Vec<f32>>()
    };
    let corr = |f: &dyn Fn(&FaceLandmarks) -> f32| {
        pearson(&series(f, &a), &series(f, &o)).unwrap_or(f32::NAN)
    };

    let (actor_pose, out_pose) = (pose_series(&a), pose_series(&o));
    let all: Vec<usize> = (0..468).collect();
    let eyes = |l: &FaceLandmarks| eye_opening(l).iter().sum::<f32>();
    let pts = &avatar.landmarks.points;
    let (cx, cy) = FACE_OVAL
        .iter()
        .fold((0.0, 0.0), |s, &i| (s.0 + pts[i][0], s.1 + pts[i][1]));
    let (cx, cy) = (cx / FACE_OVAL.len() as f32, cy / FACE_OVAL.len() as f32);
    let head: Vec<(f32, f32)> = FACE_OVAL
        .iter()
        .map(|&i| {
            let (dx, dy) = (pts[i][0] - cx, pts[i][1] - cy);
            // Upward share in the face's own frame (eye line from landmark 33 to 263).
            let (ex, ey) = (pts[263][0] - pts[33][0], pts[263][1] - pts[33][1]);
            let up = ((dx * ey - dy * ex)
                / ((dx * dx + dy * dy) * (ex * ex + ey * ey)).sqrt().max(1e-3))
            .max(0.0);
            let k = HEAD_REGION_SCALE + HEAD_REGION_HAIR * up;
            (cx + dx * k, cy + dy * k)
        })
        .collect();
    let bg_series: Vec<f64> = out
        .iter()
        .map(|f| {
            common::mean_abs_diff(&f.image, &avatar.image, |x, y| {
                !inside(&head, x as f32 + 0.5, y as f32 + 0.5)
            })
        })
        .collect();
    let mut csv = String::from("frame,background,actor_mouth,output_mouth,actor_eyes,output_eyes,actor_roll,output_roll,actor_yaw,output_yaw\n");
    for k in 0..a.len() {
        csv += &format!(
            "{},{:.3},{:.4},{:.4},{:.4},{:.4},{:.2},{:.2},{:.2},{:.2}\n",
            pairs[k].0,
            bg_series[pairs[k].0],
            mouth_opening(a[k]),
            mouth_opening(o[k]),
            eyes(a[k]),
            eyes(o[k]),
            actor_pose.0[k],
            out_pose.0[k],
            actor_pose.1[k],
            out_pose.1[k]
        );
    }
    // The actor's series against the drawn ones, over the frames that have a drawn pose.
    let with_drawn: Vec<usize> = (0..pairs.len())
        .filter(|&k| drawn.get(pairs[k].0).is_some_and(|d| d.is_some()))
        .collect();
    let drawn_corr = |actor_value: &dyn Fn(usize) -> f32,
                      drawn_value: &dyn Fn(&DrawnFace) -> f32| {
        let a: Vec<f32> = with_drawn.iter().map(|&k| actor_value(k)).collect();
        let d: Vec<f32> = with_drawn
            .iter()
            .map(|&k| drawn_value(drawn[pairs[k].0].as_ref().expect("filtered")))
            .collect();
        pearson(&a, &d).unwrap_or(f32::NAN)
    };
    let drawn_correlations = [
        drawn_corr(&|k| mouth_opening(a[k]), &|d| d.mouth),
        drawn_corr(&|k| eyes(a[k]), &|d| d.eyes[0] + d.eyes[1]),
        drawn_corr(&|k| actor_pose.0[k], &|d| d.roll_yaw_pitch.0),
    ];
    // The drawn landmarks' jitter against the actor's, over the frames that have both.
    let (mut actor_lms, mut drawn_lms) = (vec![], vec![]);
    for (k, &(i, _, _)) in pairs.iter().enumerate() {
        if let Some(Some(d)) = drawn.get(i) {
            actor_lms.push(a[k]);
            drawn_lms.push(FaceLandmarks {
                points: d.landmarks.iter().map(|p| [p[0], p[1], 0.0]).collect(),
                presence: 1.0,
            });
        }
    }
    let drawn_lms: Vec<&FaceLandmarks> = drawn_lms.iter().collect();
    let drawn_jitter = if drawn_lms.len() < 3 {
        f32::NAN
    } else {
        common::landmark_jitter(&drawn_lms, &all)
            / common::landmark_jitter(&actor_lms, &all).max(1e-9)
    };
    let roll_range = actor_pose.0.iter().fold(f32::MIN, |m, &x| m.max(x))
        - actor_pose.0.iter().fold(f32::MAX, |m, &x| m.min(x));
    let (worst_bg_frame, background) =
        bg_series
            .iter()
            .enumerate()
            .fold((0, 0.0), |m, (i, &b)| if b > m.1 { (i, b) } else { m });

    Metrics {
        worst_bg_frame,
        csv,
        roll_range,
        frames: out.len(),
        with_face: pairs.len(),
        mouth: corr(&mouth_opening),
        eyes: corr(&eyes),
        roll: pearson(&actor_pose.0, &out_pose.0).unwrap_or(f32::NAN),
        yaw: pearson(&actor_pose.1, &out_pose.1).unwrap_or(f32::NAN),
        background,
        jitter: common::landmark_jitter(&o, &all) / common::landmark_jitter(&a, &all).max(1e-9),
        head_jitter: common::landmark_jitter(&o, &RIGID_POINTS)
            / common::landmark_jitter(&a, &RIGID_POINTS).max(1e-9),
        drawn: drawn_correlations,
        drawn_jitter,
    }
}

/// Actor | output | output's head region enlarged, one row for every `every`-th frame, each
/// picture fitted into 256x256. `head` is the head region's square (x, y, side) in avatar pixels.
fn contact_sheet(
    actor: &[common::Frame],
    out: &[common::Frame],
    every: usize,
    head: (u32, u32, u32),
) -> RgbImage {
    const CELL: u32 = 256;
    let rows: Vec<usize> = (0..out.len()).step_by(every.max(1)).collect();
    let mut sheet =
        RgbImage::from_pixel(3 * CELL, CELL * rows.len() as u32, image::Rgb([32, 32, 32]));
    for (r, &i) in rows.iter().enumerate() {
        let zoom = imageops::crop_imm(&out[i].image, head.0, head.1, head.2, head.2).to_image();
        for (c, img) in [&actor[i].image, &out[i].image, &zoom]
            .into_iter()
            .enumerate()
        {
            let scale = CELL as f32 / img.width().max(img.height()) as f32;
            let (w, h) = (
                (img.width() as f32 * scale) as u32,
                (img.height() as f32 * scale) as u32,
            );
            let small = imageops::resize(img, w.max(1), h.max(1), imageops::FilterType::Triangle);
            imageops::overlay(
                &mut sheet,
                &small,
                (c as u32 * CELL + (CELL - w) / 2) as i64,
                (r as u32 * CELL + (CELL - h) / 2) as i64,
            );
        }
    }
    sheet
}

/// The square around the avatar's face oval, 1.3x its larger side, clipped to the picture.
fn head_square(avatar: &AvatarModel) -> (u32, u32, u32) {
    let pts = &avatar.landmarks.points;
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &i in &FACE_OVAL {
        x0 = x0.min(pts[i][0]);
        y0 = y0.min(pts[i][1]);
        x1 = x1.max(pts[i][0]);
        y1 = y1.max(pts[i][1]);
    }
    let (w, h) = avatar.size();
    let side = ((x1 - x0).max(y1 - y0) * 1.3).min(w.min(h) as f32) as u32;
    let cx = ((x0 + x1) / 2.0 - side as f32 / 2.0).clamp(0.0, (w - side) as f32) as u32;
    let cy = ((y0 + y1) / 2.0 - side as f32 / 2.0).clamp(0.0, (h - side) as f32) as u32;
    (cx, cy, side.max(1))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: report ACTOR_VIDEO AVATAR_PICTURE OUT_DIR [EVERY_N] [ELEMENT PROPS...]");
        std::process::exit(2);
    }
    let (actor_path, avatar_path, out_dir) = (
        Path::new(&args[0]),
        Path::new(&args[1]),
        PathBuf::from(&args[2]),
    );
    let every: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(40);
    let props = args.get(4..).map(|p| p.join(" ")).unwrap_or_default();
    std::fs::create_dir_all(&out_dir).expect("create the output folder");

    common::init();
    let actor = common::decode(actor_path);
    let (out, drawn) = common::reenact_drawn(actor_path, avatar_path, &props);
    let avatar = common::load_avatar(avatar_path);
    let m = measure(&actor, &out, &avatar, &drawn);

    let stem = |p: &Path| p.file_stem().unwrap().to_string_lossy().into_owned();
    let sheet_path = out_dir.join(format!("{}__{}.png", stem(actor_path), stem(avatar_path)));
    contact_sheet(&actor, &out, every, head_square(&avatar))
        .save(&sheet_path)
        .expect("write the contact sheet");
    std::fs::write(sheet_path.with_extension("csv"), &m.csv).expect("write the series");
    out[m.worst_bg_frame]
        .image
        .save(sheet_path.with_extension("worst_bg.png"))
        .expect("write the worst background frame");
    println!("| actor | avatar | frames | with face | mouth | eyes | roll (actor range) | yaw | bg (/255) | jitter | head jitter | drawn mouth/eyes/roll | drawn jitter | sheet |");
    println!(
        "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} ({:.1}°) | {:.3} | {:.2} | {:.2} | {:.2} | {:.3}/{:.3}/{:.3} | {:.2} | {} |",
        stem(actor_path),
        stem(avatar_path),
        m.frames,
        m.with_face,
        m.mouth,
        m.eyes,
        m.roll,
        m.roll_range,
        m.yaw,
        m.background,
        m.jitter,
        m.head_jitter,
        m.drawn[0],
        m.drawn[1],
        m.drawn[2],
        m.drawn_jitter,
        sheet_path.display()
    );
}
