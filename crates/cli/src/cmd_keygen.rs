//! `trailproof keygen`: a new Ed25519 signing key for C2SP signed notes and checkpoints.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use trailproof_tlog::note::Signer;

/// Arguments of `trailproof keygen`.
///
/// The private key file holds one line in Go's `golang.org/x/mod/sumdb/note` format,
/// `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || 32-byte seed)>`, where the key ID is
/// SHA-256(name || LF || 0x01 || public key)[:4] as 8 hex digits. It is created with mode 0600
/// and never overwritten. The verifier key line (`<name>+<key id>+<base64(0x01 || public
/// key)>`) is printed on standard output: give it to verifiers (`note verify --vkey`).
#[derive(clap::Args)]
pub struct Args {
    /// Key name; for a log, its checkpoint origin (a schema-less URL, e.g.
    /// `audit.example.com/acme/prod`). No spaces or `+`.
    #[arg(long, value_name = "ORIGIN")]
    name: String,
    /// Where to write the private key (default: `<name>.key` in the current directory, with
    /// `/` and `:` replaced by `_`). Must not exist yet.
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
}

/// Generates the key, writes the private key file, prints the verifier key.
pub fn run(args: Args) -> ExitCode {
    let mut seed = [0u8; 32];
    if let Err(e) = getrandom::getrandom(&mut seed) {
        eprintln!("trailproof: the operating system's random number generator failed: {e}");
        return ExitCode::FAILURE;
    }
    let signer = match Signer::ed25519(&args.name, &seed) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("trailproof: --name {:?}: {e}", args.name);
            return ExitCode::from(2);
        }
    };
    let path = args.output.unwrap_or_else(|| {
        PathBuf::from(format!("{}.key", args.name.replace(['/', ':', '\\'], "_")))
    });
    let mut line = signer.to_private_key_string();
    line.push('\n');
    if let Err(e) = write_private(&path, line.as_bytes()) {
        eprintln!("trailproof: cannot create {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    eprintln!("private key written to {} (keep it secret)", path.display());
    println!("{}", signer.verifier_key());
    ExitCode::SUCCESS
}

/// Creates `path` (failing if it exists) readable and writable by the owner only.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Set at creation, so the key is never readable by others, not even briefly.
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
