//! Broadcast overlays (issue 14): the output's alpha (the avatar picture's own, or a computed
//! person matte) warped with the head, the caps it negotiates, the warnings when it cannot be
//! carried, and the face metadata on every output buffer, read back as downstream would.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gst_video::VideoRegionOfInterestMeta;
use image::{Rgba, RgbaImage};

/// Frames of talk_wink_480 the tests run (the head turns and talks in them).
const FRAMES: usize = 120;

/// Centre and radii (pixels) of the opaque ellipse of the test avatar: the astronaut's head and
/// a little around it, so that the moving band of the warp crosses the silhouette.
const ELLIPSE: ([f32; 2], [f32; 2]) = ([225.0, 135.0], [95.0, 125.0]);

/// astronaut_512 with an alpha: opaque inside [`ELLIPSE`], a 3-pixel ramp, transparent (and
/// black, as many PNG exporters leave it) outside. Written once per test into its temp folder.
fn avatar_with_alpha() -> PathBuf {
    let ([cx, cy], [rx, ry]) = ELLIPSE;
    let mut img = common::with_alpha(&common::astronaut_picture(), |x, y| {
        let d = (((x as f32 - cx) / rx).powi(2) + ((y as f32 - cy) / ry).powi(2)).sqrt();
        let a = ((1.0 - d) * rx / 3.0).clamp(0.0, 1.0);
        (a * 255.0).round() as u8
    });
    for p in img.pixels_mut().filter(|p| p[3] == 0) {
        *p = Rgba([0, 0, 0, 0]);
    }
    let path = common::tempdir().join("astronaut_alpha.png");
    img.save(&path).unwrap();
    path
}

/// A face ROI meta: its box (x, y, width, height), its pose structure, its actor structure.
type FaceMeta = ((u32, u32, u32, u32), gst::Structure, Option<gst::Structure>);

/// One output frame: its caps' format, its pixels as RGBA (from the negotiated format), and
/// its face meta (box, pose structure, actor structure).
struct Out {
    format: gst_video::VideoFormat,
    rgba: RgbaImage,
    roi: Option<FaceMeta>,
}

/// Runs talk_wink_480 (first [`FRAMES`] frames) through `facereenact <props>` and `tail`
/// (elements before the appsink), returning the frames and the bus warnings' messages.
fn run(props: &str, tail: &str) -> (Vec<Out>, Vec<String>) {
    let launch = format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! identity eos-after={FRAMES} \
         ! facereenact {props} {tail} ! appsink name=sink sync=false",
        common::shared_media("driving/talk_wink_480.mp4").display()
    );
    let frames = Arc::new(Mutex::new(Vec::new()));
    let out = frames.clone();
    let warnings = common::run_to_sink_with(
        &launch,
        |_| {},
        300,
        move |sample| {
            let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
            let buffer = sample.buffer().unwrap();
            let rgba = common::rgba_image_of(buffer, &info);
            let roi = buffer.meta::<VideoRegionOfInterestMeta>().map(|m| {
                assert_eq!(m.roi_type(), "face");
                (
                    m.rect(),
                    m.param("facereenact/pose").expect("pose params").to_owned(),
                    m.param("facereenact/actor").map(|s| s.to_owned()),
                )
            });
            out.lock().unwrap().push(Out {
                format: info.format(),
                rgba,
                roi,
            });
        },
    );
    let frames = std::mem::take(&mut *frames.lock().unwrap());
    assert!(frames.len() >= FRAMES, "{} frames", frames.len());
    (frames, warnings)
}

fn avatar_prop(path: &Path) -> String {
    format!("avatar=\"{}\"", path.display())
}

#[test]
fn a_transparent_avatar_stays_transparent_around_its_warped_head() {
    let avatar = avatar_with_alpha();
    let own = image::open(&avatar).unwrap().to_rgba8();
    let (frames, warnings) = run(&format!("{} alpha=picture", avatar_prop(&avatar)), "");
    assert!(warnings.is_empty(), "{warnings:?}");
    let ([cx, cy], [rx, ry]) = ELLIPSE;
    let mut moved_frames = 0;
    for (k, f) in frames.iter().enumerate() {
        assert_eq!(
            f.format,
            gst_video::VideoFormat::Rgba,
            "an alpha format is negotiated by itself"
        );
        let mut silhouette_moved = 0;
        for (x, y, p) in f.rgba.enumerate_pixels() {
            let d = (((x as f32 - cx) / rx).powi(2) + ((y as f32 - cy) / ry).powi(2)).sqrt();
            if d > 1.9 {
                // Far outside the head's moving band: transparent, as in the picture.
                assert_eq!(p[3], 0, "frame {k} ({x}, {y}) far from the head");
            }
            if d < 0.3 {
                assert_eq!(p[3], 255, "frame {k} ({x}, {y}) in the face");
            }
            if (p[3] as i32 - own.get_pixel(x, y)[3] as i32).abs() > 128 {
                silhouette_moved += 1;
            }
        }
        if silhouette_moved >= 20 {
            moved_frames += 1;
        }
    }
    // The head nods and turns now and then in these frames (measured: 20 or more silhouette
    // pixels moved in 66 of 123 frames, up to 342): the silhouette (the alpha) moves with it.
    // Alpha copied unwarped from the picture moves in none.
    assert!(
        moved_frames > frames.len() / 3,
        "the alpha moved in only {moved_frames} of {} frames",
        frames.len()
    );
}

#[test]
fn an_opaque_avatar_keeps_the_input_format_and_a_picture_without_alpha_is_named() {
    let avatar = common::shared_media("avatar/glasses_beard_400.jpg");
    // Default: opaque, the input's format (videoconvert passes decodebin's I420 through).
    let (frames, warnings) = run(&avatar_prop(&avatar), "");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(frames[0].format, gst_video::VideoFormat::I420);
    // alpha=picture on a JPEG: an alpha format, every pixel opaque, and a warning naming it.
    let (frames, warnings) = run(&format!("{} alpha=picture", avatar_prop(&avatar)), "");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("glasses_beard_400.jpg") && w.contains("no alpha channel")),
        "{warnings:?}"
    );
    assert_eq!(frames[0].format, gst_video::VideoFormat::Rgba);
    assert!(frames.iter().all(|f| f.rgba.pixels().all(|p| p[3] == 255)));
}

#[test]
fn an_alpha_downstream_cannot_carry_is_composited_over_white_with_a_warning() {
    let avatar = avatar_with_alpha();
    let (frames, warnings) = run(
        &format!("{} alpha=picture", avatar_prop(&avatar)),
        "! video/x-raw,format=RGB",
    );
    assert_eq!(frames[0].format, gst_video::VideoFormat::Rgb);
    assert!(
        warnings.iter().any(|w| w.contains("alpha=picture")
            && w.contains("RGB")
            && w.contains("composited over white")),
        "{warnings:?}"
    );
    // The picture stores black under its transparency: the output shows white there, as an
    // avatar without `alpha` does, and the face in its own colours.
    let ([cx, cy], _) = ELLIPSE;
    for (k, f) in frames.iter().enumerate() {
        assert_eq!(f.rgba.get_pixel(5, 5).0, [255, 255, 255, 255], "frame {k}");
        assert_eq!(
            f.rgba.get_pixel(506, 500).0,
            [255, 255, 255, 255],
            "frame {k}"
        );
        assert_ne!(
            f.rgba.get_pixel(cx as u32, cy as u32).0,
            [255, 255, 255, 255]
        );
    }
}

#[test]
fn a_matte_cuts_a_person_out_of_a_picture_without_alpha() {
    let avatar = common::shared_media("avatar/mona_lisa_720x1280.jpg");
    let (frames, warnings) = run(&format!("{} alpha=matte", avatar_prop(&avatar)), "");
    assert!(warnings.is_empty(), "{warnings:?}");
    let f = &frames[frames.len() - 1];
    let (w, h) = f.rgba.dimensions();
    let alpha = |x: u32, y: u32| f.rgba.get_pixel(x, y)[3];
    // The landscape in the top corners is cut away; the face (its meta box) is kept.
    for (x, y) in [(20, 20), (w - 20, 20), (40, h / 3)] {
        assert!(
            alpha(x, y) < 30,
            "background ({x}, {y}): alpha {}",
            alpha(x, y)
        );
    }
    let ((bx, by, bw, bh), _, _) = f.roi.clone().expect("face meta");
    assert!(alpha(bx + bw / 2, by + bh / 2) > 240, "the face is opaque");
}

#[test]
fn every_frame_carries_the_drawn_face_and_the_actors_face_box() {
    let avatar = common::shared_media("avatar/astronaut_512.png");
    let (frames, _) = run(&avatar_prop(&avatar), "");
    let mut yaws = Vec::new();
    for (k, f) in frames.iter().enumerate() {
        let (rect, pose, actor) = f
            .roi
            .clone()
            .unwrap_or_else(|| panic!("frame {k}: no meta"));
        let (x, y, w, h) = rect;
        assert!(
            x + w <= 512 && y + h <= 512 && w > 60 && h > 60,
            "frame {k}: {rect:?}"
        );
        assert!(pose.get::<bool>("reenacted").unwrap(), "frame {k}");
        let lm = pose.get::<gst::Array>("landmarks").unwrap();
        assert_eq!(lm.len(), 936);
        for p in lm.as_slice().chunks(2) {
            let (px, py) = (p[0].get::<f32>().unwrap(), p[1].get::<f32>().unwrap());
            assert!(
                px >= x as f32 - 1.0 && px <= (x + w) as f32 + 1.0,
                "frame {k}: landmark x {px} outside {rect:?}"
            );
            assert!(py >= y as f32 - 1.0 && py <= (y + h) as f32 + 1.0);
        }
        yaws.push(pose.get::<f64>("yaw").unwrap());
        // The actor's face in the 480x480 actor frame: a talking head about 40 % of its width.
        let actor = actor.expect("actor params");
        let (ax, ay, aw, ah) = (
            actor.get::<u32>("x").unwrap(),
            actor.get::<u32>("y").unwrap(),
            actor.get::<u32>("width").unwrap(),
            actor.get::<u32>("height").unwrap(),
        );
        assert!(ax + aw <= 480 && ay + ah <= 480, "frame {k}");
        assert!(
            (120..400).contains(&aw) && (120..400).contains(&ah),
            "frame {k}: {aw}x{ah}"
        );
    }
    // The meta follows the head: its yaw is not a constant.
    let (lo, hi) = yaws
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &y| (l.min(y), h.max(y)));
    assert!(hi - lo > 2.0, "yaw from {lo} to {hi} degrees");
}

#[test]
fn the_face_meta_comes_out_of_a_harness_only_once_a_face_was_seen() {
    let frames = common::decode_scaled(
        &common::shared_media("driving/talk_wink_480.mp4"),
        240,
        240,
        20,
    );
    let avatar = common::shared_media("avatar/astronaut_512.png");
    let mut h = common::reenact_harness(&avatar, &[], "width=240,height=240,framerate=30/1");
    let ns = 1_000_000_000 / 30;
    let meta_of = |b: &gst::Buffer| {
        b.meta::<VideoRegionOfInterestMeta>().map(|m| {
            let pose = m.param("facereenact/pose").unwrap();
            (m.rect(), pose.get::<bool>("reenacted").unwrap())
        })
    };
    // A blank frame first: no face seen yet, so no meta.
    let blank = image::RgbImage::new(240, 240);
    h.push(common::rgbx_buffer(
        &blank,
        Some(gst::ClockTime::ZERO),
        None,
    ))
    .unwrap();
    assert!(
        meta_of(&h.pull().unwrap()).is_none(),
        "no face yet: no meta"
    );
    for (i, f) in frames.iter().enumerate() {
        let pts = gst::ClockTime::from_nseconds((i as u64 + 1) * ns);
        h.push(common::rgbx_buffer(&f.image, Some(pts), None))
            .unwrap();
        let out = h.pull().unwrap();
        let (rect, reenacted) = meta_of(&out).unwrap_or_else(|| panic!("frame {i}: no meta"));
        assert!(reenacted, "frame {i}");
        assert!(
            rect.0 + rect.2 <= 512 && rect.1 + rect.3 <= 512,
            "frame {i}: {rect:?}"
        );
    }
    // A blank frame again: the meta stays (the held pose), marked not re-enacted.
    let pts = gst::ClockTime::from_nseconds((frames.len() as u64 + 1) * ns);
    h.push(common::rgbx_buffer(&blank, Some(pts), None))
        .unwrap();
    assert_eq!(meta_of(&h.pull().unwrap()).map(|m| m.1), Some(false));
}
