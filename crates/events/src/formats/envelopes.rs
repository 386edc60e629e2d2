//! Envelopes: records that carry another provider record inside them. Each is unwrapped here
//! and the inner record classified like any other, while the raw span stays the envelope's
//! (the whole thing is what the user's file holds). See docs/formats.md, "Envelopes".

use super::record::{Inner, Rec};
use super::{classify, cloudtrail, Ctx, Decoded};

/// Envelopes nest at most this deep (an SLS row holding a LookupEvents wrapper, say).
pub(super) const MAX_DEPTH: u32 = 2;

/// Parses an embedded record (an object already decoded, or a JSON string) and hands it to
/// `f`; `None` for anything else or unparsable text.
fn with_inner<T>(inner: &Inner<'_>, f: impl FnOnce(&Rec<'_>) -> Option<T>) -> Option<T> {
    match inner {
        Inner::Rec(r) => f(r),
        Inner::Json(s) => serde_json::from_str::<Rec<'_>>(s).ok().as_ref().and_then(f),
        Inner::Other => None,
    }
}

/// Tries every envelope the record could be; `None` when it is none of them (or its content is
/// not recognised, in which case the record itself is classified as usual).
pub(super) fn unwrap(r: &Rec<'_>, ctx: &Ctx<'_>, depth: u32) -> Option<Decoded> {
    if depth >= MAX_DEPTH {
        return None;
    }
    if let Some(inner) = &r.cloudtrail_event {
        return Some(lookup_events(r, inner, ctx, depth));
    }
    if let Some(inner) = &r.event {
        if let Some(d) = with_inner(inner, |rec| classify(rec, ctx, depth + 1)) {
            return Some(d);
        }
    }
    None
}

/// LookupEvents (`aws cloudtrail lookup-events`, console JSON): the event is a JSON string in
/// `CloudTrailEvent`, and the wrapper's own columns fill what it lacks. An unreadable embedded
/// event still leaves the wrapper's columns.
fn lookup_events(w: &Rec<'_>, inner: &Inner<'_>, ctx: &Ctx<'_>, depth: u32) -> Decoded {
    let wrapper_only = || Decoded::Event(Box::new(cloudtrail::map(&Rec::default(), Some(w))));
    with_inner(inner, |rec| {
        Some(match classify(rec, ctx, depth + 1) {
            Some(Decoded::Event(_)) | None => {
                Decoded::Event(Box::new(cloudtrail::map(rec, Some(w))))
            }
            Some(other) => other,
        })
    })
    .unwrap_or_else(wrapper_only)
}

/// SLS flat form: `{"event.eventId": "...", "event.userIdentity": "{...}", ...}` (values may be
/// JSON strings, keys may go deeper: `event.userIdentity.userName`). Rebuilt into one object.
pub(super) fn sls_flat(bytes: &[u8], ctx: &Ctx<'_>) -> Option<Decoded> {
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
