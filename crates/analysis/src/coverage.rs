//! Retention and coverage: what time the events cover, where they are missing, and whether
//! that meets a retention requirement (see `docs/compliance.md`).

use std::collections::{BTreeMap, BTreeSet};

use jiff::{tz::TimeZone, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use trailproof_core::report::{group_digits, Integrity, Report, Status};
use trailproof_events::time::format_rfc3339;
use trailproof_events::{EventStore, Field, Provider};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// Days the heatmap shows at most (a little over seven years: SOX).
pub const MAX_HEAT_DAYS: i64 = 2_600;

/// A retention requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "preset", rename_all = "kebab-case")]
pub enum Requirement {
    /// China MLPS 2.0 (等保 2.0): network logs kept at least 180 days.
    Mlps2,
    /// PCI DSS v4.0 requirement 10.5.1: 12 months retained, the last 3 months immediately
    /// available for analysis.
    PciDss4,
    /// HIPAA documentation retention: 6 years.
    Hipaa,
    /// SOX (SEC rule 2-06 of Regulation S-X): 7 years.
    Sox,
    /// A custom number of days.
    Custom {
        /// Days required.
        days: u32,
    },
}

impl Requirement {
    /// Every preset (custom excluded).
    pub const PRESETS: [Requirement; 4] = [
        Requirement::Mlps2,
        Requirement::PciDss4,
        Requirement::Hipaa,
        Requirement::Sox,
    ];

    /// The name for people.
    pub fn name(self) -> String {
        match self {
            Requirement::Mlps2 => "MLPS 2.0 (180 days)".into(),
            Requirement::PciDss4 => "PCI DSS v4 10.5.1 (12 months, last 3 months available)".into(),
            Requirement::Hipaa => "HIPAA (6 years)".into(),
            Requirement::Sox => "SOX (7 years)".into(),
            Requirement::Custom { days } => format!("Custom ({days} days)"),
        }
    }

    /// Parses `mlps`, `pci`, `hipaa`, `sox` or a number of days.
    pub fn parse(s: &str) -> Option<Requirement> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "mlps" | "mlps2" | "mlps-2.0" => Requirement::Mlps2,
            "pci" | "pci-dss" | "pcidss4" => Requirement::PciDss4,
            "hipaa" => Requirement::Hipaa,
            "sox" => Requirement::Sox,
            d => Requirement::Custom {
                days: d.trim_end_matches('d').parse().ok().filter(|d| *d > 0)?,
            },
        })
    }

    /// First day (day number since the epoch) of the window ending on `as_of`.
    fn window_start(self, as_of_ms: i64) -> i64 {
        let as_of_day = as_of_ms.div_euclid(DAY_MS);
        let calendar = |span: jiff::Span| -> i64 {
            Timestamp::from_millisecond(as_of_ms)
                .ok()
                .and_then(|t| t.to_zoned(TimeZone::UTC).checked_sub(span).ok())
                .map(|z| z.timestamp().as_millisecond().div_euclid(DAY_MS) + 1)
                .unwrap_or(as_of_day)
        };
        match self {
            Requirement::Mlps2 => as_of_day - 179,
            Requirement::PciDss4 => calendar(12.months()),
            Requirement::Hipaa => calendar(6.years()),
            Requirement::Sox => calendar(7.years()),
            Requirement::Custom { days } => as_of_day - i64::from(days) + 1,
        }
    }
}

/// Pass or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The requirement or check is met.
    Pass,
    /// It is not.
    Fail,
    /// It cannot be judged from these inputs (no expected regions given, no verification).
    NotApplicable,
}

impl Outcome {
    /// `pass`, `fail` or `n/a`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotApplicable => "n/a",
        }
    }
}

/// A stretch without events in one stream.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Gap {
    /// Time of the last event before the gap, epoch ms (`as_of` for a trailing gap's end).
    pub start_ms: i64,
    /// Time of the first event after it.
    pub end_ms: i64,
    /// The stream's region (`(global)` when the events name none).
    pub region: String,
    /// The stream's account.
    pub account: String,
}

impl Gap {
    /// `2024-03-02..2024-03-09 in cn-hangzhou`.
    pub fn describe(&self, with_account: bool) -> String {
        let acct = if with_account && !self.account.is_empty() {
            format!(" (account {})", self.account)
        } else {
            String::new()
        };
        format!(
            "{}..{} in {}{}",
            day_text(self.start_ms.div_euclid(DAY_MS)),
            day_text(self.end_ms.div_euclid(DAY_MS)),
            self.region,
            acct
        )
    }
}

/// Events of one provider × account × region.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stream {
    /// Provider.
    #[serde(serialize_with = "crate::finding::ser_provider")]
    pub provider: Provider,
    /// Account.
    pub account: String,
    /// Region (`(global)` when empty).
    pub region: String,
    /// Events.
    pub events: u64,
    /// First event, epoch ms.
    pub first_ms: i64,
    /// Last event, epoch ms.
    pub last_ms: i64,
    /// Days with at least one event.
    pub days_with_events: u64,
    /// Gaps of more than `min_gap_hours` between consecutive events.
    pub gaps: Vec<Gap>,
}

/// One heatmap cell: one UTC day in one region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeatCell {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Region.
    pub region: String,
    /// Events that day.
    pub events: u64,
    /// No events that day, between the region's first and last event.
    pub gap: bool,
    /// Some file (or digest) covering that day and region failed verification or is missing.
    pub failed: bool,
}

/// The calendar heatmap: every day from the first to the last event × every region.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Heatmap {
    /// Regions, sorted.
    pub regions: Vec<String>,
    /// First day shown.
    pub first_day: String,
    /// Last day shown.
    pub last_day: String,
    /// Number of days shown (at most [`MAX_HEAT_DAYS`]).
    pub days: u64,
    /// Cells with events or a flag (empty cells outside a region's span are left out).
    pub cells: Vec<HeatCell>,
}

/// A requirement's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequirementResult {
    /// Which requirement.
    pub requirement: Requirement,
    /// Its name.
    pub name: String,
    /// Pass or fail.
    pub outcome: Outcome,
    /// Days the window has.
    pub required_days: u64,
    /// Days in the window with events.
    pub covered_days: u64,
    /// Why, in one line ("covers 143 of 180 days; gap 2024-03-02..2024-03-09 in cn-hangzhou").
    pub reason: String,
}

/// The coverage checks besides retention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Every expected region has events.
    ExpectedRegions,
    /// Both read and write events are present.
    ReadAndWrite,
    /// Management (control-plane) events are present.
    ManagementEvents,
    /// Every event is verified (per-event integrity in the store).
    VerifiedShare,
}

impl Check {
    /// The name for people.
    pub fn name(self) -> &'static str {
        match self {
            Check::ExpectedRegions => "Expected regions present",
            Check::ReadAndWrite => "Read and write events present",
            Check::ManagementEvents => "Management events present",
            Check::VerifiedShare => "Events in verified files",
        }
    }
}

/// A check's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Which check.
    pub check: Check,
    /// Pass, fail, or not applicable.
    pub outcome: Outcome,
    /// Why.
    pub reason: String,
}

/// Coverage settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CoverageOptions {
    /// Regions that should have events (empty: the check is not applicable).
    pub expected_regions: Vec<String>,
    /// Silence of more than this many hours in a stream counts as a gap.
    pub min_gap_hours: i64,
    /// Requirements to judge.
    pub requirements: Vec<Requirement>,
}

impl Default for CoverageOptions {
    fn default() -> Self {
        CoverageOptions {
            expected_regions: Vec::new(),
            min_gap_hours: 24,
            requirements: Requirement::PRESETS.to_vec(),
        }
    }
}

/// Everything about coverage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coverage {
    /// Events.
    pub events: u64,
    /// First event, epoch ms.
    pub first_ms: Option<i64>,
    /// Last event, epoch ms.
    pub last_ms: Option<i64>,
    /// Days from the first to the last event, both included.
    pub span_days: u64,
    /// Days with at least one event.
    pub days_with_events: u64,
    /// Per provider × account × region.
    pub streams: Vec<Stream>,
    /// Regions seen, sorted.
    pub regions_seen: Vec<String>,
    /// Expected regions without events.
    pub regions_missing: Vec<String>,
    /// Read events.
    pub read_events: u64,
    /// Write events.
    pub write_events: u64,
    /// Events the heuristic counts as management events.
    pub management_events: u64,
    /// Events whose integrity is verified (see [`coverage`]).
    pub verified_events: u64,
    /// Events whose integrity failed: their file failed, or they contradict verified records.
    pub failed_events: u64,
    /// The calendar heatmap.
    pub heatmap: Heatmap,
    /// Requirement verdicts.
    pub requirements: Vec<RequirementResult>,
    /// Other checks.
    pub checks: Vec<CheckResult>,
}

/// `YYYY-MM-DD` of a day number.
pub fn day_text(day: i64) -> String {
    let t = format_rfc3339(day.saturating_mul(DAY_MS));
    t.get(..10).unwrap_or(&t).to_string()
}

fn region_of(store: &EventStore, row: usize) -> String {
    let r = store.text(row, Field::Region);
    if r.is_empty() {
        "(global)".into()
    } else {
        r
    }
}

/// AWS data-event actions (object- and item-level calls): everything else is counted as a
/// management event. A heuristic: the normalized model does not keep `managementEvent`.
const AWS_DATA_ACTIONS: &[&str] = &[
    "GetObject",
    "PutObject",
    "DeleteObject",
    "DeleteObjects",
    "HeadObject",
    "CopyObject",
    "GetObjectAcl",
    "PutObjectAcl",
    "GetObjectTagging",
    "PutObjectTagging",
    "RestoreObject",
    "UploadPart",
    "CreateMultipartUpload",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
    "SelectObjectContent",
    "Invoke",
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
];

/// Computes coverage of `store` as of `as_of_ms`. With `verification` given, the share of
/// verified events is judged by each event's integrity as recorded in the store (apply the
/// report first: [`EventStore::apply_report`]), not by its file's status: a conflicting
/// duplicate of a verified event is failed although its file may not be, and a record of a
/// sealed archive that did not verify is not verified although its file's hash matched.
pub fn coverage(
    store: &EventStore,
    verification: Option<&Report>,
    options: &CoverageOptions,
    as_of_ms: i64,
) -> Coverage {
    let min_gap = options.min_gap_hours.max(1) * HOUR_MS;

    struct Acc {
        events: u64,
        first: i64,
        last: i64,
        days: BTreeSet<i64>,
        gaps: Vec<Gap>,
    }
    let mut streams: BTreeMap<(Provider, String, String), Acc> = BTreeMap::new();
    let mut cells: BTreeMap<(String, i64), (u64, bool)> = BTreeMap::new();
    let mut all_days: BTreeSet<i64> = BTreeSet::new();
    let (mut read, mut write, mut mgmt, mut verified, mut failed_ev) = (0, 0, 0, 0, 0);
    for row in 0..store.len() {
        let t = store.time_ms(row);
        let day = t.div_euclid(DAY_MS);
        let region = region_of(store, row);
        let account = store.text(row, Field::Account);
        let p = store.provider(row);
        let acc = streams
            .entry((p, account.clone(), region.clone()))
            .or_insert(Acc {
                events: 0,
                first: t,
                last: t,
                days: BTreeSet::new(),
                gaps: Vec::new(),
            });
        if acc.events > 0 && t - acc.last > min_gap {
            acc.gaps.push(Gap {
                start_ms: acc.last,
                end_ms: t,
                region: region.clone(),
                account,
            });
        }
        acc.events += 1;
        acc.last = acc.last.max(t);
        acc.days.insert(day);
        all_days.insert(day);
        let integrity = store.integrity(row);
        let bad = integrity == Integrity::Failed;
        let cell = cells.entry((region, day)).or_insert((0, false));
        cell.0 += 1;
        cell.1 |= bad;
        match store.read_only(row) {
            Some(true) => read += 1,
            Some(false) => write += 1,
            None => {}
        }
        if !(p == Provider::Aws
            && AWS_DATA_ACTIONS.contains(&store.text(row, Field::Action).as_str()))
        {
            mgmt += 1;
        }
        match integrity {
            Integrity::Verified => verified += 1,
            Integrity::Failed => failed_ev += 1,
            Integrity::Unverified | Integrity::Unprotected => {}
        }
    }
    // Missing or invalid digests mark the days they cover as failed, events or not.
    let mut failed_days: BTreeSet<(String, i64)> = BTreeSet::new();
    if let Some(r) = verification {
        for chain in &r.chains {
            for d in &chain.digests {
                if !matches!(d.status, Status::Invalid | Status::Missing) {
                    continue;
                }
                let end = trailproof_events::time::parse_timestamp(&d.end);
                let start = d
                    .start
                    .as_deref()
                    .and_then(trailproof_events::time::parse_timestamp)
                    .or(end);
                if let (Some(s), Some(e)) = (start, end) {
                    let (s, e) = (s.div_euclid(DAY_MS), e.div_euclid(DAY_MS));
                    for day in s..=e.min(s + 366) {
                        failed_days.insert((
                            if chain.region.is_empty() {
                                "(global)".into()
                            } else {
                                chain.region.clone()
                            },
                            day,
                        ));
                    }
                }
            }
        }
    }

    let span = store.time_span();
    let first_day = span.map(|(a, _)| a.div_euclid(DAY_MS));
    let last_day = span.map(|(_, b)| b.div_euclid(DAY_MS));
    let mut region_span: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (region, day) in cells.keys() {
        let e = region_span.entry(region.clone()).or_insert((*day, *day));
        e.0 = e.0.min(*day);
        e.1 = e.1.max(*day);
    }
    let mut heat = Vec::new();
    // Hostile or mistyped times (year 1, year 9999) must not make millions of cells: the
    // heatmap shows at most the last MAX_HEAT_DAYS days before the newest event.
    let heat_from = last_day.unwrap_or(0).saturating_sub(MAX_HEAT_DAYS - 1);
    for (region, (lo, hi)) in &region_span {
        for day in (*lo).max(heat_from)..=*hi {
            let c = cells.get(&(region.clone(), day)).copied();
            let failed = c.is_some_and(|c| c.1) || failed_days.contains(&(region.clone(), day));
            let events = c.map(|c| c.0).unwrap_or(0);
            heat.push(HeatCell {
                day: day_text(day),
                region: region.clone(),
                events,
                gap: events == 0,
                failed,
            });
        }
    }
    for (region, day) in &failed_days {
        let inside = region_span
            .get(region)
            .is_some_and(|(lo, hi)| day >= lo && day <= hi);
        if !inside {
            heat.push(HeatCell {
                day: day_text(*day),
                region: region.clone(),
                events: 0,
                gap: false,
                failed: true,
            });
        }
    }
    heat.sort_by(|a, b| (&a.region, &a.day).cmp(&(&b.region, &b.day)));
    let mut regions: Vec<String> = region_span.keys().cloned().collect();
    for (r, _) in &failed_days {
        if !regions.contains(r) {
            regions.push(r.clone());
        }
    }
    regions.sort();
    let heatmap = Heatmap {
        regions: regions.clone(),
        first_day: first_day
            .map(|d| day_text(d.max(heat_from)))
            .unwrap_or_default(),
        last_day: last_day.map(day_text).unwrap_or_default(),
        days: match (first_day, last_day) {
            (Some(a), Some(b)) => (b - a.max(heat_from) + 1) as u64,
            _ => 0,
        },
        cells: heat,
    };

    let streams: Vec<Stream> = streams
        .into_iter()
        .map(|((provider, account, region), a)| Stream {
            provider,
            account,
            region,
            events: a.events,
            first_ms: a.first,
            last_ms: a.last,
            days_with_events: a.days.len() as u64,
            gaps: a.gaps,
        })
        .collect();
    let accounts: BTreeSet<&str> = streams.iter().map(|s| s.account.as_str()).collect();
    let with_account = accounts.len() > 1;
    let regions_seen: Vec<String> = region_span.keys().cloned().collect();

    let requirements = options
        .requirements
        .iter()
        .map(|&req| {
            judge(
                req,
                &all_days,
                &streams,
                first_day,
                store.time_span(),
                as_of_ms,
                min_gap,
                with_account,
            )
        })
        .collect();

    let mut checks = Vec::new();
    let missing: Vec<String> = options
        .expected_regions
        .iter()
        .filter(|r| {
            !regions_seen
                .iter()
                .any(|s| s.eq_ignore_ascii_case(r.trim()))
        })
        .cloned()
        .collect();
    checks.push(if options.expected_regions.is_empty() {
        CheckResult {
            check: Check::ExpectedRegions,
            outcome: Outcome::NotApplicable,
            reason: format!(
                "no expected regions given; seen: {}",
                list_or_none(&regions_seen)
            ),
        }
    } else if missing.is_empty() {
        CheckResult {
            check: Check::ExpectedRegions,
            outcome: Outcome::Pass,
            reason: format!(
                "all {} expected regions have events",
                options.expected_regions.len()
            ),
        }
    } else {
        CheckResult {
            check: Check::ExpectedRegions,
            outcome: Outcome::Fail,
            reason: format!("no events from {}", missing.join(", ")),
        }
    });
    checks.push(CheckResult {
        check: Check::ReadAndWrite,
        outcome: if read > 0 && write > 0 {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        reason: format!(
            "{} read and {} write events",
            group_digits(read),
            group_digits(write)
        ),
    });
    checks.push(CheckResult {
        check: Check::ManagementEvents,
        outcome: if mgmt > 0 {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        reason: format!("{} management events", group_digits(mgmt)),
    });
    let total = store.len() as u64;
    checks.push(match verification {
        None => CheckResult {
            check: Check::VerifiedShare,
            outcome: Outcome::NotApplicable,
            reason: "no verification was run".into(),
        },
        Some(_) => CheckResult {
            check: Check::VerifiedShare,
            outcome: if total > 0 && verified == total { Outcome::Pass } else { Outcome::Fail },
            reason: format!(
                "{} of {} events ({}) are verified; {} failed (changed files or conflicting duplicates)",
                group_digits(verified),
                group_digits(total),
                percent(verified, total),
                group_digits(failed_ev)
            ),
        },
    });

    Coverage {
        events: total,
        first_ms: span.map(|s| s.0),
        last_ms: span.map(|s| s.1),
        span_days: match (first_day, last_day) {
            (Some(a), Some(b)) => (b - a + 1) as u64,
            _ => 0,
        },
        days_with_events: all_days.len() as u64,
        streams,
        regions_seen,
        regions_missing: missing,
        read_events: read,
        write_events: write,
        management_events: mgmt,
        verified_events: verified,
        failed_events: failed_ev,
        heatmap,
        requirements,
        checks,
    }
}

/// `12.3%` (one decimal, rounded half up on the integer per-mille so output is stable).
pub fn percent(part: u64, total: u64) -> String {
    if total == 0 {
        return "0.0%".into();
    }
    let permille = (u128::from(part) * 1000 + u128::from(total) / 2) / u128::from(total);
    format!("{}.{}%", permille / 10, permille % 10)
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

#[allow(clippy::too_many_arguments)]
fn judge(
    req: Requirement,
    days: &BTreeSet<i64>,
    streams: &[Stream],
    first_day: Option<i64>,
    span: Option<(i64, i64)>,
    as_of_ms: i64,
    min_gap: i64,
    with_account: bool,
) -> RequirementResult {
    let as_of_day = as_of_ms.div_euclid(DAY_MS);
    let start = req.window_start(as_of_ms);
    let required = (as_of_day - start + 1).max(1) as u64;
    // A day is covered when it has events and no stream is silent for the whole of it.
    let gap_days: BTreeSet<i64> = streams
        .iter()
        .flat_map(|s| &s.gaps)
        // Clamped to the window first: a hostile gap can span millennia.
        .flat_map(|g| {
            (g.start_ms.div_euclid(DAY_MS) + 1).max(start)
                ..g.end_ms.div_euclid(DAY_MS).min(as_of_day + 1)
        })
        .collect();
    let covered = days
        .range(start..=as_of_day)
        .filter(|d| !gap_days.contains(d))
        .count() as u64;
    let window_start_ms = start.saturating_mul(DAY_MS);
    let mut problems = Vec::new();
    match first_day {
        None => problems.push("no events".to_string()),
        Some(f) if f > start => problems.push(format!(
            "events start {}, {} days after the window start {}",
            day_text(f),
            f - start,
            day_text(start)
        )),
        _ => {}
    }
    let mut gaps: Vec<&Gap> = streams
        .iter()
        .flat_map(|s| &s.gaps)
        .filter(|g| g.end_ms > window_start_ms && g.start_ms <= as_of_ms)
        .collect();
    gaps.sort_by_key(|g| (g.start_ms, g.end_ms, g.region.clone(), g.account.clone()));
    if let Some(g) = gaps.first() {
        let more = if gaps.len() > 1 {
            format!(" and {} more", gaps.len() - 1)
        } else {
            String::new()
        };
        problems.push(format!("gap {}{more}", g.describe(with_account)));
    }
    if let Some((_, last)) = span {
        if as_of_ms - last > min_gap {
            problems.push(format!(
                "no events after {}",
                day_text(last.div_euclid(DAY_MS))
            ));
        }
    }
    let mut reason = format!("covers {covered} of {required} days");
    if req == Requirement::PciDss4 {
        let recent_start = Timestamp::from_millisecond(as_of_ms)
            .ok()
            .and_then(|t| t.to_zoned(TimeZone::UTC).checked_sub(3.months()).ok())
            .map(|z| z.timestamp().as_millisecond().div_euclid(DAY_MS) + 1)
            .unwrap_or(as_of_day);
        let recent_required = (as_of_day - recent_start + 1).max(1);
        let recent = days
            .range(recent_start..=as_of_day)
            .filter(|d| !gap_days.contains(d))
            .count();
        reason.push_str(&format!(
            "; last 3 months: {recent} of {recent_required} days present in the inputs"
        ));
    }
    let outcome = if problems.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    if problems.is_empty() {
        reason.push_str(&format!(
            " ({}..{}); no gap of {}h or more",
            day_text(start),
            day_text(as_of_day),
            min_gap / HOUR_MS
        ));
    } else {
        reason.push_str("; ");
        reason.push_str(&problems.join("; "));
    }
    RequirementResult {
        requirement: req,
        name: req.name(),
        outcome,
        required_days: required,
        covered_days: covered,
        reason,
    }
}
