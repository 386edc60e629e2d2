//! The worker's engine: loads inputs (verifying digest chains and indexing events in one pass)
//! and answers the timeline's queries.
//!
//! It is host-independent — it reads through [`ReadSeek`] sources — so it is tested natively;
//! the worker binary only adapts browser `Blob`s to readers and messages to calls.

use std::cell::RefCell;
use std::io::{Read, SeekFrom};
use std::rc::Rc;

use trailproof_chain::{Verifier, VerifyOptions};
use trailproof_core::input::{self, Control, Limits, ReadSeek};
use trailproof_events::ingest::Part;
use trailproof_events::store::Selection;
use trailproof_events::Ranked;
use trailproof_events::{EventStore, Field, Ingest, RawRef};

use trailproof_analysis::report::{EvidenceEvent, InputFile, Observation, Observations};
use trailproof_analysis::{Analysis, SigmaRuleSet};
use trailproof_core::report::{Integrity, Report};

use trailproof_archive::frame::JsonArrayReader;
use trailproof_archive::{ArchiveVerifier, Verification, VerifyOptions as ArchiveOptions};

use crate::compliance;
use crate::protocol::{
    AnalysisSettings, AnalysisView, DetailView, ExportFormat, FileLine, LoadSummary, Phase,
    QueryError, QueryView, RowView,
};
use crate::run::{self, Deferred, Run};
use crate::sealed;
use crate::selected::Selected;
use crate::workpaper::{EventKey, Mark};

/// Where a load's time went, by an injected clock (milliseconds), for benches: the engine
/// never reads a clock itself, so it stays testable natively and host-independent.
pub struct Timings<'c> {
    /// The clock, in milliseconds.
    pub clock: &'c dyn Fn() -> f64,
    /// Phase names and their durations in milliseconds, in order.
    pub phases: Vec<(String, f64)>,
}

impl Timings<'static> {
    /// Timings that are not taken (a clock that always reads 0).
    pub fn off() -> Self {
        Timings {
            clock: &|| 0.0,
            phases: Vec::new(),
        }
    }
}

impl<'c> Timings<'c> {
    /// Timings read from `clock`.
    pub fn new(clock: &'c dyn Fn() -> f64) -> Self {
        Timings {
            clock,
            phases: Vec::new(),
        }
    }

    /// Records `ms` for `phase`.
    pub fn add(&mut self, phase: &str, ms: f64) {
        self.phases.push((phase.to_owned(), ms));
    }

    /// Runs `f`, recording its duration as `phase`.
    pub fn time<T>(&mut self, phase: &str, f: impl FnOnce() -> T) -> T {
        let t0 = (self.clock)();
        let out = f();
        let ms = (self.clock)() - t0;
        self.add(phase, ms);
        out
    }
}

/// Where a load is, as its progress callback hears it.
#[derive(Clone, Copy, Debug)]
pub struct Tick<'a> {
    /// What is being done.
    pub phase: Phase,
    /// Bytes of the inputs consumed.
    pub done: u64,
    /// Events loaded so far.
    pub events: u64,
    /// The current file.
    pub file: &'a str,
}

/// A progress callback.
pub type Progress = Rc<RefCell<dyn FnMut(Tick<'_>)>>;

/// Largest entry the engine judges from its bytes held whole: a sealed-archive part, an
/// inclusion proof or a Sigma rule (small in practice). Bigger ones are reported. Entries
/// that are verified and indexed have no such cap: past [`crate::run::HOLD_BYTES`] they are
/// streamed.
pub const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// Opens an input again: a reader of the same bytes, independent of [`Input::source`].
pub type Reopen<'a> = Box<dyn Fn() -> std::io::Result<Box<dyn ReadSeek + 'a>> + 'a>;

/// One input: a top-level file the user gave.
pub struct Input<'a> {
    /// Display path.
    pub name: String,
    /// Its bytes.
    pub source: &'a mut dyn ReadSeek,
    /// Its size, for progress.
    pub size: u64,
    /// A second reader of it, for an entry too big to hold: scanned as the walk streams it
    /// by, then found again through this reader and ingested (one thread cannot feed one
    /// stream to two readers without holding it).
    pub reopen: Reopen<'a>,
}

/// Loaded events, what was found about them, and the current timeline selection.
#[derive(Default)]
pub struct Engine {
    store: EventStore,
    /// Digest-chain verification of the inputs (after a load).
    report: Option<Report>,
    /// Retention, coverage and findings.
    analysis: Option<Analysis>,
    /// The Sigma rules that came with the inputs, kept for re-runs.
    sigma: SigmaRuleSet,
    /// The sealed archive's verification, kept to build inclusion proofs.
    verification: Option<Verification>,
    /// The current selection (and caches that make queries on big selections cheap).
    selection: Selected,
    /// The auditor's workpaper: engagement note and marks with the rows they resolved to.
    workpaper: Option<(String, Vec<Resolved>)>,
}

/// A workpaper mark and the row it names (`None`: not among the loaded events).
type Resolved = (Mark, Option<usize>);

/// The fields the facet panel shows, in order.
pub const FACETS: &[Field] = &[
    Field::Tag,
    Field::Integrity,
    Field::Actor,
    Field::Action,
    Field::Service,
    Field::Region,
    Field::SourceIp,
    Field::Outcome,
    Field::ReadWrite,
    Field::Provider,
    Field::Account,
];

/// Columns of row views and exports.
const ROW_FIELDS: &[Field] = &[
    Field::Provider,
    Field::Account,
    Field::Region,
    Field::Service,
    Field::Action,
    Field::Actor,
    Field::SourceIp,
    Field::ReadWrite,
    Field::ErrorCode,
    Field::Integrity,
];

/// The runs of a load, joined in input order as they come: a run's ingest part is appended
/// and its scanned entries handed to the verifier when it is joined, so the part is freed as
/// soon as every run before it is in (holding every part until the last run had ended kept
/// them all beside the growing store: the engine worker's peak). What needs every run first,
/// the verifier keys and with them sealed archives and proofs, waits for [`Join::finish`]:
/// verifier keys from every run, every scanned entry verified together (a chain's digests may
/// come from several runs), sealed archives, proofs and Sigma rules judged, then the store,
/// its integrity and the summary.
pub struct Join {
    ingest: Ingest,
    /// Bytes of all the load's inputs, when known ([`Join::expecting`]), and of the entries
    /// joined so far: from them, the events still to come.
    expected_bytes: u64,
    joined_bytes: u64,
    reserved: bool,
    verifier: Verifier,
    keys: Vec<(String, Vec<String>)>,
    deferred: Vec<((Deferred, String), Vec<u8>)>,
    files: Vec<FileLine>,
    problems: Vec<String>,
    /// Milliseconds: the runs' reads, scans and ingests, walks (summed), and joining here.
    read_ms: f64,
    work_ms: f64,
    walk_ms: f64,
    join_ms: f64,
    /// Logs the hosts hashed, and how long they waited for them.
    host_hashed: u64,
    hash_wait_ms: f64,
}

/// At most this many times the events joined so far are reserved for those still to come
/// ([`Join::expecting`]): enough for the runs of two workers (eight runs, the first joined
/// alone), bounded for inputs whose first runs are not like the rest.
const MAX_RESERVE_FACTOR: usize = 8;
/// And at most this many rows (about 1 GiB of columns at ~70 bytes a row while loading).
const MAX_RESERVE_ROWS: usize = 16_000_000;

impl Default for Join {
    fn default() -> Self {
        Join::new()
    }
}

impl Join {
    /// Nothing joined yet.
    pub fn new() -> Join {
        Join {
            ingest: Ingest::new(run::ingest_options()),
            expected_bytes: 0,
            joined_bytes: 0,
            reserved: false,
            verifier: Verifier::new(VerifyOptions::default()),
            keys: Vec::new(),
            deferred: Vec::new(),
            files: Vec::new(),
            problems: Vec::new(),
            read_ms: 0.0,
            work_ms: 0.0,
            walk_ms: 0.0,
            join_ms: 0.0,
            host_hashed: 0,
            hash_wait_ms: 0.0,
        }
    }

    /// Nothing joined yet, of a load whose inputs hold `bytes` in all: once the first runs
    /// with events are in, the store's columns are reserved once for the events still to come
    /// (about as many per byte as so far, plus a sixteenth), instead of doubling as parts are
    /// appended (at 5 M events the doubling step held the old and the new columns at once).
    pub fn expecting(bytes: u64) -> Join {
        Join {
            expected_bytes: bytes,
            ..Join::new()
        }
    }

    /// The load's inputs hold `bytes` in all, learnt after the first runs were joined (their
    /// files were still arriving): the reservation [`Join::expecting`] describes is made at the
    /// next run joined.
    pub fn expect(&mut self, bytes: u64) {
        self.expected_bytes = bytes;
    }

    /// Joins the next part of a run's events in input order: the parts a run handed on as it
    /// grew ([`run::RunLoader::handing_parts`]), each before the run itself ([`Join::add`]).
    pub fn add_part(&mut self, part: Part, clock: &dyn Fn() -> f64) {
        let t0 = clock();
        self.ingest.append(part);
        self.join_ms += clock() - t0;
    }

    /// Joins the next run in input order (after the parts it handed on, if any).
    pub fn add(&mut self, run: Run, clock: &dyn Fn() -> f64) {
        let t0 = clock();
        let Run {
            output,
            deferred,
            part,
        } = run;
        self.read_ms += output.read_ms;
        self.work_ms += output.scan_ingest_ms;
        self.walk_ms += output.walk_ms;
        self.host_hashed += output.host_hashed;
        self.hash_wait_ms += output.hash_wait_ms;
        self.ingest.append(part);
        self.joined_bytes += output.lines.iter().map(|l| l.stored).sum::<u64>();
        let events = self.ingest.events() as u64;
        if !self.reserved && events > 0 && self.joined_bytes < self.expected_bytes {
            let rest = u128::from(events) * u128::from(self.expected_bytes - self.joined_bytes)
                / u128::from(self.joined_bytes.max(1));
            let rest = usize::try_from(rest + rest / 16).unwrap_or(usize::MAX);
            // An estimate, so bounded: the inputs still to come may hold far fewer events per
            // byte (archives of digests, files that are not logs), and a reservation beyond
            // what arrives must not be what exhausts the worker's memory. Past the bounds the
            // columns grow as before.
            let bound = (events as usize)
                .saturating_mul(MAX_RESERVE_FACTOR)
                .min(MAX_RESERVE_ROWS);
            self.ingest.reserve(rest.min(bound));
            self.reserved = true;
        }
        for scanned in output.scanned {
            self.verifier.add(scanned);
        }
        self.keys.extend(output.keys);
        self.deferred
            .extend(output.deferred.into_iter().zip(deferred));
        self.files.extend(output.lines);
        self.problems.extend(output.problems);
        self.join_ms += clock() - t0;
    }

    /// Verifies and finishes the joined runs into the engine and its summary.
    pub fn finish(self, timings: &mut Timings<'_>) -> (Engine, LoadSummary) {
        let clock = timings.clock;
        let Join {
            ingest,
            verifier,
            keys,
            deferred,
            mut files,
            mut problems,
            read_ms,
            work_ms,
            walk_ms,
            join_ms,
            host_hashed,
            hash_wait_ms,
            ..
        } = self;
        let (verifiers, key_names, _) = timings.time("keys", || sealed::verifiers_of(&keys));
        timings.add("walk (all below, summed over runs)", walk_ms);
        timings.add("  read entries", read_ms);
        timings.add("  chain scan + event ingest (one read)", work_ms);
        timings.add("  containers, progress, rest", walk_ms - read_ms - work_ms);
        timings.add(
            &format!("waiting for the browser's SHA-256 of {host_hashed} logs (summed)"),
            hash_wait_ms,
        );
        let t0 = clock();
        let mut archive = ArchiveVerifier::new(ArchiveOptions::new(verifiers.clone()));
        let mut archive_seen = false;
        let mut proofs = Vec::new();
        let mut sigma = SigmaRuleSet::new();
        for ((what, path), bytes) in deferred {
            match what {
                Deferred::Proof => proofs.push(sealed::check_proof(&path, &bytes, &verifiers)),
                Deferred::ArchivePart => {
                    archive_seen |= sealed::is_manifest(&path, &bytes);
                    archive.add_bytes(&path, &bytes);
                }
                Deferred::Sigma => sigma.load(&path, &String::from_utf8_lossy(&bytes)),
            }
        }
        timings.add(
            "append parts (as the runs came); archive, proofs, rules",
            join_ms + clock() - t0,
        );
        let mut report = timings.time("verify chains", || verifier.finish());
        let t0 = clock();
        let verification = archive_seen.then(|| archive.finish_detailed());
        let sealed = verification
            .as_ref()
            .map(|v| sealed::merge(v, &mut report, key_names));
        let mut store = ingest.finish();
        apply_integrity(&mut store, &mut report, verification.as_ref());
        // The first store file of each path, looked up once per line (a linear search per
        // line was quadratic: seconds for thousands of files).
        let mut file_index: std::collections::HashMap<&str, u32> =
            std::collections::HashMap::with_capacity(store.files().len());
        for (i, p) in store.files().iter().enumerate() {
            file_index.entry(p.as_str()).or_insert(i as u32);
        }
        for line in files.iter_mut() {
            if let Some(&f) = file_index.get(line.path.as_str()) {
                line.duplicates = store.duplicates_in_file(f);
                line.conflicts = store.conflicts_in_file(f);
                if line.events > 0 {
                    line.integrity = store.file_integrity(f).0.as_str().to_owned();
                }
            }
        }
        problems.extend(sigma.diagnostics().iter().map(|d| format!("{d:?}")));
        let selection = Selected::primed(&store, FACETS);
        let all = Selection::all(store.len());
        let top = |field, n| -> Vec<(String, u64)> {
            store
                .facet(field, &all, n)
                .into_iter()
                .map(|f| (f.value, f.count))
                .collect()
        };
        let summary = LoadSummary {
            report: report.clone(),
            events: store.len() as u64,
            span: store.time_span(),
            providers: top(Field::Provider, 10),
            accounts: top(Field::Account, 10),
            regions: top(Field::Region, 30),
            files,
            problems,
            bytes_per_event: store.bytes_per_event(),
            analysis: AnalysisView::default(),
            sealed,
            proofs,
        };
        timings.add("store, integrity, summary", clock() - t0);
        (
            Engine {
                store,
                report: Some(summary.report.clone()),
                analysis: None,
                sigma,
                verification,
                selection,
                workpaper: None,
            },
            summary,
        )
    }
}

impl Engine {
    /// Verifies and indexes `inputs`, reporting progress as bytes of the inputs consumed and
    /// the phase: verify, then ingest's own inflate / parse / index (shared, because ingest
    /// reports from inside a file, through a callback it owns).
    pub fn load(inputs: &mut [Input<'_>], progress: Progress) -> (Engine, LoadSummary) {
        let (mut engine, mut summary) = Engine::load_events(inputs, progress, &mut Timings::off());
        if let Ok(view) = engine.reanalyze(&AnalysisSettings::default(), inputs) {
            summary.analysis = view;
        }
        (engine, summary)
    }

    /// [`Engine::load`] without the analysis: verifies and indexes `inputs`, so the page can
    /// show the summary while the analysis ([`Engine::reanalyze`] with the default settings)
    /// runs after it. `summary.analysis` is empty until then. `timings` collects where the
    /// time went.
    pub fn load_events(
        inputs: &mut [Input<'_>],
        progress: Progress,
        timings: &mut Timings<'_>,
    ) -> (Engine, LoadSummary) {
        let all = inputs.len();
        let runs = [run::RunSpec::whole(0..all)];
        Engine::load_in_runs(inputs, &runs, run::HOLD_BYTES, 0, None, progress, timings)
    }

    /// [`Engine::load_events`] with the inputs cut into `runs` (consecutive inputs, or ranges
    /// of a zip's entries, as [`run::cut_runs`] cuts them), each loaded apart
    /// ([`run::RunLoader`], as the browser's load workers do) and the runs joined ([`Join`]):
    /// the same engine and summary whatever the cut, and whatever the size past which entries
    /// are streamed (`hold`, [`run::HOLD_BYTES`] in the browser), and whatever the batches of
    /// `batch` inputs each run is added in ([`run::RunLoader::add`], as a load worker adds
    /// each batch it has read ahead; 0: all at once), and whether each run hands its events
    /// on in `parts` of at least so many events as they grow
    /// ([`run::RunLoader::handing_parts`], as load workers do). Progress counts bytes of all
    /// inputs.
    pub fn load_in_runs(
        inputs: &mut [Input<'_>],
        runs: &[run::RunSpec],
        hold: u64,
        batch: usize,
        parts: Option<usize>,
        progress: Progress,
        timings: &mut Timings<'_>,
    ) -> (Engine, LoadSummary) {
        let sizes: Vec<u64> = inputs.iter().map(|i| i.size).collect();
        // Joined as they are loaded, the store reserved from the first (as in the browser).
        let mut join = Join::expecting(sizes.iter().sum());
        let mut base = 0u64;
        let mut events = 0u64;
        for spec in runs {
            let outer = progress.clone();
            let offset: Progress = Rc::new(RefCell::new(move |t: Tick<'_>| {
                (outer.borrow_mut())(Tick {
                    done: base + t.done,
                    events: events + t.events,
                    ..t
                })
            }));
            base += spec.bytes(&sizes);
            let mut loader = run::RunLoader::new(hold, offset);
            let handed: Rc<RefCell<Vec<Part>>> = Rc::default();
            if let Some(every) = parts {
                let handed = handed.clone();
                loader =
                    loader.handing_parts(every, Box::new(move |p| handed.borrow_mut().push(p)));
            }
            let join_handed = |join: &mut Join| {
                for part in handed.borrow_mut().drain(..) {
                    join.add_part(part, timings.clock);
                }
            };
            let run = &mut inputs[spec.inputs.clone()];
            match (&spec.zip, run) {
                (Some(zip), [input]) => {
                    // The range's share of the zip, for its progress.
                    let size = std::mem::replace(&mut input.size, zip.bytes);
                    loader.add_entries(input, zip.entries.clone(), timings);
                    join_handed(&mut join);
                    input.size = size;
                }
                (_, run) => {
                    let batch = if batch == 0 { run.len().max(1) } else { batch };
                    for inputs in run.chunks_mut(batch) {
                        loader.add(inputs, timings);
                        join_handed(&mut join);
                    }
                }
            }
            let loaded = loader.finish();
            events += loaded.output.lines.iter().map(|l| l.events).sum::<u64>();
            join.add(loaded, timings.clock);
        }
        join.finish(timings)
    }

    /// Events loaded.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether no event is loaded.
    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    /// Selects events matching `text` (and `range`, if given); the selection is kept for
    /// [`Engine::rows`] and [`Engine::export`].
    pub fn query(
        &mut self,
        text: &str,
        range: Option<(i64, i64)>,
        newest_first: bool,
    ) -> Result<QueryView, QueryError> {
        let n = self.store.len();
        let mut selection = if text.trim().is_empty() {
            Selection::all(n)
        } else {
            self.store.query(text).map_err(|e| match e {
                trailproof_events::Error::Query { position, message } => {
                    QueryError { position, message }
                }
                #[allow(unreachable_patterns)]
                other => QueryError {
                    position: 0,
                    message: other.to_string(),
                },
            })?
        };
        if let Some((start, end)) = range {
            // Rows are time-sorted: the range is a span of rows.
            selection.retain_range(self.store.rows_before(start), self.store.rows_before(end));
        }
        let rows = Ranked::new(selection);
        let histogram = self.selection.histogram(&self.store, &rows);
        let facets = self.selection.facets(&self.store, FACETS, &rows);
        let count = rows.count() as u64;
        self.selection.set(rows, newest_first);
        Ok(QueryView {
            count,
            histogram,
            facets,
        })
    }

    /// Up to `limit` values of the query-language field `field` starting with `prefix`, most
    /// frequent first over all events; empty for unknown fields and for `time`.
    pub fn suggest(&self, field: &str, prefix: &str, limit: usize) -> Vec<(String, u64)> {
        let name = field.to_ascii_lowercase();
        let Some(info) = trailproof_events::query::field_names()
            .iter()
            .find(|f| f.name == name || f.aliases.contains(&name.as_str()))
        else {
            return Vec::new();
        };
        if matches!(info.field, Field::Time | Field::EventId) {
            return Vec::new();
        }
        self.store
            .suggest(info.field, prefix, limit)
            .into_iter()
            .map(|f| (f.value, f.count))
            .collect()
    }

    /// Rows `offset..offset+limit` of the current selection.
    pub fn rows(&self, offset: u32, limit: u32) -> Vec<RowView> {
        self.selection
            .iter_from(offset as usize)
            .take(limit as usize)
            .map(|row| self.row_view(row))
            .collect()
    }

    fn row_view(&self, row: usize) -> RowView {
        let s = &self.store;
        RowView {
            row: row as u32,
            time_ms: s.time_ms(row),
            provider: s.text(row, Field::Provider),
            account: s.text(row, Field::Account),
            region: s.text(row, Field::Region),
            service: s.text(row, Field::Service),
            action: s.text(row, Field::Action),
            actor: s.text(row, Field::Actor),
            source_ip: s.text(row, Field::SourceIp),
            rw: s.text(row, Field::ReadWrite),
            error: s.text(row, Field::ErrorCode),
            integrity: s.text(row, Field::Integrity),
            flagged: s.flagged(row),
            tags: s.text(row, Field::Tag),
        }
    }

    /// What identifies `row` in a workpaper: its raw record's file and byte span (plus event
    /// ID and time, for people and as a fallback).
    pub fn event_key(&self, row: usize) -> Option<EventKey> {
        let (file, raw) = self.raw_ref(u32::try_from(row).ok()?)?;
        Some(EventKey {
            file,
            offset: raw.offset,
            len: raw.len as u64,
            event_id: self.store.text(row, Field::EventId),
            time_ms: self.store.time_ms(row),
        })
    }

    /// The row `key` names: the row whose record has that file and byte span; else (an
    /// identical copy of the record was kept from another file) the one row with the same
    /// event ID at the same time. Rows are time-sorted, so both look only at that instant
    /// unless the span is not there.
    fn resolve(&self, key: &EventKey) -> Option<usize> {
        let n = self.store.len();
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.store.time_ms(mid) < key.time_ms {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let same_time = (lo..n).take_while(|&r| self.store.time_ms(r) == key.time_ms);
        let file = self.store.files().iter().position(|f| *f == key.file);
        let span_at = |r: usize| {
            let raw = self.store.raw(r);
            Some(raw.file as usize) == file && raw.offset == key.offset && raw.len as u64 == key.len
        };
        if let Some(r) = same_time.clone().find(|&r| span_at(r)) {
            return Some(r);
        }
        if !key.event_id.is_empty() {
            let mut by_id =
                same_time.filter(|&r| self.store.text(r, Field::EventId) == key.event_id);
            if let (Some(r), None) = (by_id.next(), by_id.next()) {
                return Some(r);
            }
        }
        file.and_then(|_| (0..n).find(|&r| span_at(r)))
    }

    /// Replaces the auditor's workpaper: resolves each mark to its row and labels the store
    /// (for `tag:`, `flagged:`, the Tags column and facet). Returns how many marks name no
    /// loaded event.
    pub fn set_workpaper(&mut self, note: String, marks: Vec<Mark>) -> u32 {
        let resolved: Vec<Resolved> = marks
            .into_iter()
            .map(|m| {
                let row = self.resolve(&m.event);
                (m, row)
            })
            .collect();
        self.store
            .set_labels(resolved.iter().filter_map(|(m, row)| {
                let label = trailproof_events::Label {
                    flagged: m.flagged,
                    tags: m.tags.clone(),
                };
                row.map(|r| (r, label))
            }));
        let unresolved = resolved.iter().filter(|(_, r)| r.is_none()).count();
        self.workpaper = Some((note, resolved));
        u32::try_from(unresolved).unwrap_or(u32::MAX)
    }

    /// The report's "Auditor's observations", in time order (`None` without a workpaper).
    fn observations(&self) -> Option<Observations> {
        let (note, marks) = self.workpaper.as_ref()?;
        let mut events: Vec<(i64, Observation)> = marks
            .iter()
            .map(|(m, row)| {
                let time = row.map_or(m.event.time_ms, |r| self.store.time_ms(r));
                let o = Observation {
                    reference: m.event.reference(),
                    flagged: m.flagged,
                    tags: m.tags.clone(),
                    note: m.note.clone(),
                    event: row.map(|r| EvidenceEvent::of(&self.store, r)),
                };
                (time, o)
            })
            .collect();
        events.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.reference.cmp(&b.1.reference))
        });
        Some(Observations {
            note: note.clone(),
            events: events.into_iter().map(|(_, o)| o).collect(),
        })
    }

    /// Where the original record of `row` is: (file path, reference), if the row exists.
    pub fn raw_ref(&self, row: u32) -> Option<(String, RawRef)> {
        let row = row as usize;
        if row >= self.store.len() {
            return None;
        }
        let raw = self.store.raw(row);
        let path = self.store.files().get(raw.file as usize)?.clone();
        Some((path, raw))
    }

    /// Every normalized field of `row`; the raw record is filled in by [`read_record`].
    pub fn detail(&self, row: u32) -> Option<DetailView> {
        let (path, raw) = self.raw_ref(row)?;
        let r = row as usize;
        let mut fields: Vec<(String, String)> = Field::ALL
            .iter()
            .filter(|f| {
                !matches!(
                    f,
                    Field::File
                        | Field::Time
                        | Field::Resource
                        | Field::Integrity
                        | Field::Tag
                        | Field::Flagged
                )
            })
            .map(|&f| (f.name().to_owned(), self.store.text(r, f)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        fields.insert(0, ("time".into(), rfc3339(self.store.time_ms(r))));
        let resources = self.store.resources(r);
        if !resources.is_empty() {
            fields.push(("resources".into(), resources.join("\n")));
        }
        Some(DetailView {
            row,
            fields,
            source: format!(
                "{path} (bytes {}..{})",
                raw.offset,
                raw.offset + raw.len as u64
            ),
            integrity: self.store.integrity(r).as_str().to_owned(),
            integrity_detail: integrity_detail(&self.store, r),
            raw: Err("not read yet".into()),
            key: self.event_key(r),
        })
    }

    /// Writes the current selection in `format`, in chunks of roughly `chunk` bytes.
    pub fn export(&self, format: ExportFormat, chunk: usize, out: &mut dyn FnMut(String)) -> u64 {
        let mut buf = String::new();
        if format == ExportFormat::Csv {
            buf.push_str("time,");
            buf.push_str(
                &ROW_FIELDS
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(","),
            );
            buf.push_str(",event_id,source,proof\n");
        }
        for r in self.selection.iter_from(0) {
            let row = r as u32;
            let source = self
                .raw_ref(row)
                .map(|(p, raw)| format!("{p}:{}", raw.offset))
                .unwrap_or_default();
            match format {
                ExportFormat::Csv => {
                    let mut cells = vec![rfc3339(self.store.time_ms(r))];
                    cells.extend(ROW_FIELDS.iter().map(|&f| self.store.text(r, f)));
                    cells.push(self.store.text(r, Field::EventId));
                    cells.push(source);
                    cells.push(proof_text(self.store.proof(r)));
                    let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                    buf.push_str(&line.join(","));
                    buf.push('\n');
                }
                // Reports are rendered by `audit_report`, not row by row.
                ExportFormat::ReportHtml
                | ExportFormat::ReportJson
                | ExportFormat::FindingsCsv
                | ExportFormat::Proof => return 0,
                ExportFormat::Json => {
                    let mut obj = serde_json::Map::new();
                    obj.insert("time".into(), rfc3339(self.store.time_ms(r)).into());
                    for &f in ROW_FIELDS {
                        obj.insert(f.name().into(), self.store.text(r, f).into());
                    }
                    obj.insert("event_id".into(), self.store.text(r, Field::EventId).into());
                    obj.insert("source".into(), source.into());
                    obj.insert(
                        "proof".into(),
                        serde_json::to_value(self.store.proof(r)).unwrap_or_default(),
                    );
                    buf.push_str(&serde_json::Value::Object(obj).to_string());
                    buf.push('\n');
                }
            }
            if buf.len() >= chunk {
                out(std::mem::take(&mut buf));
            }
        }
        if !buf.is_empty() {
            out(buf);
        }
        self.selection.len() as u64
    }
}

impl Engine {
    /// An inclusion proof for `row`, an event of the sealed archive, as a tlog-proof bundle.
    pub fn prove(&self, row: u32, inputs: &mut [Input<'_>]) -> Result<Vec<u8>, String> {
        let verification = self
            .verification
            .as_ref()
            .ok_or("no sealed archive is loaded")?;
        let (path, _) = self.raw_ref(row).ok_or("no such event")?;
        if !path.to_ascii_lowercase().ends_with(".rec") {
            return Err("only events of a sealed archive have inclusion proofs".into());
        }
        let event_id = self.store.text(row as usize, Field::EventId);
        if event_id.is_empty() {
            return Err("the event has no ID to find its record by".into());
        }
        let (_, first, _) = verification
            .record_files()
            .iter()
            .find(|(name, _, _)| path.ends_with(&format!("/{name}")) || path == *name)
            .ok_or_else(|| format!("{path} is not among the archive's record files"))?;
        let bytes = read_entry(inputs, &path)?;
        let (at, record) = trailproof_archive::find_event(&bytes, &event_id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("event {event_id} was not found in {path}"))?;
        verification
            .prove(first + at, record)
            .map_err(|e| e.to_string())
    }

    /// Runs the analysis again with `settings`, re-reading raw records from `inputs`.
    pub fn reanalyze(
        &mut self,
        settings: &AnalysisSettings,
        inputs: &mut [Input<'_>],
    ) -> Result<AnalysisView, String> {
        let options = compliance::options(settings)?;
        let report = self.report.as_ref().ok_or("nothing is loaded")?;
        let analysis = compliance::analyze(
            &self.store,
            &self.sigma,
            report,
            inputs,
            &Limits::default(),
            &options,
        );
        let view = compliance::view(&analysis, settings);
        self.analysis = Some(analysis);
        Ok(view)
    }

    /// For each input name, whether the analysis with `settings` re-reads it (to read those
    /// ahead, concurrently, before [`Engine::reanalyze`]).
    pub fn analysis_reads(&self, settings: &AnalysisSettings, inputs: &[&str]) -> Vec<bool> {
        match compliance::options(settings) {
            Ok(options) => compliance::inputs_needed(&self.store, &self.sigma, &options, inputs),
            Err(_) => vec![false; inputs.len()],
        }
    }

    /// The auditor report over everything loaded, in a report format (`None` for event
    /// exports or before a load).
    pub fn audit_report(
        &self,
        inputs: Vec<InputFile>,
        format: ExportFormat,
        tool: &trailproof_core::tool::Tool,
        requirement: Option<&str>,
    ) -> Option<String> {
        compliance::render(
            &self.store,
            self.analysis.as_ref()?,
            self.report.as_ref()?,
            inputs,
            compliance::AuditorInput {
                observations: self.observations(),
                requirement,
            },
            format,
            tool,
        )
    }
}

/// Judges every event by the load's verification and records it in the store and the
/// report (coverage block, notes on files with conflicting records). Records of a sealed
/// archive are judged by the archive as a whole ([`Verification::records_integrity`]): a
/// record file whose hash the manifest records proves nothing if the manifest or a
/// checkpoint failed.
fn apply_integrity(
    store: &mut EventStore,
    report: &mut Report,
    verification: Option<&Verification>,
) {
    let by_path = report.integrity_by_path();
    store.apply_integrity(|path| {
        if let Some(state) = verification.and_then(|v| v.records_integrity(path)) {
            return state;
        }
        match by_path.get(path) {
            Some((state, proof)) => (*state, proof.cloned()),
            None => (Integrity::Unprotected, None),
        }
    });
    trailproof_events::dedup::note_conflicts(store, report);
    report.coverage = Some(store.coverage());
}

/// A proof in one line, for CSV cells.
fn proof_text(p: Option<&trailproof_core::report::Proof>) -> String {
    let Some(p) = p else { return String::new() };
    let mut parts = Vec::new();
    if let Some(d) = &p.digest {
        parts.push(format!("digest {d}"));
    }
    if let Some(k) = &p.key {
        parts.push(format!("key {k}"));
    }
    if let Some(c) = &p.checkpoint {
        parts.push(format!("checkpoint {c}"));
    }
    parts.join("; ")
}

/// What an event's integrity rests on, for the detail pane.
fn integrity_detail(store: &EventStore, row: usize) -> String {
    use trailproof_core::report::Integrity;
    let conflict = if store.conflicting(row) {
        " Another record with the same event ID and different content is among the inputs (see the conflicting-duplicate finding)."
    } else {
        ""
    };
    let base = match (store.integrity(row), store.proof(row)) {
        (Integrity::Verified, Some(p)) => {
            let mut s = String::from("Verified");
            if let Some(d) = &p.digest {
                s.push_str(&format!(" by digest {d}"));
            }
            if let Some(k) = &p.key {
                s.push_str(&format!(", signed with key {k}"));
            }
            if let Some(c) = &p.checkpoint {
                s.push_str(&format!(" under the signed checkpoint {c}"));
            }
            s.push('.');
            s
        }
        (Integrity::Verified, None) => {
            "Verified: its file is listed with a matching hash by a digest whose signature verified.".into()
        }
        (Integrity::Failed, _) if store.conflicting(row) => {
            "Failed: verified evidence does not back this record.".into()
        }
        (Integrity::Failed, _) => {
            "Failed: its file did not verify (see Verification).".into()
        }
        (Integrity::Unverified, _) => {
            "Unverified: its file could be protected, but no verified digest proves it (see Verification).".into()
        }
        (Integrity::Unprotected, _) => {
            "Unprotected: no integrity mechanism among the inputs covers its file.".into()
        }
    };
    format!("{base}{conflict}")
}

/// RFC 3339 in UTC with milliseconds.
pub fn rfc3339(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => ms.to_string(),
    }
}

/// One CSV cell (RFC 4180 quoting). Values are written exactly; spreadsheet users should
/// import as text, since audit data must not be altered to defuse formulas.
fn csv_cell(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// The stored bytes of the file at `path` (an input, or an entry inside one).
fn read_entry(inputs: &mut [Input<'_>], path: &str) -> Result<Vec<u8>, String> {
    let input = inputs
        .iter_mut()
        .find(|i| path == i.name || path.starts_with(&format!("{}/", i.name)))
        .ok_or_else(|| format!("{path} is no longer available"))?;
    input
        .source
        .seek(SeekFrom::Start(0))
        .map_err(|e| e.to_string())?;
    let name = input.name.clone();
    let mut found = None;
    input::walk(&name, input.source, &Limits::default(), &mut |entry| {
        if entry.path == path {
            let mut bytes = Vec::new();
            found = Some(
                entry
                    .reader
                    .take(MAX_ENTRY_BYTES)
                    .read_to_end(&mut bytes)
                    .map(|_| bytes)
                    .map_err(|e| e.to_string()),
            );
            Control::Stop
        } else {
            Control::Continue
        }
    });
    found.ok_or_else(|| format!("{path} was not found again in {name}"))?
}

/// Reads the original record at `raw` in `path` from the input it came from, for display:
/// as stored when it already spans lines, pretty-printed when it is one compact line.
pub fn read_record(inputs: &mut [Input<'_>], path: &str, raw: &RawRef) -> Result<String, String> {
    let limits = Limits::default();
    let input = inputs
        .iter_mut()
        .find(|i| path == i.name || path.starts_with(&format!("{}/", i.name)))
        .ok_or_else(|| format!("{path} is no longer available"))?;
    input
        .source
        .seek(SeekFrom::Start(0))
        .map_err(|e| e.to_string())?;
    // Record files of sealed archives were indexed through their JSON-array view.
    let record_file = path.to_ascii_lowercase().ends_with(".rec");
    let view = |reader: &mut dyn Read| -> Result<Vec<u8>, String> {
        let result = if record_file {
            trailproof_events::ingest::read_raw(&mut JsonArrayReader::new(reader), raw, &limits)
        } else {
            trailproof_events::ingest::read_raw(reader, raw, &limits)
        };
        result.map_err(|e| e.to_string())
    };
    let bytes = if path == input.name {
        view(input.source)?
    } else {
        let mut found = None;
        let name = input.name.clone();
        input::walk(&name, input.source, &limits, &mut |entry| {
            if entry.path == path {
                found = Some(view(entry.reader));
                Control::Stop
            } else {
                Control::Continue
            }
        });
        found.ok_or_else(|| format!("{path} was not found again in {name}"))??
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if text.contains('\n') {
        return Ok(text);
    }
    Ok(serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(text))
}

/// The events crate's corpus generator, for tests on thousands of realistic events.
#[cfg(test)]
#[path = "../../events/tests/common/mod.rs"]
mod generator;

#[cfg(test)]
mod tests {
    use super::*;

    use super::generator;
    use crate::protocol::Histogram;
    use std::cell::Cell;
    use std::io::Cursor;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../testdata/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn inputs<'a, S: AsRef<str>>(
        files: &'a [(S, Vec<u8>)],
        cursors: &'a mut [Cursor<Vec<u8>>],
    ) -> Vec<Input<'a>> {
        files
            .iter()
            .zip(cursors.iter_mut())
            .map(|((name, bytes), c)| Input {
                name: name.as_ref().to_owned(),
                source: c,
                size: bytes.len() as u64,
                reopen: reopen(bytes),
            })
            .collect()
    }

    /// Opens `bytes` again, as a browser `Blob` is.
    pub(crate) fn reopen(bytes: &[u8]) -> Reopen<'_> {
        Box::new(move || Ok(Box::new(Cursor::new(bytes))))
    }

    fn load<S: AsRef<str>>(files: &[(S, Vec<u8>)]) -> (Engine, LoadSummary, Vec<Cursor<Vec<u8>>>) {
        let mut cursors: Vec<Cursor<Vec<u8>>> =
            files.iter().map(|(_, b)| Cursor::new(b.clone())).collect();
        let mut inputs = inputs(files, &mut cursors);
        let last = Rc::new(Cell::new(0));
        let seen = last.clone();
        let progress: Progress = Rc::new(RefCell::new(move |t: Tick<'_>| {
            assert!(t.done >= seen.get(), "progress went backwards");
            seen.set(t.done);
        }));
        let (engine, summary) = Engine::load(&mut inputs, progress);
        assert!(last.get() > 0);
        drop(inputs);
        (engine, summary, cursors)
    }

    const CT: &str = "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz";

    /// The bundled sample's files, relative paths and bytes.
    fn sample_files() -> Vec<(String, Vec<u8>)> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
            entries.sort_by_key(|e| e.path());
            for e in entries {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    let rel = path
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    out.push((rel, std::fs::read(&path).unwrap()));
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/sample");
        let mut out = Vec::new();
        walk(&root, &root, &mut out);
        out
    }

    /// What a finding says, without the paths (which differ between a folder and a zip).
    fn findings(summary: &LoadSummary) -> Vec<(String, String, Vec<String>)> {
        let mut f: Vec<_> = summary
            .analysis
            .findings
            .iter()
            .map(|f| (f.rule.clone(), f.message.clone(), f.evidence_ids.clone()))
            .collect();
        f.sort();
        f
    }

    #[test]
    fn the_analysis_after_a_load_rereads_records_from_plain_files_and_from_zips_alike() {
        let plain = sample_files();
        let files = plain.as_slice();
        let (_, folder, _) = load(files);
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in &plain {
            zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, bytes).unwrap();
        }
        let zipped = zip.finish().unwrap().into_inner();
        let (_, archive, _) = load(&[("sample.zip", zipped)]);
        // Rules that need raw records (e.g. an open security group's request parameters) only
        // fire when the analysis re-read the right input.
        let rules: Vec<String> = findings(&folder).into_iter().map(|f| f.0).collect();
        assert!(
            rules
                .iter()
                .any(|r| r.contains("security-group-open-to-world")),
            "{rules:?}"
        );
        assert_eq!(findings(&folder), findings(&archive));

        // Split load: the summary comes first with an empty analysis, then the analysis over
        // the same inputs gives what a one-step load gives.
        let mut cursors: Vec<Cursor<Vec<u8>>> =
            files.iter().map(|(_, b)| Cursor::new(b.clone())).collect();
        let mut inputs = inputs(files, &mut cursors);
        let progress: Progress = Rc::new(RefCell::new(|_: Tick<'_>| {}));
        let (mut engine, summary) = Engine::load_events(&mut inputs, progress, &mut Timings::off());
        assert_eq!(summary.analysis, AnalysisView::default());
        let view = engine
            .reanalyze(&AnalysisSettings::default(), &mut inputs)
            .unwrap();
        assert_eq!(view, folder.analysis);
    }

    #[test]
    fn workpaper_marks_survive_a_reload_and_reach_queries_rows_and_the_report() {
        let log = "111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
        let bytes = fixture(&format!("synthetic_aws/{log}"));
        // The same log twice: one copy is dropped as identical, so a mark made on either
        // copy must still find the kept row.
        let files = vec![
            ("a/log.json.gz", bytes.clone()),
            ("b/log.json.gz", bytes),
            (
                "cts.json",
                fixture("cts_trace_example_evs_deleteVolume_otcdocs.json"),
            ),
        ];
        let (mut engine, _, _) = load(&files);
        engine.query("provider:huawei", None, false).unwrap();
        let row = engine.rows(0, 1)[0].row as usize;
        let huawei = engine.event_key(row).unwrap();
        assert_eq!(huawei.file, "cts.json");
        assert_eq!(
            engine.detail(row as u32).unwrap().key.as_ref(),
            Some(&huawei)
        );
        engine.query("provider:aws", None, false).unwrap();
        let aws_rows = engine.rows(0, 10);
        let aws_row = aws_rows[0].row as usize;
        let mut aws = engine.event_key(aws_row).unwrap();
        // Name the other copy of the same record: resolved by event ID and time.
        aws.file = if aws.file.starts_with("a/") {
            "b/log.json.gz"
        } else {
            "a/log.json.gz"
        }
        .into();
        let ghost = EventKey {
            file: "cts.json".into(),
            offset: 999_999,
            len: 10,
            event_id: String::new(),
            time_ms: 0,
        };
        let marks = vec![
            Mark {
                event: huawei.clone(),
                flagged: true,
                tags: vec!["volume".into(), "review".into()],
                note: "deleted a disk".into(),
            },
            Mark {
                event: aws.clone(),
                flagged: false,
                tags: vec!["review".into()],
                note: String::new(),
            },
            Mark {
                event: ghost,
                flagged: true,
                tags: vec![],
                note: "gone <b>".into(),
            },
        ];

        // A fresh load of the same inputs: rows are found again from the keys alone.
        let (mut engine, _, _) = load(&files);
        assert_eq!(engine.set_workpaper("Q2 review".into(), marks), 1);
        let cases: &[(&str, u64)] = &[
            ("flagged:true", 1),
            ("tag:review", 2),
            ("tag:volume provider:huawei", 1),
            ("-tag:review", engine.len() as u64 - 2),
        ];
        for (query, count) in cases {
            assert_eq!(
                engine.query(query, None, false).unwrap().count,
                *count,
                "{query}"
            );
        }
        engine.query("flagged:true", None, false).unwrap();
        let rows = engine.rows(0, 10);
        assert_eq!(rows[0].action, "deleteVolume");
        assert!(rows[0].flagged);
        assert_eq!(rows[0].tags, "volume, review");
        let facets = engine.query("", None, false).unwrap().facets;
        let tags = facets.iter().find(|f| f.field == "tag").unwrap();
        assert_eq!(tags.values[0], ("review".to_string(), 2));

        let json = engine
            .audit_report(
                vec![],
                ExportFormat::ReportJson,
                &trailproof_core::tool::Tool::native("0.0.0-test", "test"),
                None,
            )
            .unwrap();
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        let obs = &report["observations"];
        assert_eq!(obs["note"], "Q2 review");
        let events = obs["events"].as_array().unwrap();
        assert_eq!(events.len(), 3);
        let huawei_obs = events
            .iter()
            .find(|e| e["note"] == "deleted a disk")
            .unwrap();
        assert_eq!(huawei_obs["event"]["action"], "deleteVolume");
        assert_eq!(huawei_obs["event"]["integrity"], "unprotected");
        assert_eq!(huawei_obs["reference"], huawei.reference());
        assert!(events
            .iter()
            .any(|e| e["note"] == "gone <b>" && e["event"].is_null()));
        let html = engine
            .audit_report(
                vec![],
                ExportFormat::ReportHtml,
                &trailproof_core::tool::Tool::native("0.0.0-test", "test"),
                None,
            )
            .unwrap();
        assert!(
            html.contains("Auditor&#39;s observations (3)")
                || html.contains("Auditor's observations (3)"),
            "{html}"
        );
        assert!(html.contains("not among the loaded events"));
        // The auditor's text is escaped like event text.
        assert!(html.contains("gone &lt;b&gt;") && !html.contains("gone <b>"));

        // Without a workpaper the report has no observations block.
        let (engine, _, _) = load(&files);
        let json = engine
            .audit_report(
                vec![],
                ExportFormat::ReportJson,
                &trailproof_core::tool::Tool::native("0.0.0-test", "test"),
                None,
            )
            .unwrap();
        assert!(!json.contains("\"observations\""));
    }

    /// A facet as (field, [(value, count)]).
    type NamedFacet = (String, Vec<(String, u64)>);

    /// What a query reply and its rows were before the selection became a ranked bitset: a
    /// list of row numbers, a histogram and facets counted row by row.
    fn reference(
        store: &EventStore,
        text: &str,
        range: Option<(i64, i64)>,
        newest_first: bool,
    ) -> (Vec<u32>, Histogram, Vec<NamedFacet>) {
        let mut rows: Vec<u32> = store
            .query(text)
            .unwrap()
            .iter()
            .filter(|&r| range.is_none_or(|(a, b)| (a..b).contains(&store.time_ms(r))))
            .map(|r| r as u32)
            .collect();
        let mut h = Histogram::default();
        if let (Some(&first), Some(&last)) = (rows.first(), rows.last()) {
            let (start, end) = (store.time_ms(first as usize), store.time_ms(last as usize));
            let steps = [
                1_000i64, 10_000, 60_000, 300_000, 900_000, 3_600_000, 10_800_000,
            ];
            let steps = steps.iter().chain(&[21_600_000, 43_200_000, 86_400_000]);
            let steps = steps.chain(&[604_800_000, 2_592_000_000, 31_536_000_000]);
            let span = (end - start).max(1);
            let bucket = steps
                .copied()
                .find(|s| span / s < 120)
                .unwrap_or(31_536_000_000);
            let start_ms = start.div_euclid(bucket) * bucket;
            let n = ((end - start_ms) / bucket + 1) as usize;
            h = Histogram {
                start_ms,
                bucket_ms: bucket,
                counts: vec![0; n],
                errors: vec![0; n],
            };
            for &r in &rows {
                let i = ((store.time_ms(r as usize) - start_ms) / bucket) as usize;
                h.counts[i] += 1;
                h.errors[i] += u32::from(store.failed(r as usize));
            }
        }
        let facets = FACETS
            .iter()
            .map(|&f| {
                let mut by: std::collections::BTreeMap<String, u64> = Default::default();
                if f != Field::Tag {
                    for &r in &rows {
                        let v = store.text(r as usize, f);
                        if !v.is_empty() {
                            *by.entry(v).or_default() += 1;
                        }
                    }
                }
                let mut v: Vec<(String, u64)> = by.into_iter().collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                v.truncate(8);
                (f.name().to_owned(), v)
            })
            .collect();
        if newest_first {
            rows.reverse();
        }
        (rows, h, facets)
    }

    #[test]
    fn queries_rows_histograms_and_facets_match_a_row_by_row_reference() {
        // The sample (five providers) and 6,000 generated CloudTrail events over two files.
        let mut files = sample_files();
        for k in 0..2u64 {
            let base = 1_714_521_600_000 + k as i64 * 600_000;
            files.push((
                format!("gen/111122223333_CloudTrail_us-east-1_{k}.json"),
                generator::cloudtrail_file(7 + k, 3_000, base),
            ));
        }
        let (mut engine, summary, _cursors) = load(&files);
        assert!(summary.events > 6_000, "{}", summary.events);
        let (t0, t1) = engine.store.time_span().unwrap();
        let ranges = [
            None,
            Some((t0, t1 + 1)),
            Some((t0 + (t1 - t0) / 3, t0 + (t1 - t0) * 2 / 3)),
            Some((t1 + 1, t1 + 2)),
        ];
        // Every row, most rows (the facets count the complement), some, one, none.
        let queries = [
            "",
            "-provider:generic",
            "rw:write",
            "outcome:error",
            "provider:huawei",
            "action:NoSuchThing",
        ];
        for text in queries {
            for range in ranges {
                for newest_first in [false, true] {
                    let what = format!("{text:?} {range:?} newest {newest_first}");
                    let view = engine.query(text, range, newest_first).unwrap();
                    let (rows, histogram, facets) =
                        reference(&engine.store, text, range, newest_first);
                    assert_eq!(view.count, rows.len() as u64, "{what}");
                    assert_eq!(view.histogram, histogram, "{what}");
                    let got: Vec<NamedFacet> = view
                        .facets
                        .into_iter()
                        .map(|f| (f.field, f.values))
                        .collect();
                    assert_eq!(got, facets, "{what}");
                    for (offset, limit) in
                        [(0, 100), (0, 7), (5, 13), (64, 64), (rows.len() as u32, 5)]
                    {
                        let got: Vec<u32> =
                            engine.rows(offset, limit).iter().map(|r| r.row).collect();
                        let want: Vec<u32> = rows
                            .iter()
                            .skip(offset as usize)
                            .take(limit as usize)
                            .copied()
                            .collect();
                        assert_eq!(got, want, "{what} rows({offset}, {limit})");
                    }
                    let mut csv = String::new();
                    let n = engine.export(ExportFormat::Csv, 1 << 20, &mut |c| csv.push_str(&c));
                    assert_eq!(n, rows.len() as u64, "{what}");
                }
            }
        }
    }

    /// The report names the requirement the page chose (`req=` id) and judges it first; an
    /// id the analysis did not judge (unknown, or `custom` before days were set) leaves the
    /// report saying no requirement was chosen.
    #[test]
    fn report_states_the_chosen_requirement() {
        let files = vec![(CT, fixture(CT))];
        let (mut engine, _, mut cursors) = load(&files);
        let report = |engine: &Engine, req: Option<&str>| {
            let tool = trailproof_core::tool::Tool::native("0.0.0-test", "test");
            let html = engine
                .audit_report(vec![], ExportFormat::ReportHtml, &tool, req)
                .unwrap();
            let json = engine
                .audit_report(vec![], ExportFormat::ReportJson, &tool, req)
                .unwrap();
            let json: serde_json::Value = serde_json::from_str(&json).unwrap();
            (html, json["chosen_requirement"].clone())
        };
        let unchosen = "No requirement chosen: all listed.";
        // (page id, custom days set, expected JSON, name the report gives first)
        let cases: [(Option<&str>, Option<u32>, serde_json::Value, &str); 6] = [
            (None, None, serde_json::Value::Null, "MLPS 2.0 (180 days)"),
            (
                Some("pci"),
                None,
                serde_json::json!({ "preset": "pci-dss4" }),
                "PCI DSS v4 10.5.1",
            ),
            (
                Some("sox"),
                None,
                serde_json::json!({ "preset": "sox" }),
                "SOX (7 years)",
            ),
            (
                Some("custom"),
                None,
                serde_json::Value::Null,
                "MLPS 2.0 (180 days)",
            ),
            (
                Some("custom"),
                Some(30),
                serde_json::json!({ "preset": "custom", "days": 30 }),
                "Custom (30 days)",
            ),
            (
                Some("nis2"),
                None,
                serde_json::Value::Null,
                "MLPS 2.0 (180 days)",
            ),
        ];
        for (id, days, want, first) in cases {
            let settings = AnalysisSettings {
                custom_days: days,
                ..AnalysisSettings::default()
            };
            let mut inputs = inputs(&files, &mut cursors);
            engine.reanalyze(&settings, &mut inputs).unwrap();
            drop(inputs);
            let (html, json) = report(&engine, id);
            assert_eq!(json, want, "{id:?} {days:?}");
            let section = html.find("<h2>Retention and coverage</h2>").unwrap();
            let body = &html[section..];
            if want.is_null() {
                assert!(body.contains(unchosen), "{id:?}: {body}");
                assert!(!html.contains("chosen by the auditor"), "{id:?}");
            } else {
                assert!(
                    body.contains(&format!("as chosen by the auditor: <b>{first}")),
                    "{id:?}: {body}"
                );
            }
            // The first row of the requirements table is the chosen one (or the first
            // preset when none is chosen).
            let row = body.find("<tbody>\n<tr").unwrap();
            let first_row = &body[row..body[row..].find("</tr>").unwrap() + row];
            assert!(first_row.contains(first), "{id:?}: {first_row}");
        }
    }

    #[test]
    fn loads_verifies_queries_and_reads_records_back() {
        let aws = "synthetic_aws/";
        let files = vec![
            (CT, fixture(CT)),
            ("cts.json", fixture("cts_trace_example_evs_deleteVolume_otcdocs.json")),
            ("keys.json", fixture(&format!("{aws}list-public-keys.json"))),
            (
                "111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T010000Z.json.gz",
                fixture(&format!("{aws}111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T010000Z.json.gz")),
            ),
            ("bad.json.gz", b"\x1f\x8bnot really gzip".to_vec()),
        ];
        let (mut engine, summary, mut cursors) = load(&files);
        assert!(summary.events >= 2, "{summary:?}");
        assert!(summary.providers.iter().any(|(p, _)| p == "aws"));
        assert!(summary.providers.iter().any(|(p, _)| p == "huawei"));
        assert_eq!(summary.files.len(), 5);
        assert!(summary.files.iter().any(|f| f.kind == "CloudTrail digest"));
        assert!(!summary
            .files
            .iter()
            .find(|f| f.path == "bad.json.gz")
            .unwrap()
            .problems
            .is_empty());
        assert!(!summary.report.items.is_empty());

        let all = engine.query("", None, false).unwrap();
        assert_eq!(all.count, summary.events);
        assert_eq!(
            all.histogram.counts.iter().map(|&c| c as u64).sum::<u64>(),
            all.count
        );
        let huawei = engine.query("provider:huawei", None, true).unwrap();
        assert_eq!(huawei.count, 1);
        let rows = engine.rows(0, 10);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].action, "deleteVolume");

        let err = engine.query("action:(", None, false).unwrap_err();
        assert!(err.position > 0, "{err:?}");

        let detail = engine.detail(rows[0].row).unwrap();
        assert!(detail
            .fields
            .iter()
            .any(|(k, v)| k == "action" && v == "deleteVolume"));
        let (path, raw) = engine.raw_ref(rows[0].row).unwrap();
        let mut inputs = inputs(&files, &mut cursors);
        let record = read_record(&mut inputs, &path, &raw).unwrap();
        assert!(record.contains("deleteVolume"), "{record}");

        let mut csv = String::new();
        let n = engine.export(ExportFormat::Csv, 1 << 20, &mut |s| csv.push_str(&s));
        assert_eq!(n, 1);
        assert!(csv.starts_with("time,provider,"), "{csv}");
        assert_eq!(csv.lines().count(), 2);
    }

    #[test]
    fn records_inside_a_zip_are_read_back() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file(CT, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, &fixture(CT)).unwrap();
        let zip = w.finish().unwrap().into_inner();
        let files = vec![("export.zip", zip)];
        let (mut engine, summary, mut cursors) = load(&files);
        assert!(summary.events > 0);
        engine.query("", None, false).unwrap();
        let row = engine.rows(0, 1)[0].row;
        let (path, raw) = engine.raw_ref(row).unwrap();
        assert_eq!(path, format!("export.zip/{CT}"));
        let zip = cursors[0].get_ref().clone();
        let mut inputs = vec![Input {
            name: "export.zip".into(),
            source: &mut cursors[0],
            size: 0,
            reopen: reopen(&zip),
        }];
        let record = read_record(&mut inputs, &path, &raw).unwrap();
        assert!(record.contains("eventName"), "{record}");
    }

    #[test]
    fn suggest_completes_values_by_frequency_and_ignores_unknown_fields() {
        let files = vec![
            (CT, fixture(CT)),
            (
                "cts.json",
                fixture("cts_trace_example_evs_deleteVolume_otcdocs.json"),
            ),
        ];
        let (engine, _, _) = load(&files);
        let providers = engine.suggest("cloud", "", 8);
        assert_eq!(providers[0], ("aws".to_owned(), 2));
        assert_eq!(providers[1], ("huawei".to_owned(), 1));
        assert_eq!(
            engine.suggest("action", "DEL", 8),
            vec![("deleteVolume".to_owned(), 1)]
        );
        assert!(engine.suggest("nope", "", 8).is_empty());
        assert!(engine.suggest("time", "", 8).is_empty());
        assert_eq!(rfc3339(1_512_993_891_000), "2017-12-11T12:04:51.000Z");
    }

    /// The synthetic chain (top level), its forged log and an ActionTrail event.
    fn chain_with_forgery() -> Vec<(String, Vec<u8>)> {
        let dir = format!(
            "{}/../../testdata/fixtures/synthetic_aws",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        files.sort();
        let forged =
            "tampered_111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
        files.push((
            forged.to_owned(),
            fixture(&format!("synthetic_aws/negative/{forged}")),
        ));
        let ali = "actiontrail_event_ram_user_DescribeInstances_sdkdoc.json";
        files.push((ali.to_owned(), fixture(ali)));
        files
    }

    #[test]
    fn every_event_carries_its_integrity_and_the_summary_its_coverage() {
        let owned = chain_with_forgery();
        let files = owned.as_slice();
        let (mut engine, summary, _) = load(files);
        // 3 delivered events, the forged version of one, 1 ActionTrail event.
        let c = summary
            .report
            .coverage
            .expect("the worker fills the coverage block");
        assert_eq!(
            (c.events, c.verified, c.failed, c.unverified, c.unprotected),
            (5, 3, 1, 0, 1),
            "{summary:?}"
        );
        assert_eq!(
            c.phrases(),
            [
                "3 of 5 events verified",
                "1 failed verification",
                "1 has no integrity protection"
            ]
        );
        let line = |p: &str| {
            summary
                .files
                .iter()
                .find(|f| f.path.starts_with(p))
                .unwrap()
        };
        let forged = line("tampered_");
        assert_eq!((forged.conflicts, forged.duplicates), (1, 1));
        assert_eq!(line("actiontrail").integrity, "unprotected");
        assert_eq!(
            line("111122223333_CloudTrail_us-east-1_20240501T0215Z").integrity,
            "verified"
        );
        // The conflict is a finding and a note on the forged file's item.
        assert!(summary
            .analysis
            .findings
            .iter()
            .any(|f| format!("{f:?}").contains("conflicting-duplicate")));
        let item = summary
            .report
            .items
            .iter()
            .find(|i| i.path.starts_with("tampered_"))
            .unwrap();
        assert!(item
            .notes
            .iter()
            .any(|n| n.contains("conflicting duplicate")));

        // Query field, facet, rows, detail and exports.
        let failed = engine.query("integrity:failed", None, false).unwrap();
        assert_eq!(failed.count, 1);
        let rows = engine.rows(0, 10);
        assert_eq!(rows[0].action, "GetBucketPolicy");
        assert_eq!(rows[0].integrity, "failed");
        let detail = engine.detail(rows[0].row).unwrap();
        assert_eq!(detail.integrity, "failed");
        assert!(
            detail.integrity_detail.contains("same event ID"),
            "{}",
            detail.integrity_detail
        );
        let q = engine.query("-integrity:verified", None, false).unwrap();
        assert_eq!(q.count, 2);
        let facet = q.facets.iter().find(|f| f.field == "integrity").unwrap();
        assert!(facet.values.contains(&("unprotected".to_owned(), 1)));
        let verified = engine.query("integrity:verified", None, false).unwrap();
        assert_eq!(verified.count, 3);
        let row = engine.rows(0, 1)[0].row;
        assert!(engine
            .detail(row)
            .unwrap()
            .integrity_detail
            .starts_with("Verified"));
        let mut json = String::new();
        engine.export(ExportFormat::Json, 1 << 20, &mut |s| json.push_str(&s));
        let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
        assert_eq!(first["integrity"], "verified");
        assert!(first.get("proof").is_some());
    }

    #[test]
    fn csv_cells_are_quoted_exactly() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=1+1"), "=1+1");
    }

    /// A sealed archive made in memory (two CloudTrail records) and its verifier-key file.
    fn sealed_archive() -> Vec<(String, Vec<u8>)> {
        use trailproof_archive::{SealOptions, Sealer};
        use trailproof_tlog::note::Signer;
        const ORIGIN: &str = "audit.example.com/acme/prod";
        let records = br#"{"Records":[
  {"eventVersion":"1.09","eventTime":"2024-05-01T00:01:10Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","userName":"alice"},"eventID":"ev-1","recipientAccountId":"111122223333"},
  {"eventVersion":"1.09","eventTime":"2024-05-01T02:03:42Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"us-east-1","sourceIPAddress":"10.1.2.3","userIdentity":{"type":"IAMUser","userName":"bob"},"eventID":"ev-2","recipientAccountId":"111122223333"}
]}"#;
        let signer = Signer::ed25519(ORIGIN, &[42; 32]).unwrap();
        let vkey = signer.verifier_key().to_string();
        let options = SealOptions {
            period: Some(3600),
            nonce: None,
            now: 1_714_540_000,
        };
        let mut sealer = Sealer::new(signer, options).unwrap();
        sealer.add_file("trail.json", records).unwrap();
        let mut files: Vec<(String, Vec<u8>)> = sealer
            .finish()
            .unwrap()
            .files
            .into_iter()
            .map(|(p, b)| (format!("archive/{p}"), b))
            .collect();
        files.push(("prod.vkey".into(), format!("{vkey}\n").into_bytes()));
        files
    }

    /// Everything a load shows, with every event in store order and a few queries' rows.
    fn everything(engine: &mut Engine, summary: &LoadSummary) -> Vec<String> {
        let mut out = vec![serde_json::to_string_pretty(summary).unwrap()];
        engine.export(ExportFormat::Json, 1 << 16, &mut |s| out.push(s));
        for query in [
            "",
            "provider:aws",
            "integrity:failed",
            "action:PutBucketPolicy",
        ] {
            let view = engine.query(query, None, true).unwrap();
            out.push(format!("{query}: {view:?} {:?}", engine.rows(0, 500)));
        }
        out
    }

    /// Every kind of input at once: the bundled sample, a chain with a forged log, a sealed
    /// archive, a Sigma rule, the sample again zipped, the forged chain again in a `.tar.gz`.
    fn mixed_inputs() -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = sample_files();
        files.extend(chain_with_forgery());
        files.extend(sealed_archive());
        files.push((
            "rules/open-sg.yml".into(),
            b"title: x\ndetection: {}\n".to_vec(),
        ));
        // The bundled sample again, zipped, so copies of its events are dropped across runs.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in sample_files() {
            zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, &bytes).unwrap();
        }
        files.push(("again.zip".into(), zip.finish().unwrap().into_inner()));
        // And the forged chain's files in a `.tar.gz`: a second read of an entry re-inflates it.
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (name, bytes) in chain_with_forgery() {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            tar.append_data(&mut header, name, bytes.as_slice())
                .unwrap();
        }
        let tgz = tar.into_inner().unwrap().finish().unwrap();
        files.push(("again.tar.gz".into(), tgz));
        files
    }

    /// The inputs cut into 1, 2, 3 or 7 runs, each loaded apart (as the browser's load
    /// workers do) and finished together, give exactly what one run gives: summary, report,
    /// lines, sealed archive and proofs, store, query results in the same order, analysis.
    #[test]
    fn runs_finished_together_give_what_one_run_gives() {
        let files = mixed_inputs();
        let sizes: Vec<u64> = files.iter().map(|(_, b)| b.len() as u64).collect();
        let outcome = |runs: &[run::RunSpec], hold: u64, batch: usize, parts: Option<usize>| {
            let mut cursors: Vec<Cursor<Vec<u8>>> =
                files.iter().map(|(_, b)| Cursor::new(b.clone())).collect();
            let mut inputs = inputs(&files, &mut cursors);
            let seen = Rc::new(Cell::new(0));
            let last = seen.clone();
            let events = Rc::new(Cell::new(0));
            let counted = events.clone();
            let progress: Progress = Rc::new(RefCell::new(move |t: Tick<'_>| {
                assert!(t.done >= last.get(), "progress went backwards");
                assert!(t.events >= counted.get(), "the event count went backwards");
                last.set(t.done);
                counted.set(t.events);
            }));
            let (mut engine, mut summary) = Engine::load_in_runs(
                &mut inputs,
                runs,
                hold,
                batch,
                parts,
                progress,
                &mut Timings::off(),
            );
            summary.analysis = engine
                .reanalyze(&AnalysisSettings::default(), &mut inputs)
                .unwrap();
            let total: u64 = sizes.iter().sum();
            assert_eq!(seen.get(), total, "progress ends at every byte");
            everything(&mut engine, &summary)
        };
        // Runs of `lengths` consecutive inputs (the rest, if any, one more).
        let cut = |lengths: &[usize]| -> Vec<run::RunSpec> {
            let mut runs = Vec::new();
            let mut start = 0;
            for &n in lengths.iter().chain(std::iter::repeat(&files.len())) {
                if start == files.len() {
                    break;
                }
                let end = (start + n).min(files.len());
                runs.push(run::RunSpec::whole(start..end));
                start = end;
            }
            runs
        };
        let one = outcome(&cut(&[]), run::HOLD_BYTES, 0, None);
        assert!(one[0].contains("\"sealed\"") && one[0].contains("verifier key"));
        assert!(one[0].contains("\"integrity\": \"failed\""), "a forged log");
        // Equal, or the first line that differs (not pages of JSON).
        let same = |got: Vec<String>, what: &str| {
            assert_eq!(got.len(), one.len(), "{what}");
            for (g, o) in got.iter().zip(&one) {
                let differ = g
                    .lines()
                    .zip(o.lines())
                    .enumerate()
                    .find(|(_, (a, b))| a != b);
                assert!(differ.is_none() && g.len() == o.len(), "{what}: {differ:?}");
            }
        };
        for k in [1, 2, 3, 7] {
            let n = files.len().div_ceil(k);
            same(
                outcome(&cut(&vec![n; k]), run::HOLD_BYTES, 0, None),
                &format!("{k} runs"),
            );
        }
        // Uneven runs too, one input each at the start.
        assert!(outcome(&cut(&[1, 1, 1, 5]), run::HOLD_BYTES, 0, None) == one);
        // Runs added a few inputs at a time, as load workers add what they have read ahead.
        for (k, batch) in [(1, 1), (2, 3), (3, 2)] {
            let n = files.len().div_ceil(k);
            same(
                outcome(&cut(&vec![n; k]), run::HOLD_BYTES, batch, None),
                &format!("{k} runs in batches of {batch}"),
            );
        }
        // Runs that hand their events on as they grow, after every entry with events or
        // every few hundred events, as load workers do.
        for (k, batch, every) in [(1, 0, 1), (2, 3, 1), (3, 1, 300)] {
            let n = files.len().div_ceil(k);
            same(
                outcome(&cut(&vec![n; k]), run::HOLD_BYTES, batch, Some(every)),
                &format!("{k} runs in batches of {batch}, parts of {every} events"),
            );
        }
        // Every entry streamed (scanned from the walk, ingested from a second read), or those
        // over 1 KiB: the same load.
        for hold in [0, 1 << 10] {
            same(
                outcome(&cut(&[]), hold, 0, Some(1)),
                &format!("entries over {hold} bytes streamed"),
            );
        }
        // Cut as the engine worker cuts them for 1, 2 or 5 load workers, the zip in ranges of
        // its entries (every zip, whatever its size), streamed or not.
        let zip_sizes = |i: usize| {
            trailproof_core::input::zip_entry_sizes(&mut Cursor::new(files[i].1.as_slice()))
        };
        let zip_at = files.iter().position(|(n, _)| n == "again.zip").unwrap();
        let listed = zip_sizes(zip_at).unwrap().len();
        for (workers, hold) in [(1, run::HOLD_BYTES), (2, run::HOLD_BYTES), (5, 0)] {
            let runs = run::cut_runs(&sizes, workers, &mut |i| zip_sizes(i));
            let ranges = runs.iter().filter(|r| r.zip.is_some()).count();
            let most = (workers * run::RUNS_PER_WORKER).min(listed);
            assert!(ranges > 1 && ranges <= most, "{runs:?}");
            same(
                outcome(&runs, hold, 0, (workers > 1).then_some(1)),
                &format!("{workers} workers, the zip in {ranges} ranges"),
            );
        }
    }

    /// How a host answers for the logs it took to hash ([`run::RunLoader::hashing`]).
    #[derive(Clone, Copy, PartialEq)]
    enum Answer {
        /// The SHA-256 of the bytes it took.
        Right,
        /// Declines every other log (hashed by the scan instead).
        DeclineHalf,
        /// A wrong digest for the log at this path.
        Wrong(&'static str),
        /// No digest for it (the browser's digest failed).
        Failed(&'static str),
        /// Never gives the hash of it.
        Never(&'static str),
    }

    /// Decoded logs a host took to hash, by ticket.
    type Taken = Rc<RefCell<Vec<(u64, Vec<u8>)>>>;

    /// A host that hashes the logs it takes after each batch, as a load worker settles the
    /// browser's digests.
    #[derive(Clone)]
    struct Later {
        answer: Answer,
        taken: Taken,
        offers: Rc<Cell<u64>>,
    }

    impl trailproof_load::LogHasher for Later {
        fn take(&mut self, decoded: &[u8]) -> Option<u64> {
            self.offers.set(self.offers.get() + 1);
            if self.answer == Answer::DeclineHalf && self.offers.get() % 2 == 0 {
                return None;
            }
            let ticket = 100 + 7 * self.offers.get();
            self.taken.borrow_mut().push((ticket, decoded.to_vec()));
            Some(ticket)
        }
    }

    impl Later {
        /// The hashes of everything taken since the last call, by ticket, as `answer` says.
        fn settle(&self) -> Vec<(u64, Result<[u8; 32], String>)> {
            let sha = |bytes: &[u8]| {
                let mut h = trailproof_core::hash::FileHasher::new();
                h.update(bytes);
                h.finish().sha256
            };
            // A log of the chain's is told by its first record's source.
            let is = |bytes: &[u8], log: &str| {
                String::from_utf8_lossy(bytes).contains(&format!("\"{log}\""))
            };
            let mut given = Vec::new();
            for (ticket, bytes) in self.taken.borrow_mut().drain(..) {
                let hash = match self.answer {
                    Answer::Wrong(log) if is(&bytes, log) => Ok([0x5a; 32]),
                    Answer::Failed(log) if is(&bytes, log) => Err("OperationError".to_owned()),
                    Answer::Never(log) if is(&bytes, log) => continue,
                    _ => Ok(sha(&bytes)),
                };
                given.push((ticket, hash));
            }
            // In any order.
            given.reverse();
            given
        }
    }

    /// Loads `files` in one run whose logs a host hashes as `answer` says, in batches of two
    /// inputs: everything, and how many logs the host hashed.
    fn load_hashed_later(files: &[(String, Vec<u8>)], answer: Answer) -> (Vec<String>, u64) {
        let mut cursors: Vec<Cursor<Vec<u8>>> =
            files.iter().map(|(_, b)| Cursor::new(b.clone())).collect();
        let mut inputs = inputs(files, &mut cursors);
        let later = Later {
            answer,
            taken: Rc::default(),
            offers: Rc::default(),
        };
        let progress: Progress = Rc::new(RefCell::new(|_: Tick<'_>| {}));
        let mut loader =
            run::RunLoader::new(run::HOLD_BYTES, progress).hashing(Box::new(later.clone()));
        for batch in inputs.chunks_mut(2) {
            loader.add(batch, &Timings::off());
            loader.give_hashes(later.settle(), 0.0);
        }
        let run = loader.finish();
        let hashed = run.output.host_hashed;
        assert!(later.offers.get() > 0);
        let mut join = Join::new();
        join.add(run, &|| 0.0);
        let (mut engine, mut summary) = join.finish(&mut Timings::off());
        summary.analysis = engine
            .reanalyze(&AnalysisSettings::default(), &mut inputs)
            .unwrap();
        (everything(&mut engine, &summary), hashed)
    }

    /// A run whose CloudTrail logs its host hashes (as the browser's load workers have
    /// `crypto.subtle` do) loads exactly what a run that hashes them itself loads, whether the
    /// host takes every log or declines some; the hash the host gives is the one verified (a
    /// wrong one is a log that changed), and a log whose hash the host could not compute or
    /// never gave is reported unreadable, never intact.
    #[test]
    fn logs_hashed_by_the_host_load_as_logs_hashed_here() {
        let files = mixed_inputs();
        let progress: Progress = Rc::new(RefCell::new(|_: Tick<'_>| {}));
        let runs = [run::RunSpec::whole(0..files.len())];
        let one = {
            let mut cursors: Vec<Cursor<Vec<u8>>> =
                files.iter().map(|(_, b)| Cursor::new(b.clone())).collect();
            let mut inputs = inputs(&files, &mut cursors);
            let (mut engine, mut summary) = Engine::load_in_runs(
                &mut inputs,
                &runs,
                run::HOLD_BYTES,
                2,
                None,
                progress,
                &mut Timings::off(),
            );
            summary.analysis = engine
                .reanalyze(&AnalysisSettings::default(), &mut inputs)
                .unwrap();
            everything(&mut engine, &summary)
        };
        let (all, hashed) = load_hashed_later(&files, Answer::Right);
        assert!(all == one, "every log hashed by the host");
        // The gzip CloudTrail logs of the sample, its zipped copy, the chain and its copy.
        assert!(hashed >= 8, "{hashed} logs hashed by the host");
        let (half, fewer) = load_hashed_later(&files, Answer::DeclineHalf);
        assert!(half == one, "every other log hashed by the host");
        assert!(fewer < hashed && fewer > 0, "{fewer} of {hashed}");

        // A log of the chain that verifies, told by its first event's time (its copies in the
        // zip and the tarball too): valid when hashed right; otherwise a log that changed, or
        // one that could not be read (the forged log makes the verdict invalid either way).
        let log = "2024-05-01T02:11:05Z";
        let items = |all: &[String]| -> Vec<serde_json::Value> {
            let summary: serde_json::Value = serde_json::from_str(&all[0]).unwrap();
            let items = summary["report"]["items"].as_array().unwrap().clone();
            let ours = |i: &&serde_json::Value| {
                i["kind"] == "log"
                    && i["path"]
                        .as_str()
                        .is_some_and(|p| p.ends_with("0215Z_QrStUvWxYz012345.json.gz"))
            };
            items.iter().filter(ours).cloned().collect()
        };
        assert!(items(&one).len() >= 2);
        assert!(items(&one).iter().all(|i| i["status"] == "valid"));
        for (answer, says) in [
            (Answer::Wrong(log), "SHA-256 of its content is 5a5a5a5a"),
            (
                Answer::Failed(log),
                "its SHA-256 could not be computed: OperationError",
            ),
            (
                Answer::Never(log),
                "its SHA-256 could not be computed: its host gave no hash",
            ),
        ] {
            let (got, _) = load_hashed_later(&files, answer);
            let changed = items(&got);
            assert_eq!(changed.len(), items(&one).len(), "{says}");
            for item in changed {
                assert_ne!(item["status"], "valid", "{says}: {item}");
                let message = item["message"].as_str().unwrap_or_default();
                assert!(message.contains(says), "{says}: {item}");
            }
        }
    }

    #[test]
    fn sealed_records_are_verified_only_while_the_archive_verifies() {
        use trailproof_core::report::Integrity;
        let owned = sealed_archive();
        let files = owned.as_slice();
        let (engine, summary, _) = load(files);
        assert_eq!(
            summary.report.verdict,
            trailproof_core::report::Verdict::Valid,
            "{:?}",
            summary.report
        );
        assert_eq!(engine.store.len(), 2, "{summary:?}");
        for row in 0..engine.store.len() {
            assert_eq!(
                engine.store.integrity(row),
                Integrity::Verified,
                "row {row}"
            );
            let proof = engine
                .store
                .proof(row)
                .expect("a verified record names its proof");
            assert_eq!(
                proof.checkpoint.as_deref(),
                Some("audit.example.com/acme/prod at size 6"),
                "{proof:?}"
            );
        }
        assert_eq!(
            (
                summary.report.coverage.unwrap_or_default().events,
                summary.report.coverage.unwrap_or_default().verified
            ),
            (2, 2)
        );

        // One byte of one record changed (a letter inside a string: the record still parses).
        let mut changed = owned.clone();
        let rec = changed
            .iter_mut()
            .find(|(p, _)| p.ends_with(".rec"))
            .expect("a records file");
        let at = rec
            .1
            .windows(b"ListBuckets".len())
            .position(|w| w == b"ListBuckets")
            .expect("the record in the records file");
        rec.1[at] = b'M';
        let files = changed.as_slice();
        let (engine, summary, _) = load(files);
        assert_eq!(
            summary.report.verdict,
            trailproof_core::report::Verdict::Invalid
        );
        assert_eq!(engine.store.len(), 2, "both records are still read");
        for row in 0..engine.store.len() {
            assert_eq!(engine.store.integrity(row), Integrity::Failed, "row {row}");
        }
        assert_eq!(summary.report.coverage.unwrap_or_default().verified, 0);

        // Intact records, but no supplied key signed the checkpoints: the records file's hash
        // matches the manifest, which proves nothing, so its records are unverified.
        let mut other_key = owned.clone();
        let other = trailproof_tlog::note::Signer::ed25519("audit.example.com/acme/prod", &[7; 32])
            .unwrap()
            .verifier_key()
            .to_string();
        other_key
            .iter_mut()
            .find(|(p, _)| p == "prod.vkey")
            .unwrap()
            .1 = format!("{other}\n").into_bytes();
        let files = other_key.as_slice();
        let (engine, summary, _) = load(files);
        assert_eq!(
            summary.report.verdict,
            trailproof_core::report::Verdict::Incomplete
        );
        for row in 0..engine.store.len() {
            assert_eq!(
                engine.store.integrity(row),
                Integrity::Unverified,
                "row {row}"
            );
        }
    }
}
