//! Alerts out of band (`docs/alerts.md`): when something needs this party —
//! a warning or a de-confliction notice from another party, a deadline this
//! party owes coming near, an alarm — tell the duty officer by e-mail and
//! webhook, whether or not anyone looks at the screen.
//!
//! Configured per profile in `PROFILE/alerts.toml` ([`Config::load`]). The
//! [`Alerter`] runs on a thread of its own beside `hotline watch` and
//! `hotline ui`: it looks at what the archive holds ([`raise`]), raises each
//! alert once into the archive's queue (`archive/alerts.rs`), and delivers
//! the queue with retries and backoff ([`deliver_due`]), recording every
//! attempt. A sync never waits for it: it holds no lock across a delivery,
//! and an unreachable mail server or webhook only delays its own deliveries.
//!
//! What an alert carries: by default nothing above TLP:CLEAR — what it is
//! (the message kind, `deadline` or `alarm`), the channel and case ids, the
//! deadline and a link to the UI. A message's title is added only when its
//! TLP is at or below the profile's `content_up_to`. The body is never sent.

mod send;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use hotline_core::charter::VerifiedCharter;
use hotline_core::dsse::SignedDocument;
use hotline_core::ids::ChannelId;
use hotline_core::keys::KeyId;
use hotline_core::message::{InnerHeader, Kind, Tlp};
use hotline_log::storage::LogStore as _;
use serde::{Deserialize, Serialize};

use crate::archive::{Archive, ArchiveError};

pub use send::{EmailTarget, SmtpTls, WebhookTarget, sign_webhook};

/// The file, in a profile folder.
pub const FILE: &str = "alerts.toml";

/// How many deliveries one round attempts at most.
const ROUND: usize = 32;
/// The first retry's delay; each next one doubles, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: u64 = 5;
/// The longest delay between two attempts.
const MAX_BACKOFF: u64 = 600;
/// How often the worker looks at the archive when nothing pokes it (a
/// deadline comes near with time alone).
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// Why alerts could not be configured or raised.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The configuration file is wrong.
    #[error("{path}: {msg}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        msg: String,
    },
    /// The archive failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// What raises an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trigger {
    /// A message of this kind, opening a case, from another party.
    Message(Kind),
    /// A case this party owes an acknowledgement or an answer on, a
    /// configured time before its deadline.
    Deadline,
    /// An alarm (the relay or a party misbehaved).
    Alarm,
}

impl Trigger {
    fn parse(s: &str) -> Option<Trigger> {
        match s {
            "deadline" => Some(Trigger::Deadline),
            "alarm" => Some(Trigger::Alarm),
            k => k
                .parse::<Kind>()
                .ok()
                .filter(|k| k.opens_case())
                .map(Trigger::Message),
        }
    }
}

/// The events alerted when `events` is not set.
pub const DEFAULT_EVENTS: [&str; 4] = ["warning", "deconfliction", "deadline", "alarm"];

/// Where an alert goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// E-mail over SMTP.
    Email(EmailTarget),
    /// A JSON POST signed per Standard Webhooks.
    Webhook(WebhookTarget),
}

impl Target {
    /// How long one attempt may take.
    pub fn timeout(&self) -> Duration {
        match self {
            Target::Email(e) => e.timeout(),
            Target::Webhook(w) => w.timeout(),
        }
    }

    /// Its name in the queue: `email:SERVER:PORT:TO,…` or `webhook:URL`.
    pub fn name(&self) -> String {
        match self {
            Target::Email(e) => e.name(),
            Target::Webhook(w) => format!("webhook:{}", w.url),
        }
    }
}

/// A profile's alert configuration (`alerts.toml`, `docs/alerts.md`).
#[derive(Debug, Clone)]
pub struct Config {
    /// The UI's address as the duty officer reaches it, for links.
    pub link: Option<String>,
    /// How long before a deadline a case owed by this party alerts (seconds).
    pub before_deadline: u64,
    /// The highest TLP whose titles an alert may carry.
    pub content_up_to: Tlp,
    /// What raises an alert.
    pub events: BTreeSet<Trigger>,
    /// How long a delivery is retried before it is given up (seconds).
    pub give_up_after: u64,
    /// Where alerts go.
    pub targets: Vec<Target>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Span {
    Secs(u64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    link: Option<String>,
    before_deadline: Option<Span>,
    content_up_to: Option<String>,
    events: Option<Vec<String>>,
    give_up_after: Option<Span>,
    #[serde(default)]
    email: Vec<send::RawEmail>,
    #[serde(default)]
    webhook: Vec<send::RawWebhook>,
}

/// Seconds from `90`, `"90s"`, `"30m"`, `"4h"` or `"2d"`.
fn span(s: &Span, what: &str) -> Result<u64, String> {
    let t = match s {
        Span::Secs(n) => return Ok(*n),
        Span::Text(t) => t.trim(),
    };
    let (n, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = n.parse().map_err(|_| {
        format!(
            "{what} = {t:?}: expected a number of seconds, or a number and s, m, h or d (\"4h\")"
        )
    })?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{what} = {t:?}: unknown unit {unit:?}; use s, m, h or d (\"4h\")"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{what} = {t:?} is too long"))
}

impl Config {
    /// Reads `PROFILE/alerts.toml`; `None` if there is no such file (no
    /// alerts). Secrets it names (`password_file`, `secret_file`, or the
    /// `_env` variables) are read now; a file holding one must be readable
    /// by its owner only.
    pub fn load(profile_dir: &Path) -> Result<Option<Config>, AlertError> {
        let path = profile_dir.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(AlertError::Config {
                    path,
                    msg: format!("cannot read it: {e}"),
                });
            }
        };
        Config::parse(&text, profile_dir)
            .map(Some)
            .map_err(|msg| AlertError::Config { path, msg })
    }

    /// Parses a configuration; relative paths in it are relative to `dir`.
    pub fn parse(text: &str, dir: &Path) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let events = match &raw.events {
            None => DEFAULT_EVENTS.iter().map(|e| e.to_string()).collect(),
            Some(e) => e.clone(),
        };
        let mut triggers = BTreeSet::new();
        for e in &events {
            triggers.insert(Trigger::parse(e).ok_or_else(|| {
                format!(
                    "events: unknown event {e:?}; expected deadline, alarm, or a kind that opens a case (inquiry, assistance, warning, deconfliction, consultation)"
                )
            })?);
        }
        let content_up_to = match &raw.content_up_to {
            None => Tlp::Clear,
            Some(t) => t.parse().map_err(|_| {
                format!(
                    "content_up_to = {t:?}: expected one of {}",
                    Tlp::ALL
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?,
        };
        if let Some(l) = &raw.link
            && !(l.starts_with("http://") || l.starts_with("https://"))
        {
            return Err(format!(
                "link = {l:?}: expected an http(s) URL (the UI's address)"
            ));
        }
        let mut targets = Vec::new();
        for (i, e) in raw.email.iter().enumerate() {
            targets.push(Target::Email(
                send::email(e, dir).map_err(|m| format!("[[email]] #{}: {m}", i + 1))?,
            ));
        }
        for (i, w) in raw.webhook.iter().enumerate() {
            targets.push(Target::Webhook(
                send::webhook(w, dir).map_err(|m| format!("[[webhook]] #{}: {m}", i + 1))?,
            ));
        }
        let mut names = BTreeSet::new();
        for t in &targets {
            if !names.insert(t.name()) {
                return Err(format!("{} is configured twice", t.name()));
            }
        }
        Ok(Config {
            link: raw.link.map(|l| l.trim_end_matches('/').to_owned()),
            before_deadline: raw
                .before_deadline
                .as_ref()
                .map_or(Ok(4 * 3600), |s| span(s, "before_deadline"))?,
            content_up_to,
            events: triggers,
            give_up_after: raw
                .give_up_after
                .as_ref()
                .map_or(Ok(86_400), |s| span(s, "give_up_after"))?,
            targets,
        })
    }
}

/// What an alert says (the JSON every target is sent, after the envelope
/// of Standard Webhooks: `type`, `timestamp`, `data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Always `hotline.alert`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it was raised (RFC 3339).
    pub timestamp: String,
    /// What it is about.
    pub data: AlertData,
}

/// What an alert is about: nothing above TLP:CLEAR unless `title` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertData {
    /// A message kind (`warning`, …), `deadline` or `alarm`.
    pub what: String,
    /// The channel (hex).
    pub channel: String,
    /// The case (hex), for a message or a deadline.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub case: Option<String>,
    /// The message's log index.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub index: Option<u64>,
    /// For a deadline: what this party owes (`ack` or `answer`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owed: Option<String>,
    /// The deadline this party has on the case (RFC 3339), if dated.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub deadline: Option<String>,
    /// For an alarm: its kind (`fork`, `withheld-envelope`, …) and number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub alarm: Option<String>,
    /// The message's TLP label.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tlp: Option<String>,
    /// The message's title: only when its TLP is at or below `content_up_to`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub title: Option<String>,
    /// Where the UI shows it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub link: Option<String>,
}

impl Alert {
    /// A subject line (e-mail, browser notification): nothing above TLP:CLEAR
    /// unless the title is there.
    pub fn subject(&self) -> String {
        let d = &self.data;
        let short = |s: &str| s.chars().take(8).collect::<String>();
        let mut s = match (d.what.as_str(), &d.case) {
            ("alarm", _) => format!(
                "Hotline ALARM on channel {}: {}",
                short(&d.channel),
                d.alarm.as_deref().unwrap_or("")
            ),
            ("deadline", Some(c)) => format!(
                "Hotline: {} due {} on case {}",
                d.owed.as_deref().unwrap_or("reply"),
                d.deadline.as_deref().unwrap_or("(undated)"),
                short(c)
            ),
            (w, Some(c)) => format!("Hotline: {w} in case {}", short(c)),
            (w, None) => format!("Hotline: {w}"),
        };
        if let Some(t) = &d.title {
            s.push_str(" — ");
            s.push_str(t);
        }
        s
    }

    /// The text of an e-mail.
    pub fn text(&self, content_up_to: Tlp) -> String {
        let d = &self.data;
        let mut t = format!("{}\n\n", self.subject());
        let mut line = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                t.push_str(&format!("{k}: {v}\n"));
            }
        };
        line("What", &Some(d.what.clone()));
        line("Channel", &Some(d.channel.clone()));
        line("Case", &d.case);
        line("Log index", &d.index.map(|i| i.to_string()));
        line("Owed", &d.owed);
        line("Deadline", &d.deadline);
        line("Alarm", &d.alarm);
        line("TLP", &d.tlp);
        line("Title", &d.title);
        line("Open", &d.link);
        line("Raised", &Some(self.timestamp.clone()));
        t.push_str(&format!(
            "\nThis alert carries nothing above {} (alerts.toml: content_up_to). \
             Read the correspondence in Hotline itself.\n",
            content_up_to.as_str()
        ));
        t
    }
}

fn rfc3339(t: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t.min(253_402_300_799) as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The current time, POSIX seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An alert raised into the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    /// Its number in the archive.
    pub id: i64,
    /// Its key (`message:…`, `deadline:…`, `alarm:…`).
    pub key: String,
    /// What it says.
    pub alert: Alert,
}

/// One channel's cases as far as alerts need them.
pub struct Chan {
    party: Option<KeyId>,
    /// By case id (hex): what this party owes on it and by when.
    cases: BTreeMap<String, Option<(Kind, Option<u64>)>>,
}

fn chan(archive: &Archive, id: &ChannelId, member: &KeyId) -> Result<Chan, AlertError> {
    let rec = archive.channel(id)?;
    let charter = SignedDocument::from_json(&rec.charter)
        .ok()
        .and_then(|d| VerifiedCharter::verify(&d).ok());
    let mut cases = BTreeMap::new();
    let mut party = None;
    // A channel whose stored charter does not verify has no cases (sync
    // refuses to go on with it): its messages alert as another party's.
    if let Some(charter) = charter {
        // The member's party, as `channel::party_of` finds it, from the
        // charter verified here.
        let size = archive.log.size(&rec.origin).map_err(ArchiveError::from)?;
        let dir = crate::sync::directory(archive, &rec.origin, size, &charter)?;
        party = dir.signer_at(member, size).map(|s| s.party);
        let (cs, _) = crate::cases::derive(charter.charter(), &archive.logged_messages(id)?);
        for c in cs {
            let owed = party.as_ref().and_then(|p| c.owed_by(p));
            cases.insert(c.id.to_hex(), owed);
        }
    }
    Ok(Chan { party, cases })
}

/// What [`Raiser`] keeps between looks: each channel's cases as derived
/// from the archive, with the archive's mark of that channel when derived
/// (`Archive::state`), derived again only when the mark moves.
#[derive(Default)]
pub struct Raiser {
    cache: BTreeMap<String, (crate::archive::ChannelState, Chan)>,
}

impl Raiser {
    /// [`raise`], deriving a channel's cases again only when the archive
    /// holds something new for it (the worker looks every 5 s).
    pub fn raise(
        &mut self,
        archive: &Archive,
        cfg: &Config,
        member: &KeyId,
        now: u64,
    ) -> Result<Vec<Raised>, AlertError> {
        raise_with(archive, cfg, member, now, &mut self.cache)
    }
}

/// Derives `channel`'s cases into `cache` unless done in this look
/// (`fresh`) or the archive holds nothing new for it since.
fn refresh(
    archive: &Archive,
    member: &KeyId,
    cache: &mut BTreeMap<String, (crate::archive::ChannelState, Chan)>,
    fresh: &mut BTreeSet<String>,
    channel: &str,
    id: &ChannelId,
) -> Result<(), AlertError> {
    if fresh.contains(channel) {
        return Ok(());
    }
    let state = archive.state(id)?;
    if cache.get(channel).is_none_or(|(s, _)| *s != state) {
        cache.insert(channel.to_owned(), (state, chan(archive, id, member)?));
    }
    fresh.insert(channel.to_owned());
    Ok(())
}

/// Raises, into the archive's queue, every alert due at `now` for the
/// member `member` (its signing key id) that was not raised before: a
/// message of a configured kind from another party, stored since alerts
/// were first enabled for this archive; a case this party owes on, from
/// `before_deadline` before its deadline (deadlines already past when
/// alerts were enabled are not alerted); an alarm raised since. Each alert
/// gets a delivery to every configured target. The first call on an
/// archive marks where alerting starts and raises only deadlines.
pub fn raise(
    archive: &Archive,
    cfg: &Config,
    member: &KeyId,
    now: u64,
) -> Result<Vec<Raised>, AlertError> {
    raise_with(archive, cfg, member, now, &mut BTreeMap::new())
}

fn raise_with(
    archive: &Archive,
    cfg: &Config,
    member: &KeyId,
    now: u64,
    cache: &mut BTreeMap<String, (crate::archive::ChannelState, Chan)>,
) -> Result<Vec<Raised>, AlertError> {
    let since = match archive.alert_mark("since")? {
        Some(s) => s,
        None => {
            let (msgs, alarms) = archive.alert_frontier()?;
            archive.set_alert_mark("messages", msgs)?;
            archive.set_alert_mark("alarms", alarms)?;
            archive.set_alert_mark("since", now)?;
            now
        }
    };
    let targets: Vec<String> = cfg.targets.iter().map(Target::name).collect();
    // Each channel's cases, derived at most once per look, and only when
    // the archive's mark of the channel moved since the last.
    let mut fresh: BTreeSet<String> = BTreeSet::new();
    let mut raised = Vec::new();
    let link = |path: &str| cfg.link.as_ref().map(|l| format!("{l}{path}"));
    let mut push = |key: String, channel: &str, data: AlertData| -> Result<(), AlertError> {
        let alert = Alert {
            kind: "hotline.alert".into(),
            timestamp: rfc3339(now),
            data,
        };
        let payload = serde_json::to_string(&alert).unwrap_or_default();
        if let Some(id) = archive.raise_alert(&key, channel, &payload, &targets, now)? {
            raised.push(Raised { id, key, alert });
        }
        Ok(())
    };

    // Messages stored since the last look, in the order they were stored.
    let mut after = archive.alert_mark("messages")?.unwrap_or(0);
    loop {
        let page = archive.messages_stored_after(after, 256)?;
        let Some(last) = page.last().map(|m| m.0) else {
            break;
        };
        for (_, channel, index, header) in &page {
            let Ok(h) = serde_json::from_str::<InnerHeader>(header) else {
                continue;
            };
            if !cfg.events.contains(&Trigger::Message(h.kind)) {
                continue;
            }
            let Ok(id) = ChannelId::from_hex(channel) else {
                continue;
            };
            refresh(archive, member, cache, &mut fresh, channel, &id)?;
            let c = &cache[channel].1;
            if c.party == Some(h.party) {
                continue;
            }
            let case = h.case.to_hex();
            let deadline = c
                .cases
                .get(&case)
                .and_then(|k| *k)
                .and_then(|(_, due)| due)
                .map(rfc3339);
            let title = (h.tlp <= cfg.content_up_to).then(|| h.title.clone());
            push(
                format!("message:{channel}:{index}"),
                channel,
                AlertData {
                    what: h.kind.as_str().into(),
                    channel: channel.clone(),
                    link: link(&format!("/case/{case}")),
                    case: Some(case),
                    index: Some(*index),
                    owed: None,
                    deadline,
                    alarm: None,
                    tlp: Some(h.tlp.as_str().into()),
                    title,
                },
            )?;
        }
        after = last;
        archive.set_alert_mark("messages", after)?;
    }

    if cfg.events.contains(&Trigger::Alarm) {
        let seen = archive.alert_mark("alarms")?.unwrap_or(0);
        let mut last = seen;
        for a in archive.alarms()? {
            let id = a.id.max(0) as u64;
            if id <= seen {
                continue;
            }
            last = last.max(id);
            push(
                format!("alarm:{id}"),
                &a.channel,
                AlertData {
                    what: "alarm".into(),
                    channel: a.channel.clone(),
                    case: None,
                    index: None,
                    owed: None,
                    deadline: None,
                    alarm: Some(format!("{} (#{id})", a.kind)),
                    tlp: None,
                    title: None,
                    link: link("/health"),
                },
            )?;
        }
        archive.set_alert_mark("alarms", last)?;
    }

    if cfg.events.contains(&Trigger::Deadline) {
        for rec in archive.channels()? {
            let channel = rec.id.to_hex();
            refresh(archive, member, cache, &mut fresh, &channel, &rec.id)?;
            for (case, c) in &cache[&channel].1.cases {
                let Some((owed, Some(due))) = *c else {
                    continue;
                };
                if due < since || now.saturating_add(cfg.before_deadline) < due {
                    continue;
                }
                push(
                    format!("deadline:{channel}:{case}:{}:{due}", owed.as_str()),
                    &channel,
                    AlertData {
                        what: "deadline".into(),
                        channel: channel.clone(),
                        case: Some(case.clone()),
                        index: None,
                        owed: Some(owed.as_str().into()),
                        deadline: Some(rfc3339(due)),
                        alarm: None,
                        tlp: None,
                        title: None,
                        link: link(&format!("/case/{case}")),
                    },
                )?;
            }
        }
    }
    Ok(raised)
}

/// When to try a delivery again after its `attempts`-th failure, or `None`
/// to give up (`give_up_after` since it was raised has passed).
pub fn retry_at(attempts: u32, created_at: u64, now: u64, give_up_after: u64) -> Option<u64> {
    let shift = attempts.saturating_sub(1).min(20);
    let delay = (FIRST_BACKOFF << shift).min(MAX_BACKOFF);
    let at = now.saturating_add(delay);
    (at <= created_at.saturating_add(give_up_after)).then_some(at)
}

/// What the worker did, for the program that runs it to show.
#[derive(Debug, Clone)]
pub enum Report {
    /// An alert was raised.
    Raised(Box<Raised>),
    /// A delivery succeeded.
    Delivered {
        /// The alert's key.
        key: String,
        /// The target's name.
        target: String,
    },
    /// A delivery attempt failed.
    Failed {
        /// The alert's key.
        key: String,
        /// The target's name.
        target: String,
        /// What went wrong.
        error: String,
        /// When it is tried again (`None`: given up).
        retry_at: Option<u64>,
    },
    /// Raising alerts failed (the archive).
    Error(String),
}

/// Attempts the deliveries to `target` due at `now` (at most 32, oldest
/// first), records each outcome and reports it; stops at the first that
/// fails (the others would wait for the same server). Returns how many
/// were attempted. `member` (a signing key id, public) makes the webhook
/// message ids of two members of one party differ.
pub fn deliver_due(
    archive: &Archive,
    cfg: &Config,
    target: &Target,
    member: &KeyId,
    now: u64,
    report: &mut dyn FnMut(Report),
) -> Result<usize, AlertError> {
    let name = target.name();
    let due = archive.due_deliveries(now, ROUND, Some(&name))?;
    let mut n = 0;
    for d in due {
        // The attempt's lease: its timeout and a margin.
        let lease = now + target.timeout().as_secs() * 2 + 30;
        if !archive.claim_delivery(d.alert, &d.target, now, lease)? {
            continue;
        }
        n += 1;
        let outcome = match serde_json::from_str::<Alert>(&d.payload) {
            Err(e) => Err(format!("the queued alert does not parse: {e}")),
            Ok(a) => match target {
                Target::Email(e) => e.send(&a, cfg.content_up_to),
                Target::Webhook(w) => w.send(&send::webhook_id(member, &d.key), &d.payload, now),
            },
        };
        match outcome {
            Ok(()) => {
                archive.record_attempt(d.alert, &d.target, now, Ok(()))?;
                report(Report::Delivered {
                    key: d.key,
                    target: d.target,
                });
            }
            Err(e) => {
                let at = retry_at(d.attempts + 1, d.created_at, now, cfg.give_up_after);
                archive.record_attempt(d.alert, &d.target, now, Err((&e, at)))?;
                report(Report::Failed {
                    key: d.key,
                    target: d.target,
                    error: e,
                    retry_at: at,
                });
                break;
            }
        }
    }
    Ok(n)
}

/// Sends `alert` to `target` at once, outside the queue (`hotline alerts
/// test`): whether it arrived.
pub fn send_now(
    target: &Target,
    cfg: &Config,
    member: &KeyId,
    alert: &Alert,
) -> Result<(), String> {
    let body = serde_json::to_string(alert).map_err(|e| e.to_string())?;
    match target {
        Target::Email(e) => e.send(alert, cfg.content_up_to),
        Target::Webhook(w) => w.send(
            &send::webhook_id(member, &format!("test:{}", alert.timestamp)),
            &body,
            now(),
        ),
    }
}

/// An alert that says it is a test, for [`send_now`].
pub fn test_alert(cfg: &Config, now: u64) -> Alert {
    Alert {
        kind: "hotline.alert".into(),
        timestamp: rfc3339(now),
        data: AlertData {
            what: "test".into(),
            channel: String::new(),
            case: None,
            index: None,
            owed: None,
            deadline: None,
            alarm: None,
            tlp: None,
            title: None,
            link: cfg.link.clone(),
        },
    }
}

/// The alert worker of one process: a thread raises alerts, one thread
/// per target delivers them, until the `Alerter` is dropped. A target that
/// does not answer delays only its own deliveries.
pub struct Alerter {
    poke: mpsc::Sender<()>,
}

type Shared<R> = Arc<std::sync::Mutex<R>>;

impl Alerter {
    /// Starts the worker over `archive` for the member `member`; `report`
    /// is called, on the worker's threads, with what it did.
    pub fn spawn(
        archive: Arc<Archive>,
        cfg: Config,
        member: KeyId,
        report: impl FnMut(Report) + Send + 'static,
    ) -> Alerter {
        let report: Shared<Box<dyn FnMut(Report) + Send>> =
            Arc::new(std::sync::Mutex::new(Box::new(report)));
        let say = |report: &Shared<Box<dyn FnMut(Report) + Send>>, r: Report| {
            if let Ok(mut f) = report.lock() {
                f(r)
            }
        };
        let cfg = Arc::new(cfg);
        let mut wakes = Vec::new();
        for i in 0..cfg.targets.len() {
            let (wake, rx) = mpsc::channel::<()>();
            wakes.push(wake);
            let (archive, cfg, report) = (archive.clone(), cfg.clone(), report.clone());
            std::thread::spawn(move || {
                loop {
                    let t = &cfg.targets[i];
                    let mut out = |r: Report| say(&report, r);
                    let busy = match deliver_due(&archive, &cfg, t, &member, now(), &mut out) {
                        Ok(n) => n == ROUND,
                        Err(e) => {
                            out(Report::Error(e.to_string()));
                            false
                        }
                    };
                    if busy {
                        continue;
                    }
                    match rx.recv_timeout(Duration::from_secs(1)) {
                        Ok(()) => while rx.try_recv().is_ok() {},
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
            });
        }
        let (poke, rx) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            let mut raiser = Raiser::default();
            // Alerts are reported as they appear in the archive, whichever
            // process raised them (`hotline watch` beside `hotline ui`: the
            // UI's pages are told of the watch's too). From now on only.
            let mut shown = archive.last_alert().unwrap_or(0);
            loop {
                match raiser.raise(&archive, &cfg, &member, now()) {
                    Ok(r) => {
                        if !r.is_empty() {
                            for w in &wakes {
                                let _ = w.send(());
                            }
                        }
                    }
                    Err(e) => say(&report, Report::Error(e.to_string())),
                }
                match archive.alerts_after(shown, 256) {
                    Ok(rows) => {
                        for (id, key, payload) in rows {
                            shown = id;
                            if let Ok(alert) = serde_json::from_str::<Alert>(&payload) {
                                say(&report, Report::Raised(Box::new(Raised { id, key, alert })));
                            }
                        }
                    }
                    Err(e) => say(&report, Report::Error(e.to_string())),
                }
                match rx.recv_timeout(LOOK_EVERY) {
                    Ok(()) => while rx.try_recv().is_ok() {},
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    // Dropping the wakes ends the delivery threads too.
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        });
        Alerter { poke }
    }

    /// Asks the worker to look at the archive now (after a sync stored
    /// something).
    pub fn poke(&self) {
        let _ = self.poke.send(());
    }
}

#[cfg(test)]
mod tests;
