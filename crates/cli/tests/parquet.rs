//! `trailproof events --format parquet` end to end: the files are read back with the `parquet`
//! crate and checked against `--format json` of the same inputs, row by row.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

fn fixtures() -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
        PathBuf::from,
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trailproof"))
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

/// A fresh, absent directory under the temp dir.
fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("trailproof-parquet-cli-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every `.parquet` file below `dir`, as (path relative to `dir`, path).
fn parquet_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, p));
            }
        }
    }
    out.sort();
    out
}

/// A Parquet file's key-value metadata and rows.
fn read(path: &Path) -> (HashMap<String, String>, Vec<RecordBatch>) {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let kv = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?)))
        .collect();
    let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
    (kv, batches)
}

fn text(b: &RecordBatch, col: &str, row: usize) -> Value {
    let a = b.column_by_name(col).unwrap().as_string::<i32>();
    if a.is_null(row) {
        Value::Null
    } else {
        Value::String(a.value(row).to_string())
    }
}

fn int(b: &RecordBatch, col: &str, row: usize) -> i64 {
    b.column_by_name(col)
        .unwrap()
        .as_primitive::<Int64Type>()
        .value(row)
}

/// Events of `--format json` over `inputs`, keyed by (source path, offset).
fn json_events(inputs: &[&str]) -> BTreeMap<(String, i64), Value> {
    let mut args = vec!["--format", "json"];
    args.extend(inputs);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let key = (
                v["source"]["path"].as_str().unwrap().to_string(),
                v["source"]["offset"].as_i64().unwrap(),
            );
            (key, v)
        })
        .collect()
}

#[test]
fn partitions_schema_and_every_row_agree_with_json() {
    let fixtures = fixtures();
    let input = fixtures.to_str().unwrap();
    let json = json_events(&[input]);
    let dir = out_dir("all");
    let (code, _, stderr) = run(&["--format", "parquet", "-o", dir.to_str().unwrap(), input]);
    assert_eq!(code, 0, "{stderr}");

    let schema = trailproof_parquet::schema();
    let mut per_partition: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut seen = 0usize;
    let mut integrity: BTreeMap<String, usize> = BTreeMap::new();
    for (rel, path) in parquet_files(&dir) {
        // provider=aws/date=2017-12-11/part-00000.parquet
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(parts.len(), 3, "{rel}");
        let provider = parts[0].strip_prefix("provider=").expect(&rel).to_string();
        let date = parts[1].strip_prefix("date=").expect(&rel).to_string();
        assert!(
            parts[2].starts_with("part-") && parts[2].ends_with(".parquet"),
            "{rel}"
        );
        let (kv, batches) = read(&path);
        assert_eq!(
            kv.get(trailproof_parquet::SCHEMA_VERSION_KEY)
                .map(String::as_str),
            Some(trailproof_parquet::SCHEMA_VERSION)
        );
        assert_eq!(kv.get(trailproof_parquet::PROVIDER_KEY), Some(&provider));
        assert_eq!(kv.get(trailproof_parquet::DATE_KEY), Some(&date));
        for b in &batches {
            assert_eq!(b.schema().fields(), schema.fields(), "{rel}");
            let times = b
                .column_by_name("time")
                .unwrap()
                .as_primitive::<TimestampMillisecondType>();
            for row in 0..b.num_rows() {
                let key = (
                    text(b, "source_path", row).as_str().unwrap().to_string(),
                    int(b, "source_offset", row),
                );
                let j = json
                    .get(&key)
                    .unwrap_or_else(|| panic!("{key:?} not in JSON output"));
                assert_eq!(j["provider"], provider.as_str(), "{key:?}");
                assert!(j["time"].as_str().unwrap().starts_with(&date), "{key:?}");
                let t = trailproof_events::time::parse_timestamp(j["time"].as_str().unwrap());
                assert_eq!(Some(times.value(row)), t, "{key:?}");
                assert_eq!(
                    int(b, "source_length", row),
                    j["source"]["length"].as_i64().unwrap()
                );
                // Text columns: null in Parquet where JSON has "" or null.
                for (col, field) in [
                    ("account", "account"),
                    ("region", "region"),
                    ("service", "service"),
                    ("action", "action"),
                    ("actor", "actor"),
                    ("actor_id", "actor_id"),
                    ("actor_type", "actor_type"),
                    ("source_ip", "source_ip"),
                    ("user_agent", "user_agent"),
                    ("event_id", "event_id"),
                    ("error", "error"),
                    ("error_message", "error_message"),
                    ("integrity", "integrity"),
                ] {
                    let want = match &j[field] {
                        Value::String(s) if s.is_empty() => Value::Null,
                        v => v.clone(),
                    };
                    assert_eq!(text(b, col, row), want, "{col} of {key:?}");
                }
                for (col, part) in [
                    ("proof_digest", "digest"),
                    ("proof_key", "key"),
                    ("proof_checkpoint", "checkpoint"),
                ] {
                    let want = j["proof"].get(part).cloned().unwrap_or(Value::Null);
                    assert_eq!(text(b, col, row), want, "{col} of {key:?}");
                }
                let ro = b.column_by_name("read_only").unwrap().as_boolean();
                let want_ro = j["read_only"].as_bool();
                assert_eq!(
                    (!ro.is_null(row)).then(|| ro.value(row)),
                    want_ro,
                    "{key:?}"
                );
                let root = b.column_by_name("root").unwrap().as_boolean();
                assert_eq!(Some(root.value(row)), j["root"].as_bool(), "{key:?}");
                let res = b.column_by_name("resources").unwrap().as_list::<i32>();
                let got: Vec<Value> = res
                    .value(row)
                    .as_string::<i32>()
                    .iter()
                    .map(|s| Value::String(s.unwrap().to_string()))
                    .collect();
                assert_eq!(Value::Array(got), j["resources"], "{key:?}");
                assert_eq!(text(b, "raw", row), Value::Null, "raw only with --raw");
                *integrity
                    .entry(j["integrity"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
            *per_partition
                .entry((provider.clone(), date.clone()))
                .or_default() += b.num_rows();
            seen += b.num_rows();
        }
    }
    assert_eq!(seen, json.len(), "every event once");
    let mut want: BTreeMap<(String, String), usize> = BTreeMap::new();
    for v in json.values() {
        let date = v["time"].as_str().unwrap()[..10].to_string();
        *want
            .entry((v["provider"].as_str().unwrap().to_string(), date))
            .or_default() += 1;
    }
    assert_eq!(per_partition, want);
    // The fixtures hold several providers and every integrity state the test can tell apart.
    let providers: std::collections::BTreeSet<&String> =
        per_partition.keys().map(|(p, _)| p).collect();
    assert!(providers.len() >= 5, "{providers:?}");
    for state in ["verified", "failed", "unprotected"] {
        assert!(
            integrity.get(state).is_some_and(|&n| n > 0),
            "{state}: {integrity:?}"
        );
    }
}

#[test]
fn raw_records_and_bounded_files() {
    let fixtures = fixtures();
    let input = fixtures.to_str().unwrap();
    let json = json_events(&[input]);
    let dir = out_dir("raw");
    let (code, _, stderr) = run(&[
        "--format",
        "parquet",
        "--raw",
        "--max-rows-per-file",
        "3",
        "-o",
        dir.to_str().unwrap(),
        input,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut rows = 0;
    let mut checked_against_file = 0;
    let mut parts_of: BTreeMap<String, usize> = BTreeMap::new();
    for (rel, path) in parquet_files(&dir) {
        let (_, batches) = read(&path);
        let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert!((1..=3).contains(&n), "{rel}: {n} rows");
        rows += n;
        let partition = rel.rsplit_once('/').unwrap().0.to_string();
        *parts_of.entry(partition).or_default() += 1;
        for b in &batches {
            for row in 0..b.num_rows() {
                let source = text(b, "source_path", row);
                let source = source.as_str().unwrap();
                let raw = text(b, "raw", row);
                let raw = raw.as_str().unwrap_or_else(|| panic!("raw of {source}"));
                let (offset, len) = (int(b, "source_offset", row), int(b, "source_length", row));
                assert_eq!(raw.len() as i64, len, "{source}@{offset}");
                // A plain file on disk: the span is exactly these bytes.
                let on_disk = Path::new(source);
                if on_disk.is_file() && !source.ends_with(".gz") {
                    let mut bytes = std::fs::read(on_disk).unwrap();
                    // An Avro container's spans count in its decoded blocks.
                    if bytes.starts_with(b"Obj\x01") {
                        bytes =
                            trailproof_events::ingest::decoded_stream(&bytes, &Default::default())
                                .unwrap();
                    }
                    let span = &bytes[offset as usize..(offset + len) as usize];
                    assert_eq!(raw.as_bytes(), span, "{source}@{offset}");
                    checked_against_file += 1;
                }
            }
        }
    }
    assert_eq!(rows, json.len());
    assert!(checked_against_file > 20, "{checked_against_file}");
    assert!(
        parts_of.values().any(|&n| n > 1),
        "a partition over 3 rows is split: {parts_of:?}"
    );
}

#[test]
fn argument_errors_come_before_the_ingest() {
    let fixtures = fixtures();
    let input = fixtures.to_str().unwrap();
    let (code, _, stderr) = run(&["--format", "parquet", input]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("-o DIR"), "{stderr}");
    let (code, _, stderr) = run(&["--format", "json", "-o", "/nonexistent", input]);
    assert_eq!(code, 2, "{stderr}");
    // A directory with something in it: parts of two runs must not mix.
    let dir = out_dir("busy");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), b"x").unwrap();
    let (code, _, stderr) = run(&["--format", "parquet", "-o", dir.to_str().unwrap(), input]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(std::fs::read(dir.join("keep.txt")).unwrap(), b"x");
}
