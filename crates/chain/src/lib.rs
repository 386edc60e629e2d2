//! Offline verification of AWS CloudTrail and Huawei Cloud CTS digest chains.
//!
//! Verification runs in two phases so that callers can spread the expensive part:
//!
//! 1. [`scan`] classifies one file (digest, log, key file, signature sidecar, other) and
//!    records what verification needs: for CloudTrail logs the SHA-256 of the **first gzip
//!    member** and whether bytes follow it; for CTS files the MD5 of the stored bytes; for
//!    digests the parsed content and its hash. It is pure and thread-safe: the CLI runs it on
//!    all cores, the browser worker on each file as it streams in.
//! 2. A [`Verifier`] takes the scanned files in any order plus injected keys, groups digests
//!    into chains, and [`Verifier::finish`] returns a [`Report`]: every digest and log file
//!    with a typed status and reason, every missing file (named by its expected key), gaps
//!    where a chain restarted, and per-chain summaries for drawing an hour strip. A log no
//!    digest lists is judged by the time and chain its name and records put it in: inside
//!    an hour a verified digest covers it is `invalid/not-listed`, otherwise `unreferenced`.
//!    Valid items carry their [`Proof`](trailproof_core::report::Proof), and the report
//!    lists the keys that verified something.
//!
//! Nothing here reads files, the network or the clock. Bad input never panics: it becomes a
//! `malformed` item or a note, and everything else is still verified.
//!
//! ```
//! use trailproof_chain::{scan, ScanLimits, Verifier, VerifyOptions};
//! use trailproof_core::report::{Reason, Status, Verdict};
//!
//! // A log file that no digest lists: reported, but not held against the verdict.
//! let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
//! std::io::Write::write_all(&mut gz, br#"{"Records":[]}"#).unwrap();
//! let bytes = gz.finish().unwrap();
//! let name = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
//!
//! let mut verifier = Verifier::new(VerifyOptions::default());
//! verifier.add(scan(name, &mut bytes.as_slice(), &ScanLimits::default()));
//! let report = verifier.finish();
//! assert_eq!(report.verdict, Verdict::Valid);
//! assert_eq!(report.items[0].status, Status::Unreferenced);
//! assert_eq!(report.items[0].reason, Some(Reason::NotReferenced));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod coverage;
mod digest;
mod error;
mod keys;
mod logs;
mod names;
mod records;
pub mod rsa_verify;
mod scan;
pub mod shard;
mod sidecars;
mod verify;

pub use digest::{AwsDigest, CtsDigest, LogRef, PreviousLink};
pub use error::Error;
pub use keys::{huawei_cts_key, parse_key_file, PublicKey, HUAWEI_CTS_PUBLIC_KEY_B64};
pub use names::{parse_aws_digest_name, parse_cts_digest_name, AwsDigestName, CtsDigestName};
pub use records::RecordCuts;
pub use scan::{
    is_plain_log, kind_by_name, parse_sidecar, scan, scan_inflated, scan_inflated_cut,
    scan_inflated_unhashed, scan_plain_unhashed, FileKind, ScanLimits, Scanned, Sidecar, Unhashed,
};
pub use trailproof_core::report::Report;
pub use verify::{Verifier, VerifyOptions};

/// Verifies a set of in-memory files (path relative to the input root, stored bytes) in one
/// call: scans each, then verifies. Convenient for tests and small inputs.
pub fn verify_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    options: VerifyOptions,
) -> Report {
    let mut verifier = Verifier::new(options);
    let limits = ScanLimits::default();
    for (path, bytes) in files {
        let mut reader = bytes;
        verifier.add(scan(path, &mut reader, &limits));
    }
    verifier.finish()
}
