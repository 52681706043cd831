//! `skillgen vendor`: the library API on temporary directories, then the binary's flags and exit
//! codes. Tests run as root in CI, so permission bits cannot make a directory unwritable; failures
//! are simulated with things in the way (a directory where a file goes, an over-long name).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use skillgen_cli::vendor::{self, Action, Foreign, Options, SkillsetFile};
use skillgen_generator::check_python;
use skillgen_generator::header::{self, Marker};

/// An owned skillset, with a real header (as the build writes it).
struct Owned {
    file_name: String,
    model_type: String,
    contents: String,
}

fn skillset(model_type: &str, body: &str) -> Owned {
    Owned {
        file_name: format!("hf_{model_type}.py"),
        model_type: model_type.into(),
        contents: header::wrap(body, "0.1.0", &[format!("org/{model_type}")]),
    }
}

fn build() -> Vec<Owned> {
    vec![
        skillset("bert", "class hf_bert:\n    pass\n"),
        skillset("xlm-roberta", "class hf_xlm_roberta:\n    pass\n"),
    ]
}

fn borrow(owned: &[Owned]) -> Vec<SkillsetFile<'_>> {
    owned
        .iter()
        .map(|o| SkillsetFile {
            file_name: &o.file_name,
            model_type: &o.model_type,
            contents: &o.contents,
        })
        .collect()
}

/// Options for the skillset-only tests: no runtime (the runtime tests below add it).
fn skillsets_only(dir: impl Into<PathBuf>) -> Options {
    let mut options = Options::new(dir);
    options.runtime.clear();
    options
}

/// Plans and applies; the error as its message (what the tests check).
fn run(owned: &[Owned], options: &Options) -> Result<vendor::Plan, String> {
    let plan = vendor::plan(&borrow(owned), options).map_err(|e| e.to_string())?;
    plan.apply().map_err(|e| e.to_string())?;
    Ok(plan)
}

fn actions(plan: &vendor::Plan) -> Vec<(String, Action)> {
    plan.entries
        .iter()
        .map(|e| (e.file_name.clone(), e.action.clone()))
        .collect()
}

/// Every name in `dir`, sorted: shows stray temporary files too.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn fresh_vendor_writes_every_file_with_an_intact_header() {
    let tmp = tempfile::tempdir().unwrap();
    let owned = build();
    let plan = run(&owned, &skillsets_only(tmp.path())).unwrap();
    assert_eq!(
        actions(&plan),
        [
            ("hf_bert.py".into(), Action::Create),
            ("hf_xlm-roberta.py".into(), Action::Create)
        ]
    );
    assert_eq!(
        plan.entries[0].added, 4,
        "the header's 2 lines and the body's 2"
    );
    assert_eq!(listing(tmp.path()), ["hf_bert.py", "hf_xlm-roberta.py"]);
    for o in &owned {
        assert_eq!(read(tmp.path(), &o.file_name), o.contents);
        assert_eq!(header::inspect(&o.contents), Marker::Intact);
    }
}

#[test]
fn rerun_is_a_no_op() {
    let tmp = tempfile::tempdir().unwrap();
    let owned = build();
    run(&owned, &skillsets_only(tmp.path())).unwrap();
    let before = fs::metadata(tmp.path().join("hf_bert.py"))
        .unwrap()
        .modified()
        .unwrap();
    let plan = run(&owned, &skillsets_only(tmp.path())).unwrap();
    assert!(plan.entries.iter().all(|e| e.action == Action::Unchanged));
    assert!(!plan.is_stale());
    assert_eq!(plan.summary(), "2 unchanged");
    let after = fs::metadata(tmp.path().join("hf_bert.py"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "an unchanged file is not rewritten");
    assert_eq!(listing(tmp.path()), ["hf_bert.py", "hf_xlm-roberta.py"]);
}

#[test]
fn an_older_generated_file_is_updated_with_a_line_count() {
    let tmp = tempfile::tempdir().unwrap();
    let old = [skillset("bert", "class hf_bert:\n    x = 1\n")];
    run(&old, &skillsets_only(tmp.path())).unwrap();
    let new = [skillset("bert", "class hf_bert:\n    x = 2\n    y = 3\n")];
    let plan = vendor::plan(&borrow(&new), &skillsets_only(tmp.path())).unwrap();
    let e = &plan.entries[0];
    assert_eq!(e.action, Action::Update);
    // The hash line and `x` changed; `y` is new.
    assert_eq!((e.added, e.removed), (3, 2));
    assert_eq!(e.to_string(), "update     hf_bert.py (+3/-2)");
    plan.apply().unwrap();
    assert_eq!(read(tmp.path(), "hf_bert.py"), new[0].contents);
}

#[test]
fn a_hand_written_file_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("hf_xlm-roberta.py"), "# mine\n").unwrap();
    let owned = build();
    let plan = vendor::plan(&borrow(&owned), &skillsets_only(tmp.path())).unwrap();
    assert_eq!(plan.entries[1].action, Action::Refuse(Foreign::HandWritten));
    assert!(
        plan.entries[1].to_string().contains("hand-written"),
        "{}",
        plan.entries[1]
    );
    let err = plan.apply().unwrap_err().to_string();
    assert!(
        err.contains("hf_xlm-roberta.py") && err.contains("--force"),
        "{err}"
    );
    // Not even the file that could be written: a run either completes or changes nothing.
    assert_eq!(listing(tmp.path()), ["hf_xlm-roberta.py"]);
    assert_eq!(read(tmp.path(), "hf_xlm-roberta.py"), "# mine\n");
}

#[test]
fn a_hand_edited_generated_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let owned = build();
    run(&owned, &skillsets_only(tmp.path())).unwrap();
    let edited = owned[0].contents.replace("pass", "pass  # tweak");
    fs::write(tmp.path().join("hf_bert.py"), &edited).unwrap();
    let changed = [skillset("bert", "class hf_bert:\n    ok = True\n")];
    let err = run(&changed, &skillsets_only(tmp.path()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("hf_bert.py"), "{err}");
    assert_eq!(read(tmp.path(), "hf_bert.py"), edited);
    let plan = vendor::plan(&borrow(&changed), &skillsets_only(tmp.path())).unwrap();
    assert_eq!(plan.entries[0].action, Action::Refuse(Foreign::HandEdited));
    assert!(plan.is_stale());
}

#[test]
fn force_replaces_and_keeps_a_backup_without_overwriting_older_backups() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("hf_bert.py"), "# mine, v2\n").unwrap();
    fs::write(dir.join("hf_bert.py.skillgen-backup"), "# mine, v1\n").unwrap();
    let owned = build();
    let mut options = skillsets_only(dir);
    options.force = true;
    let plan = run(&owned, &options).unwrap();
    assert_eq!(
        plan.entries[0].action,
        Action::Replace {
            was: Foreign::HandWritten,
            backup: dir.join("hf_bert.py.skillgen-backup.1"),
        }
    );
    assert_eq!(read(dir, "hf_bert.py"), owned[0].contents);
    assert_eq!(read(dir, "hf_bert.py.skillgen-backup"), "# mine, v1\n");
    assert_eq!(read(dir, "hf_bert.py.skillgen-backup.1"), "# mine, v2\n");
    assert_eq!(
        listing(dir),
        [
            "hf_bert.py",
            "hf_bert.py.skillgen-backup",
            "hf_bert.py.skillgen-backup.1",
            "hf_xlm-roberta.py"
        ]
    );
}

#[test]
fn prune_removes_only_intact_generated_files_the_build_no_longer_produces() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let gone = skillset("gpt2", "class hf_gpt2:\n    pass\n");
    let edited = skillset("t5", "class hf_t5:\n    pass\n");
    fs::write(dir.join(&gone.file_name), &gone.contents).unwrap();
    fs::write(dir.join("hf_t5.py"), edited.contents.replace("pass", "...")).unwrap();
    fs::write(dir.join("hf_custom.py"), "# hand-written\n").unwrap();
    fs::write(dir.join("notes.py"), &gone.contents).unwrap(); // generated text, but not hf_*.py
    fs::write(dir.join("hf_gpt2.py.skillgen-backup"), &gone.contents).unwrap();
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("hf_opt.py"),
        skillset("opt", "x = 1\n").contents,
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("hf_opt.py"), dir.join("hf_opt.py")).unwrap();
    let owned = build();

    // Without --prune the obsolete file is only reported.
    let plan = run(&owned, &skillsets_only(dir)).unwrap();
    assert_eq!(plan.entries[2].action, Action::Obsolete);
    assert_eq!(
        plan.entries.len(),
        3,
        "only the intact generated hf_gpt2.py is listed"
    );
    assert!(dir.join("hf_gpt2.py").exists());

    let mut options = skillsets_only(dir);
    options.prune = true;
    let plan = vendor::plan(&borrow(&owned), &options).unwrap();
    assert_eq!(plan.entries[2].file_name, "hf_gpt2.py");
    assert_eq!(plan.entries[2].action, Action::Prune);
    assert!(plan.is_stale(), "--check --prune fails on a prunable file");
    plan.apply().unwrap();
    assert_eq!(
        listing(dir),
        [
            "hf_bert.py",
            "hf_custom.py",
            "hf_gpt2.py.skillgen-backup",
            "hf_opt.py",
            "hf_t5.py",
            "hf_xlm-roberta.py",
            "notes.py"
        ]
    );
    assert!(outside.path().join("hf_opt.py").exists());
}

#[test]
fn register_keeps_everything_outside_its_block_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let head = "\"\"\"The skillset package.\"\"\"\nimport os\n";
    let tail = "\n__all__ = []  # kept\n";
    let mut options = skillsets_only(dir);
    options.register = true;

    fs::write(dir.join("__init__.py"), head.trim_end()).unwrap(); // no final newline
    let owned = build();
    run(&owned, &options).unwrap();
    let first = read(dir, "__init__.py");
    assert!(first.starts_with(head.trim_end()), "{first}");
    assert!(first.contains("from .hf_bert import hf_bert\n"), "{first}");
    assert!(
        first.contains(
            "hf_xlm_roberta = _skillgen_load(\"hf_xlm-roberta.py\", \"hf_xlm_roberta\")\n"
        ),
        "{first}"
    );
    check_python(&first).unwrap();

    // Text after the block, and a re-run: the bytes outside stay, the block is not duplicated.
    fs::write(dir.join("__init__.py"), first.clone() + tail).unwrap();
    let plan = run(&owned, &options).unwrap();
    assert_eq!(plan.entries.last().unwrap().action, Action::Unchanged);
    assert_eq!(read(dir, "__init__.py"), first.clone() + tail);

    // A changed build rewrites only the block.
    let smaller = [skillset("bert", "class hf_bert:\n    pass\n")];
    let plan = run(&smaller, &options).unwrap();
    assert_eq!(plan.entries.last().unwrap().action, Action::Update);
    let second = read(dir, "__init__.py");
    let begin = second.find(vendor::BEGIN_MARK).unwrap();
    let end = second.find(vendor::END_MARK).unwrap() + vendor::END_MARK.len() + 1;
    assert_eq!(
        &second[..begin],
        &first[..first.find(vendor::BEGIN_MARK).unwrap()]
    );
    assert_eq!(&second[end..], tail);
    assert!(!second.contains("xlm"), "{second}");
    assert!(
        !second.contains("_skillgen_load"),
        "the loader is only emitted when needed"
    );
    check_python(&second).unwrap();
}

#[test]
fn register_creates_a_missing_init_py() {
    let tmp = tempfile::tempdir().unwrap();
    let mut options = skillsets_only(tmp.path());
    options.register = true;
    let plan = run(&build(), &options).unwrap();
    assert_eq!(plan.entries.last().unwrap().action, Action::Create);
    let init = read(tmp.path(), "__init__.py");
    assert!(
        init.starts_with(vendor::BEGIN_MARK) && init.ends_with(&format!("{}\n", vendor::END_MARK))
    );
    check_python(&init).unwrap();
}

#[test]
fn register_refuses_a_damaged_block() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!("{}\nfrom .hf_bert import hf_bert\n", vendor::BEGIN_MARK);
    fs::write(tmp.path().join("__init__.py"), &text).unwrap();
    let mut options = skillsets_only(tmp.path());
    options.register = true;
    let err = vendor::plan(&borrow(&build()), &options)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("__init__.py") && err.contains("expected one of each"),
        "{err}"
    );
    assert_eq!(read(tmp.path(), "__init__.py"), text);
}

/// The block must really import in Python (not only parse): hyphens and dots in file names are
/// the hard case. Skipped, saying so, where no python3 is installed.
#[test]
fn registered_package_imports_in_python() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: no python3");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("skills");
    let owned = vec![
        skillset("bert", "class hf_bert:\n    pass\n"),
        skillset(
            "kosmos-2.5",
            "from . import hf_bert as sibling\n\nclass hf_kosmos_2_5:\n    pass\n",
        ),
        skillset("xlm-roberta", "class hf_xlm_roberta:\n    pass\n"),
    ];
    let mut options = skillsets_only(&pkg);
    options.create = true;
    options.register = true;
    run(&owned, &options).unwrap();
    let script = "import skills, sys\n\
        print(skills.hf_bert.__name__, skills.hf_kosmos_2_5.__name__, skills.hf_xlm_roberta.__name__)\n\
        assert 'skills.hf_kosmos-2.5' in sys.modules and 'skills.hf_xlm-roberta' in sys.modules\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .current_dir(tmp.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hf_bert hf_kosmos_2_5 hf_xlm_roberta\n"
    );
}

#[test]
fn a_symlink_at_a_target_path_is_refused_even_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("important.py");
    fs::write(&victim, "keep me\n").unwrap();
    std::os::unix::fs::symlink(&victim, tmp.path().join("hf_bert.py")).unwrap();
    let mut options = skillsets_only(tmp.path());
    options.force = true;
    let err = vendor::plan(&borrow(&build()), &options)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("hf_bert.py") && err.contains("symbolic link"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me\n");
}

#[test]
fn a_symlinked_target_directory_is_refused_with_or_without_a_trailing_slash() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    fs::create_dir(&real).unwrap();
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    for dir in [link.clone(), PathBuf::from(format!("{}/", link.display()))] {
        let err = vendor::plan(&borrow(&build()), &skillsets_only(&dir))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("symbolic link") && err.contains("--into"),
            "{err}"
        );
    }
    assert!(listing(&real).is_empty());
}

#[test]
fn a_missing_directory_is_an_error_unless_create() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/b");
    let err = vendor::plan(&borrow(&build()), &skillsets_only(&dir))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not exist") && err.contains("--create"),
        "{err}"
    );
    let mut options = skillsets_only(&dir);
    options.create = true;
    let plan = vendor::plan(&borrow(&build()), &options).unwrap();
    assert!(!dir.exists(), "planning creates nothing");
    assert!(plan.create_dir && plan.is_stale());
    plan.apply().unwrap();
    assert_eq!(listing(&dir), ["hf_bert.py", "hf_xlm-roberta.py"]);
}

/// Stands in for an unwritable target (root ignores permission bits): a directory sits where
/// one skillset must go, so that file cannot be written; the run must not write the others.
#[test]
fn unwritable_target_simulated_by_a_directory_is_an_error_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("hf_xlm-roberta.py")).unwrap();
    let mut options = skillsets_only(tmp.path());
    options.force = true;
    let err = vendor::plan(&borrow(&build()), &options)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("hf_xlm-roberta.py") && err.contains("is a directory"),
        "{err}"
    );
    assert_eq!(listing(tmp.path()), ["hf_xlm-roberta.py"]);
}

/// Stands in for an unwritable directory: `--into` names a regular file.
#[test]
fn unwritable_directory_simulated_by_a_file_is_an_error_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("skillset");
    fs::write(&file, "not a dir\n").unwrap();
    let mut options = skillsets_only(&file);
    options.create = true;
    let err = vendor::plan(&borrow(&build()), &options)
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a directory"), "{err}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a dir\n");
}

/// A write that fails after others were staged (here: the temporary file's name is too long for
/// the file system) must leave no new file and no temporary file behind.
#[test]
fn a_failure_while_writing_leaves_every_file_old_and_no_temporary_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let old = [skillset("bert", "x = 1\n")];
    run(&old, &skillsets_only(dir)).unwrap();
    let long = format!("hf_{}.py", "a".repeat(240));
    let owned = [skillset("bert", "x = 2\n"), skillset("gpt2", "y = 1\n")];
    let items = [
        SkillsetFile {
            file_name: &owned[0].file_name,
            model_type: "bert",
            contents: &owned[0].contents,
        },
        SkillsetFile {
            file_name: &owned[1].file_name,
            model_type: "gpt2",
            contents: &owned[1].contents,
        },
        SkillsetFile {
            file_name: &long,
            model_type: "a",
            contents: &owned[1].contents,
        },
    ];
    let plan = vendor::plan(&items, &skillsets_only(dir)).unwrap();
    let err = plan.apply().unwrap_err().to_string();
    assert!(err.contains("cannot write"), "{err}");
    assert_eq!(listing(dir), ["hf_bert.py"]);
    assert_eq!(read(dir, "hf_bert.py"), old[0].contents);
}

#[test]
fn mode_sets_permissions_and_updates_keep_them_otherwise() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("hf_bert.py");
    let mut options = skillsets_only(tmp.path());
    options.mode = Some(0o640);
    run(&build(), &options).unwrap();
    assert_eq!(mode(&file), 0o640);

    options.mode = Some(0o604);
    let plan = run(&build(), &options).unwrap();
    assert_eq!(plan.entries[0].action, Action::Chmod);
    assert_eq!(mode(&file), 0o604);

    let newer = [skillset("bert", "class hf_bert:\n    v = 2\n")];
    run(&newer, &skillsets_only(tmp.path())).unwrap();
    assert_eq!(mode(&file), 0o604, "an update keeps the file's permissions");
}

// --- The binary: flags and exit codes (it vendors what this build embedded). ---

fn skillgen(dir: &Path, args: &[&str]) -> Output {
    // From the repository root: vendor generates its default models.toml.
    Command::new(env!("CARGO_BIN_EXE_skillgen"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .arg("vendor")
        .arg("--into")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn cli_check_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("skillset");

    let out = skillgen(&dir, &["--check"]);
    assert_eq!(
        code(&out),
        1,
        "a missing directory is an error: {}",
        text(&out)
    );
    let out = skillgen(&dir, &["--check", "--create"]);
    assert_eq!(code(&out), 2, "everything missing: {}", text(&out));
    assert!(!dir.exists(), "--check writes nothing");

    let out = skillgen(&dir, &["--create"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = skillgen(&dir, &["--check"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("up to date"));

    let first = listing(&dir)
        .into_iter()
        .find(|n| n.starts_with("hf_"))
        .unwrap();
    fs::remove_file(dir.join(&first)).unwrap();
    let out = skillgen(&dir, &["--check"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(&format!("create     {first}")),
        "{}",
        text(&out)
    );
    assert!(!dir.join(&first).exists());

    let out = skillgen(&dir, &["--check", "--register"]);
    assert_eq!(code(&out), 2, "the missing __init__.py block is stale too");
}

#[test]
fn cli_dry_run_reports_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(code(&skillgen(dir, &[])), 0);
    let names = listing(dir);
    fs::write(dir.join(&names[0]), "# mine\n").unwrap();
    fs::remove_file(dir.join(&names[1])).unwrap();

    let out = skillgen(dir, &["--dry-run", "--register"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = text(&out);
    assert!(
        report.contains(&format!("refuse     {}: hand-written", names[0])),
        "{report}"
    );
    assert!(
        report.contains(&format!("create     {}", names[1])),
        "{report}"
    );
    assert!(report.contains("create     __init__.py"), "{report}");
    assert!(report.contains("nothing written"), "{report}");
    assert_eq!(read(dir, &names[0]), "# mine\n");
    assert!(!dir.join(&names[1]).exists() && !dir.join("__init__.py").exists());
}

#[test]
fn cli_refusal_exits_1_and_force_keeps_a_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(code(&skillgen(dir, &[])), 0);
    let name = listing(dir).remove(0);
    fs::write(dir.join(&name), "# mine\n").unwrap();

    let out = skillgen(dir, &[]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("--force"), "{}", text(&out));
    assert_eq!(read(dir, &name), "# mine\n");

    let out = skillgen(dir, &["--force"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(read(dir, &format!("{name}.skillgen-backup")), "# mine\n");
    assert_eq!(header::inspect(&read(dir, &name)), Marker::Intact);
}

#[test]
fn cli_mode_prune_and_register() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A model_type no build produces: generated by "an earlier build".
    let obsolete = skillset("retired-for-tests", "x = 1\n");
    fs::write(dir.join(&obsolete.file_name), &obsolete.contents).unwrap();
    fs::write(dir.join("__init__.py"), "VERSION = 1\n").unwrap();

    let out = skillgen(dir, &["--mode", "640", "--prune", "--register"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("prune      hf_retired-for-tests.py"),
        "{}",
        text(&out)
    );
    assert!(!dir.join("hf_retired-for-tests.py").exists());
    for name in listing(dir).iter().filter(|n| n.starts_with("hf_")) {
        let mode = fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "{name}");
    }
    let init = read(dir, "__init__.py");
    assert!(
        init.starts_with("VERSION = 1\n\n# BEGIN skillgen registrations"),
        "{init}"
    );
    check_python(&init).unwrap();
    assert_eq!(
        code(&skillgen(dir, &["--check", "--mode", "640", "--register"])),
        0
    );

    let out = skillgen(dir, &["--mode", "9"]);
    assert_ne!(code(&out), 0);
    assert!(
        text(&out).contains("not an octal file mode"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_failed_write_into_a_created_directory_removes_the_directory_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("skillset");
    let ok = skillset("bert", "x = 1\n");
    let long = format!("hf_{}.py", "a".repeat(240));
    let items = [
        SkillsetFile {
            file_name: &ok.file_name,
            model_type: "bert",
            contents: &ok.contents,
        },
        SkillsetFile {
            file_name: &long,
            model_type: "a",
            contents: &ok.contents,
        },
    ];
    let mut options = skillsets_only(&dir);
    options.create = true;
    let err = vendor::plan(&items, &options).unwrap().apply().unwrap_err();
    assert!(err.to_string().contains("cannot write"), "{err}");
    assert!(!dir.exists());
}

// ---- the runtime beside the skillsets ----

fn with_runtime(dir: impl Into<PathBuf>) -> Options {
    Options::new(dir)
}

#[test]
fn the_runtime_is_vendored_beside_the_skillsets_with_intact_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = run(&build(), &with_runtime(tmp.path())).unwrap();
    let runtime: Vec<&str> = plan
        .entries
        .iter()
        .map(|e| e.file_name.as_str())
        .filter(|n| n.starts_with("skillgen_runtime/"))
        .collect();
    assert!(runtime.contains(&"skillgen_runtime/__init__.py"));
    assert!(runtime.contains(&"skillgen_runtime/families/text_encoder.py"));
    for name in runtime {
        let text = fs::read_to_string(tmp.path().join(name)).unwrap();
        assert_eq!(header::inspect(&text), Marker::Intact, "{name}");
        assert!(
            !name.contains("hf_"),
            "{name}: the host exec()s files named hf_*"
        );
    }
    // Nothing to do on a rerun.
    let again = vendor::plan(&borrow(&build()), &with_runtime(tmp.path())).unwrap();
    assert!(!again.is_stale(), "{}", again.summary());
}

#[test]
fn an_edited_runtime_file_is_refused_and_force_keeps_a_backup() {
    let tmp = tempfile::tempdir().unwrap();
    run(&build(), &with_runtime(tmp.path())).unwrap();
    let base = tmp.path().join("skillgen_runtime/base.py");
    let edited = fs::read_to_string(&base).unwrap() + "# a local fix\n";
    fs::write(&base, &edited).unwrap();
    let plan = vendor::plan(&borrow(&build()), &with_runtime(tmp.path())).unwrap();
    assert!(plan.is_stale(), "--check sees the edit");
    let err = plan.apply().unwrap_err().to_string();
    assert!(err.contains("skillgen_runtime/base.py"), "{err}");
    assert_eq!(
        fs::read_to_string(&base).unwrap(),
        edited,
        "refused: untouched"
    );
    let mut options = with_runtime(tmp.path());
    options.force = true;
    run(&build(), &options).unwrap();
    assert_eq!(
        header::inspect(&fs::read_to_string(&base).unwrap()),
        Marker::Intact
    );
    let backup = tmp.path().join("skillgen_runtime/base.py.skillgen-backup");
    assert_eq!(fs::read_to_string(backup).unwrap(), edited);
}

#[test]
fn prune_keeps_the_runtime_and_removes_only_obsolete_generated_runtime_files() {
    let tmp = tempfile::tempdir().unwrap();
    run(&build(), &with_runtime(tmp.path())).unwrap();
    let old = tmp.path().join("skillgen_runtime/families/retired.py");
    fs::write(&old, header::wrap_runtime("x = 1\n", "0.0.1")).unwrap();
    let mine = tmp.path().join("skillgen_runtime/local_notes.py");
    fs::write(&mine, "# written by a person\n").unwrap();
    let mut options = with_runtime(tmp.path());
    options.prune = true;
    let plan = run(&build(), &options).unwrap();
    let pruned: Vec<&str> = plan
        .entries
        .iter()
        .filter(|e| e.action == Action::Prune)
        .map(|e| e.file_name.as_str())
        .collect();
    assert_eq!(pruned, ["skillgen_runtime/families/retired.py"]);
    assert!(!old.exists() && mine.exists());
    assert!(tmp.path().join("skillgen_runtime/base.py").exists());
}

#[test]
fn a_linked_runtime_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), tmp.path().join("skillgen_runtime")).unwrap();
    let err = vendor::plan(&borrow(&build()), &with_runtime(tmp.path()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(listing(elsewhere.path()), Vec::<String>::new());
}

#[test]
fn cli_vendors_the_runtime_and_check_covers_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("skillset");
    let out = skillgen(&dir, &["--create"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(dir.join("skillgen_runtime/__init__.py").is_file());
    fs::remove_file(dir.join("skillgen_runtime/families/video.py")).unwrap();
    let out = skillgen(&dir, &["--check"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("create     skillgen_runtime/families/video.py"),
        "{}",
        text(&out)
    );
    let out = skillgen(&dir, &["--prune"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(dir.join("skillgen_runtime/families/video.py").is_file());
}
