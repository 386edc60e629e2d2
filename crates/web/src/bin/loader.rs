//! A load worker of the engine worker's pool: loads the runs of inputs it is handed
//! (`trailproof_web::pool::load_here`, a `run::RunLoader` fed batch by batch) and sends back what the engine needs to finish the load,
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
    use trailproof_events::ingest::Part;
    use trailproof_web::engine::{Progress, Tick};
    use trailproof_web::fetch::{performance_now, wasm_memory_mib, Throttle};
    use trailproof_web::mailbox::{reply, scope, serve};
    use trailproof_web::pool::load_here;
    use trailproof_web::protocol::{FromLoader, ToLoader};
    use wasm_bindgen::prelude::*;
    use web_sys::File;

    pub fn start() {
        serve(run);
    }

    /// Hashes, reads ahead and loads one run; replies `Part` with each part of its events as
    /// they grow, then `Done` with the rest and the deferred entries' bytes, all transferred
    /// (not copied) to the engine worker.
    async fn run(request: ToLoader, files: Vec<File>) {
        let ToLoader {
            run,
            names,
            sharing,
            zip,
        } = request;
        let named: Vec<(String, File)> = names.into_iter().zip(files).collect();
        let mut throttle = Throttle::default();
        let progress: Progress = Rc::new(RefCell::new(move |t: Tick<'_>| {
            if throttle.due() {
                reply(&FromLoader::Progress {
                    run,
                    phase: t.phase,
                    done: t.done,
                    events: t.events,
                    file: t.file.to_owned(),
                });
            }
        }));
        let parts = Box::new(move |part: Part| {
            let t0 = performance_now();
            let bytes = part.encode();
            drop(part);
            let message = FromLoader::Part {
                run,
                encode_ms: performance_now() - t0,
                memory_mib: wasm_memory_mib(),
            };
            post(&message, std::iter::once(bytes));
        });
        let (loaded, hashed, failed) =
            match load_here(&named, u64::from(sharing), zip.as_ref(), progress, parts).await {
                Ok(done) => done,
                Err(message) => {
                    reply(&FromLoader::Fatal { message });
                    return;
                }
            };
        let clock = performance_now;
        let t0 = clock();
        let part = loaded.part.encode();
        let encode_ms = clock() - t0;
        let done = FromLoader::Done {
            run,
            output: Box::new(loaded.output),
            hashed,
            failed,
            encode_ms,
            memory_mib: wasm_memory_mib(),
        };
        post(&done, std::iter::once(part).chain(loaded.deferred));
    }

    /// Posts `message` as `[json, buffers…]`, each buffer a copy of one of `bytes` made in JS
    /// memory and transferred (not copied again) to the engine worker.
    fn post(message: &FromLoader, bytes: impl Iterator<Item = Vec<u8>>) {
        let Ok(json) = serde_json::to_string(message) else {
            return;
        };
        let posted = Array::of1(&JsValue::from_str(&json));
        let transfer = Array::new();
        for bytes in bytes {
            let buffer = Uint8Array::from(bytes.as_slice()).buffer();
            drop(bytes);
            posted.push(&buffer);
            transfer.push(&buffer);
        }
        if scope()
            .post_message_with_transfer(&posted, &transfer)
            .is_err()
        {
            reply(&FromLoader::Fatal {
                message: "a load worker could not send its results".into(),
            });
        }
    }
}
