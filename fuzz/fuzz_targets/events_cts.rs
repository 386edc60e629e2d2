//! Huawei CTS traces with fuzzer-chosen values, both time representations.
#![no_main]
use serde_json::json;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = trailproof_fuzz::fields(data, 8);
    let num = f[1].parse::<f64>().unwrap_or(0.0);
    let trace = json!({
        "time": f[0], "record_time": num, "trace_name": f[2], "trace_rating": f[3], "code": f[4],
        "service_type": f[5], "source_ip": f[6], "trace_id": f[7],
        "user": {"name": f[6], "domain": {"name": f[6], "id": f[5]}},
        "request": f[2], "response": {"x": f[3]},
    });
    let name = format!("p_CloudTrace_{}_2024-05-01T01-05-00Z_0.json", f[5]);
    trailproof_fuzz::ingest_and_check(&name, json!([trace.clone()]).to_string().as_bytes());
    trailproof_fuzz::ingest_and_check(
        "cts.json",
        json!({"traces": [trace]}).to_string().as_bytes(),
    );
});
