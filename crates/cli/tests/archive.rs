//! `trailproof seal`, `verify --vkey`, `prove` and `verify-proof`, run as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .args(args)
        .output()
        .expect("run trailproof")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture(name: &str) -> String {
    std::env::var_os("TRAILPROOF_FIXTURES")
        .map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
            std::path::PathBuf::from,
        )
        .join(name)
        .display()
        .to_string()
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-archive-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// keygen in `dir`: (private key path, verifier key line).
fn keygen(dir: &Path, name: &str) -> (String, String) {
    // A fresh file name for every key made in this directory.
    let n = std::fs::read_dir(dir).map_or(0, |d| d.count());
    let key = dir.join(format!("{}-{n}.key", name.replace('/', "_")));
    let o = run(&["keygen", "--name", name, "-o", key.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    (key.display().to_string(), stdout(&o).trim().to_owned())
}

const ORIGIN: &str = "audit.example.com/acme/prod";

/// Seals the GCP, Azure and ActionTrail fixtures; returns the pin line's value.
fn seal(key: &str, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["seal", "--key", key];
    args.extend_from_slice(extra);
    let inputs = [
        fixture("gcp_logging_plaso.jsonl"),
        fixture("azure_activity_log_plaso.jsonl"),
        fixture("actiontrail_event_root_PutBucket_oss_doc.json"),
    ];
    for i in &inputs {
        args.push(i);
    }
    let out_s = out.display().to_string();
    args.extend(["-o", &out_s]);
    let o = run(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("sealed 16 record(s)"), "{text}");
    text.lines()
        .find_map(|l| l.strip_prefix("pin: "))
        .expect("pin line")
        .to_owned()
}

fn verify_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["verify", "--format", "json"];
    all.extend_from_slice(args);
    let o = run(&all);
    let v: Value = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(&o), stderr(&o)));
    (code(&o), v)
}

#[test]
fn seal_verify_tamper() {
    let dir = scratch("tamper");
    let (key, vkey) = keygen(&dir, ORIGIN);
    let arch = dir.join("arch");
    seal(&key, &arch, &["--nonce", "req-1"]);
    let a = arch.display().to_string();

    let o = run(&["verify", "--vkey", &vkey, &a]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("VALID"), "{text}");
    assert!(
        text.contains("The end of this archive is not anchored"),
        "{text}"
    );

    let (c, v) = verify_json(&["--vkey", &vkey, "--nonce", "req-1", &a]);
    assert_eq!(c, 0);
    assert_eq!(v["verdict"], "valid");
    assert!(v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["message"].as_str().unwrap().contains("not anchored")));
    assert_eq!(v["chains"][0]["provider"], "archive");

    // Wrong nonce: 1. Wrong key: 3. No key: usage.
    let (c, v) = verify_json(&["--vkey", &vkey, "--nonce", "other", &a]);
    assert_eq!(c, 1);
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["reason"] == "nonce-mismatch"));
    let (_, other) = keygen(&dir, ORIGIN);
    let (c, v) = verify_json(&["--vkey", &other, &a]);
    assert_eq!(c, 3);
    assert_eq!(v["verdict"], "incomplete");
    let o = run(&["verify", &a]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));

    // One byte of one record changed.
    let rec = arch.join("records/0.rec");
    let mut bytes = std::fs::read(&rec).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 1;
    std::fs::write(&rec, bytes).unwrap();
    let (c, v) = verify_json(&["--vkey", &vkey, &a]);
    assert_eq!(c, 1);
    let items = v["items"].as_array().unwrap();
    let bad = items.iter().find(|i| i["path"] == "records/0.rec").unwrap();
    assert_eq!(bad["reason"], "hash-mismatch");
    let cp = items
        .iter()
        .find(|i| i["path"] == "checkpoints/0.note")
        .unwrap();
    assert_eq!(cp["reason"], "root-mismatch");
    let o = run(&["verify", "--vkey", &vkey, &a]);
    assert!(stdout(&o).contains("FIRST FAIL"), "{}", stdout(&o));
}

#[test]
fn zip_archive_and_pin() {
    let dir = scratch("zip");
    let (key, vkey) = keygen(&dir, ORIGIN);
    let arch = dir.join("sealed.zip");
    let pin = seal(&key, &arch, &["--period", "1d"]);
    let a = arch.display().to_string();
    let (c, v) = verify_json(&["--vkey", &vkey, "--pin", &pin, &a]);
    assert_eq!(c, 0, "{v:#}");
    assert!(!v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["message"].as_str().unwrap().contains("not anchored")));
    // A pin of a larger tree: the archive was cut short.
    let (size, root) = pin.split_once(':').unwrap();
    let bigger = format!("{}:{root}", size.parse::<u64>().unwrap() + 5);
    let (c, v) = verify_json(&["--vkey", &vkey, "--pin", &bigger, &a]);
    assert_eq!(c, 1);
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["reason"] == "truncated"));
    // Without --vkey the manifest inside the zip is still recognised.
    let o = run(&["verify", &a]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--vkey"), "{}", stderr(&o));
    let o = run(&["verify", "--vkey", &vkey, "--pin", "12:nothex", &a]);
    assert_eq!(code(&o), 2);
}

#[test]
fn append_extends_and_keeps_old_pins() {
    let dir = scratch("append");
    let (key, vkey) = keygen(&dir, ORIGIN);
    for arch in [dir.join("log"), dir.join("log.zip")] {
        let a = arch.display().to_string();
        let old_pin = seal(&key, &arch, &[]);
        // Without --append an existing archive is refused.
        let o = run(&[
            "seal",
            "--key",
            &key,
            &fixture("cts_trace_example_evs_deleteVolume_otcdocs.json"),
            "-o",
            &a,
        ]);
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        let o = run(&[
            "seal",
            "--key",
            &key,
            "--append",
            &fixture("cts_trace_example_evs_deleteVolume_otcdocs.json"),
            "-o",
            &a,
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let (c, v) = verify_json(&["--vkey", &vkey, "--pin", &old_pin, &a]);
        assert_eq!(c, 0, "{v:#}");
        assert_eq!(v["chains"][0]["digests"].as_array().unwrap().len(), 2);
        // Another key cannot extend it.
        let other_dir = scratch(&format!("append-other-{}", arch.extension().is_some()));
        let (other, _) = keygen(&other_dir, "other.example/log");
        let o = run(&[
            "seal",
            "--key",
            &other,
            "--append",
            &fixture("cts_trace_example_evs_deleteVolume_otcdocs.json"),
            "-o",
            &a,
        ]);
        assert_ne!(code(&o), 0);
    }
}

#[test]
fn prove_and_verify_proof() {
    let dir = scratch("prove");
    let (key, vkey) = keygen(&dir, ORIGIN);
    let arch = dir.join("arch.zip");
    seal(&key, &arch, &["--period", "1d"]);
    let a = arch.display().to_string();
    let proof = dir.join("event.proof");
    let p = proof.display().to_string();
    // GCP insertId of the first record of the fixture.
    let o = run(&[
        "prove",
        "--event",
        "iv9wx9d16l2",
        "--vkey",
        &vkey,
        &a,
        "-o",
        &p,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&["verify-proof", "--vkey", &vkey, &p]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("VALID"));
    let o = run(&["verify-proof", "--vkey", &vkey, "--record", &p]);
    assert!(stdout(&o).contains("iv9wx9d16l2"));

    // By index, without a key (signatures left to the recipient).
    let o = run(&["prove", "--index", "0", &a, "-o", &p]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(code(&run(&["verify-proof", "--vkey", &vkey, &p])), 0);

    // Unknown event, wrong key, tampered bundle.
    let o = run(&["prove", "--event", "nope", "--vkey", &vkey, &a, "-o", &p]);
    assert_eq!(code(&o), 1);
    let (_, other) = keygen(&dir, ORIGIN);
    assert_eq!(code(&run(&["verify-proof", "--vkey", &other, &p])), 1);
    let text = std::fs::read_to_string(&p).unwrap();
    let tampered = text.replacen("index 0", "index 1", 1);
    std::fs::write(&p, tampered).unwrap();
    let o = run(&["verify-proof", "--vkey", &vkey, &p]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).starts_with("REJECTED"));
}

#[test]
fn seal_refuses_unreadable_records_and_bad_options() {
    let dir = scratch("refuse");
    let (key, _) = keygen(&dir, ORIGIN);
    let bad = dir.join("bad.json");
    std::fs::write(&bad, b"{\"Records\":[{\"eventTime\":\"2024-05-01T00:00:00Z\",\"eventName\":\"X\",\"eventSource\":\"s3.amazonaws.com\"},{\"x\": }]}").unwrap();
    let out = dir.join("a").display().to_string();
    let o = run(&["seal", "--key", &key, bad.to_str().unwrap(), "-o", &out]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("drop records"), "{}", stderr(&o));
    let good = fixture("gcp_logging_plaso.jsonl");
    let o = run(&["seal", "--key", &key, "--period", "0", &good, "-o", &out]);
    assert_eq!(code(&o), 2);
    let o = run(&[
        "seal",
        "--key",
        &key,
        "--nonce",
        "has space",
        &good,
        "-o",
        &out,
    ]);
    assert_eq!(code(&o), 2);
    let o = run(&["seal", "--key", "/nonexistent.key", &good, "-o", &out]);
    assert_eq!(code(&o), 2);
}

/// The coverage block of `verify --vkey`: events per integrity state.
fn coverage(v: &Value) -> [u64; 5] {
    let c = &v["coverage"];
    ["events", "verified", "unverified", "failed", "unprotected"]
        .map(|k| c[k].as_u64().unwrap_or_else(|| panic!("{k} in {c}")))
}

#[test]
fn verify_vkey_reports_event_coverage() {
    let dir = scratch("coverage");
    let (key, vkey) = keygen(&dir, ORIGIN);
    let arch = dir.join("arch");
    seal(&key, &arch, &[]);
    let a = arch.display().to_string();

    // Records of a verified archive are verified.
    let (c, v) = verify_json(&["--vkey", &vkey, &a]);
    assert_eq!(c, 0);
    assert_eq!(coverage(&v), [16, 16, 0, 0, 0], "{:#}", v["coverage"]);
    let text = stdout(&run(&["verify", "--vkey", &vkey, &a]));
    assert!(
        text.contains("Archive valid · all 16 events verified"),
        "{text}"
    );

    // The same archive in a zip: the records inside it are counted too.
    let zip = dir.join("arch.zip");
    seal(&key, &zip, &[]);
    let (c, v) = verify_json(&["--vkey", &vkey, zip.to_str().unwrap()]);
    assert_eq!(c, 0, "{v:#}");
    assert_eq!(coverage(&v), [16, 16, 0, 0, 0], "{:#}", v["coverage"]);

    // A key that signed nothing here: the records are unverified, not verified.
    let (_, other) = keygen(&dir, ORIGIN);
    let (c, v) = verify_json(&["--vkey", &other, &a]);
    assert_eq!(c, 3);
    assert_eq!(coverage(&v), [16, 0, 16, 0, 0], "{:#}", v["coverage"]);
    let text = stdout(&run(&["verify", "--vkey", &other, &a]));
    assert!(
        text.contains("Archive incomplete · 0 of 16 events verified · 16 are not proven"),
        "{text}"
    );

    // One byte of one record changed: no record of the archive is verified any more.
    let rec = arch.join("records/0.rec");
    let mut bytes = std::fs::read(&rec).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 1;
    std::fs::write(&rec, bytes).unwrap();
    let (c, v) = verify_json(&["--vkey", &vkey, &a]);
    assert_eq!(c, 1);
    let [events, verified, unverified, failed, unprotected] = coverage(&v);
    assert!(events > 0, "{:#}", v["coverage"]);
    assert_eq!(
        (verified, unverified, unprotected),
        (0, 0, 0),
        "{:#}",
        v["coverage"]
    );
    assert_eq!(failed, events);
    let text = stdout(&run(&["verify", "--vkey", &vkey, &a]));
    assert!(
        text.contains(&format!(
            "Archive invalid · 0 of {events} events verified · {events} failed"
        )),
        "{text}"
    );
}
