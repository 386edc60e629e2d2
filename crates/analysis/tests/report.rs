//! The auditor report: golden files (byte-identical), escaping, CSV safety.
//!
//! Regenerate the golden files after an intended change with
//! `TRAILPROOF_UPDATE_GOLDEN=1 cargo test -p trailproof-analysis --test report`.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::json;
use sha2::{Digest, Sha256};
use trailproof_analysis::coverage::Requirement;
use trailproof_analysis::report::{AuditReport, InputFile, KeyUsed, ReportInputs};
use trailproof_analysis::{analyze_in_memory, AnalysisOptions, SigmaRuleSet};
use trailproof_core::report::{
    ChainSummary, DigestCell, Item, ItemKind, Provider, Reason, Report, Status,
};
use trailproof_events::time::parse_timestamp;

const XSS: &str = "<img src=x onerror=alert(1)>";

fn inputs() -> Files {
    let t = |s: &str| s.to_string();
    let aws_records = vec![
        aws(
            &t("2024-05-01T08:00:00Z"),
            "cloudtrail.amazonaws.com",
            "StopLogging",
            "mallory",
            "203.0.113.9",
            json!({}),
        ),
        aws(
            &t("2024-05-01T09:00:00Z"),
            "signin.amazonaws.com",
            "ConsoleLogin",
            "alice",
            "198.51.100.7",
            json!({"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}}),
        ),
        aws(
            &t("2024-05-02T10:00:00Z"),
            "iam.amazonaws.com",
            "CreateAccessKey",
            XSS,
            "198.51.100.7",
            json!({}),
        ),
        aws(
            &t("2024-05-04T10:00:00Z"),
            "ec2.amazonaws.com",
            "DescribeInstances",
            "alice",
            "198.51.100.7",
            json!({"readOnly":true}),
        ),
    ];
    let ali_records = vec![
        ali(
            &t("2024-05-01T01:00:00Z"),
            "Ram",
            "AttachPolicyToUser",
            "ops",
            "198.51.100.20",
            json!({}),
        ),
        ali(
            &t("2024-05-04T01:00:00Z"),
            "Ecs",
            "AuthorizeSecurityGroup",
            "ops",
            "198.51.100.20",
            json!({"requestParameters":{"SecurityGroupId":"sg-1","SourceCidrIp":"0.0.0.0/0"}}),
        ),
    ];
    let cts_records = vec![cts(
        &t("2024-05-03T12:00:00Z"),
        "CTS",
        "deleteTracker",
        "acme",
        "198.51.100.30",
        json!({}),
    )];
    vec![
        (
            "AWSLogs/111122223333/CloudTrail/us-east-1/trail.json".into(),
            aws_file(&aws_records),
        ),
        (
            "actiontrail/cn-hangzhou.json".into(),
            array_file(&ali_records),
        ),
        ("cts/trace.json".into(), array_file(&cts_records)),
    ]
}

const SIGMA: &str = "title: Key created by an odd name <script>\nid: golden-1\nauthor: Golden <b>tests</b>\nlevel: low\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: CreateAccessKey\n  condition: sel\n";

fn verification() -> Report {
    let mut missing = Item::new(
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/03/digest.json.gz",
        ItemKind::Digest,
        Status::Missing,
        Some(Reason::NotFound),
        "digest not supplied",
    );
    missing.chain = Some("c1".into());
    Report::new(
        vec![
            Item::new(
                "AWSLogs/111122223333/CloudTrail/us-east-1/trail.json",
                ItemKind::Log,
                Status::Valid,
                None,
                "hash matches",
            ),
            missing,
        ],
        vec![],
        vec![ChainSummary {
            id: "c1".into(),
            provider: Provider::Aws,
            account: "111122223333".into(),
            region: "us-east-1".into(),
            trail: "demo".into(),
            home_region: None,
            backfill: false,
            digests: vec![DigestCell {
                start: Some("2024-05-03T00:00:00Z".into()),
                end: "2024-05-03T01:00:00Z".into(),
                status: Status::Missing,
                reason: Some(Reason::NotFound),
                path: "d".into(),
            }],
            continues_before: None,
        }],
        vec![],
    )
}

fn build() -> (String, String, String) {
    let files = inputs();
    let store = load(&files);
    let mut sigma = SigmaRuleSet::new();
    sigma.load("rules/golden.yml", SIGMA);
    let mut o = AnalysisOptions::default();
    o.coverage.requirements = vec![Requirement::Mlps2, Requirement::Custom { days: 3 }];
    o.coverage.expected_regions = vec!["us-east-1".into(), "cn-hangzhou".into()];
    let verification = verification();
    let as_of = parse_timestamp("2024-05-04T12:00:00Z").unwrap();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let analysis = analyze_in_memory(&store, &sigma, &o, Some(&verification), as_of, &refs);
    let inputs: Vec<InputFile> = files
        .iter()
        .rev()
        .map(|(n, b)| InputFile {
            name: n.clone(),
            size: b.len() as u64,
            sha256: hex(&Sha256::digest(b)),
        })
        .collect();
    let report = AuditReport::build(&ReportInputs {
        tool_version: "trailproof 0.0.0-golden",
        inputs,
        keys: vec![KeyUsed {
            fingerprint: "da23189ac15abf20d62c34a105398215".into(),
            source: "keys.json".into(),
        }],
        verification: Some(&verification),
        store: &store,
        analysis: &analysis,
    });
    (report.to_html(), report.to_json(), report.findings_csv())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("TRAILPROOF_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (set TRAILPROOF_UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert!(expected == actual, "{name} differs from the golden file; rerun with TRAILPROOF_UPDATE_GOLDEN=1 if the change is intended");
}

#[test]
fn golden_files_are_byte_identical() {
    let (html, json, csv) = build();
    golden("report.html", &html);
    golden("report.json", &json);
    golden("findings.csv", &csv);
    // Reproducible within one process too.
    assert_eq!(build(), (html, json, csv));
}

#[test]
fn html_is_self_contained_and_escaped() {
    let (html, json, _) = build();
    assert!(!html.contains("<img"), "raw markup from an event");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.to_ascii_lowercase().contains("<script"));
    assert!(html.contains("Key created by an odd name &lt;script&gt;"));
    assert!(html.contains("Golden &lt;b&gt;tests&lt;/b&gt;"));
    for outside in ["http://", "https://", "src=\"", "href=", "url(", "@import"] {
        assert!(!html.contains(outside), "{outside}");
    }
    assert!(html.contains("@media print"));
    // Contents an auditor needs.
    for needle in [
        "As of <b>2024-05-04T12:00:00Z</b>",
        "trailproof 0.0.0-golden",
        "da23189ac15abf20d62c34a105398215",
        "not-found",
        "MLPS 2.0 (180 days)",
        "class=\"heat\"",
        "Sigma rule by Golden",
        "Events in verified files",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["as_of"], "2024-05-04T12:00:00Z");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["evidence"].as_array().is_some_and(|e| !e.is_empty())));
    let heat = v["coverage"]["heatmap"]["cells"].as_array().unwrap();
    assert!(
        heat.iter()
            .any(|c| c["region"] == "us-east-1" && c["day"] == "2024-05-03" && c["failed"] == true),
        "missing digest paints its day"
    );
}

#[test]
fn csv_quotes_and_defuses_formulas() {
    let (_, _, csv) = build();
    let mut lines = csv.split("\r\n");
    assert!(lines
        .next()
        .unwrap()
        .starts_with("time,level,rule,title,author"));
    assert!(
        csv.contains(",<img src=x onerror=alert(1)> created an access key with CreateAccessKey,")
    );
    assert!(csv.contains(
        ",\"Sigma rule \"\"Key created by an odd name <script>\"\" matched CreateAccessKey\","
    ));
    let files: Files = vec![(
        "f.json".into(),
        aws_file(&[aws(
            "2024-05-01T00:00:00Z",
            "iam.amazonaws.com",
            "CreateAccessKey",
            "=HYPERLINK(\"x\")",
            "198.51.100.1",
            json!({}),
        )]),
    )];
    let (store, a) = analyze(&files, &SigmaRuleSet::new(), &AnalysisOptions::default());
    let csv = AuditReport::build(&ReportInputs::new("t", &store, &a)).findings_csv();
    assert!(csv.contains(",\"'=HYPERLINK(\"\"x\"\")\","), "{csv}");
}
