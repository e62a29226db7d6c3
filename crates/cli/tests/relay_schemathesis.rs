//! Hostile input from a tool we did not write: Schemathesis (PyPI) drives the
//! real relay binary on 127.0.0.1 from its OpenAPI document
//! (`/v1/openapi.json`), with every check on and a fixed seed. A channel is
//! seeded first (two parties, their rosters, envelopes, a blob, a signed
//! checkpoint) and Schemathesis's hooks (`tests/interop/schemathesis/hooks.py`)
//! sign each request it makes with a member's key (RFC 9421), so that its
//! cases get past authentication into the handlers.
//!
//! The test fails when Schemathesis is not installed (`pip install -r
//! tests/interop/requirements.txt`); a developer without it may skip it with
//! `HOTLINE_SKIP_SCHEMATHESIS=1`. CI never skips it (`.ci/run` unsets that).

mod common;

use common::*;
use std::process::Command;

use hotline_client::relay_client::RelayClient;
use hotline_core::keys::{MemberKeys, SigningKey};

fn schemathesis_available() -> bool {
    Command::new("schemathesis")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn fuzz(database: Option<&str>) {
    if std::env::var_os("HOTLINE_SKIP_SCHEMATHESIS").is_some() {
        eprintln!("HOTLINE_SKIP_SCHEMATHESIS is set: Schemathesis not run");
        return;
    }
    assert!(
        schemathesis_available(),
        "schemathesis is not installed: pip install -r tests/interop/requirements.txt \
         (or set HOTLINE_SKIP_SCHEMATHESIS=1 on a developer machine)"
    );
    let d = tempfile::tempdir().unwrap();
    let relay = start(d.path(), &unique("fuzzed"), database);

    let mut rng = rand_core::OsRng;
    let (north, south) = (
        SigningKey::generate(&mut rng),
        SigningKey::generate(&mut rng),
    );
    let (n1, s1) = (
        MemberKeys::generate(&mut rng),
        MemberKeys::generate(&mut rng),
    );
    let charter = charter_doc(
        &relay,
        &[("north", &north), ("south", &south)],
        "0123456789abcdef0123456789abcdef",
    );
    let as_north = RelayClient::new(&relay.url, north.clone()).unwrap();
    let as_south = RelayClient::new(&relay.url, south.clone()).unwrap();
    let ch = as_north.create_channel(&charter).unwrap();
    as_north
        .post_roster(&ch, &roster(ch, &north, 1, None, &[&n1]))
        .unwrap();
    as_south
        .post_roster(&ch, &roster(ch, &south, 1, None, &[&s1]))
        .unwrap();
    let member = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    let e = envelope(
        ch,
        &n1,
        &[&s1, &n1],
        "Inquiry: scanning from a university network",
    );
    let a = member.post_envelopes(&ch, &[e]).unwrap();
    let blob = member.put_blob(&ch, b"evidence: a packet capture").unwrap();
    let size = a[0].index + 2;
    wait_checkpoint(&member, &ch, size, &relay.vkey);

    let seed = serde_json::json!({
        "url": relay.url,
        "channel": ch.to_hex(),
        "member_seed": hex::encode(*n1.signing.seed()),
        "member_keyid": n1.signing.key_id().to_hex(),
        "party_seed": hex::encode(*north.seed()),
        "charter": base64_std(&charter.to_json()),
        "envelope_index": a[0].index,
        "blob": blob,
        "size": size,
    });
    let seed_path = d.path().join("seed.json");
    std::fs::write(&seed_path, serde_json::to_vec_pretty(&seed).unwrap()).unwrap();

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join("tests/interop/schemathesis/run.sh"))
        .arg(&seed_path)
        .arg(d.path().join("report"))
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "schemathesis found failures:\n{text}");
    // The run made requests (a run that tested nothing passes vacuously).
    assert!(
        text.contains("passed") || text.contains("Passed"),
        "no Schemathesis summary in its output:\n{text}"
    );
    // The relay survived it and still serves the seeded channel.
    let page = member.entries(&ch, 0, 10).unwrap();
    assert!(
        page.size >= size,
        "the seeded log shrank: {} < {size}",
        page.size
    );
    stop(relay);
}

#[test]
fn schemathesis_finds_nothing_on_sqlite() {
    fuzz(None);
}

#[test]
fn schemathesis_finds_nothing_on_postgres() {
    let Ok(db) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: the PostgreSQL backend was NOT fuzzed");
        return;
    };
    fuzz(Some(&db));
}
