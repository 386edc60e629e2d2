//! One read of an input entry for both digest-chain verification and event ingest, shared by
//! the hosts that load inputs in runs (the CLI's threads, the browser's load workers): each
//! held entry is scanned ([`trailproof_chain::scan`]) and ingested ([`Ingest::add_file`])
//! from the same bytes, and a small gzip CloudTrail log is inflated once for both
//! ([`trailproof_chain::scan_inflated`], [`Ingest::add_inflated`]).
//!
//! No I/O: hosts read the entry (and decide how much to hold) and hand over its bytes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use trailproof_chain::{kind_by_name, scan, scan_inflated, FileKind, ScanLimits, Scanned};
use trailproof_core::{gzip, input};
use trailproof_events::ingest::{FileSummary, Ingest, INFLATED_MAX};

/// Scans `held` (the whole stored entry at `path`) and loads its events into `ingest`: the
/// results are those of `scan(path, held)` and `ingest.add_file(path, held)`, with a small
/// single-member gzip CloudTrail log inflated only once.
pub fn scan_and_ingest(
    path: &str,
    held: &[u8],
    limits: &ScanLimits,
    ingest: &mut Ingest,
) -> (Scanned, FileSummary) {
    if let Some(done) = inflated_once(path, held, limits, ingest) {
        return done;
    }
    let scanned = scan(path, &mut &held[..], limits);
    (scanned, ingest.add_file(path, &mut &held[..]))
}

/// A small single-member gzip CloudTrail log, inflated once for the scan (which hashes the
/// first member) and the ingest (which reads every member: here the same bytes); `None`
/// when the entry is anything else or does not inflate cleanly, for the usual paths to judge.
fn inflated_once(
    path: &str,
    held: &[u8],
    limits: &ScanLimits,
    ingest: &mut Ingest,
) -> Option<(Scanned, FileSummary)> {
    if held.len() > INFLATED_MAX
        || !held.starts_with(&gzip::MAGIC)
        || kind_by_name(path) != Some(FileKind::AwsLog)
    {
        return None;
    }
    let cap = limits.max_inflated.min(ingest_cap());
    let mut decoded = Vec::with_capacity(held.len() * 8);
    let first =
        gzip::inflate_first_member(&mut &held[..], cap, &mut |c| decoded.extend_from_slice(c))
            .ok()?;
    if first.trailing_at.is_some() {
        return None;
    }
    let scanned = scan_inflated(path, held, &first, &decoded, limits);
    Some((scanned, ingest.add_inflated(path, held, &decoded)))
}

/// The most a held entry may inflate to on the shared path (the ingest's ratio floor: past
/// it, its bomb guard decides, on its own read).
fn ingest_cap() -> u64 {
    input::Limits::default().ratio_floor
}
