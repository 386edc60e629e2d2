//! What the page says about a verification report, decided without the DOM so it is tested
//! natively: the summary badge (which speaks for the events, not only the chains), the
//! problems grouped by cause with why and what to do, which hour of a chain strip each file
//! belongs to, and the guidance banners for missing keys and signature metadata.
//!
//! The text per cause lives in ONE table keyed by [`Reason`] ([`CAUSES`]); every place that
//! explains a problem (Problems panel, strip tooltips) reads it from there. Guidance speaks
//! the browser's language: which file to drop, never a command-line flag of Trailproof.

use std::collections::HashMap;

use jiff::Timestamp;
use trailproof_core::report::{
    ChainSummary, Coverage, Integrity, Item, ItemKind, Provider, Reason, Report, Status, Verdict,
};

use crate::guide::{self, Missing};
use crate::protocol::LoadSummary;

/// A count with thousands separators (`56,666`).
pub fn count(n: u64) -> String {
    trailproof_core::report::group_digits(n)
}

/// The rates of a load so far, for its progress line: bytes of the inputs and events per
/// second since the job started (`ms` ago), e.g. `35.2 MB/s · 812,000 events, 96,000/s`.
/// Empty in the first half second (too early to say) and without a start (`ms` 0); events are
/// left out while none are loaded.
pub fn rates(done: u64, events: u64, ms: f64) -> String {
    if ms.is_nan() || ms < 500.0 {
        return String::new();
    }
    let per_s = |n: u64| n as f64 * 1000.0 / ms;
    let bytes = format!("{:.1} MB/s", per_s(done) / 1e6);
    if events == 0 {
        return bytes;
    }
    format!(
        "{bytes} · {} events, {}/s",
        count(events),
        count(per_s(events).round() as u64)
    )
}

/// The typed state behind an integrity name from the worker (`None` for empty or unknown).
pub fn integrity_state(name: &str) -> Option<Integrity> {
    Integrity::ALL.into_iter().find(|i| i.as_str() == name)
}

/// The CSS class for text showing an integrity state (`i-verified`, …; `None` for empty or
/// unknown names). Taken from the typed state, never from the worker's text.
pub fn integrity_class(name: &str) -> Option<&'static str> {
    integrity_state(name).map(|i| match i {
        Integrity::Verified => "i-verified",
        Integrity::Unverified => "i-unverified",
        Integrity::Failed => "i-failed",
        Integrity::Unprotected => "i-unprotected",
    })
}

/// The colour of the summary badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Green: every event is verified.
    Verified,
    /// The chains verified, but not every event is proven (or coverage is not known).
    Partial,
    /// Something could not be checked.
    Incomplete,
    /// Tampering or loss.
    Invalid,
    /// Nothing cryptographic to verify.
    None,
}

impl Tone {
    /// The CSS classes of the badge.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Verified => "badge valid",
            Tone::Partial => "badge partial",
            Tone::Incomplete => "badge incomplete",
            Tone::Invalid => "badge invalid",
            Tone::None => "badge none",
        }
    }
}

/// The badge: its colour and its words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headline {
    /// Colour.
    pub tone: Tone,
    /// What it says, e.g. "Chains valid · 4 of 51 events verified · 47 have no integrity
    /// protection".
    pub text: String,
}

/// What the coverage block says, as badge parts: nothing when no event was counted.
pub fn coverage_parts(c: &Coverage) -> Vec<String> {
    if c.events == 0 {
        return Vec::new();
    }
    c.phrases()
}

/// The summary badge. Green "Verified" only when the coverage block says every event is
/// verified; without coverage (a host that did not count events) the chains speak only for
/// themselves ("Chains valid"), and no number is made up.
pub fn headline(summary: &LoadSummary) -> Headline {
    let report = &summary.report;
    // Without a digest or checkpoint nothing was proven, whatever the verdict of the rest.
    let proven = report
        .items
        .iter()
        .any(|i| matches!(i.kind, ItemKind::Digest | ItemKind::Checkpoint))
        || summary.proofs.iter().any(|p| p.valid);
    let parts = report
        .coverage
        .as_ref()
        .map(coverage_parts)
        .unwrap_or_default();
    let all_verified = report.coverage.as_ref().is_some_and(Coverage::all_verified);
    let (tone, base) = if summary.proofs.iter().any(|p| !p.valid) {
        (Tone::Invalid, "Tampering or loss detected")
    } else if !proven {
        (Tone::None, "No digests to verify")
    } else {
        match report.verdict {
            Verdict::Invalid => (Tone::Invalid, "Tampering or loss detected"),
            Verdict::Incomplete => (Tone::Incomplete, "Incomplete verification"),
            Verdict::Valid if all_verified => (Tone::Verified, "Verified"),
            _ => (Tone::Partial, "Chains valid"),
        }
    };
    // "Verified" needs no qualifier: its condition is that every event is verified.
    let text = if tone == Tone::Verified {
        base.to_owned()
    } else {
        std::iter::once(base.to_owned())
            .chain(parts)
            .collect::<Vec<_>>()
            .join(" · ")
    };
    Headline { tone, text }
}

/// How to explain one reason.
#[derive(Debug)]
pub struct Cause {
    /// The reason explained.
    pub reason: Reason,
    /// What happened to the files, after "N log files …". `{its}`/`{it}` agree in number.
    pub what: &'static str,
    /// What happened to log files whose listing digest has this problem (they are unverifiable
    /// because of the digest, not because of themselves).
    pub inherited: Option<&'static str>,
    /// Why it matters, for people.
    pub why: &'static str,
    /// What to do, in the browser's terms.
    pub todo: &'static str,
}

/// Every reason's explanation: the one place problem text comes from.
pub const CAUSES: &[Cause] = &[
    Cause {
        reason: Reason::HashMismatch,
        what: "changed after delivery",
        inherited: None,
        why: "The hash of its content differs from the one the signed digest records.",
        todo: "Treat its events as altered. Fetch the original from the provider's storage and compare.",
    },
    Cause {
        reason: Reason::TrailingData,
        what: "with data appended after delivery",
        inherited: None,
        why: "The compressed stream the digest covers is intact, but more bytes follow it; no signature covers them.",
        todo: "Fetch the original from the provider's storage; ignore the appended part.",
    },
    Cause {
        reason: Reason::SignatureInvalid,
        what: "failed the signature check",
        inherited: Some("cannot be checked: the digest that lists {it} failed its signature check"),
        why: "The digest was changed after it was signed, or the signature is not its own. What it lists cannot be trusted; the log files themselves are not shown to be altered.",
        todo: "Download the digest and its signature metadata again from the bucket and drop them here; if it still fails, the digest was altered.",
    },
    Cause {
        reason: Reason::KeyNotFound,
        what: "cannot be checked: public key missing",
        inherited: Some("cannot be checked: the public key of the digest that lists {it} is missing"),
        why: "None of the dropped public keys has the fingerprint the digest names.",
        todo: "Drop the public-key file the banner below describes together with these files.",
    },
    Cause {
        reason: Reason::SignatureUnavailable,
        what: "cannot be checked: signature metadata missing",
        inherited: Some("cannot be checked: the digest that lists {it} could not be verified"),
        why: "The newest digest of a chain carries its signature only in its storage metadata, and no later digest records it.",
        todo: "Drop the signature metadata file the banner below describes together with these files.",
    },
    Cause {
        reason: Reason::NotFound,
        what: "missing from the dropped files",
        inherited: None,
        why: "A digest lists {it}, or the chain implies {it}, but {it} is not among the files dropped here.",
        todo: "Export the missing files from the bucket and drop them with the others; if they are gone there too, they were deleted.",
    },
    Cause {
        reason: Reason::Moved,
        what: "not where {it} was delivered",
        inherited: None,
        why: "The file records another storage key than the place it was found.",
        todo: "Find out who moved or renamed it; drop the copy from its original location if it exists.",
    },
    Cause {
        reason: Reason::ChainMismatch,
        what: "inconsistent with {its} neighbours in the chain",
        inherited: None,
        why: "Its links to the previous digest or its times disagree with the chain.",
        todo: "Download the neighbouring digests again; a digest was replaced or removed.",
    },
    Cause {
        reason: Reason::Malformed,
        what: "unreadable",
        inherited: None,
        why: "It cannot be decompressed or parsed.",
        todo: "Download it again (an interrupted download looks like this) and drop the new copy.",
    },
    Cause {
        reason: Reason::NotReferenced,
        what: "not listed by any digest yet",
        inherited: None,
        why: "Normal for files delivered after the newest digest: the next digest lists them. Until then their content is not protected.",
        todo: "Drop the next digest (delivered about an hour later) to verify them.",
    },
    Cause {
        reason: Reason::NotListed,
        what: "not listed by the digest that covers {its} hour",
        inherited: None,
        why: "A verified digest covers the time {its} records were delivered and does not list {it}: {it} was added later.",
        todo: "Treat {its} events as forged until proven otherwise; compare them with the verified copies.",
    },
    Cause {
        reason: Reason::RootMismatch,
        what: "disagreeing with a signed checkpoint",
        inherited: None,
        why: "Records or seals were changed, added, removed or reordered before the checkpoint.",
        todo: "Treat the archive from the first failing checkpoint on as altered; obtain the original archive.",
    },
    Cause {
        reason: Reason::ManifestMismatch,
        what: "not matching the export seal",
        inherited: None,
        why: "The manifest's hash differs from the one the export seal records.",
        todo: "Obtain the original archive; the manifest was changed.",
    },
    Cause {
        reason: Reason::Truncated,
        what: "cut short",
        inherited: None,
        why: "A pinned checkpoint is larger than the archive: records after it were removed.",
        todo: "Obtain the complete archive.",
    },
    Cause {
        reason: Reason::PinMismatch,
        what: "disagreeing with the pinned checkpoint",
        inherited: None,
        why: "The tree at the pinned size has another root than the pinned one.",
        todo: "Obtain the original archive; this one was rewritten.",
    },
    Cause {
        reason: Reason::NonceMismatch,
        what: "without the expected export nonce",
        inherited: None,
        why: "The export seal lacks the nonce the requester gave, or carries another one.",
        todo: "Ask for a fresh export sealed with your nonce.",
    },
    Cause {
        reason: Reason::OriginMismatch,
        what: "naming another log",
        inherited: None,
        why: "The archive belongs to another log (origin) than the one expected.",
        todo: "Check that the right archive and key were dropped.",
    },
    Cause {
        reason: Reason::AfterFailure,
        what: "not checkable after an earlier failure",
        inherited: None,
        why: "An earlier part of the log already failed, so what follows cannot be trusted.",
        todo: "Resolve the first failure above.",
    },
];

/// The explanation of a reason outside the table (a reason added later).
const OTHER: Cause = Cause {
    reason: Reason::Malformed,
    what: "not valid",
    inherited: None,
    why: "See each file's message.",
    todo: "Read each file's message in the table.",
};

/// The table's entry for `reason`.
pub fn cause(reason: Option<Reason>) -> &'static Cause {
    reason
        .and_then(|r| CAUSES.iter().find(|c| c.reason == r))
        .unwrap_or(&OTHER)
}

/// `{its}` and `{it}` in agreement with `n`.
fn agree(template: &str, n: usize) -> String {
    let (its, it) = if n == 1 {
        ("its", "it")
    } else {
        ("their", "them")
    };
    template
        .replace("{its}", its)
        .replace("{it} was", if n == 1 { "it was" } else { "they were" })
        .replace("{it} is", if n == 1 { "it is" } else { "they are" })
        .replace("{it}", it)
}

/// What a problem is, as the Problems panel groups it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    /// The items' status.
    pub status: Status,
    /// Their reason.
    pub reason: Option<Reason>,
    /// Log files that cannot be checked because of their digest (a log has no signature of
    /// its own, so an unverifiable log always inherits its digest's problem).
    pub inherited: bool,
}

impl GroupKey {
    /// The group an item belongs to; `None` for a valid item.
    pub fn of(item: &Item) -> Option<GroupKey> {
        (item.status != Status::Valid).then(|| GroupKey {
            status: item.status,
            reason: item.reason,
            inherited: item.kind == ItemKind::Log && item.status == Status::Unverifiable,
        })
    }

    /// A stable id for the DOM and tests (`invalid-hash-mismatch`, `unverifiable-key-not-found-logs`).
    pub fn id(&self) -> String {
        format!(
            "{}-{}{}",
            self.status.as_str(),
            self.reason.map_or("none", Reason::as_str),
            if self.inherited { "-logs" } else { "" }
        )
    }
}

/// One line of the Problems panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// What groups it.
    pub key: GroupKey,
    /// Indexes into the report's items.
    pub items: Vec<usize>,
    /// "1 log file changed after delivery".
    pub title: String,
    /// The first few file names, and how many more.
    pub files: String,
    /// Why it matters.
    pub why: String,
    /// What to do.
    pub todo: String,
}

/// Singular and plural noun for a kind of file.
fn noun(kind: Option<ItemKind>, n: usize) -> &'static str {
    let one = n == 1;
    match kind {
        Some(ItemKind::Digest) if one => "digest",
        Some(ItemKind::Digest) => "digests",
        Some(ItemKind::Log) if one => "log file",
        Some(ItemKind::Log) => "log files",
        Some(ItemKind::Sidecar) if one => "signature metadata file",
        Some(ItemKind::Sidecar) => "signature metadata files",
        Some(ItemKind::Key) if one => "key file",
        Some(ItemKind::Key) => "key files",
        Some(ItemKind::Checkpoint) if one => "checkpoint",
        Some(ItemKind::Checkpoint) => "checkpoints",
        Some(ItemKind::Manifest) if one => "manifest",
        Some(ItemKind::Manifest) => "manifests",
        Some(ItemKind::Seal) if one => "seal",
        Some(ItemKind::Seal) => "seals",
        _ if one => "file",
        _ => "files",
    }
}

/// The last path segment.
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The first `shown` names and how many more.
pub fn name_list<'a>(names: impl ExactSizeIterator<Item = &'a str>, shown: usize) -> String {
    let total = names.len();
    let mut list: Vec<&str> = names.take(shown).collect();
    list.dedup();
    let mut out = list.join(", ");
    if total > shown {
        out.push_str(&format!(" and {} more", count((total - shown) as u64)));
    }
    out
}

/// Where a status ranks when cells and groups take the worst.
pub fn severity(status: Status) -> u8 {
    match status {
        Status::Invalid => 4,
        Status::Missing => 3,
        Status::Unverifiable => 2,
        Status::Unreferenced => 1,
        Status::Valid => 0,
    }
}

/// The problems of `items` (indexes into `report.items`), one group per cause, worst first.
pub fn groups_of(report: &Report, items: impl IntoIterator<Item = usize>) -> Vec<Group> {
    let mut by_key: HashMap<GroupKey, Vec<usize>> = HashMap::new();
    for i in items {
        if let Some(key) = report.items.get(i).and_then(GroupKey::of) {
            by_key.entry(key).or_default().push(i);
        }
    }
    let mut keys: Vec<GroupKey> = by_key.keys().copied().collect();
    keys.sort_by_key(|k| (std::cmp::Reverse(severity(k.status)), k.reason, k.inherited));
    keys.into_iter()
        .filter_map(|key| {
            let items = by_key.remove(&key)?;
            let n = items.len();
            let first = report.items.get(items[0])?.kind;
            let kind = items
                .iter()
                .all(|&i| report.items.get(i).is_some_and(|it| it.kind == first))
                .then_some(first);
            let c = cause(key.reason);
            let what = if key.inherited {
                c.inherited
                    .unwrap_or("cannot be checked: the digest that lists {it} is not trusted")
            } else {
                c.what
            };
            let why = if key.inherited {
                "A log file is protected only by the digest that lists it; that digest could not be verified, so neither can the file."
            } else {
                c.why
            };
            Some(Group {
                key,
                title: format!("{} {} {}", count(n as u64), noun(kind, n), agree(what, n)),
                files: name_list(
                    items
                        .iter()
                        .filter_map(|&i| report.items.get(i))
                        .map(|it| base_name(&it.path))
                        .collect::<Vec<_>>()
                        .into_iter(),
                    3,
                ),
                why: agree(why, n),
                todo: agree(c.todo, n),
                items,
            })
        })
        .collect()
}

/// Every problem of the report, grouped.
pub fn groups(report: &Report) -> Vec<Group> {
    groups_of(report, 0..report.items.len())
}

/// One cell of a chain strip: the digest and the files that map to its hour.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// Indexes of the items in the cell (the digest itself and its logs).
    pub items: Vec<usize>,
    /// The worst status of the digest and its items.
    pub worst: Option<Status>,
}

/// Every chain's cells, parallel to `report.chains[c].digests`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cells {
    /// `cells[chain][digest]`.
    pub cells: Vec<Vec<Cell>>,
    /// For each item, its cell, if one was found.
    pub of_item: Vec<Option<(usize, usize)>>,
}

fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

/// The delivery time a CloudTrail log file's name states (`…_CloudTrail_<region>_YYYYMMDDTHHMMZ_…`),
/// and its account and region. Prefixed copies (`tampered_<name>`) keep their stamp.
fn aws_log_name(path: &str) -> Option<(&str, &str, Timestamp)> {
    let name = base_name(path);
    let at = name.find("_CloudTrail_")?;
    let account = name[..at].rsplit('_').next()?;
    let rest = name.get(at + "_CloudTrail_".len()..)?;
    let (region, rest) = rest.split_once('_')?;
    let s = rest.get(..14)?;
    let b = s.as_bytes();
    if b[8] != b'T' || b[13] != b'Z' || !b[..8].iter().chain(&b[9..13]).all(u8::is_ascii_digit) {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:00Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13]
    );
    Some((account, region, parse_time(&iso)?))
}

/// The digest names a message mentions (`… digest <name> …`).
fn digests_named(message: &str) -> impl Iterator<Item = &str> {
    message.split("digest ").skip(1).filter_map(|rest| {
        let name = rest
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == ':')
            .next()?;
        (!name.is_empty()).then_some(name)
    })
}

/// Which strip cell each item belongs to, and each cell's worst status. A digest is its own
/// cell; a log belongs to the digest that lists it (`proof.digest` when valid, the digest its
/// message names otherwise), else to the cell whose `[start, end)` holds the delivery time its
/// name states; signature metadata belongs to its digest.
pub fn cells(report: &Report) -> Cells {
    let chains = &report.chains;
    let mut by_path: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut by_base: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    let mut times: Vec<Vec<(Option<Timestamp>, Option<Timestamp>)>> = Vec::new();
    for (ci, chain) in chains.iter().enumerate() {
        for (di, d) in chain.digests.iter().enumerate() {
            by_path.insert(d.path.as_str(), (ci, di));
            by_base
                .entry(base_name(&d.path))
                .or_default()
                .push((ci, di));
        }
        times.push(
            chain
                .digests
                .iter()
                .map(|d| (d.start.as_deref().and_then(parse_time), parse_time(&d.end)))
                .collect(),
        );
    }
    let chain_index: HashMap<&str, usize> = chains
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();

    let candidates = |item: &Item| -> Vec<usize> {
        if let Some(ci) = item.chain.as_deref().and_then(|c| chain_index.get(c)) {
            return vec![*ci];
        }
        match aws_log_name(&item.path) {
            Some((account, region, _)) => chains
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.provider == Provider::Aws && c.account == account && c.region == region
                })
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        }
    };
    let by_name = |name: &str, within: &[usize]| -> Option<(usize, usize)> {
        let found = by_base.get(name)?;
        found
            .iter()
            .find(|(ci, _)| within.is_empty() || within.contains(ci))
            .copied()
    };
    let by_time = |t: Timestamp, within: &[usize]| -> Option<(usize, usize)> {
        // Regular chains before backfill ones: a backfill digest re-lists old hours.
        let mut order = within.to_vec();
        order.sort_by_key(|&ci| chains.get(ci).is_some_and(|c| c.backfill));
        order.into_iter().find_map(|ci| {
            let cells = times.get(ci)?;
            let di = cells.partition_point(|(_, end)| end.is_some_and(|e| e <= t));
            let (start, end) = cells.get(di)?;
            (end.is_some_and(|e| t < e) && start.is_none_or(|s| s <= t)).then_some((ci, di))
        })
    };

    let mut of_item = Vec::with_capacity(report.items.len());
    for item in &report.items {
        let within = candidates(item);
        let found = match item.kind {
            ItemKind::Digest => by_path
                .get(item.path.as_str())
                .or_else(|| item.key.as_deref().and_then(|k| by_path.get(k)))
                .copied()
                .or_else(|| by_name(base_name(&item.path), &within)),
            ItemKind::Sidecar => {
                let name = base_name(&item.path);
                name.strip_suffix(".head-object.json")
                    .or_else(|| name.strip_suffix(".metadata.json"))
                    .and_then(|d| by_name(d, &within))
            }
            ItemKind::Log => item
                .proof
                .as_ref()
                .and_then(|p| p.digest.as_deref())
                .and_then(|d| by_path.get(d).copied())
                .or_else(|| digests_named(&item.message).find_map(|n| by_name(n, &within)))
                .or_else(|| {
                    let (_, _, t) = aws_log_name(&item.path)?;
                    by_time(t, &within)
                }),
            _ => None,
        };
        of_item.push(found);
    }

    let mut cells: Vec<Vec<Cell>> = chains
        .iter()
        .map(|c| {
            c.digests
                .iter()
                .map(|d| Cell {
                    items: Vec::new(),
                    worst: Some(d.status),
                })
                .collect()
        })
        .collect();
    for (i, found) in of_item.iter().enumerate() {
        let Some(cell) = found.and_then(|(ci, di)| cells.get_mut(ci)?.get_mut(di)) else {
            continue;
        };
        cell.items.push(i);
        let status = report.items[i].status;
        if cell.worst.is_none_or(|w| severity(status) > severity(w)) {
            cell.worst = Some(status);
        }
    }
    Cells { cells, of_item }
}

/// `2024-05-01T00:00:00Z → 2024-05-01T01:00:00Z` as `2024-05-01 00:00 – 01:00 UTC`.
pub fn hour_label(start: Option<&str>, end: &str) -> String {
    let fmt = |s: &str| -> String {
        parse_time(s)
            .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| s.to_owned())
    };
    let end_f = fmt(end);
    match start {
        Some(s) => {
            let start_f = fmt(s);
            // Same day: the end needs only its time.
            let end_short = match (start_f.split_once(' '), end_f.split_once(' ')) {
                (Some((d1, _)), Some((d2, t2))) if d1 == d2 => t2.to_owned(),
                _ => end_f.clone(),
            };
            format!("{start_f} – {end_short} UTC")
        }
        None => format!("until {end_f} UTC"),
    }
}

/// What a strip cell's tooltip says: the hour, the worst status and each problem.
pub fn cell_text(report: &Report, chain: &ChainSummary, di: usize, cell: &Cell) -> String {
    let Some(d) = chain.digests.get(di) else {
        return String::new();
    };
    let hour = hour_label(d.start.as_deref(), &d.end);
    let worst = cell.worst.unwrap_or(d.status);
    if worst == Status::Valid {
        let logs = cell
            .items
            .iter()
            .filter(|&&i| {
                report
                    .items
                    .get(i)
                    .is_some_and(|it| it.kind == ItemKind::Log)
            })
            .count();
        return format!(
            "{hour}: valid (digest and {} listed log {})",
            count(logs as u64),
            if logs == 1 { "file" } else { "files" }
        );
    }
    let mut problems: Vec<String> = groups_of(report, cell.items.iter().copied())
        .into_iter()
        .map(|g| format!("{} ({})", g.title, g.files))
        .collect();
    if problems.is_empty() {
        // The digest's own cell status, with no item behind it.
        problems.push(format!("digest {}", agree(cause(d.reason).what, 1)));
    }
    format!("{hour}: {} — {}", worst.as_str(), problems.join("; "))
}

/// A guidance banner: what to drop so that more can be verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Banner {
    /// Stable id for the DOM and tests.
    pub id: &'static str,
    /// The headline.
    pub title: String,
    /// What to do, for people.
    pub body: String,
    /// Commands whose output is the file to drop (copyable).
    pub commands: Vec<String>,
    /// The files concerned (first few and how many more).
    pub files: String,
}

/// The guidance banners: one for missing public keys, one for missing signature metadata,
/// instead of one row each. The commands are [`guide::missing`]'s, so the Verification tab and
/// the "What is missing" list never disagree on what to run.
pub fn banners(report: &Report) -> Vec<Banner> {
    let missing = guide::missing(report, &[]);
    let digests = |reason: Reason| -> Vec<&Item> {
        report
            .items
            .iter()
            .filter(|i| i.kind == ItemKind::Digest && i.reason == Some(reason))
            .collect()
    };
    let commands = |wanted: fn(&Missing) -> bool| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for cmd in missing
            .iter()
            .filter(|m| wanted(m))
            .filter_map(Missing::command)
        {
            if !out.contains(&cmd) {
                out.push(cmd);
            }
        }
        out
    };
    let has = |wanted: fn(&Missing) -> bool| missing.iter().any(wanted);
    let mut out = Vec::new();

    let keyless = digests(Reason::KeyNotFound);
    if !keyless.is_empty() {
        let mut body = String::new();
        if has(|m| matches!(m, Missing::PublicKeys { .. })) {
            body.push_str("CloudTrail: save the output of the command below (the trail's public keys for that time) as a .json file and drop it here with the other files. ");
        }
        if has(|m| matches!(m, Missing::CtsKey { .. })) {
            body.push_str("Huawei CTS: these digests name a key other than the published CTS key built into Trailproof; download the CTS public key that Huawei Cloud publishes for trace-file verification (a PEM file) and drop it here with the other files. ");
        }
        body.push_str("The digests are checked again with the files already dropped.");
        out.push(Banner {
            id: "banner-keys",
            title: format!(
                "A public key is needed: {} {} cannot be checked",
                count(keyless.len() as u64),
                noun(Some(ItemKind::Digest), keyless.len())
            ),
            body,
            commands: commands(|m| matches!(m, Missing::PublicKeys { .. })),
            files: name_list(keyless.iter().map(|i| base_name(&i.path)), 3),
        });
    }

    let unsigned = digests(Reason::SignatureUnavailable);
    if !unsigned.is_empty() {
        let is_cloudtrail = |m: &Missing| matches!(m, Missing::Signature { provider, .. } if *provider != Provider::Cts);
        let is_cts = |m: &Missing| {
            matches!(
                m,
                Missing::Signature {
                    provider: Provider::Cts,
                    ..
                }
            )
        };
        let mut body = String::from("Older digests are signed through the next digest; the newest digest of each chain carries its signature only in its storage metadata. ");
        if has(is_cloudtrail) {
            body.push_str("CloudTrail: for each digest below, save the output of `aws s3api head-object` as <digest name>.head-object.json and drop it here with the other files. ");
        }
        if has(is_cts) {
            body.push_str("Huawei CTS: save the digest object's metadata (with its meta-signature) from OBS as <digest name>.metadata.json and drop it here with the other files. ");
        }
        out.push(Banner {
            id: "banner-sidecars",
            title: format!(
                "Signature metadata is needed: {} {} cannot be checked",
                count(unsigned.len() as u64),
                noun(Some(ItemKind::Digest), unsigned.len())
            ),
            body: body.trim_end().to_owned(),
            commands: commands(|m| matches!(m, Missing::Signature { .. })),
            files: name_list(unsigned.iter().map(|i| base_name(&i.path)), 3),
        });
    }
    out
}

#[cfg(test)]
mod tests;
