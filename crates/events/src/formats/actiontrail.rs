//! Alibaba Cloud ActionTrail events (OSS delivery, LookupEvents, single events). The SLS forms
//! (`event` as an object or a JSON string, flattened `event.` keys) are unwrapped in
//! `envelopes`. See docs/formats.md, "Alibaba Cloud ActionTrail".

use crate::flex::{first, txt, Flex};
use crate::model::{Actor, BorrowedEvent, Event, Provider};

use super::common::{has, key_text, lower_contains, outcome, read_write, split_ids, time_ms};
use super::record::{Rec, UserIdentity};
use super::Missing;

/// `eventTime` plus a key only ActionTrail spells this way (`acsRegion`, `sourceIpAddress`,
/// `eventRW`, `eventId`).
pub(super) fn detect(r: &Rec<'_>) -> bool {
    let ali_like =
        has(&r.acs_region) || has(&r.source_ip_at) || has(&r.event_rw) || has(&r.event_id_at);
    has(&r.event_time) && ali_like
}

pub(super) fn map<'a>(r: &Rec<'a>) -> Result<BorrowedEvent<'a>, Missing> {
    let empty = UserIdentity::default();
    let ui = r.user_identity.0.as_ref().unwrap_or(&empty);
    let kind = txt(&ui.kind);
    // Both spellings occur in real events: `additionalEventData` and `addionalEventData`.
    let login = [&r.additional, &r.addional]
        .iter()
        .filter_map(|x| x.0.as_ref())
        .map(|a| txt(&a.login_account))
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let mut name = txt(&ui.user_name);
    if name.is_empty() {
        name = if login.is_empty() {
            first(&[&ui.principal_id, &ui.account_id])
        } else {
            login
        };
    }
    let root = kind == "root-account";
    let mut resources = Vec::new();
    if let Some(map) = &r.referenced_resources.0 {
        for ids in map.values() {
            resources.extend(ids.0.iter().filter_map(Flex::text));
        }
    }
    if resources.is_empty() {
        // `resourceName`: IDs joined by `,` within a type and `;` between types.
        resources = split_ids(&txt(&r.resource_name_at));
    }
    let Some(time_ms) = time_ms(&[&r.event_time]) else {
        return Err("`eventTime` is not a parsable time");
    };
    Ok(Event {
        time_ms,
        provider: Provider::Alibaba,
        account: first(&[&r.recipient_account, &ui.account_id]),
        region: txt(&r.acs_region),
        service: first(&[&r.service_name, &r.event_source]),
        action: txt(&r.event_name),
        actor: Actor {
            kind,
            id: first(&[&ui.principal_id, &ui.account_id, &ui.user_name]),
            admin: root || lower_contains(&name, "admin"),
            name,
            root,
            access_key: key_text(&ui.access_key),
        },
        source_ip: txt(&r.source_ip_at),
        user_agent: txt(&r.user_agent),
        read_only: read_write(&txt(&r.event_rw)),
        outcome: outcome(txt(&r.error_code), txt(&r.error_message)),
        resources,
        event_id: txt(&r.event_id_at),
        raw: Default::default(),
    })
}
