//! Huawei Cloud CTS traces (OBS trace files, `ListTraces` responses, the console's CSV export
//! of the trace list). The
//! event-trigger envelope `{"cts": {...}}` is unwrapped in `envelopes`. See docs/formats.md,
//! "Huawei Cloud CTS".

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::flex::{first, txt};
use crate::model::{Actor, BorrowedEvent, Event, Outcome, Provider};

use super::common::{bool_of, has, lower_contains, push_unique, time_ms};
use super::record::{CtsDomain, CtsUser, Rec};
use super::{incomplete, Ctx, Decoded, Missing};

/// The console export's row, as diagnostics name it.
const EXPORT_SHAPE: &str = "a CTS console export row";

/// Columns of the console's trace-list export (Trace List → Export, a CSV of up to 5,000
/// traces) and the trace key each fills. The documentation names the export's format and the
/// list's columns but not the file's header text [unverified], so each column is matched by the
/// console's English label, its Chinese label, or the trace-structure key, case-insensitively.
const EXPORT_COLUMNS: [(&[&str], &str); 11] = [
    (&["trace name", "事件名称", "trace_name"], "trace_name"),
    (
        &[
            "trace source",
            "事件来源",
            "cloud service",
            "云服务",
            "service_type",
        ],
        "service_type",
    ),
    (
        &["resource type", "资源类型", "resource_type"],
        "resource_type",
    ),
    (&["resource id", "资源id", "resource_id"], "resource_id"),
    (
        &["resource name", "资源名称", "resource_name"],
        "resource_name",
    ),
    (
        &["trace status", "trace rating", "事件级别", "trace_rating"],
        "trace_rating",
    ),
    (&["trace type", "事件类型", "trace_type"], "trace_type"),
    (&["trace id", "事件id", "trace_id"], "trace_id"),
    (&["operation time", "操作时间", "time"], "time"),
    (
        &["source ip", "source ip address", "源ip地址", "source_ip"],
        "source_ip",
    ),
    (&["operator", "操作用户", "user"], "user"),
];

fn export_key(header: &str) -> Option<&'static str> {
    let h = header.trim().to_lowercase();
    EXPORT_COLUMNS
        .iter()
        .find(|(labels, _)| labels.contains(&h.as_str()))
        .map(|(_, key)| *key)
}

/// Whether a CSV header row is the console export's: a trace-name column and a trace-source,
/// rating or resource-type column.
pub(crate) fn is_export_header(fields: &[String]) -> bool {
    let keys: Vec<&str> = fields.iter().filter_map(|f| export_key(f)).collect();
    keys.contains(&"trace_name")
        && ["service_type", "trace_rating", "resource_type"]
            .iter()
            .any(|k| keys.contains(k))
}

/// Maps one export row: the cells are rebuilt into a trace and mapped like any other.
pub(crate) fn decode_export_row(
    header: &[String],
    row: &[String],
    ctx: &Ctx<'_>,
) -> Decoded<'static> {
    if !header.iter().any(|h| export_key(h) == Some("time")) {
        return incomplete(
            EXPORT_SHAPE,
            "the export has no `Operation Time` column (or `操作时间`, `time`)",
        );
    }
    let mut trace = Map::new();
    for (name, cell) in header.iter().zip(row) {
        let (Some(key), cell) = (export_key(name), cell.trim()) else {
            continue;
        };
        if cell.is_empty() {
            continue;
        }
        let value = if key == "user" {
            // The operator as the list shows it (a name), or the trace's `user` object as JSON.
            match serde_json::from_str::<Value>(cell) {
                Ok(v @ Value::Object(_)) => v,
                _ => serde_json::json!({ "name": cell }),
            }
        } else {
            Value::String(cell.to_string())
        };
        trace.insert(key.to_string(), value);
    }
    let text = Value::Object(trace).to_string();
    let Ok(r) = serde_json::from_str::<Rec<'_>>(&text) else {
        return Decoded::Unknown;
    };
    match map(&r, ctx) {
        // The trace was rebuilt here: the event owns its texts.
        Ok(e) => Decoded::Event(Box::new(e.into_static())),
        Err(missing) => incomplete(EXPORT_SHAPE, missing),
    }
}

/// `trace_name`, or `service_type` with a rating or a trace ID.
pub(super) fn detect(r: &Rec<'_>) -> bool {
    has(&r.trace_name) || (has(&r.service_type) && (has(&r.trace_rating) || has(&r.trace_id)))
}

/// The region in a CTS trace file name: `<prefix>_CloudTrace_<region[-project]>_<time>_...`.
pub(crate) fn region_from_path(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?;
    let rest = name.get(name.find("_CloudTrace_")? + "_CloudTrace_".len()..)?;
    let region = rest.split('_').next()?;
    (!region.is_empty()).then(|| region.to_string())
}

/// `trace_rating` `warning` (a failed operation) or `incident` is an error; so is an HTTP
/// `code` ≥ 400 when there is no rating. The code is the HTTP status when it says failure, a
/// non-numeric code as it is, else the rating.
fn outcome<'a>(r: &Rec<'a>) -> Outcome<Cow<'a, str>> {
    // Event-trigger payloads call the rating `trace_status`.
    let rating = first(&[&r.trace_rating, &r.trace_status]).to_ascii_lowercase();
    let code = txt(&r.code);
    let http_failed = code.parse::<u32>().map(|c| c >= 400).unwrap_or(false);
    if rating == "warning" || rating == "incident" || (rating.is_empty() && http_failed) {
        let c = if http_failed || (!code.is_empty() && code.parse::<u32>().is_err()) {
            code
        } else {
            Cow::Owned(rating)
        };
        Outcome::Error {
            code: c,
            message: txt(&r.message),
        }
    } else {
        Outcome::Success
    }
}

pub(super) fn map<'a>(r: &Rec<'a>, ctx: &Ctx<'_>) -> Result<BorrowedEvent<'a>, Missing> {
    let empty = CtsUser::default();
    let user = r.user.0.as_ref().unwrap_or(&empty);
    let dom = CtsDomain::default();
    let domain = user.domain.0.as_ref().unwrap_or(&dom);
    let name = txt(&user.name);
    // The account's own user shares the account (domain) name: Huawei's closest thing to root.
    let root = !name.is_empty() && name == txt(&domain.name);
    let mut resources = Vec::new();
    for f in [&r.resource_id, &r.resource_name] {
        push_unique(&mut resources, txt(f));
    }
    let Some(time_ms) = time_ms(&[&r.time, &r.record_time]) else {
        return Err("neither `time` nor `record_time` is a parsable time");
    };
    Ok(Event {
        time_ms,
        provider: Provider::Huawei,
        account: first(&[&domain.id, &r.domain_id, &r.project_id]),
        region: Cow::Owned(ctx.cts_region.unwrap_or_default().to_owned()),
        service: txt(&r.service_type),
        action: txt(&r.trace_name),
        actor: Actor {
            kind: first(&[&user.kind, &r.trace_type]),
            id: first(&[&user.id, &user.name]),
            admin: root || lower_contains(&name, "admin"),
            name,
            root,
            access_key: Cow::Borrowed(""),
        },
        source_ip: txt(&r.source_ip),
        user_agent: first(&[&r.user_agent_cts, &r.user_agent]),
        read_only: bool_of(&[&r.read_only]),
        outcome: outcome(r),
        resources,
        event_id: txt(&r.trace_id),
        raw: Default::default(),
    })
}
