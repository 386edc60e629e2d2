//! Single-record proofs: `c2sp.org/tlog-proof@v1` bundles carrying the record.
//!
//! The bundle's `extra` line holds the record's exact bytes `R` (base64). The bundle format
//! calls `extra` unauthenticated, and it is: [`verify_proof`] never trusts it, it derives the
//! leaf hash SHA-256(0x00 ‖ 0x01 ‖ R) from it and checks the inclusion proof against the
//! signed checkpoint, so a changed record fails the proof.

use std::fmt;

use trailproof_tlog::checkpoint::Checkpoint;
use trailproof_tlog::merkle::LeafHashes;
use trailproof_tlog::note::{Note, Verifiers};
use trailproof_tlog::proof::ProofBundle;
use trailproof_tlog::{Error as TlogError, Hash};

use crate::frame::record_leaf_hash;
use crate::verify::Verification;

/// Why a proof could not be made or did not verify.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProofError {
    /// The archive is invalid (or lacks its final checkpoint), so it vouches for nothing.
    ArchiveNotValid,
    /// The leaf index is not a record of the archive (out of range, or a seal).
    NotARecord {
        /// The index asked for.
        index: u64,
    },
    /// The record bytes given do not hash to the leaf at that index.
    RecordMismatch {
        /// The index.
        index: u64,
    },
    /// The bundle has no `extra` line, so it carries no record.
    NoRecord,
    /// The bundle or its checkpoint is malformed, the signature or the inclusion proof fails.
    Tlog(TlogError),
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofError::ArchiveNotValid => {
                write!(
                    f,
                    "the archive did not verify; no proof can be made from it"
                )
            }
            ProofError::NotARecord { index } => write!(f, "leaf {index} is not a record"),
            ProofError::RecordMismatch { index } => {
                write!(f, "the record bytes do not match leaf {index}")
            }
            ProofError::NoRecord => write!(f, "the proof carries no record (no extra line)"),
            ProofError::Tlog(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ProofError {}

impl From<TlogError> for ProofError {
    fn from(e: TlogError) -> Self {
        ProofError::Tlog(e)
    }
}

impl LeafHashes for Verification {
    fn leaf_hash(&self, index: u64) -> Option<Hash> {
        self.leaf_hashes().leaf_hash(index)
    }
}

impl Verification {
    /// A proof bundle that `record` is leaf `index` under the archive's final checkpoint.
    /// `record` is the record's exact bytes (read them with [`crate::frame::read_records`]
    /// from the file [`Verification::locate`] names).
    pub fn prove(&self, index: u64, record: &[u8]) -> Result<Vec<u8>, ProofError> {
        // Incomplete is allowed: without the verifier key (the prover need not hold it) the
        // signatures are unchecked, but the bundle is built only if the leaves reproduce the
        // final checkpoint's root, and its recipient checks the signature.
        if self.report.verdict == trailproof_core::report::Verdict::Invalid {
            return Err(ProofError::ArchiveNotValid);
        }
        let note = self.final_checkpoint().ok_or(ProofError::ArchiveNotValid)?;
        if self.locate(index).is_none() {
            return Err(ProofError::NotARecord { index });
        }
        if self.leaf_hash(index) != Some(record_leaf_hash(record)) {
            return Err(ProofError::RecordMismatch { index });
        }
        let bundle = ProofBundle::build(self, index, note.to_vec(), Some(record.to_vec()))?;
        Ok(bundle.to_bytes())
    }
}

/// A proof that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedProof {
    /// The log's origin.
    pub origin: String,
    /// The record's leaf index.
    pub index: u64,
    /// The checkpoint's tree size.
    pub size: u64,
    /// The checkpoint's root.
    pub root: Hash,
    /// The record's exact bytes.
    pub record: Vec<u8>,
}

/// Verifies a proof bundle made by [`Verification::prove`]: the checkpoint is signed by one of
/// `verifiers` (strict Ed25519, origin = `origin` or else the checkpoint's own first line,
/// which must then name a configured key), and the record in `extra` is at `index` under its
/// root.
pub fn verify_proof(
    bundle: &[u8],
    verifiers: &Verifiers,
    origin: Option<&str>,
) -> Result<VerifiedProof, ProofError> {
    let parsed = ProofBundle::parse(bundle)?;
    let record = parsed.extra.clone().ok_or(ProofError::NoRecord)?;
    let origin = match origin {
        Some(o) => o.to_owned(),
        None => {
            let note = Note::parse(&parsed.checkpoint)?;
            Checkpoint::parse(note.text())?.origin
        }
    };
    let verified = parsed.verify(&record_leaf_hash(&record), &origin, verifiers)?;
    Ok(VerifiedProof {
        origin,
        index: parsed.index,
        size: verified.checkpoint.size,
        root: verified.checkpoint.root,
        record,
    })
}
