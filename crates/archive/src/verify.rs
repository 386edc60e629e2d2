//! Verifying a sealed archive whose files arrive in any order.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use trailproof_core::report::{
    ChainSummary, DigestCell, Gap, Integrity, Item, ItemKind, Level, Note, Proof, Provider, Reason,
    Report, Status, Verdict,
};
use trailproof_tlog::checkpoint;
use trailproof_tlog::merkle::{CompactRange, EMPTY_ROOT};
use trailproof_tlog::note::{Note as SignedNote, Verifiers};
use trailproof_tlog::{Error as TlogError, Hash};

use crate::frame::{read_records, seal_leaf_hash, FrameError, FrameHasher};
use crate::seal::LogState;
use crate::text::{decimal, Entry, Manifest, Seal, MAX_SEAL_LEN};

/// What the browser shows, the CLI prints and the report carries when nothing outside the
/// archive vouches for its end.
pub const UNANCHORED_MESSAGE: &str = "The end of this archive is not anchored: whoever holds \
the signing key could have removed the newest records and sealed again, and no check of the \
archive alone can tell. Only a checkpoint held outside the archive (a pinned SIZE:ROOT at \
least as large as the archive) rules that out; a nonce only proves the export is fresh.";

/// Largest checkpoint note kept (real ones are a few hundred bytes, plus cosignatures).
const MAX_NOTE_LEN: usize = 64 * 1024;
/// Read granularity of [`ArchiveVerifier::add`].
const CHUNK: usize = 64 * 1024;

/// A checkpoint someone holds outside the archive: `SIZE:ROOT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pin {
    /// Tree size.
    pub size: u64,
    /// Root hash at that size.
    pub root: Hash,
}

/// Why a pin string is malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinError(pub String);

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}: expected SIZE:ROOT (canonical decimal size, root as base64 or 64 hex digits)",
            self.0
        )
    }
}

impl std::error::Error for PinError {}

impl FromStr for Pin {
    type Err = PinError;

    /// Parses `SIZE:ROOT`, the root as standard base64 (as in checkpoints) or lowercase hex.
    fn from_str(s: &str) -> Result<Pin, PinError> {
        let bad = || PinError(s.to_owned());
        let (size, root) = s.split_once(':').ok_or_else(bad)?;
        let size = decimal(size).ok_or_else(bad)?;
        let raw = if root.len() == 64 && root.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(root.to_ascii_lowercase()).map_err(|_| bad())?
        } else {
            STANDARD.decode(root).map_err(|_| bad())?
        };
        let root: Hash = raw.as_slice().try_into().map_err(|_| bad())?;
        Ok(Pin { size, root })
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.size, STANDARD.encode(self.root))
    }
}

/// Trusted inputs of a verification (never taken from the archive).
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// The log's verifier key(s) (type 0x01; witness keys may be added too).
    pub verifiers: Verifiers,
    /// The expected origin; `None` accepts the manifest's origin, which must then be the name
    /// of a configured key for any checkpoint to verify.
    pub origin: Option<String>,
    /// Checkpoints held outside the archive.
    pub pins: Vec<Pin>,
    /// The nonce the export was requested with.
    pub nonce: Option<String>,
    /// The expected seal period in seconds: longer silences are reported as gaps.
    pub period: Option<u64>,
    /// Tolerance added to `period`, in seconds.
    pub slack: u64,
    /// The verifier's clock (POSIX seconds), injected: an export seal dated more than five
    /// minutes (or `slack`, if larger) after it gets a warning note.
    pub now: Option<u64>,
}

impl VerifyOptions {
    /// Options trusting `verifiers`, with no anchors.
    pub fn new(verifiers: Verifiers) -> Self {
        VerifyOptions {
            verifiers,
            ..Default::default()
        }
    }
}

/// A leaf range `(start, end]` in 0-based half-open form `start .. end`: the part of the log
/// between checkpoint `checkpoint − 1` (size `start`) and checkpoint `checkpoint` (size
/// `end`), where the first failure lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailedRange {
    /// The first checkpoint that failed.
    pub checkpoint: u64,
    /// First leaf index of the range.
    pub start: u64,
    /// One past the last leaf index (the checkpoint's expected size).
    pub end: u64,
}

/// One seal and its checkpoint, for a timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealStatus {
    /// Sequence number.
    pub seq: u64,
    /// Seal time (POSIX seconds), when the seal could be read.
    pub time: Option<u64>,
    /// Tree size at this checkpoint (from the manifest's layout).
    pub size: u64,
    /// Whether this is the export seal.
    pub export: bool,
    /// The checkpoint's status.
    pub status: Status,
    /// Why, when not valid.
    pub reason: Option<Reason>,
}

enum Content {
    /// Kept whole: manifest, seals, checkpoints (small by format).
    Bytes(Vec<u8>),
    /// Too large for its kind: only the hash and size were kept.
    Oversized,
    /// Anything else: only the leaf hashes of its frames.
    Frames(Vec<Hash>, Option<FrameError>),
    /// The reader failed.
    Unreadable(String),
}

struct Stored {
    sha256: Hash,
    len: u64,
    content: Content,
}

/// Verifies a sealed archive: [`ArchiveVerifier::add`] every file in any order (directory
/// walk, zip or tar order), then [`ArchiveVerifier::finish`].
///
/// Memory: manifest, seals and checkpoints are kept (small); record files are reduced to
/// their leaf hashes (32 bytes per record) as they stream in, so record bytes are never held.
pub struct ArchiveVerifier {
    options: VerifyOptions,
    files: BTreeMap<String, Stored>,
    notes: Vec<Note>,
}

/// Whether `path` names a file kept whole (by its last components; the root is found later).
fn kept_whole(path: &str) -> Option<usize> {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or_default();
    let dir = parts.next().unwrap_or_default();
    if name == "manifest" {
        Some(1 << 30)
    } else if dir == "seals" {
        Some(MAX_SEAL_LEN)
    } else if dir == "checkpoints" {
        Some(MAX_NOTE_LEN)
    } else {
        None
    }
}

impl ArchiveVerifier {
    /// A verifier with these trusted inputs.
    pub fn new(options: VerifyOptions) -> Self {
        ArchiveVerifier {
            options,
            files: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// Reads one file of the archive. `path` is relative to wherever the archive was found
    /// (a wrapping folder is fine: the root is the folder holding `manifest`). Read errors
    /// become report items; a second file with the same path is ignored with a note.
    pub fn add(&mut self, path: &str, reader: &mut dyn Read) {
        if self.files.contains_key(path) {
            self.notes.push(Note {
                severity: Level::Warning,
                path: path.to_owned(),
                message: "supplied twice; the first copy was used".into(),
            });
            return;
        }
        let cap = kept_whole(path);
        let mut sha = Sha256::new();
        let mut len = 0u64;
        let mut bytes = Vec::new();
        let mut oversized = false;
        let mut frames = FrameHasher::new();
        let mut buf = vec![0u8; CHUNK];
        let mut failure = None;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            };
            let chunk = &buf[..n];
            sha.update(chunk);
            len += n as u64;
            match cap {
                Some(cap) if !oversized => {
                    if bytes.len() + n > cap {
                        oversized = true;
                        bytes = Vec::new();
                    } else {
                        bytes.extend_from_slice(chunk);
                    }
                }
                Some(_) => {}
                None => frames.update(chunk),
            }
        }
        let content = match (failure, cap) {
            (Some(e), _) => Content::Unreadable(e),
            (None, Some(_)) if oversized => Content::Oversized,
            (None, Some(_)) => Content::Bytes(bytes),
            (None, None) => {
                let (leaves, err) = frames.finish();
                Content::Frames(leaves, err)
            }
        };
        self.files.insert(
            path.to_owned(),
            Stored {
                sha256: sha.finalize().into(),
                len,
                content,
            },
        );
    }

    /// [`ArchiveVerifier::add`] for bytes in memory.
    pub fn add_bytes(&mut self, path: &str, bytes: &[u8]) {
        self.add(path, &mut &bytes[..]);
    }

    /// Verifies everything added and returns the report (see `docs/archive-format.md` §6).
    pub fn finish(self) -> Report {
        self.finish_detailed().report
    }

    /// Like [`ArchiveVerifier::finish`], with the seal timeline, the first failing range,
    /// and what proofs and appending need.
    pub fn finish_detailed(self) -> Verification {
        Check::new(self).run()
    }
}

/// The full outcome of verifying an archive.
#[derive(Clone, Debug)]
pub struct Verification {
    /// The report contract (`docs/report.md`).
    pub report: Report,
    /// The log's origin, when the manifest could be read.
    pub origin: Option<String>,
    /// Every seal in order, with its checkpoint's status.
    pub seals: Vec<SealStatus>,
    /// The first checkpoint that failed and the leaf range it covers.
    pub first_failure: Option<FailedRange>,
    /// Whether a pinned checkpoint of the archive's full size matched (the end is anchored).
    pub anchored: bool,
    /// Leaves in the archive according to its manifest (`N`).
    pub size: u64,
    leaves: Vec<Hash>,
    layout: Vec<(String, u64, u64)>,
    final_checkpoint: Option<Vec<u8>>,
    state: Option<LogState>,
}

impl Verification {
    /// Where the log stands, to append to it: only when the verdict is valid.
    pub fn state(&self) -> Option<&LogState> {
        self.state.as_ref()
    }

    /// The records files in leaf order: `(path, first leaf, record count)`.
    pub fn record_files(&self) -> &[(String, u64, u64)] {
        &self.layout
    }

    /// The records file and 0-based position in it of leaf `index`.
    pub fn locate(&self, index: u64) -> Option<(&str, u64)> {
        self.layout
            .iter()
            .find(|(_, first, count)| index >= *first && index - first < *count)
            .map(|(p, first, _)| (p.as_str(), index - first))
    }

    /// The leaf hashes of the archive as supplied (valid archives only have authentic ones).
    pub fn leaf_hashes(&self) -> &[Hash] {
        &self.leaves
    }

    /// The final signed checkpoint note as supplied (check [`Verification::report`] before
    /// trusting it).
    pub fn final_checkpoint(&self) -> Option<&[u8]> {
        self.final_checkpoint.as_deref()
    }

    /// The integrity of the events whose records the file at `path` holds, when it is one of
    /// this archive's records files (`None` otherwise), and what proved them.
    ///
    /// A records file whose hash the manifest records proves nothing by itself: its records
    /// are `verified` only when the archive verified as a whole (proof: the checkpoint, as
    /// "origin at size N"); `failed` when the archive is invalid, as an earlier part of the
    /// log may have been altered; `unverified` when it is incomplete (no supplied key signed
    /// a checkpoint). A file that itself failed keeps its own state.
    pub fn records_integrity(&self, path: &str) -> Option<(Integrity, Option<Proof>)> {
        if !self.layout.iter().any(|(p, _, _)| p == path) {
            return None;
        }
        let (state, proof) = self.report.integrity_of(path);
        if state != Integrity::Verified {
            return Some((state, proof.cloned()));
        }
        Some(match self.report.verdict {
            Verdict::Valid => {
                let mut proof = proof.cloned().unwrap_or_default();
                proof.checkpoint = Some(format!(
                    "{} at size {}",
                    self.origin.as_deref().unwrap_or("(unknown origin)"),
                    self.size
                ));
                (Integrity::Verified, Some(proof))
            }
            Verdict::Invalid => (Integrity::Failed, None),
            Verdict::Incomplete => (Integrity::Unverified, None),
        })
    }
}

/// The verification proper, step by step (`docs/archive-format.md` §6).
struct Check {
    options: VerifyOptions,
    files: BTreeMap<String, Stored>,
    /// Root prefix (`""` or `folder/`).
    prefix: String,
    items: Vec<Item>,
    notes: Vec<Note>,
    gaps: Vec<Gap>,
    cells: Vec<DigestCell>,
    seals: Vec<SealStatus>,
    used: BTreeSet<String>,
    tree: CompactRange,
    leaves: Vec<Hash>,
    /// A root already failed: later root failures are consequences.
    root_failed: bool,
    first_failure: Option<FailedRange>,
    /// Pins by size, with whether they were checked.
    pins: BTreeMap<u64, (Hash, Option<bool>)>,
    /// Any checkpoint verified with the supplied keys (distinguishes "wrong key supplied"
    /// from "this checkpoint was forged").
    any_trusted: bool,
    /// Records files in leaf order (full path, first leaf, count).
    layout: Vec<(String, u64, u64)>,
    /// The final checkpoint note and the log state, when the final checkpoint verified.
    final_state: Option<(Vec<u8>, LogState)>,
    /// The final checkpoint note as supplied (verified or not).
    final_note: Option<Vec<u8>>,
}

/// Seconds as ISO-8601 UTC.
fn iso(t: u64) -> String {
    i64::try_from(t)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|ts| ts.to_string())
        .unwrap_or_else(|| t.to_string())
}

fn b64(h: &Hash) -> String {
    STANDARD.encode(h)
}

impl Check {
    fn new(v: ArchiveVerifier) -> Self {
        let mut pins = BTreeMap::new();
        for p in &v.options.pins {
            pins.insert(p.size, (p.root, None));
        }
        Check {
            options: v.options,
            files: v.files,
            prefix: String::new(),
            items: Vec::new(),
            notes: v.notes,
            gaps: Vec::new(),
            cells: Vec::new(),
            seals: Vec::new(),
            used: BTreeSet::new(),
            tree: CompactRange::new(),
            leaves: Vec::new(),
            root_failed: false,
            first_failure: None,
            pins,
            any_trusted: false,
            layout: Vec::new(),
            final_state: None,
            final_note: None,
        }
    }

    fn full(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }

    fn get(&mut self, rel: &str) -> Option<&Stored> {
        let full = self.full(rel);
        self.used.insert(full.clone());
        self.files.get(&full)
    }

    fn bytes(&mut self, rel: &str) -> Option<Result<Vec<u8>, String>> {
        let s = self.get(rel)?;
        Some(match &s.content {
            Content::Bytes(b) => Ok(b.clone()),
            Content::Oversized => Err("larger than the format allows".into()),
            Content::Unreadable(e) => Err(format!("could not be read: {e}")),
            Content::Frames(..) => Err("not where a seal, checkpoint or manifest belongs".into()),
        })
    }

    fn item(
        &mut self,
        rel: &str,
        kind: ItemKind,
        status: Status,
        reason: Option<Reason>,
        message: String,
    ) {
        let path = self.full(rel);
        self.items
            .push(Item::new(path, kind, status, reason, message));
    }

    fn push(&mut self, leaf: Hash) {
        // A tree of 2^64 − 1 leaves cannot be supplied; saturate instead of failing.
        if self.tree.push(leaf).is_ok() {
            self.leaves.push(leaf);
        }
        let size = self.tree.size();
        if let Some((root, checked)) = self.pins.get_mut(&size) {
            *checked = Some(*root == self.tree.root());
        }
    }

    fn fail_range(&mut self, checkpoint: u64, start: u64, end: u64) {
        if self.first_failure.is_none() {
            self.first_failure = Some(FailedRange {
                checkpoint,
                start,
                end,
            });
        }
    }

    fn run(mut self) -> Verification {
        let origin = self.check_all();
        let size = self.tree.size();
        // Pins.
        let mut anchored = false;
        let pins: Vec<(u64, (Hash, Option<bool>))> =
            self.pins.iter().map(|(k, v)| (*k, *v)).collect();
        for (psize, (root, checked)) in pins {
            let name = format!("pin:{psize}");
            let (status, reason, message) = if psize == 0 {
                if root == EMPTY_ROOT {
                    (Status::Valid, None, "the empty tree".to_string())
                } else {
                    (
                        Status::Invalid,
                        Some(Reason::PinMismatch),
                        "a size-0 tree has the root SHA-256(\"\") only".to_string(),
                    )
                }
            } else if origin.is_none() {
                (
                    Status::Unverifiable,
                    Some(Reason::AfterFailure),
                    "the archive could not be read far enough to compare".to_string(),
                )
            } else if psize > size {
                (
                    Status::Invalid,
                    Some(Reason::Truncated),
                    format!(
                        "you hold a checkpoint of {psize} leaves but the archive has only {size}: \
                         the newest {} leaves were cut off",
                        psize - size
                    ),
                )
            } else {
                let broken_before = self.first_failure.is_some_and(|f| f.start < psize);
                match checked {
                    Some(true) => {
                        if psize == size {
                            anchored = !broken_before;
                        }
                        (
                            Status::Valid,
                            None,
                            format!("the archive's first {psize} leaves have the pinned root"),
                        )
                    }
                    _ if broken_before => (
                        Status::Unverifiable,
                        Some(Reason::AfterFailure),
                        format!(
                            "the archive already fails before leaf {psize}; the pin cannot be compared"
                        ),
                    ),
                    _ => (
                        Status::Invalid,
                        Some(Reason::PinMismatch),
                        format!(
                            "the archive's root at size {psize} differs from the pinned root: \
                             the log was rewritten, or the pin belongs to another log"
                        ),
                    ),
                }
            };
            self.items
                .push(Item::new(name, ItemKind::Anchor, status, reason, message));
        }
        // Files nobody vouches for.
        let unused: Vec<String> = self
            .files
            .keys()
            .filter(|p| !self.used.contains(*p))
            .cloned()
            .collect();
        for p in unused {
            self.items.push(Item::new(
                p,
                ItemKind::Other,
                Status::Unreferenced,
                Some(Reason::NotReferenced),
                "not listed in the manifest: nothing in the archive vouches for it",
            ));
        }
        if let Some(f) = self.first_failure {
            self.notes.push(Note {
                severity: Level::Error,
                path: self.full(&format!("checkpoints/{}.note", f.checkpoint)),
                message: format!(
                    "first failing checkpoint: {} (leaves {}..{}, i.e. after checkpoint {} and up to this one)",
                    f.checkpoint,
                    f.start,
                    f.end,
                    f.checkpoint
                        .checked_sub(1)
                        .map_or("none".to_string(), |k| k.to_string())
                ),
            });
        }
        if !anchored {
            self.notes.push(Note {
                severity: Level::Warning,
                path: self.full("manifest"),
                message: UNANCHORED_MESSAGE.to_string(),
            });
        }
        let chains = match &origin {
            Some(o) => vec![ChainSummary {
                id: format!("archive:{o}"),
                provider: Provider::Archive,
                account: o.clone(),
                region: String::new(),
                trail: String::new(),
                home_region: None,
                backfill: false,
                digests: std::mem::take(&mut self.cells),
                continues_before: None,
            }],
            None => vec![],
        };
        let report = Report::new(self.items, self.gaps, chains, self.notes);
        let valid = report.verdict == trailproof_core::report::Verdict::Valid;
        let state = match self.final_state {
            Some((_, state)) if valid => Some(state),
            _ => None,
        };
        let final_checkpoint = self.final_note;
        Verification {
            report,
            origin,
            seals: self.seals,
            first_failure: self.first_failure,
            anchored,
            size,
            leaves: self.leaves,
            layout: self.layout,
            final_checkpoint,
            state,
        }
    }
}

/// How one checkpoint fared.
struct Outcome {
    status: Status,
    reason: Option<Reason>,
    message: String,
}

impl Outcome {
    fn new(status: Status, reason: Option<Reason>, message: impl Into<String>) -> Self {
        Outcome {
            status,
            reason,
            message: message.into(),
        }
    }
}

impl Check {
    /// Removes a file from the pool (marking it used) and returns it.
    fn take(&mut self, rel: &str) -> Option<Stored> {
        let full = self.full(rel);
        self.used.insert(full.clone());
        self.files.remove(&full)
    }

    fn classify(&self, e: &TlogError) -> Outcome {
        match e {
            TlogError::SignatureFailed { .. } => Outcome::new(
                Status::Invalid,
                Some(Reason::SignatureInvalid),
                "a signature by the trusted key does not verify: the checkpoint was altered or forged",
            ),
            TlogError::NoTrustedSignature { .. }
            | TlogError::CheckpointPolicy(
                trailproof_tlog::error::CheckpointPolicy::NoLogSignature,
            ) => {
                if self.any_trusted {
                    Outcome::new(
                        Status::Invalid,
                        Some(Reason::KeyNotFound),
                        "not signed by the supplied key, although other checkpoints are: it was forged or replaced",
                    )
                } else {
                    Outcome::new(
                        Status::Unverifiable,
                        Some(Reason::KeyNotFound),
                        "no signature by a supplied key: check --vkey (it must be this log's verifier key)",
                    )
                }
            }
            TlogError::CheckpointPolicy(
                trailproof_tlog::error::CheckpointPolicy::OriginMismatch { found, .. },
            ) => Outcome::new(
                Status::Invalid,
                Some(Reason::OriginMismatch),
                format!("a checkpoint of another log ({found:?})"),
            ),
            other => Outcome::new(
                Status::Invalid,
                Some(Reason::Malformed),
                format!("not a well-formed signed checkpoint: {other}"),
            ),
        }
    }

    /// Steps 1–6 of the procedure; returns the origin when the manifest could be used.
    fn check_all(&mut self) -> Option<String> {
        // The root is the folder holding the shallowest `manifest`.
        let manifest_path = self
            .files
            .keys()
            .filter(|p| *p == "manifest" || p.ends_with("/manifest"))
            .min_by_key(|p| (p.matches('/').count(), (*p).clone()))
            .cloned();
        let Some(mp) = manifest_path else {
            self.items.push(Item::new(
                "manifest",
                ItemKind::Manifest,
                Status::Missing,
                Some(Reason::NotFound),
                "no manifest: this is not a sealed archive, or its manifest was deleted",
            ));
            return None;
        };
        self.prefix = mp[..mp.len() - "manifest".len()].to_owned();
        let manifest_bytes = match self.bytes("manifest") {
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                self.item(
                    "manifest",
                    ItemKind::Manifest,
                    Status::Invalid,
                    Some(Reason::Malformed),
                    format!("the manifest {e}"),
                );
                return None;
            }
            None => return None,
        };
        let manifest = match Manifest::parse(&manifest_bytes) {
            Ok(m) => m,
            Err(e) => {
                self.item(
                    "manifest",
                    ItemKind::Manifest,
                    Status::Invalid,
                    Some(Reason::Malformed),
                    format!("not a valid audit-archive/v1 manifest: {e}"),
                );
                return None;
            }
        };
        let origin = self
            .options
            .origin
            .clone()
            .unwrap_or_else(|| manifest.origin.clone());
        if manifest.origin != origin {
            self.item(
                "manifest",
                ItemKind::Manifest,
                Status::Invalid,
                Some(Reason::OriginMismatch),
                format!(
                    "the archive is log {:?}, not the expected {origin:?}",
                    manifest.origin
                ),
            );
            return None;
        }
        let mut k = 0u64;
        for e in &manifest.entries {
            if let Entry::Seal { path, .. } = e {
                if *path != format!("seals/{k}.seal") {
                    self.item(
                        "manifest",
                        ItemKind::Manifest,
                        Status::Invalid,
                        Some(Reason::Malformed),
                        format!("seal {k} must be listed as seals/{k}.seal, not {path}"),
                    );
                    return None;
                }
                k += 1;
            }
        }
        let final_seq = k;
        let manifest_hash: Hash = Sha256::digest(&manifest_bytes).into();
        let cp_prefix = self.full("checkpoints/");
        let verifiers = &self.options.verifiers;
        self.any_trusted = self.files.iter().any(|(p, s)| {
            p.starts_with(&cp_prefix)
                && matches!(&s.content, Content::Bytes(b)
                    if checkpoint::open(b, &origin, verifiers).is_ok())
        });
        let manifest_item = self.items.len();
        self.item(
            "manifest",
            ItemKind::Manifest,
            Status::Valid,
            None,
            String::new(),
        );

        let mut entries = manifest.entries.clone();
        let export_index = manifest.leaves();
        entries.push(Entry::Seal {
            index: export_index,
            path: format!("seals/{final_seq}.seal"),
            sha256: [0; 32],
        });
        let mut prev_size = 0u64;
        let mut prev_hash: Option<Hash> = Some([0; 32]);
        let mut prev_time: Option<u64> = None;
        let mut seq = 0u64;
        let mut manifest_matches = None;
        let mut final_ok = false;
        for entry in entries {
            match entry {
                Entry::File {
                    path,
                    first,
                    count,
                    sha256,
                    len,
                } => {
                    self.layout.push((self.full(&path), first, count));
                    self.record_file(&path, first, count, sha256, len);
                }
                Entry::Seal {
                    index,
                    path,
                    sha256,
                } => {
                    let is_final = seq == final_seq;
                    let end = index + 1;
                    // The seal leaf.
                    let mut seal_time = None;
                    let mut final_seal = None;
                    match self.take(&path) {
                        None => {
                            self.item(
                                &path,
                                ItemKind::Seal,
                                Status::Missing,
                                Some(Reason::NotFound),
                                format!("seal {seq} (leaf {index}) was not supplied"),
                            );
                        }
                        Some(st) => {
                            let bytes = match st.content {
                                Content::Bytes(b) => Some(b),
                                _ => None,
                            };
                            let outcome = match bytes {
                                None => Outcome::new(
                                    Status::Invalid,
                                    Some(Reason::Malformed),
                                    "unreadable or larger than a seal can be",
                                ),
                                Some(b) => {
                                    self.push(seal_leaf_hash(&b));
                                    let parsed = Seal::parse(&b);
                                    if !is_final && st.sha256 != sha256 {
                                        Outcome::new(
                                            Status::Invalid,
                                            Some(Reason::HashMismatch),
                                            format!(
                                                "SHA-256 {} differs from the manifest's {}: the seal was changed",
                                                hex::encode(st.sha256),
                                                hex::encode(sha256)
                                            ),
                                        )
                                    } else {
                                        match parsed {
                                            Err(e) => Outcome::new(
                                                Status::Invalid,
                                                Some(Reason::Malformed),
                                                format!("not a valid seal: {e}"),
                                            ),
                                            Ok(seal) => {
                                                let o = self.check_seal(
                                                    &seal, seq, &origin, prev_hash, prev_time,
                                                    index,
                                                );
                                                seal_time = Some(seal.time);
                                                if is_final {
                                                    manifest_matches =
                                                        Some(seal.manifest == Some(manifest_hash));
                                                    final_seal = Some((seal, st.sha256));
                                                }
                                                o
                                            }
                                        }
                                    }
                                }
                            };
                            self.item(
                                &path,
                                ItemKind::Seal,
                                outcome.status,
                                outcome.reason,
                                outcome.message,
                            );
                        }
                    }
                    if let (Some(p), Some(t), Some(period)) =
                        (prev_time, seal_time, self.options.period)
                    {
                        if t.saturating_sub(p) > period.saturating_add(self.options.slack) {
                            self.gaps.push(Gap {
                                start: iso(p),
                                end: iso(t),
                                chain: format!("archive:{origin}"),
                                message: format!(
                                    "no seal for {} s although one is expected every {period} s: \
                                     the sealer was not running, or periods were removed and the log re-sealed",
                                    t - p
                                ),
                            });
                        }
                    }
                    if is_final {
                        self.check_nonce(final_seal.as_ref().map(|(s, _)| s));
                        self.check_time(seal_time, &path);
                    }
                    // The checkpoint right after it.
                    let cp_rel = format!("checkpoints/{seq}.note");
                    let outcome = match self.take(&cp_rel) {
                        None => {
                            prev_hash = None;
                            Outcome::new(
                                Status::Missing,
                                Some(Reason::NotFound),
                                format!("checkpoint {seq} (tree size {end}) was not supplied"),
                            )
                        }
                        Some(st) => match st.content {
                            Content::Bytes(b) => {
                                if is_final {
                                    self.final_note = Some(b.clone());
                                }
                                prev_hash = SignedNote::parse(&b)
                                    .ok()
                                    .map(|n| Sha256::digest(n.text().as_bytes()).into());
                                let o = self.check_checkpoint(&b, &origin, seq, prev_size, end);
                                if is_final && o.status == Status::Valid {
                                    if let (Some((seal, seal_sha)), Some(prev)) =
                                        (&final_seal, prev_hash)
                                    {
                                        final_ok = true;
                                        let mut entries = manifest.entries.clone();
                                        entries.push(Entry::Seal {
                                            index,
                                            path: path.clone(),
                                            sha256: *seal_sha,
                                        });
                                        self.final_state = Some((
                                            b.clone(),
                                            LogState {
                                                origin: origin.clone(),
                                                size: end,
                                                frontier: self.tree.frontier().to_vec(),
                                                next_seq: seq + 1,
                                                prev,
                                                last_time: seal.time,
                                                entries,
                                            },
                                        ));
                                    }
                                }
                                o
                            }
                            _ => {
                                prev_hash = None;
                                Outcome::new(
                                    Status::Invalid,
                                    Some(Reason::Malformed),
                                    "unreadable or larger than a checkpoint can be",
                                )
                            }
                        },
                    };
                    if outcome.status != Status::Valid
                        && outcome.reason != Some(Reason::AfterFailure)
                    {
                        self.fail_range(seq, prev_size, end);
                    }
                    self.cells.push(DigestCell {
                        start: prev_time.map(iso),
                        end: seal_time.map(iso).unwrap_or_default(),
                        status: outcome.status,
                        reason: outcome.reason,
                        path: self.full(&cp_rel),
                    });
                    self.seals.push(SealStatus {
                        seq,
                        time: seal_time,
                        size: end,
                        export: is_final,
                        status: outcome.status,
                        reason: outcome.reason,
                    });
                    self.item(
                        &cp_rel,
                        ItemKind::Checkpoint,
                        outcome.status,
                        outcome.reason,
                        outcome.message,
                    );
                    prev_size = end;
                    prev_time = seal_time.or(prev_time);
                    seq += 1;
                }
            }
        }
        let m = match manifest_matches {
            Some(false) => Outcome::new(
                Status::Invalid,
                Some(Reason::ManifestMismatch),
                "its SHA-256 differs from the one the export seal records: the manifest was changed or replaced",
            ),
            _ if !final_ok => Outcome::new(
                Status::Unverifiable,
                Some(Reason::AfterFailure),
                "not authenticated: the export seal or its checkpoint did not verify",
            ),
            _ => Outcome::new(
                Status::Valid,
                None,
                format!(
                    "log {origin}: {} leaves, {} seals; hash recorded by the export seal",
                    export_index + 1,
                    final_seq + 1
                ),
            ),
        };
        if let Some(it) = self.items.get_mut(manifest_item) {
            it.status = m.status;
            it.reason = m.reason;
            it.message = m.message;
        }
        Some(origin)
    }

    fn record_file(&mut self, path: &str, first: u64, count: u64, sha256: Hash, len: u64) {
        let range = format!("leaves {first}..{}", first.saturating_add(count));
        let Some(st) = self.take(path) else {
            self.item(
                path,
                ItemKind::Log,
                Status::Missing,
                Some(Reason::NotFound),
                format!("listed in the manifest ({range}) but not supplied"),
            );
            return;
        };
        let (leaves, problem): (Vec<Hash>, Option<String>) = match st.content {
            Content::Frames(l, e) => (l, e.map(|e| e.to_string())),
            Content::Bytes(b) => match read_records(&b) {
                Ok(r) => (
                    r.iter()
                        .map(|r| crate::frame::record_leaf_hash(r))
                        .collect(),
                    None,
                ),
                Err(e) => (Vec::new(), Some(e.to_string())),
            },
            Content::Oversized => (Vec::new(), Some("too large".into())),
            Content::Unreadable(e) => (Vec::new(), Some(format!("could not be read: {e}"))),
        };
        let found = leaves.len() as u64;
        for l in leaves {
            self.push(l);
        }
        let outcome = if st.sha256 != sha256 || st.len != len {
            Outcome::new(
                Status::Invalid,
                Some(Reason::HashMismatch),
                format!(
                    "{} bytes with SHA-256 {}, but the manifest records {len} bytes with {} ({range}): the file was changed",
                    st.len,
                    hex::encode(st.sha256),
                    hex::encode(sha256)
                ),
            )
        } else if let Some(p) = problem {
            Outcome::new(
                Status::Invalid,
                Some(Reason::Malformed),
                format!("not a records file: {p}"),
            )
        } else if found != count {
            Outcome::new(
                Status::Invalid,
                Some(Reason::HashMismatch),
                format!("{found} records, but the manifest lists {count} ({range})"),
            )
        } else {
            Outcome::new(Status::Valid, None, format!("{count} records, {range}"))
        };
        self.item(
            path,
            ItemKind::Log,
            outcome.status,
            outcome.reason,
            outcome.message,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn check_seal(
        &self,
        seal: &Seal,
        seq: u64,
        origin: &str,
        prev_hash: Option<Hash>,
        prev_time: Option<u64>,
        index: u64,
    ) -> Outcome {
        let chain = |m: String| Outcome::new(Status::Invalid, Some(Reason::ChainMismatch), m);
        if seal.origin != origin {
            return Outcome::new(
                Status::Invalid,
                Some(Reason::OriginMismatch),
                format!("a seal of log {:?}", seal.origin),
            );
        }
        if seal.seq != seq {
            return chain(format!(
                "says it is seal {}, but it is seal {seq} of the log: a seal is missing, duplicated or out of order",
                seal.seq
            ));
        }
        if let Some(p) = prev_time {
            if seal.time < p {
                return chain(format!(
                    "sealed at {}, before the previous seal ({})",
                    iso(seal.time),
                    iso(p)
                ));
            }
        }
        if let Some(h) = prev_hash {
            if seal.prev != h {
                return chain(format!(
                    "its prev hash {} is not the hash of checkpoint {}'s text",
                    b64(&seal.prev),
                    seq.wrapping_sub(1)
                ));
            }
        }
        let kind = if seal.manifest.is_some() {
            "export seal"
        } else {
            "seal"
        };
        Outcome::new(
            Status::Valid,
            None,
            format!("{kind} {seq} at {} (leaf {index})", iso(seal.time)),
        )
    }

    fn check_checkpoint(
        &mut self,
        note: &[u8],
        origin: &str,
        seq: u64,
        prev_size: u64,
        end: u64,
    ) -> Outcome {
        let verified = match checkpoint::open(note, origin, &self.options.verifiers) {
            Ok(v) => v,
            Err(e) => return self.classify(&e),
        };
        let cp = verified.checkpoint;
        if cp.size == end && self.tree.size() == end && cp.root == self.tree.root() {
            return Outcome::new(
                Status::Valid,
                None,
                format!(
                    "signed checkpoint {seq}: tree size {end}, root {}",
                    b64(&cp.root)
                ),
            );
        }
        if self.root_failed {
            return Outcome::new(
                Status::Unverifiable,
                Some(Reason::AfterFailure),
                format!(
                    "signature valid; its root (size {}) cannot be compared because an earlier checkpoint already failed",
                    cp.size
                ),
            );
        }
        self.root_failed = true;
        let why = if cp.size != end {
            format!(
                "it signs a tree of {} leaves, but the manifest puts seal {seq} at leaf {}",
                cp.size,
                end - 1
            )
        } else {
            format!(
                "the {} leaves supplied up to seal {seq} do not hash to the signed root",
                self.tree.size()
            )
        };
        Outcome::new(
            Status::Invalid,
            Some(Reason::RootMismatch),
            format!(
                "{why}: something in leaves {prev_size}..{end} (after checkpoint {} and up to seal {seq}) was changed, added, removed or reordered",
                seq.checked_sub(1).map_or("none".to_string(), |k| k.to_string())
            ),
        )
    }

    /// Reference §5.4 step 2 ("time plausible"): a warning, since only the key holder can
    /// date a seal and a wrong clock on either side is the likelier cause.
    fn check_time(&mut self, seal_time: Option<u64>, path: &str) {
        let (Some(now), Some(t)) = (self.options.now, seal_time) else {
            return;
        };
        if t > now.saturating_add(self.options.slack.max(300)) {
            self.notes.push(Note {
                severity: Level::Warning,
                path: self.full(path),
                message: format!(
                    "the export seal is dated {}, after this computer's clock ({}): a wrong clock, or a forward-dated seal",
                    iso(t),
                    iso(now)
                ),
            });
        }
    }

    fn check_nonce(&mut self, seal: Option<&Seal>) {
        let Some(expected) = self.options.nonce.clone() else {
            return;
        };
        let (status, reason, message) = match seal {
            None => (
                Status::Unverifiable,
                Some(Reason::AfterFailure),
                "the export seal could not be read".to_string(),
            ),
            Some(s) => match &s.nonce {
                Some(n) if *n == expected => (
                    Status::Valid,
                    None,
                    "the export seal carries your nonce: the export was made for your request".to_string(),
                ),
                Some(n) => (
                    Status::Invalid,
                    Some(Reason::NonceMismatch),
                    format!("the export seal carries nonce {n:?}, not yours: an older or another export"),
                ),
                None => (
                    Status::Invalid,
                    Some(Reason::NonceMismatch),
                    "the export seal carries no nonce: it was not made for your request (an older export?)".to_string(),
                ),
            },
        };
        self.items.push(Item::new(
            "nonce",
            ItemKind::Anchor,
            status,
            reason,
            message,
        ));
    }
}
