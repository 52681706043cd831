//! `skillgen vendor`: copies the skillsets this build embedded into the Python package that ships
//! them (`ipfs_accelerate_py/worker/skillset/`). Generated files are recognised by their header
//! ([`header::inspect`]), so a file a person wrote or edited is never replaced silently.
//!
//! Two steps: [`plan`] only reads and decides (all that `--dry-run` and `--check` do), then
//! [`Plan::apply`] writes. Every write goes to a temporary file next to its target that is then
//! renamed over it, so an interrupted run leaves each file either old or new, never half written.

//!
//! Modules: `plan` (read and decide), `apply` (stage, back up, rename), `register` (the
//! `__init__.py` import block), `backup` (free backup names).

mod apply;
mod backup;
mod plan;
mod register;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use skillgen_generator::{runtime, Error, GeneratedFile};

pub use plan::{diff_stat, plan};
pub use register::{registration_block, splice};

/// Where the skillsets go by default: the sibling ipfs_accelerate_py checkout.
pub const DEFAULT_DIR: &str = "../ipfs_accelerate_py/worker/skillset/";
/// Exit status of `--check` when something is missing or stale (1 stays "error").
pub const EXIT_STALE: u8 = 2;
/// The first line of the `--register` block in `__init__.py` starts with this.
pub const BEGIN_MARK: &str = "# BEGIN skillgen registrations";
/// The last line of the `--register` block starts with this.
pub const END_MARK: &str = "# END skillgen registrations";
/// `--force` keeps the replaced file as `<name>.skillgen-backup` (then `.1`, `.2`, …).
pub const BACKUP_SUFFIX: &str = ".skillgen-backup";
const INIT: &str = "__init__.py";

/// One skillset to vendor: the file name and its full text (header included).
#[derive(Debug, Clone, Copy)]
pub struct SkillsetFile<'a> {
    pub file_name: &'a str,
    pub model_type: &'a str,
    pub contents: &'a str,
}

impl<'a> From<&'a GeneratedFile> for SkillsetFile<'a> {
    fn from(s: &'a GeneratedFile) -> Self {
        SkillsetFile {
            file_name: &s.file_name,
            model_type: &s.model_type,
            contents: &s.contents,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// The package directory that receives the files.
    pub dir: PathBuf,
    /// Create `dir` when it is missing (otherwise that is an error: likely a wrong path).
    pub create: bool,
    /// Replace hand-written or hand-edited files, keeping a backup of each.
    pub force: bool,
    /// Remove intact generated `hf_*.py` files that this build no longer produces.
    pub prune: bool,
    /// Keep the import block in `__init__.py` up to date.
    pub register: bool,
    /// Permission bits for the skillset files (otherwise: kept on update, umask default on create).
    pub mode: Option<u32>,
    /// The runtime the skillsets extend, installed beside them (`skillgen_runtime/`): this build's
    /// embedded runtime by default. Empty: skillsets only, and no runtime file is ever obsolete.
    pub runtime: Vec<runtime::RuntimeFile>,
}

impl Options {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Options {
            dir: dir.into(),
            create: false,
            force: false,
            prune: false,
            register: false,
            mode: None,
            runtime: runtime::files(env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Why a file at a target path is not ours to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Foreign {
    /// No skillgen header.
    HandWritten,
    /// A skillgen header whose hash no longer matches the body.
    HandEdited,
}

impl fmt::Display for Foreign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Foreign::HandWritten => "hand-written (no skillgen header)",
            Foreign::HandEdited => "hand-edited (no longer matches its skillgen hash)",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create,
    /// A generated file with other contents (an older build).
    Update,
    Unchanged,
    /// Same contents, other permission bits than `--mode`.
    Chmod,
    Refuse(Foreign),
    /// `--force`: replaced; the old file is kept at `backup` (planned name).
    Replace {
        was: Foreign,
        backup: PathBuf,
    },
    /// `--prune`: a generated file this build no longer produces.
    Prune,
    /// Like `Prune`, but without `--prune`: left alone.
    Obsolete,
}

/// What happens to one file.
#[derive(Debug, Clone)]
pub struct Entry {
    pub file_name: String,
    pub action: Action,
    /// Line counts of the change (`+added/-removed`).
    pub added: usize,
    pub removed: usize,
    contents: Option<String>,
    mode: Option<u32>,
}

impl Entry {
    /// Whether applying the plan would touch this file.
    pub fn is_change(&self) -> bool {
        !matches!(self.action, Action::Unchanged | Action::Obsolete)
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.file_name;
        let diff = match (self.added, self.removed) {
            (0, 0) => String::new(),
            (a, 0) => format!(" (+{a})"),
            (0, r) => format!(" (-{r})"),
            (a, r) => format!(" (+{a}/-{r})"),
        };
        match &self.action {
            Action::Create => write!(f, "create     {name}{diff}"),
            Action::Update => write!(f, "update     {name}{diff}"),
            Action::Unchanged => write!(f, "unchanged  {name}"),
            Action::Chmod => write!(f, "chmod      {name} ({:o})", self.mode.unwrap_or(0)),
            Action::Refuse(why) => write!(
                f,
                "refuse     {name}: {why}; --force replaces it and keeps a backup"
            ),
            Action::Replace { was, backup } => {
                let backup = backup.file_name().unwrap_or_default().to_string_lossy();
                write!(f, "replace    {name}{diff}: was {was}; backup {backup}")
            }
            Action::Prune => write!(f, "prune      {name}{diff}"),
            Action::Obsolete => write!(
                f,
                "obsolete   {name}: generated by an earlier build, no longer produced; --prune removes it"
            ),
        }
    }
}

/// Everything `vendor` would do in `dir`, decided without writing anything.
#[derive(Debug, Clone)]
pub struct Plan {
    pub dir: PathBuf,
    /// `dir` is missing and `--create` was given.
    pub create_dir: bool,
    /// Skillsets in input order, then prune candidates by name, then `__init__.py`.
    pub entries: Vec<Entry>,
}

impl Plan {
    /// True when applying would change anything: what `--check` fails on.
    pub fn is_stale(&self) -> bool {
        self.create_dir || self.entries.iter().any(Entry::is_change)
    }

    pub fn refused(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.action, Action::Refuse(_)))
    }

    /// E.g. `2 created, 1 updated, 3 unchanged`.
    pub fn summary(&self) -> String {
        let count = |f: fn(&Action) -> bool| self.entries.iter().filter(|e| f(&e.action)).count();
        let parts = [
            (count(|a| *a == Action::Create), "created"),
            (count(|a| *a == Action::Update), "updated"),
            (count(|a| matches!(a, Action::Replace { .. })), "replaced"),
            (count(|a| *a == Action::Chmod), "chmodded"),
            (count(|a| *a == Action::Prune), "pruned"),
            (count(|a| *a == Action::Unchanged), "unchanged"),
            (count(|a| matches!(a, Action::Refuse(_))), "refused"),
            (count(|a| *a == Action::Obsolete), "obsolete"),
        ];
        let parts: Vec<String> = parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        if parts.is_empty() {
            "nothing to do".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Parses `--mode` as octal (`644`, `0644`, `0o644`).
pub fn parse_mode(s: &str) -> Result<u32, String> {
    let digits = s.strip_prefix("0o").unwrap_or(s);
    match u32::from_str_radix(digits, 8) {
        Ok(m) if m <= 0o7777 && !digits.is_empty() => Ok(m),
        _ => Err(format!("`{s}` is not an octal file mode like 644")),
    }
}

pub(crate) fn io_error(path: &Path, what: &str, e: io::Error) -> Error {
    Error::io(path, what, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_counts_lines() {
        assert_eq!(diff_stat("a\nb\nc\n", "a\nb\nc\n"), (0, 0));
        assert_eq!(diff_stat("a\nb\nc\n", "a\nx\nc\n"), (1, 1));
        assert_eq!(diff_stat("", "a\nb\n"), (2, 0));
        assert_eq!(diff_stat("a\nb\nc\nd\n", "b\nd\ne\n"), (1, 2));
    }

    #[test]
    fn modes() {
        assert_eq!(parse_mode("644"), Ok(0o644));
        assert_eq!(parse_mode("0o755"), Ok(0o755));
        assert!(parse_mode("9").is_err());
        assert!(parse_mode("").is_err());
        assert!(parse_mode("17777").is_err());
    }

    #[test]
    fn splice_keeps_the_outside() {
        let block = format!("{BEGIN_MARK}\nx = 1\n{END_MARK}\n");
        let text = "import os\n";
        let once = splice(text, &block).unwrap();
        assert!(once.starts_with(text));
        assert_eq!(splice(&once, &block).unwrap(), once);
        let edited = once.replace("x = 1", "x = 2") + "tail\n";
        assert_eq!(splice(&edited, &block).unwrap(), once + "tail\n");
        assert!(splice(&format!("{BEGIN_MARK}\n"), &block).is_err());
    }
}
