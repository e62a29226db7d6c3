//! The structured-field parser and the verifier never panic, whatever the
//! header values.

use hotline_core::keys::SigningKey;
use hotline_httpsig::{Message, Policy, sf, verify};
use proptest::prelude::*;

proptest! {
    #[test]
    fn parser_never_panics(s in "\\PC{0,200}") {
        let _ = sf::parse_dictionary(&s);
    }

    #[test]
    fn sf_like_input_never_panics(s in "[a-z0-9=();:\"@ ,*?.+/-]{0,120}") {
        let _ = sf::parse_dictionary(&s);
    }

    #[test]
    fn verify_never_panics(si in "[a-z0-9=();:\"@ ,*?.+/-]{0,120}", sg in "[a-zA-Z0-9=():+/ ,-]{0,120}") {
        let hs = vec![("content-digest".to_owned(), "sha-256=:AA==:".to_owned())];
        let msg = Message { method: "GET", scheme: "http", authority: "a", path: "/", query: None, headers: &hs };
        let vk = SigningKey::from_seed(&[1; 32]).verifying_key();
        let p = Policy { required: vec![], max_age: 60, max_skew: 5 };
        let _ = verify(&msg, Some(&si), Some(&sg), &p, 0, |_| Some(vk));
    }
}
