//! The avatar: its picture, decoded once, and what every engine needs of it, found once (its
//! landmarks, its alpha), shared between frames and swappable while a stream runs.

use std::fmt;
use std::io::Cursor;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use image::{
    DynamicImage, GrayImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Luma, RgbImage,
    Rgba, RgbaImage,
};

use crate::face::{FaceLandmarks, FaceTracker};
use crate::output_size::SizeRule;
use crate::picture::{
    alpha_as_rgb, bleed_under_transparency, composite_over_white, fit_into, jpeg_is_complete,
    pad_to_even, Padding,
};
use crate::runtime::RuntimeError;

/// Largest width or height of an avatar picture, pixels. Larger pictures are refused from their
/// header, before any pixel is decoded.
pub const MAX_AVATAR_SIDE: u32 = 16384;
/// Largest area of an avatar picture, pixels (64 megapixels), checked like [`MAX_AVATAR_SIDE`].
pub const MAX_AVATAR_PIXELS: u64 = 64_000_000;

/// Why an avatar picture cannot be used.
#[derive(Debug, Clone)]
pub enum AvatarError {
    /// The file does not exist.
    NotFound(PathBuf),
    /// The file exists but is not a readable picture (or is a directory).
    Decode(PathBuf, String),
    /// The picture's header declares more than [`MAX_AVATAR_SIDE`] pixels a side or
    /// [`MAX_AVATAR_PIXELS`] in all: file, width, height.
    TooLarge(PathBuf, u32, u32),
    /// The header is readable but the pixel data is cut short or corrupt, or the file is empty:
    /// file, cause.
    Damaged(PathBuf, String),
    /// The picture decodes but has no detectable human face.
    NoFace(PathBuf),
    /// The picture has a face at its own size but none once scaled to the output size: file,
    /// picture size, output size (width, height, pixels).
    NoFaceAtSize(PathBuf, (u32, u32), (u32, u32)),
    /// The output size asked for (width, height, pixels) is over [`MAX_AVATAR_SIDE`] a side or
    /// [`MAX_AVATAR_PIXELS`] in all.
    OutputTooLarge(u32, u32),
    /// The picture has fewer faces than the face number asked for: file, faces found, number
    /// asked for (0-based).
    NoSuchFace(PathBuf, usize, usize),
    /// The face models could not run.
    Runtime(RuntimeError),
}

impl fmt::Display for AvatarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AvatarError::NotFound(p) => {
                write!(f, "avatar picture {} not found: set avatar to an existing PNG or JPEG file", p.display())
            }
            AvatarError::Decode(p, e) => {
                write!(f, "avatar picture {} could not be decoded ({e}): use a PNG or JPEG file", p.display())
            }
            AvatarError::TooLarge(p, w, h) => write!(
                f,
                "avatar picture {} is {w}x{h} pixels, over the limit of {MAX_AVATAR_SIDE} pixels a side \
                 and {} megapixels: scale it down (a face needs no more than about 1024 pixels a side)",
                p.display(),
                MAX_AVATAR_PIXELS / 1_000_000
            ),
            AvatarError::Damaged(p, e) => write!(
                f,
                "avatar picture {} is truncated or damaged ({e}): copy or save the picture again",
                p.display()
            ),
            AvatarError::NoSuchFace(p, count, face) => write!(
                f,
                "avatar-face={face} but avatar picture {} shows {count} face(s): use avatar-face 0 to {} (0 is the largest)",
                p.display(),
                count.saturating_sub(1)
            ),
            AvatarError::NoFace(p) => write!(
                f,
                "no face found in avatar picture {}: use a picture with one clearly visible, roughly frontal human face",
                p.display()
            ),
            AvatarError::NoFaceAtSize(p, (pw, ph), (w, h)) => write!(
                f,
                "avatar picture {} ({pw}x{ph}) scaled to the output size {w}x{h} leaves its face too small to be found: \
                 ask for a larger output (a capsfilter's width and height after facereenact, or a larger output-max-side)",
                p.display()
            ),
            AvatarError::OutputTooLarge(w, h) => write!(
                f,
                "an output of {w}x{h} is over the limit of {MAX_AVATAR_SIDE} pixels a side and {} megapixels: \
                 ask for a smaller size (a capsfilter's width and height after facereenact)",
                MAX_AVATAR_PIXELS / 1_000_000
            ),
            AvatarError::Runtime(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AvatarError {}

/// A decoded avatar and what is derived from it.
#[derive(Debug, Clone)]
pub struct AvatarModel {
    /// The file it came from.
    pub path: PathBuf,
    /// The picture's own size as decoded (upright, before padding to even or scaling): width,
    /// height, pixels. [`AvatarModel::size`] is the size it was prepared at.
    pub picture_size: (u32, u32),
    /// The picture as [`decode_picture`] makes it: upright, 8-bit RGB, opaque, even width and
    /// height; with [`AlphaRequest::Picture`] on a picture with alpha, its straight colours
    /// instead ([`PictureWithAlpha::straight`]). It is also the cached canvas: every output frame
    /// starts as a copy of it.
    pub image: RgbImage,
    /// The output's alpha when one was asked for and exists: 0 transparent .. 255 opaque,
    /// straight (colours are not premultiplied), the picture's size, the same value in R, G and
    /// B so that the warp mesh draws it like the colours. `None`: the output is opaque.
    pub alpha: Option<RgbImage>,
    /// The picture's own alpha channel (0..255, the picture's size) when an alpha was asked for
    /// and the picture has one, before any matte multiplies it; `None` otherwise. Lets an engine
    /// that mattes its renderings again (the LivePortrait engine) keep the picture's
    /// transparency.
    pub own_alpha: Option<GrayImage>,
    /// The avatar's 468 face-mesh landmarks, avatar pixels. (What only the mesh engine derives
    /// from them, its warp mesh, neutral pose and skin colour, it makes itself:
    /// [`crate::engine::mesh_avatar::MeshAvatar`].)
    pub landmarks: FaceLandmarks,
}

/// Decodes an avatar picture file into the canvas the element outputs: upright (EXIF orientation
/// applied), 8-bit RGB, opaque and of even width and height.
///
/// * PNG (8 or 16 bits; RGB, grayscale or palette) and JPEG (RGB, grayscale or CMYK) are accepted.
/// * Transparency is composited over white: transparent areas become white.
/// * An odd width or height is padded to even by repeating the last column or row (4:2:0 encoders
///   such as x264enc refuse odd sizes).
///
/// Errors, each naming the file: [`AvatarError::NotFound`]; [`AvatarError::Decode`] when it is not
/// a picture this crate reads; [`AvatarError::TooLarge`] when its header declares more than
/// [`MAX_AVATAR_SIDE`] pixels a side or [`MAX_AVATAR_PIXELS`] (refused before the pixel buffer is
/// allocated); [`AvatarError::Damaged`] when its data is cut short or corrupt, the file is empty
/// (or the decoder panics on it, see [`decode_picture_bytes`]). A directory is an
/// [`AvatarError::Decode`] saying so.
pub fn decode_picture(path: &Path) -> Result<RgbImage, AvatarError> {
    let data = read_picture_file(path)?;
    decode_picture_bytes(&data, path)
}

/// The bytes of the picture file at `path`, with [`decode_picture`]'s errors for a missing file
/// or a directory.
fn read_picture_file(path: &Path) -> Result<Vec<u8>, AvatarError> {
    if !path.exists() {
        return Err(AvatarError::NotFound(path.to_path_buf()));
    }
    // Reading a folder fails with the bare "Is a directory (os error 21)": say what is wrong.
    if path.is_dir() {
        return Err(AvatarError::Decode(
            path.to_path_buf(),
            "it is a directory, not a picture file".into(),
        ));
    }
    // Read once: the bytes serve both the decoder and the JPEG completeness check.
    std::fs::read(path).map_err(|e| AvatarError::Decode(path.to_path_buf(), e.to_string()))
}

/// Decodes the bytes of an avatar picture file as [`decode_picture`] does once it has read the
/// file: the same canvas, rules and errors, except [`AvatarError::NotFound`].
///
/// `path` is not opened: its extension is a format hint when the bytes' signature is not
/// recognised, and errors name it. This is the entry the fuzz target (`fuzz/`) drives.
///
/// A panic of the decoders is an [`AvatarError::Damaged`] too: they are third-party code run on
/// untrusted bytes, and zune-jpeg 0.5.15 (the image crate's JPEG decoder) panics on some corrupt
/// scans (an `unwrap` in its AVX2 IDCT, zune-image issue #409; found by `fuzz/`). That needs
/// the default `panic = "unwind"`; the panic hook still prints its message.
pub fn decode_picture_bytes(data: &[u8], path: &Path) -> Result<RgbImage, AvatarError> {
    let img = decode_guarded(data, path)?;
    let rgb = if img.color().has_alpha() {
        composite_over_white(&img.to_rgba8())
    } else {
        img.to_rgb8()
    };
    Ok(pad_to_even(rgb))
}

/// A picture decoded with its alpha channel kept: what [`decode_picture`] makes of it (the
/// detection runs on that), and, when the file has alpha, its straight colours (bled under full
/// transparency, see [`bleed_under_transparency`]) and its alpha, all three padded to even sizes.
pub struct PictureWithAlpha {
    /// As [`decode_picture`]: transparency composited over white.
    pub over_white: RgbImage,
    /// Straight (not premultiplied) colours and alpha (0 transparent .. 255 opaque); `None` when
    /// the file has no alpha channel (JPEG, RGB or grey PNG).
    pub straight: Option<(RgbImage, GrayImage)>,
}

/// Decodes the picture at `path` as [`decode_picture`] does, keeping its alpha channel; the same
/// errors.
pub fn decode_picture_with_alpha(path: &Path) -> Result<PictureWithAlpha, AvatarError> {
    decode_picture_sized(path, true, SizeRule::Capped(0)).map(|(p, _)| p)
}

/// Decodes the picture at `path` as [`decode_picture_with_alpha`] does (`keep_alpha`) or as
/// [`decode_picture`] does (only [`PictureWithAlpha::over_white`]), at the size `rule` gives the
/// picture: when that is not the picture's own size padded to even, it is scaled once with
/// [`crate::picture::fit_into`] (the whole picture fitted inside, centred; colour bands the mean
/// of the edge beside them, alpha bands transparent). Returns it and the picture's own size
/// (upright, before padding or scaling: width, height, pixels). The same errors.
///
/// Memory: the full-size picture lives only during this call (a 3061x4600 JPEG: about 42 MB of
/// RGB, plus the resampler's work buffer).
pub fn decode_picture_sized(
    path: &Path,
    keep_alpha: bool,
    rule: SizeRule,
) -> Result<(PictureWithAlpha, (u32, u32)), AvatarError> {
    let data = read_picture_file(path)?;
    let img = decode_guarded(&data, path)?;
    drop(data);
    let size = (img.width(), img.height());
    let target = rule.resolve(size);
    if target.0 > MAX_AVATAR_SIDE
        || target.1 > MAX_AVATAR_SIDE
        || u64::from(target.0) * u64::from(target.1) > MAX_AVATAR_PIXELS
    {
        return Err(AvatarError::OutputTooLarge(target.0, target.1));
    }
    let scale = target != (size.0 + size.0 % 2, size.1 + size.1 % 2);
    if !keep_alpha || !img.color().has_alpha() {
        let rgb = if img.color().has_alpha() {
            composite_over_white(&img.into_rgba8())
        } else {
            img.into_rgb8()
        };
        let over_white = if scale {
            fit_into(&rgb, target, Padding::EdgeMean)
        } else {
            pad_to_even(rgb)
        };
        let picture = PictureWithAlpha {
            over_white,
            straight: None,
        };
        return Ok((picture, size));
    }
    let (colour, alpha) = bleed_under_transparency(&img.into_rgba8());
    let (colour, alpha) = if scale {
        (
            fit_into(&colour, target, Padding::EdgeMean),
            fit_into(&alpha, target, Padding::Value(Luma([0]))),
        )
    } else {
        (pad_to_even(colour), pad_to_even(alpha))
    };
    // Bleeding changed only fully transparent colours, which compositing makes white anyway.
    let rgba = RgbaImage::from_fn(colour.width(), colour.height(), |x, y| {
        let [r, g, b] = colour.get_pixel(x, y).0;
        Rgba([r, g, b, alpha.get_pixel(x, y)[0]])
    });
    let picture = PictureWithAlpha {
        over_white: composite_over_white(&rgba),
        straight: Some((colour, alpha)),
    };
    Ok((picture, size))
}

/// [`decode_upright`], a panic of the decoders made an [`AvatarError::Damaged`].
fn decode_guarded(data: &[u8], path: &Path) -> Result<DynamicImage, AvatarError> {
    std::panic::catch_unwind(AssertUnwindSafe(|| decode_upright(data, path))).unwrap_or_else(
        |panic| {
            let cause = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(AvatarError::Damaged(
                path.to_path_buf(),
                format!("the decoder failed on its data: {cause}"),
            ))
        },
    )
}

/// [`decode_picture_bytes`] up to the decoded, upright picture: format, size limits, JPEG
/// completeness, pixels, EXIF orientation.
fn decode_upright(data: &[u8], path: &Path) -> Result<DynamicImage, AvatarError> {
    let undecodable = |e: String| AvatarError::Decode(path.to_path_buf(), e);
    // An empty file is most often an interrupted copy or download: the decoders would only say
    // "unexpected end of file".
    if data.is_empty() {
        return Err(AvatarError::Damaged(
            path.to_path_buf(),
            "the file is empty, 0 bytes".into(),
        ));
    }
    let mut reader = ImageReader::new(Cursor::new(data));
    if let Ok(format) = ImageFormat::from_path(path) {
        reader.set_format(format);
    }
    let reader = reader
        .with_guessed_format()
        .map_err(|e| undecodable(e.to_string()))?;
    let format = reader.format();
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| undecodable(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    if width > MAX_AVATAR_SIDE
        || height > MAX_AVATAR_SIDE
        || u64::from(width) * u64::from(height) > MAX_AVATAR_PIXELS
    {
        return Err(AvatarError::TooLarge(path.to_path_buf(), width, height));
    }
    if format == Some(ImageFormat::Jpeg) && !jpeg_is_complete(data) {
        return Err(AvatarError::Damaged(
            path.to_path_buf(),
            "the JPEG data ends before its end-of-image marker".into(),
        ));
    }
    let orientation = decoder
        .orientation()
        .map_err(|e| undecodable(e.to_string()))?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        ImageError::Decoding(_) | ImageError::IoError(_) => {
            AvatarError::Damaged(path.to_path_buf(), e.to_string())
        }
        _ => undecodable(e.to_string()),
    })?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// Something that computes a person matte of a picture (the element's `alpha=matte`; see
/// `crate::matte`).
pub trait Matting {
    /// The matte of `picture`: its size, 255 where a person is, 0 where the background is.
    fn matte(&mut self, picture: &RgbImage) -> Result<GrayImage, RuntimeError>;
}

/// Which alpha the avatar's output gets.
pub enum AlphaRequest<'a> {
    /// None: the picture's own background, opaque (transparency composited over white).
    Opaque,
    /// The picture's own alpha channel, when it has one (else the output stays opaque).
    Picture,
    /// A person matte computed by the given [`Matting`] (times the picture's own alpha, when it
    /// has one).
    Matte(&'a mut dyn Matting),
}

impl AvatarModel {
    /// Loads the avatar at `path`: decode, find the face and its landmarks.
    /// With several faces in the picture, the largest is used ([`AvatarModel::load_face`]).
    pub fn load(path: &Path, tracker: &mut FaceTracker) -> Result<AvatarModel, AvatarError> {
        Self::load_face(path, tracker, 0)
    }

    /// Loads the avatar at `path` animating its face number `face`, faces ordered largest first
    /// (ties: leftmost first). Errors: those of [`decode_picture`], [`AvatarError::NoFace`], and
    /// [`AvatarError::NoSuchFace`] when the picture has `face` faces or fewer.
    pub fn load_face(
        path: &Path,
        tracker: &mut FaceTracker,
        face: usize,
    ) -> Result<AvatarModel, AvatarError> {
        Self::load_with_alpha(path, tracker, face, AlphaRequest::Opaque)
    }

    /// [`AvatarModel::load_face`] with an alpha for the output ([`AvatarModel::alpha`]): the face
    /// is found on the picture composited over white in every case. Errors: those of
    /// [`AvatarModel::load_face`], and the matting's.
    pub fn load_with_alpha(
        path: &Path,
        tracker: &mut FaceTracker,
        face: usize,
        alpha: AlphaRequest,
    ) -> Result<AvatarModel, AvatarError> {
        Self::load_sized(path, tracker, face, alpha, SizeRule::Capped(0))
    }

    /// [`AvatarModel::load_with_alpha`] with the picture scaled first to the size `rule` gives
    /// it ([`decode_picture_sized`]): the landmarks, alpha or matte are all found on the
    /// scaled picture, so that the model is the output's size. The same errors.
    pub fn load_sized(
        path: &Path,
        tracker: &mut FaceTracker,
        face: usize,
        alpha: AlphaRequest,
        rule: SizeRule,
    ) -> Result<AvatarModel, AvatarError> {
        let keep_alpha = !matches!(alpha, AlphaRequest::Opaque);
        let (picture, picture_size) = decode_picture_sized(path, keep_alpha, rule)?;
        let (image, straight) = (picture.over_white, picture.straight);
        let (landmarks, count) = tracker
            .detect_still_nth(&image, face)
            .map_err(AvatarError::Runtime)?;
        let landmarks = landmarks.ok_or_else(|| {
            let scaled = image.dimensions();
            if count == 0 && scaled.0 < picture_size.0 && scaled.1 < picture_size.1 {
                AvatarError::NoFaceAtSize(path.to_path_buf(), picture_size, scaled)
            } else if count == 0 || face == 0 {
                AvatarError::NoFace(path.to_path_buf())
            } else {
                AvatarError::NoSuchFace(path.to_path_buf(), count, face)
            }
        })?;
        let (image, alpha, own_alpha) = match (alpha, straight) {
            (AlphaRequest::Opaque, _) | (AlphaRequest::Picture, None) => (image, None, None),
            (AlphaRequest::Picture, Some((colour, alpha))) => {
                (colour, Some(alpha.clone()), Some(alpha))
            }
            (AlphaRequest::Matte(matting), straight) => {
                let mut matte = matting.matte(&image).map_err(AvatarError::Runtime)?;
                match straight {
                    Some((colour, own)) => {
                        for (m, a) in matte.pixels_mut().zip(own.pixels()) {
                            m[0] = ((u32::from(m[0]) * u32::from(a[0]) + 127) / 255) as u8;
                        }
                        (colour, Some(matte), Some(own))
                    }
                    None => (image, Some(matte), None),
                }
            }
        };
        let mut model = Self::from_parts(path, image, landmarks);
        model.picture_size = picture_size;
        model.alpha = alpha.as_ref().map(alpha_as_rgb);
        model.own_alpha = own_alpha;
        Ok(model)
    }

    /// Builds the model from a picture and its landmarks (no inference).
    pub fn from_parts(path: &Path, image: RgbImage, landmarks: FaceLandmarks) -> AvatarModel {
        AvatarModel {
            path: path.to_path_buf(),
            picture_size: image.dimensions(),
            image,
            alpha: None,
            own_alpha: None,
            landmarks,
        }
    }

    /// The size it was prepared at (the output's): width, height, pixels.
    pub fn size(&self) -> (u32, u32) {
        self.image.dimensions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_non_picture_files_are_named_in_errors() {
        let err = decode_picture(Path::new("/nonexistent/avatar.png")).unwrap_err();
        assert!(matches!(err, AvatarError::NotFound(_)));
        assert!(err.to_string().contains("/nonexistent/avatar.png"));
        let not_a_picture = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let err = decode_picture(&not_a_picture).unwrap_err();
        assert!(matches!(err, AvatarError::Decode(..)), "{err:?}");
        assert!(err.to_string().contains("Cargo.toml"));
    }
}
