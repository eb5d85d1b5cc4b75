//! What a LivePortrait warping model declares about its GridSample nodes, read from the ONNX file
//! itself without running it: whether ONNX Runtime's GPU providers can run it.
//!
//! LivePortrait's warping network samples the 5-D appearance volume (1x32x16x64x64) with
//! `torch.nn.functional.grid_sample`. The ONNX standard defines GridSample on 5-D (volumetric)
//! tensors only from opset 20 (GridSample-16 is 4-D only; opset 20 also renames its modes
//! `bilinear` -> `linear`, `bicubic` -> `cubic`). Sets exported in 2024 with a patched exporter
//! (FasterLivePortrait's release) declare an older opset around 5-D GridSample nodes: ONNX
//! Runtime's CPU kernel runs them, its CUDA kernel for those opsets is 4-D only and fails on the
//! first frame with "Only 4-D tensor is supported" (FasterLivePortrait issues #14, #36, #162,
//! #191). The TensorRT variant of that release (`warping_spade-fix.onnx`) replaces the nodes with
//! a `GridSample3D` custom op that only a TensorRT plugin library implements.
//!
//! The ONNX protobuf (`onnx/onnx.proto`, fields by number) is decoded with `prost`, keeping only
//! the opset imports and the nodes: the weights (graph initializers) are skipped, not copied.

use std::path::{Path, PathBuf};

use prost::Message;

/// The first opset of the standard (`ai.onnx`) domain whose GridSample takes 5-D tensors.
pub const VOLUMETRIC_GRID_SAMPLE_OPSET: i64 = 20;

/// The command that converts the set in `dir` (for messages; `tools/liveportrait/convert_set.sh`,
/// run from the repository): `tools/liveportrait/convert_set.sh DIR OUT_DIR`.
pub fn converter_command(dir: &Path) -> String {
    format!(
        "tools/liveportrait/convert_set.sh {} OUT_DIR",
        dir.display()
    )
}

/// The GridSample facts of one ONNX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridSampleFindings {
    /// The file read.
    pub path: PathBuf,
    /// Version of the standard domain (`""` or `ai.onnx`) the model imports; `None` when it
    /// imports none.
    pub opset: Option<i64>,
    /// Standard GridSample nodes whose input is 5-D, or of unknown rank (a warping model's
    /// GridSample acts on its 5-D feature volume unless the file says the input is 4-D).
    pub volumetric_grid_samples: usize,
    /// Standard GridSample nodes whose input the file declares 4-D.
    pub planar_grid_samples: usize,
    /// `GridSample3D` nodes (a TensorRT plugin's custom op, any domain).
    pub grid_sample_3d: usize,
}

impl GridSampleFindings {
    /// Whether the file needs converting before ONNX Runtime's CUDA or TensorRT provider can run
    /// it: 5-D GridSample declared below opset 20, or a `GridSample3D` custom op.
    pub fn needs_conversion_for_gpu(&self) -> bool {
        self.grid_sample_3d > 0 || self.needs_volumetric_opset()
    }

    /// Whether ONNX Runtime's CPU provider cannot run the file either (`GridSample3D` has no
    /// kernel in ONNX Runtime).
    pub fn needs_conversion_for_cpu(&self) -> bool {
        self.grid_sample_3d > 0
    }

    fn needs_volumetric_opset(&self) -> bool {
        self.volumetric_grid_samples > 0 && self.opset.unwrap_or(0) < VOLUMETRIC_GRID_SAMPLE_OPSET
    }

    /// What is wrong, for a message: names the file, the cause and the converter command.
    pub fn problem(&self) -> String {
        let cause = if self.grid_sample_3d > 0 {
            format!(
                "it has {} GridSample3D node(s), a TensorRT plugin's custom op that ONNX Runtime \
                 does not implement",
                self.grid_sample_3d
            )
        } else {
            format!(
                "it declares ONNX opset {} around {} GridSample node(s) on 5-D (volumetric) \
                 tensors, which the ONNX standard defines only from opset {VOLUMETRIC_GRID_SAMPLE_OPSET}: \
                 ONNX Runtime's CUDA and TensorRT providers fail on them (\"Only 4-D tensor is \
                 supported\")",
                self.opset.map_or("(none)".to_string(), |v| v.to_string()),
                self.volumetric_grid_samples
            )
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        format!(
            "{}: {cause}. Convert the set once with `{}` (it rewrites GridSample at opset \
             {VOLUMETRIC_GRID_SAMPLE_OPSET} and checks the result against the original; \
             docs/liveportrait.md, \"Getting a LivePortrait model set\") and set \
             engine-models-dir= to OUT_DIR",
            self.path.display(),
            converter_command(dir)
        )
    }
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or mapped.
    Io(PathBuf, std::io::Error),
    /// The file is not an ONNX protobuf.
    Decode(PathBuf, prost::DecodeError),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            ReadError::Decode(p, e) => write!(f, "{}: not an ONNX model ({e})", p.display()),
        }
    }
}

/// Reads the GridSample facts of the ONNX file at `path` (memory-mapped; the weights are not
/// decoded). Errors: [`ReadError`] when the file cannot be read or is not an ONNX protobuf.
pub fn read(path: &Path) -> Result<GridSampleFindings, ReadError> {
    let file = std::fs::File::open(path).map_err(|e| ReadError::Io(path.to_path_buf(), e))?;
    // SAFETY: the mapping is read-only and dropped before this function returns; a file
    // truncated meanwhile by another process would fault, as reading any model file in place
    // can (ONNX Runtime maps it too).
    let map =
        unsafe { memmap2::Mmap::map(&file) }.map_err(|e| ReadError::Io(path.to_path_buf(), e))?;
    let model =
        proto::Model::decode(&map[..]).map_err(|e| ReadError::Decode(path.to_path_buf(), e))?;
    Ok(findings(path, &model))
}

/// Reads the GridSample facts from the bytes of an ONNX file (`path` only names it).
pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<GridSampleFindings, ReadError> {
    let model =
        proto::Model::decode(bytes).map_err(|e| ReadError::Decode(path.to_path_buf(), e))?;
    Ok(findings(path, &model))
}

fn is_standard_domain(domain: &str) -> bool {
    domain.is_empty() || domain == "ai.onnx"
}

fn findings(path: &Path, model: &proto::Model) -> GridSampleFindings {
    let opset = model
        .opset_import
        .iter()
        .filter(|o| is_standard_domain(&o.domain))
        .map(|o| o.version)
        .max();
    let mut out = GridSampleFindings {
        path: path.to_path_buf(),
        opset,
        volumetric_grid_samples: 0,
        planar_grid_samples: 0,
        grid_sample_3d: 0,
    };
    let Some(graph) = &model.graph else {
        return out;
    };
    let rank_of = |name: &str| -> Option<usize> {
        graph
            .input
            .iter()
            .chain(&graph.value_info)
            .chain(&graph.output)
            .find(|v| v.name == name)
            .and_then(|v| v.r#type.as_ref())
            .and_then(|t| t.tensor_type.as_ref())
            .and_then(|t| t.shape.as_ref())
            .map(|s| s.dim.len())
    };
    for node in &graph.node {
        if node.op_type == "GridSample3D" {
            out.grid_sample_3d += 1;
        } else if node.op_type == "GridSample" && is_standard_domain(&node.domain) {
            match node.input.first().and_then(|x| rank_of(x)) {
                Some(4) => out.planar_grid_samples += 1,
                _ => out.volumetric_grid_samples += 1,
            }
        }
    }
    out
}

/// The few messages of `onnx.proto` read here, by field number (prost skips every other field,
/// the weights included).
mod proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Model {
        #[prost(message, repeated, tag = "8")]
        pub opset_import: Vec<OperatorSetId>,
        #[prost(message, optional, tag = "7")]
        pub graph: Option<Graph>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct OperatorSetId {
        #[prost(string, tag = "1")]
        pub domain: String,
        #[prost(int64, tag = "2")]
        pub version: i64,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Graph {
        #[prost(message, repeated, tag = "1")]
        pub node: Vec<Node>,
        #[prost(message, repeated, tag = "11")]
        pub input: Vec<ValueInfo>,
        #[prost(message, repeated, tag = "12")]
        pub output: Vec<ValueInfo>,
        #[prost(message, repeated, tag = "13")]
        pub value_info: Vec<ValueInfo>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Node {
        #[prost(string, repeated, tag = "1")]
        pub input: Vec<String>,
        #[prost(string, tag = "4")]
        pub op_type: String,
        #[prost(string, tag = "7")]
        pub domain: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ValueInfo {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, optional, tag = "2")]
        pub r#type: Option<Type>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Type {
        #[prost(message, optional, tag = "1")]
        pub tensor_type: Option<TensorType>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TensorType {
        #[prost(int32, tag = "1")]
        pub elem_type: i32,
        #[prost(message, optional, tag = "2")]
        pub shape: Option<Shape>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Shape {
        #[prost(message, repeated, tag = "1")]
        pub dim: Vec<Dimension>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Dimension {
        #[prost(int64, optional, tag = "1")]
        pub dim_value: Option<i64>,
        #[prost(string, optional, tag = "2")]
        pub dim_param: Option<String>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(opset: i64, nodes: Vec<proto::Node>, value_info: Vec<proto::ValueInfo>) -> Vec<u8> {
        proto::Model {
            opset_import: vec![
                proto::OperatorSetId {
                    domain: String::new(),
                    version: opset,
                },
                proto::OperatorSetId {
                    domain: "com.microsoft".into(),
                    version: 1,
                },
            ],
            graph: Some(proto::Graph {
                node: nodes,
                input: vec![],
                output: vec![],
                value_info,
            }),
        }
        .encode_to_vec()
    }

    fn node(op: &str, domain: &str, input: &str) -> proto::Node {
        proto::Node {
            input: vec![input.into(), "grid".into()],
            op_type: op.into(),
            domain: domain.into(),
        }
    }

    fn tensor(name: &str, rank: usize) -> proto::ValueInfo {
        proto::ValueInfo {
            name: name.into(),
            r#type: Some(proto::Type {
                tensor_type: Some(proto::TensorType {
                    elem_type: 1,
                    shape: Some(proto::Shape {
                        dim: (0..rank)
                            .map(|_| proto::Dimension {
                                dim_value: Some(4),
                                dim_param: None,
                            })
                            .collect(),
                    }),
                }),
            }),
        }
    }

    fn read_model(bytes: &[u8]) -> GridSampleFindings {
        read_bytes(Path::new("/set/warping_spade.onnx"), bytes).unwrap()
    }

    #[test]
    fn a_5d_grid_sample_below_opset_20_needs_conversion_for_a_gpu_only() {
        let f = read_model(&model(
            16,
            vec![node("GridSample", "", "volume")],
            vec![tensor("volume", 5)],
        ));
        assert_eq!((f.opset, f.volumetric_grid_samples), (Some(16), 1));
        assert!(f.needs_conversion_for_gpu() && !f.needs_conversion_for_cpu());
        let msg = f.problem();
        for part in [
            "/set/warping_spade.onnx",
            "opset 16",
            "5-D",
            "tools/liveportrait/convert_set.sh /set OUT_DIR",
        ] {
            assert!(msg.contains(part), "{part} missing from: {msg}");
        }
    }

    #[test]
    fn the_same_graph_at_opset_20_or_with_4d_grid_samples_is_fine() {
        let at_20 = read_model(&model(
            20,
            vec![node("GridSample", "", "volume")],
            vec![tensor("volume", 5)],
        ));
        assert!(!at_20.needs_conversion_for_gpu());
        let planar = read_model(&model(
            16,
            vec![node("GridSample", "ai.onnx", "picture")],
            vec![tensor("picture", 4)],
        ));
        assert_eq!(planar.planar_grid_samples, 1);
        assert!(!planar.needs_conversion_for_gpu());
    }

    #[test]
    fn a_grid_sample_of_unknown_rank_counts_as_volumetric() {
        let f = read_model(&model(17, vec![node("GridSample", "", "unknown")], vec![]));
        assert_eq!(f.volumetric_grid_samples, 1);
        assert!(f.needs_conversion_for_gpu());
    }

    #[test]
    fn a_grid_sample_3d_plugin_op_needs_conversion_everywhere() {
        let f = read_model(&model(
            16,
            vec![node("GridSample3D", "trt.plugins", "volume")],
            vec![],
        ));
        assert_eq!(f.grid_sample_3d, 1);
        assert!(f.needs_conversion_for_gpu() && f.needs_conversion_for_cpu());
        assert!(f.problem().contains("GridSample3D"), "{}", f.problem());
    }

    #[test]
    fn a_file_that_is_not_onnx_is_an_error_naming_it() {
        let e = read_bytes(Path::new("/set/x.onnx"), &[0xff, 0xff, 0xff]).unwrap_err();
        assert!(e.to_string().contains("/set/x.onnx"), "{e}");
    }
}
