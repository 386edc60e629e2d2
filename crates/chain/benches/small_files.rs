//! Many small files: RSA verify cost, per-file and per-digest verification cost, and the CLI
//! against a straightforward Python script, all measured in the same run.
//!
//! `cargo bench -p trailproof-chain --bench small_files` prints:
//!
//! 1. **RSA-2048 verify** (e = 65537, PKCS#1 v1.5, SHA-256 of a digest's string-to-sign): the
//!    old path (`rsa` 0.9's `RsaPublicKey::verify`, as the chain used until now) and the new
//!    one (`PublicKey::verify_sha256`, per-key Montgomery parameters), µs per verify and ratio.
//! 2. **In-memory verification** of a generated export shaped like real CloudTrail delivery:
//!    1 account × `TRAILPROOF_BENCH_REGIONS` regions (6) × `TRAILPROOF_BENCH_HOURS` hourly
//!    digests (168, one week) each with its `head-object` sidecar, 4 logs per hour of
//!    ~20 events (≈ 13.6 KB JSON) each: 6,048 files by default. `scan` of every file plus
//!    `Verifier::finish`, single thread, by CPU time: µs per file and per digest.
//! 3. **The CLI** on the same export written to a temp dir (`trailproof verify --format json`,
//!    the binary from `TRAILPROOF_CLI`, default `target/release/trailproof`; build it first with
//!    `cargo build --release -p trailproof-cli`), and `benches/verify_export.py` (a
//!    straightforward Python 3 check of the same contract: zlib, hashlib, `cryptography`'s
//!    OpenSSL RSA) when `python3` with `cryptography` is available: wall and CPU time (user +
//!    system of the child, all threads) and the ratio; `trailproof events --format json` on
//!    the same files too. Each figure is the best of three rounds,
//!    interleaved. `TRAILPROOF_BENCH_CLI_HOURS` (default 720, a month) and
//!    `TRAILPROOF_BENCH_CLI_REGIONS` (default 4) size a second, larger export for the CLI only.
//! 4. **Sharded verification** (`docs/scale.md`; `TRAILPROOF_BENCH_ONLY=shard`): an export of
//!    `TRAILPROOF_BENCH_SHARD_REGIONS` (16) regions × `TRAILPROOF_BENCH_SHARD_HOURS` (168)
//!    hours, verified by one `trailproof verify` process, then by `verify --plan` and one
//!    `verify --chain` per shard, every process pinned to one core (`taskset`) under
//!    `/usr/bin/time`: chains per CPU-second, peak RSS per shard, and both against the
//!    one-process run.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};
use trailproof_chain::{scan, PublicKey, ScanLimits, Scanned, Verifier, VerifyOptions};
use trailproof_core::report::Verdict;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// This thread's CPU seconds (Linux `schedstat`); `None` elsewhere.
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<u64>().ok()? as f64 / 1e9)
}

/// User + system CPU seconds of this process's waited-for children (`/proc/self/stat`
/// fields 16 and 17, in clock ticks of 1/100 s on Linux).
fn children_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(13)?.parse::<u64>().ok()? + f.get(14)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// (wall, this thread's CPU) seconds of `f`.
fn time(f: impl FnOnce()) -> (f64, f64) {
    let (t, c) = (Instant::now(), thread_cpu());
    f();
    let wall = t.elapsed().as_secs_f64();
    (
        wall,
        c.and_then(|c0| Some(thread_cpu()? - c0)).unwrap_or(wall),
    )
}

fn min2(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0.min(b.0), a.1.min(b.1))
}

const INF: (f64, f64) = (f64::INFINITY, f64::INFINITY);

/// A CloudTrail export of `regions` × `hours` hourly digests with sidecars and 4 logs/hour.
fn export(regions: usize, hours: usize) -> Vec<(String, Vec<u8>)> {
    const REGIONS: [&str; 17] = [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-northeast-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-south-1",
        "sa-east-1",
        "ca-central-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
        "ap-northeast-2",
        "ap-northeast-3",
    ];
    let mut files = Vec::new();
    for (i, region) in REGIONS.iter().cycle().take(regions).enumerate() {
        let g = common::AwsGen {
            region: format!("{region}{}", if i >= REGIONS.len() { "x" } else { "" }),
            logs_per_hour: 4,
            // ≈ 20 events of ≈ 680 bytes per log, like the export (80,456 events
            // in 4,032 logs, 55 MB of JSON).
            log_padding: 13_300,
            ..Default::default()
        };
        let ex = g.simple(hours);
        let mut part = ex.layout("", false, &|_| true);
        if i > 0 {
            part.retain(|(p, _)| p != "list-public-keys.json");
        }
        files.extend(part);
    }
    files
}

fn verify_in_memory(files: &[(String, Vec<u8>)]) -> (Verdict, usize) {
    let limits = ScanLimits::default();
    let scanned: Vec<Scanned> = files
        .iter()
        .map(|(p, b)| scan(p, &mut b.as_slice(), &limits))
        .collect();
    let mut v = Verifier::new(VerifyOptions::default());
    for s in scanned {
        v.add(s);
    }
    let r = v.finish();
    (r.verdict, r.items.len())
}

/// The least any verifier does with the logs: inflate each one's gzip stream and SHA-256 it.
fn inflate_and_hash(logs: &[&[u8]]) -> u64 {
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for bytes in logs {
        let mut dec = flate2::bufread::GzDecoder::new(*bytes);
        let mut sha = Sha256::new();
        loop {
            let n = std::io::Read::read(&mut dec, &mut buf).expect("generated gzip");
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

fn write_dir(files: &[(String, Vec<u8>)], dir: &Path) {
    for (p, b) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().expect("file paths have a parent"))
            .expect("create dir");
        std::fs::write(path, b).expect("write file");
    }
}

/// Runs `cmd` to completion with output discarded: (wall, children CPU) seconds, or `None` if
/// it could not run or failed.
fn run(cmd: &mut Command) -> Option<(f64, f64)> {
    let c0 = children_cpu()?;
    let t = Instant::now();
    let status = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    let wall = t.elapsed().as_secs_f64();
    let cpu = children_cpu()? - c0;
    status.success().then_some((wall, cpu))
}

fn rsa_figures() {
    let private = common::aws_key();
    let der = common::pkcs1_der(&private);
    let new = PublicKey::from_der(&der, "bench").expect("test key");
    let old = RsaPublicKey::from_pkcs1_der(&der).expect("test key");
    // Messages shaped like a CloudTrail string-to-sign, each with its signature.
    let signed: Vec<(Vec<u8>, Vec<u8>)> = (0..64)
        .map(|i| {
            let msg = format!(
                "2024-05-01T{:02}:00:00Z\nexample-trail-bucket/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_demo_trail_us-east-1_20240501T{:02}0000Z.json.gz\n{}\nnull",
                i % 24,
                i % 24,
                hex::encode(Sha256::digest(i.to_string()))
            )
            .into_bytes();
            let sig = hex::decode(common::sign(&private, &msg)).expect("hex");
            (msg, sig)
        })
        .collect();
    let reps = 16;
    let (mut t_old, mut t_new) = (INF, INF);
    for _ in 0..3 {
        t_old = min2(
            t_old,
            time(|| {
                for _ in 0..reps {
                    for (m, s) in &signed {
                        let ok = old
                            .verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(m), s)
                            .is_ok();
                        assert!(std::hint::black_box(ok));
                    }
                }
            }),
        );
        t_new = min2(
            t_new,
            time(|| {
                for _ in 0..reps {
                    for (m, s) in &signed {
                        assert!(std::hint::black_box(new.verify_sha256(m, s)));
                    }
                }
            }),
        );
    }
    let n = (reps * signed.len()) as f64;
    let (old_us, new_us) = (t_old.1 / n * 1e6, t_new.1 / n * 1e6);
    println!(
        "RSA-2048 verify, e = 65537, SHA-256 (CPU time of this thread, best of 3 × {n} verifies):"
    );
    println!("  old path (rsa 0.9 RsaPublicKey::verify): {old_us:>8.1} µs");
    println!(
        "  new path (PublicKey::verify_sha256):     {new_us:>8.1} µs   {:.1}× faster",
        old_us / new_us
    );
    // Key preparation is paid once per key; show it so nobody hides a per-verify cost there.
    let (prep, _) = time(|| {
        for _ in 0..200 {
            std::hint::black_box(PublicKey::from_der(&der, "bench").expect("test key"));
        }
    });
    println!(
        "  key preparation (DER parse + Montgomery parameters), once per key: {:.1} µs (wall)",
        prep / 200.0 * 1e6
    );
}

fn in_memory_figures(regions: usize, hours: usize) {
    let t = Instant::now();
    let files = export(regions, hours);
    let digests = files
        .iter()
        .filter(|(p, _)| p.contains("CloudTrail-Digest") && p.ends_with(".json.gz"))
        .count();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!(
        "\nexport: {} files ({digests} digests with sidecars, {regions} regions × {hours} h, 4 logs/h), {:.1} MB stored, generated in {:.1} s",
        files.len(),
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let (verdict, items) = verify_in_memory(&files);
    assert_eq!(verdict, Verdict::Valid);
    let logs: Vec<&[u8]> = files
        .iter()
        .filter(|(p, _)| p.contains("/CloudTrail/"))
        .map(|(_, b)| b.as_slice())
        .collect();
    let (mut best, mut base, mut inflated) = (INF, INF, 0u64);
    for _ in 0..3 {
        base = min2(base, time(|| inflated = inflate_and_hash(&logs)));
        best = min2(
            best,
            time(|| {
                std::hint::black_box(verify_in_memory(&files));
            }),
        );
    }
    println!(
        "floor: inflate + SHA-256 of every log ({} logs, {:.1} MB of JSON), 1 thread, CPU: {:.3} s",
        logs.len(),
        inflated as f64 / 1e6,
        base.1
    );
    println!(
        "in-memory scan + verify, 1 thread, CPU time (best of 3): {:.3} s for {items} report items ({:.2}× the floor)",
        best.1,
        best.1 / base.1
    );
    println!(
        "  per file:   {:>7.1} µs    per digest (its sidecar and 4 logs included): {:>7.1} µs",
        best.1 / files.len() as f64 * 1e6,
        best.1 / digests as f64 * 1e6
    );
}

fn cli_figures(regions: usize, hours: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cli = std::env::var_os("TRAILPROOF_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/trailproof"));
    if !cli.exists() {
        println!(
            "\nCLI: {} not found; build it with `cargo build --release -p trailproof-cli` (or set TRAILPROOF_CLI)",
            cli.display()
        );
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/verify_export.py");
    let python = Command::new("python3")
        .args(["-c", "import cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    // TRAILPROOF_BENCH_KEEP=DIR writes the export there and keeps it (for profiling).
    let keep = std::env::var_os("TRAILPROOF_BENCH_KEEP").map(PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("trailproof-small-files-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let files = export(regions, hours);
    write_dir(&files, &dir);
    println!(
        "\nCLI on {} files written to {} ({regions} regions × {hours} h):",
        files.len(),
        dir.display()
    );
    let (mut t_cli, mut t_py, mut t_events) = (INF, INF, INF);
    for _ in 0..3 {
        if let Some(t) = run(Command::new(&cli)
            .args(["verify", "--format", "json"])
            .arg(&dir))
        {
            t_cli = min2(t_cli, t);
        }
        if let Some(t) = run(Command::new(&cli)
            .args(["events", "--format", "json"])
            .arg(&dir))
        {
            t_events = min2(t_events, t);
        }
        if python {
            if let Some(t) = run(Command::new("python3").arg(&script).arg(&dir)) {
                t_py = min2(t_py, t);
            }
        }
    }
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!(
        "  trailproof verify: {:>6.3} s wall, {:>6.3} s CPU",
        t_cli.0, t_cli.1
    );
    println!(
        "  trailproof events: {:>6.3} s wall, {:>6.3} s CPU (every event indexed and printed as JSON, integrity included)",
        t_events.0, t_events.1
    );
    if t_py.0.is_finite() {
        println!(
            "  Python baseline:   {:>6.3} s wall, {:>6.3} s CPU",
            t_py.0, t_py.1
        );
        println!(
            "  CLI faster than the script by CPU time: {:.2}×, by wall time: {:.2}×",
            t_py.1 / t_cli.1,
            t_py.0 / t_cli.0
        );
        println!(
            "  events against the script (which reads no event): {:.2}× by CPU, {:.2}× by wall",
            t_py.1 / t_events.1,
            t_py.0 / t_events.0
        );
    } else {
        println!(
            "  Python baseline: skipped (python3 with `cryptography` not available, or it failed)"
        );
    }
}

/// `/usr/bin/time` of `args` pinned to one core (`taskset -c 0`, when there is one), output
/// discarded: (wall s, CPU s, peak RSS MiB), or `None` if it failed.
fn time_one_core(args: &[&std::ffi::OsStr], out: &Path) -> Option<(f64, f64, f64)> {
    let pinned = Command::new("taskset")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut cmd = if pinned {
        let mut c = Command::new("taskset");
        c.args(["-c", "0", "/usr/bin/time"]);
        c
    } else {
        Command::new("/usr/bin/time")
    };
    cmd.arg("-o")
        .arg(out)
        .args(["-f", "%e %U %S %M"])
        .args(args);
    let status = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    // 1 and 3 are verdicts, not failures.
    if !matches!(status.code(), Some(0 | 1 | 3)) {
        return None;
    }
    let text = std::fs::read_to_string(out).ok()?;
    let f: Vec<f64> = text
        .lines()
        .last()?
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    Some((*f.first()?, f.get(1)? + f.get(2)?, f.get(3)? / 1024.0))
}

/// Sharded verification (docs/scale.md) of a `regions` × `hours` export: the one-process run
/// as baseline, then `verify --plan` and `verify --chain` for every shard, each on one core:
/// chains per CPU-second and peak RSS per chain, and both as ratios to the baseline.
fn shard_figures(regions: usize, hours: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cli = std::env::var_os("TRAILPROOF_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/trailproof"));
    if !cli.exists() || !Path::new("/usr/bin/time").exists() {
        println!(
            "\nShards: needs {} (cargo build --release -p trailproof-cli) and /usr/bin/time",
            cli.display()
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("trailproof-shard-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let files = export(regions, hours);
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    write_dir(&files, &dir.join("export"));
    let export_dir = dir.join("export");
    let timing = dir.join("time.txt");
    let cli_s = cli.as_os_str();
    let input = export_dir.as_os_str();
    let json = std::ffi::OsStr::new("--format=json");
    let verify = std::ffi::OsStr::new("verify");
    println!(
        "\nShards: {} files, {:.1} MB, {regions} regions × {hours} h, every process on one core:",
        files.len(),
        bytes as f64 / 1e6
    );
    let Some(whole) = time_one_core(&[cli_s, verify, json, input], &timing) else {
        println!("  trailproof verify failed");
        return;
    };
    let plan_file = dir.join("plan.json");
    let plan_out = Command::new(&cli)
        .args(["verify", "--plan", "--format", "json"])
        .arg(&export_dir)
        .output()
        .expect("run trailproof verify --plan");
    std::fs::write(&plan_file, &plan_out.stdout).expect("write plan");
    let plan_flag = std::ffi::OsStr::new("--plan");
    let Some(planned) = time_one_core(&[cli_s, verify, plan_flag, json, input], &timing) else {
        println!("  trailproof verify --plan failed");
        return;
    };
    let plan: serde_json::Value =
        serde_json::from_slice(&plan_out.stdout).expect("the plan is JSON");
    let ids: Vec<String> = plan["shards"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut shards = Vec::new();
    for id in &ids {
        let args: Vec<&std::ffi::OsStr> = vec![
            cli_s,
            verify,
            std::ffi::OsStr::new("--chain"),
            std::ffi::OsStr::new(id),
            std::ffi::OsStr::new("--plan-file"),
            plan_file.as_os_str(),
            json,
            input,
        ];
        match time_one_core(&args, &timing) {
            Some(t) => shards.push(t),
            None => println!("  verify --chain {id} failed"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let chains = ids.iter().filter(|i| *i != "unassigned").count();
    let cpu: f64 = shards.iter().map(|s| s.1).sum();
    let mut rss: Vec<f64> = shards.iter().map(|s| s.2).collect();
    rss.sort_by(f64::total_cmp);
    let max_rss = rss.last().copied().unwrap_or(0.0);
    let median_rss = rss.get(rss.len() / 2).copied().unwrap_or(0.0);
    println!(
        "  one process, all files:  {:>7.2} s wall, {:>7.2} s CPU, peak RSS {:>6.1} MiB",
        whole.0, whole.1, whole.2
    );
    println!(
        "  verify --plan:           {:>7.2} s wall, {:>7.2} s CPU, peak RSS {:>6.1} MiB",
        planned.0, planned.1, planned.2
    );
    println!(
        "  verify --chain × {:<3}     {:>7.2} s CPU in all; peak RSS per shard: median {:.1} MiB, max {:.1} MiB",
        shards.len(),
        cpu,
        median_rss,
        max_rss
    );
    println!(
        "  {:.2} chains per CPU-second ({chains} chains of {hours} h); plan + shards cost {:.2}× the one-process CPU; a shard's peak RSS is {:.2}× the one process's",
        chains as f64 / cpu,
        (planned.1 + cpu) / whole.1,
        max_rss / whole.2
    );
}

fn main() {
    // `cargo test --benches` runs benches with `--test`-like flags: keep that cheap.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let only = std::env::var("TRAILPROOF_BENCH_ONLY").unwrap_or_default();
    let want = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);
    if want("rsa") {
        rsa_figures();
    }
    let (regions, hours) = (
        env("TRAILPROOF_BENCH_REGIONS", 6),
        env("TRAILPROOF_BENCH_HOURS", 168),
    );
    if want("memory") {
        in_memory_figures(regions, hours);
    }
    if want("shard") {
        shard_figures(
            env("TRAILPROOF_BENCH_SHARD_REGIONS", 16),
            env("TRAILPROOF_BENCH_SHARD_HOURS", 168),
        );
    }
    if want("cli") {
        cli_figures(regions, hours);
        let (r, h) = (
            env("TRAILPROOF_BENCH_CLI_REGIONS", 4),
            env("TRAILPROOF_BENCH_CLI_HOURS", 720),
        );
        if (r, h) != (regions, hours) && r * h > 0 {
            cli_figures(r, h);
        }
    }
}
