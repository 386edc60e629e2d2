//! Record decoders: one JSON object in, one normalized [`Event`] out.
//!
//! Every record is decoded once into a single borrowed "superset" structure holding the keys
//! any supported provider uses; the provider is then decided from which keys are present (by
//! content, never by file name), and the matching mapping fills the [`Event`]. Unneeded parts
//! of a record (request and response bodies) are skipped by the parser without being built.
//! See `docs/formats.md` for the per-provider mapping table.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::flex::{first, txt, Flex, List, Obj};
use crate::model::{Actor, Event, Outcome, Provider};

/// What a record turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// An audit event.
    Event(Box<Event>),
    /// Not an event but a known companion file (digest, public keys, signature sidecar); skipped
    /// silently.
    Companion(Companion),
    /// Not recognised (and no generic mapping applies).
    Unknown,
}

/// Known files that travel with audit trails but hold no events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Companion {
    /// A CloudTrail or CTS digest file.
    Digest,
    /// Key material: `list-public-keys` output, PEM, base64 DER.
    Keys,
    /// Saved object metadata holding a signature (`head-object` output, CTS metadata).
    SignatureSidecar,
}

/// A user-supplied mapping for JSON that no built-in decoder recognises.
///
/// Each field is a dotted path into the record (`actor.name`, `meta.ts`); array elements are
/// addressed by index (`resources.0.id`). Unset fields stay empty. Records without a parsable
/// time at [`FieldMapping::time`] are reported, not loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldMapping {
    /// Path of the timestamp (RFC 3339 string or epoch number). Required.
    pub time: String,
    /// Account, project or tenant.
    pub account: Option<String>,
    /// Region or location.
    pub region: Option<String>,
    /// Service.
    pub service: Option<String>,
    /// Action or event name.
    pub action: Option<String>,
    /// Actor display name.
    pub actor: Option<String>,
    /// Actor identifier.
    pub actor_id: Option<String>,
    /// Actor type.
    pub actor_type: Option<String>,
    /// Source IP address.
    pub source_ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Read-only flag (boolean, `"true"`/`"false"`, or `read`/`write`).
    pub read_only: Option<String>,
    /// Error code; a non-empty value marks the event failed.
    pub error_code: Option<String>,
    /// Error message.
    pub error_message: Option<String>,
    /// Unique event ID.
    pub event_id: Option<String>,
    /// A resource (string, or an array of strings).
    pub resource: Option<String>,
}

impl FieldMapping {
    /// Builds a mapping from `key=path` pairs such as `time=ts,actor=user.name,ip=client`.
    /// Keys: time, account, region, service, action, actor, actor_id, actor_type, ip (or
    /// source_ip), user_agent, read_only, error (or error_code), error_message, event_id,
    /// resource. Returns the offending pair on error.
    pub fn parse(spec: &str) -> Result<FieldMapping, String> {
        let mut m = FieldMapping::default();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| pair.to_string())?;
            let path = v.trim().to_string();
            let v = Some(path.clone());
            match k.trim() {
                "time" => m.time = path,
                "account" => m.account = v,
                "region" => m.region = v,
                "service" => m.service = v,
                "action" => m.action = v,
                "actor" => m.actor = v,
                "actor_id" => m.actor_id = v,
                "actor_type" => m.actor_type = v,
                "ip" | "source_ip" => m.source_ip = v,
                "user_agent" => m.user_agent = v,
                "read_only" => m.read_only = v,
                "error" | "error_code" => m.error_code = v,
                "error_message" => m.error_message = v,
                "event_id" => m.event_id = v,
                "resource" => m.resource = v,
                _ => return Err(pair.to_string()),
            }
        }
        if m.time.is_empty() {
            return Err("time=<path> is required".into());
        }
        Ok(m)
    }
}

// ---------------------------------------------------------------------------------------------
// The superset record.

type F<'a> = Option<Flex<'a>>;

#[derive(Deserialize, Default)]
#[serde(default)]
struct SessionIssuer<'a> {
    #[serde(rename = "userName", borrow)]
    user_name: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SessionContext<'a> {
    #[serde(rename = "sessionIssuer", borrow)]
    session_issuer: Obj<SessionIssuer<'a>>,
}

/// CloudTrail and ActionTrail `userIdentity` (same shape, different vocabularies).
#[derive(Deserialize, Default)]
#[serde(default)]
struct UserIdentity<'a> {
    #[serde(rename = "type", borrow)]
    kind: F<'a>,
    #[serde(rename = "principalId", borrow)]
    principal_id: F<'a>,
    #[serde(borrow)]
    arn: F<'a>,
    #[serde(rename = "accountId", borrow)]
    account_id: F<'a>,
    #[serde(rename = "userName", borrow)]
    user_name: F<'a>,
    #[serde(rename = "invokedBy", borrow)]
    invoked_by: F<'a>,
    #[serde(rename = "sessionContext", borrow)]
    session_context: Obj<SessionContext<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CtResource<'a> {
    #[serde(rename = "ARN", borrow)]
    arn: F<'a>,
    /// LookupEvents wrapper `Resources[]`.
    #[serde(rename = "ResourceName", borrow)]
    resource_name: F<'a>,
}

/// CloudTrail Insights `insightDetails`: the API the insight is about.
#[derive(Deserialize, Default)]
#[serde(default)]
struct InsightDetails<'a> {
    #[serde(rename = "eventName", borrow)]
    event_name: F<'a>,
    #[serde(rename = "eventSource", borrow)]
    event_source: F<'a>,
    #[serde(rename = "insightType", borrow)]
    insight_type: F<'a>,
    #[serde(borrow)]
    state: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AtExtra<'a> {
    #[serde(rename = "loginAccount", borrow)]
    login_account: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CtsDomain<'a> {
    #[serde(borrow)]
    id: F<'a>,
    #[serde(borrow)]
    name: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CtsUser<'a> {
    #[serde(borrow)]
    id: F<'a>,
    #[serde(borrow)]
    name: F<'a>,
    #[serde(rename = "type", borrow)]
    kind: F<'a>,
    #[serde(borrow)]
    domain: Obj<CtsDomain<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GcpLabels<'a> {
    #[serde(borrow)]
    project_id: F<'a>,
    #[serde(borrow)]
    location: F<'a>,
    #[serde(borrow)]
    zone: F<'a>,
    #[serde(borrow)]
    region: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GcpResource<'a> {
    #[serde(rename = "type", borrow)]
    kind: F<'a>,
    #[serde(borrow)]
    labels: Obj<GcpLabels<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GcpAuthn<'a> {
    #[serde(rename = "principalEmail", borrow)]
    principal_email: F<'a>,
    #[serde(rename = "principalSubject", borrow)]
    principal_subject: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GcpReqMeta<'a> {
    #[serde(rename = "callerIp", borrow)]
    caller_ip: F<'a>,
    #[serde(rename = "callerSuppliedUserAgent", borrow)]
    user_agent: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GcpStatus<'a> {
    #[serde(borrow)]
    code: F<'a>,
    #[serde(borrow)]
    message: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GcpAuthz<'a> {
    #[serde(rename = "permissionType", borrow)]
    permission_type: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GcpLocation<'a> {
    #[serde(rename = "currentLocations", borrow)]
    current: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GcpProto<'a> {
    #[serde(rename = "serviceName", borrow)]
    service_name: F<'a>,
    #[serde(rename = "methodName", borrow)]
    method_name: F<'a>,
    #[serde(rename = "resourceName", borrow)]
    resource_name: F<'a>,
    #[serde(rename = "authenticationInfo", borrow)]
    authn: Obj<GcpAuthn<'a>>,
    #[serde(rename = "requestMetadata", borrow)]
    req_meta: Obj<GcpReqMeta<'a>>,
    #[serde(borrow)]
    status: Obj<GcpStatus<'a>>,
    #[serde(rename = "authorizationInfo", borrow)]
    authz: List<Obj<GcpAuthz<'a>>>,
    #[serde(rename = "resourceLocation", borrow)]
    location: Obj<GcpLocation<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AzClaims<'a> {
    #[serde(
        rename = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
        borrow
    )]
    upn_uri: F<'a>,
    #[serde(borrow)]
    upn: F<'a>,
    #[serde(borrow)]
    name: F<'a>,
    #[serde(
        rename = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        borrow
    )]
    email: F<'a>,
    #[serde(
        rename = "http://schemas.microsoft.com/identity/claims/objectidentifier",
        borrow
    )]
    oid: F<'a>,
    #[serde(borrow)]
    appid: F<'a>,
    #[serde(borrow)]
    idtyp: F<'a>,
    #[serde(borrow)]
    ipaddr: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AzHttp<'a> {
    #[serde(rename = "clientIpAddress", alias = "client_ip_address", borrow)]
    client_ip: F<'a>,
    #[serde(borrow)]
    method: F<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AzIdentity<'a> {
    #[serde(borrow)]
    claims: Obj<AzClaims<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AzProps<'a> {
    #[serde(rename = "statusMessage", borrow)]
    status_message: F<'a>,
    #[serde(rename = "statusCode", borrow)]
    status_code: F<'a>,
}

/// A nested record: an object, or a JSON document carried as a string.
enum Inner<'a> {
    Rec(Box<Rec<'a>>),
    Json(Cow<'a, str>),
    /// Any other JSON type: ignored.
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Inner<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Inner<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object or a JSON string")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                Rec::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|r| Inner::Rec(Box::new(r)))
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(Inner::Json(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Inner::Json(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Inner::Json(Cow::Owned(v)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Inner::Other)
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Inner::Other)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Inner::Other)
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Inner::Other)
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Inner::Other)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(Inner::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Every key any provider's mapping reads. Field names follow the JSON keys; a key shared by
/// several providers (`time`, `eventName`, `resource_id`, ...) is one field read by each.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Rec<'a> {
    // AWS CloudTrail (and the ActionTrail keys spelled the same way).
    #[serde(rename = "eventVersion", borrow)]
    event_version: F<'a>,
    #[serde(rename = "userIdentity", borrow)]
    user_identity: Obj<UserIdentity<'a>>,
    #[serde(rename = "eventTime", borrow)]
    event_time: F<'a>,
    #[serde(rename = "eventSource", borrow)]
    event_source: F<'a>,
    #[serde(rename = "eventName", alias = "event_name", borrow)]
    event_name: F<'a>,
    #[serde(rename = "eventType", borrow)]
    event_type: F<'a>,
    #[serde(rename = "awsRegion", borrow)]
    aws_region: F<'a>,
    #[serde(rename = "sourceIPAddress", borrow)]
    source_ip_aws: F<'a>,
    #[serde(rename = "userAgent", borrow)]
    user_agent: F<'a>,
    #[serde(rename = "errorCode", borrow)]
    error_code: F<'a>,
    #[serde(rename = "errorMessage", borrow)]
    error_message: F<'a>,
    #[serde(rename = "eventID", borrow)]
    event_id_aws: F<'a>,
    #[serde(rename = "readOnly", borrow)]
    read_only_aws: F<'a>,
    #[serde(borrow)]
    resources: List<Obj<CtResource<'a>>>,
    #[serde(rename = "recipientAccountId", borrow)]
    recipient_account: F<'a>,
    #[serde(rename = "eventCategory", borrow)]
    event_category: F<'a>,
    #[serde(rename = "insightDetails", borrow)]
    insight: Obj<InsightDetails<'a>>,

    // LookupEvents wrapper.
    #[serde(rename = "CloudTrailEvent", borrow)]
    cloudtrail_event: Option<Inner<'a>>,
    #[serde(rename = "EventId", borrow)]
    lk_event_id: F<'a>,
    #[serde(rename = "EventName", borrow)]
    lk_event_name: F<'a>,
    #[serde(rename = "EventTime", borrow)]
    lk_event_time: F<'a>,
    #[serde(rename = "EventSource", borrow)]
    lk_event_source: F<'a>,
    #[serde(rename = "Username", borrow)]
    lk_username: F<'a>,
    #[serde(rename = "ReadOnly", borrow)]
    lk_read_only: F<'a>,
    #[serde(rename = "Resources", borrow)]
    lk_resources: List<Obj<CtResource<'a>>>,

    // Companion files.
    #[serde(rename = "digestPublicKeyFingerprint")]
    digest_fp: Option<IgnoredAny>,
    #[serde(rename = "digestStartTime")]
    digest_start: Option<IgnoredAny>,
    #[serde(rename = "logFiles")]
    log_files: Option<IgnoredAny>,
    digest_start_time: Option<IgnoredAny>,
    digest_object: Option<IgnoredAny>,
    #[serde(rename = "log_files")]
    log_files_cts: Option<IgnoredAny>,
    #[serde(rename = "PublicKeyList", alias = "publicKeyList")]
    public_keys: Option<IgnoredAny>,
    #[serde(rename = "Metadata")]
    metadata: Option<IgnoredAny>,
    #[serde(
        rename = "meta-signature",
        alias = "x-amz-meta-signature",
        alias = "x-obs-meta-signature"
    )]
    meta_signature: Option<IgnoredAny>,

    // Alibaba ActionTrail.
    #[serde(rename = "eventId", borrow)]
    event_id_at: F<'a>,
    #[serde(rename = "acsRegion", borrow)]
    acs_region: F<'a>,
    #[serde(rename = "sourceIpAddress", borrow)]
    source_ip_at: F<'a>,
    #[serde(rename = "eventRW", borrow)]
    event_rw: F<'a>,
    #[serde(rename = "serviceName", borrow)]
    service_name: F<'a>,
    #[serde(rename = "referencedResources", borrow)]
    referenced_resources: Obj<BTreeMap<Cow<'a, str>, List<Flex<'a>>>>,
    #[serde(rename = "resourceName", borrow)]
    resource_name_at: F<'a>,
    #[serde(rename = "additionalEventData", borrow)]
    additional: Obj<AtExtra<'a>>,
    /// ActionTrail's misspelling, seen in real events alongside the correct key.
    #[serde(rename = "addionalEventData", borrow)]
    addional: Obj<AtExtra<'a>>,
    /// SLS stores the event under `event`, as an object or a JSON string.
    #[serde(borrow)]
    event: Option<Inner<'a>>,

    // Huawei CTS (`time`, `resource_id`, `resource_type` and `message` are shared with Azure).
    #[serde(borrow)]
    time: F<'a>,
    #[serde(borrow)]
    record_time: F<'a>,
    #[serde(borrow)]
    user: Obj<CtsUser<'a>>,
    #[serde(borrow)]
    service_type: F<'a>,
    #[serde(borrow)]
    resource_type: F<'a>,
    #[serde(borrow)]
    resource_name: F<'a>,
    #[serde(borrow)]
    resource_id: F<'a>,
    #[serde(borrow)]
    source_ip: F<'a>,
    #[serde(borrow)]
    trace_name: F<'a>,
    #[serde(borrow)]
    trace_rating: F<'a>,
    #[serde(borrow)]
    trace_type: F<'a>,
    #[serde(borrow)]
    trace_id: F<'a>,
    #[serde(borrow)]
    code: F<'a>,
    #[serde(borrow)]
    message: F<'a>,
    #[serde(borrow)]
    read_only: F<'a>,
    #[serde(borrow)]
    domain_id: F<'a>,
    #[serde(borrow)]
    project_id: F<'a>,
    #[serde(rename = "user_agent", borrow)]
    user_agent_cts: F<'a>,

    // GCP LogEntry.
    #[serde(borrow)]
    timestamp: F<'a>,
    #[serde(rename = "logName", borrow)]
    log_name: F<'a>,
    #[serde(rename = "insertId", borrow)]
    insert_id: F<'a>,
    #[serde(borrow)]
    resource: Obj<GcpResource<'a>>,
    #[serde(rename = "protoPayload", borrow)]
    proto: Obj<GcpProto<'a>>,
    #[serde(rename = "jsonPayload")]
    json_payload: Option<IgnoredAny>,
    #[serde(rename = "textPayload")]
    text_payload: Option<IgnoredAny>,

    // Azure Activity Log: storage export (camelCase strings), CLI/REST (camelCase objects) and
    // Python SDK (snake_case) shapes.
    #[serde(rename = "eventTimestamp", alias = "event_timestamp", borrow)]
    az_event_timestamp: F<'a>,
    #[serde(rename = "operationName", alias = "operation_name", borrow)]
    az_operation: F<'a>,
    #[serde(borrow)]
    category: F<'a>,
    #[serde(borrow)]
    status: F<'a>,
    #[serde(rename = "subStatus", alias = "sub_status", borrow)]
    az_sub_status: F<'a>,
    #[serde(rename = "resultType", borrow)]
    az_result_type: F<'a>,
    #[serde(rename = "resultSignature", borrow)]
    az_result_signature: F<'a>,
    #[serde(borrow)]
    caller: F<'a>,
    #[serde(rename = "callerIpAddress", borrow)]
    az_caller_ip: F<'a>,
    #[serde(borrow)]
    claims: Obj<AzClaims<'a>>,
    #[serde(borrow)]
    identity: Obj<AzIdentity<'a>>,
    #[serde(rename = "httpRequest", alias = "http_request", borrow)]
    az_http: Obj<AzHttp<'a>>,
    #[serde(rename = "eventDataId", alias = "event_data_id", borrow)]
    az_event_data_id: F<'a>,
    #[serde(rename = "resourceId", borrow)]
    az_resource_id: F<'a>,
    #[serde(rename = "resourceType", borrow)]
    az_resource_type: F<'a>,
    #[serde(
        rename = "resourceProviderName",
        alias = "resource_provider_name",
        borrow
    )]
    az_provider_name: F<'a>,
    #[serde(rename = "subscriptionId", alias = "subscription_id", borrow)]
    az_subscription: F<'a>,
    #[serde(rename = "correlationId", alias = "correlation_id", borrow)]
    az_correlation: F<'a>,
    #[serde(borrow)]
    location: F<'a>,
    #[serde(borrow)]
    properties: Obj<AzProps<'a>>,
}

fn has(f: &F<'_>) -> bool {
    matches!(f, Some(Flex::Str(s)) if !s.is_empty())
        || matches!(f, Some(Flex::Num(_)) | Some(Flex::Bool(_)))
}

/// Context a decoder may use beyond the record itself.
pub(crate) struct Ctx<'m> {
    /// Region derived from a CTS trace file name (`..._CloudTrace_<region>_...`), if any.
    pub cts_region: Option<String>,
    /// The user's mapping for unrecognised JSON.
    pub mapping: Option<&'m FieldMapping>,
}

/// A record that could not be decoded as JSON.
pub(crate) struct JsonError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

fn json_err(e: serde_json::Error) -> JsonError {
    JsonError {
        line: e.line() as u64,
        column: e.column() as u64,
        message: e.to_string(),
    }
}

/// Decodes one record.
pub(crate) fn decode(bytes: &[u8], ctx: &Ctx<'_>) -> Result<Decoded, JsonError> {
    let rec: Rec<'_> = serde_json::from_slice(bytes).map_err(json_err)?;
    if let Some(d) = classify(&rec, ctx, 0) {
        return Ok(d);
    }
    // SLS exports flatten the event into `event.`-prefixed keys.
    if contains(bytes, b"\"event.") {
        if let Some(d) = decode_sls_flat(bytes, ctx) {
            return Ok(d);
        }
    }
    if let Some(m) = ctx.mapping {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(json_err)?;
        return Ok(generic(&value, m));
    }
    Ok(Decoded::Unknown)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn classify(r: &Rec<'_>, ctx: &Ctx<'_>, depth: u32) -> Option<Decoded> {
    if r.public_keys.is_some() {
        return Some(Decoded::Companion(Companion::Keys));
    }
    if r.meta_signature.is_some() || (r.metadata.is_some() && !has(&r.event_time)) {
        return Some(Decoded::Companion(Companion::SignatureSidecar));
    }
    if r.digest_fp.is_some()
        || (r.log_files.is_some() && r.digest_start.is_some())
        || r.digest_start_time.is_some()
        || (r.log_files_cts.is_some() && r.digest_object.is_some())
    {
        return Some(Decoded::Companion(Companion::Digest));
    }
    if let Some(inner) = &r.cloudtrail_event {
        if depth < 2 {
            return Some(lookup_event(r, inner, ctx, depth));
        }
    }
    if let Some(inner) = &r.event {
        if depth < 2 {
            let d = match inner {
                Inner::Rec(rec) => classify(rec, ctx, depth + 1),
                Inner::Json(s) => serde_json::from_str::<Rec<'_>>(s)
                    .ok()
                    .and_then(|rec| classify(&rec, ctx, depth + 1)),
                Inner::Other => None,
            };
            if d.is_some() {
                return d;
            }
        }
    }
    let aws_like = has(&r.aws_region)
        || has(&r.source_ip_aws)
        || has(&r.event_id_aws)
        || has(&r.recipient_account);
    let ali_like =
        has(&r.acs_region) || has(&r.source_ip_at) || has(&r.event_rw) || has(&r.event_id_at);
    if has(&r.event_time) && aws_like && !has(&r.acs_region) {
        return Some(Decoded::Event(Box::new(aws(r, None))));
    }
    if has(&r.event_time) && ali_like {
        return Some(Decoded::Event(Box::new(alibaba(r))));
    }
    if has(&r.trace_name) || (has(&r.service_type) && (has(&r.trace_rating) || has(&r.trace_id))) {
        return Some(Decoded::Event(Box::new(huawei(r, ctx))));
    }
    if has(&r.log_name) || r.proto.0.is_some() || (has(&r.insert_id) && has(&r.timestamp)) {
        return Some(Decoded::Event(Box::new(gcp(r))));
    }
    if has(&r.az_operation) && (has(&r.az_event_timestamp) || has(&r.time)) {
        return Some(Decoded::Event(Box::new(azure(r))));
    }
    if has(&r.lk_event_name) && has(&r.lk_event_time) {
        return Some(Decoded::Event(Box::new(aws(&Rec::default(), Some(r)))));
    }
    None
}

fn lookup_event(w: &Rec<'_>, inner: &Inner<'_>, ctx: &Ctx<'_>, depth: u32) -> Decoded {
    let parsed;
    let rec: &Rec<'_> = match inner {
        Inner::Rec(r) => r,
        Inner::Json(s) => match serde_json::from_str::<Rec<'_>>(s) {
            Ok(r) => {
                parsed = r;
                &parsed
            }
            // An unreadable embedded event still leaves the wrapper's own columns.
            Err(_) => return Decoded::Event(Box::new(aws(&Rec::default(), Some(w)))),
        },
        Inner::Other => return Decoded::Event(Box::new(aws(&Rec::default(), Some(w)))),
    };
    match classify(rec, ctx, depth + 1) {
        Some(Decoded::Event(_)) | None => Decoded::Event(Box::new(aws(rec, Some(w)))),
        Some(other) => other,
    }
}

fn lower_contains(hay: &str, needle: &str) -> bool {
    hay.to_ascii_lowercase().contains(needle)
}

fn aws(r: &Rec<'_>, wrapper: Option<&Rec<'_>>) -> Event {
    let empty = UserIdentity::default();
    let ui = r.user_identity.0.as_ref().unwrap_or(&empty);
    let kind = txt(&ui.kind);
    let issuer = ui
        .session_context
        .0
        .as_ref()
        .and_then(|s| s.session_issuer.0.as_ref())
        .map(|s| txt(&s.user_name));
    let issuer = issuer.unwrap_or_default();
    let arn = txt(&ui.arn);
    let mut name = txt(&ui.user_name).into_owned();
    if name.is_empty() && !issuer.is_empty() {
        // Assumed roles: "<role>/<session>", the session being the ARN's last segment.
        let session = arn
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty() && arn.contains('/'))
            .unwrap_or("");
        name = if session.is_empty() {
            issuer.to_string()
        } else {
            format!("{issuer}/{session}")
        };
    }
    if name.is_empty() && kind == "Root" {
        name = "root".into();
    }
    if name.is_empty() {
        name = first(&[&ui.arn, &ui.invoked_by, &ui.principal_id]).into_owned();
    }
    let w = wrapper;
    if name.is_empty() {
        if let Some(w) = w {
            name = txt(&w.lk_username).into_owned();
        }
    }
    let root = kind == "Root";
    let admin = root || lower_contains(&name, "admin") || lower_contains(&issuer, "admin");
    let actor = Actor {
        kind: kind.into_owned(),
        id: first(&[&ui.arn, &ui.principal_id, &ui.invoked_by]).into_owned(),
        name,
        root,
        admin,
    };
    let wf = |f: for<'x, 'y> fn(&'x Rec<'y>) -> &'x F<'y>| {
        w.map(|w| txt(f(w)).into_owned()).unwrap_or_default()
    };
    let or = |a: Cow<'_, str>, b: String| if a.is_empty() { b } else { a.into_owned() };
    let time_ms = r
        .event_time
        .as_ref()
        .and_then(Flex::as_time_ms)
        .or_else(|| {
            w.and_then(|w| w.lk_event_time.as_ref())
                .and_then(Flex::as_time_ms)
        })
        .unwrap_or(0);
    let read_only = r
        .read_only_aws
        .as_ref()
        .and_then(Flex::as_bool)
        .or_else(|| {
            w.and_then(|w| w.lk_read_only.as_ref())
                .and_then(Flex::as_bool)
        });
    let code = txt(&r.error_code);
    let outcome = if code.is_empty() {
        Outcome::Success
    } else {
        Outcome::Error {
            code: code.into_owned(),
            message: txt(&r.error_message).into_owned(),
        }
    };
    let mut resources: Vec<String> = r
        .resources
        .0
        .iter()
        .filter_map(|x| x.0.as_ref())
        .map(|x| first(&[&x.arn, &x.resource_name]).into_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if resources.is_empty() {
        if let Some(w) = w {
            resources = w
                .lk_resources
                .0
                .iter()
                .filter_map(|x| x.0.as_ref())
                .map(|x| txt(&x.resource_name).into_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
    }
    let mut action = txt(&r.event_name).into_owned();
    let mut service = or(txt(&r.event_source), wf(|w| &w.lk_event_source));
    if let (true, Some(ins)) = (action.is_empty(), r.insight.0.as_ref()) {
        // Insights events carry no eventName: name them after the API they are about, e.g.
        // "ApiCallRateInsight Start: RunInstances".
        action = format!(
            "{} {}: {}",
            txt(&ins.insight_type),
            txt(&ins.state),
            txt(&ins.event_name)
        );
        service = txt(&ins.event_source).into_owned();
    }
    if action.is_empty() {
        action = or(
            Cow::Owned(wf(|w| &w.lk_event_name)),
            txt(&r.event_type).into_owned(),
        );
    }
    Event {
        time_ms,
        provider: Provider::Aws,
        account: first(&[&r.recipient_account, &ui.account_id]).into_owned(),
        region: txt(&r.aws_region).into_owned(),
        service,
        action,
        actor,
        source_ip: txt(&r.source_ip_aws).into_owned(),
        user_agent: txt(&r.user_agent).into_owned(),
        read_only,
        outcome,
        resources,
        event_id: or(txt(&r.event_id_aws), wf(|w| &w.lk_event_id)),
        raw: Default::default(),
    }
}

fn alibaba(r: &Rec<'_>) -> Event {
    let empty = UserIdentity::default();
    let ui = r.user_identity.0.as_ref().unwrap_or(&empty);
    let kind = txt(&ui.kind);
    let login = r
        .additional
        .0
        .as_ref()
        .map(|a| txt(&a.login_account))
        .filter(|s| !s.is_empty())
        .or_else(|| r.addional.0.as_ref().map(|a| txt(&a.login_account)))
        .unwrap_or_default();
    let mut name = txt(&ui.user_name).into_owned();
    if name.is_empty() {
        name = if login.is_empty() {
            first(&[&ui.principal_id, &ui.account_id]).into_owned()
        } else {
            login.into_owned()
        };
    }
    let root = kind == "root-account";
    let admin = root || lower_contains(&name, "admin");
    let read_only = match txt(&r.event_rw).to_ascii_lowercase().as_str() {
        "read" => Some(true),
        "write" => Some(false),
        _ => None,
    };
    let code = txt(&r.error_code);
    let outcome = if code.is_empty() {
        Outcome::Success
    } else {
        Outcome::Error {
            code: code.into_owned(),
            message: txt(&r.error_message).into_owned(),
        }
    };
    let mut resources = Vec::new();
    if let Some(map) = &r.referenced_resources.0 {
        for ids in map.values() {
            resources.extend(ids.0.iter().filter_map(Flex::text).map(Cow::into_owned));
        }
    }
    if resources.is_empty() {
        // `resourceName`: IDs joined by `,` within a type and `;` between types.
        resources = txt(&r.resource_name_at)
            .split([',', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
    }
    Event {
        time_ms: r
            .event_time
            .as_ref()
            .and_then(Flex::as_time_ms)
            .unwrap_or(0),
        provider: Provider::Alibaba,
        account: first(&[&r.recipient_account, &ui.account_id]).into_owned(),
        region: txt(&r.acs_region).into_owned(),
        service: first(&[&r.service_name, &r.event_source]).into_owned(),
        action: txt(&r.event_name).into_owned(),
        actor: Actor {
            kind: kind.into_owned(),
            id: first(&[&ui.principal_id, &ui.account_id, &ui.user_name]).into_owned(),
            name,
            root,
            admin,
        },
        source_ip: txt(&r.source_ip_at).into_owned(),
        user_agent: txt(&r.user_agent).into_owned(),
        read_only,
        outcome,
        resources,
        event_id: txt(&r.event_id_at).into_owned(),
        raw: Default::default(),
    }
}

/// The region in a CTS trace file name: `<prefix>_CloudTrace_<region[-project]>_<time>_...`.
pub(crate) fn cts_region_from_path(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?;
    let rest = &name[name.find("_CloudTrace_")? + "_CloudTrace_".len()..];
    let region = rest.split('_').next()?;
    (!region.is_empty()).then(|| region.to_string())
}

fn huawei(r: &Rec<'_>, ctx: &Ctx<'_>) -> Event {
    let empty = CtsUser::default();
    let user = r.user.0.as_ref().unwrap_or(&empty);
    let dom = CtsDomain::default();
    let domain = user.domain.0.as_ref().unwrap_or(&dom);
    let name = txt(&user.name).into_owned();
    // The account's own user shares the account (domain) name: Huawei's closest thing to root.
    let root = !name.is_empty() && name == txt(&domain.name);
    let rating = txt(&r.trace_rating).to_ascii_lowercase();
    let code = txt(&r.code);
    let http_failed = code.parse::<u32>().map(|c| c >= 400).unwrap_or(false);
    let outcome =
        if rating == "warning" || rating == "incident" || (rating.is_empty() && http_failed) {
            let c = if http_failed || (!code.is_empty() && code.parse::<u32>().is_err()) {
                code.into_owned()
            } else {
                rating
            };
            Outcome::Error {
                code: c,
                message: txt(&r.message).into_owned(),
            }
        } else {
            Outcome::Success
        };
    let mut resources = Vec::new();
    for f in [&r.resource_id, &r.resource_name] {
        let t = txt(f);
        if !t.is_empty() && !resources.iter().any(|x: &String| x == &*t) {
            resources.push(t.into_owned());
        }
    }
    Event {
        time_ms: r
            .time
            .as_ref()
            .and_then(Flex::as_time_ms)
            .or_else(|| r.record_time.as_ref().and_then(Flex::as_time_ms))
            .unwrap_or(0),
        provider: Provider::Huawei,
        account: first(&[&domain.id, &r.domain_id, &r.project_id]).into_owned(),
        region: ctx.cts_region.clone().unwrap_or_default(),
        service: txt(&r.service_type).into_owned(),
        action: txt(&r.trace_name).into_owned(),
        actor: Actor {
            kind: first(&[&user.kind, &r.trace_type]).into_owned(),
            id: first(&[&user.id, &user.name]).into_owned(),
            admin: root || lower_contains(&name, "admin"),
            name,
            root,
        },
        source_ip: txt(&r.source_ip).into_owned(),
        user_agent: first(&[&r.user_agent_cts, &r.user_agent]).into_owned(),
        read_only: r.read_only.as_ref().and_then(Flex::as_bool),
        outcome,
        resources,
        event_id: txt(&r.trace_id).into_owned(),
        raw: Default::default(),
    }
}

/// Canonical names of google.rpc.Code values.
fn grpc_code_name(code: &str) -> String {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    code.parse::<usize>()
        .ok()
        .and_then(|i| NAMES.get(i))
        .map(|s| s.to_string())
        .unwrap_or_else(|| code.to_string())
}

fn gcp(r: &Rec<'_>) -> Event {
    let proto = r.proto.0.as_ref();
    let empty_res = GcpResource::default();
    let res = r.resource.0.as_ref().unwrap_or(&empty_res);
    let labels = res.labels.0.as_ref();
    let log_name = txt(&r.log_name);
    // logName = {projects|folders|organizations|billingAccounts}/<id>/logs/<log id>
    let mut parts = log_name.split('/');
    let account = match (parts.next(), parts.next()) {
        (Some(_), Some(id)) if !id.is_empty() => id.to_string(),
        _ => labels
            .map(|l| txt(&l.project_id).into_owned())
            .unwrap_or_default(),
    };
    let log_id = log_name
        .rsplit("/logs/")
        .next()
        .filter(|_| log_name.contains("/logs/"))
        .unwrap_or("")
        .replace("%2F", "/");
    let authn = proto.and_then(|p| p.authn.0.as_ref());
    let email = authn.map(|a| txt(&a.principal_email)).unwrap_or_default();
    let subject = authn.map(|a| txt(&a.principal_subject)).unwrap_or_default();
    let kind = if email.ends_with(".gserviceaccount.com") || subject.starts_with("serviceAccount:")
    {
        "serviceAccount"
    } else if !email.is_empty() || subject.starts_with("user:") {
        "user"
    } else {
        ""
    };
    let meta = proto.and_then(|p| p.req_meta.0.as_ref());
    let status = proto.and_then(|p| p.status.0.as_ref());
    let code = status.map(|s| txt(&s.code)).unwrap_or_default();
    let outcome = if code.is_empty() || code == "0" {
        Outcome::Success
    } else {
        Outcome::Error {
            code: grpc_code_name(&code),
            message: status
                .map(|s| txt(&s.message).into_owned())
                .unwrap_or_default(),
        }
    };
    let mut read_only = None;
    if let Some(p) = proto {
        for a in p.authz.0.iter().filter_map(|a| a.0.as_ref()) {
            let t = txt(&a.permission_type);
            if t.ends_with("_WRITE") {
                read_only = Some(false);
                break;
            } else if t.ends_with("_READ") {
                read_only = Some(true);
            }
        }
    }
    if read_only.is_none() && log_id.ends_with("/activity") {
        // Admin Activity logs record calls that modify configuration or metadata.
        read_only = Some(false);
    }
    let region = proto
        .and_then(|p| p.location.0.as_ref())
        .map(|l| txt(&l.current).into_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| labels.map(|l| first(&[&l.location, &l.zone, &l.region]).into_owned()))
        .unwrap_or_default();
    let (service, action) = match proto {
        Some(p) => (
            txt(&p.service_name).into_owned(),
            txt(&p.method_name).into_owned(),
        ),
        // Not an audit entry: the resource type and log id are the best description.
        None => (txt(&res.kind).into_owned(), log_id.clone()),
    };
    let resource = proto
        .map(|p| txt(&p.resource_name).into_owned())
        .unwrap_or_default();
    Event {
        time_ms: r.timestamp.as_ref().and_then(Flex::as_time_ms).unwrap_or(0),
        provider: Provider::Gcp,
        account,
        region,
        service,
        action,
        actor: Actor {
            kind: kind.into(),
            id: if subject.is_empty() {
                email.to_string()
            } else {
                subject.to_string()
            },
            name: if email.is_empty() {
                subject.trim_start_matches("user:").to_string()
            } else {
                email.to_string()
            },
            root: false,
            admin: lower_contains(&email, "admin"),
        },
        source_ip: meta
            .map(|m| txt(&m.caller_ip).into_owned())
            .unwrap_or_default(),
        user_agent: meta
            .map(|m| txt(&m.user_agent).into_owned())
            .unwrap_or_default(),
        read_only,
        outcome,
        resources: if resource.is_empty() {
            Vec::new()
        } else {
            vec![resource]
        },
        event_id: txt(&r.insert_id).into_owned(),
        raw: Default::default(),
    }
}

fn azure(r: &Rec<'_>) -> Event {
    let claims = r
        .claims
        .0
        .as_ref()
        .or_else(|| r.identity.0.as_ref().and_then(|i| i.claims.0.as_ref()));
    let empty = AzClaims::default();
    let c = claims.unwrap_or(&empty);
    let caller = txt(&r.caller);
    let name = if caller.is_empty() {
        first(&[&c.upn_uri, &c.upn, &c.email, &c.name, &c.appid])
    } else {
        caller.clone()
    };
    let idtyp = txt(&c.idtyp);
    let kind = if !idtyp.is_empty() {
        idtyp.into_owned()
    } else if name.contains('@') {
        "user".into()
    } else if !name.is_empty()
        && name.len() == 36
        && name.bytes().filter(|&b| b == b'-').count() == 4
    {
        "servicePrincipal".into()
    } else {
        String::new()
    };
    let op = txt(&r.az_operation);
    let http = r.az_http.0.as_ref();
    let method = http
        .map(|h| txt(&h.method).to_ascii_uppercase())
        .unwrap_or_default();
    let op_l = op.to_ascii_lowercase();
    let read_only = if method == "GET" || method == "HEAD" {
        Some(true)
    } else if !method.is_empty() {
        Some(false)
    } else if op_l.ends_with("/read") {
        Some(true)
    } else if op_l.ends_with("/write") || op_l.ends_with("/delete") || op_l.ends_with("/action") {
        Some(false)
    } else {
        None
    };
    let status = first(&[&r.status, &r.az_result_type]);
    let failed = matches!(status.to_ascii_lowercase().as_str(), "failed" | "failure");
    let props = r.properties.0.as_ref();
    let outcome = if failed {
        let code = first(&[&r.az_sub_status, &r.az_result_signature]);
        let code = if code.is_empty() {
            props.map(|p| txt(&p.status_code)).unwrap_or_default()
        } else {
            code
        };
        Outcome::Error {
            code: if code.is_empty() {
                status.into_owned()
            } else {
                code.into_owned()
            },
            message: props
                .map(|p| txt(&p.status_message).into_owned())
                .unwrap_or_default(),
        }
    } else {
        Outcome::Success
    };
    let resource_id = first(&[&r.az_resource_id, &r.resource_id]);
    let mut account = txt(&r.az_subscription).into_owned();
    if account.is_empty() {
        let lower = resource_id.to_ascii_lowercase();
        if let Some(i) = lower.find("/subscriptions/") {
            account = resource_id[i + 15..]
                .split('/')
                .next()
                .unwrap_or("")
                .to_string();
        }
    }
    let mut service = txt(&r.az_provider_name).into_owned();
    if service.is_empty() {
        service = op.split('/').next().unwrap_or("").to_string();
    }
    Event {
        time_ms: crate::time::parse_timestamp(&first(&[&r.az_event_timestamp, &r.time]))
            .unwrap_or(0),
        provider: Provider::Azure,
        account,
        region: txt(&r.location).into_owned(),
        service,
        action: op.into_owned(),
        actor: Actor {
            kind,
            id: first(&[&c.oid, &r.caller]).into_owned(),
            admin: lower_contains(&name, "admin"),
            name: name.into_owned(),
            root: false,
        },
        source_ip: first(&[
            &http.map(|h| h.client_ip.clone()).unwrap_or_default(),
            &r.az_caller_ip,
            &c.ipaddr,
        ])
        .into_owned(),
        user_agent: String::new(),
        read_only,
        outcome,
        resources: if resource_id.is_empty() {
            Vec::new()
        } else {
            vec![resource_id.into_owned()]
        },
        event_id: txt(&r.az_event_data_id).into_owned(),
        raw: Default::default(),
    }
}

/// SLS flat form: `{"event.eventId": "...", "event.userIdentity": "{...}", ...}` (values may be
/// JSON strings, keys may go deeper: `event.userIdentity.userName`). Rebuilt into one object.
fn decode_sls_flat(bytes: &[u8], ctx: &Ctx<'_>) -> Option<Decoded> {
    use serde_json::{Map, Value};
    let Value::Object(map) = serde_json::from_slice::<Value>(bytes).ok()? else {
        return None;
    };
    let mut root = Map::new();
    for (k, v) in map {
        let Some(path) = k.strip_prefix("event.") else {
            continue;
        };
        let v = match v {
            Value::String(s) if s.starts_with('{') || s.starts_with('[') => {
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            }
            other => other,
        };
        let mut cur = &mut root;
        let segs: Vec<&str> = path.split('.').collect();
        for (i, seg) in segs.iter().enumerate() {
            if i + 1 == segs.len() {
                cur.insert(seg.to_string(), v.clone());
            } else {
                let next = cur
                    .entry(seg.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !next.is_object() {
                    *next = Value::Object(Map::new());
                }
                cur = next.as_object_mut()?;
            }
        }
    }
    if root.is_empty() {
        return None;
    }
    let text = serde_json::to_string(&Value::Object(root)).ok()?;
    let rec: Rec<'_> = serde_json::from_str(&text).ok()?;
    classify(&rec, ctx, 1)
}

fn lookup<'v>(v: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    let mut cur = v;
    for seg in path.split('.') {
        cur = match cur {
            serde_json::Value::Object(m) => m.get(seg)?,
            serde_json::Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn value_text(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn generic(v: &serde_json::Value, m: &FieldMapping) -> Decoded {
    let get = |p: &Option<String>| {
        p.as_deref()
            .map(|p| value_text(lookup(v, p)))
            .unwrap_or_default()
    };
    let time_ms = match lookup(v, &m.time) {
        Some(serde_json::Value::Number(n)) => n.as_f64().and_then(crate::time::epoch_number_to_ms),
        Some(serde_json::Value::String(s)) => crate::time::parse_timestamp(s),
        _ => None,
    };
    let Some(time_ms) = time_ms else {
        return Decoded::Unknown;
    };
    let ro = get(&m.read_only).to_ascii_lowercase();
    let read_only = match ro.as_str() {
        "true" | "read" | "r" => Some(true),
        "false" | "write" | "w" => Some(false),
        _ => None,
    };
    let code = get(&m.error_code);
    let outcome = if code.is_empty() || code == "null" {
        Outcome::Success
    } else {
        Outcome::Error {
            code,
            message: get(&m.error_message),
        }
    };
    let resources = match m.resource.as_deref().and_then(|p| lookup(v, p)) {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|x| value_text(Some(x)))
            .filter(|s| !s.is_empty())
            .collect(),
        Some(x) => vec![value_text(Some(x))]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect(),
        None => Vec::new(),
    };
    let name = get(&m.actor);
    Decoded::Event(Box::new(Event {
        time_ms,
        provider: Provider::Generic,
        account: get(&m.account),
        region: get(&m.region),
        service: get(&m.service),
        action: get(&m.action),
        actor: Actor {
            kind: get(&m.actor_type),
            id: get(&m.actor_id),
            admin: lower_contains(&name, "admin"),
            name,
            root: false,
        },
        source_ip: get(&m.source_ip),
        user_agent: get(&m.user_agent),
        read_only,
        outcome,
        resources,
        event_id: get(&m.event_id),
        raw: Default::default(),
    }))
}
