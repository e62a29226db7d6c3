//! Running the real `hotline` binary on profiles, and setting up a channel
//! among parties by file exchange.

use std::path::Path;
use std::process::{Command, Output};

use super::Relay;

pub const PASS: &str = "channel test passphrase";

pub fn hotline(profile: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(profile)
        .args(args)
        .env("HOTLINE_PASSPHRASE", PASS)
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        // The tests read English, whatever the machine's locale.
        .env("HOTLINE_LANG", "en")
        .output()
        .unwrap()
}

pub fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Profiles for `names` (short, name), a channel among them on `relay` set
/// up by file exchange, and every party's first roster. Returns the profile
/// folders, the channel id and the charter file.
pub fn set_up(
    d: &Path,
    relay: &Relay,
    names: &[(&str, &str)],
) -> (Vec<std::path::PathBuf>, String, std::path::PathBuf) {
    set_up_with(d, &relay.url, &relay.vkey, names, &[])
}

/// [`set_up`] with the charter naming the relay at `url` with key `vkey`
/// (a proxy in front of a relay, for instance).
pub fn set_up_at(
    d: &Path,
    url: &str,
    vkey: &str,
    names: &[(&str, &str)],
) -> (Vec<std::path::PathBuf>, String, std::path::PathBuf) {
    set_up_with(d, url, vkey, names, &[])
}

/// [`set_up_at`], with more arguments for `channel draft` (`--witness`, …).
pub fn set_up_with(
    d: &Path,
    url: &str,
    vkey: &str,
    names: &[(&str, &str)],
    draft: &[&str],
) -> (Vec<std::path::PathBuf>, String, std::path::PathBuf) {
    let dirs: Vec<_> = names.iter().map(|(s, _)| d.join(s)).collect();
    for ((short, name), dir) in names.iter().zip(&dirs) {
        ok(hotline(
            dir,
            &[
                "init",
                "--party-name",
                name,
                "--party-short",
                short,
                "--member-name",
                "Duty officer",
            ],
        ));
    }
    let charter = d.join("charter.json");
    let c = charter.to_str().unwrap();
    let mut args: Vec<String> = ["channel", "draft", "--title", "A hotline"]
        .map(String::from)
        .to_vec();
    for p in &dirs {
        args.push("--party".into());
        args.push(p.join("profile.json").display().to_string());
    }
    for a in ["--relay-url", url, "--relay-key", vkey, "--out", c] {
        args.push(a.into());
    }
    args.extend(draft.iter().map(|a| a.to_string()));
    ok(hotline(
        &dirs[0],
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    for dir in &dirs {
        ok(hotline(dir, &["channel", "sign", c]));
    }
    let reg = ok(hotline(&dirs[0], &["channel", "register", c]));
    let id = reg.split_whitespace().nth(1).unwrap().to_owned();
    for dir in &dirs[1..] {
        ok(hotline(dir, &["channel", "join", c]));
    }
    for dir in &dirs {
        ok(hotline(dir, &["roster", "publish", "--channel", &id]));
    }
    (dirs, id, charter)
}

/// Northland and Southland, each a profile, in one channel on `relay`
/// ([`set_up`]): the profile folders and the channel id.
pub fn north_and_south(d: &Path, relay: &Relay) -> (Vec<std::path::PathBuf>, String) {
    let (dirs, id, _) = set_up(
        d,
        relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    (dirs, id)
}

pub fn signing_id(profile: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&ok(hotline(profile, &["key", "show", "--json"]))).unwrap();
    v["member"]["signing_key_id"].as_str().unwrap().to_owned()
}
