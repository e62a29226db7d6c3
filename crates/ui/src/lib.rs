//! The duty officer's web UI (`docs/ui.md`): a web server on loopback over a
//! member's archive. It shows the inbox (every case, what is due first) and
//! each case's timeline, keeps the archive in sync with the relay in the
//! background and tells open pages when something new arrived
//! (server-sent events on `/events`).
//!
//! The server holds the unlocked member keys; no page ever sees them. Every
//! request passes [`security`]: the `Host` must be a loopback name at our
//! port (DNS rebinding), a page needs the session cookie that `/login` sets
//! from the token `hotline ui` printed, a request that changes anything needs
//! our `Origin` and the session's form token, and every response carries a
//! strict Content-Security-Policy.
//!
//! ```no_run
//! # async fn run(ui: std::sync::Arc<hotline_ui::Ui>) -> std::io::Result<()> {
//! let app = hotline_ui::router(ui.clone());
//! hotline_ui::live::spawn_sync(ui, std::time::Duration::from_secs(3));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9200").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::routing::{get, post};
use hotline_client::archive::Archive;
use hotline_client::keyring::Keyring;
use rand_core::{OsRng, RngCore as _};
use tokio::sync::broadcast;

mod actions;
mod cache;
mod chrome;
mod compose;
mod dash;
mod dash_svg;
mod disclosure;
mod evidence;
mod graph;
pub mod i18n;
pub mod idle;
pub mod live;
pub mod markdown;
mod pages;
pub mod security;
mod setup;
mod svg;
mod uploads;
mod view;

pub use security::SESSION_COOKIE;

/// The shared state of the UI: the archive, the keys, the sessions and the
/// live status.
pub struct Ui {
    /// The member's archive.
    pub archive: Arc<Archive>,
    /// The unlocked member keys (never rendered).
    pub(crate) keys: Arc<Keyring>,
    /// The port we listen on: the only one `Host` and `Origin` may name.
    pub(crate) port: u16,
    /// The login token (32 random bytes, hex), printed once.
    token: String,
    pub(crate) sessions: Mutex<Vec<security::Session>>,
    pub(crate) status: RwLock<live::Status>,
    pub(crate) events: broadcast::Sender<u64>,
    /// Alerts raised while the UI runs (JSON for the page's browser
    /// notification): [`Ui::alert_sender`].
    pub(crate) alerts: broadcast::Sender<String>,
    /// The alert worker, poked after each sync that stored something.
    pub(crate) alerter: std::sync::OnceLock<hotline_client::alerts::Alerter>,
    /// Every language the UI speaks; [`Ui::tr`] gives the request's.
    pub(crate) langs: i18n::Langs,
    pub(crate) lock: idle::IdleLock,
    /// Files kept between a Compose Check and its Send.
    pub(crate) uploads: uploads::Store,
    /// The profile and its party key, for channel set-up (`setup`).
    pub(crate) me: Option<setup::Me>,
    /// The channels' derived cases, kept while the archive holds the same.
    pub(crate) cache: cache::ViewCache,
}

impl Ui {
    /// The state for a server on `port` (the real one, after binding), with
    /// a fresh random login token.
    pub fn new(archive: Arc<Archive>, keys: Keyring, port: u16) -> Ui {
        let (events, _) = broadcast::channel(16);
        let (alerts, _) = broadcast::channel(64);
        Ui {
            archive,
            keys: Arc::new(keys),
            port,
            token: random_hex(),
            sessions: Mutex::new(Vec::new()),
            status: RwLock::new(live::Status::default()),
            events,
            alerts,
            alerter: std::sync::OnceLock::new(),
            langs: i18n::Langs::default(),
            lock: idle::IdleLock::off(),
            uploads: uploads::Store::default(),
            me: None,
            cache: cache::ViewCache::default(),
        }
    }

    /// The profile served, and its party key if it holds one (unlocked with
    /// the member keys): what the channel set-up pages (`/setup`) need to
    /// draft, sign, register and publish rosters.
    pub fn with_profile(
        mut self,
        profile: hotline_client::profile::Profile,
        party_key: Option<hotline_core::keys::SigningKey>,
    ) -> Ui {
        self.me = Some(setup::Me { profile, party_key });
        self
    }

    /// Where the alert worker (`hotline_client::alerts::Alerter`) sends
    /// each alert it raises, for the open pages' browser notifications:
    /// [`browser_alert`] makes the JSON.
    pub fn alert_sender(&self) -> broadcast::Sender<String> {
        self.alerts.clone()
    }

    /// Hands the UI its alert worker, to wake after each sync that stored
    /// something (a second call is ignored).
    pub fn set_alerter(&self, a: hotline_client::alerts::Alerter) {
        let _ = self.alerter.set(a);
    }

    /// The strings of the language of the request being answered
    /// (`docs/ui.md`, "Languages").
    pub(crate) fn tr(&self) -> &i18n::Tr {
        self.langs.get(i18n::current())
    }

    /// The member's language (`hotline ui --lang`), over the browser's;
    /// an error names the languages spoken.
    pub fn with_language(mut self, lang: &str) -> Result<Ui, String> {
        match i18n::languages().into_iter().find(|l| *l == lang) {
            Some(l) => {
                self.langs.chosen = Some(l);
                Ok(self)
            }
            None => Err(format!(
                "the UI does not speak {lang:?}; it speaks {}",
                i18n::languages().join(", ")
            )),
        }
    }

    /// The login token: `hotline ui` prints it once, in the `open` line.
    /// Never log it.
    pub fn login_token(&self) -> &str {
        &self.token
    }

    /// The address a person opens: `http://127.0.0.1:PORT/login?token=…`.
    pub fn login_url(&self) -> String {
        format!("http://127.0.0.1:{}/login?token={}", self.port, self.token)
    }
}

/// What a page is told of an alert (`GET /events`, event `alert`): its
/// subject line, the path to open and its key (the notification's tag, so
/// that two pages show one).
pub fn browser_alert(r: &hotline_client::alerts::Raised) -> String {
    let path = r
        .alert
        .data
        .case
        .as_ref()
        .map_or("/health".to_string(), |c| format!("/case/{c}"));
    let path = if r.alert.data.what == "alarm" {
        "/health#alarms".to_string()
    } else {
        path
    };
    serde_json::json!({"subject": r.alert.subject(), "path": path, "key": r.key}).to_string()
}

/// 32 random bytes (256 bits) from the OS, hex.
pub(crate) fn random_hex() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// The UI's routes, behind the security layer.
pub fn router(ui: Arc<Ui>) -> Router {
    Router::new()
        .route("/", get(pages::inbox))
        .route("/fragment/inbox", get(pages::inbox_fragment))
        .route("/case/{id}", get(pages::case))
        .route(
            "/compose",
            get(compose::page)
                .post(compose::submit)
                .layer(axum::extract::DefaultBodyLimit::max(security::MAX_COMPOSE)),
        )
        .route("/case/{id}/{action}", post(pages::reply))
        .merge(disclosure::routes())
        .route("/dashboard", get(dash::dashboard_page))
        .route("/health", get(dash::health_page))
        .route("/alarm/{id}/ack", post(dash::acknowledge))
        .route("/case/{id}/evidence", get(evidence::graph))
        .route(
            "/case/{id}/attachment/{index}/{n}",
            get(evidence::attachment),
        )
        .merge(setup::routes())
        .route("/events", get(live::events))
        .route("/login", get(security::login))
        .route("/logout", post(security::logout))
        .route("/static/style.css", get(pages::style))
        .route("/static/live.js", get(pages::script))
        .route("/static/htmx.min.js", get(chrome::htmx))
        .route("/static/shortcuts.json", get(chrome::shortcuts))
        .route("/help", get(chrome::help))
        .route("/unlock", post(idle::unlock))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            ui.clone(),
            security::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(ui.clone(), language))
        .with_state(ui)
}

/// Answers the request in its language (`i18n::Langs::pick`): every page,
/// error pages too; says which (`Content-Language`) and that it depends on
/// `Accept-Language` (`Vary`).
async fn language(
    axum::extract::State(ui): axum::extract::State<Arc<Ui>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let accept = req
        .headers()
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = ui.langs.pick(accept);
    let mut r = i18n::LANG.scope(lang, next.run(req)).await;
    let h = r.headers_mut();
    h.insert(
        axum::http::header::CONTENT_LANGUAGE,
        axum::http::HeaderValue::from_static(lang),
    );
    h.append(
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("accept-language"),
    );
    r
}

#[cfg(test)]
mod bench_tests;
#[cfg(test)]
mod chrome_tests;
#[cfg(test)]
mod dash_tests;
#[cfg(test)]
mod disclose_tests;
#[cfg(test)]
mod evidence_tests;
#[cfg(test)]
mod setup_tests;
#[cfg(test)]
mod tests;
