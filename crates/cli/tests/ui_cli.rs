//! `hotline ui` with the real binary: Northland opens an inquiry whose title
//! is markup; Southland's UI logs in with the printed token, shows the
//! inquiry escaped in its inbox and on its case page; a second case opened
//! while an event stream is open raises an event, after which the inbox
//! fragment lists it; Southland acknowledges and answers by the case page's
//! forms and Northland's CLI sees the case answered on time; Southland's
//! Compose page shows invalid STIX and an escaped preview without sending,
//! then sends a case with a STIX bundle and one from an archive draft (the
//! draft gone afterwards), both reaching Northland; with the relay
//! stopped every page says it is unreachable, still serves the archive, and
//! an action says it could not be sent.

mod common;

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::cli::*;
use common::ui::{agent, enc, login_cookie, open_inquiry, ui_serve};
use common::*;

const HOSTILE: &str = r#"Breach <script>alert(1)</script> "><img src=x onerror=alert(2)>"#;
/// How long the test waits for something the server does by itself: a
/// bound so that a broken server fails the test, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(30);

/// GET with the session cookie (if any): status and body.
fn page(url: &str, cookie: Option<&str>) -> (u16, String) {
    let mut r = agent().get(url);
    if let Some(c) = cookie {
        r = r.header("Cookie", c);
    }
    let mut r = r.call().unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

fn assert_escaped(html: &str) {
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("Breach &#60;script&#62;alert(1)&#60;/script&#62; &#34;&#62;&#60;img src=x onerror=alert(2)&#62;"),
        "{html}"
    );
}

/// The body of the cases Northland opens: markup the UI must not run.
const BODY: &str = "See <b>this</b> and [that](javascript:alert(3)).";

/// A valid STIX 2.1 bundle of one indicator.
const STIX: &str = r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}"#;

/// The events of `/events`, line by line, read in a thread.
fn subscribe(base: &str, cookie: &str) -> mpsc::Receiver<String> {
    let r = agent()
        .get(format!("{base}/events"))
        .header("Cookie", cookie)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (tx, rx) = mpsc::channel();
    let reader = BufReader::new(r.into_body().into_reader());
    std::thread::spawn(move || {
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (at most until `deadline`) for the next `changed` event.
fn next_change(rx: &mpsc::Receiver<String>, deadline: Instant) {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l == "event: changed" => return,
            Ok(_) => {}
            Err(e) => panic!("no event from /events within {PATIENCE:?}: {e}"),
        }
    }
}

#[test]
fn the_ui_shows_cases_escaped_and_live_and_says_when_the_relay_is_down() {
    let d = tempfile::tempdir().unwrap();
    let mut relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (dirs, _, _) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);

    // Off loopback it refuses to start.
    let o = hotline(south, &["ui", "--no-open", "--listen", "0.0.0.0:0"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("non-loopback") && err.contains("127.0.0.1"),
        "{err}"
    );

    let first = open_inquiry(north, HOSTILE, BODY);
    ok(hotline(south, &["sync"]));
    let ui = ui_serve(south);

    // Nothing without the token's session.
    let (status, body) = page(&format!("{}/", ui.base), None);
    assert_eq!(status, 401);
    assert!(body.contains("hotline ui"), "{body}");
    let (status, _) = page(&format!("{}/login?token=00", ui.base), None);
    assert_eq!(status, 401);

    let cookie = login_cookie(&ui.login);
    let events_cookie = cookie.clone();
    let cookie = Some(cookie.as_str());

    let (status, inbox) = page(&format!("{}/", ui.base), cookie);
    assert_eq!(status, 200, "{inbox}");
    assert_escaped(&inbox);
    assert!(
        inbox.contains(&format!(r#"href="/case/{first}""#)),
        "{inbox}"
    );
    assert!(inbox.contains("needs us"), "{inbox}");
    assert!(
        inbox.contains(&format!(r##"href="/case/{first}#act-ack""##)),
        "a case that needs us links to the owed form: {inbox}"
    );
    assert!(inbox.contains("TLP:"), "{inbox}");

    let (status, case) = page(&format!("{}/case/{first}", ui.base), cookie);
    assert_eq!(status, 200, "{case}");
    assert_escaped(&case);
    assert!(case.contains("See &lt;b&gt;this&lt;/b&gt;"), "{case}");
    assert!(!case.contains("javascript:"), "{case}");
    assert!(
        case.contains("Northland") || case.contains("northland"),
        "{case}"
    );

    // Acknowledge by the form: refused without the CSRF token, sent with it.
    assert!(
        case.contains(&format!(r#"action="/case/{first}/ack""#)),
        "{case}"
    );
    let at = case.find(r#"name="csrf" value=""#).unwrap() + 19;
    let token = &case[at..at + 64];
    let post = |action: &str, body: String| {
        agent()
            .post(format!("{}/case/{first}/{action}", ui.base))
            .header("Cookie", &events_cookie)
            .header("Origin", &ui.base)
            .content_type("application/x-www-form-urlencoded")
            .send(body)
            .unwrap()
            .status()
            .as_u16()
    };
    let ack = |body: String| post("ack", body);
    assert_eq!(ack("body=Seen".into()), 403);
    assert_eq!(
        ack(format!("csrf={token}&body=Seen+%3Cb%3Eby+us%3C%2Fb%3E")),
        303
    );
    let (_, case) = page(&format!("{}/case/{first}", ui.base), cookie);
    assert!(case.contains("Seen &lt;b&gt;by us&lt;/b&gt;"), "{case}");
    assert!(
        !case.contains(&format!(r#"action="/case/{first}/ack""#)),
        "acknowledged: {case}"
    );
    assert_eq!(ack(format!("csrf={token}")), 409, "not owed twice");
    // Northland sees it as the CLI sends it.
    let shown = ok(hotline(north, &["case", "show", &first]));
    assert!(
        shown.contains("ack") && shown.contains("Seen <b>by us</b>"),
        "{shown}"
    );

    // Answer by the form: a body is needed; then the case is answered, and
    // Northland's CLI sees it answered on time.
    assert!(
        case.contains(&format!(r#"action="/case/{first}/answer""#)),
        "{case}"
    );
    assert_eq!(post("answer", format!("csrf={token}&body=")), 422);
    assert_eq!(post("answer", "body=Done".into()), 403, "no CSRF token");
    assert_eq!(
        post(
            "answer",
            format!("csrf={token}&body=The+host+is+ours%3B+**cleaned**.")
        ),
        303
    );
    let (_, case) = page(&format!("{}/case/{first}", ui.base), cookie);
    assert!(case.contains("<strong>cleaned</strong>"), "{case}");
    assert!(
        !case.contains(&format!(r#"action="/case/{first}/answer""#)),
        "answered: {case}"
    );
    assert!(
        case.contains(&format!(r#"action="/case/{first}/close""#)),
        "{case}"
    );
    assert_eq!(
        post("answer", format!("csrf={token}&body=again")),
        409,
        "not answered twice"
    );
    let deadline = Instant::now() + PATIENCE;
    loop {
        let v: serde_json::Value =
            serde_json::from_str(&ok(hotline(north, &["case", "show", &first, "--json"]))).unwrap();
        assert_eq!(v["state"], "answered", "{v}");
        let at = v["answers"]
            .as_object()
            .and_then(|a| a.values().next())
            .cloned()
            .unwrap_or_else(|| panic!("{v}"));
        // Answered once dated by a time attestation; until then, not judged.
        if let Some(at) = at.as_u64() {
            let due = v["answer_due"].as_u64().unwrap_or_else(|| panic!("{v}"));
            assert!(at <= due, "answered on time: {v}");
            let tl = v["timeline"].as_array().unwrap();
            assert_eq!(tl.last().unwrap()["kind"], "answer", "{v}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the answer was not dated within {PATIENCE:?}: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Compose: our own party is not offered; a check shows the invalid STIX
    // and the preview escaped, and sends nothing; a valid case is sent and
    // reaches Northland's inbox.
    let (status, compose) = page(&format!("{}/compose", ui.base), cookie);
    assert_eq!(status, 200, "{compose}");
    assert!(compose.contains(r#"value="northland""#), "{compose}");
    assert!(
        !compose.contains(r#"name="to" value="southland""#),
        "{compose}"
    );
    let compose_post = |fields: &[(&str, &str)]| {
        let mut body = format!("csrf={token}");
        for (k, v) in fields {
            body.push_str(&format!("&{k}={}", enc(v)));
        }
        let mut r = agent()
            .post(format!("{}/compose", ui.base))
            .header("Cookie", &events_cookie)
            .header("Origin", &ui.base)
            .content_type("application/x-www-form-urlencoded")
            .send(body)
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap(),
            location,
        )
    };
    let bad = [
        ("kind", "inquiry"),
        ("to", "northland"),
        ("tlp", "TLP:GREEN"),
        ("title", HOSTILE),
        ("body", "Look at <b>this</b> **now**."),
        ("stix", r#"{"type":"bundle","objects":[{"type":"<b>"}]}"#),
    ];
    let (status, checked, _) = compose_post(&[&bad[..], &[("step", "check")]].concat());
    assert_eq!(status, 200, "{checked}");
    assert_escaped(&checked);
    assert!(checked.contains("not valid STIX 2.1"), "{checked}");
    assert!(
        checked.contains("Look at &lt;b&gt;this&lt;/b&gt; <strong>now</strong>."),
        "{checked}"
    );
    let (status, _, _) = compose_post(&[&bad[..], &[("step", "send")]].concat());
    assert_eq!(status, 422, "invalid STIX is not sent");
    let (status, body, location) = compose_post(&[
        ("kind", "inquiry"),
        ("to", "northland"),
        ("tlp", "TLP:GREEN"),
        ("norm", "13h"),
        ("title", "Composed in the UI"),
        ("body", "Please check **198.51.100.1**."),
        ("stix", STIX),
        ("step", "send"),
    ]);
    assert_eq!(status, 303, "{body}");
    let composed = location.unwrap().strip_prefix("/case/").unwrap().to_owned();
    let v: serde_json::Value =
        serde_json::from_str(&ok(hotline(north, &["inbox", "--json"]))).unwrap();
    let items = v["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["item"] == format!("inquiry case {composed}")
                && i["title"] == "Composed in the UI"
                && i["owed"] == "ack"),
        "{v}"
    );
    assert!(
        !items.iter().any(|i| i["title"]
            .as_str()
            .unwrap_or("")
            .contains("Breach <script>")),
        "the invalid case was not sent: {v}"
    );
    let shown = ok(hotline(north, &["case", "show", &composed]));
    assert!(shown.contains("STIX evidence: valid STIX 2.1"), "{shown}");

    // A draft (objects the archive holds, as the TAXII outbox or
    // `hotline evidence import` leave them) is offered and sent from
    // Compose; afterwards the draft is gone.
    {
        let archive = hotline_client::archive::Archive::open(south).unwrap();
        let ch = archive.channels().unwrap()[0].id;
        let obj = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--0b8f7a47-2f4e-4c1b-9a39-7d3f1f6c2a11","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.7']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}"#;
        archive
            .add_to_draft(&ch, "ui-draft", &[obj], "the test")
            .unwrap();
    }
    let listed = ok(hotline(south, &["evidence", "list", "--json"]));
    assert!(listed.contains("ui-draft"), "{listed}");
    let (_, compose) = page(&format!("{}/compose", ui.base), cookie);
    assert!(
        compose.contains(r#"<option value="ui-draft">"#),
        "{compose}"
    );
    let (status, body, location) = compose_post(&[
        ("kind", "warning"),
        ("to", "northland"),
        ("title", "From the draft"),
        ("body", "Block **203.0.113.7**."),
        ("draft", "ui-draft"),
        ("step", "send"),
    ]);
    assert_eq!(status, 303, "{body}");
    let from_draft = location.unwrap().strip_prefix("/case/").unwrap().to_owned();
    let listed = ok(hotline(south, &["evidence", "list", "--json"]));
    assert!(!listed.contains("ui-draft"), "the draft is gone: {listed}");
    let shown = ok(hotline(north, &["case", "show", &from_draft]));
    assert!(
        shown.contains("From the draft") && shown.contains("STIX evidence: valid STIX 2.1"),
        "{shown}"
    );

    // Live: an event once a second case is stored, then the fragment has it.
    let events = subscribe(&ui.base, &events_cookie);
    let second = open_inquiry(north, "Second case", BODY);
    let deadline = Instant::now() + PATIENCE;
    loop {
        next_change(&events, deadline);
        let (status, frag) = page(&format!("{}/fragment/inbox", ui.base), cookie);
        assert_eq!(status, 200);
        if frag.contains(&format!(r#"href="/case/{second}""#)) {
            assert!(frag.contains("Second case"));
            assert!(!frag.contains("<html"), "a fragment: {frag}");
            break;
        }
    }

    // The relay goes away: the notice, and the archive still served.
    halt(&mut relay);
    let deadline = Instant::now() + PATIENCE;
    loop {
        next_change(&events, deadline);
        let (status, inbox) = page(&format!("{}/", ui.base), cookie);
        assert_eq!(status, 200);
        if inbox.contains("relay unreachable: read-only, last verified checkpoint") {
            assert!(inbox.contains(&format!(r#"href="/case/{second}""#)));
            let (_, case) = page(&format!("{}/case/{first}", ui.base), cookie);
            assert!(case.contains("relay unreachable: read-only"), "{case}");
            // An action cannot be sent: a clear error, nothing sent.
            assert_eq!(
                post("clarify", format!("csrf={token}&body=Anything+else%3F")),
                503
            );
            break;
        }
    }
    drop(ui);
}
