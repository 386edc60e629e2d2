//! Retention and coverage on generated data with known gaps.

mod common;

use common::*;
use serde_json::{json, Value};
use trailproof_analysis::coverage::{coverage, Check, CoverageOptions, Outcome, Requirement};
use trailproof_core::report::{Item, ItemKind, Reason, Report, Status};
use trailproof_events::time::{format_rfc3339, parse_timestamp};

const H: i64 = 3_600_000;

/// Events every 6 hours from `from` to `to` (inclusive), skipping `[skip_from, skip_to)`.
fn every_6h(
    from: &str,
    to: &str,
    skip: Option<(&str, &str)>,
    make: &dyn Fn(&str, usize) -> Value,
) -> Vec<Value> {
    let (a, b) = (parse_timestamp(from).unwrap(), parse_timestamp(to).unwrap());
    let skip = skip.map(|(x, y)| (parse_timestamp(x).unwrap(), parse_timestamp(y).unwrap()));
    let mut out = Vec::new();
    let mut t = a;
    while t <= b {
        if !skip.is_some_and(|(x, y)| t >= x && t < y) {
            out.push(make(&format_rfc3339(t), out.len()));
        }
        t += 6 * H;
    }
    out
}

fn dataset() -> Files {
    let ali_events = every_6h(
        "2023-10-01T00:00:00Z",
        "2024-05-31T18:00:00Z",
        Some(("2024-03-02T20:00:00Z", "2024-03-09T00:00:00Z")),
        &|t, i| {
            let mut e = ali(
                t,
                "Ecs",
                if i % 2 == 0 {
                    "DescribeInstances"
                } else {
                    "StartInstance"
                },
                "ops",
                "198.51.100.1",
                json!({}),
            );
            e["eventRW"] = json!(if i % 2 == 0 { "Read" } else { "Write" });
            e
        },
    );
    let aws_events = every_6h(
        "2024-01-01T00:00:00Z",
        "2024-05-31T18:00:00Z",
        None,
        &|t, _| {
            aws(
                t,
                "ec2.amazonaws.com",
                "DescribeInstances",
                "ci",
                "198.51.100.2",
                json!({"readOnly":true}),
            )
        },
    );
    vec![
        ("ali.json".into(), array_file(&ali_events)),
        ("aws.json".into(), aws_file(&aws_events)),
    ]
}

const AS_OF: &str = "2024-05-31T23:00:00Z";

#[test]
fn requirements_with_a_known_gap() {
    let store = load(&dataset());
    let opts = CoverageOptions {
        requirements: vec![
            Requirement::Mlps2,
            Requirement::Custom { days: 30 },
            Requirement::Custom { days: 300 },
            Requirement::PciDss4,
            Requirement::Sox,
        ],
        ..Default::default()
    };
    let c = coverage(&store, None, &opts, parse_timestamp(AS_OF).unwrap());
    let r = &c.requirements;
    assert_eq!(r[0].outcome, Outcome::Fail);
    assert_eq!(r[0].required_days, 180);
    // 2024-03-03 .. 2024-03-08 have no event anywhere: 6 of 180 days missing.
    assert_eq!(r[0].covered_days, 174);
    assert!(
        r[0].reason
            .starts_with("covers 174 of 180 days; gap 2024-03-02..2024-03-09 in cn-hangzhou"),
        "{}",
        r[0].reason
    );
    assert_eq!(r[1].outcome, Outcome::Pass, "{}", r[1].reason);
    assert_eq!(
        r[1].reason,
        "covers 30 of 30 days (2024-05-02..2024-05-31); no gap of 24h or more"
    );
    assert_eq!(r[2].outcome, Outcome::Fail);
    assert!(
        r[2].reason.contains("events start 2023-10-01"),
        "{}",
        r[2].reason
    );
    assert!(
        r[3].reason.contains("last 3 months: 86 of 92 days"),
        "{}",
        r[3].reason
    );
    assert_eq!(r[4].outcome, Outcome::Fail);
    // Streams and gaps.
    assert_eq!(c.streams.len(), 2);
    let ali = c
        .streams
        .iter()
        .find(|s| s.region == "cn-hangzhou")
        .unwrap();
    assert_eq!(ali.gaps.len(), 1);
    assert_eq!(format_rfc3339(ali.gaps[0].start_ms), "2024-03-02T18:00:00Z");
    assert_eq!(format_rfc3339(ali.gaps[0].end_ms), "2024-03-09T00:00:00Z");
    assert!(c
        .streams
        .iter()
        .find(|s| s.region == "us-east-1")
        .unwrap()
        .gaps
        .is_empty());
    // Heatmap: gap days hatched in cn-hangzhou only.
    let cell = |region: &str, day: &str| {
        c.heatmap
            .cells
            .iter()
            .find(|x| x.region == region && x.day == day)
            .cloned()
    };
    assert!(cell("cn-hangzhou", "2024-03-05").unwrap().gap);
    assert_eq!(cell("cn-hangzhou", "2024-03-01").unwrap().events, 4);
    assert!(
        cell("us-east-1", "2023-12-01").is_none(),
        "outside the region's span"
    );
    assert_eq!(cell("us-east-1", "2024-03-05").unwrap().events, 4);
    assert_eq!(c.heatmap.regions, ["cn-hangzhou", "us-east-1"]);
    assert_eq!(c.heatmap.first_day, "2023-10-01");
    // us-east-1 has events on the days cn-hangzhou is silent, so every day has some event.
    assert_eq!(c.days_with_events, c.span_days);
    // Trailing silence is a problem too.
    let later = coverage(
        &store,
        None,
        &opts,
        parse_timestamp("2024-07-01T00:00:00Z").unwrap(),
    );
    assert!(
        later.requirements[1]
            .reason
            .contains("no events after 2024-05-31"),
        "{}",
        later.requirements[1].reason
    );
}

#[test]
fn checks_regions_read_write_and_verification() {
    let files = dataset();
    let mut store = load(&files);
    let opts = CoverageOptions {
        expected_regions: vec!["us-east-1".into(), "cn-hangzhou".into(), "eu-west-1".into()],
        ..Default::default()
    };
    let report = Report::new(
        vec![
            Item::new(
                "aws.json",
                ItemKind::Log,
                Status::Invalid,
                Some(Reason::HashMismatch),
                "hash differs",
            ),
            Item::new("ali.json", ItemKind::Log, Status::Valid, None, "ok"),
        ],
        vec![],
        vec![],
        vec![],
    );
    store.apply_report(&report);
    let as_of = parse_timestamp(AS_OF).unwrap();
    let c = coverage(&store, Some(&report), &opts, as_of);
    let check = |k: Check| c.checks.iter().find(|x| x.check == k).unwrap().clone();
    assert_eq!(check(Check::ExpectedRegions).outcome, Outcome::Fail);
    assert_eq!(
        check(Check::ExpectedRegions).reason,
        "no events from eu-west-1"
    );
    assert_eq!(c.regions_missing, ["eu-west-1"]);
    assert_eq!(check(Check::ReadAndWrite).outcome, Outcome::Pass);
    assert_eq!(check(Check::ManagementEvents).outcome, Outcome::Pass);
    let v = check(Check::VerifiedShare);
    assert_eq!(v.outcome, Outcome::Fail);
    assert_eq!(c.verified_events + c.failed_events, c.events);
    assert!(
        v.reason.contains(&format!(
            "{} of {} events",
            trailproof_core::report::group_digits(c.verified_events),
            trailproof_core::report::group_digits(c.events)
        )),
        "{}",
        v.reason
    );
    // Failed files paint their days red.
    assert!(c
        .heatmap
        .cells
        .iter()
        .filter(|x| x.region == "us-east-1")
        .all(|x| x.failed));
    assert!(!c
        .heatmap
        .cells
        .iter()
        .any(|x| x.region == "cn-hangzhou" && x.failed));
    // Without verification the share is not applicable.
    let c = coverage(&store, None, &CoverageOptions::default(), as_of);
    assert_eq!(
        c.checks
            .iter()
            .find(|x| x.check == Check::VerifiedShare)
            .unwrap()
            .outcome,
        Outcome::NotApplicable
    );
    assert_eq!(
        c.checks
            .iter()
            .find(|x| x.check == Check::ExpectedRegions)
            .unwrap()
            .outcome,
        Outcome::NotApplicable
    );
}

#[test]
fn empty_store_and_parsing() {
    let store = trailproof_events::ingest::Ingest::new(Default::default()).finish();
    let c = coverage(&store, None, &CoverageOptions::default(), 0);
    assert!(c
        .requirements
        .iter()
        .all(|r| r.outcome == Outcome::Fail && r.reason.contains("no events")));
    assert_eq!(Requirement::parse("pci"), Some(Requirement::PciDss4));
    assert_eq!(
        Requirement::parse("400d"),
        Some(Requirement::Custom { days: 400 })
    );
    assert_eq!(Requirement::parse("0"), None);
    assert_eq!(Requirement::parse("x"), None);
}

#[test]
fn far_apart_times_stay_bounded() {
    let files: Files = vec![(
        "far.json".into(),
        aws_file(&[
            aws(
                "1971-01-01T00:00:00Z",
                "ec2.amazonaws.com",
                "RunInstances",
                "a",
                "198.51.100.1",
                json!({}),
            ),
            aws(
                "2099-12-31T00:00:00Z",
                "ec2.amazonaws.com",
                "RunInstances",
                "a",
                "198.51.100.1",
                json!({}),
            ),
        ]),
    )];
    let store = load(&files);
    let c = coverage(
        &store,
        None,
        &CoverageOptions::default(),
        parse_timestamp("2099-12-31T01:00:00Z").unwrap(),
    );
    assert!(c.heatmap.cells.len() as i64 <= trailproof_analysis::coverage::MAX_HEAT_DAYS);
    assert_eq!(c.heatmap.last_day, "2099-12-31");
    assert!(c.span_days > 40_000);
    assert!(c.requirements.iter().all(|r| r.outcome == Outcome::Fail));
}

/// The verified share counts events by their own integrity in the store, not by their
/// file's status: a forged version of a verified event is failed although its file is only
/// unreferenced, and an event the store does not hold as verified is not counted as such.
#[test]
fn verified_share_counts_per_event_integrity() {
    let t = "2024-05-01T00:10:00Z";
    let genuine = aws(
        t,
        "s3.amazonaws.com",
        "GetBucketPolicy",
        "alice",
        "198.51.100.1",
        json!({}),
    );
    let other = aws(
        t,
        "iam.amazonaws.com",
        "ListUsers",
        "alice",
        "198.51.100.1",
        json!({}),
    );
    // Same event ID, another action: a conflicting duplicate.
    let forged = merge(genuine.clone(), json!({"eventName": "DeleteBucketPolicy"}));
    let files: Files = vec![
        ("delivered.json".into(), aws_file(&[genuine, other])),
        ("forged.json".into(), aws_file(&[forged])),
    ];
    let mut store = load(&files);
    assert_eq!(store.len(), 3, "both versions are kept");
    let report = Report::new(
        vec![
            Item::new("delivered.json", ItemKind::Log, Status::Valid, None, "ok"),
            Item::new(
                "forged.json",
                ItemKind::Log,
                Status::Unreferenced,
                Some(Reason::NotReferenced),
                "no digest lists it",
            ),
        ],
        vec![],
        vec![],
        vec![],
    );
    store.apply_report(&report);
    let as_of = parse_timestamp("2024-05-02T00:00:00Z").unwrap();
    let share = |c: &trailproof_analysis::coverage::Coverage| {
        c.checks
            .iter()
            .find(|x| x.check == Check::VerifiedShare)
            .unwrap()
            .clone()
    };
    let c = coverage(&store, Some(&report), &CoverageOptions::default(), as_of);
    // By file status the forged event would be neither verified nor failed.
    assert_eq!((c.verified_events, c.failed_events), (2, 1));
    let v = share(&c);
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.reason.starts_with("2 of 3 events"), "{}", v.reason);
    assert!(v.reason.contains("1 failed"), "{}", v.reason);
    // The day of the failed event is marked in the heatmap.
    assert!(c.heatmap.cells.iter().any(|x| x.failed));

    // The same report, but the host judged every event unverified (e.g. the sealed archive
    // holding them did not verify): no event counts as verified, whatever the file status;
    // the two conflicting versions are both failed, as no verified one tells them apart.
    store.apply_integrity(|_| (trailproof_core::report::Integrity::Unverified, None));
    let c = coverage(&store, Some(&report), &CoverageOptions::default(), as_of);
    assert_eq!((c.verified_events, c.failed_events), (0, 2));
    assert!(share(&c).reason.starts_with("0 of 3 events"));
}
