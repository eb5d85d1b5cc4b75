//! The one place an engine is chosen and built: [`EngineRequest`] reads the element's `engine`
//! and `engine-models-dir` values, checks a model set before anything is loaded, and
//! [`EngineRequest::build`] builds the engine with the notices its start gives the user (slow
//! provider, a model set's caveats, a deprecated property form). Adding an engine is one file in
//! `engine/` plus one [`EngineChoice`] variant and one arm in [`EngineRequest::build`].

use std::path::{Path, PathBuf};

use super::{MeshEngine, NeuralEngine, ReenactEngine};
use crate::avatar::AvatarModel;
use crate::models::{person_segmenter, FaceModels};
use crate::neural::lip_normalization::open_mouth_left_open;
use crate::neural::model_set::LivePortraitModels;
use crate::runtime::{ExecutionProvider, RuntimeError};

/// The reenactment engines (the `engine` property's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// The embedded engine: face-mesh landmarks, relative motion, a piecewise-affine warp
    /// ([`MeshEngine`]). Needs no model set.
    Mesh,
    /// LivePortrait's networks (KwaiVGI/LivePortrait, arXiv:2407.03168) run from an ONNX model
    /// set ([`NeuralEngine`]).
    LivePortrait,
}

impl EngineChoice {
    /// Every engine, in the order the property's documentation lists them.
    pub const ALL: [EngineChoice; 2] = [EngineChoice::Mesh, EngineChoice::LivePortrait];

    /// The property value naming this engine.
    pub fn nick(self) -> &'static str {
        match self {
            EngineChoice::Mesh => "mesh",
            EngineChoice::LivePortrait => "liveportrait",
        }
    }

    /// Whether the engine runs from a model set (`engine-models-dir`).
    pub fn needs_model_set(self) -> bool {
        self == EngineChoice::LivePortrait
    }
}

/// How loud a [`Notice`] is, and what it is about (the element maps it to a GStreamer message's
/// type, domain and code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Worth a line in the log only.
    Info,
    /// A warning about a setting (a slow provider, a deprecated form, a setting that does nothing).
    Settings,
    /// A warning about a file the model set lacks.
    MissingModel,
}

/// Something the user should know when the engine starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Its kind.
    pub kind: NoticeKind,
    /// The message: what happens, and what to do about it.
    pub text: String,
    /// Where it comes from (the settings involved), for the debug field.
    pub detail: String,
}

/// An engine built by [`EngineRequest::build`], with its start-up notices.
pub struct BuiltEngine {
    /// The engine.
    pub engine: Box<dyn ReenactEngine>,
    /// What the user should know, in the order it was found.
    pub notices: Vec<Notice>,
}

/// The engine asked for, and what building it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineRequest {
    /// Which engine.
    pub choice: EngineChoice,
    /// The engine's model set folder (LivePortrait's ONNX set); `None` for the mesh engine.
    pub model_set: Option<PathBuf>,
    /// The `engine` value was the model set's folder (the deprecated form).
    pub folder_form: bool,
    /// `engine-models-dir` was set for an engine that reads no model set.
    pub unused_model_set: Option<PathBuf>,
    /// Where inference runs.
    pub provider: ExecutionProvider,
    /// ONNX Runtime intra-op threads per model (0: ONNX Runtime's choice).
    pub threads: usize,
    /// Whether the iris model runs only on an eye whose picture changed.
    pub iris_reuse: bool,
    /// `alpha=matte`: the LivePortrait engine mattes each rendering again.
    pub matte: bool,
    /// The face models' folder (the person segmenter for `matte` is there).
    pub face_models_dir: PathBuf,
}

impl EngineRequest {
    /// Reads the `engine` value (`mesh`, `liveportrait`, empty for `mesh`; anything with a path
    /// separator, or an existing folder, is the deprecated form `engine=<model set folder>`) and
    /// `engine-models-dir` (`model_set`). Errors: an unknown engine name, or the LivePortrait
    /// engine without a model set; the message says what to set.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        engine: &str,
        model_set: Option<PathBuf>,
        provider: ExecutionProvider,
        threads: usize,
        iris_reuse: bool,
        matte: bool,
        face_models_dir: PathBuf,
    ) -> Result<Self, String> {
        let name = engine.trim();
        let named = EngineChoice::ALL
            .into_iter()
            .find(|c| name.is_empty() && *c == EngineChoice::Mesh || c.nick() == name);
        let looks_like_folder = name.contains(['/', '\\']) || Path::new(name).is_dir();
        let (choice, model_set, folder_form) = match named {
            Some(choice) => (choice, model_set, false),
            None if looks_like_folder => (EngineChoice::LivePortrait, Some(name.into()), true),
            None => {
                return Err(format!(
                    "engine={name:?} is not an engine: set engine to {} (with engine-models-dir=<folder> for {})",
                    EngineChoice::ALL.map(|c| c.nick()).join(" or "),
                    EngineChoice::LivePortrait.nick()
                ))
            }
        };
        let (model_set, unused_model_set) = if choice.needs_model_set() {
            (model_set, None)
        } else {
            (None, model_set)
        };
        if choice.needs_model_set() && model_set.is_none() {
            return Err(format!(
                "engine={} needs its model set: set engine-models-dir to the folder with \
                 appearance_feature_extractor.onnx, motion_extractor.onnx, warping_spade.onnx and \
                 stitching.onnx (docs/liveportrait.md)",
                choice.nick()
            ));
        }
        Ok(EngineRequest {
            choice,
            model_set,
            folder_form,
            unused_model_set,
            provider,
            threads,
            iris_reuse,
            matte,
            face_models_dir,
        })
    }

    /// What can be known of the model set from its files before anything is loaded (a set a GPU
    /// provider would refuse: [`LivePortraitModels::check_before_loading`]). Nothing for the mesh
    /// engine.
    pub fn check_before_loading(&self) -> Result<(), RuntimeError> {
        match (&self.model_set, self.choice) {
            (Some(dir), EngineChoice::LivePortrait) => {
                LivePortraitModels::check_before_loading(dir, self.provider)
            }
            _ => Ok(()),
        }
    }

    /// Builds the engine, tracking with `models`, for `avatar` (read for its notices: an open
    /// mouth the set cannot close). Errors: a model set that does not load, or the person
    /// segmenter's ([`RuntimeError`]).
    pub fn build(
        &self,
        models: &FaceModels,
        avatar: &AvatarModel,
    ) -> Result<BuiltEngine, RuntimeError> {
        let mut notices = self.property_notices();
        let tracker = models.tracker_with_iris_reuse(self.iris_reuse);
        let engine: Box<dyn ReenactEngine> = match (self.choice, &self.model_set) {
            (EngineChoice::Mesh, _) => Box::new(MeshEngine::new(tracker)),
            (EngineChoice::LivePortrait, dir) => {
                let dir = dir
                    .as_deref()
                    .expect("EngineRequest::new requires the model set");
                let set = LivePortraitModels::load(dir, self.provider, self.threads)?;
                notices.extend(self.liveportrait_notices(dir, &set, avatar));
                let engine = NeuralEngine::new(tracker, models.new_landmarker(), set);
                if self.matte {
                    // The rendering is matted again every frame (see NeuralEngine::with_matting).
                    let segmenter =
                        person_segmenter(&self.face_models_dir, self.provider, self.threads)?;
                    Box::new(engine.with_matting(segmenter))
                } else {
                    Box::new(engine)
                }
            }
        };
        Ok(BuiltEngine { engine, notices })
    }

    /// Notices about the properties' form: the deprecated folder form, a model set no engine reads.
    fn property_notices(&self) -> Vec<Notice> {
        let mut notices = Vec::new();
        if let (true, Some(dir)) = (self.folder_form, &self.model_set) {
            notices.push(Notice {
                kind: NoticeKind::Settings,
                text: format!(
                    "engine=<folder> is deprecated: set engine={} engine-models-dir={}",
                    self.choice.nick(),
                    dir.display()
                ),
                detail: format!("engine={}", dir.display()),
            });
        }
        if let Some(dir) = &self.unused_model_set {
            notices.push(Notice {
                kind: NoticeKind::Settings,
                text: format!(
                    "engine-models-dir={} is not read by engine={}: set engine={} to use it",
                    dir.display(),
                    self.choice.nick(),
                    EngineChoice::LivePortrait.nick()
                ),
                detail: format!("engine={}", self.choice.nick()),
            });
        }
        notices
    }

    /// The LivePortrait engine's start-up notices: where it runs, the set's own notes, the CPU's
    /// speed, and an open-mouthed `avatar` the set cannot close.
    fn liveportrait_notices(
        &self,
        dir: &Path,
        set: &LivePortraitModels,
        avatar: &AvatarModel,
    ) -> Vec<Notice> {
        let detail = format!(
            "model set {}, execution-provider={}, inference-threads={}",
            dir.display(),
            self.provider.nick(),
            self.threads
        );
        let mut notices = vec![Notice {
            kind: NoticeKind::Info,
            text: format!(
                "LivePortrait engine: model set {} on {}",
                dir.display(),
                set.active_provider()
            ),
            detail: detail.clone(),
        }];
        notices.extend(set.notes().iter().map(|note| Notice {
            kind: NoticeKind::Settings,
            text: note.clone(),
            detail: detail.clone(),
        }));
        if set.active_provider() == "cpu" {
            notices.push(Notice {
                kind: NoticeKind::Settings,
                text: "the LivePortrait engine runs on the CPU: expect about 0.25 frames per second with \
                       full-size models (3.9 s a frame measured with inference-threads=2 on 2 cores; 2.6 s \
                       for the warping network alone on 16). Set inference-threads to the number of cores, \
                       or run it on an NVIDIA GPU: execution-provider=cuda with ONNX Runtime's GPU build \
                       (the onnxruntime-gpu wheel's library, given by ORT_DYLIB_PATH; docs/liveportrait.md, \"GPUs\")"
                    .into(),
                detail: detail.clone(),
            });
        }
        if let Some(ratio) = open_mouth_left_open(&avatar.landmarks.points, set.has_retargeting().1)
        {
            notices.push(Notice {
                kind: NoticeKind::MissingModel,
                text: format!(
                    "avatar {} has an open mouth (lip gap {:.2} of its width) and the model set in {} has no \
                     stitching_lip.onnx: its lips cannot be closed first, so they will not close with the actor's. \
                     Add stitching_lip.onnx from the same set",
                    avatar.path.display(),
                    ratio,
                    dir.display()
                ),
                detail,
            });
        }
        notices
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(engine: &str, model_set: Option<&str>) -> Result<EngineRequest, String> {
        EngineRequest::new(
            engine,
            model_set.map(PathBuf::from),
            ExecutionProvider::Cpu,
            1,
            true,
            false,
            PathBuf::from("models"),
        )
    }

    #[test]
    fn names_choose_the_engine() {
        assert_eq!(request("", None).unwrap().choice, EngineChoice::Mesh);
        assert_eq!(request("mesh", None).unwrap().choice, EngineChoice::Mesh);
        let lp = request("liveportrait", Some("/sets/lp")).unwrap();
        assert_eq!(lp.choice, EngineChoice::LivePortrait);
        assert_eq!(lp.model_set, Some(PathBuf::from("/sets/lp")));
        assert!(!lp.folder_form);
        assert!(lp.property_notices().is_empty());
    }

    #[test]
    fn a_folder_is_the_deprecated_form_of_liveportrait() {
        let r = request("/sets/lp_onnx", None).unwrap();
        assert_eq!(r.choice, EngineChoice::LivePortrait);
        assert_eq!(r.model_set, Some(PathBuf::from("/sets/lp_onnx")));
        let notices = r.property_notices();
        assert_eq!(notices.len(), 1);
        assert!(notices[0].text.contains("deprecated"));
        assert!(notices[0]
            .text
            .contains("engine=liveportrait engine-models-dir=/sets/lp_onnx"));
        // An existing folder without a separator too.
        let here = std::env::temp_dir();
        let name = here.to_str().unwrap();
        assert!(request(name, None).unwrap().folder_form);
    }

    #[test]
    fn unknown_names_and_missing_sets_say_what_to_set() {
        let e = request("livportrait", None).unwrap_err();
        assert!(e.contains("mesh or liveportrait"), "{e}");
        let e = request("liveportrait", None).unwrap_err();
        assert!(e.contains("engine-models-dir"), "{e}");
    }

    #[test]
    fn a_model_set_the_mesh_engine_does_not_read_is_said() {
        let r = request("mesh", Some("/sets/lp")).unwrap();
        assert_eq!(r.model_set, None);
        let notices = r.property_notices();
        assert_eq!(notices.len(), 1);
        assert!(notices[0].text.contains("engine=liveportrait"));
    }

    #[test]
    fn the_mesh_engine_needs_no_check() {
        assert!(request("mesh", None)
            .unwrap()
            .check_before_loading()
            .is_ok());
    }
}
