//! Shared helpers: a generated multi-period archive and mutation tools.
#![allow(dead_code)]

use trailproof_archive::frame::{read_records, write_frame};
use trailproof_archive::{
    ArchiveVerifier, Pin, SealOptions, SealedArchive, Sealer, Verification, VerifyOptions,
};
use trailproof_core::report::{Item, Reason, Status};
use trailproof_tlog::merkle::CompactRange;
use trailproof_tlog::note::{Signer, Verifiers};

pub const ORIGIN: &str = "audit.example.com/acme/prod";
/// 2024-05-01T00:00:00Z.
pub const T0: i64 = 1714521600;
pub const HOUR: u64 = 3600;

pub fn signer() -> Signer {
    Signer::ed25519(ORIGIN, &[7; 32]).unwrap()
}

pub fn other_signer() -> Signer {
    Signer::ed25519(ORIGIN, &[8; 32]).unwrap()
}

pub fn verifiers() -> Verifiers {
    Verifiers::from_vkeys([signer().verifier_key().to_string().as_str()]).unwrap()
}

pub fn iso(t: i64) -> String {
    jiff::Timestamp::from_second(t).unwrap().to_string()
}

/// A pretty-printed CloudTrail record (holds LF bytes, as real exports do).
pub fn ct_record(i: usize, t: i64) -> String {
    format!(
        "{{\n      \"eventVersion\": \"1.09\",\n      \"eventTime\": \"{}\",\n      \"eventSource\": \"s3.amazonaws.com\",\n      \"eventName\": \"PutObject{i}\",\n      \"awsRegion\": \"us-east-1\",\n      \"sourceIPAddress\": \"10.0.0.{}\",\n      \"userIdentity\": {{\"type\": \"IAMUser\", \"userName\": \"user{i}\"}},\n      \"eventID\": \"ev-{i:04}\"\n    }}",
        iso(t),
        i % 250
    )
}

/// A CloudTrail log file of `records` with times.
pub fn ct_file(records: &[(usize, i64)]) -> Vec<u8> {
    let body: Vec<String> = records.iter().map(|&(i, t)| ct_record(i, t)).collect();
    format!(
        "{{\n  \"Records\": [\n    {}\n  ]\n}}\n",
        body.join(",\n    ")
    )
    .into_bytes()
}

/// Three records in each of hours 0, 1, 3 and 4 (hour 2 is silent), in two input files.
pub fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut i = 0;
    for hour in [0i64, 1, 3, 4] {
        for m in 0..3i64 {
            let t = T0 + hour * 3600 + m * 600 + 60;
            if i % 2 == 0 {
                a.push((i, t))
            } else {
                b.push((i, t))
            }
            i += 1;
        }
    }
    vec![
        ("a.json".to_string(), ct_file(&a)),
        ("b.json".to_string(), ct_file(&b)),
    ]
}

/// "now" for the standard archive: 5 h 30 min after T0.
pub const NOW: u64 = (T0 as u64) + 5 * HOUR + 1800;

pub fn seal_with(inputs: &[(String, Vec<u8>)], options: SealOptions) -> SealedArchive {
    let mut s = Sealer::new(signer(), options).unwrap();
    for (p, b) in inputs {
        s.add_file(p, b).unwrap();
    }
    s.finish().unwrap()
}

/// The standard archive: period 1 h → periodic seals 0–4 (seal 2 empty), export seal 5.
pub fn standard() -> SealedArchive {
    seal_with(
        &inputs(),
        SealOptions {
            period: Some(HOUR),
            nonce: Some("req-7f3a".into()),
            now: NOW,
        },
    )
}

pub fn options() -> VerifyOptions {
    VerifyOptions::new(verifiers())
}

pub fn verify_with(files: &[(String, Vec<u8>)], options: VerifyOptions) -> Verification {
    let mut v = ArchiveVerifier::new(options);
    for (p, b) in files {
        v.add_bytes(p, b);
    }
    v.finish_detailed()
}

pub fn verify(files: &[(String, Vec<u8>)]) -> Verification {
    verify_with(files, options())
}

pub fn get<'a>(files: &'a [(String, Vec<u8>)], path: &str) -> &'a Vec<u8> {
    &files.iter().find(|(p, _)| p == path).unwrap().1
}

pub fn set(files: &mut Vec<(String, Vec<u8>)>, path: &str, bytes: Vec<u8>) {
    match files.iter_mut().find(|(p, _)| p == path) {
        Some(f) => f.1 = bytes,
        None => files.push((path.to_string(), bytes)),
    }
}

pub fn remove(files: &mut Vec<(String, Vec<u8>)>, path: &str) -> Vec<u8> {
    let i = files.iter().position(|(p, _)| p == path).unwrap();
    files.remove(i).1
}

pub fn frames(file: &[u8]) -> Vec<Vec<u8>> {
    read_records(file)
        .unwrap()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect()
}

pub fn unframes(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        write_frame(&mut out, r);
    }
    out
}

pub fn item<'a>(v: &'a Verification, path: &str) -> &'a Item {
    v.report
        .items
        .iter()
        .find(|i| i.path == path)
        .unwrap_or_else(|| panic!("no item {path}: {:#?}", v.report.items))
}

pub fn assert_item(v: &Verification, path: &str, status: Status, reason: Option<Reason>) {
    let it = item(v, path);
    assert_eq!(
        (it.status, it.reason),
        (status, reason),
        "{path}: {}",
        it.message
    );
}

/// Tree sizes after each seal of the standard archive, from its manifest layout.
pub fn checkpoint_sizes(v: &Verification) -> Vec<u64> {
    v.seals.iter().map(|s| s.size).collect()
}

/// The first failing checkpoint and its leaf range `start..end`.
pub fn assert_first_failure(v: &Verification, checkpoint: u64) {
    let sizes = checkpoint_sizes(v);
    let f = v
        .first_failure
        .unwrap_or_else(|| panic!("no failure: {:#?}", v.report.items));
    let start = if checkpoint == 0 {
        0
    } else {
        sizes[checkpoint as usize - 1]
    };
    assert_eq!(
        (f.checkpoint, f.start, f.end),
        (checkpoint, start, sizes[checkpoint as usize]),
        "{:#?}",
        v.report.items
    );
}

/// The pin for a sealed archive's final checkpoint.
pub fn final_pin(a: &SealedArchive) -> Pin {
    let root = CompactRange::from_frontier(a.state.size, a.state.frontier.clone())
        .unwrap()
        .root();
    Pin {
        size: a.state.size,
        root,
    }
}
