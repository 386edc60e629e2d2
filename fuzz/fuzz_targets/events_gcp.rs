//! GCP LogEntry records with fuzzer-chosen values.
#![no_main]
use serde_json::json;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = trailproof_fuzz::fields(data, 8);
    let code = f[5].parse::<i64>().unwrap_or(0);
    let entry = json!({
        "insertId": f[0], "timestamp": f[1], "logName": f[2],
        "resource": {"type": f[3], "labels": {"project_id": f[3], "zone": f[4]}},
        "protoPayload": {
            "serviceName": f[4], "methodName": f[6], "resourceName": f[7],
            "status": {"code": code, "message": f[6]},
            "authenticationInfo": {"principalEmail": f[7], "principalSubject": f[0]},
            "authorizationInfo": [{"permissionType": f[5]}],
            "requestMetadata": {"callerIp": f[4]},
            "resourceLocation": {"currentLocations": [f[4]]},
        },
    });
    trailproof_fuzz::ingest_and_check("gcp.json", format!("{entry}\n{entry}\n").as_bytes());
});
