//! The two text formats of `audit-archive/v1`: seals and the manifest, parsed strictly.
//!
//! Both are UTF-8 (in practice ASCII), LF-terminated lines in a fixed order; CR, TAB and other
//! control characters are errors, decimals are canonical, base64 is canonical standard base64
//! of exactly 32 bytes, hex is lowercase. Parsing never normalises: the bytes hashed are the
//! bytes stored, and [`Seal::to_text`] / [`Manifest::to_text`] reproduce them exactly.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use trailproof_tlog::Hash;

/// First line of a seal.
pub const SEAL_HEADER: &str = "audit-archive/v1 seal";
/// First line of a manifest.
pub const MANIFEST_HEADER: &str = "audit-archive/v1 manifest";
/// Largest seal accepted (a real one is under 400 bytes).
pub const MAX_SEAL_LEN: usize = 4096;
/// Longest nonce token.
pub const MAX_NONCE_LEN: usize = 128;

/// Why a seal or manifest is malformed.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextProblem {
    /// Not UTF-8.
    NotUtf8,
    /// A control character other than LF.
    ControlCharacter,
    /// The text does not end with LF.
    Unterminated,
    /// Larger than the format allows.
    TooLarge,
    /// The first line is not the expected header.
    BadHeader,
    /// A line is missing or is not the expected field.
    Expected(&'static str),
    /// A number is not a canonical decimal u64.
    BadNumber,
    /// A hash is not canonical base64 (or lowercase hex) of 32 bytes.
    BadHash,
    /// A path is not `/`-separated segments of `[A-Za-z0-9._-]` (no empty, `.` or `..`).
    BadPath,
    /// A nonce is not 1–128 visible ASCII characters.
    BadNonce,
    /// An origin is empty or contains spaces, `+` or control characters.
    BadOrigin,
    /// A manifest entry does not start where the previous one ended.
    NotContiguous {
        /// The leaf index the entry should start at.
        expected: u64,
        /// The leaf index it states.
        found: u64,
    },
    /// A `file` entry with a leaf count of 0.
    EmptyFile,
    /// A path listed twice.
    DuplicatePath,
    /// A line of a kind this version does not know.
    UnknownLine,
}

/// A malformed seal or manifest: the 1-based line and what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextError {
    /// 1-based line number (0 when the problem is the whole text).
    pub line: usize,
    /// What is wrong.
    pub problem: TextProblem,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.problem {
            TextProblem::NotUtf8 => "not UTF-8".to_string(),
            TextProblem::ControlCharacter => "control character (CR, TAB, …)".to_string(),
            TextProblem::Unterminated => "last line not terminated by LF".to_string(),
            TextProblem::TooLarge => "too large".to_string(),
            TextProblem::BadHeader => "wrong header line".to_string(),
            TextProblem::Expected(field) => format!("expected the `{field}` line"),
            TextProblem::BadNumber => "not a canonical decimal number".to_string(),
            TextProblem::BadHash => "not a canonical 32-byte hash".to_string(),
            TextProblem::BadPath => "not a valid archive path".to_string(),
            TextProblem::BadNonce => "nonce is not 1–128 visible ASCII characters".to_string(),
            TextProblem::BadOrigin => "invalid origin".to_string(),
            TextProblem::NotContiguous { expected, found } => {
                format!("entry starts at leaf {found}, expected {expected}")
            }
            TextProblem::EmptyFile => "a records file with 0 records".to_string(),
            TextProblem::DuplicatePath => "path listed twice".to_string(),
            TextProblem::UnknownLine => "unknown line kind".to_string(),
        };
        if self.line == 0 {
            f.write_str(&what)
        } else {
            write!(f, "line {}: {what}", self.line)
        }
    }
}

fn err(line: usize, problem: TextProblem) -> TextError {
    TextError { line, problem }
}

/// Checks the common text rules and splits into lines (without their LF).
fn lines(bytes: &[u8], max: usize) -> Result<Vec<&str>, TextError> {
    if bytes.len() > max {
        return Err(err(0, TextProblem::TooLarge));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| err(0, TextProblem::NotUtf8))?;
    if let Some(pos) = text
        .bytes()
        .position(|b| b < 0x20 && b != b'\n' || b == 0x7f)
    {
        let line = text[..pos].matches('\n').count() + 1;
        return Err(err(line, TextProblem::ControlCharacter));
    }
    let body = text
        .strip_suffix('\n')
        .ok_or(err(0, TextProblem::Unterminated))?;
    Ok(body.split('\n').collect())
}

/// Parses a canonical decimal u64.
pub(crate) fn decimal(s: &str) -> Option<u64> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

/// Parses canonical standard base64 of exactly 32 bytes.
pub(crate) fn b64_hash(s: &str) -> Option<Hash> {
    STANDARD.decode(s).ok()?.as_slice().try_into().ok()
}

fn hex_hash(s: &str) -> Option<Hash> {
    if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    hex::decode(s).ok()?.as_slice().try_into().ok()
}

/// True for a valid archive path: `/`-separated segments of `[A-Za-z0-9._-]`, none empty,
/// `.` or `..` (so it splits on spaces and cannot climb out of the archive).
pub fn valid_path(p: &str) -> bool {
    !p.is_empty()
        && p.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        })
}

/// True for a valid origin: non-empty, visible ASCII or UTF-8 without spaces, `+` or control
/// characters (it is also the signing key's name).
pub fn valid_origin(o: &str) -> bool {
    !o.is_empty()
        && !o
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// True for a valid nonce token: 1–128 bytes of visible ASCII (0x21–0x7E).
pub fn valid_nonce(n: &str) -> bool {
    !n.is_empty() && n.len() <= MAX_NONCE_LEN && n.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// A seal: the leaf appended after each period's records and at export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seal {
    /// The log's origin.
    pub origin: String,
    /// Sequence number: 0, 1, 2, … without gaps.
    pub seq: u64,
    /// Seal time, POSIX seconds; non-decreasing in `seq`.
    pub time: u64,
    /// SHA-256 of the checkpoint text of seal `seq − 1` (32 zero bytes for seal 0).
    pub prev: Hash,
    /// SHA-256 of the manifest: export seals only.
    pub manifest: Option<Hash>,
    /// The requester's nonce: export seals only, when one was supplied.
    pub nonce: Option<String>,
}

impl Seal {
    /// The seal text (what is stored and hashed under leaf type 0x02).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{SEAL_HEADER}\norigin {}\nseq {}\ntime {}\nprev {}\n",
            self.origin,
            self.seq,
            self.time,
            STANDARD.encode(self.prev)
        );
        if let Some(m) = &self.manifest {
            s.push_str(&format!("manifest {}\n", STANDARD.encode(m)));
        }
        if let Some(n) = &self.nonce {
            s.push_str(&format!("nonce {n}\n"));
        }
        s
    }

    /// Parses seal bytes strictly (fixed line order, no unknown lines).
    pub fn parse(bytes: &[u8]) -> Result<Seal, TextError> {
        let lines = lines(bytes, MAX_SEAL_LEN)?;
        if lines.first() != Some(&SEAL_HEADER) {
            return Err(err(1, TextProblem::BadHeader));
        }
        let field = |i: usize, name: &'static str| -> Result<&str, TextError> {
            lines
                .get(i)
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .ok_or(err(i + 1, TextProblem::Expected(name)))
        };
        let origin = field(1, "origin")?;
        if !valid_origin(origin) {
            return Err(err(2, TextProblem::BadOrigin));
        }
        let seq = decimal(field(2, "seq")?).ok_or(err(3, TextProblem::BadNumber))?;
        let time = decimal(field(3, "time")?)
            .filter(|&t| t <= i64::MAX as u64)
            .ok_or(err(4, TextProblem::BadNumber))?;
        let prev = b64_hash(field(4, "prev")?).ok_or(err(5, TextProblem::BadHash))?;
        let mut i = 5;
        let mut manifest = None;
        if let Some(m) = lines.get(i).and_then(|l| l.strip_prefix("manifest ")) {
            manifest = Some(b64_hash(m).ok_or(err(i + 1, TextProblem::BadHash))?);
            i += 1;
        }
        let mut nonce = None;
        if let Some(n) = lines.get(i).and_then(|l| l.strip_prefix("nonce ")) {
            if manifest.is_none() {
                // A nonce belongs to an export seal, which always has a manifest line.
                return Err(err(i + 1, TextProblem::Expected("manifest")));
            }
            if !valid_nonce(n) {
                return Err(err(i + 1, TextProblem::BadNonce));
            }
            nonce = Some(n.to_owned());
            i += 1;
        }
        if i < lines.len() {
            return Err(err(i + 1, TextProblem::UnknownLine));
        }
        Ok(Seal {
            origin: origin.to_owned(),
            seq,
            time,
            prev,
            manifest,
            nonce,
        })
    }
}

/// One manifest line after the origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A records file holding leaves `first .. first + count`.
    File {
        /// Path inside the archive.
        path: String,
        /// Leaf index of its first record.
        first: u64,
        /// Number of records (≥ 1).
        count: u64,
        /// SHA-256 of the whole file.
        sha256: Hash,
        /// File length in bytes.
        len: u64,
    },
    /// A seal file at leaf `index`.
    Seal {
        /// Leaf index.
        index: u64,
        /// Path inside the archive (`seals/<seq>.seal`).
        path: String,
        /// SHA-256 of the file.
        sha256: Hash,
    },
}

impl Entry {
    /// The entry's path.
    pub fn path(&self) -> &str {
        match self {
            Entry::File { path, .. } | Entry::Seal { path, .. } => path,
        }
    }

    /// The manifest line, without its LF.
    pub fn to_line(&self) -> String {
        match self {
            Entry::File {
                path,
                first,
                count,
                sha256,
                len,
            } => format!("file {path} {first} {count} {} {len}", hex::encode(sha256)),
            Entry::Seal {
                index,
                path,
                sha256,
            } => format!("seal {index} {path} {}", hex::encode(sha256)),
        }
    }

    fn end(&self) -> u64 {
        match self {
            Entry::File { first, count, .. } => first.saturating_add(*count),
            Entry::Seal { index, .. } => index.saturating_add(1),
        }
    }
}

/// The manifest: which file holds which leaves, with hashes for diagnosis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The log's origin.
    pub origin: String,
    /// Entries in leaf order, contiguous from leaf 0 to the leaf before the export seal.
    pub entries: Vec<Entry>,
}

impl Manifest {
    /// The manifest bytes.
    pub fn to_text(&self) -> String {
        let mut s = format!("{MANIFEST_HEADER}\norigin {}\n", self.origin);
        for e in &self.entries {
            s.push_str(&e.to_line());
            s.push('\n');
        }
        s
    }

    /// Leaves covered (the export seal's leaf index).
    pub fn leaves(&self) -> u64 {
        self.entries.last().map_or(0, Entry::end)
    }

    /// Parses manifest bytes strictly: header, origin, then contiguous entries from leaf 0.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, TextError> {
        // A manifest line is under 200 bytes; 1 GiB allows ~5 million files.
        let lines = lines(bytes, 1 << 30)?;
        if lines.first() != Some(&MANIFEST_HEADER) {
            return Err(err(1, TextProblem::BadHeader));
        }
        let origin = lines
            .get(1)
            .and_then(|l| l.strip_prefix("origin "))
            .ok_or(err(2, TextProblem::Expected("origin")))?;
        if !valid_origin(origin) {
            return Err(err(2, TextProblem::BadOrigin));
        }
        let mut entries = Vec::new();
        let mut next = 0u64;
        let mut seen = std::collections::HashSet::new();
        for (i, line) in lines.iter().enumerate().skip(2) {
            let n = i + 1;
            let parts: Vec<&str> = line.split(' ').collect();
            let num = |s: &str| decimal(s).ok_or(err(n, TextProblem::BadNumber));
            let hash = |s: &str| hex_hash(s).ok_or(err(n, TextProblem::BadHash));
            let path = |s: &str| {
                if valid_path(s) {
                    Ok(s.to_owned())
                } else {
                    Err(err(n, TextProblem::BadPath))
                }
            };
            let entry = match parts.as_slice() {
                ["file", p, first, count, sha, len] => {
                    let count = num(count)?;
                    if count == 0 {
                        return Err(err(n, TextProblem::EmptyFile));
                    }
                    Entry::File {
                        path: path(p)?,
                        first: num(first)?,
                        count,
                        sha256: hash(sha)?,
                        len: num(len)?,
                    }
                }
                ["seal", index, p, sha] => Entry::Seal {
                    index: num(index)?,
                    path: path(p)?,
                    sha256: hash(sha)?,
                },
                _ => return Err(err(n, TextProblem::UnknownLine)),
            };
            let start = match &entry {
                Entry::File { first, .. } => *first,
                Entry::Seal { index, .. } => *index,
            };
            if start != next {
                return Err(err(
                    n,
                    TextProblem::NotContiguous {
                        expected: next,
                        found: start,
                    },
                ));
            }
            next = entry.end();
            if next == u64::MAX {
                return Err(err(n, TextProblem::BadNumber));
            }
            if !seen.insert(entry.path().to_owned()) {
                return Err(err(n, TextProblem::DuplicatePath));
            }
            entries.push(entry);
        }
        Ok(Manifest {
            origin: origin.to_owned(),
            entries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_strictness() {
        let s = Seal {
            origin: "example.com/log".into(),
            seq: 3,
            time: 1714525200,
            prev: [7; 32],
            manifest: Some([1; 32]),
            nonce: Some("req-42".into()),
        };
        let text = s.to_text();
        assert_eq!(Seal::parse(text.as_bytes()).unwrap(), s);
        let bad = [
            text.replace("seq 3", "seq 03"),
            text.replace("\n", "\r\n"),
            text.replace("time", "time "),
            text.trim_end().to_string(),
            text.replace("nonce req-42", "nonce req 42"),
            format!("{text}extra line\n"),
            text.replace("audit-archive/v1", "audit-archive/v2"),
        ];
        for b in bad {
            assert!(Seal::parse(b.as_bytes()).is_err(), "{b:?}");
        }
        let periodic = Seal {
            manifest: None,
            nonce: None,
            ..s
        };
        assert_eq!(
            Seal::parse(periodic.to_text().as_bytes()).unwrap(),
            periodic
        );
    }

    #[test]
    fn manifest_round_trip_and_contiguity() {
        let m = Manifest {
            origin: "o".into(),
            entries: vec![
                Entry::File {
                    path: "records/0.rec".into(),
                    first: 0,
                    count: 2,
                    sha256: [3; 32],
                    len: 10,
                },
                Entry::Seal {
                    index: 2,
                    path: "seals/0.seal".into(),
                    sha256: [4; 32],
                },
            ],
        };
        let text = m.to_text();
        assert_eq!(Manifest::parse(text.as_bytes()).unwrap(), m);
        assert_eq!(m.leaves(), 3);
        let gap = text.replace("seal 2 ", "seal 3 ");
        assert_eq!(
            Manifest::parse(gap.as_bytes()).unwrap_err().problem,
            TextProblem::NotContiguous {
                expected: 2,
                found: 3
            }
        );
        for bad in [
            text.replace("records/0.rec", "../0.rec"),
            text.replace("records/0.rec", "records//0.rec"),
            text.replace(" 2 0303", " 0 0303"),
            text.replace("file ", "blob "),
        ] {
            assert!(Manifest::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(valid_path("records/2024-05-01T00.rec"));
        assert!(!valid_path("a b"));
    }
}
