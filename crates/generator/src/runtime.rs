//! The Python runtime the thin skillsets extend (`python/skillgen_runtime/`, ordinary Python linted
//! and unit-tested on its own), embedded in the generator so `generate` writes it beside the
//! skillsets and `vendor` installs it with nothing but the binary.

use crate::error::{Error, ErrorKind};
use crate::header;
use crate::pycheck;

/// The runtime API the generated files are written against; `skillgen_runtime.API_VERSION` says the
/// same (a unit test checks). A thin file refuses a runtime of another version with an error handler.
pub const API_VERSION: u32 = 2;

/// The folder the runtime lives in, beside the skillsets (no `hf_` in it: the host exec()s those).
pub const DIR: &str = "skillgen_runtime";

/// One source file of the runtime: its path relative to the skillset folder, and its text.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeSource {
    pub path: &'static str,
    pub source: &'static str,
}

macro_rules! runtime_files {
    ($($path:literal),* $(,)?) => {
        &[$(RuntimeSource { path: $path, source: include_str!(concat!("../../../python/", $path)) }),*]
    };
}

/// Every file of the runtime (a unit test checks this list against `python/skillgen_runtime/`).
pub static SOURCES: &[RuntimeSource] = runtime_files![
    "skillgen_runtime/__init__.py",
    "skillgen_runtime/base.py",
    "skillgen_runtime/dual_encoder.py",
    "skillgen_runtime/errors.py",
    "skillgen_runtime/generation.py",
    "skillgen_runtime/gpu.py",
    "skillgen_runtime/host.py",
    "skillgen_runtime/labels.py",
    "skillgen_runtime/media.py",
    "skillgen_runtime/native.py",
    "skillgen_runtime/openvino.py",
    "skillgen_runtime/openvino_convert.py",
    "skillgen_runtime/queues.py",
    "skillgen_runtime/table_qa.py",
    "skillgen_runtime/text_heads.py",
    "skillgen_runtime/vqa.py",
    "skillgen_runtime/families/__init__.py",
    "skillgen_runtime/families/audio_classification.py",
    "skillgen_runtime/families/audio_codec.py",
    "skillgen_runtime/families/audio_text_dual_encoder.py",
    "skillgen_runtime/families/document_retrieval.py",
    "skillgen_runtime/families/image_matting.py",
    "skillgen_runtime/families/image_segmentation.py",
    "skillgen_runtime/families/image_tokenizer.py",
    "skillgen_runtime/families/image_to_image.py",
    "skillgen_runtime/families/image_text_to_text.py",
    "skillgen_runtime/families/image_to_text.py",
    "skillgen_runtime/families/keypoints.py",
    "skillgen_runtime/families/mask_generation.py",
    "skillgen_runtime/families/object_detection.py",
    "skillgen_runtime/families/pose_estimation.py",
    "skillgen_runtime/families/speech_ctc.py",
    "skillgen_runtime/families/speech_seq2seq.py",
    "skillgen_runtime/families/speech_transducer.py",
    "skillgen_runtime/families/text_decoder.py",
    "skillgen_runtime/families/text_encoder.py",
    "skillgen_runtime/families/text_encoder_decoder.py",
    "skillgen_runtime/families/text_recognition.py",
    "skillgen_runtime/families/text_to_audio.py",
    "skillgen_runtime/families/time_series.py",
    "skillgen_runtime/families/trajectory.py",
    "skillgen_runtime/families/video.py",
    "skillgen_runtime/families/vision_encoder.py",
    "skillgen_runtime/families/vision_text_dual_encoder.py",
    "skillgen_runtime/families/visual_question_answering.py",
];

/// A runtime file as written beside the skillsets: with the generated-file marker and hash, so
/// `vendor` treats it like a skillset (replaced when intact, refused when edited by hand).
#[derive(Debug, Clone)]
pub struct RuntimeFile {
    pub path: &'static str,
    pub contents: String,
}

/// The runtime files with their headers.
pub fn files(version: &str) -> Vec<RuntimeFile> {
    SOURCES
        .iter()
        .map(|s| RuntimeFile {
            path: s.path,
            contents: header::wrap_runtime(s.source, version),
        })
        .collect()
}

/// Parses every runtime file (Python 3.9 target), like the generated files: a broken runtime fails
/// the build naming its file and line.
pub fn check() -> Result<(), Error> {
    for s in SOURCES {
        if let Err(errors) = pycheck::check(s.source) {
            let e = &errors[0];
            let path = format!("python/{}", s.path);
            return Err(Error::new(format!(
                "invalid Python: {}\n    | {}",
                e.message, e.source_line
            ))
            .file(&path)
            .at(e.line, e.column)
            .kind(ErrorKind::Runtime)
            .fix("fix the runtime file; it is vendored beside every skillset"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_list_every_python_file_of_the_runtime() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python");
        let mut found = Vec::new();
        let mut stack = vec![root.join(DIR)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n != "__pycache__") {
                        stack.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "py") {
                    let rel = path.strip_prefix(&root).unwrap().to_string_lossy();
                    found.push(rel.replace('\\', "/"));
                }
            }
        }
        found.sort();
        let mut listed: Vec<String> = SOURCES.iter().map(|s| s.path.to_string()).collect();
        listed.sort();
        assert_eq!(found, listed, "update SOURCES in src/generator/runtime.rs");
        assert!(found.iter().all(|p| !p.contains("hf_")));
    }

    #[test]
    fn api_version_matches_the_python_package() {
        let init = SOURCES[0].source;
        assert!(
            init.contains(&format!("\nAPI_VERSION = {API_VERSION}\n")),
            "skillgen_runtime/__init__.py and runtime::API_VERSION disagree"
        );
    }
}
