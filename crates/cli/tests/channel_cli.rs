//! Two parties set up a channel with the real binary, by file exchange:
//! `init`, `channel draft`, `channel sign` by each, `channel register` and
//! `channel join`, `roster publish` by each, `sync` and `alarms`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

const PASS: &str = "channel test passphrase";

fn hotline(profile: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(profile)
        .args(args)
        .env("HOTLINE_PASSPHRASE", PASS)
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .output()
        .unwrap()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn two_parties_set_up_a_channel_by_file_exchange_and_sync() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (north, south) = (d.path().join("northland"), d.path().join("southland"));
    ok(hotline(
        &north,
        &[
            "init",
            "--party-name",
            "Northland CERT",
            "--party-short",
            "northland",
            "--member-name",
            "Duty officer",
        ],
    ));
    ok(hotline(
        &south,
        &[
            "init",
            "--party-name",
            "Southland CERT",
            "--party-short",
            "southland",
            "--member-name",
            "Watch desk",
        ],
    ));

    let charter = d.path().join("charter.json");
    let c = charter.to_str().unwrap();
    let n_pub = north.join("profile.json");
    let s_pub = south.join("profile.json");
    let drafted = ok(hotline(
        &north,
        &[
            "channel",
            "draft",
            "--title",
            "Northland–Southland cyber hotline",
            "--party",
            n_pub.to_str().unwrap(),
            "--party",
            s_pub.to_str().unwrap(),
            "--relay-url",
            &relay.url,
            "--relay-key",
            &relay.vkey,
            "--out",
            c,
        ],
    ));
    assert!(
        drafted.contains("Parties: northland, southland"),
        "{drafted}"
    );
    // Not yet signed by all: the relay refuses it, and so does registering.
    assert!(
        !hotline(&north, &["channel", "register", c])
            .status
            .success()
    );
    let s1 = ok(hotline(&north, &["channel", "sign", c]));
    assert!(s1.contains("Still to sign: southland"), "{s1}");
    assert!(ok(hotline(&north, &["channel", "sign", c])).contains("signed this charter already"));
    assert!(ok(hotline(&south, &["channel", "sign", c])).contains("Every party has signed"));

    let reg = ok(hotline(&north, &["channel", "register", c]));
    let id = reg.split_whitespace().nth(1).unwrap().to_owned();
    assert_eq!(id.len(), 32, "{reg}");
    ok(hotline(&south, &["channel", "join", c]));

    let r = ok(hotline(&north, &["roster", "publish", "--channel", &id]));
    assert!(
        r.contains("version 1 of northland") && r.contains("index 1"),
        "{r}"
    );
    let r = ok(hotline(&south, &["roster", "publish", "--channel", &id]));
    assert!(
        r.contains("version 1 of southland") && r.contains("index 2"),
        "{r}"
    );

    for p in [&north, &south] {
        let s = ok(hotline(p, &["sync"]));
        assert!(
            s.contains("verified up to 3") && s.contains("receipt cosigned"),
            "{s}"
        );
        assert!(ok(hotline(p, &["alarms"])).contains("No alarms."));
        let list: serde_json::Value =
            serde_json::from_str(&ok(hotline(p, &["channel", "list", "--json"]))).unwrap();
        assert_eq!(list[0]["channel"], id.as_str());
        assert_eq!(list[0]["verified_size"], 3);
    }
    // A second version chains on the first.
    let r = ok(hotline(&north, &["roster", "publish", "--channel", &id]));
    assert!(
        r.contains("version 2 of northland") && r.contains("index 3"),
        "{r}"
    );
    let s = ok(hotline(&south, &["sync", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v[0]["outcome"]["size"], 4, "{s}");
    stop(relay);
}
