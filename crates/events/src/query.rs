//! The timeline's search language, parsed into a [`Filter`] the store evaluates column-wise.
//!
//! ```text
//! actor:alice action:Delete*            implicit AND
//! (region:us-east-1 OR region:eu-*) -rw:read
//! error:* time>=2024-05-01 time<2024-05-02T12:00:00Z
//! ip:10.0.0.0/8 OR ip:2001:db8::/32
//! "access denied"                       free text over the main text fields
//! ```
//!
//! The full grammar and field list are in `docs/query.md`. Errors carry the byte position of
//! the problem; parsing never panics.

use crate::store::{Field, Filter, Match, Predicate};
use crate::Error;

/// A field the language knows, for documentation and autocomplete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    /// The canonical name.
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// What it holds.
    pub description: &'static str,
    /// The store field it maps to.
    pub field: Field,
}

const FIELDS: &[FieldInfo] = &[
    FieldInfo {
        name: "time",
        aliases: &["timestamp", "@timestamp", "eventtime"],
        description: "event time; use >, >=, <, <= with a date or RFC 3339 time",
        field: Field::Time,
    },
    FieldInfo {
        name: "provider",
        aliases: &["cloud"],
        description: "aws, alibaba, huawei, gcp, azure or generic",
        field: Field::Provider,
    },
    FieldInfo {
        name: "account",
        aliases: &["project", "subscription", "accountid", "domain"],
        description: "account, project or subscription",
        field: Field::Account,
    },
    FieldInfo {
        name: "region",
        aliases: &["location", "awsregion", "acsregion"],
        description: "region or location",
        field: Field::Region,
    },
    FieldInfo {
        name: "service",
        aliases: &["eventsource", "servicename", "service_type"],
        description: "service (s3.amazonaws.com, Ecs, ECS, ...)",
        field: Field::Service,
    },
    FieldInfo {
        name: "action",
        aliases: &[
            "event",
            "eventname",
            "operation",
            "method",
            "methodname",
            "trace_name",
        ],
        description: "event or operation name",
        field: Field::Action,
    },
    FieldInfo {
        name: "actor",
        aliases: &["user", "username", "principal", "caller"],
        description: "who did it (display name)",
        field: Field::Actor,
    },
    FieldInfo {
        name: "actor_id",
        aliases: &["principalid", "userid"],
        description: "actor identifier (ARN, principal ID, e-mail)",
        field: Field::ActorId,
    },
    FieldInfo {
        name: "actor_type",
        aliases: &["identity_type", "usertype"],
        description: "identity type (IAMUser, AssumedRole, ram-user, ...)",
        field: Field::ActorType,
    },
    FieldInfo {
        name: "access_key",
        aliases: &["accesskeyid", "access_key_id", "key"],
        description: "access key ID the request was signed with (AWS, Alibaba)",
        field: Field::AccessKey,
    },
    FieldInfo {
        name: "ip",
        aliases: &[
            "source_ip",
            "sourceip",
            "sourceipaddress",
            "callerip",
            "client_ip",
        ],
        description: "source address; accepts CIDR (10.0.0.0/8, 2001:db8::/32)",
        field: Field::SourceIp,
    },
    FieldInfo {
        name: "user_agent",
        aliases: &["ua", "useragent"],
        description: "user agent",
        field: Field::UserAgent,
    },
    FieldInfo {
        name: "error",
        aliases: &["error_code", "errorcode"],
        description: "error code (error:* = any error)",
        field: Field::ErrorCode,
    },
    FieldInfo {
        name: "error_message",
        aliases: &["errormessage", "message"],
        description: "error message",
        field: Field::ErrorMessage,
    },
    FieldInfo {
        name: "event_id",
        aliases: &["id", "eventid", "insertid", "trace_id"],
        description: "the provider's event ID",
        field: Field::EventId,
    },
    FieldInfo {
        name: "resource",
        aliases: &["resources", "arn"],
        description: "a resource ARN, ID or name",
        field: Field::Resource,
    },
    FieldInfo {
        name: "rw",
        aliases: &["readwrite"],
        description: "read or write",
        field: Field::ReadWrite,
    },
    FieldInfo {
        name: "read_only",
        aliases: &["readonly", "ro"],
        description: "true or false",
        field: Field::ReadWrite,
    },
    FieldInfo {
        name: "outcome",
        aliases: &["result", "status"],
        description: "success or error",
        field: Field::Outcome,
    },
    FieldInfo {
        name: "root",
        aliases: &[],
        description: "root identity: true or false",
        field: Field::Root,
    },
    FieldInfo {
        name: "admin",
        aliases: &[],
        description: "privileged-looking identity: true or false",
        field: Field::Admin,
    },
    FieldInfo {
        name: "file",
        aliases: &["source", "path"],
        description: "path of the file the event came from",
        field: Field::File,
    },
    FieldInfo {
        name: "integrity",
        aliases: &[],
        description: "verified, unverified, failed or unprotected: what proves the event's record",
        field: Field::Integrity,
    },
    FieldInfo {
        name: "tag",
        aliases: &["tags"],
        description: "a tag the auditor put on the event in the workpaper",
        field: Field::Tag,
    },
    FieldInfo {
        name: "flagged",
        aliases: &["starred"],
        description: "whether the auditor flagged (starred) the event: true or false",
        field: Field::Flagged,
    },
];

/// Fields searched by free text (terms without `field:`).
pub const FREE_TEXT_FIELDS: &[Field] = &[
    Field::Actor,
    Field::ActorId,
    Field::Action,
    Field::Service,
    Field::SourceIp,
    Field::Resource,
    Field::ErrorCode,
    Field::ErrorMessage,
    Field::Account,
    Field::Region,
    Field::UserAgent,
    Field::AccessKey,
];

/// Every field name the language accepts, canonical names first: for autocomplete.
pub fn field_names() -> &'static [FieldInfo] {
    FIELDS
}

/// Field names (canonical and aliases) starting with `prefix`, ignoring case.
pub fn complete_field(prefix: &str) -> Vec<&'static str> {
    let p = prefix.to_ascii_lowercase();
    let mut out = Vec::new();
    for f in FIELDS {
        if f.name.starts_with(&p) {
            out.push(f.name);
        }
    }
    for f in FIELDS {
        out.extend(f.aliases.iter().copied().filter(|a| a.starts_with(&p)));
    }
    out
}

fn resolve(name: &str) -> Option<&'static FieldInfo> {
    let n = name.to_ascii_lowercase();
    FIELDS
        .iter()
        .find(|f| f.name == n || f.aliases.contains(&n.as_str()))
}

/// A parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    filter: Filter,
}

impl Query {
    /// The filter to hand to [`crate::store::EventStore::select`].
    pub fn filter(&self) -> &Filter {
        &self.filter
    }
}

/// Parses a query. An empty query selects everything.
pub fn parse(text: &str) -> Result<Query, Error> {
    let tokens = lex(text)?;
    let mut p = Parser {
        tokens,
        i: 0,
        end: text.len(),
    };
    if p.tokens.is_empty() {
        return Ok(Query {
            filter: Filter::All,
        });
    }
    let filter = p.or()?;
    if let Some(t) = p.tokens.get(p.i) {
        return Err(err(
            t.pos,
            match t.kind {
                Tok::RParen => "unmatched ')'",
                _ => "unexpected token",
            },
        ));
    }
    Ok(Query { filter })
}

fn err(position: usize, message: impl Into<String>) -> Error {
    Error::Query {
        position,
        message: message.into(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Colon,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    Not,
    And,
    Or,
    Term {
        field: Option<(String, usize)>,
        op: Op,
        value: String,
        quoted: bool,
        value_pos: usize,
    },
}

#[derive(Debug)]
struct Token {
    kind: Tok,
    pos: usize,
}

fn is_field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '@' || c == '.'
}

fn lex(text: &str) -> Result<Vec<Token>, Error> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        match c {
            b'(' => {
                out.push(Token {
                    kind: Tok::LParen,
                    pos: i,
                });
                i += 1;
            }
            b')' => {
                out.push(Token {
                    kind: Tok::RParen,
                    pos: i,
                });
                i += 1;
            }
            b'-' if b.get(i + 1).is_some_and(|n| !n.is_ascii_whitespace()) => {
                out.push(Token {
                    kind: Tok::Not,
                    pos: i,
                });
                i += 1;
            }
            b'"' => {
                let (value, next) = quoted(text, i)?;
                out.push(Token {
                    kind: Tok::Term {
                        field: None,
                        op: Op::Colon,
                        value,
                        quoted: true,
                        value_pos: start,
                    },
                    pos: start,
                });
                i = next;
            }
            _ => {
                // A field name followed by an operator, or a bare word.
                let mut j = i;
                while j < b.len() && is_field_char(b[j] as char) {
                    j += 1;
                }
                let op = if j > i && j < b.len() {
                    match (b[j], b.get(j + 1)) {
                        (b':', _) | (b'=', _) => Some((Op::Colon, 1)),
                        (b'>', Some(b'=')) => Some((Op::Ge, 2)),
                        (b'<', Some(b'=')) => Some((Op::Le, 2)),
                        (b'>', _) => Some((Op::Gt, 1)),
                        (b'<', _) => Some((Op::Lt, 1)),
                        _ => None,
                    }
                } else {
                    None
                };
                if let Some((op, w)) = op {
                    let field = (text[i..j].to_string(), i);
                    let vstart = j + w;
                    if vstart < b.len() && b[vstart] == b'"' {
                        let (value, next) = quoted(text, vstart)?;
                        out.push(Token {
                            kind: Tok::Term {
                                field: Some(field),
                                op,
                                value,
                                quoted: true,
                                value_pos: vstart,
                            },
                            pos: start,
                        });
                        i = next;
                    } else {
                        let vend = bare_end(b, vstart);
                        if vend == vstart {
                            return Err(err(
                                vstart,
                                format!("missing value after '{}'", &text[i..vstart]),
                            ));
                        }
                        out.push(Token {
                            kind: Tok::Term {
                                field: Some(field),
                                op,
                                value: text[vstart..vend].to_string(),
                                quoted: false,
                                value_pos: vstart,
                            },
                            pos: start,
                        });
                        i = vend;
                    }
                } else {
                    let end = bare_end(b, i);
                    let word = &text[i..end];
                    let kind = match word {
                        "AND" => Tok::And,
                        "OR" => Tok::Or,
                        "NOT" => Tok::Not,
                        _ => Tok::Term {
                            field: None,
                            op: Op::Colon,
                            value: word.to_string(),
                            quoted: false,
                            value_pos: i,
                        },
                    };
                    out.push(Token { kind, pos: i });
                    i = end.max(i + 1);
                }
            }
        }
    }
    Ok(out)
}

/// End of a bare word: whitespace, a parenthesis or a quote ends it.
fn bare_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'(' && b[i] != b')' && b[i] != b'"'
    {
        i += 1;
    }
    i
}

/// A quoted string starting at `start` (the quote); `\"` and `\\` are escapes.
fn quoted(text: &str, start: usize) -> Result<(String, usize), Error> {
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '"' => return Ok((out, start + 1 + k + 1)),
            '\\' => match chars.next() {
                Some((_, e)) => out.push(e),
                None => break,
            },
            c => out.push(c),
        }
    }
    Err(err(start, "unterminated quoted string"))
}

struct Parser {
    tokens: Vec<Token>,
    i: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.i).map(|t| &t.kind)
    }

    fn pos(&self) -> usize {
        self.tokens.get(self.i).map(|t| t.pos).unwrap_or(self.end)
    }

    fn or(&mut self) -> Result<Filter, Error> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.i += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Filter::All)
        } else {
            Filter::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Filter, Error> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    self.i += 1;
                    parts.push(self.unary()?);
                }
                Some(Tok::Term { .. }) | Some(Tok::LParen) | Some(Tok::Not) => {
                    parts.push(self.unary()?)
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Filter::All)
        } else {
            Filter::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Filter, Error> {
        let pos = self.pos();
        match self.tokens.get(self.i).map(|t| t.kind.clone()) {
            Some(Tok::Not) => {
                self.i += 1;
                if self.peek().is_none() {
                    return Err(err(pos, "'-' or NOT needs a term after it"));
                }
                Ok(Filter::Not(Box::new(self.unary()?)))
            }
            Some(Tok::LParen) => {
                self.i += 1;
                if self.peek() == Some(&Tok::RParen) {
                    return Err(err(self.pos(), "empty parentheses"));
                }
                let inner = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(err(pos, "'(' is never closed"));
                }
                self.i += 1;
                Ok(inner)
            }
            Some(Tok::Term {
                field,
                op,
                value,
                quoted,
                value_pos,
            }) => {
                self.i += 1;
                term(field, op, &value, quoted, value_pos)
            }
            Some(Tok::And) | Some(Tok::Or) => Err(err(pos, "AND/OR needs a term on both sides")),
            Some(Tok::RParen) => Err(err(pos, "unmatched ')'")),
            None => Err(err(pos, "query ends where a term was expected")),
        }
    }
}

fn text_match(value: &str, quoted: bool) -> Match {
    if !quoted && value.contains('*') {
        Match::Wildcard(value.to_string())
    } else {
        Match::Equals(value.to_string())
    }
}

fn term(
    field: Option<(String, usize)>,
    op: Op,
    value: &str,
    quoted: bool,
    vpos: usize,
) -> Result<Filter, Error> {
    let Some((name, fpos)) = field else {
        // Free text: substring over the main fields; `*` makes it a pattern.
        let m = if !quoted && value.contains('*') {
            let v = value.trim_matches('*');
            if v.contains('*') {
                Match::Wildcard(format!("*{v}*"))
            } else {
                Match::Contains(v.to_string())
            }
        } else {
            Match::Contains(value.to_string())
        };
        if let Match::Contains(v) = &m {
            if v.is_empty() {
                return Ok(Filter::All);
            }
        }
        let mut fields = FREE_TEXT_FIELDS.to_vec();
        if value.len() == 36 || value.len() == 32 {
            fields.push(Field::EventId);
        }
        return Ok(Filter::Pred(Predicate::AnyOf(fields, m)));
    };
    let info = resolve(&name).ok_or_else(|| {
        err(
            fpos,
            format!(
                "unknown field '{name}' (quote text that contains ':'; known fields: {})",
                names()
            ),
        )
    })?;
    if info.field == Field::Time {
        return time_term(op, value, vpos);
    }
    if op != Op::Colon {
        return Err(err(
            vpos - if matches!(op, Op::Ge | Op::Le) { 2 } else { 1 },
            "comparison operators apply to time only",
        ));
    }
    let lower = value.to_ascii_lowercase();
    let pred = match info.field {
        Field::ReadWrite if info.name == "read_only" => match lower.as_str() {
            "true" | "yes" => Predicate::ReadOnly(true),
            "false" | "no" => Predicate::ReadOnly(false),
            _ => return Err(err(vpos, "read_only takes true or false")),
        },
        Field::ReadWrite => match lower.as_str() {
            "read" | "r" => Predicate::ReadOnly(true),
            "write" | "w" => Predicate::ReadOnly(false),
            _ => return Err(err(vpos, "rw takes read or write")),
        },
        Field::Outcome => match lower.as_str() {
            "success" | "ok" | "succeeded" => Predicate::Failed(false),
            "error" | "failure" | "failed" | "fail" => Predicate::Failed(true),
            _ => return Err(err(vpos, "outcome takes success or error")),
        },
        Field::ErrorCode if value == "*" && !quoted => Predicate::Failed(true),
        Field::Integrity if !value.contains('*') => {
            match trailproof_core::report::Integrity::ALL
                .iter()
                .find(|i| i.as_str() == lower)
            {
                Some(i) => Predicate::Text(Field::Integrity, Match::Equals(i.as_str().into())),
                None => {
                    return Err(err(
                        vpos,
                        "integrity takes verified, unverified, failed or unprotected",
                    ))
                }
            }
        }
        Field::Root | Field::Admin | Field::Flagged => match lower.as_str() {
            "true" | "false" => Predicate::Text(info.field, Match::Equals(lower)),
            _ => return Err(err(vpos, format!("{} takes true or false", info.name))),
        },
        Field::SourceIp if value.contains('/') && !quoted => {
            let (addr, len) = value.split_once('/').unwrap_or((value, ""));
            let ip: std::net::IpAddr = addr
                .parse()
                .map_err(|_| err(vpos, format!("'{addr}' is not an IP address")))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len: u8 = len.parse().ok().filter(|&l| l <= max).ok_or_else(|| {
                err(
                    vpos + addr.len() + 1,
                    format!("prefix length must be 0 to {max}"),
                )
            })?;
            Predicate::Text(Field::SourceIp, Match::Cidr(ip, len))
        }
        Field::Provider if !value.contains('*') => match crate::model::Provider::parse(value) {
            Some(p) => Predicate::Text(Field::Provider, Match::Equals(p.as_str().into())),
            None => {
                return Err(err(
                    vpos,
                    "provider takes aws, alibaba, huawei, gcp, azure or generic",
                ))
            }
        },
        f => Predicate::Text(f, text_match(value, quoted)),
    };
    Ok(Filter::Pred(pred))
}

fn names() -> String {
    FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// `time` with an operator. A date alone stands for the whole UTC day; a time without
/// fractional seconds for the whole second.
fn time_term(op: Op, value: &str, vpos: usize) -> Result<Filter, Error> {
    let t = crate::time::parse_timestamp(value).ok_or_else(|| {
        err(
            vpos,
            format!("'{value}' is not a date (2024-05-01) or RFC 3339 time"),
        )
    })?;
    let span = if value.len() <= 10 {
        86_400_000
    } else if value.contains('.') {
        1
    } else {
        1000
    };
    let (from, to) = match op {
        Op::Colon => (Some(t), Some(t + span)),
        Op::Ge => (Some(t), None),
        Op::Gt => (Some(t + span), None),
        Op::Lt => (None, Some(t)),
        Op::Le => (None, Some(t + span)),
    };
    Ok(Filter::Pred(Predicate::TimeRange { from, to }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(q: &str) -> usize {
        match parse(q) {
            Err(Error::Query { position, .. }) => position,
            other => panic!("{q}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn errors_have_positions() {
        assert_eq!(pos("actor:alice )"), 12);
        assert_eq!(pos("(actor:alice"), 0);
        assert_eq!(pos("actor:"), 6);
        assert_eq!(pos("foo:bar"), 0);
        assert_eq!(pos("x AND"), 5);
        assert_eq!(pos("OR x"), 0);
        assert_eq!(pos("time>=yesterday"), 6);
        assert_eq!(pos("ip:10.0.0.0/33"), 12);
        assert_eq!(pos("ip:10.0.0.x/8"), 3);
        assert_eq!(pos("actor:\"abc"), 6);
        assert_eq!(pos("actor>=b"), 5);
        assert_eq!(pos("()"), 1);
        assert_eq!(pos("integrity:green"), 10);
        assert!(parse("").is_ok());
        assert!(parse("   ").is_ok());
    }

    #[test]
    fn shapes() {
        let q = parse("actor:alice -rw:read (a OR b) time>=2024-05-01").unwrap();
        match q.filter() {
            Filter::And(parts) => assert_eq!(parts.len(), 4),
            other => panic!("{other:?}"),
        }
        assert_eq!(complete_field("ac")[..3], ["account", "action", "actor"]);
    }
}
