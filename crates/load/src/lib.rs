//! One read of an input entry for both digest-chain verification and event ingest, shared by
//! the hosts that load inputs in runs (the CLI's threads, the browser's load workers): each
//! held entry is scanned ([`trailproof_chain::scan`]) and ingested ([`Ingest::add_file`])
//! from the same bytes, and a gzip CloudTrail log is inflated and cut into records once for
//! both ([`Ingest::add_inflated_probed`], whose cuts give [`trailproof_chain::scan_inflated_cut`]
//! the log's record facts).
//!
//! No I/O: hosts read the entry (and decide how much to hold) and hand over its bytes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::cell::RefCell;
use std::ops::Range;

use trailproof_chain::{
    is_plain_log, kind_by_name, scan, scan_inflated, scan_inflated_cut, scan_inflated_unhashed,
    scan_plain_unhashed, FileKind, RecordCuts, ScanLimits, Scanned, Unhashed,
};
use trailproof_core::gzip::{self, FirstMember};
use trailproof_core::input;
use trailproof_events::ingest::{Cut, FileSummary, Ingest};

/// Scans `held` (the whole stored entry at `path`) and loads its events into `ingest`: the
/// results are those of `scan(path, held)` and `ingest.add_file(path, held)`, with a
/// single-member gzip CloudTrail log inflated only once where the ingest can take its
/// decoded bytes, and a CloudTrail log stored uncompressed tokenised once for both.
pub fn scan_and_ingest(
    path: &str,
    held: &[u8],
    limits: &ScanLimits,
    ingest: &mut Ingest,
) -> (Scanned, FileSummary) {
    let scan_log = |log: Log<'_, '_>| match log {
        Log::Inflated {
            decoded,
            first,
            cuts: Some(cuts),
        } => scan_inflated_cut(path, held, first, decoded, limits, cuts),
        Log::Inflated {
            decoded,
            first,
            cuts: None,
        } => scan_inflated(path, held, first, decoded, limits),
        Log::Plain { cuts } => match scan_plain_unhashed(path, held, limits, cuts) {
            Ok(scan) => scan.hash_here(held),
            Err(done) => done,
        },
    };
    load(path, held, limits, ingest, scan_log, |s| s)
}

/// A held CloudTrail log as the ingest read it, once for both: a gzip log's first member
/// decoded (with the record cuts where the ingest read those bytes themselves), or a log
/// stored uncompressed, the held bytes themselves (with the ingest's cuts of them).
enum Log<'d, 'c> {
    Inflated {
        decoded: &'d [u8],
        first: &'d FirstMember,
        cuts: Option<RecordCuts<'c>>,
    },
    Plain {
        cuts: RecordCuts<'c>,
    },
}

/// Hashes the decoded bytes of a held gzip CloudTrail log (SHA-256, for its digest chain) for
/// [`scan_and_ingest_hashing`], in its host's own way: a browser hands them to its native
/// SHA-256, which the log's scan would otherwise compute in wasm.
pub trait LogHasher {
    /// Starts hashing `decoded` (the log's first gzip member, inflated) and names the hash
    /// to come, or declines (`None`) and leaves the hash to the scan. The host gives each
    /// named hash back to the log's [`Scan::Unhashed`], matched by its ticket.
    fn take(&mut self, decoded: &[u8]) -> Option<u64>;
}

/// A scan, complete or waiting for its host's hash of the decoded log.
#[derive(Debug)]
pub enum Scan {
    /// Complete.
    Done(Scanned),
    /// Complete once given the SHA-256 the host's [`LogHasher`] promised for `ticket`.
    Unhashed {
        /// The scan but for the hash.
        scan: Unhashed,
        /// What [`LogHasher::take`] named the hash.
        ticket: u64,
    },
}

impl Scan {
    /// What the file was recognised as.
    pub fn kind(&self) -> FileKind {
        match self {
            Scan::Done(scanned) => scanned.kind(),
            Scan::Unhashed { .. } => FileKind::AwsLog,
        }
    }
}

/// [`scan_and_ingest`] with the decoded bytes of a held gzip CloudTrail log offered to
/// `hasher`: a log it takes comes back [`Scan::Unhashed`], every other entry (and every log it
/// declines) scanned in full. The scan once hashed equals [`scan_and_ingest`]'s.
pub fn scan_and_ingest_hashing(
    path: &str,
    held: &[u8],
    limits: &ScanLimits,
    ingest: &mut Ingest,
    hasher: &mut dyn LogHasher,
) -> (Scan, FileSummary) {
    let scan_log = |log: Log<'_, '_>| {
        let (scanned, hashed) = match log {
            Log::Inflated {
                decoded,
                first,
                cuts,
            } => (
                scan_inflated_unhashed(path, held, first, decoded, limits, cuts),
                decoded,
            ),
            Log::Plain { cuts } => (scan_plain_unhashed(path, held, limits, cuts), held),
        };
        match scanned {
            Err(done) => Scan::Done(done),
            Ok(scan) => match hasher.take(hashed) {
                Some(ticket) => Scan::Unhashed { scan, ticket },
                None => Scan::Done(scan.hash_here(hashed)),
            },
        }
    };
    load(path, held, limits, ingest, scan_log, Scan::Done)
}

/// The steps both kinds of scan share: a held single-member gzip CloudTrail log inflated once
/// and a log stored uncompressed, each read once by the ingest and scanned by `scan_log`
/// (given the ingest's record cuts of it), anything else scanned in full (`done`).
fn load<T>(
    path: &str,
    held: &[u8],
    limits: &ScanLimits,
    ingest: &mut Ingest,
    scan_log: impl FnOnce(Log<'_, '_>) -> T,
    done: impl FnOnce(Scanned) -> T,
) -> (T, FileSummary) {
    if is_plain_log(path, held) {
        // The ingest reads the stored bytes as `add_file` does, its cuts probed; the scan
        // takes the record facts from them where they cover the log (and reads it otherwise).
        let mut cuts = RecordCuts::new(held);
        let summary =
            ingest.add_file_probed(path, &mut &held[..], &mut |cut| probe(&mut cuts, cut));
        return (scan_log(Log::Plain { cuts }), summary);
    }
    if let Some(loaded) = inflated_once(path, held, limits, ingest, scan_log) {
        return loaded;
    }
    let scanned = scan(path, &mut &held[..], limits);
    (done(scanned), ingest.add_file(path, &mut &held[..]))
}

/// Notes a cut of the ingest's in the log's record cuts.
fn probe(cuts: &mut RecordCuts<'_>, cut: Cut<'_>) {
    match cut {
        Cut::Record {
            offset,
            bytes,
            members,
        } => cuts.record(offset, bytes.len(), members.map(|m| m.iter())),
        Cut::Problem => cuts.problem(),
    }
}

/// A single-member gzip CloudTrail log that inflates within the ingest's ratio floor,
/// inflated once for the scan (which hashes the first member) and the ingest (which reads
/// every member: here the same bytes; [`Ingest::add_inflated_probed`] itself decides whether
/// it can take them, and reads the stored bytes again where it cannot, when the scan reads
/// the log for its record facts itself); `None` when the entry is anything else or does not
/// inflate cleanly, for the usual paths to judge.
fn inflated_once<T>(
    path: &str,
    held: &[u8],
    limits: &ScanLimits,
    ingest: &mut Ingest,
    scan_log: impl FnOnce(Log<'_, '_>) -> T,
) -> Option<(T, FileSummary)> {
    if !held.starts_with(&gzip::MAGIC) || kind_by_name(path) != Some(FileKind::AwsLog) {
        return None;
    }
    let cap = limits.max_inflated.min(ingest_cap());
    let mut decoded = DECODED.with(|d| std::mem::take(&mut *d.borrow_mut()));
    decoded.clear();
    let want = decoded_size_hint(held).min(cap as usize);
    if decoded.capacity() < want {
        // The kept buffer is freed before its successor is made, with an eighth to spare, so
        // that the next logs, a little bigger or smaller, fit it.
        decoded = Vec::new();
        decoded.reserve_exact(want.saturating_add(want / 8).min(cap as usize));
    }
    let done =
        gzip::inflate_first_member(&mut &held[..], cap, &mut |c| decoded.extend_from_slice(c))
            .ok()
            .filter(|first| first.trailing_at.is_none())
            .map(|first| {
                // The ingest cuts the log into records first; the scan takes the record facts
                // from those cuts where they cover the log in its delivered form (and reads
                // the log for them otherwise), so the log is tokenised once, not twice.
                let mut cuts = RecordCuts::new(&decoded);
                let (summary, read_here) =
                    ingest.add_inflated_probed(path, held, &decoded, &mut |cut| {
                        probe(&mut cuts, cut)
                    });
                let scanned = scan_log(Log::Inflated {
                    decoded: &decoded,
                    first: &first,
                    cuts: read_here.then_some(cuts),
                });
                (scanned, summary)
            });
    if decoded.capacity() <= KEEP_DECODED {
        DECODED.with(|d| *d.borrow_mut() = decoded);
    }
    done
}

/// What one zip entry costs to load beside its stored bytes (its local header, its line, its
/// scan's and ingest's fixed steps), counted as this many bytes when [`cut_zip`] balances
/// ranges: a range of many small entries takes longer than its bytes say.
const ENTRY_COST: u64 = 16 << 10;

/// Cuts a zip's entries into at most `pieces` ranges of consecutive entries, for hosts that
/// load one zip on several threads or workers ([`input::walk_zip_entries`]), balanced by the
/// entries' stored sizes (`sizes`, as [`input::zip_entry_sizes`] lists them, each counted
/// with [`ENTRY_COST`]). Each range comes with the bytes of the zip (`total` in all) that it
/// accounts for in progress: its entries' stored sizes, the last range the rest, so that the
/// shares add up to `total` whatever the directory claims. The ranges cover `0..n` in
/// order, none empty, and the last runs to `usize::MAX`: entries past the walk's cap
/// (`limits.max_entries`) are not cut between ranges but left to the last, to be judged as one
/// walk judges them.
pub fn cut_zip(
    sizes: &[u64],
    total: u64,
    pieces: usize,
    limits: &input::Limits,
) -> Vec<(Range<usize>, u64)> {
    let cap = usize::try_from(limits.max_entries).unwrap_or(usize::MAX);
    let sizes = &sizes[..sizes.len().min(cap)];
    let pieces = pieces.clamp(1, sizes.len().max(1));
    let weight = |s: u64| s.saturating_add(ENTRY_COST);
    let all = sizes.iter().fold(0u128, |a, &s| a + u128::from(weight(s)));
    let mut ranges = Vec::with_capacity(pieces);
    let (mut start, mut before, mut share, mut given) = (0usize, 0u128, 0u64, 0u64);
    for (i, &size) in sizes.iter().enumerate() {
        // Entry `i` starts a new range when the weight before it reaches the next step.
        let step = all * (ranges.len() as u128 + 1) / pieces as u128;
        if i > start && before >= step && ranges.len() + 1 < pieces {
            let bytes = share.min(total - given);
            ranges.push((start..i, bytes));
            (start, share, given) = (i, 0, given + bytes);
        }
        before += u128::from(weight(size));
        share = share.saturating_add(size);
    }
    ranges.push((start..usize::MAX, total - given));
    ranges
}

thread_local! {
    /// The inflated bytes of the previous log, kept for the next one: a fresh buffer per log
    /// cost page faults and the copies of its regrowth (`trailproof verify` on 20 logs of
    /// 25,000 events: system time 0.38 -> 0.19 s of 4.1 s CPU), and in a browser worker it
    /// is memory the allocator must find again for every log.
    static DECODED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Bytes to reserve for inflating the single-member gzip `held`: the size its trailer states
/// (`ISIZE`, the decoded size modulo 2³²), trusted up to 32 times the stored size, else eight
/// times that (gzip'd CloudTrail JSON inflates about five- to fifteenfold). Reserved exactly,
/// the buffer is not grown by doubling: a log a little over the old eightfold guess was
/// reallocated to twice it, both held at once (33 + 66 MiB for a 24 MiB log; with the entry
/// buffer of [`entry_buffer`], a browser load worker's peak at 5 M events went from 195 to
/// 63 MiB). A hostile trailer costs at most the 32-fold reservation, which a log that
/// inflates so far needs anyway.
fn decoded_size_hint(held: &[u8]) -> usize {
    let guess = held.len().saturating_mul(8);
    let Some(&trailer) = held.last_chunk::<4>() else {
        return guess;
    };
    let stated = u32::from_le_bytes(trailer) as usize;
    if (held.len()..=held.len().saturating_mul(32)).contains(&stated) {
        stated
    } else {
        guess
    }
}

/// A buffer to read an entry into when it is held whole up to `hold` bytes: reserved at the
/// size its container states (`stated`), up to what is held, so that a false size costs at
/// most that; read into a growing buffer instead, a 4.3 MB log took 8 MiB.
pub fn entry_buffer(stated: Option<u64>, hold: u64) -> Vec<u8> {
    let bytes = stated.map_or(0, |s| s.min(hold.saturating_add(1)));
    Vec::with_capacity(usize::try_from(bytes).unwrap_or(0))
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

    /// The decoded size a gzip trailer states is reserved when it is believable, the
    /// eightfold guess otherwise (a false trailer never reserves more than 32 times the file).
    #[test]
    fn the_trailers_size_is_reserved_when_believable() {
        let gz = |json: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(json).unwrap();
            e.finish().unwrap()
        };
        let json =
            br#"{"Records":[{"eventTime":"2024-05-01T00:00:00Z","eventName":"x"}]}"#.repeat(50);
        let real = gz(&json);
        assert_eq!(decoded_size_hint(&real), json.len());
        let with_size = |size: u32| {
            let mut g = real.clone();
            let at = g.len() - 4;
            g[at..].copy_from_slice(&size.to_le_bytes());
            g
        };
        let n = real.len();
        for (stated, want) in [
            (0, 8 * n),
            (n - 1, 8 * n),
            (n, n),
            (32 * n, 32 * n),
            (32 * n + 1, 8 * n),
            (u32::MAX as usize, 8 * n),
        ] {
            assert_eq!(
                decoded_size_hint(&with_size(stated as u32)),
                want,
                "{stated}"
            );
        }
        assert_eq!(decoded_size_hint(&[0x1f, 0x8b, 8]), 24);
        assert_eq!(decoded_size_hint(&[]), 0);
    }

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
        gzip(format!(r#"{{"Records":[{}]}}"#, records.join(",")).as_bytes())
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

    /// A host that hashes the logs it takes later, as a browser does (here with `sha2`),
    /// declining every `decline`-th offer (none: 0).
    struct Later {
        taken: Vec<(u64, Vec<u8>)>,
        offers: u64,
        decline: u64,
    }

    impl Later {
        fn declining_every(decline: u64) -> Later {
            Later {
                taken: Vec::new(),
                offers: 0,
                decline,
            }
        }

        /// The hash the host computes for `ticket`, of the bytes it was given.
        fn hash(&self, ticket: u64) -> [u8; 32] {
            let (_, bytes) = self.taken.iter().find(|(t, _)| *t == ticket).unwrap();
            let mut h = trailproof_core::hash::FileHasher::new();
            h.update(bytes);
            h.finish().sha256
        }

        fn complete(&self, scan: Scan) -> Scanned {
            match scan {
                Scan::Done(s) => s,
                Scan::Unhashed { scan, ticket } => scan.hashed(&self.hash(ticket)),
            }
        }
    }

    impl LogHasher for Later {
        fn take(&mut self, decoded: &[u8]) -> Option<u64> {
            self.offers += 1;
            if self.decline > 0 && self.offers % self.decline == 0 {
                return None;
            }
            // Tickets are the host's names, not positions.
            let ticket = 7_000 + 3 * self.offers;
            self.taken.push((ticket, decoded.to_vec()));
            Some(ticket)
        }
    }

    /// A log hashed by its host, gzip or stored uncompressed, gives the scan
    /// [`scan_and_ingest`] gives, the same events and summary; one the host declines is
    /// hashed here; the hash given is the one the scan
    /// keeps (a wrong one makes another scan); entries that are not gzip CloudTrail logs are
    /// never offered.
    #[test]
    fn a_log_hashed_by_its_host_scans_as_one_hashed_here() {
        let path = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_abc.json.gz";
        let limits = ScanLimits::default();
        let plain = path.strip_suffix(".gz").unwrap();
        let logs = [
            (path, log(1)),
            (path, log(10)),
            (path, log(3_000)),
            (path, gzip(br#"{"Records":[]}"#)),
            (plain, inflated(&log(20))),
            (plain, br#"{"Records":[]}"#.to_vec()),
        ];
        for decline in [0, 2] {
            let mut later = Later::declining_every(decline);
            let mut scans = Vec::new();
            let (mut hosted, mut here) = (
                Ingest::new(IngestOptions::default()),
                Ingest::new(IngestOptions::default()),
            );
            for (path, held) in &logs {
                let (scan, summary) =
                    scan_and_ingest_hashing(path, held, &limits, &mut hosted, &mut later);
                let (want, want_summary) = scan_and_ingest(path, held, &limits, &mut here);
                assert_eq!(summary, want_summary);
                scans.push((scan, serde_json::to_string(&want).unwrap()));
            }
            assert_eq!(later.offers, logs.len() as u64);
            let unhashed = scans
                .iter()
                .filter(|(s, _)| matches!(s, Scan::Unhashed { .. }))
                .count();
            assert_eq!(unhashed, if decline == 0 { 6 } else { 3 });
            for (scan, want) in scans {
                assert_eq!(serde_json::to_string(&later.complete(scan)).unwrap(), want);
            }
            assert_eq!(rows(hosted), rows(here));
        }
        // The hash given is the one kept.
        let held = log(10);
        let mut later = Later::declining_every(0);
        let mut ingest = Ingest::new(IngestOptions::default());
        let (scan, _) = scan_and_ingest_hashing(path, &held, &limits, &mut ingest, &mut later);
        let Scan::Unhashed { scan, .. } = scan else {
            panic!("a gzip CloudTrail log is offered to the host")
        };
        let wrong = serde_json::to_string(&scan.hashed(&[7; 32])).unwrap();
        let right = serde_json::to_string(&scan_and_ingest(path, &held, &limits, &mut ingest).0);
        assert_ne!(wrong, right.unwrap());
        assert!(wrong.contains(&"07".repeat(32)), "{wrong}");
        // Not offered: another file kind, uncompressed bytes named `.gz` (unreadable as a log),
        // a log with a second member.
        let mut two = log(2);
        two.extend(log(3));
        for (path, held) in [
            ("keys/key.pem", log(2)),
            (path, b"{\"Records\":[]}".to_vec()),
            (path, two),
        ] {
            let mut later = Later::declining_every(0);
            let mut ingest = Ingest::new(IngestOptions::default());
            let (scan, _) = scan_and_ingest_hashing(path, &held, &limits, &mut ingest, &mut later);
            assert!(matches!(scan, Scan::Done(_)), "{path}");
            assert_eq!(later.offers, 0, "{path}");
        }
    }

    fn inflated(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut out).unwrap();
        out
    }

    fn gzip(json: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(json).unwrap();
        gz.finish().unwrap()
    }

    /// The scan of a log whose record facts come from the ingest's cut of it equals the scan
    /// that reads the log for them: on the delivered form, on shapes the cut must leave to
    /// the log's own reading (whitespace, other top-level members, escaped names, a second
    /// value, truncation), on values the byte path keeps or not (escaped, numbers, literals,
    /// objects, over-long, duplicated), and on every byte of a small log replaced by each
    /// structural character or cut off there.
    #[test]
    fn record_facts_from_the_cut_equal_the_logs_own_reading() {
        let path = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_abc.json.gz";
        let limits = ScanLimits::default();
        let rec = |time: &str, account: &str, region: &str, extra: &str| {
            format!(
                r#"{{"eventVersion":"1.08","eventTime":{time},"recipientAccountId":{account},"awsRegion":{region},"eventID":"id","eventName":"x","requestParameters":{{"eventTime":"1999-01-01T00:00:00Z","awsRegion":"nested"}}{extra}}}"#
            )
        };
        let a = rec(
            r#""2024-05-01T00:00:01Z""#,
            r#""111122223333""#,
            r#""us-east-1""#,
            "",
        );
        let b = rec(
            r#""2024-05-01T00:09:00Z""#,
            r#""444455556666""#,
            r#""eu-west-1""#,
            r#","eventType":"AwsCloudTrailInsight""#,
        );
        let long = format!(r#""{}""#, "x".repeat(300));
        let variants: Vec<String> = vec![
            format!(r#"{{"Records":[{a},{b}]}}"#),
            r#"{"Records":[]}"#.into(),
            format!(r#"{{"Records":[{b}]}}"#),
            format!(r#"{{"Records": [{a}, {b}]}}"#),
            format!("{{\"Records\":[{a},{b}]}}\n"),
            format!(r#"{{"Records":[{a},{b}],"Other":[{a}]}}"#),
            format!(r#"{{"Other":[{a}],"Records":[{a},{b}]}}"#),
            format!(r#"{{"Records":[{a},{b}]}}{{"Records":[{a}]}}"#),
            format!(r#"{{"Records":[{a},1,{b}]}}"#),
            format!(r#"{{"Records":[{a},{b},]}}"#),
            format!(r#"{{"Records":[{a},{b}"#),
            format!("\u{feff}{{\"Records\":[{a}]}}"),
            format!(
                r#"{{"Records":[{}]}}"#,
                a.replace("\"awsRegion\"", "\"aws\\u0052egion\"")
            ),
            format!(
                r#"{{"Records":[{}]}}"#,
                a.replace(r#""us-east-1""#, r#""us-\u0065ast-1""#)
            ),
            format!(
                r#"{{"Records":[{}]}}"#,
                rec("null", "111122223333", "true", "")
            ),
            format!(
                r#"{{"Records":[{}]}}"#,
                rec(
                    r#""2024-05-01T00:00:01Z""#,
                    "-1.5e+3",
                    r#"{"value":"r"}"#,
                    ""
                )
            ),
            format!(
                r#"{{"Records":[{}]}}"#,
                rec(r#""2024-05-01T00:00:01Z""#, &long, r#"["r"]"#, "")
            ),
            format!(
                r#"{{"Records":[{}]}}"#,
                rec(
                    r#""2024-05-01T00:00:01Z""#,
                    r#""1""#,
                    r#""r""#,
                    r#","awsRegion":"dup""#
                )
            ),
            format!(
                r#"{{"Records":[{}]}}"#,
                a.replace(",\"eventName\"", ", \"eventName\"")
            ),
            format!(
                r#"{{"Records":[{}]}}"#,
                a.replace("\"eventID\"", "\"eventI\\u0044\"")
            ),
            format!(
                r#"{{"Records":[{}]}}"#,
                (0..70)
                    .map(|i| rec(
                        r#""2024-05-01T00:00:01Z""#,
                        &format!(r#""{i}""#),
                        r#""r""#,
                        ""
                    ))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ];
        // The log gzip'd as delivered, and stored uncompressed (named `.json`).
        let plain_path = path.strip_suffix(".gz").unwrap();
        let check = |json: &[u8], what: &str| {
            for (path, held) in [(path, gzip(json)), (plain_path, json.to_vec())] {
                let mut ingest = Ingest::new(IngestOptions::default());
                let (scanned, summary) = scan_and_ingest(path, &held, &limits, &mut ingest);
                let want = serde_json::to_string(&scan(path, &mut &held[..], &limits)).unwrap();
                let what = format!("{what}, {path}: {}", String::from_utf8_lossy(json));
                assert_eq!(serde_json::to_string(&scanned).unwrap(), want, "{what}");
                let mut alone = Ingest::new(IngestOptions::default());
                assert_eq!(summary, alone.add_file(path, &mut &held[..]), "{what}");
                assert_eq!(rows(ingest), rows(alone), "{what}");
                // And hashed by a host.
                let mut later = Later::declining_every(0);
                let mut ingest = Ingest::new(IngestOptions::default());
                let (scan, _) =
                    scan_and_ingest_hashing(path, &held, &limits, &mut ingest, &mut later);
                let scanned = later.complete(scan);
                assert_eq!(serde_json::to_string(&scanned).unwrap(), want, "{what}");
            }
        };
        for (i, v) in variants.iter().enumerate() {
            check(v.as_bytes(), &format!("variant {i}"));
        }
        let small = format!(
            r#"{{"Records":[{},{}]}}"#,
            r#"{"eventTime":"2024-05-01T00:00:01Z","recipientAccountId":"1","awsRegion":"r","x":{"a":[1,"]"]},"eventType":"t"}"#,
            r#"{"awsRegion":"s","eventTime":"2024-05-01T00:00:02Z","recipientAccountId":"2","n":-1}"#
        );
        let bytes = small.as_bytes();
        for at in 0..bytes.len() {
            check(&bytes[..at], &format!("cut at {at}"));
            for with in [b'{', b'}', b'[', b']', b'"', b'\\', b':', b',', b' '] {
                let mut v = bytes.to_vec();
                v[at] = with;
                check(&v, &format!("byte {at} as {}", with as char));
            }
        }
    }

    #[test]
    fn a_zip_is_cut_into_balanced_ranges_that_cover_it_and_share_its_bytes() {
        type Case<'a> = (&'a [u64], u64, usize);
        let many = vec![1_000u64; 6_048];
        let uneven: Vec<u64> = (0..100)
            .map(|i| if i % 10 == 0 { 1 << 20 } else { 10 })
            .collect();
        let cases: &[Case] = &[
            (&[], 0, 4),
            (&[], 22, 4),
            (&[5], 100, 8),
            (&[5, 5], 100, 8),
            (&many, 7_000_000, 8),
            (&uneven, 11 << 20, 4),
            // A directory that claims more than the file holds.
            (&[u64::MAX, u64::MAX, 3], 1_000, 3),
            (&[0, 0, 0, 0, 0, 0], 1_000, 0),
        ];
        for &(sizes, total, pieces) in cases {
            let cut = cut_zip(sizes, total, pieces, &input::Limits::default());
            let what = format!("{} entries, {pieces} pieces", sizes.len());
            assert!(
                !cut.is_empty() && cut.len() <= pieces.max(1),
                "{what}: {cut:?}"
            );
            assert_eq!(cut[0].0.start, 0, "{what}");
            assert_eq!(cut.last().unwrap().0.end, usize::MAX, "{what}");
            for pair in cut.windows(2) {
                assert_eq!(pair[0].0.end, pair[1].0.start, "{what}: {cut:?}");
                assert!(!pair[0].0.is_empty(), "{what}: {cut:?}");
            }
            assert_eq!(cut.iter().map(|r| r.1).sum::<u64>(), total, "{what}");
        }
        // As many ranges as asked where there are entries enough, of equal entries evenly.
        let cut = cut_zip(&many, 7_000_000, 8, &input::Limits::default());
        assert_eq!(cut.len(), 8);
        assert!(cut[..7].iter().all(|(r, _)| r.len() == 756), "{cut:?}");
        // By bytes, not by count: each range of the uneven zip holds two or three of its ten
        // big entries.
        let cut = cut_zip(&uneven, 11 << 20, 4, &input::Limits::default());
        assert_eq!(cut.len(), 4);
        let big = |r: &Range<usize>| (r.start..r.end.min(100)).filter(|i| i % 10 == 0).count();
        assert!(
            cut.iter().all(|(r, _)| (2..=3).contains(&big(r))),
            "{cut:?}"
        );
        // Past the walk's cap, entries are left to the last range.
        let capped = input::Limits {
            max_entries: 3,
            ..input::Limits::default()
        };
        let cut = cut_zip(&many, 7_000_000, 8, &capped);
        assert_eq!(
            cut.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            [0..1, 1..2, 2..usize::MAX]
        );
    }
}
