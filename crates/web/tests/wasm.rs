//! The browser's own SHA-256 (`crypto.subtle`), run in headless Chromium by `cargo xtask test`:
//! it gives the digests the `sha2` crate gives, and a run whose logs it hashes loads exactly
//! what a run that hashes them in wasm loads.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::io::{Cursor, Write};
use std::rc::Rc;

use trailproof_core::hash::FileHasher;
use trailproof_web::engine::{Input, Progress, Tick, Timings};
use trailproof_web::run::{Run, RunLoader, HOLD_BYTES};
use trailproof_web::subtle::{digest, Digests, LogDigests, Subtle};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn sha2(bytes: &[u8]) -> [u8; 32] {
    let mut h = FileHasher::new();
    h.update(bytes);
    h.finish().sha256
}

/// Bytes that do not repeat with any short period.
fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[wasm_bindgen_test]
async fn the_browsers_sha256_is_sha256() {
    // The test page is served from 127.0.0.1, a secure context: the browser path is taken.
    let subtle = Subtle::get().expect("crypto.subtle in a secure context");
    let abc = digest(subtle.sha256(b"abc").unwrap()).await.unwrap();
    assert_eq!(
        hex(&abc),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    // Around the block and padding boundaries, and a multi-megabyte log's size.
    let data = noise(5 << 20);
    for n in [0, 1, 55, 56, 63, 64, 65, 119, 120, 4095, 65_537, 5 << 20] {
        let bytes = &data[..n];
        let native = digest(subtle.sha256(bytes).unwrap()).await.unwrap();
        assert_eq!(native, sha2(bytes), "{n} bytes");
        let js = js_sys::Uint8Array::from(bytes);
        let native = digest(subtle.sha256_js(&js).unwrap()).await.unwrap();
        assert_eq!(native, sha2(bytes), "{n} bytes from JavaScript's memory");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A gzip CloudTrail log of `n` records, the `k`-th of the set.
fn log(k: usize, n: usize) -> (String, Vec<u8>) {
    let records: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"eventVersion":"1.08","eventTime":"2024-05-01T00:{:02}:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.{k}.{}","eventID":"{k:08x}-0000-4000-8000-{i:012x}","recipientAccountId":"111122223333"}}"#,
                i / 60 % 60,
                i % 60,
                i % 250,
            )
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(format!(r#"{{"Records":[{}]}}"#, records.join(",")).as_bytes())
        .unwrap();
    let name = format!(
        "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T{:02}{:02}Z_abc{k}.json.gz",
        k / 12,
        k % 12 * 5
    );
    (name, gz.finish().unwrap())
}

/// Loads `files` in one run, in batches of three, its logs hashed by the browser
/// (`digests`) or in wasm.
async fn load(files: &[(String, Vec<u8>)], browser: bool) -> Run {
    let mut cursors: Vec<Cursor<Vec<u8>>> =
        files.iter().map(|(_, b)| Cursor::new(b.clone())).collect();
    let progress: Progress = Rc::new(RefCell::new(|_: Tick<'_>| {}));
    let mut loader = RunLoader::new(HOLD_BYTES, progress);
    let mut digests: Option<Digests> = None;
    if browser {
        let (hasher, handle) = LogDigests::new(Subtle::get().expect("crypto.subtle"));
        loader = loader.hashing(Box::new(hasher));
        digests = Some(handle);
    }
    let mut inputs: Vec<Input<'_>> = files
        .iter()
        .zip(cursors.iter_mut())
        .map(|((name, bytes), c)| {
            let again = bytes.clone();
            Input {
                name: name.clone(),
                source: c,
                size: bytes.len() as u64,
                reopen: Box::new(move || Ok(Box::new(Cursor::new(again.clone())))),
            }
        })
        .collect();
    for batch in inputs.chunks_mut(3) {
        loader.add(batch, &Timings::off());
        if let Some(digests) = &digests {
            loader.give_hashes(digests.settle().await, 0.0);
        }
    }
    loader.finish()
}

#[wasm_bindgen_test]
async fn logs_hashed_by_the_browser_load_as_logs_hashed_in_wasm() {
    let mut files: Vec<(String, Vec<u8>)> = (0..10).map(|k| log(k, 50 + 400 * k)).collect();
    // A log stored uncompressed (hashed as it is, by the browser too) and an unrelated file
    // (not offered).
    files.push((
        "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0100Z_plain.json".into(),
        br#"{"Records":[]}"#.to_vec(),
    ));
    files.push(("notes.txt".into(), b"hello".to_vec()));
    let here = load(&files, false).await;
    let browser = load(&files, true).await;
    assert_eq!(here.output.host_hashed, 0);
    assert_eq!(browser.output.host_hashed, 11);
    let json = |run: &Run| {
        (
            serde_json::to_string(&run.output.scanned).unwrap(),
            serde_json::to_string(&run.output.lines).unwrap(),
        )
    };
    assert_eq!(json(&browser), json(&here));
    assert_eq!(browser.part.encode(), here.part.encode());
}

/// `File`s of these contents, named `f0`, `f1`, ….
fn files(contents: &[Vec<u8>]) -> Vec<(String, web_sys::File)> {
    contents
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(c.as_slice()));
            let name = format!("f{i}");
            let file = web_sys::File::new_with_u8_array_sequence(&parts, &name).unwrap();
            (name, file)
        })
        .collect()
}

#[wasm_bindgen_test]
async fn composite_reads_give_each_files_bytes_into_buffers_handed_back() {
    use trailproof_web::fetch::Reads;
    // Empty and one-byte files, one over a stream's chunk, one of 1 MiB (the buffer grain),
    // and a second set bigger than the first's buffer.
    let data = noise(3 << 20);
    let small: Vec<Vec<u8>> = [0, 1, 70_000, 1 << 20, 3]
        .iter()
        .scan(0, |at, &n| {
            *at += 7;
            Some(data[*at..*at + n].to_vec())
        })
        .collect();
    let big = vec![
        data[..(2 << 20) + 5].to_vec(),
        Vec::new(),
        data[9..1000].to_vec(),
    ];
    let mut buffers: Vec<js_sys::ArrayBuffer> = Vec::new();
    for contents in [&small, &small, &big, &small, &big] {
        let files = files(contents);
        let subtle = Subtle::get();
        let (read, recycle) = Reads::start(&files, (0..files.len()).collect())
            .settle(subtle.as_ref())
            .await;
        assert_eq!(read.len(), contents.len(), "every file read");
        for (i, bytes, hash) in &read {
            assert_eq!(bytes.to_vec(), contents[*i], "file {i}");
            let hash = digest(hash.clone().expect("the browser's SHA-256"))
                .await
                .unwrap();
            assert_eq!(
                hash,
                sha2(&contents[*i]),
                "file {i}'s digest, started as read"
            );
        }
        buffers.push(read[0].1.buffer());
        recycle.done();
    }
    // Chromium's `Blob` streams are byte streams: each set was read into a buffer of whole
    // MiB, and a read into a buffer handed back moves it (its earlier object is detached):
    // the first set's buffer took the second, the second's (too small for the big set) the
    // fourth, the third's the fifth; the last two wait for the next reads.
    let sizes: Vec<u32> = buffers.iter().map(|b| b.byte_length()).collect();
    assert_eq!(sizes, [0, 0, 0, 2 << 20, 3 << 20]);
}
