//! Tamper battery over generated, signed exports: one test per reason code, per layout,
//! key rotation, restarts, consecutive deletions, malformed files, CTS equivalents.

mod common;

use common::*;
use serde_json::{json, Value};
use trailproof_core::report::{ItemKind, Reason, Report, Status, Verdict};

fn assert_all_valid(r: &Report, digests: usize, logs: usize) {
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    assert!(r.items.iter().all(|i| i.status == Status::Valid), "{r:#?}");
    assert_eq!(
        r.items
            .iter()
            .filter(|i| i.kind == ItemKind::Digest)
            .count(),
        digests
    );
    assert_eq!(
        r.items.iter().filter(|i| i.kind == ItemKind::Log).count(),
        logs
    );
}

fn set(files: &mut [(String, Vec<u8>)], suffix: &str, f: impl FnOnce(&mut Vec<u8>)) {
    let e = files
        .iter_mut()
        .find(|(n, _)| n.ends_with(suffix))
        .unwrap_or_else(|| panic!("no file {suffix}"));
    f(&mut e.1);
}

fn remove(files: &mut Vec<(String, Vec<u8>)>, suffix: &str) {
    let before = files.len();
    files.retain(|(n, _)| !n.ends_with(suffix));
    assert_eq!(files.len(), before - 1, "{suffix}");
}

// ---- layouts ----

#[test]
fn layout_hierarchy() {
    let ex = AwsGen::default().simple(4);
    let r = verify(&ex.standard());
    assert_all_valid(&r, 4, 8);
    assert!(
        r.items.iter().all(|i| i.notes.is_empty()),
        "hierarchy locations are checkable: {r:#?}"
    );
    assert_eq!(r.chains.len(), 1);
    assert_eq!(r.chains[0].digests.len(), 4);
}

#[test]
fn layout_bucket_and_prefix() {
    let g = AwsGen {
        prefix: "audit/prod/".into(),
        ..Default::default()
    };
    let ex = g.simple(3);
    // `aws s3 sync s3://bucket ./copy`: the local path has the bucket folder in front.
    let r = verify(&ex.layout("example-trail-bucket/", false, &|i| i == 2));
    assert_all_valid(&r, 3, 6);
    // Synced from below the prefix: local paths lack it, but agree from AWSLogs/ on.
    let files: Vec<_> = ex
        .layout("", false, &|i| i == 2)
        .into_iter()
        .map(|(n, b)| {
            (
                n.strip_prefix("audit/prod/")
                    .map(str::to_owned)
                    .unwrap_or(n),
                b,
            )
        })
        .collect();
    assert_all_valid(&verify(&files), 3, 6);
}

#[test]
fn layout_flat() {
    let ex = AwsGen::default().simple(3);
    let r = verify(&ex.layout("", true, &|i| i == 2));
    assert_all_valid(&r, 3, 6);
    assert!(r
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Digest)
        .all(|i| i.notes.iter().any(|n| n.contains("cannot be checked"))));
}

#[test]
fn layout_org_trail() {
    let g = AwsGen {
        org: Some("o-exampleorgid".into()),
        ..Default::default()
    };
    let ex = g.simple(3);
    assert!(ex.digests[0].starts_with("AWSLogs/o-exampleorgid/111122223333/CloudTrail-Digest/"));
    assert_all_valid(&verify(&ex.standard()), 3, 6);
}

#[test]
fn layout_zip() {
    let ex = AwsGen::default().simple(3);
    let r = verify(&[("export.zip".to_owned(), zip_of(&ex.standard()))]);
    assert_all_valid(&r, 3, 6);
    assert!(r.items.iter().all(|i| i.path.starts_with("export.zip/")));
}

#[test]
fn layout_tgz() {
    let ex = AwsGen::default().simple(3);
    assert_all_valid(
        &verify(&[("export.tgz".to_owned(), tgz_of(&ex.standard()))]),
        3,
        6,
    );
}

#[test]
fn several_chains_and_backfill_are_separate() {
    let a = AwsGen::default().simple(2);
    let b = AwsGen {
        region: "eu-west-1".into(),
        ..Default::default()
    }
    .simple(2);
    let c = AwsGen {
        backfill: true,
        logs_per_hour: 1,
        ..Default::default()
    }
    .simple(2);
    let mut files = a.standard();
    files.extend(b.standard());
    // Backfill logs have other names; keep only its digests and its own logs.
    files.extend(
        c.standard()
            .into_iter()
            .filter(|(n, _)| !n.ends_with(".json") || n.ends_with(".head-object.json")),
    );
    files.sort();
    files.dedup_by(|x, y| x.0 == y.0);
    let r = verify(&files);
    assert_eq!(r.chains.len(), 3, "{:#?}", r.chains);
    assert!(r.chains.iter().any(|c| c.backfill));
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
}

// ---- one test per reason ----

#[test]
fn reason_hash_mismatch() {
    let ex = AwsGen::default().simple(3);
    let mut files = ex.standard();
    let log = ex.logs[1].clone();
    set(&mut files, &log, |b| {
        *b = gz(&String::from_utf8(gunzip(b).unwrap())
            .unwrap()
            .replace("Event0x1", "Event0x9")
            .into_bytes())
    });
    let r = verify(&files);
    let i = item(&r, &log);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::HashMismatch))
    );
    assert_eq!(r.problems().count(), 1, "{r:#?}");
    assert_eq!(r.verdict, Verdict::Invalid);
}

#[test]
fn reason_trailing_data() {
    let ex = AwsGen::default().simple(3);
    let mut files = ex.standard();
    let log = ex.logs[2].clone();
    set(&mut files, &log, |b| {
        b.extend(gz(br#"{"Records":[{"eventName":"Hidden"}]}"#))
    });
    let r = verify(&files);
    let i = item(&r, &log);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::TrailingData))
    );
    assert_eq!(r.problems().count(), 1);
}

#[test]
fn reason_signature_invalid_middle_digest() {
    let ex = AwsGen::default().simple(4);
    let mut files = ex.standard();
    // Drop a log entry from the second digest without re-signing.
    set(&mut files, &ex.digests[1], |b| {
        let mut v: Value = serde_json::from_slice(&gunzip(b).unwrap()).unwrap();
        v["logFiles"].as_array_mut().unwrap().pop();
        *b = gz(serde_json::to_string(&v)
            .unwrap()
            .replace('/', "\\/")
            .as_bytes());
    });
    let r = verify(&files);
    let i = item(&r, &ex.digests[1]);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::SignatureInvalid)),
        "{r:#?}"
    );
    // Its successor is still valid; the hash mismatch it sees is explained by the tampering.
    assert_eq!(item(&r, &ex.digests[2]).status, Status::Valid);
    // The dropped log is no longer listed by a trustworthy digest.
    assert_eq!(r.verdict, Verdict::Invalid);
}

#[test]
fn reason_signature_invalid_newest_with_sidecar() {
    let ex = AwsGen::default().simple(2);
    let mut files = ex.standard();
    set(
        &mut files,
        &format!("{}.head-object.json", ex.digests[1]),
        |b| {
            let mut v: Value = serde_json::from_slice(b).unwrap();
            let s = v["Metadata"]["signature"].as_str().unwrap().to_owned();
            let first = if s.starts_with('0') { "1" } else { "0" };
            let flipped = format!("{first}{}", &s[1..]);
            v["Metadata"]["signature"] = json!(flipped);
            *b = serde_json::to_vec(&v).unwrap();
        },
    );
    let i = item(&verify(&files), &ex.digests[1]).clone();
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::SignatureInvalid))
    );
}

#[test]
fn reason_signature_invalid_non_hex_signature() {
    let ex = AwsGen::default().simple(2);
    let mut files = ex.standard();
    set(
        &mut files,
        &format!("{}.head-object.json", ex.digests[1]),
        |b| {
            *b = br#"{"Metadata":{"signature":"zz","signature-algorithm":"SHA256withRSA"}}"#
                .to_vec();
        },
    );
    let i = item(&verify(&files), &ex.digests[1]).clone();
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::SignatureInvalid))
    );
}

#[test]
fn reason_key_not_found() {
    let ex = AwsGen::default().simple(3);
    let files: Vec<_> = ex
        .standard()
        .into_iter()
        .filter(|(n, _)| n != "list-public-keys.json")
        .collect();
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Incomplete);
    let i = item(&r, &ex.digests[0]);
    assert_eq!(
        (i.status, i.reason),
        (Status::Unverifiable, Some(Reason::KeyNotFound))
    );
    assert!(i.message.contains("list-public-keys"));
}

#[test]
fn reason_signature_unavailable() {
    let ex = AwsGen::default().simple(3);
    let r = verify(&ex.layout("", false, &|_| false));
    assert_eq!(r.verdict, Verdict::Incomplete);
    let i = item(&r, &ex.digests[2]);
    assert_eq!(
        (i.status, i.reason),
        (Status::Unverifiable, Some(Reason::SignatureUnavailable))
    );
    assert!(i.message.contains("aws s3api head-object"), "{}", i.message);
    assert_eq!(item(&r, &ex.digests[1]).status, Status::Valid);
    // Logs only the unverifiable digest lists are not vouched for.
    assert_eq!(item(&r, &ex.logs[5]).status, Status::Unverifiable);
}

#[test]
fn reason_not_found_log() {
    let ex = AwsGen::default().simple(3);
    let mut files = ex.standard();
    remove(&mut files, &ex.logs[3]);
    let r = verify(&files);
    let i = r
        .items
        .iter()
        .find(|i| i.path == ex.logs[3])
        .expect("missing item named by its S3 key");
    assert_eq!(
        (i.status, i.reason),
        (Status::Missing, Some(Reason::NotFound))
    );
    assert_eq!(r.verdict, Verdict::Invalid);
}

#[test]
fn reason_not_found_digest() {
    let ex = AwsGen::default().simple(4);
    let mut files = ex.standard();
    remove(&mut files, &ex.digests[1]);
    let r = verify(&files);
    let i = r
        .items
        .iter()
        .find(|i| i.path == ex.digests[1])
        .expect("missing digest named by its key");
    assert_eq!(
        (i.status, i.reason),
        (Status::Missing, Some(Reason::NotFound))
    );
    // The digest before the hole lost the record of its signature.
    let before = item(&r, &ex.digests[0]);
    assert_eq!(
        (before.status, before.reason),
        (Status::Unverifiable, Some(Reason::SignatureUnavailable))
    );
    assert_eq!(r.verdict, Verdict::Invalid);
}

#[test]
fn reason_moved() {
    let ex = AwsGen::default().simple(3);
    let mut files = ex.standard();
    let from = ex.digests[1].clone();
    let to = from.replace("/2024/05/01/", "/2024/05/02/");
    files.iter_mut().find(|(n, _)| *n == from).unwrap().0 = to.clone();
    let r = verify(&files);
    let i = item(&r, &to);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::Moved)),
        "{r:#?}"
    );
    // Its signature still verified, so the logs it lists are still vouched for.
    assert_eq!(item(&r, &ex.logs[2]).status, Status::Valid);
    // Renamed in a flat folder to another digest's name: also moved.
    let mut flat = ex.layout("", true, &|i| i == 2);
    let name0 = ex.digests[0].rsplit('/').next().unwrap().to_owned();
    let fake = name0.replace("T010000Z", "T050000Z");
    flat.iter_mut().find(|(n, _)| *n == name0).unwrap().0 = fake.clone();
    let r = verify(&flat);
    assert_eq!(item(&r, &fake).reason, Some(Reason::Moved));
}

#[test]
fn reason_chain_mismatch_previous_hash() {
    let g = AwsGen::default();
    let ex = g.generate(3, &|_| aws_key(), &|h, m| {
        if h == 2 {
            m.insert("previousDigestHashValue".into(), json!("00".repeat(32)));
        }
    });
    let r = verify(&ex.standard());
    let i = item(&r, &ex.digests[2]);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::ChainMismatch)),
        "{r:#?}"
    );
}

#[test]
fn reason_chain_mismatch_not_contiguous() {
    let ex = AwsGen::default().generate(3, &|_| aws_key(), &|h, m| {
        if h == 1 {
            m.insert("digestStartTime".into(), json!("2024-05-01T00:30:00Z"));
        }
    });
    let r = verify(&ex.standard());
    let i = item(&r, &ex.digests[1]);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::ChainMismatch)),
        "{r:#?}"
    );
}

#[test]
fn reason_malformed_digest_and_good_files_still_verified() {
    let ex = AwsGen::default().simple(4);
    let mut files = ex.standard();
    set(&mut files, &ex.digests[1], |b| b.truncate(b.len() / 2));
    let r = verify(&files);
    let i = item(&r, &ex.digests[1]);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::Malformed))
    );
    // Not reported missing as well.
    assert_eq!(
        r.items
            .iter()
            .filter(|i| i.path.ends_with(&ex.digests[1]))
            .count(),
        1
    );
    assert_eq!(item(&r, &ex.digests[3]).status, Status::Valid);
    assert_eq!(item(&r, &ex.digests[2]).status, Status::Valid);
}

#[test]
fn reason_not_referenced() {
    let g = AwsGen::default();
    let ex = g.simple(2);
    let mut files = ex.standard();
    let late = g.log_key(T0 + 2 * HOUR + 600, 99);
    files.push((late.clone(), gz(br#"{"Records":[]}"#)));
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Valid);
    let i = item(&r, &late);
    assert_eq!(
        (i.status, i.reason),
        (Status::Unreferenced, Some(Reason::NotReferenced))
    );
    assert!(i.message.contains("normal"));
    // One from a covered hour gets the other explanation.
    let early = g.log_key(T0 + 600, 98);
    files.push((early.clone(), gz(br#"{"Records":[]}"#)));
    let r = verify(&files);
    assert!(item(&r, &early).message.contains("cover its delivery time"));
}

#[test]
fn uncompressed_log_copies_verify() {
    // CloudTrail hashes the uncompressed content, so a gunzipped copy still verifies.
    let ex = AwsGen::default().simple(2);
    let mut files = ex.standard();
    let log = ex.logs[0].clone();
    let e = files.iter_mut().find(|(n, _)| *n == log).unwrap();
    e.0 = log.trim_end_matches(".gz").to_owned();
    e.1 = gunzip(&e.1).unwrap();
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    assert!(item(&r, log.trim_end_matches(".gz"))
        .notes
        .iter()
        .any(|n| n.contains("uncompressed")));
    // A `.gz` name with content that is not gzip is malformed, as aws-cli says.
    let mut files = ex.standard();
    set(&mut files, &ex.logs[1], |b| *b = gunzip(b).unwrap());
    assert_eq!(
        item(&verify(&files), &ex.logs[1]).reason,
        Some(Reason::Malformed)
    );
}

// ---- chain shapes ----

#[test]
fn key_rotation_mid_chain() {
    let ex = AwsGen::default().generate(
        6,
        &|h| if h < 3 { aws_key() } else { cts_key() },
        &|_, _| {},
    );
    let mut files = ex.standard();
    files.retain(|(n, _)| n != "list-public-keys.json");
    files.push((
        "keys.json".into(),
        key_list(&[
            (&aws_key(), T0 - 86400, T0 + 3 * HOUR + 600),
            (&cts_key(), T0 + 3 * HOUR - 600, T0 + 86400),
        ]),
    ));
    let r = verify(&files);
    assert_all_valid(&r, 6, 12);
    assert!(item(&r, &ex.digests[0])
        .message
        .contains(&fingerprint(&aws_key())));
    assert!(item(&r, &ex.digests[5])
        .message
        .contains(&fingerprint(&cts_key())));
    // Only the old key supplied: the new half cannot be checked.
    let mut old_only = ex.standard();
    old_only.retain(|(n, _)| n != "list-public-keys.json");
    old_only.push((
        "keys.json".into(),
        key_list(&[(&aws_key(), T0 - 86400, T0 + 86400)]),
    ));
    let r = verify(&old_only);
    assert_eq!(r.verdict, Verdict::Incomplete);
    assert_eq!(item(&r, &ex.digests[4]).reason, Some(Reason::KeyNotFound));
}

#[test]
fn key_outside_validity_is_a_note() {
    let ex = AwsGen::default().simple(2);
    let mut files = ex.standard();
    files.retain(|(n, _)| n != "list-public-keys.json");
    files.push((
        "keys.json".into(),
        key_list(&[(&aws_key(), T0 + 86400, T0 + 2 * 86400)]),
    ));
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Valid);
    assert!(item(&r, &ex.digests[0])
        .notes
        .iter()
        .any(|n| n.contains("validity")));
}

#[test]
fn chain_restart_is_a_gap_not_tampering() {
    let g = AwsGen {
        silent: vec![3, 4],
        ..Default::default()
    };
    let ex = g.simple(7);
    assert_eq!(ex.digests.len(), 5);
    // The last digest before the restart has no successor recording its signature: export it.
    let r = verify(&ex.layout("", false, &|i| i == 2 || i == 4));
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    assert_eq!(r.gaps.len(), 1);
    assert_eq!(
        (r.gaps[0].start.as_str(), r.gaps[0].end.as_str()),
        ("2024-05-01T03:00:00Z", "2024-05-01T05:00:00Z")
    );
    // Without that sidecar it is unverifiable, still not invalid.
    let r = verify(&ex.standard());
    assert_eq!(r.verdict, Verdict::Incomplete);
    assert_eq!(
        item(&r, &ex.digests[2]).reason,
        Some(Reason::SignatureUnavailable)
    );
}

#[test]
fn two_consecutive_deleted_digests_are_two_missing_items() {
    let ex = AwsGen::default().simple(6);
    let mut files = ex.standard();
    remove(&mut files, &ex.digests[2]);
    remove(&mut files, &ex.digests[3]);
    let r = verify(&files);
    let missing: Vec<_> = r
        .items
        .iter()
        .filter(|i| i.status == Status::Missing && i.kind == ItemKind::Digest)
        .collect();
    assert_eq!(missing.len(), 2, "{r:#?}");
    let mut paths: Vec<_> = missing.iter().map(|i| i.path.clone()).collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![ex.digests[2].clone(), ex.digests[3].clone()],
        "inferred keys equal the real ones"
    );
    // Three deleted in a row across midnight-free hours: three items.
    let ex = AwsGen::default().simple(7);
    let mut files = ex.standard();
    for d in &ex.digests[1..4] {
        remove(&mut files, d);
    }
    let r = verify(&files);
    assert_eq!(
        r.items
            .iter()
            .filter(|i| i.status == Status::Missing && i.kind == ItemKind::Digest)
            .count(),
        3
    );
    // The logs those digests listed are still present but no longer vouched for.
    assert_eq!(item(&r, &ex.logs[3]).status, Status::Unreferenced);
}

#[test]
fn missing_digests_across_midnight_get_correct_date_folders() {
    let ex = AwsGen::default().simple(30);
    let mut files = ex.standard();
    for d in &ex.digests[22..26] {
        remove(&mut files, d);
    }
    let r = verify(&files);
    let mut paths: Vec<_> = r
        .items
        .iter()
        .filter(|i| i.status == Status::Missing)
        .map(|i| i.path.clone())
        .collect();
    paths.sort();
    assert_eq!(paths, ex.digests[22..26].to_vec());
}

#[test]
fn oldest_digest_pointing_outside_the_export_is_not_missing() {
    let ex = AwsGen::default().simple(4);
    let mut files = ex.standard();
    remove(&mut files, &ex.digests[0]);
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    assert_eq!(
        r.chains[0].continues_before.as_deref(),
        Some(ex.digests[0].as_str())
    );
    assert!(item(&r, &ex.logs[0])
        .message
        .contains("before the oldest supplied digest"));
}

#[test]
fn malformed_files_mixed_into_good_ones() {
    let ex = AwsGen::default().simple(3);
    let mut files = ex.standard();
    let junk_digest = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_x_us-east-1_20240501T090000Z.json.gz";
    let junk_log = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0905Z_junkjunkjunkjunk.json.gz";
    files.push((junk_digest.into(), b"not gzip at all".to_vec()));
    files.push((junk_log.into(), vec![0x1f, 0x8b, 0, 1, 2]));
    files.push(("README.txt".into(), b"hello".to_vec()));
    files.push((
        "broken-keys.pem".into(),
        b"-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----".to_vec(),
    ));
    files.push(("x.head-object.json".into(), b"{".to_vec()));
    files.push(("empty.json.gz".into(), Vec::new()));
    let r = verify(&files);
    assert_eq!(item(&r, junk_digest).reason, Some(Reason::Malformed));
    assert_eq!(item(&r, junk_log).reason, Some(Reason::Malformed));
    for d in &ex.digests {
        assert_eq!(item(&r, d).status, Status::Valid);
    }
    for l in &ex.logs {
        assert_eq!(item(&r, l).status, Status::Valid);
    }
    assert!(r.notes.iter().any(|n| n.path == "README.txt"));
    assert!(r.notes.iter().any(|n| n.path == "broken-keys.pem"));
}

#[test]
fn order_of_files_does_not_matter() {
    let ex = AwsGen::default().simple(5);
    let mut files = ex.standard();
    remove(&mut files, &ex.logs[4]);
    let a = verify(&files);
    files.reverse();
    let b = verify(&files);
    assert_eq!(
        serde_json::to_value(&a).unwrap(),
        serde_json::to_value(&b).unwrap()
    );
}

// ---- CTS ----

#[test]
fn cts_valid_chain() {
    let ex = CtsGen::default().generate(4, &|_, _| {});
    let r = verify(&ex.standard());
    assert_all_valid(&r, 4, 8);
    assert!(item(&r, &ex.digests[0])
        .notes
        .iter()
        .any(|n| n.contains("empty previous signature")));
}

#[test]
fn cts_flat_and_zip() {
    let ex = CtsGen::default().generate(2, &|_, _| {});
    assert_all_valid(&verify(&ex.layout("", true, &|i| i == 1)), 2, 4);
    assert_all_valid(&verify(&[("cts.zip".into(), zip_of(&ex.standard()))]), 2, 4);
}

#[test]
fn cts_hash_mismatch_and_not_found() {
    let ex = CtsGen::default().generate(3, &|_, _| {});
    let mut files = ex.standard();
    set(&mut files, &ex.logs[0], |b| {
        *b = gz(br#"[{"trace_name":"forged"}]"#)
    });
    remove(&mut files, &ex.logs[3]);
    let r = verify(&files);
    assert_eq!(item(&r, &ex.logs[0]).reason, Some(Reason::HashMismatch));
    let m = r.items.iter().find(|i| i.path == ex.logs[3]).unwrap();
    assert_eq!(
        (m.status, m.reason),
        (Status::Missing, Some(Reason::NotFound))
    );
}

#[test]
fn cts_signature_invalid_and_unavailable() {
    let ex = CtsGen::default().generate(3, &|_, _| {});
    let mut files = ex.standard();
    // Any change to stored bytes changes the MD5 in the signed string.
    set(&mut files, &ex.digests[1], |b| {
        let v = gunzip(b).unwrap();
        *b = gz(&v);
        b[4] ^= 1; // mtime byte: content identical, stored bytes differ
    });
    let r = verify(&files);
    assert_eq!(
        item(&r, &ex.digests[1]).reason,
        Some(Reason::SignatureInvalid),
        "{r:#?}"
    );
    let r = verify(&ex.layout("", false, &|_| false));
    assert_eq!(
        item(&r, &ex.digests[2]).reason,
        Some(Reason::SignatureUnavailable)
    );
    assert_eq!(r.verdict, Verdict::Incomplete);
}

#[test]
fn cts_two_consecutive_deletions() {
    let ex = CtsGen::default().generate(6, &|_, _| {});
    let mut files = ex.standard();
    remove(&mut files, &ex.digests[2]);
    remove(&mut files, &ex.digests[3]);
    let r = verify(&files);
    let mut paths: Vec<_> = r
        .items
        .iter()
        .filter(|i| i.status == Status::Missing)
        .map(|i| i.path.clone())
        .collect();
    paths.sort();
    assert_eq!(paths, vec![ex.digests[2].clone(), ex.digests[3].clone()]);
}

#[test]
fn cts_null_start_interpretation() {
    // A starting digest signed with "null" as previous signature verifies too, and says so.
    let key = cts_key();
    let g = CtsGen::default();
    let ex = g.generate(1, &|_, m| {
        m.insert("previous_digest_signature".into(), Value::Null);
    });
    // Re-sign the digest with the "null" interpretation.
    let d = &ex.digests[0];
    let stored = &ex.files[d];
    let md5 = {
        use md5::Digest;
        hex::encode(md5::Md5::digest(stored))
    };
    let v: Value = serde_json::from_slice(&gunzip(stored).unwrap()).unwrap();
    let data = format!("{}{}{}null", v["digest_end_time"].as_str().unwrap(), d, md5);
    let mut files = ex.layout("", false, &|_| false);
    files.push((
        format!("{d}.metadata.json"),
        serde_json::to_vec(&json!({"x-obs-meta-signature": sign(&key, data.as_bytes())})).unwrap(),
    ));
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    assert!(item(&r, d).notes.iter().any(|n| n.contains("\"null\"")));
}
