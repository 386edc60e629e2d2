//! `trailproof note`: verify (and sign) C2SP signed notes and checkpoints.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use trailproof_tlog::checkpoint;
use trailproof_tlog::note::{KeyType, Note, SignatureStatus, Signer, VerifierKey, Verifiers};

/// Exit code: verified.
const VALID: u8 = 0;
/// Exit code: the note (or checkpoint) was rejected.
const REJECTED: u8 = 1;
/// Exit code: bad arguments, unreadable files or unusable keys; nothing was verified.
const USAGE: u8 = 2;

/// Arguments of `trailproof note`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: NoteCommand,
}

#[derive(Subcommand)]
enum NoteCommand {
    /// Verify a C2SP signed note (optionally as a checkpoint of a given log).
    ///
    /// Prints one line per signature: verified, ignored (no configured key has that name and
    /// key ID) or FAILED. Exit 0: at least one trusted signature verified and none failed
    /// (and, with --origin, the checkpoint checks passed). Exit 1: rejected (malformed note,
    /// a trusted signature failed, no trusted signature, bad checkpoint, wrong origin).
    /// Exit 2: usage error, unreadable file or unusable --vkey.
    Verify(VerifyArgs),
    /// Sign a note with a private key file written by `trailproof keygen`.
    ///
    /// FILE is either plain note text (LF-terminated lines) or an already signed note, in
    /// which case the new signature line is appended (co-signing). The signed note goes to
    /// standard output or to --output.
    Sign(SignArgs),
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// A trusted verifier key, `name+keyid+base64(type||key)`. Repeatable. Instead of a key,
    /// give `@FILE` (or the path of an existing file) holding one key per line; blank lines
    /// and lines starting with `#` are ignored. Type 0x01 keys are signer/log keys, type 0x04
    /// keys are witness (cosignature) keys. Private keys (PRIVATE+KEY+…) are refused.
    #[arg(long = "vkey", value_name = "VKEY", required = true)]
    vkeys: Vec<String>,
    /// Require the note to be a C2SP checkpoint whose origin line is ORIGIN, with at least one
    /// verified type-0x01 signature: witness cosignatures alone do not authenticate a
    /// checkpoint. Give only the log's own key(s) as type-0x01 --vkey then.
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    /// The signed note file (`-` for standard input). Read as raw bytes and never repaired:
    /// CRLF line ends or invalid UTF-8 make the note malformed, a BOM makes it fail.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

#[derive(clap::Args)]
struct SignArgs {
    /// Private key file (`PRIVATE+KEY+<name>+<key id>+<base64>`, as written by keygen).
    #[arg(long, value_name = "KEYFILE")]
    key: PathBuf,
    /// Write the signed note here instead of standard output (an existing file is replaced).
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// The note text or signed note (`-` for standard input).
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// Runs `trailproof note …`.
pub fn run(args: Args) -> ExitCode {
    let code = match args.command {
        NoteCommand::Verify(a) => verify(a),
        NoteCommand::Sign(a) => sign(a),
    };
    ExitCode::from(code)
}

fn read_input(path: &Path) -> std::io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        fs::read(path)
    }
}

/// Expands `--vkey` values: a key, `@FILE`, or the path of an existing file.
fn load_verifiers(values: &[String]) -> Result<Verifiers, String> {
    let mut verifiers = Verifiers::new();
    for value in values {
        let file = match value.strip_prefix('@') {
            Some(p) => Some(PathBuf::from(p)),
            // A vkey always contains '+', a name never does, so an existing path wins only
            // when it really is a file.
            None if Path::new(value).is_file() => Some(PathBuf::from(value)),
            None => None,
        };
        let lines: Vec<(String, String)> = match file {
            Some(p) => {
                let text = fs::read_to_string(&p)
                    .map_err(|e| format!("cannot read key file {}: {e}", p.display()))?;
                text.lines()
                    .enumerate()
                    .map(|(i, l)| (format!("{}:{}", p.display(), i + 1), l.trim().to_owned()))
                    .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
                    .collect()
            }
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

fn verify(args: VerifyArgs) -> u8 {
    let verifiers = match load_verifiers(&args.vkeys) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("trailproof: {e}");
            return USAGE;
        }
    };
    let bytes = match read_input(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("trailproof: {}: {e}", args.file.display());
            return USAGE;
        }
    };
    let name = args.file.display();
    let note = match Note::parse(&bytes) {
        Ok(n) => n,
        Err(e) => {
            println!("{name}: REJECTED: {e}");
            return REJECTED;
        }
    };
    let report = note.check(&verifiers);
    for (i, s) in report.signatures.iter().enumerate() {
        let what = match &s.status {
            SignatureStatus::Verified {
                key_type: KeyType::Cosignature,
                timestamp: Some(t),
            } => {
                format!("verified (Ed25519 cosignature, time {t})")
            }
            SignatureStatus::Verified { key_type, .. } => format!("verified ({key_type})"),
            SignatureStatus::Unknown => {
                "ignored (no configured key has this name and key ID)".to_owned()
            }
            SignatureStatus::Failed(reason) => format!("FAILED ({reason})"),
            // The status enum is non-exhaustive; a new kind is shown, never hidden.
            #[allow(unreachable_patterns)]
            other => format!("{other:?}"),
        };
        println!("  signature {}: {}+{}: {what}", i + 1, s.name, s.key_id);
    }
    let outcome = match &args.origin {
        None => report.verdict().map(|()| None),
        Some(origin) => checkpoint::authenticate(&note, report, origin).map(Some),
    };
    match outcome {
        Ok(None) => {
            println!("{name}: VALID signed note");
            VALID
        }
        Ok(Some(v)) => {
            let cp = &v.checkpoint;
            println!(
                "{name}: VALID checkpoint: origin {:?}, tree size {}, root {}",
                cp.origin,
                cp.size,
                hex_lower(&cp.root)
            );
            VALID
        }
        Err(e) => {
            println!("{name}: REJECTED: {e}");
            REJECTED
        }
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sign(args: SignArgs) -> u8 {
    let key_text = match fs::read_to_string(&args.key) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "trailproof: cannot read key file {}: {e}",
                args.key.display()
            );
            return USAGE;
        }
    };
    let signer = match Signer::parse_private_key(&key_text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("trailproof: {}: {e}", args.key.display());
            return USAGE;
        }
    };
    let bytes = match read_input(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("trailproof: {}: {e}", args.file.display());
            return USAGE;
        }
    };
    // An already signed note gets one more line; anything else must be valid note text.
    let mut note = match Note::parse(&bytes) {
        Ok(n) => n,
        Err(_) => match std::str::from_utf8(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|t| Note::unsigned(t).map_err(|e| e.to_string()))
        {
            Ok(n) => n,
            Err(e) => {
                eprintln!("trailproof: {}: cannot sign: {e}", args.file.display());
                return REJECTED;
            }
        },
    };
    if let Err(e) = note.add_signature(&signer) {
        eprintln!("trailproof: {}: cannot sign: {e}", args.file.display());
        return REJECTED;
    }
    let out = note.to_bytes();
    let written = match &args.output {
        Some(p) => fs::write(p, &out),
        None => std::io::stdout().write_all(&out),
    };
    if let Err(e) = written {
        eprintln!("trailproof: cannot write the signed note: {e}");
        return USAGE;
    }
    VALID
}
