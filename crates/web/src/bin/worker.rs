//! The Web Worker: reads dropped files in `Blob` slices and runs the core libraries on them.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the worker runs only in a browser (wasm32)");
}

#[cfg(target_arch = "wasm32")]
mod worker {
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::{Array, Promise, Uint8Array};
    use trailproof_analysis::report::InputFile;
    use trailproof_core::hash::FileHasher;
    use trailproof_core::tool::Tool;
    use trailproof_web::blob::BlobReader;
    use trailproof_web::engine::{read_record, Engine, Input, Progress, Timings};
    use trailproof_web::identity;
    use trailproof_web::protocol::{
        AnalysisSettings, ExportFormat, FromWorker, Phase, ToWorker, CHUNK,
    };
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Blob, BlobPropertyBag, DedicatedWorkerGlobalScope, File, MessageEvent};

    /// What the worker keeps between requests: the loaded files and the engine over them.
    #[derive(Default)]
    struct Loaded {
        files: Vec<(String, File)>,
        /// Name, size and SHA-256 of each input, for the auditor report.
        hashes: Vec<InputFile>,
        engine: Engine,
    }

    thread_local! {
        static LOADED: RefCell<Loaded> = RefCell::new(Loaded::default());
        static BUILD: RefCell<Option<Tool>> = const { RefCell::new(None) };
    }

    fn scope() -> DedicatedWorkerGlobalScope {
        js_sys::global().unchecked_into()
    }

    fn reply(message: &FromWorker) {
        // Serialising our own types cannot fail; a failed post means the page is gone.
        if let Ok(json) = serde_json::to_string(message) {
            let _ = scope().post_message(&JsValue::from_str(&json));
        }
    }

    pub fn start() {
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
            let parts = Array::from(&event.data());
            let request = parts
                .get(0)
                .as_string()
                .and_then(|s| serde_json::from_str::<ToWorker>(&s).ok());
            let files: Vec<File> = Array::from(&parts.get(1))
                .iter()
                .filter_map(|f| f.dyn_into().ok())
                .collect();
            if let Some(request) = request {
                wasm_bindgen_futures::spawn_local(run(request, files));
            }
        });
        scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The handler lives as long as the worker.
        on_message.forget();
    }

    async fn run(request: ToWorker, files: Vec<File>) {
        match request {
            ToWorker::Hash { job, .. } => {
                hash_all(job, &files).await;
                reply(&FromWorker::Done { job });
            }
            ToWorker::Load { job, paths } => {
                load(job, paths, files).await;
                reply(&FromWorker::Done { job });
            }
            ToWorker::Query {
                seq,
                query,
                range,
                newest_first,
            } => {
                let result =
                    LOADED.with_borrow_mut(|l| l.engine.query(&query, range, newest_first));
                reply(&FromWorker::Selected { seq, result });
            }
            ToWorker::Rows { seq, offset, limit } => {
                let rows = LOADED.with_borrow(|l| l.engine.rows(offset, limit));
                reply(&FromWorker::Rows { seq, offset, rows });
            }
            ToWorker::Detail { seq, row } => {
                if let Some(detail) = LOADED.with_borrow(|l| detail(l, row)) {
                    reply(&FromWorker::Detail {
                        seq,
                        detail: Box::new(detail),
                    });
                }
            }
            ToWorker::Suggest { seq, field, prefix } => {
                let values = LOADED.with_borrow(|l| l.engine.suggest(&field, &prefix, 8));
                reply(&FromWorker::Suggested { seq, values });
            }
            ToWorker::Analyze { seq, settings } => {
                let result = LOADED.with_borrow_mut(|l| {
                    let Loaded { files, engine, .. } = l;
                    with_inputs(files, |inputs| engine.reanalyze(&settings, inputs))
                });
                reply(&FromWorker::Analyzed {
                    seq,
                    result: result.map(Box::new),
                });
            }
            ToWorker::Prove { seq, row } => {
                let result = LOADED
                    .with_borrow(|l| with_inputs(&l.files, |inputs| l.engine.prove(row, inputs)));
                match result {
                    Ok(bundle) => {
                        let parts = Array::of1(&Uint8Array::from(bundle.as_slice()));
                        post_blob(seq, ExportFormat::Proof, 1, &parts);
                    }
                    Err(message) => reply(&FromWorker::Refused { message }),
                }
            }
            ToWorker::Workpaper { note, marks } => {
                let unresolved = LOADED.with_borrow_mut(|l| l.engine.set_workpaper(note, marks));
                reply(&FromWorker::Marked { unresolved });
            }
            ToWorker::Export {
                seq,
                format,
                requirement,
            } => {
                let tool = match format {
                    ExportFormat::ReportHtml | ExportFormat::ReportJson => build().await,
                    // CSV exports carry no build metadata: nothing to measure.
                    _ => Tool::native(identity::VERSION, identity::COMMIT),
                };
                export(seq, format, &tool, requirement.as_deref())
            }
        }
    }

    fn detail(loaded: &Loaded, row: u32) -> Option<trailproof_web::protocol::DetailView> {
        let mut view = loaded.engine.detail(row)?;
        let (path, raw) = loaded.engine.raw_ref(row)?;
        view.raw = with_inputs(&loaded.files, |inputs| read_record(inputs, &path, &raw));
        Some(view)
    }

    /// Runs `f` over readers for `files`.
    fn with_inputs<T>(
        files: &[(String, File)],
        f: impl FnOnce(&mut [Input<'_>]) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut readers = Vec::new();
        for (name, file) in files {
            let reader = BlobReader::new(file.clone().into()).map_err(|e| e.to_string())?;
            readers.push((name.clone(), reader));
        }
        let mut inputs: Vec<Input<'_>> = readers
            .iter_mut()
            .map(|(name, reader)| {
                let size = reader.size();
                Input {
                    name: name.clone(),
                    source: reader,
                    size,
                }
            })
            .collect();
        f(&mut inputs)
    }

    #[wasm_bindgen]
    extern "C" {
        /// The worker's high-resolution clock (milliseconds).
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        fn performance_now() -> f64;
    }

    /// Posts progress at most every 50 ms: the page re-renders per message, and with thousands
    /// of small files a message per file would cost more than the work.
    struct Throttle {
        last: f64,
    }

    impl Throttle {
        fn due(&mut self) -> bool {
            let now = performance_now();
            let due = now - self.last >= 50.0;
            if due {
                self.last = now;
            }
            due
        }
    }

    /// Hash results gathered for the page, sent in batches.
    #[derive(Default)]
    struct HashBatch {
        hashed: Vec<(usize, u64, String)>,
        failed: Vec<(usize, String)>,
    }

    impl HashBatch {
        fn send(&mut self, job: u32) {
            if self.hashed.is_empty() && self.failed.is_empty() {
                return;
            }
            reply(&FromWorker::Hashes {
                job,
                hashed: std::mem::take(&mut self.hashed),
                failed: std::mem::take(&mut self.failed),
            });
        }
    }

    /// Hashes, verifies, indexes, then analyses the inputs. A file that fits in one slice is
    /// read once: the same buffer is hashed, scanned and ingested (`BlobReader::hashing`);
    /// larger ones are hashed first in awaited slices, so each wasm call stays short.
    async fn load(job: u32, paths: Vec<String>, files: Vec<File>) {
        let clock = performance_now;
        let mut timings = Timings::new(&clock);
        let named: Vec<(String, File)> = paths.into_iter().zip(files).collect();
        let total: u64 = named.iter().map(|(_, f)| f.size() as u64).sum();
        let mut throttle = Throttle { last: 0.0 };
        let mut batch = HashBatch::default();
        let mut digests: Vec<Option<(u64, String)>> = vec![None; named.len()];

        let t0 = clock();
        let mut done = 0u64;
        for (index, (name, file)) in named.iter().enumerate() {
            if file.size() as u64 <= CHUNK {
                continue;
            }
            match hash_file(job, name, file, &mut done, total, &mut throttle).await {
                Ok(digest) => {
                    batch.hashed.push((index, digest.0, digest.1.clone()));
                    digests[index] = Some(digest);
                }
                Err(e) => batch
                    .failed
                    .push((index, e.as_string().unwrap_or_else(|| format!("{e:?}")))),
            }
        }
        batch.send(job);
        timings.add("hash large inputs (awaited slices)", clock() - t0);

        let t0 = clock();
        let mut preloaded = prefetch(&named).await;
        timings.add("read small inputs ahead (concurrent)", clock() - t0);

        let t0 = clock();
        let mut readers = Vec::with_capacity(named.len());
        for (index, (name, file)) in named.iter().enumerate() {
            let reader = match preloaded.get_mut(index).and_then(Option::take) {
                Some(bytes) => BlobReader::preloaded(file.clone().into(), bytes),
                None => BlobReader::new(file.clone().into()).map(BlobReader::hashing),
            };
            match reader {
                Ok(reader) => readers.push((name.clone(), reader)),
                Err(e) => {
                    reply(&FromWorker::Fatal {
                        message: e.to_string(),
                    });
                    return;
                }
            }
        }
        timings.add("open readers", clock() - t0);
        let (engine, summary) = {
            let mut inputs = inputs_of(&mut readers);
            let progress: Progress = Rc::new(RefCell::new(move |phase, done, file: &str| {
                if throttle.due() {
                    reply(&FromWorker::Progress {
                        job,
                        phase,
                        done,
                        total,
                        file: file.to_owned(),
                    });
                }
            }));
            let t0 = clock();
            let mut inner = Timings::new(&clock);
            let loaded = Engine::load_events(&mut inputs, progress, &mut inner);
            timings.add("load (below)", clock() - t0);
            timings.phases.extend(
                inner
                    .phases
                    .into_iter()
                    .map(|(n, ms)| (format!("  {n}"), ms)),
            );
            loaded
        };

        // Hashes of the small files came with the load's own reads; a file the load did not
        // read whole (unreadable, or skipped) is hashed now.
        let t0 = clock();
        for (index, (_, reader)) in readers.iter_mut().enumerate() {
            // Large inputs were hashed (or failed) before the load.
            if digests[index].is_some() || reader.size() > CHUNK {
                continue;
            }
            match reader.finish_digest() {
                Ok(d) => {
                    let digest = (d.size, d.sha256_hex());
                    batch.hashed.push((index, digest.0, digest.1.clone()));
                    digests[index] = Some(digest);
                }
                Err(e) => batch.failed.push((index, e.to_string())),
            }
        }
        batch.send(job);
        timings.add(
            "hashes of small inputs (from the load's reads)",
            clock() - t0,
        );
        let hashes: Vec<InputFile> = named
            .iter()
            .zip(&digests)
            .filter_map(|((name, _), d)| {
                d.as_ref().map(|(size, sha256)| InputFile {
                    name: name.clone(),
                    size: *size,
                    sha256: sha256.clone(),
                })
            })
            .collect();

        let t0 = clock();
        reply(&FromWorker::Loaded {
            job,
            summary: Box::new(summary),
        });
        timings.add("post the summary", clock() - t0);

        // The analysis runs after the summary is shown, with its own progress phase, over the
        // load's readers: the raw records it needs are still in their buffers.
        reply(&FromWorker::Progress {
            job,
            phase: Phase::Analyze,
            done: total,
            total,
            file: String::new(),
        });
        let t0 = clock();
        let mut engine = engine;
        let result = {
            let mut inputs = inputs_of(&mut readers);
            engine.reanalyze(&AnalysisSettings::default(), &mut inputs)
        };
        drop(readers);
        timings.add("analysis (after the summary)", clock() - t0);
        LOADED.with_borrow_mut(|l| {
            *l = Loaded {
                files: named,
                hashes,
                engine,
            }
        });
        reply(&FromWorker::Analyzed {
            seq: 0,
            result: result.map(Box::new),
        });
        reply(&FromWorker::Timings {
            job,
            phases: timings.phases,
        });
    }

    /// Inputs over `readers`, for the engine.
    fn inputs_of(readers: &mut [(String, BlobReader)]) -> Vec<Input<'_>> {
        readers
            .iter_mut()
            .map(|(name, reader)| {
                let size = reader.size();
                Input {
                    name: name.clone(),
                    source: reader,
                    size,
                }
            })
            .collect()
    }

    /// Total bytes of small inputs read ahead; a larger set reads the rest synchronously
    /// while it loads (memory stays bounded).
    const PREFETCH_BUDGET: u64 = 256 << 20;
    /// Reads in flight at once.
    const PREFETCH_WINDOW: usize = 64;

    /// Reads every input that fits in one slice ([`CHUNK`]), many at a time: each read of a
    /// file costs the browser a round trip of about a millisecond, which concurrent reads
    /// overlap (one `FileReaderSync` call per file cannot). A read that fails is left to the
    /// load, which reports it.
    async fn prefetch(files: &[(String, File)]) -> Vec<Option<Vec<u8>>> {
        let mut out: Vec<Option<Vec<u8>>> = vec![None; files.len()];
        let mut budget = PREFETCH_BUDGET;
        let mut wanted = Vec::new();
        for (index, (_, file)) in files.iter().enumerate() {
            let size = file.size() as u64;
            if size <= CHUNK && size <= budget {
                budget -= size;
                wanted.push(index);
            }
        }
        for window in wanted.chunks(PREFETCH_WINDOW) {
            let promises: Array = window
                .iter()
                .map(|&i| JsValue::from(files[i].1.array_buffer()))
                .collect();
            let Ok(settled) = JsFuture::from(Promise::all_settled(&promises)).await else {
                continue;
            };
            for (&i, result) in window.iter().zip(Array::from(&settled).iter()) {
                let value = js_sys::Reflect::get(&result, &JsValue::from_str("value"))
                    .ok()
                    .and_then(|v| v.dyn_into::<js_sys::ArrayBuffer>().ok());
                if let Some(buffer) = value {
                    out[i] = Some(Uint8Array::new(&buffer).to_vec());
                }
            }
        }
        out
    }

    /// Sends `parts` to the page as a `Blob` download of `format`.
    fn post_blob(seq: u32, format: ExportFormat, events: u64, parts: &Array) {
        let options = BlobPropertyBag::new();
        options.set_type(format.mime());
        let Ok(blob) = Blob::new_with_u8_array_sequence_and_options(parts, &options) else {
            return;
        };
        if let Ok(json) = serde_json::to_string(&FromWorker::Exported {
            seq,
            format,
            events,
        }) {
            let _ = scope().post_message(&Array::of2(&JsValue::from_str(&json), &blob));
        }
    }

    /// The build behind the reports: measured once (the manifest and the binaries fetched
    /// again from the site), then kept for the worker's life.
    async fn build() -> Tool {
        if let Some(tool) = BUILD.with_borrow(Clone::clone) {
            return tool;
        }
        let measured = identity::measure().await;
        for problem in &measured.problems {
            web_sys::console::warn_1(&JsValue::from_str(problem));
        }
        BUILD.with_borrow_mut(|b| b.get_or_insert(measured.tool).clone())
    }

    fn export(seq: u32, format: ExportFormat, tool: &Tool, requirement: Option<&str>) {
        let parts = Array::new();
        let events = LOADED.with_borrow(|l| match format {
            ExportFormat::Csv | ExportFormat::Json => l.engine.export(format, 1 << 20, &mut |s| {
                parts.push(&JsValue::from_str(&s));
            }),
            _ => {
                if let Some(text) =
                    l.engine
                        .audit_report(l.hashes.clone(), format, tool, requirement)
                {
                    parts.push(&JsValue::from_str(&text));
                }
                0
            }
        });
        let options = BlobPropertyBag::new();
        options.set_type(format.mime());
        let Ok(blob) = Blob::new_with_str_sequence_and_options(&parts, &options) else {
            return;
        };
        if let Ok(json) = serde_json::to_string(&FromWorker::Exported {
            seq,
            format,
            events,
        }) {
            let _ = scope().post_message(&Array::of2(&JsValue::from_str(&json), &blob));
        }
    }

    /// Hashes every file; the page gets the results in batches.
    async fn hash_all(job: u32, files: &[File]) {
        let total: u64 = files.iter().map(|f| f.size() as u64).sum();
        let mut done = 0u64;
        let mut throttle = Throttle { last: 0.0 };
        let mut batch = HashBatch::default();
        for (index, file) in files.iter().enumerate() {
            match hash_file(job, &file.name(), file, &mut done, total, &mut throttle).await {
                Ok((size, sha256)) => batch.hashed.push((index, size, sha256)),
                Err(e) => batch
                    .failed
                    .push((index, e.as_string().unwrap_or_else(|| format!("{e:?}")))),
            }
            if throttle.due() {
                batch.send(job);
            }
        }
        batch.send(job);
    }

    /// Hashes one file slice by slice. Each slice is awaited (a promise, not a timer: no
    /// clamping), so the worker returns to its event loop between slices and every wasm call
    /// stays short. Progress is throttled.
    async fn hash_file(
        job: u32,
        name: &str,
        file: &File,
        done: &mut u64,
        total: u64,
        throttle: &mut Throttle,
    ) -> Result<(u64, String), JsValue> {
        let size = file.size() as u64;
        let mut hasher = FileHasher::new();
        let mut offset = 0u64;
        while offset < size {
            let end = (offset + CHUNK).min(size);
            let slice = file.slice_with_f64_and_f64(offset as f64, end as f64)?;
            let buffer = JsFuture::from(slice.array_buffer()).await?;
            let bytes = Uint8Array::new(&buffer).to_vec();
            hasher.update(&bytes);
            offset = end;
            *done += bytes.len() as u64;
            if throttle.due() {
                reply(&FromWorker::Progress {
                    job,
                    phase: Phase::Read,
                    done: *done,
                    total,
                    file: name.to_owned(),
                });
            }
        }
        let digest = hasher.finish();
        Ok((digest.size, digest.sha256_hex()))
    }
}
