//! Real-world STIX arrives unchanged: a MISP event exported to STIX 2.1 by
//! MISP's own converter (misp-stix, tests/interop/taxii/misp_event.py) is
//! attached by Northland to an inquiry; Southland's CERT tools read it from
//! `hotline taxii serve` with OASIS's taxii2-client, every object equal (as
//! JSON) to what MISP produced, valid to stix2-validator and parsed by stix2
//! (tests/interop/taxii/read_collection.py). Needs python3 with
//! tests/interop/requirements.txt: without them this test fails.

mod common;

use std::process::Command;

use common::cli::*;
use common::*;

const PASSWORD: &str = "taxii misp password";

fn python(script: &str, args: &[&str]) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/interop/taxii/{script}",
        env!("CARGO_MANIFEST_DIR")
    );
    let o = Command::new("python3")
        .arg(&path)
        .args(args)
        .output()
        .expect("python3 is needed (with tests/interop/requirements.txt installed)");
    assert!(
        o.status.success(),
        "{script} failed (pip install -r tests/interop/requirements.txt if a module is missing)\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

#[test]
fn a_misp_export_reaches_the_other_partys_tools_unchanged() {
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

    let file = d.path().join("misp-event.stix.json");
    python("misp_event.py", &[file.to_str().unwrap()]);
    let sent: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let sent = sent["objects"].as_array().unwrap().clone();
    assert!(sent.len() >= 30, "MISP exported {} objects", sent.len());

    // Our validator takes MISP's export as it is.
    ok(hotline(
        north,
        &["evidence", "check", file.to_str().unwrap()],
    ));
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
            "Spear-phishing against the energy ministry",
            "--body",
            "The attached MISP event lists the staging servers and the dropper.",
            "--tlp",
            "TLP:AMBER",
            "--stix",
            file.to_str().unwrap(),
        ],
    ));
    ok(hotline(south, &["sync"]));

    let server = taxii_serve(south, PASSWORD, &["--listen", "127.0.0.1:0"]);

    let read = python(
        "read_collection.py",
        &[&server.url, "cert", PASSWORD, &channel, "received"],
    );
    let read: serde_json::Value = serde_json::from_slice(&read).unwrap();
    assert_eq!(read, serde_json::Value::Array(sent));
    drop(server);
    stop(relay);
}
