//! Reading dropped `File`s inside a worker, shared by the engine worker and the load workers:
//! small files read ahead many at a time, big ones hashed in awaited slices, and a throttle for
//! progress messages.

use std::cell::RefCell;

use js_sys::{Array, ArrayBuffer, Promise, Reflect, Uint8Array};
use trailproof_core::hash::{FileDigest, FileHasher};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, ReadableStreamByobReader};

use crate::protocol::CHUNK;
use crate::subtle::Subtle;

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

/// Total bytes of small inputs [`prefetch`] reads ahead; a larger set reads the rest
/// synchronously while it loads (memory stays bounded). (A load worker reads ahead by
/// batches, [`crate::run::BATCH_BYTES`].)
pub const PREFETCH_BUDGET: u64 = 256 << 20;
/// Files read in one composite read by [`prefetch`].
const PREFETCH_FILES: usize = 512;
/// Composite reads [`prefetch`] keeps in flight (6,049 small files in reads of 512: one in
/// flight 1.5–1.8 s, four 0.6–0.8 s, in Chromium on the 2-core machine).
const PREFETCH_READS: usize = 4;

/// Reads every input that fits in one slice ([`CHUNK`]) ahead, [`PREFETCH_FILES`] at a time
/// in one composite read each ([`Reads`]), [`PREFETCH_READS`] reads in flight. A read that
/// fails is left to the load, which reads each of its files again and reports the one that
/// fails.
pub async fn prefetch(files: &[(String, File)]) -> Vec<Option<Uint8Array>> {
    let mut out: Vec<Option<Uint8Array>> = vec![None; files.len()];
    let mut budget = PREFETCH_BUDGET;
    let mut wanted = Vec::new();
    for (index, (_, file)) in files.iter().enumerate() {
        let size = file.size() as u64;
        if size <= CHUNK && size <= budget {
            budget -= size;
            wanted.push(index);
        }
    }
    let mut chunks = wanted.chunks(PREFETCH_FILES);
    let mut flying: std::collections::VecDeque<Reads> = chunks
        .by_ref()
        .take(PREFETCH_READS)
        .map(|c| Reads::start(files, c.to_vec()))
        .collect();
    while let Some(reads) = flying.pop_front() {
        if let Some(c) = chunks.next() {
            flying.push_back(Reads::start(files, c.to_vec()));
        }
        // The engine keeps these views until the load reads them: no buffer comes back.
        let (read, _kept) = reads.settle(None).await;
        for (index, bytes, _) in read {
            out[index] = Some(bytes);
        }
    }
    out
}

/// The read of a batch of small files, started at once and settled later: a load worker
/// starts the next batch's read before it loads the current batch. The batch is read as one
/// `Blob` made of its files, in one read: a read per file cost a round trip each (0.26 ms per
/// file for 6,049 small files read 64 at a time, against 0.10–0.13 ms per file in composite
/// reads of 512, measured in Chromium on the 2-core machine).
///
/// Where the browser's `Blob` streams are byte streams, the read goes into a buffer of an
/// earlier batch handed back by [`Recycle::done`] (a BYOB reader), not into a new one: a
/// load worker then holds two buffers however many batches it reads, where each batch's
/// `arrayBuffer()` used to leave one more for the collector to find (up to ≈ 100 MB of
/// garbage per load worker at 5 M events). Elsewhere it is the `Blob`'s `arrayBuffer()`.
pub struct Reads {
    /// Indexes of the files read, in the caller's list, and their sizes.
    files: Vec<(usize, u64)>,
    /// Their sizes summed: the bytes the read must give.
    total: u64,
    /// The read of all of them, if it could start: their bytes, a `Uint8Array`.
    read: Option<Promise>,
}

/// Buffers handed back for reuse (a worker's own): batches read and walked ([`Recycle`]),
/// parts the engine worker has copied (`bin/loader.rs`). At most two are kept: a load worker
/// reads one batch while it loads the one before, and sends one part while it makes the next.
pub struct Spares(RefCell<Vec<ArrayBuffer>>);

impl Spares {
    /// None yet.
    pub const fn new() -> Spares {
        Spares(RefCell::new(Vec::new()))
    }

    /// A buffer of at least `len` bytes handed back earlier, if there is one.
    pub fn take(&self, len: u32) -> Option<ArrayBuffer> {
        let mut spare = self.0.borrow_mut();
        let fits = spare.iter().position(|b| b.byte_length() >= len)?;
        Some(spare.swap_remove(fits))
    }

    /// Keeps `buffer` for a later [`Spares::take`] (unless two are kept already).
    pub fn give(&self, buffer: ArrayBuffer) {
        let mut spare = self.0.borrow_mut();
        if spare.len() < 2 {
            spare.push(buffer);
        }
    }
}

impl Default for Spares {
    fn default() -> Self {
        Spares::new()
    }
}

thread_local! {
    /// Buffers of batches read and done with ([`Recycle::done`]), for the next reads.
    static READ_SPARES: Spares = const { Spares::new() };
}

/// A read buffer's size is rounded up to this, so that batches of slightly different sizes
/// can reuse each other's buffers.
const SPARE_GRAIN: u32 = 1 << 20;

/// The buffer a settled [`Reads`] read into, to hand back once every view of it is done
/// with (its files walked, their digests started).
pub struct Recycle(Option<ArrayBuffer>);

impl Recycle {
    /// Nothing to hand back.
    pub fn none() -> Recycle {
        Recycle(None)
    }

    /// Hands the buffer back for a later read. Every view of it must be done with: the
    /// next read into it detaches them (they read as empty, never as other bytes).
    pub fn done(self) {
        if let Some(buffer) = self.0 {
            READ_SPARES.with(|spares| spares.give(buffer));
        }
    }
}

impl Reads {
    /// Starts reading `files[i]` for each of `indexes`, in one read.
    pub fn start(files: &[(String, File)], indexes: Vec<usize>) -> Reads {
        let parts: Array = indexes
            .iter()
            .map(|&i| JsValue::from(files[i].1.clone()))
            .collect();
        let files: Vec<(usize, u64)> = indexes
            .into_iter()
            .map(|i| (i, files[i].1.size() as u64))
            .collect();
        let total: u64 = files.iter().map(|&(_, size)| size).sum();
        let read = web_sys::Blob::new_with_blob_sequence(&parts)
            .ok()
            .and_then(|blob| read_all(blob, total));
        Reads { files, total, read }
    }

    /// The bytes of every file read, by index; none when the read failed (a file changed or
    /// vanished since it was picked, say), for the load to read each file on its own and
    /// report the one that fails. Each file's bytes are a view of the one read's buffer, in
    /// JavaScript's memory. With `subtle`, each file's SHA-256 is started by the browser on
    /// the bytes as read (the browser copies them as it starts). The buffer comes back as a
    /// [`Recycle`], for the caller to hand back once done with the views.
    pub async fn settle(
        self,
        subtle: Option<&Subtle>,
    ) -> (Vec<(usize, Uint8Array, Option<Promise>)>, Recycle) {
        let failed = || (Vec::new(), Recycle::none());
        let Some(read) = self.read else {
            return failed();
        };
        let Ok(all) = JsFuture::from(read).await else {
            return failed();
        };
        let Ok(all) = all.dyn_into::<Uint8Array>() else {
            return failed();
        };
        if u64::from(all.length()) != self.total {
            return failed();
        }
        let mut at = 0u32;
        let files = self
            .files
            .into_iter()
            .map(|(i, size)| {
                let end = at + size as u32;
                let file = all.subarray(at, end);
                let digest = subtle.and_then(|s| s.sha256_js(&file));
                at = end;
                (i, file, digest)
            })
            .collect();
        (files, Recycle(Some(all.buffer())))
    }
}

/// Reads all `total` bytes of `blob` into a `Uint8Array`: into a spare buffer by a BYOB
/// reader where the browser's `Blob` streams allow one, else by `arrayBuffer()`.
fn read_all(blob: Blob, total: u64) -> Option<Promise> {
    let total = u32::try_from(total).ok()?;
    if total == 0 {
        let empty: JsValue = Uint8Array::new_with_length(0).into();
        return Some(Promise::resolve(&empty));
    }
    let Ok(reader) = ReadableStreamByobReader::new(&blob.stream()) else {
        return Some(wasm_bindgen_futures::future_to_promise(async move {
            let whole = JsFuture::from(blob.array_buffer()).await?;
            Ok(Uint8Array::new(&whole).into())
        }));
    };
    Some(wasm_bindgen_futures::future_to_promise(async move {
        let mut buffer = READ_SPARES
            .with(|spares| spares.take(total))
            .unwrap_or_else(|| ArrayBuffer::new(total.div_ceil(SPARE_GRAIN).max(1) * SPARE_GRAIN));
        let mut at = 0u32;
        while at < total {
            let view = Uint8Array::new_with_byte_offset_and_length(&buffer, at, total - at);
            let result = JsFuture::from(reader.read_with_array_buffer_view(&view)).await?;
            let value = Reflect::get(&result, &JsValue::from_str("value"))?;
            let done = Reflect::get(&result, &JsValue::from_str("done"))?.is_truthy();
            let Ok(value) = value.dyn_into::<Uint8Array>() else {
                return Err(JsValue::from_str("a read gave no bytes"));
            };
            // The read moved the buffer into `value`; it is the same memory, filled further.
            buffer = value.buffer();
            at += value.length();
            if done {
                break;
            }
        }
        reader.release_lock();
        Ok(Uint8Array::new_with_byte_offset_and_length(&buffer, 0, at).into())
    }))
}

/// Hashes one file slice by slice. Each slice is awaited (a promise, not a timer: no
/// clamping), so the worker returns to its event loop between slices and every wasm call
/// stays short; `on_bytes` hears of each slice's length.
pub async fn hash_file(
    file: &File,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<(u64, String), JsValue> {
    let digest = hash_rest(file, FileHasher::new(), 0, on_bytes).await?;
    Ok((digest.size, digest.sha256_hex()))
}

/// Extends `hasher`, which holds the first `from` bytes of `blob`, with the rest of it, slice
/// by slice, each slice awaited (see [`hash_file`]; the collector can then free each slice's
/// buffer before the next is read); `on_bytes` hears of each slice's length.
pub async fn hash_rest(
    blob: &web_sys::Blob,
    mut hasher: FileHasher,
    from: u64,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<FileDigest, JsValue> {
    let size = blob.size() as u64;
    let mut offset = from;
    while offset < size {
        let end = (offset + CHUNK).min(size);
        let slice = blob.slice_with_f64_and_f64(offset as f64, end as f64)?;
        let buffer = JsFuture::from(slice.array_buffer()).await?;
        let bytes = Uint8Array::new(&buffer).to_vec();
        hasher.update(&bytes);
        offset = end;
        on_bytes(bytes.len() as u64);
    }
    Ok(hasher.finish())
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
