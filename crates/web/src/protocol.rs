//! Messages between the page and its worker.
//!
//! Control messages are JSON strings (small, debuggable, and free of the codec coupling a
//! binary format would add). `File` handles travel beside them in the same `postMessage`
//! array, since they cannot be serialised, only structured-cloned.

use serde::{Deserialize, Serialize};

/// Bytes read per `Blob` slice. Large enough to amortise the per-call cost, small enough that
/// progress moves several times a second and each wasm call stays short (Chromium only
/// optimises wasm functions between calls).
pub const CHUNK: u64 = 4 << 20;

/// A request from the page. Sent as `[json, File[]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    /// Hash every file sent alongside; `paths[i]` names `files[i]`.
    Hash {
        /// Identifies the job in every reply, so replies of a cancelled job are ignored.
        job: u32,
        /// Display paths (relative paths for folder drops).
        paths: Vec<String>,
    },
}

/// A reply from the worker, sent as a JSON string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// Bytes processed so far, out of the job's total.
    Progress {
        /// The job.
        job: u32,
        /// Bytes read so far.
        done: u64,
        /// Bytes in all files of the job.
        total: u64,
    },
    /// One file is hashed.
    Hashed {
        /// The job.
        job: u32,
        /// Index of the file in the request.
        index: usize,
        /// Bytes hashed.
        size: u64,
        /// Lowercase hex SHA-256.
        sha256: String,
    },
    /// One file could not be read.
    Failed {
        /// The job.
        job: u32,
        /// Index of the file in the request.
        index: usize,
        /// What went wrong, for people.
        message: String,
    },
    /// The job is complete.
    Done {
        /// The job.
        job: u32,
    },
    /// The worker could not start (sent by its JS loader, e.g. when wasm is unavailable).
    Fatal {
        /// What went wrong, for people.
        message: String,
    },
}

impl FromWorker {
    /// The job a reply belongs to; `None` for replies about the worker itself.
    pub fn job(&self) -> Option<u32> {
        match self {
            FromWorker::Progress { job, .. }
            | FromWorker::Hashed { job, .. }
            | FromWorker::Failed { job, .. }
            | FromWorker::Done { job } => Some(*job),
            FromWorker::Fatal { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_as_tagged_json() {
        let m = ToWorker::Hash {
            job: 7,
            paths: vec!["a/b.json".into()],
        };
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(s, r#"{"type":"hash","job":7,"paths":["a/b.json"]}"#);
        assert_eq!(serde_json::from_str::<ToWorker>(&s).unwrap(), m);
        let r = FromWorker::Hashed {
            job: 7,
            index: 1,
            size: 2,
            sha256: "ab".into(),
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(
            serde_json::from_str::<FromWorker>(&s).unwrap().job(),
            Some(7)
        );
        // The shape worker_loader.js sends when the wasm cannot start.
        let fatal =
            serde_json::from_str::<FromWorker>(r#"{"type":"fatal","message":"x"}"#).unwrap();
        assert_eq!(
            fatal,
            FromWorker::Fatal {
                message: "x".into()
            }
        );
    }
}
