//! RFC 9421's Ed25519 example (Appendix B.2.6) and RFC 9530's digest example,
//! from `tests/vectors/rfc9421-ed25519.json`, plus tampering and policy cases.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hotline_core::keys::{SigningKey, VerifyingKey};
use hotline_httpsig::{
    Error, Message, Policy, SignatureParams, check_content_digest, content_digest, sf, sign,
    signature_base, verify,
};
use serde_json::Value;

fn vector() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/rfc9421-ed25519.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn key(v: &Value) -> SigningKey {
    let seed = URL_SAFE_NO_PAD
        .decode(v["private_key_seed_base64url"].as_str().unwrap())
        .unwrap();
    SigningKey::from_seed(&seed.try_into().unwrap())
}

fn headers(v: &Value) -> Vec<(String, String)> {
    v["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h[0].as_str().unwrap().into(), h[1].as_str().unwrap().into()))
        .collect()
}

fn params_from_input(input: &str) -> SignatureParams {
    let d = sf::parse_dictionary(input).unwrap();
    let sf::Member::InnerList(items, params) = &d[0].1 else {
        panic!("not an inner list")
    };
    SignatureParams {
        components: items
            .iter()
            .map(|i| match &i.bare {
                sf::BareItem::String(s) => s.clone(),
                _ => panic!("component"),
            })
            .collect(),
        params: params.clone(),
    }
}

fn lenient() -> Policy {
    Policy {
        required: vec![],
        max_age: i64::MAX / 2,
        max_skew: 60,
    }
}

#[test]
fn rfc9421_b26_base_and_signature() {
    let v = vector();
    let hs = headers(&v);
    let r = &v["request"];
    let msg = Message {
        method: r["method"].as_str().unwrap(),
        scheme: r["scheme"].as_str().unwrap(),
        authority: r["authority"].as_str().unwrap(),
        path: r["path"].as_str().unwrap(),
        query: r["query"].as_str(),
        headers: &hs,
    };
    let sp = params_from_input(v["signature_input"].as_str().unwrap());
    assert_eq!(
        signature_base(&msg, &sp).unwrap(),
        v["signature_base"].as_str().unwrap()
    );
    // Ed25519 is deterministic: our signature is the RFC's, byte for byte.
    let (input, sig) = sign(&msg, "sig-b26", &sp, &key(&v)).unwrap();
    assert_eq!(input, v["signature_input"].as_str().unwrap());
    assert_eq!(sig, v["signature"].as_str().unwrap());

    // And the RFC's signature verifies with the public key.
    let public = URL_SAFE_NO_PAD
        .decode(v["public_key_base64url"].as_str().unwrap())
        .unwrap();
    let vk = VerifyingKey::from_bytes(&public.try_into().unwrap()).unwrap();
    let ok = verify(
        &msg,
        v["signature_input"].as_str(),
        v["signature"].as_str(),
        &lenient(),
        1618884473,
        |id| (id == "test-key-ed25519").then_some(vk),
    )
    .unwrap();
    assert_eq!(ok.key_id, "test-key-ed25519");
    assert_eq!(ok.created, 1618884473);

    // Any change to a covered component breaks it.
    let mut tampered = hs.clone();
    tampered[2].1 = "text/plain".into();
    let msg2 = Message {
        headers: &tampered,
        ..msg.clone()
    };
    assert_eq!(
        verify(
            &msg2,
            v["signature_input"].as_str(),
            v["signature"].as_str(),
            &lenient(),
            1618884473,
            |_| Some(vk)
        ),
        Err(Error::BadSignature)
    );
    let msg3 = Message {
        method: "PUT",
        ..msg.clone()
    };
    assert_eq!(
        verify(
            &msg3,
            v["signature_input"].as_str(),
            v["signature"].as_str(),
            &lenient(),
            1618884473,
            |_| Some(vk)
        ),
        Err(Error::BadSignature)
    );
    // Outside the window, unknown key, missing fields, policy.
    let strict = Policy {
        required: vec![],
        max_age: 60,
        max_skew: 5,
    };
    assert!(matches!(
        verify(
            &msg,
            v["signature_input"].as_str(),
            v["signature"].as_str(),
            &strict,
            1618884473 + 61,
            |_| Some(vk)
        ),
        Err(Error::Stale(_))
    ));
    assert!(matches!(
        verify(
            &msg,
            v["signature_input"].as_str(),
            v["signature"].as_str(),
            &strict,
            1618884473 - 6,
            |_| Some(vk)
        ),
        Err(Error::Stale(_))
    ));
    assert!(matches!(
        verify(
            &msg,
            v["signature_input"].as_str(),
            v["signature"].as_str(),
            &lenient(),
            1618884473,
            |_| None
        ),
        Err(Error::UnknownKey(_))
    ));
    assert_eq!(
        verify(
            &msg,
            None,
            v["signature"].as_str(),
            &lenient(),
            1618884473,
            |_| Some(vk)
        ),
        Err(Error::Missing)
    );
    let needs_digest = Policy {
        required: vec!["content-digest".into()],
        ..lenient()
    };
    assert_eq!(
        verify(
            &msg,
            v["signature_input"].as_str(),
            v["signature"].as_str(),
            &needs_digest,
            1618884473,
            |_| Some(vk)
        ),
        Err(Error::NotCovered("content-digest".into()))
    );
}

#[test]
fn rfc9530_sha256_example() {
    // RFC 9530 §2: the digest of {"hello": "world"}.
    let body = br#"{"hello": "world"}"#;
    assert_eq!(
        content_digest(body),
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    );
    check_content_digest(Some(&content_digest(body)), body).unwrap();
    assert!(check_content_digest(Some(&content_digest(body)), b"{}").is_err());
    assert!(check_content_digest(None, body).is_err());
    assert!(check_content_digest(Some("sha-512=:AAAA:"), body).is_err());
}

#[test]
fn our_requests_round_trip() {
    let k = SigningKey::from_seed(&[9u8; 32]);
    let body = b"[1,2,3]";
    let hs = vec![("Content-Digest".to_owned(), content_digest(body))];
    let msg = Message {
        method: "POST",
        scheme: "http",
        authority: "127.0.0.1:8080",
        path: "/v1/channels/ab/entries",
        query: None,
        headers: &hs,
    };
    let kid = k.key_id().to_hex();
    let sp = SignatureParams::new(
        &["@method", "@path", "@query", "content-digest"],
        1_000,
        &kid,
        "n1",
    );
    let (si, sg) = sign(&msg, "hotline", &sp, &k).unwrap();
    let policy = Policy {
        required: vec![
            "@method".into(),
            "@path".into(),
            "@query".into(),
            "content-digest".into(),
        ],
        max_age: 60,
        max_skew: 5,
    };
    let vk = k.verifying_key();
    let ok = verify(&msg, Some(&si), Some(&sg), &policy, 1_010, |id| {
        (id == kid).then_some(vk)
    })
    .unwrap();
    assert_eq!(ok.nonce.as_deref(), Some("n1"));
    // A different query is a different request.
    let msg2 = Message {
        query: Some("start=5"),
        ..msg.clone()
    };
    assert_eq!(
        verify(&msg2, Some(&si), Some(&sg), &policy, 1_010, |_| Some(vk)),
        Err(Error::BadSignature)
    );
}
