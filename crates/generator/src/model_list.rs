//! `models.toml`: the declarative list of models to generate skillsets for.
//!
//! ```toml
//! [[model]]
//! id = "bert-base-uncased"          # HuggingFace repo id (required)
//! revision = "main"                 # config revision (optional)
//! task = "fill_mask"                # override the detected task (optional)
//! family = "text_encoder"           # override the detected family (optional)
//! hardware = ["cpu", "openvino"]    # hardware the model is meant for (optional, default all)
//! model_type = "bert"               # required only when no config.json is cached
//! trust_remote_code = true          # consent to run the repo's custom code (needs a commit revision)
//! allow_unpinned_remote_code = true # accept custom code without a commit revision (not advised)
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{line_col, Error, ErrorKind, Errors};
use crate::naming;
use crate::vocab::{Family, Hardware, Task};

/// ModelList files larger than this are refused (a models list is a few KiB).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone)]
pub struct ModelList {
    pub path: PathBuf,
    pub text: String,
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Clone)]
pub struct ModelEntry {
    pub id: String,
    pub revision: Option<String>,
    pub task: Option<Task>,
    pub family: Option<Family>,
    pub hardware: Vec<Hardware>,
    pub model_type: Option<String>,
    /// `trust_remote_code = true`: consent to run the custom code the model's config registers
    /// (`auto_map`), for models that need it (`remote_code::decide`).
    pub trust_remote_code: bool,
    /// `allow_unpinned_remote_code = true`: accept that consent without a commit-hash `revision`.
    pub allow_unpinned_remote_code: bool,
    /// 1-based line of the `id` key, for error messages.
    pub line: usize,
    /// 1-based line of the `trust_remote_code` key (the `id` line when it is absent).
    pub remote_code_line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(default)]
    model: Vec<RawModel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    id: Spanned<String>,
    revision: Option<Spanned<String>>,
    task: Option<Spanned<String>>,
    family: Option<Spanned<String>>,
    hardware: Option<Spanned<Vec<Spanned<String>>>>,
    model_type: Option<Spanned<String>>,
    trust_remote_code: Option<Spanned<bool>>,
    allow_unpinned_remote_code: Option<Spanned<bool>>,
}

impl ModelList {
    /// Reads and validates a models.toml file; every problem is reported, each with file:line:col.
    pub fn load(path: &Path) -> Result<ModelList, Errors> {
        Self::parse(path, Self::read(path)?)
    }

    /// The one entry with this id, parsed on its own: problems in other entries do not stop it.
    /// Each `[[model]]` table is parsed alone (line numbers kept), so `explain` can still say what
    /// a model resolves to while another entry is broken.
    pub fn load_one(path: &Path, id: &str) -> Result<Option<ModelEntry>, Errors> {
        let text = Self::read(path)?;
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let starts: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].trim_start().starts_with("[[model]]"))
            .collect();
        for (k, &start) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(lines.len());
            // Blank lines in place of the others keep every line number of this table.
            let chunk: String = (0..lines.len())
                .map(|i| {
                    if (start..end).contains(&i) {
                        lines[i]
                    } else {
                        "\n"
                    }
                })
                .collect();
            match Self::parse(path, chunk) {
                Ok(m) if m.models.first().is_some_and(|e| e.id == id) => {
                    return Ok(m.models.into_iter().next())
                }
                Err(errors) if errors.0.iter().any(|e| e.model.as_deref() == Some(id)) => {
                    return Err(errors)
                }
                _ => {}
            }
        }
        Ok(None)
    }

    fn read(path: &Path) -> Result<String, Errors> {
        Self::read_text(path).map_err(|e| e.or_kind(ErrorKind::ModelList))
    }

    fn read_text(path: &Path) -> Result<String, Errors> {
        let err = |m: String| Error::new(m).file(path);
        let meta = std::fs::metadata(path).map_err(|e| {
            err(format!("cannot read the models.toml: {e}"))
                .fix("create it (see README: models.toml reference) or pass --models FILE")
        })?;
        if meta.len() > MAX_MANIFEST_BYTES {
            return Err(err(format!(
                "models.toml is {} bytes, over the {} byte limit",
                meta.len(),
                MAX_MANIFEST_BYTES
            ))
            .into());
        }
        let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
        Ok(String::from_utf8(bytes).map_err(|e| {
            let off = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            err("models.toml is not valid UTF-8".into()).at_offset(&text, off)
        })?)
    }

    /// Parses models.toml text; `path` is only used in messages.
    pub fn parse(path: &Path, text: String) -> Result<ModelList, Errors> {
        Self::parse_entries(path, text).map_err(|e| e.or_kind(ErrorKind::ModelList))
    }

    fn parse_entries(path: &Path, text: String) -> Result<ModelList, Errors> {
        let raw: RawManifest = toml::from_str(&text).map_err(|e| {
            let mut error = Error::new(e.message().to_string()).file(path);
            if let Some(span) = e.span() {
                error = error.at_offset(&text, span.start);
            }
            error
        })?;
        let mut errors = Vec::new();
        let mut models = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let at = |span: std::ops::Range<usize>, field: &str, id: &str, msg: String| {
            let e = Error::new(msg)
                .file(path)
                .at_offset(&text, span.start)
                .field(field);
            if id.is_empty() {
                e
            } else {
                e.model(id)
            }
        };
        for m in raw.model {
            let id = m.id.get_ref().clone();
            let (line, _) = line_col(&text, m.id.span().start);
            if let Err(why) = naming::validate_model_id(&id) {
                errors.push(at(
                    m.id.span(),
                    "id",
                    "",
                    format!("`{id}` is not a HuggingFace repo id: {why}"),
                ));
                continue;
            }
            if let Some(first) = seen.insert(id.to_ascii_lowercase(), line) {
                errors.push(at(
                    m.id.span(),
                    "id",
                    &id,
                    format!("duplicate model id (first listed on line {first})"),
                ));
                continue;
            }
            let revision = match m.revision {
                Some(r) => match naming::validate_revision(r.get_ref()) {
                    Ok(()) => Some(r.into_inner()),
                    Err(why) => {
                        errors.push(at(r.span(), "revision", &id, why));
                        None
                    }
                },
                None => None,
            };
            let task = m.task.and_then(|t| match Task::from_name(t.get_ref()) {
                Some(task) => Some(task),
                None => {
                    errors.push(at(
                        t.span(),
                        "task",
                        &id,
                        format!(
                            "unknown task `{}`; known tasks: {}",
                            t.get_ref(),
                            Task::names().join(", ")
                        ),
                    ));
                    None
                }
            });
            let family = m.family.and_then(|f| match Family::from_name(f.get_ref()) {
                Some(family) => Some(family),
                None => {
                    errors.push(at(
                        f.span(),
                        "family",
                        &id,
                        format!(
                            "unknown family `{}`; known families: {}",
                            f.get_ref(),
                            Family::names().join(", ")
                        ),
                    ));
                    None
                }
            });
            let mut hardware: Vec<Hardware> = Vec::new();
            match m.hardware {
                None => hardware.extend(Hardware::ALL),
                Some(list) => {
                    if list.get_ref().is_empty() {
                        errors.push(at(
                            list.span(),
                            "hardware",
                            &id,
                            "must list at least one of: ".to_string()
                                + &Hardware::names().join(", "),
                        ));
                    }
                    for h in list.into_inner() {
                        match Hardware::from_name(h.get_ref()) {
                            None => errors.push(at(
                                h.span(),
                                "hardware",
                                &id,
                                format!(
                                    "unknown hardware `{}`; known: {}",
                                    h.get_ref(),
                                    Hardware::names().join(", ")
                                ),
                            )),
                            Some(hw) if !hardware.contains(&hw) => hardware.push(hw),
                            Some(_) => {}
                        }
                    }
                    // Canonical order keeps the output independent of how the list was written.
                    hardware.sort();
                }
            }
            let model_type =
                m.model_type
                    .and_then(|t| match naming::validate_model_type(t.get_ref()) {
                        Ok(()) => Some(t.into_inner()),
                        Err(why) => {
                            errors.push(at(t.span(), "model_type", &id, why));
                            None
                        }
                    });
            let trust_remote_code = m.trust_remote_code.as_ref().is_some_and(|t| *t.get_ref());
            let remote_code_line = m
                .trust_remote_code
                .as_ref()
                .map_or(line, |t| line_col(&text, t.span().start).0);
            let allow_unpinned_remote_code = match m.allow_unpinned_remote_code {
                Some(a) if *a.get_ref() && !trust_remote_code => {
                    errors.push(at(
                        a.span(),
                        "allow_unpinned_remote_code",
                        &id,
                        "only means something with `trust_remote_code = true`; remove it".into(),
                    ));
                    false
                }
                Some(a) => a.into_inner(),
                None => false,
            };
            models.push(ModelEntry {
                id,
                revision,
                task,
                family,
                hardware,
                model_type,
                trust_remote_code,
                allow_unpinned_remote_code,
                line,
                remote_code_line,
            });
        }
        if errors.is_empty() {
            Ok(ModelList {
                path: path.to_path_buf(),
                text,
                models,
            })
        } else {
            Err(Errors(errors))
        }
    }
}
