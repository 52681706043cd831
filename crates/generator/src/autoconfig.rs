//! The config cache: `autoconfigs/<model id>[@<revision>]/config.json`, each file exactly as the
//! Hub serves it. Reading is strict: size cap, UTF-8, a JSON object, typed fields. The JSON is
//! read as transformers reads it (Python's `json.loads`): bare `NaN`, `Infinity` and `-Infinity`
//! are numbers there, and are accepted here too ([`parse_json`]).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::naming;

/// Real configs are a few KiB (a 1000-label id2label makes ~60 KiB); anything past this is refused.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

#[derive(Debug, Clone)]
pub struct AutoConfig {
    pub path: PathBuf,
    pub json: Map<String, Value>,
}

/// Where a model's config lives in the cache.
pub fn config_path(cache: &Path, id: &str, revision: Option<&str>) -> PathBuf {
    cache
        .join(naming::cache_dir_name(id, revision))
        .join("config.json")
}

impl AutoConfig {
    /// Loads a cached config; `Ok(None)` when the model has no cached config.
    pub fn load(
        cache: &Path,
        id: &str,
        revision: Option<&str>,
    ) -> Result<Option<AutoConfig>, Error> {
        let path = config_path(cache, id, revision);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::new(format!("cannot read: {e}"))
                    .file(&path)
                    .model(id))
            }
        };
        if meta.file_type().is_symlink() {
            // A link could point anywhere on the machine; the cache holds plain files only.
            return Err(
                Error::new("is a symbolic link; the config cache holds plain files only")
                    .file(&path)
                    .model(id),
            );
        }
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(Error::new(format!(
                "is {} bytes, over the {MAX_CONFIG_BYTES} byte limit for a config.json",
                meta.len()
            ))
            .file(&path)
            .model(id));
        }
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::new(format!("cannot read: {e}"))
                .file(&path)
                .model(id)
        })?;
        Self::parse(&path, id, &bytes).map(Some)
    }

    /// Parses config bytes; `path` and `id` are only used in messages.
    pub fn parse(path: &Path, id: &str, bytes: &[u8]) -> Result<AutoConfig, Error> {
        Self::parse_bytes(path, id, bytes).map_err(|e| e.or_kind(ErrorKind::Config))
    }

    fn parse_bytes(path: &Path, id: &str, bytes: &[u8]) -> Result<AutoConfig, Error> {
        let refetch = format!("run `skillgen fetch --refresh` for `{id}`, or fix the file by hand");
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let lossy = String::from_utf8_lossy(bytes);
            Error::new("is not valid UTF-8")
                .file(path)
                .model(id)
                .at_offset(&lossy, e.valid_up_to())
                .fix(refetch.clone())
        })?;
        if text.trim().is_empty() {
            return Err(Error::new("is empty").file(path).model(id).fix(refetch));
        }
        let value = parse_json(text).map_err(|e| {
            Error::new(format!("is not valid JSON: {}", e.message))
                .file(path)
                .model(id)
                .at(e.line, e.column)
                .fix(refetch.clone())
        })?;
        let Value::Object(json) = value else {
            return Err(Error::new("is not a JSON object")
                .file(path)
                .model(id)
                .fix(refetch));
        };
        let config = AutoConfig {
            path: path.to_path_buf(),
            json,
        };
        // Type-check the fields detection reads, so a wrong type is named here, not misread later.
        config.model_type()?;
        config.architectures()?;
        Ok(config)
    }

    fn field_error(&self, field: &str, msg: &str) -> Error {
        Error::new(msg.to_string()).file(&self.path).field(field)
    }

    /// `model_type`, verbatim (hyphens kept); `None` when absent (legacy configs).
    pub fn model_type(&self) -> Result<Option<&str>, Error> {
        match self.json.get("model_type") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => {
                Err(self.field_error("model_type", "is an empty string"))
            }
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.field_error("model_type", "must be a string")),
        }
    }

    /// `architectures`: the head class names the checkpoint was saved with.
    pub fn architectures(&self) -> Result<Vec<&str>, Error> {
        match self.json.get("architectures") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) if !s.is_empty() => Ok(s.as_str()),
                        _ => Err(self
                            .field_error("architectures", "must be a list of class-name strings")),
                    })
                    .collect()
            }
            Some(_) => Err(self.field_error("architectures", "must be a list of strings")),
        }
    }
}

/// Why a config is not JSON, and where in the text as given: 1-based line and column, the column
/// in bytes as serde_json counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// The spelling transformers 5 itself writes for non-finite floats (`_FLOAT_TAG_KEY` in
/// `configuration_utils.py`); serde_json's numbers cannot hold them.
const FLOAT_TAG: &str = "__float__";

/// Parses config text as Python's `json.loads` does (and so transformers' `from_json_file`): JSON,
/// plus the bare `NaN`, `Infinity` and `-Infinity` that Python's `json.dumps` writes for
/// non-finite floats (Mamba2's `"time_step_limit": [0.0, Infinity]`). Each becomes
/// `{"__float__": "Infinity"}` in the value, as transformers 5 writes it. Everything else that is
/// not JSON (`nan`, `+Infinity`, `Infinityx`, comments, trailing commas, single quotes) is refused,
/// with the position in `text`.
pub fn parse_json(text: &str) -> Result<Value, JsonError> {
    let (json, splices) = tag_non_finite(text);
    serde_json::from_str(&json).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
        let column = if e.line() == 0 {
            e.column()
        } else {
            original_column(&json, &splices, e.line(), e.column())
        };
        JsonError {
            message,
            line: e.line(),
            // serde_json says column 0 at the very start of a line (an early end of input).
            column: column.max(1),
        }
    })
}

/// A bare token of the original text, and the tag that replaced it in the parsed text.
#[derive(Debug, Clone, Copy)]
struct Splice {
    /// Where the token starts, in the original text.
    orig: usize,
    orig_len: usize,
    /// Where its tag starts, in the parsed text.
    new: usize,
    new_len: usize,
}

/// Replaces every `NaN`, `Infinity` and `-Infinity` outside string literals by its `__float__`
/// tag. Python accepts the tokens wherever a value may start; anywhere else (a key, after a
/// number, after `+`) the tag is no valid JSON either, so serde_json refuses the text as Python
/// does. Strings, escapes included, are copied untouched.
fn tag_non_finite(text: &str) -> (Cow<'_, str>, Vec<Splice>) {
    const TOKENS: [&str; 3] = ["-Infinity", "Infinity", "NaN"];
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut splices = Vec::new();
    let (mut copied, mut i, mut in_string) = (0, 0, false);
    while i < bytes.len() {
        match (in_string, bytes[i]) {
            (true, b'\\') => i += 2,
            (_, b'"') => {
                in_string = !in_string;
                i += 1;
            }
            (true, _) => i += 1,
            (false, _) => {
                // The tokens start with an ASCII byte, so `i` is a char boundary when one matches.
                match TOKENS.iter().find(|t| bytes[i..].starts_with(t.as_bytes())) {
                    Some(token) => {
                        out.push_str(&text[copied..i]);
                        let tag = format!("{{\"{FLOAT_TAG}\": \"{token}\"}}");
                        splices.push(Splice {
                            orig: i,
                            orig_len: token.len(),
                            new: out.len(),
                            new_len: tag.len(),
                        });
                        out.push_str(&tag);
                        i += token.len();
                        copied = i;
                    }
                    None => i += 1,
                }
            }
        }
    }
    if splices.is_empty() {
        return (Cow::Borrowed(text), splices);
    }
    out.push_str(&text[copied..]);
    (Cow::Owned(out), splices)
}

/// serde_json's column in the parsed text, as a column of the original text. Tags hold no line
/// break, so lines are the same in both.
fn original_column(parsed: &str, splices: &[Splice], line: usize, column: usize) -> usize {
    let line_start = match line {
        0 | 1 => 0,
        n => parsed
            .match_indices('\n')
            .nth(n - 2)
            .map_or(parsed.len(), |(i, _)| i + 1),
    };
    // serde_json's column is an offset from the line start (1: just past the line's first byte).
    original_offset(splices, line_start + column) - original_offset(splices, line_start)
}

/// An offset of the parsed text as an offset of the original text; one inside a tag lands on its
/// token.
fn original_offset(splices: &[Splice], at: usize) -> usize {
    let mut grown = 0;
    for s in splices {
        if at <= s.new {
            break;
        }
        if at < s.new + s.new_len {
            return s.orig + (at - s.new).min(s.orig_len);
        }
        grown += s.new_len - s.orig_len;
    }
    at - grown
}
