//! Pose contact sheets: each avatar re-posed by the embedded mesh engine's warp at a range of
//! head yaws or pitches, with no actor and no pose limit in between (the head rotation is applied
//! to the avatar's own neutral landmarks about their head centre, as `motion::transfer` does; the
//! expression is the avatar's own). Rows are avatars, columns angles; each cell is the head region
//! (everything the warp can move), with the angle in degrees written under it. Used to choose the
//! pose limits of `src/motion/limits.rs` by eye.
//!
//!     cargo run --example pose_sheet -- OUT_DIR [yaw|pitch] [FROM TO STEP] [CELL_PX] [AVATAR...]
//!
//! Defaults: yaw, -40 40 5, 160 px cells, the avatars mona_lisa_720x1280.jpg,
//! glasses_beard_400.jpg, astronaut_512.png, bw_photo_2048.jpg, eyes_closed_480.png of
//! tests/media/avatar (or `$FACEREENACT_SHARED_MEDIA/avatar`). Writes `OUT_DIR/pose_<axis>.png`
//! and prints, per avatar and angle, the largest stretch of the head's outer band (hair, ears:
//! the largest singular value of each band triangle's warp, see
//! `WarpMesh::band_stretch`).
//!
//! Yaw > 0 turns the face towards the picture's left (the avatar's right), pitch > 0 lowers the
//! chin (rotations in landmark coordinates: x right, y down, z into the picture). The label under
//! a cell is red where the angle lies past the limit of `src/motion/limits.rs` (which the avatar
//! never reaches).
//!
//! Needs scripts/setup.sh to have run (ONNX Runtime, models).

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};

use gstfacereenact::avatar::AvatarModel;
use gstfacereenact::engine::mesh_avatar::MeshAvatar;
use gstfacereenact::models::{default_models_dir, FaceModels};
use gstfacereenact::motion::limits::{MAX_PITCH_DOWN_DEG, MAX_PITCH_UP_DEG, MAX_YAW_DEG};
use gstfacereenact::motion::TargetPose;
use gstfacereenact::render::mouth::{draw_mouth_interior, ColourMatch, MouthSource};
use gstfacereenact::render::CanvasRows;
use gstfacereenact::runtime::ExecutionProvider;
use image::{imageops, Rgb, RgbImage};

const AVATARS: [&str; 5] = [
    "mona_lisa_720x1280.jpg",
    "glasses_beard_400.jpg",
    "astronaut_512.png",
    "bw_photo_2048.jpg",
    "eyes_closed_480.png",
];

/// 3x5 bitmaps of '0'..'9' and '-' (rows top to bottom, 3 bits each, most significant left).
const GLYPHS: [[u8; 5]; 11] = [
    [7, 5, 5, 5, 7],
    [2, 6, 2, 2, 7],
    [7, 1, 7, 4, 7],
    [7, 1, 7, 1, 7],
    [5, 5, 7, 1, 1],
    [7, 4, 7, 1, 7],
    [7, 4, 7, 5, 7],
    [7, 1, 1, 1, 1],
    [7, 5, 7, 5, 7],
    [7, 5, 7, 1, 7],
    [0, 0, 7, 0, 0],
];

/// Writes `text` (digits and '-') at (`x`, `y`) in `scale`-pixel dots.
fn write_number(img: &mut RgbImage, text: &str, x: u32, y: u32, scale: u32) {
    for (k, ch) in text.chars().enumerate() {
        let g = match ch {
            '-' => GLYPHS[10],
            d => GLYPHS[d.to_digit(10).unwrap_or(0) as usize],
        };
        for (row, bits) in g.iter().enumerate() {
            for col in 0..3 {
                if bits >> (2 - col) & 1 == 1 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            let px = x + (k as u32 * 4 + col) * scale + dx;
                            let py = y + row as u32 * scale + dy;
                            if px < img.width() && py < img.height() {
                                img.put_pixel(px, py, Rgb([255, 255, 255]));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The avatar drawn at `target` (the engine's drawing order: band, mouth interior, face), and
/// the largest outer-band stretch.
fn render(avatar: &AvatarModel, target: &TargetPose) -> (RgbImage, f32) {
    let mut mesh = MeshAvatar::of(avatar).mesh;
    mesh.pose(target);
    mesh.sort_by_depth();
    let mut canvas = avatar.image.clone();
    let mut rows = CanvasRows::of(&mut canvas);
    mesh.draw_band(&mut rows, &avatar.image);
    let own = MouthSource {
        image: &avatar.image,
        par: 1.0,
        points: &avatar.landmarks.points,
    };
    let drawn = draw_mouth_interior(&mut rows, own, own, &target.points, ColourMatch::NONE);
    mesh.draw_face(&mut rows, &avatar.image, drawn);
    let stretch = mesh.band_stretch();
    (canvas, stretch)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out_dir = PathBuf::from(args.first().map_or("pose_sheets", |s| s.as_str()));
    let axis = args.get(1).map_or("yaw", |s| s.as_str()).to_string();
    let num = |i: usize, d: f32| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (from, to, step, cell) = (num(2, -40.0), num(3, 40.0), num(4, 5.0), num(5, 160.0));
    let names: Vec<String> = if args.len() > 6 {
        args[6..].to_vec()
    } else {
        AVATARS.iter().map(|s| s.to_string()).collect()
    };
    let base = std::env::var_os("FACEREENACT_SHARED_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/media"));
    gstfacereenact::runtime::ensure_loaded().expect("ONNX Runtime");
    let models =
        FaceModels::load(&default_models_dir(), ExecutionProvider::Cpu, 2).expect("models");
    let mut tracker = models.tracker();

    let angles: Vec<f32> = (0..)
        .map(|k| from + step * k as f32)
        .take_while(|a| *a <= to + 1e-3)
        .collect();
    let cell = cell as u32;
    let label = 24;
    let mut sheet = RgbImage::from_pixel(
        cell * angles.len() as u32,
        (cell + label) * names.len() as u32,
        Rgb([40, 40, 40]),
    );
    for (row, name) in names.iter().enumerate() {
        let path = if Path::new(name).is_file() {
            PathBuf::from(name)
        } else {
            base.join("avatar").join(name)
        };
        let avatar = AvatarModel::load(&path, &mut tracker).expect("avatar");
        let (x0, y0, x1, y1) = MeshAvatar::of(&avatar).mesh.moving_region();
        let (w, h) = avatar.image.dimensions();
        let side = (x1 - x0).max(y1 - y0);
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let sx = (cx - side / 2.0).clamp(0.0, (w as f32 - side).max(0.0)) as u32;
        let sy = (cy - side / 2.0).clamp(0.0, (h as f32 - side).max(0.0)) as u32;
        let side = (side as u32).min(w - sx).min(h - sy);
        print!("{name:28}");
        for (col, &a) in angles.iter().enumerate() {
            let (yaw, pitch) = if axis == "pitch" { (0.0, a) } else { (a, 0.0) };
            let (img, stretch) = render(
                &avatar,
                &common::turned(&MeshAvatar::of(&avatar).neutral, yaw, pitch),
            );
            print!(" {a:+.0}:{stretch:.2}");
            let crop = imageops::crop_imm(&img, sx, sy, side, side).to_image();
            let small = imageops::resize(&crop, cell, cell, imageops::FilterType::Triangle);
            let (ox, oy) = (col as u32 * cell, row as u32 * (cell + label));
            imageops::replace(&mut sheet, &small, ox as i64, oy as i64);
            let limit = match (axis == "pitch", a < 0.0) {
                (false, _) => MAX_YAW_DEG,
                (true, true) => MAX_PITCH_UP_DEG,
                (true, false) => MAX_PITCH_DOWN_DEG,
            };
            if a.abs() > limit {
                for y in oy + cell..oy + cell + label {
                    for x in ox..ox + cell {
                        sheet.put_pixel(x, y, Rgb([150, 30, 30]));
                    }
                }
            }
            write_number(&mut sheet, &format!("{a:.0}"), ox + 4, oy + cell + 4, 3);
        }
        println!();
    }
    std::fs::create_dir_all(&out_dir).expect("output folder");
    let out = out_dir.join(format!("pose_{axis}.png"));
    sheet.save(&out).expect("write the sheet");
    println!("wrote {}", out.display());
}
