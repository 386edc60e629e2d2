//! Ed25519 under one strict policy, used for every signature this crate checks.
//!
//! * Public keys must decode and must not have small order ([`VerifyingKey::is_weak`]): a weak
//!   key makes "signatures" that verify for almost any message.
//! * Signatures are checked with `verify_strict`: S must be canonical (< ℓ), and small-order
//!   R or A are rejected, which also rules out every non-canonical R/A encoding. Honest signers
//!   always pass; the cost is disagreeing with Go/OpenSSL on adversarial inputs only
//!   (reference §4.2, speccheck cases 0–2 and 11).
//! * Signing takes a 32-byte seed: the library needs no random number generator, so it builds
//!   for `wasm32-unknown-unknown` and tests are reproducible.

use ed25519_dalek::{Signature, Signer as _, VerifyingKey};

use crate::error::{Error, KeyProblem, SignatureProblem};

/// Length of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 public key accepted by the strict policy (valid encoding, not weak).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses a 32-byte public key, rejecting invalid encodings and weak (small-order) keys.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| {
            Error::BadKey(KeyProblem::Length {
                expected: PUBLIC_KEY_LEN,
                actual: bytes.len(),
            })
        })?;
        let key = VerifyingKey::from_bytes(&arr).map_err(|_| KeyProblem::InvalidPoint)?;
        if key.is_weak() {
            return Err(KeyProblem::WeakKey.into());
        }
        Ok(PublicKey(key))
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.to_bytes()
    }

    /// Checks `signature` over `message` with `verify_strict`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureProblem> {
        let sig = Signature::from_slice(signature).map_err(|_| SignatureProblem::Length {
            expected: SIGNATURE_LEN,
            actual: signature.len(),
        })?;
        self.0
            .verify_strict(message, &sig)
            .map_err(|_| SignatureProblem::Invalid)
    }
}

/// An Ed25519 private key, made from a caller-supplied 32-byte seed.
#[derive(Clone)]
pub struct PrivateKey(ed25519_dalek::SigningKey);

impl PrivateKey {
    /// The key for `seed` (RFC 8032 private key bytes). The caller supplies the randomness.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        PrivateKey(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The seed this key was made from (keep it secret).
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The matching public key.
    ///
    /// Never weak: the clamped secret scalar is a non-zero multiple of 8 below 8ℓ, so it is not
    /// a multiple of the prime group order ℓ and A = aB has order ℓ. Hence no `Result`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message` (deterministic, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.0.sign(message).to_bytes()
    }
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material, not even in debug output.
        f.debug_struct("PrivateKey")
            .field("public", &self.public_key())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8032_test1_sign_and_verify() {
        // RFC 8032 §7.1 TEST 1: empty message.
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let sk = PrivateKey::from_seed(&seed);
        assert_eq!(
            hex::encode(sk.public_key().to_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = sk.sign(b"");
        assert_eq!(
            hex::encode(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert_eq!(sk.public_key().verify(b"", &sig), Ok(()));
        assert_eq!(
            sk.public_key().verify(b"x", &sig),
            Err(SignatureProblem::Invalid)
        );
        assert_eq!(
            sk.public_key().verify(b"", &sig[..63]),
            Err(SignatureProblem::Length {
                expected: 64,
                actual: 63
            })
        );
    }

    #[test]
    fn weak_and_short_keys_rejected() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::from_bytes(&identity),
            Err(Error::BadKey(KeyProblem::WeakKey))
        );
        assert_eq!(
            PublicKey::from_bytes(&[0u8; 31]),
            Err(Error::BadKey(KeyProblem::Length {
                expected: 32,
                actual: 31
            }))
        );
    }
}
