//! CSV exports: CloudTrail's console "Download events → CSV" (Event history), CloudTrail Lake
//! query results (`formats::lake`) and the Huawei CTS console's trace-list export
//! (`formats::cts`).
//!
//! Event history CSV is recognised by a header row naming both `Event name` and `Event time`;
//! Lake results by a header naming `eventTime` and another event field. Columns are mapped by
//! header name, not position, because the column sets vary (see docs/formats.md). Rows are cut
//! in a streaming way (quoted fields may hold commas, quotes and newlines) and each keeps its
//! byte span like a JSON record.

use crate::formats::{self, Ctx, Decoded};
use crate::model::{Actor, Event, Outcome, Provider};

/// Whether the first line looks like a console or Lake CSV header.
pub(crate) fn is_console_csv(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let text = String::from_utf8_lossy(line);
    let lower = text.to_ascii_lowercase();
    let console = lower.contains("event name") && lower.contains("event time");
    let fields = split(text.trim_end());
    lower.contains(',')
        && (console || formats::is_lake_header(&fields) || formats::is_cts_export_header(&fields))
}

pub(crate) enum Row<'a> {
    Fields {
        fields: Vec<String>,
        bytes: &'a [u8],
        offset: u64,
    },
    TooLong {
        offset: u64,
    },
}

pub(crate) struct CsvScanner {
    max: usize,
    pos: u64,
    in_quotes: bool,
    row: Vec<u8>,
    row_start: u64,
    overflow: bool,
    pub rows: u64,
}

impl CsvScanner {
    pub(crate) fn new(max: usize, start: u64) -> Self {
        CsvScanner {
            max,
            pos: start,
            in_quotes: false,
            row: Vec::new(),
            row_start: start,
            overflow: false,
            rows: 0,
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8], out: &mut dyn FnMut(Row<'_>)) {
        for &b in chunk {
            self.pos += 1;
            if b == b'"' {
                self.in_quotes = !self.in_quotes;
            }
            if b == b'\n' && !self.in_quotes {
                self.end_row(out);
                self.row_start = self.pos;
                continue;
            }
            if self.row.len() >= self.max {
                self.overflow = true;
                self.row = Vec::new();
            } else if !self.overflow {
                self.row.push(b);
            }
        }
    }

    pub(crate) fn finish(&mut self, out: &mut dyn FnMut(Row<'_>)) {
        self.end_row(out);
    }

    fn end_row(&mut self, out: &mut dyn FnMut(Row<'_>)) {
        if self.overflow {
            self.overflow = false;
            out(Row::TooLong {
                offset: self.row_start,
            });
        } else {
            let mut bytes = std::mem::take(&mut self.row);
            while bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            if !bytes.iter().all(|b| b.is_ascii_whitespace()) {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.rows += 1;
                out(Row::Fields {
                    fields: split(&text),
                    bytes: &bytes,
                    offset: self.row_start,
                });
            }
            bytes.clear();
            self.row = bytes;
        }
    }
}

/// Splits one CSV row (RFC 4180 quoting: `""` inside quotes is a quote).
pub(crate) fn split(row: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Maps one data row using the header row.
pub(crate) fn decode_row(header: &[String], row: &[String], ctx: &Ctx<'_>) -> Decoded<'static> {
    if formats::is_lake_header(header) {
        return formats::lake_row(header, row, ctx);
    }
    if formats::is_cts_export_header(header) {
        return formats::cts_export_row(header, row, ctx);
    }
    let col = |names: &[&str]| -> String {
        for n in names {
            if let Some(i) = header.iter().position(|h| h.trim().eq_ignore_ascii_case(n)) {
                if let Some(v) = row.get(i) {
                    return v.trim().to_string();
                }
            }
        }
        String::new()
    };
    // A column with the full event JSON, when the export has one, gives every field.
    let json = col(&["CloudTrail event", "CloudTrailEvent"]);
    if json.starts_with('{') {
        if let Ok(d @ Decoded::Event(_)) = formats::decode(&json, ctx) {
            return d.into_owned();
        }
    }
    let Some(time_ms) = crate::time::parse_timestamp(&col(&["Event time", "EventTime"])) else {
        return Decoded::Unknown;
    };
    let name = col(&["User name", "Username"]);
    // The export's only identifier of the caller is its access key.
    let key = col(&["AWS access key", "AccessKeyId"]);
    let code = col(&["Error code", "ErrorCode"]);
    let read_only = match col(&["Read-only", "ReadOnly", "Read only"])
        .to_ascii_lowercase()
        .as_str()
    {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => None,
    };
    let resources = col(&["Resource name", "Resource names"])
        .split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    Decoded::Event(Box::new(
        Event {
            time_ms,
            provider: Provider::Aws,
            account: col(&["AWS account", "Account ID", "Recipient account ID"]),
            region: col(&["AWS region", "Region"]),
            service: col(&["Event source", "EventSource"]),
            action: col(&["Event name", "EventName"]),
            actor: Actor {
                kind: String::new(),
                id: key.clone(),
                access_key: key,
                root: name == "root",
                admin: name == "root" || name.to_ascii_lowercase().contains("admin"),
                name,
            },
            source_ip: col(&["Source IP address", "Source IP"]),
            user_agent: String::new(),
            read_only,
            outcome: if code.is_empty() {
                Outcome::Success
            } else {
                Outcome::Error {
                    code,
                    message: String::new(),
                }
            },
            resources,
            event_id: col(&["Event ID", "EventId"]),
            raw: Default::default(),
        }
        .into_borrowed(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(
            split(
                r#"a,"b,c","d""e",,"x
y""#
            ),
            vec!["a", "b,c", "d\"e", "", "x\ny"]
        );
    }
}
