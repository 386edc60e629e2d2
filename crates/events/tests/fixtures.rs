//! Every shared real sample parses to the expected field values.

use std::fs::File;
use std::path::PathBuf;

use trailproof_events::formats::Companion;
use trailproof_events::ingest::{read_raw, FileKind, FileSummary, Framing, Ingest, IngestOptions};
use trailproof_events::model::{Event, Outcome, Provider};
use trailproof_events::store::EventStore;
use trailproof_events::time::format_rfc3339;

fn fixture(name: &str) -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES")
        .map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
            std::path::PathBuf::from,
        )
        .join(name)
}

fn load(name: &str) -> (FileSummary, EventStore) {
    let path = fixture(name);
    let mut ingest = Ingest::new(IngestOptions::default());
    let mut f = File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let summary = ingest.add_file(name, &mut f);
    (summary, ingest.finish())
}

fn events(store: &EventStore) -> Vec<Event> {
    (0..store.len()).map(|r| store.event(r)).collect()
}

fn by_id<'a>(evs: &'a [Event], id: &str) -> &'a Event {
    evs.iter()
        .find(|e| e.event_id == id)
        .unwrap_or_else(|| panic!("no event {id}"))
}

/// The raw reference points at exactly the record's bytes.
fn check_raw(name: &str, store: &EventStore) {
    for row in 0..store.len() {
        let raw = store.raw(row);
        let mut f = File::open(fixture(name)).unwrap();
        let bytes = read_raw(&mut f, &raw, &Default::default()).unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).expect("raw span is one JSON value");
        assert!(v.is_object(), "{name} row {row}");
    }
}

#[test]
fn cloudtrail_log_file_plain_and_gzip() {
    for name in [
        "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json",
        "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
    ] {
        let (s, store) = load(name);
        assert_eq!(
            s.kind,
            FileKind::Events {
                provider: Some(Provider::Aws),
                framing: Framing::Wrapper("Records")
            }
        );
        assert_eq!(s.gzip, name.ends_with(".gz"));
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        let evs = events(&store);
        assert_eq!(evs.len(), 2);
        let a = by_id(&evs, "a0ed971f-389f-406a-9fcf-887c5ca6903a");
        assert_eq!(a.action, "DescribeLaunchConfigurations");
        assert_eq!(a.service, "autoscaling.amazonaws.com");
        assert_eq!(a.actor.kind, "AssumedRole");
        assert_eq!(a.actor.name, "someRole/AutoScalingDescribeHandlerSession");
        assert_eq!(
            a.actor.id,
            "arn:aws:sts::111111111111:assumed-role/someRole/AutoScalingDescribeHandlerSession"
        );
        assert_eq!(format_rfc3339(a.time_ms), "2017-12-11T15:01:51Z");
        assert_eq!(
            (a.account.as_str(), a.region.as_str()),
            ("111111111111", "eu-central-1")
        );
        assert_eq!(a.read_only, None); // eventVersion 1.05 records carry no readOnly here
        assert_eq!(a.outcome, Outcome::Success);
        let b = by_id(&evs, "b25ff7e3-f1cf-4b7f-883d-b09168c454d5");
        assert_eq!(
            (b.action.as_str(), b.actor.kind.as_str()),
            ("AssumeRole", "AWSService")
        );
        assert_eq!(b.actor.name, "config.amazonaws.com");
        assert_eq!(b.source_ip, "config.amazonaws.com");
        assert_eq!(
            b.resources,
            vec!["arn:aws:iam::111111111111:role/someRole".to_string()]
        );
        assert_eq!(format_rfc3339(b.time_ms), "2017-12-11T15:04:51Z");
        // The first record starts after `{\n  "Records": [\n    ` in the pretty-printed file.
        assert_eq!(store.raw(0).offset, 21);
        check_raw(name, &store);
    }
}

#[test]
fn cloudtrail_lookup_events_jsonl() {
    let name = "aws_cloudtrail_lookup_events_plaso.jsonl";
    let (s, store) = load(name);
    assert_eq!(
        s.kind,
        FileKind::Events {
            provider: Some(Provider::Aws),
            framing: Framing::Objects
        }
    );
    assert_eq!((s.records, s.events), (6, 6));
    let evs = events(&store);
    let d = by_id(&evs, "0828c0d2-3589-4390-b954-c78b4a7df44b");
    assert_eq!(d.action, "DescribeInstances");
    assert_eq!(d.actor.name, "fakeusername");
    assert_eq!(d.actor.kind, "IAMUser");
    assert_eq!(d.read_only, Some(true));
    assert_eq!(d.region, "ap-southeast-2");
    assert_eq!(d.source_ip, "1.2.3.4");
    // EventTime in the wrapper is 2022-02-08 09:23:37+11:00: the same instant.
    assert_eq!(format_rfc3339(d.time_ms), "2022-02-07T22:23:37Z");
    let t = by_id(&evs, "1f2d6879-969f-4c15-b550-55015423e0c6");
    assert_eq!(
        (t.action.as_str(), t.read_only),
        ("TerminateInstances", Some(false))
    );
    let svc = by_id(&evs, "ec783cd8-fad8-41a8-abac-569a78c42e33");
    assert_eq!(svc.action, "SharedSnapshotVolumeCreated");
    assert_eq!(svc.actor.name, "ec2.amazonaws.com");
    let run = by_id(&evs, "fdd7443c-ba1f-47eb-b0bc-42395266d12c");
    assert_eq!(run.action, "RunInstances");
    assert_eq!(run.resources.len(), 8);
    assert!(run.resources.contains(&"i-01234567890123456".to_string()));
    // The raw span is the whole wrapper line, CloudTrailEvent string included.
    let mut f = File::open(fixture(name)).unwrap();
    let raw = read_raw(&mut f, &store.raw(store.len() - 1), &Default::default()).unwrap();
    assert!(raw.starts_with(br#"{"EventId": "0828c0d2"#));
    check_raw(name, &store);
}

#[test]
fn actiontrail_events() {
    let (s, store) = load("actiontrail_event_ram_user_DescribeInstances_sdkdoc.json");
    assert_eq!(
        s.kind,
        FileKind::Events {
            provider: Some(Provider::Alibaba),
            framing: Framing::Objects
        }
    );
    let e = store.event(0);
    assert_eq!(
        (e.action.as_str(), e.actor.name.as_str()),
        ("DescribeInstances", "alice")
    );
    assert_eq!(e.actor.kind, "ram-user");
    assert_eq!(
        (e.region.as_str(), e.service.as_str()),
        ("cn-hangzhou", "Ecs")
    );
    assert_eq!(e.source_ip, "10.10.**.**");
    assert_eq!(e.account, "104758519118****");
    assert_eq!(format_rfc3339(e.time_ms), "2021-08-05T09:21:32Z");
    assert_eq!(e.event_id, "239EB588-CD24-522E-B0B5-174A1A58****");
    assert_eq!(e.read_only, None);
    assert!(!e.actor.root);

    let (_, store) = load("actiontrail_event_root_PutBucket_oss_doc.json");
    let e = store.event(0);
    assert_eq!(
        (e.action.as_str(), e.actor.name.as_str()),
        ("PutBucket", "root")
    );
    assert!(e.actor.root && e.actor.admin);
    assert_eq!(e.source_ip, "Internal");
    assert_eq!(e.resources, vec!["test-123".to_string()]);
    assert_eq!(format_rfc3339(e.time_ms), "2021-08-09T08:24:43Z");

    let (_, store) = load("actiontrail_event_system_DeleteDisk_eventbridge_doc.json");
    let e = store.event(0);
    assert_eq!(
        (e.action.as_str(), e.actor.kind.as_str()),
        ("DeleteDisk", "system")
    );
    assert_eq!(e.actor.name, "ecs.aliyuncs.com");
    assert_eq!(e.read_only, Some(false)); // eventRW: Write
    assert_eq!(e.resources.len(), 2);
    assert_eq!(format_rfc3339(e.time_ms), "2022-10-22T21:52:00Z");
}

#[test]
fn cts_traces_both_time_formats() {
    let (s, store) = load("cts_trace_example_ecs_createSingleServer_otcdocs.json");
    assert_eq!(
        s.kind,
        FileKind::Events {
            provider: Some(Provider::Huawei),
            framing: Framing::Objects
        }
    );
    let e = store.event(0);
    assert_eq!(
        (e.action.as_str(), e.service.as_str()),
        ("createSingleServer", "ECS")
    );
    assert_eq!(e.actor.name, "aaa/op_service");
    assert_eq!(e.actor.kind, "SystemAction");
    assert_eq!(e.account, "1f9b9ba51f6b4061bd5c1736b28469f8");
    // "2016/12/08 11:07:28 GMT+08:00"
    assert_eq!(format_rfc3339(e.time_ms), "2016-12-08T03:07:28Z");
    assert_eq!(e.source_ip, "");
    assert_eq!(e.outcome, Outcome::Success); // trace_rating: normal
    assert_eq!(e.event_id, "4abc3a67-b773-11e6-8412-8f0ed3cc97c6");

    let (_, store) = load("cts_trace_example_evs_deleteVolume_otcdocs.json");
    let e = store.event(0);
    assert_eq!(
        (e.action.as_str(), e.actor.name.as_str()),
        ("deleteVolume", "aaa")
    );
    assert!(
        e.actor.root,
        "user named like its domain is the account user"
    );
    assert_eq!(e.source_ip, "10.146.230.124");
    assert_eq!(format_rfc3339(e.time_ms), "2016-12-08T03:24:04Z");

    // Epoch-millisecond times, a JSON array, region from the file name.
    let name = "synthetic_cts/mylog_CloudTrace_eu-de_2024-05-01T01-05-00Z_0faa86bc40071242.json.gz";
    let (s, store) = load(name);
    assert_eq!(
        s.kind,
        FileKind::Events {
            provider: Some(Provider::Huawei),
            framing: Framing::Array
        }
    );
    let e = store.event(0);
    assert_eq!(format_rfc3339(e.time_ms), "2024-05-01T01:00:00Z");
    assert_eq!(
        (e.region.as_str(), e.actor.name.as_str()),
        ("eu-de", "alice")
    );
    check_raw(name, &store);
}

#[test]
fn gcp_log_entries() {
    let name = "gcp_logging_plaso.jsonl";
    let (s, store) = load(name);
    assert_eq!(
        s.kind,
        FileKind::Events {
            provider: Some(Provider::Gcp),
            framing: Framing::Objects
        }
    );
    assert_eq!(s.events, 11);
    let evs = events(&store);
    let e = by_id(&evs, "iv9wx9d16l2");
    assert_eq!(e.action, "beta.compute.networks.insert");
    assert_eq!(e.service, "compute.googleapis.com");
    assert_eq!(e.actor.name, "fakeemailxyz@gmail.com");
    assert_eq!(e.account, "fake-project");
    assert_eq!(e.source_ip, "1.1.1.1");
    assert_eq!(e.read_only, Some(false)); // cloudaudit.googleapis.com%2Factivity
    assert_eq!(format_rfc3339(e.time_ms), "2021-10-19T02:57:47.339Z");
    let denied = by_id(&evs, "1awjxggeaxqgz");
    assert_eq!(denied.outcome.error_code(), Some("PERMISSION_DENIED"));
    assert_eq!(denied.actor.kind, "serviceAccount");
    assert_eq!(denied.account, "ketchup");
    let zone = by_id(&evs, "mraniadjjli");
    assert_eq!(zone.region, "us-central1-a");
    let text = by_id(&evs, "1io3yo2fursxdi");
    assert_eq!(
        (text.service.as_str(), text.action.as_str()),
        ("generic_node", "testlog")
    );
    check_raw(name, &store);
}

#[test]
fn azure_activity_cli_shape() {
    let name = "azure_activity_log_plaso.jsonl";
    let (s, store) = load(name);
    assert_eq!(
        s.kind,
        FileKind::Events {
            provider: Some(Provider::Azure),
            framing: Framing::Objects
        }
    );
    let evs = events(&store);
    let e = by_id(&evs, "648230f9-fba4-4def-8a83-118b158b748a");
    assert_eq!(e.action, "Microsoft.Compute/virtualMachines/delete");
    assert_eq!(e.actor.name, "fakeemail@fakedomain.com");
    assert_eq!(e.source_ip, "1.2.3.4");
    assert_eq!(e.service, "Microsoft.Compute");
    assert_eq!(e.account, "12345678-9abc-defg-hijk-lmnopqrstuvw");
    assert_eq!(e.read_only, Some(false)); // DELETE
    assert_eq!(format_rfc3339(e.time_ms), "2022-02-09T03:04:26.492Z");
    let app = by_id(&evs, "587eda65-125e-48c2-9b04-ab5e8d3a1d8e");
    assert_eq!(app.actor.kind, "app");
    assert_eq!(app.action, "Microsoft.Compute/disks/delete");
    check_raw(name, &store);
}

#[test]
fn synthetic_cloudtrail_logs_and_companions() {
    let (s, store) = load(
        "synthetic_aws/111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz",
    );
    assert!(s.gzip);
    let evs = events(&store);
    let e = by_id(&evs, "43ba91859ff2b14c086ad9b17a9b16c1");
    assert_eq!(
        (e.action.as_str(), e.actor.name.as_str()),
        ("PutBucketPolicy", "alice")
    );
    assert_eq!(e.read_only, Some(false));
    assert_eq!(format_rfc3339(e.time_ms), "2024-05-01T00:03:42Z");
    assert_eq!(
        by_id(&evs, "5f3963f1213a7cd7155fa54773c12078").read_only,
        Some(true)
    );

    // Two gzip members (the second holds `{"Records":[]}`): both decoded, no error.
    let (s, store) =
        load("synthetic_aws/negative/appended_111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz");
    assert!(s.diagnostics.is_empty());
    assert_eq!(store.len(), 2);

    for (name, kind) in [
        ("cloudtrail_digest_real_llm-guard.json", Companion::Digest),
        ("cloudtrail_digest_example_awsdocs.json", Companion::Digest),
        ("cloudtrail_digest_empty_example_awsdocs.json", Companion::Digest),
        ("cts_digest_example_otcdocs.json", Companion::Digest),
        ("cloudtrail_list_public_keys_example_awscli.json", Companion::Keys),
        ("cloudtrail_list_public_keys_example_awsdocs.json", Companion::Keys),
        ("cts_public_key_otcdocs.spki.b64", Companion::Keys),
        ("synthetic_aws/111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T010000Z.json.gz", Companion::Digest),
        (
            "synthetic_aws/111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T010000Z.json.gz.head-object.json",
            Companion::SignatureSidecar,
        ),
        ("synthetic_cts/mylog_CloudTrace-Digest_eu-de_2024-05-01T02-00-00Z.json.gz", Companion::Digest),
        (
            "synthetic_cts/mylog_CloudTrace-Digest_eu-de_2024-05-01T01-00-00Z.json.gz.metadata.json",
            Companion::SignatureSidecar,
        ),
        ("synthetic_aws/list-public-keys.json", Companion::Keys),
        ("synthetic_aws/TEST_ONLY_private_key.pem", Companion::Keys),
    ] {
        let (s, store) = load(name);
        assert_eq!(s.kind, FileKind::Companion(kind), "{name}");
        assert!(s.diagnostics.is_empty(), "{name}: {:?}", s.diagnostics);
        assert!(store.is_empty());
    }
    let (s, _) = load("cts_signature_string_example_otcdocs.txt");
    assert_eq!(s.kind, FileKind::Unknown);
    assert_eq!(s.diagnostics.len(), 1);
}

#[test]
fn whole_fixture_tree_in_one_run() {
    let mut ingest = Ingest::new(IngestOptions::default());
    let mut paths = Vec::new();
    for sub in ["", "synthetic_aws", "synthetic_cts"] {
        for e in std::fs::read_dir(fixture(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                paths.push(p);
            }
        }
    }
    paths.sort();
    let mut loaded = 0;
    for p in &paths {
        let s = ingest.add_file(&p.display().to_string(), &mut File::open(p).unwrap());
        loaded += s.events;
    }
    let store = ingest.finish();
    // The .json and .json.gz copies of the same log are one set of events.
    assert_eq!(store.duplicates_dropped(), 2);
    assert_eq!(store.len() as u64, loaded - 2);
    let providers: std::collections::BTreeSet<_> =
        (0..store.len()).map(|r| store.provider(r)).collect();
    assert_eq!(providers.len(), 5);
    let all = store.query("").unwrap();
    let top = store.facet(trailproof_events::Field::Provider, &all, 10);
    // 2 + 6 + 3 AWS events and 11 GCP entries: ties are ordered by value.
    assert_eq!((top[0].value.as_str(), top[0].count), ("aws", 11));
    assert_eq!((top[1].value.as_str(), top[1].count), ("gcp", 11));
}
