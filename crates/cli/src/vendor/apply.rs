//! Applying a plan: every new content staged first (nothing is replaced until all are written),
//! backups for `--force`, then the renames, chmods and prunes.

use std::fs;

use skillgen_generator::atomic::{set_mode, Staged};
use skillgen_generator::Error;

use super::backup::backup;
use super::{io_error, Action, Plan};

impl Plan {
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
        let staged = match self.stage_all() {
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
        staged.commit().map_err(|(path, done, total, err)| {
            io_error(
                &path,
                &format!("cannot replace ({done} of {total} files were already written, the rest are unchanged; re-run to finish)"),
                err,
            )
        })?;
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
        let mut staged = Staged::default();
        for e in &self.entries {
            if let Some(contents) = &e.contents {
                let path = self.dir.join(&e.file_name);
                if let Some(parent) = path.parent() {
                    // The runtime's folders (a plain skillset's parent is `dir` itself).
                    fs::create_dir_all(parent)
                        .map_err(|err| io_error(parent, "cannot create", err))?;
                }
                staged
                    .add(&path, contents.as_bytes(), e.mode)
                    .map_err(|err| io_error(&path, "cannot write", err))?;
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
