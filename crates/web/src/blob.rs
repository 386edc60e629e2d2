//! `Read + Seek` over a browser `Blob`, for the worker.
//!
//! Reads go through `FileReaderSync` (available in workers only) one slice at a time, so a
//! multi-gigabyte file is never held whole: zip archives seek to their central directory,
//! gzip streams read forward.

use std::io::{self, Read, Seek, SeekFrom};

use js_sys::{Promise, Uint8Array};
use trailproof_core::hash::{FileDigest, FileHasher};
use trailproof_core::input::ReadSeek;
use web_sys::{Blob, FileReaderSync};

use crate::engine::Input;
use crate::prefix::Prefix;
use crate::protocol::CHUNK;

/// A seekable reader over a `Blob`, buffering one slice.
pub struct BlobReader {
    blob: Blob,
    reader: FileReaderSync,
    size: u64,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
    /// With [`BlobReader::hashing`]: the hash of the blob so far.
    hasher: Option<Prefix>,
    digest: Option<FileDigest>,
    /// With [`BlobReader::hashed_by`]: the browser's SHA-256 of the bytes, under way.
    pending: Option<Promise>,
    /// With [`BlobReader::preloaded`]: every byte of the blob, in JavaScript's memory, copied
    /// into `buf` when read and let go of there once read to the end.
    held: Option<Uint8Array>,
}

impl BlobReader {
    /// Wraps `blob`. Fails outside a worker, where `FileReaderSync` does not exist.
    pub fn new(blob: Blob) -> io::Result<BlobReader> {
        let reader = FileReaderSync::new().map_err(|e| io::Error::other(format!("{e:?}")))?;
        let size = blob.size() as u64;
        Ok(BlobReader {
            blob,
            reader,
            size,
            pos: 0,
            buf: Vec::new(),
            buf_start: 0,
            hasher: None,
            digest: None,
            pending: None,
            held: None,
        })
    }

    /// A reader over bytes already read from `blob` (all of it): the worker reads many small
    /// files concurrently (async, overlapping the browser's per-file latency) before the
    /// synchronous load. The bytes stay in JavaScript's memory until the walk reads them, and
    /// wasm's copy goes once they are read to the end, so a batch read ahead is never all in
    /// wasm's memory at once (which never shrinks). Not hashed: see
    /// [`BlobReader::hashed_by`].
    pub fn preloaded(blob: Blob, bytes: Uint8Array) -> io::Result<BlobReader> {
        let mut reader = BlobReader::new(blob)?;
        reader.size = u64::from(bytes.length());
        reader.held = Some(bytes);
        Ok(reader)
    }

    /// A [`BlobReader::preloaded`] reader hashed by `digest`, the browser's SHA-256 of its
    /// bytes already under way ([`crate::subtle::Subtle::sha256_js`]), or here and now
    /// (`None`).
    pub fn hashed_by(mut self, digest: Option<Promise>) -> BlobReader {
        match digest {
            Some(digest) => self.pending = Some(digest),
            None => self.digest = Some(self.hash_held()),
        }
        self
    }

    /// The digest of a preloaded reader's bytes, computed here.
    fn hash_held(&self) -> FileDigest {
        let mut hasher = FileHasher::new();
        if let Some(held) = &self.held {
            hasher.update(&held.to_vec());
        }
        hasher.finish()
    }

    /// Hashes the blob from the reads that load it: every slice read from the start onwards
    /// extends the hash, so an input the walk reads front to back (a plain or gzip file, a
    /// tarball, a zip's entries in order) is read once for hashing, verifying and indexing.
    /// [`BlobReader::finish_digest`] reads what the walk left out (a zip's central directory,
    /// entries read out of order). Before, a big input was hashed in a read of its own first:
    /// a third of the time on a 4.4 GiB zip, and a third of the slices the collector must
    /// free.
    pub fn hashing(mut self) -> BlobReader {
        self.hasher = Some(Prefix::default());
        self
    }

    /// The blob's digest, once every byte of it went through the hash.
    pub fn digest(&self) -> Option<&FileDigest> {
        self.digest.as_ref()
    }

    /// Hashes the rest of the blob now, after what the reads so far hashed, slice by slice,
    /// each slice awaited ([`crate::fetch::hash_rest`]): the worker returns to its event loop
    /// between slices, so the collector can free each slice's buffer before the next (the
    /// range of a split zip that hashes it reads the other ranges' bytes here: 3.85 GB of a
    /// 4.4 GiB zip in one synchronous loop of reads took the renderer's peak from 2.2 to 4.0
    /// GiB).
    pub async fn finish_digest(&mut self) -> io::Result<FileDigest> {
        if let Some(d) = &self.digest {
            return Ok(*d);
        }
        if let Some(pending) = self.pending.take() {
            // A preloaded reader holds every byte: hashed here if the browser's digest failed.
            let digest = match crate::subtle::digest(pending).await {
                Ok(sha256) => FileDigest {
                    size: self.size,
                    sha256,
                },
                Err(_) => self.hash_held(),
            };
            self.digest = Some(digest);
            return Ok(digest);
        }
        let Prefix { hasher, upto } = self.hasher.take().unwrap_or_default();
        let digest = crate::fetch::hash_rest(&self.blob, hasher, upto, &mut |_| {})
            .await
            .map_err(|e| io::Error::other(format!("{e:?}")))?;
        self.digest = Some(digest);
        Ok(digest)
    }

    /// The digest, once the hash covers every byte.
    fn finish_when_whole(&mut self) {
        if self.hasher.as_ref().is_some_and(|p| p.upto >= self.size) {
            self.digest = self.hasher.take().map(|p| p.hasher.finish());
        }
    }

    fn read_slice(&self, start: u64, end: u64) -> io::Result<Vec<u8>> {
        let slice = self
            .blob
            .slice_with_f64_and_f64(start as f64, end as f64)
            .map_err(|e| io::Error::other(format!("{e:?}")))?;
        let buffer = self
            .reader
            .read_as_array_buffer(&slice)
            .map_err(|e| io::Error::other(format!("{e:?}")))?;
        Ok(Uint8Array::new(&buffer).to_vec())
    }

    /// The blob's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    fn fill(&mut self) -> io::Result<()> {
        if let Some(held) = &self.held {
            self.buf = held.to_vec();
            self.buf_start = 0;
            return Ok(());
        }
        let (start, end) = (self.pos, (self.pos + CHUNK).min(self.size));
        if let Some((from, to)) = self.hasher.as_ref().and_then(|p| p.gap_before(start)) {
            let gap = self.read_slice(from, to)?;
            if let Some(prefix) = &mut self.hasher {
                prefix.feed(from, &gap);
            }
        }
        self.buf = self.read_slice(start, end)?;
        self.buf_start = start;
        if let Some(prefix) = &mut self.hasher {
            prefix.feed(start, &self.buf);
        }
        self.finish_when_whole();
        Ok(())
    }
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || out.is_empty() {
            return Ok(0);
        }
        let in_buffer =
            self.pos >= self.buf_start && self.pos < self.buf_start + self.buf.len() as u64;
        if !in_buffer {
            self.fill()?;
        }
        let at = (self.pos - self.buf_start) as usize;
        let n = out.len().min(self.buf.len() - at);
        out[..n].copy_from_slice(&self.buf[at..at + n]);
        self.pos += n as u64;
        if self.held.is_some() && self.pos >= self.size {
            // Read to the end: copied again from JavaScript's memory if read again.
            self.buf = Vec::new();
        }
        Ok(n)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
        self.pos = target;
        Ok(target)
    }
}

/// The engine's inputs over named readers, each borrowing its reader and opening its `Blob`
/// again on request.
pub fn inputs(readers: &mut [(String, BlobReader)]) -> Vec<Input<'_>> {
    readers
        .iter_mut()
        .map(|(name, reader)| {
            let size = reader.size();
            let blob = reader.blob.clone();
            Input {
                name: name.clone(),
                source: reader,
                size,
                reopen: Box::new(move || {
                    Ok(Box::new(BlobReader::new(blob.clone())?) as Box<dyn ReadSeek>)
                }),
            }
        })
        .collect()
}
