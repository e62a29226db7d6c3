#![no_main]
//! Envelope::from_bytes never panics; what parses encodes back to the input.
use hotline_core::envelope::Envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Envelope::from_bytes(data) {
        assert_eq!(e.to_bytes(), data);
    }
});
