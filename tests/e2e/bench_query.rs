//! Bench (not a test): query latency as the user feels it, in the page.
//!
//! Runs only with `TRAILPROOF_E2E_BENCH=1` (otherwise it returns at once with a message, so
//! `cargo xtask test` does not pay for it):
//!
//! ```text
//! cargo xtask dist
//! TRAILPROOF_E2E_BENCH=1 TRAILPROOF_E2E_TIMELINE_EVENTS=1000000 TRAILPROOF_DIST=$PWD/dist \
//!   cargo test -p trailproof-e2e --test bench_query -- --ignored --nocapture
//! ```
//!
//! It generates `TRAILPROOF_E2E_TIMELINE_EVENTS` (200,000) CloudTrail events with the events
//! crate's corpus generator (the cardinalities of `docs/performance.md`'s query table: every
//! source IP in 203.0.0.0/16, 25,000 events per gzip file, 150 ms apart from
//! 2024-05-01T00:00Z), kept under `target/e2e/bench-query-N/` for the next run, loads them
//! through the real drop path, waits for the analysis to end, opens the Timeline and then, for
//! `TRAILPROOF_E2E_QUERY_ROUNDS` (10) rounds, runs every query of the table (plus the empty
//! query and `ip:203.0.0.0/16`, which both match every row) the way a user does — text in the
//! search box, the form submitted as Enter does — and clicks the top value of six facets. Each
//! is timed in the page with `performance.now()` from the submit (or click) until the reply is
//! drawn: the count line carries the sequence number of the query whose reply it shows
//! (`data-seq`, absent while a query is pending; the histogram, facets and the reset table
//! render with it), and every row in the table's viewport holds its event (polled per
//! animation frame, so a figure includes up to one frame of polling). It reports p50/p95 per
//! query to stdout and `target/e2e/bench-query.txt`; it does not assert on time.

mod harness;

// The events crate's generator, included as it is (its style is linted in its own crate).
#[allow(clippy::manual_is_multiple_of)]
#[path = "../../crates/events/tests/common/mod.rs"]
mod generator;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use harness::{artifacts, Harness, Value};

/// Events per generated file.
const PER_FILE: u64 = 25_000;
/// 2024-05-01T00:00:00Z, the start of the docs' 3-hour window query.
const BASE_MS: i64 = 1_714_521_600_000;

/// The queries of `docs/performance.md` (worker-only figures there), the two that match every
/// row, and a facet click (`facet:FIELD`: the top value of that facet after the empty query).
const STEPS: &[&str] = &[
    "",
    "ip:203.0.0.0/16",
    "actor:user-7",
    "action:Delete* -rw:read",
    "error:* region:eu-*",
    "ip:203.0.0.0/16 time>=2024-05-01T06:00:00Z time<2024-05-01T09:00:00Z",
    "(service:s3.amazonaws.com OR service:iam.amazonaws.com) outcome:error",
    "denied",
    "bucket-17",
    "facet:actor",
    "facet:action",
    "facet:service",
    "facet:region",
    "facet:ip",
    "facet:outcome",
];

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes (or reuses) `n` events as gzip CloudTrail files.
fn corpus(n: u64) -> Vec<PathBuf> {
    let dir = artifacts().join(format!("bench-query-{n}"));
    let files: Vec<PathBuf> = (0..n.div_ceil(PER_FILE))
        .map(|k| {
            dir.join(format!(
                "111122223333_CloudTrail_us-east-1_bench_{k:04}.json.gz"
            ))
        })
        .collect();
    let done = dir.join("complete");
    if done.exists() {
        return files;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (k, path) in files.iter().enumerate() {
        let k = k as u64;
        let events = PER_FILE.min(n - k * PER_FILE);
        let base = BASE_MS + (k * PER_FILE) as i64 * 150;
        let json = generator::cloudtrail_file(0x5eed + k, events, base);
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(path).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(&json).unwrap();
        gz.finish().unwrap();
    }
    std::fs::write(&done, b"").unwrap();
    files
}

/// The page-side driver: runs every step `rounds` times, interleaved, and leaves
/// `window.__bench = { times: {step: [ms...]}, counts: {step: text}, bad: [...] }`.
const DRIVER: &str = r#"
window.__bench = null;
(async () => {
  const steps = STEPS, rounds = ROUNDS;
  const frame = () => new Promise(r => requestAnimationFrame(r));
  const count = () => document.querySelector('#match-count');
  const scroll = () => document.querySelector('#event-scroll');
  const drawn = s0 => {
    const c = count();
    if (!c || c.dataset.seq === undefined || c.dataset.seq === s0) return false;
    if (c.innerText.startsWith('0 of')) return true;
    const s = scroll(); if (!s) return false;
    const top = s.getBoundingClientRect().top, bottom = top + s.clientHeight;
    const vis = [...s.querySelectorAll('.vt-row')].filter(r => { const b = r.getBoundingClientRect(); return b.bottom > top + 1 && b.top < bottom - 1; });
    return vis.length > 0 && vis.every(r => r.classList.contains('event'));
  };
  // Runs `act` and waits until the next reply is drawn; returns ms.
  const timed = async act => {
    for (let i = 0; i < 600 && !drawn(undefined); i++) await frame();
    const s0 = count().dataset.seq;
    const t0 = performance.now();
    act();
    for (;;) {
      await frame();
      if (drawn(s0)) return performance.now() - t0;
      if (performance.now() - t0 > 60000) return null;
    }
  };
  const submit = q => () => {
    const i = document.querySelector('#query'); i.focus(); i.value = q;
    i.dispatchEvent(new InputEvent('input', {bubbles: true}));
    i.form.requestSubmit();
  };
  const times = {}, counts = {}, bad = [];
  // The timeline opened on the empty query, and submitting the query already shown runs
  // nothing: start from another one (consecutive steps always differ).
  await timed(submit('actor:user-7'));
  for (let r = 0; r < rounds; r++) {
    for (const step of steps) {
      let ms;
      if (step.startsWith('facet:')) {
        const field = step.slice(6);
        await timed(submit(''));
        const b = document.querySelector(`#facets .facet[data-field="${field}"] .facet-value`);
        if (!b) { bad.push('no facet ' + field); continue; }
        ms = await timed(() => b.click());
      } else {
        ms = await timed(submit(step));
      }
      if (ms === null) { bad.push('timeout: ' + step); continue; }
      (times[step] = times[step] || []).push(ms);
      counts[step] = count().innerText + (step.startsWith('facet:') ? ' (' + document.querySelector('#query').value + ')' : '');
    }
  }
  window.__bench = { times, counts, bad };
})();
return true;
"#;

#[tokio::test]
#[ignore = "a bench: needs the built site and Chromium, and TRAILPROOF_E2E_BENCH=1"]
async fn query_latency_end_to_end() {
    if std::env::var("TRAILPROOF_E2E_BENCH").as_deref() != Ok("1") {
        println!("bench_query: skipped (set TRAILPROOF_E2E_BENCH=1 to run it)");
        return;
    }
    let n = env("TRAILPROOF_E2E_TIMELINE_EVENTS", 200_000);
    let rounds = env("TRAILPROOF_E2E_QUERY_ROUNDS", 10).max(1);
    let t = Instant::now();
    let files = corpus(n);
    let generated_s = t.elapsed().as_secs_f64();

    let h = Harness::start().await;
    h.open().await;
    let started = Instant::now();
    h.drop_files(&files).await;
    // The analysis runs in the worker after the summary: queries would wait behind it.
    let deadline = Instant::now() + Duration::from_secs(120 + n / 5_000);
    let mut summary_s = None;
    loop {
        let ready = h
            .js("return [!!document.querySelector('#summary'), !document.querySelector('#progress')];")
            .await;
        if ready[0].as_bool() == Some(true) && summary_s.is_none() {
            summary_s = Some(started.elapsed().as_secs_f64());
        }
        if ready[0].as_bool() == Some(true) && ready[1].as_bool() == Some(true) {
            break;
        }
        assert!(Instant::now() < deadline, "loading {n} events timed out");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let load_s = started.elapsed().as_secs_f64();
    let summary_s = summary_s.unwrap_or(load_s);
    // Everything the page and its workers held at once, by the renderer's high-water mark.
    let loaded_hwm = h.renderer_high_water();
    let timings = h.worker_timings().await;
    h.tab("timeline").await;
    h.wait_for(
        "the first query",
        "const c = document.querySelector('#match-count'); return !!c && c.dataset.seq !== undefined;",
    )
    .await;

    let steps = serde_json::to_string(STEPS).unwrap();
    h.js(&DRIVER
        .replace("STEPS", &steps)
        .replace("ROUNDS", &rounds.to_string()))
        .await;
    let deadline = Instant::now() + Duration::from_secs(600 + n / 1_000);
    let r = loop {
        let r = h.js("return window.__bench;").await;
        if !r.is_null() {
            break r;
        }
        assert!(Instant::now() < deadline, "the query bench timed out");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let bad = r["bad"].as_array().cloned().unwrap_or_default();
    assert!(bad.is_empty(), "steps that did not draw: {bad:?}");

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mib = |b: u64| b >> 20;
    let per_event = |b: u64| b as f64 / n.max(1) as f64;
    let queried_hwm = h.renderer_high_water();
    let mut out = String::new();
    writeln!(
        out,
        "query latency end to end (headless Chromium, Enter → count, first rows, histogram and facets drawn): \
         {n} events in {} files (generated in {generated_s:.1} s; drop → summary {summary_s:.1} s, \
         → analysis done {load_s:.1} s), {rounds} rounds, load average {}\n{timings}\n\
         renderer high-water mark (the page and every worker, all included): {} MiB after the load \
         and analysis ({:.0} bytes/event), {} MiB after the queries ({:.0} bytes/event)",
        files.len(),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        mib(loaded_hwm),
        per_event(loaded_hwm),
        mib(queried_hwm),
        per_event(queried_hwm),
    )
    .unwrap();
    writeln!(
        out,
        "{:<72} {:>9} {:>9} {:>9}  shown",
        "query", "p50 ms", "p95 ms", "max ms"
    )
    .unwrap();
    let mut all: Vec<f64> = Vec::new();
    for step in STEPS {
        let mut times: Vec<f64> = r["times"][step]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        if times.is_empty() {
            continue;
        }
        all.extend(&times);
        times.sort_by(f64::total_cmp);
        let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        let name = if step.is_empty() {
            "(empty: all events)"
        } else {
            step
        };
        writeln!(
            out,
            "{name:<72} {:>9.1} {:>9.1} {:>9.1}  {}",
            pct(0.5),
            pct(0.95),
            pct(1.0),
            r["counts"][step].as_str().unwrap_or("")
        )
        .unwrap();
    }
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize];
    writeln!(
        out,
        "all steps: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        pct(0.5),
        pct(0.95),
        pct(1.0)
    )
    .unwrap();
    print!("{out}");
    std::fs::write(artifacts().join(format!("bench-query-{n}.txt")), &out).unwrap();
    h.close().await;
}
