//! The Disclosure pages through the router and their templates: the forms
//! behind the Origin and CSRF checks, the escaping of what other parties
//! wrote, the forms shown for each standing, and the verify page's own
//! Content-Security-Policy.

use askama::Template as _;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hotline_core::ids::MessageId;

use crate::compose::Choice;
use crate::disclosure::{self as d, Form, ListPage, PartyAnswer, RequestPage, RequestRow};
use crate::tests::{HOST, HOSTILE, assert_escaped, csrf, get, login, send, text, ui, with_cookie};
use crate::view::Chrome;

const OURS: Option<&str> = Some("http://127.0.0.1:9200");

fn post(path: &str, cookie: &str, origin: Option<&str>, body: String) -> Request<Body> {
    let mut r = Request::post(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(o) = origin {
        r = r.header(header::ORIGIN, o);
    }
    with_cookie(r.body(Body::from(body)).unwrap(), cookie)
}

fn chrome() -> Chrome {
    Chrome {
        csrf: "c".into(),
        alarms: vec![],
        notices: vec![],
    }
}

#[tokio::test]
async fn every_page_links_to_disclosure_and_it_needs_a_session() {
    let (_d, ui) = ui();
    for path in ["/disclosure", "/disclosure/00", "/verify"] {
        assert_eq!(
            send(&ui, get(path)).await.status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    let cookie = login(&ui).await;
    let inbox = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(
        inbox.contains(r#"<a href="/disclosure">Disclosure</a>"#),
        "{inbox}"
    );
    let r = send(&ui, with_cookie(get("/disclosure"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[header::CONTENT_SECURITY_POLICY],
        crate::security::CSP
    );
    let page = text(r).await;
    assert!(page.contains("No disclosure request yet."), "{page}");
    assert!(page.contains("follows no channel"), "{page}");
    assert!(page.contains(r#"href="/verify""#), "{page}");
    // An unknown request, or no request id at all: 404.
    for path in [
        format!("/disclosure/{}", "ab".repeat(16)),
        "/disclosure/not-hex".into(),
    ] {
        let r = send(&ui, with_cookie(get(&path), &cookie)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn every_disclosure_post_is_behind_origin_and_csrf() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let token = csrf(&ui, &cookie).await;
    let id = "ab".repeat(16);
    let paths = [
        "/disclosure".to_owned(),
        format!("/disclosure/{id}/consent"),
        format!("/disclosure/{id}/refuse"),
        format!("/disclosure/{id}/export"),
    ];
    for p in &paths {
        let form = format!("csrf={token}&purpose=x&case={id}&reason=no");
        let refused = [
            (None, form.clone()),
            (Some("http://evil.example"), form.clone()),
            (Some("null"), form.clone()),
            (OURS, "purpose=x&reason=no".into()),
            (OURS, format!("csrf={}&purpose=x", "0".repeat(64))),
        ];
        for (origin, body) in refused {
            let r = send(&ui, post(p, &cookie, origin, body.clone())).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{p} {origin:?} {body}");
        }
        // And GET does not act.
        if p != "/disclosure" {
            let r = send(&ui, with_cookie(get(p), &cookie)).await;
            assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{p}");
        }
    }
    // Past the checks: no channel to send on (422, the form again with what
    // is wrong), no such request (404).
    let r = send(
        &ui,
        post(
            "/disclosure",
            &cookie,
            OURS,
            format!("csrf={token}&purpose=x&case={id}"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(r).await;
    assert!(page.contains("The request was not sent:"), "{page}");
    for p in &paths[1..] {
        let r = send(&ui, post(p, &cookie, OURS, format!("csrf={token}"))).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{p}");
    }
    // No such action.
    let r = send(
        &ui,
        post(
            &format!("/disclosure/{id}/delete"),
            &cookie,
            OURS,
            format!("csrf={token}"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A reason beyond the limit is refused before anything is looked up.
    let long = format!("csrf={token}&reason={}", "x".repeat(d::MAX_REASON + 1));
    let r = send(&ui, post(&paths[2], &cookie, OURS, long)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn the_request_form_is_checked_before_anything_is_looked_up() {
    let tr = crate::i18n::Tr::english();
    let id = "ab".repeat(16);
    let f = Form::parse(
        format!(
            "channel={}&case={id}&case={id}&purpose=why&redact=stix&parts=12%3A2%2C+13%3A3+body%3Aru",
            "00".repeat(16)
        )
        .as_bytes(),
    );
    assert_eq!(f.cases.len(), 2);
    let (_, cases, redact) = d::checked(&tr, &f).unwrap();
    assert_eq!(cases.len(), 1, "a case named twice is asked once");
    assert_eq!(redact, ["stix", "12:2", "13:3", "body:ru"]);
    assert_eq!(
        d::redaction_words(&tr, "body:ru"),
        "every message text in ru"
    );
    let ru = crate::i18n::Tr::of("ru").unwrap();
    assert_eq!(
        d::redaction_words(&ru, "body:ru"),
        "текст каждого сообщения на языке ru"
    );
    let bad = [
        ("channel=zz&case=ab&purpose=", 3),
        (
            &*format!("channel={}&purpose=x&parts=4%3A0", "00".repeat(16)),
            2,
        ),
        (
            &*format!(
                "channel={}&case={id}&purpose=x&parts=body%3Aрусский",
                "00".repeat(16)
            ),
            1,
        ),
        (
            &*format!(
                "channel={}&case={id}&purpose=x&redact=everything",
                "00".repeat(16)
            ),
            1,
        ),
    ];
    for (form, n) in bad {
        let errors = d::checked(&tr, &Form::parse(form.as_bytes())).unwrap_err();
        assert_eq!(errors.len(), n, "{form}: {errors:?}");
    }
    let long = format!(
        "channel={}&case={id}&purpose={}",
        "00".repeat(16),
        "x".repeat(d::MAX_PURPOSE + 1)
    );
    let errors = d::checked(&tr, &Form::parse(long.as_bytes())).unwrap_err();
    assert!(errors[0].contains("too long"), "{errors:?}");
}

fn hostile_choice() -> Choice {
    Choice {
        value: HOSTILE.into(),
        label: HOSTILE.into(),
        on: true,
    }
}

#[test]
fn the_list_escapes_purposes_names_titles_and_errors() {
    let (_d, ui) = ui();
    let page = ListPage {
        chrome: chrome(),
        tr: ui.tr(),
        title: "Disclosure".into(),
        rows: vec![RequestRow {
            id: "ab".repeat(16),
            purpose: HOSTILE.into(),
            requester: HOSTILE.into(),
            cases: 1,
            status: format!("waiting for {HOSTILE}"),
            status_class: "pending",
            needs_us: true,
        }],
        channels: vec![hostile_choice()],
        groups: vec![d::CaseGroup {
            legend: HOSTILE.into(),
            cases: vec![hostile_choice()],
        }],
        redact: vec![hostile_choice()],
        form: Form {
            purpose: HOSTILE.into(),
            parts: HOSTILE.into(),
            ..Default::default()
        },
        errors: vec![HOSTILE.into()],
    };
    let html = page.render().unwrap();
    assert_escaped(&html);
    assert!(html.contains("needs our answer"), "{html}");
    for id in [
        r#"<form method="post" action="/disclosure" class="disclosure-request" id="d-request">"#,
        r#"<input type="hidden" name="csrf" value="c">"#,
        r#"<label for="d-channel">"#,
        r#"<label for="d-purpose">"#,
        r#"<label for="d-parts">"#,
        r#"id="d-request-submit""#,
        &format!(r#"href="/disclosure/{}""#, "ab".repeat(16)),
    ] {
        assert!(html.contains(id), "{id}: {html}");
    }
}

fn request_page(ui: &crate::Ui, can_answer: bool, complete: bool, refused: bool) -> String {
    RequestPage {
        chrome: chrome(),
        tr: ui.tr(),
        title: format!("Disclosure: {HOSTILE}"),
        id: "ab".repeat(16),
        channel: HOSTILE.into(),
        requester: HOSTILE.into(),
        purpose: HOSTILE.into(),
        cases: vec![
            ("cd".repeat(16), Some(HOSTILE.into())),
            ("ef".repeat(16), None),
        ],
        redactions: vec![HOSTILE.into()],
        parties: vec![
            PartyAnswer {
                party: HOSTILE.into(),
                answer: format!("refused (log entry 9): {HOSTILE}"),
                class: "refused",
            },
            PartyAnswer {
                party: "southland".into(),
                answer: "not answered yet".into(),
                class: "pending",
            },
        ],
        can_answer,
        complete,
        refused,
    }
    .render()
    .unwrap()
}

#[test]
fn the_request_page_escapes_and_offers_what_applies() {
    let (_d, ui) = ui();
    let id = "ab".repeat(16);
    let consent = format!(r#"action="/disclosure/{id}/consent""#);
    let refuse = format!(r#"action="/disclosure/{id}/refuse""#);
    let export = format!(r#"action="/disclosure/{id}/export""#);

    let html = request_page(&ui, true, false, false);
    assert_escaped(&html);
    assert!(html.contains(&consent) && html.contains(&refuse), "{html}");
    assert!(
        !html.contains(&export),
        "no export before every consent: {html}"
    );
    assert!(html.contains(r#"<label for="d-refuse-reason">"#), "{html}");
    assert!(html.contains(r#"id="d-consent""#) && html.contains(r#"id="d-refuse""#));
    assert_eq!(
        html.matches(r#"<input type="hidden" name="csrf" value="c">"#)
            .count(),
        3,
        "logout, consent, refuse: {html}"
    );
    assert!(html.contains(&format!(r#"href="/case/{}""#, "cd".repeat(16))));
    assert!(html.contains("not in this archive"), "{html}");
    assert!(html.contains(r#"href="/verify""#), "{html}");

    let html = request_page(&ui, false, true, false);
    assert!(
        !html.contains(&consent) && !html.contains(&refuse),
        "{html}"
    );
    assert!(
        html.contains(&export) && html.contains(r#"id="d-export""#),
        "{html}"
    );

    let html = request_page(&ui, false, false, true);
    assert!(!html.contains(&export), "{html}");
    assert!(html.contains("A party refused"), "{html}");
}

#[test]
fn the_bundle_name_is_the_request_id_alone() {
    let id = MessageId([0xab; 16]);
    assert_eq!(
        d::bundle_name(&id),
        format!("disclosure-{}.disclosure.json", "ab".repeat(16))
    );
}

#[tokio::test]
async fn the_verify_page_allows_exactly_its_inline_script_by_hash() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let r = send(&ui, with_cookie(get("/verify"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    let csp = h[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let body = text(r).await;
    // The file as committed, served as it is.
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/verify/verify.html"
    ))
    .unwrap();
    assert_eq!(body, file);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // Its one script and one style, hashed here independently of the code.
    assert_eq!(file.matches("<script").count(), 1);
    assert_eq!(file.matches("<style").count(), 1);
    let between = |open: &str, close: &str| {
        let a = file.split_once(open).unwrap().1;
        a.split_once(close).unwrap().0.to_owned()
    };
    let hash = |s: String| {
        use sha2::Digest as _;
        let d = sha2::Sha256::digest(s.as_bytes());
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, d)
    };
    let script = format!(
        "script-src 'sha256-{}';",
        hash(between("<script>", "</script>"))
    );
    let style = format!(
        "style-src 'sha256-{}';",
        hash(between("<style>", "</style>"))
    );
    assert!(csp.contains(&script), "{csp} lacks {script}");
    assert!(csp.contains(&style), "{csp} lacks {style}");
    for needed in [
        "default-src 'none'",
        "connect-src 'none'",
        "img-src 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(needed), "{needed}: {csp}");
    }
    // Nothing else: no 'unsafe-*', no 'self', no host, and exactly one
    // source for scripts and one for styles.
    for banned in ["unsafe", "'self'", "http", "data:", "*"] {
        assert!(!csp.contains(banned), "{banned}: {csp}");
    }
    assert_eq!(csp.matches("'sha256-").count(), 2, "{csp}");
    assert_eq!(csp, *d::VERIFY_CSP);
    // The other headers are the usual ones.
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "same-origin");
    // Every other page keeps the strict policy.
    let r = send(&ui, with_cookie(get("/disclosure"), &cookie)).await;
    assert_eq!(
        r.headers()[header::CONTENT_SECURITY_POLICY],
        crate::security::CSP
    );
    // A page that is not the verifier cannot borrow its policy.
    let r = send(&ui, with_cookie(get("/verify/x"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.headers()[header::CONTENT_SECURITY_POLICY],
        crate::security::CSP
    );
}

#[test]
fn the_inline_helper_takes_the_element_text_exactly() {
    assert_eq!(
        d::inline("<p><script>\na()\n</script>", "script"),
        Some("\na()\n")
    );
    assert_eq!(d::inline("<script src=x></script>", "script"), None);
    assert_eq!(d::inline("<script>", "script"), None);
    assert_eq!(
        d::hash_source(""),
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    );
}
