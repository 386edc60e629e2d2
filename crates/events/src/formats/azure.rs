//! Azure Activity Log: diagnostic-settings storage blobs (`PT1H.json`) and Event Hub bodies
//! (camelCase, string values), REST / portal / `az monitor activity-log list` (camelCase with
//! `{value, localizedValue}` objects), Python SDK `as_dict()` (snake_case). See
//! docs/formats.md, "Azure Activity Log".

use std::borrow::Cow;

use crate::flex::{first, txt};
use crate::model::{Actor, BorrowedEvent, Event, Outcome, Provider};

use super::common::{has, lower_contains, one, segment_after, time_ms};
use super::record::{AzClaims, Rec};
use super::Missing;

/// `operationName` (or `operation_name`) with a time.
pub(super) fn detect(r: &Rec<'_>) -> bool {
    has(&r.az_operation) && (has(&r.az_event_timestamp) || has(&r.time))
}

/// The caller's identity type: claim `idtyp`, else guessed from the name's shape.
fn actor_kind<'a>(idtyp: Cow<'a, str>, name: &str) -> Cow<'a, str> {
    let guid_like = name.len() == 36 && name.bytes().filter(|&b| b == b'-').count() == 4;
    if !idtyp.is_empty() {
        idtyp
    } else if name.contains('@') {
        Cow::Borrowed("user")
    } else if guid_like {
        Cow::Borrowed("servicePrincipal")
    } else {
        Cow::Borrowed("")
    }
}

/// HTTP method GET/HEAD reads, any other writes; else the operation's verb suffix.
fn read_only(method: &str, op: &str) -> Option<bool> {
    let op = op.to_ascii_lowercase();
    match method {
        "GET" | "HEAD" => Some(true),
        "" if op.ends_with("/read") => Some(true),
        "" if op.ends_with("/write") || op.ends_with("/delete") || op.ends_with("/action") => {
            Some(false)
        }
        "" => None,
        _ => Some(false),
    }
}

/// `Failed`/`Failure` status or result type is an error: code from `subStatus`,
/// `resultSignature`, `properties.statusCode`, else the status; message
/// `properties.statusMessage`.
fn outcome<'a>(r: &Rec<'a>) -> Outcome<Cow<'a, str>> {
    let status = first(&[&r.status, &r.az_result_type]);
    if !matches!(status.to_ascii_lowercase().as_str(), "failed" | "failure") {
        return Outcome::Success;
    }
    // `properties` is an object, or (in some storage exports) the same object as JSON text.
    let (prop_code, message) = r
        .properties
        .as_ref()
        .and_then(|p| {
            // `properties` may be JSON text parsed here: its texts are owned.
            p.with(|p| {
                Some((
                    txt(&p.status_code).into_owned(),
                    txt(&p.status_message).into_owned(),
                ))
            })
        })
        .unwrap_or_default();
    let mut code = first(&[&r.az_sub_status, &r.az_result_signature]);
    if code.is_empty() {
        code = Cow::Owned(prop_code);
    }
    if code.is_empty() {
        code = status;
    }
    Outcome::Error {
        code,
        message: Cow::Owned(message),
    }
}

pub(super) fn map<'a>(r: &Rec<'a>) -> Result<BorrowedEvent<'a>, Missing> {
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
        caller
    };
    let op = txt(&r.az_operation);
    let http = r.az_http.0.as_ref();
    let method = http
        .map(|h| txt(&h.method).to_ascii_uppercase())
        .unwrap_or_default();
    let resource_id = first(&[&r.az_resource_id, &r.resource_id]);
    let mut account = txt(&r.az_subscription);
    if account.is_empty() {
        account = Cow::Owned(
            segment_after(&resource_id, "/subscriptions/")
                .unwrap_or("")
                .to_owned(),
        );
    }
    let mut service = txt(&r.az_provider_name);
    if service.is_empty() {
        service = Cow::Owned(op.split('/').next().unwrap_or("").to_owned());
    }
    let client_ip = http.map(|h| h.client_ip.clone()).unwrap_or_default();
    let Some(time_ms) = time_ms(&[&r.az_event_timestamp, &r.time]) else {
        return Err("`eventTimestamp` / `time` is not a parsable time");
    };
    Ok(Event {
        time_ms,
        provider: Provider::Azure,
        account,
        region: txt(&r.location),
        service,
        read_only: read_only(&method, &op),
        action: op,
        actor: Actor {
            kind: actor_kind(txt(&c.idtyp), &name),
            id: first(&[&c.oid, &r.caller]),
            admin: lower_contains(&name, "admin"),
            name,
            root: false,
            access_key: Cow::Borrowed(""),
        },
        source_ip: first(&[&client_ip, &r.az_caller_ip, &c.ipaddr]),
        user_agent: Cow::Borrowed(""),
        outcome: outcome(r),
        resources: one(resource_id),
        event_id: txt(&r.az_event_data_id),
        raw: Default::default(),
    })
}
