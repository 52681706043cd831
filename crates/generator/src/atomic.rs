//! Atomic file writes, shared by `write_output`, `skillgen vendor` and `skillgen fetch`: each new
//! content goes to a synced temporary file beside its target and is renamed over it, so a reader
//! (or a crash) sees the old file or the new one, never a partial one. [`Staged`] holds several
//! staged files and removes them again unless they are committed.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Writes `bytes` (synced, with `mode`) to a new temporary file in `path`'s directory and returns
/// its name; renaming it over `path` is then atomic. On error nothing is left behind.
pub fn stage(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<PathBuf> {
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
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let tmp = stage(path, bytes, mode)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Staged files not yet renamed into place; dropping removes them, so an error leaves no strays.
#[derive(Debug, Default)]
pub struct Staged(Vec<(PathBuf, PathBuf)>);

impl Staged {
    /// Stages `bytes` for `path` (see [`stage`]).
    pub fn add(&mut self, path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
        let tmp = stage(path, bytes, mode)?;
        self.0.push((tmp, path.to_path_buf()));
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Renames every staged file over its target, in order. Each rename is atomic on its own;
    /// on an error, the files not renamed yet are removed and the error says how far it got
    /// (`done` of the total).
    pub fn commit(mut self) -> Result<(), (PathBuf, usize, usize, io::Error)> {
        let total = self.0.len();
        let mut done = 0;
        while !self.0.is_empty() {
            let (tmp, path) = self.0.remove(0);
            if let Err(e) = fs::rename(&tmp, &path) {
                let _ = fs::remove_file(&tmp);
                return Err((path, done, total, e));
            }
            done += 1;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (tmp, _) in &self.0 {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// The permission bits of a file (0 where the platform has none).
#[cfg(unix)]
pub fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
pub fn mode_of(_: &fs::Metadata) -> u32 {
    0
}

/// Sets the permission bits when given.
#[cfg(unix)]
pub fn set_mode(path: &Path, mode: Option<u32>) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match mode {
        Some(m) => fs::set_permissions(path, fs::Permissions::from_mode(m)),
        None => Ok(()),
    }
}

#[cfg(not(unix))]
pub fn set_mode(_: &Path, _: Option<u32>) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_stages_leave_nothing_and_commits_replace() {
        let dir = tempfile_dir();
        let target = dir.join("a.txt");
        fs::write(&target, "old").unwrap();
        {
            let mut staged = Staged::default();
            staged.add(&target, b"new", None).unwrap();
            assert_eq!(fs::read_dir(&dir).unwrap().count(), 2);
        }
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        let mut staged = Staged::default();
        staged.add(&target, b"new", None).unwrap();
        staged.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("skillgen-atomic-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
