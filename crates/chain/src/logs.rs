//! Judging log and trace files: against the digests that list them, and, for files no
//! digest lists, against the digests that cover the time they were delivered.
//!
//! Two rules keep blame where the evidence puts it:
//! - only a digest whose signature verified can make a log invalid (a hash recorded by an
//!   unverified digest proves nothing, so a log it lists is `unverifiable`, naming it);
//! - a log no digest lists is `invalid/not-listed` only when verified digests of its own
//!   account and region (CTS: region and service) span its whole delivery interval
//!   ([`crate::coverage`]); otherwise it is `unreferenced`, with the reason why.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use trailproof_core::report::{Item, ItemKind, Proof, Provider, Reason, Status};

use crate::coverage::{trail_root, Basis, Coverage, Delivery, Judgement, Scope, RECORD_SLACK_SECS};
use crate::error::Error;
use crate::names::{
    aws_log_scope, aws_log_time, base_name, cts_trace_name_parts, cts_trace_service_folder,
    fmt_iso, is_aws_insight_name, log_match_name,
};
use crate::scan::LogFacts;

/// The MD5 caveat shown on CTS results (CTS hashes with MD5; see `docs/digests.md`).
pub(crate) const MD5_NOTE: &str = "Huawei CTS protects files with MD5, which is weak against deliberate collisions; a match is strong evidence against accidental change, weaker against a determined forger";

/// A log or trace file among the inputs.
pub(crate) struct LocalLog {
    pub(crate) path: String,
    pub(crate) provider: Provider,
    pub(crate) facts: Result<LogFacts, Error>,
    pub(crate) warnings: Vec<String>,
}

/// How far a listing digest can be trusted.
#[derive(Clone, Debug)]
pub(crate) enum Trust {
    /// Its signature verified with the key of this fingerprint.
    Verified { key: String },
    /// It could not be verified: the reason its logs inherit, and why in words.
    Untrusted { reason: Reason, why: String },
}

/// One digest's entry for one log.
pub(crate) struct Claim {
    pub(crate) object: String,
    pub(crate) hash: String,
    pub(crate) provider: Provider,
    pub(crate) trust: Trust,
    /// The listing digest's item path.
    pub(crate) digest: String,
    pub(crate) chain: String,
}

impl Claim {
    fn trusted(&self) -> bool {
        matches!(self.trust, Trust::Verified { .. })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// The local path ends with the recorded key (or agrees from `AWSLogs/`/`CloudTraces/` on).
    Matches,
    /// Only the file name matches: a flat folder, so the location cannot be checked.
    NameOnly,
    /// The file is somewhere its recorded key says it is not.
    Moved,
}

pub(crate) fn location(path: &str, object: &str) -> Location {
    if path == object || path.ends_with(&format!("/{object}")) {
        return Location::Matches;
    }
    for anchor in ["AWSLogs/", "CloudTraces/"] {
        if let (Some(a), Some(b)) = (path.find(anchor), object.find(anchor)) {
            // A copy synced without the bucket prefix still agrees from the anchor on.
            return if path[a..] == object[b..] {
                Location::Matches
            } else {
                Location::Moved
            };
        }
    }
    if base_name(path) == base_name(object) {
        Location::NameOnly
    } else {
        Location::Moved
    }
}

/// The name a log is matched by: for CloudTrail, `.gz` dropped (content is what is hashed,
/// so an uncompressed copy still verifies); for CTS the exact name (stored bytes are hashed).
pub(crate) fn match_name(provider: Provider, path: &str) -> &str {
    match provider {
        Provider::Aws => log_match_name(path),
        _ => base_name(path),
    }
}

/// Judges every log: listed ones against their listing, the rest by coverage.
pub(crate) fn resolve_logs(
    logs: &[LocalLog],
    claims: Vec<Claim>,
    coverage: &Coverage,
    items: &mut Vec<Item>,
) {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in logs.iter().enumerate() {
        by_name
            .entry(match_name(l.provider, &l.path))
            .or_default()
            .push(i);
    }
    let mut listed = vec![false; logs.len()];
    let mut grouped: BTreeMap<(String, Provider), Vec<Claim>> = BTreeMap::new();
    for c in claims {
        grouped
            .entry((c.object.clone(), c.provider))
            .or_default()
            .push(c);
    }
    for ((object, provider), cs) in grouped {
        // The best-authenticated listing decides.
        let Some(claim) = cs.iter().find(|c| c.trusted()).or(cs.first()) else {
            continue;
        };
        let candidates: Vec<usize> = by_name
            .get(match_name(provider, &object))
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&i| logs[i].provider == provider)
                    .collect()
            })
            .unwrap_or_default();
        if candidates.is_empty() {
            items.push(missing_item(&object, claim));
            continue;
        }
        // Every file under a listed name answers to the listing: an identical copy is as
        // good as the original, a different file under that name is not it.
        for i in candidates {
            listed[i] = true;
            items.push(listed_item(&logs[i], &object, claim));
        }
    }
    for (i, l) in logs.iter().enumerate() {
        if !listed[i] {
            items.push(unlisted_item(l, coverage));
        }
    }
}

fn missing_item(object: &str, claim: &Claim) -> Item {
    let digest_name = base_name(&claim.digest);
    let mut item = match &claim.trust {
        Trust::Verified { .. } => Item::new(
            object,
            ItemKind::Log,
            Status::Missing,
            Some(Reason::NotFound),
            format!("listed in digest {digest_name} but not among the inputs: it was deleted or not exported"),
        ),
        // An unverified listing does not prove the file ever existed.
        Trust::Untrusted { reason, why } => Item::new(
            object,
            ItemKind::Log,
            Status::Unverifiable,
            Some(*reason),
            format!("listed in digest {digest_name}, which cannot be trusted ({why}), and not among the inputs: if that listing is authentic, the file was deleted or not exported"),
        ),
    };
    item.chain = Some(claim.chain.clone());
    item
}

fn listed_item(local: &LocalLog, object: &str, claim: &Claim) -> Item {
    let provider = claim.provider;
    let digest_name = base_name(&claim.digest);
    let mut notes = local.warnings.clone();
    match location(&local.path, object) {
        Location::Matches => {}
        Location::NameOnly => notes.push(format!("matched to {object} by file name only")),
        Location::Moved => notes.push(format!(
            "found at a different path than the digest records ({object})"
        )),
    }
    if provider == Provider::Cts {
        notes.push(MD5_NOTE.into());
    }
    let what = if provider == Provider::Aws {
        "SHA-256 of its content"
    } else {
        "MD5 of its stored bytes"
    };
    let mut proof = None;
    let (status, reason, message) = match (&local.facts, &claim.trust) {
        (Err(e), _) => (
            Status::Invalid,
            Some(Reason::Malformed),
            format!("cannot be read: {e}"),
        ),
        (Ok(f), Trust::Untrusted { reason, why }) => {
            if let Some(at) = f.trailing_at {
                notes.push(format!("unexpected data after the end of the compressed stream (byte {at})"));
            }
            let hash = if f.hash.eq_ignore_ascii_case(&claim.hash) {
                "its hash matches that digest's record".to_owned()
            } else {
                format!(
                    "that digest records {} and the file's {what} is {}",
                    claim.hash, f.hash
                )
            };
            (
                Status::Unverifiable,
                Some(*reason),
                format!("listed by digest {digest_name}, which cannot be trusted ({why}): {hash}, which proves nothing until that digest verifies; the digest is what to examine"),
            )
        }
        (Ok(f), Trust::Verified { .. }) if !f.hash.eq_ignore_ascii_case(&claim.hash) => (
            Status::Invalid,
            Some(Reason::HashMismatch),
            format!(
                "{what} is {} but digest {digest_name} records {}: the file was changed after delivery",
                f.hash, claim.hash
            ),
        ),
        (
            Ok(LogFacts {
                trailing_at: Some(at),
                ..
            }),
            Trust::Verified { .. },
        ) => (
            Status::Invalid,
            Some(Reason::TrailingData),
            format!("unexpected data after the end of the compressed stream (byte {at}): something was appended to the file"),
        ),
        (Ok(_), Trust::Verified { key }) => {
            proof = Some(Proof {
                digest: Some(claim.digest.clone()),
                key: Some(key.clone()),
                checkpoint: None,
            });
            (
                Status::Valid,
                None,
                format!("hash matches digest {digest_name}, signed with key {key}"),
            )
        }
    };
    let mut item = Item::new(local.path.clone(), ItemKind::Log, status, reason, message);
    item.chain = Some(claim.chain.clone());
    if local.path != object {
        item.key = Some(object.to_owned());
    }
    item.notes = notes;
    item.proof = proof;
    item
}

const LAST_HOUR: &str = "no digest lists this file; that is normal for files delivered in the last hour, at or after the end of the newest supplied digest of its chain (the next digest will list them), but until then its content is not protected";

fn unlisted_item(l: &LocalLog, coverage: &Coverage) -> Item {
    let f = match &l.facts {
        Err(e) => {
            let mut item = Item::new(
                l.path.clone(),
                ItemKind::Log,
                Status::Invalid,
                Some(Reason::Malformed),
                format!("no digest lists this file and it cannot be read: {e}"),
            );
            item.notes = l.warnings.clone();
            return item;
        }
        Ok(f) => f,
    };
    let mut notes = l.warnings.clone();
    if let Some(at) = f.trailing_at {
        notes.push(format!(
            "unexpected data after the end of the compressed stream (byte {at}); CloudTrail never writes that"
        ));
    }
    // CloudTrail: the chain its name states decides; its records' chains only when no
    // digest of the named one was supplied (a prefixed or otherwise foreign name).
    let (stages, name_time) = match l.provider {
        Provider::Aws => aws_scopes(&l.path, f, &mut notes),
        _ => {
            let (scopes, time) = cts_scopes(&l.path, f);
            (vec![scopes], time)
        }
    };
    let unreferenced = |message: String| {
        Item::new(
            l.path.clone(),
            ItemKind::Log,
            Status::Unreferenced,
            Some(Reason::NotReferenced),
            message,
        )
    };
    let delivery = Delivery::of(name_time, f.records.newest);
    let mut item = if insights_alone(l.provider, &l.path, f) {
        unreferenced("no digest lists this CloudTrail Insights file; whether digests list Insights files is not documented, so it is not judged by its delivery time; its content is not protected".into())
    } else {
        let root = trail_root(&l.path);
        let mut judgement = Judgement::NoChain;
        for scopes in stages.iter().filter(|s| !s.is_empty()) {
            judgement = coverage.judge(scopes, root.as_deref(), delivery);
            if !matches!(judgement, Judgement::NoChain) {
                break;
            }
        }
        match judgement {
            Judgement::NotListed {
                digests,
                chain,
                scope,
            } => {
                let names: Vec<&str> = digests.iter().map(|d| base_name(d)).collect();
                let when = match delivery.map(|d| d.basis) {
                    Some(Basis::Name(t)) => format!("{} (from its name)", fmt_iso(t)),
                    Some(Basis::Records(t)) => format!(
                        "{} to {} minutes later (from its newest record; its name states no delivery time)",
                        fmt_iso(t),
                        RECORD_SLACK_SECS / 60
                    ),
                    None => String::new(),
                };
                let late = if l.provider == Provider::Aws {
                    ", or CloudTrail listed it late in a backfill digest that was not supplied (supply the trail's _backfill digests too)"
                } else {
                    ""
                };
                let mut item = Item::new(
                    l.path.clone(),
                    ItemKind::Log,
                    Status::Invalid,
                    Some(Reason::NotListed),
                    format!(
                        "a digest covering this time exists and does not list this file: {} (signature verified) covers {} at its delivery time {when}; the file was added or renamed after delivery{late}",
                        names.join(" and "),
                        scope.describe()
                    ),
                );
                item.chain = Some(chain);
                item
            }
            Judgement::Unverified { digest, chain } => {
                let mut item = unreferenced(format!(
                    "no digest lists this file; digest {} spans its delivery time but could not be verified (see its item), so whether it should list this file cannot be told; its content is not protected",
                    base_name(&digest)
                ));
                item.chain = Some(chain);
                item
            }
            Judgement::After | Judgement::NoChain => unreferenced(LAST_HOUR.into()),
            Judgement::OtherTrail { root: theirs } => unreferenced(format!(
                "no digest lists this file; the supplied digests of its account and region belong to the trail delivering under {theirs}, not to the one whose folder ({}) holds this file, so they do not speak for it; supply that trail's digests to verify it",
                root.as_deref().unwrap_or_default()
            )),
            Judgement::Before => unreferenced("no digest lists this file: it was delivered before the oldest supplied digest; supply the digests of that time to verify it".into()),
            Judgement::Gap => unreferenced(format!(
                "no digest lists this file, and no supplied digest of its chain covers its delivery time {}: digests were not produced then (logging or validation stopped) or not supplied; its content is not protected",
                delivery.map(|d| fmt_iso(d.lo)).unwrap_or_default()
            )),
            Judgement::NoTime => unreferenced("no digest lists this file, and neither its name nor its records tell when it was delivered; its content is not protected".into()),
        }
    };
    item.notes = notes;
    item
}

/// Whether an unlisted log is a CloudTrail Insights file, which is not judged by coverage.
pub(crate) fn insights_alone(provider: Provider, path: &str, f: &LogFacts) -> bool {
    provider == Provider::Aws && is_aws_insight_name(path) && f.records.insights_only
}

/// The scopes coverage tries for an unlisted log, stage by stage (the first stage with a
/// supplied chain decides): what [`unlisted_item`] judges it by, for the shard planner.
pub(crate) fn coverage_stages(provider: Provider, path: &str, f: &LogFacts) -> Vec<Vec<Scope>> {
    match provider {
        Provider::Aws => aws_scopes(path, f, &mut Vec::new()).0,
        _ => vec![cts_scopes(path, f).0],
    }
}

/// A CloudTrail log's scopes, in the order they are tried: its name's account and region,
/// then every (`recipientAccountId`, `awsRegion`) of its records. Also its name's delivery
/// time.
fn aws_scopes(
    path: &str,
    f: &LogFacts,
    notes: &mut Vec<String>,
) -> (Vec<Vec<Scope>>, Option<Timestamp>) {
    let records: Vec<Scope> = f
        .records
        .accounts
        .iter()
        .map(|(account, region)| Scope::Aws {
            account: account.clone(),
            region: region.clone(),
        })
        .collect();
    if let Some((account, region)) = aws_log_scope(path) {
        let named = Scope::Aws {
            account: account.to_owned(),
            region: region.to_owned(),
        };
        if !records.is_empty() && !records.contains(&named) {
            notes.push(format!(
                "its name says account {account}, region {region}, but its records belong to {}",
                records
                    .iter()
                    .map(Scope::describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        return (vec![vec![named], records], aws_log_time(path));
    }
    (vec![records], aws_log_time(path))
}

/// A CTS trace's possible scopes: its name's region with each service its records or its
/// folder name, and the region's service-less chain. Also its name's time.
fn cts_scopes(path: &str, f: &LogFacts) -> (Vec<Scope>, Option<Timestamp>) {
    let Some((region, time)) = cts_trace_name_parts(path) else {
        return (Vec::new(), None);
    };
    let mut services: Vec<String> = f.records.services.clone();
    if let Some(s) = cts_trace_service_folder(path) {
        services.push(s.to_owned());
    }
    services.sort();
    services.dedup();
    let mut scopes: Vec<Scope> = services
        .into_iter()
        .map(|s| Scope::Cts {
            region: region.to_owned(),
            service: Some(s),
        })
        .collect();
    scopes.push(Scope::Cts {
        region: region.to_owned(),
        service: None,
    });
    (scopes, Some(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        let k = "AWSLogs/1/CloudTrail-Digest/r/2024/05/01/a.json.gz";
        assert_eq!(location(k, k), Location::Matches);
        assert_eq!(
            location(&format!("bucket/prefix/{k}"), k),
            Location::Matches
        );
        assert_eq!(
            location(&format!("copy/{k}"), &format!("prefix/{k}")),
            Location::Matches
        );
        assert_eq!(location("flat/a.json.gz", k), Location::NameOnly);
        assert_eq!(
            location("AWSLogs/1/CloudTrail-Digest/r/2024/05/02/a.json.gz", k),
            Location::Moved
        );
        assert_eq!(location("flat/b.json.gz", k), Location::Moved);
    }
}
