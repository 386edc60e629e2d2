//! Differential test of the fast SHA256withRSA verifier (`trailproof_chain::rsa_verify`)
//! against the `rsa` crate as the oracle.
//!
//! For seeded, generated keys (several sizes, e = 65537 and e = 3) and random messages: valid
//! signatures verify in both; every single-bit flip of the signature, the message and the
//! modulus is rejected by both (by the oracle on every 16th flip only for 4096-bit keys, to
//! keep the test's time down); and hand-built encoded messages that differ from the exact
//! SHA-256 PKCS#1 v1.5 encoding (other hash algorithms, bad padding, no DigestInfo, trailing
//! bytes) are rejected by both, as are representatives `≥ n` and wrong-length signatures.

#[path = "common/mod.rs"]
mod common;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use trailproof_chain::rsa_verify::RsaVerifier;
use trailproof_chain::PublicKey;

/// The oracle: `rsa` 0.9's PKCS#1 v1.5 verification with the SHA-256 DigestInfo prefix.
fn oracle(n: &[u8], e: u64, msg: &[u8], sig: &[u8]) -> bool {
    let Ok(key) = RsaPublicKey::new(BigUint::from_bytes_be(n), BigUint::from(e)) else {
        return false;
    };
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg), sig)
        .is_ok()
}

/// The verifier under test, prepared from the same modulus and exponent.
fn fast(n: &[u8], e: u64, msg: &[u8], sig: &[u8]) -> bool {
    RsaVerifier::new(n, e).is_ok_and(|v| v.verify_sha256(msg, sig))
}

/// Both verdicts, asserting that they agree.
fn both(n: &[u8], e: u64, msg: &[u8], sig: &[u8], what: &str) -> bool {
    let (o, f) = (oracle(n, e, msg, sig), fast(n, e, msg, sig));
    assert_eq!(o, f, "oracle and fast verifier disagree: {what}");
    f
}

/// For the bit-flip sweeps: the fast verifier on every flip, the (slow) oracle on every flip
/// up to 2048-bit moduli and on every 16th flip above (4096-bit oracle checks cost ~1 ms).
fn sweep(n: &[u8], e: u64, msg: &[u8], sig: &[u8], bit: usize, big: bool, what: &str) -> bool {
    if big && bit % 16 != 0 {
        fast(n, e, msg, sig)
    } else {
        both(n, e, msg, sig, what)
    }
}

fn flip(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[bit / 8] ^= 0x80 >> (bit % 8);
    out
}

/// Raw RSA private operation `m^d mod n` as k octets: signs a hand-built encoded message.
fn raw_sign(key: &RsaPrivateKey, em: &[u8]) -> Vec<u8> {
    let s = BigUint::from_bytes_be(em).modpow(key.d(), key.n());
    left_pad(&s.to_bytes_be(), key.size())
}

fn left_pad(bytes: &[u8], k: usize) -> Vec<u8> {
    let mut out = vec![0u8; k.saturating_sub(bytes.len())];
    out.extend_from_slice(bytes);
    out
}

/// `0x00 0x01 0xFF… 0x00 ‖ t`, k octets (or the given padding length when it would not fit).
fn emsa(k: usize, t: &[u8]) -> Vec<u8> {
    let mut em = vec![0x00, 0x01];
    em.resize(k - t.len() - 1, 0xff);
    em.push(0x00);
    em.extend_from_slice(t);
    em
}

const SHA256_PREFIX: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// SHA-1 and SHA-512 DigestInfo prefixes (RFC 8017 §9.2 note 1): another hash algorithm.
const SHA1_PREFIX: &[u8] = &[
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];
const SHA512_PREFIX: &[u8] = &[
    0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05,
    0x00, 0x04, 0x40,
];

/// Encoded messages that are not the exact SHA-256 encoding of `msg`, by name.
fn bad_encodings(k: usize, msg: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let h = Sha256::digest(msg).to_vec();
    let h512 = sha2::Sha512::digest(msg).to_vec();
    let t = [SHA256_PREFIX, &h].concat();
    let mut bad_ps = emsa(k, &t);
    bad_ps[5] = 0xfe;
    let mut bad_type = emsa(k, &t);
    bad_type[1] = 0x02;
    let mut no_separator = emsa(k, &t);
    no_separator[k - t.len() - 1] = 0xff;
    let mut bad_null = emsa(k, &t);
    bad_null[k - 32 - 4] = 0x01; // the NULL parameters' tag
    vec![
        (
            "SHA-1 DigestInfo",
            emsa(k, &[SHA1_PREFIX, &h[..20]].concat()),
        ),
        (
            "SHA-512 DigestInfo",
            emsa(k, &[SHA512_PREFIX, &h512].concat()),
        ),
        ("hash without DigestInfo", emsa(k, &h)),
        ("padding byte 0xFE", bad_ps),
        ("block type 2", bad_type),
        ("no zero separator", no_separator),
        ("DigestInfo with a wrong NULL tag", bad_null),
        (
            "trailing byte after the hash",
            emsa(k, &[SHA256_PREFIX, &h, &[0x00]].concat()),
        ),
        ("garbage between padding and DigestInfo", {
            let mut em = vec![0x00, 0x01];
            em.extend_from_slice(&[0xff; 8]);
            em.push(0x00);
            em.resize(k - t.len(), 0x42);
            em.extend_from_slice(&t);
            em
        }),
    ]
}

/// Seeded test keys: RSA-2048 with e = 65537 generated as usual, and keys built from a pool
/// of generated 512-bit primes: 2048 bits with e = 3, 4096 bits with e = 65537 and e = 3, and
/// an odd-length 1032-bit key. Multi-prime keys stand in for big keys because generating
/// 2048-bit primes (or primes fit for e = 3, which most tries are not) takes minutes
/// unoptimised; verification only sees `n` and `e`, and the `rsa` crate signs with any
/// number of primes.
fn keys() -> Vec<RsaPrivateKey> {
    let mut rng = ChaCha20Rng::seed_from_u64(0x7261_696c_7072_6f6f);
    let e65537 = BigUint::from(65537u32);
    let mut out = vec![
        RsaPrivateKey::new_with_exp(&mut rng, 2048, &e65537).unwrap(),
        RsaPrivateKey::new_with_exp(&mut rng, 1032, &e65537).unwrap(),
    ];
    // Primes p with p ≡ 2 (mod 3), so that gcd(3, p − 1) = 1 (usable with e = 3), and others.
    let (mut for3, mut other) = (Vec::new(), Vec::new());
    while for3.len() < 12 || other.len() < 8 {
        let k = RsaPrivateKey::new_with_exp(&mut rng, 1024, &e65537).unwrap();
        for p in k.primes() {
            if (p % 3u32) == BigUint::from(2u32) {
                for3.push(p.clone());
            } else {
                other.push(p.clone());
            }
        }
    }
    let e3 = BigUint::from(3u32);
    out.push(RsaPrivateKey::from_primes(for3[..4].to_vec(), e3.clone()).unwrap());
    out.push(RsaPrivateKey::from_primes(for3[4..12].to_vec(), e3).unwrap());
    out.push(RsaPrivateKey::from_primes(other[..8].to_vec(), e65537).unwrap());
    // The fixture keys the synthetic exports are signed with.
    out.push(common::aws_key());
    out.push(common::cts_key());
    out
}

fn e_of(key: &RsaPrivateKey) -> u64 {
    key.e()
        .to_bytes_be()
        .iter()
        .fold(0u64, |a, &b| (a << 8) | u64::from(b))
}

fn sign(key: &RsaPrivateKey, msg: &[u8]) -> Vec<u8> {
    key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg))
        .unwrap()
}

#[test]
fn agrees_with_the_rsa_crate() {
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    for key in keys() {
        let (n, e, k) = (key.n().to_bytes_be(), e_of(&key), key.size());
        let label = format!("{}-bit key, e = {e}", key.n().bits());

        // Random messages of varied lengths: valid signatures verify in both, also through
        // the PublicKey type (DER parsing plus the cached verifier).
        let public = PublicKey::from_der(
            key.to_public_key().to_pkcs1_der().unwrap().as_bytes(),
            "test",
        )
        .unwrap();
        let mut last = (Vec::new(), Vec::new());
        for round in 0..8 {
            let mut msg = vec![0u8; (rng.next_u32() % 300) as usize + round];
            rng.fill_bytes(&mut msg);
            let sig = sign(&key, &msg);
            assert!(
                both(&n, e, &msg, &sig, &label),
                "valid signature rejected: {label}"
            );
            assert!(public.verify_sha256(&msg, &sig));
            // A random representative below n is not a signature.
            let mut junk = vec![0u8; k];
            rng.fill_bytes(&mut junk);
            junk[0] = 0;
            assert!(!both(&n, e, &msg, &junk, "random signature"));
            last = (msg, sig);
        }
        let (msg, sig) = last;
        let big = n.len() > 256;

        for bit in 0..sig.len() * 8 {
            assert!(
                !sweep(&n, e, &msg, &flip(&sig, bit), bit, big, "signature flip"),
                "{label}: signature bit {bit} flipped still verifies"
            );
        }
        for bit in 0..msg.len() * 8 {
            assert!(
                !sweep(&n, e, &flip(&msg, bit), &sig, bit, big, "message flip"),
                "{label}: message bit {bit} flipped still verifies"
            );
        }
        for bit in 0..n.len() * 8 {
            assert!(
                !sweep(&flip(&n, bit), e, &msg, &sig, bit, big, "modulus flip"),
                "{label}: modulus bit {bit} flipped still verifies"
            );
        }
        // Representatives and lengths: s + n (≥ n), n itself, 0, one octet more or fewer.
        let s = BigUint::from_bytes_be(&sig);
        let n_big = key.n().clone();
        let too_big = left_pad(&(&s + &n_big).to_bytes_be(), k);
        if too_big.len() == k {
            assert!(!both(&n, e, &msg, &too_big, "s + n"));
        }
        assert!(!both(&n, e, &msg, &n, "s = n"));
        assert!(!both(&n, e, &msg, &vec![0u8; k], "s = 0"));
        assert!(!both(
            &n,
            e,
            &msg,
            &[&[0u8][..], &sig].concat(),
            "k + 1 octets"
        ));
        assert!(!both(&n, e, &msg, &sig[1..], "k - 1 octets"));
        assert!(!both(&n, e, &msg, &[], "empty signature"));

        // Hand-built encodings: the exact one verifies, every other one is rejected.
        let good = raw_sign(
            &key,
            &emsa(k, &[SHA256_PREFIX, &Sha256::digest(&msg)].concat()),
        );
        assert!(both(&n, e, &msg, &good, "hand-built valid encoding"));
        for (name, em) in bad_encodings(k, &msg) {
            assert_eq!(em.len(), k, "{name}");
            let forged = raw_sign(&key, &em);
            assert!(
                !both(&n, e, &msg, &forged, name),
                "{label}: {name} accepted"
            );
        }
    }
}
