//! A key belongs to one party, and its holder said so (issue 13 item 2,
//! `docs/format.md` §3.2): a party cannot enrol the other party's member
//! from its `profile.json` or even with a proof that member made; the relay
//! refuses such rosters posted through its API; `sync` raises a `bad-entry`
//! alarm when a relay logs one anyway.

mod common;

use common::cli::*;
use common::proxy::{Forged, Proxy};
use common::*;
use hotline_client::archive::{Archive, ChannelRecord};
use hotline_client::relay_client::RelayClient;
use hotline_client::sync::{SyncError, sync_channel};
use hotline_core::dsse::SignedDocument;
use hotline_core::entry::Entry;
use hotline_core::ids::ChannelId;
use hotline_core::keys::{EncryptionSecretKey, MemberKeys, SigningKey};
use hotline_core::roster::{ROSTER_PAYLOAD_TYPE, Roster, RosterMember, payload_hash};
use hotline_log::checkpoint::Checkpoint;
use hotline_log::merkle::{MemoryTree, leaf_hash};
use hotline_log::note::Note;
use std::sync::Arc;

fn failed(o: std::process::Output) -> String {
    assert!(
        !o.status.success(),
        "expected a refusal\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_party_cannot_enrol_a_key_it_does_not_hold_or_that_is_another_partys() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (dirs, id, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);
    let south_profile = south.join("profile.json");
    let update = |file: &std::path::Path| {
        hotline(
            north,
            &[
                "roster",
                "update",
                "--channel",
                &id,
                "--add",
                file.to_str().unwrap(),
            ],
        )
    };
    // The other party's profile.json: refused, and the message says what to do.
    let e = failed(update(&south_profile));
    assert!(
        e.contains("is a profile.json, not a member proof") && e.contains("hotline roster proof"),
        "{e}"
    );
    // Southland's member's proof for its own party does not enrol it in Northland's.
    let own = d.path().join("south-for-south.json");
    ok(hotline(
        south,
        &[
            "roster",
            "proof",
            "--channel",
            &id,
            "--out",
            own.to_str().unwrap(),
        ],
    ));
    let e = failed(update(&own));
    assert!(e.contains("the proof is for party"), "{e}");
    // Southland's member refuses to make a proof for Northland…
    let tricked = d.path().join("south-for-north.json");
    let e = failed(hotline(
        south,
        &[
            "roster",
            "proof",
            "--channel",
            &id,
            "--party",
            "northland",
            "--out",
            tricked.to_str().unwrap(),
        ],
    ));
    assert!(e.contains("already a key of party"), "{e}");
    // …but even a proof it was talked into making elsewhere (a profile
    // that does not follow the channel) does not enrol it: its keys are Southland's.
    let copy = d.path().join("south-copy");
    std::fs::create_dir_all(&copy).unwrap();
    for f in ["profile.json", "member.key"] {
        std::fs::copy(south.join(f), copy.join(f)).unwrap();
    }
    ok(hotline(
        &copy,
        &[
            "roster",
            "proof",
            "--channel",
            &id,
            "--party",
            north.join("profile.json").to_str().unwrap(),
            "--out",
            tricked.to_str().unwrap(),
        ],
    ));
    let e = failed(update(&tricked));
    assert!(
        e.contains("is already a key of party southland")
            && e.contains("a key belongs to one party"),
        "{e}"
    );
    // Nothing changed: both rosters are still version 1, each with its own member.
    let rosters: serde_json::Value = serde_json::from_str(&ok(hotline(
        north,
        &["roster", "show", "--channel", &id, "--json"],
    )))
    .unwrap();
    for r in rosters.as_array().unwrap() {
        assert_eq!(r["version"], 1, "{rosters}");
        assert_eq!(r["members"].as_array().unwrap().len(), 1, "{rosters}");
    }
    // A member of Northland's own, with its proof, is enrolled.
    let night = d.path().join("night");
    ok(hotline(&night, &["init", "--member-name", "Night officer"]));
    let proof = d.path().join("night.json");
    ok(hotline(
        &night,
        &[
            "roster",
            "proof",
            "--channel",
            &id,
            "--party",
            north.join("profile.json").to_str().unwrap(),
            "--out",
            proof.to_str().unwrap(),
        ],
    ));
    let r = ok(update(&proof));
    assert!(
        r.contains("version 2 of northland") && r.contains("confirmed"),
        "{r}"
    );
    assert!(ok(hotline(south, &["sync"])).contains("verified up to"));
    stop(relay);
}

/// A roster of `party` whose members are given as they are (proofs and
/// all), signed by the party key; built by hand, since `to_document` refuses
/// bad rosters.
fn raw_roster(
    ch: ChannelId,
    party: &SigningKey,
    version: u64,
    previous: Option<&SignedDocument>,
    members: Vec<RosterMember>,
) -> SignedDocument {
    let r = Roster {
        v: 1,
        channel: ch,
        party: party.key_id(),
        version,
        previous: previous.map(|d| payload_hash(&d.payload)),
        issued: "2026-11-22T10:00:00Z".into(),
        members,
    };
    let mut d = SignedDocument::new(ROSTER_PAYLOAD_TYPE, serde_json::to_vec(&r).unwrap());
    d.sign(party);
    d
}

/// The rosters no relay, client or verifier accepts, each as north's next
/// version after `v1` (which lists `n1`), with what the refusal says.
fn bad_rosters(
    ch: ChannelId,
    north: &SigningKey,
    south: &SigningKey,
    v1: &SignedDocument,
    n1: &MemberKeys,
    s1: &MemberKeys,
) -> Vec<(&'static str, SignedDocument, &'static str)> {
    let nid = north.key_id();
    let own = RosterMember::new(&ch, &nid, "member 0", n1);
    let mut no_proof = RosterMember::new(
        &ch,
        &nid,
        "new",
        &MemberKeys::generate(&mut rand_core::OsRng),
    );
    no_proof.proof = String::new();
    let mut bad_proof = RosterMember::new(
        &ch,
        &nid,
        "new",
        &MemberKeys::generate(&mut rand_core::OsRng),
    );
    bad_proof.proof = own.proof.clone();
    let with_signing = |k: &SigningKey| MemberKeys {
        signing: k.clone(),
        encryption: EncryptionSecretKey::generate(&mut rand_core::OsRng),
        xwing: None,
    };
    let v2 = |m: RosterMember| raw_roster(ch, north, 2, Some(v1), vec![own.clone(), m]);
    vec![
        ("no-proof", v2(no_proof), "no proof of possession"),
        ("bad-proof", v2(bad_proof), "does not verify"),
        (
            "other-partys-key",
            v2(RosterMember::new(&ch, &nid, "stolen", s1)),
            "is already a key of party south",
        ),
        (
            "party-key",
            v2(RosterMember::new(&ch, &nid, "party", &with_signing(south))),
            "the party key of south",
        ),
        (
            // An X-Wing key, properly proven, in this hotline-v1 channel:
            // no member of it could seal to that key.
            "other-suite-key",
            v2(RosterMember::for_suite(
                hotline_core::charter::Suite::XWing,
                &ch,
                &nid,
                "hybrid",
                &MemberKeys::generate(&mut rand_core::OsRng),
            )
            .unwrap()),
            "its encryption key is of suite hotline-v2-xwing, but the channel's suite is hotline-v1",
        ),
    ]
}

#[test]
fn the_relay_refuses_rosters_that_break_the_key_rules() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
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
        "0123456789abcdef0123456789abcdef",
    );
    let as_north = RelayClient::new(&relay.url, north.clone()).unwrap();
    let ch = as_north.create_channel(&charter).unwrap();
    let v1 = roster(ch, &north, 1, None, &[&n1]);
    as_north.post_roster(&ch, &v1).unwrap();
    RelayClient::new(&relay.url, south.clone())
        .unwrap()
        .post_roster(&ch, &roster(ch, &south, 1, None, &[&s1]))
        .unwrap();
    for (name, doc, want) in bad_rosters(ch, &north, &south, &v1, &n1, &s1) {
        match as_north.post_roster(&ch, &doc) {
            Err(hotline_client::relay_client::RelayError::Problem {
                status,
                kind,
                detail,
                ..
            }) => {
                assert_eq!(status, 422, "{name}: {detail}");
                assert!(kind.ends_with("rejected"), "{name}: {kind}");
                assert!(detail.contains(want), "{name}: {detail:?} lacks {want:?}");
            }
            other => panic!("{name}: the relay accepted it: {other:?}"),
        }
    }
    // Nothing refused was logged: an honest version 2 is next, at index 3.
    let n2 = MemberKeys::generate(&mut rand_core::OsRng);
    let v2 = roster(ch, &north, 2, Some(&v1), &[&n1, &n2]);
    assert_eq!(as_north.post_roster(&ch, &v2).unwrap().index, 3);
    // Revocation cannot be bypassed: once north revokes n1, south cannot
    // list it, even with n1's own proof for south.
    let v3 = roster(ch, &north, 3, Some(&v2), &[&n2]);
    assert_eq!(as_north.post_roster(&ch, &v3).unwrap().index, 4);
    let s1_entry = RosterMember::new(&ch, &south.key_id(), "member 0", &s1);
    let revived = RosterMember::new(&ch, &south.key_id(), "revived", &n1);
    let s_v1 = roster(ch, &south, 1, None, &[&s1]);
    let bypass = raw_roster(ch, &south, 2, Some(&s_v1), vec![s1_entry, revived]);
    match RelayClient::new(&relay.url, south.clone())
        .unwrap()
        .post_roster(&ch, &bypass)
    {
        Err(hotline_client::relay_client::RelayError::Problem { status, detail, .. }) => {
            assert_eq!(status, 422, "{detail}");
            assert!(
                detail.contains("is already a key of party north"),
                "{detail}"
            );
        }
        other => panic!("the relay let south list north's revoked key: {other:?}"),
    }
    stop(relay);
}

#[test]
fn sync_raises_an_alarm_for_a_bad_roster_the_relay_logged_anyway() {
    let d = tempfile::tempdir().unwrap();
    let name = unique("liar");
    let relay = start(&d.path().join("relay"), &name, None);
    let proxy = Proxy::start(&relay.url);
    let (north, south) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let (n1, s1) = (
        MemberKeys::generate(&mut rand_core::OsRng),
        MemberKeys::generate(&mut rand_core::OsRng),
    );
    let charter = charter_doc_at(
        &proxy.url,
        &relay.vkey,
        &[("north", &north), ("south", &south)],
        "0123456789abcdef0123456789abcdef",
        vec![],
    );
    let direct = RelayClient::new(&relay.url, north.clone()).unwrap();
    let ch = direct.create_channel(&charter).unwrap();
    let v1 = roster(ch, &north, 1, None, &[&n1]);
    direct.post_roster(&ch, &v1).unwrap();
    RelayClient::new(&relay.url, south.clone())
        .unwrap()
        .post_roster(&ch, &roster(ch, &south, 1, None, &[&s1]))
        .unwrap();
    let as_n1 = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    wait_checkpoint(&as_n1, &ch, 3, &relay.vkey);
    let logged: Vec<(String, Vec<u8>)> = as_n1
        .entries(&ch, 0, 10)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| (e.kind, base64_dec(&e.entry)))
        .collect();
    assert_eq!(logged.len(), 3);
    // The relay operator's key signs whatever log it likes.
    let signer = hotline_relay::key::load_or_create(
        &d.path().join("relay"),
        &name,
        &hotline_store::keyfile::Passphrase::new("relay test passphrase".into()),
    )
    .unwrap()
    .0;
    let origin = format!("{name}/{}", ch.to_hex());
    // Every bad roster, and a member's properly signed envelope of another
    // suite than the charter's (X-Wing in this hotline-v1 channel).
    // (what, (entry kind, entry bytes), the alarm's reason)
    type Case<'a> = (&'a str, (String, Vec<u8>), &'a str);
    let mut cases: Vec<Case<'_>> = bad_rosters(ch, &north, &south, &v1, &n1, &s1)
        .into_iter()
        .map(|(what, doc, want)| {
            let e = ("roster".to_owned(), Entry::Roster(doc).to_bytes().unwrap());
            (what, e, want)
        })
        .collect();
    let hybrid = envelope_in(hotline_core::charter::Suite::XWing, ch, &n1, &[&s1], "x");
    cases.push((
        "other-suite-envelope",
        ("envelope".into(), hybrid.signed_head().to_bytes().to_vec()),
        "an envelope of suite hotline-v2-xwing, not the channel's (hotline-v1)",
    ));
    for (what, entry, want) in cases {
        let mut entries = logged.clone();
        entries.push(entry);
        let mut tree = MemoryTree::new();
        for (_, e) in &entries {
            tree.append(leaf_hash(e));
        }
        let text = Checkpoint {
            origin: origin.clone(),
            size: entries.len() as u64,
            root: tree.root(),
            extensions: vec![],
        }
        .to_text();
        let mut note = Note::new(&text).unwrap();
        note.add_signature(signer.sign(&text));
        proxy.set(|l| {
            l.forged = Some(Arc::new(Forged {
                entries,
                note: note.to_bytes(),
                history: vec![],
            }))
        });
        let p = tempfile::tempdir().unwrap();
        let archive = Archive::open(p.path()).unwrap();
        archive
            .add_channel(&ChannelRecord {
                id: ch,
                origin: origin.clone(),
                relay_url: proxy.url.clone(),
                relay_vkey: relay.vkey.clone(),
                charter: charter.to_json(),
            })
            .unwrap();
        let client = RelayClient::new(&proxy.url, n1.signing.clone()).unwrap();
        match sync_channel(&archive, &client, &ch, &n1, &|_, _| {}) {
            Err(SyncError::Alarm(a)) => {
                assert_eq!(a.kind, "bad-entry", "{what}: {a:?}");
                assert!(
                    a.detail.contains("entry 3") && a.detail.contains(want),
                    "{what}: {:?} lacks {want:?}",
                    a.detail
                );
            }
            other => panic!("{what}: expected a bad-entry alarm, got {other:?}"),
        }
        assert_eq!(archive.alarms().unwrap().len(), 1, "{what}");
    }
    stop(relay);
}
