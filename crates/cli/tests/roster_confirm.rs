//! Revocations are confirmed (issue 13 item 6, `docs/client.md` "Rosters,
//! rotation and revocation"): every roster publication is found in a signed
//! checkpoint, exactly, at the index the relay acknowledged — also one that
//! revokes the profile's own member and one by a profile that holds only the
//! party key — or the command fails and says so. The lying proxy
//! (`common/proxy.rs`) acknowledges roster posts it never forwards.

mod common;

use common::cli::*;
use common::proxy::Proxy;
use common::*;
use std::path::Path;

fn refused(o: std::process::Output) -> String {
    assert!(
        !o.status.success(),
        "the command succeeded though the relay dropped the roster\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_dropped(e: &str) {
    assert!(
        e.contains("did not log it") && e.contains("NOT in effect") && e.contains("missing-entry"),
        "{e}"
    );
}

fn members_of(profile: &Path, id: &str, party: &str) -> (u64, Vec<String>) {
    let v: serde_json::Value = serde_json::from_str(&ok(hotline(
        profile,
        &["roster", "show", "--channel", id, "--json"],
    )))
    .unwrap();
    let r = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["party"] == party)
        .unwrap();
    (
        r["version"].as_u64().unwrap_or(0),
        r["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["signing_key_id"].as_str().unwrap().to_owned())
            .collect(),
    )
}

/// A member-only profile in `dir` and its proof for the party of `party_profile`.
fn new_member(
    d: &Path,
    name: &str,
    id: &str,
    party_profile: &Path,
) -> (std::path::PathBuf, String) {
    let dir = d.join(name);
    ok(hotline(&dir, &["init", "--member-name", name]));
    let proof = d.join(format!("{name}.json"));
    ok(hotline(
        &dir,
        &[
            "roster",
            "proof",
            "--channel",
            id,
            "--party",
            party_profile.join("profile.json").to_str().unwrap(),
            "--out",
            proof.to_str().unwrap(),
        ],
    ));
    (dir, proof.to_str().unwrap().to_owned())
}

#[test]
fn a_revocation_the_relay_acknowledges_and_drops_fails_the_command() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let proxy = Proxy::start(&relay.url);
    let (dirs, id, _) = set_up_at(
        d.path(),
        &proxy.url,
        &relay.vkey,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);
    let (night, proof) = new_member(d.path(), "night", &id, north);
    ok(hotline(
        north,
        &["roster", "update", "--channel", &id, "--add", &proof],
    ));
    let (own, other) = (signing_id(north), signing_id(&night));
    assert_eq!(members_of(south, &id, "northland").0, 2);

    // The relay acknowledges the revocation at an index it logged before
    // (southland's roster) and never logs it.
    proxy.set(|l| l.swallow_rosters_at = Some(2));
    // Revoking another member: confirmed as this profile's member, which the new roster keeps.
    let e = refused(hotline(
        north,
        &["roster", "update", "--channel", &id, "--revoke", &other],
    ));
    assert_dropped(&e);
    // Revoking the profile's own member: its key cannot read the log any
    // more, so the confirmation comes from the public checkpoint and tiles.
    let e = refused(hotline(
        north,
        &["roster", "update", "--channel", &id, "--revoke", &own],
    ));
    assert_dropped(&e);
    // Standing alarms make `alarms` exit 1; its output is the evidence.
    let o = hotline(north, &["alarms", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let alarms: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        alarms["alarms"].as_array().is_some_and(|a| a
            .iter()
            .filter(|x| x["kind"] == "missing-entry")
            .count()
            == 2),
        "{alarms}"
    );
    // Nothing happened: northland's roster is still version 2 with both members.
    let (v, ms) = members_of(south, &id, "northland");
    assert_eq!(v, 2);
    assert!(ms.contains(&own) && ms.contains(&other), "{ms:?}");

    // An honest relay: the same revocation of its own member succeeds, confirmed.
    proxy.set(|l| l.swallow_rosters_at = None);
    let r = ok(hotline(
        north,
        &["roster", "update", "--channel", &id, "--revoke", &own],
    ));
    assert!(
        r.contains("version 3 of northland") && r.contains("confirmed"),
        "{r}"
    );
    let (v, ms) = members_of(south, &id, "northland");
    assert_eq!((v, ms), (3, vec![other.clone()]));
    // The remaining member works.
    ok(hotline(
        &night,
        &[
            "channel",
            "join",
            d.path().join("charter.json").to_str().unwrap(),
        ],
    ));
    assert!(ok(hotline(&night, &["sync"])).contains("verified up to"));
    stop(relay);
}

#[test]
fn a_profile_holding_only_the_party_key_confirms_through_the_public_log() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let proxy = Proxy::start(&relay.url);
    let north = d.path().join("north-party");
    ok(hotline(
        &north,
        &[
            "init",
            "--party-name",
            "Northland CERT",
            "--party-short",
            "northland",
        ],
    ));
    let south = d.path().join("south");
    ok(hotline(
        &south,
        &[
            "init",
            "--party-name",
            "Southland CERT",
            "--party-short",
            "southland",
            "--member-name",
            "Duty officer",
        ],
    ));
    let charter = d.path().join("charter.json");
    let c = charter.to_str().unwrap();
    ok(hotline(
        &north,
        &[
            "channel",
            "draft",
            "--title",
            "A hotline",
            "--party",
            north.join("profile.json").to_str().unwrap(),
            "--party",
            south.join("profile.json").to_str().unwrap(),
            "--relay-url",
            &proxy.url,
            "--relay-key",
            &relay.vkey,
            "--out",
            c,
        ],
    ));
    for p in [&north, &south] {
        ok(hotline(p, &["channel", "sign", c]));
    }
    let reg = ok(hotline(&north, &["channel", "register", c]));
    let id = reg.split_whitespace().nth(1).unwrap().to_owned();
    ok(hotline(&south, &["channel", "join", c]));
    ok(hotline(&south, &["roster", "publish", "--channel", &id]));
    let (night, proof) = new_member(d.path(), "night", &id, &north);

    // Dropped: the party-key-only profile cannot sync, yet it finds out.
    proxy.set(|l| l.swallow_rosters_at = Some(1));
    let e = refused(hotline(
        &north,
        &["roster", "publish", "--channel", &id, "--member", &proof],
    ));
    assert_dropped(&e);
    assert_eq!(members_of(&south, &id, "northland").0, 0, "no roster yet");

    proxy.set(|l| l.swallow_rosters_at = None);
    let r = ok(hotline(
        &north,
        &["roster", "publish", "--channel", &id, "--member", &proof],
    ));
    assert!(
        r.contains("version 1 of northland") && r.contains("confirmed"),
        "{r}"
    );
    assert_eq!(
        members_of(&south, &id, "northland"),
        (1, vec![signing_id(&night)])
    );
    ok(hotline(&night, &["channel", "join", c]));
    assert!(ok(hotline(&night, &["sync"])).contains("verified up to"));
    stop(relay);
}
