//! The crate's single error type.
//!
//! [`Error`] has one variant per failure *family*; each wraps a typed reason enum so callers can
//! match on the precise cause (the rustls style) while `Display` gives a message a person can act
//! on. Every enum here is `#[non_exhaustive]`: new causes can be added without breaking callers.

use std::fmt;

use crate::note::KeyId;

/// Everything that can go wrong while parsing or verifying notes, checkpoints and proofs.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The bytes are not a well-formed C2SP signed note.
    MalformedNote(NoteFormat),
    /// A verifier key (`name+keyid+base64`) or private key string is unusable.
    BadKey(KeyProblem),
    /// Two *different* configured keys share a (name, key ID) pair, so a signature line could
    /// not be attributed to one of them. This is a configuration error, not a verdict.
    AmbiguousKey {
        /// The shared key name.
        name: String,
        /// The shared key ID.
        key_id: KeyId,
    },
    /// A signature from a configured (trusted) key did not verify: the note must be rejected.
    SignatureFailed {
        /// Name on the failing signature line.
        name: String,
        /// Key ID on the failing signature line.
        key_id: KeyId,
        /// Why it failed.
        reason: SignatureProblem,
    },
    /// No signature line came from a configured key, so nothing vouches for the note.
    NoTrustedSignature {
        /// How many signature lines were present (all from unknown keys).
        lines: usize,
    },
    /// A raw Ed25519 signature check failed (outside of note verification).
    Signature(SignatureProblem),
    /// The note text is not a well-formed C2SP checkpoint.
    MalformedCheckpoint(CheckpointFormat),
    /// The checkpoint is well-formed and signed, but fails the verifier's policy.
    CheckpointPolicy(CheckpointPolicy),
    /// A Merkle-tree computation or proof check failed.
    Merkle(MerkleProblem),
    /// The bytes are not a well-formed `c2sp.org/tlog-proof@v1` bundle.
    MalformedProofBundle(ProofBundleFormat),
}

/// Why bytes are not a signed note (c2sp.org/signed-note §Format).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoteFormat {
    /// The note is not valid UTF-8.
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// A control character other than LF (for example CR, TAB or NUL) is present.
    ControlCharacter {
        /// Byte offset of the character.
        offset: usize,
        /// The byte value.
        byte: u8,
    },
    /// There is no blank line separating the text from the signatures.
    NoSignatureSeparator,
    /// The blank line is followed by nothing.
    EmptySignatureBlock,
    /// The last signature line is not terminated by LF.
    UnterminatedSignatureLine,
    /// A line after the blank line does not start with `— ` (U+2014 EM DASH, space).
    NotASignatureLine {
        /// 1-based line number within the signature block.
        line: usize,
    },
    /// A signature line lacks the space between key name and signature.
    MissingSignature {
        /// 1-based line number within the signature block.
        line: usize,
    },
    /// A key name is empty or contains whitespace or `+`.
    InvalidKeyName {
        /// 1-based line number within the signature block.
        line: usize,
    },
    /// The signature is not canonical standard base64 (RFC 4648 §4, padded).
    BadBase64 {
        /// 1-based line number within the signature block.
        line: usize,
    },
    /// The decoded signature is shorter than the 4-byte key ID plus at least one byte.
    SignatureTooShort {
        /// 1-based line number within the signature block.
        line: usize,
        /// Decoded length in bytes.
        len: usize,
    },
    /// More signature lines than this verifier accepts.
    TooManySignatures {
        /// Lines found.
        count: usize,
        /// The cap.
        limit: usize,
    },
    /// Text given to the signer is not valid note text (empty, not LF-terminated, or with
    /// control characters).
    InvalidText,
}

/// Why a key string or key bytes are unusable.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// Not `name+keyid+base64` (wrong number of `+`-separated parts).
    Syntax,
    /// A Go `PRIVATE+KEY+…` string was given where a verifier key was expected.
    PrivateKeyGiven,
    /// A verifier key string was given where a private key was expected.
    NotAPrivateKey,
    /// The key name is empty or contains whitespace or `+`.
    InvalidName,
    /// The key ID is not exactly 8 lowercase hexadecimal digits.
    KeyIdSyntax,
    /// The key material is not canonical standard base64.
    BadBase64,
    /// The key material is empty (no type byte).
    Empty,
    /// The signature type byte is well-formed but not supported here (only 0x01 Ed25519 and
    /// 0x04 Ed25519 cosignatures are).
    UnsupportedType {
        /// The type byte.
        key_type: u8,
    },
    /// The key has the wrong length for its type.
    Length {
        /// Expected length in bytes (after the type byte).
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// The stated key ID differs from SHA-256(name || LF || type || key)\[:4\].
    KeyIdMismatch {
        /// ID written in the key string.
        stated: KeyId,
        /// ID computed from the key.
        computed: KeyId,
    },
    /// The bytes are not a valid Ed25519 point encoding.
    InvalidPoint,
    /// The Ed25519 public key has small order: signatures under it would be meaningless.
    WeakKey,
}

/// Why a signature did not verify.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureProblem {
    /// The signature payload has the wrong length for the key type.
    Length {
        /// Expected length in bytes.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// The cosignature timestamp exceeds 2^63 − 1.
    TimestampOutOfRange,
    /// Ed25519 strict verification (`verify_strict`) rejected the signature.
    Invalid,
}

/// Why note text is not a C2SP checkpoint (c2sp.org/tlog-checkpoint).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointFormat {
    /// The text does not end with LF.
    Unterminated,
    /// Fewer than the three mandatory lines (origin, size, root).
    TooFewLines,
    /// The origin line is empty.
    EmptyOrigin,
    /// The size line is not a canonical decimal (digits only, no leading zero, no sign).
    SizeSyntax {
        /// The line as found.
        found: String,
    },
    /// The size does not fit in a u64.
    SizeOverflow,
    /// The root line is not canonical standard base64.
    RootBase64,
    /// The root hash is not 32 bytes.
    RootLength {
        /// Decoded length.
        len: usize,
    },
    /// An extension line is empty.
    EmptyExtensionLine {
        /// 1-based line number in the checkpoint text.
        line: usize,
    },
    /// The text contains a control character other than LF.
    ControlCharacter,
}

/// Why a well-formed checkpoint is not accepted.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointPolicy {
    /// The origin line differs from the expected log origin.
    OriginMismatch {
        /// The origin the verifier was told to expect.
        expected: String,
        /// The origin in the checkpoint.
        found: String,
    },
    /// A size-0 checkpoint whose root is not SHA-256("") (tlog-witness rule).
    EmptyTreeRoot,
    /// Only cosignatures (type 0x04) verified; a witness cosignature does not authenticate a
    /// checkpoint by itself, a log signature (type 0x01) is required.
    NoLogSignature,
}

/// Why a Merkle computation or proof check failed.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MerkleProblem {
    /// A hash is not exactly 32 bytes.
    HashLength {
        /// The length found.
        len: usize,
    },
    /// The leaf index is not below the tree size.
    IndexOutOfRange {
        /// Leaf index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// A consistency check with the first size larger than the second.
    SizesOutOfOrder {
        /// First (older) size.
        first: u64,
        /// Second (newer) size.
        second: u64,
    },
    /// The proof has more entries than any valid proof for 64-bit sizes can have.
    PathTooLong {
        /// Entries found.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The proof has more entries than the tree shape allows.
    ProofTooLong,
    /// The proof has fewer entries than the tree shape requires.
    ProofTooShort,
    /// The proof must be empty here (equal sizes, or an empty first tree), but is not.
    ProofNotEmpty,
    /// The recomputed root does not match the expected root.
    RootMismatch,
    /// The consistency proof does not reproduce the first (older) root.
    FirstRootMismatch,
    /// The consistency proof does not reproduce the second (newer) root.
    SecondRootMismatch,
    /// A root claimed for the empty tree is not SHA-256("").
    EmptyTreeRoot,
    /// The leaf store has no hash for this index.
    MissingLeaf {
        /// The missing index.
        index: u64,
    },
    /// A frontier (compact range) does not have one hash per set bit of its size.
    FrontierLength {
        /// Tree size the frontier claims to summarise.
        size: u64,
        /// Hashes needed (number of set bits in `size`).
        expected: usize,
        /// Hashes given.
        actual: usize,
    },
    /// A compact range cannot grow beyond 2^64 − 1 leaves.
    TreeFull,
}

/// Why bytes are not a `c2sp.org/tlog-proof@v1` bundle.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProofBundleFormat {
    /// The first line is not `c2sp.org/tlog-proof@v1`.
    BadHeader,
    /// The `extra` data is not canonical base64.
    ExtraBase64,
    /// The `index` line is missing or not a canonical decimal u64.
    BadIndex,
    /// A proof line is not a canonical base64 32-byte hash.
    BadHash {
        /// 1-based line number in the bundle.
        line: usize,
    },
    /// More than 64 proof hashes.
    TooManyHashes,
    /// The blank line before the checkpoint is missing.
    MissingCheckpoint,
    /// The bundle is not valid UTF-8 before the checkpoint.
    NotUtf8,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MalformedNote(p) => write!(f, "malformed signed note: {p}"),
            Error::BadKey(p) => write!(f, "unusable key: {p}"),
            Error::AmbiguousKey { name, key_id } => write!(
                f,
                "two different configured keys are named {name:?} with key ID {key_id}; remove one"
            ),
            Error::SignatureFailed {
                name,
                key_id,
                reason,
            } => write!(
                f,
                "the signature by trusted key {name}+{key_id} does not verify ({reason}); \
                 the note was altered or forged"
            ),
            Error::NoTrustedSignature { lines } => write!(
                f,
                "none of the {lines} signature line(s) is from a configured key; \
                 check that the right verifier key was given"
            ),
            Error::Signature(p) => write!(f, "signature rejected: {p}"),
            Error::MalformedCheckpoint(p) => write!(f, "malformed checkpoint: {p}"),
            Error::CheckpointPolicy(p) => write!(f, "checkpoint not accepted: {p}"),
            Error::Merkle(p) => write!(f, "Merkle proof check failed: {p}"),
            Error::MalformedProofBundle(p) => write!(f, "malformed tlog-proof bundle: {p}"),
        }
    }
}

impl fmt::Display for NoteFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoteFormat::NotUtf8 { offset } => write!(f, "invalid UTF-8 at byte {offset}"),
            NoteFormat::ControlCharacter { offset, byte } => write!(
                f,
                "control character 0x{byte:02x} at byte {offset} (only LF line ends are allowed; \
                 was the file converted to CRLF?)"
            ),
            NoteFormat::NoSignatureSeparator => {
                write!(f, "no blank line separates the text from the signatures")
            }
            NoteFormat::EmptySignatureBlock => write!(f, "no signature lines after the blank line"),
            NoteFormat::UnterminatedSignatureLine => {
                write!(f, "the last signature line does not end with a newline")
            }
            NoteFormat::NotASignatureLine { line } => write!(
                f,
                "signature line {line} does not start with \"\u{2014} \" (EM DASH U+2014, space)"
            ),
            NoteFormat::MissingSignature { line } => {
                write!(
                    f,
                    "signature line {line} has no space between key name and signature"
                )
            }
            NoteFormat::InvalidKeyName { line } => write!(
                f,
                "signature line {line}: key name is empty or contains whitespace or '+'"
            ),
            NoteFormat::BadBase64 { line } => write!(
                f,
                "signature line {line}: signature is not canonical standard base64"
            ),
            NoteFormat::SignatureTooShort { line, len } => write!(
                f,
                "signature line {line}: decoded signature is {len} bytes, at least 5 are required"
            ),
            NoteFormat::TooManySignatures { count, limit } => {
                write!(f, "{count} signature lines; at most {limit} are accepted")
            }
            NoteFormat::InvalidText => write!(
                f,
                "note text must be non-empty, end with a newline and contain no control characters"
            ),
        }
    }
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyProblem::Syntax => write!(f, "expected <name>+<8 hex digit key ID>+<base64 key>"),
            KeyProblem::PrivateKeyGiven => write!(
                f,
                "this is a PRIVATE key; give the verifier key line (name+keyid+base64) instead \
                 and keep the private key secret"
            ),
            KeyProblem::NotAPrivateKey => {
                write!(
                    f,
                    "expected a private key string starting with PRIVATE+KEY+"
                )
            }
            KeyProblem::InvalidName => {
                write!(f, "key name is empty or contains whitespace or '+'")
            }
            KeyProblem::KeyIdSyntax => write!(f, "key ID must be exactly 8 lowercase hex digits"),
            KeyProblem::BadBase64 => write!(f, "key material is not canonical standard base64"),
            KeyProblem::Empty => write!(f, "key material is empty"),
            KeyProblem::UnsupportedType { key_type } => write!(
                f,
                "signature type 0x{key_type:02x} is not supported (only 0x01 Ed25519 and 0x04 \
                 Ed25519 cosignatures)"
            ),
            KeyProblem::Length { expected, actual } => {
                write!(f, "key is {actual} bytes, expected {expected}")
            }
            KeyProblem::KeyIdMismatch { stated, computed } => write!(
                f,
                "key ID {stated} does not match the key (computed {computed}); the key line is \
                 corrupted or was assembled by hand"
            ),
            KeyProblem::InvalidPoint => write!(f, "not a valid Ed25519 public key encoding"),
            KeyProblem::WeakKey => write!(
                f,
                "Ed25519 public key has small order (weak): it cannot authenticate anything"
            ),
        }
    }
}

impl fmt::Display for SignatureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureProblem::Length { expected, actual } => {
                write!(f, "signature is {actual} bytes, expected {expected}")
            }
            SignatureProblem::TimestampOutOfRange => {
                write!(f, "cosignature timestamp exceeds 2^63-1")
            }
            SignatureProblem::Invalid => write!(f, "Ed25519 signature is invalid"),
        }
    }
}

impl fmt::Display for CheckpointFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointFormat::Unterminated => write!(f, "text does not end with a newline"),
            CheckpointFormat::TooFewLines => {
                write!(f, "needs at least 3 lines: origin, tree size, root hash")
            }
            CheckpointFormat::EmptyOrigin => write!(f, "origin line is empty"),
            CheckpointFormat::SizeSyntax { found } => write!(
                f,
                "tree size {found:?} is not a canonical decimal (digits only, no leading zeros)"
            ),
            CheckpointFormat::SizeOverflow => write!(f, "tree size exceeds 2^64-1"),
            CheckpointFormat::RootBase64 => {
                write!(f, "root hash is not canonical standard base64")
            }
            CheckpointFormat::RootLength { len } => {
                write!(f, "root hash is {len} bytes, expected 32 (SHA-256)")
            }
            CheckpointFormat::EmptyExtensionLine { line } => {
                write!(f, "extension line {line} is empty")
            }
            CheckpointFormat::ControlCharacter => {
                write!(f, "contains a control character other than LF")
            }
        }
    }
}

impl fmt::Display for CheckpointPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointPolicy::OriginMismatch { expected, found } => {
                write!(f, "origin is {found:?}, expected {expected:?}")
            }
            CheckpointPolicy::EmptyTreeRoot => {
                write!(
                    f,
                    "tree size is 0 but the root is not SHA-256 of the empty string"
                )
            }
            CheckpointPolicy::NoLogSignature => write!(
                f,
                "only witness cosignatures verified; a signature by the log's own key is required"
            ),
        }
    }
}

impl fmt::Display for MerkleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MerkleProblem::HashLength { len } => write!(f, "hash is {len} bytes, expected 32"),
            MerkleProblem::IndexOutOfRange { index, size } => {
                write!(f, "leaf index {index} is not below tree size {size}")
            }
            MerkleProblem::SizesOutOfOrder { first, second } => {
                write!(
                    f,
                    "first tree size {first} exceeds second tree size {second}"
                )
            }
            MerkleProblem::PathTooLong { len, max } => {
                write!(f, "proof has {len} hashes, at most {max} are possible")
            }
            MerkleProblem::ProofTooLong => write!(f, "proof has more hashes than the tree needs"),
            MerkleProblem::ProofTooShort => write!(f, "proof has fewer hashes than the tree needs"),
            MerkleProblem::ProofNotEmpty => write!(f, "proof must be empty for these sizes"),
            MerkleProblem::RootMismatch => {
                write!(f, "the recomputed root differs from the expected root")
            }
            MerkleProblem::FirstRootMismatch => {
                write!(f, "the proof does not reproduce the older root")
            }
            MerkleProblem::SecondRootMismatch => {
                write!(f, "the proof does not reproduce the newer root")
            }
            MerkleProblem::EmptyTreeRoot => {
                write!(
                    f,
                    "the root given for the empty tree is not SHA-256 of the empty string"
                )
            }
            MerkleProblem::MissingLeaf { index } => {
                write!(f, "no leaf hash stored for index {index}")
            }
            MerkleProblem::FrontierLength {
                size,
                expected,
                actual,
            } => write!(
                f,
                "a compact range for {size} leaves has {expected} hashes, {actual} were given"
            ),
            MerkleProblem::TreeFull => write!(f, "the tree already holds 2^64-1 leaves"),
        }
    }
}

impl fmt::Display for ProofBundleFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofBundleFormat::BadHeader => {
                write!(f, "first line must be \"c2sp.org/tlog-proof@v1\"")
            }
            ProofBundleFormat::ExtraBase64 => {
                write!(f, "the extra line is not canonical standard base64")
            }
            ProofBundleFormat::BadIndex => write!(
                f,
                "expected \"index <decimal>\" (canonical decimal, no leading zeros)"
            ),
            ProofBundleFormat::BadHash { line } => {
                write!(f, "line {line} is not a base64 SHA-256 hash")
            }
            ProofBundleFormat::TooManyHashes => write!(f, "more than 64 proof hashes"),
            ProofBundleFormat::MissingCheckpoint => {
                write!(f, "no blank line followed by a checkpoint")
            }
            ProofBundleFormat::NotUtf8 => write!(f, "not valid UTF-8"),
        }
    }
}

impl std::error::Error for Error {}

impl From<MerkleProblem> for Error {
    fn from(p: MerkleProblem) -> Self {
        Error::Merkle(p)
    }
}

impl From<KeyProblem> for Error {
    fn from(p: KeyProblem) -> Self {
        Error::BadKey(p)
    }
}

impl From<NoteFormat> for Error {
    fn from(p: NoteFormat) -> Self {
        Error::MalformedNote(p)
    }
}

impl From<CheckpointFormat> for Error {
    fn from(p: CheckpointFormat) -> Self {
        Error::MalformedCheckpoint(p)
    }
}

impl From<CheckpointPolicy> for Error {
    fn from(p: CheckpointPolicy) -> Self {
        Error::CheckpointPolicy(p)
    }
}

impl From<ProofBundleFormat> for Error {
    fn from(p: ProofBundleFormat) -> Self {
        Error::MalformedProofBundle(p)
    }
}
