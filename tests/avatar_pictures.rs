//! Avatar pictures that are not a plain 8-bit RGB PNG or JPEG: absurd sizes, odd sizes,
//! transparency, other colour types, truncated files. Each is built in code from a real avatar.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use common::*;
use gst::prelude::*;
use gstfacereenact::avatar::{decode_picture, AvatarError, AvatarModel};
use image::{GrayImage, Rgb, RgbImage};

/// Records the largest single allocation made on each thread, so that a test can show that a
/// picture was refused without its pixel buffer ever being requested.
struct LargestAllocation;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// Runs `f` and returns its result with the largest single allocation it made, bytes.
fn largest_allocation_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    let out = f();
    (out, LARGEST.with(|l| l.get()))
}

const SRC: &str = "videotestsrc num-buffers=5 ! video/x-raw,format=RGBx,width=64,height=64";

fn astronaut() -> RgbImage {
    image::open(shared_media("avatar/astronaut_512.png"))
        .unwrap()
        .to_rgb8()
}

/// Writes a PNG of `w`x`h` pixels of `color` and `depth` (`data` as the PNG stores it).
fn write_png(
    path: &Path,
    (w, h): (u32, u32),
    color: png::ColorType,
    depth: png::BitDepth,
    palette: Option<Vec<u8>>,
    data: &[u8],
) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut encoder = png::Encoder::new(file, w, h);
    encoder.set_color(color);
    encoder.set_depth(depth);
    if let Some(p) = palette {
        encoder.set_palette(p);
    }
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(data).unwrap();
    writer.finish().unwrap();
}

/// A PNG whose header declares `w`x`h` RGBA pixels and whose data is a few bytes: a naive
/// decoder allocates `w * h * 4` bytes before finding out.
fn png_declaring(path: &Path, w: u32, h: u32) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = png::Encoder::new(file, w, h);
    encoder.set_color(png::ColorType::Rgba);
    let mut writer = encoder.write_header().unwrap();
    // One zlib stream holding one stored block of five zero bytes (a filter byte and one pixel).
    let mut idat = vec![0x78, 0x01, 0x01, 0x05, 0x00, 0xFA, 0xFF];
    idat.extend([0; 5]);
    idat.extend([0x00, 0x05, 0x00, 0x01]); // Adler-32 of five zero bytes
    writer.write_chunk(png::chunk::IDAT, &idat).unwrap();
    // Dropping the writer writes IEND.
}

/// Loads `path` as an avatar (decode, find the face) or panics with the error.
fn loads_with_a_face(path: &Path) -> AvatarModel {
    AvatarModel::load(path, &mut tracker()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn pictures_declaring_too_many_pixels_are_refused_before_their_pixels_are_allocated() {
    let dir = tempdir();
    for (w, h) in [(20000, 20000), (16385, 64), (10000, 7000)] {
        let path = dir.join(format!("declares_{w}x{h}.png"));
        png_declaring(&path, w, h);
        assert!(std::fs::metadata(&path).unwrap().len() < 100);
        let (result, largest) = largest_allocation_of(|| decode_picture(&path));
        println!("{w}x{h}: largest allocation while refusing it: {largest} bytes");
        assert!(largest < 1 << 20, "{w}x{h}: allocated {largest} bytes");
        let err = result.unwrap_err();
        assert!(matches!(err, AvatarError::TooLarge(..)), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains(&path.display().to_string())
                && msg.contains(&format!("{w}x{h}"))
                && msg.contains("16384")
                && msg.contains("64 megapixels")
                && msg.contains("scale it down"),
            "{msg}"
        );
    }
    let bomb = dir.join("declares_20000x20000.png");
    let (err, _) = first_error(&format!(
        "{SRC} ! facereenact avatar={} ! fakesink",
        bomb.display()
    ));
    assert!(err.matches(gst::ResourceError::OpenRead), "{err}");
    assert!(err.message().contains("scale it down"), "{err}");
}

#[test]
fn an_odd_sized_avatar_is_padded_to_even_and_encodes_to_h264_420() {
    let original = astronaut();
    let cropped = image::imageops::crop_imm(&original, 100, 20, 301, 257).to_image();
    let path = tempdir().join("odd_301x257.png");
    cropped.save(&path).unwrap();

    let decoded = decode_picture(&path).unwrap();
    assert_eq!(decoded.dimensions(), (302, 258));
    for (x, y, p) in decoded.enumerate_pixels() {
        assert_eq!(*p, *cropped.get_pixel(x.min(300), y.min(256)), "({x}, {y})");
    }

    // As pipelines/demo.sh encodes: 4:2:0, which x264enc refuses at odd sizes.
    init();
    let pipeline = gst::parse::launch(&format!(
        "{SRC} ! facereenact avatar={} ! videoconvert ! video/x-raw,format=I420 ! x264enc ! \
         fakesink name=sink",
        path.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(120)) {
        match msg.view() {
            gst::MessageView::Eos(..) => break,
            gst::MessageView::Error(e) => panic!("{} ({:?})", e.error(), e.debug()),
            _ => {}
        }
    }
    let sample = pipeline
        .by_name("sink")
        .unwrap()
        .property::<Option<gst::Sample>>("last-sample")
        .expect("x264enc produced output");
    pipeline.set_state(gst::State::Null).unwrap();
    let caps = sample.caps().unwrap().structure(0).unwrap().to_owned();
    assert_eq!(caps.name(), "video/x-h264");
    assert_eq!(
        (
            caps.get::<i32>("width").unwrap(),
            caps.get::<i32>("height").unwrap()
        ),
        (302, 258)
    );
}

#[test]
fn transparent_areas_become_white_not_the_colour_they_hide() {
    let original = astronaut();
    let (w, h) = original.dimensions();
    // The left 100 columns fully transparent over black; the rest opaque.
    let hidden = |x: u32| x < 100;
    let dir = tempdir();
    let mut rgba = Vec::with_capacity((w * h * 4) as usize);
    let mut la = Vec::with_capacity((w * h * 2) as usize);
    let gray = image::DynamicImage::ImageRgb8(original.clone()).to_luma8();
    for (x, y, p) in original.enumerate_pixels() {
        if hidden(x) {
            rgba.extend([0, 0, 0, 0]);
            la.extend([0, 0]);
        } else {
            rgba.extend([p.0[0], p.0[1], p.0[2], 255]);
            la.extend([gray.get_pixel(x, y).0[0], 255]);
        }
    }
    let rgba_path = dir.join("transparent_rgba.png");
    write_png(
        &rgba_path,
        (w, h),
        png::ColorType::Rgba,
        png::BitDepth::Eight,
        None,
        &rgba,
    );
    let la_path = dir.join("transparent_la.png");
    write_png(
        &la_path,
        (w, h),
        png::ColorType::GrayscaleAlpha,
        png::BitDepth::Eight,
        None,
        &la,
    );
    for (path, is_gray) in [(&rgba_path, false), (&la_path, true)] {
        let decoded = decode_picture(path).unwrap();
        for (x, y, p) in decoded.enumerate_pixels() {
            let want = match (hidden(x), is_gray) {
                (true, _) => [255, 255, 255],
                (false, false) => original.get_pixel(x, y).0,
                (false, true) => [gray.get_pixel(x, y).0[0]; 3],
            };
            assert_eq!(p.0, want, "{} at ({x}, {y})", path.display());
        }
        loads_with_a_face(path);
    }
}

/// A 3-3-2 palette (256 colours) and the astronaut mapped onto it.
fn palette_astronaut(original: &RgbImage) -> (Vec<u8>, Vec<u8>, RgbImage) {
    let colour = |i: u32| {
        Rgb([
            ((i >> 5) * 255 / 7) as u8,
            ((i >> 2 & 7) * 255 / 7) as u8,
            ((i & 3) * 255 / 3) as u8,
        ])
    };
    let palette: Vec<u8> = (0..256).flat_map(|i| colour(i).0).collect();
    let index = |p: &Rgb<u8>| (p.0[0] >> 5) << 5 | (p.0[1] >> 5) << 2 | p.0[2] >> 6;
    let indices: Vec<u8> = original.pixels().map(index).collect();
    let expected = RgbImage::from_fn(original.width(), original.height(), |x, y| {
        colour(index(original.get_pixel(x, y)) as u32)
    });
    (palette, indices, expected)
}

/// CMYK ink amounts (0 = none) of an RGB picture, black from the darkest channel.
fn cmyk_of(original: &RgbImage) -> Vec<u8> {
    original
        .pixels()
        .flat_map(|p| {
            let [r, g, b] = p.0.map(u32::from);
            let k = 255 - r.max(g).max(b);
            let ink = |c: u32| {
                if k == 255 {
                    0
                } else {
                    ((255 - c - k) * 255 / (255 - k)) as u8
                }
            };
            [ink(r), ink(g), ink(b), k as u8]
        })
        .collect()
}

#[test]
fn sixteen_bit_grayscale_palette_and_cmyk_pictures_decode_to_rgb_avatars() {
    let original = astronaut();
    let (w, h) = original.dimensions();
    let dir = tempdir();

    let deep = dir.join("rgb16.png");
    let data: Vec<u8> = original
        .as_raw()
        .iter()
        .flat_map(|&v| (u16::from(v) * 257).to_be_bytes())
        .collect();
    write_png(
        &deep,
        (w, h),
        png::ColorType::Rgb,
        png::BitDepth::Sixteen,
        None,
        &data,
    );
    assert!(decode_picture(&deep).unwrap() == original, "16-bit PNG");
    loads_with_a_face(&deep);

    let gray_path = dir.join("gray8.png");
    let gray: GrayImage = image::DynamicImage::ImageRgb8(original.clone()).to_luma8();
    write_png(
        &gray_path,
        (w, h),
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        None,
        gray.as_raw(),
    );
    let decoded = decode_picture(&gray_path).unwrap();
    assert!(
        decoded
            .enumerate_pixels()
            .all(|(x, y, p)| p.0 == [gray.get_pixel(x, y).0[0]; 3]),
        "grayscale PNG"
    );
    loads_with_a_face(&gray_path);

    let palette_path = dir.join("palette.png");
    let (palette, indices, expected) = palette_astronaut(&original);
    write_png(
        &palette_path,
        (w, h),
        png::ColorType::Indexed,
        png::BitDepth::Eight,
        Some(palette),
        &indices,
    );
    assert!(
        decode_picture(&palette_path).unwrap() == expected,
        "palette PNG"
    );
    loads_with_a_face(&palette_path);

    // Plain CMYK (Adobe transform 0) and CMYK stored as YCCK (transform 2, Photoshop's default).
    let cmyk = cmyk_of(&original);
    for (name, color) in [
        ("cmyk.jpg", jpeg_encoder::ColorType::Cmyk),
        ("ycck.jpg", jpeg_encoder::ColorType::CmykAsYcck),
    ] {
        let path = dir.join(name);
        jpeg_encoder::Encoder::new_file(&path, 95)
            .unwrap()
            .encode(&cmyk, w as u16, h as u16, color)
            .unwrap();
        let decoded = decode_picture(&path).unwrap();
        let diff = mean_abs_diff(&decoded, &original, |_, _| true);
        println!("{name}: mean absolute difference from the RGB original {diff:.2}");
        assert!(diff < 4.0, "{name}: {diff}");
        loads_with_a_face(&path);
    }
}

#[test]
fn a_truncated_png_or_jpeg_is_named_as_truncated_or_damaged() {
    let dir = tempdir();
    let cut: Vec<PathBuf> = ["avatar/astronaut_512.png", "avatar/glasses_beard_400.jpg"]
        .iter()
        .map(|rel| {
            let bytes = std::fs::read(shared_media(rel)).unwrap();
            let name = Path::new(rel).file_name().unwrap().to_str().unwrap();
            let path = dir.join(format!("half_{name}"));
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
            path
        })
        .collect();
    for path in &cut {
        let err = decode_picture(path).unwrap_err();
        assert!(matches!(err, AvatarError::Damaged(..)), "{err:?}");
        let msg = err.to_string();
        println!("{msg}");
        assert!(
            msg.contains(&path.display().to_string()) && msg.contains("truncated or damaged"),
            "{msg}"
        );
    }
    let (err, _) = first_error(&format!(
        "{SRC} ! facereenact avatar={} ! fakesink",
        cut[1].display()
    ));
    assert!(err.matches(gst::ResourceError::Read), "{err}");
    assert!(err.message().contains("truncated or damaged"), "{err}");
}

#[test]
fn a_picture_with_two_faces_animates_the_largest_unless_avatar_face_picks_the_other() {
    // Two real portraits side by side: the astronaut at 480 px, the bearded man at 160 px (his
    // face fills more of his picture: at 240 px it was the larger of the two).
    let big = image::imageops::resize(
        &astronaut(),
        480,
        480,
        image::imageops::FilterType::Triangle,
    );
    let man = image::open(shared_media("avatar/glasses_beard_400.jpg"))
        .unwrap()
        .to_rgb8();
    let small = image::imageops::resize(&man, 160, 160, image::imageops::FilterType::Triangle);
    let mut both = RgbImage::from_pixel(800, 480, Rgb([235, 235, 235]));
    image::imageops::overlay(&mut both, &big, 0, 0);
    image::imageops::overlay(&mut both, &small, 600, 160);
    let path = tempdir().join("two_faces.png");
    both.save(&path).unwrap();

    let mut tracker = tracker();
    let centre_x = |m: &AvatarModel| m.landmarks.points.iter().map(|p| p[0]).sum::<f32>() / 468.0;
    let width = |m: &AvatarModel| m.landmarks.interocular();
    let first = AvatarModel::load(&path, &mut tracker).expect("default: the largest face");
    let other = AvatarModel::load_face(&path, &mut tracker, 1).expect("avatar-face=1");
    println!(
        "face 0 at x {:.0} ({:.0} px between the eyes), face 1 at x {:.0} ({:.0} px)",
        centre_x(&first),
        width(&first),
        centre_x(&other),
        width(&other)
    );
    assert!(
        centre_x(&first) < 480.0,
        "face 0 is the astronaut's (left, larger)"
    );
    assert!(
        centre_x(&other) > 540.0,
        "face 1 is the man's (right, smaller)"
    );
    assert!(width(&first) > width(&other));
    let again = AvatarModel::load(&path, &mut tracker).unwrap();
    assert_eq!(
        again.landmarks.points, first.landmarks.points,
        "the choice is deterministic"
    );

    match AvatarModel::load_face(&path, &mut tracker, 2) {
        Err(AvatarError::NoSuchFace(_, 2, 2)) => {}
        other => panic!(
            "expected NoSuchFace(2 faces, asked 2), got {:?}",
            other.map(|_| ())
        ),
    }
    let (err, _) = first_error(&format!(
        "videotestsrc num-buffers=2 ! video/x-raw,format=RGBx,width=64,height=64 ! \
         facereenact avatar=\"{}\" avatar-face=2 ! fakesink",
        path.display()
    ));
    assert!(err.matches(gst::StreamError::Format), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("avatar-face=2") && msg.contains("2 face(s)") && msg.contains("two_faces.png"),
        "{msg}"
    );
}
