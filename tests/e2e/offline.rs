//! End-to-end: the site served from a sub-path (`/tools/trailproof/`) works, states which
//! build it is (footer and auditor report: version, commit and the SHA-256 of the wasm
//! binaries, equal to the files served), and once loaded reopens with the server gone.

mod harness;

use harness::{dist, Harness, Value};
use sha2::{Digest, Sha256};

const PREFIX: &str = "/tools/trailproof/";

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The SHA-256 of every wasm file of the built site, computed here from the files on disk.
fn served_wasm() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dist())
        .expect("read dist")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, sha256_hex(&std::fs::read(&p).unwrap()))
        })
        .collect();
    out.sort();
    out
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(dist().join("build.json")).expect("dist/build.json");
    serde_json::from_str(&text).expect("build.json is JSON")
}

/// What the footer states, once it has measured the binaries.
async fn footer(h: &Harness) -> Value {
    h.wait_for(
        "the footer to measure the binaries",
        "const f = document.querySelector('#build'); return !!f && f.dataset.state === 'measured';",
    )
    .await;
    h.js("const f = document.querySelector('#build'); return { \
          version: f.querySelector('#build-version').innerText, \
          commit: f.querySelector('#build-commit').innerText, \
          binaries: [...f.querySelectorAll('code.sha256')].map(c => [c.dataset.file, c.innerText]).sort(), \
          problems: [...f.querySelectorAll('.error')].map(p => p.innerText) };")
        .await
}

fn assert_footer_states_the_build(footer: &Value, wasm: &[(String, String)], manifest: &Value) {
    assert_eq!(footer["version"], manifest["version"], "{footer}");
    assert_eq!(footer["commit"], manifest["commit"], "{footer}");
    assert_eq!(footer["problems"], Value::Array(vec![]), "{footer}");
    let binaries: Vec<(String, String)> = footer["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b[0].as_str().unwrap().into(), b[1].as_str().unwrap().into()))
        .collect();
    assert_eq!(binaries, wasm, "the footer's hashes are the served files'");
}

async fn open_sample_verified(h: &Harness) {
    h.open_sample().await;
    h.tab("verification").await;
    let chains = h
        .js("return document.querySelectorAll('#verification .chain').length;")
        .await;
    assert_eq!(chains.as_u64(), Some(2), "both sample chains verified");
}

/// Downloads the HTML auditor report (download number `n`) and checks that it states the
/// build: the commit and every binary with its hash.
async fn assert_report_states_the_build(
    h: &Harness,
    n: usize,
    wasm: &[(String, String)],
    commit: &str,
) {
    h.tab("compliance").await;
    h.capture_downloads().await;
    h.click("#report-html").await;
    let html = h.download_text(n).await;
    let footer = &html[html.find("<footer>").expect("report footer")..];
    assert!(
        footer.contains(&format!("<code class=\"commit\">{commit}</code>")),
        "{footer}"
    );
    for (name, sha) in wasm {
        assert!(
            footer.contains(&format!("data-file=\"{name}\">{sha}</code>")),
            "{name} {sha} in {footer}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the built site and Chromium: run through `cargo xtask test`"]
async fn from_a_sub_path_the_build_is_stated_and_the_page_reopens_offline() {
    let mut h = Harness::start_at(PREFIX).await;
    h.open().await;
    let wasm = served_wasm();
    assert_eq!(
        wasm.len(),
        3,
        "the page's, the engine worker's and the load worker's binaries: {wasm:?}"
    );
    let manifest = manifest();
    let commit = manifest["commit"].as_str().unwrap().to_owned();
    assert!(
        commit == "unknown" || commit.len() >= 40,
        "build.json commit: {commit}"
    );
    assert_footer_states_the_build(&footer(&h).await, &wasm, &manifest);

    // Relative URLs everywhere: the manifest, the service worker's scope.
    let manifest_link = h
        .js("return document.querySelector('link[rel=manifest]').href;")
        .await;
    assert_eq!(
        manifest_link.as_str(),
        Some(format!("{}manifest.webmanifest", h.server.base()).as_str())
    );

    open_sample_verified(&h).await;
    assert_report_states_the_build(&h, 0, &wasm, &commit).await;

    h.wait_for(
        "the service worker to control the page",
        "const c = navigator.serviceWorker.controller; return !!c && c.state === 'activated';",
    )
    .await;
    h.js("navigator.serviceWorker.getRegistration().then(r => window.__scope = r.scope); return true;")
        .await;
    h.wait_for(
        "the registration",
        "return typeof window.__scope === 'string';",
    )
    .await;
    assert_eq!(
        h.js("return window.__scope;").await.as_str(),
        Some(h.server.base().as_str())
    );
    // Everything the browser asked the server for lies under the sub-path.
    let served = h.server.requests();
    assert!(
        served.iter().all(|p| p.starts_with(PREFIX)),
        "requests outside {PREFIX}: {served:?}"
    );
    h.assert_no_outside_requests().await;
    h.screenshot("offline-before").await;

    // The review room has no network: the server is gone, the page reopens from the cache.
    h.server.stop();
    h.client().refresh().await.expect("reload");
    h.wait_for(
        "the app to render without the server",
        "return !!document.querySelector('#dropzone');",
    )
    .await;
    assert_footer_states_the_build(&footer(&h).await, &wasm, &manifest);
    open_sample_verified(&h).await;
    assert_report_states_the_build(&h, 0, &wasm, &commit).await;
    h.screenshot("offline-after").await;
    h.close().await;
}
