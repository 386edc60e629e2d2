//! Property-style test: random byte flips in a valid generated export never yield verdict
//! valid (unless the flip provably left the verified content unchanged) and never panic.
//!
//! What counts as "changed": CloudTrail verifies the *inflated* content of `.json.gz` files
//! (`docs/digests.md`, CloudTrail hashes), so a flip in gzip header fields such as MTIME leaves the content, and
//! rightly the verdict, intact. CTS verifies MD5 over the stored bytes, so every flip counts.

mod common;

use common::*;
use trailproof_core::report::Verdict;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn flip(&mut self) -> u8 {
        (self.next() % 255) as u8 + 1
    }
}

/// First gzip member's content and whether nothing follows it; `None` if not decodable.
fn first_member(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut d = flate2::bufread::GzDecoder::new(bytes);
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut d, &mut out).ok()?;
    let rest = d.into_inner();
    rest.is_empty().then_some(out)
}

fn evidence(ex: &Export) -> Vec<String> {
    ex.digests.iter().chain(ex.logs.iter()).cloned().collect()
}

#[test]
fn aws_stored_byte_flips() {
    let ex = AwsGen::default().simple(4);
    let base = ex.standard();
    assert_eq!(verify(&base).verdict, Verdict::Valid);
    let targets = evidence(&ex);
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..300 {
        let target = &targets[rng.below(targets.len())];
        let mut files = base.clone();
        let f = files.iter_mut().find(|(n, _)| n == target).unwrap();
        let original = f.1.clone();
        let at = rng.below(f.1.len());
        f.1[at] ^= rng.flip();
        let flipped = f.1.clone();
        let r = verify(&files);
        if r.verdict == Verdict::Valid {
            assert_eq!(
                first_member(&flipped).as_deref(),
                first_member(&original).as_deref(),
                "flip at {at} of {target} changed the content but verified"
            );
        }
    }
}

#[test]
fn aws_content_byte_flips() {
    let ex = AwsGen::default().simple(4);
    let base = ex.standard();
    let targets = evidence(&ex);
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    for _ in 0..300 {
        let target = &targets[rng.below(targets.len())];
        let mut files = base.clone();
        let f = files.iter_mut().find(|(n, _)| n == target).unwrap();
        let mut content = gunzip(&f.1).unwrap();
        let at = rng.below(content.len());
        content[at] ^= rng.flip();
        f.1 = gz(&content);
        let r = verify(&files);
        assert_ne!(
            r.verdict,
            Verdict::Valid,
            "content flip at {at} of {target} verified"
        );
    }
}

#[test]
fn sidecar_signature_flips() {
    let ex = AwsGen::default().simple(3);
    let base = ex.standard();
    let name = format!("{}.head-object.json", ex.digests[2]);
    let mut rng = Rng(0x5eed_1234_abcd_0003);
    for _ in 0..100 {
        let mut files = base.clone();
        let f = files.iter_mut().find(|(n, _)| *n == name).unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&f.1).unwrap();
        let mut sig = hex::decode(v["Metadata"]["signature"].as_str().unwrap()).unwrap();
        let at = rng.below(sig.len());
        sig[at] ^= rng.flip();
        v["Metadata"]["signature"] = serde_json::json!(hex::encode(sig));
        f.1 = serde_json::to_vec(&v).unwrap();
        assert_eq!(verify(&files).verdict, Verdict::Invalid);
    }
}

#[test]
fn cts_stored_byte_flips() {
    let ex = CtsGen::default().generate(3, &|_, _| {});
    let base = ex.standard();
    assert_eq!(verify(&base).verdict, Verdict::Valid);
    let targets = evidence(&ex);
    let mut rng = Rng(0x5eed_1234_abcd_0004);
    for _ in 0..200 {
        let target = &targets[rng.below(targets.len())];
        let mut files = base.clone();
        let f = files.iter_mut().find(|(n, _)| n == target).unwrap();
        let at = rng.below(f.1.len());
        f.1[at] ^= rng.flip();
        assert_ne!(
            verify(&files).verdict,
            Verdict::Valid,
            "flip at {at} of {target} verified"
        );
    }
}

#[test]
fn truncations_never_panic_or_verify() {
    let ex = AwsGen::default().simple(3);
    let base = ex.standard();
    let targets = evidence(&ex);
    let mut rng = Rng(0x5eed_1234_abcd_0005);
    for _ in 0..100 {
        let target = &targets[rng.below(targets.len())];
        let mut files = base.clone();
        let f = files.iter_mut().find(|(n, _)| n == target).unwrap();
        let keep = rng.below(f.1.len());
        f.1.truncate(keep);
        assert_ne!(
            verify(&files).verdict,
            Verdict::Valid,
            "truncated {target} to {keep} verified"
        );
    }
}
