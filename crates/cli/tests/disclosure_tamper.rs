//! Tampering with a disclosure bundle is caught (docs/disclosure.md §3):
//! flipping any bit of its signed or hashed content (property test over
//! positions), dropping any entry, swapping a redacted part, and replaying a
//! consent given to another request. With `HOTLINE_DISCLOSURE_CORPUS` set,
//! the valid bundle and a corpus of tampered ones are written there with the
//! Rust verdicts, for the JavaScript verifier and verify.html to be checked
//! against (web/verify/test).

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::cli::*;
use common::*;
use hotline_disclosure::{Verdict, verify};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

/// Where a tamper lands.
#[derive(Debug, Clone)]
enum Spot {
    Entry(usize),
    Part(usize, usize, &'static str),
    ProofHash(usize, usize),
    CheckpointBody,
    RelaySignature,
}

fn spots(b: &Value) -> Vec<Spot> {
    let mut out = vec![Spot::CheckpointBody, Spot::RelaySignature];
    for (i, e) in b["entries"].as_array().unwrap().iter().enumerate() {
        out.push(Spot::Entry(i));
        for (j, p) in e["parts"].as_array().into_iter().flatten().enumerate() {
            for f in ["salt", "content", "redacted"] {
                if p.get(f).is_some() && !p[f].as_str().unwrap().is_empty() {
                    out.push(Spot::Part(i, j, f));
                }
            }
        }
        let hashes = e["proof"]
            .as_str()
            .unwrap()
            .split("\n\n")
            .next()
            .unwrap()
            .lines()
            .count()
            - 2;
        for k in 0..hashes {
            out.push(Spot::ProofHash(i, k));
        }
    }
    out
}

fn flip_b64(s: &str, pos: usize, bit: u8, skip: usize) -> String {
    let mut b = B64.decode(s).unwrap();
    let n = b.len() - skip;
    b[skip + pos % n] ^= 1 << bit;
    B64.encode(b)
}

/// Flips one bit at `spot`; keeps the bundle well-formed JSON.
fn tamper(b: &Value, spot: &Spot, pos: usize, bit: u8) -> Value {
    let mut b = b.clone();
    match spot {
        Spot::Entry(i) => {
            let e = &mut b["entries"][*i];
            e["entry"] = flip_b64(e["entry"].as_str().unwrap(), pos, bit, 0).into();
        }
        Spot::Part(i, j, f) => {
            let p = &mut b["entries"][*i]["parts"][*j];
            p[*f] = flip_b64(p[*f].as_str().unwrap(), pos, bit, 0).into();
        }
        Spot::ProofHash(i, k) => {
            let proof = b["entries"][*i]["proof"].as_str().unwrap().to_owned();
            let (head, cp) = proof.split_once("\n\n").unwrap();
            let mut lines: Vec<String> = head.lines().map(String::from).collect();
            lines[2 + k] = flip_b64(&lines[2 + k], pos, bit, 0);
            b["entries"][*i]["proof"] = format!("{}\n\n{cp}", lines.join("\n")).into();
        }
        Spot::CheckpointBody | Spot::RelaySignature => {
            let old = b["checkpoint"].as_str().unwrap().to_owned();
            let (body, sigs) = old.split_once("\n\n").unwrap();
            let new = if let Spot::CheckpointBody = spot {
                let mut bytes = body.as_bytes().to_vec();
                let n = bytes.len();
                // ASCII stays ASCII: bits 0..7 of an ASCII byte.
                bytes[pos % n] ^= 1 << (bit % 7);
                format!("{}\n\n{sigs}", String::from_utf8(bytes).unwrap())
            } else {
                // The relay's signature is the first line.
                let mut lines: Vec<String> = sigs.lines().map(String::from).collect();
                let (name, sig) = lines[0].rsplit_once(' ').unwrap();
                lines[0] = format!("{name} {}", flip_b64(sig, pos, bit, 4));
                format!("{body}\n\n{}\n", lines.join("\n"))
            };
            // Consistently everywhere: only the signatures can catch it.
            b["checkpoint"] = new.clone().into();
            for e in b["entries"].as_array_mut().unwrap() {
                let p = e["proof"].as_str().unwrap().replace(&old, &new);
                e["proof"] = p.into();
            }
        }
    }
    b
}

/// Builds the Go checker of tlog-proofs. If the build fails (Go or Debian's
/// golang-golang-x-mod-dev missing) the test fails, whatever the environment,
/// unless `HOTLINE_SKIP_GO_INTEROP=1` says to skip it knowingly (`.ci/run`
/// unsets it): then `None`, and it says so.
fn go_checker() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/go");
    let out = std::env::temp_dir().join(format!("tlogproofcheck-{}", std::process::id()));
    let o = std::process::Command::new("bash")
        .arg(root.join("build.sh"))
        .arg(&out)
        .arg("tlogproofcheck")
        .output()
        .unwrap();
    if o.status.success() {
        return Some(out);
    }
    let msg = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        std::env::var_os("HOTLINE_SKIP_GO_INTEROP").is_some_and(|v| v == "1"),
        "the Go tlog-proof checker could not be built ({msg}): install golang-go and \
         golang-golang-x-mod-dev (Debian), or set HOTLINE_SKIP_GO_INTEROP=1 to skip the Go \
         check knowingly"
    );
    eprintln!(
        "the Go tlog-proof checker could not be built ({msg}); HOTLINE_SKIP_GO_INTEROP=1: NOT tested."
    );
    None
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

#[test]
fn tampered_bundles_are_caught() {
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
    let evidence = d.path().join("proxy.log");
    std::fs::write(&evidence, "2026-11-20 03:12:09 GET /wp-login.php 10.0.0.5").unwrap();
    let stix = d.path().join("indicators.json");
    std::fs::write(
        &stix,
        r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[]}"#,
    )
    .unwrap();
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
            "--evidence",
            evidence.to_str().unwrap(),
            "--stix",
            stix.to_str().unwrap(),
        ],
    ));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();
    ok(hotline(south, &["case", "ack", &case]));
    ok(hotline(
        south,
        &["case", "answer", &case, "--body", "Contained."],
    ));
    let mut requests = Vec::new();
    for redact in ["attachment", "stix"] {
        let r = ok(hotline(
            north,
            &[
                "disclose",
                "request",
                "--case",
                &case,
                "--redact",
                redact,
                "--purpose",
                redact,
            ],
        ));
        requests.push(r.split_whitespace().nth(2).unwrap().to_owned());
    }
    for r in &requests {
        ok(hotline(south, &["disclose", "consent", r]));
    }
    ok(hotline(north, &["sync"]));
    let export = |r: &str, name: &str| -> Value {
        let f = d.path().join(name);
        ok(hotline(
            north,
            &["disclose", "export", r, "--out", f.to_str().unwrap()],
        ));
        serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap()
    };
    let valid = export(&requests[0], "one.json");
    let other = export(&requests[1], "two.json");
    assert_eq!(verify(&bytes(&valid)).verdict, Verdict::Valid);
    assert_eq!(verify(&bytes(&other)).verdict, Verdict::Valid);
    assert_eq!(
        valid["checkpoint"], other["checkpoint"],
        "both exported under one checkpoint"
    );

    let mut corpus: Vec<(String, Value)> = vec![("valid".into(), valid.clone())];
    let mut caught = |name: String, b: Value, want: &str| {
        let r = verify(&bytes(&b));
        assert_ne!(r.verdict, Verdict::Valid, "{name} was not caught");
        let failed: Vec<_> = r
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| &c.detail)
            .collect();
        assert!(
            want.is_empty() || failed.iter().any(|f| f.contains(want)),
            "{name}: expected a failure mentioning {want:?}, got {failed:?}"
        );
        corpus.push((name, b));
    };

    // Dropping any entry.
    let n = valid["entries"].as_array().unwrap().len();
    for i in 0..n {
        let mut b = valid.clone();
        b["entries"].as_array_mut().unwrap().remove(i);
        caught(format!("drop-entry-{i}"), b, "");
    }
    // Swapping a redacted part for another part's hash.
    let mut b = valid.clone();
    let parts = b["entries"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| {
            e["parts"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p.get("redacted").is_some()))
        })
        .unwrap()["parts"]
        .as_array_mut()
        .unwrap();
    let stub = parts
        .iter()
        .position(|p| p.get("redacted").is_some())
        .unwrap();
    let stix_stub = &other["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["parts"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p.get("redacted").is_some()))
        })
        .unwrap()["parts"];
    // The STIX part, redacted in the other bundle, put where the attachment was.
    let other_stub = stix_stub
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p.get("redacted").is_some())
        .unwrap()
        .clone();
    parts[stub]["redacted"] = other_stub["redacted"].clone();
    caught(
        "swap-redacted-part".into(),
        b,
        "do not match the signed commitment",
    );
    // Replaying the consent given to the other request.
    let consent_of = |b: &Value| b["consents"][0].as_u64().unwrap();
    let replay = other["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["index"].as_u64() == Some(consent_of(&other)))
        .unwrap()
        .clone();
    let mut b = valid.clone();
    let own = consent_of(&valid);
    let entries = b["entries"].as_array_mut().unwrap();
    entries.retain(|e| e["index"].as_u64() != Some(own));
    entries.push(replay);
    entries.sort_by_key(|e| e["index"].as_u64());
    b["consents"] = serde_json::json!([consent_of(&other)]);
    caught("replayed-consent".into(), b, "answers another request");
    // Without the consent: not consented (and so not valid).
    let mut b = valid.clone();
    b["consents"] = serde_json::json!([]);
    // …unless it hides that it lacks it.
    caught("consent-missing-unstated".into(), b.clone(), "missing, but");
    b["missing_consents"] = serde_json::json!(["southland"]);
    let r = verify(&bytes(&b));
    assert_eq!(r.verdict, Verdict::NotConsented);
    assert_eq!(r.missing_consents, vec!["southland".to_string()]);
    corpus.push(("no-consent".into(), b));

    // Any bit of the signed or hashed content.
    let spots = spots(&valid);
    let mut runner = TestRunner::new(Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    });
    let flips = std::cell::RefCell::new(Vec::new());
    runner
        .run(
            &(0..spots.len(), any::<usize>(), 0u8..8),
            |(s, pos, bit)| {
                let b = tamper(&valid, &spots[s], pos, bit);
                let r = verify(&bytes(&b));
                prop_assert_ne!(
                    r.verdict,
                    Verdict::Valid,
                    "{:?} at {} bit {}",
                    spots[s],
                    pos,
                    bit
                );
                let mut f = flips.borrow_mut();
                if f.len() < 40 {
                    f.push((format!("flip-{:?}-{pos}-{bit}", spots[s]), b));
                }
                Ok(())
            },
        )
        .unwrap();
    corpus.extend(flips.into_inner());

    // A generic transparency-log tool checks the tlog-proofs: Go's
    // golang.org/x/mod/sumdb/{note,tlog} (tests/interop/go/src/tlogproofcheck).
    if let Some(go) = go_checker() {
        let check = |b: &Value| {
            let f = d.path().join(format!("go-{}.json", unique("b")));
            std::fs::write(&f, bytes(b)).unwrap();
            let o = std::process::Command::new(&go)
                .arg(&relay.vkey)
                .arg(&f)
                .output()
                .unwrap();
            (
                o.status.success(),
                String::from_utf8_lossy(&o.stdout).to_string(),
            )
        };
        let (ok_, out) = check(&valid);
        assert!(ok_, "{out}");
        assert_eq!(
            out.lines().filter(|l| l.starts_with("ok ")).count(),
            valid["entries"].as_array().unwrap().len()
        );
        for (spot, what) in [
            (Spot::Entry(1), "an entry"),
            (Spot::ProofHash(1, 0), "a proof hash"),
        ] {
            let (ok_, out) = check(&tamper(&valid, &spot, 3, 2));
            assert!(!ok_ && out.contains("FAIL entry"), "{what}: {out}");
        }
        let (ok_, out) = check(&tamper(&valid, &Spot::CheckpointBody, 40, 1));
        assert!(!ok_, "the checkpoint: {out}");
    }

    if let Ok(dir) = std::env::var("HOTLINE_DISCLOSURE_CORPUS") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        let mut manifest = Vec::new();
        for (i, (name, b)) in corpus.iter().enumerate() {
            let file = format!("{i:03}.json");
            let data = bytes(b);
            std::fs::write(dir.join(&file), &data).unwrap();
            manifest.push(
                serde_json::json!({"file": file, "name": name, "verdict": verify(&data).verdict}),
            );
        }
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::to_vec_pretty(&manifest).unwrap(),
        )
        .unwrap();
    }
    stop(relay);
}
