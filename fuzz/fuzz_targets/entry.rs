#![no_main]
//! Log entries: whatever parses has exactly the bytes it was parsed from
//! (one entry, one leaf hash), and nothing panics.
use hotline_core::entry::Entry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Entry::from_bytes(data) {
        assert_eq!(e.to_bytes().unwrap(), data);
    }
});
