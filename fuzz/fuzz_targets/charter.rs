#![no_main]
//! Charters: as a DSSE envelope and as a raw payload, never a panic.
use hotline_core::charter::{CHARTER_PAYLOAD_TYPE, VerifiedCharter, parse_unverified};
use hotline_core::dsse::SignedDocument;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = SignedDocument::from_json(data) {
        let _ = VerifiedCharter::verify(&d);
        let _ = parse_unverified(&d);
    }
    let d = SignedDocument::new(CHARTER_PAYLOAD_TYPE, data.to_vec());
    let _ = parse_unverified(&d);
    let _ = VerifiedCharter::verify(&d);
});
