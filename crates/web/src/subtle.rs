//! SHA-256 by the browser: `crypto.subtle.digest`, the platform's own code (SHA extensions
//! where the processor has them), against the `sha2` crate's portable code in wasm (470–490
//! MB/s in Chromium on the 2-core machine). A load worker hands it the decoded bytes of every
//! held gzip CloudTrail log ([`LogDigests`], through [`crate::run::RunLoader::hashing`]) and
//! the stored bytes of every file it read ahead ([`crate::blob::BlobReader::hashed_by`]); the
//! digests are promises, taken after the batch, so the worker goes on ingesting meanwhile (in
//! the 5 M-event load it waited 2–6 ms in all for 200 logs' digests).
//!
//! `crypto.subtle` exists only in secure contexts (`https:`, `localhost`, `127.0.0.1`): a site
//! served over plain `http:` from another host has none ([`Subtle::get`] is `None`) and hashes
//! everything in wasm as before. The results are the same either way (`tests/wasm.rs`).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Reflect, Uint8Array};
use trailproof_load::LogHasher;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::SubtleCrypto;

/// The browser's `crypto.subtle`, for SHA-256.
#[derive(Clone)]
pub struct Subtle(SubtleCrypto);

impl Subtle {
    /// This context's `crypto.subtle` (a page's or a worker's), if it has one.
    pub fn get() -> Option<Subtle> {
        let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
        if crypto.is_undefined() || crypto.is_null() {
            return None;
        }
        let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
        if subtle.is_undefined() || subtle.is_null() {
            return None;
        }
        Some(Subtle(subtle.unchecked_into()))
    }

    /// Starts the SHA-256 of `bytes` (copied by the browser before this returns, as the Web
    /// Crypto API specifies); `None` if it could not start.
    pub fn sha256(&self, bytes: &[u8]) -> Option<Promise> {
        self.0.digest_with_str_and_u8_array("SHA-256", bytes).ok()
    }

    /// [`Subtle::sha256`] of bytes in JavaScript's memory (a file read ahead).
    pub fn sha256_js(&self, bytes: &Uint8Array) -> Option<Promise> {
        self.0
            .digest_with_str_and_js_u8_array("SHA-256", bytes)
            .ok()
    }
}

/// The digest a started SHA-256 gives, or why there is none.
pub async fn digest(started: Promise) -> Result<[u8; 32], String> {
    let buffer = JsFuture::from(started)
        .await
        .map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))?;
    let bytes = Uint8Array::new(&buffer).to_vec();
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("the browser's SHA-256 gave {} bytes", bytes.len()))
}

/// Decoded bytes whose digests may be under way at once (the browser holds a copy of each
/// until its digest is done); past it, until the next [`Digests::settle`], logs are hashed
/// in wasm. Digests finish far faster than logs are ingested, so in practice only a batch's
/// last few are still running when it is settled.
const MAX_PENDING_BYTES: u64 = 512 << 20;

#[derive(Default)]
struct Pending {
    next: u64,
    started: Vec<(u64, Promise)>,
    bytes: u64,
}

/// The browser's SHA-256 for a run's decoded logs: the [`LogHasher`] a
/// [`crate::run::RunLoader`] offers them to, and the handle its host settles them with.
pub struct LogDigests {
    subtle: Subtle,
    pending: Rc<RefCell<Pending>>,
}

/// The digests a [`LogDigests`] started, taken after each batch.
#[derive(Clone)]
pub struct Digests(Rc<RefCell<Pending>>);

impl LogDigests {
    /// The hasher over `subtle` and its handle.
    pub fn new(subtle: Subtle) -> (LogDigests, Digests) {
        let pending = Rc::new(RefCell::new(Pending::default()));
        let handle = Digests(pending.clone());
        (LogDigests { subtle, pending }, handle)
    }
}

impl LogHasher for LogDigests {
    fn take(&mut self, decoded: &[u8]) -> Option<u64> {
        let mut pending = self.pending.borrow_mut();
        let bytes = pending.bytes.saturating_add(decoded.len() as u64);
        if bytes > MAX_PENDING_BYTES {
            return None;
        }
        let started = self.subtle.sha256(decoded)?;
        pending.next += 1;
        let ticket = pending.next;
        pending.bytes = bytes;
        pending.started.push((ticket, started));
        Some(ticket)
    }
}

impl Digests {
    /// Decoded bytes of the digests started since the last [`Digests::settle`]: the browser
    /// holds a copy of each until its digest is done.
    pub fn pending_bytes(&self) -> u64 {
        self.0.borrow().bytes
    }

    /// Every digest started since the last call, by ticket, each awaited.
    pub async fn settle(&self) -> Vec<(u64, Result<[u8; 32], String>)> {
        let started = {
            let mut pending = self.0.borrow_mut();
            pending.bytes = 0;
            std::mem::take(&mut pending.started)
        };
        let mut given = Vec::with_capacity(started.len());
        for (ticket, promise) in started {
            given.push((ticket, digest(promise).await));
        }
        given
    }
}
