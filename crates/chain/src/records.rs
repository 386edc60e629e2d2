//! Facts about a log's records, taken while its bytes stream past the hasher.
//!
//! Coverage by content (`docs/report.md`, "Coverage") needs, for a log that no digest lists,
//! the account, region or service its records belong to and when they happened. The scanner
//! already inflates every log to hash it, so an incremental JSON tokenizer reads those few
//! fields from the same chunks: no second pass, no tree, constant memory.
//!
//! Only *record-level* fields count: members of objects that are either top-level values, or
//! elements of a top-level array, or elements of an array held directly by a top-level object
//! (`{"Records":[…]}`). A key of the same name nested deeper (inside `requestParameters`,
//! say) is ignored, so content an attacker or a user controls cannot pose as a record field.
//! Keys and values are JSON-unescaped before they are compared, so `"\u0065ventTime"` is
//! `eventTime`, as any JSON parser would read it.

use std::borrow::Cow;
use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::names::parse_iso;

/// How many distinct scopes (account/region pairs or services) one file may report; beyond
/// that the facts are marked incomplete rather than growing without bound.
const MAX_SCOPES: usize = 64;
/// Longest key or captured value kept (raw, before unescaping). Every field read here is
/// short; longer strings are skipped, not truncated.
const MAX_TOKEN: usize = 256;
/// Deepest nesting tracked; deeper input stops extraction (the hash is unaffected).
const MAX_DEPTH: usize = 512;
/// Most fields a schema reads.
const MAX_FIELDS: usize = 4;

/// What a log's records say about where and when they belong.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RecordFacts {
    /// Records seen.
    pub(crate) records: u64,
    /// Oldest record time (epoch seconds): CloudTrail `eventTime`, CTS `time`.
    pub(crate) oldest: Option<i64>,
    /// Newest record time (epoch seconds).
    pub(crate) newest: Option<i64>,
    /// CloudTrail: the distinct (`recipientAccountId`, `awsRegion`) pairs.
    #[serde(default)]
    pub(crate) accounts: Vec<(String, String)>,
    /// CTS: the distinct `service_type` values.
    #[serde(default)]
    pub(crate) services: Vec<String>,
    /// CloudTrail: at least one record, and every record is an Insights event.
    #[serde(default)]
    pub(crate) insights_only: bool,
    /// False when extraction stopped early (not JSON, too deep, too many scopes, inflation
    /// cap): the facts describe only part of the file.
    pub(crate) complete: bool,
}

/// Which record fields to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Schema {
    /// CloudTrail: `eventTime`, `recipientAccountId`, `awsRegion`, `eventType`.
    Aws,
    /// Huawei CTS: `time`, `service_type`.
    Cts,
}

impl Schema {
    fn fields(self) -> &'static [&'static str] {
        match self {
            Schema::Aws => &["eventTime", "recipientAccountId", "awsRegion", "eventType"],
            Schema::Cts => &["time", "service_type"],
        }
    }

    /// Which of [`Schema::fields`] a member name (unescaped) is.
    fn field(self, name: &[u8]) -> Option<usize> {
        self.fields()
            .iter()
            .position(|f| trailproof_core::bytes::eq(f.as_bytes(), name))
    }
}

/// The text of a JSON string's contents as written between its quotes (or of a literal):
/// unescaped, as any JSON parser reads it; `None` when it is not valid.
fn json_text(raw: &[u8]) -> Option<Cow<'_, str>> {
    if !raw.contains(&b'\\') {
        return std::str::from_utf8(raw).ok().map(Cow::Borrowed);
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted)
        .ok()
        .map(Cow::Owned)
}

#[derive(Clone, Copy, Debug)]
enum Frame {
    Object {
        record: bool,
        expect_key: bool,
        /// Index in the schema's fields of the current member's key, when it is one.
        field: Option<usize>,
    },
    Array {
        /// Objects directly inside are records.
        records: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lex {
    Between,
    /// Inside a string; `key` when it is an object key; `capture` when its value is kept.
    Str {
        key: bool,
        capture: Option<usize>,
        escaped: bool,
    },
    /// Inside a number or `true`/`false`/`null`.
    Literal {
        capture: Option<usize>,
    },
}

/// The incremental extractor: feed it inflated chunks, then [`Extractor::finish`].
pub(crate) struct Extractor {
    schema: Schema,
    stack: Vec<Frame>,
    lex: Lex,
    token: Vec<u8>,
    token_too_long: bool,
    current: [Option<String>; MAX_FIELDS],
    /// The last (account, region) pair recorded: records of one file nearly always share
    /// it, so the set is consulted only when it changes.
    last_account: Option<(String, String)>,
    accounts: BTreeSet<(String, String)>,
    services: BTreeSet<String>,
    facts: RecordFacts,
    non_insight: bool,
    stopped: bool,
    /// Whether nested values are skipped in bulk ([`Extractor::skip_inert`]) and whole strings
    /// read at once ([`Extractor::whole_string`]); off only in the test that checks both
    /// against the byte-by-byte path.
    skips_inert: bool,
}

impl Extractor {
    pub(crate) fn new(schema: Schema) -> Extractor {
        Extractor {
            schema,
            stack: Vec::new(),
            lex: Lex::Between,
            token: Vec::new(),
            token_too_long: false,
            current: Default::default(),
            last_account: None,
            accounts: BTreeSet::new(),
            services: BTreeSet::new(),
            facts: RecordFacts {
                complete: true,
                ..RecordFacts::default()
            },
            non_insight: false,
            stopped: false,
            skips_inert: true,
        }
    }

    /// Marks the facts partial (the file was cut short by a cap, or is not what it claims).
    pub(crate) fn stop(&mut self) {
        self.stopped = true;
        self.facts.complete = false;
    }

    /// Reads one chunk of the inflated content.
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        while !self.stopped {
            // Most of a record's bytes are in values nested below its members (request
            // parameters, response elements, the identity): nothing there is read, so they
            // are skipped by bracket and string alone.
            if self.lex == Lex::Between && self.skips_inert && self.inert() {
                rest = self.skip_inert(rest);
                if rest.is_empty() {
                    return;
                }
            }
            // A record's member names, and the values nobody reads, are mostly short strings
            // with no escape that start and end in this chunk: read each at once.
            if self.lex == Lex::Between && self.skips_inert {
                if let Some(n) = self.whole_string(rest) {
                    rest = rest.get(n..).unwrap_or_default();
                    continue;
                }
            }
            // Most bytes of a log are inside strings (request parameters, ARNs, user
            // agents), where only a quote or a backslash matters: jump straight to the next
            // one, keeping the bytes passed over when the string is a key or a wanted value.
            if let Lex::Str {
                key,
                capture,
                escaped: false,
            } = self.lex
            {
                let next = memchr::memchr2(b'"', b'\\', rest);
                if key || capture.is_some() {
                    let upto = next.unwrap_or(rest.len());
                    self.push_slice(rest.get(..upto).unwrap_or_default());
                }
                match next {
                    Some(p) => rest = rest.get(p..).unwrap_or_default(),
                    None => return,
                }
            }
            let Some((&b, tail)) = rest.split_first() else {
                return;
            };
            self.byte(b);
            rest = tail;
        }
    }

    /// Whether the innermost open value is nested below a record's members (or below a
    /// wrapper's non-record values): inside it no key is read, no value captured and no
    /// record counted, so only its brackets (depth limit, matching) and strings (to tell
    /// their brackets from structure) matter.
    fn inert(&self) -> bool {
        self.stack.len() >= 2
            && matches!(
                self.stack.last(),
                Some(Frame::Object { record: false, .. } | Frame::Array { records: false })
            )
    }

    /// Skips `rest` while the innermost value is [`Extractor::inert`], exactly as
    /// [`Extractor::byte`] would go through it (frames pushed and popped, mismatches and the
    /// depth limit stop extraction; separators, literals and string contents change nothing
    /// that is read); returns what is left once a frame that is read is innermost again, or
    /// an empty slice at the end of the chunk (inside a string: the string state is kept).
    fn skip_inert<'b>(&mut self, rest: &'b [u8]) -> &'b [u8] {
        let mut i = 0;
        while let Some(&b) = rest.get(i) {
            match b {
                b'"' => {
                    let mut j = i + 1;
                    loop {
                        let Some(tail) = rest.get(j..) else {
                            // The escape's second byte is in the next chunk.
                            self.lex = Lex::Str {
                                key: false,
                                capture: None,
                                escaped: true,
                            };
                            return &[];
                        };
                        match memchr::memchr2(b'"', b'\\', tail) {
                            Some(k) if tail[k] == b'\\' => j += k + 2,
                            Some(k) => {
                                i = j + k + 1;
                                break;
                            }
                            None => {
                                self.lex = Lex::Str {
                                    key: false,
                                    capture: None,
                                    escaped: false,
                                };
                                return &[];
                            }
                        }
                    }
                    continue;
                }
                b'{' | b'[' => {
                    if self.stack.len() >= MAX_DEPTH {
                        self.stop();
                        return &[];
                    }
                    self.stack.push(if b == b'{' {
                        Frame::Object {
                            record: false,
                            expect_key: true,
                            field: None,
                        }
                    } else {
                        Frame::Array { records: false }
                    });
                }
                b'}' | b']' => {
                    let matched = matches!(
                        (b, self.stack.pop()),
                        (b'}', Some(Frame::Object { .. })) | (b']', Some(Frame::Array { .. }))
                    );
                    if !matched {
                        self.stop();
                        return &[];
                    }
                    if !self.inert() {
                        return rest.get(i + 1..).unwrap_or_default();
                    }
                }
                _ => {}
            }
            i += 1;
        }
        &[]
    }

    /// Reads a string at the start of `rest` in one step, as [`Extractor::byte`] would byte by
    /// byte, when it ends in `rest`, has no escape and is a member name or a value that is not
    /// captured; returns the bytes it took (quotes included), or `None` to leave it to the
    /// byte path.
    fn whole_string(&mut self, rest: &[u8]) -> Option<usize> {
        let body = rest.strip_prefix(b"\"")?;
        let (key, capture) = self.string_role();
        if capture.is_some() {
            return None;
        }
        let end = memchr::memchr2(b'"', b'\\', body)?;
        if body.get(end) != Some(&b'"') {
            return None;
        }
        if key {
            // No schema field is near `MAX_TOKEN` long, so a longer name matches none here,
            // as it matches none on the byte path (where it is marked too long).
            let found = self.schema.field(body.get(..end).unwrap_or_default());
            if let Some(Frame::Object { field, .. }) = self.stack.last_mut() {
                *field = found;
            }
        }
        Some(end + 2)
    }

    /// What a string starting now is: a record's member name, or the value of a field that
    /// is captured (`None` for any other string).
    fn string_role(&self) -> (bool, Option<usize>) {
        let key = matches!(
            self.stack.last(),
            Some(Frame::Object {
                expect_key: true,
                record: true,
                ..
            })
        );
        let capture = if key { None } else { self.capture_target() };
        (key, capture)
    }

    fn byte(&mut self, b: u8) {
        match self.lex {
            Lex::Str {
                key,
                capture,
                escaped,
            } => {
                if escaped {
                    self.lex = Lex::Str {
                        key,
                        capture,
                        escaped: false,
                    };
                    self.push_token(b);
                } else if b == b'\\' {
                    self.lex = Lex::Str {
                        key,
                        capture,
                        escaped: true,
                    };
                    self.push_token(b);
                } else if b == b'"' {
                    self.lex = Lex::Between;
                    self.end_string(key, capture);
                } else {
                    self.push_token(b);
                }
            }
            Lex::Literal { capture } => {
                if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.') {
                    self.push_token(b);
                } else {
                    self.lex = Lex::Between;
                    if let Some(i) = capture {
                        self.capture(i);
                    }
                    self.between(b);
                }
            }
            Lex::Between => self.between(b),
        }
    }

    fn push_token(&mut self, b: u8) {
        if self.token.len() < MAX_TOKEN {
            self.token.push(b);
        } else {
            self.token_too_long = true;
        }
    }

    /// [`Extractor::push_token`] for each byte of `bytes`.
    fn push_slice(&mut self, bytes: &[u8]) {
        let room = MAX_TOKEN.saturating_sub(self.token.len());
        if bytes.len() > room {
            self.token_too_long = true;
        }
        self.token
            .extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
    }

    fn start_token(&mut self) {
        self.token.clear();
        self.token_too_long = false;
    }

    /// Whether an object opened now is a record.
    fn record_position(&self) -> bool {
        match self.stack.last() {
            None => true,
            Some(Frame::Array { records }) => *records,
            Some(Frame::Object { .. }) => false,
        }
    }

    /// The field to capture for a scalar value starting now.
    fn capture_target(&self) -> Option<usize> {
        match self.stack.last() {
            Some(Frame::Object {
                record: true,
                expect_key: false,
                field,
            }) => *field,
            _ => None,
        }
    }

    fn between(&mut self, b: u8) {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'{' => {
                if self.stack.len() >= MAX_DEPTH {
                    return self.stop();
                }
                let record = self.record_position();
                if record {
                    self.current.iter_mut().for_each(|c| *c = None);
                }
                self.stack.push(Frame::Object {
                    record,
                    expect_key: true,
                    field: None,
                });
            }
            b'[' => {
                if self.stack.len() >= MAX_DEPTH {
                    return self.stop();
                }
                // Records sit in a top-level array, or in an array a top-level object holds.
                // An array in a top-level object is the record list when that object has
                // shown no record field yet (`{"Records":[…]}`): the object is a wrapper,
                // not a record. A top-level record's own arrays (`resources`) come after
                // its `eventTime`/`time`, so they stay nested values.
                let fresh = self.current.iter().all(Option::is_none);
                let records = match self.stack.as_mut_slice() {
                    [] => true,
                    [Frame::Object { record, .. }] if fresh => {
                        *record = false;
                        true
                    }
                    _ => false,
                };
                self.stack.push(Frame::Array { records });
            }
            b'}' => match self.stack.pop() {
                Some(Frame::Object { record, .. }) => {
                    if record {
                        self.end_record();
                    }
                }
                _ => self.stop(),
            },
            b']' => match self.stack.pop() {
                Some(Frame::Array { .. }) => {}
                _ => self.stop(),
            },
            b':' => {
                if let Some(Frame::Object { expect_key, .. }) = self.stack.last_mut() {
                    *expect_key = false;
                }
            }
            b',' => {
                if let Some(Frame::Object {
                    expect_key, field, ..
                }) = self.stack.last_mut()
                {
                    *expect_key = true;
                    *field = None;
                }
            }
            b'"' => {
                // Only keys of record objects are read; any other string is skipped in bulk
                // unless it is the value of a wanted field.
                let (key, capture) = self.string_role();
                self.start_token();
                self.lex = Lex::Str {
                    key,
                    capture,
                    escaped: false,
                };
            }
            _ => {
                let capture = self.capture_target();
                self.start_token();
                self.push_token(b);
                self.lex = Lex::Literal { capture };
            }
        }
    }

    /// The current token as a string, JSON-unescaped; `None` when too long or invalid.
    fn token_text(&self) -> Option<Cow<'_, str>> {
        if self.token_too_long {
            return None;
        }
        json_text(&self.token)
    }

    fn end_string(&mut self, key: bool, capture: Option<usize>) {
        if key {
            let found = self
                .token_text()
                .and_then(|t| self.schema.field(t.as_bytes()));
            if let Some(Frame::Object { field, .. }) = self.stack.last_mut() {
                *field = found;
            }
        } else if let Some(i) = capture {
            self.capture(i);
        }
    }

    fn capture(&mut self, i: usize) {
        if let Some(text) = self.token_text().map(Cow::into_owned) {
            if let Some(slot) = self.current.get_mut(i) {
                *slot = Some(text);
            }
        }
    }

    fn end_record(&mut self) {
        let current = std::mem::take(&mut self.current);
        self.record_read(current.each_ref().map(Option::as_deref));
    }

    /// Counts a record whose wanted fields (in [`Schema::fields`] order) held `current`.
    fn record_read(&mut self, current: [Option<&str>; MAX_FIELDS]) {
        self.facts.records += 1;
        let time = match self.schema {
            Schema::Aws => current[0].and_then(aws_event_time),
            Schema::Cts => current[0].and_then(cts_trace_time),
        };
        if let Some(t) = time {
            self.facts.oldest = Some(self.facts.oldest.map_or(t, |o| o.min(t)));
            self.facts.newest = Some(self.facts.newest.map_or(t, |n| n.max(t)));
        }
        match self.schema {
            Schema::Aws => {
                if current[3] != Some("AwsCloudTrailInsight") {
                    self.non_insight = true;
                }
                if let [_, Some(a), Some(r), ..] = current {
                    let same = self
                        .last_account
                        .as_ref()
                        .is_some_and(|(la, lr)| la == a && lr == r);
                    if !same {
                        // The last pair's strings are rewritten in place: a log whose records
                        // alternate between accounts or regions allocates nothing per record.
                        let pair = self.last_account.get_or_insert_default();
                        pair.0.clear();
                        pair.0.push_str(a);
                        pair.1.clear();
                        pair.1.push_str(r);
                        if !self.accounts.contains(pair) {
                            if self.accounts.len() >= MAX_SCOPES {
                                self.facts.complete = false;
                            } else {
                                self.accounts.insert(pair.clone());
                            }
                        }
                    }
                }
            }
            Schema::Cts => {
                if let [_, Some(s), ..] = current {
                    if !self.services.contains(s) {
                        if self.services.len() >= MAX_SCOPES {
                            self.facts.complete = false;
                        } else {
                            self.services.insert(s.to_owned());
                        }
                    }
                }
            }
        }
    }

    /// Reads one record from its top-level members (raw name, raw value: the bytes of the
    /// JSON value), as [`Extractor::feed`] reads the bytes of a record that is a compact
    /// JSON object (nothing between a name, its colon, its value and the next comma): a
    /// wanted field takes the last value given for it that the byte path would keep (a string,
    /// unescaped, or a literal's text, at most [`MAX_TOKEN`] bytes as written; never an object
    /// or an array). `false`, and nothing read, when a name is escaped: the byte path
    /// unescapes names, this one does not try.
    pub(crate) fn record_members<'a>(
        &mut self,
        members: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    ) -> bool {
        let mut current: [Option<Cow<'a, str>>; MAX_FIELDS] = Default::default();
        for (name, value) in members {
            if name.contains(&b'\\') {
                return false;
            }
            let Some(i) = self.schema.field(name) else {
                continue;
            };
            // What the byte path keeps as the token: a string's contents, a literal's text.
            let raw = match value {
                [b'"', inner @ .., b'"'] => inner,
                [b'"', ..] | [b'{' | b'[', ..] | [] => continue,
                literal => literal,
            };
            if raw.len() > MAX_TOKEN {
                continue;
            }
            if let (Some(text), Some(slot)) = (json_text(raw), current.get_mut(i)) {
                *slot = Some(text);
            }
        }
        self.record_read(current.each_ref().map(Option::as_deref));
        true
    }

    /// The facts gathered. Unbalanced input (truncated JSON) is marked incomplete.
    pub(crate) fn finish(mut self) -> RecordFacts {
        if !self.stack.is_empty() || matches!(self.lex, Lex::Str { .. }) {
            self.facts.complete = false;
        }
        self.facts.accounts = self.accounts.into_iter().collect();
        self.facts.services = self.services.into_iter().collect();
        self.facts.insights_only =
            self.schema == Schema::Aws && self.facts.records > 0 && !self.non_insight;
        self.facts
    }
}

/// A CloudTrail `eventTime`: `YYYY-MM-DDTHH:MM:SSZ`, or any RFC 3339 instant.
fn aws_event_time(s: &str) -> Option<i64> {
    parse_iso(s)
        .or_else(|| s.parse::<Timestamp>().ok())
        .map(Timestamp::as_second)
}

/// A CTS trace `time`: epoch milliseconds (number or numeric string), an RFC 3339 instant,
/// or the console's `YYYY/MM/DD HH:MM:SS GMT+HH:MM`.
fn cts_trace_time(s: &str) -> Option<i64> {
    if let Ok(ms) = s.parse::<i64>() {
        let secs = ms.div_euclid(1000);
        return Timestamp::from_second(secs).ok().map(|_| secs);
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t.as_second());
    }
    let (local, zone) = s.split_once(" GMT")?;
    let b = local.as_bytes();
    if b.len() != 19 || b[4] != b'/' || b[7] != b'/' || b[10] != b' ' {
        return None;
    }
    let offset = if zone.is_empty() { "+00:00" } else { zone };
    let iso = format!(
        "{}-{}-{}T{}{}",
        local.get(0..4)?,
        local.get(5..7)?,
        local.get(8..10)?,
        local.get(11..19)?,
        offset
    );
    iso.parse::<Timestamp>().ok().map(Timestamp::as_second)
}

/// The records of an inflated CloudTrail log as an event ingest cut them, for
/// [`crate::scan_inflated_cut`]: the record facts are then taken from each record's
/// top-level members instead of a second tokenisation of the log, but only where that is
/// sure to give what reading the log gives. That is when the log is exactly
/// `{"Records":[r1,r2,…]}` (the delivered form: nothing else at the top, no whitespace
/// between the records) and every record came with its members; anything else (a problem the
/// cut met, a record without members, an escaped member name, a gap or an overlap between the
/// records) leaves the facts to the log's own reading.
pub struct RecordCuts<'i> {
    inflated: &'i [u8],
    extractor: Extractor,
    /// Where the next record must start; `None` once the cut is not the delivered form.
    next: Option<usize>,
}

/// How a delivered log starts: the record list, and nothing else, under one object.
const RECORDS_OPEN: &[u8] = br#"{"Records":["#;
/// And how it ends.
const RECORDS_CLOSE: &[u8] = b"]}";

impl<'i> RecordCuts<'i> {
    /// No record yet, of the log whose inflated content is `inflated`.
    pub fn new(inflated: &'i [u8]) -> RecordCuts<'i> {
        RecordCuts {
            inflated,
            extractor: Extractor::new(Schema::Aws),
            next: inflated
                .starts_with(RECORDS_OPEN)
                .then_some(RECORDS_OPEN.len()),
        }
    }

    /// The next record: at `offset` of the inflated content, `len` bytes long, with its
    /// top-level members (raw name, raw value) when the cut gives them (a compact object that
    /// parsed as JSON), in order.
    pub fn record<'a>(
        &mut self,
        offset: u64,
        len: usize,
        members: Option<impl Iterator<Item = (&'a [u8], &'a [u8])>>,
    ) {
        let Some(next) = self.next else {
            return;
        };
        let end = usize::try_from(offset)
            .ok()
            .filter(|&o| o == next)
            .and_then(|o| o.checked_add(len));
        let fits = end.is_some_and(|end| {
            self.inflated.get(next) == Some(&b'{') && self.inflated.get(end - 1) == Some(&b'}')
        });
        let read = match (fits, members) {
            (true, Some(members)) => self.extractor.record_members(members),
            _ => false,
        };
        // The next record follows a comma; or the list closes here.
        self.next = end
            .filter(|_| read)
            .map(|end| match self.inflated.get(end) {
                Some(b',') => end + 1,
                _ => end,
            });
    }

    /// Something the cut met that is not a record.
    pub fn problem(&mut self) {
        self.next = None;
    }

    /// The facts, when the records read cover the log exactly in the delivered form.
    pub(crate) fn facts(self) -> Option<RecordFacts> {
        // After the last record (and its comma, if any: the byte path reads `…},]}` as it
        // reads `…}]}`), or right after the opening when there is none, only the closing.
        let tail = self.inflated.get(self.next?..)?;
        (tail == RECORDS_CLOSE).then(|| self.extractor.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(schema: Schema, text: &str, chunk: usize) -> RecordFacts {
        let mut e = Extractor::new(schema);
        for c in text.as_bytes().chunks(chunk.max(1)) {
            e.feed(c);
        }
        e.finish()
    }

    #[test]
    fn aws_records_in_any_chunking() {
        let text = r#"{"Records":[
            {"eventTime":"2024-05-01T00:01:10Z","recipientAccountId":"111122223333","awsRegion":"us-east-1",
             "requestParameters":{"eventTime":"1999-01-01T00:00:00Z","awsRegion":"xx-fake-1","recipientAccountId":"9"}},
            {"eventTime":"2024-05-01T00:03:42Z","recipientAccountId":"111122223333","awsRegion":"us-east-1","resources":[{"awsRegion":"yy"}]},
            {"\u0065ventTime":"2024-05-01T00:09:00Z","recipientAccountId":"444455556666","awsRegion":"eu-west-1","eventType":"AwsApiCall"}
        ]}"#;
        for chunk in [1, 2, 7, 4096] {
            let f = facts(Schema::Aws, text, chunk);
            assert_eq!(f.records, 3, "chunk {chunk}");
            assert_eq!(
                f.oldest,
                Some(parse_iso("2024-05-01T00:01:10Z").unwrap().as_second())
            );
            assert_eq!(
                f.newest,
                Some(parse_iso("2024-05-01T00:09:00Z").unwrap().as_second()),
                "escaped keys are read as any JSON parser reads them"
            );
            assert_eq!(
                f.accounts,
                vec![
                    ("111122223333".into(), "us-east-1".into()),
                    ("444455556666".into(), "eu-west-1".into())
                ],
                "nested look-alike fields are not record fields"
            );
            assert!(f.complete && !f.insights_only);
        }
    }

    /// The bulk skip of nested values gives what the byte-by-byte path gives, on well-formed
    /// logs and on every byte-level corruption of one (truncations, stray brackets and
    /// quotes, escapes at chunk ends, nesting past the limit), in any chunking.
    #[test]
    fn skipping_nested_values_changes_no_fact() {
        let log = r#"{"Records":[
            {"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s",
              "sessionContext":{"sessionIssuer":{"userName":"r"},"attributes":{"mfaAuthenticated":"false"}}},
             "eventTime":"2024-05-01T00:01:10Z","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1",
             "requestParameters":{"bucketName":"b\"}[","key":"a\\","list":[1,-2.5e3,true,null,{"awsRegion":"x"}],
               "deep":[[[{"eventTime":"1999-01-01T00:00:00Z"}]]]},
             "responseElements":null,"resources":[{"ARN":"arn:aws:s3:::b","type":"AWS::S3::Bucket"}],
             "recipientAccountId":"111122223333","eventType":"AwsApiCall"},
            {"eventTime":"2024-05-01T00:03:42Z","recipientAccountId":"444455556666","awsRegion":"eu-west-1",
             "additionalEventData":{"x":"\u005d\u007d","\u0065ventType":"e"},"eventType":"AwsCloudTrailInsight"}
        ],"Other":[{"eventTime":"2024-06-01T00:00:00Z","recipientAccountId":"7","awsRegion":"r"}]}"#;
        let facts_of = |bytes: &[u8], chunk: usize, skips: bool| {
            let mut e = Extractor::new(Schema::Aws);
            e.skips_inert = skips;
            for c in bytes.chunks(chunk) {
                e.feed(c);
            }
            e.finish()
        };
        let mut inputs: Vec<Vec<u8>> = vec![log.as_bytes().to_vec()];
        let deep = format!(
            r#"{{"Records":[{{"a":{}1{}}}]}}"#,
            "[".repeat(600),
            "]".repeat(600)
        );
        inputs.push(deep.into_bytes());
        // Every truncation, and every byte replaced by each structural character.
        let bytes = log.as_bytes();
        for at in 0..bytes.len() {
            inputs.push(bytes[..at].to_vec());
            for with in [b'{', b'}', b'[', b']', b'"', b'\\', b':', b','] {
                let mut v = bytes.to_vec();
                v[at] = with;
                inputs.push(v);
            }
        }
        for input in &inputs {
            for chunk in [1, 2, 3, 7, 64, usize::MAX] {
                let chunk = chunk.min(input.len().max(1));
                assert_eq!(
                    facts_of(input, chunk, true),
                    facts_of(input, chunk, false),
                    "chunk {chunk}: {}",
                    String::from_utf8_lossy(input)
                );
            }
        }
        let f = facts_of(log.as_bytes(), usize::MAX, true);
        assert_eq!((f.records, f.accounts.len()), (3, 3));
    }

    #[test]
    fn insights_and_broken_input() {
        let f = facts(
            Schema::Aws,
            r#"{"Records":[{"eventType":"AwsCloudTrailInsight","eventTime":"2024-05-01T00:00:00Z"}]}"#,
            3,
        );
        assert!(f.insights_only);
        let f = facts(Schema::Aws, r#"{"Records":[{"eventTime":"2024-05"#, 5);
        assert!(!f.complete);
        assert_eq!(f.records, 0);
        let f = facts(Schema::Aws, "]]]}}}garbage\"", 2);
        assert!(!f.complete);
        let deep = "[".repeat(MAX_DEPTH + 10);
        assert!(!facts(Schema::Aws, &deep, 64).complete);
    }

    #[test]
    fn cts_times_and_services() {
        let text = r#"[{"time":1714525200000,"service_type":"EVS","user":{"service_type":"no"}},
                       {"time":"2016/12/08 11:07:28 GMT+08:00","service_type":"ECS"}]"#;
        let f = facts(Schema::Cts, text, 5);
        assert_eq!(f.records, 2);
        assert_eq!(f.services, vec!["ECS".to_owned(), "EVS".to_owned()]);
        assert_eq!(
            f.oldest,
            Some(parse_iso("2016-12-08T03:07:28Z").unwrap().as_second())
        );
        assert_eq!(f.newest, Some(1_714_525_200));
        // NDJSON: top-level objects are records too.
        let f = facts(
            Schema::Cts,
            "{\"time\":1000,\"service_type\":\"A\"}\n{\"time\":2000,\"service_type\":\"B\"}\n",
            4,
        );
        assert_eq!((f.records, f.newest), (2, Some(2)));
    }
}
