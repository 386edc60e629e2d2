//! Correlation rules (the Sigma correlation specification): `event_count`, `value_count`,
//! `temporal` and `temporal_ordered`, with `group-by`, `timespan`, `condition`, `aliases` and
//! `generate`; `rules` may name detection rules or other correlations (chains).
//!
//! Evaluation is over the whole data set, offline: per group, occurrences (matches of the
//! referred rules, or firings of referred correlations) are taken in time order and a window of
//! `timespan` is anchored at each one in turn. A window fires when its measure (events,
//! distinct values, distinct rules, rules in order) meets the condition: for conditions with
//! only lower bounds (`gt`, `gte`) at the first occurrence that meets it (so a burst fires once,
//! as early as it is provable); with an upper bound (`lt`, `lte`, `eq`) on the whole window.
//! The occurrences of a firing window are its evidence and are not counted again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;
use trailproof_events::{EventStore, Field};
use yaml_rust2::Yaml;

use super::evaluate::{Fields, Normalized, Raw};
use super::fields::Naming;
use super::meta::{self, strings, Meta};
use super::parse::yaml_text;
use super::{Issue, SigmaRule, SigmaRuleSet};
use crate::finding::{Detail, Finding, Level, RuleRef};

/// What a correlation measures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CorrelationKind {
    /// Events of the referred rules.
    EventCount,
    /// Distinct values of a field among those events.
    ValueCount {
        /// The field counted.
        field: String,
    },
    /// Distinct referred rules that matched.
    Temporal,
    /// Referred rules that matched in the order listed.
    TemporalOrdered,
}

impl CorrelationKind {
    fn name(&self) -> &'static str {
        match self {
            CorrelationKind::EventCount => "event_count",
            CorrelationKind::ValueCount { .. } => "value_count",
            CorrelationKind::Temporal => "temporal",
            CorrelationKind::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// A condition operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
}

/// What a correlation refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ref {
    /// A detection rule (index in the set).
    Rule(usize),
    /// Another correlation (index in the set; always an earlier one).
    Correlation(usize),
}

/// One loaded correlation.
#[derive(Clone, Debug)]
pub struct SigmaCorrelation {
    /// `id` (may be empty).
    pub id: String,
    /// `name` (used by other correlations; may be empty).
    pub name: String,
    /// `title`.
    pub title: String,
    /// `author`.
    pub author: String,
    /// `level`.
    pub level: Level,
    /// The file it came from.
    pub source: String,
    /// What it measures.
    pub kind: CorrelationKind,
    /// What it refers to, in the order listed.
    pub(super) refs: Vec<Ref>,
    /// The names or ids it refers to.
    rule_names: Vec<String>,
    /// Fields (or aliases) the measure is grouped by.
    pub group_by: Vec<String>,
    /// Alias → referred rule name → field.
    aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// The window, seconds.
    pub timespan_secs: i64,
    /// Every criterion must hold.
    condition: Vec<(Op, u64)>,
    /// Whether its own firings are reported (false when only another correlation uses it).
    pub(crate) generate: bool,
}

impl SigmaCorrelation {
    pub(crate) fn rule_ref(&self) -> RuleRef {
        meta::rule_ref(&self.id, &self.title, &self.author, &self.source)
    }

    fn holds(&self, measure: u64) -> bool {
        self.condition.iter().all(|&(op, n)| match op {
            Op::Gt => measure > n,
            Op::Gte => measure >= n,
            Op::Lt => measure < n,
            Op::Lte => measure <= n,
            Op::Eq => measure == n,
        })
    }

    /// Only lower bounds: the measure can only grow with the window, so the earliest
    /// occurrence that meets the condition proves it.
    fn monotone(&self) -> bool {
        self.condition
            .iter()
            .all(|(op, _)| matches!(op, Op::Gt | Op::Gte))
    }

    /// The field `group` (a field name or an alias) means for occurrences of reference `k`.
    fn field_for<'a>(&'a self, set: &'a SigmaRuleSet, group: &'a str, k: usize) -> &'a str {
        let Some(per_rule) = self.aliases.get(group) else {
            return group;
        };
        let mut names: Vec<&str> = self
            .rule_names
            .get(k)
            .map(String::as_str)
            .into_iter()
            .collect();
        match self.refs.get(k) {
            Some(Ref::Rule(i)) => {
                if let Some(r) = set.rules.get(*i) {
                    names.extend([r.name.as_str(), r.id.as_str()]);
                }
            }
            Some(Ref::Correlation(i)) => {
                if let Some(c) = set.correlations.get(*i) {
                    names.extend([c.name.as_str(), c.id.as_str()]);
                }
            }
            None => {}
        }
        names
            .into_iter()
            .filter(|n| !n.is_empty())
            .find_map(|n| per_rule.get(n))
            .map_or(group, String::as_str)
    }
}

pub(super) fn rule_refs(doc: &Yaml) -> Vec<String> {
    match &doc["correlation"]["rules"] {
        Yaml::Array(a) => a.iter().filter_map(yaml_text).collect(),
        y => yaml_text(y).into_iter().collect(),
    }
}

/// A rule, then a correlation, whose `name` or `id` is `reference`.
pub(super) fn find_ref(
    rules: &[SigmaRule],
    correlations: &[SigmaCorrelation],
    reference: &str,
) -> Option<Ref> {
    let is = |name: &str, id: &str| {
        (!name.is_empty() && name == reference) || (!id.is_empty() && id == reference)
    };
    rules
        .iter()
        .position(|r| is(&r.name, &r.id))
        .map(Ref::Rule)
        .or_else(|| {
            correlations
                .iter()
                .position(|c| is(&c.name, &c.id))
                .map(Ref::Correlation)
        })
}

/// `Ok(None)`: a referred rule or correlation is not loaded (yet).
pub(super) fn parse_correlation(
    source: &str,
    doc: &Yaml,
    rules: &[SigmaRule],
    correlations: &[SigmaCorrelation],
) -> Result<Option<SigmaCorrelation>, Issue> {
    let c = &doc["correlation"];
    let bad = |m: String| Issue::UnsupportedCorrelation { message: m };
    let type_name = c["type"].as_str().unwrap_or("");
    let cond = match &c["condition"] {
        Yaml::Hash(h) => Some(h),
        Yaml::BadValue | Yaml::Null => None,
        _ => return Err(bad("`condition` is not a map".into())),
    };
    let mut field = None;
    let mut condition = Vec::new();
    for (k, v) in cond.into_iter().flatten() {
        let key = k.as_str().unwrap_or("");
        if key == "field" {
            field = yaml_text(v);
            continue;
        }
        let op = match key {
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "eq" => Op::Eq,
            other => {
                return Err(Issue::UnsupportedCorrelationCondition {
                    operator: other.into(),
                })
            }
        };
        let n = v
            .as_i64()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| bad(format!("`{key}` needs a whole number")))?;
        condition.push((op, n));
    }
    let kind = match type_name {
        "event_count" => CorrelationKind::EventCount,
        "value_count" => CorrelationKind::ValueCount {
            field: field.ok_or_else(|| bad("value_count needs `condition.field`".into()))?,
        },
        "temporal" => CorrelationKind::Temporal,
        "temporal_ordered" => CorrelationKind::TemporalOrdered,
        other => {
            return Err(Issue::UnsupportedCorrelationType {
                correlation_type: other.into(),
            });
        }
    };
    let rule_names = rule_refs(doc);
    if rule_names.is_empty() {
        return Err(bad("no `rules`".into()));
    }
    let mut refs = Vec::new();
    for r in &rule_names {
        match find_ref(rules, correlations, r) {
            Some(x) => refs.push(x),
            None => return Ok(None),
        }
    }
    if condition.is_empty() {
        match kind {
            // Temporal proximity without a condition means every referred rule.
            CorrelationKind::Temporal | CorrelationKind::TemporalOrdered => {
                condition.push((Op::Gte, refs.len() as u64));
            }
            _ => return Err(bad(format!("{type_name} needs a condition"))),
        }
    }
    let span = yaml_text(&c["timespan"]).unwrap_or_default();
    let timespan_secs = parse_timespan(&span).ok_or_else(|| bad(format!("timespan `{span}`")))?;
    let mut aliases: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    if let Some(h) = c["aliases"].as_hash() {
        for (alias, per_rule) in h {
            let (Some(alias), Some(per_rule)) = (alias.as_str(), per_rule.as_hash()) else {
                return Err(bad(
                    "`aliases` must map an alias to rule names and fields".into()
                ));
            };
            for (rule, field) in per_rule {
                if let (Some(rule), Some(field)) = (yaml_text(rule), yaml_text(field)) {
                    aliases
                        .entry(alias.to_string())
                        .or_default()
                        .insert(rule, field);
                }
            }
        }
    }
    let Meta {
        id,
        name,
        title,
        author,
        level,
    } = Meta::of(doc);
    Ok(Some(SigmaCorrelation {
        id,
        name,
        title,
        author,
        level,
        source: source.to_string(),
        kind,
        refs,
        rule_names,
        group_by: strings(&c["group-by"]),
        aliases,
        timespan_secs,
        condition,
        generate: true,
    }))
}

/// `30s`, `5m`, `1h`, `7d` (and `2w`).
pub(super) fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s.get(..s.len() - unit.len_utf8())?.trim().parse().ok()?;
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

/// One matched event, or one firing of a referred correlation.
#[derive(Clone, Debug)]
struct Occurrence {
    time_ms: i64,
    /// The row whose fields stand for the occurrence (a firing's last event).
    rep: usize,
    rows: Vec<usize>,
    /// Which of the correlation's references it comes from.
    k: usize,
    naming: Naming,
}

/// A correlation that fired.
#[derive(Clone, Debug)]
struct Firing {
    time_ms: i64,
    rep: usize,
    rows: Vec<usize>,
    naming: Naming,
    group: Vec<String>,
    measure: u64,
}

/// The values of `field` on `row`, as text: from the raw record when it was read, else from
/// the normalized columns where one holds the field exactly.
fn values_of(
    store: &EventStore,
    raw: &BTreeMap<usize, Value>,
    row: usize,
    naming: Naming,
    field: &str,
) -> Vec<String> {
    let provider = store.provider(row);
    let v = match raw.get(&row) {
        Some(record) => Raw {
            record,
            provider,
            naming,
        }
        .values(field),
        None => Normalized {
            store,
            row,
            provider,
            naming,
        }
        .values(field),
    };
    v.unwrap_or_default()
        .into_iter()
        .filter(|v| !v.is_null())
        .map(|v| match v {
            Value::String(s) => s,
            v => v.to_string(),
        })
        .collect()
}

/// Distinct keys in a window, counted.
#[derive(Default)]
struct Tally {
    n: u64,
    counts: HashMap<String, usize>,
}

impl Tally {
    fn add(&mut self, keys: &[String]) {
        self.n += 1;
        for k in keys {
            *self.counts.entry(k.clone()).or_default() += 1;
        }
    }
    fn remove(&mut self, keys: &[String]) {
        self.n = self.n.saturating_sub(1);
        for k in keys {
            if let Some(c) = self.counts.get_mut(k) {
                *c -= 1;
                if *c == 0 {
                    self.counts.remove(k);
                }
            }
        }
    }
    fn clear(&mut self) {
        self.n = 0;
        self.counts.clear();
    }
}

/// The firings of correlation `c` given the firings of the correlations before it.
fn evaluate(
    set: &SigmaRuleSet,
    c: &SigmaCorrelation,
    store: &EventStore,
    matches: &BTreeMap<usize, BTreeSet<usize>>,
    raw: &BTreeMap<usize, Value>,
    earlier: &[Vec<Firing>],
) -> Vec<Firing> {
    let mut occs = Vec::new();
    for (k, r) in c.refs.iter().enumerate() {
        match *r {
            Ref::Rule(ri) => {
                let Some(rule) = set.rules.get(ri) else {
                    continue;
                };
                for &row in matches.get(&ri).into_iter().flatten() {
                    occs.push(Occurrence {
                        time_ms: store.time_ms(row),
                        rep: row,
                        rows: vec![row],
                        k,
                        naming: rule.naming,
                    });
                }
            }
            Ref::Correlation(ci) => {
                for f in earlier.get(ci).into_iter().flatten() {
                    occs.push(Occurrence {
                        time_ms: f.time_ms,
                        rep: f.rep,
                        rows: f.rows.clone(),
                        k,
                        naming: f.naming,
                    });
                }
            }
        }
    }
    if matches!(
        c.kind,
        CorrelationKind::EventCount | CorrelationKind::ValueCount { .. }
    ) {
        // An event two referred rules match is still one event.
        let mut seen = BTreeSet::new();
        occs.retain(|o| seen.insert(o.rows.clone()));
    }
    let mut groups: BTreeMap<Vec<String>, Vec<Occurrence>> = BTreeMap::new();
    for o in occs {
        let key = c
            .group_by
            .iter()
            .map(|g| {
                let field = c.field_for(set, g, o.k);
                format!(
                    "{g}={}",
                    values_of(store, raw, o.rep, o.naming, field).join(",")
                )
            })
            .collect();
        groups.entry(key).or_default().push(o);
    }
    let span_ms = c.timespan_secs.saturating_mul(1000);
    let mut out = Vec::new();
    for (group, mut occs) in groups {
        occs.sort_by_key(|o| (o.time_ms, o.rep, o.k));
        let fire = |from: usize, to: usize, measure: u64, out: &mut Vec<Firing>| {
            let window = &occs[from..to];
            let mut rows: Vec<usize> = window.iter().flat_map(|o| o.rows.iter().copied()).collect();
            rows.sort_by_key(|&r| (store.time_ms(r), r));
            rows.dedup();
            if let Some(last) = window.last() {
                out.push(Firing {
                    time_ms: last.time_ms,
                    rep: last.rep,
                    rows,
                    naming: last.naming,
                    group: group.clone(),
                    measure,
                });
            }
        };
        match &c.kind {
            CorrelationKind::TemporalOrdered => {
                scan_ordered(c, &occs, span_ms, &mut |a, b, m| fire(a, b, m, &mut out))
            }
            kind => {
                let keys: Vec<Vec<String>> = occs
                    .iter()
                    .map(|o| match kind {
                        CorrelationKind::ValueCount { field } => {
                            let f = c.field_for(set, field, o.k);
                            let mut v = values_of(store, raw, o.rep, o.naming, f);
                            v.sort();
                            v.dedup();
                            v
                        }
                        CorrelationKind::Temporal => vec![o.k.to_string()],
                        _ => Vec::new(),
                    })
                    .collect();
                let measure = |t: &Tally| match kind {
                    CorrelationKind::EventCount => t.n,
                    _ => t.counts.len() as u64,
                };
                scan(c, &occs, &keys, span_ms, &measure, &mut |a, b, m| {
                    fire(a, b, m, &mut out)
                });
            }
        }
    }
    out
}

/// Two pointers over time-ordered occurrences: the window `[i, e)` never reaches back, so each
/// occurrence is added and removed once.
fn scan(
    c: &SigmaCorrelation,
    occs: &[Occurrence],
    keys: &[Vec<String>],
    span_ms: i64,
    measure: &dyn Fn(&Tally) -> u64,
    fire: &mut dyn FnMut(usize, usize, u64),
) {
    let monotone = c.monotone();
    let n = occs.len();
    let mut tally = Tally::default();
    let (mut i, mut e) = (0, 0);
    while i < n {
        if e <= i {
            tally.clear();
            e = i;
        }
        while e < n
            && occs[e].time_ms - occs[i].time_ms <= span_ms
            && !(monotone && e > i && c.holds(measure(&tally)))
        {
            tally.add(&keys[e]);
            e += 1;
        }
        let m = measure(&tally);
        if e > i && c.holds(m) {
            fire(i, e, m);
            tally.clear();
            i = e;
        } else {
            tally.remove(&keys[i]);
            i += 1;
        }
    }
}

/// `temporal_ordered`: the measure is how many of the referred rules, from the first, appear
/// in the listed order within the window.
fn scan_ordered(
    c: &SigmaCorrelation,
    occs: &[Occurrence],
    span_ms: i64,
    fire: &mut dyn FnMut(usize, usize, u64),
) {
    let monotone = c.monotone();
    let n = occs.len();
    let mut i = 0;
    'outer: while i < n {
        let mut k = 0usize;
        let mut e = i;
        while e < n && occs[e].time_ms - occs[i].time_ms <= span_ms {
            if occs[e].k == k {
                k += 1;
            }
            e += 1;
            if monotone && c.holds(k as u64) {
                fire(i, e, k as u64);
                i = e;
                continue 'outer;
            }
        }
        if !monotone && c.holds(k as u64) {
            fire(i, e, k as u64);
            i = e;
        } else {
            i += 1;
        }
    }
}

/// Matches of every rule (rule index → rows) → findings, correlations included.
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
    // Correlations only refer to earlier ones, so one pass in order sees every input.
    let mut firings: Vec<Vec<Firing>> = Vec::with_capacity(set.correlations.len());
    for c in &set.correlations {
        let fired = evaluate(set, c, store, matches, raw, &firings);
        if c.generate && enabled(&c.rule_ref().key()) {
            for f in &fired {
                let what = match &c.kind {
                    CorrelationKind::EventCount => format!("{} events", f.measure),
                    CorrelationKind::ValueCount { field } => {
                        format!("{} distinct values of {field}", f.measure)
                    }
                    CorrelationKind::Temporal => {
                        format!("{} of {} rules", f.measure, c.refs.len())
                    }
                    CorrelationKind::TemporalOrdered => {
                        format!("{} of {} rules in order", f.measure, c.refs.len())
                    }
                };
                out.push(Finding::from_rows(
                    store,
                    c.rule_ref(),
                    c.level,
                    Detail::SigmaCorrelation {
                        count: f.rows.len(),
                        group: f.group.clone(),
                        timespan_secs: c.timespan_secs,
                    },
                    format!(
                        "Sigma correlation \"{}\" ({}): {what} within {}s{}",
                        c.title,
                        c.kind.name(),
                        c.timespan_secs,
                        if f.group.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", f.group.join(", "))
                        }
                    ),
                    &f.rows,
                ));
            }
        }
        firings.push(fired);
    }
    out
}

impl SigmaRuleSet {
    /// The detection rules every correlation rests on (through chains), and those whose
    /// matches need their raw records for group-by or value_count fields.
    pub(crate) fn correlation_needs(&self) -> (BTreeSet<usize>, BTreeSet<usize>) {
        let mut leaves: Vec<BTreeSet<usize>> = Vec::with_capacity(self.correlations.len());
        let (mut counted, mut need_raw) = (BTreeSet::new(), BTreeSet::new());
        for c in &self.correlations {
            let mut l = BTreeSet::new();
            for r in &c.refs {
                match *r {
                    Ref::Rule(i) => {
                        l.insert(i);
                    }
                    Ref::Correlation(i) => l.extend(leaves.get(i).into_iter().flatten()),
                }
            }
            counted.extend(l.iter().copied());
            if !c.group_by.is_empty() || matches!(c.kind, CorrelationKind::ValueCount { .. }) {
                need_raw.extend(l.iter().copied());
            }
            leaves.push(l);
        }
        (counted, need_raw)
    }
}
