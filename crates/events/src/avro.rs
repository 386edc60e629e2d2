//! Avro object container files, read exactly as far as Azure Event Hubs Capture needs.
//!
//! The format is the Apache Avro 1.11 specification, sections "Object Container Files" and
//! "Binary Encoding" (avro.apache.org/docs/1.11.1/specification/): the magic `Obj\x01`; a
//! file-metadata map (`avro.schema`, the writer's JSON schema, and `avro.codec`); a 16-byte sync
//! marker; then blocks of `long count`, `long size`, `size` bytes of `count` serialized objects
//! (compressed by the codec: `null`, or `deflate` = raw RFC 1951) and the sync marker again.
//! Longs are zig-zag varints; bytes and strings are a long length then the bytes; maps and
//! arrays are blocks of items ending with a zero count (a negative count is followed by the
//! block's byte size); a union is a long branch index then the branch's value.
//!
//! Why not the `apache-avro` crate: measured on this project's build machine (2 shared cores,
//! wasm32 release, `opt-level = "s"`, LTO) it added 401 KB to a wasm module that reads one file
//! (97 KB → 498 KB) and 45 crates (58 s against 8 s of clean build), and its reader yields
//! values without positions, so a record's exact byte span could not be kept. This reader
//! decodes any schema built from primitives, records, maps, arrays, unions, enums and fixed
//! (what capture files hold) and hands out where each object's `Body` lies; everything a file
//! contains is bounded (block size, metadata size, schema depth, item counts) and every
//! problem is an error value, never a panic. `fuzz/fuzz_targets/events_avro.rs` exercises it.
//!
//! Positions: the *decoded stream* of a container file is the concatenation of its blocks'
//! decoded data (after the codec), without header, counts or sync markers. Offsets of records
//! found in bodies count in that stream, so a span re-reads byte-exactly with either codec.

use std::io::Read;

use serde_json::Value;

/// The first four bytes of an Avro object container file.
pub(crate) const MAGIC: &[u8; 4] = b"Obj\x01";

/// Largest metadata value (the schema) and number of metadata entries read.
const MAX_META_VALUE: u64 = 1 << 20;
const MAX_META_ENTRIES: u64 = 256;
/// Deepest schema nesting accepted.
const MAX_DEPTH: u32 = 32;

/// What went wrong reading a container file, in words that complete "... but ".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AvroError {
    /// The input ended inside the named structure.
    Truncated(&'static str),
    /// A structure that violates the specification.
    Malformed(String),
    /// Valid Avro this reader does not decode (a codec, a named-type reference).
    Unsupported(String),
    /// A block larger than the cap.
    TooLarge { limit: u64 },
    /// The underlying reader failed.
    Io(String),
}

impl std::fmt::Display for AvroError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AvroError::Truncated(what) => write!(f, "the file ends inside {what}"),
            AvroError::Malformed(m) => write!(f, "{m}"),
            AvroError::Unsupported(m) => write!(f, "{m} is not supported"),
            AvroError::TooLarge { limit } => {
                write!(f, "a block decodes to more than {limit} bytes")
            }
            AvroError::Io(m) => write!(f, "read error: {m}"),
        }
    }
}

/// A block codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Codec {
    Null,
    Deflate,
}

/// The part of Avro's schema language capture files use.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Schema {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(Box<Schema>),
    Map(Box<Schema>),
    Union(Vec<Schema>),
    Record(Vec<(String, Schema)>),
    Enum,
    Fixed(usize),
}

impl Schema {
    fn parse(v: &Value, depth: u32) -> Result<Schema, AvroError> {
        if depth > MAX_DEPTH {
            return Err(AvroError::Unsupported("a schema nested this deep".into()));
        }
        match v {
            Value::String(name) => Self::primitive(name),
            Value::Array(branches) => Ok(Schema::Union(
                branches
                    .iter()
                    .map(|b| Schema::parse(b, depth + 1))
                    .collect::<Result<_, _>>()?,
            )),
            Value::Object(o) => {
                let ty = o.get("type").and_then(Value::as_str).unwrap_or("");
                match ty {
                    "record" | "error" => {
                        let fields =
                            o.get("fields").and_then(Value::as_array).ok_or_else(|| {
                                AvroError::Malformed("a record without fields".into())
                            })?;
                        let mut out = Vec::with_capacity(fields.len());
                        for f in fields {
                            let name = f.get("name").and_then(Value::as_str).unwrap_or("");
                            let t = f.get("type").ok_or_else(|| {
                                AvroError::Malformed(format!("field `{name}` has no type"))
                            })?;
                            out.push((name.to_string(), Schema::parse(t, depth + 1)?));
                        }
                        Ok(Schema::Record(out))
                    }
                    "map" => Ok(Schema::Map(Box::new(Schema::parse(
                        o.get("values").unwrap_or(&Value::Null),
                        depth + 1,
                    )?))),
                    "array" => Ok(Schema::Array(Box::new(Schema::parse(
                        o.get("items").unwrap_or(&Value::Null),
                        depth + 1,
                    )?))),
                    "enum" => Ok(Schema::Enum),
                    "fixed" => {
                        let size = o.get("size").and_then(Value::as_u64).ok_or_else(|| {
                            AvroError::Malformed("a fixed type without a size".into())
                        })?;
                        Ok(Schema::Fixed(usize::try_from(size).map_err(|_| {
                            AvroError::Malformed("a fixed size out of range".into())
                        })?))
                    }
                    // `{"type": "long", "logicalType": ...}`: the logical type changes nothing
                    // in the encoding.
                    other => Self::primitive(other),
                }
            }
            _ => Err(AvroError::Malformed(
                "a schema that is not JSON text, array or object".into(),
            )),
        }
    }

    fn primitive(name: &str) -> Result<Schema, AvroError> {
        Ok(match name {
            "null" => Schema::Null,
            "boolean" => Schema::Boolean,
            "int" => Schema::Int,
            "long" => Schema::Long,
            "float" => Schema::Float,
            "double" => Schema::Double,
            "bytes" => Schema::Bytes,
            "string" => Schema::String,
            other => {
                return Err(AvroError::Unsupported(format!(
                    "the schema type or named-type reference `{}`",
                    other.chars().take(60).collect::<String>()
                )))
            }
        })
    }

    /// The record's field names, when the schema is a record.
    pub(crate) fn field_names(&self) -> Vec<&str> {
        match self {
            Schema::Record(fields) => fields.iter().map(|(n, _)| n.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

/// A cursor over one block's decoded data.
struct Slice<'a> {
    b: &'a [u8],
    i: usize,
    /// Values still allowed to be decoded: zero-length values (nulls, empty records) in huge
    /// counted arrays must not loop for ever.
    budget: u64,
}

impl<'a> Slice<'a> {
    fn long(&mut self) -> Result<i64, AvroError> {
        let mut v: u64 = 0;
        for k in 0..10 {
            let byte = *self
                .b
                .get(self.i)
                .ok_or(AvroError::Truncated("a block's object"))?;
            self.i += 1;
            v |= u64::from(byte & 0x7f) << (7 * k);
            if byte & 0x80 == 0 {
                return Ok(((v >> 1) as i64) ^ -((v & 1) as i64));
            }
        }
        Err(AvroError::Malformed(
            "a variable-length integer longer than 10 bytes".into(),
        ))
    }

    fn take(&mut self, n: usize) -> Result<(usize, usize), AvroError> {
        let start = self.i;
        let end = start
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or(AvroError::Truncated("a block's object"))?;
        self.i = end;
        Ok((start, end))
    }

    fn len_prefixed(&mut self) -> Result<(usize, usize), AvroError> {
        let n = self.long()?;
        let n = usize::try_from(n).map_err(|_| AvroError::Malformed("a negative length".into()))?;
        self.take(n)
    }

    /// Skips one value, returning the span of a `bytes`/`string` value (`None` for others).
    fn skip(&mut self, s: &Schema, depth: u32) -> Result<Option<(usize, usize)>, AvroError> {
        if self.budget == 0 {
            return Err(AvroError::Malformed(
                "more values than the block can hold".into(),
            ));
        }
        self.budget -= 1;
        if depth > MAX_DEPTH {
            return Err(AvroError::Malformed("values nested too deep".into()));
        }
        match s {
            Schema::Null => {}
            Schema::Boolean => {
                self.take(1)?;
            }
            Schema::Int | Schema::Long | Schema::Enum => {
                self.long()?;
            }
            Schema::Float => {
                self.take(4)?;
            }
            Schema::Double => {
                self.take(8)?;
            }
            Schema::Fixed(n) => {
                self.take(*n)?;
            }
            Schema::Bytes | Schema::String => return self.len_prefixed().map(Some),
            Schema::Union(branches) => {
                let k = self.long()?;
                let branch = usize::try_from(k)
                    .ok()
                    .and_then(|k| branches.get(k))
                    .ok_or_else(|| {
                        AvroError::Malformed(format!("union branch {k} out of range"))
                    })?;
                return self.skip(branch, depth + 1);
            }
            Schema::Record(fields) => {
                for (_, f) in fields {
                    self.skip(f, depth + 1)?;
                }
            }
            Schema::Array(item) | Schema::Map(item) => loop {
                let mut count = self.long()?;
                if count == 0 {
                    break;
                }
                if count < 0 {
                    count = count
                        .checked_neg()
                        .ok_or_else(|| AvroError::Malformed("an item count out of range".into()))?;
                    self.long()?; // the block's byte size, not needed to skip item by item
                }
                for _ in 0..count {
                    if matches!(s, Schema::Map(_)) {
                        self.len_prefixed()?;
                    }
                    self.skip(item, depth + 1)?;
                }
            },
        }
        Ok(None)
    }
}

/// Where each object's named field lies in a block's data: `(start, end)` of its bytes or
/// string value, or `None` when the value is null (or of another type).
pub(crate) fn field_spans(
    schema: &Schema,
    field: &str,
    data: &[u8],
    count: u64,
) -> Result<Vec<Option<(usize, usize)>>, AvroError> {
    let Schema::Record(fields) = schema else {
        return Err(AvroError::Unsupported(
            "a top-level schema that is not a record".into(),
        ));
    };
    let mut s = Slice {
        b: data,
        i: 0,
        budget: (data.len() as u64).saturating_mul(2).saturating_add(1024),
    };
    let mut out = Vec::new();
    for _ in 0..count {
        let mut span = None;
        for (name, f) in fields {
            let got = s.skip(f, 1)?;
            if name == field {
                span = got;
            }
        }
        out.push(span);
    }
    if s.i != data.len() {
        return Err(AvroError::Malformed(format!(
            "{} bytes left in a block after its {count} objects",
            data.len() - s.i
        )));
    }
    Ok(out)
}

/// One block of decoded data.
pub(crate) struct Block {
    /// Objects in the block.
    pub count: u64,
    /// The decoded (decompressed) data.
    pub data: Vec<u8>,
    /// Where `data` starts in the decoded stream.
    pub base: u64,
}

/// An open container file.
pub(crate) struct Container<R: Read> {
    r: R,
    codec: Codec,
    /// The writer's schema.
    pub schema: Schema,
    sync: [u8; 16],
    max_block: u64,
    /// Decoded bytes handed out so far (the next block's base).
    pub decoded: u64,
    /// Bytes read from `r`.
    pub consumed: u64,
}

fn read_byte<R: Read>(r: &mut R, consumed: &mut u64) -> Result<Option<u8>, AvroError> {
    let mut b = [0u8; 1];
    loop {
        match r.read(&mut b) {
            Ok(0) => return Ok(None),
            Ok(_) => {
                *consumed += 1;
                return Ok(Some(b[0]));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(AvroError::Io(e.to_string())),
        }
    }
}

impl<R: Read> Container<R> {
    /// Reads the header. `max_block` caps one block's stored and decoded size.
    pub(crate) fn open(mut r: R, max_block: u64) -> Result<Self, AvroError> {
        let mut consumed = 0;
        let mut magic = [0u8; 4];
        read_exact(&mut r, &mut magic, &mut consumed, "the magic")?;
        if &magic != MAGIC {
            return Err(AvroError::Malformed(
                "not an Avro object container file".into(),
            ));
        }
        let mut schema = None;
        let mut codec = Codec::Null;
        let mut entries = 0u64;
        loop {
            let mut count = read_long(&mut r, &mut consumed, "the file metadata")?;
            if count == 0 {
                break;
            }
            if count < 0 {
                count = count
                    .checked_neg()
                    .ok_or_else(|| AvroError::Malformed("a metadata count out of range".into()))?;
                read_long(&mut r, &mut consumed, "the file metadata")?;
            }
            for _ in 0..count {
                entries += 1;
                if entries > MAX_META_ENTRIES {
                    return Err(AvroError::Malformed(
                        "more than 256 metadata entries".into(),
                    ));
                }
                let key = read_bytes(&mut r, &mut consumed, 1024)?;
                let value = read_bytes(&mut r, &mut consumed, MAX_META_VALUE)?;
                match key.as_slice() {
                    b"avro.schema" => {
                        let v: Value = serde_json::from_slice(&value).map_err(|e| {
                            AvroError::Malformed(format!("its `avro.schema` is not JSON ({e})"))
                        })?;
                        schema = Some(Schema::parse(&v, 0)?);
                    }
                    b"avro.codec" => {
                        codec = match value.as_slice() {
                            b"null" => Codec::Null,
                            b"deflate" => Codec::Deflate,
                            other => {
                                return Err(AvroError::Unsupported(format!(
                                    "the codec `{}` (null and deflate are read)",
                                    String::from_utf8_lossy(other)
                                        .chars()
                                        .take(40)
                                        .collect::<String>()
                                )))
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let schema = schema
            .ok_or_else(|| AvroError::Malformed("its metadata has no `avro.schema`".into()))?;
        let mut sync = [0u8; 16];
        read_exact(&mut r, &mut sync, &mut consumed, "the header's sync marker")?;
        Ok(Container {
            r,
            codec,
            schema,
            sync,
            max_block,
            decoded: 0,
            consumed,
        })
    }

    /// The next block, or `None` at the end of the file.
    pub(crate) fn next_block(&mut self) -> Result<Option<Block>, AvroError> {
        let first = match read_byte(&mut self.r, &mut self.consumed)? {
            None => return Ok(None),
            Some(b) => b,
        };
        let count = read_long_from(first, &mut self.r, &mut self.consumed, "a block header")?;
        let size = read_long(&mut self.r, &mut self.consumed, "a block header")?;
        let count = u64::try_from(count)
            .map_err(|_| AvroError::Malformed("a negative object count in a block".into()))?;
        let size = u64::try_from(size)
            .map_err(|_| AvroError::Malformed("a negative block size".into()))?;
        if size > self.max_block {
            return Err(AvroError::TooLarge {
                limit: self.max_block,
            });
        }
        let mut stored = Vec::new();
        (&mut self.r)
            .take(size)
            .read_to_end(&mut stored)
            .map_err(|e| AvroError::Io(e.to_string()))?;
        self.consumed += stored.len() as u64;
        if (stored.len() as u64) < size {
            return Err(AvroError::Truncated("a block"));
        }
        let mut sync = [0u8; 16];
        read_exact(
            &mut self.r,
            &mut sync,
            &mut self.consumed,
            "a block's sync marker",
        )?;
        if sync != self.sync {
            return Err(AvroError::Malformed(
                "a block's sync marker differs from the header's (corrupt or cut file)".into(),
            ));
        }
        let data = match self.codec {
            Codec::Null => stored,
            Codec::Deflate => {
                let mut out = Vec::new();
                flate2::read::DeflateDecoder::new(stored.as_slice())
                    .take(self.max_block + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| {
                        AvroError::Malformed(format!("a deflate block is corrupt ({e})"))
                    })?;
                if out.len() as u64 > self.max_block {
                    return Err(AvroError::TooLarge {
                        limit: self.max_block,
                    });
                }
                out
            }
        };
        let base = self.decoded;
        self.decoded += data.len() as u64;
        Ok(Some(Block { count, data, base }))
    }
}

fn read_exact<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    consumed: &mut u64,
    what: &'static str,
) -> Result<(), AvroError> {
    for slot in buf.iter_mut() {
        *slot = read_byte(r, consumed)?.ok_or(AvroError::Truncated(what))?;
    }
    Ok(())
}

fn read_long<R: Read>(r: &mut R, consumed: &mut u64, what: &'static str) -> Result<i64, AvroError> {
    let first = read_byte(r, consumed)?.ok_or(AvroError::Truncated(what))?;
    read_long_from(first, r, consumed, what)
}

fn read_long_from<R: Read>(
    first: u8,
    r: &mut R,
    consumed: &mut u64,
    what: &'static str,
) -> Result<i64, AvroError> {
    let mut v = u64::from(first & 0x7f);
    let mut byte = first;
    let mut k = 1;
    while byte & 0x80 != 0 {
        if k >= 10 {
            return Err(AvroError::Malformed(
                "a variable-length integer longer than 10 bytes".into(),
            ));
        }
        byte = read_byte(r, consumed)?.ok_or(AvroError::Truncated(what))?;
        v |= u64::from(byte & 0x7f) << (7 * k);
        k += 1;
    }
    Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
}

fn read_bytes<R: Read>(r: &mut R, consumed: &mut u64, cap: u64) -> Result<Vec<u8>, AvroError> {
    let n = read_long(r, consumed, "the file metadata")?;
    let n = u64::try_from(n).map_err(|_| AvroError::Malformed("a negative length".into()))?;
    if n > cap {
        return Err(AvroError::Malformed(format!(
            "a metadata entry of {n} bytes (at most {cap} are read)"
        )));
    }
    let mut out = Vec::new();
    r.take(n)
        .read_to_end(&mut out)
        .map_err(|e| AvroError::Io(e.to_string()))?;
    *consumed += out.len() as u64;
    if (out.len() as u64) < n {
        return Err(AvroError::Truncated("the file metadata"));
    }
    Ok(out)
}

/// Reads `len` bytes at `offset` of a container file's decoded stream.
pub(crate) fn read_span<R: Read>(
    r: R,
    offset: u64,
    len: u64,
    max_block: u64,
) -> Result<Vec<u8>, AvroError> {
    let mut c = Container::open(r, max_block)?;
    let end = offset.saturating_add(len);
    let mut out = Vec::new();
    while let Some(b) = c.next_block()? {
        let b_end = b.base + b.data.len() as u64;
        if b_end > offset && b.base < end {
            let from = offset.saturating_sub(b.base) as usize;
            let to = (end.min(b_end) - b.base) as usize;
            out.extend_from_slice(b.data.get(from..to).unwrap_or(&[]));
        }
        if b_end >= end {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(n: i64, out: &mut Vec<u8>) {
        let mut v = ((n << 1) ^ (n >> 63)) as u64;
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
    }

    fn bytes(b: &[u8], out: &mut Vec<u8>) {
        long(b.len() as i64, out);
        out.extend_from_slice(b);
    }

    const SCHEMA: &str = r#"{"type":"record","name":"EventData","namespace":"Microsoft.ServiceBus.Messaging","fields":[{"name":"SequenceNumber","type":"long"},{"name":"Offset","type":"string"},{"name":"EnqueuedTimeUtc","type":"string"},{"name":"SystemProperties","type":{"type":"map","values":["long","double","string","bytes"]}},{"name":"Properties","type":{"type":"map","values":["long","double","string","bytes"]}},{"name":"Body","type":["null","bytes"]}]}"#;

    fn file(codec: &str, bodies: &[&[u8]], sync: [u8; 16]) -> Vec<u8> {
        let mut f = MAGIC.to_vec();
        long(2, &mut f);
        bytes(b"avro.schema", &mut f);
        bytes(SCHEMA.as_bytes(), &mut f);
        bytes(b"avro.codec", &mut f);
        bytes(codec.as_bytes(), &mut f);
        long(0, &mut f);
        f.extend_from_slice(&sync);
        let mut data = Vec::new();
        for (i, b) in bodies.iter().enumerate() {
            long(i as i64, &mut data);
            bytes(b"0", &mut data);
            bytes(b"5/1/2024 10:00:00 AM", &mut data);
            long(-1, &mut data); // a map block with its byte size
            long(3, &mut data);
            bytes(b"k", &mut data);
            long(0, &mut data); // branch long
            long(7, &mut data);
            long(0, &mut data);
            long(0, &mut data); // empty Properties
            long(1, &mut data); // Body: bytes branch
            bytes(b, &mut data);
        }
        assert_eq!(codec, "null");
        long(bodies.len() as i64, &mut f);
        long(data.len() as i64, &mut f);
        f.extend_from_slice(&data);
        f.extend_from_slice(&sync);
        f
    }

    #[test]
    fn reads_bodies_and_spans() {
        let f = file("null", &[b"{\"records\":[]}", b"{\"a\":1}"], [7; 16]);
        let mut c = Container::open(f.as_slice(), 1 << 20).unwrap();
        assert_eq!(
            c.schema.field_names(),
            [
                "SequenceNumber",
                "Offset",
                "EnqueuedTimeUtc",
                "SystemProperties",
                "Properties",
                "Body"
            ]
        );
        let b = c.next_block().unwrap().unwrap();
        let spans = field_spans(&c.schema, "Body", &b.data, b.count).unwrap();
        let (s, e) = spans[1].unwrap();
        assert_eq!(&b.data[s..e], b"{\"a\":1}");
        assert!(c.next_block().unwrap().is_none());
        let again = read_span(f.as_slice(), s as u64, (e - s) as u64, 1 << 20).unwrap();
        assert_eq!(again, b"{\"a\":1}");
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        let f = file("null", &[b"{}"], [1; 16]);
        // A file cut right after its header is a valid file with no blocks.
        let header = Container::open(f.as_slice(), 1 << 20).unwrap().consumed as usize;
        for cut in (0..f.len()).filter(|&c| c != header) {
            let r = (|| -> Result<(), AvroError> {
                let mut c = Container::open(&f[..cut], 1 << 20)?;
                while let Some(b) = c.next_block()? {
                    field_spans(&c.schema, "Body", &b.data, b.count)?;
                }
                Ok(())
            })();
            assert!(r.is_err(), "cut at {cut}");
        }
        // A wrong sync marker, an unknown codec, a huge count of nulls.
        let mut bad = f.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        let mut c = Container::open(bad.as_slice(), 1 << 20).unwrap();
        assert!(matches!(c.next_block(), Err(AvroError::Malformed(_))));
        let mut snappy = f.clone();
        let at = snappy.windows(4).rposition(|w| w == b"null").unwrap();
        snappy[at..at + 4].copy_from_slice(b"zstd");
        assert!(matches!(
            Container::open(snappy.as_slice(), 1 << 20),
            Err(AvroError::Unsupported(_))
        ));
        let nulls = Schema::Record(vec![("a".into(), Schema::Array(Box::new(Schema::Null)))]);
        let mut data = Vec::new();
        long(i64::MAX, &mut data);
        assert!(field_spans(&nulls, "a", &data, 1).is_err());
    }
}
