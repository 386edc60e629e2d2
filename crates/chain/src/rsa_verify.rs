//! RSASSA-PKCS1-v1_5 verification with SHA-256, with the key's Montgomery parameters computed
//! once per key.
//!
//! Every CloudTrail digest carries one RSA-2048 signature, so an export of a month holds
//! thousands of them, all under a handful of keys. The `rsa` crate (0.9) recomputes the
//! Montgomery setup of the modulus on every verification and works on heap big integers
//! (`num-bigint-dig`): about 280 µs per RSA-2048 verify. Here the per-key work (`R mod n`,
//! `R² mod n`, `-n⁻¹ mod 2⁶⁴`) is done once when the key is read, and a verification is only
//! the public-exponent power — 16 squarings and one multiplication for e = 65537 — on
//! `crypto-bigint`'s Montgomery form, which builds for wasm32 too.
//!
//! Verification follows RFC 8017 §8.2.2 with the *encode-and-compare* method: the expected
//! encoded message `EM = 0x00 ‖ 0x01 ‖ 0xFF… ‖ 0x00 ‖ DigestInfo(SHA-256) ‖ H` is built from the
//! message and compared byte for byte with `s^e mod n`. Nothing of the decrypted block is
//! parsed, so there is no room for lenient parsing (other hash algorithms, short padding,
//! trailing garbage, BER length tricks): anything but exactly the expected block is rejected.
//! Signatures of the wrong length (not exactly `k` bytes) and representatives `s ≥ n` are
//! rejected before any arithmetic.

use std::sync::Arc;

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use sha2::{Digest, Sha256};

/// DER of `DigestInfo ::= SEQUENCE { AlgorithmIdentifier { id-sha256, NULL }, OCTET STRING (32) }`
/// up to the hash itself (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// `tLen` of RFC 8017 §9.2 for SHA-256: DigestInfo prefix plus the 32-byte hash.
const T_LEN: usize = SHA256_DIGEST_INFO.len() + 32;

/// Why an RSA public key cannot be used for verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The modulus is even (no RSA modulus is; Montgomery arithmetic needs it odd).
    EvenModulus,
    /// The modulus is too small for a PKCS#1 v1.5 SHA-256 signature (`k < tLen + 11`).
    ModulusTooShort,
    /// The public exponent is below 3 or even.
    BadExponent,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyError::EvenModulus => "the RSA modulus is even",
            KeyError::ModulusTooShort => {
                "the RSA modulus is too short for a SHA-256 PKCS#1 v1.5 signature"
            }
            KeyError::BadExponent => "the RSA public exponent is below 3 or even",
        })
    }
}

/// An RSA public key prepared for repeated SHA256withRSA verification.
///
/// Cheap to clone (the precomputed parameters are shared).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaVerifier {
    /// Montgomery parameters of the modulus, shared by every value in Montgomery form.
    params: Arc<BoxedMontyParams>,
    /// The modulus, for the `s < n` check.
    n: BoxedUint,
    /// Public exponent (the `rsa` crate bounds it to 33 bits; any u64 works here).
    e: u64,
    /// Length of the modulus in bytes (`k` of RFC 8017).
    k: usize,
}

impl RsaVerifier {
    /// Prepares a key from its modulus (big-endian, leading zeros allowed) and public exponent.
    pub fn new(modulus_be: &[u8], e: u64) -> Result<RsaVerifier, KeyError> {
        let first = modulus_be
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(modulus_be.len());
        let n_bytes = &modulus_be[first..];
        let k = n_bytes.len();
        if k < T_LEN + 11 {
            return Err(KeyError::ModulusTooShort);
        }
        if e < 3 || e % 2 == 0 {
            return Err(KeyError::BadExponent);
        }
        // Precision: the modulus's bytes rounded up to whole 64-bit limbs (also whole 32-bit
        // limbs on wasm32), so the same value has the same precision on every target.
        let bits = u32::try_from(k.div_ceil(8) * 64).map_err(|_| KeyError::ModulusTooShort)?;
        let n = BoxedUint::from_be_slice(n_bytes, bits).map_err(|_| KeyError::ModulusTooShort)?;
        let odd: Option<Odd<BoxedUint>> = Odd::new(n.clone()).into();
        let odd = odd.ok_or(KeyError::EvenModulus)?;
        // Variable time in the modulus is fine: it is public.
        let params = Arc::new(BoxedMontyParams::new_vartime(odd));
        Ok(RsaVerifier { params, n, e, k })
    }

    /// Length of the modulus in bytes: the only signature length accepted.
    pub fn len(&self) -> usize {
        self.k
    }

    /// Always false: a prepared key has a modulus of at least 62 bytes. (Clippy's pair to
    /// [`RsaVerifier::len`].)
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether `signature` is a valid RSASSA-PKCS1-v1_5 signature with SHA-256 of `message`.
    pub fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verify_sha256_prehashed(&Sha256::digest(message).into(), signature)
    }

    /// Like [`RsaVerifier::verify_sha256`] for a message already hashed with SHA-256.
    pub fn verify_sha256_prehashed(&self, hash: &[u8; 32], signature: &[u8]) -> bool {
        // §8.2.2 step 1: the signature is exactly k octets.
        if signature.len() != self.k {
            return false;
        }
        // §5.2.2 RSAVP1 step 1: the representative is in [0, n-1].
        let Ok(s) = BoxedUint::from_be_slice(signature, self.n.bits_precision()) else {
            return false;
        };
        if s >= self.n {
            return false;
        }
        let em = self.public_op(s);
        // Step 3: EMSA-PKCS1-v1_5 encoding of the message, then compare (step 4).
        em.len() == self.k && em.iter().eq(self.expected_em(hash).iter())
    }

    /// `s^e mod n` as `k` big-endian octets (I2OSP). The exponent is public, so a plain
    /// left-to-right square-and-multiply over its bits is both correct and the fastest way
    /// (e = 65537: 16 squarings, 1 multiplication).
    fn public_op(&self, s: BoxedUint) -> Vec<u8> {
        let base = BoxedMontyForm::new_with_arc(s, self.params.clone());
        let mut acc = base.clone();
        let top = 63 - self.e.leading_zeros();
        for bit in (0..top).rev() {
            acc = acc.square();
            if (self.e >> bit) & 1 == 1 {
                acc = acc.mul(&base);
            }
        }
        let m = acc.retrieve().to_be_bytes();
        // to_be_bytes is limb-padded; the value is < n so the extra leading octets are zero.
        let extra = m.len().saturating_sub(self.k);
        m.get(extra..).map(<[u8]>::to_vec).unwrap_or_default()
    }

    /// EM for a SHA-256 hash: `0x00 0x01 PS 0x00 T` with `PS = 0xFF × (k − tLen − 3)`.
    fn expected_em(&self, hash: &[u8; 32]) -> Vec<u8> {
        let mut em = Vec::with_capacity(self.k);
        em.extend_from_slice(&[0x00, 0x01]);
        em.resize(self.k - T_LEN - 1, 0xff);
        em.push(0x00);
        em.extend_from_slice(&SHA256_DIGEST_INFO);
        em.extend_from_slice(hash);
        em
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unusable_keys() {
        let mut n = vec![0xffu8; 256];
        assert!(RsaVerifier::new(&n, 65537).is_ok());
        assert_eq!(RsaVerifier::new(&n, 65536), Err(KeyError::BadExponent));
        assert_eq!(RsaVerifier::new(&n, 1), Err(KeyError::BadExponent));
        n[255] = 0xfe;
        assert_eq!(RsaVerifier::new(&n, 65537), Err(KeyError::EvenModulus));
        assert_eq!(
            RsaVerifier::new(&[0xff; 61], 65537),
            Err(KeyError::ModulusTooShort)
        );
        // Leading zero octets do not count towards k.
        let mut padded = vec![0u8; 3];
        padded.extend_from_slice(&[0xff; 62]);
        assert_eq!(RsaVerifier::new(&padded, 3).map(|v| v.len()), Ok(62));
    }

    #[test]
    fn expected_encoding_layout() {
        let v = RsaVerifier::new(&[0xff; 256], 65537).unwrap();
        let em = v.expected_em(&[0xab; 32]);
        assert_eq!(em.len(), 256);
        assert_eq!(&em[..2], &[0, 1]);
        assert!(em[2..256 - T_LEN - 1].iter().all(|&b| b == 0xff));
        assert_eq!(em[256 - T_LEN - 1], 0);
        assert_eq!(&em[256 - T_LEN..256 - 32], &SHA256_DIGEST_INFO);
        assert_eq!(&em[256 - 32..], &[0xab; 32]);
    }
}
