//! What the pages show, gathered from the archive (blocking: called in
//! `spawn_blocking`), and the compiled templates that render it. Every
//! string from another party goes into a template as a `String` and is
//! escaped there (askama escapes by default); only [`crate::markdown`]'s
//! output is marked safe.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use hotline_client::archive::StoredText;
use hotline_client::cases::{self, Case, State};
use hotline_core::charter::{Charter, VerifiedCharter};
use hotline_core::dsse::SignedDocument;
use hotline_core::ids::{ChannelId, MessageId};
use hotline_core::keys::KeyId;
use hotline_core::message::{Kind, Tlp};

use crate::Ui;
use crate::i18n::Tr;

/// Why a page could not be made (logged, never shown).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ViewError {
    #[error("archive: {0}")]
    Archive(#[from] hotline_client::archive::ArchiveError),
    #[error("charter: {0}")]
    Charter(String),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

/// What every page shows above its content.
pub(crate) struct Chrome {
    pub csrf: String,
    pub alarms: Vec<String>,
    pub notices: Vec<String>,
}

pub(crate) fn now() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64
}

/// RFC 3339, UTC.
pub(crate) fn iso(t: u64) -> String {
    i64::try_from(t)
        .ok()
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// `2026-12-02 04:20 UTC`.
pub(crate) fn shown(t: u64) -> String {
    let s = iso(t);
    match (s.get(..10), s.get(11..16)) {
        (Some(d), Some(hm)) => format!("{d} {hm} UTC"),
        _ => s,
    }
}

/// A duration for a person: `45 s`, `12 min`, `2 h 14 min`, `3 d 4 h`.
/// In the request's language (`dur-*` in the resources).
pub(crate) fn duration(secs: u64) -> String {
    crate::i18n::strings().duration(secs)
}

/// The alarm banners (those not acknowledged here) and the relay notices.
pub(crate) fn chrome(ui: &Ui, csrf: String) -> Result<Chrome, ViewError> {
    let tr = ui.tr();
    let alarms = ui
        .archive
        .unacknowledged_alarms()?
        .into_iter()
        .map(|a| {
            tr.args(
                "alarm-banner",
                &[
                    (
                        "channel",
                        a.channel.get(..16).unwrap_or(&a.channel).to_owned(),
                    ),
                    ("kind", a.kind),
                    ("detail", a.detail),
                ],
            )
        })
        .collect();
    let mut notices = Vec::new();
    let t = now();
    let status = ui.status.read().map(|s| s.clone()).unwrap_or_default();
    for (channel, problem) in &status.problems {
        match problem {
            crate::live::Problem::Unreachable => {
                notices.push(match ui.archive.last_verified(channel)? {
                    Some(l) => tr.args(
                        "notice-unreachable",
                        &[("minutes", (l.age_secs(t) / 60).to_string())],
                    ),
                    None => tr.t("notice-unreachable-never"),
                })
            }
            crate::live::Problem::Failed(why) => {
                notices.push(tr.args("notice-sync-failed", &[("why", why.clone())]))
            }
        }
    }
    Ok(Chrome {
        csrf,
        alarms,
        notices,
    })
}

/// A channel's derived cases and opened messages, cheap to clone (the
/// views are kept between requests, [`crate::cache`]).
#[derive(Clone)]
pub(crate) struct ChannelView {
    pub id: ChannelId,
    pub charter: Charter,
    pub me: Option<KeyId>,
    pub cases: Cases,
    pub msgs: Messages,
}

/// A channel's cases in log order, shared; found by id in constant time.
#[derive(Clone, Default)]
pub(crate) struct Cases(Arc<(Vec<Case>, HashMap<MessageId, usize>)>);

impl From<Vec<Case>> for Cases {
    fn from(v: Vec<Case>) -> Cases {
        let by_id = v.iter().enumerate().rev().map(|(i, c)| (c.id, i)).collect();
        Cases(Arc::new((v, by_id)))
    }
}

impl std::ops::Deref for Cases {
    type Target = Vec<Case>;
    fn deref(&self) -> &Vec<Case> {
        &self.0.0
    }
}

impl<'a> IntoIterator for &'a Cases {
    type Item = &'a Case;
    type IntoIter = std::slice::Iter<'a, Case>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.0.iter()
    }
}

impl Cases {
    /// The case whose id is `id` (hex), if any.
    pub fn by_hex(&self, id: &str) -> Option<&Case> {
        let id = MessageId::from_hex(id).ok()?;
        self.0.1.get(&id).and_then(|&i| self.0.0.get(i))
    }
}

/// A channel's opened messages in log order, shared; found by message id
/// (the first with it) and by log index in constant time.
#[derive(Clone, Default)]
pub(crate) struct Messages(Arc<MessagesIndexed>);

#[derive(Default)]
pub(crate) struct MessagesIndexed {
    all: Vec<cases::LoggedMessage>,
    by_id: HashMap<MessageId, usize>,
    by_index: HashMap<u64, usize>,
}

impl From<Vec<cases::LoggedMessage>> for Messages {
    fn from(all: Vec<cases::LoggedMessage>) -> Messages {
        let mut by_id = HashMap::with_capacity(all.len());
        let mut by_index = HashMap::with_capacity(all.len());
        for (i, m) in all.iter().enumerate() {
            by_id.entry(m.header.id).or_insert(i);
            by_index.entry(m.index).or_insert(i);
        }
        Messages(Arc::new(MessagesIndexed {
            all,
            by_id,
            by_index,
        }))
    }
}

impl std::ops::Deref for Messages {
    type Target = Vec<cases::LoggedMessage>;
    fn deref(&self) -> &Vec<cases::LoggedMessage> {
        &self.0.all
    }
}

impl<'a> IntoIterator for &'a Messages {
    type Item = &'a cases::LoggedMessage;
    type IntoIter = std::slice::Iter<'a, cases::LoggedMessage>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.all.iter()
    }
}

impl Messages {
    /// The first message with id `id`.
    pub fn by_id(&self, id: &MessageId) -> Option<&cases::LoggedMessage> {
        self.0.by_id.get(id).and_then(|&i| self.0.all.get(i))
    }

    /// The message at log index `index`.
    pub fn at(&self, index: u64) -> Option<&cases::LoggedMessage> {
        self.0.by_index.get(&index).and_then(|&i| self.0.all.get(i))
    }
}

impl ChannelView {
    pub fn short(&self, id: &KeyId) -> String {
        self.short_str(id)
            .map(str::to_owned)
            .unwrap_or_else(|| id.short())
    }

    fn short_str(&self, id: &KeyId) -> Option<&str> {
        self.charter.party(id).map(|p| p.short.as_str())
    }

    fn tlp_of(&self, case: &Case) -> Tlp {
        self.msgs
            .by_id(&case.id)
            .map(|m| m.header.tlp)
            .unwrap_or(Tlp::Clear)
    }
}

/// Every channel with its cases (the derivation `hotline inbox` uses),
/// kept between requests while the archive holds the same ([`crate::cache`]).
pub(crate) fn channels(ui: &Ui) -> Result<Vec<ChannelView>, ViewError> {
    ui.archive
        .channels()?
        .into_iter()
        .map(|rec| crate::cache::channel(ui, rec))
        .collect()
}

/// Derives the view of one channel from the archive (what [`channels`]
/// keeps).
pub(crate) fn derive(
    ui: &Ui,
    rec: &hotline_client::archive::ChannelRecord,
) -> Result<ChannelView, ViewError> {
    let doc =
        SignedDocument::from_json(&rec.charter).map_err(|e| ViewError::Charter(e.to_string()))?;
    let charter = VerifiedCharter::verify(&doc)
        .map_err(|e| ViewError::Charter(e.to_string()))?
        .charter()
        .clone();
    let msgs = ui.archive.logged_messages(&rec.id)?;
    let (cases, _) = cases::derive(&charter, &msgs);
    let me =
        hotline_client::channel::party_of(&ui.archive, &rec.id, &ui.keys.current.signing.key_id())?;
    Ok(ChannelView {
        id: rec.id,
        charter,
        me,
        cases: cases.into(),
        msgs: msgs.into(),
    })
}

pub(crate) fn state_id(s: State) -> &'static str {
    match s {
        State::Open => "open",
        State::Acknowledged => "acknowledged",
        State::Answered => "answered",
        State::Closed => "closed",
    }
}

/// The CSS class of a TLP badge.
pub(crate) fn tlp_class(t: Tlp) -> &'static str {
    match t {
        Tlp::Clear => "tlp-clear",
        Tlp::Green => "tlp-green",
        Tlp::Amber | Tlp::AmberStrict => "tlp-amber",
        Tlp::Red => "tlp-red",
    }
}

/// A deadline as shown.
pub(crate) struct Due {
    pub iso: String,
    pub shown: String,
    /// `3 h 2 min left to acknowledge` or `OVERDUE by …`.
    pub left: String,
    pub overdue: bool,
}

/// One inbox row.
pub(crate) struct Row {
    pub id: String,
    pub kind: &'static str,
    pub parties: String,
    pub title: String,
    pub tlp: &'static str,
    pub tlp_class: &'static str,
    pub state: String,
    pub due: Option<Due>,
    pub needs_us: bool,
    /// Owed by us, with the due time unknown until the relay dates the case.
    pub pending: bool,
    /// The case page's form for what we owe (`ack`, `answer`), when we do.
    pub action: Option<&'static str>,
    /// Sort key: the deadline, or `u64::MAX`. (The rows come sorted from
    /// [`inbox_rows`]; the key stays in the row for tests and for callers
    /// that merge rows.)
    #[allow(dead_code)]
    pub due_at: u64,
}

/// The inbox filters (query parameters).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub(crate) struct Filter {
    pub kind: Option<String>,
    pub party: Option<String>,
    pub state: Option<String>,
}

impl Filter {
    fn given(v: &Option<String>) -> Option<&str> {
        v.as_deref().filter(|s| !s.is_empty())
    }

    /// The query string that repeats this filter (for the fragment URL).
    pub fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("kind", &self.kind),
            ("party", &self.party),
            ("state", &self.state),
        ] {
            if let Some(v) = Self::given(v) {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }
}

/// How many inbox rows to show (`?shown=N`, a query parameter of its own
/// beside the [`Filter`]): [`INBOX_PAGE`] unless given, at most
/// [`MAX_SHOWN`].
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub(crate) struct Shown {
    pub shown: Option<String>,
}

/// The most rows one inbox page shows, however many are asked for.
pub(crate) const MAX_SHOWN: usize = 100_000;

impl Shown {
    pub fn limit(&self) -> usize {
        // Not a number: the default, as for none (a link cannot break the inbox).
        self.shown
            .as_deref()
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(INBOX_PAGE)
            .clamp(1, MAX_SHOWN)
    }
}

/// What is due next on a case, for whom, and whether that is us.
fn next_due(ch: &ChannelView, c: &Case) -> (Option<(Kind, u64)>, bool) {
    if let Some(me) = &ch.me
        && let Some((k, due)) = c.owed_by(me)
    {
        return (due.map(|d| (k, d)), true);
    }
    let pending = match c.state {
        State::Open => c.ack_due.map(|d| (Kind::Ack, d)),
        State::Acknowledged => c.answer_due.map(|d| (Kind::Answer, d)),
        State::Answered | State::Closed => None,
    };
    (pending, false)
}

pub(crate) fn due(tr: &Tr, kind: Kind, at: u64, t: u64) -> Due {
    let what = tr.t(if kind == Kind::Ack {
        "owed-ack"
    } else {
        "owed-answer"
    });
    let overdue = t > at;
    let left = if overdue {
        tr.args("overdue-by", &[("left", duration(t - at)), ("what", what)])
    } else {
        tr.args("left", &[("left", duration(at - t)), ("what", what)])
    };
    Due {
        iso: iso(at),
        shown: shown(at),
        left,
        overdue,
    }
}

/// The inbox rows matching `f`, what is due first (all of them; the inbox
/// page shows the first, [`inbox_rows`]).
#[allow(dead_code)] // Used by the tests and kept for pages that list every case.
pub(crate) fn rows(ui: &Ui, chans: &[ChannelView], f: &Filter) -> Vec<Row> {
    inbox_rows(ui, chans, f, usize::MAX).0
}

/// How many inbox rows a page shows at first, and how many more each
/// "more" link adds (`docs/ui.md`, "Fast at real sizes").
pub(crate) const INBOX_PAGE: usize = 200;

/// A case that matches the filter: its sort key (deadline, not ours,
/// position) and what its row is made from.
struct Found<'a> {
    key: (u64, bool, usize),
    ch: &'a ChannelView,
    c: &'a Case,
    next: Option<(Kind, u64)>,
}

/// The first `limit` inbox rows matching `f`, what is due first, and how
/// many rows match in all. The filters and the order are applied to every
/// case; only the rows shown are formatted.
pub(crate) fn inbox_rows(
    ui: &Ui,
    chans: &[ChannelView],
    f: &Filter,
    limit: usize,
) -> (Vec<Row>, usize) {
    let t = now();
    // Every matching case with its sort key, unformatted.
    let mut found: Vec<Found<'_>> = Vec::new();
    let (kind, state, party) = (
        Filter::given(&f.kind),
        Filter::given(&f.state),
        Filter::given(&f.party),
    );
    for ch in chans {
        for c in ch.cases.iter() {
            if kind.is_some_and(|k| k != c.kind.as_str()) {
                continue;
            }
            if state.is_some_and(|s| s != state_id(c.state)) {
                continue;
            }
            if let Some(p) = party {
                let named = |id: &KeyId| match ch.short_str(id) {
                    Some(s) => s == p,
                    None => id.short() == p,
                };
                if !std::iter::once(&c.opener).chain(c.to.iter()).any(named) {
                    continue;
                }
            }
            let (next, needs_us) = next_due(ch, c);
            let due_at = next.map(|(_, d)| d).unwrap_or(u64::MAX);
            found.push(Found {
                key: (due_at, !needs_us, found.len()),
                ch,
                c,
                next,
            });
        }
    }
    let total = found.len();
    // The key ends with the position: equal deadlines keep the channels'
    // order, whatever the limit.
    if limit < found.len() {
        found.select_nth_unstable_by_key(limit, |r| r.key);
        found.truncate(limit);
    }
    found.sort_unstable_by_key(|r| r.key);
    let rows = found
        .into_iter()
        .map(|Found { key, ch, c, next }| {
            let (due_at, needs_us) = (key.0, !key.1);
            let names: Vec<String> = std::iter::once(&c.opener)
                .chain(c.to.iter())
                .map(|p| ch.short(p))
                .collect();
            let tlp = ch.tlp_of(c);
            Row {
                id: c.id.to_hex(),
                kind: c.kind.as_str(),
                parties: format!("{} → {}", names[0], names[1..].join(", ")),
                title: c.title.clone(),
                tlp: tlp.as_str(),
                tlp_class: tlp_class(tlp),
                state: ui.tr().t(&format!("state-{}", state_id(c.state))),
                due: next.map(|(k, d)| due(ui.tr(), k, d, t)),
                // Owed, but the relay has not dated the opening yet.
                pending: needs_us && next.is_none() && c.opened_at.is_none(),
                needs_us,
                action: match ch.me.and_then(|m| c.owed_by(&m)) {
                    Some((Kind::Ack, _)) => Some("ack"),
                    Some(_) => Some("answer"),
                    None => None,
                },
                due_at,
            }
        })
        .collect();
    (rows, total)
}

/// The choices of the filter form.
pub(crate) struct Choices {
    pub kinds: Vec<&'static str>,
    pub parties: Vec<String>,
    pub states: Vec<(&'static str, String)>,
}

pub(crate) fn choices(ui: &Ui, chans: &[ChannelView]) -> Choices {
    let mut parties: Vec<String> = chans
        .iter()
        .flat_map(|c| c.charter.parties.iter().map(|p| p.short.clone()))
        .collect();
    parties.sort();
    parties.dedup();
    Choices {
        kinds: Kind::ALL
            .iter()
            .filter(|k| k.opens_case())
            .map(|k| k.as_str())
            .collect(),
        parties,
        states: ["open", "acknowledged", "answered", "closed"]
            .into_iter()
            .map(|s| (s, ui.tr().t(&format!("state-{s}"))))
            .collect(),
    }
}

/// The list that `/fragment/inbox` serves and `live.js` swaps in.
#[derive(Template)]
#[template(path = "inbox_list.html")]
pub(crate) struct InboxList<'a> {
    pub tr: &'a Tr,
    pub rows: Vec<Row>,
    pub notices: Vec<String>,
    pub fragment: String,
    /// When more rows match than are shown: the "more" link.
    pub more: Option<More>,
}

/// The inbox shows the first rows only ([`INBOX_PAGE`]): how many, of how
/// many, and the address that shows more.
pub(crate) struct More {
    /// `Showing 200 of 10000 cases, what is due first.`
    pub text: String,
    /// `Show 200 more`.
    pub link: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
pub(crate) struct InboxPage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub filter: Filter,
    pub choices: Choices,
    pub list: InboxList<'a>,
    /// No channel followed yet: the page points to `/setup`.
    pub no_channel: bool,
}

/// One message of a case.
pub(crate) struct Entry {
    pub index: u64,
    pub at: Option<(String, String)>,
    pub kind: &'static str,
    pub party: String,
    pub title: String,
    /// Rendered by [`crate::markdown::render`]: safe HTML.
    pub body_html: String,
    /// The body in each language, side by side, when there are several
    /// (empty for a body in one language, which `body_html` shows).
    pub texts: Vec<TextView>,
    /// Whether every text is equally authentic, in words.
    pub authenticity: Option<String>,
    pub attachments: Vec<(String, String, u64)>,
    pub stix: Option<String>,
    /// Which parties' systems cosigned a checkpoint covering it.
    pub receipts: String,
}

/// One language version of a message's body.
pub(crate) struct TextView {
    /// Its BCP 47 tag (checked when the message was opened).
    pub lang: String,
    /// `rtl` or `ltr`, from its language.
    pub dir: &'static str,
    /// Its tag and whether it is authentic, in words.
    pub label: String,
    /// Rendered by [`crate::markdown::render`]: safe HTML.
    pub html: String,
}

/// The texts of a message in several languages, and a sentence saying
/// that they are equally authentic if they are.
fn texts(tr: &Tr, texts: &[StoredText]) -> (Vec<TextView>, Option<String>) {
    if texts.len() < 2 {
        return (vec![], None);
    }
    let views = texts
        .iter()
        .map(|t| TextView {
            lang: t.lang.clone(),
            dir: crate::i18n::text_dir(&t.lang),
            label: tr.args(
                if t.authentic {
                    "case-text-authentic"
                } else {
                    "case-text-translation"
                },
                &[("lang", t.lang.clone())],
            ),
            html: crate::markdown::render(&t.body),
        })
        .collect();
    let equal = texts.iter().all(|t| t.authentic).then(|| {
        let langs: Vec<&str> = texts.iter().map(|t| t.lang.as_str()).collect();
        tr.args("case-texts-equal", &[("langs", langs.join(", "))])
    });
    (views, equal)
}

/// One addressed party's deadlines.
pub(crate) struct PartyDeadline {
    pub party: String,
    pub ack: String,
    pub ack_class: &'static str,
    pub answer: String,
    pub answer_class: &'static str,
}

#[derive(Template)]
#[template(path = "case.html")]
pub(crate) struct CasePage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub kind: &'static str,
    pub tlp: &'static str,
    pub tlp_class: &'static str,
    pub from_to: String,
    pub state: String,
    pub opened: Option<(String, String)>,
    pub ack_due: Option<(String, String)>,
    pub answer_due: Option<(String, String)>,
    pub deadlines: Vec<PartyDeadline>,
    pub entries: Vec<Entry>,
    /// The case id (hex), for the action forms.
    pub case_id: String,
    /// The reply forms that apply to our party and the case's state
    /// ([`hotline_client::cases::Case::replies_for`] decides).
    pub replies: Vec<ReplyForm>,
}

/// One reply form of the case page.
pub(crate) struct ReplyForm {
    /// The path segment after `/case/{id}/` (`ack`, `answer`, …).
    pub path: &'static str,
    pub legend: String,
    pub label: String,
    pub submit: String,
    /// Whether a body must be given (all but the acknowledgement).
    pub required: bool,
}

/// The reply forms our party `me` may use on case `c`.
pub(crate) fn reply_forms(tr: &Tr, me: Option<KeyId>, c: &Case) -> Vec<ReplyForm> {
    let Some(me) = me else { return vec![] };
    let allowed = c.replies_for(&me);
    crate::actions::REPLIES
        .iter()
        .filter(|a| allowed.contains(&a.kind))
        .map(|a| ReplyForm {
            path: a.path,
            legend: tr.t(&format!("action-{}-legend", a.path)),
            label: tr.t(&format!("action-{}-body", a.path)),
            submit: tr.t(&format!("action-{}-submit", a.path)),
            required: a.kind != Kind::Ack,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    pub tr: &'a Tr,
    pub title: String,
    pub text: String,
}

fn at(t: Option<u64>) -> Option<(String, String)> {
    t.map(|t| (iso(t), shown(t)))
}

fn met(tr: &Tr, r: Option<bool>, done: Option<Option<u64>>) -> (String, &'static str) {
    let s = match r {
        Some(true) => ("deadline-met", "met"),
        Some(false) => ("deadline-missed", "missed"),
        None => ("deadline-pending", "pending"),
    };
    let text = match done {
        Some(Some(t)) => format!("{} ({})", tr.t(s.0), shown(t)),
        _ => tr.t(s.0),
    };
    (text, s.1)
}

pub(crate) fn stix_summary(tr: &Tr, bundle: &[u8]) -> String {
    let r = hotline_stix::validate_bundle(bundle);
    if r.is_valid() {
        let objects = serde_json::from_slice::<serde_json::Value>(bundle)
            .ok()
            .and_then(|v| v.get("objects").and_then(|o| o.as_array()).map(Vec::len))
            .unwrap_or(0);
        tr.args(
            "case-stix-valid",
            &[
                ("objects", objects.to_string()),
                ("warnings", r.warnings.len().to_string()),
            ],
        )
    } else {
        tr.args(
            "case-stix-invalid",
            &[
                ("errors", r.errors.len().to_string()),
                (
                    "first",
                    r.errors.first().map(|e| e.to_string()).unwrap_or_default(),
                ),
            ],
        )
    }
}

/// The case page of `id`, if a channel has it.
pub(crate) fn case_page(ui: &Ui, chrome: Chrome, id: &str) -> Result<Option<String>, ViewError> {
    let tr = ui.tr();
    let t = now();
    for ch in channels(ui)? {
        let Some(c) = ch.cases.by_hex(id) else {
            continue;
        };
        let receipts = ui.archive.receipts(&ch.id)?;
        let mut entries = Vec::new();
        for e in &c.timeline {
            let header = ch.msgs.at(e.index).map(|m| &m.header);
            let all = ui
                .archive
                .message_texts(&ch.id, e.index)?
                .unwrap_or_default();
            let body = all.first().map(|t| t.body.as_str()).unwrap_or_default();
            let (texts, authenticity) = texts(tr, &all);
            entries.push(Entry {
                index: e.index,
                at: at(e.at),
                kind: e.kind.as_str(),
                party: ch.short(&e.party),
                title: e.title.clone(),
                body_html: crate::markdown::render(body),
                texts,
                authenticity,
                attachments: header
                    .map(|h| {
                        h.attachments
                            .iter()
                            .map(|a| (a.name.clone(), a.media_type.clone(), a.size))
                            .collect()
                    })
                    .unwrap_or_default(),
                stix: ui
                    .archive
                    .message_stix(&ch.id, e.index)?
                    .map(|b| stix_summary(tr, &b)),
                receipts: crate::dash::receipts_line(tr, &ch, &receipts, e.index),
            });
        }
        let deadlines =
            c.to.iter()
                .map(|p| {
                    let (ack, ack_class) = met(tr, c.acked_on_time(p, t), c.acks.get(p).copied());
                    let (answer, answer_class) =
                        met(tr, c.answered_on_time(p, t), c.answers.get(p).copied());
                    PartyDeadline {
                        party: ch.short(p),
                        ack,
                        ack_class,
                        answer,
                        answer_class,
                    }
                })
                .collect();
        let tlp = ch.tlp_of(c);
        let page = CasePage {
            chrome,
            tr,
            title: c.title.clone(),
            kind: c.kind.as_str(),
            tlp: tlp.as_str(),
            tlp_class: tlp_class(tlp),
            from_to: tr.args(
                "case-from-to",
                &[
                    ("from", ch.short(&c.opener)),
                    (
                        "to",
                        c.to.iter()
                            .map(|p| ch.short(p))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ],
            ),
            state: tr.t(&format!("state-{}", state_id(c.state))),
            opened: at(c.opened_at),
            ack_due: at(c.ack_due),
            answer_due: at(c.answer_due),
            deadlines,
            entries,
            case_id: c.id.to_hex(),
            replies: reply_forms(tr, ch.me, c),
        };
        return Ok(Some(page.render()?));
    }
    Ok(None)
}
