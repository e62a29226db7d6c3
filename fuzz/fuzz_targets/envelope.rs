#![no_main]
//! Envelope::from_bytes and from_bytes_for_opening never panic; what parses
//! encodes back to the input; what the full check accepts, the reading for
//! opening accepts too.
use hotline_core::envelope::Envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let full = Envelope::from_bytes(data);
    if let Ok(e) = &full {
        assert_eq!(e.to_bytes(), data);
    }
    match Envelope::from_bytes_for_opening(data) {
        Ok(e) => assert_eq!(e.to_bytes(), data),
        Err(_) => assert!(full.is_err()),
    }
});
