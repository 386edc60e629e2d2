//! Huawei Cloud CTS traces (OBS trace files, `ListTraces` responses, console exports). The
//! event-trigger envelope `{"cts": {...}}` is unwrapped in `envelopes`. See docs/formats.md,
//! "Huawei Cloud CTS".

use crate::flex::{first, txt};
use crate::model::{Actor, Event, Outcome, Provider};

use super::common::{bool_of, has, lower_contains, push_unique, time_ms};
use super::record::{CtsDomain, CtsUser, Rec};
use super::{Ctx, Missing};

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
fn outcome(r: &Rec<'_>) -> Outcome {
    // Event-trigger payloads call the rating `trace_status`.
    let rating = first(&[&r.trace_rating, &r.trace_status]).to_ascii_lowercase();
    let code = txt(&r.code);
    let http_failed = code.parse::<u32>().map(|c| c >= 400).unwrap_or(false);
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
    }
}

pub(super) fn map(r: &Rec<'_>, ctx: &Ctx<'_>) -> Result<Event, Missing> {
    let empty = CtsUser::default();
    let user = r.user.0.as_ref().unwrap_or(&empty);
    let dom = CtsDomain::default();
    let domain = user.domain.0.as_ref().unwrap_or(&dom);
    let name = txt(&user.name).into_owned();
    // The account's own user shares the account (domain) name: Huawei's closest thing to root.
    let root = !name.is_empty() && name == txt(&domain.name);
    let mut resources = Vec::new();
    for f in [&r.resource_id, &r.resource_name] {
        push_unique(&mut resources, &txt(f));
    }
    let Some(time_ms) = time_ms(&[&r.time, &r.record_time]) else {
        return Err("neither `time` nor `record_time` is a parsable time");
    };
    Ok(Event {
        time_ms,
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
        read_only: bool_of(&[&r.read_only]),
        outcome: outcome(r),
        resources,
        event_id: txt(&r.trace_id).into_owned(),
        raw: Default::default(),
    })
}
