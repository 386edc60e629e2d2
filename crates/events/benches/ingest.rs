//! Ingest throughput against the raw baseline, and bytes per event (query and facet latency:
//! `benches/query.rs`).
//!
//! `cargo bench -p trailproof-events --bench ingest` (optionally `-- <events>`).
//! The baseline is what any JSON reader must do at least: inflate the same gzip bytes and
//! `serde_json::from_slice::<serde_json::Value>` them. Results go to docs/performance.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use trailproof_events::ingest::{Ingest, IngestOptions};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("at least one run"))
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n_events = args.first().copied().unwrap_or(200_000) as u64;

    // 1. Corpus: delivery-sized CloudTrail files (5,000 events), gzip as delivered.
    let per_file = 5_000u64;
    let files: Vec<Vec<u8>> = (0..n_events / per_file)
        .map(|f| {
            common::cloudtrail_file(1000 + f, per_file, 1_714_521_600_000 + f as i64 * 300_000)
        })
        .collect();
    let raw_bytes: usize = files.iter().map(Vec::len).sum();
    let gz: Vec<Vec<u8>> = files
        .iter()
        .map(|d| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(d).unwrap();
            e.finish().unwrap()
        })
        .collect();
    let gz_bytes: usize = gz.iter().map(Vec::len).sum();
    println!(
        "corpus: {} events, {:.1} MB JSON, {:.1} MB gzip, {} files",
        n_events,
        raw_bytes as f64 / 1e6,
        gz_bytes as f64 / 1e6,
        gz.len()
    );

    // 2. Baseline: inflate + serde_json::Value.
    let (t_base, _) = best_of(3, || {
        let mut n = 0;
        for g in &gz {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&g[..])
                .read_to_end(&mut out)
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            n += v["Records"].as_array().unwrap().len();
        }
        n
    });
    // 3. Ingest (inflate, scan, decode, normalize, intern, then sort/compact).
    let (t_ingest, store) = best_of(3, || {
        let mut ing = Ingest::new(IngestOptions::default());
        for (i, g) in gz.iter().enumerate() {
            let s = ing.add_file(&format!("f{i}.json.gz"), &mut &g[..]);
            assert_eq!(s.events, per_file);
        }
        ing.finish()
    });
    let mb = raw_bytes as f64 / 1e6;
    println!(
        "baseline inflate+serde_json::Value: {:.0} ms, {:.0} MB/s, {:.0} events/s",
        t_base.as_secs_f64() * 1e3,
        mb / t_base.as_secs_f64(),
        n_events as f64 / t_base.as_secs_f64()
    );
    println!(
        "ingest: {:.0} ms, {:.0} MB/s uncompressed, {:.0} events/s, {:.2}x the baseline's speed",
        t_ingest.as_secs_f64() * 1e3,
        mb / t_ingest.as_secs_f64(),
        n_events as f64 / t_ingest.as_secs_f64(),
        t_base.as_secs_f64() / t_ingest.as_secs_f64()
    );
    let m = store.memory();
    println!(
        "store: {} events, {:.1} bytes/event in columns, dictionaries {:.2} MB",
        store.len(),
        store.bytes_per_event(),
        m.dictionary_bytes as f64 / 1e6
    );
}
