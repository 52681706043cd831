//! `--force` backups: `<name>.skillgen-backup`, then `.1`, `.2`, …; never overwriting one.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use skillgen_generator::atomic::{mode_of, set_mode};

use super::BACKUP_SUFFIX;

/// The first of `<name>.skillgen-backup`, `….1`, `….2`, … that does not exist yet.
pub(super) fn free_backup_path(path: &Path) -> PathBuf {
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
pub(super) fn backup(path: &Path) -> io::Result<PathBuf> {
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
