//! Sigma rules loaded at run time: the detection part of the specification plus `event_count`
//! correlations.
//!
//! Supported: selections as maps (AND of fields) and lists of maps (OR), keyword lists, value
//! lists (OR, or AND with `all`), `null`, numbers and booleans; modifiers `contains`,
//! `startswith`, `endswith`, `all`, `re` (with `i`, `m`, `s`), `cidr`, `exists`, `gt`, `gte`,
//! `lt`, `lte` and `cased`; conditions with `and`, `or`, `not`, parentheses, `1 of` / `all of`
//! with `them` and wildcards (`selection_*`); correlation rules of type `event_count` with
//! `group-by`, `timespan` and a `gt`/`gte` condition. Anything else makes the rule **not
//! loaded**, with a [`SigmaDiagnostic`] saying why: a rule is never evaluated half-understood.
//!
//! Field names are the provider's raw field names (Sigma's CloudTrail rules use `eventName`,
//! `userIdentity.type`, ...) and are looked up in the raw record, so only candidate events are
//! re-read: each rule is first evaluated on the normalized columns where a field maps exactly
//! (three-valued: true, false, unknown), and only "unknown" events need their raw JSON.
//! A rule without a `logsource.product` applies to every provider, its CloudTrail field names
//! translated through [`map_field`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use regex::{Regex, RegexBuilder};
use serde::Serialize;
use serde_json::Value;
use trailproof_events::{EventStore, Field, Provider};
use yaml_rust2::{Yaml, YamlLoader};

use crate::config::{parse_ip, Cidr};
use crate::finding::{Detail, Finding, Level, RuleRef};
use crate::records::{lookup, scalar_text, string_leaves};

/// Largest rule text accepted, bytes: rules are small; this bounds parsing work.
const MAX_RULE_TEXT: usize = 1 << 20;
/// Largest compiled regex, bytes (the `regex` crate's size limit).
const MAX_REGEX: usize = 1 << 20;

/// How much a diagnostic matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The rule does not apply to audit trails (another log source); nothing is lost.
    Info,
    /// The rule or document was not loaded.
    Error,
}

/// Why a rule (or part of a file) was not loaded.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Issue {
    /// The text is not YAML, or is too large.
    Yaml {
        /// The parser's message.
        message: String,
    },
    /// YAML anchors and aliases are refused (they can expand exponentially).
    Aliases,
    /// A document that is neither a detection rule nor a correlation rule.
    NotARule,
    /// The rule has no `detection` (or it is not a map).
    MissingDetection,
    /// The rule has no `condition`.
    MissingCondition,
    /// A value modifier this engine does not implement.
    UnsupportedModifier {
        /// The field expression (`CommandLine|base64offset|contains`).
        field: String,
        /// The modifier.
        modifier: String,
    },
    /// A condition this engine cannot evaluate (aggregations after `|`, bad syntax).
    UnsupportedCondition {
        /// The condition text.
        condition: String,
        /// What is wrong.
        message: String,
    },
    /// The condition names a selection the detection does not define.
    UnknownIdentifier {
        /// The name.
        name: String,
    },
    /// A selection or value this engine cannot read.
    BadValue {
        /// The selection or field.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A `re` value that does not compile.
    BadRegex {
        /// The field.
        field: String,
        /// The regex error.
        message: String,
    },
    /// A `cidr` value that is not a network.
    BadCidr {
        /// The field.
        field: String,
        /// The value.
        value: String,
    },
    /// The log source is not an audit trail this tool reads.
    NotApplicable {
        /// The product (and service) named.
        logsource: String,
    },
    /// A correlation this engine does not implement (type, condition or timespan).
    UnsupportedCorrelation {
        /// What is not supported.
        message: String,
    },
    /// A correlation refers to a rule that was not loaded.
    UnknownRuleReference {
        /// The name or id referred to.
        reference: String,
    },
}

/// A problem loading Sigma rules.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SigmaDiagnostic {
    /// Where the rule came from (a file name).
    pub source: String,
    /// The rule's title (or id) when known.
    pub rule: String,
    /// How much it matters.
    pub severity: Severity,
    /// What is wrong.
    pub issue: Issue,
}

impl SigmaDiagnostic {
    /// One sentence for people.
    pub fn message(&self) -> String {
        let what = match &self.issue {
            Issue::Yaml { message } => format!("not valid YAML: {message}"),
            Issue::Aliases => "YAML anchors/aliases are not supported".into(),
            Issue::NotARule => "neither a detection nor a correlation rule".into(),
            Issue::MissingDetection => "no detection section".into(),
            Issue::MissingCondition => "no condition".into(),
            Issue::UnsupportedModifier { field, modifier } => {
                format!("modifier `{modifier}` (in `{field}`) is not supported")
            }
            Issue::UnsupportedCondition { condition, message } => {
                format!("condition `{condition}` is not supported: {message}")
            }
            Issue::UnknownIdentifier { name } => {
                format!("condition names `{name}`, which the detection does not define")
            }
            Issue::BadValue { at, message } => format!("`{at}`: {message}"),
            Issue::BadRegex { field, message } => format!("regex in `{field}`: {message}"),
            Issue::BadCidr { field, value } => format!("`{value}` in `{field}` is not a network"),
            Issue::NotApplicable { logsource } => {
                format!("log source `{logsource}` is not a cloud audit trail")
            }
            Issue::UnsupportedCorrelation { message } => {
                format!("correlation not supported: {message}")
            }
            Issue::UnknownRuleReference { reference } => {
                format!("correlation refers to `{reference}`, which is not loaded")
            }
        };
        let verdict = match self.severity {
            Severity::Info => "skipped",
            Severity::Error => "not loaded",
        };
        if self.rule.is_empty() {
            format!("{}: {what} ({verdict})", self.source)
        } else {
            format!("{}: rule {:?}: {what} ({verdict})", self.source, self.rule)
        }
    }
}

/// Three-valued truth: a field the normalized columns cannot answer is `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
    fn from(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }
}

fn and_all(items: impl Iterator<Item = Tri>) -> Tri {
    let mut out = Tri::True;
    for t in items {
        match t {
            Tri::False => return Tri::False,
            Tri::Unknown => out = Tri::Unknown,
            Tri::True => {}
        }
    }
    out
}

fn or_any(items: impl Iterator<Item = Tri>) -> Tri {
    let mut out = Tri::False;
    for t in items {
        match t {
            Tri::True => return Tri::True,
            Tri::Unknown => out = Tri::Unknown,
            Tri::False => {}
        }
    }
    out
}

/// What a field lookup returns: `None` when the source cannot tell (normalized pass).
trait Fields {
    fn values(&self, field: &str) -> Option<Vec<Value>>;
    fn all_strings(&self) -> Option<Vec<String>>;
}

#[derive(Clone, Debug)]
enum Glob {
    Lit(char),
    Any,
    One,
}

#[derive(Clone, Debug)]
enum Pattern {
    Null,
    Str { glob: Vec<Glob>, cased: bool },
    Re(Regex),
    Cidr(Cidr),
    Cmp(Cmp, f64),
    Bool(bool),
}

#[derive(Clone, Copy, Debug)]
enum Cmp {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Clone, Debug)]
struct FieldMatch {
    field: String,
    all: bool,
    exists: Option<bool>,
    patterns: Vec<Pattern>,
}

#[derive(Clone, Debug)]
enum Selection {
    /// A map: every field matches.
    Map(Vec<FieldMatch>),
    /// A list of maps: any matches.
    AnyMap(Vec<Vec<FieldMatch>>),
    /// Keywords: any appears in any string of the record.
    Keywords(Vec<Pattern>),
}

#[derive(Clone, Debug)]
enum Cond {
    Id(String),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// One loaded detection rule.
#[derive(Clone, Debug)]
pub struct SigmaRule {
    /// `id` (may be empty).
    pub id: String,
    /// `name` (used by correlations; may be empty).
    pub name: String,
    /// `title`.
    pub title: String,
    /// `author` (may be empty).
    pub author: String,
    /// `level` (medium when absent).
    pub level: Level,
    /// The file it came from.
    pub source: String,
    /// Providers it applies to.
    pub providers: Vec<Provider>,
    /// Whether CloudTrail field names are translated per provider (rules without a product).
    mapped: bool,
    selections: BTreeMap<String, Selection>,
    condition: Cond,
    /// Whether standalone matches are reported (false when only a correlation uses it).
    pub(crate) generate: bool,
}

/// One loaded `event_count` correlation.
#[derive(Clone, Debug)]
pub struct SigmaCorrelation {
    /// `id` (may be empty).
    pub id: String,
    /// `title`.
    pub title: String,
    /// `author`.
    pub author: String,
    /// `level`.
    pub level: Level,
    /// The file it came from.
    pub source: String,
    /// Indices of the rules it counts.
    rules: Vec<usize>,
    /// The names or ids it refers to.
    rule_names: Vec<String>,
    /// Fields the count is grouped by.
    pub group_by: Vec<String>,
    /// The window, seconds.
    pub timespan_secs: i64,
    /// Threshold and whether it is strict (`gt`) or not (`gte`).
    threshold: u64,
    strict: bool,
}

impl SigmaRule {
    pub(crate) fn rule_ref(&self) -> RuleRef {
        RuleRef::Sigma {
            id: self.id.clone(),
            title: self.title.clone(),
            author: self.author.clone(),
            source: self.source.clone(),
        }
    }

    fn key(&self) -> String {
        self.rule_ref().key()
    }
}

/// Rules loaded from any number of YAML texts.
#[derive(Clone, Debug, Default)]
pub struct SigmaRuleSet {
    rules: Vec<SigmaRule>,
    correlations: Vec<SigmaCorrelation>,
    diagnostics: Vec<SigmaDiagnostic>,
    /// Correlation documents waiting for their referenced rules (resolved in `resolve`).
    pending: Vec<(String, Yaml)>,
}

impl SigmaRuleSet {
    /// An empty set.
    pub fn new() -> SigmaRuleSet {
        SigmaRuleSet::default()
    }

    /// Loads every YAML document of `text` (a rule file; `---` separates documents),
    /// remembering `source` for messages and findings. Problems become diagnostics.
    pub fn load(&mut self, source: &str, text: &str) {
        let diag = |rule: &str, severity, issue| SigmaDiagnostic {
            source: source.to_string(),
            rule: rule.to_string(),
            severity,
            issue,
        };
        if text.len() > MAX_RULE_TEXT {
            self.diagnostics.push(diag(
                "",
                Severity::Error,
                Issue::Yaml {
                    message: format!("larger than {MAX_RULE_TEXT} bytes"),
                },
            ));
            return;
        }
        if has_anchor(text) {
            self.diagnostics
                .push(diag("", Severity::Error, Issue::Aliases));
            return;
        }
        let docs = match YamlLoader::load_from_str(text) {
            Ok(d) => d,
            Err(e) => {
                self.diagnostics.push(diag(
                    "",
                    Severity::Error,
                    Issue::Yaml {
                        message: e.to_string(),
                    },
                ));
                return;
            }
        };
        for doc in docs {
            if doc.is_null() {
                continue;
            }
            let title = doc["title"].as_str().unwrap_or("").to_string();
            let label = if title.is_empty() {
                doc["id"].as_str().unwrap_or("").to_string()
            } else {
                title
            };
            if !doc["correlation"].is_badvalue() {
                self.pending.push((source.to_string(), doc));
                continue;
            }
            if doc["detection"].is_badvalue() && doc["logsource"].is_badvalue() {
                self.diagnostics
                    .push(diag(&label, Severity::Error, Issue::NotARule));
                continue;
            }
            match parse_rule(source, &doc) {
                Ok(rule) => self.rules.push(rule),
                Err((severity, issue)) => self.diagnostics.push(diag(&label, severity, issue)),
            }
        }
        self.resolve();
    }

    /// Resolves pending correlations whose rules are now loaded.
    fn resolve(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for (source, doc) in pending {
            match parse_correlation(&source, &doc, &self.rules) {
                Ok(Some(c)) => {
                    let generate = doc["correlation"]["generate"].as_bool().unwrap_or(false);
                    for &i in &c.rules {
                        if let Some(r) = self.rules.get_mut(i) {
                            r.generate = r.generate && generate;
                        }
                    }
                    self.correlations.push(c);
                }
                // A referenced rule may come from a later file.
                Ok(None) => self.pending.push((source, doc)),
                Err(issue) => self.diagnostics.push(SigmaDiagnostic {
                    source,
                    rule: doc["title"].as_str().unwrap_or("").to_string(),
                    severity: Severity::Error,
                    issue,
                }),
            }
        }
    }

    /// Loaded detection rules.
    pub fn rules(&self) -> &[SigmaRule] {
        &self.rules
    }

    /// Loaded correlations.
    pub fn correlations(&self) -> &[SigmaCorrelation] {
        &self.correlations
    }

    /// Problems so far, including correlations whose rules never appeared.
    pub fn diagnostics(&self) -> Vec<SigmaDiagnostic> {
        let mut out = self.diagnostics.clone();
        for (source, doc) in &self.pending {
            let refs = rule_refs(doc);
            let missing = refs
                .into_iter()
                .find(|r| find_rule(&self.rules, r).is_none())
                .unwrap_or_default();
            out.push(SigmaDiagnostic {
                source: source.clone(),
                rule: doc["title"].as_str().unwrap_or("").to_string(),
                severity: Severity::Error,
                issue: Issue::UnknownRuleReference { reference: missing },
            });
        }
        out.sort();
        out
    }
}

/// Counts alias events in a streaming parse (no tree is built, so nothing expands).
struct AliasCount(usize);

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
fn has_anchor(text: &str) -> bool {
    let mut count = AliasCount(0);
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    let _ = parser.load(&mut count, true);
    count.0 > 0
}

fn yaml_text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn logsource_providers(doc: &Yaml) -> Result<(Vec<Provider>, bool), Issue> {
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
        return Ok((Provider::ALL.to_vec(), true));
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
    Ok((vec![provider], false))
}

fn parse_rule(source: &str, doc: &Yaml) -> Result<SigmaRule, (Severity, Issue)> {
    let (providers, mapped) = logsource_providers(doc).map_err(|i| (Severity::Info, i))?;
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
                selections.insert(name.to_string(), parse_selection(name, v).map_err(err)?);
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
    let text = |k: &str| doc[k].as_str().unwrap_or("").to_string();
    let author = match &doc["author"] {
        Yaml::Array(a) => a
            .iter()
            .filter_map(yaml_text)
            .collect::<Vec<_>>()
            .join(", "),
        y => yaml_text(y).unwrap_or_default(),
    };
    Ok(SigmaRule {
        id: text("id"),
        name: text("name"),
        title: if text("title").is_empty() {
            text("id")
        } else {
            text("title")
        },
        author,
        level: doc["level"]
            .as_str()
            .and_then(Level::parse)
            .unwrap_or(Level::Medium),
        source: source.to_string(),
        providers,
        mapped,
        selections,
        condition,
        generate: true,
    })
}

fn parse_selection(name: &str, v: &Yaml) -> Result<Selection, Issue> {
    match v {
        Yaml::Hash(h) => Ok(Selection::Map(parse_map(name, h)?)),
        Yaml::Array(items)
            if items.iter().all(|i| matches!(i, Yaml::Hash(_))) && !items.is_empty() =>
        {
            let mut maps = Vec::new();
            for i in items {
                if let Yaml::Hash(h) = i {
                    maps.push(parse_map(name, h)?);
                }
            }
            Ok(Selection::AnyMap(maps))
        }
        Yaml::Array(items) => {
            let mut pats = Vec::new();
            for i in items {
                let t = yaml_text(i).ok_or_else(|| Issue::BadValue {
                    at: name.into(),
                    message: "a keyword list may hold only text".into(),
                })?;
                pats.push(Pattern::Str {
                    glob: glob(&t, Wrap::Contains),
                    cased: false,
                });
            }
            Ok(Selection::Keywords(pats))
        }
        y => match yaml_text(y) {
            Some(t) => Ok(Selection::Keywords(vec![Pattern::Str {
                glob: glob(&t, Wrap::Contains),
                cased: false,
            }])),
            None => Err(Issue::BadValue {
                at: name.into(),
                message: "empty selection".into(),
            }),
        },
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Wrap {
    Exact,
    Contains,
    Starts,
    Ends,
}

/// Sigma wildcards: `*` any run, `?` one character, `\` escapes `*`, `?` and `\`.
fn glob(s: &str, wrap: Wrap) -> Vec<Glob> {
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

fn glob_match(p: &[Glob], v: &str, cased: bool) -> bool {
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

fn parse_map(name: &str, h: &yaml_rust2::yaml::Hash) -> Result<Vec<FieldMatch>, Issue> {
    let mut out = Vec::new();
    for (k, v) in h {
        let key = yaml_text(k).ok_or_else(|| Issue::BadValue {
            at: name.into(),
            message: "field names must be text".into(),
        })?;
        out.push(parse_field(&key, v)?);
    }
    Ok(out)
}

fn parse_field(key: &str, v: &Yaml) -> Result<FieldMatch, Issue> {
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

// ---- Conditions --------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
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

struct CondParser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a [String],
    depth: usize,
}

fn parse_condition(text: &str, names: &[String]) -> Result<Cond, Issue> {
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

enum CondErr {
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

// ---- Correlations ------------------------------------------------------------------------

fn rule_refs(doc: &Yaml) -> Vec<String> {
    match &doc["correlation"]["rules"] {
        Yaml::Array(a) => a.iter().filter_map(yaml_text).collect(),
        y => yaml_text(y).into_iter().collect(),
    }
}

fn find_rule(rules: &[SigmaRule], reference: &str) -> Option<usize> {
    rules.iter().position(|r| {
        (!r.name.is_empty() && r.name == reference) || (!r.id.is_empty() && r.id == reference)
    })
}

/// `Ok(None)`: a referenced rule is not loaded (yet).
fn parse_correlation(
    source: &str,
    doc: &Yaml,
    rules: &[SigmaRule],
) -> Result<Option<SigmaCorrelation>, Issue> {
    let c = &doc["correlation"];
    let unsupported = |m: String| Issue::UnsupportedCorrelation { message: m };
    let kind = c["type"].as_str().unwrap_or("");
    if kind != "event_count" {
        return Err(unsupported(format!(
            "type `{kind}` (only event_count is implemented)"
        )));
    }
    let refs = rule_refs(doc);
    if refs.is_empty() {
        return Err(unsupported("no `rules`".into()));
    }
    let mut idx = Vec::new();
    for r in &refs {
        match find_rule(rules, r) {
            Some(i) => idx.push(i),
            None => return Ok(None),
        }
    }
    let group_by = match &c["group-by"] {
        Yaml::Array(a) => a.iter().filter_map(yaml_text).collect(),
        Yaml::BadValue | Yaml::Null => Vec::new(),
        y => yaml_text(y).into_iter().collect(),
    };
    let span = c["timespan"]
        .as_str()
        .map(str::to_string)
        .or_else(|| yaml_text(&c["timespan"]))
        .unwrap_or_default();
    let timespan_secs =
        parse_timespan(&span).ok_or_else(|| unsupported(format!("timespan `{span}`")))?;
    let cond = c["condition"]
        .as_hash()
        .ok_or_else(|| unsupported("no condition map".into()))?;
    let mut threshold = None;
    for (k, v) in cond {
        let n = v.as_i64().and_then(|n| u64::try_from(n).ok());
        match (k.as_str(), n) {
            (Some("gte"), Some(n)) => threshold = Some((n, false)),
            (Some("gt"), Some(n)) => threshold = Some((n, true)),
            (Some(other), _) => {
                return Err(unsupported(format!(
                    "condition `{other}` (only gt and gte are implemented)"
                )))
            }
            _ => return Err(unsupported("condition".into())),
        }
    }
    let (threshold, strict) = threshold.ok_or_else(|| unsupported("empty condition".into()))?;
    let author = match &doc["author"] {
        Yaml::Array(a) => a
            .iter()
            .filter_map(yaml_text)
            .collect::<Vec<_>>()
            .join(", "),
        y => yaml_text(y).unwrap_or_default(),
    };
    let title = doc["title"].as_str().unwrap_or("").to_string();
    Ok(Some(SigmaCorrelation {
        id: doc["id"].as_str().unwrap_or("").to_string(),
        title,
        author,
        level: doc["level"]
            .as_str()
            .and_then(Level::parse)
            .unwrap_or(Level::Medium),
        source: source.to_string(),
        rules: idx,
        rule_names: refs,
        group_by,
        timespan_secs,
        threshold,
        strict,
    }))
}

fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let mul = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(mul).filter(|v| *v > 0)
}

// ---- Field mapping -----------------------------------------------------------------------

/// CloudTrail field names translated to other providers' raw names (for rules without a
/// product). Prefixes map too: `requestParameters.x` → `request.x` on Huawei.
const FIELD_MAP: &[(Provider, &str, &[&str])] = &[
    (Provider::Alibaba, "sourceIPAddress", &["sourceIpAddress"]),
    (Provider::Alibaba, "awsRegion", &["acsRegion"]),
    (Provider::Alibaba, "eventID", &["eventId"]),
    (Provider::Huawei, "eventName", &["trace_name"]),
    (Provider::Huawei, "eventSource", &["service_type"]),
    (Provider::Huawei, "sourceIPAddress", &["source_ip"]),
    (Provider::Huawei, "userAgent", &["user_agent"]),
    (Provider::Huawei, "userIdentity.userName", &["user.name"]),
    (Provider::Huawei, "userIdentity.principalId", &["user.id"]),
    (Provider::Huawei, "errorCode", &["code"]),
    (Provider::Huawei, "eventID", &["trace_id"]),
    (Provider::Huawei, "requestParameters", &["request"]),
    (Provider::Huawei, "responseElements", &["response"]),
    (Provider::Gcp, "eventName", &["protoPayload.methodName"]),
    (Provider::Gcp, "eventSource", &["protoPayload.serviceName"]),
    (
        Provider::Gcp,
        "sourceIPAddress",
        &["protoPayload.requestMetadata.callerIp"],
    ),
    (
        Provider::Gcp,
        "userAgent",
        &["protoPayload.requestMetadata.callerSuppliedUserAgent"],
    ),
    (
        Provider::Gcp,
        "userIdentity.userName",
        &["protoPayload.authenticationInfo.principalEmail"],
    ),
    (Provider::Gcp, "errorCode", &["protoPayload.status.code"]),
    (Provider::Gcp, "eventID", &["insertId"]),
    (
        Provider::Gcp,
        "requestParameters",
        &["protoPayload.request"],
    ),
    (
        Provider::Azure,
        "eventName",
        &[
            "operationName.value",
            "operationName",
            "operation_name.value",
        ],
    ),
    (
        Provider::Azure,
        "eventSource",
        &["resourceProviderName.value", "resource_provider_name.value"],
    ),
    (
        Provider::Azure,
        "sourceIPAddress",
        &[
            "httpRequest.clientIpAddress",
            "callerIpAddress",
            "http_request.client_ip_address",
        ],
    ),
    (Provider::Azure, "userIdentity.userName", &["caller"]),
    (
        Provider::Azure,
        "eventID",
        &["eventDataId", "event_data_id"],
    ),
];

/// The raw field paths a CloudTrail field name means for `provider`.
pub fn map_field(provider: Provider, field: &str) -> Vec<String> {
    for (p, from, to) in FIELD_MAP {
        if *p != provider {
            continue;
        }
        if field == *from {
            return to.iter().map(|s| s.to_string()).collect();
        }
        if let Some(rest) = field.strip_prefix(from).and_then(|r| r.strip_prefix('.')) {
            return to.iter().map(|s| format!("{s}.{rest}")).collect();
        }
    }
    vec![field.to_string()]
}

/// Raw field → normalized column, where the column holds exactly the raw value.
const EXACT: &[(Provider, &str, Field)] = &[
    (Provider::Aws, "eventName", Field::Action),
    (Provider::Aws, "eventSource", Field::Service),
    (Provider::Aws, "awsRegion", Field::Region),
    (Provider::Aws, "sourceIPAddress", Field::SourceIp),
    (Provider::Aws, "userAgent", Field::UserAgent),
    (Provider::Aws, "eventID", Field::EventId),
    (Provider::Aws, "userIdentity.type", Field::ActorType),
    (Provider::Aws, "errorCode", Field::ErrorCode),
    (Provider::Alibaba, "eventName", Field::Action),
    (Provider::Alibaba, "acsRegion", Field::Region),
    (Provider::Alibaba, "sourceIpAddress", Field::SourceIp),
    (Provider::Alibaba, "eventId", Field::EventId),
    (Provider::Alibaba, "userIdentity.type", Field::ActorType),
    (Provider::Alibaba, "errorCode", Field::ErrorCode),
    (Provider::Huawei, "trace_name", Field::Action),
    (Provider::Huawei, "service_type", Field::Service),
    (Provider::Huawei, "source_ip", Field::SourceIp),
    (Provider::Huawei, "trace_id", Field::EventId),
    (Provider::Gcp, "protoPayload.methodName", Field::Action),
    (Provider::Gcp, "protoPayload.serviceName", Field::Service),
    (
        Provider::Gcp,
        "protoPayload.requestMetadata.callerIp",
        Field::SourceIp,
    ),
    (Provider::Gcp, "insertId", Field::EventId),
];

struct Normalized<'s> {
    store: &'s EventStore,
    row: usize,
    provider: Provider,
    mapped: bool,
}

impl Fields for Normalized<'_> {
    fn values(&self, field: &str) -> Option<Vec<Value>> {
        let paths = if self.mapped {
            map_field(self.provider, field)
        } else {
            vec![field.to_string()]
        };
        let [path] = paths.as_slice() else {
            return None;
        };
        let (_, _, col) = EXACT
            .iter()
            .find(|(p, f, _)| *p == self.provider && f == path)?;
        let text = self.store.text(self.row, *col);
        // An Insights event has no eventName; the column then holds eventType instead.
        if text.is_empty() || (*col == Field::Action && text == "AwsCloudTrailInsight") {
            return None;
        }
        Some(vec![Value::String(text)])
    }

    fn all_strings(&self) -> Option<Vec<String>> {
        None
    }
}

struct Raw<'v> {
    record: &'v Value,
    provider: Provider,
    mapped: bool,
}

impl Fields for Raw<'_> {
    fn values(&self, field: &str) -> Option<Vec<Value>> {
        let paths = if self.mapped {
            map_field(self.provider, field)
        } else {
            vec![field.to_string()]
        };
        let mut out = Vec::new();
        for p in paths {
            out.extend(
                lookup(self.record, &p)
                    .into_iter()
                    .map(|v| v.value().clone()),
            );
        }
        Some(out)
    }

    fn all_strings(&self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        string_leaves(self.record, &mut out);
        Some(out)
    }
}

fn pattern_matches(p: &Pattern, v: &Value) -> bool {
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

fn eval_field(m: &FieldMatch, f: &dyn Fields) -> Tri {
    let Some(values) = f.values(&m.field) else {
        return Tri::Unknown;
    };
    if let Some(want) = m.exists {
        let present = values.iter().any(|v| !v.is_null());
        return Tri::from(present == want);
    }
    let one = |p: &Pattern| {
        if matches!(p, Pattern::Null) {
            values.is_empty() || values.iter().any(Value::is_null)
        } else {
            values.iter().any(|v| pattern_matches(p, v))
        }
    };
    Tri::from(if m.all {
        m.patterns.iter().all(one)
    } else {
        m.patterns.iter().any(one)
    })
}

fn eval_selection(s: &Selection, f: &dyn Fields) -> Tri {
    match s {
        Selection::Map(ms) => and_all(ms.iter().map(|m| eval_field(m, f))),
        Selection::AnyMap(maps) => or_any(
            maps.iter()
                .map(|ms| and_all(ms.iter().map(|m| eval_field(m, f)))),
        ),
        Selection::Keywords(ps) => match f.all_strings() {
            None => Tri::Unknown,
            Some(strings) => Tri::from(ps.iter().any(|p| {
                strings
                    .iter()
                    .any(|s| pattern_matches(p, &Value::String(s.clone())))
            })),
        },
    }
}

fn eval_cond(c: &Cond, rule: &SigmaRule, f: &dyn Fields) -> Tri {
    match c {
        Cond::Id(name) => rule
            .selections
            .get(name)
            .map(|s| eval_selection(s, f))
            .unwrap_or(Tri::False),
        Cond::Not(inner) => eval_cond(inner, rule, f).not(),
        Cond::And(items) => and_all(items.iter().map(|i| eval_cond(i, rule, f))),
        Cond::Or(items) => or_any(items.iter().map(|i| eval_cond(i, rule, f))),
    }
}

impl SigmaRule {
    /// Evaluates the rule on the normalized columns of `row`.
    pub(crate) fn eval_normalized(&self, store: &EventStore, row: usize) -> Tri {
        let provider = store.provider(row);
        if !self.providers.contains(&provider) {
            return Tri::False;
        }
        eval_cond(
            &self.condition,
            self,
            &Normalized {
                store,
                row,
                provider,
                mapped: self.mapped,
            },
        )
    }

    /// Evaluates the rule on a raw record of `provider`.
    pub(crate) fn eval_raw(&self, provider: Provider, record: &Value) -> bool {
        self.providers.contains(&provider)
            && eval_cond(
                &self.condition,
                self,
                &Raw {
                    record,
                    provider,
                    mapped: self.mapped,
                },
            ) == Tri::True
    }

    /// Evaluates the rule on one raw record (as a Sigma test harness would).
    pub fn matches(&self, provider: Provider, record: &Value) -> bool {
        self.eval_raw(provider, record)
    }
}

impl SigmaCorrelation {
    /// Whether this correlation counts `rule`'s matches.
    pub(crate) fn counts(&self, rule: &SigmaRule) -> bool {
        self.rule_names.iter().any(|n| {
            (!rule.name.is_empty() && *n == rule.name) || (!rule.id.is_empty() && *n == rule.id)
        })
    }

    pub(crate) fn rule_ref(&self) -> RuleRef {
        RuleRef::Sigma {
            id: self.id.clone(),
            title: self.title.clone(),
            author: self.author.clone(),
            source: self.source.clone(),
        }
    }
}

/// Matches of every rule (rule index → rows, ascending) → findings, correlations included.
pub(crate) fn findings(
    set: &SigmaRuleSet,
    store: &EventStore,
    matches: &BTreeMap<usize, BTreeSet<usize>>,
    raw: &BTreeMap<usize, Value>,
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (&ri, rows) in matches {
        let Some(rule) = set.rules.get(ri) else {
            continue;
        };
        if !rule.generate || !enabled(&rule.key()) {
            continue;
        }
        for &row in rows {
            out.push(Finding::from_rows(
                store,
                rule.rule_ref(),
                rule.level,
                Detail::SigmaMatch,
                format!(
                    "Sigma rule \"{}\" matched {}",
                    rule.title,
                    store.text(row, Field::Action)
                ),
                &[row],
            ));
        }
    }
    for c in &set.correlations {
        if !enabled(&c.rule_ref().key()) {
            continue;
        }
        let mut rows: BTreeSet<usize> = BTreeSet::new();
        for ri in &c.rules {
            if let Some(m) = matches.get(ri) {
                rows.extend(m.iter().copied());
            }
        }
        // Group by the group-by values, read from the raw record (normalized fallback when a
        // field maps exactly and the record is not at hand).
        let mut groups: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
        for row in rows {
            let provider = store.provider(row);
            let mapped = c
                .rules
                .iter()
                .filter_map(|&i| set.rules.get(i))
                .any(|r| r.mapped);
            let key: Vec<String> = c
                .group_by
                .iter()
                .map(|g| {
                    let v = match raw.get(&row) {
                        Some(rec) => Raw {
                            record: rec,
                            provider,
                            mapped,
                        }
                        .values(g),
                        None => Normalized {
                            store,
                            row,
                            provider,
                            mapped,
                        }
                        .values(g),
                    };
                    let text = v
                        .unwrap_or_default()
                        .iter()
                        .filter_map(scalar_text)
                        .collect::<Vec<_>>()
                        .join(",");
                    format!("{g}={text}")
                })
                .collect();
            groups.entry(key).or_default().push(row);
        }
        for (group, mut rows) in groups {
            rows.sort_by_key(|&r| (store.time_ms(r), r));
            let mut window: VecDeque<usize> = VecDeque::new();
            for row in rows {
                let t = store.time_ms(row);
                window.push_back(row);
                while let Some(&front) = window.front() {
                    if t - store.time_ms(front) > c.timespan_secs * 1000 {
                        window.pop_front();
                    } else {
                        break;
                    }
                }
                let n = window.len() as u64;
                if (c.strict && n > c.threshold) || (!c.strict && n >= c.threshold) {
                    let evidence: Vec<usize> = window.drain(..).collect();
                    out.push(Finding::from_rows(
                        store,
                        c.rule_ref(),
                        c.level,
                        Detail::SigmaCorrelation {
                            count: evidence.len(),
                            group: group.clone(),
                            timespan_secs: c.timespan_secs,
                        },
                        format!(
                            "Sigma correlation \"{}\": {} events within {}s ({})",
                            c.title,
                            evidence.len(),
                            c.timespan_secs,
                            group.join(", ")
                        ),
                        &evidence,
                    ));
                }
            }
        }
    }
    out
}
