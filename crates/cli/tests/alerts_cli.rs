//! Alerts out of band through the real binaries: `hotline watch` raises an
//! alert for a warning, an inquiry's deadline and an alarm, and delivers it
//! to a real SMTP server (aiosmtpd, STARTTLS and AUTH required) and to a
//! webhook receiver that checks every signature with the Standard Webhooks
//! reference library; a receiver that is down is retried and never holds
//! up the sync. Needs python3 with tests/interop/requirements.txt (without
//! them these tests fail) and Debian's openssl for the certificates.

mod common;

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::cli::{PASS, hotline, north_and_south, ok};

/// Lines a child prints, as they come.
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Kills its child when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Receivers {
    _child: Killed,
    rx: Lines,
    smtp: u16,
    webhook: u16,
}

fn receivers(
    certs: &common::TestCerts,
    secret: &str,
    webhook_port: u16,
    fail_first: u32,
) -> Receivers {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/alerts/receivers.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args([
            "--cert",
            certs.cert.to_str().unwrap(),
            "--key",
            certs.key.to_str().unwrap(),
        ])
        .args(["--password", "mail password", "--webhook-secret", secret])
        .args([
            "--webhook-port",
            &webhook_port.to_string(),
            "--fail-first",
            &fail_first.to_string(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 with tests/interop/requirements.txt runs the receivers");
    let rx = lines(&mut child);
    let first: serde_json::Value = serde_json::from_str(
        &rx.recv_timeout(Duration::from_secs(30))
            .expect("the receivers say where they listen"),
    )
    .unwrap();
    let l = &first["listening"];
    Receivers {
        _child: Killed(child),
        rx: Lines::new(rx),
        smtp: l["smtp"].as_u64().unwrap() as u16,
        webhook: l["webhook"].as_u64().unwrap() as u16,
    }
}

fn private(p: &Path, text: &str) {
    std::fs::write(p, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn watch(profile: &Path) -> (Killed, Lines) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(profile)
        .args(["watch", "--json", "--interval", "600"])
        .env("HOTLINE_PASSPHRASE", PASS)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines(&mut child);
    let first: serde_json::Value =
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(30)).unwrap()).unwrap();
    assert_eq!(first["event"], "watching", "{first}");
    (Killed(child), Lines::new(rx))
}

/// What a child printed, kept: each wait looks at everything printed so
/// far, in order, then at what comes.
struct Lines {
    rx: mpsc::Receiver<String>,
    seen: Vec<serde_json::Value>,
}

impl Lines {
    fn new(rx: mpsc::Receiver<String>) -> Lines {
        Lines {
            rx,
            seen: Vec::new(),
        }
    }

    /// Waits up to `secs` for a line (as JSON) that `want` accepts.
    fn wait_for(
        &mut self,
        secs: u64,
        what: &str,
        mut want: impl FnMut(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        if let Some(v) = self.seen.iter().find(|v| want(v)) {
            return v.clone();
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(secs) {
            let Ok(line) = self.rx.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            let v: serde_json::Value =
                serde_json::from_str(&line).unwrap_or(serde_json::Value::String(line));
            self.seen.push(v.clone());
            if want(&v) {
                return v;
            }
        }
        let seen: Vec<String> = self.seen.iter().map(|v| v.to_string()).collect();
        panic!("no {what} within {secs} s; saw:\n{}", seen.join("\n"));
    }
}

fn new_secret(profile: &Path) -> String {
    let s = ok(hotline(profile, &["alerts", "new-secret"]))
        .trim()
        .to_owned();
    assert!(s.starts_with("whsec_") && s.len() > 40, "{s}");
    s
}

fn alerts_toml(profile: &Path, body: &str) -> PathBuf {
    let p = profile.join("alerts.toml");
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn a_warning_reaches_the_duty_officer_by_mail_and_webhook_within_seconds() {
    let d = tempfile::tempdir().unwrap();
    let relay = common::start(&d.path().join("relay"), "alerts", None);
    let (dirs, id) = north_and_south(d.path(), &relay);
    let south = &dirs[1];
    let certs_dir = d.path().join("certs");
    std::fs::create_dir_all(&certs_dir).unwrap();
    let certs = common::test_certs(&certs_dir);
    let secret = new_secret(south);
    private(&south.join("webhook-secret"), &format!("{secret}\n"));
    private(&south.join("smtp-password"), "mail password\n");
    let mut r = receivers(&certs, &secret, 0, 0);
    alerts_toml(
        south,
        &format!(
            r#"link = "http://127.0.0.1:8080"
before_deadline = "30d"

[[email]]
server = "127.0.0.1"
port = {smtp}
ca_file = "{ca}"
from = "Hotline <hotline@southland.example>"
to = ["duty@southland.example"]
username = "hotline"
password_file = "smtp-password"

[[webhook]]
url = "http://127.0.0.1:{hook}/hotline"
secret_file = "webhook-secret"
"#,
            smtp = r.smtp,
            hook = r.webhook,
            ca = certs.ca.display()
        ),
    );
    let check = ok(hotline(south, &["alerts", "check"]));
    assert!(
        check.contains("valid")
            && check.contains("target email:127.0.0.1:")
            && check.contains("target webhook:"),
        "{check}"
    );

    // `alerts test` reaches both, at once and outside the queue.
    let t = ok(hotline(south, &["alerts", "test"]));
    assert_eq!(t.matches(": delivered").count(), 2, "{t}");
    let m =
        r.rx.wait_for(10, "the test mail", |v| v["mail"].is_object());
    assert_eq!(m["mail"]["tls"], true, "{m}");
    assert_eq!(m["mail"]["auth"], true, "{m}");
    let w =
        r.rx.wait_for(10, "the test webhook", |v| v["webhook"]["answered"] == 200);
    assert_eq!(w["webhook"]["payload"]["data"]["what"], "test", "{w}");

    let (_watch, mut events) = watch(south);
    let title = "Ransomware staging on a shared host";
    ok(hotline(
        &dirs[0],
        &[
            "case",
            "open",
            "--kind",
            "warning",
            "--to",
            "southland",
            "--tlp",
            "TLP:AMBER",
            "--title",
            title,
            "--body",
            "Details follow.",
        ],
    ));
    // `case open` returns once the warning is sequenced and in a signed checkpoint.
    let sequenced = Instant::now();
    let mail = r.rx.wait_for(30, "the warning's mail", |v| {
        v["mail"]["subject"]
            .as_str()
            .is_some_and(|s| s.contains("warning in case"))
    });
    let mail_after = sequenced.elapsed();
    let hook = r.rx.wait_for(30, "the warning's webhook", |v| {
        v["webhook"]["payload"]["data"]["what"] == "warning"
    });
    let hook_after = sequenced.elapsed();
    eprintln!("warning sequenced → mail {mail_after:?}, webhook {hook_after:?}");
    assert!(mail_after < Duration::from_secs(15) && hook_after < Duration::from_secs(15));
    assert_eq!(mail["mail"]["tls"], true);
    assert_eq!(
        mail["mail"]["to"],
        serde_json::json!(["duty@southland.example"])
    );
    let body = mail["mail"]["body"].as_str().unwrap();
    let data = &hook["webhook"]["payload"]["data"];
    assert_eq!(data["channel"], id.as_str());
    assert_eq!(data["tlp"], "TLP:AMBER");
    let case = data["case"].as_str().unwrap();
    assert_eq!(data["link"], format!("http://127.0.0.1:8080/case/{case}"));
    assert!(
        data["deadline"].is_string(),
        "the warning's acknowledgement is due: {data}"
    );
    assert!(body.contains(case), "{body}");
    // TLP:AMBER: neither the title nor the body leaves the machine.
    for text in [body.to_string(), hook.to_string(), mail.to_string()] {
        assert!(
            !text.contains(title) && !text.contains("Details follow"),
            "{text}"
        );
    }
    // The watch says so too, and the archive keeps every delivery.
    events.wait_for(10, "alert-delivered", |v| v["event"] == "alert-delivered");
    // The warning owes an acknowledgement within 30 days: a deadline alert.
    let dl = r.rx.wait_for(30, "the deadline webhook", |v| {
        v["webhook"]["payload"]["data"]["what"] == "deadline"
    });
    assert_eq!(dl["webhook"]["payload"]["data"]["owed"], "ack", "{dl}");
    assert_eq!(dl["webhook"]["payload"]["data"]["case"], case, "{dl}");
    let dm = r.rx.wait_for(30, "the deadline mail", |v| {
        v["mail"]["subject"]
            .as_str()
            .is_some_and(|s| s.contains("ack due"))
    });
    assert!(!dm.to_string().contains(title), "{dm}");

    // The archive records each delivery just after the receiver has it.
    let start = Instant::now();
    loop {
        let list: serde_json::Value =
            serde_json::from_str(&ok(hotline(south, &["alerts", "list", "--json"]))).unwrap();
        let delivered: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["state"] == "delivered")
            .map(|d| {
                d["key"]
                    .as_str()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let count = |k: &str| delivered.iter().filter(|d| *d == k).count();
        if count("message") == 2 && count("deadline") == 2 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{list}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Northland's own warning alerts nobody at Northland: no alerts.toml there.
    assert!(!dirs[0].join("alerts.toml").exists());
    common::stop(relay);
}

#[test]
fn an_unreachable_webhook_is_retried_and_never_holds_up_the_sync() {
    let d = tempfile::tempdir().unwrap();
    let relay = common::start(&d.path().join("relay"), "alerts-down", None);
    let (dirs, _id) = north_and_south(d.path(), &relay);
    let south = &dirs[1];
    let secret = new_secret(south);
    private(&south.join("webhook-secret"), &secret);
    // A port nothing listens on (yet).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    alerts_toml(
        south,
        &format!(
            "events = [\"warning\"]\n[[webhook]]\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret_file = \"webhook-secret\"\n"
        ),
    );
    let o = hotline(south, &["alerts", "test"]);
    assert_eq!(o.status.code(), Some(1), "a test that reaches nobody fails");
    let (_watch, mut events) = watch(south);
    ok(hotline(
        &dirs[0],
        &[
            "case",
            "open",
            "--kind",
            "warning",
            "--to",
            "southland",
            "--title",
            "Wiper",
            "--body",
            "x",
        ],
    ));
    // The sync goes on: the message is shown while the delivery fails.
    events.wait_for(20, "the message", |v| {
        v["event"] == "message" && v["kind"] == "warning"
    });
    let f = events.wait_for(20, "alert-failed", |v| v["event"] == "alert-failed");
    assert!(f["retry_at"].is_u64(), "{f}");
    // The receiver comes up, answers 503 once, then takes it.
    let certs_dir = d.path().join("certs");
    std::fs::create_dir_all(&certs_dir).unwrap();
    let certs = common::test_certs(&certs_dir);
    let mut r = receivers(&certs, &secret, port, 1);
    assert_eq!(r.webhook, port);
    let first =
        r.rx.wait_for(40, "a retry", |v| v["webhook"]["answered"] == 503);
    let got =
        r.rx.wait_for(40, "the delivery", |v| v["webhook"]["answered"] == 200);
    // The same message id on every attempt, for a receiver to drop duplicates.
    assert_eq!(first["webhook"]["id"], got["webhook"]["id"]);
    assert_eq!(got["webhook"]["payload"]["data"]["what"], "warning");
    events.wait_for(10, "alert-delivered", |v| v["event"] == "alert-delivered");
    let list: serde_json::Value =
        serde_json::from_str(&ok(hotline(south, &["alerts", "list", "--json"]))).unwrap();
    let d0 = &list[0];
    assert_eq!(d0["state"], "delivered", "{list}");
    assert!(
        d0["attempts"].as_u64().unwrap() >= 3,
        "refused, 503, delivered: {list}"
    );
    common::stop(relay);
}
