//! A load worker of the engine worker's pool: loads the runs of inputs it is handed
//! (`trailproof_web::run::load_run`) and sends back what the engine needs to finish the load,
//! its ingest part as bytes.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
fn main() {
    loader::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the load worker runs only in a browser (wasm32)");
}

#[cfg(target_arch = "wasm32")]
mod loader {
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::{Array, Uint8Array};
    use trailproof_web::blob::BlobReader;
    use trailproof_web::engine::{Input, Progress, Timings};
    use trailproof_web::fetch::{hash_file, js_error, performance_now, prefetch, Throttle};
    use trailproof_web::protocol::{FromLoader, Phase, ToLoader, CHUNK};
    use trailproof_web::run::load_run;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

    fn scope() -> DedicatedWorkerGlobalScope {
        js_sys::global().unchecked_into()
    }

    fn reply(message: &FromLoader) {
        // Serialising our own types cannot fail; a failed post means the engine is gone.
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
                .and_then(|s| serde_json::from_str::<ToLoader>(&s).ok());
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

    /// Hashes, reads ahead and loads one run; replies `Done` with the part and the deferred
    /// entries' bytes transferred (not copied) to the engine worker.
    async fn run(request: ToLoader, files: Vec<File>) {
        let ToLoader {
            run,
            names,
            sharing,
        } = request;
        let named: Vec<(String, File)> = names.into_iter().zip(files).collect();
        let mut throttle = Throttle::default();
        let mut hashed = Vec::new();
        let mut failed = Vec::new();
        let mut digested = vec![false; named.len()];
        // Bigger inputs are hashed first in awaited slices, so each wasm call stays short.
        let mut read = 0u64;
        for (index, (name, file)) in named.iter().enumerate() {
            if file.size() as u64 <= CHUNK {
                continue;
            }
            let mut on_bytes = |n: u64| {
                read += n;
                if throttle.due() {
                    reply(&FromLoader::Progress {
                        run,
                        phase: Phase::Read,
                        done: read,
                        file: name.clone(),
                    });
                }
            };
            match hash_file(file, &mut on_bytes).await {
                Ok((size, sha256)) => hashed.push((index, size, sha256)),
                Err(e) => failed.push((index, js_error(&e))),
            }
            digested[index] = true;
        }
        let mut preloaded = prefetch(&named, u64::from(sharing)).await;
        let mut readers = Vec::with_capacity(named.len());
        for (index, (name, file)) in named.iter().enumerate() {
            let reader = match preloaded.get_mut(index).and_then(Option::take) {
                Some(bytes) => BlobReader::preloaded(file.clone().into(), bytes),
                None => BlobReader::new(file.clone().into()).map(BlobReader::hashing),
            };
            match reader {
                Ok(reader) => readers.push((name.clone(), reader)),
                Err(e) => {
                    reply(&FromLoader::Fatal {
                        message: e.to_string(),
                    });
                    return;
                }
            }
        }
        let clock = performance_now;
        let loaded = {
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
            let progress: Progress = Rc::new(RefCell::new(move |phase, done, file: &str| {
                if throttle.due() {
                    reply(&FromLoader::Progress {
                        run,
                        phase,
                        done,
                        file: file.to_owned(),
                    });
                }
            }));
            load_run(&mut inputs, progress, &Timings::new(&clock))
        };
        // Hashes of the small inputs came with the load's own reads.
        for (index, (_, reader)) in readers.iter_mut().enumerate() {
            if digested[index] {
                continue;
            }
            match reader.finish_digest() {
                Ok(d) => hashed.push((index, d.size, d.sha256_hex())),
                Err(e) => failed.push((index, e.to_string())),
            }
        }
        drop(readers);
        let t0 = clock();
        let part = loaded.part.encode();
        let encode_ms = clock() - t0;
        let Ok(json) = serde_json::to_string(&FromLoader::Done {
            run,
            output: Box::new(loaded.output),
            hashed,
            failed,
            encode_ms,
        }) else {
            return;
        };
        let message = Array::of1(&JsValue::from_str(&json));
        let transfer = Array::new();
        for bytes in std::iter::once(part).chain(loaded.deferred) {
            let buffer = Uint8Array::from(bytes.as_slice()).buffer();
            message.push(&buffer);
            transfer.push(&buffer);
        }
        if scope()
            .post_message_with_transfer(&message, &transfer)
            .is_err()
        {
            reply(&FromLoader::Fatal {
                message: "a load worker could not send its results".into(),
            });
        }
    }
}
