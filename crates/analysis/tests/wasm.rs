//! Analysis in the browser (wasm32): inline data, bundled tz database, report rendering.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use trailproof_analysis::report::{AuditReport, ReportInputs};
use trailproof_analysis::{analyze_in_memory, AnalysisOptions, SigmaRuleSet};
use trailproof_events::ingest::{Ingest, IngestOptions};

wasm_bindgen_test_configure!(run_in_browser);

const TRAIL: &[u8] = br#"{"Records":[
{"eventVersion":"1.09","eventTime":"2024-05-06T14:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.5","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"},"eventID":"e1","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"recipientAccountId":"111122223333"},
{"eventVersion":"1.09","eventTime":"2024-05-06T15:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.5","userIdentity":{"type":"IAMUser","userName":"<img src=x onerror=alert(1)>"},"eventID":"e2","recipientAccountId":"111122223333"}
]}"#;

const RULE: &str = "title: Trail stopped\nid: w1\nauthor: wasm test\nlevel: high\nlogsource: {product: aws}\ndetection:\n  sel:\n    eventName|startswith: Stop\n  condition: sel\n";

#[wasm_bindgen_test]
fn rules_sigma_coverage_and_report_in_the_browser() {
    let mut ingest = Ingest::new(IngestOptions::default());
    assert_eq!(ingest.add_file("trail.json", &mut &TRAIL[..]).events, 2);
    let store = ingest.finish();
    let mut sigma = SigmaRuleSet::new();
    sigma.load("w.yml", RULE);
    assert!(sigma.diagnostics().is_empty());
    let mut o = AnalysisOptions::default();
    // The bundled tz database works without a file system: 14:00Z is 22:00 in Shanghai.
    o.rules.business_hours.time_zone = "Asia/Shanghai".into();
    o.rules.logon_networks = vec!["10.0.0.0/8".parse().unwrap()];
    let as_of = store.time_span().unwrap().1;
    let a = analyze_in_memory(&store, &sigma, &o, None, as_of, &[("trail.json", TRAIL)]);
    let keys: Vec<String> = a.findings.iter().map(|f| f.rule.key()).collect();
    for k in [
        "root-logon",
        "logon-outside-business-hours",
        "logon-outside-allowed-networks",
        "console-logon-without-mfa",
        "logging-tampered",
        "sigma:w1",
    ] {
        assert!(keys.contains(&k.to_string()), "{k}: {keys:?}");
    }
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let html = AuditReport::build(&ReportInputs::new("trailproof wasm", &store, &a)).to_html();
    assert!(!html.contains("<img"));
    assert_eq!(
        html,
        AuditReport::build(&ReportInputs::new("trailproof wasm", &store, &a)).to_html()
    );
}
