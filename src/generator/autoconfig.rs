//! The config cache: `autoconfigs/<model id>[@<revision>]/config.json`, each file exactly as the
//! Hub serves it. Reading is strict: size cap, UTF-8, a JSON object, typed fields.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::error::Error;
use super::naming;

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
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::new(format!("is not valid JSON: {e}"))
                .file(path)
                .model(id)
                .at(e.line(), e.column())
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
