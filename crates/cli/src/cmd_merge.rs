//! `trailproof merge`: the JSON reports of `verify --chain` shards become the report of one
//! run over all their files (`trailproof_chain::shard::merge`; docs/scale.md).

use std::path::PathBuf;
use std::process::ExitCode;

use trailproof_chain::shard;
use trailproof_core::report::Report;

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
    let mut reports = Vec::with_capacity(args.reports.len());
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
    let report = match shard::merge(reports) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trailproof: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    cmd_verify::print_report(&report, args.format);
    ExitCode::from(cmd_verify::exit_code(&report, args.require_verified))
}
