//! Multi-cloud audit events: format decoders, the normalized event model, a compact columnar
//! store and the timeline's query language.
//!
//! * [`ingest`] reads files one by one (plain, gzip, or archives through
//!   [`trailproof_core::input`]), detects each format **by content**, and reports problems as
//!   per-file diagnostics while loading everything else.
//! * [`formats`] holds the decoders: AWS CloudTrail (log files, LookupEvents JSON/JSONL, single
//!   events), Alibaba ActionTrail (OSS delivery and SLS `event.` forms), Huawei CTS traces, GCP
//!   LogEntry, Azure Activity Log (storage export and CLI/SDK shapes), and generic JSON with a
//!   user-supplied [`formats::FieldMapping`].
//! * [`model`] is the normalized [`model::Event`].
//! * [`store`] keeps events column-wise with interned strings, sorted by time, and answers
//!   filters and facet counts.
//! * [`query`] parses the search box language into a [`store::Filter`].
//!
//! The crate does no I/O of its own: callers pass readers.
//!
//! ```
//! use trailproof_events::ingest::{Ingest, IngestOptions};
//! use trailproof_events::store::Field;
//!
//! let log = br#"{"Records":[
//!   {"eventVersion":"1.09","eventTime":"2024-05-01T00:01:10Z","eventSource":"s3.amazonaws.com",
//!    "eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",
//!    "userIdentity":{"type":"IAMUser","userName":"alice"},"readOnly":true,
//!    "eventID":"5f3963f1-213a-7cd7-155f-a54773c12078","recipientAccountId":"111122223333"},
//!   {"eventVersion":"1.09","eventTime":"2024-05-01T00:03:42Z","eventSource":"s3.amazonaws.com",
//!    "eventName":"PutBucketPolicy","awsRegion":"us-east-1","sourceIPAddress":"10.1.2.3",
//!    "userIdentity":{"type":"IAMUser","userName":"bob"},"readOnly":false,
//!    "errorCode":"AccessDenied","recipientAccountId":"111122223333"}
//! ]}"#;
//! let mut ingest = Ingest::new(IngestOptions::default());
//! let summary = ingest.add_file("trail.json", &mut &log[..]);
//! assert_eq!(summary.events, 2);
//! assert!(summary.diagnostics.is_empty());
//! let store = ingest.finish();
//!
//! let hits = store.query("error:* ip:10.0.0.0/8 time>=2024-05-01").unwrap();
//! assert_eq!(hits.count(), 1);
//! let row = hits.iter().next().unwrap();
//! assert_eq!(store.text(row, Field::Actor), "bob");
//! let top = store.facet(Field::Action, &store.query("").unwrap(), 10);
//! assert_eq!(top.len(), 2);
//!
//! // The original record is re-read from the file on demand.
//! let raw = store.raw(row);
//! let bytes = trailproof_events::ingest::read_raw(&mut &log[..], &raw, &Default::default()).unwrap();
//! assert!(bytes.starts_with(b"{\"eventVersion\"") && bytes.ends_with(b"}"));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;

mod avro;
mod csv;
pub mod dedup;
mod flex;
pub mod formats;
pub mod ingest;
pub mod model;
pub mod query;
mod scan;
pub mod selection;
pub mod store;
pub mod time;

pub use ingest::{FileSummary, Ingest, IngestOptions};
pub use model::{Event, Provider, RawRef};
pub use selection::{Ranked, Selection};
pub use store::{EventStore, Field, Filter, Label};

/// Errors of this crate's own APIs (input problems are [`trailproof_core::Diagnostic`]s).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A query could not be parsed.
    Query {
        /// Byte offset in the query text where the problem is.
        position: usize,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Query { position, message } => {
                write!(f, "query error at position {position}: {message}")
            }
        }
    }
}

impl std::error::Error for Error {}
