//! The store's access-key column (kept at ingest, so the first-seen key detector and Sigma
//! rules on `userIdentity.accessKeyId` re-read no record) says what the raw record says: for
//! every AWS and Alibaba row of every fixture and of records in each envelope ingest looks
//! through, the column equals `userIdentity.accessKeyId` of the re-read, unwrapped record
//! (blank keys empty) — the reading the analysis did before the column existed.

use serde_json::json;
use trailproof_analysis::records::{parse_record, text_at};
use trailproof_core::input::Limits;
use trailproof_events::ingest::{read_raw, Ingest, IngestOptions};
use trailproof_events::{Field, Provider};

/// `(name, bytes)` of every file under `dir`, recursively.
fn files_under(dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
}

/// Records whose key sits in each shape ingest reads: plain, blank, null, absent, a LookupEvents
/// wrapper (`CloudTrailEvent` as JSON text), an SLS export (flattened, nested text), ActionTrail.
fn shapes() -> Vec<(String, Vec<u8>)> {
    let aws = |id: &str, key: serde_json::Value| {
        json!({"eventVersion":"1.09","eventTime":"2024-05-01T00:00:00Z","eventSource":"s3.amazonaws.com",
            "eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","eventID":id,
            "userIdentity":{"type":"IAMUser","userName":"alice","accessKeyId":key},
            "recipientAccountId":"111122223333"})
    };
    let records = json!({"Records":[
        aws("k-plain", json!("AKIAPLAIN0000001")),
        aws("k-blank", json!("   ")),
        aws("k-null", json!(null)),
        aws("k-spaces-kept", json!(" AKIAPADDED00001 ")),
    ]});
    let mut absent = aws("k-absent", json!(null));
    absent["userIdentity"]
        .as_object_mut()
        .unwrap()
        .remove("accessKeyId");
    let lookup = json!({"Events":[{"EventId":"k-lookup","EventName":"GetObject",
        "EventTime":"2024-05-01T00:00:00Z","Username":"alice",
        "CloudTrailEvent": aws("k-lookup", json!("ASIALOOKUP000001")).to_string()}]});
    let sls = json!({"__time__":"1714521600","event.eventId":"k-sls","event.eventName":"DescribeInstances",
        "event.eventTime":"2024-05-01T00:00:00Z","event.acsRegion":"cn-hangzhou","event.serviceName":"Ecs",
        "event.sourceIpAddress":"192.0.2.9",
        "event.userIdentity":json!({"type":"ram-user","userName":"bob","accessKeyId":"LTAISLS000000001"}).to_string()});
    let ali = json!({"eventVersion":"1","eventTime":"2024-05-01T00:00:00Z","eventName":"DescribeInstances",
        "serviceName":"Ecs","acsRegion":"cn-hangzhou","sourceIpAddress":"192.0.2.9","eventId":"k-ali",
        "userIdentity":{"type":"ram-user","userName":"bob","accessKeyId":"STS.NTEMPORARY01"}});
    vec![
        (
            "shapes/records.json".into(),
            records.to_string().into_bytes(),
        ),
        ("shapes/absent.json".into(), absent.to_string().into_bytes()),
        ("shapes/lookup.json".into(), lookup.to_string().into_bytes()),
        ("shapes/sls.jsonl".into(), format!("{sls}\n").into_bytes()),
        ("shapes/ali.json".into(), ali.to_string().into_bytes()),
    ]
}

#[test]
fn the_access_key_column_says_what_the_raw_record_says() {
    let dir = std::env::var_os("TRAILPROOF_FIXTURES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
        std::path::PathBuf::from,
    );
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    files.extend(shapes());
    let mut ingest = Ingest::new(IngestOptions::default());
    for (name, bytes) in &files {
        ingest.add_file(name, &mut &bytes[..]);
    }
    let store = ingest.finish();
    let limits = Limits::default();
    let (mut keyed, mut compared) = (0, 0);
    for row in 0..store.len() {
        if !matches!(store.provider(row), Provider::Aws | Provider::Alibaba) {
            assert_eq!(store.text(row, Field::AccessKey), "", "row {row}");
            continue;
        }
        let raw = store.raw(row);
        let path = &store.files()[raw.file as usize];
        let bytes = &files.iter().find(|(n, _)| n == path).unwrap().1;
        let column = store.text(row, Field::AccessKey);
        let record = read_raw(&mut &bytes[..], &raw, &limits)
            .ok()
            .and_then(|b| parse_record(&b));
        // Records the analysis could not read as JSON (CSV rows) or did not unwrap (an
        // EventBridge `detail`, a CloudTrail Lake row) said nothing before; the column may
        // know more there.
        let Some(record) = record.filter(|r| r.is_object() && r.get("detail-type").is_none())
        else {
            continue;
        };
        let said = text_at(&record, "userIdentity.accessKeyId").filter(|k| !k.trim().is_empty());
        assert_eq!(
            said.as_deref().unwrap_or(""),
            column,
            "row {row} of {path}: {record}"
        );
        compared += 1;
        keyed += usize::from(!column.is_empty());
    }
    assert!(
        compared >= 30 && keyed >= 12,
        "{compared} rows compared, {keyed} with a key"
    );
    for key in [
        "AKIAPLAIN0000001",
        " AKIAPADDED00001 ",
        "ASIALOOKUP000001",
        "LTAISLS000000001",
        "STS.NTEMPORARY01",
    ] {
        let hits = store.query(&format!("access_key:\"{key}\"")).unwrap();
        assert!(hits.count() >= 1, "access_key:{key} finds its event");
    }
}
