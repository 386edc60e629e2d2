//! Phase one: classify one input file and record the facts verification needs.
//!
//! [`scan`] is pure and thread-safe: the CLI runs it on all cores, the browser worker on each
//! dropped file as it streams. Big files (logs) are streamed and only their hashes kept; small
//! files (digests, keys, sidecars) are read whole, up to [`ScanLimits::max_small_file`].

use std::io::Read;

use md5::Md5;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::digest::{AwsDigest, CtsDigest};
use crate::error::Error;
use crate::keys::{looks_like_key, parse_key_file, PublicKey};
use crate::names::{
    base_name, is_aws_digest_name, is_aws_log_name, is_cts_digest_name, is_cts_trace_name,
};
use crate::records::{Extractor, RecordCuts, RecordFacts, Schema};

/// Caps on what one file may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanLimits {
    /// Largest inflated size of one log file.
    pub max_inflated: u64,
    /// Largest stored (and inflated) size of a file read whole: digests, keys, sidecars.
    pub max_small_file: u64,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            max_inflated: 16 << 30,
            max_small_file: 64 << 20,
        }
    }
}

/// What a file was recognised as.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum FileKind {
    /// A CloudTrail digest (normal or backfill).
    AwsDigest,
    /// A Huawei CTS digest.
    CtsDigest,
    /// A CloudTrail log file.
    AwsLog,
    /// A CTS trace file.
    CtsTrace,
    /// Public-key material.
    Keys,
    /// Signature metadata beside a digest (`N.head-object.json`, `N.metadata.json`).
    Sidecar,
    /// Anything else; ignored by verification.
    Other,
}

/// Signature metadata exported beside a digest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sidecar {
    /// The hex signature as found.
    pub signature: String,
    /// The metadata field it was found under (which of the accepted names, as spelled):
    /// the CTS header name is unverified in the spec, so reports say which one was used.
    pub signature_field: String,
    /// The signature algorithm, when stated.
    pub algorithm: Option<String>,
    /// The object's ETag without quotes, when stated (CTS: MD5 of the stored digest).
    pub etag: Option<String>,
    /// CloudTrail backfill digests' `backfill-generation-timestamp`, when stated.
    pub backfill_generation: Option<String>,
}

/// Facts about a digest file.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct DigestFacts<T> {
    /// Lowercase hex hash of the file (AWS: SHA-256 of the inflated bytes; CTS: MD5 stored).
    pub(crate) hash: String,
    pub(crate) parsed: T,
}

/// Facts about a log or trace file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct LogFacts {
    /// Lowercase hex hash (AWS: SHA-256 of the first gzip member inflated; CTS: MD5 stored).
    pub(crate) hash: String,
    /// Offset of bytes after the first gzip member (AWS only).
    pub(crate) trailing_at: Option<u64>,
    /// What its records say about where and when they belong (coverage by content).
    #[serde(default)]
    pub(crate) records: RecordFacts,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) enum Content {
    AwsDigest(Box<DigestFacts<AwsDigest>>),
    CtsDigest(Box<DigestFacts<CtsDigest>>),
    AwsLog(LogFacts),
    CtsTrace(LogFacts),
    Keys(Vec<PublicKey>),
    Sidecar(Sidecar),
    Other,
    /// Recognised (by name or content) as `kind`, but unreadable.
    Malformed(FileKind, Error),
}

/// The result of scanning one file: what it is and what verification needs from it.
///
/// Serialisable, so a browser can scan in several workers and verify in one.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Scanned {
    /// Path relative to the input root, `/`-separated.
    pub path: String,
    /// Stored bytes read.
    pub stored_size: u64,
    /// Remarks that do not make the file invalid by themselves.
    pub warnings: Vec<String>,
    pub(crate) content: Content,
}

impl Scanned {
    /// What the file was recognised as.
    pub fn kind(&self) -> FileKind {
        match &self.content {
            Content::AwsDigest(_) => FileKind::AwsDigest,
            Content::CtsDigest(_) => FileKind::CtsDigest,
            Content::AwsLog(_) => FileKind::AwsLog,
            Content::CtsTrace(_) => FileKind::CtsTrace,
            Content::Keys(_) => FileKind::Keys,
            Content::Sidecar(_) => FileKind::Sidecar,
            Content::Other => FileKind::Other,
            Content::Malformed(k, _) => *k,
        }
    }

    /// Why the file could not be read, if it could not.
    pub fn error(&self) -> Option<&Error> {
        match &self.content {
            Content::Malformed(_, e) => Some(e),
            _ => None,
        }
    }

    /// The public keys the file holds (empty unless it is a key file).
    pub fn keys(&self) -> &[PublicKey] {
        match &self.content {
            Content::Keys(k) => k,
            _ => &[],
        }
    }
}

/// Counts stored bytes as they pass, so the size is known without a second pass.
struct Counting<'a> {
    inner: &'a mut dyn Read,
    count: u64,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

fn read_small(reader: &mut dyn Read, cap: u64) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io {
            message: e.to_string(),
        })?;
    if bytes.len() as u64 > cap {
        return Err(Error::TooLarge { limit: cap });
    }
    Ok(bytes)
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Inflates the first gzip member of `bytes` (or passes plain bytes through).
/// Returns the content, the offset of trailing bytes, and whether the input was plain.
fn inflate_small(bytes: &[u8], cap: u64) -> Result<(Vec<u8>, Option<u64>, bool), Error> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok((bytes.to_vec(), None, true));
    }
    let mut out = Vec::new();
    let mut src = bytes;
    let first = trailproof_core::gzip::inflate_first_member(&mut src, cap, &mut |chunk| {
        out.extend_from_slice(chunk)
    })?;
    Ok((out, first.trailing_at, false))
}

/// Classifies the file at `path` (relative to its input root) and records its facts.
///
/// Never fails and never panics: unreadable files come back as [`Scanned::error`].
pub fn scan(path: &str, reader: &mut dyn Read, limits: &ScanLimits) -> Scanned {
    let mut counting = Counting {
        inner: reader,
        count: 0,
    };
    let mut warnings = Vec::new();
    let content = classify(path, &mut counting, limits, &mut warnings);
    // Drain what classification did not need, so the stored size is complete.
    let _ = std::io::copy(&mut counting, &mut std::io::sink());
    Scanned {
        path: path.to_owned(),
        stored_size: counting.count,
        warnings,
        content,
    }
}

/// [`scan`] of a stored file whose first gzip member the host has already inflated (to load
/// its events too), so that it is not inflated twice: `inflated` must be the first member of
/// `stored` decoded without error, and `first` what
/// [`trailproof_core::gzip::inflate_first_member`] said of it. The result equals
/// `scan(path, stored)`: only gzip CloudTrail logs within [`ScanLimits::max_inflated`] take
/// the shortcut (their hash is of exactly those bytes), every other file is scanned as usual.
pub fn scan_inflated(
    path: &str,
    stored: &[u8],
    first: &trailproof_core::gzip::FirstMember,
    inflated: &[u8],
    limits: &ScanLimits,
) -> Scanned {
    scan_inflated_with(path, stored, first, inflated, limits, None, true)
}

/// [`scan_inflated`] of a log whose records an event ingest has just cut from the same
/// `inflated` bytes ([`RecordCuts`]): where the cuts cover the log in its delivered form, the
/// record facts are taken from them and the log is only hashed, not read again; otherwise it
/// is read as [`scan_inflated`] reads it. The result is the same either way.
pub fn scan_inflated_cut(
    path: &str,
    stored: &[u8],
    first: &trailproof_core::gzip::FirstMember,
    inflated: &[u8],
    limits: &ScanLimits,
    cuts: RecordCuts<'_>,
) -> Scanned {
    scan_inflated_with(path, stored, first, inflated, limits, cuts.facts(), true)
}

/// [`scan_inflated`] (`cuts` none) or [`scan_inflated_cut`] for a host that hashes the decoded
/// log itself (a browser hands it to its own SHA-256, native code): where the scan takes the
/// shortcut, it comes back [`Unhashed`], complete but for the log's hash, for the host to
/// finish with the SHA-256 of `inflated` ([`Unhashed::hashed`]); every other file is scanned
/// as usual (`Err`, complete).
// Both sides are a `Scanned`: boxing one would not make the result smaller.
#[allow(clippy::result_large_err)]
pub fn scan_inflated_unhashed(
    path: &str,
    stored: &[u8],
    first: &trailproof_core::gzip::FirstMember,
    inflated: &[u8],
    limits: &ScanLimits,
    cuts: Option<RecordCuts<'_>>,
) -> Result<Unhashed, Scanned> {
    if !takes_shortcut(path, stored, inflated, limits) {
        return Err(scan(path, &mut &stored[..], limits));
    }
    let facts = cuts.and_then(RecordCuts::facts);
    Ok(Unhashed(scan_inflated_with(
        path, stored, first, inflated, limits, facts, false,
    )))
}

/// [`scan`] of a CloudTrail log stored uncompressed and held whole (`stored`), for a host that
/// hashes it itself, as [`scan_inflated_unhashed`] does a gzip log's: where `path` names a
/// CloudTrail log (not `.gz`) and `stored` is not gzip ([`is_plain_log`]), it comes back
/// [`Unhashed`], for the host to finish with the SHA-256 of `stored` itself (what CloudTrail
/// hashes: the uncompressed content), its record facts taken from `cuts` where they cover the
/// log; every other file is scanned as usual (`Err`, complete).
// Both sides are a `Scanned`: boxing one would not make the result smaller.
#[allow(clippy::result_large_err)]
pub fn scan_plain_unhashed(
    path: &str,
    stored: &[u8],
    limits: &ScanLimits,
    cuts: RecordCuts<'_>,
) -> Result<Unhashed, Scanned> {
    if !is_plain_log(path, stored) {
        return Err(scan(path, &mut &stored[..], limits));
    }
    let warnings = vec![PLAIN.into()];
    let facts = cuts.facts();
    Ok(Unhashed(held_log(
        path, stored, stored, None, warnings, facts, false,
    )))
}

/// Whether [`scan`] reads `stored` at `path` as a CloudTrail log stored uncompressed (hashed
/// as it is): a log by name, not named `.gz`, not gzip.
pub fn is_plain_log(path: &str, stored: &[u8]) -> bool {
    kind_by_name(path) == Some(FileKind::AwsLog)
        && !base_name(path).ends_with(".gz")
        && !stored.starts_with(&GZIP_MAGIC)
}

/// The remark on a CloudTrail log or digest stored uncompressed.
const PLAIN: &str = "stored uncompressed; its bytes were hashed as they are";

/// A gzip CloudTrail log scanned but for the SHA-256 of its first member decoded, which its
/// host computes ([`scan_inflated_unhashed`]). It is not a [`Scanned`] until it has its hash,
/// so no verifier can take a log whose hash is missing for one whose bytes changed.
#[derive(Debug)]
#[must_use]
pub struct Unhashed(Scanned);

impl Unhashed {
    /// The scan, with `sha256` the SHA-256 of the log's first gzip member decoded (the
    /// `inflated` bytes given to [`scan_inflated_unhashed`]; for [`scan_plain_unhashed`], of
    /// the `stored` bytes).
    pub fn hashed(mut self, sha256: &[u8; 32]) -> Scanned {
        if let Content::AwsLog(facts) = &mut self.0.content {
            facts.hash = hex::encode(sha256);
        }
        self.0
    }

    /// The scan, hashed here after all: `inflated` are the bytes [`Unhashed::hashed`] names.
    pub fn hash_here(self, inflated: &[u8]) -> Scanned {
        let mut sha = Sha256::new();
        for slice in inflated.chunks(SLICE) {
            sha.update(slice);
        }
        self.hashed(&sha.finalize().into())
    }

    /// The scan of a log whose hash its host could not compute (`why`): an unreadable log,
    /// which verification reports as such and never counts as intact.
    pub fn not_hashed(self, why: &str) -> Scanned {
        Scanned {
            content: Content::Malformed(
                FileKind::AwsLog,
                Error::Io {
                    message: format!("its SHA-256 could not be computed: {why}"),
                },
            ),
            ..self.0
        }
    }
}

/// Whether [`scan_inflated`] takes its shortcut: a gzip CloudTrail log (by name) within
/// [`ScanLimits::max_inflated`].
fn takes_shortcut(path: &str, stored: &[u8], inflated: &[u8], limits: &ScanLimits) -> bool {
    kind_by_name(path) == Some(FileKind::AwsLog)
        && stored.starts_with(&GZIP_MAGIC)
        && inflated.len() as u64 <= limits.max_inflated
}

/// The shortcut's scan; `hash`: whether to hash the log here (otherwise its hash is left empty
/// for [`Unhashed`]).
fn scan_inflated_with(
    path: &str,
    stored: &[u8],
    first: &trailproof_core::gzip::FirstMember,
    inflated: &[u8],
    limits: &ScanLimits,
    facts: Option<RecordFacts>,
    hash: bool,
) -> Scanned {
    if !takes_shortcut(path, stored, inflated, limits) {
        return scan(path, &mut &stored[..], limits);
    }
    let trailing_at = first.trailing_at;
    held_log(path, stored, inflated, trailing_at, Vec::new(), facts, hash)
}

/// The scan of a CloudTrail log held whole: `content` is what CloudTrail hashed (the first
/// gzip member of `stored` decoded, or `stored` itself when stored uncompressed), its record
/// facts given (by the ingest's cuts) or read here; hashed here when `hash` (otherwise the
/// hash is left empty for [`Unhashed`]).
fn held_log(
    path: &str,
    stored: &[u8],
    content: &[u8],
    trailing_at: Option<u64>,
    warnings: Vec<String>,
    facts: Option<RecordFacts>,
    hash: bool,
) -> Scanned {
    let mut sha = hash.then(Sha256::new);
    // The record facts: given by the cuts, or read here (`Err`) as the log is hashed.
    let mut facts = facts.ok_or_else(|| Extractor::new(Schema::Aws));
    // Slice by slice: each slice is hashed and read while it is in cache, and in a browser
    // the hash and the extractor are called often enough to be optimised early (V8 runs a
    // wasm function in its baseline tier until a later call: one call over a whole log of
    // megabytes ran the first log of each worker several times slower).
    if sha.is_some() || facts.is_err() {
        for slice in content.chunks(SLICE) {
            if let Some(sha) = &mut sha {
                sha.update(slice);
            }
            if let Err(e) = &mut facts {
                e.feed(slice);
            }
        }
    }
    let records = facts.unwrap_or_else(Extractor::finish);
    Scanned {
        path: path.to_owned(),
        stored_size: stored.len() as u64,
        warnings,
        content: Content::AwsLog(LogFacts {
            hash: sha.map(|s| hex::encode(s.finalize())).unwrap_or_default(),
            trailing_at,
            records,
        }),
    }
}

/// The slice of an inflated log hashed and read for its record facts at a time.
const SLICE: usize = 64 << 10;

/// What a file is by its name alone, in the order [`scan`] decides it (a name that says
/// sidecar wins over one that also looks like a digest, and so on). `None`: decided by content.
/// A name that says log is final: logs are never recognised by content.
pub fn kind_by_name(path: &str) -> Option<FileKind> {
    let name = base_name(path);
    if name.ends_with(".head-object.json") || name.ends_with(".metadata.json") {
        Some(FileKind::Sidecar)
    } else if is_aws_digest_name(name) {
        Some(FileKind::AwsDigest)
    } else if is_cts_digest_name(name) {
        Some(FileKind::CtsDigest)
    } else if is_aws_log_name(name) {
        Some(FileKind::AwsLog)
    } else if is_cts_trace_name(name) {
        Some(FileKind::CtsTrace)
    } else {
        None
    }
}

fn classify(
    path: &str,
    reader: &mut dyn Read,
    limits: &ScanLimits,
    warnings: &mut Vec<String>,
) -> Content {
    let name = base_name(path);
    match kind_by_name(name) {
        Some(FileKind::Sidecar) => {
            return match read_small(reader, limits.max_small_file).and_then(|b| parse_sidecar(&b)) {
                Ok(s) => Content::Sidecar(s),
                Err(e) => Content::Malformed(FileKind::Sidecar, e),
            };
        }
        Some(FileKind::AwsDigest) => {
            return match read_small(reader, limits.max_small_file) {
                Ok(b) => aws_digest(&b, limits, warnings),
                Err(e) => Content::Malformed(FileKind::AwsDigest, e),
            };
        }
        Some(FileKind::CtsDigest) => {
            return match read_small(reader, limits.max_small_file) {
                Ok(b) => cts_digest(&b, limits),
                Err(e) => Content::Malformed(FileKind::CtsDigest, e),
            };
        }
        Some(FileKind::AwsLog) => return aws_log(name, reader, limits, warnings),
        Some(FileKind::CtsTrace) => return cts_trace(reader, limits),
        _ => {}
    }
    // Not recognised by name: look at the content (renamed digests, uncompressed copies, keys).
    let bytes = match read_small(reader, limits.max_small_file) {
        Ok(b) => b,
        Err(_) => return Content::Other,
    };
    if looks_like_key(&bytes) {
        match parse_key_file(&bytes, path) {
            Ok((keys, w)) => {
                warnings.extend(w);
                return Content::Keys(keys);
            }
            Err(e) => {
                // Only call it a broken key file when it clearly meant to be one: a PEM
                // public key block, or JSON whose top level names the key list (a document
                // that merely mentions `PublicKeyList` is just another file).
                let text = String::from_utf8_lossy(&bytes);
                let trimmed = text.trim_start();
                let pem = trimmed.starts_with("-----BEGIN") && trimmed.contains("PUBLIC KEY-----");
                let list = trimmed.starts_with('{')
                    && (trimmed.contains("\"PublicKeyList\"")
                        || trimmed.contains("\"publicKeyList\""));
                if pem || list {
                    return Content::Malformed(FileKind::Keys, e);
                }
            }
        }
    }
    let Ok((json, _, _)) = inflate_small(&bytes, limits.max_small_file) else {
        return Content::Other;
    };
    let head = String::from_utf8_lossy(&json[..json.len().min(1 << 16)]);
    if head.contains("\"digestS3Object\"") && head.contains("\"digestEndTime\"") {
        return aws_digest(&bytes, limits, warnings);
    }
    if head.contains("\"digest_object\"") && head.contains("\"digest_end_time\"") {
        return cts_digest(&bytes, limits);
    }
    Content::Other
}

fn io_error(kind: FileKind, e: std::io::Error) -> Content {
    Content::Malformed(
        kind,
        Error::Io {
            message: e.to_string(),
        },
    )
}

/// A CloudTrail log: SHA-256 of the first gzip member inflated (or of the bytes of an
/// uncompressed copy), with the record facts read from the same chunks.
fn aws_log(
    name: &str,
    reader: &mut dyn Read,
    limits: &ScanLimits,
    warnings: &mut Vec<String>,
) -> Content {
    let mut sha = Sha256::new();
    let mut records = Extractor::new(Schema::Aws);
    // Peek at the magic: an uncompressed copy is hashed as it is (CloudTrail hashes the
    // uncompressed content), a gzip file through its first member only.
    let mut magic = Vec::with_capacity(2);
    if let Err(e) = reader.take(2).read_to_end(&mut magic) {
        return io_error(FileKind::AwsLog, e);
    }
    let mut reader = std::io::Cursor::new(magic.clone()).chain(reader);
    if magic != GZIP_MAGIC && !name.ends_with(".gz") {
        warnings.push(PLAIN.into());
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    sha.update(&buf[..n]);
                    records.feed(&buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return io_error(FileKind::AwsLog, e),
            }
        }
        return Content::AwsLog(LogFacts {
            hash: hex::encode(sha.finalize()),
            trailing_at: None,
            records: records.finish(),
        });
    }
    match trailproof_core::gzip::inflate_first_member(&mut reader, limits.max_inflated, &mut |c| {
        sha.update(c);
        records.feed(c);
    }) {
        Ok(first) => Content::AwsLog(LogFacts {
            hash: hex::encode(sha.finalize()),
            trailing_at: first.trailing_at,
            records: records.finish(),
        }),
        Err(e) => Content::Malformed(FileKind::AwsLog, e.into()),
    }
}

/// Passes bytes through while hashing them, so the stored bytes are hashed exactly once
/// however much of them the decoder reads ahead.
struct Md5Tee<'a> {
    inner: &'a mut dyn Read,
    md5: Md5,
}

impl Read for Md5Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.md5.update(&buf[..n]);
        Ok(n)
    }
}

/// A CTS trace file: MD5 of the stored bytes (what CTS records), and the record facts read
/// from its inflated content on the way (every gzip member, up to the inflation cap; a
/// file that does not inflate just yields no facts).
fn cts_trace(reader: &mut dyn Read, limits: &ScanLimits) -> Content {
    let mut tee = Md5Tee {
        inner: reader,
        md5: Md5::new(),
    };
    let mut records = Extractor::new(Schema::Cts);
    let mut magic = Vec::with_capacity(2);
    if let Err(e) = (&mut tee).take(2).read_to_end(&mut magic) {
        return io_error(FileKind::CtsTrace, e);
    }
    let mut buf = vec![0u8; 256 * 1024];
    let gzip = magic == GZIP_MAGIC;
    if gzip {
        let chained = std::io::Cursor::new(magic).chain(&mut tee);
        let mut decoder = flate2::read::MultiGzDecoder::new(chained);
        let mut inflated = 0u64;
        loop {
            match decoder.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    inflated += n as u64;
                    if inflated > limits.max_inflated {
                        records.stop();
                        break;
                    }
                    records.feed(&buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => {
                    // Not ours to judge: CTS hashes the stored bytes, which still hash.
                    records.stop();
                    break;
                }
            }
        }
    } else {
        records.feed(&magic);
    }
    // Hash whatever the decoder did not consume (and read a plain file's records).
    loop {
        match tee.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if !gzip {
                    records.feed(&buf[..n]);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return io_error(FileKind::CtsTrace, e),
        }
    }
    Content::CtsTrace(LogFacts {
        hash: hex::encode(tee.md5.finalize()),
        trailing_at: None,
        records: records.finish(),
    })
}

fn aws_digest(bytes: &[u8], limits: &ScanLimits, warnings: &mut Vec<String>) -> Content {
    let (json, trailing_at, plain) = match inflate_small(bytes, limits.max_small_file) {
        Ok(x) => x,
        Err(e) => return Content::Malformed(FileKind::AwsDigest, e),
    };
    if let Some(at) = trailing_at {
        // `docs/digests.md`, CloudTrail: aws-cli ignores bytes after a digest's gzip stream; we flag them.
        warnings.push(format!(
            "unexpected data after the end of the gzip stream at byte {at}; the signed content is unaffected"
        ));
    }
    if plain {
        warnings.push(PLAIN.into());
    }
    match AwsDigest::parse(&json) {
        Ok(parsed) => Content::AwsDigest(Box::new(DigestFacts {
            hash: hex::encode(Sha256::digest(&json)),
            parsed,
        })),
        Err(e) => Content::Malformed(FileKind::AwsDigest, e),
    }
}

fn cts_digest(bytes: &[u8], limits: &ScanLimits) -> Content {
    // CTS signs the MD5 of the object as stored, i.e. of the compressed bytes (§3.4).
    let hash = hex::encode(Md5::digest(bytes));
    let json = match inflate_small(bytes, limits.max_small_file) {
        Ok((json, _, _)) => json,
        Err(e) => return Content::Malformed(FileKind::CtsDigest, e),
    };
    match CtsDigest::parse(&json) {
        Ok(parsed) => Content::CtsDigest(Box::new(DigestFacts { hash, parsed })),
        Err(e) => Content::Malformed(FileKind::CtsDigest, e),
    }
}

/// Looks up a metadata value by any of `names`, case-insensitively, in `Metadata` first and
/// then at the top level (CTS exports vary; `docs/digests.md`, CTS).
fn meta_lookup<'a>(root: &'a serde_json::Map<String, Value>, names: &[&str]) -> Option<&'a str> {
    meta_entry(root, names).map(|(_, v)| v)
}

/// Like [`meta_lookup`], also returning the field name as found.
fn meta_entry<'a>(
    root: &'a serde_json::Map<String, Value>,
    names: &[&str],
) -> Option<(&'a str, &'a str)> {
    let nested = ["Metadata", "metadata"]
        .iter()
        .filter_map(|k| root.get(*k))
        .filter_map(Value::as_object);
    for map in nested.chain(std::iter::once(root)) {
        for (k, v) in map {
            if names.iter().any(|n| k.eq_ignore_ascii_case(n)) {
                if let Some(s) = v.as_str() {
                    return Some((k.as_str(), s));
                }
            }
        }
    }
    None
}

/// Parses a sidecar: `aws s3api head-object` output or an OBS metadata export.
pub fn parse_sidecar(bytes: &[u8]) -> Result<Sidecar, Error> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| Error::Json {
        message: e.to_string(),
    })?;
    let root = v.as_object().ok_or(Error::Json {
        message: "top level is not an object".into(),
    })?;
    let (field, signature) = meta_entry(
        root,
        &[
            "signature",
            "meta-signature",
            "x-obs-meta-signature",
            "x-amz-meta-signature",
        ],
    )
    .ok_or(Error::MissingField {
        field: "signature".into(),
    })?;
    let (signature_field, signature) = (field.to_owned(), signature.to_owned());
    let algorithm = meta_lookup(
        root,
        &[
            "signature-algorithm",
            "meta-signature-algorithm",
            "x-obs-meta-signature-algorithm",
            "x-amz-meta-signature-algorithm",
        ],
    )
    .map(str::to_owned);
    let etag = meta_lookup(root, &["ETag"]).map(|e| e.trim_matches('"').to_ascii_lowercase());
    let backfill_generation = meta_lookup(
        root,
        &[
            "backfill-generation-timestamp",
            "x-amz-meta-backfill-generation-timestamp",
        ],
    )
    .map(str::to_owned);
    Ok(Sidecar {
        signature,
        signature_field,
        algorithm,
        etag,
        backfill_generation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_names() {
        for name in [
            "signature",
            "meta-signature",
            "x-obs-meta-signature",
            "x-amz-meta-signature",
            "Meta-Signature",
        ] {
            let top = format!(r#"{{"{name}":"ab"}}"#);
            assert_eq!(parse_sidecar(top.as_bytes()).unwrap().signature, "ab");
            let nested = format!(r#"{{"Metadata":{{"{name}":"cd"}},"ETag":"\"AB\""}}"#);
            let s = parse_sidecar(nested.as_bytes()).unwrap();
            assert_eq!(s.signature, "cd");
            assert_eq!(s.etag.as_deref(), Some("ab"));
        }
        assert!(parse_sidecar(br#"{"Metadata":{}}"#).is_err());
        assert!(parse_sidecar(b"nope").is_err());
    }

    #[test]
    fn a_log_inflated_by_the_host_scans_as_the_stored_file() {
        use std::io::Write;
        let json = br#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-01T00:01:02Z","awsRegion":"us-east-1","recipientAccountId":"111122223333","eventID":"a"}]}"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(json).unwrap();
        let single = gz.finish().unwrap();
        let mut trailing = single.clone();
        trailing.extend_from_slice(b"junk");
        let names = [
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz",
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240501T010000Z.json.gz",
            "other.json.gz",
        ];
        let limits = ScanLimits::default();
        for stored in [&single, &trailing] {
            let mut inflated = Vec::new();
            let first =
                trailproof_core::gzip::inflate_first_member(&mut &stored[..], u64::MAX, &mut |c| {
                    inflated.extend_from_slice(c)
                })
                .unwrap();
            for name in names {
                let a = scan(name, &mut &stored[..], &limits);
                let b = scan_inflated(name, stored, &first, &inflated, &limits);
                // `Scanned` is compared through its serialised form (what crosses workers).
                assert_eq!(
                    serde_json::to_string(&a).unwrap(),
                    serde_json::to_string(&b).unwrap(),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let names = [
            "x.json.gz",
            "1_CloudTrail-Digest_r_t_h_20240501T010000Z.json.gz",
            "1_CloudTrail_r_20240501T0100Z_abc.json.gz",
            "p_CloudTrace-Digest_r_2024-05-01T01-00-00Z.json.gz",
            "p_CloudTrace_r_2024-05-01T01-00-00Z_ab.json.gz",
            "k.pem",
            "a.head-object.json",
        ];
        let inputs: [&[u8]; 6] = [
            b"",
            b"\x1f\x8b",
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
            b"{}",
            b"MIIB",
            b"\x30\x82\x01",
        ];
        for n in names {
            for i in inputs {
                let mut r = i;
                let s = scan(n, &mut r, &ScanLimits::default());
                assert_eq!(s.stored_size, i.len() as u64);
            }
        }
    }
}
