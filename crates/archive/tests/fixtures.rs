//! Round trip seal → verify → prove on every provider fixture in `testdata/fixtures`.

mod common;

use std::path::PathBuf;

use common::*;
use trailproof_archive::frame::read_records;
use trailproof_archive::{verify_proof, InputOutcome, SealOptions, Sealer};
use trailproof_core::input::Limits;
use trailproof_core::report::Verdict;
use trailproof_events::ingest::{read_raw, Ingest, IngestOptions};
use trailproof_events::Provider;

fn fixtures() -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
        std::path::PathBuf::from,
    )
}

/// Seals one fixture, verifies it, checks every record's bytes are the provider's and that
/// every record can be proved.
fn round_trip(name: &str, provider: Provider, records: u64, period: Option<u64>) {
    round_trip_with(name, provider, records, period, None);
}

/// [`round_trip`], where `plain_twin` holds the same records as plain text.
fn round_trip_with(
    name: &str,
    provider: Provider,
    records: u64,
    period: Option<u64>,
    plain_twin: Option<&str>,
) {
    let bytes = std::fs::read(fixtures().join(name)).unwrap();
    let mut s = Sealer::new(
        signer(),
        SealOptions {
            period,
            nonce: None,
            now: 1_800_000_000,
        },
    )
    .unwrap();
    let outcome = s.add_file(name, &bytes).unwrap();
    match outcome {
        InputOutcome::Sealed {
            records: n,
            provider: p,
        } => assert_eq!((n, p), (records, Some(provider)), "{name}"),
        other => panic!("{name}: {other:?}"),
    }
    let a = s.finish().unwrap();
    assert_eq!(a.records, records);
    let v = verify(&a.files);
    assert_eq!(v.report.verdict, Verdict::Valid, "{name}: {:#?}", v.report);

    // The sealed bytes are exactly the provider's records, as the event ingest delimits them.
    let mut decoded = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        use std::io::Read;
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut decoded)
            .unwrap();
    } else {
        decoded = bytes.clone();
    }
    let mut sealed: Vec<Vec<u8>> = Vec::new();
    for (path, _, _) in v.record_files() {
        let file = &a.files.iter().find(|(p, _)| p == path).unwrap().1;
        sealed.extend(read_records(file).unwrap().into_iter().map(<[u8]>::to_vec));
    }
    assert_eq!(sealed.len() as u64, records);
    let mut ingest = Ingest::new(IngestOptions {
        dedup: false,
        ..Default::default()
    });
    ingest.add_file(name, &mut &bytes[..]);
    let store = ingest.finish();
    for row in 0..store.len() {
        // The record as the timeline's detail pane re-reads it from the original file.
        let want = read_raw(&mut &bytes[..], &store.raw(row), &Limits::default()).unwrap();
        assert!(
            sealed.contains(&want),
            "{name}: record {row} not sealed verbatim"
        );
    }
    // Where the records are not stored as they are (Avro blocks), a file of the same records
    // as plain text stands in for the file.
    let plain = match plain_twin {
        Some(twin) => std::fs::read(fixtures().join(twin)).unwrap(),
        None => decoded,
    };
    for s in &sealed {
        assert!(
            plain.windows(s.len()).any(|w| w == s.as_slice()),
            "{name}: sealed bytes not in the file"
        );
    }

    // Every record proves.
    for index in 0..v.size {
        let Some((path, n)) = v.locate(index) else {
            continue;
        };
        let file = &a.files.iter().find(|(p, _)| p == path).unwrap().1;
        let record = read_records(file).unwrap()[n as usize];
        let bundle = v.prove(index, record).unwrap();
        let ok = verify_proof(&bundle, &verifiers(), None).unwrap();
        assert_eq!(ok.record, record);
    }
}

#[test]
fn cloudtrail_log_pretty_printed() {
    round_trip(
        "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json",
        Provider::Aws,
        count_events("111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json"),
        Some(3600),
    );
}

#[test]
fn cloudtrail_log_gzip() {
    let name = "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz";
    round_trip(name, Provider::Aws, count_events(name), Some(300));
}

#[test]
fn cloudtrail_lookup_events_jsonl() {
    let name = "aws_cloudtrail_lookup_events_plaso.jsonl";
    round_trip(name, Provider::Aws, count_events(name), Some(3600));
}

#[test]
fn actiontrail_events() {
    for name in [
        "actiontrail_event_ram_user_DescribeInstances_sdkdoc.json",
        "actiontrail_event_root_PutBucket_oss_doc.json",
        "actiontrail_event_system_DeleteDisk_eventbridge_doc.json",
    ] {
        round_trip(name, Provider::Alibaba, 1, Some(3600));
    }
}

#[test]
fn huawei_cts_traces() {
    for name in [
        "cts_trace_example_ecs_createSingleServer_otcdocs.json",
        "cts_trace_example_evs_deleteVolume_otcdocs.json",
    ] {
        round_trip(name, Provider::Huawei, 1, None);
    }
}

#[test]
fn gcp_audit_logs() {
    let name = "gcp_logging_plaso.jsonl";
    round_trip(name, Provider::Gcp, count_events(name), Some(86400));
}

#[test]
fn azure_activity_log() {
    let name = "azure_activity_log_plaso.jsonl";
    round_trip(name, Provider::Azure, count_events(name), Some(3600));
}

#[test]
fn azure_event_hubs_capture_avro() {
    // Both codecs: the sealer frames the records as they are inside the decoded blocks.
    for name in [
        "handwritten/azure_eventhub_capture.avro",
        "handwritten/azure_eventhub_capture_deflate.avro",
    ] {
        round_trip_with(
            name,
            Provider::Azure,
            count_events(name),
            Some(3600),
            Some("handwritten/azure_eventhub_capture_bodies.jsonl"),
        );
    }
}

#[test]
fn cloudtrail_lake_query_result_pages() {
    let name = "handwritten/cloudtrail_lake_get_query_results.json";
    round_trip(name, Provider::Aws, count_events(name), Some(3600));
}

#[test]
fn all_providers_in_one_archive_and_companions_skipped() {
    let mut s = Sealer::new(
        signer(),
        SealOptions {
            period: None,
            nonce: Some("n".into()),
            now: 1_800_000_000,
        },
    )
    .unwrap();
    let mut total = 0;
    let mut entries: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&p).unwrap();
        match s.add_file(&name, &bytes) {
            Ok(InputOutcome::Sealed { records, .. }) => total += records,
            Ok(_) => {}
            Err(e) => panic!("{name}: {e}"),
        }
    }
    let a = s.finish().unwrap();
    assert_eq!(a.records, total);
    assert!(total >= 10);
    let mut o = options();
    o.nonce = Some("n".into());
    assert_eq!(verify_with(&a.files, o).report.verdict, Verdict::Valid);
}

fn count_events(name: &str) -> u64 {
    let bytes = std::fs::read(fixtures().join(name)).unwrap();
    let mut ingest = Ingest::new(IngestOptions {
        dedup: false,
        ..Default::default()
    });
    let sum = ingest.add_file(name, &mut &bytes[..]);
    assert!(sum.events > 0, "{name}");
    sum.events
}
