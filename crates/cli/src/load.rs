//! One read of every input on all cores: each entry is scanned for digest-chain verification
//! and its events are loaded, from the same bytes.
//!
//! Inputs are cut into runs of consecutive files; a worker takes a run at a time and loads it
//! into its own [`Ingest`] part, and the parts are appended in input order, so the store is
//! the one a single thread reading every file in order would build (`Ingest::append`). An
//! entry of up to [`HOLD_BYTES`] is read into memory once and handed to both the scan and the
//! ingest (`trailproof_load::scan_and_ingest`, shared with the browser's load workers); a
//! bigger one is streamed once, the ingest reading it on this thread while the scan
//! reads a copy of each chunk on another, through a bounded channel, so memory stays bounded
//! whatever the size.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use trailproof_chain::{scan, ScanLimits, Scanned};
use trailproof_core::diag::Error as CoreError;
use trailproof_core::input::{self, Control};
use trailproof_core::report::{Level, Note};
use trailproof_events::ingest::{FileSummary, Ingest, IngestOptions, InputSummary, Part};

/// Largest entry read whole into memory for the scan and the ingest to share.
pub const HOLD_BYTES: u64 = 8 << 20;

/// Chunks in flight between the ingest and the scan of one big entry.
const CHANNEL_CHUNKS: usize = 8;

/// What the inputs gave.
pub struct Loaded {
    /// Scanned entries in input order (then walk order).
    pub scanned: Vec<Scanned>,
    /// For each of `scanned`: the index of the input file it came from.
    pub homes: Vec<usize>,
    /// Container problems and inputs that could not be opened, in input order, after the
    /// notes given.
    pub notes: Vec<Note>,
    /// How many input files opened.
    pub files_read: usize,
    /// Per input file that opened: its index and what the ingest made of its entries.
    pub summaries: Vec<(usize, InputSummary)>,
    /// Every entry's events, appended in input order (not finished).
    pub ingest: Ingest,
}

/// One run of consecutive input files, loaded by one worker.
struct Run {
    scanned: Vec<Scanned>,
    homes: Vec<usize>,
    notes: Vec<Note>,
    opened: usize,
    summaries: Vec<(usize, InputSummary)>,
    part: Part,
}

/// Scans and ingests every entry of `files` (`(disk path, name)`) whose path `select`
/// accepts (others are skipped), on all cores; `notes` come first in [`Loaded::notes`].
pub fn load(
    files: &[(PathBuf, String)],
    notes: Vec<Note>,
    options: &IngestOptions,
    select: &(dyn Fn(&str) -> bool + Sync),
) -> Loaded {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    load_holding(files, notes, options, select, HOLD_BYTES, cores)
}

/// [`load`] holding entries of up to `hold` bytes in memory, on `workers` threads.
fn load_holding(
    files: &[(PathBuf, String)],
    notes: Vec<Note>,
    options: &IngestOptions,
    select: &(dyn Fn(&str) -> bool + Sync),
    hold: u64,
    workers: usize,
) -> Loaded {
    let workers = workers.clamp(1, files.len().max(1));
    // Several runs per worker balance uneven files; few enough that appending the parts
    // (once per distinct string of each part) stays small.
    let per_run = files.len().div_ceil(workers * 8).max(1);
    let runs: Vec<(usize, &[(PathBuf, String)])> = files
        .chunks(per_run)
        .enumerate()
        .map(|(i, c)| (i * per_run, c))
        .collect();
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Run)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(first, run)) = runs.get(i) else {
                    break;
                };
                let loaded = load_run(first, run, options, select, hold);
                done.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((i, loaded));
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|d| d.0);
    let mut out = Loaded {
        scanned: Vec::new(),
        homes: Vec::new(),
        notes,
        files_read: 0,
        summaries: Vec::new(),
        ingest: Ingest::new(options.clone()),
    };
    for (_, run) in done {
        out.scanned.extend(run.scanned);
        out.homes.extend(run.homes);
        out.notes.extend(run.notes);
        out.files_read += run.opened;
        out.summaries.extend(run.summaries);
        out.ingest.append(run.part);
    }
    out
}

fn load_run(
    first: usize,
    files: &[(PathBuf, String)],
    options: &IngestOptions,
    select: &(dyn Fn(&str) -> bool + Sync),
    hold: u64,
) -> Run {
    let limits = options.limits.clone();
    let scan_limits = ScanLimits::default();
    let mut ingest = Ingest::new(options.clone());
    let (mut scanned, mut homes, mut notes, mut opened, mut summaries) =
        (Vec::new(), Vec::new(), Vec::new(), 0, Vec::new());
    for (k, (path, name)) in files.iter().enumerate() {
        let home = first + k;
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("trailproof: {}: {e}", path.display());
                notes.push(Note {
                    severity: Level::Error,
                    path: name.clone(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        opened += 1;
        let mut entries: Vec<FileSummary> = Vec::new();
        let diagnostics = input::walk(name, &mut file, &limits, &mut |entry| {
            if !select(entry.path) {
                return Control::Continue;
            }
            let (entry_scan, summary) =
                both(entry.path, entry.reader, &scan_limits, &mut ingest, hold);
            scanned.push(entry_scan);
            homes.push(home);
            entries.extend(summary);
            Control::Continue
        });
        notes.extend(diagnostics.iter().map(|d| Note {
            severity: d.severity.into(),
            path: d.path.clone(),
            message: d.error.to_string(),
        }));
        summaries.push((
            home,
            InputSummary {
                files: entries,
                diagnostics,
            },
        ));
    }
    Run {
        scanned,
        homes,
        notes,
        opened,
        summaries,
        part: ingest.into_part(),
    }
}

/// Scans one entry and loads its events from one read of its bytes.
fn both(
    path: &str,
    reader: &mut dyn Read,
    limits: &ScanLimits,
    ingest: &mut Ingest,
    hold: u64,
) -> (Scanned, Option<FileSummary>) {
    let mut held = Vec::new();
    match (&mut *reader)
        .take(hold.saturating_add(1))
        .read_to_end(&mut held)
    {
        Ok(_) if held.len() as u64 <= hold => {
            let (scanned, summary) = trailproof_load::scan_and_ingest(path, &held, limits, ingest);
            (scanned, Some(summary))
        }
        Ok(_) => teed(
            path,
            &mut io::Cursor::new(held).chain(reader),
            limits,
            ingest,
        ),
        Err(e) => {
            // What was read, then the error, to both readers alike.
            let mut replay = Replay {
                held: io::Cursor::new(held),
                error: e,
            };
            teed(path, &mut replay, limits, ingest)
        }
    }
}

/// The ingest reads `reader` here; the scan reads the same bytes on another thread.
fn teed(
    path: &str,
    reader: &mut dyn Read,
    limits: &ScanLimits,
    ingest: &mut Ingest,
) -> (Scanned, Option<FileSummary>) {
    let (tx, rx) = sync_channel(CHANNEL_CHUNKS);
    std::thread::scope(|s| {
        let scanner = s.spawn(move || {
            let mut fed = Fed {
                rx,
                chunk: Vec::new(),
                pos: 0,
            };
            scan(path, &mut fed, limits)
        });
        let mut tee = Tee { inner: reader, tx };
        let summary = ingest.add_file(path, &mut tee);
        // The ingest may stop early (an unknown format, a cap): the scan still gets the rest.
        let _ = io::copy(&mut tee, &mut io::sink());
        drop(tee);
        let scanned = match scanner.join() {
            Ok(s) => s,
            Err(p) => std::panic::resume_unwind(p),
        };
        (scanned, Some(summary))
    })
}

/// The same error again (an `io::Error` is not `Clone`), keeping a typed core error typed.
fn copy_error(e: &io::Error) -> io::Error {
    match e.get_ref().and_then(|x| x.downcast_ref::<CoreError>()) {
        Some(core) => io::Error::other(core.clone()),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// Bytes already read, then the error that stopped the read, on every later call.
struct Replay {
    held: io::Cursor<Vec<u8>>,
    error: io::Error,
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.held.read(buf)? {
            0 if !buf.is_empty() => Err(copy_error(&self.error)),
            n => Ok(n),
        }
    }
}

/// Passes reads through and sends a copy of each to [`Fed`].
struct Tee<'a> {
    inner: &'a mut dyn Read,
    tx: SyncSender<io::Result<Vec<u8>>>,
}

impl Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                if n > 0 {
                    // A scan that stopped reading has dropped its end: nothing to do.
                    let _ = self.tx.send(Ok(buf[..n].to_vec()));
                }
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    let _ = self.tx.send(Err(copy_error(&e)));
                }
                Err(e)
            }
        }
    }
}

/// Reads what [`Tee`] sent; the end of the stream when the tee is gone.
struct Fed {
    rx: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for Fed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailproof_events::store::Field;
    use trailproof_events::EventStore;

    fn fixtures() -> Vec<(PathBuf, String)> {
        let root = std::env::var_os("TRAILPROOF_FIXTURES").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
            PathBuf::from,
        );
        crate::fs_input::expand(&root)
            .expect("fixtures folder")
            .into_iter()
            .map(|f| (f.path, f.relative))
            .collect()
    }

    fn dump(store: EventStore) -> Vec<String> {
        let mut out = vec![format!(
            "{:?} {}",
            store.files(),
            store.duplicates_dropped()
        )];
        out.extend(
            (0..store.len())
                .map(|r| format!("{:?} {}", store.event(r), store.text(r, Field::File))),
        );
        out
    }

    fn scans(loaded: &Loaded) -> Vec<String> {
        loaded
            .scanned
            .iter()
            .map(|s| serde_json::to_string(s).expect("serialisable"))
            .collect()
    }

    /// Held in memory, or streamed once through the tee to a scan on another thread: the
    /// same scans, summaries and store, and the same as a plain scan and ingest of each file.
    #[test]
    fn held_and_streamed_entries_give_the_same_results() {
        let files = fixtures();
        assert!(files.len() > 20);
        let options = IngestOptions::default();
        let held = load_holding(&files, Vec::new(), &options, &|_| true, HOLD_BYTES, 2);
        let streamed = load_holding(&files, Vec::new(), &options, &|_| true, 0, 2);
        assert_eq!(scans(&held), scans(&streamed));
        assert_eq!(held.summaries, streamed.summaries);
        assert_eq!(held.homes, streamed.homes);
        let limits = ScanLimits::default();
        let mut plain = Ingest::new(options.clone());
        let mut plain_scans = Vec::new();
        for (path, name) in &files {
            let bytes = std::fs::read(path).expect("fixture");
            let s = scan(name, &mut &bytes[..], &limits);
            plain_scans.push(serde_json::to_string(&s).expect("serialisable"));
            plain.add_file(name, &mut &bytes[..]);
        }
        assert_eq!(scans(&held), plain_scans);
        let plain = dump(plain.finish());
        assert_eq!(dump(held.ingest.finish()), plain);
        assert_eq!(dump(streamed.ingest.finish()), plain);
    }

    /// One worker or several: the same scans, summaries, store, and verification report with
    /// its coverage block and conflict notes, byte for byte.
    #[test]
    fn one_thread_or_many_give_the_same_report() {
        let files = fixtures();
        let options = IngestOptions::default();
        let outcome = |workers: usize| {
            let loaded = load_holding(&files, Vec::new(), &options, &|_| true, HOLD_BYTES, workers);
            let scanned = scans(&loaded);
            let mut store = loaded.ingest.finish();
            let mut report =
                crate::cmd_verify::verify_chains(loaded.scanned, &[]).expect("no extra keys");
            report.notes.extend(loaded.notes);
            crate::cmd_verify::apply_integrity(&mut store, &mut report);
            let report = serde_json::to_string_pretty(&report).expect("serialisable");
            (scanned, loaded.summaries, dump(store), report)
        };
        let one = outcome(1);
        assert!(one.3.contains("\"coverage\""));
        for workers in [2, 3, 8] {
            assert!(outcome(workers) == one, "{workers} workers");
        }
    }

    /// A reader that fails part way, as a damaged archive entry does.
    struct Failing<'a>(&'a [u8]);

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("damaged entry"));
            }
            let n = self.0.len().min(buf.len()).min(1000);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_reaches_the_scan_and_the_ingest_as_it_would_alone() {
        let files = fixtures();
        let (path, name) = files
            .iter()
            .find(|(_, n)| n.contains("CloudTrail_") && n.ends_with(".json.gz"))
            .expect("a CloudTrail log fixture");
        let bytes = std::fs::read(path).expect("fixture");
        let cut = &bytes[..bytes.len() / 2];
        let limits = ScanLimits::default();
        for hold in [HOLD_BYTES, 0] {
            let mut ingest = Ingest::new(IngestOptions::default());
            let (scanned, summary) = both(name, &mut Failing(cut), &limits, &mut ingest, hold);
            let alone = scan(name, &mut Failing(cut), &limits);
            assert_eq!(
                serde_json::to_string(&scanned).expect("serialisable"),
                serde_json::to_string(&alone).expect("serialisable")
            );
            assert!(scanned.error().is_some());
            let mut single = Ingest::new(IngestOptions::default());
            assert_eq!(summary, Some(single.add_file(name, &mut Failing(cut))));
        }
    }
}
