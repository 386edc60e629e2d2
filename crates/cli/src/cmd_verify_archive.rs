//! `trailproof verify --vkey KEY ARCHIVE`: sealed-archive verification (`audit-archive/v1`),
//! and the archive reading shared by `seal --append`, `prove` and `verify-proof`.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::io::Read;

use trailproof_archive::frame::JsonArrayReader;
use trailproof_archive::{ArchiveVerifier, Pin, Verification, VerifyOptions, UNANCHORED_MESSAGE};
use trailproof_core::input::{self, Control, Limits};
use trailproof_core::report::{Level, Reason, Status, Verdict};
use trailproof_events::ingest::{Ingest, IngestOptions};
use trailproof_events::EventStore;
use trailproof_tlog::note::{VerifierKey, Verifiers};

use crate::cmd_verify::Format;
use crate::fs_input;

/// Exit status for usage errors and unreadable input.
const EXIT_USAGE: u8 = 2;

/// The sealed-archive options of `trailproof verify`.
#[derive(clap::Args, Debug, Default)]
pub struct ArchiveArgs {
    /// Verifier key of the sealed log (`name+keyid+base64`, `@FILE` or a file of such lines;
    /// repeatable). Given, the inputs are verified as a sealed archive.
    #[arg(long = "vkey", value_name = "VKEY")]
    pub vkeys: Vec<String>,
    /// A checkpoint you hold outside the archive, `SIZE:ROOT` (root in base64 or hex;
    /// repeatable). A pin as large as the archive is the only check against cutting off its end.
    #[arg(long = "pin", value_name = "SIZE:ROOT")]
    pub pins: Vec<String>,
    /// The nonce you requested the export with: the export seal must carry it.
    #[arg(long, value_name = "NONCE")]
    pub nonce: Option<String>,
    /// The seal period the log promises (e.g. 1h): longer silences are reported as gaps.
    #[arg(long, value_name = "PERIOD", value_parser = parse_period)]
    pub period: Option<u64>,
}

/// Parses a period: seconds, or a number with `s`, `m`, `h` or `d`.
pub fn parse_period(s: &str) -> Result<u64, String> {
    let (num, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a period such as 3600, 30m, 1h or 1d"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("{s:?}: the unit must be s, m, h or d")),
    };
    match n.checked_mul(mult) {
        Some(p) if p > 0 => Ok(p),
        _ => Err(format!("{s:?}: the period must be at least 1 second")),
    }
}

/// Expands `--vkey` values: a key, `@FILE`, or the path of an existing file of key lines.
pub fn load_verifiers(values: &[String]) -> Result<Verifiers, String> {
    let mut verifiers = Verifiers::new();
    for value in values {
        let file = match value.strip_prefix('@') {
            Some(p) => Some(PathBuf::from(p)),
            // A vkey always contains '+'; an existing file of that name is still a file.
            None if Path::new(value).is_file() => Some(PathBuf::from(value)),
            None => None,
        };
        let lines: Vec<(String, String)> = match file {
            Some(p) => fs::read_to_string(&p)
                .map_err(|e| format!("cannot read key file {}: {e}", p.display()))?
                .lines()
                .enumerate()
                .map(|(i, l)| (format!("{}:{}", p.display(), i + 1), l.trim().to_owned()))
                .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
                .collect(),
            None => vec![("--vkey".to_owned(), value.clone())],
        };
        for (origin, line) in lines {
            let key = VerifierKey::parse(&line).map_err(|e| format!("{origin}: {e}"))?;
            verifiers.add(key).map_err(|e| format!("{origin}: {e}"))?;
        }
    }
    if verifiers.is_empty() {
        return Err("no verifier keys given (key files were empty)".to_owned());
    }
    Ok(verifiers)
}

/// True if an input is, or holds at its top, a sealed-archive manifest.
pub fn looks_like_archive(inputs: &[PathBuf]) -> bool {
    inputs.iter().any(|p| {
        if p.is_dir() {
            return p.join("manifest").is_file();
        }
        // Only containers are opened to look: a digest-chain run over thousands of plain log
        // files must not read each one twice.
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let container = [".zip", ".tar", ".tgz", ".tar.gz"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if !container {
            return false;
        }
        let Ok(mut f) = File::open(p) else {
            return false;
        };
        let mut found = false;
        input::walk(
            &p.display().to_string(),
            &mut f,
            &Limits::default(),
            &mut |e| {
                if e.path.ends_with("/manifest") || e.path == "manifest" {
                    let mut head = [0u8; 25];
                    found = e.reader.read_exact(&mut head).is_ok()
                        && &head == b"audit-archive/v1 manifest";
                }
                if found {
                    Control::Stop
                } else {
                    Control::Continue
                }
            },
        );
        found
    })
}

/// Called by `trailproof verify` first: handles the run when `--vkey` is given or an input is
/// a sealed archive, and returns its exit code; `None` leaves the run to digest chains.
pub fn dispatch(args: &ArchiveArgs, inputs: &[PathBuf], format: Format) -> Option<ExitCode> {
    if args.vkeys.is_empty() && !looks_like_archive(inputs) {
        return None;
    }
    Some(ExitCode::from(run(args, inputs, format)))
}

fn run(args: &ArchiveArgs, inputs: &[PathBuf], format: Format) -> u8 {
    if args.vkeys.is_empty() {
        eprintln!(
            "trailproof: this is a sealed archive: give the log's verifier key with --vkey (from the log operator, never from the archive)"
        );
        return EXIT_USAGE;
    }
    let verifiers = match load_verifiers(&args.vkeys) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("trailproof: {e}");
            return EXIT_USAGE;
        }
    };
    let mut pins = Vec::new();
    for p in &args.pins {
        match p.parse::<Pin>() {
            Ok(pin) => pins.push(pin),
            Err(e) => {
                eprintln!("trailproof: --pin {e}");
                return EXIT_USAGE;
            }
        }
    }
    if let Some(n) = &args.nonce {
        if !trailproof_archive::text::valid_nonce(n) {
            eprintln!("trailproof: --nonce must be 1–128 visible ASCII characters");
            return EXIT_USAGE;
        }
    }
    let mut options = VerifyOptions::new(verifiers);
    options.pins = pins;
    options.nonce = args.nonce.clone();
    options.period = args.period;
    options.slack = args.period.map_or(0, |p| p / 10);
    options.now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs());
    let mut ingest = Ingest::new(IngestOptions::default());
    let mut verification = match verify_inputs(inputs, options, Some(&mut ingest)) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("trailproof: {e}");
            return EXIT_USAGE;
        }
    };
    let mut store = ingest.finish();
    apply_integrity(&mut store, &mut verification);
    match format {
        Format::Json => match serde_json::to_string_pretty(&verification.report) {
            Ok(json) => {
                use std::io::Write;
                // A closed pipe (`| head`) is not an error worth a panic.
                let _ = writeln!(std::io::stdout().lock(), "{json}");
            }
            Err(e) => eprintln!("trailproof: cannot serialise the report: {e}"),
        },
        Format::Text => {
            use std::io::Write;
            let _ = write!(std::io::stdout().lock(), "{}", render_text(&verification));
        }
    }
    verification.report.verdict.exit_code()
}

/// Feeds every file of the inputs to a verifier: directories file by file (paths relative to
/// the directory), archives (.zip, .tar, .tgz) entry by entry.
pub fn verify_paths(inputs: &[PathBuf], options: VerifyOptions) -> Result<Verification, String> {
    verify_inputs(inputs, options, None)
}

/// [`verify_paths`], also indexing the events of the archive's records files into `ingest`
/// when given, under the same paths, so that the verification's items and the events join.
fn verify_inputs(
    inputs: &[PathBuf],
    options: VerifyOptions,
    mut ingest: Option<&mut Ingest>,
) -> Result<Verification, String> {
    let mut verifier = ArchiveVerifier::new(options);
    let mut add = |path: &str, reader: &mut dyn Read| {
        match ingest.as_deref_mut() {
            // A records file is read once into memory for both: the verifier hashes its
            // frames, ingest reads its records through the JSON-array view.
            Some(ingest) if path.to_ascii_lowercase().ends_with(".rec") => {
                let mut bytes = Vec::new();
                match reader.read_to_end(&mut bytes) {
                    Ok(_) => {
                        verifier.add_bytes(path, &bytes);
                        ingest.add_file(path, &mut JsonArrayReader::new(bytes.as_slice()));
                    }
                    // The verifier reports the unreadable file as its own problem.
                    Err(_) => verifier.add(path, &mut std::io::empty()),
                }
            }
            _ => verifier.add(path, reader),
        }
    };
    let mut read = 0usize;
    for arg in inputs {
        let found = fs_input::expand(arg).map_err(|e| format!("{}: {e}", arg.display()))?;
        if arg.is_dir() {
            for f in found {
                let mut file =
                    File::open(&f.path).map_err(|e| format!("{}: {e}", f.path.display()))?;
                add(&f.relative, &mut file);
                read += 1;
            }
        } else {
            let mut file = File::open(arg).map_err(|e| format!("{}: {e}", arg.display()))?;
            let name = arg
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let diags = input::walk(&name, &mut file, &Limits::default(), &mut |e| {
                add(e.path, e.reader);
                Control::Continue
            });
            for d in diags {
                eprintln!("trailproof: {d}");
            }
            read += 1;
        }
    }
    if read == 0 {
        return Err("no readable input".into());
    }
    Ok(verifier.finish_detailed())
}

/// Judges every event of the archive's records by the archive as a whole
/// ([`Verification::records_integrity`]: records of a verified archive are verified) and
/// records it in the store and the report: its coverage block, and a note on each records
/// file holding conflicting versions of an event.
pub fn apply_integrity(store: &mut EventStore, verification: &mut Verification) {
    let v = &*verification;
    store.apply_integrity(|path| {
        v.records_integrity(path).unwrap_or_else(|| {
            let (state, proof) = v.report.integrity_of(path);
            (state, proof.cloned())
        })
    });
    trailproof_events::dedup::note_conflicts(store, &mut verification.report);
    verification.report.coverage = Some(store.coverage());
}

/// An archive read into memory: `(path, bytes)` pairs and the root prefix (`""` or
/// `folder/`, the folder holding `manifest`).
pub type Loaded = (Vec<(String, Vec<u8>)>, String);

/// Reads a whole archive (directory or container) into memory: `(path relative to the
/// input, bytes)`, and the root prefix.
pub fn load_archive(path: &Path) -> Result<Loaded, String> {
    let mut files = Vec::new();
    if path.is_dir() {
        for f in fs_input::expand(path).map_err(|e| format!("{}: {e}", path.display()))? {
            let bytes = fs::read(&f.path).map_err(|e| format!("{}: {e}", f.path.display()))?;
            files.push((f.relative, bytes));
        }
    } else {
        let mut file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut err = None;
        let diags = input::walk("", &mut file, &Limits::default(), &mut |e| {
            let mut bytes = Vec::new();
            if let Err(x) = e.reader.read_to_end(&mut bytes) {
                err = Some(format!("{}: {x}", e.path));
                return Control::Stop;
            }
            files.push((e.path.trim_start_matches('/').to_owned(), bytes));
            Control::Continue
        });
        if let Some(e) = err {
            return Err(e);
        }
        if let Some(d) = diags.first() {
            return Err(d.to_string());
        }
    }
    let prefix = files
        .iter()
        .map(|(p, _)| p)
        .filter(|p| *p == "manifest" || p.ends_with("/manifest"))
        .min_by_key(|p| p.matches('/').count())
        .map(|p| p[..p.len() - "manifest".len()].to_owned())
        .ok_or_else(|| format!("{}: no manifest: not a sealed archive", path.display()))?;
    Ok((files, prefix))
}

/// The report for people: problems, the seal timeline, the first failure, the anchor warning.
pub fn render_text(v: &Verification) -> String {
    use std::fmt::Write;
    let report = &v.report;
    let mut out = String::new();
    for item in report.problems() {
        let label = match item.status {
            Status::Invalid => "INVALID",
            Status::Missing => "MISSING",
            Status::Unverifiable => "UNVERIFIED",
            Status::Unreferenced => "UNLISTED",
            Status::Valid => "valid",
        };
        let _ = writeln!(out, "{label:<10} {}: {}", item.path, item.message);
    }
    let when = |t: Option<u64>| {
        t.and_then(|t| i64::try_from(t).ok())
            .and_then(|t| jiff::Timestamp::from_second(t).ok())
            .map_or("?".to_string(), |t| t.to_string())
    };
    // The timeline: every seal that is not valid (the first 20), then one summary line.
    for s in v
        .seals
        .iter()
        .filter(|s| s.status != Status::Valid)
        .take(20)
    {
        let _ = writeln!(
            out,
            "{:<10} {} at {} (tree size {}): {}{}",
            "SEAL",
            s.seq,
            when(s.time),
            s.size,
            s.status.as_str(),
            s.reason
                .map_or(String::new(), |r| format!(" ({})", r.as_str()))
        );
    }
    if let (Some(first), Some(last)) = (v.seals.first(), v.seals.last()) {
        let valid = v.seals.iter().filter(|s| s.status == Status::Valid).count();
        let _ = writeln!(
            out,
            "{:<10} {} seal(s) from {} to {} (export seal {}, tree size {}): {valid} valid",
            "SEALS",
            v.seals.len(),
            when(first.time),
            when(last.time),
            last.seq,
            last.size
        );
    }
    for gap in &report.gaps {
        let _ = writeln!(
            out,
            "{:<10} {} to {}: {}",
            "GAP", gap.start, gap.end, gap.message
        );
    }
    if let Some(f) = v.first_failure {
        let _ = writeln!(
            out,
            "{:<10} checkpoint {}: the problem lies in leaves {}..{} (after the previous checkpoint, up to this one)",
            "FIRST FAIL", f.checkpoint, f.start, f.end
        );
    }
    for note in report.notes.iter().filter(|n| n.severity == Level::Warning) {
        let _ = writeln!(out, "{:<10} {}", "WARNING", note.message);
    }
    if !v.anchored && !report.notes.iter().any(|n| n.message == UNANCHORED_MESSAGE) {
        let _ = writeln!(out, "{:<10} {UNANCHORED_MESSAGE}", "WARNING");
    }
    let c = &report.counts;
    let _ = writeln!(
        out,
        "\n{}: sealed archive of log {}: {} leaves, {} seal(s): {} valid, {} invalid, {} missing, {} unverifiable, {} unlisted item(s).",
        report.verdict.as_str().to_uppercase(),
        v.origin.as_deref().unwrap_or("?"),
        v.size,
        v.seals.len(),
        c.valid,
        c.invalid,
        c.missing,
        c.unverifiable,
        c.unreferenced
    );
    if let Some(c) = report.coverage {
        let subject = format!("Archive {}", report.verdict.as_str());
        let _ = writeln!(out, "{}", crate::cmd_verify::coverage_headline(subject, &c));
    }
    let has = |r: Reason| report.items.iter().any(|i| i.reason == Some(r));
    if has(Reason::KeyNotFound) && report.verdict == Verdict::Incomplete {
        let _ = writeln!(
            out,
            "What to do: check --vkey: it must be this log's verifier key, from the log operator."
        );
    }
    if has(Reason::Truncated) || has(Reason::PinMismatch) || has(Reason::NonceMismatch) {
        let _ = writeln!(out, "What to do: this is not the log you anchored: ask the operator for the full, current export.");
    }
    if report.verdict == Verdict::Invalid && v.first_failure.is_some() {
        let _ = writeln!(out, "What to do: treat the records from the first failing checkpoint on as untrustworthy; ask for a fresh export.");
    }
    out
}
