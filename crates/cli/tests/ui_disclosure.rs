//! The Disclosure pages of `hotline ui` with the real binary and relay, two
//! parties each with its own UI: Northland requests the disclosure of a
//! case whose title is markup by the form (refused without our Origin or
//! the CSRF token, 422 with what is wrong, nothing sent), with a hostile
//! purpose shown escaped; the export is refused (409) while Southland has
//! not consented; Southland sees the request appear, consents by its form
//! (once: 409 the second time); Northland's page then offers the export,
//! which downloads a bundle that `hotline verify` accepts. A second request
//! is refused by Southland with a reason, and Northland's page shows the
//! refusal (escaped) and refuses the export. `/verify` serves verify.html
//! with a policy that allows exactly its inline script by hash.

mod common;

use std::time::{Duration, Instant};

use common::cli::*;
use common::ui::{Session, agent, enc, logged_in, open_inquiry};
use common::*;

const HOSTILE: &str = r#"Breach <script>alert(1)</script> "><img src=x onerror=alert(2)>"#;
const HOSTILE_ESCAPED: &str = "Breach &#60;script&#62;alert(1)&#60;/script&#62; &#34;&#62;&#60;img src=x onerror=alert(2)&#62;";
/// How long the test waits for something the servers do by themselves
/// (the background sync): a bound, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(40);

/// A logged-in `hotline ui` (`common::ui::Session`).
type Ui = Session;

/// `hotline ui` on `profile`, logged in.
fn ui_serve(profile: &std::path::Path) -> Ui {
    logged_in(profile, "/disclosure")
}

struct Answer {
    status: u16,
    location: Option<String>,
    disposition: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Ui {
    fn post_with(&self, path: &str, origin: &str, csrf: bool, fields: &[(&str, &str)]) -> Answer {
        let mut body = if csrf {
            format!("csrf={}", self.csrf)
        } else {
            String::new()
        };
        for (k, v) in fields {
            body.push_str(&format!("&{k}={}", enc(v)));
        }
        let mut r = agent()
            .post(format!("{}{path}", self.server.base))
            .header("Cookie", &self.cookie)
            .header("Origin", origin)
            .content_type("application/x-www-form-urlencoded")
            .send(body)
            .unwrap();
        let h = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
        let (location, disposition, content_type) =
            (h("location"), h("content-disposition"), h("content-type"));
        Answer {
            status: r.status().as_u16(),
            location,
            disposition,
            content_type,
            body: r.body_mut().read_to_vec().unwrap(),
        }
    }

    fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_with(path, &self.server.base, true, fields)
    }

    /// Every POST form of the Disclosure pages refuses a request without
    /// our Origin or without the form token, and sends nothing.
    fn assert_guarded(&self, path: &str, fields: &[(&str, &str)]) {
        assert_eq!(
            self.post_with(path, &self.server.base, false, fields)
                .status,
            403
        );
        assert_eq!(
            self.post_with(path, "http://evil.example", true, fields)
                .status,
            403
        );
    }

    /// Waits until `path` shows `what` (the background sync brings it).
    fn wait_for(&self, path: &str, what: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (status, page) = self.get(path);
            if status == 200 && page.contains(what) {
                return page;
            }
            assert!(
                Instant::now() < deadline,
                "{path} did not show {what:?} within {PATIENCE:?}: {page}"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

#[test]
fn a_disclosure_is_requested_consented_exported_and_verified_by_the_forms() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (dirs, _, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);
    let case = open_inquiry(north, HOSTILE, "We see intrusions.");
    ok(hotline(south, &["case", "ack", &case]));
    ok(hotline(north, &["sync"]));
    let nui = ui_serve(north);
    let sui = ui_serve(south);

    // The form offers the case (its title escaped) and the redactions.
    let (status, page) = nui.get("/disclosure");
    assert_eq!(status, 200, "{page}");
    assert!(
        !page.contains("<script>alert") && !page.contains("<img"),
        "{page}"
    );
    assert!(page.contains(HOSTILE_ESCAPED), "{page}");
    assert!(
        page.contains(&format!(r#"id="d-case-{case}" name="case" value="{case}""#)),
        "{page}"
    );
    for r in ["body", "attachment", "stix"] {
        assert!(page.contains(&format!(r#"id="d-redact-{r}""#)), "{page}");
    }
    let channel = {
        let select = r#"<select id="d-channel" name="channel"><option value=""#;
        let at = page.find(select).unwrap() + select.len();
        page[at..at + 32].to_owned()
    };
    let request = |purpose: &str, parts: &str| {
        let fields = [
            ("channel", channel.as_str()),
            ("case", case.as_str()),
            ("purpose", purpose),
            ("redact", "attachment"),
            ("parts", parts),
        ];
        nui.post("/disclosure", &fields)
    };

    // Refused without our Origin or the token; 422 with what is wrong; none
    // of it sent (Southland has no request afterwards).
    nui.assert_guarded(
        "/disclosure",
        &[("channel", &channel), ("case", &case), ("purpose", "x")],
    );
    let a = request("", "");
    assert_eq!(a.status, 422, "{}", a.text());
    assert!(
        a.text().contains("Say what the disclosure is for."),
        "{}",
        a.text()
    );
    let a = request("Audit", "3:0");
    assert_eq!(a.status, 422, "{}", a.text());
    assert!(a.text().contains("never redacted"), "{}", a.text());
    let a = nui.post(
        "/disclosure",
        &[
            ("channel", &channel),
            ("case", &"ab".repeat(16)),
            ("purpose", "x"),
        ],
    );
    assert_eq!(a.status, 422, "{}", a.text());
    assert!(a.text().contains("no case"), "{}", a.text());

    // Sent: 303 to its page.
    let a = request(HOSTILE, "");
    assert_eq!(a.status, 303, "{}", a.text());
    let page_path = a.location.unwrap();
    let rid = page_path.strip_prefix("/disclosure/").unwrap().to_owned();
    assert_eq!(rid.len(), 32, "{rid}");
    let (status, page) = nui.get(&page_path);
    assert_eq!(status, 200, "{page}");
    assert!(
        !page.contains("<script>alert") && !page.contains("<img"),
        "{page}"
    );
    assert!(page.contains(HOSTILE_ESCAPED), "{page}");
    assert!(page.contains("every attachment"), "{page}");
    assert!(page.contains("not answered yet"), "{page}");
    assert!(
        !page.contains(r#"id="d-consent""#),
        "the requester does not answer: {page}"
    );
    assert!(!page.contains(r#"id="d-export""#), "no export yet: {page}");
    assert!(page.contains(r#"href="/verify""#), "{page}");
    // The export is refused before Southland consents, and so is a
    // requester's own consent.
    let export = format!("{page_path}/export");
    nui.assert_guarded(&export, &[]);
    let a = nui.post(&export, &[]);
    assert_eq!(a.status, 409, "{}", a.text());
    assert!(a.text().contains("waiting for southland"), "{}", a.text());
    assert_eq!(nui.post(&format!("{page_path}/consent"), &[]).status, 409);
    let (_, list) = nui.get("/disclosure");
    assert!(
        list.contains(&format!(r#"href="/disclosure/{rid}""#)),
        "{list}"
    );
    assert!(list.contains("waiting for southland"), "{list}");

    // Southland sees it appear, marked as needing its answer, and consents.
    let list = sui.wait_for("/disclosure", &format!(r#"href="/disclosure/{rid}""#));
    assert!(list.contains("needs our answer"), "{list}");
    assert_eq!(
        list.matches(r#"class="request"#).count(),
        1,
        "the refused forms sent nothing: {list}"
    );
    let (_, page) = sui.get(&page_path);
    assert!(
        page.contains(r#"id="d-consent""#) && page.contains(r#"id="d-refuse""#),
        "{page}"
    );
    let consent = format!("{page_path}/consent");
    sui.assert_guarded(&consent, &[]);
    let a = sui.post(&consent, &[]);
    assert_eq!(a.status, 303, "{}", a.text());
    assert_eq!(a.location.as_deref(), Some(page_path.as_str()));
    let (_, page) = sui.get(&page_path);
    assert!(page.contains("consented (log entry"), "{page}");
    assert!(!page.contains(r#"id="d-consent""#), "answered: {page}");
    assert_eq!(sui.post(&consent, &[]).status, 409, "not twice");
    assert_eq!(
        sui.post(&format!("{page_path}/refuse"), &[("reason", "changed")])
            .status,
        409,
        "nor refused after consenting"
    );

    // Northland's page offers the export once its archive has the consent;
    // the download is a bundle `hotline verify` accepts.
    let page = nui.wait_for(&page_path, r#"id="d-export""#);
    assert!(
        page.contains("consented by every party") || page.contains("consented (log entry"),
        "{page}"
    );
    let a = nui.post(&export, &[]);
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(
        a.disposition.as_deref(),
        Some(format!(r#"attachment; filename="disclosure-{rid}.disclosure.json""#).as_str())
    );
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
    let file = d.path().join("ui.disclosure.json");
    std::fs::write(&file, &a.body).unwrap();
    let out = hotline(north, &["verify", file.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("Verdict: VALID"), "{said}");
    assert!(said.contains("consented"), "{said}");
    let v: serde_json::Value = serde_json::from_str(&ok(hotline(
        north,
        &["verify", "--json", file.to_str().unwrap()],
    )))
    .unwrap();
    assert_eq!(v["verdict"], "valid", "{v}");
    assert_eq!(v["purpose"], HOSTILE, "the purpose as typed: {v}");

    // A second request, refused by Southland with a reason that is markup.
    let a = request("Second look", "");
    assert_eq!(a.status, 303, "{}", a.text());
    let second = a.location.unwrap();
    sui.wait_for(&second, r#"id="d-refuse""#);
    let refuse = format!("{second}/refuse");
    sui.assert_guarded(&refuse, &[("reason", HOSTILE)]);
    let a = sui.post(&refuse, &[("reason", HOSTILE)]);
    assert_eq!(a.status, 303, "{}", a.text());
    let page = nui.wait_for(&second, "refused (log entry");
    assert!(
        !page.contains("<script>alert") && !page.contains("<img"),
        "{page}"
    );
    assert!(
        page.contains(HOSTILE_ESCAPED),
        "the reason, escaped: {page}"
    );
    assert!(page.contains("A party refused"), "{page}");
    assert!(!page.contains(r#"id="d-export""#), "{page}");
    let a = nui.post(&format!("{second}/export"), &[]);
    assert_eq!(a.status, 409, "{}", a.text());
    let (_, list) = nui.get("/disclosure");
    assert!(list.contains("refused by southland"), "{list}");

    // The verifier page: the file as committed, its inline script allowed
    // by hash and nothing fetched.
    let r = agent()
        .get(format!("{}/verify", nui.server.base))
        .header("Cookie", &nui.cookie)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = r.into_body().read_to_string().unwrap();
    let html = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/verify/verify.html"
    ))
    .unwrap();
    assert_eq!(body, html);
    let script = html
        .split_once("<script>")
        .unwrap()
        .1
        .split_once("</script>")
        .unwrap()
        .0;
    let hash = {
        use sha2::Digest as _;
        base64_std(&sha2::Sha256::digest(script.as_bytes()))
    };
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}';")),
        "{csp}"
    );
    assert!(csp.contains("connect-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    drop((nui, sui));
}
