//! `hotline taxii serve` with the real binary: Northland opens a case with a
//! STIX bundle for Southland; Southland's TAXII server, started before the
//! message arrives, serves its objects once sync has stored it (no restart),
//! and OASIS's `taxii2-client` walks it (tests/interop/taxii/walk.py). Then
//! the same client posts objects made with OASIS's `stix2` to Southland's
//! outbox; they wait in Southland's draft as posted, `case open --draft`
//! sends them, and Northland's `received` serves them unchanged. Needs
//! python3 with tests/interop/requirements.txt: without them this test fails.

mod common;

use std::process::Command;

use common::cli::*;
use common::*;

const PASSWORD: &str = "taxii test password";
const RED_ID: &str = "indicator--3f1b9c2e-5d4a-4e6f-8a7b-9c0d1e2f3a4b";

/// The bundle's objects, each as the sender wrote it (odd spacing kept, to
/// see that the server sends the bytes sent, not a re-serialisation).
fn objects() -> Vec<String> {
    vec![
        r#"{"type": "identity", "spec_version": "2.1", "id": "identity--e5f1b90a-d9b6-40ab-81a9-8a29df4b6b65", "created": "2026-11-20T08:00:00.000Z", "modified": "2026-11-20T08:00:00.000Z", "name": "Northland CERT", "identity_class": "organization"}"#.into(),
        r#"{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-21T09:30:00.000Z","created_by_ref":"identity--e5f1b90a-d9b6-40ab-81a9-8a29df4b6b65","name":"C2 server","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.100.23']","pattern_type":"stix","valid_from":"2026-11-20T08:00:00Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}"#.into(),
        r#"{ "type" : "malware", "spec_version" : "2.1", "id" : "malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc", "created" : "2026-11-20T08:00:00.000Z", "modified" : "2026-11-20T08:00:00.000Z", "name" : "Nightjar", "malware_types" : ["remote-access-trojan"], "is_family" : true }"#.into(),
        r#"{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc"}"#.into(),
        format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"{RED_ID}","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","pattern":"[domain-name:value = 'internal.example']","pattern_type":"stix","valid_from":"2026-11-20T08:00:00Z","object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}}"#
        ),
    ]
}

fn taxii_serve(profile: &std::path::Path) -> TaxiiServer {
    taxii_serve_with(profile, &["--listen", "127.0.0.1:0"])
}

fn taxii_serve_with(profile: &std::path::Path, args: &[&str]) -> TaxiiServer {
    common::taxii_serve(profile, PASSWORD, args)
}

/// GET with the test's credentials: status, headers we look at, body.
fn taxii_get(url: &str, accept: &str) -> (u16, Vec<(String, String)>, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(url)
        .header("Accept", accept)
        .header(
            "Authorization",
            format!(
                "Basic {}",
                base64_std(format!("cert:{PASSWORD}").as_bytes())
            ),
        )
        .call()
        .unwrap();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    (
        r.status().as_u16(),
        headers,
        r.body_mut().read_to_string().unwrap(),
    )
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn taxii2_client_reads_the_evidence_southland_received() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (dirs, channel, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);

    // Off loopback the server refuses to start.
    let o = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(south)
        .args(["taxii", "serve", "--listen", "0.0.0.0:0"])
        .env("HOTLINE_TAXII_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the password would travel in clear")
            && err.contains("--tls-cert FILE --tls-key FILE"),
        "{err}"
    );

    // The server runs before the evidence arrives.
    let server = taxii_serve(south);
    let objects_url = format!("{}/{channel}/collections/received/objects/", server.url);
    let (status, _, body) = taxii_get(&objects_url, "application/taxii+json;version=2.1");
    assert_eq!((status, body.as_str()), (200, r#"{"more":false}"#));

    let objs = objects();
    let bundle = format!(
        r#"{{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [{}]}}"#,
        objs.join(", ")
    );
    let file = d.path().join("evidence.json");
    std::fs::write(&file, &bundle).unwrap();
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
            "Intrusions into research networks",
            "--body",
            "See the indicators.",
            "--stix",
            file.to_str().unwrap(),
        ],
    ));
    ok(hotline(south, &["sync"]));

    // Served as sent, byte for byte, less the TLP:RED indicator; with the
    // TAXII media type and date headers.
    let (status, h, body) = taxii_get(&objects_url, "application/taxii+json;version=2.1");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        header(&h, "content-type"),
        Some("application/taxii+json;version=2.1")
    );
    assert_eq!(
        body,
        format!(r#"{{"more":false,"objects":[{}]}}"#, objs[..4].join(","))
    );
    let first = header(&h, "x-taxii-date-added-first").unwrap();
    assert_eq!(Some(first), header(&h, "x-taxii-date-added-last"));
    assert_eq!(first.len(), "2026-12-01T00:00:00.000Z".len(), "{first}");
    assert!(!body.contains(RED_ID));
    let (status, _, _) = taxii_get(&objects_url, "application/json");
    assert_eq!(status, 406);
    // Northland's own server has the same objects in `sent`.
    let north_server = taxii_serve(north);
    ok(hotline(north, &["sync"]));
    let (_, _, sent) = taxii_get(
        &format!("{}/{channel}/collections/sent/objects/", north_server.url),
        "application/taxii+json",
    );
    assert_eq!(sent, body);
    drop(north_server);

    // OASIS's client walks it all.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/interop/taxii/walk.py"
    );
    let posted_file = d.path().join("posted.json");
    let o = Command::new("python3")
        .args([script, &server.url, "cert", PASSWORD, &channel])
        .arg(&file)
        .arg(&posted_file)
        .arg(RED_ID)
        .output()
        .expect("python3 is needed (with tests/interop/requirements.txt installed)");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "walk.py failed (pip install -r tests/interop/requirements.txt if a module is missing)\nstdout: {out}\nstderr: {err}"
    );
    assert!(out.contains("ok: 4 objects in 4 pages"), "{out}");
    assert!(out.contains("ok: posted 5 objects, 1 refused"), "{out}");
    drop(server);

    // What taxii2-client posted waits in Southland's draft, byte for byte.
    let posted: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(&posted_file).unwrap()).unwrap();
    let as_json = |texts: &[&str]| -> Vec<serde_json::Value> {
        texts
            .iter()
            .map(|t| serde_json::from_str(t).unwrap())
            .collect()
    };
    let posted_texts: Vec<&str> = posted.iter().map(String::as_str).collect();
    let shown: Vec<serde_json::Value> =
        serde_json::from_str(&ok(hotline(south, &["evidence", "show", "--json"]))).unwrap();
    let held: Vec<&str> = shown.iter().map(|o| o["json"].as_str().unwrap()).collect();
    assert_eq!(as_json(&held), as_json(&posted_texts));
    assert_eq!(held, posted_texts);
    assert!(
        shown.iter().all(|o| o["source"] == "taxii outbox"),
        "{shown:?}"
    );

    // Southland sends them as a case; the draft is gone.
    let sent = ok(hotline(
        south,
        &[
            "case",
            "open",
            "--kind",
            "inquiry",
            "--to",
            "northland",
            "--title",
            "Phishing from invoices.example",
            "--body",
            "The sender, and the spyware it drops.",
            "--draft",
            "evidence",
        ],
    ));
    assert!(
        sent.contains("Sent the 5 object(s) of draft evidence"),
        "{sent}"
    );
    let drafts: serde_json::Value =
        serde_json::from_str(&ok(hotline(south, &["evidence", "list", "--json"]))).unwrap();
    assert_eq!(drafts, serde_json::json!([]));

    // Northland's `received` serves them unchanged once synced.
    let north_server = taxii_serve(north);
    ok(hotline(north, &["sync"]));
    let (status, _, body) = taxii_get(
        &format!(
            "{}/{channel}/collections/received/objects/",
            north_server.url
        ),
        "application/taxii+json;version=2.1",
    );
    assert_eq!(status, 200, "{body}");
    let env: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        env["objects"],
        serde_json::Value::Array(as_json(&posted_texts)),
        "{body}"
    );
    assert_eq!(
        body,
        format!(r#"{{"more":false,"objects":[{}]}}"#, posted.join(","))
    );
    drop(north_server);
    stop(relay);
}

/// `hotline taxii serve` refusing to start, with its exit code and stderr.
fn taxii_refused(profile: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(profile)
        .args(["taxii", "serve"])
        .args(args)
        .env("HOTLINE_TAXII_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// OASIS's client reads the server over HTTPS (tests/interop/taxii/tls.py),
/// trusting `ca`, and must find `expected` in `received`.
fn read_over_https(url: &str, channel: &str, ca: &std::path::Path, expected: &[&str]) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/interop/taxii/tls.py"
    );
    let o = Command::new("python3")
        .args([script, url, "cert", PASSWORD, channel])
        .arg(ca)
        .args(expected)
        // requests lets these override a session's `verify` (its issue
        // 3829): without them the CA given to taxii2-client is the one used.
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .output()
        .expect("python3 is needed (with tests/interop/requirements.txt installed)");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "tls.py failed (pip install -r tests/interop/requirements.txt if a module is missing)\nstdout: {out}\nstderr: {err}"
    );
    assert!(
        out.contains(&format!("ok: {} objects over https", expected.len())),
        "{out}"
    );
}

#[test]
fn https_off_loopback_and_restricted_collections() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (dirs, channel, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);
    let TestCerts { ca, cert, key } = test_certs(d.path());
    let (cert_s, key_s) = (cert.to_str().unwrap(), key.to_str().unwrap());

    // Refused before listening: a missing key, a key that is not the
    // certificate's (the CA's), one of the two files alone, an unknown
    // collection; each with a message that says why.
    let missing = d.path().join("missing.pem");
    let missing_s = missing.to_str().unwrap();
    let (code, err) = taxii_refused(south, &["--tls-cert", cert_s, "--tls-key", missing_s]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("missing.pem"), "{err}");
    let ca_key = d.path().join("ca.key");
    let (code, err) = taxii_refused(
        south,
        &["--tls-cert", cert_s, "--tls-key", ca_key.to_str().unwrap()],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cert.pem") && err.contains("ca.key"), "{err}");
    let (code, err) = taxii_refused(south, &["--listen", "0.0.0.0:0", "--tls-cert", cert_s]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--tls-key"), "{err}");
    let (code, err) = taxii_refused(south, &["--serve-restricted", "outbox"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("invalid value 'outbox'"), "{err}");

    // Evidence under a message labelled TLP:AMBER+STRICT: unmarked, and
    // marked TLP:GREEN; the label covers both.
    let (unmarked, green) = (
        "indicator--0c8e7a52-3c7e-4e0f-9d7c-1f2a3b4c5d6e",
        "indicator--1c8e7a52-3c7e-4e0f-9d7c-1f2a3b4c5d6e",
    );
    let indicator = |id: &str, marking: &str| {
        format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"{id}","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-11-20T08:00:00Z"{marking}}}"#
        )
    };
    let bundle = format!(
        r#"{{"type":"bundle","id":"bundle--6d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{},{}]}}"#,
        indicator(unmarked, ""),
        indicator(
            green,
            r#","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]"#
        )
    );
    let file = d.path().join("strict.json");
    std::fs::write(&file, &bundle).unwrap();
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
            "For Southland's CERT only",
            "--body",
            "Do not pass on.",
            "--tlp",
            "TLP:AMBER+STRICT",
            "--stix",
            file.to_str().unwrap(),
        ],
    ));
    ok(hotline(south, &["sync"]));

    // HTTPS on loopback, by default: both withheld.
    let server = taxii_serve_with(
        south,
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert_s,
            "--tls-key",
            key_s,
        ],
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    read_over_https(&server.url, &channel, &ca, &[]);
    drop(server);

    // HTTPS on every address, serving `received` in full: accepted, and
    // read at 127.0.0.1 (the discovery URLs follow the address reached).
    let server = taxii_serve_with(
        south,
        &[
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            cert_s,
            "--tls-key",
            key_s,
            "--serve-restricted",
            "received",
        ],
    );
    let port = server
        .url
        .strip_prefix("https://0.0.0.0:")
        .unwrap_or_else(|| panic!("{}", server.url));
    read_over_https(
        &format!("https://127.0.0.1:{port}"),
        &channel,
        &ca,
        &[unmarked, green],
    );
    drop(server);

    // `--serve-restricted sent` does not open `received`.
    let server = taxii_serve_with(
        south,
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert_s,
            "--tls-key",
            key_s,
            "--serve-restricted",
            "sent",
        ],
    );
    read_over_https(&server.url, &channel, &ca, &[]);
    drop(server);
    stop(relay);
}
