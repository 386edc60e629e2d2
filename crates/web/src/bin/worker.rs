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

    use js_sys::{Array, Uint8Array};
    use trailproof_analysis::report::InputFile;
    use trailproof_core::hash::FileHasher;
    use trailproof_core::tool::Tool;
    use trailproof_web::blob::BlobReader;
    use trailproof_web::engine::{read_record, Engine, Input, Progress};
    use trailproof_web::identity;
    use trailproof_web::protocol::{ExportFormat, FromWorker, Phase, ToWorker, CHUNK};
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
                hash_all(job, &files, &[]).await;
                reply(&FromWorker::Done { job });
            }
            ToWorker::Load { job, paths } => {
                let hashes = hash_all(job, &files, &paths).await;
                load(job, paths, files, hashes);
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
            ToWorker::Export { seq, format } => {
                let tool = match format {
                    ExportFormat::ReportHtml | ExportFormat::ReportJson => build().await,
                    // CSV exports carry no build metadata: nothing to measure.
                    _ => Tool::native(identity::VERSION, identity::COMMIT),
                };
                export(seq, format, &tool)
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

    fn load(job: u32, paths: Vec<String>, files: Vec<File>, hashes: Vec<InputFile>) {
        let named: Vec<(String, File)> = paths.into_iter().zip(files).collect();
        let total: u64 = named.iter().map(|(_, f)| f.size() as u64).sum();
        let mut last_post = 0.0;
        let outcome = with_inputs(&named, |inputs| {
            let progress: Progress = Rc::new(RefCell::new(move |phase, done, file: &str| {
                // Throttled: the page re-renders per message.
                let now = js_sys::Date::now();
                if now - last_post > 50.0 {
                    last_post = now;
                    reply(&FromWorker::Progress {
                        job,
                        phase,
                        done,
                        total,
                        file: file.to_owned(),
                    });
                }
            }));
            Ok(Engine::load(inputs, progress))
        });
        match outcome {
            Ok((engine, summary)) => {
                LOADED.with_borrow_mut(|l| {
                    *l = Loaded {
                        files: named,
                        hashes,
                        engine,
                    }
                });
                reply(&FromWorker::Loaded {
                    job,
                    summary: Box::new(summary),
                });
            }
            Err(message) => reply(&FromWorker::Fatal { message }),
        }
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

    fn export(seq: u32, format: ExportFormat, tool: &Tool) {
        let parts = Array::new();
        let events = LOADED.with_borrow(|l| match format {
            ExportFormat::Csv | ExportFormat::Json => l.engine.export(format, 1 << 20, &mut |s| {
                parts.push(&JsValue::from_str(&s));
            }),
            _ => {
                if let Some(text) = l.engine.audit_report(l.hashes.clone(), format, tool) {
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

    /// Hashes every file, reporting each; returns what the auditor report lists.
    async fn hash_all(job: u32, files: &[File], paths: &[String]) -> Vec<InputFile> {
        let total: u64 = files.iter().map(|f| f.size() as u64).sum();
        let mut done = 0u64;
        let mut hashes = Vec::new();
        for (index, file) in files.iter().enumerate() {
            match hash_file(job, file, &mut done, total).await {
                Ok((size, sha256)) => {
                    let name = paths.get(index).cloned().unwrap_or_else(|| file.name());
                    hashes.push(InputFile {
                        name,
                        size,
                        sha256: sha256.clone(),
                    });
                    reply(&FromWorker::Hashed {
                        job,
                        index,
                        size,
                        sha256,
                    });
                }
                Err(e) => {
                    let message = e.as_string().unwrap_or_else(|| format!("{e:?}"));
                    reply(&FromWorker::Failed {
                        job,
                        index,
                        message,
                    });
                }
            }
        }
        hashes
    }

    /// Hashes one file slice by slice. Each slice is awaited, so the worker returns to its event
    /// loop between slices and every wasm call stays short.
    async fn hash_file(
        job: u32,
        file: &File,
        done: &mut u64,
        total: u64,
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
            reply(&FromWorker::Progress {
                job,
                phase: Phase::Read,
                done: *done,
                total,
                file: file.name(),
            });
        }
        let digest = hasher.finish();
        Ok((digest.size, digest.sha256_hex()))
    }
}
