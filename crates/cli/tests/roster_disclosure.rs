//! Both bundle verifiers refuse a bundle whose roster breaks the key rules
//! (issue 13 item 2, `docs/format.md` §3.2): a member without a proof of
//! possession, with a proof that does not verify, with another party's key,
//! with a party key. Each bundle is what a relay operator holding the relay
//! key could make: the log with the bad roster in place of the real one,
//! re-signed, every inclusion proof recomputed — so the roster rules, and
//! nothing else, make it invalid (the same log re-signed unchanged stays
//! valid). With `HOTLINE_DISCLOSURE_CORPUS` set, the bundles are written to
//! its `rosters/` folder with the Rust verdicts, for verify.html's tests
//! (`web/verify/test/rosters.test.mjs`).

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::cli::*;
use common::*;
use hotline_client::archive::Archive;
use hotline_client::profile::{Passphrase, Profile};
use hotline_core::charter::Suite;
use hotline_core::dsse::SignedDocument;
use hotline_core::entry::Entry;
use hotline_core::keys::{EncryptionSecretKey, MemberKeys};
use hotline_core::roster::{ROSTER_PAYLOAD_TYPE, Roster, RosterMember};
use hotline_disclosure::proof::TlogProof;
use hotline_disclosure::{Verdict, verify};
use hotline_log::checkpoint::Checkpoint;
use hotline_log::merkle::{MemoryTree, inclusion_proof, leaf_hash};
use hotline_log::note::Note;
use hotline_log::storage::LogStore;
use serde_json::Value;

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

#[test]
fn bundles_with_rosters_that_break_the_key_rules_are_invalid() {
    let d = tempfile::tempdir().unwrap();
    let name = unique("relay");
    let relay = start(&d.path().join("relay"), &name, None);
    let (dirs, id, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);
    let opened = ok(hotline(
        north,
        &[
            "case",
            "open",
            "--kind",
            "inquiry",
            "--to",
            "southland",
            "--title",
            "Intrusions",
            "--body",
            "We see intrusions.",
        ],
    ));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();
    ok(hotline(south, &["case", "ack", &case]));
    let r = ok(hotline(
        north,
        &[
            "disclose",
            "request",
            "--case",
            &case,
            "--purpose",
            "rosters",
        ],
    ));
    let request = r.split_whitespace().nth(2).unwrap().to_owned();
    ok(hotline(south, &["disclose", "consent", &request]));
    ok(hotline(north, &["sync"]));
    let f = d.path().join("bundle.json");
    ok(hotline(
        north,
        &["disclose", "export", &request, "--out", f.to_str().unwrap()],
    ));
    let valid: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    assert_eq!(verify(&bytes(&valid)).verdict, Verdict::Valid);

    // The whole log, from northland's verified mirror.
    let pass = Passphrase::new(PASS.into());
    let archive = Archive::open(north).unwrap();
    let ch = hotline_core::ids::ChannelId::from_hex(&id).unwrap();
    let origin = archive.channel(&ch).unwrap().origin;
    let size = Note::parse(valid["checkpoint"].as_str().unwrap().as_bytes())
        .map(|n| Checkpoint::parse(&n.text).unwrap().size)
        .unwrap();
    let log = archive.log.read_entries(&origin, 0, size).unwrap();
    assert_eq!(log.len() as u64, size);
    // Southland's roster (version 1, at index 2) is what the variants replace.
    let at = 2usize;
    let Entry::Roster(real) = Entry::from_bytes(&log[at]).unwrap() else {
        panic!("entry 2 is not a roster");
    };
    let real: Roster = serde_json::from_slice(&real.payload).unwrap();
    let south_profile = Profile::open(south).unwrap();
    let south_key = south_profile.unlock_party(&pass).unwrap();
    assert_eq!(real.party, south_key.key_id());
    let north_profile = Profile::open(north).unwrap();
    let north_key = north_profile.unlock_party(&pass).unwrap();
    let n1 = north_profile.unlock_member(&pass).unwrap();

    let signer = hotline_relay::key::load_or_create(
        &d.path().join("relay"),
        &name,
        &hotline_store::keyfile::Passphrase::new("relay test passphrase".into()),
    )
    .unwrap()
    .0;
    // The bundle over the log with `roster` (signed by southland) at index 2.
    let forge = |members: Vec<RosterMember>| -> Value {
        let r = Roster {
            members,
            ..real.clone()
        };
        let mut doc = SignedDocument::new(ROSTER_PAYLOAD_TYPE, serde_json::to_vec(&r).unwrap());
        doc.sign(&south_key);
        let mut log = log.clone();
        log[at] = Entry::Roster(doc).to_bytes().unwrap();
        let mut tree = MemoryTree::new();
        for e in &log {
            tree.append(leaf_hash(e));
        }
        let text = Checkpoint {
            origin: origin.clone(),
            size,
            root: tree.root(),
            extensions: vec![],
        }
        .to_text();
        let mut note = Note::new(&text).unwrap();
        note.add_signature(signer.sign(&text));
        let cp = String::from_utf8(note.to_bytes()).unwrap();
        let mut b = valid.clone();
        b["checkpoint"] = cp.clone().into();
        for e in b["entries"].as_array_mut().unwrap() {
            let i = e["index"].as_u64().unwrap();
            e["entry"] = B64.encode(&log[i as usize]).into();
            let mut p = TlogProof::parse(e["proof"].as_str().unwrap()).unwrap();
            p.hashes = inclusion_proof(i, size, &tree).unwrap();
            p.checkpoint = cp.clone();
            e["proof"] = p.to_text().into();
        }
        b
    };
    let sid = south_key.key_id();
    let s1 = real.members[0].clone();
    let fresh = || MemberKeys::generate(&mut rand_core::OsRng);
    let mut no_proof = s1.clone();
    no_proof.proof = String::new();
    // The channel is of the default suite (X-Wing): its members' entries are.
    let entry = |name: &str, keys: &MemberKeys| {
        RosterMember::for_suite(Suite::DEFAULT, &ch, &sid, name, keys).unwrap()
    };
    let mut bad_proof = entry("extra", &fresh());
    bad_proof.proof = s1.proof.clone();
    let party_key_member = MemberKeys {
        signing: north_key.clone(),
        encryption: EncryptionSecretKey::generate(&mut rand_core::OsRng),
        xwing: Some(EncryptionSecretKey::generate_for(
            Suite::XWing,
            &mut rand_core::OsRng,
        )),
    };
    let cases: Vec<(&str, Vec<RosterMember>, &str)> = vec![
        ("roster-resigned-unchanged", real.members.clone(), ""),
        (
            "roster-member-without-proof",
            vec![no_proof],
            "no proof of possession",
        ),
        (
            "roster-bad-proof",
            vec![s1.clone(), bad_proof],
            "does not verify",
        ),
        (
            "roster-other-partys-key",
            vec![s1.clone(), entry("stolen", &n1)],
            "is already a key of party northland",
        ),
        (
            "roster-party-key",
            vec![s1.clone(), entry("party", &party_key_member)],
            "the party key of northland",
        ),
    ];
    let mut corpus = Vec::new();
    for (what, members, want) in cases {
        let b = forge(members);
        let r = verify(&bytes(&b));
        if want.is_empty() {
            assert_eq!(r.verdict, Verdict::Valid, "{what}: {:?}", r.checks);
        } else {
            assert_eq!(r.verdict, Verdict::Invalid, "{what}");
            // The roster is refused (and so, after it, whatever its members signed).
            let failed: Vec<_> = r.checks.iter().filter(|c| !c.ok).collect();
            assert!(
                failed.iter().any(|c| c.what.contains("signed by a member")
                    && c.detail.contains("roster at 2 does not apply")
                    && c.detail.contains(want)),
                "{what}: expected the roster at 2 refused, saying {want:?}: {failed:?}"
            );
        }
        corpus.push((what, b, want, r.verdict));
    }

    if let Ok(dir) = std::env::var("HOTLINE_DISCLOSURE_CORPUS") {
        let dir = std::path::Path::new(&dir).join("rosters");
        std::fs::create_dir_all(&dir).unwrap();
        let mut manifest = Vec::new();
        for (i, (name, b, want, verdict)) in corpus.iter().enumerate() {
            let file = format!("{i:03}.json");
            std::fs::write(dir.join(&file), bytes(b)).unwrap();
            manifest.push(serde_json::json!({"file": file, "name": name, "verdict": verdict, "failure": want}));
        }
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::to_vec_pretty(&manifest).unwrap(),
        )
        .unwrap();
    }
    stop(relay);
}
