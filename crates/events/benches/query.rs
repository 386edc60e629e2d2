//! Query and facet latency on a large store, as the browser's engine worker computes them.
//!
//! `cargo bench -p trailproof-events --bench query` (optionally `-- <store rows> [query]`,
//! default 5,000,000 rows; with a query, only that query is run, 200 times, and with
//! `facets:<query>` the facets over its rows: for a profiler). The store's rows are replicated from an ingested corpus of 100,000 generated
//! CloudTrail events (the corpus of `tests/wasm_bench.rs` and of the e2e query bench) with
//! fresh times and IDs, so cardinalities stay those of the corpus. Results go to
//! docs/performance.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use trailproof_events::ingest::{Ingest, IngestOptions};
use trailproof_events::store::{Field, StoreBuilder};
use trailproof_events::Selection;

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// p50 and p95 of `runs` runs of `f`.
fn time(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut v: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    (percentile(&mut v, 0.5), percentile(&mut v, 0.95))
}

/// The facets of the timeline's reply that are counted by code (`web::engine::FACETS`
/// without `tag`, which counts a handful of labelled rows).
const FACETS: &[Field] = &[
    Field::Integrity,
    Field::Actor,
    Field::Action,
    Field::Service,
    Field::Region,
    Field::SourceIp,
    Field::Outcome,
    Field::ReadWrite,
    Field::Provider,
    Field::Account,
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000usize);
    let only = args.get(1).filter(|a| !a.starts_with('-'));
    let per_file = 5_000u64;
    let mut ing = Ingest::new(IngestOptions::default());
    for f in 0..20u64 {
        let d = common::cloudtrail_file(1000 + f, per_file, 1_714_521_600_000 + f as i64 * 300_000);
        ing.add_file(&format!("f{f}.json"), &mut &d[..]);
    }
    let store = ing.finish();
    let base: Vec<_> = (0..store.len()).map(|r| store.event(r)).collect();
    drop(store);
    let t = Instant::now();
    let mut b = StoreBuilder::new();
    b.add_file("synthetic");
    for i in 0..rows {
        let mut e = base[i % base.len()].clone();
        e.time_ms = 1_714_521_600_000 + i as i64 * 20;
        e.event_id = format!("{:032x}", i as u128 * 0x9e37_79b9_7f4a_7c15);
        b.push(&e);
    }
    let big = b.finish(false);
    println!(
        "store: {} rows (built in {:.1} s), {:.1} bytes/event",
        big.len(),
        t.elapsed().as_secs_f64(),
        big.bytes_per_event()
    );
    if let Some(q) = only {
        if let Some(q) = q.strip_prefix("facets:") {
            let sel = big.query(q).unwrap();
            let (p50, p95) = time(200, || {
                std::hint::black_box(big.facet_counts_many(FACETS, &sel));
            });
            println!("facets {q:?}: p50 {:.2} ms, p95 {:.2} ms", ms(p50), ms(p95));
            return;
        }
        let (p50, p95) = time(200, || {
            std::hint::black_box(big.query(q).unwrap());
        });
        println!("query {q:?}: p50 {:.2} ms, p95 {:.2} ms", ms(p50), ms(p95));
        return;
    }
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
        let count = big.query(q).unwrap().count();
        let (p50, p95) = time(20, || {
            std::hint::black_box(big.query(q).unwrap());
        });
        println!(
            "query {q:?}: {count} rows, p50 {:.2} ms, p95 {:.2} ms",
            ms(p50),
            ms(p95)
        );
    }
    // Facets over selections of several sizes; like the worker, over the complement when the
    // selection holds more than half the rows.
    for q in [
        "actor:user-7",
        "action:Delete* -rw:read",
        "service:s3.amazonaws.com",
        "region:us-east-1",
        "rw:write",
    ] {
        let mut sel = big.query(q).unwrap();
        let selected = sel.count();
        if selected * 2 > big.len() {
            sel.not();
        }
        let (p50, p95) = time(10, || {
            for &f in FACETS {
                std::hint::black_box(big.facet_counts(f, &sel));
            }
        });
        println!(
            "facets {q:?} ({selected} rows, counted over {}): per facet p50 {:.2} ms, p95 {:.2} ms",
            sel.count(),
            ms(p50),
            ms(p95)
        );
        one_pass(&big, &sel, (p50, p95));
    }
    let index = big.memory().index_bytes;
    println!(
        "facet bitsets: {:.1} MB, {:.2} bytes/row",
        index as f64 / 1e6,
        index as f64 / big.len() as f64
    );
}

/// The same facets counted in one pass over `sel`, against the per-facet figures.
fn one_pass(big: &trailproof_events::EventStore, sel: &Selection, per_facet: (Duration, Duration)) {
    let (p50, p95) = time(10, || {
        std::hint::black_box(big.facet_counts_many(FACETS, sel));
    });
    println!(
        "    one pass p50 {:.2} ms, p95 {:.2} ms: {:.2}x faster (p50)",
        ms(p50),
        ms(p95),
        per_facet.0.as_secs_f64() / p50.as_secs_f64()
    );
}
