//! Event builders in each provider's real field names, and a one-call analysis.
#![allow(dead_code)]

use serde_json::{json, Value};
use trailproof_analysis::{analyze_in_memory, Analysis, AnalysisOptions, SigmaRuleSet};
use trailproof_events::ingest::{Ingest, IngestOptions};
use trailproof_events::EventStore;

/// `(file name, bytes)` pairs.
pub type Files = Vec<(String, Vec<u8>)>;

pub fn merge(mut a: Value, extra: Value) -> Value {
    if let (Value::Object(m), Value::Object(e)) = (&mut a, extra) {
        for (k, v) in e {
            m.insert(k, v);
        }
    }
    a
}

/// A CloudTrail record.
pub fn aws(time: &str, source: &str, name: &str, user: &str, ip: &str, extra: Value) -> Value {
    let id = format!("{name}-{time}-{user}");
    merge(
        json!({"eventVersion":"1.09","eventTime":time,"eventSource":source,"eventName":name,
            "awsRegion":"us-east-1","sourceIPAddress":ip,
            "userIdentity":{"type":"IAMUser","userName":user,"arn":format!("arn:aws:iam::111122223333:user/{user}"),
                "accountId":"111122223333","accessKeyId":"AKIAEXAMPLE0001"},
            "eventID":id,"eventType":"AwsApiCall","readOnly":false,"recipientAccountId":"111122223333"}),
        extra,
    )
}

/// An ActionTrail record.
pub fn ali(time: &str, service: &str, name: &str, user: &str, ip: &str, extra: Value) -> Value {
    let id = format!("{name}-{time}-{user}");
    merge(
        json!({"eventVersion":"1","eventTime":time,"eventName":name,"eventType":"ApiCall",
            "serviceName":service,"eventSource":format!("{}.aliyuncs.com", service.to_lowercase()),
            "acsRegion":"cn-hangzhou","sourceIpAddress":ip,"eventRW":"Write",
            "userIdentity":{"type":"ram-user","userName":user,"principalId":"2000001","accountId":"1234567890123456",
                "accessKeyId":"LTAIEXAMPLE0001"},
            "eventId":id,"recipientAccountId":"1234567890123456"}),
        extra,
    )
}

/// A CTS trace (time as epoch ms from RFC 3339).
pub fn cts(time: &str, service: &str, name: &str, user: &str, ip: &str, extra: Value) -> Value {
    let ms = trailproof_events::time::parse_timestamp(time).unwrap();
    merge(
        json!({"time":ms,"record_time":ms,"user":{"id":format!("id-{user}"),"name":user,"domain":{"id":"dom1","name":"acme"}},
            "service_type":service,"resource_type":"user","trace_name":name,"trace_rating":"normal",
            "trace_type":"ConsoleAction","source_ip":ip,"trace_id":format!("{name}-{time}-{user}")}),
        extra,
    )
}

/// A GCP audit LogEntry.
pub fn gcp(time: &str, service: &str, method: &str, user: &str, ip: &str, request: Value) -> Value {
    json!({"logName":"projects/proj-1/logs/cloudaudit.googleapis.com%2Factivity","insertId":format!("{method}-{time}"),
        "timestamp":time,"resource":{"type":"project","labels":{"project_id":"proj-1"}},
        "protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":service,"methodName":method,
            "authenticationInfo":{"principalEmail":user},"requestMetadata":{"callerIp":ip},"request":request}})
}

/// An Azure Activity Log record (storage export shape).
pub fn azure(time: &str, operation: &str, caller: &str, ip: &str) -> Value {
    json!({"time":time,"resourceId":"/SUBSCRIPTIONS/sub-1/RESOURCEGROUPS/rg/PROVIDERS/MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/x",
        "operationName":operation,"category":"Administrative","resultType":"Success","callerIpAddress":ip,
        "correlationId":"c1","identity":{"claims":{"name":caller}},"level":"Information","location":"global",
        "properties":{"eventCategory":"Administrative"},"caller":caller})
}

pub fn aws_file(records: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

pub fn array_file(records: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&Value::Array(records.to_vec())).unwrap()
}

pub fn ndjson(records: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend(serde_json::to_vec(r).unwrap());
        out.push(b'\n');
    }
    out
}

pub fn load(files: &Files) -> EventStore {
    let mut ingest = Ingest::new(IngestOptions::default());
    for (name, bytes) in files {
        let s = ingest.add_file(name, &mut &bytes[..]);
        assert!(s.events > 0, "{name}: {:?}", s.diagnostics);
    }
    ingest.finish()
}

pub fn analyze(
    files: &Files,
    sigma: &SigmaRuleSet,
    options: &AnalysisOptions,
) -> (EventStore, Analysis) {
    let store = load(files);
    let as_of = store.time_span().map(|s| s.1).unwrap_or(0);
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let a = analyze_in_memory(&store, sigma, options, None, as_of, &refs);
    (store, a)
}

/// Rule keys of the findings.
pub fn keys(a: &Analysis) -> Vec<String> {
    a.findings.iter().map(|f| f.rule.key()).collect()
}

pub fn count(a: &Analysis, key: &str) -> usize {
    a.findings.iter().filter(|f| f.rule.key() == key).count()
}
