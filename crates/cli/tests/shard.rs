//! Sharded verification end to end: `verify --plan`, `verify --chain ID` per shard, `merge`
//! must give the report `verify` gives on all files at once (docs/scale.md), on every set of
//! the table below.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES")
        .map_or_else(|| repo().join("testdata/fixtures"), PathBuf::from)
}

fn run(args: &[&str], inputs: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .args(args)
        .args(inputs)
        .output()
        .expect("run trailproof")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-shard-{test}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The report with its notes in a fixed order (merge orders them by path and text; a single
/// run appends the walk's notes after the verifier's).
fn canonical(mut v: Value) -> Value {
    if let Some(notes) = v["notes"].as_array_mut() {
        notes.sort_by_key(|n| n.to_string());
    }
    v
}

/// plan → verify --chain for each shard → merge; returns (single run, merged, plan, exit
/// codes of the single run and the merge, the shards' reports).
fn sharded(test: &str, inputs: &[PathBuf]) -> (Value, Value, Value, i32, i32, Vec<Value>) {
    let dir = scratch(test);
    let whole = run(&["verify", "--format", "json"], inputs);
    let plan_out = run(&["verify", "--plan", "--format", "json"], inputs);
    assert_eq!(
        plan_out.status.code(),
        Some(0),
        "{test}: {}",
        String::from_utf8_lossy(&plan_out.stderr)
    );
    let plan = json(&plan_out);
    let plan_file = dir.join("plan.json");
    fs::write(&plan_file, &plan_out.stdout).unwrap();
    let mut reports = Vec::new();
    let mut shard_reports = Vec::new();
    for (n, shard) in plan["shards"].as_array().unwrap().iter().enumerate() {
        let id = shard["id"].as_str().unwrap();
        let o = run(
            &[
                "verify",
                "--chain",
                id,
                "--plan-file",
                plan_file.to_str().unwrap(),
                "--format",
                "json",
            ],
            inputs,
        );
        assert!(
            matches!(o.status.code(), Some(0 | 1 | 3)),
            "{id}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let path = dir.join(format!("shard-{n}.json"));
        fs::write(&path, &o.stdout).unwrap();
        shard_reports.push(json(&o));
        reports.push(path);
    }
    let merged = run(&["merge", "--format", "json"], &reports);
    (
        canonical(json(&whole)),
        canonical(json(&merged)),
        plan,
        whole.status.code().unwrap(),
        merged.status.code().unwrap(),
        shard_reports,
    )
}

/// A zip of `dirs` (recursively), entries named from each folder's name on.
fn zip_of(dirs: &[PathBuf], out: &Path) {
    fn add(w: &mut zip::ZipWriter<fs::File>, dir: &Path, name: &str) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let n = format!("{name}/{}", e.file_name().to_string_lossy());
            if e.path().is_dir() {
                add(w, &e.path(), &n);
            } else {
                w.start_file(n, zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(&fs::read(e.path()).unwrap()).unwrap();
            }
        }
    }
    let mut w = zip::ZipWriter::new(fs::File::create(out).unwrap());
    for d in dirs {
        add(&mut w, d, &d.file_name().unwrap().to_string_lossy());
    }
    w.finish().unwrap();
}

#[test]
fn plan_verify_each_shard_merge_equals_one_run() {
    let f = fixtures();
    let dir = scratch("zip-input");
    let zip = dir.join("export.zip");
    zip_of(&[f.join("synthetic_aws"), f.join("synthetic_cts")], &zip);
    // (name, inputs, shards with a chain at least). "all-fixtures" has events with copies
    // in two shards (a CTS trace in a verified chain and, conflicting, in the docs' example
    // beside it): coverage and conflict notes come out as one run's all the same.
    let cases: Vec<(&str, Vec<PathBuf>, usize)> = vec![
        ("aws", vec![f.join("synthetic_aws")], 1),
        ("cts", vec![f.join("synthetic_cts")], 1),
        (
            "two-inputs",
            vec![f.join("synthetic_aws"), f.join("synthetic_cts")],
            2,
        ),
        ("zip", vec![zip], 2),
        ("sample", vec![repo().join("web/sample")], 2),
        ("all-fixtures", vec![f.clone()], 4),
    ];
    for (name, inputs, chains) in cases {
        let (whole, merged, plan, code, merged_code, _) = sharded(name, &inputs);
        assert_eq!(code, merged_code, "{name}");
        let shards = plan["shards"].as_array().unwrap();
        let with_chain = shards.iter().filter(|s| s["id"] != "unassigned").count();
        assert!(with_chain >= chains, "{name}: {plan:#}");
        assert_eq!(whole, merged, "{name}");
    }
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Copies of one event in files of different shards: a verified trail log, a log of another
/// chain (whose digest cannot be verified: unverified), and an export no chain judges
/// (unprotected); identical or conflicting, in either input order. The merge counts and
/// marks them as one run does: coverage, conflict notes and all.
#[test]
fn event_copies_in_two_shards_merge_as_one_run() {
    let f = fixtures();
    let log = "111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(
            &fs::read(f.join("synthetic_aws").join(log)).unwrap()[..],
        ),
        &mut plain,
    )
    .unwrap();
    let records: Value = serde_json::from_slice(&plain).unwrap();
    let record = records["Records"][0].clone();
    let mut altered = record.clone();
    altered["sourceIPAddress"] = Value::from("203.0.113.66");
    let file_of = |r: &Value| format!("{{\"Records\":[{r}]}}").into_bytes();
    // A log the real-world digest beside it lists (its chain is another shard).
    let listed = "AWSLogs/327878933619/CloudTrail/ap-northeast-1/2023/10/15/327878933619_CloudTrail_ap-northeast-1_20231015T2205Z_iRIoDMA9l9Q4kmFy.json.gz";
    let dir = scratch("copies-inputs");
    let chain_dir = |name: &str, r: &Value| {
        let d = dir.join(name);
        fs::create_dir_all(d.join(Path::new(listed).parent().unwrap())).unwrap();
        fs::copy(
            f.join("cloudtrail_digest_real_llm-guard.json"),
            d.join("cloudtrail_digest_real_llm-guard.json"),
        )
        .unwrap();
        fs::write(d.join(listed), gz(&file_of(r))).unwrap();
        d
    };
    let export_dir = |name: &str, r: &Value| {
        let d = dir.join(name);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("lookup-export.json"), file_of(r)).unwrap();
        d
    };
    let aws = f.join("synthetic_aws");
    let other = chain_dir("other-chain", &record);
    let other_altered = chain_dir("other-chain-altered", &altered);
    let export = export_dir("export", &record);
    let export_altered = export_dir("export-altered", &altered);
    let cases: Vec<(&str, Vec<PathBuf>)> = vec![
        ("verified-and-unverified", vec![other.clone(), aws.clone()]),
        ("verified-first", vec![aws.clone(), other.clone()]),
        ("conflicting", vec![other_altered.clone(), aws.clone()]),
        (
            "unverified-and-unprotected",
            vec![other.clone(), export.clone()],
        ),
        ("unprotected-first", vec![export.clone(), other.clone()]),
        (
            "three-shards-conflicting",
            vec![export_altered.clone(), other.clone(), aws.clone()],
        ),
    ];
    for (name, inputs) in cases {
        let (whole, merged, _, code, merged_code, shards) = sharded(name, &inputs);
        assert_eq!(code, merged_code, "{name}");
        assert_eq!(whole, merged, "{name}");
        // The copies really are in two shards: summing the shards' blocks would count the
        // event twice.
        let summed: u64 = shards
            .iter()
            .map(|s| s["coverage"]["events"].as_u64().unwrap_or(0))
            .sum();
        assert!(
            summed > whole["coverage"]["events"].as_u64().unwrap(),
            "{name}: {summed} {}",
            whole["coverage"]
        );
        assert!(whole.get("shard_events").is_none() && merged.get("shard_events").is_none());
        assert!(shards.iter().all(|s| s.get("shard_events").is_some()));
    }
}

#[test]
fn chain_without_a_plan_file_plans_again_and_refuses_unknown_ids() {
    let inputs = vec![fixtures().join("synthetic_aws")];
    let plan = json(&run(&["verify", "--plan", "--format", "json"], &inputs));
    let id = plan["shards"][0]["id"].as_str().unwrap().to_owned();
    let dir = scratch("noplan");
    let plan_file = dir.join("plan.json");
    fs::write(&plan_file, plan.to_string()).unwrap();
    let with = run(
        &[
            "verify",
            "--chain",
            &id,
            "--plan-file",
            plan_file.to_str().unwrap(),
            "--format",
            "json",
        ],
        &inputs,
    );
    let without = run(&["verify", "--chain", &id, "--format", "json"], &inputs);
    assert_eq!(json(&with), json(&without));
    let other = run(
        &["verify", "--chain", "aws:nope", "--format", "json"],
        &inputs,
    );
    assert_eq!(other.status.code(), Some(2));
    // Planned files that are not among the inputs: refused, never a smaller report.
    let elsewhere = run(
        &[
            "verify",
            "--chain",
            &id,
            "--plan-file",
            plan_file.to_str().unwrap(),
        ],
        &[fixtures().join("synthetic_cts")],
    );
    assert_eq!(elsewhere.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&elsewhere.stderr).contains("not among the inputs"));
    // The same shard twice cannot be merged.
    let report = dir.join("r.json");
    fs::write(&report, &with.stdout).unwrap();
    let twice = run(&["merge"], &[report.clone(), report]);
    assert_eq!(twice.status.code(), Some(2));
    // The text plan names the shards and the unassigned files with why.
    let text = run(&["verify", "--plan"], &[fixtures()]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("SHARD      aws:"), "{text}");
    assert!(text.contains("UNASSIGNED unassigned"), "{text}");
    assert!(
        text.contains("not a digest, log, key or signature file"),
        "{text}"
    );
}
