//! CloudTrail records (log file and LookupEvents wrapper) with fuzzer-chosen values.
#![no_main]
use serde_json::json;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = trailproof_fuzz::fields(data, 10);
    let event = json!({
        "eventVersion": f[0], "eventTime": f[1], "eventName": f[2], "awsRegion": f[3],
        "sourceIPAddress": f[4], "readOnly": f[5], "errorCode": f[6], "eventID": f[7],
        "userIdentity": {"type": f[8], "userName": f[9], "arn": f[9],
            "sessionContext": {"sessionIssuer": {"userName": f[0]}}},
        "resources": [{"ARN": f[3]}],
    });
    let file = json!({"Records": [event.clone()]});
    trailproof_fuzz::ingest_and_check("ct.json", file.to_string().as_bytes());
    // The same records as a delivered log, with a second record beside the first.
    let log = json!({"Records": [event.clone(), {"eventTime": f[1], "recipientAccountId": f[2], "awsRegion": f[3], "eventType": f[4]}]});
    trailproof_fuzz::scan_from_cut_equals_scan(log.to_string().as_bytes());
    let lookup = json!({"EventId": f[7], "EventTime": f[1], "ReadOnly": f[5], "CloudTrailEvent": event.to_string()});
    trailproof_fuzz::ingest_and_check("lookup.jsonl", lookup.to_string().as_bytes());
    // The embedded event as raw fuzz text.
    let raw = json!({"EventId": "x", "CloudTrailEvent": String::from_utf8_lossy(data)});
    trailproof_fuzz::ingest_and_check("lookup2.jsonl", raw.to_string().as_bytes());
});
