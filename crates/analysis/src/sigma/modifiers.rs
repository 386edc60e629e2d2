//! Field expressions (`field|mod1|mod2: values`) → patterns, and matching one value.

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use super::parse::yaml_text;
use super::Issue;
use crate::config::{parse_ip, Cidr};
use crate::records::scalar_text;
use yaml_rust2::Yaml;

/// Largest compiled regex, bytes (the `regex` crate's size limit).
pub(super) const MAX_REGEX: usize = 1 << 20;

#[derive(Clone, Debug)]
pub(super) enum Glob {
    Lit(char),
    Any,
    One,
}

#[derive(Clone, Debug)]
pub(super) enum Pattern {
    Null,
    Str { glob: Vec<Glob>, cased: bool },
    Re(Regex),
    Cidr(Cidr),
    Cmp(Cmp, f64),
    Bool(bool),
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Cmp {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Clone, Debug)]
pub(super) struct FieldMatch {
    pub(super) field: String,
    pub(super) all: bool,
    pub(super) exists: Option<bool>,
    pub(super) patterns: Vec<Pattern>,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Wrap {
    Exact,
    Contains,
    Starts,
    Ends,
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
    p[i..].iter().all(|g| matches!(g, Glob::Any))
}

pub(super) fn parse_field(key: &str, v: &Yaml) -> Result<FieldMatch, Issue> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("").trim().to_string();
    let mut wrap = Wrap::Exact;
    let (mut all, mut re, mut cidr, mut exists, mut cased) = (false, false, false, false, false);
    let mut cmp = None;
    let (mut re_i, mut re_m, mut re_s) = (false, false, false);
    for m in parts {
        match m.trim() {
            "contains" => wrap = Wrap::Contains,
            "startswith" => wrap = Wrap::Starts,
            "endswith" => wrap = Wrap::Ends,
            "all" => all = true,
            "re" => re = true,
            "i" if re => re_i = true,
            "m" if re => re_m = true,
            "s" if re => re_s = true,
            "cidr" => cidr = true,
            "exists" => exists = true,
            "cased" => cased = true,
            "gt" => cmp = Some(Cmp::Gt),
            "gte" => cmp = Some(Cmp::Gte),
            "lt" => cmp = Some(Cmp::Lt),
            "lte" => cmp = Some(Cmp::Lte),
            other => {
                return Err(Issue::UnsupportedModifier {
                    field: key.into(),
                    modifier: other.into(),
                })
            }
        }
    }
    let values: Vec<&Yaml> = match v {
        Yaml::Array(items) => items.iter().collect(),
        y => vec![y],
    };
    if exists {
        let b = match values.as_slice() {
            [Yaml::Boolean(b)] => *b,
            _ => {
                return Err(Issue::BadValue {
                    at: key.into(),
                    message: "`exists` takes true or false".into(),
                })
            }
        };
        return Ok(FieldMatch {
            field,
            all: false,
            exists: Some(b),
            patterns: Vec::new(),
        });
    }
    let mut patterns = Vec::new();
    for y in values {
        let p = if let Some(c) = cmp {
            let n = match y {
                Yaml::Integer(i) => *i as f64,
                Yaml::Real(s) | Yaml::String(s) => {
                    s.trim().parse::<f64>().map_err(|_| Issue::BadValue {
                        at: key.into(),
                        message: format!("`{s}` is not a number"),
                    })?
                }
                _ => {
                    return Err(Issue::BadValue {
                        at: key.into(),
                        message: "comparison needs a number".into(),
                    })
                }
            };
            Pattern::Cmp(c, n)
        } else if re {
            let t = yaml_text(y).ok_or_else(|| Issue::BadValue {
                at: key.into(),
                message: "regex must be text".into(),
            })?;
            let r = RegexBuilder::new(&t)
                .case_insensitive(re_i)
                .multi_line(re_m)
                .dot_matches_new_line(re_s)
                .size_limit(MAX_REGEX)
                .build()
                .map_err(|e| Issue::BadRegex {
                    field: key.into(),
                    message: e.to_string(),
                })?;
            Pattern::Re(r)
        } else if cidr {
            let t = yaml_text(y).unwrap_or_default();
            Pattern::Cidr(t.parse().map_err(|_| Issue::BadCidr {
                field: key.into(),
                value: t.clone(),
            })?)
        } else {
            match y {
                Yaml::Null => Pattern::Null,
                Yaml::Boolean(b) if wrap == Wrap::Exact => Pattern::Bool(*b),
                y => match yaml_text(y) {
                    Some(t) => Pattern::Str {
                        glob: glob(&t, wrap),
                        cased,
                    },
                    None => {
                        return Err(Issue::BadValue {
                            at: key.into(),
                            message: "unsupported value type".into(),
                        })
                    }
                },
            }
        };
        patterns.push(p);
    }
    if patterns.is_empty() {
        return Err(Issue::BadValue {
            at: key.into(),
            message: "empty value list".into(),
        });
    }
    Ok(FieldMatch {
        field,
        all,
        exists: None,
        patterns,
    })
}

pub(super) fn pattern_matches(p: &Pattern, v: &Value) -> bool {
    match p {
        Pattern::Null => v.is_null(),
        Pattern::Bool(b) => match v {
            Value::Bool(x) => x == b,
            Value::String(s) => s.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
            _ => false,
        },
        Pattern::Str { glob, cased } => {
            scalar_text(v).is_some_and(|t| glob_match(glob, &t, *cased))
        }
        Pattern::Re(r) => scalar_text(v).is_some_and(|t| r.is_match(&t)),
        Pattern::Cidr(c) => scalar_text(v)
            .and_then(|t| parse_ip(&t))
            .is_some_and(|ip| c.contains(ip)),
        Pattern::Cmp(c, n) => {
            let x = match v {
                Value::Number(x) => x.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            x.is_some_and(|x| match c {
                Cmp::Gt => x > *n,
                Cmp::Gte => x >= *n,
                Cmp::Lt => x < *n,
                Cmp::Lte => x <= *n,
            })
        }
    }
}
