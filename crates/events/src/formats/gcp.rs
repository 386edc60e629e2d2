//! Google Cloud audit logs: LogEntry records (Cloud Logging sinks, `gcloud logging read`,
//! the Logging API's `entries`). See docs/formats.md, "GCP Cloud Audit Logs".

use std::borrow::Cow;

use crate::flex::{first, txt};
use crate::model::{Actor, BorrowedEvent, Event, Provider};

use super::common::{has, lower_contains, one, outcome, time_ms};
use super::record::{GcpResource, Rec};
use super::Missing;

/// `logName`, `protoPayload`, or `insertId` with `timestamp`.
pub(super) fn detect(r: &Rec<'_>) -> bool {
    has(&r.log_name) || r.proto.0.is_some() || (has(&r.insert_id) && has(&r.timestamp))
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
/// `authorizationInfo[].permissionType`: any `*_WRITE` makes a write, else any `*_READ` a read;
/// without one, an Admin Activity log entry is a write (those logs record changes only).
fn read_only(r: &Rec<'_>, log_id: &str) -> Option<bool> {
    let mut read_only = None;
    if let Some(p) = r.proto.0.as_ref() {
        for a in p.authz.0.iter().filter_map(|a| a.0.as_ref()) {
            let t = txt(&a.permission_type);
            if t.ends_with("_WRITE") {
                return Some(false);
            } else if t.ends_with("_READ") {
                read_only = Some(true);
            }
        }
    }
    if read_only.is_none() && log_id.ends_with("/activity") {
        return Some(false);
    }
    read_only
}

pub(super) fn map<'a>(r: &Rec<'a>) -> Result<BorrowedEvent<'a>, Missing> {
    let proto = r.proto.0.as_ref();
    let empty_res = GcpResource::default();
    let res = r.resource.0.as_ref().unwrap_or(&empty_res);
    let labels = res.labels.0.as_ref();
    let log_name = txt(&r.log_name);
    // logName = {projects|folders|organizations|billingAccounts}/<id>/logs/<log id>
    let mut parts = log_name.split('/');
    let account = match (parts.next(), parts.next()) {
        (Some(_), Some(id)) if !id.is_empty() => Cow::Owned(id.to_owned()),
        _ => labels.map(|l| txt(&l.project_id)).unwrap_or_default(),
    };
    let log_id = log_name
        .rsplit_once("/logs/")
        .map(|(_, id)| id.replace("%2F", "/"))
        .unwrap_or_default();
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
    let code = if code == "0" {
        Cow::Borrowed("")
    } else {
        Cow::Owned(grpc_code_name(&code))
    };
    let region = proto
        .and_then(|p| p.location.0.as_ref())
        .map(|l| txt(&l.current))
        .filter(|s| !s.is_empty())
        .or_else(|| labels.map(|l| first(&[&l.location, &l.zone, &l.region])))
        .unwrap_or_default();
    let (service, action) = match proto {
        Some(p) => (txt(&p.service_name), txt(&p.method_name)),
        // Not an audit entry: the resource type and log id are the best description.
        None => (txt(&res.kind), Cow::Owned(log_id.clone())),
    };
    let Some(time_ms) = time_ms(&[&r.timestamp]) else {
        return Err("`timestamp` is missing or not a parsable time");
    };
    Ok(Event {
        time_ms,
        provider: Provider::Gcp,
        account,
        region,
        service,
        action,
        actor: Actor {
            kind: Cow::Borrowed(kind),
            id: if subject.is_empty() { &email } else { &subject }.clone(),
            admin: lower_contains(&email, "admin"),
            name: if email.is_empty() {
                match subject {
                    Cow::Borrowed(s) => Cow::Borrowed(s.trim_start_matches("user:")),
                    Cow::Owned(s) => Cow::Owned(s.trim_start_matches("user:").to_owned()),
                }
            } else {
                email
            },
            root: false,
            access_key: Cow::Borrowed(""),
        },
        source_ip: meta.map(|m| txt(&m.caller_ip)).unwrap_or_default(),
        user_agent: meta.map(|m| txt(&m.user_agent)).unwrap_or_default(),
        read_only: read_only(r, &log_id),
        outcome: outcome(code, status.map(|s| txt(&s.message)).unwrap_or_default()),
        resources: one(proto.map(|p| txt(&p.resource_name)).unwrap_or_default()),
        event_id: txt(&r.insert_id),
        raw: Default::default(),
    })
}
