//! One model of the set run through ONNX Runtime's I/O binding: every input and output tensor is
//! allocated once, when the model is bound, and reused by every run.
//!
//! Why: a plain `Session::run` wraps its inputs and allocates its outputs on every call. For the
//! per-frame models (motion extractor, stitching, warping + SPADE decoder) that is a 3 MB output
//! and, for `warping_spade`, a 32 MB feature volume copied to the device on every frame. Bound:
//!
//! * host inputs (`img` 1x3x256x256, `input` 1x126, `kp_driving` 1x21x3) are f32 tensors the
//!   caller writes in place ([`BoundModel::input_mut`]); they are bound again before each run,
//!   which on a GPU provider copies them to device memory from ONNX Runtime's arena (no new
//!   device allocation once the arena holds the blocks) and on the CPU binds them in place;
//! * a resident input ([`BoundModel::bind_resident`]) is bound once and stays bound: the appearance
//!   feature volume `feature_3d` 1x32x16x64x64, which the appearance extractor leaves in the
//!   provider's memory ([`run_to_device`]) so that it never crosses to the host;
//! * outputs are host tensors bound once; ONNX Runtime writes (CPU) or copies (GPU) into them, and
//!   the caller reads them in place ([`BoundModel::output`]).
//!
//! On CUDA and TensorRT the host tensors are page-locked (`CudaPinned`) so that the copies are DMA
//! transfers; elsewhere they come from ONNX Runtime's default CPU allocator.
//!
//! Source: ONNX Runtime's I/O binding (`OrtIoBinding`, "IOBinding" in the ONNX Runtime docs);
//! `ort` 2.0's `Session::create_binding` / `run_binding`.

use std::sync::atomic::{AtomicU64, Ordering};

use ort::memory::{AllocationDevice, Allocator, AllocatorType, MemoryInfo, MemoryType};
use ort::session::{IoBinding, Session};
use ort::value::{DynTensor, DynTensorValueType, Tensor};

use super::model_set::ModelSpec;
use crate::runtime::{LoadedSession, RuntimeError, SharedSession};

/// Runs of [`BoundModel`]s in this process so far (all models, all instances): lets tests and
/// benchmarks relate per-frame costs to runs.
pub fn bound_runs() -> u64 {
    BOUND_RUNS.load(Ordering::Relaxed)
}

static BOUND_RUNS: AtomicU64 = AtomicU64::new(0);

/// Whether ONNX Runtime's `active_provider` nick (see [`LoadedSession::active_provider`]) runs on
/// an NVIDIA GPU, whose memory is CUDA memory.
fn on_cuda(active_provider: &str) -> bool {
    matches!(active_provider, "cuda" | "tensorrt")
}

/// Memory of the provider that runs `loaded`: CUDA device memory for CUDA and TensorRT, host
/// memory otherwise.
fn device_memory(loaded: &LoadedSession) -> Result<MemoryInfo<'static>, RuntimeError> {
    let device = if on_cuda(loaded.active_provider) {
        AllocationDevice::CUDA
    } else {
        AllocationDevice::CPU
    };
    Ok(MemoryInfo::new(
        device,
        0,
        AllocatorType::Device,
        MemoryType::Default,
    )?)
}

/// The allocator for host tensors exchanged with `session`: page-locked memory for a GPU
/// provider, ONNX Runtime's default CPU allocator otherwise.
fn host_allocator(session: &Session, active_provider: &str) -> Result<Allocator, RuntimeError> {
    if on_cuda(active_provider) {
        let pinned = MemoryInfo::new(
            AllocationDevice::CUDA_PINNED,
            0,
            AllocatorType::Device,
            MemoryType::CPUInput,
        )?;
        return Ok(Allocator::new(session, pinned)?);
    }
    Ok(Allocator::default())
}

/// The shape of `spec`'s tensor as `usize`, batch 1.
fn shape(dims: &[i64]) -> Vec<usize> {
    dims.iter().map(|&d| d.max(1) as usize).collect()
}

/// Runs `loaded` (a model of one input and one output, e.g. the appearance extractor) on the host
/// tensor `input` and returns its output **in the provider's memory** (device memory on a GPU):
/// the value to give [`BoundModel::bind_resident`]. One run, allocating its output; used once per
/// avatar, not per frame.
///
/// `input` is `spec.inputs[0]`'s shape, flat C order. Errors: [`RuntimeError::Inference`] when
/// the run fails.
pub fn run_to_device(
    loaded: &LoadedSession,
    spec: &ModelSpec,
    input: &[f32],
) -> Result<DynTensor, RuntimeError> {
    let mut session = loaded.session.lock().unwrap_or_else(|e| e.into_inner());
    let allocator = host_allocator(&session, loaded.active_provider)?;
    let mut host = Tensor::<f32>::new(&allocator, shape(spec.inputs[0].shape))?;
    host.extract_tensor_mut().1.copy_from_slice(input);
    let mut binding = session.create_binding()?;
    binding.bind_input(spec.inputs[0].name, &host)?;
    binding.bind_output_to_device(spec.outputs[0].name, &device_memory(loaded)?)?;
    let mut outputs = session.run_binding(&binding)?;
    let output = outputs.remove(spec.outputs[0].name).ok_or_else(|| {
        RuntimeError::Inference(format!(
            "{} gave no output '{}'",
            spec.file, spec.outputs[0].name
        ))
    })?;
    Ok(output.downcast::<DynTensorValueType>()?)
}

/// Copies a value from [`run_to_device`] to the host, flat C order (for tests and diagnostics).
pub fn to_host(value: &DynTensor) -> Result<Vec<f32>, RuntimeError> {
    let host;
    let value = if value.memory_info().is_cpu_accessible() {
        value
    } else {
        host = value.to(AllocationDevice::CPU, 0)?;
        &host
    };
    Ok(value.try_extract_tensor::<f32>()?.1.to_vec())
}

/// One model with its inputs and outputs bound once (see the module docs).
pub struct BoundModel {
    session: SharedSession,
    spec: &'static ModelSpec,
    binding: IoBinding,
    /// Host inputs in `spec.inputs` order; `None` where a resident value is bound instead.
    inputs: Vec<Option<Tensor<f32>>>,
    /// Host outputs in `spec.outputs` order.
    outputs: Vec<Tensor<f32>>,
}

impl BoundModel {
    /// Binds `loaded` as `spec` describes it (names and shapes checked at load by
    /// [`super::model_set::LivePortraitModels::load`]); allocates one host tensor per input and
    /// output, batch 1. The inputs' contents are unspecified until written.
    pub fn new(loaded: &LoadedSession, spec: &'static ModelSpec) -> Result<Self, RuntimeError> {
        let session = loaded.session.lock().unwrap_or_else(|e| e.into_inner());
        let allocator = host_allocator(&session, loaded.active_provider)?;
        let mut binding = session.create_binding()?;
        let mut inputs = Vec::with_capacity(spec.inputs.len());
        for t in spec.inputs {
            let mut tensor = Tensor::<f32>::new(&allocator, shape(t.shape))?;
            tensor.extract_tensor_mut().1.fill(0.0);
            inputs.push(Some(tensor));
        }
        let mut outputs = Vec::with_capacity(spec.outputs.len());
        for t in spec.outputs {
            let mut tensor = Tensor::<f32>::new(&allocator, shape(t.shape))?;
            binding.bind_output(t.name, &mut tensor)?;
            outputs.push(tensor);
        }
        drop(session);
        Ok(BoundModel {
            session: loaded.session.clone(),
            spec,
            binding,
            inputs,
            outputs,
        })
    }

    fn input_index(&self, name: &str) -> usize {
        self.spec
            .inputs
            .iter()
            .position(|t| t.name == name)
            .unwrap_or_else(|| panic!("{} has no input '{name}'", self.spec.file))
    }

    /// The host input `name`, flat C order, to write before [`BoundModel::run`].
    ///
    /// Panics when the model has no such input or it is bound to a resident value.
    pub fn input_mut(&mut self, name: &str) -> &mut [f32] {
        let i = self.input_index(name);
        let file = self.spec.file;
        self.inputs[i]
            .as_mut()
            .unwrap_or_else(|| panic!("{file} input '{name}' is resident"))
            .extract_tensor_mut()
            .1
    }

    /// Binds `value` (e.g. from [`run_to_device`]) to input `name` for every later run, in place
    /// of the host tensor. Panics when the model has no such input.
    pub fn bind_resident(&mut self, name: &str, value: &DynTensor) -> Result<(), RuntimeError> {
        let i = self.input_index(name);
        self.inputs[i] = None;
        self.binding.bind_input(name, value)?;
        Ok(())
    }

    /// Runs the model on the inputs as last written. The outputs are then in
    /// [`BoundModel::output`]. Errors: [`RuntimeError::Inference`] when the run fails.
    pub fn run(&mut self) -> Result<(), RuntimeError> {
        for (t, tensor) in self.spec.inputs.iter().zip(&self.inputs) {
            if let Some(tensor) = tensor {
                self.binding.bind_input(t.name, tensor)?;
            }
        }
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        // The outputs are views of the bound tensors; the run has written into them.
        drop(session.run_binding(&self.binding)?);
        BOUND_RUNS.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The output `name` of the last run, flat C order.
    ///
    /// Panics when the model has no such output.
    pub fn output(&self, name: &str) -> &[f32] {
        let i = self
            .spec
            .outputs
            .iter()
            .position(|t| t.name == name)
            .unwrap_or_else(|| panic!("{} has no output '{name}'", self.spec.file));
        self.outputs[i].extract_tensor().1
    }
}
