//! Raw records re-read on demand.
//!
//! The store keeps no request parameters or MFA flags; rules that need them read the original
//! JSON of **candidate events only** (filtered by action first). The host reads
//! each file once for all the rows it needs ([`extract_records`] decodes one file in a single
//! pass) and hands the bytes to [`crate::Analyzer::add_raw`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};

use serde_json::{Map, Value};
use trailproof_core::diag::Error as CoreError;
use trailproof_core::gzip::{Inflater, MAGIC};
use trailproof_core::input::Limits;
use trailproof_events::RawRef;

/// The rows one file must supply: `(row, where its record is)`, sorted by offset.
pub type FileRequest = Vec<(usize, RawRef)>;

/// Rows whose raw records are needed, grouped by file index ([`RawRef::file`]), each group
/// sorted by offset so a file is decoded once, front to back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawPlan {
    /// File index → rows in that file.
    pub files: BTreeMap<u32, FileRequest>,
    /// File index → its path in the store (what the host opens).
    pub files_named: BTreeMap<u32, String>,
}

impl RawPlan {
    /// Every row requested.
    pub(crate) fn requested(&self) -> impl Iterator<Item = usize> + '_ {
        self.files.values().flatten().map(|(row, _)| *row)
    }

    /// Number of rows requested.
    pub fn rows(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }

    /// Whether nothing is requested.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Raw records read back for a [`RawPlan`]: the parsed records of candidate rows. Owned, so a
/// host can fill it across asynchronous file reads.
#[derive(Clone, Debug, Default)]
pub struct RawRecords {
    pub(crate) plan: RawPlan,
    /// Every planned row, for `add`.
    rows: BTreeSet<usize>,
    pub(crate) records: BTreeMap<usize, Value>,
    pub(crate) errors: Vec<String>,
    /// The read buffer, kept from file to file.
    scratch: Vec<u8>,
}

impl RawRecords {
    /// An empty collection for `plan`.
    pub fn new(plan: RawPlan) -> RawRecords {
        let rows = plan.files.values().flatten().map(|(r, _)| *r).collect();
        RawRecords {
            plan,
            rows,
            ..Default::default()
        }
    }

    /// The plan being filled.
    pub fn plan(&self) -> &RawPlan {
        &self.plan
    }

    /// Records collected so far.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing was collected yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Problems met while reading back.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// Takes the raw bytes of `row`'s record. Rows the plan does not name are ignored.
    pub fn add(&mut self, row: usize, bytes: &[u8]) {
        if self.rows.contains(&row) {
            self.add_one(row, bytes);
        }
    }

    /// Reads the planned records of file `file` from `reader` (its stored bytes) in one pass.
    pub fn load_file(&mut self, file: u32, reader: &mut dyn Read, limits: &Limits) {
        let Some(wanted) = self.plan.files.get(&file).cloned() else {
            return;
        };
        let path = self
            .plan
            .files_named
            .get(&file)
            .cloned()
            .unwrap_or_default();
        // Each record is taken as it is read, never all of a file's at once: a plan may want
        // every record of a file of millions (a broad Sigma rule on raw fields does).
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut found = 0usize;
        let read = extract_each(reader, &wanted, limits, &mut scratch, &mut |row, bytes| {
            found += 1;
            self.add_one(row, bytes);
        });
        self.scratch = scratch;
        match read {
            Ok(()) if found < wanted.len() => self.errors.push(format!(
                "{path}: {} records could not be re-read (file shorter than at ingest)",
                wanted.len() - found
            )),
            Ok(()) => {}
            Err(e) if found == 0 => self
                .errors
                .push(format!("{path}: raw records could not be re-read: {e}")),
            Err(e) => self.errors.push(format!(
                "{path}: {} of {} raw records re-read, the rest could not be: {e}",
                found,
                wanted.len()
            )),
        }
    }

    /// `add` without the plan lookup (the row comes from the plan).
    fn add_one(&mut self, row: usize, bytes: &[u8]) {
        let Some(record) = parse_record(bytes) else {
            self.errors
                .push(format!("row {row}: raw record is not JSON"));
            return;
        };
        self.records.insert(row, record);
    }
}

/// Reads the records at `wanted` (sorted by offset, as in [`RawPlan`]) out of one file's
/// stored bytes (plain or gzip, decoded as ingest did) in a single pass. Records that end past
/// the end of the file are left out.
pub fn extract_records(
    reader: &mut dyn Read,
    wanted: &[(usize, RawRef)],
    limits: &Limits,
) -> Result<Vec<(usize, Vec<u8>)>, CoreError> {
    extract_with(reader, wanted, limits, &mut Vec::new())
}

/// [`extract_records`] reading through `scratch` (kept between files: a fresh 64 KiB buffer
/// per file cost more, in zeroing and page faults, than the reads themselves).
fn extract_with(
    reader: &mut dyn Read,
    wanted: &[(usize, RawRef)],
    limits: &Limits,
    scratch: &mut Vec<u8>,
) -> Result<Vec<(usize, Vec<u8>)>, CoreError> {
    let mut out = Vec::with_capacity(wanted.len());
    extract_each(reader, wanted, limits, scratch, &mut |row, bytes| {
        out.push((row, bytes.to_vec()))
    })?;
    Ok(out)
}

/// [`extract_with`] handing each record to `each` as it is read (in offset order), holding
/// none: what [`extract_records`] returns, one record at a time; on an error, the records
/// before it were handed over.
fn extract_each(
    reader: &mut dyn Read,
    wanted: &[(usize, RawRef)],
    limits: &Limits,
    scratch: &mut Vec<u8>,
    each: &mut dyn FnMut(usize, &[u8]),
) -> Result<(), CoreError> {
    let io_err = |e: io::Error| match e.get_ref().and_then(|x| x.downcast_ref::<CoreError>()) {
        Some(c) => c.clone(),
        None => CoreError::Io {
            message: e.to_string(),
        },
    };
    let mut head = Vec::new();
    reader.take(2).read_to_end(&mut head).map_err(io_err)?;
    let gzip = head.starts_with(&MAGIC);
    let chained = io::Cursor::new(head).chain(reader);
    let mut r: Box<dyn Read + '_> = if gzip {
        Box::new(Inflater::new(chained, limits))
    } else {
        Box::new(chained)
    };
    let mut sorted: Vec<&(usize, RawRef)> = wanted.iter().collect();
    sorted.sort_by_key(|(row, raw)| (raw.offset, *row));
    // What each request is, decided from the spans alone: a copy of the record read just
    // before it (the same span requested twice), skipped (it overlaps the one before, which
    // cannot happen for records of one file; skip rather than rewind), or read.
    #[derive(Clone, Copy, PartialEq)]
    enum Step {
        Read,
        Again,
        Skip,
    }
    let mut steps = Vec::with_capacity(sorted.len());
    let (mut pos, mut last) = (0u64, None::<u64>);
    for (_, raw) in &sorted {
        steps.push(if last == Some(raw.offset) {
            Step::Again
        } else if raw.offset < pos {
            Step::Skip
        } else {
            last = Some(raw.offset);
            pos = raw.offset + u64::from(raw.len);
            Step::Read
        });
    }
    // The end of the last record read from each step on: decoding never goes past it, so a
    // damaged stream beyond the records wanted is left unread, as reading record by record
    // left it.
    let mut stops = vec![0u64; sorted.len()];
    let mut stop = 0u64;
    for (i, (_, raw)) in sorted.iter().enumerate().rev() {
        if steps[i] == Step::Read {
            stop = stop.max(raw.offset + u64::from(raw.len));
        }
        stops[i] = stop;
    }
    let mut window = Window::new(r.as_mut(), scratch);
    // The record read last, for a request of the same span again.
    let mut bytes = Vec::new();
    let mut any = false;
    for (i, (row, raw)) in sorted.iter().enumerate() {
        match steps[i] {
            Step::Skip => continue,
            Step::Again => each(*row, if any { &bytes } else { &[] }),
            Step::Read => {
                bytes.clear();
                let complete = window
                    .copy(raw.offset, raw.len as usize, stops[i], &mut bytes)
                    .map_err(io_err)?;
                if !complete {
                    break;
                }
                any = true;
                each(*row, &bytes);
            }
        }
    }
    Ok(())
}

/// A forward-only window over a decoded stream: records are copied out of reads of up to
/// 64 KiB instead of one small read per record and per gap between records (each read of a
/// gzip decoder pays a call into the inflater and a CRC update: per record, that was most of
/// the cost of re-reading).
struct Window<'r> {
    reader: &'r mut dyn Read,
    buf: &'r mut Vec<u8>,
    /// Bytes of `buf` holding data: the stream's bytes `end - filled .. end`.
    filled: usize,
    /// Stream offset just past the bytes read so far.
    end: u64,
}

impl<'r> Window<'r> {
    const SIZE: usize = 64 * 1024;

    fn new(reader: &'r mut dyn Read, buf: &'r mut Vec<u8>) -> Self {
        Window {
            reader,
            buf,
            filled: 0,
            end: 0,
        }
    }

    /// Copies the `len` bytes at stream offset `offset` into `out`, reading no further than
    /// stream offset `stop` (at least `offset + len`). Offsets must not go back before the
    /// previous call's. `false` when the stream ends first.
    fn copy(&mut self, offset: u64, len: usize, stop: u64, out: &mut Vec<u8>) -> io::Result<bool> {
        let mut pos = offset;
        let want_end = offset + len as u64;
        loop {
            if pos == want_end && self.end >= pos {
                return Ok(true);
            }
            let start = self.end - self.filled as u64;
            if pos < start {
                // Bytes already dropped: never asked for by `extract_records`.
                return Ok(false);
            }
            if pos < self.end {
                let from = (pos - start) as usize;
                let take = (self.filled - from).min((want_end - pos) as usize);
                out.extend_from_slice(&self.buf[from..from + take]);
                pos += take as u64;
                continue;
            }
            // Everything buffered lies before `pos`: read on.
            if self.buf.len() < Self::SIZE {
                self.buf.resize(Self::SIZE, 0);
            }
            let room = usize::try_from(stop.saturating_sub(self.end))
                .unwrap_or(usize::MAX)
                .min(self.buf.len());
            if room == 0 {
                return Ok(false);
            }
            let n = loop {
                match self.reader.read(&mut self.buf[..room]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            if n == 0 {
                return Ok(false);
            }
            self.filled = n;
            self.end += n as u64;
        }
    }
}

/// Parses a raw record and unwraps the envelopes ingest looked through, so rules see the
/// event itself: the LookupEvents `CloudTrailEvent` JSON string, an SLS `event` member (object
/// or JSON text) and SLS flattened `event.`-prefixed keys.
pub fn parse_record(bytes: &[u8]) -> Option<Value> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    Some(unwrap_record(value))
}

fn unwrap_record(value: Value) -> Value {
    let Value::Object(mut map) = value else {
        return value;
    };
    if let Some(Value::String(inner)) = map.get("CloudTrailEvent") {
        if let Ok(Value::Object(mut event)) = serde_json::from_str::<Value>(inner) {
            // Keep wrapper-only members (`Username`, `EventId`, ...) where the event lacks them.
            map.remove("CloudTrailEvent");
            for (k, v) in map {
                event.entry(k).or_insert(v);
            }
            return Value::Object(event);
        }
    }
    if !map.contains_key("eventTime") {
        match map.get("event") {
            Some(Value::Object(inner)) => return Value::Object(inner.clone()),
            Some(Value::String(text)) => {
                if let Ok(Value::Object(inner)) = serde_json::from_str::<Value>(text) {
                    return Value::Object(inner);
                }
            }
            _ => {}
        }
        if map.keys().any(|k| k.starts_with("event.")) {
            let mut rebuilt = Map::new();
            for (k, v) in &map {
                if let Some(rest) = k.strip_prefix("event.") {
                    let v = match v {
                        // SLS stores nested objects as JSON text.
                        Value::String(s) if s.starts_with('{') || s.starts_with('[') => {
                            serde_json::from_str(s).unwrap_or_else(|_| v.clone())
                        }
                        _ => v.clone(),
                    };
                    insert_path(&mut rebuilt, rest, v);
                }
            }
            return Value::Object(rebuilt);
        }
    }
    Value::Object(map)
}

fn insert_path(map: &mut Map<String, Value>, path: &str, v: Value) {
    match path.split_once('.') {
        None => {
            // A nested member set earlier from a dotted key wins over nothing, not over data.
            match (map.get_mut(path), v) {
                (Some(Value::Object(existing)), Value::Object(new)) => {
                    for (k, x) in new {
                        existing.entry(k).or_insert(x);
                    }
                }
                (_, v) => {
                    map.insert(path.to_string(), v);
                }
            }
        }
        Some((head, rest)) => {
            let entry = map
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                insert_path(inner, rest, v);
            }
        }
    }
}

/// The values at a dotted `path` (`userIdentity.sessionContext.attributes.mfaAuthenticated`).
/// Arrays on the way are looked through (each element), so
/// `requestParameters.ipPermissions.items.ipRanges.items.cidrIp` finds every range. A member
/// whose name itself contains dots is found too. Members holding JSON text (Huawei `request`)
/// are parsed when the path goes on inside them.
pub fn lookup<'v>(value: &'v Value, path: &str) -> Vec<LookedUp<'v>> {
    let mut out = Vec::new();
    collect(value, path, &mut out);
    out
}

/// A value found by [`lookup`]: borrowed from the record, or parsed from JSON text inside it.
#[derive(Clone, Debug, PartialEq)]
pub enum LookedUp<'v> {
    /// Part of the record.
    Borrowed(&'v Value),
    /// Parsed from a string member holding JSON.
    Owned(Value),
}

impl LookedUp<'_> {
    /// The value.
    pub fn value(&self) -> &Value {
        match self {
            LookedUp::Borrowed(v) => v,
            LookedUp::Owned(v) => v,
        }
    }
}

fn collect<'v>(value: &'v Value, path: &str, out: &mut Vec<LookedUp<'v>>) {
    if path.is_empty() {
        match value {
            Value::Array(items) => out.extend(items.iter().map(LookedUp::Borrowed)),
            v => out.push(LookedUp::Borrowed(v)),
        }
        return;
    }
    match value {
        Value::Array(items) => {
            for item in items {
                collect(item, path, out);
            }
        }
        Value::Object(map) => {
            // Exact member first (names with dots), then the first segment.
            if let Some(v) = map.get(path) {
                collect(v, "", out);
                return;
            }
            let mut idx = 0;
            while let Some(dot) = path[idx..].find('.') {
                let head = &path[..idx + dot];
                let rest = &path[idx + dot + 1..];
                if let Some(v) = map.get(head) {
                    match v {
                        Value::String(s) if s.starts_with('{') || s.starts_with('[') => {
                            if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                                let mut inner = Vec::new();
                                collect(&parsed, rest, &mut inner);
                                out.extend(
                                    inner
                                        .into_iter()
                                        .map(|x| LookedUp::Owned(x.value().clone())),
                                );
                            }
                        }
                        v => collect(v, rest, out),
                    }
                    return;
                }
                idx += dot + 1;
            }
        }
        _ => {}
    }
}

/// The first value at `path` as text: strings as they are, numbers and booleans printed.
pub fn text_at(value: &Value, path: &str) -> Option<String> {
    lookup(value, path)
        .into_iter()
        .find_map(|v| scalar_text(v.value()))
}

/// A scalar as text (`None` for null, objects and arrays).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every string leaf of `value` (JSON text inside strings parsed too), for rules that look for
/// a value anywhere in a request (world-open CIDRs).
pub fn string_leaves(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let t = s.trim();
            if (t.starts_with('{') || t.starts_with('[')) && t.len() > 1 {
                if let Ok(parsed) = serde_json::from_str::<Value>(t) {
                    string_leaves(&parsed, out);
                    return;
                }
            }
            out.push(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| string_leaves(v, out)),
        Value::Object(map) => map.values().for_each(|v| string_leaves(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_lookup_events_and_sls() {
        let le = br#"{"EventId":"x","Username":"bob","CloudTrailEvent":"{\"eventName\":\"ConsoleLogin\",\"additionalEventData\":{\"MFAUsed\":\"No\"}}"}"#;
        let v = parse_record(le).unwrap();
        assert_eq!(
            text_at(&v, "additionalEventData.MFAUsed").as_deref(),
            Some("No")
        );
        assert_eq!(text_at(&v, "Username").as_deref(), Some("bob"));
        let sls = br#"{"__topic__":"actiontrail_audit_event","event.eventName":"ConsoleSignin","event.additionalEventData":"{\"isMFAChecked\":\"false\"}","event.userIdentity.type":"ram-user"}"#;
        let v = parse_record(sls).unwrap();
        assert_eq!(text_at(&v, "eventName").as_deref(), Some("ConsoleSignin"));
        assert_eq!(
            text_at(&v, "additionalEventData.isMFAChecked").as_deref(),
            Some("false")
        );
        assert_eq!(
            text_at(&v, "userIdentity.type").as_deref(),
            Some("ram-user")
        );
        let obj = br#"{"event":"{\"eventName\":\"StopLogging\"}"}"#;
        assert_eq!(
            text_at(&parse_record(obj).unwrap(), "eventName").as_deref(),
            Some("StopLogging")
        );
    }

    #[test]
    fn lookup_through_arrays_and_json_text() {
        let v: Value = serde_json::from_str(
            r#"{"a":{"items":[{"c":"1"},{"c":"2"}]},"d.e":3,"req":"{\"x\":{\"y\":\"z\"}}"}"#,
        )
        .unwrap();
        let got: Vec<String> = lookup(&v, "a.items.c")
            .iter()
            .filter_map(|x| scalar_text(x.value()))
            .collect();
        assert_eq!(got, ["1", "2"]);
        assert_eq!(text_at(&v, "d.e").as_deref(), Some("3"));
        assert_eq!(text_at(&v, "req.x.y").as_deref(), Some("z"));
        assert!(lookup(&v, "nope.x").is_empty());
    }

    /// Reading record by record, as `extract_records` did before it read through a window:
    /// the reference the windowed reading must equal.
    fn record_by_record(data: &[u8], wanted: &[(usize, RawRef)]) -> Vec<(usize, Vec<u8>)> {
        let mut sorted: Vec<&(usize, RawRef)> = wanted.iter().collect();
        sorted.sort_by_key(|(row, raw)| (raw.offset, *row));
        let mut out: Vec<(usize, Vec<u8>)> = Vec::new();
        let (mut pos, mut last) = (0u64, None::<u64>);
        for (row, raw) in sorted {
            if last == Some(raw.offset) {
                let again = out.last().map(|(_, b)| b.clone()).unwrap_or_default();
                out.push((*row, again));
                continue;
            }
            if raw.offset < pos {
                continue;
            }
            let end = raw.offset + u64::from(raw.len);
            if end > data.len() as u64 {
                break;
            }
            out.push((*row, data[raw.offset as usize..end as usize].to_vec()));
            (pos, last) = (end, Some(raw.offset));
        }
        out
    }

    #[test]
    fn windowed_reading_equals_record_by_record() {
        // 300 KB of records: spans cross the 64 KiB window, repeat, overlap, and run past
        // the end of the data.
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &data).unwrap();
        let gz = gz.finish().unwrap();
        for round in 0..40 {
            let n = 1 + (next() % 60) as usize;
            let mut wanted: Vec<(usize, RawRef)> = (0..n)
                .map(|row| {
                    let offset = next() % 310_000;
                    let len = (next() % 90_000) as u32;
                    (
                        row,
                        RawRef {
                            file: 0,
                            offset,
                            len,
                        },
                    )
                })
                .collect();
            if round % 3 == 0 {
                // The same span twice.
                let again = wanted[0].1;
                wanted.push((n, again));
            }
            let expected = record_by_record(&data, &wanted);
            let mut scratch = Vec::new();
            for stored in [&data[..], &gz[..]] {
                let got = extract_with(&mut &stored[..], &wanted, &Limits::default(), &mut scratch)
                    .unwrap();
                assert_eq!(got, expected, "round {round}");
            }
        }
    }

    #[test]
    fn a_damaged_trailer_matters_only_to_reads_reaching_it() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 97) as u8).collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &data).unwrap();
        let mut gz = gz.finish().unwrap();
        // A damaged CRC in the trailer: only reading to the end of the stream finds it.
        let crc = gz.len() - 8;
        gz[crc] ^= 0xff;
        let early = [(
            0usize,
            RawRef {
                file: 0,
                offset: 70_000,
                len: 100_000,
            },
        )];
        let got = extract_records(&mut &gz[..], &early, &Limits::default()).unwrap();
        assert_eq!(got, vec![(0, data[70_000..170_000].to_vec())]);
        let whole = [(
            0usize,
            RawRef {
                file: 0,
                offset: 0,
                len: 200_000,
            },
        )];
        assert_eq!(
            extract_records(&mut &gz[..], &whole, &Limits::default()).unwrap()[0].1,
            data
        );
        let past = [(
            0usize,
            RawRef {
                file: 0,
                offset: 0,
                len: 200_001,
            },
        )];
        assert!(extract_records(&mut &gz[..], &past, &Limits::default()).is_err());
    }

    #[test]
    fn extracts_in_one_pass_plain_and_gzip() {
        let data = b"[{\"a\":1},{\"b\":2},{\"c\":3}]";
        let refs = [
            (
                7usize,
                RawRef {
                    file: 0,
                    offset: 17,
                    len: 7,
                },
            ),
            (
                3usize,
                RawRef {
                    file: 0,
                    offset: 1,
                    len: 7,
                },
            ),
            (
                9usize,
                RawRef {
                    file: 0,
                    offset: 100,
                    len: 7,
                },
            ),
        ];
        let got = extract_records(&mut &data[..], &refs, &Limits::default()).unwrap();
        assert_eq!(
            got,
            vec![(3, b"{\"a\":1}".to_vec()), (7, b"{\"c\":3}".to_vec())]
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, data).unwrap();
        let gz = gz.finish().unwrap();
        let got = extract_records(&mut &gz[..], &refs, &Limits::default()).unwrap();
        assert_eq!(got.len(), 2);
    }
}
