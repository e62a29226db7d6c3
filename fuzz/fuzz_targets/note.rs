#![no_main]
//! Signed notes: never a panic; what parses encodes back to the input.
use hotline_log::note::Note;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = Note::parse(data) {
        assert_eq!(n.to_bytes(), data);
    }
});
