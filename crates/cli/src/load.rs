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
use std::ops::Range;
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
    let runs = cut_runs(files, workers, &options.limits);
    let workers = workers.clamp(1, runs.len().max(1));
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Run)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(run) = runs.get(i) else {
                    break;
                };
                let loaded = load_run(run, options, select, hold);
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
        for (home, summary) in run.summaries {
            // A zip walked in ranges by several runs is one input: its summaries join.
            match out.summaries.last_mut() {
                Some((last, joined)) if *last == home => {
                    joined.files.extend(summary.files);
                    joined.diagnostics.extend(summary.diagnostics);
                }
                _ => out.summaries.push((home, summary)),
            }
        }
        out.ingest.append(run.part);
    }
    out
}

/// One input of a run, whole or a range of its zip entries.
struct Piece<'f> {
    /// Its index among the inputs.
    home: usize,
    /// Its disk path and name.
    file: &'f (PathBuf, String),
    /// The entries of a zip split across runs ([`input::walk_zip_entries`]).
    entries: Option<Range<usize>>,
}

/// A zip input is split into ranges of entries, each a run of its own, when it is at least
/// this big (smaller ones load in well under a second on one core).
const SPLIT_BYTES: u64 = 8 << 20;

/// Cuts the inputs into runs of consecutive pieces: several runs per worker balance uneven
/// files, few enough that appending the parts (once per distinct string of each part) stays
/// small. A big zip is cut into ranges of its entries balanced by their stored sizes
/// ([`trailproof_load::cut_zip`]), so that one archive loads on every
/// core; any cut gives the same results ([`input::walk_zip_entries`] ranges walk as one
/// walk, and the parts are appended in order).
fn cut_runs<'f>(
    files: &'f [(PathBuf, String)],
    workers: usize,
    limits: &input::Limits,
) -> Vec<Vec<Piece<'f>>> {
    let workers = workers.max(1);
    let per_run = files.len().div_ceil(workers * 8).max(1);
    let mut runs: Vec<Vec<Piece<'f>>> = Vec::new();
    let mut whole: Vec<Piece<'f>> = Vec::new();
    for (home, file) in files.iter().enumerate() {
        let ranges = (workers > 1)
            .then(|| zip_to_split(&file.0))
            .flatten()
            .map(|(sizes, total)| trailproof_load::cut_zip(&sizes, total, workers * 4, limits))
            .filter(|ranges| ranges.len() > 1);
        let Some(ranges) = ranges else {
            whole.push(Piece {
                home,
                file,
                entries: None,
            });
            if whole.len() == per_run {
                runs.push(std::mem::take(&mut whole));
            }
            continue;
        };
        if !whole.is_empty() {
            runs.push(std::mem::take(&mut whole));
        }
        for (range, _) in ranges {
            runs.push(vec![Piece {
                home,
                file,
                entries: Some(range),
            }]);
        }
    }
    if !whole.is_empty() {
        runs.push(whole);
    }
    runs
}

/// The stored size of each entry of the input at `path` and its own size, when it is a zip
/// worth splitting.
fn zip_to_split(path: &std::path::Path) -> Option<(Vec<u64>, u64)> {
    let total = std::fs::metadata(path).ok()?.len();
    if total < SPLIT_BYTES {
        return None;
    }
    let mut file = io::BufReader::new(File::open(path).ok()?);
    input::zip_entry_sizes(&mut file).map(|sizes| (sizes, total))
}

fn load_run(
    pieces: &[Piece<'_>],
    options: &IngestOptions,
    select: &(dyn Fn(&str) -> bool + Sync),
    hold: u64,
) -> Run {
    let limits = options.limits.clone();
    let scan_limits = ScanLimits::default();
    let mut ingest = Ingest::new(options.clone());
    let (mut scanned, mut homes, mut notes, mut opened, mut summaries) =
        (Vec::new(), Vec::new(), Vec::new(), 0, Vec::new());
    for piece in pieces {
        let (home, (path, name)) = (piece.home, piece.file);
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
        // A zip in ranges counts as one input read (by its first range).
        if piece.entries.as_ref().is_none_or(|r| r.start == 0) {
            opened += 1;
        }
        let mut entries: Vec<FileSummary> = Vec::new();
        let mut visit = |entry: input::Entry<'_>| {
            if !select(entry.path) {
                return Control::Continue;
            }
            let (entry_scan, summary) = both(
                entry.path,
                entry.reader,
                entry.size,
                &scan_limits,
                &mut ingest,
                hold,
            );
            scanned.push(entry_scan);
            homes.push(home);
            entries.extend(summary);
            Control::Continue
        };
        let diagnostics = match &piece.entries {
            None => input::walk(name, &mut file, &limits, &mut visit),
            Some(range) => {
                // Entries are read at random offsets: buffered, not a system call per read.
                let mut file = io::BufReader::with_capacity(64 << 10, file);
                input::walk_zip_entries(name, &mut file, &limits, range.clone(), &mut visit)
            }
        };
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

/// Scans one entry (of `stated` bytes, as its container states them) and loads its events
/// from one read of its bytes.
fn both(
    path: &str,
    reader: &mut dyn Read,
    stated: Option<u64>,
    limits: &ScanLimits,
    ingest: &mut Ingest,
    hold: u64,
) -> (Scanned, Option<FileSummary>) {
    let mut held = trailproof_load::entry_buffer(stated, hold);
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

    /// One big zip of every fixture (and enough padding and entries to be split): cut into
    /// ranges of its entries on several workers, the same scans, summaries, notes and store
    /// as one walk of it on one thread.
    #[test]
    fn a_zip_split_by_entries_loads_as_one_walk() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("trailproof-split-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("export.zip");
        let mut z = zip::ZipWriter::new(File::create(&path).expect("zip"));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (disk, name) in fixtures() {
            z.start_file(name.as_str(), deflated).expect("entry");
            z.write_all(&std::fs::read(disk).expect("fixture"))
                .expect("write");
        }
        const EXTRA: usize = 64;
        for i in 0..2 * EXTRA {
            // The second half has the names of the first again: renamed alike however the
            // zip is cut.
            let dot = if i < EXTRA { "" } else { "./" };
            z.start_file(format!("extra/{dot}e{}.json", i % EXTRA), deflated)
                .expect("entry");
            write!(z, r#"{{"Records":[{{"eventTime":"2024-05-01T00:00:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"{i}","recipientAccountId":"1"}}]}}"#, i % 60).expect("write");
        }
        let mut noise = vec![0u8; SPLIT_BYTES as usize];
        let mut x = 0x9e37_79b9_u32;
        for b in &mut noise {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file("padding.bin", stored).expect("entry");
        z.write_all(&noise).expect("write");
        z.finish().expect("zip");
        let files = vec![(path.clone(), "export.zip".to_owned())];
        let options = IngestOptions::default();
        assert_eq!(cut_runs(&files, 1, &options.limits).len(), 1);
        assert!(cut_runs(&files, 3, &options.limits).len() >= 3);
        let outcome = |workers: usize| {
            let loaded = load_holding(&files, Vec::new(), &options, &|_| true, HOLD_BYTES, workers);
            let notes: Vec<String> = loaded.notes.iter().map(|n| format!("{n:?}")).collect();
            (
                scans(&loaded),
                loaded.homes.clone(),
                notes,
                loaded.files_read,
                loaded.summaries.clone(),
                dump(loaded.ingest.finish()),
            )
        };
        let one = outcome(1);
        assert!(one.0.len() > 2 * EXTRA && one.3 == 1);
        for workers in [2, 3] {
            assert!(outcome(workers) == one, "{workers} workers");
        }
        std::fs::remove_dir_all(&dir).ok();
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
            let (scanned, summary) =
                both(name, &mut Failing(cut), None, &limits, &mut ingest, hold);
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
