//! Incremental file digests.
//!
//! [`FileHasher`] is fed chunks as they are read — the browser worker hands it `Blob` slices —
//! and yields a [`FileDigest`]: SHA-256 and size. (The MD5 a Huawei CTS digest lists of a
//! trace file is taken by that file's chain scan.)

use sha2::{Digest, Sha256};

/// Size and digests of one byte stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileDigest {
    /// Number of bytes hashed.
    pub size: u64,
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
}

impl FileDigest {
    /// SHA-256 as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// Computes a [`FileDigest`] over bytes supplied in any number of chunks.
#[derive(Clone, Default)]
pub struct FileHasher {
    size: u64,
    sha256: Sha256,
}

impl FileHasher {
    /// A hasher that has seen no bytes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk.
    pub fn update(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        // Per 64 KiB slice: in a browser the compression function is then called often enough
        // to be optimised early (V8 keeps a wasm function in its baseline tier until a later
        // call, so one call over a 4 MiB slice ran several times slower on a fresh worker).
        for slice in chunk.chunks(64 << 10) {
            self.sha256.update(slice);
        }
    }

    /// Bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digest of everything fed.
    pub fn finish(self) -> FileDigest {
        FileDigest {
            size: self.size,
            sha256: self.sha256.finalize().into(),
        }
    }
}

/// SHA-256 of `bytes` in one call, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from aws-cli's functional tests (formats reference §1.6) and FIPS 180-2.
    const VECTORS: &[(&[u8], &str)] = &[
        (
            b"",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            b"abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            b"{}",
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        ),
        (
            br#"{"foo":"bar"}"#,
            "7a38bf81f383f69433ad6e900d35b3e2385593f76a7b7ab5d4355b8ba41ee24b",
        ),
        (
            br#"{"baz":"qux"}"#,
            "5b1070294963f40cb5b3c7a05d3fbaf7ffe4e5d226632026e39cfeb32d349c0c",
        ),
    ];

    #[test]
    fn known_vectors_in_one_chunk_and_byte_by_byte() {
        for (input, want) in VECTORS {
            assert_eq!(sha256_hex(input), *want);
            let mut h = FileHasher::new();
            for b in input.iter() {
                h.update(std::slice::from_ref(b));
            }
            let d = h.finish();
            assert_eq!(d.sha256_hex(), *want);
            assert_eq!(d.size, input.len() as u64);
        }
    }
}
