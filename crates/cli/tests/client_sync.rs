//! The client's sync against the real relay binary: entries verified and
//! mirrored, envelopes addressed to us opened and stored, the checkpoint
//! cosigned; and the alarms for a relay key that is not the charter's, a
//! replayed (older) checkpoint and two checkpoints of one size with
//! different roots, each kept with its signed evidence.

mod common;

use common::*;
use hotline_client::archive::{Archive, ChannelRecord, SeenCheckpoint};
use hotline_client::relay_client::RelayClient;
use hotline_client::sync::{SyncError, check_witness_quorum, sync_channel};
use hotline_core::envelope::Envelope;
use hotline_core::keys::{MemberKeys, SigningKey};
use hotline_core::message::{Kind, Message};
use hotline_log::checkpoint::Checkpoint;
use hotline_log::cosignature::CosignatureVerifier;
use hotline_log::note::Note;

#[test]
fn sync_verifies_opens_stores_cosigns_and_raises_alarms() {
    let d = tempfile::tempdir().unwrap();
    let name = unique("relay");
    let relay = start(&d.path().join("relay"), &name, None);
    let (north, south) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let (n1, s1) = (
        MemberKeys::generate(&mut rand_core::OsRng),
        MemberKeys::generate(&mut rand_core::OsRng),
    );
    let charter = charter_doc(
        &relay,
        &[("north", &north), ("south", &south)],
        "aabbccddeeff00112233445566778899",
    );
    let ch = RelayClient::new(&relay.url, north.clone())
        .unwrap()
        .create_channel(&charter)
        .unwrap();
    RelayClient::new(&relay.url, north.clone())
        .unwrap()
        .post_roster(&ch, &roster(ch, &north, 1, None, &[&n1]))
        .unwrap();
    RelayClient::new(&relay.url, south.clone())
        .unwrap()
        .post_roster(&ch, &roster(ch, &south, 1, None, &[&s1]))
        .unwrap();
    let as_n1 = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    let as_s1 = RelayClient::new(&relay.url, s1.signing.clone()).unwrap();
    let post = |m: &Message| {
        let (env, _) = Envelope::seal_message(
            m,
            &n1.signing,
            &[s1.encryption.public_key(), n1.encryption.public_key()],
            &mut rand_core::OsRng,
        )
        .unwrap();
        let i = as_n1.post_envelopes(&ch, &[env]).unwrap()[0].index;
        // The head, then the relay's time attestation dating it.
        wait_checkpoint(&as_s1, &ch, i + 2, &relay.vkey);
        i
    };
    let inquiry = message(
        ch,
        &n1,
        &north,
        &south,
        Kind::Inquiry,
        "We observe intrusions; indicators attached.",
        None,
    );
    assert_eq!(post(&inquiry), 3);
    // An envelope not addressed to s1 is verified and mirrored, not opened.
    let (other, _) = Envelope::seal_message(
        &message(
            ch,
            &n1,
            &north,
            &south,
            Kind::Warning,
            "for north only",
            None,
        ),
        &n1.signing,
        &[n1.encryption.public_key()],
        &mut rand_core::OsRng,
    )
    .unwrap();
    assert_eq!(as_n1.post_envelopes(&ch, &[other]).unwrap()[0].index, 5);
    wait_checkpoint(&as_s1, &ch, 7, &relay.vkey);

    // Each checkpoint carries the relay's timestamp cosignature (the relay
    // key as a tlog-cosignature/v1 cosigner), which dates its entries.
    let tv =
        CosignatureVerifier::from_vkey(&hotline_relay::key::timestamp_vkey(&relay.vkey).unwrap())
            .unwrap();
    let served = Note::parse(&as_s1.checkpoint_at(&ch, 7).unwrap()).unwrap();
    let stamped: Vec<u64> = served
        .signatures
        .iter()
        .filter_map(|s| tv.verify(&served.text, s).ok().flatten())
        .collect();
    assert_eq!(stamped.len(), 1, "{}", served.text);
    let unix_now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    assert!(stamped[0] <= unix_now() && stamped[0] + 60 >= unix_now());

    let profile = tempfile::tempdir().unwrap();
    let archive = Archive::open(profile.path()).unwrap();
    let record = ChannelRecord {
        id: ch,
        origin: format!("{name}/{}", ch.to_hex()),
        relay_url: relay.url.clone(),
        relay_vkey: relay.vkey.clone(),
        charter: charter.to_json(),
    };
    archive.add_channel(&record).unwrap();
    let out = sync_channel(&archive, &as_s1, &ch, &s1, &|_, _| {}).unwrap();
    assert_eq!(
        (out.size, out.new_entries, out.opened, out.cosigned),
        (7, 7, 1, true)
    );
    let msgs = archive.messages(&ch).unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        (msgs[0].index, msgs[0].body.as_str()),
        (3, inquiry.body.as_str())
    );
    // The inquiry opened a case, dated by the relay, with the charter's deadlines.
    let charter_v = hotline_core::charter::VerifiedCharter::verify(&charter).unwrap();
    let (cases, _) =
        hotline_client::cases::derive(charter_v.charter(), &archive.logged_messages(&ch).unwrap());
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].id, inquiry.header.id);
    assert_eq!(cases[0].to, vec![south.key_id()]);
    assert_eq!(
        cases[0].ack_due,
        cases[0].opened_at.map(|t| t + 86_400),
        "the test charter gives inquiries a day to acknowledge"
    );
    // When it was sequenced, at the latest: the same on every machine (the
    // time attestation at 4 dates it).
    let t3 = archive
        .sequenced_at(&ch, 3)
        .unwrap()
        .expect("a time attestation dates entry 3");
    assert!(t3 <= stamped[0] && t3 + 60 >= unix_now(), "{t3}");
    // The receipt: s1's cosignature is attached to the relay's checkpoint.
    let served = Note::parse(&as_s1.checkpoint_at(&ch, 7).unwrap()).unwrap();
    let v = CosignatureVerifier::from_vkey(&relay_member_vkey(&s1)).unwrap();
    assert!(
        served
            .signatures
            .iter()
            .any(|s| matches!(v.verify(&served.text, s), Ok(Some(_))))
    );

    // Nothing new: nothing fetched. Something new: only it.
    assert_eq!(
        sync_channel(&archive, &as_s1, &ch, &s1, &|_, _| {})
            .unwrap()
            .new_entries,
        0
    );
    post(&message(
        ch,
        &n1,
        &north,
        &south,
        Kind::Interim,
        "still looking",
        Some(inquiry.header.id),
    ));
    let out = sync_channel(&archive, &as_s1, &ch, &s1, &|_, _| {}).unwrap();
    assert_eq!((out.size, out.new_entries, out.opened), (9, 2, 1));
    assert!(archive.alarms().unwrap().is_empty());

    // The relay key signs what the test says: a larger checkpoint whose root
    // the client "saw" earlier makes the real one look like a replay or fork.
    let signer = hotline_relay::key::load_or_create(
        &d.path().join("relay"),
        &name,
        &hotline_store::keyfile::Passphrase::new("relay test passphrase".into()),
    )
    .unwrap()
    .0;
    let forged = |size: u64, root: [u8; 32]| -> SeenCheckpoint {
        let text = Checkpoint {
            origin: record.origin.clone(),
            size,
            root,
            extensions: vec![],
        }
        .to_text();
        let mut n = Note::new(&text).unwrap();
        n.add_signature(signer.sign(&text));
        SeenCheckpoint {
            size,
            root,
            note: n.to_bytes(),
            time: None,
        }
    };
    // Same size, another root: a fork, with both signed checkpoints kept.
    let p2 = tempfile::tempdir().unwrap();
    let a2 = Archive::open(p2.path()).unwrap();
    a2.add_channel(&record).unwrap();
    a2.record_checkpoint(&ch, &forged(9, [7; 32])).unwrap();
    // (the mirror is empty; the check against the seen checkpoint comes first)
    match sync_channel(&a2, &as_s1, &ch, &s1, &|_, _| {}) {
        Err(SyncError::Alarm(a)) => {
            assert_eq!(a.kind, "fork", "{a:?}");
            assert_eq!(a.evidence.len(), 2);
        }
        other => panic!("expected a fork alarm, got {other:?}"),
    }
    assert_eq!(a2.alarms().unwrap().len(), 1, "the alarm is persistent");

    // The archive saw size 10 before; the relay now shows 9: a replay.
    archive
        .record_checkpoint(&ch, &forged(10, [9; 32]))
        .unwrap();
    match sync_channel(&archive, &as_s1, &ch, &s1, &|_, _| {}) {
        Err(SyncError::Alarm(a)) => assert_eq!(a.kind, "stale-checkpoint", "{a:?}"),
        other => panic!("expected a stale-checkpoint alarm, got {other:?}"),
    }

    // A relay key that is not the charter's.
    let p3 = tempfile::tempdir().unwrap();
    let a3 = Archive::open(p3.path()).unwrap();
    let mut wrong = record.clone();
    wrong.relay_vkey = "other.example+01234567+AXe4xkKAuDBf8yItPbXm+DT4vgqCJ0vFdWcy2LhYOupx".into();
    a3.add_channel(&wrong).unwrap();
    match sync_channel(&a3, &as_s1, &ch, &s1, &|_, _| {}) {
        Err(SyncError::Alarm(a)) => assert_eq!(a.kind, "bad-checkpoint", "{a:?}"),
        other => panic!("expected a bad-checkpoint alarm, got {other:?}"),
    }
    stop(relay);
}

fn relay_member_vkey(m: &MemberKeys) -> String {
    hotline_relay::api::member_cosigner_vkey(&m.signing.verifying_key())
}

#[test]
fn a_missing_witness_quorum_is_an_alarm_after_the_grace_period() {
    let d = tempfile::tempdir().unwrap();
    let name = unique("relay");
    let relay = start(&d.path().join("relay"), &name, None);
    let (north, south) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let s1 = MemberKeys::generate(&mut rand_core::OsRng);
    // A witness that never answers (nothing listens on its port).
    let w = hotline_log::cosignature::Cosigner::new("witness.test/absent", &[3; 32]).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let charter = charter_doc_with(
        &relay,
        &[("north", &north), ("south", &south)],
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        vec![hotline_core::charter::WitnessInfo {
            key: w.vkey(),
            url: format!("http://127.0.0.1:{port}"),
        }],
    );
    let ch = RelayClient::new(&relay.url, north.clone())
        .unwrap()
        .create_channel(&charter)
        .unwrap();
    RelayClient::new(&relay.url, south.clone())
        .unwrap()
        .post_roster(&ch, &roster(ch, &south, 1, None, &[&s1]))
        .unwrap();
    let as_s1 = RelayClient::new(&relay.url, s1.signing.clone()).unwrap();
    wait_checkpoint(&as_s1, &ch, 2, &relay.vkey);
    let profile = tempfile::tempdir().unwrap();
    let archive = Archive::open(profile.path()).unwrap();
    let record = ChannelRecord {
        id: ch,
        origin: format!("{name}/{}", ch.to_hex()),
        relay_url: relay.url.clone(),
        relay_vkey: relay.vkey.clone(),
        charter: charter.to_json(),
    };
    archive.add_channel(&record).unwrap();
    sync_channel(&archive, &as_s1, &ch, &s1, &|_, _| {}).unwrap();
    let seen = archive.latest_checkpoint(&ch).unwrap().unwrap();
    let c = hotline_core::charter::VerifiedCharter::verify(&charter).unwrap();
    let t = seen.time.expect("timestamped");
    // Within the grace period: nothing yet.
    assert!(
        check_witness_quorum(&archive, &as_s1, &ch, c.charter(), &seen, 120, t + 10)
            .unwrap()
            .is_none()
    );
    // After it: an alarm, raised once.
    let a = check_witness_quorum(&archive, &as_s1, &ch, c.charter(), &seen, 120, t + 121)
        .unwrap()
        .unwrap();
    assert_eq!(a.kind, "witness-quorum");
    assert!(a.detail.contains("only 0 of the 1"), "{}", a.detail);
    assert!(
        check_witness_quorum(&archive, &as_s1, &ch, c.charter(), &seen, 120, t + 500)
            .unwrap()
            .is_none()
    );
    assert_eq!(archive.alarms().unwrap().len(), 1);

    // A verified checkpoint without the relay's timestamp: the grace period
    // runs from when this archive first verified it (not never).
    let p2 = tempfile::tempdir().unwrap();
    let a2 = Archive::open(p2.path()).unwrap();
    a2.add_channel(&record).unwrap();
    sync_channel(&a2, &as_s1, &ch, &s1, &|_, _| {}).unwrap();
    let mut untimed = a2.latest_checkpoint(&ch).unwrap().unwrap();
    untimed.time = None;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        check_witness_quorum(&a2, &as_s1, &ch, c.charter(), &untimed, 120, now + 10)
            .unwrap()
            .is_none()
    );
    let a = check_witness_quorum(&a2, &as_s1, &ch, c.charter(), &untimed, 120, now + 121)
        .unwrap()
        .expect("the quorum is checked on an untimestamped checkpoint too");
    assert_eq!(a.kind, "witness-quorum");
    stop(relay);
}
