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

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use trailproof_core::report::{Integrity, Level, Note, Report};

use crate::model::Provider;
use crate::scan::Layout;
use crate::store::{EventStore, Field};

/// Tells `report` about the conflicting duplicates in `store`: a note on the item of each
/// file that holds one (or, for a file with no item, a report note naming it), saying which
/// event and which other files. Call after [`EventStore::apply_integrity`], so the note can
/// say which version was marked failed.
pub fn note_conflicts(store: &EventStore, report: &mut Report) {
    let file_of = |r: usize| {
        store
            .files()
            .get(store.raw(r).file as usize)
            .map_or("", String::as_str)
    };
    let groups: Vec<ConflictGroup<'_>> = store
        .conflicts()
        .iter()
        .filter_map(|group| {
            let rows: Vec<usize> = group
                .iter()
                .map(|&r| r as usize)
                .filter(|&r| r < store.len())
                .collect();
            let &first = rows.first()?;
            Some(ConflictGroup {
                id: store.text(first, Field::EventId),
                rows: rows
                    .iter()
                    .map(|&r| (file_of(r), store.integrity(r)))
                    .collect(),
            })
        })
        .collect();
    attach_conflict_notes(&groups, report);
}

/// The conflicting versions of one event, as the notes name them.
pub(crate) struct ConflictGroup<'a> {
    /// The event ID (as the first version spells it).
    pub id: String,
    /// Each version: the file holding its record and its integrity.
    pub rows: Vec<(&'a str, Integrity)>,
}

/// What every conflict note's text starts with after its count.
const CONFLICT_NOTE: &str = " conflicting duplicate";

/// Whether `text` is a note [`note_conflicts`] writes.
pub fn is_conflict_note(text: &str) -> bool {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && text[digits..].starts_with(CONFLICT_NOTE)
}

/// Removes every note [`note_conflicts`] wrote from `report` (items and report notes): a
/// merge of shard reports writes those of the whole run instead
/// ([`crate::store::merge_identities`]).
pub fn strip_conflict_notes(report: &mut Report) {
    for item in &mut report.items {
        item.notes.retain(|n| !is_conflict_note(n));
    }
    report
        .notes
        .retain(|n| !(n.severity == Level::Error && is_conflict_note(&n.message)));
}

/// Writes the notes of `groups` into `report` (see [`note_conflicts`]).
pub(crate) fn attach_conflict_notes(groups: &[ConflictGroup<'_>], report: &mut Report) {
    /// Conflicts spelt out per file; the rest are counted.
    const SHOWN: usize = 5;
    // Per file path: the first SHOWN lines, and how many there are in all. Only the lines
    // shown are written out: an export whose every event conflicts has one line per event.
    // Hashed while filling (one lookup per conflicting row), sorted by path once at the end.
    let mut per_file: HashMap<&str, (Vec<String>, usize), foldhash::quality::RandomState> =
        HashMap::default();
    for group in groups {
        for (r, &(file, integrity)) in group.rows.iter().enumerate() {
            let (lines, count) = per_file.entry(file).or_default();
            *count += 1;
            if lines.len() >= SHOWN {
                continue;
            }
            let others: Vec<&str> = group
                .rows
                .iter()
                .enumerate()
                .filter(|&(o, _)| o != r)
                .map(|(_, &(f, _))| f)
                .collect();
            lines.push(format!(
                "event {} here ({}) differs from the record with the same ID in {}",
                group.id,
                integrity.as_str(),
                others.join(", ")
            ));
        }
    }
    // The first item of each path, found once rather than by a search per file.
    let mut item_of: HashMap<&str, usize> = HashMap::with_capacity(report.items.len());
    for (i, item) in report.items.iter().enumerate() {
        item_of.entry(item.path.as_str()).or_insert(i);
    }
    let mut notes: Vec<(Option<usize>, String, String)> = Vec::new();
    let mut per_file: Vec<(&str, (Vec<String>, usize))> = per_file.into_iter().collect();
    per_file.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (path, (lines, count)) in per_file {
        let more = match count.saturating_sub(SHOWN) {
            0 => String::new(),
            n => format!("; and {n} more"),
        };
        let text = format!(
            "{count}{CONFLICT_NOTE}{}: {}{more}",
            if count == 1 { "" } else { "s" },
            lines.join("; ")
        );
        notes.push((item_of.get(path).copied(), path.to_owned(), text));
    }
    for (item, path, text) in notes {
        match item.and_then(|i| report.items.get_mut(i)) {
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
    let mut shape = RECORD_HASH.build_hasher();
    // Runs of bytes between whitespace outside strings; their concatenation is hashed.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut run_start = 0;
    // Nesting depth outside strings; at depth 1, whether the next string is a member name.
    let (mut depth, mut expect_key) = (0u32, false);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                // Strings are skipped whole: only a quote or a backslash matters inside.
                let start = i + 1;
                let mut j = start;
                let end = loop {
                    let Some(rest) = bytes.get(j..) else {
                        break None;
                    };
                    match memchr::memchr2(b'"', b'\\', rest) {
                        Some(k) if rest[k] == b'\\' => j += k + 2,
                        Some(k) => break Some(j + k),
                        None => break None,
                    }
                };
                let Some(end) = end else {
                    // An unterminated string runs to the end of the record.
                    break;
                };
                if depth == 1 && expect_key {
                    shape.write(&bytes[start..end]);
                    shape.write_u8(0);
                    expect_key = false;
                }
                i = end + 1;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                expect_key = depth == 1 && b == b'{';
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => expect_key = depth == 1,
            _ if b.is_ascii_whitespace() => {
                if run_start < i {
                    runs.push((run_start, i));
                }
                run_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let last = (run_start < bytes.len()).then_some((run_start, bytes.len()));
    // One write of the whole content (foldhash is not a streaming hash: two writes of
    // "ab" and "c" differ from one of "abc"); compact records are hashed in place, with no
    // list of runs allocated.
    let content = match (runs.as_slice(), last) {
        ([], None) => RECORD_HASH.hash_one(&[] as &[u8]),
        ([], Some((a, b))) | (&[(a, b)], None) => RECORD_HASH.hash_one(&bytes[a..b]),
        _ => {
            let mut joined = Vec::with_capacity(bytes.len());
            for &(a, b) in runs.iter().chain(&last) {
                joined.extend_from_slice(&bytes[a..b]);
            }
            RECORD_HASH.hash_one(&joined[..])
        }
    };
    (content, shape.finish() as u32)
}

/// [`record_hash`] of a record the scanner cut, from what the scanner saw of it: a compact
/// object's bytes are hashed as they are and its shape read from the member names the
/// scanner located, with no second pass over the record; any other record is hashed by
/// [`record_hash`] itself.
pub(crate) fn scanned_record_hash(bytes: &[u8], layout: Layout<'_>) -> (u64, u32) {
    if !layout.compact {
        return record_hash(bytes);
    }
    let mut shape = RECORD_HASH.build_hasher();
    for &(a, b) in layout.keys {
        shape.write(bytes.get(a as usize..b as usize).unwrap_or_default());
        shape.write_u8(0);
    }
    let hashed = (RECORD_HASH.hash_one(bytes), shape.finish() as u32);
    debug_assert_eq!(
        hashed,
        record_hash(bytes),
        "the scanner's layout of a record"
    );
    hashed
}

/// The hasher of [`record_hash`]: fixed, so that every part of a run (each worker's share
/// of the files) hashes alike. Like the SipHash with fixed keys it replaces, its key is
/// public; see [`record_hash`] for why that is acceptable.
const RECORD_HASH: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x7472_6169_6c70_726f);

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
pub(crate) fn group<K: Hash + Ord>(
    n: usize,
    key: impl Fn(usize) -> Option<K>,
    same: impl Fn(usize, usize) -> bool,
) -> Grouping {
    // Rows sorted by the top half of their key's hash, then by row, packed in one `u64`:
    // equal keys sit together, in input order. This costs 8 bytes a row, reserved once (a
    // `(hash, row)` pair is 16 with its padding, and a `Vec` grown by doubling held 1.5 times
    // its final size while it grew: 200 MiB of a 5 M-event load's peak); a map of the keys
    // themselves peaked near 150 bytes a row (millions of events in a browser worker's 4 GiB).
    // Keys are event IDs chosen by whoever wrote the export: a randomly seeded hasher (see
    // `store::Interner`), and rows of an equal hash half (a few thousand pairs among millions
    // of distinct keys, and whatever an adversary cannot aim at) are split by their keys
    // themselves, sorted (so colliding IDs cost a sort, never a quadratic search).
    debug_assert!(u32::try_from(n).is_ok(), "rows are numbered in 32 bits");
    let hasher = foldhash::quality::RandomState::default();
    let high_half = |k: K| hasher.hash_one(&k) >> 32 << 32;
    let mut rows: Vec<u64> = Vec::with_capacity(n);
    rows.extend((0..n).filter_map(|i| key(i).map(|k| high_half(k) | i as u64)));
    rows.sort_unstable();
    let mut out = Grouping {
        keep: vec![true; n],
        ..Grouping::default()
    };
    let row = |packed: u64| packed as u32;
    for run in rows
        .chunk_by(|a, b| a >> 32 == b >> 32)
        .filter(|run| run.len() > 1)
    {
        let mut keyed: Vec<(K, u32)> = run
            .iter()
            .filter_map(|&packed| key(row(packed) as usize).map(|k| (k, row(packed))))
            .collect();
        keyed.sort();
        for one_key in keyed.chunk_by(|a, b| a.0 == b.0) {
            versions(one_key.iter().map(|&(_, i)| i), &same, &mut out);
        }
    }
    // As a walk over the rows in input order would have found them.
    out.copies.sort_unstable_by_key(|&(_, dropped)| dropped);
    out.conflicts.sort();
    out
}

/// The rows of one key, in input order: the first of each distinct version is kept, later
/// rows that agree with a kept one are its copies.
fn versions(
    mut rows: impl Iterator<Item = u32>,
    same: &impl Fn(usize, usize) -> bool,
    out: &mut Grouping,
) {
    let Some(first) = rows.next() else { return };
    let mut kept = vec![first];
    for i in rows {
        match kept.iter().find(|&&r| same(r as usize, i as usize)) {
            Some(&r) => {
                out.keep[i as usize] = false;
                out.copies.push((r, i));
            }
            None => kept.push(i),
        }
    }
    if kept.len() > 1 {
        out.conflicts.push(kept);
    }
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

    /// The plain walk over rows in input order with a map of keys: what `group` must equal.
    fn reference<K: Hash + Eq>(
        n: usize,
        key: impl Fn(usize) -> Option<K>,
        same: impl Fn(usize, usize) -> bool,
    ) -> Grouping {
        let mut first: HashMap<K, u32> = HashMap::new();
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
        out.conflicts = versions.into_values().filter(|v| v.len() > 1).collect();
        out.conflicts.sort();
        out
    }

    /// A key whose hash is always the same: every row lands in one run of equal hashes.
    #[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy, Debug)]
    struct Colliding(u8);
    impl Hash for Colliding {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            0u8.hash(state);
        }
    }

    #[test]
    fn grouping_equals_the_walk_in_input_order() {
        // Pseudo-random keys (some absent) and contents, from few to many distinct values.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for (n, distinct_keys, distinct_contents) in [
            (0, 1, 1),
            (1, 1, 1),
            (50, 3, 2),
            (500, 40, 3),
            (2_000, 700, 2),
            (300, 1, 5),
        ] {
            let keys: Vec<Option<u8>> = (0..n)
                .map(|_| (next(10) > 0).then(|| next(distinct_keys) as u8))
                .collect();
            let content: Vec<u64> = (0..n).map(|_| next(distinct_contents)).collect();
            let same = |a: usize, b: usize| content[a] == content[b];
            let want = reference(n, |i| keys[i], same);
            for got in [
                group(n, |i| keys[i], same),
                group(n, |i| keys[i].map(Colliding), same),
            ] {
                assert_eq!(got.keep, want.keep, "{n} rows");
                assert_eq!(got.copies, want.copies, "{n} rows");
                assert_eq!(got.conflicts, want.conflicts, "{n} rows");
            }
        }
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
