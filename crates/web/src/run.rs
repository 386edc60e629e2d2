//! What one load worker does with a run of consecutive inputs, host-independent (tested
//! natively): every entry is read once, scanned for digest-chain verification and ingested
//! into the run's own [`Part`] from the same bytes ([`trailproof_load::scan_and_ingest`], as
//! the CLI does), and everything the engine needs to finish the load is gathered in a
//! [`RunOutput`]: the `Scanned` items for the one chain verification, the per-file lines, key
//! files, and the few entries only the engine can judge (sealed-archive parts, inclusion
//! proofs, Sigma rules) as bytes. [`crate::engine::Join`] appends the parts in input order and
//! verifies once, so any cut of the inputs into runs gives one store, one
//! report.

use std::cell::{Cell, RefCell};
use std::io::{Read, SeekFrom};
use std::ops::Range;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use trailproof_archive::frame::JsonArrayReader;
use trailproof_chain::{FileKind as ChainKind, ScanLimits, Scanned};
use trailproof_core::input::{self, Control, Limits};
use trailproof_events::ingest::{FileKind, FileSummary, Framing, Part, Phase as IngestPhase};
use trailproof_events::{Ingest, IngestOptions};
use trailproof_load::{LogHasher, Scan};

use crate::engine::{Input, Progress, Reopen, Tick, Timings, MAX_ENTRY_BYTES};
use crate::protocol::{FileLine, Phase, CHUNK};
use crate::sealed;

/// An entry the engine judges itself, from its bytes (few and small in practice).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Deferred {
    /// A tlog-proof bundle to check against the verifier keys.
    Proof,
    /// A file of a sealed archive, for the archive verifier.
    ArchivePart,
    /// A Sigma rule file.
    Sigma,
}

/// What a run of inputs gave, except its ingest part (sent apart, as bytes, between workers)
/// and the bytes of its deferred entries.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunOutput {
    /// Verifier-key files among the run's inputs: name and key lines, in input order.
    pub keys: Vec<(String, Vec<String>)>,
    /// Every scanned entry, in input order.
    pub scanned: Vec<Scanned>,
    /// One line per entry, in input order.
    pub lines: Vec<FileLine>,
    /// Entries the engine judges, in input order: what and which path (bytes alongside).
    pub deferred: Vec<(Deferred, String)>,
    /// Inputs that could not be read and container problems, in input order.
    pub problems: Vec<String>,
    /// Milliseconds spent reading entries, scanning and ingesting them (one read, one inflate:
    /// timed together), and walking in all.
    pub read_ms: f64,
    /// See [`RunOutput::read_ms`].
    pub scan_ingest_ms: f64,
    /// See [`RunOutput::read_ms`].
    pub walk_ms: f64,
    /// CloudTrail logs whose SHA-256 the host computed ([`RunLoader::hashing`]).
    pub host_hashed: u64,
    /// Milliseconds the host waited for those hashes after its batches
    /// ([`RunLoader::give_hashes`]).
    pub hash_wait_ms: f64,
}

/// A run's full result: its output, the bytes of its deferred entries, its ingest part.
pub struct Run {
    /// Everything but bytes.
    pub output: RunOutput,
    /// The bytes of each of `output.deferred`.
    pub deferred: Vec<Vec<u8>>,
    /// The run's events, unfinished.
    pub part: Part,
}

/// How the engine loads: the limits of the walk and the ingest options.
pub fn ingest_options() -> IngestOptions {
    IngestOptions {
        limits: Limits::default(),
        ..IngestOptions::default()
    }
}

pub(crate) fn describe(kind: &FileKind, chain: ChainKind) -> String {
    match chain {
        ChainKind::AwsDigest => return "CloudTrail digest".into(),
        ChainKind::CtsDigest => return "Huawei CTS digest".into(),
        ChainKind::Keys => return "public keys".into(),
        ChainKind::Sidecar => return "signature sidecar".into(),
        _ => {}
    }
    match kind {
        FileKind::Events { provider, framing } => {
            let who = provider.map(|p| p.as_str()).unwrap_or("mixed");
            let how = match framing {
                Framing::Objects => "objects".to_owned(),
                Framing::Array => "array".to_owned(),
                Framing::Wrapper(key) => format!("\"{key}\" list"),
                Framing::Csv => "CSV".to_owned(),
            };
            format!("{who} events ({how})")
        }
        FileKind::Companion(c) => format!("{c:?}").to_lowercase(),
        FileKind::Unknown => "unrecognised".into(),
        FileKind::Unreadable => "unreadable".into(),
        #[allow(unreachable_patterns)]
        _ => "other".into(),
    }
}

fn line(path: &str, kind: &str, stored: u64) -> FileLine {
    FileLine {
        path: path.to_owned(),
        kind: kind.to_owned(),
        stored,
        ..FileLine::default()
    }
}

/// Largest entry a load worker holds in memory to scan and ingest from one read. A bigger one
/// is streamed: scanned as the walk reads it, then found again through [`Input::reopen`] and
/// ingested as that second read goes by, so a worker never holds more than this of an entry
/// whatever its size (one `.jsonl.gz` of many gigabytes loads in bounded memory), at the cost
/// of reading and inflating that entry twice.
pub const HOLD_BYTES: u64 = 32 << 20;

/// Progress of a streamed entry's scan is told at most once per this many bytes.
const PACE: u64 = 4 << 20;

/// A run of consecutive inputs, loaded a few at a time: [`RunLoader::add`] takes the next
/// inputs of the run (a load worker hands over each batch it has read ahead while the next
/// batch's reads are under way), [`RunLoader::finish`] gives the run, the same whatever the
/// batches (tested natively with runs added in batches of 1, 2 and 3 inputs, and with every
/// entry streamed). Progress counts bytes of every input added so far, from 0.
pub struct RunLoader {
    hold: u64,
    limits: Limits,
    scan_limits: ScanLimits,
    ingest: Ingest,
    progress: Progress,
    /// Where the ingest's current entry starts and ends in the inputs' bytes, how many of its
    /// stored bytes make one byte of progress (2 for a streamed entry, whose first read, the
    /// scan's, counts for the first half).
    entry_at: Rc<Cell<(u64, u64, u64)>>,
    /// The ingest's current entry.
    entry_path: Rc<RefCell<String>>,
    /// Bytes consumed: never decreasing (ingest's final report names no position).
    high: Rc<Cell<u64>>,
    /// Events loaded so far, as progress tells them.
    events: Rc<Cell<u64>>,
    /// Events of the entries done.
    loaded: Cell<u64>,
    out: RunOutput,
    /// Every scanned entry, in input order, some waiting for their host's hash.
    scanned: Vec<Scan>,
    /// Where the first scan still waiting for its hash may be in `scanned`.
    unhashed_from: usize,
    /// The host's SHA-256 for decoded logs, if it has one of its own.
    hasher: Option<Box<dyn LogHasher>>,
    deferred: Vec<Vec<u8>>,
    /// Bytes of the inputs added before the current one.
    base: u64,
    /// Where the run's events go as they grow, if anywhere ([`RunLoader::handing_parts`]).
    parts: Option<Parts>,
    /// Events handed on in parts: progress counts them with the ingest's own.
    taken: Rc<Cell<u64>>,
}

/// Where a run hands its events on as they grow ([`RunLoader::handing_parts`]).
struct Parts {
    /// A part is handed on once the ingest holds at least this many events.
    every: usize,
    sink: Box<dyn FnMut(Part)>,
}

/// Events a load worker's run holds before it hands them on as a part (about 5 MiB of
/// columns): a worker then holds a part of this size, not its whole run (at 5 M events in
/// eight runs of 625,000 events, the largest load worker peaked at 273 MiB holding whole runs
/// and at 195 MiB handing parts on of 100,000 events; with batches of [`BATCH_BYTES`],
/// 62.6 MiB at 100,000 and 47.5 MiB at 50,000, the renderer's peak 764–770 → 720–748 MiB,
/// drop → summary the same: `docs/performance.md`).
pub const PART_EVENTS: usize = 50_000;

impl RunLoader {
    /// A run that streams entries over `hold` bytes ([`HOLD_BYTES`] in the browser): the
    /// result is the same whatever `hold`.
    pub fn new(hold: u64, progress: Progress) -> RunLoader {
        let mut ingest = Ingest::new(ingest_options());
        let entry_at = Rc::new(Cell::new((0u64, 0u64, 1u64)));
        let entry_path = Rc::new(RefCell::new(String::new()));
        let high = Rc::new(Cell::new(0u64));
        let events = Rc::new(Cell::new(0u64));
        let taken = Rc::new(Cell::new(0u64));
        {
            let (progress, entry_at, entry_path, high, events, taken) = (
                progress.clone(),
                entry_at.clone(),
                entry_path.clone(),
                high.clone(),
                events.clone(),
                taken.clone(),
            );
            // Cancel terminates the worker: the callback only watches, which lets a gzip log
            // of any size be inflated once for scan and ingest.
            ingest.observe_progress(Box::new(move |p| {
                let phase = match p.phase {
                    IngestPhase::Read | IngestPhase::Inflate => Phase::Inflate,
                    IngestPhase::Parse => Phase::Parse,
                    _ => Phase::Index,
                };
                let (start, end, per) = entry_at.get();
                high.set(high.get().max((start + p.stored_bytes / per).min(end)));
                events.set(events.get().max(taken.get() + p.events));
                (progress.borrow_mut())(Tick {
                    phase,
                    done: high.get(),
                    events: events.get(),
                    file: &entry_path.borrow(),
                });
            }));
        }
        RunLoader {
            hold,
            limits: Limits::default(),
            scan_limits: ScanLimits::default(),
            ingest,
            progress,
            entry_at,
            entry_path,
            high,
            events,
            loaded: Cell::new(0),
            out: RunOutput::default(),
            scanned: Vec::new(),
            unhashed_from: 0,
            hasher: None,
            deferred: Vec::new(),
            base: 0,
            parts: None,
            taken,
        }
    }

    /// The run with its events handed to `sink` as parts of at least `every` events, taken
    /// between entries ([`Ingest::take_part`]), as they grow; [`RunLoader::finish`] gives the
    /// rest. Appended in order before the rest, the parts give the run's one part.
    pub fn handing_parts(mut self, every: usize, sink: Box<dyn FnMut(Part)>) -> RunLoader {
        self.parts = Some(Parts { every, sink });
        self
    }

    /// The run with the decoded bytes of its held gzip CloudTrail logs offered to `hasher`
    /// ([`trailproof_load::scan_and_ingest_hashing`]): the host then gives every hash it took
    /// through [`RunLoader::give_hashes`] (a browser's digests are asynchronous: after each
    /// batch), and the run is the one it would be without.
    pub fn hashing(mut self, hasher: Box<dyn LogHasher>) -> RunLoader {
        self.hasher = Some(hasher);
        self
    }

    /// Completes the scans waiting for the hashes `given` (by the tickets the hasher named
    /// them), each the SHA-256 of the log's decoded bytes or why the host could not compute
    /// it (the log is then reported unreadable, never intact); `waited_ms` is how long the
    /// host waited for them.
    pub fn give_hashes(&mut self, given: Vec<(u64, Result<[u8; 32], String>)>, waited_ms: f64) {
        self.out.hash_wait_ms += waited_ms;
        if given.is_empty() {
            return;
        }
        let mut given: std::collections::HashMap<u64, Result<[u8; 32], String>> =
            given.into_iter().collect();
        let host_hashed = &mut self.out.host_hashed;
        let rest: Vec<Scan> = self
            .scanned
            .drain(self.unhashed_from..)
            .map(|slot| match slot {
                Scan::Unhashed { scan, ticket } => match given.remove(&ticket) {
                    Some(Ok(sha256)) => {
                        *host_hashed += 1;
                        Scan::Done(scan.hashed(&sha256))
                    }
                    Some(Err(why)) => Scan::Done(scan.not_hashed(&why)),
                    None => Scan::Unhashed { scan, ticket },
                },
                done => done,
            })
            .collect();
        self.scanned.extend(rest);
        // Scans before the first still waiting are never looked at again.
        let waiting = self.scanned[self.unhashed_from..]
            .iter()
            .position(|s| matches!(s, Scan::Unhashed { .. }));
        self.unhashed_from = waiting.map_or(self.scanned.len(), |at| self.unhashed_from + at);
    }

    /// Loads the next consecutive inputs of the run; `timings.clock` times the steps.
    pub fn add(&mut self, inputs: &mut [Input<'_>], timings: &Timings<'_>) {
        self.add_some(inputs, None, timings);
    }

    /// Loads the entries `entries` of the zip `input` ([`input::walk_zip_entries`]): a run
    /// of its own, one of the runs one zip is cut into ([`cut_runs`]). Progress counts
    /// `input.size` bytes for it: the range's share of the zip ([`ZipRange::bytes`]).
    pub fn add_entries(
        &mut self,
        input: &mut Input<'_>,
        entries: Range<usize>,
        timings: &Timings<'_>,
    ) {
        self.add_some(std::slice::from_mut(input), Some(entries), timings);
    }

    fn add_some(
        &mut self,
        inputs: &mut [Input<'_>],
        entries: Option<Range<usize>>,
        timings: &Timings<'_>,
    ) {
        let RunLoader {
            hold,
            limits,
            scan_limits,
            ingest,
            progress,
            entry_at,
            entry_path,
            high,
            events,
            loaded,
            out,
            scanned: scans,
            unhashed_from: _,
            hasher,
            deferred: deferred_bytes,
            base,
            parts,
            taken,
        } = self;
        let (hold, limits, scan_limits) = (*hold, &*limits, &*scan_limits);
        let report = |phase: Phase, done: u64, file: &str| {
            high.set(high.get().max(done));
            (progress.borrow_mut())(Tick {
                phase,
                done: high.get(),
                events: events.get(),
                file,
            })
        };
        // Before each entry and after each input: the events so far go on as a part if due.
        let hand_on = |ingest: &mut Ingest, parts: &mut Option<Parts>| {
            if let Some(Parts { every, sink }) = parts {
                if ingest.events() >= (*every).max(1) {
                    taken.set(taken.get() + ingest.events() as u64);
                    sink(ingest.take_part());
                }
            }
        };
        // After each entry, its events count even if the ingest reported no progress inside it.
        let counted = |summary: &FileSummary| {
            loaded.set(loaded.get() + summary.events);
            events.set(events.get().max(loaded.get()));
        };
        // Key files are whole top-level inputs: found first, then skipped by the walk (a
        // range of a zip's entries is none).
        for input in inputs.iter_mut().filter(|_| entries.is_none()) {
            if let Some(lines) = sealed::key_lines(input) {
                out.keys.push((input.name.clone(), lines));
            }
        }
        let clock = timings.clock;
        let (mut t_read, mut t_work) = (0.0, 0.0);
        let walk_start = clock();
        for input in inputs.iter_mut() {
            let (name, size) = (input.name.clone(), input.size);
            if let Err(e) = input.source.seek(SeekFrom::Start(0)) {
                out.problems.push(format!("{name}: {e}"));
                continue;
            }
            let reopen = &input.reopen;
            let mut read_here = 0u64;
            let mut visit = |entry: input::Entry<'_>| {
                hand_on(ingest, parts);
                let mut bytes = trailproof_load::entry_buffer(entry.size, hold);
                let t0 = clock();
                let mut read = entry.reader.take(hold + 1).read_to_end(&mut bytes);
                let lower = entry.path.to_ascii_lowercase();
                // Entries the engine judges from their bytes (and key files) are held whole.
                let judged = judged(entry.path, &lower, &bytes, &out.keys);
                let whole = judged.is_some();
                if read.is_ok() && whole && bytes.len() as u64 > hold {
                    let rest = (MAX_ENTRY_BYTES + 1).saturating_sub(bytes.len() as u64);
                    read = entry.reader.take(rest).read_to_end(&mut bytes);
                }
                t_read += clock() - t0;
                let stored = bytes.len() as u64;
                if let Err(e) = read {
                    let mut l = line(entry.path, "unreadable", stored);
                    l.problems.push(e.to_string());
                    out.lines.push(l);
                    return Control::Continue;
                }
                let entry_start = *base + read_here;
                entry_path.replace(entry.path.to_owned());
                if stored > MAX_ENTRY_BYTES {
                    let mut l = line(entry.path, "too large", stored);
                    l.problems.push(format!(
                        "larger than {} MiB: too big to judge in a browser tab; use the trailproof CLI",
                        MAX_ENTRY_BYTES >> 20
                    ));
                    out.lines.push(l);
                    return Control::Continue;
                }
                if stored > hold && !whole {
                    // Too big to hold: scanned as it streams by, then ingested from a second read.
                    report(Phase::Verify, entry_start, entry.path);
                    let t0 = clock();
                    let path = entry.path;
                    // Progress stays within the input (a container's entries may inflate).
                    let room = (*base + size).saturating_sub(entry_start);
                    let mut paced = Paced {
                        inner: bytes.as_slice().chain(&mut *entry.reader),
                        done: 0,
                        told: 0,
                        on: |n: u64| report(Phase::Verify, entry_start + (n / 2).min(room), path),
                    };
                    let scanned = trailproof_chain::scan(path, &mut paced, scan_limits);
                    drop(bytes);
                    let stored = scanned.stored_size;
                    let end = *base + (read_here + stored).min(size);
                    entry_at.set((entry_start + (end - entry_start) / 2, end, 2));
                    let summary = ingest_again(reopen, &name, path, limits, ingest);
                    t_work += clock() - t0;
                    read_here = (read_here + stored).min(size);
                    let chain_kind = scanned.kind();
                    scans.push(Scan::Done(scanned));
                    out.lines.push(match summary {
                        Ok(summary) => {
                            counted(&summary);
                            file_line(path, &summary, chain_kind)
                        }
                        Err(problem) => {
                            let mut l = line(path, "unreadable", stored);
                            l.problems.push(problem);
                            l
                        }
                    });
                    return Control::Continue;
                }
                read_here = (read_here + stored).min(size);
                entry_at.set((entry_start, *base + read_here, 1));
                let mut defer = |what: Deferred, bytes: Vec<u8>| {
                    out.deferred.push((what, entry.path.to_owned()));
                    deferred_bytes.push(bytes);
                };
                match judged {
                    Some(Judged::Key) => {
                        out.lines.push(line(entry.path, "verifier key", stored));
                        return Control::Continue;
                    }
                    Some(Judged::Proof) => {
                        defer(Deferred::Proof, bytes);
                        out.lines.push(line(entry.path, "inclusion proof", stored));
                        return Control::Continue;
                    }
                    Some(Judged::ArchivePart) if !lower.ends_with(".rec") => {
                        defer(Deferred::ArchivePart, bytes);
                        out.lines.push(line(entry.path, "sealed archive", stored));
                        return Control::Continue;
                    }
                    // A record file goes to the archive verifier and is indexed too (below).
                    Some(Judged::ArchivePart) => defer(Deferred::ArchivePart, bytes.clone()),
                    Some(Judged::Sigma) => {
                        // Sigma rules travel with the data; they are loaded, not indexed.
                        defer(Deferred::Sigma, bytes);
                        out.lines.push(line(entry.path, "Sigma rule", stored));
                        return Control::Continue;
                    }
                    None => {}
                }
                report(Phase::Verify, entry_start, entry.path);
                // A sealed archive's record file holds framed records: no digest chain can
                // cover it, and ingest reads it through its JSON-array view.
                let t0 = clock();
                let (chain_kind, summary) = if lower.ends_with(".rec") {
                    let summary =
                        ingest.add_file(entry.path, &mut JsonArrayReader::new(bytes.as_slice()));
                    (ChainKind::Other, summary)
                } else {
                    let (scan, summary) = match hasher {
                        Some(hasher) => trailproof_load::scan_and_ingest_hashing(
                            entry.path,
                            &bytes,
                            scan_limits,
                            ingest,
                            hasher.as_mut(),
                        ),
                        None => {
                            let (scanned, summary) = trailproof_load::scan_and_ingest(
                                entry.path,
                                &bytes,
                                scan_limits,
                                ingest,
                            );
                            (Scan::Done(scanned), summary)
                        }
                    };
                    let kind = scan.kind();
                    scans.push(scan);
                    (kind, summary)
                };
                // Scan and ingest share one read (and one inflate): timed together.
                t_work += clock() - t0;
                counted(&summary);
                out.lines.push(file_line(entry.path, &summary, chain_kind));
                Control::Continue
            };
            let diags = match &entries {
                None => input::walk(&name, input.source, limits, &mut visit),
                Some(range) => {
                    input::walk_zip_entries(&name, input.source, limits, range.clone(), &mut visit)
                }
            };
            out.problems.extend(diags.iter().map(|d| d.to_string()));
            hand_on(ingest, parts);
            *base += size;
            report(Phase::Index, *base, &name);
        }
        out.walk_ms += clock() - walk_start;
        out.read_ms += t_read;
        out.scan_ingest_ms += t_work;
    }

    /// The run: everything added. A log whose hash its host never gave is reported
    /// unreadable (a host's fault, never taken for an intact log).
    pub fn finish(self) -> Run {
        let mut output = self.out;
        output.scanned = self
            .scanned
            .into_iter()
            .map(|scan| match scan {
                Scan::Done(scanned) => scanned,
                Scan::Unhashed { scan, .. } => scan.not_hashed("its host gave no hash"),
            })
            .collect();
        Run {
            output,
            deferred: self.deferred,
            part: self.ingest.into_part(),
        }
    }
}

/// What the engine judges from an entry's bytes held whole, rather than a load worker scanning
/// and indexing it as it streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Judged {
    /// A verifier-key file (a whole top-level input, found before the walk).
    Key,
    /// A tlog-proof bundle.
    Proof,
    /// A file of a sealed archive (its record files are indexed too).
    ArchivePart,
    /// A Sigma rule file.
    Sigma,
}

/// Which [`Judged`] entry `path` is, if any, from its path (`lower`: lower-cased) and its
/// first bytes `head`; `keys` are the run's key files. First match in this order.
fn judged(path: &str, lower: &str, head: &[u8], keys: &[(String, Vec<String>)]) -> Option<Judged> {
    if keys.iter().any(|(k, _)| k == path) {
        Some(Judged::Key)
    } else if head.starts_with(sealed::PROOF_MAGIC) {
        Some(Judged::Proof)
    } else if sealed::is_archive_part(path) {
        Some(Judged::ArchivePart)
    } else if lower.ends_with(".yml") || lower.ends_with(".yaml") {
        Some(Judged::Sigma)
    } else {
        None
    }
}

/// The line of an ingested entry.
fn file_line(path: &str, summary: &FileSummary, chain: ChainKind) -> FileLine {
    FileLine {
        path: path.to_owned(),
        kind: describe(&summary.kind, chain),
        stored: summary.stored_bytes,
        events: summary.events,
        problems: summary.diagnostics.iter().map(|d| d.to_string()).collect(),
        ..FileLine::default()
    }
}

/// Finds the entry at `path` again through a second reader of its input (`reopen`) and
/// ingests it as that read streams it by.
fn ingest_again(
    reopen: &Reopen<'_>,
    name: &str,
    path: &str,
    limits: &Limits,
    ingest: &mut Ingest,
) -> Result<FileSummary, String> {
    let mut again = reopen().map_err(|e| format!("could not be read again: {e}"))?;
    let mut summary = None;
    // This walk's diagnostics repeat the first walk's up to this entry: not kept.
    let _ = input::walk(name, &mut *again, limits, &mut |entry| {
        if entry.path != path {
            return Control::Continue;
        }
        summary = Some(ingest.add_file(path, entry.reader));
        Control::Stop
    });
    summary.ok_or_else(|| format!("not found again in {name} for indexing"))
}

/// A reader that tells `on` how many bytes have gone through it, at most once per [`PACE`].
struct Paced<R, F> {
    inner: R,
    done: u64,
    told: u64,
    on: F,
}

impl<R: Read, F: FnMut(u64)> Read for Paced<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.done - self.told >= PACE {
            self.told = self.done;
            (self.on)(self.done);
        }
        Ok(n)
    }
}

/// Runs per load worker: enough that a worker given small inputs takes another run while a
/// slower one finishes, few enough that each run's fixed cost (messages, the part's
/// dictionaries appended once each) stays small.
pub const RUNS_PER_WORKER: usize = 4;

/// A range of one zip input's entries, loaded as a run of its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZipRange {
    /// Entries, by index in the zip's central directory ([`input::walk_zip_entries`]).
    pub entries: Range<usize>,
    /// Bytes of the zip the range accounts for in progress: the shares of one zip's ranges add
    /// up to its size ([`trailproof_load::cut_zip`]).
    pub bytes: u64,
}

/// A run: consecutive whole inputs, or a range of one zip input's entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    /// The inputs, by index (one, for a zip range).
    pub inputs: Range<usize>,
    /// Only these entries of that one input.
    pub zip: Option<ZipRange>,
}

impl RunSpec {
    /// Whole inputs.
    pub fn whole(inputs: Range<usize>) -> RunSpec {
        RunSpec { inputs, zip: None }
    }

    /// Bytes the run accounts for in progress, of inputs of `sizes` bytes.
    pub fn bytes(&self, sizes: &[u64]) -> u64 {
        match &self.zip {
            Some(zip) => zip.bytes,
            None => sizes.get(self.inputs.clone()).map_or(0, |s| s.iter().sum()),
        }
    }
}

/// A zip input at least this big is cut into ranges of its entries, each a run (one zip loads on
/// every worker); a smaller one takes a few hundred milliseconds on one worker (the 15.5 MB zip
/// of 6,049 small files about a second), less than fresh workers' warm-up would save.
pub const SPLIT_BYTES: u64 = CHUNK;

/// Cuts inputs of `sizes` bytes into runs for `workers` load workers: about `RUNS_PER_WORKER`
/// runs each of consecutive inputs, balanced by bytes and by count (many small files cost per
/// file, few big ones per byte); and a zip input for which `zip_sizes(index)` gives its
/// entries' stored sizes ([`input::zip_entry_sizes`]; hosts ask only for zips of at least
/// [`SPLIT_BYTES`]) is cut into as many ranges of its entries ([`trailproof_load::cut_zip`]),
/// each a run. Every input is in exactly one run or, cut, in consecutive ones, in order; the
/// runs' bytes add up to the inputs'.
pub fn cut_runs(
    sizes: &[u64],
    workers: usize,
    zip_sizes: &mut dyn FnMut(usize) -> Option<Vec<u64>>,
) -> Vec<RunSpec> {
    let pieces = workers.max(1) * RUNS_PER_WORKER;
    let wanted = pieces.min(sizes.len()).max(1);
    let total: u64 = sizes.iter().sum();
    let (per_bytes, per_count) = (total.div_ceil(wanted as u64), sizes.len().div_ceil(wanted));
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, &size) in sizes.iter().enumerate() {
        let cut = zip_sizes(i)
            .map(|entries| trailproof_load::cut_zip(&entries, size, pieces, &Limits::default()))
            .filter(|ranges| ranges.len() > 1);
        if let Some(ranges) = cut {
            if start < i {
                runs.push(RunSpec::whole(start..i));
            }
            runs.extend(ranges.into_iter().map(|(entries, bytes)| RunSpec {
                inputs: i..i + 1,
                zip: Some(ZipRange { entries, bytes }),
            }));
            (start, bytes) = (i + 1, 0);
            continue;
        }
        bytes += size;
        if bytes >= per_bytes || i + 1 - start >= per_count {
            runs.push(RunSpec::whole(start..i + 1));
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < sizes.len() {
        runs.push(RunSpec::whole(start..sizes.len()));
    }
    runs
}

/// Most files a load worker reads ahead in one batch (see [`batches`]): enough reads in
/// flight to keep the browser busy, few enough that the first batch is soon read.
pub const BATCH_FILES: usize = 256;

/// Most bytes of inputs in one batch of a load worker ([`batches`]; a bigger input is a batch
/// of its own). A load worker holds two batches read ahead at once (the one it loads and the
/// next), in JavaScript's memory; reading a batch takes a small part of loading one, so small
/// batches cost no time. The renderer's high-water mark at 5 M events (`docs/performance.md`,
/// Chromium 156): 999–1,012 MiB at 64 MiB a batch (half of a load worker's share of 256 MiB on
/// two cores, before), 803–833 at 16 MiB, 772–775 at 8 MiB, drop → summary the same. A batch of
/// small files is bounded by [`BATCH_FILES`] first.
pub const BATCH_BYTES: u64 = 8 << 20;

/// Largest input a load worker reads ahead whole, with the rest of its batch in one read
/// (and has the browser hash as read: `subtle`, in wasm builds); a bigger one is read slice by slice
/// as the walk goes.
pub const READ_AHEAD_MAX: u64 = 16 << 20;

/// Cuts inputs of `sizes` bytes into batches of consecutive inputs: at most [`BATCH_FILES`]
/// each, and at most `budget` bytes each, but never empty. Every input is in exactly one
/// batch, in order. Inputs too big to read ahead ([`READ_AHEAD_MAX`]) count too: the
/// browser's hashes of a batch's logs are settled after it, so a batch of them is bounded
/// like one read ahead.
pub fn batches(sizes: &[u64], budget: u64) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, &size) in sizes.iter().enumerate() {
        if i > start && (i - start >= BATCH_FILES || bytes.saturating_add(size) > budget) {
            out.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes = bytes.saturating_add(size);
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// What load workers send back, handed on in input order: each run's parts
/// ([`RunLoader::handing_parts`]) and then the run itself, every run after all those before
/// it. Workers answer in any order between runs, each run's own parts before the run.
#[derive(Debug)]
pub struct InOrder<P, R> {
    /// The run whose parts and result go on next.
    given: usize,
    /// Parts of later runs, held until every run before theirs is handed on.
    early: Vec<Vec<P>>,
    /// Later runs back already.
    waiting: Vec<Option<R>>,
}

/// The next thing to hand on, in input order ([`InOrder`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Next<P, R> {
    /// A part of the events of the run being handed on.
    Part(P),
    /// That run, complete (its parts handed on before it).
    Run(R),
}

impl<P, R> Default for InOrder<P, R> {
    fn default() -> Self {
        InOrder {
            given: 0,
            early: Vec::new(),
            waiting: Vec::new(),
        }
    }
}

impl<P, R> InOrder<P, R> {
    /// Runs handed on so far.
    pub fn given(&self) -> usize {
        self.given
    }

    /// A part of `run`'s events: handed on at once if `run` is the next in order, else held.
    /// `None` for a run already handed on (a worker that answers twice).
    pub fn part(&mut self, run: usize, part: P) -> Option<Vec<Next<P, R>>> {
        if run < self.given {
            return None;
        }
        if run == self.given {
            return Some(vec![Next::Part(part)]);
        }
        self.room(run);
        self.early[run].push(part);
        Some(Vec::new())
    }

    /// `run` is back: it and every run after it that is back too, each after its held
    /// parts, as far as the order allows. `None` for a run already back or handed on.
    pub fn done(&mut self, run: usize, result: R) -> Option<Vec<Next<P, R>>> {
        self.room(run);
        if run < self.given || self.waiting[run].is_some() {
            return None;
        }
        self.waiting[run] = Some(result);
        let mut out = Vec::new();
        while let Some(ready) = self.waiting.get_mut(self.given).and_then(Option::take) {
            out.push(Next::Run(ready));
            self.given += 1;
            // The next run's parts that came early, before any more of them.
            let held = self.early.get_mut(self.given).map(std::mem::take);
            out.extend(held.into_iter().flatten().map(Next::Part));
        }
        Some(out)
    }

    fn room(&mut self, run: usize) {
        if self.waiting.len() <= run {
            self.waiting.resize_with(run + 1, || None);
            self.early.resize_with(run + 1, Vec::new);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{InOrder, Next};

    /// Runs of a few parts each, answered by workers in every interleaving a seeded shuffle
    /// gives (each run's parts before its end, runs started in order): handed on in input
    /// order, every part of a run before the run and after the runs before it.
    #[test]
    fn parts_and_runs_are_handed_on_in_input_order() {
        let parts_of = [3usize, 0, 1, 4, 0, 2];
        let want: Vec<Next<(usize, usize), usize>> = parts_of
            .iter()
            .enumerate()
            .flat_map(|(r, &n)| {
                (0..n)
                    .map(move |k| Next::Part((r, k)))
                    .chain([Next::Run(r)])
            })
            .collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..500 {
            // Each run's messages in order; the runs' streams interleaved at random.
            let mut streams: Vec<std::collections::VecDeque<Next<(usize, usize), usize>>> =
                parts_of
                    .iter()
                    .enumerate()
                    .map(|(r, &n)| {
                        (0..n)
                            .map(|k| Next::Part((r, k)))
                            .chain([Next::Run(r)])
                            .collect()
                    })
                    .collect();
            let mut order = InOrder::default();
            let mut got = Vec::new();
            while streams.iter().any(|s| !s.is_empty()) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let open: Vec<usize> = (0..streams.len())
                    .filter(|&r| !streams[r].is_empty())
                    .collect();
                let r = open[seed as usize % open.len()];
                let handed = match streams[r].pop_front() {
                    Some(Next::Part(p)) => order.part(r, p),
                    Some(Next::Run(run)) => order.done(r, run),
                    None => unreachable!(),
                };
                got.extend(handed.expect("a message of a run not yet handed on"));
            }
            assert_eq!(got, want);
            assert_eq!(order.given(), parts_of.len());
        }
        // A run answered twice, or a part of a run already handed on: refused.
        let mut order: InOrder<u8, u8> = InOrder::default();
        assert_eq!(order.done(0, 1), Some(vec![Next::Run(1)]));
        assert_eq!(order.done(0, 1), None);
        assert_eq!(order.part(0, 7), None);
        assert_eq!(order.done(2, 3), Some(vec![]));
        assert_eq!(order.done(2, 3), None);
        assert_eq!(order.part(2, 9), Some(vec![]));
        assert_eq!(
            order.done(1, 2),
            Some(vec![Next::Run(2), Next::Part(9), Next::Run(3)])
        );
    }

    use super::{batches, cut_runs, BATCH_FILES, CHUNK, READ_AHEAD_MAX};

    #[test]
    fn runs_cover_every_input_once_in_order() {
        let cases: &[(&[u64], usize)] = &[
            (&[], 2),
            (&[5], 8),
            (&[1; 6048], 2),
            (&[100, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2),
            (&[7, 0, 0, 3, 1 << 30, 2, 9], 3),
        ];
        // Whole inputs only, or with every input of over 50 bytes a zip of 40 entries (of
        // which one is a sixth of the input) or of one entry.
        for zips in [false, true] {
            for &(sizes, workers) in cases {
                let mut asked = Vec::new();
                let runs = cut_runs(sizes, workers, &mut |i| {
                    asked.push(i);
                    (zips && sizes[i] > 50).then(|| match i % 2 {
                        0 => (0..40)
                            .map(|e| if e == 3 { sizes[i] / 6 } else { 1 })
                            .collect(),
                        _ => vec![sizes[i]],
                    })
                });
                assert_eq!(asked, (0..sizes.len()).collect::<Vec<_>>());
                let what = format!("{sizes:?} on {workers}, zips {zips}");
                let flat: Vec<usize> = runs.iter().flat_map(|r| r.inputs.clone()).collect();
                let mut dedup = flat.clone();
                dedup.dedup();
                assert_eq!(dedup, (0..sizes.len()).collect::<Vec<_>>(), "{what}");
                assert_eq!(
                    runs.iter().map(|r| r.bytes(sizes)).sum::<u64>(),
                    sizes.iter().sum::<u64>(),
                    "{what}"
                );
                for run in &runs {
                    assert!(!run.inputs.is_empty(), "{what}");
                    if let Some(zip) = &run.zip {
                        assert_eq!(run.inputs.len(), 1, "{what}");
                        assert!(!zip.entries.is_empty(), "{what}");
                    }
                }
                // A zip's ranges are consecutive, from 0 to the end.
                for i in 0..sizes.len() {
                    let ranges: Vec<_> = runs
                        .iter()
                        .filter(|r| r.inputs == (i..i + 1))
                        .filter_map(|r| r.zip.as_ref())
                        .collect();
                    if let (Some(first), Some(last)) = (ranges.first(), ranges.last()) {
                        assert!(first.entries.start == 0 && last.entries.end == usize::MAX);
                        assert!(ranges
                            .windows(2)
                            .all(|w| w[0].entries.end == w[1].entries.start));
                        assert_eq!(ranges.len(), (workers * 4).min(40), "{what}");
                    }
                }
                if !zips {
                    assert!(
                        runs.len() <= (workers * 4).max(1) + 1,
                        "{} runs",
                        runs.len()
                    );
                }
            }
        }
        assert_eq!(cut_runs(&[1; 6048], 2, &mut |_| None).len(), 8);
    }

    #[test]
    fn batches_cover_every_input_once_in_order_within_their_bounds() {
        let big = READ_AHEAD_MAX + 1;
        let cases: &[(&[u64], u64)] = &[
            (&[], 10),
            (&[5], 1),
            (&[1; 1000], 1 << 20),
            (&[4, 4, 4, 4, 4], 8),
            (&[big, big, 3, big, 9, 9, 0], 9),
        ];
        for &(sizes, budget) in cases {
            let cut = batches(sizes, budget);
            let flat: Vec<usize> = cut.iter().flat_map(|r| r.clone()).collect();
            assert_eq!(flat, (0..sizes.len()).collect::<Vec<_>>(), "{sizes:?}");
            for r in &cut {
                assert!(!r.is_empty() && r.len() <= BATCH_FILES, "{r:?}");
                let bytes: u64 = sizes[r.clone()].iter().sum();
                // Over the budget only when one input alone is.
                assert!(bytes <= budget || r.len() == 1, "{sizes:?}: {r:?}");
                // And as full as the budget allows: the next input did not fit.
                if let Some(next) = sizes.get(r.end) {
                    assert!(r.len() == BATCH_FILES || bytes + next > budget, "{r:?}");
                }
            }
        }
        assert_eq!(batches(&[1; 1000], 1 << 20).len(), 4);
        assert_eq!(batches(&[4, 4, 4, 4, 4], 8), vec![0..2, 2..4, 4..5]);
        // Inputs too big to read ahead count too.
        assert_eq!(
            batches(&[big, big, 3, big, 9, 9, 0], 9),
            vec![0..1, 1..2, 2..3, 3..4, 4..5, 5..7]
        );
        assert_eq!(batches(&[CHUNK * 2; 6], CHUNK * 4).len(), 3);
    }
}
