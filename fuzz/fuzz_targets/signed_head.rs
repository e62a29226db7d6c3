#![no_main]
//! SignedHead::from_bytes never panics; what parses encodes back to the input.
use hotline_core::envelope::SignedHead;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = SignedHead::from_bytes(data) {
        assert_eq!(&h.to_bytes()[..], data);
    }
});
