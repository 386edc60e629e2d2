//! `trailproof merge`: the JSON reports of `verify --chain` shards become the report of one
//! run over all their files (`trailproof_chain::shard::merge`; docs/scale.md).

use std::path::PathBuf;
use std::process::ExitCode;

use trailproof_chain::shard;
use trailproof_core::report::{Report, ShardEvents};
use trailproof_events::dedup;
use trailproof_events::store::{self, Identities, IdentityFile, Run};

use crate::cmd_verify::{self, Format};

/// Arguments of `trailproof merge`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 unless every event the shards counted is verified (as `verify --require-verified`).
    #[arg(long)]
    require_verified: bool,
    /// Reports written by `trailproof verify --chain ID --format json`, one per shard.
    #[arg(required = true, value_name = "REPORT.json")]
    reports: Vec<PathBuf>,
}

/// Exit status for usage errors and unreadable reports.
const EXIT_USAGE: u8 = 2;

/// Runs the command: exit as `verify` (0 valid, 1 invalid, 3 incomplete), 2 when a report
/// cannot be read or the reports overlap.
pub fn run(args: Args) -> ExitCode {
    let mut reports: Vec<Report> = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let parsed = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<Report>(&b).map_err(|e| e.to_string()));
        match parsed {
            Ok(r) => reports.push(r),
            Err(e) => {
                eprintln!("trailproof: {}: {e}", path.display());
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    // With every shard's event identities, events are grouped as one run groups them (the
    // shards' own conflict notes give way to the whole run's); without, coverage is summed.
    let exact = reports
        .iter()
        .all(|r| r.coverage.is_none() || r.shard_events.is_some());
    let mut events = Vec::new();
    for (n, r) in reports.iter_mut().enumerate() {
        let Some(e) = r.shard_events.take() else {
            continue;
        };
        if exact {
            dedup::strip_conflict_notes(r);
        }
        match decode(e) {
            Ok(run) => events.push(run),
            Err(msg) => {
                eprintln!("trailproof: {}: {msg}", args.reports[n].display());
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    let mut report = match shard::merge(reports) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trailproof: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if exact && report.coverage.is_some() {
        let runs: Vec<Run<'_>> = events
            .iter()
            .map(|(identities, seq)| Run { identities, seq })
            .collect();
        match store::merge_identities(&runs, &mut report) {
            Ok(coverage) => report.coverage = Some(coverage),
            Err(e) => {
                eprintln!("trailproof: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    } else if !exact {
        eprintln!(
            "trailproof: some reports carry no event identities (not from `verify --chain`?): coverage is their sum, events with copies in two shards are counted twice"
        );
    }
    cmd_verify::print_report(&report, args.format);
    ExitCode::from(cmd_verify::exit_code(&report, args.require_verified))
}

/// A report's event identities and each file's position.
fn decode(e: ShardEvents) -> Result<(Identities, Vec<u64>), String> {
    use base64::Engine;
    let rows = base64::engine::general_purpose::STANDARD
        .decode(e.rows.as_bytes())
        .map_err(|err| format!("its event identities are not base64: {err}"))?;
    let seq = e.files.iter().map(|f| f.seq).collect();
    let files = e
        .files
        .into_iter()
        .map(|f| IdentityFile {
            path: f.path,
            rows: f.events,
        })
        .collect();
    Ok((Identities { files, rows }, seq))
}
