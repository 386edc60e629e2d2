//! Shard planning on multi-chain exports: independent chains become separate shards (so the
//! equality every battery case checks through `common::verify` is not the trivial one of a
//! single shard), and only what the single run looks across joins them.

mod common;

use common::*;
use trailproof_chain::shard::{self, PlanInput, Unplaced, UNASSIGNED};
use trailproof_chain::{scan, ScanLimits, Scanned};
use trailproof_core::report::{ItemKind, Verdict};

fn scanned(files: &[(String, Vec<u8>)]) -> Vec<Scanned> {
    files
        .iter()
        .map(|(p, b)| scan(p, &mut b.as_slice(), &ScanLimits::default()))
        .collect()
}

fn regions(regions: &[&str], hours: usize) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for r in regions {
        let g = AwsGen {
            region: (*r).into(),
            ..Default::default()
        };
        files.extend(g.simple(hours).standard());
    }
    files
}

#[test]
fn independent_chains_are_separate_shards() {
    let mut files = regions(&["us-east-1", "eu-west-1", "ap-south-1"], 3);
    files.extend(CtsGen::default().generate(2, &|_, _| {}).standard());
    files.push(("notes/readme.txt".into(), b"hello".to_vec()));
    // A log of a region no chain covers, after the others.
    let orphan = "AWSLogs/111122223333/CloudTrail/sa-east-1/2024/05/01/111122223333_CloudTrail_sa-east-1_20240501T0005Z_Zz.json.gz";
    files.push((
        orphan.into(),
        aws_log_bytes("111122223333", "sa-east-1", T0, "X"),
    ));
    let report = verify(&files);
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");

    let plan = shard::plan(
        &scanned(&files)
            .into_iter()
            .map(PlanInput::Scanned)
            .collect::<Vec<_>>(),
    );
    let ids: Vec<&str> = plan.shards.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), 5, "{ids:?}");
    assert!(ids[..4]
        .iter()
        .all(|id| id.starts_with("aws:") || id.starts_with("cts:")));
    assert_eq!(ids[4], UNASSIGNED);
    for s in &plan.shards[..4] {
        assert_eq!(s.chains, vec![s.id.clone()]);
        assert!(s.digests >= 2 && s.logs >= 4, "{s:#?}");
        assert!(s.files.iter().all(|f| f.why.is_none()));
        let region = s.id.split(':').nth(2).unwrap();
        assert!(
            s.files.iter().all(|f| f.path.contains(region)),
            "{region}: {s:#?}"
        );
    }
    let mut why: Vec<(&str, Option<Unplaced>)> = plan.shards[4]
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.why))
        .collect();
    why.sort();
    assert_eq!(
        why,
        vec![
            (orphan, Some(Unplaced::NoChain)),
            ("notes/readme.txt", Some(Unplaced::NotRecognised))
        ]
    );
    assert!(plan.shared.iter().all(|f| f.kind == ItemKind::Key));
    assert!(!plan.shared.is_empty());
}

#[test]
fn logs_by_name_need_a_scan_only_when_their_records_decide() {
    let mut files = regions(&["us-east-1"], 2);
    // No digest lists these; the first names a covered region, the second a foreign one
    // whose records belong to the covered chain.
    let covered = "extra/111122223333_CloudTrail_us-east-1_20240501T0030Z_Aa.json.gz";
    let foreign = "extra/999999999999_CloudTrail_us-east-1_20240501T0030Z_Bb.json.gz";
    files.push((
        covered.into(),
        aws_log_bytes("111122223333", "us-east-1", T0, "A"),
    ));
    files.push((
        foreign.into(),
        aws_log_bytes("111122223333", "us-east-1", T0, "B"),
    ));
    let report = verify(&files);
    assert_eq!(
        item(&report, "_Bb.json.gz").reason.map(|r| r.as_str()),
        Some("not-listed")
    );

    let scans = scanned(&files);
    let named = named_plan_inputs(&scans);
    let plan = shard::plan(&named);
    assert_eq!(plan.needs_scan, vec![foreign.to_owned()]);
    let unassigned = plan.shard(UNASSIGNED).unwrap();
    assert_eq!(unassigned.files[0].why, Some(Unplaced::NeedsScan));
    let chain = &plan.shards[0];
    assert!(chain.files.iter().any(|f| f.path == covered));
}

#[test]
fn trails_of_one_account_and_region_are_one_shard() {
    // An account trail and an organization trail of the same account and region deliver the
    // same events: one shard, so that event coverage counts each once. Another region of the
    // organization trail is a shard of its own.
    let account = AwsGen::default();
    let org = AwsGen {
        trail: "org_trail".into(),
        org: Some("o-exampleorgid".into()),
        log_salt: 1 << 40,
        ..Default::default()
    };
    let org_west = AwsGen {
        region: "us-west-2".into(),
        trail: "org_trail".into(),
        org: Some("o-exampleorgid".into()),
        log_salt: 1 << 40,
        ..Default::default()
    };
    let mut files = account.simple(2).standard();
    files.extend(org.simple(2).standard());
    files.extend(org_west.simple(2).standard());
    let scans: Vec<PlanInput> = scanned(&files)
        .into_iter()
        .map(PlanInput::Scanned)
        .collect();
    let plan = shard::plan(&scans);
    assert_eq!(plan.shards.len(), 2, "{plan:#?}");
    assert_eq!(plan.shards[0].chains.len(), 2);
    assert_eq!(plan.shards[1].chains.len(), 1);
    verify(&files);
}

#[test]
fn merge_refuses_a_shard_twice() {
    let files = regions(&["us-east-1", "eu-west-1"], 2);
    let report = verify(&files);
    let err = shard::merge(vec![report.clone(), report]).unwrap_err();
    assert!(err.to_string().contains("verified twice"), "{err}");
}
