//! Streaming ingest: files in, one [`EventStore`] out.
//!
//! Feed files one at a time with [`Ingest::add_file`] (a plain or gzip stream) or
//! [`Ingest::add_input`] (anything [`trailproof_core::input::walk`] opens: zip, tar, tgz, nested
//! one level); each call returns a [`FileSummary`] with the detected format, counts and
//! diagnostics. Nothing a file contains can abort the run: problems become
//! [`Diagnostic`]s and everything readable is still loaded. [`Ingest::finish`] sorts and
//! compacts the events into the store.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use trailproof_core::diag::{Diagnostic, Error as CoreError, Severity};
use trailproof_core::gzip::{Inflater, MAGIC};
use trailproof_core::input::{self, Control, Limits, ReadSeek};

use crate::csv::{CsvScanner, Row as CsvRow};
use crate::formats::{self, Companion, Ctx, Decoded, FieldMapping};
use crate::model::{Provider, RawRef};
use crate::scan::{Container, Item, Scanner};
use crate::store::{EventStore, StoreBuilder};

/// Ingest settings.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Largest single record (or NDJSON line) kept, in bytes; longer ones are skipped with
    /// [`CoreError::LineTooLong`]. Bounds memory on hostile single-line inputs.
    pub max_record_bytes: usize,
    /// Container and decompression caps (gzip output size, zip-bomb ratio, archive entries).
    pub limits: Limits,
    /// Diagnostics kept per file; the rest are counted in [`FileSummary::suppressed`].
    pub max_diagnostics_per_file: usize,
    /// Mapping applied to JSON records no built-in decoder recognises.
    pub mapping: Option<FieldMapping>,
    /// Group events repeating an earlier provider and event ID (see [`crate::dedup`]): drop
    /// identical copies (e.g. the same event from a trail file and a LookupEvents export),
    /// keep and remember conflicting versions.
    pub dedup: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_record_bytes: 32 << 20,
            limits: Limits::default(),
            max_diagnostics_per_file: 20,
            mapping: None,
            dedup: true,
        }
    }
}

/// How a file's records were laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// One object, or several (one per line: NDJSON / JSON Lines, or concatenated).
    Objects,
    /// A top-level JSON array.
    Array,
    /// CloudTrail console CSV export (one event per row).
    Csv,
    /// An object holding the records under a list key (`Records`, `Events`, `records`,
    /// `traces`, `value`, `entries`), or under its `body` (`body.Events`: an API response as
    /// SDKs print it).
    Wrapper(&'static str),
}

/// What a file was found to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Audit events. `provider` is `None` when the file mixes providers.
    Events {
        /// The provider of every event, if it is one.
        provider: Option<Provider>,
        /// How the records were laid out.
        framing: Framing,
    },
    /// A companion file (digest, keys, signature sidecar), skipped silently.
    Companion(Companion),
    /// Nothing recognisable.
    Unknown,
    /// The file could not be read at all (I/O, gzip, encoding).
    Unreadable,
}

/// What happened to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    /// The path given.
    pub path: String,
    /// What it was.
    pub kind: FileKind,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
    /// Bytes read from the stored file.
    pub stored_bytes: u64,
    /// Bytes after decompression.
    pub decoded_bytes: u64,
    /// Records found.
    pub records: u64,
    /// Events loaded.
    pub events: u64,
    /// Problems, located by path and decoded byte offset.
    pub diagnostics: Vec<Diagnostic>,
    /// Diagnostics beyond [`IngestOptions::max_diagnostics_per_file`], not kept.
    pub suppressed: u64,
}

impl FileSummary {
    /// Whether anything in the file could be used (events loaded or a companion recognised).
    pub fn readable(&self) -> bool {
        matches!(self.kind, FileKind::Events { .. } | FileKind::Companion(_))
    }
}

/// What happened to one input given to [`Ingest::add_input`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSummary {
    /// One summary per file read (the input itself, or each archive entry).
    pub files: Vec<FileSummary>,
    /// Container problems: unsafe or duplicate entry paths, decompression caps, unreadable
    /// archives. The entries that could be read are still in `files`.
    pub diagnostics: Vec<Diagnostic>,
}

/// What the ingest met while cutting a file's decoded bytes into records, handed to the probe
/// of [`Ingest::add_inflated_probed`]: each record, where it is and (when it is a compact JSON
/// object the ingest decoded) its top-level members, and each problem that broke the cut. A
/// host that must also read a few record fields of the same bytes (the digest-chain scan's
/// record facts) can take them from here instead of tokenising the file again.
#[derive(Clone, Copy, Debug)]
pub enum Cut<'a> {
    /// A record.
    Record {
        /// Offset of its first byte in the decoded file.
        offset: u64,
        /// Its bytes.
        bytes: &'a [u8],
        /// Its top-level members, when it is an object with no whitespace outside its strings
        /// that decoded as JSON (so every member is `"name":value` with nothing in between).
        members: Option<Members<'a>>,
    },
    /// Broken structure, a record over the size cap, or bytes that are not UTF-8: what the
    /// cut found there is not a record.
    Problem,
}

/// The top-level members of a compact JSON object, as [`Cut::Record`] hands them out.
#[derive(Clone, Copy, Debug)]
pub struct Members<'a> {
    bytes: &'a [u8],
    /// Start and end of each member name between its quotes, relative to `bytes`.
    names: &'a [(u32, u32)],
}

impl<'a> Members<'a> {
    /// Each member as its raw name (the bytes between the quotes, escapes as written) and its
    /// raw value (the bytes of the JSON value: a string with its quotes, a number, a literal,
    /// an object or an array), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let (bytes, names) = (self.bytes, self.names);
        names.iter().enumerate().map(move |(i, &(a, b))| {
            // `"name":value,"next"…` or `…:value}`: the value runs from after the colon to the
            // comma before the next name's quote, or to the record's closing brace.
            let from = b as usize + 2;
            let to = names
                .get(i + 1)
                .map_or(bytes.len().saturating_sub(1), |&(next, _)| {
                    (next as usize).saturating_sub(2)
                });
            (
                bytes.get(a as usize..b as usize).unwrap_or_default(),
                bytes.get(from..to.max(from)).unwrap_or_default(),
            )
        })
    }
}

/// The phase ingest is in, for progress reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading stored bytes.
    Read,
    /// Decompressing.
    Inflate,
    /// Parsing records.
    Parse,
    /// Sorting and compacting the store.
    Index,
}

/// Progress of the current file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Current phase.
    pub phase: Phase,
    /// Stored bytes read from the current file.
    pub stored_bytes: u64,
    /// Decoded bytes of the current file.
    pub decoded_bytes: u64,
    /// Events loaded so far, all files.
    pub events: u64,
}

/// A progress callback; returning `false` cancels.
pub type ProgressFn = Box<dyn FnMut(&Progress) -> bool>;

/// What a run loaded, unfinished ([`Ingest::into_part`]), for [`Ingest::append`].
pub struct Part {
    builder: StoreBuilder,
    cancelled: bool,
}

impl Part {
    /// This part as bytes, to be appended in another worker ([`Part::decode`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![u8::from(self.cancelled)];
        out.extend(self.builder.encode());
        out
    }

    /// The part [`Part::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Part, crate::store::WireError> {
        let (&cancelled, rest) = bytes
            .split_first()
            .ok_or_else(|| crate::store::WireError("empty".into()))?;
        Ok(Part {
            builder: StoreBuilder::decode(rest)?,
            cancelled: cancelled != 0,
        })
    }
}

/// An ingest run.
pub struct Ingest {
    options: IngestOptions,
    builder: StoreBuilder,
    progress: Option<ProgressFn>,
    /// Whether the progress callback may cancel (one installed by [`Ingest::observe_progress`]
    /// cannot: every file is then read to its end, which [`Ingest::add_inflated`] relies on).
    may_cancel: bool,
    cancelled: bool,
    /// The read buffer, kept between files.
    buf: Vec<u8>,
}

struct Counting<'r> {
    inner: &'r mut dyn Read,
    count: Rc<Cell<u64>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

const CHUNK: usize = 256 * 1024;
/// Largest stored file [`Ingest::add_inflated`] takes decoded: the gzip reader of
/// [`Ingest::add_file`] pulls stored bytes 64 KiB at a time (after the two-byte magic), so a
/// file this small is always read whole.
pub const INFLATED_MAX: usize = 64 * 1024;
const PROGRESS_EVERY: u64 = 4 << 20;

impl Ingest {
    /// Starts a run.
    pub fn new(options: IngestOptions) -> Ingest {
        Ingest {
            options,
            builder: StoreBuilder::new(),
            progress: None,
            may_cancel: false,
            cancelled: false,
            buf: Vec::new(),
        }
    }

    /// Installs a progress callback, called about every 4 MiB of decoded data; returning
    /// `false` cancels the current file (and makes later files report
    /// [`CoreError::Cancelled`]).
    pub fn set_progress(&mut self, f: ProgressFn) {
        self.progress = Some(f);
        self.may_cancel = true;
    }

    /// Installs a progress callback that only watches (hosts that cancel by stopping the
    /// whole thread, as the browser's load workers do, are terminated): unlike one that may
    /// cancel, it leaves [`Ingest::add_inflated`] free to take the decoded bytes of any size.
    pub fn observe_progress(&mut self, mut f: Box<dyn FnMut(&Progress)>) {
        self.progress = Some(Box::new(move |p| {
            f(p);
            true
        }));
        self.may_cancel = false;
    }

    /// A new, empty run with the same options (no progress callback), for a share of the
    /// files: a host may load files in parallel, one part per file or per worker, and
    /// [`Ingest::append`] the parts ([`Ingest::into_part`]) in input order. Nothing is
    /// shared between runs.
    pub fn part(&self) -> Ingest {
        Ingest::new(self.options.clone())
    }

    /// What this run loaded, unfinished, to be appended to another run (possibly on another
    /// thread: a [`Part`] is `Send`, a run with its progress callback need not be).
    pub fn into_part(self) -> Part {
        Part {
            builder: self.builder,
            cancelled: self.cancelled,
        }
    }

    /// What this run loaded since it started or since the last take, as a part; the run goes
    /// on empty, with its options, progress callback and read buffer. A host that hands a
    /// run's events on as they grow (the browser's load workers, so that none holds a whole
    /// run's events) takes a part between files; [`Ingest::append`]ing the parts in order
    /// gives what the one part of [`Ingest::into_part`] would have given. [`Ingest::events`]
    /// and the progress callback's event count start again from zero after a take.
    pub fn take_part(&mut self) -> Part {
        Part {
            builder: std::mem::take(&mut self.builder),
            cancelled: self.cancelled,
        }
    }

    /// Appends what `part` loaded after what this run loaded, as though its files had been
    /// added here, in the order they were added there: appending the parts of a run in input
    /// order gives the store one run over every file would have given (see
    /// [`StoreBuilder::append`]). A cancelled part cancels this run.
    pub fn append(&mut self, part: Part) {
        self.cancelled |= part.cancelled;
        self.builder.append(part.builder);
    }

    /// Makes room for `events` more events (see [`StoreBuilder::reserve`]).
    pub fn reserve(&mut self, events: usize) {
        self.builder.reserve(events);
    }

    /// The identities of every event loaded so far, copies included: what a shard's run
    /// hands a merge of shard runs ([`crate::store::merge_identities`]).
    pub fn identities(&self) -> crate::store::Identities {
        self.builder.identities()
    }

    /// Events loaded so far (since the last [`Ingest::take_part`]).
    pub fn events(&self) -> usize {
        self.builder.len()
    }

    /// Reads every file inside `source` (itself, or the entries of a zip/tar/tgz archive, with
    /// archives nested one level deep opened too).
    pub fn add_input(&mut self, name: &str, source: &mut dyn ReadSeek) -> InputSummary {
        let mut files = Vec::new();
        let limits = self.options.limits.clone();
        let diagnostics = input::walk(name, source, &limits, &mut |entry| {
            files.push(self.add_file(entry.path, entry.reader));
            if self.cancelled {
                Control::Stop
            } else {
                Control::Continue
            }
        });
        InputSummary { files, diagnostics }
    }

    /// Reads one file: plain or gzip (decoded here, all members), any supported format.
    pub fn add_file(&mut self, path: &str, reader: &mut dyn Read) -> FileSummary {
        self.add_file_probed(path, reader, &mut |_| {})
    }

    /// [`Ingest::add_file`], handing `probe` what the cut of the file's decoded content into
    /// records met ([`Cut`]), in order (a host that holds an uncompressed log reads its
    /// record facts from them).
    pub fn add_file_probed(
        &mut self,
        path: &str,
        reader: &mut dyn Read,
        probe: &mut dyn FnMut(Cut<'_>),
    ) -> FileSummary {
        let mut sum = FileSummary {
            path: path.to_string(),
            kind: FileKind::Unknown,
            gzip: false,
            stored_bytes: 0,
            decoded_bytes: 0,
            records: 0,
            events: 0,
            diagnostics: Vec::new(),
            suppressed: 0,
        };
        if self.cancelled {
            sum.kind = FileKind::Unreadable;
            sum.diagnostics
                .push(Diagnostic::new(Severity::Error, path, CoreError::Cancelled));
            return sum;
        }
        let stored = Rc::new(Cell::new(0u64));
        let mut counting = Counting {
            inner: reader,
            count: stored.clone(),
        };
        let mut head = vec![0u8; 0];
        if let Err(e) = (&mut counting).take(2).read_to_end(&mut head) {
            sum.kind = FileKind::Unreadable;
            sum.diagnostics.push(Diagnostic::new(
                Severity::Error,
                path,
                CoreError::Io {
                    message: e.to_string(),
                },
            ));
            return sum;
        }
        sum.gzip = head.starts_with(&MAGIC);
        let chained = io::Cursor::new(head).chain(counting);
        let mut reader: Box<dyn Read + '_> = if sum.gzip {
            Box::new(GzipReader(Inflater::new(chained, &self.options.limits)))
        } else {
            Box::new(chained)
        };
        self.read_decoded(path, sum, &mut reader, &|| stored.get(), probe)
    }

    /// [`Ingest::add_file`] for a gzip file whose content the host has already inflated
    /// (to hash it, say), so it is not inflated twice: `decoded` must be every member of
    /// `stored`, decoded without error. The result is the one `add_file(stored)` gives. The
    /// shortcut is taken only where that is sure: a file whose decoded size no decoding limit
    /// can stop ([`Limits::ratio_floor`], [`Limits::max_entry_bytes`]) and whose stored size
    /// `add_file` would report as all of it: a stored file of at most [`INFLATED_MAX`] bytes
    /// (read whole however soon the reading stops), or a bigger one that `add_file` reads to
    /// its end (JSON or CSV, in a run whose progress callback, if any, cannot cancel it
    /// midway: [`Ingest::observe_progress`]); anything else is `add_file(stored)`.
    pub fn add_inflated(&mut self, path: &str, stored: &[u8], decoded: &[u8]) -> FileSummary {
        self.add_inflated_probed(path, stored, decoded, &mut |_| {})
            .0
    }

    /// [`Ingest::add_inflated`], handing `probe` what the cut of `decoded` into records met
    /// ([`Cut`]), in order. The flag says whether `decoded` itself was read here, so that the
    /// probe saw every record and problem of it; when it is `false` the file was read from
    /// `stored` ([`Ingest::add_file`]) and the probe saw nothing.
    pub fn add_inflated_probed(
        &mut self,
        path: &str,
        stored: &[u8],
        decoded: &[u8],
        probe: &mut dyn FnMut(Cut<'_>),
    ) -> (FileSummary, bool) {
        let limits = &self.options.limits;
        let within = decoded.len() as u64 <= limits.ratio_floor.min(limits.max_entry_bytes);
        // `add_file` decides what a file is from its first decoded chunk; only JSON and CSV
        // are then read to the end (every other kind stops after that chunk, at a stored
        // offset only the inflater knows).
        let whole = stored.len() <= INFLATED_MAX
            || (!self.may_cancel
                && matches!(
                    sniff(&decoded[..decoded.len().min(CHUNK)]),
                    Sniff::Json(_) | Sniff::Csv(_)
                ));
        if self.cancelled || !within || !whole || !stored.starts_with(&MAGIC) {
            return (self.add_file(path, &mut &stored[..]), false);
        }
        let sum = FileSummary {
            path: path.to_string(),
            kind: FileKind::Unknown,
            gzip: true,
            stored_bytes: 0,
            decoded_bytes: 0,
            records: 0,
            events: 0,
            diagnostics: Vec::new(),
            suppressed: 0,
        };
        let stored_bytes = stored.len() as u64;
        let sum = self.read_decoded(path, sum, &mut &decoded[..], &|| stored_bytes, probe);
        (sum, true)
    }

    /// Reads a file's decoded stream into the store; `stored` tells the stored bytes read;
    /// `probe` is handed each [`Cut`] of a JSON stream.
    fn read_decoded(
        &mut self,
        path: &str,
        mut sum: FileSummary,
        reader: &mut dyn Read,
        stored: &dyn Fn() -> u64,
        probe: &mut dyn FnMut(Cut<'_>),
    ) -> FileSummary {
        let mut reader = reader;
        let file_index = self.builder.add_file(path);
        let mut st = FileState::new(path, file_index, &self.options, probe);
        // One buffer per run: zeroing 256 KiB per file cost more than reading a small file.
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(CHUNK, 0);
        let mut first = true;
        let mut next_progress = PROGRESS_EVERY;
        let mut read_failed = false;
        loop {
            let n = match read_full(&mut reader, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let err = match e.get_ref().and_then(|x| x.downcast_ref::<CoreError>()) {
                        Some(core) => core.clone(),
                        None if sum.gzip => CoreError::Gzip {
                            message: e.to_string(),
                        },
                        None => CoreError::Io {
                            message: e.to_string(),
                        },
                    };
                    st.diag(Severity::Error, err, Some(sum.decoded_bytes));
                    read_failed = true;
                    break;
                }
            };
            let chunk = &buf[..n];
            let mut chunk_start = 0;
            if first {
                first = false;
                match sniff(chunk) {
                    Sniff::Json(skip) => {
                        chunk_start = skip;
                        st.scanner.set_start(skip as u64);
                    }
                    Sniff::Csv(skip) => {
                        chunk_start = skip;
                        st.csv = Some(CsvScanner::new(self.options.max_record_bytes, skip as u64));
                    }
                    Sniff::Avro => {
                        // The container is read as a stream of blocks from here on; the
                        // progress callback is asked between blocks, at the JSON cadence.
                        st.avro = true;
                        let rest = io::Cursor::new(chunk.to_vec()).chain(&mut reader);
                        let progress = &mut self.progress;
                        let mut tick = |decoded: u64, events: u64| -> bool {
                            if decoded < next_progress {
                                return true;
                            }
                            next_progress = (decoded / PROGRESS_EVERY + 1) * PROGRESS_EVERY;
                            progress.as_mut().is_none_or(|p| {
                                p(&Progress {
                                    phase: Phase::Parse,
                                    stored_bytes: stored(),
                                    decoded_bytes: decoded,
                                    events,
                                })
                            })
                        };
                        let (decoded, cancelled) = st.feed_avro(rest, &mut self.builder, &mut tick);
                        sum.decoded_bytes = decoded;
                        if cancelled {
                            self.cancelled = true;
                            st.diag(Severity::Error, CoreError::Cancelled, Some(decoded));
                            read_failed = true;
                        }
                        break;
                    }
                    Sniff::Companion(c) => {
                        st.companion = Some(c);
                        sum.decoded_bytes += n as u64;
                        break;
                    }
                    Sniff::Bad(err) => {
                        st.diag(Severity::Error, err, Some(0));
                        read_failed = true;
                        break;
                    }
                    Sniff::Unknown => {
                        st.diag(Severity::Warning, CoreError::UnknownFormat, None);
                        break;
                    }
                }
            }
            sum.decoded_bytes += n as u64;
            if st.csv.is_some() {
                st.feed_csv(&chunk[chunk_start..], &mut self.builder, false);
            } else {
                st.feed(&chunk[chunk_start..], &mut self.builder);
            }
            if sum.decoded_bytes >= next_progress {
                next_progress += PROGRESS_EVERY;
                if let Some(p) = self.progress.as_mut() {
                    let prog = Progress {
                        phase: Phase::Parse,
                        stored_bytes: stored(),
                        decoded_bytes: sum.decoded_bytes,
                        events: self.builder.len() as u64,
                    };
                    if !p(&prog) {
                        self.cancelled = true;
                        st.diag(
                            Severity::Error,
                            CoreError::Cancelled,
                            Some(sum.decoded_bytes),
                        );
                        read_failed = true;
                        break;
                    }
                }
            }
        }
        self.buf = buf;
        if !read_failed {
            if st.csv.is_some() {
                st.feed_csv(&[], &mut self.builder, true);
            } else if !st.avro {
                st.finish(&mut self.builder);
            }
        }
        sum.stored_bytes = stored();
        sum.records = match &st.csv {
            Some(c) => c.rows.saturating_sub(1),
            None => st.scanner.records + st.avro_records,
        };
        sum.events = st.events;
        sum.kind = if st.events > 0 {
            let framing = match st.container {
                _ if st.csv.is_some() => Framing::Csv,
                // Event Hubs Capture: records inside each message `Body`.
                Some(Container::Wrapper(k)) if st.avro => {
                    Framing::Wrapper(if wrapper_name(k) == "records" {
                        "Body.records"
                    } else {
                        "Body"
                    })
                }
                _ if st.avro => Framing::Wrapper("Body"),
                Some(Container::Array) => Framing::Array,
                Some(Container::Wrapper(k)) => Framing::Wrapper(wrapper_name(k)),
                _ => Framing::Objects,
            };
            FileKind::Events {
                provider: if st.mixed { None } else { st.provider },
                framing,
            }
        } else if let Some(c) = st.companion {
            FileKind::Companion(c)
        } else if read_failed && st.unknown == 0 {
            FileKind::Unreadable
        } else {
            FileKind::Unknown
        };
        let nothing_found =
            st.events == 0 && st.companion.is_none() && !read_failed && st.diags.is_empty();
        let unrecognised =
            st.unknown > 0 && !st.diags.iter().any(|d| d.error == CoreError::UnknownFormat);
        if let Some((shape, missing, offset)) = st.first_incomplete.take() {
            // One diagnostic for the file, naming the first such record's shape and lack.
            let records = st.incomplete;
            st.diag(
                Severity::Error,
                CoreError::IncompleteRecord {
                    shape: shape.into(),
                    missing,
                    records,
                },
                Some(offset),
            );
        }
        if (nothing_found && st.incomplete == 0) || unrecognised {
            // Valid JSON with nothing we know in it (or an empty file), or some records of a
            // loaded file that no decoder recognised: located at the first such record.
            st.diag(
                Severity::Warning,
                CoreError::UnknownFormat,
                st.first_unknown,
            );
        }
        sum.diagnostics = st.diags;
        sum.suppressed = st.suppressed;
        sum
    }

    /// Sorts, deduplicates (when enabled) and compacts everything loaded into the store.
    pub fn finish(mut self) -> EventStore {
        if let Some(p) = self.progress.as_mut() {
            let events = self.builder.len() as u64;
            p(&Progress {
                phase: Phase::Index,
                stored_bytes: 0,
                decoded_bytes: 0,
                events,
            });
        }
        self.builder.finish(self.options.dedup)
    }
}

fn wrapper_name(k: usize) -> &'static str {
    crate::scan::list_name(k)
}

/// Surfaces the inflater's typed limit errors through `io::Error`.
struct GzipReader<R: Read>(Inflater<R>);

impl<R: Read> Read for GzipReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf) {
            Ok(n) => Ok(n),
            Err(e) => match self.0.tripped() {
                Some(t) => Err(io::Error::other(t.clone())),
                None => Err(io::Error::other(CoreError::Gzip {
                    message: e.to_string(),
                })),
            },
        }
    }
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                if filled > 0 {
                    // Hand out what was decoded; the error repeats on the next call.
                    return Ok(filled);
                }
                return Err(e);
            }
        }
    }
    Ok(filled)
}

enum Sniff {
    /// JSON; skip this many bytes (a UTF-8 byte-order mark).
    Json(usize),
    /// CloudTrail console CSV; skip this many bytes.
    Csv(usize),
    /// An Avro object container file (Event Hubs Capture).
    Avro,
    Companion(Companion),
    Bad(CoreError),
    Unknown,
}

fn sniff(head: &[u8]) -> Sniff {
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Sniff::Bad(CoreError::Encoding {
            message: "starts with a UTF-16 byte order mark; convert the file to UTF-8".into(),
        });
    }
    let skip = if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        3
    } else {
        0
    };
    let body = &head[skip..];
    if head.starts_with(crate::avro::MAGIC) {
        return Sniff::Avro;
    }
    let first = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| body[i]);
    match first {
        Some(b'{') | Some(b'[') => Sniff::Json(skip),
        Some(b'-') if body.trim_ascii_start().starts_with(b"-----BEGIN") => {
            Sniff::Companion(Companion::Keys)
        }
        Some(b'M')
            if body.starts_with(b"MII")
                && body
                    .trim_ascii()
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b)) =>
        {
            Sniff::Companion(Companion::Keys)
        }
        None => Sniff::Unknown,
        _ if crate::csv::is_console_csv(body) => Sniff::Csv(skip),
        _ => {
            if body.len() >= 2 && body.iter().take(64).filter(|&&b| b == 0).count() > 4 {
                return Sniff::Bad(CoreError::Encoding {
                    message: "binary data or UTF-16 text without a byte order mark".into(),
                });
            }
            Sniff::Unknown
        }
    }
}

/// A CSV row's fields, decoded offset, length and [`crate::dedup::record_hash`].
type CsvFields = (Vec<String>, u64, usize, u64);

/// Per-file decoding state.
struct FileState<'o> {
    path: String,
    file_index: u32,
    options: &'o IngestOptions,
    /// Told what the cut of a JSON stream met ([`Ingest::add_inflated_probed`]).
    probe: &'o mut dyn FnMut(Cut<'_>),
    scanner: Scanner,
    ctx_region: Option<String>,
    diags: Vec<Diagnostic>,
    suppressed: u64,
    events: u64,
    unknown: u64,
    first_unknown: Option<u64>,
    /// Records that looked like a known shape but lacked something: how many, and the first
    /// one's shape, what it lacked and where (one diagnostic per file).
    incomplete: u64,
    first_incomplete: Option<(&'static str, String, u64)>,
    companion: Option<Companion>,
    provider: Option<Provider>,
    mixed: bool,
    container: Option<Container>,
    csv: Option<CsvScanner>,
    csv_header: Option<Vec<String>>,
    /// An Avro container file (Event Hubs Capture), and the records found in its bodies.
    avro: bool,
    avro_records: u64,
}

impl<'o> FileState<'o> {
    fn new(
        path: &str,
        file_index: u32,
        options: &'o IngestOptions,
        probe: &'o mut dyn FnMut(Cut<'_>),
    ) -> Self {
        FileState {
            path: path.to_string(),
            file_index,
            options,
            probe,
            scanner: Scanner::new(options.max_record_bytes),
            ctx_region: formats::cts_region_from_path(path),
            diags: Vec::new(),
            suppressed: 0,
            events: 0,
            unknown: 0,
            first_unknown: None,
            incomplete: 0,
            first_incomplete: None,
            companion: None,
            provider: None,
            mixed: false,
            container: None,
            csv: None,
            csv_header: None,
            avro: false,
            avro_records: 0,
        }
    }

    fn feed_csv(&mut self, chunk: &[u8], builder: &mut StoreBuilder, last: bool) {
        let Some(mut csv) = self.csv.take() else {
            return;
        };
        // Rows are collected first: decoding needs `self` while the scanner is borrowed.
        let mut rows: Vec<Result<CsvFields, u64>> = Vec::new();
        let mut collect = |row: CsvRow<'_>| match row {
            CsvRow::Fields {
                fields,
                bytes,
                offset,
            } => rows.push(Ok((
                fields,
                offset,
                bytes.len(),
                crate::dedup::record_hash(bytes).0,
            ))),
            CsvRow::TooLong { offset } => rows.push(Err(offset)),
        };
        csv.feed(chunk, &mut collect);
        if last {
            csv.finish(&mut collect);
        }
        self.csv = Some(csv);
        for row in rows {
            let (fields, offset, len, hash) = match row {
                Ok(r) => r,
                Err(offset) => {
                    let limit = self.options.max_record_bytes as u64;
                    self.diag(
                        Severity::Error,
                        CoreError::LineTooLong { limit },
                        Some(offset),
                    );
                    continue;
                }
            };
            let Some(header) = &self.csv_header else {
                self.csv_header = Some(fields);
                continue;
            };
            let ctx = Ctx {
                cts_region: None,
                mapping: self.options.mapping.as_ref(),
            };
            match crate::csv::decode_row(header, &fields, &ctx) {
                Decoded::Event(mut ev) => {
                    ev.raw = RawRef {
                        file: self.file_index,
                        offset,
                        len: len as u32,
                    };
                    self.provider.get_or_insert(ev.provider);
                    if self.provider != Some(ev.provider) {
                        self.mixed = true;
                    }
                    builder.push_record(&ev, crate::dedup::LAYOUT_CSV, hash);
                    self.events += 1;
                }
                Decoded::Incomplete { shape, missing } => {
                    self.note_incomplete(shape, missing, offset)
                }
                _ => {
                    self.unknown += 1;
                    self.first_unknown.get_or_insert(offset);
                }
            }
        }
    }

    /// Reads an Event Hubs Capture file: every message `Body` is scanned for records like a
    /// JSON file of its own, at its position in the container's decoded stream (see `avro`).
    /// After each block, `tick(decoded bytes, events so far)` says whether to go on (the
    /// host's cancel, as between JSON chunks). Returns the decoded bytes read and whether
    /// it was cancelled.
    fn feed_avro(
        &mut self,
        r: impl Read,
        builder: &mut StoreBuilder,
        tick: &mut dyn FnMut(u64, u64) -> bool,
    ) -> (u64, bool) {
        const SHAPE: &str = "an Event Hubs Capture Avro file";
        let max_block = (self.options.max_record_bytes as u64).saturating_mul(4);
        let mut c = match crate::avro::Container::open(r, max_block) {
            Ok(c) => c,
            Err(e) => {
                self.note_incomplete(SHAPE, format!("its header is unusable: {e}"), 0);
                return (0, false);
            }
        };
        let names = c.schema.field_names();
        if !(names.contains(&"Body") && names.contains(&"EnqueuedTimeUtc")) {
            let missing = format!(
                "its schema has no `Body` and `EnqueuedTimeUtc` fields (fields: {})",
                names.join(", ")
            );
            self.note_incomplete(SHAPE, missing, 0);
            return (0, false);
        }
        let mut problems = Vec::new();
        let mut cancelled = false;
        loop {
            if !tick(c.decoded, builder.len() as u64) {
                cancelled = true;
                break;
            }
            let block = match c.next_block() {
                Ok(Some(b)) => b,
                Ok(None) => break,
                Err(e) => {
                    self.note_incomplete(SHAPE, format!("a block is unusable: {e}"), c.decoded);
                    break;
                }
            };
            let spans = match crate::avro::field_spans(&c.schema, "Body", &block.data, block.count)
            {
                Ok(s) => s,
                Err(e) => {
                    self.note_incomplete(SHAPE, format!("a block is unusable: {e}"), block.base);
                    continue;
                }
            };
            for (start, end) in spans.into_iter().flatten() {
                let Some(body) = block.data.get(start..end) else {
                    continue;
                };
                let mut scanner = Scanner::new(self.options.max_record_bytes);
                scanner.set_start(block.base + start as u64);
                scanner.feed(body, &mut |item| self.item(item, builder, &mut problems));
                scanner.finish(&mut |item| self.item(item, builder, &mut problems));
                self.avro_records += scanner.records;
            }
        }
        for (sev, err, off) in problems {
            self.diag(sev, err, off);
        }
        (c.decoded, cancelled)
    }

    fn note_incomplete(&mut self, shape: &'static str, missing: String, offset: u64) {
        self.incomplete += 1;
        self.first_incomplete
            .get_or_insert((shape, missing, offset));
    }

    fn diag(&mut self, severity: Severity, error: CoreError, offset: Option<u64>) {
        if self.diags.len() >= self.options.max_diagnostics_per_file {
            self.suppressed += 1;
            return;
        }
        let mut d = Diagnostic::new(severity, self.path.clone(), error);
        d.offset = offset;
        self.diags.push(d);
    }

    fn feed(&mut self, chunk: &[u8], builder: &mut StoreBuilder) {
        let mut items = Vec::new();
        // Records are handled inside the callback (no copy); problems are collected.
        let mut scanner = std::mem::replace(&mut self.scanner, Scanner::new(0));
        scanner.feed(chunk, &mut |item| self.item(item, builder, &mut items));
        self.scanner = scanner;
        for (sev, err, off) in items {
            self.diag(sev, err, off);
        }
    }

    fn finish(&mut self, builder: &mut StoreBuilder) {
        let mut items = Vec::new();
        let mut scanner = std::mem::replace(&mut self.scanner, Scanner::new(0));
        scanner.finish(&mut |item| self.item(item, builder, &mut items));
        self.scanner = scanner;
        for (sev, err, off) in items {
            self.diag(sev, err, off);
        }
    }

    fn item(
        &mut self,
        item: Item<'_>,
        builder: &mut StoreBuilder,
        problems: &mut Vec<(Severity, CoreError, Option<u64>)>,
    ) {
        match item {
            Item::Syntax { at, message } => {
                (self.probe)(Cut::Problem);
                problems.push((
                    Severity::Error,
                    CoreError::Json {
                        line: at.line,
                        column: at.column,
                        message: message.into(),
                    },
                    Some(at.offset),
                ))
            }
            Item::TooLong { at } => {
                (self.probe)(Cut::Problem);
                problems.push((
                    Severity::Error,
                    CoreError::LineTooLong {
                        limit: self.options.max_record_bytes as u64,
                    },
                    Some(at.offset),
                ))
            }
            Item::Record {
                bytes,
                at,
                container,
                layout,
            } => {
                let text = match std::str::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(e) => {
                        (self.probe)(Cut::Problem);
                        let off = at.offset + e.valid_up_to() as u64;
                        problems.push((
                            Severity::Error,
                            CoreError::Encoding {
                                message: format!(
                                    "invalid UTF-8 at byte {off} (record at line {})",
                                    at.line
                                ),
                            },
                            Some(off),
                        ));
                        return;
                    }
                };
                let ctx = Ctx {
                    cts_region: self.ctx_region.as_deref(),
                    mapping: self.options.mapping.as_ref(),
                };
                let decoded = formats::decode(text, &ctx);
                // A record that decoded is valid JSON: a compact one's members are then
                // exactly where the scanner saw their names.
                (self.probe)(match decoded {
                    Ok(_) => Cut::Record {
                        offset: at.offset,
                        bytes,
                        members: layout.compact.then_some(Members {
                            bytes,
                            names: layout.keys,
                        }),
                    },
                    Err(_) => Cut::Problem,
                });
                match decoded {
                    Err(e) => {
                        let line = at.line + e.line.saturating_sub(1);
                        let column = if e.line <= 1 {
                            at.column + e.column.saturating_sub(1)
                        } else {
                            e.column
                        };
                        problems.push((
                            Severity::Error,
                            CoreError::Json {
                                line,
                                column,
                                message: e.message,
                            },
                            Some(at.offset),
                        ));
                    }
                    Ok(Decoded::Event(mut ev)) => {
                        ev.raw = RawRef {
                            file: self.file_index,
                            offset: at.offset,
                            len: bytes.len() as u32,
                        };
                        match self.provider {
                            None => self.provider = Some(ev.provider),
                            Some(p) if p != ev.provider => self.mixed = true,
                            _ => {}
                        }
                        if self.container.is_none() {
                            self.container = Some(container);
                        }
                        let (content, shape) = crate::dedup::scanned_record_hash(bytes, layout);
                        let container = match container {
                            Container::Top => 1,
                            Container::Array => 2,
                            Container::Wrapper(k) => 3u8.saturating_add(k.min(250) as u8),
                        };
                        builder.push_record(&ev, crate::dedup::layout(container, shape), content);
                        self.events += 1;
                    }
                    Ok(Decoded::Companion(c)) => self.companion = Some(c),
                    Ok(Decoded::Incomplete { shape, missing }) => {
                        self.note_incomplete(shape, missing, at.offset)
                    }
                    Ok(Decoded::Unknown) => {
                        self.unknown += 1;
                        self.first_unknown.get_or_insert(at.offset);
                    }
                }
            }
        }
    }
}

/// The byte stream a file's [`RawRef`] offsets count in, whole: the file itself, its gzip
/// members inflated, and for an Avro container (Event Hubs Capture) its blocks' decoded data
/// one after another. For hosts that take every record of a file at once (the sealer), where
/// [`read_raw`] per record would decode the file again for each.
pub fn decoded_stream(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, CoreError> {
    let mut plain = Vec::new();
    if bytes.starts_with(&MAGIC) {
        Inflater::new(bytes, limits)
            .read_to_end(&mut plain)
            .map_err(
                |e| match e.get_ref().and_then(|x| x.downcast_ref::<CoreError>()) {
                    Some(c) => c.clone(),
                    None => CoreError::Io {
                        message: e.to_string(),
                    },
                },
            )?;
    } else {
        plain.extend_from_slice(bytes);
    }
    if !plain.starts_with(crate::avro::MAGIC) {
        return Ok(plain);
    }
    let avro_err = |e: crate::avro::AvroError| CoreError::Io {
        message: format!("Avro container: {e}"),
    };
    let mut container =
        crate::avro::Container::open(&plain[..], limits.max_entry_bytes).map_err(avro_err)?;
    let mut out = Vec::new();
    while let Some(block) = container.next_block().map_err(avro_err)? {
        // Blocks are numbered by where they start in the decoded stream, so appending them
        // in file order rebuilds it exactly.
        debug_assert_eq!(block.base, out.len() as u64);
        out.extend_from_slice(&block.data);
    }
    Ok(out)
}

/// Reads the original bytes of a record again: decodes `reader` (plain or gzip, as at ingest)
/// and returns `raw.len` bytes from `raw.offset`. `reader` must be the same file the store
/// names in `files()[raw.file]`.
pub fn read_raw(
    reader: &mut dyn Read,
    raw: &RawRef,
    limits: &Limits,
) -> Result<Vec<u8>, CoreError> {
    let io_err = |e: io::Error| match e.get_ref().and_then(|x| x.downcast_ref::<CoreError>()) {
        Some(c) => c.clone(),
        None => CoreError::Io {
            message: e.to_string(),
        },
    };
    let mut head = Vec::new();
    reader.take(2).read_to_end(&mut head).map_err(io_err)?;
    let chained = io::Cursor::new(head.clone()).chain(reader);
    let mut r: Box<dyn Read + '_> = if head.starts_with(&MAGIC) {
        Box::new(GzipReader(Inflater::new(chained, limits)))
    } else {
        Box::new(chained)
    };
    // An Avro container (Event Hubs Capture): offsets count in its decoded block data.
    let mut magic = Vec::new();
    (&mut r).take(4).read_to_end(&mut magic).map_err(io_err)?;
    if magic.as_slice() == crate::avro::MAGIC {
        let rest = io::Cursor::new(magic).chain(r);
        let out = crate::avro::read_span(rest, raw.offset, raw.len as u64, limits.max_entry_bytes)
            .map_err(|e| CoreError::Io {
                message: format!("Avro container: {e}"),
            })?;
        if out.len() < raw.len as usize {
            return Err(CoreError::Io {
                message: "file is shorter than the recorded position; was it changed?".into(),
            });
        }
        return Ok(out);
    }
    let mut r = io::Cursor::new(magic).chain(r);
    let skipped = io::copy(&mut (&mut r).take(raw.offset), &mut io::sink()).map_err(io_err)?;
    let mut out = Vec::with_capacity(raw.len as usize);
    (&mut r)
        .take(raw.len as u64)
        .read_to_end(&mut out)
        .map_err(io_err)?;
    if skipped < raw.offset || out.len() < raw.len as usize {
        return Err(CoreError::Io {
            message: "file is shorter than the recorded position; was it changed?".into(),
        });
    }
    Ok(out)
}
