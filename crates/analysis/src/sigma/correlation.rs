//! Correlation rules: parsing and evaluation over the matches of the rules they refer to.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value;
use trailproof_events::{EventStore, Field};
use yaml_rust2::Yaml;

use super::evaluate::{Fields, Normalized, Raw};
use super::parse::yaml_text;
use super::{Issue, SigmaRule, SigmaRuleSet};
use crate::finding::{Detail, Finding, Level, RuleRef};
use crate::records::scalar_text;

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
    pub(super) rules: Vec<usize>,
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

// ---- Correlations ------------------------------------------------------------------------

pub(super) fn rule_refs(doc: &Yaml) -> Vec<String> {
    match &doc["correlation"]["rules"] {
        Yaml::Array(a) => a.iter().filter_map(yaml_text).collect(),
        y => yaml_text(y).into_iter().collect(),
    }
}

pub(super) fn find_rule(rules: &[SigmaRule], reference: &str) -> Option<usize> {
    rules.iter().position(|r| {
        (!r.name.is_empty() && r.name == reference) || (!r.id.is_empty() && r.id == reference)
    })
}

/// `Ok(None)`: a referenced rule is not loaded (yet).
pub(super) fn parse_correlation(
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

pub(super) fn parse_timespan(s: &str) -> Option<i64> {
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
