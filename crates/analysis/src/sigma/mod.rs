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

mod correlation;
mod evaluate;
mod fields;
mod modifiers;
mod parse;

use std::collections::BTreeMap;

use serde::Serialize;
use trailproof_events::Provider;
use yaml_rust2::{Yaml, YamlLoader};

use crate::finding::{Level, RuleRef};

pub(crate) use correlation::findings;
pub use correlation::SigmaCorrelation;
pub(crate) use evaluate::Tri;
pub use fields::map_field;

use correlation::{find_rule, parse_correlation, rule_refs};
use evaluate::{Cond, Selection};
use parse::{has_anchor, parse_rule};

/// Largest rule text accepted, bytes: rules are small; this bounds parsing work.
const MAX_RULE_TEXT: usize = 1 << 20;

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
