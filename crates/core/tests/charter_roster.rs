//! Charters and rosters: signing, verification, versioning and revocation.

use std::collections::BTreeMap;

use hotline_core::charter::{
    Charter, CharterError, CharterParty, Deadline, DisclosureRule, RelayInfo, VerifiedCharter,
};
use hotline_core::dsse::SignedDocument;
use hotline_core::keys::{MemberKeys, SigningKey};
use hotline_core::message::{Kind, Tlp};
use hotline_core::roster::{
    Directory, ROSTER_PAYLOAD_TYPE, Roster, RosterError, RosterMember, payload_hash,
};

fn party(short: &str, key: &SigningKey) -> CharterParty {
    CharterParty {
        id: key.key_id(),
        name: format!("{short} CERT"),
        short: short.into(),
        key: key.verifying_key().to_base64(),
    }
}

fn charter(keys: &[(&str, &SigningKey)]) -> Charter {
    let mut deadlines = BTreeMap::new();
    deadlines.insert(
        Kind::Inquiry,
        Deadline {
            ack_within: Some(86_400),
            answer_within: Some(30 * 86_400),
        },
    );
    deadlines.insert(
        Kind::Ping,
        Deadline {
            ack_within: Some(3_600),
            answer_within: None,
        },
    );
    Charter {
        v: 1,
        title: "Test channel".into(),
        nonce: "0123456789abcdef0123456789abcdef".into(),
        created: "2026-11-22T10:00:00Z".into(),
        parties: keys.iter().map(|(s, k)| party(s, k)).collect(),
        relay: RelayInfo {
            url: "https://relay.example".into(),
            key: "relay.example+01234567+AQ==".into(),
        },
        witnesses: vec![],
        witness_quorum: 0,
        deadlines,
        disclosure: DisclosureRule::Unanimous,
        default_tlp: Tlp::Amber,
        retention_days: 365,
        suite: "hotline-v1".into(),
    }
}

fn keys(n: u8) -> Vec<SigningKey> {
    (1..=n).map(|i| SigningKey::from_seed(&[i; 32])).collect()
}

#[test]
fn charter_needs_every_party_and_no_one_else() {
    let k = keys(4);
    let c = charter(&[("north", &k[0]), ("south", &k[1]), ("east", &k[2])]);
    let mut doc = c.to_document().unwrap();
    doc.sign(&k[0]);
    doc.sign(&k[1]);
    assert!(
        matches!(VerifiedCharter::verify(&doc), Err(CharterError::MissingSignature(s)) if s == "east")
    );
    doc.sign(&k[2]);
    let v = VerifiedCharter::verify(&doc).unwrap();
    assert_eq!(
        v.channel(),
        hotline_core::ids::ChannelId::for_charter_payload(&doc.payload)
    );
    // Signatures travel as JSON and survive the round trip.
    let again =
        VerifiedCharter::verify(&SignedDocument::from_json(&doc.to_json()).unwrap()).unwrap();
    assert_eq!(again.channel(), v.channel());
    doc.sign(&k[3]);
    assert!(matches!(
        VerifiedCharter::verify(&doc),
        Err(CharterError::StraySignature(_))
    ));
}

#[test]
fn charter_rules() {
    let k = keys(2);
    let ok = charter(&[("north", &k[0]), ("south", &k[1])]);
    ok.validate().unwrap();
    let mut one = ok.clone();
    one.parties.truncate(1);
    assert!(one.validate().is_err());
    let mut dup = ok.clone();
    dup.parties[1].short = "north".into();
    assert!(dup.validate().is_err());
    let mut wrong_id = ok.clone();
    wrong_id.parties[0].id = k[1].key_id();
    assert!(wrong_id.validate().is_err());
    let mut quorum = ok.clone();
    quorum.witness_quorum = 1;
    assert!(quorum.validate().is_err());
    let mut ack_deadline = ok.clone();
    ack_deadline.deadlines.insert(
        Kind::Ack,
        Deadline {
            ack_within: Some(1),
            answer_within: None,
        },
    );
    assert!(ack_deadline.validate().is_err());
    // A payload signed, then altered, no longer verifies.
    let mut doc = ok.to_document().unwrap();
    doc.sign(&k[0]);
    doc.sign(&k[1]);
    let last = doc.payload.len() - 2;
    doc.payload[last] ^= 1;
    assert!(VerifiedCharter::verify(&doc).is_err());
}

struct Setup {
    dir: Directory,
    party_keys: Vec<SigningKey>,
}

/// The relay's and the witness's keys in [`setup`]'s charter.
fn relay_key() -> SigningKey {
    SigningKey::from_seed(&[100; 32])
}
fn witness_key() -> SigningKey {
    SigningKey::from_seed(&[101; 32])
}
fn vkey(name: &str, alg: u8, k: &SigningKey) -> String {
    let mut raw = vec![alg];
    raw.extend_from_slice(&k.verifying_key().to_bytes());
    format!("{name}+01234567+{}", hotline_core::b64::encode(&raw))
}

fn setup() -> Setup {
    let k = keys(2);
    let mut c = charter(&[("north", &k[0]), ("south", &k[1])]);
    c.relay.key = vkey("relay.example", 1, &relay_key());
    c.witnesses.push(hotline_core::charter::WitnessInfo {
        key: vkey("witness.example", 4, &witness_key()),
        url: "https://witness.example".into(),
    });
    let mut doc = c.to_document().unwrap();
    doc.sign(&k[0]);
    doc.sign(&k[1]);
    Setup {
        dir: Directory::new(VerifiedCharter::verify(&doc).unwrap()),
        party_keys: k,
    }
}

/// The entry of the member holding `m` in party `party`'s roster, with its proof.
fn member(s: &Setup, party: usize, m: &MemberKeys, name: &str) -> RosterMember {
    RosterMember::new(
        &s.dir.charter().channel(),
        &s.party_keys[party].key_id(),
        name,
        m,
    )
}

fn roster_doc(
    s: &Setup,
    party: usize,
    version: u64,
    previous: Option<String>,
    members: Vec<RosterMember>,
) -> SignedDocument {
    let r = Roster {
        v: 1,
        channel: s.dir.charter().channel(),
        party: s.party_keys[party].key_id(),
        version,
        previous,
        issued: "2026-11-22T10:00:00Z".into(),
        members,
    };
    // Built by hand (not `to_document`, which refuses bad rosters) so tests can present bad ones.
    let mut d = SignedDocument::new(ROSTER_PAYLOAD_TYPE, serde_json::to_vec(&r).unwrap());
    d.sign(&s.party_keys[party]);
    d
}

#[test]
fn roster_versions_rotation_and_revocation() {
    let mut s = setup();
    let alice = MemberKeys::generate(&mut rand_core::OsRng);
    let alice2 = MemberKeys::generate(&mut rand_core::OsRng);
    let v1 = roster_doc(&s, 0, 1, None, vec![member(&s, 0, &alice, "Alice")]);
    s.dir.apply(1, &v1).unwrap();
    let a = alice.signing.key_id();
    assert!(
        s.dir.signer_at(&a, 1).is_none(),
        "a roster takes effect after its own index"
    );
    assert_eq!(
        s.dir.signer_at(&a, 2).unwrap().party,
        s.party_keys[0].key_id()
    );

    // Version 2 rotates Alice's keys: the old key is revoked from index 10 on.
    let v2 = roster_doc(
        &s,
        0,
        2,
        Some(payload_hash(&v1.payload)),
        vec![member(&s, 0, &alice2, "Alice")],
    );
    s.dir.apply(10, &v2).unwrap();
    assert!(
        s.dir.signer_at(&a, 10).is_some(),
        "still valid at the roster's own index"
    );
    assert!(
        s.dir.signer_at(&a, 11).is_none(),
        "revoked after the new roster"
    );
    assert!(s.dir.signer_at(&alice2.signing.key_id(), 11).is_some());
    assert_eq!(s.dir.current_members().len(), 1);
    assert_eq!(s.dir.history(&s.party_keys[0].key_id()).len(), 2);
}

#[test]
fn roster_chain_rules() {
    let mut s = setup();
    let alice = MemberKeys::generate(&mut rand_core::OsRng);
    let v1 = roster_doc(&s, 0, 1, None, vec![member(&s, 0, &alice, "Alice")]);
    // Version gaps and a wrong previous hash are refused.
    assert!(matches!(
        s.dir.apply(
            1,
            &roster_doc(&s, 0, 2, None, vec![member(&s, 0, &alice, "A")])
        ),
        Err(RosterError::Invalid(_))
    ));
    s.dir.apply(1, &v1).unwrap();
    assert!(matches!(
        s.dir.apply(
            2,
            &roster_doc(
                &s,
                0,
                2,
                Some("00".repeat(32)),
                vec![member(&s, 0, &alice, "A")]
            )
        ),
        Err(RosterError::Invalid(_))
    ));
    // Signed by the other party's key.
    let mut forged = roster_doc(
        &s,
        0,
        2,
        Some(payload_hash(&v1.payload)),
        vec![member(&s, 0, &alice, "A")],
    );
    forged.signatures.clear();
    forged.sign(&s.party_keys[1]);
    assert!(matches!(
        s.dir.apply(3, &forged),
        Err(RosterError::BadSignature)
    ));
    // A key listed twice.
    let dup = roster_doc(
        &s,
        1,
        1,
        None,
        vec![member(&s, 1, &alice, "A"), member(&s, 1, &alice, "B")],
    );
    assert!(matches!(s.dir.apply(4, &dup), Err(RosterError::Invalid(m)) if m.contains("twice")));
    // Indexes must increase.
    let ok2 = roster_doc(
        &s,
        0,
        2,
        Some(payload_hash(&v1.payload)),
        vec![member(&s, 0, &alice, "A")],
    );
    assert!(s.dir.apply(1, &ok2).is_err());
    s.dir.apply(5, &ok2).unwrap();
}

/// The keys of `signing` with a fresh encryption key.
fn with_signing(signing: &SigningKey) -> MemberKeys {
    MemberKeys {
        signing: signing.clone(),
        encryption: hotline_core::keys::EncryptionSecretKey::generate(&mut rand_core::OsRng),
        xwing: None,
    }
}

fn refused(r: Result<&hotline_core::roster::RosterVersion, RosterError>, want: &str) {
    match r {
        Err(RosterError::Invalid(m)) => assert!(m.contains(want), "{m:?} does not say {want:?}"),
        other => panic!(
            "expected a refusal saying {want:?}, got {:?}",
            other.map(|v| v.index)
        ),
    }
}

#[test]
fn every_member_proves_it_holds_its_keys() {
    let mut s = setup();
    let alice = MemberKeys::generate(&mut rand_core::OsRng);
    let mallory = MemberKeys::generate(&mut rand_core::OsRng);
    let good = member(&s, 0, &alice, "Alice");
    // No proof at all (an older client's roster, or a party enrolling a key it was only shown).
    let mut none = good.clone();
    none.proof = String::new();
    refused(
        s.dir.apply(1, &roster_doc(&s, 0, 1, None, vec![none])),
        "no proof of possession",
    );
    // The JSON without the field is the same refusal, not a parse error.
    let bare = format!(
        r#"{{"v":1,"channel":"{}","party":"{}","version":1,"previous":null,"issued":"2026-11-22T10:00:00Z","members":[{{"name":"Alice","signing_key":"{}","encryption_key":"{}"}}]}}"#,
        s.dir.charter().channel().to_hex(),
        s.party_keys[0].key_id().to_hex(),
        good.signing_key,
        good.encryption_key
    );
    let mut d = SignedDocument::new(ROSTER_PAYLOAD_TYPE, bare.into_bytes());
    d.sign(&s.party_keys[0]);
    refused(s.dir.apply(1, &d), "no proof of possession");
    // A proof made by another key over Alice's keys.
    let mut forged = good.clone();
    forged.proof = member(&s, 0, &mallory, "Alice").proof;
    refused(
        s.dir.apply(1, &roster_doc(&s, 0, 1, None, vec![forged])),
        "does not verify",
    );
    // Alice's proof for south, presented by north; under another name; with
    // another encryption key; for another channel.
    let for_south = member(&s, 1, &alice, "Alice");
    refused(
        s.dir.apply(1, &roster_doc(&s, 0, 1, None, vec![for_south])),
        "does not verify",
    );
    let mut renamed = good.clone();
    renamed.name = "Alice (admin)".into();
    refused(
        s.dir.apply(1, &roster_doc(&s, 0, 1, None, vec![renamed])),
        "does not verify",
    );
    let mut other_enc = good.clone();
    other_enc.encryption_key = mallory.encryption.public_key().to_base64();
    refused(
        s.dir.apply(1, &roster_doc(&s, 0, 1, None, vec![other_enc])),
        "does not verify",
    );
    let other_channel = RosterMember::new(
        &hotline_core::ids::ChannelId([9; 16]),
        &s.party_keys[0].key_id(),
        "Alice",
        &alice,
    );
    refused(
        s.dir
            .apply(1, &roster_doc(&s, 0, 1, None, vec![other_channel])),
        "does not verify",
    );
    let mut garbage = good.clone();
    garbage.proof = "AAAA".into();
    refused(
        s.dir.apply(1, &roster_doc(&s, 0, 1, None, vec![garbage])),
        "not a base64 64-byte",
    );
    // Nothing refused changed the directory: the good roster is still version 1.
    s.dir
        .apply(1, &roster_doc(&s, 0, 1, None, vec![good]))
        .unwrap();
    assert!(s.dir.signer_at(&alice.signing.key_id(), 2).is_some());
}

#[test]
fn a_key_belongs_to_one_party() {
    let mut s = setup();
    let alice = MemberKeys::generate(&mut rand_core::OsRng);
    let bob = MemberKeys::generate(&mut rand_core::OsRng);
    let v1 = roster_doc(&s, 0, 1, None, vec![member(&s, 0, &alice, "Alice")]);
    s.dir.apply(1, &v1).unwrap();
    // South lists Alice's keys, with a proof Alice was tricked into making
    // for south: still refused, the keys are north's.
    let stolen = roster_doc(&s, 1, 1, None, vec![member(&s, 1, &alice, "Alice")]);
    refused(s.dir.apply(2, &stolen), "is already a key of party north");
    // Bob's signing key with Alice's encryption key (Bob signs the statement).
    let mixed = MemberKeys {
        signing: bob.signing.clone(),
        encryption: alice.encryption.clone(),
        xwing: None,
    };
    let r = roster_doc(&s, 1, 1, None, vec![member(&s, 1, &mixed, "Bob")]);
    refused(s.dir.apply(2, &r), "its encryption key");
    // Ever, not only while current: north revokes Alice; south still cannot list her.
    let v2 = roster_doc(
        &s,
        0,
        2,
        Some(payload_hash(&v1.payload)),
        vec![member(&s, 0, &bob, "Bob")],
    );
    s.dir.apply(3, &v2).unwrap();
    refused(s.dir.apply(4, &stolen), "is already a key of party north");
    // Party keys (another's or its own), the relay key and a witness key are never member keys.
    for (k, want) in [
        (&s.party_keys[0], "the party key of north"),
        (&s.party_keys[1], "the party key of south"),
        (&relay_key(), "the relay's key"),
        (&witness_key(), "the key of witness witness.example"),
    ] {
        let r = roster_doc(&s, 1, 1, None, vec![member(&s, 1, &with_signing(k), "Key")]);
        refused(s.dir.apply(5, &r), want);
    }
    // One key's bytes in two roles, across members or in one member.
    let carol = MemberKeys::generate(&mut rand_core::OsRng);
    let echo = MemberKeys {
        signing: SigningKey::from_seed(&[42; 32]),
        encryption: hotline_core::keys::EncryptionSecretKey::generate(&mut rand_core::OsRng),
        xwing: None,
    };
    let mut twin = member(&s, 1, &echo, "Echo");
    let vk = echo.signing.verifying_key();
    let same = hotline_core::keys::EncryptionPublicKey::X25519(vk.to_bytes());
    twin.encryption_key = same.to_base64();
    twin.proof = hotline_core::b64::encode(
        &echo
            .signing
            .sign(&hotline_core::roster::member_statement(
                &s.dir.charter().channel(),
                &s.party_keys[1].key_id(),
                "Echo",
                &vk,
                &same,
            ))
            .0,
    );
    let r = roster_doc(&s, 1, 1, None, vec![member(&s, 1, &carol, "Carol"), twin]);
    refused(s.dir.apply(5, &r), "listed twice");
    // North may list Alice again (her keys are north's), and south its own member.
    let v3 = roster_doc(
        &s,
        0,
        3,
        Some(payload_hash(&v2.payload)),
        vec![member(&s, 0, &bob, "Bob"), member(&s, 0, &alice, "Alice")],
    );
    s.dir.apply(6, &v3).unwrap();
    let south = roster_doc(&s, 1, 1, None, vec![member(&s, 1, &carol, "Carol")]);
    s.dir.apply(7, &south).unwrap();
    assert_eq!(
        s.dir.signer_at(&alice.signing.key_id(), 8).unwrap().party,
        s.party_keys[0].key_id()
    );
}
