//! `hotline inbox` lists the disclosure requests that wait for our answer,
//! and a request another party crafted so that its terms do not parse
//! cannot break it: such a request is left out (no consent could bind to
//! it, no bundle of it verifies), as the UI's Disclosure page leaves it out,
//! and the rest of the inbox is still shown.

mod common;

use common::cli::*;
use common::ui::open_inquiry;
use common::*;
use hotline_client::archive::Archive;
use hotline_client::compose::{self, Draft};
use hotline_client::profile::{Passphrase, Profile};
use hotline_client::relay_client::RelayClient;
use hotline_core::ids::MessageId;
use hotline_core::message::Kind;

/// Sends a `disclosure-request` with `body` on `case` from `profile`'s party
/// to every other party, by the client library (the CLI only ever sends
/// well-formed terms; a malicious party's client need not).
fn send_request(profile: &std::path::Path, case: &str, body: &str) {
    let p = Profile::open(profile).unwrap();
    let keys = p.unlock_keyring(&Passphrase::new(PASS.into())).unwrap();
    let archive = Archive::open(profile).unwrap();
    let rec = archive.channels().unwrap().remove(0);
    let charter = hotline_core::charter::VerifiedCharter::verify(
        &hotline_core::dsse::SignedDocument::from_json(&rec.charter).unwrap(),
    )
    .unwrap();
    let me = p.info().party.as_ref().map(|x| x.id).unwrap();
    let to = charter
        .charter()
        .parties
        .iter()
        .map(|x| x.id)
        .filter(|id| *id != me)
        .collect();
    let relay = RelayClient::new(&rec.relay_url, keys.current.signing.clone()).unwrap();
    let mut d = Draft::new(Kind::DisclosureRequest, to, "Disclosure request", body);
    d.case = Some(MessageId::from_hex(case).unwrap());
    compose::send(&archive, &relay, &rec.id, &keys, &d).unwrap();
}

#[test]
fn an_unparsable_request_does_not_break_the_inbox_and_a_pending_one_is_listed() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (dirs, _, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);
    let case = open_inquiry(north, "Scanning from 198.51.100.1", "Yours?");
    send_request(north, &case, "{\"type\": \"not the terms of any request\"");
    ok(hotline(south, &["sync"]));

    let out = hotline(south, &["inbox", "--json"]);
    assert!(
        out.status.success(),
        "a malformed request broke the inbox: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["item"] == format!("inquiry case {case}")),
        "{v}"
    );
    assert!(
        !items.iter().any(|i| i["item"]
            .as_str()
            .unwrap()
            .starts_with("disclosure request")),
        "the malformed request is not listed: {v}"
    );

    // A well-formed request is listed until Southland answers it.
    ok(hotline(
        north,
        &[
            "disclose",
            "request",
            "--case",
            &case,
            "--purpose",
            "Joint report",
        ],
    ));
    ok(hotline(south, &["sync"]));
    let v: serde_json::Value =
        serde_json::from_str(&ok(hotline(south, &["inbox", "--json"]))).unwrap();
    let pending: Vec<&serde_json::Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["item"]
                .as_str()
                .unwrap()
                .starts_with("disclosure request")
        })
        .collect();
    assert_eq!(pending.len(), 1, "{v}");
    assert_eq!(pending[0]["title"], "Joint report", "{v}");
    let id = pending[0]["item"]
        .as_str()
        .unwrap()
        .strip_prefix("disclosure request ")
        .unwrap()
        .to_owned();
    ok(hotline(south, &["disclose", "consent", &id]));
    let v: serde_json::Value =
        serde_json::from_str(&ok(hotline(south, &["inbox", "--json"]))).unwrap();
    assert!(
        !v["items"].as_array().unwrap().iter().any(|i| i["item"]
            .as_str()
            .unwrap()
            .starts_with("disclosure request")),
        "answered, no longer listed: {v}"
    );
    stop(relay);
}
