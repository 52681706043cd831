//! Hostile and malformed input: configs from arbitrary Hub repos, manifests written by people.
//! Nothing may panic, and nothing from a config may add a statement to a generated file.

use std::path::Path;

use proptest::prelude::*;
use skillgen_generator::AutoConfig;
use skillgen_generator::ModelList;
use skillgen_generator::{check_python, detect, generate_from_plan, Planned};

fn entry(id: &str) -> skillgen_generator::ModelEntry {
    ModelList::parse(
        Path::new("models.toml"),
        format!("[[model]]\nid = \"{id}\"\n"),
    )
    .unwrap()
    .models
    .remove(0)
}

/// The generated file for one config, or the error message.
fn generate(json: &str) -> Result<String, String> {
    let path = Path::new("autoconfigs/m/config.json");
    let config = AutoConfig::parse(path, "m", json.as_bytes()).map_err(|e| e.to_string())?;
    let e = entry("m");
    let detection = detect(&e.request(), Some(&config)).map_err(|e| e.to_string())?;
    let planned = Planned {
        entry: e,
        config_path: None,
        detection,
    };
    let out = generate_from_plan(&[planned]).map_err(|e| e.to_string())?;
    Ok(out.files[0].contents.clone())
}

const HOSTILE: &[&str] = &[
    "\"\nimport os\nos.system('x')\n#",
    "'''\nimport os\n'''",
    "\\\"; __import__('os').system('x'); \"",
    "{{ v.class_name }}{% if true %}",
    "\u{0}\u{7}\r\n\u{2028}é😀",
    "\"\"\"",
];

#[test]
fn hostile_strings_in_a_config_never_reach_the_generated_python() {
    let benign = generate(r#"{"model_type": "bert", "architectures": ["BertModel"]}"#).unwrap();
    for h in HOSTILE {
        let s = serde_json::to_string(h).unwrap();
        // In fields skillgen reads but does not emit: the output is byte-identical to the benign one.
        let json = format!(
            r#"{{"model_type": "bert", "architectures": ["BertModel", {s}], "id2label": {{"0": {s}}}, "label2id": {{{s}: 0}}, "_name_or_path": {s}, {s}: {s}}}"#
        );
        assert_eq!(
            generate(&json).unwrap(),
            benign,
            "hostile value {h:?} changed the output"
        );
        // In model_type (becomes a file and class name): rejected.
        let json = format!(r#"{{"model_type": {s}}}"#);
        let err = generate(&json).unwrap_err();
        assert!(err.contains("model_type") && err.contains("not a"), "{err}");
        // As the only architecture: no class matches, so a clear error, not a guess.
        let json = format!(r#"{{"architectures": [{s}]}}"#);
        assert!(generate(&json).is_err());
    }
}

#[test]
fn hostile_model_ids_are_rejected_before_use() {
    for id in [
        "../../etc",
        "/abs",
        "a\\b",
        "a/b/c",
        "x\"y",
        "a b",
        "a\nb",
        "..",
        "a/..",
    ] {
        let text = format!("[[model]]\nid = {}\n", toml_string(id));
        let err = ModelList::parse(Path::new("models.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a HuggingFace repo id"), "{id:?}: {err}");
    }
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap() // a JSON string is a valid TOML basic string
}

#[test]
fn malformed_configs_give_one_clear_error_each() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b"{\"model_type\": \"bert\"", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b"\"bert\"", "not a JSON object"),
        (b"{\"model_type\": \"\"}", "empty string"),
        (b"{\"model_type\": [\"bert\"]}", "must be a string"),
        (b"{\"architectures\": \"BertModel\"}", "must be a list"),
        (b"{\"architectures\": [1]}", "class-name strings"),
        (b"{}", "neither `model_type` nor `architectures`"),
    ];
    for (bytes, want) in cases {
        let path = Path::new("autoconfigs/m/config.json");
        let got = AutoConfig::parse(path, "m", bytes)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                detect(&entry("m").request(), Some(&c))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            });
        let err = got.expect_err(&String::from_utf8_lossy(bytes));
        assert!(
            err.contains(want) && err.contains("config.json"),
            "{:?}: {err}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn oversized_and_symlinked_cache_entries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    std::fs::create_dir_all(&m).unwrap();
    let big = vec![b' '; (skillgen_generator::MAX_CONFIG_BYTES + 1) as usize];
    std::fs::write(m.join("config.json"), big).unwrap();
    let err = AutoConfig::load(dir.path(), "m", None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("byte limit"), "{err}");

    let outside = dir.path().join("outside.json");
    std::fs::write(&outside, r#"{"model_type": "bert"}"#).unwrap();
    let l = dir.path().join("l");
    std::fs::create_dir_all(&l).unwrap();
    std::os::unix::fs::symlink(&outside, l.join("config.json")).unwrap();
    let err = AutoConfig::load(dir.path(), "l", None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("symbolic link"), "{err}");
}

#[test]
fn malformed_manifests_give_clear_errors() {
    let cases: &[(&str, &str)] = &[
        ("", ""), // empty manifest: valid, no models
        ("[[model]]\n", "missing field `id`"),
        ("[[model]]\nid = 5\n", "invalid type"),
        (
            "[[model]]\nid = \"a\"\nhardware = \"cpu\"\n",
            "invalid type",
        ),
        (
            "[[model]]\nid = \"a\"\nhardware = [\"tpu\"]\n",
            "unknown hardware `tpu`",
        ),
        ("[[model]]\nid = \"a\"\nhardware = []\n", "at least one"),
        (
            "[[model]]\nid = \"a\"\nfamily = \"jazz\"\n",
            "unknown family `jazz`",
        ),
        ("[[model]]\nid = \"a\"\nrevision = \"../x\"\n", "revision"),
        (
            "[[model]]\nid = \"a\"\nmodel_type = \"Bad Type\"\n",
            "not a valid model type",
        ),
        ("model = 3\n", "invalid type"),
        ("[model]\nid = \"a\"\n", "invalid type"),
    ];
    for (text, want) in cases {
        let r = ModelList::parse(Path::new("models.toml"), text.to_string());
        if want.is_empty() {
            assert!(r.unwrap().models.is_empty());
            continue;
        }
        let err = r.unwrap_err().to_string();
        assert!(
            err.contains(want) && err.contains("models.toml:"),
            "{text:?}: {err}"
        );
    }
    // Non-UTF-8 and oversized files, through the file loader.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("models.toml");
    std::fs::write(&p, b"[[model]]\nid = \"\xff\"\n").unwrap();
    assert!(ModelList::load(&p)
        .unwrap_err()
        .to_string()
        .contains("not valid UTF-8"));
    std::fs::write(&p, vec![b'#'; 2 << 20]).unwrap();
    assert!(ModelList::load(&p)
        .unwrap_err()
        .to_string()
        .contains("byte limit"));
}

/// Real model types (a few with odd families) and head classes (one unknown), for the strategies.
const MODEL_TYPES: &[&str] = &[
    "bert",
    "gpt2",
    "t5",
    "vit",
    "clip",
    "whisper",
    "xlm-roberta",
    "llava",
    "sam",
    "wav2vec2",
    "detr",
    "clap",
];
const HEAD_CLASSES: &[&str] = &[
    "BertForMaskedLM",
    "GPT2LMHeadModel",
    "CLIPModel",
    "XModel",
    "Wav2Vec2ForCTC",
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
        // Real model types and head classes, so detection and rendering are reached often.
        prop::sample::select(MODEL_TYPES).prop_map(serde_json::Value::from),
        prop::sample::select(HEAD_CLASSES).prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "model_type",
                    "architectures",
                    "auto_map",
                    "id2label",
                    "text_config",
                    "is_encoder_decoder",
                    "x"
                ])
                .prop_map(String::from),
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Config-shaped JSON half the time (a real model_type and/or head class plus arbitrary extra
/// fields), arbitrary JSON otherwise, so detection and rendering are reached often.
fn config_json() -> impl Strategy<Value = serde_json::Value> {
    let shaped = (
        prop::option::of(prop::sample::select(MODEL_TYPES)),
        prop::option::of(prop::collection::vec(
            prop::sample::select(HEAD_CLASSES),
            0..3,
        )),
        prop::collection::btree_map("[a-z_]{1,12}", json_value(), 0..4),
    )
        .prop_map(|(model_type, architectures, extra)| {
            let mut map: serde_json::Map<String, serde_json::Value> = extra.into_iter().collect();
            if let Some(mt) = model_type {
                map.insert("model_type".into(), mt.into());
            }
            if let Some(a) = architectures {
                map.insert("architectures".into(), a.into());
            }
            serde_json::Value::Object(map)
        });
    prop_oneof![shaped, json_value()]
}

proptest! {
    // 256 cases per run in the test suite; PROPTEST_CASES=N for a longer fuzzing run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any JSON through parsing, detection and rendering: a clean error or a file that parses.
    #[test]
    fn arbitrary_config_json_gives_an_error_or_valid_python(value in config_json()) {
        let text = serde_json::to_string(&value).unwrap();
        if let Ok(py) = generate(&text) {
            prop_assert!(check_python(&py).is_ok());
        }
    }

    /// Arbitrary bytes as a config never panic.
    #[test]
    fn arbitrary_config_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = AutoConfig::parse(Path::new("c.json"), "m", &bytes);
    }

    /// Arbitrary manifest text never panics; errors always carry the file name.
    #[test]
    fn arbitrary_manifest_text_gives_models_or_a_located_error(text in "(\\[\\[model\\]\\]\n|id = \"[a-z/.\\-]{0,8}\"\n|task = \"[a-z_]{0,6}\"\n|[ -~]{0,10}\n){0,8}") {
        if let Err(e) = ModelList::parse(Path::new("models.toml"), text) {
            prop_assert!(e.to_string().contains("models.toml"));
        }
    }
}

/// A longer fuzzing run that also counts how often detection and rendering were reached:
/// `PROPTEST_CASES=20000 cargo test --release --test robustness fuzz_report -- --ignored --nocapture`
#[test]
#[ignore = "a bounded fuzzing run with a report; see docs/robustness.md"]
fn fuzz_report() {
    use proptest::test_runner::{Config, TestRunner};
    let cases: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let rendered = std::cell::Cell::new(0u32);
    let start = std::time::Instant::now();
    runner
        .run(&config_json(), |value| {
            if let Ok(py) = generate(&serde_json::to_string(&value).unwrap()) {
                prop_assert!(check_python(&py).is_ok());
                rendered.set(rendered.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    println!(
        "fuzz: {cases} arbitrary configs in {:.1} s: {} rendered to Python that parses, {} clean errors, 0 panics",
        start.elapsed().as_secs_f64(),
        rendered.get(),
        cases - rendered.get()
    );
}
