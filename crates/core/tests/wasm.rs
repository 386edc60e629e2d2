//! The core compiled to wasm, run in headless Chromium by `cargo xtask test`.
#![cfg(target_arch = "wasm32")]

use std::io::{Cursor, Write};

use trailproof_core::gzip::inflate_first_member;
use trailproof_core::hash::FileHasher;
use trailproof_core::input::{walk, Control, Limits};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn sha256_vectors_in_wasm() {
    for (input, want) in [
        (
            &b"abc"[..],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            &b"{}"[..],
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        ),
    ] {
        let mut h = FileHasher::new();
        h.update(input);
        assert_eq!(h.finish().sha256_hex(), want);
    }
}

#[wasm_bindgen_test]
fn gzip_and_zip_walk_in_wasm() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"{}").unwrap();
    let mut stored = gz.finish().unwrap();
    stored.push(0);
    let mut h = FileHasher::new();
    let first = inflate_first_member(&mut &stored[..], 1 << 20, &mut |c| h.update(c)).unwrap();
    assert!(first.trailing_at.is_some());
    assert_eq!(
        h.finish().sha256_hex(),
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );

    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("a/b.json", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"[1]").unwrap();
    let zip = w.finish().unwrap().into_inner();
    let mut seen = Vec::new();
    let diags = walk(
        "x.zip",
        &mut Cursor::new(zip),
        &Limits::default(),
        &mut |e| {
            let mut s = String::new();
            e.reader.read_to_string(&mut s).unwrap();
            seen.push((e.path.to_owned(), s));
            Control::Continue
        },
    );
    assert!(diags.is_empty());
    assert_eq!(seen, vec![("x.zip/a/b.json".to_owned(), "[1]".to_owned())]);
}
