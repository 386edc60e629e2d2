//! Gzip decoding with the two semantics Trailproof needs.
//!
//! * [`inflate_first_member`] — what CloudTrail log validation hashes: the decompressed bytes of
//!   the **first** gzip member only, and whether anything follows it (aws-cli reports trailing
//!   bytes as tampering since May 2026).
//! * [`Inflater`] — a reading decoder for ingest that decodes every member (a concatenation of
//!   gzip members is one valid gzip file), with a size cap and a zip-bomb ratio guard.

use std::io::{self, BufRead, BufReader, Read};

use flate2::bufread::{GzDecoder, MultiGzDecoder};

use crate::diag::Error;
use crate::input::Limits;

/// The first two bytes of every gzip member.
pub const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// What [`inflate_first_member`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirstMember {
    /// Decompressed size of the first member.
    pub inflated: u64,
    /// Stored bytes the first member occupies (header, deflate data and trailer).
    pub stored: u64,
    /// Offset of the first byte after the first member, if any byte follows it.
    pub trailing_at: Option<u64>,
}

/// Counts the bytes read through it, so callers can learn how much stored data was consumed.
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Decompresses the first gzip member of `reader`, passing the output to `sink` in chunks.
///
/// Fails with [`Error::Gzip`] on a corrupt or truncated member and with [`Error::TooLarge`] when
/// the output would exceed `max_out`. Bytes after the first member are not decoded; their
/// presence is reported in [`FirstMember::trailing_at`]. The reader is read to its end.
pub fn inflate_first_member(
    reader: &mut dyn Read,
    max_out: u64,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<FirstMember, Error> {
    let counting = Counting {
        inner: reader,
        count: 0,
    };
    let mut decoder = GzDecoder::new(BufReader::with_capacity(64 * 1024, counting));
    // The output buffer is reused per thread: a fresh zeroed 64 KiB per file cost more than
    // inflating a typical 4 KB CloudTrail log (memset plus page faults, in a profile of
    // `trailproof verify` on 6,000 small files). A nested call (a sink that inflates) finds
    // the buffer borrowed and uses its own.
    let result = OUT_BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            buf.resize(64 * 1024, 0);
            inflate_into(&mut decoder, &mut buf, max_out, sink)
        }
        Err(_) => inflate_into(&mut decoder, &mut vec![0u8; 64 * 1024], max_out, sink),
    });
    let inflated = result?;
    if inflated == 0 && decoder.header().is_none() {
        // An empty input decodes to nothing without error; it is not a gzip member.
        return Err(Error::Gzip {
            message: "empty input".into(),
        });
    }
    let mut rest = decoder.into_inner();
    let buffered = rest.buffer().len() as u64;
    let stored = rest.get_ref().count - buffered;
    // Drain the remainder: any byte here is trailing data.
    let mut trailing = buffered;
    if trailing == 0 {
        trailing = io::copy(&mut rest, &mut io::sink()).map_err(|e| Error::Io {
            message: e.to_string(),
        })?;
    } else {
        rest.consume(buffered as usize);
        io::copy(&mut rest, &mut io::sink()).map_err(|e| Error::Io {
            message: e.to_string(),
        })?;
    }
    Ok(FirstMember {
        inflated,
        stored,
        trailing_at: (trailing > 0).then_some(stored),
    })
}

thread_local! {
    /// Per-thread output buffer of [`inflate_first_member`].
    static OUT_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Inflates everything `decoder` yields through `buf` into `sink`; returns the size.
fn inflate_into<R: BufRead>(
    decoder: &mut GzDecoder<R>,
    buf: &mut [u8],
    max_out: u64,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<u64, Error> {
    let mut inflated = 0u64;
    loop {
        let n = decoder.read(buf).map_err(|e| Error::Gzip {
            message: e.to_string(),
        })?;
        if n == 0 {
            return Ok(inflated);
        }
        inflated += n as u64;
        if inflated > max_out {
            return Err(Error::TooLarge { limit: max_out });
        }
        sink(&buf[..n]);
    }
}

/// A decoder over every gzip member of a stream, guarded against decompression bombs.
///
/// Reading fails with an `io::Error` once the output exceeds [`Limits::max_entry_bytes`] or the
/// ratio of output to consumed input exceeds [`Limits::max_ratio`] (checked only past
/// [`Limits::ratio_floor`] output bytes, so small, highly repetitive files are fine).
/// [`Inflater::tripped`] then tells which limit it was, as a typed [`Error`].
pub struct Inflater<R: Read> {
    decoder: MultiGzDecoder<BufReader<Counting<R>>>,
    produced: u64,
    limits: Limits,
    tripped: Option<Error>,
}

impl<R: Read> Inflater<R> {
    /// Wraps `reader`, which must start with a gzip member.
    pub fn new(reader: R, limits: &Limits) -> Self {
        let counting = Counting {
            inner: reader,
            count: 0,
        };
        Self {
            decoder: MultiGzDecoder::new(BufReader::with_capacity(64 * 1024, counting)),
            produced: 0,
            limits: limits.clone(),
            tripped: None,
        }
    }

    /// Stored bytes consumed so far.
    pub fn consumed(&self) -> u64 {
        self.decoder.get_ref().get_ref().count
    }

    /// Decompressed bytes produced so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// The limit that stopped decoding, if one did.
    pub fn tripped(&self) -> Option<&Error> {
        self.tripped.as_ref()
    }
}

impl<R: Read> Read for Inflater<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.tripped {
            return Err(io::Error::other(e.clone()));
        }
        let n = self.decoder.read(buf)?;
        self.produced += n as u64;
        let error = if self.produced > self.limits.max_entry_bytes {
            Some(Error::TooLarge {
                limit: self.limits.max_entry_bytes,
            })
        } else if self.produced > self.limits.ratio_floor
            && self.produced / self.consumed().max(1) > self.limits.max_ratio
        {
            Some(Error::RatioExceeded {
                limit: self.limits.max_ratio,
            })
        } else {
            None
        };
        if let Some(e) = error {
            self.tripped = Some(e.clone());
            return Err(io::Error::other(e));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn first(data: &[u8]) -> (Result<FirstMember, Error>, Vec<u8>) {
        let mut out = Vec::new();
        let r = inflate_first_member(&mut &data[..], u64::MAX, &mut |c| out.extend_from_slice(c));
        (r, out)
    }

    #[test]
    fn single_member_has_no_trailing_data() {
        let stored = gz(b"{\"Records\":[]}");
        let (r, out) = first(&stored);
        let r = r.unwrap();
        assert_eq!(out, b"{\"Records\":[]}");
        assert_eq!(
            r,
            FirstMember {
                inflated: 14,
                stored: stored.len() as u64,
                trailing_at: None
            }
        );
    }

    #[test]
    fn second_member_is_trailing_data_and_not_decoded() {
        let mut stored = gz(b"first");
        let len = stored.len() as u64;
        stored.extend(gz(b"second"));
        let (r, out) = first(&stored);
        assert_eq!(out, b"first");
        assert_eq!(r.unwrap().trailing_at, Some(len));
    }

    #[test]
    fn a_single_trailing_byte_counts() {
        let mut stored = gz(b"x");
        stored.push(0);
        assert!(first(&stored).0.unwrap().trailing_at.is_some());
    }

    #[test]
    fn truncated_member_is_an_error() {
        let stored = gz(&[b'a'; 10_000]);
        let (r, _) = first(&stored[..stored.len() - 5]);
        assert!(matches!(r, Err(Error::Gzip { .. })), "{r:?}");
        assert!(matches!(first(b"").0, Err(Error::Gzip { .. })));
        assert!(matches!(first(b"not gzip").0, Err(Error::Gzip { .. })));
    }

    #[test]
    fn shared_fixture_hashes_as_documented() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/fixtures/111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz"
        );
        let stored = std::fs::read(path).expect("shared fixture present");
        let mut h = crate::hash::FileHasher::new();
        let r = inflate_first_member(&mut &stored[..], u64::MAX, &mut |c| h.update(c)).unwrap();
        assert_eq!(r.trailing_at, None);
        assert_eq!(
            h.finish().sha256_hex(),
            "8e6c4c1d8c5507c1542f4e5554987284ebaf8048f70b0d9061c7a18a630fd8be"
        );
    }

    #[test]
    fn inflater_reads_all_members_and_caps_bombs() {
        let mut stored = gz(b"ab");
        stored.extend(gz(b"cd"));
        let mut out = String::new();
        Inflater::new(&stored[..], &Limits::default())
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "abcd");

        let bomb = gz(&vec![0u8; 8 << 20]);
        let limits = Limits {
            ratio_floor: 1 << 20,
            max_ratio: 100,
            ..Limits::default()
        };
        let mut inf = Inflater::new(&bomb[..], &limits);
        assert!(io::copy(&mut inf, &mut io::sink()).is_err());
        assert_eq!(inf.tripped(), Some(&Error::RatioExceeded { limit: 100 }));

        let limits = Limits {
            max_entry_bytes: 1000,
            ..Limits::default()
        };
        let mut inf = Inflater::new(&bomb[..], &limits);
        assert!(io::copy(&mut inf, &mut io::sink()).is_err());
        assert_eq!(inf.tripped(), Some(&Error::TooLarge { limit: 1000 }));
    }
}
