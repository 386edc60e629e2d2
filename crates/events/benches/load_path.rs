//! Issue 12, goal 1, natively: the load path of gzip CloudTrail logs against its ceiling
//! (inflate + SHA-256 + a skipping JSON scan of the same bytes), in the same run. The
//! in-browser twin is `tests/wasm_bench.rs`; both run `tests/common/load_path.rs`.
//!
//! `cargo bench -p trailproof-events --bench load_path [-- FILES EVENTS_PER_FILE]` (default
//! 20 × 5,000 events, then 2,000 × 50 events: small files take the CLI's one-inflate path).
//! Times are this thread's CPU time (Linux `schedstat`; wall clock elsewhere), best of three,
//! since the bench machine is shared.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/load_path.rs"]
mod load_path;

use std::time::Instant;

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let start = Instant::now();
    let cpu = std::fs::read_to_string("/proc/thread-self/schedstat").is_ok();
    let now = move || -> f64 {
        if cpu {
            if let Some(ns) = std::fs::read_to_string("/proc/thread-self/schedstat")
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            {
                return ns as f64 / 1e6;
            }
        }
        start.elapsed().as_secs_f64() * 1e3
    };
    println!(
        "native, {} time, best of 3",
        if cpu { "thread CPU" } else { "wall" }
    );
    let sets = match args[..] {
        [files, per_file, ..] => vec![(files, per_file)],
        _ => vec![(20, 5_000), (2_000, 50)],
    };
    for (files, per_file) in sets {
        let c = load_path::Corpus::cloudtrail(files, per_file);
        for line in load_path::run(&c, &now, 3) {
            println!("{line}");
        }
    }
}
