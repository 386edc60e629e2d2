//! Field expressions (`field|mod1|mod2: values`) → patterns, and matching one value.
//!
//! Modifiers follow the Sigma modifiers appendix (v2.1.0, 2025-08-02) and pySigma's behaviour:
//! transformations (`expand`, `windash`, `utf16*`/`wide`, `base64`, `base64offset`) turn one
//! value into a set of alternatives; `contains`/`startswith`/`endswith` place wildcards; type
//! modifiers (`re` with `i`/`m`/`s` or pySigma's `ignorecase`/`multiline`/`dotall`, `cidr`,
//! `lt`…`gte`, `fieldref`, `exists`, the time parts `minute`…`year`) change how the value is
//! compared; `neq` negates the comparison (the field holds a value, and none of the rule's).

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use regex::{Regex, RegexBuilder};
use serde_json::Value;
use yaml_rust2::Yaml;

use super::parse::yaml_text;
use super::Issue;
use crate::config::{parse_ip, Cidr};

/// Largest compiled regex, bytes (the `regex` crate's size limit).
const MAX_REGEX: usize = 1 << 20;
/// Most alternatives one value may expand into (`windash` is 5ⁿ, `expand` a product).
const MAX_EXPANSION: usize = 1024;

/// Placeholder name (without `%`) → values, from the analysis settings.
pub type Placeholders = BTreeMap<String, Vec<String>>;

/// One element of a Sigma wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Glob {
    Lit(char),
    Any,
    One,
}

/// How one value is compared with a field's values.
#[derive(Clone, Debug)]
pub(super) enum Pattern {
    /// `null`: the field is absent or null.
    Null,
    /// A string with Sigma wildcards.
    Str { glob: Vec<Glob>, cased: bool },
    /// `re` (flags compiled in).
    Re(Regex),
    /// `cidr`.
    Cidr(Cidr),
    /// `lt`, `lte`, `gt`, `gte`.
    Cmp(Cmp, f64),
    /// `minute`, `hour`, `day`, `week`, `month`, `year`: a part of the field's date (UTC),
    /// compared as `Cmp` with the number (`Eq` unless a comparison modifier follows).
    TimePart(TimePart, Cmp, f64),
    /// A YAML boolean.
    Bool(bool),
    /// `fieldref`: the value of another field of the same event.
    FieldRef {
        field: String,
        wrap: Wrap,
        cased: bool,
    },
}

/// A numeric comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cmp {
    Eq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Cmp {
    fn holds(self, x: f64, n: f64) -> bool {
        match self {
            Cmp::Eq => x == n,
            Cmp::Gt => x > n,
            Cmp::Gte => x >= n,
            Cmp::Lt => x < n,
            Cmp::Lte => x <= n,
        }
    }
}

/// The part of a date the time modifiers extract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimePart {
    /// 0–59.
    Minute,
    /// 0–23.
    Hour,
    /// Day of the month, 1–31.
    Day,
    /// ISO 8601 week of the year, 1–53.
    Week,
    /// 1–12.
    Month,
    /// The year.
    Year,
}

impl TimePart {
    /// The modifiers' names, in the appendix's order.
    const NAMES: [(&'static str, TimePart); 6] = [
        ("minute", TimePart::Minute),
        ("hour", TimePart::Hour),
        ("day", TimePart::Day),
        ("week", TimePart::Week),
        ("month", TimePart::Month),
        ("year", TimePart::Year),
    ];

    /// This part of the instant `ms` (epoch milliseconds), in UTC: the appendix warns that time
    /// modifiers do no zone conversion, and audit records carry UTC (or an explicit offset).
    fn of(self, ms: i64) -> Option<f64> {
        let t = jiff::Timestamp::from_millisecond(ms).ok()?;
        let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        Some(f64::from(match self {
            TimePart::Minute => i16::from(dt.minute()),
            TimePart::Hour => i16::from(dt.hour()),
            TimePart::Day => i16::from(dt.day()),
            TimePart::Week => i16::from(dt.date().iso_week_date().week()),
            TimePart::Month => i16::from(dt.month()),
            TimePart::Year => dt.year(),
        }))
    }
}

/// One `field|modifiers: values` item. `field` is empty for keywords (value-only items), which
/// search every scalar of the record.
#[derive(Clone, Debug)]
pub(super) struct FieldMatch {
    pub(super) field: String,
    /// `all`: every group must match (otherwise any).
    pub(super) all: bool,
    /// `exists: true/false`.
    pub(super) exists: Option<bool>,
    /// `neq`: the field holds a value and it matches none of the groups.
    pub(super) neq: bool,
    /// One group per value of the rule; a group is the alternatives that value expanded into.
    pub(super) groups: Vec<Vec<Pattern>>,
}

/// Where a string value is expected in the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wrap {
    Exact,
    Contains,
    Starts,
    Ends,
}

/// Text encodings applied before base64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Utf16 {
    Le,
    Be,
    Bom,
}

/// The modifier chain of one field expression, checked for combinations that mean nothing.
#[derive(Default)]
struct Mods {
    wrap: Option<Wrap>,
    all: bool,
    re: bool,
    re_i: bool,
    re_m: bool,
    re_s: bool,
    cidr: bool,
    exists: bool,
    cased: bool,
    cmp: Option<Cmp>,
    neq: bool,
    time: Option<TimePart>,
    fieldref: bool,
    expand: bool,
    windash: bool,
    utf16: Option<Utf16>,
    /// `Some(false)`: base64; `Some(true)`: base64offset.
    base64: Option<bool>,
}

impl Mods {
    fn parse(key: &str, names: &[&str]) -> Result<Mods, Issue> {
        let mut m = Mods::default();
        let combo = |why: &str| Issue::UnsupportedCombination {
            field: key.into(),
            message: why.into(),
        };
        for name in names {
            match *name {
                "contains" => m.wrap = Some(Wrap::Contains),
                "startswith" => m.wrap = Some(Wrap::Starts),
                "endswith" => m.wrap = Some(Wrap::Ends),
                "all" => m.all = true,
                "re" => m.re = true,
                // pySigma spells the flags out too.
                "i" | "ignorecase" if m.re => m.re_i = true,
                "m" | "multiline" if m.re => m.re_m = true,
                "s" | "dotall" if m.re => m.re_s = true,
                "cidr" => m.cidr = true,
                "exists" => m.exists = true,
                "cased" => m.cased = true,
                "gt" => m.cmp = Some(Cmp::Gt),
                "gte" => m.cmp = Some(Cmp::Gte),
                "lt" => m.cmp = Some(Cmp::Lt),
                "lte" => m.cmp = Some(Cmp::Lte),
                "neq" => m.neq = true,
                t if TimePart::NAMES.iter().any(|(n, _)| *n == t) => {
                    if m.time.is_some() {
                        return Err(combo("one time part (minute … year) per field"));
                    }
                    m.time = TimePart::NAMES
                        .iter()
                        .find(|(n, _)| *n == t)
                        .map(|(_, p)| *p);
                }
                "fieldref" => m.fieldref = true,
                "expand" => m.expand = true,
                "windash" => m.windash = true,
                "utf16le" | "wide" => m.utf16 = Some(Utf16::Le),
                "utf16be" => m.utf16 = Some(Utf16::Be),
                "utf16" => m.utf16 = Some(Utf16::Bom),
                "base64" | "base64offset" => {
                    m.base64 = Some(*name == "base64offset");
                }
                other => {
                    return Err(Issue::UnsupportedModifier {
                        field: key.into(),
                        modifier: other.into(),
                    })
                }
            }
            // A UTF-16 encoding only means something as the input of base64: JSON audit
            // records hold Unicode text, never UTF-16 bytes.
            if m.base64.is_some() && m.utf16.is_none() {
                if let Some(pos) = names
                    .iter()
                    .position(|n| n.starts_with("utf16") || *n == "wide")
                {
                    let b = names
                        .iter()
                        .position(|n| n.starts_with("base64"))
                        .unwrap_or(0);
                    if pos > b {
                        return Err(combo("utf16/wide must come before base64"));
                    }
                }
            }
        }
        if m.utf16.is_some() && m.base64.is_none() {
            return Err(combo(
                "utf16/wide is only meaningful before base64 or base64offset",
            ));
        }
        let typed = [m.re, m.cidr, m.cmp.is_some(), m.fieldref, m.exists]
            .iter()
            .filter(|b| **b)
            .count();
        if typed > 1 {
            return Err(combo(
                "re, cidr, lt/lte/gt/gte, fieldref and exists exclude each other",
            ));
        }
        let transforms = m.base64.is_some() || m.windash || m.expand;
        if m.time.is_some()
            && (transforms || m.wrap.is_some() || m.re || m.cidr || m.fieldref || m.exists)
        {
            return Err(combo(
                "a time part (minute … year) compares a number, alone or with lt/lte/gt/gte/neq",
            ));
        }
        if m.neq && (m.exists || m.cmp.is_some() || m.all) {
            return Err(combo(
                "neq negates an equality: it excludes exists, all and lt/lte/gt/gte",
            ));
        }
        if (m.re || m.cidr || m.cmp.is_some() || m.exists) && (transforms || m.wrap.is_some()) {
            return Err(combo(
                "re, cidr, lt/lte/gt/gte and exists take the value as it is",
            ));
        }
        if m.fieldref && transforms {
            return Err(combo("fieldref names a field; it cannot be transformed"));
        }
        Ok(m)
    }
}

/// Parses one `field|modifiers: values` item against `placeholders` (for `expand`). `keyword`
/// marks value-only items (a map key that is only modifiers, `'|all'`).
pub(super) fn parse_field(
    key: &str,
    v: &Yaml,
    placeholders: &Placeholders,
) -> Result<FieldMatch, Issue> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("").trim().to_string();
    let names: Vec<&str> = parts.map(str::trim).collect();
    let m = Mods::parse(key, &names)?;
    let keyword = field.is_empty();
    let bad = |message: String| Issue::BadValue {
        at: key.into(),
        message,
    };
    if keyword && (m.exists || m.fieldref || m.cidr || m.cmp.is_some() || m.neq || m.time.is_some())
    {
        return Err(bad(
            "keywords (no field name) take only string modifiers".into()
        ));
    }
    let values: Vec<&Yaml> = match v {
        Yaml::Array(items) => items.iter().collect(),
        y => vec![y],
    };
    if m.exists {
        let b = match values.as_slice() {
            [Yaml::Boolean(b)] => *b,
            _ => return Err(bad("`exists` takes true or false".into())),
        };
        return Ok(FieldMatch {
            field,
            all: false,
            exists: Some(b),
            neq: false,
            groups: Vec::new(),
        });
    }
    // Keywords are a full-text search: a plain keyword is found anywhere in a value.
    let wrap = m
        .wrap
        .unwrap_or(if keyword { Wrap::Contains } else { Wrap::Exact });
    let mut groups = Vec::new();
    for y in values {
        groups.push(value_patterns(key, y, &m, wrap, placeholders)?);
    }
    if groups.is_empty() {
        return Err(bad("empty value list".into()));
    }
    Ok(FieldMatch {
        field,
        all: m.all,
        exists: None,
        neq: m.neq,
        groups,
    })
}

/// The alternatives one rule value stands for.
fn value_patterns(
    key: &str,
    y: &Yaml,
    m: &Mods,
    wrap: Wrap,
    placeholders: &Placeholders,
) -> Result<Vec<Pattern>, Issue> {
    let bad = |message: String| Issue::BadValue {
        at: key.into(),
        message,
    };
    let number = || match y {
        Yaml::Integer(i) => Ok(*i as f64),
        Yaml::Real(s) | Yaml::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| bad(format!("`{s}` is not a number"))),
        _ => Err(bad("comparison needs a number".into())),
    };
    if let Some(part) = m.time {
        let n = number()?;
        if n.fract() != 0.0 {
            return Err(bad(format!("a time part is a whole number, not `{n}`")));
        }
        return Ok(vec![Pattern::TimePart(part, m.cmp.unwrap_or(Cmp::Eq), n)]);
    }
    if let Some(c) = m.cmp {
        return Ok(vec![Pattern::Cmp(c, number()?)]);
    }
    if m.re {
        let t = yaml_text(y).ok_or_else(|| bad("regex must be text".into()))?;
        let r = RegexBuilder::new(&t)
            .case_insensitive(m.re_i)
            .multi_line(m.re_m)
            .dot_matches_new_line(m.re_s)
            .size_limit(MAX_REGEX)
            .build()
            .map_err(|e| Issue::BadRegex {
                field: key.into(),
                message: e.to_string(),
            })?;
        return Ok(vec![Pattern::Re(r)]);
    }
    if m.cidr {
        let t = yaml_text(y).unwrap_or_default();
        let c = t.parse().map_err(|_| Issue::BadCidr {
            field: key.into(),
            value: t.clone(),
        })?;
        return Ok(vec![Pattern::Cidr(c)]);
    }
    if m.fieldref {
        let other = match y {
            Yaml::String(s) if !s.trim().is_empty() => s.trim().to_string(),
            _ => return Err(bad("`fieldref` takes a field name".into())),
        };
        return Ok(vec![Pattern::FieldRef {
            field: other,
            wrap,
            cased: m.cased,
        }]);
    }
    match y {
        Yaml::Null => {
            return if m.wrap.is_some() || m.base64.is_some() || m.windash || m.expand {
                Err(bad("null cannot be transformed".into()))
            } else if key.starts_with('|') || key.is_empty() {
                Err(bad("a keyword cannot be null".into()))
            } else {
                Ok(vec![Pattern::Null])
            };
        }
        Yaml::Boolean(b) if wrap == Wrap::Exact && m.base64.is_none() && !m.windash => {
            return Ok(vec![Pattern::Bool(*b)]);
        }
        _ => {}
    }
    let text = yaml_text(y).ok_or_else(|| bad("unsupported value type".into()))?;
    let mut texts = if m.expand {
        expand(key, &text, placeholders)?
    } else {
        vec![text]
    };
    if m.windash {
        let mut out = Vec::new();
        for t in &texts {
            out.extend(windash(t));
        }
        if out.len() > MAX_EXPANSION {
            return Err(bad(format!(
                "expands into more than {MAX_EXPANSION} values"
            )));
        }
        texts = out;
    }
    let mut patterns = Vec::new();
    for t in texts {
        match m.base64 {
            Some(offset) => {
                let plain = unescape(&t)
                    .ok_or_else(|| bad("base64 of a value with wildcards is undefined".into()))?;
                let bytes = encode_text(&plain, m.utf16);
                let encoded = if offset {
                    base64_offsets(&bytes)
                } else {
                    vec![STANDARD.encode(&bytes)]
                };
                for e in encoded {
                    patterns.push(Pattern::Str {
                        glob: literal_glob(&e, wrap),
                        cased: m.cased,
                    });
                }
            }
            None => patterns.push(Pattern::Str {
                glob: glob(&t, wrap),
                cased: m.cased,
            }),
        }
    }
    Ok(patterns)
}

/// `expand`: replaces every `%name%` by each of the placeholder's values (all combinations);
/// `\%` is a plain percent sign. Values keep their wildcards (pySigma's value placeholders).
fn expand(key: &str, text: &str, placeholders: &Placeholders) -> Result<Vec<String>, Issue> {
    let mut out = vec![String::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'%') => {
                chars.next();
                out.iter_mut().for_each(|o| o.push('%'));
            }
            '%' => {
                let mut name = String::new();
                let mut closed = false;
                for n in chars.by_ref() {
                    if n == '%' {
                        closed = true;
                        break;
                    }
                    name.push(n);
                }
                if !closed {
                    // A lone percent sign is text.
                    out.iter_mut().for_each(|o| {
                        o.push('%');
                        o.push_str(&name);
                    });
                    continue;
                }
                let values = placeholders
                    .get(&name)
                    .ok_or_else(|| Issue::UnknownPlaceholder {
                        field: key.into(),
                        name: name.clone(),
                    })?;
                if values.is_empty() {
                    return Err(Issue::UnknownPlaceholder {
                        field: key.into(),
                        name,
                    });
                }
                if out.len() * values.len() > MAX_EXPANSION {
                    return Err(Issue::BadValue {
                        at: key.into(),
                        message: format!("expands into more than {MAX_EXPANSION} values"),
                    });
                }
                out = out
                    .iter()
                    .flat_map(|o| values.iter().map(move |v| format!("{o}{v}")))
                    .collect();
            }
            c => out.iter_mut().for_each(|o| o.push(c)),
        }
    }
    Ok(out)
}

/// The dashes `windash` makes interchangeable.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// `windash`: every combination of the dash characters at flag positions — a dash not preceded
/// by a word character and followed by one (pySigma's `\B[-/]\b`), so `-enc` and ` /c` vary
/// but `a-b` does not.
fn windash(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let positions: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            DASHES.contains(&chars[i])
                && (i == 0 || !word(chars[i - 1]))
                && chars.get(i + 1).is_some_and(|&n| word(n))
        })
        .collect();
    let mut out = vec![chars];
    for p in positions {
        out = out
            .into_iter()
            .flat_map(|v| {
                DASHES.iter().map(move |d| {
                    let mut v = v.clone();
                    v[p] = *d;
                    v
                })
            })
            .collect();
        if out.len() > MAX_EXPANSION {
            break;
        }
    }
    out.into_iter().map(|v| v.into_iter().collect()).collect()
}

/// A Sigma string without wildcards, escapes removed; `None` if it has a wildcard.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::new();
    for g in glob(s, Wrap::Exact) {
        match g {
            Glob::Lit(c) => out.push(c),
            Glob::Any | Glob::One => return None,
        }
    }
    Some(out)
}

fn encode_text(s: &str, utf16: Option<Utf16>) -> Vec<u8> {
    match utf16 {
        None => s.as_bytes().to_vec(),
        Some(Utf16::Le) => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Some(Utf16::Be) => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Some(Utf16::Bom) => [0xFF, 0xFE]
            .into_iter()
            .chain(s.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
    }
}

/// `base64offset`: the three encodings of `bytes` at offsets 0, 1 and 2 within a base64
/// stream, trimmed to the characters that do not depend on the neighbouring bytes (pySigma:
/// start offsets 0, 2, 3; end offsets none, −3, −2 chosen by `(len + shift) % 3`).
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    let mut out = Vec::new();
    for shift in 0..3 {
        let mut shifted = vec![b' '; shift];
        shifted.extend_from_slice(bytes);
        let enc = STANDARD.encode(&shifted);
        let cut = END[(bytes.len() + shift) % 3];
        let end = enc.len().saturating_sub(cut);
        if let Some(s) = enc.get(START[shift]..end) {
            if !s.is_empty() {
                out.push(s.to_string());
            }
        }
    }
    out
}

/// Sigma wildcards: `*` any run, `?` one character, `\` escapes `*`, `?` and `\`.
pub(super) fn glob(s: &str, wrap: Wrap) -> Vec<Glob> {
    let mut out = Vec::new();
    if matches!(wrap, Wrap::Contains | Wrap::Ends) {
        out.push(Glob::Any);
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n) if n == '*' || n == '?' || n == '\\' => {
                    out.push(Glob::Lit(n));
                    chars.next();
                }
                _ => out.push(Glob::Lit('\\')),
            },
            '*' => out.push(Glob::Any),
            '?' => out.push(Glob::One),
            c => out.push(Glob::Lit(c)),
        }
    }
    if matches!(wrap, Wrap::Contains | Wrap::Starts) {
        out.push(Glob::Any);
    }
    out
}

/// A pattern matching `s` literally (no wildcards), placed by `wrap`.
fn literal_glob(s: &str, wrap: Wrap) -> Vec<Glob> {
    let mut out = Vec::new();
    if matches!(wrap, Wrap::Contains | Wrap::Ends) {
        out.push(Glob::Any);
    }
    out.extend(s.chars().map(Glob::Lit));
    if matches!(wrap, Wrap::Contains | Wrap::Starts) {
        out.push(Glob::Any);
    }
    out
}

pub(super) fn glob_match(p: &[Glob], v: &str, cased: bool) -> bool {
    let v: Vec<char> = if cased {
        v.chars().collect()
    } else {
        v.chars().flat_map(char::to_lowercase).collect()
    };
    let eq = |a: char, b: char| {
        if cased {
            a == b
        } else {
            a.to_lowercase().eq(std::iter::once(b)) || a == b
        }
    };
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < v.len() {
        match p.get(i) {
            Some(Glob::Any) => {
                star = Some((i, j));
                i += 1;
                continue;
            }
            Some(Glob::One) => {
                i += 1;
                j += 1;
                continue;
            }
            Some(Glob::Lit(c)) if eq(*c, v[j]) => {
                i += 1;
                j += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((si, sj)) => {
                i = si + 1;
                j = sj + 1;
                star = Some((si, sj + 1));
            }
            None => return false,
        }
    }
    p.get(i..)
        .is_some_and(|rest| rest.iter().all(|g| matches!(g, Glob::Any)))
}

/// The texts a value is matched as: a scalar as itself; an object or array as its compact JSON
/// text (what a SIEM holds for a flattened field), and an array's elements each as well.
pub(super) fn texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(b) => out.push(b.to_string()),
        Value::Null => {}
        Value::Array(items) => {
            out.push(v.to_string());
            for i in items {
                texts(i, out);
            }
        }
        Value::Object(_) => out.push(v.to_string()),
    }
}

/// The scalars of a value (array elements looked through), for typed comparisons.
fn scalars<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| scalars(i, out)),
        Value::Object(_) | Value::Null => {}
        v => out.push(v),
    }
}

/// Whether the value pattern `p` (not `Null` or `FieldRef`) matches the field value `v`.
pub(super) fn pattern_matches(p: &Pattern, v: &Value) -> bool {
    match p {
        Pattern::Null => v.is_null(),
        Pattern::Str { glob, cased } => {
            let mut t = Vec::new();
            texts(v, &mut t);
            t.iter().any(|t| glob_match(glob, t, *cased))
        }
        Pattern::Re(r) => {
            let mut t = Vec::new();
            texts(v, &mut t);
            t.iter().any(|t| r.is_match(t))
        }
        Pattern::Bool(b) => {
            let mut s = Vec::new();
            scalars(v, &mut s);
            s.iter().any(|x| match x {
                Value::Bool(x) => x == b,
                Value::String(s) => s.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
                _ => false,
            })
        }
        Pattern::Cidr(c) => {
            let mut s = Vec::new();
            scalars(v, &mut s);
            s.iter()
                .filter_map(|x| x.as_str())
                .filter_map(parse_ip)
                .any(|ip| c.contains(ip))
        }
        Pattern::Cmp(c, n) => {
            let mut s = Vec::new();
            scalars(v, &mut s);
            s.iter().any(|x| {
                let x = match x {
                    Value::Number(x) => x.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                x.is_some_and(|x| c.holds(x, *n))
            })
        }
        Pattern::TimePart(part, c, n) => {
            let mut s = Vec::new();
            scalars(v, &mut s);
            s.iter().any(|x| {
                let ms = match x {
                    Value::String(t) => trailproof_events::time::parse_timestamp(t.trim()),
                    Value::Number(x) => x
                        .as_f64()
                        .and_then(trailproof_events::time::epoch_number_to_ms),
                    _ => None,
                };
                ms.and_then(|ms| part.of(ms))
                    .is_some_and(|x| c.holds(x, *n))
            })
        }
        Pattern::FieldRef { .. } => false,
    }
}

/// `fieldref`: whether `a` (this field's text) relates to `b` (the other field's text) as
/// `wrap` says, case-insensitively unless `cased`.
pub(super) fn field_ref_matches(a: &str, b: &str, wrap: Wrap, cased: bool) -> bool {
    glob_match(&literal_glob(b, wrap), a, cased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64offset_matches_pysigma() {
        // pySigma's own test vector.
        assert_eq!(
            base64_offsets(b"foobar"),
            ["Zm9vYmFy", "Zvb2Jhc", "mb29iYX"]
        );
    }

    #[test]
    fn windash_flag_positions_only() {
        assert_eq!(windash("a-b").len(), 1);
        let v = windash("cmd -enc /c");
        assert_eq!(v.len(), 25);
        assert!(v.contains(&"cmd /enc -c".to_string()));
        assert!(v.contains(&"cmd \u{2013}enc \u{2014}c".to_string()));
    }
}
