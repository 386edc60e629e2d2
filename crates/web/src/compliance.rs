//! Compliance and findings in the worker: runs `trailproof-analysis` over a loaded store and
//! turns its result into the compact views the Compliance and Findings tabs draw.

use std::collections::{HashMap, HashSet};
use std::io::SeekFrom;

use trailproof_analysis::coverage::Requirement;
use trailproof_analysis::finding::{AnomalyKind, BuiltinRule, RuleRef};
use trailproof_analysis::report::{AuditReport, InputFile, Observations, ReportInputs};
use trailproof_analysis::Cidr;
use trailproof_analysis::{Analysis, AnalysisOptions, Analyzer, SigmaRuleSet};
use trailproof_core::input::{self, Control, Limits};
use trailproof_core::report::Report;
use trailproof_core::tool::Tool;
use trailproof_events::EventStore;

use crate::engine::{rfc3339, Input};
use crate::protocol::{
    AnalysisSettings, AnalysisView, ExportFormat, FindingView, HeatmapView, Line,
};

/// The names an input must have to hold one of `paths`: an input's entries are the input
/// itself or paths under `name/` (containers), so only inputs that are a needed path or one of
/// its folder prefixes are re-read (with thousands of small files, re-reading all of them
/// would cost more than the rules).
fn roots<'a>(paths: impl Iterator<Item = &'a str>) -> HashSet<&'a str> {
    let mut roots: HashSet<&str> = HashSet::new();
    for path in paths {
        roots.insert(path);
        for (at, _) in path.match_indices('/') {
            roots.insert(&path[..at]);
        }
    }
    roots
}

/// Which of `inputs` (names) [`analyze`] will re-read, so a host can read them ahead.
pub fn inputs_needed(
    store: &EventStore,
    sigma: &SigmaRuleSet,
    options: &AnalysisOptions,
    inputs: &[&str],
) -> Vec<bool> {
    let analyzer = Analyzer::new(store, sigma, options);
    let plan = analyzer.plan();
    let roots = roots(plan.files_named.values().map(String::as_str));
    inputs.iter().map(|name| roots.contains(name)).collect()
}

/// Runs the analysis: rules first name the raw records they need (candidates only), which are
/// re-read in one pass per input; then every rule, detector and coverage check runs as of the
/// newest event, so the same inputs always give the same findings.
pub fn analyze(
    store: &EventStore,
    sigma: &SigmaRuleSet,
    report: &Report,
    inputs: &mut [Input<'_>],
    limits: &Limits,
    options: &AnalysisOptions,
) -> Analysis {
    let mut analyzer = Analyzer::new(store, sigma, options);
    let needed: HashMap<String, u32> = analyzer
        .plan()
        .files_named
        .iter()
        .map(|(f, p)| (p.clone(), *f))
        .collect();
    if !needed.is_empty() {
        let roots = roots(needed.keys().map(String::as_str));
        for input in inputs.iter_mut() {
            if !roots.contains(input.name.as_str()) {
                continue;
            }
            if input.source.seek(SeekFrom::Start(0)).is_err() {
                continue;
            }
            let name = input.name.clone();
            input::walk(&name, input.source, limits, &mut |entry| {
                if let Some(&file) = needed.get(entry.path) {
                    analyzer.load_file(file, entry.reader, limits);
                }
                Control::Continue
            });
        }
    }
    let as_of = store.time_span().map_or(0, |(_, newest)| newest);
    analyzer.finish((!report.items.is_empty()).then_some(report), as_of)
}

/// What the auditor adds to a report: the workpaper's observations and the id of the
/// requirement chosen in the Compliance tab (`req=`).
pub struct AuditorInput<'a> {
    /// The "Auditor's observations" (`None` without a workpaper).
    pub observations: Option<Observations>,
    /// The chosen requirement's id (`mlps`, `pci`, `hipaa`, `sox`, `custom`), if any.
    pub requirement: Option<&'a str>,
}

/// The auditor report in one of the report formats (`None` for event exports), stating the
/// build that made it (`tool`: version, commit and the binaries' measured hashes).
pub fn render(
    store: &EventStore,
    analysis: &Analysis,
    report: &Report,
    inputs: Vec<InputFile>,
    auditor: AuditorInput<'_>,
    format: ExportFormat,
    tool: &Tool,
) -> Option<String> {
    let mut report_inputs = ReportInputs::new(
        concat!("trailproof ", env!("CARGO_PKG_VERSION")),
        store,
        analysis,
    );
    report_inputs.inputs = inputs;
    report_inputs.build = Some(tool.clone());
    report_inputs.verification = (!report.items.is_empty()).then_some(report);
    let mut audit = AuditReport::build(&report_inputs);
    audit.observations = auditor.observations;
    if let Some(chosen) = auditor
        .requirement
        .and_then(|id| chosen_requirement(analysis, id))
    {
        audit.choose_requirement(chosen);
    }
    match format {
        ExportFormat::ReportHtml => Some(audit.to_html()),
        ExportFormat::ReportJson => Some(audit.to_json()),
        ExportFormat::FindingsCsv => Some(audit.findings_csv()),
        ExportFormat::Csv | ExportFormat::Json | ExportFormat::Proof => None,
    }
}

/// The analysis options for what the user set; refuses malformed CIDR ranges.
pub fn options(settings: &AnalysisSettings) -> Result<AnalysisOptions, String> {
    let mut options = AnalysisOptions::default();
    options.coverage.expected_regions = settings.expected_regions.clone();
    if let Some(days) = settings.custom_days.filter(|d| *d > 0) {
        options
            .coverage
            .requirements
            .push(Requirement::Custom { days });
    }
    options.rules.allow_actors = settings.allow_actors.clone();
    options.rules.allow_ips = settings
        .allow_ips
        .iter()
        .map(|ip| {
            ip.parse::<Cidr>()
                .map_err(|e| format!("allow-listed address {ip:?}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    options.rules.disabled = settings.disabled.iter().cloned().collect();
    Ok(options)
}

/// Every rule a user can switch: built-in detections and anomaly detectors.
fn rules(settings: &AnalysisSettings) -> Vec<(String, String, bool)> {
    let builtin = BuiltinRule::ALL.iter().map(|r| (r.id(), r.title()));
    let anomaly = AnomalyKind::ALL.iter().map(|k| (k.id(), k.title()));
    builtin
        .chain(anomaly)
        .map(|(id, title)| {
            (
                id.to_owned(),
                title.to_owned(),
                !settings.disabled.iter().any(|d| d == id),
            )
        })
        .collect()
}

/// The stable id of a requirement (the page's URL key; `Requirement::parse` reads the same
/// words for the presets).
pub fn requirement_id(r: Requirement) -> &'static str {
    match r {
        Requirement::Mlps2 => "mlps",
        Requirement::PciDss4 => "pci",
        Requirement::Hipaa => "hipaa",
        Requirement::Sox => "sox",
        Requirement::Custom { .. } => "custom",
    }
}

/// The requirement that the page's id (`req=`) names among those `analysis` judged: a preset,
/// or the custom one with the days the user set (`None` for an unknown id, or `custom` before
/// any days were given, so the report never names a choice it has no verdict for).
pub fn chosen_requirement(analysis: &Analysis, id: &str) -> Option<Requirement> {
    analysis
        .coverage
        .requirements
        .iter()
        .map(|r| r.requirement)
        .find(|&r| requirement_id(r) == id)
}

/// What the tabs show of an analysis run with `settings`.
pub fn view(a: &Analysis, settings: &AnalysisSettings) -> AnalysisView {
    let c = &a.coverage;
    let line = |id: &str, name: String, outcome: &str, reason: &str| Line {
        id: id.to_owned(),
        name,
        outcome: outcome.to_owned(),
        reason: reason.to_owned(),
    };
    let mut days: Vec<String> = Vec::new();
    if let (Ok(first), Ok(last)) = (
        c.heatmap.first_day.parse::<jiff::civil::Date>(),
        c.heatmap.last_day.parse::<jiff::civil::Date>(),
    ) {
        let mut d = first;
        // Bounded: more than ten years are not drawn day by day.
        while d <= last && days.len() < 3660 {
            days.push(d.to_string());
            match d.tomorrow() {
                Ok(next) => d = next,
                Err(_) => break,
            }
        }
    }
    let day_index: HashMap<&str, u32> = days
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i as u32))
        .collect();
    let region_index: HashMap<&str, u32> = c
        .heatmap
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i as u32))
        .collect();
    let cells = c
        .heatmap
        .cells
        .iter()
        .filter_map(|cell| {
            let day = *day_index.get(cell.day.as_str())?;
            let region = *region_index.get(cell.region.as_str())?;
            Some((day, region, cell.events, cell.gap, cell.failed))
        })
        .collect();
    let gaps = c
        .streams
        .iter()
        .flat_map(|s| {
            s.gaps.iter().map(move |g| {
                format!(
                    "{} {} {}: no events from {} to {}",
                    s.provider.as_str(),
                    s.account,
                    s.region,
                    rfc3339(g.start_ms),
                    rfc3339(g.end_ms)
                )
            })
        })
        .collect();
    AnalysisView {
        as_of_ms: a.as_of_ms,
        span_days: c.span_days,
        days_with_events: c.days_with_events,
        requirements: c
            .requirements
            .iter()
            .map(|r| {
                line(
                    requirement_id(r.requirement),
                    r.name.clone(),
                    r.outcome.as_str(),
                    &r.reason,
                )
            })
            .collect(),
        checks: c
            .checks
            .iter()
            .map(|r| line("", r.check.name().to_owned(), r.outcome.as_str(), &r.reason))
            .collect(),
        regions_seen: c.regions_seen.clone(),
        gaps,
        heatmap: HeatmapView {
            regions: c.heatmap.regions.clone(),
            days,
            cells,
        },
        findings: a
            .findings
            .iter()
            .map(|f| FindingView {
                level: f.level.as_str().to_owned(),
                title: f.rule.title().to_owned(),
                rule: f.rule.key(),
                author: match &f.rule {
                    RuleRef::Sigma { author, .. } => author.clone(),
                    _ => String::new(),
                },
                time_ms: f.time_ms,
                actor: f.actor.clone(),
                source_ip: f.source_ip.clone(),
                message: f.message.clone(),
                evidence: f.evidence.iter().map(|e| e.row as u32).collect(),
                evidence_ids: f
                    .evidence
                    .iter()
                    .map(|e| e.event_id.clone())
                    .filter(|id| !id.is_empty())
                    .collect(),
            })
            .collect(),
        findings_not_listed: a
            .findings_not_listed
            .iter()
            .map(|left| (left.rule.title().to_owned(), left.rule.key(), left.count))
            .collect(),
        rules: rules(settings),
        settings: settings.clone(),
        diagnostics: a
            .sigma_diagnostics
            .iter()
            .map(|d| format!("{d:?}"))
            .chain(a.diagnostics.iter().cloned())
            .collect(),
    }
}
