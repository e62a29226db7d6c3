//! The Compose page (`GET /compose`, `POST /compose`): a new case with
//! its kind, addressed parties, norm, TLP, title, Markdown body and STIX
//! evidence (a pasted bundle or a draft), checked and previewed before it
//! is sent with [`open_case`], the path `hotline case open` takes.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use hotline_client::compose::{Attachment, ComposeError, Draft, check_stix, open_case};
use hotline_client::relay_client::RelayClient;
use hotline_core::message::{Kind, Norm, Tlp};

use crate::Ui;
use crate::i18n::Tr;
use crate::security::Session;
use crate::uploads::{self, Files};
use crate::view::{self, Chrome, ViewError};

/// The kinds a case opens with, as `hotline case open --kind` names them.
const KINDS: [Kind; 5] = [
    Kind::Inquiry,
    Kind::Assistance,
    Kind::Warning,
    Kind::Deconfliction,
    Kind::Consultation,
];

/// What the form said (kept when the page is shown again).
#[derive(Debug, Default, Clone)]
pub(crate) struct Form {
    pub channel: String,
    pub kind: String,
    pub to: Vec<String>,
    pub norm: String,
    pub tlp: String,
    pub title: String,
    pub body: String,
    /// The BCP 47 tag of `body` (empty: `en`).
    pub lang: String,
    /// The same text in another language, optional.
    pub body2: String,
    /// Its BCP 47 tag.
    pub lang2: String,
    /// With two texts, which is authentic: `all`, `1` or `2`.
    pub authentic: String,
    pub stix: String,
    pub draft: String,
    /// `check` or `send`.
    pub step: String,
    /// The id of the files kept since a Check ([`crate::uploads::Store`]).
    pub staged: String,
    /// `on` to drop the kept files.
    pub drop_files: String,
    /// The files of the form (kept and new), as listed.
    pub files: Vec<crate::uploads::FileRow>,
}

impl Form {
    pub(crate) fn parse(bytes: &[u8]) -> Form {
        let mut f = Form::default();
        for (k, v) in form_urlencoded::parse(bytes) {
            f.set(&k, v.into_owned());
        }
        f
    }

    /// Sets the field `k` (ignored if not a field of the form).
    pub(crate) fn set(&mut self, k: &str, v: String) {
        match k {
            "channel" => self.channel = v,
            "kind" => self.kind = v,
            "to" => self.to.push(v),
            "norm" => self.norm = v,
            "tlp" => self.tlp = v,
            "title" => self.title = v,
            "body" => self.body = v,
            "lang" => self.lang = v,
            "body2" => self.body2 = v,
            "lang2" => self.lang2 = v,
            "authentic" => self.authentic = v,
            "stix" => self.stix = v,
            "draft" => self.draft = v,
            "step" => self.step = v,
            "staged" => self.staged = v,
            "drop_files" => self.drop_files = v,
            _ => {}
        }
    }
}

/// A choice of a select or a checkbox.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub on: bool,
}

#[derive(Template)]
#[template(path = "compose.html")]
pub(crate) struct ComposePage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub channels: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub parties: Vec<Choice>,
    pub norms: Vec<Choice>,
    pub tlps: Vec<Choice>,
    pub drafts: Vec<Choice>,
    /// With two texts, which is authentic.
    pub authentics: Vec<Choice>,
    pub form: Form,
    /// What stops the case from being sent, each a sentence.
    pub errors: Vec<String>,
    /// The STIX check's result, line by line (escaped by the template).
    pub stix: Vec<String>,
    /// The body rendered by [`crate::markdown::render`], after a check.
    pub preview: Option<String>,
}

/// The choices of which text is authentic, `on` the form's.
pub(crate) fn authentics(tr: &Tr, chosen: &str) -> Vec<Choice> {
    [
        ("all", "compose-authentic-all"),
        ("1", "compose-authentic-first"),
        ("2", "compose-authentic-second"),
    ]
    .iter()
    .map(|(v, id)| Choice {
        value: (*v).into(),
        label: tr.t(id),
        on: chosen == *v,
    })
    .collect()
}

/// The body's language, `en` when the form leaves it empty.
fn lang_or_en(l: &str) -> &str {
    match l.trim() {
        "" => "en",
        l => l,
    }
}

/// The texts of a form, `(tag, Markdown)`, and the authentic ones, as
/// [`Draft::set_texts`] takes them (none named for one text); its mistakes
/// are added to `errors`.
fn texts(tr: &Tr, form: &Form, errors: &mut Vec<String>) -> (Vec<(String, String)>, Vec<String>) {
    let lang = lang_or_en(&form.lang).to_owned();
    let bad = |l: &str| !hotline_core::message::is_language_tag(l);
    if bad(&lang) {
        errors.push(tr.args("compose-bad-lang", &[("lang", lang.clone())]));
    }
    let mut texts = vec![(lang.clone(), form.body.clone())];
    if form.body2.trim().is_empty() {
        return (texts, vec![]);
    }
    let lang2 = form.lang2.trim().to_owned();
    if lang2.is_empty() {
        errors.push(tr.t("compose-no-lang2"));
    } else if bad(&lang2) {
        errors.push(tr.args("compose-bad-lang", &[("lang", lang2.clone())]));
    } else if lang2.eq_ignore_ascii_case(&lang) {
        errors.push(tr.t("compose-lang-twice"));
    }
    let authentic = match form.authentic.as_str() {
        "1" => vec![lang],
        "2" => vec![lang2.clone()],
        _ => vec!["all".to_owned()],
    };
    texts.push((lang2, form.body2.clone()));
    (texts, authentic)
}

/// The checked case, ready to send.
struct Ready {
    channel: hotline_core::ids::ChannelId,
    draft: Draft,
    from_draft: Option<String>,
}

/// Builds the page for `form` (the defaults when empty) and, when it
/// is complete and valid, what to send.
fn build<'a>(
    ui: &'a Ui,
    chrome: Chrome,
    mut form: Form,
    checked: bool,
    files: &Files,
    gone: bool,
) -> Result<(ComposePage<'a>, Option<Ready>), ViewError> {
    let tr = ui.tr();
    let chans = view::channels(ui)?;
    let ch = chans
        .iter()
        .find(|c| c.id.to_hex() == form.channel)
        .or(chans.first());
    let mut errors = Vec::new();
    let mut stix_lines = Vec::new();
    let Some(ch) = ch else {
        errors.push(tr.t("compose-no-channel"));
        let page = ComposePage {
            chrome,
            tr,
            title: tr.t("compose-title"),
            channels: vec![],
            kinds: vec![],
            parties: vec![],
            norms: vec![],
            tlps: vec![],
            drafts: vec![],
            authentics: vec![],
            form,
            errors,
            stix: stix_lines,
            preview: None,
        };
        return Ok((page, None));
    };
    form.channel = ch.id.to_hex();
    if form.tlp.is_empty() {
        form.tlp = ch.charter.default_tlp.as_str().to_owned();
    }
    if form.kind.is_empty() {
        form.kind = Kind::Inquiry.as_str().to_owned();
    }
    let channels = chans
        .iter()
        .map(|c| Choice {
            value: c.id.to_hex(),
            label: format!("{} ({})", c.charter.title, c.id.to_hex()),
            on: c.id == ch.id,
        })
        .collect();
    let kinds = KINDS
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: k.as_str().into(),
            on: form.kind == k.as_str(),
        })
        .collect();
    let parties = ch
        .charter
        .parties
        .iter()
        .filter(|p| Some(p.id) != ch.me)
        .map(|p| Choice {
            value: p.short.clone(),
            label: format!("{} ({})", p.name, p.short),
            on: form.to.contains(&p.short),
        })
        .collect();
    let norms = std::iter::once(Choice {
        value: String::new(),
        label: tr.t("compose-norm-none"),
        on: form.norm.is_empty(),
    })
    .chain(Norm::ALL.iter().map(|n| Choice {
        value: n.as_str().into(),
        label: n.as_str().into(),
        on: form.norm == n.as_str(),
    }))
    .collect();
    let tlps = Tlp::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str().into(),
            label: t.as_str().into(),
            on: form.tlp == t.as_str(),
        })
        .collect();
    let drafts = std::iter::once(Choice {
        value: String::new(),
        label: tr.t("compose-draft-none"),
        on: form.draft.is_empty(),
    })
    .chain(
        ui.archive
            .drafts()?
            .into_iter()
            .filter(|d| d.channel == ch.id)
            .map(|d| Choice {
                label: tr.args(
                    "compose-draft-item",
                    &[("name", d.name.clone()), ("objects", d.objects.to_string())],
                ),
                on: form.draft == d.name,
                value: d.name,
            }),
    )
    .collect();

    let mut ready = None;
    if checked {
        let kind = form.kind.parse::<Kind>().ok().filter(|k| KINDS.contains(k));
        if kind.is_none() {
            errors.push(tr.t("compose-bad-kind"));
        }
        let mut to = Vec::new();
        for s in &form.to {
            match ch.charter.party_by_short(s) {
                Some(p) if Some(p.id) != ch.me => {
                    if !to.contains(&p.id) {
                        to.push(p.id);
                    }
                }
                _ => errors.push(tr.args("compose-bad-party", &[("party", s.clone())])),
            }
        }
        if form.to.is_empty() {
            errors.push(tr.t("compose-no-party"));
        }
        let norm = match form.norm.as_str() {
            "" => None,
            n => match n.parse::<Norm>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(tr.t("compose-bad-norm"));
                    None
                }
            },
        };
        let tlp = match form.tlp.parse::<Tlp>() {
            Ok(t) => Some(t),
            Err(_) => {
                errors.push(tr.t("compose-bad-tlp"));
                None
            }
        };
        if form.title.trim().is_empty() {
            errors.push(tr.t("compose-no-title"));
        }
        if form.body.trim().is_empty() {
            errors.push(tr.t("compose-no-body"));
        }
        let texts = texts(tr, &form, &mut errors);
        let pasted = !form.stix.trim().is_empty();
        let from_file = files.stix.is_some();
        if gone {
            errors.push(tr.t("evidence-files-gone"));
        }
        let bundle = match (pasted, form.draft.is_empty()) {
            _ if from_file && (pasted || !form.draft.is_empty()) => {
                errors.push(tr.t("evidence-stix-sources"));
                None
            }
            _ if from_file => files.stix.as_ref().map(|f| f.bytes.clone()),
            (true, false) => {
                errors.push(tr.t("compose-stix-both"));
                None
            }
            (true, true) => Some(form.stix.as_bytes().to_vec()),
            (false, false) => match ui.archive.draft_bundle(&ch.id, &form.draft) {
                Ok(b) => Some(b.bytes),
                Err(e) => {
                    errors.push(tr.args("compose-draft-bad", &[("why", e.to_string())]));
                    None
                }
            },
            (false, true) => None,
        };
        if let Some(b) = &bundle {
            match check_stix(b) {
                Ok(w) => {
                    stix_lines
                        .push(tr.args("compose-stix-valid", &[("warnings", w.len().to_string())]));
                    stix_lines.extend(w);
                }
                Err(e) => {
                    errors.push(tr.t("compose-stix-invalid"));
                    stix_lines.push(tr.t("compose-stix-invalid"));
                    stix_lines.extend(e.to_string().lines().map(str::to_owned));
                }
            }
        }
        if errors.is_empty()
            && let Some(kind) = kind
        {
            let mut draft = Draft {
                tlp,
                norm,
                stix: if pasted || from_file { bundle } else { None },
                attachments: files
                    .attachments
                    .iter()
                    .map(|u| Attachment {
                        name: u.name.clone(),
                        media_type: u.media_type.clone(),
                        bytes: u.bytes.clone(),
                    })
                    .collect(),
                ..Draft::new(kind, to, form.title.trim(), form.body.clone())
            };
            // Checked by `texts` above, so this only fails if the two disagree.
            let (texts, authentic) = texts;
            if let Err(e) = draft.set_texts(texts, &authentic) {
                errors.push(e.to_string());
            }
            if errors.is_empty() {
                ready = Some(Ready {
                    channel: ch.id,
                    draft,
                    from_draft: (!form.draft.is_empty()).then(|| form.draft.clone()),
                });
            }
        }
    }
    let preview = checked.then(|| {
        let first = crate::markdown::render(&form.body);
        if form.body2.trim().is_empty() {
            first
        } else {
            // Side by side, as the case page shows them (both escaped by
            // `render`; the tags were checked or the page says why not).
            let dir = |l: &str| crate::i18n::text_dir(l);
            let tag = |l: &str| {
                if hotline_core::message::is_language_tag(l) {
                    l.to_owned()
                } else {
                    String::new()
                }
            };
            let (l1, l2) = (tag(lang_or_en(&form.lang)), tag(form.lang2.trim()));
            format!(
                r#"<div class="texts"><section class="text" lang="{l1}" dir="{}">{first}</section><section class="text" lang="{l2}" dir="{}">{}</section></div>"#,
                dir(&l1),
                dir(&l2),
                crate::markdown::render(&form.body2)
            )
        }
    });
    let page = ComposePage {
        chrome,
        tr,
        title: tr.t("compose-title"),
        channels,
        kinds,
        parties,
        norms,
        tlps,
        drafts,
        authentics: authentics(tr, &form.authentic),
        form,
        errors,
        stix: stix_lines,
        preview,
    };
    Ok((page, ready))
}

fn internal(ui: &Ui, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "the compose page could not be made");
    crate::pages::error(
        ui,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error-internal-title",
        "error-internal",
    )
}

/// `GET /compose`.
pub(crate) async fn page(State(ui): State<Arc<Ui>>, Extension(s): Extension<Session>) -> Response {
    let u = ui.clone();
    let r = crate::i18n::blocking(move || -> Result<String, ViewError> {
        let chrome = view::chrome(&u, s.csrf)?;
        let (page, _) = build(&u, chrome, Form::default(), false, &Files::default(), false)?;
        Ok(page.render()?)
    })
    .await;
    match r {
        Ok(Ok(h)) => Html(h).into_response(),
        Ok(Err(e)) => internal(&ui, &e),
        Err(e) => internal(&ui, &e),
    }
}

/// `POST /compose` (behind the Origin and CSRF checks): `step=check`
/// shows the validation and the preview, sending nothing; `step=send`
/// sends when everything is valid (303 to the new case), else shows the
/// page again with what is wrong (422), nothing sent; 503 if the relay
/// refused or could not be reached.
pub(crate) async fn submit(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mut form, new) = match uploads::boundary(&headers) {
        Some(b) => match uploads::parse(b, body).await {
            Ok(p) => p,
            Err(uploads::UploadError::TooLarge) => return uploads::too_large(&ui),
            Err(uploads::UploadError::Bad(why)) => {
                tracing::warn!(%why, "a Compose form was refused");
                return crate::pages::error(
                    &ui,
                    StatusCode::BAD_REQUEST,
                    "evidence-bad-form-title",
                    "evidence-bad-form",
                );
            }
        },
        None => (Form::parse(&body), Files::default()),
    };
    // The files kept since a Check, then those newly chosen.
    let mut files = Files::default();
    let mut gone = false;
    if form.drop_files.is_empty() && !form.staged.is_empty() {
        match ui.uploads.get(&s.csrf, &form.staged) {
            Some(f) => files = f,
            None => gone = true,
        }
    }
    files.attachments.extend(new.attachments);
    if new.stix.is_some() {
        files.stix = new.stix;
    }
    if !files.within_limits(form.stix.len(), form.body.len().max(form.body2.len())) {
        return uploads::too_large(&ui);
    }
    let old = std::mem::take(&mut form.staged);
    if files.is_empty() {
        ui.uploads.remove(&s.csrf, &old);
    } else {
        form.staged = ui.uploads.keep(&s.csrf, &old, files.clone());
    }
    form.drop_files.clear();
    form.files = files.rows(ui.tr());
    let u = ui.clone();
    let r = crate::i18n::blocking(move || -> Result<Response, ViewError> {
        let send = form.step == "send";
        let staged = form.staged.clone();
        let chrome = view::chrome(&u, s.csrf.clone())?;
        let (mut page, ready) = build(&u, chrome, form, true, &files, gone)?;
        let status = match (send, ready) {
            (false, _) => StatusCode::OK,
            (true, None) => StatusCode::UNPROCESSABLE_ENTITY,
            (true, Some(r)) => {
                let rec = u.archive.channel(&r.channel)?;
                let sent = RelayClient::new(&rec.relay_url, u.keys.current.signing.clone())
                    .map_err(ComposeError::from)
                    .and_then(|relay| {
                        open_case(
                            &u.archive,
                            &relay,
                            &r.channel,
                            &*u.keys,
                            r.draft,
                            r.from_draft.as_deref(),
                        )
                    });
                match sent {
                    Ok(o) => {
                        tracing::info!(index = o.index, "case opened");
                        u.uploads.remove(&s.csrf, &staged);
                        let _ = u.events.send(0);
                        return Ok((
                            StatusCode::SEE_OTHER,
                            [(header::LOCATION, format!("/case/{}", o.id.to_hex()))],
                        )
                            .into_response());
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the case was not sent");
                        page.errors
                            .push(u.tr().args("action-failed", &[("why", e.to_string())]));
                        match e {
                            ComposeError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                            ComposeError::Relay(_) => StatusCode::SERVICE_UNAVAILABLE,
                            _ => StatusCode::INTERNAL_SERVER_ERROR,
                        }
                    }
                }
            }
        };
        Ok((status, Html(page.render()?)).into_response())
    })
    .await;
    match r {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => internal(&ui, &e),
        Err(e) => internal(&ui, &e),
    }
}
