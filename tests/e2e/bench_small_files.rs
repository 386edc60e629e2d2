//! Bench (not a test): many small files in the browser, from drop to verdict.
//!
//! Runs only with `TRAILPROOF_E2E_BENCH=1` (otherwise it returns at once with a message, so
//! `cargo xtask test` does not pay for it):
//!
//! ```text
//! cargo xtask dist
//! TRAILPROOF_E2E_BENCH=1 TRAILPROOF_DIST=$PWD/dist \
//!   cargo test -p trailproof-e2e --test bench_small_files -- --ignored --nocapture
//! ```
//!
//! It generates a CloudTrail export shaped like real delivery (the generator of
//! `crates/chain/benches/small_files.rs`: 1 account × `TRAILPROOF_BENCH_REGIONS` (6) regions ×
//! `TRAILPROOF_BENCH_HOURS` (168) hourly digests, each with its `head-object` sidecar, 4 logs of
//! ≈ 20 events per hour, one key list: 6,048 files by default) under
//! `target/e2e/bench-small-files/`, then loads it in the built site twice: as a folder (the
//! `webkitdirectory` picker, so the page gets 6,048 `File`s with relative paths) and as one
//! `.zip` dropped on the drop zone. Each time it measures, with `performance.now()` in the page,
//! from the `change`/`drop` event to the summary being in the DOM and to the end of the job
//! (the progress bar gone: analysis included), and it collects the worker's own phase
//! timings (logged to the console as `trailproof timings: {...}`).
//!
//! Baselines measured in the same run: the page reading every picked file and SHA-256-ing it
//! with WebCrypto (the least any in-browser verifier does with the same `File`s), and
//! `trailproof verify` on the same folder when a release CLI exists (`TRAILPROOF_CLI`, default
//! `target/release/trailproof`). Figures go to `target/e2e/bench-small-files.txt` and stdout.

mod harness;

// The chain crate's test generator (digests signed with the throwaway fixture key).
#[allow(unused_imports)]
#[path = "../../crates/chain/tests/common/mod.rs"]
mod generator;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use harness::{Harness, Value};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The export of `crates/chain/benches/small_files.rs`: `regions` × `hours` hourly digests with
/// sidecars and 4 logs of ≈ 20 events per hour.
fn export(regions: usize, hours: usize) -> Vec<(String, Vec<u8>)> {
    const REGIONS: [&str; 6] = [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
    ];
    let mut files = Vec::new();
    for i in 0..regions {
        let region = REGIONS[i % REGIONS.len()];
        let g = generator::AwsGen {
            region: format!("{region}{}", "x".repeat(i / REGIONS.len())),
            logs_per_hour: 4,
            log_padding: 13_300,
            ..Default::default()
        };
        let mut part = g.simple(hours).layout("", false, &|_| true);
        if i > 0 {
            part.retain(|(p, _)| p != "list-public-keys.json");
        }
        files.extend(part);
    }
    files
}

/// Timing hooks: when the user's pick or drop happens, when the summary appears and when the
/// job ends (the progress bar leaves the DOM while the summary is shown).
const HOOKS: &str = "window.__bench = {}; \
    const start = () => { window.__bench = { t0: performance.now() }; }; \
    document.addEventListener('change', start, true); \
    document.addEventListener('drop', start, true); \
    new MutationObserver(() => { \
      const b = window.__bench; if (b.t0 === undefined) return; \
      const now = performance.now(); \
      if (b.summary === undefined && document.querySelector('#summary')) b.summary = now; \
      if (b.summary !== undefined && b.done === undefined && !document.querySelector('#progress')) b.done = now; \
    }).observe(document.body, { childList: true, subtree: true }); \
    return true;";

struct Figures {
    summary_ms: f64,
    done_ms: f64,
    worker: String,
    verdict: String,
}

async fn measure(h: &Harness, what: &str) -> Figures {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let v = h.js("return window.__bench;").await;
        if v["done"].is_number() {
            break;
        }
        assert!(Instant::now() < deadline, "{what}: no verdict after 300 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let b = h.js("return window.__bench;").await;
    let t0 = b["t0"].as_f64().unwrap_or(0.0);
    let verdict = h
        .js("const v = document.querySelector('#verdict'); return v ? v.className + ': ' + v.innerText : '';")
        .await
        .as_str()
        .unwrap_or_default()
        .replace('\n', " ");
    Figures {
        summary_ms: b["summary"].as_f64().unwrap_or(f64::NAN) - t0,
        done_ms: b["done"].as_f64().unwrap_or(f64::NAN) - t0,
        worker: h.worker_timings().await,
        verdict,
    }
}

fn write_dir(files: &[(String, Vec<u8>)], dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    for (p, b) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().expect("file paths have a parent")).unwrap();
        std::fs::write(path, b).unwrap();
    }
}

/// (wall, CPU) seconds of the release CLI verifying `dir`, best of 3; `None` without a CLI.
fn cli_baseline(dir: &Path) -> Option<(f64, f64)> {
    let cli = std::env::var_os("TRAILPROOF_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| harness::workspace().join("target/release/trailproof"));
    if !cli.is_file() {
        return None;
    }
    let children_cpu = || -> Option<f64> {
        let s = std::fs::read_to_string("/proc/self/stat").ok()?;
        let rest = &s[s.rfind(')')? + 1..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some((f.get(13)?.parse::<u64>().ok()? + f.get(14)?.parse::<u64>().ok()?) as f64 / 100.0)
    };
    let mut best: Option<(f64, f64)> = None;
    for _ in 0..3 {
        let c0 = children_cpu()?;
        let t = Instant::now();
        let ok = Command::new(&cli)
            .args(["verify", "--format", "json"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .status()
            .ok()?;
        let wall = t.elapsed().as_secs_f64();
        // Exit codes other than 0 speak for the verdict; only a failure to run is an error.
        ok.code()?;
        let cpu = children_cpu()? - c0;
        best = Some(best.map_or((wall, cpu), |(w, c)| (w.min(wall), c.min(cpu))));
    }
    best
}

#[tokio::test]
#[ignore = "a bench: needs the built site and Chromium, and TRAILPROOF_E2E_BENCH=1"]
async fn many_small_files_from_drop_to_verdict() {
    if std::env::var("TRAILPROOF_E2E_BENCH").as_deref() != Ok("1") {
        println!("bench_small_files: skipped (set TRAILPROOF_E2E_BENCH=1 to run it)");
        return;
    }
    // The generator reads the throwaway key relative to its own crate unless told.
    std::env::set_var("TRAILPROOF_FIXTURES", harness::fixtures());
    let (regions, hours) = (
        env("TRAILPROOF_BENCH_REGIONS", 6),
        env("TRAILPROOF_BENCH_HOURS", 168),
    );
    let t = Instant::now();
    let files = export(regions, hours);
    let work = harness::artifacts().join("bench-small-files");
    let dir = work.join("export");
    write_dir(&files, &dir);
    let zip = work.join("export.zip");
    std::fs::write(&zip, generator::zip_of(&files)).unwrap();
    let stored: usize = files.iter().map(|(_, b)| b.len()).sum();
    let digests = files
        .iter()
        .filter(|(p, _)| p.contains("CloudTrail-Digest") && p.ends_with(".json.gz"))
        .count();
    let mut out = String::new();
    writeln!(
        out,
        "many small files in the browser (headless Chromium, {} cores):\n\
         export: {} files ({digests} digests with sidecars, {regions} regions × {hours} h, 4 logs/h), \
         {:.1} MB stored, generated in {:.1} s",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        files.len(),
        stored as f64 / 1e6,
        t.elapsed().as_secs_f64()
    )
    .unwrap();

    let h = Harness::start().await;
    let rounds = env("TRAILPROOF_BENCH_ROUNDS", 1).max(1);
    let mut runs: Vec<(&str, Figures)> = Vec::new();
    for _ in 0..rounds {
        // As a folder: the folder picker gives the page every file with its relative path.
        h.open().await;
        h.js(HOOKS).await;
        h.pick("#pick-folder", &dir).await;
        runs.push(("folder", measure(&h, "folder").await));
        // The same files as one zip, dropped.
        h.open().await;
        h.js(HOOKS).await;
        h.drop_files(std::slice::from_ref(&zip)).await;
        runs.push(("zip", measure(&h, "zip").await));
    }
    // Tab switches on the loaded export (the zip's: 6,049 files read, all verified, so the
    // Verification tab's file table lists them all): click → the tab's file table drawn,
    // polled per animation frame.
    h.js("window.__tabs = null; (async () => { \
           const frame = () => new Promise(r => requestAnimationFrame(r)); \
           const out = { inputs: [], verification: [] }; \
           const ready = { inputs: '#entries tbody tr', verification: '#items tbody tr' }; \
           for (let i = 0; i < 3; i++) for (const tab of ['inputs', 'verification']) { \
             const t0 = performance.now(); document.querySelector('#tab-' + tab).click(); \
             for (let f = 0; f < 600; f++) { await frame(); \
               if (document.querySelector(ready[tab])) break; } \
             out[tab].push(performance.now() - t0); \
             out[tab + 'Rows'] = document.querySelectorAll(ready[tab]).length; } \
           window.__tabs = out; })(); return true;")
        .await;
    // A render of every row can hold the page longer than WebDriver's script timeout: poll,
    // and take a timed-out poll as "not yet".
    let deadline = Instant::now() + Duration::from_secs(600);
    let tabs: Value = loop {
        match h.client().execute("return window.__tabs;", vec![]).await {
            Ok(v) if !v.is_null() => break v,
            _ => assert!(Instant::now() < deadline, "the tab switches timed out"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for tab in ["inputs", "verification"] {
        let mut t: Vec<f64> = tabs[tab]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        t.sort_by(f64::total_cmp);
        writeln!(
            out,
            "tab switch → {tab} file table drawn ({} rows in the DOM): median {:.0} ms, max {:.0} ms of {}",
            tabs[format!("{tab}Rows")],
            t.get(t.len() / 2).copied().unwrap_or(f64::NAN),
            t.last().copied().unwrap_or(f64::NAN),
            t.len()
        )
        .unwrap();
    }
    // Baseline in the same browser: read and SHA-256 every file of the folder from page JS.
    // The folder picker's files are taken before the app sees them (a capturing listener that
    // stops the event), so only the page's JS touches them.
    h.open().await;
    h.js(
        "window.__picked = null; document.addEventListener('change', (e) => { \
           window.__picked = Array.from(e.target.files); e.stopImmediatePropagation(); }, true); \
         return true;",
    )
    .await;
    h.pick("#pick-folder", &dir).await;
    h.wait_for("the picked files", "return window.__picked !== null;")
        .await;
    h.js(
        "window.__floor = null; const files = window.__picked || []; \
         const t0 = performance.now(); \
         (async () => { for (const f of files) { \
             await crypto.subtle.digest('SHA-256', await f.arrayBuffer()); } \
           window.__floor = { ms: performance.now() - t0, n: files.length }; })(); \
         return true;",
    )
    .await;
    h.wait_for("the floor", "return window.__floor !== null;")
        .await;
    let floor: Value = h.js("return window.__floor;").await;
    let floor_ms = floor["ms"].as_f64().unwrap_or(f64::NAN);
    writeln!(
        out,
        "baseline: page JS reads and SHA-256s every picked file (sequential awaits): {floor_ms:.0} ms for {} files ({:.3} ms/file)",
        floor["n"],
        floor_ms / files.len() as f64
    )
    .unwrap();
    let cli = cli_baseline(&dir);
    match cli {
        Some((wall, cpu)) => writeln!(
            out,
            "baseline: trailproof verify on the folder (release CLI, best of 3): {:.0} ms wall, {:.0} ms CPU",
            wall * 1e3,
            cpu * 1e3
        )
        .unwrap(),
        None => writeln!(
            out,
            "baseline: no release CLI (build it with `cargo build --release -p trailproof-cli` or set TRAILPROOF_CLI)"
        )
        .unwrap(),
    }
    for (how, f) in &runs {
        writeln!(
            out,
            "{how:>6}: drop → summary {:>7.0} ms ({:.3} ms/file, {:.1}× the JS floor{}); → analysis done {:>7.0} ms\n        verdict: {}\n        {}",
            f.summary_ms,
            f.summary_ms / files.len() as f64,
            f.summary_ms / floor_ms,
            cli.map_or(String::new(), |(wall, _)| format!(
                ", {:.1}× the CLI's wall time",
                f.summary_ms / (wall * 1e3)
            )),
            f.done_ms,
            f.verdict,
            f.worker
        )
        .unwrap();
    }
    print!("{out}");
    std::fs::write(harness::artifacts().join("bench-small-files.txt"), &out).unwrap();
    for (how, f) in &runs {
        assert!(
            f.verdict.contains("Verified"),
            "{how}: the export should verify: {}",
            f.verdict
        );
    }
}
