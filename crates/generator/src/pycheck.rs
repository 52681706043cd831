//! Build-time check of generated Python with a real parser (Astral's ruff_python_parser), so a
//! template that renders invalid Python fails the build instead of the host at import time.
//! The target is Python 3.9, the oldest the host supports: newer-only syntax is an error too.

use ruff_python_ast::PythonVersion;
use ruff_python_parser::{parse_unchecked, Mode, ParseOptions};

/// A syntax error in generated text: 1-based line and column, the message, and the line itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub source_line: String,
}

/// Parses `source` as a Python 3.9 module; returns every syntax error found.
pub fn check(source: &str) -> Result<(), Vec<SyntaxError>> {
    let options = ParseOptions::from(Mode::Module).with_target_version(PythonVersion::PY39);
    let parsed = parse_unchecked(source, options);
    let at = |start: usize, message: String| {
        let (line, column) = crate::error::line_col(source, start.min(source.len()));
        let source_line = source.lines().nth(line - 1).unwrap_or("").to_string();
        SyntaxError {
            line,
            column,
            message,
            source_line,
        }
    };
    let mut errors: Vec<SyntaxError> = parsed
        .errors()
        .iter()
        .map(|e| at(e.location.start().to_usize(), e.error.to_string()))
        .collect();
    errors.extend(
        parsed
            .unsupported_syntax_errors()
            .iter()
            .map(|e| at(e.range.start().to_usize(), e.to_string())),
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_errors_with_positions() {
        assert!(super::check("def f(x):\n    return x\n").is_ok());
        let errs = super::check("x = 1\ndef f(:\n").unwrap_err();
        assert_eq!(errs[0].line, 2);
        assert!(errs[0].source_line.contains("def f("));
    }

    #[test]
    fn rejects_syntax_newer_than_python_3_9() {
        let errs = super::check("match x:\n    case 1:\n        pass\n").unwrap_err();
        assert!(
            errs[0].message.contains("3.9") || errs[0].message.contains("match"),
            "{errs:?}"
        );
    }
}
