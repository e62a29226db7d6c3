//! Property tests over the wire formats: any mutation of a sealed envelope
//! is rejected, decoders round-trip, arbitrary input never panics, and
//! selective openings hold exactly when nothing was changed.

use hotline_core::charter;
use hotline_core::commitment::{
    self, OpenedPart, Opening, Part, PartKind, commit, decode_parts, encode_parts,
};
use hotline_core::dsse::SignedDocument;
use hotline_core::envelope::{Envelope, SignedHead};
use hotline_core::ids::{ChannelId, MessageId};
use hotline_core::keys::{KeyId, MemberKeys};
use hotline_core::message::{self, AttachmentMeta, InnerHeader, Kind, Message, Tlp, sha256_hex};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn keys(seed: u8) -> MemberKeys {
    MemberKeys::generate(&mut ChaCha20Rng::from_seed([seed; 32]))
}

fn message(
    author: &MemberKeys,
    body: String,
    attachments: Vec<Vec<u8>>,
    stix: Option<Vec<u8>>,
) -> Message {
    let id = MessageId([9; 16]);
    Message {
        header: InnerHeader {
            v: 1,
            channel: ChannelId([1; 16]),
            id,
            case: id,
            kind: Kind::Warning,
            author: author.signing.key_id(),
            party: KeyId([2; 32]),
            created: "2026-11-22T10:00:00Z".into(),
            to: vec![KeyId([3; 32])],
            refs: vec![],
            title: "t".into(),
            tlp: Tlp::Red,
            norm: None,
            lang: "en".into(),
            other_langs: vec![],
            authentic: vec![],
            attachments: attachments
                .iter()
                .enumerate()
                .map(|(i, a)| AttachmentMeta {
                    name: format!("a{i}"),
                    media_type: "application/octet-stream".into(),
                    size: a.len() as u64,
                    sha256: sha256_hex(a),
                })
                .collect(),
            stix: stix.is_some(),
            nonce: "0123456789abcdef0123456789abcdef".into(),
        },
        body,
        other_bodies: vec![],
        attachments,
        stix,
    }
}

fn arb_message_parts() -> impl Strategy<Value = (String, Vec<Vec<u8>>, Option<Vec<u8>>)> {
    (
        ".{0,200}",
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..3),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..200)),
    )
}

fn sealed(
    body: String,
    atts: Vec<Vec<u8>>,
    stix: Option<Vec<u8>>,
) -> (MemberKeys, MemberKeys, Vec<u8>) {
    let alice = keys(1);
    let bob = keys(2);
    let m = message(&alice, body, atts, stix);
    let mut rng = ChaCha20Rng::from_seed([3; 32]);
    let (env, _) = Envelope::seal_message(
        &m,
        &alice.signing,
        &[alice.encryption.public_key(), bob.encryption.public_key()],
        &mut rng,
    )
    .unwrap();
    (alice, bob, env.to_bytes())
}

/// As [`sealed`], in hotline-v2-xwing.
fn sealed_xwing(body: String) -> (MemberKeys, MemberKeys, Vec<u8>) {
    use hotline_core::charter::Suite;
    let alice = keys(1);
    let bob = keys(2);
    let m = message(&alice, body, vec![], None);
    let mut rng = ChaCha20Rng::from_seed([4; 32]);
    let pk = |k: &MemberKeys| k.encryption_for(Suite::XWing).unwrap().public_key();
    let (env, _) =
        Envelope::seal_message(&m, &alice.signing, &[pk(&alice), pk(&bob)], &mut rng).unwrap();
    (alice, bob, env.to_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// In hotline-v2-xwing a mutated byte is refused by the relay's check
    /// (`from_bytes`), and by each recipient reading for opening unless it
    /// is in the other recipient's sealed key, which that one refuses.
    #[test]
    fn any_mutated_byte_of_an_xwing_envelope_is_refused_by_whom_it_concerns(body in ".{0,200}", pos in any::<prop::sample::Index>(), mask in 1u8..=255) {
        use hotline_core::charter::Suite;
        let (alice, bob, bytes) = sealed_xwing(body);
        let mut b = bytes.clone();
        let i = pos.index(b.len());
        b[i] ^= mask;
        let vk = alice.signing.verifying_key();
        // The relay's check: the body, and the head's signature.
        prop_assert!(Envelope::from_bytes(&b).and_then(|e| e.signed_head().verify(&vk)).is_err());
        let open = |k: &MemberKeys| Envelope::from_bytes_for_opening(&b)
            .and_then(|e| e.open(&vk, k.encryption_for(Suite::XWing).unwrap()));
        let sealed_at = 241 + 2 * 64;
        let sealed = |r: usize| sealed_at + r * 1168..sealed_at + (r + 1) * 1168;
        for (r, k) in [&alice, &bob].into_iter().enumerate() {
            let other = sealed(1 - r);
            if other.contains(&i) {
                prop_assert!(open(k).is_ok(), "byte {} is the other recipient's", i);
            } else {
                prop_assert!(open(k).is_err(), "flipping byte {} of {} was accepted by {}", i, b.len(), r);
            }
        }
    }

    #[test]
    fn any_mutated_byte_is_rejected((body, atts, stix) in arb_message_parts(), pos in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let (alice, bob, bytes) = sealed(body, atts, stix);
        let mut b = bytes.clone();
        let i = pos.index(b.len());
        b[i] ^= mask;
        let r = Envelope::from_bytes(&b).and_then(|e| e.open(&alice.signing.verifying_key(), &bob.encryption));
        prop_assert!(r.is_err(), "flipping byte {} of {} with {:#04x} was accepted", i, b.len(), mask);
    }

    #[test]
    fn truncation_and_extension_are_rejected((body, atts, stix) in arb_message_parts(), cut in any::<prop::sample::Index>(), extra in prop::collection::vec(any::<u8>(), 1..20)) {
        let (alice, bob, bytes) = sealed(body, atts, stix);
        let n = cut.index(bytes.len());
        prop_assert!(Envelope::from_bytes(&bytes[..n]).is_err());
        let mut longer = bytes.clone();
        longer.extend(extra);
        prop_assert!(Envelope::from_bytes(&longer).is_err());
        let ok = Envelope::from_bytes(&bytes).unwrap();
        prop_assert_eq!(ok.to_bytes(), bytes.clone());
        prop_assert_eq!(&SignedHead::from_bytes(&bytes[..241]).unwrap().to_bytes()[..], &bytes[..241]);
        prop_assert!(ok.open(&alice.signing.verifying_key(), &bob.encryption).is_ok());
    }

    #[test]
    fn parts_roundtrip(parts in prop::collection::vec((1u8..=4, any::<[u8; 32]>(), prop::collection::vec(any::<u8>(), 0..100)), 1..10)) {
        let parts: Vec<Part> = parts.into_iter().map(|(k, salt, bytes)| Part { kind: PartKind::from_u8(k).unwrap(), salt, bytes }).collect();
        prop_assert_eq!(decode_parts(&encode_parts(&parts)).unwrap(), parts);
    }

    /// A body in several languages survives sealing and opening, each
    /// version its own part, and a reader sees the authentic ones the
    /// author named.
    #[test]
    fn texts_in_several_languages_roundtrip(
        texts in prop::collection::btree_map("[a-z]{2,3}(-[A-Z]{2})?", ".{0,80}", 1..6),
        authentic in prop::collection::vec(any::<bool>(), 6),
        atts in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..50), 0..2),
    ) {
        let alice = keys(1);
        let bob = keys(2);
        // BCP 47 tags are the same in any case: keep one of each.
        let mut texts: Vec<(String, String)> = texts.into_iter().collect();
        texts.dedup_by(|a, b| a.0.eq_ignore_ascii_case(&b.0));
        let mut m = message(&alice, texts[0].1.clone(), atts, None);
        m.header.lang = texts[0].0.clone();
        m.header.other_langs = texts[1..].iter().map(|t| t.0.clone()).collect();
        m.other_bodies = texts[1..].iter().map(|t| t.1.clone()).collect();
        if texts.len() > 1 {
            let mut a: Vec<String> = texts.iter().zip(&authentic).filter(|(_, a)| **a).map(|(t, _)| t.0.clone()).collect();
            if a.is_empty() {
                a.push(texts[0].0.clone());
            }
            m.header.authentic = a;
        }
        let mut rng = ChaCha20Rng::from_seed([4; 32]);
        let (env, parts) = Envelope::seal_message(&m, &alice.signing, &[bob.encryption.public_key()], &mut rng).unwrap();
        prop_assert_eq!(parts.iter().filter(|p| p.kind == PartKind::Body).count(), texts.len());
        let opened = Envelope::from_bytes(&env.to_bytes()).unwrap().open(&alice.signing.verifying_key(), &bob.encryption).unwrap();
        prop_assert_eq!(&opened.message, &m);
        let got: Vec<(String, String)> = opened.message.texts().iter().map(|t| (t.lang.to_string(), t.body.to_string())).collect();
        prop_assert_eq!(got, texts.clone());
        for t in opened.message.texts() {
            prop_assert_eq!(t.authentic, texts.len() == 1 || m.header.authentic.iter().any(|a| a == t.lang));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Envelope::from_bytes(&data);
        let _ = SignedHead::from_bytes(&data);
        if let Ok(parts) = decode_parts(&data) {
            let _ = Message::from_parts(&parts);
        }
        let _ = message::parse_header(&data);
        if let Ok(d) = SignedDocument::from_json(&data) {
            prop_assert_eq!(SignedDocument::from_json(&d.to_json()).unwrap(), d);
        }
        let _ = charter::parse_unverified(&SignedDocument::new(charter::CHARTER_PAYLOAD_TYPE, data.clone()));
    }

    #[test]
    fn arbitrary_json_documents_never_panic(t in ".{0,40}", payload in ".{0,200}", sigs in prop::collection::vec(("[0-9a-f]{0,64}", "[A-Za-z0-9+/=]{0,90}"), 0..3)) {
        let sigs: Vec<String> = sigs.iter().map(|(k, s)| format!("{{\"keyid\":{k:?},\"sig\":{s:?}}}")).collect();
        let j = format!("{{\"payloadType\":{t:?},\"payload\":{payload:?},\"signatures\":[{}]}}", sigs.join(","));
        let _ = SignedDocument::from_json(j.as_bytes());
    }

    #[test]
    fn selective_openings(parts in prop::collection::vec((1u8..=4, any::<[u8; 32]>(), prop::collection::vec(any::<u8>(), 0..50)), 1..8), reveal in prop::collection::vec(any::<bool>(), 8), victim in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let parts: Vec<Part> = parts.into_iter().map(|(k, salt, bytes)| Part { kind: PartKind::from_u8(k).unwrap(), salt, bytes }).collect();
        let c = commit(&parts);
        let shown: Vec<usize> = (0..parts.len()).filter(|i| reveal[*i]).collect();
        let o = Opening::new(&parts, &shown);
        prop_assert!(o.verify(&c).is_ok());
        // Change one part: its content, salt or stub hash.
        let i = victim.index(parts.len());
        let mut bad = o.clone();
        match &mut bad.parts[i] {
            OpenedPart::Open(p) => {
                if p.bytes.is_empty() { p.salt[0] ^= mask } else { p.bytes[0] ^= mask }
            }
            OpenedPart::Redacted { leaf_hash, .. } => leaf_hash[0] ^= mask,
        }
        prop_assert!(bad.verify(&c).is_err());
        // Drop a part.
        let mut short = o.clone();
        short.parts.remove(i);
        prop_assert!(short.verify(&c).is_err());
        // Swap two different parts.
        if parts.len() > 1 {
            let j = (i + 1) % parts.len();
            if parts[i] != parts[j] {
                let mut swapped = o.clone();
                swapped.parts.swap(i, j);
                prop_assert!(swapped.verify(&c).is_err());
            }
        }
        prop_assert_eq!(commitment::merkle_root(&parts.iter().map(Part::leaf_hash).collect::<Vec<_>>()), c);
    }
}
