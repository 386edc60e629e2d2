//! Repeated events: which are copies of one record, which are conflicting versions of it.
//!
//! Two rows with the same provider and event ID (and, for providers whose IDs are unique only
//! per timestamp, the same time) are *the same event*. They are **identical duplicates** when
//! their records agree, and one row is kept; they are **conflicting duplicates** when the
//! records differ, and every version is kept, because a record that differs from another one
//! with the same ID is evidence (a forged or altered copy), never noise to drop silently.
//!
//! "Agree" depends on how the two records are laid out. Records of the same layout (two
//! elements of a `Records` list, two CSV rows, ...) are compared by their bytes, ignoring
//! whitespace between JSON tokens (so a re-indented copy is not a conflict). Records of
//! different layouts (a log-file record and its LookupEvents or console-export form) cannot
//! be compared by bytes; they are compared by the normalized time, service, action and error
//! code, which every layout carries.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use trailproof_core::report::{Level, Note, Report};

use crate::model::Provider;
use crate::store::{EventStore, Field};

/// Tells `report` about the conflicting duplicates in `store`: a note on the item of each
/// file that holds one (or, for a file with no item, a report note naming it), saying which
/// event and which other files. Call after [`EventStore::apply_integrity`], so the note can
/// say which version was marked failed.
pub fn note_conflicts(store: &EventStore, report: &mut Report) {
    let mut per_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for group in store.conflicts() {
        let rows: Vec<usize> = group
            .iter()
            .map(|&r| r as usize)
            .filter(|&r| r < store.len())
            .collect();
        let Some(&first) = rows.first() else { continue };
        let id = store.text(first, Field::EventId);
        for &r in &rows {
            let others: Vec<String> = rows
                .iter()
                .filter(|&&o| o != r)
                .map(|&o| store.text(o, Field::File))
                .collect();
            per_file
                .entry(store.text(r, Field::File))
                .or_default()
                .push(format!(
                    "event {id} here ({}) differs from the record with the same ID in {}",
                    store.integrity(r).as_str(),
                    others.join(", ")
                ));
        }
    }
    /// Conflicts spelt out per file; the rest are counted.
    const SHOWN: usize = 5;
    for (path, lines) in per_file {
        let more = match lines.len().saturating_sub(SHOWN) {
            0 => String::new(),
            n => format!("; and {n} more"),
        };
        let text = format!(
            "{} conflicting duplicate{}: {}{more}",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            lines[..lines.len().min(SHOWN)].join("; ")
        );
        match report.items.iter_mut().find(|i| i.path == path) {
            Some(item) => item.notes.push(text),
            None => report.notes.push(Note {
                severity: Level::Error,
                path,
                message: text,
            }),
        }
    }
}

/// Layout code of a record whose layout is unknown (events pushed without their record).
pub(crate) const LAYOUT_UNKNOWN: u32 = 0;
/// Layout code of a console-CSV row.
pub(crate) const LAYOUT_CSV: u32 = 255 << 24;

/// The layout code of a JSON record: where it sat (`container`, 1–254) and its shape (the
/// top-level member names in order, from [`record_hash`]). Records are compared byte for byte
/// only when their codes are equal: the same event exported in another shape (a log-file
/// record and its EventBridge envelope, a Cloud Logging entry and its BigQuery row) or by a
/// tool that reorders members is never a conflict for its bytes alone.
pub(crate) fn layout(container: u8, shape: u32) -> u32 {
    (u32::from(container.clamp(1, 254)) << 24) | (shape & 0x00FF_FFFF)
}

/// Whether a provider's event IDs identify an event on their own. GCP's `insertId` (and
/// anything read through a generic mapping) is unique only together with the timestamp, so
/// for those the time is part of the identity.
pub(crate) fn id_unique_alone(p: Provider) -> bool {
    match p {
        Provider::Aws | Provider::Alibaba | Provider::Huawei | Provider::Azure => true,
        Provider::Gcp | Provider::Generic => false,
    }
}

/// A 64-bit hash of a record's bytes, skipping ASCII whitespace outside JSON strings (other
/// layouts such as CSV contain no JSON strings; whitespace in them is skipped alike, which
/// only makes two rows that differ by spacing alone agree), and a hash of its shape: the
/// names of its top-level members, in order.
///
/// Not collision-resistant against a forger, and it need not be: a forged record that
/// collides with the genuine one is treated as a copy of it, and of two copies the store
/// keeps the one in the best-verified file, so the forged bytes are never what is shown as
/// verified.
pub(crate) fn record_hash(bytes: &[u8]) -> (u64, u32) {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut shape = std::collections::hash_map::DefaultHasher::new();
    let (mut in_string, mut escaped) = (false, false);
    let mut run_start = 0;
    // Nesting depth outside strings; at depth 1, whether the next string is a member name.
    let (mut depth, mut expect_key, mut key_start) = (0u32, false, None);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
                if let Some(start) = key_start.take() {
                    shape.write(&bytes[start..i]);
                    shape.write_u8(0);
                }
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                if depth == 1 && expect_key {
                    key_start = Some(i + 1);
                    expect_key = false;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                expect_key = depth == 1 && b == b'{';
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => expect_key = depth == 1,
            _ if b.is_ascii_whitespace() => {
                h.write(&bytes[run_start..i]);
                run_start = i + 1;
            }
            _ => {}
        }
    }
    h.write(&bytes[run_start.min(bytes.len())..]);
    (h.finish(), shape.finish() as u32)
}

/// The outcome of grouping rows (indices in input order).
#[derive(Debug, Default)]
pub(crate) struct Grouping {
    /// Whether each row stays.
    pub keep: Vec<bool>,
    /// `(kept row, dropped identical copy)`.
    pub copies: Vec<(u32, u32)>,
    /// Sets of kept rows that are conflicting versions of one event (two or more each).
    pub conflicts: Vec<Vec<u32>>,
}

/// Groups `n` rows: rows whose `key` is `None` stand alone; rows with equal keys are copies
/// when `same` says their records agree, conflicting versions otherwise. The first row of
/// each version (in input order) is the one kept.
pub(crate) fn group<K: Hash + Eq>(
    n: usize,
    key: impl Fn(usize) -> Option<K>,
    same: impl Fn(usize, usize) -> bool,
) -> Grouping {
    let mut first: HashMap<K, u32> = HashMap::new();
    // First row of a key → the first row of each distinct version (only for repeated keys).
    let mut versions: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut out = Grouping {
        keep: vec![true; n],
        ..Grouping::default()
    };
    for i in 0..n {
        let Some(k) = key(i) else { continue };
        let f = *first.entry(k).or_insert(i as u32);
        if f == i as u32 {
            continue;
        }
        let reps = versions.entry(f).or_insert_with(|| vec![f]);
        match reps.iter().find(|&&r| same(r as usize, i)) {
            Some(&r) => {
                out.keep[i] = false;
                out.copies.push((r, i as u32));
            }
            None => reps.push(i as u32),
        }
    }
    let mut conflicts: Vec<Vec<u32>> = versions.into_values().filter(|v| v.len() > 1).collect();
    conflicts.sort();
    out.conflicts = conflicts;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_between_tokens_does_not_count() {
        let a = record_hash(br#"{"a":"x y","b":[1,2]}"#);
        assert_eq!(a, record_hash(b"{ \"a\": \"x y\",\n  \"b\": [1, 2] }"));
        assert_ne!(a, record_hash(br#"{"a":"xy","b":[1,2]}"#));
        assert_ne!(a, record_hash(br#"{"a":"x y","b":[1,3]}"#));
        // An escaped quote does not end the string.
        assert_ne!(
            record_hash(br#"{"a":"\" x"}"#),
            record_hash(br#"{"a":"\"x"}"#)
        );
    }

    #[test]
    fn shape_is_the_top_level_member_names_in_order() {
        let shape = |b: &[u8]| record_hash(b).1;
        let plain = shape(br#"{"eventTime":"t","eventName":"x","n":{"a":1}}"#);
        // Same names, other values and nesting: same shape.
        assert_eq!(
            plain,
            shape(br#"{ "eventTime": "u", "eventName": ["y"], "n": {"b": {"c": 2}} }"#)
        );
        // Reordered, renamed or wrapped: another shape, so never compared byte for byte.
        assert_ne!(
            plain,
            shape(br#"{"eventName":"x","eventTime":"t","n":{"a":1}}"#)
        );
        assert_ne!(
            plain,
            shape(br#"{"event_time":"t","eventName":"x","n":{"a":1}}"#)
        );
        assert_ne!(
            plain,
            shape(br#"{"detail":{"eventTime":"t","eventName":"x","n":{"a":1}}}"#)
        );
        // A member name with an escaped quote, and a string value holding a comma.
        assert_ne!(shape(br#"{"a\"b":1}"#), shape(br#"{"a":1}"#));
        assert_eq!(
            shape(br#"{"a":"x,\"y","b":1}"#),
            shape(br#"{"a":"z","b":2}"#)
        );
        assert_ne!(layout(1, plain), layout(2, plain));
        assert_ne!(layout(1, plain), LAYOUT_UNKNOWN);
    }

    #[test]
    fn copies_and_conflicts() {
        // keys: 0 1 0 0 None 1; contents: a b a c - b
        let keys = [Some(0), Some(1), Some(0), Some(0), None, Some(1)];
        let content = ['a', 'b', 'a', 'c', 'z', 'b'];
        let g = group(6, |i| keys[i], |x, y| content[x] == content[y]);
        assert_eq!(g.keep, [true, true, false, true, true, false]);
        assert_eq!(g.copies, [(0, 2), (1, 5)]);
        assert_eq!(g.conflicts, [vec![0, 3]]);
    }
}
