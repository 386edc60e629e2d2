//! Any bytes as an input: container sniffing, zip/tar/tgz walking, nested archives, caps.
#![no_main]
use std::io::{Cursor, Read};

use trailproof_core::input::{walk, Control, Limits};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Small caps so bombs are cut quickly and every cap path is reached.
    let limits = Limits {
        max_entry_bytes: 1 << 20,
        max_ratio: 50,
        ratio_floor: 1 << 16,
        max_depth: 1,
        max_entries: 64,
        max_nested_zip: 1 << 20,
    };
    for name in ["input", "input.tgz"] {
        let mut entries = 0u64;
        let diags = walk(name, &mut Cursor::new(data), &limits, &mut |entry| {
            entries += 1;
            // Paths are sanitised: relative to the source, no `..` components.
            assert!(entry.path.starts_with(name));
            assert!(!entry.path.split('/').any(|p| p == ".."));
            let mut sink = Vec::new();
            let _ = entry.reader.take(2 << 20).read_to_end(&mut sink);
            assert!(sink.len() as u64 <= 2 << 20);
            Control::Continue
        });
        assert!(entries <= 64 * 65 + 1, "entry cap not enforced");
        for d in diags {
            let _ = d.to_string();
        }
    }
});
