//! `trailproof verify`: verify CloudTrail and Huawei CTS digest chains offline.
//!
//! The command is three steps, kept apart so another verification mode (a sealed archive
//! with `--vkey`) can reuse the first and last: gather every input file as scanned facts
//! ([`expand_inputs`], then [`crate::load::load`] on all cores), verify ([`verify_chains`]), render ([`print_report`]).
//!
//! The same read of each file loads its events ([`crate::load`]), so the report carries the
//! events' integrity coverage: a valid chain speaks only for the events its digests list,
//! and the headline says how many those are.

use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use trailproof_chain::{Scanned, Verifier, VerifyOptions};
use trailproof_core::input::{self, Control};
use trailproof_core::report::{Coverage, ItemKind, Level, Note, Reason, Report, Status, Verdict};
use trailproof_events::ingest::IngestOptions;
use trailproof_events::EventStore;

use crate::fs_input;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain language, one line per problem, a summary and what to do.
    Text,
    /// The report contract (see docs/report.md).
    Json,
}

/// Arguments of `trailproof verify`.
#[derive(clap::Args)]
pub struct Args {
    /// Public keys: `aws cloudtrail list-public-keys` output, PEM, base64 or DER (repeatable).
    #[arg(long = "keys", value_name = "FILE")]
    keys: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Directories, archives (.zip, .tar, .tar.gz/.tgz) or files; together they make one report.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Exit 1 unless every event among the inputs is verified (listed with a matching hash
    /// by a digest whose signature verified), even when the chains are valid.
    #[arg(long)]
    require_verified: bool,
    /// Print which files each digest chain's verification needs (the shards, see
    /// docs/scale.md) instead of verifying.
    #[arg(long, conflicts_with_all = ["chain", "require_verified"])]
    plan: bool,
    /// Verify only the shard holding chain ID (a chain or shard id from `--plan`, or
    /// `unassigned`): only its files are read and judged; `trailproof merge` unites the shards'
    /// JSON reports into the report of one run.
    #[arg(long, value_name = "ID")]
    chain: Option<String>,
    /// With `--chain`: the plan `verify --plan --format json` wrote, instead of planning again.
    #[arg(long, value_name = "FILE", requires = "chain")]
    plan_file: Option<PathBuf>,
    /// Sealed-archive verification (`--vkey`, `--pin`, `--nonce`, `--period`).
    #[command(flatten)]
    archive: crate::cmd_verify_archive::ArchiveArgs,
}

/// Exit status for usage errors and unreadable input.
const EXIT_USAGE: u8 = 2;

/// Runs the command: exit 0 valid, 1 invalid, 3 incomplete, 2 usage error or no readable input.
pub fn run(args: Args) -> ExitCode {
    // Sharded digest-chain verification (docs/scale.md).
    if args.plan {
        return crate::cmd_verify_shard::run_plan(&args.inputs, args.format);
    }
    // A sealed archive (given --vkey, or found by its manifest) is verified by its own module.
    if let Some(code) =
        crate::cmd_verify_archive::dispatch(&args.archive, &args.inputs, args.format)
    {
        return code;
    }
    let keys = match crate::fs_input::read_key_files(&args.keys) {
        Ok(keys) => keys,
        Err(message) => {
            eprintln!("trailproof: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if let Some(id) = &args.chain {
        return crate::cmd_verify_shard::run_chain(crate::cmd_verify_shard::ChainArgs {
            id,
            plan_file: args.plan_file.as_deref(),
            keys: &keys,
            inputs: &args.inputs,
            format: args.format,
            require_verified: args.require_verified,
        });
    }
    let (files, notes) = expand_inputs(&args.inputs);
    // One read of every entry, on all cores, for the chain scan and the events alike.
    let loaded = crate::load::load(&files, notes, &IngestOptions::default(), &|_| true);
    if loaded.files_read == 0 {
        eprintln!("trailproof: no readable input");
        return ExitCode::from(EXIT_USAGE);
    }
    // Sorting and grouping the events and verifying the chains are independent: both at once.
    let (verified, mut store) = std::thread::scope(|s| {
        let verifier = s.spawn(|| verify_chains(loaded.scanned, &keys));
        let store = loaded.ingest.finish();
        let verified = verifier
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (verified, store)
    });
    let mut report = match verified {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("trailproof: {msg}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    report.notes.extend(loaded.notes);
    apply_integrity(&mut store, &mut report);
    let nothing = report.items.is_empty();
    print_report(&report, args.format);
    if nothing {
        eprintln!("trailproof: no digest, log or trace files found in the input");
        return ExitCode::from(EXIT_USAGE);
    }
    ExitCode::from(exit_code(&report, args.require_verified))
}

/// The exit status: the verdict's (0 valid, 1 invalid, 3 incomplete), except that with
/// `require_verified` a report whose events are not all verified exits 1.
pub fn exit_code(report: &Report, require_verified: bool) -> u8 {
    let code = report.verdict.exit_code();
    let all_verified = report.coverage.is_some_and(|c| c.all_verified());
    if require_verified && code == 0 && !all_verified {
        return 1;
    }
    code
}

/// Judges every event of `store` by `report` and records the result in both: the store's
/// per-event states, the report's coverage block, and a note on each file holding a
/// conflicting duplicate.
pub fn apply_integrity(store: &mut EventStore, report: &mut Report) {
    store.apply_report(report);
    trailproof_events::dedup::note_conflicts(store, report);
    report.coverage = Some(store.coverage());
}

/// One input file's outcome: its position, what its entries gave, notes, and whether it opened.
type FileResult<T> = (usize, Vec<T>, Vec<Note>, bool);

/// Expands command-line inputs into `(disk path, report name)` pairs, plus notes for inputs
/// that could not be read. Names are relative to the input; with several inputs, directory
/// contents keep the directory's name in front.
pub fn expand_inputs(inputs: &[PathBuf]) -> (Vec<(PathBuf, String)>, Vec<Note>) {
    let mut notes = Vec::new();
    let mut files = Vec::new();
    let several = inputs.len() > 1;
    for arg in inputs {
        match fs_input::expand(arg) {
            Ok(found) => {
                let is_dir = arg.is_dir();
                let root = arg
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                for f in found {
                    // With several inputs, directory contents keep the directory's name in
                    // front so paths stay distinct (they still end with the S3 key).
                    let name = if several && is_dir && !root.is_empty() {
                        format!("{root}/{}", f.relative)
                    } else {
                        f.relative
                    };
                    files.push((f.path, name));
                }
            }
            Err(e) => {
                eprintln!("trailproof: {}: {e}", arg.display());
                notes.push(Note {
                    severity: Level::Error,
                    path: arg.display().to_string(),
                    message: e.to_string(),
                });
            }
        }
    }
    (files, notes)
}

/// Walks the files of `files` that `open` accepts (by report name) on all cores, handing
/// every entry (a plain file, or each file inside an archive) to `each`; returns what it
/// gave, in input order, with `notes` in front of the walk's own, and how many files opened.
pub fn walk_files<T: Send>(
    files: &[(PathBuf, String)],
    mut notes: Vec<Note>,
    open: &(dyn Fn(&str) -> bool + Sync),
    each: &(dyn Fn(input::Entry<'_>) -> Option<T> + Sync),
) -> (Vec<T>, Vec<Note>, usize) {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<FileResult<T>>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len().max(1));
    let limits = input::Limits::default();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((path, name)) = files.get(i) else {
                    break;
                };
                if !open(name) {
                    continue;
                }
                let mut out = Vec::new();
                let mut file_notes = Vec::new();
                let opened = match File::open(path) {
                    Ok(mut file) => {
                        let diags = input::walk(name, &mut file, &limits, &mut |entry| {
                            out.extend(each(entry));
                            Control::Continue
                        });
                        file_notes.extend(diags.into_iter().map(|d| Note {
                            severity: d.severity.into(),
                            path: d.path.clone(),
                            message: d.error.to_string(),
                        }));
                        true
                    }
                    Err(e) => {
                        eprintln!("trailproof: {}: {e}", path.display());
                        file_notes.push(Note {
                            severity: Level::Error,
                            path: name.clone(),
                            message: e.to_string(),
                        });
                        false
                    }
                };
                results
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((i, out, file_notes, opened));
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|r| r.0);
    let mut out = Vec::new();
    let mut files_read = 0;
    for (_, s, n, opened) in results {
        out.extend(s);
        notes.extend(n);
        files_read += usize::from(opened);
    }
    (out, notes, files_read)
}

/// Verifies digest chains over scanned files with extra key files `(label, bytes)`.
pub fn verify_chains(scanned: Vec<Scanned>, keys: &[(String, Vec<u8>)]) -> Result<Report, String> {
    let mut verifier = Verifier::new(VerifyOptions::default());
    for (label, bytes) in keys {
        verifier
            .add_keys(label, bytes)
            .map_err(|e| format!("--keys {label}: {e}"))?;
    }
    for s in scanned {
        verifier.add(s);
    }
    Ok(verifier.finish())
}

/// The JSON output: the report's own fields, plus `build` (which Trailproof made it).
#[derive(serde::Serialize)]
struct ReportJson<'a> {
    #[serde(flatten)]
    report: &'a Report,
    build: trailproof_core::tool::Tool,
}

/// Prints the report on stdout in the chosen format.
pub fn print_report(report: &Report, format: Format) {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // A closed pipe (`trailproof verify … | head`) is not an error worth a panic or a message.
    match format {
        // Streamed: a report of thousands of items need not exist twice in memory.
        Format::Json => match serde_json::to_writer_pretty(
            &mut out,
            &ReportJson {
                report,
                build: crate::tool(),
            },
        ) {
            Ok(()) => {
                let _ = out.write_all(b"\n");
            }
            Err(e) if e.is_io() => {}
            Err(e) => eprintln!("trailproof: cannot serialise the report: {e}"),
        },
        Format::Text => {
            let _ = out.write_all(render_text(report).as_bytes());
        }
    }
    let _ = out.flush();
}

/// The report for people: one line per problem, a summary, and what to do.
pub fn render_text(report: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut unreferenced = 0usize;
    for item in report.problems() {
        if item.status == Status::Unreferenced {
            unreferenced += 1;
            if unreferenced > 5 {
                continue;
            }
        }
        let label = match item.status {
            Status::Invalid => "INVALID",
            Status::Missing => "MISSING",
            Status::Unverifiable => "UNVERIFIED",
            Status::Unreferenced => "UNLISTED",
            Status::Valid => "valid",
        };
        let _ = writeln!(out, "{label:<10} {}: {}", item.path, item.message);
    }
    if unreferenced > 5 {
        let _ = writeln!(
            out,
            "{:<10} … and {} more log files no digest lists",
            "UNLISTED",
            unreferenced - 5
        );
    }
    for gap in &report.gaps {
        let _ = writeln!(
            out,
            "{:<10} {} to {}: {}",
            "GAP", gap.start, gap.end, gap.message
        );
    }
    for chain in &report.chains {
        if let Some(before) = &chain.continues_before {
            let _ = writeln!(
                out,
                "{:<10} chain {} goes on before the supplied files (previous digest {before} was not supplied); it was checked from there on",
                "NOTE", chain.id
            );
        }
    }
    if report
        .chains
        .iter()
        .any(|c| c.provider == trailproof_core::report::Provider::Cts)
    {
        let _ = writeln!(
            out,
            "{:<10} Huawei CTS protects files with MD5, which is weak against deliberate collisions: a match rules out accidental change, less so a determined forger",
            "NOTE"
        );
    }
    for note in report.notes.iter().filter(|n| n.severity != Level::Info) {
        let _ = writeln!(out, "{:<10} {}: {}", "WARNING", note.path, note.message);
    }

    if let Some(line) = headline(report) {
        let _ = writeln!(out, "\n{line}");
    }
    let c = &report.counts;
    let digests = report
        .items
        .iter()
        .filter(|i| i.kind == trailproof_core::report::ItemKind::Digest)
        .count();
    let _ = writeln!(
        out,
        "\n{}: {} digest file(s) and {} log file(s) in {} chain(s): {} valid, {} invalid, {} missing, {} unverifiable, {} unlisted; {} gap(s).",
        report.verdict.as_str().to_uppercase(),
        digests,
        report.items.len() - digests,
        report.chains.len(),
        c.valid,
        c.invalid,
        c.missing,
        c.unverifiable,
        c.unreferenced,
        report.gaps.len()
    );

    let coverage = report.coverage.unwrap_or_default();
    let mut todo = hints(report);
    if coverage.failed > 0 {
        todo.push("Events marked failed come from changed files or contradict verified records: do not rely on them (trailproof events --query integrity:failed lists them).");
    }
    if coverage.unprotected > 0 {
        todo.push("Events with no integrity protection (ActionTrail, GCP, Azure, LookupEvents or console exports, logs without their digests) are as trustworthy as the copy you were given: supply the digest files, or seal exports when you collect them (trailproof seal).");
    }
    if report.verdict == Verdict::Valid && todo.is_empty() {
        todo.push("Nothing to do: every supplied file verified.");
    }
    for t in todo {
        let _ = writeln!(out, "What to do: {t}");
    }
    out
}

/// Advice for files changed, moved or replaced after delivery.
const CHANGED: &str = "Files were changed, moved or replaced after delivery: compare them with the bucket and treat the hours they cover as untrustworthy.";
/// Advice for logs whose only listing is an untrusted digest.
const UNTRUSTED_LISTING: &str = "Log files marked UNVERIFIED are listed only by a digest that cannot be trusted (its signature failed, or its key or signature metadata is missing): they are not proven changed, nor proven intact. Each message names that digest: supply what it lacks (its public key with --keys, its head-object metadata beside it, or an unaltered copy of it from the bucket) and verify again; a digest whose signature failed is the file to examine.";

/// The "What to do" advice, keyed by reason, and by kind where a digest and the logs it
/// lists need different advice for one reason (`None`: any kind). One table, so that every
/// reason's advice is in one place and printed once, in table order.
const HINTS: &[(Reason, Option<ItemKind>, &str)] = &[
    (Reason::HashMismatch, None, CHANGED),
    (Reason::TrailingData, None, CHANGED),
    (Reason::SignatureInvalid, None, CHANGED),
    (Reason::ChainMismatch, None, CHANGED),
    (Reason::Moved, None, CHANGED),
    (
        Reason::NotListed,
        None,
        "Log files \"a digest covering this time … does not list\" should be listed by that verified digest and are not: they were added or altered after delivery. Treat them as evidence of tampering and their events as forged; compare each with the delivered copy in the bucket (CloudTrail: unless a _backfill digest that was not supplied lists it).",
    ),
    (
        Reason::NotFound,
        None,
        "Files are missing: export the bucket again (aws s3 sync keeps the key layout) and verify again; if they are gone from the bucket too, they were deleted.",
    ),
    (
        Reason::Malformed,
        None,
        "Some files are corrupt or truncated: download them again.",
    ),
    (
        Reason::SignatureUnavailable,
        Some(ItemKind::Digest),
        "Export the head-object metadata of the newest digest (aws s3api head-object --bucket BUCKET --key KEY > DIGEST.head-object.json, or the OBS metadata for CTS) and put it beside the digest.",
    ),
    (
        Reason::KeyNotFound,
        Some(ItemKind::Digest),
        "Supply the public keys: aws cloudtrail list-public-keys --region REGION --start-time ... > keys.json, then --keys keys.json.",
    ),
    (Reason::SignatureUnavailable, Some(ItemKind::Log), UNTRUSTED_LISTING),
    (Reason::KeyNotFound, Some(ItemKind::Log), UNTRUSTED_LISTING),
    (
        Reason::NotReferenced,
        None,
        "Log files no digest lists are normal for the last hour; verify again after the next digest is delivered.",
    ),
];

/// The table's advice for the reasons among `report`'s items, each once, in table order.
pub fn hints(report: &Report) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for &(reason, kind, text) in HINTS {
        let applies = report
            .items
            .iter()
            .any(|i| i.reason == Some(reason) && kind.is_none_or(|k| k == i.kind));
        if applies && !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// The sentence that says what holds: the chains' verdict and how many events it speaks for,
/// e.g. "Chains valid · 4 of 51 events verified · 47 have no integrity protection". `None`
/// when no events were counted.
pub fn headline(report: &Report) -> Option<String> {
    let c: Coverage = report.coverage?;
    let chains = if report.items.is_empty() {
        "No digest chains".to_owned()
    } else {
        format!("Chains {}", report.verdict.as_str())
    };
    Some(coverage_headline(chains, &c))
}

/// `subject` (what was verified and its verdict, e.g. "Chains valid" or "Archive valid")
/// followed by what it speaks for ([`Coverage::phrases`]).
pub fn coverage_headline(subject: String, c: &Coverage) -> String {
    std::iter::once(subject)
        .chain(c.phrases())
        .collect::<Vec<_>>()
        .join(" · ")
}
