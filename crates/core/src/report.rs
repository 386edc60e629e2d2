//! The verification report: the contract every verifier returns and the CLI prints as JSON.
//!
//! The field names and the string values of [`Verdict`], [`Status`] and [`Reason`] are a
//! stable interface (see `docs/report.md` and `docs/report.schema.json`): fields may be added,
//! never renamed. The verdict is never stored independently of the items: [`Report::new`]
//! derives it, so a report cannot claim "valid" while listing an invalid file.
//!
//! ```
//! use trailproof_core::report::{Item, ItemKind, Reason, Report, Status, Verdict};
//!
//! let ok = Item::new("a.json.gz", ItemKind::Log, Status::Valid, None, "hash matches");
//! let bad = Item::new("b.json.gz", ItemKind::Log, Status::Invalid, Some(Reason::HashMismatch), "hash differs");
//! let report = Report::new(vec![ok, bad], vec![], vec![], vec![]);
//! assert_eq!(report.verdict, Verdict::Invalid);
//! let json = serde_json::to_value(&report).unwrap();
//! assert_eq!(json["items"][1]["reason"], "hash-mismatch");
//! assert!(json["items"][0].get("reason").is_none());
//! ```

use serde::{Deserialize, Serialize};

use crate::diag::Severity;

/// How much a [`Note`] matters (mirrors [`Severity`], which is not deserialisable).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth knowing; nothing was lost.
    Info,
    /// Something was skipped or is suspicious; the rest was processed.
    Warning,
    /// An input, or part of one, could not be processed.
    Error,
}

impl From<Severity> for Level {
    fn from(s: Severity) -> Level {
        match s {
            Severity::Info => Level::Info,
            Severity::Warning => Level::Warning,
            Severity::Error => Level::Error,
        }
    }
}

/// The overall outcome of a verification run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Everything that was supplied verified and nothing required is missing.
    Valid,
    /// At least one item is invalid or missing: evidence of tampering, loss or corruption.
    Invalid,
    /// Nothing is invalid, but something could not be checked (a signature or key is missing).
    Incomplete,
}

impl Verdict {
    /// The verdict implied by a set of item statuses: any invalid or missing item makes it
    /// invalid; otherwise any unverifiable item makes it incomplete; otherwise valid.
    /// Unreferenced items do not change it (they are reported, not judged).
    pub fn from_statuses<I: IntoIterator<Item = Status>>(statuses: I) -> Verdict {
        let mut verdict = Verdict::Valid;
        for s in statuses {
            match s {
                Status::Invalid | Status::Missing => return Verdict::Invalid,
                Status::Unverifiable => verdict = Verdict::Incomplete,
                Status::Valid | Status::Unreferenced => {}
            }
        }
        verdict
    }

    /// The CLI exit status for this verdict: 0 valid, 1 invalid, 3 incomplete.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Invalid => 1,
            Verdict::Incomplete => 3,
        }
    }

    /// The verdict's contract name (`valid`, `invalid`, `incomplete`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Incomplete => "incomplete",
        }
    }
}

/// The outcome for one file (present or expected).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Checked and correct.
    Valid,
    /// Present but wrong: tampered, corrupt, moved or inconsistent with the chain.
    Invalid,
    /// Expected (referenced or implied by the chain) but not among the inputs.
    Missing,
    /// Present but could not be checked (no signature, no key).
    Unverifiable,
    /// Present but no digest vouches for it; not evidence of tampering, but not protected.
    Unreferenced,
}

impl Status {
    /// The status's contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Missing => "missing",
            Status::Unverifiable => "unverifiable",
            Status::Unreferenced => "unreferenced",
        }
    }
}

/// Why an item is not valid. Exactly one per non-valid item.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The file's hash differs from the one its digest (or the successor digest) records.
    HashMismatch,
    /// Bytes follow the end of the first gzip member.
    TrailingData,
    /// The RSA signature does not verify.
    SignatureInvalid,
    /// No supplied public key matches the digest's fingerprint (or no key was supplied).
    KeyNotFound,
    /// No signature is available: no sidecar metadata and no later digest recording it.
    SignatureUnavailable,
    /// A referenced or implied file is not among the inputs.
    NotFound,
    /// The file is not where it records being delivered.
    Moved,
    /// The file is inconsistent with its neighbours in the chain (links or times).
    ChainMismatch,
    /// The file cannot be decompressed or parsed.
    Malformed,
    /// No digest lists this file.
    NotReferenced,
    /// Sealed archive: the tree recomputed from the archive's leaves disagrees with a signed
    /// checkpoint (records or seals changed, added, removed or reordered before it).
    RootMismatch,
    /// Sealed archive: the manifest's SHA-256 differs from the one the export seal records.
    ManifestMismatch,
    /// Sealed archive: a pinned checkpoint is larger than the archive: records were cut off.
    Truncated,
    /// Sealed archive: the root at a pinned size differs from the pinned root.
    PinMismatch,
    /// Sealed archive: the export seal lacks the expected nonce or carries another one.
    NonceMismatch,
    /// Sealed archive: the archive names another log (origin) than the one expected.
    OriginMismatch,
    /// Sealed archive: cannot be checked because an earlier part of the log already failed.
    AfterFailure,
    /// A log no digest lists, although a supplied, verified digest of its chain covers the
    /// time its records were delivered: the digest that should list it does not.
    NotListed,
}

impl Reason {
    /// The reason's contract name (kebab-case).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::HashMismatch => "hash-mismatch",
            Reason::TrailingData => "trailing-data",
            Reason::SignatureInvalid => "signature-invalid",
            Reason::KeyNotFound => "key-not-found",
            Reason::SignatureUnavailable => "signature-unavailable",
            Reason::NotFound => "not-found",
            Reason::Moved => "moved",
            Reason::ChainMismatch => "chain-mismatch",
            Reason::Malformed => "malformed",
            Reason::NotReferenced => "not-referenced",
            Reason::RootMismatch => "root-mismatch",
            Reason::ManifestMismatch => "manifest-mismatch",
            Reason::Truncated => "truncated",
            Reason::PinMismatch => "pin-mismatch",
            Reason::NonceMismatch => "nonce-mismatch",
            Reason::OriginMismatch => "origin-mismatch",
            Reason::AfterFailure => "after-failure",
            Reason::NotListed => "not-listed",
        }
    }
}

/// What kind of file an item is.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// A signed digest file (CloudTrail digest or CTS digest).
    Digest,
    /// A log file (CloudTrail log or CTS trace file).
    Log,
    /// A public-key file.
    Key,
    /// Signature metadata exported beside a digest (`head-object` / `metadata` JSON).
    Sidecar,
    /// Anything else.
    Other,
    /// A sealed archive's manifest.
    Manifest,
    /// A sealed archive's seal file.
    Seal,
    /// A sealed archive's signed checkpoint.
    Checkpoint,
    /// An outside anchor of a sealed archive (a pinned checkpoint, the expected nonce).
    Anchor,
}

/// The cloud whose scheme was verified.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// AWS CloudTrail log file validation.
    Aws,
    /// Huawei Cloud CTS trace file verification.
    Cts,
    /// A Trailproof sealed archive (`audit-archive/v1`): the chain is the sequence of seals.
    Archive,
}

/// One file's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Path relative to the input root; for a missing file, the key it was expected under.
    pub path: String,
    /// What kind of file it is.
    pub kind: ItemKind,
    /// The outcome.
    pub status: Status,
    /// Why it is not valid; absent exactly when `status` is `valid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// One plain-language sentence for people.
    pub message: String,
    /// Identifier of the chain the item belongs to (see [`ChainSummary::id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// The key or object name the file records or is referenced under, when it differs
    /// from `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Further remarks that do not change the status (weak hash, key validity, location
    /// not checkable, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What proved a valid item: the digest that lists it and the key whose signature
    /// verified, or the sealed-archive checkpoint. Absent when nothing proved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

/// The evidence behind a valid item, so an auditor can say what proved each file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// For a log file: the item path of the digest that lists it with a matching hash.
    /// Absent for a digest (it is proved by its own signature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Fingerprint of the key whose signature verified (CloudTrail and CTS: hex MD5 of the
    /// DER, as digests name keys; sealed archives: the verifier key's name and hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Sealed archive: the signed checkpoint that covers the record (`origin` and tree size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

/// A key a verification used, with where it came from: the report must say whose word the
/// verdict rests on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyUse {
    /// Fingerprint, as [`Proof::key`] names it.
    pub fingerprint: String,
    /// Where the key came from: the input file's path, or `built-in` for a published key
    /// compiled into Trailproof.
    pub source: String,
    /// Start of the key's validity (ISO-8601 UTC), when the key file states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// End of the key's validity (ISO-8601 UTC), when the key file states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    /// How many digests (or checkpoints) this key's signatures verified.
    pub verified: u64,
}

/// The integrity state of one event, derived from the file that holds its record. Four
/// states, so that a headline never speaks for events the evidence does not cover.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Integrity {
    /// No integrity mechanism among the inputs covers it (ActionTrail, GCP, Azure,
    /// lookup-events or console exports, files outside any chain or archive).
    #[default]
    Unprotected,
    /// Its file could be protected but is not proven: not listed by any supplied digest
    /// (after the newest digest), its digest's signature unavailable, its key missing.
    Unverified,
    /// Its file is invalid, or its record conflicts with verified evidence.
    Failed,
    /// Its file is listed with a matching hash by a digest whose signature verified with a
    /// known key, or it is a record of a sealed archive whose checkpoint verified.
    Verified,
}

impl Integrity {
    /// All states, in the order summaries list them.
    pub const ALL: [Integrity; 4] = [
        Integrity::Verified,
        Integrity::Unverified,
        Integrity::Failed,
        Integrity::Unprotected,
    ];

    /// The state of events whose file has this item status.
    pub fn of_status(status: Status) -> Integrity {
        match status {
            Status::Valid => Integrity::Verified,
            Status::Invalid | Status::Missing => Integrity::Failed,
            Status::Unverifiable | Status::Unreferenced => Integrity::Unverified,
        }
    }

    /// The state's contract name (`verified`, `unverified`, `failed`, `unprotected`).
    pub fn as_str(self) -> &'static str {
        match self {
            Integrity::Verified => "verified",
            Integrity::Unverified => "unverified",
            Integrity::Failed => "failed",
            Integrity::Unprotected => "unprotected",
        }
    }
}

/// How many events are in each [`Integrity`] state: the headline's coverage block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// All events.
    pub events: u64,
    /// Events in [`Integrity::Verified`].
    pub verified: u64,
    /// Events in [`Integrity::Unverified`].
    pub unverified: u64,
    /// Events in [`Integrity::Failed`].
    pub failed: u64,
    /// Events in [`Integrity::Unprotected`].
    pub unprotected: u64,
}

impl Coverage {
    /// Adds `n` events in state `state`.
    pub fn add(&mut self, state: Integrity, n: u64) {
        self.events += n;
        match state {
            Integrity::Verified => self.verified += n,
            Integrity::Unverified => self.unverified += n,
            Integrity::Failed => self.failed += n,
            Integrity::Unprotected => self.unprotected += n,
        }
    }

    /// Whether every event is verified (and there is at least one).
    pub fn all_verified(&self) -> bool {
        self.events > 0 && self.verified == self.events
    }

    /// What the coverage says, as the phrases every headline uses (CLI, browser, auditor
    /// report), numbers with thousands separators: `["4 of 51 events verified", "47 have no
    /// integrity protection"]`, `["all 3 events verified"]`, or `["no events"]`.
    ///
    /// ```
    /// use trailproof_core::report::Coverage;
    /// let c = Coverage { events: 1_051, verified: 4, unverified: 0, failed: 1, unprotected: 1_046 };
    /// assert_eq!(
    ///     c.phrases().join(" · "),
    ///     "4 of 1,051 events verified · 1 failed verification · 1,046 have no integrity protection"
    /// );
    /// ```
    pub fn phrases(&self) -> Vec<String> {
        if self.events == 0 {
            return vec!["no events".to_owned()];
        }
        if self.all_verified() {
            return vec![format!("all {} events verified", group_digits(self.events))];
        }
        let mut parts = vec![format!(
            "{} of {} events verified",
            group_digits(self.verified),
            group_digits(self.events)
        )];
        if self.failed > 0 {
            parts.push(format!("{} failed verification", group_digits(self.failed)));
        }
        if self.unverified > 0 {
            let verb = if self.unverified == 1 { "is" } else { "are" };
            parts.push(format!(
                "{} {verb} not proven",
                group_digits(self.unverified)
            ));
        }
        if self.unprotected > 0 {
            let verb = if self.unprotected == 1 { "has" } else { "have" };
            parts.push(format!(
                "{} {verb} no integrity protection",
                group_digits(self.unprotected)
            ));
        }
        parts
    }
}

/// `n` with a comma between groups of three digits (`1,234,567`), as reports print counts.
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Item {
    /// An item without chain, key or notes. `reason` should be `None` exactly when `status`
    /// is valid; [`Report::new`] does not rewrite it.
    pub fn new(
        path: impl Into<String>,
        kind: ItemKind,
        status: Status,
        reason: Option<Reason>,
        message: impl Into<String>,
    ) -> Self {
        Item {
            path: path.into(),
            kind,
            status,
            reason,
            message: message.into(),
            chain: None,
            key: None,
            notes: Vec::new(),
            proof: None,
        }
    }
}

/// A stretch of time that no digest covers, where the chain restarted (informational).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// End of the last digest before the gap (ISO-8601 UTC, as the digest records it).
    pub start: String,
    /// Start of the first digest after the gap.
    pub end: String,
    /// The chain it belongs to.
    pub chain: String,
    /// Plain-language explanation.
    pub message: String,
}

/// One digest in a chain summary: one cell of the browser's hour strip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestCell {
    /// Start of the time covered (ISO-8601 UTC), when known.
    pub start: Option<String>,
    /// End of the time covered (ISO-8601 UTC).
    pub end: String,
    /// The digest's status.
    pub status: Status,
    /// Its reason, when not valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The item path of the digest (the expected key for a missing digest).
    pub path: String,
}

/// A digest chain, for drawing: its identity and its digests in time order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainSummary {
    /// Stable identifier, also used in [`Item::chain`] and [`Gap::chain`].
    pub id: String,
    /// Which scheme.
    pub provider: Provider,
    /// AWS account or CTS project id.
    pub account: String,
    /// Source region (AWS) or region (CTS).
    pub region: String,
    /// Trail name (AWS) or `tracker/service` folder and file prefix (CTS).
    pub trail: String,
    /// Home region of the trail (AWS only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_region: Option<String>,
    /// Whether this is a CloudTrail backfill chain.
    pub backfill: bool,
    /// The digests, oldest first, including missing ones.
    pub digests: Vec<DigestCell>,
    /// When the oldest supplied digest points at an earlier digest that was not supplied,
    /// that key: the chain goes on before the supplied files and was checked from here on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues_before: Option<String>,
}

/// A remark about an input that is not an item: unknown files, skipped entries, warnings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// How much it matters.
    pub severity: Level,
    /// The input's path.
    pub path: String,
    /// Plain-language text.
    pub message: String,
}

/// Counts per status, for summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Items with status valid.
    pub valid: u64,
    /// Items with status invalid.
    pub invalid: u64,
    /// Items with status missing.
    pub missing: u64,
    /// Items with status unverifiable.
    pub unverifiable: u64,
    /// Items with status unreferenced.
    pub unreferenced: u64,
}

impl Counts {
    /// Counts the statuses of `items`.
    pub fn of(items: &[Item]) -> Counts {
        let mut c = Counts::default();
        for i in items {
            match i.status {
                Status::Valid => c.valid += 1,
                Status::Invalid => c.invalid += 1,
                Status::Missing => c.missing += 1,
                Status::Unverifiable => c.unverifiable += 1,
                Status::Unreferenced => c.unreferenced += 1,
            }
        }
        c
    }
}

/// The whole result of a verification run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Derived from the items (see [`Verdict::from_statuses`]).
    pub verdict: Verdict,
    /// One entry per file checked or expected.
    pub items: Vec<Item>,
    /// Informational gaps (chain restarts after silence).
    pub gaps: Vec<Gap>,
    /// Per-chain summaries for drawing.
    #[serde(default)]
    pub chains: Vec<ChainSummary>,
    /// Remarks about inputs that are not items.
    #[serde(default)]
    pub notes: Vec<Note>,
    /// Item counts per status.
    #[serde(default)]
    pub counts: Counts,
    /// The keys whose signatures verified something, with their origin.
    #[serde(default)]
    pub keys: Vec<KeyUse>,
    /// Integrity of the events, when a host that indexed them filled it in (the verifier
    /// itself sees files, not events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// The identities of the events a shard's run indexed (`verify --chain`), so that a
    /// merge of shard reports counts events as one run over every file would; absent from
    /// every other report, merged ones included (`docs/scale.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_events: Option<ShardEvents>,
}

/// A shard run's event identities ([`Report::shard_events`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardEvents {
    /// The files holding events, in the run's input order.
    pub files: Vec<ShardEventFile>,
    /// The events' identities, file after file, base64 (standard alphabet, padded); the
    /// encoding is `trailproof_events::store::Identities`'.
    pub rows: String,
}

/// One file of [`ShardEvents`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardEventFile {
    /// The file's path (as items name it).
    pub path: String,
    /// Its position among all input files of the plan, in the whole run's input order.
    pub seq: u64,
    /// How many events (identical copies included) it holds.
    pub events: u64,
}

impl Report {
    /// A report whose verdict and counts are derived from `items`.
    pub fn new(
        items: Vec<Item>,
        gaps: Vec<Gap>,
        chains: Vec<ChainSummary>,
        notes: Vec<Note>,
    ) -> Self {
        let verdict = Verdict::from_statuses(items.iter().map(|i| i.status));
        let counts = Counts::of(&items);
        Report {
            verdict,
            items,
            gaps,
            chains,
            notes,
            counts,
            keys: Vec::new(),
            coverage: None,
            shard_events: None,
        }
    }

    /// Recomputes verdict and counts after items were added or changed.
    pub fn refresh(&mut self) {
        self.verdict = Verdict::from_statuses(self.items.iter().map(|i| i.status));
        self.counts = Counts::of(&self.items);
    }

    /// The integrity state of the events held by the file at `path`, and what proved it:
    /// the status of the item for that path, or [`Integrity::Unprotected`] when no item
    /// names it. Several items for one path (a sealed archive lists records per file)
    /// take the worst.
    pub fn integrity_of(&self, path: &str) -> (Integrity, Option<&Proof>) {
        let mut found: Option<(Integrity, Option<&Proof>)> = None;
        for item in self.items.iter().filter(|i| i.path == path) {
            fold_integrity(&mut found, item);
        }
        found.unwrap_or((Integrity::Unprotected, None))
    }

    /// [`Report::integrity_of`] for every path that has an item, computed in one pass over
    /// the items (a host judging thousands of files asks once, not once per file). Paths
    /// without an entry are [`Integrity::Unprotected`].
    pub fn integrity_by_path(
        &self,
    ) -> std::collections::HashMap<&str, (Integrity, Option<&Proof>)> {
        let mut found: std::collections::HashMap<&str, Option<(Integrity, Option<&Proof>)>> =
            std::collections::HashMap::with_capacity(self.items.len());
        for item in &self.items {
            fold_integrity(found.entry(item.path.as_str()).or_default(), item);
        }
        found
            .into_iter()
            .filter_map(|(path, state)| Some((path, state?)))
            .collect()
    }

    /// Items that are not valid, in report order.
    pub fn problems(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.status != Status::Valid)
    }
}

/// Folds `item` into the state found so far for its path: missing items name an expected
/// key, not a file holding events, and are skipped; of several items the worst state wins
/// (the first of equally bad ones gives the proof).
fn fold_integrity<'r>(found: &mut Option<(Integrity, Option<&'r Proof>)>, item: &'r Item) {
    if item.status == Status::Missing {
        return;
    }
    let state = (Integrity::of_status(item.status), item.proof.as_ref());
    *found = Some(match *found {
        None => state,
        Some(prev) => std::cmp::min_by_key(prev, state, |s| match s.0 {
            Integrity::Failed => 0,
            Integrity::Unverified => 1,
            Integrity::Unprotected => 2,
            Integrity::Verified => 3,
        }),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(status: Status, reason: Option<Reason>) -> Item {
        Item::new("p", ItemKind::Digest, status, reason, "m")
    }

    #[test]
    fn verdict_rules() {
        assert_eq!(
            Report::new(vec![], vec![], vec![], vec![]).verdict,
            Verdict::Valid
        );
        let unref = item(Status::Unreferenced, Some(Reason::NotReferenced));
        assert_eq!(
            Report::new(vec![unref.clone()], vec![], vec![], vec![]).verdict,
            Verdict::Valid
        );
        let unv = item(Status::Unverifiable, Some(Reason::SignatureUnavailable));
        assert_eq!(
            Report::new(vec![unv.clone(), unref], vec![], vec![], vec![]).verdict,
            Verdict::Incomplete
        );
        let missing = item(Status::Missing, Some(Reason::NotFound));
        assert_eq!(
            Report::new(vec![unv.clone(), missing], vec![], vec![], vec![]).verdict,
            Verdict::Invalid
        );
        let inv = item(Status::Invalid, Some(Reason::Moved));
        assert_eq!(
            Report::new(vec![inv, unv], vec![], vec![], vec![]).verdict,
            Verdict::Invalid
        );
    }

    #[test]
    fn contract_names() {
        let all = [
            (Reason::HashMismatch, "hash-mismatch"),
            (Reason::TrailingData, "trailing-data"),
            (Reason::SignatureInvalid, "signature-invalid"),
            (Reason::KeyNotFound, "key-not-found"),
            (Reason::SignatureUnavailable, "signature-unavailable"),
            (Reason::NotFound, "not-found"),
            (Reason::Moved, "moved"),
            (Reason::ChainMismatch, "chain-mismatch"),
            (Reason::Malformed, "malformed"),
            (Reason::NotReferenced, "not-referenced"),
            (Reason::RootMismatch, "root-mismatch"),
            (Reason::ManifestMismatch, "manifest-mismatch"),
            (Reason::Truncated, "truncated"),
            (Reason::PinMismatch, "pin-mismatch"),
            (Reason::NonceMismatch, "nonce-mismatch"),
            (Reason::OriginMismatch, "origin-mismatch"),
            (Reason::AfterFailure, "after-failure"),
            (Reason::NotListed, "not-listed"),
        ];
        for (r, name) in all {
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(name));
            assert_eq!(r.as_str(), name);
        }
        for (s, name) in [
            (Status::Valid, "valid"),
            (Status::Invalid, "invalid"),
            (Status::Missing, "missing"),
            (Status::Unverifiable, "unverifiable"),
            (Status::Unreferenced, "unreferenced"),
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(name));
            assert_eq!(s.as_str(), name);
        }
        for (v, name, code) in [
            (Verdict::Valid, "valid", 0),
            (Verdict::Invalid, "invalid", 1),
            (Verdict::Incomplete, "incomplete", 3),
        ] {
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(name));
            assert_eq!(v.exit_code(), code);
        }
    }

    #[test]
    fn integrity_of_a_path_takes_its_items_worst_state_and_proof() {
        let mut ok = Item::new("a.json.gz", ItemKind::Log, Status::Valid, None, "m");
        ok.proof = Some(Proof {
            digest: Some("d.json.gz".into()),
            key: Some("k".into()),
            checkpoint: None,
        });
        let unref = Item::new(
            "b.json.gz",
            ItemKind::Log,
            Status::Unreferenced,
            Some(Reason::NotReferenced),
            "m",
        );
        let bad = Item::new(
            "c.rec",
            ItemKind::Log,
            Status::Invalid,
            Some(Reason::HashMismatch),
            "m",
        );
        let good_too = Item::new("c.rec", ItemKind::Log, Status::Valid, None, "m");
        // A missing item names an expected key, not a file holding events.
        let missing = Item::new(
            "m.json.gz",
            ItemKind::Log,
            Status::Missing,
            Some(Reason::NotFound),
            "m",
        );
        let r = Report::new(
            vec![ok.clone(), unref, good_too, bad, missing],
            vec![],
            vec![],
            vec![],
        );
        assert_eq!(
            r.integrity_of("a.json.gz"),
            (Integrity::Verified, ok.proof.as_ref())
        );
        assert_eq!(r.integrity_of("b.json.gz"), (Integrity::Unverified, None));
        assert_eq!(r.integrity_of("c.rec").0, Integrity::Failed);
        assert_eq!(r.integrity_of("m.json.gz"), (Integrity::Unprotected, None));
        assert_eq!(r.integrity_of("other.json"), (Integrity::Unprotected, None));
        // The one-pass index agrees with the per-path question on every path.
        let index = r.integrity_by_path();
        for path in ["a.json.gz", "b.json.gz", "c.rec", "m.json.gz", "other.json"] {
            let indexed = index
                .get(path)
                .copied()
                .unwrap_or((Integrity::Unprotected, None));
            assert_eq!(indexed, r.integrity_of(path), "{path}");
        }
        assert!(!index.contains_key("m.json.gz"));
        let mut c = Coverage::default();
        c.add(Integrity::Verified, 2);
        assert!(c.all_verified());
        c.add(Integrity::Unprotected, 1);
        assert_eq!((c.events, c.unprotected, c.all_verified()), (3, 1, false));
        assert!(!Coverage::default().all_verified());
    }

    #[test]
    fn json_shape_and_round_trip() {
        let mut bad = item(Status::Missing, Some(Reason::NotFound));
        bad.chain = Some("c".into());
        let report = Report::new(
            vec![item(Status::Valid, None), bad],
            vec![Gap {
                start: "a".into(),
                end: "b".into(),
                chain: "c".into(),
                message: "m".into(),
            }],
            vec![],
            vec![Note {
                severity: Level::Info,
                path: "x".into(),
                message: "m".into(),
            }],
        );
        let v = serde_json::to_value(&report).unwrap();
        assert_eq!(v["verdict"], "invalid");
        let first = v["items"][0].as_object().unwrap();
        for k in ["path", "kind", "status", "message"] {
            assert!(first.contains_key(k), "{k}");
        }
        assert!(!first.contains_key("reason"));
        assert_eq!(v["items"][1]["reason"], "not-found");
        assert_eq!(v["items"][1]["status"], "missing");
        assert_eq!(v["gaps"][0]["start"], "a");
        assert_eq!(v["notes"][0]["severity"], "info");
        assert_eq!(v["counts"]["missing"], 1);
        let back: Report = serde_json::from_value(v).unwrap();
        assert_eq!(back, report);
    }
}
