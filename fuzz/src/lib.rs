//! Shared helpers for the fuzz targets.
//!
//! Raw bytes exercise the scanner and the JSON layer; the per-format targets instead place
//! fuzzer-chosen strings into structurally valid records of one provider, so the mapping code
//! (time parsing, type-tolerant leaves, nested JSON strings) is reached on every run.

use trailproof_events::ingest::{read_raw, FileKind, Framing, Ingest, IngestOptions};

/// Splits the input into up to `n` strings (on 0xff bytes), lossily decoded.
pub fn fields(data: &[u8], n: usize) -> Vec<String> {
    let mut out: Vec<String> = data
        .split(|&b| b == 0xff)
        .take(n)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    out.resize(n, String::new());
    out
}

/// Ingests `bytes` as one file, then checks invariants every store must hold.
pub fn ingest_and_check(path: &str, bytes: &[u8]) {
    let mut ing = Ingest::new(IngestOptions {
        max_record_bytes: 1 << 16,
        ..Default::default()
    });
    let summary = ing.add_file(path, &mut &bytes[..]);
    let store = ing.finish();
    assert!(store.len() as u64 <= summary.events);
    for row in 0..store.len() {
        let raw = store.raw(row);
        // The span is within the decoded input and re-reads to a JSON object (a CloudTrail
        // Lake `GetQueryResults` row: an array; a CSV row: any text).
        let span = read_raw(&mut &bytes[..], &raw, &Default::default()).expect("raw span readable");
        assert_eq!(span.len(), raw.len as usize);
        if !matches!(
            summary.kind,
            FileKind::Events {
                framing: Framing::Csv,
                ..
            }
        ) {
            match span.first() {
                Some(b'{') => assert_eq!(span.last(), Some(&b'}')),
                Some(b'[') => assert_eq!(span.last(), Some(&b']')),
                other => panic!("raw span starts with {other:?}"),
            }
        }
        let _ = store.event(row);
    }
    let all = store.query("").expect("empty query");
    assert_eq!(all.count(), store.len());
    let _ = store.query("error:* OR actor:a* -rw:read ip:10.0.0.0/8 time>=2024-01-01");
}

/// Gzips `json` as a CloudTrail log, and takes it as a log stored uncompressed too, and checks
/// that the scan that takes its record facts from the ingest's cut of it
/// (`trailproof_load::scan_and_ingest`) equals the scan that reads the log for them
/// (`trailproof_chain::scan`).
pub fn scan_from_cut_equals_scan(json: &[u8]) {
    use std::io::Write;
    const PATH: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_f.json.gz";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json).expect("in memory");
    let gzipped = gz.finish().expect("in memory");
    let plain = PATH.strip_suffix(".gz").expect("a .gz name");
    let limits = trailproof_chain::ScanLimits::default();
    for (path, held) in [(PATH, gzipped.as_slice()), (plain, json)] {
        let mut ingest = Ingest::new(IngestOptions::default());
        let (cut, _) = trailproof_load::scan_and_ingest(path, held, &limits, &mut ingest);
        let read = trailproof_chain::scan(path, &mut &held[..], &limits);
        assert_eq!(
            serde_json::to_string(&cut).expect("serialisable"),
            serde_json::to_string(&read).expect("serialisable")
        );
    }
}

/// The header of an Event Hubs Capture Avro file (Avro 1.11 "Object Container Files"): magic,
/// metadata with the capture schema and `codec`, and an all-zero sync marker.
pub fn capture_header(codec: &str) -> Vec<u8> {
    const SCHEMA: &str = r#"{"type":"record","name":"EventData","namespace":"Microsoft.ServiceBus.Messaging","fields":[{"name":"SequenceNumber","type":"long"},{"name":"Offset","type":"string"},{"name":"EnqueuedTimeUtc","type":"string"},{"name":"SystemProperties","type":{"type":"map","values":["long","double","string","bytes"]}},{"name":"Properties","type":{"type":"map","values":["long","double","string","bytes"]}},{"name":"Body","type":["null","bytes"]}]}"#;
    fn long(n: usize, out: &mut Vec<u8>) {
        let mut v = (n as u64) << 1;
        while v >= 0x80 {
            out.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut out = b"Obj\x01".to_vec();
    long(2, &mut out);
    for (k, v) in [("avro.schema", SCHEMA), ("avro.codec", codec)] {
        long(k.len(), &mut out);
        out.extend_from_slice(k.as_bytes());
        long(v.len(), &mut out);
        out.extend_from_slice(v.as_bytes());
    }
    long(0, &mut out);
    out.extend_from_slice(&[0; 16]);
    out
}
