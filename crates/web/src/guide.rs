//! The "What to drop" guide: what to export from each cloud for verification and for
//! exploration, and, after a load, what is missing from the input set.
//!
//! One table ([`GUIDES`]) feeds the landing page and is mirrored by `docs/exporting.md`; the
//! commands in it are the providers' documented CLI calls (sources in that document).
//! [`missing`] is a pure function of the verification report and the events per provider, so
//! it is tested natively and the page only renders its result.

use trailproof_core::report::{ChainSummary, Item, ItemKind, Provider, Reason, Report, Status};

/// One thing to export, with the command that exports it when there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// What it is and why it is needed, for people.
    pub what: &'static str,
    /// A shell command to copy (placeholders in capitals), or `None`.
    pub command: Option<&'static str>,
}

/// What to export from one provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderGuide {
    /// The provider's name in events and queries (`aws`, `huawei`, ...): the key the load
    /// summary's per-provider counts use.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// What protects its records, in a few words.
    pub protection: &'static str,
    /// What a verification needs.
    pub verify: &'static [Step],
    /// What is enough for exploring the events (search, timeline, findings).
    pub explore: &'static [Step],
}

/// Sealing an export at collection time, for providers without signed digests: a
/// `trailproof keygen` key names the log; `trailproof seal` writes a signed archive whose
/// checkpoints a later verification checks (`trailproof verify --vkey`).
pub static SEAL: [Step; 2] = [
    Step {
        what: "Once: create the collector's signing key (keep the .key file secret; give the printed verifier key to whoever verifies).",
        command: Some("trailproof keygen --name audit.example.com/acme/prod > verifier.vkey"),
    },
    Step {
        what: "At collection: seal the export into a signed archive, and drop the archive with the verifier key later.",
        command: Some("trailproof seal --key audit.example.com_acme_prod.key -o export-sealed.zip ./export"),
    },
];

/// The guide, one entry per provider, in the order the page shows them.
pub static GUIDES: [ProviderGuide; 5] = [
    ProviderGuide {
        id: "aws",
        name: "AWS CloudTrail",
        protection: "Signed hourly digest files (log file integrity validation must be on for the trail).",
        verify: &[
            Step {
                what: "The trail's log files and its digest files (CloudTrail-Digest/), from the trail's bucket and key prefix.",
                command: Some("aws s3 sync s3://BUCKET/PREFIX/AWSLogs/ ./export/AWSLogs/"),
            },
            Step {
                what: "The public keys that signed the digests, for the time the export covers, in the trail's home region.",
                command: Some("aws cloudtrail list-public-keys --region REGION --start-time 2024-05-01T00:00:00Z --end-time 2024-06-01T00:00:00Z > list-public-keys.json"),
            },
            Step {
                what: "The signature of the newest digest of each chain: it is only in the digest's S3 object metadata (older digests are vouched for by the digest after them). Run in ./export for each newest digest key.",
                command: Some("for k in DIGEST_KEY ...; do aws s3api head-object --bucket BUCKET --key \"$k\" > \"$(basename \"$k\").head-object.json\"; done"),
            },
        ],
        explore: &[Step {
            what: "The log files alone (AWSLogs/<account>/CloudTrail/), or lookup-events output, or a console CSV export; events load but are not verified.",
            command: Some("aws s3 sync s3://BUCKET/PREFIX/AWSLogs/ ./export/AWSLogs/ --exclude \"*CloudTrail-Digest/*\""),
        }],
    },
    ProviderGuide {
        id: "huawei",
        name: "Huawei Cloud CTS",
        protection: "Signed hourly digest files (trace file verification must be on for the tracker); the published CTS public key is built into Trailproof.",
        verify: &[
            Step {
                what: "The tracker's trace files and digest files (CloudTraces/ with its Digest/ folders), from the OBS bucket and prefix.",
                command: Some("obsutil cp obs://BUCKET/PREFIX/CloudTraces ./export -r -f"),
            },
            Step {
                what: "The signature of the newest digest of each chain, from its OBS object metadata (S3-compatible API; older digests are vouched for by their successors).",
                command: Some("aws s3api head-object --endpoint-url https://obs.REGION.myhuaweicloud.com --bucket BUCKET --key DIGEST_KEY > DIGEST_FILE_NAME.metadata.json"),
            },
            Step {
                what: "No key file: the published CTS public key is built in.",
                command: None,
            },
        ],
        explore: &[Step {
            what: "The trace files alone (the same download; the Digest/ folders do no harm), or ListTraces output; events load but are not verified.",
            command: Some("obsutil cp obs://BUCKET/PREFIX/CloudTraces ./export -r -f"),
        }],
    },
    ProviderGuide {
        id: "alibaba",
        name: "Alibaba Cloud ActionTrail",
        protection: "None: no signed digests. Seal exports at collection time to verify them later.",
        verify: &[Step {
            what: "Download the trail's OSS deliveries (AliyunLogs/), then seal them with trailproof seal (below).",
            command: Some("ossutil cp -r oss://BUCKET/PREFIX/AliyunLogs/ ./export/"),
        }],
        explore: &[Step {
            what: "The OSS deliveries, LookupEvents output, or an SLS export.",
            command: Some("ossutil cp -r oss://BUCKET/PREFIX/AliyunLogs/ ./export/"),
        }],
    },
    ProviderGuide {
        id: "gcp",
        name: "GCP Cloud Audit Logs",
        protection: "None: no signed digests. Seal exports at collection time to verify them later.",
        verify: &[Step {
            what: "Read the audit logs as JSON (or copy a Cloud Storage sink's files), then seal them with trailproof seal (below).",
            command: Some("gcloud logging read 'logName:\"cloudaudit.googleapis.com\"' --project=PROJECT_ID --freshness=30d --format=json > audit.json"),
        }],
        explore: &[Step {
            what: "A Cloud Storage log sink's files (cloudaudit.googleapis.com/...), or the gcloud logging read output above.",
            command: Some("gcloud storage cp -r gs://SINK_BUCKET/cloudaudit.googleapis.com ./export/"),
        }],
    },
    ProviderGuide {
        id: "azure",
        name: "Azure Activity Log",
        protection: "None: no signed digests. Seal exports at collection time to verify them later.",
        verify: &[Step {
            what: "List the activity log as JSON (up to 90 days back), then seal it with trailproof seal (below).",
            command: Some("az monitor activity-log list --start-time 2024-05-01T00:00:00Z --end-time 2024-06-01T00:00:00Z --max-events 100000 > activity.json"),
        }],
        explore: &[Step {
            what: "A diagnostic setting's blobs in its storage account (container insights-activity-logs, PT1H.json files), or the list output above.",
            command: Some("az storage blob download-batch --account-name ACCOUNT --source insights-activity-logs --destination ./export"),
        }],
    },
];

/// The guide entry for a provider id (`aws`, `huawei`, ...).
pub fn guide(id: &str) -> Option<&'static ProviderGuide> {
    GUIDES.iter().find(|g| g.id == id)
}

/// One thing this input set lacks, with what to drop to fill it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missing {
    /// CloudTrail digests whose signing key was not supplied.
    PublicKeys {
        /// Region to ask (the trail's home region, as the verifier names it).
        region: String,
        /// Earliest start of the digests concerned (ISO-8601).
        start: String,
        /// Latest end of the digests concerned (ISO-8601).
        end: String,
        /// Digests that cannot be checked for it.
        digests: usize,
    },
    /// CTS digests without a usable key (the built-in key was not used).
    CtsKey {
        /// Digests that cannot be checked for it.
        digests: usize,
    },
    /// A digest whose signature is neither in a sidecar nor recorded by a successor.
    Signature {
        /// Which scheme.
        provider: Provider,
        /// The chain, for people (`account region trail`).
        chain: String,
        /// The digest's object key in its bucket.
        key: String,
        /// The digest's file name (the sidecar is named after it).
        file: String,
        /// The region of the chain (CTS: the OBS endpoint's).
        region: String,
        /// The bucket, when the verifier's message names it (otherwise the command says
        /// `BUCKET`).
        bucket: Option<String>,
        /// Whether it is the newest supplied digest of its chain (otherwise the last before a
        /// break, or one with several candidate sidecars elsewhere).
        newest: bool,
    },
    /// Log files of a scheme with digests, but no digest of that scheme at all.
    Digests {
        /// Which scheme.
        provider: Provider,
        /// Log files no digest lists.
        logs: usize,
    },
    /// Events of a provider with digests, but none from its delivered log files (lookup or
    /// console exports), so nothing can be verified.
    LogFiles {
        /// Provider id (`aws` or `huawei`).
        provider: &'static str,
        /// Its events.
        events: u64,
    },
    /// Events of a provider that has no integrity mechanism.
    Unprotected {
        /// Provider id (`alibaba`, `gcp`, `azure`, `generic`).
        provider: String,
        /// Its events.
        events: u64,
        /// Whether a sealed archive is among the inputs (some of these events may be in it).
        sealed_present: bool,
    },
}

impl Missing {
    /// What is missing, for people.
    pub fn text(&self) -> String {
        match self {
            Missing::PublicKeys {
                region,
                digests,
                ..
            } => format!(
                "CloudTrail digests found but not their public keys ({digests} digest{} in {region} cannot be checked): drop the output of `aws cloudtrail list-public-keys` for that region and time.",
                plural(*digests)
            ),
            Missing::CtsKey { digests } => format!(
                "{digests} CTS digest{} could not be checked with the published CTS key: drop the CTS public key file.",
                plural(*digests)
            ),
            Missing::Signature { provider, chain, key, newest, .. } => format!(
                "{} of {} chain {chain} has no signature metadata (nothing later records its signature): export it for key {key} and drop it beside the digest.",
                if *newest { "The newest digest" } else { "A digest" },
                scheme(*provider)
            ),
            Missing::Digests { provider: Provider::Cts, logs } => format!(
                "CTS trace files ({logs}) but no digest files: download the tracker's Digest/ folders too."
            ),
            Missing::Digests { logs, .. } => format!(
                "CloudTrail log files ({logs}) but no digest files: sync the CloudTrail-Digest/ prefix too (log file validation must be on for the trail)."
            ),
            Missing::LogFiles { provider, events } => format!(
                "{} {} events, but none from the trail's delivered log files, so none can be verified: export the log files and digests instead.",
                count(*events),
                display_name(provider)
            ),
            Missing::Unprotected { provider, events, sealed_present } => {
                let name = display_name(provider);
                if *sealed_present {
                    format!("{name} events outside the sealed archive have no integrity protection: seal exports at collection time.")
                } else {
                    format!(
                        "{} {name} events have no integrity protection: seal exports at collection time so they can be verified later.",
                        count(*events)
                    )
                }
            }
        }
    }

    /// The command that fills the gap, filled in where the report says enough; capitals are
    /// placeholders for what only the user knows (the bucket).
    pub fn command(&self) -> Option<String> {
        match self {
            Missing::PublicKeys { region, start, end, .. } => Some(format!(
                "aws cloudtrail list-public-keys --region {region} --start-time {start} --end-time {end} > list-public-keys-{region}.json"
            )),
            Missing::CtsKey { .. } => None,
            Missing::Signature { provider: Provider::Cts, key, file, region, bucket, .. } => Some(format!(
                "aws s3api head-object --endpoint-url https://obs.{region}.myhuaweicloud.com --bucket {} --key {key} > {file}.metadata.json",
                bucket.as_deref().unwrap_or("BUCKET")
            )),
            Missing::Signature { key, file, bucket, .. } => Some(format!(
                "aws s3api head-object --bucket {} --key {key} > {file}.head-object.json",
                bucket.as_deref().unwrap_or("BUCKET")
            )),
            Missing::Digests { provider: Provider::Cts, .. } => guide("huawei").and_then(|g| g.verify[0].command).map(str::to_owned),
            Missing::Digests { .. } => guide("aws").and_then(|g| g.verify[0].command).map(str::to_owned),
            Missing::LogFiles { provider, .. } => guide(provider).and_then(|g| g.verify[0].command).map(str::to_owned),
            Missing::Unprotected { .. } => SEAL[1].command.map(str::to_owned),
        }
    }
}

/// The bucket of the `--bucket` argument in a command the verifier's message quotes (between
/// backticks), if any: the report carries no bucket field, but the verifier knows it.
fn bucket_named(message: &str) -> Option<String> {
    let command = message
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|s| s.contains("--bucket "))?;
    let bucket = command
        .split("--bucket ")
        .nth(1)?
        .split_whitespace()
        .next()?;
    (!bucket.is_empty()).then(|| bucket.to_owned())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn scheme(p: Provider) -> &'static str {
    match p {
        Provider::Cts => "CTS",
        _ => "CloudTrail",
    }
}

fn display_name(id: &str) -> &str {
    match id {
        "generic" => "Generic JSON",
        _ => guide(id).map_or(id, |g| g.name),
    }
}

/// A count with thousands separators (the views' helper is wasm-only).
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The scheme a log item belongs to, from its documented file name (`_CloudTrail_` /
/// `_CloudTrace_`), when the item names no chain.
fn log_scheme(item: &Item, chains: &[ChainSummary]) -> Option<Provider> {
    if let Some(c) = item
        .chain
        .as_ref()
        .and_then(|id| chains.iter().find(|c| &c.id == id))
    {
        return Some(c.provider);
    }
    let name = item.path.rsplit('/').next().unwrap_or(&item.path);
    if name.contains("_CloudTrail_") {
        Some(Provider::Aws)
    } else if name.contains("_CloudTrace_") {
        Some(Provider::Cts)
    } else {
        None
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// What this input set lacks for a full verification, most actionable first: missing keys,
/// missing signature metadata of newest digests, missing digests, events that could have
/// been verified but came from lookups, and events no mechanism protects. `providers` is the
/// load summary's events per provider. Empty when nothing is missing.
pub fn missing(report: &Report, providers: &[(String, u64)]) -> Vec<Missing> {
    let chain_of = |item: &Item| {
        item.chain
            .as_ref()
            .and_then(|id| report.chains.iter().find(|c| &c.id == id))
    };
    let digests = || {
        report
            .items
            .iter()
            .filter(|i| i.kind == ItemKind::Digest && i.status == Status::Unverifiable)
    };
    let mut out = Vec::new();

    // Keys: one line per region, spanning every digest that lacks its key.
    let mut regions: Vec<(String, String, String, usize)> = Vec::new();
    let mut cts_keyless = 0;
    for item in digests().filter(|i| i.reason == Some(Reason::KeyNotFound)) {
        let Some(chain) = chain_of(item) else {
            continue;
        };
        if chain.provider == Provider::Cts {
            cts_keyless += 1;
            continue;
        }
        let region = chain
            .home_region
            .clone()
            .unwrap_or_else(|| chain.region.clone());
        let cell = chain.digests.iter().find(|d| d.path == item.path);
        let end = cell.map(|d| d.end.clone()).unwrap_or_default();
        let start = cell
            .and_then(|d| d.start.clone())
            .unwrap_or_else(|| end.clone());
        match regions.iter_mut().find(|r| r.0 == region) {
            Some(r) => {
                if !start.is_empty() && (r.1.is_empty() || start < r.1) {
                    r.1 = start;
                }
                if end > r.2 {
                    r.2 = end;
                }
                r.3 += 1;
            }
            None => regions.push((region, start, end, 1)),
        }
    }
    regions.sort();
    out.extend(
        regions
            .into_iter()
            .map(|(region, start, end, digests)| Missing::PublicKeys {
                region,
                start,
                end,
                digests,
            }),
    );
    if cts_keyless > 0 {
        out.push(Missing::CtsKey {
            digests: cts_keyless,
        });
    }

    // Signatures: every digest whose signature is nowhere (the newest of a chain, or the
    // last before a break).
    for item in digests().filter(|i| i.reason == Some(Reason::SignatureUnavailable)) {
        let Some(chain) = chain_of(item) else {
            continue;
        };
        out.push(Missing::Signature {
            provider: chain.provider,
            chain: format!("{} {} {}", chain.account, chain.region, chain.trail),
            key: item.key.clone().unwrap_or_else(|| item.path.clone()),
            file: base_name(&item.path).to_owned(),
            region: chain.region.clone(),
            bucket: bucket_named(&item.message),
            newest: chain
                .digests
                .iter()
                .rev()
                .find(|d| d.status != Status::Missing)
                .is_some_and(|d| d.path == item.path),
        });
    }

    // Digests: log files of a scheme none of whose digests were supplied.
    for scheme in [Provider::Aws, Provider::Cts] {
        let has_chain = report.chains.iter().any(|c| c.provider == scheme);
        let logs = report
            .items
            .iter()
            .filter(|i| i.kind == ItemKind::Log && log_scheme(i, &report.chains) == Some(scheme))
            .count();
        if logs > 0 && !has_chain {
            out.push(Missing::Digests {
                provider: scheme,
                logs,
            });
        }
    }

    // Events of a scheme with digests but no log files of it: lookups or console exports.
    for (id, scheme) in [("aws", Provider::Aws), ("huawei", Provider::Cts)] {
        let events = providers.iter().find(|(p, _)| p == id).map_or(0, |p| p.1);
        let logs = report
            .items
            .iter()
            .any(|i| i.kind == ItemKind::Log && log_scheme(i, &report.chains) == Some(scheme));
        if events > 0 && !logs {
            out.push(Missing::LogFiles {
                provider: id,
                events,
            });
        }
    }

    // Providers without any mechanism. A sealed archive may hold (some of) their events;
    // when the coverage says no event is unprotected, it holds all of them.
    let sealed_present = report
        .chains
        .iter()
        .any(|c| c.provider == Provider::Archive)
        || report.items.iter().any(|i| i.kind == ItemKind::Manifest);
    let none_unprotected = report.coverage.is_some_and(|c| c.unprotected == 0);
    if !none_unprotected {
        for (id, events) in providers {
            if *events > 0 && !matches!(id.as_str(), "aws" | "huawei") {
                out.push(Missing::Unprotected {
                    provider: id.clone(),
                    events: *events,
                    sealed_present,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailproof_core::report::{Coverage, DigestCell};

    const AWS_DIGEST: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20240501T020000Z.json.gz";
    const AWS_LOG: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0105Z_AbCd.json.gz";
    const CTS_LOG: &str = "CloudTraces/cn-north-4/2024/5/1/system/ECS/p_CloudTrace_cn-north-4_2024-05-01T01-05-00Z_ab.json.gz";

    fn chain(id: &str, provider: Provider, digests: &[(&str, &str, &str)]) -> ChainSummary {
        ChainSummary {
            id: id.into(),
            provider,
            account: "111122223333".into(),
            region: "us-east-1".into(),
            trail: "main".into(),
            home_region: (provider == Provider::Aws).then(|| "us-west-2".into()),
            backfill: false,
            digests: digests
                .iter()
                .map(|(path, start, end)| DigestCell {
                    start: Some((*start).into()),
                    end: (*end).into(),
                    status: Status::Unverifiable,
                    reason: None,
                    path: (*path).into(),
                })
                .collect(),
            continues_before: None,
        }
    }

    fn digest(path: &str, chain: &str, reason: Reason) -> Item {
        let mut i = Item::new(
            path,
            ItemKind::Digest,
            Status::Unverifiable,
            Some(reason),
            "m",
        );
        i.chain = Some(chain.into());
        i
    }

    fn valid_digest(path: &str, chain: &str) -> Item {
        let mut i = Item::new(path, ItemKind::Digest, Status::Valid, None, "valid");
        i.chain = Some(chain.into());
        i
    }

    fn log(path: &str) -> Item {
        Item::new(
            path,
            ItemKind::Log,
            Status::Unreferenced,
            Some(Reason::NotReferenced),
            "m",
        )
    }

    fn report(items: Vec<Item>, chains: Vec<ChainSummary>) -> Report {
        Report::new(items, vec![], chains, vec![])
    }

    fn p(list: &[(&str, u64)]) -> Vec<(String, u64)> {
        list.iter().map(|(a, b)| ((*a).to_owned(), *b)).collect()
    }

    #[test]
    fn keys_missing_name_the_home_region_and_the_time_span() {
        let d2 = AWS_DIGEST.replace("020000Z", "030000Z");
        let r = report(
            vec![
                digest(AWS_DIGEST, "c1", Reason::KeyNotFound),
                digest(&d2, "c1", Reason::KeyNotFound),
                valid_digest("other", "c1"),
                log(AWS_LOG),
            ],
            vec![chain(
                "c1",
                Provider::Aws,
                &[
                    (AWS_DIGEST, "2024-05-01T01:00:00Z", "2024-05-01T02:00:00Z"),
                    (&d2, "2024-05-01T02:00:00Z", "2024-05-01T03:00:00Z"),
                ],
            )],
        );
        let m = missing(&r, &p(&[("aws", 10)]));
        assert_eq!(
            m,
            vec![Missing::PublicKeys {
                region: "us-west-2".into(),
                start: "2024-05-01T01:00:00Z".into(),
                end: "2024-05-01T03:00:00Z".into(),
                digests: 2,
            }]
        );
        assert_eq!(
            m[0].command().unwrap(),
            "aws cloudtrail list-public-keys --region us-west-2 --start-time 2024-05-01T01:00:00Z --end-time 2024-05-01T03:00:00Z > list-public-keys-us-west-2.json"
        );
        assert!(
            m[0].text().contains("2 digests in us-west-2"),
            "{}",
            m[0].text()
        );
    }

    #[test]
    fn unavailable_signatures_name_the_digest_key_and_sidecar_name() {
        let mut d = digest("export/x.json.gz", "c1", Reason::SignatureUnavailable);
        d.key = Some("logs/AWSLogs/x.json.gz".into());
        let mut cts = digest(
            "CloudTraces/Digest/d.json.gz",
            "c2",
            Reason::SignatureUnavailable,
        );
        cts.key = None;
        let r = report(
            vec![d, cts, log(AWS_LOG), log(CTS_LOG)],
            vec![
                chain("c1", Provider::Aws, &[]),
                chain(
                    "c2",
                    Provider::Cts,
                    &[(
                        "CloudTraces/Digest/d.json.gz",
                        "2024-05-01T00:00:00Z",
                        "2024-05-01T01:00:00Z",
                    )],
                ),
            ],
        );
        let m = missing(&r, &p(&[("aws", 1), ("huawei", 1)]));
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(
            m[0].command().unwrap(),
            "aws s3api head-object --bucket BUCKET --key logs/AWSLogs/x.json.gz > x.json.gz.head-object.json"
        );
        // Not the newest of its chain (the chain lists no cell for it): said without "newest".
        assert!(
            m[0].text()
                .starts_with("A digest of CloudTrail chain 111122223333 us-east-1 main"),
            "{}",
            m[0].text()
        );
        assert_eq!(
            m[1].command().unwrap(),
            "aws s3api head-object --endpoint-url https://obs.us-east-1.myhuaweicloud.com --bucket BUCKET --key CloudTraces/Digest/d.json.gz > d.json.gz.metadata.json"
        );
        assert!(m[1].text().starts_with("The newest digest of CTS chain"));
    }

    #[test]
    fn logs_without_digests_ask_for_the_digest_prefix() {
        let r = report(vec![log(AWS_LOG), log(AWS_LOG), log(CTS_LOG)], vec![]);
        let m = missing(&r, &p(&[("aws", 5), ("huawei", 2)]));
        assert_eq!(
            m,
            vec![
                Missing::Digests {
                    provider: Provider::Aws,
                    logs: 2
                },
                Missing::Digests {
                    provider: Provider::Cts,
                    logs: 1
                },
            ]
        );
        assert!(m[0].text().contains("CloudTrail-Digest/"));
        assert!(m[0]
            .command()
            .unwrap()
            .starts_with("aws s3 sync s3://BUCKET/"));
        assert!(m[1]
            .command()
            .unwrap()
            .starts_with("obsutil cp obs://BUCKET/"));
        // With a chain of the scheme, unlisted logs (e.g. after the newest digest) are not
        // a missing-digests case.
        let r = report(
            vec![valid_digest(AWS_DIGEST, "c1"), log(AWS_LOG)],
            vec![chain("c1", Provider::Aws, &[])],
        );
        assert_eq!(missing(&r, &p(&[("aws", 5)])), vec![]);
    }

    #[test]
    fn provider_events_without_log_files_cannot_be_verified() {
        let m = missing(&report(vec![], vec![]), &p(&[("aws", 1234)]));
        assert_eq!(
            m,
            vec![Missing::LogFiles {
                provider: "aws",
                events: 1234
            }]
        );
        assert!(m[0].text().starts_with("1,234 AWS CloudTrail events"));
    }

    #[test]
    fn unprotected_providers_are_told_to_seal() {
        let m = missing(
            &report(vec![], vec![]),
            &p(&[("alibaba", 47), ("gcp", 0), ("azure", 3)]),
        );
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(
            m[0].text(),
            "47 Alibaba Cloud ActionTrail events have no integrity protection: seal exports at collection time so they can be verified later."
        );
        assert!(m[0]
            .command()
            .unwrap()
            .starts_with("trailproof seal --key "));
        assert!(m[1].text().contains("Azure Activity Log"));

        // A sealed archive that covers every event leaves nothing unprotected.
        let mut sealed = report(
            vec![Item::new(
                "a/manifest",
                ItemKind::Manifest,
                Status::Valid,
                None,
                "ok",
            )],
            vec![],
        );
        sealed.coverage = Some(Coverage {
            events: 47,
            verified: 47,
            ..Coverage::default()
        });
        assert_eq!(missing(&sealed, &p(&[("alibaba", 47)])), vec![]);
        // ... and one that does not is named.
        sealed.coverage = Some(Coverage {
            events: 50,
            verified: 47,
            unprotected: 3,
            ..Coverage::default()
        });
        let m = missing(&sealed, &p(&[("alibaba", 50)]));
        assert!(m[0].text().contains("outside the sealed archive"), "{m:?}");
    }

    #[test]
    fn nothing_missing_for_a_verified_chain() {
        let r = report(
            vec![valid_digest(AWS_DIGEST, "c1"), {
                let mut l = log(AWS_LOG);
                l.status = Status::Valid;
                l.reason = None;
                l.chain = Some("c1".into());
                l
            }],
            vec![chain("c1", Provider::Aws, &[])],
        );
        assert_eq!(missing(&r, &p(&[("aws", 10)])), vec![]);
    }

    /// Every file of the bundled sample (`web/sample`), as paths relative to it, except those
    /// `drop` rejects.
    fn sample(drop: impl Fn(&str) -> bool) -> Vec<(String, Vec<u8>)> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    walk(&path, root, out);
                } else if path.extension().is_some_and(|e| e != "md") {
                    let name = path
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.push((name, std::fs::read(&path).unwrap()));
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/sample");
        let mut out = Vec::new();
        walk(&root, &root, &mut out);
        out.retain(|(name, _)| !drop(name));
        out
    }

    /// What the real engine (scan, verify, ingest) reports missing for these files.
    fn missing_after_load(files: &[(String, Vec<u8>)]) -> Vec<Missing> {
        use std::cell::RefCell;
        use std::io::Cursor;
        use std::rc::Rc;
        let mut cursors: Vec<Cursor<Vec<u8>>> =
            files.iter().map(|(_, b)| Cursor::new(b.clone())).collect();
        let mut inputs: Vec<crate::engine::Input<'_>> = files
            .iter()
            .zip(cursors.iter_mut())
            .map(|((name, bytes), c)| crate::engine::Input {
                name: name.clone(),
                source: c,
                size: bytes.len() as u64,
                reopen: Box::new(move || Ok(Box::new(Cursor::new(bytes.as_slice())))),
            })
            .collect();
        let progress: crate::engine::Progress =
            Rc::new(RefCell::new(|_: crate::engine::Tick<'_>| {}));
        let (_, summary) = crate::engine::Engine::load(&mut inputs, progress);
        missing(&summary.report, &summary.providers)
    }

    #[test]
    fn the_sample_lacks_only_protection_for_actiontrail() {
        let m = missing_after_load(&sample(|_| false));
        assert_eq!(
            m,
            vec![Missing::Unprotected {
                provider: "alibaba".into(),
                events: 47,
                sealed_present: false
            }]
        );
    }

    #[test]
    fn the_sample_without_keys_asks_for_list_public_keys() {
        let m = missing_after_load(&sample(|n| n.ends_with("aws-list-public-keys.json")));
        let Some(Missing::PublicKeys {
            region,
            start,
            end,
            digests,
        }) = m.first()
        else {
            panic!("{m:?}");
        };
        assert_eq!((region.as_str(), *digests), ("us-east-1", 3), "{m:?}");
        assert_eq!(
            (start.as_str(), end.as_str()),
            ("2024-05-01T00:00:00Z", "2024-05-01T03:00:00Z")
        );
    }

    #[test]
    fn the_sample_without_the_newest_sidecar_names_that_digest() {
        let newest = "111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T030000Z.json.gz";
        let m = missing_after_load(&sample(|n| {
            n.ends_with(&format!("{newest}.head-object.json"))
        }));
        let Some(Missing::Signature {
            provider,
            key,
            file,
            ..
        }) = m.first()
        else {
            panic!("{m:?}");
        };
        assert_eq!(*provider, Provider::Aws);
        assert_eq!(file, newest);
        // The verifier knows the bucket, so the command is ready to run.
        let command = m[0].command().expect("a command");
        assert!(!command.contains("BUCKET"), "{command}");
        assert!(
            command.starts_with("aws s3api head-object --bucket "),
            "{command}"
        );
        assert!(
            m[0].text()
                .starts_with("The newest digest of CloudTrail chain"),
            "{m:?}"
        );
        assert!(
            key.ends_with(&format!("CloudTrail-Digest/us-east-1/2024/05/01/{newest}")),
            "{key}"
        );
        // Only the newest: the older digests are vouched for by their successors.
        assert_eq!(
            m.iter()
                .filter(|x| matches!(x, Missing::Signature { .. }))
                .count(),
            1,
            "{m:?}"
        );
    }

    #[test]
    fn the_sample_without_digests_asks_for_the_digest_folders() {
        let m = missing_after_load(&sample(|n| {
            n.contains("CloudTrail-Digest") || n.contains("/Digest/")
        }));
        assert!(
            m.contains(&Missing::Digests {
                provider: Provider::Aws,
                logs: 2
            }),
            "{m:?}"
        );
        assert!(
            m.contains(&Missing::Digests {
                provider: Provider::Cts,
                logs: 1
            }),
            "{m:?}"
        );
    }

    #[test]
    fn docs_exporting_md_carries_every_command_of_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/exporting.md");
        let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let steps = GUIDES
            .iter()
            .flat_map(|g| g.verify.iter().chain(g.explore))
            .chain(&SEAL);
        for cmd in steps.filter_map(|s| s.command) {
            assert!(doc.contains(cmd), "docs/exporting.md lacks `{cmd}`");
        }
        for g in &GUIDES {
            assert!(
                doc.contains(&format!("## {}", g.name)),
                "no section for {}",
                g.name
            );
        }
    }

    #[test]
    fn the_table_covers_every_provider_with_commands() {
        let ids: Vec<_> = GUIDES.iter().map(|g| g.id).collect();
        assert_eq!(ids, ["aws", "huawei", "alibaba", "gcp", "azure"]);
        for g in &GUIDES {
            assert!(!g.verify.is_empty() && !g.explore.is_empty(), "{}", g.id);
            assert!(
                g.verify
                    .iter()
                    .chain(g.explore)
                    .any(|s| s.command.is_some()),
                "{}",
                g.id
            );
            // Every id is a provider name the event model knows.
            assert!(
                trailproof_events::model::Provider::parse(g.id).is_some(),
                "{}",
                g.id
            );
        }
    }
}
