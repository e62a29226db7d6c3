//! The security model and the escaping, through the router.

use std::sync::Arc;

use askama::Template as _;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use crate::Ui;
use crate::view;

pub(crate) const PORT: u16 = 9200;
pub(crate) const HOST: &str = "127.0.0.1:9200";
pub(crate) const HOSTILE: &str = r#"<script>alert(1)</script> "><img src=x onerror=alert(2)>"#;

pub(crate) fn ui() -> (tempfile::TempDir, Arc<Ui>) {
    let d = tempfile::tempdir().unwrap();
    let archive = Arc::new(hotline_client::archive::Archive::open(d.path()).unwrap());
    let keys = hotline_client::keyring::Keyring {
        current: hotline_core::keys::MemberKeys::generate(&mut rand_core::OsRng),
        retired: vec![],
    };
    (d, Arc::new(Ui::new(archive, keys, PORT)))
}

pub(crate) fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header(header::HOST, HOST)
        .body(Body::empty())
        .unwrap()
}

pub(crate) async fn send(ui: &Arc<Ui>, r: Request<Body>) -> Response<Body> {
    crate::router(ui.clone()).oneshot(r).await.unwrap()
}

pub(crate) async fn text(r: Response<Body>) -> String {
    String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// Logs in; returns the `Cookie` header value.
pub(crate) async fn login(ui: &Arc<Ui>) -> String {
    let r = send(ui, get(&format!("/login?token={}", ui.login_token()))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c = r.headers()[header::SET_COOKIE].to_str().unwrap();
    c.split(';').next().unwrap().to_owned()
}

pub(crate) fn with_cookie(mut r: Request<Body>, cookie: &str) -> Request<Body> {
    r.headers_mut()
        .insert(header::COOKIE, cookie.parse().unwrap());
    r
}

/// The CSRF token the inbox page's logout form carries.
pub(crate) async fn csrf(ui: &Arc<Ui>, cookie: &str) -> String {
    let page = text(send(ui, with_cookie(get("/"), cookie)).await).await;
    let at = page.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    page[at..at + 64].to_owned()
}

#[tokio::test]
async fn no_cookie_is_refused_with_a_page_saying_what_to_do() {
    let (_d, ui) = ui();
    for path in ["/", "/case/00", "/events", "/fragment/inbox", "/nothing"] {
        let r = send(&ui, get(path)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(text(r).await.contains("hotline ui"), "{path}");
    }
}

#[tokio::test]
async fn a_bad_token_is_refused_and_sets_no_cookie() {
    let (_d, ui) = ui();
    let mut wrong = ui.login_token().to_owned();
    wrong.replace_range(..1, if wrong.starts_with('0') { "1" } else { "0" });
    for q in ["/login", "/login?token=", &format!("/login?token={wrong}")] {
        let r = send(&ui, get(q)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{q}");
        assert!(r.headers().get(header::SET_COOKIE).is_none(), "{q}");
    }
    // A made-up cookie is no session either.
    let r = send(&ui, with_cookie(get("/"), &format!("hotline_ui={wrong}"))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_good_token_sets_a_strict_cookie_and_redirects() {
    let (_d, ui) = ui();
    let r = send(&ui, get(&format!("/login?token={}", ui.login_token()))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/");
    let c = r.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(c.starts_with("hotline_ui="), "{c}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(c.contains(attr), "{c}");
    }
    // The session id is not the token.
    assert!(!c.contains(ui.login_token()), "{c}");
    let cookie = c.split(';').next().unwrap().to_owned();
    let r = send(&ui, with_cookie(get("/"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(text(r).await.contains("<h1>Inbox</h1>"));
}

#[tokio::test]
async fn a_foreign_host_is_refused_even_with_a_session() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    for host in [
        "evil.example:9200",
        "127.0.0.1:9201",
        "127.0.0.1",
        "localhost.evil.example:9200",
    ] {
        let mut r = with_cookie(get("/"), &cookie);
        r.headers_mut().insert(header::HOST, host.parse().unwrap());
        let r = send(&ui, r).await;
        assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
    // Not even the login works under a foreign name.
    let mut r = get(&format!("/login?token={}", ui.login_token()));
    r.headers_mut()
        .insert(header::HOST, "rebound.example:9200".parse().unwrap());
    let r = send(&ui, r).await;
    assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST);
    assert!(r.headers().get(header::SET_COOKIE).is_none());
    // The loopback names are all accepted.
    for host in ["localhost:9200", "[::1]:9200"] {
        let mut r = with_cookie(get("/"), &cookie);
        r.headers_mut().insert(header::HOST, host.parse().unwrap());
        assert_eq!(send(&ui, r).await.status(), StatusCode::OK, "{host}");
    }
}

fn logout(cookie: &str, origin: Option<&str>, body: String) -> Request<Body> {
    let mut r = Request::post("/logout")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(o) = origin {
        r = r.header(header::ORIGIN, o);
    }
    with_cookie(r.body(Body::from(body)).unwrap(), cookie)
}

#[tokio::test]
async fn a_post_needs_our_origin_and_the_session_csrf_token() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let token = csrf(&ui, &cookie).await;
    let other = {
        let c2 = login(&ui).await;
        csrf(&ui, &c2).await
    };
    assert_ne!(token, other, "every session has its own token");
    let refused = [
        (None, format!("csrf={token}")),
        (Some("http://evil.example"), format!("csrf={token}")),
        (Some("http://127.0.0.1:9201"), format!("csrf={token}")),
        (Some("null"), format!("csrf={token}")),
        (Some("http://127.0.0.1:9200"), String::new()),
        (Some("http://127.0.0.1:9200"), "csrf=".into()),
        (Some("http://127.0.0.1:9200"), format!("csrf={other}")),
    ];
    for (origin, body) in refused {
        let r = send(&ui, logout(&cookie, origin, body.clone())).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{origin:?} {body}");
    }
    // Still logged in: none of those did anything.
    assert_eq!(
        send(&ui, with_cookie(get("/"), &cookie)).await.status(),
        StatusCode::OK
    );
    let r = send(
        &ui,
        logout(
            &cookie,
            Some("http://127.0.0.1:9200"),
            format!("csrf={token}"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        send(&ui, with_cookie(get("/"), &cookie)).await.status(),
        StatusCode::UNAUTHORIZED,
        "the session ended"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let mut foreign = get("/");
    foreign
        .headers_mut()
        .insert(header::HOST, "evil.example".parse().unwrap());
    let requests = [
        get("/"),
        get("/login?token=bad"),
        get("/static/style.css"),
        get("/static/live.js"),
        foreign,
        with_cookie(get("/"), &cookie),
        with_cookie(get("/fragment/inbox"), &cookie),
        with_cookie(get("/case/abc"), &cookie),
        with_cookie(get("/no/such/page"), &cookie),
        logout(&cookie, None, String::new()),
    ];
    for r in requests {
        let what = format!("{} {}", r.method(), r.uri());
        let r = send(&ui, r).await;
        let h = r.headers();
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            crate::security::CSP,
            "{what}"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin", "{what}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{what}");
        assert_eq!(h[header::CACHE_CONTROL], "no-store", "{what}");
    }
    for needed in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(crate::security::CSP.contains(needed), "{needed}");
    }
}

#[tokio::test]
async fn pages_have_no_inline_script_and_no_token() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let page = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(page.contains(r#"<script src="/static/htmx.min.js" defer></script>"#));
    assert!(page.contains(r#"<script src="/static/live.js" defer></script>"#));
    assert_eq!(page.matches("<script").count(), 2, "{page}");
    assert!(!page.contains(" on"), "no inline handlers: {page}");
    assert!(!page.contains(ui.login_token()));
    assert!(!page.contains(cookie.trim_start_matches("hotline_ui=")));
}

#[tokio::test]
async fn events_stream_once_logged_in() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let r = send(&ui, with_cookie(get("/events"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/event-stream");
}

fn hostile_row() -> view::Row {
    view::Row {
        id: "00".repeat(16),
        kind: "inquiry",
        parties: format!("{HOSTILE} → Southland"),
        title: HOSTILE.into(),
        tlp: "TLP:RED",
        tlp_class: "tlp-red",
        state: "open".into(),
        due: Some(view::Due {
            iso: "2026-12-02T04:20:00Z".into(),
            shown: "2026-12-02 04:20 UTC".into(),
            left: "OVERDUE by 5 min (acknowledge)".into(),
            overdue: true,
        }),
        needs_us: true,
        pending: false,
        action: Some("ack"),
        due_at: 0,
    }
}

pub(crate) fn assert_escaped(html: &str) {
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains(r#""><img"#), "{html}");
    assert!(
        html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)"),
        "shown as text: {html}"
    );
}

#[test]
fn inbox_rows_escape_titles_and_names_and_mark_overdue_in_text() {
    let tr = crate::i18n::Tr::english();
    let list = view::InboxList {
        tr: &tr,
        rows: vec![hostile_row()],
        notices: vec![],
        fragment: "/fragment/inbox".into(),
        more: None,
    };
    let html = list.render().unwrap();
    assert_escaped(&html);
    assert!(html.contains(r#"class="case needs-us overdue""#), "{html}");
    assert!(
        html.contains("OVERDUE by 5 min"),
        "not colour alone: {html}"
    );
    assert!(html.contains("needs us"), "{html}");
    assert!(
        html.contains(r#"<time datetime="2026-12-02T04:20:00Z">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<span class="tlp tlp-red">TLP:RED</span>"#),
        "{html}"
    );
}

#[test]
fn case_page_escapes_everything_untrusted() {
    let (_d, ui) = ui();
    let tr = ui.tr();
    let page = view::CasePage {
        chrome: view::Chrome {
            csrf: "c".into(),
            alarms: vec![format!("ALARM {HOSTILE}")],
            notices: vec![],
        },
        tr,
        title: HOSTILE.into(),
        kind: "inquiry",
        tlp: "TLP:AMBER",
        tlp_class: "tlp-amber",
        from_to: format!("from {HOSTILE} to Southland"),
        state: "open".into(),
        opened: None,
        ack_due: None,
        answer_due: None,
        deadlines: vec![view::PartyDeadline {
            party: HOSTILE.into(),
            ack: "missed".into(),
            ack_class: "missed",
            answer: "pending".into(),
            answer_class: "pending",
        }],
        entries: vec![view::Entry {
            index: 3,
            at: None,
            kind: "inquiry",
            party: HOSTILE.into(),
            title: HOSTILE.into(),
            body_html: crate::markdown::render(HOSTILE),
            texts: vec![view::TextView {
                lang: HOSTILE.into(),
                dir: "rtl",
                label: HOSTILE.into(),
                html: crate::markdown::render(HOSTILE),
            }],
            authenticity: Some(HOSTILE.into()),
            attachments: vec![(HOSTILE.into(), HOSTILE.into(), 5)],
            stix: Some(HOSTILE.into()),
            receipts: HOSTILE.into(),
        }],
        case_id: "00".repeat(16),
        replies: view::reply_forms(
            tr,
            Some(KeyId([2; 32])),
            &case(
                1,
                KeyId([1; 32]),
                KeyId([2; 32]),
                None,
                hotline_client::cases::State::Open,
            ),
        ),
    };
    let html = page.render().unwrap();
    assert_escaped(&html);
    assert!(html.contains(r#"<div class="alarm" role="alert">"#));
    // The acknowledgement form carries the session's CSRF token.
    assert!(
        html.contains(r#"<input type="hidden" name="csrf" value="c">"#),
        "{html}"
    );
    assert!(html.contains(r#"<label for="ack-body">"#), "{html}");
    // Every reply that applies has its labelled form; only the
    // acknowledgement may go without a body.
    for a in ["ack", "interim", "answer", "clarify", "close"] {
        assert!(
            html.contains(&format!(r#"action="/case/{}/{a}""#, "00".repeat(16))),
            "{a}: {html}"
        );
        assert!(
            html.contains(&format!(r#"<label for="{a}-body">"#)),
            "{html}"
        );
    }
    assert!(
        !html.contains("/reopen"),
        "an open case is not reopened: {html}"
    );
    assert!(html.contains(r#"id="ack-body" name="body" rows="3" maxlength="16384"></textarea>"#));
    assert!(html.contains(
        r#"id="answer-body" name="body" rows="3" maxlength="16384" required></textarea>"#
    ));
}

#[test]
fn the_case_page_offers_only_the_replies_that_apply() {
    use hotline_client::cases::State;
    let tr = crate::i18n::Tr::english();
    let (north, south, other) = (KeyId([1; 32]), KeyId([2; 32]), KeyId([3; 32]));
    let paths = |me: Option<KeyId>, c: &hotline_client::cases::Case| -> Vec<&'static str> {
        view::reply_forms(&tr, me, c)
            .iter()
            .map(|f| f.path)
            .collect()
    };
    let mut c = case(1, north, south, Some(10), State::Open);
    assert_eq!(
        paths(Some(south), &c),
        ["ack", "interim", "answer", "clarify", "close"]
    );
    assert_eq!(paths(Some(north), &c), ["clarify", "close"]);
    assert!(paths(Some(other), &c).is_empty(), "not a party of the case");
    assert!(paths(None, &c).is_empty(), "not in the roster");
    c.acks.insert(south, Some(5));
    c.answers.insert(south, Some(6));
    c.state = State::Answered;
    assert_eq!(paths(Some(south), &c), ["clarify", "close"]);
    c.state = State::Closed;
    assert_eq!(paths(Some(south), &c), ["reopen"]);
    assert_eq!(paths(Some(north), &c), ["reopen"]);
}

fn post_ack(cookie: &str, origin: Option<&str>, body: String) -> Request<Body> {
    post_reply("ack", cookie, origin, body)
}

fn post_reply(action: &str, cookie: &str, origin: Option<&str>, body: String) -> Request<Body> {
    let mut r = Request::post(format!("/case/{}/{action}", "00".repeat(16)))
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(o) = origin {
        r = r.header(header::ORIGIN, o);
    }
    with_cookie(r.body(Body::from(body)).unwrap(), cookie)
}

#[tokio::test]
async fn the_acknowledge_action_is_behind_origin_and_csrf() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let token = csrf(&ui, &cookie).await;
    let r = send(&ui, post_ack(&cookie, None, format!("csrf={token}"))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(
        &ui,
        post_ack(&cookie, Some("http://127.0.0.1:9200"), "body=x".into()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Past the checks: there is no such case in an empty archive.
    let r = send(
        &ui,
        post_ack(
            &cookie,
            Some("http://127.0.0.1:9200"),
            format!("csrf={token}&body=x"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // And GET is no way to act.
    let r = send(
        &ui,
        with_cookie(
            get(&format!("/case/{}/ack?csrf={token}", "00".repeat(16))),
            &cookie,
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn every_reply_action_is_behind_origin_and_csrf() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let token = csrf(&ui, &cookie).await;
    let ours = Some("http://127.0.0.1:9200");
    for a in ["ack", "interim", "answer", "clarify", "close", "reopen"] {
        let form = format!("csrf={token}&body=x");
        // No Origin, another Origin, no or a wrong form token: refused.
        let r = send(&ui, post_reply(a, &cookie, None, form.clone())).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{a}");
        let r = send(
            &ui,
            post_reply(a, &cookie, Some("http://evil.example"), form.clone()),
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{a}");
        let r = send(&ui, post_reply(a, &cookie, ours, "body=x".into())).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{a}");
        let r = send(
            &ui,
            post_reply(a, &cookie, ours, format!("csrf={}&body=x", "0".repeat(64))),
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{a}");
        // Past the checks: no such case in an empty archive.
        let r = send(&ui, post_reply(a, &cookie, ours, form)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{a}");
        // A body beyond the limit is refused before anything is looked up.
        let long = format!(
            "csrf={token}&body={}",
            "x".repeat(crate::actions::MAX_BODY + 1)
        );
        let r = send(&ui, post_reply(a, &cookie, ours, long)).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{a}");
    }
    // No such action.
    let r = send(
        &ui,
        post_reply("delete", &cookie, ours, format!("csrf={token}&body=x")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[test]
fn every_string_a_template_uses_is_in_the_resource() {
    let tr = crate::i18n::Tr::english();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut ids = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let s = std::fs::read_to_string(e.unwrap().path()).unwrap();
        for part in s.split("tr.t(\"").skip(1) {
            ids.push(part.split('"').next().unwrap().to_owned());
        }
    }
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    for e in std::fs::read_dir(src).unwrap() {
        let s = std::fs::read_to_string(e.unwrap().path()).unwrap();
        for pat in ["t(\"", "args(\"", "\"error-", "\"notice-", "\"case-"] {
            for part in s.split(pat).skip(1) {
                let id = part.split('"').next().unwrap();
                let id = match pat.strip_prefix('"') {
                    Some(prefix) => format!("{prefix}{id}"),
                    None => id.to_owned(),
                };
                if id.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    && id.contains('-')
                    && !id.ends_with('-')
                {
                    ids.push(id);
                }
            }
        }
    }
    for s in ["open", "acknowledged", "answered", "closed"] {
        ids.push(format!("state-{s}"));
    }
    for a in crate::actions::REPLIES {
        for part in ["legend", "body", "submit", "not-owed"] {
            ids.push(format!("action-{}-{part}", a.path));
        }
    }
    assert!(ids.len() > 30, "{ids:?}");
    for id in ids {
        assert!(tr.has(&id), "{id} is not in ui.ftl");
    }
}

/// A channel of Northland and Southland (us), with the given cases.
pub(crate) fn channel_of(
    cases: Vec<hotline_client::cases::Case>,
    north: KeyId,
    south: KeyId,
) -> view::ChannelView {
    use hotline_core::charter::{Charter, CharterParty, DisclosureRule, RelayInfo};
    let party = |id: KeyId, short: &str| CharterParty {
        id,
        name: short.into(),
        short: short.into(),
        key: String::new(),
    };
    view::ChannelView {
        id: hotline_core::ids::ChannelId([9; 16]),
        charter: Charter {
            v: 1,
            title: "t".into(),
            nonce: "00".repeat(16),
            created: "2026-11-23T00:00:00Z".into(),
            parties: vec![party(north, "northland"), party(south, "southland")],
            relay: RelayInfo {
                url: "http://127.0.0.1".into(),
                key: String::new(),
            },
            witnesses: vec![],
            witness_quorum: 0,
            deadlines: Default::default(),
            disclosure: DisclosureRule::Unanimous,
            default_tlp: hotline_core::message::Tlp::Amber,
            retention_days: 1,
            suite: "hotline-v1".into(),
        },
        me: Some(south),
        cases: cases.into(),
        msgs: Vec::new().into(),
    }
}

use hotline_core::keys::KeyId;

pub(crate) fn case(
    n: u8,
    opener: KeyId,
    to: KeyId,
    ack_due: Option<u64>,
    state: hotline_client::cases::State,
) -> hotline_client::cases::Case {
    hotline_client::cases::Case {
        id: hotline_core::ids::MessageId([n; 16]),
        kind: hotline_core::message::Kind::Inquiry,
        title: format!("case {n}"),
        opener,
        to: vec![to],
        opened_at: Some(1),
        ack_due,
        answer_due: None,
        ack_within: ack_due.map(|_| 3600),
        answer_within: None,
        acks: Default::default(),
        answers: Default::default(),
        state,
        timeline: vec![],
    }
}

#[test]
fn the_inbox_puts_what_is_due_first_and_marks_what_needs_us() {
    use hotline_client::cases::State;
    let (_d, ui) = ui();
    let (north, south) = (KeyId([1; 32]), KeyId([2; 32]));
    let t = view::now();
    let ch = channel_of(
        vec![
            case(1, south, north, Some(t + 1_000), State::Open),
            case(2, north, south, None, State::Closed),
            case(3, north, south, Some(t + 100), State::Open),
            case(4, north, south, Some(t.saturating_sub(600)), State::Open),
        ],
        north,
        south,
    );
    let titles = |f: &view::Filter| -> Vec<String> {
        view::rows(&ui, std::slice::from_ref(&ch), f)
            .into_iter()
            .map(|r| r.title)
            .collect()
    };
    assert_eq!(
        titles(&view::Filter::default()),
        ["case 4", "case 3", "case 1", "case 2"]
    );
    let rows = view::rows(&ui, std::slice::from_ref(&ch), &view::Filter::default());
    let overdue = rows[0].due.as_ref().unwrap();
    assert!(
        overdue.overdue && overdue.left.starts_with("OVERDUE by 10 min"),
        "{}",
        overdue.left
    );
    assert!(rows[0].needs_us && rows[1].needs_us, "addressed to us");
    assert!(!rows[2].needs_us, "Northland owes case 1's acknowledgement");
    assert!(
        rows[1]
            .due
            .as_ref()
            .unwrap()
            .left
            .ends_with("left to acknowledge")
    );
    assert!(rows[3].due.is_none());
    assert_eq!(rows[2].parties, "southland → northland");
    // Filters.
    let f = |kind: &str, party: &str, state: &str| view::Filter {
        kind: Some(kind.into()),
        party: Some(party.into()),
        state: Some(state.into()),
    };
    assert_eq!(titles(&f("", "", "closed")), ["case 2"]);
    assert_eq!(
        titles(&f("inquiry", "", "open")),
        ["case 4", "case 3", "case 1"]
    );
    assert!(titles(&f("warning", "", "")).is_empty());
    assert_eq!(titles(&f("", "nobody", "")), Vec::<String>::new());
    assert_eq!(titles(&f("", "northland", "")).len(), 4);

    // An inquiry to us that the relay has not dated yet needs us all the
    // same; its due time is said to be unknown, not absent.
    let mut undated = case(5, north, south, None, State::Open);
    (undated.opened_at, undated.ack_within) = (None, Some(3600));
    let ch = channel_of(vec![undated], north, south);
    let rows = view::rows(&ui, std::slice::from_ref(&ch), &view::Filter::default());
    assert!(rows[0].needs_us && rows[0].pending && rows[0].due.is_none());
    assert_eq!(rows[0].action, Some("ack"));
}

#[test]
fn stix_evidence_is_summed_up_by_count_and_validity() {
    let tr = crate::i18n::Tr::english();
    let valid = br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}"#;
    assert_eq!(
        view::stix_summary(&tr, valid),
        "STIX evidence: valid STIX 2.1, 1 object(s), 0 warning(s)"
    );
    let s = view::stix_summary(&tr, br#"{"type":"bundle","objects":[{"type":"<b>"}]}"#);
    assert!(s.starts_with("STIX evidence: NOT valid STIX 2.1 ("), "{s}");
}

fn post_compose(cookie: &str, origin: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut r = Request::post("/compose")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(o) = origin {
        r = r.header(header::ORIGIN, o);
    }
    with_cookie(r.body(Body::from(body)).unwrap(), cookie)
}

#[tokio::test]
async fn compose_is_behind_the_checks_and_bounded() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let token = csrf(&ui, &cookie).await;
    let ours = Some("http://127.0.0.1:9200");
    // Every page links to Compose.
    let inbox = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(
        inbox.contains(r#"<a href="/compose">Compose</a>"#),
        "{inbox}"
    );
    let r = send(&ui, with_cookie(get("/compose"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = text(r).await;
    assert!(page.contains("follows no channel"), "{page}");
    let form = format!("csrf={token}&step=send&title=x&body=y").into_bytes();
    let r = send(&ui, post_compose(&cookie, None, form.clone())).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(
        &ui,
        post_compose(&cookie, ours, b"step=send&title=x".to_vec()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Past the checks: nothing to send to in an empty archive.
    let r = send(&ui, post_compose(&cookie, ours, form)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A bundle of several MiB is taken; beyond 8 MiB, 413.
    let mut big = format!("csrf={token}&step=check&stix=").into_bytes();
    big.resize(3 * 1024 * 1024, b'a');
    let r = send(&ui, post_compose(&cookie, ours, big.clone())).await;
    assert_eq!(r.status(), StatusCode::OK);
    big.resize(crate::security::MAX_COMPOSE + 1, b'a');
    let r = send(&ui, post_compose(&cookie, ours, big)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Other forms stay at 64 KiB.
    let mut big = format!("csrf={token}&body=").into_bytes();
    big.resize(65 * 1024, b'a');
    let r = send(
        &ui,
        post_reply("ack", &cookie, ours, String::from_utf8(big).unwrap()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn the_compose_preview_escapes_title_body_and_stix_messages() {
    let (_d, ui) = ui();
    let c = |v: &str| crate::compose::Choice {
        value: HOSTILE.into(),
        label: v.into(),
        on: true,
    };
    let page = crate::compose::ComposePage {
        chrome: view::Chrome {
            csrf: "c".into(),
            alarms: vec![],
            notices: vec![],
        },
        tr: ui.tr(),
        title: "Compose".into(),
        channels: vec![c(HOSTILE)],
        kinds: vec![c("inquiry")],
        parties: vec![c(HOSTILE)],
        norms: vec![c("13h")],
        tlps: vec![c("TLP:AMBER")],
        drafts: vec![c(HOSTILE)],
        authentics: vec![c(HOSTILE)],
        form: crate::compose::Form {
            title: HOSTILE.into(),
            body: HOSTILE.into(),
            lang: HOSTILE.into(),
            body2: HOSTILE.into(),
            lang2: HOSTILE.into(),
            stix: HOSTILE.into(),
            ..Default::default()
        },
        errors: vec![HOSTILE.into()],
        stix: vec![HOSTILE.into()],
        preview: Some(crate::markdown::render(HOSTILE)),
    };
    let html = page.render().unwrap();
    assert_escaped(&html);
    assert!(html.contains(r#"<label for="c-title">"#), "{html}");
    assert!(html.contains(r#"<input type="hidden" name="csrf" value="c">"#));
    assert!(html.contains(r#"name="step" value="check""#), "{html}");
}
