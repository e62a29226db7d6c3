//! The Disclosure pages (`docs/ui.md`, "Disclosure"; `docs/disclosure.md`):
//! the requests of every channel and a form to make one (`/disclosure`),
//! each request's page with its parties' answers, the consent and refusal
//! forms and the export (`/disclosure/{id}`), and the offline verifier
//! (`/verify`, `web/verify/verify.html` on a response of its own with a
//! Content-Security-Policy that allows exactly its inline script and style
//! by hash and no connection).
//!
//! Every step calls the client library the way `hotline disclose …` does:
//! [`draft_request`], [`draft_answer`] and [`send`] for the messages,
//! [`answers`] for where a request stands, [`export_file`] for the bundle.

use std::sync::{Arc, LazyLock};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use hotline_client::compose::{ComposeError, send};
use hotline_client::disclosure::{
    Answers, DisclosureError, FoundRequest, answers, draft_answer, draft_request, export_file,
    find_request, requests,
};
use hotline_client::relay_client::RelayClient;
use hotline_core::ids::{ChannelId, MessageId};
use hotline_disclosure::Verdict;
use hotline_disclosure::terms::Redaction;
use sha2::{Digest as _, Sha256};

use crate::Ui;
use crate::compose::Choice;
use crate::i18n::Tr;
use crate::security::{OwnCsp, Session};
use crate::view::{self, ChannelView, Chrome, ViewError};

/// The routes of this module (merged into [`crate::router`]).
pub(crate) fn routes() -> Router<Arc<Ui>> {
    Router::new()
        .route("/disclosure", get(list).post(request))
        .route("/disclosure/{id}", get(show))
        .route("/disclosure/{id}/{action}", post(act))
        .route("/verify", get(verify))
}

/// The longest purpose taken (it becomes the request's title too).
pub(crate) const MAX_PURPOSE: usize = 2_000;
/// The longest refusal reason taken.
pub(crate) const MAX_REASON: usize = 16 * 1024;

/// The redactions offered as checkboxes: every part of a kind, as
/// `hotline disclose request --redact` names them.
pub(crate) const REDACT_KINDS: [&str; 3] = ["body", "attachment", "stix"];

/// What the request form said (kept when the page is shown again).
#[derive(Debug, Default, Clone)]
pub(crate) struct Form {
    pub channel: String,
    pub cases: Vec<String>,
    pub purpose: String,
    pub redact: Vec<String>,
    /// `ENTRY:PART` redactions, separated by spaces or commas.
    pub parts: String,
}

impl Form {
    pub(crate) fn parse(bytes: &[u8]) -> Form {
        let mut f = Form::default();
        for (k, v) in form_urlencoded::parse(bytes) {
            let v = v.into_owned();
            match &*k {
                "channel" => f.channel = v,
                "case" => f.cases.push(v),
                "purpose" => f.purpose = v,
                "redact" => f.redact.push(v),
                "parts" => f.parts = v,
                _ => {}
            }
        }
        f
    }

    /// Every redaction asked for, as the CLI's `--redact` values.
    fn redactions(&self) -> Vec<String> {
        self.redact
            .iter()
            .cloned()
            .chain(
                self.parts
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            )
            .collect()
    }
}

/// One row of the list of requests.
pub(crate) struct RequestRow {
    pub id: String,
    pub purpose: String,
    pub requester: String,
    pub cases: usize,
    /// "waiting for …", "consented by every party", "refused by …".
    pub status: String,
    /// `pending`, `consented` or `refused` (a CSS class; the text says it).
    pub status_class: &'static str,
    /// Addressed to our party, not answered yet.
    pub needs_us: bool,
}

/// The cases of one channel our party may ask to disclose.
pub(crate) struct CaseGroup {
    /// "Cases of <channel title>".
    pub legend: String,
    pub cases: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "disclosure.html")]
pub(crate) struct ListPage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub rows: Vec<RequestRow>,
    pub channels: Vec<Choice>,
    pub groups: Vec<CaseGroup>,
    pub redact: Vec<Choice>,
    pub form: Form,
    /// What stopped the request, each a sentence.
    pub errors: Vec<String>,
}

/// One party's answer, on the request's page.
pub(crate) struct PartyAnswer {
    pub party: String,
    /// "requested (consents)", "consented", "refused: …", "not answered yet".
    pub answer: String,
    /// `consented`, `refused` or `pending`.
    pub class: &'static str,
}

#[derive(Template)]
#[template(path = "disclosure_request.html")]
pub(crate) struct RequestPage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub id: String,
    pub channel: String,
    pub requester: String,
    pub purpose: String,
    /// (case id, its title as this archive knows it, if it does).
    pub cases: Vec<(String, Option<String>)>,
    pub redactions: Vec<String>,
    pub parties: Vec<PartyAnswer>,
    /// Our party may consent or refuse (addressed to it, not answered).
    pub can_answer: bool,
    /// Every required party consented and none refused: the export.
    pub complete: bool,
    pub refused: bool,
}

/// Why a disclosure step was not taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// No such request (or action).
    #[error("not found")]
    NotFound,
    /// Not for our party now (answered already, not addressed to us,
    /// consents missing for an export).
    #[error("{0}")]
    Conflict(String),
    /// The library refused what was asked.
    #[error("{0}")]
    Invalid(String),
    /// The relay refused or could not be reached.
    #[error("{0}")]
    Relay(String),
    #[error(transparent)]
    View(#[from] ViewError),
    #[error("{0}")]
    Internal(String),
}

impl From<hotline_client::archive::ArchiveError> for Error {
    fn from(e: hotline_client::archive::ArchiveError) -> Self {
        Error::View(e.into())
    }
}

impl From<DisclosureError> for Error {
    fn from(e: DisclosureError) -> Self {
        match e {
            DisclosureError::Invalid(s) => Error::Invalid(s),
            e => Error::Internal(e.to_string()),
        }
    }
}

impl From<ComposeError> for Error {
    fn from(e: ComposeError) -> Self {
        match e {
            ComposeError::Invalid(s) => Error::Invalid(s),
            ComposeError::Relay(r) => Error::Relay(r.to_string()),
            e => Error::Internal(e.to_string()),
        }
    }
}

fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Relay(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::View(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The error as a page: what happened and that nothing was sent.
fn error_page(ui: &Ui, e: &Error) -> Response {
    let status = status_of(e);
    match e {
        Error::NotFound => {
            return crate::pages::error(
                ui,
                status,
                "error-not-found-title",
                "disclosure-not-found",
            );
        }
        Error::View(_) | Error::Internal(_) => {
            tracing::error!(error = %e, "a disclosure step failed");
            return crate::pages::error(ui, status, "error-internal-title", "error-internal");
        }
        _ => tracing::warn!(error = %e, "a disclosure step was refused"),
    }
    let page = view::ErrorPage {
        tr: ui.tr(),
        title: ui.tr().t("disclosure-failed-title"),
        text: ui.tr().args("disclosure-failed", &[("why", e.to_string())]),
    };
    match page.render() {
        Ok(h) => (status, Html(h)).into_response(),
        Err(_) => status.into_response(),
    }
}

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// Runs `f` on the blocking pool; its error as a page.
async fn blocking(
    ui: Arc<Ui>,
    f: impl FnOnce(&Ui) -> Result<Response, Error> + Send + 'static,
) -> Response {
    let u = ui.clone();
    match crate::i18n::blocking(move || f(&u)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => error_page(&ui, &e),
        Err(e) => error_page(&ui, &Error::Internal(e.to_string())),
    }
}

/// The words for a request's standing and its CSS class.
fn standing(tr: &Tr, ch: &ChannelView, a: &Answers) -> (String, &'static str) {
    let names = |ps: Vec<hotline_core::keys::KeyId>| {
        ps.iter()
            .map(|p| ch.short(p))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let refused: Vec<_> = a
        .answers
        .iter()
        .filter(|x| x.refusal.is_some())
        .map(|x| x.party)
        .collect();
    if !refused.is_empty() {
        (
            tr.args("disclosure-refused-by", &[("parties", names(refused))]),
            "refused",
        )
    } else if a.complete() {
        (tr.t("disclosure-consented-all"), "consented")
    } else {
        (
            tr.args("disclosure-waiting-for", &[("parties", names(a.missing()))]),
            "pending",
        )
    }
}

/// The list page for `form` (its defaults when empty).
fn list_page<'a>(
    ui: &'a Ui,
    chrome: Chrome,
    mut form: Form,
    errors: Vec<String>,
) -> Result<ListPage<'a>, Error> {
    let tr = ui.tr();
    let chans = view::channels(ui)?;
    let mut rows = Vec::new();
    let mut groups = Vec::new();
    for ch in &chans {
        for r in requests(&ui.archive, &ch.id)? {
            let a = answers(&ui.archive, &ch.id, &r)?;
            let (status, status_class) = standing(tr, ch, &a);
            rows.push(RequestRow {
                id: r.id.to_hex(),
                purpose: r.terms.purpose.clone(),
                requester: ch.short(&r.party),
                cases: r.terms.cases.len(),
                status,
                status_class,
                needs_us: ch.me.is_some_and(|m| r.to.contains(&m) && !a.answered(&m)),
            });
        }
        let Some(me) = ch.me else { continue };
        let cases: Vec<Choice> = ch
            .cases
            .iter()
            .filter(|c| c.opener == me || c.to.contains(&me))
            .map(|c| {
                let id = c.id.to_hex();
                Choice {
                    label: tr.args(
                        "disclosure-case-item",
                        &[
                            ("title", c.title.clone()),
                            ("kind", c.kind.as_str().to_owned()),
                            ("state", tr.t(&format!("state-{}", view::state_id(c.state)))),
                        ],
                    ),
                    on: form.cases.contains(&id),
                    value: id,
                }
            })
            .collect();
        if !cases.is_empty() {
            groups.push(CaseGroup {
                legend: tr.args(
                    "disclosure-cases-of",
                    &[("channel", ch.charter.title.clone())],
                ),
                cases,
            });
        }
    }
    rows.reverse(); // the newest first
    if form.channel.is_empty()
        && let Some(c) = chans.first()
    {
        form.channel = c.id.to_hex();
    }
    let channels = chans
        .iter()
        .map(|c| Choice {
            value: c.id.to_hex(),
            label: format!("{} ({})", c.charter.title, c.id.to_hex()),
            on: c.id.to_hex() == form.channel,
        })
        .collect();
    let redact = REDACT_KINDS
        .iter()
        .map(|k| Choice {
            value: (*k).into(),
            label: tr.t(&format!("disclosure-redact-{k}")),
            on: form.redact.iter().any(|r| r == k),
        })
        .collect();
    Ok(ListPage {
        chrome,
        tr,
        title: tr.t("disclosure-title"),
        rows,
        channels,
        groups,
        redact,
        form,
        errors,
    })
}

/// `GET /disclosure`.
pub(crate) async fn list(State(ui): State<Arc<Ui>>, Extension(s): Extension<Session>) -> Response {
    blocking(ui, move |ui| {
        let chrome = view::chrome(ui, s.csrf)?;
        let page = list_page(ui, chrome, Form::default(), vec![])?;
        Ok(Html(page.render().map_err(ViewError::from)?).into_response())
    })
    .await
}

/// What the form asks, checked: (channel, cases, redactions), or what is
/// wrong with it.
pub(crate) fn checked(
    tr: &Tr,
    f: &Form,
) -> Result<(ChannelId, Vec<MessageId>, Vec<String>), Vec<String>> {
    let mut errors = Vec::new();
    let channel = ChannelId::from_hex(&f.channel).ok();
    if channel.is_none() {
        errors.push(tr.t("disclosure-bad-channel"));
    }
    let mut cases = Vec::new();
    for c in &f.cases {
        match MessageId::from_hex(c) {
            Ok(id) if !cases.contains(&id) => cases.push(id),
            Ok(_) => {}
            Err(_) => errors.push(tr.args("disclosure-bad-case", &[("case", c.clone())])),
        }
    }
    if f.cases.is_empty() {
        errors.push(tr.t("disclosure-no-case"));
    }
    if f.purpose.trim().is_empty() {
        errors.push(tr.t("disclosure-no-purpose"));
    }
    if f.purpose.chars().count() > MAX_PURPOSE {
        errors.push(tr.args(
            "disclosure-purpose-too-long",
            &[("max", MAX_PURPOSE.to_string())],
        ));
    }
    let redact = f.redactions();
    for r in &redact {
        if let Err(e) = Redaction::parse(r) {
            errors.push(e.to_string());
        }
    }
    match channel {
        Some(ch) if errors.is_empty() => Ok((ch, cases, redact)),
        _ => Err(errors),
    }
}

/// `POST /disclosure` (behind the Origin and CSRF checks): sends the
/// request as `hotline disclose request` does, then 303 to its page; else
/// the page again with what is wrong (422) or the relay's reason (503),
/// nothing sent.
pub(crate) async fn request(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    blocking(ui, move |ui| {
        let chrome = view::chrome(ui, s.csrf)?;
        let sent = checked(ui.tr(), &form)
            .map_err(|errors| (StatusCode::UNPROCESSABLE_ENTITY, errors))
            .and_then(|(channel, cases, redact)| {
                send_request(ui, &channel, &cases, &redact, form.purpose.trim())
                    .map_err(|e| (status_of(&e), vec![e.to_string()]))
            });
        match sent {
            Ok(id) => {
                tracing::info!("disclosure requested");
                let _ = ui.events.send(0);
                Ok(see_other(format!("/disclosure/{}", id.to_hex())))
            }
            Err((status, errors)) => {
                if status == StatusCode::INTERNAL_SERVER_ERROR {
                    return Err(Error::Internal(errors.join("; ")));
                }
                tracing::warn!(
                    status = status.as_u16(),
                    "the disclosure request was not sent"
                );
                let page = list_page(ui, chrome, form, errors)?;
                Ok((status, Html(page.render().map_err(ViewError::from)?)).into_response())
            }
        }
    })
    .await
}

fn relay(ui: &Ui, channel: &ChannelId) -> Result<RelayClient, Error> {
    let rec = ui.archive.channel(channel)?;
    Ok(
        RelayClient::new(&rec.relay_url, ui.keys.current.signing.clone())
            .map_err(ComposeError::from)?,
    )
}

fn send_request(
    ui: &Ui,
    channel: &ChannelId,
    cases: &[MessageId],
    redact: &[String],
    purpose: &str,
) -> Result<MessageId, Error> {
    if ui.archive.channel(channel).is_err() {
        return Err(Error::Invalid(ui.tr().t("disclosure-bad-channel")));
    }
    let me = my_party(ui, channel)?;
    let d = draft_request(&ui.archive, channel, &me, cases, redact, purpose)?;
    let (_, id) = send(&ui.archive, &relay(ui, channel)?, channel, &*ui.keys, &d)?;
    Ok(id)
}

fn my_party(ui: &Ui, channel: &ChannelId) -> Result<hotline_core::keys::KeyId, Error> {
    hotline_client::channel::party_of(&ui.archive, channel, &ui.keys.current.signing.key_id())?
        .ok_or_else(|| Error::Conflict(ui.tr().t("disclosure-not-a-member")))
}

/// The request `id` and its channel, if a channel has it.
fn locate(ui: &Ui, id: &str) -> Result<(ChannelView, FoundRequest), Error> {
    let id = MessageId::from_hex(id).map_err(|_| Error::NotFound)?;
    for ch in view::channels(ui)? {
        match find_request(&ui.archive, &ch.id, &id) {
            Ok(r) => return Ok((ch, r)),
            Err(DisclosureError::Invalid(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::NotFound)
}

/// How a redaction reads.
pub(crate) fn redaction_words(tr: &Tr, r: &str) -> String {
    match Redaction::parse(r) {
        Ok(Redaction::Part(n, p)) => tr.args(
            "disclosure-redact-part",
            &[("entry", n.to_string()), ("part", p.to_string())],
        ),
        Ok(Redaction::Lang(l)) => tr.args("disclosure-redact-lang", &[("lang", l)]),
        Ok(_) => tr.t(&format!("disclosure-redact-{r}")),
        Err(_) => r.to_owned(),
    }
}

/// `GET /disclosure/{id}`.
pub(crate) async fn show(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    blocking(ui, move |ui| {
        let tr = ui.tr();
        let chrome = view::chrome(ui, s.csrf)?;
        let (ch, r) = locate(ui, &id)?;
        let a = answers(&ui.archive, &ch.id, &r)?;
        let parties = a
            .required
            .iter()
            .map(|p| {
                let (answer, class) = if *p == r.party {
                    (tr.t("disclosure-answer-requester"), "consented")
                } else if let Some(x) = a.answers.iter().find(|x| x.party == *p) {
                    match &x.refusal {
                        None => (
                            tr.args(
                                "disclosure-answer-consented",
                                &[("index", x.index.to_string())],
                            ),
                            "consented",
                        ),
                        Some(why) => (
                            tr.args(
                                "disclosure-answer-refused",
                                &[("index", x.index.to_string()), ("reason", why.clone())],
                            ),
                            "refused",
                        ),
                    }
                } else {
                    (tr.t("disclosure-answer-pending"), "pending")
                };
                PartyAnswer {
                    party: ch.short(p),
                    answer,
                    class,
                }
            })
            .collect();
        let page = RequestPage {
            chrome,
            tr,
            title: tr.args(
                "disclosure-request-title",
                &[("purpose", r.terms.purpose.clone())],
            ),
            id: r.id.to_hex(),
            channel: ch.charter.title.clone(),
            requester: ch.short(&r.party),
            purpose: r.terms.purpose.clone(),
            cases: r
                .terms
                .cases
                .iter()
                .map(|c| {
                    let title = ch
                        .cases
                        .iter()
                        .find(|k| k.id.to_hex() == *c)
                        .map(|k| k.title.clone());
                    (c.clone(), title)
                })
                .collect(),
            redactions: r
                .terms
                .redact
                .iter()
                .map(|x| redaction_words(tr, x))
                .collect(),
            parties,
            can_answer: ch.me.is_some_and(|m| r.to.contains(&m) && !a.answered(&m)),
            complete: a.complete(),
            refused: a.answers.iter().any(|x| x.refusal.is_some()),
        };
        Ok(Html(page.render().map_err(ViewError::from)?).into_response())
    })
    .await
}

/// `POST /disclosure/{id}/consent`, `…/refuse` (with `reason`) and
/// `…/export` (behind the Origin and CSRF checks).
pub(crate) async fn act(
    State(ui): State<Arc<Ui>>,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let reason = crate::security::form_field(&body, "reason").unwrap_or_default();
    if reason.len() > MAX_REASON {
        return crate::pages::error(
            &ui,
            StatusCode::PAYLOAD_TOO_LARGE,
            "disclosure-failed-title",
            "disclosure-reason-too-long",
        );
    }
    blocking(ui, move |ui| match action.as_str() {
        "consent" => answer(ui, &id, None),
        "refuse" => answer(ui, &id, Some(reason.trim())),
        "export" => export(ui, &id),
        _ => Err(Error::NotFound),
    })
    .await
}

/// Consents to (or, with `refusal`, refuses) request `id`, as `hotline
/// disclose consent|refuse` does; only once, and only when it is addressed
/// to our party (409 otherwise).
fn answer(ui: &Ui, id: &str, refusal: Option<&str>) -> Result<Response, Error> {
    let (ch, r) = locate(ui, id)?;
    let me = my_party(ui, &ch.id)?;
    if !r.to.contains(&me) {
        return Err(Error::Conflict(ui.tr().t("disclosure-not-addressed")));
    }
    if answers(&ui.archive, &ch.id, &r)?.answered(&me) {
        return Err(Error::Conflict(ui.tr().t("disclosure-answered-already")));
    }
    let d = draft_answer(&ui.archive, &ch.id, &me, &r, refusal)?;
    let (index, _) = send(&ui.archive, &relay(ui, &ch.id)?, &ch.id, &*ui.keys, &d)?;
    tracing::info!(index, refused = refusal.is_some(), "disclosure answered");
    let _ = ui.events.send(0);
    Ok(see_other(format!("/disclosure/{}", r.id.to_hex())))
}

/// The bundle file's name: only hex digits of the request id, so nothing
/// of another party's choosing reaches the header.
pub(crate) fn bundle_name(id: &MessageId) -> String {
    format!("disclosure-{}.disclosure.json", id.to_hex())
}

/// The bundle of request `id` as a download, made by [`export_file`] (the
/// function `hotline disclose export` calls). Only once every required
/// party consented and none refused (409 before), and only a bundle that
/// verifies here as valid.
fn export(ui: &Ui, id: &str) -> Result<Response, Error> {
    let (ch, r) = locate(ui, id)?;
    let a = answers(&ui.archive, &ch.id, &r)?;
    if !a.complete() {
        let (why, _) = standing(ui.tr(), &ch, &a);
        return Err(Error::Conflict(
            ui.tr().args("disclosure-not-complete", &[("why", why)]),
        ));
    }
    let relay = relay(ui, &ch.id)?;
    let f = export_file(&ui.archive, Some(&relay), &ch.id, &r).map_err(|e| match e {
        // Such as a checkpoint not covering the answers yet.
        DisclosureError::Invalid(s) => Error::Conflict(s),
        e => Error::Internal(e.to_string()),
    })?;
    match f.report.verdict {
        Verdict::Valid => {}
        Verdict::NotConsented => {
            return Err(Error::Conflict(ui.tr().args(
                "disclosure-not-complete",
                &[("why", f.report.missing_consents.join(", "))],
            )));
        }
        Verdict::Invalid => {
            let failed: Vec<String> = f
                .report
                .checks
                .iter()
                .filter(|c| !c.ok)
                .map(|c| format!("{}: {}", c.what, c.detail))
                .collect();
            return Err(Error::Internal(format!(
                "the exported bundle does not verify: {}",
                failed.join("; ")
            )));
        }
    }
    tracing::info!(entries = f.entries, "disclosure bundle exported");
    let disposition = format!("attachment; filename=\"{}\"", bundle_name(&r.id));
    let mut resp = ([(header::CONTENT_TYPE, "application/json")], f.bytes).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// `web/verify/verify.html`, the offline verifier, as committed.
pub(crate) const VERIFY_HTML: &str = include_str!("../../../web/verify/verify.html");

/// The text of the first `<tag>…</tag>` element of `html` (exactly what a
/// browser hashes for a CSP hash source).
pub(crate) fn inline<'a>(html: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = html.find(&open)? + open.len();
    let len = html[start..].find(&format!("</{tag}>"))?;
    html.get(start..start + len)
}

/// `'sha256-…'` of `text`.
pub(crate) fn hash_source(text: &str) -> String {
    let d = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, d)
    )
}

/// The Content-Security-Policy of `/verify`: its one inline script and its
/// one inline style by hash, nothing else; no connection, no form, no
/// frame, no image.
pub(crate) static VERIFY_CSP: LazyLock<String> = LazyLock::new(|| {
    let src = |tag| inline(VERIFY_HTML, tag).map_or_else(|| "'none'".to_owned(), hash_source);
    format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'none'; img-src 'none'; \
         form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        src("script"),
        src("style")
    )
});

/// `GET /verify`: the offline verifier. The bundle is chosen in the page
/// and checked in the browser; nothing is sent to this server or anywhere.
pub(crate) async fn verify() -> Response {
    let mut r = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        VERIFY_HTML,
    )
        .into_response();
    match HeaderValue::from_str(&VERIFY_CSP) {
        Ok(v) => {
            r.extensions_mut().insert(OwnCsp(v));
        }
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
    r
}
