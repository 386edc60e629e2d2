//! The hash of a blob's first bytes, fed by the reads a walk makes in whatever order
//! (`blob::BlobReader::hashing`): host-independent, so it is tested natively.

use trailproof_core::hash::FileHasher;

/// The longest gap after the bytes hashed so far that a read beyond it fills at once (a zip
/// entry's data descriptor, which the zip reader skips), rather than leaving everything after
/// it to `BlobReader::finish_digest`'s second read.
const GAP: u64 = 64 << 10;

/// The hash of a blob's first bytes, extended by every slice read that reaches past them from
/// at or before their end; slices further on leave it as it is.
#[derive(Default)]
pub struct Prefix {
    /// The hash of the blob's `0..upto`.
    pub hasher: FileHasher,
    /// Bytes hashed.
    pub upto: u64,
}

impl Prefix {
    /// Takes `bytes`, read at `start`, where they reach past what is hashed.
    pub fn feed(&mut self, start: u64, bytes: &[u8]) {
        let end = start + bytes.len() as u64;
        if start <= self.upto && self.upto < end {
            self.hasher.update(&bytes[(self.upto - start) as usize..]);
            self.upto = end;
        }
    }

    /// The bytes to read first so that a slice read at `start` extends the hash: the gap
    /// since what is hashed, when it is short (`GAP`).
    pub fn gap_before(&self, start: u64) -> Option<(u64, u64)> {
        (self.upto < start && start - self.upto <= GAP).then_some((self.upto, start))
    }
}

#[cfg(test)]
mod tests {
    use super::{Prefix, GAP};
    use trailproof_core::hash::FileHasher;

    /// Reads of `(start, len)` over `data` in the order a walk makes them (gaps filled as
    /// `fill` does), then the rest as `finish_digest` does: the digest of the whole, whatever
    /// the order.
    fn digest_after(data: &[u8], reads: &[(usize, usize)]) -> (u64, [u8; 32]) {
        let mut p = Prefix::default();
        for &(start, len) in reads {
            if let Some((a, b)) = p.gap_before(start as u64) {
                p.feed(a, &data[a as usize..b as usize]);
            }
            p.feed(start as u64, &data[start..(start + len).min(data.len())]);
        }
        let rest = p.upto as usize;
        p.hasher.update(&data[rest..]);
        let upto = p.upto;
        let d = p.hasher.finish();
        (upto, d.sha256)
    }

    #[test]
    fn the_hash_is_of_the_whole_blob_in_any_read_order() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let whole = {
            let mut h = FileHasher::new();
            h.update(&data);
            h.finish().sha256
        };
        let n = data.len();
        // What, the reads `(start, len)`, and how many bytes they hash by themselves.
        type Case<'a> = (&'a str, &'a [(usize, usize)], usize);
        let cases: &[Case] = &[
            (
                "front to back",
                &[(0, 100_000), (100_000, 100_000), (200_000, 100_000)],
                n,
            ),
            // A zip: the central directory at the end first, then the entries in order with a
            // 16-byte data descriptor skipped between them.
            (
                "zip",
                &[
                    (290_000, 10_000),
                    (0, 50_000),
                    (50_016, 60_000),
                    (110_016, 100_000),
                ],
                210_016,
            ),
            (
                "overlapping re-reads",
                &[(0, 10), (5, 20), (0, 40), (30, 1_000)],
                1_030,
            ),
            ("nothing read", &[], 0),
            (
                "a gap too long to fill",
                &[(0, 10), (10 + GAP as usize + 1, 10)],
                10,
            ),
            ("a slice past the end", &[(0, 299_990), (299_990, 100)], n),
        ];
        for &(what, reads, hashed_by_reads) in cases {
            let (upto, digest) = digest_after(&data, reads);
            assert_eq!(digest, whole, "{what}");
            assert_eq!(
                upto as usize, hashed_by_reads,
                "{what}: bytes the reads hashed"
            );
        }
    }
}
