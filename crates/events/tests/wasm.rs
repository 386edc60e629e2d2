//! Ingest and query in the browser (wasm32): inline data, no file system.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use trailproof_events::ingest::{read_raw, Ingest, IngestOptions};
use trailproof_events::store::Field;

wasm_bindgen_test_configure!(run_in_browser);

const CLOUDTRAIL: &[u8] = br#"{"Records":[{"eventVersion":"1.09","eventTime":"2024-05-01T00:01:10Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","userName":"alice"},"readOnly":true,"eventID":"5f3963f1213a7cd7155fa54773c12078"},{"eventVersion":"1.09","eventTime":"2024-05-01T00:03:42Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"us-east-1","sourceIPAddress":"10.1.2.3","userIdentity":{"type":"IAMUser","userName":"bob"},"readOnly":false,"errorCode":"AccessDenied","eventID":"43ba91859ff2b14c086ad9b17a9b16c1"}]}"#;

const CTS: &[u8] = br#"[{"time":1714525200000,"user":{"id":"u1","name":"carol","domain":{"id":"d1","name":"example"}},"service_type":"EVS","resource_type":"evs","trace_name":"deleteVolume","trace_rating":"warning","trace_type":"ConsoleAction","source_ip":"10.9.8.7","trace_id":"c529254f-bcf5-11e6-a89a-7fc778a6c92c"}]"#;

#[wasm_bindgen_test]
fn ingest_query_facets_raw() {
    let mut ingest = Ingest::new(IngestOptions::default());
    assert_eq!(
        ingest.add_file("trail.json", &mut &CLOUDTRAIL[..]).events,
        2
    );
    assert_eq!(ingest.add_file("cts.json", &mut &CTS[..]).events, 1);
    let bad = ingest.add_file("bad.json", &mut &b"{\"Records\":[{\"x\": }]}"[..]);
    assert_eq!(bad.diagnostics.len(), 1);
    let store = ingest.finish();
    assert_eq!(store.len(), 3);
    let errors = store.query("outcome:error ip:10.0.0.0/8").unwrap();
    assert_eq!(errors.count(), 2);
    let actors = store.facet(Field::Actor, &errors, 5);
    assert_eq!(actors.len(), 2);
    assert!(store.query("actor:(").is_err());
    let row = store.query("actor:alice").unwrap().iter().next().unwrap();
    let raw = read_raw(&mut &CLOUDTRAIL[..], &store.raw(row), &Default::default()).unwrap();
    assert!(raw.starts_with(b"{\"eventVersion\"") && raw.ends_with(b"}"));
}
