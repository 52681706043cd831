//! The generator end to end through the library: manifests, configs,
//! detection errors, naming (the CLI's end-to-end tests are crates/cli/tests/cli.rs).

use std::path::{Path, PathBuf};

use skillgen_generator::Config;

const BERT: &str = r#"{"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 8}"#;

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
    fn generator(&self) -> Config {
        Config::new(self.path("models.toml"), self.path("autoconfigs"))
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn error(&self) -> String {
        self.generator().generate().unwrap_err().to_string()
    }
}

#[test]
fn two_models_of_one_type_make_one_file_and_hyphens_are_kept() {
    let case = Case::new(
        "[[model]]\nid = \"a/bert-one\"\n[[model]]\nid = \"b/bert-two\"\n[[model]]\nid = \"xlm\"\n",
    );
    case.config("a/bert-one", BERT)
        .config("b/bert-two", BERT)
        .config(
            "xlm",
            r#"{"model_type": "xlm-roberta", "architectures": ["XLMRobertaForMaskedLM"]}"#,
        );
    let out = case.generator().generate().unwrap();
    let names: Vec<&str> = out.files.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(names, ["hf_bert.py", "hf_xlm-roberta.py"]);
    assert_eq!(out.files[0].model_ids, ["a/bert-one", "b/bert-two"]);
    let xlm = &out.files[1].contents;
    assert!(xlm.contains("class hf_xlm_roberta("));
    assert!(xlm.contains("globals()[\"hf_xlm-roberta\"] = hf_xlm_roberta"));
    let manifest: serde_json::Value = serde_json::from_str(&out.manifest_json).unwrap();
    assert_eq!(manifest["xlm"]["task"], "fill_mask");
    assert_eq!(manifest["a/bert-one"]["file"], "hf_bert.py");
}

#[test]
fn manifest_errors_name_file_line_and_column() {
    let unknown = Case::new("[[model]]\nid = \"bert\"\ncolour = \"red\"\n").error();
    assert!(unknown.contains("models.toml:3:1"), "{unknown}");
    assert!(unknown.contains("colour"), "{unknown}");

    let dup = Case::new("[[model]]\nid = \"bert\"\n\n[[model]]\nid = \"bert\"\n").error();
    assert!(dup.contains("models.toml:5:6"), "{dup}");
    assert!(
        dup.contains("duplicate model id (first listed on line 2)"),
        "{dup}"
    );

    let bad_id = Case::new("[[model]]\nid = \"../../etc/passwd\"\n").error();
    assert!(bad_id.contains("models.toml:2:6"), "{bad_id}");
    assert!(bad_id.contains("not a HuggingFace repo id"), "{bad_id}");

    let bad_task = Case::new("[[model]]\nid = \"bert\"\ntask = \"dance\"\n").error();
    assert!(
        bad_task.contains("models.toml:3:8") && bad_task.contains("unknown task `dance`"),
        "{bad_task}"
    );

    let bad_toml = Case::new("[[model]\nid = 1\n").error();
    assert!(bad_toml.contains("models.toml:1:"), "{bad_toml}");
}

#[test]
fn missing_config_says_how_to_fix_it() {
    let e = Case::new("[[model]]\nid = \"org/absent\"\n").error();
    assert!(e.contains("models.toml:2:1"), "{e}");
    assert!(e.contains("model `org/absent`"), "{e}");
    assert!(e.contains("no cached config"), "{e}");
    assert!(e.contains("fetch"), "{e}");
}

#[test]
fn a_model_type_override_works_without_a_config() {
    let case = Case::new("[[model]]\nid = \"org/private\"\nmodel_type = \"bert\"\n");
    let out = case.generator().generate().unwrap();
    assert_eq!(out.files[0].file_name, "hf_bert.py");
}

#[test]
fn config_errors_name_the_file_and_field() {
    let case = Case::new("[[model]]\nid = \"m\"\n");
    case.config("m", "{\"model_type\": 5}");
    let e = case.error();
    assert!(
        e.contains("autoconfigs/m/config.json") && e.contains("`model_type`"),
        "{e}"
    );
    case.config("m", "{\"model_type\": \"bert\",\n  oops}");
    let e = case.error();
    assert!(
        e.contains("config.json:2:") && e.contains("not valid JSON"),
        "{e}"
    );
    case.config("m", "[1, 2]");
    assert!(case.error().contains("not a JSON object"));
    case.config("m", "{\"model_type\": \"bert\\\"; import os\"}");
    assert!(case.error().contains("is not a model type"));
}

#[test]
fn unknown_model_types_and_template_less_families_are_clear_errors() {
    let case = Case::new("[[model]]\nid = \"m\"\n");
    case.config("m", r#"{"model_type": "not-a-real-type"}"#);
    let e = case.error();
    assert!(
        e.contains("not in transformers") && e.contains("family"),
        "{e}"
    );
}

/// `explain` reports the Auto class the generated file loads: for every model of the default
/// models.toml, the detection's class is the file's AUTO_CLASSES entry for the model's task.
#[test]
fn explained_auto_class_is_the_one_the_file_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::new(root.join("models.toml"), root.join("autoconfigs"));
    let planned = config.plan().unwrap_or_else(|e| panic!("{e}"));
    let output = config.generate().unwrap_or_else(|e| panic!("{e}"));
    for p in &planned {
        let d = &p.detection;
        let file = output
            .files
            .iter()
            .find(|f| f.model_type == d.model_type)
            .unwrap();
        let line = file
            .contents
            .lines()
            .find(|l| l.trim_start().starts_with("AUTO_CLASSES = "))
            .unwrap();
        let entry = format!("\"{}\": \"{}\"", d.task, d.auto_class);
        assert!(
            line.contains(&entry),
            "{}: {entry} not in {line}",
            p.entry.id
        );
    }
    let clip = planned
        .iter()
        .find(|p| p.detection.model_type == "clip")
        .unwrap();
    assert_eq!(clip.detection.auto_class, "AutoModel");
}

/// Errors carry a kind that callers match on (not message substrings), and I/O errors keep their
/// cause as `source()`.
#[test]
fn errors_have_kinds_and_io_sources() {
    use skillgen_generator::ErrorKind;
    let kind = |case: &Case| {
        let errors = case.generator().generate().unwrap_err();
        errors.0.iter().map(|e| e.kind).collect::<Vec<_>>()
    };
    let bad_manifest = Case::new("[[model]]\nid = \"bert\"\ncolour = \"red\"\n");
    assert_eq!(kind(&bad_manifest), [ErrorKind::ModelList]);
    let uncached = Case::new("[[model]]\nid = \"org/absent\"\n");
    assert_eq!(kind(&uncached), [ErrorKind::Config]);
    let bad_config = Case::new("[[model]]\nid = \"m\"\n");
    bad_config.config("m", "{\"model_type\": 5}");
    assert_eq!(kind(&bad_config), [ErrorKind::Config]);
    let unknown = Case::new("[[model]]\nid = \"m\"\n");
    unknown.config("m", r#"{"model_type": "no-such-type"}"#);
    assert_eq!(kind(&unknown), [ErrorKind::Detection]);

    // A file where the output directory should be: an I/O error with its cause.
    let case = Case::new("[[model]]\nid = \"m\"\n");
    case.config("m", BERT);
    std::fs::write(case.path("blocked"), "a file").unwrap();
    let output = case.generator().generate().unwrap();
    let e = skillgen_generator::write_output(&output, &case.path("blocked")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io);
    let source = std::error::Error::source(&e).expect("the io error");
    assert!(
        source.downcast_ref::<std::io::Error>().is_some(),
        "{source}"
    );
}

/// A rerun removes what earlier runs wrote and this one does not: stale `hf_*.py` beside the
/// skillsets and marked runtime files; a file a person put into the runtime folder stays.
#[test]
fn stale_generated_files_are_removed_and_hand_written_ones_kept() {
    let case = Case::new("[[model]]\nid = \"m\"\n");
    case.config("m", BERT);
    let out = case.path("gen");
    let output = case.generator().generate().unwrap();
    skillgen_generator::write_output(&output, &out).unwrap();
    let skillsets = out.join("skillsets");
    let old_skillset = skillsets.join("hf_gone.py");
    let old_runtime = skillsets.join("skillgen_runtime/families/retired.py");
    let mine = skillsets.join("skillgen_runtime/notes.py");
    std::fs::write(&old_skillset, "x = 1\n").unwrap();
    std::fs::write(
        &old_runtime,
        skillgen_generator::header::wrap_runtime("x = 1\n", "0.0.1"),
    )
    .unwrap();
    std::fs::write(&mine, "# mine\n").unwrap();
    skillgen_generator::write_output(&output, &out).unwrap();
    assert!(!old_skillset.exists() && !old_runtime.exists());
    assert!(mine.exists() && skillsets.join("hf_bert.py").exists());
    assert!(skillsets.join("skillgen_runtime/base.py").exists());
}
