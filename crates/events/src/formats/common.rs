//! What every provider mapping shares: presence and text of leaves, times, outcomes, resource
//! lists, path segments, the privileged-name heuristic, and field lookup by dotted path in a
//! generic JSON value (used by the user mapping and the rebuilt SLS / Lake shapes).

use std::borrow::Cow;

use crate::flex::Flex;
use crate::model::Outcome;

use super::record::F;

/// Whether a leaf holds a usable value (a non-empty string, a number or a boolean).
pub(super) fn has(f: &F<'_>) -> bool {
    matches!(f, Some(Flex::Str(s)) if !s.is_empty())
        || matches!(f, Some(Flex::Num(_)) | Some(Flex::Bool(_)))
}

/// Case-insensitive substring test (ASCII), for the "admin" highlighting heuristic: whether
/// `hay` lower-cased contains `needle`, which is lower case. Compared in place: lower-casing
/// a copy cost two allocations per CloudTrail record.
pub(super) fn lower_contains(hay: &str, needle: &str) -> bool {
    debug_assert!(!needle.bytes().any(|b| b.is_ascii_uppercase()));
    let needle = needle.as_bytes();
    needle.is_empty()
        || hay
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The first candidate that parses as a time (epoch number or timestamp string), in epoch ms.
pub(super) fn time_ms(cands: &[&F<'_>]) -> Option<i64> {
    cands
        .iter()
        .find_map(|f| f.as_ref().and_then(Flex::as_time_ms))
}

/// The first candidate that reads as a boolean.
pub(super) fn bool_of(cands: &[&F<'_>]) -> Option<bool> {
    cands
        .iter()
        .find_map(|f| f.as_ref().and_then(Flex::as_bool))
}

/// An error outcome when `code` is non-empty, else success.
pub(super) fn outcome<'a>(code: Cow<'a, str>, message: Cow<'a, str>) -> Outcome<Cow<'a, str>> {
    if code.is_empty() {
        Outcome::Success
    } else {
        Outcome::Error { code, message }
    }
}

/// `read`/`write` vocabularies (ActionTrail `eventRW`, user mappings) as a read-only flag.
pub(super) fn read_write(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "read" => Some(true),
        "write" => Some(false),
        _ => None,
    }
}

/// Appends `s` unless it is empty or already present.
pub(super) fn push_unique<'a>(v: &mut Vec<Cow<'a, str>>, s: Cow<'a, str>) {
    if !s.is_empty() && !v.contains(&s) {
        v.push(s);
    }
}

/// A list of IDs joined by `,` or `;`, trimmed, empties dropped.
pub(super) fn split_ids(s: &str) -> Vec<Cow<'static, str>> {
    s.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Cow::Owned(s.to_owned()))
        .collect()
}

/// One resource, or none when empty.
pub(super) fn one<'a>(s: Cow<'a, str>) -> Vec<Cow<'a, str>> {
    if s.is_empty() {
        Vec::new()
    } else {
        vec![s]
    }
}

/// The path segment after `marker` (matched case-insensitively; `marker` is lower-case), e.g.
/// the subscription in `/SUBSCRIPTIONS/<id>/RESOURCEGROUPS/...`.
pub(super) fn segment_after<'p>(path: &'p str, marker: &str) -> Option<&'p str> {
    let i = path.to_ascii_lowercase().find(marker)?;
    path.get(i + marker.len()..)?.split('/').next()
}

/// The value at a dotted path (`a.b.0.c`: array elements by index).
pub(super) fn lookup<'v>(v: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    let mut cur = v;
    for seg in path.split('.') {
        cur = match cur {
            serde_json::Value::Object(m) => m.get(seg)?,
            serde_json::Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// A value as text: strings as they are, `null` or missing as empty, anything else as JSON.
pub(super) fn value_text(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// An access key ID as the store keeps it: as recorded, or empty when it is only blanks (a
/// key of spaces names no credential).
pub(super) fn key_text<'a>(f: &F<'a>) -> Cow<'a, str> {
    let t = crate::flex::txt(f);
    if t.trim().is_empty() {
        Cow::Borrowed("")
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::lower_contains;

    /// The in-place comparison answers as lower-casing a copy did.
    #[test]
    fn lower_contains_as_a_lowered_copy() {
        let hays = [
            "",
            "admin",
            "ADMIN",
            "AdMiN-role",
            "Administrator",
            "adm",
            "sysadmin",
            "ÄDMIN",
            "straße-Admin",
            "ａｄｍｉｎ",
            "xadmi",
            "role/ADMINS/session",
        ];
        for hay in hays {
            for needle in ["admin", "", "a", "min"] {
                assert_eq!(
                    lower_contains(hay, needle),
                    hay.to_ascii_lowercase().contains(needle),
                    "{hay:?} {needle:?}"
                );
            }
        }
    }
}
