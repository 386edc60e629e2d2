//! Offline inclusion proof bundles (c2sp.org/tlog-proof@v1).
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <base64>]            optional, unauthenticated application data
//! index <leaf index>          canonical decimal
//! <base64 hash>               zero or more: the audit path, leaf sibling first
//!
//! <signed checkpoint note, verbatim>
//! ```
//!
//! Turning the record's bytes into its leaf hash is the caller's job (the bundle does not say
//! how records are framed); [`ProofBundle::verify`] takes the leaf hash.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::checkpoint::{self, parse_decimal_u64, Checkpoint, VerifiedCheckpoint};
use crate::error::{Error, MerkleProblem, ProofBundleFormat};
use crate::merkle::{self, Hash, LeafHashes, MAX_PROOF_LEN};
use crate::note::{Note, Verifiers};

/// The bundle's first line.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A parsed (not yet verified) proof bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofBundle {
    /// Unauthenticated extra data, if the bundle has an `extra` line. Never trust it.
    pub extra: Option<Vec<u8>>,
    /// Zero-based leaf index.
    pub index: u64,
    /// The inclusion proof, leaf sibling first.
    pub path: Vec<Hash>,
    /// The signed checkpoint note bytes, verbatim.
    pub checkpoint: Vec<u8>,
}

impl ProofBundle {
    /// Builds a bundle for leaf `index` from a store of leaf hashes and a signed checkpoint
    /// note. The proof is computed for the checkpoint's size and checked against its root, so
    /// a store that disagrees with the checkpoint is caught here, not by the recipient.
    pub fn build<S: LeafHashes + ?Sized>(
        store: &S,
        index: u64,
        checkpoint_note: Vec<u8>,
        extra: Option<Vec<u8>>,
    ) -> Result<Self, Error> {
        let note = Note::parse(&checkpoint_note)?;
        let cp = Checkpoint::parse(note.text())?;
        let path = merkle::inclusion_proof(store, index, cp.size)?;
        let leaf = store
            .leaf_hash(index)
            .ok_or(MerkleProblem::MissingLeaf { index })?;
        merkle::verify_inclusion(index, cp.size, &leaf, &path, &cp.root)?;
        Ok(ProofBundle {
            extra,
            index,
            path,
            checkpoint: checkpoint_note,
        })
    }

    /// Parses a bundle strictly: canonical base64 and decimals, 32-byte hashes, at most 64
    /// of them. The checkpoint note is kept as bytes and parsed by [`ProofBundle::verify`].
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let mut rest = bytes;
        // Yields the next LF-terminated line of the preamble as UTF-8.
        let next_line = |rest: &mut &[u8]| -> Result<Option<String>, Error> {
            let Some(pos) = rest.iter().position(|&b| b == b'\n') else {
                return Ok(None);
            };
            let (line, tail) = rest.split_at(pos);
            *rest = tail.get(1..).unwrap_or_default();
            let line = std::str::from_utf8(line).map_err(|_| ProofBundleFormat::NotUtf8)?;
            Ok(Some(line.to_owned()))
        };
        if next_line(&mut rest)?.as_deref() != Some(HEADER) {
            return Err(ProofBundleFormat::BadHeader.into());
        }
        let mut line = next_line(&mut rest)?.ok_or(ProofBundleFormat::BadIndex)?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            extra = Some(
                STANDARD
                    .decode(b64)
                    .map_err(|_| ProofBundleFormat::ExtraBase64)?,
            );
            line = next_line(&mut rest)?.ok_or(ProofBundleFormat::BadIndex)?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(parse_decimal_u64)
            .and_then(Result::ok)
            .ok_or(ProofBundleFormat::BadIndex)?;
        let mut path = Vec::new();
        let mut hash_line = 2 + usize::from(extra.is_some());
        loop {
            let line = next_line(&mut rest)?.ok_or(ProofBundleFormat::MissingCheckpoint)?;
            hash_line += 1;
            if line.is_empty() {
                break;
            }
            if path.len() == MAX_PROOF_LEN {
                return Err(ProofBundleFormat::TooManyHashes.into());
            }
            let raw = STANDARD
                .decode(&line)
                .map_err(|_| ProofBundleFormat::BadHash { line: hash_line })?;
            let h: Hash = raw
                .as_slice()
                .try_into()
                .map_err(|_| ProofBundleFormat::BadHash { line: hash_line })?;
            path.push(h);
        }
        Ok(ProofBundle {
            extra,
            index,
            path,
            checkpoint: rest.to_vec(),
        })
    }

    /// The bundle bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", STANDARD.encode(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.path {
            out.push_str(&STANDARD.encode(h));
            out.push('\n');
        }
        out.push('\n');
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.checkpoint);
        bytes
    }

    /// Verifies the checkpoint (as [`checkpoint::open`]: signatures, origin, log signature)
    /// and that `leaf` (the record's leaf hash) is at `index` under its root.
    pub fn verify(
        &self,
        leaf: &Hash,
        origin: &str,
        verifiers: &Verifiers,
    ) -> Result<VerifiedCheckpoint, Error> {
        let verified = checkpoint::open(&self.checkpoint, origin, verifiers)?;
        let cp = &verified.checkpoint;
        merkle::verify_inclusion(self.index, cp.size, leaf, &self.path, &cp.root)?;
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, CompactRange};
    use crate::note::{sign, Signer};

    fn fixture() -> (Vec<Hash>, Vec<u8>, Verifiers) {
        let leaves: Vec<Hash> = (0u32..13).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut range = CompactRange::new();
        for l in &leaves {
            range.push(*l).unwrap();
        }
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size: 13,
            root: range.root(),
            extensions: vec![],
        };
        let signer = Signer::ed25519("example.com/log", &[9; 32]).unwrap();
        let note = sign(&cp.to_text(), std::slice::from_ref(&signer)).unwrap();
        let v = Verifiers::from_vkeys([signer.verifier_key().to_string().as_str()]).unwrap();
        (leaves, note, v)
    }

    #[test]
    fn build_parse_verify() {
        let (leaves, note, v) = fixture();
        for index in 0..13u64 {
            let extra = (index % 2 == 0).then(|| b"ctx".to_vec());
            let b = ProofBundle::build(&leaves, index, note.clone(), extra).unwrap();
            let parsed = ProofBundle::parse(&b.to_bytes()).unwrap();
            assert_eq!(parsed, b);
            let leaf = leaves[index as usize];
            parsed.verify(&leaf, "example.com/log", &v).unwrap();
            // The wrong leaf, index or origin fails.
            assert!(parsed
                .verify(&leaves[(index as usize + 1) % 13], "example.com/log", &v)
                .is_err());
            assert!(parsed.verify(&leaf, "example.com/other", &v).is_err());
            let mut moved = parsed.clone();
            moved.index = (index + 1) % 13;
            assert!(moved.verify(&leaf, "example.com/log", &v).is_err());
        }
    }

    #[test]
    fn malformed_bundles() {
        let (leaves, note, _) = fixture();
        let good = ProofBundle::build(&leaves, 3, note, None)
            .unwrap()
            .to_bytes();
        let s = String::from_utf8(good.clone()).unwrap();
        let cases: Vec<(String, ProofBundleFormat)> = vec![
            (s.replacen("@v1", "@v2", 1), ProofBundleFormat::BadHeader),
            (
                s.replacen("index 3", "index 03", 1),
                ProofBundleFormat::BadIndex,
            ),
            (
                s.replacen("index 3", "index -3", 1),
                ProofBundleFormat::BadIndex,
            ),
            (
                s.replacen("index 3\n", "extra A\nindex 3\n", 1),
                ProofBundleFormat::ExtraBase64,
            ),
            (
                s.replacen("=\n", "\n", 1),
                ProofBundleFormat::BadHash { line: 3 },
            ),
            (
                s.split("\n\n").next().unwrap().to_owned(),
                ProofBundleFormat::MissingCheckpoint,
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                ProofBundle::parse(bytes.as_bytes()),
                Err(Error::MalformedProofBundle(want))
            );
        }
        let mut long = format!("{HEADER}\nindex 0\n");
        for _ in 0..65 {
            long.push_str("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
        }
        long.push('\n');
        assert_eq!(
            ProofBundle::parse(long.as_bytes()),
            Err(Error::MalformedProofBundle(
                ProofBundleFormat::TooManyHashes
            ))
        );
    }
}
