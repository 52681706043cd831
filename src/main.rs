//! The `skillgen` command line. Every subcommand goes through the same library code as build.rs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use skillgen::generator::{self, registry::EmbeddedSkillset, Config};

mod registry {
    use skillgen::generator::registry::EmbeddedSkillset;
    include!(concat!(env!("OUT_DIR"), "/registry.rs"));
}

#[derive(Parser)]
#[command(name = "skillgen", version, about = "Generate ipfs_accelerate_py skillsets from HuggingFace AutoConfigs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Sources {
    /// The model manifest.
    #[arg(long, default_value = "models.toml")]
    models: PathBuf,
    /// The config cache (autoconfigs/<model id>/config.json).
    #[arg(long, default_value = "autoconfigs")]
    autoconfigs: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Generate skillsets for any manifest into a directory (same code path as the build).
    Generate {
        #[command(flatten)]
        sources: Sources,
        /// Output directory: receives skillsets/hf_<model_type>.py and manifest.json.
        #[arg(long)]
        out: PathBuf,
    },
    /// List the skillsets this build embedded.
    List,
    /// Explain what was detected for a model, and from which config fields.
    Explain {
        /// The model id, as in models.toml.
        id: String,
        #[command(flatten)]
        sources: Sources,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate { sources, out } => generate(&sources, &out),
        Command::List => {
            list(registry::SKILLSETS, registry::MANIFEST_JSON);
            Ok(())
        }
        Command::Explain { id, sources } => explain(&sources, &id),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn config(s: &Sources) -> Config {
    Config::new(&s.models, &s.autoconfigs)
}

fn generate(sources: &Sources, out: &std::path::Path) -> Result<(), String> {
    let output = config(sources).generate().map_err(|e| e.to_string())?;
    generator::write_output(&output, out).map_err(|e| format!("error: {e}"))?;
    eprintln!(
        "wrote {} skillset(s) and manifest.json to {}",
        output.files.len(),
        out.display()
    );
    Ok(())
}

fn list(skillsets: &[EmbeddedSkillset], manifest_json: &str) {
    let manifest: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(manifest_json).unwrap_or_default();
    let rows: Vec<[String; 5]> = manifest
        .iter()
        .map(|(id, m)| {
            let get = |k: &str| m.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            [id.clone(), get("model_type"), get("file"), get("family"), get("task")]
        })
        .collect();
    let header = ["ID", "MODEL_TYPE", "FILE", "FAMILY", "TASK"].map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
    println!("{} model(s), {} skillset file(s)", rows.len(), skillsets.len());
}

fn explain(sources: &Sources, id: &str) -> Result<(), String> {
    let planned = config(sources).plan().map_err(|e| e.to_string())?;
    let Some(p) = planned.iter().find(|p| p.entry.id == id) else {
        return Err(format!(
            "error: `{id}` is not in {}; known ids: {}",
            sources.models.display(),
            planned.iter().map(|p| p.entry.id.as_str()).collect::<Vec<_>>().join(", ")
        ));
    };
    let d = &p.detection;
    println!("model:      {id}");
    match &p.config_path {
        Some(path) => println!("config:     {}", path.display()),
        None => println!("config:     (none cached; model_type from models.toml)"),
    }
    println!("model_type: {}", d.model_type);
    println!("family:     {}", d.family);
    println!("task:       {}", d.task);
    println!("auto class: {}", d.auto_class);
    println!(
        "file:       {} (class {})",
        generator::naming::file_name(&d.model_type),
        generator::naming::class_name(&d.model_type)
    );
    println!("hardware:   {}", p.entry.hardware.join(", "));
    if d.trust_remote_code {
        println!("trust_remote_code: yes");
    }
    println!("how:");
    for (i, step) in d.steps.iter().enumerate() {
        println!("  {}. {step}", i + 1);
    }
    println!(
        "(transformers tables: version {})",
        generator::detect::table().transformers_version
    );
    Ok(())
}
