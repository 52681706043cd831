//! `cargo build` itself fails, with a short message naming the cause, for a template syntax
//! error, a bad models.toml and a missing config. Each case builds a copy of this package (its
//! own target dir under target/, reused between runs; offline, from the locked dependencies).

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::copy_workspace;

/// A copy of the workspace in a temp dir, edited by `edit`, then `cargo build`; returns stderr.
fn build_copy(edit: impl FnOnce(&Path)) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("skillgen");
    copy_workspace(&pkg);
    edit(&pkg);
    let target: PathBuf = root.join("target").join("build-error-tests");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet", "--color", "never"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(&pkg)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_clean_failure(ok: bool, stderr: &str, needles: &[&str]) {
    assert!(!ok, "cargo build should fail");
    for n in needles {
        assert!(stderr.contains(n), "missing {n:?} in:\n{stderr}");
    }
    assert!(
        !stderr.contains("panicked"),
        "a panic, not a clean error:\n{stderr}"
    );
    let lines = stderr.lines().count();
    assert!(
        lines <= 40,
        "{lines} lines is more than one screen:\n{stderr}"
    );
}

#[test]
fn build_errors_are_one_screen_and_name_the_cause() {
    // Run in sequence: each reuses the previous build of the build script's dependencies.
    let (ok, err) = build_copy(|p| {
        let mut toml = std::fs::read_to_string(p.join("models.toml")).unwrap();
        toml.push_str("\n[[model]]\nid = \"bert-base-uncased\"\nflavour = \"x\"\n");
        std::fs::write(p.join("models.toml"), toml).unwrap();
    });
    assert_clean_failure(ok, &err, &["models.toml:", "flavour"]);

    let (ok, err) = build_copy(|p| {
        std::fs::remove_dir_all(p.join("autoconfigs/roberta-base")).unwrap();
    });
    assert_clean_failure(
        ok,
        &err,
        &[
            "model `roberta-base`",
            "no cached config",
            "skillgen",
            "fetch",
        ],
    );

    let (ok, err) = build_copy(|p| {
        let path = p.join("templates/skillset.py");
        let t = std::fs::read_to_string(&path).unwrap();
        // Python that does not parse: a def without its closing parenthesis.
        let t = t.replace(
            "def _skillgen_base(family, api, namespace):",
            "def _skillgen_base(family, api, namespace:",
        );
        std::fs::write(&path, t).unwrap();
    });
    assert_clean_failure(
        ok,
        &err,
        &[
            "templates/skillset.py",
            "invalid Python",
            "def _skillgen_base(family, api, namespace:",
        ],
    );

    // The runtime is checked too: a syntax error in it names its file and line.
    let (ok, err) = build_copy(|p| {
        let path = p.join("python/skillgen_runtime/labels.py");
        let t = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            t.replace(
                "def _check_top_k(self, options):",
                "def _check_top_k(self, options:",
            ),
        )
        .unwrap();
    });
    assert_clean_failure(
        ok,
        &err,
        &["python/skillgen_runtime/labels.py:", "invalid Python"],
    );

    // A template (askama) syntax error fails compiling the build script, naming the template.
    let (ok, err) = build_copy(|p| {
        let path = p.join("templates/skillset.py");
        let t = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            t.replace(
                "{%- for line in v.family_data %}",
                "{%- for line in v.family_data %}{% if %}",
            ),
        )
        .unwrap();
    });
    assert!(!ok);
    assert!(err.contains("skillset.py"), "{err}");
    assert!(err.lines().count() <= 40, "{err}");
}
