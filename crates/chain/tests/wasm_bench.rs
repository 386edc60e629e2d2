//! In-browser benchmark of RSA-2048 verification (issue 12, goal 5: ≤ 150 µs per verify in
//! wasm): the old path (`rsa` 0.9's `RsaPublicKey::verify`) and the chain's
//! (`PublicKey::verify_sha256`, per-key Montgomery parameters), in the same run; the native
//! twin is `benches/small_files.rs`. It only runs when built with `TRAILPROOF_WASM_BENCH` set,
//! in release mode:
//!
//! ```text
//! TRAILPROOF_WASM_BENCH=1 CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=1200 \
//! WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/target/webdriver.json \
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//! cargo test -p trailproof-chain --release --target wasm32-unknown-unknown --test wasm_bench -- --nocapture
//! ```
//!
//! (The test runs synchronously for minutes: without the raised timeout the runner gives up
//! after 20 s; `--nocapture` shows the figures of a passing run.)
#![cfg(target_arch = "wasm32")]

use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};
use trailproof_chain::PublicKey;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).expect("performance");
    let now: js_sys::Function = js_sys::Reflect::get(&perf, &"now".into())
        .expect("now")
        .into();
    now.call0(&perf).expect("call").as_f64().unwrap_or(0.0)
}

#[wasm_bindgen_test]
fn rsa_verify() {
    if option_env!("TRAILPROOF_WASM_BENCH").is_none() {
        console_log!("wasm bench skipped: build with TRAILPROOF_WASM_BENCH=1 to run it");
        return;
    }
    let private = RsaPrivateKey::from_pkcs1_pem(include_str!(
        "../../../testdata/fixtures/synthetic_aws/TEST_ONLY_private_key.pem"
    ))
    .expect("fixture key");
    let public = private.to_public_key();
    let der = public.to_pkcs1_der().expect("encode").as_bytes().to_vec();
    // Messages shaped like a CloudTrail string-to-sign, each with its signature.
    let signed: Vec<(Vec<u8>, Vec<u8>)> = (0..32)
        .map(|i| {
            let msg = format!(
                "2024-05-01T{:02}:00:00Z\nexample-trail-bucket/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_demo_trail_us-east-1_20240501T{:02}0000Z.json.gz\n{}\nnull",
                i % 24,
                i % 24,
                hex::encode(Sha256::digest(i.to_string()))
            )
            .into_bytes();
            let sig = private
                .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&msg))
                .expect("sign");
            (msg, sig)
        })
        .collect();
    let t = now_ms();
    let reps = 200;
    for _ in 0..reps {
        std::hint::black_box(PublicKey::from_der(&der, "bench").expect("test key"));
    }
    let prep_us = (now_ms() - t) / reps as f64 * 1e3;
    let new = PublicKey::from_der(&der, "bench").expect("test key");
    let (mut old_ms, mut new_ms) = (f64::MAX, f64::MAX);
    let reps = 8;
    for _ in 0..3 {
        let t = now_ms();
        for _ in 0..reps {
            for (m, s) in &signed {
                let ok = public
                    .verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(m), s)
                    .is_ok();
                assert!(std::hint::black_box(ok));
            }
        }
        old_ms = old_ms.min(now_ms() - t);
        let t = now_ms();
        for _ in 0..reps {
            for (m, s) in &signed {
                assert!(std::hint::black_box(new.verify_sha256(m, s)));
            }
        }
        new_ms = new_ms.min(now_ms() - t);
    }
    let n = (reps * signed.len()) as f64;
    let (old_us, new_us) = (old_ms / n * 1e3, new_ms / n * 1e3);
    console_log!("wasm RSA-2048 verify, e = 65537, SHA-256 (best of 3 × {n} verifies):");
    console_log!("wasm   old path (rsa 0.9 RsaPublicKey::verify): {old_us:.1} µs");
    console_log!(
        "wasm   new path (PublicKey::verify_sha256): {new_us:.1} µs, {:.1}× faster",
        old_us / new_us
    );
    console_log!("wasm   key preparation, once per key: {prep_us:.1} µs");
}
