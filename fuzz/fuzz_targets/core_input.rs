//! Any bytes as an input: container sniffing, zip/tar/tgz walking, nested archives, caps; and
//! a zip walked in ranges of its entries gives what one walk gives.
#![no_main]
use std::io::{Cursor, Read};

use trailproof_core::input::{walk, walk_zip_entries, zip_entry_sizes, Control, Entry, Limits};

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
    // Ranges of a zip's entries, walked one after another, are one walk (hosts load one zip
    // on several threads or workers this way): same entries, paths, bytes and diagnostics.
    let Some(listed) = zip_entry_sizes(&mut Cursor::new(data)).map(|s| s.len()) else {
        return;
    };
    let read = |entry: Entry<'_>, seen: &mut Vec<(String, Vec<u8>, bool)>| {
        let mut sink = Vec::new();
        let ok = entry.reader.take(2 << 20).read_to_end(&mut sink).is_ok();
        seen.push((entry.path.to_owned(), sink, ok));
        Control::Continue
    };
    let mut whole = Vec::new();
    let whole_diags: Vec<String> = walk("z.zip", &mut Cursor::new(data), &limits, &mut |e| {
        read(e, &mut whole)
    })
    .iter()
    .map(|d| d.to_string())
    .collect();
    for cut in [1, listed / 2, listed.saturating_sub(1)] {
        if cut == 0 || cut >= listed {
            continue;
        }
        let (mut seen, mut diags) = (Vec::new(), Vec::new());
        for range in [0..cut, cut..usize::MAX] {
            let more =
                walk_zip_entries("z.zip", &mut Cursor::new(data), &limits, range, &mut |e| {
                    read(e, &mut seen)
                });
            diags.extend(more.iter().map(|d| d.to_string()));
        }
        assert!(
            seen == whole,
            "entries differ when cut at {cut} of {listed}"
        );
        assert_eq!(diags, whole_diags, "cut at {cut} of {listed}");
    }
});
