//! Trailproof's foundation: everything the verifiers and the event ingest share.
//!
//! * [`input`] walks inputs — plain files, `.zip`, `.tar`, `.tar.gz`/`.tgz`, `.gz` — as a stream
//!   of named entries, with caps against zip bombs and sanitised paths.
//! * [`hash`] computes the digests the verifiers need, incrementally, so callers can feed
//!   chunks as they arrive (the browser reads `Blob` slices).
//! * [`diag`] carries per-file problems: bad input never aborts a run, it becomes a
//!   [`Diagnostic`] beside the results.
//! * [`report`] is the verification report contract shared by every verifier.
//! * [`tool`] names the build of Trailproof behind a report (version, commit, binaries).
//!
//! The core never does I/O of its own: it takes bytes or readers and returns results plus
//! diagnostics.
//!
//! ```
//! use trailproof_core::hash::FileHasher;
//!
//! let mut h = FileHasher::new();
//! h.update(b"{}");
//! let d = h.finish();
//! assert_eq!(d.size, 2);
//! assert_eq!(d.sha256_hex(), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bytes;
pub mod diag;
pub mod gzip;
pub mod hash;
pub mod input;
pub mod report;
pub mod tool;

pub use diag::{Diagnostic, Error, Severity};
