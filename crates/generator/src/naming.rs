//! Names: HuggingFace repo ids, revisions, and the Python file/class names derived from a
//! `model_type`. Everything that reaches a path, a URL or a Python identifier is checked here.

/// `name` or `org/name` with the Hub's character set; no `..`, `--`, leading/trailing `.`/`-`.
pub fn validate_model_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("it is empty".into());
    }
    if id.len() > 96 * 2 + 1 {
        return Err("it is longer than the Hub allows".into());
    }
    let parts: Vec<&str> = id.split('/').collect();
    if parts.len() > 2 {
        return Err("expected `name` or `org/name` (at most one `/`)".into());
    }
    for part in parts {
        if part.is_empty() {
            return Err("an empty path segment".into());
        }
        if part.len() > 96 {
            return Err("a segment is longer than 96 characters".into());
        }
        if let Some(c) = part
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(format!(
                "character {c:?} is not allowed (letters, digits, `-`, `_`, `.` only)"
            ));
        }
        if part.contains("..") || part.contains("--") {
            return Err("`..` and `--` are not allowed".into());
        }
        if part.starts_with(['.', '-']) || part.ends_with(['.', '-']) {
            return Err("a segment may not start or end with `.` or `-`".into());
        }
    }
    Ok(())
}

/// A git revision: branch, tag or commit; used in a cache path and a URL.
pub fn validate_revision(rev: &str) -> Result<(), String> {
    if rev.is_empty() || rev.len() > 128 {
        return Err("a revision must be 1 to 128 characters".into());
    }
    if let Some(c) = rev
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "character {c:?} is not allowed in a revision (letters, digits, `-`, `_`, `.`)"
        ));
    }
    if rev.contains("..") || rev.starts_with('.') {
        return Err("`..` or a leading `.` is not allowed in a revision".into());
    }
    Ok(())
}

/// A full commit hash as the Hub gives it (40 lowercase hex digits): the only revision that cannot
/// move. A branch or tag can be pointed at other code after it was reviewed.
pub fn is_commit_hash(rev: &str) -> bool {
    rev.len() == 40 && rev.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A `model_type` becomes part of a file name and a Python identifier, so it must be lowercase
/// ASCII letters, digits, `_`, `-` and `.` (the host keeps it verbatim: `xlm-roberta`,
/// `kosmos-2.5`), starting with a letter, with no `..`.
pub fn validate_model_type(t: &str) -> Result<(), String> {
    let ok_chars = t
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
    if t.is_empty()
        || t.len() > 64
        || !ok_chars
        || t.contains("..")
        || t.ends_with('.')
        || !t.starts_with(|c: char| c.is_ascii_lowercase())
    {
        return Err(format!(
            "model_type {t:?} is not a valid model type (1-64 chars: a-z, 0-9, `_`, `-`, `.`, starting with a letter)"
        ));
    }
    Ok(())
}

/// `hf_<model_type>.py`, hyphens kept: the host builds the path from the verbatim model_type.
pub fn file_name(model_type: &str) -> String {
    format!("hf_{model_type}.py")
}

/// The importable class name: `hf_<model_type with - (and .) → _>`.
pub fn class_name(model_type: &str) -> String {
    format!("hf_{}", model_type.replace(['-', '.'], "_"))
}

/// The attribute the host looks up (`getattr(module, "hf_" + model_type)`), when it differs from
/// the class name.
pub fn host_alias(model_type: &str) -> Option<String> {
    let alias = format!("hf_{model_type}");
    (alias != class_name(model_type)).then_some(alias)
}

/// The cache folder of a model: `<id>` or `<id>@<revision>`.
pub fn cache_dir_name(id: &str, revision: Option<&str>) -> String {
    match revision {
        Some(r) if r != "main" => format!("{id}@{r}"),
        _ => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids() {
        for ok in [
            "bert-base-uncased",
            "openai/whisper-tiny",
            "Qwen/Qwen2-0.5B",
            "a",
            "x_y.z",
        ] {
            assert!(validate_model_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "/x", "a/b/c", "../etc", "a/..", "a b", "a\\b", "-a", "a.", "a--b", "é",
        ] {
            assert!(validate_model_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(file_name("xlm-roberta"), "hf_xlm-roberta.py");
        assert_eq!(class_name("xlm-roberta"), "hf_xlm_roberta");
        assert_eq!(host_alias("xlm-roberta").as_deref(), Some("hf_xlm-roberta"));
        assert_eq!(host_alias("bert"), None);
    }

    #[test]
    fn commit_hashes() {
        assert!(is_commit_hash("0123456789abcdef0123456789abcdef01234567"));
        for bad in [
            "main",
            "v1.0",
            "0123456789abcdef0123456789abcdef0123456",
            "0123456789abcdef0123456789abcdef012345678",
            "0123456789ABCDEF0123456789abcdef01234567",
            "0123456789abcdeg0123456789abcdef01234567",
        ] {
            assert!(!is_commit_hash(bad), "{bad}");
        }
    }

    #[test]
    fn model_types() {
        assert!(validate_model_type("data2vec-audio").is_ok());
        assert!(validate_model_type("kosmos-2.5").is_ok());
        assert_eq!(class_name("kosmos-2.5"), "hf_kosmos_2_5");
        for bad in [
            "",
            "Bert",
            "a b",
            "a\"",
            "1bert",
            "a..b",
            "x;import os",
            "a\nb",
        ] {
            assert!(validate_model_type(bad).is_err(), "{bad}");
        }
    }
}
