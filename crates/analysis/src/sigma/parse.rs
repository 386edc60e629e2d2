//! YAML documents → rules: logsource, selections and conditions.

use std::collections::BTreeMap;

use trailproof_events::Provider;
use yaml_rust2::Yaml;

use super::evaluate::{Cond, Selection};
use super::fields::Naming;
use super::meta::Meta;
use super::modifiers::{glob, glob_match, parse_field, FieldMatch, Placeholders, Wrap};
use super::{Issue, Severity, SigmaRule};

/// Counts alias events in a streaming parse (no tree is built, so nothing expands).
pub(super) struct AliasCount(usize);

impl yaml_rust2::parser::EventReceiver for AliasCount {
    fn on_event(&mut self, ev: yaml_rust2::parser::Event) {
        if let yaml_rust2::parser::Event::Alias(_) = ev {
            self.0 += 1;
        }
    }
}

/// Whether the text uses a YAML alias. The tree loader copies an anchored node for every
/// alias, which nested aliases turn exponential ("billion laughs"); Sigma rules never need
/// them. A syntax error is left for the loader to report.
pub(super) fn has_anchor(text: &str) -> bool {
    let mut count = AliasCount(0);
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    let _ = parser.load(&mut count, true);
    count.0 > 0
}

pub(super) fn yaml_text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The providers a rule's `logsource` selects, and how its field names are read.
pub(super) fn logsource_providers(doc: &Yaml) -> Result<(Vec<Provider>, Naming), Issue> {
    let product = doc["logsource"]["product"]
        .as_str()
        .map(str::to_ascii_lowercase);
    let service = doc["logsource"]["service"]
        .as_str()
        .map(str::to_ascii_lowercase);
    let label = || {
        format!(
            "{}{}",
            product.clone().unwrap_or_default(),
            service
                .as_ref()
                .map(|s| format!("/{s}"))
                .unwrap_or_default()
        )
    };
    let Some(p) = product.as_deref() else {
        return Ok((Provider::ALL.to_vec(), Naming::CloudTrail));
    };
    let provider = match p {
        "aws" => Provider::Aws,
        "alibaba" | "aliyun" | "alibabacloud" | "alibaba_cloud" => Provider::Alibaba,
        "huawei" | "huaweicloud" | "huawei_cloud" => Provider::Huawei,
        "gcp" | "google" | "google_cloud" => Provider::Gcp,
        "azure" => Provider::Azure,
        _ => return Err(Issue::NotApplicable { logsource: label() }),
    };
    let service_ok = match (provider, service.as_deref()) {
        (_, None) => true,
        (Provider::Aws, Some(s)) => s == "cloudtrail",
        (Provider::Alibaba, Some(s)) => s == "actiontrail",
        (Provider::Huawei, Some(s)) => s == "cts",
        (Provider::Gcp, Some(s)) => s == "gcp.audit" || s == "audit",
        (Provider::Azure, Some(s)) => s == "activitylogs",
        _ => false,
    };
    if !service_ok {
        return Err(Issue::NotApplicable { logsource: label() });
    }
    Ok((vec![provider], Naming::Logsource))
}

pub(super) fn parse_rule(
    source: &str,
    doc: &Yaml,
    placeholders: &Placeholders,
) -> Result<SigmaRule, (Severity, Issue)> {
    let (providers, naming) = logsource_providers(doc).map_err(|i| (Severity::Info, i))?;
    let err = |i| (Severity::Error, i);
    let detection = doc["detection"]
        .as_hash()
        .ok_or(err(Issue::MissingDetection))?;
    let mut selections = BTreeMap::new();
    let mut condition_texts = Vec::new();
    for (k, v) in detection {
        let Some(name) = k.as_str() else {
            return Err(err(Issue::BadValue {
                at: format!("{k:?}"),
                message: "selection names must be text".into(),
            }));
        };
        match name {
            "condition" => match v {
                Yaml::String(s) => condition_texts.push(s.clone()),
                Yaml::Array(items) => {
                    for i in items {
                        match i.as_str() {
                            Some(s) => condition_texts.push(s.to_string()),
                            None => {
                                return Err(err(Issue::UnsupportedCondition {
                                    condition: format!("{i:?}"),
                                    message: "not text".into(),
                                }))
                            }
                        }
                    }
                }
                _ => return Err(err(Issue::MissingCondition)),
            },
            "timeframe" => return Err(err(Issue::UnsupportedCondition {
                condition: "timeframe".into(),
                message:
                    "Sigma v1 aggregation windows are deprecated; use an event_count correlation"
                        .into(),
            })),
            _ => {
                selections.insert(
                    name.to_string(),
                    parse_selection(name, v, placeholders).map_err(err)?,
                );
            }
        }
    }
    if condition_texts.is_empty() {
        return Err(err(Issue::MissingCondition));
    }
    let names: Vec<String> = selections.keys().cloned().collect();
    let mut conds = Vec::new();
    for text in &condition_texts {
        conds.push(parse_condition(text, &names).map_err(err)?);
    }
    let condition = if conds.len() == 1 {
        conds.remove(0)
    } else {
        Cond::Or(conds)
    };
    let Meta {
        id,
        name,
        title,
        author,
        level,
    } = Meta::of(doc);
    Ok(SigmaRule {
        id,
        name,
        title,
        author,
        level,
        source: source.to_string(),
        providers,
        naming,
        selections,
        condition,
        generate: true,
    })
}

pub(super) fn parse_selection(
    name: &str,
    v: &Yaml,
    placeholders: &Placeholders,
) -> Result<Selection, Issue> {
    match v {
        Yaml::Hash(h) => Ok(Selection::Map(parse_map(name, h, placeholders)?)),
        Yaml::Array(items)
            if items.iter().all(|i| matches!(i, Yaml::Hash(_))) && !items.is_empty() =>
        {
            let mut maps = Vec::new();
            for i in items {
                if let Yaml::Hash(h) = i {
                    maps.push(parse_map(name, h, placeholders)?);
                }
            }
            Ok(Selection::AnyMap(maps))
        }
        // Value-only lists and strings are keywords: an item without a field name.
        Yaml::Array(items) if items.iter().any(|i| matches!(i, Yaml::Hash(_))) => {
            Err(Issue::BadValue {
                at: name.into(),
                message: "a keyword list may hold only values".into(),
            })
        }
        Yaml::Array(_) | Yaml::String(_) | Yaml::Integer(_) | Yaml::Real(_) => {
            Ok(Selection::Map(vec![parse_field("", v, placeholders)
                .map_err(|e| match e {
                    Issue::BadValue { message, .. } => Issue::BadValue {
                        at: name.into(),
                        message,
                    },
                    e => e,
                })?]))
        }
        _ => Err(Issue::BadValue {
            at: name.into(),
            message: "empty selection".into(),
        }),
    }
}

pub(super) fn parse_map(
    name: &str,
    h: &yaml_rust2::yaml::Hash,
    placeholders: &Placeholders,
) -> Result<Vec<FieldMatch>, Issue> {
    let mut out = Vec::new();
    for (k, v) in h {
        let key = yaml_text(k).ok_or_else(|| Issue::BadValue {
            at: name.into(),
            message: "field names must be text".into(),
        })?;
        out.push(parse_field(&key, v, placeholders)?);
    }
    Ok(out)
}

// ---- Conditions --------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Open,
    Close,
}

pub(super) fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' | ' ' | '\t' | '\n' | '\r' => {
                if !cur.is_empty() {
                    out.push(Tok::Word(std::mem::take(&mut cur)));
                }
                match c {
                    '(' => out.push(Tok::Open),
                    ')' => out.push(Tok::Close),
                    _ => {}
                }
            }
            '|' => {
                return Err(
                    "aggregations after `|` are deprecated; use an event_count correlation".into(),
                )
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Tok::Word(cur));
    }
    Ok(out)
}

pub(super) struct CondParser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a [String],
    depth: usize,
}

pub(super) fn parse_condition(text: &str, names: &[String]) -> Result<Cond, Issue> {
    let bad = |m: String| Issue::UnsupportedCondition {
        condition: text.to_string(),
        message: m,
    };
    let toks = tokenize(text).map_err(bad)?;
    let mut p = CondParser {
        toks,
        pos: 0,
        names,
        depth: 0,
    };
    let c = p.or().map_err(|e| match e {
        CondErr::Unknown(name) => Issue::UnknownIdentifier { name },
        CondErr::Syntax(m) => bad(m),
    })?;
    if p.pos != p.toks.len() {
        return Err(bad(format!("unexpected `{}`", p.describe())));
    }
    Ok(c)
}

pub(super) enum CondErr {
    Unknown(String),
    Syntax(String),
}

impl CondParser<'_> {
    fn peek_word(&self) -> Option<String> {
        match self.toks.get(self.pos) {
            Some(Tok::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self.toks.get(self.pos) {
            Some(Tok::Word(w)) => w.clone(),
            Some(Tok::Open) => "(".into(),
            Some(Tok::Close) => ")".into(),
            None => "end".into(),
        }
    }

    fn or(&mut self) -> Result<Cond, CondErr> {
        let mut items = vec![self.and()?];
        while self.peek_word().as_deref() == Some("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self) -> Result<Cond, CondErr> {
        let mut items = vec![self.not()?];
        while self.peek_word().as_deref() == Some("and") {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self) -> Result<Cond, CondErr> {
        if self.peek_word().as_deref() == Some("not") {
            self.pos += 1;
            self.depth += 1;
            if self.depth > 64 {
                return Err(CondErr::Syntax("nested too deeply".into()));
            }
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Cond, CondErr> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Open) => {
                self.pos += 1;
                self.depth += 1;
                if self.depth > 64 {
                    return Err(CondErr::Syntax("nested too deeply".into()));
                }
                let inner = self.or()?;
                self.depth -= 1;
                if self.toks.get(self.pos) != Some(&Tok::Close) {
                    return Err(CondErr::Syntax("missing `)`".into()));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Tok::Word(w)) => {
                self.pos += 1;
                let lw = w.to_ascii_lowercase();
                if lw == "1" || lw == "all" {
                    if self.peek_word().as_deref() != Some("of") {
                        return Err(CondErr::Syntax(format!("expected `of` after `{w}`")));
                    }
                    self.pos += 1;
                    let Some(Tok::Word(target)) = self.toks.get(self.pos).cloned() else {
                        return Err(CondErr::Syntax(
                            "expected a name pattern or `them` after `of`".into(),
                        ));
                    };
                    self.pos += 1;
                    let names: Vec<String> = if target.eq_ignore_ascii_case("them") {
                        // `them` leaves out names starting with `_` (spec).
                        self.names
                            .iter()
                            .filter(|n| !n.starts_with('_'))
                            .cloned()
                            .collect()
                    } else {
                        let g = glob(&target, Wrap::Exact);
                        self.names
                            .iter()
                            .filter(|n| glob_match(&g, n, true))
                            .cloned()
                            .collect()
                    };
                    if names.is_empty() {
                        return Err(CondErr::Unknown(target));
                    }
                    let ids = names.into_iter().map(Cond::Id).collect();
                    return Ok(if lw == "1" {
                        Cond::Or(ids)
                    } else {
                        Cond::And(ids)
                    });
                }
                if matches!(lw.as_str(), "and" | "or" | "of" | "them") {
                    return Err(CondErr::Syntax(format!("unexpected `{w}`")));
                }
                if !self.names.contains(&w) {
                    return Err(CondErr::Unknown(w));
                }
                Ok(Cond::Id(w))
            }
            Some(Tok::Close) => Err(CondErr::Syntax("unexpected `)`".into())),
            None => Err(CondErr::Syntax("unexpected end".into())),
        }
    }
}
