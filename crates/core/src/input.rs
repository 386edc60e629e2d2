//! Walking inputs: plain files and the containers audit exports arrive in.
//!
//! [`walk`] turns one named, seekable source into a stream of [`Entry`]s: the source itself
//! when it is a plain file (a gzip file that is not a tarball counts as plain — consumers decide
//! how to decode it), or the regular files inside a `.zip`, `.tar` or `.tar.gz`/`.tgz`, with
//! archives nested one level deep opened too. Containers are recognised by content, not by name.
//!
//! Hostile archives cannot hurt the caller: entry paths are sanitised (no absolute paths, no
//! `..`), duplicates are renamed, and decompression is capped by [`Limits`]. Every such event
//! becomes a [`Diagnostic`]; the remaining entries are still visited.

use std::collections::HashSet;
use std::io::{self, Cursor, Read, Seek, SeekFrom};

use crate::diag::{Diagnostic, Error, Severity};
use crate::gzip::{self, Inflater};

/// Caps that keep hostile inputs from exhausting memory or time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest decompressed size of any one entry or decoded file, in bytes.
    pub max_entry_bytes: u64,
    /// Largest ratio of decompressed to compressed bytes (zip-bomb guard)…
    pub max_ratio: u64,
    /// …enforced only once this many bytes were produced: small repetitive files compress
    /// far better than any bomb threshold and are harmless.
    pub ratio_floor: u64,
    /// How many archive levels are opened: 1 opens archives inside the given archive, 0 only
    /// the given one.
    pub max_depth: u32,
    /// Most entries visited per archive.
    pub max_entries: u64,
    /// Largest nested zip held in memory to be opened (a zip needs random access).
    pub max_nested_zip: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entry_bytes: 16 << 30,
            max_ratio: 250,
            ratio_floor: 64 << 20,
            max_depth: 1,
            max_entries: 2_000_000,
            max_nested_zip: 1 << 30,
        }
    }
}

/// Whether a visitor wants more entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on with the next entry.
    Continue,
    /// Stop walking (for example: the user cancelled).
    Stop,
}

/// One regular file found in an input.
pub struct Entry<'a> {
    /// Logical path: the source name, then `/` and the path inside each archive.
    pub path: &'a str,
    /// Declared size of the stored bytes, when the container states it.
    pub size: Option<u64>,
    /// The entry's bytes as stored (a `.json.gz` entry yields gzip bytes).
    pub reader: &'a mut dyn Read,
}

/// Anything readable and seekable, such as a file or a browser `Blob` reader.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// The kinds of container [`walk`] opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// A zip archive.
    Zip,
    /// An uncompressed tar archive.
    Tar,
    /// A gzip-compressed tar archive.
    TarGz,
}

const TAR_MAGIC_OFFSET: usize = 257;

/// Recognises a container from the first bytes of a stream (at least 512 for tar).
pub fn sniff(head: &[u8]) -> Option<Container> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Container::Zip)
    } else if head.starts_with(&gzip::MAGIC) {
        // Only a tarball if the decompressed head is a tar header; see `sniff_gzip`.
        None
    } else if is_tar_header(head) {
        Some(Container::Tar)
    } else {
        None
    }
}

/// A tar header block: "ustar" magic (POSIX and GNU), or a valid checksum for old v7 archives.
fn is_tar_header(head: &[u8]) -> bool {
    let Some(block) = head.get(..512) else {
        return false;
    };
    if block[TAR_MAGIC_OFFSET..TAR_MAGIC_OFFSET + 5] == *b"ustar" {
        return true;
    }
    // v7: the checksum field holds the octal sum of the header with the field read as spaces.
    let field = &block[148..156];
    let digits: String = field
        .iter()
        .take_while(|b| (b'0'..=b'7').contains(b))
        .map(|&b| b as char)
        .collect();
    let Ok(stated) = u32::from_str_radix(digits.trim(), 8) else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    block[0] != 0 && stated == sum
}

/// Decompresses the head of a gzip stream to see whether it is a tarball.
fn gzip_is_tar(head: &[u8]) -> bool {
    let mut out = [0u8; 512];
    // bufread over the slice: the read decoder would allocate and zero its own 32 KiB buffer
    // for every gzip file walked.
    let mut dec = flate2::bufread::GzDecoder::new(head);
    let mut filled = 0;
    while filled < out.len() {
        match dec.read(&mut out[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    is_tar_header(&out[..filled])
}

/// Reads up to `n` bytes without failing on a short stream.
fn read_head(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Bytes of a gzip stream read to decide whether it is a tarball. The first tar header sits at
/// the start of the deflate stream; 64 KiB of input covers any realistic gzip header.
const GZIP_PEEK: usize = 64 * 1024;

/// Visits every regular file in `source`, named `name`, and returns the problems found.
///
/// A plain file is visited once, as itself. The visitor may read as much of each entry's
/// reader as it likes; unread bytes are skipped.
pub fn walk(
    name: &str,
    source: &mut dyn ReadSeek,
    limits: &Limits,
    visit: &mut dyn FnMut(Entry<'_>) -> Control,
) -> Vec<Diagnostic> {
    walk_some(name, source, limits, None, visit)
}

/// The stored (compressed) size of each entry the central directory of a zip `source` lists,
/// in its order (directories included, as 0), or `None` when `source` is not a zip that
/// opens: what [`walk_zip_entries`] ranges index, and what hosts balance ranges by. Sizes
/// are as listed: a hostile directory may list more than the file holds. Reads the central
/// directory only.
pub fn zip_entry_sizes(source: &mut dyn ReadSeek) -> Option<Vec<u64>> {
    let head = read_head(source, 4).ok()?;
    if sniff(&head) != Some(Container::Zip) {
        return None;
    }
    source.seek(SeekFrom::Start(0)).ok()?;
    let archive = zip::ZipArchive::new(source).ok()?;
    Some(
        (0..archive.len())
            .map(|i| {
                archive
                    .by_index_data(i)
                    .map_or(0, |entry| entry.compressed_size())
            })
            .collect(),
    )
}

/// [`walk`] of the entries `entries` (indices in the central directory, as
/// [`zip_entry_sizes`] lists them) of the zip `source`: walks over consecutive ranges that
/// cover `0..n` visit, in order, exactly the entries one walk visits, under the same paths
/// (names are placed from the central directory, so a range knows the names before it), and
/// their diagnostics concatenated are that walk's. Hosts walk one zip on several threads or
/// workers this way. A source that is not a zip is walked whole by the range that starts
/// at 0, and not at all by the others.
pub fn walk_zip_entries(
    name: &str,
    source: &mut dyn ReadSeek,
    limits: &Limits,
    entries: std::ops::Range<usize>,
    visit: &mut dyn FnMut(Entry<'_>) -> Control,
) -> Vec<Diagnostic> {
    walk_some(name, source, limits, Some(entries), visit)
}

/// [`walk`], or [`walk_zip_entries`] with `entries`.
fn walk_some(
    name: &str,
    source: &mut dyn ReadSeek,
    limits: &Limits,
    entries: Option<std::ops::Range<usize>>,
    visit: &mut dyn FnMut(Entry<'_>) -> Control,
) -> Vec<Diagnostic> {
    let mut walker = Walker {
        limits,
        visit,
        diags: Vec::new(),
        stopped: false,
        entries,
    };
    walker.source(name, source);
    walker.diags
}

struct Walker<'v> {
    limits: &'v Limits,
    visit: &'v mut dyn FnMut(Entry<'_>) -> Control,
    diags: Vec<Diagnostic>,
    stopped: bool,
    /// The entries of the top-level zip to visit ([`walk_zip_entries`]); taken by the first
    /// zip opened, so archives nested in it are walked whole.
    entries: Option<std::ops::Range<usize>>,
}

impl Walker<'_> {
    fn io_error(&mut self, path: &str, e: io::Error) {
        self.diags.push(Diagnostic::new(
            Severity::Error,
            path,
            Error::Io {
                message: e.to_string(),
            },
        ));
    }

    fn source(&mut self, name: &str, source: &mut dyn ReadSeek) {
        let head = match read_head(source, GZIP_PEEK) {
            Ok(head) => head,
            Err(e) => return self.io_error(name, e),
        };
        let kind = match sniff(&head) {
            None if head.starts_with(&gzip::MAGIC) && gzip_is_tar(&head) => Some(Container::TarGz),
            other => other,
        };
        if head.len() < GZIP_PEEK {
            // The head is the whole source: walk it from memory rather than seek back and read
            // the file again (most CloudTrail files are a few KB; on thousands of them the
            // extra system calls were a tenth of `trailproof verify`'s time).
            return self.dispatch(name, kind, &mut Cursor::new(head));
        }
        if let Err(e) = source.seek(SeekFrom::Start(0)) {
            return self.io_error(name, e);
        }
        self.dispatch(name, kind, source);
    }

    /// Hands a source whose kind is known to the container readers, or to the visitor.
    fn dispatch(&mut self, name: &str, kind: Option<Container>, source: &mut dyn ReadSeek) {
        // A range of entries (`walk_zip_entries`) is for a zip: anything else is walked whole
        // by the range from 0 only.
        if kind != Some(Container::Zip) && self.entries.take().is_some_and(|r| r.start > 0) {
            return;
        }
        match kind {
            Some(Container::Zip) => self.zip(name, source, 0),
            Some(Container::Tar) => self.tar(name, source, 0),
            Some(Container::TarGz) => self.tar_gz(name, source, 0),
            None => {
                let size = source
                    .seek(SeekFrom::End(0))
                    .and_then(|len| source.seek(SeekFrom::Start(0)).map(|_| len));
                self.emit(name, size.ok(), source);
            }
        }
    }

    fn emit(&mut self, path: &str, size: Option<u64>, reader: &mut dyn Read) {
        if (self.visit)(Entry { path, size, reader }) == Control::Stop {
            self.stopped = true;
        }
    }

    /// An entry inside an archive at `depth`: opens it if it is itself an archive and depth
    /// allows, else hands it to the visitor.
    fn entry(&mut self, path: &str, size: Option<u64>, reader: &mut dyn Read, depth: u32) {
        let head = match read_head(reader, 512) {
            Ok(head) => head,
            Err(e) => return self.io_error(path, e),
        };
        let lower = path.to_ascii_lowercase();
        let kind = sniff(&head).or_else(|| {
            let tgz = lower.ends_with(".tgz") || lower.ends_with(".tar.gz");
            (tgz && head.starts_with(&gzip::MAGIC)).then_some(Container::TarGz)
        });
        let mut chained = Cursor::new(head).chain(reader);
        let Some(kind) = kind else {
            return self.emit(path, size, &mut chained);
        };
        if depth >= self.limits.max_depth {
            self.diags.push(Diagnostic::new(
                Severity::Warning,
                path,
                Error::NestingTooDeep {
                    limit: self.limits.max_depth,
                },
            ));
            return self.emit(path, size, &mut chained);
        }
        match kind {
            Container::Zip => {
                // A zip needs random access: hold it in memory, within the cap.
                let cap = self.limits.max_nested_zip;
                let mut buf = Vec::new();
                match (&mut chained).take(cap + 1).read_to_end(&mut buf) {
                    Err(e) => self.io_error(path, e),
                    Ok(_) if buf.len() as u64 > cap => self.diags.push(Diagnostic::new(
                        Severity::Error,
                        path,
                        Error::TooLarge { limit: cap },
                    )),
                    Ok(_) => self.zip(path, &mut Cursor::new(buf), depth + 1),
                }
            }
            Container::Tar => self.tar(path, &mut chained, depth + 1),
            Container::TarGz => self.tar_gz(path, &mut chained, depth + 1),
        }
    }

    /// Whether entry `index` of archive `name` is past the cap (reported once, when reached).
    fn over_entry_cap(&mut self, name: &str, index: usize) -> bool {
        if (index as u64) < self.limits.max_entries {
            return false;
        }
        let e = Error::TooManyEntries {
            limit: self.limits.max_entries,
        };
        self.diags.push(Diagnostic::new(Severity::Error, name, e));
        true
    }

    /// Hands an archive entry on with at most `cap.0` bytes readable; reading past the cap
    /// fails, and the typed reason (`cap.1`) becomes a diagnostic on the entry.
    fn capped_entry(
        &mut self,
        path: &str,
        size: Option<u64>,
        reader: &mut dyn Read,
        cap: (u64, Error),
        depth: u32,
    ) {
        let mut capped = Capped {
            inner: reader,
            left: cap.0,
            error: Some(cap.1),
            tripped: None,
        };
        self.entry(path, size, &mut capped, depth);
        if let Some(e) = capped.tripped {
            self.diags.push(Diagnostic::new(Severity::Error, path, e));
        }
    }

    fn zip(&mut self, name: &str, source: &mut dyn ReadSeek, depth: u32) {
        let mut archive = match zip::ZipArchive::new(source) {
            Ok(a) => a,
            Err(e) => {
                let diag = Diagnostic::new(
                    Severity::Error,
                    name,
                    Error::Zip {
                        message: e.to_string(),
                    },
                );
                return self.diags.push(diag);
            }
        };
        let mut names = Names::default();
        let entries = self.entries.take().unwrap_or(0..archive.len());
        // Entries before the range are only named (from the central directory, no read), so
        // that duplicates are numbered as one walk of every entry numbers them.
        let mut unseen = Vec::new();
        for index in 0..entries.end.min(archive.len()) {
            if self.stopped {
                return;
            }
            let here = entries.contains(&index);
            if (index as u64) >= self.limits.max_entries {
                if here {
                    self.over_entry_cap(name, index);
                }
                return;
            }
            let zip_error = |e: zip::result::ZipError| {
                let e = Error::Zip {
                    message: format!("entry {index}: {e}"),
                };
                Diagnostic::new(Severity::Error, name, e)
            };
            let stored = match archive.by_index_data(index) {
                Ok(listed) if listed.is_dir() || listed.is_symlink() => continue,
                Ok(listed) => String::from_utf8_lossy(listed.name_raw()).into_owned(),
                Err(e) => {
                    if here {
                        self.diags.push(zip_error(e));
                    }
                    continue;
                }
            };
            let path = names.place(
                name,
                &stored,
                if here { &mut self.diags } else { &mut unseen },
            );
            if !here {
                unseen.clear();
                continue;
            }
            let mut file = match archive.by_index(index) {
                Ok(f) => f,
                Err(e) => {
                    self.diags.push(zip_error(e));
                    continue;
                }
            };
            let compressed = file.compressed_size();
            let declared = file.size();
            // Deflate tops out near 1032:1, so a ratio cap past the floor catches bombs early
            // even when the declared sizes lie.
            let ratio_cap = compressed
                .saturating_mul(self.limits.max_ratio)
                .max(self.limits.ratio_floor);
            let cap = ratio_cap.min(self.limits.max_entry_bytes);
            let error = if cap == self.limits.max_entry_bytes {
                Error::TooLarge { limit: cap }
            } else {
                Error::RatioExceeded {
                    limit: self.limits.max_ratio,
                }
            };
            self.capped_entry(&path, Some(declared), &mut file, (cap, error), depth);
        }
    }

    fn tar(&mut self, name: &str, source: &mut dyn Read, depth: u32) {
        let mut archive = tar::Archive::new(source);
        let entries = match archive.entries() {
            Ok(entries) => entries,
            Err(e) => {
                let diag = Diagnostic::new(
                    Severity::Error,
                    name,
                    Error::Tar {
                        message: e.to_string(),
                    },
                );
                return self.diags.push(diag);
            }
        };
        let mut names = Names::default();
        for (index, entry) in entries.enumerate() {
            if self.stopped {
                return;
            }
            if self.over_entry_cap(name, index) {
                return;
            }
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    // A corrupt header ends the stream: tar has no index to resynchronise on.
                    let diag = Diagnostic::new(
                        Severity::Error,
                        name,
                        Error::Tar {
                            message: e.to_string(),
                        },
                    );
                    return self.diags.push(diag);
                }
            };
            let kind = entry.header().entry_type();
            if !(kind.is_file() || kind == tar::EntryType::Continuous) {
                continue;
            }
            let stored = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let size = entry.header().size().ok();
            let path = names.place(name, &stored, &mut self.diags);
            let cap = self.limits.max_entry_bytes;
            self.capped_entry(
                &path,
                size,
                &mut entry,
                (cap, Error::TooLarge { limit: cap }),
                depth,
            );
        }
    }

    fn tar_gz(&mut self, name: &str, source: &mut dyn Read, depth: u32) {
        let mut inflater = Inflater::new(source, self.limits);
        self.tar(name, &mut inflater, depth);
        if let Some(e) = inflater.tripped() {
            self.diags
                .push(Diagnostic::new(Severity::Error, name, e.clone()));
        }
    }
}

/// A reader that fails once more than `left` bytes were read, remembering why.
struct Capped<'a> {
    inner: &'a mut dyn Read,
    left: u64,
    error: Option<Error>,
    tripped: Option<Error>,
}

impl Read for Capped<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.tripped {
            return Err(io::Error::other(e.clone()));
        }
        // Ask for one byte more than allowed so reaching the cap exactly is not an error.
        let want = (buf.len() as u64).min(self.left.saturating_add(1)) as usize;
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            let e = self.error.take().unwrap_or(Error::TooLarge { limit: 0 });
            self.tripped = Some(e.clone());
            return Err(io::Error::other(e));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Logical entry names within one archive: sanitised and unique.
#[derive(Default)]
struct Names {
    seen: HashSet<String>,
}

impl Names {
    fn place(&mut self, archive: &str, stored: &str, diags: &mut Vec<Diagnostic>) -> String {
        let (clean, safe) = sanitize(stored);
        let mut path = format!("{archive}/{clean}");
        if !safe {
            diags.push(Diagnostic::new(
                Severity::Warning,
                &path,
                Error::UnsafePath {
                    stored: stored.to_owned(),
                },
            ));
        }
        if !self.seen.insert(path.clone()) {
            diags.push(Diagnostic::new(
                Severity::Warning,
                &path,
                Error::DuplicateEntry { path: path.clone() },
            ));
            let mut n = 2;
            while !self.seen.insert(format!("{path}~{n}")) {
                n += 1;
            }
            path = format!("{path}~{n}");
        }
        path
    }
}

/// Makes an archive path relative and free of `.`/`..`, with `/` separators. Returns whether
/// the stored path was already safe.
pub fn sanitize(stored: &str) -> (String, bool) {
    let unified = stored.replace('\\', "/");
    let mut safe = true;
    let mut rest = unified.as_str();
    // Drive letters ("C:/...") and leading slashes make a path absolute.
    if rest.len() >= 2 && rest.as_bytes()[1] == b':' && rest.as_bytes()[0].is_ascii_alphabetic() {
        rest = &rest[2..];
        safe = false;
    }
    if rest.starts_with('/') {
        safe = false;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => safe = false,
            p => parts.push(p),
        }
    }
    let clean = if parts.is_empty() {
        "_".to_owned()
    } else {
        parts.join("/")
    };
    (clean, safe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn collect(
        name: &str,
        bytes: Vec<u8>,
        limits: &Limits,
    ) -> (Vec<(String, Vec<u8>)>, Vec<Diagnostic>) {
        let mut seen = Vec::new();
        let diags = walk(name, &mut Cursor::new(bytes), limits, &mut |e| {
            let mut data = Vec::new();
            let _ = e.reader.read_to_end(&mut data);
            seen.push((e.path.to_owned(), data));
            Control::Continue
        });
        (seen, diags)
    }

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in files {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // Write the raw name so hostile paths reach the reader unchanged.
            h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn plain_and_gzip_files_are_single_entries() {
        let (seen, diags) = collect("a.json", b"{}".to_vec(), &Limits::default());
        assert_eq!(seen, vec![("a.json".into(), b"{}".to_vec())]);
        assert!(diags.is_empty());
        let stored = gz(b"{}");
        let (seen, _) = collect("a.json.gz", stored.clone(), &Limits::default());
        assert_eq!(seen, vec![("a.json.gz".into(), stored)]);
    }

    #[test]
    fn zip_tar_and_tgz_yield_their_files_by_content_not_name() {
        let files: &[(&str, &[u8])] = &[("AWSLogs/1/a.json", b"one"), ("b.json", b"two")];
        for (name, bytes) in [
            ("x.bin", zip_of(files)),
            ("y.bin", tar_of(files)),
            ("z.bin", gz(&tar_of(files))),
        ] {
            let (seen, diags) = collect(name, bytes, &Limits::default());
            assert!(diags.is_empty(), "{name}: {diags:?}");
            assert_eq!(
                seen,
                vec![
                    (format!("{name}/AWSLogs/1/a.json"), b"one".to_vec()),
                    (format!("{name}/b.json"), b"two".to_vec())
                ]
            );
        }
    }

    #[test]
    fn nested_archives_open_one_level_deep() {
        let inner_zip = zip_of(&[("deep.json", b"d")]);
        let inner_tgz = gz(&tar_of(&[("t.json", b"t")]));
        let innermost = zip_of(&[("x.json", b"x")]);
        let level2 = zip_of(&[("innermost.zip", &innermost)]);
        let outer = zip_of(&[
            ("in.zip", &inner_zip),
            ("in.tgz", &inner_tgz),
            ("level2.zip", &level2),
        ]);
        let (seen, diags) = collect("o.zip", outer, &Limits::default());
        let names: Vec<_> = seen.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "o.zip/in.zip/deep.json",
                "o.zip/in.tgz/t.json",
                "o.zip/level2.zip/innermost.zip"
            ]
        );
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].error, Error::NestingTooDeep { limit: 1 });
    }

    #[test]
    fn hostile_paths_are_sanitised_and_duplicates_renamed() {
        let t = tar_of(&[
            ("../../etc/passwd", b"p"),
            ("/abs/x", b"a"),
            ("dup", b"1"),
            ("./dup", b"2"),
        ]);
        let (seen, diags) = collect("t.tar", t, &Limits::default());
        let names: Vec<_> = seen.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "t.tar/etc/passwd",
                "t.tar/abs/x",
                "t.tar/dup",
                "t.tar/dup~2"
            ]
        );
        let kinds: Vec<_> = diags.iter().map(|d| &d.error).collect();
        assert!(matches!(kinds[0], Error::UnsafePath { stored } if stored == "../../etc/passwd"));
        assert!(matches!(kinds[1], Error::UnsafePath { .. }));
        assert!(matches!(kinds[2], Error::DuplicateEntry { .. }));
        assert_eq!(sanitize("C:\\win\\..\\x"), ("win/x".to_owned(), false));
        assert_eq!(sanitize("ok/path.json"), ("ok/path.json".to_owned(), true));
    }

    /// Walks of consecutive ranges of a zip's entries, whatever the cut, give one walk's
    /// entries, paths, bytes and diagnostics in order: duplicate names numbered across
    /// ranges, unsafe names, directories, a nested zip, a broken entry and the entry cap.
    #[test]
    fn ranges_of_a_zip_walk_as_one_walk() {
        let inner = zip_of(&[("x.json", b"x"), ("./x.json", b"y")]);
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (i, (name, data)) in [
            ("a.json", &b"1"[..]),
            ("dir/", b""),
            ("/a.json", b"2"),
            ("../up.json", b"3"),
            ("inner.zip", &inner[..]),
            ("./a.json", b"4"),
            ("broken.json", b"5"),
            ("b.json", b"6"),
            ("d/../a.json", b"7"),
        ]
        .into_iter()
        .enumerate()
        {
            if name.ends_with('/') {
                z.add_directory(name, opts).unwrap();
                continue;
            }
            z.start_file(name, if i == 6 { stored } else { opts })
                .unwrap();
            z.write_all(data).unwrap();
        }
        let mut bytes = z.finish().unwrap().into_inner();
        // Corrupt the local header of the stored entry "broken.json" (found by its name):
        // its central-directory record stays, so it is listed but cannot be read.
        let at = bytes.windows(11).position(|w| w == b"broken.json").unwrap() - 30;
        bytes[at] = b'X';
        let sizes = zip_entry_sizes(&mut Cursor::new(bytes.clone())).unwrap();
        assert_eq!(sizes.len(), 9);
        assert!(sizes.iter().any(|&s| s > 0));
        let read = |e: Entry<'_>, seen: &mut Vec<(String, Vec<u8>)>| {
            let mut data = Vec::new();
            let _ = e.reader.read_to_end(&mut data);
            seen.push((e.path.to_owned(), data));
            Control::Continue
        };
        for max_entries in [u64::MAX, 7, 3] {
            let limits = Limits {
                max_entries,
                ..Limits::default()
            };
            let mut whole = Vec::new();
            let whole_diags = walk(
                "z.zip",
                &mut Cursor::new(bytes.clone()),
                &limits,
                &mut |e| read(e, &mut whole),
            );
            if max_entries == u64::MAX {
                let paths: Vec<&str> = whole.iter().map(|(p, _)| p.as_str()).collect();
                assert_eq!(
                    paths,
                    [
                        "z.zip/a.json",
                        "z.zip/a.json~2",
                        "z.zip/up.json",
                        "z.zip/inner.zip/x.json",
                        "z.zip/inner.zip/x.json~2",
                        "z.zip/a.json~3",
                        "z.zip/b.json",
                        "z.zip/d/a.json"
                    ]
                );
                assert!(whole_diags
                    .iter()
                    .any(|d| matches!(d.error, Error::Zip { .. })));
            }
            for cut in [
                vec![0, 9],
                vec![0, 1, 9],
                vec![0, 2, 3, 5, 9],
                (0..=9).collect(),
            ] {
                let (mut seen, mut diags) = (Vec::new(), Vec::new());
                for pair in cut.windows(2) {
                    diags.extend(walk_zip_entries(
                        "z.zip",
                        &mut Cursor::new(bytes.clone()),
                        &limits,
                        pair[0]..pair[1],
                        &mut |e| read(e, &mut seen),
                    ));
                }
                assert_eq!(seen, whole, "cut {cut:?}, cap {max_entries}");
                assert_eq!(diags, whole_diags, "cut {cut:?}, cap {max_entries}");
            }
        }
        // Not a zip: walked whole by the range from 0 only.
        let mut seen = Vec::new();
        for range in [0..1, 1..2] {
            walk_zip_entries(
                "p.json",
                &mut Cursor::new(b"{}".to_vec()),
                &Limits::default(),
                range,
                &mut |e| read(e, &mut seen),
            );
        }
        assert_eq!(seen, vec![("p.json".to_owned(), b"{}".to_vec())]);
    }

    #[test]
    fn zip_bomb_entry_is_cut_and_reported_and_others_still_read() {
        let bomb = vec![0u8; 4 << 20];
        let z = zip_of(&[("bomb.json", &bomb), ("good.json", b"ok")]);
        let limits = Limits {
            ratio_floor: 1 << 20,
            max_ratio: 50,
            ..Limits::default()
        };
        let (seen, diags) = collect("b.zip", z, &limits);
        assert_eq!(seen[1], ("b.zip/good.json".to_owned(), b"ok".to_vec()));
        assert!(seen[0].1.len() <= 1 << 20);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].error, Error::RatioExceeded { limit: 50 });
        assert_eq!(diags[0].path, "b.zip/bomb.json");
    }

    #[test]
    fn tgz_bomb_is_stopped_by_the_stream_guard() {
        let t = gz(&tar_of(&[("z", &vec![0u8; 8 << 20])]));
        let limits = Limits {
            ratio_floor: 1 << 20,
            max_ratio: 50,
            ..Limits::default()
        };
        let (_, diags) = collect("b.tgz", t, &limits);
        assert!(
            diags
                .iter()
                .any(|d| d.error == Error::RatioExceeded { limit: 50 }),
            "{diags:?}"
        );
    }

    #[test]
    fn corrupt_containers_become_diagnostics() {
        let mut z = zip_of(&[("a", b"1")]);
        let len = z.len();
        z.truncate(len - 10);
        let (_, diags) = collect("bad.zip", z, &Limits::default());
        assert!(matches!(diags[0].error, Error::Zip { .. }), "{diags:?}");

        let mut t = tar_of(&[("a", &[b'x'; 2000])]);
        t.truncate(700);
        let (_, diags) = collect("bad.tar", t, &Limits::default());
        assert!(!diags.is_empty());
    }

    #[test]
    fn visitor_can_stop() {
        let z = zip_of(&[("a", b"1"), ("b", b"2")]);
        let mut count = 0;
        walk("z", &mut Cursor::new(z), &Limits::default(), &mut |_| {
            count += 1;
            Control::Stop
        });
        assert_eq!(count, 1);
    }
}
