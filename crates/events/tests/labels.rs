//! The auditor's labels (a host's workpaper): set on rows, queried with `flagged:` and
//! `tag:`, counted as facets, shown as text.

use std::path::PathBuf;

use trailproof_events::ingest::{Ingest, IngestOptions};
use trailproof_events::store::Field;
use trailproof_events::{EventStore, Label, Selection};

fn fixture(name: &str) -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES")
        .map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
            PathBuf::from,
        )
        .join(name)
}

const LOGS: [&str; 2] = [
    "synthetic_aws/111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz",
    "synthetic_aws/111122223333_CloudTrail_us-east-1_20240501T0215Z_QrStUvWxYz012345.json.gz",
];

fn load() -> EventStore {
    let mut ingest = Ingest::new(IngestOptions::default());
    for log in LOGS {
        let bytes = std::fs::read(fixture(log)).unwrap();
        ingest.add_file(log, &mut &bytes[..]);
    }
    let store = ingest.finish();
    assert!(store.len() >= 3, "fixture has {} events", store.len());
    store
}

fn label(flagged: bool, tags: &[&str]) -> Label {
    Label {
        flagged,
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

#[test]
fn labels_are_queried_faceted_and_shown() {
    let mut store = load();
    let n = store.len();
    assert_eq!(store.query("flagged:true").unwrap().count(), 0);
    assert_eq!(store.query("flagged:false").unwrap().count(), n);
    store.set_labels([
        (0, label(true, &["exfil", "Review"])),
        (2, label(false, &["review"])),
        // Same row twice: merged, the tag not repeated.
        (2, label(true, &["review", "later"])),
        // Out of range and empty labels are ignored.
        (n + 5, label(true, &["ghost"])),
        (1, label(false, &[])),
    ]);
    let cases: &[(&str, &[usize])] = &[
        ("flagged:true", &[0, 2]),
        ("starred:TRUE", &[0, 2]),
        ("tag:review", &[0, 2]),
        ("tag:exf*", &[0]),
        ("tags:later", &[2]),
        ("tag:ghost", &[]),
        ("flagged:true -tag:exfil", &[2]),
    ];
    for (query, rows) in cases {
        let got: Vec<usize> = store.query(query).unwrap().iter().collect();
        assert_eq!(&got, rows, "{query}");
    }
    assert_eq!(store.query("flagged:false").unwrap().count(), n - 2);
    assert!(store.query("flagged:maybe").is_err());
    assert_eq!(store.text(0, Field::Tag), "exfil, Review");
    assert_eq!(store.text(2, Field::Tag), "review, later");
    assert_eq!(store.text(1, Field::Tag), "");
    assert_eq!(store.text(2, Field::Flagged), "true");
    assert_eq!(store.text(1, Field::Flagged), "false");
    assert_eq!(store.labelled().collect::<Vec<_>>(), vec![0, 2]);

    let all = Selection::all(n);
    let tags: Vec<(String, u64)> = store
        .facet(Field::Tag, &all, 10)
        .into_iter()
        .map(|f| (f.value, f.count))
        .collect();
    // Counted as written (the host normalises tags if it wants to); ties by value.
    let want: Vec<(String, u64)> = [("Review", 1), ("exfil", 1), ("later", 1), ("review", 1)]
        .iter()
        .map(|&(t, k)| (t.to_string(), k))
        .collect();
    assert_eq!(tags, want);
    let mut flagged: Vec<(String, u64)> = store
        .facet(Field::Flagged, &all, 10)
        .into_iter()
        .map(|f| (f.value, f.count))
        .collect();
    flagged.sort();
    assert_eq!(
        flagged,
        vec![("false".into(), n as u64 - 2), ("true".into(), 2)]
    );

    // Replacing clears what was there.
    store.set_labels([(1, label(true, &[]))]);
    let got: Vec<usize> = store.query("flagged:true").unwrap().iter().collect();
    assert_eq!(got, vec![1]);
    assert_eq!(store.query("tag:*").unwrap().count(), 0);
}
