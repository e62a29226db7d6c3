//! A case's evidence: the graph page (`GET /case/{id}/evidence`) and the
//! attachment downloads (`GET /case/{id}/attachment/{index}/{n}`), both
//! read from the archive.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use hotline_client::archive::AttachmentError;

use crate::Ui;
use crate::graph::{self, Graph};
use crate::i18n::Tr;
use crate::security::Session;
use crate::view::{self, Chrome, ViewError};

#[derive(Template)]
#[template(path = "evidence.html")]
pub(crate) struct EvidencePage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub case_id: String,
    pub case_title: String,
    pub graph: Graph,
    /// Our own rendering ([`Graph::svg`]): every STIX string in it is
    /// escaped.
    pub svg: String,
    /// Whether some nodes are not drawn (more than [`graph::MAX_DRAWN`]).
    pub cut: bool,
}

fn page_error(ui: &Ui, status: StatusCode, title: &str, text: &str) -> Response {
    crate::pages::error(ui, status, title, text)
}

fn internal(ui: &Ui, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "an evidence page could not be made");
    page_error(
        ui,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error-internal-title",
        "error-internal",
    )
}

/// The evidence page of case `id`, if a channel has it.
pub(crate) fn graph_page(ui: &Ui, chrome: Chrome, id: &str) -> Result<Option<String>, ViewError> {
    let tr = ui.tr();
    for ch in view::channels(ui)? {
        let Some(c) = ch.cases.iter().find(|c| c.id.to_hex() == id) else {
            continue;
        };
        let mut bundles = Vec::new();
        for e in &c.timeline {
            if let Some(b) = ui.archive.message_stix(&ch.id, e.index)? {
                bundles.push((e.index, b));
            }
        }
        let g = graph::from_bundles(&bundles);
        let note = tr.args(
            "evidence-graph-desc",
            &[
                ("objects", g.nodes.len().to_string()),
                ("relations", g.edges.len().to_string()),
            ],
        );
        let svg = g.svg(
            &tr.args("evidence-graph-name", &[("title", c.title.clone())]),
            &note,
        );
        let page = EvidencePage {
            chrome,
            tr,
            title: tr.t("evidence-title"),
            case_id: c.id.to_hex(),
            case_title: c.title.clone(),
            cut: g.nodes.len() > graph::MAX_DRAWN,
            graph: g,
            svg,
        };
        return Ok(Some(page.render()?));
    }
    Ok(None)
}

/// `GET /case/{id}/evidence`.
pub(crate) async fn graph(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    let u = ui.clone();
    let r = crate::i18n::blocking(move || {
        let chrome = view::chrome(&u, s.csrf)?;
        graph_page(&u, chrome, &id)
    })
    .await;
    match r {
        Ok(Ok(Some(h))) => Html(h).into_response(),
        Ok(Ok(None)) => page_error(
            &ui,
            StatusCode::NOT_FOUND,
            "error-not-found-title",
            "case-not-found",
        ),
        Ok(Err(e)) => internal(&ui, &e),
        Err(e) => internal(&ui, &e),
    }
}

/// `attachment; filename="…"; filename*=UTF-8''…` for a name cleaned by
/// [`crate::uploads::clean_name`]: an ASCII fallback (other bytes as `_`)
/// and the UTF-8 name percent-encoded (RFC 6266, RFC 8187), so that no
/// quote, semicolon, path or control character gets through.
pub(crate) fn disposition(raw: &str) -> String {
    let name = crate::uploads::clean_name(raw);
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut enc = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{enc}")
}

/// `GET /case/{id}/attachment/{index}/{n}`: attachment `n` of the message
/// at log `index` of case `id`, as the archive holds it, checked against
/// the signed commitment first (a stored message altered since the sync is
/// refused with 500, and logged). Always `application/octet-stream`, to be
/// saved, never shown.
pub(crate) async fn attachment(
    State(ui): State<Arc<Ui>>,
    Path((id, index, n)): Path<(String, u64, usize)>,
) -> Response {
    let u = ui.clone();
    let r = crate::i18n::blocking(move || -> Result<_, AttachmentError> {
        for rec in u.archive.channels()? {
            let msgs = u.archive.logged_messages(&rec.id)?;
            if msgs
                .iter()
                .any(|m| m.index == index && m.header.case.to_hex() == id)
            {
                return u.archive.message_attachment(&rec.id, index, n).map(Some);
            }
        }
        Ok(None)
    })
    .await;
    let a = match r {
        Ok(Ok(Some(a))) => a,
        Ok(Ok(None)) | Ok(Err(AttachmentError::NotFound)) => {
            return page_error(
                &ui,
                StatusCode::NOT_FOUND,
                "error-not-found-title",
                "evidence-no-attachment",
            );
        }
        Ok(Err(e @ AttachmentError::Tampered(..))) => {
            tracing::error!(error = %e, "an attachment was refused");
            return page_error(
                &ui,
                StatusCode::INTERNAL_SERVER_ERROR,
                "evidence-tampered-title",
                "evidence-tampered",
            );
        }
        Ok(Err(e)) => return internal(&ui, &e),
        Err(e) => return internal(&ui, &e),
    };
    let mut r = a.bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(&a.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    } else {
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    r
}
