//! CloudTrail Lake query results: saved as CSV (the console's download, and the gzip files
//! `StartQuery` delivers to S3), and `GetQueryResults` pages as the API and
//! `aws cloudtrail get-query-results` print them (`{"QueryStatus":…,"QueryResultRows":[[{"eventID":
//! "…"},{"eventTime":"…"},…],…],"NextToken":…}`: each row a list of one-key objects, values
//! strings). Columns are named after the event data store's fields (`eventID`, `eventTime`,
//! `eventName`, `userIdentity`, ...). A row is rebuilt into a CloudTrail record and mapped by
//! `cloudtrail`, so a Lake row and the trail's record of the same event agree field by field.
//! See docs/formats.md, "CloudTrail Lake query results".

use serde_json::{Map, Value};

use super::{cloudtrail, incomplete, json_err, Ctx, Decoded, JsonError, Missing, Rec};
use crate::model::BorrowedEvent;

/// The shapes, as diagnostics name them.
const SHAPE: &str = "a CloudTrail Lake result row";
const JSON_SHAPE: &str = "a CloudTrail Lake query-results row (GetQueryResults JSON)";

/// Lake columns, lower-cased, and the CloudTrail key each fills. Lake prints column names as
/// selected; matching is case-insensitive so `eventtime` and `eventTime` are one column.
const COLUMNS: [(&str, &str); 16] = [
    ("eventid", "eventID"),
    ("eventtime", "eventTime"),
    ("eventname", "eventName"),
    ("eventsource", "eventSource"),
    ("awsregion", "awsRegion"),
    ("sourceipaddress", "sourceIPAddress"),
    ("useragent", "userAgent"),
    ("errorcode", "errorCode"),
    ("errormessage", "errorMessage"),
    ("readonly", "readOnly"),
    ("recipientaccountid", "recipientAccountId"),
    ("eventtype", "eventType"),
    ("eventcategory", "eventCategory"),
    ("eventversion", "eventVersion"),
    ("useridentity", "userIdentity"),
    ("resources", "resources"),
];

/// `userIdentity` sub-fields as Lake's struct text spells them (lower case), in CloudTrail case.
const IDENTITY_KEYS: [(&str, &str); 9] = [
    ("type", "type"),
    ("principalid", "principalId"),
    ("arn", "arn"),
    ("accountid", "accountId"),
    ("accesskeyid", "accessKeyId"),
    ("username", "userName"),
    ("invokedby", "invokedBy"),
    ("sessioncontext", "sessionContext"),
    ("sessionissuer", "sessionIssuer"),
];

/// Whether a CSV header row is a Lake result's: it names `eventTime` and another event field.
pub(crate) fn is_header(fields: &[String]) -> bool {
    let has = |name: &str| fields.iter().any(|f| f.trim().eq_ignore_ascii_case(name));
    has("eventtime")
        && ["eventid", "eventname", "eventsource"]
            .iter()
            .any(|c| has(c))
}

/// Maps one CSV result row, given the header row.
pub(crate) fn decode_row(header: &[String], row: &[String], _ctx: &Ctx<'_>) -> Decoded<'static> {
    match rebuild(
        header
            .iter()
            .map(String::as_str)
            .zip(row.iter().map(String::as_str)),
    ) {
        Ok(e) => Decoded::Event(Box::new(e)),
        Err(missing) => incomplete(SHAPE, missing),
    }
}

/// Maps one `GetQueryResults` row: the JSON array of one-key objects the scanner cut out of
/// `QueryResultRows` (its bytes are the event's raw span).
pub(crate) fn decode_json_row(bytes: &[u8]) -> Result<Decoded<'static>, JsonError> {
    let cells: Vec<Map<String, Value>> = serde_json::from_slice(bytes).map_err(json_err)?;
    let columns: Vec<(String, String)> = cells
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect();
    if !columns
        .iter()
        .any(|(k, _)| k.trim().eq_ignore_ascii_case("eventtime"))
    {
        return Ok(incomplete(
            JSON_SHAPE,
            "the query selected no `eventTime` column (select `eventTime` to load rows)",
        ));
    }
    Ok(
        match rebuild(columns.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(e) => Decoded::Event(Box::new(e)),
            Err(missing) => incomplete(JSON_SHAPE, missing),
        },
    )
}

/// Rebuilds a CloudTrail record from `(column, cell)` pairs and maps it.
fn rebuild<'c>(
    cells: impl Iterator<Item = (&'c str, &'c str)>,
) -> Result<BorrowedEvent<'static>, Missing> {
    let mut rec = Map::new();
    for (name, value) in cells {
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        if value.is_empty() || value == "null" {
            continue;
        }
        // A selected sub-field (`userIdentity.arn`) is written as a nested key.
        let (column, sub) = match name.split_once('.') {
            Some((c, s)) => (c.to_string(), Some(s.to_string())),
            None => (name, None),
        };
        let Some(&(_, key)) = COLUMNS.iter().find(|(c, _)| *c == column) else {
            continue;
        };
        match sub {
            Some(sub) => {
                let sub_key = IDENTITY_KEYS
                    .iter()
                    .find(|(l, _)| *l == sub)
                    .map_or(sub.as_str(), |(_, k)| k);
                let entry = rec
                    .entry(key.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = entry {
                    m.insert(sub_key.to_string(), Value::String(value.to_string()));
                }
            }
            None => {
                let v = if key == "userIdentity" {
                    structured(value)
                } else if key == "resources" {
                    resources(structured(value))
                } else {
                    Value::String(value.to_string())
                };
                rec.insert(key.to_string(), v);
            }
        }
    }
    let text = Value::Object(rec).to_string();
    let Ok(r) = serde_json::from_str::<Rec<'_>>(&text) else {
        return Err("its cells do not form a CloudTrail record");
    };
    cloudtrail::map(&r, None).map(BorrowedEvent::into_static)
}

/// Lake's `resources` entries spell the ARN `arn`; CloudTrail's spell it `ARN`.
fn resources(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|mut item| {
                    if let Value::Object(m) = &mut item {
                        if let Some(arn) = m.remove("arn") {
                            m.insert("ARN".into(), arn);
                        }
                    }
                    item
                })
                .collect(),
        ),
        other => other,
    }
}

/// A structured cell: JSON text, or Lake's struct text `{type=IAMUser, arn=..., ...}`.
fn structured(cell: &str) -> Value {
    if let Ok(v) = serde_json::from_str::<Value>(cell) {
        return v;
    }
    let mut p = StructText {
        s: cell.as_bytes(),
        i: 0,
    };
    p.value(0)
}

/// A parser for the `{key=value, key={...}, list=[{...}]}` notation of struct and array cells.
struct StructText<'s> {
    s: &'s [u8],
    i: usize,
}

impl StructText<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    /// A value up to the next `,` `}` `]` at this level; nested braces and brackets recurse.
    fn value(&mut self, depth: u32) -> Value {
        self.skip_ws();
        if depth > 8 {
            return Value::Null;
        }
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                let mut m = Map::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => break,
                        Some(b'}') => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => {
                            self.i += 1;
                            continue;
                        }
                        _ => {}
                    }
                    let start = self.i;
                    while !matches!(self.peek(), None | Some(b'=') | Some(b',') | Some(b'}')) {
                        self.i += 1;
                    }
                    let key = String::from_utf8_lossy(&self.s[start..self.i])
                        .trim()
                        .to_ascii_lowercase();
                    if self.peek() != Some(b'=') {
                        continue;
                    }
                    self.i += 1;
                    let v = self.value(depth + 1);
                    let key = IDENTITY_KEYS
                        .iter()
                        .find(|(l, _)| *l == key)
                        .map_or(key.clone(), |(_, k)| k.to_string());
                    m.insert(key, v);
                }
                Value::Object(m)
            }
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => break,
                        Some(b']') => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => self.i += 1,
                        _ => {
                            let before = self.i;
                            a.push(self.value(depth + 1));
                            if self.i == before {
                                // A stray `}` or too deep: step over it, never loop.
                                self.i += 1;
                            }
                        }
                    }
                }
                Value::Array(a)
            }
            _ => {
                let start = self.i;
                while !matches!(self.peek(), None | Some(b',') | Some(b'}') | Some(b']')) {
                    self.i += 1;
                }
                let text = String::from_utf8_lossy(&self.s[start..self.i])
                    .trim()
                    .to_string();
                if text == "null" {
                    Value::Null
                } else {
                    Value::String(text)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_text() {
        let v = structured(
            "{type=AssumedRole, principalid=AROA:x, arn=arn:aws:sts::1:assumed-role/R/x, \
             sessioncontext={sessionissuer={type=Role, username=R}}, invokedby=null}",
        );
        assert_eq!(v["type"], "AssumedRole");
        assert_eq!(v["principalId"], "AROA:x");
        assert_eq!(v["sessionContext"]["sessionIssuer"]["userName"], "R");
        assert_eq!(v["invokedBy"], Value::Null);
        let r = structured("[{accountid=1, type=AWS::S3::Bucket, arn=arn:aws:s3:::b}]");
        assert_eq!(r[0]["arn"], "arn:aws:s3:::b");
        // Unbalanced or hostile text never panics.
        for s in ["{", "{a", "{a=", "[{", "}}", "{=,}", "[[[[[[[[[[[[[[[["] {
            let _ = structured(s);
        }
    }
}
