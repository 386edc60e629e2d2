//! `trailproof prove` and `trailproof verify-proof`: one record of a sealed archive, proved
//! alone with a `c2sp.org/tlog-proof@v1` bundle (the record's bytes in its `extra` line).

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use trailproof_archive::frame::read_records;
use trailproof_archive::{find_event, verify_proof, VerifyOptions};
use trailproof_core::report::Verdict;
use trailproof_tlog::note::Verifiers;

use crate::cmd_verify_archive::{load_archive, load_verifiers, verify_paths};

const EXIT_USAGE: u8 = 2;

/// Arguments of `trailproof prove`.
#[derive(clap::Args)]
pub struct ProveArgs {
    /// The record's provider event ID (CloudTrail `eventID`, GCP `insertId`, …).
    #[arg(
        long,
        value_name = "ID",
        required_unless_present = "index",
        conflicts_with = "index"
    )]
    event: Option<String>,
    /// The record's leaf index instead of an event ID.
    #[arg(long, value_name = "N")]
    index: Option<u64>,
    /// The log's verifier key: the archive is verified with it before proving. Without it,
    /// signatures are left to the proof's recipient (the proof is still checked against
    /// the final checkpoint's root).
    #[arg(long = "vkey", value_name = "VKEY")]
    vkeys: Vec<String>,
    /// Where to write the proof bundle.
    #[arg(short, long, value_name = "PROOF")]
    output: PathBuf,
    /// The sealed archive (directory or .zip).
    #[arg(value_name = "ARCHIVE")]
    archive: PathBuf,
}

/// Arguments of `trailproof verify-proof`.
#[derive(clap::Args)]
pub struct VerifyProofArgs {
    /// The log's verifier key (`name+keyid+base64`, `@FILE` or a key file; repeatable).
    #[arg(long = "vkey", value_name = "VKEY", required = true)]
    vkeys: Vec<String>,
    /// The expected log origin (default: the checkpoint's, which must name a given key).
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    /// Print only the record's bytes on success.
    #[arg(long)]
    record: bool,
    /// The proof bundle.
    #[arg(value_name = "PROOF")]
    proof: PathBuf,
}

/// Runs `prove`: exit 0 written, 1 not found or archive invalid, 2 usage.
pub fn run_prove(args: ProveArgs) -> ExitCode {
    ExitCode::from(match prove(args) {
        Ok(()) => 0,
        Err((code, msg)) => {
            eprintln!("trailproof: {msg}");
            code
        }
    })
}

fn prove(args: ProveArgs) -> Result<(), (u8, String)> {
    let verifiers = if args.vkeys.is_empty() {
        eprintln!("note: no --vkey: signatures are not checked here; whoever receives the proof checks them");
        Verifiers::new()
    } else {
        load_verifiers(&args.vkeys).map_err(|e| (EXIT_USAGE, e))?
    };
    let v = verify_paths(
        std::slice::from_ref(&args.archive),
        VerifyOptions::new(verifiers),
    )
    .map_err(|e| (EXIT_USAGE, e))?;
    let acceptable = match v.report.verdict {
        Verdict::Valid => true,
        Verdict::Incomplete => args.vkeys.is_empty(),
        Verdict::Invalid => false,
    };
    if !acceptable {
        return Err((
            1,
            format!(
                "{} does not verify ({}); run trailproof verify --vkey for details",
                args.archive.display(),
                v.report.verdict.as_str()
            ),
        ));
    }
    let (files, _) = load_archive(&args.archive).map_err(|e| (EXIT_USAGE, e))?;
    // Verification paths are as the verifier saw them; match them by suffix-free equality
    // against the loaded paths (both relative to the same input).
    let bytes_of = |path: &str| -> Option<&Vec<u8>> {
        files
            .iter()
            .find(|(p, _)| p == path || path.ends_with(&format!("/{p}")))
            .map(|(_, b)| b)
    };
    let (index, record) = match (&args.event, args.index) {
        (_, Some(index)) => {
            let (path, n) = v
                .locate(index)
                .ok_or((1, format!("leaf {index} is not a record of this archive")))?;
            let file = bytes_of(path).ok_or((1, format!("{path}: not found")))?;
            let recs = read_records(file).map_err(|e| (1, format!("{path}: {e}")))?;
            let rec = recs
                .get(n as usize)
                .ok_or((1, format!("{path}: record {n} missing")))?;
            (index, rec.to_vec())
        }
        (Some(id), None) => {
            let mut hit = None;
            for (path, first, _) in v.record_files() {
                let Some(file) = bytes_of(path) else { continue };
                if let Ok(Some((n, rec))) = find_event(file, id) {
                    hit = Some((first + n, rec.to_vec()));
                    break;
                }
            }
            hit.ok_or((1, format!("no record with event ID {id:?} in the archive")))?
        }
        (None, None) => return Err((EXIT_USAGE, "give --event ID or --index N".into())),
    };
    let bundle = v.prove(index, &record).map_err(|e| (1, e.to_string()))?;
    fs::write(&args.output, &bundle).map_err(|e| (1, format!("{}: {e}", args.output.display())))?;
    println!(
        "proof of leaf {index} (tree size {}) written to {}",
        v.size,
        args.output.display()
    );
    Ok(())
}

/// Runs `verify-proof`: exit 0 valid, 1 rejected, 2 usage.
pub fn run_verify_proof(args: VerifyProofArgs) -> ExitCode {
    let verifiers = match load_verifiers(&args.vkeys) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("trailproof: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let bytes = match fs::read(&args.proof) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("trailproof: {}: {e}", args.proof.display());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match verify_proof(&bytes, &verifiers, args.origin.as_deref()) {
        Ok(p) => {
            if args.record {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(&p.record).and_then(|_| out.write_all(b"\n"));
            } else {
                println!(
                    "VALID: record at leaf {} of log {} (tree size {}, signed checkpoint verified); {} bytes",
                    p.index,
                    p.origin,
                    p.size,
                    p.record.len()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("REJECTED: {}: {e}", args.proof.display());
            ExitCode::from(1)
        }
    }
}
