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

    use js_sys::{Array, ArrayBuffer, Uint8Array};
    use trailproof_events::ingest::Part;
    use trailproof_web::engine::{Progress, Tick};
    use trailproof_web::fetch::{performance_now, wasm_memory_mib, Spares, Throttle};
    use trailproof_web::mailbox::{reply, scope, serve, Alongside};
    use trailproof_web::pool::load_here;
    use trailproof_web::protocol::{FromLoader, ToLoader};
    use wasm_bindgen::prelude::*;
    use web_sys::File;

    thread_local! {
        /// Buffers of parts the engine worker has copied and handed back
        /// ([`ToLoader::Spare`]), for the next parts to be written into.
        static PART_SPARES: Spares = const { Spares::new() };
    }

    pub fn start() {
        serve(handle);
    }

    async fn handle(request: ToLoader, alongside: Alongside) {
        match request {
            ToLoader::Run {
                run: index,
                names,
                zip,
            } => run(index, names, zip, alongside.files()).await,
            ToLoader::Spare => {
                if let Some(buffer) = alongside.buffer() {
                    PART_SPARES.with(|spares| spares.give(buffer));
                }
            }
        }
    }

    /// Hashes, reads ahead and loads one run; replies `Part` with each part of its events as
    /// they grow, then `Done` with the rest and the deferred entries' bytes, all transferred
    /// (not copied) to the engine worker.
    async fn run(
        run: u32,
        names: Vec<String>,
        zip: Option<trailproof_web::run::ZipRange>,
        files: Vec<File>,
    ) {
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
            post(&message, bytes, std::iter::empty());
        });
        let (loaded, hashed, failed) = match load_here(&named, zip.as_ref(), progress, parts).await
        {
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
        post(&done, part, loaded.deferred.into_iter());
    }

    /// Posts `message` as `[json, part, entries…]`: the part written into a spare buffer
    /// when one is big enough (else a new one, with room for a slightly bigger next part),
    /// each entry copied into a buffer of its own (the engine worker keeps those), each a
    /// `Uint8Array` whose buffer is transferred (not copied again) to the engine worker.
    fn post(message: &FromLoader, part: Vec<u8>, entries: impl Iterator<Item = Vec<u8>>) {
        let Ok(json) = serde_json::to_string(message) else {
            return;
        };
        let posted = Array::of1(&JsValue::from_str(&json));
        let transfer = Array::new();
        let len = part.len() as u32;
        let buffer = PART_SPARES
            .with(|spares| spares.take(len))
            .unwrap_or_else(|| ArrayBuffer::new(len.saturating_add(len / 8)));
        let view = Uint8Array::new_with_byte_offset_and_length(&buffer, 0, len);
        view.copy_from(&part);
        drop(part);
        posted.push(&view);
        transfer.push(&buffer);
        for bytes in entries {
            let view = Uint8Array::from(bytes.as_slice());
            drop(bytes);
            transfer.push(&view.buffer());
            posted.push(&view);
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
