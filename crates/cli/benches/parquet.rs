//! `trailproof events --format parquet` against `--format json` on the same generated corpus,
//! measured in the same run.
//!
//! `cargo bench -p trailproof-cli --bench parquet [-- <events>]` (default 200,000 events) writes a
//! corpus to the temp dir (delivery-sized CloudTrail files of 5,000 events spread over four days,
//! and an ActionTrail export of a fifth of the events, plain JSON) and runs the bench-profile
//! binary on it three times each, interleaved: `--format json` into a file, `--format parquet`,
//! and `--format parquet --raw`. It prints the best wall and CPU time (user + system of the
//! child, all threads) of each, events per second, output size, and the ratio to JSON. Both
//! outputs include the same ingest and verification, so the ratio is of whole commands.
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
    let mut best = [(f64::INFINITY, f64::INFINITY); 3];
    for _ in 0..3 {
        let out = std::fs::File::create(&json_out).unwrap();
        let r = run(&["--format", "json", input], out.into());
        best[0] = (best[0].0.min(r.0), best[0].1.min(r.1));
        for (i, (dir, raw)) in [(&pq, false), (&pq_raw, true)].into_iter().enumerate() {
            let _ = std::fs::remove_dir_all(dir);
            let mut args = vec!["--format", "parquet", "-o", dir.to_str().unwrap()];
            if raw {
                args.push("--raw");
            }
            args.push(input);
            let r = run(&args, Stdio::null());
            best[i + 1] = (best[i + 1].0.min(r.0), best[i + 1].1.min(r.1));
        }
    }
    let events = std::fs::read_to_string(&json_out).unwrap().lines().count();
    let sizes = [dir_size(&json_out), dir_size(&pq), dir_size(&pq_raw)];
    println!("{events} events; best of 3, interleaved");
    println!(
        "{:<26} {:>8} {:>8} {:>12} {:>10} {:>9}",
        "command", "wall s", "CPU s", "events/s", "output MB", "× JSON"
    );
    for (i, name) in [
        "--format json",
        "--format parquet",
        "--format parquet --raw",
    ]
    .iter()
    .enumerate()
    {
        println!(
            "{:<26} {:>8.2} {:>8.2} {:>12.0} {:>10.1} {:>9.2}",
            name,
            best[i].0,
            best[i].1,
            events as f64 / best[i].0,
            sizes[i] as f64 / 1e6,
            best[i].0 / best[0].0
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
