//! `hotline case …`, `inbox`, `ping`, `pong`, `report`: cases with deadlines
//! over the client library. Every command syncs first, so what it shows or
//! acts on is verified and current; a reading command (`inbox`, `case show`,
//! `report`) whose relay cannot be reached shows the archive instead and says
//! how old its last verified checkpoint is (`crate::offline`).

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use hotline_client::archive::{Archive, ChannelRecord};
use hotline_client::cases::{self, Case, Ping, State};
use hotline_client::compose::{Attachment, Draft, send};
use hotline_client::keyring::Keyring;
use hotline_client::profile::Profile;
use hotline_client::relay_client::RelayClient;
use hotline_client::sync::{SyncError, sync_channel};
use hotline_core::charter::{Charter, VerifiedCharter};
use hotline_core::dsse::SignedDocument;
use hotline_core::keys::KeyId;
use hotline_core::message::{Kind, Norm, Tlp};

use crate::offline::{self, Freshness};
use crate::tr::{self, printable, ta};
use crate::{Cli, Outcome, out};

#[derive(Debug, clap::Subcommand)]
pub enum CaseCommand {
    /// Open a case: an inquiry, a request for assistance, a warning, a de-confliction or a
    /// consultation.
    Open {
        /// The kind of case.
        #[arg(long, value_parser = ["inquiry", "assistance", "warning", "deconfliction", "consultation"])]
        kind: String,
        /// The addressed parties (short names).
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        /// A short title.
        #[arg(long)]
        title: String,
        #[command(flatten)]
        text: Text,
        /// A file of evidence (repeatable).
        #[arg(long = "evidence", value_name = "FILE")]
        evidence: Vec<PathBuf>,
        /// A STIX 2.1 bundle (JSON) of indicators.
        #[arg(long, value_name = "FILE")]
        stix: Option<PathBuf>,
        /// Send the STIX objects of this draft as the case's bundle (`hotline evidence list`);
        /// once the case is confirmed they leave the draft.
        #[arg(long, value_name = "NAME", conflicts_with = "stix")]
        draft: Option<String>,
        /// TLP 2.0 label [default: the charter's].
        #[arg(long)]
        tlp: Option<String>,
        /// The UN GGE 2015 norm invoked, e.g. 13h.
        #[arg(long)]
        norm: Option<String>,
        /// The channel [default: the only one this profile follows].
        #[arg(long)]
        channel: Option<String>,
    },
    /// Acknowledge a case (receipt implies no agreement).
    Ack(Reply),
    /// Send an interim reply.
    Interim(Reply),
    /// Answer a case.
    Answer(Reply),
    /// Ask for or give a clarification.
    Clarify(Reply),
    /// Close a case.
    Close(Reply),
    /// Reopen a closed case.
    Reopen(Reply),
    /// Show a case's timeline and deadlines (from the archive if the relay cannot be reached).
    Show {
        /// The case id.
        case: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct Reply {
    /// The case id.
    case: String,
    #[command(flatten)]
    text: Text,
    /// A file of evidence (repeatable).
    #[arg(long = "evidence", value_name = "FILE")]
    evidence: Vec<PathBuf>,
}

/// A message's body, in one language or several (`docs/client.md`).
#[derive(Debug, clap::Args)]
pub struct Text {
    /// The body, Markdown, from a file; `LANG=FILE` names its language (BCP 47). Repeat it
    /// for a body in several languages, each sealed as its own part:
    /// `--body-file en=note.en.md --body-file ru=note.ru.md`.
    #[arg(long, value_name = "[LANG=]FILE")]
    body_file: Vec<String>,
    /// The body, given inline.
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    /// The language of a body given without a tag [default: en].
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,
    /// Which texts are authentic: a language (repeatable), or `all` when every version is
    /// equally authentic. Required when the body is in several languages.
    #[arg(long, value_name = "LANG|all")]
    authentic: Vec<String>,
}

impl Text {
    /// The versions given, `(tag, Markdown)`, in order; none if no body was.
    fn read(&self) -> anyhow::Result<Vec<(String, String)>> {
        let default = self.lang.clone().unwrap_or_else(|| "en".into());
        if let Some(b) = &self.body {
            return Ok(vec![(default, b.clone())]);
        }
        self.body_file
            .iter()
            .map(|arg| {
                // `LANG=FILE` when what precedes the first `=` is a tag;
                // a file whose name has one is given as `./en=x.md`.
                let (lang, file, tagged) = match arg.split_once('=') {
                    Some((l, f)) if hotline_core::message::is_language_tag(l) => {
                        (l.to_string(), f, true)
                    }
                    _ => (default.clone(), arg.as_str(), false),
                };
                let body = std::fs::read_to_string(file).with_context(|| {
                    if arg.contains('=') && !tagged {
                        format!(
                            "reading the body file {file} (to name its language write LANG=FILE \
                             with a BCP 47 tag, e.g. en=note.md or ru=note.ru.md)"
                        )
                    } else {
                        format!("reading the body file {file}")
                    }
                })?;
                Ok((lang, body))
            })
            .collect()
    }

    /// Sets `d`'s body from these arguments, or from `fallback` when none
    /// was given; without either, `missing` is the error.
    fn apply(&self, d: &mut Draft, fallback: Option<&str>, missing: &str) -> anyhow::Result<()> {
        let mut texts = self.read()?;
        if texts.is_empty() {
            let Some(f) = fallback else {
                bail!("{missing}")
            };
            // The fallback text is English whatever `--lang` says.
            texts.push(("en".into(), f.into()));
        }
        d.set_texts(texts, &self.authentic)
            .map_err(|e| anyhow::anyhow!("{e}; see `hotline case open --help`"))?;
        Ok(())
    }
}

/// How a language version of a body is labelled: `[ru, translation]`.
pub(crate) fn text_label(lang: &str, authentic: bool) -> String {
    ta(
        if authentic {
            "cli-text-authentic"
        } else {
            "cli-text-translation"
        },
        &[("lang", lang.to_owned())],
    )
}

/// Another party's text as lines to print after `| `, with no terminal
/// control sequences.
pub(crate) fn quoted(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| format!("| {}", tr::printable(line)))
        .collect()
}

pub(crate) struct Ctx {
    pub(crate) archive: Archive,
    pub(crate) me: Keyring,
    pub(crate) channels: Vec<(ChannelRecord, Charter)>,
    /// How current the archive is, channel by channel.
    pub(crate) fresh: Vec<Freshness>,
    /// An air-gapped profile (`docs/airgap.md`): the relay is never asked,
    /// messages are queued for the courier.
    pub(crate) air: bool,
}

/// Queues `d` for the courier when the profile is air-gapped; whether it did.
fn queued(c: &Ctx, rec: &ChannelRecord, d: &Draft, what: &str) -> anyhow::Result<bool> {
    if !c.air {
        return Ok(false);
    }
    let id = hotline_client::compose::queue(&c.archive, &rec.id, &c.me, d)?;
    out!(
        "{}",
        ta(
            "cli-queued",
            &[("what", tr::kind(what)), ("id", id.to_hex())]
        )
    );
    Ok(true)
}

fn now() -> u64 {
    crate::offline::now()
}

/// The time deadlines are judged at: `--at` (RFC 3339) or now.
fn as_of(at: Option<&str>) -> anyhow::Result<u64> {
    match at {
        None => Ok(now()),
        Some(s) => {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .with_context(|| {
                    format!("--at {s:?}: expected an RFC 3339 time such as 2026-12-31T23:59:59Z")
                })?;
            u64::try_from(t.unix_timestamp())
                .map_err(|_| anyhow::anyhow!("--at {s:?}: before 1970"))
        }
    }
}

/// Opens the profile, unlocks the member keys and syncs every channel; fails
/// if any sync fails. For commands that act (send, consent, export).
pub(crate) fn ctx(cli: &Cli) -> anyhow::Result<Ctx> {
    open(cli, false)
}

/// As [`ctx`], for commands that only read: a channel whose relay cannot be
/// reached (a transport failure, never an alarm) is shown from the archive,
/// and [`Ctx::fresh`] says how old its last verified checkpoint is.
pub(crate) fn read_ctx(cli: &Cli) -> anyhow::Result<Ctx> {
    open(cli, true)
}

fn open(cli: &Cli, offline_ok: bool) -> anyhow::Result<Ctx> {
    let p = Profile::open(&cli.profile_dir()?)?;
    let me = p.unlock_keyring(&crate::passphrase::existing("member keys")?)?;
    let archive = Archive::open(p.dir())?;
    let mut channels = Vec::new();
    let mut fresh = Vec::new();
    // Relays found unreachable in this command: not asked again (one wait
    // for a black-holed address, not one per channel).
    let mut down: Vec<(String, String)> = Vec::new();
    let air = hotline_client::airgap::is_air_gapped(p.dir());
    for rec in archive.channels()? {
        let known_down = if air {
            Some("this profile is air-gapped: `hotline sync --import` brings the log".to_string())
        } else {
            down.iter()
                .find(|(url, _)| *url == rec.relay_url)
                .map(|(_, why)| why.clone())
        };
        let unreachable = match known_down {
            Some(why) => Some(why),
            None => {
                let relay = RelayClient::new(&rec.relay_url, me.current.signing.clone())?;
                match sync_channel(&archive, &relay, &rec.id, &me, &|_, _| {}) {
                    Ok(_) => None,
                    Err(SyncError::Alarm(a)) => bail!(
                        "channel {}: ALARM {}: {} (`hotline alarms` shows the evidence); nothing was done",
                        rec.id.to_hex(),
                        a.kind,
                        a.detail
                    ),
                    // The log is verified and mirrored; only some envelope
                    // bodies are still to fetch. Go on (a relay that withholds
                    // one envelope must not stop the officer from answering
                    // the others), and say so.
                    Err(e @ SyncError::Incomplete { .. }) => {
                        eprintln!(
                            "{}",
                            ta(
                                "cli-sync-incomplete",
                                &[("channel", rec.id.to_hex()), ("error", e.to_string())]
                            )
                        );
                        None
                    }
                    Err(SyncError::Relay(e)) if offline_ok && e.is_unreachable() => {
                        down.push((rec.relay_url.clone(), e.to_string()));
                        Some(e.to_string())
                    }
                    Err(e) => bail!("channel {}: could not sync: {e}", rec.id.to_hex()),
                }
            }
        };
        fresh.push(Freshness::of(&archive, rec.id, Some(unreachable))?);
        let doc = SignedDocument::from_json(&rec.charter)?;
        let c = VerifiedCharter::verify(&doc)?.charter().clone();
        channels.push((rec, c));
    }
    if channels.is_empty() {
        bail!("this profile follows no channel: `hotline channel join` or `register` one first");
    }
    Ok(Ctx {
        archive,
        me,
        channels,
        fresh,
        air,
    })
}

impl Ctx {
    pub(crate) fn pick(&self, channel: Option<&str>) -> anyhow::Result<&(ChannelRecord, Charter)> {
        match channel {
            Some(c) => self
                .channels
                .iter()
                .find(|(r, _)| r.id.to_hex() == c)
                .with_context(|| format!("this profile does not follow channel {c}")),
            None if self.channels.len() == 1 => Ok(&self.channels[0]),
            None => bail!("this profile follows several channels: pass --channel"),
        }
    }

    fn derive(
        &self,
        rec: &ChannelRecord,
        charter: &Charter,
    ) -> anyhow::Result<(Vec<Case>, Vec<Ping>)> {
        Ok(cases::derive(
            charter,
            &self.archive.logged_messages(&rec.id)?,
        ))
    }

    pub(crate) fn my_party(&self, rec: &ChannelRecord) -> anyhow::Result<KeyId> {
        hotline_client::channel::party_of(
            &self.archive,
            &rec.id,
            &self.me.current.signing.key_id(),
        )?
        .context("this member is not in its party's roster in this channel")
    }

    fn find_case(&self, id: &str) -> anyhow::Result<(&ChannelRecord, &Charter, Case)> {
        for (rec, charter) in &self.channels {
            let (cs, _) = self.derive(rec, charter)?;
            if let Some(c) = cs.into_iter().find(|c| c.id.to_hex() == id) {
                return Ok((rec, charter, c));
            }
        }
        bail!("no case {id} in this profile's channels (`hotline inbox` lists them)")
    }
}

fn short(charter: &Charter, id: &KeyId) -> String {
    charter
        .party(id)
        .map(|p| p.short.clone())
        .unwrap_or_else(|| id.short())
}

fn when(t: Option<u64>) -> String {
    match t.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t as i64).ok()) {
        Some(d) => d
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        None => crate::tr::t("cli-not-dated"),
    }
}

fn attachments(files: &[PathBuf]) -> anyhow::Result<Vec<Attachment>> {
    files
        .iter()
        .map(|f| {
            Ok(Attachment {
                name: f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "evidence".into()),
                media_type: "application/octet-stream".into(),
                bytes: std::fs::read(f).with_context(|| format!("reading {}", f.display()))?,
            })
        })
        .collect()
}

pub fn run_case(cli: &Cli, cmd: &CaseCommand) -> anyhow::Result<Outcome> {
    let c = match cmd {
        CaseCommand::Show { .. } => read_ctx(cli)?,
        _ => ctx(cli)?,
    };
    match cmd {
        CaseCommand::Open {
            kind,
            to,
            title,
            text,
            evidence,
            stix,
            draft,
            tlp,
            norm,
            channel,
        } => {
            let (rec, charter) = c.pick(channel.as_deref())?;
            if let Some(name) = draft {
                // Checked here to show the warnings; `open_case` takes the
                // draft's objects and refuses what breaks a MUST rule.
                let b = c
                    .archive
                    .draft_bundle(&rec.id, name)
                    .with_context(|| format!("the draft {name:?} cannot be sent"))?;
                let warnings = hotline_client::compose::check_stix(&b.bytes)
                    .with_context(|| format!("the draft {name:?} was not sent"))?;
                for w in warnings {
                    eprintln!("warning: draft {name}: {w}");
                }
            }
            let to = to
                .iter()
                .map(|s| {
                    charter
                        .party_by_short(s)
                        .map(|p| p.id)
                        .with_context(|| format!("no party {s:?} in this channel"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let stix = match stix {
                Some(f) => {
                    let b = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
                    // Validated here to show the warnings; `send` refuses
                    // what breaks a MUST rule (`docs/stix.md`).
                    let warnings = hotline_client::compose::check_stix(&b)
                        .with_context(|| format!("{} was not attached", f.display()))?;
                    for w in warnings {
                        eprintln!("warning: {}: {w}", f.display());
                    }
                    Some(b)
                }
                None => None,
            };
            let mut d = Draft {
                tlp: tlp.as_deref().map(str::parse::<Tlp>).transpose()?,
                norm: norm.as_deref().map(str::parse::<Norm>).transpose()?,
                attachments: attachments(evidence)?,
                stix,
                ..Draft::new(kind.parse()?, to, title.clone(), String::new())
            };
            text.apply(&mut d, None, "give the body with --body or --body-file")?;
            if c.air && draft.is_some() {
                bail!(
                    "a draft is not sent from an air-gapped profile: give the evidence with --stix"
                );
            }
            if queued(&c, rec, &d, kind)? {
                return Ok(Outcome::Ok);
            }
            let relay = RelayClient::new(&rec.relay_url, c.me.current.signing.clone())?;
            let o = hotline_client::compose::open_case(
                &c.archive,
                &relay,
                &rec.id,
                &c.me,
                d,
                draft.as_deref(),
            )?;
            let index = o.index;
            tell_if_undated(&c.archive, &rec.id, index);
            out!(
                "{}",
                ta(
                    "cli-opened",
                    &[
                        ("kind", tr::kind(kind)),
                        ("id", o.id.to_hex()),
                        ("index", index.to_string())
                    ]
                )
            );
            if let (Some(name), Some((objects, left))) = (draft, o.from_draft) {
                // The case is confirmed: its objects left the draft (those
                // that arrived meanwhile stay).
                let mut vars = vec![("objects", objects.to_string()), ("name", name.clone())];
                let id = if left > 0 {
                    vars.push(("left", left.to_string()));
                    "cli-draft-sent-left"
                } else {
                    "cli-draft-sent"
                };
                out!("{}", ta(id, &vars));
            }
            Ok(Outcome::Ok)
        }
        CaseCommand::Show { case, json } => {
            let t = now();
            offline::tell(&c.fresh, *json, t);
            let (rec, charter, k) = c.find_case(case)?;
            if *json {
                let mut v = serde_json::to_value(&k)?;
                // Each event's body in every language it was written in
                // (`[{"lang", "authentic", "body"}]`, part 1's first).
                if let Some(events) = v.get_mut("timeline").and_then(|t| t.as_array_mut()) {
                    for (ev, e) in events.iter_mut().zip(&k.timeline) {
                        let texts = c.archive.message_texts(&rec.id, e.index)?;
                        if let Some(o) = ev.as_object_mut() {
                            o.insert("texts".into(), serde_json::to_value(texts)?);
                        }
                    }
                }
                if let Some(o) = v.as_object_mut() {
                    o.insert("archive".into(), offline::json(&c.fresh, t));
                }
                out!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(Outcome::Ok);
            }
            out!(
                "{}",
                ta(
                    "cli-case-head",
                    &[
                        ("kind", tr::kind(k.kind.as_str())),
                        ("id", k.id.to_hex()),
                        ("title", tr::printable(&k.title))
                    ]
                )
            );
            let to =
                k.to.iter()
                    .map(|p| short(charter, p))
                    .collect::<Vec<_>>()
                    .join(", ");
            out!(
                "  {}",
                ta(
                    "cli-case-from-to",
                    &[("from", short(charter, &k.opener)), ("to", to)]
                )
            );
            out!(
                "  {}",
                ta(
                    "cli-case-opened",
                    &[("opened", when(k.opened_at)), ("state", tr::state(k.state))]
                )
            );
            out!(
                "  {}",
                ta(
                    "cli-case-due",
                    &[("ack", when(k.ack_due)), ("answer", when(k.answer_due))]
                )
            );
            for e in &k.timeline {
                out!(
                    "  #{:<5} {}  {:<13} {}  {}",
                    e.index,
                    when(e.at),
                    tr::kind(e.kind.as_str()),
                    short(charter, &e.party),
                    tr::printable(&e.title)
                );
                if let Some(line) = stix_line(&c.archive, &rec.id, e.index)? {
                    out!("         {line}");
                }
                let texts = c
                    .archive
                    .message_texts(&rec.id, e.index)?
                    .unwrap_or_default();
                let several = texts.len() > 1;
                for t in &texts {
                    if several {
                        out!("         {}", text_label(&t.lang, t.authentic));
                    }
                    for line in quoted(&t.body) {
                        out!("         {line}");
                    }
                }
            }
            Ok(Outcome::Ok)
        }
        CaseCommand::Ack(r)
        | CaseCommand::Interim(r)
        | CaseCommand::Answer(r)
        | CaseCommand::Clarify(r)
        | CaseCommand::Close(r)
        | CaseCommand::Reopen(r) => {
            let kind = match cmd {
                CaseCommand::Ack(_) => Kind::Ack,
                CaseCommand::Interim(_) => Kind::Interim,
                CaseCommand::Answer(_) => Kind::Answer,
                CaseCommand::Clarify(_) => Kind::Clarification,
                CaseCommand::Close(_) => Kind::Close,
                _ => Kind::Reopen,
            };
            let (rec, _, k) = c.find_case(&r.case)?;
            let mine = c.my_party(rec)?;
            if mine != k.opener && !k.to.contains(&mine) {
                bail!("your party is not a party of this case");
            }
            let mut d = Draft {
                attachments: attachments(&r.evidence)?,
                ..Draft::reply(&k, &mine, kind, String::new())
            };
            let ack =
                "Receipt acknowledged. Acknowledgement implies no agreement with the content.";
            r.text.apply(
                &mut d,
                (kind == Kind::Ack).then_some(ack),
                "give the message body with --body or --body-file",
            )?;
            if queued(&c, rec, &d, kind.as_str())? {
                return Ok(Outcome::Ok);
            }
            let relay = RelayClient::new(&rec.relay_url, c.me.current.signing.clone())?;
            let (index, id) = send(&c.archive, &relay, &rec.id, &c.me, &d)?;
            tell_if_undated(&c.archive, &rec.id, index);
            out!(
                "{}",
                ta(
                    "cli-sent-reply",
                    &[
                        ("kind", tr::kind(kind.as_str())),
                        ("id", id.to_hex()),
                        ("case", k.id.to_hex()),
                        ("index", index.to_string())
                    ]
                )
            );
            Ok(Outcome::Ok)
        }
    }
}

/// `hotline inbox`: what needs me, by deadline.
pub fn run_inbox(cli: &Cli, json: bool, at: Option<&str>) -> anyhow::Result<Outcome> {
    let t = as_of(at)?;
    let c = read_ctx(cli)?;
    offline::tell(&c.fresh, json, now());
    let mut rows = Vec::new();
    for (rec, charter) in &c.channels {
        let mine = c.my_party(rec)?;
        let (cs, pings) = c.derive(rec, charter)?;
        for k in &cs {
            if let Some((owed, due)) = k.owed_by(&mine) {
                rows.push((
                    due,
                    format!("{} case {}", k.kind.as_str(), k.id.to_hex()),
                    owed.as_str().to_owned(),
                    k.title.clone(),
                    short(charter, &k.opener),
                    ta(
                        "cli-inbox-case",
                        &[("kind", tr::kind(k.kind.as_str())), ("id", k.id.to_hex())],
                    ),
                    tr::t(&format!("cli-owed-{}", owed.as_str())),
                ));
            }
        }
        for (id, from, purpose) in
            hotline_client::disclosure::pending_requests(&c.archive, &rec.id, &mine)?
        {
            rows.push((
                None,
                format!("disclosure request {}", id.to_hex()),
                "consent or refusal".into(),
                purpose,
                short(charter, &from),
                ta("cli-inbox-request", &[("id", id.to_hex())]),
                tr::t("cli-owed-consent"),
            ));
        }
        for p in &pings {
            if p.to.contains(&mine) && !p.pongs.contains_key(&mine) {
                rows.push((
                    p.due,
                    format!("ping {}", p.id.to_hex()),
                    "pong".into(),
                    "communication check".into(),
                    short(charter, &p.from),
                    ta("cli-inbox-ping", &[("id", p.id.to_hex())]),
                    tr::t("cli-owed-pong"),
                ));
            }
        }
    }
    rows.sort_by_key(|r| r.0.unwrap_or(u64::MAX));
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(due, what, owed, title, from, _, _)| serde_json::json!({"due": due, "overdue": due.is_some_and(|d| t > d), "item": what, "owed": owed, "title": title, "from": from}))
            .collect();
        let v = serde_json::json!({"archive": offline::json(&c.fresh, now()), "items": v});
        out!("{}", serde_json::to_string_pretty(&v)?);
    } else if rows.is_empty() {
        out!("{}", crate::tr::t("cli-inbox-nothing"));
    } else {
        for (due, _, _, title, from, item, owed) in &rows {
            let id = if due.is_some_and(|d| t > d) {
                "cli-inbox-row-overdue"
            } else {
                "cli-inbox-row"
            };
            out!(
                "{}",
                ta(
                    id,
                    &[
                        ("owed", owed.clone()),
                        ("due", when(*due)),
                        ("item", item.clone()),
                        ("from", from.clone()),
                        // Another party's text.
                        ("title", tr::printable(title)),
                    ]
                )
            );
        }
    }
    Ok(Outcome::Ok)
}

/// `hotline ping` and `hotline pong`.
pub fn run_ping(cli: &Cli, to: &[String], channel: Option<&str>) -> anyhow::Result<Outcome> {
    let c = ctx(cli)?;
    let (rec, charter) = c.pick(channel)?;
    let to = to
        .iter()
        .map(|s| {
            charter
                .party_by_short(s)
                .map(|p| p.id)
                .with_context(|| format!("no party {s:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let d = Draft {
        case: Some(cases::PING_CASE),
        tlp: Some(Tlp::Clear),
        ..Draft::new(
            Kind::Ping,
            to,
            "Communication check",
            "Please answer with a pong.",
        )
    };
    if queued(&c, rec, &d, "ping")? {
        return Ok(Outcome::Ok);
    }
    let relay = RelayClient::new(&rec.relay_url, c.me.current.signing.clone())?;
    let (index, id) = send(&c.archive, &relay, &rec.id, &c.me, &d)?;
    tell_if_undated(&c.archive, &rec.id, index);
    out!(
        "{}",
        ta(
            "cli-sent-ping",
            &[("id", id.to_hex()), ("index", index.to_string())]
        )
    );
    Ok(Outcome::Ok)
}

/// `hotline pong PING_ID`.
pub fn run_pong(cli: &Cli, ping: &str) -> anyhow::Result<Outcome> {
    let c = ctx(cli)?;
    for (rec, charter) in &c.channels {
        let (_, pings) = c.derive(rec, charter)?;
        if let Some(p) = pings.iter().find(|p| p.id.to_hex() == ping) {
            let d = Draft {
                case: Some(cases::PING_CASE),
                refs: vec![p.id],
                tlp: Some(Tlp::Clear),
                ..Draft::new(
                    Kind::Pong,
                    vec![p.from],
                    "Communication check answered",
                    "Pong.",
                )
            };
            if queued(&c, rec, &d, "pong")? {
                return Ok(Outcome::Ok);
            }
            let relay = RelayClient::new(&rec.relay_url, c.me.current.signing.clone())?;
            let (index, id) = send(&c.archive, &relay, &rec.id, &c.me, &d)?;
            tell_if_undated(&c.archive, &rec.id, index);
            out!(
                "{}",
                ta(
                    "cli-sent-pong",
                    &[
                        ("id", id.to_hex()),
                        ("ping", ping.to_owned()),
                        ("index", index.to_string())
                    ]
                )
            );
            return Ok(Outcome::Ok);
        }
    }
    bail!("no ping {ping} in this profile's channels (`hotline inbox` lists those awaiting a pong)")
}

/// `hotline report`: responsiveness per party, recomputable from the log.
/// What the report's deadlines rest on, in words (`docs/client.md`,
/// "Sequencing times").
fn time_statement(charter: &Charter) -> String {
    let logged = ("logged", tr::t("cli-time-logged"));
    match cases::time_source(charter) {
        cases::TimeSource::Relay { witnesses } => ta(
            if witnesses == 0 {
                "cli-time-relay"
            } else {
                "cli-time-relay-no-quorum"
            },
            &[
                logged,
                (
                    "skew",
                    (hotline_client::sync::MAX_CLOCK_SKEW / 60).to_string(),
                ),
            ],
        ),
        cases::TimeSource::Witnesses { quorum, of } => ta(
            "cli-time-witnesses",
            &[
                logged,
                ("quorum", quorum.to_string()),
                ("of", of.to_string()),
            ],
        ),
    }
}

/// Where the report's times come from, for `--json`.
fn time_source(charter: &Charter) -> &'static str {
    cases::time_source(charter).as_str()
}

pub fn run_report(cli: &Cli, json: bool, at: Option<&str>) -> anyhow::Result<Outcome> {
    let t = as_of(at)?;
    let c = read_ctx(cli)?;
    offline::tell(&c.fresh, json, now());
    let mut all = Vec::new();
    let mut times = Vec::new();
    for (rec, charter) in &c.channels {
        let (cs, pings) = c.derive(rec, charter)?;
        times.push(serde_json::json!({
            "channel": rec.id.to_hex(),
            "source": time_source(charter),
            "statement": time_statement(charter),
        }));
        for p in &charter.parties {
            let r = cases::responsiveness(&p.id, &cs, &pings, t);
            all.push((rec.id.to_hex(), p.short.clone(), r));
        }
        let open = cs.iter().filter(|k| k.state != State::Closed).count();
        if !json {
            out!(
                "{}",
                ta(
                    "cli-report-channel",
                    &[
                        ("channel", rec.id.to_hex()),
                        ("cases", cs.len().to_string()),
                        ("open", open.to_string()),
                        ("pings", pings.len().to_string())
                    ]
                )
            );
            out!("  {}", time_statement(charter));
        }
    }
    if json {
        let v: Vec<_> = all
            .iter()
            .map(|(ch, p, r)| serde_json::json!({"channel": ch, "party": p, "figures": r}))
            .collect();
        let v = serde_json::json!({"archive": offline::json(&c.fresh, now()), "times": times, "parties": v});
        out!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let mins = |s: Option<u64>| {
            s.map(|s| {
                ta(
                    "cli-report-minutes",
                    &[("minutes", format!("{:.1}", s as f64 / 60.0))],
                )
            })
            .unwrap_or_else(|| "—".into())
        };
        for (_, p, r) in &all {
            out!(
                "  {}",
                ta(
                    "cli-report-party",
                    &[
                        ("party", p.clone()),
                        ("received", r.received.to_string()),
                        ("acked", r.acked_on_time.to_string()),
                        ("acked_late", r.acked_late.to_string()),
                        ("answered", r.answered_on_time.to_string()),
                        ("answered_late", r.answered_late.to_string()),
                        ("median_ack", mins(r.median_ack_secs)),
                        ("median_answer", mins(r.median_answer_secs)),
                        ("open", r.open.to_string()),
                        ("overdue", r.overdue.to_string()),
                        ("pongs", r.pongs_on_time.to_string()),
                        ("pings", r.pings.to_string()),
                    ]
                )
            );
        }
    }
    Ok(Outcome::Ok)
}

/// Says so when no time attestation dates a message just sent yet: its
/// deadlines start from the time the attestation gives (`docs/client.md`,
/// "Sequencing times").
pub(crate) fn tell_if_undated(
    archive: &hotline_client::archive::Archive,
    channel: &hotline_core::ids::ChannelId,
    index: u64,
) {
    if matches!(archive.sequenced_at(channel, index), Ok(None)) {
        eprintln!("{}", ta("cli-undated", &[("index", index.to_string())]));
    }
}

/// What `case show` says of a message's STIX evidence, validated again as
/// received (`docs/stix.md`): the same on every machine, since it is a pure
/// function of the bytes the sender signed.
fn stix_line(
    archive: &hotline_client::archive::Archive,
    channel: &hotline_core::ids::ChannelId,
    index: u64,
) -> anyhow::Result<Option<String>> {
    let Some(bundle) = archive.message_stix(channel, index)? else {
        return Ok(None);
    };
    let r = hotline_stix::validate_bundle(&bundle);
    let bytes = ("bytes", bundle.len().to_string());
    Ok(Some(match (r.is_valid(), r.warnings.first()) {
        (true, None) => ta("cli-stix-valid", &[bytes]),
        (true, Some(w)) => ta(
            "cli-stix-valid-warnings",
            &[
                bytes,
                ("warnings", r.warnings.len().to_string()),
                ("first", printable(&w.to_string())),
            ],
        ),
        (false, _) => ta(
            "cli-stix-invalid",
            &[
                ("errors", r.errors.len().to_string()),
                (
                    "first",
                    printable(&r.errors.first().map(|e| e.to_string()).unwrap_or_default()),
                ),
            ],
        ),
    }))
}
