//! `hotline witness` end to end: the real binary on 127.0.0.1, spoken to
//! over HTTP as C2SP tlog-witness describes.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use assert_cmd::cargo::CommandCargoExt as _;
use hotline_log::log::Log;
use hotline_log::memory::MemoryStore;
use hotline_log::note::Ed25519Signer;
use hotline_log::storage::LogStore;
use hotline_witness::request_body;

const ORIGIN: &str = "relay.example/feedfacefeedfacefeedfacefeedface";
const PASS: &str = "witness passphrase";

fn hotline() -> Command {
    let mut c = Command::cargo_bin("hotline").unwrap();
    c.env("HOTLINE_PASSPHRASE", PASS)
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10");
    c
}

fn serve(data: &std::path::Path) -> (Child, String) {
    let mut child = hotline()
        .args(["witness", "serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("witness listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    (child, url)
}

fn post(url: &str, body: &[u8]) -> (u16, String, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(format!("{url}/add-checkpoint"))
        .send(body)
        .unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        r.status().as_u16(),
        ct,
        r.body_mut().read_to_string().unwrap(),
    )
}

fn stop(mut child: Child) {
    // SIGTERM for a graceful shutdown.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the witness did not exit cleanly: {status}"
    );
}

#[test]
fn witness_serves_tlog_witness_protocol() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("witness");
    let out = hotline()
        .args(["witness", "init", "--name", "witness.example/w1", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vkey = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(vkey.starts_with("witness.example/w1+"));
    let shown = hotline()
        .args(["witness", "key", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(shown.stdout).unwrap().trim(), vkey);
    let cv = hotline_log::cosignature::CosignatureVerifier::from_vkey(&vkey).unwrap();

    let signer = Ed25519Signer::new("relay.example", &[3; 32]).unwrap();
    let add = hotline()
        .args([
            "witness",
            "add-log",
            "--origin",
            ORIGIN,
            "--key",
            &signer.vkey(),
            "--data",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );

    let store = MemoryStore::default();
    store.create(ORIGIN).unwrap();
    let log = Log::new(&store, ORIGIN);
    log.append(&[b"a".to_vec(), b"b".to_vec()]).unwrap();
    let cp2 = log.sign_checkpoint(&signer).unwrap();

    let (child, url) = serve(&data);
    let (code, _, body) = post(&url, &request_body(0, &[], &cp2.to_bytes()));
    assert_eq!(code, 200, "{body}");
    let sig = hotline_log::note::parse_signature_line(body.trim_end()).unwrap();
    assert!(cv.verify(&cp2.text, &sig).unwrap().is_some());

    // Rollback attempt: 409 with the witness's size, as text/x.tlog.size.
    let (code, ct, body) = post(&url, &request_body(0, &[], &cp2.to_bytes()));
    assert_eq!(
        (code, ct.as_str(), body.as_str()),
        (409, "text/x.tlog.size", "2\n")
    );
    // Unknown origin 404, malformed 400.
    let mut other =
        hotline_log::note::Note::new(&cp2.text.replace(ORIGIN, "other.example/log")).unwrap();
    other.add_signature(signer.sign(&other.text));
    assert_eq!(post(&url, &request_body(2, &[], &other.to_bytes())).0, 404);
    assert_eq!(post(&url, b"old x\n\n").0, 400);
    // A fork of the same size: 422.
    let fork_store = MemoryStore::default();
    fork_store.create(ORIGIN).unwrap();
    let fork = Log::new(&fork_store, ORIGIN);
    fork.append(&[b"a".to_vec(), b"B".to_vec()]).unwrap();
    let fork_cp = fork.sign_checkpoint(&signer).unwrap();
    assert_eq!(
        post(&url, &request_body(2, &[], &fork_cp.to_bytes())).0,
        422
    );
    stop(child);

    // The view survived the restart.
    let (child, url) = serve(&data);
    let (code, _, body) = post(&url, &request_body(0, &[], &cp2.to_bytes()));
    assert_eq!((code, body.as_str()), (409, "2\n"));
    log.append(&[b"c".to_vec()]).unwrap();
    let cp3 = log.sign_checkpoint(&signer).unwrap();
    let proof = log.consistency_proof(2, 3).unwrap();
    assert_eq!(post(&url, &request_body(2, &proof, &cp3.to_bytes())).0, 200);
    stop(child);

    // Refuses a public address without TLS.
    let out = hotline()
        .args(["witness", "serve", "--listen", "0.0.0.0:0", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to serve plain HTTP"));
}
