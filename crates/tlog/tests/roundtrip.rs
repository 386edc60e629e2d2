//! Round trips and tampering: generated proofs against an independent naive RFC 6962
//! implementation for every shape up to 64 leaves, sign → verify, and hostile inputs.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use trailproof_tlog::checkpoint::{self, Checkpoint};
use trailproof_tlog::error::{CheckpointPolicy, Error, MerkleProblem, NoteFormat};
use trailproof_tlog::merkle::{self, CompactRange, Hash};
use trailproof_tlog::note::{self, Note, SignatureStatus, Signer, Verifiers};
use trailproof_tlog::proof::ProofBundle;

const N: usize = 64;

// ---- naive RFC 6962 §2.1, straight from the definitions (recursive, no shortcuts) ----

fn sha(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn mth(d: &[Vec<u8>]) -> Hash {
    match d.len() {
        0 => sha(&[]),
        1 => sha(&[&[0], &d[0]]),
        n => {
            let k = k_of(n);
            sha(&[&[1], &mth(&d[..k]), &mth(&d[k..])])
        }
    }
}

fn naive_path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
    if d.len() <= 1 {
        return vec![];
    }
    let k = k_of(d.len());
    if m < k {
        let mut p = naive_path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = naive_path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

fn naive_subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = naive_subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = naive_subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn data() -> Vec<Vec<u8>> {
    (0..N).map(|i| format!("record {i}").into_bytes()).collect()
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut h = *h;
    h[bit / 8 % 32] ^= 1 << (bit % 8);
    h
}

#[test]
fn roots_match_naive_mth_and_frontier_seeding() {
    let d = data();
    let leaves: Vec<Hash> = d.iter().map(|x| merkle::leaf_hash(x)).collect();
    let roots: Vec<Hash> = (0..=N).map(|n| mth(&d[..n])).collect();
    let mut range = CompactRange::new();
    assert_eq!(range.root(), roots[0]);
    let mut frontiers = vec![range.clone()];
    for (i, l) in leaves.iter().enumerate() {
        range.push(*l).unwrap();
        assert_eq!(range.root(), roots[i + 1], "root at size {}", i + 1);
        assert_eq!(range.frontier().len(), (i + 1).count_ones() as usize);
        frontiers.push(range.clone());
    }
    // Seeding from the frontier after `a` leaves and pushing the rest gives every later root.
    for (a, f) in frontiers.iter().enumerate() {
        let mut seeded = CompactRange::from_frontier(a as u64, f.frontier().to_vec()).unwrap();
        for (i, l) in leaves.iter().enumerate().skip(a) {
            seeded.push(*l).unwrap();
            assert_eq!(seeded.root(), roots[i + 1], "seed {a}, size {}", i + 1);
        }
    }
}

#[test]
fn inclusion_every_index_and_size() {
    let d = data();
    let leaves: Vec<Hash> = d.iter().map(|x| merkle::leaf_hash(x)).collect();
    for n in 1..=N {
        let root = mth(&d[..n]);
        for m in 0..n {
            let (idx, size) = (m as u64, n as u64);
            let path = merkle::inclusion_proof(&leaves, idx, size).unwrap();
            assert_eq!(path, naive_path(m, &d[..n]), "path {m}/{n}");
            merkle::verify_inclusion(idx, size, &leaves[m], &path, &root)
                .unwrap_or_else(|e| panic!("{m}/{n}: {e}"));
            // Tampering: every path element, the leaf, the index, the size, the length.
            for (j, p) in path.iter().enumerate() {
                let mut bad = path.clone();
                bad[j] = flip(p, j * 7 + m);
                assert!(merkle::verify_inclusion(idx, size, &leaves[m], &bad, &root).is_err());
            }
            assert!(
                merkle::verify_inclusion(idx, size, &flip(&leaves[m], 3), &path, &root).is_err()
            );
            if n > 1 {
                let other = (m + 1) % n;
                assert!(
                    merkle::verify_inclusion(other as u64, size, &leaves[m], &path, &root).is_err()
                );
                assert!(merkle::verify_inclusion(idx, size, &leaves[other], &path, &root).is_err());
            }
            // (No "size + 1" check: a path can verify under another claimed size with the same
            // root — e.g. leaf 0 of 5 vs 6 leaves; the size is bound by the signed checkpoint.)
            assert!(
                merkle::verify_inclusion(idx, size, &leaves[m], &path, &flip(&root, 0)).is_err()
            );
            let mut longer = path.clone();
            longer.push(root);
            assert_eq!(
                merkle::verify_inclusion(idx, size, &leaves[m], &longer, &root),
                Err(Error::Merkle(MerkleProblem::ProofTooLong))
            );
            if let Some((_, shorter)) = path.split_last() {
                assert_eq!(
                    merkle::verify_inclusion(idx, size, &leaves[m], shorter, &root),
                    Err(Error::Merkle(MerkleProblem::ProofTooShort))
                );
            }
        }
        assert!(merkle::inclusion_proof(&leaves, n as u64, n as u64).is_err());
    }
}

#[test]
fn consistency_every_pair() {
    let d = data();
    let leaves: Vec<Hash> = d.iter().map(|x| merkle::leaf_hash(x)).collect();
    let roots: Vec<Hash> = (0..=N).map(|n| mth(&d[..n])).collect();
    for n in 0..=N {
        for m in 0..=n {
            let (first, second) = (m as u64, n as u64);
            let proof = merkle::consistency_proof(&leaves, first, second).unwrap();
            let want = if m == 0 || m == n {
                vec![]
            } else {
                naive_subproof(m, &d[..n], true)
            };
            assert_eq!(proof, want, "proof {m}->{n}");
            merkle::verify_consistency(first, second, &roots[m], &roots[n], &proof)
                .unwrap_or_else(|e| panic!("{m}->{n}: {e}"));
            // Wrong roots.
            assert!(merkle::verify_consistency(
                first,
                second,
                &flip(&roots[m], 1),
                &roots[n],
                &proof
            )
            .is_err());
            // The empty tree is consistent with any tree (policy), so the second root only
            // matters for m > 0.
            if m > 0 {
                assert!(merkle::verify_consistency(
                    first,
                    second,
                    &roots[m],
                    &flip(&roots[n], 2),
                    &proof
                )
                .is_err());
            }
            // Every element flipped, one dropped, one added.
            for (j, p) in proof.iter().enumerate() {
                let mut bad = proof.clone();
                bad[j] = flip(p, j + m);
                assert!(
                    merkle::verify_consistency(first, second, &roots[m], &roots[n], &bad).is_err()
                );
            }
            if let Some((_, shorter)) = proof.split_last() {
                assert!(
                    merkle::verify_consistency(first, second, &roots[m], &roots[n], shorter)
                        .is_err()
                );
            }
            let mut longer = proof.clone();
            longer.push(roots[n]);
            assert!(
                merkle::verify_consistency(first, second, &roots[m], &roots[n], &longer).is_err()
            );
            // Swapped sizes.
            if m != n {
                assert!(
                    merkle::verify_consistency(second, first, &roots[n], &roots[m], &proof)
                        .is_err()
                );
            }
            // A different older tree of the same size is not consistent.
            if m > 0 && m < n {
                let mut other = d[..m].to_vec();
                other[0] = b"forged".to_vec();
                assert!(
                    merkle::verify_consistency(first, second, &mth(&other), &roots[n], &proof)
                        .is_err()
                );
            }
        }
    }
    // The empty tree's root must be SHA-256("").
    assert_eq!(
        merkle::verify_consistency(0, 5, &[0; 32], &roots[5], &[]),
        Err(Error::Merkle(MerkleProblem::EmptyTreeRoot))
    );
}

// ---- notes and checkpoints ----

const ORIGIN: &str = "audit.example.com/acme/prod";

fn log_signer() -> Signer {
    Signer::ed25519(ORIGIN, &[0x11; 32]).unwrap()
}
fn witness() -> Signer {
    Signer::cosigner("witness.example.org", &[0x22; 32], 1_750_000_000).unwrap()
}
fn trust(signers: &[&Signer]) -> Verifiers {
    let vkeys: Vec<String> = signers
        .iter()
        .map(|s| s.verifier_key().to_string())
        .collect();
    Verifiers::from_vkeys(vkeys.iter().map(String::as_str)).unwrap()
}
fn checkpoint_text(size: usize) -> String {
    let d = data();
    Checkpoint {
        origin: ORIGIN.into(),
        size: size as u64,
        root: mth(&d[..size]),
        extensions: vec![],
    }
    .to_text()
}

#[test]
fn sign_verify_round_trip() {
    let (log, wit) = (log_signer(), witness());
    let bytes = note::sign(&checkpoint_text(10), &[log.clone(), wit.clone()]).unwrap();
    // The private key string round-trips to the same verifier key.
    let again = Signer::parse_private_key(&log.to_private_key_string()).unwrap();
    assert_eq!(again.verifier_key(), log.verifier_key());

    let v = trust(&[&log, &wit]);
    let ok = checkpoint::open(&bytes, ORIGIN, &v).unwrap();
    assert_eq!(ok.checkpoint.size, 10);
    assert_eq!(ok.report.verified().count(), 2);

    // Only the log trusted: the cosignature is ignored, still valid.
    let only_log = checkpoint::open(&bytes, ORIGIN, &trust(&[&log])).unwrap();
    assert_eq!(
        only_log.report.signatures[1].status,
        SignatureStatus::Unknown
    );

    // Only the witness trusted: the note verifies, but a cosignature alone does not
    // authenticate a checkpoint.
    let note = Note::parse(&bytes).unwrap();
    assert!(note.verify(&trust(&[&wit])).is_ok());
    assert_eq!(
        checkpoint::open(&bytes, ORIGIN, &trust(&[&wit])).unwrap_err(),
        Error::CheckpointPolicy(CheckpointPolicy::NoLogSignature)
    );
    // Wrong origin.
    assert!(matches!(
        checkpoint::open(&bytes, "audit.example.com/acme/dev", &v),
        Err(Error::CheckpointPolicy(
            CheckpointPolicy::OriginMismatch { .. }
        ))
    ));
    // Nothing trusted.
    assert!(matches!(
        checkpoint::open(&bytes, ORIGIN, &Verifiers::new()),
        Err(Error::NoTrustedSignature { lines: 2 })
    ));
}

#[test]
fn tampered_notes_rejected() {
    let (log, wit) = (log_signer(), witness());
    let v = trust(&[&log, &wit]);
    let good = String::from_utf8(note::sign(&checkpoint_text(10), &[log, wit]).unwrap()).unwrap();
    let sig_line = good
        .lines()
        .find(|l| l.starts_with('\u{2014}'))
        .unwrap()
        .to_owned();
    let (_, b64) = sig_line.rsplit_once(' ').unwrap();
    let mut raw = STANDARD.decode(b64).unwrap();
    raw[10] ^= 0x40;
    let flipped_sig = sig_line.replace(b64, &STANDARD.encode(&raw));
    let mutations: Vec<(&str, String)> = vec![
        ("size changed", good.replacen("\n10\n", "\n11\n", 1)),
        (
            "origin changed",
            good.replacen("acme/prod\n", "acme/prot\n", 1),
        ),
        (
            "extension line added",
            good.replacen("=\n\n", "=\nextra\n\n", 1),
        ),
        ("CRLF", good.replace('\n', "\r\n")),
        ("missing final LF", good[..good.len() - 1].to_owned()),
        ("-- for em dash", good.replace('\u{2014}', "--")),
        ("signature bit flip", good.replace(&sig_line, &flipped_sig)),
        ("BOM", format!("\u{feff}{good}")),
        ("tab", good.replacen(' ', "\t", 1)),
    ];
    for (what, bytes) in mutations {
        assert!(
            checkpoint::open(bytes.as_bytes(), ORIGIN, &v).is_err(),
            "{what} was accepted"
        );
    }
    // Non-canonical base64 (non-zero padding bits) in the signature: malformed, even though a
    // lenient decoder yields the same bytes.
    let sig_b64 = STANDARD.encode(&raw[..raw.len() - 1]);
    assert!(sig_b64.ends_with('='));
    let noncanon = {
        let mut chars: Vec<char> = sig_b64.chars().collect();
        let pos = chars.iter().rposition(|c| *c != '=').unwrap();
        chars[pos] = match chars[pos] {
            'A' => 'B',
            c => ((c as u8) | 1) as char,
        };
        chars.into_iter().collect::<String>()
    };
    let n = format!("x\n\n\u{2014} name {noncanon}\n");
    if STANDARD.decode(&noncanon).is_err() {
        assert!(matches!(
            Note::parse(n.as_bytes()),
            Err(Error::MalformedNote(NoteFormat::BadBase64 { line: 1 }))
        ));
    }
}

#[test]
fn no_panics_on_mutated_inputs() {
    let (log, wit) = (log_signer(), witness());
    let v = trust(&[&log, &wit]);
    let d = data();
    let leaves: Vec<Hash> = d.iter().map(|x| merkle::leaf_hash(x)).collect();
    let note_bytes = note::sign(&checkpoint_text(20), &[log, wit]).unwrap();
    let bundle = ProofBundle::build(&leaves, 7, note_bytes.clone(), Some(b"x".to_vec())).unwrap();
    bundle.verify(&leaves[7], ORIGIN, &v).unwrap();
    let bundle_bytes = bundle.to_bytes();
    for original in [&note_bytes, &bundle_bytes] {
        for i in 0..original.len() {
            for b in [
                0x00,
                b'\n',
                b' ',
                b'+',
                b'=',
                0x80,
                0xe2,
                0xff,
                original[i] ^ 1,
            ] {
                let mut m = original.clone();
                m[i] = b;
                if let Ok(n) = Note::parse(&m) {
                    let _ = checkpoint::authenticate(&n, n.check(&v), ORIGIN);
                }
                if let Ok(p) = ProofBundle::parse(&m) {
                    let _ = p.verify(&leaves[7], ORIGIN, &v);
                }
                let _ = Checkpoint::parse(&String::from_utf8_lossy(&m));
            }
            // Truncation at every point.
            let _ = Note::parse(&original[..i]);
            let _ = ProofBundle::parse(&original[..i]);
        }
    }
}
