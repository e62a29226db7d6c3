//! The page chrome (`docs/ui.md`, "Scripts, dates and keyboard"): the
//! vendored htmx, the keyboard shortcuts — one table, [`SHORTCUTS`], that
//! both the help page (`/help`) and our script (through
//! `/static/shortcuts.json`) read — and the help page.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::Ui;
use crate::i18n::Tr;
use crate::security::Session;

/// htmx, vendored from npm (`crates/ui/vendor`, pinned; `.ci/run` checks
/// that this is byte for byte the registry's `dist/htmx.min.js`).
pub(crate) const HTMX: &str = include_str!("../static/htmx.min.js");

/// Where a shortcut applies (what the help page says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Everywhere,
    Inbox,
    Case,
    Field,
}

impl Scope {
    fn id(self) -> &'static str {
        match self {
            Scope::Everywhere => "shortcut-scope-everywhere",
            Scope::Inbox => "shortcut-scope-inbox",
            Scope::Case => "shortcut-scope-case",
            Scope::Field => "shortcut-scope-field",
        }
    }
}

/// What a shortcut does (our script carries it out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Go to this path.
    Go(&'static str),
    /// Focus the first element matching one of these selectors, in order
    /// (a form's button, so that Enter sends: one key never sends alone).
    Focus(&'static [&'static str]),
    /// Select the next case row of the inbox (and focus its title).
    Next,
    /// Select the previous case row of the inbox.
    Prev,
    /// Open the selected case.
    Open,
    /// Leave the field being typed in (the only kind that works there).
    Blur,
}

/// One keyboard shortcut.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shortcut {
    /// The keys, pressed one after the other (`KeyboardEvent.key` values).
    pub keys: &'static [&'static str],
    /// Its Fluent id (`shortcut-<name>`): what it does.
    pub name: &'static str,
    pub scope: Scope,
    pub action: Action,
}

/// Every keyboard shortcut. None fires while a field is being typed in
/// (but [`Action::Blur`]), nor with Ctrl, Alt or Meta held.
pub(crate) const SHORTCUTS: &[Shortcut] = &[
    Shortcut {
        keys: &["g", "i"],
        name: "inbox",
        scope: Scope::Everywhere,
        action: Action::Go("/"),
    },
    Shortcut {
        keys: &["c"],
        name: "compose",
        scope: Scope::Everywhere,
        action: Action::Go("/compose"),
    },
    Shortcut {
        keys: &["?"],
        name: "help",
        scope: Scope::Everywhere,
        action: Action::Go("/help"),
    },
    Shortcut {
        keys: &["j"],
        name: "next",
        scope: Scope::Inbox,
        action: Action::Next,
    },
    Shortcut {
        keys: &["k"],
        name: "previous",
        scope: Scope::Inbox,
        action: Action::Prev,
    },
    Shortcut {
        keys: &["o"],
        name: "open",
        scope: Scope::Inbox,
        action: Action::Open,
    },
    Shortcut {
        keys: &["/"],
        name: "filter",
        scope: Scope::Inbox,
        action: Action::Focus(&["#f-kind"]),
    },
    Shortcut {
        keys: &["a"],
        name: "acknowledge",
        scope: Scope::Case,
        action: Action::Focus(&["#act-ack button"]),
    },
    Shortcut {
        keys: &["r"],
        name: "reply",
        scope: Scope::Case,
        action: Action::Focus(&[
            "#answer-body",
            "#interim-body",
            "#clarify-body",
            "#reopen-body",
        ]),
    },
    Shortcut {
        keys: &["Escape"],
        name: "leave-field",
        scope: Scope::Field,
        action: Action::Blur,
    },
];

/// The table as our script reads it: `[{"keys": […], "do": …, "to": …}]`.
pub(crate) fn shortcuts_json() -> serde_json::Value {
    use serde_json::json;
    SHORTCUTS
        .iter()
        .map(|s| {
            let (what, to) = match s.action {
                Action::Go(p) => ("go", json!(p)),
                Action::Focus(sel) => ("focus", json!(sel)),
                Action::Next => ("next", json!(null)),
                Action::Prev => ("prev", json!(null)),
                Action::Open => ("open", json!(null)),
                Action::Blur => ("blur", json!(null)),
            };
            json!({"keys": s.keys, "do": what, "to": to, "name": s.name})
        })
        .collect()
}

/// `GET /static/htmx.min.js`.
pub(crate) async fn htmx() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        HTMX,
    )
        .into_response()
}

/// `GET /static/shortcuts.json` (no data: served like the other static
/// files, without a session).
pub(crate) async fn shortcuts() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        shortcuts_json().to_string(),
    )
        .into_response()
}

/// One row of the help page.
pub(crate) struct HelpRow {
    pub keys: Vec<&'static str>,
    pub what: String,
    pub scope: String,
}

#[derive(Template)]
#[template(path = "help.html")]
pub(crate) struct HelpPage<'a> {
    pub chrome: crate::view::Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub rows: Vec<HelpRow>,
}

pub(crate) fn help_rows(tr: &Tr) -> Vec<HelpRow> {
    SHORTCUTS
        .iter()
        .map(|s| HelpRow {
            keys: s.keys.to_vec(),
            what: tr.t(&format!("shortcut-{}", s.name)),
            scope: tr.t(s.scope.id()),
        })
        .collect()
}

/// `GET /help`: the keyboard shortcuts (from [`SHORTCUTS`]) and how dates
/// are shown.
pub(crate) async fn help(State(ui): State<Arc<Ui>>, Extension(s): Extension<Session>) -> Response {
    let u = ui.clone();
    let r = crate::i18n::blocking(move || {
        let page = HelpPage {
            chrome: crate::view::chrome(&u, s.csrf)?,
            tr: u.tr(),
            title: u.tr().t("help-title"),
            rows: help_rows(u.tr()),
        };
        Ok::<_, crate::view::ViewError>(page.render()?)
    })
    .await;
    match r {
        Ok(Ok(h)) => axum::response::Html(h).into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "the help page could not be made");
            crate::pages::error(
                &ui,
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-title",
                "error-internal",
            )
        }
        Err(_) => crate::pages::error(
            &ui,
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "error-internal-title",
            "error-internal",
        ),
    }
}
