//! Query evaluation and facet counting on a generated store of several thousand rows of every
//! provider, against references that share none of their fast paths: a query equals its
//! predicates each evaluated over every row and combined with plain bitset operations (the
//! store evaluates a term only over the rows its AND/OR/NOT context leaves, word-wise or row by
//! row depending on density), and one-pass counts of every facet (by popcount over per-code
//! bitsets where a column has few codes) equal counts of each row's text and counts of one
//! field row by row, on selections of many shapes.

mod common;

use std::collections::BTreeMap;

use trailproof_core::report::Integrity;
use trailproof_events::ingest::{Ingest, IngestOptions};
use trailproof_events::query::parse;
use trailproof_events::store::{EventStore, Field, Filter, StoreBuilder};
use trailproof_events::Selection;

/// Events of every provider, some changed so that every column varies (root and admin,
/// unknown read/write, several resources, wide dictionaries), with per-file integrity.
fn store() -> EventStore {
    let mut ing = Ingest::new(IngestOptions::default());
    let inputs: Vec<(String, Vec<u8>)> = vec![
        (
            "ct0.json".into(),
            common::cloudtrail_file(7, 2_500, 1_714_521_600_000),
        ),
        (
            "ct1.json".into(),
            common::cloudtrail_file(8, 2_500, 1_714_525_200_000),
        ),
        ("at.json".into(), common::actiontrail_array(9, 700)),
        ("cts.json".into(), common::cts_array(10, 500)),
        ("gcp.json".into(), common::gcp_ndjson(11, 500)),
        ("azure.json".into(), common::azure_storage(12, 400, false)),
    ];
    for (name, bytes) in &inputs {
        ing.add_file(name, &mut &bytes[..]);
    }
    let base = ing.finish();
    let mut b = StoreBuilder::new();
    for f in base.files() {
        b.add_file(f);
    }
    for r in 0..base.len() {
        let mut e = base.event(r);
        if r % 7 == 0 {
            e.actor.root = true;
        }
        if r % 11 == 0 {
            e.actor.admin = true;
        }
        if r % 13 == 0 {
            e.read_only = None;
        }
        if r % 5 == 0 {
            e.resources.push(format!("arn:aws:s3:::bucket-{}", r % 301));
        }
        if r % 3 == 0 {
            // Past 256 distinct values: two-byte codes.
            e.source_ip = format!("10.{}.{}.{}", r % 7, (r / 7) % 256, r % 250);
        }
        b.push(&e);
    }
    let mut store = b.finish(false);
    let states = [
        Integrity::Verified,
        Integrity::Failed,
        Integrity::Unverified,
        Integrity::Unprotected,
    ];
    let files: Vec<String> = store.files().to_vec();
    store.apply_integrity(|path| {
        let i = files.iter().position(|f| f == path).unwrap_or(0);
        (states[i % states.len()], None)
    });
    store
}

const QUERIES: &[&str] = &[
    "actor:user-7",
    "action:Delete* -rw:read",
    "error:* region:eu-*",
    "ip:203.0.0.0/16 time>=2024-05-01T00:20:00Z time<2024-05-01T01:30:00Z",
    "(service:s3.amazonaws.com OR service:iam.amazonaws.com) outcome:error",
    "denied",
    "bucket-17",
    "resource:*bucket-2* OR error:AccessDenied",
    "-(region:us-* OR actor:user-1*) rw:write",
    "NOT error:* OR actor:role-5",
    "ip:10.0.0.0/8 -ip:10.1.0.0/16 root:true",
    "provider:aws integrity:failed OR provider:gcp integrity:verified",
    "admin:true (outcome:success OR rw:read) -action:Describe*",
    "(actor:user-1 OR actor:user-2 OR actor:user-3) (region:us-east-1 OR -region:eu-*)",
    "file:ct1* action:Get* OR file:at*",
    "-actor:user-* -actor:role-*",
];

/// `filter` with each predicate evaluated over every row, combined with plain bitset
/// operations.
fn reference(store: &EventStore, filter: &Filter) -> Selection {
    match filter {
        Filter::All | Filter::Pred(_) => store.select(filter),
        Filter::And(fs) => {
            let mut out = Selection::all(store.len());
            for f in fs {
                out.and(&reference(store, f));
            }
            out
        }
        Filter::Or(fs) => {
            let mut out = Selection::none(store.len());
            for f in fs {
                out.or(&reference(store, f));
            }
            out
        }
        Filter::Not(f) => {
            let mut s = reference(store, f);
            s.not();
            s
        }
    }
}

#[test]
fn queries_equal_their_predicates_combined_over_every_row() {
    let store = store();
    for q in QUERIES {
        let parsed = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let got = store.select(parsed.filter());
        let want = reference(&store, parsed.filter());
        assert_eq!(got, want, "{q}");
        // Every query must also select something and leave something out, or it tests little.
        assert!(
            got.count() > 0 && got.count() < store.len(),
            "{q}: {} rows",
            got.count()
        );
    }
}

/// Fields counted by code.
const COUNTED: &[Field] = &[
    Field::Integrity,
    Field::Actor,
    Field::ActorId,
    Field::ActorType,
    Field::Action,
    Field::Service,
    Field::Region,
    Field::SourceIp,
    Field::UserAgent,
    Field::ErrorCode,
    Field::ErrorMessage,
    Field::Outcome,
    Field::ReadWrite,
    Field::Root,
    Field::Admin,
    Field::Provider,
    Field::Account,
    Field::File,
];

/// Selections of many shapes: query results, their complements, strides around word edges,
/// spans, every row and none.
fn selections(store: &EventStore) -> Vec<Selection> {
    let n = store.len();
    let mut out = vec![Selection::all(n), Selection::none(n)];
    for q in QUERIES {
        let s = store.query(q).unwrap();
        let mut c = s.clone();
        c.not();
        out.extend([s, c]);
    }
    for (step, phase) in [
        (2usize, 1usize),
        (3, 0),
        (63, 5),
        (64, 0),
        (65, 64),
        (1000, 7),
    ] {
        let mut s = Selection::none(n);
        (phase..n).step_by(step).for_each(|r| s.insert(r));
        out.push(s);
    }
    let mut span = Selection::all(n);
    span.retain_range(n / 3 + 1, n * 2 / 3 - 1);
    out.push(span);
    out
}

#[test]
fn one_pass_facet_counts_equal_each_rows_text_counted() {
    let store = store();
    // A copy that never builds the facet bitsets: `facet_counts` alone counts row by row.
    let by_row = store.clone();
    for sel in selections(&store) {
        let counts = store.facet_counts_many(COUNTED, &sel);
        assert_eq!(counts.len(), COUNTED.len());
        for (&field, counts) in COUNTED.iter().zip(counts) {
            let counts = counts.unwrap_or_else(|| panic!("{field:?} is counted by code"));
            let got: BTreeMap<String, u64> = store
                .facet_top(field, &counts, usize::MAX)
                .into_iter()
                .map(|v| (v.value, v.count))
                .collect();
            let mut want: BTreeMap<String, u64> = BTreeMap::new();
            for row in sel.iter() {
                let v = store.text(row, field);
                if !v.is_empty() {
                    *want.entry(v).or_default() += 1;
                }
            }
            assert_eq!(got, want, "{field:?} over {} rows", sel.count());
            // Row by row, one field alone, counts the same.
            assert_eq!(by_row.facet_counts(field, &sel), Some(counts), "{field:?}");
        }
    }
    assert_eq!(by_row.memory().index_bytes, 0);
    assert!(store.memory().index_bytes > 0);
    // Fields not counted by code stay in place as `None`.
    let many = store.facet_counts_many(
        &[Field::Tag, Field::Actor, Field::Resource],
        &Selection::all(store.len()),
    );
    assert!(many[0].is_none() && many[1].is_some() && many[2].is_none());
}
