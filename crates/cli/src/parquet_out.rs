//! `trailproof events --format parquet -o DIR`: the selected events as Hive-partitioned Parquet
//! (`DIR/provider=aws/date=2024-05-01/part-00000.parquet`, schema in `docs/parquet.md`).
//!
//! The store is complete before anything is written (integrity and de-duplication need every
//! input), so what this module bounds is the Parquet side: rows go out in the store's time
//! order, so a partition's date never comes back once passed and at most one file per provider
//! is open, each holding one row group ([`trailproof_parquet::Limits`]). With `--raw` the
//! records are re-read from the inputs window by window (see [`RawSource`]).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

use trailproof_core::gzip::{Inflater, MAGIC};
use trailproof_core::input::{self, Control, Limits};
use trailproof_events::model::RawRef;
use trailproof_events::store::EventStore;
use trailproof_parquet::{PartWriter, Partition};

/// What `events --format parquet` was asked for.
pub struct Options {
    /// Output directory (created; must be empty if it exists).
    pub dir: PathBuf,
    /// Re-read and write each event's raw record.
    pub raw: bool,
    /// Rows per file at most; a partition with more gets `part-00001.parquet` and so on.
    pub max_rows_per_file: usize,
}

/// What was written.
pub struct Written {
    /// Events written.
    pub events: usize,
    /// Parquet files written.
    pub files: usize,
}

/// Refuses an output directory that already holds something: parts of an earlier run would
/// silently mix with this one's. Checked before the (long) ingest.
pub fn check_dir(dir: &Path) -> Result<(), String> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(format!(
                "{}: the output directory is not empty (parts of another run would mix with this one's)",
                dir.display()
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}

struct Open {
    writer: PartWriter<BufWriter<File>>,
    path: PathBuf,
}

/// Writes `rows` (ascending, so in time order) of `store`; `inputs` are the files ingested as
/// (path on disk, name in the store), for `--raw`.
pub fn write(
    store: &EventStore,
    rows: &[usize],
    inputs: &[(PathBuf, String)],
    options: &Options,
) -> Result<Written, String> {
    std::fs::create_dir_all(&options.dir).map_err(|e| format!("{}: {e}", options.dir.display()))?;
    let limits = trailproof_parquet::Limits::default();
    let mut open: BTreeMap<Partition, Open> = BTreeMap::new();
    let mut next_part: HashMap<Partition, u32> = HashMap::new();
    let mut files = 0usize;
    let mut raw = options.raw.then(|| RawSource::new(store, rows, inputs));
    let window = limits.batch_rows.max(1);
    for (w, chunk) in rows.chunks(window).enumerate() {
        if let Some(raw) = raw.as_mut() {
            raw.load(store, chunk);
        }
        for &row in chunk {
            let partition = Partition::of(store, row);
            // Rows are in time order: a new date closes every file of the previous one.
            if open.keys().next().is_some_and(|p| p.date != partition.date) {
                for (_, o) in std::mem::take(&mut open) {
                    close(o)?;
                }
            }
            if !open.contains_key(&partition) {
                let part = next_part.entry(partition.clone()).or_insert(0);
                let dir = options.dir.join(partition.dir());
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let path = dir.join(format!("part-{part:05}.parquet"));
                *part += 1;
                let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let writer = PartWriter::new(BufWriter::new(file), &partition, limits)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                files += 1;
                open.insert(partition.clone(), Open { writer, path });
            }
            let Some(o) = open.get_mut(&partition) else {
                continue;
            };
            let bytes = raw.as_ref().and_then(|r| r.get(store.raw(row)));
            o.writer
                .push(store, row, bytes)
                .map_err(|e| format!("{}: {e}", o.path.display()))?;
            if o.writer.rows() >= options.max_rows_per_file.max(1) {
                if let Some(o) = open.remove(&partition) {
                    close(o)?;
                }
            }
        }
        if let Some(raw) = raw.as_mut() {
            raw.evict((w + 1) * window);
        }
    }
    for (_, o) in open {
        close(o)?;
    }
    Ok(Written {
        events: rows.len(),
        files,
    })
}

fn close(o: Open) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", o.path.display());
    let out = o.writer.finish().map_err(|e| fail(&e))?;
    out.into_inner()
        .map_err(|e| fail(&e.into_error()))?
        .sync_all()
        .map_err(|e| fail(&e))
}

/// The raw records of the rows being written, re-read from the inputs.
///
/// Rows are written in time order but records sit in files: for each window of rows, the
/// decoded bytes of every file the window needs are loaded (one walk per input that holds
/// any of them) and kept until the last row that needs them is written. Memory is the decoded
/// size of the files whose events overlap the window in time: small for trails cut into
/// five-minute files, up to a whole file for one large export. An input archive is walked
/// again for each window that needs a file from it not already loaded.
struct RawSource<'a> {
    inputs: &'a [(PathBuf, String)],
    /// Per store file: the input that holds it.
    home: Vec<Option<usize>>,
    /// Per store file: the position (in `rows`) of the last row whose record is in it.
    last_use: Vec<usize>,
    /// Decoded bytes of loaded store files (`None`: could not be read; reported once).
    loaded: HashMap<u32, Option<Vec<u8>>>,
    limits: Limits,
}

impl<'a> RawSource<'a> {
    fn new(store: &EventStore, rows: &[usize], inputs: &'a [(PathBuf, String)]) -> Self {
        let by_name: HashMap<&str, usize> = inputs
            .iter()
            .enumerate()
            .map(|(i, (_, name))| (name.as_str(), i))
            .collect();
        // A store file is an input itself or an entry `input/inside/the/archive`.
        let home = store
            .files()
            .iter()
            .map(|f| {
                by_name.get(f.as_str()).copied().or_else(|| {
                    f.match_indices('/')
                        .rev()
                        .find_map(|(i, _)| by_name.get(&f[..i]).copied())
                })
            })
            .collect();
        let mut last_use = vec![0usize; store.files().len()];
        for (pos, &row) in rows.iter().enumerate() {
            if let Some(l) = last_use.get_mut(store.raw(row).file as usize) {
                *l = pos;
            }
        }
        RawSource {
            inputs,
            home,
            last_use,
            loaded: HashMap::new(),
            limits: Limits::default(),
        }
    }

    /// Loads every file `chunk`'s records are in that is not loaded yet.
    fn load(&mut self, store: &EventStore, chunk: &[usize]) {
        let mut wanted: BTreeMap<usize, HashMap<&str, u32>> = BTreeMap::new();
        for &row in chunk {
            let file = store.raw(row).file;
            if self.loaded.contains_key(&file) {
                continue;
            }
            let (Some(Some(home)), Some(name)) = (
                self.home.get(file as usize),
                store.files().get(file as usize),
            ) else {
                continue;
            };
            wanted.entry(*home).or_default().insert(name.as_str(), file);
        }
        for (home, names) in wanted {
            let Some((path, name)) = self.inputs.get(home) else {
                continue;
            };
            let mut found: HashMap<u32, Option<Vec<u8>>> = HashMap::new();
            match File::open(path) {
                Ok(mut f) => {
                    let diags = input::walk(name, &mut f, &self.limits, &mut |entry| {
                        if let Some(&file) = names.get(entry.path) {
                            found.insert(file, decode(entry.reader, &self.limits));
                        }
                        Control::Continue
                    });
                    for d in diags {
                        eprintln!("{d}");
                    }
                }
                Err(e) => eprintln!("error: {name}: {e}"),
            }
            for (entry, file) in names {
                let bytes = found.remove(&file).flatten();
                if bytes.is_none() {
                    eprintln!("warning: {entry}: cannot re-read its records; `raw` is null for its events");
                }
                self.loaded.insert(file, bytes);
            }
        }
    }

    /// The record at `raw`, if its file is loaded and still holds it.
    fn get(&self, raw: RawRef) -> Option<&[u8]> {
        let bytes = self.loaded.get(&raw.file)?.as_deref()?;
        let start = usize::try_from(raw.offset).ok()?;
        bytes.get(start..start.checked_add(raw.len as usize)?)
    }

    /// Drops the files no row at or after position `next` needs.
    fn evict(&mut self, next: usize) {
        let last_use = &self.last_use;
        self.loaded
            .retain(|&file, _| last_use.get(file as usize).is_some_and(|&l| l >= next));
    }
}

/// A file's bytes as ingest saw them: gzip (every member) decoded, within the same caps, and
/// an Avro container's blocks decoded (`events::ingest::decoded_stream`, where its spans count).
/// `None` when an Avro container cannot be decoded (its spans mean nothing in the stored bytes).
fn decode(reader: &mut dyn Read, limits: &Limits) -> Option<Vec<u8>> {
    // A read or decode error keeps what came before it, as ingest did: the spans of the
    // records ingest found there are still good, and `RawSource::get` checks each one's bounds.
    let mut stored = Vec::new();
    let _ = reader.read_to_end(&mut stored);
    let plain = if stored.starts_with(&MAGIC) {
        let mut out = Vec::new();
        let _ = Inflater::new(&stored[..], limits).read_to_end(&mut out);
        out
    } else {
        stored
    };
    if plain.starts_with(AVRO_MAGIC) {
        return trailproof_events::ingest::decoded_stream(&plain, limits).ok();
    }
    Some(plain)
}

/// The first bytes of an Avro object container file (Event Hubs Capture).
const AVRO_MAGIC: &[u8] = b"Obj\x01";
