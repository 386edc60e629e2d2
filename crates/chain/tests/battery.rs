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
fn altered_digest_blames_the_digest_not_its_logs() {
    let ex = AwsGen::default().simple(4);
    let mut files = ex.standard();
    // Rewrite digest 1's record of logs[2] to the hash of a forged log, and swap the log:
    // the listing is what is untrusted, and logs[3] (unchanged) must not be accused.
    let forged = aws_log_bytes("111122223333", "us-east-1", T0 + HOUR, "Forged");
    let forged_hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(gunzip(&forged).unwrap()))
    };
    set(&mut files, &ex.digests[1], |b| {
        let mut v: Value = serde_json::from_slice(&gunzip(b).unwrap()).unwrap();
        v["logFiles"][0]["hashValue"] = json!(forged_hash);
        *b = gz(serde_json::to_string(&v)
            .unwrap()
            .replace('/', "\\/")
            .as_bytes());
    });
    set(&mut files, &ex.logs[2], |b| *b = forged.clone());
    let r = verify(&files);
    let d = item(&r, &ex.digests[1]);
    assert_eq!(
        (d.status, d.reason),
        (Status::Invalid, Some(Reason::SignatureInvalid)),
        "{r:#?}"
    );
    let digest_name = ex.digests[1].rsplit('/').next().unwrap();
    for log in [&ex.logs[2], &ex.logs[3]] {
        let i = item(&r, log);
        assert_eq!(i.status, Status::Unverifiable, "{i:#?}");
        assert_ne!(i.reason, Some(Reason::HashMismatch));
        assert!(i.message.contains(digest_name), "{}", i.message);
        assert!(i.message.contains("does not verify"), "{}", i.message);
        assert!(i.proof.is_none());
    }
    // Only the digest is invalid.
    assert_eq!(
        r.items
            .iter()
            .filter(|i| i.status == Status::Invalid)
            .count(),
        1,
        "{r:#?}"
    );
    // An unknown key likewise: the logs are unverifiable with the digest's reason.
    let mut files = ex.standard();
    files.retain(|(n, _)| n != "list-public-keys.json");
    set(&mut files, &ex.logs[0], |b| *b = forged.clone());
    let r = verify(&files);
    let i = item(&r, &ex.logs[0]);
    assert_eq!(
        (i.status, i.reason),
        (Status::Unverifiable, Some(Reason::KeyNotFound)),
        "{i:#?}"
    );
    assert_eq!(r.verdict, Verdict::Incomplete);
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
    // Its recorded key has an item too: scripts walking the expected keys find it.
    let at_key = r
        .items
        .iter()
        .find(|i| i.path == from)
        .expect("an item for the recorded key");
    assert_eq!(
        (at_key.status, at_key.reason, at_key.kind),
        (Status::Missing, Some(Reason::NotFound), ItemKind::Digest)
    );
    assert!(at_key.message.contains(&to), "{}", at_key.message);
    assert_eq!(r.problems().count(), 2, "{r:#?}");
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
fn reason_not_referenced_after_the_newest_digest() {
    let g = AwsGen::default();
    let ex = g.simple(2);
    let mut files = ex.standard();
    // A forged log named (and dated) after the newest digest: nothing can say yet.
    let late = g.log_key(T0 + 2 * HOUR + 600, 99);
    files.push((
        late.clone(),
        aws_log_bytes(&g.account, &g.region, T0 + 600, "Forged"),
    ));
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Valid);
    let i = item(&r, &late);
    assert_eq!(
        (i.status, i.reason),
        (Status::Unreferenced, Some(Reason::NotReferenced))
    );
    assert!(i.message.contains("last hour"), "{}", i.message);
    // Within the tolerance before the newest digest's end, it may belong to the next one.
    let edge = g.log_key(T0 + 2 * HOUR - 120, 97);
    files.push((
        edge.clone(),
        aws_log_bytes(&g.account, &g.region, T0 + HOUR, "Edge"),
    ));
    assert_eq!(item(&verify(&files), &edge).status, Status::Unreferenced);
}

fn assert_not_listed(r: &Report, path: &str, digest: &str) {
    let i = item(r, path);
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::NotListed)),
        "{i:#?}"
    );
    assert!(
        i.message
            .contains("a digest covering this time exists and does not list this file"),
        "{}",
        i.message
    );
    let digest_name = digest.rsplit('/').next().unwrap();
    assert!(i.message.contains(digest_name), "{}", i.message);
    assert_eq!(r.verdict, Verdict::Invalid);
}

#[test]
fn reason_not_listed_prefixed_name() {
    // A forged copy of a delivered log, under a prefixed name, beside the real one.
    let g = AwsGen::default();
    let ex = g.simple(3);
    let mut files = ex.standard();
    let forged = prefixed(&ex.logs[0], "tampered_");
    files.push((
        forged.clone(),
        aws_log_bytes(&g.account, &g.region, T0 + 240, "Forged"),
    ));
    let r = verify(&files);
    assert_not_listed(&r, &forged, &ex.digests[0]);
    let i = item(&r, &forged);
    // Its name claims another account; its records say which chain judges it.
    assert!(i
        .notes
        .iter()
        .any(|n| n.contains("its records belong to account 111122223333")));
    assert_eq!(r.problems().count(), 1, "the real log stays valid: {r:#?}");
    // Also in a flat folder and inside a zip.
    let mut flat = ex.layout("", true, &|i| i == 2);
    let name = prefixed(ex.logs[0].rsplit('/').next().unwrap(), "x_");
    flat.push((
        name.clone(),
        aws_log_bytes(&g.account, &g.region, T0 + 240, "Forged"),
    ));
    assert_not_listed(&verify(&flat), &name, &ex.digests[0]);
    let r = verify(&[("e.zip".to_owned(), zip_of(&files))]);
    assert_not_listed(&r, &format!("e.zip/{forged}"), &ex.digests[0]);
}

#[test]
fn reason_not_listed_unused_well_formed_name() {
    let g = AwsGen::default();
    let ex = g.simple(3);
    let mut files = ex.standard();
    // A name the delivery process could have used, in the middle of a covered hour.
    let forged = g.log_key(T0 + HOUR + 1800, 42);
    files.push((
        forged.clone(),
        aws_log_bytes(&g.account, &g.region, T0 + HOUR + 1700, "Forged"),
    ));
    let r = verify(&files);
    assert_not_listed(&r, &forged, &ex.digests[1]);
    assert!(item(&r, &forged).message.contains("(from its name)"));
    // Its hour's digest without a usable signature: the listing is unknown, not a failure.
    let r = verify(
        &ex.layout("", false, &|_| false)
            .into_iter()
            .chain([(
                g.log_key(T0 + 2 * HOUR + 1800, 43),
                aws_log_bytes(&g.account, &g.region, T0 + 2 * HOUR + 1700, "Forged"),
            )])
            .collect::<Vec<_>>(),
    );
    let i = item(&r, &g.log_key(T0 + 2 * HOUR + 1800, 43));
    assert_eq!(i.status, Status::Unreferenced, "{i:#?}");
    assert!(i.message.contains("could not be verified"), "{}", i.message);
}

#[test]
fn reason_not_listed_by_records_when_the_name_has_no_time() {
    let g = AwsGen::default();
    let ex = g.simple(3);
    let mut files = ex.standard();
    let forged = format!(
        "AWSLogs/{a}/CloudTrail/{r}/2024/05/01/{a}_CloudTrail_{r}_forged.json.gz",
        a = g.account,
        r = g.region
    );
    files.push((
        forged.clone(),
        aws_log_bytes(&g.account, &g.region, T0 + 600, "Forged"),
    ));
    let r = verify(&files);
    assert_not_listed(&r, &forged, &ex.digests[0]);
    assert!(item(&r, &forged).message.contains("from its newest record"));
    // Records of another account: no chain of theirs was supplied.
    let other = format!(
        "AWSLogs/x/CloudTrail/{r}/2024/05/01/x_CloudTrail_{r}_other.json.gz",
        r = g.region
    );
    files.push((
        other.clone(),
        aws_log_bytes("999988887777", &g.region, T0 + 600, "Other"),
    ));
    assert_eq!(item(&verify(&files), &other).status, Status::Unreferenced);
}

#[test]
fn identical_copies_of_a_listed_log_are_not_forgeries() {
    let ex = AwsGen::default().simple(2);
    let mut files = ex.standard();
    let copy = format!("backup/{}", ex.logs[0]);
    files.push((copy.clone(), ex.files[&ex.logs[0]].clone()));
    let r = verify(&files);
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    assert_eq!(item(&r, &copy).status, Status::Valid);
    // A different file under a listed name is that log, changed.
    set(&mut files, &copy, |b| {
        *b = aws_log_bytes("111122223333", "us-east-1", T0, "Changed")
    });
    assert_eq!(
        item(&verify(&files), &copy).reason,
        Some(Reason::HashMismatch)
    );
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

// ---- sidecars anywhere ----

/// The export with sidecars collected in one folder, as organization-trail exports do.
fn sidecars_in(ex: &Export, folder: &str, which: &dyn Fn(usize) -> bool) -> Vec<(String, Vec<u8>)> {
    let mut files = ex.layout("", false, &|_| false);
    for (i, d) in ex.digests.iter().enumerate() {
        if which(i) {
            let name = d.rsplit('/').next().unwrap();
            let suffix = if d.contains("CloudTrace-Digest") {
                ".metadata.json"
            } else {
                ".head-object.json"
            };
            files.push((format!("{folder}{name}{suffix}"), ex.sidecars[d].clone()));
        }
    }
    files
}

#[test]
fn org_trail_sidecars_in_their_own_folder() {
    let g = AwsGen {
        org: Some("o-exampleorgid".into()),
        ..Default::default()
    };
    let ex = g.simple(3);
    let r = verify(&sidecars_in(&ex, "metadata/head-object/", &|_| true));
    assert_all_valid(&r, 3, 6);
    assert!(item(&r, &ex.digests[2])
        .message
        .contains("paired by file name"));
}

#[test]
fn ambiguous_sidecars_are_unverifiable_and_say_why() {
    let ex = AwsGen::default().simple(3);
    let last = ex.digests.len() - 1;
    let mut files = sidecars_in(&ex, "a/", &|i| i == last);
    files.extend(
        sidecars_in(&ex, "b/", &|i| i == last)
            .into_iter()
            .filter(|(n, _)| n.starts_with("b/")),
    );
    let r = verify(&files);
    let i = item(&r, &ex.digests[last]);
    assert_eq!(
        (i.status, i.reason),
        (Status::Unverifiable, Some(Reason::SignatureUnavailable)),
        "{i:#?}"
    );
    assert!(i.message.contains("cannot be told"), "{}", i.message);
    assert!(
        i.message.contains("a/") && i.message.contains("b/"),
        "{}",
        i.message
    );
    // One beside the digest settles it.
    files.extend(
        ex.layout("", false, &|i| i == last)
            .into_iter()
            .filter(|(n, _)| n.ends_with(".head-object.json")),
    );
    assert_eq!(
        item(&verify(&files), &ex.digests[last]).status,
        Status::Valid
    );
    // An older digest with ambiguous sidecars uses its successor's record and notes why.
    let mut files = sidecars_in(&ex, "a/", &|i| i == 0 || i == last);
    files.extend(
        sidecars_in(&ex, "b/", &|i| i == 0)
            .into_iter()
            .filter(|(n, _)| n.starts_with("b/")),
    );
    let r = verify(&files);
    let first = item(&r, &ex.digests[0]);
    assert_eq!(first.status, Status::Valid);
    assert!(first.notes.iter().any(|n| n.contains("cannot be told")));
}

// ---- proof and keys ----

#[test]
fn proof_and_keys_name_the_evidence() {
    let ex = AwsGen::default().simple(4);
    let r = verify(&ex.standard());
    let fp = fingerprint(&aws_key());
    for d in &ex.digests {
        let p = item(&r, d).proof.as_ref().expect("digest proof");
        assert_eq!(
            (p.digest.as_deref(), p.key.as_deref()),
            (None, Some(fp.as_str()))
        );
    }
    for (i, l) in ex.logs.iter().enumerate() {
        let p = item(&r, l).proof.as_ref().expect("log proof");
        assert_eq!(p.digest.as_deref(), Some(ex.digests[i / 2].as_str()));
        assert_eq!(p.key.as_deref(), Some(fp.as_str()));
    }
    assert_eq!(r.keys.len(), 1, "{:#?}", r.keys);
    let k = &r.keys[0];
    assert_eq!(
        (k.fingerprint.as_str(), k.source.as_str(), k.verified),
        (fp.as_str(), "list-public-keys.json", 4)
    );
    assert_eq!(k.valid_from.as_deref(), Some("2024-04-30T00:00:00Z"));
    assert!(k.valid_to.is_some());
    // Problems carry no proof; keys that verified nothing are not listed (the built-in CTS
    // key was available throughout).
    let mut files = ex.standard();
    set(&mut files, &ex.logs[0], |b| *b = gz(b"{}"));
    let r = verify(&files);
    assert!(item(&r, &ex.logs[0]).proof.is_none());
    assert!(r.keys.iter().all(|k| k.source != "built-in"));
    // Keys handed to `add_keys` keep the name they were given.
    let mut v = trailproof_chain::Verifier::new(trailproof_chain::VerifyOptions::default());
    let (_, keys) = ex.keys[0].clone();
    v.add_keys("supplied/keys.json", &keys).unwrap();
    for (name, bytes) in ex.standard() {
        if name != "list-public-keys.json" {
            v.add(trailproof_chain::scan(
                &name,
                &mut bytes.as_slice(),
                &trailproof_chain::ScanLimits::default(),
            ));
        }
    }
    let r = v.finish();
    assert_eq!(r.keys[0].source, "supplied/keys.json");
    assert_eq!(r.keys[0].verified, 4);
}

// ---- CTS: coverage, blame, sidecars, moves ----

#[test]
fn cts_forged_traces_by_coverage() {
    let g = CtsGen::default();
    let ex = g.generate(3, &|_, _| {});
    let mut files = ex.standard();
    let prefixed_trace = prefixed(&ex.logs[0], "tampered_");
    files.push((
        prefixed_trace.clone(),
        cts_trace_bytes("EVS", T0 + 200, "forged"),
    ));
    let unused = g.trace_key(T0 + HOUR + 1800, 7);
    files.push((
        unused.clone(),
        cts_trace_bytes("EVS", T0 + HOUR + 1700, "forged"),
    ));
    let late = g.trace_key(T0 + 3 * HOUR + 60, 8);
    files.push((late.clone(), cts_trace_bytes("EVS", T0 + 3 * HOUR, "late")));
    let r = verify(&files);
    assert_not_listed(&r, &prefixed_trace, &ex.digests[0]);
    assert_not_listed(&r, &unused, &ex.digests[1]);
    assert!(item(&r, &unused).message.contains("service EVS"));
    assert_eq!(item(&r, &late).status, Status::Unreferenced);
    // Another service's trace is not this chain's business.
    let other = CtsGen {
        service: "ECS".into(),
        ..CtsGen::default()
    }
    .trace_key(T0 + 600, 9);
    files.push((other.clone(), cts_trace_bytes("ECS", T0 + 500, "other")));
    assert_eq!(item(&verify(&files), &other).status, Status::Unreferenced);
}

#[test]
fn cts_altered_digest_blames_the_digest() {
    let ex = CtsGen::default().generate(3, &|_, _| {});
    let mut files = ex.standard();
    set(&mut files, &ex.digests[1], |b| {
        let mut v: Value = serde_json::from_slice(&gunzip(b).unwrap()).unwrap();
        v["log_files"][0]["log_hash_value"] = json!("0".repeat(32));
        *b = gz(&serde_json::to_vec(&v).unwrap());
    });
    let r = verify(&files);
    assert_eq!(
        item(&r, &ex.digests[1]).reason,
        Some(Reason::SignatureInvalid),
        "{r:#?}"
    );
    let i = item(&r, &ex.logs[2]);
    assert_eq!(i.status, Status::Unverifiable, "{i:#?}");
    assert_ne!(i.reason, Some(Reason::HashMismatch));
}

#[test]
fn cts_sidecars_elsewhere_and_moved_digest() {
    let ex = CtsGen::default().generate(3, &|_, _| {});
    let r = verify(&sidecars_in(&ex, "metadata/", &|i| i == 2));
    assert_all_valid(&r, 3, 6);
    let mut files = ex.standard();
    let from = ex.digests[1].clone();
    let to = from.replace("/system/Digest/", "/system/Digest-old/");
    files.iter_mut().find(|(n, _)| *n == from).unwrap().0 = to.clone();
    let r = verify(&files);
    assert_eq!(item(&r, &to).reason, Some(Reason::Moved), "{r:#?}");
    let at_key = r.items.iter().find(|i| i.path == from).unwrap();
    assert_eq!(
        (at_key.status, at_key.reason),
        (Status::Missing, Some(Reason::NotFound))
    );
    assert!(at_key.message.contains(&to));
}

#[test]
fn digests_of_another_trail_location_do_not_judge() {
    // An organization trail's digests say nothing about a log under the account trail's
    // folder (same account and region, another trail): unreferenced, and it says why.
    let org = AwsGen {
        org: Some("o-exampleorgid".into()),
        ..Default::default()
    };
    let ex = org.simple(3);
    let mut files = ex.standard();
    let own = AwsGen::default().log_key(T0 + 1200, 5);
    files.push((
        own.clone(),
        aws_log_bytes("111122223333", "us-east-1", T0 + 1100, "Own"),
    ));
    let r = verify(&files);
    let i = item(&r, &own);
    assert_eq!(i.status, Status::Unreferenced, "{i:#?}");
    assert!(i.message.contains("do not speak for it"), "{}", i.message);
    assert_eq!(r.verdict, Verdict::Valid);
    // Under the organization trail's own folder it is judged.
    let forged = org.log_key(T0 + 1200, 5);
    files.push((
        forged.clone(),
        aws_log_bytes("111122223333", "us-east-1", T0 + 1100, "F"),
    ));
    assert_not_listed(&verify(&files), &forged, &ex.digests[0]);
}

#[test]
fn the_named_chain_decides_before_the_records_chains() {
    // A well-named us-east-1 log after its chain's newest digest, with a record of another
    // region whose chain covers that hour: its own chain says "not yet", and that stands.
    let east = AwsGen::default().simple(1);
    let west_gen = AwsGen {
        region: "eu-west-1".into(),
        ..Default::default()
    };
    let west = west_gen.simple(3);
    let mut files = east.standard();
    files.extend(west.standard());
    files.sort();
    files.dedup_by(|a, b| a.0 == b.0);
    let log = AwsGen::default().log_key(T0 + 2 * HOUR - 1800, 3);
    files.push((
        log.clone(),
        aws_log_bytes("111122223333", "eu-west-1", T0 + 2 * HOUR - 1900, "Odd"),
    ));
    let r = verify(&files);
    let i = item(&r, &log);
    assert_eq!(i.status, Status::Unreferenced, "{i:#?}");
    // Under a foreign name, the records' chain judges it.
    let foreign = prefixed(&log, "copy_");
    files.push((
        foreign.clone(),
        aws_log_bytes("111122223333", "eu-west-1", T0 + 2 * HOUR - 1900, "Odd"),
    ));
    assert_not_listed(&verify(&files), &foreign, &west.digests[1]);
}
