//! `hotline init` and `hotline key` against the real binary.

use assert_cmd::Command;

fn hotline(profile: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("hotline").unwrap();
    c.arg("--profile")
        .arg(profile)
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .env_remove("HOTLINE_PASSPHRASE");
    c
}

#[test]
fn init_show_check() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("northland");
    let out = hotline(&p)
        .args([
            "init",
            "--party-name",
            "Northland CERT",
            "--party-short",
            "northland",
            "--member-name",
            "Duty officer",
            "--json",
        ])
        .env("HOTLINE_PASSPHRASE", "correct horse battery")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let out = hotline(&p)
        .args(["key", "show", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown, created);
    assert_eq!(shown["party"]["short"], "northland");
    assert_eq!(
        shown["member"]["signing_key_id"].as_str().unwrap().len(),
        64
    );

    let human = hotline(&p).args(["key", "show"]).output().unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(text.contains("Northland CERT") && text.contains("signing id"));

    let ok = hotline(&p)
        .args(["key", "check"])
        .env("HOTLINE_PASSPHRASE", "correct horse battery")
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let bad = hotline(&p)
        .args(["key", "check"])
        .env("HOTLINE_PASSPHRASE", "wrong horse battery")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let bad_out = String::from_utf8(bad.stdout).unwrap();
    assert!(bad_out.contains("wrong passphrase"));
    assert!(
        !bad_out.contains("wrong horse battery"),
        "the passphrase must never be printed"
    );
}

#[test]
fn refusals_are_clear() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("p");
    // No passphrase and no terminal.
    let out = hotline(&p)
        .args(["init", "--member-name", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HOTLINE_PASSPHRASE"));
    assert!(!p.join("profile.json").exists());
    // Weak passphrase.
    let out = hotline(&p)
        .args(["init", "--member-name", "x"])
        .env("HOTLINE_PASSPHRASE", "short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8"));
    // Create, then refuse to overwrite.
    hotline(&p)
        .args(["init", "--member-name", "x"])
        .env("HOTLINE_PASSPHRASE", "long enough pass")
        .assert()
        .success();
    let before = std::fs::read(p.join("member.key")).unwrap();
    let out = hotline(&p)
        .args(["init", "--member-name", "y"])
        .env("HOTLINE_PASSPHRASE", "long enough pass")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read(p.join("member.key")).unwrap(), before);
    // Missing profile.
    let out = hotline(&d.path().join("none"))
        .args(["key", "show"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hotline init"));
    // Nothing to create.
    let out = hotline(&d.path().join("q"))
        .args(["init"])
        .env("HOTLINE_PASSPHRASE", "long enough pass")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
