//! Messages between the page and its worker.
//!
//! Control messages are JSON strings (small, debuggable, and free of the codec coupling a
//! binary format would add). `File` handles — and, for exports, a result `Blob` — travel beside
//! them in the same `postMessage` array, since they cannot be serialised, only structured-cloned.

use serde::{Deserialize, Serialize};
use trailproof_core::report::Report;

use crate::workpaper::{EventKey, Mark};

/// Bytes read per `Blob` slice. Large enough to amortise the per-call cost, small enough that
/// progress moves several times a second and each wasm call stays short (Chromium only
/// optimises wasm functions between calls).
pub const CHUNK: u64 = 4 << 20;

/// From the engine worker to one of its load workers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToLoader {
    /// A run of inputs to load. Sent as `[json, File[]]`; `names[i]` names `files[i]`.
    Run {
        /// Which run (its index in input order), named in every reply.
        run: u32,
        /// Display paths of the run's inputs.
        names: Vec<String>,
        /// With one input, a zip: only this range of its entries (one of the runs the zip
        /// is cut into, [`crate::run::cut_runs`]).
        zip: Option<crate::run::ZipRange>,
    },
    /// The buffer of a part the engine worker has copied, handed back (transferred) for the
    /// load worker to write its next part into: sent as `[json, ArrayBuffer]`. A part is
    /// ≈ 110 bytes an event on the wire, and a fresh buffer for each left the engine worker's
    /// JavaScript heap with garbage for the collector to find (550 MB of it over a 5 M-event
    /// load).
    Spare,
}

/// A load worker's reply. Sent as a JSON string, except `Part`, sent as `[json, part]`, and
/// `Done`, sent as `[json, part, deferred…]` with the run's (last) ingest part
/// ([`trailproof_events::ingest::Part::encode`]) and the bytes of each deferred entry, each
/// a `Uint8Array` whose buffer is transferred (a part's buffer may be longer than the part:
/// it is a [`ToLoader::Spare`] written again).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromLoader {
    /// Bytes of the run's inputs done so far, in `phase`, at `file`.
    Progress {
        /// The run.
        run: u32,
        /// What is being done.
        phase: Phase,
        /// Bytes of the run's inputs done.
        done: u64,
        /// Events the run has loaded.
        events: u64,
        /// The current file.
        file: String,
    },
    /// The next part of the run's events, handed on as the run grows
    /// ([`crate::run::RunLoader::handing_parts`]): its bytes are the one transferred
    /// `ArrayBuffer` alongside. A run's parts come before its `Done`.
    Part {
        /// The run.
        run: u32,
        /// Milliseconds spent encoding it.
        encode_ms: f64,
        /// The load worker's WebAssembly memory as it sent it, in MiB (its peak so far).
        memory_mib: f64,
    },
    /// The run is loaded.
    Done {
        /// The run.
        run: u32,
        /// Everything but bytes.
        output: Box<crate::run::RunOutput>,
        /// `(index in the run, size, SHA-256 hex)` of each input hashed.
        hashed: Vec<(usize, u64, String)>,
        /// `(index in the run, message)` of each input that could not be hashed.
        failed: Vec<(usize, String)>,
        /// Milliseconds spent encoding the part.
        encode_ms: f64,
        /// The load worker's WebAssembly memory after the run, in MiB (its peak so far).
        memory_mib: f64,
    },
    /// The load worker cannot go on (also the shape `load_worker.js` sends when its wasm
    /// cannot start).
    Fatal {
        /// Why.
        message: String,
    },
}

/// A request from the page. Sent as `[json, File[]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    /// Hash every file sent alongside; `paths[i]` names `files[i]`.
    Hash {
        /// Identifies the job in every reply, so replies of a cancelled job are ignored.
        job: u32,
        /// Display paths (relative paths for folder drops).
        paths: Vec<String>,
    },
    /// Verify and load the files of `paths` (digest chains, keys, sidecars, events): the
    /// first of them are sent alongside, the rest in [`ToWorker::More`] messages; the load
    /// starts on the first files while the rest arrive.
    Load {
        /// The job.
        job: u32,
        /// Display paths, one per file.
        paths: Vec<String>,
    },
    /// The next files of load `job`, sent alongside, in order.
    More {
        /// The job.
        job: u32,
    },
    /// Select events; the worker keeps the selection for `Rows` and `Export`.
    Query {
        /// Sequence number echoed in the reply; the page ignores stale replies.
        seq: u32,
        /// Query-language text (`docs/query.md`).
        query: String,
        /// Optional time range `[start, end)` in epoch ms, intersected with the query.
        range: Option<(i64, i64)>,
        /// Newest events first.
        newest_first: bool,
    },
    /// A window of the current selection.
    Rows {
        /// Sequence number.
        seq: u32,
        /// First position in the selection.
        offset: u32,
        /// Number of rows.
        limit: u32,
    },
    /// All fields of one event and its original record.
    Detail {
        /// Sequence number.
        seq: u32,
        /// Store row.
        row: u32,
    },
    /// Values of a field starting with a prefix, most frequent first (search-box completion).
    Suggest {
        /// Sequence number echoed in the reply.
        seq: u32,
        /// Query-language field name (canonical or alias).
        field: String,
        /// What the user typed of the value.
        prefix: String,
    },
    /// An inclusion proof (c2sp.org/tlog-proof) for one event of a sealed archive.
    Prove {
        /// Sequence number.
        seq: u32,
        /// Store row.
        row: u32,
    },
    /// Runs the analysis again with the user's settings.
    Analyze {
        /// Sequence number.
        seq: u32,
        /// What the user set.
        settings: AnalysisSettings,
    },
    /// The auditor's workpaper marks and engagement note, replacing earlier ones: the worker
    /// resolves them to rows for `tag:`/`flagged:` queries, the Tags column and facet, and the
    /// report's observations. Replied to with `Marked`.
    Workpaper {
        /// The note on the whole engagement.
        note: String,
        /// Every mark.
        marks: Vec<Mark>,
    },
    /// The current selection as a file.
    Export {
        /// Sequence number.
        seq: u32,
        /// Output format.
        format: ExportFormat,
        /// For the auditor report: the id of the requirement the user chose in the Compliance
        /// tab (`req=` in the URL: `mlps`, `pci`, `hipaa`, `sox`, `custom`), which the report
        /// names and judges first; `None` when none was chosen (every verdict listed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requirement: Option<String>,
    },
}

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Selected events: comma-separated values with a header line.
    Csv,
    /// Selected events: JSON Lines, one normalized event per line.
    Json,
    /// The auditor report: one self-contained HTML document that prints well.
    ReportHtml,
    /// The auditor report as JSON.
    ReportJson,
    /// The findings as CSV.
    FindingsCsv,
    /// One event's inclusion proof (c2sp.org/tlog-proof@v1 bundle).
    Proof,
}

impl ExportFormat {
    /// The file name a download gets.
    pub fn file_name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "trailproof-events.csv",
            ExportFormat::Json => "trailproof-events.jsonl",
            ExportFormat::ReportHtml => "trailproof-report.html",
            ExportFormat::ReportJson => "trailproof-report.json",
            ExportFormat::FindingsCsv => "trailproof-findings.csv",
            ExportFormat::Proof => "trailproof-event.proof",
        }
    }

    /// The MIME type of the download.
    pub fn mime(self) -> &'static str {
        match self {
            ExportFormat::Csv | ExportFormat::FindingsCsv => "text/csv;charset=utf-8",
            ExportFormat::Json => "application/x-ndjson;charset=utf-8",
            ExportFormat::ReportHtml => "text/html;charset=utf-8",
            ExportFormat::ReportJson => "application/json;charset=utf-8",
            ExportFormat::Proof => "text/plain;charset=utf-8",
        }
    }
}

/// The phase a load is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reading and hashing stored bytes.
    Read,
    /// Verifying digest chains and sealed archives.
    Verify,
    /// Decompressing files to read their events.
    Inflate,
    /// Parsing events.
    Parse,
    /// Indexing events.
    Index,
    /// Compliance checks and findings, after the summary is shown.
    Analyze,
}

/// A reply from the worker, sent as a JSON string (exports add a `Blob`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// Bytes processed so far, out of the job's total.
    Progress {
        /// The job.
        job: u32,
        /// What is being done.
        phase: Phase,
        /// Bytes read so far.
        done: u64,
        /// Bytes in all files of the job.
        total: u64,
        /// Events loaded so far (0 in phases that load none).
        events: u64,
        /// Milliseconds since the job started, for the rates the page shows.
        ms: f64,
        /// The file being read.
        file: String,
    },
    /// One file is hashed.
    Hashed {
        /// The job.
        job: u32,
        /// Index of the file in the request.
        index: usize,
        /// Bytes hashed.
        size: u64,
        /// Lowercase hex SHA-256.
        sha256: String,
    },
    /// One file could not be read.
    Failed {
        /// The job.
        job: u32,
        /// Index of the file in the request.
        index: usize,
        /// What went wrong, for people.
        message: String,
    },
    /// Many files are hashed or failed (one message for many files: a message per file
    /// costs the page a render each).
    Hashes {
        /// The job.
        job: u32,
        /// Index of the file in the request, bytes hashed and lowercase hex SHA-256.
        hashed: Vec<(usize, u64, String)>,
        /// Index of the file in the request and what went wrong, for people.
        failed: Vec<(usize, String)>,
    },
    /// Where a load's time went (milliseconds per phase), logged by the page for benches.
    Timings {
        /// The job.
        job: u32,
        /// Phase names and milliseconds, in order.
        phases: Vec<(String, f64)>,
        /// Which worker at which point, and its WebAssembly memory in MiB.
        memory: Vec<(String, f64)>,
    },
    /// Everything of a load is verified and indexed.
    Loaded {
        /// The job.
        job: u32,
        /// What was found.
        summary: Box<LoadSummary>,
    },
    /// The job is complete.
    Done {
        /// The job.
        job: u32,
    },
    /// The worker could not start (sent by its JS loader, e.g. when wasm is unavailable).
    Fatal {
        /// What went wrong, for people.
        message: String,
    },
    /// The result of a `Query`.
    Selected {
        /// The request's sequence number.
        seq: u32,
        /// The view, or where the query text is wrong.
        result: Result<QueryView, QueryError>,
    },
    /// A window of rows.
    Rows {
        /// The request's sequence number.
        seq: u32,
        /// Position of the first row in the selection.
        offset: u32,
        /// The rows.
        rows: Vec<RowView>,
    },
    /// One event in full.
    Detail {
        /// The request's sequence number.
        seq: u32,
        /// The event.
        detail: Box<DetailView>,
    },
    /// Value suggestions for a `Suggest`.
    Suggested {
        /// The request's sequence number.
        seq: u32,
        /// Values with their counts over all events, most frequent first.
        values: Vec<(String, u64)>,
    },
    /// A request could not be carried out, for people.
    Refused {
        /// Why.
        message: String,
    },
    /// The analysis was run again.
    Analyzed {
        /// The request's sequence number.
        seq: u32,
        /// The new view, or why the settings were refused.
        result: Result<Box<AnalysisView>, String>,
    },
    /// The workpaper's marks are applied.
    Marked {
        /// Marks whose event the loaded inputs do not hold.
        unresolved: u32,
    },
    /// An export is ready; the `Blob` travels beside this message.
    Exported {
        /// The request's sequence number.
        seq: u32,
        /// Its format.
        format: ExportFormat,
        /// Events written.
        events: u64,
    },
}

impl FromWorker {
    /// The job a reply belongs to; `None` for replies that are not part of a job.
    pub fn job(&self) -> Option<u32> {
        match self {
            FromWorker::Progress { job, .. }
            | FromWorker::Hashed { job, .. }
            | FromWorker::Failed { job, .. }
            | FromWorker::Hashes { job, .. }
            | FromWorker::Timings { job, .. }
            | FromWorker::Loaded { job, .. }
            | FromWorker::Done { job } => Some(*job),
            _ => None,
        }
    }
}

/// Everything a load found, for the summary header and the Verification tab.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    /// Digest-chain verification of everything given (empty when no digests or logs).
    pub report: Report,
    /// Events loaded.
    pub events: u64,
    /// Oldest and newest event time, epoch ms.
    pub span: Option<(i64, i64)>,
    /// Events per provider.
    pub providers: Vec<(String, u64)>,
    /// Events per account (top values).
    pub accounts: Vec<(String, u64)>,
    /// Events per region (top values).
    pub regions: Vec<(String, u64)>,
    /// One line per file read.
    pub files: Vec<FileLine>,
    /// Container and input problems, for people.
    pub problems: Vec<String>,
    /// Measured store memory, bytes per event (columns only).
    pub bytes_per_event: f64,
    /// Retention, coverage and findings.
    pub analysis: AnalysisView,
    /// The sealed archive among the inputs, if there was one.
    pub sealed: Option<SealedView>,
    /// Inclusion-proof bundles among the inputs, each checked.
    pub proofs: Vec<ProofLine>,
}

/// One checked inclusion-proof bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofLine {
    /// Where it was.
    pub path: String,
    /// Whether it proves its record is in the signed log.
    pub valid: bool,
    /// What it proves, or why not, for people.
    pub message: String,
}

// `Eq` (the one float, bytes per event, is never NaN) lets `Rc<LoadSummary>` compare by pointer
// first: Yew compares props on every render, and a deep comparison of a large summary (findings
// with their evidence) on each reply made scrolling a 5M-event timeline lag.
impl Eq for LoadSummary {}

/// A Trailproof sealed archive (`audit-archive/v1`), as the Verification tab shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedView {
    /// The log's origin, when the manifest could be read.
    pub origin: Option<String>,
    /// Verifier keys that were supplied (their names).
    pub keys: Vec<String>,
    /// Whether the archive's end is anchored outside it (a pinned checkpoint).
    pub anchored: bool,
    /// What an unanchored end means, for people; shown whenever `anchored` is false.
    pub warning: Option<String>,
    /// The first failing checkpoint and the leaf range it covers, for people.
    pub first_failure: Option<String>,
    /// Records and seals in the log.
    pub size: u64,
    /// Every seal: sequence number, time (epoch s), tree size, export seal, status.
    pub seals: Vec<(u64, Option<u64>, u64, bool, String)>,
}

/// What the user can change about the analysis (everything else keeps its default).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisSettings {
    /// Regions that must have events.
    pub expected_regions: Vec<String>,
    /// A custom retention requirement in days, beside the presets.
    pub custom_days: Option<u32>,
    /// Actors whose events no rule looks at.
    pub allow_actors: Vec<String>,
    /// Source addresses or CIDR ranges whose events no rule looks at.
    pub allow_ips: Vec<String>,
    /// Rule ids switched off.
    pub disabled: Vec<String>,
}

/// Compliance and findings, as the Compliance and Findings tabs show them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalysisView {
    /// The "as of" time, epoch ms (the newest event: reports stay reproducible).
    pub as_of_ms: i64,
    /// Whole days from the first to the last event.
    pub span_days: u64,
    /// Days with at least one event.
    pub days_with_events: u64,
    /// Requirement presets, pass/fail with the reason.
    pub requirements: Vec<Line>,
    /// Other checks (regions, read and write events, management events, verified share).
    pub checks: Vec<Line>,
    /// Regions seen.
    pub regions_seen: Vec<String>,
    /// Gaps per account × region, for people.
    pub gaps: Vec<String>,
    /// Day × region heatmap.
    pub heatmap: HeatmapView,
    /// Findings, in time order: at most `FINDINGS_PER_RULE` of each rule, the earliest.
    pub findings: Vec<FindingView>,
    /// Rules with more findings than are listed: title, rule key, how many more.
    pub findings_not_listed: Vec<(String, String, u64)>,
    /// Problems loading rules or reading records.
    pub diagnostics: Vec<String>,
    /// Every rule: id, title, enabled.
    pub rules: Vec<(String, String, bool)>,
    /// The settings this analysis ran with.
    pub settings: AnalysisSettings,
}

/// One pass/fail line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Stable id of a requirement (`mlps`, `pci`, `hipaa`, `sox`, `custom`), the key the page
    /// keeps the user's choice under in the URL; empty for the other checks.
    #[serde(default)]
    pub id: String,
    /// What is checked.
    pub name: String,
    /// `pass`, `fail` or `n/a`.
    pub outcome: String,
    /// Why, for people.
    pub reason: String,
}

/// Events per day and region.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeatmapView {
    /// Row labels.
    pub regions: Vec<String>,
    /// Column labels (`YYYY-MM-DD`), consecutive.
    pub days: Vec<String>,
    /// `(day index, region index, events, gap, failed verification)`.
    pub cells: Vec<(u32, u32, u64, bool, bool)>,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingView {
    /// `informational` … `critical`.
    pub level: String,
    /// Rule title.
    pub title: String,
    /// Rule key (built-in id, anomaly id or `sigma:<id>`).
    pub rule: String,
    /// Sigma rule author (shown beside matches, as the rules' license asks).
    pub author: String,
    /// When, epoch ms.
    pub time_ms: i64,
    /// Who.
    pub actor: String,
    /// From where.
    pub source_ip: String,
    /// What, for people.
    pub message: String,
    /// Store rows of the evidence events.
    pub evidence: Vec<u32>,
    /// Event IDs of the evidence events (the timeline selects them by ID).
    pub evidence_ids: Vec<String>,
}

/// What happened to one file of a load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLine {
    /// Path relative to the input root.
    pub path: String,
    /// What it was recognised as.
    pub kind: String,
    /// Stored bytes.
    pub stored: u64,
    /// Events loaded from it.
    pub events: u64,
    /// Its problems, for people.
    pub problems: Vec<String>,
    /// Integrity of its events (`verified`, `unverified`, `failed`, `unprotected`); empty
    /// for files without events.
    #[serde(default)]
    pub integrity: String,
    /// Identical copies of events already loaded from another file, dropped (counted).
    #[serde(default)]
    pub duplicates: u64,
    /// Events in it whose record conflicts with a record of the same event ID elsewhere
    /// (kept, and marked failed unless verified).
    #[serde(default)]
    pub conflicts: u64,
}

/// A selection: its size, histogram and facets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryView {
    /// Events selected.
    pub count: u64,
    /// Events over time.
    pub histogram: Histogram,
    /// Top values of the facet fields.
    pub facets: Vec<Facet>,
}

/// A query the parser rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryError {
    /// Byte offset of the problem in the query text.
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

/// Event counts per time bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    /// Start of the first bucket, epoch ms.
    pub start_ms: i64,
    /// Bucket width in ms.
    pub bucket_ms: i64,
    /// Events per bucket.
    pub counts: Vec<u32>,
    /// Failed events per bucket (a subset of `counts`).
    pub errors: Vec<u32>,
}

/// Top values of one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facet {
    /// Query-language field name.
    pub field: String,
    /// Values with counts, most frequent first.
    pub values: Vec<(String, u64)>,
}

/// One row of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowView {
    /// Store row (stable for the loaded data).
    pub row: u32,
    /// Epoch ms.
    pub time_ms: i64,
    /// Provider name.
    pub provider: String,
    /// Account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Service.
    pub service: String,
    /// Action.
    pub action: String,
    /// Actor display name.
    pub actor: String,
    /// Source IP.
    pub source_ip: String,
    /// `read`, `write` or empty.
    pub rw: String,
    /// Error code, empty on success.
    pub error: String,
    /// Integrity state (`verified`, `unverified`, `failed`, `unprotected`).
    #[serde(default)]
    pub integrity: String,
    /// Flagged in the workpaper.
    #[serde(default)]
    pub flagged: bool,
    /// The workpaper's tags, comma-separated.
    #[serde(default)]
    pub tags: String,
}

/// One event in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailView {
    /// Store row.
    pub row: u32,
    /// Normalized fields, in display order.
    pub fields: Vec<(String, String)>,
    /// Where the record is.
    pub source: String,
    /// Its integrity state (`verified`, `unverified`, `failed`, `unprotected`).
    #[serde(default)]
    pub integrity: String,
    /// What that state rests on, for people: "verified by digest … signed with key …", or
    /// why it is not verified.
    #[serde(default)]
    pub integrity_detail: String,
    /// The original record, pretty-printed, or why it could not be read.
    pub raw: Result<String, String>,
    /// What identifies the event in a workpaper.
    #[serde(default)]
    pub key: Option<EventKey>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_as_tagged_json() {
        let m = ToWorker::Hash {
            job: 7,
            paths: vec!["a/b.json".into()],
        };
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(s, r#"{"type":"hash","job":7,"paths":["a/b.json"]}"#);
        assert_eq!(serde_json::from_str::<ToWorker>(&s).unwrap(), m);
        let r = FromWorker::Hashed {
            job: 7,
            index: 1,
            size: 2,
            sha256: "ab".into(),
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(
            serde_json::from_str::<FromWorker>(&s).unwrap().job(),
            Some(7)
        );
        // The shape worker_loader.js sends when the wasm cannot start.
        let fatal =
            serde_json::from_str::<FromWorker>(r#"{"type":"fatal","message":"x"}"#).unwrap();
        assert_eq!(
            fatal,
            FromWorker::Fatal {
                message: "x".into()
            }
        );
        let q = FromWorker::Selected {
            seq: 1,
            result: Err(QueryError {
                position: 3,
                message: "m".into(),
            }),
        };
        let s = serde_json::to_string(&q).unwrap();
        assert_eq!(serde_json::from_str::<FromWorker>(&s).unwrap(), q);
    }
}
