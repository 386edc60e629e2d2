//! The engine worker: loads dropped files on its pool of load workers (`bin/loader.rs`),
//! keeps the one event store and answers the page's requests.
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

    use js_sys::{Array, Uint8Array};
    use trailproof_analysis::report::InputFile;
    use trailproof_core::tool::Tool;
    use trailproof_events::ingest::Part;
    use trailproof_web::blob::{inputs, BlobReader};
    use trailproof_web::engine::{read_record, Engine, Input, Join, Progress, Tick, Timings};
    use trailproof_web::fetch::{
        hash_file, js_error, performance_now, prefetch, wasm_memory_mib, Throttle,
    };
    use trailproof_web::identity;
    use trailproof_web::mailbox::{reply, scope, serve, Alongside};
    use trailproof_web::pool::{self, Incoming};
    use trailproof_web::protocol::{AnalysisSettings, ExportFormat, FromWorker, Phase, ToWorker};
    use trailproof_web::run::Run;
    use wasm_bindgen::prelude::*;
    use web_sys::{Blob, BlobPropertyBag, File};

    /// What the worker keeps between requests: the loaded files and the engine over them.
    #[derive(Default)]
    struct Loaded {
        files: Vec<(String, File)>,
        /// Name, size and SHA-256 of each input, for the auditor report.
        hashes: Vec<InputFile>,
        engine: Engine,
    }

    thread_local! {
        /// The load whose files are arriving, and its job.
        static INCOMING: RefCell<Option<(u32, Rc<Incoming>)>> = const { RefCell::new(None) };
        static LOADED: RefCell<Loaded> = RefCell::new(Loaded::default());
        static BUILD: RefCell<Option<Tool>> = const { RefCell::new(None) };
    }

    pub fn start() {
        serve(run);
    }

    async fn run(request: ToWorker, alongside: Alongside) {
        let files = alongside.files();
        match request {
            ToWorker::Hash { job, .. } => {
                hash_all(job, &files).await;
                reply(&FromWorker::Done { job });
            }
            ToWorker::Load { job, paths } => {
                // The load starts on the first files; the rest arrive in `More` messages.
                let incoming = Rc::new(Incoming::new(paths, files));
                INCOMING.set(Some((job, incoming.clone())));
                load(job, &incoming).await;
                INCOMING.set(None);
                reply(&FromWorker::Done { job });
            }
            ToWorker::More { job } => {
                let incoming = INCOMING.with_borrow(|i| {
                    i.as_ref()
                        .filter(|(j, _)| *j == job)
                        .map(|(_, incoming)| incoming.clone())
                });
                if let Some(incoming) = incoming {
                    incoming.push(files);
                }
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
        let mut inputs = inputs(&mut readers);
        f(&mut inputs)
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

    /// What the pool's load workers report, passed on to the page: progress throttled, hash
    /// results in batches, each input's digest kept for the auditor report; and their runs,
    /// joined as they come.
    struct ToPage {
        job: u32,
        total: u64,
        /// When the job started (`performance.now()`), for the rates the page shows.
        started: f64,
        throttle: Throttle,
        batch: HashBatch,
        digests: Vec<Option<(u64, String)>>,
        join: Join,
    }

    impl pool::Listener for ToPage {
        fn progress(&mut self, t: Tick<'_>) {
            if self.throttle.due() {
                reply(&FromWorker::Progress {
                    job: self.job,
                    phase: t.phase,
                    // No total while files are still arriving: the bytes done so far.
                    done: if self.total == 0 {
                        t.done
                    } else {
                        t.done.min(self.total)
                    },
                    total: self.total,
                    events: t.events,
                    ms: performance_now() - self.started,
                    file: t.file.to_owned(),
                });
            }
        }

        fn hashes(&mut self, hashed: Vec<(usize, u64, String)>, failed: Vec<(usize, String)>) {
            for (index, size, sha256) in &hashed {
                if let Some(d) = self.digests.get_mut(*index) {
                    *d = Some((*size, sha256.clone()));
                }
            }
            self.batch.hashed.extend(hashed);
            self.batch.failed.extend(failed);
            self.batch.send(self.job);
        }

        fn run(&mut self, run: Run) {
            self.join.add(run, &performance_now);
        }

        fn part(&mut self, part: Part) {
            self.join.add_part(part, &performance_now);
        }

        fn inputs_in(&mut self, bytes: u64) {
            self.total = bytes;
            self.join.expect(bytes);
        }
    }

    /// [`ToPage`] shared with a load's progress callback, borrowed per call.
    struct Shared(Rc<RefCell<ToPage>>);

    impl pool::Listener for Shared {
        fn progress(&mut self, tick: Tick<'_>) {
            self.0.borrow_mut().progress(tick)
        }

        fn hashes(&mut self, hashed: Vec<(usize, u64, String)>, failed: Vec<(usize, String)>) {
            self.0.borrow_mut().hashes(hashed, failed)
        }

        fn run(&mut self, run: Run) {
            self.0.borrow_mut().run(run)
        }

        fn part(&mut self, part: Part) {
            self.0.borrow_mut().part(part)
        }

        fn inputs_in(&mut self, bytes: u64) {
            self.0.borrow_mut().inputs_in(bytes)
        }
    }

    /// Hashes, verifies and indexes the inputs on the pool of load workers (each hashes, reads
    /// ahead and loads the runs of inputs it is handed), finishes the load here, then analyses.
    async fn load(job: u32, incoming: &Incoming) {
        let clock = performance_now;
        let mut timings = Timings::new(&clock);
        let to_page = Rc::new(RefCell::new(ToPage {
            job,
            // Told by `inputs_in` once every file is in.
            total: 0,
            started: clock(),
            throttle: Throttle::default(),
            batch: HashBatch::default(),
            digests: vec![None; incoming.expected()],
            join: Join::new(),
        }));
        let t0 = clock();
        let mut costs = pool::PoolCosts::default();
        let workers = pool::pool_size();
        let planned = pool::cut(incoming, workers);
        // (A zip cut into ranges is at least two runs.)
        let alone = planned.as_ref().is_some_and(|runs| runs.len() <= 1);
        let loaded = if alone {
            // One run (one input, a small zip say; the first message carries it): loaded
            // here, as a pool would add only a worker's start and the part's trip.
            pool::Listener::inputs_in(
                &mut *to_page.borrow_mut(),
                incoming.bytes(0..incoming.expected()),
            );
            (costs.runs, costs.workers) = (1, 1);
            let sink = to_page.clone();
            let progress: Progress = Rc::new(RefCell::new(move |t: Tick<'_>| {
                pool::Listener::progress(&mut *sink.borrow_mut(), t);
            }));
            let to_join = to_page.clone();
            let parts =
                Box::new(move |part| pool::Listener::part(&mut *to_join.borrow_mut(), part));
            pool::load_here(&incoming.named(), None, progress, parts)
                .await
                .map(|(run, hashed, failed)| {
                    let mut page = to_page.borrow_mut();
                    pool::Listener::hashes(&mut *page, hashed, failed);
                    pool::Listener::run(&mut *page, run);
                })
        } else {
            let mut listener = Shared(to_page.clone());
            pool::load(incoming, planned, workers, &mut listener, &mut costs).await
        };
        let named = incoming.named();
        timings.add(
            &format!(
                "load workers: hash, read, scan, ingest ({} runs on {} workers, wall)",
                costs.runs, costs.workers
            ),
            clock() - t0,
        );
        timings.add(
            "  encode parts (in the load workers, summed)",
            costs.encode_ms,
        );
        // WebAssembly memory, in MiB: never shrinking, so each figure is the peak so far.
        let mut memory = vec![("largest load worker".to_owned(), costs.memory_mib)];
        if costs.together_mib > 0.0 {
            memory.push((
                "engine and load workers together while loading".to_owned(),
                costs.together_mib,
            ));
        }
        if let Err(message) = loaded {
            reply(&FromWorker::Fatal { message });
            return;
        }
        let total = to_page.borrow().total;
        let join = std::mem::take(&mut to_page.borrow_mut().join);
        let (engine, summary) = {
            let t0 = clock();
            let mut inner = Timings::new(&clock);
            let loaded = join.finish(&mut inner);
            timings.add("finish the load (below)", clock() - t0);
            timings.phases.extend(
                inner
                    .phases
                    .into_iter()
                    .map(|(n, ms)| (format!("  {n}"), ms)),
            );
            loaded
        };
        let (mut batch, digests) = {
            let mut page = to_page.borrow_mut();
            (
                std::mem::take(&mut page.batch),
                std::mem::take(&mut page.digests),
            )
        };
        batch.send(job);
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
        memory.push(("engine worker after the load".into(), wasm_memory_mib()));
        reply(&FromWorker::Timings {
            job,
            phases: timings.phases.clone(),
            memory: memory.clone(),
        });

        // The analysis runs after the summary is shown, with its own progress phase; the raw
        // records it needs are read again from the inputs that hold them, read ahead here
        // (64 in flight) as the load workers read theirs.
        reply(&FromWorker::Progress {
            job,
            phase: Phase::Analyze,
            done: total,
            total,
            events: 0,
            ms: 0.0,
            file: String::new(),
        });
        let t0 = clock();
        let mut engine = engine;
        let settings = AnalysisSettings::default();
        let names: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
        let reads = engine.analysis_reads(&settings, &names);
        let wanted: Vec<(String, File)> = named
            .iter()
            .zip(&reads)
            .filter(|(_, &r)| r)
            .map(|(f, _)| f.clone())
            .collect();
        let mut ahead = prefetch(&wanted).await.into_iter();
        timings.add("analysis: read its inputs ahead", clock() - t0);
        let t0 = clock();
        let mut readers = Vec::with_capacity(named.len());
        for ((name, file), read) in named.iter().zip(&reads) {
            let bytes = if *read { ahead.next().flatten() } else { None };
            let reader = match bytes {
                Some(bytes) => BlobReader::preloaded(file.clone().into(), bytes),
                None => BlobReader::new(file.clone().into()),
            };
            if let Ok(reader) = reader {
                readers.push((name.clone(), reader));
            }
        }
        let result = {
            let mut inputs = inputs(&mut readers);
            engine.reanalyze(&settings, &mut inputs)
        };
        drop(readers);
        timings.add("analysis (after the summary)", clock() - t0);
        memory.push(("engine worker after the analysis".into(), wasm_memory_mib()));
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
            memory,
        });
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
        let started = performance_now();
        let total: u64 = files.iter().map(|f| f.size() as u64).sum();
        let mut done = 0u64;
        let mut throttle = Throttle::default();
        let mut batch = HashBatch::default();
        for (index, file) in files.iter().enumerate() {
            let name = file.name();
            let mut on_bytes = |n: u64| {
                done += n;
                if throttle.due() {
                    reply(&FromWorker::Progress {
                        job,
                        phase: Phase::Read,
                        done,
                        total,
                        events: 0,
                        ms: performance_now() - started,
                        file: name.clone(),
                    });
                }
            };
            match hash_file(file, &mut on_bytes).await {
                Ok((size, sha256)) => batch.hashed.push((index, size, sha256)),
                Err(e) => batch.failed.push((index, js_error(&e))),
            }
            if throttle.due() {
                batch.send(job);
            }
        }
        batch.send(job);
    }
}
