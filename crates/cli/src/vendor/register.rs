//! The `--register` block of the package's `__init__.py`: imports each skillset's class, through a
//! small loader (python/snippets/register_loader.py) for file names that are no module names.

use skillgen_generator::{check_python, naming, Error};

use super::{SkillsetFile, BEGIN_MARK, END_MARK};

/// Loads a skillset whose file name is no module name (`hf_xlm-roberta.py`, `hf_kosmos-2.5.py`);
/// Python source, linted with the runtime.
const LOADER: &str = include_str!("../../../../python/snippets/register_loader.py");
/// Two blank lines after the loader's function, as PEP 8 wants before the imports that follow.
const AFTER_LOADER: &str = "\n\n";

/// The `__init__.py` block: imports each skillset's class into the package namespace.
pub fn registration_block(skillsets: &[SkillsetFile]) -> Result<String, Error> {
    let mut lines = Vec::new();
    let mut needs_loader = false;
    for s in skillsets {
        naming::validate_model_type(s.model_type).map_err(Error::new)?;
        if s.file_name != naming::file_name(s.model_type) {
            return Err(Error::new(format!(
                "`{}` is not the file name of model_type `{}`",
                s.file_name, s.model_type
            )));
        }
        let stem = &s.file_name[..s.file_name.len() - 3];
        let class = naming::class_name(s.model_type);
        if is_identifier(stem) {
            lines.push(format!("from .{stem} import {class}\n"));
        } else {
            needs_loader = true;
            // Names are validated above: a-z, 0-9, `_`, `-`, `.`; no quoting needed.
            lines.push(format!(
                "{class} = _skillgen_load(\"{}\", \"{class}\")\n",
                s.file_name
            ));
        }
    }
    let mut block = format!(
        "{BEGIN_MARK} (written by `skillgen vendor --register`; edits inside this block are lost)\n"
    );
    if needs_loader {
        block.push_str(LOADER);
        block.push_str(AFTER_LOADER);
    }
    block.extend(lines);
    block.push_str(END_MARK);
    block.push('\n');
    if let Err(errors) = check_python(&block) {
        // Only reachable through a bug in the lines above: the input is validated.
        return Err(Error::new(format!(
            "internal error: the registration block is not valid Python: {errors:?}"
        )));
    }
    Ok(block)
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Replaces the block in `text` (or appends it); every byte outside the block is kept.
pub fn splice(text: &str, block: &str) -> Result<String, String> {
    let (mut begins, mut ends) = (Vec::new(), Vec::new());
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with(BEGIN_MARK) {
            begins.push(offset);
        } else if line.starts_with(END_MARK) {
            ends.push(offset + line.len());
        }
        offset += line.len();
    }
    match (begins.as_slice(), ends.as_slice()) {
        ([], []) => {
            let mut out = text.to_string();
            if !out.is_empty() {
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push('\n');
            }
            out.push_str(block);
            Ok(out)
        }
        ([begin], [end]) if begin < end => Ok(format!("{}{block}{}", &text[..*begin], &text[*end..])),
        _ => Err(format!(
            "has {} `{BEGIN_MARK}` and {} `{END_MARK}` line(s); expected one of each, in that order",
            begins.len(),
            ends.len()
        )),
    }
}
