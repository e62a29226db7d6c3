//! Channel set-up by file exchange (`docs/ui.md`, "Channel set-up"): the
//! pages under `/setup` do what `hotline channel draft|sign|register|join`
//! and `hotline roster publish` do, with the same library functions
//! (`hotline_client::channel`), so that a newcomer never needs the CLI.
//!
//! - `GET /setup`: the channels this profile follows (parties, relay,
//!   state) and the forms: sign (upload → review), register, join, and per
//!   channel *publish our roster*.
//! - `GET|POST /setup/draft`: the draft form → the draft charter, downloaded.
//! - `POST /setup/sign`: `step=review` shows the uploaded charter escaped;
//!   `step=sign` returns it signed, downloaded.
//! - `POST /setup/register`, `/setup/join`, `/setup/roster`: then 303 to
//!   `/setup`.
//!
//! Every form is `multipart/form-data` (files), its CSRF field checked by
//! the security layer; a body is at most [`crate::security::MAX_SETUP`],
//! each file at most [`MAX_FILE`]. A bad file is 422 with what is wrong,
//! and nothing is written.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use hotline_client::channel::{self, DraftOptions, SetupError};
use hotline_client::profile::{PartyInfo, Profile};
use hotline_client::relay_client::RelayError;
use hotline_core::charter::{Charter, Suite, VerifiedCharter};
use hotline_core::dsse::SignedDocument;
use hotline_core::ids::ChannelId;
use hotline_core::keys::SigningKey;
use hotline_core::message::{Kind, Tlp};

use crate::Ui;
use crate::i18n::Tr;
use crate::security::Session;
use crate::view::{self, Chrome, ViewError};

/// The largest file a set-up form takes (a charter or a profile is far
/// smaller; a signed document is at most 128 KiB).
pub(crate) const MAX_FILE: usize = 256 * 1024;

/// The profile served and its party key (`Ui::with_profile`).
pub(crate) struct Me {
    pub profile: Profile,
    pub party_key: Option<SigningKey>,
}

/// The set-up routes (merged into [`crate::router`], behind the security layer).
pub(crate) fn routes() -> Router<Arc<Ui>> {
    Router::new()
        .route("/setup", get(page))
        .route("/setup/draft", get(draft_page).post(draft))
        .route("/setup/sign", post(sign))
        .route("/setup/register", post(register))
        .route("/setup/join", post(join))
        .route("/setup/roster", post(roster))
        .layer(DefaultBodyLimit::max(crate::security::MAX_SETUP))
}

/// Why a set-up request failed: the status and what to say.
#[derive(Debug)]
pub(crate) struct Fail {
    status: StatusCode,
    what: String,
}

impl Fail {
    fn bad(what: String) -> Fail {
        Fail {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            what,
        }
    }
}

impl From<SetupError> for Fail {
    fn from(e: SetupError) -> Fail {
        let status = match &e {
            SetupError::Relay(RelayError::Problem { status, .. }) if *status < 500 => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            SetupError::Relay(_)
            | SetupError::Sync(_)
            | SetupError::NotConfirmed { .. }
            | SetupError::Alarm(..) => StatusCode::SERVICE_UNAVAILABLE,
            SetupError::NoPartyKey => StatusCode::CONFLICT,
            SetupError::Archive(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "a set-up step failed");
        } else {
            tracing::warn!(error = %e, "a set-up step was refused");
        }
        Fail {
            status,
            what: e.to_string(),
        }
    }
}

impl From<ViewError> for Fail {
    fn from(e: ViewError) -> Fail {
        tracing::error!(error = %e, "a set-up page could not be made");
        Fail {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            what: String::new(),
        }
    }
}

/// One part of a multipart form.
struct Part {
    name: String,
    /// The file's name, for a file input.
    file: Option<String>,
    data: Bytes,
}

/// A multipart form, read whole (the security layer bounded the body).
struct Upload {
    parts: Vec<Part>,
}

impl Upload {
    async fn read(tr: &Tr, m: Result<Multipart, MultipartRejection>) -> Result<Upload, Fail> {
        let mut m = m.map_err(|_| Fail::bad(tr.t("setup-not-multipart")))?;
        let mut parts = Vec::new();
        loop {
            let f = match m.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => return Err(Fail::bad(tr.t("setup-bad-form"))),
            };
            let name = f.name().unwrap_or_default().to_owned();
            let file = f.file_name().map(str::to_owned);
            let data = f
                .bytes()
                .await
                .map_err(|_| Fail::bad(tr.t("setup-bad-form")))?;
            if data.len() > MAX_FILE {
                return Err(Fail {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    what: tr.args(
                        "setup-file-too-large",
                        &[
                            ("name", file.clone().unwrap_or(name)),
                            ("max", "256".into()),
                        ],
                    ),
                });
            }
            parts.push(Part { name, file, data });
        }
        Ok(Upload { parts })
    }

    /// The text of field `name` ("" if absent).
    fn text(&self, name: &str) -> String {
        self.parts
            .iter()
            .find(|p| p.name == name && p.file.is_none())
            .map(|p| String::from_utf8_lossy(&p.data).into_owned())
            .unwrap_or_default()
    }

    /// The files chosen in input `name` (an empty input sends one nameless,
    /// empty part: skipped), each with its name.
    fn files(&self, name: &str) -> Vec<(String, &Bytes)> {
        self.parts
            .iter()
            .filter(|p| p.name == name && !p.data.is_empty())
            .filter_map(|p| p.file.as_ref().map(|f| (f.clone(), &p.data)))
            .collect()
    }

    /// The one charter: the file of input `charter`, else the text of field
    /// `charter_json` (the review page's hidden copy).
    fn charter(&self, tr: &Tr) -> Result<(String, SignedDocument), Fail> {
        let files = self.files("charter");
        let (name, bytes) = match files.as_slice() {
            [(n, b)] => (n.clone(), b.to_vec()),
            [] => {
                let t = self.text("charter_json");
                if t.trim().is_empty() {
                    return Err(Fail::bad(tr.t("setup-no-charter")));
                }
                (tr.t("setup-the-charter"), t.into_bytes())
            }
            _ => return Err(Fail::bad(tr.t("setup-one-charter"))),
        };
        let doc = channel::charter_doc(&name, &bytes)?;
        Ok((name, doc))
    }
}

fn me(ui: &Ui) -> Result<&Me, Fail> {
    ui.me.as_ref().ok_or_else(|| Fail {
        status: StatusCode::CONFLICT,
        what: ui.tr().t("setup-no-profile"),
    })
}

fn our_party(ui: &Ui) -> Option<PartyInfo> {
    ui.me.as_ref().and_then(|m| m.profile.info().party.clone())
}

/// Our party and its key, or 409 saying the key holder does this step.
fn party_key(ui: &Ui) -> Result<(PartyInfo, &SigningKey), Fail> {
    let m = me(ui)?;
    match (m.profile.info().party.clone(), m.party_key.as_ref()) {
        (Some(p), Some(k)) => Ok((p, k)),
        _ => Err(SetupError::NoPartyKey.into()),
    }
}

/// A JSON file to download.
fn download(name: &str, body: Vec<u8>) -> Response {
    let mut r = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// The file name of a charter's download: its channel id, 16 hex digits.
fn charter_file(doc: &SignedDocument) -> String {
    let id = ChannelId::for_charter_payload(&doc.payload).to_hex();
    format!("charter-{}.json", id.get(..16).unwrap_or(&id))
}

fn see_setup() -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/setup")]).into_response()
}

/// A duration as the draft form shows it: `24h`, `7d`, `90m`, `45s`.
fn dur(secs: Option<u64>) -> String {
    match secs {
        None => "-".into(),
        Some(s) if s % 86_400 == 0 => format!("{}d", s / 86_400),
        Some(s) if s % 3_600 == 0 => format!("{}h", s / 3_600),
        Some(s) if s % 60 == 0 => format!("{}m", s / 60),
        Some(s) => format!("{s}s"),
    }
}

/// One channel in the list.
pub(crate) struct ChannelRow {
    pub id: String,
    pub title: String,
    pub parties: Vec<PartyRow>,
    pub relay: String,
    pub verified: u64,
    /// Our party's roster version, if published.
    pub roster: Option<u64>,
    /// The background sync's problem with it, if any.
    pub problem: Option<String>,
}

/// A party as the pages show it.
pub(crate) struct PartyRow {
    pub short: String,
    pub name: String,
    /// The party id: the fingerprint of its key (hex).
    pub fingerprint: String,
    pub signed: bool,
    pub us: bool,
}

#[derive(Template)]
#[template(path = "setup.html")]
pub(crate) struct SetupPage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub errors: Vec<String>,
    pub channels: Vec<ChannelRow>,
    /// Our party's short name (none: a member-only profile).
    pub party: Option<String>,
    pub has_party_key: bool,
}

fn channel_rows(ui: &Ui) -> Result<Vec<ChannelRow>, ViewError> {
    let ours = our_party(ui).map(|p| p.id);
    let status = ui.status.read().map(|s| s.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for rec in ui.archive.channels()? {
        let doc = SignedDocument::from_json(&rec.charter)
            .map_err(|e| ViewError::Charter(e.to_string()))?;
        let v = VerifiedCharter::verify(&doc).map_err(|e| ViewError::Charter(e.to_string()))?;
        let c = v.charter();
        let roster = match ours {
            Some(p) => channel::latest_roster(&ui.archive, &rec.id, &p)?.map(|(r, _)| r.version),
            None => None,
        };
        out.push(ChannelRow {
            id: rec.id.to_hex(),
            title: c.title.clone(),
            parties: party_rows(c, &doc, ours.as_ref()),
            relay: rec.relay_url.clone(),
            verified: hotline_log::storage::LogStore::size(&ui.archive.log, &rec.origin)
                .map_err(hotline_client::archive::ArchiveError::from)?,
            roster,
            problem: status.problems.get(&rec.id).map(|p| match p {
                crate::live::Problem::Unreachable => ui.tr().t("notice-unreachable-never"),
                crate::live::Problem::Failed(why) => {
                    ui.tr().args("notice-sync-failed", &[("why", why.clone())])
                }
            }),
        });
    }
    Ok(out)
}

fn party_rows(
    c: &Charter,
    doc: &SignedDocument,
    ours: Option<&hotline_core::keys::KeyId>,
) -> Vec<PartyRow> {
    c.parties
        .iter()
        .map(|p| PartyRow {
            short: p.short.clone(),
            name: p.name.clone(),
            fingerprint: p.id.to_hex(),
            signed: doc.signatures.iter().any(|s| s.key_id == p.id),
            us: ours == Some(&p.id),
        })
        .collect()
}

/// The `/setup` page with `errors` (422 when there are some).
fn setup_page(
    ui: &Ui,
    csrf: String,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, Fail> {
    let page = SetupPage {
        chrome: view::chrome(ui, csrf)?,
        tr: ui.tr(),
        title: ui.tr().t("setup-title"),
        errors,
        channels: channel_rows(ui)?,
        party: our_party(ui).map(|p| p.short),
        has_party_key: ui.me.as_ref().is_some_and(|m| m.party_key.is_some()),
    };
    let html = page.render().map_err(ViewError::from)?;
    Ok((status, Html(html)).into_response())
}

/// Renders a failure: the `/setup` page with the reason (an internal error:
/// the generic page).
fn failed(ui: &Ui, csrf: String, f: Fail) -> Response {
    if f.status == StatusCode::INTERNAL_SERVER_ERROR {
        return crate::pages::error(
            ui,
            StatusCode::INTERNAL_SERVER_ERROR,
            "error-internal-title",
            "error-internal",
        );
    }
    let status = f.status;
    setup_page(ui, csrf, vec![f.what], status).unwrap_or_else(|_| {
        crate::pages::error(
            ui,
            StatusCode::INTERNAL_SERVER_ERROR,
            "error-internal-title",
            "error-internal",
        )
    })
}

/// Runs `f` on the blocking pool; a failure is shown by [`failed`].
async fn blocking(
    ui: Arc<Ui>,
    csrf: String,
    f: impl FnOnce(&Ui) -> Result<Response, Fail> + Send + 'static,
) -> Response {
    let u = ui.clone();
    let c = csrf.clone();
    match crate::i18n::blocking(move || f(&u).map_err(|e| (e, c))).await {
        Ok(Ok(r)) => r,
        Ok(Err((e, c))) => {
            let u = ui.clone();
            crate::i18n::blocking(move || failed(&u, c, e))
                .await
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Err(e) => {
            tracing::error!(error = %e, "a set-up task failed");
            crate::pages::error(
                &ui,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-title",
                "error-internal",
            )
        }
    }
}

/// `GET /setup`.
pub(crate) async fn page(State(ui): State<Arc<Ui>>, Extension(s): Extension<Session>) -> Response {
    let csrf = s.csrf.clone();
    blocking(ui, csrf.clone(), move |ui| {
        setup_page(ui, csrf, vec![], StatusCode::OK)
    })
    .await
}

// --- Draft -----------------------------------------------------------------

/// The kinds with deadlines in a draft, in the form's order.
const DEADLINE_KINDS: [Kind; 6] = [
    Kind::Inquiry,
    Kind::Assistance,
    Kind::Warning,
    Kind::Deconfliction,
    Kind::Consultation,
    Kind::Ping,
];

/// A deadline row of the draft form.
pub(crate) struct DeadlineRow {
    pub kind: &'static str,
    pub ack: String,
    pub answer: String,
}

/// A TLP choice.
pub(crate) struct TlpChoice {
    pub value: &'static str,
    pub on: bool,
}

/// A cipher suite offered by the draft form, with its explanation.
pub(crate) struct SuiteChoice {
    pub value: &'static str,
    pub label: String,
    pub on: bool,
}

/// What the draft form said (kept when it is shown again; files cannot be).
#[derive(Default)]
pub(crate) struct DraftForm {
    pub title: String,
    pub pasted: String,
    pub include_me: bool,
    pub relay_url: String,
    pub relay_key: String,
    pub witnesses: String,
    pub quorum: String,
    pub tlp: String,
    /// The cipher suite's name (empty: the default).
    pub suite: String,
}

#[derive(Template)]
#[template(path = "setup_draft.html")]
pub(crate) struct DraftPage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub errors: Vec<String>,
    pub form: DraftForm,
    pub deadlines: Vec<DeadlineRow>,
    pub tlps: Vec<TlpChoice>,
    pub suites: Vec<SuiteChoice>,
    /// Our party's short name, offered as a party of the draft.
    pub party: Option<String>,
}

fn draft_view<'a>(
    ui: &'a Ui,
    chrome: Chrome,
    form: DraftForm,
    deadlines: Vec<DeadlineRow>,
    errors: Vec<String>,
) -> DraftPage<'a> {
    let tlp = if form.tlp.is_empty() {
        Tlp::Amber.as_str().to_owned()
    } else {
        form.tlp.clone()
    };
    let suite = if form.suite.is_empty() {
        Suite::DEFAULT.name().to_owned()
    } else {
        form.suite.clone()
    };
    DraftPage {
        chrome,
        tr: ui.tr(),
        title: ui.tr().t("setup-draft-title"),
        errors,
        tlps: Tlp::ALL
            .iter()
            .map(|t| TlpChoice {
                value: t.as_str(),
                on: t.as_str() == tlp,
            })
            .collect(),
        suites: Suite::ALL
            .iter()
            .map(|s| SuiteChoice {
                value: s.name(),
                label: ui.tr().t(match s {
                    Suite::XWing => "setup-draft-suite-xwing",
                    Suite::V1 => "setup-draft-suite-v1",
                }),
                on: s.name() == suite,
            })
            .collect(),
        form,
        deadlines,
        party: our_party(ui).map(|p| p.short),
    }
}

fn default_rows() -> Vec<DeadlineRow> {
    let d = channel::default_deadlines();
    DEADLINE_KINDS
        .iter()
        .map(|k| {
            let x = d.get(k);
            DeadlineRow {
                kind: k.as_str(),
                ack: dur(x.and_then(|x| x.ack_within)),
                answer: dur(x.and_then(|x| x.answer_within)),
            }
        })
        .collect()
}

/// `GET /setup/draft`.
pub(crate) async fn draft_page(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
) -> Response {
    let csrf = s.csrf.clone();
    blocking(ui, csrf.clone(), move |ui| {
        let form = DraftForm {
            include_me: true,
            ..DraftForm::default()
        };
        let page = draft_view(ui, view::chrome(ui, csrf)?, form, default_rows(), vec![]);
        Ok(Html(page.render().map_err(ViewError::from)?).into_response())
    })
    .await
}

/// The parties of a draft: ours (if asked), the uploaded profiles, and the
/// pasted ones (one or more profile.json objects one after another).
fn draft_parties(ui: &Ui, up: &Upload, form: &DraftForm) -> Result<Vec<PartyInfo>, String> {
    let tr = ui.tr();
    let mut ps = Vec::new();
    if form.include_me {
        ps.push(our_party(ui).ok_or_else(|| tr.t("setup-no-own-party"))?);
    }
    for (name, bytes) in up.files("parties") {
        ps.push(channel::party_of_profile_json(&name, bytes).map_err(|e| e.to_string())?);
    }
    if !form.pasted.trim().is_empty() {
        let what = tr.t("setup-pasted-profile");
        let mut n = 0;
        for v in serde_json::Deserializer::from_str(&form.pasted).into_iter::<serde_json::Value>() {
            n += 1;
            let v = v.map_err(|e| {
                SetupError::NotAProfile(format!("{what} {n}"), e.to_string()).to_string()
            })?;
            ps.push(
                channel::party_of_profile_json(&format!("{what} {n}"), v.to_string().as_bytes())
                    .map_err(|e| e.to_string())?,
            );
        }
    }
    // One profile given twice (ours uploaded too, say) is one party.
    let mut seen = std::collections::BTreeSet::new();
    ps.retain(|p| seen.insert(p.id));
    Ok(ps)
}

/// `POST /setup/draft` (multipart): the draft charter, downloaded; else the
/// form again with what is wrong (422).
pub(crate) async fn draft(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    m: Result<Multipart, MultipartRejection>,
) -> Response {
    let csrf = s.csrf.clone();
    let up = match Upload::read(ui.tr(), m).await {
        Ok(u) => u,
        Err(f) => {
            return blocking(ui, csrf, move |_| Err(f)).await;
        }
    };
    blocking(ui, csrf.clone(), move |ui| {
        let tr = ui.tr();
        let form = DraftForm {
            title: up.text("title"),
            pasted: up.text("parties_pasted"),
            include_me: !up.text("include_me").is_empty(),
            relay_url: up.text("relay_url").trim().to_owned(),
            relay_key: up.text("relay_key").trim().to_owned(),
            witnesses: up.text("witnesses"),
            quorum: up.text("quorum").trim().to_owned(),
            tlp: up.text("tlp"),
            suite: up.text("suite").trim().to_owned(),
        };
        let rows: Vec<DeadlineRow> = DEADLINE_KINDS
            .iter()
            .map(|k| DeadlineRow {
                kind: k.as_str(),
                ack: up.text(&format!("ack_{}", k.as_str())).trim().to_owned(),
                answer: up.text(&format!("answer_{}", k.as_str())).trim().to_owned(),
            })
            .collect();
        let mut errors = Vec::new();
        if form.title.trim().is_empty() {
            errors.push(tr.t("setup-draft-no-title"));
        }
        let parties = draft_parties(ui, &up, &form).unwrap_or_else(|e| {
            errors.push(e);
            vec![]
        });
        let mut witnesses = Vec::new();
        for w in form.witnesses.lines().filter(|l| !l.trim().is_empty()) {
            match channel::parse_witness(w) {
                Ok(w) => witnesses.push(w),
                Err(e) => errors.push(e.to_string()),
            }
        }
        let quorum = match form.quorum.as_str() {
            "" => None,
            q => match q.parse::<u32>() {
                Ok(q) => Some(q),
                Err(_) => {
                    errors.push(tr.args("setup-draft-bad-quorum", &[("quorum", q.to_owned())]));
                    None
                }
            },
        };
        let mut deadlines = Vec::new();
        for r in &rows {
            if r.ack.is_empty() && r.answer.is_empty() {
                continue;
            }
            match channel::parse_deadline(&format!("{}={}/{}", r.kind, r.ack, r.answer)) {
                Ok(d) => deadlines.push(d),
                Err(e) => errors.push(e.to_string()),
            }
        }
        let suite = match form.suite.as_str() {
            "" => Some(Suite::DEFAULT),
            name => Suite::from_name(name).or_else(|| {
                errors.push(tr.args("setup-draft-bad-suite", &[("suite", name.to_owned())]));
                None
            }),
        };
        let default_tlp = match channel::parse_tlp(&form.tlp) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        };
        if errors.is_empty() {
            let o = DraftOptions {
                title: form.title.clone(),
                relay_url: form.relay_url.clone(),
                relay_key: form.relay_key.clone(),
                witnesses,
                witness_quorum: quorum,
                deadlines,
                default_tlp,
                suite,
            };
            match channel::draft_with(&o, &parties, &mut rand_core::OsRng) {
                Ok(doc) => {
                    tracing::info!(parties = parties.len(), "a charter was drafted");
                    return Ok(download(&charter_file(&doc), doc.to_json()));
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        let page = draft_view(ui, view::chrome(ui, csrf)?, form, rows, errors);
        let html = page.render().map_err(ViewError::from)?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
    })
    .await
}

// --- Sign ------------------------------------------------------------------

/// A deadline as the review page shows it.
pub(crate) struct DeadlineShown {
    pub kind: String,
    pub ack: String,
    pub answer: String,
}

#[derive(Template)]
#[template(path = "setup_review.html")]
pub(crate) struct ReviewPage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub file: String,
    pub channel: String,
    pub charter: Charter,
    pub parties: Vec<PartyRow>,
    pub deadlines: Vec<DeadlineShown>,
    pub tlp: &'static str,
    pub tlp_class: &'static str,
    /// The charter as uploaded (JSON), carried by the Sign form.
    pub json: String,
    /// Our party may sign (it is a party and we hold its key).
    pub can_sign: bool,
    pub signed_already: bool,
    pub missing: Vec<String>,
}

/// `POST /setup/sign` (multipart): `step=review` shows the charter;
/// `step=sign` signs it as our party and returns it to download.
pub(crate) async fn sign(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    m: Result<Multipart, MultipartRejection>,
) -> Response {
    let csrf = s.csrf.clone();
    let up = Upload::read(ui.tr(), m).await;
    blocking(ui, csrf.clone(), move |ui| {
        let up = up?;
        let tr = ui.tr();
        let (file, mut doc) = up.charter(tr)?;
        let c = hotline_core::charter::parse_unverified(&doc).map_err(SetupError::from)?;
        let ours = our_party(ui);
        if up.text("step") == "sign" {
            let (party, key) = party_key(ui)?;
            let signed = channel::sign_charter(&mut doc, &party, key)?;
            tracing::info!(already = signed.already, "a charter was signed");
            return Ok(download(&charter_file(&doc), doc.to_json()));
        }
        let d = &c.deadlines;
        let deadlines = d
            .iter()
            .map(|(k, x)| DeadlineShown {
                kind: k.as_str().to_owned(),
                ack: x
                    .ack_within
                    .map(view::duration)
                    .unwrap_or_else(|| "—".into()),
                answer: x
                    .answer_within
                    .map(view::duration)
                    .unwrap_or_else(|| "—".into()),
            })
            .collect();
        let is_party = ours.as_ref().is_some_and(|p| c.party(&p.id).is_some());
        let page = ReviewPage {
            chrome: view::chrome(ui, csrf)?,
            tr,
            title: tr.t("setup-review-title"),
            file,
            channel: ChannelId::for_charter_payload(&doc.payload).to_hex(),
            parties: party_rows(&c, &doc, ours.as_ref().map(|p| &p.id)),
            deadlines,
            tlp: c.default_tlp.as_str(),
            tlp_class: view::tlp_class(c.default_tlp),
            json: String::from_utf8_lossy(&doc.to_json()).into_owned(),
            can_sign: is_party && ui.me.as_ref().is_some_and(|m| m.party_key.is_some()),
            signed_already: ours
                .as_ref()
                .is_some_and(|p| doc.signatures.iter().any(|s| s.key_id == p.id)),
            missing: channel::unsigned_parties(&doc)?,
            charter: c,
        };
        Ok(Html(page.render().map_err(ViewError::from)?).into_response())
    })
    .await
}

// --- Register, join, roster ------------------------------------------------

/// `POST /setup/register` (multipart, the charter signed by every party):
/// registers it on its relay with our party key and follows the channel
/// (`hotline channel register`); then 303 to `/setup`.
pub(crate) async fn register(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    m: Result<Multipart, MultipartRejection>,
) -> Response {
    let up = Upload::read(ui.tr(), m).await;
    blocking(ui, s.csrf.clone(), move |ui| {
        let (_, doc) = up?.charter(ui.tr())?;
        let (_, key) = party_key(ui)?;
        let rec = channel::register(&ui.archive, &doc, key.clone())?;
        tracing::info!(channel = %rec.id.to_hex(), "a channel was registered");
        let _ = ui.events.send(0);
        Ok(see_setup())
    })
    .await
}

/// `POST /setup/join` (multipart, a registered charter): verifies every
/// party's signature and follows the channel (`hotline channel join`);
/// then 303 to `/setup`.
pub(crate) async fn join(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    m: Result<Multipart, MultipartRejection>,
) -> Response {
    let up = Upload::read(ui.tr(), m).await;
    blocking(ui, s.csrf.clone(), move |ui| {
        let (_, doc) = up?.charter(ui.tr())?;
        let rec = channel::join(&ui.archive, &doc)?;
        tracing::info!(channel = %rec.id.to_hex(), "a channel was joined");
        let _ = ui.events.send(0);
        Ok(see_setup())
    })
    .await
}

/// `POST /setup/roster` (multipart: `channel`, and member proofs in
/// `members`): publishes our party's next roster listing this profile's
/// member and the proven members, confirmed in a signed checkpoint
/// (`hotline roster publish`); then 303 to `/setup`.
pub(crate) async fn roster(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    m: Result<Multipart, MultipartRejection>,
) -> Response {
    let up = Upload::read(ui.tr(), m).await;
    blocking(ui, s.csrf.clone(), move |ui| {
        let up = up?;
        let tr = ui.tr();
        let given = up.text("channel");
        let id = ChannelId::from_hex(given.trim())
            .ok()
            .filter(|id| ui.archive.channel(id).is_ok())
            .ok_or_else(|| Fail {
                status: StatusCode::NOT_FOUND,
                what: tr.t("setup-no-such-channel"),
            })?;
        let (party, key) = party_key(ui)?;
        let proofs = up
            .files("members")
            .into_iter()
            .map(|(name, bytes)| Ok((name.clone(), channel::member_proof_of_json(&name, bytes)?)))
            .collect::<Result<Vec<_>, SetupError>>()?;
        let name = me(ui)?
            .profile
            .info()
            .member
            .as_ref()
            .map(|m| m.name.clone());
        let r = channel::publish_members(
            &ui.archive,
            &party,
            key,
            name.as_deref().map(|n| (n, &*ui.keys)),
            &id,
            &proofs,
        )?;
        tracing::info!(
            version = r.version,
            index = r.index,
            "a roster was published"
        );
        let _ = ui.events.send(0);
        Ok(see_setup())
    })
    .await
}
