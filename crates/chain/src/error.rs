//! The one error type of this crate.

use std::fmt;

/// Everything that can be wrong with one file, with typed context.
///
/// `#[non_exhaustive]`: new kinds are added without breaking callers.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Error {
    /// The reader failed.
    Io {
        /// The reader's message.
        message: String,
    },
    /// Gzip data is corrupt or truncated.
    Gzip {
        /// What the decoder reported.
        message: String,
    },
    /// The file is larger than the configured cap.
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// JSON could not be parsed.
    Json {
        /// What the parser reported (includes line and column).
        message: String,
    },
    /// A required field is absent (or has the wrong JSON type).
    MissingField {
        /// The field name.
        field: String,
    },
    /// A field is present but its value is not acceptable.
    BadField {
        /// The field name.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A signature is not strict hexadecimal.
    BadSignatureEncoding {
        /// What is wrong with it.
        message: String,
    },
    /// Key material could not be decoded.
    Key {
        /// What is wrong with it.
        message: String,
    },
    /// The content matches no supported format.
    UnknownFormat,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { message } => write!(f, "read error: {message}"),
            Error::Gzip { message } => write!(f, "not valid gzip data: {message}"),
            Error::TooLarge { limit } => write!(f, "larger than the limit of {limit} bytes"),
            Error::Json { message } => write!(f, "not valid JSON: {message}"),
            Error::MissingField { field } => write!(
                f,
                "required field {field:?} is missing or has the wrong type"
            ),
            Error::BadField { field, message } => {
                write!(f, "field {field:?} is invalid: {message}")
            }
            Error::BadSignatureEncoding { message } => {
                write!(f, "signature is not hexadecimal: {message}")
            }
            Error::Key { message } => write!(f, "unusable public key: {message}"),
            Error::UnknownFormat => {
                write!(f, "not a recognised digest, log, key or signature file")
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<trailproof_core::Error> for Error {
    fn from(e: trailproof_core::Error) -> Self {
        match e {
            trailproof_core::Error::Gzip { message } => Error::Gzip { message },
            trailproof_core::Error::TooLarge { limit } => Error::TooLarge { limit },
            trailproof_core::Error::Io { message } => Error::Io { message },
            other => Error::Io {
                message: other.to_string(),
            },
        }
    }
}
