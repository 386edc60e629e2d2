//! Trailproof sealed archives in the worker: finding the verifier keys among the inputs,
//! recognising archive files, and folding the archive's verification into the load's report.

use std::io::{Read, SeekFrom};

use trailproof_archive::{Verification, UNANCHORED_MESSAGE};
use trailproof_core::report::Report;
use trailproof_tlog::note::{VerifierKey, Verifiers};

use crate::engine::Input;
use crate::protocol::{ProofLine, SealedView};

/// The first line of a c2sp.org/tlog-proof bundle.
pub const PROOF_MAGIC: &[u8] = b"c2sp.org/tlog-proof@v1\n";

/// Checks one proof bundle against the supplied verifier keys.
pub fn check_proof(path: &str, bundle: &[u8], verifiers: &Verifiers) -> ProofLine {
    match trailproof_archive::verify_proof(bundle, verifiers, None) {
        Ok(p) => ProofLine {
            path: path.to_owned(),
            valid: true,
            message: format!(
                "record {} is in the log {} of {} leaves, under a checkpoint signed by a supplied key ({} bytes: {})",
                p.index,
                p.origin,
                p.size,
                p.record.len(),
                String::from_utf8_lossy(&p.record[..p.record.len().min(160)])
            ),
        },
        Err(e) => ProofLine { path: path.to_owned(), valid: false, message: e.to_string() },
    }
}

/// Largest file that is looked at as a possible verifier-key file.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// Verifier keys (`name+keyid+base64` lines) among the top-level inputs: small text files
/// whose every non-empty, non-comment line is a valid key. Returns the keys, their names, and
/// the inputs that held them. Keys are trusted only because the user supplied them: the page
/// says which were used.
pub fn find_vkeys(inputs: &mut [Input<'_>]) -> (Verifiers, Vec<String>, Vec<String>) {
    let files: Vec<(String, Vec<String>)> = inputs
        .iter_mut()
        .filter_map(|input| key_lines(input).map(|lines| (input.name.clone(), lines)))
        .collect();
    verifiers_of(&files)
}

/// The key lines of `input` when it is a verifier-key file (a small text file whose every
/// non-empty, non-comment line is a valid key), for [`verifiers_of`].
pub fn key_lines(input: &mut Input<'_>) -> Option<Vec<String>> {
    if input.size > MAX_KEY_FILE || input.source.seek(SeekFrom::Start(0)).is_err() {
        return None;
    }
    let mut bytes = Vec::new();
    let read = input.source.take(MAX_KEY_FILE).read_to_end(&mut bytes);
    let _ = input.source.seek(SeekFrom::Start(0));
    let (Ok(_), Ok(text)) = (read, std::str::from_utf8(&bytes)) else {
        return None;
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let valid = lines
        .iter()
        .filter(|l| VerifierKey::parse(l).is_ok())
        .count();
    (!lines.is_empty() && valid == lines.len())
        .then(|| lines.into_iter().map(str::to_owned).collect())
}

/// The verifiers of key files found by [`key_lines`] (name and lines, in input order): the
/// keys, their names, and the files that held them.
pub fn verifiers_of(files: &[(String, Vec<String>)]) -> (Verifiers, Vec<String>, Vec<String>) {
    let mut verifiers = Verifiers::default();
    let mut names = Vec::new();
    for (_, lines) in files {
        for key in lines.iter().filter_map(|l| VerifierKey::parse(l).ok()) {
            let name = key.to_string();
            // A duplicate (name, key ID) is ambiguous; keeping the first is the safe reading.
            if verifiers.add(key).is_ok() {
                names.push(name);
            }
        }
    }
    (
        verifiers,
        names,
        files.iter().map(|(name, _)| name.clone()).collect(),
    )
}

/// Whether `path` can belong to a sealed archive (`manifest`, `seals/`, `checkpoints/`,
/// `records/`, at any depth: archives are often wrapped in a folder).
pub fn is_archive_part(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "manifest"
        || ["/seals/", "/checkpoints/", "/records/"]
            .iter()
            .any(|d| format!("/{path}").contains(d))
}

/// Whether this is an `audit-archive/v1` manifest.
pub fn is_manifest(path: &str, bytes: &[u8]) -> bool {
    path.rsplit('/').next() == Some("manifest") && bytes.starts_with(b"audit-archive/v1 manifest\n")
}

/// Adds the archive's items, chain and notes to `report` and describes it for the page.
pub fn merge(v: &Verification, report: &mut Report, keys: Vec<String>) -> SealedView {
    report.items.extend(v.report.items.iter().cloned());
    report.gaps.extend(v.report.gaps.iter().cloned());
    report.chains.extend(v.report.chains.iter().cloned());
    report.notes.extend(v.report.notes.iter().cloned());
    report.refresh();
    SealedView {
        origin: v.origin.clone(),
        keys,
        anchored: v.anchored,
        warning: (!v.anchored).then(|| UNANCHORED_MESSAGE.to_owned()),
        first_failure: v.first_failure.map(|f| {
            let since = match f.checkpoint {
                0 => "from the start of the log".to_owned(),
                k => format!("appended after checkpoint {}", k - 1),
            };
            format!(
                "Checkpoint {} is the first that fails: the problem lies in leaves {}..{} (records and seals {since}).",
                f.checkpoint, f.start, f.end
            )
        }),
        size: v.size,
        seals: v
            .seals
            .iter()
            .map(|s| (s.seq, s.time, s.size, s.export, s.status.as_str().to_owned()))
            .collect(),
    }
}
