//! A real static-CT checkpoint with four witness cosignatures, checked against keys published
//! independently of it: proves the type-0x04 message layout and the "same name, other key ID"
//! rule on real data, not only on our own signatures.
//!
//! Data: the arche2025h1 checkpoint in florolf/tlog-scales @ 92102757 `tests/test_signing.py`
//! (Apache-2.0), the same checkpoint the reference's `arche-*` vectors describe; vkeys as listed
//! in `testdata/vectors/signed-note/vkeys.json`, plus the little-garden witness key from the
//! transparency-dev witness network lists.

use trailproof_tlog::checkpoint;
use trailproof_tlog::error::{CheckpointPolicy, Error};
use trailproof_tlog::note::{KeyType, Note, SignatureStatus, Verifiers};

const ORIGIN: &str = "arche2025h1.staging.ct.transparency.dev";

const CHECKPOINT: &str = "arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

\u{2014} arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
\u{2014} arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
\u{2014} transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
\u{2014} witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
\u{2014} remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
\u{2014} witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
";

const LOG_KEY: &str =
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f";
const WITNESSES: [&str; 4] = [
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
];
/// 0x6a122120: the time all four witnesses stated.
const COSIGNED_AT: u64 = 1_779_573_024;

#[test]
fn log_signature_and_four_cosignatures_verify() {
    let all = Verifiers::from_vkeys(std::iter::once(LOG_KEY).chain(WITNESSES)).unwrap();
    let ok = checkpoint::open(CHECKPOINT.as_bytes(), ORIGIN, &all).unwrap();
    assert_eq!(ok.checkpoint.size, 1_432_088_532);
    let statuses: Vec<SignatureStatus> = ok.report.signatures.iter().map(|s| s.status).collect();
    let cosig = SignatureStatus::Verified {
        key_type: KeyType::Cosignature,
        timestamp: Some(COSIGNED_AT),
    };
    assert_eq!(
        statuses,
        vec![
            // The RFC 6962 TreeHeadSignature line (type 0x05) shares the log's name but not
            // its key ID: ignored, never a failure.
            SignatureStatus::Unknown,
            SignatureStatus::Verified {
                key_type: KeyType::Ed25519,
                timestamp: None
            },
            cosig,
            cosig,
            cosig,
            cosig,
        ]
    );
}

#[test]
fn cosignatures_alone_do_not_authenticate() {
    let witnesses = Verifiers::from_vkeys(WITNESSES).unwrap();
    // As a plain note it verifies (four trusted cosignatures)...
    let note = Note::parse(CHECKPOINT.as_bytes()).unwrap();
    assert!(note.verify(&witnesses).is_ok());
    // ...but not as a checkpoint of the log.
    assert_eq!(
        checkpoint::open(CHECKPOINT.as_bytes(), ORIGIN, &witnesses).unwrap_err(),
        Error::CheckpointPolicy(CheckpointPolicy::NoLogSignature)
    );
}

#[test]
fn changed_size_or_timestamp_fails() {
    let all = Verifiers::from_vkeys(std::iter::once(LOG_KEY).chain(WITNESSES)).unwrap();
    let bigger = CHECKPOINT.replacen("1432088532", "1432088533", 1);
    assert!(matches!(
        checkpoint::open(bigger.as_bytes(), ORIGIN, &all),
        Err(Error::SignatureFailed { .. })
    ));
    // remora's cosignature with its timestamp + 1 s (base64 "EiEg" → "EiEh": 0x…2120 → 0x…2121).
    let later = CHECKPOINT.replacen("2net5wAAAABqEiEgPlf", "2net5wAAAABqEiEhPlf", 1);
    assert_ne!(later, CHECKPOINT);
    match checkpoint::open(later.as_bytes(), ORIGIN, &all) {
        Err(Error::SignatureFailed { name, .. }) => assert_eq!(name, "remora.n621.de"),
        other => panic!("expected remora's cosignature to fail, got {other:?}"),
    }
    // With only the log trusted, the altered cosignature is just an unknown line.
    let log_only = Verifiers::from_vkeys([LOG_KEY]).unwrap();
    assert!(checkpoint::open(later.as_bytes(), ORIGIN, &log_only).is_ok());
}
