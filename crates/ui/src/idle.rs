//! The idle lock (`docs/ui.md`, "Idle lock"): a session that made no
//! request of its own for the configured time is locked. Every page then
//! answers 401 with the locked page, which asks for the member passphrase
//! (checked by the verifier `hotline ui` gives: it unlocks the key file
//! again). The keys stay in the server's memory meanwhile (the background
//! sync goes on); nothing of the archive is shown to a locked session.
//!
//! The login token is not enough to get past the lock: it stays in the
//! browser's history, so once it was used, a later login with it opens a
//! session that starts locked. Requests the page makes by itself (the event
//! stream, fragments, htmx refreshes: `HX-Request`) do not count as
//! activity. Time comes from an injected clock, so tests move it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use askama::Template;
use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::Ui;
use crate::i18n::Tr;
use crate::security::Session;

/// A clock: seconds since the Unix epoch.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;
/// Checks a passphrase (true: it unlocks the member keys).
pub type Verifier = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The idle-lock settings and state of a server.
pub(crate) struct IdleLock {
    /// Lock after this many seconds without a request; `None`: never.
    pub after: Option<u64>,
    pub clock: Clock,
    pub verify: Option<Verifier>,
    /// Whether the login token was used already.
    pub token_used: AtomicBool,
    /// How often an open event stream checks whether its session locked.
    pub check_every: Duration,
    /// One passphrase check at a time (each costs a key derivation).
    pub checking: tokio::sync::Mutex<()>,
}

impl IdleLock {
    /// No lock, the system clock.
    pub fn off() -> IdleLock {
        IdleLock {
            after: None,
            clock: Arc::new(crate::view::now),
            verify: None,
            token_used: AtomicBool::new(false),
            check_every: Duration::from_secs(15),
            checking: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether a new session made with the token starts locked (the token
    /// was used before and the lock is on). Marks the token used.
    pub fn new_session_locked(&self) -> bool {
        let used = self.token_used.swap(true, Ordering::SeqCst);
        used && self.after.is_some()
    }
}

impl Ui {
    /// Locks a session after `after` without a request from it (zero: never),
    /// `verify` checking the passphrase that unlocks it.
    pub fn with_idle_lock(
        mut self,
        after: Duration,
        verify: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Ui {
        self.lock.after = (!after.is_zero()).then(|| after.as_secs().max(1));
        self.lock.verify = Some(Arc::new(verify));
        self
    }

    /// Takes time from `clock` (seconds since the epoch) instead of the
    /// system's: for tests.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Ui {
        self.lock.clock = Arc::new(clock);
        self
    }

    /// Whether session `id` is locked now (locking it if its time is up).
    pub(crate) fn locked(&self, id: &str) -> bool {
        let Some(after) = self.lock.after else {
            return false;
        };
        let now = (self.lock.clock)();
        let Ok(mut v) = self.sessions.lock() else {
            return true;
        };
        match v.iter_mut().find(|s| s.id == id) {
            Some(s) => {
                if now.saturating_sub(s.last_seen) >= after {
                    s.locked = true;
                }
                s.locked
            }
            // Logged out meanwhile.
            None => true,
        }
    }

    fn touch(&self, id: &str, unlock: bool) {
        let now = (self.lock.clock)();
        if let Ok(mut v) = self.sessions.lock()
            && let Some(s) = v.iter_mut().find(|s| s.id == id)
        {
            s.last_seen = now;
            if unlock {
                s.locked = false;
            }
        }
    }
}

/// The header htmx sends with each request it makes.
pub(crate) const HX_REQUEST: &str = "hx-request";

/// Whether the browser made this request by itself (not the person).
fn automatic(path: &str, headers: &HeaderMap) -> bool {
    path == "/events" || path.starts_with("/fragment/") || headers.contains_key(HX_REQUEST)
}

/// The security layer's hook, for a request of a valid session: the locked
/// page when the session is locked (but to unlock or log out), else the
/// session's activity noted.
pub(crate) fn gate(ui: &Ui, s: &Session, req: &Request) -> Option<Response> {
    ui.lock.after?;
    let path = req.uri().path();
    if ui.locked(&s.id) {
        if req.method() == Method::POST && (path == "/unlock" || path == "/logout") {
            return None;
        }
        let next = if req.method() == Method::GET && !automatic(path, req.headers()) {
            req.uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default()
        } else {
            String::new()
        };
        return Some(locked_page(ui, s, &next, false));
    }
    if !automatic(path, req.headers()) {
        ui.touch(&s.id, false);
    }
    None
}

#[derive(Template)]
#[template(path = "locked.html")]
struct LockedPage<'a> {
    tr: &'a Tr,
    csrf: String,
    next: String,
    wrong: bool,
}

fn locked_page(ui: &Ui, s: &Session, next: &str, wrong: bool) -> Response {
    let page = LockedPage {
        tr: ui.tr(),
        csrf: s.csrf.clone(),
        next: next.to_owned(),
        wrong,
    };
    match page.render() {
        Ok(h) => (StatusCode::UNAUTHORIZED, Html(h)).into_response(),
        Err(_) => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// Where to go after unlocking: a path of ours, else the inbox.
fn safe_next(next: &str) -> &str {
    let ours = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ours { next } else { "/" }
}

/// `POST /unlock` (`passphrase`, `next`; the CSRF field is checked by the
/// security layer): unlocks the session when the passphrase unlocks the
/// member keys, then 303 to `next`; else the locked page again (401) after
/// a pause.
pub(crate) async fn unlock(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> Response {
    let next = form.get("next").map(String::as_str).unwrap_or("/");
    let Some(verify) = ui.lock.verify.clone() else {
        return locked_page(&ui, &s, next, true);
    };
    let given = form.get("passphrase").cloned().unwrap_or_default();
    let ok = {
        let _one = ui.lock.checking.lock().await;
        let ok = tokio::task::spawn_blocking(move || verify(&given))
            .await
            .unwrap_or(false);
        if !ok {
            // Guessing is slow: the key derivation, and this.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        ok
    };
    if !ok {
        tracing::warn!("a wrong passphrase was given to unlock a session");
        return locked_page(&ui, &s, next, true);
    }
    ui.touch(&s.id, true);
    tracing::info!("a session was unlocked");
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, safe_next(next).to_owned())],
    )
        .into_response()
}
