//! `hotline demo --no-ui` runs to completion and leaves its folder behind,
//! with the scenario visible in its output; Southland's CERT tools read the
//! demo's evidence from `hotline taxii serve` with OASIS's taxii2-client
//! (python3 with tests/interop/requirements.txt: without them this fails).
//! Without `--no-ui` the demo ends by serving Southland's web UI over its
//! cases, the relay and the witness running, until SIGTERM stops it all.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

#[test]
fn demo_runs_and_leaves_everything_in_its_folder() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["demo", "--no-ui", "--dir"])
        .arg(&dir)
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .env_remove("HOTLINE_PASSPHRASE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "INQUIRY",
        "STIX bundle",
        "ACK",
        "CLARIFICATION",
        "ANSWER in English (authentic) and Russian (translation)",
        "WARNING",
        "PING",
        "PONG",
        "The witness cosigned the checkpoint",
        "Both parties computed the same figures from the log.",
        "Alarms: 0",
        "cipher suite hotline-v2-xwing (post-quantum hybrid",
        "it creates channels for the two parties it admits",
        "DISCLOSURE REQUEST",
        "CONSENT",
        "verified offline: Valid",
    ] {
        assert!(
            text.contains(line),
            "{line:?} missing from the demo's output:\n{text}"
        );
    }
    for sub in [
        "northland/profile.json",
        "southland/archive.sqlite",
        "relay/relay.sqlite",
        "witness/witness.toml",
        "charter.json",
        "disclosure.json",
    ] {
        assert!(dir.join(sub).exists(), "{sub} missing");
    }
    // Anyone can check the disclosure offline: no relay, no profile.
    let v = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("verify")
        .arg(dir.join("disclosure.json"))
        .env("HOTLINE_LANG", "en")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "{out}");
    assert!(
        out.contains("Verdict: VALID") && out.contains("1 part(s) redacted"),
        "{out}"
    );
    // The answer's two texts, each with its tag and its standing.
    assert!(
        out.contains("[en, authentic]\n    | The C2 server")
            && out.contains("[ru, translation]\n    | Сервер управления"),
        "{out}"
    );
    // A second run into the same folder is refused.
    let again = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["demo", "--no-ui", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    demo_evidence_is_read_over_taxii(&dir);
}

/// The two indicators Northland attached to the demo's inquiry
/// (crates/cli/src/cmd_demo.rs, `INDICATORS`), as JSON.
fn demo_indicators() -> serde_json::Value {
    serde_json::json!([
        {
          "type": "indicator", "spec_version": "2.1",
          "id": "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
          "created": "2026-11-20T08:00:00.000Z", "modified": "2026-11-20T08:00:00.000Z",
          "name": "C2 server contacted from university research networks",
          "pattern": "[ipv4-addr:value = '198.51.100.23']", "pattern_type": "stix",
          "valid_from": "2026-11-20T08:00:00Z", "indicator_types": ["malicious-activity"]
        },
        {
          "type": "indicator", "spec_version": "2.1",
          "id": "indicator--1e9a7b3e-55a4-4f2a-8d8e-7b6b1c0f9d21",
          "created": "2026-11-20T08:00:00.000Z", "modified": "2026-11-20T08:00:00.000Z",
          "name": "Phishing domain used against research staff",
          "pattern": "[domain-name:value = 'grants-portal.example']", "pattern_type": "stix",
          "valid_from": "2026-11-20T08:00:00Z", "indicator_types": ["malicious-activity"]
        }
    ])
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `hotline taxii serve` on Southland's demo profile, with `extra` options:
/// the server and its base URL.
fn southland_taxii(dir: &std::path::Path, extra: &[&str]) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(dir.join("southland"))
        .args([
            "taxii",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--user",
            "cert",
        ])
        .args(extra)
        .env("HOTLINE_TAXII_PASSWORD", "demo taxii password")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("taxii listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    (Server(child), url)
}

/// What OASIS's taxii2-client reads in `received` (read_collection.py also
/// has stix2-validator and stix2 check every object).
fn read_received(url: &str) -> serde_json::Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/interop/taxii/read_collection.py"
    );
    let o = Command::new("python3")
        .args([script, url, "cert", "demo taxii password", "-", "received"])
        .output()
        .expect("python3 is needed (with tests/interop/requirements.txt installed)");
    assert!(
        o.status.success(),
        "read_collection.py failed (pip install -r tests/interop/requirements.txt if a module is missing)\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// After the demo, with the relay gone: the inquiry's indicators, sent
/// TLP:AMBER+STRICT, are withheld from Southland's tools by default, and
/// read unchanged once the member serves restricted objects of `received`.
fn demo_evidence_is_read_over_taxii(dir: &std::path::Path) {
    let (server, url) = southland_taxii(dir, &[]);
    assert_eq!(read_received(&url), serde_json::json!([]));
    drop(server);
    let (server, url) = southland_taxii(dir, &["--serve-restricted", "received"]);
    assert_eq!(read_received(&url), demo_indicators());
    drop(server);
}

/// Whether something listens on `addr`.
fn listening(addr: &str) -> bool {
    std::net::TcpStream::connect_timeout(
        &addr.parse().unwrap(),
        std::time::Duration::from_millis(500),
    )
    .is_ok()
}

#[test]
fn demo_serves_southlands_ui_with_its_cases_until_sigterm() {
    let d = tempfile::tempdir().unwrap();
    // Killed if the test fails.
    let mut demo = Server(
        Command::new(env!("CARGO_BIN_EXE_hotline"))
            .args(["demo", "--no-open", "--dir"])
            .arg(d.path().join("demo"))
            .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
            .env_remove("HOTLINE_PASSPHRASE")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let child = &mut demo.0;
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut relay, mut ui, mut login) = (None, None, None);
    let mut text = String::new();
    while login.is_none() {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the demo ended:\n{text}"
        );
        text.push_str(&line);
        let line = line.trim();
        if let Some(u) = line.strip_prefix("2. Relay listening on http://") {
            relay = Some(u.to_owned());
        } else if let Some(u) = line.strip_prefix("ui listening on http://") {
            ui = Some(u.trim_end_matches('/').to_owned());
        } else if let Some(u) = line.strip_prefix("open ") {
            login = Some(u.to_owned());
        }
    }
    let (relay, ui, login) = (relay.unwrap(), ui.unwrap(), login.unwrap());
    assert!(text.contains("Southland's web UI"), "{text}");
    assert!(
        login.starts_with(&format!("http://{ui}/login?token=")),
        "{login}"
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let r = agent.get(&login).call().unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let mut r = agent
        .get(format!("http://{ui}/"))
        .header("Cookie", &cookie)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let inbox = r.body_mut().read_to_string().unwrap();
    for title in [
        "Intrusions into university research networks",
        "Ransomware campaign against hospital networks",
    ] {
        assert!(
            inbox.contains(title),
            "{title} missing from the inbox:\n{inbox}"
        );
    }
    // The relay the UI syncs with still runs.
    assert!(listening(&relay), "the relay at {relay}");
    // SIGTERM stops the UI, the relay and the witness, cleanly.
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let t = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < std::time::Duration::from_secs(30),
            "the demo did not stop"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
    assert!(!listening(&ui), "the UI still answers");
    assert!(!listening(&relay), "the relay still runs");
}
