//! Generator throughput: skillsets for every model_type of the pinned transformers that has a
//! family template, in one `skillgen generate` run of the release binary, plus an in-process split
//! of the cost (render vs Python parse check). Run through `bash benches/run.sh`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use skillgen_generator::{check_python, coverage_models_toml, Config};

fn median(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/bench");
    std::fs::create_dir_all(dir.join("no-configs")).unwrap();
    let manifest = dir.join("coverage.toml");
    std::fs::write(&manifest, coverage_models_toml()).unwrap();
    let config = Config::new(&manifest, dir.join("no-configs"));

    // In process: plan, render (+ parse check inside generate), and the parse check alone.
    let mut totals = Vec::new();
    let mut files = 0;
    let mut bytes = 0;
    let mut parse = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let out = config.generate().unwrap_or_else(|e| panic!("{e}"));
        totals.push(t.elapsed());
        files = out.files.len();
        bytes = out.files.iter().map(|f| f.contents.len()).sum::<usize>();
        let t = Instant::now();
        for f in &out.files {
            check_python(&f.contents).unwrap();
        }
        parse.push(t.elapsed());
    }
    let (gen, gen_lo, gen_hi) = median(totals);
    let (par, _, _) = median(parse);
    println!(
        "generator (in process, {files} files, {:.1} MiB):",
        bytes as f64 / (1 << 20) as f64
    );
    println!(
        "  generate (plan + render + parse check): median {} (range {} .. {}), {:.0} us/file",
        ms(gen),
        ms(gen_lo),
        ms(gen_hi),
        gen.as_secs_f64() * 1e6 / files as f64
    );
    println!(
        "  the parse check alone, serially on one core: {} (generate spreads it over the cores)",
        ms(par)
    );

    // The release binary, end to end (process start, read, render, check, write).
    let exe = root.join("target/release/skillgen");
    if !exe.is_file() {
        println!("  (no target/release/skillgen: run `cargo build --release` for the CLI figure)");
        return;
    }
    let mut runs = Vec::new();
    for _ in 0..7 {
        let out = dir.join("out");
        let _ = std::fs::remove_dir_all(&out);
        let t = Instant::now();
        let status = Command::new(&exe)
            .args(["generate", "--models"])
            .arg(&manifest)
            .arg("--autoconfigs")
            .arg(dir.join("no-configs"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        runs.push(t.elapsed());
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let (cli, lo, hi) = median(runs);
    println!(
        "  `skillgen generate` (release, fresh output dir): median {} (range {} .. {}), {:.0} us/file — goal < 1 s",
        ms(cli), ms(lo), ms(hi), cli.as_secs_f64() * 1e6 / files as f64
    );
}
