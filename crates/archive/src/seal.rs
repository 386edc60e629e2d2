//! Sealing: provider exports in, the files of a sealed archive out.

use std::fmt;

use sha2::{Digest, Sha256};
use trailproof_core::diag::Severity;
use trailproof_core::input::Limits;
use trailproof_events::ingest::{FileKind, Ingest, IngestOptions};
use trailproof_tlog::checkpoint::Checkpoint;
use trailproof_tlog::merkle::CompactRange;
use trailproof_tlog::note::{self, Signer};
use trailproof_tlog::Hash;

use crate::frame::{record_leaf_hash, seal_leaf_hash, write_frame};
use crate::text::{valid_nonce, Entry, Manifest, Seal};

/// Most periodic seals one sealing run may append (a 1-second period over a year of records
/// would otherwise write tens of millions of files).
pub const MAX_PERIODS: u64 = 100_000;

/// How to seal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SealOptions {
    /// Seal period in seconds: records are grouped by event time into periods aligned to
    /// multiples of the period since the Unix epoch, and every ended period from the first
    /// record's to the last record's is sealed, empty or not. `None`: one export seal only.
    pub period: Option<u64>,
    /// The requester's nonce, written into the export seal (1–128 visible ASCII characters).
    pub nonce: Option<String>,
    /// The current time (POSIX seconds): the export seal's time. Injected so sealing is
    /// reproducible and the library needs no clock.
    pub now: u64,
}

/// Where an existing log stands: everything needed to append to it without its records.
///
/// The frontier (the O(log n) perfect-subtree roots) is enough to compute every later root,
/// so new checkpoints are consistent with the old ones by construction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogState {
    /// The log's origin (its key name).
    pub origin: String,
    /// Leaves so far (the last checkpoint's size).
    pub size: u64,
    /// The frontier of the tree of `size` leaves, left to right.
    pub frontier: Vec<Hash>,
    /// The next seal's sequence number.
    pub next_seq: u64,
    /// SHA-256 of the last checkpoint's text (the next seal's `prev`).
    pub prev: Hash,
    /// The last seal's time.
    pub last_time: u64,
    /// Manifest entries for leaves `0 .. size`, the last export seal included.
    pub entries: Vec<Entry>,
}

/// Why sealing failed.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SealError {
    /// The nonce is not 1–128 visible ASCII characters.
    BadNonce,
    /// The period is 0.
    BadPeriod,
    /// The state to append to belongs to another origin than the signing key's name.
    OriginMismatch {
        /// The key's name.
        key: String,
        /// The log's origin.
        log: String,
    },
    /// An input file holds records that could not all be read, so sealing it would silently
    /// drop some.
    Input {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// More than [`MAX_PERIODS`] periods would be sealed.
    TooManyPeriods {
        /// Periods that would be sealed.
        periods: u64,
    },
    /// Signing or tree arithmetic failed.
    Tlog(trailproof_tlog::Error),
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealError::BadNonce => write!(f, "the nonce must be 1–128 visible ASCII characters"),
            SealError::BadPeriod => write!(f, "the period must be at least 1 second"),
            SealError::OriginMismatch { key, log } => write!(
                f,
                "the key is named {key:?} but the archive is log {log:?}: use that log's key"
            ),
            SealError::Input { path, problem } => write!(f, "{path}: {problem}"),
            SealError::TooManyPeriods { periods } => write!(
                f,
                "{periods} periods would be sealed (at most {MAX_PERIODS}): choose a longer period"
            ),
            SealError::Tlog(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SealError {}

impl From<trailproof_tlog::Error> for SealError {
    fn from(e: trailproof_tlog::Error) -> Self {
        SealError::Tlog(e)
    }
}

/// What happened to one input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputOutcome {
    /// Its records were taken.
    Sealed {
        /// How many.
        records: u64,
        /// The provider, when the file holds one provider's records.
        provider: Option<trailproof_events::Provider>,
    },
    /// A digest, key or signature file: not records, skipped.
    Companion,
    /// Not JSON records at all (a README, an image): skipped.
    NotRecords,
}

/// The result of sealing.
#[derive(Clone, Debug)]
pub struct SealedArchive {
    /// Files to write, paths relative to the archive root. When appending, only new files
    /// and the rewritten `manifest`; existing files stay as they are.
    pub files: Vec<(String, Vec<u8>)>,
    /// The log after sealing (to append again later).
    pub state: LogState,
    /// Records sealed in this run.
    pub records: u64,
    /// Seals appended in this run (periodic and export).
    pub seals: u64,
    /// What happened to each input, in input order.
    pub inputs: Vec<(String, InputOutcome)>,
}

struct Pending {
    time: i64,
    order: u64,
    bytes: Vec<u8>,
}

/// Builds a sealed archive: [`Sealer::add_file`] for each export file, then
/// [`Sealer::finish`].
///
/// Records are taken with their exact bytes as the provider wrote them (the JSON object,
/// without the surrounding `{"Records":[…]}` wrapper, array or line ending) and ordered by
/// event time, ties in input order. All record bytes are held in memory until `finish`.
pub struct Sealer {
    signer: Signer,
    options: SealOptions,
    state: LogState,
    pending: Vec<Pending>,
    inputs: Vec<(String, InputOutcome)>,
    order: u64,
}

impl Sealer {
    /// A sealer for a new log named after `signer` (the key name is the origin).
    pub fn new(signer: Signer, options: SealOptions) -> Result<Sealer, SealError> {
        let state = LogState {
            origin: signer.name().to_owned(),
            size: 0,
            frontier: Vec::new(),
            next_seq: 0,
            prev: [0; 32],
            last_time: 0,
            entries: Vec::new(),
        };
        Self::resume(signer, options, state)
    }

    /// A sealer appending to an existing log (see [`crate::Verification::state`]).
    pub fn resume(
        signer: Signer,
        options: SealOptions,
        state: LogState,
    ) -> Result<Sealer, SealError> {
        if options.nonce.as_deref().is_some_and(|n| !valid_nonce(n)) {
            return Err(SealError::BadNonce);
        }
        if options.period == Some(0) {
            return Err(SealError::BadPeriod);
        }
        if signer.name() != state.origin {
            return Err(SealError::OriginMismatch {
                key: signer.name().to_owned(),
                log: state.origin,
            });
        }
        Ok(Sealer {
            signer,
            options,
            state,
            pending: Vec::new(),
            inputs: Vec::new(),
            order: 0,
        })
    }

    /// Takes the records of one export file (plain or gzip; any format `trailproof-events`
    /// detects). Companion and non-JSON files are skipped; a file with records that cannot
    /// all be decoded is an error, because sealing it would drop records silently.
    pub fn add_file(&mut self, path: &str, bytes: &[u8]) -> Result<InputOutcome, SealError> {
        let input_err = |problem: String| SealError::Input {
            path: path.to_owned(),
            problem,
        };
        // Record spans count in the decoded stream (gzip inflated, Avro blocks decoded): the
        // sealer frames those exact bytes.
        let plain = trailproof_events::ingest::decoded_stream(bytes, &Limits::default())
            .map_err(|e| input_err(format!("cannot decode: {e}")))?;
        let options = IngestOptions {
            dedup: false,
            ..IngestOptions::default()
        };
        let mut ingest = Ingest::new(options);
        let summary = ingest.add_file(path, &mut &bytes[..]);
        let errors: Vec<String> = summary
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.to_string())
            .collect();
        let outcome = match summary.kind {
            FileKind::Companion(_) => InputOutcome::Companion,
            _ if summary.records == 0 && summary.events == 0 && errors.is_empty() => {
                InputOutcome::NotRecords
            }
            FileKind::Events { provider, .. }
                if errors.is_empty() && summary.records == summary.events =>
            {
                InputOutcome::Sealed {
                    records: summary.events,
                    provider,
                }
            }
            _ => {
                let problem = match errors.first() {
                    Some(e) => e.clone(),
                    None => format!(
                        "{} of {} records are not in a recognised format",
                        summary.records.saturating_sub(summary.events),
                        summary.records
                    ),
                };
                return Err(input_err(problem));
            }
        };
        if matches!(outcome, InputOutcome::Sealed { .. }) {
            let store = ingest.finish();
            let mut taken = Vec::with_capacity(store.len());
            for row in 0..store.len() {
                let raw = store.raw(row);
                let start = usize::try_from(raw.offset).unwrap_or(usize::MAX);
                let record = start
                    .checked_add(raw.len as usize)
                    .and_then(|end| plain.get(start..end))
                    .ok_or_else(|| input_err("record span outside the file".into()))?;
                taken.push((raw.offset, store.time_ms(row).div_euclid(1000), record));
            }
            // The store sorts by time; keep file order as the tie-break.
            taken.sort_by_key(|t| t.0);
            for (_, time, record) in taken {
                self.pending.push(Pending {
                    time,
                    order: self.order,
                    bytes: record.to_vec(),
                });
                self.order += 1;
            }
        }
        self.inputs.push((path.to_owned(), outcome.clone()));
        Ok(outcome)
    }

    /// Appends the records, periodic seals and the export seal, signs a checkpoint after
    /// every seal, and returns the files to write.
    pub fn finish(mut self) -> Result<SealedArchive, SealError> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|p| (p.time, p.order));
        let records = pending.len() as u64;
        let mut run = Run {
            tree: CompactRange::from_frontier(self.state.size, self.state.frontier.clone())?,
            signer: &self.signer,
            state: &mut self.state,
            files: Vec::new(),
            seals: 0,
            fresh: true,
        };
        run.fresh = run.state.size == 0;
        let mut rest: &[Pending] = &pending;
        if let (Some(period), Some(first), Some(last)) =
            (self.options.period, pending.first(), pending.last())
        {
            let period_of = |t: i64| u64::try_from(t).unwrap_or(0) / period;
            let p_min = if run.fresh {
                period_of(first.time)
            } else {
                // The first period whose end is after the last seal: sealed periods are
                // never sealed twice, and late records go into the first open period.
                run.state.last_time / period
            };
            // Only periods that have ended by `now` get a periodic seal; records of the
            // current period are sealed by the export seal.
            let ended = (self.options.now / period).checked_sub(1);
            let p_max = period_of(last.time).max(p_min);
            if let Some(p_max) = ended.map(|e| e.min(p_max)).filter(|&m| m >= p_min) {
                let periods = p_max - p_min + 1;
                if periods > MAX_PERIODS {
                    return Err(SealError::TooManyPeriods { periods });
                }
                for p in p_min..=p_max {
                    let n = rest
                        .iter()
                        .take_while(|r| period_of(r.time).max(p_min) == p)
                        .count();
                    let (these, later) = rest.split_at(n);
                    rest = later;
                    run.records(these)?;
                    let end = (p + 1).saturating_mul(period);
                    run.seal(end.max(run.state.last_time), None, None)?;
                }
            }
        }
        run.records(rest)?;
        let manifest = Manifest {
            origin: run.state.origin.clone(),
            entries: run.state.entries.clone(),
        }
        .to_text()
        .into_bytes();
        let manifest_hash: Hash = Sha256::digest(&manifest).into();
        let time = self.options.now.max(run.state.last_time);
        run.seal(time, Some(manifest_hash), self.options.nonce.clone())?;
        let mut files = std::mem::take(&mut run.files);
        files.push(("manifest".to_owned(), manifest));
        let seals = run.seals;
        Ok(SealedArchive {
            files,
            state: self.state,
            records,
            seals,
            inputs: self.inputs,
        })
    }
}

/// One sealing run's mutable state.
struct Run<'a> {
    tree: CompactRange,
    signer: &'a Signer,
    state: &'a mut LogState,
    files: Vec<(String, Vec<u8>)>,
    seals: u64,
    fresh: bool,
}

impl Run<'_> {
    /// Writes `records` (if any) as `records/<next seq>.rec` and appends their leaves.
    fn records(&mut self, records: &[Pending]) -> Result<(), SealError> {
        if records.is_empty() {
            return Ok(());
        }
        let first = self.tree.size();
        let mut file = Vec::new();
        for r in records {
            write_frame(&mut file, &r.bytes);
            self.tree.push(record_leaf_hash(&r.bytes))?;
        }
        let path = format!("records/{}.rec", self.state.next_seq);
        self.state.entries.push(Entry::File {
            path: path.clone(),
            first,
            count: records.len() as u64,
            sha256: Sha256::digest(&file).into(),
            len: file.len() as u64,
        });
        self.files.push((path, file));
        Ok(())
    }

    /// Appends seal `next_seq` and signs checkpoint `next_seq` right after it.
    fn seal(
        &mut self,
        time: u64,
        manifest: Option<Hash>,
        nonce: Option<String>,
    ) -> Result<(), SealError> {
        let seq = self.state.next_seq;
        let text = Seal {
            origin: self.state.origin.clone(),
            seq,
            time,
            prev: self.state.prev,
            manifest,
            nonce,
        }
        .to_text()
        .into_bytes();
        let index = self.tree.size();
        self.tree.push(seal_leaf_hash(&text))?;
        let path = format!("seals/{seq}.seal");
        self.state.entries.push(Entry::Seal {
            index,
            path: path.clone(),
            sha256: Sha256::digest(&text).into(),
        });
        self.files.push((path, text));
        let cp = Checkpoint {
            origin: self.state.origin.clone(),
            size: self.tree.size(),
            root: self.tree.root(),
            extensions: vec![],
        }
        .to_text();
        let note = note::sign(&cp, std::slice::from_ref(self.signer))?;
        self.files.push((format!("checkpoints/{seq}.note"), note));
        self.state.prev = Sha256::digest(cp.as_bytes()).into();
        self.state.next_seq = seq + 1;
        self.state.last_time = time;
        self.state.size = self.tree.size();
        self.state.frontier = self.tree.frontier().to_vec();
        self.seals += 1;
        Ok(())
    }
}
