//! A party behind an air gap, through the real binaries (`docs/airgap.md`):
//! Southland's keys stay on a machine that reaches no relay; a courier
//! folder on a connected machine, holding a courier key and no party or
//! member key, carries files both ways. A case is run end to end that way;
//! a courier that alters what it carries is caught as a lying relay is; the
//! relay refuses a courier whose grant does not hold.

mod common;

use std::path::{Path, PathBuf};

use common::cli::{hotline, north_and_south, ok};

fn case_id(opened: &str) -> String {
    let id = opened.split_whitespace().nth(3).unwrap().to_owned();
    assert_eq!(id.len(), 32, "{opened}");
    id
}

fn file(d: &Path, name: &str) -> String {
    d.join(name).to_str().unwrap().to_owned()
}

/// The courier folder `name` under `d`, its key made (`courier init`, whose
/// output is returned) and granted by `member` (`courier grant ARGS`) into
/// `d/grants.json`.
fn granted(d: &Path, member: &Path, name: &str, args: &[&str]) -> (PathBuf, String) {
    let courier = d.join(name);
    let init = ok(hotline(&courier, &["courier", "init"]));
    let key = courier.join("courier.pub");
    let out = file(d, "grants.json");
    let mut a = vec![
        "courier",
        "grant",
        "--courier",
        key.to_str().unwrap(),
        "--out",
        &out,
    ];
    a.extend_from_slice(args);
    ok(hotline(member, &a));
    (courier, init)
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p.file_name().unwrap().to_str().unwrap().to_owned());
        }
    }
    out.sort();
    out
}

#[test]
fn an_air_gapped_party_runs_a_case_end_to_end_through_files_alone() {
    end_to_end(None);
}

#[test]
fn an_air_gapped_party_runs_a_case_end_to_end_on_postgres() {
    let Ok(url) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: the PostgreSQL backend was NOT tested");
        return;
    };
    end_to_end(Some(&url));
}

fn end_to_end(database: Option<&str>) {
    let d = tempfile::tempdir().unwrap();
    let relay = common::start(&d.path().join("relay"), &common::unique("airgap"), database);
    let (dirs, id) = north_and_south(d.path(), &relay);
    let (north, south) = (&dirs[0], &dirs[1]);
    let f = |n: &str| file(d.path(), n);

    // The connected machine makes its courier key; the air-gapped member grants it.
    let (courier, init) = granted(d.path(), south, "courier", &["--days", "7"]);
    assert!(init.contains("Courier key"), "{init}");
    ok(hotline(&courier, &["courier", "accept", &f("grants.json")]));
    // The connected machine holds no party or member key.
    assert_eq!(
        files(&courier),
        ["courier.json", "courier.key", "courier.pub"]
    );

    let title = "Exfiltration from the energy ministry";
    let body = "We see 40 GB leaving towards 203.0.113.7 every night.";
    let opened = ok(hotline(
        north,
        &[
            "case",
            "open",
            "--kind",
            "inquiry",
            "--to",
            "southland",
            "--tlp",
            "TLP:AMBER",
            "--title",
            title,
            "--body",
            body,
        ],
    ));
    let case = case_id(&opened);

    // Round 1: the courier fetches; the air-gapped machine verifies and opens.
    let export = ok(hotline(&courier, &["sync", "--export", &f("e1.json")]));
    assert!(export.contains(&id), "{export}");
    let e1 = std::fs::read_to_string(f("e1.json")).unwrap();
    assert!(
        !e1.contains(title) && !e1.contains("203.0.113.7"),
        "the courier carries ciphertext only"
    );
    let imported = ok(hotline(
        south,
        &["sync", "--import", &f("e1.json"), "--out", &f("o1.json")],
    ));
    assert!(imported.contains("opened for us"), "{imported}");
    let inbox = ok(hotline(south, &["inbox"]));
    assert!(
        inbox.contains(&case) && inbox.contains("ack due"),
        "{inbox}"
    );
    let shown = ok(hotline(south, &["case", "show", &case]));
    assert!(shown.contains(body), "{shown}");

    // The officer answers offline: queued, not posted.
    let ack = ok(hotline(south, &["case", "ack", &case]));
    assert!(ack.contains("Queued ack"), "{ack}");
    let answer = ok(hotline(
        south,
        &[
            "case",
            "answer",
            &case,
            "--body",
            "The host is ours; cut off at 04:00.",
        ],
    ));
    assert!(answer.contains("Queued answer"), "{answer}");
    // Importing the same export again writes an outbox with them.
    let again = ok(hotline(
        south,
        &["sync", "--import", &f("e1.json"), "--out", &f("o2.json")],
    ));
    assert!(again.contains("2 queued message(s)"), "{again}");

    // The courier posts; Northland, online, sees the answers from Southland.
    let posted = ok(hotline(&courier, &["post", &f("o2.json")]));
    assert!(posted.contains("posted 2 envelope(s)"), "{posted}");
    let north_case = ok(hotline(north, &["case", "show", &case, "--json"]));
    let v: serde_json::Value = serde_json::from_str(&north_case).unwrap();
    let kinds: Vec<String> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["inquiry", "ack", "answer"], "{north_case}");
    let shown = ok(hotline(north, &["case", "show", &case]));
    assert!(shown.contains("cut off at 04:00"), "{shown}");

    // Round 2: the air-gapped archive sees its own answers sequenced; the queue empties.
    ok(hotline(&courier, &["sync", "--export", &f("e2.json")]));
    let back = ok(hotline(
        south,
        &["sync", "--import", &f("e2.json"), "--out", &f("o3.json")],
    ));
    assert!(
        back.contains("2 queued message(s) are in the log now"),
        "{back}"
    );
    assert!(back.contains("0 queued message(s)"), "{back}");
    let south_case: serde_json::Value =
        serde_json::from_str(&ok(hotline(south, &["case", "show", &case, "--json"]))).unwrap();
    assert_eq!(
        south_case["state"], v["state"],
        "both sides see the same case"
    );
    assert_eq!(south_case["timeline"].as_array().unwrap().len(), 3);
    // Nothing needs Southland any more.
    assert!(ok(hotline(south, &["inbox"])).contains("Nothing needs you."));
    ok(hotline(&courier, &["post", &f("o3.json")]));
    common::stop(relay);
}

#[test]
fn a_courier_that_alters_what_it_carries_is_caught_as_a_lying_relay() {
    let d = tempfile::tempdir().unwrap();
    let relay = common::start(&d.path().join("relay"), "airgap-lies", None);
    let (dirs, _id) = north_and_south(d.path(), &relay);
    let (north, south) = (&dirs[0], &dirs[1]);
    let f = |n: &str| file(d.path(), n);
    let (courier, _) = granted(d.path(), south, "courier", &[]);
    ok(hotline(&courier, &["courier", "accept", &f("grants.json")]));
    ok(hotline(
        north,
        &[
            "case",
            "open",
            "--kind",
            "warning",
            "--to",
            "southland",
            "--title",
            "Wiper",
            "--body",
            "Disconnect the backups.",
        ],
    ));
    ok(hotline(&courier, &["sync", "--export", &f("e.json")]));
    // The courier rewrites the newest entry (one byte of the head).
    let mut e: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f("e.json")).unwrap()).unwrap();
    let entries = e["channels"][0]["entries"].as_array_mut().unwrap();
    let last = entries.last_mut().unwrap();
    let mut bytes = common::base64_dec(last["bytes"].as_str().unwrap());
    let n = bytes.len();
    bytes[n - 10] ^= 1;
    last["bytes"] = serde_json::Value::String(common::base64_std(&bytes));
    std::fs::write(f("bad.json"), serde_json::to_vec(&e).unwrap()).unwrap();
    let o = hotline(
        south,
        &["sync", "--import", &f("bad.json"), "--out", &f("o.json")],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("ALARM"), "{text}");
    assert!(!String::from_utf8_lossy(&hotline(south, &["alarms"]).stdout).is_empty());
    // The honest file still imports.
    let good = ok(hotline(
        south,
        &["sync", "--import", &f("e.json"), "--out", &f("o.json")],
    ));
    assert!(good.contains("opened for us"), "{good}");
    common::stop(relay);
}

#[test]
fn the_relay_refuses_a_courier_whose_grant_does_not_hold() {
    let d = tempfile::tempdir().unwrap();
    let relay = common::start(&d.path().join("relay"), "airgap-grant", None);
    let (dirs, _id) = north_and_south(d.path(), &relay);
    let south = &dirs[1];
    let other = d.path().join("other");
    let f = |n: &str| file(d.path(), n);
    let (courier, _) = granted(d.path(), south, "courier", &[]);
    ok(hotline(&other, &["courier", "init"]));
    // Another courier cannot take this one's grant.
    let o = hotline(&other, &["courier", "accept", &f("grants.json")]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("another courier key"));
    // A grant altered (its end moved 300 days later) is refused by the relay.
    ok(hotline(&courier, &["courier", "accept", &f("grants.json")]));
    // Something new to fetch (entries are read by signed requests only).
    ok(hotline(
        &dirs[0],
        &[
            "case",
            "open",
            "--kind",
            "warning",
            "--to",
            "southland",
            "--title",
            "Wiper",
            "--body",
            "x",
        ],
    ));
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(courier.join("courier.json")).unwrap())
            .unwrap();
    let grant = common::base64_dec(state[0]["grant"].as_str().unwrap());
    let mut doc: serde_json::Value = serde_json::from_slice(&grant).unwrap();
    let payload = common::base64_dec(doc["payload"].as_str().unwrap());
    let mut g: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    g["not_after"] = serde_json::json!(g["not_after"].as_u64().unwrap() + 86_400 * 300);
    doc["payload"] =
        serde_json::Value::String(common::base64_std(&serde_json::to_vec(&g).unwrap()));
    state[0]["grant"] =
        serde_json::Value::String(common::base64_std(&serde_json::to_vec(&doc).unwrap()));
    std::fs::write(
        courier.join("courier.json"),
        serde_json::to_vec(&state).unwrap(),
    )
    .unwrap();
    let o = hotline(&courier, &["sync", "--export", &f("e.json")]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("403") && err.contains("courier grant does not hold"),
        "{err}"
    );
    common::stop(relay);
}
