//! Generated corpora per provider, bad input, archives, and the memory budget.

mod common;

use std::io::{Cursor, Read, Write};

use trailproof_core::diag::{Error as CoreError, Severity};
use trailproof_events::formats::FieldMapping;
use trailproof_events::ingest::{read_raw, FileKind, FileSummary, Framing, Ingest, IngestOptions};
use trailproof_events::model::Provider;
use trailproof_events::store::{EventStore, Field};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn ingest(files: &[(&str, &[u8])]) -> (Vec<FileSummary>, EventStore) {
    ingest_with(IngestOptions::default(), files)
}

fn ingest_with(opts: IngestOptions, files: &[(&str, &[u8])]) -> (Vec<FileSummary>, EventStore) {
    let mut ing = Ingest::new(opts);
    let sums = files
        .iter()
        .map(|(p, b)| ing.add_file(p, &mut &b[..]))
        .collect();
    (sums, ing.finish())
}

fn only_error(s: &FileSummary) -> &CoreError {
    assert_eq!(s.diagnostics.len(), 1, "{:?}", s.diagnostics);
    &s.diagnostics[0].error
}

const GOOD: &[u8] = br#"{"Records":[{"eventVersion":"1.09","eventTime":"2024-05-01T00:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","eventID":"11111111-1111-1111-1111-111111111111","userIdentity":{"type":"Root","accountId":"1"}}]}"#;

#[test]
fn generated_corpora_per_provider() {
    let ct = common::cloudtrail_file(1, 2000, 1_714_521_600_000);
    let ct_gz = gzip(&common::cloudtrail_file(2, 500, 1_714_521_600_000));
    let at = common::actiontrail_array(3, 300);
    let cts = common::cts_array(4, 200);
    let gcp = common::gcp_ndjson(5, 400);
    let az_wrapped = common::azure_storage(6, 100, true);
    let az_lines = common::azure_storage(7, 100, false);
    let sls = common::sls_flat(8, 50);
    let (sums, store) = ingest(&[
        ("ct.json", &ct),
        ("ct.json.gz", &ct_gz),
        ("actiontrail.json", &at),
        (
            "mylog_CloudTrace_ap-southeast-1_2024-05-01T01-05-00Z_0123456789abcdef.json",
            &cts,
        ),
        ("gcp.json", &gcp),
        ("PT1H-old.json", &az_wrapped),
        ("PT1H.json", &az_lines),
        ("sls.json", &sls),
    ]);
    for s in &sums {
        assert!(s.diagnostics.is_empty(), "{}: {:?}", s.path, s.diagnostics);
    }
    let kinds: Vec<_> = sums.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds[0],
        FileKind::Events {
            provider: Some(Provider::Aws),
            framing: Framing::Wrapper("Records")
        }
    );
    assert!(sums[1].gzip);
    assert_eq!(
        kinds[2],
        FileKind::Events {
            provider: Some(Provider::Alibaba),
            framing: Framing::Array
        }
    );
    assert_eq!(
        kinds[3],
        FileKind::Events {
            provider: Some(Provider::Huawei),
            framing: Framing::Array
        }
    );
    assert_eq!(
        kinds[4],
        FileKind::Events {
            provider: Some(Provider::Gcp),
            framing: Framing::Objects
        }
    );
    assert_eq!(
        kinds[5],
        FileKind::Events {
            provider: Some(Provider::Azure),
            framing: Framing::Wrapper("records")
        }
    );
    assert_eq!(
        kinds[6],
        FileKind::Events {
            provider: Some(Provider::Azure),
            framing: Framing::Objects
        }
    );
    assert_eq!(
        kinds[7],
        FileKind::Events {
            provider: Some(Provider::Alibaba),
            framing: Framing::Objects
        }
    );
    let counts: Vec<u64> = sums.iter().map(|s| s.events).collect();
    assert_eq!(counts, vec![2000, 500, 300, 200, 400, 100, 100, 50]);
    assert_eq!(store.len(), 3650);

    // Provider-specific mapping checks on the generated data.
    let q = |s: &str| store.query(s).unwrap().count();
    assert_eq!(q("provider:huawei outcome:error"), 20); // every 10th trace is trace_rating=warning
    assert_eq!(q("provider:huawei region:ap-southeast-1"), 200);
    assert_eq!(q("provider:gcp error:PERMISSION_DENIED"), 58); // i % 7 == 0 for i < 400
    assert_eq!(q("provider:gcp ip:2001:db8::/32"), 400);
    assert_eq!(q("provider:azure outcome:error"), 40);
    assert_eq!(q("provider:azure account:0000-SUB"), 200);
    assert_eq!(q("provider:alibaba actor:root root:true"), 50); // SLS rows
    assert_eq!(q("provider:alibaba error:Forbidden.RAM"), 150); // odd rows (misspelt extra key)
    assert_eq!(q("provider:aws"), 2500);
    // CTS: both time forms decode to consecutive seconds.
    let cts_rows: Vec<usize> = store.query("provider:huawei").unwrap().iter().collect();
    let first = store.time_ms(cts_rows[0]);
    let last = store.time_ms(*cts_rows.last().unwrap());
    assert_eq!((first, last - first), (1_714_525_200_000, 199_000));
    // Raw references re-read exactly one record, also from gzip.
    let row = store
        .query("provider:aws file:ct.json.gz")
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let raw = store.raw(row);
    let bytes = read_raw(&mut &ct_gz[..], &raw, &Default::default()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        v["eventID"].as_str().unwrap(),
        store.text(row, Field::EventId)
    );
}

#[test]
fn generic_mapping() {
    let data = br#"{"ts":"2024-05-01T10:00:00Z","who":{"name":"carol"},"op":"login","src":"192.0.2.1","ok":"false","err":"BadPassword"}
{"ts":1714557600,"who":{"name":"dave"},"op":"logout","src":"192.0.2.2"}
{"no_time":true}
"#;
    let mapping = FieldMapping::parse("time=ts,actor=who.name,action=op,ip=src,error=err")
        .expect("valid mapping");
    let opts = IngestOptions {
        mapping: Some(mapping),
        ..Default::default()
    };
    let (sums, store) = ingest_with(opts, &[("app.jsonl", data)]);
    assert_eq!(sums[0].events, 2);
    assert_eq!(
        sums[0].kind,
        FileKind::Events {
            provider: Some(Provider::Generic),
            framing: Framing::Objects
        }
    );
    // The line without a time is reported as unrecognised.
    assert_eq!(only_error(&sums[0]), &CoreError::UnknownFormat);
    assert_eq!(
        store
            .query("actor:carol error:BadPassword")
            .unwrap()
            .count(),
        1
    );
    assert_eq!(
        store
            .query("action:logout time>=2024-05-01T10:00:00Z")
            .unwrap()
            .count(),
        1
    );
    assert!(FieldMapping::parse("actor=x").is_err());
    assert!(FieldMapping::parse("time=t,bogus=y").is_err());
    // Without a mapping the same file is an unknown format, and nothing is loaded.
    let (sums, store) = ingest(&[("app.jsonl", data)]);
    assert_eq!(sums[0].kind, FileKind::Unknown);
    assert!(store.is_empty());
}

#[test]
fn truncated_gzip_is_reported_and_others_load() {
    let full = gzip(&common::cloudtrail_file(9, 300, 1_714_521_600_000));
    let cut = &full[..full.len() / 2];
    let (sums, store) = ingest(&[("cut.json.gz", cut), ("good.json", GOOD)]);
    assert!(
        matches!(sums[0].diagnostics[0].error, CoreError::Gzip { .. }),
        "{:?}",
        sums[0].diagnostics
    );
    assert_eq!(sums[0].diagnostics[0].severity, Severity::Error);
    // Records fully decoded before the cut are kept.
    assert!(
        sums[0].events > 0 && sums[0].events < 300,
        "{}",
        sums[0].events
    );
    assert_eq!(sums[1].events, 1);
    assert_eq!(store.len() as u64, sums[0].events + 1);
    // Not gzip at all past the magic.
    let (sums, _) = ingest(&[("bad.gz", b"\x1f\x8bnot really gzip")]);
    assert!(matches!(only_error(&sums[0]), CoreError::Gzip { .. }));
    assert_eq!(sums[0].kind, FileKind::Unreadable);
}

#[test]
fn gzip_cap_is_enforced() {
    let big = gzip(&common::cloudtrail_file(10, 2000, 0));
    let mut opts = IngestOptions::default();
    opts.limits.max_entry_bytes = 100_000;
    let (sums, _) = ingest_with(opts, &[("big.json.gz", &big)]);
    assert_eq!(
        only_error(&sums[0]),
        &CoreError::TooLarge { limit: 100_000 }
    );
}

#[test]
fn invalid_json_positions() {
    // NDJSON: line 2 is broken; lines 1 and 3 load.
    let nd = b"{\"eventTime\":\"2024-05-01T00:00:00Z\",\"awsRegion\":\"x\",\"eventName\":\"A\"}\n{\"eventTime\": tru}\n{\"eventTime\":\"2024-05-01T00:00:01Z\",\"awsRegion\":\"x\",\"eventName\":\"B\"}\n";
    let (sums, store) = ingest(&[("a.jsonl", nd)]);
    assert_eq!(sums[0].events, 2);
    match only_error(&sums[0]) {
        CoreError::Json { line, column, .. } => assert_eq!((*line, *column), (2, 18)),
        other => panic!("{other:?}"),
    }
    assert_eq!(sums[0].diagnostics[0].offset, Some(69)); // the record start
    assert_eq!(store.len(), 2);

    // Inside a pretty-printed Records array: the bad record is skipped, position absolute.
    let arr = b"{\"Records\": [\n {\"eventTime\":\"2024-05-01T00:00:00Z\",\"awsRegion\":\"x\"},\n {\"eventTime\":\n   [1,}\n]}";
    let (sums, store) = ingest(&[("b.json", arr)]);
    assert_eq!(store.len(), 1);
    assert!(
        sums[0]
            .diagnostics
            .iter()
            .any(|d| matches!(d.error, CoreError::Json { line: 4, .. })),
        "{:?}",
        sums[0].diagnostics
    );

    // Truncated: the array never closes.
    let (sums, store) = ingest(&[("c.json", &GOOD[..GOOD.len() - 2])]);
    assert_eq!(store.len(), 1);
    assert!(
        matches!(only_error(&sums[0]), CoreError::Json { message, .. } if message.contains("truncated"))
    );

    // An NDJSON line that just stops.
    let (sums, store) = ingest(&[("d.jsonl", b"{\"eventTime\":\"2024-05-01T00:00:00Z\",\"awsRegion\":\"x\"}\n{\"eventTime\":\"20\n{\"eventTime\":\"2024-05-01T00:00:00Z\",\"awsRegion\":\"y\"}\n")]);
    assert_eq!(store.len(), 2);
    assert!(matches!(
        only_error(&sums[0]),
        CoreError::Json { line: 2, .. }
    ));
}

#[test]
fn wrong_encodings() {
    let mut utf16 = vec![0xff, 0xfe];
    for c in "{\"a\":1}".encode_utf16() {
        utf16.extend_from_slice(&c.to_le_bytes());
    }
    let bad_utf8 = b"{\"eventTime\":\"2024-05-01T00:00:00Z\",\"awsRegion\":\"x\",\"eventName\":\"\xff\xfe\"}\n{\"eventTime\":\"2024-05-01T00:00:00Z\",\"awsRegion\":\"x\",\"eventName\":\"ok\"}\n";
    let mut bom = vec![0xef, 0xbb, 0xbf];
    bom.extend_from_slice(GOOD);
    let (sums, store) = ingest(&[
        ("u16.json", &utf16),
        ("bad.jsonl", bad_utf8),
        ("bom.json", &bom),
        ("good.json", GOOD),
    ]);
    assert!(
        matches!(only_error(&sums[0]), CoreError::Encoding { message } if message.contains("UTF-16"))
    );
    assert_eq!(sums[0].kind, FileKind::Unreadable);
    assert!(matches!(only_error(&sums[1]), CoreError::Encoding { .. }));
    assert_eq!(sums[1].diagnostics[0].offset, Some(65));
    assert_eq!(sums[1].events, 1);
    assert!(sums[2].diagnostics.is_empty());
    assert_eq!(sums[2].events, 1);
    // The BOM is outside the record span: offsets count decoded bytes from the file start.
    let row = store.query("file:bom.json").unwrap().iter().next().unwrap();
    assert_eq!(store.raw(row).offset, 3 + 12);
    assert_eq!(store.len(), 2 + 1 - 1); // bom.json and good.json hold the same event (deduplicated)
}

/// A reader producing a long single-line `{"Records":[...]}` without holding it in memory.
struct Generated {
    produced: u64,
    total_records: u64,
    record: Vec<u8>,
    pos: usize,
    state: u8,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match self.state {
                0 => {
                    let head = b"{\"Records\":[";
                    let k = (head.len() - self.pos).min(buf.len() - n);
                    buf[n..n + k].copy_from_slice(&head[self.pos..self.pos + k]);
                    n += k;
                    self.pos += k;
                    if self.pos == head.len() {
                        self.pos = 0;
                        self.state = 1;
                    }
                }
                1 => {
                    if self.pos == self.record.len() {
                        self.produced += 1;
                        self.pos = 0;
                        if self.produced == self.total_records {
                            self.state = 2;
                            continue;
                        }
                        buf[n] = b',';
                        n += 1;
                        continue;
                    }
                    let k = (self.record.len() - self.pos).min(buf.len() - n);
                    buf[n..n + k].copy_from_slice(&self.record[self.pos..self.pos + k]);
                    self.pos += k;
                    n += k;
                }
                2 => {
                    buf[n] = b']';
                    n += 1;
                    self.state = 3;
                }
                3 => {
                    buf[n] = b'}';
                    n += 1;
                    self.state = 4;
                }
                _ => break,
            }
        }
        Ok(n)
    }
}

#[test]
fn huge_single_line_streams_and_huge_record_is_capped() {
    // ~30 MB on one line: streamed record by record.
    let record = common::cloudtrail_event(&mut common::Rng::new(3), 0, 0).into_bytes();
    let mut r = Generated {
        produced: 0,
        total_records: 30_000,
        record: record.clone(),
        pos: 0,
        state: 0,
    };
    let mut ing = Ingest::new(IngestOptions {
        max_record_bytes: 64 * 1024,
        ..Default::default()
    });
    let s = ing.add_file("one-line.json", &mut r);
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    assert_eq!(s.events, 30_000);
    assert!(s.decoded_bytes > 30_000 * record.len() as u64);

    // A single record of ~8 MB with a 1 MiB cap: skipped, not buffered; the next file loads.
    let mut huge =
        br#"{"Records":[{"eventTime":"2024-05-01T00:00:00Z","awsRegion":"x","junk":""#.to_vec();
    huge.extend(std::iter::repeat_n(b'x', 8 << 20));
    huge.extend_from_slice(br#""},{"eventTime":"2024-05-01T00:00:00Z","awsRegion":"y"}]}"#);
    let s = ing.add_file("huge.json", &mut &huge[..]);
    assert_eq!(s.events, 1);
    assert!(matches!(
        s.diagnostics[0].error,
        CoreError::LineTooLong { limit: 65_536 }
    ));
    assert_eq!(s.diagnostics[0].offset, Some(12));
    let s = ing.add_file("good.json", &mut &GOOD[..]);
    assert_eq!(s.events, 1);
}

#[test]
fn unknown_formats() {
    let csv = b"name,when,who\nConsoleLogin,2024-05-01,alice\n";
    let (sums, store) = ingest(&[
        ("export.csv", csv),
        ("empty.json", b""),
        ("other.json", br#"{"hello":"world"}"#),
        ("scalars.json", b"[1,2,3]"),
        ("binary.bin", &[0u8, 159, 146, 150, 0, 0, 0, 0, 1, 2][..]),
        ("good.json", GOOD),
    ]);
    for s in &sums[..4] {
        assert_eq!(only_error(s), &CoreError::UnknownFormat, "{}", s.path);
        assert_eq!(s.diagnostics[0].severity, Severity::Warning);
        assert_eq!(s.kind, FileKind::Unknown);
    }
    assert!(matches!(
        only_error(&sums[4]),
        CoreError::Encoding { .. } | CoreError::UnknownFormat
    ));
    assert_eq!(store.len(), 1);
    // Garbage lines between NDJSON records: reported per line, the rest loads.
    let mixed = b"{\"eventTime\":\"2024-05-01T00:00:00Z\",\"awsRegion\":\"x\"}\nnot json at all\n{\"eventTime\":\"2024-05-01T00:00:00Z\",\"awsRegion\":\"y\"}\n";
    let (sums, store) = ingest(&[("m.jsonl", mixed)]);
    assert_eq!(store.len(), 2);
    assert!(matches!(
        only_error(&sums[0]),
        CoreError::Json {
            line: 2,
            column: 1,
            ..
        }
    ));
}

#[test]
fn diagnostics_are_capped_per_file() {
    let mut text = String::new();
    for _ in 0..100 {
        text.push_str("garbage\n");
    }
    let (sums, _) = ingest(&[("g.jsonl", text.as_bytes())]);
    // The first byte decides: not JSON at all, one diagnostic.
    assert_eq!(sums[0].diagnostics.len(), 1);
    let mut text = String::from("{\"eventTime\":\"2024-05-01T00:00:00Z\",\"awsRegion\":\"x\"}\n");
    for _ in 0..100 {
        text.push_str("garbage\n");
    }
    let (sums, _) = ingest(&[("g.jsonl", text.as_bytes())]);
    assert_eq!(sums[0].diagnostics.len(), 20);
    assert!(sums[0].suppressed >= 80);
}

/// A minimal ustar writer for archive tests.
fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in entries {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.extend(std::iter::repeat_n(0u8, (512 - data.len() % 512) % 512));
    }
    out.extend(std::iter::repeat_n(0u8, 1024));
    out
}

#[test]
fn archives_through_core_input() {
    let ct_gz = gzip(&common::cloudtrail_file(11, 50, 0));
    let archive = tar(&[
        ("AWSLogs/1/CloudTrail/us-east-1/a.json.gz", &ct_gz),
        ("../escape.json", GOOD),
        ("notes.txt", b"hello"),
    ]);
    let tgz = gzip(&archive);
    let mut ing = Ingest::new(IngestOptions::default());
    let sum = ing.add_input("export.tgz", &mut Cursor::new(tgz));
    let store = ing.finish();
    assert_eq!(
        sum.files.len(),
        3,
        "{:?}",
        sum.files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    assert_eq!(sum.files[0].events, 50);
    assert!(sum.files[0].gzip);
    assert_eq!(sum.files[1].events, 1);
    assert!(
        sum.diagnostics
            .iter()
            .any(|d| matches!(d.error, CoreError::UnsafePath { .. })),
        "{:?}",
        sum.diagnostics
    );
    assert_eq!(sum.files[2].kind, FileKind::Unknown);
    assert_eq!(store.len(), 51);
    assert!(store.files()[0].starts_with("export.tgz/"));
}

#[test]
fn cancel_through_progress() {
    let big = common::cloudtrail_file(12, 20_000, 0);
    let mut ing = Ingest::new(IngestOptions::default());
    ing.set_progress(Box::new(|_| false));
    let s = ing.add_file("big.json", &mut &big[..]);
    assert!(s
        .diagnostics
        .iter()
        .any(|d| d.error == CoreError::Cancelled));
    let s = ing.add_file("next.json", &mut &GOOD[..]);
    assert_eq!(s.diagnostics[0].error, CoreError::Cancelled);
}

#[test]
fn memory_budget_on_100k_cloudtrail_events() {
    let mut ing = Ingest::new(IngestOptions::default());
    let mut bytes = 0;
    for f in 0..20u64 {
        // 20 delivery files of 5,000 events, 5 minutes apart.
        let data = common::cloudtrail_file(100 + f, 5000, 1_714_521_600_000 + f as i64 * 300_000);
        bytes += data.len();
        let s = ing.add_file(&format!("AWSLogs/f{f}.json"), &mut &data[..]);
        assert_eq!(s.events, 5000);
    }
    let store = ing.finish();
    assert_eq!(store.len(), 100_000);
    let m = store.memory();
    let bpe = store.bytes_per_event();
    println!(
        "100k CloudTrail events ({} MB JSON): {bpe:.1} bytes/event in columns, dictionaries {:.1} MB ({:.1} bytes/event)",
        bytes / 1_000_000,
        m.dictionary_bytes as f64 / 1e6,
        m.dictionary_bytes as f64 / m.events as f64
    );
    assert!(bpe <= 100.0, "{bpe} bytes/event");
    // Facets over everything stay cheap and correct.
    let all = store.query("").unwrap();
    let regions = store.facet(Field::Region, &all, 3);
    assert_eq!(regions[0].value, "us-east-1");
    assert_eq!(store.facet(Field::Outcome, &all, 5).len(), 2);
}

#[test]
fn other_shapes_and_type_surprises() {
    // `aws cloudtrail lookup-events` JSON output.
    let lookup = br#"{"Events":[{"EventId":"0828c0d2-3589-4390-b954-c78b4a7df44b","EventName":"ConsoleLogin","ReadOnly":"false","EventTime":"2024-05-01T10:00:00+02:00","Username":"root","CloudTrailEvent":"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\",\"accountId\":\"1\"},\"eventTime\":\"2024-05-01T08:00:00Z\",\"eventName\":\"ConsoleLogin\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"192.0.2.1\",\"eventID\":\"0828c0d2-3589-4390-b954-c78b4a7df44b\",\"errorMessage\":\"Failed authentication\",\"errorCode\":\"Failed\"}"}],"NextToken":"x"}"#;
    // `az monitor activity-log list`: camelCase objects, in a JSON array; REST: {"value":[...]}.
    let az_cli = br#"[{"eventTimestamp":"2024-05-01T00:00:00.1234567Z","operationName":{"value":"Microsoft.Storage/storageAccounts/listKeys/action","localizedValue":"List keys"},"status":{"value":"Failed"},"subStatus":{"value":"Forbidden"},"caller":"eve@contoso.com","httpRequest":{"clientIpAddress":"198.51.100.1","method":"POST"},"eventDataId":"ab000000-0000-0000-0000-000000000001","subscriptionId":"sub-1","resourceProviderName":{"value":"Microsoft.Storage"},"properties":{"statusMessage":"denied"}}]"#;
    let az_rest = br#"{"value":[{"eventTimestamp":"2024-05-01T00:00:01Z","operationName":{"value":"Microsoft.Compute/virtualMachines/read"},"status":{"value":"Succeeded"},"caller":"eve@contoso.com","eventDataId":"ab000000-0000-0000-0000-000000000002","resourceId":"/subscriptions/sub-2/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"}],"nextLink":null}"#;
    let cts_obj = br#"{"traces":[{"time":"1714525200000","service_type":"IAM","trace_name":"login","trace_rating":"incident","trace_type":"ConsoleAction","user":{"name":"ops"},"trace_id":"t1","message":"locked"}],"meta_data":{"count":1}}"#;
    let at_nd = b"{\"eventId\":\"a1\",\"eventTime\":\"2024-05-01T00:00:00Z\",\"acsRegion\":\"cn-beijing\",\"eventName\":\"ConsoleSignin\",\"userIdentity\":{\"type\":\"ram-user\"},\"addionalEventData\":{\"loginAccount\":\"dev@1234\"}}\n{\"event\":{\"eventId\":\"a2\",\"eventTime\":\"2024-05-01T00:00:01Z\",\"acsRegion\":\"cn-beijing\",\"eventName\":\"ConsoleSignout\"}}\n{\"__topic__\":\"actiontrail_audit_event\",\"event\":\"{\\\"eventId\\\":\\\"a3\\\",\\\"eventTime\\\":\\\"2024-05-01T00:00:02Z\\\",\\\"acsRegion\\\":\\\"cn-beijing\\\",\\\"eventName\\\":\\\"CreateUser\\\",\\\"eventRW\\\":\\\"Write\\\"}\"}\n";
    // Types a decoder does not expect: tolerated, not fatal.
    let odd = br#"[{"eventTime":"2024-05-01T00:00:00Z","awsRegion":"us-east-1","eventName":"X","resources":"arn:aws:s3:::b","userIdentity":"nobody","readOnly":"TRUE","eventID":7},
{"EventName":"Y","EventTime":"2024-05-01T00:00:00Z","CloudTrailEvent":null,"EventId":"y"},
{"logName":"projects/p/logs/cloudaudit.googleapis.com%2Fdata_access","timestamp":"2024-05-01T00:00:00Z","protoPayload":{"methodName":"get","authorizationInfo":["x",{"permissionType":"DATA_READ"}],"status":"weird"}}]"#;
    let (sums, store) = ingest(&[
        ("lookup.json", lookup),
        ("az-cli.json", az_cli),
        ("az-rest.json", az_rest),
        ("cts.json", cts_obj),
        ("at.jsonl", at_nd),
        ("odd.json", odd),
    ]);
    for s in &sums {
        assert!(s.diagnostics.is_empty(), "{}: {:?}", s.path, s.diagnostics);
    }
    assert_eq!(
        sums[0].kind,
        FileKind::Events {
            provider: Some(Provider::Aws),
            framing: Framing::Wrapper("Events")
        }
    );
    assert_eq!(
        sums[2].kind,
        FileKind::Events {
            provider: Some(Provider::Azure),
            framing: Framing::Wrapper("value")
        }
    );
    assert_eq!(
        sums[3].kind,
        FileKind::Events {
            provider: Some(Provider::Huawei),
            framing: Framing::Wrapper("traces")
        }
    );
    assert_eq!(sums[4].events, 3);
    assert_eq!(
        sums[5].kind,
        FileKind::Events {
            provider: None,
            framing: Framing::Array
        }
    );
    let one = |q: &str| {
        let sel = store.query(q).unwrap();
        assert_eq!(sel.count(), 1, "{q}");
        let row = sel.iter().next().unwrap();
        store.event(row)
    };
    let e = one("action:ConsoleLogin");
    assert_eq!((e.actor.name.as_str(), e.actor.root), ("root", true));
    assert_eq!(e.outcome.error_code(), Some("Failed"));
    assert_eq!(e.read_only, Some(false)); // from the wrapper's "ReadOnly":"false"
    let e = one("provider:azure outcome:error");
    assert_eq!(e.outcome.error_code(), Some("Forbidden"));
    assert_eq!(
        (e.service.as_str(), e.source_ip.as_str(), e.read_only),
        ("Microsoft.Storage", "198.51.100.1", Some(false))
    );
    let e = one("provider:azure rw:read");
    assert_eq!(
        (e.account.as_str(), e.service.as_str()),
        ("sub-2", "Microsoft.Compute")
    );
    let e = one("provider:huawei");
    assert_eq!(e.outcome.error_code(), Some("incident"));
    assert_eq!(
        trailproof_events::time::format_rfc3339(e.time_ms),
        "2024-05-01T01:00:00Z"
    );
    assert_eq!(one("action:ConsoleSignin").actor.name, "dev@1234"); // misspelt addionalEventData
    assert_eq!(one("action:CreateUser").read_only, Some(false)); // SLS event as a JSON string
    assert_eq!(one("action:ConsoleSignout").provider, Provider::Alibaba); // SLS event object
    let e = one("action:X");
    assert_eq!((e.read_only, e.resources.len()), (Some(true), 0));
    assert_eq!(one("action:Y").event_id, "y");
    assert_eq!(one("action:get").read_only, Some(true));
}

#[test]
fn cloudtrail_console_csv() {
    // Header-driven: columns are found by name (the console's exact column set is not
    // documented), quoted fields may hold commas, quotes and newlines.
    let csv = b"Event ID,Event time,User name,Event name,Resource type,Resource name,AWS access key,AWS region,Error code,Source IP address,Event source,Read-only\r\n\
0828c0d2-3589-4390-b954-c78b4a7df44b,2024-05-01T10:00:00Z,alice,ConsoleLogin,,,,us-east-1,,192.0.2.1,signin.amazonaws.com,false\r\n\
1f2d6879-969f-4c15-b550-55015423e0c6,2024-05-01T10:05:00Z,bob,PutBucketPolicy,AWS::S3::Bucket,\"b1, b2\",AKIA,eu-west-1,AccessDenied,198.51.100.2,s3.amazonaws.com,false\r\n\
ec783cd8-fad8-41a8-abac-569a78c42e33,not a time,carol,X,,,,,,,,\r\n";
    let (sums, store) = ingest(&[("event_history.csv", csv)]);
    assert_eq!(
        sums[0].kind,
        FileKind::Events {
            provider: Some(Provider::Aws),
            framing: Framing::Csv
        }
    );
    assert_eq!(sums[0].events, 2);
    assert_eq!(sums[0].records, 3);
    assert_eq!(only_error(&sums[0]), &CoreError::UnknownFormat); // the row without a time
    let sel = store.query("error:AccessDenied").unwrap();
    let row = sel.iter().next().unwrap();
    let e = store.event(row);
    assert_eq!(
        (e.actor.name.as_str(), e.action.as_str(), e.region.as_str()),
        ("bob", "PutBucketPolicy", "eu-west-1")
    );
    assert_eq!(e.resources, vec!["b1".to_string(), "b2".to_string()]);
    assert_eq!(
        (e.read_only, e.source_ip.as_str()),
        (Some(false), "198.51.100.2")
    );
    let raw = read_raw(&mut &csv[..], &e.raw, &Default::default()).unwrap();
    assert!(raw.starts_with(b"1f2d6879") && raw.ends_with(b"false"));
}

#[test]
fn cloudtrail_insights_events() {
    let insight = br#"{"Records":[{"eventVersion":"1.07","eventTime":"2024-05-01T10:00:00Z","awsRegion":"us-east-1","eventID":"11111111-0000-0000-0000-000000000001","eventType":"AwsCloudTrailInsight","recipientAccountId":"123456789012","sharedEventID":"x","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight","insightContext":{}},"eventCategory":"Insight"}]}"#;
    let (sums, store) = ingest(&[("CloudTrail-Insight.json", insight)]);
    assert_eq!(sums[0].events, 1);
    let e = store.event(0);
    assert_eq!(e.action, "ApiCallRateInsight Start: RunInstances");
    assert_eq!(
        (e.service.as_str(), e.account.as_str()),
        ("ec2.amazonaws.com", "123456789012")
    );
}

/// An Event Hubs Capture Avro file (null codec), one block per entry of `blocks`, each
/// message body one JSON document.
fn capture_avro(blocks: &[Vec<Vec<u8>>]) -> Vec<u8> {
    fn long(n: i64, out: &mut Vec<u8>) {
        let mut v = ((n << 1) ^ (n >> 63)) as u64;
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
    }
    fn bytes(b: &[u8], out: &mut Vec<u8>) {
        long(b.len() as i64, out);
        out.extend_from_slice(b);
    }
    const SCHEMA: &str = r#"{"type":"record","name":"EventData","namespace":"Microsoft.ServiceBus.Messaging","fields":[{"name":"SequenceNumber","type":"long"},{"name":"Offset","type":"string"},{"name":"EnqueuedTimeUtc","type":"string"},{"name":"SystemProperties","type":{"type":"map","values":["long","double","string","bytes"]}},{"name":"Properties","type":{"type":"map","values":["long","double","string","bytes"]}},{"name":"Body","type":["null","bytes"]}]}"#;
    let sync = [9u8; 16];
    let mut f = b"Obj\x01".to_vec();
    long(2, &mut f);
    bytes(b"avro.schema", &mut f);
    bytes(SCHEMA.as_bytes(), &mut f);
    bytes(b"avro.codec", &mut f);
    bytes(b"null", &mut f);
    long(0, &mut f);
    f.extend_from_slice(&sync);
    let mut seq = 0;
    for bodies in blocks {
        let mut data = Vec::new();
        for b in bodies {
            long(seq, &mut data);
            seq += 1;
            bytes(b"0", &mut data);
            bytes(b"5/1/2024 10:00:00 AM", &mut data);
            long(0, &mut data); // empty SystemProperties
            long(0, &mut data); // empty Properties
            long(1, &mut data); // Body: the bytes branch
            bytes(b, &mut data);
        }
        long(bodies.len() as i64, &mut f);
        long(data.len() as i64, &mut f);
        f.extend_from_slice(&data);
        f.extend_from_slice(&sync);
    }
    f
}

#[test]
fn cancel_between_avro_blocks() {
    // Eight blocks of ~1.5 MiB: the first progress call comes after the first 4 MiB,
    // between blocks; cancelling there stops the file, and later files report the cancel.
    const PER_BLOCK: u64 = 2_000;
    let blocks: Vec<Vec<Vec<u8>>> = (0..8)
        .map(|b| vec![common::cloudtrail_file(40 + b, PER_BLOCK, 0)])
        .collect();
    let size = blocks[0][0].len();
    assert!(size > 1 << 20 && size < 3 << 20, "{size}");
    let file = capture_avro(&blocks);
    // Uncancelled, every block loads.
    let (sums, all) = ingest(&[("capture.avro", &file[..])]);
    assert!(sums[0].diagnostics.is_empty(), "{:?}", sums[0].diagnostics);
    assert_eq!(all.len() as u64, 8 * PER_BLOCK);

    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut ing = Ingest::new(IngestOptions::default());
    let log = seen.clone();
    ing.set_progress(Box::new(move |p| {
        log.borrow_mut().push(p.events);
        false
    }));
    let s = ing.add_file("capture.avro", &mut &file[..]);
    let seen = seen.borrow().clone();
    // One call, between blocks (a whole number of them loaded), before the last one.
    assert_eq!(seen.len(), 1);
    let at = seen[0];
    assert!(at > 0 && at < 8 * PER_BLOCK && at % PER_BLOCK == 0, "{at}");
    assert!(s
        .diagnostics
        .iter()
        .any(|d| d.error == CoreError::Cancelled));
    assert_eq!(s.events, at, "no event after the cancel");
    let next = ing.add_file("next.json", &mut &GOOD[..]);
    assert_eq!(next.diagnostics[0].error, CoreError::Cancelled);
    assert_eq!(ing.finish().len() as u64, at);
}
