//! Avatar pictures that are not a plain 8-bit RGB PNG or JPEG: absurd sizes, odd sizes,
//! transparency, other colour types, truncated files, EXIF orientation, empty files and
//! directories, faces cut by the edge, small, large, drawn and turned faces. Each is built in
//! code from a real avatar.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use common::*;
use gst::prelude::*;
use gstfacereenact::avatar::{decode_picture, decode_picture_bytes, AvatarError, AvatarModel};
use gstfacereenact::quality::{mouth_opening, pearson};
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

/// Writes a PNG of `w`x`h` pixels of `color` and `depth` (`data` as the PNG stores it).
fn write_png(
    path: &Path,
    size: (u32, u32),
    color: png::ColorType,
    depth: png::BitDepth,
    palette: Option<Vec<u8>>,
    data: &[u8],
) {
    std::fs::write(path, png_bytes(size, color, depth, palette, &[], data)).unwrap();
}

/// The bytes of a PNG as [`write_png`] writes it, with `chunks` (type, data: `tRNS`, `eXIf`, ...)
/// between the header and the pixel data.
fn png_bytes(
    (w, h): (u32, u32),
    color: png::ColorType,
    depth: png::BitDepth,
    palette: Option<Vec<u8>>,
    chunks: &[(&[u8; 4], &[u8])],
    data: &[u8],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(color);
    encoder.set_depth(depth);
    if let Some(p) = palette {
        encoder.set_palette(p);
    }
    let mut writer = encoder.write_header().unwrap();
    for (kind, chunk) in chunks {
        writer
            .write_chunk(png::chunk::ChunkType(**kind), chunk)
            .unwrap();
    }
    writer.write_image_data(data).unwrap();
    writer.finish().unwrap();
    out
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
    let original = astronaut_picture();
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
    let original = astronaut_picture();
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
        load_avatar(path);
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
    let original = astronaut_picture();
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
    load_avatar(&deep);

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
    load_avatar(&gray_path);

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
    load_avatar(&palette_path);

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
        load_avatar(&path);
    }
}

/// `decoded` must be a [`AvatarError::Damaged`] error naming `path` as truncated or damaged.
fn assert_refused_as_damaged(decoded: Result<RgbImage, AvatarError>, path: &Path) {
    let err = match decoded {
        Err(e) => e,
        Ok(img) => panic!("{} decoded to {:?}", path.display(), img.dimensions()),
    };
    assert!(matches!(err, AvatarError::Damaged(..)), "{err:?}");
    let msg = err.to_string();
    println!("{msg}");
    assert!(
        msg.contains(&path.display().to_string()) && msg.contains("truncated or damaged"),
        "{msg}"
    );
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
        assert_refused_as_damaged(decode_picture(path), path);
    }
    let (err, _) = first_error(&format!(
        "{SRC} ! facereenact avatar={} ! fakesink",
        cut[1].display()
    ));
    assert!(err.matches(gst::ResourceError::Read), "{err}");
    assert!(err.message().contains("truncated or damaged"), "{err}");
}

#[test]
fn a_jpeg_the_decoder_panics_on_is_named_as_damaged_not_a_crash() {
    // The astronaut as a CMYK JPEG whose scan header names one of its four components: zune-jpeg
    // 0.5.15 (the image crate's JPEG decoder) panics on it (found by fuzz/, see scripts/fuzz.sh).
    // At 48x48 pixels, as in the fuzz corpus (at 512x512 it decodes to black).
    let original = image::imageops::resize(
        &astronaut_picture(),
        48,
        48,
        image::imageops::FilterType::Triangle,
    );
    let cmyk = jpeg_bytes(
        &cmyk_of(&original),
        original.dimensions(),
        jpeg_encoder::ColorType::Cmyk,
        |_| {},
    );
    let path = tempdir().join("cmyk_scan_of_one_component.jpg");
    std::fs::write(&path, jpeg_scan_of_one_component(&cmyk, 0)).unwrap();

    assert_refused_as_damaged(decode_picture(&path), &path);
    let (err, _) = first_error(&format!(
        "{SRC} ! facereenact avatar={} ! fakesink",
        path.display()
    ));
    assert!(err.message().contains("truncated or damaged"), "{err}");
}

#[test]
fn a_picture_with_two_faces_animates_the_largest_unless_avatar_face_picks_the_other() {
    // Two real portraits side by side: the astronaut at 480 px, the bearded man at 160 px (his
    // face fills more of his picture: at 240 px it was the larger of the two).
    let big = image::imageops::resize(
        &astronaut_picture(),
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

/// A TIFF (EXIF) block holding only an orientation tag (1 upright .. 8), as cameras write it
/// into a JPEG's APP1 segment or a PNG's `eXIf` chunk.
fn exif_orientation(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2A\0\0\0\x08\0\x01".to_vec(); // big-endian, first IFD at 8, one entry
    tiff.extend([0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]); // Orientation, SHORT, 1 value
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0, 0, 0, 0, 0, 0]); // value padding, no next IFD
    tiff
}

/// A JPEG of `data` (`w`x`h` pixels of `color`) by jpeg-encoder, set up by `setup`.
fn jpeg_bytes(
    data: &[u8],
    (w, h): (u32, u32),
    color: jpeg_encoder::ColorType,
    setup: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 80);
    setup(&mut encoder);
    encoder.encode(data, w as u16, h as u16, color).unwrap();
    out
}

/// `jpeg` with the size in its frame header (SOF0..SOF2) replaced by `w`x`h`: the header
/// declares a picture its data does not hold.
fn jpeg_declaring(mut jpeg: Vec<u8>, w: u16, h: u16) -> Vec<u8> {
    let mut i = 2;
    while jpeg[i] == 0xFF && !(0xC0..=0xC2).contains(&jpeg[i + 1]) {
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    assert!(jpeg[i] == 0xFF, "no frame header");
    jpeg[i + 5..i + 7].copy_from_slice(&h.to_be_bytes());
    jpeg[i + 7..i + 9].copy_from_slice(&w.to_be_bytes());
    jpeg
}

/// `jpeg` with its (first) scan header naming only its component `k`, in a frame of several:
/// the scan data no longer matches the frame. zune-jpeg 0.5.15 panics on such a CMYK file.
fn jpeg_scan_of_one_component(jpeg: &[u8], k: usize) -> Vec<u8> {
    let mut i = 2;
    while jpeg[i + 1] != 0xDA {
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    let n = usize::from(jpeg[i + 4]);
    let mut out = jpeg[..i].to_vec();
    out.extend([0xFF, 0xDA, 0x00, 0x08, 0x01]);
    out.extend(&jpeg[i + 5 + 2 * k..i + 7 + 2 * k]); // component id, Huffman tables
    out.extend(&jpeg[i + 5 + 2 * n..i + 2 + len]); // spectral selection, approximation
    out.extend(&jpeg[i + 2 + len..]);
    out
}

/// `img` encoded by the image crate's own encoder as `format`.
fn encoded(img: &image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// Writes the fuzz target's seed corpus, `fuzz/corpus/avatar_picture/` (or
/// `$FACEREENACT_FUZZ_CORPUS`): small variants of the real avatars (`.deps/media/astronaut.png`
/// and every picture in `tests/media/avatar/`), in each colour type, bit depth, JPEG mode and
/// EXIF orientation the decoder handles, plus damaged ones: truncated, corrupt, declaring
/// absurd sizes, empty. Deterministic: a rerun rewrites the same bytes; files it does not
/// name (reproducers added by hand) are kept. Run after changing it:
/// `cargo test --test avatar_pictures -- --ignored write_fuzz_corpus`
#[test]
#[ignore = "writes fuzz/corpus/avatar_picture; run by hand"]
fn write_fuzz_corpus() {
    use image::imageops::{resize, FilterType};
    use jpeg_encoder::{ColorType as Jpeg, SamplingFactor};
    use png::{BitDepth::*, ColorType::*};

    let dir = std::env::var_os("FACEREENACT_FUZZ_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("fuzz/corpus/avatar_picture"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>| files.push((name.to_string(), bytes));

    let full = image::open(demo_media("astronaut.png")).unwrap().to_rgb8();
    let small = resize(&full, 48, 48, FilterType::Triangle);
    let (w, h) = small.dimensions();
    let gray = image::DynamicImage::ImageRgb8(small.clone()).to_luma8();
    let rgb = small.as_raw().as_slice();

    // PNG: every colour type, 1 to 16 bits, transparency three ways, EXIF, animation, odd size.
    let png = png_bytes((w, h), Rgb, Eight, None, &[], rgb);
    add("png_rgb8.png", png.clone());
    let wide = |v: &[u8]| -> Vec<u8> {
        v.iter()
            .flat_map(|&x| (u16::from(x) * 257).to_be_bytes())
            .collect()
    };
    add(
        "png_rgb16.png",
        png_bytes((w, h), Rgb, Sixteen, None, &[], &wide(rgb)),
    );
    add(
        "png_gray8.png",
        png_bytes((w, h), Grayscale, Eight, None, &[], gray.as_raw()),
    );
    add(
        "png_gray16.png",
        png_bytes((w, h), Grayscale, Sixteen, None, &[], &wide(gray.as_raw())),
    );
    let bits1: Vec<u8> = gray
        .rows()
        .flat_map(|row| {
            let row: Vec<u8> = row.map(|p| p.0[0]).collect();
            row.chunks(8)
                .map(|c| {
                    c.iter()
                        .enumerate()
                        .fold(0u8, |acc, (i, &v)| acc | u8::from(v > 127) << (7 - i))
                })
                .collect::<Vec<u8>>()
        })
        .collect();
    add(
        "png_gray1.png",
        png_bytes((w, h), Grayscale, One, None, &[], &bits1),
    );
    let (palette, indices, _) = palette_astronaut(&small);
    add(
        "png_palette8.png",
        png_bytes((w, h), Indexed, Eight, Some(palette.clone()), &[], &indices),
    );
    // 4-bit palette (the top 16 colours of the 3-3-2 one) with a transparent first entry.
    let nibbles: Vec<u8> = indices
        .chunks(2)
        .map(|c| (c[0] >> 4) << 4 | c[1] >> 4)
        .collect();
    add(
        "png_palette4_trns.png",
        png_bytes(
            (w, h),
            Indexed,
            Four,
            Some(palette[..48].to_vec()),
            &[(b"tRNS", &[0, 128])],
            &nibbles,
        ),
    );
    add(
        "png_rgb8_trns_key.png",
        png_bytes(
            (w, h),
            Rgb,
            Eight,
            None,
            &[(b"tRNS", &[0, 0, 0, 0, 0, 0])],
            rgb,
        ),
    );
    let hidden = |x: u32| x < w / 3;
    let rgba: Vec<u8> = small
        .enumerate_pixels()
        .flat_map(|(x, _, p)| {
            if hidden(x) {
                [0, 0, 0, 0]
            } else {
                [p.0[0], p.0[1], p.0[2], 200]
            }
        })
        .collect();
    add(
        "png_rgba8.png",
        png_bytes((w, h), Rgba, Eight, None, &[], &rgba),
    );
    add(
        "png_rgba16.png",
        png_bytes((w, h), Rgba, Sixteen, None, &[], &wide(&rgba)),
    );
    let la: Vec<u8> = gray
        .enumerate_pixels()
        .flat_map(|(x, _, p)| [p.0[0], if hidden(x) { 0 } else { 255 }])
        .collect();
    add(
        "png_la8.png",
        png_bytes((w, h), GrayscaleAlpha, Eight, None, &[], &la),
    );
    let odd = image::imageops::crop_imm(&small, 0, 0, 47, 33).to_image();
    add(
        "png_exif_orientation6.png",
        png_bytes(
            (47, 33),
            Rgb,
            Eight,
            None,
            &[(b"eXIf", &exif_orientation(6))],
            odd.as_raw(),
        ),
    );
    add(
        "png_odd_47x33.png",
        png_bytes((47, 33), Rgb, Eight, None, &[], odd.as_raw()),
    );
    let mut apng = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut apng, w, h);
        encoder.set_color(Rgb);
        encoder.set_animated(2, 0).unwrap();
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(rgb).unwrap();
        let flipped = image::imageops::flip_horizontal(&small);
        writer.write_image_data(flipped.as_raw()).unwrap();
        writer.finish().unwrap();
    }
    add("png_animated_2_frames.png", apng);

    // JPEG: 4:2:0 and 4:4:4 with restarts, progressive, grayscale, CMYK and YCCK, EXIF, odd size.
    let jpeg = jpeg_bytes(rgb, (w, h), Jpeg::Rgb, |_| {});
    add("jpeg_rgb_420.jpg", jpeg.clone());
    add(
        "jpeg_rgb_444_restarts.jpg",
        jpeg_bytes(rgb, (w, h), Jpeg::Rgb, |e| {
            e.set_sampling_factor(SamplingFactor::R_4_4_4);
            e.set_restart_interval(2);
        }),
    );
    add(
        "jpeg_progressive.jpg",
        jpeg_bytes(rgb, (w, h), Jpeg::Rgb, |e| e.set_progressive(true)),
    );
    add(
        "jpeg_gray.jpg",
        jpeg_bytes(gray.as_raw(), (w, h), Jpeg::Luma, |_| {}),
    );
    let cmyk = cmyk_of(&small);
    add(
        "jpeg_cmyk.jpg",
        jpeg_bytes(&cmyk, (w, h), Jpeg::Cmyk, |_| {}),
    );
    add(
        "jpeg_ycck.jpg",
        jpeg_bytes(&cmyk, (w, h), Jpeg::CmykAsYcck, |_| {}),
    );
    for orientation in [3, 6, 8] {
        add(
            &format!("jpeg_exif_orientation{orientation}.jpg"),
            jpeg_bytes(odd.as_raw(), (47, 33), Jpeg::Rgb, |e| {
                e.add_exif_metadata(&exif_orientation(orientation)).unwrap()
            }),
        );
    }
    add(
        "jpeg_odd_47x33.jpg",
        jpeg_bytes(odd.as_raw(), (47, 33), Jpeg::Rgb, |_| {}),
    );

    // Every shared avatar, scaled to 40 pixels across by the image crate's encoders.
    let mut shared: Vec<PathBuf> =
        std::fs::read_dir(shared_media("avatar/astronaut_512.png").parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("png" | "jpg")))
            .collect();
    shared.sort();
    for path in &shared {
        let img = image::open(path).unwrap();
        let small = img.resize(40, 40, FilterType::Triangle);
        let format = image::ImageFormat::from_path(path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        add(&format!("shared_{name}"), encoded(&small, format));
    }

    // Damaged: cut short, without end marker, corrupt data, declaring absurd sizes, not a picture.
    add("damaged_png_half.png", png[..png.len() / 2].to_vec());
    add("damaged_png_no_iend.png", png[..png.len() - 12].to_vec());
    let mut corrupt = png.clone();
    let idat = corrupt.windows(4).position(|c| c == b"IDAT").unwrap();
    corrupt[idat + 20] ^= 0x5A;
    add("damaged_png_corrupt_idat.png", corrupt);
    add("damaged_jpeg_half.jpg", jpeg[..jpeg.len() / 2].to_vec());
    add("damaged_jpeg_no_eoi.jpg", jpeg[..jpeg.len() - 2].to_vec());
    let mut garbled = jpeg.clone();
    let n = garbled.len();
    for b in &mut garbled[n - 200..n - 100] {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    add("jpeg_garbled_scan.jpg", garbled); // decodes: a JPEG has no checksum
                                           // Found by the fuzzer: the decoder panics (caught, refused as damaged).
    let cmyk_jpeg = jpeg_bytes(&cmyk, (w, h), Jpeg::Cmyk, |_| {});
    for k in [0, 3] {
        add(
            &format!("damaged_jpeg_cmyk_scan_of_component_{k}.jpg"),
            jpeg_scan_of_one_component(&cmyk_jpeg, k),
        );
    }
    // 8001x7999 is just within the limits (and padded to 8002x8000): refused as cut short.
    let tmp = tempdir().join("declaring.png");
    for (w, h) in [(20000, 20000), (16385, 64), (10000, 7000), (8001, 7999)] {
        png_declaring(&tmp, w, h);
        add(
            &format!("huge_png_declaring_{w}x{h}.png"),
            std::fs::read(&tmp).unwrap(),
        );
    }
    add(
        "huge_jpeg_declaring_20000x20000.jpg",
        jpeg_declaring(jpeg.clone(), 20000, 20000),
    );
    add(
        "huge_jpeg_declaring_16384x4000.jpg",
        jpeg_declaring(jpeg.clone(), 16384, 4000),
    );
    add("damaged_empty", Vec::new());
    add("damaged_png_signature_only", png[..8].to_vec());
    add("damaged_jpeg_soi_only", jpeg[..2].to_vec());

    // Each seed is what its name says: the pictures decode, the damaged and huge ones are refused.
    let mut total = 0;
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
        total += bytes.len();
        let result = decode_picture_bytes(bytes, Path::new(name));
        match &result {
            Ok(img) => println!("{name}: {} bytes, {:?}", bytes.len(), img.dimensions()),
            Err(e) => println!("{name}: {} bytes, {e}", bytes.len()),
        }
        let refused = name.starts_with("damaged_") || name.starts_with("huge_");
        assert_eq!(result.is_err(), refused, "{name}");
    }
    println!("{} files, {total} bytes in {}", files.len(), dir.display());
    assert!(
        total < 300_000,
        "the corpus is committed: keep it small ({total} bytes)"
    );
}

/// Actor frames the animation checks use: the first [`ACTOR_FRAMES`] of carphone (176x144).
const ACTOR_FRAMES: usize = 60;

/// carphone's first [`ACTOR_FRAMES`] frames piped as RGB, ahead of `rest` (elements up to and
/// including `appsink name=sink`).
fn carphone_into(rest: &str) -> String {
    format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! video/x-raw,format=RGB ! \
         identity eos-after={ACTOR_FRAMES} ! {rest}",
        demo_media("carphone_pristine.mp4").display()
    )
}

/// Mouth opening of the actor's face in each of carphone's first [`ACTOR_FRAMES`] frames.
fn actor_mouth() -> &'static [Option<f32>] {
    static MOUTH: std::sync::OnceLock<Vec<Option<f32>>> = std::sync::OnceLock::new();
    MOUTH.get_or_init(|| {
        let mut frames = run_to_frames(&carphone_into("appsink name=sink"));
        assert!(frames.len() >= ACTOR_FRAMES, "{} frames", frames.len());
        frames.truncate(ACTOR_FRAMES);
        landmarks_of(&frames)
            .iter()
            .map(|l| l.as_ref().map(mouth_opening))
            .collect()
    })
}

/// Runs the element on carphone's first frames with `avatar` (loaded as `model`) and asserts
/// that the avatar animates: the output's mouth follows the actor's (correlation at least 0.7
/// over at least 40 frames), and the output changes around the face, not far from it. Returns
/// the correlation.
fn assert_animates(avatar: &Path, model: &AvatarModel) -> f32 {
    // output-max-side=0: the picture's own size, even over the default cap (bw_photo_2048).
    // motion-reference=first-frame: carphone's actor holds his head rolled 13-17 degrees and
    // pitched 7-14 degrees against the camera, which the default reference gives the avatar; a
    // face cut by the picture's edge, so turned, is read back worse by the landmarker (the
    // cut_left mouth correlation 0.60 against 0.70), which is not what these tests measure.
    let mut out = run_to_frames(&carphone_into(&format!(
        "facereenact avatar=\"{}\" output-max-side=0 motion-reference=first-frame ! \
         appsink name=sink",
        avatar.display()
    )));
    // identity eos-after lets a few more through: keep the frames the actor's were measured on.
    assert!(
        out.len() >= ACTOR_FRAMES,
        "{}: {} frames",
        avatar.display(),
        out.len()
    );
    out.truncate(ACTOR_FRAMES);
    assert_eq!(out[0].image.dimensions(), model.size());
    let (mut a, mut o) = (vec![], vec![]);
    // Tracked through the frames, or found afresh in a frame where tracking lost it (a face cut
    // by the picture's edge is dropped by the tracker once a quarter of it falls outside).
    let mut still = tracker();
    let measured: Vec<_> = landmarks_of(&out)
        .into_iter()
        .zip(&out)
        .map(|(lm, f)| lm.or_else(|| still.detect_still(&f.image).unwrap()))
        .collect();
    for (actor, lm) in actor_mouth().iter().zip(measured) {
        if let (Some(actor), Some(lm)) = (actor, lm) {
            a.push(*actor);
            o.push(mouth_opening(&lm));
        }
    }
    let corr = pearson(&a, &o).unwrap_or(f32::NAN);
    // Where the pixels changed: within 1.5 face widths of the face centre, and beyond 3.
    let ([cx, cy], io) = head_of(&model.landmarks);
    let far = |x: u32, y: u32| (x as f32 - cx).hypot(y as f32 - cy) > 3.0 * io;
    let near = |x: u32, y: u32| (x as f32 - cx).hypot(y as f32 - cy) < 1.5 * io;
    let changed = |keep: &dyn Fn(u32, u32) -> bool| {
        out.iter()
            .map(|f| mean_abs_diff(&f.image, &model.image, keep))
            .fold(0.0, f64::max)
    };
    let (near_change, far_change) = (changed(&near), changed(&far));
    println!(
        "{}: mouth correlation {corr:.2} over {} frames; largest change near the face {near_change:.2}, \
         far from it {far_change:.2}",
        avatar.display(),
        a.len()
    );
    assert!(
        a.len() >= 40,
        "{}: {} frames with both faces",
        avatar.display(),
        a.len()
    );
    assert!(
        corr >= 0.7,
        "{}: mouth correlation {corr}",
        avatar.display()
    );
    assert!(
        near_change > 1.0 && far_change < 0.5,
        "{}",
        avatar.display()
    );
    corr
}

/// Centre and eye-corner distance of the face the avatar model found, with the picture.
fn face_of(path: &Path) -> (AvatarModel, [f32; 2], f32) {
    let model = load_avatar(path);
    let (c, io) = head_of(&model.landmarks);
    (model, c, io)
}

#[test]
fn exif_orientations_2_3_6_8_are_applied_in_jpeg_and_png() {
    use image::imageops::{flip_horizontal, rotate180, rotate270, rotate90};
    let started = std::time::Instant::now();
    // Not square, so that a rotation not applied shows in the size too.
    let upright = image::imageops::crop_imm(&astronaut_picture(), 64, 0, 384, 448).to_image();
    let dir = tempdir();
    let upright_path = dir.join("upright.png");
    upright.save(&upright_path).unwrap();
    let (_, centre, io) = face_of(&upright_path);
    // What a camera stores for each tag: the picture turned so that the tag's transform makes it
    // upright again.
    let stored_for = |o: u16| match o {
        2 => flip_horizontal(&upright),
        3 => rotate180(&upright),
        6 => rotate270(&upright), // shown rotated 90 degrees clockwise
        8 => rotate90(&upright),  // shown rotated 90 degrees counter-clockwise
        _ => unreachable!(),
    };
    for o in [2, 3, 6, 8] {
        let stored = stored_for(o);
        let tag = exif_orientation(o);
        let jpeg = dir.join(format!("orientation{o}.jpg"));
        std::fs::write(
            &jpeg,
            jpeg_bytes(
                stored.as_raw(),
                stored.dimensions(),
                jpeg_encoder::ColorType::Rgb,
                |e| e.add_exif_metadata(&tag).unwrap(),
            ),
        )
        .unwrap();
        let png = dir.join(format!("orientation{o}.png"));
        std::fs::write(
            &png,
            png_bytes(
                stored.dimensions(),
                png::ColorType::Rgb,
                png::BitDepth::Eight,
                None,
                &[(b"eXIf", &tag)],
                stored.as_raw(),
            ),
        )
        .unwrap();
        for path in [&jpeg, &png] {
            let decoded = decode_picture(path).unwrap();
            assert_eq!(
                decoded.dimensions(),
                upright.dimensions(),
                "{}",
                path.display()
            );
            let diff = mean_abs_diff(&decoded, &upright, |_, _| true);
            let (_, c, i) = face_of(path);
            println!(
                "{}: mean absolute difference from the upright picture {diff:.2}; face at \
                 ({:.1}, {:.1}), {i:.1} px between the eyes (upright: ({:.1}, {:.1}), {io:.1})",
                path.display(),
                c[0],
                c[1],
                centre[0],
                centre[1]
            );
            // Not applied, the difference is about 90 (a mirrored or turned picture); the JPEG
            // differs by its compression (quality 80) only.
            let lossless = path.extension().is_some_and(|e| e == "png");
            assert!(
                if lossless {
                    decoded == upright
                } else {
                    diff < 6.0
                },
                "{}: {diff}",
                path.display()
            );
            assert!(
                (c[0] - centre[0]).abs() < 3.0 && (c[1] - centre[1]).abs() < 3.0,
                "{}: face at {c:?}, upright at {centre:?}",
                path.display()
            );
            assert!((i / io - 1.0).abs() < 0.05, "{}", path.display());
        }
    }
    println!("{:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn an_empty_file_or_a_directory_as_avatar_is_refused_saying_so() {
    let dir = tempdir();
    let empty = dir.join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let folder = dir.join("pictures.jpg");
    std::fs::create_dir_all(&folder).unwrap();

    let err = decode_picture(&empty).unwrap_err();
    assert!(matches!(err, AvatarError::Damaged(..)), "{err:?}");
    let msg = err.to_string();
    println!("{msg}");
    assert!(
        msg.contains(&empty.display().to_string())
            && msg.contains("empty")
            && msg.contains("copy or save the picture again"),
        "{msg}"
    );
    let err = decode_picture(&folder).unwrap_err();
    assert!(matches!(err, AvatarError::Decode(..)), "{err:?}");
    let msg = err.to_string();
    println!("{msg}");
    assert!(
        msg.contains(&folder.display().to_string())
            && msg.contains("is a directory, not a picture file"),
        "{msg}"
    );

    for (path, code, words) in [
        (&empty, gst::ResourceError::Read, "is empty"),
        (&folder, gst::ResourceError::OpenRead, "is a directory"),
    ] {
        let (err, _) = first_error(&format!(
            "{SRC} ! facereenact avatar=\"{}\" ! fakesink",
            path.display()
        ));
        assert!(err.matches(code), "{err}");
        assert!(
            err.message().contains(&path.display().to_string()) && err.message().contains(words),
            "{err}"
        );
    }
}

#[test]
fn a_face_cut_by_the_left_or_top_edge_loads_where_the_face_is_and_animates() {
    let started = std::time::Instant::now();
    let original = astronaut_picture();
    let dir = tempdir();
    let whole = dir.join("whole.png");
    original.save(&whole).unwrap();
    let (model, centre, io) = face_of(&whole);
    let xs = model.landmarks.points.iter().map(|p| p[0]);
    let left = xs.fold(f32::MAX, f32::min);
    let ys = model.landmarks.points.iter().map(|p| p[1]);
    let top = ys.fold(f32::MAX, f32::min);
    // The face mesh spans x 179..272 and y 70..177 in astronaut_512: cut a quarter of its width
    // off at the left, a tenth of its height (the forehead) at the top.
    let (dx, dy) = (200, 80);
    assert!(
        left < dx as f32 - 20.0 && top < dy as f32 - 5.0,
        "{left} {top}"
    );
    let mut cut = vec![];
    for (x, y, name) in [(dx, 0, "cut_left.png"), (0, dy, "cut_top.png")] {
        let path = dir.join(name);
        image::imageops::crop_imm(&original, x, y, 512 - x, 512 - y)
            .to_image()
            .save(&path)
            .unwrap();
        let (model, c, i) = face_of(&path);
        let want = [centre[0] - x as f32, centre[1] - y as f32];
        println!(
            "{name}: face at ({:.1}, {:.1}), {i:.1} px between the eyes; in the whole picture \
             ({:.1}, {:.1}), {io:.1}",
            c[0], c[1], want[0], want[1]
        );
        assert!(
            (c[0] - want[0]).abs() < 4.0 && (c[1] - want[1]).abs() < 4.0,
            "{name}: face at {c:?}, expected {want:?}"
        );
        assert!((i / io - 1.0).abs() < 0.05, "{name}: {i} vs {io}");
        cut.push((path, model));
    }
    for (path, model) in &cut {
        assert_animates(path, model);
    }
    println!("{:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn a_tiny_picture_animates_a_tiny_face_in_a_large_picture_is_not_found() {
    let started = std::time::Instant::now();
    // A whole picture of 128x128 (27 px between the eyes): found, and it animates.
    let tiny = shared_media("avatar/gray_tiny_128.jpg");
    let (model, c, io) = face_of(&tiny);
    println!(
        "gray_tiny_128: face at ({:.1}, {:.1}), {io:.1} px between the eyes",
        c[0], c[1]
    );
    assert_eq!(model.size(), (128, 128));
    assert!(io > 15.0 && (20.0..108.0).contains(&c[0]) && (20.0..108.0).contains(&c[1]));
    assert_animates(&tiny, &model);

    // The astronaut scaled into the corner of a white 1024x1024 picture: with its face about
    // 60 px wide (39 px between the eyes) it is found where it is; at 55 px it is too small for
    // the detector and refused as no face.
    let in_corner = |side: u32, name: &str| {
        let small = image::imageops::resize(
            &astronaut_picture(),
            side,
            side,
            image::imageops::FilterType::Triangle,
        );
        let mut canvas = RgbImage::from_pixel(1024, 1024, Rgb([255, 255, 255]));
        image::imageops::overlay(&mut canvas, &small, 40, 40);
        let path = tempdir().join(name);
        canvas.save(&path).unwrap();
        path
    };
    let whole = load_avatar(&demo_media("astronaut.png"));
    let (whole_c, whole_io) = head_of(&whole.landmarks);
    let found = in_corner(330, "face_60px_in_1024.png");
    let k = 330.0 / 512.0;
    let (c, io) = head_of(&load_avatar(&found).landmarks);
    println!(
        "60 px face: at ({:.1}, {:.1}), {io:.1} px between the eyes",
        c[0], c[1]
    );
    assert!(
        (c[0] - (40.0 + whole_c[0] * k)).abs() < 3.0
            && (c[1] - (40.0 + whole_c[1] * k)).abs() < 3.0
            && (io / (whole_io * k) - 1.0).abs() < 0.1,
        "the 60 px face is found where it is: {c:?} {io}"
    );
    let path = in_corner(300, "face_55px_in_1024.png");
    match AvatarModel::load(&path, &mut tracker()) {
        Err(e @ AvatarError::NoFace(_)) => println!("{e}"),
        other => panic!(
            "expected no face, got {:?}",
            other.map(|m| head_of(&m.landmarks))
        ),
    }
    let (err, _) = first_error(&format!(
        "{SRC} ! facereenact avatar=\"{}\" ! fakesink",
        path.display()
    ));
    assert!(err.matches(gst::StreamError::Format), "{err}");
    assert!(
        err.message().contains("no face found") && err.message().contains("face_55px_in_1024.png"),
        "{err}"
    );
    println!("{:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn a_2048_pixel_photo_loads_at_full_size_with_its_face_and_animates() {
    let started = std::time::Instant::now();
    let path = shared_media("avatar/bw_photo_2048.jpg");
    let (model, c, io) = face_of(&path);
    println!(
        "bw_photo_2048: face at ({:.1}, {:.1}), {io:.1} px between the eyes",
        c[0], c[1]
    );
    assert_eq!(model.size(), (2048, 2048));
    assert!(io > 150.0, "{io}");
    assert!(
        (700.0..1350.0).contains(&c[0]) && (600.0..1250.0).contains(&c[1]),
        "{c:?}"
    );
    assert_animates(&path, &model);
    println!("{:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn a_cartoon_and_a_three_quarter_profile_face_load_and_animate() {
    let started = std::time::Instant::now();
    // A rendered cartoon boy, face in the middle of the picture.
    let cartoon = shared_media("avatar/cartoon_852.jpg");
    let (model, c, io) = face_of(&cartoon);
    println!(
        "cartoon_852: face at ({:.1}, {:.1}), {io:.1} px between the eyes",
        c[0], c[1]
    );
    assert!(
        (330.0..520.0).contains(&c[0]) && (330.0..540.0).contains(&c[1]),
        "{c:?}"
    );
    assert!(io > 200.0, "{io}");
    assert_animates(&cartoon, &model);

    // The cameraman, head turned three quarters to the right, face at about x 180..250, y 90..200.
    let profile = shared_media("avatar/profile_gray_512.png");
    let (model, c, io) = face_of(&profile);
    println!(
        "profile_gray_512: face at ({:.1}, {:.1}), {io:.1} px between the eyes",
        c[0], c[1]
    );
    assert!(
        (170.0..260.0).contains(&c[0]) && (100.0..200.0).contains(&c[1]),
        "{c:?}"
    );
    assert_animates(&profile, &model);
    println!("{:.1} s", started.elapsed().as_secs_f64());
}

/// On the astronaut's suit the detector also fires, with a box larger than the face and a score
/// of 0.5 to 0.6; the landmarker refuses that box, and the face behind it must still be found
/// (loading used to say "no face found" although the face was detected at 0.85 to 0.95). Cases:
/// the astronaut with a fifth of its face cut by the top edge, and the astronaut with a 100-pixel
/// face in a white 1024x1024 picture.
#[test]
fn a_clear_face_is_not_hidden_by_a_larger_false_detection() {
    let original = astronaut_picture();
    let dir = tempdir();
    let top = dir.join("cut_top_fifth.png");
    image::imageops::crop_imm(&original, 0, 90, 512, 422)
        .to_image()
        .save(&top)
        .unwrap();
    let small = image::imageops::resize(&original, 546, 546, image::imageops::FilterType::Triangle);
    let mut canvas = RgbImage::from_pixel(1024, 1024, Rgb([255, 255, 255]));
    image::imageops::overlay(&mut canvas, &small, 40, 40);
    let corner = dir.join("face_100px_in_1024.png");
    canvas.save(&corner).unwrap();
    let mut failed = vec![];
    for path in [&top, &corner] {
        match AvatarModel::load(path, &mut tracker()) {
            Ok(m) => println!("{}: face at {:?}", path.display(), head_of(&m.landmarks)),
            Err(e) => failed.push(e.to_string()),
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// The human-likeness threshold ([`gstfacereenact::face::human_likeness`]) on real pictures.
#[test]
fn the_test_avatars_human_faces_look_human_and_the_cat_does_not() {
    use gstfacereenact::face::human_likeness::looks_human;
    let models = face_models();
    let media = root().join("tests/media/avatar");
    let presence = |name: &str| {
        let mut tracker = models.tracker();
        AvatarModel::load(&media.join(name), &mut tracker)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .landmarks
            .presence
    };
    for name in [
        "astronaut_512.png",
        "bw_photo_2048.jpg",
        "cartoon_852.jpg",
        "eyes_closed_480.png",
        "glasses_beard_400.jpg",
        "gray_tiny_128.jpg",
        "mona_lisa_720x1280.jpg",
        "profile_gray_512.png",
    ] {
        let p = presence(name);
        println!("{name}: face presence {p:.6}");
        assert!(looks_human(p), "{name}: face presence {p}");
    }
    // The cat is taken for a face (it loads), but not a human one.
    let cat = presence("cat_chelsea.png");
    println!("cat_chelsea.png: face presence {cat:.6}");
    assert!(!looks_human(cat), "the cat's face presence {cat}");
}
