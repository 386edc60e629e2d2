//! Compliance and findings over audit events: retention coverage, built-in detections,
//! Sigma rules loaded at run time, anomalies, and the reproducible auditor report.
//!
//! The crate does no I/O and reads no clock: the "as of" time is passed in, so the same
//! inputs and the same as-of give the same bytes. Raw records (request parameters, MFA flags,
//! access keys) are not in the compact [`EventStore`]; an [`Analyzer`] first says which rows it
//! needs ([`Analyzer::plan`], candidates only: rules filter by action first), the host feeds
//! those files back ([`Analyzer::load_file`]), then [`Analyzer::finish`] runs everything.
//!
//! ```
//! use trailproof_analysis::{analyze_in_memory, AnalysisOptions, SigmaRuleSet};
//! use trailproof_analysis::finding::BuiltinRule;
//! use trailproof_analysis::report::{AuditReport, ReportInputs};
//! use trailproof_events::ingest::{Ingest, IngestOptions};
//!
//! let trail = br#"{"Records":[
//!   {"eventVersion":"1.09","eventTime":"2024-05-01T09:00:00Z","eventSource":"cloudtrail.amazonaws.com",
//!    "eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",
//!    "userIdentity":{"type":"IAMUser","userName":"mallory"},"readOnly":false,
//!    "eventID":"e1","recipientAccountId":"111122223333"},
//!   {"eventVersion":"1.09","eventTime":"2024-05-01T09:05:00Z","eventSource":"signin.amazonaws.com",
//!    "eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",
//!    "userIdentity":{"type":"IAMUser","userName":"mallory"},"eventID":"e2",
//!    "responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},
//!    "recipientAccountId":"111122223333"}
//! ]}"#;
//! let mut ingest = Ingest::new(IngestOptions::default());
//! ingest.add_file("trail.json", &mut &trail[..]);
//! let store = ingest.finish();
//!
//! // A Sigma rule loaded at run time, in CloudTrail's own field names.
//! let mut sigma = SigmaRuleSet::new();
//! sigma.load("stop.yml", "title: Trail stopped\nid: 0b1c\nauthor: Example\nlevel: high\n\
//!     logsource: {product: aws, service: cloudtrail}\n\
//!     detection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n");
//! assert!(sigma.diagnostics().is_empty());
//!
//! let as_of = store.time_span().unwrap().1; // the newest event: reproducible
//! let files = [("trail.json", &trail[..])];
//! let analysis = analyze_in_memory(&store, &sigma, &AnalysisOptions::default(), None, as_of, &files);
//! let rules: Vec<String> = analysis.findings.iter().map(|f| f.rule.key()).collect();
//! assert!(rules.contains(&BuiltinRule::LoggingTampered.id().to_string()));
//! assert!(rules.contains(&BuiltinRule::ConsoleLogonWithoutMfa.id().to_string()));
//! assert!(rules.contains(&"sigma:0b1c".to_string()));
//!
//! let report = AuditReport::build(&ReportInputs::new("0.1.0", &store, &analysis));
//! let html = report.to_html();
//! assert!(html.starts_with("<!DOCTYPE html>") && !html.contains("<script"));
//! assert_eq!(html, AuditReport::build(&ReportInputs::new("0.1.0", &store, &analysis)).to_html());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use serde::{Deserialize, Serialize};
use trailproof_core::input::Limits;
use trailproof_core::report::Report;
use trailproof_events::{EventStore, Field};

pub mod anomaly;
pub mod config;
pub mod coverage;
pub mod finding;
pub mod records;
pub mod report;
mod rules;
pub mod sigma;

pub use config::{AnomalyConfig, BusinessHours, Cidr, RuleConfig};
pub use coverage::{Coverage, CoverageOptions, Requirement};
pub use finding::{Finding, Level};
pub use records::{RawPlan, RawRecords};
pub use sigma::{SigmaDiagnostic, SigmaRuleSet};

/// Everything an analysis can be told (JSON with every member optional).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisOptions {
    /// Rule switches, allow-lists and parameters.
    pub rules: RuleConfig,
    /// Coverage and retention settings.
    pub coverage: CoverageOptions,
}

/// The result of an analysis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    /// The "as of" time the analysis was run for, epoch ms.
    pub as_of_ms: i64,
    /// Retention and coverage.
    pub coverage: Coverage,
    /// Findings, in time order (then rule, then evidence): at most
    /// [`finding::FINDINGS_PER_RULE`] of each rule, the earliest.
    pub findings: Vec<Finding>,
    /// The rules that had more findings than are listed, and how many more (by rule key).
    pub findings_not_listed: Vec<finding::NotListed>,
    /// Problems loading Sigma rules.
    pub sigma_diagnostics: Vec<SigmaDiagnostic>,
    /// Other remarks (time zone not found, raw records that could not be re-read).
    pub diagnostics: Vec<String>,
    /// Events left out of every rule by the allow-lists.
    pub allow_listed_events: u64,
}

/// A two-phase analysis: construct, feed the raw records it asks for, finish.
pub struct Analyzer<'a> {
    store: &'a EventStore,
    /// The rules, loaded again when the settings give `expand` placeholders other values.
    sigma: Cow<'a, SigmaRuleSet>,
    options: &'a AnalysisOptions,
    rows: Vec<usize>,
    allow_listed: u64,
    /// Sigma rule index → rows matched on the normalized columns alone.
    matched: BTreeMap<usize, BTreeSet<usize>>,
    /// (rule, row) pairs the normalized columns could not decide.
    undecided: Vec<(usize, usize)>,
    /// What was read back.
    raw: RawRecords,
}

impl<'a> Analyzer<'a> {
    /// Prepares an analysis of `store`: applies the allow-lists, evaluates Sigma rules on the
    /// normalized columns, and works out which raw records are needed.
    pub fn new(
        store: &'a EventStore,
        sigma: &'a SigmaRuleSet,
        options: &'a AnalysisOptions,
    ) -> Analyzer<'a> {
        let cfg = &options.rules;
        let sigma = match sigma.reloaded_with(&cfg.sigma_placeholders) {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(sigma),
        };
        let mut rows = Vec::with_capacity(store.len());
        let mut allow_listed = 0;
        for row in 0..store.len() {
            if !cfg.allow_actors.is_empty() || !cfg.allow_ips.is_empty() {
                let a = store.text(row, Field::Actor);
                let id = store.text(row, Field::ActorId);
                let ip = store.text(row, Field::SourceIp);
                if cfg.allowed(&a, &id, &ip) {
                    allow_listed += 1;
                    continue;
                }
            }
            rows.push(row);
        }
        let mut want_record = BTreeSet::new();
        let mut matched: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        let mut undecided = Vec::new();
        // Rules a correlation counts are evaluated even when switched off on their own; those
        // whose correlation groups by fields need their raw records for the group values.
        let (counted, correlated) = sigma.correlation_needs();
        let live: Vec<usize> = (0..sigma.rules().len())
            .filter(|&i| counted.contains(&i) || r_enabled(cfg, &sigma.rules()[i]))
            .collect();
        for &row in &rows {
            if rules::wants_raw(store, row, cfg) {
                want_record.insert(row);
            }
            for &ri in &live {
                match sigma.rules()[ri].eval_normalized(store, row) {
                    sigma::Tri::True => {
                        matched.entry(ri).or_default().insert(row);
                        if correlated.contains(&ri) {
                            want_record.insert(row);
                        }
                    }
                    sigma::Tri::Unknown => {
                        undecided.push((ri, row));
                        want_record.insert(row);
                    }
                    sigma::Tri::False => {}
                }
            }
        }
        // Access keys are a column of the store: no record is re-read for its key alone.
        let mut plan = RawPlan::default();
        for &row in &want_record {
            let raw = store.raw(row);
            plan.files.entry(raw.file).or_default().push((row, raw));
        }
        for reqs in plan.files.values_mut() {
            reqs.sort_by_key(|(row, raw)| (raw.offset, *row));
        }
        plan.files_named = plan
            .files
            .keys()
            .map(|&f| {
                (
                    f,
                    store.files().get(f as usize).cloned().unwrap_or_default(),
                )
            })
            .collect();
        Analyzer {
            store,
            sigma,
            options,
            rows,
            allow_listed,
            matched,
            undecided,
            raw: RawRecords::new(plan),
        }
    }

    /// The raw records needed, per file index (paths in [`EventStore::files`]).
    pub fn plan(&self) -> &RawPlan {
        self.raw.plan()
    }

    /// Gives the raw bytes of `row`'s record (as [`trailproof_events::ingest::read_raw`] or
    /// [`records::extract_records`] return them).
    pub fn add_raw(&mut self, row: usize, bytes: &[u8]) {
        self.raw.add(row, bytes);
    }

    /// Reads the planned records of file `file` from `reader` (its stored bytes, plain or
    /// gzip) in one pass.
    pub fn load_file(&mut self, file: u32, reader: &mut dyn Read, limits: &Limits) {
        self.raw.load_file(file, reader, limits);
    }

    /// Uses raw records collected separately (a host that reads files asynchronously takes
    /// [`Analyzer::plan`], fills a [`RawRecords`] over several steps, then comes back with a
    /// new `Analyzer` for the same store, rules and options).
    pub fn with_raw(mut self, raw: RawRecords) -> Self {
        self.raw = raw;
        self
    }

    /// Runs every enabled rule, detector and coverage check as of `as_of_ms`, with per-file
    /// verification statuses from `verification` when given.
    pub fn finish(mut self, verification: Option<&Report>, as_of_ms: i64) -> Analysis {
        let cfg = &self.options.rules;
        let mut diagnostics = Vec::new();
        let mut unread = BTreeSet::new();
        for &(ri, row) in &self.undecided {
            match self.raw.records.get(&row) {
                Some(rec) => {
                    if self.sigma.rules()[ri].eval_raw(self.store.provider(row), rec) {
                        self.matched.entry(ri).or_default().insert(row);
                    }
                }
                None => {
                    unread.insert(row);
                }
            }
        }
        if !unread.is_empty() {
            diagnostics.push(format!(
                "{} candidate events could not be re-read; Sigma rules needing their raw fields were not evaluated on them",
                unread.len()
            ));
        }
        let missing_builtin = self
            .raw
            .plan
            .requested()
            .filter(|r| !self.raw.records.contains_key(r) && rules::wants_raw(self.store, *r, cfg))
            .count();
        if missing_builtin > 0 {
            diagnostics.push(format!(
                "{missing_builtin} events needed by built-in rules (logons, network rules) could not be re-read; MFA, failure and CIDR checks were skipped for them"
            ));
        }
        diagnostics.append(&mut self.raw.errors);
        // Listed as they are produced: a rule holds its listed findings, not one per event.
        let mut findings = finding::Listing::new(finding::FINDINGS_PER_RULE);
        rules::run(
            self.store,
            &self.rows,
            &self.raw.records,
            cfg,
            &mut diagnostics,
            &mut findings,
        );
        let enabled = |k: &str| cfg.enabled(k);
        findings.extend(sigma::findings(
            &self.sigma,
            self.store,
            &self.matched,
            &self.raw.records,
            &enabled,
        ));
        anomaly::run(
            self.store,
            &self.rows,
            &cfg.anomaly,
            &enabled,
            &mut findings,
        );
        if cfg.enabled(finding::BuiltinRule::ConflictingDuplicate.id()) {
            findings.extend(finding::conflicting_duplicates(self.store));
        }
        let (findings, findings_not_listed) = findings.finish();
        let coverage =
            coverage::coverage(self.store, verification, &self.options.coverage, as_of_ms);
        Analysis {
            as_of_ms,
            coverage,
            findings,
            findings_not_listed,
            sigma_diagnostics: self.sigma.diagnostics(),
            diagnostics,
            allow_listed_events: self.allow_listed,
        }
    }
}

fn r_enabled(cfg: &RuleConfig, r: &sigma::SigmaRule) -> bool {
    cfg.enabled(&r.rule_ref().key())
}

/// Runs a whole analysis over files held in memory (`(path, stored bytes)`, paths as the store
/// names them). For tests, small inputs and hosts that have the bytes anyway.
pub fn analyze_in_memory(
    store: &EventStore,
    sigma: &SigmaRuleSet,
    options: &AnalysisOptions,
    verification: Option<&Report>,
    as_of_ms: i64,
    files: &[(&str, &[u8])],
) -> Analysis {
    let mut analyzer = Analyzer::new(store, sigma, options);
    let limits = Limits::default();
    let wanted: Vec<u32> = analyzer.plan().files.keys().copied().collect();
    for file in wanted {
        let Some(path) = store.files().get(file as usize) else {
            continue;
        };
        if let Some((_, bytes)) = files.iter().find(|(p, _)| p == path) {
            let mut r: &[u8] = bytes;
            analyzer.load_file(file, &mut r, &limits);
        }
    }
    analyzer.finish(verification, as_of_ms)
}
