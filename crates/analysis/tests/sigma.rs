//! The Sigma engine: spec-style examples, modifiers, conditions, correlations, diagnostics,
//! and real-world-style rules written here (not copied from any rule repository).

mod common;

use common::*;
use serde_json::{json, Value};
use trailproof_analysis::finding::{Detail, Level, RuleRef};
use trailproof_analysis::sigma::{Issue, Severity};
use trailproof_analysis::{AnalysisOptions, SigmaRuleSet};
use trailproof_events::Provider;

fn rule(text: &str) -> SigmaRuleSet {
    let mut s = SigmaRuleSet::new();
    s.load("test.yml", text);
    s
}

fn one(text: &str) -> SigmaRuleSet {
    let s = rule(text);
    assert!(s.diagnostics().is_empty(), "{:#?}", s.diagnostics());
    assert_eq!(s.rules().len(), 1);
    s
}

fn m(set: &SigmaRuleSet, v: Value) -> bool {
    set.rules()[0].matches(Provider::Aws, &v)
}

fn head(detection: &str) -> String {
    format!("title: t\nid: r1\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{detection}")
}

#[test]
fn selections_lists_and_maps() {
    let s = one(&head("  sel:\n    eventSource: iam.amazonaws.com\n    eventName:\n      - CreateUser\n      - DeleteUser\n  condition: sel\n"));
    assert!(
        m(
            &s,
            json!({"eventSource":"iam.amazonaws.com","eventName":"deleteuser"})
        ),
        "case-insensitive by default"
    );
    assert!(!m(
        &s,
        json!({"eventSource":"iam.amazonaws.com","eventName":"ListUsers"})
    ));
    assert!(!m(&s, json!({"eventName":"CreateUser"})));
    // A list of maps is an OR of ANDs.
    let s = one(&head("  sel:\n    - eventName: A\n      awsRegion: us-east-1\n    - eventName: B\n  condition: sel\n"));
    assert!(m(&s, json!({"eventName":"A","awsRegion":"us-east-1"})));
    assert!(!m(&s, json!({"eventName":"A","awsRegion":"eu-west-1"})));
    assert!(m(&s, json!({"eventName":"B"})));
    // Wildcards and escapes.
    let s = one(&head(
        "  sel:\n    eventName: 'Put*Policy'\n    userAgent: 'x\\*y?'\n  condition: sel\n",
    ));
    assert!(m(
        &s,
        json!({"eventName":"PutBucketPolicy","userAgent":"x*yz"})
    ));
    assert!(!m(
        &s,
        json!({"eventName":"PutBucketPolicy","userAgent":"xAyz"})
    ));
    // Nested fields, arrays looked through, null means absent.
    let s = one(&head(
        "  sel:\n    userIdentity.type: Root\n    errorCode: null\n  condition: sel\n",
    ));
    assert!(m(&s, json!({"userIdentity":{"type":"Root"}})));
    assert!(!m(
        &s,
        json!({"userIdentity":{"type":"Root"},"errorCode":"AccessDenied"})
    ));
    // Numbers and booleans.
    let s = one(&head(
        "  sel:\n    requestParameters.fromPort: 22\n    readOnly: false\n  condition: sel\n",
    ));
    assert!(m(
        &s,
        json!({"requestParameters":{"fromPort":22},"readOnly":false})
    ));
    assert!(m(
        &s,
        json!({"requestParameters":{"fromPort":"22"},"readOnly":"false"})
    ));
    assert!(!m(
        &s,
        json!({"requestParameters":{"fromPort":23},"readOnly":false})
    ));
    // Keywords search every string of the record.
    let s = one(&head(
        "  keywords:\n    - 'evil.example'\n  condition: keywords\n",
    ));
    assert!(m(
        &s,
        json!({"requestParameters":{"bucketPolicy":{"x":"https://EVIL.example/p"}}})
    ));
    assert!(!m(&s, json!({"a":"b"})));
}

#[test]
fn modifiers() {
    let s = one(&head("  sel:\n    eventName|contains: Policy\n    userAgent|startswith: aws-cli\n    sourceIPAddress|endswith: '.7'\n  condition: sel\n"));
    assert!(m(
        &s,
        json!({"eventName":"PutBucketPolicy","userAgent":"aws-cli/2.0","sourceIPAddress":"198.51.100.7"})
    ));
    assert!(!m(
        &s,
        json!({"eventName":"PutBucketPolicy","userAgent":"boto3 aws-cli","sourceIPAddress":"198.51.100.7"})
    ));
    let s = one(&head(
        "  sel:\n    userAgent|contains|all:\n      - python\n      - boto\n  condition: sel\n",
    ));
    assert!(m(&s, json!({"userAgent":"Boto3/1.0 Python/3.11"})));
    assert!(!m(&s, json!({"userAgent":"python-requests"})));
    let s = one(&head(
        "  sel:\n    eventName|re: '^(Stop|Delete)\\w+$'\n  condition: sel\n",
    ));
    assert!(m(&s, json!({"eventName":"StopLogging"})));
    assert!(
        !m(&s, json!({"eventName":"stoplogging"})),
        "re is case-sensitive"
    );
    let s = one(&head(
        "  sel:\n    eventName|re|i: '^stop'\n  condition: sel\n",
    ));
    assert!(m(&s, json!({"eventName":"StopLogging"})));
    let s = one(&head("  sel:\n    sourceIPAddress|cidr:\n      - 10.0.0.0/8\n      - '2001:db8::/32'\n  condition: sel\n"));
    assert!(m(&s, json!({"sourceIPAddress":"10.2.3.4"})));
    assert!(m(&s, json!({"sourceIPAddress":"2001:db8::1"})));
    assert!(!m(&s, json!({"sourceIPAddress":"ec2.amazonaws.com"})));
    let s = one(&head(
        "  sel:\n    additionalEventData.MFAUsed|exists: true\n  condition: sel\n",
    ));
    assert!(m(&s, json!({"additionalEventData":{"MFAUsed":"No"}})));
    assert!(!m(&s, json!({"additionalEventData":{}})));
    let s = one(&head("  sel:\n    requestParameters.maxResults|gte: 100\n    requestParameters.fromPort|lt: 1024\n  condition: sel\n"));
    assert!(m(
        &s,
        json!({"requestParameters":{"maxResults":100,"fromPort":22}})
    ));
    assert!(!m(
        &s,
        json!({"requestParameters":{"maxResults":99,"fromPort":22}})
    ));
    assert!(!m(
        &s,
        json!({"requestParameters":{"maxResults":500,"fromPort":"8080"}})
    ));
    let s = one(&head(
        "  sel:\n    eventName|cased: StopLogging\n  condition: sel\n",
    ));
    assert!(!m(&s, json!({"eventName":"stoplogging"})));
}

#[test]
fn conditions() {
    let d = "  selection_a:\n    eventName: A\n  selection_b:\n    awsRegion: r1\n  filter:\n    userIdentity.type: AWSService\n";
    let case = |cond: &str, v: Value| -> bool {
        let s = one(&head(&format!("{d}  condition: {cond}\n")));
        m(&s, v)
    };
    let ev =
        |a: &str, r: &str, t: &str| json!({"eventName":a,"awsRegion":r,"userIdentity":{"type":t}});
    assert!(case("selection_a and not filter", ev("A", "x", "IAMUser")));
    assert!(!case(
        "selection_a and not filter",
        ev("A", "x", "AWSService")
    ));
    assert!(case("1 of selection_*", ev("Z", "r1", "IAMUser")));
    assert!(!case("all of selection_*", ev("Z", "r1", "IAMUser")));
    assert!(case("all of selection_*", ev("A", "r1", "IAMUser")));
    assert!(case("1 of them", ev("Z", "z", "AWSService")));
    assert!(!case("all of them", ev("A", "r1", "IAMUser")));
    assert!(case(
        "(selection_a or selection_b) and not filter",
        ev("Z", "r1", "Root")
    ));
    assert!(case(
        "not (selection_a or selection_b)",
        ev("Z", "z", "Root")
    ));
    assert!(
        case(
            "selection_a or selection_b and filter",
            ev("A", "z", "Root")
        ),
        "and binds tighter than or"
    );
    // `them` leaves out names starting with an underscore.
    let s = one(&head(
        "  sel:\n    eventName: A\n  _helper:\n    eventName: B\n  condition: all of them\n",
    ));
    assert!(m(&s, json!({"eventName":"A"})));
    // A list of conditions is an OR.
    let s = one(&head(
        "  a:\n    eventName: A\n  b:\n    eventName: B\n  condition:\n    - a\n    - b\n",
    ));
    assert!(m(&s, json!({"eventName":"B"})));
}

#[test]
fn unsupported_constructs_are_reported() {
    let issue = |text: &str| -> Issue {
        let s = rule(text);
        assert!(s.rules().is_empty(), "loaded: {text}");
        let d = s.diagnostics();
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(!d[0].message().is_empty());
        d[0].issue.clone()
    };
    assert!(
        matches!(issue(&head("  sel:\n    eventTime|minutes: 5\n  condition: sel\n")), Issue::UnsupportedModifier { modifier, .. } if modifier == "minutes")
    );
    assert!(matches!(
        issue(&head(
            "  sel:\n    eventName|utf16le|contains: x\n  condition: sel\n"
        )),
        Issue::UnsupportedCombination { .. }
    ));
    assert!(matches!(
        issue(&head(
            "  sel:\n    eventName: x\n  condition: sel | count() by userIdentity.arn > 5\n"
        )),
        Issue::UnsupportedCondition { .. }
    ));
    assert!(
        matches!(issue(&head("  sel:\n    eventName: x\n  condition: sel and other\n")), Issue::UnknownIdentifier { name } if name == "other")
    );
    assert!(matches!(
        issue(&head(
            "  sel:\n    eventName: x\n  condition: 1 of nothing_*\n"
        )),
        Issue::UnknownIdentifier { .. }
    ));
    assert!(matches!(
        issue(&head("  sel:\n    eventName: x\n  condition: sel and (\n")),
        Issue::UnsupportedCondition { .. }
    ));
    assert!(matches!(
        issue(&head("  sel:\n    eventName: x\n")),
        Issue::MissingCondition
    ));
    assert!(matches!(
        issue(&head("  sel:\n    eventName|re: '(['\n  condition: sel\n")),
        Issue::BadRegex { .. }
    ));
    assert!(matches!(
        issue(&head(
            "  sel:\n    sourceIPAddress|cidr: 10.0.0.0/99\n  condition: sel\n"
        )),
        Issue::BadCidr { .. }
    ));
    assert!(matches!(
        issue("title: t\nlogsource: {product: aws}\n"),
        Issue::MissingDetection
    ));
    assert!(matches!(issue("title: [unclosed\n"), Issue::Yaml { .. }));
    assert!(matches!(issue("a: &x [1]\nb: *x\n"), Issue::Aliases));
    let mut laughs = String::from("l0: &l0 [x, x, x, x, x, x, x, x]\n");
    for i in 1..40 {
        laughs.push_str(&format!(
            "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n",
            p = i - 1
        ));
    }
    assert!(
        matches!(issue(&laughs), Issue::Aliases),
        "billion laughs refused before expansion"
    );
    // An ampersand in text is not an anchor.
    let s = rule(&format!("description: |\n  Detects keys &secrets & more\nreferences:\n  - https://example.invalid/?a=1&b=2\n{}", head("  sel:\n    eventName: x\n  condition: sel\n")));
    assert!(s.diagnostics().is_empty(), "{:#?}", s.diagnostics());
    let s = rule("title: win\nlogsource: {product: windows, service: security}\ndetection: {sel: {EventID: 4625}, condition: sel}\n");
    assert_eq!(s.diagnostics()[0].severity, Severity::Info);
    assert!(
        matches!(&s.diagnostics()[0].issue, Issue::NotApplicable { logsource } if logsource == "windows/security")
    );
    // A correlation type that is not implemented.
    let s = rule("title: base\nname: base\nlogsource: {product: aws}\ndetection: {sel: {eventName: x}, condition: sel}\n---\ntitle: vs\ncorrelation:\n  type: value_sum\n  rules: [base]\n  group-by: [userIdentity.arn]\n  timespan: 1h\n  condition: {gte: 3, field: bytes}\n");
    assert!(
        s.diagnostics().iter().any(
            |d| matches!(&d.issue, Issue::UnsupportedCorrelationType { correlation_type } if correlation_type == "value_sum")
        ),
        "{:#?}",
        s.diagnostics()
    );
    // A correlation whose rule never appears.
    let s = rule("title: c\ncorrelation:\n  type: event_count\n  rules: [ghost]\n  timespan: 5m\n  condition: {gte: 2}\n");
    assert!(
        matches!(&s.diagnostics()[0].issue, Issue::UnknownRuleReference { reference } if reference == "ghost")
    );
    // Hostile inputs do not panic.
    for text in [
        "",
        "---\n---\n",
        "[1,2",
        "detection: 5",
        "title: x\ndetection:\n  condition: 5\n",
        &"(".repeat(10_000),
        "title: t\nlogsource: {product: aws}\ndetection: {sel: {a: [{b: c}]}, condition: sel}\n",
    ] {
        let _ = rule(text).diagnostics();
    }
    let deep = format!("title: t\nlogsource: {{product: aws}}\ndetection:\n  sel: {{eventName: x}}\n  condition: {}sel{}\n", "not (".repeat(200), ")".repeat(200));
    assert!(matches!(
        rule(&deep).diagnostics()[0].issue,
        Issue::UnsupportedCondition { .. }
    ));
}

// Real-world-style rules, written for these tests.

const STOP_LOGGING: &str = r#"
title: CloudTrail logging stopped or trail removed
id: 7f0c2b8e-0000-4000-8000-000000000001
status: test
author: Trailproof tests
level: high
logsource:
  product: aws
  service: cloudtrail
detection:
  selection_source:
    eventSource: cloudtrail.amazonaws.com
  selection_name:
    eventName:
      - StopLogging
      - DeleteTrail
  condition: all of selection_*
"#;

const CONSOLE_NO_MFA: &str = r#"
title: Console sign-in without MFA
id: 7f0c2b8e-0000-4000-8000-000000000002
author: Trailproof tests
level: medium
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: ConsoleLogin
    additionalEventData.MFAUsed: 'No'
    responseElements.ConsoleLogin: Success
  filter_federated:
    userIdentity.type: AssumedRole
  condition: selection and not filter_federated
"#;

const BRUTE_FORCE: &str = r#"
title: Failed console sign-in
name: failed_console_signin
id: 7f0c2b8e-0000-4000-8000-000000000003
author: Trailproof tests
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Failure
  condition: selection
---
title: Console brute force
id: 7f0c2b8e-0000-4000-8000-000000000004
author: Trailproof tests
level: high
correlation:
  type: event_count
  rules:
    - failed_console_signin
  group-by:
    - sourceIPAddress
  timespan: 10m
  condition:
    gte: 4
"#;

fn login(t: &str, user: &str, ip: &str, ok: bool, mfa: &str) -> Value {
    aws(
        t,
        "signin.amazonaws.com",
        "ConsoleLogin",
        user,
        ip,
        json!({"responseElements":{"ConsoleLogin": if ok {"Success"} else {"Failure"}},"additionalEventData":{"MFAUsed":mfa}}),
    )
}

fn minute(n: i64) -> String {
    trailproof_events::time::format_rfc3339(1_714_550_400_000 + n * 60_000)
}

#[test]
fn real_world_style_rules_end_to_end() {
    let mut sigma = SigmaRuleSet::new();
    sigma.load("stop.yml", STOP_LOGGING);
    sigma.load("mfa.yml", CONSOLE_NO_MFA);
    sigma.load("brute.yml", BRUTE_FORCE);
    assert!(sigma.diagnostics().is_empty(), "{:#?}", sigma.diagnostics());
    assert_eq!(sigma.correlations().len(), 1);
    let mut records = vec![
        aws(
            &minute(0),
            "cloudtrail.amazonaws.com",
            "StopLogging",
            "mallory",
            "203.0.113.9",
            json!({}),
        ),
        aws(
            &minute(1),
            "cloudtrail.amazonaws.com",
            "DescribeTrails",
            "mallory",
            "203.0.113.9",
            json!({}),
        ),
        login(&minute(2), "alice", "198.51.100.1", true, "No"),
        login(&minute(3), "bob", "198.51.100.1", true, "Yes"),
    ];
    // Four failures from one IP within 10 minutes (one group), three from another.
    records.extend((0..4).map(|i| {
        login(
            &minute(10 + i),
            &format!("u{i}"),
            "203.0.113.50",
            false,
            "No",
        )
    }));
    records.extend((0..3).map(|i| login(&minute(10 + i), "v", "203.0.113.51", false, "No")));
    let files: Files = vec![("trail.json".into(), aws_file(&records))];
    let (store, a) = analyze(&files, &sigma, &AnalysisOptions::default());
    let sig: Vec<_> = a
        .findings
        .iter()
        .filter(|f| matches!(f.rule, RuleRef::Sigma { .. }))
        .collect();
    let titles: Vec<&str> = sig.iter().map(|f| f.rule.title()).collect();
    assert_eq!(
        titles,
        [
            "CloudTrail logging stopped or trail removed",
            "Console sign-in without MFA",
            "Console brute force"
        ],
        "{sig:#?}"
    );
    assert_eq!(sig[0].level, Level::High);
    match &sig[0].rule {
        RuleRef::Sigma {
            id, author, source, ..
        } => {
            assert_eq!(id, "7f0c2b8e-0000-4000-8000-000000000001");
            assert_eq!(author, "Trailproof tests");
            assert_eq!(source, "stop.yml");
        }
        r => panic!("{r:?}"),
    }
    let brute = sig[2];
    assert_eq!(brute.evidence.len(), 4);
    assert!(
        matches!(&brute.detail, Detail::SigmaCorrelation { count: 4, group, timespan_secs: 600 } if group == &vec!["sourceIPAddress=203.0.113.50".to_string()])
    );
    // Evidence rows point at the right events.
    for e in &brute.evidence {
        assert_eq!(
            store.text(e.row, trailproof_events::Field::SourceIp),
            "203.0.113.50"
        );
    }
    // The base rule of the correlation does not report on its own (generate is false).
    assert!(!a
        .findings
        .iter()
        .any(|f| f.rule.title() == "Failed console sign-in"));
    // Disabling by key.
    let mut o = AnalysisOptions::default();
    o.rules
        .disabled
        .insert("sigma:7f0c2b8e-0000-4000-8000-000000000001".into());
    let (_, a) = analyze(&files, &sigma, &o);
    assert!(!a
        .findings
        .iter()
        .any(|f| f.rule.title() == "CloudTrail logging stopped or trail removed"));
}

#[test]
fn rules_without_product_map_fields_per_provider() {
    let text = "title: Any provider deletes a user\nid: any-1\nauthor: t\ndetection:\n  sel:\n    eventName:\n      - DeleteUser\n      - deleteUser\n    sourceIPAddress|cidr: 198.51.100.0/24\n  condition: sel\n";
    let sigma = one(text);
    let files: Files = vec![
        (
            "aws.json".into(),
            aws_file(&[
                aws(
                    &minute(0),
                    "iam.amazonaws.com",
                    "DeleteUser",
                    "a",
                    "198.51.100.1",
                    json!({}),
                ),
                aws(
                    &minute(1),
                    "iam.amazonaws.com",
                    "DeleteUser",
                    "a",
                    "10.0.0.1",
                    json!({}),
                ),
            ]),
        ),
        (
            "ali.json".into(),
            array_file(&[ali(
                &minute(2),
                "Ram",
                "DeleteUser",
                "b",
                "198.51.100.2",
                json!({}),
            )]),
        ),
        (
            "cts.json".into(),
            array_file(&[cts(
                &minute(3),
                "IAM",
                "deleteUser",
                "c",
                "198.51.100.3",
                json!({}),
            )]),
        ),
        (
            "gcp.json".into(),
            ndjson(&[gcp(
                &minute(4),
                "admin.googleapis.com",
                "DeleteUser",
                "d@example.com",
                "198.51.100.4",
                json!({}),
            )]),
        ),
    ];
    let (_, a) = analyze(&files, &sigma, &AnalysisOptions::default());
    let providers: Vec<&str> = a
        .findings
        .iter()
        .filter(|f| f.rule.key() == "sigma:any-1")
        .map(|f| f.provider.as_str())
        .collect();
    assert_eq!(providers, ["aws", "alibaba", "huawei", "gcp"]);
    // A product-specific rule stays on its provider.
    let sigma = one("title: ali only\nid: ali-1\nlogsource: {product: alibaba}\ndetection:\n  sel:\n    sourceIpAddress: 198.51.100.2\n  condition: sel\n");
    let (_, a) = analyze(&files, &sigma, &AnalysisOptions::default());
    assert_eq!(count(&a, "sigma:ali-1"), 1);
}

#[test]
fn normalized_prefilter_agrees_with_raw_evaluation() {
    // Negations over fields the columns hold exactly must give the same answer as raw JSON.
    let sigma = one(&head("  sel:\n    eventSource: iam.amazonaws.com\n  f:\n    eventName|startswith: List\n  condition: sel and not f\n"));
    let records: Vec<Value> = ["ListUsers", "CreateUser", "GetUser"]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            aws(
                &minute(i as i64),
                "iam.amazonaws.com",
                n,
                "a",
                "198.51.100.1",
                json!({}),
            )
        })
        .collect();
    let (_, a) = analyze(
        &vec![("t.json".into(), aws_file(&records))],
        &sigma,
        &AnalysisOptions::default(),
    );
    assert_eq!(count(&a, "sigma:r1"), 2);
    for r in &records {
        let expected = !r["eventName"].as_str().unwrap().starts_with("List");
        assert_eq!(sigma.rules()[0].matches(Provider::Aws, r), expected);
    }
}

/// A small deterministic generator (no dependency): xorshift.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn random_rules_and_records_never_panic() {
    let fields = [
        "eventName",
        "userIdentity.type",
        "a.b.c",
        "requestParameters",
        "x",
        "sourceIPAddress",
        "",
    ];
    let mods = [
        "",
        "|contains",
        "|startswith",
        "|endswith",
        "|re",
        "|cidr",
        "|exists",
        "|gt",
        "|lte",
        "|all",
        "|contains|all",
        "|re|i",
        "|cased",
        "|bogus",
    ];
    let values = [
        "'*'",
        "'?'",
        "'\\\\'",
        "null",
        "true",
        "5",
        "-1.5",
        "'10.0.0.0/8'",
        "'(['",
        "'a*b?c'",
        "[]",
        "['x', 'y']",
        "{k: v}",
        "''",
        "'::/0'",
    ];
    let conds = [
        "sel",
        "not sel",
        "sel and other",
        "1 of sel*",
        "all of them",
        "sel or (other and not sel)",
        "(((sel)))",
        "sel |",
        "1 of",
        "not",
        "them",
        "sel and and other",
    ];
    let records = [
        json!({"eventName":"A","userIdentity":{"type":"Root"},"a":{"b":[{"c":1},{"c":"x"}]},"sourceIPAddress":"10.1.1.1"}),
        json!({"requestParameters":"{\"x\":[1,2,{\"y\":null}]}","x":[[],{}],"a.b.c":true}),
        json!([1, "two", null]),
        json!("just text"),
        json!({}),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let mut text = String::from("title: r\nlogsource: {product: aws}\ndetection:\n  sel:\n");
        for _ in 0..(1 + rng.next() % 3) {
            text.push_str(&format!(
                "    {}{}: {}\n",
                rng.pick(&fields),
                rng.pick(&mods),
                rng.pick(&values)
            ));
        }
        text.push_str(&format!(
            "  other:\n    - {}\n  condition: {}\n",
            rng.pick(&values),
            rng.pick(&conds)
        ));
        let set = rule(&text);
        for r in set.rules() {
            for rec in &records {
                let _ = r.matches(Provider::Aws, rec);
            }
        }
        for d in set.diagnostics() {
            assert!(!d.message().is_empty());
        }
    }
}
