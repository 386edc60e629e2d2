//! The Web Worker: reads dropped files in `Blob` slices and runs the core library on them.
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
    use js_sys::{Array, Uint8Array};
    use trailproof_core::hash::FileHasher;
    use trailproof_web::protocol::{FromWorker, ToWorker, CHUNK};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

    fn scope() -> DedicatedWorkerGlobalScope {
        js_sys::global().unchecked_into()
    }

    fn reply(message: &FromWorker) {
        // Serialising our own enum cannot fail; a failed post means the page is gone.
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
            ToWorker::Hash { job, paths: _ } => hash_all(job, &files).await,
        }
    }

    async fn hash_all(job: u32, files: &[File]) {
        let total: u64 = files.iter().map(|f| f.size() as u64).sum();
        let mut done = 0u64;
        for (index, file) in files.iter().enumerate() {
            match hash_file(job, file, &mut done, total).await {
                Ok((size, sha256)) => reply(&FromWorker::Hashed {
                    job,
                    index,
                    size,
                    sha256,
                }),
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
        reply(&FromWorker::Done { job });
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
                done: *done,
                total,
            });
        }
        let digest = hasher.finish();
        Ok((digest.size, digest.sha256_hex()))
    }
}
