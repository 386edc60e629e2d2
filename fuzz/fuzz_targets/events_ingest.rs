//! Any bytes as a file: sniffing, gzip, the record scanner, every decoder.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    trailproof_fuzz::ingest_and_check("fuzz.json", data);
    trailproof_fuzz::scan_from_cut_equals_scan(data);
});
