//! The page chrome: the vendored htmx under the CSP, the live regions, the
//! dates, the keyboard shortcuts and their help page, the idle lock (with a
//! fake clock), and the sync loop's bookkeeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use askama::Template as _;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;

use crate::chrome::{Action, SHORTCUTS};
use crate::tests::{HOST, get, login, send, text, with_cookie};
use crate::{Ui, view};

fn template(name: &str) -> String {
    std::fs::read_to_string(format!("{}/templates/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn vendor(name: &str) -> serde_json::Value {
    let p = format!("{}/vendor/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[tokio::test]
async fn htmx_is_served_from_our_origin_as_vendored_and_pinned() {
    let (_d, ui) = crate::tests::ui();
    // Static, no data: served without a session, like the CSS.
    let r = send(&ui, get("/static/htmx.min.js")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        r.headers()[header::CONTENT_SECURITY_POLICY],
        crate::security::CSP
    );
    let body = text(r).await;
    assert_eq!(body, crate::chrome::HTMX);
    assert!(
        body.starts_with("var htmx=function(){"),
        "the minified htmx"
    );
    // Pinned exactly (no range), the lock file agreeing, the licence note
    // naming the same version.
    let pinned = vendor("package.json")["dependencies"]["htmx.org"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        pinned.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "{pinned}"
    );
    let lock = vendor("package-lock.json");
    assert_eq!(
        lock["packages"]["node_modules/htmx.org"]["version"], pinned,
        "package-lock.json"
    );
    assert!(
        lock["packages"]["node_modules/htmx.org"]["integrity"]
            .as_str()
            .unwrap()
            .starts_with("sha512-")
    );
    let note = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/htmx.LICENSE"))
        .unwrap();
    assert!(note.contains(&format!("htmx.org@{pinned}")), "{note}");
    assert!(note.contains("Zero-Clause BSD"));
}

#[tokio::test]
async fn htmx_is_configured_for_the_strict_csp_and_no_page_has_inline_script() {
    let (_d, ui) = crate::tests::ui();
    let cookie = login(&ui).await;
    // The policy stays strict: no eval, no inline script or style.
    for bad in [
        "unsafe-eval",
        "unsafe-inline",
        "unsafe-hashes",
        "http:",
        "*",
    ] {
        assert!(!crate::security::CSP.contains(bad), "{bad}");
    }
    for path in ["/", "/help", "/compose"] {
        let page = text(send(&ui, with_cookie(get(path), &cookie)).await).await;
        let at = page
            .find(r#"<meta name="htmx-config" content='"#)
            .unwrap_or_else(|| panic!("{path}: {page}"));
        let json = page[at + 34..].split('\'').next().unwrap();
        let config: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(config["allowEval"], false, "{path}");
        assert_eq!(config["allowScriptTags"], false, "{path}");
        assert_eq!(config["includeIndicatorStyles"], false, "{path}");
        // No snapshots of pages in the browser's localStorage.
        assert_eq!(config["historyEnabled"], false, "{path}");
        assert_eq!(config["historyCacheSize"], 0, "{path}");
        assert_eq!(config["selfRequestsOnly"], true, "{path}");
        // Only our two scripts, by address, each empty.
        let scripts: Vec<&str> = page.split("<script").skip(1).collect();
        assert_eq!(scripts.len(), 2, "{path}: {page}");
        assert!(scripts[0].starts_with(r#" src="/static/htmx.min.js" defer></script>"#));
        assert!(scripts[1].starts_with(r#" src="/static/live.js" defer></script>"#));
        // No inline handlers, no hx-on (it needs eval), no style attribute.
        for bad in [" onclick", " onload", " onerror", "hx-on", " style="] {
            assert!(!page.contains(bad), "{path}: {bad}");
        }
        assert!(page.contains(r#"<a href="/help">Help</a>"#), "{path}");
    }
}

#[test]
fn the_inbox_list_swaps_itself_on_the_changed_event() {
    let (_d, ui) = crate::tests::ui();
    let list = view::InboxList {
        tr: ui.tr(),
        rows: vec![],
        notices: vec![],
        fragment: "/fragment/inbox?kind=inquiry&party=x".into(),
        more: None,
    };
    let html = list.render().unwrap();
    assert!(
        html.contains(r#"hx-trigger="hotline-changed from:body" hx-swap="outerHTML""#),
        "{html}"
    );
    assert!(
        html.contains(r#"hx-get="/fragment/inbox?kind=inquiry&#38;party=x""#),
        "{html}"
    );
    // The case page's deadlines and timeline refresh from the page itself,
    // the reply forms (and what is typed in them) left alone.
    let case = template("case.html");
    let live = case.find(r#"<div id="live-case""#).unwrap();
    assert!(case[live..].starts_with(
        r##"<div id="live-case" hx-get="/case/{{ case_id }}" hx-select="#live-case" hx-trigger="hotline-changed from:body" hx-swap="outerHTML">"##
    ));
    assert!(case.find(r#"<ol class="timeline">"#).unwrap() > live);
    assert!(case.find("<form").unwrap() < live, "the forms stay outside");
    // Our script fires the event the attributes listen to, and reloads on
    // `locked`.
    let js = include_str!("../static/live.js");
    assert!(js.contains("dispatchEvent(new CustomEvent") && js.contains(r#""hotline-changed""#));
    assert!(js.contains(r#"addEventListener("locked""#));
    assert!(!js.contains("eval("));
    assert!(!js.contains("innerHTML"));
}

#[test]
fn every_date_is_utc_in_datetime_for_the_script_to_localise() {
    let (_d, ui) = crate::tests::ui();
    let due = view::due(
        ui.tr(),
        hotline_core::message::Kind::Ack,
        1_764_649_200,
        1_764_640_000,
    );
    assert_eq!(due.iso, "2025-12-02T04:20:00Z");
    assert_eq!(due.shown, "2025-12-02 04:20 UTC");
    // Every <time> of every template carries `datetime` (what the script
    // reads); its text (UTC) is the fallback and becomes the title.
    for t in ["inbox_list.html", "case.html"] {
        let s = template(t);
        assert!(s.contains("<time"), "{t}");
        for part in s.split("<time").skip(1) {
            assert!(part.starts_with(" datetime=\"{{"), "{t}: {part}");
        }
    }
    let js = include_str!("../static/live.js");
    assert!(js.contains(r#"querySelectorAll("time[datetime]")"#));
    assert!(js.contains("t.title = utc"));
}

#[test]
fn the_shortcut_table_is_consistent_and_every_target_exists() {
    let tr = crate::i18n::Tr::english();
    for (i, a) in SHORTCUTS.iter().enumerate() {
        assert!(tr.has(&format!("shortcut-{}", a.name)), "{}", a.name);
        for b in &SHORTCUTS[i + 1..] {
            // Neither is the other, nor a prefix of it (it could never fire).
            let n = a.keys.len().min(b.keys.len());
            assert_ne!(a.keys[..n], b.keys[..n], "{} and {}", a.name, b.name);
        }
    }
    let ids: Vec<String> = crate::actions::REPLIES
        .iter()
        .flat_map(|r| [format!("#act-{}", r.path), format!("#{}-body", r.path)])
        .chain(["#f-kind".to_owned()])
        .collect();
    for s in SHORTCUTS {
        match s.action {
            Action::Go(p) => assert!(p.starts_with('/') && !p.starts_with("//")),
            Action::Focus(sel) => {
                for sel in sel {
                    let id = sel.split(' ').next().unwrap();
                    assert!(ids.iter().any(|i| i == id), "{sel}");
                }
            }
            _ => {}
        }
    }
    // The issue's common actions.
    for (keys, what) in [
        (&["g", "i"][..], "inbox"),
        (&["c"], "compose"),
        (&["j"], "next"),
        (&["k"], "previous"),
        (&["a"], "acknowledge"),
        (&["r"], "reply"),
        (&["?"], "help"),
    ] {
        assert!(
            SHORTCUTS.iter().any(|s| s.keys == keys && s.name == what),
            "{what}"
        );
    }
    // The help page and the inbox mark what the script moves through.
    let list = template("inbox_list.html");
    assert!(list.contains(r#"<tr data-case="{{ r.id }}" class="case"#));
    assert!(list.contains(r#"class="row-title""#));
}

#[tokio::test]
async fn the_help_page_and_the_script_read_the_same_table() {
    let (_d, ui) = crate::tests::ui();
    // The JSON the script reads: static (no session needed), from the table.
    let r = send(&ui, get("/static/shortcuts.json")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    let json: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
    assert_eq!(json, crate::chrome::shortcuts_json());
    let arr = json.as_array().unwrap();
    assert_eq!(arr.len(), SHORTCUTS.len());
    assert_eq!(arr[0]["keys"], serde_json::json!(["g", "i"]));
    assert_eq!(arr[0]["do"], "go");
    assert_eq!(arr[0]["to"], "/");
    // The help page needs a session, and lists every row.
    assert_eq!(
        send(&ui, get("/help")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let cookie = login(&ui).await;
    let r = send(&ui, with_cookie(get("/help"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = text(r).await;
    assert!(page.contains("<h1>Help</h1>"), "{page}");
    for s in SHORTCUTS {
        assert!(
            page.contains(&ui.tr().t(&format!("shortcut-{}", s.name))),
            "{}",
            s.name
        );
    }
    assert!(
        page.contains("<td><kbd>g</kbd> then <kbd>i</kbd></td>"),
        "{page}"
    );
    assert!(page.contains("<kbd>?</kbd>"));
    assert!(page.contains("UTC"));
}

/// A UI that locks after 15 min, with a clock the test moves (seconds) and
/// the passphrase "right".
fn locking_ui() -> (tempfile::TempDir, Arc<Ui>, Arc<AtomicU64>) {
    let (d, ui) = crate::tests::ui();
    let ui = Arc::into_inner(ui).unwrap();
    let t = Arc::new(AtomicU64::new(1_000_000));
    let clock = t.clone();
    let mut ui = ui
        .with_idle_lock(Duration::from_secs(15 * 60), |p| p == "right")
        .with_clock(move || clock.load(Ordering::SeqCst));
    ui.lock.check_every = Duration::from_millis(20);
    (d, Arc::new(ui), t)
}

fn unlock(cookie: &str, csrf: &str, pass: &str, next: &str) -> Request<Body> {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", csrf)
        .append_pair("passphrase", pass)
        .append_pair("next", next)
        .finish();
    with_cookie(
        Request::post("/unlock")
            .header(header::HOST, HOST)
            .header(header::ORIGIN, format!("http://{HOST}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
        cookie,
    )
}

fn csrf_of(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    page[at..at + 64].to_owned()
}

#[tokio::test]
async fn a_session_locks_after_the_idle_time_and_the_passphrase_unlocks_it() {
    let (_d, ui, t) = locking_ui();
    let cookie = login(&ui).await;
    let page = |path: &'static str| with_cookie(get(path), &cookie);
    let min = |m: u64| t.fetch_add(m * 60, Ordering::SeqCst);
    min(14);
    assert_eq!(send(&ui, page("/")).await.status(), StatusCode::OK);
    // That request counted: 14 more minutes are still fine.
    min(14);
    assert_eq!(send(&ui, page("/help")).await.status(), StatusCode::OK);
    // What the page fetches by itself does not keep the session open.
    min(10);
    assert_eq!(
        send(&ui, page("/fragment/inbox")).await.status(),
        StatusCode::OK
    );
    let mut hx = page("/");
    hx.headers_mut()
        .insert(crate::idle::HX_REQUEST, "true".parse().unwrap());
    assert_eq!(send(&ui, hx).await.status(), StatusCode::OK);
    min(5);
    // 15 minutes since the last request of its own: locked, everywhere.
    let r = send(&ui, page("/case/00?x=1")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()[header::CONTENT_SECURITY_POLICY],
        crate::security::CSP
    );
    let locked = text(r).await;
    assert!(locked.contains("<h1>Locked</h1>"), "{locked}");
    assert!(locked.contains(r#"<input type="password" id="unlock-passphrase" name="passphrase""#));
    assert!(locked.contains(r#"<label for="unlock-passphrase">"#));
    assert!(
        locked.contains(r#"name="next" value="/case/00?x=1""#),
        "{locked}"
    );
    assert!(
        !locked.contains("<script"),
        "nothing runs on the locked page"
    );
    for path in ["/", "/fragment/inbox", "/events", "/help", "/compose"] {
        let r = send(&ui, page(path)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(!text(r).await.contains("Inbox</h1>"), "{path}");
    }
    // Still locked after a while (a locked request is no activity).
    assert_eq!(
        send(&ui, page("/")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let csrf = csrf_of(&locked);
    // Unlocking needs the CSRF token like any POST…
    let r = send(&ui, unlock(&cookie, "0", "right", "/")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // …and the passphrase.
    let r = send(&ui, unlock(&cookie, &csrf, "wrong", "/")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(text(r).await.contains("does not unlock"));
    assert_eq!(
        send(&ui, page("/")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = send(&ui, unlock(&cookie, &csrf, "right", "/help")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/help");
    assert_eq!(send(&ui, page("/")).await.status(), StatusCode::OK);
    // `next` leads only to a path of ours.
    min(16);
    for bad in ["//evil.example/", "http://evil.example/", "/\\evil", ""] {
        let r = send(&ui, unlock(&cookie, &csrf, "right", bad)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{bad}");
        assert_eq!(r.headers()[header::LOCATION], "/", "{bad}");
    }
}

#[tokio::test]
async fn the_printed_token_does_not_get_past_the_lock() {
    let (_d, ui, t) = locking_ui();
    let first = login(&ui).await;
    assert_eq!(
        send(&ui, with_cookie(get("/"), &first)).await.status(),
        StatusCode::OK
    );
    t.fetch_add(16 * 60, Ordering::SeqCst);
    // The login address, replayed from the browser's history, opens a
    // session that starts locked.
    let again = login(&ui).await;
    let r = send(&ui, with_cookie(get("/"), &again)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(text(r).await.contains("<h1>Locked</h1>"));
    // Without the lock the token keeps working as before.
    let (_d2, plain) = crate::tests::ui();
    for _ in 0..2 {
        let c = login(&plain).await;
        assert_eq!(
            send(&plain, with_cookie(get("/"), &c)).await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn no_lock_when_the_idle_lock_is_off() {
    let (_d, ui) = crate::tests::ui();
    let ui = Arc::into_inner(ui).unwrap();
    let t = Arc::new(AtomicU64::new(0));
    let clock = t.clone();
    let ui = Arc::new(
        ui.with_idle_lock(Duration::ZERO, |_| true)
            .with_clock(move || clock.load(Ordering::SeqCst)),
    );
    let cookie = login(&ui).await;
    t.store(10 * 365 * 86_400, Ordering::SeqCst);
    assert_eq!(
        send(&ui, with_cookie(get("/"), &cookie)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_locked_session_may_log_out() {
    let (_d, ui, t) = locking_ui();
    let cookie = login(&ui).await;
    let csrf = crate::tests::csrf(&ui, &cookie).await;
    t.fetch_add(15 * 60, Ordering::SeqCst);
    let body = format!("csrf={csrf}");
    let r = with_cookie(
        Request::post("/logout")
            .header(header::HOST, HOST)
            .header(header::ORIGIN, format!("http://{HOST}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
        &cookie,
    );
    assert_eq!(send(&ui, r).await.status(), StatusCode::SEE_OTHER);
    // Gone: the cookie is no session any more.
    let r = send(&ui, with_cookie(get("/"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(!text(r).await.contains("Locked"));
}

/// Reads an event stream's body until what it sent holds `until` (each
/// frame within 5 s); returns what it sent.
async fn read_until(body: &mut Body, until: &str) -> String {
    let mut seen = String::new();
    while !seen.contains(until) {
        let f = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Ok(d) = f.into_data() {
            seen.push_str(&String::from_utf8_lossy(&d));
        }
    }
    seen
}

#[tokio::test]
async fn an_open_event_stream_says_locked_when_the_session_locks() {
    let (_d, ui, t) = locking_ui();
    let cookie = login(&ui).await;
    let r = send(&ui, with_cookie(get("/events"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut body = r.into_body();
    // A change still comes through as `changed`.
    ui.events.send(7).unwrap();
    let seen = read_until(&mut body, "event: changed").await;
    assert!(seen.contains("data: 7"), "{seen}");
    t.fetch_add(15 * 60, Ordering::SeqCst);
    let mut seen = String::new();
    // The stream ends after saying so.
    while let Some(f) = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .unwrap()
    {
        if let Ok(d) = f.unwrap().into_data() {
            seen.push_str(&String::from_utf8_lossy(&d));
        }
    }
    assert!(seen.contains("event: locked"), "{seen}");
}

#[test]
fn what_the_streams_say_decides_when_to_sync() {
    use hotline_client::events::Follow;
    use std::collections::BTreeMap;
    let id = hotline_core::ids::ChannelId([1; 16]);
    let (mut followed, mut wanted) = (BTreeMap::new(), BTreeMap::new());
    assert!(!crate::live::note(
        &mut followed,
        &mut wanted,
        (id, Follow::Connected)
    ));
    assert!(followed[&id]);
    assert!(crate::live::note(
        &mut followed,
        &mut wanted,
        (id, Follow::Sequenced(9))
    ));
    assert!(crate::live::note(
        &mut followed,
        &mut wanted,
        (id, Follow::Sequenced(4))
    ));
    assert_eq!(wanted[&id], 9, "the largest index announced");
    assert!(!crate::live::note(
        &mut followed,
        &mut wanted,
        (id, Follow::Lost)
    ));
    assert!(!followed[&id], "poll again");
}

/// The style sheet's blocks are balanced: a lost `}` (as a merge once left
/// at the end of an `@media` block) silently swallows every rule after it.
#[test]
fn the_style_sheet_has_no_unclosed_block() {
    let css = include_str!("../static/style.css");
    let mut depth = 0i32;
    let mut in_comment = false;
    let b = css.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if in_comment {
            if b[i..].starts_with(b"*/") {
                in_comment = false;
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            in_comment = true;
            i += 1;
        } else if b[i] == b'{' {
            depth += 1;
        } else if b[i] == b'}' {
            depth -= 1;
            assert!(depth >= 0, "a '}}' closes nothing at byte {i}");
        } else if b[i] == b'@' {
            // An at-rule nests at most one level of rules here.
            assert!(depth == 0, "an at-rule inside a block at byte {i}");
        }
        i += 1;
    }
    assert!(!in_comment, "an unclosed comment");
    assert_eq!(depth, 0, "{depth} block(s) left open");
}

#[tokio::test]
async fn an_alert_raised_reaches_the_open_pages_as_an_event() {
    let (_d, ui) = crate::tests::ui();
    let cookie = login(&ui).await;
    let r = send(&ui, with_cookie(get("/events"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut body = r.into_body();
    let raised = hotline_client::alerts::Raised {
        id: 3,
        key: "message:c:4".into(),
        alert: hotline_client::alerts::Alert {
            kind: "hotline.alert".into(),
            timestamp: "2026-12-03T00:00:00Z".into(),
            data: hotline_client::alerts::AlertData {
                what: "warning".into(),
                channel: "c".into(),
                case: Some("ab".repeat(16)),
                index: Some(4),
                owed: None,
                deadline: None,
                alarm: None,
                tlp: Some("TLP:RED".into()),
                title: None,
                link: None,
            },
        },
    };
    ui.alert_sender()
        .send(crate::browser_alert(&raised))
        .unwrap();
    let seen = read_until(&mut body, "\n\n").await;
    assert!(seen.contains("event: alert"), "{seen}");
    let data = seen.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["subject"], "Hotline: warning in case abababab");
    assert_eq!(v["path"], format!("/case/{}", "ab".repeat(16)));
    assert_eq!(v["key"], "message:c:4");
}
