#![no_main]
//! The envelope plaintext: decode_parts round-trips; Message::from_parts and
//! parse_header never panic.
use hotline_core::commitment::{decode_parts, encode_parts};
use hotline_core::message::{Message, parse_header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parts) = decode_parts(data) {
        assert_eq!(encode_parts(&parts), data);
        let _ = Message::from_parts(&parts);
    }
    let _ = parse_header(data);
});
