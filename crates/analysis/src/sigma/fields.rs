//! Field names: what a rule's field name means in a provider's raw record.
//!
//! A rule for one product uses SigmaHQ's names for that log source ([`logsource_paths`]): raw
//! CloudTrail names for `aws`; the Elastic-style `gcp.audit.*` names and Splunk-style
//! `data.protoPayload.*` names for `gcp`; the Activity Log's own names (and Log Analytics
//! `AzureActivity` column names) for `azure`. A rule without a product uses CloudTrail names,
//! translated per provider ([`map_field`]). `docs/rules.md` has the tables.

use serde_json::Value;
use trailproof_events::{Field, Provider};

/// How a rule's field names relate to the raw records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Naming {
    /// A rule for one product: SigmaHQ's names for that log source.
    Logsource,
    /// A rule without a product: CloudTrail names translated per provider.
    CloudTrail,
}

/// Log Analytics `AzureActivity` columns (what Sentinel-style rules name) → Activity Log JSON.
const AZURE_COLUMNS: &[(&str, &str)] = &[
    ("OperationNameValue", "operationName"),
    ("CategoryValue", "category"),
    ("ResourceProviderValue", "resourceProviderName"),
    ("ActivityStatusValue", "status"),
    ("ActivitySubstatusValue", "subStatus"),
    ("ResourceGroup", "resourceGroupName"),
    ("CallerIpAddress", "callerIpAddress"),
    ("EventSubmissionTimestamp", "eventTimestamp"),
];

/// Elastic `gcp.audit.*` names whose LogEntry path is not the camel-cased name.
const GCP_AUDIT_SPECIAL: &[(&str, &str)] = &[
    ("type", "protoPayload.@type"),
    ("logentry_operation", "operation"),
];

/// `snake_case` → `camelCase`, per dotted segment.
fn camel(path: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in path.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The raw paths a field name of a product-specific rule means, in order of preference (the
/// first that exists in a record is used).
pub(super) fn logsource_paths(provider: Provider, field: &str) -> Vec<String> {
    match provider {
        Provider::Gcp => {
            if let Some(rest) = field.strip_prefix("gcp.audit.") {
                for (from, to) in GCP_AUDIT_SPECIAL {
                    if rest == *from {
                        return vec![to.to_string()];
                    }
                    if let Some(tail) = rest.strip_prefix(from).and_then(|t| t.strip_prefix('.')) {
                        return vec![format!("{to}.{}", camel(tail))];
                    }
                }
                let c = camel(rest);
                // BigQuery exports name the payload `protopayload_auditlog`.
                return vec![
                    format!("protoPayload.{c}"),
                    format!("protopayload_auditlog.{c}"),
                ];
            }
            // Pub/Sub deliveries (Splunk's GCP add-on) hold the LogEntry under `data`.
            if let Some(rest) = field.strip_prefix("data.") {
                return vec![rest.to_string(), field.to_string()];
            }
            if let Some(rest) = field.strip_prefix("protoPayload.") {
                return vec![field.to_string(), format!("protopayload_auditlog.{rest}")];
            }
            vec![field.to_string()]
        }
        Provider::Azure => {
            let base = AZURE_COLUMNS
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(field))
                .map_or(field, |(_, p)| p);
            // Localizable strings (`{"value": …, "localizedValue": …}`) are read as their value.
            vec![format!("{base}.value"), base.to_string()]
        }
        _ => vec![field.to_string()],
    }
}

/// The raw paths `field` means for `provider` under `naming`, in order of preference.
pub(super) fn paths(provider: Provider, naming: Naming, field: &str) -> Vec<String> {
    match naming {
        Naming::Logsource => logsource_paths(provider, field),
        Naming::CloudTrail => map_field(provider, field),
    }
}

/// The values of `field` in `record`: the first of its [`paths`] that exists. Values are kept
/// whole (an array stays an array); arrays on the way are looked through; a member holding JSON
/// text is parsed when the path goes on inside it; a member whose name contains dots is found
/// too. Azure member names also match case-insensitively (Activity Log exports differ in case).
pub(super) fn resolve(
    record: &Value,
    provider: Provider,
    naming: Naming,
    field: &str,
) -> Vec<Value> {
    let ci = provider == Provider::Azure;
    for p in paths(provider, naming, field) {
        let mut out = Vec::new();
        walk(record, &p, ci, &mut out);
        if !out.is_empty() {
            return out;
        }
    }
    Vec::new()
}

fn member<'v>(map: &'v serde_json::Map<String, Value>, name: &str, ci: bool) -> Option<&'v Value> {
    map.get(name).or_else(|| {
        if ci {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        } else {
            None
        }
    })
}

fn walk(v: &Value, path: &str, ci: bool, out: &mut Vec<Value>) {
    if path.is_empty() {
        out.push(v.clone());
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| walk(i, path, ci, out)),
        Value::Object(map) => {
            if let Some(x) = member(map, path, ci) {
                out.push(x.clone());
                return;
            }
            let mut idx = 0;
            while let Some(dot) = path.get(idx..).and_then(|p| p.find('.')) {
                let (head, rest) = (&path[..idx + dot], &path[idx + dot + 1..]);
                if let Some(x) = member(map, head, ci) {
                    match x {
                        Value::String(s) if s.starts_with('{') || s.starts_with('[') => {
                            if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                                walk(&parsed, rest, ci, out);
                            }
                        }
                        x => walk(x, rest, ci, out),
                    }
                    return;
                }
                idx += dot + 1;
            }
        }
        _ => {}
    }
}

/// Every scalar of a record as text (keywords): strings, numbers and booleans, member names
/// left out; a string holding JSON counts as itself and as its own scalars.
pub(super) fn leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            out.push(s.clone());
            let t = s.trim();
            if (t.starts_with('{') || t.starts_with('[')) && t.len() > 1 {
                if let Ok(parsed) = serde_json::from_str::<Value>(t) {
                    leaves(&parsed, out);
                }
            }
        }
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(b) => out.push(b.to_string()),
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|i| leaves(i, out)),
        Value::Object(map) => map.values().for_each(|i| leaves(i, out)),
    }
}

/// The normalized column holding exactly the value of `field`, if any.
pub(super) fn exact_column(provider: Provider, naming: Naming, field: &str) -> Option<Field> {
    let first = paths(provider, naming, field).into_iter().next()?;
    EXACT
        .iter()
        .find(|(p, f, _)| *p == provider && *f == first)
        .map(|(_, _, c)| *c)
}

// ---- Field mapping -----------------------------------------------------------------------

/// CloudTrail field names translated to other providers' raw names (for rules without a
/// product). Prefixes map too: `requestParameters.x` → `request.x` on Huawei.
pub(super) const FIELD_MAP: &[(Provider, &str, &[&str])] = &[
    (Provider::Alibaba, "sourceIPAddress", &["sourceIpAddress"]),
    (Provider::Alibaba, "awsRegion", &["acsRegion"]),
    (Provider::Alibaba, "eventID", &["eventId"]),
    (Provider::Huawei, "eventName", &["trace_name"]),
    (Provider::Huawei, "eventSource", &["service_type"]),
    (Provider::Huawei, "sourceIPAddress", &["source_ip"]),
    (Provider::Huawei, "userAgent", &["user_agent"]),
    (Provider::Huawei, "userIdentity.userName", &["user.name"]),
    (Provider::Huawei, "userIdentity.principalId", &["user.id"]),
    (Provider::Huawei, "errorCode", &["code"]),
    (Provider::Huawei, "eventID", &["trace_id"]),
    (Provider::Huawei, "requestParameters", &["request"]),
    (Provider::Huawei, "responseElements", &["response"]),
    (Provider::Gcp, "eventName", &["protoPayload.methodName"]),
    (Provider::Gcp, "eventSource", &["protoPayload.serviceName"]),
    (
        Provider::Gcp,
        "sourceIPAddress",
        &["protoPayload.requestMetadata.callerIp"],
    ),
    (
        Provider::Gcp,
        "userAgent",
        &["protoPayload.requestMetadata.callerSuppliedUserAgent"],
    ),
    (
        Provider::Gcp,
        "userIdentity.userName",
        &["protoPayload.authenticationInfo.principalEmail"],
    ),
    (Provider::Gcp, "errorCode", &["protoPayload.status.code"]),
    (Provider::Gcp, "eventID", &["insertId"]),
    (
        Provider::Gcp,
        "requestParameters",
        &["protoPayload.request"],
    ),
    (
        Provider::Azure,
        "eventName",
        &[
            "operationName.value",
            "operationName",
            "operation_name.value",
        ],
    ),
    (
        Provider::Azure,
        "eventSource",
        &["resourceProviderName.value", "resource_provider_name.value"],
    ),
    (
        Provider::Azure,
        "sourceIPAddress",
        &[
            "httpRequest.clientIpAddress",
            "callerIpAddress",
            "http_request.client_ip_address",
        ],
    ),
    (Provider::Azure, "userIdentity.userName", &["caller"]),
    (
        Provider::Azure,
        "eventID",
        &["eventDataId", "event_data_id"],
    ),
];

/// The raw field paths a CloudTrail field name means for `provider`, in order of preference.
pub fn map_field(provider: Provider, field: &str) -> Vec<String> {
    for (p, from, to) in FIELD_MAP {
        if *p != provider {
            continue;
        }
        if field == *from {
            return to.iter().map(|s| s.to_string()).collect();
        }
        if let Some(rest) = field.strip_prefix(from).and_then(|r| r.strip_prefix('.')) {
            return to.iter().map(|s| format!("{s}.{rest}")).collect();
        }
    }
    vec![field.to_string()]
}

/// Raw field → normalized column, where the column holds exactly the raw value.
const EXACT: &[(Provider, &str, Field)] = &[
    (Provider::Aws, "eventName", Field::Action),
    (Provider::Aws, "eventSource", Field::Service),
    (Provider::Aws, "awsRegion", Field::Region),
    (Provider::Aws, "sourceIPAddress", Field::SourceIp),
    (Provider::Aws, "userAgent", Field::UserAgent),
    (Provider::Aws, "eventID", Field::EventId),
    (Provider::Aws, "userIdentity.type", Field::ActorType),
    (Provider::Aws, "userIdentity.accessKeyId", Field::AccessKey),
    (Provider::Aws, "errorCode", Field::ErrorCode),
    (Provider::Alibaba, "eventName", Field::Action),
    (Provider::Alibaba, "acsRegion", Field::Region),
    (Provider::Alibaba, "sourceIpAddress", Field::SourceIp),
    (Provider::Alibaba, "eventId", Field::EventId),
    (Provider::Alibaba, "userIdentity.type", Field::ActorType),
    (
        Provider::Alibaba,
        "userIdentity.accessKeyId",
        Field::AccessKey,
    ),
    (Provider::Alibaba, "errorCode", Field::ErrorCode),
    (Provider::Huawei, "trace_name", Field::Action),
    (Provider::Huawei, "service_type", Field::Service),
    (Provider::Huawei, "source_ip", Field::SourceIp),
    (Provider::Huawei, "trace_id", Field::EventId),
    (Provider::Gcp, "protoPayload.methodName", Field::Action),
    (Provider::Gcp, "protoPayload.serviceName", Field::Service),
    (
        Provider::Gcp,
        "protoPayload.requestMetadata.callerIp",
        Field::SourceIp,
    ),
    (Provider::Gcp, "insertId", Field::EventId),
];
