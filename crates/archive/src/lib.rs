//! Sealed audit archives (`audit-archive/v1`, specified in `docs/archive-format.md`).
//!
//! Exports that carry no provider signature (ActionTrail, GCP, Azure — or any supported
//! provider) are sealed at collection time: every record's exact bytes become a leaf of one
//! append-only RFC 6962 tree, a seal leaf is appended every period and at export, and a
//! C2SP checkpoint signed with Ed25519 follows every seal. Later, an auditor verifies the
//! archive offline, or checks one record with a `c2sp.org/tlog-proof@v1` bundle.
//!
//! * [`Sealer`]: export files in, archive files `(path, bytes)` out; appends to an existing
//!   log from its [`LogState`] alone.
//! * [`ArchiveVerifier`]: archive files in any order, a [`trailproof_core::report::Report`]
//!   out (or a [`Verification`] with the seal timeline, the first failing range, proofs).
//! * [`verify_proof`]: one record, one bundle, the verifier key.
//!
//! **What this cannot detect:** without an anchor held outside the archive (a pinned
//! checkpoint at least as large as the archive), whoever holds the signing key can drop the
//! newest records, seal again, and the result verifies. See [`UNANCHORED_MESSAGE`].
//!
//! The crate does no I/O and reads no clock or random number generator: files, time, keys
//! and nonce are injected, so it builds for `wasm32-unknown-unknown`.
//!
//! ```
//! use trailproof_archive::{verify_proof, ArchiveVerifier, SealOptions, Sealer, VerifyOptions};
//! use trailproof_core::report::Verdict;
//! use trailproof_tlog::note::{Signer, Verifiers};
//!
//! let signer = Signer::ed25519("audit.example.com/acme/prod", &[7; 32])?;
//! let vkey = signer.verifier_key().to_string();
//! let export = br#"{"records":[{"time":"2024-05-01T10:00:00Z","operationName":"MICROSOFT.STORAGE/STORAGEACCOUNTS/DELETE","category":"Administrative","resultType":"Success","resourceId":"/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/X","correlationId":"c1","identity":{"claims":{"name":"alice"}},"callerIpAddress":"10.0.0.1"}]}"#;
//!
//! // Seal (the CLI writes these files to a directory or a zip).
//! let options = SealOptions { period: Some(3600), nonce: Some("req-1".into()), now: 1714600000 };
//! let mut sealer = Sealer::new(signer, options).unwrap();
//! sealer.add_file("azure.json", export).unwrap();
//! let archive = sealer.finish().unwrap();
//!
//! // Verify, files in any order.
//! let mut options = VerifyOptions::new(Verifiers::from_vkeys([vkey.as_str()])?);
//! options.nonce = Some("req-1".into());
//! let mut verifier = ArchiveVerifier::new(options.clone());
//! for (path, bytes) in archive.files.iter().rev() {
//!     verifier.add_bytes(path, bytes);
//! }
//! let verification = verifier.finish_detailed();
//! assert_eq!(verification.report.verdict, Verdict::Valid);
//! assert!(!verification.anchored); // no pinned checkpoint: the end is not anchored
//!
//! // Prove the first record and check the proof alone.
//! let (path, n) = verification.locate(0).unwrap();
//! let file = &archive.files.iter().find(|(p, _)| p == path).unwrap().1;
//! let record = trailproof_archive::frame::read_records(file).unwrap()[n as usize];
//! let bundle = verification.prove(0, record).unwrap();
//! let proved = verify_proof(&bundle, &options.verifiers, None).unwrap();
//! assert_eq!(proved.record, record);
//!
//! // One changed byte in a record file is caught.
//! let mut verifier = ArchiveVerifier::new(options);
//! for (path, bytes) in &archive.files {
//!     let mut bytes = bytes.clone();
//!     if path.starts_with("records/") {
//!         let at = bytes.len() - 3;
//!         bytes[at] ^= 1;
//!     }
//!     verifier.add_bytes(path, &bytes);
//! }
//! assert_eq!(verifier.finish().verdict, Verdict::Invalid);
//! # Ok::<(), trailproof_tlog::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod frame;
mod proof;
mod seal;
pub mod text;
mod verify;

pub use proof::{verify_proof, ProofError, VerifiedProof};
pub use seal::{
    InputOutcome, LogState, SealError, SealOptions, SealedArchive, Sealer, MAX_PERIODS,
};
pub use verify::{
    ArchiveVerifier, FailedRange, Pin, PinError, SealStatus, Verification, VerifyOptions,
    UNANCHORED_MESSAGE,
};

use trailproof_events::ingest::{Ingest, IngestOptions};

/// The provider event IDs of one record (CloudTrail `eventID`, GCP `insertId`, …), decoded
/// with `trailproof-events`; empty when the record has none or is not recognised.
pub fn event_ids(record: &[u8]) -> Vec<String> {
    let mut ingest = Ingest::new(IngestOptions {
        dedup: false,
        ..IngestOptions::default()
    });
    ingest.add_file("record", &mut &record[..]);
    let store = ingest.finish();
    (0..store.len())
        .map(|row| store.event(row).event_id)
        .filter(|id| !id.is_empty())
        .collect()
}

/// The position and bytes of the first record in a records file whose event ID is `id`.
pub fn find_event<'a>(
    records_file: &'a [u8],
    id: &str,
) -> Result<Option<(u64, &'a [u8])>, frame::FrameError> {
    let records = frame::read_records(records_file)?;
    // One ingest run over all records: the store's file index is the record's position.
    let mut ingest = Ingest::new(IngestOptions {
        dedup: false,
        ..IngestOptions::default()
    });
    for (i, r) in records.iter().enumerate() {
        ingest.add_file(&i.to_string(), &mut &r[..]);
    }
    let store = ingest.finish();
    let hit = (0..store.len())
        .filter(|&row| store.event(row).event_id == id)
        .map(|row| store.raw(row).file as usize)
        .min();
    Ok(hit.and_then(|i| records.get(i).map(|r| (i as u64, *r))))
}
