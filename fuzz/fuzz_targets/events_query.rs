//! The query parser and evaluator: never panics, errors point inside the query.
#![no_main]
use std::sync::OnceLock;

use trailproof_events::store::EventStore;

fn store() -> &'static EventStore {
    static STORE: OnceLock<EventStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let data = br#"{"Records":[{"eventTime":"2024-05-01T00:00:00Z","awsRegion":"us-east-1","eventName":"PutBucketPolicy","sourceIPAddress":"10.1.2.3","errorCode":"AccessDenied","eventID":"11111111-2222-3333-4444-555555555555","userIdentity":{"type":"IAMUser","userName":"alice"},"resources":[{"ARN":"arn:aws:s3:::b"}]},{"eventTime":"2024-05-02T00:00:00Z","awsRegion":"eu-west-1","eventName":"ListBuckets","sourceIPAddress":"2001:db8::1","readOnly":true,"eventID":"x1","userIdentity":{"type":"Root"}}]}"#;
        let mut ing = trailproof_events::ingest::Ingest::new(Default::default());
        ing.add_file("q.json", &mut &data[..]);
        ing.finish()
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    match store().query(q) {
        Ok(sel) => assert!(sel.count() <= store().len()),
        Err(trailproof_events::Error::Query { position, .. }) => assert!(position <= q.len()),
        Err(_) => {}
    }
});
