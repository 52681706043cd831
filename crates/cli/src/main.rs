//! The `skillgen` command line. Every subcommand goes through the generator crate, the same code as
//! the root package's build.rs. This package has no build script and does not depend on the
//! generated skillsets, so `cargo run -p skillgen-cli -- fetch` works even while `models.toml` names a model whose
//! config is not cached yet (the build error says to run it).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use skillgen_cli::{fetch, vendor};
use skillgen_generator::{self as generator, Config, Output};

#[derive(Parser)]
#[command(
    name = "skillgen",
    version,
    about = "Generate ipfs_accelerate_py skillsets from HuggingFace AutoConfigs"
)]
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
    /// List the skillsets of a manifest: id, model_type, file, family, task.
    List {
        #[command(flatten)]
        sources: Sources,
    },
    /// Explain what was detected for a model, and from which config fields.
    Explain {
        /// The model id, as in models.toml.
        id: String,
        #[command(flatten)]
        sources: Sources,
    },
    /// What every model_type of the pinned transformers resolves to (docs/model-types.md).
    Coverage {
        /// Print a models.toml with one model per generatable model_type instead.
        #[arg(long)]
        models_toml: bool,
    },
    /// Generate the models.toml's skillsets and write them, with their runtime, into the Python package.
    ///
    /// Files a person wrote or edited are never overwritten without --force. Exit status: 0 ok,
    /// 1 error or refusal, 2 when --check finds files to create, update, replace or prune.
    Vendor(VendorArgs),
    /// Download config.json for the manifest's models into the config cache.
    ///
    /// Reads HF_ENDPOINT (a mirror), HF_TOKEN (for gated models) and HF_HUB_OFFLINE (refuse to
    /// download). Exit status: 0 ok, 1 when any model failed.
    Fetch {
        #[command(flatten)]
        sources: Sources,
        /// Download configs that are already cached too.
        #[arg(long)]
        refresh: bool,
        /// Downloads running at once.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
        jobs: u16,
    },
}

#[derive(clap::Args)]
struct VendorArgs {
    #[command(flatten)]
    sources: Sources,
    /// The package directory that receives hf_*.py.
    #[arg(long, value_name = "DIR", default_value = vendor::DEFAULT_DIR)]
    into: PathBuf,
    /// Create the directory when it does not exist.
    #[arg(long)]
    create: bool,
    /// Replace hand-written or hand-edited files; each old file is kept as <name>.skillgen-backup.
    #[arg(long)]
    force: bool,
    /// Print what would be created, updated, left alone or refused; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write nothing; exit 2 when anything is missing or stale (for CI).
    #[arg(long)]
    check: bool,
    /// Remove generated hf_*.py files (header and hash intact) that this build no longer produces.
    #[arg(long)]
    prune: bool,
    /// Permission bits of the skillset files, in octal (e.g. 644).
    #[arg(long, value_parser = vendor::parse_mode)]
    mode: Option<u32>,
    /// Keep an import block for every skillset in the directory's __init__.py.
    #[arg(long)]
    register: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate { sources, out } => generate(&sources, &out),
        Command::List { sources } => generated(&sources).map(|output| list(&output)),
        Command::Explain { id, sources } => explain(&sources, &id),
        Command::Coverage { models_toml } => {
            if models_toml {
                print!("{}", generator::coverage_models_toml());
            } else {
                print!("{}", generator::coverage_markdown());
            }
            Ok(())
        }
        Command::Vendor(args) => return vendor_command(&args),
        Command::Fetch {
            sources,
            refresh,
            jobs,
        } => fetch_command(&sources, refresh, jobs.into()),
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

/// The skillsets of a manifest, generated in memory (nothing is written).
fn generated(sources: &Sources) -> Result<Output, String> {
    config(sources).generate().map_err(|e| e.to_string())
}

fn list(output: &Output) {
    let manifest: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&output.manifest_json).unwrap_or_default();
    let rows: Vec<[String; 5]> = manifest
        .iter()
        .map(|(id, m)| {
            let get = |k: &str| m.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            [
                id.clone(),
                get("model_type"),
                get("file"),
                get("family"),
                get("task"),
            ]
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
    println!(
        "{} model(s), {} skillset file(s)",
        rows.len(),
        output.files.len()
    );
}

fn explain(sources: &Sources, id: &str) -> Result<(), String> {
    // Only this model's entry and config are read: other broken entries do not hide its answer.
    let Some(p) = config(sources).plan_model(id).map_err(|e| e.to_string())? else {
        return Err(format!(
            "error: `{id}` is not in {}",
            sources.models.display()
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
    let hardware: Vec<&str> = p.entry.hardware.iter().map(|h| h.name()).collect();
    println!("hardware:   {}", hardware.join(", "));
    if let Some(revision) = &p.entry.revision {
        println!("revision:   {revision} (passed to every from_pretrained of this model)");
    }
    let remote_code = match (d.trust_remote_code, &p.entry.revision) {
        (false, _) => "no (the file never passes trust_remote_code=True for it)",
        (true, Some(r)) if generator::naming::is_commit_hash(r) => {
            "yes, pinned to the revision's commit (models.toml consents)"
        }
        (true, _) => "yes, UNPINNED (models.toml consents with allow_unpinned_remote_code)",
    };
    println!("remote code: {remote_code}");
    println!("how:");
    for (i, step) in d.steps.iter().enumerate() {
        println!("  {}. {step}", i + 1);
    }
    println!(
        "(transformers tables: version {})",
        generator::transformers_version()
    );
    Ok(())
}

fn vendor_command(args: &VendorArgs) -> ExitCode {
    let output = match generated(&args.sources) {
        Ok(output) => output,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let skillsets: Vec<vendor::SkillsetFile> = output.files.iter().map(Into::into).collect();
    let options = vendor::Options {
        create: args.create,
        force: args.force,
        prune: args.prune,
        register: args.register,
        mode: args.mode,
        ..vendor::Options::new(&args.into)
    };
    let plan = match vendor::plan(&skillsets, &options) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dir = plan.dir.display();
    if args.check {
        for entry in plan.entries.iter().filter(|e| e.is_change()) {
            println!("{entry}");
        }
        if plan.is_stale() {
            eprintln!(
                "{dir} is out of date ({}); run `skillgen vendor` to update it",
                plan.summary()
            );
            return ExitCode::from(vendor::EXIT_STALE);
        }
        eprintln!("{dir} is up to date ({})", plan.summary());
        return ExitCode::SUCCESS;
    }
    if args.dry_run {
        if plan.create_dir {
            println!("mkdir      {dir}");
        }
        for entry in &plan.entries {
            println!("{entry}");
        }
        eprintln!(
            "dry run, nothing written in {dir} (would be: {})",
            plan.summary()
        );
        return ExitCode::SUCCESS;
    }
    if let Err(e) = plan.apply() {
        for entry in plan.refused() {
            eprintln!("{entry}");
        }
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    for entry in plan.entries.iter().filter(|e| e.is_change()) {
        println!("{entry}");
    }
    eprintln!("vendored into {dir}: {}", plan.summary());
    ExitCode::SUCCESS
}

fn fetch_command(sources: &Sources, refresh: bool, jobs: usize) -> Result<(), String> {
    let manifest = generator::ModelList::load(&sources.models).map_err(|e| e.to_string())?;
    let models: Vec<fetch::Model> = manifest.models.iter().map(Into::into).collect();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let options = fetch::Options {
        endpoint: var("HF_ENDPOINT").unwrap_or_else(|| fetch::DEFAULT_ENDPOINT.into()),
        token: var("HF_TOKEN"),
        offline: var("HF_HUB_OFFLINE").is_some_and(|v| fetch::env_flag(&v)),
        refresh,
        jobs,
        ..fetch::Options::default()
    };
    let progress = |done: usize, total: usize, outcome: &fetch::Outcome| {
        eprintln!("[{done}/{total}] {outcome}")
    };
    let report = fetch::fetch_all(&models, &sources.autoconfigs, &options, &progress)
        .map_err(|e| format!("error: {e}"))?;
    eprintln!("{}", report.summary());
    match report.failed() {
        0 => Ok(()),
        n => Err(format!(
            "error: {n} config(s) could not be fetched (see above)"
        )),
    }
}
