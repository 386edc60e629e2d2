//! `trailproof seal`: seal exported trail files into an `audit-archive/v1` archive.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use trailproof_archive::{InputOutcome, Pin, SealOptions, SealedArchive, Sealer, VerifyOptions};
use trailproof_core::input::{self, Control, Limits};
use trailproof_core::report::Verdict;
use trailproof_tlog::merkle::CompactRange;
use trailproof_tlog::note::{Signer, Verifiers};

use crate::cmd_verify_archive::{load_archive, parse_period, verify_paths, Loaded};
use crate::fs_input;

const EXIT_USAGE: u8 = 2;

/// Arguments of `trailproof seal`.
///
/// Every record's exact bytes are stored (length-prefixed, never re-serialised) in
/// `records/<k>.rec`, ordered by event time; a seal and a signed checkpoint follow each
/// period and the export; `manifest` lists the files. See docs/archive-format.md.
#[derive(clap::Args)]
pub struct Args {
    /// The log's private key file (from `trailproof keygen --name ORIGIN`); its name is the
    /// log's origin.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// Seal period (e.g. 3600, 30m, 1h, 1d): every ended period from the first record's to
    /// the last record's is sealed, even when empty. Without it, one export seal.
    #[arg(long, value_name = "PERIOD", value_parser = parse_period)]
    period: Option<u64>,
    /// The requester's nonce, written into the export seal (1–128 visible ASCII characters).
    #[arg(long, value_name = "NONCE")]
    nonce: Option<String>,
    /// Extend the existing sealed log at ARCHIVE (verified first with the key's verifier key)
    /// instead of creating a new one.
    #[arg(long)]
    append: bool,
    /// The archive: a directory, or a `.zip` file.
    #[arg(short, long, value_name = "ARCHIVE")]
    output: PathBuf,
    /// Export files or directories (plain, .gz, .zip, .tar, .tgz) of any supported provider.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

fn is_zip(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case("zip"))
}

/// Runs the command: exit 0 sealed, 1 could not seal (bad records, write error, an
/// existing archive that does not verify), 2 usage.
pub fn run(args: Args) -> ExitCode {
    ExitCode::from(match seal(args) {
        Ok(()) => 0,
        Err((code, msg)) => {
            eprintln!("trailproof: {msg}");
            code
        }
    })
}

type Failure = (u8, String);

fn usage(msg: String) -> Failure {
    (EXIT_USAGE, msg)
}

fn failed(msg: String) -> Failure {
    (1, msg)
}

fn seal(args: Args) -> Result<(), Failure> {
    let key_text = fs::read_to_string(&args.key)
        .map_err(|e| usage(format!("--key {}: {e}", args.key.display())))?;
    let signer = Signer::parse_private_key(&key_text)
        .map_err(|e| usage(format!("--key {}: {e}", args.key.display())))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| failed("the system clock is before 1970".into()))?
        .as_secs();
    let options = SealOptions {
        period: args.period,
        nonce: args.nonce.clone(),
        now,
    };
    let exists = args.output.exists();
    let (mut sealer, existing) = if args.append {
        if !exists {
            return Err(usage(format!(
                "--append: {} does not exist",
                args.output.display()
            )));
        }
        let (files, prefix) = load_archive(&args.output).map_err(failed)?;
        let vkey = signer.verifier_key().to_string();
        let verifiers =
            Verifiers::from_vkeys([vkey.as_str()]).map_err(|e| failed(format!("{e}")))?;
        let v = verify_paths(
            std::slice::from_ref(&args.output),
            VerifyOptions::new(verifiers),
        )
        .map_err(failed)?;
        let Some(state) = v
            .state()
            .cloned()
            .filter(|_| v.report.verdict == Verdict::Valid)
        else {
            return Err(failed(format!(
                "{} does not verify with this key ({}); refusing to extend it. Run trailproof verify --vkey for details.",
                args.output.display(),
                v.report.verdict.as_str()
            )));
        };
        let sealer = Sealer::resume(signer, options, state).map_err(|e| usage(e.to_string()))?;
        (sealer, Some((files, prefix)))
    } else {
        if exists
            && !(args.output.is_dir()
                && fs::read_dir(&args.output).is_ok_and(|mut d| d.next().is_none()))
        {
            return Err(usage(format!(
                "{} exists; use --append to extend the sealed log in it, or choose a new path",
                args.output.display()
            )));
        }
        (
            Sealer::new(signer, options).map_err(|e| usage(e.to_string()))?,
            None,
        )
    };

    let mut files_in = 0usize;
    for arg in &args.inputs {
        let found = fs_input::expand(arg).map_err(|e| usage(format!("{}: {e}", arg.display())))?;
        for f in found {
            let mut file =
                File::open(&f.path).map_err(|e| usage(format!("{}: {e}", f.path.display())))?;
            let mut problem = None;
            let diags = input::walk(&f.relative, &mut file, &Limits::default(), &mut |e| {
                let mut bytes = Vec::new();
                if let Err(x) = e.reader.read_to_end(&mut bytes) {
                    problem = Some(failed(format!("{}: {x}", e.path)));
                    return Control::Stop;
                }
                match sealer.add_file(e.path, &bytes) {
                    Ok(InputOutcome::Sealed { records, .. }) => {
                        eprintln!("{}: {records} record(s)", e.path);
                    }
                    Ok(InputOutcome::Companion) => {
                        eprintln!("{}: digest, key or signature file; skipped", e.path)
                    }
                    Ok(_) => eprintln!("{}: no audit records; skipped", e.path),
                    Err(x) => {
                        problem = Some(failed(format!(
                            "{x} — not sealed: sealing it would drop records"
                        )));
                        return Control::Stop;
                    }
                }
                Control::Continue
            });
            if let Some(p) = problem {
                return Err(p);
            }
            if let Some(d) = diags
                .iter()
                .find(|d| d.severity == trailproof_core::Severity::Error)
            {
                return Err(failed(d.to_string()));
            }
            files_in += 1;
        }
    }
    if files_in == 0 {
        return Err(usage("no input files".into()));
    }
    let archive = sealer.finish().map_err(|e| failed(e.to_string()))?;
    write(&args.output, &archive, existing).map_err(failed)?;
    let pin = Pin {
        size: archive.state.size,
        root: CompactRange::from_frontier(archive.state.size, archive.state.frontier.clone())
            .map_err(|e| failed(format!("{e}")))?
            .root(),
    };
    println!(
        "sealed {} record(s) with {} seal(s) into {}: log {}, tree size {}",
        archive.records,
        archive.seals,
        args.output.display(),
        archive.state.origin,
        archive.state.size
    );
    println!("pin: {pin}");
    eprintln!(
        "Keep the pin line somewhere else (or give it to the auditor): verifying with --pin {pin} proves nothing was cut off the end of this archive."
    );
    Ok(())
}

/// Writes the new files: into a directory (creating it), or a new/rewritten zip.
fn write(out: &Path, archive: &SealedArchive, existing: Option<Loaded>) -> Result<(), String> {
    let prefix = existing
        .as_ref()
        .map(|(_, p)| p.clone())
        .unwrap_or_default();
    if is_zip(out) {
        let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
        if let Some((old, _)) = existing {
            let manifest = format!("{prefix}manifest");
            entries.extend(old.into_iter().filter(|(p, _)| *p != manifest));
        }
        for (p, b) in &archive.files {
            entries.push((format!("{prefix}{p}"), b.clone()));
        }
        let tmp = out.with_extension("zip.tmp");
        write_zip(&tmp, &entries).map_err(|e| format!("{}: {e}", tmp.display()))?;
        fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))?;
        return Ok(());
    }
    let root = out.join(&prefix);
    for (p, b) in &archive.files {
        let path = root.join(p);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        if p == "manifest" {
            // Replace atomically: a crash never leaves a half-written manifest.
            let tmp = root.join("manifest.tmp");
            fs::write(&tmp, b).map_err(|e| format!("{}: {e}", tmp.display()))?;
            fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
        } else {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            f.write_all(b)
                .and_then(|_| f.sync_all())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) -> zip::result::ZipResult<()> {
    let file = File::create(path)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options)?;
        zip.write_all(bytes)?;
    }
    zip.finish()?.sync_all()?;
    Ok(())
}
