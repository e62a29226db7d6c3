#![no_main]
//! RFC 9421 / RFC 8941: the `Signature-Input` and `Signature` headers as the
//! relay parses them: structured-field dictionaries, and verification of any
//! header pair end to end. Never a panic.
use hotline_httpsig::{Message, Policy, sf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\n').unwrap_or((text, ""));
    if let Ok(d) = sf::parse_dictionary(a) {
        let _ = d.len();
    }
    let headers = [("content-digest".to_owned(), "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:".to_owned())];
    let msg = Message {
        method: "POST",
        scheme: "http",
        authority: "relay.example",
        path: "/v1/channels",
        query: None,
        headers: &headers,
    };
    let policy = Policy {
        required: vec!["@method".into()],
        max_age: 60,
        max_skew: 10,
    };
    let _ = hotline_httpsig::verify(&msg, Some(a), Some(b), &policy, 1_700_000_000, |_| None);
});
