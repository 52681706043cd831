//! Helpers shared by the tests that build a copy of the workspace (what a fresh clone has).

use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_name() == "__pycache__" || entry.file_name() == "target" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// A copy of the workspace (what a fresh clone has, minus tests and docs) in a temp dir.
pub fn copy_workspace(to: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(to).unwrap();
    for f in ["Cargo.toml", "Cargo.lock", "build.rs", "models.toml"] {
        std::fs::copy(root.join(f), to.join(f)).unwrap();
    }
    for d in [
        "src",
        "crates",
        "templates",
        "data",
        "autoconfigs",
        "benches",
        "python",
    ] {
        copy_dir(&root.join(d), &to.join(d));
    }
}
