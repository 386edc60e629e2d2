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
pub(crate) const LAYOUT_UNKNOWN: u8 = 0;
/// Layout code of a console-CSV row.
pub(crate) const LAYOUT_CSV: u8 = 255;

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
/// only makes two rows that differ by spacing alone agree).
///
/// Not collision-resistant against a forger, and it need not be: a forged record that
/// collides with the genuine one is treated as a copy of it, and of two copies the store
/// keeps the one in the best-verified file, so the forged bytes are never what is shown as
/// verified.
pub(crate) fn record_hash(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let (mut in_string, mut escaped) = (false, false);
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if b.is_ascii_whitespace() {
            h.write(&bytes[run_start..i]);
            run_start = i + 1;
        }
    }
    h.write(&bytes[run_start.min(bytes.len())..]);
    h.finish()
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
