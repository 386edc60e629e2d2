//! Sealed archives in the browser (wasm32): seal in memory with a fixed seed, verify with the
//! files in container order, prove one record, catch a tampered byte. Inline data only.
#![cfg(target_arch = "wasm32")]

use trailproof_archive::frame::read_records;
use trailproof_archive::{verify_proof, ArchiveVerifier, SealOptions, Sealer, VerifyOptions};
use trailproof_core::report::{Reason, Verdict};
use trailproof_tlog::note::{Signer, Verifiers};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const ORIGIN: &str = "audit.example.com/acme/prod";

const CLOUDTRAIL: &[u8] = br#"{"Records":[
  {"eventVersion":"1.09","eventTime":"2024-05-01T00:01:10Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","userName":"alice"},"eventID":"ev-1"},
  {
    "eventVersion": "1.09",
    "eventTime": "2024-05-01T02:03:42Z",
    "eventSource": "s3.amazonaws.com",
    "eventName": "PutBucketPolicy",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "10.1.2.3",
    "userIdentity": {"type": "IAMUser", "userName": "bob"},
    "eventID": "ev-2"
  }
]}"#;

fn seal() -> Vec<(String, Vec<u8>)> {
    let signer = Signer::ed25519(ORIGIN, &[42; 32]).unwrap();
    let options = SealOptions {
        period: Some(3600),
        nonce: Some("browser-1".into()),
        now: 1714540000,
    };
    let mut sealer = Sealer::new(signer, options).unwrap();
    sealer.add_file("trail.json", CLOUDTRAIL).unwrap();
    sealer.finish().unwrap().files
}

fn options() -> VerifyOptions {
    let vkey = Signer::ed25519(ORIGIN, &[42; 32])
        .unwrap()
        .verifier_key()
        .to_string();
    let mut o = VerifyOptions::new(Verifiers::from_vkeys([vkey.as_str()]).unwrap());
    o.nonce = Some("browser-1".into());
    o
}

#[wasm_bindgen_test]
fn seal_verify_prove_in_the_browser() {
    let files = seal();
    let mut v = ArchiveVerifier::new(options());
    // Zip order is arbitrary: feed the files back to front.
    for (path, bytes) in files.iter().rev() {
        v.add_bytes(&format!("dropped/{path}"), bytes);
    }
    let verification = v.finish_detailed();
    assert_eq!(verification.report.verdict, Verdict::Valid);
    // Seals at 01:00, 02:00 (hour 1 is silent) and 03:00, then the export seal.
    assert_eq!(verification.seals.len(), 4);

    let (path, n) = verification.locate(0).unwrap();
    let path = path.trim_start_matches("dropped/");
    let file = &files.iter().find(|(p, _)| p == path).unwrap().1;
    let record = read_records(file).unwrap()[n as usize];
    let bundle = verification.prove(0, record).unwrap();
    let proved = verify_proof(&bundle, &options().verifiers, None).unwrap();
    assert_eq!(proved.record, record);
}

#[wasm_bindgen_test]
fn tampered_byte_names_the_first_failing_checkpoint() {
    let mut files = seal();
    let (_, bytes) = files
        .iter_mut()
        .find(|(p, _)| p.starts_with("records/"))
        .unwrap();
    let at = bytes.len() - 4;
    bytes[at] ^= 1;
    let mut v = ArchiveVerifier::new(options());
    for (path, bytes) in &files {
        v.add_bytes(path, bytes);
    }
    let verification = v.finish_detailed();
    assert_eq!(verification.report.verdict, Verdict::Invalid);
    assert_eq!(verification.first_failure.unwrap().checkpoint, 0);
    assert!(verification
        .report
        .items
        .iter()
        .any(|i| i.reason == Some(Reason::RootMismatch)));
}
