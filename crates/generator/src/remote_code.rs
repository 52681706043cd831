//! Whether a generated file may run a model's custom code (`trust_remote_code=True`).
//!
//! A skillset runs inside workers on many machines, so the code it loads is a supply-chain
//! question: custom code (a config's `auto_map`) runs only for a model whose models.toml entry says
//! `trust_remote_code = true`, and only pinned to a commit (`revision` = 40 hex digits) unless the
//! entry also says `allow_unpinned_remote_code = true`. Anything else is a generation error that
//! names the models.toml line, the `auto_map` entry, what enabling it means and the keys to add.

use std::path::Path;

use crate::detect::{self, Detection, Step};
use crate::error::Error;
use crate::model_list::ModelEntry;
use crate::naming;

/// Decides `detection.trust_remote_code` for one model and records why in its steps (for
/// `skillgen explain`); an error when the model needs custom code without consent, or consents
/// without a pinned commit.
pub fn decide(
    models_toml: &Path,
    entry: &ModelEntry,
    config: Option<&Path>,
    detection: &mut Detection,
) -> Result<(), Error> {
    let model_type = &detection.model_type;
    let version = &detect::table().transformers_version;
    // Why custom code is needed: the config's auto_map, or (no config cached) a model_type that
    // transformers does not have, which only custom code can load.
    let need = match &detection.custom_code {
        Some(entry) => Some(format!(
            "{} registers custom code (`auto_map` {entry}) and transformers {version} has no native `{model_type}`",
            config.map_or_else(|| "config.json".into(), |p| p.display().to_string())
        )),
        None if config.is_none()
            && entry.trust_remote_code
            && !detect::table().model_types.contains_key(model_type) =>
        {
            Some(format!(
                "no config.json is cached and transformers {version} has no `{model_type}`, so only custom code can load it"
            ))
        }
        None => None,
    };
    let err = |line: usize, message: String| {
        Error::new(message)
            .file(models_toml)
            .at(line, 1)
            .model(&entry.id)
            .field("trust_remote_code")
    };
    let Some(need) = need else {
        if entry.trust_remote_code {
            detection.steps.push(Step::RemoteCode(format!(
                "`trust_remote_code = true` (models.toml line {}) is not used: transformers {version} loads `{model_type}` natively, so the file runs no custom code for it",
                entry.remote_code_line
            )));
        }
        return Ok(());
    };
    if !entry.trust_remote_code {
        return Err(err(
            entry.line,
            format!(
                "{need}: a skillset for it would run that Python code from the model's Hub repo on every worker that loads the model, with the worker's permissions and credentials"
            ),
        )
        .fix(format!(
            "after reviewing the repo's code, add `trust_remote_code = true` and `revision = \"<the 40-hex commit you reviewed>\"` to this [[model]] entry (line {}); or remove the model",
            entry.line
        )));
    }
    if detection.custom_code.is_none() {
        // (The auto_map case already has its detection step.)
        detection.steps.push(Step::RemoteCode(need.clone()));
    }
    let pinned = entry
        .revision
        .as_deref()
        .filter(|r| naming::is_commit_hash(r));
    match (pinned, entry.allow_unpinned_remote_code) {
        (Some(commit), _) => detection.steps.push(Step::RemoteCode(format!(
            "remote code allowed: models.toml consents (`trust_remote_code = true`, line {}) and pins revision {commit}, so config, processor, weights and code all load from that commit",
            entry.remote_code_line
        ))),
        (None, true) => detection.steps.push(Step::RemoteCode(format!(
            "remote code allowed UNPINNED: models.toml consents (line {}) with `allow_unpinned_remote_code = true`, so every worker runs whatever code the repo's {} holds when it loads the model",
            entry.remote_code_line,
            match &entry.revision {
                Some(r) => format!("revision `{r}`"),
                None => "default branch".into(),
            }
        ))),
        (None, false) => {
            let got = match &entry.revision {
                Some(r) => format!("`revision = \"{r}\"` is a branch or tag, which can move"),
                None => "there is no `revision`, so the default branch is loaded".into(),
            };
            return Err(err(
                entry.remote_code_line,
                format!(
                    "pin the code you reviewed: `trust_remote_code = true` needs `revision` to be a full 40-hex commit hash, and {got}: every worker would run whatever code the repo holds when it loads the model"
                ),
            )
            .fix(format!(
                "set `revision = \"<commit>\"` (the commit whose code you reviewed: the repo's \"Files and versions\" history on the Hub) for this [[model]] entry (line {}); or, accepting that risk, add `allow_unpinned_remote_code = true`",
                entry.line
            )));
        }
    }
    detection.trust_remote_code = true;
    Ok(())
}
