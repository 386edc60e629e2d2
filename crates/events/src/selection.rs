//! Sets of rows: [`Selection`], a bitset over a store's rows (what queries return), and
//! [`Ranked`], a selection with a rank index, so that the k-th selected row, counts over row
//! ranges and walks from any position (either direction) cost no work proportional to the
//! rows selected. A host keeps a `Ranked` as the current selection instead of a list of row
//! numbers: at millions of matches the list alone was the largest cost of a query.

/// A set of rows, as a bitset over the store's rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub(crate) words: Vec<u64>,
    len: usize,
}

/// The bits of word `w` that fall in rows `from..to`.
fn span_mask(w: usize, from: usize, to: usize) -> u64 {
    let base = w * 64;
    let (lo, hi) = (from.max(base) - base, to.clamp(base, base + 64) - base);
    if hi <= lo {
        return 0;
    }
    let upper = if hi == 64 { u64::MAX } else { (1u64 << hi) - 1 };
    upper & !((1u64 << lo) - 1)
}

impl Selection {
    /// No rows of a store with `len` rows.
    pub fn none(len: usize) -> Selection {
        Selection {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// Every row of a store with `len` rows.
    pub fn all(len: usize) -> Selection {
        let mut s = Selection {
            words: vec![u64::MAX; len.div_ceil(64)],
            len,
        };
        s.trim();
        s
    }

    fn trim(&mut self) {
        let extra = self.words.len() * 64 - self.len;
        if extra > 0 {
            if let Some(last) = self.words.last_mut() {
                *last &= u64::MAX >> extra;
            }
        }
    }

    /// Adds rows `from..to` (clipped to the store).
    pub(crate) fn set_range(&mut self, from: usize, to: usize) {
        let to = to.min(self.len);
        if from >= to {
            return;
        }
        for w in from / 64..to.div_ceil(64) {
            self.words[w] |= span_mask(w, from, to);
        }
    }

    /// Keeps only the selected rows in `from..to`.
    pub fn retain_range(&mut self, from: usize, to: usize) {
        let to = to.min(self.len);
        for (w, word) in self.words.iter_mut().enumerate() {
            *word &= if from < to { span_mask(w, from, to) } else { 0 };
        }
    }

    /// Adds a row.
    pub fn insert(&mut self, row: usize) {
        if row < self.len {
            self.words[row / 64] |= 1 << (row % 64);
        }
    }

    /// Whether `row` is selected.
    pub fn contains(&self, row: usize) -> bool {
        row < self.len && self.words[row / 64] & (1 << (row % 64)) != 0
    }

    /// Number of selected rows.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Rows in the store (selected or not).
    pub fn universe(&self) -> usize {
        self.len
    }

    /// The bitset: bit `r % 64` of word `r / 64` is row `r` (bits past the store are clear).
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Keeps rows selected in both.
    pub fn and(&mut self, other: &Selection) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= *b;
        }
    }

    /// Adds rows selected in `other`.
    pub fn or(&mut self, other: &Selection) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= *b;
        }
    }

    /// Removes rows selected in `other`.
    pub fn and_not(&mut self, other: &Selection) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !*b;
        }
    }

    /// Whether no row is selected.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// Inverts the selection.
    pub fn not(&mut self) {
        for w in &mut self.words {
            *w = !*w;
        }
        self.trim();
    }

    /// Selected rows in ascending order (which is time order).
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.iter_from_row(0)
    }

    /// Selected rows at or after `start`, ascending.
    pub fn iter_from_row(&self, start: usize) -> impl Iterator<Item = usize> + '_ {
        let first = start / 64;
        (first..self.words.len()).flat_map(move |i| {
            let mut w = self.words[i];
            if i == first {
                w &= !((1u64 << (start % 64)) - 1);
            }
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(i * 64 + b)
            })
        })
    }
}

/// A [`Selection`] with a rank index: the number of selected rows before each word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranked {
    set: Selection,
    /// `before[w]`: selected rows in words `0..w`; one more entry than words (the total).
    before: Vec<u64>,
}

impl Default for Ranked {
    fn default() -> Self {
        Ranked::new(Selection::none(0))
    }
}

impl Ranked {
    /// Indexes `set` (one pass over its words).
    pub fn new(set: Selection) -> Ranked {
        let mut before = Vec::with_capacity(set.words.len() + 1);
        let mut n = 0u64;
        before.push(0);
        for w in &set.words {
            n += u64::from(w.count_ones());
            before.push(n);
        }
        Ranked { set, before }
    }

    /// The selection.
    pub fn selection(&self) -> &Selection {
        &self.set
    }

    /// Number of selected rows.
    pub fn count(&self) -> usize {
        self.before.last().copied().unwrap_or(0) as usize
    }

    /// Selected rows in `from..to`.
    pub fn count_range(&self, from: usize, to: usize) -> usize {
        self.rank(to) - self.rank(from)
    }

    /// Selected rows before `row`.
    pub fn rank(&self, row: usize) -> usize {
        let row = row.min(self.set.len);
        let (w, b) = (row / 64, row % 64);
        let mut n = self.before[w];
        if b > 0 {
            n += u64::from((self.set.words[w] & ((1u64 << b) - 1)).count_ones());
        }
        n as usize
    }

    /// The `k`-th selected row (0-based, ascending), if there are more than `k`.
    pub fn select(&self, k: usize) -> Option<usize> {
        if k >= self.count() {
            return None;
        }
        let k = k as u64;
        // The last word whose count before it is at most k holds the row.
        let w = self.before.partition_point(|&n| n <= k) - 1;
        let mut word = self.set.words[w];
        for _ in 0..(k - self.before[w]) {
            word &= word - 1;
        }
        Some(w * 64 + word.trailing_zeros() as usize)
    }

    /// The first selected row.
    pub fn first(&self) -> Option<usize> {
        self.select(0)
    }

    /// The last selected row.
    pub fn last(&self) -> Option<usize> {
        self.count().checked_sub(1).and_then(|k| self.select(k))
    }

    /// Selected rows from the `k`-th on, ascending.
    pub fn iter_from(&self, k: usize) -> impl Iterator<Item = usize> + '_ {
        self.set
            .iter_from_row(self.select(k).unwrap_or(self.set.len))
    }

    /// Selected rows from the `k`-th from the end on, descending (newest first).
    pub fn iter_back_from(&self, k: usize) -> impl Iterator<Item = usize> + '_ {
        let words = &self.set.words;
        // The row to start at, inclusive; `None` when there is none.
        let start = self.count().checked_sub(k + 1).and_then(|i| self.select(i));
        let first = start.map_or(0, |s| s / 64 + 1);
        (0..first).rev().flat_map(move |i| {
            let mut w = words[i];
            if let Some(s) = start.filter(|s| s / 64 == i) {
                let b = s % 64;
                w &= if b == 63 {
                    u64::MAX
                } else {
                    (1u64 << (b + 1)) - 1
                };
            }
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = 63 - w.leading_zeros() as usize;
                w &= !(1u64 << b);
                Some(i * 64 + b)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Selections of several shapes over stores of several sizes (word edges included).
    fn cases() -> Vec<Selection> {
        let mut out = Vec::new();
        for len in [0usize, 1, 63, 64, 65, 200, 1000] {
            out.push(Selection::none(len));
            out.push(Selection::all(len));
            for (step, phase) in [(2usize, 0usize), (3, 1), (7, 5), (64, 63), (97, 13)] {
                let mut s = Selection::none(len);
                (phase..len).step_by(step).for_each(|r| s.insert(r));
                out.push(s.clone());
                s.not();
                out.push(s);
            }
            let mut s = Selection::none(len);
            s.set_range(len / 3, len * 2 / 3);
            out.push(s);
        }
        out
    }

    #[test]
    fn ranked_agrees_with_the_plain_list_of_rows() {
        for s in cases() {
            let rows: Vec<usize> = s.iter().collect();
            let r = Ranked::new(s.clone());
            assert_eq!(r.count(), rows.len());
            assert_eq!(r.first(), rows.first().copied());
            assert_eq!(r.last(), rows.last().copied());
            for k in 0..=rows.len() {
                assert_eq!(r.select(k), rows.get(k).copied(), "select({k})");
                let fwd: Vec<usize> = r.iter_from(k).take(70).collect();
                let want: Vec<usize> = rows.iter().skip(k).take(70).copied().collect();
                assert_eq!(fwd, want, "iter_from({k})");
                let back: Vec<usize> = r.iter_back_from(k).take(70).collect();
                let want: Vec<usize> = rows.iter().rev().skip(k).take(70).copied().collect();
                assert_eq!(back, want, "iter_back_from({k})");
            }
            for from in (0..=s.universe()).step_by(17) {
                for to in (from..=s.universe() + 3).step_by(29) {
                    let want = rows.iter().filter(|&&r| r >= from && r < to).count();
                    assert_eq!(r.count_range(from, to), want, "count_range({from}, {to})");
                    let mut kept = s.clone();
                    kept.retain_range(from, to);
                    let got: Vec<usize> = kept.iter().collect();
                    let want: Vec<usize> = rows
                        .iter()
                        .copied()
                        .filter(|&r| r >= from && r < to)
                        .collect();
                    assert_eq!(got, want, "retain_range({from}, {to})");
                    let mut set = Selection::none(s.universe());
                    set.set_range(from, to);
                    assert_eq!(
                        set.iter().collect::<Vec<_>>(),
                        (from..to.min(s.universe())).collect::<Vec<_>>()
                    );
                }
            }
        }
    }
}
