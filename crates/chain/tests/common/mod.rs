//! Test generator: CloudTrail and CTS digest chains signed with the throwaway fixture keys.
//!
//! Keys are read from the shared fixtures (never generated: RSA key generation is slow).
//! Digest JSON is written compact with `/` escaped as `\/`, like real CloudTrail digests.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};
use std::io::{Cursor, Write};

use base64::Engine;
use jiff::Timestamp;
use md5::Md5;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use trailproof_chain::shard::{self, log_kind_by_name, PlanInput};
use trailproof_chain::{scan, ScanLimits, Scanned, Verifier, VerifyOptions};
use trailproof_core::input::{self, Control};
use trailproof_core::report::Report;

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        std::env::var_os("TRAILPROOF_FIXTURES")
            .map_or_else(
                || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
                std::path::PathBuf::from,
            )
            .join(rel),
    )
    .unwrap()
}

pub fn aws_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs1_pem(
        std::str::from_utf8(&fixture("synthetic_aws/TEST_ONLY_private_key.pem")).unwrap(),
    )
    .unwrap()
}

/// The CTS throwaway key; also used as a second AWS key for rotation tests.
pub fn cts_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs1_pem(
        std::str::from_utf8(&fixture("synthetic_cts/TEST_ONLY_private_key.pem")).unwrap(),
    )
    .unwrap()
}

pub fn pkcs1_der(key: &RsaPrivateKey) -> Vec<u8> {
    key.to_public_key()
        .to_pkcs1_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

pub fn fingerprint(key: &RsaPrivateKey) -> String {
    hex::encode(Md5::digest(pkcs1_der(key)))
}

pub fn sign(key: &RsaPrivateKey, data: &[u8]) -> String {
    hex::encode(
        key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(data))
            .unwrap(),
    )
}

pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn gunzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut d = flate2::read::GzDecoder::new(bytes);
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut d, &mut out).ok()?;
    Some(out)
}

/// `list-public-keys` JSON for the given keys (epoch validity, like CLI v1).
pub fn key_list(keys: &[(&RsaPrivateKey, i64, i64)]) -> Vec<u8> {
    let list: Vec<Value> = keys
        .iter()
        .map(|(k, from, to)| {
            json!({
                "Value": base64::engine::general_purpose::STANDARD.encode(pkcs1_der(k)),
                "ValidityStartTime": *from as f64,
                "ValidityEndTime": *to as f64,
                "Fingerprint": fingerprint(k),
            })
        })
        .collect();
    serde_json::to_vec_pretty(&json!({ "PublicKeyList": list })).unwrap()
}

/// A CloudTrail-like log of about `target` bytes: events with varied ids, names and
/// addresses, so it compresses like real logs (not like a run of one byte).
pub fn events_json(seed: u64, target: usize, region: &str) -> String {
    const NAMES: [&str; 8] = [
        "GetObject",
        "PutObject",
        "AssumeRole",
        "DescribeInstances",
        "ListBuckets",
        "Decrypt",
        "ConsoleLogin",
        "CreateTags",
    ];
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = String::with_capacity(target + 1024);
    out.push_str(r#"{"Records":["#);
    let mut first = true;
    while out.len() < target {
        if !first {
            out.push(',');
        }
        first = false;
        let (a, b, c) = (next(), next(), next());
        let t = T0 + (a % 3600) as i64;
        out.push_str(&format!(
            r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"AROA{:016X}:session-{}","arn":"arn:aws:sts::111122223333:assumed-role/role-{}/session-{}","accountId":"111122223333"}},"eventTime":"{}","eventSource":"s3.amazonaws.com","eventName":"{}","awsRegion":"{region}","sourceIPAddress":"198.51.{}.{}","userAgent":"aws-sdk-go/1.{}.{}","requestParameters":{{"bucketName":"bucket-{}","key":"data/{:x}/{:x}.parquet"}},"responseElements":null,"requestID":"{:016X}","eventID":"{:08x}-{:04x}-{:04x}-{:04x}-{:012x}","readOnly":{},"eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#,
            b, c % 97, a % 13, c % 97, iso(t), NAMES[(b % 8) as usize], a % 256, b % 256, c % 50, a % 20,
            b % 31, a, b, c, a as u32, (b >> 16) as u16, (b >> 32) as u16, (c >> 48) as u16, c & 0xffff_ffff_ffff, b % 3 == 0
        ));
    }
    out.push_str("]}");
    out
}

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap()
}

fn iso(secs: i64) -> String {
    ts(secs).strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// 2024-05-01T00:00:00Z.
pub const T0: i64 = 1_714_521_600;
pub const HOUR: i64 = 3600;

/// A generated export: files by S3 key, plus sidecars and the digest keys in order.
#[derive(Clone, Debug, Default)]
pub struct Export {
    /// Digests and logs by S3 key (stored bytes).
    pub files: BTreeMap<String, Vec<u8>>,
    /// Signature sidecar per digest key (`head-object` or `metadata` JSON).
    pub sidecars: BTreeMap<String, Vec<u8>>,
    /// Digest keys, oldest first.
    pub digests: Vec<String>,
    /// Log keys, in generation order.
    pub logs: Vec<String>,
    /// Key files (name, bytes).
    pub keys: Vec<(String, Vec<u8>)>,
}

impl Export {
    /// Files laid out for verification: every file under `root + key`, with sidecars for the
    /// digests selected by `sidecar_for` (by index), and key files at the top.
    pub fn layout(
        &self,
        root: &str,
        flat: bool,
        sidecar_for: &dyn Fn(usize) -> bool,
    ) -> Vec<(String, Vec<u8>)> {
        let place = |key: &str| {
            if flat {
                key.rsplit('/').next().unwrap().to_owned()
            } else {
                format!("{root}{key}")
            }
        };
        let mut out: Vec<(String, Vec<u8>)> = self
            .files
            .iter()
            .map(|(k, v)| (place(k), v.clone()))
            .collect();
        for (i, d) in self.digests.iter().enumerate() {
            if sidecar_for(i) {
                if let Some(s) = self.sidecars.get(d) {
                    let suffix = if d.contains("CloudTrace-Digest") {
                        ".metadata.json"
                    } else {
                        ".head-object.json"
                    };
                    out.push((format!("{}{suffix}", place(d)), s.clone()));
                }
            }
        }
        out.extend(self.keys.iter().cloned());
        out
    }

    /// The usual layout: hierarchy, sidecar for the newest digest only.
    pub fn standard(&self) -> Vec<(String, Vec<u8>)> {
        let last = self.digests.len().saturating_sub(1);
        self.layout("", false, &|i| i == last)
    }
}

/// One hour of a generated AWS chain.
pub struct AwsGen {
    pub account: String,
    pub region: String,
    pub trail: String,
    pub home: String,
    pub bucket: String,
    /// Key prefix inside the bucket, with trailing `/` (or empty).
    pub prefix: String,
    /// Organization id for org-trail layout (`AWSLogs/o-xxx/<acct>/`).
    pub org: Option<String>,
    pub backfill: bool,
    /// Hours (0-based) with no digest at all (logging stopped); the next digest restarts.
    pub silent: Vec<usize>,
    /// Logs per hour.
    pub logs_per_hour: usize,
    /// Approximate content size of each log in bytes, as realistic events (0: one tiny event).
    pub log_padding: usize,
    /// Added to the random part of log names, so two generated trails of one account and
    /// region do not deliver logs under the same names.
    pub log_salt: u64,
}

impl Default for AwsGen {
    fn default() -> Self {
        AwsGen {
            account: "111122223333".into(),
            region: "us-east-1".into(),
            trail: "demo_trail".into(),
            home: "us-east-1".into(),
            bucket: "example-trail-bucket".into(),
            prefix: String::new(),
            org: None,
            backfill: false,
            silent: Vec::new(),
            logs_per_hour: 2,
            log_padding: 0,
            log_salt: 0,
        }
    }
}

pub type Tweak<'a> = &'a dyn Fn(usize, &mut Map<String, Value>);

impl AwsGen {
    fn base(&self, kind: &str) -> String {
        match &self.org {
            Some(o) => format!(
                "{}AWSLogs/{o}/{}/{kind}/{}",
                self.prefix, self.account, self.region
            ),
            None => format!(
                "{}AWSLogs/{}/{kind}/{}",
                self.prefix, self.account, self.region
            ),
        }
    }

    pub fn digest_key(&self, end: i64) -> String {
        format!(
            "{}/{}/{}_CloudTrail-Digest_{}_{}_{}_{}{}.json.gz",
            self.base("CloudTrail-Digest"),
            ts(end).strftime("%Y/%m/%d"),
            self.account,
            self.region,
            self.trail,
            self.home,
            ts(end).strftime("%Y%m%dT%H%M%SZ"),
            if self.backfill { "_backfill" } else { "" }
        )
    }

    pub fn log_key(&self, at: i64, n: usize) -> String {
        format!(
            "{}/{}/{}_CloudTrail_{}_{}_{:016X}.json.gz",
            self.base("CloudTrail"),
            ts(at).strftime("%Y/%m/%d"),
            self.account,
            self.region,
            ts(at).strftime("%Y%m%dT%H%MZ"),
            (at as u64)
                .wrapping_mul(31)
                .wrapping_add(n as u64 * 7919)
                .wrapping_add(self.log_salt)
        )
    }

    /// Generates `hours` hourly digests from [`T0`]; `signer(i)` picks the key of digest `i`;
    /// `tweak` edits a digest's JSON before it is signed.
    pub fn generate(
        &self,
        hours: usize,
        signer: &dyn Fn(usize) -> RsaPrivateKey,
        tweak: Tweak,
    ) -> Export {
        let mut ex = Export::default();
        let mut prev: Option<(String, String, String)> = None; // key, sha256(inflated), signature
        let mut logn = 0;
        for h in 0..hours {
            if self.silent.contains(&h) {
                prev = None;
                continue;
            }
            let (start, end) = (T0 + h as i64 * HOUR, T0 + (h as i64 + 1) * HOUR);
            let mut log_entries = Vec::new();
            for j in 0..self.logs_per_hour {
                let at = start + 300 + j as i64 * 60;
                let key = self.log_key(at, logn);
                logn += 1;
                let content = if self.log_padding > 0 {
                    events_json(at as u64 * 1_000 + j as u64, self.log_padding, &self.region)
                } else {
                    format!(
                        r#"{{"Records":[{{"eventVersion":"1.09","eventTime":"{}","eventName":"Event{h}x{j}","awsRegion":"{}","recipientAccountId":"{}"}}]}}"#,
                        iso(at - 60),
                        self.region,
                        self.account
                    )
                };
                let hash = hex::encode(Sha256::digest(content.as_bytes()));
                ex.files.insert(key.clone(), gz(content.as_bytes()));
                ex.logs.push(key.clone());
                log_entries.push(json!({
                    "s3Bucket": self.bucket, "s3Object": key, "hashValue": hash, "hashAlgorithm": "SHA-256",
                    "newestEventTime": iso(at - 60), "oldestEventTime": iso(at - 60),
                }));
            }
            let key = self.digest_key(end);
            let private = signer(h);
            let mut m = Map::new();
            m.insert("awsAccountId".into(), json!(self.account));
            m.insert("digestStartTime".into(), json!(iso(start)));
            m.insert("digestEndTime".into(), json!(iso(end)));
            m.insert("digestS3Bucket".into(), json!(self.bucket));
            m.insert("digestS3Object".into(), json!(key));
            m.insert(
                "digestPublicKeyFingerprint".into(),
                json!(fingerprint(&private)),
            );
            m.insert("digestSignatureAlgorithm".into(), json!("SHA256withRSA"));
            m.insert("newestEventTime".into(), Value::Null);
            m.insert("oldestEventTime".into(), Value::Null);
            let (pk, ph, ps) = match &prev {
                Some((k, hsh, s)) => (json!(k), json!(hsh), json!(s)),
                None => (Value::Null, Value::Null, Value::Null),
            };
            m.insert(
                "previousDigestS3Bucket".into(),
                if prev.is_some() {
                    json!(self.bucket)
                } else {
                    Value::Null
                },
            );
            m.insert("previousDigestS3Object".into(), pk);
            m.insert("previousDigestHashValue".into(), ph);
            m.insert(
                "previousDigestHashAlgorithm".into(),
                if prev.is_some() {
                    json!("SHA-256")
                } else {
                    Value::Null
                },
            );
            m.insert("previousDigestSignature".into(), ps);
            m.insert("logFiles".into(), Value::Array(log_entries));
            tweak(h, &mut m);
            let text = serde_json::to_string(&Value::Object(m.clone()))
                .unwrap()
                .replace('/', "\\/");
            let sha = hex::encode(Sha256::digest(text.as_bytes()));
            let prev_sig = m
                .get("previousDigestSignature")
                .and_then(Value::as_str)
                .unwrap_or("null")
                .to_owned();
            let data = format!(
                "{}\n{}/{}\n{}\n{}",
                m["digestEndTime"].as_str().unwrap(),
                m["digestS3Bucket"].as_str().unwrap(),
                m["digestS3Object"].as_str().unwrap(),
                sha,
                prev_sig
            );
            let sig = sign(&private, data.as_bytes());
            ex.files.insert(key.clone(), gz(text.as_bytes()));
            ex.sidecars.insert(
                key.clone(),
                serde_json::to_vec_pretty(&json!({"Metadata": {"signature": sig, "signature-algorithm": "SHA256withRSA"}}))
                    .unwrap(),
            );
            ex.digests.push(key.clone());
            prev = Some((key, sha, sig));
        }
        ex.keys.push((
            "list-public-keys.json".into(),
            key_list(&[(&aws_key(), T0 - 86400, T0 + 86400 * 30)]),
        ));
        ex
    }

    /// `hours` digests, all signed with the AWS test key, no tweaks.
    pub fn simple(&self, hours: usize) -> Export {
        self.generate(hours, &|_| aws_key(), &|_, _| {})
    }
}

/// A generated CTS chain.
pub struct CtsGen {
    pub region: String,
    pub tracker: String,
    pub service: String,
    pub prefix: String,
    pub bucket: String,
    pub project: String,
    pub traces_per_hour: usize,
}

impl Default for CtsGen {
    fn default() -> Self {
        CtsGen {
            region: "eu-de".into(),
            tracker: "system".into(),
            service: "EVS".into(),
            prefix: "mylog".into(),
            bucket: "example-cts-bucket".into(),
            project: "3cfb09080bd944d0b4cdd72ef2685712".into(),
            traces_per_hour: 2,
        }
    }
}

impl CtsGen {
    fn date(t: i64) -> String {
        ts(t).strftime("%Y/%-m/%-d").to_string()
    }

    pub fn digest_key(&self, end: i64) -> String {
        format!(
            "CloudTraces/{}/{}/{}/Digest/{}/{}_CloudTrace-Digest_{}_{}.json.gz",
            self.region,
            Self::date(end),
            self.tracker,
            self.service,
            self.prefix,
            self.region,
            ts(end).strftime("%Y-%m-%dT%H-%M-%SZ")
        )
    }

    /// The key of a trace file delivered at `at` (`n` varies the random part).
    pub fn trace_key(&self, at: i64, n: u64) -> String {
        format!(
            "CloudTraces/{}/{}/{}/{}/{}_CloudTrace_{}_{}_{:016x}.json.gz",
            self.region,
            Self::date(at),
            self.tracker,
            self.service,
            self.prefix,
            self.region,
            ts(at).strftime("%Y-%m-%dT%H-%M-%SZ"),
            n
        )
    }

    pub fn generate(&self, hours: usize, tweak: Tweak) -> Export {
        let key = cts_key();
        let mut ex = Export::default();
        let mut prev: Option<(String, String, String)> = None; // key, md5(stored), signature
        for h in 0..hours {
            let (start, end) = (T0 + h as i64 * HOUR, T0 + (h as i64 + 1) * HOUR);
            let mut logs = Vec::new();
            for j in 0..self.traces_per_hour {
                let at = start + 300 + j as i64 * 60;
                let k = self.trace_key(at, at as u64 * 13 + j as u64);
                let content = format!(
                    r#"[{{"time":{},"service_type":"{}","trace_name":"op{h}x{j}"}}]"#,
                    at * 1000,
                    self.service
                );
                let stored = gz(content.as_bytes());
                logs.push(json!({"bucket": self.bucket, "object": k, "log_hash_value": hex::encode(Md5::digest(&stored)), "log_hash_algorithm": "MD5"}));
                ex.files.insert(k.clone(), stored);
                ex.logs.push(k);
            }
            let dkey = self.digest_key(end);
            let cts_time = |t: i64| ts(t).strftime("%Y-%m-%dT%H-%M-%SZ").to_string();
            let mut m = Map::new();
            m.insert("project_id".into(), json!(self.project));
            m.insert("digest_start_time".into(), json!(cts_time(start)));
            m.insert("digest_end_time".into(), json!(cts_time(end)));
            m.insert("digest_bucket".into(), json!(self.bucket));
            m.insert("digest_object".into(), json!(dkey));
            m.insert("digest_signature_algorithm".into(), json!("SHA256withRSA"));
            m.insert("digest_end".into(), json!(false));
            let (pb, pk, ph, pa, ps) = match &prev {
                Some((k, md5, s)) => (
                    self.bucket.clone(),
                    k.clone(),
                    md5.clone(),
                    "MD5".to_owned(),
                    s.clone(),
                ),
                None => Default::default(),
            };
            m.insert("previous_digest_bucket".into(), json!(pb));
            m.insert("previous_digest_object".into(), json!(pk));
            m.insert("previous_digest_hash_value".into(), json!(ph));
            m.insert("previous_digest_hash_algorithm".into(), json!(pa));
            m.insert("previous_digest_signature".into(), json!(ps));
            m.insert("previous_digest_end".into(), json!(false));
            m.insert("log_files".into(), Value::Array(logs));
            tweak(h, &mut m);
            let stored = gz(&serde_json::to_vec(&Value::Object(m.clone())).unwrap());
            let md5 = hex::encode(Md5::digest(&stored));
            let data = format!(
                "{}{}{}{}",
                m["digest_end_time"].as_str().unwrap(),
                m["digest_object"].as_str().unwrap(),
                md5,
                m["previous_digest_signature"].as_str().unwrap_or("")
            );
            let sig = sign(&key, data.as_bytes());
            ex.files.insert(dkey.clone(), stored);
            ex.sidecars.insert(
                dkey.clone(),
                serde_json::to_vec_pretty(&json!({"meta-signature": sig, "meta-signature-algorithm": "SHA256withRSA", "ETag": format!("\"{md5}\"")})).unwrap(),
            );
            ex.digests.push(dkey.clone());
            prev = Some((dkey, md5, sig));
        }
        ex.keys.push((
            "cts_public_key.b64".into(),
            fixture("synthetic_cts/TEST_ONLY_public_key_spki.b64"),
        ));
        ex
    }
}

/// A CloudTrail log (gzip) with one record of `account`/`region` at `event_time` (epoch s).
pub fn aws_log_bytes(account: &str, region: &str, event_time: i64, name: &str) -> Vec<u8> {
    gz(format!(
        r#"{{"Records":[{{"eventVersion":"1.09","eventTime":"{}","eventName":"{name}","awsRegion":"{region}","recipientAccountId":"{account}"}}]}}"#,
        iso(event_time)
    )
    .as_bytes())
}

/// A CTS trace file (gzip) with one trace of `service` at `time` (epoch s).
pub fn cts_trace_bytes(service: &str, time: i64, name: &str) -> Vec<u8> {
    gz(format!(
        r#"[{{"time":{},"service_type":"{service}","trace_name":"{name}"}}]"#,
        time * 1000
    )
    .as_bytes())
}

/// The same path with `prefix` put before its file name.
pub fn prefixed(path: &str, prefix: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/{prefix}{name}"),
        None => format!("{prefix}{path}"),
    }
}

/// Verifies in-memory files, opening archives the way the CLI does (core's input walker).
/// Verifies `files` in one run, and checks that the sharded flow (plan, verify each shard
/// alone, merge) gives the same report: every battery case is a sharding case too.
pub fn verify(files: &[(String, Vec<u8>)]) -> Report {
    let limits = input::Limits::default();
    let mut scanned = Vec::new();
    for (name, bytes) in files {
        let mut cursor = Cursor::new(bytes.as_slice());
        let diags = input::walk(name, &mut cursor, &limits, &mut |entry| {
            scanned.push(scan(entry.path, entry.reader, &ScanLimits::default()));
            Control::Continue
        });
        assert!(diags.is_empty(), "{diags:?}");
    }
    let report = verify_scanned(scanned.iter().cloned());
    check_sharded(&scanned, &report);
    report
}

fn verify_scanned(scanned: impl IntoIterator<Item = Scanned>) -> Report {
    let mut verifier = Verifier::new(VerifyOptions::default());
    for s in scanned {
        verifier.add(s);
    }
    verifier.finish()
}

/// The report as JSON with notes in a fixed order (the merge orders notes by path and text;
/// the verifier by path and text too, but hosts append theirs).
fn canonical(mut report: Report) -> String {
    report
        .notes
        .sort_by(|a, b| (&a.path, &a.message, a.severity).cmp(&(&b.path, &b.message, b.severity)));
    serde_json::to_string_pretty(&report).unwrap()
}

/// The plan inputs the CLI gives: logs by name and size only (what their names say they
/// are), every other file as scanned.
pub fn named_plan_inputs(scanned: &[Scanned]) -> Vec<PlanInput> {
    scanned
        .iter()
        .map(|s| match log_kind_by_name(&s.path) {
            Some(kind) => PlanInput::Named {
                path: s.path.clone(),
                stored_size: s.stored_size,
                kind,
            },
            None => PlanInput::Scanned(s.clone()),
        })
        .collect()
}

/// Plan → verify each shard on its own files → merge must equal the single run `whole`,
/// byte for byte, both for a plan over full scans and for the plan the CLI makes (logs
/// planned by name, scanned only when the plan asks). Every file is in exactly one shard
/// or shared.
pub fn check_sharded(scanned: &[Scanned], whole: &Report) {
    let full: Vec<PlanInput> = scanned.iter().cloned().map(PlanInput::Scanned).collect();
    let by_name = named_plan_inputs(scanned);
    let mut light = shard::plan(&by_name);
    if !light.needs_scan.is_empty() {
        let again: Vec<PlanInput> = by_name
            .into_iter()
            .zip(scanned)
            .map(|(p, s)| {
                if light.needs_scan.iter().any(|n| n == p.path()) {
                    PlanInput::Scanned(s.clone())
                } else {
                    p
                }
            })
            .collect();
        light = shard::plan(&again);
    }
    let expected = canonical(whole.clone());
    for plan in [shard::plan(&full), light] {
        assert!(plan.needs_scan.is_empty(), "{plan:#?}");
        let mut planned: Vec<&str> = plan.paths().collect();
        let mut paths: Vec<&str> = scanned.iter().map(|s| s.path.as_str()).collect();
        planned.sort();
        paths.sort();
        assert_eq!(planned, paths, "every file exactly once: {plan:#?}");
        let reports: Vec<Report> = plan
            .shards
            .iter()
            .map(|shard| {
                let reads: HashSet<&str> = shard.reads(&plan).collect();
                verify_scanned(
                    scanned
                        .iter()
                        .filter(|s| reads.contains(s.path.as_str()))
                        .cloned(),
                )
            })
            .collect();
        let merged = shard::merge(reports).expect("shard reports merge");
        let got = canonical(merged);
        if got != expected {
            let plan = serde_json::to_string_pretty(&plan).unwrap();
            panic!("sharded run differs from the single run\nplan: {plan}\nsingle: {expected}\nmerged: {got}");
        }
    }
}

pub fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn tgz_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, bytes.as_slice()).unwrap();
    }
    gz(&b.into_inner().unwrap())
}

/// The item whose path ends with `suffix`.
pub fn item<'a>(r: &'a Report, suffix: &str) -> &'a trailproof_core::report::Item {
    r.items
        .iter()
        .find(|i| i.path.ends_with(suffix))
        .unwrap_or_else(|| panic!("no item ending {suffix}:\n{r:#?}"))
}
