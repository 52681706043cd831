//! One error type for every user-facing failure of the generator. It always says where (file, and
//! line/column or field when known), which model, what went wrong, and how to fix it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What an error is about, for callers and tests that branch on it (the message is for people).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `models.toml`: syntax, unknown keys, bad values, duplicates.
    ModelList,
    /// A cached `config.json`: missing, unreadable, not JSON, wrong field types.
    Config,
    /// Detection: no family or task for the model (unknown model_type, an unserved head).
    Detection,
    /// The template rendered something that is not valid Python.
    Template,
    /// The Python runtime (`python/skillgen_runtime`) is not valid Python.
    Runtime,
    /// Reading or writing a file failed; `source()` is the I/O error.
    Io,
    /// `skillgen vendor` refused or could not plan (hand-written files, links, bad names).
    Vendor,
    Other,
}

/// A user-facing error: one line that says where (file, line/column, model, field), what went
/// wrong and how to fix it. Boxed, so `Result<_, Error>` stays small.
#[derive(Debug, Clone)]
pub struct Error(Box<Details>);

/// The parts of an [`Error`] (reachable through it: `error.file`, `error.message`, ...).
#[derive(Debug, Clone)]
pub struct Details {
    pub kind: ErrorKind,
    pub file: Option<PathBuf>,
    /// 1-based line and column in `file`.
    pub position: Option<(usize, usize)>,
    pub model: Option<String>,
    pub field: Option<String>,
    pub message: String,
    pub fix: Option<String>,
    source: Option<Arc<io::Error>>,
}

impl std::ops::Deref for Error {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

impl PartialEq for Error {
    /// Everything but the I/O source (io::Error has no equality).
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        (
            a.kind, &a.file, a.position, &a.model, &a.field, &a.message, &a.fix,
        ) == (
            b.kind, &b.file, b.position, &b.model, &b.field, &b.message, &b.fix,
        )
    }
}

impl Eq for Error {}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error(Box::new(Details {
            kind: ErrorKind::Other,
            file: None,
            position: None,
            model: None,
            field: None,
            message: message.into(),
            fix: None,
            source: None,
        }))
    }
    /// An I/O failure on `path`: `what` says what was being done; the io error is the source.
    pub fn io(path: impl AsRef<Path>, what: &str, e: io::Error) -> Self {
        let mut error = Error::new(format!("{what}: {e}"))
            .file(path)
            .kind(ErrorKind::Io);
        error.0.source = Some(Arc::new(e));
        error
    }
    pub fn kind(mut self, kind: ErrorKind) -> Self {
        self.0.kind = kind;
        self
    }
    /// Sets the kind unless one was set already (for errors passed up through a stage).
    pub fn or_kind(mut self, kind: ErrorKind) -> Self {
        if self.0.kind == ErrorKind::Other {
            self.0.kind = kind;
        }
        self
    }
    pub fn file(mut self, file: impl AsRef<Path>) -> Self {
        self.0.file = Some(file.as_ref().to_path_buf());
        self
    }
    pub fn at(mut self, line: usize, col: usize) -> Self {
        self.0.position = Some((line, col));
        self
    }
    /// Position from a byte offset into `text`.
    pub fn at_offset(self, text: &str, offset: usize) -> Self {
        let (l, c) = line_col(text, offset);
        self.at(l, c)
    }
    pub fn model(mut self, id: impl Into<String>) -> Self {
        self.0.model = Some(id.into());
        self
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.0.field = Some(field.into());
        self
    }
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.0.fix = Some(fix.into());
        self
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some((l, c)) = self.position {
                write!(f, ":{l}:{c}")?;
            }
            write!(f, ": ")?;
        }
        if let Some(m) = &self.model {
            write!(f, "model `{m}`: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Several errors at once: the generator reports every bad model in one run, not the first only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

impl Errors {
    /// Sets `kind` on every error that has none yet.
    pub fn or_kind(self, kind: ErrorKind) -> Self {
        Errors(self.0.into_iter().map(|e| e.or_kind(kind)).collect())
    }
}

impl From<Error> for Errors {
    fn from(e: Error) -> Self {
        Errors(vec![e])
    }
}
