#![no_main]
//! Checkpoint bodies: never a panic; what parses formats back to the input.
use hotline_log::checkpoint::Checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(c) = Checkpoint::parse(s)
    {
        assert_eq!(c.to_text(), s);
    }
});
