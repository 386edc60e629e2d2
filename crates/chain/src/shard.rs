//! Verification sharded by chain: which files each shard must read ([`plan`]), and how the
//! shards' reports become the report of one run ([`merge`]).
//!
//! Digest chains are independent except where the single-process verifier looks across them,
//! and the plan keeps every such look inside one shard, so that verifying a shard's files
//! alone judges each of them exactly as the whole run would:
//!
//! - a digest belongs to the chain its *content* names (a moved digest goes with its chain,
//!   wherever it was found);
//! - a signature sidecar goes with every digest whose file name it carries (pairing by
//!   unique name anywhere needs all the candidates);
//! - an unreadable digest goes with every chain whose previous-digest link could name it
//!   (the verifier notes "present but unreadable" instead of "missing");
//! - a log goes with every chain whose digests list its name (the best-authenticated listing
//!   decides, and every file under a listed name answers to it);
//! - a log no digest lists goes with the chains whose coverage judges it: those of the scopes
//!   its name and records give (CloudTrail: account and region; CTS: region and service),
//!   restricted to the trail location of its folder, as [`crate::coverage`] does;
//! - files with the same path go together;
//! - chains of one scope go together: two trails of one account and region deliver the
//!   same events, which the event coverage of one run counts once.
//!
//! Chains joined by these rules form one shard, named by its first chain id; normally each
//! chain is a shard of its own. Key files are needed by every shard and owned by none
//! ([`Plan::shared`]). Files no chain judges (unknown files, logs of no supplied chain,
//! orphan sidecars) form the [`UNASSIGNED`] shard, each with why; verifying it yields what
//! the whole run says about them. [`merge`] then unites the reports: every item, gap and
//! chain comes from exactly one shard; notes about shared inputs come from several and are
//! kept as often as one shard has them; key uses and event coverage add up.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use trailproof_core::report::{Coverage, ItemKind, KeyUse, Level, Note, Provider, Report};

use crate::coverage::{trail_root, Scope};
use crate::logs::{coverage_stages, insights_alone, location, match_name, Location};
use crate::names::{aws_log_scope, base_name, cts_trace_name_parts, parse_aws_digest_name};
use crate::scan::{kind_by_name, Content, FileKind, LogFacts, Scanned};
use crate::sidecars::target_of;
use crate::verify::{aws_chain, chain_scope, digest_node, Node};

/// The id of the shard of files no chain judges.
pub const UNASSIGNED: &str = "unassigned";

/// The plan format's version ([`Plan::version`]): 2 added [`PlanFile::seq`].
pub const PLAN_VERSION: u32 = 2;

/// What the planner knows about one input file.
#[derive(Clone, Debug)]
pub enum PlanInput {
    /// Scanned in full ([`crate::scan`]).
    Scanned(Scanned),
    /// A log or trace recognised by its name ([`log_kind_by_name`]) and not read: planning
    /// needs its content only when no digest lists it and its name does not place it
    /// ([`Plan::needs_scan`]).
    Named {
        /// Path relative to the input root, `/`-separated.
        path: String,
        /// Stored size in bytes.
        stored_size: u64,
        /// [`FileKind::AwsLog`] or [`FileKind::CtsTrace`].
        kind: FileKind,
    },
}

impl PlanInput {
    /// The file's path.
    pub fn path(&self) -> &str {
        match self {
            PlanInput::Scanned(s) => &s.path,
            PlanInput::Named { path, .. } => path,
        }
    }

    fn size(&self) -> u64 {
        match self {
            PlanInput::Scanned(s) => s.stored_size,
            PlanInput::Named { stored_size, .. } => *stored_size,
        }
    }

    fn kind(&self) -> FileKind {
        match self {
            PlanInput::Scanned(s) => s.kind(),
            PlanInput::Named { kind, .. } => *kind,
        }
    }
}

/// The kind of log a file is by its name alone, when it is one: such a file may be planned
/// as [`PlanInput::Named`] without reading it (logs are never recognised by content).
pub fn log_kind_by_name(path: &str) -> Option<FileKind> {
    kind_by_name(path).filter(|k| matches!(k, FileKind::AwsLog | FileKind::CtsTrace))
}

/// Why a file is in the [`UNASSIGNED`] shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unplaced {
    /// Not a digest, log, key or signature file: verification notes it and ignores it.
    NotRecognised,
    /// An unreadable key or signature-metadata file: noted and ignored.
    Unreadable,
    /// Signature metadata named after no supplied digest: nothing uses it.
    NoDigest,
    /// An unreadable digest that no chain's previous-digest link names: judged alone
    /// (malformed).
    MalformedDigest,
    /// A log no digest lists whose account and region (CTS: region and service) no supplied
    /// chain covers: judged alone (unreferenced).
    NoChain,
    /// A log no digest lists that cannot be read: judged alone (malformed).
    UnreadableLog,
    /// A CloudTrail Insights file no digest lists: judged alone (unreferenced).
    Insights,
    /// A log planned by its name whose place depends on its records: scan it in full and
    /// plan again ([`Plan::needs_scan`]). Never in a final plan.
    NeedsScan,
}

impl Unplaced {
    /// The reason in words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Unplaced::NotRecognised => "not a digest, log, key or signature file (ignored)",
            Unplaced::Unreadable => "unreadable key or signature metadata file (ignored)",
            Unplaced::NoDigest => "signature metadata of no supplied digest",
            Unplaced::MalformedDigest => {
                "unreadable digest that no chain links to (judged on its own)"
            }
            Unplaced::NoChain => {
                "log no digest lists, of an account/region or service no supplied chain covers (unreferenced)"
            }
            Unplaced::UnreadableLog => "unreadable log no digest lists (malformed)",
            Unplaced::Insights => "CloudTrail Insights file no digest lists (unreferenced)",
            Unplaced::NeedsScan => "its records decide its chain: scan it and plan again",
        }
    }
}

/// One file of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFile {
    /// Path as verification names it (report item paths).
    pub path: String,
    /// What it is.
    pub kind: ItemKind,
    /// Stored size in bytes.
    pub size: u64,
    /// Its position among the planned inputs (the whole run's input order): a shard's run
    /// gives it with its events' identities, so that a merge orders them as one run does.
    pub seq: u64,
    /// Why it is in the [`UNASSIGNED`] shard (absent elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<Unplaced>,
}

/// The files one verification process judges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Its first chain id, or [`UNASSIGNED`].
    pub id: String,
    /// The chains it verifies (usually one; several when the whole run looks across them).
    pub chains: Vec<String>,
    /// Digest files among `files`.
    pub digests: u64,
    /// Log and trace files among `files`.
    pub logs: u64,
    /// Signature metadata files among `files`.
    pub sidecars: u64,
    /// Stored bytes of `files`.
    pub bytes: u64,
    /// Its files, by path. Every input file is in exactly one shard or in [`Plan::shared`].
    pub files: Vec<PlanFile>,
}

/// Which files each shard's verification reads. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_VERSION`].
    pub version: u32,
    /// The command-line inputs the paths were named from, as given (filled by the host):
    /// each shard must be verified with the same inputs so that paths agree.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// The shards, by id; the [`UNASSIGNED`] one last, when there is one.
    pub shards: Vec<Shard>,
    /// Files every shard reads and none judges: public-key files.
    pub shared: Vec<PlanFile>,
    /// Logs that must be scanned in full before the plan is final (empty in a final plan).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs_scan: Vec<String>,
}

impl Plan {
    /// The shard named `id`, or holding the chain `id`.
    pub fn shard(&self, id: &str) -> Option<&Shard> {
        self.shards.iter().find(|s| s.id == id).or_else(|| {
            self.shards
                .iter()
                .find(|s| s.chains.iter().any(|c| c == id))
        })
    }

    /// Every path the plan names (the files of all shards and the shared ones).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.shards
            .iter()
            .flat_map(|s| s.files.iter())
            .chain(self.shared.iter())
            .map(|f| f.path.as_str())
    }
}

impl Shard {
    /// The paths verifying this shard reads: its files and the plan's shared ones.
    pub fn reads<'a>(&'a self, plan: &'a Plan) -> impl Iterator<Item = &'a str> {
        self.files
            .iter()
            .chain(plan.shared.iter())
            .map(|f| f.path.as_str())
    }
}

/// Union-find over plan elements (input files, chains, listed log names).
struct Sets {
    parent: Vec<usize>,
}

impl Sets {
    fn add(&mut self) -> usize {
        self.parent.push(self.parent.len());
        self.parent.len() - 1
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.parent[a.max(b)] = a.min(b);
        }
    }
}

/// How much the planner knows about a log.
enum LogState<'a> {
    Read(&'a LogFacts),
    Unreadable,
    Unread,
}

/// A chain as coverage sees it.
struct ChainFacts {
    element: usize,
    scope: Option<Scope>,
    /// The trail locations of its digests ([`trail_root`]).
    roots: BTreeSet<Option<String>>,
}

/// Plans sharded verification of `inputs` (see the module documentation). Pure: the host
/// scans (or names) the files and reads them again per shard. `inputs` are in the whole
/// run's input order (each file's [`PlanFile::seq`] is its position).
pub fn plan(inputs: &[PlanInput]) -> Plan {
    let n = inputs.len();
    let mut sets = Sets {
        parent: (0..n).collect(),
    };
    let mut why: Vec<Option<Unplaced>> = vec![None; n];
    let mut shared = vec![false; n];
    let mut nodes: Vec<(usize, Node)> = Vec::new();
    let mut malformed: Vec<usize> = Vec::new();
    let mut logs: Vec<(usize, Provider, LogState<'_>)> = Vec::new();
    let mut sidecars: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut needs_scan = Vec::new();

    for (i, input) in inputs.iter().enumerate() {
        let scanned = match input {
            PlanInput::Named { kind, path, .. } => {
                match kind {
                    FileKind::AwsLog => logs.push((i, Provider::Aws, LogState::Unread)),
                    FileKind::CtsTrace => logs.push((i, Provider::Cts, LogState::Unread)),
                    // Only logs may be planned unread; anything else must be scanned.
                    _ => {
                        why[i] = Some(Unplaced::NeedsScan);
                        needs_scan.push(path.clone());
                    }
                }
                continue;
            }
            PlanInput::Scanned(s) => s,
        };
        match &scanned.content {
            c @ (Content::AwsDigest(_) | Content::CtsDigest(_)) => {
                match digest_node(scanned.path.clone(), Vec::new(), c.clone()) {
                    Ok(node) => nodes.push((i, node)),
                    Err(_) => malformed.push(i),
                }
            }
            Content::Malformed(FileKind::AwsDigest | FileKind::CtsDigest, _) => malformed.push(i),
            Content::AwsLog(f) => logs.push((i, Provider::Aws, LogState::Read(f))),
            Content::CtsTrace(f) => logs.push((i, Provider::Cts, LogState::Read(f))),
            Content::Malformed(FileKind::AwsLog, _) => {
                logs.push((i, Provider::Aws, LogState::Unreadable))
            }
            Content::Malformed(FileKind::CtsTrace, _) => {
                logs.push((i, Provider::Cts, LogState::Unreadable))
            }
            Content::Keys(_) => shared[i] = true,
            Content::Sidecar(_) | Content::Malformed(FileKind::Sidecar, _) => {
                why[i] = Some(if scanned.error().is_some() {
                    Unplaced::Unreadable
                } else {
                    Unplaced::NoDigest
                });
                sidecars
                    .entry(base_name(target_of(&scanned.path)))
                    .or_default()
                    .push(i);
            }
            Content::Malformed(_, _) => why[i] = Some(Unplaced::Unreadable),
            Content::Other => why[i] = Some(Unplaced::NotRecognised),
        }
    }

    // Files with the same path go together (a host naming two files alike reads both).
    let mut by_path: HashMap<&str, usize> = HashMap::new();
    for (i, input) in inputs.iter().enumerate() {
        match by_path.get(input.path()) {
            Some(&j) => sets.union(i, j),
            None => {
                by_path.insert(input.path(), i);
            }
        }
    }

    // Digests join their chain (named by content) and the sidecars named after them.
    let mut chains: BTreeMap<String, ChainFacts> = BTreeMap::new();
    for (i, node) in &nodes {
        let chain = chains
            .entry(node.chain.id.clone())
            .or_insert_with(|| ChainFacts {
                element: sets.add(),
                scope: chain_scope(&node.chain),
                roots: BTreeSet::new(),
            });
        chain.roots.insert(trail_root(&node.object));
        let element = chain.element;
        sets.union(*i, element);
        for &s in sidecars.get(base_name(&node.path)).into_iter().flatten() {
            sets.union(*i, s);
        }
    }
    let mut by_scope: HashMap<&Scope, Vec<&ChainFacts>> = HashMap::new();
    for c in chains.values() {
        if let Some(s) = &c.scope {
            by_scope.entry(s).or_default().push(c);
        }
    }
    // Chains of one scope (two trails of one account and region) go together: their logs
    // may hold the same events, which one run counts once (the coverage block).
    for cs in by_scope.values() {
        for c in cs.iter().skip(1) {
            sets.union(cs[0].element, c.element);
        }
    }

    // An unreadable digest goes with every chain whose links could name it.
    for &m in &malformed {
        let path = inputs[m].path();
        let mut linked = false;
        for (i, node) in &nodes {
            if let Some(prev) = &node.previous {
                if location(path, &prev.object) != Location::Moved {
                    sets.union(m, *i);
                    linked = true;
                }
            }
        }
        // Otherwise, with the chain its name states, when that chain was supplied.
        let named = parse_aws_digest_name(path).and_then(|n| chains.get(&aws_chain(&n).id));
        match named {
            Some(c) => sets.union(m, c.element),
            None if !linked => why[m] = Some(Unplaced::MalformedDigest),
            None => {}
        }
    }

    // Listed logs go with every listing chain.
    let mut listed: HashMap<(&str, Provider), usize> = HashMap::new();
    for (i, node) in &nodes {
        for l in &node.logs {
            let key = (match_name(node.provider, &l.object), node.provider);
            let element = *listed.entry(key).or_insert_with(|| sets.add());
            sets.union(*i, element);
        }
    }

    for (i, provider, state) in &logs {
        let (i, provider) = (*i, *provider);
        let path = inputs[i].path();
        if let Some(&element) = listed.get(&(match_name(provider, path), provider)) {
            sets.union(i, element);
            continue;
        }
        // No digest lists it: the chains coverage judges it by.
        let root = trail_root(path);
        let consult = |stages: &[Vec<Scope>], sets: &mut Sets| -> bool {
            for stage in stages.iter().filter(|s| !s.is_empty()) {
                let scoped: Vec<&ChainFacts> = stage
                    .iter()
                    .filter_map(|s| by_scope.get(s))
                    .flatten()
                    .copied()
                    .collect();
                if scoped.is_empty() {
                    continue;
                }
                // Digests of another trail location speak only when no chain of this one does.
                let mine: Vec<&ChainFacts> = scoped
                    .iter()
                    .copied()
                    .filter(|c| {
                        c.roots.iter().any(|r| match (&root, r) {
                            (Some(a), Some(b)) => a == b,
                            _ => true,
                        })
                    })
                    .collect();
                let judges = if mine.is_empty() { scoped } else { mine };
                for c in judges {
                    sets.union(i, c.element);
                }
                return true;
            }
            false
        };
        match state {
            LogState::Unreadable => why[i] = Some(Unplaced::UnreadableLog),
            LogState::Read(f) if insights_alone(provider, path, f) => {
                why[i] = Some(Unplaced::Insights)
            }
            LogState::Read(f) => {
                if !consult(&coverage_stages(provider, path, f), &mut sets) {
                    why[i] = Some(Unplaced::NoChain);
                }
            }
            LogState::Unread => {
                match provider {
                    Provider::Aws => {
                        // The name's scope decides when a chain of it was supplied; else its
                        // records do, which only a full scan reads. (An Insights file may be
                        // judged alone: joining it to its chain anyway costs nothing.)
                        let named: Vec<Vec<Scope>> = aws_log_scope(path)
                            .map(|(account, region)| Scope::Aws {
                                account: account.to_owned(),
                                region: region.to_owned(),
                            })
                            .into_iter()
                            .map(|s| vec![s])
                            .collect();
                        if !consult(&named, &mut sets) {
                            why[i] = Some(Unplaced::NeedsScan);
                            needs_scan.push(path.to_owned());
                        }
                    }
                    _ => {
                        // Its records can only add services: every chain of its region is a
                        // superset of the ones that judge it.
                        let region_scopes: Vec<Scope> = cts_trace_name_parts(path)
                        .map(|(region, _)| {
                            by_scope
                                .keys()
                                .filter(|s| matches!(s, Scope::Cts { region: r, .. } if r == region))
                                .map(|s| (*s).clone())
                                .collect()
                        })
                        .unwrap_or_default();
                        if !consult(&[region_scopes], &mut sets) {
                            why[i] = Some(Unplaced::NoChain);
                        }
                    }
                }
            }
        }
    }

    // Components holding a chain are shards; the rest is the unassigned shard.
    let mut shards: BTreeMap<usize, Shard> = BTreeMap::new();
    for (id, c) in &chains {
        let root = sets.find(c.element);
        shards
            .entry(root)
            .or_insert_with(|| Shard {
                id: id.clone(),
                chains: Vec::new(),
                digests: 0,
                logs: 0,
                sidecars: 0,
                bytes: 0,
                files: Vec::new(),
            })
            .chains
            .push(id.clone());
    }
    let mut unassigned = Vec::new();
    let mut shared_files = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let file = PlanFile {
            path: input.path().to_owned(),
            kind: item_kind(input.kind()),
            size: input.size(),
            seq: i as u64,
            why: None,
        };
        if shared[i] {
            shared_files.push(file);
            continue;
        }
        let root = sets.find(i);
        match shards.get_mut(&root) {
            Some(shard) => shard.files.push(file),
            None => unassigned.push(PlanFile {
                why: Some(why[i].unwrap_or(Unplaced::NoChain)),
                ..file
            }),
        }
    }
    let mut shards: Vec<Shard> = shards.into_values().collect();
    if !unassigned.is_empty() {
        shards.push(Shard {
            id: UNASSIGNED.to_owned(),
            chains: Vec::new(),
            digests: 0,
            logs: 0,
            sidecars: 0,
            bytes: 0,
            files: unassigned,
        });
    }
    for s in &mut shards {
        s.files.sort_by(|a, b| a.path.cmp(&b.path));
        for f in &s.files {
            s.bytes += f.size;
            match f.kind {
                ItemKind::Digest => s.digests += 1,
                ItemKind::Log => s.logs += 1,
                ItemKind::Sidecar => s.sidecars += 1,
                _ => {}
            }
        }
    }
    // Chain shards by id, the unassigned one last.
    shards.sort_by(|a, b| (a.id == UNASSIGNED, &a.id).cmp(&(b.id == UNASSIGNED, &b.id)));
    shared_files.sort_by(|a, b| a.path.cmp(&b.path));
    needs_scan.sort();
    needs_scan.dedup();
    Plan {
        version: PLAN_VERSION,
        inputs: Vec::new(),
        shards,
        shared: shared_files,
        needs_scan,
    }
}

fn item_kind(kind: FileKind) -> ItemKind {
    match kind {
        FileKind::AwsDigest | FileKind::CtsDigest => ItemKind::Digest,
        FileKind::AwsLog | FileKind::CtsTrace => ItemKind::Log,
        FileKind::Keys => ItemKind::Key,
        FileKind::Sidecar => ItemKind::Sidecar,
        FileKind::Other => ItemKind::Other,
    }
}

/// Why shard reports cannot be merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeError {
    /// Two reports judge the same file: the same shard was verified twice, or the reports
    /// come from different plans.
    Overlap {
        /// The item's path.
        path: String,
        /// Positions (0-based) of the two reports.
        reports: (usize, usize),
    },
    /// Two reports hold the same chain.
    DuplicateChain {
        /// The chain id.
        id: String,
        /// Positions (0-based) of the two reports.
        reports: (usize, usize),
    },
}

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MergeError::Overlap { path, reports } => write!(
                f,
                "reports {} and {} both judge {path}: the same shard was verified twice, or the reports come from different plans",
                reports.0 + 1,
                reports.1 + 1
            ),
            MergeError::DuplicateChain { id, reports } => write!(
                f,
                "reports {} and {} both hold chain {id}: the same shard was verified twice",
                reports.0 + 1,
                reports.1 + 1
            ),
        }
    }
}

impl std::error::Error for MergeError {}

/// Merges the reports of a plan's shards into the report of one run over all their files:
/// items, gaps and chains are united (each comes from exactly one shard), notes are kept as
/// often as the report holding them most often has them (notes about shared inputs, such as
/// key files or unreadable archive entries, appear in every shard that read them), key uses
/// and event coverage are added up, and the verdict and counts are derived again.
///
/// Items, gaps and chains are ordered as the verifier orders them; notes by path and text.
pub fn merge(reports: Vec<Report>) -> Result<Report, MergeError> {
    let mut items = Vec::new();
    let mut gaps = Vec::new();
    let mut chains = Vec::new();
    let mut keys: BTreeMap<(String, String, Option<String>, Option<String>), u64> = BTreeMap::new();
    let mut coverage: Option<Coverage> = None;
    let mut notes: BTreeMap<(String, String, Level), usize> = BTreeMap::new();
    let mut judged: HashMap<(String, ItemKind), usize> = HashMap::new();
    let mut chain_of: HashMap<String, usize> = HashMap::new();
    for (r, report) in reports.into_iter().enumerate() {
        for item in &report.items {
            match judged.get(&(item.path.clone(), item.kind)) {
                Some(&o) if o != r => {
                    return Err(MergeError::Overlap {
                        path: item.path.clone(),
                        reports: (o, r),
                    })
                }
                Some(_) => {}
                None => {
                    judged.insert((item.path.clone(), item.kind), r);
                }
            }
        }
        for c in &report.chains {
            if let Some(&o) = chain_of.get(&c.id) {
                return Err(MergeError::DuplicateChain {
                    id: c.id.clone(),
                    reports: (o, r),
                });
            }
            chain_of.insert(c.id.clone(), r);
        }
        let mut counted: BTreeMap<(String, String, Level), usize> = BTreeMap::new();
        for n in report.notes {
            *counted.entry((n.path, n.message, n.severity)).or_default() += 1;
        }
        for (k, c) in counted {
            let e = notes.entry(k).or_default();
            *e = (*e).max(c);
        }
        for k in report.keys {
            *keys
                .entry((k.fingerprint, k.source, k.valid_from, k.valid_to))
                .or_default() += k.verified;
        }
        if let Some(c) = report.coverage {
            let total = coverage.get_or_insert_with(Coverage::default);
            total.events += c.events;
            total.verified += c.verified;
            total.unverified += c.unverified;
            total.failed += c.failed;
            total.unprotected += c.unprotected;
        }
        items.extend(report.items);
        gaps.extend(report.gaps);
        chains.extend(report.chains);
    }
    // Stable sorts: ties keep their shard's order, which is the verifier's.
    items.sort_by(|a, b| (&a.path, a.kind).cmp(&(&b.path, b.kind)));
    gaps.sort_by(|a, b| a.chain.cmp(&b.chain));
    chains.sort_by(|a, b| a.id.cmp(&b.id));
    let notes: Vec<Note> = notes
        .into_iter()
        .flat_map(|((path, message, severity), count)| {
            std::iter::repeat_n(
                Note {
                    severity,
                    path,
                    message,
                },
                count,
            )
        })
        .collect();
    let mut report = Report::new(items, gaps, chains, notes);
    report.keys = keys
        .into_iter()
        .map(
            |((fingerprint, source, valid_from, valid_to), verified)| KeyUse {
                fingerprint,
                source,
                valid_from,
                valid_to,
                verified,
            },
        )
        .collect();
    report.keys.sort();
    report.coverage = coverage;
    Ok(report)
}
