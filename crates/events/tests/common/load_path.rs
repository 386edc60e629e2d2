//! The per-worker ceiling of loading gzip CloudTrail logs and the real load paths, for the
//! native bench (`benches/load_path.rs`) and the in-browser one (`tests/wasm_bench.rs`), so both
//! hosts time exactly the same work (issue 12, goal 1).
//!
//! - **ceiling**: the least a verifier-and-indexer must do with every byte: inflate the gzip
//!   member once, SHA-256 the output (CloudTrail validation) and run a skipping JSON scan over
//!   it (`serde_json` into `IgnoredAny`: every byte tokenised, nothing built);
//! - **load path**: what the browser's load workers and the CLI's threads do with an entry
//!   they hold, `trailproof_load::scan_and_ingest`: inflate the first member once,
//!   `Ingest::add_inflated_probed` on the result, then `chain::scan_inflated_cut` (the hash,
//!   and the record facts from the ingest's cuts);
//! - **two-read path**: what the browser's engine did per entry before it loaded through
//!   `trailproof_load` (and what `scan_and_ingest` still does with an entry that is not a
//!   single-member gzip CloudTrail log): `trailproof_chain::scan` on the stored bytes, then
//!   `Ingest::add_file` on them (two inflates), timed by part.
//!
//! Both real paths end with `Ingest::finish` (sort and compact the store), since a load does.
#![allow(dead_code)]

use std::io::Write;

use sha2::{Digest, Sha256};
use trailproof_chain::{scan, FileKind, ScanLimits, Scanned};
use trailproof_core::gzip::inflate_first_member;
use trailproof_events::ingest::{Ingest, IngestOptions};
use trailproof_events::store::EventStore;

/// Gzip CloudTrail logs named as CloudTrail delivers them, with their JSON size.
pub struct Corpus {
    pub names: Vec<String>,
    pub gz: Vec<Vec<u8>>,
    pub json_bytes: usize,
    pub events: u64,
}

impl Corpus {
    /// `files` logs of `per_file` events each (`crate::common::cloudtrail_file`), gzip level 6.
    pub fn cloudtrail(files: u64, per_file: u64) -> Corpus {
        let mut c = Corpus {
            names: Vec::new(),
            gz: Vec::new(),
            json_bytes: 0,
            events: files * per_file,
        };
        for f in 0..files {
            let base = 1_714_521_600_000 + f as i64 * 300_000;
            let json = crate::common::cloudtrail_file(1000 + f, per_file, base);
            c.json_bytes += json.len();
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&json).expect("in memory");
            c.gz.push(e.finish().expect("in memory"));
            c.names.push(format!(
                "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/\
                 111122223333_CloudTrail_us-east-1_20240501T{:02}{:02}Z_f{f:06}.json.gz",
                (f / 12) % 24,
                (f % 12) * 5
            ));
        }
        c
    }

    /// Megabytes (10^6) of uncompressed JSON.
    pub fn mb(&self) -> f64 {
        self.json_bytes as f64 / 1e6
    }
}

/// Time of each part of the ceiling, in ms.
#[derive(Default, Clone, Copy)]
pub struct Ceiling {
    pub inflate: f64,
    pub sha256: f64,
    pub scan: f64,
}

impl Ceiling {
    pub fn total(&self) -> f64 {
        self.inflate + self.sha256 + self.scan
    }
}

/// The ceiling, each part timed on its own (by `now`, in ms) over every file.
pub fn ceiling(c: &Corpus, now: &dyn Fn() -> f64) -> Ceiling {
    let mut t = Ceiling::default();
    let mut out = Vec::new();
    let mut check = 0u8;
    for g in &c.gz {
        out.clear();
        let t0 = now();
        inflate_first_member(&mut &g[..], u64::MAX, &mut |chunk| {
            out.extend_from_slice(chunk)
        })
        .expect("generated gzip");
        let t1 = now();
        check ^= Sha256::digest(&out)[0];
        let t2 = now();
        serde_json::from_slice::<serde::de::IgnoredAny>(&out).expect("generated JSON");
        let t3 = now();
        t.inflate += t1 - t0;
        t.sha256 += t2 - t1;
        t.scan += t3 - t2;
    }
    std::hint::black_box(check);
    t
}

/// Where the two-read path's time went, in ms.
#[derive(Clone, Copy)]
pub struct Split {
    pub scan: f64,
    pub ingest: f64,
    pub finish: f64,
}

/// The two-read path: scan, then ingest, each reading the stored bytes; timed by part.
pub fn two_read_path(c: &Corpus, now: &dyn Fn() -> f64) -> ((Vec<Scanned>, EventStore), Split) {
    let limits = ScanLimits::default();
    let mut ingest = Ingest::new(IngestOptions::default());
    let mut scanned = Vec::with_capacity(c.gz.len());
    let mut split = Split {
        scan: 0.0,
        ingest: 0.0,
        finish: 0.0,
    };
    for (name, g) in c.names.iter().zip(&c.gz) {
        let t0 = now();
        scanned.push(scan(name, &mut &g[..], &limits));
        let t1 = now();
        ingest.add_file(name, &mut &g[..]);
        split.scan += t1 - t0;
        split.ingest += now() - t1;
    }
    let t0 = now();
    let store = ingest.finish();
    split.finish = now() - t0;
    ((scanned, store), split)
}

/// The load path of a held entry, as the hosts run it: `trailproof_load::scan_and_ingest`
/// (one inflate, the ingest's cut of the log feeding the scan's record facts).
pub fn load_path(c: &Corpus) -> (Vec<Scanned>, EventStore) {
    let limits = ScanLimits::default();
    let mut ingest = Ingest::new(IngestOptions::default());
    let scanned = c
        .names
        .iter()
        .zip(&c.gz)
        .map(|(name, g)| trailproof_load::scan_and_ingest(name, g, &limits, &mut ingest).0)
        .collect();
    (scanned, ingest.finish())
}

/// Checks a path's result: every file a log with a hash, every event loaded.
pub fn check(c: &Corpus, (scanned, store): &(Vec<Scanned>, EventStore)) {
    assert_eq!(store.len() as u64, c.events);
    assert!(scanned
        .iter()
        .all(|s| s.kind() == FileKind::AwsLog && s.error().is_none()));
}

/// Runs the ceiling and both real paths `rounds` times, interleaved, timed by `now` (ms), and
/// returns the report lines: best time of each, MB/s of JSON, and each path's ratio to the
/// ceiling's speed (goal ≥ 0.7 for the load path in wasm).
pub fn run(c: &Corpus, now: &dyn Fn() -> f64, rounds: usize) -> Vec<String> {
    let mut best = Ceiling {
        inflate: f64::MAX,
        sha256: f64::MAX,
        scan: f64::MAX,
    };
    let (mut two_reads, mut load) = (f64::MAX, f64::MAX);
    let mut split = Split {
        scan: f64::MAX,
        ingest: f64::MAX,
        finish: f64::MAX,
    };
    for _ in 0..rounds {
        let t = ceiling(c, now);
        best.inflate = best.inflate.min(t.inflate);
        best.sha256 = best.sha256.min(t.sha256);
        best.scan = best.scan.min(t.scan);
        let t0 = now();
        let (out, s) = two_read_path(c, now);
        two_reads = two_reads.min(now() - t0);
        split.scan = split.scan.min(s.scan);
        split.ingest = split.ingest.min(s.ingest);
        split.finish = split.finish.min(s.finish);
        check(c, &out);
        drop(out);
        let t0 = now();
        let out = load_path(c);
        load = load.min(now() - t0);
        check(c, &out);
    }
    let mb = c.mb();
    let speed = |ms: f64| mb / ms * 1e3;
    let ceil = best.total();
    vec![
        format!(
            "corpus: {} gzip CloudTrail logs, {} events, {:.1} MB JSON, {:.1} MB gzip",
            c.gz.len(),
            c.events,
            mb,
            c.gz.iter().map(Vec::len).sum::<usize>() as f64 / 1e6
        ),
        format!(
            "ceiling parts: inflate {:.0} MB/s, SHA-256 {:.0} MB/s, skipping JSON scan {:.0} MB/s",
            speed(best.inflate),
            speed(best.sha256),
            speed(best.scan)
        ),
        format!(
            "ceiling (inflate + SHA-256 + scan): {:.0} ms, {:.1} MB/s",
            ceil,
            speed(ceil)
        ),
        format!(
            "two-read path (chain::scan + Ingest::add_file, finish): {:.0} ms, {:.1} MB/s, {:.0} events/s, ratio to ceiling {:.2}",
            two_reads,
            speed(two_reads),
            c.events as f64 / two_reads * 1e3,
            ceil / two_reads
        ),
        format!(
            "  of which chain::scan {:.0} ms ({:.0} MB/s), Ingest::add_file {:.0} ms ({:.0} MB/s), finish {:.0} ms",
            split.scan,
            speed(split.scan),
            split.ingest,
            speed(split.ingest),
            split.finish
        ),
        format!(
            "load path (one inflate, add_inflated_probed + scan_inflated_cut, finish; browser load workers and CLI): {:.0} ms, {:.1} MB/s, {:.0} events/s, ratio to ceiling {:.2}",
            load,
            speed(load),
            c.events as f64 / load * 1e3,
            ceil / load
        ),
    ]
}
