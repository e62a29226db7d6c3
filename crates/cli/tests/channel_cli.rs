//! Two parties set up a channel with the real binary, by file exchange:
//! `init`, `channel draft`, `channel sign` by each, `channel register` and
//! `channel join`, `roster publish` by each, `sync` and `alarms`.

mod common;

use std::process::Command;

use common::cli::*;
use common::*;

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
        assert!(s.contains("verified up to 3"), "{s}");
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

    // A case: an inquiry with a STIX bundle and a file as evidence.
    let body = d.path().join("inquiry.md");
    std::fs::write(
        &body,
        "We observe intrusions into university research networks.",
    )
    .unwrap();
    let stix = d.path().join("indicators.json");
    std::fs::write(
        &stix,
        r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.23']","pattern_type":"stix","valid_from":"2026-11-20T08:00:00Z"}]}"#,
    )
    .unwrap();
    let logs = d.path().join("proxy.log");
    std::fs::write(&logs, "2026-11-20 03:12:09 GET /wp-login.php 10.0.0.5").unwrap();
    // Evidence that is not valid STIX 2.1 is refused, object and property
    // named, and nothing is sent.
    let broken = d.path().join("broken.json");
    std::fs::write(
        &broken,
        std::fs::read_to_string(&stix)
            .unwrap()
            .replace("198.51.100.23']", "198.51.100.23'"),
    )
    .unwrap();
    let o = hotline(
        &north,
        &[
            "case",
            "open",
            "--kind",
            "inquiry",
            "--to",
            "southland",
            "--title",
            "Broken evidence",
            "--body",
            "x",
            "--stix",
            broken.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("not valid STIX 2.1")
            && err
                .contains("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: pattern: expected ']'"),
        "{err}"
    );
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
            "--body-file",
            body.to_str().unwrap(),
            "--stix",
            stix.to_str().unwrap(),
            "--evidence",
            logs.to_str().unwrap(),
            "--norm",
            "13h",
        ],
    ));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();
    assert_eq!(case.len(), 32, "{opened}");
    let inbox = ok(hotline(&south, &["inbox"]));
    assert!(
        inbox.contains("ack due") && inbox.contains(&case),
        "{inbox}"
    );
    assert!(ok(hotline(&north, &["inbox"])).contains("Nothing needs you."));
    ok(hotline(&south, &["case", "ack", &case]));
    ok(hotline(
        &south,
        &["case", "clarify", &case, "--body", "Which subnets?"],
    ));
    ok(hotline(
        &north,
        &["case", "clarify", &case, "--body", "10.0.0.0/16"],
    ));
    ok(hotline(
        &south,
        &[
            "case",
            "answer",
            &case,
            "--body",
            "Contained; details attached.",
        ],
    ));
    // Only the parties of a case act on it; an unknown case is refused.
    assert!(
        !hotline(&south, &["case", "ack", "00112233445566778899aabbccddeeff"])
            .status
            .success()
    );
    let show = ok(hotline(&north, &["case", "show", &case]));
    for k in ["inquiry", "ack", "clarification", "answer", "Answered"] {
        assert!(show.contains(k), "{k} missing from:\n{show}");
    }
    // The evidence, validated again as received.
    let shown = ok(hotline(&south, &["case", "show", &case]));
    assert!(shown.contains("STIX evidence: valid STIX 2.1"), "{shown}");

    // A communication check.
    let pinged = ok(hotline(&south, &["ping", "--to", "northland"]));
    let ping = pinged.split_whitespace().nth(2).unwrap().to_owned();
    assert!(ok(hotline(&north, &["inbox"])).contains("pong due"));
    ok(hotline(&north, &["pong", &ping]));
    assert!(ok(hotline(&north, &["inbox"])).contains("Nothing needs you."));

    // The same figures on both machines, from the log alone (each says how
    // current its own archive is beside them).
    let report = |p: &std::path::Path| -> serde_json::Value {
        let v: serde_json::Value =
            serde_json::from_str(&ok(hotline(p, &["report", "--json"]))).unwrap();
        assert_eq!(v["archive"][0]["relay_reached"], true, "{v}");
        v["parties"].clone()
    };
    let (rn, rs) = (report(&north), report(&south));
    assert_eq!(rn, rs);
    // And it says plainly whose clock the deadlines run on.
    let human = ok(hotline(&north, &["report"]));
    assert!(
        human.contains("the first time attestation logged after it")
            && human.contains("the relay's own timestamp")
            && human.contains("trusted"),
        "{human}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok(hotline(&north, &["report", "--json"]))).unwrap();
    assert_eq!(v["times"][0]["source"], "relay", "{v}");
    let south_figures = rn
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["party"] == "southland")
        .unwrap();
    assert_eq!(south_figures["figures"]["received"], 1);
    assert_eq!(south_figures["figures"]["acked_on_time"], 1);
    assert_eq!(south_figures["figures"]["answered_on_time"], 1);
    let north_figures = rn
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["party"] == "northland")
        .unwrap();
    assert_eq!(north_figures["figures"]["pings"], 1);
    assert_eq!(north_figures["figures"]["pongs_on_time"], 1);
    stop(relay);
}

#[test]
fn member_keys_are_rotated_and_revoked_without_losing_a_message() {
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
            "Scanning from a shared hosting range",
            "--body",
            "Do you see it too?",
        ],
    ));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();

    // Southland rotates its keys but publishes no roster yet: Northland
    // still seals to the old key, which the retired keys open later.
    let old_south = signing_id(south);
    let r = ok(hotline(south, &["key", "rotate", "--no-roster"]));
    assert!(
        r.contains(&format!("--revoke {old_south}")),
        "the next step is printed: {r}"
    );
    let new_south = signing_id(south);
    assert_ne!(old_south, new_south);
    assert!(
        south
            .join("retired")
            .join(format!("member-{old_south}.key"))
            .exists()
    );
    ok(hotline(
        north,
        &["case", "clarify", &case, "--body", "Sealed to the old key."],
    ));
    // The rotation wrote the new keys' proof of possession for the party's key holder.
    let south_pub = south.join(format!("member-proof-{id}.json"));
    assert!(r.contains(south_pub.to_str().unwrap()), "{r}");
    let r = ok(hotline(
        south,
        &[
            "roster",
            "update",
            "--channel",
            &id,
            "--add",
            south_pub.to_str().unwrap(),
            "--revoke",
            &old_south,
        ],
    ));
    assert!(r.contains("version 2 of southland"), "{r}");
    let show = ok(hotline(south, &["case", "show", &case]));
    assert!(
        show.contains("| Sealed to the old key.") && show.contains("| Do you see it too?"),
        "{show}"
    );
    // A key that is not listed cannot be revoked; an empty change is refused.
    let o = hotline(
        south,
        &["roster", "update", "--channel", &id, "--revoke", &old_south],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a member key"));
    assert!(
        !hotline(south, &["roster", "update", "--channel", &id])
            .status
            .success()
    );

    // Southland answers with its new key; Northland rotates and its roster
    // follows at once (its profile holds the party key).
    ok(hotline(
        south,
        &[
            "case",
            "answer",
            &case,
            "--body",
            "Yes: answered with the new key.",
        ],
    ));
    let old_north = signing_id(north);
    let r = ok(hotline(north, &["key", "rotate"]));
    assert!(r.contains("version 2 of northland"), "{r}");
    let new_north = signing_id(north);
    let show = ok(hotline(north, &["case", "show", &case]));
    assert!(
        show.contains("| Yes: answered with the new key.") && show.contains("Answered"),
        "{show}"
    );
    let rosters: serde_json::Value = serde_json::from_str(&ok(hotline(
        south,
        &["roster", "show", "--channel", &id, "--json"],
    )))
    .unwrap();
    let ids = |party: &str| -> Vec<String> {
        rosters
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["party"] == party)
            .unwrap()["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["signing_key_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids("northland"), vec![new_north]);
    assert_eq!(ids("southland"), vec![new_south]);
    assert!(!ids("northland").contains(&old_north));
    for p in [north, south] {
        assert!(ok(hotline(p, &["alarms"])).contains("No alarms."));
    }
    stop(relay);
}

#[test]
fn three_parties_work_as_well_as_two() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (dirs, _, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
            ("eastland", "Eastland CERT"),
        ],
    );
    let body = d.path().join("b.md");
    std::fs::write(&body, "A consultation among the three of us.").unwrap();
    let opened = ok(hotline(
        &dirs[0],
        &[
            "case",
            "open",
            "--kind",
            "consultation",
            "--to",
            "southland",
            "--to",
            "eastland",
            "--title",
            "Regional exercise",
            "--body-file",
            body.to_str().unwrap(),
        ],
    ));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();
    for dir in &dirs[1..] {
        assert!(ok(hotline(dir, &["inbox"])).contains(&case));
        ok(hotline(dir, &["case", "ack", &case]));
    }
    let show = ok(hotline(&dirs[2], &["case", "show", &case]));
    assert!(
        show.contains("to southland, eastland") && show.contains("Acknowledged"),
        "{show}"
    );
    let reports: Vec<serde_json::Value> = dirs
        .iter()
        .map(|dir| {
            serde_json::from_str::<serde_json::Value>(&ok(hotline(dir, &["report", "--json"])))
                .unwrap()["parties"]
                .clone()
        })
        .collect();
    assert_eq!(reports[0], reports[1]);
    assert_eq!(reports[1], reports[2]);
    let east = reports[0]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["party"] == "eastland")
        .unwrap();
    assert_eq!(
        (
            east["figures"]["received"].as_u64(),
            east["figures"]["acked_on_time"].as_u64(),
            east["figures"]["overdue"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    // Deadlines on a controllable clock: a consultation's answer is due in
    // 30 days; judged 31 days on, it is overdue for both addressees, on
    // every machine.
    let later = (time::OffsetDateTime::now_utc() + time::Duration::days(31))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let judged: Vec<serde_json::Value> = dirs
        .iter()
        .map(|dir| {
            serde_json::from_str::<serde_json::Value>(&ok(hotline(
                dir,
                &["report", "--json", "--at", &later],
            )))
            .unwrap()["parties"]
                .clone()
        })
        .collect();
    assert_eq!(judged[0], judged[2]);
    for party in ["southland", "eastland"] {
        let f = &judged[0]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["party"] == party)
            .unwrap()["figures"];
        assert_eq!(f["overdue"], 1, "{party}: {f}");
    }
    let inbox: serde_json::Value =
        serde_json::from_str(&ok(hotline(&dirs[2], &["inbox", "--json", "--at", &later]))).unwrap();
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["overdue"] == true),
        "{inbox}"
    );
    assert!(
        !hotline(&dirs[0], &["report", "--at", "next tuesday"])
            .status
            .success()
    );
    stop(relay);
}

#[test]
fn watch_prints_what_arrives_as_it_arrives() {
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
    // A long interval: only the event stream can wake it in time.
    let mut watch = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(&dirs[1])
        .args(["watch", "--json", "--interval", "600"])
        .env("HOTLINE_PASSPHRASE", PASS)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first: serde_json::Value =
        serde_json::from_str(&rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap())
            .unwrap();
    assert_eq!(first["event"], "watching", "{first}");
    let started = std::time::Instant::now();
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
            "Ransomware staging on a shared host",
            "--body",
            "Details follow.",
        ],
    ));
    let mut seen = None;
    while started.elapsed() < std::time::Duration::from_secs(20) {
        let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(1)) else {
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v["event"] == "message" {
            seen = Some(v);
            break;
        }
    }
    let _ = watch.kill();
    let _ = watch.wait();
    let v = seen.expect("watch printed the new message");
    assert_eq!(v["kind"], "warning");
    assert_eq!(v["title"], "Ransomware staging on a shared host");
    assert!(v["sequenced_at"].as_u64().is_some(), "{v}");
    stop(relay);
}

#[test]
fn a_case_is_disclosed_with_consent_and_verified_offline() {
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
    let logs = d.path().join("proxy.log");
    std::fs::write(&logs, "2026-11-20 03:12:09 GET /wp-login.php 10.0.0.5").unwrap();
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
            "Intrusions into research networks",
            "--body",
            "We see intrusions.",
            "--evidence",
            logs.to_str().unwrap(),
        ],
    ));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();
    ok(hotline(south, &["case", "ack", &case]));
    ok(hotline(
        south,
        &["case", "answer", &case, "--body", "Contained."],
    ));

    let r = ok(hotline(
        north,
        &[
            "disclose",
            "request",
            "--case",
            &case,
            "--redact",
            "attachment",
            "--purpose",
            "Annual report to parliament",
        ],
    ));
    let request = r.split_whitespace().nth(2).unwrap().to_owned();
    assert_eq!(request.len(), 32, "{r}");

    // Before Southland consents: exported, but not consented.
    let early = d.path().join("early.json");
    ok(hotline(
        north,
        &[
            "disclose",
            "export",
            &request,
            "--out",
            early.to_str().unwrap(),
        ],
    ));
    let o = hotline(north, &["verify", early.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("NOT CONSENTED (missing: southland)"),
        "{text}"
    );

    let inbox = ok(hotline(south, &["inbox"]));
    assert!(
        inbox.contains(&format!("disclosure request {request}"))
            && inbox.contains("Annual report to parliament"),
        "{inbox}"
    );
    ok(hotline(south, &["disclose", "consent", &request]));
    assert!(!ok(hotline(south, &["inbox"])).contains("disclosure request"));
    // Only a party the request is addressed to answers it.
    assert!(
        !hotline(north, &["disclose", "consent", &request])
            .status
            .success()
    );
    let bundle = d.path().join("disclosure.json");
    ok(hotline(
        north,
        &[
            "disclose",
            "export",
            &request,
            "--out",
            bundle.to_str().unwrap(),
        ],
    ));
    let o = ok(hotline(north, &["verify", bundle.to_str().unwrap()]));
    assert!(o.contains("Verdict: VALID"), "{o}");
    let v: serde_json::Value = serde_json::from_str(&ok(hotline(
        south,
        &["verify", "--json", bundle.to_str().unwrap()],
    )))
    .unwrap();
    assert_eq!(v["verdict"], "valid", "{v}");
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3, "inquiry, ack and answer: {v}");
    assert_eq!(msgs[0]["redacted_parts"], 1, "the evidence is a stub");
    assert_eq!(msgs[2]["body"], "Contained.");

    // A refusal: the bundle of that request is exported, and says so.
    let r = ok(hotline(
        north,
        &[
            "disclose",
            "request",
            "--case",
            &case,
            "--purpose",
            "Press release",
        ],
    ));
    let second = r.split_whitespace().nth(2).unwrap().to_owned();
    let o = ok(hotline(
        south,
        &["disclose", "refuse", &second, "--reason", "Too early"],
    ));
    assert!(o.contains("Refused disclosure request"), "{o}");
    let refused = d.path().join("refused.json");
    ok(hotline(
        north,
        &[
            "disclose",
            "export",
            &second,
            "--out",
            refused.to_str().unwrap(),
        ],
    ));
    let o = hotline(north, &["verify", "--json", refused.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "not-consented", "{v}");
    let south_party = v["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["short"] == "southland")
        .unwrap();
    assert_eq!(south_party["refused"], true);
    assert_eq!(south_party["consented"], false);

    // Tampering is caught: an entry dropped, a redacted part swapped.
    let mut b: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let answer = msgs[2]["index"].as_u64().unwrap();
    let mut dropped = b.clone();
    dropped["entries"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["index"].as_u64() != Some(answer));
    let f = d.path().join("dropped.json");
    std::fs::write(&f, serde_json::to_vec(&dropped).unwrap()).unwrap();
    let o = hotline(north, &["verify", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("not in the bundle"));
    let stub = b["entries"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|e| e["parts"].as_array_mut().into_iter().flatten())
        .find(|p| p.get("redacted").is_some())
        .unwrap();
    stub["redacted"] = serde_json::Value::String(base64_std(&[7u8; 32]));
    std::fs::write(&f, serde_json::to_vec(&b).unwrap()).unwrap();
    let o = hotline(north, &["verify", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("do not match the signed commitment"));
    stop(relay);
}
