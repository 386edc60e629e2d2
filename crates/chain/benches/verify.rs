//! Digest-chain verification throughput, next to raw inflate + SHA-256 of the same bytes.
//!
//! `cargo bench -p trailproof-chain --bench verify` generates an export in memory (by default
//! 300 hourly digests × 4 logs × ~0.9 MB of event JSON ≈ 1.08 GB uncompressed, signed with the
//! throwaway test key), then measures, in the same run:
//!
//! * baseline: inflate the first gzip member of every log and SHA-256 it, nothing else;
//! * verify: `scan` every file and `Verifier::finish`, single-threaded, then on all cores.
//!
//! Throughput is MB/s (10^6 bytes) of *uncompressed log data*. Each figure is the best of
//! three rounds. Set `TRAILPROOF_BENCH_DIGESTS` / `TRAILPROOF_BENCH_LOG_BYTES` to resize.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Read;
use std::time::Instant;

use sha2::{Digest, Sha256};
use trailproof_chain::{scan, ScanLimits, Scanned, Verifier, VerifyOptions};
use trailproof_core::report::Verdict;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn baseline(logs: &[&[u8]]) -> u64 {
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for bytes in logs {
        let mut dec = flate2::bufread::GzDecoder::new(*bytes);
        let mut sha = Sha256::new();
        loop {
            let n = dec.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            total += n as u64;
            sha.update(&buf[..n]);
        }
        std::hint::black_box(sha.finalize());
    }
    total
}

fn verify(files: &[(String, Vec<u8>)], threads: usize) -> Verdict {
    let limits = ScanLimits::default();
    let scanned: Vec<Scanned> = if threads <= 1 {
        files
            .iter()
            .map(|(p, b)| scan(p, &mut b.as_slice(), &limits))
            .collect()
    } else {
        let chunk = files.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|(p, b)| scan(p, &mut b.as_slice(), &limits))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        })
    };
    let mut v = Verifier::new(VerifyOptions::default());
    for s in scanned {
        v.add(s);
    }
    v.finish().verdict
}

/// This thread's CPU time in seconds (Linux `schedstat`), so single-threaded figures do not
/// depend on how busy the machine is; `None` elsewhere.
fn cpu_secs() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<u64>().ok()? as f64 / 1e9)
}

/// Wall-clock and (when available) this thread's CPU seconds of `f`.
fn time(f: impl FnOnce()) -> (f64, f64) {
    let (t, c) = (Instant::now(), cpu_secs());
    f();
    let wall = t.elapsed().as_secs_f64();
    (
        wall,
        c.and_then(|c0| Some(cpu_secs()? - c0)).unwrap_or(wall),
    )
}

fn min2(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0.min(b.0), a.1.min(b.1))
}

fn main() {
    // `cargo test --benches` runs benches with `--test`-like flags: keep that cheap.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let digests = env("TRAILPROOF_BENCH_DIGESTS", 300);
    let log_bytes = env("TRAILPROOF_BENCH_LOG_BYTES", 900_000);
    let t = Instant::now();
    let g = common::AwsGen {
        logs_per_hour: 4,
        log_padding: log_bytes,
        ..Default::default()
    };
    let ex = g.simple(digests);
    let files = ex.standard();
    let logs: Vec<&[u8]> = ex.logs.iter().map(|k| ex.files[k].as_slice()).collect();
    let stored: usize = logs.iter().map(|l| l.len()).sum();
    println!(
        "generated {} digests, {} logs ({:.1} MB stored) in {:.1} s",
        ex.digests.len(),
        logs.len(),
        stored as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    assert_eq!(verify(&files, 1), Verdict::Valid);
    // Interleave the measurements so machine load affects all of them alike.
    let inf = (f64::INFINITY, f64::INFINITY);
    let (mut base, mut one, mut all, mut inflated) = (inf, inf, inf, 0);
    for _ in 0..3 {
        base = min2(base, time(|| inflated = baseline(&logs)));
        one = min2(one, time(|| assert_eq!(verify(&files, 1), Verdict::Valid)));
        all = min2(
            all,
            time(|| assert_eq!(verify(&files, cores), Verdict::Valid)),
        );
    }

    let mb = inflated as f64 / 1e6;
    println!(
        "uncompressed log data: {mb:.1} MB in {} digests",
        ex.digests.len()
    );
    println!("single thread, by CPU time of the measuring thread (robust to machine load):");
    println!("  baseline inflate+SHA-256: {:>8.1} MB/s", mb / base.1);
    println!(
        "  verify:                   {:>8.1} MB/s  ratio {:.3}",
        mb / one.1,
        base.1 / one.1
    );
    println!("wall clock:");
    println!(
        "  baseline inflate+SHA-256 (1 thread): {:>8.1} MB/s",
        mb / base.0
    );
    println!(
        "  verify (1 thread):                   {:>8.1} MB/s  ratio {:.3}",
        mb / one.0,
        base.0 / one.0
    );
    println!(
        "  verify ({cores} threads):                  {:>8.1} MB/s  ratio {:.3}",
        mb / all.0,
        base.0 / all.0
    );
}
