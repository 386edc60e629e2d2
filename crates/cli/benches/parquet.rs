//! `trailproof events --format parquet` against `--format json` on the same generated corpus,
//! measured in the same run.
//!
//! `cargo bench -p trailproof-cli --bench parquet [-- <events>]` (default 200,000 events) writes a
//! corpus to the temp dir (delivery-sized CloudTrail files of 5,000 events spread over four days,
//! and an ActionTrail export of a fifth of the events, plain JSON) and runs the bench-profile
//! binary on it three times each, interleaved: a query that selects nothing (the same ingest and
//! verification, no output), `--format json` into a file, `--format parquet`, and
//! `--format parquet --raw`. It prints the best wall and CPU time (user + system of the child,
//! all threads) of each, events per second, output size, the ratio to JSON (whole commands), the
//! peak resident set (one more run each under GNU `time`, when installed) and what writing
//! alone costs (each minus the no-output run).
//! Results go to docs/performance.md.

#[path = "../../events/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// User + system CPU seconds of this process's waited-for children (`/proc/self/stat` fields
/// 16 and 17, in clock ticks of 1/100 s on Linux); 0 elsewhere.
fn children_cpu() -> f64 {
    let read = || -> Option<f64> {
        let s = std::fs::read_to_string("/proc/self/stat").ok()?;
        let rest = &s[s.rfind(')')? + 1..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = f.get(13)?.parse::<u64>().ok()? + f.get(14)?.parse::<u64>().ok()?;
        Some(ticks as f64 / 100.0)
    };
    read().unwrap_or(0.0)
}

fn dir_size(p: &Path) -> u64 {
    if p.is_file() {
        return p.metadata().map(|m| m.len()).unwrap_or(0);
    }
    std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| dir_size(&e.path())).sum())
        .unwrap_or(0)
}

/// Peak resident set of one run of the CLI's `events` with `args`, in MB, by GNU time
/// (`/usr/bin/time -f %M`); `None` without it.
fn peak_rss(args: &[&str], scratch: &Path) -> Option<f64> {
    let report = scratch.join("rss.txt");
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_trailproof"))
        .arg("events")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let kb: f64 = std::fs::read_to_string(&report).ok()?.trim().parse().ok()?;
    status.success().then_some(kb / 1e3)
}

/// Runs the CLI's `events` with `args`, stdout into `stdout`; (wall, CPU) seconds.
fn run(args: &[&str], stdout: Stdio) -> (f64, f64) {
    let (t, c) = (Instant::now(), children_cpu());
    let status = Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .arg("events")
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::null())
        .status()
        .expect("run trailproof");
    assert!(status.success(), "trailproof events {args:?}: {status}");
    (t.elapsed().as_secs_f64(), children_cpu() - c)
}

fn parquet_args<'a>(dir: &'a Path, raw: bool, input: &'a str) -> Vec<&'a str> {
    let mut args = vec!["--format", "parquet", "-o", dir.to_str().unwrap()];
    if raw {
        args.push("--raw");
    }
    args.push(input);
    args
}

fn main() {
    let n_events = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<u64>().ok())
        .unwrap_or(200_000);
    let root =
        std::env::temp_dir().join(format!("trailproof-bench-parquet-{}", std::process::id()));
    let corpus = root.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    let per_file = 5_000u64;
    let aws = n_events * 4 / 5;
    let files = aws.div_ceil(per_file);
    for f in 0..files {
        // Four days of files: the output has several date partitions.
        let base = 1_714_521_600_000 + (f * 4 * 86_400_000 / files) as i64;
        let bytes = common::cloudtrail_file(1000 + f, per_file, base);
        std::fs::write(corpus.join(format!("ct-{f:05}.json")), bytes).unwrap();
    }
    let ali = n_events.saturating_sub(files * per_file).max(1);
    std::fs::write(
        corpus.join("actiontrail.json"),
        common::actiontrail_array(7, ali),
    )
    .unwrap();
    let input = corpus.to_str().unwrap();
    let corpus_mb = dir_size(&corpus) as f64 / 1e6;
    println!(
        "corpus: {} CloudTrail files of {per_file} events + {} ActionTrail events, {corpus_mb:.1} MB JSON",
        files, ali
    );

    let json_out = root.join("events.jsonl");
    let pq = root.join("pq");
    let pq_raw = root.join("pq-raw");
    // The same ingest and verification, no event selected: what writing adds is the rest.
    let none = ["--format", "json", "-q", "event_id:no-such-event-id", input];
    let mut best = [(f64::INFINITY, f64::INFINITY); 4];
    let keep = |best: &mut (f64, f64), r: (f64, f64)| *best = (best.0.min(r.0), best.1.min(r.1));
    for _ in 0..3 {
        keep(&mut best[0], run(&none, Stdio::null()));
        let out = std::fs::File::create(&json_out).unwrap();
        keep(&mut best[1], run(&["--format", "json", input], out.into()));
        for (i, (dir, raw)) in [(&pq, false), (&pq_raw, true)].into_iter().enumerate() {
            let _ = std::fs::remove_dir_all(dir);
            keep(
                &mut best[i + 2],
                run(&parquet_args(dir, raw, input), Stdio::null()),
            );
        }
    }
    let events = std::fs::read_to_string(&json_out).unwrap().lines().count();
    let sizes = [0, dir_size(&json_out), dir_size(&pq), dir_size(&pq_raw)];
    // Peak memory, one more run each (outputs rewritten in place).
    let scratch_pq = root.join("pq-rss");
    let rss: Vec<Option<f64>> = (0..4)
        .map(|i| {
            let _ = std::fs::remove_dir_all(&scratch_pq);
            match i {
                0 => peak_rss(&none, &root),
                1 => peak_rss(&["--format", "json", input], &root),
                _ => peak_rss(&parquet_args(&scratch_pq, i == 3, input), &root),
            }
        })
        .collect();
    println!("{events} events; best of 3, interleaved");
    println!(
        "{:<34} {:>8} {:>8} {:>12} {:>10} {:>9} {:>10}",
        "command", "wall s", "CPU s", "events/s", "output MB", "× JSON", "peak MB"
    );
    for (i, name) in [
        "ingest + verify only (no output)",
        "--format json",
        "--format parquet",
        "--format parquet --raw",
    ]
    .iter()
    .enumerate()
    {
        println!(
            "{:<34} {:>8.2} {:>8.2} {:>12.0} {:>10.1} {:>9.2} {:>10}",
            name,
            best[i].0,
            best[i].1,
            events as f64 / best[i].0,
            sizes[i] as f64 / 1e6,
            best[i].0 / best[1].0,
            rss[i].map_or("-".to_string(), |m| format!("{m:.0}"))
        );
    }
    for (i, name) in [(1, "json"), (2, "parquet"), (3, "parquet --raw")] {
        let (wall, cpu) = (best[i].0 - best[0].0, best[i].1 - best[0].1);
        println!(
            "writing alone ({name}): {wall:.2} s wall, {cpu:.2} s CPU, {:.0} events/s of CPU",
            events as f64 / cpu.max(1e-9)
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
