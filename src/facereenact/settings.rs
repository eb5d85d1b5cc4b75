//! The element's properties: one table ([`settings_table!`]) that declares each property's field,
//! default and `GParamSpec` together, so that adding a property is one entry here plus its use.
//! The long explanation of each property is in `docs/properties.md`; the blurbs stay short.
//!
//! Values are stored as GLib gives them (strings as `Option<String>`); the typed views the rest of
//! the element needs ([`Settings::avatar_path`], [`Settings::actor_region`],
//! [`Settings::engine_request`], [`Settings::engine_settings`]) read them.

use std::path::PathBuf;

use gst::glib;
use gst::prelude::*;

use super::{
    ActorChoiceChoice, AlphaChoice, ExecutionProviderChoice, MotionReferenceChoice,
    MotionRegionChoice,
};
use crate::engine::factory::{EngineChoice, EngineRequest};
use crate::engine::EngineSettings;
use crate::face::search::DEFAULT_BUDGET;
use crate::face::{FrameRegion, TrackOptions};
use crate::models::default_models_dir;
use crate::motion::rest::{DEFAULT_HOLD_SECONDS, REST_EASE_SECONDS};
use crate::motion::{MotionSettings, OneEuroParams};
use crate::output_size::DEFAULT_MAX_SIDE;

/// Highest `actor-face` and `avatar-face` rank.
pub const MAX_FACE_RANK: u32 = 31;

/// Declares [`Settings`] (one field per property), its `Default`, and the table of `GParamSpec`s,
/// setters and getters, from one list of entries:
///
/// `field: Type = default => "property-name", |d| <ParamSpec built with default d>;`
///
/// The unit tests check that each entry's ParamSpec has the entry's name and default.
macro_rules! settings_table {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident: $ty:ty = $default:expr => $name:literal, |$d:ident| $spec:expr;
    )*) => {
        /// The element's settings: one field per property (see the table in this file).
        #[derive(Debug, Clone, PartialEq)]
        pub struct Settings {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        impl Default for Settings {
            fn default() -> Self {
                Settings { $( $field: $default, )* }
            }
        }

        impl Settings {
            /// The element's properties, in the order `gst-inspect-1.0` lists them.
            pub fn param_specs() -> Vec<glib::ParamSpec> {
                vec![ $( { let $d: $ty = $default; $spec } ),* ]
            }

            /// Sets property `name` to `value` (of the ParamSpec's type, which GLib checked).
            /// Returns whether the value changed; `None` for a name not in the table.
            pub fn set(&mut self, name: &str, value: &glib::Value) -> Option<bool> {
                match name {
                    $( $name => {
                        let v: $ty = value.get().expect("GLib checks the type against the ParamSpec");
                        let changed = self.$field != v;
                        self.$field = v;
                        Some(changed)
                    } )*
                    _ => None,
                }
            }

            /// The value of property `name`; `None` for a name not in the table.
            pub fn get(&self, name: &str) -> Option<glib::Value> {
                match name {
                    $( $name => Some(self.$field.to_value()), )*
                    _ => None,
                }
            }
        }
    };
}

/// One intra-op thread by default: these models are small, and more threads compete with
/// decoding and encoding in the same pipeline (figures in `docs/performance.md`).
const DEFAULT_INFERENCE_THREADS: u32 = 1;

settings_table! {
    /// `avatar`: path of the avatar picture; `None` or empty: no avatar.
    avatar: Option<String> = None => "avatar", |d| glib::ParamSpecString::builder("avatar")
        .nick("Avatar")
        .blurb("Path of the avatar picture (PNG or JPEG with a human face). Changeable while PLAYING: \
                a bad file keeps the avatar in use")
        .default_value(d.as_deref())
        .mutable_playing()
        .build();
    /// `avatar-face`: which face of the avatar picture, by size rank (0 = the largest).
    avatar_face: u32 = 0 => "avatar-face", |d| glib::ParamSpecUInt::builder("avatar-face")
        .nick("Avatar face")
        .blurb("Which face of the avatar picture to animate: 0 = the largest, 1 = the next largest, ...")
        .maximum(MAX_FACE_RANK)
        .default_value(d)
        .mutable_ready()
        .build();
    /// `output-max-side`: cap on the long side of an unconstrained output, pixels; 0: none.
    output_max_side: u32 = DEFAULT_MAX_SIDE => "output-max-side", |d| glib::ParamSpecUInt::builder("output-max-side")
        .nick("Output max side")
        .blurb("Cap on the output's long side, pixels, when downstream asks for no size \
                (a larger avatar picture is scaled down once). 0 = the picture's own size")
        .maximum(crate::avatar::MAX_AVATAR_SIDE)
        .default_value(d)
        .mutable_ready()
        .build();
    /// `alpha`: where the output's alpha comes from.
    alpha: AlphaChoice = AlphaChoice::Opaque => "alpha", |d| glib::ParamSpecEnum::builder_with_default("alpha", d)
        .nick("Alpha")
        .blurb("Transparency of the output: opaque, the picture's alpha channel, or a person matte; \
                straight alpha, warped with the head")
        .mutable_ready()
        .build();
    /// `models-dir`: the face models' folder; `None` or empty: [`default_models_dir`].
    models_dir: Option<String> = None => "models-dir", |d| glib::ParamSpecString::builder("models-dir")
        .nick("Models folder")
        .blurb("Folder with the face models (face_detection_*.onnx, face_landmark.onnx, iris_landmark.onnx). \
                Unset: $FACEREENACT_MODELS_DIR, else the models installed beside the plugin")
        .default_value(d.as_deref())
        .mutable_ready()
        .build();
    /// `engine`: `mesh` or `liveportrait` (see [`EngineChoice`]); a folder (deprecated) means
    /// `liveportrait` with that model set.
    engine: Option<String> = Some(EngineChoice::Mesh.nick().to_string()) => "engine", |d| glib::ParamSpecString::builder("engine")
        .nick("Reenactment engine")
        .blurb("mesh: the embedded face-mesh engine; liveportrait: LivePortrait's networks, \
                with the model set in engine-models-dir")
        .default_value(d.as_deref())
        .mutable_ready()
        .build();
    /// `engine-models-dir`: the engine's model set folder (LivePortrait's ONNX set).
    engine_models_dir: Option<String> = None => "engine-models-dir", |d| glib::ParamSpecString::builder("engine-models-dir")
        .nick("Engine models folder")
        .blurb("Folder with the engine's model set: for engine=liveportrait, appearance_feature_extractor.onnx, \
                motion_extractor.onnx, warping_spade.onnx and stitching.onnx")
        .default_value(d.as_deref())
        .mutable_ready()
        .build();
    /// `execution-provider`: where inference runs.
    execution_provider: ExecutionProviderChoice = ExecutionProviderChoice::Auto => "execution-provider", |d| glib::ParamSpecEnum::builder_with_default("execution-provider", d)
        .nick("Execution provider")
        .blurb("ONNX Runtime execution provider; auto falls back to the CPU and says so on the bus")
        .mutable_ready()
        .build();
    /// `inference-threads`: ONNX Runtime intra-op threads per model; 0: ONNX Runtime's choice.
    inference_threads: u32 = DEFAULT_INFERENCE_THREADS => "inference-threads", |d| glib::ParamSpecUInt::builder("inference-threads")
        .nick("Inference threads")
        .blurb("ONNX Runtime intra-op threads per model (0 = ONNX Runtime's choice)")
        .maximum(64)
        .default_value(d)
        .mutable_ready()
        .build();
    /// `render-threads`: threads drawing the head region; 0: by its size.
    render_threads: u32 = 0 => "render-threads", |d| glib::ParamSpecUInt::builder("render-threads")
        .nick("Render threads")
        .blurb("Threads drawing the re-posed head, each a band of it: 0 = by the head's size, \
                at most one per core. Mesh engine only")
        .maximum(16)
        .default_value(d)
        .mutable_playing()
        .build();
    /// `iris-reuse`: run the iris model only on an eye whose picture changed.
    iris_reuse: bool = true => "iris-reuse", |d| glib::ParamSpecBoolean::builder("iris-reuse")
        .nick("Iris reuse")
        .blurb("Run the iris model only on an eye whose picture changed since its last run")
        .default_value(d)
        .mutable_ready()
        .build();
    /// `expression-multiplier`: scale of the actor's expression on the avatar (0..3).
    expression_multiplier: f64 = 1.0 => "expression-multiplier", |d| glib::ParamSpecDouble::builder("expression-multiplier")
        .nick("Expression multiplier")
        .blurb("Scales the actor's expression on the avatar: 0 = none, 1 = as the actor, >1 exaggerates")
        .minimum(0.0)
        .maximum(3.0)
        .default_value(d)
        .mutable_playing()
        .build();
    /// `adapt-scale`: scale the motion by the ratio of face sizes (FOMM's adapt_movement_scale).
    adapt_scale: bool = true => "adapt-scale", |d| glib::ParamSpecBoolean::builder("adapt-scale")
        .nick("Adapt scale")
        .blurb("Scale the actor's motion by the ratio of face sizes, as FOMM's adapt_movement_scale. \
                Mesh engine only")
        .default_value(d)
        .mutable_playing()
        .build();
    /// `motion-region`: which parts of the actor's motion reach the avatar.
    motion_region: MotionRegionChoice = MotionRegionChoice::All => "motion-region", |d| glib::ParamSpecEnum::builder_with_default("motion-region", d)
        .nick("Motion region")
        .blurb("Which parts of the actor's motion reach the avatar: all, pose, expression, lips or eyes")
        .mutable_playing()
        .build();
    /// `motion-reference`: what the actor's motion is measured against.
    motion_reference: MotionReferenceChoice = MotionReferenceChoice::Camera => "motion-reference", |d| glib::ParamSpecEnum::builder_with_default("motion-reference", d)
        .nick("Motion reference")
        .blurb("What the actor's motion is measured against: the actor facing the camera at rest (camera), \
                or the first face frame of each shot (first-frame, LivePortrait's relative motion)")
        .mutable_playing()
        .build();
    /// `smoothing`: One-Euro filter on the actor's landmarks.
    smoothing: bool = true => "smoothing", |d| glib::ParamSpecBoolean::builder("smoothing")
        .nick("Smoothing")
        .blurb("One-Euro filter on the actor's landmarks (removes jitter, follows fast motion)")
        .default_value(d)
        .mutable_playing()
        .build();
    /// `smoothing-min-cutoff`: One-Euro cut-off frequency at rest, Hz.
    min_cutoff: f64 = 1.0 => "smoothing-min-cutoff", |d| glib::ParamSpecDouble::builder("smoothing-min-cutoff")
        .nick("One-Euro min cutoff")
        .blurb("One-Euro cut-off frequency at rest, Hz: lower = steadier still face, more lag")
        .minimum(0.01)
        .maximum(30.0)
        .default_value(d)
        .mutable_playing()
        .build();
    /// `smoothing-beta`: One-Euro speed coefficient (speed in face widths per second).
    beta: f64 = 15.0 => "smoothing-beta", |d| glib::ParamSpecDouble::builder("smoothing-beta")
        .nick("One-Euro beta")
        .blurb("One-Euro speed coefficient (speed in face widths per second): higher = less lag on fast motion")
        .minimum(0.0)
        .maximum(100.0)
        .default_value(d)
        .mutable_playing()
        .build();
    /// `actor-region`: "x,y,width,height" fractions of the frame where the actor's face is
    /// looked for; `None` or empty: the whole frame (see [`Settings::actor_region`]).
    actor_region: Option<String> = Some(String::new()) => "actor-region", |d| glib::ParamSpecString::builder("actor-region")
        .nick("Actor region")
        .blurb("Part of the actor frame where the face is looked for and followed, as fractions \
                \"x,y,width,height\"; empty = the whole frame")
        .default_value(d.as_deref())
        .mutable_playing()
        .build();
    /// `actor-face`: which face a search takes, by size rank.
    actor_face: u32 = 0 => "actor-face", |d| glib::ParamSpecUInt::builder("actor-face")
        .nick("Actor face")
        .blurb("Which face a search takes when none is followed: 0 = the largest, 1 = the next largest, ...")
        .maximum(MAX_FACE_RANK)
        .default_value(d)
        .mutable_playing()
        .build();
    /// `actor-choice`: how the actor face is chosen among several.
    actor_choice: ActorChoiceChoice = ActorChoiceChoice::Largest => "actor-choice", |d| glib::ParamSpecEnum::builder_with_default("actor-choice", d)
        .nick("Actor choice")
        .blurb("How the actor face is chosen among several: largest (see actor-face), or speaking \
                (the face whose mouth moves most)")
        .mutable_playing()
        .build();
    /// `search-budget`: model runs per frame a face search may spend; 0: no bound.
    search_budget: u32 = DEFAULT_BUDGET as u32 => "search-budget", |d| glib::ParamSpecUInt::builder("search-budget")
        .nick("Search budget")
        .blurb("Model runs per frame spent looking for a face while none is followed \
                (0 = the whole search in one frame, for files)")
        .maximum(1024)
        .default_value(d)
        .mutable_playing()
        .build();
    /// `processing-deadline`: most time a frame may take here, nanoseconds; 0: one frame.
    processing_deadline: u64 = 0 => "processing-deadline", |d| glib::ParamSpecUInt64::builder("processing-deadline")
        .nick("Processing deadline")
        .blurb("Most time one frame may spend in the element, nanoseconds, added to the latency \
                (0 = one frame of the input). Later frames are reported on the bus")
        .default_value(d)
        .mutable_ready()
        .build();
    /// `hold-time`: seconds the avatar holds its last pose without an actor face; -1: until one
    /// is back.
    hold_time: f64 = DEFAULT_HOLD_SECONDS as f64 => "hold-time", |d| glib::ParamSpecDouble::builder("hold-time")
        .nick("Hold time")
        .blurb(&format!("Seconds without an actor face that the avatar holds its last pose before it eases to \
                its own over {REST_EASE_SECONDS} s (-1 = until a face is back)"))
        .minimum(-1.0)
        .maximum(86400.0)
        .default_value(d)
        .mutable_playing()
        .build();
}

/// Reads an `actor-region` value: empty (or unset) is the whole frame (`Ok(None)`); `Err` says
/// why it does not read.
pub fn parse_actor_region(text: Option<&str>) -> Result<Option<FrameRegion>, String> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t.parse::<FrameRegion>().map(Some),
    }
}

/// A path property's value: `None` when unset or empty.
fn path_of(value: &Option<String>) -> Option<PathBuf> {
    value
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

impl Settings {
    /// The avatar picture's path; `None` when unset or empty.
    pub fn avatar_path(&self) -> Option<PathBuf> {
        path_of(&self.avatar)
    }

    /// The face models' folder: `models-dir`, else the default ([`default_models_dir`]).
    pub fn models_dir(&self) -> PathBuf {
        path_of(&self.models_dir).unwrap_or_else(default_models_dir)
    }

    /// `actor-region` read ([`parse_actor_region`]).
    pub fn actor_region(&self) -> Result<Option<FrameRegion>, String> {
        parse_actor_region(self.actor_region.as_deref())
    }

    /// The engine to build, from `engine`, `engine-models-dir`, `execution-provider`,
    /// `inference-threads`, `iris-reuse` and `alpha` (see [`EngineRequest`]). Errors: the
    /// `engine` value does not read ([`EngineRequest::new`]).
    pub fn engine_request(&self) -> Result<EngineRequest, String> {
        EngineRequest::new(
            self.engine.as_deref().unwrap_or_default(),
            path_of(&self.engine_models_dir),
            self.execution_provider.into(),
            self.inference_threads as usize,
            self.iris_reuse,
            self.alpha == AlphaChoice::Matte,
            self.models_dir(),
        )
    }

    /// The per-frame controls for the engine (read once per frame). The search's time bound is
    /// left unset: the element sets it per frame in a live stream.
    pub fn engine_settings(&self) -> EngineSettings {
        EngineSettings {
            motion: MotionSettings {
                expression_multiplier: self.expression_multiplier as f32,
                adapt_scale: self.adapt_scale,
                region: self.motion_region.into(),
                reference: self.motion_reference.into(),
            },
            render_threads: self.render_threads as usize,
            tracking: TrackOptions {
                // A region that does not read stops the start; while playing it is refused.
                region: self.actor_region().ok().flatten(),
                rank: self.actor_face as usize,
                search_budget: self.search_budget as usize,
                search_time: None,
                choice: self.actor_choice.into(),
            },
            hold_seconds: if self.hold_time < 0.0 {
                f32::INFINITY
            } else {
                self.hold_time as f32
            },
            smoothing: self.smoothing.then(|| OneEuroParams {
                min_cutoff: self.min_cutoff as f32,
                beta: self.beta as f32,
                ..OneEuroParams::default()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_param_spec_has_its_entry_s_name_and_default() {
        let settings = Settings::default();
        let specs = Settings::param_specs();
        assert_eq!(specs.len(), 24);
        for spec in &specs {
            let value = settings
                .get(spec.name())
                .unwrap_or_else(|| panic!("{} has no entry", spec.name()));
            let default = spec.default_value();
            assert_eq!(
                format!("{:?}", value),
                format!("{:?}", default),
                "{}: the settings' default differs from the ParamSpec's",
                spec.name()
            );
        }
    }

    #[test]
    fn names_are_kebab_case_and_blurbs_short() {
        for spec in Settings::param_specs() {
            let name = spec.name();
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
            let blurb = spec.blurb().unwrap_or_default();
            // One or two sentences: the long explanation is in docs/properties.md.
            assert!(blurb.len() <= 200, "{name}: blurb of {} chars", blurb.len());
            assert!(!blurb.contains(" ms"), "{name}: a timing in the blurb");
        }
    }

    /// The reference a user reads (`docs/properties.md`) has a section for every property, and
    /// none for a property the element does not have.
    #[test]
    fn docs_properties_describes_every_property_and_no_other() {
        let doc = include_str!("../../docs/properties.md");
        let names: Vec<String> = Settings::param_specs()
            .iter()
            .map(|s| s.name().to_string())
            .collect();
        for name in &names {
            assert!(
                doc.contains(&format!("\n### `{name}`\n")),
                "docs/properties.md has no section for {name}"
            );
        }
        for line in doc.lines().filter(|l| l.starts_with("### `")) {
            let name = line.trim_start_matches("### `").trim_end_matches('`');
            assert!(
                names.iter().any(|n| n == name) || name == "reset-reference",
                "docs/properties.md describes {name}, which the element does not have"
            );
        }
    }

    #[test]
    fn set_then_get_round_trips_and_says_what_changed() {
        let mut s = Settings::default();
        assert_eq!(s.set("avatar-face", &3u32.to_value()), Some(true));
        assert_eq!(s.set("avatar-face", &3u32.to_value()), Some(false));
        assert_eq!(s.get("avatar-face").unwrap().get::<u32>().unwrap(), 3);
        s.set("hold-time", &(-1.0f64).to_value());
        assert_eq!(s.engine_settings().hold_seconds, f32::INFINITY);
        s.set("motion-region", &MotionRegionChoice::Lips.to_value());
        assert_eq!(s.motion_region, MotionRegionChoice::Lips);
        assert_eq!(s.set("no-such-property", &1u32.to_value()), None);
    }

    #[test]
    fn empty_paths_are_unset() {
        let mut s = Settings::default();
        s.set("avatar", &"".to_value());
        assert_eq!(s.avatar_path(), None);
        s.set("avatar", &"a.png".to_value());
        assert_eq!(s.avatar_path(), Some(PathBuf::from("a.png")));
        s.set("models-dir", &"".to_value());
        assert_eq!(s.models_dir(), default_models_dir());
    }

    #[test]
    fn actor_region_reads_or_says_why_not() {
        assert_eq!(parse_actor_region(None), Ok(None));
        assert_eq!(parse_actor_region(Some("  ")), Ok(None));
        assert!(parse_actor_region(Some("0.25,0,0.5,0.6"))
            .unwrap()
            .is_some());
        assert!(parse_actor_region(Some("0.25,0")).is_err());
        let mut s = Settings::default();
        s.set("actor-region", &"0,0,0.5,0.5".to_value());
        assert!(s.engine_settings().tracking.region.is_some());
    }

    #[test]
    fn engine_settings_follow_the_properties() {
        let mut s = Settings::default();
        assert!(s.engine_settings().smoothing.is_some());
        s.set("smoothing", &false.to_value());
        s.set("expression-multiplier", &2.0f64.to_value());
        let e = s.engine_settings();
        assert_eq!(e.smoothing, None);
        assert_eq!(e.motion.expression_multiplier, 2.0);
        assert_eq!(e.tracking.search_budget, DEFAULT_BUDGET);
    }
}
