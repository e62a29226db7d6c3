#![no_main]
//! Courier grants (`hotline_core::courier`): as a `Hotline-Courier` header,
//! as DSSE JSON and as a raw payload, never a panic.
use hotline_core::courier::{CourierGrant, PAYLOAD_TYPE, from_header};
use hotline_core::dsse::SignedDocument;
use hotline_core::keys::SigningKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let k = SigningKey::from_seed(&[5; 32]).verifying_key();
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(d) = from_header(s)
    {
        let _ = CourierGrant::verify(&d, &k, 1_800_000_000);
    }
    if let Ok(d) = SignedDocument::from_json(data) {
        let _ = CourierGrant::parse(&d);
    }
    let d = SignedDocument::new(PAYLOAD_TYPE, data.to_vec());
    let _ = CourierGrant::parse(&d);
    let _ = CourierGrant::verify(&d, &k, 1_800_000_000);
});
