//! Remote code only with consent, and pinned: a config that registers custom code (`auto_map`, no
//! native class in transformers) is a generation error unless its models.toml entry says
//! `trust_remote_code = true` with a commit-hash `revision` (or opts out of the pin by name); the
//! generated file lists each model's revision and the only models whose custom code may run.
//! Uses a real config: tests/configs/baichuan/config.json (provenance in tests/configs/README.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const BAICHUAN: &str = include_str!("../../../tests/configs/baichuan/config.json");
const BERT: &str = r#"{"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 8}"#;
/// phi3 registers custom code, but transformers has phi3 natively.
const PHI3: &str = r#"{"model_type": "phi3", "architectures": ["Phi3ForCausalLM"],
  "auto_map": {"AutoConfig": "configuration_phi3.Phi3Config", "AutoModelForCausalLM": "modeling_phi3.Phi3ForCausalLM"}}"#;

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(manifest: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("models.toml"), manifest).unwrap();
        Case { dir }
    }
    /// Caches `json` as the config of `id` at `revision` (`autoconfigs/<id>[@<revision>]/`).
    fn config(&self, id: &str, revision: Option<&str>, json: &str) -> &Case {
        let name = match revision {
            Some(r) if r != "main" => format!("{id}@{r}"),
            _ => id.to_string(),
        };
        let p = self.dir.path().join("autoconfigs").join(name);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("config.json"), json).unwrap();
        self
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn skillgen(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_skillgen"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }
    /// `skillgen generate`: Ok(the generated files' text by name) or Err(stderr).
    fn generate(&self) -> Result<Generated, String> {
        let out = self.skillgen(&["generate", "--out", "gen"]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert!(!self.path("gen").exists(), "a failed run wrote output");
            return Err(stderr);
        }
        Ok(Generated(self.path("gen")))
    }
    fn explain(&self, id: &str) -> String {
        let out = self.skillgen(&["explain", id]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

#[derive(Debug)]
struct Generated(PathBuf);

impl Generated {
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.join("skillsets").join(name)).unwrap()
    }
    fn manifest(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.0.join("manifest.json")).unwrap())
            .unwrap()
    }
}

fn baichuan(extra: &str) -> String {
    format!("[[model]]\nid = \"bert-base-uncased\"\n\n[[model]]\nid = \"org/baichuan\"\n{extra}")
}

#[test]
fn custom_code_without_consent_is_an_error_naming_the_line_the_auto_map_entry_and_the_key() {
    let case = Case::new(&baichuan(""));
    case.config("bert-base-uncased", None, BERT)
        .config("org/baichuan", None, BAICHUAN);
    let err = case.generate().unwrap_err();
    for part in [
        "models.toml:5:1: model `org/baichuan`: field `trust_remote_code`",
        &format!(
            "{} registers custom code",
            Path::new("autoconfigs/org/baichuan/config.json").display()
        ),
        r#"`auto_map` "AutoModelForCausalLM": "modeling_baichuan.BaichuanForCausalLM""#,
        "has no native `baichuan`",
        "run that Python code from the model's Hub repo on every worker",
        "add `trust_remote_code = true` and `revision = \"<the 40-hex commit you reviewed>\"`",
    ] {
        assert!(err.contains(part), "missing {part:?} in:\n{err}");
    }
    // `explain` reports the same decision (plan fails the same way).
    let out = case.skillgen(&["explain", "org/baichuan"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("trust_remote_code = true"));
}

#[test]
fn consent_without_a_commit_hash_is_an_error_unless_the_entry_opts_out_by_name() {
    for (extra, revision, got) in [
        ("trust_remote_code = true\n", None, "there is no `revision`"),
        (
            "revision = \"main\"\ntrust_remote_code = true\n",
            Some("main"),
            "`revision = \"main\"` is a branch or tag, which can move",
        ),
        (
            "revision = \"v1.0\"\ntrust_remote_code = true\n",
            Some("v1.0"),
            "`revision = \"v1.0\"` is a branch or tag",
        ),
        (
            "revision = \"0123456789ABCDEF0123456789abcdef01234567\"\ntrust_remote_code = true\n",
            Some("0123456789ABCDEF0123456789abcdef01234567"),
            "is a branch or tag",
        ),
        (
            "revision = \"0123456789abcdef\"\ntrust_remote_code = true\n",
            Some("0123456789abcdef"),
            "is a branch or tag",
        ),
    ] {
        let case = Case::new(&baichuan(extra));
        case.config("bert-base-uncased", None, BERT)
            .config("org/baichuan", revision, BAICHUAN);
        let err = case.generate().unwrap_err();
        let line = if revision.is_some() { 7 } else { 6 };
        for part in [
            &format!("models.toml:{line}:1: model `org/baichuan`: field `trust_remote_code`"),
            "pin the code you reviewed",
            "needs `revision` to be a full 40-hex commit hash",
            got,
            "add `allow_unpinned_remote_code = true`",
        ] {
            assert!(err.contains(part), "missing {part:?} in:\n{err}");
        }
    }

    // The explicit opt-out: remote code, unpinned, and explain says so.
    let case = Case::new(&baichuan(
        "revision = \"main\"\ntrust_remote_code = true\nallow_unpinned_remote_code = true\n",
    ));
    case.config("bert-base-uncased", None, BERT)
        .config("org/baichuan", None, BAICHUAN);
    let out = case.generate().unwrap();
    let file = out.file("hf_baichuan.py");
    assert!(file.contains("    REVISIONS = {\"org/baichuan\": \"main\"}\n"));
    assert!(file.contains("    REMOTE_CODE_MODELS = (\"org/baichuan\",)\n"));
    let explain = case.explain("org/baichuan");
    assert!(explain.contains("remote code: yes, UNPINNED"), "{explain}");
    assert!(
        explain.contains("allow_unpinned_remote_code = true"),
        "{explain}"
    );
}

#[test]
fn consent_with_a_commit_lists_the_model_and_its_revision_and_explain_says_why() {
    let case = Case::new(&baichuan(&format!(
        "revision = \"{COMMIT}\"\ntrust_remote_code = true\n"
    )));
    case.config("bert-base-uncased", None, BERT)
        .config("org/baichuan", Some(COMMIT), BAICHUAN);
    let out = case.generate().unwrap();
    let file = out.file("hf_baichuan.py");
    assert!(file.contains(&format!(
        "    REVISIONS = {{\"org/baichuan\": \"{COMMIT}\"}}\n"
    )));
    assert!(file.contains("    REMOTE_CODE_MODELS = (\"org/baichuan\",)\n"));
    assert!(!file.contains("TRUST_REMOTE_CODE"));
    // The other file: no revision, no remote code.
    let bert = out.file("hf_bert.py");
    assert!(bert.contains("    REVISIONS = {}\n    REMOTE_CODE_MODELS = ()\n"));
    let manifest = out.manifest();
    assert_eq!(manifest["org/baichuan"]["trust_remote_code"], true);
    assert_eq!(manifest["org/baichuan"]["revision"], COMMIT);
    assert_eq!(manifest["bert-base-uncased"]["trust_remote_code"], false);
    assert!(manifest["bert-base-uncased"].get("revision").is_none());

    let explain = case.explain("org/baichuan");
    for part in [
        &format!("revision:   {COMMIT}"),
        "remote code: yes, pinned",
        r#"`auto_map` "AutoModelForCausalLM": "modeling_baichuan.BaichuanForCausalLM""#,
        "models.toml consents (`trust_remote_code = true`, line 7)",
        &format!("pins revision {COMMIT}"),
    ] {
        assert!(explain.contains(part), "missing {part:?} in:\n{explain}");
    }
    assert!(case
        .explain("bert-base-uncased")
        .contains("remote code: no"));
}

#[test]
fn a_revision_is_listed_for_a_normal_model_and_consent_is_unused_where_transformers_is_native() {
    let case = Case::new(&format!(
        "[[model]]\nid = \"bert-base-uncased\"\nrevision = \"v2\"\n\n\
         [[model]]\nid = \"microsoft/phi3\"\nrevision = \"{COMMIT}\"\ntrust_remote_code = true\n"
    ));
    case.config("bert-base-uncased", Some("v2"), BERT)
        .config("microsoft/phi3", Some(COMMIT), PHI3);
    let out = case.generate().unwrap();
    let bert = out.file("hf_bert.py");
    assert!(bert.contains("    REVISIONS = {\"bert-base-uncased\": \"v2\"}\n"));
    assert!(bert.contains("    REMOTE_CODE_MODELS = ()\n"));
    let phi3 = out.file("hf_phi3.py");
    assert!(phi3.contains(&format!(
        "    REVISIONS = {{\"microsoft/phi3\": \"{COMMIT}\"}}\n"
    )));
    assert!(
        phi3.contains("    REMOTE_CODE_MODELS = ()\n"),
        "native phi3 must not run the repo's code"
    );
    let explain = case.explain("microsoft/phi3");
    assert!(explain.contains("remote code: no"), "{explain}");
    assert!(
        explain.contains("`trust_remote_code = true` (models.toml line 8) is not used"),
        "{explain}"
    );
}

#[test]
fn a_model_without_a_cached_config_gets_remote_code_only_with_consent() {
    // A private custom-code model: no config cached, a model_type transformers does not have.
    let entry =
        "[[model]]\nid = \"org/private\"\nmodel_type = \"mycustom\"\nfamily = \"text_decoder\"\n";
    let case = Case::new(entry);
    let out = case.generate().unwrap();
    assert!(out
        .file("hf_mycustom.py")
        .contains("    REMOTE_CODE_MODELS = ()\n"));

    let case = Case::new(&format!("{entry}trust_remote_code = true\n"));
    let err = case.generate().unwrap_err();
    assert!(err.contains("pin the code you reviewed"), "{err}");

    let case = Case::new(&format!(
        "{entry}trust_remote_code = true\nrevision = \"{COMMIT}\"\n"
    ));
    let out = case.generate().unwrap();
    assert!(out
        .file("hf_mycustom.py")
        .contains("    REMOTE_CODE_MODELS = (\"org/private\",)\n"));
    assert!(case
        .explain("org/private")
        .contains("no config.json is cached"));
}

#[test]
fn the_opt_out_alone_and_non_boolean_values_are_manifest_errors() {
    let case =
        Case::new("[[model]]\nid = \"bert-base-uncased\"\nallow_unpinned_remote_code = true\n");
    case.config("bert-base-uncased", None, BERT);
    let err = case.generate().unwrap_err();
    assert!(
        err.contains("models.toml:3:30: model `bert-base-uncased`: field `allow_unpinned_remote_code`: only means something with `trust_remote_code = true`"),
        "{err}"
    );
    let case = Case::new("[[model]]\nid = \"bert-base-uncased\"\ntrust_remote_code = \"yes\"\n");
    case.config("bert-base-uncased", None, BERT);
    let err = case.generate().unwrap_err();
    assert!(err.contains("models.toml:3:"), "{err}");
    assert!(err.contains("bool"), "{err}");
}
