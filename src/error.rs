//! Errors: one enum for the whole crate, and [`Diagnostic`], one problem in a
//! user's file with its position.
//!
//! A diagnostic prints like
//! `scenarios/linqing/flood.ron:12:5: depots[2].place: "北仓" is not a place on the map`
//! followed by `  hint: ...` when a fix is obvious. Validation collects every
//! problem before refusing a file.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::scenario::locate::LineCol;

/// One problem in an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The file.
    pub file: PathBuf,
    /// Line and column, when known.
    pub at: Option<LineCol>,
    /// The field path, e.g. `depots[2].place` (empty for the whole file).
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// How to fix it, when obvious.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without a hint.
    pub fn new(file: &Path, at: Option<LineCol>, field: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            at,
            field: field.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// Add a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(at) = self.at {
            write!(f, ":{}:{}", at.line, at.col)?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in `tabletop`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad user input: every problem found (exit status 2).
    #[error("{}", render(.0))]
    Input(Vec<Diagnostic>),
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// An output could not be written; earlier results are untouched.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A batch was stopped (Ctrl-C) before all its runs were done; the rows
    /// so far are kept (exit status 130, as for SIGINT).
    #[error("stopped before the batch was done")]
    Interrupted,
    /// The drill window could not run (no display, no GPU adapter, ...).
    #[error("the drill window failed: {0}")]
    Window(String),
}

impl Error {
    /// Process exit status: 2 for bad input (including unreadable input files),
    /// 130 for an interrupted batch, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) | Error::Io { .. } => 2,
            Error::Write { .. } | Error::Window(_) => 1,
            Error::Interrupted => 130,
        }
    }

    /// Shorthand for a single diagnostic.
    pub fn one(d: Diagnostic) -> Self {
        Error::Input(vec![d])
    }
}

fn render(ds: &[Diagnostic]) -> String {
    let mut s = String::new();
    for (i, d) in ds.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&d.to_string());
    }
    if ds.len() > 1 {
        s.push_str(&format!("\n{} problems found", ds.len()));
    }
    s
}
