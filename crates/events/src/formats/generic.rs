//! Generic JSON read through a user-supplied [`FieldMapping`]: records no built-in decoder
//! recognises. See docs/formats.md, "Generic JSON / JSONL".

use crate::model::{Actor, Event, Outcome, Provider};

use super::common::{lookup, lower_contains, value_text};
use super::Decoded;

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

pub(super) fn map(v: &serde_json::Value, m: &FieldMapping) -> Decoded<'static> {
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
    Decoded::Event(Box::new(
        Event {
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
                access_key: String::new(),
            },
            source_ip: get(&m.source_ip),
            user_agent: get(&m.user_agent),
            read_only,
            outcome,
            resources,
            event_id: get(&m.event_id),
            raw: Default::default(),
        }
        .into_borrowed(),
    ))
}
