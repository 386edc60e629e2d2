//! The timeline's current selection in the worker, and what a query reply is made of: the
//! count, the histogram and the facets.
//!
//! Nothing here costs work per selected row beyond one pass that counts every facet, and that
//! pass runs over whichever of the selection and its complement is smaller (counts over every
//! row are computed once per load): a query that matches every event is as cheap as one that
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
    /// Per facet field: counts per code over every row, once computed (`None`: the field is
    /// not counted by code).
    totals: Vec<Option<Vec<u64>>>,
    /// Rows that recorded an error (the histogram's error bars), once computed.
    failed: Option<Selection>,
}

impl Selected {
    /// No selection yet, with the counts of `fields` over every row computed now (and with
    /// them the store's facet bitsets): part of the load, not of the first query's reply.
    pub fn primed(store: &EventStore, fields: &[Field]) -> Selected {
        Selected {
            totals: store.facet_counts_many(fields, &Selection::all(store.len())),
            ..Selected::default()
        }
    }

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

    /// Top values of each of `fields` among `rows`. The fields counted by code are counted
    /// together, in one pass over the selection or its complement.
    pub fn facets(&mut self, store: &EventStore, fields: &[Field], rows: &Ranked) -> Vec<Facet> {
        let n = store.len();
        let counts = if rows.count() * 2 > n {
            // Count over the complement, the smaller set, and subtract from every row's counts.
            let mut rest = rows.selection().clone();
            rest.not();
            if self.totals.len() != fields.len() {
                self.totals = store.facet_counts_many(fields, &Selection::all(n));
            }
            store
                .facet_counts_many(fields, &rest)
                .into_iter()
                .zip(&self.totals)
                .map(|(out, all)| match (all, out) {
                    (Some(all), Some(out)) => Some(
                        all.iter()
                            .zip(&out)
                            .map(|(a, o)| a - o)
                            .collect::<Vec<u64>>(),
                    ),
                    _ => None,
                })
                .collect()
        } else {
            store.facet_counts_many(fields, rows.selection())
        };
        fields
            .iter()
            .zip(counts)
            .map(|(&field, counts)| {
                let values = match counts {
                    Some(counts) => store.facet_top(field, &counts, FACET_VALUES),
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
