//! Browser smoke test: note verification and Merkle roots on `wasm32-unknown-unknown`
//! (run with `wasm-pack test --headless --chrome crates/tlog` or a wasm-bindgen-test runner).
#![cfg(target_arch = "wasm32")]

use trailproof_tlog::checkpoint;
use trailproof_tlog::merkle::{self, CompactRange};
use trailproof_tlog::note::{Note, Verifiers};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The example note and key from the C2SP signed-note spec.
const NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo \
    Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
const VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

#[wasm_bindgen_test]
fn spec_example_note_verifies() {
    let v = Verifiers::from_vkeys([VKEY]).expect("vkey");
    let note = Note::parse(NOTE.as_bytes()).expect("parse");
    assert!(note.verify(&v).is_ok());
    let tampered = NOTE.replace("example message", "exemplary message");
    assert!(Note::parse(tampered.as_bytes())
        .expect("parse")
        .verify(&v)
        .is_err());
    // Not a checkpoint: rejected as one.
    assert!(checkpoint::open(NOTE.as_bytes(), "example.com/foo", &v).is_err());
}

#[wasm_bindgen_test]
fn rfc6962_reference_root() {
    // The 8-leaf RFC 6962 reference tree.
    let leaves: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    let mut range = CompactRange::new();
    for l in leaves {
        range.push(merkle::leaf_hash(l)).expect("push");
    }
    assert_eq!(
        hex::encode(range.root()),
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    );
}
