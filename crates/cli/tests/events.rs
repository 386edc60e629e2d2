//! `trailproof events` end to end.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailproof"))
}

fn fixtures() -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
        std::path::PathBuf::from,
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .arg("events")
        .args(args)
        .output()
        .expect("run trailproof");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trailproof-events-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn json_lines_over_the_fixture_tree() {
    let dir = fixtures();
    let (code, stdout, stderr) = run(&["--format", "json", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 2 + 6 + 3 AWS, 3 Alibaba, 3 CTS, 11 GCP, 4 Azure; the .json/.json.gz copies and the
    // identical records of synthetic_aws/negative deduplicated, and one more: the forged
    // version of a delivered record (negative/tampered_…), kept as evidence and failed.
    // Plus handwritten/ (crates/events/tests/handwritten.rs): 54 events, of which 5 EventBridge
    // and 3 GCP repeat an ID and time already loaded; Azure storage records have no ID.
    assert_eq!(lines.len(), 11 + 3 + 3 + 11 + 4 + 1 + 54 - 5 - 3);
    let failed: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["integrity"] == "failed")
        .collect();
    assert_eq!(
        failed.len(),
        2,
        "the forged copy of a delivered CloudTrail record (negative/tampered_…), and the OTC \
         documentation's CTS trace, whose ID the verified synthetic CTS trace reuses with other \
         content"
    );
    for l in &lines {
        for key in [
            "time",
            "provider",
            "account",
            "region",
            "service",
            "action",
            "actor",
            "source_ip",
            "read_only",
            "error",
            "event_id",
            "source",
        ] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
        assert!(l["time"].as_str().unwrap().ends_with('Z'));
        assert!(l["source"]["path"].as_str().unwrap().contains("fixtures"));
    }
    // Sorted by time.
    let times: Vec<&str> = lines.iter().map(|l| l["time"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    let put = lines
        .iter()
        .find(|l| l["event_id"] == "43ba91859ff2b14c086ad9b17a9b16c1")
        .unwrap();
    assert_eq!(put["action"], "PutBucketPolicy");
    assert_eq!(put["actor"], "alice");
    assert_eq!(put["read_only"], false);
    assert_eq!(put["error"], serde_json::Value::Null);
    assert_eq!(put["provider"], "aws");
    let denied = lines
        .iter()
        .find(|l| l["event_id"] == "1awjxggeaxqgz")
        .unwrap();
    assert_eq!(denied["error"], "PERMISSION_DENIED");
    let cts = lines
        .iter()
        .find(|l| l["event_id"] == "c529254f-bcf5-11e6-a89a-7fc778a6c92c" && l["region"] == "")
        .unwrap();
    assert_eq!(cts["read_only"], serde_json::Value::Null);
    // Non-event files are mentioned on stderr, digests and keys are not.
    assert!(stderr.contains("PROVENANCE.md"));
    assert!(!stderr.contains("Digest_us-east-1_demo-trail_us-east-1_20240501T010000Z.json.gz:"));
}

#[test]
fn query_and_csv_and_table() {
    let f = fixtures().join("aws_cloudtrail_lookup_events_plaso.jsonl");
    let (code, stdout, _) = run(&[
        "-q",
        "action:*Instances rw:write",
        "-f",
        "csv",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = stdout.lines().collect();
    assert!(rows[0].starts_with("time,provider,account,region,service,action,actor"));
    assert_eq!(rows.len(), 1 + 3); // Run, Stop, Terminate
    assert!(rows[1].contains("RunInstances"));
    let (code, stdout, _) = run(&[
        "--query",
        "actor:fakeusername DescribeInstances",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("TIME (UTC)"));
    assert_eq!(stdout.lines().count(), 2);
    assert!(stdout.contains("DescribeInstances") && stdout.contains("read"));
}

#[test]
fn exit_codes_and_diagnostics() {
    let good = fixtures().join("actiontrail_event_root_PutBucket_oss_doc.json");
    let bad = tmp("broken.json");
    std::fs::write(&bad, b"{\"Records\":[{\"eventTime\": }]}").unwrap();
    // Some input readable: 0, with the problem on stderr (file and position).
    let (code, stdout, stderr) = run(&[
        "-f",
        "json",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
        "/nonexistent/x",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1);
    assert!(
        stderr.contains("broken.json") && stderr.contains("line 1, column 27"),
        "{stderr}"
    );
    assert!(stderr.contains("/nonexistent/x"));
    // Nothing readable: 1.
    let (code, stdout, _) = run(&[bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    // Usage errors: 2.
    let (code, _, stderr) = run(&["-q", "actor:alice )", good.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("position 12"), "{stderr}");
    assert_eq!(run(&["--format", "xml", good.to_str().unwrap()]).0, 2);
    assert_eq!(run(&[]).0, 2);
    assert_eq!(run(&["--mapping", "actor=x", good.to_str().unwrap()]).0, 2);
}

#[test]
fn generic_mapping_and_tar_archive() {
    let jsonl = b"{\"ts\":\"2024-05-01T00:00:00Z\",\"who\":\"eve\",\"op\":\"login\"}\n";
    // A minimal ustar archive holding the file.
    let mut h = [0u8; 512];
    let name = b"logs/app.jsonl";
    h[..name.len()].copy_from_slice(name);
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{:011o}", jsonl.len()).as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let mut tar = h.to_vec();
    tar.extend_from_slice(jsonl);
    tar.resize(512 + 512 + 1024, 0);
    let path = tmp("export.tar");
    std::fs::write(&path, &tar).unwrap();
    let (code, stdout, stderr) = run(&[
        "-f",
        "json",
        "--mapping",
        "time=ts,actor=who,action=op",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        (v["provider"].as_str(), v["actor"].as_str()),
        (Some("generic"), Some("eve"))
    );
    assert!(v["source"]["path"]
        .as_str()
        .unwrap()
        .ends_with("export.tar/logs/app.jsonl"));
}
