#![no_main]
//! Rosters applied to a fixed two-party channel, as a DSSE envelope and as a
//! raw payload signed by the right party: never a panic.
use std::collections::BTreeMap;

use hotline_core::charter::{Charter, CharterParty, DisclosureRule, RelayInfo, VerifiedCharter};
use hotline_core::dsse::SignedDocument;
use hotline_core::keys::SigningKey;
use hotline_core::message::Tlp;
use hotline_core::roster::{Directory, ROSTER_PAYLOAD_TYPE};
use libfuzzer_sys::fuzz_target;

fn directory(keys: &[SigningKey; 2]) -> Directory {
    let parties = ["north", "south"]
        .iter()
        .zip(keys)
        .map(|(s, k)| CharterParty {
            id: k.key_id(),
            name: s.to_string(),
            short: s.to_string(),
            key: k.verifying_key().to_base64(),
        })
        .collect();
    let c = Charter {
        v: 1,
        title: "fuzz".into(),
        nonce: "00000000000000000000000000000000".into(),
        created: "2026-01-01T00:00:00Z".into(),
        parties,
        relay: RelayInfo {
            url: "https://relay.example".into(),
            key: "relay.example+00000000+AQ==".into(),
        },
        witnesses: vec![],
        witness_quorum: 0,
        deadlines: BTreeMap::new(),
        disclosure: DisclosureRule::Unanimous,
        default_tlp: Tlp::Amber,
        retention_days: 1,
        suite: "hotline-v1".into(),
    };
    let mut d = c.to_document().unwrap();
    d.sign(&keys[0]);
    d.sign(&keys[1]);
    Directory::new(VerifiedCharter::verify(&d).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let keys = [
        SigningKey::from_seed(&[1; 32]),
        SigningKey::from_seed(&[2; 32]),
    ];
    let mut dir = directory(&keys);
    if let Ok(d) = SignedDocument::from_json(data) {
        let _ = dir.apply(1, &d);
    }
    let mut d = SignedDocument::new(ROSTER_PAYLOAD_TYPE, data.to_vec());
    d.sign(&keys[0]);
    let _ = dir.apply(2, &d);
});
