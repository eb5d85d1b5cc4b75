//! The avatar: its picture, decoded once, and everything computed from it once (landmarks, warp
//! mesh, skin colour), shared between frames and swappable while a stream runs.

use std::fmt;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

use crate::face::{FaceLandmarks, FaceTracker};
use crate::motion::openings::closed_mouth;
use crate::render::mouth::skin_colour;
use crate::render::WarpMesh;
use crate::runtime::RuntimeError;

/// Why an avatar picture cannot be used.
#[derive(Debug, Clone)]
pub enum AvatarError {
    /// The file does not exist.
    NotFound(PathBuf),
    /// The file exists but is not a readable picture.
    Decode(PathBuf, String),
    /// The picture decodes but has no detectable human face.
    NoFace(PathBuf),
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
            AvatarError::NoFace(p) => write!(
                f,
                "no face found in avatar picture {}: use a picture with one clearly visible, roughly frontal human face",
                p.display()
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
    /// The picture, upright (EXIF orientation applied), 8-bit RGB. It is also the cached canvas:
    /// every output frame starts as a copy of it.
    pub image: RgbImage,
    /// The avatar's 468 face-mesh landmarks, avatar pixels.
    pub landmarks: FaceLandmarks,
    /// The avatar's neutral pose that the actor's motion starts from: its landmarks, with the
    /// mouth closed when the picture shows it open ([`closed_mouth`]), 468 points, avatar pixels.
    pub neutral: Vec<[f32; 3]>,
    /// The warp mesh built around them.
    pub mesh: WarpMesh,
    /// Mean skin colour, RGB 0..255, for colour matching the mouth interior.
    pub skin: [f32; 3],
}

/// Decodes a picture file to upright 8-bit RGB (EXIF orientation applied; alpha dropped,
/// grayscale expanded).
pub fn decode_picture(path: &Path) -> Result<RgbImage, AvatarError> {
    if !path.exists() {
        return Err(AvatarError::NotFound(path.to_path_buf()));
    }
    let decode_err = |e: image::ImageError| AvatarError::Decode(path.to_path_buf(), e.to_string());
    let reader = ImageReader::open(path)
        .map_err(|e| AvatarError::Decode(path.to_path_buf(), e.to_string()))?
        .with_guessed_format()
        .map_err(|e| AvatarError::Decode(path.to_path_buf(), e.to_string()))?;
    let mut decoder = reader.into_decoder().map_err(decode_err)?;
    let orientation = decoder.orientation().map_err(decode_err)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
    img.apply_orientation(orientation);
    Ok(img.to_rgb8())
}

impl AvatarModel {
    /// Loads the avatar at `path`: decode, find the face and its landmarks, build the warp mesh.
    pub fn load(path: &Path, tracker: &mut FaceTracker) -> Result<AvatarModel, AvatarError> {
        let image = decode_picture(path)?;
        let landmarks = tracker
            .detect_still(&image)
            .map_err(AvatarError::Runtime)?
            .ok_or_else(|| AvatarError::NoFace(path.to_path_buf()))?;
        Ok(Self::from_parts(path, image, landmarks))
    }

    /// Builds the model from a picture and its landmarks (no inference).
    pub fn from_parts(path: &Path, image: RgbImage, landmarks: FaceLandmarks) -> AvatarModel {
        let mesh = WarpMesh::new(&landmarks.points);
        let neutral = closed_mouth(&landmarks.points).unwrap_or_else(|| landmarks.points.clone());
        let skin = skin_colour(&image, 1.0, &landmarks.points);
        AvatarModel {
            path: path.to_path_buf(),
            image,
            landmarks,
            neutral,
            mesh,
            skin,
        }
    }

    /// Picture size, pixels.
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
