//! The person matte (`alpha=matte`: MediaPipe selfie segmentation, `src/matte.rs`) on real
//! pictures: person over the face, background in the corners, MediaPipe's own probabilities,
//! any picture shape, a rectangle matted alone.

use gstfacereenact::face::Detection;
use gstfacereenact::matte::*;
use gstfacereenact::models::{person_segmenter, FaceModels};
use gstfacereenact::runtime::ExecutionProvider;
use image::imageops::{self, FilterType};
use image::{GrayImage, RgbImage};
use std::path::{Path, PathBuf};

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn segmenter() -> PersonSegmenter {
    person_segmenter(&models_dir(), ExecutionProvider::Cpu, 1).expect("segmentation model")
}

/// Real test media in tests/media (or $FACEREENACT_SHARED_MEDIA), as tests/common does.
fn shared_avatar(name: &str) -> RgbImage {
    let base = std::env::var_os("FACEREENACT_SHARED_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/media"));
    let p = base.join("avatar").join(name);
    image::open(&p)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}: the test media are in tests/media (or $FACEREENACT_SHARED_MEDIA)",
                p.display()
            )
        })
        .to_rgb8()
}

fn demo_astronaut() -> RgbImage {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".deps/media/astronaut.png");
    image::open(&p)
        .unwrap_or_else(|e| panic!("{}: {e}: run scripts/setup.sh first", p.display()))
        .to_rgb8()
}

/// Mean matte value (0..255) over the rectangle [x0, x1) x [y0, y1), clamped to the matte.
fn mean(matte: &GrayImage, (x0, y0, x1, y1): (f32, f32, f32, f32)) -> f32 {
    let (w, h) = matte.dimensions();
    let cx = |x: f32| (x.max(0.0) as u32).min(w);
    let cy = |y: f32| (y.max(0.0) as u32).min(h);
    let (mut sum, mut n) = (0u64, 0u64);
    for y in cy(y0)..cy(y1) {
        for x in cx(x0)..cx(x1) {
            sum += matte.get_pixel(x, y)[0] as u64;
            n += 1;
        }
    }
    assert!(n > 0, "empty region");
    sum as f32 / n as f32
}

/// The largest face the short-range detector finds in `picture`.
fn face_box(picture: &RgbImage) -> Detection {
    let models = FaceModels::load(&models_dir(), ExecutionProvider::Cpu, 1).expect("models");
    let mut faces = models.tracker().faces_in_still(picture).expect("detector");
    faces.sort_by(|a, b| (b.w * b.h).total_cmp(&(a.w * a.h)));
    faces.into_iter().next().expect("a face in a portrait")
}

/// A real portrait: the matte is person over the face (the inner half of the detector's
/// box: eyes, nose, mouth) and background in the top corners (an eighth of the picture's
/// side, above the head in these portraits).
fn check_portrait(picture: &RgbImage, what: &str) {
    let matte = segmenter().matte(picture).unwrap();
    assert_eq!(matte.dimensions(), picture.dimensions(), "{what}");
    let f = face_box(picture);
    let face = (
        f.cx - f.w / 4.0,
        f.cy - f.h / 4.0,
        f.cx + f.w / 4.0,
        f.cy + f.h / 4.0,
    );
    let face_mean = mean(&matte, face);
    assert!(face_mean > 230.0, "{what}: face {face_mean}");
    let (w, h) = (picture.width() as f32, picture.height() as f32);
    let c = w.min(h) / 8.0;
    for corner in [(0.0, 0.0, c, c), (w - c, 0.0, w, c)] {
        let m = mean(&matte, corner);
        assert!(m < 25.0, "{what}: corner {corner:?} {m}");
    }
}

#[test]
fn the_astronaut_is_a_person_over_her_face_and_not_in_the_corners() {
    check_portrait(&demo_astronaut(), "astronaut");
}

#[test]
fn real_portraits_are_people_over_the_face_and_not_in_the_corners() {
    for name in [
        "glasses_beard_400.jpg",
        "eyes_closed_480.png",
        "bw_photo_2048.jpg",
        "mona_lisa_720x1280.jpg",
    ] {
        check_portrait(&shared_avatar(name), name);
    }
}

/// MediaPipe's own TFLite model (selfie_segmentation.tflite of the mediapipe 0.10.14 wheel,
/// TFLite 2.21 with its XNNPACK delegate) on the demo astronaut stretched to 256x256 by
/// `tf.image.resize` (bilinear at pixel centres), RGB in 0..1: the mean probability of each
/// 32x32 block of its 256x256 output, rows top to bottom. Fed -1..1 instead, blocks move by
/// up to 0.13; fed BGR, by up to 0.95.
const ASTRONAUT_TFLITE_BLOCKS: [[f32; 8]; 8] = [
    [0.0, 0.0, 0.184, 0.705, 0.304, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.525, 1.0, 0.643, 0.0, 0.0, 0.0],
    [0.0, 0.031, 0.599, 1.0, 0.16, 0.0, 0.0, 0.0],
    [0.007, 0.592, 1.0, 1.0, 0.735, 0.026, 0.0, 0.0],
    [0.419, 1.0, 1.0, 1.0, 1.0, 0.564, 0.0, 0.0],
    [0.629, 1.0, 1.0, 1.0, 0.966, 0.9, 0.59, 0.119],
    [0.849, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.678],
    [0.886, 0.994, 0.989, 0.947, 0.999, 1.0, 1.0, 0.798],
];

#[test]
fn probabilities_match_mediapipes_tflite_model_on_the_astronaut() {
    let mut s = segmenter();
    let p = s.probabilities(&demo_astronaut()).unwrap();
    let mut worst = 0.0f32;
    for (by, row) in ASTRONAUT_TFLITE_BLOCKS.iter().enumerate() {
        for (bx, &expected) in row.iter().enumerate() {
            let mut sum = 0.0;
            for y in by * 32..(by + 1) * 32 {
                sum += p[y * INPUT_SIZE + bx * 32..y * INPUT_SIZE + (bx + 1) * 32]
                    .iter()
                    .sum::<f32>();
            }
            worst = worst.max((sum / 1024.0 - expected).abs());
        }
    }
    assert!(worst < 0.01, "max block difference {worst}");
}

#[test]
fn pictures_without_a_person_give_an_almost_empty_matte() {
    let mut s = segmenter();
    let flat = RgbImage::from_pixel(300, 200, image::Rgb([128, 140, 150]));
    let gradient = RgbImage::from_fn(320, 240, |x, y| {
        image::Rgb([(x * 255 / 319) as u8, (y * 255 / 239) as u8, 96])
    });
    for (what, picture) in [("flat", flat), ("gradient", gradient)] {
        let matte = s.matte(&picture).unwrap();
        let person = matte.pixels().filter(|p| p[0] >= 128).count();
        let m = mean(&matte, (0.0, 0.0, 1e9, 1e9));
        assert!(
            person * 100 < matte.len() && m < 10.0,
            "{what}: {person} person pixels, mean {m}"
        );
    }
}

#[test]
fn the_matte_has_the_pictures_size_whatever_its_shape() {
    let mut s = segmenter();
    let astronaut = demo_astronaut();
    for (w, h) in [(257, 131), (99, 401), (1, 1), (512, 255)] {
        let picture = imageops::resize(&astronaut, w, h, FilterType::Triangle);
        assert_eq!(s.matte(&picture).unwrap().dimensions(), (w, h));
    }
    assert_eq!(s.matte(&RgbImage::new(0, 7)).unwrap().dimensions(), (0, 7));
}

#[test]
fn a_stretched_portrait_keeps_its_matte_on_the_person() {
    // Squeezed to half its width the astronaut is still a person over her face, and the
    // matte follows the squeeze: the same matte, squeezed, within a few levels on average.
    let mut s = segmenter();
    let astronaut = demo_astronaut();
    let squeezed = imageops::resize(&astronaut, 256, 512, FilterType::Triangle);
    let matte = s.matte(&squeezed).unwrap();
    let reference = imageops::resize(
        &s.matte(&astronaut).unwrap(),
        256,
        512,
        FilterType::Triangle,
    );
    let diff: u64 = matte
        .pixels()
        .zip(reference.pixels())
        .map(|(a, b)| (a[0] as i32 - b[0] as i32).unsigned_abs() as u64)
        .sum();
    let mean_diff = diff as f32 / matte.len() as f32;
    assert!(mean_diff < 6.0, "mean difference {mean_diff}");
}

#[test]
fn a_rectangle_of_the_matte_is_the_full_mattes_and_the_rest_is_left_alone() {
    let picture = shared_avatar("mona_lisa_720x1280.jpg");
    let mut seg = segmenter();
    let full = seg.matte(&picture).unwrap();
    let mut alpha = RgbImage::from_pixel(picture.width(), picture.height(), image::Rgb([7; 3]));
    let rect = gstfacereenact::video::Rect {
        x0: 100,
        y0: 50,
        x1: 400,
        y1: 300,
    };
    seg.matte_rect_with(&picture, rect, |x, y, level| {
        alpha.put_pixel(x, y, image::Rgb([level; 3]))
    })
    .unwrap();
    let mut worst = 0u8;
    for (x, y, a) in alpha.enumerate_pixels() {
        let inside = (100..400).contains(&x) && (50..300).contains(&y);
        if inside {
            assert!(a.0[0] == a.0[1] && a.0[1] == a.0[2]);
            worst = worst.max(a.0[0].abs_diff(full.get_pixel(x, y).0[0]));
        } else {
            assert_eq!(a.0, [7; 3], "({x}, {y}) outside the rectangle was written");
        }
    }
    assert!(worst <= 1, "differs from the full matte by {worst} levels");
}
