//! The web UI in a real browser (docs/ui.md, "Browser tests"): the parties
//! of one channel, each with the real `hotline ui`, driven by clicking in
//! Debian's Chromium through npm's playwright-core, with axe-core run in
//! every page and a screenshot of every page. This file sets up the relay,
//! the channel and the UIs, then runs a flow of `web/ui-tests/` with the
//! printed login addresses and fails unless it exits 0.
//!
//! The flow asks for what only this side can do on its stdout (a line
//! `@@hotline-ui-tests stop-relay`: the relay is stopped).
//!
//! Node, the npm packages (`npm ci` in web/ui-tests) and Chromium are
//! required: the test fails without them, unless
//! `HOTLINE_SKIP_BROWSER_TESTS=1` (a developer without them; CI never sets
//! it).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::cli::*;
use common::ui::{Ui, ui_serve};
use common::*;

/// The whole flow's bound: a hung browser fails the test, not CI's clock.
const FLOW_LIMIT: Duration = Duration::from_secs(150);

/// `web/ui-tests`, with Node, its packages and Chromium there; `None` when
/// the browser tests are skipped on purpose. Anything missing fails the
/// test with what to do.
fn browser_tests() -> Option<PathBuf> {
    if std::env::var("HOTLINE_SKIP_BROWSER_TESTS").as_deref() == Ok("1") {
        eprintln!("browser tests skipped: HOTLINE_SKIP_BROWSER_TESTS=1");
        return None;
    }
    let skip = "(or set HOTLINE_SKIP_BROWSER_TESTS=1 to skip the browser tests)";
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/ui-tests");
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "the browser tests need Node.js (`node`): apt-get install nodejs npm {skip}"
    );
    for package in ["playwright-core", "axe-core"] {
        assert!(
            dir.join("node_modules")
                .join(package)
                .join("package.json")
                .exists(),
            "the browser tests need npm's {package}: run `npm ci` in {} {skip}",
            dir.display()
        );
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "the browser tests need Chromium at {chromium}: apt-get install chromium {skip}"
    );
    Some(dir)
}

/// A fresh folder for the flow's screenshots, beside the build
/// (`target/ui-screenshots/FLOW`).
fn screenshot_dir(flow: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_BIN_EXE_hotline"))
        .parent()
        .and_then(Path::parent)
        .expect("the binary is in target/PROFILE/");
    let dir = target.join("ui-screenshots").join(flow);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `node web/ui-tests/FLOW.mjs` with the UIs' login addresses
/// (`HOTLINE_UI_A`, `_B`, `_C`, …), printing what it prints, doing what it
/// asks (`on_ask`), and asserts it exits 0 within [`FLOW_LIMIT`].
fn run_flow(dir: &Path, flow: &str, uis: &[&Ui], mut on_ask: impl FnMut(&str)) {
    let shots = screenshot_dir(flow);
    let mut cmd = Command::new("node");
    cmd.arg(dir.join(format!("{flow}.mjs")))
        .current_dir(dir)
        .env("HOTLINE_UI_SCREENSHOTS", &shots)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (ui, letter) in uis.iter().zip('A'..) {
        cmd.env(format!("HOTLINE_UI_{letter}"), &ui.login);
    }
    // The profiles' passphrase, for the idle lock's unlock form.
    cmd.env("HOTLINE_UI_PASSPHRASE", PASS);
    let mut child = cmd.spawn().expect("node runs");
    let (tx, rx) = mpsc::channel();
    let out = BufReader::new(child.stdout.take().unwrap());
    let err = BufReader::new(child.stderr.take().unwrap());
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            let _ = tx2.send(format!("stderr: {line}"));
        }
    });
    let deadline = Instant::now() + FLOW_LIMIT;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                println!("{line}");
                if let Some(what) = line.strip_prefix("@@hotline-ui-tests ") {
                    on_ask(what);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the browser flow {flow} did not finish within {FLOW_LIMIT:?}");
            }
        }
    }
    let status = child.wait().unwrap();
    println!("screenshots of {flow}: {}", shots.display());
    assert!(
        status.success(),
        "the browser flow {flow} failed ({status}); its output is above"
    );
}

/// `hotline case open` of `[kind, to, tlp]` with a title and a body.
fn open_case(profile: &Path, [kind, to, tlp]: [&str; 3], title: &str, body: &str) {
    ok(hotline(
        profile,
        &[
            "case", "open", "--kind", kind, "--to", to, "--tlp", tlp, "--title", title, "--body",
            body,
        ],
    ));
}

#[test]
fn two_parties_inquiry_acknowledged_answered_on_time_and_relay_outage_by_clicking() {
    let Some(dir) = browser_tests() else { return };
    let d = tempfile::tempdir().unwrap();
    let mut relay = Some(start(&d.path().join("relay"), &unique("relay"), None));
    let (dirs, _, _) = set_up(
        d.path(),
        relay.as_ref().unwrap(),
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    // Two cases already there, so the inbox shows more than the new one.
    let (north, south) = (&dirs[0], &dirs[1]);
    open_case(
        north,
        ["warning", "southland", "TLP:RED"],
        "Ransomware crew preparing attacks on hospitals",
        "Expect **phishing** with invoice lures this week.",
    );
    open_case(
        south,
        ["assistance", "northland", "TLP:GREEN"],
        "Help with a DDoS on the tax portal",
        "Traffic from your networks; can you filter it?",
    );
    let uis: Vec<Ui> = dirs.iter().map(|p| ui_serve(p)).collect();
    run_flow(
        &dir,
        "two_parties",
        &uis.iter().collect::<Vec<_>>(),
        |what| {
            assert_eq!(what, "stop-relay", "the flow asks for what this test does");
            stop(relay.take().expect("the relay is stopped once"));
        },
    );
    assert!(
        relay.is_none(),
        "the flow asked for the relay to be stopped"
    );
}

#[test]
fn three_parties_one_inquiry_to_two_appears_live_in_both_inboxes() {
    let Some(dir) = browser_tests() else { return };
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (dirs, _, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
            ("eastland", "Eastland CERT"),
        ],
    );
    let uis: Vec<Ui> = dirs.iter().map(|p| ui_serve(p)).collect();
    let mut raised = false;
    run_flow(
        &dir,
        "three_parties",
        &uis.iter().collect::<Vec<_>>(),
        |what| {
            // An alarm on record in Southland's archive, as sync records one
            // (`Archive::raise`), its detail hostile: the pages must show it
            // escaped, as a banner on every page until acknowledged.
            assert_eq!(what, "raise-alarm", "the flow asks for what this test does");
            let archive = hotline_client::archive::Archive::open(&dirs[1]).unwrap();
            let channel = archive.channels().unwrap()[0].id;
            archive
                .raise(
                    &channel,
                    "fork",
                    "two checkpoints of size 7 with different roots <img src=x onerror=alert(1)>",
                    &[b"evidence"],
                )
                .unwrap();
            raised = true;
        },
    );
    assert!(raised, "the flow asked for the alarm");
    drop(uis);
    stop(relay);
}
