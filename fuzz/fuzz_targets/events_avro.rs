//! Event Hubs Capture Avro container files (the minimal reader in `trailproof-events`, see
//! `crates/events/src/avro.rs`): the fuzzer's bytes follow a valid header with the capture
//! schema and an all-zero sync marker (so blocks, varints, unions, maps, deflate data and
//! bodies are reached), or, when the first byte is odd, follow the bare magic (the header's
//! metadata map and schema parsing).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut file = if mode & 1 == 1 {
        b"Obj\x01".to_vec()
    } else {
        trailproof_fuzz::capture_header(if mode & 2 == 2 { "deflate" } else { "null" })
    };
    file.extend_from_slice(rest);
    trailproof_fuzz::ingest_and_check("capture.avro", &file);
});
