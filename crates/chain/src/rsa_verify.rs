//! RSASSA-PKCS1-v1_5 verification with SHA-256, with the key's Montgomery parameters computed
//! once per key.
//!
//! Every CloudTrail digest carries one RSA-2048 signature, so an export of a month holds
//! thousands of them, all under a handful of keys. The `rsa` crate (0.9) recomputes the
//! Montgomery setup of the modulus on every verification and works on heap big integers
//! (`num-bigint-dig`): about 280 µs per RSA-2048 verify. Here the per-key work (`R mod n`,
//! `R² mod n`, `-n⁻¹ mod 2⁶⁴`) is done once when the key is read, and a verification is only
//! the public-exponent power — 16 squarings and one multiplication for e = 65537 — on
//! `crypto-bigint`'s fixed-size Montgomery form (`MontyForm<LIMBS>`, no heap allocation per
//! multiplication), which builds for wasm32 too. The modulus goes into the smallest of
//! 1024/2048/3072/4096-bit integers that holds it (the `rsa` crate that parses keys caps
//! moduli at 4096 bits).
//!
//! Verification follows RFC 8017 §8.2.2 with the *encode-and-compare* method: the expected
//! encoded message `EM = 0x00 ‖ 0x01 ‖ 0xFF… ‖ 0x00 ‖ DigestInfo(SHA-256) ‖ H` is built from the
//! message and compared byte for byte with `s^e mod n`. Nothing of the decrypted block is
//! parsed, so there is no room for lenient parsing (other hash algorithms, short padding,
//! trailing garbage, BER length tricks): anything but exactly the expected block is rejected.
//! Signatures of the wrong length (not exactly `k` bytes) and representatives `s ≥ n` are
//! rejected before any arithmetic.

use std::sync::Arc;

use crypto_bigint::modular::{MontyForm, MontyParams};
use crypto_bigint::{Concat, Limb, Odd, Split, Uint, U1024, U2048, U3072, U4096};
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
    /// The modulus is longer than 4096 bits.
    ModulusTooLong,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyError::EvenModulus => "the RSA modulus is even",
            KeyError::ModulusTooShort => {
                "the RSA modulus is too short for a SHA-256 PKCS#1 v1.5 signature"
            }
            KeyError::BadExponent => "the RSA public exponent is below 3 or even",
            KeyError::ModulusTooLong => "the RSA modulus is longer than 4096 bits",
        })
    }
}

/// Montgomery parameters of a modulus, in the smallest fixed size that holds it.
// One per key, behind an `Arc`: the variants' different sizes cost nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
enum Prepared {
    L1024(MontyParams<{ U1024::LIMBS }>),
    L2048(MontyParams<{ U2048::LIMBS }>),
    L3072(MontyParams<{ U3072::LIMBS }>),
    L4096(MontyParams<{ U4096::LIMBS }>),
}

/// A fixed-size integer from big-endian bytes that fit in it (left-padded with zeros).
fn uint_from_be<const L: usize>(bytes: &[u8]) -> Option<Uint<L>> {
    let size = L * Limb::BYTES;
    let pad = size.checked_sub(bytes.len())?;
    let mut buf = vec![0u8; size];
    buf.get_mut(pad..)?.copy_from_slice(bytes);
    Some(Uint::from_be_slice(&buf))
}

/// Montgomery parameters for an odd modulus given as big-endian bytes.
fn params<const L: usize, const W: usize>(n: &[u8]) -> Result<MontyParams<L>, KeyError>
where
    Uint<L>: Concat<Output = Uint<W>>,
    Uint<W>: Split<Output = Uint<L>>,
{
    let n = uint_from_be::<L>(n).ok_or(KeyError::ModulusTooLong)?;
    let odd: Option<Odd<Uint<L>>> = Odd::new(n).into();
    // Variable time in the modulus is fine: it is public.
    Ok(MontyParams::new_vartime(odd.ok_or(KeyError::EvenModulus)?))
}

/// `s^e mod n` as `k` big-endian octets (I2OSP), or `None` when `s ≥ n` (RSAVP1 step 1).
///
/// The exponent is public, so a plain left-to-right square-and-multiply over its bits is both
/// correct and the fastest way (e = 65537: 16 squarings and 1 multiplication).
fn public_op<const L: usize>(p: &MontyParams<L>, sig: &[u8], e: u64, k: usize) -> Option<Vec<u8>> {
    let s = uint_from_be::<L>(sig)?;
    if s >= *p.modulus().as_ref() {
        return None;
    }
    let base = MontyForm::new(&s, *p);
    let mut acc = base;
    let top = 63 - e.leading_zeros();
    for bit in (0..top).rev() {
        acc = acc.square();
        if (e >> bit) & 1 == 1 {
            acc = acc.mul(&base);
        }
    }
    let m = acc.retrieve();
    let mut out = Vec::with_capacity(L * Limb::BYTES);
    for limb in m.as_limbs().iter().rev() {
        out.extend_from_slice(&limb.0.to_be_bytes());
    }
    // The value is < n, so the octets before the last k are zero.
    out.get(out.len().checked_sub(k)?..).map(<[u8]>::to_vec)
}

/// An RSA public key prepared for repeated SHA256withRSA verification.
///
/// Cheap to clone (the precomputed parameters are shared).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaVerifier {
    /// Montgomery parameters of the modulus (which they hold), computed once.
    prepared: Arc<Prepared>,
    /// Public exponent (the `rsa` crate bounds it to 33 bits; any odd u64 ≥ 3 works here).
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
        let n = &modulus_be[first..];
        let k = n.len();
        if k < T_LEN + 11 {
            return Err(KeyError::ModulusTooShort);
        }
        if e < 3 || e % 2 == 0 {
            return Err(KeyError::BadExponent);
        }
        let prepared = match k {
            0..=128 => Prepared::L1024(params::<{ U1024::LIMBS }, { 2 * U1024::LIMBS }>(n)?),
            129..=256 => Prepared::L2048(params::<{ U2048::LIMBS }, { 2 * U2048::LIMBS }>(n)?),
            257..=384 => Prepared::L3072(params::<{ U3072::LIMBS }, { 2 * U3072::LIMBS }>(n)?),
            385..=512 => Prepared::L4096(params::<{ U4096::LIMBS }, { 2 * U4096::LIMBS }>(n)?),
            _ => return Err(KeyError::ModulusTooLong),
        };
        Ok(RsaVerifier {
            prepared: Arc::new(prepared),
            e,
            k,
        })
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
        // Step 2: RSAVP1 (which refuses s ≥ n), then I2OSP to k octets.
        let (e, k) = (self.e, self.k);
        let em = match &*self.prepared {
            Prepared::L1024(p) => public_op(p, signature, e, k),
            Prepared::L2048(p) => public_op(p, signature, e, k),
            Prepared::L3072(p) => public_op(p, signature, e, k),
            Prepared::L4096(p) => public_op(p, signature, e, k),
        };
        // Steps 3–4: EMSA-PKCS1-v1_5 encoding of the message, compared octet for octet.
        em.is_some_and(|em| em == self.expected_em(hash))
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
        assert_eq!(
            RsaVerifier::new(&[0xff; 513], 65537),
            Err(KeyError::ModulusTooLong)
        );
        for k in [62, 128, 129, 256, 257, 384, 385, 512] {
            assert_eq!(RsaVerifier::new(&vec![0xff; k], 3).map(|v| v.len()), Ok(k));
        }
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
