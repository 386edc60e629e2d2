//! `trailproof verify` end to end: exit codes 0/1/3/2 and the JSON contract.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
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

/// A fresh copy of a fixture folder (top level only) in a private temp dir.
fn copy_fixture(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "trailproof-verify-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    for e in fs::read_dir(fixtures().join(name)).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            fs::write(dir.join(p.file_name().unwrap()), fs::read(&p).unwrap()).unwrap();
        }
    }
    dir
}

fn run_json(args: &[&Path]) -> (i32, Value) {
    let out = bin()
        .arg("verify")
        .arg("--format")
        .arg("json")
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    check_contract(&json);
    (code, json)
}

/// Structural check of the contract in docs/report.md, driven by docs/report.schema.json's
/// required field lists and enums where they exist.
fn check_contract(v: &Value) {
    let schema: Value = serde_json::from_slice(
        &fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json"))
            .unwrap(),
    )
    .unwrap();
    for field in schema["required"].as_array().unwrap() {
        assert!(
            v.get(field.as_str().unwrap()).is_some(),
            "report lacks {field}"
        );
    }
    let defs = &schema["$defs"];
    let enum_of = |name: &str| -> Vec<String> {
        defs[name]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(enum_of("verdict").contains(&v["verdict"].as_str().unwrap().to_owned()));
    // Which build made the report (docs/reproducible.md): version and commit, as the
    // schema's `build` requires them.
    for field in defs["build"]["required"].as_array().unwrap() {
        let value = v["build"][field.as_str().unwrap()].as_str();
        assert!(
            value.is_some_and(|s| !s.is_empty()),
            "build lacks {field}: {v}"
        );
    }
    assert_eq!(v["build"]["version"], env!("CARGO_PKG_VERSION"));
    let commit = v["build"]["commit"].as_str().unwrap();
    let hex = commit.trim_end_matches("+dirty");
    assert!(
        commit == "unknown" || (hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
    let statuses = enum_of("status");
    let reasons = enum_of("reason");
    // The ten reasons are a stable subset; other verifiers may add more.
    for r in [
        "hash-mismatch",
        "trailing-data",
        "signature-invalid",
        "key-not-found",
        "signature-unavailable",
        "not-found",
        "moved",
        "chain-mismatch",
        "malformed",
        "not-referenced",
    ] {
        assert!(reasons.contains(&r.to_owned()), "{r}");
    }
    let mut worst = "valid";
    for item in v["items"].as_array().unwrap() {
        for field in defs["item"]["required"].as_array().unwrap() {
            assert!(
                item.get(field.as_str().unwrap()).is_some(),
                "item lacks {field}: {item}"
            );
        }
        let status = item["status"].as_str().unwrap();
        assert!(statuses.contains(&status.to_owned()), "{status}");
        match item.get("reason") {
            None => assert_eq!(status, "valid", "{item}"),
            Some(r) => {
                assert_ne!(status, "valid", "{item}");
                assert!(reasons.contains(&r.as_str().unwrap().to_owned()), "{r}");
            }
        }
        assert!(!item["path"].as_str().unwrap().is_empty());
        worst = match (worst, status) {
            (_, "invalid" | "missing") | ("invalid", _) => "invalid",
            (_, "unverifiable") | ("incomplete", _) => "incomplete",
            (w, _) => w,
        };
    }
    assert_eq!(
        v["verdict"].as_str().unwrap(),
        worst,
        "verdict is derived from items"
    );
    for gap in v["gaps"].as_array().unwrap() {
        assert!(gap.get("start").is_some() && gap.get("end").is_some());
    }
}

fn item<'a>(v: &'a Value, name_part: &str) -> &'a Value {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().contains(name_part))
        .unwrap()
}

#[test]
fn valid_fixture_exits_0() {
    // The chain without its `negative/` folder (copy_fixture copies the top level only).
    let dir = copy_fixture("synthetic_aws");
    let (code, v) = run_json(&[&dir]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verdict"], "valid");
    let d = item(&v, "20240501T010000Z.json.gz");
    assert_eq!(d["kind"], "digest");
    assert_eq!(d["status"], "valid");
    assert!(d.get("reason").is_none());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn forged_copies_in_covered_hours_exit_1() {
    // The whole fixture folder holds `negative/tampered_…` and `negative/appended_…`: logs
    // of a covered hour that the verified digest of that hour does not list.
    let (code, v) = run_json(&[&fixtures().join("synthetic_aws")]);
    assert_eq!(code, 1, "{v:#}");
    for name in ["negative/tampered_", "negative/appended_"] {
        let i = item(&v, name);
        assert_eq!(
            (i["status"].as_str(), i["reason"].as_str()),
            (Some("invalid"), Some("not-listed")),
            "{i:#}"
        );
    }
}

#[test]
fn tampered_log_exits_1() {
    let dir = copy_fixture("synthetic_aws");
    let log = "111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
    fs::write(
        dir.join(log),
        fs::read(
            fixtures()
                .join("synthetic_aws/negative")
                .join(format!("tampered_{log}")),
        )
        .unwrap(),
    )
    .unwrap();
    let (code, v) = run_json(&[&dir]);
    assert_eq!(code, 1);
    assert_eq!(v["verdict"], "invalid");
    let i = item(&v, log);
    assert_eq!(
        (i["status"].as_str(), i["reason"].as_str()),
        (Some("invalid"), Some("hash-mismatch"))
    );
    assert_eq!(i["path"], log, "paths are relative to the input root");
    let text = bin().arg("verify").arg(&dir).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("INVALID") && text.contains("What to do"),
        "{text}"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_sidecar_exits_3() {
    let dir = copy_fixture("synthetic_aws");
    for e in fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".head-object.json") {
            fs::remove_file(p).unwrap();
        }
    }
    let (code, v) = run_json(&[&dir]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(v["verdict"], "incomplete");
    assert_eq!(
        item(&v, "20240501T030000Z.json.gz")["reason"],
        "signature-unavailable"
    );
    let text = String::from_utf8(bin().arg("verify").arg(&dir).output().unwrap().stdout).unwrap();
    assert!(text.contains("head-object"), "{text}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn keys_flag_supplies_keys() {
    let dir = copy_fixture("synthetic_aws");
    let keys = dir.join("list-public-keys.json");
    let outside = std::env::temp_dir().join(format!("trailproof-keys-{}.json", std::process::id()));
    fs::rename(&keys, &outside).unwrap();
    let (code, v) = run_json(&[&dir]);
    assert_eq!(code, 3);
    assert_eq!(
        item(&v, "20240501T010000Z.json.gz")["reason"],
        "key-not-found"
    );
    let out = bin()
        .arg("verify")
        .arg("--keys")
        .arg(&outside)
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    fs::remove_file(outside).unwrap();
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn several_inputs_make_one_report() {
    let (aws, cts) = (copy_fixture("synthetic_aws"), copy_fixture("synthetic_cts"));
    let (code, v) = run_json(&[&aws, &cts]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["chains"].as_array().unwrap().len(), 2);
    assert!(item(&v, "synthetic_cts/").is_object());
    fs::remove_dir_all(aws).unwrap();
    fs::remove_dir_all(cts).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(bin().arg("verify").output().unwrap().status.code(), Some(2));
    assert_eq!(
        bin()
            .args(["verify", "/nonexistent/trailproof/input"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    let out = bin()
        .args(["verify", "--keys", "/nonexistent/keys.json"])
        .arg(fixtures().join("synthetic_aws"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        bin()
            .args(["verify", "--format", "xml"])
            .arg(fixtures())
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    // Readable, but nothing to verify: not a silent "valid".
    let empty = copy_fixture("synthetic_aws/negative");
    for e in fs::read_dir(&empty).unwrap() {
        fs::remove_file(e.unwrap().path()).unwrap();
    }
    fs::write(empty.join("README.txt"), "nothing here").unwrap();
    assert_eq!(
        bin()
            .arg("verify")
            .arg(&empty)
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    fs::remove_dir_all(empty).unwrap();
}

#[test]
fn tgz_input_is_opened() {
    // Built with the system `tar` (skipped where there is none): the CLI reads archive
    // entries through core's input walker, naming them `archive/entry`.
    let dir = copy_fixture("synthetic_aws");
    let tgz = dir.with_extension("tgz");
    let made = Command::new("tar")
        .arg("czf")
        .arg(&tgz)
        .arg("-C")
        .arg(dir.parent().unwrap())
        .arg(dir.file_name().unwrap())
        .status();
    if !matches!(made, Ok(s) if s.success()) {
        eprintln!("no tar; skipped");
        return;
    }
    let (code, v) = run_json(&[&tgz]);
    assert_eq!(code, 0, "{v:#}");
    let name = tgz.file_name().unwrap().to_string_lossy().into_owned();
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["path"].as_str().unwrap().starts_with(&name)));
    fs::remove_file(tgz).unwrap();
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn json_carries_event_coverage_and_text_says_what_holds() {
    let valid = copy_fixture("synthetic_aws");
    let (code, v) = run_json(&[&valid]);
    assert_eq!(code, 0);
    // Three events, all in logs the verified digests list.
    assert_eq!(
        v["coverage"],
        serde_json::json!({"events": 3, "verified": 3, "unverified": 0, "failed": 0, "unprotected": 0})
    );
    // With an ActionTrail event beside them: the chains stay valid, the headline says that
    // one event has no protection.
    let dir = copy_fixture("synthetic_aws");
    let ali = "actiontrail_event_ram_user_DescribeInstances_sdkdoc.json";
    fs::copy(fixtures().join(ali), dir.join(ali)).unwrap();
    let (code, v) = run_json(&[&dir]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["coverage"]["events"], 4);
    assert_eq!(v["coverage"]["unprotected"], 1);
    let out = bin().arg("verify").arg(&dir).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Chains valid · 3 of 4 events verified · 1 has no integrity protection"),
        "{text}"
    );
    // --require-verified: 1 unless every event is verified.
    let code = |dir: &Path| {
        bin()
            .args(["verify", "--require-verified"])
            .arg(dir)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&dir), Some(1));
    assert_eq!(code(&valid), Some(0));
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(&valid);
}

#[test]
fn a_forged_copy_of_a_delivered_log_fails_its_conflicting_event() {
    let dir = copy_fixture("synthetic_aws");
    let forged =
        "tampered_111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
    fs::copy(
        fixtures().join("synthetic_aws/negative").join(forged),
        dir.join(forged),
    )
    .unwrap();
    let (_, v) = run_json(&[&dir]);
    // 3 delivered events + the forged version of one (its identical record is one copy).
    assert_eq!(v["coverage"]["events"], 4, "{:#}", v["coverage"]);
    assert_eq!(v["coverage"]["verified"], 3);
    assert_eq!(v["coverage"]["failed"], 1);
    let forged_item = item(&v, "tampered_");
    assert!(
        forged_item["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("conflicting duplicate")),
        "{forged_item:#}"
    );
    let out = bin()
        .args(["events", "--format", "json", "--query", "integrity:failed"])
        .arg(&dir)
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["action"], "GetBucketPolicy");
    assert_eq!(lines[0]["integrity"], "failed");
    let out = bin()
        .args([
            "events",
            "--format",
            "json",
            "--query",
            "integrity:verified",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["integrity"], "verified");
    // `proof` is the log item's `Item.proof` (null while the verifier does not fill it).
    assert!(first.get("proof").is_some());
    if let Some(d) = first["proof"]["digest"].as_str() {
        assert!(d.contains("CloudTrail-Digest"), "{d}");
    }
    let _ = fs::remove_dir_all(&dir);
}

/// `trailproof verify` in text form.
fn run_text(dir: &Path) -> String {
    String::from_utf8(bin().arg("verify").arg(dir).output().unwrap().stdout).unwrap()
}

/// The "What to do" lines of a text report.
fn what_to_do(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("What to do: "))
        .collect()
}

#[test]
fn not_listed_logs_are_called_evidence_of_tampering() {
    let text = run_text(&fixtures().join("synthetic_aws"));
    let todo = what_to_do(&text);
    let hint: Vec<_> = todo
        .iter()
        .filter(|t| t.contains("does not list"))
        .collect();
    assert_eq!(hint.len(), 1, "{text}");
    assert!(
        hint[0].contains("evidence of tampering") && hint[0].contains("delivered copy"),
        "{text}"
    );
    // The chain itself is intact: no advice for untrusted listings or missing keys.
    assert!(!text.contains("listed only by a digest"), "{text}");
    assert!(!text.contains("Supply the public keys"), "{text}");
    // A valid chain gets none of it.
    let dir = copy_fixture("synthetic_aws");
    let text = run_text(&dir);
    assert!(!text.contains("does not list"), "{text}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn logs_listed_by_an_untrusted_digest_name_it_and_say_what_to_supply() {
    let digest =
        "111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T010000Z.json.gz";
    let log = "111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
    // The digest's signature metadata carries another signature: the digest fails its
    // signature, and the log it lists is unverifiable, not changed.
    let dir = copy_fixture("synthetic_aws");
    fs::copy(
        fixtures()
            .join("synthetic_aws/negative")
            .join(format!("badsig_{digest}.head-object.json")),
        dir.join(format!("{digest}.head-object.json")),
    )
    .unwrap();
    let (code, v) = run_json(&[&dir]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(item(&v, digest)["reason"], "signature-invalid", "{v:#}");
    let l = item(&v, log);
    assert_eq!(l["status"], "unverifiable", "{l:#}");
    assert!(
        l["message"].as_str().unwrap().contains(digest),
        "the message names the untrusted digest: {l:#}"
    );
    let text = run_text(&dir);
    let todo = what_to_do(&text);
    assert!(
        todo.iter().any(
            |t| t.contains("listed only by a digest that cannot be trusted")
                && t.contains("names that digest")
                && t.contains("--keys")
                && t.contains("unaltered copy")
        ),
        "{text}"
    );
    assert!(todo.iter().any(|t| t.contains("changed")), "{text}");
    // Each piece of advice once.
    let mut unique = todo.clone();
    unique.dedup();
    assert_eq!(unique.len(), todo.len(), "{text}");
    let _ = fs::remove_dir_all(&dir);

    // Without the keys: the digests and their logs are key-not-found; both hints are given.
    let dir = copy_fixture("synthetic_aws");
    fs::remove_file(dir.join("list-public-keys.json")).unwrap();
    let (code, v) = run_json(&[&dir]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(item(&v, log)["reason"], "key-not-found", "{v:#}");
    let text = run_text(&dir);
    let todo = what_to_do(&text);
    assert!(
        todo.iter().any(|t| t.starts_with("Supply the public keys")),
        "{text}"
    );
    assert!(
        todo.iter()
            .any(|t| t.contains("listed only by a digest that cannot be trusted")),
        "{text}"
    );
    assert!(!todo.iter().any(|t| t.contains("changed, moved")), "{text}");
    let _ = fs::remove_dir_all(&dir);
}
