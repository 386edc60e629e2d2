//! `cargo xtask`: the project's development tasks.
//!
//! * `serve` — install missing tools, build the release site, serve it on 127.0.0.1:8080.
//! * `dist` — install missing tools and build the static site into `dist/`.
//! * `test` — everything CI runs: format, lints, native tests, wasm tests in headless Chromium,
//!   and end-to-end tests of the built site.
//! * `sharded` — the chain-sharded verification job on a local Dask cluster (part of `test`).
//! * `reproducible` — builds the site twice (the second time from an empty target dir) and
//!   fails unless every file of `dist/` comes out byte for byte the same; `--own-crates` is
//!   the cheaper check `test` runs (no machine path in `dist/`, the project's crates rebuilt).
//!
//! Tools are installed only when missing, from the package registries only (crates.io, npm,
//! Debian), so a fresh machine needs nothing but Rust and this repository.
#![forbid(unsafe_code)]

// Shared with the binaries' build scripts (`include!`), which alone use the watch list.
#[allow(dead_code)]
mod commit;
mod python;
mod reproducible;
mod selfcontained;
mod site;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dist") => dist().map(|_| ()),
        Some("reproducible") if args.get(1).is_some_and(|a| a == "--own-crates") => {
            reproducible::own_crates(&root().join("dist"))
        }
        Some("reproducible") => reproducible::check(),
        Some("serve") => serve(),
        Some("test") => test(),
        Some("wasm-test") => tools::ensure_wasm_test_tools().and_then(|env| wasm_tests(&env)),
        Some("fuzz") => fuzz(),
        Some("sharded") => sharded_verify(),
        Some("parquet") => parquet_duckdb(),
        Some("self-contained") => selfcontained::check(&root()),
        Some("e2e") => tools::ensure_browser()
            .and_then(|env| Ok(env.with(tools::ensure_firefox()?)))
            .and_then(|env| dist().and_then(|_| e2e(&env))),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <serve|dist|test|wasm-test|e2e|sharded>
  serve      build the release site and serve it on http://127.0.0.1:8080
  dist       build the release site into dist/
  test       everything: fmt, clippy, native tests, wasm tests, end-to-end tests
  wasm-test  only the wasm tests in headless Chromium
  e2e        only the end-to-end tests of the built site
  sharded    only the chain-sharded verification job on a local Dask cluster
  reproducible  build the site twice (the second from an empty target dir) and compare every file
  reproducible --own-crates  check dist/ for machine paths, rebuild only the project's crates, compare
  fuzz       only the fuzz runs: committed seeds, then TRAILPROOF_FUZZ_SECONDS per target (default 10)
  parquet    only the DuckDB check of `events --format parquet` (uses the built debug CLI)
  self-contained  only the check that no tracked file names a path outside the repository";

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs a command in the workspace root, failing with its description if it fails.
fn run(cmd: &mut Command) -> Result {
    eprintln!("xtask: $ {}", describe(cmd));
    let status = cmd
        .current_dir(root())
        .status()
        .map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // The xtask builds each configuration once (CI starts from a clean clone): incremental
    // state would only take disk, gigabytes of it over the debug builds of every test target.
    // A developer's own choice (the variable set) is kept.
    if std::env::var_os("CARGO_INCREMENTAL").is_none() {
        cmd.env("CARGO_INCREMENTAL", "0");
    }
    cmd
}

/// Builds the release site into `dist/` and post-processes it (CSP hashes, outside-host scan).
fn dist() -> Result<PathBuf> {
    let dist = root().join("dist");
    build_site(&dist, None, &site_commit())?;
    Ok(dist)
}

/// Builds the release site into `out` (with `target_dir` as Cargo's target directory when
/// given) and finishes it: CSP, sample, build manifest and service-worker file list.
///
/// What makes two builds of one commit byte-identical on any machine: the commit is passed
/// in (`TRAILPROOF_COMMIT`, read by the binaries' `build.rs`), and the paths rustc would embed
/// in panic locations are remapped — crates from the registry otherwise carry this machine's
/// `CARGO_HOME` (`--remap-path-prefix`; Cargo keeps rustflags out of `-C metadata`, so
/// symbol names do not depend on the paths either). Trunk names files by a hash of their
/// content, wasm-bindgen and wasm-opt are pinned (`tools.rs`) and deterministic, and the
/// sample zip has fixed timestamps. `docs/reproducible.md` is the reviewer's side.
fn build_site(out: &Path, target_dir: Option<&Path>, commit: &str) -> Result {
    let path = tools::ensure_build_tools()?;
    let mut cmd = Command::new("trunk");
    cmd.args(["build", "--release", "--dist"])
        .arg(out)
        .env("PATH", &path)
        .env("TRAILPROOF_COMMIT", commit)
        .env("CARGO_ENCODED_RUSTFLAGS", remapped_rustflags(target_dir));
    if let Some(dir) = target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    run(&mut cmd)?;
    site::finish(out)?;
    site::pack_sample(&root().join("web/sample"), out)?;
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    site::identity(
        out,
        &site::BuildFacts {
            version: env!("CARGO_PKG_VERSION"),
            commit,
            rustc: &rustc,
        },
    )
}

/// The source commit a site build states: `TRAILPROOF_COMMIT` when set, else asked of git
/// (with `+dirty` for uncommitted changes). Computed once per build, or once for both builds
/// of a reproducibility check: a commit made while one runs must not make them differ.
fn site_commit() -> String {
    std::env::var("TRAILPROOF_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| commit::source_commit(&root()))
}

/// The caller's rustflags plus remappings of every absolute path a build may embed: the
/// Cargo home (registry sources), the target dir (generated sources) and the workspace.
/// Later remappings win where several match, so the most specific comes last.
fn remapped_rustflags(target_dir: Option<&Path>) -> String {
    let mut flags: Vec<String> = match std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        Ok(f) if !f.is_empty() => f.split('\x1f').map(str::to_owned).collect(),
        _ => std::env::var("RUSTFLAGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    };
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let target = target_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root().join("target"));
    let mut remap = |from: &Path, to: &str| {
        flags.push(format!("--remap-path-prefix={}={to}", from.display()));
    };
    remap(&root(), "/trailproof");
    remap(&target, "/trailproof/target");
    if let Some(home) = cargo_home {
        remap(&home, "/cargo");
    }
    flags.join("\x1f")
}

fn serve() -> Result {
    let dist = dist()?;
    let server =
        trailproof_e2e::Server::start(&dist, "127.0.0.1:8080".parse().map_err(|e| format!("{e}"))?)
            .map_err(|e| format!("cannot listen on 127.0.0.1:8080: {e}"))?;
    eprintln!(
        "xtask: serving {} on {}/ (Ctrl-C to stop)",
        dist.display(),
        server.origin()
    );
    server.wait();
    Ok(())
}

/// The wasm test targets: every library crate with a `tests/wasm.rs`.
const WASM_TEST_PACKAGES: &[(&str, &str)] = &[
    ("trailproof-core", "crates/core"),
    ("trailproof-tlog", "crates/tlog"),
    ("trailproof-chain", "crates/chain"),
    ("trailproof-events", "crates/events"),
    ("trailproof-analysis", "crates/analysis"),
    ("trailproof-archive", "crates/archive"),
    ("trailproof-web", "crates/web"),
];

fn test() -> Result {
    if let Some(free) = free_disk_bytes(&root()) {
        eprintln!(
            "xtask: {} free on the disk of {} (a clean run takes about 5 GiB)",
            gib(free),
            root().display()
        );
    }
    let mut phases = Phases::default();
    let result = test_phases(&mut phases);
    phases.print();
    result?;
    eprintln!("xtask: all checks passed");
    Ok(())
}

/// Every check CI runs, each timed as a phase (the table is printed even when one fails, so a
/// slow or failing phase is visible in the CI log).
fn test_phases(phases: &mut Phases) -> Result {
    phases.time("self-contained", || selfcontained::check(&root()))?;
    let (env, wasm_env) = phases.time("tool installs", || {
        let env = tools::ensure_browser()?.with(tools::ensure_firefox()?);
        let wasm_env = tools::ensure_wasm_test_tools()?;
        tools::ensure_build_tools()?;
        tools::ensure_cargo_fuzz()?;
        Ok((env, wasm_env))
    })?;
    phases.time("fmt", || {
        run(cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    phases.time("clippy", || {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
        run(cargo().args([
            "clippy",
            "-p",
            "trailproof-web",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    phases.time(
        "native tests",
        || run(cargo().args(["test", "--workspace"])),
    )?;
    phases.time("sharded verify", sharded_verify)?;
    phases.time("parquet (duckdb)", parquet_duckdb)?;
    phases.time("wasm tests", || wasm_tests(&wasm_env))?;
    phases.time("site build", || dist().map(|_| ()))?;
    phases.time("reproducible (own crates)", || {
        reproducible::own_crates(&root().join("dist"))
    })?;
    phases.time("e2e", || e2e(&env))?;
    phases.time("fuzz", fuzz)?;
    Ok(())
}

/// The chain-sharded verification jobs (`docs/scale.md`): the Spark one is syntax-checked
/// (PySpark needs a JRE and a ~300 MB download), the Dask one runs on a `LocalCluster` over
/// three testdata sets and must merge to the report `trailproof verify` gives on all of them
/// at once (its `--check`).
fn sharded_verify() -> Result {
    let started = std::time::Instant::now();
    let python = python::with_packages(&[("distributed", "dask[distributed]")])?;
    eprintln!(
        "xtask: Python with dask[distributed] ready in {:.1} s (PyPI only when missing)",
        started.elapsed().as_secs_f64()
    );
    let cache = root().join("target/tools/pycache");
    for script in [
        "contrib/spark/verify_sharded.py",
        "contrib/dask/verify_sharded.py",
    ] {
        run(Command::new(&python)
            .env("PYTHONPYCACHEPREFIX", &cache)
            .args(["-m", "py_compile", script]))?;
    }
    run(cargo().args(["build", "-p", "trailproof-cli"]))?;
    let job = Command::new(&python)
        .current_dir(root())
        .env("PYTHONPYCACHEPREFIX", &cache)
        .args([
            "contrib/dask/verify_sharded.py",
            "--check",
            "--workers",
            "2",
        ])
        .arg("--trailproof")
        .arg(root().join("target/debug/trailproof"))
        .args([
            "testdata/fixtures/synthetic_aws",
            "testdata/fixtures/synthetic_cts",
            "web/sample",
        ])
        .status()
        .map_err(|e| format!("contrib/dask/verify_sharded.py: {e}"))?;
    // 0, 1 and 3 are the merged verdict (the AWS set holds tampered files on purpose).
    match job.code() {
        Some(0 | 1 | 3) => Ok(()),
        _ => Err(format!("contrib/dask/verify_sharded.py failed ({job})")),
    }
}

/// DuckDB reads `trailproof events --format parquet` of the fixtures as Hive-partitioned
/// Parquet, and its events per provider agree with `--format json` (docs/parquet.md). Uses the
/// debug CLI the native tests built; DuckDB comes from PyPI into the xtask venv when missing.
fn parquet_duckdb() -> Result {
    const CHECK: &str = r#"
import collections, json, sys, duckdb
jsonl, out = sys.argv[1], sys.argv[2]
with open(jsonl, encoding="utf-8") as f:
    want = collections.Counter(json.loads(line)["provider"] for line in f if line.strip())
files = out + "/**/*.parquet"
got = dict(duckdb.execute(
    "SELECT provider, count(*) FROM read_parquet(?, hive_partitioning=true) GROUP BY ALL",
    [files]).fetchall())
versions = duckdb.execute(
    "SELECT DISTINCT decode(value) FROM parquet_kv_metadata(?) "
    "WHERE decode(key) = 'trailproof.schema_version'", [files]).fetchall()
if got != dict(want) or len(versions) != 1:
    sys.exit(f"DuckDB per provider {got}, JSON {dict(want)}, schema versions {versions}")
print(f"xtask: DuckDB {duckdb.__version__} agrees with JSON: {sorted(got.items())}, schema {versions[0][0]}")
"#;
    let python = python::with_packages(&[("duckdb", "duckdb")])?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let cli = target.join("debug/trailproof");
    if !cli.is_file() {
        run(cargo().args(["build", "-p", "trailproof-cli"]))?;
    }
    let work = target.join("xtask-parquet");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let (jsonl, out) = (work.join("events.jsonl"), work.join("parquet"));
    let stdout = std::fs::File::create(&jsonl).map_err(|e| format!("{}: {e}", jsonl.display()))?;
    run(Command::new(&cli)
        .args(["events", "--format", "json"])
        .arg(fixtures_dir())
        .stdout(stdout))?;
    run(Command::new(&cli)
        .args(["events", "--format", "parquet", "-o"])
        .arg(&out)
        .arg(fixtures_dir()))?;
    let script = work.join("check.py");
    std::fs::write(&script, CHECK).map_err(|e| format!("{}: {e}", script.display()))?;
    run(Command::new(python).arg(&script).arg(&jsonl).arg(&out))
}

/// Wall time per phase of `cargo xtask test`, and the disk space left after it (a CI machine's
/// disk is not ours alone: a run that fills it should say which phase did).
#[derive(Default)]
struct Phases(Vec<Phase>);

struct Phase {
    name: &'static str,
    took: std::time::Duration,
    ok: bool,
    free_after: Option<u64>,
}

impl Phases {
    fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let start = std::time::Instant::now();
        let out = f();
        self.0.push(Phase {
            name,
            took: start.elapsed(),
            ok: out.is_ok(),
            free_after: free_disk_bytes(&root()),
        });
        out
    }

    fn print(&self) {
        let total: std::time::Duration = self.0.iter().map(|p| p.took).sum();
        eprintln!("xtask: phase                 wall   disk free after");
        for phase in &self.0 {
            let free = phase.free_after.map_or_else(|| "?".to_owned(), gib);
            let mark = if phase.ok { "" } else { "  FAILED" };
            eprintln!(
                "xtask: {:<20} {:>7.1} s {free:>10}{mark}",
                phase.name,
                phase.took.as_secs_f64()
            );
        }
        eprintln!("xtask: {:<20} {:>7.1} s", "total", total.as_secs_f64());
    }
}

/// `bytes` in GiB, one decimal.
fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

/// Bytes free on the file system holding `path`, from POSIX `df -Pk` (None where there is no
/// `df` or its output is not POSIX: the figure is a diagnostic, never a check).
fn free_disk_bytes(path: &Path) -> Option<u64> {
    let out = Command::new("df").arg("-Pk").arg(path).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let kib: u64 = text
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

fn wasm_tests(env: &tools::Env) -> Result {
    for (package, dir) in WASM_TEST_PACKAGES {
        if !root().join(dir).join("tests/wasm.rs").is_file() {
            continue;
        }
        let mut cmd = cargo();
        cmd.args([
            "test",
            "-p",
            package,
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "wasm",
        ]);
        env.apply(&mut cmd);
        run(&mut cmd)?;
    }
    Ok(())
}

/// Runs every fuzz target: first over its committed seeds (`fuzz/seeds/<target>/`, a fast
/// regression pass that replays every input once), then explores for a bounded time
/// (`TRAILPROOF_FUZZ_SECONDS`, default 10) from a working corpus seeded with the committed
/// seeds and, where they are inputs of the right kind, the test fixtures.
///
/// cargo-fuzz needs nightly-only compiler flags (sanitizers, coverage); this machine has only a
/// stable toolchain, so the build runs with `RUSTC_BOOTSTRAP=1`, which unlocks them on stable.
/// All targets are built once, up front; the runs reuse that build.
fn fuzz() -> Result {
    tools::ensure_cargo_fuzz()?;
    let seconds = std::env::var("TRAILPROOF_FUZZ_SECONDS").unwrap_or_else(|_| "10".into());
    let dir = root().join("fuzz");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml"))
        .map_err(|e| format!("fuzz/Cargo.toml: {e}"))?;
    let targets: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|l| l.trim_end_matches('"'))
        .filter(|name| *name != "trailproof-fuzz")
        .collect();
    if targets.is_empty() {
        return Err("no fuzz targets found in fuzz/Cargo.toml".into());
    }
    let fuzz_cmd = |args: &[&str]| {
        let mut cmd = cargo();
        cmd.current_dir(&dir)
            .env("RUSTC_BOOTSTRAP", "1")
            .arg("fuzz")
            .args(args);
        cmd
    };
    let status = |mut cmd: Command, what: &str| -> Result {
        eprintln!("xtask: $ (fuzz) {}", describe(&cmd));
        let status = cmd.status().map_err(|e| format!("cargo fuzz: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(what.to_owned())
        }
    };
    status(fuzz_cmd(&["build"]), "cargo fuzz build failed")?;
    let fixtures = fixtures_dir();
    for target in &targets {
        let seeds = dir.join("seeds").join(target);
        let corpus = dir.join("corpus").join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| e.to_string())?;
        // Regression first: every committed seed once. A crash here is a known input that
        // broke again, reported before any exploration time is spent.
        if seeds.is_dir() {
            let mut cmd = fuzz_cmd(&["run", target]);
            cmd.arg(&seeds)
                .args(["--", "-runs=0", "-rss_limit_mb=2048"]);
            status(
                cmd,
                &format!("fuzz target {target} crashed on a committed seed in fuzz/seeds/{target}/: see fuzz/artifacts/{target}/"),
            )?;
            copy_files(&seeds, &corpus)?;
        }
        if matches!(*target, "events_ingest" | "core_input" | "chain_scan") {
            copy_files(&fixtures, &corpus)?;
        }
        let mut cmd = fuzz_cmd(&["run", target]);
        cmd.arg(&corpus).args([
            "--",
            &format!("-max_total_time={seconds}"),
            "-max_len=65536",
            "-rss_limit_mb=2048",
        ]);
        status(
            cmd,
            &format!("fuzz target {target} failed: see fuzz/artifacts/{target}/"),
        )?;
    }
    Ok(())
}

/// The test fixtures: `TRAILPROOF_FIXTURES` when set, else `testdata/fixtures` in the repository.
fn fixtures_dir() -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("testdata/fixtures"))
}

/// Copies the regular files directly in `from` into `to` (not recursing).
fn copy_files(from: &Path, to: &Path) -> Result {
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries.flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))
                .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn e2e(env: &tools::Env) -> Result {
    let mut cmd = cargo();
    // Every e2e test target; one browser at a time keeps a 2-core machine responsive.
    cmd.args([
        "test",
        "-p",
        "trailproof-e2e",
        "--tests",
        "--",
        "--ignored",
        "--test-threads=1",
    ]);
    env.apply(&mut cmd);
    cmd.env("AXE_CORE", tools::ensure_axe()?);
    cmd.env("TRAILPROOF_DIST", root().join("dist"));
    cmd.env("TRAILPROOF_FIXTURES", fixtures_dir());
    run(&mut cmd)
}
