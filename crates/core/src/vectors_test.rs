//! Envelope test vectors (`tests/vectors/envelopes.json` for `hotline-v1`,
//! `tests/vectors/envelopes-xwing.json` for `hotline-v2-xwing`,
//! `docs/format.md` §8).
//!
//! The vectors are generated from a fixed seed per suite. This test
//! regenerates them and asserts the result equals the checked-in file byte
//! for byte, then opens every vector *from the file* and checks its
//! expected outcome. To rewrite the files after a deliberate format change,
//! run with `HOTLINE_WRITE_VECTORS=1` and review the diff.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};

use crate::commitment::{self, OpenedPart, Opening, Part, PartKind};
use crate::envelope::*;
use crate::hpke_suite::Suite;
use crate::ids::{ChannelId, MessageId};
use crate::keys::{EncryptionSecretKey, KeyId, MemberKeys, SigningKey};
use crate::message::{AttachmentMeta, InnerHeader, Kind, Message, Norm, Tlp, sha256_hex};

fn path(suite: Suite) -> String {
    let file = match suite {
        Suite::V1 => "envelopes.json",
        Suite::XWing => "envelopes-xwing.json",
    };
    format!("{}/../../tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// A member's keys for the vectors of `suite`: for `hotline-v1` drawn as
/// when those vectors were first generated (signing key, X25519 key).
fn member(rng: &mut ChaCha20Rng, suite: Suite) -> MemberKeys {
    match suite {
        Suite::V1 => MemberKeys::generate_v1(rng),
        Suite::XWing => MemberKeys {
            signing: SigningKey::generate(rng),
            encryption: EncryptionSecretKey::generate(rng),
            xwing: Some(EncryptionSecretKey::generate_for(Suite::XWing, rng)),
        },
    }
}

fn enc(k: &MemberKeys, suite: Suite) -> &EncryptionSecretKey {
    k.encryption_for(suite)
        .expect("vector keys have every suite")
}

fn sample_message(
    rng: &mut ChaCha20Rng,
    author: &SigningKey,
    party: KeyId,
    to: KeyId,
    channel: ChannelId,
) -> Message {
    let id = MessageId::random(rng);
    let evidence = b"timestamp,src,dst\n2026-11-20T03:14:07Z,203.0.113.7,198.51.100.20\n".to_vec();
    let stix = br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-11-20T00:00:00.000Z","modified":"2026-11-20T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.7']","pattern_type":"stix","valid_from":"2026-11-20T00:00:00Z"}]}"#.to_vec();
    Message {
        header: InnerHeader {
            v: 1,
            channel,
            id,
            case: id,
            kind: Kind::Inquiry,
            author: author.key_id(),
            party,
            created: "2026-11-22T10:00:00Z".into(),
            to: vec![to],
            refs: vec![],
            title: "Intrusions into university research networks".into(),
            tlp: Tlp::Amber,
            norm: Some(Norm::C),
            lang: "en".into(),
            other_langs: vec![],
            authentic: vec![],
            attachments: vec![AttachmentMeta {
                name: "netflow.csv".into(),
                media_type: "text/csv".into(),
                size: evidence.len() as u64,
                sha256: sha256_hex(&evidence),
            }],
            stix: true,
            nonce: hex::encode([0x5a; 16]),
        },
        body: "We observed intrusions from infrastructure on your territory. Please investigate."
            .into(),
        other_bodies: vec![],
        attachments: vec![evidence],
        stix: Some(stix),
    }
}

fn part_json(p: &Part) -> Value {
    json!({"kind": p.kind.name(), "salt": hex::encode(p.salt), "content": hex::encode(&p.bytes)})
}

fn keys_json(k: &MemberKeys, suite: Suite) -> Value {
    let k = enc(k, suite);
    json!({
        "secret": hex::encode(*k.to_bytes()),
        "public": hex::encode(k.public_key().as_bytes()),
        "key_id": k.key_id().to_hex(),
    })
}

/// Assembles an envelope from explicit pieces (for the dishonest-sender vectors).
fn assemble(
    sender: &SigningKey,
    header: Header,
    stanzas: &[Stanza],
    ciphertext: Vec<u8>,
) -> Envelope {
    let (block, stanzas_sha256) = stanza_block(header.suite, stanzas);
    let head = Head {
        header,
        recipient_count: stanzas.len() as u32,
        stanzas_sha256,
        ciphertext_len: ciphertext.len() as u64,
        ciphertext_sha256: sha256(&ciphertext),
    };
    let signature = sender.sign(&head.signing_input());
    Envelope::from_parts(SignedHead { head, signature }, &block, ciphertext)
        .expect("consistent by construction")
}

fn wrap(
    rng: &mut ChaCha20Rng,
    suite: Suite,
    to: &MemberKeys,
    key: &[u8; 32],
    aad: &[u8],
) -> Stanza {
    let to = enc(to, suite);
    let (enc, wrapped) =
        crate::hpke_suite::seal_base(&to.public_key(), suite.hpke_info(), aad, key, rng)
            .expect("seal");
    Stanza {
        recipient: to.key_id(),
        enc,
        wrapped: wrapped.try_into().expect("48 bytes"),
    }
}

fn generate(suite: Suite) -> String {
    let mut rng = ChaCha20Rng::from_seed(match suite {
        Suite::V1 => [0x48; 32],
        Suite::XWing => [0x58; 32],
    });
    let alice = member(&mut rng, suite);
    let bob = member(&mut rng, suite);
    let carol = member(&mut rng, suite);
    let eve = member(&mut rng, suite);
    let channel = ChannelId([0xc4; 16]);
    let party_a = KeyId([0xaa; 32]);
    let party_b = KeyId([0xbb; 32]);
    let m = sample_message(&mut rng, &alice.signing, party_a, party_b, channel);
    let recipients = [
        enc(&alice, suite).public_key(),
        enc(&bob, suite).public_key(),
        enc(&carol, suite).public_key(),
    ];
    let (env, parts) =
        Envelope::seal_message(&m, &alice.signing, &recipients, &mut rng).expect("seal");
    let good = env.to_bytes();
    let sender_pub = hex::encode(alice.signing.verifying_key().to_bytes());
    let mut vectors = vec![json!({
        "name": "envelope_three_recipients",
        "description": "An inquiry with an attachment and a STIX bundle, sealed to three recipients; every recipient opens it to the same parts.",
        "sender_public": sender_pub,
        "openers": [keys_json(&alice, suite), keys_json(&bob, suite), keys_json(&carol, suite)],
        "envelope": hex::encode(&good),
        "expect": "ok",
        "commitment": hex::encode(env.signed_head().head.header.commitment),
        "parts": parts.iter().map(part_json).collect::<Vec<_>>(),
    })];
    let negative = |name: &str,
                    description: &str,
                    envelope: &[u8],
                    opener: &MemberKeys,
                    expect: &str| {
        json!({"name": name, "description": description, "sender_public": sender_pub, "openers": [keys_json(opener, suite)], "envelope": hex::encode(envelope), "expect": expect})
    };
    vectors.push(negative(
        "envelope_wrong_recipient",
        "The good envelope, opened by a key it is not addressed to.",
        &good,
        &eve,
        "not-a-recipient",
    ));
    let mut b = good.clone();
    b[HEAD_LEN + 5] ^= 0x01;
    vectors.push(negative(
        "envelope_tampered_signature",
        "One bit of the signature flipped.",
        &b,
        &bob,
        "signature",
    ));
    let mut b = good.clone();
    b[30] ^= 0x01;
    vectors.push(negative(
        "envelope_tampered_sender",
        "One bit of the sender key id flipped.",
        &b,
        &bob,
        "signature",
    ));
    let mut b = good.clone();
    let last = b.len() - 1;
    b[last] ^= 0x01;
    vectors.push(negative(
        "envelope_tampered_ciphertext",
        "One bit of the ciphertext flipped; the head's hash no longer matches.",
        &b,
        &bob,
        "body-mismatch",
    ));
    let mut b = good.clone();
    b.push(0);
    vectors.push(negative(
        "envelope_trailing_byte",
        "One extra byte after the ciphertext.",
        &b,
        &bob,
        "malformed",
    ));
    if suite.indexed() {
        // The stanza block of three: the index (64 bytes each), then the
        // sealed keys (alice's, bob's, carol's).
        let index_at = SIGNED_HEAD_LEN;
        let sealed_at = index_at + 3 * crate::hpke_suite::INDEX_ENTRY_LEN;
        let mut b = good.clone();
        b[sealed_at + suite.sealed_len() + 7] ^= 0x01;
        vectors.push(negative(
            "envelope_tampered_sealed_key",
            "One bit of this recipient's sealed key (its X-Wing encapsulation) flipped: it no longer hashes to its index entry.",
            &b,
            &bob,
            "body-mismatch",
        ));
        let mut b = good.clone();
        b[index_at + crate::hpke_suite::INDEX_ENTRY_LEN + 40] ^= 0x01;
        vectors.push(negative(
            "envelope_tampered_index",
            "One bit of this recipient's sealed-key hash in the index flipped: the index no longer hashes to the head's stanzas_sha256.",
            &b,
            &bob,
            "body-mismatch",
        ));
    }

    // Dishonest sender: a validly signed head whose ciphertext was altered and re-hashed.
    let header = env.signed_head().head.header;
    let mut ct = env.ciphertext().to_vec();
    ct[40] ^= 0x01;
    let e = assemble(&alice.signing, header, env.stanzas(), ct);
    vectors.push(negative(
        "envelope_tampered_ciphertext_resigned",
        "The sender signs a head over a ciphertext altered after encryption: decryption must fail.",
        &e.to_bytes(),
        &bob,
        "decrypt",
    ));

    // Dishonest sender: content that differs from the signed commitment.
    let mut other = m.clone();
    other.body = "A different body for the same commitment.".into();
    let other_parts = other.to_parts(&mut rng).expect("parts");
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rng, &mut nonce);
    let header = Header {
        suite,
        channel,
        sender: alice.signing.key_id(),
        nonce,
        commitment: commitment::commit(&parts),
    };
    let aad = header.to_bytes();
    let k1 = [0x11u8; 32];
    let k2 = [0x22u8; 32];
    let ct = stream_encrypt(&k1, &aad, &commitment::encode_parts(&other_parts));
    let stanzas = [
        wrap(&mut rng, suite, &bob, &k1, &aad),
        wrap(&mut rng, suite, &carol, &k2, &aad),
    ];
    let e = assemble(&alice.signing, header, &stanzas, ct);
    vectors.push(negative(
        "envelope_commitment_mismatch",
        "Decrypts for this recipient, but to parts that do not hash to the signed commitment.",
        &e.to_bytes(),
        &bob,
        "commitment",
    ));
    vectors.push(negative(
        "envelope_key_differs_per_recipient",
        "The same envelope; this recipient was given a different content key, so decryption fails.",
        &e.to_bytes(),
        &carol,
        "decrypt",
    ));

    // A body in two languages (docs/format.md §4.1): each text its own
    // body part, after the first and before the attachment.
    let mut two = m.clone();
    two.header.other_langs = vec!["ru".into()];
    two.header.authentic = vec!["en".into()];
    two.other_bodies = vec![
        "Мы наблюдали вторжения с инфраструктуры на вашей территории. Просим расследовать.".into(),
    ];
    let (e2, parts2) = Envelope::seal_message(
        &two,
        &alice.signing,
        &[enc(&bob, suite).public_key()],
        &mut rng,
    )
    .expect("seal");
    vectors.push(json!({
        "name": "envelope_two_languages",
        "description": "The inquiry with its body in English (authentic) and Russian (a translation): header, two body parts, the attachment, the STIX bundle.",
        "sender_public": sender_pub,
        "openers": [keys_json(&bob, suite)],
        "envelope": hex::encode(e2.to_bytes()),
        "expect": "ok",
        "commitment": hex::encode(e2.signed_head().head.header.commitment),
        "parts": parts2.iter().map(part_json).collect::<Vec<_>>(),
    }));
    // Its parts without the Russian body, sealed and signed as they are: the
    // header's layout has one part more.
    let mut short = parts2.clone();
    short.remove(2);
    let e3 = Envelope::seal(
        channel,
        &alice.signing,
        &[enc(&bob, suite).public_key()],
        &short,
        &mut rng,
    )
    .expect("seal");
    vectors.push(negative(
        "envelope_language_part_missing",
        "The header lists a Russian body the parts lack: a well-sealed message that breaks the layout.",
        &e3.to_bytes(),
        &bob,
        "malformed",
    ));
    // Two bodies and no word on which is authentic.
    let mut unsaid = parts2.clone();
    let mut h: Value = serde_json::from_slice(&unsaid[0].bytes).expect("header");
    h.as_object_mut().expect("object").remove("authentic");
    unsaid[0].bytes = serde_json::to_vec(&h).expect("json");
    let e4 = Envelope::seal(
        channel,
        &alice.signing,
        &[enc(&bob, suite).public_key()],
        &unsaid,
        &mut rng,
    )
    .expect("seal");
    vectors.push(negative(
        "envelope_authentic_unsaid",
        "A body in two languages whose header does not say which text is authentic.",
        &e4.to_bytes(),
        &bob,
        "malformed",
    ));

    // Selective openings of the good envelope's commitment.
    let commitment_hex = hex::encode(env.signed_head().head.header.commitment);
    let opening_json = |o: &Opening| -> Vec<Value> {
        o.parts
            .iter()
            .map(|p| match p {
                OpenedPart::Open(p) => part_json(p),
                OpenedPart::Redacted { kind, leaf_hash } => {
                    json!({"kind": kind.name(), "leaf_hash": hex::encode(leaf_hash)})
                }
            })
            .collect()
    };
    let redact_attachment = Opening::new(&parts, &[0, 1, 3]);
    let mut swapped = redact_attachment.clone();
    if let OpenedPart::Open(p) = &mut swapped.parts[1] {
        p.bytes = b"We never wrote this.".to_vec();
    }
    let openings = vec![
        json!({"name": "opening_attachment_redacted", "description": "Header, body and STIX open; the attachment redacted to its leaf hash.", "commitment": commitment_hex, "parts": opening_json(&redact_attachment), "expect": "ok"}),
        json!({"name": "opening_header_only", "description": "Only the header open.", "commitment": commitment_hex, "parts": opening_json(&Opening::new(&parts, &[0])), "expect": "ok"}),
        json!({"name": "opening_body_swapped", "description": "The body replaced: the commitment no longer matches.", "commitment": commitment_hex, "parts": opening_json(&swapped), "expect": "mismatch"}),
    ];
    let mut doc = json!({
        "description": "Hotline envelope vectors, docs/format.md §5 and §4.2. Generated from a fixed seed by crates/core/src/vectors_test.rs; secrets are test-only.",
        "head_payload_type": HEAD_PAYLOAD_TYPE,
        "hpke_info": String::from_utf8_lossy(suite.hpke_info()),
        "vectors": vectors,
        "openings": openings,
    });
    if suite != Suite::V1 {
        // The hotline-v1 file predates the suites and stays byte for byte.
        doc["suite"] = json!(suite.name());
        doc["suite_id"] = json!(suite.id());
        doc["hpke"] = json!({
            "mode": "base (0x00)",
            "kem_id": format!("0x{:04x}", suite.kem_id()),
            "kem": "X-Wing (ML-KEM-768 + X25519), draft-connolly-cfrg-xwing-kem; HPKE codepoint per draft-ietf-hpke-pq-03",
            "kdf_id": "0x0001",
            "aead_id": "0x0003",
            "enc_len": suite.enc_len(),
            "public_key_len": suite.public_key_len(),
            "stanza_len": suite.stanza_len(),
            "secret": "the 32-byte X-Wing decapsulation key (seed)",
        });
    }
    let mut s = serde_json::to_string_pretty(&doc).expect("json");
    s.push('\n');
    s
}

fn expect_of(r: &Result<Opened, EnvelopeError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(EnvelopeError::NotARecipient(_)) => "not-a-recipient",
        Err(EnvelopeError::BadSignature | EnvelopeError::WrongSender { .. }) => "signature",
        Err(EnvelopeError::BodyMismatch) => "body-mismatch",
        Err(EnvelopeError::Crypto(_)) => "decrypt",
        Err(EnvelopeError::CommitmentMismatch) => "commitment",
        Err(EnvelopeError::Malformed(_)) => "malformed",
        Err(_) => "other",
    }
}

#[test]
fn envelope_vectors_match_and_open_as_expected() {
    check_vectors(Suite::V1);
}

#[test]
fn xwing_envelope_vectors_match_and_open_as_expected() {
    check_vectors(Suite::XWing);
}

fn check_vectors(suite: Suite) {
    let path = path(suite);
    let generated = generate(suite);
    if std::env::var_os("HOTLINE_WRITE_VECTORS").is_some() {
        std::fs::write(&path, &generated).expect("write vectors");
    }
    let on_disk = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{path} is missing; run with HOTLINE_WRITE_VECTORS=1"));
    assert!(
        generated == on_disk,
        "regenerated vectors differ from {path}"
    );

    let doc: Value = serde_json::from_str(&on_disk).unwrap();
    let h = |v: &Value| hex::decode(v.as_str().unwrap()).unwrap();
    let mut checked = 0;
    for v in doc["vectors"].as_array().unwrap() {
        let sender =
            crate::keys::VerifyingKey::from_bytes(&h(&v["sender_public"]).try_into().unwrap())
                .unwrap();
        for opener in v["openers"].as_array().unwrap() {
            let sk = EncryptionSecretKey::from_suite_bytes(
                suite,
                &h(&opener["secret"]).try_into().unwrap(),
            );
            assert_eq!(sk.public_key().as_bytes(), h(&opener["public"]));
            let bytes = h(&v["envelope"]);
            let r = Envelope::from_bytes(&bytes).and_then(|e| e.open(&sender, &sk));
            // A recipient's reading gives the same answer for every vector
            // (each tampers with what its opener checks).
            let lazily =
                Envelope::from_bytes_for_opening(&bytes).and_then(|e| e.open(&sender, &sk));
            assert_eq!(expect_of(&r), expect_of(&lazily), "vector {}", v["name"]);
            assert_eq!(
                expect_of(&r),
                v["expect"].as_str().unwrap(),
                "vector {}",
                v["name"]
            );
            if let Ok(o) = r {
                let parts: Vec<Value> = o.parts.iter().map(part_json).collect();
                assert_eq!(Value::from(parts), v["parts"]);
            }
            checked += 1;
        }
    }
    for o in doc["openings"].as_array().unwrap() {
        let parts = o["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let kind = PartKind::from_name(p["kind"].as_str().unwrap()).unwrap();
                if p.get("leaf_hash").is_some() {
                    OpenedPart::Redacted {
                        kind,
                        leaf_hash: h(&p["leaf_hash"]).try_into().unwrap(),
                    }
                } else {
                    OpenedPart::Open(Part {
                        kind,
                        salt: h(&p["salt"]).try_into().unwrap(),
                        bytes: h(&p["content"]),
                    })
                }
            })
            .collect();
        let ok = Opening { parts }
            .verify(&h(&o["commitment"]).try_into().unwrap())
            .is_ok();
        assert_eq!(
            if ok { "ok" } else { "mismatch" },
            o["expect"].as_str().unwrap(),
            "opening {}",
            o["name"]
        );
        checked += 1;
    }
    // Three openers of the good envelope, one of the two-language one, one
    // of each negative vector (two more, of the index, in an indexed
    // suite), three openings.
    let negatives = if suite.indexed() { 12 } else { 10 };
    assert_eq!(checked, 3 + 1 + negatives + 3);
}
