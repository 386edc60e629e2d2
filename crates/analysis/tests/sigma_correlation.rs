//! Sigma correlation rules (the correlation specification's types and its own example,
//! adapted to CloudTrail), evaluated end to end over ingested events.

// Tables of tuples read best spelled out where they are used.
#![allow(clippy::type_complexity)]

mod common;

use common::*;
use serde_json::{json, Value};
use trailproof_analysis::finding::{Detail, RuleRef};
use trailproof_analysis::{AnalysisOptions, SigmaRuleSet};

/// A table row: inputs and what is expected.
type Row<I, W> = (Vec<I>, W);

const BASE: &str = "logsource: {product: aws, service: cloudtrail}\n";

fn base_rule(name: &str, event: &str) -> String {
    format!("title: {name}\nname: {name}\n{BASE}detection:\n  sel:\n    eventName: {event}\n  condition: sel\n")
}

/// An event `name` by `user` from `ip` at `secs` seconds.
fn ev(secs: i64, name: &str, user: &str, ip: &str) -> Value {
    let t = trailproof_events::time::format_rfc3339(1_714_550_400_000 + secs * 1000);
    aws(&t, "iam.amazonaws.com", name, user, ip, json!({}))
}

/// Correlation findings: (count, group) in time order.
fn fired(rules: &str, events: &[Value]) -> Vec<(usize, Vec<String>)> {
    let mut sigma = SigmaRuleSet::new();
    sigma.load("c.yml", rules);
    assert!(sigma.diagnostics().is_empty(), "{:#?}", sigma.diagnostics());
    let files: Files = vec![("t.json".into(), aws_file(events))];
    let (_, a) = analyze(&files, &sigma, &AnalysisOptions::default());
    a.findings
        .iter()
        .filter(|f| matches!(f.rule, RuleRef::Sigma { .. }))
        .filter_map(|f| match &f.detail {
            Detail::SigmaCorrelation { count, group, .. } => Some((*count, group.clone())),
            _ => None,
        })
        .collect()
}

fn correlation(kind: &str, rules: &[&str], extra: &str) -> String {
    format!(
        "title: corr\nid: corr-1\ncorrelation:\n  type: {kind}\n  rules: [{}]\n{extra}",
        rules.join(", ")
    )
}

#[test]
fn event_count_group_by_and_timespan_edges() {
    let rules = format!(
        "{}---\n{}",
        base_rule("a", "A"),
        correlation(
            "event_count",
            &["a"],
            "  group-by: [userIdentity.userName]\n  timespan: 60s\n  condition: {gte: 3}\n"
        )
    );
    // (events as (second, user), expected firings)
    let table: Vec<Row<(i64, &str), Vec<(usize, &str)>>> = vec![
        // Exactly on the window's edge: 0 and 60 are within 60 s.
        (vec![(0, "u"), (30, "u"), (60, "u")], vec![(3, "u")]),
        // One second past it.
        (vec![(0, "u"), (30, "u"), (61, "u")], vec![]),
        // Another user's events do not count towards the group.
        (vec![(0, "u"), (1, "v"), (2, "u")], vec![]),
        // A burst fires once, as soon as proven; the next three fire again.
        (
            vec![
                (0, "u"),
                (1, "u"),
                (2, "u"),
                (3, "u"),
                (4, "u"),
                (5, "u"),
                (6, "u"),
            ],
            vec![(3, "u"), (3, "u")],
        ),
    ];
    for (events, want) in table {
        let evs: Vec<Value> = events
            .iter()
            .map(|(s, u)| ev(*s, "A", u, "192.0.2.1"))
            .collect();
        let want: Vec<(usize, Vec<String>)> = want
            .iter()
            .map(|(n, u)| (*n, vec![format!("userIdentity.userName={u}")]))
            .collect();
        assert_eq!(fired(&rules, &evs), want, "{events:?}");
    }
}

#[test]
fn event_count_upper_bounds_and_ranges() {
    let evs: Vec<Value> = [0, 10, 20, 500]
        .iter()
        .map(|s| ev(*s, "A", "u", "192.0.2.1"))
        .collect();
    for (cond, want) in [
        // Windows anchored at 0 and 10 s hold 3 and 2 events; those at 20 s and 500 s one each.
        ("{lt: 2}", vec![1, 1]),
        ("{eq: 3}", vec![3]),
        ("{gt: 1, lte: 3}", vec![3]),
        ("{lte: 0}", vec![]),
    ] {
        let rules = format!(
            "{}---\n{}",
            base_rule("a", "A"),
            correlation(
                "event_count",
                &["a"],
                &format!("  timespan: 1m\n  condition: {cond}\n")
            )
        );
        let got: Vec<usize> = fired(&rules, &evs).into_iter().map(|(n, _)| n).collect();
        assert_eq!(got, want, "{cond}");
    }
}

#[test]
fn value_count_counts_distinct_values() {
    let rules = format!(
        "{}---\n{}",
        base_rule("a", "A"),
        correlation("value_count", &["a"], "  group-by: [userIdentity.userName]\n  timespan: 1h\n  condition:\n    field: sourceIPAddress\n    gte: 3\n")
    );
    let table: Vec<Row<(&str, &str), Vec<usize>>> = vec![
        (
            vec![("u", "192.0.2.1"), ("u", "192.0.2.2"), ("u", "192.0.2.3")],
            vec![3],
        ),
        // Three events, two distinct addresses.
        (
            vec![("u", "192.0.2.1"), ("u", "192.0.2.2"), ("u", "192.0.2.1")],
            vec![],
        ),
        // Three addresses, two users.
        (
            vec![("u", "192.0.2.1"), ("v", "192.0.2.2"), ("u", "192.0.2.3")],
            vec![],
        ),
        // Repeats before the third address are evidence too.
        (
            vec![
                ("u", "192.0.2.1"),
                ("u", "192.0.2.1"),
                ("u", "192.0.2.2"),
                ("u", "192.0.2.3"),
            ],
            vec![4],
        ),
    ];
    for (events, want) in table {
        let evs: Vec<Value> = events
            .iter()
            .enumerate()
            .map(|(i, (u, ip))| ev(i as i64 * 60, "A", u, ip))
            .collect();
        let got: Vec<usize> = fired(&rules, &evs).into_iter().map(|(n, _)| n).collect();
        assert_eq!(got, want, "{events:?}");
    }
}

#[test]
fn temporal_and_temporal_ordered() {
    let rules_for = |kind: &str| {
        format!(
            "{}---\n{}---\n{}",
            base_rule("a", "A"),
            base_rule("b", "B"),
            correlation(
                kind,
                &["a", "b"],
                "  group-by: [userIdentity.userName]\n  timespan: 5m\n"
            )
        )
    };
    // (events as (second, name, user), temporal fires, temporal_ordered fires)
    let table: Vec<Row<(i64, &str, &str), (usize, usize)>> = vec![
        (vec![(0, "A", "u"), (60, "B", "u")], (1, 1)),
        (vec![(0, "B", "u"), (60, "A", "u")], (1, 0)),
        (vec![(0, "A", "u"), (60, "B", "v")], (0, 0)),
        (vec![(0, "A", "u"), (301, "B", "u")], (0, 0)),
        (vec![(0, "B", "u"), (10, "A", "u"), (20, "B", "u")], (1, 1)),
        (vec![(0, "A", "u"), (10, "A", "u")], (0, 0)),
    ];
    for (events, (t, o)) in table {
        let evs: Vec<Value> = events
            .iter()
            .map(|(s, n, u)| ev(*s, n, u, "192.0.2.1"))
            .collect();
        assert_eq!(
            fired(&rules_for("temporal"), &evs).len(),
            t,
            "temporal {events:?}"
        );
        assert_eq!(
            fired(&rules_for("temporal_ordered"), &evs).len(),
            o,
            "ordered {events:?}"
        );
    }
}

/// The specification's own example: many failed logins followed by a successful one, a chain
/// of two correlations, all in one multi-document file with the outer correlation first.
#[test]
fn specification_example_chain() {
    let rules = "title: Correlation - Multiple Failed Logins Followed by Successful Login\nid: b180ead8-d58f-40b2-ae54-c8940995b9b6\ncorrelation:\n    type: temporal_ordered\n    rules:\n        - multiple_failed_login\n        - successful_login\n    group-by:\n        - userIdentity.userName\n    timespan: 10m\nlevel: high\n---\ntitle: Multiple failed logons\nid: a8418a5a-5fc4-46b5-b23b-6c73beb19d41\nname: multiple_failed_login\ncorrelation:\n    type: event_count\n    rules:\n        - failed_login\n    group-by:\n        - userIdentity.userName\n    timespan: 10m\n    condition:\n        gte: 3\n---\ntitle: Single failed login\nid: 53ba33fd-3a50-4468-a5ef-c583635cfa92\nname: failed_login\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n    selection:\n        eventName: ConsoleLogin\n        responseElements.ConsoleLogin: Failure\n    condition: selection\n---\ntitle: Successful login\nid: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8\nname: successful_login\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n    selection:\n        eventName: ConsoleLogin\n        responseElements.ConsoleLogin: Success\n    condition: selection\n";
    let login = |s: i64, user: &str, ok: bool| {
        let mut e = ev(s, "ConsoleLogin", user, "192.0.2.1");
        e["responseElements"] = json!({"ConsoleLogin": if ok {"Success"} else {"Failure"}});
        e
    };
    let mut evs: Vec<Value> = (0..3).map(|i| login(i * 10, "mallory", false)).collect();
    evs.push(login(100, "mallory", true));
    // Two failures and a success for someone else: not enough failures.
    evs.extend((0..2).map(|i| login(i * 10, "alice", false)));
    evs.push(login(50, "alice", true));
    let got = fired(rules, &evs);
    // Only the outer correlation reports (the inner one and the rules have generate: false);
    // its evidence is the three failures and the success.
    assert_eq!(
        got,
        vec![(4, vec!["userIdentity.userName=mallory".to_string()])]
    );
    // Success before the failures: no order.
    let mut evs: Vec<Value> = vec![login(0, "mallory", true)];
    evs.extend((1..4).map(|i| login(i * 10, "mallory", false)));
    assert!(fired(rules, &evs).is_empty());
}

#[test]
fn aliases_and_generate() {
    // The same address as the source of A and as requestParameters.ip of B.
    let rules = format!(
        "{}---\n{}---\n{}",
        base_rule("a", "A"),
        base_rule("b", "B"),
        correlation("temporal", &["a", "b"], "  group-by: [addr]\n  timespan: 5m\n  generate: true\n  aliases:\n    addr:\n      a: sourceIPAddress\n      b: requestParameters.ip\n")
    );
    let mut b = ev(60, "B", "x", "198.51.100.9");
    b["requestParameters"] = json!({"ip": "192.0.2.7"});
    let got = fired(&rules, &[ev(0, "A", "u", "192.0.2.7"), b.clone()]);
    assert_eq!(got, vec![(2, vec!["addr=192.0.2.7".to_string()])]);
    let got = fired(&rules, &[ev(0, "A", "u", "192.0.2.8"), b]);
    assert!(got.is_empty());
    // generate: true keeps the referred rules' own findings.
    let mut sigma = SigmaRuleSet::new();
    sigma.load("c.yml", &rules);
    let files: Files = vec![("t.json".into(), aws_file(&[ev(0, "A", "u", "192.0.2.7")]))];
    let (_, a) = analyze(&files, &sigma, &AnalysisOptions::default());
    assert_eq!(keys(&a).iter().filter(|k| *k == "sigma:a").count(), 1);
}
