//! Record files: length-prefixed frames that keep every record's exact bytes.
//!
//! ```text
//! frame = decimal(len(R)) LF R LF        len ≥ 1, canonical decimal, ≤ MAX_RECORD_LEN
//! file  = frame*                          (at least one frame)
//! ```
//!
//! Why not "one record per line": provider exports often hold pretty-printed records, whose
//! bytes contain LF, and re-serialising them to fit on one line would change the bytes that
//! are hashed. A length prefix delimits any byte string, needs no escaping, and lets a
//! verifier hash a record while it streams past without buffering it or parsing JSON. The LF
//! after `R` is not part of the record; it keeps the files readable and makes a wrong length
//! fail at once instead of silently re-framing the rest of the file.

use sha2::{Digest, Sha256};
use trailproof_tlog::Hash;

/// The largest record a frame may hold (1 GiB): far above any audit record, and small enough
/// that a corrupted length cannot make a reader wait for exabytes.
pub const MAX_RECORD_LEN: u64 = 1 << 30;

/// The leaf-type byte of a record leaf (`0x01 ‖ R` is the leaf input).
pub const RECORD_LEAF: u8 = 0x01;
/// The leaf-type byte of a seal leaf (`0x02 ‖ S` is the leaf input).
pub const SEAL_LEAF: u8 = 0x02;

/// Digits in the longest canonical length (`1073741824`).
const MAX_LEN_DIGITS: usize = 10;

/// The RFC 6962 leaf hash of record `R`: SHA-256(0x00 ‖ 0x01 ‖ R).
pub fn record_leaf_hash(record: &[u8]) -> Hash {
    typed_leaf_hash(RECORD_LEAF, record)
}

/// The RFC 6962 leaf hash of seal text `S`: SHA-256(0x00 ‖ 0x02 ‖ S).
pub fn seal_leaf_hash(seal: &[u8]) -> Hash {
    typed_leaf_hash(SEAL_LEAF, seal)
}

fn typed_leaf_hash(kind: u8, bytes: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00, kind]);
    h.update(bytes);
    h.finalize().into()
}

/// Appends one frame holding `record` to `out`.
pub fn write_frame(out: &mut Vec<u8>, record: &[u8]) {
    out.extend_from_slice(record.len().to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(record);
    out.push(b'\n');
}

/// Why a record file is not a sequence of frames.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// A length line is not a canonical decimal (digits only, no leading zero), or is zero.
    BadLength {
        /// Byte offset of the length line.
        offset: u64,
    },
    /// A length exceeds [`MAX_RECORD_LEN`].
    TooLong {
        /// Byte offset of the length line.
        offset: u64,
    },
    /// The byte after a record is not LF: the stated length is wrong.
    MissingTerminator {
        /// Byte offset where LF was expected.
        offset: u64,
    },
    /// The file ends inside a frame.
    Truncated {
        /// The file's length.
        offset: u64,
    },
    /// The file holds no frame.
    Empty,
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::BadLength { offset } => {
                write!(
                    f,
                    "byte {offset}: expected a record length (canonical decimal, not 0)"
                )
            }
            FrameError::TooLong { offset } => {
                write!(
                    f,
                    "byte {offset}: record length above {MAX_RECORD_LEN} bytes"
                )
            }
            FrameError::MissingTerminator { offset } => write!(
                f,
                "byte {offset}: the record does not end where its length says (no LF)"
            ),
            FrameError::Truncated { offset } => {
                write!(f, "the file ends inside a record at byte {offset}")
            }
            FrameError::Empty => write!(f, "the file holds no record"),
        }
    }
}

enum State {
    /// Reading length digits (collected here).
    Len(Vec<u8>),
    /// Inside a record: bytes still to come, and the leaf hasher so far.
    Body(u64, Sha256),
    /// Expecting the LF after a record.
    Terminator,
    /// A framing error was found; the rest is ignored.
    Failed,
}

/// A streaming frame parser: feed chunks of any size, get the leaf hash of every record.
/// Memory is O(1) in the record size; nothing but the hashes is kept.
pub struct FrameHasher {
    state: State,
    offset: u64,
    line_start: u64,
    leaves: Vec<Hash>,
    error: Option<FrameError>,
}

impl Default for FrameHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameHasher {
    /// A parser at the start of a file.
    pub fn new() -> Self {
        FrameHasher {
            state: State::Len(Vec::new()),
            offset: 0,
            line_start: 0,
            leaves: Vec::new(),
            error: None,
        }
    }

    fn fail(&mut self, e: FrameError) {
        self.error = Some(e);
        self.state = State::Failed;
    }

    /// Consumes the next chunk of the file.
    pub fn update(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() {
            match &mut self.state {
                State::Failed => return,
                State::Len(digits) => {
                    let b = chunk[0];
                    chunk = &chunk[1..];
                    self.offset += 1;
                    if b == b'\n' {
                        let at = self.line_start;
                        let parsed = parse_len(digits);
                        match parsed {
                            Err(e) => return self.fail(e.at(at)),
                            Ok(n) => {
                                let mut h = Sha256::new();
                                h.update([0x00, RECORD_LEAF]);
                                self.state = State::Body(n, h);
                            }
                        }
                    } else if b.is_ascii_digit() && digits.len() < MAX_LEN_DIGITS + 1 {
                        digits.push(b);
                    } else {
                        let at = self.line_start;
                        return self.fail(FrameError::BadLength { offset: at });
                    }
                }
                State::Body(left, h) => {
                    let take = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(chunk.len());
                    h.update(&chunk[..take]);
                    chunk = &chunk[take..];
                    self.offset += take as u64;
                    *left -= take as u64;
                    if *left == 0 {
                        let done = std::mem::replace(&mut self.state, State::Terminator);
                        if let State::Body(_, h) = done {
                            self.leaves.push(h.finalize().into());
                        }
                    }
                }
                State::Terminator => {
                    if chunk[0] != b'\n' {
                        let at = self.offset;
                        return self.fail(FrameError::MissingTerminator { offset: at });
                    }
                    chunk = &chunk[1..];
                    self.offset += 1;
                    self.line_start = self.offset;
                    self.state = State::Len(Vec::new());
                }
            }
        }
    }

    /// Ends the file: the leaf hashes of every complete record, and the first framing error.
    pub fn finish(mut self) -> (Vec<Hash>, Option<FrameError>) {
        if self.error.is_none() {
            match &self.state {
                State::Len(d) if d.is_empty() => {
                    if self.leaves.is_empty() {
                        self.error = Some(FrameError::Empty);
                    }
                }
                State::Failed => {}
                _ => {
                    self.error = Some(FrameError::Truncated {
                        offset: self.offset,
                    })
                }
            }
        }
        (self.leaves, self.error)
    }
}

/// A length problem before its offset is known.
enum LenProblem {
    Syntax,
    TooLong,
}

impl LenProblem {
    fn at(self, offset: u64) -> FrameError {
        match self {
            LenProblem::Syntax => FrameError::BadLength { offset },
            LenProblem::TooLong => FrameError::TooLong { offset },
        }
    }
}

fn parse_len(digits: &[u8]) -> Result<u64, LenProblem> {
    // Canonical: non-empty, no leading zero, and never "0" (records are non-empty).
    if digits.is_empty() || digits[0] == b'0' {
        return Err(LenProblem::Syntax);
    }
    if digits.len() > MAX_LEN_DIGITS {
        return Err(LenProblem::TooLong);
    }
    let n = digits
        .iter()
        .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
    if n > MAX_RECORD_LEN {
        return Err(LenProblem::TooLong);
    }
    Ok(n)
}

/// Splits a whole record file into its records (borrowed, exact bytes).
pub fn read_records(file: &[u8]) -> Result<Vec<&[u8]>, FrameError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < file.len() {
        let rest = &file[pos..];
        let nl = rest
            .iter()
            .take(MAX_LEN_DIGITS + 2)
            .position(|&b| b == b'\n');
        let Some(nl) = nl else {
            let all_digits = rest.iter().all(u8::is_ascii_digit);
            return Err(if all_digits && rest.len() <= MAX_LEN_DIGITS {
                FrameError::Truncated {
                    offset: file.len() as u64,
                }
            } else {
                FrameError::BadLength { offset: pos as u64 }
            });
        };
        let digits = &rest[..nl];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(FrameError::BadLength { offset: pos as u64 });
        }
        let len = parse_len(digits).map_err(|e| e.at(pos as u64))?;
        let start = pos + nl + 1;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e < file.len())
            .ok_or(FrameError::Truncated {
                offset: file.len() as u64,
            })?;
        if file[end] != b'\n' {
            return Err(FrameError::MissingTerminator { offset: end as u64 });
        }
        out.push(&file[start..end]);
        pos = end + 1;
    }
    if out.is_empty() {
        return Err(FrameError::Empty);
    }
    Ok(out)
}

/// Presents a records file as the JSON array `[R0,R1,…]`, so the event ingest
/// (`trailproof_events::Ingest::add_file`) can read a sealed archive's records: every record
/// becomes an array element with its exact bytes. Offsets in the events' `RawRef` refer to
/// this array stream; re-read a record with `trailproof_events::ingest::read_raw` over a
/// fresh `JsonArrayReader` of the same file. Framing errors become `InvalidData` read errors.
pub struct JsonArrayReader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    state: ArrayState,
    digits: Vec<u8>,
    records: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    Open,
    Len,
    Body(u64),
    Terminator,
    Closed,
}

impl<R: std::io::Read> JsonArrayReader<R> {
    /// Wraps a reader of a records file.
    pub fn new(inner: R) -> Self {
        JsonArrayReader {
            inner,
            buf: vec![0; 64 * 1024],
            pos: 0,
            end: 0,
            state: ArrayState::Open,
            digits: Vec::new(),
            records: 0,
        }
    }

    /// Makes sure buffered input is available; false at the end of the inner stream.
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.pos < self.end {
            return Ok(true);
        }
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(n) => {
                    self.pos = 0;
                    self.end = n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

fn invalid(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

impl<R: std::io::Read> std::io::Read for JsonArrayReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < out.len() {
            match self.state {
                ArrayState::Closed => break,
                ArrayState::Open => {
                    out[n] = b'[';
                    n += 1;
                    self.state = ArrayState::Len;
                }
                ArrayState::Len => {
                    if !self.fill()? {
                        if !self.digits.is_empty() {
                            return Err(invalid("records file ends inside a length".into()));
                        }
                        out[n] = b']';
                        n += 1;
                        self.state = ArrayState::Closed;
                        continue;
                    }
                    let b = self.buf[self.pos];
                    self.pos += 1;
                    if b == b'\n' {
                        let len = parse_len(&self.digits).map_err(|_| {
                            invalid(format!("bad record length before record {}", self.records))
                        })?;
                        self.digits.clear();
                        if self.records > 0 {
                            out[n] = b',';
                            n += 1;
                        }
                        self.records += 1;
                        self.state = ArrayState::Body(len);
                    } else if b.is_ascii_digit() && self.digits.len() <= MAX_LEN_DIGITS {
                        self.digits.push(b);
                    } else {
                        return Err(invalid(format!(
                            "bad record length before record {}",
                            self.records
                        )));
                    }
                }
                ArrayState::Body(left) => {
                    if !self.fill()? {
                        return Err(invalid("records file ends inside a record".into()));
                    }
                    let take = (self.end - self.pos)
                        .min(out.len() - n)
                        .min(usize::try_from(left).unwrap_or(usize::MAX));
                    out[n..n + take].copy_from_slice(&self.buf[self.pos..self.pos + take]);
                    n += take;
                    self.pos += take;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        ArrayState::Terminator
                    } else {
                        ArrayState::Body(left)
                    };
                }
                ArrayState::Terminator => {
                    if !self.fill()? || self.buf[self.pos] != b'\n' {
                        return Err(invalid(
                            "a record does not end where its length says".into(),
                        ));
                    }
                    self.pos += 1;
                    self.state = ArrayState::Len;
                }
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_all(file: &[u8], chunk: usize) -> (Vec<Hash>, Option<FrameError>) {
        let mut h = FrameHasher::new();
        for c in file.chunks(chunk.max(1)) {
            h.update(c);
        }
        h.finish()
    }

    #[test]
    fn round_trip_any_chunking() {
        let records: [&[u8]; 3] = [b"{\"a\":1}", b"{\n  \"b\": \"x\\ny\"\n}", b"\n"];
        let mut file = Vec::new();
        for r in records {
            write_frame(&mut file, r);
        }
        assert_eq!(read_records(&file).unwrap(), records.to_vec());
        let want: Vec<Hash> = records.iter().map(|r| record_leaf_hash(r)).collect();
        for chunk in [1, 2, 3, 5, 1000] {
            assert_eq!(hash_all(&file, chunk), (want.clone(), None));
        }
    }

    #[test]
    fn json_array_view() {
        use std::io::Read;
        let records: [&[u8]; 3] = [b"{\"a\":1}", b"{\n  \"b\": 2\n}", b"{}"];
        let mut file = Vec::new();
        for r in records {
            write_frame(&mut file, r);
        }
        for chunk in [1usize, 2, 5, 100] {
            let mut r = JsonArrayReader::new(&file[..]);
            let mut out = Vec::new();
            let mut buf = vec![0; chunk];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(out, b"[{\"a\":1},{\n  \"b\": 2\n},{}]");
        }
        let mut out = Vec::new();
        assert!(JsonArrayReader::new(&b"3\nab"[..])
            .read_to_end(&mut out)
            .is_err());
        let mut out = Vec::new();
        JsonArrayReader::new(&b""[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"[]");
    }

    #[test]
    fn malformed_files() {
        let cases: Vec<(&[u8], FrameError)> = vec![
            (b"", FrameError::Empty),
            (b"0\n\n", FrameError::BadLength { offset: 0 }),
            (b"01\nx\n", FrameError::BadLength { offset: 0 }),
            (b"2\nab\nx\n", FrameError::BadLength { offset: 5 }),
            (b"2\nabc\n", FrameError::MissingTerminator { offset: 4 }),
            (b"3\nab", FrameError::Truncated { offset: 4 }),
            (b"2\nab\n1", FrameError::Truncated { offset: 6 }),
            (b"99999999999\nx\n", FrameError::TooLong { offset: 0 }),
            (b"1073741825\nx\n", FrameError::TooLong { offset: 0 }),
            (b"-1\nx\n", FrameError::BadLength { offset: 0 }),
        ];
        for (file, want) in cases {
            assert_eq!(read_records(file).unwrap_err(), want, "{file:?}");
            for chunk in [1, 3, 100] {
                assert_eq!(hash_all(file, chunk).1, Some(want.clone()), "{file:?}");
            }
        }
    }
}
