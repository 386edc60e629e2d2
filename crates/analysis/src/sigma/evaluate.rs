//! Evaluating a rule on one event: three-valued on the normalized columns, two-valued on
//! the raw record.

use serde_json::Value;
use trailproof_events::{EventStore, Field, Provider};

use super::fields::{exact_column, leaves, resolve, Naming};
use super::modifiers::{field_ref_matches, pattern_matches, texts, FieldMatch, Pattern};
use super::SigmaRule;

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

/// Where field values come from: `None` when the source cannot tell (normalized pass).
pub(super) trait Fields {
    /// The values of a field (empty: absent).
    fn values(&self, field: &str) -> Option<Vec<Value>>;
    /// Every scalar of the record as text (keywords).
    fn leaves(&self) -> Option<Vec<String>>;
}

/// One search identifier of the detection.
#[derive(Clone, Debug)]
pub(super) enum Selection {
    /// A map: every field matches (keywords with modifiers are items without a field name).
    Map(Vec<FieldMatch>),
    /// A list of maps: any matches.
    AnyMap(Vec<Vec<FieldMatch>>),
}

#[derive(Clone, Debug)]
pub(super) enum Cond {
    Id(String),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// The normalized columns of one row: answers only fields a column holds exactly.
pub(super) struct Normalized<'s> {
    pub(super) store: &'s EventStore,
    pub(super) row: usize,
    pub(super) provider: Provider,
    pub(super) naming: Naming,
}

impl Fields for Normalized<'_> {
    fn values(&self, field: &str) -> Option<Vec<Value>> {
        let col = exact_column(self.provider, self.naming, field)?;
        let text = self.store.text(self.row, col);
        // An Insights event has no eventName; the column then holds eventType instead.
        if text.is_empty() || (col == Field::Action && text == "AwsCloudTrailInsight") {
            return None;
        }
        Some(vec![Value::String(text)])
    }

    fn leaves(&self) -> Option<Vec<String>> {
        None
    }
}

/// A raw record: answers everything.
pub(super) struct Raw<'v> {
    pub(super) record: &'v Value,
    pub(super) provider: Provider,
    pub(super) naming: Naming,
}

impl Fields for Raw<'_> {
    fn values(&self, field: &str) -> Option<Vec<Value>> {
        Some(resolve(self.record, self.provider, self.naming, field))
    }

    fn leaves(&self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        leaves(self.record, &mut out);
        Some(out)
    }
}

pub(super) fn eval_field(m: &FieldMatch, f: &dyn Fields) -> Tri {
    let values = if m.field.is_empty() {
        f.leaves()
            .map(|l| l.into_iter().map(Value::String).collect::<Vec<_>>())
    } else {
        f.values(&m.field)
    };
    let Some(values) = values else {
        return Tri::Unknown;
    };
    if let Some(want) = m.exists {
        // Presence only, whatever the value (null or empty included): the spec's `exists`.
        return Tri::from(values.is_empty() != want);
    }
    let one = |p: &Pattern| -> Tri {
        match p {
            Pattern::Null => Tri::from(values.is_empty() || values.iter().any(Value::is_null)),
            Pattern::FieldRef { field, wrap, cased } => {
                let Some(other) = f.values(field) else {
                    return Tri::Unknown;
                };
                let (mut a, mut b) = (Vec::new(), Vec::new());
                values.iter().for_each(|v| texts(v, &mut a));
                other.iter().for_each(|v| texts(v, &mut b));
                Tri::from(
                    a.iter()
                        .any(|a| b.iter().any(|b| field_ref_matches(a, b, *wrap, *cased))),
                )
            }
            p => Tri::from(values.iter().any(|v| pattern_matches(p, v))),
        }
    };
    let group = |g: &Vec<Pattern>| or_any(g.iter().map(one));
    if m.neq {
        // A value is there (not absent, not null) and it is none of the rule's values.
        let present = Tri::from(values.iter().any(|v| !v.is_null()));
        return and_all([present, or_any(m.groups.iter().map(group)).not()].into_iter());
    }
    if m.all {
        and_all(m.groups.iter().map(group))
    } else {
        or_any(m.groups.iter().map(group))
    }
}

pub(super) fn eval_selection(s: &Selection, f: &dyn Fields) -> Tri {
    match s {
        Selection::Map(ms) => and_all(ms.iter().map(|m| eval_field(m, f))),
        Selection::AnyMap(maps) => or_any(
            maps.iter()
                .map(|ms| and_all(ms.iter().map(|m| eval_field(m, f)))),
        ),
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
                naming: self.naming,
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
                    naming: self.naming,
                },
            ) == Tri::True
    }

    /// Evaluates the rule on one raw record (as a Sigma test harness would). A rule for one
    /// product sees only that provider's records (its `logsource`).
    pub fn matches(&self, provider: Provider, record: &Value) -> bool {
        self.eval_raw(provider, record)
    }
}
