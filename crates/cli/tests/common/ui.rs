//! Running the real `hotline ui` on a profile: the address it listens on
//! and the login address it prints.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::cli::PASS;

/// A running `hotline ui --no-open`, killed when dropped.
pub struct Ui {
    pub child: Child,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base: String,
    /// The printed `…/login?token=…` address.
    pub login: String,
}

impl Drop for Ui {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `hotline --profile PROFILE ui --no-open --listen 127.0.0.1:0` and
/// reads its two first lines.
pub fn ui_serve(profile: &Path) -> Ui {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(profile)
        .args(["ui", "--no-open", "--listen", "127.0.0.1:0"])
        .env("HOTLINE_PASSPHRASE", PASS)
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("ui listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .trim_end_matches('/')
        .to_owned();
    assert!(!base.ends_with(":0"), "the real port: {base}");
    line.clear();
    out.read_line(&mut line).unwrap();
    let login = line
        .trim()
        .strip_prefix("open ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    assert!(
        login.starts_with(&format!("{base}/login?token=")),
        "{login}"
    );
    Ui { child, base, login }
}

/// A logged-in `hotline ui`: the running server, its session cookie and
/// the form token of that session.
pub struct Session {
    pub server: Ui,
    pub cookie: String,
    pub csrf: String,
}

/// `hotline ui` on `profile`, logged in with the printed address; the form
/// token read from the page at `path` (any page with a form).
pub fn logged_in(profile: &Path, path: &str) -> Session {
    let server = ui_serve(profile);
    let cookie = login_cookie(&server.login);
    let mut s = Session {
        server,
        cookie,
        csrf: String::new(),
    };
    let (_, page) = s.get(path);
    let at = page.find(r#"name="csrf" value=""#).unwrap() + 19;
    s.csrf = page[at..at + 64].to_owned();
    s
}

impl Session {
    /// `GET path` with the session: the status and the body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let mut r = agent()
            .get(format!("{}{path}", self.server.base))
            .header("Cookie", &self.cookie)
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }

    /// `GET path` with the session and `Accept-Language: lang`: the body
    /// of a 200 answer.
    pub fn get_lang(&self, path: &str, lang: &str) -> String {
        let mut r = agent()
            .get(format!("{}{path}", self.server.base))
            .header("Cookie", &self.cookie)
            .header("Accept-Language", lang)
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.body_mut().read_to_string().unwrap()
    }
}

/// Logs in with the printed `login` address (303 to the inbox): the
/// session cookie it sets, as `name=value`.
pub fn login_cookie(login: &str) -> String {
    let r = agent().get(login).call().unwrap();
    assert_eq!(r.status().as_u16(), 303);
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// An HTTP client that returns every status as it is and follows no
/// redirect (the tests look at 303s themselves).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// `application/x-www-form-urlencoded` encoding of a value.
pub fn enc(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Opens an inquiry from `from` to Southland with the CLI; the case id.
pub fn open_inquiry(from: &Path, title: &str, body: &str) -> String {
    let out = super::cli::ok(super::cli::hotline(
        from,
        &[
            "case",
            "open",
            "--kind",
            "inquiry",
            "--to",
            "southland",
            "--title",
            title,
            "--body",
            body,
        ],
    ));
    out.split_whitespace()
        .nth(3)
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned()
}
