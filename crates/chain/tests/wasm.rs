//! The chain verifier compiled to wasm, run in headless Chromium by `cargo xtask test`:
//! the shared synthetic fixtures verify in the browser exactly as natively.
#![cfg(target_arch = "wasm32")]

use trailproof_chain::{verify_files, VerifyOptions};
use trailproof_core::report::{Reason, Status, Verdict};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

macro_rules! aws {
    ($name:literal) => {
        (
            $name,
            &include_bytes!(concat!("../../../testdata/fixtures/synthetic_aws/", $name))[..],
        )
    };
}

macro_rules! cts {
    ($name:literal) => {
        (
            $name,
            &include_bytes!(concat!("../../../testdata/fixtures/synthetic_cts/", $name))[..],
        )
    };
}

const LOG1: &str = "111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";

fn aws_set() -> Vec<(&'static str, &'static [u8])> {
    vec![
        aws!("111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T010000Z.json.gz"),
        aws!("111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T020000Z.json.gz"),
        aws!("111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T030000Z.json.gz"),
        aws!("111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T030000Z.json.gz.head-object.json"),
        aws!("111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz"),
        aws!("111122223333_CloudTrail_us-east-1_20240501T0215Z_QrStUvWxYz012345.json.gz"),
        aws!("list-public-keys.json"),
    ]
}

#[wasm_bindgen_test]
fn synthetic_aws_verifies_in_wasm() {
    let r = verify_files(aws_set(), VerifyOptions::default());
    assert_eq!(r.verdict, Verdict::Valid);
    assert_eq!(r.items.len(), 5);
}

#[wasm_bindgen_test]
fn tampered_log_is_caught_in_wasm() {
    let tampered = &include_bytes!(
        "../../../testdata/fixtures/synthetic_aws/negative/tampered_111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz"
    )[..];
    let files: Vec<_> = aws_set()
        .into_iter()
        .map(|(n, b)| if n == LOG1 { (n, tampered) } else { (n, b) })
        .collect();
    let r = verify_files(files, VerifyOptions::default());
    assert_eq!(r.verdict, Verdict::Invalid);
    let i = r.items.iter().find(|i| i.path == LOG1).unwrap();
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::HashMismatch))
    );
}

#[wasm_bindgen_test]
fn tampered_copy_under_its_own_name_is_not_listed_in_wasm() {
    const TAMPERED: &str =
        "tampered_111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
    let tampered = &include_bytes!(
        "../../../testdata/fixtures/synthetic_aws/negative/tampered_111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz"
    )[..];
    let mut files = aws_set();
    files.push((TAMPERED, tampered));
    let r = verify_files(files, VerifyOptions::default());
    assert_eq!(r.verdict, Verdict::Invalid);
    let i = r.items.iter().find(|i| i.path == TAMPERED).unwrap();
    assert_eq!(
        (i.status, i.reason),
        (Status::Invalid, Some(Reason::NotListed))
    );
}

#[wasm_bindgen_test]
fn synthetic_cts_verifies_in_wasm() {
    let files = vec![
        cts!("mylog_CloudTrace-Digest_eu-de_2024-05-01T01-00-00Z.json.gz"),
        cts!("mylog_CloudTrace-Digest_eu-de_2024-05-01T02-00-00Z.json.gz"),
        cts!("mylog_CloudTrace-Digest_eu-de_2024-05-01T02-00-00Z.json.gz.metadata.json"),
        cts!("mylog_CloudTrace_eu-de_2024-05-01T01-05-00Z_0faa86bc40071242.json.gz"),
        cts!("TEST_ONLY_public_key_spki.b64"),
    ];
    let r = verify_files(files, VerifyOptions::default());
    assert_eq!(r.verdict, Verdict::Valid);
    assert_eq!(r.items.len(), 3);
}
