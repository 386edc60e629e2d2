//! The shared fixtures verify exactly as their READMEs say, and the real samples parse.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use trailproof_chain::{parse_key_file, verify_files, AwsDigest, CtsDigest, VerifyOptions};
use trailproof_core::report::{ItemKind, Reason, Report, Status, Verdict};

fn fixtures() -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
        std::path::PathBuf::from,
    )
}

/// Every regular file directly in `dir` (not recursing), as (name, bytes).
fn read_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Verifies in one run; `common::verify` also checks that the sharded flow agrees.
fn verify(files: &[(String, Vec<u8>)]) -> Report {
    let report = common::verify(files);
    let direct = verify_files(
        files.iter().map(|(p, b)| (p.as_str(), b.as_slice())),
        VerifyOptions::default(),
    );
    assert_eq!(report, direct);
    report
}

fn item<'a>(r: &'a Report, name_part: &str) -> &'a trailproof_core::report::Item {
    r.items
        .iter()
        .find(|i| i.path.contains(name_part))
        .unwrap_or_else(|| panic!("no item {name_part}: {r:#?}"))
}

const LOG1: &str = "111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
const D1: &str =
    "111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T010000Z.json.gz";

#[test]
fn synthetic_aws_all_valid() {
    let files = read_dir(&fixtures().join("synthetic_aws"));
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    let digests: Vec<_> = r
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Digest)
        .collect();
    let logs: Vec<_> = r.items.iter().filter(|i| i.kind == ItemKind::Log).collect();
    assert_eq!(digests.len(), 3);
    assert_eq!(logs.len(), 2);
    assert!(r.items.iter().all(|i| i.status == Status::Valid), "{r:#?}");
    assert!(r.gaps.is_empty());
    assert_eq!(r.chains.len(), 1);
    assert_eq!(r.chains[0].digests.len(), 3);
    // What proved it: every item names its key, every log its digest.
    assert!(r.items.iter().all(|i| i.proof.is_some()), "{r:#?}");
    assert_eq!(r.keys.len(), 1);
    assert_eq!(
        (r.keys[0].source.as_str(), r.keys[0].verified),
        ("list-public-keys.json", 3)
    );
    // Flat folder: the location can only be matched by name, which is said, not held against it.
    assert!(digests[0]
        .notes
        .iter()
        .any(|n| n.contains("cannot be checked")));
}

fn replace(files: &mut [(String, Vec<u8>)], name: &str, bytes: Vec<u8>) {
    let f = files.iter_mut().find(|(n, _)| n == name).unwrap();
    f.1 = bytes;
}

#[test]
fn synthetic_aws_tampered_log_is_hash_mismatch() {
    let mut files = read_dir(&fixtures().join("synthetic_aws"));
    replace(
        &mut files,
        LOG1,
        fs::read(
            fixtures()
                .join("synthetic_aws/negative")
                .join(format!("tampered_{LOG1}")),
        )
        .unwrap(),
    );
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Invalid);
    let i = item(&r, LOG1);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::HashMismatch))
    );
    assert_eq!(r.problems().count(), 1, "{r:#?}");
}

#[test]
fn synthetic_aws_with_tampered_copy_is_not_listed() {
    // The forged copy under its own (prefixed) name, given with the chain: the digest that
    // covers its hour verified and does not list it, so it is invalid, not "last hour".
    let tampered_name = format!("tampered_{LOG1}");
    let mut files = read_dir(&fixtures().join("synthetic_aws"));
    files.push((
        tampered_name.clone(),
        fs::read(
            fixtures()
                .join("synthetic_aws/negative")
                .join(&tampered_name),
        )
        .unwrap(),
    ));
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Invalid);
    let i = item(&r, &tampered_name);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::NotListed)),
        "{i:#?}"
    );
    assert!(i
        .message
        .contains("a digest covering this time exists and does not list this file"));
    assert!(i.message.contains(D1), "{}", i.message);
    // The real log is untouched and valid; nothing else is wrong.
    assert_eq!(
        r.items.iter().find(|i| i.path == LOG1).unwrap().status,
        Status::Valid
    );
    assert_eq!(r.problems().count(), 1, "{r:#?}");
    assert!(!r.keys.is_empty());
}

#[test]
fn synthetic_aws_appended_log_is_trailing_data() {
    let mut files = read_dir(&fixtures().join("synthetic_aws"));
    replace(
        &mut files,
        LOG1,
        fs::read(
            fixtures()
                .join("synthetic_aws/negative")
                .join(format!("appended_{LOG1}")),
        )
        .unwrap(),
    );
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Invalid);
    let i = item(&r, LOG1);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::TrailingData))
    );
    assert_eq!(r.problems().count(), 1, "{r:#?}");
}

#[test]
fn synthetic_aws_bad_sidecar_is_signature_invalid() {
    let mut files = read_dir(&fixtures().join("synthetic_aws"));
    let side = format!("{D1}.head-object.json");
    replace(
        &mut files,
        &side,
        fs::read(
            fixtures()
                .join("synthetic_aws/negative")
                .join(format!("badsig_{side}")),
        )
        .unwrap(),
    );
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Invalid);
    let i = r.items.iter().find(|i| i.path == D1).unwrap();
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::SignatureInvalid)),
        "{r:#?}"
    );
}

#[test]
fn synthetic_aws_negative_folder_alone_is_unreferenced() {
    // The negative files under their own (prefixed) names are just unlisted logs.
    let files = read_dir(&fixtures().join("synthetic_aws/negative"));
    let r = verify(&files);
    assert!(
        r.items.iter().all(|i| i.status == Status::Unreferenced),
        "{r:#?}"
    );
}

#[test]
fn synthetic_aws_spki_key_alone_is_key_not_found() {
    // The SPKI form of the same key has another fingerprint (md5 over the DER as given).
    let files: Vec<_> = read_dir(&fixtures().join("synthetic_aws"))
        .into_iter()
        .filter(|(n, _)| n != "list-public-keys.json")
        .collect();
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Incomplete, "{r:#?}");
    let i = r.items.iter().find(|i| i.path == D1).unwrap();
    assert_eq!(
        (i.status, i.reason),
        (Status::Unverifiable, Some(Reason::KeyNotFound))
    );
}

#[test]
fn synthetic_aws_without_newest_sidecar_is_incomplete() {
    let files: Vec<_> = read_dir(&fixtures().join("synthetic_aws"))
        .into_iter()
        .filter(|(n, _)| !n.ends_with(".head-object.json"))
        .collect();
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Incomplete, "{r:#?}");
    let newest = item(&r, "T030000Z.json.gz");
    assert_eq!(
        (newest.status, newest.reason),
        (Status::Unverifiable, Some(Reason::SignatureUnavailable))
    );
    assert!(newest.message.contains("head-object"));
    // Older digests verify with the signature their successor records.
    assert_eq!(item(&r, "T010000Z.json.gz").status, Status::Valid);
    assert_eq!(item(&r, "T020000Z.json.gz").status, Status::Valid);
    // The log listed only by the unverifiable newest digest is not vouched for.
    assert_eq!(item(&r, "T0215Z").status, Status::Unverifiable);
    assert_eq!(item(&r, LOG1).status, Status::Valid);
}

#[test]
fn synthetic_cts_all_valid() {
    let files = read_dir(&fixtures().join("synthetic_cts"));
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    assert_eq!(
        r.items
            .iter()
            .filter(|i| i.kind == ItemKind::Digest)
            .count(),
        2
    );
    assert_eq!(
        r.items.iter().filter(|i| i.kind == ItemKind::Log).count(),
        1
    );
    let start = item(&r, "T01-00-00Z.json.gz");
    // Record which [unverified] interpretation of the starting digest verified.
    assert!(
        start
            .notes
            .iter()
            .any(|n| n.contains("empty previous signature")),
        "{start:#?}"
    );
    assert!(r
        .items
        .iter()
        .all(|i| i.notes.iter().any(|n| n.contains("MD5"))));
}

#[test]
fn synthetic_cts_tampered_trace_is_hash_mismatch() {
    let mut files = read_dir(&fixtures().join("synthetic_cts"));
    let name = "mylog_CloudTrace_eu-de_2024-05-01T01-05-00Z_0faa86bc40071242.json.gz";
    let f = files.iter_mut().find(|(n, _)| n == name).unwrap();
    // Appending changes the stored bytes, which is what CTS hashes.
    f.1.push(0);
    let r = verify(&files);
    let i = item(&r, name);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::HashMismatch))
    );
}

#[test]
fn real_samples_parse() {
    let f = fixtures();
    let real = fs::read(f.join("cloudtrail_digest_real_llm-guard.json")).unwrap();
    let d = AwsDigest::parse(&real).unwrap();
    assert_eq!(d.account_id, "327878933619");
    assert_eq!(d.fingerprint, "be2f0b997552f44942837300ba1aba9d");
    assert!(d.previous.is_some());
    assert!(
        d.object.contains("/CloudTrail-Digest/ap-northeast-1/"),
        "escaped slashes decode"
    );
    for name in [
        "cloudtrail_digest_example_awsdocs.json",
        "cloudtrail_digest_empty_example_awsdocs.json",
    ] {
        AwsDigest::parse(&fs::read(f.join(name)).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    CtsDigest::parse(&fs::read(f.join("cts_digest_example_otcdocs.json")).unwrap()).unwrap();
    let (k, _) = parse_key_file(
        &fs::read(f.join("cloudtrail_list_public_keys_example_awsdocs.json")).unwrap(),
        "k",
    )
    .unwrap();
    let fps: Vec<_> = k.iter().map(|k| k.fingerprint.as_str()).collect();
    assert_eq!(
        fps,
        [
            "8eba5db5bea9b640d1c96a77256fe7f2",
            "8933b39ddc64d26d8e14ffbf6566fee4",
            "31e8b5433410dfb61a9dc45cc65b22ff"
        ]
    );
    assert!(k[0].valid_from.is_some(), "numeric-string epoch validity");
    let (k, _) = parse_key_file(
        &fs::read(f.join("cloudtrail_list_public_keys_example_awscli.json")).unwrap(),
        "k",
    )
    .unwrap();
    assert_eq!(k[0].fingerprint, "7f3f401420072e50a65a141430817ab3");
    let (k, _) = parse_key_file(
        &fs::read(f.join("cts_public_key_otcdocs.spki.b64")).unwrap(),
        "k",
    )
    .unwrap();
    assert_eq!(k[0].fingerprint, "6589b9fe913a700253121fe3a68d1841");
    // The real digest as a lone file: recognised by content, unverifiable (no signature).
    let r = verify_files(
        [("cloudtrail_digest_real_llm-guard.json", real.as_slice())],
        VerifyOptions::default(),
    );
    assert_eq!(r.items.len(), 1 + d.log_files.len(), "{r:#?}");
    assert_eq!(
        r.items
            .iter()
            .find(|i| i.kind == ItemKind::Digest)
            .unwrap()
            .status,
        Status::Unverifiable
    );
}

#[test]
fn scanned_files_survive_serialisation() {
    // A browser may scan in several workers and verify in one: Scanned crosses as JSON.
    use trailproof_chain::{scan, ScanLimits, Scanned, Verifier};
    for dir in ["synthetic_aws", "synthetic_cts"] {
        let mut v = Verifier::new(VerifyOptions::default());
        for (name, bytes) in read_dir(&fixtures().join(dir)) {
            let s = scan(&name, &mut bytes.as_slice(), &ScanLimits::default());
            let json = serde_json::to_string(&s).unwrap();
            let back: Scanned = serde_json::from_str(&json).unwrap();
            assert_eq!(back.kind(), s.kind());
            v.add(back);
        }
        assert_eq!(v.finish().verdict, Verdict::Valid, "{dir}");
    }
}
