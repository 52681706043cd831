//! Rendering: one askama template per family (`templates/<family>.py`), all extending
//! `templates/base.py` (per-hardware init, handler skeleton, queue import). Values from configs
//! and the manifest reach the Python only as escaped string literals built here, or as names
//! validated by `naming`.

use askama::Template;

use super::detect::{Family, Task};
use super::error::Error;
use super::header;
use super::naming;

/// Everything one generated file needs: the union of the models of one `model_type`.
#[derive(Debug, Clone)]
pub struct Skillset {
    pub model_type: String,
    pub family: Family,
    pub default_task: Task,
    /// (model id, task) in manifest order.
    pub models: Vec<(String, Task)>,
    /// Head class → task, for the heads of this model_type that the family serves.
    pub head_tasks: Vec<(String, Task)>,
    pub hardware: Vec<String>,
    pub trust_remote_code: bool,
}

impl Skillset {
    pub fn file_name(&self) -> String {
        naming::file_name(&self.model_type)
    }
    pub fn model_ids(&self) -> Vec<String> {
        self.models.iter().map(|(id, _)| id.clone()).collect()
    }
}

/// A Python string literal for any text: ASCII only, so no quote, backslash, newline, NUL or
/// non-ASCII character from a config can end the literal or change the file's encoding.
pub fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn py_tuple<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(py_str).collect();
    match items.len() {
        1 => format!("({},)", items[0]),
        _ => format!("({})", items.join(", ")),
    }
}

fn py_dict<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let items: Vec<String> = items
        .into_iter()
        .map(|(k, v)| format!("{}: {}", py_str(k), py_str(v)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// The values a template sees, already rendered as Python source.
pub struct View {
    pub version: String,
    pub class_name: String,
    pub alias_py: Option<String>,
    pub model_type_py: String,
    pub family_py: String,
    pub default_task_py: String,
    pub tasks: Vec<&'static str>,
    pub tasks_py: String,
    pub default_model_py: String,
    pub model_ids_py: String,
    pub model_tasks_py: String,
    pub head_tasks_py: String,
    pub hardware_py: String,
    pub trust_remote_code_py: &'static str,
    /// transformers lists the model_type as a zero-shot detector (text queries); from the table.
    pub zero_shot_detection_py: &'static str,
    pub hardware_paths: [&'static str; 6],
    /// Task → optimum-intel `OVModelFor…` class name, for the tasks of this family that have one.
    pub openvino_classes_py: String,
    /// Task → optimum export task (`optimum-cli export openvino --task …`), same keys.
    pub openvino_export_tasks_py: String,
}

/// The optimum-intel class and export task that serve a family's task on OpenVINO; `None` where
/// optimum-intel has no class for it (that task's `init_openvino` falls back to CPU torch).
pub fn openvino_class(family: Family, task: Task) -> Option<(&'static str, &'static str)> {
    use Task::*;
    Some(match (family, task) {
        (_, TextEmbedding) | (_, ImageEmbedding) => {
            ("OVModelForFeatureExtraction", "feature-extraction")
        }
        (_, FillMask) => ("OVModelForMaskedLM", "fill-mask"),
        (_, TextClassification) => ("OVModelForSequenceClassification", "text-classification"),
        (_, TokenClassification) => ("OVModelForTokenClassification", "token-classification"),
        (_, TextGeneration) => ("OVModelForCausalLM", "text-generation-with-past"),
        (_, Text2textGeneration) => ("OVModelForSeq2SeqLM", "text2text-generation-with-past"),
        (_, ImageClassification) => ("OVModelForImageClassification", "image-classification"),
        (Family::SpeechCtc, SpeechRecognition) => ("OVModelForCTC", "automatic-speech-recognition"),
        (Family::SpeechSeq2seq, SpeechRecognition) => (
            "OVModelForSpeechSeq2Seq",
            "automatic-speech-recognition-with-past",
        ),
        (_, AudioClassification) => ("OVModelForAudioClassification", "audio-classification"),
        (_, ImageToText) => ("OVModelForVision2Seq", "image-to-text-with-past"),
        (_, ImageTextToText) => ("OVModelForVisualCausalLM", "image-text-to-text"),
        _ => return None,
    })
}

impl View {
    fn new(s: &Skillset) -> View {
        let tasks: Vec<&'static str> = s.family.tasks().iter().map(|t| t.name()).collect();
        let openvino: Vec<(&str, (&str, &str))> = s
            .family
            .tasks()
            .iter()
            .filter_map(|t| openvino_class(s.family, *t).map(|c| (t.name(), c)))
            .collect();
        View {
            version: env!("CARGO_PKG_VERSION").to_string(),
            class_name: naming::class_name(&s.model_type),
            alias_py: naming::host_alias(&s.model_type).map(|a| py_str(&a)),
            model_type_py: py_str(&s.model_type),
            family_py: py_str(s.family.name()),
            default_task_py: py_str(s.default_task.name()),
            tasks_py: py_tuple(tasks.iter().copied()),
            tasks,
            default_model_py: py_str(&s.models[0].0),
            model_ids_py: py_tuple(s.models.iter().map(|(id, _)| id.as_str())),
            model_tasks_py: py_dict(s.models.iter().map(|(id, t)| (id.as_str(), t.name()))),
            head_tasks_py: py_dict(s.head_tasks.iter().map(|(c, t)| (c.as_str(), t.name()))),
            hardware_py: py_tuple(s.hardware.iter().map(String::as_str)),
            trust_remote_code_py: if s.trust_remote_code { "True" } else { "False" },
            zero_shot_detection_py: if super::detect::table()
                .model_types
                .get(&s.model_type)
                .is_some_and(|i| {
                    i.heads
                        .contains_key("MODEL_FOR_ZERO_SHOT_OBJECT_DETECTION_MAPPING_NAMES")
                }) {
                "True"
            } else {
                "False"
            },
            hardware_paths: super::manifest::HARDWARE,
            openvino_classes_py: py_dict(openvino.iter().map(|(t, (c, _))| (*t, *c))),
            openvino_export_tasks_py: py_dict(openvino.iter().map(|(t, (_, e))| (*t, *e))),
        }
    }
}

macro_rules! family_templates {
    ($($family:ident => $ty:ident, $path:literal;)*) => {
        $(
            #[derive(Template)]
            #[template(path = $path)]
            struct $ty<'a> {
                v: &'a View,
            }
        )*

        /// The template file of a family, if it has one yet.
        pub fn template_path(family: Family) -> Option<&'static str> {
            match family {
                $(Family::$family => Some(concat!("templates/", $path)),)*
                #[allow(unreachable_patterns)]
                _ => None,
            }
        }

        fn render_body(family: Family, v: &View) -> Option<askama::Result<String>> {
            match family {
                $(Family::$family => Some($ty { v }.render()),)*
                #[allow(unreachable_patterns)]
                _ => None,
            }
        }
    };
}

family_templates! {
    TextEncoder => TextEncoderTemplate, "text_encoder.py";
    TextDecoder => TextDecoderTemplate, "text_decoder.py";
    TextEncoderDecoder => TextEncoderDecoderTemplate, "text_encoder_decoder.py";
    VisionTextDualEncoder => VisionTextDualEncoderTemplate, "vision_text_dual_encoder.py";
    ImageToText => ImageToTextTemplate, "image_to_text.py";
    ImageTextToText => ImageTextToTextTemplate, "image_text_to_text.py";
    AudioTextDualEncoder => AudioTextDualEncoderTemplate, "audio_text_dual_encoder.py";
    Video => VideoTemplate, "video.py";
    VisionEncoder => VisionEncoderTemplate, "vision_encoder.py";
    ObjectDetection => ObjectDetectionTemplate, "object_detection.py";
    ImageSegmentation => ImageSegmentationTemplate, "image_segmentation.py";
    SpeechCtc => SpeechCtcTemplate, "speech_ctc.py";
    SpeechSeq2seq => SpeechSeq2seqTemplate, "speech_seq2seq.py";
    AudioClassification => AudioClassificationTemplate, "audio_classification.py";
    TextToAudio => TextToAudioTemplate, "text_to_audio.py";
}

/// Renders one skillset file (header included) and checks that it parses as Python 3.9+.
pub fn render(s: &Skillset) -> Result<String, Error> {
    let view = View::new(s);
    let body = match render_body(s.family, &view) {
        Some(r) => r.map_err(|e| Error::new(format!("template error: {e}")))?,
        None => {
            return Err(Error::new(format!(
                "family `{}` has no template yet (model_type `{}`)",
                s.family, s.model_type
            ))
            .model(s.models[0].0.clone())
            .fix(format!(
                "add templates/{}.py and register it in src/generator/render.rs, or leave this model out of models.toml",
                s.family
            )))
        }
    };
    // askama drops the template's final newline; a Python file ends with one.
    let body = if body.ends_with('\n') {
        body
    } else {
        body + "\n"
    };
    let text = header::wrap(&body, &view.version, &s.model_ids());
    if let Err(errors) = super::pycheck::check(&text) {
        let template = template_path(s.family).unwrap_or("?");
        let detail: Vec<String> = errors
            .iter()
            .take(5)
            .map(|e| {
                format!(
                    "{}:{}:{}: {}\n    | {}",
                    s.file_name(),
                    e.line,
                    e.column,
                    e.message,
                    e.source_line
                )
            })
            .collect();
        return Err(Error::new(format!(
            "{template} (with templates/base.py) rendered invalid Python for model_type `{}`:\n  {}",
            s.model_type,
            detail.join("\n  ")
        ))
        .file(template)
        .fix("fix the template; the line above is the generated line that failed to parse"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn py_str_escapes_everything_that_could_break_out() {
        assert_eq!(py_str("a\"b"), r#""a\"b""#);
        assert_eq!(py_str("a\\b"), r#""a\\b""#);
        assert_eq!(py_str("a\nb\0"), r#""a\x0ab\x00""#);
        assert_eq!(py_str("é€😀"), r#""\xe9\u20ac\U0001f600""#);
        assert_eq!(py_tuple(["x"]), r#"("x",)"#);
    }
}
