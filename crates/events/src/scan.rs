//! A streaming structural scanner that cuts a decoded JSON stream into records.
//!
//! It does not parse values; it tracks strings, escapes and nesting depth so that it can hand
//! out the exact bytes of each record, with the record's offset, line and column, while the
//! input arrives in chunks of any size. That is what lets a multi-gigabyte single-line
//! `{"Records":[...]}` file be ingested in bounded memory: only one record is ever buffered,
//! and a record longer than the cap is skipped, not buffered.
//!
//! Records are the JSON objects found at these places:
//! * every top-level object (a single object, or one per line in NDJSON, or concatenated);
//! * every object element of a top-level array;
//! * every object element of the array under a *list key* (`Records`, `Events`, `records`,
//!   `traces`, `value`, `entries`) of a top-level object; such an object is a *wrapper* and is
//!   not itself a record;
//! * the same one level down, under the top-level object's `body` (an API response as SDKs
//!   print it: `{"headers":{…},"statusCode":200,"body":{"Events":[…]}}`);
//! * every *array* element of the list under `QueryResultRows` (a CloudTrail Lake
//!   `GetQueryResults` page, whose rows are arrays of one-key objects): the row is the record.

/// Keys whose array value holds the records of a wrapper object.
pub(crate) const LIST_KEYS: [&[u8]; 7] = [
    b"Records",
    b"Events",
    b"records",
    b"traces",
    b"value",
    b"entries",
    b"QueryResultRows",
];

/// The list (index in [`LIST_KEYS`]) whose records are arrays, not objects.
const ROWS: usize = 6;

/// The names of the lists, as [`Container::Wrapper`] numbers them: the list keys of a
/// top-level object, then the same under its `body`.
const LIST_NAMES: [&str; 14] = [
    "Records",
    "Events",
    "records",
    "traces",
    "value",
    "entries",
    "QueryResultRows",
    "body.Records",
    "body.Events",
    "body.records",
    "body.traces",
    "body.value",
    "body.entries",
    "body.QueryResultRows",
];

/// The name of the list a [`Container::Wrapper`] number stands for.
pub(crate) fn list_name(k: usize) -> &'static str {
    LIST_NAMES.get(k).copied().unwrap_or("entries")
}

/// The key of a top-level object whose object value is searched for list keys too.
const BODY_KEY: &[u8] = b"body";

/// Where a record sat in the stream's structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Container {
    /// A top-level object.
    Top,
    /// An element of a top-level array.
    Array,
    /// An element of the array under the given list key.
    Wrapper(usize),
}

/// A position in the decoded stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    /// Byte offset.
    pub offset: u64,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in bytes.
    pub column: u64,
}

/// What the scanner saw of a record's layout while cutting it, enough for
/// [`crate::dedup::record_hash`] without a second pass over its bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout<'a> {
    /// The record is an object with no whitespace outside its strings (a compact log
    /// record), so its bytes are what the hash reads.
    pub compact: bool,
    /// Where its member names are (start and end of each name's bytes between the quotes,
    /// relative to the record), in order; meaningful only when `compact`.
    pub keys: &'a [(u32, u32)],
}

/// What the scanner found.
pub(crate) enum Item<'a> {
    /// A complete record.
    Record {
        bytes: &'a [u8],
        at: Pos,
        container: Container,
        layout: Layout<'a>,
    },
    /// A record longer than the cap, skipped.
    TooLong { at: Pos },
    /// Broken structure at `at`.
    Syntax { at: Pos, message: &'static str },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Top {
    None,
    Object,
    Array,
}

/// Byte classes of [`Scanner::inside_record`]'s loop.
const PLAIN: u8 = 0;
const QUOTE: u8 = 1;
const OPEN: u8 = 2;
const CLOSE: u8 = 3;
const COMMA: u8 = 4;
const SPACE: u8 = 5;
const NEWLINE: u8 = 6;
const CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    t[b'"' as usize] = QUOTE;
    t[b'{' as usize] = OPEN;
    t[b'[' as usize] = OPEN;
    t[b'}' as usize] = CLOSE;
    t[b']' as usize] = CLOSE;
    t[b',' as usize] = COMMA;
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'\r' as usize] = SPACE;
    t[0x0c] = SPACE;
    t[b'\n' as usize] = NEWLINE;
    t
};

pub(crate) struct Scanner {
    max_record: usize,
    pos: u64,
    line: u64,
    line_start: u64,
    depth: u32,
    /// Container kinds of the first levels (b'{' or b'['), enough to classify records.
    stack: [u8; 4],
    in_str: bool,
    esc: bool,
    top: Top,
    /// In a top-level object: expecting a key at depth `key_depth`.
    expect_key: bool,
    /// The depth whose keys are tracked: 1, or 2 inside the top-level object's `body`.
    key_depth: u32,
    in_key: bool,
    key: Vec<u8>,
    /// The list key whose array we are inside (depth ≥ 2), if any.
    list: Option<usize>,
    /// Depth at which the current record's object opened (1-based depth after the `{`).
    rec_depth: Option<u32>,
    rec_at: Pos,
    rec_container: Container,
    rec_buf: Vec<u8>,
    rec_overflow: bool,
    /// The current record is an object and no whitespace outside its strings was seen.
    rec_compact: bool,
    /// At the record's own level, the next string is a member name.
    rec_expect_key: bool,
    /// Offset in the record of the first byte of the member name being read, if any.
    rec_key_from: Option<u32>,
    /// Where the record's member names read so far are, relative to the record.
    rec_keys: Vec<(u32, u32)>,
    /// Index in the current chunk where unbuffered record bytes begin.
    cap_from: usize,
    /// Set after the first top-level value: whether it fit on one line (then the input is
    /// treated as NDJSON and a newline inside a record ends it as broken).
    line_mode: Option<bool>,
    first_value_line: u64,
    skip_line: bool,
    /// Records handed out so far.
    pub records: u64,
    /// Tests only: every byte through the general loop, to check the tight one against it.
    #[cfg(test)]
    byte_by_byte: bool,
}

impl Scanner {
    pub(crate) fn new(max_record: usize) -> Self {
        Scanner {
            max_record,
            pos: 0,
            line: 1,
            line_start: 0,
            depth: 0,
            stack: [0; 4],
            in_str: false,
            esc: false,
            top: Top::None,
            expect_key: false,
            key_depth: 1,
            in_key: false,
            key: Vec::new(),
            list: None,
            rec_depth: None,
            rec_at: Pos::default(),
            rec_container: Container::Top,
            rec_buf: Vec::new(),
            rec_overflow: false,
            rec_compact: false,
            rec_expect_key: false,
            rec_key_from: None,
            rec_keys: Vec::new(),
            cap_from: 0,
            line_mode: None,
            first_value_line: 0,
            skip_line: false,
            records: 0,
            #[cfg(test)]
            byte_by_byte: false,
        }
    }

    /// Starts the stream at `offset` (after a byte-order mark the caller skipped).
    pub(crate) fn set_start(&mut self, offset: u64) {
        self.pos = offset;
        self.line_start = offset;
    }

    fn here(&self, i: usize, chunk_start: u64) -> Pos {
        let offset = chunk_start + i as u64;
        Pos {
            offset,
            line: self.line,
            column: offset - self.line_start + 1,
        }
    }

    fn reset(&mut self) {
        self.depth = 0;
        self.in_str = false;
        self.esc = false;
        self.top = Top::None;
        self.expect_key = false;
        self.key_depth = 1;
        self.in_key = false;
        self.list = None;
        self.rec_depth = None;
        self.rec_buf.clear();
        self.rec_overflow = false;
    }

    /// Scans the next chunk of the stream.
    pub(crate) fn feed(&mut self, chunk: &[u8], out: &mut dyn FnMut(Item<'_>)) {
        let base = self.pos;
        self.cap_from = 0;
        let mut i = 0;
        let n = chunk.len();
        while i < n {
            let b = chunk[i];
            if self.skip_line {
                match memchr::memchr(b'\n', &chunk[i..]) {
                    Some(p) => {
                        i += p;
                        self.skip_line = false;
                        continue; // the newline itself is handled below
                    }
                    None => break,
                }
            }
            let from = i;
            i = self.inside_record(chunk, i, base);
            if i != from {
                continue; // the general loop takes the byte it stopped at afresh
            }
            if self.in_str {
                if self.esc {
                    self.esc = false;
                    if self.in_key && self.key.len() < 64 {
                        self.key.push(b);
                    }
                    if b != b'\n' {
                        i += 1;
                        continue;
                    }
                } else {
                    let rest = &chunk[i..];
                    let p = trailproof_core::bytes::string_stop(rest);
                    if self.in_key {
                        let take = p.min(64usize.saturating_sub(self.key.len()));
                        self.key.extend_from_slice(&rest[..take]);
                    }
                    i += p;
                    if i >= n {
                        break;
                    }
                    match chunk[i] {
                        b'"' => {
                            self.in_str = false;
                            if let Some(from) = self.rec_key_from.take() {
                                let to = self.in_record(i, base);
                                self.rec_keys.push((from, to));
                            }
                            if self.in_key {
                                self.in_key = false;
                                self.expect_key = false;
                            }
                            i += 1;
                            continue;
                        }
                        b'\\' => {
                            self.esc = true;
                            i += 1;
                            continue;
                        }
                        _ => {} // newline: handled below
                    }
                }
            }
            let b = chunk[i];
            match b {
                b'\n' => {
                    self.rec_compact = false;
                    let at = self.here(i, base);
                    self.line += 1;
                    self.line_start = base + i as u64 + 1;
                    if self.depth > 0 && self.line_mode == Some(true) {
                        out(Item::Syntax {
                            at,
                            message: "line ends inside a record (NDJSON line is incomplete)",
                        });
                        self.reset();
                    }
                }
                b' ' | b'\t' | b'\r' | 0x0c => {
                    self.rec_compact = false;
                    if b == 0x0c && self.depth == 0 {
                        self.garbage(i, base, out);
                    }
                }
                0x1e => {}
                b'"' => {
                    if self.depth == 0 {
                        self.garbage(i, base, out);
                    } else {
                        self.in_str = true;
                        if self.rec_expect_key && self.rec_depth == Some(self.depth) {
                            self.rec_expect_key = false;
                            self.rec_key_from = Some(self.in_record(i + 1, base));
                        }
                        if self.depth == self.key_depth
                            && self.top == Top::Object
                            && self.expect_key
                        {
                            self.in_key = true;
                            self.key.clear();
                        }
                    }
                }
                b'{' | b'[' => {
                    if self.depth == 0 {
                        self.top = if b == b'{' { Top::Object } else { Top::Array };
                        self.first_value_line = self.line;
                        self.expect_key = b == b'{';
                        self.key_depth = 1;
                        self.list = None;
                        if b == b'{' {
                            self.begin_record(i, base, Container::Top, true);
                        }
                    } else if b == b'['
                        && self.rec_depth.is_none()
                        && self.depth == self.key_depth + 1
                        && self.list.is_some_and(|k| k % LIST_KEYS.len() == ROWS)
                    {
                        // A Lake result row: an array of one-key objects.
                        if let Some(k) = self.list {
                            self.begin_record(i, base, Container::Wrapper(k), false);
                        }
                    } else if b == b'{' && self.rec_depth.is_none() {
                        // A record starts at depth 1 of a top array, or depth 2 of a wrapper list.
                        if self.depth == 1 && self.top == Top::Array {
                            self.begin_record(i, base, Container::Array, true);
                        } else if self.depth == self.key_depth + 1 {
                            if let Some(k) = self.list.filter(|k| k % LIST_KEYS.len() != ROWS) {
                                self.begin_record(i, base, Container::Wrapper(k), true);
                            }
                        }
                    } else if b == b'{'
                        && self.depth == 1
                        && self.key_depth == 1
                        && self.top == Top::Object
                        && self.list.is_none()
                        && self.key == BODY_KEY
                    {
                        // An API response's `body`: its keys are searched for a list too.
                        self.key_depth = 2;
                        self.expect_key = true;
                    } else if b == b'[' && self.depth == self.key_depth && self.top == Top::Object {
                        if let Some(k) = LIST_KEYS.iter().position(|k| *k == self.key.as_slice()) {
                            // A wrapper: the top-level object is not a record after all.
                            let under_body = if self.key_depth == 2 {
                                LIST_KEYS.len()
                            } else {
                                0
                            };
                            self.list = Some(k + under_body);
                            self.rec_depth = None;
                            self.rec_buf.clear();
                            self.rec_overflow = false;
                        }
                    }
                    if (self.depth as usize) < self.stack.len() {
                        self.stack[self.depth as usize] = b;
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        self.garbage(i, base, out);
                        i += 1;
                        continue;
                    }
                    self.depth -= 1;
                    let open = if b == b'}' { b'{' } else { b'[' };
                    if (self.depth as usize) < self.stack.len()
                        && self.stack[self.depth as usize] != open
                    {
                        let at = self.here(i, base);
                        out(Item::Syntax {
                            at,
                            message: "mismatched closing bracket",
                        });
                        self.reset();
                        self.skip_line = true;
                        i += 1;
                        continue;
                    }
                    if self.depth == self.key_depth && b == b']' {
                        self.list = None;
                    }
                    if self.depth == 1 && self.key_depth == 2 && b == b'}' {
                        // Leaving `body`: back to the top-level object's keys.
                        self.key_depth = 1;
                    }
                    if let Some(d) = self.rec_depth {
                        if self.depth + 1 == d {
                            self.end_record(chunk, i, out);
                        }
                    }
                    if self.depth == 0 {
                        if self.line_mode.is_none() {
                            self.line_mode = Some(self.first_value_line == self.line);
                        }
                        self.top = Top::None;
                    }
                }
                b',' => {
                    if self.depth == self.key_depth && self.top == Top::Object {
                        self.expect_key = true;
                    }
                    if self.rec_depth == Some(self.depth) {
                        self.rec_expect_key = true;
                    }
                }
                _ => {
                    if self.depth == 0 {
                        self.garbage(i, base, out);
                    }
                }
            }
            i += 1;
        }
        // Buffer the unfinished record's bytes of this chunk.
        if self.rec_depth.is_some() && !self.rec_overflow {
            self.append(&chunk[self.cap_from.min(n)..]);
        }
        self.pos = base + n as u64;
    }

    /// Reads `chunk` from `i` inside a record, below the levels whose member names the
    /// general loop follows (the top-level object's, or its `body`'s): there only strings,
    /// nesting, the record's own member names and whitespace matter, so the bytes go through
    /// one tight loop with the state in locals. That is most of a log's bytes, and the
    /// general loop's per-byte checks cost more than the rest of the cut. It stops, and
    /// returns where, at whatever needs the general loop: a newline, a bracket that closes
    /// the record or one of the levels kept in `stack` (which checks it), an escape at the end
    /// of the chunk or before a newline, and the end of the chunk. Outside a record, inside a
    /// string, or at the levels the general loop follows it takes nothing and returns `i`.
    fn inside_record(&mut self, chunk: &[u8], mut i: usize, base: u64) -> usize {
        let Some(rec) = self
            .rec_depth
            .filter(|_| !self.in_str && self.depth > self.key_depth)
        else {
            return i;
        };
        #[cfg(test)]
        if self.byte_by_byte {
            return i;
        }
        let n = chunk.len();
        let mut depth = self.depth;
        let mut compact = self.rec_compact;
        let mut expect_key = self.rec_expect_key;
        'bytes: while i < n {
            let b = chunk[i];
            match CLASS[b as usize] {
                QUOTE => {
                    let name = expect_key && depth == rec;
                    expect_key &= !name;
                    let from = i + 1;
                    let mut j = from;
                    loop {
                        j += trailproof_core::bytes::string_stop(&chunk[j..]);
                        match chunk.get(j) {
                            Some(b'"') => break,
                            Some(b'\\') if chunk.get(j + 1).is_some_and(|&c| c != b'\n') => j += 2,
                            stop => {
                                // The string goes on past the chunk or a newline: the general
                                // loop takes it from there, escape pending if one is.
                                self.in_str = true;
                                if stop == Some(&b'\\') {
                                    self.esc = true;
                                    j += 1;
                                }
                                if name {
                                    self.rec_key_from = Some(self.in_record(from, base));
                                }
                                i = j;
                                break 'bytes;
                            }
                        }
                    }
                    if name {
                        let key = (self.in_record(from, base), self.in_record(j, base));
                        self.rec_keys.push(key);
                    }
                    i = j + 1;
                }
                OPEN => {
                    if let Some(slot) = self.stack.get_mut(depth as usize) {
                        *slot = b;
                    }
                    depth += 1;
                    i += 1;
                }
                CLOSE if depth > rec && depth as usize > self.stack.len() => {
                    depth -= 1;
                    i += 1;
                }
                COMMA => {
                    expect_key |= depth == rec;
                    i += 1;
                }
                SPACE => {
                    compact = false;
                    i += 1;
                }
                CLOSE | NEWLINE => break,
                _ => i += 1,
            }
        }
        self.depth = depth;
        self.rec_compact = compact;
        self.rec_expect_key = expect_key;
        i
    }

    fn garbage(&mut self, i: usize, base: u64, out: &mut dyn FnMut(Item<'_>)) {
        let at = self.here(i, base);
        out(Item::Syntax {
            at,
            message: "expected a JSON object or array",
        });
        self.skip_line = true;
    }

    /// Starts a record at `chunk[i]`, which is `{` when `object`, else `[`.
    fn begin_record(&mut self, i: usize, base: u64, container: Container, object: bool) {
        self.rec_depth = Some(self.depth + 1);
        self.rec_at = self.here(i, base);
        self.rec_container = container;
        self.rec_buf.clear();
        self.rec_overflow = false;
        self.rec_compact = object;
        self.rec_expect_key = object;
        self.rec_key_from = None;
        self.rec_keys.clear();
        self.cap_from = i;
    }

    /// The offset of `chunk[i]` in the current record (which is at most `max_record` long).
    fn in_record(&self, i: usize, base: u64) -> u32 {
        (base + i as u64 - self.rec_at.offset) as u32
    }

    /// The layout of the record that has just ended, for [`Item::Record`].
    fn layout(&self) -> Layout<'_> {
        Layout {
            compact: self.rec_compact,
            keys: &self.rec_keys,
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.rec_buf.len() + bytes.len() > self.max_record {
            self.rec_overflow = true;
            self.rec_buf = Vec::new();
        } else {
            self.rec_buf.extend_from_slice(bytes);
        }
    }

    fn end_record(&mut self, chunk: &[u8], i: usize, out: &mut dyn FnMut(Item<'_>)) {
        let at = self.rec_at;
        let container = self.rec_container;
        self.rec_depth = None;
        if self.rec_overflow {
            self.rec_overflow = false;
            out(Item::TooLong { at });
        } else if self.rec_buf.is_empty() {
            // The whole record is inside this chunk: no copy.
            let bytes = &chunk[self.cap_from..=i];
            if bytes.len() > self.max_record {
                out(Item::TooLong { at });
            } else {
                self.records += 1;
                let layout = self.layout();
                out(Item::Record {
                    bytes,
                    at,
                    container,
                    layout,
                });
            }
        } else {
            let tail = &chunk[self.cap_from..=i];
            self.append(tail);
            if self.rec_overflow {
                self.rec_overflow = false;
                out(Item::TooLong { at });
            } else {
                let buf = std::mem::take(&mut self.rec_buf);
                self.records += 1;
                let layout = self.layout();
                out(Item::Record {
                    bytes: &buf,
                    at,
                    container,
                    layout,
                });
                self.rec_buf = buf;
            }
            self.rec_buf.clear();
        }
        self.cap_from = i + 1;
    }

    /// Ends the stream; reports a truncated value.
    pub(crate) fn finish(&mut self, out: &mut dyn FnMut(Item<'_>)) {
        if self.depth > 0 || self.in_str {
            let at = Pos {
                offset: self.pos,
                line: self.line,
                column: self.pos - self.line_start + 1,
            };
            out(Item::Syntax {
                at,
                message: "unexpected end of input (truncated JSON)",
            });
        }
        self.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], chunk: usize) -> (Vec<(String, u64, Container)>, Vec<String>) {
        let mut s = Scanner::new(1000);
        let mut recs = Vec::new();
        let mut errs = Vec::new();
        let mut f = |it: Item<'_>| match it {
            Item::Record {
                bytes,
                at,
                container,
                ..
            } => recs.push((
                String::from_utf8_lossy(bytes).into_owned(),
                at.offset,
                container,
            )),
            Item::TooLong { at } => errs.push(format!("toolong@{}", at.offset)),
            Item::Syntax { at, message } => {
                errs.push(format!("{message}@{}:{}", at.line, at.column))
            }
        };
        for c in input.chunks(chunk.max(1)) {
            s.feed(c, &mut f);
        }
        s.finish(&mut f);
        (recs, errs)
    }

    /// The hash and shape taken from the scanner's layout equal [`record_hash`]'s own pass
    /// over the record, at every chunking (records and member names cut across chunks,
    /// escaped names, nested objects, whitespace that forces the second pass).
    #[test]
    fn layout_gives_the_record_hash_at_any_chunking() {
        use crate::dedup::{record_hash, scanned_record_hash};
        let inputs: [&[u8]; 6] = [
            br#"{"Records":[{"eventTime":"t","a\"b":{"c":[1,{"d":"}"}]},"e":"x,\"y"},{"f":1,"g":{"h":2}}]}"#,
            b"[{\"a\":1,\"b\":[{\"x\":1},2],\"c\":\"q\"},{ \"a\": 1 },{\"a\":\"x y\",\n\"b\":2}]",
            b"{\"x\":1,\"y\":{\"z\":\"\\u0041\"}}\n{\"y\":2,\"x\":1}\n{\"a\":[]}\x0c{\"b\":{}}",
            br#"{"QueryResultRows":[[{"eventTime":"t"},{"x":[1]}]],"Events":[{"k":"v"}]}"#,
            br#"{"body":{"Events":[{"e":1,"f":{"g":"h"}}]}}"#,
            br#"{"a":"\\","\\":{"b":[[],{}]},"c":null}"#,
        ];
        for input in inputs {
            for chunk in 1..=input.len() {
                let mut s = Scanner::new(1000);
                let mut seen = 0;
                let mut check = |it: Item<'_>| {
                    if let Item::Record { bytes, layout, .. } = it {
                        seen += 1;
                        assert_eq!(
                            scanned_record_hash(bytes, layout),
                            record_hash(bytes),
                            "{} at chunk {chunk}",
                            String::from_utf8_lossy(bytes)
                        );
                    }
                };
                for c in input.chunks(chunk) {
                    s.feed(c, &mut check);
                }
                s.finish(&mut check);
                assert!(seen >= 1);
            }
        }
        // A compact record is hashed in one pass; one with whitespace outside its strings
        // is not, and the two agree on content and shape.
        let (compact, spaced) = (
            br#"{"a":"x y","b":[1,2]}"#,
            b"{ \"a\": \"x y\",\n \"b\": [1, 2] }",
        );
        let mut layouts = Vec::new();
        for input in [&compact[..], &spaced[..]] {
            let mut s = Scanner::new(1000);
            s.feed(input, &mut |it| {
                if let Item::Record { bytes, layout, .. } = it {
                    layouts.push((
                        layout.compact,
                        layout.keys.to_vec(),
                        scanned_record_hash(bytes, layout),
                    ));
                }
            });
        }
        assert!(layouts[0].0);
        assert_eq!(layouts[0].1, vec![(2, 3), (12, 13)]);
        assert!(!layouts[1].0);
        assert_eq!(layouts[0].2, layouts[1].2);
    }

    /// Everything the scanner hands out, as text, to compare two runs.
    fn items(input: &[u8], chunk: usize, byte_by_byte: bool) -> Vec<String> {
        let mut s = Scanner::new(300);
        s.byte_by_byte = byte_by_byte;
        let mut got = Vec::new();
        let mut f = |it: Item<'_>| {
            got.push(match it {
                Item::Record {
                    bytes,
                    at,
                    container,
                    layout,
                } => format!(
                    "{:?} {at:?} {container:?} {} {:?}",
                    String::from_utf8_lossy(bytes),
                    layout.compact,
                    layout.keys
                ),
                Item::TooLong { at } => format!("too long {at:?}"),
                Item::Syntax { at, message } => format!("{message} {at:?}"),
            })
        };
        for c in input.chunks(chunk) {
            s.feed(c, &mut f);
        }
        s.finish(&mut f);
        got.push(format!("{} records", s.records));
        got
    }

    /// The tight loop inside records gives what the general loop gives byte by byte: every
    /// record (bytes, position, container, layout), every problem, at every chunking, on
    /// logs with records nested past the levels the scanner keeps, escapes (of quotes,
    /// backslashes, newlines) at chunk ends, whitespace, NDJSON, and each byte of them
    /// replaced by each byte the scanner reads.
    #[test]
    fn the_tight_loop_reads_as_the_general_one() {
        let deep =
            r#"{"a":{"b":[{"c":{"d":[1,{"e":"}]\"\\"}]}}],"f":"x"},"g":[[[[["h"]]]]],"i":"j\"k"}"#;
        let inputs: Vec<Vec<u8>> = vec![
            format!(r#"{{"Records":[{deep},{{"eventTime":"t","x":{{"y":[]}}}},{deep}]}}"#)
                .into_bytes(),
            format!("{deep}\n{deep}\n{{\"a\": [ {{ \"b\" : [1, 2] }} ]}}\n").into_bytes(),
            format!(r#"{{"body":{{"Events":[{deep},{{"q":"a\nb"}}]}}}}"#).into_bytes(),
            format!("[{deep},{{\"x\":\"\\\n\"}},{{\"y\":[{{\"z\":[{{\"w\":1}}]}}]}}]").into_bytes(),
            br#"{"Records":[{"a":{"b":{"c":{"d":{"e":1}]}}},{"f":2}]}"#.to_vec(),
            format!(r#"{{"Records":[{{"long":"{}"}},{deep}]}}"#, "v".repeat(400)).into_bytes(),
        ];
        let subs = [b'"', b'\\', b'{', b'}', b'[', b']', b',', b' ', b'\n', b'x'];
        for input in &inputs {
            for chunk in 1..=input.len().min(90) {
                assert_eq!(
                    items(input, chunk, false),
                    items(input, chunk, true),
                    "{} at chunk {chunk}",
                    String::from_utf8_lossy(input)
                );
            }
            for at in 0..input.len() {
                for sub in subs {
                    let mut m = input.clone();
                    m[at] = sub;
                    for chunk in [1, 5, 64, m.len()] {
                        assert_eq!(
                            items(&m, chunk, false),
                            items(&m, chunk, true),
                            "{} at chunk {chunk}",
                            String::from_utf8_lossy(&m)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn shapes_any_chunking() {
        let input = br#"{"Records":[{"a":"x}"},{"b":[1,{"c":2}]}],"x":{"y":1}}"#;
        for chunk in [1, 2, 3, 7, 1000] {
            let (recs, errs) = run(input, chunk);
            assert!(errs.is_empty(), "{errs:?}");
            assert_eq!(recs.len(), 2);
            assert_eq!(recs[0].0, r#"{"a":"x}"}"#);
            assert_eq!(recs[0].1, 12);
            assert_eq!(recs[1].0, r#"{"b":[1,{"c":2}]}"#);
            assert_eq!(recs[1].2, Container::Wrapper(0));
        }
        let (recs, _) = run(b"[{\"a\":1},\n{\"b\":\"\\\"}\"}]", 2);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].0, "{\"b\":\"\\\"}\"}");
        let (recs, errs) = run(b"{\"a\":1}\n{\"b\":2\n{\"c\":3}\n", 4);
        assert_eq!(recs.len(), 2);
        assert_eq!(
            errs,
            vec!["line ends inside a record (NDJSON line is incomplete)@2:7".to_string()]
        );
        let (recs, errs) = run(b"{\"digest\":1,\"logFiles\":[{\"a\":1}]}", 5);
        assert_eq!(recs.len(), 1);
        assert!(errs.is_empty());
        let (recs, errs) = run(b"[{\"a\":1},{\"b\":", 3);
        assert_eq!(recs.len(), 1);
        assert_eq!(errs.len(), 1);
        // An API response: the records are under `body`'s list, at any chunking; a `body`
        // without a list leaves the object a record, and keys after `body` are top-level again.
        let resp = br#"{"headers":{"Events":[{"no":1}]},"statusCode":200,"body":{"RequestId":"r","Events":[{"e":1},{"e":{"f":[2]}}],"NextToken":"t"},"Records":[{"r":3}]}"#;
        for chunk in [1, 2, 5, 1000] {
            let (recs, errs) = run(resp, chunk);
            assert!(errs.is_empty(), "{errs:?}");
            let got: Vec<_> = recs.iter().map(|r| (r.0.as_str(), r.2)).collect();
            assert_eq!(
                got,
                vec![
                    (r#"{"e":1}"#, Container::Wrapper(8)),
                    (r#"{"e":{"f":[2]}}"#, Container::Wrapper(8)),
                    (r#"{"r":3}"#, Container::Wrapper(0)),
                ]
            );
            assert_eq!(list_name(8), "body.Events");
        }
        let (recs, errs) = run(
            br#"{"statusCode":200,"body":{"Code":"x","items":[{"a":1}]}}"#,
            3,
        );
        assert!(errs.is_empty());
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].2, Container::Top);
        // Lake rows are arrays; object elements of that list are not records.
        let page = br#"{"QueryStatus":"FINISHED","QueryResultRows":[[{"eventTime":"t"},{"x":[1]}],{"no":1},[]],"NextToken":"n"}"#;
        for chunk in [1, 3, 1000] {
            let (recs, errs) = run(page, chunk);
            assert!(errs.is_empty(), "{errs:?}");
            let got: Vec<_> = recs.iter().map(|r| (r.0.as_str(), r.2)).collect();
            assert_eq!(
                got,
                vec![
                    (r#"[{"eventTime":"t"},{"x":[1]}]"#, Container::Wrapper(6)),
                    ("[]", Container::Wrapper(6)),
                ]
            );
        }
        let big = format!("[{{\"a\":\"{}\"}},{{\"b\":1}}]", "x".repeat(2000));
        let (recs, errs) = run(big.as_bytes(), 100);
        assert_eq!(recs.len(), 1);
        assert_eq!(errs, vec!["toolong@1".to_string()]);
    }
}
