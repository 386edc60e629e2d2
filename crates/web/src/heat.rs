//! The Compliance tab's day × region heatmap as a grid the page draws: one cell per day and
//! region with its events, whether the day was silent, whether verification failed there, and
//! whether it lies in a gap of its region's digest chain (`Report.gaps`: time no digest
//! covers). Pure and tested natively; the view only renders it.

use std::collections::HashMap;

use trailproof_core::report::Report;
use trailproof_events::time::parse_timestamp;

use crate::protocol::HeatmapView;
use crate::triage::count;

const DAY_MS: i64 = 86_400_000;

/// How a cell is shaded: one class each, so the legend can count them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shade {
    /// Outside the region's span (no events before or after in this region): blank.
    Outside,
    /// A silent day inside the region's span: no events.
    Silent,
    /// 1–9 events.
    Few,
    /// 10–99 events.
    Some,
    /// 100–999 events.
    Many,
    /// 1,000 events or more.
    Most,
}

impl Shade {
    /// Every shade, in legend order.
    pub const ALL: [Shade; 6] = [
        Shade::Outside,
        Shade::Silent,
        Shade::Few,
        Shade::Some,
        Shade::Many,
        Shade::Most,
    ];

    fn of(events: u64) -> Shade {
        match events {
            0 => Shade::Silent,
            1..=9 => Shade::Few,
            10..=99 => Shade::Some,
            100..=999 => Shade::Many,
            _ => Shade::Most,
        }
    }

    /// CSS class.
    pub fn class(self) -> &'static str {
        match self {
            Shade::Outside => "h-out",
            Shade::Silent => "h0",
            Shade::Few => "h1",
            Shade::Some => "h2",
            Shade::Many => "h3",
            Shade::Most => "h4",
        }
    }

    /// What it means, for the legend.
    pub fn label(self) -> &'static str {
        match self {
            Shade::Outside => "outside the region's events",
            Shade::Silent => "silent day (no events)",
            Shade::Few => "1–9 events",
            Shade::Some => "10–99 events",
            Shade::Many => "100–999 events",
            Shade::Most => "1,000+ events",
        }
    }
}

/// One cell of the grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeatCell {
    /// Events that day in that region.
    pub events: u64,
    /// Its shade.
    pub shade: Shade,
    /// Some file or digest covering it failed verification or is missing.
    pub failed: bool,
    /// The verification gap it lies in (its message), if any.
    pub chain_gap: Option<String>,
}

impl HeatCell {
    /// Whether the cell says something is wrong (failed, or in a chain gap).
    pub fn is_problem(&self) -> bool {
        self.failed || self.chain_gap.is_some()
    }
}

/// The heatmap as rows of cells, with what the legend counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeatGrid {
    /// Region names (rows).
    pub regions: Vec<String>,
    /// Days `YYYY-MM-DD` (columns).
    pub days: Vec<String>,
    /// `rows[region][day]`.
    pub rows: Vec<Vec<HeatCell>>,
    /// Cells per shade, in [`Shade::ALL`] order.
    pub shades: Vec<(Shade, usize)>,
    /// Cells that failed verification.
    pub failed: usize,
    /// Cells inside a verification gap.
    pub chain_gaps: usize,
}

impl HeatGrid {
    /// Builds the grid from the analysis's heatmap and the verification report.
    pub fn new(h: &HeatmapView, report: &Report) -> HeatGrid {
        let blank = HeatCell {
            events: 0,
            shade: Shade::Outside,
            failed: false,
            chain_gap: None,
        };
        let mut rows = vec![vec![blank; h.days.len()]; h.regions.len()];
        for &(day, region, events, gap, failed) in &h.cells {
            if let Some(cell) = rows
                .get_mut(region as usize)
                .and_then(|r| r.get_mut(day as usize))
            {
                cell.events = events;
                // A failed day outside the region's span has no events but is no silent day.
                cell.shade = if events == 0 && !gap {
                    Shade::Outside
                } else {
                    Shade::of(events)
                };
                cell.failed = failed;
            }
        }
        for (region, day, message) in chain_gaps(report, &h.days, &h.regions) {
            if let Some(cell) = rows.get_mut(region).and_then(|r| r.get_mut(day)) {
                cell.chain_gap.get_or_insert(message);
            }
        }
        let cells = || rows.iter().flatten();
        let shades = Shade::ALL
            .iter()
            .map(|&s| (s, cells().filter(|c| c.shade == s).count()))
            .collect();
        HeatGrid {
            regions: h.regions.clone(),
            days: h.days.clone(),
            failed: cells().filter(|c| c.failed).count(),
            chain_gaps: cells().filter(|c| c.chain_gap.is_some()).count(),
            shades,
            rows,
        }
    }

    /// The cell at `(region, day)`.
    pub fn cell(&self, region: usize, day: usize) -> Option<&HeatCell> {
        self.rows.get(region)?.get(day)
    }

    /// The first cell with a problem, reading row by row.
    pub fn first_problem(&self) -> Option<(usize, usize)> {
        self.rows
            .iter()
            .enumerate()
            .find_map(|(r, row)| row.iter().position(HeatCell::is_problem).map(|d| (r, d)))
    }

    /// The cell's description: day, region, events, and what is wrong.
    pub fn describe(&self, region: usize, day: usize) -> String {
        let Some(cell) = self.cell(region, day) else {
            return String::new();
        };
        let mut text = format!(
            "{} · {}: {} {}",
            self.days.get(day).map(String::as_str).unwrap_or("?"),
            self.regions.get(region).map(String::as_str).unwrap_or("?"),
            count(cell.events),
            if cell.events == 1 { "event" } else { "events" }
        );
        match cell.shade {
            Shade::Silent => text.push_str(" (silent day)"),
            Shade::Outside if cell.events == 0 => {
                text.push_str(" (outside the region's first and last event)")
            }
            _ => {}
        }
        if cell.failed {
            text.push_str("; verification failed or a digest is missing for this day");
        }
        if let Some(gap) = &cell.chain_gap {
            text.push_str("; digest-chain gap: ");
            text.push_str(gap);
        }
        text
    }

    /// Whether `day` gets a visible label on the day axis: the first column, and the first of
    /// each month (and each week's Monday-aligned 1st/8th/15th/22nd when the map is short).
    pub fn labelled(&self, day: usize) -> bool {
        if day == 0 {
            return true;
        }
        let dom = self
            .days
            .get(day)
            .and_then(|d| d.get(8..10))
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(0);
        // Leave room for the first label (about four cells wide).
        if day < 4 {
            return false;
        }
        dom == 1 || (self.days.len() <= 92 && matches!(dom, 8 | 15 | 22))
    }
}

/// `(region index, day index, message)` for every heatmap cell that lies in a gap of its
/// region's digest chain. The chain's region names the row (`(global)` when empty, as the
/// analysis names event rows); a day belongs to a gap when the gap's time overlaps it. Gaps
/// whose region has no row, or days outside the map, are left out.
pub fn chain_gaps(
    report: &Report,
    days: &[String],
    regions: &[String],
) -> Vec<(usize, usize, String)> {
    let Some(first) = days.first().and_then(|d| day_number(d)) else {
        return Vec::new();
    };
    let region_of: HashMap<&str, &str> = report
        .chains
        .iter()
        .map(|c| {
            let region = if c.region.is_empty() {
                "(global)"
            } else {
                c.region.as_str()
            };
            (c.id.as_str(), region)
        })
        .collect();
    let mut out = Vec::new();
    for gap in &report.gaps {
        let Some(row) = region_of
            .get(gap.chain.as_str())
            .and_then(|r| regions.iter().position(|x| x == r))
        else {
            continue;
        };
        let (Some(start), Some(end)) = (parse_timestamp(&gap.start), parse_timestamp(&gap.end))
        else {
            continue;
        };
        if end <= start {
            continue;
        }
        // Days whose [00:00, 24:00) overlaps (start, end).
        let (lo, hi) = (start.div_euclid(DAY_MS), (end - 1).div_euclid(DAY_MS));
        let lo = (lo - first).max(0);
        let hi = (hi - first).min(days.len() as i64 - 1);
        for d in lo..=hi {
            out.push((row, d as usize, gap.message.clone()));
        }
    }
    out
}

fn day_number(day: &str) -> Option<i64> {
    parse_timestamp(&format!("{day}T00:00:00Z")).map(|ms| ms.div_euclid(DAY_MS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailproof_core::report::{ChainSummary, Gap, Provider};

    fn days(first: &str, n: usize) -> Vec<String> {
        let mut d: jiff::civil::Date = first.parse().unwrap();
        (0..n)
            .map(|_| {
                let s = d.to_string();
                d = d.tomorrow().unwrap();
                s
            })
            .collect()
    }

    fn report(gaps: &[(&str, &str, &str)]) -> Report {
        let chain = |id: &str, region: &str| ChainSummary {
            id: id.into(),
            provider: Provider::Aws,
            account: "1".into(),
            region: region.into(),
            trail: "t".into(),
            home_region: None,
            backfill: false,
            digests: Vec::new(),
            continues_before: None,
        };
        Report::new(
            Vec::new(),
            gaps.iter()
                .map(|(chain, start, end)| Gap {
                    start: (*start).into(),
                    end: (*end).into(),
                    chain: (*chain).into(),
                    message: format!("no digest {start} to {end}"),
                })
                .collect(),
            vec![chain("a", "us-east-1"), chain("g", "")],
            Vec::new(),
        )
    }

    fn view(
        regions: &[&str],
        days: Vec<String>,
        cells: Vec<(u32, u32, u64, bool, bool)>,
    ) -> HeatmapView {
        HeatmapView {
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            days,
            cells,
        }
    }

    #[test]
    fn chain_gaps_mark_the_days_they_overlap_in_their_region() {
        let days = days("2024-05-01", 10);
        let regions: Vec<String> = ["(global)", "us-east-1"].map(String::from).to_vec();
        type Case<'a> = (&'a [(&'a str, &'a str, &'a str)], &'a [(usize, usize)]);
        let cases: &[Case] = &[
            // Inside one day.
            (
                &[("a", "2024-05-03T01:00:00Z", "2024-05-03T05:00:00Z")],
                &[(1, 2)],
            ),
            // Across midnight; an end at midnight does not touch the next day.
            (
                &[("a", "2024-05-03T23:00:00Z", "2024-05-05T00:00:00Z")],
                &[(1, 2), (1, 3)],
            ),
            // The global chain (empty region) names the `(global)` row.
            (
                &[("g", "2024-05-01T10:00:00Z", "2024-05-01T12:00:00Z")],
                &[(0, 0)],
            ),
            // Clamped to the map.
            (
                &[("a", "2024-04-20T00:00:00Z", "2024-05-02T06:00:00Z")],
                &[(1, 0), (1, 1)],
            ),
            (
                &[("a", "2024-06-01T00:00:00Z", "2024-06-02T00:00:00Z")],
                &[],
            ),
            // Unknown chain, unparsable or reversed times: nothing.
            (
                &[("x", "2024-05-03T01:00:00Z", "2024-05-03T05:00:00Z")],
                &[],
            ),
            (&[("a", "garbage", "2024-05-03T05:00:00Z")], &[]),
            (
                &[("a", "2024-05-03T05:00:00Z", "2024-05-03T01:00:00Z")],
                &[],
            ),
        ];
        for (gaps, want) in cases {
            let got: Vec<(usize, usize)> = chain_gaps(&report(gaps), &days, &regions)
                .into_iter()
                .map(|(r, d, _)| (r, d))
                .collect();
            assert_eq!(&got, want, "{gaps:?}");
        }
    }

    #[test]
    fn the_grid_shades_counts_and_describes_cells() {
        let h = view(
            &["eu-west-1", "us-east-1"],
            days("2024-05-01", 4),
            vec![
                (0, 0, 5, false, false),
                (1, 0, 0, true, false),
                (2, 0, 1_200, false, true),
                (1, 1, 50, false, false),
                (3, 1, 0, false, true),
            ],
        );
        let g = HeatGrid::new(
            &h,
            &report(&[("a", "2024-05-02T03:00:00Z", "2024-05-02T09:00:00Z")]),
        );
        let shade = |r: usize, d: usize| g.cell(r, d).unwrap().shade;
        assert_eq!(
            [
                shade(0, 0),
                shade(0, 1),
                shade(0, 2),
                shade(0, 3),
                shade(1, 0),
                shade(1, 1),
                shade(1, 3)
            ],
            [
                Shade::Few,
                Shade::Silent,
                Shade::Most,
                Shade::Outside,
                Shade::Outside,
                Shade::Some,
                Shade::Outside
            ]
        );
        let counts: HashMap<Shade, usize> = g.shades.iter().copied().collect();
        assert_eq!(counts[&Shade::Outside], 4);
        assert_eq!(counts[&Shade::Silent], 1);
        assert_eq!((g.failed, g.chain_gaps), (2, 1));
        assert_eq!(g.first_problem(), Some((0, 2)));
        assert_eq!(g.describe(0, 2), "2024-05-03 · eu-west-1: 1,200 events; verification failed or a digest is missing for this day");
        assert_eq!(
            g.describe(0, 1),
            "2024-05-02 · eu-west-1: 0 events (silent day)"
        );
        assert!(g
            .describe(1, 1)
            .ends_with("digest-chain gap: no digest 2024-05-02T03:00:00Z to 2024-05-02T09:00:00Z"));
        assert_eq!(g.describe(9, 9), "");
    }

    #[test]
    fn day_labels_leave_room_and_mark_months() {
        let g = HeatGrid::new(
            &view(&["r"], days("2024-04-29", 200), Vec::new()),
            &report(&[]),
        );
        let labelled: Vec<&str> = (0..g.days.len())
            .filter(|&d| g.labelled(d))
            .map(|d| g.days[d].as_str())
            .collect();
        assert_eq!(labelled[..3], ["2024-04-29", "2024-06-01", "2024-07-01"]);
        let short = HeatGrid::new(
            &view(&["r"], days("2024-05-01", 20), Vec::new()),
            &report(&[]),
        );
        let labelled: Vec<usize> = (0..20).filter(|&d| short.labelled(d)).collect();
        assert_eq!(labelled, [0, 7, 14]);
    }
}
