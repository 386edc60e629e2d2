//! The engine worker's pool of load workers: the inputs are cut into runs of consecutive
//! files, and a big zip into ranges of its entries ([`cut`], [`crate::run::cut_runs`]); each
//! idle load worker (`bin/loader.rs`, a nested dedicated worker started by `load_worker.js`)
//! is handed the next run, and the runs come back with their ingest parts as bytes (handed on
//! as they grow, [`PART_EVENTS`] events at a time, and the rest with the run), each joined in
//! input order ([`crate::engine::Join`]) as soon as every run before it is back.
//! The pool is owned by the engine worker, so the page cancelling a load by terminating the
//! engine worker terminates every load worker with it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::Range;
use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use trailproof_events::ingest::Part;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, MessageEvent, Worker, WorkerGlobalScope};

use crate::blob::{inputs, BlobReader};
use crate::engine::{Progress, Tick, Timings};
use crate::fetch::{performance_now, wasm_memory_mib, worker_error, Reads, Recycle};
use crate::protocol::{FromLoader, ToLoader};
use crate::run::{
    batches, cut_runs, InOrder, Next, Run, RunLoader, RunSpec, ZipRange, BATCH_BYTES, HOLD_BYTES,
    PART_EVENTS, READ_AHEAD_MAX, RUNS_PER_WORKER, SPLIT_BYTES,
};
use crate::subtle::{Digests, LogDigests, Subtle};

/// Most load workers: past this, the engine worker appending parts and the page's own work
/// gain nothing from more.
pub const MAX_WORKERS: usize = 8;

/// Load workers for this machine: `navigator.hardwareConcurrency`, from 2 to [`MAX_WORKERS`].
pub fn pool_size() -> usize {
    let cores = js_sys::global()
        .dyn_into::<WorkerGlobalScope>()
        .map(|s| s.navigator().hardware_concurrency())
        .unwrap_or(2.0);
    (cores as usize).clamp(2, MAX_WORKERS)
}

/// Messages from the load workers, in arrival order, awaited one at a time.
#[derive(Clone, Default)]
struct Inbox(Rc<RefCell<InboxState>>);

#[derive(Default)]
struct InboxState {
    queue: VecDeque<(usize, JsValue)>,
    wake: Option<js_sys::Function>,
}

impl Inbox {
    fn push(&self, worker: usize, data: JsValue) {
        let wake = {
            let mut s = self.0.borrow_mut();
            s.queue.push_back((worker, data));
            s.wake.take()
        };
        if let Some(f) = wake {
            let _ = f.call0(&JsValue::NULL);
        }
    }

    async fn next(&self) -> (usize, JsValue) {
        loop {
            if let Some(m) = self.0.borrow_mut().queue.pop_front() {
                return m;
            }
            let state = self.0.clone();
            let promise = Promise::new(&mut |resolve, _| state.borrow_mut().wake = Some(resolve));
            let _ = JsFuture::from(promise).await;
        }
    }
}

/// One load worker and its handlers (kept alive with it).
struct Loader {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

fn spawn(index: usize, inbox: &Inbox) -> Result<Loader, JsValue> {
    // A classic script, like the engine worker (Trunk builds worker bins that way).
    let worker = Worker::new("./load_worker.js")?;
    let to_inbox = inbox.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        to_inbox.push(index, event.data());
    });
    let to_inbox = inbox.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let fatal = FromLoader::Fatal {
            message: format!("a load worker stopped: {}", worker_error(&event)),
        };
        if let Ok(json) = serde_json::to_string(&fatal) {
            to_inbox.push(index, JsValue::from_str(&json));
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Loader {
        worker,
        _on_message: on_message,
        _on_error: on_error,
    })
}

fn send(loader: &Loader, run: usize, spec: &RunSpec, files: &[(String, File)]) {
    let range = spec.inputs.clone();
    let request = ToLoader::Run {
        run: run as u32,
        names: files[range.clone()]
            .iter()
            .map(|(n, _)| n.clone())
            .collect(),
        zip: spec.zip.clone(),
    };
    let Ok(json) = serde_json::to_string(&request) else {
        return;
    };
    let list: Array = files[range]
        .iter()
        .map(|(_, f)| JsValue::from(f.clone()))
        .collect();
    let _ = loader
        .worker
        .post_message(&Array::of2(&JsValue::from_str(&json), &list));
}

/// The bytes a load worker sent: a `Uint8Array`, a view of its transferred buffer (taken as
/// it is: `new Uint8Array(view)` would copy it); anything else is read as a buffer.
fn view(sent: &JsValue) -> Uint8Array {
    match sent.dyn_ref::<Uint8Array>() {
        Some(view) => view.clone(),
        None => Uint8Array::new(sent),
    }
}

/// Hands a part's buffer back to the load worker that sent it ([`ToLoader::Spare`]).
fn give_back(loader: &Loader, buffer: js_sys::ArrayBuffer) {
    let Ok(json) = serde_json::to_string(&ToLoader::Spare) else {
        return;
    };
    let posted = Array::of2(&JsValue::from_str(&json), &buffer);
    let _ = loader
        .worker
        .post_message_with_transfer(&posted, &Array::of1(&buffer));
}

/// What the pool hears, for the engine worker to pass on.
pub trait Listener {
    /// Progress: the phase, bytes of all inputs done and events loaded (summed over runs),
    /// the current file.
    fn progress(&mut self, tick: Tick<'_>);
    /// Hash results of inputs (indexes into all inputs).
    fn hashes(&mut self, hashed: Vec<(usize, u64, String)>, failed: Vec<(usize, String)>);
    /// The next run in input order, as soon as every run before it came back (see
    /// [`crate::engine::Join`]).
    fn run(&mut self, run: Run);

    /// The next part of the events of the next run in input order, which it handed on as it
    /// grew: before that run's [`Listener::run`].
    fn part(&mut self, part: Part);

    /// Every input is in, `bytes` in all (told once, before the last run is handed on).
    fn inputs_in(&mut self, bytes: u64);
}

/// What the load workers of one load cost beside their wall time.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolCosts {
    /// Milliseconds spent encoding parts, summed over the load workers.
    pub encode_ms: f64,
    /// The largest WebAssembly memory a load worker reached, in MiB.
    pub memory_mib: f64,
    /// The largest WebAssembly memory of the engine worker and every load worker together,
    /// in MiB, as sampled when runs and parts came back (each load worker's memory as it
    /// last told it: its peak so far).
    pub together_mib: f64,
    /// Runs the inputs were cut into.
    pub runs: usize,
    /// Load workers started.
    pub workers: usize,
}

/// The files of a load as they arrive from the page ([`crate::protocol::ToWorker::Load`], then
/// `More`): a pool starts on the first files while the rest are still on their way.
pub struct Incoming {
    paths: Vec<String>,
    files: RefCell<Vec<File>>,
    /// The pool to wake when files arrive.
    inbox: RefCell<Option<Inbox>>,
}

/// What the pool's inbox hears from [`Incoming::push`] (no load worker has this index).
const FILES_ARRIVED: usize = usize::MAX;

impl Incoming {
    /// A load of `paths`, the first `files` of them in.
    pub fn new(paths: Vec<String>, files: Vec<File>) -> Incoming {
        Incoming {
            paths,
            files: RefCell::new(files),
            inbox: RefCell::new(None),
        }
    }

    /// The next files, in order.
    pub fn push(&self, files: Vec<File>) {
        self.files.borrow_mut().extend(files);
        if let Some(inbox) = &*self.inbox.borrow() {
            inbox.push(FILES_ARRIVED, JsValue::NULL);
        }
    }

    /// How many files the load has.
    pub fn expected(&self) -> usize {
        self.paths.len()
    }

    /// How many are in.
    pub fn arrived(&self) -> usize {
        self.files.borrow().len().min(self.paths.len())
    }

    /// Whether every file is in.
    pub fn complete(&self) -> bool {
        self.arrived() == self.expected()
    }

    /// Bytes of the files at `range` of the load (those in).
    pub fn bytes(&self, range: Range<usize>) -> u64 {
        let files = self.files.borrow();
        let range = range.start.min(files.len())..range.end.min(files.len());
        files[range].iter().map(|f| f.size() as u64).sum()
    }

    /// The files in, named.
    pub fn named(&self) -> Vec<(String, File)> {
        self.paths
            .iter()
            .cloned()
            .zip(self.files.borrow().iter().cloned())
            .collect()
    }
}

/// The runs of a load whose files are all in (`None` while some are still on their way):
/// [`cut_runs`] for `workers` load workers, with each zip of at least [`SPLIT_BYTES`] cut
/// into ranges of its entries (its central directory read here, once).
pub fn cut(incoming: &Incoming, workers: usize) -> Option<Vec<RunSpec>> {
    if !incoming.complete() {
        return None;
    }
    let files = incoming.named();
    let sizes: Vec<u64> = files.iter().map(|(_, f)| f.size() as u64).collect();
    Some(cut_runs(&sizes, workers, &mut |i| {
        if sizes[i] < SPLIT_BYTES {
            return None;
        }
        let mut reader = BlobReader::new(files[i].1.clone().into()).ok()?;
        trailproof_core::input::zip_entry_sizes(&mut reader)
    }))
}

/// Bytes a run accounts for in progress (those of its files in, or its share of a zip).
fn run_bytes(incoming: &Incoming, spec: &RunSpec) -> u64 {
    match &spec.zip {
        Some(zip) => zip.bytes,
        None => incoming.bytes(spec.inputs.clone()),
    }
}

/// Loads the `incoming` files on `workers` load workers, in the `planned` runs ([`cut`]) when every
/// file was in at the start, else in runs of consecutive files cut by count as they arrive
/// (their sizes are not known before). The runs are handed to `listener` in input order, each
/// as soon as those before it came back. Milliseconds the load workers spent encoding their
/// parts are added to `costs`, and the largest memory one of them reached is kept there.
pub async fn load(
    incoming: &Incoming,
    planned: Option<Vec<RunSpec>>,
    workers: usize,
    listener: &mut dyn Listener,
    costs: &mut PoolCosts,
) -> Result<(), String> {
    let expected = incoming.expected();
    // Files per run while they arrive: about `RUNS_PER_WORKER` runs a worker, by count.
    let per_run = expected.div_ceil(workers.max(1) * RUNS_PER_WORKER).max(1);
    let (mut runs, mut cut) = match planned {
        Some(runs) => {
            listener.inputs_in(incoming.bytes(0..expected));
            (runs, expected)
        }
        None => (Vec::new(), 0),
    };
    let run_count = if cut == expected {
        runs.len()
    } else {
        expected.div_ceil(per_run)
    };
    let workers = workers.clamp(1, run_count.max(1));
    let inbox = Inbox::default();
    *incoming.inbox.borrow_mut() = Some(inbox.clone());
    let pool: Vec<Loader> = (0..workers)
        .map(|i| spawn(i, &inbox))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("could not start a load worker: {e:?}"))?;
    costs.workers = workers;
    let mut idle: Vec<usize> = (0..workers).rev().collect();
    let mut next = 0;
    let mut done: Vec<u64> = Vec::new();
    let mut events: Vec<u64> = Vec::new();
    // Parts (as bytes) and runs back, handed on in input order.
    let mut order: InOrder<Vec<u8>, Run> = InOrder::default();
    // Each load worker's memory as it last told it.
    let mut memory = vec![0.0f64; workers];
    loop {
        // Runs of the files in so far.
        let arrived = incoming.arrived();
        while cut < arrived && (arrived - cut >= per_run || arrived == expected) {
            let end = (cut + per_run).min(arrived);
            runs.push(RunSpec::whole(cut..end));
            cut = end;
            if cut == expected {
                listener.inputs_in(incoming.bytes(0..expected));
            }
        }
        done.resize(runs.len(), 0);
        events.resize(runs.len(), 0);
        if next < runs.len() && !idle.is_empty() {
            let files = incoming.named();
            while let (Some(spec), Some(&worker)) = (runs.get(next), idle.last()) {
                send(&pool[worker], next, spec, &files);
                idle.pop();
                next += 1;
            }
        }
        if cut == expected && order.given() == runs.len() {
            costs.runs = runs.len();
            break;
        }
        let (worker, data) = inbox.next().await;
        if worker == FILES_ARRIVED {
            continue;
        }
        let parts = if Array::is_array(&data) {
            Array::from(&data)
        } else {
            Array::of1(&data)
        };
        let Some(message) = parts
            .get(0)
            .as_string()
            .and_then(|s| serde_json::from_str::<FromLoader>(&s).ok())
        else {
            return Err("a load worker sent a message that is not understood".into());
        };
        let mut told_memory = |worker: usize, mib: f64, costs: &mut PoolCosts| {
            memory[worker] = mib;
            costs.memory_mib = costs.memory_mib.max(mib);
            let together = wasm_memory_mib() + memory.iter().sum::<f64>();
            costs.together_mib = costs.together_mib.max(together);
        };
        let bytes = |i: u32| view(&parts.get(i)).to_vec();
        // A part's buffer goes back to its load worker once copied, for its next part.
        let part_bytes = || {
            let part = view(&parts.get(1));
            let bytes = part.to_vec();
            if let Some(loader) = pool.get(worker) {
                give_back(loader, part.buffer());
            }
            bytes
        };
        match message {
            FromLoader::Part {
                run,
                encode_ms,
                memory_mib,
            } => {
                let run = run as usize;
                let handed = (run < runs.len())
                    .then(|| order.part(run, part_bytes()))
                    .flatten()
                    .ok_or("a load worker sent a part of a run it was not given")?;
                costs.encode_ms += encode_ms;
                told_memory(worker, memory_mib, costs);
                hand_on(listener, handed)?;
            }
            FromLoader::Progress {
                run,
                phase,
                done: d,
                events: e,
                file,
            } => {
                let (Some(slot), Some(loaded)) =
                    (done.get_mut(run as usize), events.get_mut(run as usize))
                else {
                    continue;
                };
                *slot = (*slot).max(d);
                *loaded = (*loaded).max(e);
                listener.progress(Tick {
                    phase,
                    done: done.iter().sum(),
                    events: events.iter().sum(),
                    file: &file,
                });
            }
            FromLoader::Done {
                run,
                output,
                hashed,
                failed,
                encode_ms: ms,
                memory_mib,
            } => {
                let run = run as usize;
                let Some(spec) = runs.get(run) else {
                    return Err("a load worker answered for a run it was not given".into());
                };
                let part = Part::decode(&part_bytes()).map_err(|e| e.to_string())?;
                let deferred = (0..output.deferred.len() as u32)
                    .map(|i| bytes(2 + i))
                    .collect();
                let first = spec.inputs.start;
                listener.hashes(
                    hashed
                        .into_iter()
                        .map(|(i, s, h)| (first + i, s, h))
                        .collect(),
                    failed.into_iter().map(|(i, m)| (first + i, m)).collect(),
                );
                costs.encode_ms += ms;
                told_memory(worker, memory_mib, costs);
                let run_back = Run {
                    output: *output,
                    deferred,
                    part,
                };
                let handed = order
                    .done(run, run_back)
                    .ok_or("a load worker answered twice for one run")?;
                hand_on(listener, handed)?;
                done[run] = run_bytes(incoming, spec);
                idle.push(worker);
            }
            FromLoader::Fatal { message } => return Err(message),
        }
    }
    *incoming.inbox.borrow_mut() = None;
    // Dropping the pool terminates every load worker: their memory goes with them.
    drop(pool);
    Ok(())
}

/// Hands `next` on to `listener`, each part decoded from its bytes.
fn hand_on(listener: &mut dyn Listener, next: Vec<Next<Vec<u8>, Run>>) -> Result<(), String> {
    for next in next {
        match next {
            Next::Part(bytes) => listener.part(Part::decode(&bytes).map_err(|e| e.to_string())?),
            Next::Run(run) => listener.run(run),
        }
    }
    Ok(())
}

/// A run, with `(index, size, SHA-256 hex)` of each of its inputs hashed and `(index,
/// message)` of each that could not be.
pub type Loaded = (Run, Vec<(usize, u64, String)>, Vec<(usize, String)>);

/// A run loaded where this is called (a load worker, or the engine worker itself when there is
/// only one run: a pool would only add a worker's start and the part's trip), in batches of
/// consecutive inputs (at most [`BATCH_BYTES`] each): each batch's inputs of up to
/// [`READ_AHEAD_MAX`] are read ahead, all at once, while the batch before is loaded
/// ([`Reads`], [`RunLoader::add`]), and every input is hashed by the same reads (by the
/// browser as read, [`BlobReader::hashed_by`]; in wasm as the walk reads the bigger ones,
/// [`BlobReader::hashing`]). With `zip`, `files` is one zip and only that range of its entries
/// is loaded ([`load_range`]). The run's events go to `parts` as they grow, [`PART_EVENTS`] at
/// a time ([`RunLoader::handing_parts`]), the rest with the run. Returns the run and the hash results (indexes into `files`).
pub async fn load_here(
    files: &[(String, File)],
    zip: Option<&ZipRange>,
    progress: Progress,
    parts: Box<dyn FnMut(Part)>,
) -> Result<Loaded, String> {
    if let Some(zip) = zip {
        let [(name, file)] = files else {
            return Err("a range of zip entries was sent with other files".into());
        };
        return load_range(name, file, zip, progress, parts).await;
    }
    let mut hashed = Vec::new();
    let mut failed = Vec::new();
    let sizes: Vec<u64> = files.iter().map(|(_, f)| f.size() as u64).collect();
    // Two batches are held at once: the one loading and the next one read.
    let batches = batches(&sizes, BATCH_BYTES);
    let read_ahead = |range: &Range<usize>| {
        Reads::start(
            files,
            range
                .clone()
                .filter(|&i| sizes[i] <= READ_AHEAD_MAX)
                .collect(),
        )
    };
    let clock = performance_now;
    let timings = Timings::new(&clock);
    let subtle = Subtle::get();
    let (mut loader, digests) = run_loader(progress, subtle.clone(), parts);
    let mut next = batches.first().map(read_ahead);
    for (k, range) in batches.iter().enumerate() {
        let (ready, recycle) = match next.take() {
            Some(reads) => reads.settle(subtle.as_ref()).await,
            None => (Vec::new(), Recycle::none()),
        };
        // The next batch is read while this one loads.
        next = batches.get(k + 1).map(read_ahead);
        let mut preloaded: Vec<Option<(Uint8Array, Option<Promise>)>> = vec![None; range.len()];
        for (index, bytes, digest) in ready {
            preloaded[index - range.start] = Some((bytes, digest));
        }
        let mut readers = Vec::with_capacity(range.len());
        for (index, bytes) in range.clone().zip(preloaded) {
            let (name, file) = &files[index];
            let reader = match bytes {
                Some((bytes, digest)) => BlobReader::preloaded(file.clone().into(), bytes)
                    .map(|reader| reader.hashed_by(digest)),
                None => BlobReader::new(file.clone().into()).map(BlobReader::hashing),
            };
            readers.push((name.clone(), reader.map_err(|e| e.to_string())?));
        }
        // One input at a time, so that the digests are settled whenever the browser holds
        // more than `SETTLE_BYTES` of decoded logs for them.
        for input in inputs(&mut readers).chunks_mut(1) {
            loader.add(input, &timings);
            if digests
                .as_ref()
                .is_some_and(|d| d.pending_bytes() >= SETTLE_BYTES)
            {
                settle_hashes(&mut loader, digests.as_ref()).await;
            }
        }
        settle_hashes(&mut loader, digests.as_ref()).await;
        // Every input was hashed by the load's own reads (the rest of one read out of order now).
        for (index, (_, reader)) in range.clone().zip(readers.iter_mut()) {
            match reader.finish_digest().await {
                Ok(d) => hashed.push((index, d.size, d.sha256_hex())),
                Err(e) => failed.push((index, e.to_string())),
            }
        }
        // The batch's views of its read are gone with its readers: its buffer can take a
        // later batch.
        drop(readers);
        recycle.done();
    }
    Ok((loader.finish(), hashed, failed))
}

/// Decoded logs a load worker lets the browser hold copies of for their digests before it
/// waits for those digests: a batch read ahead holds up to 64 MiB of gzip logs, which decode
/// to several hundred MiB (14 logs of the 5 M-event corpus, 340 MB), and should the browser's
/// digests fall behind the ingest (a busy machine), it would hold copies of all of them. No
/// change was measurable at 5 M events on an idle machine; this bounds the worst case.
const SETTLE_BYTES: u64 = 64 << 20;

/// A load worker's run loader, its logs hashed by the browser where it has `subtle`
/// ([`LogDigests`]), its events handed to `parts` as they grow, and the handle to settle
/// those digests with.
fn run_loader(
    progress: Progress,
    subtle: Option<Subtle>,
    parts: Box<dyn FnMut(Part)>,
) -> (RunLoader, Option<Digests>) {
    let loader = RunLoader::new(HOLD_BYTES, progress).handing_parts(PART_EVENTS, parts);
    match subtle.map(LogDigests::new) {
        Some((hasher, digests)) => (loader.hashing(Box::new(hasher)), Some(digests)),
        None => (loader, None),
    }
}

/// Gives `loader` the browser's digests of the logs it offered since the last call.
async fn settle_hashes(loader: &mut RunLoader, digests: Option<&Digests>) {
    if let Some(digests) = digests {
        let t0 = performance_now();
        let given = digests.settle().await;
        loader.give_hashes(given, performance_now() - t0);
    }
}

/// One range of a zip's entries ([`RunLoader::add_entries`]). The range that starts at the
/// first entry hashes the zip: by its own reads as far as they go from the start, then the
/// rest (the other ranges' entries, the central directory) in a read of its own, its slices
/// awaited; the others do not hash (a hash needs the bytes in order).
async fn load_range(
    name: &str,
    file: &File,
    zip: &ZipRange,
    progress: Progress,
    parts: Box<dyn FnMut(Part)>,
) -> Result<Loaded, String> {
    let first = zip.entries.start == 0;
    let reader = BlobReader::new(file.clone().into()).map_err(|e| e.to_string())?;
    let reader = if first { reader.hashing() } else { reader };
    let mut readers = vec![(name.to_owned(), reader)];
    let clock = performance_now;
    let timings = Timings::new(&clock);
    let (mut loader, digests) = run_loader(progress, Subtle::get(), parts);
    if let Some(input) = inputs(&mut readers).first_mut() {
        // Progress counts the range's share of the zip.
        input.size = zip.bytes;
        loader.add_entries(input, zip.entries.clone(), &timings);
    }
    settle_hashes(&mut loader, digests.as_ref()).await;
    let (mut hashed, mut failed) = (Vec::new(), Vec::new());
    if first {
        match readers[0].1.finish_digest().await {
            Ok(d) => hashed.push((0, d.size, d.sha256_hex())),
            Err(e) => failed.push((0, e.to_string())),
        }
    }
    Ok((loader.finish(), hashed, failed))
}
