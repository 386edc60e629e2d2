//! `trailproof report`: the auditor report. Verifies digest chains, loads events and runs the
//! compliance and findings analysis over the same inputs, then writes HTML, JSON or CSV.
//!
//! Reproducible: without `--as-of` the report is "as of" the newest event (not the wall
//! clock), inputs are walked in sorted order, so the same inputs give the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use trailproof_analysis::report::{AuditReport, InputFile, KeyUsed, ReportInputs};
use trailproof_analysis::{AnalysisOptions, Analyzer, Cidr, Requirement, SigmaRuleSet};
use trailproof_chain::{parse_key_file, FileKind, Verifier, VerifyOptions};
use trailproof_core::hash::FileHasher;
use trailproof_core::input::{self, Control, Limits};
use trailproof_events::ingest::IngestOptions;

use crate::fs_input;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A self-contained HTML document (prints to PDF).
    Html,
    /// The whole report as JSON.
    Json,
    /// The findings as CSV.
    Csv,
}

/// Arguments of `trailproof report`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Html)]
    format: Format,
    /// The report's "as of" time (RFC 3339); default: the newest event's time, so the same
    /// inputs always give the same report.
    #[arg(long, value_name = "RFC3339")]
    as_of: Option<String>,
    /// Public keys for digest verification (list-public-keys JSON, PEM, base64 or DER; repeatable).
    #[arg(long = "keys", value_name = "FILE")]
    keys: Vec<PathBuf>,
    /// Sigma rules: a .yml/.yaml file or a directory of them (repeatable).
    #[arg(long = "rules", value_name = "DIR_OR_FILE")]
    rules: Vec<PathBuf>,
    /// Write the report here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// Retention requirements to judge: mlps, pci, hipaa, sox or a number of days
    /// (repeatable; default: the four presets).
    #[arg(long = "require", value_name = "PRESET|DAYS")]
    require: Vec<String>,
    /// Regions that should have events (repeatable or comma-separated).
    #[arg(long = "expect-region", value_name = "REGION")]
    expect_region: Vec<String>,
    /// Leave events by this actor out of every rule (name or ID, `*` wildcard; repeatable).
    #[arg(long = "allow-actor", value_name = "ACTOR")]
    allow_actor: Vec<String>,
    /// Leave events from this network out of every rule (CIDR; repeatable).
    #[arg(long = "allow-ip", value_name = "CIDR")]
    allow_ip: Vec<String>,
    /// Networks logons are expected from; enables the allowed-networks rule (repeatable).
    #[arg(long = "logon-network", value_name = "CIDR")]
    logon_network: Vec<String>,
    /// Switch a rule off by id (`root-logon`, `call-rate-spike`, `sigma:<id>`; repeatable).
    #[arg(long = "disable", value_name = "RULE")]
    disable: Vec<String>,
    /// Time zone for business hours (IANA name such as Asia/Shanghai, or +08:00).
    #[arg(long = "time-zone", value_name = "TZ", default_value = "UTC")]
    time_zone: String,
    /// Business hours, `START-END` in whole hours (end exclusive), Monday to Friday.
    #[arg(long = "business-hours", value_name = "H-H", default_value = "8-18")]
    business_hours: String,
    /// Silence of more than this many hours in one account × region counts as a gap.
    #[arg(long = "min-gap-hours", value_name = "HOURS", default_value_t = 24)]
    min_gap_hours: i64,
    /// Consecutive failed logons that make a finding.
    #[arg(long = "failures", value_name = "N", default_value_t = 5)]
    failures: usize,
    /// Window for those failures, seconds.
    #[arg(long = "failure-window", value_name = "SECS", default_value_t = 600)]
    failure_window: i64,
    /// Directories, archives (.zip, .tar, .tar.gz) or files.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

const EXIT_USAGE: u8 = 2;

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("trailproof: {msg}");
    ExitCode::from(EXIT_USAGE)
}

/// Builds the options from the flags.
fn options(args: &Args) -> Result<AnalysisOptions, String> {
    let mut o = AnalysisOptions::default();
    let cidrs = |v: &[String], flag: &str| -> Result<Vec<Cidr>, String> {
        v.iter()
            .flat_map(|s| s.split(','))
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.parse::<Cidr>().map_err(|e| format!("{flag}: {e}")))
            .collect()
    };
    o.rules.allow_ips = cidrs(&args.allow_ip, "--allow-ip")?;
    o.rules.logon_networks = cidrs(&args.logon_network, "--logon-network")?;
    o.rules.allow_actors = args.allow_actor.clone();
    o.rules.disabled = args.disable.iter().cloned().collect();
    o.rules.failure_threshold = args.failures.max(1);
    o.rules.failure_window_secs = args.failure_window.max(1);
    o.rules.business_hours.time_zone = args.time_zone.clone();
    let (a, b) = args
        .business_hours
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u8>().ok()?, b.trim().parse::<u8>().ok()?)))
        .filter(|(a, b)| a < b && *b <= 24)
        .ok_or_else(|| {
            format!(
                "--business-hours {:?}: expected START-END such as 8-18",
                args.business_hours
            )
        })?;
    o.rules.business_hours.start_hour = a;
    o.rules.business_hours.end_hour = b;
    if !args.require.is_empty() {
        o.coverage.requirements = args
            .require
            .iter()
            .flat_map(|s| s.split(','))
            .map(|s| {
                Requirement::parse(s).ok_or_else(|| {
                    format!("--require {s:?}: expected mlps, pci, hipaa, sox or a number of days")
                })
            })
            .collect::<Result<_, _>>()?;
    }
    o.coverage.min_gap_hours = args.min_gap_hours.max(1);
    o.coverage.expected_regions = args
        .expect_region
        .iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Ok(o)
}

/// Runs the command: exit 0 when the report was written, 2 for usage errors or no readable input.
pub fn run(args: Args) -> ExitCode {
    let options = match options(&args) {
        Ok(o) => o,
        Err(e) => return usage(e),
    };
    let as_of_flag = match args.as_of.as_deref() {
        Some(s) => match trailproof_events::time::parse_timestamp(s) {
            Some(ms) => Some(ms),
            None => {
                return usage(format!(
                    "--as-of {s:?}: expected an RFC 3339 time such as 2024-06-30T00:00:00Z"
                ))
            }
        },
        None => None,
    };

    // Keys.
    let mut verifier = Verifier::new(VerifyOptions::default());
    let mut keys_used = Vec::new();
    for path in &args.keys {
        let label = path.display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return usage(format!("--keys {label}: {e}")),
        };
        if let Err(e) = verifier.add_keys(&label, &bytes) {
            return usage(format!("--keys {label}: {e}"));
        }
        if let Ok((keys, _)) = parse_key_file(&bytes, &label) {
            keys_used.extend(
                keys.into_iter()
                    .map(|k| KeyUsed::supplied(k.fingerprint, label.clone())),
            );
        }
    }

    // Sigma rules.
    let mut sigma = SigmaRuleSet::new();
    for path in &args.rules {
        let files = match fs_input::expand(path) {
            Ok(f) => f,
            Err(e) => return usage(format!("--rules {}: {e}", path.display())),
        };
        let direct = path.is_file();
        for f in files {
            let is_yaml = f.relative.ends_with(".yml") || f.relative.ends_with(".yaml");
            if !direct && !is_yaml {
                continue;
            }
            match std::fs::read(&f.path) {
                Ok(bytes) => sigma.load(
                    &f.path.display().to_string(),
                    &String::from_utf8_lossy(&bytes),
                ),
                Err(e) => return usage(format!("--rules {}: {e}", f.path.display())),
            }
        }
    }

    // Inputs: hash, scan for verification, ingest events — one walk per file.
    let mut files = Vec::new();
    let several = args.inputs.len() > 1;
    for arg in &args.inputs {
        match fs_input::expand(arg) {
            Ok(found) => {
                let root = arg
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                for f in found {
                    // As `verify` names them, so verification items and event files agree.
                    let name = if several && arg.is_dir() && !root.is_empty() {
                        format!("{root}/{}", f.relative)
                    } else {
                        f.relative
                    };
                    files.push((f.path, name));
                }
            }
            Err(e) => eprintln!("trailproof: {}: {e}", arg.display()),
        }
    }
    let limits = Limits::default();
    // Every input hashed, then read once, entries scanned and loaded, all on every core.
    let hashed = hash_files(&files);
    let mut inputs = Vec::new();
    let mut readable = Vec::new();
    for ((path, name), digest) in files.iter().zip(hashed) {
        match digest {
            Ok(d) => {
                inputs.push(InputFile {
                    name: name.clone(),
                    size: d.size,
                    sha256: d.sha256_hex(),
                });
                readable.push((path.clone(), name.clone()));
            }
            Err(e) => eprintln!("trailproof: {}: {e}", path.display()),
        }
    }
    let files = readable;
    let loaded = crate::load::load(&files, Vec::new(), &IngestOptions::default(), &|_| true);
    let mut entry_home: BTreeMap<String, usize> = BTreeMap::new();
    let mut any_chain_file = false;
    for (scanned, &home) in loaded.scanned.into_iter().zip(&loaded.homes) {
        any_chain_file |= !matches!(scanned.kind(), FileKind::Other);
        for k in scanned.keys() {
            keys_used.push(KeyUsed::supplied(
                k.fingerprint.clone(),
                scanned.path.clone(),
            ));
        }
        entry_home.insert(scanned.path.clone(), home);
        verifier.add(scanned);
    }
    for (_, summary) in &loaded.summaries {
        // Unknown formats (READMEs, string-to-sign files) are normal beside trails: only
        // errors are printed.
        for d in summary
            .files
            .iter()
            .flat_map(|f| &f.diagnostics)
            .filter(|d| d.severity == trailproof_core::diag::Severity::Error)
        {
            eprintln!("{d}");
        }
        for d in &summary.diagnostics {
            eprintln!("{d}");
        }
    }
    let ingest = loaded.ingest;
    if inputs.is_empty() {
        return usage("no readable input");
    }
    let mut report = verifier.finish();
    let mut store = ingest.finish();
    // Every event's integrity, whether or not there was anything to verify (then all are
    // unprotected), before the analysis reads it.
    crate::cmd_verify::apply_integrity(&mut store, &mut report);
    // Verification is part of the report only when there was something to verify.
    let verification = (any_chain_file && !report.items.is_empty()).then_some(report);
    let as_of = as_of_flag
        .or_else(|| store.time_span().map(|s| s.1))
        .unwrap_or(0);

    // Raw records for the candidate events, one walk per input file that holds any.
    let mut analyzer = Analyzer::new(&store, &sigma, &options);
    let mut by_input: BTreeMap<usize, BTreeMap<String, u32>> = BTreeMap::new();
    for &file in analyzer.plan().files.keys() {
        if let Some(path) = store.files().get(file as usize) {
            if let Some(&home) = entry_home.get(path) {
                by_input.entry(home).or_default().insert(path.clone(), file);
            }
        }
    }
    for (home, wanted) in by_input {
        let Some((path, name)) = files.get(home) else {
            continue;
        };
        let Ok(mut f) = File::open(path) else {
            continue;
        };
        let diags = input::walk(name, &mut f, &limits, &mut |entry| {
            if let Some(&file) = wanted.get(entry.path) {
                analyzer.load_file(file, entry.reader, &limits);
            }
            Control::Continue
        });
        for d in diags {
            eprintln!("{d}");
        }
    }
    let analysis = analyzer.finish(verification.as_ref(), as_of);
    for d in &analysis.sigma_diagnostics {
        eprintln!("trailproof: sigma: {}", d.message());
    }
    for d in &analysis.diagnostics {
        eprintln!("trailproof: {d}");
    }

    // The verification report's own key list (`Report::keys`) is preferred by the report;
    // the keys collected here are the fallback while the verifier does not fill it.
    let dedup: BTreeSet<KeyUsed> = keys_used.into_iter().collect();
    let tool = format!("trailproof {}", env!("CARGO_PKG_VERSION"));
    let built = AuditReport::build(&ReportInputs {
        tool_version: &tool,
        build: Some(crate::tool()),
        inputs,
        keys: dedup.into_iter().collect(),
        verification: verification.as_ref(),
        store: &store,
        analysis: &analysis,
    });
    let written = match &args.output {
        Some(out) => File::create(out).and_then(|f| emit(&built, args.format, f)),
        None => emit(&built, args.format, std::io::stdout().lock()),
    };
    if let Err(e) = written {
        eprintln!("trailproof: cannot write the report: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "trailproof: {} events, {} findings, {} of {} retention requirements met",
        store.len(),
        analysis.findings.len(),
        analysis
            .coverage
            .requirements
            .iter()
            .filter(|r| r.outcome == trailproof_analysis::coverage::Outcome::Pass)
            .count(),
        analysis.coverage.requirements.len()
    );
    for left in &analysis.findings_not_listed {
        eprintln!(
            "trailproof: {} more findings of {} not listed (the first {} of each rule are)",
            left.count,
            left.rule.key(),
            trailproof_analysis::finding::FINDINGS_PER_RULE
        );
    }
    // The process ends here: freeing the report and the analysis one allocation at a time
    // (hundreds of thousands for tens of thousands of findings) would only delay the exit.
    std::mem::forget(built);
    std::mem::forget(analysis);
    ExitCode::SUCCESS
}

/// Writes `report` in `format` to `out`. The JSON is written as it is made: for a report with
/// tens of thousands of findings it is a hundred megabytes.
fn emit<W: Write>(report: &AuditReport, format: Format, out: W) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    match format {
        Format::Json => report.write_json(&mut out)?,
        Format::Html => out.write_all(report.to_html().as_bytes())?,
        Format::Csv => out.write_all(report.findings_csv().as_bytes())?,
    }
    out.flush()
}

/// [`hash_file`] of every file, on all cores, in input order.
fn hash_files(
    files: &[(PathBuf, String)],
) -> Vec<std::io::Result<trailproof_core::hash::FileDigest>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::with_capacity(files.len()));
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((path, _)) = files.get(i) else {
                    break;
                };
                let digest = hash_file(path);
                done.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((i, digest));
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|d| d.0);
    done.into_iter().map(|d| d.1).collect()
}

fn hash_file(path: &std::path::Path) -> std::io::Result<trailproof_core::hash::FileDigest> {
    let mut f = File::open(path)?;
    let mut h = FileHasher::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finish())
}
