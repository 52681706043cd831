//! The main workflow, as a new user does it on a fresh clone: add a model to models.toml, run
//! `cargo build`, follow the fix the build error gives (the fetch command, served here by a local
//! HTTP server standing in for the Hub), build again, and the skillset appears. Offline, the same
//! command still runs (it does not need the failing build script) and says why it cannot download.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

mod common;

const ID: &str = "mistralai/Mistral-7B-v0.1";
const CONFIG: &str = r#"{"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 4096, "rope_theta": 10000.0}"#;

fn cargo(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/build-error-tests");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("HF_HUB_OFFLINE")
        .env_remove("HF_TOKEN")
        .env_remove("HF_ENDPOINT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout)
}

/// The command between backticks in the build error's `fix:` line, as cargo arguments, offline.
fn fix_command(stderr: &str) -> Vec<String> {
    let line = stderr
        .lines()
        .find(|l| l.contains("fix: run `"))
        .unwrap_or_else(|| panic!("no fix line in:\n{stderr}"));
    let command = line.split('`').nth(1).unwrap();
    let mut words: Vec<String> = command.split_whitespace().map(String::from).collect();
    assert_eq!(words.remove(0), "cargo", "{command}");
    assert_eq!(words[0], "run");
    words.insert(1, "--offline".into()); // no crates.io from the test; the lock file has it all
    words
}

#[test]
fn adding_a_model_works_from_a_fresh_clone() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("skillgen");
    common::copy_workspace(&repo);
    let mut toml = std::fs::read_to_string(repo.join("models.toml")).unwrap();
    toml.push_str(&format!("\n[[model]]\nid = \"{ID}\"\n"));
    std::fs::write(repo.join("models.toml"), toml).unwrap();

    // 1. The build fails and says what to run.
    let out = cargo(&repo, &["build", "--offline", "--quiet"], &[]);
    assert!(!out.status.success());
    let stderr = text(&out);
    assert!(
        stderr.contains(&format!("model `{ID}`")) && stderr.contains("no cached config"),
        "{stderr}"
    );
    let fetch = fix_command(&stderr);
    let fetch: Vec<&str> = fetch.iter().map(String::as_str).collect();

    // 2. Offline, that command runs even though the build script fails, and says why it stops.
    let out = cargo(&repo, &fetch, &[("HF_HUB_OFFLINE", "1")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("HF_HUB_OFFLINE is set"),
        "{}",
        text(&out)
    );

    // 3. Online (a local server standing in for the Hub), it caches the config.
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let endpoint = format!("http://{}", server.server_addr().to_ip().unwrap());
    let serving = Arc::clone(&server);
    let thread = std::thread::spawn(move || {
        while let Ok(Some(request)) = serving.recv_timeout(std::time::Duration::from_secs(120)) {
            let found = request.url() == format!("/{ID}/resolve/main/config.json");
            let response = if found {
                tiny_http::Response::from_string(CONFIG)
            } else {
                tiny_http::Response::from_string("not found").with_status_code(404)
            };
            let _ = request.respond(response);
        }
    });
    let out = cargo(&repo, &fetch, &[("HF_ENDPOINT", &endpoint)]);
    server.unblock();
    thread.join().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let cached = repo.join("autoconfigs").join(ID).join("config.json");
    assert_eq!(std::fs::read_to_string(&cached).unwrap(), CONFIG);

    // 4. The build now passes, and the README's main command writes the skillset.
    let out = cargo(&repo, &["build", "--offline", "--quiet"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let out = cargo(
        &repo,
        &[
            "run",
            "--offline",
            "--quiet",
            "--",
            "generate",
            "--out",
            "out",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let skillset = std::fs::read_to_string(repo.join("out/skillsets/hf_mistral.py")).unwrap();
    assert!(
        skillset.contains(ID) && skillset.contains("class hf_mistral("),
        "{skillset}"
    );
}
