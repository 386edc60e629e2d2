//! C2SP checkpoints (c2sp.org/tlog-checkpoint v1.0.0), parsed strictly.
//!
//! ```text
//! <origin>\n                 non-empty
//! <tree size>\n              canonical decimal u64 ("0", or no leading zero)
//! <base64 root hash>\n       canonical standard base64 of exactly 32 bytes
//! [<extension line>\n]*      each non-empty
//! ```
//!
//! [`Checkpoint::parse`] checks syntax only. [`open`] is the whole verifier decision: signed
//! note verified, checkpoint well-formed, origin as expected, the tlog-witness empty-tree rule,
//! and at least one type-0x01 signature — a witness cosignature alone does not authenticate a
//! checkpoint (reference §1.3). Every configured type-0x01 key counts as a log key, so
//! configure only the log's own key(s) of that type. The key name need not equal the origin
//! (sum.golang.org signs origin `go.sum database tree`).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::error::{CheckpointFormat, CheckpointPolicy, Error};
use crate::merkle::{self, Hash, EMPTY_ROOT};
use crate::note::{Note, NoteReport, Verifiers};

/// A parsed checkpoint body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity.
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 6962 root hash at that size.
    pub root: Hash,
    /// Extension lines, without their LF (opaque; NOT RECOMMENDED by the spec).
    pub extensions: Vec<String>,
}

/// Parses a canonical ASCII decimal u64: digits only, no sign, no leading zero except "0".
pub(crate) fn parse_decimal_u64(s: &str) -> Option<Result<u64, ()>> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if !canonical {
        return None;
    }
    // Only overflow can fail now.
    Some(s.parse::<u64>().map_err(|_| ()))
}

impl Checkpoint {
    /// Parses checkpoint text (the note text, with its final LF) strictly.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.bytes().any(|b| b < 0x20 && b != b'\n') {
            return Err(CheckpointFormat::ControlCharacter.into());
        }
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointFormat::Unterminated)?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointFormat::TooFewLines.into());
        };
        if origin.is_empty() {
            return Err(CheckpointFormat::EmptyOrigin.into());
        }
        let size = match parse_decimal_u64(size) {
            None => {
                return Err(CheckpointFormat::SizeSyntax {
                    found: size.to_owned(),
                }
                .into())
            }
            Some(Err(())) => return Err(CheckpointFormat::SizeOverflow.into()),
            Some(Ok(n)) => n,
        };
        let raw = STANDARD
            .decode(root)
            .map_err(|_| CheckpointFormat::RootBase64)?;
        let root: Hash = raw
            .as_slice()
            .try_into()
            .map_err(|_| CheckpointFormat::RootLength { len: raw.len() })?;
        let mut extensions = Vec::new();
        for (i, line) in lines.enumerate() {
            if line.is_empty() {
                return Err(CheckpointFormat::EmptyExtensionLine { line: i + 4 }.into());
            }
            extensions.push(line.to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The tlog-witness rule: a size-0 checkpoint must carry the empty-tree root.
    pub fn check_policy(&self) -> Result<(), Error> {
        if self.size == 0 && self.root != EMPTY_ROOT {
            return Err(CheckpointPolicy::EmptyTreeRoot.into());
        }
        Ok(())
    }

    /// Checks that this checkpoint extends `older` (same origin, RFC 9162 consistency proof
    /// from `older.size` to `self.size`; see [`merkle::verify_consistency`] for the edge-case
    /// policy). Both checkpoints must already be authenticated by the caller.
    pub fn check_extends(&self, older: &Checkpoint, proof: &[Hash]) -> Result<(), Error> {
        if self.origin != older.origin {
            return Err(CheckpointPolicy::OriginMismatch {
                expected: older.origin.clone(),
                found: self.origin.clone(),
            }
            .into());
        }
        merkle::verify_consistency(older.size, self.size, &older.root, &self.root, proof)
    }

    /// The checkpoint text (what gets signed).
    pub fn to_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}\n{}\n{}",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )?;
        for e in &self.extensions {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

/// A checkpoint that passed [`open`] or [`authenticate`], with the per-signature report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// What happened to each signature line.
    pub report: NoteReport,
}

/// Parses and verifies a signed checkpoint of log `origin` (see the module docs).
pub fn open(
    note_bytes: &[u8],
    origin: &str,
    verifiers: &Verifiers,
) -> Result<VerifiedCheckpoint, Error> {
    let note = Note::parse(note_bytes)?;
    let report = note.check(verifiers);
    authenticate(&note, report, origin)
}

/// The checkpoint decision for an already-checked note (lets a caller show `report` even when
/// the answer is no): note verdict, strict body, origin, empty-tree rule, a log signature.
pub fn authenticate(
    note: &Note,
    report: NoteReport,
    origin: &str,
) -> Result<VerifiedCheckpoint, Error> {
    report.verdict()?;
    let checkpoint = Checkpoint::parse(note.text())?;
    if checkpoint.origin != origin {
        return Err(CheckpointPolicy::OriginMismatch {
            expected: origin.to_owned(),
            found: checkpoint.origin,
        }
        .into());
    }
    checkpoint.check_policy()?;
    if !report.has_verified_ed25519() {
        return Err(CheckpointPolicy::NoLogSignature.into());
    }
    Ok(VerifiedCheckpoint { checkpoint, report })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_text() {
        let text = "example.com/log\n5\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\nprev AAAA\n";
        assert_eq!(Checkpoint::parse(text).unwrap().to_text(), text);
    }

    #[test]
    fn extends_older_checkpoint() {
        let leaves: Vec<Hash> = (0u8..7).map(|i| merkle::leaf_hash(&[i])).collect();
        let cp = |n: u64| Checkpoint {
            origin: "o".into(),
            size: n,
            root: merkle::subtree_root(&leaves, 0, n).unwrap(),
            extensions: vec![],
        };
        let proof = merkle::consistency_proof(&leaves, 3, 7).unwrap();
        assert_eq!(cp(7).check_extends(&cp(3), &proof), Ok(()));
        assert!(cp(7).check_extends(&cp(4), &proof).is_err());
        let other = Checkpoint {
            origin: "p".into(),
            ..cp(7)
        };
        assert!(matches!(
            other.check_extends(&cp(3), &proof),
            Err(Error::CheckpointPolicy(
                CheckpointPolicy::OriginMismatch { .. }
            ))
        ));
    }

    #[test]
    fn decimal_rules() {
        assert_eq!(parse_decimal_u64("0"), Some(Ok(0)));
        assert_eq!(parse_decimal_u64("00"), None);
        assert_eq!(parse_decimal_u64(""), None);
        assert_eq!(parse_decimal_u64("+1"), None);
        assert_eq!(
            parse_decimal_u64("18446744073709551615"),
            Some(Ok(u64::MAX))
        );
        assert_eq!(parse_decimal_u64("18446744073709551616"), Some(Err(())));
        assert_eq!(parse_decimal_u64("１"), None, "non-ASCII digit");
    }

    #[test]
    fn control_characters_rejected() {
        let text = "example.com/log\r\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
        assert_eq!(
            Checkpoint::parse(text),
            Err(Error::MalformedCheckpoint(
                CheckpointFormat::ControlCharacter
            ))
        );
    }
}
