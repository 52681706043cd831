//! Rendering: one askama template (`templates/skillset.py`) turns a model_type's data into a thin
//! file over its family's class in the Python runtime (`python/skillgen_runtime/`). Values from
//! configs and models.toml reach the Python only as escaped string literals built here, or as
//! names validated by `naming`.

use askama::Template;

use crate::detect;
use crate::error::{Error, ErrorKind};
use crate::header;
use crate::naming;
use crate::runtime;
use crate::vocab::{Family, Hardware, Task};

/// Everything one generated file needs: the union of the models of one `model_type`.
#[derive(Debug, Clone)]
pub struct TypeGroup {
    pub model_type: String,
    pub family: Family,
    pub default_task: Task,
    /// (model id, task) in models.toml order.
    pub models: Vec<(String, Task)>,
    /// Head class → task, for the heads of this model_type that the family serves.
    pub head_tasks: Vec<(String, Task)>,
    pub hardware: Vec<Hardware>,
    /// (model id, models.toml `revision`) for the listed models that set one.
    pub revisions: Vec<(String, String)>,
    /// The listed models whose custom code models.toml allows (`remote_code::decide`).
    pub remote_code: Vec<String>,
}

impl TypeGroup {
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

/// The values the template sees, already rendered as Python source.
pub struct View {
    pub version: String,
    pub api_version: u32,
    pub class_name: String,
    pub alias_py: Option<String>,
    pub model_type_py: String,
    pub family_py: String,
    pub family_name: &'static str,
    pub family_class: String,
    pub family_summary: String,
    pub default_task_py: String,
    pub tasks_py: String,
    pub default_model_py: String,
    pub model_ids_py: String,
    pub model_tasks_py: String,
    pub head_tasks_py: String,
    pub hardware_py: String,
    /// Model id → the revision every `from_pretrained` of that model gets.
    pub revisions_py: String,
    /// The model ids loaded with `trust_remote_code=True` (no other model ever is).
    pub remote_code_models_py: String,
    /// The transformers version of the detection table (`data/transformers_auto.json`).
    pub transformers_version_py: String,
    /// Task → transformers Auto class (`data/tasks.toml`).
    pub auto_classes_py: String,
    /// Task → optimum-intel `OVModelFor…` class name, for the tasks of this family that have one.
    pub openvino_classes_py: String,
    /// Task → optimum export task (`optimum-cli export openvino --task …`), same keys.
    pub openvino_export_tasks_py: String,
    /// Family-specific class attributes (`NAME = value` lines).
    pub family_data: Vec<String>,
}

/// The runtime class name of a family: `text_encoder` → `TextEncoder`.
fn family_class(family: Family) -> String {
    family
        .name()
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

impl View {
    fn new(s: &TypeGroup) -> View {
        let tasks: Vec<Task> = s.family.tasks().to_vec();
        let rows: Vec<(&str, &detect::TaskRow)> = tasks
            .iter()
            .map(|t| (t.name(), detect::task_row(s.family, *t)))
            .collect();
        let openvino: Vec<(&str, &str, &str)> = rows
            .iter()
            .filter_map(|(t, r)| {
                Some((
                    *t,
                    r.openvino_class.as_deref()?,
                    r.openvino_export.as_deref()?,
                ))
            })
            .collect();
        let mut family_data = Vec::new();
        let unserved = detect::unserved_heads(&s.model_type, s.family);
        if !unserved.is_empty() {
            // Heads of tasks skillgen does not serve: a checkpoint with one is refused at load.
            family_data.push(format!(
                "UNSERVED_HEADS = {}",
                py_dict(unserved.iter().map(|(c, t)| (c.as_str(), t.as_str())))
            ));
        }
        if s.family == Family::ObjectDetection {
            // transformers' zero-shot detection table lists this model_type (text queries).
            let zero_shot = detect::zero_shot_detection(&s.model_type);
            family_data.push(format!(
                "ZERO_SHOT = {}",
                if zero_shot { "True" } else { "False" }
            ));
        }
        View {
            version: env!("CARGO_PKG_VERSION").to_string(),
            api_version: runtime::API_VERSION,
            class_name: naming::class_name(&s.model_type),
            alias_py: naming::host_alias(&s.model_type).map(|a| py_str(&a)),
            model_type_py: py_str(&s.model_type),
            family_py: py_str(s.family.name()),
            family_name: s.family.name(),
            family_class: family_class(s.family),
            family_summary: s.family.name().replace('_', " "),
            default_task_py: py_str(s.default_task.name()),
            tasks_py: py_tuple(tasks.iter().map(|t| t.name())),
            default_model_py: py_str(&s.models[0].0),
            model_ids_py: py_tuple(s.models.iter().map(|(id, _)| id.as_str())),
            model_tasks_py: py_dict(s.models.iter().map(|(id, t)| (id.as_str(), t.name()))),
            head_tasks_py: py_dict(s.head_tasks.iter().map(|(c, t)| (c.as_str(), t.name()))),
            hardware_py: py_tuple(s.hardware.iter().map(|h| h.name())),
            revisions_py: py_dict(s.revisions.iter().map(|(id, r)| (id.as_str(), r.as_str()))),
            remote_code_models_py: py_tuple(s.remote_code.iter().map(String::as_str)),
            transformers_version_py: py_str(&detect::table().transformers_version),
            auto_classes_py: py_dict(tasks.iter().map(|t| {
                (
                    t.name(),
                    detect::loaded_auto_class(s.family, *t, &s.model_type),
                )
            })),
            openvino_classes_py: py_dict(openvino.iter().map(|(t, c, _)| (*t, *c))),
            openvino_export_tasks_py: py_dict(openvino.iter().map(|(t, _, e)| (*t, *e))),
            family_data,
        }
    }
}

/// The one template of every generated file: the model_type's data over a runtime family class.
#[derive(Template)]
#[template(path = "skillset.py")]
struct SkillsetTemplate<'a> {
    v: &'a View,
}

/// The template every skillset is rendered from (for error messages).
pub const TEMPLATE_PATH: &str = "templates/skillset.py";

/// Renders one skillset file (header included) and checks that it parses as Python 3.9+.
pub fn render(s: &TypeGroup) -> Result<String, Error> {
    let view = View::new(s);
    let body = SkillsetTemplate { v: &view }
        .render()
        .map_err(|e| Error::new(format!("template error: {e}")).kind(ErrorKind::Template))?;
    // askama drops the template's final newline; a Python file ends with one.
    let body = if body.ends_with('\n') {
        body
    } else {
        body + "\n"
    };
    let text = header::wrap(&body, &view.version, &s.model_ids());
    if let Err(errors) = crate::pycheck::check(&text) {
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
            "{TEMPLATE_PATH} rendered invalid Python for model_type `{}`:\n  {}",
            s.model_type,
            detail.join("\n  ")
        ))
        .file(TEMPLATE_PATH)
        .kind(ErrorKind::Template)
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
