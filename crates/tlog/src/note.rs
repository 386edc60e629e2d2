//! C2SP signed notes (c2sp.org/signed-note v1.0.0): parse strictly, verify, sign.
//!
//! A note is `text` (LF-terminated lines), a blank line, then one or more signature lines
//! `— <key name> <base64(key ID || signature)>`. Parsing is strict: UTF-8 only, no control
//! character but LF, the *last* `"\n\n"` is the boundary, canonical padded base64 only, at
//! most [`MAX_SIGNATURES`] lines (the spec requires accepting at least 16).
//!
//! Verification follows the spec table (reference §1.3):
//!
//! | signature line | outcome |
//! |---|---|
//! | (name, key ID) not configured — even if name or ID alone matches | ignored ([`SignatureStatus::Unknown`]) |
//! | configured key, signature fails | [`SignatureStatus::Failed`] → note rejected |
//! | configured key, signature verifies | [`SignatureStatus::Verified`] |
//! | no line verified | note rejected ([`Error::NoTrustedSignature`]) |
//!
//! Unlike Go, which checks only the first line per (name, key ID), every line from a configured
//! key is checked, so a failing duplicate also rejects the note. Two *different* configured keys
//! with the same (name, key ID) are a configuration error ([`Error::AmbiguousKey`]).
//!
//! Supported signature types: 0x01 Ed25519 over the text, and 0x04 timestamped Ed25519
//! cosignatures (c2sp.org/tlog-cosignature) over `cosignature/v1\ntime <T>\n` || text, whose
//! payload is `u64be(T) || signature`. Both use the strict Ed25519 policy of [`crate::ed25519`].

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::ed25519::{PrivateKey, PublicKey, SIGNATURE_LEN};
use crate::error::{Error, KeyProblem, NoteFormat, SignatureProblem};

/// The most signature lines a note may carry; more is malformed. The spec says verifiers
/// SHOULD cap and MUST accept at least 16; 100 matches Go's `note.Open`.
pub const MAX_SIGNATURES: usize = 100;

/// The prefix of every signature line: U+2014 EM DASH and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// Go's private-key string prefix.
const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";

/// The cosignature timestamp limit (2^63 − 1, tlog-cosignature).
const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// A 4-byte key ID (big-endian u32), displayed as 8 lowercase hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u32);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// The signature types this crate verifies and produces.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// 0x01: Ed25519 over the note text (a log's or any signer's own signature).
    Ed25519,
    /// 0x04: timestamped Ed25519 cosignature (a witness's statement about a checkpoint).
    Cosignature,
}

impl KeyType {
    /// The type byte.
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::Cosignature => 0x04,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        match b {
            0x01 => Some(KeyType::Ed25519),
            0x04 => Some(KeyType::Cosignature),
            _ => None,
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyType::Ed25519 => write!(f, "Ed25519"),
            KeyType::Cosignature => write!(f, "Ed25519 cosignature"),
        }
    }
}

/// The recommended key ID: SHA-256(name || 0x0A || type || public key)\[:4\].
pub fn key_id(name: &str, key_type: u8, public_key: &[u8]) -> KeyId {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', key_type]);
    h.update(public_key);
    let d = h.finalize();
    KeyId(u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
}

/// A key name is non-empty and has no whitespace, no `+` and (stricter than the spec, which
/// gets this for free inside a note) no control characters.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
}

/// A trusted public key, parsed from a verifier key string `name+keyid+base64(type || key)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_id: KeyId,
    key_type: KeyType,
    key: PublicKey,
}

impl VerifierKey {
    /// Parses a verifier key strictly: exactly three `+`-separated parts (the base64 part may
    /// itself contain `+`), 8 lowercase hex digits, canonical base64, a supported type, a
    /// 32-byte key that is a valid, non-weak Ed25519 point, and a key ID equal to the
    /// recommended formula. Go's `PRIVATE+KEY+` strings are refused.
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s.starts_with(PRIVATE_PREFIX) {
            return Err(KeyProblem::PrivateKeyGiven.into());
        }
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(KeyProblem::Syntax.into());
        };
        let (name, stated, raw) = parse_key_parts(name, id, b64)?;
        let (&type_byte, key) = raw.split_first().ok_or(KeyProblem::Empty)?;
        let key_type = KeyType::from_byte(type_byte).ok_or(KeyProblem::UnsupportedType {
            key_type: type_byte,
        })?;
        Self::from_parts(name, stated, key_type, key)
    }

    fn from_parts(name: &str, stated: KeyId, key_type: KeyType, key: &[u8]) -> Result<Self, Error> {
        if key.len() != crate::ed25519::PUBLIC_KEY_LEN {
            return Err(KeyProblem::Length {
                expected: crate::ed25519::PUBLIC_KEY_LEN,
                actual: key.len(),
            }
            .into());
        }
        let computed = key_id(name, key_type.byte(), key);
        if computed != stated {
            return Err(KeyProblem::KeyIdMismatch { stated, computed }.into());
        }
        let key = PublicKey::from_bytes(key)?;
        Ok(VerifierKey {
            name: name.to_owned(),
            key_id: computed,
            key_type,
            key,
        })
    }

    /// A verifier key for `key` under `name`, with the recommended key ID.
    pub fn new(name: &str, key_type: KeyType, key: PublicKey) -> Result<Self, Error> {
        if !valid_name(name) {
            return Err(KeyProblem::InvalidName.into());
        }
        let key_id = key_id(name, key_type.byte(), &key.to_bytes());
        Ok(VerifierKey {
            name: name.to_owned(),
            key_id,
            key_type,
            key,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The signature type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// Checks one signature payload (the bytes after the key ID) over `text`.
    /// Returns the cosignature timestamp for type 0x04.
    fn verify_payload(&self, text: &str, payload: &[u8]) -> Result<Option<u64>, SignatureProblem> {
        match self.key_type {
            KeyType::Ed25519 => {
                self.key.verify(text.as_bytes(), payload)?;
                Ok(None)
            }
            KeyType::Cosignature => {
                let expected = 8 + SIGNATURE_LEN;
                let (ts, sig) = match payload.split_first_chunk::<8>() {
                    Some((ts, sig)) if payload.len() == expected => (u64::from_be_bytes(*ts), sig),
                    _ => {
                        return Err(SignatureProblem::Length {
                            expected,
                            actual: payload.len(),
                        })
                    }
                };
                if ts > MAX_TIMESTAMP {
                    return Err(SignatureProblem::TimestampOutOfRange);
                }
                self.key
                    .verify(cosigned_message(text, ts).as_bytes(), sig)?;
                Ok(Some(ts))
            }
        }
    }
}

/// Name, key ID and decoded key material of a `name+id+base64` string.
fn parse_key_parts<'a>(
    name: &'a str,
    id: &str,
    b64: &str,
) -> Result<(&'a str, KeyId, Vec<u8>), Error> {
    if !valid_name(name) {
        return Err(KeyProblem::InvalidName.into());
    }
    let id_ok = id.len() == 8
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !id_ok {
        return Err(KeyProblem::KeyIdSyntax.into());
    }
    let stated = u32::from_str_radix(id, 16).map_err(|_| KeyProblem::KeyIdSyntax)?;
    let raw = STANDARD.decode(b64).map_err(|_| KeyProblem::BadBase64)?;
    Ok((name, KeyId(stated), raw))
}

/// The message a type-0x04 cosignature signs.
fn cosigned_message(text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

impl fmt::Display for VerifierKey {
    /// The verifier key string `name+keyid+base64(type || key)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(self.key_type.byte());
        raw.extend_from_slice(&self.key.to_bytes());
        write!(f, "{}+{}+{}", self.name, self.key_id, STANDARD.encode(raw))
    }
}

impl FromStr for VerifierKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        VerifierKey::parse(s)
    }
}

/// The set of trusted keys a note is verified against.
#[derive(Clone, Debug, Default)]
pub struct Verifiers {
    keys: Vec<VerifierKey>,
}

impl Verifiers {
    /// An empty set (every note verified against it is rejected: nothing is trusted).
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses and adds every verifier key string.
    pub fn from_vkeys<'a>(vkeys: impl IntoIterator<Item = &'a str>) -> Result<Self, Error> {
        let mut v = Self::new();
        for s in vkeys {
            v.add(VerifierKey::parse(s)?)?;
        }
        Ok(v)
    }

    /// Adds a key. Adding the same key twice is harmless; a *different* key with the same
    /// (name, key ID) is [`Error::AmbiguousKey`].
    pub fn add(&mut self, key: VerifierKey) -> Result<(), Error> {
        if let Some(existing) = self.find(&key.name, key.key_id) {
            if existing == &key {
                return Ok(());
            }
            return Err(Error::AmbiguousKey {
                name: key.name,
                key_id: key.key_id,
            });
        }
        self.keys.push(key);
        Ok(())
    }

    /// The key configured for (name, key ID), if any.
    pub fn find(&self, name: &str, key_id: KeyId) -> Option<&VerifierKey> {
        self.keys
            .iter()
            .find(|k| k.key_id == key_id && k.name == name)
    }

    /// The configured keys.
    pub fn iter(&self) -> impl Iterator<Item = &VerifierKey> {
        self.keys.iter()
    }

    /// Number of configured keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// One parsed signature line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureLine {
    /// The key name.
    pub name: String,
    /// The key ID (first 4 decoded bytes).
    pub key_id: KeyId,
    /// The type-specific signature bytes after the key ID.
    pub payload: Vec<u8>,
}

impl fmt::Display for SignatureLine {
    /// The line as it appears in the note, without its LF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(4 + self.payload.len());
        raw.extend_from_slice(&self.key_id.0.to_be_bytes());
        raw.extend_from_slice(&self.payload);
        write!(f, "{SIG_PREFIX}{} {}", self.name, STANDARD.encode(raw))
    }
}

/// A syntactically valid signed note. Nothing is verified yet: see [`Note::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<SignatureLine>,
}

/// Checks note text: non-empty, LF-terminated, no control characters but LF.
fn check_text(text: &str) -> Result<(), Error> {
    if text.is_empty() || !text.ends_with('\n') || text.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(NoteFormat::InvalidText.into());
    }
    Ok(())
}

impl Note {
    /// Parses note bytes strictly (see the module docs). The result round-trips byte-exactly
    /// through [`Note::to_bytes`].
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let s = std::str::from_utf8(bytes).map_err(|e| NoteFormat::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        if let Some(offset) = s.bytes().position(|b| b < 0x20 && b != b'\n') {
            return Err(NoteFormat::ControlCharacter {
                offset,
                byte: bytes[offset],
            }
            .into());
        }
        let split = s.rfind("\n\n").ok_or(NoteFormat::NoSignatureSeparator)?;
        // The text keeps its final LF; the blank line's LF belongs to neither part.
        let (text, sigs) = (&s[..=split], &s[split + 2..]);
        if sigs.is_empty() {
            return Err(NoteFormat::EmptySignatureBlock.into());
        }
        let Some(sigs) = sigs.strip_suffix('\n') else {
            return Err(NoteFormat::UnterminatedSignatureLine.into());
        };
        // Count before decoding anything, so a hostile note costs little.
        let count = sigs.split('\n').count();
        if count > MAX_SIGNATURES {
            return Err(NoteFormat::TooManySignatures {
                count,
                limit: MAX_SIGNATURES,
            }
            .into());
        }
        let mut signatures = Vec::with_capacity(count);
        for (i, line) in sigs.split('\n').enumerate() {
            signatures.push(parse_signature_line(line, i + 1)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// A note with `text` and no signatures yet (add them with [`Note::add_signature`]).
    pub fn unsigned(text: &str) -> Result<Self, Error> {
        check_text(text)?;
        Ok(Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// The signed text, including its final LF, excluding the blank line.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines in order.
    pub fn signatures(&self) -> &[SignatureLine] {
        &self.signatures
    }

    /// Signs the text with `signer` and appends the signature line.
    pub fn add_signature(&mut self, signer: &Signer) -> Result<(), Error> {
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(NoteFormat::TooManySignatures {
                count: self.signatures.len() + 1,
                limit: MAX_SIGNATURES,
            }
            .into());
        }
        self.signatures.push(signer.sign_text(&self.text)?);
        Ok(())
    }

    /// The note bytes: text, blank line, signature lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// Checks every signature line against `verifiers` and reports each one. Never fails:
    /// use [`NoteReport::verdict`] (or [`Note::verify`]) for the accept/reject decision.
    pub fn check(&self, verifiers: &Verifiers) -> NoteReport {
        let signatures = self
            .signatures
            .iter()
            .map(|line| {
                let status = match verifiers.find(&line.name, line.key_id) {
                    None => SignatureStatus::Unknown,
                    Some(key) => match key.verify_payload(&self.text, &line.payload) {
                        Ok(timestamp) => SignatureStatus::Verified {
                            key_type: key.key_type,
                            timestamp,
                        },
                        Err(p) => SignatureStatus::Failed(p),
                    },
                };
                SignatureReport {
                    name: line.name.clone(),
                    key_id: line.key_id,
                    status,
                }
            })
            .collect();
        NoteReport { signatures }
    }

    /// Verifies the note: at least one configured key verified and none failed.
    pub fn verify(&self, verifiers: &Verifiers) -> Result<NoteReport, Error> {
        let report = self.check(verifiers);
        report.verdict()?;
        Ok(report)
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.text)?;
        for s in &self.signatures {
            writeln!(f, "{s}")?;
        }
        Ok(())
    }
}

fn parse_signature_line(line: &str, n: usize) -> Result<SignatureLine, Error> {
    let rest = line
        .strip_prefix(SIG_PREFIX)
        .ok_or(NoteFormat::NotASignatureLine { line: n })?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or(NoteFormat::MissingSignature { line: n })?;
    if !valid_name(name) {
        return Err(NoteFormat::InvalidKeyName { line: n }.into());
    }
    // STANDARD requires padding and rejects non-zero trailing bits and any stray character
    // (including a second space), so only the canonical encoding is accepted.
    let raw = STANDARD
        .decode(b64)
        .map_err(|_| NoteFormat::BadBase64 { line: n })?;
    match raw.split_first_chunk::<4>() {
        Some((id, payload)) if !payload.is_empty() => Ok(SignatureLine {
            name: name.to_owned(),
            key_id: KeyId(u32::from_be_bytes(*id)),
            payload: payload.to_vec(),
        }),
        _ => Err(NoteFormat::SignatureTooShort {
            line: n,
            len: raw.len(),
        }
        .into()),
    }
}

/// What happened to one signature line.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureStatus {
    /// A configured key verified it.
    Verified {
        /// The key's type.
        key_type: KeyType,
        /// The cosignature timestamp (POSIX seconds), for type 0x04.
        timestamp: Option<u64>,
    },
    /// No configured key has this (name, key ID): ignored, as the spec requires.
    Unknown,
    /// A configured key matched and the signature failed: the note must be rejected.
    Failed(SignatureProblem),
}

/// The verdict for one signature line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureReport {
    /// Name on the line.
    pub name: String,
    /// Key ID on the line.
    pub key_id: KeyId,
    /// The outcome.
    pub status: SignatureStatus,
}

/// Per-line results of checking a note; [`NoteReport::verdict`] turns them into a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteReport {
    /// One entry per signature line, in note order.
    pub signatures: Vec<SignatureReport>,
}

impl NoteReport {
    /// Accept iff no configured key's signature failed and at least one verified.
    pub fn verdict(&self) -> Result<(), Error> {
        for s in &self.signatures {
            if let SignatureStatus::Failed(reason) = s.status {
                return Err(Error::SignatureFailed {
                    name: s.name.clone(),
                    key_id: s.key_id,
                    reason,
                });
            }
        }
        if !self
            .signatures
            .iter()
            .any(|s| matches!(s.status, SignatureStatus::Verified { .. }))
        {
            return Err(Error::NoTrustedSignature {
                lines: self.signatures.len(),
            });
        }
        Ok(())
    }

    /// The lines that verified.
    pub fn verified(&self) -> impl Iterator<Item = &SignatureReport> {
        self.signatures
            .iter()
            .filter(|s| matches!(s.status, SignatureStatus::Verified { .. }))
    }

    /// True if at least one type-0x01 (non-cosignature) signature verified.
    pub fn has_verified_ed25519(&self) -> bool {
        self.signatures.iter().any(|s| {
            matches!(
                s.status,
                SignatureStatus::Verified {
                    key_type: KeyType::Ed25519,
                    ..
                }
            )
        })
    }
}

/// A private key able to sign notes, with its name and key ID.
#[derive(Clone, Debug)]
pub struct Signer {
    name: String,
    key_id: KeyId,
    kind: SignerKind,
    key: PrivateKey,
}

/// What kind of signature a [`Signer`] makes.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerKind {
    /// Type 0x01 Ed25519 over the text.
    Ed25519,
    /// Type 0x04 cosignature stating `timestamp` (POSIX seconds, ≤ 2^63 − 1).
    Cosignature {
        /// The time the cosigner asserts.
        timestamp: u64,
    },
}

impl Signer {
    /// A type-0x01 signer named `name` for the key with this 32-byte `seed`.
    pub fn ed25519(name: &str, seed: &[u8; 32]) -> Result<Self, Error> {
        Self::new(name, seed, SignerKind::Ed25519)
    }

    /// A type-0x04 cosigner named `name`, stating `timestamp`.
    pub fn cosigner(name: &str, seed: &[u8; 32], timestamp: u64) -> Result<Self, Error> {
        Self::new(name, seed, SignerKind::Cosignature { timestamp })
    }

    fn new(name: &str, seed: &[u8; 32], kind: SignerKind) -> Result<Self, Error> {
        if !valid_name(name) {
            return Err(KeyProblem::InvalidName.into());
        }
        let key = PrivateKey::from_seed(seed);
        let key_id = key_id(name, kind_type(kind).byte(), &key.public_key().to_bytes());
        Ok(Signer {
            name: name.to_owned(),
            key_id,
            kind,
            key,
        })
    }

    /// Parses Go's private key string `PRIVATE+KEY+<name>+<key ID>+base64(type || seed)`
    /// (type 0x01; the key ID must match the derived public key). Surrounding whitespace
    /// (a trailing newline in a key file) is ignored.
    pub fn parse_private_key(s: &str) -> Result<Self, Error> {
        let rest = s
            .trim()
            .strip_prefix(PRIVATE_PREFIX)
            .ok_or(KeyProblem::NotAPrivateKey)?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(KeyProblem::Syntax.into());
        };
        let (name, stated, raw) = parse_key_parts(name, id, b64)?;
        let (&type_byte, seed) = raw.split_first().ok_or(KeyProblem::Empty)?;
        if type_byte != KeyType::Ed25519.byte() {
            return Err(KeyProblem::UnsupportedType {
                key_type: type_byte,
            }
            .into());
        }
        let seed: &[u8; 32] = seed.try_into().map_err(|_| KeyProblem::Length {
            expected: 32,
            actual: seed.len(),
        })?;
        let signer = Self::ed25519(name, seed)?;
        if signer.key_id != stated {
            return Err(KeyProblem::KeyIdMismatch {
                stated,
                computed: signer.key_id,
            }
            .into());
        }
        Ok(signer)
    }

    /// Go's private key string for this signer (type byte 0x01 or 0x04 and the seed).
    /// Secret: write it only to files readable by the owner.
    pub fn to_private_key_string(&self) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(kind_type(self.kind).byte());
        raw.extend_from_slice(&self.key.seed());
        format!(
            "{PRIVATE_PREFIX}{}+{}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(raw)
        )
    }

    /// The matching verifier key.
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            key_id: self.key_id,
            key_type: kind_type(self.kind),
            key: self.key.public_key(),
        }
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The same key stating another cosignature timestamp (no effect on type-0x01 signers).
    pub fn with_timestamp(mut self, timestamp: u64) -> Self {
        if let SignerKind::Cosignature { .. } = self.kind {
            self.kind = SignerKind::Cosignature { timestamp };
        }
        self
    }

    fn sign_text(&self, text: &str) -> Result<SignatureLine, Error> {
        check_text(text)?;
        let payload = match self.kind {
            SignerKind::Ed25519 => self.key.sign(text.as_bytes()).to_vec(),
            SignerKind::Cosignature { timestamp } => {
                if timestamp > MAX_TIMESTAMP {
                    return Err(Error::Signature(SignatureProblem::TimestampOutOfRange));
                }
                let sig = self.key.sign(cosigned_message(text, timestamp).as_bytes());
                let mut p = timestamp.to_be_bytes().to_vec();
                p.extend_from_slice(&sig);
                p
            }
        };
        Ok(SignatureLine {
            name: self.name.clone(),
            key_id: self.key_id,
            payload,
        })
    }
}

fn kind_type(kind: SignerKind) -> KeyType {
    match kind {
        SignerKind::Ed25519 => KeyType::Ed25519,
        SignerKind::Cosignature { .. } => KeyType::Cosignature,
    }
}

/// Signs `text` with each signer in turn and returns the note bytes.
pub fn sign(text: &str, signers: &[Signer]) -> Result<Vec<u8>, Error> {
    let mut note = Note::unsigned(text)?;
    for s in signers {
        note.add_signature(s)?;
    }
    if note.signatures.is_empty() {
        // A note without signature lines would not parse back.
        return Err(NoteFormat::EmptySignatureBlock.into());
    }
    Ok(note.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PETER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    #[test]
    fn base64_standard_is_canonical_only() {
        // The strictness the whole module relies on (reference §1.4).
        assert!(STANDARD.decode("AA==").is_ok());
        assert!(STANDARD.decode("AB==").is_err(), "non-zero padding bits");
        assert!(STANDARD.decode("AA").is_err(), "missing padding");
        assert!(STANDARD.decode("AA=").is_err(), "short padding");
        assert!(STANDARD.decode("A A=").is_err(), "space");
    }

    #[test]
    fn private_key_strings() {
        assert_eq!(
            VerifierKey::parse(&format!("PRIVATE+KEY+{}", PETER.replace("ARpc", "AXpc"))),
            Err(Error::BadKey(KeyProblem::PrivateKeyGiven))
        );
        let s = Signer::ed25519("example.com/log", &[7; 32]).unwrap();
        let text = s.to_private_key_string();
        let back = Signer::parse_private_key(&format!("{text}\n")).unwrap();
        assert_eq!(back.verifier_key(), s.verifier_key());
        assert!(matches!(
            Signer::parse_private_key(PETER),
            Err(Error::BadKey(KeyProblem::NotAPrivateKey))
        ));
        // Key ID tampered.
        let bad = text.replacen(&s.key_id().to_string(), "00000000", 1);
        assert!(matches!(
            Signer::parse_private_key(&bad),
            Err(Error::BadKey(KeyProblem::KeyIdMismatch { .. }))
        ));
    }

    #[test]
    fn ambiguous_keys_are_a_config_error() {
        let mut v = Verifiers::from_vkeys([PETER]).unwrap();
        // Same key again: fine.
        v.add(VerifierKey::parse(PETER).unwrap()).unwrap();
        assert_eq!(v.len(), 1);
        // A different key forced under the same (name, id).
        let other = Signer::ed25519("PeterNeumann", &[1; 32])
            .unwrap()
            .verifier_key();
        let forged = VerifierKey {
            key_id: KeyId(0xc74f20a3),
            ..other
        };
        assert!(matches!(v.add(forged), Err(Error::AmbiguousKey { .. })));
    }

    #[test]
    fn signature_cap_both_sides() {
        let signer = Signer::ed25519("log", &[3; 32]).unwrap();
        let v = Verifiers::from_vkeys([signer.verifier_key().to_string().as_str()]).unwrap();
        let mut note = Note::unsigned("hello\n").unwrap();
        for _ in 0..MAX_SIGNATURES {
            note.add_signature(&signer).unwrap();
        }
        let bytes = note.to_bytes();
        let parsed = Note::parse(&bytes).unwrap();
        assert_eq!(parsed.signatures().len(), MAX_SIGNATURES);
        assert!(parsed.verify(&v).is_ok());
        assert!(note.add_signature(&signer).is_err());
        let mut over = bytes.clone();
        over.extend_from_slice(format!("{}\n", note.signatures()[0]).as_bytes());
        assert_eq!(
            Note::parse(&over),
            Err(Error::MalformedNote(NoteFormat::TooManySignatures {
                count: 101,
                limit: 100
            }))
        );
    }

    #[test]
    fn cosignature_round_trip_and_tamper() {
        let log = Signer::ed25519("example.com/log", &[1; 32]).unwrap();
        let wit = Signer::cosigner("witness.example", &[2; 32], 1_700_000_000).unwrap();
        let text = "example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let bytes = sign(text, &[log.clone(), wit.clone()]).unwrap();
        let v = Verifiers::from_vkeys([
            log.verifier_key().to_string().as_str(),
            wit.verifier_key().to_string().as_str(),
        ])
        .unwrap();
        let note = Note::parse(&bytes).unwrap();
        let report = note.verify(&v).unwrap();
        assert_eq!(
            report.signatures[1].status,
            SignatureStatus::Verified {
                key_type: KeyType::Cosignature,
                timestamp: Some(1_700_000_000)
            }
        );
        // Bump the timestamp inside the cosignature payload: must fail.
        let mut tampered = note.clone();
        tampered.signatures[1].payload[7] ^= 1;
        assert!(matches!(
            tampered.verify(&v),
            Err(Error::SignatureFailed {
                reason: SignatureProblem::Invalid,
                ..
            })
        ));
        // Timestamp above 2^63-1.
        let mut huge = note.clone();
        huge.signatures[1].payload[0] = 0x80;
        assert!(matches!(
            huge.verify(&v),
            Err(Error::SignatureFailed {
                reason: SignatureProblem::TimestampOutOfRange,
                ..
            })
        ));
        assert!(Signer::cosigner("w", &[2; 32], u64::MAX)
            .unwrap()
            .sign_text(text)
            .is_err());
    }
}
