//! `trailproof verify --plan` and `trailproof verify --chain ID`: digest-chain verification
//! sharded by chain (`docs/scale.md`). What goes in which shard is decided by
//! `trailproof_chain::shard`; here the inputs are only walked, scanned and printed.
//!
//! Planning reads the small files (digests, signature metadata, keys, unknown files) in full
//! and logs only by name and size; the few logs whose records decide their chain (no digest
//! lists them and their name places them in no supplied chain) are then scanned and the plan
//! made again. `--chain` reads only the files of its shard (and the shared key files), so
//! shards verified on different machines together read every file once.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use trailproof_chain::shard::{self, log_kind_by_name, Plan, PlanInput, PLAN_VERSION, UNASSIGNED};
use trailproof_chain::{scan, ScanLimits};
use trailproof_core::report::{group_digits, Note, ShardEventFile, ShardEvents};
use trailproof_events::ingest::IngestOptions;
use trailproof_events::store::Identities;

use crate::cmd_verify::{self, Format};

/// Exit status for usage errors and unreadable input.
const EXIT_USAGE: u8 = 2;

/// The plan of `files` (`(disk path, report name)`), the walk's notes after `notes`, and how
/// many files opened.
pub fn make_plan(
    inputs: &[PathBuf],
    files: &[(PathBuf, String)],
    notes: Vec<Note>,
) -> (Plan, Vec<Note>, usize) {
    let limits = ScanLimits::default();
    let (mut planned, notes, files_read) =
        cmd_verify::walk_files(files, notes, &|_| true, &|entry| {
            Some(match log_kind_by_name(entry.path) {
                Some(kind) => PlanInput::Named {
                    path: entry.path.to_owned(),
                    stored_size: entry.size.unwrap_or_else(|| count(entry.reader)),
                    kind,
                },
                None => PlanInput::Scanned(scan(entry.path, entry.reader, &limits)),
            })
        });
    let mut plan = shard::plan(&planned);
    if !plan.needs_scan.is_empty() {
        // Read the logs whose records decide, and plan again (once: a scanned log never
        // needs a scan).
        let wanted: HashSet<&str> = plan.needs_scan.iter().map(String::as_str).collect();
        let holders = holders(wanted.iter().copied());
        let (scanned, _, _) = cmd_verify::walk_files(
            files,
            Vec::new(),
            &|name| holders.contains(name),
            &|entry| {
                wanted
                    .contains(entry.path)
                    .then(|| scan(entry.path, entry.reader, &limits))
            },
        );
        for s in scanned {
            if let Some(p) = planned
                .iter_mut()
                .find(|p| matches!(p, PlanInput::Named { path, .. } if *path == s.path))
            {
                *p = PlanInput::Scanned(s);
            }
        }
        plan = shard::plan(&planned);
    }
    plan.inputs = inputs.iter().map(|p| p.display().to_string()).collect();
    (plan, notes, files_read)
}

/// Stored bytes left in `reader` (an archive entry whose container states no size).
fn count(reader: &mut dyn Read) -> u64 {
    std::io::copy(reader, &mut std::io::sink()).unwrap_or(0)
}

/// Every name a disk file holding one of `paths` can have: the path itself (a plain file)
/// and each of its `/`-prefixes (an archive holding it).
fn holders<'a>(paths: impl Iterator<Item = &'a str>) -> HashSet<&'a str> {
    let mut out = HashSet::new();
    for p in paths {
        out.insert(p);
        for (i, _) in p.match_indices('/') {
            out.insert(&p[..i]);
        }
    }
    out
}

/// `verify --plan`: prints the plan. Exit 0, or 2 when nothing was readable.
pub fn run_plan(inputs: &[PathBuf], format: Format) -> ExitCode {
    let (files, notes) = cmd_verify::expand_inputs(inputs);
    let (plan, notes, files_read) = make_plan(inputs, &files, notes);
    if files_read == 0 {
        eprintln!("trailproof: no readable input");
        return ExitCode::from(EXIT_USAGE);
    }
    for n in &notes {
        eprintln!("trailproof: {}: {}", n.path, n.message);
    }
    let text = match format {
        Format::Json => match serde_json::to_string_pretty(&plan) {
            Ok(s) => s + "\n",
            Err(e) => {
                eprintln!("trailproof: cannot serialise the plan: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
        Format::Text => render_plan(&plan),
    };
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

fn render_plan(plan: &Plan) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for s in &plan.shards {
        let _ = writeln!(
            out,
            "{:<10} {}: {} chain(s), {} digest(s), {} log(s), {} signature file(s), {} file(s), {} bytes",
            if s.id == UNASSIGNED { "UNASSIGNED" } else { "SHARD" },
            s.id,
            s.chains.len(),
            s.digests,
            s.logs,
            s.sidecars,
            s.files.len(),
            group_digits(s.bytes)
        );
        if s.chains.len() > 1 {
            let _ = writeln!(out, "{:<10} joined: {}", "", s.chains.join(", "));
        }
        for f in s.files.iter().filter(|f| f.why.is_some()) {
            let why = f.why.map(|w| w.describe()).unwrap_or_default();
            let _ = writeln!(out, "{:<10} {}: {why}", "", f.path);
        }
    }
    for f in &plan.shared {
        let _ = writeln!(out, "{:<10} {} (read by every shard)", "SHARED", f.path);
    }
    let _ = writeln!(
        out,
        "\n{} shard(s); verify each with `trailproof verify --chain ID` and the same inputs, then `trailproof merge` the JSON reports.",
        plan.shards.len()
    );
    out
}

/// What `verify --chain` was asked.
pub struct ChainArgs<'a> {
    /// The shard id, a chain id in it, or `unassigned`.
    pub id: &'a str,
    /// A plan written by `verify --plan --format json`, instead of planning again.
    pub plan_file: Option<&'a Path>,
    /// `--keys` files as `(name, bytes)`.
    pub keys: &'a [(String, Vec<u8>)],
    /// The command-line inputs.
    pub inputs: &'a [PathBuf],
    /// Output format.
    pub format: Format,
    /// `--require-verified`.
    pub require_verified: bool,
}

fn read_plan(path: &Path) -> Result<Plan, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let plan: Plan = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a plan: {e}", path.display()))?;
    if plan.version != PLAN_VERSION {
        return Err(format!(
            "{}: plan version {} (this trailproof reads version {PLAN_VERSION})",
            path.display(),
            plan.version
        ));
    }
    if !plan.needs_scan.is_empty() {
        return Err(format!("{}: the plan is not final", path.display()));
    }
    Ok(plan)
}

/// `verify --chain ID`: verifies one shard's files; exit as `verify` (0, 1, 3; 2 usage, or
/// when a planned file is not among the inputs).
pub fn run_chain(args: ChainArgs<'_>) -> ExitCode {
    let (files, notes) = cmd_verify::expand_inputs(args.inputs);
    let plan = match args.plan_file {
        Some(p) => match read_plan(p) {
            Ok(plan) => plan,
            Err(e) => {
                eprintln!("trailproof: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
        None => make_plan(args.inputs, &files, Vec::new()).0,
    };
    let Some(shard) = plan.shard(args.id) else {
        // No shard is a valid, empty answer only for the unassigned one.
        if args.id != UNASSIGNED {
            eprintln!(
                "trailproof: no shard or chain {} in the plan (see `trailproof verify --plan`)",
                args.id
            );
            return ExitCode::from(EXIT_USAGE);
        }
        return verify_shard(&plan, None, &files, notes, &args);
    };
    verify_shard(&plan, Some(shard), &files, notes, &args)
}

fn verify_shard(
    plan: &Plan,
    shard: Option<&shard::Shard>,
    files: &[(PathBuf, String)],
    notes: Vec<Note>,
    args: &ChainArgs<'_>,
) -> ExitCode {
    let reads: HashSet<&str> = match shard {
        Some(s) => s.reads(plan).collect(),
        None => plan.shared.iter().map(|f| f.path.as_str()).collect(),
    };
    let holders = holders(reads.iter().copied());
    // The unassigned shard also opens the files in which the plan found nothing (an
    // unreadable archive): their problems are reported once, by it.
    let planned = holders_of_plan(plan);
    let unassigned = shard.is_none_or(|s| s.id == UNASSIGNED);
    let open = |name: &str| holders.contains(name) || (unassigned && !planned.contains(name));
    let select = |path: &str| reads.contains(path);
    // One read of each selected entry, on all cores, for the scan and the events; each event
    // is counted by the shard that judges its file.
    let opened: Vec<(PathBuf, String)> = files
        .iter()
        .filter(|(_, name)| open(name))
        .cloned()
        .collect();
    let loaded = crate::load::load(&opened, notes, &IngestOptions::default(), &select);
    // Every event's identity, copies included, before this shard drops its own copies:
    // `merge` groups the events of all shards as one run does.
    let identities = loaded.ingest.identities();
    let (scanned, notes, mut store) = (loaded.scanned, loaded.notes, loaded.ingest.finish());
    let found: HashSet<&str> = scanned.iter().map(|s| s.path.as_str()).collect();
    let absent: Vec<&&str> = reads.iter().filter(|p| !found.contains(**p)).collect();
    if !absent.is_empty() {
        eprintln!(
            "trailproof: {} planned file(s) are not among the inputs (first: {}); give the same inputs as the plan ({})",
            absent.len(),
            absent[0],
            plan.inputs.join(" ")
        );
        return ExitCode::from(EXIT_USAGE);
    }
    let mut report = match cmd_verify::verify_chains(scanned, args.keys) {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("trailproof: {msg}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    report.notes.extend(notes);
    cmd_verify::apply_integrity(&mut store, &mut report);
    match shard_events(shard, identities) {
        Ok(events) => report.shard_events = Some(events),
        Err(path) => {
            eprintln!("trailproof: {path}: events of a file the plan does not give this shard");
            return ExitCode::from(EXIT_USAGE);
        }
    }
    cmd_verify::print_report(&report, args.format);
    ExitCode::from(cmd_verify::exit_code(&report, args.require_verified))
}

/// The report's [`ShardEvents`]: each file's position from the plan, the rows in base64.
/// Fails with the path of a file holding events that is not the shard's.
fn shard_events(
    shard: Option<&shard::Shard>,
    identities: Identities,
) -> Result<ShardEvents, String> {
    use base64::Engine;
    let seq: HashMap<&str, u64> = shard
        .map(|s| s.files.iter().map(|f| (f.path.as_str(), f.seq)).collect())
        .unwrap_or_default();
    let files = identities
        .files
        .into_iter()
        .map(|f| match seq.get(f.path.as_str()) {
            Some(&seq) => Ok(ShardEventFile {
                seq,
                events: f.rows,
                path: f.path,
            }),
            None => Err(f.path),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ShardEvents {
        files,
        rows: base64::engine::general_purpose::STANDARD.encode(&identities.rows),
    })
}

fn holders_of_plan(plan: &Plan) -> HashSet<&str> {
    holders(plan.paths())
}
