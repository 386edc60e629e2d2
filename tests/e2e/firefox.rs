//! End-to-end in Firefox ESR (headless, through geckodriver): the core flows run there too.
//! A drop of the bundled sample export (`dist/sample.zip`), its verification, a query in the
//! Timeline, and the auditor report naming the requirement the auditor chose; the footer's
//! build identity and the service worker; nothing leaves the machine (every request for
//! another host goes to the harness's proxy trap).

mod harness;

use harness::{dist, Harness};

#[tokio::test]
#[ignore = "needs the built site, Firefox ESR and geckodriver: run through `cargo xtask test`"]
async fn drop_verify_query_and_report_in_firefox() {
    let h = Harness::start_firefox().await;
    h.open().await;
    let ua = h.js("return navigator.userAgent;").await;
    assert!(
        ua.as_str().unwrap_or_default().contains("Firefox/"),
        "not Firefox: {ua}"
    );

    // Drop: the sample export as one zip file, walked by the worker like any container.
    h.drop_files(&[harness::canonical(&dist().join("sample.zip"))])
        .await;
    h.wait_for(
        "the load's summary",
        "return !!document.querySelector('#summary');",
    )
    .await;

    // Verify: both chains (CloudTrail, CTS) and every file valid, the events counted.
    h.tab("verification").await;
    let chains = h
        .js("return document.querySelectorAll('#verification .chain').length;")
        .await;
    assert_eq!(chains.as_u64(), Some(2));
    let rows = h
        .strings("return [...document.querySelectorAll('#items tbody tr')].map(r => r.className);")
        .await;
    assert_eq!(rows.len(), 8, "5 digests and 3 log files: {rows:?}");
    assert!(rows.iter().all(|c| *c == "valid"), "{rows:?}");
    let events = h
        .js("return document.querySelector('#event-count').innerText;")
        .await;
    assert_eq!(events.as_str(), Some("51"));
    h.screenshot("firefox-verification").await;

    // Query: the worker filters, and the virtualized table shows the matching rows.
    h.tab("timeline").await;
    h.wait_for(
        "every event counted",
        "const c = document.querySelector('#match-count'); \
         return !!c && c.innerText === '51 of 51 events' && !c.classList.contains('busy');",
    )
    .await;
    h.js("const i = document.querySelector('#query'); i.focus(); i.value = 'provider:huawei'; \
          i.dispatchEvent(new InputEvent('input', {bubbles: true})); i.form.requestSubmit(); return true;")
        .await;
    h.wait_for(
        "the query's count",
        "const c = document.querySelector('#match-count'); \
         return !!c && /^[1-9][0-9]* of 51 events$/.test(c.innerText) && c.innerText !== '51 of 51 events' \
         && !c.classList.contains('busy');",
    )
    .await;
    h.wait_for(
        "matching rows on screen",
        "const r = [...document.querySelectorAll('#event-scroll .vt-row')]; \
         return r.length > 0 && r.every(x => x.classList.contains('event'));",
    )
    .await;
    let providers = h
        .strings("return [...document.querySelectorAll('#event-scroll .vt-row.event')].map(r => r.innerText);")
        .await;
    assert!(
        !providers.is_empty() && providers.iter().all(|r| r.contains("huawei")),
        "{providers:?}"
    );
    h.screenshot("firefox-timeline").await;

    // Report: choose the requirement that applies, download the report, and it says so.
    h.tab("compliance").await;
    h.click("#req-pci").await;
    h.wait_for(
        "the chosen requirement's verdict",
        "const c = document.querySelector('#chosen-requirement'); return !!c && c.innerText.includes('PCI DSS');",
    )
    .await;
    h.capture_downloads().await;
    h.click("#report-html").await;
    let html = h.download_text(0).await;
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "{}",
        &html[..html.len().min(200)]
    );
    assert!(
        html.contains("as chosen by the auditor: <b>PCI DSS v4 10.5.1"),
        "the report names the chosen requirement"
    );
    assert!(html.contains("Keys used (2)"), "the report lists the keys");
    h.screenshot("firefox-compliance").await;

    // The rest of the page works here too: the footer measured the binaries it runs without
    // a problem (three: the page, the engine worker and the load worker), and the service
    // worker (offline reopening) controls the page.
    h.wait_for(
        "the footer to measure the binaries",
        "const f = document.querySelector('#build'); return !!f && f.dataset.state === 'measured' \
         && f.querySelectorAll('code.sha256').length === 3 && !f.querySelector('.error');",
    )
    .await;
    h.wait_for(
        "the service worker to control the page",
        "const c = navigator.serviceWorker.controller; return !!c && c.state === 'activated';",
    )
    .await;

    h.assert_no_outside_requests().await;
    h.close().await;
}
