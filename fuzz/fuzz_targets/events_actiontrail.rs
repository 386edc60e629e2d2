//! ActionTrail records: OSS form, SLS `event` object/string and flattened `event.` keys.
#![no_main]
use serde_json::json;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = trailproof_fuzz::fields(data, 8);
    let event = json!({
        "eventId": f[0], "eventTime": f[1], "acsRegion": f[2], "sourceIpAddress": f[3],
        "eventRW": f[4], "eventName": f[5], "resourceName": f[6],
        "userIdentity": {"type": f[7], "userName": f[6]},
        "addionalEventData": {"loginAccount": f[5]},
        "referencedResources": {"ACS::ECS::Instance": [f[6]]},
    });
    trailproof_fuzz::ingest_and_check("at.json", json!([event.clone()]).to_string().as_bytes());
    trailproof_fuzz::ingest_and_check(
        "sls1.json",
        json!({"event": event.to_string()}).to_string().as_bytes(),
    );
    let flat = json!({
        "event.eventId": f[0], "event.eventTime": f[1], "event.acsRegion": f[2],
        "event.userIdentity": f[7], format!("event.{}", f[4]): f[5],
    });
    trailproof_fuzz::ingest_and_check("sls2.json", flat.to_string().as_bytes());
});
