//! The timeline's current selection in the worker, and what a query reply is made of: the
//! count, the histogram and the facets.
//!
//! Nothing here costs work per selected row beyond one counting pass per facet, and that pass
//! runs over whichever of the selection and its complement is smaller (counts over every row
//! are computed once per load): a query that matches every event is as cheap as one that
//! matches none. The selection stays a bitset with a rank index ([`Ranked`]): rows for the
//! table are found by rank in either order, the histogram counts by binary search on the
//! time-sorted store, and no list of row numbers is ever built.

use trailproof_events::{EventStore, Field, Ranked, Selection};

use crate::protocol::{Facet, Histogram};

/// Values per facet in a reply.
const FACET_VALUES: usize = 8;

/// The current selection and caches over the loaded store.
#[derive(Default)]
pub struct Selected {
    rows: Ranked,
    newest_first: bool,
    /// Per facet field: counts per code over every row, once computed (`None` inside: the
    /// field is not counted by code).
    totals: Vec<Option<Option<Vec<u64>>>>,
    /// Rows that recorded an error (the histogram's error bars), once computed.
    failed: Option<Selection>,
}

impl Selected {
    /// Rows selected.
    pub fn len(&self) -> usize {
        self.rows.count()
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the selection.
    pub fn set(&mut self, rows: Ranked, newest_first: bool) {
        self.rows = rows;
        self.newest_first = newest_first;
    }

    /// The selection.
    pub fn ranked(&self) -> &Ranked {
        &self.rows
    }

    /// Store rows from display position `offset` on, in display order.
    pub fn iter_from(&self, offset: usize) -> Box<dyn Iterator<Item = usize> + '_> {
        if self.newest_first {
            Box::new(self.rows.iter_back_from(offset))
        } else {
            Box::new(self.rows.iter_from(offset))
        }
    }

    /// Top values of each of `fields` among `rows`.
    pub fn facets(&mut self, store: &EventStore, fields: &[Field], rows: &Ranked) -> Vec<Facet> {
        let n = store.len();
        // Count over the complement when it is the smaller set.
        let complement = (rows.count() * 2 > n).then(|| {
            let mut c = rows.selection().clone();
            c.not();
            c
        });
        if self.totals.len() != fields.len() {
            self.totals = vec![None; fields.len()];
        }
        fields
            .iter()
            .zip(&mut self.totals)
            .map(|(&field, total)| {
                let values = match &complement {
                    Some(rest) => {
                        let total = total
                            .get_or_insert_with(|| store.facet_counts(field, &Selection::all(n)));
                        match (total, store.facet_counts(field, rest)) {
                            (Some(all), Some(out)) => {
                                let counts: Vec<u64> =
                                    all.iter().zip(&out).map(|(a, o)| a - o).collect();
                                store.facet_top(field, &counts, FACET_VALUES)
                            }
                            _ => store.facet(field, rows.selection(), FACET_VALUES),
                        }
                    }
                    None => store.facet(field, rows.selection(), FACET_VALUES),
                };
                Facet {
                    field: field.name().to_owned(),
                    values: values.into_iter().map(|f| (f.value, f.count)).collect(),
                }
            })
            .collect()
    }

    /// Counts per adaptive bucket over the time span of `rows`: each bucket's rows are found by
    /// binary search on the time-sorted store and counted by rank.
    pub fn histogram(&mut self, store: &EventStore, rows: &Ranked) -> Histogram {
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Histogram::default();
        };
        let (start, end) = (store.time_ms(first), store.time_ms(last));
        const STEPS: &[i64] = &[
            1_000,
            10_000,
            60_000,
            300_000,
            900_000,
            3_600_000,
            3 * 3_600_000,
            6 * 3_600_000,
            12 * 3_600_000,
            86_400_000,
            7 * 86_400_000,
            30 * 86_400_000,
            365 * 86_400_000,
        ];
        let span = (end - start).max(1);
        let bucket_ms = STEPS
            .iter()
            .copied()
            .find(|s| span / s < 120)
            .unwrap_or(365 * 86_400_000);
        let start_ms = start.div_euclid(bucket_ms) * bucket_ms;
        let buckets = ((end - start_ms) / bucket_ms + 1) as usize;
        let failed = self.failed.get_or_insert_with(|| {
            store.select(&trailproof_events::Filter::Pred(
                trailproof_events::store::Predicate::Failed(true),
            ))
        });
        let mut failed_rows = failed.clone();
        failed_rows.and(rows.selection());
        let failed_rows = Ranked::new(failed_rows);
        // Bucket b holds rows bounds[b]..bounds[b + 1].
        let bounds: Vec<usize> = (0..=buckets)
            .map(|b| store.rows_before(start_ms + b as i64 * bucket_ms))
            .collect();
        let per = |r: &Ranked| {
            bounds
                .windows(2)
                .map(|w| r.count_range(w[0], w[1]) as u32)
                .collect()
        };
        Histogram {
            start_ms,
            bucket_ms,
            counts: per(rows),
            errors: per(&failed_rows),
        }
    }
}
