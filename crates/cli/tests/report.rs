//! `trailproof report` end to end: fixtures in, HTML/JSON/CSV out, reproducible, usage errors.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailproof"))
}

fn fixtures() -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
        std::path::PathBuf::from,
    )
}

fn temp(label: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "trailproof-report-{}-{}-{label}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The top level of a fixture folder (no `negative/`), copied.
fn copy_fixture(name: &str) -> PathBuf {
    let dir = temp(name);
    for e in fs::read_dir(fixtures().join(name)).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            fs::write(dir.join(p.file_name().unwrap()), fs::read(&p).unwrap()).unwrap();
        }
    }
    dir
}

fn report(args: &[&str], inputs: &[&Path]) -> Output {
    bin()
        .arg("report")
        .args(args)
        .args(inputs)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn json_report_over_signed_fixtures() {
    let aws = copy_fixture("synthetic_aws");
    let v = json(&report(
        &[
            "--format",
            "json",
            "--expect-region",
            "us-east-1,eu-west-1",
            "--require",
            "mlps,30",
        ],
        &[&aws],
    ));
    assert_eq!(v["verification"]["verdict"], "valid");
    assert!(v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["fingerprint"] == "da23189ac15abf20d62c34a105398215"));
    // Inputs carry size and SHA-256 of the bytes as stored.
    let log = "111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
    let bytes = fs::read(aws.join(log)).unwrap();
    let input = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == log)
        .unwrap();
    assert_eq!(input["size"], bytes.len() as u64);
    assert_eq!(input["sha256"].as_str().unwrap().len(), 64);
    // Without --as-of the report is as of the newest event.
    let last = v["coverage"]["last_ms"].as_i64().unwrap();
    assert_eq!(v["as_of"], trailproof_events::time::format_rfc3339(last));
    let reqs = v["coverage"]["requirements"].as_array().unwrap();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0]["outcome"], "fail");
    assert_eq!(reqs[1]["requirement"]["preset"], "custom");
    let checks = v["coverage"]["checks"].as_array().unwrap();
    assert!(checks
        .iter()
        .any(|c| c["check"] == "expected-regions" && c["reason"] == "no events from eu-west-1"));
    assert!(
        checks
            .iter()
            .any(|c| c["check"] == "verified-share" && c["outcome"] == "pass"),
        "{checks:#?}"
    );
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"]["rule"] == "permission-change"));
    fs::remove_dir_all(aws).ok();
}

#[test]
fn html_is_reproducible_and_written_to_a_file() {
    let aws = copy_fixture("synthetic_aws");
    let out_dir = temp("out");
    let a = out_dir.join("a.html");
    let b = out_dir.join("b.html");
    for path in [&a, &b] {
        let o = report(
            &[
                "--as-of",
                "2024-06-01T00:00:00Z",
                "-o",
                path.to_str().unwrap(),
            ],
            &[&aws],
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.stdout.is_empty());
    }
    let html = fs::read(&a).unwrap();
    assert_eq!(
        html,
        fs::read(&b).unwrap(),
        "same inputs and as-of must give the same bytes"
    );
    let html = String::from_utf8(html).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("As of <b>2024-06-01T00:00:00Z</b>"));
    assert!(!html.contains("<script"));
    fs::remove_dir_all(aws).ok();
    fs::remove_dir_all(out_dir).ok();
}

#[test]
fn tampered_log_shows_in_coverage() {
    let aws = copy_fixture("synthetic_aws");
    let name = "111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
    fs::copy(
        fixtures()
            .join("synthetic_aws/negative")
            .join(format!("tampered_{name}")),
        aws.join(name),
    )
    .unwrap();
    let v = json(&report(&["--format", "json"], &[&aws]));
    assert_eq!(v["verification"]["verdict"], "invalid");
    assert!(v["coverage"]["failed_events"].as_u64().unwrap() > 0);
    assert!(v["coverage"]["heatmap"]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["failed"] == true));
    fs::remove_dir_all(aws).ok();
}

#[test]
fn sigma_rules_from_a_directory_and_csv() {
    let aws = copy_fixture("synthetic_aws");
    let rules = temp("rules");
    fs::write(rules.join("policy.yml"), "title: Bucket policy changed\nid: cli-1\nauthor: CLI test\nlevel: medium\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|endswith: BucketPolicy\n  condition: sel\n").unwrap();
    fs::write(rules.join("broken.yaml"), "title: broken\ndetection: [\n").unwrap();
    fs::write(rules.join("notes.txt"), "not a rule").unwrap();
    let o = report(
        &[
            "--format",
            "csv",
            "--rules",
            rules.to_str().unwrap(),
            "--disable",
            "permission-change",
        ],
        &[&aws],
    );
    assert_eq!(o.status.code(), Some(0));
    let csv = String::from_utf8(o.stdout).unwrap();
    assert!(csv.starts_with("time,level,rule,title,author,"));
    assert!(
        csv.contains(",sigma:cli-1,Bucket policy changed,CLI test,aws,"),
        "{csv}"
    );
    assert!(!csv.contains(",permission-change,"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("broken.yaml") && err.contains("not valid YAML"),
        "{err}"
    );
    fs::remove_dir_all(aws).ok();
    fs::remove_dir_all(rules).ok();
}

#[test]
fn usage_errors_exit_2() {
    let aws = fixtures().join("synthetic_aws");
    for args in [
        vec!["--as-of", "yesterday"],
        vec!["--rules", "/nonexistent/rules"],
        vec!["--keys", "/nonexistent/keys.json"],
        vec!["--require", "forever"],
        vec!["--allow-ip", "10.0.0.0/99"],
        vec!["--business-hours", "18-8"],
    ] {
        let o = report(&args, &[&aws]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = report(&[], &[Path::new("/nonexistent/input")]);
    assert_eq!(o.status.code(), Some(2));
}
