//! Event identities, so that runs over disjoint shares of the inputs (shards of a sharded
//! verification, `docs/scale.md`) can be merged into what one run over all of them gives:
//! the same identical copies dropped, the same conflicting versions marked, the same
//! per-event integrity and so the same coverage block and conflict notes.
//!
//! A shard's run writes, for every row it loaded (before its own deduplication, in its
//! input order), exactly what [`crate::dedup`] looks at: the event-ID key, the normalized
//! fields two copies must share (hashed), the record layout and record hash. [`merge`] puts
//! the rows of every shard back into the whole run's input order (each file's position among
//! all inputs, `seq`, given by the host) and groups them with the same function as
//! [`StoreBuilder::finish`], so the result does not depend on how the files were sharded.
//!
//! Encoding of one row (little endian): ID kind `u8` (the store's ID column kinds; 0 = no
//! ID), provider `u8`, then, for a row with an ID: the ID (`u128` for the compact kinds;
//! `u32` length and UTF-8 bytes for any other), event time `i64` (ms), core hash `u64`,
//! layout `u32`, record hash `u64`. Rows of one file are consecutive; the file table says
//! how many each file has.

use std::hash::BuildHasher;

use trailproof_core::report::{Coverage, Integrity, Report};

use super::{
    integrity_code, integrity_of_code, Field, IdColumn, StoreBuilder, F_ERROR, ID_NONE, ID_OTHER,
    ID_UUID_LOWER, ID_UUID_UPPER,
};
use crate::dedup::{self, LAYOUT_UNKNOWN};
use crate::model::Provider;

/// One file of a run's [`Identities`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityFile {
    /// The file's path, as the run named it.
    pub path: String,
    /// How many rows (events, copies included) it holds.
    pub rows: u64,
}

/// Every event a run loaded, as [`merge`] needs it (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identities {
    /// The files holding events, in the run's input order.
    pub files: Vec<IdentityFile>,
    /// The encoded rows, file after file.
    pub rows: Vec<u8>,
}

/// The hasher of the normalized fields two copies of an event share: fixed, so that every
/// shard hashes alike. Not collision-resistant against a forger, as [`dedup::record_hash`]
/// is not (and for the same reason: two records taken for copies keep the better-verified
/// one's state, never a forged record's bytes).
const CORE_HASH: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x636f_7265_6964_7331);

impl StoreBuilder {
    /// The identities of every row added so far (see the module documentation).
    pub fn identities(&self) -> Identities {
        let s = &self.s;
        let mut out = Identities::default();
        let mut row = 0;
        // Rows of one file are consecutive (files are added one after another).
        while row < s.len {
            let file = s.raw_file.get(row);
            let start = row;
            while row < s.len && s.raw_file.get(row) == file {
                let kind = s.event_id.kind[row];
                out.rows.push(kind);
                out.rows.push(s.provider[row]);
                if kind != ID_NONE {
                    let v = s.event_id.value[row];
                    if kind == ID_OTHER {
                        let id = s.event_id.get(row);
                        out.rows.extend_from_slice(&(id.len() as u32).to_le_bytes());
                        out.rows.extend_from_slice(id.as_bytes());
                    } else {
                        out.rows.extend_from_slice(&v.to_le_bytes());
                    }
                    let core = CORE_HASH.hash_one((
                        s.col(Field::Service).get(row),
                        s.col(Field::Action).get(row),
                        s.col(Field::ErrorCode).get(row),
                        s.flags[row] & F_ERROR,
                    ));
                    out.rows.extend_from_slice(&s.time[row].to_le_bytes());
                    out.rows.extend_from_slice(&core.to_le_bytes());
                    out.rows.extend_from_slice(
                        &self.layout.get(row).copied().unwrap_or(0).to_le_bytes(),
                    );
                    out.rows.extend_from_slice(
                        &self.record.get(row).copied().unwrap_or(0).to_le_bytes(),
                    );
                }
                row += 1;
            }
            out.files.push(IdentityFile {
                path: s.files.get(file as usize).cloned().unwrap_or_default(),
                rows: (row - start) as u64,
            });
        }
        out
    }
}

/// Why identities cannot be merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityError {
    /// The rows of run `run` end early or hold an unknown ID kind.
    Malformed {
        /// Position (0-based) of the run.
        run: usize,
    },
}

impl std::fmt::Display for IdentityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentityError::Malformed { run } => {
                write!(f, "report {}: its event identities are malformed", run + 1)
            }
        }
    }
}

impl std::error::Error for IdentityError {}

/// One run's identities with each file's position among all inputs (`seq`, in the whole
/// run's input order; same length as `identities.files`).
pub struct Run<'a> {
    /// The run's identities.
    pub identities: &'a Identities,
    /// Per file of `identities.files`: its position in the whole run's input order.
    pub seq: &'a [u64],
}

/// A decoded row.
struct Row<'a> {
    /// (file's seq, run, row within the run): the whole run's input order.
    order: (u64, usize, usize),
    path: &'a str,
    kind: u8,
    provider: u8,
    value: u128,
    other: &'a str,
    time: i64,
    core: u64,
    layout: u32,
    record: u64,
}

fn decode<'a>(
    run_index: usize,
    run: &Run<'a>,
    out: &mut Vec<Row<'a>>,
) -> Result<(), IdentityError> {
    let bad = || IdentityError::Malformed { run: run_index };
    let bytes = run.identities.rows.as_slice();
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&'a [u8], IdentityError> {
        let s = bytes.get(at..at + n).ok_or_else(bad)?;
        at += n;
        Ok(s)
    };
    let mut n = 0;
    for (f, file) in run.identities.files.iter().enumerate() {
        let seq = *run.seq.get(f).ok_or_else(bad)?;
        for _ in 0..file.rows {
            let head = take(2)?;
            let (kind, provider) = (head[0], head[1]);
            let mut row = Row {
                order: (seq, run_index, n),
                path: &file.path,
                kind,
                provider,
                value: 0,
                other: "",
                time: 0,
                core: 0,
                layout: 0,
                record: 0,
            };
            n += 1;
            if kind != ID_NONE {
                if kind == ID_OTHER {
                    let len = u32::from_le_bytes(take(4)?.try_into().map_err(|_| bad())?);
                    row.other = std::str::from_utf8(take(len as usize)?).map_err(|_| bad())?;
                } else if kind < ID_OTHER {
                    row.value = u128::from_le_bytes(take(16)?.try_into().map_err(|_| bad())?);
                } else {
                    return Err(bad());
                }
                row.time = i64::from_le_bytes(take(8)?.try_into().map_err(|_| bad())?);
                row.core = u64::from_le_bytes(take(8)?.try_into().map_err(|_| bad())?);
                row.layout = u32::from_le_bytes(take(4)?.try_into().map_err(|_| bad())?);
                row.record = u64::from_le_bytes(take(8)?.try_into().map_err(|_| bad())?);
            }
            out.push(row);
        }
    }
    if at != bytes.len() {
        return Err(bad());
    }
    Ok(())
}

/// The event-level result of one run over every shard's files: the coverage block and the
/// conflict notes, from the shards' identities and the merged report (which says each
/// file's integrity, [`Report::integrity_of`]). Any conflict note the shards' own runs wrote
/// must be removed first ([`dedup::strip_conflict_notes`]); this adds those of the whole run.
pub fn merge(runs: &[Run<'_>], report: &mut Report) -> Result<Coverage, IdentityError> {
    let mut rows = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        decode(i, run, &mut rows)?;
    }
    rows.sort_by_key(|r| r.order);
    #[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
    enum Key<'a> {
        Compact(u8, bool, u128, i64),
        Other(u8, &'a str, i64),
    }
    let key = |i: usize| {
        let r = &rows[i];
        let t = if dedup::id_unique_alone(Provider::from_u8(r.provider)) {
            0
        } else {
            r.time
        };
        match r.kind {
            ID_NONE => None,
            ID_OTHER => Some(Key::Other(r.provider, r.other, t)),
            k => Some(Key::Compact(
                r.provider,
                k == ID_UUID_UPPER || k == ID_UUID_LOWER,
                r.value,
                t,
            )),
        }
    };
    // As `StoreBuilder::finish`: the core fields agree, and so do the bytes when the two
    // records are laid out alike.
    let same = |a: usize, b: usize| {
        let (a, b) = (&rows[a], &rows[b]);
        let bytes_comparable = a.layout == b.layout && a.layout != LAYOUT_UNKNOWN;
        (a.time, a.core) == (b.time, b.core) && (!bytes_comparable || a.record == b.record)
    };
    let grouping = dedup::group(rows.len(), key, same);
    // One pass over the items (as `EventStore::apply_report`), not one per file.
    let index: std::collections::HashMap<&str, Integrity> = report
        .integrity_by_path()
        .into_iter()
        .map(|(p, (i, _))| (p, i))
        .collect();
    let state = |path: &str| index.get(path).copied().unwrap_or(Integrity::Unprotected);
    // As `EventStore::apply_integrity`: a kept row takes the first verified copy's file
    // when its own is not verified; conflicting versions stay verified or become failed.
    let mut file: Vec<usize> = (0..rows.len()).collect();
    let mut code: Vec<u8> = rows.iter().map(|r| integrity_code(state(r.path))).collect();
    for &(kept, copy) in &grouping.copies {
        let (kept, copy) = (kept as usize, copy as usize);
        if integrity_of_code(code[kept]) != Integrity::Verified
            && state(rows[copy].path) == Integrity::Verified
        {
            file[kept] = copy;
            code[kept] = integrity_code(Integrity::Verified);
        }
    }
    for group in &grouping.conflicts {
        for &r in group {
            let c = &mut code[r as usize];
            if integrity_of_code(*c) != Integrity::Verified {
                *c = integrity_code(Integrity::Failed);
            }
        }
    }
    let mut n = [0u64; 4];
    for (i, c) in code.iter().enumerate() {
        if grouping.keep[i] {
            n[(c & 3) as usize] += 1;
        }
    }
    let mut coverage = Coverage::default();
    for (c, &k) in n.iter().enumerate() {
        coverage.add(integrity_of_code(c as u8), k);
    }
    drop(index);
    let groups: Vec<dedup::ConflictGroup<'_>> = grouping
        .conflicts
        .iter()
        .filter_map(|g| {
            let first = &rows[*g.first()? as usize];
            let id = IdColumn::text_of(first.kind, first.value, first.other);
            Some(dedup::ConflictGroup {
                id,
                rows: g
                    .iter()
                    .map(|&r| {
                        let r = r as usize;
                        (rows[file[r]].path, integrity_of_code(code[r]))
                    })
                    .collect(),
            })
        })
        .collect();
    dedup::attach_conflict_notes(&groups, report);
    Ok(coverage)
}
