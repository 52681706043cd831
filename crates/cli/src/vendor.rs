//! `skillgen vendor`: copies the skillsets this build embedded into the Python package that ships
//! them (`ipfs_accelerate_py/worker/skillset/`). Generated files are recognised by their header
//! ([`header::inspect`]), so a file a person wrote or edited is never replaced silently.
//!
//! Two steps: [`plan`] only reads and decides (all that `--dry-run` and `--check` do), then
//! [`Plan::apply`] writes. Every write goes to a temporary file next to its target that is then
//! renamed over it, so an interrupted run leaves each file either old or new, never half written.

// `generator::Error` is returned by value throughout the crate; boxing it here alone would only
// make this API differ from the generator's.
#![allow(clippy::result_large_err)]

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use skillgen_generator::header::{self, Marker};

use skillgen_generator::{check_python, naming, runtime, Error, GeneratedFile};

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
pub struct Skillset<'a> {
    pub file_name: &'a str,
    pub model_type: &'a str,
    pub contents: &'a str,
}

impl<'a> From<&'a GeneratedFile> for Skillset<'a> {
    fn from(s: &'a GeneratedFile) -> Self {
        Skillset {
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

    /// Writes the plan. Refuses (writing nothing) while any file is refused. All new contents are
    /// staged first, so most failures (disk full, a bad name) leave the directory as it was.
    pub fn apply(&self) -> Result<(), Error> {
        let refused: Vec<&str> = self.refused().map(|e| e.file_name.as_str()).collect();
        if !refused.is_empty() {
            return Err(Error::new(format!(
                "refusing to overwrite {} file(s) that skillgen did not write or that were edited since: {}; nothing was written",
                refused.len(),
                refused.join(", ")
            ))
            .file(&self.dir)
            .fix("move the changes into models.toml or the templates, or pass --force to replace them (each old file is kept as <name>.skillgen-backup)"));
        }
        if self.create_dir {
            fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, "cannot create", e))?;
        }
        let mut staged = match self.stage_all() {
            Ok(staged) => staged,
            Err(e) => {
                if self.create_dir {
                    // Only removes it while empty (the staged files are gone by now).
                    let _ = fs::remove_dir(&self.dir);
                }
                return Err(e);
            }
        };
        // Past this point nothing can be rolled back: each rename is atomic on its own.
        let total = staged.0.len();
        while !staged.0.is_empty() {
            let done = total - staged.0.len();
            let (tmp, path) = staged.0.remove(0);
            if let Err(err) = fs::rename(&tmp, &path) {
                let _ = fs::remove_file(&tmp);
                return Err(io_error(
                    &path,
                    &format!("cannot replace ({done} of {total} files were already written, the rest are unchanged; re-run to finish)"),
                    err,
                ));
            }
        }
        for e in &self.entries {
            let path = self.dir.join(&e.file_name);
            match e.action {
                Action::Chmod => {
                    set_mode(&path, e.mode).map_err(|err| io_error(&path, "cannot chmod", err))?
                }
                Action::Prune => {
                    fs::remove_file(&path).map_err(|err| io_error(&path, "cannot remove", err))?
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Writes every new content to a temporary file and makes the backups `--force` keeps; on
    /// error, removes what it made (the `Staged` guard drops the temporary files).
    fn stage_all(&self) -> Result<Staged, Error> {
        let mut staged = Staged(Vec::new());
        for e in &self.entries {
            if let Some(contents) = &e.contents {
                let path = self.dir.join(&e.file_name);
                if let Some(parent) = path.parent() {
                    // The runtime's folders (a plain skillset's parent is `dir` itself).
                    fs::create_dir_all(parent)
                        .map_err(|err| io_error(parent, "cannot create", err))?;
                }
                let tmp = stage(&path, contents.as_bytes(), e.mode)
                    .map_err(|err| io_error(&path, "cannot write", err))?;
                staged.0.push((tmp, path));
            }
        }
        let mut backups = Vec::new();
        for e in &self.entries {
            if let Action::Replace { .. } = e.action {
                let path = self.dir.join(&e.file_name);
                match backup(&path) {
                    Ok(b) => backups.push(b),
                    Err(err) => {
                        for b in &backups {
                            let _ = fs::remove_file(b);
                        }
                        return Err(io_error(&path, "cannot back up", err));
                    }
                }
            }
        }
        Ok(staged)
    }
}

/// Temporary files not yet renamed into place; dropping removes them, so an error leaves no strays.
struct Staged(Vec<(PathBuf, PathBuf)>);

impl Drop for Staged {
    fn drop(&mut self) {
        for (tmp, _) in &self.0 {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Decides what to do for every skillset (and `__init__.py` with `register`), reading only.
pub fn plan(skillsets: &[Skillset], options: &Options) -> Result<Plan, Error> {
    // `components()` drops a trailing `/`: with it, lstat would follow a final symlink.
    let dir: PathBuf = options.dir.components().collect();
    let create_dir = check_dir(&dir, options.create)?;
    let mut names = HashSet::new();
    let mut entries = Vec::new();
    for s in skillsets {
        check_file_name(s.file_name)?;
        if !names.insert(s.file_name) {
            return Err(Error::new(format!("`{}` is listed twice", s.file_name)));
        }
        entries.push(plan_file(
            &dir,
            create_dir,
            s.file_name,
            s.contents,
            options.mode,
            options.force,
        )?);
    }
    // The runtime the skillsets extend goes with them, under the same marker/hash protection;
    // while any skillset is vendored it is never obsolete, so --prune cannot remove it.
    let runtime_files: &[runtime::RuntimeFile] = if skillsets.is_empty() {
        &[]
    } else {
        &options.runtime
    };
    if !runtime_files.is_empty() && !create_dir {
        check_runtime_dirs(&dir)?;
    }
    for f in runtime_files {
        entries.push(plan_file(
            &dir,
            create_dir,
            f.path,
            &f.contents,
            options.mode,
            options.force,
        )?);
    }
    if !create_dir {
        entries.extend(plan_obsolete(&dir, &names, options.prune)?);
        if !runtime_files.is_empty() {
            let keep: HashSet<&str> = runtime_files.iter().map(|f| f.path).collect();
            entries.extend(plan_obsolete_runtime(&dir, &keep, options.prune)?);
        }
    }
    if options.register {
        entries.push(plan_init(&dir, create_dir, skillsets, options.mode)?);
    }
    Ok(Plan {
        dir,
        create_dir,
        entries,
    })
}

/// The runtime's folders, where they exist, must be real directories: writing through a link
/// could put files anywhere.
fn check_runtime_dirs(dir: &Path) -> Result<(), Error> {
    for sub in [runtime::DIR, "skillgen_runtime/families"] {
        let path = dir.join(sub);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::new(
                    "is a symbolic link; vendor writes the runtime into a real directory only",
                )
                .file(&path)
                .fix("remove the link and re-run"))
            }
            Ok(m) if !m.is_dir() => {
                return Err(
                    Error::new("is not a directory, where vendor installs the runtime").file(&path),
                )
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&path, "cannot read", e)),
        }
    }
    Ok(())
}

/// Intact generated runtime files (`skillgen_runtime/**.py`) that this build's runtime no longer has.
fn plan_obsolete_runtime(
    dir: &Path,
    keep: &HashSet<&str>,
    prune: bool,
) -> Result<Vec<Entry>, Error> {
    let mut found = Vec::new();
    let mut stack = vec![runtime::DIR.to_string()];
    while let Some(rel) = stack.pop() {
        let path = dir.join(&rel);
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        for item in fs::read_dir(&path).map_err(|e| io_error(&path, "cannot list", e))? {
            let item = item.map_err(|e| io_error(&path, "cannot list", e))?;
            let name = item.file_name().to_string_lossy().into_owned();
            let child = format!("{rel}/{name}");
            let Ok(meta) = fs::symlink_metadata(item.path()) else {
                continue;
            };
            if meta.is_dir() && name != "__pycache__" {
                stack.push(child);
                continue;
            }
            if !meta.is_file() || !name.ends_with(".py") || keep.contains(child.as_str()) {
                continue;
            }
            let Ok(text) = fs::read_to_string(item.path()) else {
                continue;
            };
            if header::inspect(&text) == Marker::Intact {
                found.push(Entry {
                    file_name: child,
                    action: if prune {
                        Action::Prune
                    } else {
                        Action::Obsolete
                    },
                    added: 0,
                    removed: if prune { text.lines().count() } else { 0 },
                    contents: None,
                    mode: None,
                });
            }
        }
    }
    found.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    Ok(found)
}

/// Whether `dir` must be created; an error for a missing dir without `create`, or a non-directory.
fn check_dir(dir: &Path, create: bool) -> Result<bool, Error> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            let target = fs::read_link(dir)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            Err(Error::new(format!(
                "is a symbolic link (to {target}); vendor does not write through links"
            ))
            .file(dir)
            .fix("pass the real directory with --into"))
        }
        Ok(m) if m.is_dir() => Ok(false),
        Ok(_) => Err(Error::new("is not a directory").file(dir)),
        Err(e) if e.kind() == io::ErrorKind::NotFound && create => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(Error::new("the directory does not exist")
                .file(dir)
                .fix("pass --create to make it, or --into DIR to vendor elsewhere"))
        }
        Err(e) => Err(io_error(dir, "cannot read", e)),
    }
}

/// File names come from the build, but a path separator or `..` would escape the directory.
fn check_file_name(name: &str) -> Result<(), Error> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(n)), None) if n == name && name != INIT => Ok(()),
        _ => Err(Error::new(format!(
            "`{name}` is not a plain skillset file name"
        ))),
    }
}

/// An existing regular file's bytes and permission bits; `None` when nothing is there.
fn read_existing(path: &Path) -> Result<Option<(Vec<u8>, u32)>, Error> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "cannot read", e)),
    };
    if meta.file_type().is_symlink() {
        // Writing through it could replace a file anywhere; the rename would replace the link.
        return Err(Error::new(
            "is a symbolic link; vendor writes plain files only and does not follow links",
        )
        .file(path)
        .fix("remove the link (or replace it with a copy of its target) and re-run"));
    }
    if meta.is_dir() {
        return Err(Error::new("is a directory, where vendor needs to write a file").file(path));
    }
    if !meta.is_file() {
        return Err(Error::new("is not a regular file").file(path));
    }
    let bytes = fs::read(path).map_err(|e| io_error(path, "cannot read", e))?;
    Ok(Some((bytes, mode_of(&meta))))
}

fn plan_file(
    dir: &Path,
    create_dir: bool,
    name: &str,
    new: &str,
    mode: Option<u32>,
    force: bool,
) -> Result<Entry, Error> {
    let path = dir.join(name);
    let existing = if create_dir {
        None
    } else {
        read_existing(&path)?
    };
    let mut entry = Entry {
        file_name: name.to_string(),
        action: Action::Create,
        added: 0,
        removed: 0,
        contents: Some(new.to_string()),
        mode,
    };
    let Some((bytes, current_mode)) = existing else {
        entry.added = new.lines().count();
        return Ok(entry);
    };
    if bytes == new.as_bytes() {
        entry.contents = None;
        entry.action = match mode {
            Some(m) if m != current_mode => Action::Chmod,
            _ => Action::Unchanged,
        };
        return Ok(entry);
    }
    let old = String::from_utf8_lossy(&bytes);
    (entry.added, entry.removed) = diff_stat(&old, new);
    // An update replaces the inode, so carry the old permission bits over unless --mode says.
    entry.mode = mode.or(Some(current_mode));
    let was = match header::inspect(&old) {
        Marker::Intact => {
            entry.action = Action::Update;
            return Ok(entry);
        }
        Marker::Edited => Foreign::HandEdited,
        Marker::None => Foreign::HandWritten,
    };
    if force {
        entry.action = Action::Replace {
            was,
            backup: free_backup_path(&path),
        };
    } else {
        entry.action = Action::Refuse(was);
        entry.contents = None;
    }
    Ok(entry)
}

/// Intact generated `hf_*.py` files the build no longer produces. Anything else (hand-written,
/// edited, links, other names) is not ours and is not even listed.
fn plan_obsolete(dir: &Path, keep: &HashSet<&str>, prune: bool) -> Result<Vec<Entry>, Error> {
    let mut found = Vec::new();
    for item in fs::read_dir(dir).map_err(|e| io_error(dir, "cannot list", e))? {
        let item = item.map_err(|e| io_error(dir, "cannot list", e))?;
        let name = item.file_name().to_string_lossy().into_owned();
        if !name.starts_with("hf_") || !name.ends_with(".py") || keep.contains(name.as_str()) {
            continue;
        }
        let path = item.path();
        // Links and non-UTF-8 files are not generated files: skip them without following.
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        if header::inspect(&text) == Marker::Intact {
            found.push(Entry {
                file_name: name,
                action: if prune {
                    Action::Prune
                } else {
                    Action::Obsolete
                },
                added: 0,
                removed: if prune { text.lines().count() } else { 0 },
                contents: None,
                mode: None,
            });
        }
    }
    found.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    Ok(found)
}

fn plan_init(
    dir: &Path,
    create_dir: bool,
    skillsets: &[Skillset],
    mode: Option<u32>,
) -> Result<Entry, Error> {
    let path = dir.join(INIT);
    let existing = if create_dir {
        None
    } else {
        read_existing(&path)?
    };
    let old = match &existing {
        None => None,
        Some((bytes, _)) => Some(std::str::from_utf8(bytes).map_err(|_| {
            Error::new("is not valid UTF-8; refusing to edit its registration block").file(&path)
        })?),
    };
    let block = registration_block(skillsets)?;
    let new = splice(old.unwrap_or(""), &block).map_err(|why| {
        Error::new(why)
            .file(&path)
            .fix("leave exactly one block (or none) and re-run")
    })?;
    let mut entry = Entry {
        file_name: INIT.into(),
        action: Action::Create,
        added: 0,
        removed: 0,
        contents: None,
        mode,
    };
    match (old, &existing) {
        (Some(old), Some((_, current_mode))) => {
            if old == new {
                entry.action = Action::Unchanged;
            } else {
                entry.action = Action::Update;
                (entry.added, entry.removed) = diff_stat(old, &new);
                entry.mode = mode.or(Some(*current_mode));
                entry.contents = Some(new);
            }
        }
        _ => {
            entry.added = new.lines().count();
            entry.contents = Some(new);
        }
    }
    Ok(entry)
}

/// Loads a skillset whose file name is no module name (`hf_xlm-roberta.py`, `hf_kosmos-2.5.py`):
/// `import_module` would read `.` as a package separator, so load it from its file instead.
const LOADER: &str = r#"def _skillgen_load(file_name, class_name):
    import importlib.util
    import os
    import sys

    name = __name__ + "." + file_name[:-3]
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(__file__), file_name)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        module.__package__ = __name__
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return getattr(sys.modules[name], class_name)


"#;

/// The `__init__.py` block: imports each skillset's class into the package namespace.
pub fn registration_block(skillsets: &[Skillset]) -> Result<String, Error> {
    let mut lines = Vec::new();
    let mut needs_loader = false;
    for s in skillsets {
        naming::validate_model_type(s.model_type).map_err(Error::new)?;
        if s.file_name != naming::file_name(s.model_type) {
            return Err(Error::new(format!(
                "`{}` is not the file name of model_type `{}`",
                s.file_name, s.model_type
            )));
        }
        let stem = &s.file_name[..s.file_name.len() - 3];
        let class = naming::class_name(s.model_type);
        if is_identifier(stem) {
            lines.push(format!("from .{stem} import {class}\n"));
        } else {
            needs_loader = true;
            // Names are validated above: a-z, 0-9, `_`, `-`, `.`; no quoting needed.
            lines.push(format!(
                "{class} = _skillgen_load(\"{}\", \"{class}\")\n",
                s.file_name
            ));
        }
    }
    let mut block = format!(
        "{BEGIN_MARK} (written by `skillgen vendor --register`; edits inside this block are lost)\n"
    );
    if needs_loader {
        block.push_str(LOADER);
    }
    block.extend(lines);
    block.push_str(END_MARK);
    block.push('\n');
    if let Err(errors) = check_python(&block) {
        // Only reachable through a bug in the lines above: the input is validated.
        return Err(Error::new(format!(
            "internal error: the registration block is not valid Python: {errors:?}"
        )));
    }
    Ok(block)
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Replaces the block in `text` (or appends it); every byte outside the block is kept.
pub fn splice(text: &str, block: &str) -> Result<String, String> {
    let (mut begins, mut ends) = (Vec::new(), Vec::new());
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with(BEGIN_MARK) {
            begins.push(offset);
        } else if line.starts_with(END_MARK) {
            ends.push(offset + line.len());
        }
        offset += line.len();
    }
    match (begins.as_slice(), ends.as_slice()) {
        ([], []) => {
            let mut out = text.to_string();
            if !out.is_empty() {
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push('\n');
            }
            out.push_str(block);
            Ok(out)
        }
        ([begin], [end]) if begin < end => Ok(format!("{}{block}{}", &text[..*begin], &text[*end..])),
        _ => Err(format!(
            "has {} `{BEGIN_MARK}` and {} `{END_MARK}` line(s); expected one of each, in that order",
            begins.len(),
            ends.len()
        )),
    }
}

/// `+added/-removed` line counts: common prefix and suffix skipped, then a longest common
/// subsequence on the rest (two rows of memory; skillsets are a few hundred lines).
pub fn diff_stat(old: &str, new: &str) -> (usize, usize) {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut prev = vec![0usize; b.len() + 1];
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            row[j + 1] = if x == y {
                prev[j] + 1
            } else {
                row[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut row);
    }
    let common = prev[b.len()];
    (b.len() - common, a.len() - common)
}

/// The first of `<name>.skillgen-backup`, `….1`, `….2`, … that does not exist yet.
fn free_backup_path(path: &Path) -> PathBuf {
    (0..)
        .map(|n| backup_name(path, n))
        .find(|p| fs::symlink_metadata(p).is_err())
        .expect("some backup name is free")
}

fn backup_name(path: &Path, n: u32) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(BACKUP_SUFFIX);
    if n > 0 {
        name.push(format!(".{n}"));
    }
    path.with_file_name(name)
}

/// Copies `path` to a free backup name; `create_new` never overwrites an existing backup, even
/// one created since the plan was made.
fn backup(path: &Path) -> io::Result<PathBuf> {
    let meta = fs::symlink_metadata(path)?;
    let bytes = fs::read(path)?;
    for n in 0.. {
        let target = backup_name(path, n);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
        {
            Ok(mut file) => {
                let written = file.write_all(&bytes).and_then(|()| file.sync_all());
                if let Err(e) = written.and_then(|()| set_mode(&target, Some(mode_of(&meta)))) {
                    let _ = fs::remove_file(&target);
                    return Err(e);
                }
                return Ok(target);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}

/// Writes `bytes` (synced, with `mode`) to a new temporary file in `path`'s directory and returns
/// its name; renaming it over `path` is then atomic. On error nothing is left behind.
pub(crate) fn stage(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // A leading dot and a suffix that no tool globs for (`hf_*.py`, `*.json`).
    let tmp = path.with_file_name(format!(".{name}.skillgen-tmp-{}-{n}", std::process::id()));
    let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| set_mode(&tmp, mode));
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            drop(file);
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// `stage` then rename: readers see the old file or the new one, never a partial one.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let tmp = stage(path, bytes, mode)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Parses `--mode` as octal (`644`, `0644`, `0o644`).
pub fn parse_mode(s: &str) -> Result<u32, String> {
    let digits = s.strip_prefix("0o").unwrap_or(s);
    match u32::from_str_radix(digits, 8) {
        Ok(m) if m <= 0o7777 && !digits.is_empty() => Ok(m),
        _ => Err(format!("`{s}` is not an octal file mode like 644")),
    }
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_: &fs::Metadata) -> u32 {
    0
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: Option<u32>) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match mode {
        Some(m) => fs::set_permissions(path, fs::Permissions::from_mode(m)),
        None => Ok(()),
    }
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: Option<u32>) -> io::Result<()> {
    Ok(())
}

fn io_error(path: &Path, what: &str, e: io::Error) -> Error {
    Error::new(format!("{what}: {e}")).file(path)
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
