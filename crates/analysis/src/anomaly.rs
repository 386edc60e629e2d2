//! Anomalies in the manner of ActionTrail Insights: each actor is compared with its own past.
//!
//! * **Call-rate spike.** Per actor, calls per UTC hour over every hour from its first to its
//!   last call (idle hours count as 0). The baseline is the median `m` and the median absolute
//!   deviation `MAD` of those hourly counts; an hour is a spike when its count is at least
//!   `min_calls` and above `m + k · max(1.4826 · MAD, 1, √m)` (`k` = `deviations`; √m is the
//!   Poisson noise of a steady rate). Median and MAD
//!   are robust: one burst does not raise its own bar. Actors with fewer than
//!   `min_baseline_hours` hours of history are not judged.
//! * **Error-rate spike.** An hour with at least `min_errors` errors, at least half of its
//!   calls failing, whose error count is `deviations` binomial standard deviations above what
//!   the actor's error share in all *other* hours predicts (share floored at 1%).
//! * **First-seen source IP / access key.** The first `learning_days` of the data only teach
//!   which values each actor uses; afterwards a value an actor has not used before is reported
//!   once, for actors already active during learning.

use std::collections::{BTreeMap, HashMap, HashSet};

use trailproof_events::{EventStore, Field, Provider};

use crate::config::{parse_ip, AnomalyConfig};
use crate::finding::{AnomalyKind, Detail, Finding, Level, Listing, RuleRef};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// Evidence rows kept per spike finding: enough to link to the timeline, bounded in size.
pub const MAX_SPIKE_EVIDENCE: usize = 100;

type ActorKey = (Provider, String, String);
/// Per hour: calls, errors, and the first rows (evidence).
type HourStats = BTreeMap<i64, (u64, u64, Vec<usize>)>;

fn actor_key(store: &EventStore, row: usize) -> Option<ActorKey> {
    let name = store.text(row, Field::Actor);
    let name = if name.is_empty() {
        store.text(row, Field::ActorId)
    } else {
        name
    };
    if name.is_empty() {
        return None;
    }
    Some((store.provider(row), store.text(row, Field::Account), name))
}

/// The `k`-th smallest (0-based) of a multiset made of `zeros` copies of `zero_value` and the
/// sorted `values`.
fn kth(values: &[f64], zeros: u64, zero_value: f64, k: u64) -> f64 {
    // Merge lazily: the zero block sits where `zero_value` sorts among `values`.
    let below = values.partition_point(|v| *v < zero_value) as u64;
    if k < below {
        return values[k as usize];
    }
    if k < below + zeros {
        return zero_value;
    }
    let i = (k - zeros) as usize;
    values.get(i).copied().unwrap_or(zero_value)
}

fn median(values: &[f64], zeros: u64, zero_value: f64) -> f64 {
    let n = values.len() as u64 + zeros;
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        kth(values, zeros, zero_value, n / 2)
    } else {
        (kth(values, zeros, zero_value, n / 2 - 1) + kth(values, zeros, zero_value, n / 2)) / 2.0
    }
}

/// Runs the enabled detectors over `rows` (allow-listed rows already removed, time order).
pub(crate) fn run(
    store: &EventStore,
    rows: &[usize],
    cfg: &AnomalyConfig,
    enabled: &dyn Fn(&str) -> bool,
    out: &mut Listing,
) {
    let rule = |kind: AnomalyKind| RuleRef::Anomaly { kind };
    // Each row's actor, worked out once for all three passes below: an index into `actors`
    // (reading an actor's three texts from the store and comparing them in maps, per row and
    // per pass, was most of the detectors' time).
    let mut actors: Vec<ActorKey> = Vec::new();
    let mut actor_ids: HashMap<ActorKey, u32> = HashMap::new();
    let actor_of: Vec<Option<u32>> = rows
        .iter()
        .map(|&row| {
            let k = actor_key(store, row)?;
            if let Some(&id) = actor_ids.get(&k) {
                return Some(id);
            }
            let id = u32::try_from(actors.len()).ok()?;
            actor_ids.insert(k.clone(), id);
            actors.push(k);
            Some(id)
        })
        .collect();
    drop(actor_ids);
    // Hourly counts per actor (index into `actors`).
    let mut per_actor: Vec<HourStats> = vec![HourStats::new(); actors.len()];
    for (&row, actor) in rows.iter().zip(&actor_of) {
        let Some(a) = actor else {
            continue;
        };
        let h = store.time_ms(row).div_euclid(HOUR_MS);
        let e = per_actor[*a as usize]
            .entry(h)
            .or_insert((0, 0, Vec::new()));
        e.0 += 1;
        e.1 += u64::from(store.failed(row));
        if e.2.len() < MAX_SPIKE_EVIDENCE {
            e.2.push(row);
        }
    }
    // Actors in key order, as the detectors have always visited them.
    let mut order: Vec<u32> = (0..actors.len() as u32).collect();
    order.sort_by(|a, b| actors[*a as usize].cmp(&actors[*b as usize]));
    let hours = order
        .iter()
        .map(|&a| (&actors[a as usize], &per_actor[a as usize]));
    let rate_on = enabled(AnomalyKind::CallRateSpike.id());
    let err_on = enabled(AnomalyKind::ErrorRateSpike.id());
    for (actor, per_hour) in hours {
        let (Some(first), Some(last)) = (per_hour.keys().next(), per_hour.keys().next_back())
        else {
            continue;
        };
        let span = (last - first + 1) as u64;
        if span < cfg.min_baseline_hours.max(1) {
            continue;
        }
        let zeros = span - per_hour.len() as u64;
        if rate_on {
            let mut counts: Vec<f64> = per_hour.values().map(|v| v.0 as f64).collect();
            counts.sort_by(f64::total_cmp);
            let med = median(&counts, zeros, 0.0);
            let mut devs: Vec<f64> = counts.iter().map(|c| (c - med).abs()).collect();
            devs.sort_by(f64::total_cmp);
            let mad = median(&devs, zeros, med.abs());
            // The spread is floored at 1 call and at sqrt(median), the Poisson noise of a steady
            // rate: a perfectly regular actor (MAD 0) is not flagged for a mere doubling.
            let threshold = med + cfg.deviations * (1.4826 * mad).max(1.0).max(med.sqrt());
            for (&h, (calls, _, ev)) in per_hour {
                if *calls >= cfg.min_calls && (*calls as f64) > threshold {
                    out.push(Finding::from_rows(
                        store,
                        rule(AnomalyKind::CallRateSpike),
                        Level::Medium,
                        Detail::CallRateSpike { hour_ms: h * HOUR_MS, calls: *calls, median: med, threshold: round2(threshold) },
                        format!(
                            "{} made {calls} calls in the hour from {}; its hourly median is {} (threshold {})",
                            actor.2,
                            trailproof_events::time::format_rfc3339(h * HOUR_MS),
                            round2(med),
                            round2(threshold)
                        ),
                        ev,
                    ));
                }
            }
        }
        if err_on {
            let total_calls: u64 = per_hour.values().map(|v| v.0).sum();
            let total_errors: u64 = per_hour.values().map(|v| v.1).sum();
            for (&h, (calls, errors, ev)) in per_hour {
                let other_calls = total_calls - calls;
                if *errors < cfg.min_errors.max(1)
                    || errors * 2 < *calls
                    || other_calls < cfg.min_calls
                {
                    continue;
                }
                let p = ((total_errors - errors) as f64 / other_calls as f64).max(0.01);
                let expected = *calls as f64 * p;
                let sd = (*calls as f64 * p * (1.0 - p)).sqrt().max(1e-9);
                if (*errors as f64 - expected) / sd >= cfg.deviations {
                    let rows: Vec<usize> =
                        ev.iter().copied().filter(|&r| store.failed(r)).collect();
                    out.push(Finding::from_rows(
                        store,
                        rule(AnomalyKind::ErrorRateSpike),
                        Level::Medium,
                        Detail::ErrorRateSpike { hour_ms: h * HOUR_MS, calls: *calls, errors: *errors, baseline_share: round4(p) },
                        format!(
                            "{} had {errors} of {calls} calls fail in the hour from {}; its usual error share is {}%",
                            actor.2,
                            trailproof_events::time::format_rfc3339(h * HOUR_MS),
                            round2(p * 100.0)
                        ),
                        &rows,
                    ));
                }
            }
        }
    }

    let learn_end = rows
        .first()
        .map(|&r| store.time_ms(r))
        .unwrap_or(0)
        .saturating_add(cfg.learning_days.max(0) * DAY_MS);
    // Values are compared by dictionary code (equal codes, equal texts); whether a value
    // counts at all (an address that parses, a key) is decided once per code.
    for (kind, field, counts) in [
        (
            AnomalyKind::FirstSeenSourceIp,
            Field::SourceIp,
            &(|v: &str| parse_ip(v).is_some()) as &dyn Fn(&str) -> bool,
        ),
        (
            AnomalyKind::FirstSeenAccessKey,
            Field::AccessKey,
            &|v: &str| !v.trim().is_empty(),
        ),
    ] {
        if !enabled(kind.id()) || (kind == AnomalyKind::FirstSeenAccessKey && !cfg.access_keys) {
            continue;
        }
        let mut counted: HashMap<u32, bool> = HashMap::new();
        let mut known: HashSet<(u32, u32)> = HashSet::new();
        let mut learned = vec![false; actors.len()];
        for (&row, actor) in rows.iter().zip(&actor_of) {
            let Some(a) = *actor else {
                continue;
            };
            let t = store.time_ms(row);
            if t < learn_end {
                learned[a as usize] = true;
            }
            let Some(code) = store.code(row, field) else {
                continue;
            };
            let value = store.text_of_code(field, code).unwrap_or_default();
            if !*counted.entry(code).or_insert_with(|| counts(value)) || !known.insert((a, code)) {
                continue;
            }
            if t >= learn_end && learned[a as usize] {
                let what = if kind == AnomalyKind::FirstSeenSourceIp {
                    "source IP"
                } else {
                    "access key"
                };
                out.push(Finding::from_rows(
                    store,
                    rule(kind),
                    Level::Low,
                    Detail::FirstSeen {
                        value: value.to_owned(),
                    },
                    format!(
                        "{} used {what} {value} for the first time",
                        actors[a as usize].2
                    ),
                    &[row],
                ));
            }
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_with_implicit_zeros() {
        assert_eq!(median(&[5.0, 7.0], 3, 0.0), 0.0);
        assert_eq!(median(&[5.0, 7.0, 9.0], 0, 0.0), 7.0);
        assert_eq!(median(&[1.0, 3.0], 0, 0.0), 2.0);
        assert_eq!(median(&[], 0, 0.0), 0.0);
        // Deviations around median 2 with two zero-hours contributing 2 each.
        assert_eq!(median(&[0.0, 1.0, 8.0], 2, 2.0), 2.0);
    }
}
