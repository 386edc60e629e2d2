//! The timestamp parser: never panics; what it accepts formats back to a parsable time.
#![no_main]
use trailproof_events::time::{format_rfc3339, parse_timestamp};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(ms) = parse_timestamp(s) {
        let back = format_rfc3339(ms);
        assert_eq!(parse_timestamp(&back), Some(ms), "{s:?} -> {back}");
    }
});
