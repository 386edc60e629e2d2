//! The columnar event store: one column per field, strings interned per column.
//!
//! Rows are sorted by time when the store is built, so a time range is a binary search. Text
//! columns hold small integer codes into a per-column dictionary; the code width grows from
//! one byte to two or four only when the dictionary outgrows it. A predicate on a text column
//! is evaluated once per *distinct value* (into a match table), then once per row as a table
//! lookup; results are bitsets ([`Selection`]) combined with bitwise AND/OR/NOT, and each term
//! is evaluated only over the rows its AND/OR/NOT context leaves in question.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::sync::OnceLock;

use trailproof_core::report::{Coverage, Integrity, Proof};

use crate::dedup::{self, LAYOUT_UNKNOWN};

mod count;
mod identity;
mod wire;
use crate::model::{Actor, Event, Outcome, Provider, RawRef};
pub use crate::selection::Selection;
pub use identity::{merge as merge_identities, Identities, IdentityError, IdentityFile, Run};
pub use wire::WireError;

// ---------------------------------------------------------------------------------------------
// Building blocks.

/// Passes a precomputed 64-bit hash through unchanged.
#[derive(Default)]
struct IdHasher(u64);
impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A string dictionary: each distinct string stored once in one arena.
#[derive(Default, Clone)]
struct Interner {
    arena: String,
    spans: Vec<(u32, u32)>,
    /// Hash → most recent id with that hash; collisions chain through `next`.
    index: HashMap<u64, u32, BuildHasherDefault<IdHasher>>,
    next: Vec<u32>,
    /// Hashes the strings. Their values are chosen by whoever wrote the export, so the seed
    /// is random per dictionary (foldhash: per process and instance natively), and nobody can
    /// precompute strings that pile up in one chain or one table group. Ids are given in
    /// order of first appearance, so the seed never changes a result.
    state: foldhash::quality::RandomState,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        let h = self.state.hash_one(s);
        if let Some(&head) = self.index.get(&h) {
            let mut id = head;
            loop {
                if self.holds(id, s) {
                    return id;
                }
                let n = self.next[id as usize];
                if n == u32::MAX {
                    break;
                }
                id = n;
            }
        }
        let id = self.spans.len() as u32;
        self.spans.push((self.arena.len() as u32, s.len() as u32));
        self.arena.push_str(s);
        let prev = self.index.insert(h, id);
        self.next.push(prev.unwrap_or(u32::MAX));
        id
    }

    fn get(&self, id: u32) -> &str {
        &self.arena[self.span(id)]
    }

    /// Where string `id` is in the arena.
    fn span(&self, id: u32) -> std::ops::Range<usize> {
        let (start, len) = self.spans[id as usize];
        start as usize..(start + len) as usize
    }

    /// Whether string `id` is `s`: compared as bytes ([`trailproof_core::bytes::eq`]: not
    /// the byte-at-a-time `memcmp` of wasm), without slicing the arena as `str` (which checks
    /// both ends for a character boundary), since it runs for most strings of every row pushed.
    fn holds(&self, id: u32, s: &str) -> bool {
        trailproof_core::bytes::eq(&self.arena.as_bytes()[self.span(id)], s.as_bytes())
    }

    fn find(&self, s: &str) -> Option<u32> {
        let mut id = *self.index.get(&self.state.hash_one(s))?;
        loop {
            if self.holds(id, s) {
                return Some(id);
            }
            id = self.next[id as usize];
            if id == u32::MAX {
                return None;
            }
        }
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    /// Interns every string of `other`, in its id order; returns the id here of each.
    fn translate(&mut self, other: &Interner) -> Vec<u32> {
        (0..other.len() as u32)
            .map(|id| self.intern(other.get(id)))
            .collect()
    }

    fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.spans.capacity() * 8
            + self.next.capacity() * 4
            + self.index.capacity() * 16
    }
}

/// Integer codes stored at the narrowest width that holds them (and sent between workers at
/// that width: `store/wire.rs`).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
enum Codes {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Default for Codes {
    fn default() -> Self {
        Codes::U8(Vec::new())
    }
}

impl Codes {
    fn push(&mut self, v: u32) {
        // Widening keeps the capacity: a column reserved for its rows stays reserved.
        match self {
            Codes::U8(c) if v <= u8::MAX as u32 => c.push(v as u8),
            Codes::U8(c) => {
                let mut wide = Vec::with_capacity(c.capacity());
                wide.extend(c.iter().map(|&x| x as u16));
                *self = Codes::U16(wide);
                self.push(v);
            }
            Codes::U16(c) if v <= u16::MAX as u32 => c.push(v as u16),
            Codes::U16(c) => {
                let mut wide = Vec::with_capacity(c.capacity());
                wide.extend(c.iter().map(|&x| x as u32));
                *self = Codes::U32(wide);
                self.push(v);
            }
            Codes::U32(c) => c.push(v),
        }
    }
    /// Room for `n` more codes at the current width, exactly.
    fn reserve_exact(&mut self, n: usize) {
        match self {
            Codes::U8(c) => c.reserve_exact(n),
            Codes::U16(c) => c.reserve_exact(n),
            Codes::U32(c) => c.reserve_exact(n),
        }
    }
    /// Replaces the code at `i`, widening the column when `v` needs it.
    fn set(&mut self, i: usize, v: u32) {
        match self {
            Codes::U8(c) if v <= u8::MAX as u32 => c[i] = v as u8,
            Codes::U8(c) => {
                *self = Codes::U16(c.iter().map(|&x| x as u16).collect());
                self.set(i, v);
            }
            Codes::U16(c) if v <= u16::MAX as u32 => c[i] = v as u16,
            Codes::U16(c) => {
                *self = Codes::U32(c.iter().map(|&x| x as u32).collect());
                self.set(i, v);
            }
            Codes::U32(c) => c[i] = v,
        }
    }
    #[inline]
    fn get(&self, i: usize) -> u32 {
        match self {
            Codes::U8(c) => c[i] as u32,
            Codes::U16(c) => c[i] as u32,
            Codes::U32(c) => c[i],
        }
    }
    fn len(&self) -> usize {
        match self {
            Codes::U8(c) => c.len(),
            Codes::U16(c) => c.len(),
            Codes::U32(c) => c.len(),
        }
    }
    fn bytes(&self) -> usize {
        match self {
            Codes::U8(c) => c.capacity(),
            Codes::U16(c) => c.capacity() * 2,
            Codes::U32(c) => c.capacity() * 4,
        }
    }
    fn gather(&self, order: &[u32]) -> Codes {
        match self {
            Codes::U8(c) => Codes::U8(order.iter().map(|&i| c[i as usize]).collect()),
            Codes::U16(c) => Codes::U16(order.iter().map(|&i| c[i as usize]).collect()),
            Codes::U32(c) => Codes::U32(order.iter().map(|&i| c[i as usize]).collect()),
        }
    }
    /// Sets bit `row` in `out` for each row of `within` whose code is marked in `table`.
    fn mark(&self, table: &[bool], within: &Selection, out: &mut Selection) {
        match self {
            Codes::U8(c) => mark_codes(c, table, within, out),
            Codes::U16(c) => mark_codes(c, table, within, out),
            Codes::U32(c) => mark_codes(c, table, within, out),
        }
    }
}

/// Words of `within` with fewer rows than this are evaluated row by row, the others whole.
const SPARSE_WORD: u32 = 8;

/// Sets bit `row` in `out` for each row of `within` whose code in `codes` is marked in `table`
/// (monomorphised per code width). A word of `within` with many rows is evaluated whole, a
/// branch-free loop of table lookups over its 64 rows, then masked; a word with few rows only
/// at those rows, so that a condition after a selective one costs little.
fn mark_codes<T: Copy + Into<u32>>(
    codes: &[T],
    table: &[bool],
    within: &Selection,
    out: &mut Selection,
) {
    let hit = |c: T| table.get(c.into() as usize).copied().unwrap_or(false);
    for (w, (&m, o)) in within.words.iter().zip(out.words.iter_mut()).enumerate() {
        if m == 0 {
            continue;
        }
        let base = w * 64;
        let Some(chunk) = codes.get(base..(base + 64).min(codes.len())) else {
            continue;
        };
        let word = if m.count_ones() < SPARSE_WORD {
            let (mut bits, mut word) = (m, 0u64);
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                word |= (chunk.get(b).is_some_and(|&c| hit(c)) as u64) << b;
            }
            word
        } else if let Ok(chunk) = <&[T; 64]>::try_from(chunk) {
            // A whole word: a fixed-length loop the compiler unrolls.
            let mut word = 0u64;
            for (b, &c) in chunk.iter().enumerate() {
                word |= (hit(c) as u64) << b;
            }
            word & m
        } else {
            let mut word = 0u64;
            for (b, &c) in chunk.iter().enumerate() {
                word |= (hit(c) as u64) << b;
            }
            word & m
        };
        *o |= word;
    }
}

/// A match table over one-byte codes: entry `b` is `f(b)`.
fn byte_table(f: impl Fn(u8) -> bool) -> Vec<bool> {
    (0..=u8::MAX).map(f).collect()
}

#[derive(Default, Clone)]
struct DictColumn {
    dict: Interner,
    codes: Codes,
}

impl DictColumn {
    fn push(&mut self, s: &str) {
        // Consecutive records of a file mostly repeat their account, region, service, actor
        // and user agent: comparing with the previous row's string is cheaper than hashing.
        if let Some(last) = self.codes.len().checked_sub(1).map(|i| self.codes.get(i)) {
            if self.dict.holds(last, s) {
                self.codes.push(last);
                return;
            }
        }
        let id = self.dict.intern(s);
        self.codes.push(id);
    }
    fn get(&self, row: usize) -> &str {
        self.dict.get(self.codes.get(row))
    }
}

/// Event IDs: most are UUIDs or 32-digit hex, stored as 128-bit numbers; others go to an arena.
#[derive(Default, Clone)]
struct IdColumn {
    kind: Vec<u8>,
    value: Vec<u128>,
    arena: String,
}

const ID_NONE: u8 = 0;
const ID_UUID_LOWER: u8 = 1;
const ID_UUID_UPPER: u8 = 2;
const ID_HEX_LOWER: u8 = 3;
const ID_HEX_UPPER: u8 = 4;
const ID_OTHER: u8 = 5;

/// An event ID as a compact kind and 128-bit value: a UUID (8-4-4-4-12) or 32 hex digits, all
/// lower or all upper case (digits alone count as lower); `None` for anything else. One pass
/// over the bytes, no allocation: it runs once per event.
fn encode_id(s: &str) -> Option<(u8, u128)> {
    /// Where a UUID's dashes are (8-4-4-4-12).
    const DASHES: [usize; 4] = [8, 13, 18, 23];
    /// The hex digits' places in a UUID: every place but [`DASHES`].
    const UUID: [u8; 32] = {
        let (mut at, mut d, mut dash) = ([0u8; 32], 0, 0);
        let mut i = 0;
        while i < 36 {
            if dash < DASHES.len() && DASHES[dash] == i {
                dash += 1;
            } else {
                at[d] = i as u8;
                d += 1;
            }
            i += 1;
        }
        at
    };
    /// Per byte: its value as a hex digit, with [`LOWER`] or [`UPPER`] for a letter;
    /// [`NOT_HEX`] for anything else.
    const NIBBLE: [u8; 256] = {
        let mut t = [NOT_HEX; 256];
        let mut c = 0;
        while c < 10 {
            t[b'0' as usize + c] = c as u8;
            c += 1;
        }
        c = 0;
        while c < 6 {
            t[b'a' as usize + c] = (10 + c as u8) | LOWER;
            t[b'A' as usize + c] = (10 + c as u8) | UPPER;
            c += 1;
        }
        t
    };
    const LOWER: u8 = 0x10;
    const UPPER: u8 = 0x20;
    const NOT_HEX: u8 = 0x40;
    let b = s.as_bytes();
    let dashed = match b.len() {
        36 if DASHES.iter().all(|&i| b[i] == b'-') => true,
        32 => false,
        _ => return None,
    };
    let digit = |d: usize| NIBBLE[b[if dashed { UUID[d] as usize } else { d }] as usize];
    // Two 64-bit halves: wasm has 64-bit but no 128-bit arithmetic, so shifting a `u128` per
    // digit costs several instructions there.
    let (mut hi, mut lo, mut seen) = (0u64, 0u64, 0u8);
    for d in 0..16 {
        let (n, m) = (digit(d), digit(d + 16));
        seen |= n | m;
        hi = (hi << 4) | u64::from(n & 0xf);
        lo = (lo << 4) | u64::from(m & 0xf);
    }
    if seen & NOT_HEX != 0 || seen & (LOWER | UPPER) == LOWER | UPPER {
        return None;
    }
    let upper = seen & UPPER != 0;
    let kind = match (dashed, upper) {
        (true, false) => ID_UUID_LOWER,
        (true, true) => ID_UUID_UPPER,
        (false, false) => ID_HEX_LOWER,
        (false, true) => ID_HEX_UPPER,
    };
    Some((kind, (u128::from(hi) << 64) | u128::from(lo)))
}

impl IdColumn {
    fn push(&mut self, s: &str) {
        if s.is_empty() {
            self.kind.push(ID_NONE);
            self.value.push(0);
        } else if let Some((k, v)) = encode_id(s) {
            self.kind.push(k);
            self.value.push(v);
        } else {
            let start = self.arena.len() as u128;
            self.arena.push_str(s);
            self.kind.push(ID_OTHER);
            self.value.push((start << 32) | s.len() as u128);
        }
    }

    fn get(&self, row: usize) -> String {
        let v = self.value[row];
        match self.kind[row] {
            ID_OTHER => {
                let (start, len) = ((v >> 32) as usize, (v & 0xffff_ffff) as usize);
                self.arena[start..start + len].to_string()
            }
            k => IdColumn::text_of(k, v, ""),
        }
    }

    /// The text of an ID of kind `kind`: `value` for the compact kinds, `other` for
    /// [`ID_OTHER`].
    fn text_of(kind: u8, v: u128, other: &str) -> String {
        match kind {
            ID_NONE => String::new(),
            ID_OTHER => other.to_owned(),
            k => {
                let hex = if k == ID_UUID_UPPER || k == ID_HEX_UPPER {
                    format!("{v:032X}")
                } else {
                    format!("{v:032x}")
                };
                if k == ID_UUID_LOWER || k == ID_UUID_UPPER {
                    format!(
                        "{}-{}-{}-{}-{}",
                        &hex[..8],
                        &hex[8..12],
                        &hex[12..16],
                        &hex[16..20],
                        &hex[20..]
                    )
                } else {
                    hex
                }
            }
        }
    }

    /// The column in `order`, each part freed once gathered.
    fn into_gathered(self, order: &[u32]) -> IdColumn {
        let kind = order.iter().map(|&i| self.kind[i as usize]).collect();
        drop(self.kind);
        // Its capacity counts in the store's bytes per event: none spare, however it grew.
        let mut arena = self.arena;
        arena.shrink_to_fit();
        IdColumn {
            kind,
            value: order.iter().map(|&i| self.value[i as usize]).collect(),
            arena,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Public types.

/// The fields of the store, as the query language and facets name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// Event time.
    Time,
    /// Provider name.
    Provider,
    /// Account, project or subscription.
    Account,
    /// Region or location.
    Region,
    /// Service.
    Service,
    /// Action (event name).
    Action,
    /// Actor display name.
    Actor,
    /// Actor identifier.
    ActorId,
    /// Actor type.
    ActorType,
    /// Source IP address.
    SourceIp,
    /// User agent.
    UserAgent,
    /// Error code (empty on success).
    ErrorCode,
    /// Error message.
    ErrorMessage,
    /// Event ID.
    EventId,
    /// Any resource of the event.
    Resource,
    /// `read`, `write` or empty.
    ReadWrite,
    /// `success` or `error`.
    Outcome,
    /// Root identity (`true`/`false`).
    Root,
    /// Privileged-looking identity (`true`/`false`).
    Admin,
    /// Path of the file the event came from.
    File,
    /// Integrity state (`verified`, `unverified`, `failed`, `unprotected`), known once
    /// [`EventStore::apply_integrity`] ran.
    Integrity,
    /// The auditor's tags on the event (set by the host: [`EventStore::set_labels`]).
    Tag,
    /// Whether the auditor flagged (starred) the event (`true`/`false`; set by the host:
    /// [`EventStore::set_labels`]).
    Flagged,
    /// The access key ID the caller signed with (AWS and Alibaba `userIdentity.accessKeyId`).
    AccessKey,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 24] = [
        Field::Time,
        Field::Provider,
        Field::Account,
        Field::Region,
        Field::Service,
        Field::Action,
        Field::Actor,
        Field::ActorId,
        Field::ActorType,
        Field::SourceIp,
        Field::UserAgent,
        Field::ErrorCode,
        Field::ErrorMessage,
        Field::EventId,
        Field::Resource,
        Field::ReadWrite,
        Field::Outcome,
        Field::Root,
        Field::Admin,
        Field::File,
        Field::Integrity,
        Field::Tag,
        Field::Flagged,
        Field::AccessKey,
    ];

    /// The canonical name (`time`, `actor`, `ip`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Field::Time => "time",
            Field::Provider => "provider",
            Field::Account => "account",
            Field::Region => "region",
            Field::Service => "service",
            Field::Action => "action",
            Field::Actor => "actor",
            Field::ActorId => "actor_id",
            Field::ActorType => "actor_type",
            Field::SourceIp => "ip",
            Field::UserAgent => "user_agent",
            Field::ErrorCode => "error",
            Field::ErrorMessage => "error_message",
            Field::EventId => "event_id",
            Field::Resource => "resource",
            Field::ReadWrite => "rw",
            Field::Outcome => "outcome",
            Field::Root => "root",
            Field::Admin => "admin",
            Field::File => "file",
            Field::Integrity => "integrity",
            Field::Tag => "tag",
            Field::Flagged => "flagged",
            Field::AccessKey => "access_key",
        }
    }
}

/// How a text predicate compares values. All comparisons ignore ASCII case; empty values
/// never match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// The whole value equals the text.
    Equals(String),
    /// The value contains the text.
    Contains(String),
    /// The whole value matches a pattern where `*` stands for any run of characters.
    Wildcard(String),
    /// The value is an IP address inside the network.
    Cidr(IpAddr, u8),
}

/// One condition on one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Predicate {
    /// Time in `[from, to)`, epoch milliseconds; an open end is `None`.
    TimeRange {
        /// Inclusive lower bound.
        from: Option<i64>,
        /// Exclusive upper bound.
        to: Option<i64>,
    },
    /// A text field compared with [`Match`].
    Text(Field, Match),
    /// The read-only flag equals the value (rows with an unknown flag never match).
    ReadOnly(bool),
    /// The event failed (`true`) or succeeded (`false`).
    Failed(bool),
    /// Any of several fields matches (free-text search).
    AnyOf(Vec<Field>, Match),
}

/// A boolean combination of predicates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Every row.
    All,
    /// A single predicate.
    Pred(Predicate),
    /// All of these.
    And(Vec<Filter>),
    /// Any of these.
    Or(Vec<Filter>),
    /// Not this.
    Not(Box<Filter>),
}

/// One facet value and how many selected rows have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacetValue {
    /// The value (`"(empty)"` is never produced; empty values are left out).
    pub value: String,
    /// Selected rows with it.
    pub count: u64,
}

/// Measured memory use of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryUse {
    /// Events stored.
    pub events: usize,
    /// Bytes of per-row columns (codes, times, flags, IDs, raw references, resource lists).
    pub column_bytes: usize,
    /// Bytes of the interned dictionaries and the event-ID overflow arena.
    pub dictionary_bytes: usize,
    /// Bytes of the facet-counting bitsets built so far (see
    /// [`EventStore::facet_counts_many`]; not counted in [`EventStore::bytes_per_event`]).
    pub index_bytes: usize,
}

const F_ROOT: u8 = 1;
const F_ADMIN: u8 = 2;
const F_RO_KNOWN: u8 = 4;
const F_RO: u8 = 8;
const F_ERROR: u8 = 16;

#[derive(Clone, Copy)]
enum Wide {
    U32,
    U64,
}

/// Events, column-wise. Build it with [`crate::ingest::Ingest`] (or [`StoreBuilder`]).
#[derive(Clone, Default)]
pub struct EventStore {
    len: usize,
    time: Vec<i64>,
    provider: Vec<u8>,
    flags: Vec<u8>,
    /// The text columns, one per field of [`DICT`], in its order.
    dicts: [DictColumn; DICTS],
    event_id: IdColumn,
    /// Resource list of row r: `res_codes[res_start[r]..res_start[r + 1]]`.
    res_start: Vec<u32>,
    res_codes: Codes,
    res_dict: Interner,
    raw_file: Codes,
    raw_offset32: Vec<u32>,
    raw_offset64: Vec<u64>,
    raw_len: Codes,
    files: Vec<String>,
    duplicates: u64,
    /// Per row: the [`Integrity`] code (low two bits) and [`CONFLICT`].
    integrity: Vec<u8>,
    /// Per file: its integrity and what proved it (all unprotected until applied).
    file_state: Vec<(Integrity, Option<Proof>)>,
    /// Per file: identical copies of earlier events dropped from it.
    file_duplicates: Vec<u32>,
    /// Per file: rows that are one of several conflicting versions of an event.
    file_conflicts: Vec<u32>,
    /// `(kept row, where a dropped identical copy of it is)`: the copy may be in a better
    /// verified file.
    copies: Vec<(u32, RawRef)>,
    /// Rows that are conflicting versions of one event, one set per event.
    conflicts: Vec<Vec<u32>>,
    /// The auditor's labels by row, set by the host from its workpaper. Sparse: an auditor
    /// marks a handful of events among millions.
    labels: BTreeMap<u32, Label>,
    /// Per counted column (`EventStore::counted`'s slots): its per-code bitsets for facet
    /// counting, built by the first [`EventStore::facet_counts_many`] that counts it (`None`
    /// inside: too many distinct codes).
    bitsets: [OnceLock<Option<count::Bitsets>>; SLOTS],
}

/// The fields kept as dictionary columns ([`EventStore::dicts`]), in the order of the columns,
/// of their facet-counting slots and of a part's wire form.
const DICT: [Field; DICTS] = [
    Field::Account,
    Field::Region,
    Field::Service,
    Field::Action,
    Field::Actor,
    Field::ActorId,
    Field::ActorType,
    Field::SourceIp,
    Field::UserAgent,
    Field::ErrorCode,
    Field::ErrorMessage,
    Field::AccessKey,
];
const DICTS: usize = 12;

/// The dictionary column of `field` in [`DICT`], if it has one.
fn dict_slot(field: Field) -> Option<usize> {
    DICT.iter().position(|&f| f == field)
}

/// Columns counted by code: the dictionary columns, provider, file, flags and integrity.
const SLOTS: usize = DICTS + 4;

/// What an auditor attached to one event in a host's workpaper, as the query language sees
/// it (`flagged:true`, `tag:…`). The store only holds it; the host decides which row it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Label {
    /// Starred.
    pub flagged: bool,
    /// Free tags.
    pub tags: Vec<String>,
}

/// Row flag: one of several conflicting versions of an event.
const CONFLICT: u8 = 0x80;

fn integrity_code(i: Integrity) -> u8 {
    match i {
        Integrity::Unprotected => 0,
        Integrity::Unverified => 1,
        Integrity::Failed => 2,
        Integrity::Verified => 3,
    }
}

fn integrity_of_code(c: u8) -> Integrity {
    match c & 3 {
        0 => Integrity::Unprotected,
        1 => Integrity::Unverified,
        2 => Integrity::Failed,
        _ => Integrity::Verified,
    }
}

/// Accumulates events, then sorts and compacts them into an [`EventStore`].
#[derive(Default)]
pub struct StoreBuilder {
    s: EventStore,
    wide: Option<Wide>,
    /// Per row: how its record was laid out ([`dedup`] layout codes).
    layout: Vec<u32>,
    /// Per row: [`dedup::record_hash`] of its record (0 when unknown).
    record: Vec<u64>,
}

impl StoreBuilder {
    /// An empty builder.
    pub fn new() -> StoreBuilder {
        StoreBuilder::default()
    }

    /// Registers a file path; returns the index events refer to in [`RawRef::file`].
    pub fn add_file(&mut self, path: &str) -> u32 {
        self.s.files.push(path.to_string());
        (self.s.files.len() - 1) as u32
    }

    /// Number of events added so far.
    pub fn len(&self) -> usize {
        self.s.len
    }

    /// Whether no event was added.
    pub fn is_empty(&self) -> bool {
        self.s.len == 0
    }

    /// Adds one event. Without its record bytes, a repeat of it is judged by its normalized
    /// fields only (see [`crate::dedup`]).
    pub fn push<S: AsRef<str>>(&mut self, e: &Event<S>) {
        self.push_record(e, LAYOUT_UNKNOWN, 0);
    }

    /// Adds one event with its record's layout code and [`dedup::record_hash`]. Only the
    /// texts are read (into the dictionaries), so a decoder's [`crate::model::BorrowedEvent`]
    /// is pushed as it is.
    pub(crate) fn push_record<S: AsRef<str>>(&mut self, e: &Event<S>, layout: u32, record: u64) {
        self.layout.push(layout);
        self.record.push(record);
        let s = &mut self.s;
        s.time.push(e.time_ms);
        s.provider.push(e.provider as u8);
        let mut f = 0;
        if e.actor.root {
            f |= F_ROOT;
        }
        if e.actor.admin {
            f |= F_ADMIN;
        }
        match e.read_only {
            Some(true) => f |= F_RO_KNOWN | F_RO,
            Some(false) => f |= F_RO_KNOWN,
            None => {}
        }
        let (code, message) = match &e.outcome {
            Outcome::Success => ("", ""),
            Outcome::Error { code, message } => {
                f |= F_ERROR;
                (code.as_ref(), message.as_ref())
            }
        };
        s.flags.push(f);
        let texts: [&str; DICTS] = [
            e.account.as_ref(),
            e.region.as_ref(),
            e.service.as_ref(),
            e.action.as_ref(),
            e.actor.name.as_ref(),
            e.actor.id.as_ref(),
            e.actor.kind.as_ref(),
            e.source_ip.as_ref(),
            e.user_agent.as_ref(),
            code,
            message,
            e.actor.access_key.as_ref(),
        ];
        for (column, text) in s.dicts.iter_mut().zip(texts) {
            column.push(text);
        }
        s.event_id.push(e.event_id.as_ref());
        if s.res_start.is_empty() {
            s.res_start.push(0);
        }
        for r in &e.resources {
            let id = s.res_dict.intern(r.as_ref());
            s.res_codes.push(id);
        }
        s.res_start.push(s.res_codes.len() as u32);
        s.raw_file.push(e.raw.file);
        // Offsets stay 32-bit until a file passes 4 GiB of decoded data.
        match self.wide {
            Some(Wide::U64) => s.raw_offset64.push(e.raw.offset),
            _ if e.raw.offset > u32::MAX as u64 => {
                s.raw_offset64 = s.raw_offset32.iter().map(|&o| o as u64).collect();
                s.raw_offset32 = Vec::new();
                s.raw_offset64.push(e.raw.offset);
                self.wide = Some(Wide::U64);
            }
            _ => {
                s.raw_offset32.push(e.raw.offset as u32);
                self.wide = Some(Wide::U32);
            }
        }
        s.raw_len.push(e.raw.len);
        s.len += 1;
    }

    /// Appends everything `other` holds after what this builder holds, as if its events had
    /// been pushed here in order (its files come after these files). The result is the same
    /// builder, code for code, as one that had been given every event itself: dictionary
    /// codes are given in order of first appearance, and `other`'s dictionaries list their
    /// strings in that order, so each is translated once per distinct string.
    pub fn append(&mut self, other: StoreBuilder) {
        // Appending to a builder that holds nothing gives `other` code for code (its codes
        // already count from zero in order of first appearance), so it is taken as it is: a
        // host that loads one input as one part (the browser's single-run load) would
        // otherwise copy every column and translate every dictionary for nothing.
        if self.s.files.is_empty() && self.s.len == 0 {
            *self = other;
            return;
        }
        let StoreBuilder {
            s: o,
            layout,
            record,
            ..
        } = other;
        let first_file = self.s.files.len() as u32;
        self.layout.extend(layout);
        self.record.extend(record);
        let s = &mut self.s;
        s.files.extend(o.files);
        s.time.extend(&o.time);
        s.provider.extend(&o.provider);
        s.flags.extend(&o.flags);
        for (mine, theirs) in s.dicts.iter_mut().zip(&o.dicts) {
            let map = mine.dict.translate(&theirs.dict);
            for row in 0..theirs.codes.len() {
                mine.codes.push(map[theirs.codes.get(row) as usize]);
            }
        }
        // Event IDs kept in the arena point into it: moved by the arena's current length.
        let base = s.event_id.arena.len() as u128;
        s.event_id.arena.push_str(&o.event_id.arena);
        s.event_id.kind.extend(&o.event_id.kind);
        s.event_id.value.extend(
            o.event_id
                .kind
                .iter()
                .zip(&o.event_id.value)
                .map(|(&k, &v)| if k == ID_OTHER { v + (base << 32) } else { v }),
        );
        if s.res_start.is_empty() && !o.res_start.is_empty() {
            s.res_start.push(0);
        }
        let map = s.res_dict.translate(&o.res_dict);
        for row in 0..o.len {
            let (from, to) = (o.res_start[row], o.res_start[row + 1]);
            for j in from..to {
                s.res_codes.push(map[o.res_codes.get(j as usize) as usize]);
            }
            s.res_start.push(s.res_codes.len() as u32);
        }
        for row in 0..o.len {
            s.raw_file.push(first_file + o.raw_file.get(row));
            let offset = if o.raw_offset64.is_empty() {
                u64::from(o.raw_offset32.get(row).copied().unwrap_or(0))
            } else {
                o.raw_offset64[row]
            };
            match self.wide {
                Some(Wide::U64) => s.raw_offset64.push(offset),
                _ if offset > u32::MAX as u64 => {
                    s.raw_offset64 = s.raw_offset32.iter().map(|&o| o as u64).collect();
                    s.raw_offset32 = Vec::new();
                    s.raw_offset64.push(offset);
                    self.wide = Some(Wide::U64);
                }
                _ => {
                    s.raw_offset32.push(offset as u32);
                    self.wide = Some(Wide::U32);
                }
            }
            s.raw_len.push(o.raw_len.get(row));
        }
        s.len += o.len;
    }

    /// Makes room, exactly, for `rows` more events in every per-row column: a host that can
    /// tell how many events are coming (the browser's engine, from the first runs it joined)
    /// spares the columns' doubling as parts are appended, whose old and new copies were both
    /// held at the largest step (and whose last step can leave up to half of a column unused).
    pub fn reserve(&mut self, rows: usize) {
        self.layout.reserve_exact(rows);
        self.record.reserve_exact(rows);
        let s = &mut self.s;
        s.time.reserve_exact(rows);
        s.provider.reserve_exact(rows);
        s.flags.reserve_exact(rows);
        for d in &mut s.dicts {
            d.codes.reserve_exact(rows);
        }
        s.event_id.kind.reserve_exact(rows);
        s.event_id.value.reserve_exact(rows);
        s.res_start.reserve_exact(rows);
        s.res_codes.reserve_exact(rows);
        s.raw_file.reserve_exact(rows);
        if s.raw_offset64.is_empty() {
            s.raw_offset32.reserve_exact(rows);
        } else {
            s.raw_offset64.reserve_exact(rows);
        }
        s.raw_len.reserve_exact(rows);
    }

    /// Sorts by time (stably, so file order breaks ties) and returns the compacted store.
    ///
    /// When `dedup` is set, repeated events (same provider and event ID; for GCP and generic
    /// events also the same time, as their IDs are unique only per timestamp) are grouped
    /// (see [`crate::dedup`]): identical copies are dropped and counted per file, conflicting
    /// versions are all kept and remembered, so that [`EventStore::apply_integrity`] can mark
    /// the ones verified evidence contradicts.
    pub fn finish(self, dedup: bool) -> EventStore {
        let StoreBuilder {
            s, layout, record, ..
        } = self;
        let mut order: Vec<u32> = (0..s.len as u32).collect();
        order.sort_by_key(|&i| s.time[i as usize]);
        let mut grouping = dedup::Grouping::default();
        let mut duplicates = 0;
        let mut file_duplicates = vec![0u32; s.files.len()];
        let mut file_conflicts = vec![0u32; s.files.len()];
        if dedup {
            #[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
            enum Key {
                // Case variants of one hex ID are one ID.
                Compact(u8, bool, u128, i64),
                Other(u8, String, i64),
            }
            let key = |i: usize| {
                let (k, v) = (s.event_id.kind[i], s.event_id.value[i]);
                let p = s.provider[i];
                let t = if dedup::id_unique_alone(Provider::from_u8(p)) {
                    0
                } else {
                    s.time[i]
                };
                match k {
                    ID_NONE => None,
                    ID_OTHER => Some(Key::Other(p, s.event_id.get(i), t)),
                    _ => Some(Key::Compact(
                        p,
                        k == ID_UUID_UPPER || k == ID_UUID_LOWER,
                        v,
                        t,
                    )),
                }
            };
            let core = |i: usize| {
                (
                    s.time[i],
                    s.col(Field::Service).get(i),
                    s.col(Field::Action).get(i),
                    s.col(Field::ErrorCode).get(i),
                    s.flags[i] & F_ERROR,
                )
            };
            let same = |a: usize, b: usize| {
                let bytes_comparable = layout[a] == layout[b] && layout[a] != LAYOUT_UNKNOWN;
                core(a) == core(b) && (!bytes_comparable || record[a] == record[b])
            };
            grouping = dedup::group(s.len, key, same);
            duplicates = grouping.copies.len() as u64;
            for &(_, dropped) in &grouping.copies {
                if let Some(c) = file_duplicates.get_mut(s.raw_file.get(dropped as usize) as usize)
                {
                    *c += 1;
                }
            }
            for &row in grouping.conflicts.iter().flatten() {
                if let Some(c) = file_conflicts.get_mut(s.raw_file.get(row as usize) as usize) {
                    *c += 1;
                }
            }
            let keep = &grouping.keep;
            order.retain(|&i| keep[i as usize]);
        }
        // Input row → final row, for the copies and conflicts found above.
        let mut final_row = vec![u32::MAX; s.len];
        for (n, &i) in order.iter().enumerate() {
            final_row[i as usize] = n as u32;
        }
        let raw_of = |i: usize| RawRef {
            file: s.raw_file.get(i),
            offset: if s.raw_offset64.is_empty() {
                s.raw_offset32[i] as u64
            } else {
                s.raw_offset64[i]
            },
            len: s.raw_len.get(i),
        };
        let copies: Vec<(u32, RawRef)> = grouping
            .copies
            .iter()
            .map(|&(kept, dropped)| (final_row[kept as usize], raw_of(dropped as usize)))
            .collect();
        let conflicts: Vec<Vec<u32>> = grouping
            .conflicts
            .iter()
            .map(|g| g.iter().map(|&i| final_row[i as usize]).collect())
            .collect();
        drop((final_row, grouping, layout, record));
        // Each column is gathered into store order and its builder version freed at once:
        // the peak is the builder plus one column, not the builder plus a whole store (a
        // browser worker has 4 GiB for everything).
        let mut s = s;
        let g = |c: &mut DictColumn| {
            let c = std::mem::take(c);
            DictColumn {
                codes: c.codes.gather(&order),
                dict: c.dict,
            }
        };
        // (An empty column stays empty: the offset column not in use.)
        fn gather<T: Copy>(order: &[u32], column: Vec<T>) -> Vec<T> {
            if column.is_empty() {
                return Vec::new();
            }
            order.iter().map(|&i| column[i as usize]).collect()
        }
        let mut res_start = Vec::with_capacity(order.len() + 1);
        let mut res_codes = Codes::default();
        res_start.push(0u32);
        for &i in &order {
            let i = i as usize;
            for j in s.res_start[i]..s.res_start[i + 1] {
                res_codes.push(s.res_codes.get(j as usize));
            }
            res_start.push(res_codes.len() as u32);
        }
        drop((
            std::mem::take(&mut s.res_start),
            std::mem::take(&mut s.res_codes),
        ));
        let time = gather(&order, std::mem::take(&mut s.time));
        let provider = gather(&order, std::mem::take(&mut s.provider));
        let flags = gather(&order, std::mem::take(&mut s.flags));
        let dicts = std::array::from_fn(|i| g(&mut s.dicts[i]));
        let event_id = std::mem::take(&mut s.event_id).into_gathered(&order);
        let raw_file = std::mem::take(&mut s.raw_file).gather(&order);
        let raw_offset32 = gather(&order, std::mem::take(&mut s.raw_offset32));
        let raw_offset64 = gather(&order, std::mem::take(&mut s.raw_offset64));
        let raw_len = std::mem::take(&mut s.raw_len).gather(&order);
        let mut out = EventStore {
            len: order.len(),
            time,
            provider,
            flags,
            dicts,
            event_id,
            res_start,
            res_codes,
            res_dict: s.res_dict,
            raw_file,
            raw_offset32,
            raw_offset64,
            raw_len,
            integrity: vec![0; order.len()],
            file_state: vec![(Integrity::Unprotected, None); s.files.len()],
            files: s.files,
            duplicates,
            file_duplicates,
            file_conflicts,
            copies,
            conflicts,
            labels: BTreeMap::new(),
            bitsets: Default::default(),
        };
        if out.len == 0 {
            out.res_start.clear();
        }
        out
    }
}

impl EventStore {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the store holds no event.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Paths of the files events came from, indexed by [`RawRef::file`].
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Events dropped as identical copies of an earlier event (same provider and event ID,
    /// records that agree; see [`crate::dedup`]).
    pub fn duplicates_dropped(&self) -> u64 {
        self.duplicates
    }

    /// Identical copies of earlier events dropped from file `file` (an index into
    /// [`EventStore::files`]).
    pub fn duplicates_in_file(&self, file: u32) -> u64 {
        self.file_duplicates
            .get(file as usize)
            .copied()
            .unwrap_or(0) as u64
    }

    /// Rows from file `file` that are one of several conflicting versions of an event.
    pub fn conflicts_in_file(&self, file: u32) -> u64 {
        self.file_conflicts.get(file as usize).copied().unwrap_or(0) as u64
    }

    /// Conflicting duplicates: per event, the rows of its differing versions (two or more),
    /// in a deterministic order. Every version is kept as a row.
    pub fn conflicts(&self) -> &[Vec<u32>] {
        &self.conflicts
    }

    /// Replaces the auditor's labels (from the host's workpaper) by these `(row, label)`
    /// pairs; pairs for the same row are merged, rows out of range and empty labels ignored.
    pub fn set_labels(&mut self, labels: impl IntoIterator<Item = (usize, Label)>) {
        self.labels.clear();
        for (row, label) in labels {
            if row >= self.len || (!label.flagged && label.tags.is_empty()) {
                continue;
            }
            let Ok(key) = u32::try_from(row) else {
                continue;
            };
            let entry = self.labels.entry(key).or_default();
            entry.flagged |= label.flagged;
            for t in label.tags {
                if !t.is_empty() && !entry.tags.contains(&t) {
                    entry.tags.push(t);
                }
            }
        }
    }

    /// The auditor's label on `row`, if any.
    pub fn label(&self, row: usize) -> Option<&Label> {
        u32::try_from(row).ok().and_then(|r| self.labels.get(&r))
    }

    /// Whether the auditor flagged `row`.
    pub fn flagged(&self, row: usize) -> bool {
        self.label(row).is_some_and(|l| l.flagged)
    }

    /// Rows with a label, ascending.
    pub fn labelled(&self) -> impl Iterator<Item = usize> + '_ {
        self.labels.keys().map(|&r| r as usize)
    }

    /// Sets every event's integrity from the file that holds its record: `of(path)` gives
    /// the file's state and what proved it (normally [`Report::integrity_of`]).
    ///
    /// An event kept once for several identical copies takes the copy in a verified file,
    /// if any (its record bytes are the verified ones). Of conflicting versions of an event,
    /// the verified ones stay verified and every other one is marked failed, because verified
    /// evidence contradicts it; when none is verified all are marked failed, because the
    /// evidence cannot tell the genuine one from the others.
    ///
    /// [`Report::integrity_of`]: trailproof_core::report::Report::integrity_of
    pub fn apply_integrity(&mut self, of: impl Fn(&str) -> (Integrity, Option<Proof>)) {
        // Integrity and raw files change: facet bitsets built from them are stale.
        self.bitsets = Default::default();
        self.file_state = self.files.iter().map(|f| of(f)).collect();
        let state = |file: u32, st: &[(Integrity, Option<Proof>)]| {
            st.get(file as usize)
                .map(|s| s.0)
                .unwrap_or(Integrity::Unprotected)
        };
        for i in 0..self.copies.len() {
            let (row, copy) = self.copies[i];
            let row = row as usize;
            if row >= self.len {
                continue;
            }
            let current = state(self.raw_file.get(row), &self.file_state);
            if current != Integrity::Verified
                && state(copy.file, &self.file_state) == Integrity::Verified
            {
                self.set_raw(row, copy);
            }
        }
        for row in 0..self.len {
            self.integrity[row] = integrity_code(state(self.raw_file.get(row), &self.file_state));
        }
        for group in &self.conflicts {
            let any_verified = group.iter().any(|&r| {
                self.integrity
                    .get(r as usize)
                    .map(|&c| integrity_of_code(c))
                    == Some(Integrity::Verified)
            });
            for &r in group {
                let Some(c) = self.integrity.get_mut(r as usize) else {
                    continue;
                };
                let verified = integrity_of_code(*c) == Integrity::Verified;
                *c = if verified && any_verified {
                    integrity_code(Integrity::Verified)
                } else {
                    integrity_code(Integrity::Failed)
                } | CONFLICT;
            }
        }
    }

    /// [`EventStore::apply_integrity`] with [`Report::integrity_of`].
    ///
    /// [`Report::integrity_of`]: trailproof_core::report::Report::integrity_of
    pub fn apply_report(&mut self, report: &trailproof_core::report::Report) {
        // One pass over the items, not one per file: thousands of files × thousands of
        // items was most of the time `verify` spent after verifying.
        let index = report.integrity_by_path();
        self.apply_integrity(|path| match index.get(path) {
            Some(&(state, proof)) => (state, proof.cloned()),
            None => (Integrity::Unprotected, None),
        });
    }

    fn set_raw(&mut self, row: usize, raw: RawRef) {
        self.raw_file.set(row, raw.file);
        self.raw_len.set(row, raw.len);
        if self.raw_offset64.is_empty() {
            match u32::try_from(raw.offset) {
                Ok(o) => self.raw_offset32[row] = o,
                Err(_) => {
                    self.raw_offset64 = self.raw_offset32.iter().map(|&o| o as u64).collect();
                    self.raw_offset32 = Vec::new();
                    self.raw_offset64[row] = raw.offset;
                }
            }
        } else {
            self.raw_offset64[row] = raw.offset;
        }
    }

    /// The integrity state of `row` (unprotected until [`EventStore::apply_integrity`] ran).
    pub fn integrity(&self, row: usize) -> Integrity {
        integrity_of_code(self.integrity[row])
    }

    /// Whether `row` is one of several conflicting versions of an event.
    pub fn conflicting(&self, row: usize) -> bool {
        self.integrity[row] & CONFLICT != 0
    }

    /// What proved the file holding `row`'s record (for a verified row: the digest and key,
    /// or the checkpoint).
    pub fn proof(&self, row: usize) -> Option<&Proof> {
        self.file_state
            .get(self.raw_file.get(row) as usize)
            .and_then(|s| s.1.as_ref())
    }

    /// The integrity of file `file` and what proved it, as applied.
    pub fn file_integrity(&self, file: u32) -> (Integrity, Option<&Proof>) {
        self.file_state
            .get(file as usize)
            .map(|s| (s.0, s.1.as_ref()))
            .unwrap_or((Integrity::Unprotected, None))
    }

    /// How many events are in each integrity state.
    pub fn coverage(&self) -> Coverage {
        let mut n = [0u64; 4];
        for &c in &self.integrity {
            n[(c & 3) as usize] += 1;
        }
        let mut cov = Coverage::default();
        for (code, &k) in n.iter().enumerate() {
            cov.add(integrity_of_code(code as u8), k);
        }
        cov
    }

    /// Event time of `row`, epoch milliseconds UTC.
    pub fn time_ms(&self, row: usize) -> i64 {
        self.time[row]
    }

    /// Earliest and latest event time.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        Some((*self.time.first()?, *self.time.last()?))
    }

    /// Rows with a time before `t` (epoch ms): rows are time-sorted, so this is where `t`
    /// would be inserted, by binary search.
    pub fn rows_before(&self, t: i64) -> usize {
        self.time.partition_point(|&x| x < t)
    }

    /// Provider of `row`.
    pub fn provider(&self, row: usize) -> Provider {
        Provider::from_u8(self.provider[row])
    }

    /// Read-only flag of `row`.
    pub fn read_only(&self, row: usize) -> Option<bool> {
        let f = self.flags[row];
        (f & F_RO_KNOWN != 0).then_some(f & F_RO != 0)
    }

    /// Whether `row` recorded an error.
    pub fn failed(&self, row: usize) -> bool {
        self.flags[row] & F_ERROR != 0
    }

    fn dict(&self, field: Field) -> Option<&DictColumn> {
        dict_slot(field).map(|i| &self.dicts[i])
    }

    /// The dictionary column of `field`, one of [`DICT`].
    fn col(&self, field: Field) -> &DictColumn {
        &self.dicts[dict_slot(field).expect("a field of DICT")]
    }

    /// The dictionary code of `field` at `row`, for the text fields kept as dictionaries
    /// (`None` for the others): equal codes are equal texts, so rows can be grouped by value
    /// without building a string per row. [`EventStore::text_of_code`] gives the text back.
    pub fn code(&self, row: usize, field: Field) -> Option<u32> {
        self.dict(field).map(|c| c.codes.get(row))
    }

    /// The text of dictionary code `code` of `field` (see [`EventStore::code`]).
    pub fn text_of_code(&self, field: Field, code: u32) -> Option<&str> {
        let c = self.dict(field)?;
        ((code as usize) < c.dict.len()).then(|| c.dict.get(code))
    }

    /// The text of `field` at `row` (joined with `, ` for resources). Empty when absent.
    pub fn text(&self, row: usize, field: Field) -> String {
        if let Some(c) = self.dict(field) {
            return c.get(row).to_string();
        }
        match field {
            Field::Time => crate::time::format_rfc3339(self.time[row]),
            Field::Provider => self.provider(row).as_str().to_string(),
            Field::EventId => self.event_id.get(row),
            Field::Resource => self.resources(row).join(", "),
            Field::ReadWrite => match self.read_only(row) {
                Some(true) => "read".into(),
                Some(false) => "write".into(),
                None => String::new(),
            },
            Field::Outcome => if self.failed(row) { "error" } else { "success" }.into(),
            Field::Root => (self.flags[row] & F_ROOT != 0).to_string(),
            Field::Admin => (self.flags[row] & F_ADMIN != 0).to_string(),
            Field::File => self
                .files
                .get(self.raw_file.get(row) as usize)
                .cloned()
                .unwrap_or_default(),
            Field::Integrity => self.integrity(row).as_str().to_string(),
            Field::Tag => self
                .label(row)
                .map(|l| l.tags.join(", "))
                .unwrap_or_default(),
            Field::Flagged => self.label(row).is_some_and(|l| l.flagged).to_string(),
            _ => String::new(),
        }
    }

    /// Resources of `row`.
    pub fn resources(&self, row: usize) -> Vec<&str> {
        (self.res_start[row]..self.res_start[row + 1])
            .map(|j| self.res_dict.get(self.res_codes.get(j as usize)))
            .collect()
    }

    /// Where the original record of `row` is.
    pub fn raw(&self, row: usize) -> RawRef {
        let offset = if self.raw_offset64.is_empty() {
            self.raw_offset32[row] as u64
        } else {
            self.raw_offset64[row]
        };
        RawRef {
            file: self.raw_file.get(row),
            offset,
            len: self.raw_len.get(row),
        }
    }

    /// The whole event at `row`.
    pub fn event(&self, row: usize) -> Event {
        let f = self.flags[row];
        Event {
            time_ms: self.time[row],
            provider: self.provider(row),
            account: self.col(Field::Account).get(row).into(),
            region: self.col(Field::Region).get(row).into(),
            service: self.col(Field::Service).get(row).into(),
            action: self.col(Field::Action).get(row).into(),
            actor: Actor {
                kind: self.col(Field::ActorType).get(row).into(),
                id: self.col(Field::ActorId).get(row).into(),
                name: self.col(Field::Actor).get(row).into(),
                root: f & F_ROOT != 0,
                admin: f & F_ADMIN != 0,
                access_key: self.col(Field::AccessKey).get(row).into(),
            },
            source_ip: self.col(Field::SourceIp).get(row).into(),
            user_agent: self.col(Field::UserAgent).get(row).into(),
            read_only: self.read_only(row),
            outcome: if f & F_ERROR != 0 {
                Outcome::Error {
                    code: self.col(Field::ErrorCode).get(row).into(),
                    message: self.col(Field::ErrorMessage).get(row).into(),
                }
            } else {
                Outcome::Success
            },
            resources: self.resources(row).into_iter().map(String::from).collect(),
            event_id: self.event_id.get(row),
            raw: self.raw(row),
        }
    }

    /// Memory used, measured from the columns' allocated capacities.
    pub fn memory(&self) -> MemoryUse {
        let dicts = &self.dicts;
        let mut column_bytes = self.time.capacity() * 8
            + self.provider.capacity()
            + self.flags.capacity()
            + self.integrity.capacity();
        column_bytes += dicts.iter().map(|d| d.codes.bytes()).sum::<usize>();
        column_bytes += self.event_id.kind.capacity() + self.event_id.value.capacity() * 16;
        column_bytes += self.res_start.capacity() * 4 + self.res_codes.bytes();
        column_bytes += self.raw_file.bytes()
            + self.raw_offset32.capacity() * 4
            + self.raw_offset64.capacity() * 8;
        column_bytes += self.raw_len.bytes();
        let mut dictionary_bytes = dicts.iter().map(|d| d.dict.heap_bytes()).sum::<usize>();
        dictionary_bytes += self.res_dict.heap_bytes() + self.event_id.arena.capacity();
        MemoryUse {
            events: self.len,
            column_bytes,
            dictionary_bytes,
            index_bytes: self
                .bitsets
                .iter()
                .filter_map(|b| b.get().and_then(Option::as_ref))
                .map(count::Bitsets::bytes)
                .sum(),
        }
    }

    /// Average bytes of per-row columns per event (dictionaries excluded; event IDs that are
    /// not UUID/hex are counted here, since they are unique per event).
    pub fn bytes_per_event(&self) -> f64 {
        let m = self.memory();
        if m.events == 0 {
            return 0.0;
        }
        (m.column_bytes + self.event_id.arena.capacity()) as f64 / m.events as f64
    }

    /// Rows matching `filter`.
    pub fn select(&self, filter: &Filter) -> Selection {
        self.select_within(filter, &Selection::all(self.len))
    }

    /// Rows of `within` matching `filter`. Each condition is evaluated only over the rows still
    /// in question: a term of an AND over what the terms before it kept, a term of an OR over
    /// what the terms before it did not take.
    fn select_within(&self, filter: &Filter, within: &Selection) -> Selection {
        match filter {
            Filter::All => within.clone(),
            Filter::Pred(p) => self.select_pred(p, within),
            Filter::And(fs) => {
                let mut out = within.clone();
                for f in fs {
                    if out.is_empty() {
                        break;
                    }
                    out = self.select_within(f, &out);
                }
                out
            }
            Filter::Or(fs) => {
                let mut out = Selection::none(self.len);
                let mut rest = within.clone();
                for f in fs {
                    if rest.is_empty() {
                        break;
                    }
                    let hit = self.select_within(f, &rest);
                    rest.and_not(&hit);
                    out.or(&hit);
                }
                out
            }
            Filter::Not(f) => {
                let mut out = within.clone();
                out.and_not(&self.select_within(f, within));
                out
            }
        }
    }

    /// Parses `query` (see [`crate::query`]) and selects the matching rows.
    pub fn query(&self, query: &str) -> Result<Selection, crate::Error> {
        Ok(self.select(crate::query::parse(query)?.filter()))
    }

    fn select_pred(&self, p: &Predicate, within: &Selection) -> Selection {
        let mut out = Selection::none(self.len);
        match p {
            Predicate::TimeRange { from, to } => {
                let lo = from
                    .map(|f| self.time.partition_point(|&t| t < f))
                    .unwrap_or(0);
                let hi = to
                    .map(|t0| self.time.partition_point(|&t| t < t0))
                    .unwrap_or(self.len);
                if lo < hi {
                    out.set_range(lo, hi);
                }
                out.and(within);
            }
            Predicate::ReadOnly(v) => {
                let want = F_RO_KNOWN | if *v { F_RO } else { 0 };
                self.mark_flags(within, &mut out, |f| f & (F_RO_KNOWN | F_RO) == want);
            }
            Predicate::Failed(v) => {
                let v = *v;
                self.mark_flags(within, &mut out, |f| (f & F_ERROR != 0) == v);
            }
            Predicate::Text(field, m) => self.mark_text(*field, m, within, &mut out),
            Predicate::AnyOf(fields, m) => {
                for f in fields {
                    self.mark_text(*f, m, within, &mut out);
                }
            }
        }
        out
    }

    fn mark_flags(&self, within: &Selection, out: &mut Selection, f: impl Fn(u8) -> bool) {
        mark_codes(&self.flags, &byte_table(f), within, out);
    }

    /// Sets in `out` each row of `within` for which `hit(row)`.
    fn mark_rows(within: &Selection, out: &mut Selection, hit: impl Fn(usize) -> bool) {
        for row in within.iter() {
            if hit(row) {
                out.insert(row);
            }
        }
    }

    fn mark_text(&self, field: Field, m: &Match, within: &Selection, out: &mut Selection) {
        let matcher = Matcher::new(m);
        if let Some(col) = self.dict(field) {
            let table: Vec<bool> = (0..col.dict.len() as u32)
                .map(|id| matcher.is_match(col.dict.get(id)))
                .collect();
            if table.iter().any(|&b| b) {
                col.codes.mark(&table, within, out);
            }
            return;
        }
        match field {
            Field::Resource => {
                let table: Vec<bool> = (0..self.res_dict.len() as u32)
                    .map(|id| matcher.is_match(self.res_dict.get(id)))
                    .collect();
                if !table.iter().any(|&b| b) {
                    return;
                }
                // Few rows name a matching resource: find its entries in one scan of the
                // resource codes, then each one's row by binary search on the row starts.
                fn hits<T: Copy + Into<u32>>(
                    codes: &[T],
                    start: &[u32],
                    table: &[bool],
                    within: &Selection,
                    out: &mut Selection,
                ) {
                    let mut row = 0;
                    for (j, &c) in codes.iter().enumerate() {
                        if table.get(c.into() as usize).copied().unwrap_or(false) {
                            row = holder(start, row, j);
                            if within.contains(row) {
                                out.insert(row);
                            }
                        }
                    }
                }
                /// The row holding resource entry `j`: the last row whose entries start at or
                /// before `j`, searched from row `from` (which starts at or before `j`) by
                /// galloping, since consecutive hits are usually a few rows apart and a binary
                /// search over all the rows missed the cache at every step.
                fn holder(start: &[u32], from: usize, j: usize) -> usize {
                    let (mut lo, mut step) = (from, 1);
                    loop {
                        let probe = lo + step;
                        match start.get(probe) {
                            Some(&s) if s as usize <= j => {
                                lo = probe;
                                step *= 2;
                            }
                            _ => {
                                let hi = probe.min(start.len());
                                let span = start.get(lo..hi).unwrap_or_default();
                                return lo + span.partition_point(|&s| s as usize <= j).max(1) - 1;
                            }
                        }
                    }
                }
                match &self.res_codes {
                    Codes::U8(c) => hits(c, &self.res_start, &table, within, out),
                    Codes::U16(c) => hits(c, &self.res_start, &table, within, out),
                    Codes::U32(c) => hits(c, &self.res_start, &table, within, out),
                }
            }
            Field::EventId => {
                let mut rows = within.clone();
                if let (Match::Equals(_), Some((k, v))) = (m, encode_id_loose(m)) {
                    let dashed = k == ID_UUID_LOWER || k == ID_UUID_UPPER;
                    Self::mark_rows(within, out, |row| {
                        let rk = self.event_id.kind[row];
                        self.event_id.value[row] == v
                            && rk != ID_NONE
                            && rk != ID_OTHER
                            && (rk == ID_UUID_LOWER || rk == ID_UUID_UPPER) == dashed
                    });
                    if !self.event_id.kind.contains(&ID_OTHER) {
                        return;
                    }
                    rows.and_not(out);
                }
                Self::mark_rows(&rows, out, |row| {
                    self.event_id.kind[row] != ID_NONE && matcher.is_match(&self.event_id.get(row))
                });
            }
            Field::Provider => {
                let table = byte_table(|p| {
                    Provider::ALL
                        .get(p as usize)
                        .is_some_and(|p| matcher.is_match(p.as_str()))
                });
                mark_codes(&self.provider, &table, within, out);
            }
            Field::File => {
                let table: Vec<bool> = self.files.iter().map(|f| matcher.is_match(f)).collect();
                if table.iter().any(|&b| b) {
                    self.raw_file.mark(&table, within, out);
                }
            }
            Field::ReadWrite => {
                let (r, w) = (matcher.is_match("read"), matcher.is_match("write"));
                self.mark_flags(within, out, |f| {
                    f & F_RO_KNOWN != 0 && if f & F_RO != 0 { r } else { w }
                });
            }
            Field::Outcome => {
                let (s, e) = (
                    matcher.is_match("success"),
                    matcher.is_match("error") || matcher.is_match("failure"),
                );
                self.mark_flags(within, out, |f| if f & F_ERROR != 0 { e } else { s });
            }
            Field::Root | Field::Admin => {
                let bit = if field == Field::Root {
                    F_ROOT
                } else {
                    F_ADMIN
                };
                let (t, fa) = (matcher.is_match("true"), matcher.is_match("false"));
                self.mark_flags(within, out, |f| if f & bit != 0 { t } else { fa });
            }
            Field::Integrity => {
                let table = byte_table(|c| matcher.is_match(integrity_of_code(c).as_str()));
                mark_codes(&self.integrity, &table, within, out);
            }
            Field::Tag => {
                for (&row, label) in &self.labels {
                    if within.contains(row as usize)
                        && label.tags.iter().any(|t| matcher.is_match(t))
                    {
                        out.insert(row as usize);
                    }
                }
            }
            Field::Flagged => {
                let (t, fa) = (matcher.is_match("true"), matcher.is_match("false"));
                Self::mark_rows(within, out, |row| if self.flagged(row) { t } else { fa });
            }
            Field::Time => {
                Self::mark_rows(within, out, |row| {
                    matcher.is_match(&crate::time::format_rfc3339(self.time[row]))
                });
            }
            _ => {}
        }
    }

    /// The most frequent values of `field` among `selection`, at most `limit`, most frequent
    /// first (ties by value). Empty values are not counted.
    pub fn facet(&self, field: Field, selection: &Selection, limit: usize) -> Vec<FacetValue> {
        if let Some(counts) = self.facet_counts(field, selection) {
            return self.facet_top(field, &counts, limit);
        }
        let mut counts: Vec<(String, u64)> = Vec::new();
        match field {
            Field::Tag => {
                let mut map: BTreeMap<&str, u64> = BTreeMap::new();
                for (&row, label) in &self.labels {
                    if selection.contains(row as usize) {
                        for t in &label.tags {
                            *map.entry(t.as_str()).or_default() += 1;
                        }
                    }
                }
                counts.extend(map.into_iter().map(|(t, k)| (t.to_owned(), k)));
            }
            Field::Flagged => {
                let flagged = self
                    .labels
                    .iter()
                    .filter(|(&row, l)| l.flagged && selection.contains(row as usize))
                    .count() as u64;
                let total = selection.count() as u64;
                counts.extend(
                    [("false", total - flagged), ("true", flagged)]
                        .into_iter()
                        .filter(|&(_, k)| k > 0)
                        .map(|(v, k)| (v.to_owned(), k)),
                );
            }
            Field::Resource => {
                let mut c = vec![0u64; self.res_dict.len()];
                for row in selection.iter() {
                    for j in self.res_start[row]..self.res_start[row + 1] {
                        c[self.res_codes.get(j as usize) as usize] += 1;
                    }
                }
                for (id, &k) in c.iter().enumerate() {
                    if k > 0 {
                        counts.push((self.res_dict.get(id as u32).to_string(), k));
                    }
                }
            }
            _ => {
                let mut map: HashMap<String, u64> = HashMap::new();
                for row in selection.iter() {
                    let v = self.text(row, field);
                    if !v.is_empty() {
                        *map.entry(v).or_default() += 1;
                    }
                }
                counts.extend(map);
            }
        }
        top(counts, limit)
    }

    /// How many rows of `selection` hold each code of `field` (indexed by code), for the
    /// fields stored as one small code per row (every text column with a dictionary, provider,
    /// file, read/write, outcome, integrity, root, admin); `None` for the others. Counts over
    /// disjoint selections add up, so a host may count the complement of a large selection
    /// and subtract it from the counts over every row. Each code turns into a value with
    /// [`EventStore::facet_top`].
    pub fn facet_counts(&self, field: Field, selection: &Selection) -> Option<Vec<u64>> {
        self.count_codes(&[field], selection, false).pop().flatten()
    }

    /// [`EventStore::facet_counts`] of each of `fields`, counted in one pass over `selection`
    /// (a reply counts ten facets over the same rows; see `store/count.rs`). A one-byte column
    /// with few distinct codes is counted by popcount over per-code bitsets, which the first
    /// call builds and the store keeps (a bit per row per code but the most frequent).
    pub fn facet_counts_many(
        &self,
        fields: &[Field],
        selection: &Selection,
    ) -> Vec<Option<Vec<u64>>> {
        self.count_codes(fields, selection, true)
    }

    /// Counts of `fields` over `selection`, with the columns' bitsets built if `build`, else
    /// only those already built.
    fn count_codes(
        &self,
        fields: &[Field],
        selection: &Selection,
        build: bool,
    ) -> Vec<Option<Vec<u64>>> {
        let counted: Vec<Option<count::Counted<'_>>> = fields
            .iter()
            .map(|&f| {
                let mut c = self.counted(f)?;
                let cell = &self.bitsets[c.slot];
                c.bitsets = if build {
                    cell.get_or_init(|| count::Bitsets::of(&c.column)).as_ref()
                } else {
                    cell.get().and_then(Option::as_ref)
                };
                Some(c)
            })
            .collect();
        let mut counts = count::count(
            selection,
            &counted.iter().flatten().copied().collect::<Vec<_>>(),
        )
        .into_iter();
        counted
            .iter()
            .map(|c| c.as_ref().and_then(|_| counts.next()))
            .collect()
    }

    /// Where the per-row code of `field` is read from, for the fields counted by code.
    fn counted(&self, field: Field) -> Option<count::Counted<'_>> {
        use count::{Column, Counted, Fold};
        fn column(c: &Codes) -> Column<'_> {
            match c {
                Codes::U8(c) => Column::U8(c),
                Codes::U16(c) => Column::U16(c),
                Codes::U32(c) => Column::U32(c),
            }
        }
        let (provider, file, flags, integrity) = (DICTS, DICTS + 1, DICTS + 2, DICTS + 3);
        if let Some(slot) = dict_slot(field) {
            let col = &self.dicts[slot];
            return Some(Counted {
                slot,
                column: column(&col.codes),
                codes: col.dict.len(),
                fold: Fold::Same,
                bitsets: None,
            });
        }
        let of_flags = |codes: usize, f: fn(u8) -> usize| Counted {
            slot: flags,
            column: Column::U8(&self.flags),
            codes,
            fold: Fold::Byte(f),
            bitsets: None,
        };
        Some(match field {
            Field::Provider => Counted {
                slot: provider,
                column: Column::U8(&self.provider),
                codes: 256,
                fold: Fold::Same,
                bitsets: None,
            },
            Field::File => Counted {
                slot: file,
                column: column(&self.raw_file),
                codes: self.files.len(),
                fold: Fold::Same,
                bitsets: None,
            },
            Field::ReadWrite => of_flags(3, rw_code),
            Field::Outcome => of_flags(2, |f| usize::from(f & F_ERROR != 0)),
            Field::Root => of_flags(2, |f| usize::from(f & F_ROOT != 0)),
            Field::Admin => of_flags(2, |f| usize::from(f & F_ADMIN != 0)),
            Field::Integrity => Counted {
                slot: integrity,
                column: Column::U8(&self.integrity),
                codes: 4,
                fold: Fold::Byte(|x| (x & 3) as usize),
                bitsets: None,
            },
            _ => return None,
        })
    }

    /// The most frequent values, at most `limit`, from counts per code of `field` (from
    /// [`EventStore::facet_counts`]); most frequent first, ties by value, empty values left out.
    pub fn facet_top(&self, field: Field, counts: &[u64], limit: usize) -> Vec<FacetValue> {
        let named = counts
            .iter()
            .enumerate()
            .filter(|&(_, &k)| k > 0)
            .map(|(code, &k)| (self.code_name(field, code), k))
            .filter(|(v, _)| !v.is_empty())
            .collect();
        top(named, limit)
    }

    /// The value of code `code` of a field counted by [`EventStore::facet_counts`].
    fn code_name(&self, field: Field, code: usize) -> String {
        if let Some(col) = self.dict(field) {
            return u32::try_from(code)
                .ok()
                .filter(|&c| (c as usize) < col.dict.len())
                .map(|c| col.dict.get(c).to_string())
                .unwrap_or_default();
        }
        let pick = |names: &[&str]| names.get(code).copied().unwrap_or_default().to_owned();
        match field {
            Field::Provider => u8::try_from(code)
                .map(|c| Provider::from_u8(c).as_str().to_owned())
                .unwrap_or_default(),
            Field::File => self.files.get(code).cloned().unwrap_or_default(),
            Field::ReadWrite => pick(&["", "read", "write"]),
            Field::Outcome => pick(&["success", "error"]),
            Field::Integrity => u8::try_from(code)
                .map(|c| integrity_of_code(c).as_str().to_owned())
                .unwrap_or_default(),
            Field::Root | Field::Admin => pick(&["false", "true"]),
            _ => String::new(),
        }
    }

    /// Values of `field` starting with `prefix` (ignoring ASCII case), most frequent first: for
    /// search-box completion.
    pub fn suggest(&self, field: Field, prefix: &str, limit: usize) -> Vec<FacetValue> {
        let p = prefix.to_ascii_lowercase();
        let mut all = self.facet(field, &Selection::all(self.len), usize::MAX);
        all.retain(|v| v.value.to_ascii_lowercase().starts_with(&p));
        all.truncate(limit);
        all
    }

    /// Whether a dictionary holds exactly `value` for `field` (for tests and tools).
    pub fn has_value(&self, field: Field, value: &str) -> bool {
        self.dict(field)
            .is_some_and(|c| c.dict.find(value).is_some())
    }
}

/// The read/write code of a row's flags: 0 unknown, 1 read, 2 write.
fn rw_code(f: u8) -> usize {
    match (f & F_RO_KNOWN != 0, f & F_RO != 0) {
        (false, _) => 0,
        (true, true) => 1,
        (true, false) => 2,
    }
}

/// The `limit` most frequent values, ties by value.
fn top(mut counts: Vec<(String, u64)>, limit: usize) -> Vec<FacetValue> {
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(limit);
    counts
        .into_iter()
        .map(|(value, count)| FacetValue { value, count })
        .collect()
}

fn encode_id_loose(m: &Match) -> Option<(u8, u128)> {
    match m {
        Match::Equals(s) => encode_id(s).or_else(|| encode_id(&s.to_ascii_lowercase())),
        _ => None,
    }
}

/// A compiled [`Match`].
pub(crate) struct Matcher {
    kind: MKind,
}

enum MKind {
    Equals(String),
    Contains(String),
    Glob(Vec<String>),
    Cidr(IpAddr, u8),
}

impl Matcher {
    pub(crate) fn new(m: &Match) -> Matcher {
        let kind = match m {
            Match::Equals(s) => MKind::Equals(s.to_ascii_lowercase()),
            Match::Contains(s) => MKind::Contains(s.to_ascii_lowercase()),
            Match::Wildcard(p) => {
                let p = p.to_ascii_lowercase();
                let parts: Vec<String> = p.split('*').map(String::from).collect();
                MKind::Glob(parts)
            }
            Match::Cidr(ip, len) => MKind::Cidr(*ip, *len),
        };
        Matcher { kind }
    }

    pub(crate) fn is_match(&self, v: &str) -> bool {
        if v.is_empty() {
            return false;
        }
        match &self.kind {
            MKind::Equals(s) => v.eq_ignore_ascii_case(s),
            MKind::Contains(s) => {
                if v.len() < s.len() {
                    return false;
                }
                if v.bytes().all(|b| !b.is_ascii_uppercase()) {
                    v.contains(s.as_str())
                } else {
                    v.to_ascii_lowercase().contains(s.as_str())
                }
            }
            MKind::Glob(parts) => glob(parts, &v.to_ascii_lowercase()),
            MKind::Cidr(net, len) => v.parse::<IpAddr>().is_ok_and(|ip| in_cidr(ip, *net, *len)),
        }
    }
}

fn glob(parts: &[String], v: &str) -> bool {
    // parts = pattern split on '*'; the first must be a prefix, the last a suffix, the rest in
    // order in between.
    if parts.len() == 1 {
        return v == parts[0];
    }
    let (first, last) = (&parts[0], &parts[parts.len() - 1]);
    if !v.starts_with(first.as_str())
        || v.len() < first.len() + last.len()
        || !v.ends_with(last.as_str())
    {
        return false;
    }
    let mut rest = &v[first.len()..v.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid.as_str()) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn in_cidr(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - len.min(32) as u32)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len.min(128) as u32)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|a4| in_cidr(IpAddr::V4(a4), net, len)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The former reading of an ID (a copy of its digits, two checks, `from_str_radix`): the
    /// one-pass [`encode_id`] must answer as it did.
    fn encode_id_reference(s: &str) -> Option<(u8, u128)> {
        let b = s.as_bytes();
        let (digits, dashed): (Vec<u8>, bool) =
            if b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') {
                let keep = |i: &usize| ![8, 13, 18, 23].contains(i);
                let digits = b.iter().enumerate().filter(|(i, _)| keep(i));
                (digits.map(|(_, &c)| c).collect(), true)
            } else if b.len() == 32 {
                (b.to_vec(), false)
            } else {
                return None;
            };
        let lower = digits
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c));
        let upper = digits
            .iter()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c));
        if !lower && !upper {
            return None;
        }
        let v = u128::from_str_radix(std::str::from_utf8(&digits).ok()?, 16).ok()?;
        let kind = match (dashed, lower) {
            (true, true) => ID_UUID_LOWER,
            (true, false) => ID_UUID_UPPER,
            (false, true) => ID_HEX_LOWER,
            (false, false) => ID_HEX_UPPER,
        };
        Some((kind, v))
    }

    #[test]
    fn ids_encode_as_the_reference_reading_did() {
        let seeds = [
            "0828c0d2-3589-4390-b954-c78b4a7df44b",
            "0828C0D2-3589-4390-B954-C78B4A7DF44B",
            "5F3963F1213A7CD7155FA54773C12078",
            "5f3963f1213a7cd7155fa54773c12078",
            "00000000-0000-0000-0000-000000000000",
            "ffffffffffffffffffffffffffffffff",
            "12345678901234567890123456789012",
            "12345678-1234-1234-1234-123456789012",
        ];
        // Every seed, and every seed with each byte replaced by each of a set of bytes that
        // matter (case, non-hex, dash, sign, non-ASCII lead byte kept valid UTF-8 below).
        let subs = [
            b'a', b'A', b'f', b'F', b'g', b'G', b'0', b'9', b'-', b'+', b' ', b'x',
        ];
        let mut cases: Vec<String> = seeds.iter().map(|s| s.to_string()).collect();
        for seed in seeds {
            for i in 0..seed.len() {
                for &c in &subs {
                    let mut b = seed.as_bytes().to_vec();
                    b[i] = c;
                    cases.push(String::from_utf8(b).expect("ASCII"));
                }
            }
            cases.push(format!("{seed}0"));
            cases.push(seed[1..].to_string());
            cases.push(format!("é{}", &seed[2..]));
        }
        cases.extend(["", "iv9wx9d16l2", "+5f3963f1213a7cd7155fa54773c1207"].map(String::from));
        for case in &cases {
            assert_eq!(encode_id(case), encode_id_reference(case), "{case:?}");
        }
    }

    #[test]
    fn codes_widen_and_ids_roundtrip() {
        let mut c = Codes::default();
        for v in [1u32, 300, 70_000] {
            c.push(v);
        }
        assert_eq!((c.get(0), c.get(1), c.get(2)), (1, 300, 70_000));
        let mut ids = IdColumn::default();
        for s in [
            "0828c0d2-3589-4390-b954-c78b4a7df44b",
            "5F3963F1213A7CD7155FA54773C12078",
            "iv9wx9d16l2",
            "",
        ] {
            ids.push(s);
        }
        assert_eq!(ids.get(0), "0828c0d2-3589-4390-b954-c78b4a7df44b");
        assert_eq!(ids.get(1), "5F3963F1213A7CD7155FA54773C12078");
        assert_eq!(ids.get(2), "iv9wx9d16l2");
        assert_eq!(ids.get(3), "");
        assert!(glob(&["a".into(), "c".into()], "abc"));
        assert!(!glob(&["a".into(), "c".into()], "ab"));
        assert!(in_cidr(
            "10.1.2.3".parse().unwrap(),
            "10.0.0.0".parse().unwrap(),
            8
        ));
        assert!(in_cidr(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::".parse().unwrap(),
            32
        ));
        assert!(!in_cidr(
            "11.1.2.3".parse().unwrap(),
            "10.0.0.0".parse().unwrap(),
            8
        ));
    }
}
