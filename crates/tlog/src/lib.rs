//! Tamper-evident log primitives for Trailproof: C2SP signed notes and checkpoints, RFC 6962
//! Merkle trees and proofs, and `c2sp.org/tlog-proof@v1` bundles, all under one strict policy.
//!
//! * [`note`]: parse, verify and sign C2SP signed notes (Ed25519 type 0x01 and timestamped
//!   cosignatures type 0x04); per-line verdicts in a [`note::NoteReport`].
//! * [`checkpoint`]: strict tlog-checkpoint bodies and the checkpoint decision
//!   ([`checkpoint::open`]).
//! * [`merkle`]: RFC 6962 hashing, a streaming [`merkle::CompactRange`], proof generation and
//!   RFC 9162 proof verification.
//! * [`proof`]: offline inclusion proof bundles.
//! * [`ed25519`]: the strict Ed25519 policy (`verify_strict`, weak keys rejected).
//!
//! The crate does no I/O and needs no random number generator (keys come from caller-supplied
//! seeds), so it builds for `wasm32-unknown-unknown`. Every failure is an [`Error`] with a
//! typed reason.
//!
//! ```
//! use trailproof_tlog::checkpoint::{self, Checkpoint};
//! use trailproof_tlog::merkle::{self, CompactRange};
//! use trailproof_tlog::note::{self, Signer, Verifiers};
//!
//! // A log of three records.
//! let leaves: Vec<merkle::Hash> =
//!     [&b"alpha"[..], b"beta", b"gamma"].iter().map(|r| merkle::leaf_hash(r)).collect();
//! let mut tree = CompactRange::new();
//! for leaf in &leaves {
//!     tree.push(*leaf)?;
//! }
//!
//! // The log signs a checkpoint (the seed would come from the OS RNG in real use).
//! let log = Signer::ed25519("example.com/log", &[42; 32])?;
//! let cp = Checkpoint { origin: "example.com/log".into(), size: 3, root: tree.root(), extensions: vec![] };
//! let note_bytes = note::sign(&cp.to_text(), &[log.clone()])?;
//!
//! // A verifier holding only the verifier key line checks the checkpoint...
//! let vkey = log.verifier_key().to_string();
//! let trusted = Verifiers::from_vkeys([vkey.as_str()])?;
//! let verified = checkpoint::open(&note_bytes, "example.com/log", &trusted)?;
//!
//! // ...and that "beta" is leaf 1 of that tree.
//! let path = merkle::inclusion_proof(&leaves, 1, verified.checkpoint.size)?;
//! merkle::verify_inclusion(1, 3, &merkle::leaf_hash(b"beta"), &path, &verified.checkpoint.root)?;
//!
//! // A single altered byte is rejected.
//! let mut forged = note_bytes.clone();
//! forged[16] = b'4';
//! assert!(checkpoint::open(&forged, "example.com/log", &trusted).is_err());
//! # Ok::<(), trailproof_tlog::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod checkpoint;
pub mod ed25519;
pub mod error;
pub mod merkle;
pub mod note;
pub mod proof;

pub use error::Error;
pub use merkle::Hash;
