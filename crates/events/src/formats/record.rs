//! The superset record: every key any provider's mapping reads, decoded in one pass.
//!
//! A record is parsed once into [`Rec`], borrowing strings from the input where it can; the
//! provider is then decided from which keys are present (`super::classify`) and the provider's
//! module maps the keys it owns. Keys are grouped here by the provider that reads them; a key
//! several providers share (`time`, `eventName`, `resource_id`, ...) is one field read by each.
//! Parts of a record no mapping needs (request and response bodies) are skipped by the parser
//! without being built.
//!
//! Missing keys default field by field: `Option`s by serde itself, the others through their own
//! `#[serde(default)]`. A container-level `#[serde(default)]` would build a whole default
//! struct for every record and move each missing field out of it; for `Rec` (3 KB, most of
//! its 90 keys missing from any one record) that cost 7–15 % of decoding a CloudTrail record.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::flex::{Flex, List, Obj};

pub(super) type F<'a> = Option<Flex<'a>>;

#[derive(Deserialize, Default)]
pub(super) struct SessionIssuer<'a> {
    #[serde(rename = "userName", borrow)]
    pub(super) user_name: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct SessionContext<'a> {
    #[serde(default, rename = "sessionIssuer", borrow)]
    pub(super) session_issuer: Obj<SessionIssuer<'a>>,
}

/// CloudTrail and ActionTrail `userIdentity` (same shape, different vocabularies).
#[derive(Deserialize, Default)]
pub(super) struct UserIdentity<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) kind: F<'a>,
    #[serde(rename = "principalId", borrow)]
    pub(super) principal_id: F<'a>,
    #[serde(borrow)]
    pub(super) arn: F<'a>,
    #[serde(rename = "accountId", borrow)]
    pub(super) account_id: F<'a>,
    #[serde(rename = "userName", borrow)]
    pub(super) user_name: F<'a>,
    #[serde(rename = "invokedBy", borrow)]
    pub(super) invoked_by: F<'a>,
    #[serde(rename = "accessKeyId", borrow)]
    pub(super) access_key: F<'a>,
    #[serde(default, rename = "sessionContext", borrow)]
    pub(super) session_context: Obj<SessionContext<'a>>,
}

#[derive(Deserialize, Default)]
pub(super) struct CtResource<'a> {
    #[serde(rename = "ARN", borrow)]
    pub(super) arn: F<'a>,
    /// LookupEvents wrapper `Resources[]`.
    #[serde(rename = "ResourceName", borrow)]
    pub(super) resource_name: F<'a>,
}

/// CloudTrail Insights `insightDetails`: the API the insight is about.
#[derive(Deserialize, Default)]
pub(super) struct InsightDetails<'a> {
    #[serde(rename = "eventName", borrow)]
    pub(super) event_name: F<'a>,
    #[serde(rename = "eventSource", borrow)]
    pub(super) event_source: F<'a>,
    #[serde(rename = "insightType", borrow)]
    pub(super) insight_type: F<'a>,
    #[serde(borrow)]
    pub(super) state: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct AtExtra<'a> {
    #[serde(rename = "loginAccount", borrow)]
    pub(super) login_account: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct CtsDomain<'a> {
    #[serde(borrow)]
    pub(super) id: F<'a>,
    #[serde(borrow)]
    pub(super) name: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct CtsUser<'a> {
    #[serde(borrow)]
    pub(super) id: F<'a>,
    #[serde(borrow)]
    pub(super) name: F<'a>,
    #[serde(rename = "type", borrow)]
    pub(super) kind: F<'a>,
    #[serde(default, borrow)]
    pub(super) domain: Obj<CtsDomain<'a>>,
}

#[derive(Deserialize, Default)]
pub(super) struct GcpLabels<'a> {
    #[serde(borrow)]
    pub(super) project_id: F<'a>,
    #[serde(borrow)]
    pub(super) location: F<'a>,
    #[serde(borrow)]
    pub(super) zone: F<'a>,
    #[serde(borrow)]
    pub(super) region: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct GcpResource<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) kind: F<'a>,
    #[serde(default, borrow)]
    pub(super) labels: Obj<GcpLabels<'a>>,
}

#[derive(Deserialize, Default)]
pub(super) struct GcpAuthn<'a> {
    #[serde(rename = "principalEmail", alias = "principal_email", borrow)]
    pub(super) principal_email: F<'a>,
    #[serde(rename = "principalSubject", alias = "principal_subject", borrow)]
    pub(super) principal_subject: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct GcpReqMeta<'a> {
    #[serde(rename = "callerIp", alias = "caller_ip", borrow)]
    pub(super) caller_ip: F<'a>,
    #[serde(
        rename = "callerSuppliedUserAgent",
        alias = "caller_supplied_user_agent",
        borrow
    )]
    pub(super) user_agent: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct GcpStatus<'a> {
    #[serde(borrow)]
    pub(super) code: F<'a>,
    #[serde(borrow)]
    pub(super) message: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct GcpAuthz<'a> {
    #[serde(rename = "permissionType", alias = "permission_type", borrow)]
    pub(super) permission_type: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct GcpLocation<'a> {
    #[serde(rename = "currentLocations", alias = "current_locations", borrow)]
    pub(super) current: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct GcpProto<'a> {
    #[serde(rename = "serviceName", alias = "service_name", borrow)]
    pub(super) service_name: F<'a>,
    #[serde(rename = "methodName", alias = "method_name", borrow)]
    pub(super) method_name: F<'a>,
    #[serde(rename = "resourceName", alias = "resource_name", borrow)]
    pub(super) resource_name: F<'a>,
    #[serde(
        default,
        rename = "authenticationInfo",
        alias = "authentication_info",
        borrow
    )]
    pub(super) authn: Obj<GcpAuthn<'a>>,
    #[serde(
        default,
        rename = "requestMetadata",
        alias = "request_metadata",
        borrow
    )]
    pub(super) req_meta: Obj<GcpReqMeta<'a>>,
    #[serde(default, borrow)]
    pub(super) status: Obj<GcpStatus<'a>>,
    #[serde(
        default,
        rename = "authorizationInfo",
        alias = "authorization_info",
        borrow
    )]
    pub(super) authz: List<Obj<GcpAuthz<'a>>>,
    #[serde(
        default,
        rename = "resourceLocation",
        alias = "resource_location",
        borrow
    )]
    pub(super) location: Obj<GcpLocation<'a>>,
}

#[derive(Deserialize, Default)]
pub(super) struct AzClaims<'a> {
    #[serde(
        rename = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
        borrow
    )]
    pub(super) upn_uri: F<'a>,
    #[serde(borrow)]
    pub(super) upn: F<'a>,
    #[serde(borrow)]
    pub(super) name: F<'a>,
    #[serde(
        rename = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        borrow
    )]
    pub(super) email: F<'a>,
    #[serde(
        rename = "http://schemas.microsoft.com/identity/claims/objectidentifier",
        borrow
    )]
    pub(super) oid: F<'a>,
    #[serde(borrow)]
    pub(super) appid: F<'a>,
    #[serde(borrow)]
    pub(super) idtyp: F<'a>,
    #[serde(borrow)]
    pub(super) ipaddr: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct AzHttp<'a> {
    #[serde(rename = "clientIpAddress", alias = "client_ip_address", borrow)]
    pub(super) client_ip: F<'a>,
    #[serde(borrow)]
    pub(super) method: F<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct AzIdentity<'a> {
    #[serde(default, borrow)]
    pub(super) claims: Obj<AzClaims<'a>>,
}

#[derive(Deserialize, Default)]
pub(super) struct AzProps<'a> {
    #[serde(rename = "statusMessage", borrow)]
    pub(super) status_message: F<'a>,
    #[serde(rename = "statusCode", borrow)]
    pub(super) status_code: F<'a>,
}

/// A nested object that some exports carry as a JSON document in a string (LookupEvents
/// `CloudTrailEvent`, SLS `event`, Azure `properties`).
pub(super) enum Nested<'a, T> {
    /// An object, decoded.
    Obj(Box<T>),
    /// A string, to be parsed when needed.
    Json(Cow<'a, str>),
    /// Any other JSON type: ignored.
    Other,
}

/// A nested provider record.
pub(super) type Inner<'a> = Nested<'a, Rec<'a>>;

/// `with`: hands the object (parsing a JSON string first) to `f`; `None` for anything else.
/// One impl per borrowed type, because a string's parse borrows from the string, not the input.
macro_rules! nested_with {
    ($t:ident) => {
        impl<'a> Nested<'a, $t<'a>> {
            pub(super) fn with<R>(
                &self,
                f: impl for<'x> FnOnce(&$t<'x>) -> Option<R>,
            ) -> Option<R> {
                match self {
                    Nested::Obj(t) => f(t),
                    Nested::Json(s) => serde_json::from_str::<$t<'_>>(s).ok().as_ref().and_then(f),
                    Nested::Other => None,
                }
            }
        }
    };
}
nested_with!(Rec);
nested_with!(AzProps);

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Nested<'a, T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, MapAccess, SeqAccess, Visitor};
        struct V<'a, T>(std::marker::PhantomData<(&'a (), T)>);
        impl<'de: 'a, 'a, T: Deserialize<'de>> Visitor<'de> for V<'a, T> {
            type Value = Nested<'a, T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object or a JSON string")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|r| Nested::Obj(Box::new(r)))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Nested::Json(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Nested::Json(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Nested::Json(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Nested::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Nested::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Nested::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Nested::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Nested::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Nested::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Every key any provider's mapping reads. Field names follow the JSON keys; a key shared by
/// several providers (`time`, `eventName`, `resource_id`, ...) is one field read by each.
#[derive(Deserialize, Default)]
pub(super) struct Rec<'a> {
    // AWS CloudTrail (and the ActionTrail keys spelled the same way).
    #[serde(rename = "eventVersion", borrow)]
    pub(super) event_version: F<'a>,
    #[serde(default, rename = "userIdentity", borrow)]
    pub(super) user_identity: Obj<UserIdentity<'a>>,
    #[serde(rename = "eventTime", borrow)]
    pub(super) event_time: F<'a>,
    #[serde(rename = "eventSource", borrow)]
    pub(super) event_source: F<'a>,
    #[serde(rename = "eventName", alias = "event_name", borrow)]
    pub(super) event_name: F<'a>,
    #[serde(rename = "eventType", borrow)]
    pub(super) event_type: F<'a>,
    #[serde(rename = "awsRegion", borrow)]
    pub(super) aws_region: F<'a>,
    #[serde(rename = "sourceIPAddress", borrow)]
    pub(super) source_ip_aws: F<'a>,
    #[serde(rename = "userAgent", borrow)]
    pub(super) user_agent: F<'a>,
    #[serde(rename = "errorCode", borrow)]
    pub(super) error_code: F<'a>,
    #[serde(rename = "errorMessage", borrow)]
    pub(super) error_message: F<'a>,
    #[serde(rename = "eventID", borrow)]
    pub(super) event_id_aws: F<'a>,
    #[serde(rename = "readOnly", borrow)]
    pub(super) read_only_aws: F<'a>,
    #[serde(default, borrow)]
    pub(super) resources: List<Obj<CtResource<'a>>>,
    #[serde(rename = "recipientAccountId", borrow)]
    pub(super) recipient_account: F<'a>,
    #[serde(default, rename = "insightDetails", borrow)]
    pub(super) insight: Obj<InsightDetails<'a>>,

    // LookupEvents wrapper.
    #[serde(rename = "CloudTrailEvent", borrow)]
    pub(super) cloudtrail_event: Option<Inner<'a>>,
    #[serde(rename = "EventId", borrow)]
    pub(super) lk_event_id: F<'a>,
    #[serde(rename = "EventName", borrow)]
    pub(super) lk_event_name: F<'a>,
    #[serde(rename = "EventTime", borrow)]
    pub(super) lk_event_time: F<'a>,
    #[serde(rename = "EventSource", borrow)]
    pub(super) lk_event_source: F<'a>,
    #[serde(rename = "Username", borrow)]
    pub(super) lk_username: F<'a>,
    #[serde(rename = "ReadOnly", borrow)]
    pub(super) lk_read_only: F<'a>,
    #[serde(default, rename = "Resources", borrow)]
    pub(super) lk_resources: List<Obj<CtResource<'a>>>,

    // EventBridge envelope (`detail-type`, the record in `detail`).
    #[serde(rename = "detail-type", borrow)]
    pub(super) detail_type: F<'a>,
    #[serde(borrow)]
    pub(super) detail: Option<Inner<'a>>,

    // Alibaba Cloud OpenAPI response as SDKs print it (`headers`, `statusCode`, `body`).
    #[serde(rename = "statusCode")]
    pub(super) sdk_status: Option<IgnoredAny>,
    pub(super) body: Option<IgnoredAny>,

    // CloudTrail Lake `GetQueryResults` page (`QueryResultRows`), when it has no rows.
    #[serde(rename = "QueryStatus", borrow)]
    pub(super) lake_status: F<'a>,

    // Companion files.
    #[serde(rename = "digestPublicKeyFingerprint")]
    pub(super) digest_fp: Option<IgnoredAny>,
    #[serde(rename = "digestStartTime")]
    pub(super) digest_start: Option<IgnoredAny>,
    #[serde(rename = "logFiles")]
    pub(super) log_files: Option<IgnoredAny>,
    pub(super) digest_start_time: Option<IgnoredAny>,
    pub(super) digest_object: Option<IgnoredAny>,
    #[serde(rename = "log_files")]
    pub(super) log_files_cts: Option<IgnoredAny>,
    #[serde(rename = "PublicKeyList", alias = "publicKeyList")]
    pub(super) public_keys: Option<IgnoredAny>,
    #[serde(rename = "Metadata")]
    pub(super) metadata: Option<IgnoredAny>,
    #[serde(
        rename = "meta-signature",
        alias = "x-amz-meta-signature",
        alias = "x-obs-meta-signature"
    )]
    pub(super) meta_signature: Option<IgnoredAny>,

    // Alibaba ActionTrail.
    #[serde(rename = "eventId", borrow)]
    pub(super) event_id_at: F<'a>,
    #[serde(rename = "acsRegion", borrow)]
    pub(super) acs_region: F<'a>,
    #[serde(rename = "sourceIpAddress", borrow)]
    pub(super) source_ip_at: F<'a>,
    #[serde(rename = "eventRW", borrow)]
    pub(super) event_rw: F<'a>,
    #[serde(rename = "serviceName", borrow)]
    pub(super) service_name: F<'a>,
    #[serde(default, rename = "referencedResources", borrow)]
    pub(super) referenced_resources: Obj<BTreeMap<Cow<'a, str>, List<Flex<'a>>>>,
    #[serde(rename = "resourceName", borrow)]
    pub(super) resource_name_at: F<'a>,
    #[serde(default, rename = "additionalEventData", borrow)]
    pub(super) additional: Obj<AtExtra<'a>>,
    /// ActionTrail's misspelling, seen in real events alongside the correct key.
    #[serde(default, rename = "addionalEventData", borrow)]
    pub(super) addional: Obj<AtExtra<'a>>,
    /// SLS stores the event under `event`, as an object or a JSON string.
    #[serde(borrow)]
    pub(super) event: Option<Inner<'a>>,

    // Huawei CTS (`time`, `resource_id` and `message` are shared with Azure).
    #[serde(borrow)]
    pub(super) time: F<'a>,
    #[serde(borrow)]
    pub(super) record_time: F<'a>,
    #[serde(default, borrow)]
    pub(super) user: Obj<CtsUser<'a>>,
    #[serde(borrow)]
    pub(super) service_type: F<'a>,
    #[serde(borrow)]
    pub(super) resource_name: F<'a>,
    #[serde(borrow)]
    pub(super) resource_id: F<'a>,
    #[serde(borrow)]
    pub(super) source_ip: F<'a>,
    #[serde(borrow)]
    pub(super) trace_name: F<'a>,
    #[serde(borrow)]
    pub(super) trace_rating: F<'a>,
    /// The event-trigger payload's name for `trace_rating`.
    #[serde(borrow)]
    pub(super) trace_status: F<'a>,
    /// The event-trigger envelope `{"cts": {...}}`.
    #[serde(borrow)]
    pub(super) cts: Option<Inner<'a>>,
    #[serde(borrow)]
    pub(super) trace_type: F<'a>,
    #[serde(borrow)]
    pub(super) trace_id: F<'a>,
    #[serde(borrow)]
    pub(super) code: F<'a>,
    #[serde(borrow)]
    pub(super) message: F<'a>,
    #[serde(borrow)]
    pub(super) read_only: F<'a>,
    #[serde(borrow)]
    pub(super) domain_id: F<'a>,
    #[serde(borrow)]
    pub(super) project_id: F<'a>,
    #[serde(rename = "user_agent", borrow)]
    pub(super) user_agent_cts: F<'a>,

    // GCP LogEntry.
    #[serde(borrow)]
    pub(super) timestamp: F<'a>,
    #[serde(rename = "logName", alias = "log_name", borrow)]
    pub(super) log_name: F<'a>,
    #[serde(rename = "insertId", alias = "insert_id", borrow)]
    pub(super) insert_id: F<'a>,
    #[serde(default, borrow)]
    pub(super) resource: Obj<GcpResource<'a>>,
    #[serde(
        default,
        rename = "protoPayload",
        alias = "protopayload_auditlog",
        borrow
    )]
    pub(super) proto: Obj<GcpProto<'a>>,

    // Azure Activity Log: storage export (camelCase strings), CLI/REST (camelCase objects) and
    // Python SDK (snake_case) shapes.
    #[serde(rename = "eventTimestamp", alias = "event_timestamp", borrow)]
    pub(super) az_event_timestamp: F<'a>,
    #[serde(rename = "operationName", alias = "operation_name", borrow)]
    pub(super) az_operation: F<'a>,
    #[serde(borrow)]
    pub(super) category: F<'a>,
    #[serde(borrow)]
    pub(super) status: F<'a>,
    #[serde(rename = "subStatus", alias = "sub_status", borrow)]
    pub(super) az_sub_status: F<'a>,
    #[serde(rename = "resultType", borrow)]
    pub(super) az_result_type: F<'a>,
    #[serde(rename = "resultSignature", borrow)]
    pub(super) az_result_signature: F<'a>,
    #[serde(borrow)]
    pub(super) caller: F<'a>,
    #[serde(rename = "callerIpAddress", borrow)]
    pub(super) az_caller_ip: F<'a>,
    #[serde(default, borrow)]
    pub(super) claims: Obj<AzClaims<'a>>,
    #[serde(default, borrow)]
    pub(super) identity: Obj<AzIdentity<'a>>,
    #[serde(default, rename = "httpRequest", alias = "http_request", borrow)]
    pub(super) az_http: Obj<AzHttp<'a>>,
    #[serde(rename = "eventDataId", alias = "event_data_id", borrow)]
    pub(super) az_event_data_id: F<'a>,
    #[serde(rename = "resourceId", borrow)]
    pub(super) az_resource_id: F<'a>,
    #[serde(
        rename = "resourceProviderName",
        alias = "resource_provider_name",
        borrow
    )]
    pub(super) az_provider_name: F<'a>,
    #[serde(rename = "subscriptionId", alias = "subscription_id", borrow)]
    pub(super) az_subscription: F<'a>,
    #[serde(borrow)]
    pub(super) location: F<'a>,
    #[serde(borrow)]
    pub(super) properties: Option<Nested<'a, AzProps<'a>>>,
}
