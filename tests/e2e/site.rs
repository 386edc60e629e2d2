//! End-to-end tests of the built site (`dist/`) in headless Chromium through WebDriver: drop
//! and pick files, hashing in the worker, progress, cancel, and that nothing leaves the browser.
//! The harness is in `harness.rs`.

mod harness;

use std::time::Duration;

use harness::{artifacts, fixtures, Harness};

/// Waits for the load to finish and `n` input hashes in the Inputs tab; returns that table's
/// text.
async fn inputs_with_hashes(h: &Harness, n: usize) -> String {
    h.wait_for(
        "loading to finish",
        "return !!document.querySelector('#summary');",
    )
    .await;
    h.tab("inputs").await;
    h.wait_for(
        &format!("{n} input hashes"),
        &format!("return document.querySelectorAll('#files td.hash code').length === {n}"),
    )
    .await;
    let text = h
        .js("return document.querySelector('#files').innerText;")
        .await;
    text.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
#[ignore = "needs the built site and Chromium: run through `cargo xtask test`"]
async fn dropped_files_are_hashed_in_the_worker_and_nothing_leaves_the_browser() {
    let h = Harness::start().await;
    h.open().await;

    // The page carries the strict policy, with no 'unsafe-inline' for scripts.
    let csp = h.js("return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content;").await;
    let csp = csp.as_str().unwrap_or_default().to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("TRAILPROOF_CSP"),
        "{csp}"
    );

    let dir = fixtures();
    let files = [
        dir.join("111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz"),
        dir.join("cts_trace_example_evs_deleteVolume_otcdocs.json"),
    ];
    h.drop_files(&files).await;
    let text = inputs_with_hashes(&h, 2).await;
    h.tab("verification").await;
    h.screenshot("verification").await;
    h.tab("inputs").await;
    // SHA-256 of the stored bytes, computed independently (sha256sum).
    assert!(
        text.contains("f5dc17a773ace6e3da8ee6107be8249fa5b61660f6968a8645895589ec2c475c"),
        "{text}"
    );
    assert!(
        text.contains("a40f13177f60ae69b1b64479da080eb6f6bb794896cfca227fb19cfdc5feba56"),
        "{text}"
    );
    assert!(
        text.contains("cts_trace_example_evs_deleteVolume_otcdocs.json"),
        "{text}"
    );
    h.screenshot("hash").await;

    h.assert_no_outside_requests().await;
    h.close().await;
}

#[tokio::test]
#[ignore = "needs the built site and Chromium: run through `cargo xtask test`"]
async fn picker_hashes_too_progress_advances_main_thread_stays_free_and_cancel_stops() {
    let h = Harness::start().await;
    h.open().await;

    // The file picker path, with a known vector.
    let small = artifacts().join("abc.txt");
    std::fs::write(&small, b"abc").unwrap();
    h.pick("#pick-files", &small).await;
    let text = inputs_with_hashes(&h, 1).await;
    assert!(text.contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));

    // A large sparse file: the worker needs seconds, so progress and cancel can be observed.
    let big = artifacts().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    // Probe the main thread: a 10 ms timer must keep firing while the worker hashes.
    h.js("window.__gaps = []; let last = performance.now(); window.__probe = setInterval(() => { \
          const now = performance.now(); window.__gaps.push(now - last); last = now; }, 10); return true;")
        .await;
    h.pick("#pick-files", &big).await;
    h.wait_for(
        "progress to advance",
        "const p = document.querySelector('#progress'); return !!p && p.value > 1;",
    )
    .await;
    let first = h
        .js("return document.querySelector('#progress').value;")
        .await
        .as_f64()
        .unwrap_or(0.0);
    h.wait_for(
        "progress to advance further",
        &format!("return document.querySelector('#progress').value > {first};"),
    )
    .await;
    h.screenshot("progress").await;
    h.click("#cancel").await;
    h.tab("inputs").await;
    h.wait_for(
        "the cancelled row",
        "return document.querySelector('#files').innerText.includes('cancelled');",
    )
    .await;
    let max_gap = h
        .js("clearInterval(window.__probe); return Math.max(...window.__gaps);")
        .await
        .as_f64()
        .unwrap();
    assert!(
        max_gap < 250.0,
        "main thread blocked for {max_gap} ms while the worker hashed"
    );
    // No result arrives for the cancelled job.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hashes = h
        .js("return document.querySelectorAll('#files td.hash code').length;")
        .await;
    assert_eq!(hashes.as_u64(), Some(0));
    let _ = std::fs::remove_file(&big);
    h.close().await;
}

/// Inputs bigger than one read slice (4 MiB) are hashed by the load's own reads: a plain log
/// read front to back, and a stored zip whose central directory the walk reads first and whose
/// entries follow, the hash finished at the end. The Inputs tab shows each input's SHA-256,
/// which must be that of the bytes on disk. The zip is big enough to be cut into ranges of its
/// entries, one run each on the load workers (the range from the first entry hashes it): its
/// entries are read once each, in order, with their events.
#[tokio::test]
#[ignore = "needs the built site and Chromium: run through `cargo xtask test`"]
async fn big_inputs_are_hashed_by_the_loads_own_reads() {
    use sha2::{Digest, Sha256};
    let dir = artifacts().join("big-inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let log = harness::cloudtrail_records(0..10_000).into_bytes();
    assert!(log.len() > 6 << 20, "{} bytes", log.len());
    let plain = dir.join("111122223333_CloudTrail_us-east-1_20240501T0000Z_big.json");
    std::fs::write(&plain, &log).unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let entries = [
        (
            "a/111122223333_CloudTrail_us-east-1_20240501T0100Z_1.json",
            0..5_000,
        ),
        ("b/2.json", 5_000..10_000),
        ("c/3.json", 10_000..12_000),
    ];
    for (name, records) in entries.clone() {
        zip.start_file(name, stored).unwrap();
        std::io::Write::write_all(&mut zip, harness::cloudtrail_records(records).as_bytes())
            .unwrap();
    }
    let zipped = dir.join("export.zip");
    std::fs::write(&zipped, zip.finish().unwrap().into_inner()).unwrap();
    let want: Vec<String> = [&plain, &zipped]
        .iter()
        .map(|p| hex::encode(Sha256::digest(std::fs::read(p).unwrap())))
        .collect();

    let h = Harness::start().await;
    h.open().await;
    h.drop_files(&[plain.clone(), zipped.clone()]).await;
    let text = inputs_with_hashes(&h, 2).await;
    for sha in &want {
        assert!(text.contains(sha.as_str()), "{sha} in {text}");
    }
    // The plain log in one run, the zip in one run per entry.
    let timings = h.worker_timings().await;
    assert!(timings.contains("(4 runs on "), "{timings}");
    let events = h
        .js("return document.querySelector('#event-count').innerText;")
        .await;
    assert_eq!(events.as_str(), Some("12,000"), "{timings}");
    let rows = h
        .js("return [...document.querySelectorAll('#entries tbody tr')].map(r => \
             r.querySelector('td.path span').title + ' ' + r.querySelectorAll('td.num')[1].innerText);")
        .await;
    let rows: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    let mut expected = vec![format!(
        "{} 10,000",
        plain.file_name().unwrap().to_string_lossy()
    )];
    for (name, records) in entries {
        let n = records.end - records.start;
        expected.push(format!("export.zip/{name} {},{:03}", n / 1000, n % 1000));
    }
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    assert_eq!(rows, expected);
    h.assert_no_outside_requests().await;
    h.close().await;
}

/// A folder of more files than one message hands the worker (the page sends them 256 a
/// message, the engine starts its load workers on the first ones while the rest arrive): every
/// file is loaded once, in order, and hashed.
#[tokio::test]
#[ignore = "needs the built site and Chromium: run through `cargo xtask test`"]
async fn a_folder_of_many_files_is_loaded_while_its_files_arrive() {
    let files: u64 = 700;
    let dir = artifacts().join("many-files");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in 0..files {
        let name = format!(
            "111122223333_CloudTrail_us-east-1_20240501T{:02}{:02}Z_f{f:04}.json",
            f / 12 % 24,
            f % 12 * 5
        );
        std::fs::write(
            dir.join(name),
            harness::cloudtrail_records(f * 2..f * 2 + 2),
        )
        .unwrap();
    }
    let h = Harness::start().await;
    h.open().await;
    h.pick("#pick-folder", &dir).await;
    h.wait_for(
        "loading to finish",
        "return !!document.querySelector('#summary') && !document.querySelector('#progress');",
    )
    .await;
    let events = h
        .js("return document.querySelector('#event-count').innerText;")
        .await;
    assert_eq!(events.as_str(), Some("1,400"), "every file's two events");
    h.tab("inputs").await;
    h.wait_for(
        "the first 200 of 700 inputs hashed",
        "return document.querySelectorAll('#files td.hash code').length === 200 \
         && document.body.innerText.includes('of 700');",
    )
    .await;
    // Every file is in, hashed (the table grows 200 rows a click).
    h.wait_for(
        "every input hashed",
        "const more = document.querySelector('#files-more-button'); if (more) more.click(); \
         return document.querySelectorAll('#files td.hash code').length === 700;",
    )
    .await;
    let table = h
        .js("return document.querySelector('#files').innerText;")
        .await;
    let table = table.as_str().unwrap_or_default();
    for f in 0..files {
        assert!(
            table.contains(&format!("_f{f:04}.json")),
            "file {f} missing"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    h.close().await;
}
