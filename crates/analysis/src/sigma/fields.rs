//! Field names: CloudTrail names translated to other providers, and raw fields that map
//! exactly onto normalized columns.

use trailproof_events::{Field, Provider};

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

/// The raw field paths a CloudTrail field name means for `provider`.
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
pub(super) const EXACT: &[(Provider, &str, Field)] = &[
    (Provider::Aws, "eventName", Field::Action),
    (Provider::Aws, "eventSource", Field::Service),
    (Provider::Aws, "awsRegion", Field::Region),
    (Provider::Aws, "sourceIPAddress", Field::SourceIp),
    (Provider::Aws, "userAgent", Field::UserAgent),
    (Provider::Aws, "eventID", Field::EventId),
    (Provider::Aws, "userIdentity.type", Field::ActorType),
    (Provider::Aws, "errorCode", Field::ErrorCode),
    (Provider::Alibaba, "eventName", Field::Action),
    (Provider::Alibaba, "acsRegion", Field::Region),
    (Provider::Alibaba, "sourceIpAddress", Field::SourceIp),
    (Provider::Alibaba, "eventId", Field::EventId),
    (Provider::Alibaba, "userIdentity.type", Field::ActorType),
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
