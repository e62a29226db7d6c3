//! `hotline demo --no-ui` runs to completion and leaves its folder behind,
//! with the scenario visible in its output.

use std::process::Command;

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
        "ANSWER",
        "WARNING",
        "PING",
        "PONG",
        "The witness cosigned the checkpoint",
        "Both parties computed the same figures from the log.",
        "Alarms: 0",
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
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "{out}");
    assert!(
        out.contains("Verdict: VALID") && out.contains("1 part(s) redacted"),
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
}
