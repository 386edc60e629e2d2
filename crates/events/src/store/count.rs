//! Facet counting: how many selected rows hold each code of several fields, in one pass over
//! the selection.
//!
//! A reply of the timeline counts ten facets over the same selection. Counted one field at a
//! time, each pass walked the selection's bits again; here the set bits of each 64-row word are
//! found once and every field's column is counted at them. Fields that read the same column
//! (read/write, outcome, root and admin are all bits of the row flags) count it once, by raw
//! byte value, and fold the byte counts into their own codes afterwards. (Four interleaved
//! tables of counters per one-byte column, against increments waiting on the previous one to
//! the same counter, were faster natively but slower in wasm; the columns that hold mostly one
//! value are counted by popcount anyway.)
//!
//! A one-byte column holding at most [`FEW`] distinct codes (integrity, provider, flags, and
//! often account and region) can instead be counted by popcount: [`Bitsets`] holds, per code
//! but its most frequent one, the rows that hold it (built once, on the first count that asks
//! for it, and kept by the store), and a code's count over a selection is the popcount of
//! their AND, word by word; the most frequent code takes what is left.

use crate::selection::Selection;

/// A column of per-row codes, at its stored width.
#[derive(Clone, Copy)]
pub(super) enum Column<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
}

/// Columns with at most this many distinct codes get [`Bitsets`].
pub(super) const FEW: usize = 16;

/// Per code of a one-byte column with few distinct codes, the rows that hold it (all codes
/// but the most frequent one, whose count over a selection is the rest).
#[derive(Clone, Debug)]
pub(super) struct Bitsets {
    common: u8,
    codes: Vec<(u8, Vec<u64>)>,
}

impl Bitsets {
    /// The bitsets of `col`, or `None` when it is not a one-byte column of at most [`FEW`]
    /// distinct codes.
    pub(super) fn of(col: &Column<'_>) -> Option<Bitsets> {
        let Column::U8(c) = col else {
            return None;
        };
        let mut n = [0u64; 256];
        for &x in *c {
            n[x as usize] += 1;
        }
        let present: Vec<u8> = (0..=u8::MAX).filter(|&x| n[x as usize] > 0).collect();
        if present.len() > FEW {
            return None;
        }
        let common = present
            .iter()
            .copied()
            .max_by_key(|&x| (n[x as usize], std::cmp::Reverse(x)))
            .unwrap_or(0);
        // Each code's bits of a word are gathered in a local array first (the most frequent
        // code and absent ones into a last, unused entry), then stored.
        let mut slot = [FEW; 256];
        let mut codes = Vec::new();
        for &x in present.iter().filter(|&&x| x != common) {
            slot[x as usize] = codes.len();
            codes.push((x, vec![0u64; c.len().div_ceil(64)]));
        }
        // Four local arrays, row `b` into array `b % 4`: consecutive rows mostly hold the same
        // code, and one array would make each update wait for the previous one.
        for (w, chunk) in c.chunks(64).enumerate() {
            let mut local = [[0u64; FEW + 1]; 4];
            for (b, &x) in chunk.iter().enumerate() {
                local[b % 4][slot[x as usize]] |= 1 << b;
            }
            for (k, (_, bits)) in codes.iter_mut().enumerate() {
                bits[w] = local[0][k] | local[1][k] | local[2][k] | local[3][k];
            }
        }
        Some(Bitsets { common, codes })
    }

    /// Counts by raw code over `selection` (of `selected` rows).
    fn totals(&self, selection: &Selection, selected: u64) -> Vec<u64> {
        let mut out = vec![0u64; 256];
        let mut rest = selected;
        for (code, bits) in &self.codes {
            let k: u64 = selection
                .words
                .iter()
                .zip(bits)
                .map(|(&s, &b)| u64::from((s & b).count_ones()))
                .sum();
            out[*code as usize] = k;
            rest = rest.saturating_sub(k);
        }
        out[self.common as usize] = rest;
        out
    }

    /// Heap bytes.
    pub(super) fn bytes(&self) -> usize {
        self.codes.iter().map(|(_, b)| b.len() * 8).sum()
    }
}

/// How a field's code is read from its column's raw code.
#[derive(Clone, Copy)]
pub(super) enum Fold {
    /// The raw code is the field's code.
    Same,
    /// A map from one-byte raw codes to the field's codes.
    Byte(fn(u8) -> usize),
}

/// Counters of one column, by raw code.
enum Tally {
    /// One-byte codes: a table of 256 counters.
    Byte(Box<[u64; 256]>),
    /// Wider codes: one counter per code (codes past the end are not counted).
    Wide(Vec<u64>),
}

impl Tally {
    fn new(col: &Column<'_>, codes: usize) -> Tally {
        match col {
            Column::U8(_) => Tally::Byte(Box::new([0; 256])),
            _ => Tally::Wide(vec![0; codes]),
        }
    }

    /// Counts the 64 rows of the word at `base` (all selected).
    fn word(&mut self, col: &Column<'_>, base: usize) {
        match (self, col) {
            (Tally::Byte(t), Column::U8(c)) => {
                for &code in c.get(base..base + 64).unwrap_or_default() {
                    t[code as usize] += 1;
                }
            }
            (Tally::Wide(t), Column::U16(c)) => wide_run(c.get(base..base + 64), t),
            (Tally::Wide(t), Column::U32(c)) => wide_run(c.get(base..base + 64), t),
            _ => {}
        }
    }

    /// Counts rows `base + o` for each `o` in `offsets` (ascending, below 64).
    fn rows(&mut self, col: &Column<'_>, base: usize, offsets: &[u8]) {
        match (self, col) {
            (Tally::Byte(t), Column::U8(c)) => {
                if let Some(chunk) = c.get(base..(base + 64).min(c.len())) {
                    for &o in offsets {
                        if let Some(&code) = chunk.get(o as usize) {
                            t[code as usize] += 1;
                        }
                    }
                }
            }
            (Tally::Wide(t), Column::U16(c)) => wide_rows(c, base, offsets, t),
            (Tally::Wide(t), Column::U32(c)) => wide_rows(c, base, offsets, t),
            _ => {}
        }
    }

    /// The counts by raw code.
    fn totals(self) -> Vec<u64> {
        match self {
            Tally::Byte(t) => t.to_vec(),
            Tally::Wide(t) => t,
        }
    }
}

fn wide_run<T: Copy + Into<u32>>(chunk: Option<&[T]>, t: &mut [u64]) {
    for &c in chunk.unwrap_or_default() {
        if let Some(n) = t.get_mut(c.into() as usize) {
            *n += 1;
        }
    }
}

fn wide_rows<T: Copy + Into<u32>>(c: &[T], base: usize, offsets: &[u8], t: &mut [u64]) {
    for &o in offsets {
        if let Some(n) = c
            .get(base + o as usize)
            .and_then(|&code| t.get_mut(code.into() as usize))
        {
            *n += 1;
        }
    }
}

/// One field to count: its column (`slot` names it among the store's columns), how many
/// codes it has, how its code is read, and the column's bitsets when it has them.
#[derive(Clone, Copy)]
pub(super) struct Counted<'a> {
    pub slot: usize,
    pub column: Column<'a>,
    pub codes: usize,
    pub fold: Fold,
    pub bitsets: Option<&'a Bitsets>,
}

/// Counts per code of each of `fields` over `selection`, in one pass over its words. Rows past
/// a column's end are not counted (every column has one code per row of the store).
pub(super) fn count(selection: &Selection, fields: &[Counted<'_>]) -> Vec<Vec<u64>> {
    // Distinct columns, and for each field which one it reads.
    let mut columns: Vec<Counted<'_>> = Vec::new();
    let mut source = Vec::with_capacity(fields.len());
    for f in fields {
        match columns.iter_mut().position(|c| c.slot == f.slot) {
            Some(i) => {
                columns[i].codes = columns[i].codes.max(f.codes);
                source.push(i);
            }
            None => {
                source.push(columns.len());
                columns.push(*f);
            }
        }
    }
    // Columns with bitsets are counted by popcount, the others row by row.
    let mut tallies: Vec<Option<Tally>> = columns
        .iter()
        .map(|c| c.bitsets.is_none().then(|| Tally::new(&c.column, c.codes)))
        .collect();
    let mut offsets = [0u8; 64];
    let by_row = tallies.iter().any(Option::is_some);
    for (i, &w) in selection.words.iter().enumerate() {
        if w == 0 || !by_row {
            continue;
        }
        let base = i * 64;
        if w == u64::MAX && base + 64 <= selection.universe() {
            for (t, c) in tallies.iter_mut().zip(&columns) {
                if let Some(t) = t {
                    t.word(&c.column, base);
                }
            }
            continue;
        }
        let mut n = 0;
        let mut bits = w;
        while bits != 0 {
            offsets[n] = bits.trailing_zeros() as u8;
            n += 1;
            bits &= bits - 1;
        }
        for (t, c) in tallies.iter_mut().zip(&columns) {
            if let Some(t) = t {
                t.rows(&c.column, base, &offsets[..n]);
            }
        }
    }
    let selected = selection.count() as u64;
    let raw: Vec<Vec<u64>> = tallies
        .into_iter()
        .zip(&columns)
        .map(|(t, c)| match (t, c.bitsets) {
            (Some(t), _) => t.totals(),
            (None, Some(b)) => b.totals(selection, selected),
            (None, None) => Vec::new(),
        })
        .collect();
    fields
        .iter()
        .zip(source)
        .map(|(f, s)| {
            let raw = &raw[s];
            let mut out = vec![0u64; f.codes];
            match f.fold {
                Fold::Same => {
                    for (o, &k) in out.iter_mut().zip(raw) {
                        *o = k;
                    }
                }
                Fold::Byte(code) => {
                    for (byte, &k) in raw.iter().enumerate().take(256) {
                        if let Some(o) = out.get_mut(code(byte as u8)) {
                            *o += k;
                        }
                    }
                }
            }
            out
        })
        .collect()
}
