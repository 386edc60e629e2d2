//! Sigma rules loaded at run time: the detection part of the specification, its value
//! modifiers, keywords, placeholders, and correlation rules.
//!
//! * [`parse`]: YAML documents → rules (logsource, selections, conditions);
//! * [`modifiers`]: `field|mod|mod: values` → patterns (every modifier of the modifiers
//!   appendix except the time modifiers and `neq`);
//! * [`evaluate`]: a rule on one event, three-valued on the normalized columns, two-valued on
//!   the raw record;
//! * [`fields`]: what a field name means per provider and log source;
//! * [`correlation`]: `event_count`, `value_count`, `temporal`, `temporal_ordered`.
//!
//! Anything not understood makes the rule **not loaded**, with a [`SigmaDiagnostic`] naming the
//! construct: a rule is never evaluated half-understood. Only candidate events are re-read:
//! each rule is first evaluated on the normalized columns where a field maps exactly (true,
//! false, unknown), and only "unknown" events need their raw JSON.

mod correlation;
mod evaluate;
mod fields;
mod meta;
mod modifiers;
mod parse;

use std::collections::BTreeMap;

use serde::Serialize;
use trailproof_events::Provider;
use yaml_rust2::{Yaml, YamlLoader};

use crate::finding::{Level, RuleRef};

pub(crate) use correlation::findings;
pub use correlation::{CorrelationKind, SigmaCorrelation};
pub(crate) use evaluate::Tri;
pub use fields::map_field;
pub use modifiers::Placeholders;

use correlation::{find_ref, parse_correlation, rule_refs, Ref};
use evaluate::{Cond, Selection};
use fields::Naming;
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
    /// Modifiers that are each supported but mean nothing together (`utf16le` without
    /// `base64`, `re` with `contains`, ...).
    UnsupportedCombination {
        /// The field expression.
        field: String,
        /// Why.
        message: String,
    },
    /// An `expand` placeholder the settings (`sigma_placeholders`) do not define.
    UnknownPlaceholder {
        /// The field expression.
        field: String,
        /// The placeholder, without `%`.
        name: String,
    },
    /// A correlation type this engine does not implement (`value_sum`, ...).
    UnsupportedCorrelationType {
        /// The type named.
        correlation_type: String,
    },
    /// A correlation condition operator this engine does not implement.
    UnsupportedCorrelationCondition {
        /// The operator named.
        operator: String,
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
            Issue::UnsupportedCombination { field, message } => {
                format!("modifiers of `{field}` do not combine: {message}")
            }
            Issue::UnknownPlaceholder { field, name } => {
                format!("placeholder `%{name}%` (in `{field}`) has no values in the settings")
            }
            Issue::UnsupportedCorrelationType { correlation_type } => {
                format!("correlation type `{correlation_type}` is not supported")
            }
            Issue::UnsupportedCorrelationCondition { operator } => {
                format!("correlation condition `{operator}` is not supported")
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
    /// How field names are read (log source names, or CloudTrail names translated).
    naming: Naming,
    selections: BTreeMap<String, Selection>,
    condition: Cond,
    /// Whether standalone matches are reported (false when only a correlation uses it).
    pub(crate) generate: bool,
}

impl SigmaRule {
    pub(crate) fn rule_ref(&self) -> RuleRef {
        meta::rule_ref(&self.id, &self.title, &self.author, &self.source)
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
    /// Values of `expand` placeholders.
    placeholders: Placeholders,
    /// The texts loaded, kept only when one uses `expand` (to load again with other values).
    texts: Vec<(String, String)>,
    uses_expand: bool,
}

/// How one rule document fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum LoadOutcome {
    /// Loaded: a detection rule.
    Detection,
    /// Loaded: a correlation rule.
    Correlation,
    /// Not applicable to audit trails (another log source); nothing is lost.
    Skipped {
        /// Why.
        issue: Issue,
    },
    /// Not loaded.
    NotLoaded {
        /// The construct that was not understood.
        issue: Issue,
    },
}

/// One line of the per-rule load report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleLoad {
    /// Where the rule came from.
    pub source: String,
    /// Its title (or id; empty for problems of the whole file).
    pub rule: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: LoadOutcome,
}

impl SigmaRuleSet {
    /// An empty set.
    pub fn new() -> SigmaRuleSet {
        SigmaRuleSet::default()
    }

    /// An empty set whose `expand` modifiers take their values from `placeholders` (name
    /// without `%` → values).
    pub fn with_placeholders(placeholders: Placeholders) -> SigmaRuleSet {
        SigmaRuleSet {
            placeholders,
            ..SigmaRuleSet::default()
        }
    }

    /// The same texts loaded again with other placeholder values, when that changes anything
    /// (some text uses `expand` and the values differ); `None` otherwise.
    pub fn reloaded_with(&self, placeholders: &Placeholders) -> Option<SigmaRuleSet> {
        if !self.uses_expand || *placeholders == self.placeholders {
            return None;
        }
        let mut set = SigmaRuleSet::with_placeholders(placeholders.clone());
        for (source, text) in &self.texts {
            set.load(source, text);
        }
        Some(set)
    }

    /// Every rule document loaded so far and how it fared: the typed construct for those not
    /// loaded.
    pub fn load_report(&self) -> Vec<RuleLoad> {
        let mut out: Vec<RuleLoad> = self
            .rules
            .iter()
            .map(|r| RuleLoad {
                source: r.source.clone(),
                rule: r.title.clone(),
                outcome: LoadOutcome::Detection,
            })
            .chain(self.correlations.iter().map(|c| RuleLoad {
                source: c.source.clone(),
                rule: c.title.clone(),
                outcome: LoadOutcome::Correlation,
            }))
            .chain(self.diagnostics().into_iter().map(|d| RuleLoad {
                source: d.source,
                rule: d.rule,
                outcome: match d.severity {
                    Severity::Info => LoadOutcome::Skipped { issue: d.issue },
                    Severity::Error => LoadOutcome::NotLoaded { issue: d.issue },
                },
            }))
            .collect();
        out.sort_by(|a, b| (&a.source, &a.rule).cmp(&(&b.source, &b.rule)));
        out
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
        // `expand` resolves against the settings' placeholders; keep the text so that other
        // values can be applied later without the host loading the files again.
        if text.contains("expand") {
            self.uses_expand = true;
            self.texts.push((source.to_string(), text.to_string()));
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
            let label = meta::label(&doc);
            if !doc["correlation"].is_badvalue() {
                self.pending.push((source.to_string(), doc));
                continue;
            }
            if doc["detection"].is_badvalue() && doc["logsource"].is_badvalue() {
                self.diagnostics
                    .push(diag(&label, Severity::Error, Issue::NotARule));
                continue;
            }
            match parse_rule(source, &doc, &self.placeholders) {
                Ok(rule) => self.rules.push(rule),
                Err((severity, issue)) => self.diagnostics.push(diag(&label, severity, issue)),
            }
        }
        self.resolve();
    }

    /// Resolves pending correlations whose references are now loaded (repeatedly: a
    /// correlation may refer to one defined after it in the same file).
    fn resolve(&mut self) {
        loop {
            let pending = std::mem::take(&mut self.pending);
            let before = pending.len();
            for (source, doc) in pending {
                match parse_correlation(&source, &doc, &self.rules, &self.correlations) {
                    Ok(Some(c)) => {
                        // Referred rules report on their own only with `generate: true`.
                        let generate = doc["correlation"]["generate"].as_bool().unwrap_or(false);
                        for r in &c.refs {
                            match *r {
                                Ref::Rule(i) => {
                                    if let Some(r) = self.rules.get_mut(i) {
                                        r.generate &= generate;
                                    }
                                }
                                Ref::Correlation(i) => {
                                    if let Some(c) = self.correlations.get_mut(i) {
                                        c.generate &= generate;
                                    }
                                }
                            }
                        }
                        self.correlations.push(c);
                    }
                    // A referenced rule may come later in the file or from a later file.
                    Ok(None) => self.pending.push((source, doc)),
                    Err(issue) => self.diagnostics.push(SigmaDiagnostic {
                        source,
                        rule: meta::label(&doc),
                        severity: Severity::Error,
                        issue,
                    }),
                }
            }
            if self.pending.len() == before {
                break;
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
                .find(|r| find_ref(&self.rules, &self.correlations, r).is_none())
                .unwrap_or_default();
            out.push(SigmaDiagnostic {
                source: source.clone(),
                rule: meta::label(doc),
                severity: Severity::Error,
                issue: Issue::UnknownRuleReference { reference: missing },
            });
        }
        out.sort();
        out
    }
}
