//! Bench (not a test): one input bigger than a browser tab could hold, from drop to summary.
//!
//! Runs only with `TRAILPROOF_E2E_BENCH=1` (otherwise it returns at once with a message, so
//! `cargo xtask test` does not pay for it):
//!
//! ```text
//! cargo xtask dist
//! TRAILPROOF_E2E_BENCH=1 TRAILPROOF_DIST=$PWD/dist \
//!   cargo test -p trailproof-e2e --test bench_big_input -- --ignored --nocapture
//! ```
//!
//! It writes (once; kept under `target/e2e/bench-big-input/` for the next run, never committed)
//! single inputs of `TRAILPROOF_E2E_BIG_MIB` MiB of JSON each (default 4,400: past 4 GiB, and
//! far past the 1 GiB a load worker used to hold whole), the kinds named by
//! `TRAILPROOF_E2E_BIG_KINDS` (default `jsonl.gz,tar.gz`):
//! - `jsonl.gz`: one gzip file of `aws cloudtrail lookup-events` items, one per line, each with
//!   its event as the JSON string `CloudTrailEvent`;
//! - `tar.gz`: one gzip'd tar of CloudTrail log files (`{"Records":[…]}`, 5,000 events each,
//!   named as CloudTrail delivers them);
//! - `zip`: the same logs as stored (uncompressed) zip entries: an archive of more than 4 GiB,
//!   read through its zip64 central directory;
//! - `jsonl`: the first one stored plainly (a file of more than 4 GiB on disk).
//!
//! Each is dropped on the page alone. The bench checks that every event was loaded (the
//! Timeline's count) and that progress kept moving (how many distinct progress lines the page
//! showed, polled every 250 ms), and it measures drop → summary and the memory of the browser's
//! processes (the peak of their summed resident set, sampled every 250 ms from `/proc`, and the
//! largest renderer's own high-water mark, `VmHWM`, which holds the workers). Figures go to
//! `target/e2e/bench-big-input.txt` and stdout; nothing is asserted on time. Baseline in the
//! same run: the release CLI (`TRAILPROOF_CLI`, default `target/release/trailproof`) verifying
//! the same file, wall time and peak RSS by GNU `time`.

mod harness;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::{status_bytes, Harness};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Event `i` as one `lookup-events` item: the event as a JSON string in `CloudTrailEvent`.
fn lookup_item(i: u64) -> String {
    let inner = harness::cloudtrail_event(i);
    let quoted = serde_json::to_string(&inner).expect("a string serialises");
    format!(
        "{{\"EventId\":\"{:08x}-{:04x}-4000-8000-{:012x}\",\"EventName\":\"Op{}\",\"ReadOnly\":\"{}\",\
         \"EventTime\":\"{}\",\"EventSource\":\"s{}.amazonaws.com\",\"Username\":\"user-{}\",\"Resources\":[],\
         \"CloudTrailEvent\":{quoted}}}\n",
        i as u32,
        (i >> 32) as u16,
        i.wrapping_mul(0x5851_f42d) & 0xffff_ffff_ffff,
        i % 250,
        i.is_multiple_of(3),
        harness::utc_seconds(harness::BASE_S + i as i64),
        i % 12,
        i % 200,
    )
}

/// The next CloudTrail log file of 5,000 events from event `*n` on: its path as CloudTrail
/// delivers it, and its JSON.
fn log(n: &mut u64) -> (String, String) {
    let first = *n;
    *n += 5_000;
    let json = harness::cloudtrail_records(first..*n);
    let t = harness::utc_seconds(harness::BASE_S + first as i64);
    let (y, m, d, hh, mm) = (&t[0..4], &t[5..7], &t[8..10], &t[11..13], &t[14..16]);
    let name = format!(
        "AWSLogs/111122223333/CloudTrail/us-east-1/{y}/{m}/{d}/\
         111122223333_CloudTrail_us-east-1_{y}{m}{d}T{hh}{mm}Z_{first:016X}.json"
    );
    (name, json)
}

/// One big input of `kind` with about `json_bytes` of JSON, and its number of events; written
/// once and kept (a `.done` marker beside it records the count).
fn input(dir: &Path, kind: &str, json_bytes: u64) -> (PathBuf, u64) {
    let path = dir.join(format!("events-v2-{}mib.{kind}", json_bytes >> 20));
    let marker = path.with_extension(format!("{kind}.done"));
    if let Some(n) = std::fs::read_to_string(&marker)
        .ok()
        .and_then(|s| s.trim().parse().ok())
    {
        return (path, n);
    }
    let t = Instant::now();
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
    let mut n = 0u64;
    let mut written = 0u64;
    match kind {
        "jsonl" | "jsonl.gz" => {
            let mut out: Box<dyn std::io::Write> = if kind == "jsonl" {
                Box::new(file)
            } else {
                Box::new(flate2::write::GzEncoder::new(
                    file,
                    flate2::Compression::fast(),
                ))
            };
            while written < json_bytes {
                let line = lookup_item(n);
                out.write_all(line.as_bytes()).unwrap();
                written += line.len() as u64;
                n += 1;
            }
            out.flush().unwrap();
        }
        "tar.gz" => {
            let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            let mut tar = tar::Builder::new(gz);
            while written < json_bytes {
                let (name, json) = log(&mut n);
                written += json.len() as u64;
                let mut header = tar::Header::new_gnu();
                header.set_size(json.len() as u64);
                header.set_mode(0o644);
                tar.append_data(&mut header, name, json.as_bytes()).unwrap();
            }
            tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
        }
        "zip" => {
            // Stored entries, so the archive itself passes 4 GiB (zip64 offsets).
            let mut zip = zip::ZipWriter::new(file);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            while written < json_bytes {
                let (name, json) = log(&mut n);
                written += json.len() as u64;
                zip.start_file(name, options).unwrap();
                zip.write_all(json.as_bytes()).unwrap();
            }
            zip.finish().unwrap().flush().unwrap();
        }
        other => panic!("unknown kind {other}: jsonl, jsonl.gz, tar.gz or zip"),
    }
    println!(
        "bench_big_input: wrote {} ({n} events, {} MiB JSON, {} MiB stored) in {:.0} s",
        path.display(),
        written >> 20,
        std::fs::metadata(&path).unwrap().len() >> 20,
        t.elapsed().as_secs_f64()
    );
    std::fs::write(&marker, n.to_string()).unwrap();
    (path, n)
}

/// (wall seconds, peak RSS bytes) of the release CLI verifying `path` (which also indexes every
/// event for its coverage block), under GNU `time`; `None` without a CLI or `time`.
fn cli_baseline(path: &Path) -> Option<(f64, u64)> {
    let cli = std::env::var_os("TRAILPROOF_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| harness::workspace().join("target/release/trailproof"));
    if !cli.is_file() {
        return None;
    }
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(&cli)
        .args(["verify", "--format", "json"])
        .arg(path)
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut last = stderr.lines().last()?.split_whitespace();
    let wall = last.next()?.parse().ok()?;
    let kib: u64 = last.next()?.parse().ok()?;
    Some((wall, kib * 1024))
}

#[tokio::test]
#[ignore = "a bench: needs the built site and Chromium, and TRAILPROOF_E2E_BENCH=1"]
async fn one_input_past_what_a_tab_could_hold() {
    if std::env::var("TRAILPROOF_E2E_BENCH").as_deref() != Ok("1") {
        println!("bench_big_input: skipped (set TRAILPROOF_E2E_BENCH=1 to run it)");
        return;
    }
    let json_bytes = env_u64("TRAILPROOF_E2E_BIG_MIB", 4_400) << 20;
    let kinds = std::env::var("TRAILPROOF_E2E_BIG_KINDS").unwrap_or("jsonl.gz,tar.gz".into());
    let dir = harness::artifacts().join("bench-big-input");
    std::fs::create_dir_all(&dir).unwrap();
    let mut report = format!(
        "bench_big_input ({} MiB of JSON per input; load average at start: {})\n",
        json_bytes >> 20,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    for kind in kinds.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let (path, events) = input(&dir, kind, json_bytes);
        let stored = std::fs::metadata(&path).unwrap().len();
        let h = Harness::start().await;
        h.open().await;
        let started = Instant::now();
        h.drop_files(std::slice::from_ref(&path)).await;
        let deadline = started + Duration::from_secs(1800);
        let (mut lines, mut peak_sum) = (BTreeSet::new(), 0u64);
        loop {
            let state = h
                .js("const t = document.querySelector('.progress-text'); \
                     return [!!document.querySelector('#summary'), t ? t.innerText : ''];")
                .await;
            if let Some(line) = state[1].as_str().filter(|l| !l.is_empty()) {
                lines.insert(line.to_owned());
            }
            let sum: u64 = h
                .browser_processes()
                .iter()
                .map(|&(pid, _)| status_bytes(pid, "VmRSS:"))
                .sum();
            peak_sum = peak_sum.max(sum);
            if state[0].as_bool() == Some(true) {
                break;
            }
            assert!(Instant::now() < deadline, "{kind}: no summary after 30 min");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let load_s = started.elapsed().as_secs_f64();
        let renderer_hwm = h.renderer_high_water();
        let problems = h
            .js("return document.querySelector('#summary').innerText;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        h.tab("timeline").await;
        // Every event loaded: the Timeline's count line reads "N of N events".
        let want = format!("{events} of {events} events");
        let count = loop {
            let text = h
                .js("const c = document.querySelector('#match-count'); \
                     return c && !c.classList.contains('busy') ? c.innerText : '';")
                .await
                .as_str()
                .unwrap_or_default()
                .replace(',', "");
            // (Before the first query's reply it reads "0 of N events".)
            if text == want || started.elapsed() > Duration::from_secs(load_s as u64 + 300) {
                break text;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        if count != want {
            let progress = h
                .js("const t = document.querySelector('.progress-text'); return t ? t.innerText : 'no progress bar';")
                .await;
            let error = h
                .js("const e = document.querySelector('.error, [role=alert]'); return e ? e.innerText : 'no error shown';")
                .await;
            panic!(
                "{kind}: the count reads {count:?}, not {want:?}; summary: {problems}; progress: {progress}; \
                 error: {error}; console: {}",
                h.console().await
            );
        }
        // The analysis ends (the progress bar leaves), then the worker's timings and memory.
        let analysed = Instant::now();
        while h
            .js("return !!document.querySelector('#progress');")
            .await
            .as_bool()
            == Some(true)
        {
            assert!(
                analysed.elapsed() < Duration::from_secs(900),
                "{kind}: the analysis did not end: {}",
                h.console().await
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let analysis_s = analysed.elapsed().as_secs_f64();
        let worker = h.worker_timings().await;
        assert!(
            lines.len() >= 5,
            "{kind}: progress showed only {} distinct lines: {lines:?}",
            lines.len()
        );
        assert!(
            !problems.contains("too large"),
            "{kind}: the input was refused: {problems}"
        );
        let _ = writeln!(
            report,
            "{kind}: {events} events, {} MiB stored, {} MiB JSON: drop → summary {load_s:.1} s \
             ({:.1} MB/s of JSON); {} distinct progress lines; browser processes' summed RSS peak {} MiB, \
             largest renderer VmHWM {} MiB ({:.0} bytes/event); load average now {}",
            stored >> 20,
            json_bytes >> 20,
            json_bytes as f64 / 1e6 / load_s,
            lines.len(),
            peak_sum >> 20,
            renderer_hwm >> 20,
            renderer_hwm as f64 / events as f64,
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
        );
        let _ = writeln!(
            report,
            "  the analysis ended {analysis_s:.1} s after the count showed; worker: {worker}"
        );
        h.close().await;
        if let Some((wall, rss)) = cli_baseline(&path) {
            let _ = writeln!(
                report,
                "  the release CLI, `verify --format json` on the same file: {wall:.1} s wall, peak RSS {} MiB",
                rss >> 20
            );
        }
        println!("{report}");
    }
    std::fs::write(harness::artifacts().join("bench-big-input.txt"), &report).unwrap();
}
