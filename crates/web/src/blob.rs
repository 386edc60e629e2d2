//! `Read + Seek` over a browser `Blob`, for the worker.
//!
//! Reads go through `FileReaderSync` (available in workers only) one slice at a time, so a
//! multi-gigabyte file is never held whole: zip archives seek to their central directory,
//! gzip streams read forward.

use std::io::{self, Read, Seek, SeekFrom};

use js_sys::Uint8Array;
use web_sys::{Blob, FileReaderSync};

use crate::protocol::CHUNK;

/// A seekable reader over a `Blob`, buffering one slice.
pub struct BlobReader {
    blob: Blob,
    reader: FileReaderSync,
    size: u64,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
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
        })
    }

    /// The blob's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    fn fill(&mut self) -> io::Result<()> {
        let end = (self.pos + CHUNK).min(self.size);
        let slice = self
            .blob
            .slice_with_f64_and_f64(self.pos as f64, end as f64)
            .map_err(|e| io::Error::other(format!("{e:?}")))?;
        let buffer = self
            .reader
            .read_as_array_buffer(&slice)
            .map_err(|e| io::Error::other(format!("{e:?}")))?;
        self.buf = Uint8Array::new(&buffer).to_vec();
        self.buf_start = self.pos;
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
