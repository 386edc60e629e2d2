//! The engine worker's pool of load workers: the inputs are cut into runs of consecutive
//! files ([`crate::run::cut_runs`]), each idle load worker (`bin/loader.rs`, a nested dedicated
//! worker started by `load_worker.js`) is handed the next run, and the runs come back with
//! their ingest parts as bytes, each joined in input order ([`crate::engine::Join`]) as soon
//! as every run before it is back. The pool is owned by the engine worker, so the page
//! cancelling a load by terminating the engine worker terminates every load worker with it.

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
use crate::fetch::{performance_now, worker_error, Reads, PREFETCH_BUDGET};
use crate::protocol::{FromLoader, ToLoader, CHUNK};
use crate::run::{batches, Run, RunLoader, HOLD_BYTES};

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

fn send(
    loader: &Loader,
    run: usize,
    range: &Range<usize>,
    files: &[(String, File)],
    sharing: usize,
) {
    let request = ToLoader {
        run: run as u32,
        names: files[range.clone()]
            .iter()
            .map(|(n, _)| n.clone())
            .collect(),
        sharing: sharing as u32,
    };
    let Ok(json) = serde_json::to_string(&request) else {
        return;
    };
    let list: Array = files[range.clone()]
        .iter()
        .map(|(_, f)| JsValue::from(f.clone()))
        .collect();
    let _ = loader
        .worker
        .post_message(&Array::of2(&JsValue::from_str(&json), &list));
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
}

/// What the load workers of one load cost beside their wall time.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolCosts {
    /// Milliseconds spent encoding parts, summed over the load workers.
    pub encode_ms: f64,
    /// The largest WebAssembly memory a load worker reached, in MiB.
    pub memory_mib: f64,
}

/// Loads `files`, cut into `runs`, on `workers` load workers; the runs are handed to
/// `listener` in input order, each as soon as those before it came back. Milliseconds the
/// load workers spent encoding their parts are added to `costs`, and the largest memory one
/// of them reached is kept there.
pub async fn load(
    files: &[(String, File)],
    runs: &[Range<usize>],
    workers: usize,
    listener: &mut dyn Listener,
    costs: &mut PoolCosts,
) -> Result<(), String> {
    let workers = workers.clamp(1, runs.len().max(1));
    let inbox = Inbox::default();
    let pool: Vec<Loader> = (0..workers)
        .map(|i| spawn(i, &inbox))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("could not start a load worker: {e:?}"))?;
    let mut next = 0;
    for loader in &pool {
        if let Some(range) = runs.get(next) {
            send(loader, next, range, files, workers);
            next += 1;
        }
    }
    let size =
        |r: &Range<usize>| -> u64 { files[r.clone()].iter().map(|(_, f)| f.size() as u64).sum() };
    let mut done: Vec<u64> = vec![0; runs.len()];
    let mut events: Vec<u64> = vec![0; runs.len()];
    // Runs back but not yet handed on (one before them is still loading).
    let mut waiting: Vec<Option<Run>> = (0..runs.len()).map(|_| None).collect();
    let mut given = 0;
    let mut left = runs.len();
    while left > 0 {
        let (worker, data) = inbox.next().await;
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
        match message {
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
                let Some(range) = runs.get(run) else {
                    return Err("a load worker answered for a run it was not given".into());
                };
                let bytes = |i: u32| Uint8Array::new(&parts.get(i)).to_vec();
                let part = Part::decode(&bytes(1)).map_err(|e| e.to_string())?;
                let deferred = (0..output.deferred.len() as u32)
                    .map(|i| bytes(2 + i))
                    .collect();
                let first = range.start;
                listener.hashes(
                    hashed
                        .into_iter()
                        .map(|(i, s, h)| (first + i, s, h))
                        .collect(),
                    failed.into_iter().map(|(i, m)| (first + i, m)).collect(),
                );
                costs.encode_ms += ms;
                costs.memory_mib = costs.memory_mib.max(memory_mib);
                waiting[run] = Some(Run {
                    output: *output,
                    deferred,
                    part,
                });
                while let Some(ready) = waiting.get_mut(given).and_then(Option::take) {
                    listener.run(ready);
                    given += 1;
                }
                done[run] = size(range);
                left -= 1;
                if let Some(range) = runs.get(next) {
                    send(&pool[worker], next, range, files, workers);
                    next += 1;
                }
            }
            FromLoader::Fatal { message } => return Err(message),
        }
    }
    // Dropping the pool terminates every load worker: their memory goes with them.
    drop(pool);
    Ok(())
}

/// A run loaded where this is called (a load worker, or the engine worker itself when there is
/// only one run: a pool would only add a worker's start and the part's trip), in batches of
/// consecutive inputs: each batch's small inputs (one slice, [`CHUNK`], or less) are read
/// ahead, all at once, while the batch before is loaded ([`Reads`], [`RunLoader::add`]), and
/// every input is hashed by the same reads ([`BlobReader::hashing`] for the bigger ones).
/// `sharing` is how many workers share the read-ahead budget. Returns the run and the hash
/// results (indexes into `files`).
pub async fn load_here(
    files: &[(String, File)],
    sharing: u64,
    progress: Progress,
) -> Result<(Run, Vec<(usize, u64, String)>, Vec<(usize, String)>), String> {
    let mut hashed = Vec::new();
    let mut failed = Vec::new();
    let sizes: Vec<u64> = files.iter().map(|(_, f)| f.size() as u64).collect();
    // Two batches are held at once: the one loading and the next one read.
    let batches = batches(&sizes, PREFETCH_BUDGET / sharing.max(1) / 2);
    let read_ahead = |range: &Range<usize>| {
        Reads::start(
            files,
            range.clone().filter(|&i| sizes[i] <= CHUNK).collect(),
        )
    };
    let clock = performance_now;
    let timings = Timings::new(&clock);
    let mut loader = RunLoader::new(HOLD_BYTES, progress);
    let mut next = batches.first().map(read_ahead);
    for (k, range) in batches.iter().enumerate() {
        let ready = match next.take() {
            Some(reads) => reads.settle().await,
            None => Vec::new(),
        };
        // The next batch is read while this one loads.
        next = batches.get(k + 1).map(read_ahead);
        let mut preloaded: Vec<Option<Vec<u8>>> = vec![None; range.len()];
        for (index, bytes) in ready {
            preloaded[index - range.start] = Some(bytes);
        }
        let mut readers = Vec::with_capacity(range.len());
        for (index, bytes) in range.clone().zip(preloaded) {
            let (name, file) = &files[index];
            let reader = match bytes {
                Some(bytes) => BlobReader::preloaded(file.clone().into(), bytes),
                None => BlobReader::new(file.clone().into()).map(BlobReader::hashing),
            };
            readers.push((name.clone(), reader.map_err(|e| e.to_string())?));
        }
        loader.add(&mut inputs(&mut readers), &timings);
        // Every input was hashed by the load's own reads (the rest of one read out of order now).
        for (index, (_, reader)) in range.clone().zip(readers.iter_mut()) {
            match reader.finish_digest() {
                Ok(d) => hashed.push((index, d.size, d.sha256_hex())),
                Err(e) => failed.push((index, e.to_string())),
            }
        }
    }
    Ok((loader.finish(), hashed, failed))
}
