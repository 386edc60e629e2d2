//! A [`StoreBuilder`] as bytes, so a part loaded in one place (a browser load worker) can be
//! appended in another (the worker that keeps the store): `bincode` over a plain mirror of the
//! columns [`StoreBuilder::append`] reads, with dictionaries as their strings in code order.
//!
//! Decoding checks everything it rebuilds (codes inside their dictionaries, resource lists
//! in order, raw records naming the part's own files), so a damaged buffer is an error, never
//! a panic or a store that lies.

use serde::{Deserialize, Serialize};

use super::{Codes, IdColumn, Interner, StoreBuilder, Wide, DICTS, ID_OTHER};

/// Why bytes are not an encoded [`StoreBuilder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError(pub String);

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not an encoded event-store part: {}", self.0)
    }
}

impl std::error::Error for WireError {}

/// Format tag: bumped whenever the mirror below changes.
/// 2: the access-key column joined the dictionary columns; 3: codes at their stored width.
const VERSION: u32 = 3;

#[derive(Serialize, Deserialize)]
struct Dict {
    /// Every distinct string, in code order.
    strings: Vec<String>,
    /// At the width the sender kept them (one byte per row for most columns).
    codes: Codes,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    version: u32,
    len: u64,
    files: Vec<String>,
    time: Vec<i64>,
    provider: Vec<u8>,
    flags: Vec<u8>,
    dicts: Vec<Dict>,
    id_kind: Vec<u8>,
    id_value: Vec<u128>,
    id_arena: String,
    res_start: Vec<u32>,
    res: Dict,
    raw_file: Codes,
    raw_offset: Vec<u64>,
    raw_len: Codes,
    layout: Vec<u32>,
    record: Vec<u64>,
}

fn strings(d: &Interner) -> Vec<String> {
    (0..d.len() as u32).map(|id| d.get(id).to_owned()).collect()
}

fn dict_of(strings: Vec<String>) -> Result<Interner, WireError> {
    let mut d = Interner::default();
    for (want, s) in strings.iter().enumerate() {
        if d.intern(s) as usize != want {
            return Err(WireError("a dictionary repeats a string".into()));
        }
    }
    Ok(d)
}

/// `codes`, each checked to be below `limit`.
fn codes_of(codes: Codes, limit: usize, what: &str) -> Result<Codes, WireError> {
    if (0..codes.len()).any(|i| codes.get(i) as usize >= limit) {
        return Err(WireError(format!("a {what} code is out of range")));
    }
    Ok(codes)
}

impl StoreBuilder {
    /// This builder as bytes, for [`StoreBuilder::decode`] (in another worker, say).
    pub fn encode(&self) -> Vec<u8> {
        let s = &self.s;
        let dicts = s
            .dicts
            .iter()
            .map(|c| Dict {
                strings: strings(&c.dict),
                codes: c.codes.clone(),
            })
            .collect();
        let raw_offset = if s.raw_offset64.is_empty() {
            s.raw_offset32.iter().map(|&o| u64::from(o)).collect()
        } else {
            s.raw_offset64.clone()
        };
        let wire = Wire {
            version: VERSION,
            len: s.len as u64,
            files: s.files.clone(),
            time: s.time.clone(),
            provider: s.provider.clone(),
            flags: s.flags.clone(),
            dicts,
            id_kind: s.event_id.kind.clone(),
            id_value: s.event_id.value.clone(),
            id_arena: s.event_id.arena.clone(),
            res_start: s.res_start.clone(),
            res: Dict {
                strings: strings(&s.res_dict),
                codes: s.res_codes.clone(),
            },
            raw_file: s.raw_file.clone(),
            raw_offset,
            raw_len: s.raw_len.clone(),
            layout: self.layout.clone(),
            record: self.record.clone(),
        };
        // Plain vectors, strings and integers always serialise.
        bincode::serialize(&wire).unwrap_or_default()
    }

    /// The builder [`StoreBuilder::encode`] wrote: code for code the same, so appending it
    /// gives what appending the original would have.
    pub fn decode(bytes: &[u8]) -> Result<StoreBuilder, WireError> {
        let w: Wire = bincode::deserialize(bytes).map_err(|e| WireError(e.to_string()))?;
        if w.version != VERSION {
            return Err(WireError(format!("format version {}", w.version)));
        }
        let len = usize::try_from(w.len).map_err(|_| WireError("too many events".into()))?;
        let per_row = [
            w.time.len(),
            w.provider.len(),
            w.flags.len(),
            w.id_kind.len(),
            w.id_value.len(),
            w.raw_file.len(),
            w.raw_offset.len(),
            w.raw_len.len(),
            w.layout.len(),
            w.record.len(),
        ];
        if per_row.iter().any(|&n| n != len) || w.dicts.len() != DICTS {
            return Err(WireError("columns of different lengths".into()));
        }
        if w.dicts.iter().any(|d| d.codes.len() != len) {
            return Err(WireError("a text column of the wrong length".into()));
        }
        // Resource lists: `len + 1` ascending bounds from 0 (none at all for no rows).
        let bounds_ok = if len == 0 {
            w.res_start.len() <= 1 && w.res.codes.len() == 0
        } else {
            w.res_start.len() == len + 1
                && w.res_start.first() == Some(&0)
                && w.res_start.windows(2).all(|p| p[0] <= p[1])
                && w.res_start.last().map(|&e| e as usize) == Some(w.res.codes.len())
        };
        if !bounds_ok {
            return Err(WireError("resource lists out of order".into()));
        }
        for (&k, &v) in w.id_kind.iter().zip(&w.id_value) {
            if k > ID_OTHER {
                return Err(WireError("an unknown event-ID kind".into()));
            }
            if k == ID_OTHER {
                let (start, n) = ((v >> 32) as usize, (v & 0xffff_ffff) as usize);
                if start
                    .checked_add(n)
                    .and_then(|end| w.id_arena.get(start..end))
                    .is_none()
                {
                    return Err(WireError("an event ID outside its arena".into()));
                }
            }
        }
        let mut b = StoreBuilder::default();
        let s = &mut b.s;
        s.len = len;
        s.raw_file = codes_of(w.raw_file, w.files.len(), "file")?;
        s.files = w.files;
        s.time = w.time;
        s.provider = w.provider;
        s.flags = w.flags;
        for (column, d) in s.dicts.iter_mut().zip(w.dicts) {
            column.dict = dict_of(d.strings)?;
            column.codes = codes_of(d.codes, column.dict.len(), "text")?;
        }
        s.event_id = IdColumn {
            kind: w.id_kind,
            value: w.id_value,
            arena: w.id_arena,
        };
        s.res_start = w.res_start;
        s.res_dict = dict_of(w.res.strings)?;
        s.res_codes = codes_of(w.res.codes, s.res_dict.len(), "resource")?;
        s.raw_len = codes_of(w.raw_len, usize::MAX, "length")?;
        let wide = w.raw_offset.iter().any(|&o| o > u64::from(u32::MAX));
        if wide {
            s.raw_offset64 = w.raw_offset;
        } else {
            s.raw_offset32 = w.raw_offset.iter().map(|&o| o as u32).collect();
        }
        b.wide = match (len, wide) {
            (0, _) => None,
            (_, true) => Some(Wide::U64),
            (_, false) => Some(Wide::U32),
        };
        b.layout = w.layout;
        b.record = w.record;
        Ok(b)
    }
}
