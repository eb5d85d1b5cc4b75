//! The face models the mesh engine runs, and where they are found.

use std::path::{Path, PathBuf};

use crate::face::{EyeRefiner, FaceDetector, FaceTracker, Landmarker};
use crate::runtime::{self, ExecutionProvider, LoadedSession, RuntimeError};

/// BlazeFace short-range detector, converted from MediaPipe's TFLite model (see models/README.md).
pub const DETECTOR_FILE: &str = "face_detection_short_range.onnx";
/// 468-point face-mesh landmarker, converted from MediaPipe's TFLite model.
pub const LANDMARKER_FILE: &str = "face_landmark.onnx";
/// Eye contour and iris model, converted from MediaPipe's TFLite model.
pub const IRIS_FILE: &str = "iris_landmark.onnx";

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

/// Sessions for the detector and the landmarker (shared process-wide, see [`runtime::session`]).
#[derive(Clone)]
pub struct FaceModels {
    /// Detector session.
    pub detector: LoadedSession,
    /// Landmarker session.
    pub landmarker: LoadedSession,
    /// Eyelid / iris refinement session.
    pub iris: LoadedSession,
}

impl FaceModels {
    /// Loads both models from `dir`. Errors name the missing or invalid file.
    pub fn load(
        dir: &Path,
        provider: ExecutionProvider,
        threads: usize,
    ) -> Result<FaceModels, RuntimeError> {
        Ok(FaceModels {
            detector: runtime::session(&dir.join(DETECTOR_FILE), provider, threads)?,
            landmarker: runtime::session(&dir.join(LANDMARKER_FILE), provider, threads)?,
            iris: runtime::session(&dir.join(IRIS_FILE), provider, threads)?,
        })
    }

    /// A fresh tracker over these sessions.
    pub fn tracker(&self) -> FaceTracker {
        FaceTracker::new(
            FaceDetector::new(self.detector.session.clone()),
            Landmarker::new(self.landmarker.session.clone()),
            Some(EyeRefiner::new(self.iris.session.clone())),
        )
    }

    /// Provider fallbacks that happened while loading (empty when the requested one works).
    pub fn fallback_notes(&self) -> Vec<String> {
        let mut n = self.detector.fallback_notes.clone();
        n.extend(self.landmarker.fallback_notes.iter().cloned());
        n.extend(self.iris.fallback_notes.iter().cloned());
        n.dedup();
        n
    }
}
