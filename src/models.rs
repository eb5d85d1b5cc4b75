//! The face models the mesh engine runs, the person segmentation model, and where they are found.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::face::{DetectorModel, EyeRefiner, FaceDetector, FaceTracker, Landmarker};
use crate::matte::PersonSegmenter;
use crate::runtime::{self, ExecutionProvider, LoadedSession, RuntimeError};

/// BlazeFace short-range detector, converted from MediaPipe's TFLite model (see models/NOTICE).
pub const DETECTOR_FILE: &str = "face_detection_short_range.onnx";
/// BlazeFace full-range detector (faces far from the camera), converted from MediaPipe's sparse
/// TFLite model.
pub const FULL_RANGE_DETECTOR_FILE: &str = "face_detection_full_range.onnx";
/// 468-point face-mesh landmarker, converted from MediaPipe's TFLite model.
pub const LANDMARKER_FILE: &str = "face_landmark.onnx";
/// Eye contour and iris model, converted from MediaPipe's TFLite model.
pub const IRIS_FILE: &str = "iris_landmark.onnx";

/// Selfie (person) segmentation, the general 256x256 model, converted from MediaPipe's TFLite
/// model (see models/NOTICE and [`crate::matte`]). Not in [`MODEL_FILES`]: loaded only when a
/// matte is asked for ([`person_segmenter`]).
pub const SEGMENTATION_FILE: &str = "selfie_segmentation.onnx";

/// Every model file the element loads on start.
pub const MODEL_FILES: [&str; 4] = [
    DETECTOR_FILE,
    FULL_RANGE_DETECTOR_FILE,
    LANDMARKER_FILE,
    IRIS_FILE,
];

/// `models/SHA256SUMS` (`sha256sum` format), embedded at build time: the models this version
/// was built and tested with.
const SHA256SUMS: &str = include_str!("../models/SHA256SUMS");

/// The sha256 (lowercase hex) that `models/SHA256SUMS` lists for the model file `name`.
pub fn expected_sha256(name: &str) -> Option<&'static str> {
    SHA256SUMS.lines().find_map(|line| {
        let (hash, file) = line.split_once(char::is_whitespace)?;
        (file.trim_start().trim_start_matches('*') == name).then_some(hash)
    })
}

/// A model file as it was when hashed: path, length, modification time.
type FileVersion = (PathBuf, u64, Option<SystemTime>);

/// Model files whose sha256 matched in this process: each file is hashed once per process
/// unless it changes.
static VERIFIED: LazyLock<Mutex<HashSet<FileVersion>>> = LazyLock::new(Default::default);

/// Checks the model file at `path` against the sha256 `models/SHA256SUMS` lists for its name
/// (a name it does not list is not checked).
///
/// Errors: [`RuntimeError::ModelMissing`] when there is no such file,
/// [`RuntimeError::ModelInvalid`] when it cannot be read, [`RuntimeError::ModelChecksum`] when
/// its content differs (a damaged file, or a model of another version).
pub fn verify_model(path: &Path) -> Result<(), RuntimeError> {
    let meta = std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .ok_or_else(|| RuntimeError::ModelMissing(path.to_path_buf()))?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    // Held while hashing: two elements starting at once hash a file once.
    let mut verified = VERIFIED.lock().unwrap_or_else(|e| e.into_inner());
    if verified.contains(&key) {
        return Ok(());
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some(expected) = expected_sha256(name) else {
        return Ok(());
    };
    let unreadable =
        |e: std::io::Error| RuntimeError::ModelInvalid(path.to_path_buf(), e.to_string());
    let mut hasher = Sha256::new();
    std::io::copy(
        &mut std::fs::File::open(path).map_err(unreadable)?,
        &mut hasher,
    )
    .map_err(unreadable)?;
    let found = format!("{:x}", hasher.finalize());
    if found != expected {
        return Err(RuntimeError::ModelChecksum(path.to_path_buf(), found));
    }
    verified.insert(key);
    Ok(())
}

/// The default models folder: `$FACEREENACT_MODELS_DIR`, else `$XDG_DATA_HOME/facereenact/models`
/// when it exists, else the source checkout's `models/`.
pub fn default_models_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("FACEREENACT_MODELS_DIR") {
        return PathBuf::from(p);
    }
    let installed = runtime::data_dir().join("models");
    if installed.join(LANDMARKER_FILE).is_file() {
        return installed;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// The person segmenter over `dir`'s [`SEGMENTATION_FILE`], checked first by [`verify_model`]
/// (its session shared process-wide, see [`runtime::session`]; `threads` is ONNX Runtime's
/// intra-op thread count, 0 lets it choose).
///
/// Errors: [`RuntimeError::ModelMissing`], [`RuntimeError::ModelInvalid`] or
/// [`RuntimeError::ModelChecksum`] naming the file; [`RuntimeError::Library`] without ONNX
/// Runtime; [`RuntimeError::Provider`] when an explicitly requested provider cannot be registered.
pub fn person_segmenter(
    dir: &Path,
    provider: ExecutionProvider,
    threads: usize,
) -> Result<PersonSegmenter, RuntimeError> {
    let path = dir.join(SEGMENTATION_FILE);
    verify_model(&path)?;
    Ok(PersonSegmenter::new(
        runtime::session(&path, provider, threads)?.session,
    ))
}

/// Sessions for the detector and the landmarker (shared process-wide, see [`runtime::session`]).
#[derive(Clone)]
pub struct FaceModels {
    /// Short-range detector session.
    pub detector: LoadedSession,
    /// Full-range detector session.
    pub full_range_detector: LoadedSession,
    /// Landmarker session.
    pub landmarker: LoadedSession,
    /// Eyelid / iris refinement session (the subject's right eye).
    pub iris: LoadedSession,
    /// A second session of the iris model (the left eye), so that both eyes can run at once
    /// (see [`EyeRefiner::with_session_per_eye`]).
    pub iris_second: LoadedSession,
}

impl FaceModels {
    /// Loads the four models from `dir`, each checked first by [`verify_model`]. Errors name the
    /// missing, invalid or mismatching file.
    pub fn load(
        dir: &Path,
        provider: ExecutionProvider,
        threads: usize,
    ) -> Result<FaceModels, RuntimeError> {
        for file in MODEL_FILES {
            verify_model(&dir.join(file))?;
        }
        Ok(FaceModels {
            detector: runtime::session(&dir.join(DETECTOR_FILE), provider, threads)?,
            full_range_detector: runtime::session(
                &dir.join(FULL_RANGE_DETECTOR_FILE),
                provider,
                threads,
            )?,
            landmarker: runtime::session(&dir.join(LANDMARKER_FILE), provider, threads)?,
            iris: runtime::session(&dir.join(IRIS_FILE), provider, threads)?,
            iris_second: runtime::session_copy(&dir.join(IRIS_FILE), provider, threads, 1)?,
        })
    }

    /// A fresh tracker over these sessions.
    pub fn tracker(&self) -> FaceTracker {
        self.tracker_with_iris_reuse(true)
    }

    /// A tracker whose eye refiner runs the iris model on every frame (see
    /// [`EyeRefiner::every_frame`]): for measuring output frames in the tests and the report.
    pub fn measuring_tracker(&self) -> FaceTracker {
        self.tracker_with_iris_reuse(false)
    }

    /// A tracker whose eye refiner reuses an unchanged eye's iris-model output (`reuse`, see
    /// [`crate::face::eye_refiner::REUSE_MAX_CHANGE`]) or runs the model on every frame.
    pub fn tracker_with_iris_reuse(&self, reuse: bool) -> FaceTracker {
        let eyes = EyeRefiner::with_session_per_eye([
            self.iris.session.clone(),
            self.iris_second.session.clone(),
        ]);
        self.tracker_with_eyes(Some(if reuse { eyes } else { eyes.every_frame() }))
    }

    /// A tracker over these sessions whose eyelids are refined by `eyes` (`None`: the plain
    /// face mesh, no iris model), for measuring one eye refiner against another.
    pub fn tracker_with_eyes(&self, eyes: Option<EyeRefiner>) -> FaceTracker {
        FaceTracker::new(
            FaceDetector::new(self.detector.session.clone(), DetectorModel::ShortRange),
            FaceDetector::new(
                self.full_range_detector.session.clone(),
                DetectorModel::FullRange,
            ),
            Landmarker::new(self.landmarker.session.clone()),
            eyes,
        )
    }

    /// A landmarker on the shared landmark session, for reading a face back from a rendering
    /// (the LivePortrait engine's drawn pose).
    pub fn new_landmarker(&self) -> Landmarker {
        Landmarker::new(self.landmarker.session.clone())
    }

    /// Provider fallbacks that happened while loading (empty when the requested one works).
    pub fn fallback_notes(&self) -> Vec<String> {
        let mut n = self.detector.fallback_notes.clone();
        n.extend(self.full_range_detector.fallback_notes.iter().cloned());
        n.extend(self.landmarker.fallback_notes.iter().cloned());
        n.extend(self.iris.fallback_notes.iter().cloned());
        // Each session tried the same providers: say each reason once.
        let mut seen = std::collections::HashSet::new();
        n.retain(|note| seen.insert(note.clone()));
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_file_has_a_listed_sha256() {
        for file in MODEL_FILES.into_iter().chain([SEGMENTATION_FILE]) {
            let hash = expected_sha256(file).unwrap_or_else(|| panic!("{file} not in SHA256SUMS"));
            assert_eq!(hash.len(), 64, "{file}");
        }
    }

    #[test]
    fn the_source_models_match_and_a_corrupt_copy_is_named() {
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let landmarker = models.join(LANDMARKER_FILE);
        verify_model(&landmarker).expect("the checked-in model matches SHA256SUMS");
        let hashed = |p: &Path| {
            let verified = VERIFIED.lock().unwrap_or_else(|e| e.into_inner());
            verified.iter().any(|(path, ..)| path == p)
        };
        assert!(
            hashed(&landmarker),
            "a match is remembered: hashed once per process"
        );
        let dir = std::env::temp_dir().join(format!("facereenact-sha-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let copy = dir.join(LANDMARKER_FILE);
        let mut bytes = std::fs::read(&landmarker).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(&copy, bytes).unwrap();
        let err = verify_model(&copy).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(err, RuntimeError::ModelChecksum(..)), "{err:?}");
        assert!(
            !hashed(&copy),
            "a mismatch is checked again on the next load"
        );
        let msg = err.to_string();
        assert!(
            msg.contains(&copy.display().to_string()) && msg.contains("git checkout models/"),
            "{msg}"
        );
    }

    #[test]
    fn the_segmentation_model_matches_and_a_missing_or_corrupt_one_is_named() {
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        verify_model(&models.join(SEGMENTATION_FILE)).expect("the checked-in model matches");
        let dir = std::env::temp_dir().join(format!("facereenact-seg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(SEGMENTATION_FILE);
        let missing = person_segmenter(&dir, ExecutionProvider::Cpu, 1)
            .err()
            .expect("a missing model must fail");
        let mut bytes = std::fs::read(models.join(SEGMENTATION_FILE)).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(&file, bytes).unwrap();
        let corrupt = person_segmenter(&dir, ExecutionProvider::Cpu, 1)
            .err()
            .expect("a corrupt model must fail");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            matches!(missing, RuntimeError::ModelMissing(..)),
            "{missing:?}"
        );
        assert!(
            matches!(corrupt, RuntimeError::ModelChecksum(..)),
            "{corrupt:?}"
        );
        for err in [missing, corrupt] {
            assert!(
                err.to_string().contains(&file.display().to_string()),
                "{err}"
            );
        }
    }
}
