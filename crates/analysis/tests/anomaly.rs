//! Anomaly detectors: spikes against the actor's own baseline, first-seen values.

mod common;

use common::*;
use serde_json::json;
use trailproof_analysis::finding::Detail;
use trailproof_analysis::{AnalysisOptions, SigmaRuleSet};
use trailproof_events::time::format_rfc3339;

const START: i64 = 1_714_521_600_000; // 2024-05-01T00:00:00Z
const H: i64 = 3_600_000;

fn t(ms: i64) -> String {
    format_rfc3339(ms)
}

#[test]
fn call_rate_and_error_rate_spikes() {
    let mut recs = Vec::new();
    // "steady": 3 calls every hour for 48 hours, then 60 calls in hour 49.
    for h in 0..48 {
        for i in 0..3 {
            recs.push(aws(
                &t(START + h * H + i * 60_000),
                "ec2.amazonaws.com",
                "DescribeInstances",
                "steady",
                "198.51.100.1",
                json!({}),
            ));
        }
    }
    for i in 0..60 {
        recs.push(aws(
            &t(START + 49 * H + i * 30_000),
            "ec2.amazonaws.com",
            "DescribeInstances",
            "steady",
            "198.51.100.1",
            json!({}),
        ));
    }
    // "flaky": 10 calls an hour without errors, then one hour with 16 of 20 failing.
    for h in 0..30 {
        for i in 0..10 {
            recs.push(aws(
                &t(START + h * H + i * 60_000 + 1),
                "s3.amazonaws.com",
                "GetBucketAcl",
                "flaky",
                "198.51.100.2",
                json!({}),
            ));
        }
    }
    for i in 0..20 {
        let extra = if i < 16 {
            json!({"errorCode":"AccessDenied"})
        } else {
            json!({})
        };
        recs.push(aws(
            &t(START + 31 * H + i * 60_000 + 1),
            "s3.amazonaws.com",
            "GetBucketAcl",
            "flaky",
            "198.51.100.2",
            extra,
        ));
    }
    let (_, a) = analyze(
        &vec![("t.json".into(), aws_file(&recs))],
        &SigmaRuleSet::new(),
        &AnalysisOptions::default(),
    );
    let rate: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.rule.key() == "call-rate-spike")
        .collect();
    assert_eq!(rate.len(), 1, "{rate:#?}");
    assert_eq!(rate[0].actor, "steady");
    assert!(matches!(
        rate[0].detail,
        Detail::CallRateSpike { calls: 60, .. }
    ));
    assert_eq!(rate[0].evidence.len(), 60);
    let err: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.rule.key() == "error-rate-spike")
        .collect();
    assert_eq!(err.len(), 1, "{err:#?}");
    assert_eq!(err[0].actor, "flaky");
    assert!(matches!(
        err[0].detail,
        Detail::ErrorRateSpike {
            calls: 20,
            errors: 16,
            ..
        }
    ));
    assert_eq!(err[0].evidence.len(), 16);
    // Switched off.
    let mut o = AnalysisOptions::default();
    o.rules.disabled.insert("call-rate-spike".into());
    o.rules.disabled.insert("error-rate-spike".into());
    let (_, a) = analyze(
        &vec![("t.json".into(), aws_file(&recs))],
        &SigmaRuleSet::new(),
        &o,
    );
    assert_eq!(
        count(&a, "call-rate-spike") + count(&a, "error-rate-spike"),
        0
    );
}

#[test]
fn first_seen_ip_and_access_key_after_learning() {
    let d = 24 * H;
    let mut recs = Vec::new();
    for day in 0..10 {
        recs.push(aws(
            &t(START + day * d),
            "ec2.amazonaws.com",
            "DescribeInstances",
            "alice",
            "198.51.100.1",
            json!({}),
        ));
    }
    // Day 3 (learning): a second IP, not reported. Day 8: a new IP and a new key, reported once.
    recs.push(aws(
        &t(START + 3 * d + 1),
        "ec2.amazonaws.com",
        "DescribeInstances",
        "alice",
        "198.51.100.2",
        json!({}),
    ));
    let mut late = aws(
        &t(START + 8 * d + 1),
        "ec2.amazonaws.com",
        "DescribeInstances",
        "alice",
        "203.0.113.77",
        json!({}),
    );
    late["userIdentity"]["accessKeyId"] = json!("AKIANEWKEY0000000001");
    recs.push(late.clone());
    late["eventTime"] = json!(t(START + 8 * d + 2));
    late["eventID"] = json!("again");
    recs.push(late);
    // A new actor after learning is not judged.
    recs.push(aws(
        &t(START + 9 * d + 5),
        "ec2.amazonaws.com",
        "DescribeInstances",
        "newbie",
        "203.0.113.99",
        json!({}),
    ));
    let files: Files = vec![("t.json".into(), aws_file(&recs))];
    let (_, a) = analyze(&files, &SigmaRuleSet::new(), &AnalysisOptions::default());
    let ips: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.rule.key() == "first-seen-source-ip")
        .map(|f| f.detail.clone())
        .collect();
    assert_eq!(
        ips,
        [Detail::FirstSeen {
            value: "203.0.113.77".into()
        }]
    );
    let keys: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.rule.key() == "first-seen-access-key")
        .map(|f| f.detail.clone())
        .collect();
    assert_eq!(
        keys,
        [Detail::FirstSeen {
            value: "AKIANEWKEY0000000001".into()
        }]
    );
    // Without the raw pass for keys, the key detector is silent.
    let mut o = AnalysisOptions::default();
    o.rules.anomaly.access_keys = false;
    let (_, a) = analyze(&files, &SigmaRuleSet::new(), &o);
    assert_eq!(count(&a, "first-seen-access-key"), 0);
    assert_eq!(count(&a, "first-seen-source-ip"), 1);
}
