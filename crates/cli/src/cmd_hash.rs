//! `trailproof hash`: SHA-256 and size of files, like `sha256sum` with sizes.

use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use trailproof_core::hash::FileHasher;

use crate::fs_input;

/// Arguments of `trailproof hash`.
#[derive(clap::Args)]
pub struct Args {
    /// Files or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// Prints `<sha256>  <size>  <path>` per file; exit 0 when every file was read, 1 otherwise.
pub fn run(args: Args) -> ExitCode {
    let mut failed = false;
    let mut out = std::io::stdout().lock();
    for arg in &args.paths {
        let files = match fs_input::expand(arg) {
            Ok(files) => files,
            Err(e) => {
                eprintln!("trailproof: {}: {e}", arg.display());
                failed = true;
                continue;
            }
        };
        for file in files {
            match hash_file(&file.path) {
                Ok(d) => {
                    // A closed pipe (`trailproof hash … | head`) ends the run quietly.
                    if writeln!(
                        out,
                        "{}  {:>12}  {}",
                        d.sha256_hex(),
                        d.size,
                        file.path.display()
                    )
                    .is_err()
                    {
                        return ExitCode::FAILURE;
                    }
                }
                Err(e) => {
                    eprintln!("trailproof: {}: {e}", file.path.display());
                    failed = true;
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn hash_file(path: &std::path::Path) -> std::io::Result<trailproof_core::hash::FileDigest> {
    let mut file = File::open(path)?;
    let mut hasher = FileHasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.update(&buf[..n]);
    }
}
