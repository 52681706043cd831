//! Planning: reads the target directory and decides what happens to every file, writing nothing
//! (all that `--dry-run` and `--check` do).

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use skillgen_generator::atomic::mode_of;
use skillgen_generator::header::{self, Marker};
use skillgen_generator::{runtime, Error};

use super::backup::free_backup_path;
use super::register::{registration_block, splice};
use super::{io_error, Action, Entry, Foreign, Options, Plan, SkillsetFile, INIT};

/// Decides what to do for every skillset (and `__init__.py` with `register`), reading only.
pub fn plan(skillsets: &[SkillsetFile], options: &Options) -> Result<Plan, Error> {
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
        check_runtime_dirs(&dir, runtime_files)?;
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
fn check_runtime_dirs(dir: &Path, files: &[runtime::RuntimeFile]) -> Result<(), Error> {
    let mut folders: Vec<&Path> = files
        .iter()
        .filter_map(|f| Path::new(f.path).parent())
        .collect();
    folders.sort();
    folders.dedup();
    for folder in folders {
        // A missing folder is fine (apply creates it); a link or a file in its place is not.
        check_dir(&dir.join(folder), true)
            .map_err(|e| e.fix("replace it with a real directory (or remove it) and re-run"))?;
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
            if name.ends_with(".py") && !keep.contains(child.as_str()) {
                found.extend(obsolete_entry(&item.path(), child, prune));
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
/// A generated file (header and hash intact) the build no longer produces: pruned with `prune`,
/// else listed. Links, other files and non-UTF-8 files are not generated files: `None`, without
/// following them.
fn obsolete_entry(path: &Path, file_name: String, prune: bool) -> Option<Entry> {
    if !fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let text = fs::read_to_string(path).ok()?;
    if header::inspect(&text) != Marker::Intact {
        return None;
    }
    Some(Entry {
        file_name,
        action: if prune {
            Action::Prune
        } else {
            Action::Obsolete
        },
        added: 0,
        removed: if prune { text.lines().count() } else { 0 },
        contents: None,
        mode: None,
    })
}

fn plan_obsolete(dir: &Path, keep: &HashSet<&str>, prune: bool) -> Result<Vec<Entry>, Error> {
    let mut found = Vec::new();
    for item in fs::read_dir(dir).map_err(|e| io_error(dir, "cannot list", e))? {
        let item = item.map_err(|e| io_error(dir, "cannot list", e))?;
        let name = item.file_name().to_string_lossy().into_owned();
        if !name.starts_with("hf_") || !name.ends_with(".py") || keep.contains(name.as_str()) {
            continue;
        }
        found.extend(obsolete_entry(&item.path(), name, prune));
    }
    found.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    Ok(found)
}

fn plan_init(
    dir: &Path,
    create_dir: bool,
    skillsets: &[SkillsetFile],
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
