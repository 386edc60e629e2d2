//! Evaluating a rule on one event: three-valued on the normalized columns, two-valued on
//! the raw record.

use serde_json::Value;
use trailproof_events::{EventStore, Field, Provider};

use super::fields::{map_field, EXACT};
use super::modifiers::{pattern_matches, FieldMatch, Pattern};
use super::SigmaRule;
use crate::records::{lookup, string_leaves};

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

pub(super) fn and_all(items: impl Iterator<Item = Tri>) -> Tri {
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

pub(super) fn or_any(items: impl Iterator<Item = Tri>) -> Tri {
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
pub(super) trait Fields {
    fn values(&self, field: &str) -> Option<Vec<Value>>;
    fn all_strings(&self) -> Option<Vec<String>>;
}

#[derive(Clone, Debug)]
pub(super) enum Selection {
    /// A map: every field matches.
    Map(Vec<FieldMatch>),
    /// A list of maps: any matches.
    AnyMap(Vec<Vec<FieldMatch>>),
    /// Keywords: any appears in any string of the record.
    Keywords(Vec<Pattern>),
}

#[derive(Clone, Debug)]
pub(super) enum Cond {
    Id(String),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

pub(super) struct Normalized<'s> {
    pub(super) store: &'s EventStore,
    pub(super) row: usize,
    pub(super) provider: Provider,
    pub(super) mapped: bool,
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

pub(super) struct Raw<'v> {
    pub(super) record: &'v Value,
    pub(super) provider: Provider,
    pub(super) mapped: bool,
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

pub(super) fn eval_field(m: &FieldMatch, f: &dyn Fields) -> Tri {
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

pub(super) fn eval_selection(s: &Selection, f: &dyn Fields) -> Tri {
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

pub(super) fn eval_cond(c: &Cond, rule: &SigmaRule, f: &dyn Fields) -> Tri {
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
