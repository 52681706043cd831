//! Config JSON as transformers reads it (Python's `json.loads`): bare `NaN`, `Infinity` and
//! `-Infinity` are accepted wherever a value may stand, transformers 5's `{"__float__": ...}` tags
//! too; anything else that is not JSON is refused with its line:column in the file as written.

use std::path::Path;

use proptest::prelude::*;
use serde_json::{json, Value};
use skillgen_generator::ModelList;
use skillgen_generator::{detect, generate_from_plan, Planned};
use skillgen_generator::{parse_json, AutoConfig};

const PATH: &str = "autoconfigs/m/config.json";

/// The generated file for one config, or the error message.
fn generate(json: &str) -> Result<String, String> {
    let config =
        AutoConfig::parse(Path::new(PATH), "m", json.as_bytes()).map_err(|e| e.to_string())?;
    let entry = ModelList::parse(Path::new("models.toml"), "[[model]]\nid = \"m\"\n".into())
        .unwrap()
        .models
        .remove(0);
    let detection = detect(&entry.request(), Some(&config)).map_err(|e| e.to_string())?;
    let planned = Planned {
        entry,
        config_path: None,
        detection,
    };
    let out = generate_from_plan(&[planned]).map_err(|e| e.to_string())?;
    Ok(out.files[0].contents.clone())
}

fn tag(what: &str) -> Value {
    json!({ "__float__": what })
}

#[test]
fn bare_non_finite_floats_are_accepted_wherever_a_value_may_stand() {
    let plain = r#"{"model_type": "bert", "architectures": ["BertModel"]}"#;
    let text = r#"{"model_type": "bert", "layer_norm_eps": NaN, "architectures": ["BertModel"],
        "limits": [0.0,Infinity,-Infinity, NaN ], "nested": {"a": {"b": [[-Infinity]]}},
        "last":Infinity}"#;
    assert_eq!(generate(text).unwrap(), generate(plain).unwrap());
    let config = AutoConfig::parse(Path::new(PATH), "m", text.as_bytes()).unwrap();
    assert_eq!(config.json["layer_norm_eps"], tag("NaN"));
    assert_eq!(
        config.json["limits"],
        json!([0.0, tag("Infinity"), tag("-Infinity"), tag("NaN")])
    );
    assert_eq!(config.json["nested"]["a"]["b"], json!([[tag("-Infinity")]]));
    assert_eq!(config.json["last"], tag("Infinity"));
}

const MAMBA2: &str = r#"{
  "architectures": [
    "Mamba2ForCausalLM"
  ],
  "chunk_size": 256,
  "hidden_size": 768,
  "model_type": "mamba2",
  "num_heads": 24,
  "rms_norm": true,
  "time_step_floor": 0.0001,
  "time_step_limit": [
    0.0,
    Infinity
  ],
  "torch_dtype": "float32",
  "vocab_size": 50288
}
"#;

#[test]
fn a_mamba2_config_as_python_writes_it_generates() {
    let py = generate(MAMBA2).unwrap();
    assert!(py.contains("class hf_mamba2"), "{py}");
    let config = AutoConfig::parse(Path::new(PATH), "m", MAMBA2.as_bytes()).unwrap();
    assert_eq!(
        config.json["time_step_limit"],
        json!([0.0, tag("Infinity")])
    );
    // transformers 5 writes the same float as a tag: the same config, the same skillset.
    let tagged = MAMBA2.replace("Infinity", r#"{"__float__": "Infinity"}"#);
    assert_eq!(generate(&tagged).unwrap(), py);
    let config = AutoConfig::parse(Path::new(PATH), "m", tagged.as_bytes()).unwrap();
    assert_eq!(
        config.json["time_step_limit"],
        json!([0.0, tag("Infinity")])
    );
}

#[test]
fn what_python_refuses_is_refused_at_its_line_and_column() {
    let cases: &[(&str, &str)] = &[
        // (config text, where serde_json places the error: the offending byte, or the one just
        // past the longest acceptable prefix)
        ("{\"model_type\": \"bert\",}", "1:23"),
        ("{\"model_type\": \"bert\", \"a\": [1, 2,]}", "1:35"),
        ("{\"model_type\": \"bert\"\n// comment\n}", "2:1"),
        ("{\"model_type\": \"bert\", /* c */ \"a\": 1}", "1:24"),
        ("{'model_type': 'bert'}", "1:2"),
        ("{\"model_type\": 'bert'}", "1:16"),
        ("{\"model_type\": \"bert\", \"a\": nan}", "1:30"),
        ("{\"model_type\": \"bert\", \"a\": NAN}", "1:29"),
        ("{\"model_type\": \"bert\", \"a\": inf}", "1:29"),
        ("{\"model_type\": \"bert\", \"a\": infinity}", "1:29"),
        ("{\"model_type\": \"bert\", \"a\": +Infinity}", "1:29"),
        ("{\"model_type\": \"bert\", \"a\": -NaN}", "1:30"),
        ("{\"model_type\": \"bert\", \"a\": - Infinity}", "1:30"),
        ("{\"model_type\": \"bert\", \"a\": --Infinity}", "1:30"),
        ("{\"model_type\": \"bert\", \"a\": Infinityx}", "1:37"),
        ("{\"model_type\": \"bert\", \"a\": NaNNaN}", "1:32"),
        ("{\"model_type\": \"bert\", \"a\": 1NaN}", "1:30"),
        ("{\"model_type\": \"bert\", \"a\": [Infinity Infinity]}", "1:39"),
        ("{\"model_type\": \"bert\", NaN: 1}", "1:24"),
        ("{\"model_type\": \"bert\", \"a\": \"NaN}", "1:33"),
        // A bad token after bare ones on the same line is placed in the text as written.
        (
            "{\"model_type\": \"bert\",\n \"a\": [Infinity, NaN, -Infinity],\n \"b\": [NaN, Infinity, nan]}",
            "3:24",
        ),
    ];
    for (text, at) in cases {
        let err = generate(text).expect_err(text);
        assert!(
            err.starts_with(&format!("{PATH}:{at}: model `m`: is not valid JSON: ")),
            "{text:?}: want {at}: {err}"
        );
        assert!(!err.contains(" at line "), "one position only: {err}");
    }
}

/// The positions of `parse_json`'s errors must be those of the text as written. A bare token and
/// a plain JSON value of the same length that is as self-contained (`Infinity` / `[0,0,0 ]`)
/// give errors at the same places, so each text is checked against its twin.
fn twins() -> impl Strategy<Value = (String, String)> {
    let element = prop::sample::select(vec![
        ("NaN", "[0]"),
        ("Infinity", "[0,0,0 ]"),
        ("-Infinity", "[0,0,0,0]"),
        ("0.5", "0.5"),
        ("\"NaN\"", "\"NaN\""),
        ("\"é Infinity\"", "\"é Infinity\""),
        ("\"\\\\\"", "\"\\\\\""),
        ("\n", "\n"),
        (" ", " "),
        (",", ","),
        ("[", "["),
        ("]", "]"),
        ("{\"k\": ", "{\"k\": "),
        ("}", "}"),
        ("nan", "nan"),
        ("'", "'"),
        ("+", "+"),
        ("x", "x"),
    ]);
    prop::collection::vec(element, 0..24).prop_map(|parts| {
        let head = "{\"model_type\": \"bert\", \"a\": [";
        let (mut bare, mut finite) = (head.to_string(), head.to_string());
        for (b, f) in parts {
            bare.push_str(b);
            finite.push_str(f);
        }
        (bare + "]}", finite + "]}")
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn errors_after_bare_tokens_keep_their_positions((bare, finite) in twins()) {
        match (parse_json(&bare), parse_json(&finite)) {
            (Ok(_), Ok(_)) => {}
            (Err(b), Err(f)) => prop_assert_eq!((b.line, b.column), (f.line, f.column), "{:?} vs {:?}", b, f),
            (b, f) => prop_assert!(false, "{bare:?}: {b:?}, but {finite:?}: {f:?}"),
        }
    }

    /// Strings holding the words, quotes and backslashes come back exactly, as keys and values.
    #[test]
    fn strings_holding_the_words_are_untouched(s in "(NaN|-?Infinity|nan|\\\\|\"|'|[ -~]|é|\n){0,10}") {
        let quoted = serde_json::to_string(&s).unwrap();
        // The fixed keys start with a tab, which the strategy never produces, so `s` as a key
        // cannot collide with them (s = "a" once overwrote the key "a").
        let text = format!("{{\"model_type\": \"bert\", \"\\ta\": {quoted}, {quoted}: [{quoted}, NaN], \"\\tz\": Infinity}}");
        let value = parse_json(&text).unwrap();
        prop_assert_eq!(&value["\ta"], &json!(s));
        prop_assert_eq!(&value[s.as_str()], &json!([s.clone(), tag("NaN")]));
        prop_assert_eq!(&value["\tz"], &tag("Infinity"));
    }

    /// Text made of the tokens, quotes, escapes and multi-byte characters never panics.
    #[test]
    fn token_soup_never_panics(parts in prop::collection::vec(prop::sample::select(vec![
        "NaN", "Infinity", "-", "\"", "\\", "é", "😀", "{", "}", "[", "]", ":", ",", "1", " ", "\n", "nfinity",
    ]), 0..40)) {
        let text: String = parts.concat();
        let _ = parse_json(&text);
        let _ = AutoConfig::parse(Path::new(PATH), "m", text.as_bytes());
    }
}

#[test]
fn strings_holding_the_words_are_untouched_table() {
    let cases: &[(&str, &str, Value)] = &[
        // (text, key, the value under it)
        (r#"{"a": "NaN"}"#, "a", json!("NaN")),
        (
            r#"{"a": "Infinity -Infinity NaN"}"#,
            "a",
            json!("Infinity -Infinity NaN"),
        ),
        (r#"{"a": "\"NaN\""}"#, "a", json!("\"NaN\"")),
        (r#"{"a": "x\\"}"#, "a", json!("x\\")),
        (r#"{"a": ["\\", NaN]}"#, "a", json!(["\\", tag("NaN")])),
        (
            r#"{"a": ["\\\"", Infinity]}"#,
            "a",
            json!(["\\\"", tag("Infinity")]),
        ),
        (r#"{"a": "\u0022NaN"}"#, "a", json!("\"NaN")),
        (r#"{"NaN": -Infinity}"#, "NaN", tag("-Infinity")),
        (r#"{"a": {"__float__": "NaN"}}"#, "a", tag("NaN")),
    ];
    for (text, key, want) in cases {
        let value = parse_json(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(&value[*key], want, "{text}");
    }
}
