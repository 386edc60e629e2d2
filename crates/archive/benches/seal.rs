//! Seal and verify throughput against raw SHA-256 of the same record bytes.
//!
//! `cargo bench -p trailproof-archive --bench seal` (optionally `-- <records> <period s>`).
//! Synthetic CloudTrail records (~1 KiB, pretty-printed, spread over 24 hours) in one
//! `{"Records":[…]}` file. The baseline hashes every record's bytes once with SHA-256: the
//! least any verifier of those bytes must do. Results go to docs/performance.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use trailproof_archive::frame::read_records;
use trailproof_archive::{ArchiveVerifier, SealOptions, Sealer, VerifyOptions};
use trailproof_core::report::Verdict;
use trailproof_tlog::note::{Signer, Verifiers};

const T0: i64 = 1714521600;

fn record(i: usize, t: i64) -> String {
    let ts = jiff::Timestamp::from_second(t).expect("time").to_string();
    format!(
        "{{\n      \"eventVersion\": \"1.09\",\n      \"userIdentity\": {{\"type\": \"AssumedRole\", \"principalId\": \"AROAEXAMPLE:session-{i}\", \"arn\": \"arn:aws:sts::111122223333:assumed-role/app/session-{i}\", \"accountId\": \"111122223333\", \"sessionContext\": {{\"attributes\": {{\"mfaAuthenticated\": \"false\", \"creationDate\": \"{ts}\"}}}}}},\n      \"eventTime\": \"{ts}\",\n      \"eventSource\": \"s3.amazonaws.com\",\n      \"eventName\": \"GetObject\",\n      \"awsRegion\": \"us-east-1\",\n      \"sourceIPAddress\": \"10.{}.{}.{}\",\n      \"userAgent\": \"aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.48.0\",\n      \"requestParameters\": {{\"bucketName\": \"example-bucket\", \"key\": \"data/2024/05/01/object-{i}.parquet\"}},\n      \"responseElements\": null,\n      \"requestID\": \"{i:016X}\",\n      \"eventID\": \"{i:08x}-0000-4000-8000-{i:012x}\",\n      \"readOnly\": true,\n      \"eventType\": \"AwsApiCall\",\n      \"recipientAccountId\": \"111122223333\"\n    }}",
        (i >> 16) & 255,
        (i >> 8) & 255,
        i & 255
    )
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("at least one run"))
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(100_000) as usize;
    let period = args.get(1).copied().unwrap_or(3600);
    let span = 24 * 3600i64;
    let records: Vec<String> = (0..n)
        .map(|i| record(i, T0 + (i as i64 * span) / n as i64))
        .collect();
    let input = format!("{{\"Records\":[\n    {}\n]}}\n", records.join(",\n    "));
    let record_bytes: usize = records.iter().map(String::len).sum();
    let mb = record_bytes as f64 / 1e6;
    println!(
        "{n} records, {:.1} MB of record bytes ({:.0} B/record), input file {:.1} MB, period {period} s",
        mb,
        record_bytes as f64 / n as f64,
        input.len() as f64 / 1e6
    );

    let (t_sha, _) = best_of(3, || {
        let mut acc = [0u8; 32];
        for r in &records {
            let h: [u8; 32] = Sha256::digest(r.as_bytes()).into();
            acc[0] ^= h[0];
        }
        black_box(acc)
    });

    let signer = Signer::ed25519("bench.example/log", &[5; 32]).expect("signer");
    let vkey = signer.verifier_key().to_string();
    let now = (T0 + span + 3600) as u64;
    let (t_seal, archive) = best_of(3, || {
        let options = SealOptions {
            period: Some(period),
            nonce: None,
            now,
        };
        let mut s = Sealer::new(signer.clone(), options).expect("sealer");
        s.add_file("bench.json", input.as_bytes()).expect("add");
        s.finish().expect("seal")
    });
    let framed: usize = archive
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("records/"))
        .map(|(_, b)| read_records(b).expect("frames").len())
        .sum();
    assert_eq!(framed, n);

    let verifiers = Verifiers::from_vkeys([vkey.as_str()]).expect("vkey");
    let (t_verify, verdict) = best_of(3, || {
        let mut v = ArchiveVerifier::new(VerifyOptions::new(verifiers.clone()));
        for (p, b) in &archive.files {
            v.add_bytes(p, b);
        }
        v.finish().verdict
    });
    assert_eq!(verdict, Verdict::Valid);

    let line = |name: &str, t: Duration| {
        let s = t.as_secs_f64();
        println!(
            "{name:<22} {:>8.1} ms  {:>8.1} MB/s  {:>10.0} records/s  {:>5.2}× raw SHA-256 time",
            s * 1e3,
            mb / s,
            n as f64 / s,
            s / t_sha.as_secs_f64()
        );
    };
    line("raw SHA-256", t_sha);
    line("seal (decode+sign)", t_seal);
    line("verify", t_verify);
    println!(
        "{} seals/checkpoints; archive {:.1} MB in {} files",
        archive.seals,
        archive.files.iter().map(|(_, b)| b.len()).sum::<usize>() as f64 / 1e6,
        archive.files.len()
    );
}
