//! Per-event integrity: applied from a verification report, queried, counted; conflicting
//! duplicates kept and judged against verified evidence.

use std::path::PathBuf;

use trailproof_core::report::{Integrity, Item, ItemKind, Proof, Reason, Report, Status};
use trailproof_events::ingest::{Ingest, IngestOptions};
use trailproof_events::store::Field;
use trailproof_events::EventStore;

fn fixture(name: &str) -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES")
        .map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
            PathBuf::from,
        )
        .join(name)
}

const LOG1: &str = "111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
const LOG2: &str = "111122223333_CloudTrail_us-east-1_20240501T0215Z_QrStUvWxYz012345.json.gz";
const FORGED: &str =
    "negative/tampered_111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
const ALIBABA: &str = "actiontrail_event_ram_user_DescribeInstances_sdkdoc.json";
const DIGEST: &str =
    "111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T010000Z.json.gz";

/// Ingests the named fixtures (paths as given) in order.
fn load(names: &[&str]) -> EventStore {
    let mut ingest = Ingest::new(IngestOptions::default());
    for name in names {
        let sub = if name.starts_with("actiontrail") {
            name.to_string()
        } else {
            format!("synthetic_aws/{name}")
        };
        let bytes = std::fs::read(fixture(&sub)).unwrap();
        let s = ingest.add_file(name, &mut &bytes[..]);
        assert!(s.events > 0, "{name}: {s:?}");
    }
    ingest.finish()
}

fn proof() -> Proof {
    Proof {
        digest: Some(DIGEST.into()),
        key: Some("67b9fa73676d86966b449dd677850753".into()),
        checkpoint: None,
    }
}

/// LOG1 valid (with its proof), the forged copy of it invalid, LOG2 unreferenced.
fn report(forged: Status) -> Report {
    let mut ok = Item::new(LOG1, ItemKind::Log, Status::Valid, None, "hash matches");
    ok.proof = Some(proof());
    let reason = match forged {
        Status::Invalid => Some(Reason::NotListed),
        Status::Valid => None,
        _ => Some(Reason::NotReferenced),
    };
    let forged = Item::new(FORGED, ItemKind::Log, forged, reason, "m");
    let unref = Item::new(
        LOG2,
        ItemKind::Log,
        Status::Unreferenced,
        Some(Reason::NotReferenced),
        "m",
    );
    Report::new(vec![ok, forged, unref], vec![], vec![], vec![])
}

fn row_of(store: &EventStore, action: &str) -> Vec<usize> {
    (0..store.len())
        .filter(|&r| store.text(r, Field::Action) == action)
        .collect()
}

#[test]
fn every_event_takes_the_state_of_its_file_and_names_its_proof() {
    let mut store = load(&[LOG1, LOG2, ALIBABA]);
    assert!((0..store.len()).all(|r| store.integrity(r) == Integrity::Unprotected));
    store.apply_report(&report(Status::Invalid));
    let list = row_of(&store, "ListBuckets")[0];
    assert_eq!(store.integrity(list), Integrity::Verified);
    assert_eq!(store.proof(list), Some(&proof()));
    assert_eq!(store.text(list, Field::Integrity), "verified");
    let delete = row_of(&store, "DeleteBucketPolicy")[0];
    assert_eq!(store.integrity(delete), Integrity::Unverified);
    assert_eq!(store.proof(delete), None);
    let alibaba = (0..store.len())
        .find(|&r| store.text(r, Field::Provider) == "alibaba")
        .unwrap();
    assert_eq!(store.integrity(alibaba), Integrity::Unprotected);

    let cov = store.coverage();
    assert_eq!(
        (
            cov.events,
            cov.verified,
            cov.unverified,
            cov.failed,
            cov.unprotected
        ),
        (4, 2, 1, 0, 1)
    );
    assert!(!cov.all_verified());

    // The query field and its facet.
    assert_eq!(store.query("integrity:verified").unwrap().count(), 2);
    assert_eq!(store.query("-integrity:verified").unwrap().count(), 2);
    assert_eq!(store.query("integrity:UNPROTECTED").unwrap().count(), 1);
    assert_eq!(store.query("integrity:*verified").unwrap().count(), 3);
    assert_eq!(store.query("integrity:failed").unwrap().count(), 0);
    assert!(store.query("integrity:green").is_err());
    let all = store.query("").unwrap();
    let facet: Vec<(String, u64)> = store
        .facet(Field::Integrity, &all, 10)
        .into_iter()
        .map(|f| (f.value, f.count))
        .collect();
    assert_eq!(
        facet,
        [
            ("verified".to_string(), 2),
            ("unprotected".to_string(), 1),
            ("unverified".to_string(), 1)
        ]
    );
}

#[test]
fn a_forged_copy_is_kept_beside_the_verified_record_and_fails() {
    // Either order of the inputs: the verified record wins.
    for names in [[LOG1, FORGED], [FORGED, LOG1]] {
        let mut store = load(&names);
        // ListBuckets is byte-identical in both files (one row, one copy counted);
        // PutBucketPolicy became GetBucketPolicy in the forged file (two rows).
        assert_eq!(store.len(), 3, "{names:?}");
        assert_eq!(store.duplicates_dropped(), 1);
        let file = |n: &str| store.files().iter().position(|f| f == n).unwrap() as u32;
        let (log, forged) = (file(LOG1), file(FORGED));
        assert_eq!(
            store.duplicates_in_file(log) + store.duplicates_in_file(forged),
            1
        );
        assert_eq!(store.conflicts_in_file(log), 1);
        assert_eq!(store.conflicts_in_file(forged), 1);
        assert_eq!(store.conflicts().len(), 1);

        store.apply_report(&report(Status::Invalid));
        let put = row_of(&store, "PutBucketPolicy")[0];
        let get = row_of(&store, "GetBucketPolicy")[0];
        assert_eq!(store.integrity(put), Integrity::Verified);
        assert_eq!(store.integrity(get), Integrity::Failed);
        assert!(store.conflicting(put) && store.conflicting(get));
        let mut pair = store.conflicts()[0].clone();
        pair.sort();
        let mut want = vec![put as u32, get as u32];
        want.sort();
        assert_eq!(pair, want);
        // The identical record is shown from the verified file, whatever the input order.
        let list = row_of(&store, "ListBuckets")[0];
        assert_eq!(store.text(list, Field::File), LOG1);
        assert_eq!(store.integrity(list), Integrity::Verified);
        assert_eq!(store.query("integrity:failed").unwrap().count(), 1);
        let cov = store.coverage();
        assert_eq!((cov.events, cov.verified, cov.failed), (3, 2, 1));
    }
}

#[test]
fn conflicting_versions_that_nothing_verifies_all_fail() {
    let mut store = load(&[LOG1, FORGED]);
    // Nothing verified: neither version can be trusted over the other.
    store.apply_integrity(|_| (Integrity::Unverified, None));
    let put = row_of(&store, "PutBucketPolicy")[0];
    let get = row_of(&store, "GetBucketPolicy")[0];
    assert_eq!(store.integrity(put), Integrity::Failed);
    assert_eq!(store.integrity(get), Integrity::Failed);
    assert_eq!(
        store.integrity(row_of(&store, "ListBuckets")[0]),
        Integrity::Unverified
    );
    // Without a report, ingest alone already knows the conflict.
    let mut plain = load(&[LOG1, FORGED]);
    plain.apply_integrity(|_| (Integrity::Unprotected, None));
    assert_eq!(plain.query("integrity:failed").unwrap().count(), 2);
}

#[test]
fn identical_duplicates_are_dropped_and_counted_per_file() {
    let mut ingest = Ingest::new(IngestOptions::default());
    let bytes = std::fs::read(fixture(&format!("synthetic_aws/{LOG1}"))).unwrap();
    ingest.add_file("a.json.gz", &mut &bytes[..]);
    ingest.add_file("b.json.gz", &mut &bytes[..]);
    // The same records re-indented: whitespace between tokens does not make a conflict.
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain).unwrap();
    let spaced = String::from_utf8(plain).unwrap().replace(",\"", ",\n  \"");
    ingest.add_file("c.json", &mut spaced.as_bytes());
    let store = ingest.finish();
    assert_eq!(store.len(), 2);
    assert_eq!(store.duplicates_dropped(), 4);
    assert_eq!(store.duplicates_in_file(0), 0);
    assert_eq!(store.duplicates_in_file(1), 2);
    assert_eq!(store.duplicates_in_file(2), 2);
    assert!(store.conflicts().is_empty());
}
