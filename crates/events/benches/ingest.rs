//! Ingest throughput against the raw baseline, bytes per event, and query/facet latency.
//!
//! `cargo bench -p trailproof-events --bench ingest` (optionally `-- <events> <store rows>`).
//! The baseline is what any JSON reader must do at least: inflate the same gzip bytes and
//! `serde_json::from_slice::<serde_json::Value>` them. Results go to docs/performance.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use trailproof_events::ingest::{Ingest, IngestOptions};
use trailproof_events::store::{Field, StoreBuilder};

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

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n_events = args.first().copied().unwrap_or(200_000) as u64;
    let store_rows = args.get(1).copied().unwrap_or(2_000_000);

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

    // 4. Query and facet latency on a larger store, rows replicated from the ingested ones
    //    with fresh times and IDs (same cardinalities).
    let mut b = StoreBuilder::new();
    b.add_file("synthetic");
    let base: Vec<_> = (0..store.len()).map(|r| store.event(r)).collect();
    for i in 0..store_rows {
        let mut e = base[i % base.len()].clone();
        e.time_ms = 1_714_521_600_000 + i as i64 * 20;
        e.event_id = format!("{:032x}", i as u128 * 0x9e37_79b9_7f4a_7c15);
        b.push(&e);
    }
    let big = b.finish(false);
    println!(
        "large store: {} rows, {:.1} bytes/event",
        big.len(),
        big.bytes_per_event()
    );
    let queries = [
        "actor:user-7",
        "action:Delete* -rw:read",
        "error:* region:eu-*",
        "ip:203.0.0.0/16 time>=2024-05-01T06:00:00Z time<2024-05-01T09:00:00Z",
        "(service:s3.amazonaws.com OR service:iam.amazonaws.com) outcome:error",
        "denied",
        "bucket-17",
    ];
    for q in queries {
        let mut times = Vec::new();
        let mut count = 0;
        for _ in 0..20 {
            let t = Instant::now();
            count = big.query(q).unwrap().count();
            times.push(t.elapsed());
        }
        let p50 = percentile(&mut times, 0.5);
        let p95 = percentile(&mut times, 0.95);
        println!(
            "query {q:?}: {count} rows, p50 {:.1} ms, p95 {:.1} ms",
            p50.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3
        );
    }
    let sel = big.query("rw:write").unwrap();
    for f in [
        Field::Actor,
        Field::Action,
        Field::Service,
        Field::Region,
        Field::SourceIp,
        Field::Outcome,
        Field::ReadWrite,
    ] {
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            std::hint::black_box(big.facet(f, &sel, 10));
            times.push(t.elapsed());
        }
        println!(
            "facet {:?} over {} rows: p50 {:.1} ms, p95 {:.1} ms",
            f,
            sel.count(),
            percentile(&mut times, 0.5).as_secs_f64() * 1e3,
            percentile(&mut times, 0.95).as_secs_f64() * 1e3
        );
    }
}
