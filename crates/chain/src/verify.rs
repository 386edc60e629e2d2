//! Phase two: group scanned files into chains and judge every digest and log.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use trailproof_core::report::{
    ChainSummary, DigestCell, Gap, Item, ItemKind, KeyUse, Level, Note, Proof, Provider, Reason,
    Report, Status,
};

use crate::coverage::{trail_root, Coverage, Scope, Window};
use crate::digest::{LogRef, PreviousLink};
use crate::error::Error;
use crate::keys::{huawei_cts_key, parse_key_file, PublicKey};
use crate::logs::{location, resolve_logs, Claim, LocalLog, Location, Trust, MD5_NOTE};
use crate::names::{
    aws_digest_key_at, base_name, cts_digest_key_at, dir_name, fmt_iso, is_aws_digest_name,
    is_cts_digest_name, parse_aws_digest_name, parse_cts_digest_name, parse_cts_time, parse_iso,
    AwsDigestName,
};
use crate::scan::{Content, FileKind, Scanned};
use crate::sidecars::{Found, Pick, Sidecars};

/// How verification behaves. Everything the verifier trusts is injected here or through
/// [`Verifier::add_keys`]; it never reads a clock, files or the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Also try the published Huawei CTS public key for CTS digests (default: yes).
    pub published_cts_key: bool,
    /// Expected digest cadence in seconds, used to infer the keys of missing digests
    /// (CloudTrail and CTS deliver hourly).
    pub cadence_secs: i64,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            published_cts_key: true,
            cadence_secs: 3600,
        }
    }
}

/// The chain a CloudTrail digest name belongs to.
pub(crate) fn aws_chain(n: &AwsDigestName) -> ChainId {
    ChainId {
        id: format!(
            "aws:{}:{}:{}:{}{}",
            n.account,
            n.source_region,
            n.trail,
            n.home_region,
            if n.backfill { ":backfill" } else { "" }
        ),
        provider: Provider::Aws,
        account: n.account.clone(),
        region: n.source_region.clone(),
        trail: n.trail.clone(),
        home_region: Some(n.home_region.clone()),
        backfill: n.backfill,
        service: None,
    }
}

/// A malformed digest: its path, kind, why, and its scan warnings.
pub(crate) type Malformed = (String, FileKind, Error, Vec<String>);

/// The node of a digest's scanned content (its chain named by the content, else the path),
/// or why it cannot be one. Shared by the verifier and the shard planner
/// ([`crate::shard`]), so both group digests into the same chains.
pub(crate) fn digest_node(
    path: String,
    warnings: Vec<String>,
    content: Content,
) -> Result<Node, Malformed> {
    match content {
        Content::AwsDigest(facts) => {
            let d = facts.parsed;
            let name = parse_aws_digest_name(&d.object).or_else(|| parse_aws_digest_name(&path));
            let chain = match &name {
                Some(n) => aws_chain(n),
                None => ChainId {
                    id: format!("aws:{}:unnamed:{}", d.account_id, d.bucket),
                    provider: Provider::Aws,
                    account: d.account_id.clone(),
                    region: String::new(),
                    trail: String::new(),
                    home_region: None,
                    backfill: false,
                    service: None,
                },
            };
            let (Some(start), Some(end)) = (parse_iso(&d.start), parse_iso(&d.end)) else {
                // Checked by the parser; kept total rather than trusting that.
                return Err((
                    path,
                    FileKind::AwsDigest,
                    Error::MissingField {
                        field: "digestEndTime".into(),
                    },
                    warnings,
                ));
            };
            let to_sign = vec![(d.string_to_sign(&facts.hash), "CloudTrail string to sign")];
            Ok(Node {
                provider: Provider::Aws,
                path,
                bucket: d.bucket,
                object: d.object,
                start,
                end,
                end_raw: d.end,
                hash: facts.hash,
                previous: d.previous,
                fingerprint: Some(d.fingerprint),
                signature_algorithm: d.signature_algorithm,
                logs: d.log_files,
                to_sign,
                warnings,
                chain,
            })
        }
        Content::CtsDigest(facts) => {
            let d = facts.parsed;
            let (Some(start), Some(end)) = (parse_cts_time(&d.start), parse_cts_time(&d.end))
            else {
                return Err((
                    path,
                    FileKind::CtsDigest,
                    Error::MissingField {
                        field: "digest_end_time".into(),
                    },
                    warnings,
                ));
            };
            let name = parse_cts_digest_name(&d.object).or_else(|| parse_cts_digest_name(&path));
            let (prefix, region) = name.map(|n| (n.prefix, n.region)).unwrap_or_default();
            let folder = cts_folder(&d.object);
            let service = cts_service(&folder);
            let chain = ChainId {
                id: format!("cts:{}:{}:{}:{}", d.project_id, region, folder, prefix),
                provider: Provider::Cts,
                account: d.project_id.clone(),
                region,
                trail: if prefix.is_empty() {
                    folder
                } else {
                    format!("{folder} ({prefix})")
                },
                home_region: None,
                backfill: false,
                service,
            };
            let to_sign = d.strings_to_sign(&facts.hash);
            Ok(Node {
                provider: Provider::Cts,
                path,
                bucket: d.bucket,
                object: d.object,
                start,
                end,
                end_raw: d.end,
                hash: facts.hash,
                previous: d.previous,
                fingerprint: None,
                signature_algorithm: d.signature_algorithm,
                logs: d.log_files,
                to_sign,
                warnings,
                chain,
            })
        }
        // Only digests are passed in; kept total rather than trusting that.
        _ => Err((
            path,
            FileKind::Other,
            Error::MissingField {
                field: "digest content".into(),
            },
            warnings,
        )),
    }
}

/// A digest, provider-neutral.
pub(crate) struct Node {
    pub(crate) provider: Provider,
    pub(crate) path: String,
    bucket: String,
    pub(crate) object: String,
    start: Timestamp,
    end: Timestamp,
    end_raw: String,
    hash: String,
    pub(crate) previous: Option<PreviousLink>,
    fingerprint: Option<String>,
    signature_algorithm: Option<String>,
    pub(crate) logs: Vec<LogRef>,
    to_sign: Vec<(String, &'static str)>,
    warnings: Vec<String>,
    pub(crate) chain: ChainId,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ChainId {
    pub(crate) id: String,
    provider: Provider,
    account: String,
    region: String,
    trail: String,
    home_region: Option<String>,
    backfill: bool,
    /// CTS: the service folder the chain's digests are delivered to, when sorted by service.
    service: Option<String>,
}

/// The verdict on one digest as it is built up.
struct Eval {
    status: Status,
    reason: Option<Reason>,
    message: String,
    notes: Vec<String>,
    /// The digest's own signature verified: its content (and so its log list) is authentic,
    /// even if it is misplaced or inconsistent with its neighbours.
    signed: bool,
    /// Index (in the verifier's keys) of the key whose signature verified.
    key: Option<usize>,
}

impl Eval {
    /// Marks the item invalid unless it already is (the first problem found is the reason;
    /// later ones become notes).
    fn invalid(&mut self, reason: Reason, message: String) {
        if self.status == Status::Invalid {
            self.notes.push(message);
        } else {
            if self.status != Status::Valid {
                let old = std::mem::take(&mut self.message);
                self.notes.push(old);
            }
            self.status = Status::Invalid;
            self.reason = Some(reason);
            self.message = message;
        }
    }
}

/// Collects scanned files and keys, then verifies everything at once in [`Verifier::finish`].
///
/// ```
/// use trailproof_chain::{Verifier, VerifyOptions};
/// let report = Verifier::new(VerifyOptions::default()).finish();
/// assert!(report.items.is_empty());
/// ```
pub struct Verifier {
    options: VerifyOptions,
    keys: Vec<PublicKey>,
    nodes: Vec<Node>,
    logs: Vec<LocalLog>,
    sidecars: Sidecars,
    malformed: Vec<(String, FileKind, Error, Vec<String>)>,
    notes: Vec<Note>,
    keys_from_inputs: bool,
}

impl Verifier {
    /// An empty verifier.
    pub fn new(options: VerifyOptions) -> Verifier {
        let mut keys = Vec::new();
        if options.published_cts_key {
            keys.push(huawei_cts_key());
        }
        Verifier {
            options,
            keys,
            nodes: Vec::new(),
            logs: Vec::new(),
            sidecars: Sidecars::default(),
            malformed: Vec::new(),
            notes: Vec::new(),
            keys_from_inputs: false,
        }
    }

    /// Adds key material (any format [`parse_key_file`] reads), labelled `source`.
    /// Returns how many keys were added.
    pub fn add_keys(&mut self, source: &str, bytes: &[u8]) -> Result<usize, Error> {
        let (keys, warnings) = parse_key_file(bytes, source)?;
        for w in warnings {
            self.note(Level::Warning, source, w);
        }
        let n = keys.len();
        self.keys.extend(keys);
        Ok(n)
    }

    /// Adds already decoded keys.
    pub fn add_public_keys(&mut self, keys: impl IntoIterator<Item = PublicKey>) {
        self.keys.extend(keys);
    }

    /// Adds one scanned file. Order does not matter.
    pub fn add(&mut self, scanned: Scanned) {
        let Scanned {
            path,
            warnings,
            content,
            ..
        } = scanned;
        match content {
            content @ (Content::AwsDigest(_) | Content::CtsDigest(_)) => {
                match digest_node(path, warnings, content) {
                    Ok(node) => self.nodes.push(node),
                    Err(m) => self.malformed.push(m),
                }
            }
            Content::AwsLog(f) => self.logs.push(LocalLog {
                path,
                provider: Provider::Aws,
                facts: Ok(f),
                warnings,
            }),
            Content::CtsTrace(f) => self.logs.push(LocalLog {
                path,
                provider: Provider::Cts,
                facts: Ok(f),
                warnings,
            }),
            Content::Malformed(FileKind::AwsLog, e) => self.logs.push(LocalLog {
                path,
                provider: Provider::Aws,
                facts: Err(e),
                warnings,
            }),
            Content::Malformed(FileKind::CtsTrace, e) => self.logs.push(LocalLog {
                path,
                provider: Provider::Cts,
                facts: Err(e),
                warnings,
            }),
            Content::Keys(keys) => {
                for w in warnings {
                    self.note(Level::Warning, &path, w);
                }
                self.keys_from_inputs = true;
                self.note(
                    Level::Info,
                    &path,
                    format!("read {} public key(s)", keys.len()),
                );
                self.keys.extend(keys);
            }
            Content::Sidecar(s) => self.sidecars.add(path, s),
            Content::Malformed(kind @ (FileKind::AwsDigest | FileKind::CtsDigest), e) => {
                self.malformed.push((path, kind, e, warnings))
            }
            Content::Malformed(kind, e) => {
                let what = match kind {
                    FileKind::Keys => "key file",
                    FileKind::Sidecar => "signature metadata file",
                    _ => "file",
                };
                self.note(
                    Level::Warning,
                    &path,
                    format!("unreadable {what}, ignored: {e}"),
                );
            }
            Content::Other => self.note(
                Level::Info,
                &path,
                "not a digest, log, key or signature file; ignored".into(),
            ),
        }
    }

    fn note(&mut self, severity: Level, path: &str, message: String) {
        self.notes.push(Note {
            severity,
            path: path.to_owned(),
            message,
        });
    }

    /// Verifies everything added and returns the report.
    pub fn finish(mut self) -> Report {
        let mut items = Vec::new();
        let mut gaps = Vec::new();
        let mut summaries = Vec::new();
        let mut claims: Vec<Claim> = Vec::new();

        if self.keys_from_inputs {
            self.note(
                Level::Info,
                "",
                "public keys were read from the inputs themselves; make sure they came from the cloud provider (for AWS: `aws cloudtrail list-public-keys`), not from whoever supplied the export".into(),
            );
        }

        // Group into chains.
        let nodes = std::mem::take(&mut self.nodes);
        let mut chains: BTreeMap<ChainId, Vec<Node>> = BTreeMap::new();
        for n in nodes {
            chains.entry(n.chain.clone()).or_default().push(n);
        }
        let malformed_paths: Vec<String> = self.malformed.iter().map(|m| m.0.clone()).collect();
        // What the supplied digests cover, by scope: judges the logs no digest lists.
        let mut coverage = Coverage::default();
        let mut key_uses: BTreeMap<usize, u64> = BTreeMap::new();
        for (id, mut chain) in chains {
            chain.sort_by(|a, b| (a.end, &a.path).cmp(&(b.end, &b.path)));
            let out = self.walk_chain(&id, chain, &malformed_paths);
            items.extend(out.items);
            gaps.extend(out.gaps);
            summaries.push(out.summary);
            claims.extend(out.claims);
            for (scope, window) in out.windows {
                coverage.add(scope, window);
            }
            for k in out.keys {
                *key_uses.entry(k).or_default() += 1;
            }
        }

        for (path, kind, e, warnings) in std::mem::take(&mut self.malformed) {
            let what = if kind == FileKind::CtsDigest {
                "CTS digest"
            } else {
                "CloudTrail digest"
            };
            let mut item = Item::new(
                path,
                ItemKind::Digest,
                Status::Invalid,
                Some(Reason::Malformed),
                format!("this {what} cannot be read: {e}"),
            );
            item.notes = warnings;
            items.push(item);
        }

        resolve_logs(&self.logs, claims, &coverage, &mut items);

        items.sort_by(|a, b| (&a.path, a.kind).cmp(&(&b.path, b.kind)));
        self.notes
            .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        let mut report = Report::new(items, gaps, summaries, self.notes);
        report.keys = key_uses
            .into_iter()
            .filter_map(|(i, verified)| {
                let k = self.keys.get(i)?;
                Some(KeyUse {
                    fingerprint: k.fingerprint.clone(),
                    source: k.source.clone(),
                    valid_from: k.valid_from.map(fmt_iso),
                    valid_to: k.valid_to.map(fmt_iso),
                    verified,
                })
            })
            .collect();
        report.keys.sort();
        report
    }

    /// Indices of the keys that may have signed `node`.
    fn keys_for(&self, node: &Node) -> Vec<usize> {
        match node.provider {
            Provider::Aws => {
                let fp = node.fingerprint.as_deref().unwrap_or_default();
                (0..self.keys.len())
                    .filter(|&i| self.keys[i].fingerprint == fp)
                    .collect()
            }
            // CTS has one published key and no fingerprints: try every key supplied.
            _ => (0..self.keys.len()).collect(),
        }
    }

    /// Checks one digest's own signature and location (nothing about its neighbours).
    fn check_own(
        &self,
        node: &Node,
        sidecar: Pick<'_>,
        recorded: Option<(&str, &str)>,
        newest: bool,
    ) -> Eval {
        let mut e = Eval {
            status: Status::Valid,
            reason: None,
            message: String::new(),
            notes: node.warnings.clone(),
            signed: false,
            key: None,
        };

        // Location (`docs/digests.md`, CloudTrail).
        let mut loc = location(&node.path, &node.object);
        let local_name = base_name(&node.path);
        let in_layout = node.path.contains("AWSLogs/") || node.path.contains("CloudTraces/");
        if loc == Location::Moved
            && !in_layout
            && !is_aws_digest_name(local_name)
            && !is_cts_digest_name(local_name)
        {
            // Saved under a name of the user's choosing (recognised by content): nothing
            // says where it was found, so its location cannot be judged.
            e.notes.push(format!(
                "found under a name that is not a digest name; its recorded location {} cannot be checked",
                node.object
            ));
            loc = Location::Matches;
        }
        match loc {
            Location::Matches => {}
            Location::NameOnly => e.notes.push(format!(
                "its recorded location {} cannot be checked here: only the file name matches (flat folder)",
                node.object
            )),
            Location::Moved => e.invalid(
                Reason::Moved,
                format!("records being delivered as {} but was found at {}: it was moved or renamed", node.object, node.path),
            ),
        }

        if let Some(alg) = &node.signature_algorithm {
            if !alg.eq_ignore_ascii_case("SHA256withRSA") {
                e.invalid(
                    Reason::SignatureInvalid,
                    format!("records unsupported signature algorithm {alg:?}"),
                );
            }
        }

        // Which signature: the sidecar's, else the one the successor recorded.
        let sidecar = match sidecar {
            Pick::One {
                path,
                sidecar,
                found,
            } => Some((path, sidecar, found)),
            Pick::Ambiguous(paths) => {
                let why = format!(
                    "{} signature metadata files are named after this digest ({}) and none is in its folder, so which one is its own cannot be told",
                    paths.len(),
                    paths.join(", ")
                );
                if recorded.is_none() {
                    if e.status == Status::Valid {
                        e.status = Status::Unverifiable;
                        e.reason = Some(Reason::SignatureUnavailable);
                        e.message = format!(
                            "signature cannot be checked: {why}; put the right one beside the digest"
                        );
                    }
                    return e;
                }
                e.notes.push(format!(
                    "{why}; the signature the next digest records was used instead"
                ));
                None
            }
            Pick::None => None,
        };
        let (sig_hex, source) = match (sidecar, recorded) {
            (Some((p, s, found)), _) => {
                if let Some(alg) = &s.algorithm {
                    if !alg.eq_ignore_ascii_case("SHA256withRSA") {
                        e.invalid(
                            Reason::SignatureInvalid,
                            format!("signature metadata names unsupported algorithm {alg:?}"),
                        );
                    }
                }
                if let (Some(etag), Provider::Cts) = (&s.etag, node.provider) {
                    if !etag.eq_ignore_ascii_case(&node.hash) {
                        e.invalid(
                            Reason::HashMismatch,
                            format!("its stored bytes hash (MD5) to {} but its metadata ETag is {etag}: it changed after delivery", node.hash),
                        );
                    }
                }
                let where_ = match found {
                    Found::Beside => base_name(p).to_owned(),
                    Found::ByName => format!("{p} (paired by file name)"),
                };
                (
                    s.signature.as_str(),
                    format!(
                        "its signature metadata {where_} (field {:?})",
                        s.signature_field
                    ),
                )
            }
            (None, Some((sig, by))) => (
                sig,
                format!(
                    "the signature recorded in the next digest {}",
                    base_name(by)
                ),
            ),
            (None, None) => {
                let how = match node.provider {
                    Provider::Aws => format!(
                        "export it with `aws s3api head-object --bucket {} --key {} > {}.head-object.json` and put that file beside the digest",
                        node.bucket,
                        node.object,
                        base_name(&node.path)
                    ),
                    _ => format!(
                        "export the object's metadata (meta-signature) from OBS as {}.metadata.json beside the digest",
                        base_name(&node.path)
                    ),
                };
                let why = if newest {
                    "it is the newest digest of its chain and no signature metadata was supplied"
                } else {
                    "no later digest records its signature (the next digest is missing, unreadable or restarts the chain) and no signature metadata was supplied"
                };
                if e.status == Status::Valid {
                    e.status = Status::Unverifiable;
                    e.reason = Some(Reason::SignatureUnavailable);
                    e.message = format!("signature cannot be checked: {why}; {how}");
                }
                return e;
            }
        };

        let signature = match strict_hex(sig_hex) {
            Ok(s) => s,
            Err(msg) => {
                e.invalid(
                    Reason::SignatureInvalid,
                    format!("the signature from {source} is not valid hexadecimal ({msg})"),
                );
                return e;
            }
        };
        let keys = self.keys_for(node);
        if keys.is_empty() {
            if e.status == Status::Valid {
                e.status = Status::Unverifiable;
                e.reason = Some(Reason::KeyNotFound);
                e.message = match node.provider {
                    Provider::Aws => format!(
                        "no supplied public key has fingerprint {}; supply the output of `aws cloudtrail list-public-keys --region {}` covering {} with --keys",
                        node.fingerprint.as_deref().unwrap_or_default(),
                        node.chain.home_region.as_deref().unwrap_or(&node.chain.region),
                        node.end_raw
                    ),
                    _ => "no public key was supplied for CTS digests; supply the published CTS key with --keys".into(),
                };
            }
            return e;
        }
        let mut verified = None;
        'outer: for &i in &keys {
            for (data, label) in &node.to_sign {
                if self.keys[i].verify_sha256(data.as_bytes(), &signature) {
                    verified = Some((i, *label));
                    break 'outer;
                }
            }
        }
        match verified {
            Some((i, label)) => {
                let key = &self.keys[i];
                e.signed = true;
                e.key = Some(i);
                if !key.valid_at(node.end) {
                    e.notes.push(format!(
                        "signed with key {} ({}), whose stated validity window does not include the digest's end time {}",
                        key.fingerprint, key.source, node.end_raw
                    ));
                }
                if node.provider == Provider::Cts {
                    if node.previous.is_none() {
                        e.notes.push(format!("{label} (the CTS documentation leaves this open)"));
                    }
                    e.notes.push(MD5_NOTE.into());
                }
                if e.status == Status::Valid {
                    e.message = format!("signature verified with key {} using {source}", key.fingerprint);
                }
            }
            None => e.invalid(
                Reason::SignatureInvalid,
                format!("signature does not verify (signature taken from {source}): the digest was changed after it was signed, or the signature is not its own"),
            ),
        }
        e
    }

    fn walk_chain(&self, id: &ChainId, chain: Vec<Node>, malformed_paths: &[String]) -> ChainOut {
        let mut out = ChainOut {
            items: Vec::new(),
            gaps: Vec::new(),
            claims: Vec::new(),
            windows: Vec::new(),
            keys: Vec::new(),
            summary: ChainSummary {
                id: id.id.clone(),
                provider: id.provider,
                account: id.account.clone(),
                region: id.region.clone(),
                trail: id.trail.clone(),
                home_region: id.home_region.clone(),
                backfill: id.backfill,
                digests: Vec::new(),
                continues_before: None,
            },
        };
        let mut by_object: HashMap<&str, usize> = HashMap::new();
        let mut duplicate = vec![false; chain.len()];
        for (i, n) in chain.iter().enumerate() {
            match by_object.get(n.object.as_str()) {
                Some(&j) if chain[j].hash == n.hash => duplicate[i] = true,
                Some(_) => {}
                None => {
                    by_object.insert(&n.object, i);
                }
            }
        }
        // The signature each digest's successor records for it.
        let mut recorded: Vec<Option<(&str, &str)>> = vec![None; chain.len()];
        for n in &chain {
            if let Some(prev) = &n.previous {
                if let (Some(&p), Some(sig)) = (
                    by_object.get(prev.object.as_str()),
                    prev.signature.as_deref(),
                ) {
                    if recorded[p].is_none() {
                        recorded[p] = Some((sig, n.path.as_str()));
                    }
                }
            }
        }
        let newest = chain.len().saturating_sub(1);
        let mut evals: Vec<Eval> = chain
            .iter()
            .enumerate()
            .map(|(i, n)| self.check_own(n, self.sidecars.pick(&n.path), recorded[i], i == newest))
            .collect();

        let present: HashSet<&str> = chain.iter().map(|n| n.object.as_str()).collect();
        let mut missing: Vec<(String, Timestamp, String)> = Vec::new();

        for i in 0..chain.len() {
            if duplicate[i] {
                continue;
            }
            let d = &chain[i];
            // The newest digest before this one (in time), for gaps and cadence inference.
            let older = (0..i)
                .rev()
                .find(|&j| !duplicate[j] && chain[j].end <= d.start);
            match &d.previous {
                None => {
                    if let Some(o) = older {
                        let o = &chain[o];
                        if o.end < d.start {
                            out.gaps.push(Gap {
                                start: o.end_raw_iso(),
                                end: d.start_iso(),
                                chain: id.id.clone(),
                                message: format!(
                                    "the chain restarts at {} after silence since {}: logging or validation was stopped or restarted, so no digest covers this time (not evidence of tampering by itself)",
                                    d.start_iso(),
                                    o.end_raw_iso()
                                ),
                            });
                        }
                    }
                }
                Some(prev) => match by_object.get(prev.object.as_str()) {
                    Some(&p) => {
                        let pn = &chain[p];
                        // Blame the link on this digest only when the predecessor is authentic.
                        let p_ok = evals[p].signed;
                        // `docs/digests.md`, chain links: the link names its hash algorithm.
                        let want = if d.provider == Provider::Aws {
                            "SHA-256"
                        } else {
                            "MD5"
                        };
                        if let Some(alg) = &prev.hash_algorithm {
                            if !alg.eq_ignore_ascii_case(want) {
                                evals[i].invalid(
                                    Reason::ChainMismatch,
                                    format!("records previous-digest hash algorithm {alg:?}; expected {want}"),
                                );
                            }
                        }
                        if let Some(h) = &prev.hash {
                            if !h.eq_ignore_ascii_case(&pn.hash) {
                                let msg = format!(
                                    "records hash {h} for the previous digest {}, but that file hashes to {}",
                                    base_name(&pn.path),
                                    pn.hash
                                );
                                if p_ok {
                                    evals[i].invalid(Reason::ChainMismatch, msg);
                                } else {
                                    evals[i].notes.push(msg);
                                }
                            }
                        }
                        if let (Some(b), false) = (
                            &prev.bucket,
                            prev.bucket.as_deref() == Some(pn.bucket.as_str()),
                        ) {
                            evals[i].invalid(
                                Reason::ChainMismatch,
                                format!("records the previous digest in bucket {b}, but it was delivered to {}", pn.bucket),
                            );
                        }
                        if let (Pick::One { sidecar: s, .. }, Some(sig)) =
                            (self.sidecars.pick(&pn.path), &prev.signature)
                        {
                            if !s.signature.eq_ignore_ascii_case(sig) && p_ok {
                                evals[i].invalid(
                                    Reason::ChainMismatch,
                                    format!(
                                        "records a signature for the previous digest {} that differs from that digest's own signature metadata",
                                        base_name(&pn.path)
                                    ),
                                );
                            }
                        }
                        // Backfill digests cover irregular windows (their contiguity is not
                        // documented), so only regular chains must be contiguous.
                        if pn.end != d.start && !id.backfill {
                            evals[i].invalid(
                                Reason::ChainMismatch,
                                format!(
                                    "starts at {} but the previous digest {} ends at {}: the chain is not contiguous",
                                    d.start_iso(),
                                    base_name(&pn.path),
                                    pn.end_raw_iso()
                                ),
                            );
                        }
                    }
                    None => {
                        let unreadable = malformed_paths
                            .iter()
                            .any(|m| location(m, &prev.object) != Location::Moved);
                        if unreadable {
                            evals[i].notes.push(format!(
                                "its previous digest {} is present but unreadable (reported separately)",
                                prev.object
                            ));
                        } else if let Some(o) = older {
                            // Every digest between the older present one and this one is missing;
                            // the hourly cadence says how many and what they are called.
                            let o = &chain[o];
                            let cadence = self.options.cadence_secs.max(1);
                            let span = d.start.as_second() - o.end.as_second();
                            // Backfill digests have no cadence: only the pointed-to one is known.
                            let count = if id.backfill {
                                1
                            } else {
                                ((span + cadence / 2) / cadence).clamp(1, 10_000)
                            };
                            missing.push((prev.object.clone(), d.start, d.path.clone()));
                            for k in 1..count {
                                let Ok(end) =
                                    Timestamp::from_second(d.start.as_second() - k * cadence)
                                else {
                                    break;
                                };
                                if end <= o.end {
                                    break;
                                }
                                let key = match d.provider {
                                    Provider::Aws => aws_digest_key_at(&prev.object, end),
                                    _ => cts_digest_key_at(&prev.object, end),
                                };
                                if let Some(key) = key {
                                    if !present.contains(key.as_str()) {
                                        missing.push((key, end, String::new()));
                                    }
                                }
                            }
                        } else {
                            out.summary.continues_before = Some(prev.object.clone());
                        }
                    }
                },
            }
        }

        let chain_name = match id.provider {
            Provider::Aws => "CloudTrail digest",
            _ => "CTS digest",
        };
        for (key, end, referenced_by) in missing {
            let message = if referenced_by.is_empty() {
                format!(
                    "this {chain_name} must exist (ending {}) to keep the hourly chain contiguous, but it is not among the inputs: it was deleted or not exported (inferred from the hourly cadence: the later digest that would point to it is missing too; if logging was stopped in between, fewer digests are missing)",
                    fmt_iso(end)
                )
            } else {
                format!(
                    "the next digest {} points to this {chain_name}, but it is not among the inputs: it was deleted or not exported",
                    base_name(&referenced_by)
                )
            };
            let mut item = Item::new(
                key.clone(),
                ItemKind::Digest,
                Status::Missing,
                Some(Reason::NotFound),
                message,
            );
            item.chain = Some(id.id.clone());
            out.summary.digests.push(DigestCell {
                start: None,
                end: fmt_iso(end),
                status: Status::Missing,
                reason: Some(Reason::NotFound),
                path: key,
            });
            out.items.push(item);
        }

        // Where each recorded key is found correctly placed: a moved digest's key is missing
        // only if no copy sits where it belongs.
        let placed: HashSet<&str> = chain
            .iter()
            .filter(|n| location(&n.path, &n.object) != Location::Moved)
            .map(|n| n.object.as_str())
            .collect();
        let scope = chain_scope(id);
        let mut moved_missing: Vec<Item> = Vec::new();
        for (i, (node, eval)) in chain.iter().zip(evals).enumerate() {
            if duplicate[i] {
                continue;
            }
            // A misplaced or badly linked digest with a good signature still vouches for
            // its logs; one whose signature failed does not.
            let trusted = eval.signed
                && !matches!(
                    eval.reason,
                    Some(Reason::SignatureInvalid | Reason::HashMismatch)
                );
            let fingerprint = eval
                .key
                .and_then(|k| self.keys.get(k))
                .map(|k| k.fingerprint.clone());
            if eval.signed {
                out.keys.extend(eval.key);
            }
            let trust = match (&fingerprint, trusted) {
                (Some(key), true) => Trust::Verified { key: key.clone() },
                _ => untrusted(&eval),
            };
            if let Some(scope) = &scope {
                out.windows.push((
                    scope.clone(),
                    Window {
                        start: node.start,
                        end: node.end,
                        digest: node.path.clone(),
                        chain: id.id.clone(),
                        verified: matches!(trust, Trust::Verified { .. }),
                        root: trail_root(&node.object),
                    },
                ));
            }
            for l in &node.logs {
                out.claims.push(Claim {
                    object: l.object.clone(),
                    hash: l.hash.clone(),
                    provider: node.provider,
                    trust: trust.clone(),
                    digest: node.path.clone(),
                    chain: id.id.clone(),
                });
            }
            if eval.reason == Some(Reason::Moved) && !placed.contains(node.object.as_str()) {
                let mut item = Item::new(
                    node.object.clone(),
                    ItemKind::Digest,
                    Status::Missing,
                    Some(Reason::NotFound),
                    format!(
                        "this {chain_name} is not at the key it records: it was found at {} (reported as moved)",
                        node.path
                    ),
                );
                item.chain = Some(id.id.clone());
                moved_missing.push(item);
            }
            let message = if eval.message.is_empty() {
                "valid".to_owned()
            } else {
                eval.message
            };
            out.summary.digests.push(DigestCell {
                start: Some(node.start_iso()),
                end: node.end_raw_iso(),
                status: eval.status,
                reason: eval.reason,
                path: node.path.clone(),
            });
            let mut item = Item::new(
                node.path.clone(),
                ItemKind::Digest,
                eval.status,
                eval.reason,
                message,
            );
            item.chain = Some(id.id.clone());
            if node.path != node.object {
                item.key = Some(node.object.clone());
            }
            item.notes = eval.notes;
            if eval.status == Status::Valid {
                item.proof = fingerprint.map(|key| Proof {
                    digest: None,
                    key: Some(key),
                    checkpoint: None,
                });
            }
            out.items.push(item);
        }
        out.items.extend(moved_missing);
        out.summary
            .digests
            .sort_by(|a, b| (&a.end, &a.path).cmp(&(&b.end, &b.path)));
        out
    }
}

/// The reason and words a log inherits from a listing digest that cannot be trusted.
fn untrusted(eval: &Eval) -> Trust {
    let (reason, why) = match eval.reason {
        Some(Reason::KeyNotFound) => (
            Reason::KeyNotFound,
            "no supplied public key can check its signature".to_owned(),
        ),
        Some(Reason::SignatureUnavailable) => (
            Reason::SignatureUnavailable,
            "its signature is not available".to_owned(),
        ),
        Some(Reason::SignatureInvalid) => (
            Reason::SignatureUnavailable,
            "its signature does not verify".to_owned(),
        ),
        Some(Reason::HashMismatch) => (
            Reason::SignatureUnavailable,
            "its stored bytes disagree with its metadata".to_owned(),
        ),
        _ => (
            Reason::SignatureUnavailable,
            "its signature was not verified".to_owned(),
        ),
    };
    Trust::Untrusted { reason, why }
}

/// What a regular chain covers (backfill digests list late files over irregular windows,
/// so they never say a file should have been listed). `None` when unknown.
pub(crate) fn chain_scope(id: &ChainId) -> Option<Scope> {
    if id.backfill || id.region.is_empty() {
        return None;
    }
    match id.provider {
        Provider::Aws => Some(Scope::Aws {
            account: id.account.clone(),
            region: id.region.clone(),
        }),
        _ => Some(Scope::Cts {
            region: id.region.clone(),
            service: id.service.clone(),
        }),
    }
}

struct ChainOut {
    items: Vec<Item>,
    gaps: Vec<Gap>,
    claims: Vec<Claim>,
    /// Each digest's window, for coverage.
    windows: Vec<(Scope, Window)>,
    /// The key index of each digest whose signature verified.
    keys: Vec<usize>,
    summary: ChainSummary,
}

impl Node {
    fn start_iso(&self) -> String {
        fmt_iso(self.start)
    }
    fn end_raw_iso(&self) -> String {
        fmt_iso(self.end)
    }
}

/// Strict hex: even length, hex digits only, no whitespace or prefix.
fn strict_hex(s: &str) -> Result<Vec<u8>, String> {
    if s.is_empty() {
        return Err("empty".into());
    }
    hex::decode(s).map_err(|e| e.to_string())
}

/// The service of a CTS digest folder (`system/Digest/EVS` → `EVS`), when it has one.
fn cts_service(folder: &str) -> Option<String> {
    let mut parts = folder.split('/');
    parts.by_ref().find(|p| *p == "Digest")?;
    parts.next().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The folder part of a CTS digest key that identifies its chain: the folders after the
/// date (tracker, `Digest`, service), e.g. `system/Digest/EVS`.
fn cts_folder(object: &str) -> String {
    let dir = dir_name(object);
    let parts: Vec<&str> = dir.split('/').collect();
    match parts.iter().position(|p| *p == "CloudTraces") {
        Some(i) if parts.len() > i + 5 => parts[i + 5..].join("/"),
        _ => dir.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_hex_rejects_noise() {
        assert!(strict_hex("ab").is_ok());
        assert!(strict_hex("AB").is_ok());
        assert!(strict_hex("a").is_err());
        assert!(strict_hex(" ab").is_err());
        assert!(strict_hex("0xab").is_err());
        assert!(strict_hex("").is_err());
    }
}
