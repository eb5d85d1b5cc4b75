//! ONNX Runtime missing, not a library, or of a version too old: a clear LIBRARY INIT error
//! naming the file and the fix, no crash. ONNX Runtime is loaded once per process, so each case
//! reruns this test binary in a process of its own with `ORT_DYLIB_PATH` pointing at the bad
//! file.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const NAME: &str = "a_missing_foreign_or_too_old_onnx_runtime_is_a_library_init_error_naming_it";
/// Set in the child process: what its error must mention besides the fix.
const CHILD_DETAIL: &str = "FACEREENACT_TEST_ORT_DETAIL";

/// In the child (ORT_DYLIB_PATH set to the bad file): the first error of a one-frame pipeline
/// must be LIBRARY INIT and say what failed and how to fix it.
fn child(detail: &str) {
    let avatar = demo_media("astronaut.png");
    let (err, _) = first_error(&format!(
        "videotestsrc num-buffers=1 ! facereenact avatar=\"{}\" ! fakesink",
        avatar.display()
    ));
    let msg = err.to_string();
    assert!(
        err.matches(gst::LibraryError::Init),
        "not a LIBRARY INIT error: {err:?}"
    );
    assert!(
        msg.contains("ONNX Runtime 1.31.1 could not be loaded")
            && msg.contains("scripts/setup.sh")
            && msg.contains("ORT_DYLIB_PATH"),
        "the error must say what failed and how to fix it: {msg}"
    );
    assert!(msg.contains(detail), "the error must say {detail:?}: {msg}");
    println!("checked: {msg}");
}

/// A shared library that exports `OrtGetApiBase` like ONNX Runtime 1.10 does: what an old
/// system-wide libonnxruntime looks like to the loader. Built with the C compiler Rust links with.
fn old_onnxruntime(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("ort_1_10.c");
    std::fs::write(
        &src,
        r#"
typedef struct {
    const void *(*GetApi)(unsigned version);
    const char *(*GetVersionString)(void);
} OrtApiBase;
static const void *get_api(unsigned version) { (void)version; return 0; }
static const char *version_string(void) { return "1.10.0"; }
static const OrtApiBase base = { get_api, version_string };
const OrtApiBase *OrtGetApiBase(void) { return &base; }
"#,
    )
    .unwrap();
    let lib = dir.join("libonnxruntime.so.1.10.0");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .status()
        .expect("run cc (the C compiler Rust links with)");
    assert!(status.success(), "cc failed to build the stand-in library");
    lib
}

#[test]
fn a_missing_foreign_or_too_old_onnx_runtime_is_a_library_init_error_naming_it() {
    if let Ok(detail) = std::env::var(CHILD_DETAIL) {
        return child(&detail);
    }
    let dir = tempdir();
    let not_a_library = dir.join("libonnxruntime.so.1.31.1");
    std::fs::write(&not_a_library, "this is not a shared library\n").unwrap();
    let cases = [
        (
            dir.join("absent/libonnxruntime.so.1.31.1"),
            "does not exist",
        ),
        (not_a_library, "failed to load from"),
        // A real library, but not ONNX Runtime.
        (
            Path::new("/lib/x86_64-linux-gnu/libz.so.1").to_path_buf(),
            "does not export `OrtGetApiBase`",
        ),
        (old_onnxruntime(&dir), "1.10.0"),
    ];
    for (lib, detail) in cases {
        assert!(
            lib.starts_with(&dir) || lib.exists(),
            "{} is missing here",
            lib.display()
        );
        let text = rerun_alone(
            NAME,
            &[
                ("ORT_DYLIB_PATH", lib.as_os_str()),
                (CHILD_DETAIL, detail.as_ref()),
            ],
        );
        assert!(text.contains("checked:"), "the child did not run: {text}");
    }
}
