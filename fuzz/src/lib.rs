//! Shared helpers for the fuzz targets.
//!
//! Raw bytes exercise the scanner and the JSON layer; the per-format targets instead place
//! fuzzer-chosen strings into structurally valid records of one provider, so the mapping code
//! (time parsing, type-tolerant leaves, nested JSON strings) is reached on every run.

use trailproof_events::ingest::{read_raw, Ingest, IngestOptions};

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
        // The span is within the decoded input and re-reads to a JSON object.
        let span = read_raw(&mut &bytes[..], &raw, &Default::default()).expect("raw span readable");
        assert_eq!(span.first(), Some(&b'{'));
        assert_eq!(span.last(), Some(&b'}'));
        let _ = store.event(row);
    }
    let all = store.query("").expect("empty query");
    assert_eq!(all.count(), store.len());
    let _ = store.query("error:* OR actor:a* -rw:read ip:10.0.0.0/8 time>=2024-01-01");
}
