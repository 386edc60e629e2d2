//! Reading dropped `File`s inside a worker, shared by the engine worker and the load workers:
//! small files read ahead many at a time, big ones hashed in awaited slices, and a throttle for
//! progress messages.

use js_sys::{Array, Promise, Uint8Array};
use trailproof_core::hash::FileHasher;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

use crate::protocol::CHUNK;

#[wasm_bindgen]
extern "C" {
    /// The worker's high-resolution clock (milliseconds).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub fn performance_now() -> f64;
}

/// Lets progress through at most every 50 ms: the page re-renders per message, and with
/// thousands of small files a message per file would cost more than the work.
#[derive(Default)]
pub struct Throttle {
    last: f64,
}

impl Throttle {
    /// Whether a message is due now.
    pub fn due(&mut self) -> bool {
        let now = performance_now();
        let due = now - self.last >= 50.0;
        if due {
            self.last = now;
        }
        due
    }
}

/// Total bytes of small inputs read ahead; a larger set reads the rest synchronously while it
/// loads (memory stays bounded).
const PREFETCH_BUDGET: u64 = 256 << 20;
/// Reads in flight at once.
const PREFETCH_WINDOW: usize = 64;

/// Reads every input that fits in one slice ([`CHUNK`]), many at a time: each read of a file
/// costs the browser a round trip of about a millisecond, which concurrent reads overlap (one
/// `FileReaderSync` call per file cannot). A read that fails is left to the load, which
/// reports it. `budget_share` divides the budget between workers reading at once.
pub async fn prefetch(files: &[(String, File)], budget_share: u64) -> Vec<Option<Vec<u8>>> {
    let mut out: Vec<Option<Vec<u8>>> = vec![None; files.len()];
    let mut budget = PREFETCH_BUDGET / budget_share.max(1);
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

/// Hashes one file slice by slice. Each slice is awaited (a promise, not a timer: no
/// clamping), so the worker returns to its event loop between slices and every wasm call
/// stays short; `on_bytes` hears of each slice's length.
pub async fn hash_file(
    file: &File,
    on_bytes: &mut dyn FnMut(u64),
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
        on_bytes(bytes.len() as u64);
    }
    let digest = hasher.finish();
    Ok((digest.size, digest.sha256_hex()))
}

/// A message text for a JavaScript error value.
pub fn js_error(e: &JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// The size of this worker's WebAssembly memory in MiB: what its heap has grown to (it never
/// shrinks), so after a phase it is that phase's peak or more.
pub fn wasm_memory_mib() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| b.byte_length() as f64 / f64::from(1 << 20))
}

/// What a worker's `error` event says: an exception nothing caught inside it, such as the
/// WebAssembly trap of an allocation its memory (at most 4 GiB) cannot grant.
pub fn worker_error(event: &JsValue) -> String {
    let message = js_sys::Reflect::get(event, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "it stopped without saying why".into());
    format!(
        "{message}. If the inputs are large, the tab may have run out of memory (each worker \
         holds at most 4 GiB): load fewer files at once, or use the trailproof CLI"
    )
}
