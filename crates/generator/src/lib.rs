//! skillgen's generator: `models.toml` + cached AutoConfigs → thin `hf_<model_type>.py` skillsets
//! over the Python runtime (`python/skillgen_runtime`), in memory. prost-build's shape: a
//! [`Config`], an in-memory [`Config::generate`], and a separate write step ([`write_output`]).
//! No network, no cargo-specific output: the root package's `build.rs` and the `skillgen` CLI
//! (crates/cli) are thin users of this crate.
//!
//! ```no_run
//! let output = skillgen_generator::Config::new("models.toml", "autoconfigs").generate()?;
//! skillgen_generator::write_output(&output, std::path::Path::new("out"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Data flows one way: models.toml → config cache → detection → render (+ Python parse check) →
//! files.

pub mod atomic;
mod autoconfig;
mod detect;
mod error;
pub mod header;
mod model_list;
pub mod naming;
mod pycheck;
mod remote_code;
mod render;
pub mod runtime;
mod vocab;

pub use autoconfig::{config_path, parse_json, AutoConfig, JsonError, MAX_CONFIG_BYTES};
pub use detect::{coverage, detect, Coverage, Detection, ModelTypeSource, Request, Step};
pub use model_list::{ModelEntry, ModelList};
pub use pycheck::{check as check_python, SyntaxError};
pub use vocab::Hardware;
pub use vocab::{Family, Task};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use error::{Details, Error, ErrorKind, Errors};

/// The transformers version the detection table (`data/transformers_auto.json`) was extracted from.
pub fn transformers_version() -> &'static str {
    &detect::table().transformers_version
}

/// How many model types that transformers version knows.
pub fn model_type_count() -> usize {
    detect::table().model_types.len()
}

use render::TypeGroup;

/// Where the generator reads from.
#[derive(Debug, Clone)]
pub struct Config {
    pub models: PathBuf,
    pub autoconfigs: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            models: PathBuf::from("models.toml"),
            autoconfigs: PathBuf::from("autoconfigs"),
        }
    }
}

/// One model's detection result, with what it was decided from.
#[derive(Debug, Clone)]
pub struct Planned {
    pub entry: ModelEntry,
    pub config_path: Option<PathBuf>,
    pub detection: Detection,
}

/// A generated file, in memory.
#[derive(Debug, Clone)]
pub struct GeneratedFile {
    pub file_name: String,
    pub model_type: String,
    pub model_ids: Vec<String>,
    pub contents: String,
}

/// Everything a run produces, before anything is written.
#[derive(Debug, Clone)]
pub struct Output {
    /// The skillsets, `hf_<model_type>.py`, sorted by file name.
    pub files: Vec<GeneratedFile>,
    /// The runtime they extend, written beside them (`skillgen_runtime/...`).
    pub runtime: Vec<runtime::RuntimeFile>,
    pub manifest_json: String,
}

#[derive(Serialize)]
struct ManifestEntry<'a> {
    file: String,
    model_type: &'a str,
    family: &'a str,
    task: &'a str,
    hardware: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<&'a str>,
    trust_remote_code: bool,
}

impl Config {
    pub fn new(models: impl Into<PathBuf>, autoconfigs: impl Into<PathBuf>) -> Self {
        Config {
            models: models.into(),
            autoconfigs: autoconfigs.into(),
        }
    }

    /// Reads models.toml and the configs and detects every model; reports every error at once.
    pub fn plan(&self) -> Result<Vec<Planned>, Errors> {
        let list = ModelList::load(&self.models)?;
        let mut errors = Vec::new();
        let mut planned = Vec::new();
        for entry in &list.models {
            match self.plan_one(&list, entry) {
                Ok(p) => planned.push(p),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(planned)
        } else {
            Err(Errors(errors))
        }
    }

    /// Reads and detects one model of models.toml (for `skillgen explain`): other entries are not
    /// read, so their problems do not hide this one's answer. `Ok(None)`: no such id.
    pub fn plan_model(&self, id: &str) -> Result<Option<Planned>, Errors> {
        let Some(entry) = ModelList::load_one(&self.models, id)? else {
            return Ok(None);
        };
        let list = ModelList {
            path: self.models.clone(),
            text: String::new(),
            models: vec![entry.clone()],
        };
        Ok(Some(self.plan_one(&list, &entry)?))
    }

    fn plan_one(&self, list: &ModelList, entry: &ModelEntry) -> Result<Planned, Error> {
        let config = AutoConfig::load(&self.autoconfigs, &entry.id, entry.revision.as_deref())?;
        if config.is_none() && entry.model_type.is_none() {
            let path =
                autoconfig::config_path(&self.autoconfigs, &entry.id, entry.revision.as_deref());
            return Err(Error::new(format!("no cached config at {}", path.display()))
                .kind(ErrorKind::Config)
                .file(&list.path)
                .at(entry.line, 1)
                .model(&entry.id)
                .fix(format!(
                    "run `cargo run -p skillgen-cli -- fetch --models {} --autoconfigs {}` to download it (the CLI builds without this build script), or set `model_type` for this model",
                    self.models.display(),
                    self.autoconfigs.display()
                )));
        }
        let mut detection = detect::detect(&entry.request(), config.as_ref())?;
        remote_code::decide(
            &list.path,
            entry,
            config.as_ref().map(|c| c.path.as_path()),
            &mut detection,
        )?;
        Ok(Planned {
            entry: entry.clone(),
            config_path: config.map(|c| c.path),
            detection,
        })
    }

    /// Renders every skillset in memory (one per model_type) and the manifest.json.
    pub fn generate(&self) -> Result<Output, Errors> {
        generate_from_plan(&self.plan()?)
    }
}

/// Groups planned models by model_type and renders each group.
pub fn generate_from_plan(planned: &[Planned]) -> Result<Output, Errors> {
    runtime::check().map_err(|e| Errors(vec![e]))?;
    let mut groups: BTreeMap<&str, Vec<&Planned>> = BTreeMap::new();
    for p in planned {
        groups.entry(&p.detection.model_type).or_default().push(p);
    }
    // Rendering and the Python parse check are independent per file and the check is most of
    // the cost, so the groups are split across the machine's cores (results keep their order).
    let groups: Vec<(&str, Vec<&Planned>)> = groups.into_iter().collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = groups.len().div_ceil(threads).max(1);
    let results: Vec<Result<GeneratedFile, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(mt, models)| render_group(mt, models))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("rendering does not panic"))
            .collect()
    });
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for r in results {
        match r {
            Ok(f) => files.push(f),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Errors(one_template_error(errors)));
    }
    files.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    let mut manifest: BTreeMap<&str, ManifestEntry> = BTreeMap::new();
    for p in planned {
        let d = &p.detection;
        manifest.insert(
            &p.entry.id,
            ManifestEntry {
                file: naming::file_name(&d.model_type),
                model_type: &d.model_type,
                family: d.family.name(),
                task: d.task.name(),
                hardware: p.entry.hardware.iter().map(|h| h.name()).collect(),
                revision: p.entry.revision.as_deref(),
                trust_remote_code: d.trust_remote_code,
            },
        );
    }
    let manifest_json =
        serde_json::to_string_pretty(&manifest).expect("manifest serialises") + "\n";
    Ok(Output {
        files,
        runtime: runtime::files(env!("CARGO_PKG_VERSION")),
        manifest_json,
    })
}

/// Every file comes from one template, so a template error repeats for each file: keep the first
/// and say how many more files it broke.
fn one_template_error(errors: Vec<Error>) -> Vec<Error> {
    let template = Some(PathBuf::from(render::TEMPLATE_PATH));
    let (from_template, mut rest): (Vec<Error>, Vec<Error>) =
        errors.into_iter().partition(|e| e.file == template);
    if let Some(first) = from_template.first() {
        let mut first = first.clone();
        if from_template.len() > 1 {
            first.message += &format!(
                "\n  (the same error in {} more file(s))",
                from_template.len() - 1
            );
        }
        rest.insert(0, first);
    }
    rest
}

fn render_group(model_type: &str, models: &[&Planned]) -> Result<GeneratedFile, Error> {
    let s = skillset_for(model_type, models)?;
    render::render(&s).map(|contents| GeneratedFile {
        file_name: s.file_name(),
        model_type: model_type.to_string(),
        model_ids: s.model_ids(),
        contents,
    })
}

/// The union of one model_type's models: the first model's family decides the template.
fn skillset_for(model_type: &str, models: &[&Planned]) -> Result<TypeGroup, Error> {
    let first = &models[0].detection;
    for m in &models[1..] {
        if m.detection.family != first.family {
            return Err(Error::new(format!(
                "models of model_type `{model_type}` detect as different families (`{}` is {}, `{}` is {}); one file serves one model_type",
                models[0].entry.id, first.family, m.entry.id, m.detection.family
            ))
            .model(&m.entry.id)
            .kind(ErrorKind::Detection)
            .fix("set the same `family` for both in models.toml"));
        }
    }
    let hardware: Vec<Hardware> = Hardware::ALL
        .iter()
        .copied()
        .filter(|h| models.iter().any(|m| m.entry.hardware.contains(h)))
        .collect();
    let head_tasks = detect::head_tasks(model_type, first.family);
    Ok(TypeGroup {
        model_type: model_type.to_string(),
        family: first.family,
        default_task: first.task,
        models: models
            .iter()
            .map(|m| (m.entry.id.clone(), m.detection.task))
            .collect(),
        head_tasks,
        hardware,
        revisions: models
            .iter()
            .filter_map(|m| Some((m.entry.id.clone(), m.entry.revision.clone()?)))
            .collect(),
        remote_code: models
            .iter()
            .filter(|m| m.detection.trust_remote_code)
            .map(|m| m.entry.id.clone())
            .collect(),
    })
}

/// A models.toml with one model per model_type of the pinned transformers that resolves to a family
/// (`id = "coverage/<model_type>"`, `model_type` set, so no config is needed).
/// Used by the coverage tests and the generator benchmark.
pub fn coverage_models_toml() -> String {
    let mut text = format!(
        "# Every model_type of transformers {} that skillgen generates a skillset for.\n",
        detect::table().transformers_version
    );
    for (model_type, outcome) in detect::coverage() {
        if outcome.is_ok() {
            text.push_str(&format!(
                "\n[[model]]\nid = \"coverage/{model_type}\"\nmodel_type = \"{model_type}\"\n"
            ));
            if let Some(task) = detect::required_task(&model_type) {
                text.push_str(&format!("task = \"{task}\"\n"));
            }
        }
    }
    text
}

/// docs/model-types.md: every model_type with its family and task, or why it has none.
pub fn coverage_markdown() -> String {
    let coverage = detect::coverage();
    let generated = coverage.iter().filter(|(_, o)| o.is_ok()).count();
    let mut text = format!(
        "# Model types at transformers {}\n\n\
         Generated by `cargo run -- coverage > docs/model-types.md` (a test checks it is current).\n\n\
         - {} model types in transformers' `CONFIG_MAPPING_NAMES`\n\
         - {generated} generate a skillset\n\
         - {} are unsupported, each with the reason below\n\n\
         | model_type | family | task / reason |\n|---|---|---|\n",
        detect::table().transformers_version,
        coverage.len(),
        coverage.len() - generated,
    );
    for (model_type, outcome) in &coverage {
        let row = match outcome {
            Ok((f, t)) => format!("| `{model_type}` | {f} | {t} |\n"),
            Err(why) => format!(
                "| `{model_type}` | unsupported | {} |\n",
                why.replace('|', "/")
            ),
        };
        text.push_str(&row);
    }
    text
}

/// Writes the output under `dir` (`skillsets/*.py`, the runtime in `skillsets/skillgen_runtime/`,
/// `manifest.json`), all-or-nothing: every file is staged next to its target first, and only renamed
/// into place once all staged writes worked. Files whose bytes are unchanged are not touched; stale
/// `hf_*.py` files and runtime files of earlier runs are removed.
pub fn write_output(output: &Output, dir: &Path) -> Result<(), Error> {
    let skillsets = dir.join("skillsets");
    let io = |p: &Path, e: std::io::Error| Error::io(p, "cannot write", e);
    let mut targets: Vec<(PathBuf, &str)> = output
        .files
        .iter()
        .map(|f| (skillsets.join(&f.file_name), f.contents.as_str()))
        .collect();
    targets.extend(
        output
            .runtime
            .iter()
            .map(|f| (skillsets.join(f.path), f.contents.as_str())),
    );
    targets.push((dir.join("manifest.json"), output.manifest_json.as_str()));
    for (path, _) in &targets {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
    }
    let mut staged = atomic::Staged::default();
    for (path, contents) in &targets {
        if std::fs::read(path).ok().as_deref() == Some(contents.as_bytes()) {
            continue;
        }
        // Dropping `staged` on an error removes what was staged: nothing is replaced.
        staged
            .add(path, contents.as_bytes(), None)
            .map_err(|e| io(path, e))?;
    }
    staged.commit().map_err(|(path, done, total, e)| {
        Error::new(format!(
            "cannot replace ({done} of {total} files were already written; re-run to finish): {e}"
        ))
        .file(&path)
        .kind(ErrorKind::Io)
    })?;
    let keep: Vec<&Path> = targets.iter().map(|(p, _)| p.as_path()).collect();
    remove_stale(&skillsets, &keep, false);
    Ok(())
}

/// Removes generated files under `dir` that this run did not write: `hf_*.py` beside the skillsets,
/// and runtime files (only those still carrying the generated marker) in the runtime folder.
fn remove_stale(dir: &Path, keep: &[&Path], in_runtime: bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if (!in_runtime && name == runtime::DIR) || (in_runtime && name != "__pycache__") {
                remove_stale(&path, keep, true);
            }
        } else if name.ends_with(".py") && !keep.contains(&path.as_path()) {
            // Beside the skillsets every hf_*.py is ours; in the runtime folder only marked files.
            let stale = if in_runtime {
                std::fs::read_to_string(&path)
                    .is_ok_and(|t| header::inspect(&t) != header::Marker::None)
            } else {
                name.starts_with("hf_")
            };
            if stale {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

impl ModelEntry {
    /// What detection needs from this entry.
    pub fn request(&self) -> Request<'_> {
        Request {
            id: &self.id,
            line: self.line,
            model_type: self.model_type.as_deref(),
            family: self.family,
            task: self.task,
        }
    }
}
