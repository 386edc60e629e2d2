//! Diagnostics: what went wrong with one input, where, and how badly.
//!
//! Every problem with input is data, not a failure of the run: functions that read input return
//! their results together with a list of [`Diagnostic`]s.

use std::fmt;

/// How much a diagnostic matters to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing was lost.
    Info,
    /// Something was skipped or is suspicious; the rest was processed.
    Warning,
    /// An input, or part of one, could not be processed.
    Error,
}

/// Everything that can be wrong with input, with typed context.
///
/// The enum is `#[non_exhaustive]`: new kinds of problems are added without breaking callers.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The underlying reader failed (for example a browser read error).
    Io {
        /// The reader's message.
        message: String,
    },
    /// A gzip stream is corrupt or truncated.
    Gzip {
        /// What the decoder reported.
        message: String,
    },
    /// Bytes follow the end of the first gzip member.
    TrailingData {
        /// Offset of the first trailing byte in the stored file.
        offset: u64,
    },
    /// A zip archive could not be read.
    Zip {
        /// What the zip reader reported.
        message: String,
    },
    /// A tar archive could not be read.
    Tar {
        /// What the tar reader reported.
        message: String,
    },
    /// An archive entry has an absolute path or climbs out with `..`; it is read under a
    /// sanitised name instead.
    UnsafePath {
        /// The path as stored in the archive.
        stored: String,
    },
    /// Two entries share one path; the later one is still read, under a suffixed name.
    DuplicateEntry {
        /// The path both entries claim.
        path: String,
    },
    /// Decompressing produced more bytes than allowed.
    TooLarge {
        /// The cap, in bytes, that was reached.
        limit: u64,
    },
    /// Decompressed size over compressed size exceeded the allowed ratio (zip bomb guard).
    RatioExceeded {
        /// The allowed ratio.
        limit: u64,
    },
    /// An archive inside an archive inside an archive: deeper than allowed.
    NestingTooDeep {
        /// The allowed depth.
        limit: u32,
    },
    /// An archive holds more entries than allowed.
    TooManyEntries {
        /// The allowed count.
        limit: u64,
    },
    /// JSON could not be parsed.
    Json {
        /// 1-based line in the decoded text.
        line: u64,
        /// 1-based column.
        column: u64,
        /// What the parser reported.
        message: String,
    },
    /// Text is not valid UTF-8 (or starts with a UTF-16 byte order mark).
    Encoding {
        /// What was found.
        message: String,
    },
    /// The content matches no supported format.
    UnknownFormat,
    /// A line is longer than the configured maximum; it was skipped.
    LineTooLong {
        /// The cap, in bytes.
        limit: u64,
    },
    /// The user cancelled before this input was finished.
    Cancelled,
    /// Records that look like a known shape but lack what it needs; they were not loaded.
    /// Reported once per file, for the first such record.
    IncompleteRecord {
        /// The shape the record looked like (`EventBridge envelope of a CloudTrail event`).
        shape: String,
        /// What was missing or unusable (`` `detail` is missing or not an object``).
        missing: String,
        /// How many records of the file were skipped this way.
        records: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { message } => write!(f, "read error: {message}"),
            Error::Gzip { message } => write!(f, "corrupt or truncated gzip data: {message}"),
            Error::TrailingData { offset } => {
                write!(
                    f,
                    "unexpected data after the end of the gzip stream at byte {offset}"
                )
            }
            Error::Zip { message } => write!(f, "unreadable zip archive: {message}"),
            Error::Tar { message } => write!(f, "unreadable tar archive: {message}"),
            Error::UnsafePath { stored } => {
                write!(f, "archive entry path {stored:?} is absolute or leaves the archive; read under a safe name")
            }
            Error::DuplicateEntry { path } => {
                write!(
                    f,
                    "archive holds {path:?} more than once; later copies are renamed"
                )
            }
            Error::TooLarge { limit } => {
                write!(
                    f,
                    "decompressed data exceeds the limit of {limit} bytes; the rest was skipped"
                )
            }
            Error::RatioExceeded { limit } => write!(
                f,
                "decompresses more than {limit}× its stored size (possible zip bomb); skipped"
            ),
            Error::NestingTooDeep { limit } => {
                write!(
                    f,
                    "archive nested more than {limit} level(s) deep; not opened"
                )
            }
            Error::TooManyEntries { limit } => {
                write!(
                    f,
                    "archive has more than {limit} entries; the rest were skipped"
                )
            }
            Error::Json {
                line,
                column,
                message,
            } => {
                write!(f, "invalid JSON at line {line}, column {column}: {message}")
            }
            Error::Encoding { message } => write!(f, "not UTF-8 text: {message}"),
            Error::UnknownFormat => write!(f, "not a recognised audit-trail, digest or key format"),
            Error::LineTooLong { limit } => write!(f, "line longer than {limit} bytes; skipped"),
            Error::Cancelled => write!(f, "cancelled"),
            Error::IncompleteRecord {
                shape,
                missing,
                records,
            } => write!(
                f,
                "{records} record(s) look like {shape} but {missing}; not loaded"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// One problem with one input, with its location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// How much it matters.
    pub severity: Severity,
    /// The input's path, relative to its root (archive entries as `archive.zip/inner/path`).
    pub path: String,
    /// Byte offset in the (decoded) input where the problem was found, when known.
    pub offset: Option<u64>,
    /// What is wrong.
    pub error: Error,
}

impl Diagnostic {
    /// A diagnostic without a position.
    pub fn new(severity: Severity, path: impl Into<String>, error: Error) -> Self {
        Self {
            severity,
            path: path.into(),
            offset: None,
            error,
        }
    }

    /// The same diagnostic located at `offset`.
    pub fn at(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match self.offset {
            Some(o) => write!(f, "{level}: {} (byte {o}): {}", self.path, self.error),
            None => write!(f, "{level}: {}: {}", self.path, self.error),
        }
    }
}
