//! The one place that loads ONNX Runtime, builds sessions and chooses execution providers.
//!
//! ONNX Runtime is loaded dynamically (`ort` with `load-dynamic`) once per process from the first
//! path that exists among:
//! 1. `$ORT_DYLIB_PATH` (absolute path to `libonnxruntime.so*`),
//! 2. `$XDG_DATA_HOME/facereenact/onnxruntime/libonnxruntime.so.1.31.1`
//!    (`~/.local/share/...` when `XDG_DATA_HOME` is unset),
//! 3. `<source checkout>/.deps/onnxruntime/libonnxruntime.so.1.31.1`, where `scripts/setup.sh` puts
//!    the library it extracts from the official `onnxruntime==1.31.1` wheel.
//!
//! Sessions are cached process-wide, keyed by model path, execution provider and thread count, so
//! several element instances share one session per model.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use ort::ep::{self, ExecutionProviderDispatch};
use ort::session::Session;

/// Version of the ONNX Runtime library the project pins (from the PyPI wheel).
pub const ORT_VERSION: &str = "1.31.1";
/// File name of the pinned ONNX Runtime library.
pub const ORT_LIB_NAME: &str = "libonnxruntime.so.1.31.1";

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExecutionProvider {
    /// Try TensorRT, then CUDA, then fall back to the CPU; the fallback is reported.
    #[default]
    Auto,
    /// ONNX Runtime's default CPU provider.
    Cpu,
    /// NVIDIA CUDA; an error if it cannot be registered.
    Cuda,
    /// NVIDIA TensorRT; an error if it cannot be registered.
    TensorRt,
}

impl ExecutionProvider {
    /// The kebab-case nick used by the element property (`auto`, `cpu`, `cuda`, `tensorrt`).
    pub fn nick(self) -> &'static str {
        match self {
            ExecutionProvider::Auto => "auto",
            ExecutionProvider::Cpu => "cpu",
            ExecutionProvider::Cuda => "cuda",
            ExecutionProvider::TensorRt => "tensorrt",
        }
    }
}

/// Why a session could not be made.
#[derive(Debug, Clone)]
pub enum RuntimeError {
    /// The ONNX Runtime shared library is missing or unusable. Carries the paths tried and the cause.
    Library(String),
    /// The model file does not exist.
    ModelMissing(PathBuf),
    /// ONNX Runtime refused the model file (corrupt, wrong format).
    ModelInvalid(PathBuf, String),
    /// The model file's sha256 is not the one `models/SHA256SUMS` lists for its name: file, the
    /// sha256 found.
    ModelChecksum(PathBuf, String),
    /// An explicitly requested execution provider could not be registered.
    Provider(ExecutionProvider, String),
    /// A model set (a folder of several ONNX files, e.g. LivePortrait's) does not have the
    /// expected interface: the folder, and one line per refused file naming its path, what was
    /// expected and what was found.
    ModelSet(PathBuf, Vec<String>),
    /// Inference itself failed.
    Inference(String),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Library(msg) => write!(
                f,
                "ONNX Runtime {ORT_VERSION} could not be loaded: {msg}. Run scripts/setup.sh, or set \
                 ORT_DYLIB_PATH to the absolute path of {ORT_LIB_NAME}"
            ),
            RuntimeError::ModelMissing(p) => write!(
                f,
                "model file {} not found: set the models-dir property (or FACEREENACT_MODELS_DIR) \
                 to the folder holding the project's models/",
                p.display()
            ),
            RuntimeError::ModelInvalid(p, e) => write!(
                f,
                "model file {} could not be loaded ({e}): restore it from the project's models/ folder",
                p.display()
            ),
            RuntimeError::ModelChecksum(p, found) => write!(
                f,
                "model file {} has sha256 {found}, not the one in models/SHA256SUMS: it is corrupt or not \
                 the model this version expects: restore it with `git checkout models/` or set models-dir \
                 to the project's models/",
                p.display()
            ),
            RuntimeError::Provider(ep, e) => write!(
                f,
                "execution provider '{}' could not be registered ({e}): use execution-provider=auto \
                 or cpu, or install an ONNX Runtime build with that provider",
                ep.nick()
            ),
            RuntimeError::ModelSet(dir, problems) => write!(
                f,
                "model set in {} refused: {}",
                dir.display(),
                problems.join("; ")
            ),
            RuntimeError::Inference(e) => write!(f, "inference failed: {e}"),
        }
    }
}

impl std::error::Error for RuntimeError {}

impl From<ort::Error> for RuntimeError {
    fn from(e: ort::Error) -> Self {
        RuntimeError::Inference(e.to_string())
    }
}

/// A session shared between element instances. `ort::Session::run` needs `&mut`, hence the mutex.
pub type SharedSession = Arc<Mutex<Session>>;

/// A session together with what was learned while building it.
#[derive(Clone)]
pub struct LoadedSession {
    /// The session itself.
    pub session: SharedSession,
    /// The provider that actually runs it (`cpu` after an `auto` fallback).
    pub active_provider: &'static str,
    /// Human-readable notes about providers that were tried and failed (empty when none failed).
    pub fallback_notes: Vec<String>,
}

/// The candidate library paths, in search order.
pub fn library_candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        out.push(PathBuf::from(p));
    }
    out.push(data_dir().join("onnxruntime").join(ORT_LIB_NAME));
    out.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".deps/onnxruntime")
            .join(ORT_LIB_NAME),
    );
    out
}

/// `$XDG_DATA_HOME/facereenact`, or `~/.local/share/facereenact`.
pub fn data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("/usr/local/share"));
    base.join("facereenact")
}

static INIT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
/// The process-wide ONNX Runtime environment; `ort` only keeps a weak reference to it.
static ENVIRONMENT: OnceLock<ort::environment::Environment> = OnceLock::new();

/// Loads ONNX Runtime once per process. Returns the library path that was loaded.
///
/// Errors: [`RuntimeError::Library`] naming every path tried, when none loads (missing file,
/// wrong version, not a library). The result is remembered: a failure is not retried.
pub fn ensure_loaded() -> Result<PathBuf, RuntimeError> {
    INIT.get_or_init(|| {
        let candidates = library_candidates();
        let explicit = std::env::var_os("ORT_DYLIB_PATH").is_some();
        let mut tried = Vec::new();
        for (i, path) in candidates.iter().enumerate() {
            // An explicit ORT_DYLIB_PATH is used as is, even when it is wrong: never silently
            // replace what the user asked for with another library.
            let user_choice = explicit && i == 0;
            if !user_choice && !path.exists() {
                tried.push(format!("{} (absent)", path.display()));
                continue;
            }
            if !path.is_absolute() {
                return Err(format!(
                    "ORT_DYLIB_PATH={} is not an absolute path",
                    path.display()
                ));
            }
            if !path.exists() {
                return Err(format!("ORT_DYLIB_PATH={} does not exist", path.display()));
            }
            return match ort::init_from(path) {
                Ok(builder) => match builder
                    .with_name("facereenact")
                    .with_telemetry(false)
                    .build()
                {
                    Ok(env) => {
                        let _ = ENVIRONMENT.set(env);
                        Ok(path.clone())
                    }
                    Err(e) => Err(format!("{}: {e}", path.display())),
                },
                Err(e) => Err(format!("{}: {e}", path.display())),
            };
        }
        Err(format!("no library found; tried {}", tried.join(", ")))
    })
    .clone()
    .map_err(RuntimeError::Library)
}

#[derive(Hash, PartialEq, Eq, Clone)]
struct SessionKey {
    model: PathBuf,
    provider: ExecutionProvider,
    threads: usize,
    copy: usize,
}

static SESSIONS: LazyLock<Mutex<HashMap<SessionKey, LoadedSession>>> =
    LazyLock::new(Default::default);

/// Returns the process-wide session for `model` (an `.onnx` file), building it on first use.
///
/// `threads` is ONNX Runtime's intra-op thread count (0 lets ONNX Runtime choose).
/// Errors: library missing, model missing or invalid, or an explicitly requested provider that
/// cannot be registered. With [`ExecutionProvider::Auto`] a provider that fails is skipped and
/// named in [`LoadedSession::fallback_notes`].
pub fn session(
    model: &Path,
    provider: ExecutionProvider,
    threads: usize,
) -> Result<LoadedSession, RuntimeError> {
    session_copy(model, provider, threads, 0)
}

/// Like [`session`], the process-wide session number `copy` of `model` (copy 0 is
/// [`session`]'s). A session runs one inference at a time; distinct copies of a model run at the
/// same time on different threads (each adds the model's weights and buffers once per process).
pub fn session_copy(
    model: &Path,
    provider: ExecutionProvider,
    threads: usize,
    copy: usize,
) -> Result<LoadedSession, RuntimeError> {
    ensure_loaded()?;
    let key = SessionKey {
        model: model.to_path_buf(),
        provider,
        threads,
        copy,
    };
    let mut cache = SESSIONS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = cache.get(&key) {
        return Ok(s.clone());
    }
    if !model.is_file() {
        return Err(RuntimeError::ModelMissing(model.to_path_buf()));
    }
    let loaded = build_session(model, provider, threads)?;
    cache.insert(key, loaded.clone());
    Ok(loaded)
}

fn base_builder(threads: usize) -> Result<ort::session::builder::SessionBuilder, RuntimeError> {
    let env = ENVIRONMENT
        .get()
        .ok_or_else(|| RuntimeError::Library("environment not initialised".into()))?;
    let b = Session::builder(env)?;
    let b = b
        .with_intra_threads(threads)
        .map_err(|e| RuntimeError::Inference(e.to_string()))?;
    let b = b
        .with_inter_threads(1)
        .map_err(|e| RuntimeError::Inference(e.to_string()))?;
    // Worker threads that spin while waiting for work take a core from decoding and encoding in
    // the same pipeline, and from each other: with 2 threads on 2 cores a frame took 9.8-11.6 ms
    // spinning and 7.1-7.8 ms without (`cargo bench --bench throughput`). No effect with 1 thread.
    let b = b
        .with_intra_op_spinning(false)
        .map_err(|e| RuntimeError::Inference(e.to_string()))?;
    Ok(b)
}

fn commit(
    mut b: ort::session::builder::SessionBuilder,
    model: &Path,
) -> Result<Session, RuntimeError> {
    b.commit_from_file(model)
        .map_err(|e| RuntimeError::ModelInvalid(model.to_path_buf(), e.to_string()))
}

fn with_provider(
    b: ort::session::builder::SessionBuilder,
    dispatch: ExecutionProviderDispatch,
) -> Result<ort::session::builder::SessionBuilder, String> {
    b.with_execution_providers([dispatch.error_on_failure()])
        .map_err(|e| e.to_string())
}

fn gpu_dispatch(p: ExecutionProvider) -> ExecutionProviderDispatch {
    match p {
        ExecutionProvider::TensorRt => ep::TensorRT::default().build(),
        _ => ep::CUDA::default().build(),
    }
}

fn build_session(
    model: &Path,
    provider: ExecutionProvider,
    threads: usize,
) -> Result<LoadedSession, RuntimeError> {
    let wrap = |s: Session, active: &'static str, notes: Vec<String>| LoadedSession {
        session: Arc::new(Mutex::new(s)),
        active_provider: active,
        fallback_notes: notes,
    };
    match provider {
        ExecutionProvider::Cpu => Ok(wrap(commit(base_builder(threads)?, model)?, "cpu", vec![])),
        ExecutionProvider::Cuda | ExecutionProvider::TensorRt => {
            let b = with_provider(base_builder(threads)?, gpu_dispatch(provider))
                .map_err(|e| RuntimeError::Provider(provider, e))?;
            Ok(wrap(commit(b, model)?, provider.nick(), vec![]))
        }
        ExecutionProvider::Auto => {
            let mut notes = Vec::new();
            for p in [ExecutionProvider::TensorRt, ExecutionProvider::Cuda] {
                // ONNX Runtime's messages end with a full stop; the notes are joined with "; ".
                let note = |e: &dyn std::fmt::Display| {
                    format!(
                        "{}: {}",
                        p.nick(),
                        e.to_string().trim_end().trim_end_matches('.')
                    )
                };
                match with_provider(base_builder(threads)?, gpu_dispatch(p)) {
                    Ok(b) => match b.clone().commit_from_file(model) {
                        Ok(s) => return Ok(wrap(s, p.nick(), notes)),
                        Err(e) => notes.push(note(&e)),
                    },
                    Err(e) => notes.push(note(&e)),
                }
            }
            Ok(wrap(commit(base_builder(threads)?, model)?, "cpu", notes))
        }
    }
}

/// ONNX Runtime session runs in this process so far (all models, all instances): lets tests and
/// benchmarks relate per-frame costs to inferences.
pub fn inference_runs() -> u64 {
    INFERENCE_RUNS.load(std::sync::atomic::Ordering::Relaxed)
}

static INFERENCE_RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs a model that takes one `1 x side x side x 3` float tensor (NHWC) and copies its first two
/// outputs, flattened, into `first` and `second` (cleared, capacity reused: no allocation once
/// they have grown).
pub fn run_rgb_square(
    session: &SharedSession,
    input: &[f32],
    side: usize,
    first: &mut Vec<f32>,
    second: &mut Vec<f32>,
) -> Result<(), RuntimeError> {
    let mut session = session.lock().unwrap_or_else(|e| e.into_inner());
    let tensor = ort::value::TensorRef::from_array_view(([1usize, side, side, 3], input))?;
    let outputs = session.run(ort::inputs![tensor])?;
    INFERENCE_RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if outputs.len() < 2 {
        return Err(RuntimeError::Inference(format!(
            "model has {} outputs, expected 2",
            outputs.len()
        )));
    }
    for (k, dst) in [first, second].into_iter().enumerate() {
        let (_, values) = outputs[k].try_extract_tensor::<f32>()?;
        dst.clear();
        dst.extend_from_slice(values);
    }
    Ok(())
}

/// Runs a model that takes one `1 x height x width x 3` float tensor (NHWC) and copies its first
/// output, flattened, into `out` (cleared, capacity reused).
///
/// Errors: [`RuntimeError::Inference`] when the run fails, the model has no output or its first
/// output is not `f32`.
pub fn run_rgb(
    session: &SharedSession,
    input: &[f32],
    (height, width): (usize, usize),
    out: &mut Vec<f32>,
) -> Result<(), RuntimeError> {
    let mut session = session.lock().unwrap_or_else(|e| e.into_inner());
    let tensor = ort::value::TensorRef::from_array_view(([1usize, height, width, 3], input))?;
    let outputs = session.run(ort::inputs![tensor])?;
    INFERENCE_RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if outputs.len() == 0 {
        return Err(RuntimeError::Inference("model has no output".into()));
    }
    let (_, values) = outputs[0].try_extract_tensor::<f32>()?;
    out.clear();
    out.extend_from_slice(values);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_candidates_start_with_the_env_override() {
        // The override must come first so that a user's choice always wins.
        let c = library_candidates();
        assert!(c
            .iter()
            .any(|p| p.ends_with(Path::new(".deps/onnxruntime").join(ORT_LIB_NAME))));
        if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
            assert_eq!(c[0], PathBuf::from(p));
        }
    }

    #[test]
    fn missing_model_is_named_in_the_error() {
        if ensure_loaded().is_err() {
            // Without the library the error must say how to get it.
            let msg = ensure_loaded().unwrap_err().to_string();
            assert!(
                msg.contains("setup.sh") && msg.contains("ORT_DYLIB_PATH"),
                "{msg}"
            );
            return;
        }
        let err = session(
            Path::new("/nonexistent/face.onnx"),
            ExecutionProvider::Cpu,
            1,
        )
        .err()
        .expect("a missing model must fail");
        let msg = err.to_string();
        assert!(
            msg.contains("/nonexistent/face.onnx") && msg.contains("models-dir"),
            "{msg}"
        );
    }
}
