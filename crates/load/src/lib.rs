//! One read of an input entry for both digest-chain verification and event ingest, shared by
//! the hosts that load inputs in runs (the CLI's threads, the browser's load workers): each
//! held entry is scanned ([`trailproof_chain::scan`]) and ingested ([`Ingest::add_file`])
//! from the same bytes, and a gzip CloudTrail log is inflated once for both
//! ([`trailproof_chain::scan_inflated`], [`Ingest::add_inflated`]).
//!
//! No I/O: hosts read the entry (and decide how much to hold) and hand over its bytes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::cell::RefCell;

use trailproof_chain::{kind_by_name, scan, scan_inflated, FileKind, ScanLimits, Scanned};
use trailproof_core::{gzip, input};
use trailproof_events::ingest::{FileSummary, Ingest};

/// Scans `held` (the whole stored entry at `path`) and loads its events into `ingest`: the
/// results are those of `scan(path, held)` and `ingest.add_file(path, held)`, with a
/// single-member gzip CloudTrail log inflated only once where the ingest can take its
/// decoded bytes.
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

/// A single-member gzip CloudTrail log that inflates within the ingest's ratio floor,
/// inflated once for the scan (which hashes the first member) and the ingest (which reads
/// every member: here the same bytes; [`Ingest::add_inflated`] itself decides whether it can
/// take them, and reads the stored bytes again where it cannot); `None` when the entry is
/// anything else or does not inflate cleanly, for the usual paths to judge.
fn inflated_once(
    path: &str,
    held: &[u8],
    limits: &ScanLimits,
    ingest: &mut Ingest,
) -> Option<(Scanned, FileSummary)> {
    if !held.starts_with(&gzip::MAGIC) || kind_by_name(path) != Some(FileKind::AwsLog) {
        return None;
    }
    let cap = limits.max_inflated.min(ingest_cap());
    let mut decoded = DECODED.with(|d| std::mem::take(&mut *d.borrow_mut()));
    decoded.clear();
    // Gzip'd CloudTrail JSON inflates about tenfold; the cap bounds what is held.
    decoded.reserve((held.len() * 8).min(cap as usize));
    let done =
        gzip::inflate_first_member(&mut &held[..], cap, &mut |c| decoded.extend_from_slice(c))
            .ok()
            .filter(|first| first.trailing_at.is_none())
            .map(|first| {
                let scanned = scan_inflated(path, held, &first, &decoded, limits);
                (scanned, ingest.add_inflated(path, held, &decoded))
            });
    if decoded.capacity() <= KEEP_DECODED {
        DECODED.with(|d| *d.borrow_mut() = decoded);
    }
    done
}

thread_local! {
    /// The inflated bytes of the previous log, kept for the next one: a fresh buffer per log
    /// cost page faults and the copies of its regrowth (`trailproof verify` on 20 logs of
    /// 25,000 events: system time 0.38 -> 0.19 s of 4.1 s CPU), and in a browser worker it
    /// is memory the allocator must find again for every log.
    static DECODED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The largest inflated log whose buffer is kept for the next one (a bigger one is freed).
const KEEP_DECODED: usize = 64 << 20;

/// The most a held entry may inflate to on the shared path (the ingest's ratio floor: past
/// it, its bomb guard decides, on its own read).
fn ingest_cap() -> u64 {
    input::Limits::default().ratio_floor
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use trailproof_events::ingest::{IngestOptions, INFLATED_MAX};
    use trailproof_events::Field;

    /// A gzip CloudTrail log of `n` distinct records (random-looking IDs keep it from
    /// compressing below the size wanted).
    fn log(n: usize) -> Vec<u8> {
        let records: Vec<String> = (0..n)
            .map(|i| {
                let id = format!("{:032x}", (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835));
                format!(
                    r#"{{"eventVersion":"1.08","eventTime":"2024-05-01T00:{:02}:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.{}.{}","eventID":"{id}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u{}"}}}}"#,
                    i / 60 % 60, i % 60, i % 250, i / 250 % 250, i % 97
                )
            })
            .collect();
        let json = format!(r#"{{"Records":[{}]}}"#, records.join(","));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(json.as_bytes()).unwrap();
        gz.finish().unwrap()
    }

    /// What a store holds, row by row, in a form two stores compare by.
    fn rows(ingest: Ingest) -> Vec<(i64, String, String)> {
        let store = ingest.finish();
        (0..store.len())
            .map(|r| {
                (
                    store.time_ms(r),
                    store.text(r, Field::SourceIp),
                    store.text(r, Field::Actor),
                )
            })
            .collect()
    }

    #[test]
    fn one_inflate_gives_what_scan_and_add_file_give_beyond_the_small_file_size() {
        let path = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_abc.json.gz";
        let limits = ScanLimits::default();
        for n in [10, 3_000] {
            let held = log(n);
            if n > 10 {
                assert!(held.len() > INFLATED_MAX, "{} bytes", held.len());
            }
            // No callback, one that may cancel, one that only watches.
            for progress in [0, 1, 2] {
                let mut shared = Ingest::new(IngestOptions::default());
                let mut alone = Ingest::new(IngestOptions::default());
                if progress == 1 {
                    shared.set_progress(Box::new(|_| true));
                    alone.set_progress(Box::new(|_| true));
                } else if progress == 2 {
                    shared.observe_progress(Box::new(|_| {}));
                    alone.observe_progress(Box::new(|_| {}));
                }
                let (scanned, summary) = scan_and_ingest(path, &held, &limits, &mut shared);
                let want = scan(path, &mut &held[..], &limits);
                assert_eq!(
                    serde_json::to_string(&scanned).unwrap(),
                    serde_json::to_string(&want).unwrap(),
                    "{n} records, progress {progress}"
                );
                assert_eq!(summary, alone.add_file(path, &mut &held[..]));
                assert_eq!(summary.events, n as u64);
                assert_eq!(rows(shared), rows(alone));
            }
        }
    }
}
