//! The page handlers: thin, each gathering its view in a blocking task
//! ([`crate::view`]) and rendering a compiled template.

use std::sync::Arc;

use askama::Template as _;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use hotline_client::compose::ComposeError;

use crate::Ui;
use crate::security::Session;
use crate::view::{self, Filter, ViewError};

const STYLE: &str = include_str!("../static/style.css");
const SCRIPT: &str = include_str!("../static/live.js");

/// A page of its own for an error: the status and two strings.
pub(crate) fn error(ui: &Ui, status: StatusCode, title: &str, text: &str) -> Response {
    let page = view::ErrorPage {
        tr: ui.tr(),
        title: ui.tr().t(title),
        text: ui.tr().t(text),
    };
    match page.render() {
        Ok(h) => (status, Html(h)).into_response(),
        Err(_) => status.into_response(),
    }
}

fn internal(ui: &Ui, e: &ViewError) -> Response {
    tracing::error!(error = %e, "a page could not be made");
    error(
        ui,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error-internal-title",
        "error-internal",
    )
}

/// Runs `f` on the blocking pool and renders its result (an error page if
/// it fails).
pub(crate) async fn blocking(
    ui: Arc<Ui>,
    f: impl FnOnce(&Ui) -> Result<Option<String>, ViewError> + Send + 'static,
) -> Response {
    let u = ui.clone();
    match crate::i18n::blocking(move || f(&u)).await {
        Ok(Ok(Some(h))) => Html(h).into_response(),
        Ok(Ok(None)) => error(
            &ui,
            StatusCode::NOT_FOUND,
            "error-not-found-title",
            "case-not-found",
        ),
        Ok(Err(e)) => internal(&ui, &e),
        Err(e) => {
            tracing::error!(error = %e, "a page task failed");
            error(
                &ui,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-title",
                "error-internal",
            )
        }
    }
}

fn list<'a>(
    ui: &'a Ui,
    chans: &[view::ChannelView],
    f: &Filter,
    shown: &view::Shown,
    notices: Vec<String>,
) -> view::InboxList<'a> {
    let limit = shown.limit();
    let (rows, total) = view::inbox_rows(ui, chans, f, limit);
    let q = f.query();
    let with = |path: &str, n: Option<usize>| {
        let mut q = q.clone();
        if let Some(n) = n {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(&format!("shown={n}"));
        }
        if q.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{q}")
        }
    };
    let repeat = (limit != view::INBOX_PAGE).then_some(limit);
    view::InboxList {
        tr: ui.tr(),
        more: (total > rows.len()).then(|| view::More {
            text: ui.tr().args(
                "inbox-shown",
                &[
                    ("shown", rows.len().to_string()),
                    ("total", total.to_string()),
                ],
            ),
            link: ui
                .tr()
                .args("inbox-more", &[("more", view::INBOX_PAGE.to_string())]),
            url: with("/", Some(limit.saturating_add(view::INBOX_PAGE))),
        }),
        rows,
        notices,
        fragment: with("/fragment/inbox", repeat),
    }
}

/// `GET /`: the inbox.
pub(crate) async fn inbox(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    Query(f): Query<Filter>,
    Query(shown): Query<view::Shown>,
) -> Response {
    blocking(ui, move |ui| {
        let chans = view::channels(ui)?;
        let chrome = view::chrome(ui, s.csrf)?;
        let list = list(ui, &chans, &f, &shown, chrome.notices.clone());
        let page = view::InboxPage {
            tr: ui.tr(),
            title: ui.tr().t("inbox-title"),
            choices: view::choices(ui, &chans),
            filter: f,
            list,
            chrome,
            no_channel: chans.is_empty(),
        };
        Ok(Some(page.render()?))
    })
    .await
}

/// `GET /fragment/inbox?…`: the inbox list alone (what `live.js` swaps in).
pub(crate) async fn inbox_fragment(
    State(ui): State<Arc<Ui>>,
    Query(f): Query<Filter>,
    Query(shown): Query<view::Shown>,
) -> Response {
    blocking(ui, move |ui| {
        let chans = view::channels(ui)?;
        let chrome = view::chrome(ui, String::new())?;
        Ok(Some(list(ui, &chans, &f, &shown, chrome.notices).render()?))
    })
    .await
}

/// `GET /case/{id}`.
pub(crate) async fn case(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    blocking(ui, move |ui| {
        let chrome = view::chrome(ui, s.csrf)?;
        view::case_page(ui, chrome, &id)
    })
    .await
}

/// `POST /case/{id}/{action}` (`ack`, `interim`, `answer`, `clarify`,
/// `close`, `reopen`; a form with the CSRF token, checked by the security
/// layer): sends the reply as the matching `hotline case …` does, then back
/// to the case (303). 404 for no such case or action, 409 when the reply
/// does not apply to our party and the case's state, 413/422 for a body too
/// long or missing, 503 when the relay refused or could not be reached —
/// nothing sent in each.
pub(crate) async fn reply(
    State(ui): State<Arc<Ui>>,
    Path((id, action)): Path<(String, String)>,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> Response {
    use crate::actions::ActionError;
    let Some(action) = crate::actions::by_path(&action) else {
        return not_found(State(ui)).await;
    };
    let body = form.get("body").cloned().unwrap_or_default();
    if body.len() > crate::actions::MAX_BODY {
        return error(
            &ui,
            StatusCode::PAYLOAD_TOO_LARGE,
            "action-failed-title",
            "action-too-long",
        );
    }
    let u = ui.clone();
    let case = id.clone();
    let r =
        crate::i18n::blocking(move || crate::actions::reply(&u, &case, action.kind, &body)).await;
    match r {
        Ok(Ok(index)) => {
            tracing::info!(index, kind = action.kind.as_str(), "reply sent");
            let _ = ui.events.send(0);
            (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/case/{id}"))],
            )
                .into_response()
        }
        Ok(Err(ActionError::NoCase)) => error(
            &ui,
            StatusCode::NOT_FOUND,
            "error-not-found-title",
            "case-not-found",
        ),
        Ok(Err(ActionError::NotOwed)) => error(
            &ui,
            StatusCode::CONFLICT,
            "action-failed-title",
            &format!("action-{}-not-owed", action.path),
        ),
        Ok(Err(ActionError::Invalid)) => error(
            &ui,
            StatusCode::UNPROCESSABLE_ENTITY,
            "action-failed-title",
            "action-body-needed",
        ),
        Ok(Err(ActionError::Send(e))) => {
            let status = match e {
                ComposeError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                ComposeError::Relay(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tracing::warn!(error = %e, kind = action.kind.as_str(), "the reply was not sent");
            let page = view::ErrorPage {
                tr: ui.tr(),
                title: ui.tr().t("action-failed-title"),
                text: ui.tr().args("action-failed", &[("why", e.to_string())]),
            };
            match page.render() {
                Ok(h) => (status, Html(h)).into_response(),
                Err(_) => status.into_response(),
            }
        }
        Ok(Err(ActionError::View(e))) => internal(&ui, &e),
        Err(e) => {
            tracing::error!(error = %e, "an action task failed");
            error(
                &ui,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-title",
                "error-internal",
            )
        }
    }
}

/// `GET /static/style.css`.
pub(crate) async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

/// `GET /static/live.js`.
pub(crate) async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

/// Anything else.
pub(crate) async fn not_found(State(ui): State<Arc<Ui>>) -> Response {
    error(
        &ui,
        StatusCode::NOT_FOUND,
        "error-not-found-title",
        "error-not-found-title",
    )
}
