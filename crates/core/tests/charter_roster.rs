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

fn setup() -> Setup {
    let k = keys(2);
    let c = charter(&[("north", &k[0]), ("south", &k[1])]);
    let mut doc = c.to_document().unwrap();
    doc.sign(&k[0]);
    doc.sign(&k[1]);
    Setup {
        dir: Directory::new(VerifiedCharter::verify(&doc).unwrap()),
        party_keys: k,
    }
}

fn member(m: &MemberKeys, name: &str) -> RosterMember {
    RosterMember {
        name: name.into(),
        signing_key: m.signing.verifying_key().to_base64(),
        encryption_key: m.encryption.public_key().to_base64(),
    }
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
    let v1 = roster_doc(&s, 0, 1, None, vec![member(&alice, "Alice")]);
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
        vec![member(&alice2, "Alice")],
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
    let v1 = roster_doc(&s, 0, 1, None, vec![member(&alice, "Alice")]);
    // Version gaps and a wrong previous hash are refused.
    assert!(matches!(
        s.dir
            .apply(1, &roster_doc(&s, 0, 2, None, vec![member(&alice, "A")])),
        Err(RosterError::Invalid(_))
    ));
    s.dir.apply(1, &v1).unwrap();
    assert!(matches!(
        s.dir.apply(
            2,
            &roster_doc(&s, 0, 2, Some("00".repeat(32)), vec![member(&alice, "A")])
        ),
        Err(RosterError::Invalid(_))
    ));
    // Signed by the other party's key.
    let mut forged = roster_doc(
        &s,
        0,
        2,
        Some(payload_hash(&v1.payload)),
        vec![member(&alice, "A")],
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
        vec![member(&alice, "A"), member(&alice, "B")],
    );
    assert!(matches!(s.dir.apply(4, &dup), Err(RosterError::Invalid(m)) if m.contains("twice")));
    // Indexes must increase.
    let ok2 = roster_doc(
        &s,
        0,
        2,
        Some(payload_hash(&v1.payload)),
        vec![member(&alice, "A")],
    );
    assert!(s.dir.apply(1, &ok2).is_err());
    s.dir.apply(5, &ok2).unwrap();
}
