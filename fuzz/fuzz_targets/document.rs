#![no_main]
//! DSSE documents: what parses survives a canonical round trip unchanged.
use hotline_core::dsse::SignedDocument;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = SignedDocument::from_json(data) {
        assert_eq!(SignedDocument::from_json(&d.to_json()).unwrap(), d);
    }
});
