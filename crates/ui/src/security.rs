//! The security model (`docs/ui.md`, "Security"): every request passes
//! [`guard`].
//!
//! 1. `Host` must be `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`,
//!    else 421: a page of another site whose name was made to resolve to
//!    127.0.0.1 (DNS rebinding) gets nothing.
//! 2. `GET /login?token=T` compares T with the printed token in constant
//!    time and sets the session cookie (a separate random id; `HttpOnly`,
//!    `SameSite=Strict`), then 303 to `/` so the token leaves the address
//!    bar. Every other path but `/static/` needs that cookie, else 401.
//! 3. A request other than GET or HEAD must carry `Origin` naming us and,
//!    in its form body (urlencoded, or multipart for Compose's files), the
//!    session's `csrf` value, else 403.
//! 4. Every response carries the headers of [`set_headers`].
//!
//! Neither the token nor a session id is ever logged.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq as _;

use crate::Ui;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hotline_ui";

/// The largest form body read (the only forms are small).
const MAX_FORM: usize = 64 * 1024;
/// The largest body of the Compose form (`POST /compose`), a pasted STIX
/// bundle included; beyond it, 413.
pub(crate) const MAX_COMPOSE: usize = 8 * 1024 * 1024;

/// The largest body of a channel set-up form (`POST /setup/…`, multipart:
/// charter and profile files are at most 128 KiB each); beyond it, 413.
pub(crate) const MAX_SETUP: usize = 1024 * 1024;

/// The Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A response's own Content-Security-Policy, put in its extensions by a
/// handler (only `/verify`: the offline verifier's inline script by hash);
/// [`guard`] sends it instead of [`CSP`].
#[derive(Clone)]
pub(crate) struct OwnCsp(pub HeaderValue);

/// A logged-in browser.
#[derive(Clone)]
pub struct Session {
    /// The cookie's value (hex of 32 random bytes).
    pub(crate) id: String,
    /// The form token of this session (hex of 32 random bytes).
    pub csrf: String,
    /// When it last made a request of its own (the idle lock's clock).
    pub(crate) last_seen: u64,
    /// Whether the idle lock locked it (`crate::idle`).
    pub(crate) locked: bool,
}

impl Ui {
    fn host_allowed(&self, host: &str) -> bool {
        let p = self.port;
        [
            format!("127.0.0.1:{p}"),
            format!("localhost:{p}"),
            format!("[::1]:{p}"),
        ]
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host))
    }

    fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let given = cookie(headers, SESSION_COOKIE)?;
        let sessions = self.sessions.lock().ok()?;
        // Every session compared, in constant time each.
        let mut found = None;
        for s in sessions.iter() {
            if bool::from(s.id.as_bytes().ct_eq(given.as_bytes())) {
                found = Some(s.clone());
            }
        }
        found
    }
}

/// The value of cookie `name` in the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The headers every response carries.
pub fn set_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // `same-origin`, not `no-referrer`: under `no-referrer` a browser sends
    // `Origin: null` with a form POST (Fetch, "serializing a request
    // origin"), which the Origin check refuses, so no form would work.
    // `same-origin` still sends nothing to another site (a link in a body).
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The security layer (see the module's docs).
pub async fn guard(State(ui): State<Arc<Ui>>, req: Request, next: Next) -> Response {
    let mut r = check(&ui, req, next).await;
    let own = r.extensions_mut().remove::<OwnCsp>();
    set_headers(r.headers_mut());
    if let Some(OwnCsp(v)) = own {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

async fn check(ui: &Arc<Ui>, mut req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if !ui.host_allowed(&host) {
        return crate::pages::error(
            ui,
            StatusCode::MISDIRECTED_REQUEST,
            "error-host-title",
            "error-host",
        );
    }
    let path = req.uri().path();
    if path == "/login" || path.starts_with("/static/") {
        return next.run(req).await;
    }
    let Some(session) = ui.session(req.headers()) else {
        return crate::pages::error(
            ui,
            StatusCode::UNAUTHORIZED,
            "error-unauthorized-title",
            "error-unauthorized",
        );
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let forbidden = || {
            crate::pages::error(
                ui,
                StatusCode::FORBIDDEN,
                "error-forbidden-title",
                "error-forbidden",
            )
        };
        let origin_ok = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .and_then(|o| o.strip_prefix("http://"))
            .is_some_and(|o| o.eq_ignore_ascii_case(&host));
        if !origin_ok {
            return forbidden();
        }
        let (parts, body) = req.into_parts();
        let limit = if parts.uri.path() == "/compose" {
            MAX_COMPOSE
        } else if parts.uri.path().starts_with("/setup/") {
            MAX_SETUP
        } else {
            MAX_FORM
        };
        let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
            return crate::pages::error(
                ui,
                StatusCode::PAYLOAD_TOO_LARGE,
                "error-too-large-title",
                "error-too-large",
            );
        };
        // A multipart body (Compose with files) is already bounded here.
        let given = match crate::uploads::boundary(&parts.headers) {
            Some(b) => crate::uploads::csrf_field(b, bytes.clone()).await,
            None => form_field(&bytes, "csrf"),
        }
        .unwrap_or_default();
        if !bool::from(given.as_bytes().ct_eq(session.csrf.as_bytes())) {
            return forbidden();
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    if let Some(locked) = crate::idle::gate(ui, &session, &req) {
        return locked;
    }
    req.extensions_mut().insert(session);
    next.run(req).await
}

/// The first value of `name` in an `application/x-www-form-urlencoded` body.
pub(crate) fn form_field(body: &Bytes, name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `GET /login?token=T`.
pub async fn login(
    State(ui): State<Arc<Ui>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let given = q.get("token").map(String::as_str).unwrap_or("");
    if !bool::from(given.as_bytes().ct_eq(ui.token.as_bytes())) {
        tracing::warn!("a login with a wrong or missing token was refused");
        return crate::pages::error(
            &ui,
            StatusCode::UNAUTHORIZED,
            "error-unauthorized-title",
            "error-unauthorized",
        );
    }
    let s = Session {
        id: crate::random_hex(),
        csrf: crate::random_hex(),
        last_seen: (ui.lock.clock)(),
        locked: ui.lock.new_session_locked(),
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
        s.id
    );
    match ui.sessions.lock() {
        Ok(mut v) => v.push(s),
        Err(_) => {
            return crate::pages::error(
                &ui,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-title",
                "error-internal",
            );
        }
    }
    tracing::info!("a browser logged in");
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// `POST /logout` (a form with the CSRF token): ends this session.
pub async fn logout(
    State(ui): State<Arc<Ui>>,
    axum::Extension(s): axum::Extension<Session>,
) -> Response {
    if let Ok(mut v) = ui.sessions.lock() {
        v.retain(|x| x.id != s.id);
    }
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("hotline_ui=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    r
}
