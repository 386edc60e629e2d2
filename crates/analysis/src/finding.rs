//! Findings: what a rule, a Sigma rule or the anomaly detector reports, with its evidence.

use serde::Serialize;
use trailproof_core::report::Integrity;
use trailproof_events::{EventStore, Field, Provider};

/// How serious a finding is (the Sigma levels, lowest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth knowing; not a problem by itself.
    Informational,
    /// Unusual, rarely a problem.
    Low,
    /// Should be reviewed.
    Medium,
    /// Likely a problem; review soon.
    High,
    /// Review now.
    Critical,
}

impl Level {
    /// The Sigma name (`informational`, `low`, `medium`, `high`, `critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// Parses a Sigma level name (case-insensitive; `info` accepted).
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }
}

/// The built-in rules (see `docs/rules.md` for each one's logic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuiltinRule {
    /// A console logon by the root / primary account.
    RootLogon,
    /// N failed logons in a row by one actor within a window.
    LogonFailures,
    /// A logon from an address outside the allow-listed networks.
    LogonOutsideAllowedNetworks,
    /// A logon outside business hours in the chosen time zone.
    LogonOutsideBusinessHours,
    /// A successful console logon without multi-factor authentication.
    ConsoleLogonWithoutMfa,
    /// Audit logging stopped, or a trail/tracker deleted or changed.
    LoggingTampered,
    /// A permission or policy change.
    PermissionChange,
    /// An access key was created.
    AccessKeyCreated,
    /// A password was changed or reset.
    PasswordChanged,
    /// A security group or firewall rule opened to the whole internet.
    SecurityGroupOpenToWorld,
    /// Two records with the same provider and event ID but different content: one of them
    /// was forged or altered.
    ConflictingDuplicate,
}

impl BuiltinRule {
    /// Every built-in rule, in report order.
    pub const ALL: [BuiltinRule; 11] = [
        BuiltinRule::RootLogon,
        BuiltinRule::LogonFailures,
        BuiltinRule::LogonOutsideAllowedNetworks,
        BuiltinRule::LogonOutsideBusinessHours,
        BuiltinRule::ConsoleLogonWithoutMfa,
        BuiltinRule::LoggingTampered,
        BuiltinRule::PermissionChange,
        BuiltinRule::AccessKeyCreated,
        BuiltinRule::PasswordChanged,
        BuiltinRule::SecurityGroupOpenToWorld,
        BuiltinRule::ConflictingDuplicate,
    ];

    /// The stable identifier used in configuration and output (`root-logon`, ...).
    pub fn id(self) -> &'static str {
        match self {
            BuiltinRule::RootLogon => "root-logon",
            BuiltinRule::LogonFailures => "logon-failures",
            BuiltinRule::LogonOutsideAllowedNetworks => "logon-outside-allowed-networks",
            BuiltinRule::LogonOutsideBusinessHours => "logon-outside-business-hours",
            BuiltinRule::ConsoleLogonWithoutMfa => "console-logon-without-mfa",
            BuiltinRule::LoggingTampered => "logging-tampered",
            BuiltinRule::PermissionChange => "permission-change",
            BuiltinRule::AccessKeyCreated => "access-key-created",
            BuiltinRule::PasswordChanged => "password-changed",
            BuiltinRule::SecurityGroupOpenToWorld => "security-group-open-to-world",
            BuiltinRule::ConflictingDuplicate => "conflicting-duplicate",
        }
    }

    /// Parses an identifier from [`BuiltinRule::id`].
    pub fn parse(s: &str) -> Option<BuiltinRule> {
        BuiltinRule::ALL.into_iter().find(|r| r.id() == s)
    }

    /// A short title for people.
    pub fn title(self) -> &'static str {
        match self {
            BuiltinRule::RootLogon => "Root / primary account logon",
            BuiltinRule::LogonFailures => "Repeated logon failures",
            BuiltinRule::LogonOutsideAllowedNetworks => "Logon from outside the allowed networks",
            BuiltinRule::LogonOutsideBusinessHours => "Logon outside business hours",
            BuiltinRule::ConsoleLogonWithoutMfa => "Console logon without MFA",
            BuiltinRule::LoggingTampered => "Audit logging stopped or trail changed",
            BuiltinRule::PermissionChange => "Permission or policy change",
            BuiltinRule::AccessKeyCreated => "Access key created",
            BuiltinRule::PasswordChanged => "Password changed",
            BuiltinRule::SecurityGroupOpenToWorld => "Security group opened to the internet",
            BuiltinRule::ConflictingDuplicate => "Conflicting records with one event ID",
        }
    }

    /// The level findings of this rule carry.
    pub fn level(self) -> Level {
        match self {
            BuiltinRule::RootLogon => Level::High,
            BuiltinRule::LogonFailures => Level::Medium,
            BuiltinRule::LogonOutsideAllowedNetworks => Level::Medium,
            BuiltinRule::LogonOutsideBusinessHours => Level::Low,
            BuiltinRule::ConsoleLogonWithoutMfa => Level::Medium,
            BuiltinRule::LoggingTampered => Level::High,
            BuiltinRule::PermissionChange => Level::Medium,
            BuiltinRule::AccessKeyCreated => Level::Low,
            BuiltinRule::PasswordChanged => Level::Low,
            BuiltinRule::SecurityGroupOpenToWorld => Level::High,
            BuiltinRule::ConflictingDuplicate => Level::High,
        }
    }
}

/// The anomaly detectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnomalyKind {
    /// An hour with far more API calls than the actor's own baseline.
    CallRateSpike,
    /// An hour with a far higher error share than the actor's own baseline.
    ErrorRateSpike,
    /// A source IP the actor had not used before.
    FirstSeenSourceIp,
    /// An access key the actor had not used before.
    FirstSeenAccessKey,
}

impl AnomalyKind {
    /// Every detector.
    pub const ALL: [AnomalyKind; 4] = [
        AnomalyKind::CallRateSpike,
        AnomalyKind::ErrorRateSpike,
        AnomalyKind::FirstSeenSourceIp,
        AnomalyKind::FirstSeenAccessKey,
    ];

    /// The stable identifier (`call-rate-spike`, ...).
    pub fn id(self) -> &'static str {
        match self {
            AnomalyKind::CallRateSpike => "call-rate-spike",
            AnomalyKind::ErrorRateSpike => "error-rate-spike",
            AnomalyKind::FirstSeenSourceIp => "first-seen-source-ip",
            AnomalyKind::FirstSeenAccessKey => "first-seen-access-key",
        }
    }

    /// A short title for people.
    pub fn title(self) -> &'static str {
        match self {
            AnomalyKind::CallRateSpike => "API call rate spike",
            AnomalyKind::ErrorRateSpike => "API error rate spike",
            AnomalyKind::FirstSeenSourceIp => "First-seen source IP",
            AnomalyKind::FirstSeenAccessKey => "First-seen access key",
        }
    }
}

/// Which rule produced a finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum RuleRef {
    /// A built-in rule.
    Builtin {
        /// Which one.
        rule: BuiltinRule,
    },
    /// A Sigma rule loaded at run time. Its license asks for the author beside matches.
    Sigma {
        /// The rule's `id` (may be empty when the rule has none).
        id: String,
        /// The rule's `title`.
        title: String,
        /// The rule's `author` (may be empty).
        author: String,
        /// Where the rule was loaded from.
        source: String,
    },
    /// An anomaly detector.
    Anomaly {
        /// Which one.
        kind: AnomalyKind,
    },
}

impl RuleRef {
    /// The identifier used in allow/deny configuration and output: the built-in or anomaly
    /// id, or `sigma:<id>` (`sigma:<title>` when the rule has no id).
    pub fn key(&self) -> String {
        match self {
            RuleRef::Builtin { rule } => rule.id().to_string(),
            RuleRef::Sigma { id, title, .. } => {
                format!("sigma:{}", if id.is_empty() { title } else { id })
            }
            RuleRef::Anomaly { kind } => kind.id().to_string(),
        }
    }

    /// The title for people.
    pub fn title(&self) -> &str {
        match self {
            RuleRef::Builtin { rule } => rule.title(),
            RuleRef::Sigma { title, .. } => title,
            RuleRef::Anomaly { kind } => kind.title(),
        }
    }
}

/// What a finding is about, with its context.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Detail {
    /// A logon (or logon attempt) by the root / primary account.
    RootLogon {
        /// Whether the logon succeeded.
        success: bool,
    },
    /// Consecutive failed logons.
    LogonFailures {
        /// How many failures in a row.
        count: usize,
        /// Seconds between the first and the last failure.
        within_secs: i64,
    },
    /// A logon from a source address outside every allow-listed network.
    LogonOutsideAllowedNetworks {
        /// The source address.
        ip: String,
    },
    /// A logon outside business hours.
    LogonOutsideBusinessHours {
        /// Local date and time of the logon (`2024-03-02 23:14 Sat`).
        local_time: String,
        /// The time zone used.
        time_zone: String,
    },
    /// A successful console logon without MFA.
    ConsoleLogonWithoutMfa,
    /// An operation that stops or changes audit logging.
    Action {
        /// The action name as recorded.
        action: String,
    },
    /// A rule opening network access to everyone.
    OpenToWorld {
        /// The action name as recorded.
        action: String,
        /// The world-open range found in the request (`0.0.0.0/0` or `::/0`).
        cidr: String,
    },
    /// A Sigma detection matched one event.
    SigmaMatch,
    /// A Sigma `event_count` correlation reached its threshold.
    SigmaCorrelation {
        /// Events counted in the window.
        count: usize,
        /// The group-by values, `field=value`.
        group: Vec<String>,
        /// The window, seconds.
        timespan_secs: i64,
    },
    /// An hour with an unusual call count.
    CallRateSpike {
        /// Start of the hour, epoch ms.
        hour_ms: i64,
        /// Calls in that hour.
        calls: u64,
        /// The actor's median calls per hour over its active span.
        median: f64,
        /// The threshold that was exceeded.
        threshold: f64,
    },
    /// An hour with an unusual error share.
    ErrorRateSpike {
        /// Start of the hour, epoch ms.
        hour_ms: i64,
        /// Calls in that hour.
        calls: u64,
        /// Failed calls in that hour.
        errors: u64,
        /// The actor's error share in every other hour.
        baseline_share: f64,
    },
    /// A value used for the first time after the learning period.
    FirstSeen {
        /// The IP address or access key ID.
        value: String,
    },
    /// Records with one event ID that differ.
    ConflictingDuplicate {
        /// The shared event ID.
        event_id: String,
        /// Each version's file and integrity state (`verified`, `failed`, ...), in row order.
        versions: Vec<(String, String)>,
    },
}

/// One event that supports a finding: its row in the store (the browser links it to the
/// timeline), event ID, time and integrity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    /// Row index in the [`EventStore`].
    pub row: usize,
    /// Event time, epoch ms.
    pub time_ms: i64,
    /// The provider's event ID (may be empty).
    pub event_id: String,
    /// The event's integrity as the store holds it when the finding is made: a finding
    /// resting on a failed or unprotected record says so beside the record. (Hosts apply
    /// the verification to the store before analysing.)
    pub integrity: Integrity,
}

impl Evidence {
    /// Evidence for `row` of `store`.
    pub fn of(store: &EventStore, row: usize) -> Evidence {
        Evidence {
            row,
            time_ms: store.time_ms(row),
            event_id: store.text(row, Field::EventId),
            integrity: store.integrity(row),
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The rule that produced it.
    pub rule: RuleRef,
    /// How serious it is.
    pub level: Level,
    /// When it happened: the time of the first evidence event, epoch ms.
    pub time_ms: i64,
    /// The provider of the evidence.
    #[serde(serialize_with = "ser_provider")]
    pub provider: Provider,
    /// Account of the first evidence event.
    pub account: String,
    /// The actor concerned (may be empty).
    pub actor: String,
    /// The source IP of the first evidence event (may be empty).
    pub source_ip: String,
    /// What it is about.
    pub detail: Detail,
    /// One sentence for people.
    pub message: String,
    /// The events supporting it, in time order.
    pub evidence: Vec<Evidence>,
}

impl Finding {
    /// A finding whose context (time, provider, account, actor, IP) is taken from the first of
    /// `rows`, which must not be empty for meaningful context.
    pub(crate) fn from_rows(
        store: &EventStore,
        rule: RuleRef,
        level: Level,
        detail: Detail,
        message: String,
        rows: &[usize],
    ) -> Finding {
        let mut evidence: Vec<Evidence> = rows.iter().map(|&r| Evidence::of(store, r)).collect();
        evidence.sort();
        evidence.dedup();
        let first = evidence.first().map(|e| e.row);
        let text = |f: Field| first.map(|r| store.text(r, f)).unwrap_or_default();
        Finding {
            rule,
            level,
            time_ms: first.map(|r| store.time_ms(r)).unwrap_or(0),
            provider: first.map(|r| store.provider(r)).unwrap_or_default(),
            account: text(Field::Account),
            actor: text(Field::Actor),
            source_ip: text(Field::SourceIp),
            detail,
            message,
            evidence,
        }
    }

    /// The deterministic order findings are reported in: time, then rule, then first evidence.
    pub(crate) fn sort_key(&self) -> (i64, String, usize, String) {
        (
            self.time_ms,
            self.rule.key(),
            self.evidence.first().map(|e| e.row).unwrap_or(usize::MAX),
            self.message.clone(),
        )
    }
}

/// Most findings of one rule an analysis lists. A rule that fires on a large share of millions
/// of events (a broad Sigma rule, a first-seen detector on an export where every actor roams)
/// would otherwise hold, send and print a finding per event: enough to exhaust a browser
/// worker's 4 GiB, and more than anyone reads. The earliest are listed, the rest counted.
pub const FINDINGS_PER_RULE: usize = 1_000;

/// The findings of one rule left out of the list (beyond [`FINDINGS_PER_RULE`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NotListed {
    /// The rule.
    pub rule: RuleRef,
    /// How many of its findings are not listed.
    pub count: u64,
}

/// Findings as the rules produce them, listed as [`Analysis::findings`](crate::Analysis)
/// lists them: of each rule the first `cap` by [`Finding::sort_key`] (in production order
/// where keys are equal), the rest only counted. Each rule holds at most `2 × cap` findings
/// at a time (it is cut back to `cap` when it reaches that), so a rule that fires on most of
/// millions of events costs its listed findings, not a finding per event: at 5 M generated
/// events the full list, its growth and its sort keys were 270 MiB of the analysis's peak.
pub(crate) struct Listing {
    cap: usize,
    /// By rule key: its findings kept so far (unsorted past the first `cap`), and how many
    /// were cut.
    per_rule: std::collections::BTreeMap<String, (Vec<Finding>, NotListed)>,
}

impl Listing {
    /// An empty listing of at most `cap` findings per rule.
    pub(crate) fn new(cap: usize) -> Listing {
        Listing {
            cap,
            per_rule: Default::default(),
        }
    }

    /// Takes the next finding produced.
    pub(crate) fn push(&mut self, f: Finding) {
        let cap = self.cap;
        let (kept, cut) = self.per_rule.entry(f.rule.key()).or_insert_with(|| {
            let rule = f.rule.clone();
            (Vec::new(), NotListed { rule, count: 0 })
        });
        kept.push(f);
        if kept.len() >= 2 * cap.max(1) {
            cut.count += keep_first(kept, cap) as u64;
        }
    }

    /// The findings listed, in [`Finding::sort_key`] order, and, by rule key, how many of each
    /// rule's are left out.
    pub(crate) fn finish(self) -> (Vec<Finding>, Vec<NotListed>) {
        let cap = self.cap;
        let total = self
            .per_rule
            .values()
            .map(|(kept, _)| kept.len().min(cap))
            .sum();
        let mut listed = Vec::with_capacity(total);
        let mut not_listed = Vec::new();
        for (_, (mut kept, mut cut)) in self.per_rule {
            cut.count += keep_first(&mut kept, cap) as u64;
            listed.append(&mut kept);
            if cut.count > 0 {
                not_listed.push(cut);
            }
        }
        listed.sort_by_cached_key(Finding::sort_key);
        (listed, not_listed)
    }
}

impl Extend<Finding> for Listing {
    fn extend<I: IntoIterator<Item = Finding>>(&mut self, findings: I) {
        for f in findings {
            self.push(f);
        }
    }
}

/// Keeps the first `cap` of `findings` by [`Finding::sort_key`] (a stable sort: equal keys in
/// their order); returns how many were cut.
fn keep_first(findings: &mut Vec<Finding>, cap: usize) -> usize {
    findings.sort_by_cached_key(Finding::sort_key);
    let cut = findings.len().saturating_sub(cap);
    findings.truncate(cap);
    cut
}

/// Serialises a provider as its lower-case name (the events crate's type has no serde).
pub(crate) fn ser_provider<S: serde::Serializer>(p: &Provider, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.as_str())
}

/// One high-severity finding per event whose records conflict (same provider and event ID,
/// different content; see `trailproof_events::dedup`): every version is evidence, and the
/// finding names each version's file and what its integrity came to.
pub(crate) fn conflicting_duplicates(store: &EventStore) -> Vec<Finding> {
    store
        .conflicts()
        .iter()
        .filter_map(|group| {
            let rows: Vec<usize> = group
                .iter()
                .map(|&r| r as usize)
                .filter(|&r| r < store.len())
                .collect();
            let first = *rows.first()?;
            let event_id = store.text(first, Field::EventId);
            let versions: Vec<(String, String)> = rows
                .iter()
                .map(|&r| {
                    (
                        store.text(r, Field::File),
                        store.integrity(r).as_str().to_owned(),
                    )
                })
                .collect();
            // The message written in place: one buffer, no string per version.
            let mut listed = String::with_capacity(
                versions.iter().map(|(f, i)| f.len() + i.len() + 5).sum(),
            );
            for (n, (f, i)) in versions.iter().enumerate() {
                if n > 0 {
                    listed.push_str(", ");
                }
                listed.push_str(f);
                listed.push_str(" (");
                listed.push_str(i);
                listed.push(')');
            }
            let message = format!(
                "{} records share event ID {event_id} but differ: {listed}. At most one is genuine; the ones verified evidence does not back are marked failed.",
                rows.len(),
            );
            Some(Finding::from_rows(
                store,
                RuleRef::Builtin {
                    rule: BuiltinRule::ConflictingDuplicate,
                },
                BuiltinRule::ConflictingDuplicate.level(),
                Detail::ConflictingDuplicate { event_id, versions },
                message,
                &rows,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &RuleRef, time_ms: i64) -> Finding {
        Finding {
            rule: rule.clone(),
            level: Level::Low,
            time_ms,
            provider: Provider::Aws,
            account: String::new(),
            actor: String::new(),
            source_ip: String::new(),
            detail: Detail::FirstSeen {
                value: time_ms.to_string(),
            },
            message: format!("at {time_ms}"),
            evidence: Vec::new(),
        }
    }

    /// Every finding through a [`Listing`] of `cap` per rule.
    fn listed_per_rule(all: Vec<Finding>, cap: usize) -> (Vec<Finding>, Vec<NotListed>) {
        let mut listing = Listing::new(cap);
        listing.extend(all);
        listing.finish()
    }

    /// What a listing must equal: every finding sorted (stable), then the first `cap` of each
    /// rule in that order, the rest counted by rule key.
    fn sorted_then_cut(mut all: Vec<Finding>, cap: usize) -> (Vec<Finding>, Vec<(String, u64)>) {
        all.sort_by_cached_key(Finding::sort_key);
        let mut shown: std::collections::BTreeMap<String, (usize, u64)> = Default::default();
        let mut listed = Vec::new();
        for f in all {
            let (n, left) = shown.entry(f.rule.key()).or_default();
            if *n < cap {
                *n += 1;
                listed.push(f);
            } else {
                *left += 1;
            }
        }
        let left = shown
            .into_iter()
            .filter(|(_, (_, left))| *left > 0)
            .map(|(k, (_, left))| (k, left))
            .collect();
        (listed, left)
    }

    /// Findings produced out of time order, many times the cap per rule and with equal sort
    /// keys (told apart by their actor, in production order): listed as sorting them all
    /// first and cutting each rule would list them.
    #[test]
    fn a_listing_lists_what_sorting_everything_first_would() {
        let rules = [
            RuleRef::Anomaly {
                kind: AnomalyKind::FirstSeenSourceIp,
            },
            RuleRef::Anomaly {
                kind: AnomalyKind::FirstSeenAccessKey,
            },
            RuleRef::Builtin {
                rule: BuiltinRule::ConflictingDuplicate,
            },
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for (n, cap) in [(0, 3), (5, 3), (200, 3), (1_000, 7), (50, 0), (300, 1)] {
            let all: Vec<Finding> = (0..n)
                .map(|i| {
                    let mut f = finding(&rules[next(3) as usize], next(40) as i64);
                    f.actor = format!("produced {i}");
                    f
                })
                .collect();
            let (want, want_left) = sorted_then_cut(all.clone(), cap);
            let (got, got_left) = listed_per_rule(all, cap);
            let actors = |l: &[Finding]| l.iter().map(|f| f.actor.clone()).collect::<Vec<_>>();
            assert_eq!(actors(&got), actors(&want), "{n} findings, {cap} per rule");
            let got_left: Vec<(String, u64)> =
                got_left.iter().map(|n| (n.rule.key(), n.count)).collect();
            assert_eq!(got_left, want_left, "{n} findings, {cap} per rule");
        }
    }

    #[test]
    fn each_rule_lists_its_earliest_findings_and_counts_the_rest() {
        let ip = RuleRef::Anomaly {
            kind: AnomalyKind::FirstSeenSourceIp,
        };
        let key = RuleRef::Anomaly {
            kind: AnomalyKind::FirstSeenAccessKey,
        };
        // (rule of each finding in order, cap) → (times listed, (rule key, count) left out).
        type Case<'a> = (&'a [&'a RuleRef], usize, &'a [i64], &'a [(&'a str, u64)]);
        let cases: &[Case] = &[
            (&[], 3, &[], &[]),
            (&[&ip, &key, &ip], 3, &[0, 1, 2], &[]),
            (
                &[&ip, &ip, &key, &ip, &ip, &key, &ip],
                3,
                &[0, 1, 2, 3, 5],
                &[("first-seen-source-ip", 2)],
            ),
            (
                &[&ip, &key, &key],
                0,
                &[],
                &[("first-seen-access-key", 2), ("first-seen-source-ip", 1)],
            ),
        ];
        for &(rules, cap, times, left) in cases {
            let all = rules
                .iter()
                .enumerate()
                .map(|(t, r)| finding(r, t as i64))
                .collect();
            let (listed, not_listed) = listed_per_rule(all, cap);
            let got: Vec<i64> = listed.iter().map(|f| f.time_ms).collect();
            assert_eq!(got, times, "{rules:?}");
            let got: Vec<(String, u64)> =
                not_listed.iter().map(|n| (n.rule.key(), n.count)).collect();
            let want: Vec<(String, u64)> = left.iter().map(|&(k, n)| (k.to_owned(), n)).collect();
            assert_eq!(got, want, "{rules:?}");
        }
    }
}
