//! `trailproof`: verify and inspect cloud audit-trail exports offline.
//!
//! A thin binary: argument parsing and file-system walking live here, everything else in the
//! library crates. Each subcommand is one module.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd_events;
mod cmd_hash;
mod cmd_keygen;
mod cmd_merge;
mod cmd_note;
mod cmd_prove;
mod cmd_report;
mod cmd_seal;
mod cmd_verify;
mod cmd_verify_archive;
mod cmd_verify_shard;
mod fs_input;
mod load;
mod parquet_out;

/// `trailproof --version`: the release and the source commit (`build.rs`).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("TRAILPROOF_BUILD_COMMIT"),
    ")"
);

/// The build of this binary, stated in every report (`docs/reproducible.md`).
fn tool() -> trailproof_core::tool::Tool {
    trailproof_core::tool::Tool::native(env!("CARGO_PKG_VERSION"), env!("TRAILPROOF_BUILD_COMMIT"))
}

/// Verify and inspect cloud audit-trail exports offline. Nothing is sent anywhere.
#[derive(Parser)]
#[command(name = "trailproof", version = VERSION, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the SHA-256 and size of files (directories are walked recursively).
    Hash(cmd_hash::Args),
    /// Print normalized audit events from CloudTrail, ActionTrail, CTS, GCP and Azure exports
    /// (exit 0 when any input was readable, 1 when none, 2 usage).
    Events(cmd_events::Args),
    /// Verify or sign C2SP signed notes and checkpoints (exit 0 valid, 1 rejected, 2 usage).
    Note(cmd_note::Args),
    /// Create an Ed25519 key for signing notes/checkpoints; prints the verifier key.
    Keygen(cmd_keygen::Args),
    /// Verify CloudTrail and Huawei CTS digest chains, or a sealed archive with --vkey, offline
    /// (exit 0 valid, 1 invalid, 3 incomplete, 2 usage).
    Verify(cmd_verify::Args),
    /// Merge the JSON reports of `verify --chain` shards into the report of one run
    /// (exit 0 valid, 1 invalid, 3 incomplete, 2 usage or reports that overlap).
    Merge(cmd_merge::Args),
    /// Seal exported trail files into a signed archive (audit-archive/v1; exit 0 sealed,
    /// 1 not sealed, 2 usage).
    Seal(cmd_seal::Args),
    /// Write a proof bundle for one record of a sealed archive (exit 0 written, 1 failed, 2 usage).
    Prove(cmd_prove::ProveArgs),
    /// Verify a proof bundle for one record alone (exit 0 valid, 1 rejected, 2 usage).
    VerifyProof(cmd_prove::VerifyProofArgs),
    /// Write the auditor report: verification, retention coverage and findings as HTML, JSON
    /// or CSV (exit 0 written, 2 usage or no readable input).
    Report(Box<cmd_report::Args>),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap uses 0 for --help/--version and 2 for usage errors, as our contract does.
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    match cli.command {
        Command::Hash(args) => cmd_hash::run(args),
        Command::Events(args) => cmd_events::run(args),
        Command::Note(args) => cmd_note::run(args),
        Command::Keygen(args) => cmd_keygen::run(args),
        Command::Verify(args) => cmd_verify::run(args),
        Command::Merge(args) => cmd_merge::run(args),
        Command::Seal(args) => cmd_seal::run(args),
        Command::Prove(args) => cmd_prove::run_prove(args),
        Command::VerifyProof(args) => cmd_prove::run_verify_proof(args),
        Command::Report(args) => cmd_report::run(*args),
    }
}
