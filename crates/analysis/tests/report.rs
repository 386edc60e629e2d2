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
    ChainSummary, DigestCell, Item, ItemKind, KeyUse, Provider, Reason, Report, Status,
};
use trailproof_core::tool::{Binary, Tool};
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
    let mut report = Report::new(
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
    );
    report.keys = vec![KeyUse {
        fingerprint: "da23189ac15abf20d62c34a105398215".into(),
        source: "keys.json".into(),
        valid_from: Some("2024-01-01T00:00:00Z".into()),
        valid_to: None,
        verified: 3,
    }];
    report
}

fn build() -> (String, String, String) {
    let report = build_with(None);
    (report.to_html(), report.to_json(), report.findings_csv())
}

fn build_with(tool: Option<Tool>) -> AuditReport {
    let files = inputs();
    let mut store = load(&files);
    let mut sigma = SigmaRuleSet::new();
    sigma.load("rules/golden.yml", SIGMA);
    let mut o = AnalysisOptions::default();
    o.coverage.requirements = vec![Requirement::Mlps2, Requirement::Custom { days: 3 }];
    o.coverage.expected_regions = vec!["us-east-1".into(), "cn-hangzhou".into()];
    let verification = verification();
    store.apply_report(&verification);
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
    AuditReport::build(&ReportInputs {
        tool_version: "trailproof 0.0.0-golden",
        build: tool,
        inputs,
        // Ignored: the verification report lists the keys it used.
        keys: vec![KeyUsed::supplied("ffff", "ignored.pem")],
        verification: Some(&verification),
        store: &store,
        analysis: &analysis,
    })
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
        "4 of 7 events verified · 3 have no integrity protection",
        "2024-01-01T00:00:00Z to …",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(!html.contains("ignored.pem"));
    // The order an auditor reads: summary, problems and verification first, then compliance
    // and findings, the input hash table last; the JSON keys follow the same order.
    let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle}"));
    let order = [
        "<h2>Summary</h2>",
        "<h2>Problems (1)</h2>",
        "<h2>Verification</h2>",
        "<h2>Retention and coverage</h2>",
        "<h2>Findings (",
        "<h2>Inputs (",
        "<footer>",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{} before {}", pair[0], pair[1]);
    }
    let keys: Vec<usize> = [
        "\"integrity\"",
        "\"verification\"",
        "\"coverage\"",
        "\"findings\"",
        "\"inputs\"",
    ]
    .iter()
    .map(|k| json.find(k).unwrap_or_else(|| panic!("{k}")))
    .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "JSON key order: {keys:?}"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["as_of"], "2024-05-04T12:00:00Z");
    assert_eq!(v["keys"][0]["verified"], 3);
    assert_eq!(v["integrity"]["verified"], 4);
    let states: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["events"].as_array().unwrap())
        .map(|e| e["integrity"].as_str().unwrap())
        .collect();
    assert!(states.contains(&"verified") && states.contains(&"unprotected"));
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

#[test]
fn conflicting_duplicates_are_a_high_finding_naming_both_files() {
    let record = |name: &str| {
        aws(
            "2024-05-01T08:00:00Z",
            "s3.amazonaws.com",
            name,
            "alice",
            "198.51.100.7",
            json!({"eventID": "5f3963f1-213a-7cd7-155f-a54773c12078"}),
        )
    };
    let files: Files = vec![
        (
            "delivered.json".into(),
            aws_file(&[record("PutBucketPolicy")]),
        ),
        ("forged.json".into(), aws_file(&[record("GetBucketPolicy")])),
    ];
    let mut store = load(&files);
    assert_eq!(store.len(), 2);
    let mut ok = Item::new("delivered.json", ItemKind::Log, Status::Valid, None, "ok");
    ok.proof = None;
    let verification = Report::new(vec![ok], vec![], vec![], vec![]);
    store.apply_report(&verification);
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let analysis = analyze_in_memory(
        &store,
        &SigmaRuleSet::new(),
        &AnalysisOptions::default(),
        Some(&verification),
        0,
        &refs,
    );
    let f: Vec<_> = analysis
        .findings
        .iter()
        .filter(|f| f.rule.key() == "conflicting-duplicate")
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].level, trailproof_analysis::Level::High);
    assert_eq!(f[0].evidence.len(), 2);
    assert!(
        f[0].message.contains("delivered.json (verified)")
            && f[0].message.contains("forged.json (failed)"),
        "{}",
        f[0].message
    );
    let report = AuditReport::build(&ReportInputs::new("t", &store, &analysis));
    assert_eq!(report.conflicting_files.len(), 2);
    assert_eq!((report.integrity.verified, report.integrity.failed), (1, 1));
    let html = report.to_html();
    // The conflicting files are listed among the problems, before the verification details.
    let problems = html.find("<h2>Problems").unwrap();
    let conflict = problems + html[problems..].find("conflicting-duplicate").unwrap();
    assert!(conflict < html.find("<h2>Verification</h2>").unwrap());
    // The CSV states each evidence row's integrity, in the order of `evidence_rows`.
    let csv = report.findings_csv();
    let mut lines = csv.lines();
    // The message before them holds commas (quoted): read the last three columns from the end.
    let header: Vec<&str> = lines.next().unwrap().rsplitn(4, ',').collect();
    assert_eq!(
        header[..3],
        ["evidence_integrity", "evidence_event_ids", "evidence_rows"]
    );
    let row: Vec<&str> = lines
        .find(|l| l.contains(",conflicting-duplicate,"))
        .unwrap()
        .rsplitn(4, ',')
        .collect();
    let rows: Vec<usize> = row[2].split(' ').map(|r| r.parse().unwrap()).collect();
    let states: Vec<&str> = row[0].split(' ').collect();
    assert_eq!(rows.len(), states.len());
    for (r, state) in rows.iter().zip(&states) {
        assert_eq!(*state, store.integrity(*r).as_str(), "row {r}");
    }
    let mut sorted = states.clone();
    sorted.sort();
    assert_eq!(sorted, ["failed", "verified"]);
}

#[test]
fn the_build_is_stated_in_json_and_html() {
    let commit = "0123456789abcdef0123456789abcdef01234567+dirty";
    let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let tool = Tool {
        version: "0.0.0-golden".into(),
        commit: commit.into(),
        binaries: vec![Binary {
            name: "worker_bg.wasm".into(),
            sha256: sha.into(),
        }],
    };
    let report = build_with(Some(tool));
    let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(v["build"]["version"], "0.0.0-golden");
    assert_eq!(v["build"]["commit"], commit);
    assert_eq!(v["build"]["binaries"][0]["name"], "worker_bg.wasm");
    assert_eq!(v["build"]["binaries"][0]["sha256"], sha);
    // The old field stays as it was.
    assert_eq!(v["tool"], "trailproof 0.0.0-golden");
    let html = report.to_html();
    let footer = &html[html.find("<footer>").unwrap()..];
    assert!(footer.contains(&format!("<code class=\"commit\">{commit}</code>")));
    assert!(footer.contains(&format!(
        "<code class=\"sha256\" data-file=\"worker_bg.wasm\">{sha}</code>"
    )));
    // Without a build (tests of other parts), nothing is claimed.
    let (html, json, _) = build();
    assert!(!html.contains("kv build") && !json.contains("\"build\""));
}

/// The requirement the auditor chose is named, and its verdict comes before the others', in
/// the summary and in the retention section; without a choice the report says so and lists
/// every verdict in the analysis's order. A choice the analysis did not judge is refused.
#[test]
fn report_names_the_chosen_requirement_and_puts_it_first() {
    let mlps = "MLPS 2.0 (180 days)";
    let custom = "Custom (3 days)";
    // (choice, recorded, summary text, retention paragraph, table order)
    type Case = (
        Option<Requirement>,
        bool,
        &'static str,
        &'static str,
        [&'static str; 2],
    );
    let cases: [Case; 4] = [
        (
            None,
            false,
            "No requirement chosen: all listed; 0 met, 2 not met",
            "No requirement chosen: all listed.",
            [mlps, custom],
        ),
        (
            Some(Requirement::Custom { days: 3 }),
            true,
            "Custom (3 days) (chosen by the auditor): <span class=\"o-fail\">fail</span>; other requirements: 0 met, 1 not met",
            "Requirement that applies, as chosen by the auditor: <b>Custom (3 days)</b>: <span class=\"o-fail\">fail</span>.",
            [custom, mlps],
        ),
        (
            Some(Requirement::Mlps2),
            true,
            "MLPS 2.0 (180 days) (chosen by the auditor): <span class=\"o-fail\">fail</span>; other requirements: 0 met, 1 not met",
            "Requirement that applies, as chosen by the auditor: <b>MLPS 2.0 (180 days)</b>: <span class=\"o-fail\">fail</span>.",
            [mlps, custom],
        ),
        // Not judged by this analysis: nothing is recorded, the report reads as unchosen.
        (
            Some(Requirement::Sox),
            false,
            "No requirement chosen: all listed",
            "No requirement chosen: all listed.",
            [mlps, custom],
        ),
    ];
    for (choice, recorded, summary, retention, order) in cases {
        let mut report = build_with(None);
        if let Some(r) = choice {
            assert_eq!(report.choose_requirement(r), recorded, "{choice:?}");
        }
        let html = report.to_html();
        let summary_at = html
            .find(summary)
            .unwrap_or_else(|| panic!("{choice:?}: summary {summary:?} in\n{html}"));
        let retention_at = html
            .find(retention)
            .unwrap_or_else(|| panic!("{choice:?}: retention {retention:?}"));
        let section = html.find("<h2>Retention and coverage</h2>").unwrap();
        assert!(summary_at < section && section < retention_at, "{choice:?}");
        let row = |name: &str| {
            html[section..]
                .find(&format!("<td>{name}</td>"))
                .unwrap_or_else(|| panic!("{choice:?}: row {name}"))
        };
        assert!(row(order[0]) < row(order[1]), "{choice:?}: {order:?}");
        let chosen_rows = html.matches("<tr class=\"chosen\">").count();
        assert_eq!(chosen_rows, usize::from(recorded), "{choice:?}");
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let expected = match (choice, recorded) {
            (Some(r), true) => serde_json::to_value(r).unwrap(),
            _ => serde_json::Value::Null,
        };
        assert_eq!(json["chosen_requirement"], expected, "{choice:?}");
    }
}
