//! The auditor report: one serialisable [`AuditReport`] rendered as a self-contained HTML
//! document (inline CSS with print rules, no script, no outside reference), as JSON, and the
//! findings as CSV.
//!
//! Reproducible by construction: everything is sorted, times are the injected as-of and event
//! times, numbers are printed by fixed rules; the same inputs and as-of give the same bytes.

use std::fmt::Write;

use serde::Serialize;
use trailproof_core::report::{Counts, Coverage as Integrity, KeyUse, Report, Status, Verdict};
use trailproof_core::tool::Tool;
use trailproof_events::time::format_rfc3339;
use trailproof_events::{EventStore, Field};

use crate::coverage::{Coverage, Outcome, Requirement, RequirementResult};
use crate::finding::{Finding, Level, RuleRef};
use crate::sigma::SigmaDiagnostic;
use crate::Analysis;

/// One input file as given to the tool.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct InputFile {
    /// Its name (path relative to the input it was found under).
    pub name: String,
    /// Stored bytes.
    pub size: u64,
    /// SHA-256 of the stored bytes, lowercase hex.
    pub sha256: String,
}

/// A public key used for verification.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct KeyUsed {
    /// Fingerprint (CloudTrail: hex MD5 of the DER, as the digests name keys).
    pub fingerprint: String,
    /// Where it came from (an input path, or `built-in`).
    pub source: String,
    /// Start of the key's validity (ISO-8601 UTC), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// End of the key's validity (ISO-8601 UTC), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    /// How many digests (or checkpoints) its signatures verified; `None` when the key was
    /// only supplied and the verifier did not say what it verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<u64>,
}

impl KeyUsed {
    /// A supplied key of which only the fingerprint and source are known.
    pub fn supplied(fingerprint: impl Into<String>, source: impl Into<String>) -> KeyUsed {
        KeyUsed {
            fingerprint: fingerprint.into(),
            source: source.into(),
            valid_from: None,
            valid_to: None,
            verified: None,
        }
    }
}

impl From<&KeyUse> for KeyUsed {
    fn from(k: &KeyUse) -> KeyUsed {
        KeyUsed {
            fingerprint: k.fingerprint.clone(),
            source: k.source.clone(),
            valid_from: k.valid_from.clone(),
            valid_to: k.valid_to.clone(),
            verified: Some(k.verified),
        }
    }
}

/// What the report is built from.
pub struct ReportInputs<'a> {
    /// Tool name and version, e.g. `trailproof 0.1.0`.
    pub tool_version: &'a str,
    /// The build that made the report (version, commit and, in the browser, the wasm
    /// binaries' hashes); hosts always set it, `None` only in tests of other parts.
    pub build: Option<Tool>,
    /// The input files.
    pub inputs: Vec<InputFile>,
    /// Keys supplied, for hosts whose verification report does not list its keys: used only
    /// when `verification` has no [`Report::keys`].
    pub keys: Vec<KeyUsed>,
    /// The digest-chain verification report, when verification ran.
    pub verification: Option<&'a Report>,
    /// The events.
    pub store: &'a EventStore,
    /// The analysis.
    pub analysis: &'a Analysis,
}

impl<'a> ReportInputs<'a> {
    /// Inputs with no files, keys or verification listed.
    pub fn new(tool_version: &'a str, store: &'a EventStore, analysis: &'a Analysis) -> Self {
        ReportInputs {
            tool_version,
            build: None,
            inputs: Vec::new(),
            keys: Vec::new(),
            verification: None,
            store,
            analysis,
        }
    }
}

/// A problem found by verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file.
    pub path: String,
    /// Its status.
    pub status: Status,
    /// The reason's contract name.
    pub reason: String,
    /// The verifier's sentence.
    pub message: String,
}

/// The verification part of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerificationSummary {
    /// The verdict.
    pub verdict: Verdict,
    /// Items per status.
    pub counts: Counts,
    /// Chains verified.
    pub chains: usize,
    /// Items that are not valid.
    pub problems: Vec<Problem>,
    /// Chain restarts (`start..end: message`).
    pub gaps: Vec<String>,
}

/// One evidence event, with the fields an auditor reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceEvent {
    /// Row in the store (timeline link).
    pub row: usize,
    /// RFC 3339 time.
    pub time: String,
    /// Provider.
    pub provider: String,
    /// Account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Action.
    pub action: String,
    /// Actor.
    pub actor: String,
    /// Source IP.
    pub source_ip: String,
    /// `success` or the error code.
    pub outcome: String,
    /// Event ID.
    pub event_id: String,
    /// The file it came from.
    pub file: String,
    /// Its integrity state (`verified`, `unverified`, `failed`, `unprotected`).
    pub integrity: String,
}

/// A finding with its evidence events spelt out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportFinding {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// Its evidence events (at most [`MAX_EVIDENCE_SHOWN`]).
    pub events: Vec<EvidenceEvent>,
}

/// Evidence events spelt out per finding in the report (all rows stay in `evidence`).
pub const MAX_EVIDENCE_SHOWN: usize = 20;

/// The whole auditor report, in the order an auditor reads it (the HTML sections and the
/// JSON keys alike): what was analysed and the summary figures, then the problems and the
/// verification (files that did not verify, events' integrity, files with conflicting
/// records, keys that verified), then compliance (coverage and retention), the findings, the
/// auditor's observations, the diagnostics, and the input files with their hashes last.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditReport {
    /// Tool and version.
    pub tool: String,
    /// The build of Trailproof that made the report: version, source commit and, from the
    /// browser, the SHA-256 of the WebAssembly binaries that ran (`docs/reproducible.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Tool>,
    /// The as-of time (RFC 3339): the report's time.
    pub as_of: String,
    /// Events analysed.
    pub events: u64,
    /// Events left out by the allow-lists.
    pub allow_listed_events: u64,
    /// How many events are verified, unverified, failed or unprotected.
    pub integrity: Integrity,
    /// Verification, when it ran.
    pub verification: Option<VerificationSummary>,
    /// Files holding conflicting versions of an event, sorted by path.
    pub conflicting_files: Vec<ConflictFile>,
    /// Keys used, sorted.
    pub keys: Vec<KeyUsed>,
    /// The retention requirement the auditor chose as the one that applies (set after
    /// [`AuditReport::build`] by [`AuditReport::choose_requirement`]; absent from the JSON
    /// when none was chosen, and then every verdict in `coverage.requirements` stands alone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen_requirement: Option<Requirement>,
    /// Coverage and retention.
    pub coverage: Coverage,
    /// Findings: at most [`crate::finding::FINDINGS_PER_RULE`] of each rule, the earliest.
    pub findings: Vec<ReportFinding>,
    /// Rules with more findings than are listed, and how many more (absent from the JSON when
    /// every finding is listed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings_not_listed: Vec<crate::finding::NotListed>,
    /// The auditor's own observations, when the host keeps a workpaper (set after
    /// [`AuditReport::build`]; absent from the JSON when there are none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observations: Option<Observations>,
    /// Sigma loading problems.
    pub sigma_diagnostics: Vec<SigmaDiagnostic>,
    /// Other remarks.
    pub diagnostics: Vec<String>,
    /// Input files, sorted by name.
    pub inputs: Vec<InputFile>,
}

/// The auditor's observations: a note on the engagement and the events they flagged, tagged
/// or annotated, each with its evidence row and integrity state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Observations {
    /// The note on the whole engagement.
    pub note: String,
    /// Observed events, in time order.
    pub events: Vec<Observation>,
}

/// One event the auditor marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// Where its raw record is (`file#offset+len`), as the workpaper names it.
    pub reference: String,
    /// Flagged (starred).
    pub flagged: bool,
    /// Tags.
    pub tags: Vec<String>,
    /// The auditor's note.
    pub note: String,
    /// The event with its integrity state; `None` when the loaded inputs do not hold it.
    pub event: Option<EvidenceEvent>,
}

impl EvidenceEvent {
    /// The evidence row for store row `row` (which must exist).
    pub fn of(store: &EventStore, row: usize) -> EvidenceEvent {
        evidence_event(store, row)
    }
}

fn evidence_event(store: &EventStore, row: usize) -> EvidenceEvent {
    let t = |f| store.text(row, f);
    EvidenceEvent {
        row,
        time: t(Field::Time),
        provider: t(Field::Provider),
        account: t(Field::Account),
        region: t(Field::Region),
        action: t(Field::Action),
        actor: t(Field::Actor),
        source_ip: t(Field::SourceIp),
        outcome: if store.failed(row) {
            let c = t(Field::ErrorCode);
            if c.is_empty() {
                "error".into()
            } else {
                c
            }
        } else {
            "success".into()
        },
        event_id: t(Field::EventId),
        file: t(Field::File),
        integrity: t(Field::Integrity),
    }
}

/// Files holding conflicting versions of an event, with how many such rows each holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConflictFile {
    /// The file.
    pub path: String,
    /// Rows in it that conflict with a record of the same event ID elsewhere.
    pub conflicts: u64,
}

impl AuditReport {
    /// Assembles the report (sorted, deterministic).
    pub fn build(inputs: &ReportInputs<'_>) -> AuditReport {
        let a = inputs.analysis;
        let mut files = inputs.inputs.clone();
        files.sort();
        let mut keys: Vec<KeyUsed> = match inputs.verification {
            Some(r) if !r.keys.is_empty() => r.keys.iter().map(KeyUsed::from).collect(),
            _ => inputs.keys.clone(),
        };
        keys.sort();
        keys.dedup();
        let verification = inputs.verification.map(|r| {
            let mut problems: Vec<Problem> = r
                .problems()
                .map(|i| Problem {
                    path: i.path.clone(),
                    status: i.status,
                    reason: i.reason.map(|x| x.as_str().to_string()).unwrap_or_default(),
                    message: i.message.clone(),
                })
                .collect();
            problems.sort_by(|x, y| {
                (x.status, &x.path, &x.message).cmp(&(y.status, &y.path, &y.message))
            });
            let mut gaps: Vec<String> = r
                .gaps
                .iter()
                .map(|g| format!("{}..{} ({}): {}", g.start, g.end, g.chain, g.message))
                .collect();
            gaps.sort();
            VerificationSummary {
                verdict: r.verdict,
                counts: r.counts,
                chains: r.chains.len(),
                problems,
                gaps,
            }
        });
        let findings = a
            .findings
            .iter()
            .map(|f| ReportFinding {
                finding: f.clone(),
                events: f
                    .evidence
                    .iter()
                    .take(MAX_EVIDENCE_SHOWN)
                    .filter(|e| e.row < inputs.store.len())
                    .map(|e| evidence_event(inputs.store, e.row))
                    .collect(),
            })
            .collect();
        let store = inputs.store;
        let mut conflicting_files: Vec<ConflictFile> = (0..store.files().len() as u32)
            .filter(|&f| store.conflicts_in_file(f) > 0)
            .map(|f| ConflictFile {
                path: store.files()[f as usize].clone(),
                conflicts: store.conflicts_in_file(f),
            })
            .collect();
        conflicting_files.sort_by(|a, b| a.path.cmp(&b.path));
        AuditReport {
            tool: inputs.tool_version.to_string(),
            build: inputs.build.clone(),
            as_of: format_rfc3339(a.as_of_ms),
            events: inputs.store.len() as u64,
            allow_listed_events: a.allow_listed_events,
            integrity: store.coverage(),
            verification,
            conflicting_files,
            keys,
            chosen_requirement: None,
            coverage: a.coverage.clone(),
            findings,
            findings_not_listed: a.findings_not_listed.clone(),
            sigma_diagnostics: a.sigma_diagnostics.clone(),
            diagnostics: a.diagnostics.clone(),
            observations: None,
            inputs: files,
        }
    }

    /// Records that the auditor chose `requirement` as the one that applies: the report then
    /// names it and gives its verdict before the others'. Returns `false`, and records
    /// nothing, when the analysis did not judge it (a custom requirement with other days):
    /// a report never names a choice whose verdict it cannot show.
    pub fn choose_requirement(&mut self, requirement: Requirement) -> bool {
        let judged = self
            .coverage
            .requirements
            .iter()
            .any(|r| r.requirement == requirement);
        if judged {
            self.chosen_requirement = Some(requirement);
        }
        judged
    }

    /// The chosen requirement's verdict (when one was chosen), then the others' in the
    /// analysis's order.
    fn requirements_in_order(&self) -> (Option<&RequirementResult>, Vec<&RequirementResult>) {
        let chosen = self.chosen_requirement.and_then(|c| {
            self.coverage
                .requirements
                .iter()
                .find(|r| r.requirement == c)
        });
        let others = self
            .coverage
            .requirements
            .iter()
            .filter(|r| Some(r.requirement) != self.chosen_requirement)
            .collect();
        (chosen, others)
    }

    /// Writes [`AuditReport::to_json`] to `out` as it is made (a report with tens of
    /// thousands of findings is a JSON text of a hundred megabytes: the CLI need not hold it).
    pub fn write_json<W: std::io::Write>(&self, mut out: W) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut out, self).map_err(std::io::Error::from)?;
        out.write_all(b"\n")
    }

    /// The report as pretty JSON (ends with a newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()));
        s.push('\n');
        s
    }

    /// The findings as CSV with a header row. Cells starting with `=`, `+`, `-` or `@` are
    /// prefixed with `'` so spreadsheets do not run them as formulas.
    pub fn findings_csv(&self) -> String {
        let mut out = String::from("time,level,rule,title,author,provider,account,actor,source_ip,message,evidence_rows,evidence_event_ids,evidence_integrity\r\n");
        for f in &self.findings {
            let f2 = &f.finding;
            let author = match &f2.rule {
                RuleRef::Sigma { author, .. } => author.clone(),
                _ => String::new(),
            };
            let rows: Vec<String> = f2.evidence.iter().map(|e| e.row.to_string()).collect();
            let ids: Vec<&str> = f2.evidence.iter().map(|e| e.event_id.as_str()).collect();
            let integrity: Vec<&str> = f2.evidence.iter().map(|e| e.integrity.as_str()).collect();
            let cells = [
                format_rfc3339(f2.time_ms),
                f2.level.as_str().to_string(),
                f2.rule.key(),
                f2.rule.title().to_string(),
                author,
                f2.provider.as_str().to_string(),
                f2.account.clone(),
                f2.actor.clone(),
                f2.source_ip.clone(),
                f2.message.clone(),
                rows.join(" "),
                ids.join(" "),
                integrity.join(" "),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// The self-contained HTML document.
    pub fn to_html(&self) -> String {
        let mut h = String::with_capacity(64 * 1024);
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(
            h,
            "<title>Audit trail report as of {}</title>",
            esc(&self.as_of)
        );
        h.push_str("<style>\n");
        h.push_str(CSS);
        h.push_str("</style>\n</head>\n<body>\n");
        let _ = writeln!(h, "<header><h1>Audit trail report</h1><p class=\"meta\">As of <b>{}</b> &middot; {} &middot; {} events</p></header>", esc(&self.as_of), esc(&self.tool), self.events);

        // Summary.
        h.push_str("<section><h2>Summary</h2><table class=\"kv\">\n");
        let verdict = match &self.verification {
            Some(v) => format!("<span class=\"v-{0}\">{0}</span>", v.verdict.as_str()),
            None => "not run".into(),
        };
        let _ = writeln!(h, "<tr><th>Verification</th><td>{verdict}</td></tr>");
        let _ = writeln!(
            h,
            "<tr><th>Event integrity</th><td>{}</td></tr>",
            esc(&integrity_sentence(&self.integrity))
        );
        let (chosen, others) = self.requirements_in_order();
        let met = |rs: &[&RequirementResult]| {
            let fail = rs.iter().filter(|r| r.outcome == Outcome::Fail).count();
            format!("{} met, {} not met", rs.len() - fail, fail)
        };
        match chosen {
            Some(c) => {
                let _ = writeln!(
                    h,
                    "<tr><th>Retention requirement</th><td class=\"chosen-requirement\">{} (chosen by the auditor): <span class=\"o-{1}\">{1}</span>; other requirements: {2}</td></tr>",
                    esc(&c.name),
                    c.outcome.as_str(),
                    met(&others)
                );
            }
            None => {
                let _ = writeln!(
                    h,
                    "<tr><th>Retention requirements</th><td class=\"chosen-requirement\">No requirement chosen: all listed; {}</td></tr>",
                    met(&others)
                );
            }
        }
        let by_level = |l: Level| {
            self.findings
                .iter()
                .filter(|f| f.finding.level == l)
                .count()
        };
        let _ = writeln!(
            h,
            "<tr><th>Findings</th><td>{} critical, {} high, {} medium, {} low, {} informational</td></tr>",
            by_level(Level::Critical), by_level(Level::High), by_level(Level::Medium), by_level(Level::Low), by_level(Level::Informational)
        );
        let span = match (self.coverage.first_ms, self.coverage.last_ms) {
            (Some(a), Some(b)) => {
                format!("{} to {}", esc(&format_rfc3339(a)), esc(&format_rfc3339(b)))
            }
            _ => "no events".into(),
        };
        let _ = writeln!(
            h,
            "<tr><th>Events cover</th><td>{span} ({} days with events of {})</td></tr>",
            self.coverage.days_with_events, self.coverage.span_days
        );
        if self.allow_listed_events > 0 {
            let _ = writeln!(
                h,
                "<tr><th>Allow-listed</th><td>{} events were left out of the rules</td></tr>",
                self.allow_listed_events
            );
        }
        h.push_str("</table></section>\n");

        self.problems_html(&mut h);

        // Verification.
        h.push_str("<section><h2>Verification</h2>\n");
        match &self.verification {
            None => h.push_str("<p>Digest-chain verification was not run.</p>\n"),
            Some(v) => {
                let c = &v.counts;
                let _ = writeln!(
                    h,
                    "<p>Verdict: <span class=\"v-{0}\">{0}</span> &middot; {1} chain(s): {2} valid, {3} invalid, {4} missing, {5} unverifiable, {6} unreferenced.</p>",
                    v.verdict.as_str(), v.chains, c.valid, c.invalid, c.missing, c.unverifiable, c.unreferenced
                );
                if !v.problems.is_empty() {
                    let _ = writeln!(
                        h,
                        "<p>{} file(s) did not verify: see Problems above.</p>",
                        v.problems.len()
                    );
                }
                for g in &v.gaps {
                    let _ = writeln!(h, "<p class=\"note\">Chain gap: {}</p>", esc(g));
                }
            }
        }
        let _ = writeln!(h, "<h3>Keys used ({})</h3>", self.keys.len());
        if self.keys.is_empty() {
            h.push_str(
                "<p>No key verified a signature (none was supplied, or none matched a digest; the built-in Huawei CTS key is tried for CTS chains).</p>\n",
            );
        } else {
            h.push_str(
                "<table><thead><tr><th>Fingerprint</th><th>Source</th><th>Valid</th><th class=\"n\">Verified</th></tr></thead><tbody>\n",
            );
            for k in &self.keys {
                let valid = match (&k.valid_from, &k.valid_to) {
                    (None, None) => String::new(),
                    (a, b) => format!(
                        "{} to {}",
                        a.as_deref().unwrap_or("…"),
                        b.as_deref().unwrap_or("…")
                    ),
                };
                let _ = writeln!(
                    h,
                    "<tr><td class=\"hash\">{}</td><td class=\"path\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    esc(&k.fingerprint),
                    esc(&k.source),
                    esc(&valid),
                    k.verified.map(|n| n.to_string()).unwrap_or_default()
                );
            }
            h.push_str("</tbody></table>\n");
        }
        h.push_str("</section>\n");

        // Retention.
        h.push_str("<section><h2>Retention and coverage</h2>\n");
        let (chosen, others) = self.requirements_in_order();
        match chosen {
            Some(c) => {
                let _ = writeln!(
                    h,
                    "<p class=\"chosen-requirement\">Requirement that applies, as chosen by the auditor: <b>{}</b>: <span class=\"o-{1}\">{1}</span>. {2}</p>",
                    esc(&c.name),
                    c.outcome.as_str(),
                    esc(&c.reason)
                );
            }
            None => h.push_str(
                "<p class=\"chosen-requirement\">No requirement chosen: all listed.</p>\n",
            ),
        }
        h.push_str("<table><thead><tr><th>Requirement</th><th>Result</th><th>Reason</th></tr></thead><tbody>\n");
        for (r, class) in chosen
            .map(|c| (c, " class=\"chosen\""))
            .into_iter()
            .chain(others.into_iter().map(|r| (r, "")))
        {
            let _ = writeln!(
                h,
                "<tr{class}><td>{}</td><td class=\"o-{1}\">{1}</td><td>{2}</td></tr>",
                esc(&r.name),
                r.outcome.as_str(),
                esc(&r.reason)
            );
        }
        for c in &self.coverage.checks {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"o-{1}\">{1}</td><td>{2}</td></tr>",
                esc(c.check.name()),
                outcome_class(c.outcome),
                esc(&c.reason)
            );
        }
        h.push_str("</tbody></table>\n");
        h.push_str("<table><thead><tr><th>Provider</th><th>Account</th><th>Region</th><th class=\"n\">Events</th><th>First</th><th>Last</th><th class=\"n\">Days</th><th class=\"n\">Gaps</th></tr></thead><tbody>\n");
        for s in &self.coverage.streams {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                s.provider.as_str(), esc(&s.account), esc(&s.region), s.events, esc(&format_rfc3339(s.first_ms)), esc(&format_rfc3339(s.last_ms)), s.days_with_events, s.gaps.len()
            );
        }
        h.push_str("</tbody></table>\n");
        self.heatmap_html(&mut h);
        h.push_str("</section>\n");

        // Findings.
        let _ = writeln!(h, "<section><h2>Findings ({})</h2>", self.findings.len());
        if self.findings.is_empty() {
            h.push_str("<p>No findings.</p>\n");
        }
        for left in &self.findings_not_listed {
            let _ = writeln!(
                h,
                "<p class=\"note\">Not listed: {} more findings of {} (<code>{}</code>); the first {} of each rule are listed, in time order.</p>",
                left.count,
                esc(left.rule.title()),
                esc(&left.rule.key()),
                crate::finding::FINDINGS_PER_RULE
            );
        }
        for (n, f) in self.findings.iter().enumerate() {
            let fi = &f.finding;
            let _ = writeln!(h, "<article class=\"finding l-{}\">", fi.level.as_str());
            let _ = writeln!(
                h,
                "<h3><span class=\"lvl\">{}</span> {}</h3>",
                fi.level.as_str(),
                esc(fi.rule.title())
            );
            let _ = writeln!(h, "<p>{}</p>", esc(&fi.message));
            let mut meta = format!(
                "#{} &middot; {} &middot; rule <code>{}</code>",
                n + 1,
                esc(&format_rfc3339(fi.time_ms)),
                esc(&fi.rule.key())
            );
            if let RuleRef::Sigma { author, source, .. } = &fi.rule {
                let _ = write!(
                    meta,
                    " &middot; Sigma rule by {} ({})",
                    esc(if author.is_empty() {
                        "unknown author"
                    } else {
                        author
                    }),
                    esc(source)
                );
            }
            let _ = writeln!(h, "<p class=\"meta\">{meta}</p>");
            if !f.events.is_empty() {
                h.push_str("<table class=\"ev\"><thead><tr><th>Row</th><th>Time</th><th>Provider</th><th>Account</th><th>Region</th><th>Action</th><th>Actor</th><th>Source IP</th><th>Outcome</th><th>Event ID</th><th>Integrity</th></tr></thead><tbody>\n");
                for e in &f.events {
                    let _ = writeln!(
                        h,
                        "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"hash\">{}</td><td class=\"i-{10}\">{10}</td></tr>",
                        e.row, esc(&e.time), esc(&e.provider), esc(&e.account), esc(&e.region), esc(&e.action), esc(&e.actor), esc(&e.source_ip), esc(&e.outcome), esc(&e.event_id), esc(&e.integrity)
                    );
                }
                h.push_str("</tbody></table>\n");
                if fi.evidence.len() > f.events.len() {
                    let _ = writeln!(
                        h,
                        "<p class=\"note\">{} more evidence events (rows in the JSON report).</p>",
                        fi.evidence.len() - f.events.len()
                    );
                }
            }
            h.push_str("</article>\n");
        }
        h.push_str("</section>\n");

        if let Some(o) = &self.observations {
            o.html(&mut h);
        }

        if !self.sigma_diagnostics.is_empty() || !self.diagnostics.is_empty() {
            h.push_str("<section><h2>Notes</h2><ul>\n");
            for d in &self.sigma_diagnostics {
                let _ = writeln!(h, "<li>{}</li>", esc(&d.message()));
            }
            for d in &self.diagnostics {
                let _ = writeln!(h, "<li>{}</li>", esc(d));
            }
            h.push_str("</ul></section>\n");
        }
        // Inputs with their hashes: last, as an appendix.
        let _ = writeln!(h, "<section><h2>Inputs ({})</h2>", self.inputs.len());
        if self.inputs.is_empty() {
            h.push_str("<p>None listed.</p>\n");
        } else {
            h.push_str("<table><thead><tr><th>File</th><th class=\"n\">Bytes</th><th>SHA-256</th></tr></thead><tbody>\n");
            for i in &self.inputs {
                let _ = writeln!(h, "<tr><td class=\"path\">{}</td><td class=\"n\">{}</td><td class=\"hash\">{}</td></tr>", esc(&i.name), i.size, esc(&i.sha256));
            }
            h.push_str("</tbody></table>\n");
        }
        h.push_str("</section>\n");

        let _ = write!(h, "<footer>Generated offline by {} as of {}. Same inputs and as-of time give the same document.", esc(&self.tool), esc(&self.as_of));
        self.build_html(&mut h);
        h.push_str("</footer>\n");
        h.push_str("</body>\n</html>\n");
        h
    }

    /// The build behind the report, so a reviewer can rebuild that commit and compare the
    /// binaries' hashes (`docs/reproducible.md`).
    fn build_html(&self, h: &mut String) {
        let Some(b) = &self.build else {
            return;
        };
        let _ = write!(
            h,
            "<table class=\"kv build\"><tr><th>Version</th><td>{}</td></tr><tr><th>Source commit</th><td><code class=\"commit\">{}</code></td></tr>",
            esc(&b.version),
            esc(&b.commit)
        );
        for bin in &b.binaries {
            let _ = write!(
                h,
                "<tr><th>SHA-256 of <code>{}</code></th><td><code class=\"sha256\" data-file=\"{0}\">{}</code></td></tr>",
                esc(&bin.name),
                esc(&bin.sha256)
            );
        }
        h.push_str("</table>");
    }

    /// The problems an auditor must read first: files that did not verify and files with
    /// conflicting records. Nothing when there are none.
    fn problems_html(&self, h: &mut String) {
        let problems = self
            .verification
            .as_ref()
            .map(|v| v.problems.as_slice())
            .unwrap_or_default();
        if problems.is_empty() && self.conflicting_files.is_empty() {
            return;
        }
        let _ = writeln!(
            h,
            "<section class=\"problems\"><h2>Problems ({})</h2>",
            problems.len() + self.conflicting_files.len()
        );
        h.push_str("<table><thead><tr><th>Status</th><th>Reason</th><th>File</th><th>Message</th></tr></thead><tbody>\n");
        for p in problems {
            let _ = writeln!(h, "<tr class=\"s-{0}\"><td>{0}</td><td>{1}</td><td class=\"path\">{2}</td><td>{3}</td></tr>", p.status.as_str(), esc(&p.reason), esc(&p.path), esc(&p.message));
        }
        for c in &self.conflicting_files {
            let _ = writeln!(h, "<tr class=\"s-invalid\"><td>conflict</td><td>conflicting-duplicate</td><td class=\"path\">{}</td><td>{} record(s) share an event ID with a different record in another file (see the findings)</td></tr>", esc(&c.path), c.conflicts);
        }
        h.push_str("</tbody></table></section>\n");
    }

    /// Calendar heatmap: per region, one row per month, one cell per day.
    fn heatmap_html(&self, h: &mut String) {
        let hm = &self.coverage.heatmap;
        if hm.cells.is_empty() {
            return;
        }
        h.push_str("<h3>Coverage heatmap (UTC days)</h3>\n<p class=\"legend\"><span class=\"c c1\"></span> events <span class=\"c c4\"></span> many events <span class=\"c gap\"></span> gap <span class=\"c bad\"></span> failed verification</p>\n");
        for region in &hm.regions {
            let cells: Vec<_> = hm.cells.iter().filter(|c| &c.region == region).collect();
            if cells.is_empty() {
                continue;
            }
            let _ = write!(
                h,
                "<table class=\"heat\"><caption>{}</caption><thead><tr><th></th>",
                esc(region)
            );
            for d in 1..=31 {
                let _ = write!(h, "<th>{d}</th>");
            }
            h.push_str("</tr></thead><tbody>\n");
            let mut month = String::new();
            let mut next_day = 1u32;
            for c in cells {
                let m = c.day.get(..7).unwrap_or("").to_string();
                let d: u32 = c.day.get(8..10).and_then(|x| x.parse().ok()).unwrap_or(1);
                if m != month {
                    if !month.is_empty() {
                        h.push_str("</tr>\n");
                    }
                    let _ = write!(h, "<tr><th>{}</th>", esc(&m));
                    month = m;
                    next_day = 1;
                }
                while next_day < d {
                    h.push_str("<td></td>");
                    next_day += 1;
                }
                let class = if c.failed {
                    "bad"
                } else if c.gap {
                    "gap"
                } else {
                    match c.events {
                        0 => "c0",
                        1..=9 => "c1",
                        10..=99 => "c2",
                        100..=999 => "c3",
                        _ => "c4",
                    }
                };
                let _ = write!(
                    h,
                    "<td class=\"{class}\" title=\"{} {}: {} events\"></td>",
                    esc(&c.day),
                    esc(region),
                    c.events
                );
                next_day = d + 1;
            }
            h.push_str("</tr>\n</tbody></table>\n");
        }
    }
}

/// What the events' integrity comes to, in one sentence for people.
pub fn integrity_sentence(c: &Integrity) -> String {
    c.phrases().join(" · ")
}

fn outcome_class(o: Outcome) -> &'static str {
    match o {
        Outcome::NotApplicable => "na",
        o => o.as_str(),
    }
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab/newline have no business in a report.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

const CSS: &str = r#":root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bad:#cf222e;--ok:#1a7f37;--warn:#9a6700}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.6rem;margin:0}h2{font-size:1.25rem;border-bottom:2px solid var(--line);padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem;margin:1rem 0 .4rem}
.meta,.note,footer,.legend{color:var(--muted);font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid var(--line);padding:.25rem .4rem;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}.n{text-align:right;font-variant-numeric:tabular-nums}
.path,.hash,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;word-break:break-all}
table.kv th{width:14rem;background:#f6f8fa}
.v-valid,.o-pass,.i-verified{color:var(--ok);font-weight:600}.i-failed{color:var(--bad);font-weight:600}.v-invalid,.o-fail{color:var(--bad);font-weight:600}.v-incomplete,.o-na{color:var(--warn);font-weight:600}
tr.chosen td{background:#f6f8fa;font-weight:600}
tr.s-invalid td:first-child,tr.s-missing td:first-child{color:var(--bad);font-weight:600}
article.finding{border:1px solid var(--line);border-left:6px solid var(--muted);border-radius:4px;padding:.2rem .8rem .5rem;margin:.8rem 0}
.l-critical{border-left-color:#82071e!important}.l-high{border-left-color:var(--bad)!important}.l-medium{border-left-color:#bc4c00!important}.l-low{border-left-color:var(--warn)!important}
.lvl{display:inline-block;text-transform:uppercase;font-size:.75em;border:1px solid currentColor;border-radius:3px;padding:0 .3em;margin-right:.3em}
table.ev{font-size:.85em}
table.heat{width:auto;border-collapse:separate;border-spacing:2px}table.heat caption{text-align:left;font-weight:600;padding:.3rem 0}
table.heat th{border:0;font-weight:400;color:var(--muted);font-size:.7em;padding:0 .3rem 0 0;background:none;text-align:center}
table.heat td{width:.9rem;height:.9rem;padding:0;border:1px solid #eaeef2}
.c{display:inline-block;width:.9rem;height:.9rem;vertical-align:middle;border:1px solid #eaeef2}
.c0{background:#fff}.c1{background:#c6e48b}.c2{background:#7bc96f}.c3{background:#239a3b}.c4{background:#196127}
.gap{background:repeating-linear-gradient(45deg,#fff 0,#fff 2px,#8c959f 2px,#8c959f 3px)}.bad{background:var(--bad)}
footer{margin-top:2rem;border-top:1px solid var(--line);padding-top:.5rem}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid}article.finding,tr{break-inside:avoid}thead{display:table-header-group}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}@page{size:A4;margin:15mm}}
"#;

impl Observations {
    /// The "Auditor's observations" section: the engagement note, then one row per event
    /// with its tags, note and integrity state.
    fn html(&self, h: &mut String) {
        let _ = writeln!(
            h,
            "<section class=\"observations\"><h2>Auditor's observations ({})</h2>",
            self.events.len()
        );
        if !self.note.trim().is_empty() {
            let _ = writeln!(h, "<p class=\"engagement-note\">{}</p>", esc(&self.note));
        }
        if self.events.is_empty() {
            h.push_str("<p>No event was flagged, tagged or annotated.</p>\n");
        } else {
            h.push_str("<table class=\"ev\"><thead><tr><th>Flag</th><th>Tags</th><th>Note</th><th>Time</th><th>Action</th><th>Actor</th><th>Source IP</th><th>Outcome</th><th>Event ID</th><th>Record</th><th>Integrity</th></tr></thead><tbody>\n");
            for o in &self.events {
                let flag = if o.flagged { "\u{2605}" } else { "" };
                let (tags, note) = (esc(&o.tags.join(", ")), esc(&o.note));
                match &o.event {
                    Some(e) => {
                        let _ = writeln!(
                            h,
                            "<tr><td>{flag}</td><td>{tags}</td><td class=\"note\">{note}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"hash\">{}</td><td>{}</td><td class=\"i-{i}\">{i}</td></tr>",
                            esc(&e.time), esc(&e.action), esc(&e.actor), esc(&e.source_ip), esc(&e.outcome), esc(&e.event_id), esc(&o.reference), i = esc(&e.integrity)
                        );
                    }
                    None => {
                        let _ = writeln!(
                            h,
                            "<tr><td>{flag}</td><td>{tags}</td><td class=\"note\">{note}</td><td colspan=\"6\">not among the loaded events</td><td>{}</td><td>unknown</td></tr>",
                            esc(&o.reference)
                        );
                    }
                }
            }
            h.push_str("</tbody></table>\n");
        }
        h.push_str("</section>\n");
    }
}
