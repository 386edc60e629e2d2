//! Tamper battery: one test per attack of the detection matrix (`docs/archive-format.md` §7),
//! each asserting the reason and the first failing checkpoint range.

mod common;

use common::*;
use trailproof_archive::{
    verify_proof, ArchiveVerifier, Pin, ProofError, SealOptions, Sealer, UNANCHORED_MESSAGE,
};
use trailproof_core::report::{Level, Reason, Status, Verdict};
use trailproof_tlog::checkpoint::Checkpoint;
use trailproof_tlog::note::{self, Note, Verifiers};

#[test]
fn standard_archive_layout_and_timeline() {
    let a = standard();
    assert_eq!(a.records, 12);
    assert_eq!(a.seals, 6);
    let mut paths: Vec<&str> = a.files.iter().map(|(p, _)| p.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "checkpoints/0.note",
            "checkpoints/1.note",
            "checkpoints/2.note",
            "checkpoints/3.note",
            "checkpoints/4.note",
            "checkpoints/5.note",
            "manifest",
            "records/0.rec",
            "records/1.rec",
            "records/3.rec",
            "records/4.rec",
            "seals/0.seal",
            "seals/1.seal",
            "seals/2.seal",
            "seals/3.seal",
            "seals/4.seal",
            "seals/5.seal",
        ]
    );
    let v = verify(&a.files);
    assert_eq!(v.report.verdict, Verdict::Valid, "{:#?}", v.report);
    assert_eq!(v.first_failure, None);
    // Record files hold the exact pretty-printed bytes (with LF inside records).
    let r0 = frames(get(&a.files, "records/0.rec"));
    assert_eq!(r0.len(), 3);
    assert!(r0[0].contains(&b'\n'));
    // Seals: periodic at each hour end, hour 2 sealed although silent, export at NOW.
    let times: Vec<u64> = v.seals.iter().map(|s| s.time.unwrap()).collect();
    let t0 = T0 as u64;
    assert_eq!(
        times,
        [
            t0 + HOUR,
            t0 + 2 * HOUR,
            t0 + 3 * HOUR,
            t0 + 4 * HOUR,
            t0 + 5 * HOUR,
            NOW
        ]
    );
    assert_eq!(checkpoint_sizes(&v), [4, 8, 9, 13, 17, 18]);
    assert!(v.seals.iter().all(|s| s.status == Status::Valid));
    assert!(v.seals[5].export && !v.seals[4].export);
    // The report's chain summary draws the same timeline.
    assert_eq!(v.report.chains.len(), 1);
    assert_eq!(v.report.chains[0].digests.len(), 6);
    assert_eq!(
        v.report.chains[0].digests[2].end,
        "2024-05-01T03:00:00Z".to_string()
    );
    // Nothing anchors the end: the report says so.
    assert!(!v.anchored);
    assert!(v
        .report
        .notes
        .iter()
        .any(|n| n.severity == Level::Warning && n.message == UNANCHORED_MESSAGE));
    assert!(!v.report.items.iter().any(|i| i.reason.is_some()));
}

#[test]
fn files_in_any_order_and_under_a_folder() {
    let a = standard();
    let mut files: Vec<(String, Vec<u8>)> = a
        .files
        .iter()
        .map(|(p, b)| (format!("export-2024-05-01/{p}"), b.clone()))
        .collect();
    files.reverse();
    files.swap(2, 9);
    let v = verify(&files);
    assert_eq!(v.report.verdict, Verdict::Valid, "{:#?}", v.report);
    assert!(v
        .report
        .items
        .iter()
        .all(|i| i.path.starts_with("export-2024-05-01/") || i.path == "nonce"));
}

#[test]
fn record_modified() {
    let mut files = standard().files;
    let mut recs = frames(get(&files, "records/1.rec"));
    let pos = recs[1].iter().position(|&b| b == b'P').unwrap();
    recs[1][pos] = b'D'; // PutObject → DutObject
    set(&mut files, "records/1.rec", unframes(&recs));
    let v = verify(&files);
    assert_eq!(v.report.verdict, Verdict::Invalid);
    assert_item(
        &v,
        "records/1.rec",
        Status::Invalid,
        Some(Reason::HashMismatch),
    );
    assert_item(
        &v,
        "checkpoints/1.note",
        Status::Invalid,
        Some(Reason::RootMismatch),
    );
    assert_first_failure(&v, 1);
    // Checkpoint 0 is still fine; later ones cannot be compared.
    assert_item(&v, "checkpoints/0.note", Status::Valid, None);
    assert_item(
        &v,
        "checkpoints/2.note",
        Status::Unverifiable,
        Some(Reason::AfterFailure),
    );
}

#[test]
fn record_modified_crlf_conversion() {
    let mut files = standard().files;
    let recs: Vec<Vec<u8>> = frames(get(&files, "records/3.rec"))
        .into_iter()
        .map(|r| {
            String::from_utf8(r)
                .unwrap()
                .replace('\n', "\r\n")
                .into_bytes()
        })
        .collect();
    set(&mut files, "records/3.rec", unframes(&recs));
    let v = verify(&files);
    assert_item(
        &v,
        "records/3.rec",
        Status::Invalid,
        Some(Reason::HashMismatch),
    );
    assert_first_failure(&v, 3);
}

#[test]
fn record_deleted() {
    let mut files = standard().files;
    let mut recs = frames(get(&files, "records/3.rec"));
    recs.remove(2);
    set(&mut files, "records/3.rec", unframes(&recs));
    let v = verify(&files);
    assert_item(
        &v,
        "records/3.rec",
        Status::Invalid,
        Some(Reason::HashMismatch),
    );
    assert_item(
        &v,
        "checkpoints/3.note",
        Status::Invalid,
        Some(Reason::RootMismatch),
    );
    assert_first_failure(&v, 3);
}

#[test]
fn record_inserted() {
    let mut files = standard().files;
    let mut recs = frames(get(&files, "records/4.rec"));
    recs.insert(1, ct_record(99, T0 + 4 * 3600 + 5).into_bytes());
    set(&mut files, "records/4.rec", unframes(&recs));
    let v = verify(&files);
    assert_item(
        &v,
        "records/4.rec",
        Status::Invalid,
        Some(Reason::HashMismatch),
    );
    assert_item(
        &v,
        "checkpoints/4.note",
        Status::Invalid,
        Some(Reason::RootMismatch),
    );
    assert_first_failure(&v, 4);
}

#[test]
fn record_replaced_with_manifest_updated() {
    // The forger also fixes the manifest's hash and length: the manifest no longer matches
    // the export seal, and the tree still fails at the checkpoint.
    let mut files = standard().files;
    let mut recs = frames(get(&files, "records/0.rec"));
    recs[2] = ct_record(98, T0 + 100).into_bytes();
    let new = unframes(&recs);
    let old = get(&files, "records/0.rec").clone();
    let m = String::from_utf8(get(&files, "manifest").clone()).unwrap();
    let old_line = m.lines().find(|l| l.contains("records/0.rec")).unwrap();
    use sha2::Digest;
    let new_line = format!(
        "file records/0.rec 0 3 {} {}",
        hex::encode(sha2::Sha256::digest(&new)),
        new.len()
    );
    assert!(old_line.ends_with(&old.len().to_string()));
    set(
        &mut files,
        "manifest",
        m.replace(old_line, &new_line).into_bytes(),
    );
    set(&mut files, "records/0.rec", new);
    let v = verify(&files);
    assert_item(
        &v,
        "manifest",
        Status::Invalid,
        Some(Reason::ManifestMismatch),
    );
    assert_first_failure(&v, 0);
}

#[test]
fn records_reordered_within_a_file() {
    let mut files = standard().files;
    let mut recs = frames(get(&files, "records/1.rec"));
    recs.swap(0, 2);
    set(&mut files, "records/1.rec", unframes(&recs));
    let v = verify(&files);
    assert_item(
        &v,
        "records/1.rec",
        Status::Invalid,
        Some(Reason::HashMismatch),
    );
    assert_first_failure(&v, 1);
}

#[test]
fn records_reordered_across_files() {
    let mut files = standard().files;
    let mut r3 = frames(get(&files, "records/3.rec"));
    let mut r4 = frames(get(&files, "records/4.rec"));
    std::mem::swap(&mut r3[0], &mut r4[0]);
    set(&mut files, "records/3.rec", unframes(&r3));
    set(&mut files, "records/4.rec", unframes(&r4));
    let v = verify(&files);
    assert_item(
        &v,
        "records/3.rec",
        Status::Invalid,
        Some(Reason::HashMismatch),
    );
    assert_item(
        &v,
        "records/4.rec",
        Status::Invalid,
        Some(Reason::HashMismatch),
    );
    assert_first_failure(&v, 3);
}

#[test]
fn whole_files_swapped() {
    let mut files = standard().files;
    let r0 = get(&files, "records/0.rec").clone();
    let r1 = get(&files, "records/1.rec").clone();
    set(&mut files, "records/0.rec", r1);
    set(&mut files, "records/1.rec", r0);
    let v = verify(&files);
    assert_item(
        &v,
        "records/0.rec",
        Status::Invalid,
        Some(Reason::HashMismatch),
    );
    assert_first_failure(&v, 0);
}

#[test]
fn file_deleted() {
    let mut files = standard().files;
    remove(&mut files, "records/3.rec");
    let v = verify(&files);
    assert_item(&v, "records/3.rec", Status::Missing, Some(Reason::NotFound));
    assert_item(
        &v,
        "checkpoints/3.note",
        Status::Invalid,
        Some(Reason::RootMismatch),
    );
    assert_first_failure(&v, 3);
}

#[test]
fn file_renamed() {
    let mut files = standard().files;
    let b = remove(&mut files, "records/1.rec");
    files.push(("records/1-renamed.rec".into(), b));
    let v = verify(&files);
    assert_item(&v, "records/1.rec", Status::Missing, Some(Reason::NotFound));
    assert_item(
        &v,
        "records/1-renamed.rec",
        Status::Unreferenced,
        Some(Reason::NotReferenced),
    );
    assert_first_failure(&v, 1);
}

#[test]
fn file_added() {
    let mut files = standard().files;
    let extra = unframes(&[ct_record(77, T0).into_bytes()]);
    files.push(("records/9.rec".into(), extra));
    let v = verify(&files);
    // Nothing vouches for it: reported, but the sealed part is intact.
    assert_item(
        &v,
        "records/9.rec",
        Status::Unreferenced,
        Some(Reason::NotReferenced),
    );
    assert_eq!(v.first_failure, None);
    assert_eq!(v.report.verdict, Verdict::Valid);
}

#[test]
fn checkpoint_forged_by_editing() {
    // Change the root in the checkpoint text, keep the signature.
    let mut files = standard().files;
    let note = get(&files, "checkpoints/2.note").clone();
    let text = String::from_utf8(note).unwrap();
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    lines[2] = "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=".into();
    set(
        &mut files,
        "checkpoints/2.note",
        lines.join("\n").into_bytes(),
    );
    let v = verify(&files);
    assert_item(
        &v,
        "checkpoints/2.note",
        Status::Invalid,
        Some(Reason::SignatureInvalid),
    );
    assert_first_failure(&v, 2);
    assert_item(&v, "checkpoints/3.note", Status::Valid, None);
}

#[test]
fn checkpoint_forged_with_another_key() {
    // A forger without the log key signs a checkpoint under the log's name.
    let mut files = standard().files;
    let note = Note::parse(get(&files, "checkpoints/3.note")).unwrap();
    let forged = note::sign(note.text(), &[other_signer()]).unwrap();
    set(&mut files, "checkpoints/3.note", forged);
    let v = verify(&files);
    assert_item(
        &v,
        "checkpoints/3.note",
        Status::Invalid,
        Some(Reason::KeyNotFound),
    );
    assert_first_failure(&v, 3);
}

#[test]
fn checkpoint_deleted() {
    let mut files = standard().files;
    remove(&mut files, "checkpoints/2.note");
    let v = verify(&files);
    assert_item(
        &v,
        "checkpoints/2.note",
        Status::Missing,
        Some(Reason::NotFound),
    );
    assert_first_failure(&v, 2);
    // The tree itself is intact: later checkpoints verify. Seal 3's prev cannot be checked.
    assert_item(&v, "checkpoints/3.note", Status::Valid, None);
    assert_eq!(v.report.verdict, Verdict::Invalid);
}

#[test]
fn checkpoints_swapped() {
    let mut files = standard().files;
    let c1 = get(&files, "checkpoints/1.note").clone();
    let c3 = get(&files, "checkpoints/3.note").clone();
    set(&mut files, "checkpoints/1.note", c3);
    set(&mut files, "checkpoints/3.note", c1);
    let v = verify(&files);
    assert_item(
        &v,
        "checkpoints/1.note",
        Status::Invalid,
        Some(Reason::RootMismatch),
    );
    assert!(item(&v, "checkpoints/1.note")
        .message
        .contains("signs a tree of 13 leaves"));
    assert_first_failure(&v, 1);
    // Seal 2's prev no longer matches the (swapped-in) checkpoint text.
    assert_item(
        &v,
        "seals/2.seal",
        Status::Invalid,
        Some(Reason::ChainMismatch),
    );
}

#[test]
fn seal_sequence_gap() {
    let mut files = standard().files;
    remove(&mut files, "seals/2.seal");
    remove(&mut files, "checkpoints/2.note");
    let v = verify(&files);
    assert_item(&v, "seals/2.seal", Status::Missing, Some(Reason::NotFound));
    assert_item(
        &v,
        "checkpoints/2.note",
        Status::Missing,
        Some(Reason::NotFound),
    );
    assert_first_failure(&v, 2);
    assert_item(
        &v,
        "checkpoints/3.note",
        Status::Invalid,
        Some(Reason::RootMismatch),
    );
}

#[test]
fn seal_renumbered_is_a_chain_break() {
    // Seal 3's file put in place of seal 2: its seq says 3 and the tree breaks.
    let mut files = standard().files;
    let s3 = get(&files, "seals/3.seal").clone();
    set(&mut files, "seals/2.seal", s3);
    let v = verify(&files);
    assert_item(
        &v,
        "seals/2.seal",
        Status::Invalid,
        Some(Reason::HashMismatch),
    );
    assert_item(
        &v,
        "checkpoints/2.note",
        Status::Invalid,
        Some(Reason::RootMismatch),
    );
    assert_first_failure(&v, 2);
}

#[test]
fn seal_altered() {
    let mut files = standard().files;
    let s = String::from_utf8(get(&files, "seals/1.seal").clone()).unwrap();
    set(
        &mut files,
        "seals/1.seal",
        s.replace("time 17145", "time 17146").into_bytes(),
    );
    let v = verify(&files);
    assert_item(
        &v,
        "seals/1.seal",
        Status::Invalid,
        Some(Reason::HashMismatch),
    );
    assert_item(
        &v,
        "checkpoints/1.note",
        Status::Invalid,
        Some(Reason::RootMismatch),
    );
    assert_first_failure(&v, 1);
}

#[test]
fn manifest_altered() {
    let mut files = standard().files;
    let mut m = get(&files, "manifest").clone();
    m.extend_from_slice(b"");
    let s = String::from_utf8(m).unwrap().replace("origin ", "origin  ");
    set(&mut files, "manifest", s.into_bytes());
    let v = verify(&files);
    assert_item(&v, "manifest", Status::Invalid, Some(Reason::Malformed));
    assert_eq!(v.report.verdict, Verdict::Invalid);
}

#[test]
fn manifest_deleted() {
    let mut files = standard().files;
    remove(&mut files, "manifest");
    let v = verify(&files);
    assert_item(&v, "manifest", Status::Missing, Some(Reason::NotFound));
    assert_eq!(v.report.verdict, Verdict::Invalid);
}

#[test]
fn wrong_key() {
    let files = standard().files;
    let vk = other_signer().verifier_key().to_string();
    let mut o = options();
    o.verifiers = Verifiers::from_vkeys([vk.as_str()]).unwrap();
    let v = verify_with(&files, o);
    assert_eq!(v.report.verdict, Verdict::Incomplete);
    for k in 0..6 {
        assert_item(
            &v,
            &format!("checkpoints/{k}.note"),
            Status::Unverifiable,
            Some(Reason::KeyNotFound),
        );
    }
    assert_first_failure(&v, 0);
}

#[test]
fn wrong_origin() {
    let files = standard().files;
    let mut o = options();
    o.origin = Some("audit.example.com/acme/staging".into());
    let v = verify_with(&files, o);
    assert_item(
        &v,
        "manifest",
        Status::Invalid,
        Some(Reason::OriginMismatch),
    );
}

/// The same log sealed twice: the second time the key holder dropped the last hour.
fn truncated_by_key_holder() -> (
    trailproof_archive::SealedArchive,
    trailproof_archive::SealedArchive,
) {
    let full = standard();
    let cut: Vec<(String, Vec<u8>)> = inputs()
        .into_iter()
        .map(|(p, b)| {
            let text = String::from_utf8(b).unwrap();
            // Keep only records before hour 4.
            let keep: Vec<(usize, i64)> = (0..12usize)
                .map(|i| {
                    let hour = [0i64, 1, 3, 4][i / 3];
                    (i, T0 + hour * 3600 + (i as i64 % 3) * 600 + 60)
                })
                .filter(|(i, t)| *t < T0 + 4 * 3600 && text.contains(&format!("ev-{i:04}")))
                .collect();
            (p, ct_file(&keep))
        })
        .collect();
    let truncated = seal_with(
        &cut,
        SealOptions {
            period: Some(HOUR),
            nonce: None,
            now: NOW,
        },
    );
    (full, truncated)
}

#[test]
fn tail_truncation_by_key_holder_is_not_detected_without_an_anchor() {
    // The documented limit: a prefix of a valid log, re-sealed with the key, verifies.
    let (full, truncated) = truncated_by_key_holder();
    assert_eq!(truncated.records, 9);
    assert!(truncated.state.size < full.state.size);
    let v = verify(&truncated.files);
    assert_eq!(v.report.verdict, Verdict::Valid);
    assert!(!v.anchored);
    assert!(v
        .report
        .notes
        .iter()
        .any(|n| n.message == UNANCHORED_MESSAGE));
}

#[test]
fn truncation_detected_against_a_pinned_checkpoint() {
    let (full, truncated) = truncated_by_key_holder();
    let mut o = options();
    o.pins = vec![final_pin(&full)];
    let v = verify_with(&truncated.files, o);
    assert_eq!(v.report.verdict, Verdict::Invalid);
    assert_item(
        &v,
        &format!("pin:{}", full.state.size),
        Status::Invalid,
        Some(Reason::Truncated),
    );
    // The full archive satisfies the same pin, and is then anchored.
    let mut o = options();
    o.pins = vec![final_pin(&full)];
    let v = verify_with(&full.files, o);
    assert_eq!(v.report.verdict, Verdict::Valid);
    assert!(v.anchored);
    assert!(!v
        .report
        .notes
        .iter()
        .any(|n| n.message == UNANCHORED_MESSAGE));
}

#[test]
fn rewrite_detected_against_an_intermediate_pin() {
    // A pin at checkpoint 1 of the original log; the rewritten log differs before it.
    let full = standard();
    let v = verify(&full.files);
    let size1 = v.seals[1].size;
    let cp = Note::parse(get(&full.files, "checkpoints/1.note")).unwrap();
    let root1 = Checkpoint::parse(cp.text()).unwrap().root;
    let mut rewritten_inputs = inputs();
    let first = String::from_utf8(rewritten_inputs[0].1.clone())
        .unwrap()
        .replace("PutObject0", "GetObject0");
    rewritten_inputs[0].1 = first.into_bytes();
    let rewritten = seal_with(
        &rewritten_inputs,
        SealOptions {
            period: Some(HOUR),
            nonce: None,
            now: NOW,
        },
    );
    let mut o = options();
    o.pins = vec![Pin {
        size: size1,
        root: root1,
    }];
    let ok = verify_with(&full.files, o.clone());
    assert_item(&ok, &format!("pin:{size1}"), Status::Valid, None);
    assert!(
        !ok.anchored,
        "a pin below the archive size does not anchor its end"
    );
    let v = verify_with(&rewritten.files, o);
    assert_eq!(v.report.verdict, Verdict::Invalid);
    assert_item(
        &v,
        &format!("pin:{size1}"),
        Status::Invalid,
        Some(Reason::PinMismatch),
    );
}

#[test]
fn truncation_detected_against_a_nonce() {
    // The auditor asked for an export with nonce N; an older (shorter) export is replayed.
    let (_full, older) = truncated_by_key_holder();
    let mut o = options();
    o.nonce = Some("req-7f3a".into());
    let v = verify_with(&older.files, o.clone());
    assert_eq!(v.report.verdict, Verdict::Invalid);
    assert_item(&v, "nonce", Status::Invalid, Some(Reason::NonceMismatch));
    // The fresh export carries it.
    let v = verify_with(&standard().files, o);
    assert_item(&v, "nonce", Status::Valid, None);
    assert_eq!(v.report.verdict, Verdict::Valid);
}

#[test]
fn tail_truncation_without_the_key_is_detected() {
    // Dropping the last period and the export seal without the key: the manifest names them.
    let mut files = standard().files;
    for p in [
        "records/4.rec",
        "seals/4.seal",
        "checkpoints/4.note",
        "seals/5.seal",
        "checkpoints/5.note",
    ] {
        remove(&mut files, p);
    }
    let v = verify(&files);
    assert_eq!(v.report.verdict, Verdict::Invalid);
    assert_item(&v, "seals/5.seal", Status::Missing, Some(Reason::NotFound));
    assert_first_failure(&v, 4);
}

#[test]
fn cadence_gap_reported() {
    let files = standard().files;
    let mut o = options();
    o.period = Some(HOUR);
    let v = verify_with(&files, o.clone());
    // Hour 2 was sealed although empty: no gap.
    assert!(v.report.gaps.is_empty(), "{:?}", v.report.gaps);
    // A log sealed with 2 h periods breaks a 1 h expectation.
    let a = seal_with(
        &inputs(),
        SealOptions {
            period: Some(2 * HOUR),
            nonce: None,
            now: NOW + 4 * HOUR,
        },
    );
    let v = verify_with(&a.files, o);
    assert!(!v.report.gaps.is_empty());
    assert_eq!(v.report.verdict, Verdict::Valid);
}

#[test]
fn every_single_byte_flip_is_caught() {
    let files = standard().files;
    for (path, bytes) in &files {
        let step = (bytes.len() / 23).max(1);
        for pos in (0..bytes.len()).step_by(step) {
            let mut tampered = files.clone();
            let f = tampered.iter_mut().find(|(p, _)| p == path).unwrap();
            f.1[pos] ^= 0x04;
            let v = verify(&tampered);
            assert_ne!(v.report.verdict, Verdict::Valid, "{path} byte {pos}");
        }
    }
}

#[test]
fn hostile_inputs_do_not_panic() {
    let junk: Vec<(String, Vec<u8>)> = vec![
        ("manifest".into(), b"audit-archive/v1 manifest\norigin o\nfile records/0.rec 0 18446744073709551614 00 1\n".to_vec()),
        ("seals/0.seal".into(), vec![0xff; 10]),
        ("checkpoints/0.note".into(), b"\n\n\n".to_vec()),
        ("records/0.rec".into(), b"99999999\n".to_vec()),
    ];
    let v = verify(&junk);
    assert_eq!(v.report.verdict, Verdict::Invalid);
    let v = verify(&[]);
    assert_eq!(v.report.verdict, Verdict::Invalid);
    let mut ok = standard().files;
    set(&mut ok, "checkpoints/9.note", vec![0; 100_000]);
    let v = verify(&ok);
    assert_item(
        &v,
        "checkpoints/9.note",
        Status::Unreferenced,
        Some(Reason::NotReferenced),
    );
}

#[test]
fn append_extends_the_log_consistently() {
    let first = standard();
    let old_pin = final_pin(&first);
    let v = verify(&first.files);
    let state = v.state().unwrap().clone();
    assert_eq!(state, first.state);
    // Later records: hours 5 and 6, sealed at hour 7.
    let later = [(
        "c.json".to_string(),
        ct_file(&[(20, T0 + 5 * 3600 + 900), (21, T0 + 6 * 3600 + 60)]),
    )];
    let mut s = Sealer::resume(
        signer(),
        SealOptions {
            period: Some(HOUR),
            nonce: None,
            now: (T0 as u64) + 7 * HOUR + 10,
        },
        state,
    )
    .unwrap();
    s.add_file("c.json", &later[0].1).unwrap();
    let second = s.finish().unwrap();
    // Only new files plus the rewritten manifest.
    assert!(second
        .files
        .iter()
        .all(|(p, _)| p == "manifest" || !first.files.iter().any(|(q, _)| q == p)));
    let mut files = first.files.clone();
    for (p, b) in second.files {
        set(&mut files, &p, b);
    }
    let mut o = options();
    o.pins = vec![old_pin];
    let v = verify_with(&files, o);
    assert_eq!(v.report.verdict, Verdict::Valid, "{:#?}", v.report);
    // The old export seal (5) is an interior leaf now; seals 6 (hour 5), 7 (hour 6), 8 export.
    assert_eq!(v.seals.len(), 9);
    assert!(v.seals[5].export || v.seals[5].status == Status::Valid);
    assert_eq!(v.seals[8].time, Some((T0 as u64) + 7 * HOUR + 10));
    assert_item(&v, &format!("pin:{}", old_pin.size), Status::Valid, None);
}

#[test]
fn append_refuses_another_key() {
    let first = standard();
    let other = trailproof_tlog::note::Signer::ed25519("other.example/log", &[1; 32]).unwrap();
    assert!(Sealer::resume(other, SealOptions::default(), first.state).is_err());
}

fn record_at(
    files: &[(String, Vec<u8>)],
    v: &trailproof_archive::Verification,
    index: u64,
) -> Vec<u8> {
    let (path, n) = v.locate(index).unwrap();
    frames(get(files, path))[n as usize].clone()
}

#[test]
fn proofs_valid_for_every_record() {
    let a = standard();
    let v = verify(&a.files);
    let mut proved = 0;
    for index in 0..v.size {
        if v.locate(index).is_none() {
            assert_eq!(v.prove(index, b"x"), Err(ProofError::NotARecord { index }));
            continue;
        }
        let record = record_at(&a.files, &v, index);
        let bundle = v.prove(index, &record).unwrap();
        let ok = verify_proof(&bundle, &verifiers(), None).unwrap();
        assert_eq!((ok.index, ok.size, &ok.record), (index, v.size, &record));
        assert_eq!(ok.origin, ORIGIN);
        proved += 1;
    }
    assert_eq!(proved, 12);
}

#[test]
fn proof_by_event_id() {
    let a = standard();
    let v = verify(&a.files);
    let mut found = None;
    for (path, first, _) in v.record_files() {
        if let Some((n, rec)) =
            trailproof_archive::find_event(get(&a.files, path), "ev-0007").unwrap()
        {
            found = Some((first + n, rec.to_vec()));
        }
    }
    let (index, record) = found.unwrap();
    assert_eq!(trailproof_archive::event_ids(&record), ["ev-0007"]);
    let bundle = v.prove(index, &record).unwrap();
    assert!(verify_proof(&bundle, &verifiers(), Some(ORIGIN)).is_ok());
}

#[test]
fn proof_wrong_index() {
    let a = standard();
    let v = verify(&a.files);
    let record = record_at(&a.files, &v, 5);
    let bundle = String::from_utf8(v.prove(5, &record).unwrap()).unwrap();
    let moved = bundle.replace("\nindex 5\n", "\nindex 6\n");
    assert!(verify_proof(moved.as_bytes(), &verifiers(), None).is_err());
    // Asking for a proof of another leaf with this record fails at the source.
    assert_eq!(
        v.prove(6, &record),
        Err(ProofError::RecordMismatch { index: 6 })
    );
}

#[test]
fn proof_wrong_root() {
    let a = standard();
    let v = verify(&a.files);
    let record = record_at(&a.files, &v, 1);
    let bundle = String::from_utf8(v.prove(1, &record).unwrap()).unwrap();
    // Another authentic checkpoint (checkpoint 3, size 13) in place of the final one.
    let final_note = String::from_utf8(get(&a.files, "checkpoints/5.note").clone()).unwrap();
    let other = String::from_utf8(get(&a.files, "checkpoints/3.note").clone()).unwrap();
    let swapped = bundle.replace(&final_note, &other);
    assert_ne!(swapped, bundle);
    assert!(verify_proof(swapped.as_bytes(), &verifiers(), None).is_err());
    // An edited root breaks the signature.
    let root = final_note.split('\n').nth(2).unwrap();
    let edited = bundle.replace(root, "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=");
    assert!(verify_proof(edited.as_bytes(), &verifiers(), None).is_err());
}

#[test]
fn proof_tampered_record() {
    let a = standard();
    let v = verify(&a.files);
    let record = record_at(&a.files, &v, 9);
    let bundle = v.prove(9, &record).unwrap();
    let mut parsed = trailproof_tlog::proof::ProofBundle::parse(&bundle).unwrap();
    let extra = parsed.extra.as_mut().unwrap();
    let pos = extra.iter().position(|&b| b == b'P').unwrap();
    extra[pos] = b'D';
    assert!(verify_proof(&parsed.to_bytes(), &verifiers(), None).is_err());
    parsed.extra = None;
    assert_eq!(
        verify_proof(&parsed.to_bytes(), &verifiers(), None),
        Err(ProofError::NoRecord)
    );
    // Wrong key.
    let vk = other_signer().verifier_key().to_string();
    let other = Verifiers::from_vkeys([vk.as_str()]).unwrap();
    assert!(verify_proof(&bundle, &other, None).is_err());
}

#[test]
fn no_proof_from_an_invalid_archive() {
    let mut files = standard().files;
    remove(&mut files, "checkpoints/1.note");
    let v = verify(&files);
    assert_eq!(v.prove(0, b"x"), Err(ProofError::ArchiveNotValid));
}

#[test]
fn verifier_reads_from_readers_in_small_chunks() {
    struct Trickle<'a>(&'a [u8]);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(7);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let a = standard();
    let mut v = ArchiveVerifier::new(options());
    for (p, b) in &a.files {
        v.add(p, &mut Trickle(b));
    }
    assert_eq!(v.finish().verdict, Verdict::Valid);
}

#[test]
fn pin_syntax() {
    let root = [0xab; 32];
    let b64 = Pin { size: 7, root }.to_string();
    assert_eq!(b64.parse::<Pin>().unwrap(), Pin { size: 7, root });
    let hex = format!("7:{}", "ab".repeat(32));
    assert_eq!(hex.parse::<Pin>().unwrap(), Pin { size: 7, root });
    for bad in [
        "7",
        "07:AAAA",
        "x:y",
        "7:q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s",
        ":",
    ] {
        assert!(bad.parse::<Pin>().is_err(), "{bad}");
    }
}

#[test]
fn sealer_rejects_bad_options_and_too_many_periods() {
    let bad_nonce = SealOptions {
        nonce: Some("two words".into()),
        ..SealOptions::default()
    };
    assert_eq!(
        Sealer::new(signer(), bad_nonce).err(),
        Some(trailproof_archive::SealError::BadNonce)
    );
    let zero = SealOptions {
        period: Some(0),
        ..SealOptions::default()
    };
    assert_eq!(
        Sealer::new(signer(), zero).err(),
        Some(trailproof_archive::SealError::BadPeriod)
    );
    // Two records 300 000 s apart with a 1-second period.
    let file = ct_file(&[(1, T0), (2, T0 + 300_000)]);
    let mut s = Sealer::new(
        signer(),
        SealOptions {
            period: Some(1),
            nonce: None,
            now: NOW + 1_000_000,
        },
    )
    .unwrap();
    s.add_file("x.json", &file).unwrap();
    assert!(matches!(
        s.finish(),
        Err(trailproof_archive::SealError::TooManyPeriods { periods: 300_001 })
    ));
}

#[test]
fn sealer_refuses_files_with_unreadable_records_and_skips_companions() {
    let mut s = Sealer::new(signer(), SealOptions::default()).unwrap();
    let broken = br#"{"Records":[{"eventTime":"2024-05-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"A"},{"x": }]}"#;
    assert!(matches!(
        s.add_file("broken.json", broken),
        Err(trailproof_archive::SealError::Input { .. })
    ));
    let unknown = br#"{"something":"else"}"#;
    assert!(s.add_file("unknown.json", unknown).is_err());
    assert_eq!(
        s.add_file("README.md", b"# notes\n").unwrap(),
        trailproof_archive::InputOutcome::NotRecords
    );
    let digest = std::fs::read(
        std::env::var_os("TRAILPROOF_FIXTURES")
            .map_or_else(
                || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
                std::path::PathBuf::from,
            )
            .join("cloudtrail_digest_example_awsdocs.json"),
    )
    .unwrap();
    assert_eq!(
        s.add_file("digest.json", &digest).unwrap(),
        trailproof_archive::InputOutcome::Companion
    );
}

#[test]
fn late_records_on_append_go_into_the_first_open_period() {
    let first = standard();
    // A record from hour 1 (already sealed) arrives late.
    let late = ct_file(&[(30, T0 + 3600 + 5)]);
    let mut s = Sealer::resume(
        signer(),
        SealOptions {
            period: Some(HOUR),
            nonce: None,
            now: NOW + 3 * HOUR,
        },
        first.state.clone(),
    )
    .unwrap();
    s.add_file("late.json", &late).unwrap();
    let second = s.finish().unwrap();
    let mut files = first.files.clone();
    for (p, b) in second.files {
        set(&mut files, &p, b);
    }
    let v = verify(&files);
    assert_eq!(v.report.verdict, Verdict::Valid, "{:#?}", v.report.items);
    // Seal 6 closes hour 5 (the first period ending after the last seal) and holds it.
    assert_eq!(v.seals[6].time, Some(T0 as u64 + 6 * HOUR));
    assert_eq!(
        v.locate(v.seals[5].size).map(|(p, _)| p),
        Some("records/6.rec")
    );
}

#[test]
fn records_files_are_browsable_as_events() {
    use trailproof_archive::frame::JsonArrayReader;
    use trailproof_events::ingest::{read_raw, Ingest, IngestOptions};
    let a = standard();
    let v = verify(&a.files);
    let mut ingest = Ingest::new(IngestOptions {
        dedup: false,
        ..Default::default()
    });
    for (path, _, _) in v.record_files() {
        let file = get(&a.files, path);
        let sum = ingest.add_file(path, &mut JsonArrayReader::new(&file[..]));
        assert!(sum.diagnostics.is_empty(), "{:?}", sum.diagnostics);
    }
    let store = ingest.finish();
    assert_eq!(store.len(), 12);
    for row in 0..store.len() {
        let raw = store.raw(row);
        let path = &store.files()[raw.file as usize];
        let file = get(&a.files, path);
        let bytes = read_raw(
            &mut JsonArrayReader::new(&file[..]),
            &raw,
            &Default::default(),
        )
        .unwrap();
        // The bytes are a sealed record, and its event ID finds it for a proof.
        let id = store.event(row).event_id;
        let (n, rec) = trailproof_archive::find_event(file, &id).unwrap().unwrap();
        assert_eq!(rec, bytes.as_slice());
        let first = v.record_files().iter().find(|f| &f.0 == path).unwrap().1;
        assert!(v.prove(first + n, rec).is_ok());
    }
}

#[test]
fn every_truncated_file_is_caught() {
    let files = standard().files;
    for (path, bytes) in &files {
        for keep in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            let mut tampered = files.clone();
            set(&mut tampered, path, bytes[..keep].to_vec());
            let v = verify(&tampered);
            assert_ne!(v.report.verdict, Verdict::Valid, "{path} cut to {keep}");
        }
    }
}

#[test]
fn export_seal_from_the_future_is_noted() {
    let files = standard().files;
    let mut o = options();
    o.now = Some(NOW - 3600);
    let v = verify_with(&files, o.clone());
    assert_eq!(v.report.verdict, Verdict::Valid);
    assert!(
        v.report
            .notes
            .iter()
            .any(|n| n.severity == Level::Warning
                && n.message.contains("after this computer's clock"))
    );
    o.now = Some(NOW);
    let v = verify_with(&files, o);
    assert!(!v.report.notes.iter().any(|n| n.message.contains("clock")));
}
