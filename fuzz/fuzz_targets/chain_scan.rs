//! Any bytes as a CloudTrail/CTS digest, log, key file or signature sidecar, then verification.
#![no_main]
use trailproof_chain::{scan, ScanLimits, Verifier, VerifyOptions};

const NAMES: &[&str] = &[
    "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240501T010000Z.json.gz",
    "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz",
    "CloudTraces/eu-de/2024/5/1/t/Digest/EVS/p_CloudTrace-Digest_eu-de_2024-05-01T01-00-00Z.json.gz",
    "keys.json",
    "x.json.gz.head-object.json",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut verifier = Verifier::new(VerifyOptions::default());
    for name in NAMES {
        let scanned = scan(name, &mut &data[..], &ScanLimits::default());
        verifier.add(scanned);
    }
    let _ = verifier.add_keys("keys", data);
    let report = verifier.finish();
    // The verdict is always derived from the items, never claimed.
    let again = trailproof_core::report::Verdict::from_statuses(report.items.iter().map(|i| i.status));
    assert_eq!(report.verdict, again);
});
