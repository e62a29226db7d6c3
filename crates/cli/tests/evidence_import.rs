//! `hotline evidence import` with the real binary against a real third-party
//! TAXII 2.1 server: OASIS's medallion, serving objects made with OASIS's
//! `stix2` (tests/interop/taxii/medallion_import.py), five to a page. Needs
//! python3 with tests/interop/requirements.txt: without them this test fails.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use common::cli::*;
use common::*;
use serde_json::Value;
use serde_json::value::RawValue;

const USER: &str = "cert";
const PASSWORD: &str = "medallion test password";

struct Medallion {
    child: Child,
    url: String,
}

impl Drop for Medallion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn medallion(dir: &Path) -> Medallion {
    medallion_with(dir, &[])
}

/// [`medallion`] with more arguments (`--tls CERT KEY`).
fn medallion_with(dir: &Path, more: &[&Path]) -> Medallion {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/interop/taxii/medallion_import.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .arg(dir)
        .args([USER, PASSWORD])
        .args(more)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed (with tests/interop/requirements.txt installed)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let Some(url) = line.trim().strip_prefix("ready ").map(str::to_owned) else {
        let _ = child.kill();
        let o = child.wait_with_output().unwrap();
        panic!(
            "medallion_import.py did not start (pip install -r tests/interop/requirements.txt if a \
             module is missing)\nstdout: {line}\nstderr: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    Medallion { child, url }
}

fn import(profile: &Path, password: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(profile)
        .args(["evidence", "import"])
        .args(args)
        .env("HOTLINE_TAXII_IMPORT_PASSWORD", password)
        .env_remove("HOTLINE_PASSPHRASE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn failed(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {}\nstderr: {err}",
        String::from_utf8_lossy(&o.stdout)
    );
    err
}

/// Every object medallion serves in the collection, each as the exact text
/// it sent, read page by page (with `next`) by this test itself; and how
/// many pages.
fn served(collection_url: &str) -> (Vec<String>, usize) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!(
        "Basic {}",
        base64_std(format!("{USER}:{PASSWORD}").as_bytes())
    );
    let (mut objects, mut pages, mut next) = (vec![], 0, None::<String>);
    loop {
        let url = match &next {
            // (medallion 3.0.0 answers 500 to a `next` without `limit`.)
            Some(n) => format!("{collection_url}objects/?limit=1000&next={n}"),
            None => format!("{collection_url}objects/?limit=1000"),
        };
        let mut r = agent
            .get(&url)
            .header("Accept", "application/taxii+json;version=2.1")
            .header("Authorization", &auth)
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let body = r.body_mut().read_to_string().unwrap();
        #[derive(serde::Deserialize)]
        struct Page {
            more: bool,
            next: Option<String>,
            objects: Vec<Box<RawValue>>,
        }
        let p: Page = serde_json::from_str(&body).unwrap();
        pages += 1;
        objects.extend(p.objects.iter().map(|o| o.get().to_owned()));
        if !p.more {
            return (objects, pages);
        }
        next = p.next;
        assert!(pages < 100);
    }
}

fn show(profile: &Path, draft: &str) -> Vec<Value> {
    serde_json::from_str(&ok(hotline(
        profile,
        &["evidence", "show", draft, "--json"],
    )))
    .unwrap()
}

fn by_id(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    v
}

#[test]
fn medallion_collections_become_draft_evidence() {
    let d = tempfile::tempdir().unwrap();
    let m = medallion(d.path());
    let expect: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("objects.json")).unwrap()).unwrap();
    let good_id = expect["good_collection"].as_str().unwrap();
    let mixed_id = expect["mixed_collection"].as_str().unwrap();
    let good: Vec<Value> = expect["good"].as_array().unwrap().clone();
    let good_url = format!("{}collections/{good_id}/", m.url);

    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (dirs, channel, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let south = &dirs[1];
    ok(hotline(south, &["sync"]));

    // All of it, over several pages, each object as medallion sent it.
    let (texts, pages) = served(&good_url);
    assert_eq!(texts.len(), 13);
    assert!(pages >= 3, "{pages} pages: medallion should page by 5");
    let o = import(
        south,
        PASSWORD,
        &["--taxii", &m.url, "--collection", good_id, "--user", USER],
    );
    let out = ok(o);
    assert_eq!(
        out.trim(),
        format!(
            "Imported 13 object(s) into draft evidence (0 already there) from {}",
            m.url
        )
    );
    let held = show(south, "evidence");
    let held_texts: Vec<&str> = held.iter().map(|o| o["json"].as_str().unwrap()).collect();
    assert_eq!(held_texts, texts, "byte for byte, in medallion's order");
    let held_values: Vec<Value> = held_texts
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect();
    assert_eq!(
        by_id(held_values),
        by_id(good.clone()),
        "as JSON, what stix2 made"
    );
    for o in &held {
        assert_eq!(o["source"], format!("import {good_url}"));
    }
    let types: std::collections::BTreeSet<&str> =
        held.iter().map(|o| o["type"].as_str().unwrap()).collect();
    for t in [
        "identity",
        "indicator",
        "malware",
        "relationship",
        "ipv4-addr",
        "file",
    ] {
        assert!(types.contains(t), "{t} in {types:?}");
    }

    // Again: nothing new.
    let o = import(
        south,
        PASSWORD,
        &[
            "--taxii",
            &m.url,
            "--collection",
            good_id,
            "--user",
            USER,
            "--channel",
            &channel,
            "--json",
        ],
    );
    let v: Value = serde_json::from_str(&ok(o)).unwrap();
    assert_eq!(
        (v["added"].as_u64(), v["already"].as_u64()),
        (Some(0), Some(13)),
        "{v}"
    );
    assert_eq!(v["refused"], serde_json::json!([]));
    assert_eq!(show(south, "evidence").len(), 13);

    // Only what was added after an instant, into another draft.
    let cut = expect["cut"].as_str().unwrap();
    let o = import(
        south,
        PASSWORD,
        &[
            "--taxii",
            &m.url,
            "--collection",
            good_id,
            "--user",
            USER,
            "--added-after",
            cut,
            "--draft",
            "later",
            "--json",
        ],
    );
    let v: Value = serde_json::from_str(&ok(o)).unwrap();
    assert_eq!(v["added"].as_u64(), Some(5), "{v}");
    let later: Vec<Value> = show(south, "later")
        .iter()
        .map(|o| o["id"].clone())
        .collect();
    assert_eq!(later, expect["later_ids"].as_array().unwrap().clone());
    let err = failed(&import(
        south,
        PASSWORD,
        &[
            "--taxii",
            &m.url,
            "--collection",
            good_id,
            "--added-after",
            "last week",
        ],
    ));
    assert!(err.contains("is not an RFC 3339 instant"), "{err}");

    // A broken indicator: nothing is written, and it is named.
    let bad_id = expect["bad_id"].as_str().unwrap();
    let err = failed(&import(
        south,
        PASSWORD,
        &[
            "--taxii",
            &m.url,
            "--collection",
            mixed_id,
            "--user",
            USER,
            "--draft",
            "mixed",
        ],
    ));
    assert!(err.contains(bad_id), "{err}");
    assert!(err.contains("so none was imported"), "{err}");
    assert!(err.contains("--skip-invalid"), "{err}");
    let listed = ok(hotline(south, &["evidence", "list", "--json"]));
    assert!(!listed.contains("\"mixed\""), "{listed}");
    // With --skip-invalid, the rest are added and the broken one is a warning.
    let o = import(
        south,
        PASSWORD,
        &[
            "--taxii",
            &m.url,
            "--collection",
            mixed_id,
            "--user",
            USER,
            "--draft",
            "mixed",
            "--skip-invalid",
            "--json",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let v: Value = serde_json::from_str(&ok(o)).unwrap();
    assert_eq!(v["added"].as_u64(), Some(4), "{v}");
    assert_eq!(v["refused"][0]["id"], bad_id, "{v}");
    assert!(err.contains("warning") && err.contains(bad_id), "{err}");
    let mixed: Vec<String> = show(south, "mixed")
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(mixed.len(), 4);
    assert!(!mixed.iter().any(|i| i == bad_id));

    // A wrong password, no user, no password, an unknown collection.
    let err = failed(&import(
        south,
        "not the password",
        &["--taxii", &m.url, "--collection", good_id, "--user", USER],
    ));
    assert!(err.contains("refused the credentials (401"), "{err}");
    assert!(!err.contains("not the password"), "{err}");
    let err = failed(&import(
        south,
        PASSWORD,
        &["--taxii", &m.url, "--collection", good_id],
    ));
    assert!(err.contains("give a user if the server needs one"), "{err}");
    let o = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(south)
        .args([
            "evidence",
            "import",
            "--taxii",
            &m.url,
            "--collection",
            good_id,
            "--user",
            USER,
        ])
        .env_remove("HOTLINE_TAXII_IMPORT_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = failed(&o);
    assert!(err.contains("set HOTLINE_TAXII_IMPORT_PASSWORD"), "{err}");
    let err = failed(&import(
        south,
        PASSWORD,
        &[
            "--taxii",
            &m.url,
            "--collection",
            "no-such-collection",
            "--user",
            USER,
        ],
    ));
    assert!(
        err.contains("has no collection \"no-such-collection\""),
        "{err}"
    );
    assert!(
        err.contains(good_id) && err.contains("Our indicators"),
        "{err}"
    );
    assert!(err.contains(mixed_id), "{err}");
    assert_eq!(show(south, "evidence").len(), 13);

    // Plain http off loopback is refused before anything is sent.
    let err = failed(&import(
        south,
        PASSWORD,
        &["--taxii", "http://192.0.2.1/api1/", "--collection", good_id],
    ));
    assert!(err.contains("refusing plain HTTP"), "{err}");
    drop(m);
    stop(relay);
}

#[test]
fn medallion_over_https_with_a_private_ca() {
    let d = tempfile::tempdir().unwrap();
    let TestCerts { ca, cert, key } = test_certs(d.path());
    let m = medallion_with(d.path(), &[Path::new("--tls"), &cert, &key]);
    assert!(m.url.starts_with("https://127.0.0.1:"), "{}", m.url);
    let expect: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("objects.json")).unwrap()).unwrap();
    let good_id = expect["good_collection"].as_str().unwrap();

    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (dirs, _, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let south = &dirs[1];
    ok(hotline(south, &["sync"]));
    let base = ["--taxii", &m.url, "--collection", good_id, "--user", USER];

    // Not trusted by the Mozilla roots: refused, nothing sent in clear.
    let err = failed(&import(south, PASSWORD, &base));
    assert!(err.contains("cannot reach the TAXII server"), "{err}");
    assert!(
        err.to_lowercase().contains("certificate") || err.contains("issuer"),
        "{err}"
    );
    // Not a CA file.
    let err = failed(&import(
        south,
        PASSWORD,
        &[&base[..], &["--ca", key.to_str().unwrap()]].concat(),
    ));
    assert!(err.contains("the CA file"), "{err}");
    // With the CA.
    let out = ok(import(
        south,
        PASSWORD,
        &[&base[..], &["--ca", ca.to_str().unwrap()]].concat(),
    ));
    assert!(
        out.starts_with("Imported 13 object(s) into draft evidence (0 already there)"),
        "{out}"
    );
    assert_eq!(show(south, "evidence").len(), 13);
    drop(m);
    stop(relay);
}
