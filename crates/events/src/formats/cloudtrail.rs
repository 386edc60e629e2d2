//! AWS CloudTrail: log files (`Records`), single events, Insights and network-activity events,
//! and the LookupEvents wrapper's own columns (`EventName`, `Username`, ...). The envelopes
//! that carry a CloudTrail record (LookupEvents `CloudTrailEvent`, EventBridge `detail`) are
//! unwrapped in `envelopes`; this module maps the record itself. See docs/formats.md, "AWS
//! CloudTrail".

use std::borrow::Cow;

use crate::flex::{first, txt};
use crate::model::{Actor, BorrowedEvent, Event, Provider};

use super::common::{bool_of, has, key_text, lower_contains, outcome, time_ms};
use super::record::{Rec, UserIdentity};
use super::Missing;

/// A CloudTrail record: `eventTime` plus any key spelled the CloudTrail way, and no ActionTrail
/// `acsRegion` (ActionTrail shares most key names).
pub(super) fn detect(r: &Rec<'_>) -> bool {
    let aws_like = has(&r.aws_region)
        || has(&r.source_ip_aws)
        || has(&r.event_id_aws)
        || has(&r.recipient_account);
    has(&r.event_time) && aws_like && !has(&r.acs_region)
}

/// A LookupEvents wrapper without (usable) `CloudTrailEvent`: its own columns still describe
/// the event.
pub(super) fn detect_wrapper(r: &Rec<'_>) -> bool {
    has(&r.lk_event_name) && has(&r.lk_event_time)
}

/// The actor: user name; for roles `<issuer>/<session>`; `root`; else ARN, invoker, principal.
fn actor<'a>(ui: &UserIdentity<'a>, wrapper: Option<&Rec<'a>>) -> Actor<Cow<'a, str>> {
    let kind = txt(&ui.kind);
    let issuer = ui
        .session_context
        .0
        .as_ref()
        .and_then(|s| s.session_issuer.0.as_ref())
        .map(|s| txt(&s.user_name))
        .unwrap_or_default();
    let arn = txt(&ui.arn);
    let mut name = txt(&ui.user_name);
    if name.is_empty() && !issuer.is_empty() {
        // Assumed roles: "<role>/<session>", the session being the ARN's last segment.
        let session = arn
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty() && arn.contains('/'))
            .unwrap_or("");
        name = if session.is_empty() {
            issuer.clone()
        } else {
            Cow::Owned(format!("{issuer}/{session}"))
        };
    }
    if name.is_empty() && kind == "Root" {
        name = Cow::Borrowed("root");
    }
    if name.is_empty() {
        name = first(&[&ui.arn, &ui.invoked_by, &ui.principal_id]);
    }
    if name.is_empty() {
        if let Some(w) = wrapper {
            name = txt(&w.lk_username);
        }
    }
    let root = kind == "Root";
    Actor {
        admin: root || lower_contains(&name, "admin") || lower_contains(&issuer, "admin"),
        id: first(&[&ui.arn, &ui.principal_id, &ui.invoked_by]),
        kind,
        name,
        root,
        access_key: key_text(&ui.access_key),
    }
}

/// Maps a record, with the LookupEvents wrapper's columns as fallbacks when there is one.
pub(super) fn map<'a>(
    r: &Rec<'a>,
    wrapper: Option<&Rec<'a>>,
) -> Result<BorrowedEvent<'a>, Missing> {
    let empty = UserIdentity::default();
    let ui = r.user_identity.0.as_ref().unwrap_or(&empty);
    let w = wrapper;
    let wf = |f: for<'x> fn(&'x Rec<'a>) -> &'x super::record::F<'a>| {
        w.map(|w| txt(f(w))).unwrap_or_default()
    };
    let or = |a: Cow<'a, str>, b: Cow<'a, str>| if a.is_empty() { b } else { a };
    let none = None;
    let Some(time_ms) = time_ms(&[&r.event_time, w.map_or(&none, |w| &w.lk_event_time)]) else {
        return Err("`eventTime` is not a parsable time");
    };
    let read_only = bool_of(&[&r.read_only_aws, w.map_or(&none, |w| &w.lk_read_only)]);
    let mut resources: Vec<Cow<'a, str>> = r
        .resources
        .0
        .iter()
        .filter_map(|x| x.0.as_ref())
        .map(|x| first(&[&x.arn, &x.resource_name]))
        .filter(|s| !s.is_empty())
        .collect();
    if let (true, Some(w)) = (resources.is_empty(), w) {
        resources = w
            .lk_resources
            .0
            .iter()
            .filter_map(|x| x.0.as_ref())
            .map(|x| txt(&x.resource_name))
            .filter(|s| !s.is_empty())
            .collect();
    }
    let mut action = txt(&r.event_name);
    let mut service = or(txt(&r.event_source), wf(|w| &w.lk_event_source));
    if let (true, Some(ins)) = (action.is_empty(), r.insight.0.as_ref()) {
        // Insights events carry no eventName: name them after the API they are about, e.g.
        // "ApiCallRateInsight Start: RunInstances".
        action = Cow::Owned(format!(
            "{} {}: {}",
            txt(&ins.insight_type),
            txt(&ins.state),
            txt(&ins.event_name)
        ));
        service = txt(&ins.event_source);
    }
    if action.is_empty() {
        action = or(wf(|w| &w.lk_event_name), txt(&r.event_type));
    }
    Ok(Event {
        time_ms,
        provider: Provider::Aws,
        account: first(&[&r.recipient_account, &ui.account_id]),
        region: txt(&r.aws_region),
        service,
        action,
        actor: actor(ui, w),
        source_ip: txt(&r.source_ip_aws),
        user_agent: txt(&r.user_agent),
        read_only,
        outcome: outcome(txt(&r.error_code), txt(&r.error_message)),
        resources,
        event_id: or(txt(&r.event_id_aws), wf(|w| &w.lk_event_id)),
        raw: Default::default(),
    })
}
