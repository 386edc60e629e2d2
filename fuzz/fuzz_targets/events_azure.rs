//! Azure Activity Log records: storage, CLI camelCase and SDK snake_case shapes.
#![no_main]
use serde_json::json;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = trailproof_fuzz::fields(data, 8);
    let storage = json!({
        "time": f[0], "operationName": f[1], "resultType": f[2], "resultSignature": f[3],
        "callerIpAddress": f[4], "resourceId": f[5], "identity": {"claims": {"name": f[6], "idtyp": f[7]}},
    });
    let cli = json!({
        "eventTimestamp": f[0], "operationName": {"value": f[1]}, "status": {"value": f[2]},
        "subStatus": {"value": f[3]}, "httpRequest": {"clientIpAddress": f[4], "method": f[7]},
        "caller": f[6], "eventDataId": f[5], "subscriptionId": f[5],
    });
    let sdk = json!({
        "event_timestamp": f[0], "operation_name": {"value": f[1]}, "status": {"value": f[2]},
        "http_request": {"client_ip_address": f[4]}, "caller": f[6], "resource_id": f[5],
    });
    trailproof_fuzz::ingest_and_check(
        "PT1H.json",
        json!({"records": [storage]}).to_string().as_bytes(),
    );
    trailproof_fuzz::ingest_and_check("az.jsonl", format!("{cli}\n{sdk}\n").as_bytes());
});
