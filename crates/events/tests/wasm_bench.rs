//! In-browser benchmark: the load path of gzip CloudTrail logs against its ceiling (inflate +
//! SHA-256 + a skipping JSON scan, `tests/common/load_path.rs`, the same as the native
//! `benches/load_path.rs`), ingest throughput vs inflate + `serde_json::Value`, and query/facet
//! latency on a 5M-row store. It takes minutes, so it only runs when built with
//! `TRAILPROOF_WASM_BENCH` set (otherwise it returns at once), in release mode; with
//! `TRAILPROOF_WASM_BENCH=load` only the load-path figures are taken:
//!
//! ```text
//! TRAILPROOF_WASM_BENCH=1 CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=1200 \
//! WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/target/webdriver.json \
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//! cargo test -p trailproof-events --release --target wasm32-unknown-unknown --test wasm_bench -- --nocapture
//! ```
//!
//! (The test runs synchronously for minutes: without the raised timeout the runner gives up
//! after 20 s; `--nocapture` shows the figures of a passing run.)
//!
//! A second test times the load path as the browser's load workers run it since the hash of a
//! decoded log went to the browser (`crypto.subtle.digest`, `trailproof_web::subtle`): the same
//! `trailproof_load::scan_and_ingest_hashing` with every log's digest started as it is scanned
//! and all awaited at the end, against the same ceiling, and against the ceiling with the same
//! hash by the browser.
#![cfg(target_arch = "wasm32")]

#[path = "common/mod.rs"]
mod common;
#[path = "common/load_path.rs"]
mod load_path;

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use trailproof_chain::{ScanLimits, Scanned};
use trailproof_core::gzip::inflate_first_member;
use trailproof_events::store::EventStore;
use trailproof_load::{LogHasher, Scan};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

use trailproof_events::ingest::{Ingest, IngestOptions};
use trailproof_events::store::{Field, StoreBuilder};

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).expect("performance");
    let now: js_sys::Function = js_sys::Reflect::get(&perf, &"now".into())
        .expect("now")
        .into();
    now.call0(&perf).expect("call").as_f64().unwrap_or(0.0)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[wasm_bindgen_test]
fn bench() {
    if option_env!("TRAILPROOF_WASM_BENCH").is_none() {
        console_log!("wasm bench skipped: build with TRAILPROOF_WASM_BENCH=1 to run it");
        return;
    }
    for (files, per_file) in [(20, 5_000), (2_000, 50)] {
        let c = load_path::Corpus::cloudtrail(files, per_file);
        for line in load_path::run(&c, &now_ms, 2) {
            console_log!("wasm {}", line);
        }
    }
    if option_env!("TRAILPROOF_WASM_BENCH") == Some("load") {
        return;
    }
    let per_file = 5_000u64;
    let files: Vec<Vec<u8>> = (0..20)
        .map(|f| {
            common::cloudtrail_file(1000 + f, per_file, 1_714_521_600_000 + f as i64 * 300_000)
        })
        .collect();
    let raw: usize = files.iter().map(Vec::len).sum();
    let gz: Vec<Vec<u8>> = files
        .iter()
        .map(|d| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(d).unwrap();
            e.finish().unwrap()
        })
        .collect();
    drop(files);
    let t = now_ms();
    let mut n = 0;
    for g in &gz {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&g[..])
            .read_to_end(&mut out)
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        n += v["Records"].as_array().unwrap().len();
    }
    let base = now_ms() - t;
    let t = now_ms();
    let mut ing = Ingest::new(IngestOptions::default());
    for (i, g) in gz.iter().enumerate() {
        ing.add_file(&format!("f{i}.json.gz"), &mut &g[..]);
    }
    let store = ing.finish();
    let ingest = now_ms() - t;
    assert_eq!(store.len(), n);
    let mb = raw as f64 / 1e6;
    console_log!("wasm corpus: {} events, {:.1} MB JSON", n, mb);
    console_log!(
        "wasm baseline inflate+Value: {:.0} ms, {:.1} MB/s",
        base,
        mb / base * 1e3
    );
    console_log!(
        "wasm ingest: {:.0} ms, {:.1} MB/s, {:.0} events/s, {:.2}x baseline speed, {:.1} bytes/event",
        ingest,
        mb / ingest * 1e3,
        n as f64 / ingest * 1e3,
        base / ingest,
        store.bytes_per_event()
    );

    let rows = 5_000_000usize;
    let base_events: Vec<_> = (0..store.len()).map(|r| store.event(r)).collect();
    drop(store);
    let t = now_ms();
    let mut b = StoreBuilder::new();
    b.add_file("synthetic");
    for i in 0..rows {
        let mut e = base_events[i % base_events.len()].clone();
        e.time_ms = 1_714_521_600_000 + i as i64 * 20;
        e.event_id = format!("{:032x}", i as u128 * 0x9e37_79b9_7f4a_7c15);
        b.push(&e);
    }
    let big = b.finish(false);
    console_log!(
        "wasm store of {} rows built in {:.0} ms, {:.1} bytes/event",
        big.len(),
        now_ms() - t,
        big.bytes_per_event()
    );
    for q in [
        "actor:user-7",
        "action:Delete* -rw:read",
        "error:* region:eu-*",
        "ip:203.0.0.0/16 time>=2024-05-01T06:00:00Z time<2024-05-01T09:00:00Z",
        "(service:s3.amazonaws.com OR service:iam.amazonaws.com) outcome:error",
        "denied",
        "bucket-17",
    ] {
        let mut times = Vec::new();
        let mut count = 0;
        for _ in 0..20 {
            let t = now_ms();
            count = big.query(q).unwrap().count();
            times.push(now_ms() - t);
        }
        console_log!(
            "wasm query {:?}: {} rows, p50 {:.1} ms, p95 {:.1} ms",
            q,
            count,
            pct(&mut times, 0.5),
            pct(&mut times, 0.95)
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
    ] {
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = now_ms();
            let _ = big.facet(f, &sel, 10);
            times.push(now_ms() - t);
        }
        console_log!(
            "wasm facet {:?} over {} rows: p50 {:.1} ms, p95 {:.1} ms",
            f,
            sel.count(),
            pct(&mut times, 0.5),
            pct(&mut times, 0.95)
        );
    }
    // The ten facets of a reply counted together, as the engine worker does (the first run
    // builds the bitsets of the columns with few codes).
    let facets = [
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
    for q in ["action:Delete* -rw:read", "region:us-east-1", "rw:write"] {
        let mut sel = big.query(q).unwrap();
        if sel.count() * 2 > big.len() {
            sel.not();
        }
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = now_ms();
            let _ = big.facet_counts_many(&facets, &sel);
            times.push(now_ms() - t);
        }
        console_log!(
            "wasm ten facets in one pass, {:?} (counted over {} rows): p50 {:.1} ms, p95 {:.1} ms",
            q,
            sel.count(),
            pct(&mut times, 0.5),
            pct(&mut times, 0.95)
        );
    }
}

/// `crypto.subtle.digest("SHA-256", bytes)`, started.
#[derive(Clone)]
struct Subtle {
    subtle: JsValue,
    digest: Function,
}

impl Subtle {
    fn get() -> Subtle {
        let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).expect("crypto");
        let subtle = Reflect::get(&crypto, &"subtle".into()).expect("crypto.subtle");
        let digest = Reflect::get(&subtle, &"digest".into())
            .expect("digest")
            .into();
        Subtle { subtle, digest }
    }

    fn start(&self, bytes: &[u8]) -> Promise {
        let bytes = Uint8Array::from(bytes);
        self.digest
            .call2(&self.subtle, &"SHA-256".into(), &bytes)
            .expect("digest starts")
            .into()
    }
}

async fn settle(started: Promise) -> [u8; 32] {
    let buffer = JsFuture::from(started).await.expect("digest");
    Uint8Array::new(&buffer)
        .to_vec()
        .try_into()
        .expect("32 bytes")
}

/// The browser's SHA-256 for the load path's logs, as a load worker's `LogDigests`.
struct BrowserHash {
    subtle: Subtle,
    started: Rc<RefCell<Vec<(u64, Promise)>>>,
}

impl LogHasher for BrowserHash {
    fn take(&mut self, decoded: &[u8]) -> Option<u64> {
        let mut started = self.started.borrow_mut();
        let ticket = started.len() as u64;
        started.push((ticket, self.subtle.start(decoded)));
        Some(ticket)
    }
}

/// The load path with every log's hash by the browser, each started as the log is scanned and
/// all awaited at the end.
async fn load_path_browser_hash(c: &load_path::Corpus) -> (Vec<Scanned>, EventStore) {
    let limits = ScanLimits::default();
    let started = Rc::new(RefCell::new(Vec::new()));
    let mut hasher = BrowserHash {
        subtle: Subtle::get(),
        started: started.clone(),
    };
    let mut ingest = Ingest::new(IngestOptions::default());
    let scans: Vec<Scan> = c
        .names
        .iter()
        .zip(&c.gz)
        .map(|(name, g)| {
            trailproof_load::scan_and_ingest_hashing(name, g, &limits, &mut ingest, &mut hasher).0
        })
        .collect();
    let store = ingest.finish();
    let mut given = HashMap::new();
    for (ticket, promise) in started.take() {
        given.insert(ticket, settle(promise).await);
    }
    let scanned = scans
        .into_iter()
        .map(|scan| match scan {
            Scan::Done(scanned) => scanned,
            Scan::Unhashed { scan, ticket } => scan.hashed(&given[&ticket]),
        })
        .collect();
    (scanned, store)
}

/// The ceiling with the hash by the browser: inflate and the skipping scan in wasm, every
/// digest started after its inflate and all awaited at the end; in ms.
async fn ceiling_browser_hash(c: &load_path::Corpus) -> f64 {
    let subtle = Subtle::get();
    let t0 = now_ms();
    let mut started = Vec::new();
    let mut out = Vec::new();
    for g in &c.gz {
        out.clear();
        inflate_first_member(&mut &g[..], u64::MAX, &mut |chunk| {
            out.extend_from_slice(chunk)
        })
        .expect("generated gzip");
        started.push(subtle.start(&out));
        serde_json::from_slice::<serde::de::IgnoredAny>(&out).expect("generated JSON");
    }
    let mut check = 0u8;
    for promise in started {
        check ^= settle(promise).await[0];
    }
    std::hint::black_box(check);
    now_ms() - t0
}

#[wasm_bindgen_test]
async fn load_path_with_the_browsers_sha256() {
    if option_env!("TRAILPROOF_WASM_BENCH").is_none() {
        console_log!("wasm bench skipped: build with TRAILPROOF_WASM_BENCH=1 to run it");
        return;
    }
    for (files, per_file) in [(20, 5_000), (2_000, 50)] {
        let c = load_path::Corpus::cloudtrail(files, per_file);
        let (mut ceiling, mut ceiling_browser, mut load, mut load_browser) =
            (f64::MAX, f64::MAX, f64::MAX, f64::MAX);
        for _ in 0..3 {
            ceiling = ceiling.min(load_path::ceiling(&c, &now_ms).total());
            ceiling_browser = ceiling_browser.min(ceiling_browser_hash(&c).await);
            let t0 = now_ms();
            let here = load_path::load_path(&c);
            load = load.min(now_ms() - t0);
            load_path::check(&c, &here);
            let t0 = now_ms();
            let browser = load_path_browser_hash(&c).await;
            load_browser = load_browser.min(now_ms() - t0);
            load_path::check(&c, &browser);
            assert_eq!(
                serde_json::to_string(&browser.0).unwrap(),
                serde_json::to_string(&here.0).unwrap(),
                "the same scans"
            );
        }
        let mb = c.mb();
        let speed = |ms: f64| mb / ms * 1e3;
        console_log!(
            "wasm corpus: {} gzip CloudTrail logs, {} events, {:.1} MB JSON",
            c.gz.len(),
            c.events,
            mb
        );
        console_log!(
            "wasm ceiling (inflate + SHA-256 + scan, all in wasm): {:.0} ms, {:.1} MB/s; with the hash by the browser: {:.0} ms, {:.1} MB/s",
            ceiling,
            speed(ceiling),
            ceiling_browser,
            speed(ceiling_browser)
        );
        console_log!(
            "wasm load path, hash in wasm: {:.0} ms, {:.1} MB/s, ratio to the ceiling {:.2}",
            load,
            speed(load),
            ceiling / load
        );
        console_log!(
            "wasm load path, hash by the browser: {:.0} ms, {:.1} MB/s, ratio to the ceiling {:.2}, to the ceiling with the hash by the browser {:.2}",
            load_browser,
            speed(load_browser),
            ceiling / load_browser,
            ceiling_browser / load_browser
        );
    }
}
