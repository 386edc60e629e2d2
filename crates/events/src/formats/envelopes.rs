//! Envelopes: records that carry another provider record inside them. Each is unwrapped here
//! and the inner record classified like any other, while the raw span stays the envelope's
//! (the whole thing is what the user's file holds). See docs/formats.md, "Envelopes".

use crate::flex::txt;
use crate::model::Provider;

use super::common::has;
use super::record::{Inner, Rec};
use super::{classify, cloudtrail, incomplete, resemblance, Ctx, Decoded};

/// Envelopes nest at most this deep (an SLS row holding a LookupEvents wrapper, say).
pub(super) const MAX_DEPTH: u32 = 2;

/// Tries every envelope the record could be; `None` when it is none of them (or an SLS `event`
/// whose content is not recognised, in which case the record itself is classified as usual).
pub(super) fn unwrap<'a>(r: &Rec<'a>, ctx: &Ctx<'_>, depth: u32) -> Option<Decoded<'a>> {
    if depth >= MAX_DEPTH {
        return None;
    }
    if let Some(inner) = &r.cloudtrail_event {
        return Some(lookup_events(r, inner, ctx, depth));
    }
    if has(&r.detail_type) {
        return Some(eventbridge(r, ctx, depth));
    }
    if let Some(inner) = &r.cts {
        return Some(cts_trigger(inner, ctx, depth));
    }
    if let Some(inner) = &r.event {
        if let Some(d) = inner.with(|rec| classify(rec, ctx, depth + 1).map(Decoded::into_owned)) {
            return Some(d);
        }
    }
    None
}

/// Classifies an envelope's inner record, which must be an event of `provider`; anything else
/// is reported against the envelope's shape.
fn inner_event(
    inner: Option<&Inner<'_>>,
    ctx: &Ctx<'_>,
    depth: u32,
    provider: Provider,
    shape: &'static str,
    key: &str,
    expected: &str,
) -> Decoded<'static> {
    let Some(inner) = inner else {
        return incomplete(shape, format!("`{key}` is missing"));
    };
    // What the inner record is, or (when nothing took it) what it resembles and lacks.
    let decoded = inner.with(|rec| {
        classify(rec, ctx, depth + 1)
            .map(Decoded::into_owned)
            .or_else(|| resemblance(rec).map(|(shape, missing)| incomplete(shape, missing)))
    });
    match decoded {
        Some(Decoded::Event(e)) if e.provider == provider => Decoded::Event(e),
        Some(Decoded::Incomplete { missing, .. }) => {
            incomplete(shape, format!("in `{key}`: {missing}"))
        }
        None if matches!(inner, Inner::Other) => {
            incomplete(shape, format!("`{key}` is not an object"))
        }
        _ => incomplete(shape, format!("`{key}` is not {expected}")),
    }
}

/// EventBridge (and Firehose deliveries of it): `{"version":"0","detail-type":"AWS API Call via
/// CloudTrail","source":"aws.…","detail":{…the CloudTrail record…}}`. Every detail-type
/// CloudTrail sends ends in "via CloudTrail" (API calls, console sign-ins, service events,
/// Insights); other detail-types are not audit records.
fn eventbridge(r: &Rec<'_>, ctx: &Ctx<'_>, depth: u32) -> Decoded<'static> {
    let detail_type = txt(&r.detail_type);
    if !detail_type.ends_with("via CloudTrail") {
        return incomplete(
            "an EventBridge event",
            format!("its detail-type {detail_type:?} is not one CloudTrail sends (\"… via CloudTrail\")"),
        );
    }
    inner_event(
        r.detail.as_ref(),
        ctx,
        depth,
        Provider::Aws,
        "an EventBridge envelope of a CloudTrail event",
        "detail",
        "a CloudTrail record",
    )
}

/// Huawei CTS event-trigger payload (FunctionGraph / EventGrid): `{"cts": {…trace…}}`.
fn cts_trigger(inner: &Inner<'_>, ctx: &Ctx<'_>, depth: u32) -> Decoded<'static> {
    inner_event(
        Some(inner),
        ctx,
        depth,
        Provider::Huawei,
        "a CTS event-trigger payload",
        "cts",
        "a CTS trace (`trace_name`, or `service_type` with `trace_status`/`trace_id`)",
    )
}

/// LookupEvents (`aws cloudtrail lookup-events`, console JSON): the event is a JSON string in
/// `CloudTrailEvent`, and the wrapper's own columns fill what it lacks. An unreadable embedded
/// event still leaves the wrapper's columns.
fn lookup_events(w: &Rec<'_>, inner: &Inner<'_>, ctx: &Ctx<'_>, depth: u32) -> Decoded<'static> {
    // The embedded event may be text parsed here: what it gives is owned.
    let mapped = |r: &Rec<'_>| match cloudtrail::map(r, Some(w)) {
        Ok(e) => Decoded::Event(Box::new(e.into_static())),
        Err(missing) => incomplete("a LookupEvents record", missing),
    };
    inner
        .with(|rec| {
            Some(match classify(rec, ctx, depth + 1) {
                Some(Decoded::Event(_)) | Some(Decoded::Incomplete { .. }) | None => mapped(rec),
                Some(other) => other.into_owned(),
            })
        })
        .unwrap_or_else(|| mapped(&Rec::default()))
}

/// SLS flat form: `{"event.eventId": "...", "event.userIdentity": "{...}", ...}` (values may be
/// JSON strings, keys may go deeper: `event.userIdentity.userName`). Rebuilt into one object.
pub(super) fn sls_flat(bytes: &[u8], ctx: &Ctx<'_>) -> Option<Decoded<'static>> {
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
    classify(&rec, ctx, 1).map(Decoded::into_owned)
}
