//! Offline first (docs/client.md, "Reading offline"): with the real binary,
//! the reading commands (`inbox`, `case show`, `report`, `alarms`) answer
//! from the archive when the relay is down or never answers, and say how old
//! the last verified checkpoint is; an alarm is never mistaken for an
//! unreachable relay; commands that act still refuse to run without it.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::cli::*;
use common::proxy::Proxy;
use common::*;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `ok`, also returning stderr.
fn ok2(o: Output) -> (String, String) {
    let e = stderr(&o);
    (ok(o), e)
}

/// Northland and Southland on `relay`, an inquiry from Northland that
/// Southland has synced. Returns the folders, the channel and the case id.
fn channel_with_a_case(d: &Path, relay: &Relay) -> (PathBuf, PathBuf, String, String) {
    let (dirs, id, _) = set_up(
        d,
        relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (dirs[0].clone(), dirs[1].clone());
    let opened = ok(hotline(
        &north,
        &[
            "case",
            "open",
            "--kind",
            "inquiry",
            "--to",
            "southland",
            "--title",
            "Intrusions into research networks",
            "--body",
            "We observe intrusions into university research networks.",
        ],
    ));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();
    assert_eq!(case.len(), 32, "{opened}");
    let (inbox, err) = ok2(hotline(&south, &["inbox"]));
    assert!(inbox.contains(&case), "{inbox}");
    // Online, too, every reading command says how current the archive is.
    assert!(
        err.contains(&format!("channel {id}: synced"))
            && err.contains("the checkpoint verified")
            && err.contains("(size 5, "),
        "{err}"
    );
    (north, south, id, case)
}

/// The age line a reading command prints on stderr with the relay down.
fn assert_offline_line(err: &str, id: &str) {
    assert!(
        err.contains(&format!(
            "warning: channel {id}: relay unreachable (cannot reach the relay at"
        )),
        "{err}"
    );
    assert!(
        err.contains("showing the archive as of the checkpoint verified")
            && err.contains(" ago (size 5, 20"),
        "{err}"
    );
}

/// Every reading command answers from the archive, exit 0, with the age line
/// on stderr and the `archive` field in JSON.
fn read_offline(south: &Path, id: &str, case: &str, min_age: u64) {
    let (inbox, err) = ok2(hotline(south, &["inbox"]));
    assert!(inbox.contains("ack due") && inbox.contains(case), "{inbox}");
    assert_offline_line(&err, id);

    let v: serde_json::Value =
        serde_json::from_str(&ok(hotline(south, &["inbox", "--json"]))).unwrap();
    assert_eq!(v["items"][0]["item"], format!("inquiry case {case}"), "{v}");
    assert_eq!(v["archive"][0]["channel"], id, "{v}");
    assert_eq!(v["archive"][0]["relay_reached"], false, "{v}");
    assert!(
        v["archive"][0]["relay_error"]
            .as_str()
            .unwrap()
            .contains("cannot reach the relay"),
        "{v}"
    );
    assert_eq!(v["archive"][0]["checkpoint"]["size"], 5, "{v}");
    assert!(
        v["archive"][0]["checkpoint"]["age_secs"].as_u64().unwrap() >= min_age,
        "the archive is at least {min_age} s old: {v}"
    );
    assert!(v["archive"][0]["checkpoint"]["time"].is_u64(), "{v}");
    assert!(v["archive"][0]["checkpoint"]["verified_at"].is_u64(), "{v}");

    let (show, err) = ok2(hotline(south, &["case", "show", case]));
    assert!(
        show.contains("Intrusions into research networks")
            && show.contains("We observe intrusions"),
        "{show}"
    );
    assert_offline_line(&err, id);
    let v: serde_json::Value =
        serde_json::from_str(&ok(hotline(south, &["case", "show", case, "--json"]))).unwrap();
    assert_eq!(v["id"], case, "{v}");
    assert_eq!(v["archive"][0]["relay_reached"], false, "{v}");

    let (report, err) = ok2(hotline(south, &["report"]));
    assert!(report.contains("1 cases (1 open)"), "{report}");
    assert_offline_line(&err, id);
    let o = hotline(south, &["report", "--json"]);
    let err = stderr(&o);
    let v: serde_json::Value = serde_json::from_str(&ok(o)).unwrap();
    // Under --json only the warning reaches stderr; stdout is one JSON value.
    assert_offline_line(&err, id);
    let southland = v["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["party"] == "southland")
        .unwrap();
    assert_eq!(southland["figures"]["received"], 1, "{v}");
    assert_eq!(v["archive"][0]["relay_reached"], false, "{v}");
    assert_eq!(v["archive"][0]["checkpoint"]["size"], 5, "{v}");

    // `alarms` never asks the relay, and says how old the archive is.
    let (alarms, err) = ok2(hotline(south, &["alarms"]));
    assert!(alarms.contains("No alarms."), "{alarms}");
    assert!(
        err.contains(&format!("channel {id}: not synced by this command; showing the archive as of the checkpoint verified"))
            && err.contains("(size 5, 20"),
        "{err}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok(hotline(south, &["alarms", "--json"]))).unwrap();
    assert_eq!(v["alarms"], serde_json::json!([]), "{v}");
    assert_eq!(v["archive"][0]["relay_reached"], serde_json::Value::Null);
    assert_eq!(v["archive"][0]["checkpoint"]["size"], 5, "{v}");

    // Acting still needs the relay: nothing is pretended to be sent.
    let o = hotline(south, &["case", "ack", case]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("could not sync"), "{}", stderr(&o));
}

#[test]
fn reading_commands_work_from_the_archive_when_the_relay_is_killed() {
    let d = tempfile::tempdir().unwrap();
    let mut relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (_north, south, id, case) = channel_with_a_case(d.path(), &relay);

    // The relay dies: connections are refused.
    relay.child.kill().unwrap();
    relay.child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let t = Instant::now();
    read_offline(&south, &id, &case, 2);
    assert!(
        t.elapsed() < Duration::from_secs(60),
        "a refused connection fails at once"
    );
}

#[test]
fn a_relay_that_accepts_but_never_answers_is_given_up_on_within_bounds() {
    let d = tempfile::tempdir().unwrap();
    let mut relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (_north, south, id, case) = channel_with_a_case(d.path(), &relay);

    // Something holds the relay's address and never answers (a hung relay,
    // a stalled gateway): connections complete in the kernel's backlog.
    relay.child.kill().unwrap();
    relay.child.wait().unwrap();
    let addr = relay.url.strip_prefix("http://").unwrap().to_owned();
    let _silent = TcpListener::bind(&addr).unwrap();
    let t = Instant::now();
    let (inbox, err) = ok2(hotline(&south, &["inbox"]));
    let took = t.elapsed();
    assert!(inbox.contains(&case), "{inbox}");
    assert_offline_line(&err, &id);
    assert!(err.contains("timeout"), "{err}");
    // RESPONSE_TIMEOUT (20 s) for the first request, then the archive.
    assert!(
        took >= Duration::from_secs(15) && took < Duration::from_secs(40),
        "took {took:?}"
    );
}

#[test]
fn an_alarm_is_not_an_unreachable_relay() {
    let d = tempfile::tempdir().unwrap();
    let mut real = start(&d.path().join("relay"), &unique("relay"), None);
    let proxy = Proxy::start(&real.url);
    let direct = real.url.clone();
    // The charter names the proxy: every lie it tells is signed by the relay.
    let relay = Relay {
        child: std::mem::replace(
            &mut real.child,
            std::process::Command::new("true").spawn().unwrap(),
        ),
        url: proxy.url.clone(),
        vkey: real.vkey.clone(),
    };
    let (dirs, id, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);
    ok(hotline(south, &["inbox"]));
    let (_, _, old) = get(&format!("{direct}/v1/channels/{id}/log/checkpoint"));
    assert!(old.contains("\n3\n"), "{old}");
    ok(hotline(
        north,
        &[
            "case",
            "open",
            "--kind",
            "inquiry",
            "--to",
            "southland",
            "--title",
            "T",
            "--body",
            "B",
        ],
    ));
    ok(hotline(south, &["inbox"]));

    // The relay replays the older checkpoint: an alarm, never "offline".
    proxy.set(|l| l.checkpoint = Some(old.into_bytes()));
    for args in [
        &["inbox"][..],
        &["case", "show", "00112233445566778899aabbccddeeff"],
        &["report"],
        &["report", "--json"],
    ] {
        let o = hotline(south, args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?}: {err}");
        assert!(
            err.contains("ALARM stale-checkpoint") && !err.contains("unreachable"),
            "{args:?}: {err}"
        );
    }
    // And `alarms` shows it, exit status 1, without asking the relay.
    let o = hotline(south, &["alarms"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("stale-checkpoint"),
        "{o:?}"
    );
    stop(relay);
}
