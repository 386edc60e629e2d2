//! End-to-end: a Trailproof sealed archive (sealed here with the archive crate and a fixed
//! test key) is verified in the browser from a dropped zip and verifier-key file; a single
//! changed byte in one record is caught and located; the truncation limit is stated.

mod harness;

use std::io::Write;
use std::path::{Path, PathBuf};

use fantoccini::key::Key;
use harness::{artifacts, workspace, Harness};
use trailproof_archive::{SealOptions, Sealer};
use trailproof_tlog::note::Signer;

const ORIGIN: &str = "audit.example.com/e2e";

/// Seals the sample's ActionTrail events hourly; returns the archive files and the vkey line.
fn seal() -> (Vec<(String, Vec<u8>)>, String) {
    let dir =
        workspace().join("web/sample/actiontrail/AliyunLogs/Actiontrail/cn-hangzhou/2024/05/01");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let signer = Signer::ed25519(ORIGIN, &[7u8; 32]).unwrap();
    let vkey = signer.verifier_key().to_string();
    let options = SealOptions {
        period: Some(3600),
        nonce: None,
        now: 1_714_600_000,
    };
    let mut sealer = Sealer::new(signer, options).unwrap();
    sealer
        .add_file("actiontrail.json.gz", &std::fs::read(file).unwrap())
        .unwrap();
    (sealer.finish().unwrap().files, vkey)
}

fn write_zip(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in files {
        zip.start_file(
            format!("sealed/{name}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn prepare() -> (PathBuf, PathBuf, PathBuf) {
    let (files, vkey) = seal();
    let good = artifacts().join("sealed.zip");
    write_zip(&good, &files);
    // One byte of one record changed: "DescribeInstances" → "describeInstances" or similar.
    let mut tampered = files.clone();
    let (_, records) = tampered
        .iter_mut()
        .find(|(n, b)| n.starts_with("records/") && b.contains(&b'"'))
        .unwrap();
    let at = records
        .windows(11)
        .position(|w| w == b"\"eventName\"")
        .unwrap()
        + 14;
    records[at] ^= 0x20;
    let bad = artifacts().join("sealed-tampered.zip");
    write_zip(&bad, &tampered);
    let key = artifacts().join("audit.vkey");
    std::fs::write(&key, format!("{vkey}\n")).unwrap();
    (good, bad, key)
}

#[tokio::test]
#[ignore = "needs the built site and Chromium: run through `cargo xtask test`"]
async fn sealed_archive_verifies_tampering_is_located_and_truncation_limit_is_stated() {
    let (good, bad, key) = prepare();
    let h = Harness::start().await;
    h.open().await;

    h.drop_files(&[good, key.clone()]).await;
    h.wait_for(
        "the archive to load",
        "return !!document.querySelector('#summary');",
    )
    .await;
    // Green needs the worker's coverage block saying every record is verified (without it
    // the badge reads "Chains valid").
    let verdict = h
        .js("return document.querySelector('#verdict').innerText;")
        .await;
    assert_eq!(verdict.as_str(), Some("Verified"));
    h.tab("verification").await;
    let sealed = h
        .js("return document.querySelector('#sealed').innerText;")
        .await;
    let sealed = sealed.as_str().unwrap_or_default().to_owned();
    assert!(sealed.contains(ORIGIN), "{sealed}");
    assert!(
        sealed.contains("Tail truncation is not detectable"),
        "the limit must be stated: {sealed}"
    );
    let events = h
        .js("return document.querySelector('#event-count').innerText;")
        .await;
    assert_eq!(
        events.as_str(),
        Some("47"),
        "the sealed records are indexed as events"
    );
    h.screenshot("sealed-valid").await;

    // Export one event's inclusion proof from its detail pane, keeping the Blob.
    h.tab("timeline").await;
    h.wait_for(
        "the rows",
        "return document.querySelectorAll('#events [role=row], #events tr').length > 1;",
    )
    .await;
    h.capture_downloads().await;
    h.js("document.activeElement && document.activeElement.blur(); return true;")
        .await;
    h.press("j").await;
    h.press(&String::from(char::from(Key::Enter))).await;
    h.wait_for(
        "the export button",
        "return !!document.querySelector('#export-proof');",
    )
    .await;
    h.click("#export-proof").await;
    let proof = h.download_text(0).await;
    assert!(proof.starts_with("c2sp.org/tlog-proof@v1\n"), "{proof}");
    let proof_path = artifacts().join("event.proof");
    std::fs::write(&proof_path, &proof).unwrap();
    // The same proof claiming another leaf index must not verify.
    let forged_path = artifacts().join("forged.proof");
    std::fs::write(&forged_path, proof.replacen("index ", "index 1", 1)).unwrap();

    h.drop_files(&[proof_path, forged_path, key.clone()]).await;
    h.tab("verification").await;
    h.wait_for(
        "the proofs",
        "return document.querySelectorAll('#proofs li').length === 2;",
    )
    .await;
    let proofs = h
        .strings("return [...document.querySelectorAll('#proofs li')].map(l => l.innerText);")
        .await;
    assert_eq!(proofs.len(), 2, "{proofs:?}");
    assert!(
        proofs
            .iter()
            .any(|p| p.starts_with("valid") && p.contains("event.proof")),
        "{proofs:?}"
    );
    assert!(
        proofs
            .iter()
            .any(|p| p.starts_with("invalid") && p.contains("forged.proof")),
        "{proofs:?}"
    );
    h.screenshot("sealed-proofs").await;

    h.drop_files(&[bad, key]).await;
    h.wait_for(
        "the tampered archive to load",
        "const v = document.querySelector('#verdict'); return !!v && v.innerText.startsWith('Tampering or loss detected');",
    )
    .await;
    h.tab("verification").await;
    let failure = h
        .js("const f = document.querySelector('#first-failure'); return f ? f.innerText : '';")
        .await;
    assert!(
        failure.as_str().unwrap_or_default().contains("Checkpoint"),
        "the failing range is named: {failure}"
    );
    h.screenshot("sealed-tampered").await;
    h.assert_no_outside_requests().await;
    h.close().await;
}
