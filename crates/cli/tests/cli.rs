//! The `skillgen` binary end to end: generate, list, explain on temporary manifests.

use std::path::{Path, PathBuf};
use std::process::Command;

const BERT: &str = r#"{"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 8}"#;

/// The workspace root (the repository), where the default models.toml lives.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(manifest: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("models.toml"), manifest).unwrap();
        Case { dir }
    }
    fn config(&self, id: &str, json: &str) -> &Case {
        let p = self.dir.path().join("autoconfigs").join(id);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("config.json"), json).unwrap();
        self
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn skillgen(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_skillgen"))
            .current_dir(self.dir.path())
            .args(args)
            .output()
            .unwrap()
    }
}

#[test]
fn cli_generate_list_and_explain() {
    let case = Case::new("[[model]]\nid = \"a/bert-one\"\n");
    case.config("a/bert-one", BERT);
    let out = case.skillgen(&["generate", "--out", "gen"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(case.path("gen/skillsets/hf_bert.py").is_file());
    assert!(case.path("gen/manifest.json").is_file());

    let out = case.skillgen(&["explain", "a/bert-one"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("family:     text_encoder") && text.contains("[BertModel]"),
        "{text}"
    );

    let out = case.skillgen(&["explain", "nope"]);
    assert!(!out.status.success());

    // `list` shows a manifest's skillsets: here the repository's default models.toml.
    let models = repo().join("models.toml");
    let autoconfigs = repo().join("autoconfigs");
    let out = case.skillgen(&[
        "list",
        "--models",
        models.to_str().unwrap(),
        "--autoconfigs",
        autoconfigs.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("sentence-transformers/all-MiniLM-L6-v2") && text.contains("hf_bert.py"),
        "{text}"
    );

    let bad = Case::new("[[model]]\nid = \"x y\"\n");
    let out = bad.skillgen(&["generate", "--out", "gen"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("models.toml:2:6"));
    assert!(!bad.path("gen").exists(), "a failed run writes nothing");
}

#[test]
fn a_failed_run_leaves_the_previous_output_intact() {
    let case = Case::new("[[model]]\nid = \"m\"\n");
    case.config("m", BERT);
    let out = case.path("gen");
    assert!(case
        .skillgen(&["generate", "--out", "gen"])
        .status
        .success());
    let before = std::fs::read(out.join("skillsets/hf_bert.py")).unwrap();
    std::fs::write(
        case.path("models.toml"),
        "[[model]]\nid = \"m\"\n[[model]]\nid = \"gone\"\n",
    )
    .unwrap();
    assert!(case.skillgen(&["generate", "--out", "gen"]).status.code() == Some(1));
    assert_eq!(
        std::fs::read(out.join("skillsets/hf_bert.py")).unwrap(),
        before
    );
    assert!(Path::new(&out.join("manifest.json")).is_file());
}

#[test]
fn explain_answers_for_one_model_while_other_entries_are_broken() {
    let case = Case::new(
        "[[model]]\nid = \"a/bert-one\"\n\n[[model]]\nid = \"b/broken\"\nflavour = \"x\"\n\n[[model]]\nid = \"c/uncached\"\n",
    );
    case.config("a/bert-one", BERT);
    let out = case.skillgen(&["generate", "--out", "gen"]);
    assert!(!out.status.success(), "the whole manifest is still checked");
    let out = case.skillgen(&["explain", "a/bert-one"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("family:     text_encoder"), "{text}");
    // The broken entries themselves still say what is wrong, at their own lines.
    let out = case.skillgen(&["explain", "c/uncached"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("models.toml:9:") && err.contains("no cached config"),
        "{err}"
    );
    let out = case.skillgen(&["explain", "b/broken"]);
    assert!(!out.status.success());
}
