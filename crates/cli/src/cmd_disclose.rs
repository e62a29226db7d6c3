//! `hotline disclose request|consent|refuse|export` and `hotline verify`
//! (`docs/disclosure.md`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use hotline_client::compose::send;
use hotline_client::disclosure::{draft_answer, draft_request, export_file, find_request};
use hotline_client::relay_client::RelayClient;
use hotline_core::ids::MessageId;
use hotline_disclosure::{Report, Verdict};

use crate::cmd_case::ctx;
use crate::tr::{printable, t, ta};
use crate::{Cli, Outcome, out};

#[derive(Debug, clap::Subcommand)]
pub enum DiscloseCommand {
    /// Ask the other parties of cases to consent to disclosing them.
    Request {
        /// A case to disclose (repeatable).
        #[arg(long = "case", required = true)]
        cases: Vec<String>,
        /// Parts shown only as stubs: body, body:LANG (the texts in one language, e.g. body:ru),
        /// attachment, stix, or ENTRY:PART (repeatable).
        #[arg(long = "redact", value_name = "PART")]
        redact: Vec<String>,
        /// What the disclosure is for, in words.
        #[arg(long)]
        purpose: String,
        /// The channel [default: the only one].
        #[arg(long)]
        channel: Option<String>,
    },
    /// Consent to a disclosure request (its id, from `hotline inbox` or the request's sender).
    Consent {
        /// The request's id.
        request: String,
        /// The channel [default: the only one].
        #[arg(long)]
        channel: Option<String>,
    },
    /// Refuse a disclosure request.
    Refuse {
        /// The request's id.
        request: String,
        /// Why, in words.
        #[arg(long, default_value = "")]
        reason: String,
        /// The channel [default: the only one].
        #[arg(long)]
        channel: Option<String>,
    },
    /// Write the disclosure bundle of a request (with the consents so far).
    Export {
        /// The request's id.
        request: String,
        /// Where to write the bundle (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The channel [default: the only one].
        #[arg(long)]
        channel: Option<String>,
    },
}

fn message_id(s: &str) -> anyhow::Result<MessageId> {
    MessageId::from_hex(s).map_err(|_| anyhow::anyhow!("{s:?} is not a message id (32 hex digits)"))
}

pub fn run(cli: &Cli, cmd: &DiscloseCommand) -> anyhow::Result<Outcome> {
    let c = ctx(cli)?;
    match cmd {
        DiscloseCommand::Request {
            cases,
            redact,
            purpose,
            channel,
        } => {
            let (rec, _) = c.pick(channel.as_deref())?;
            let cases = cases
                .iter()
                .map(|s| message_id(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let me = c.my_party(rec)?;
            let d = draft_request(&c.archive, &rec.id, &me, &cases, redact, purpose)?;
            let relay = RelayClient::new(&rec.relay_url, c.me.current.signing.clone())?;
            let (index, id) = send(&c.archive, &relay, &rec.id, &c.me, &d)?;
            crate::cmd_case::tell_if_undated(&c.archive, &rec.id, index);
            out!(
                "{}",
                ta(
                    "cli-disclose-requested",
                    &[("id", id.to_hex()), ("index", index.to_string())]
                )
            );
            out!("{}", ta("cli-disclose-next", &[("id", id.to_hex())]));
            Ok(Outcome::Ok)
        }
        DiscloseCommand::Consent { request, channel }
        | DiscloseCommand::Refuse {
            request, channel, ..
        } => {
            let (rec, _) = c.pick(channel.as_deref())?;
            let req = find_request(&c.archive, &rec.id, &message_id(request)?)?;
            let me = c.my_party(rec)?;
            let reason = match cmd {
                DiscloseCommand::Refuse { reason, .. } => Some(reason.as_str()),
                _ => None,
            };
            let d = draft_answer(&c.archive, &rec.id, &me, &req, reason)?;
            let relay = RelayClient::new(&rec.relay_url, c.me.current.signing.clone())?;
            let (index, _) = send(&c.archive, &relay, &rec.id, &c.me, &d)?;
            crate::cmd_case::tell_if_undated(&c.archive, &rec.id, index);
            out!(
                "{}",
                ta(
                    if reason.is_some() {
                        "cli-disclose-refused"
                    } else {
                        "cli-disclose-consented"
                    },
                    &[("id", req.id.to_hex()), ("index", index.to_string())]
                )
            );
            Ok(Outcome::Ok)
        }
        DiscloseCommand::Export {
            request,
            out: file,
            channel,
        } => {
            let (rec, _) = c.pick(channel.as_deref())?;
            let req = find_request(&c.archive, &rec.id, &message_id(request)?)?;
            let relay = RelayClient::new(&rec.relay_url, c.me.current.signing.clone())?;
            let f = export_file(&c.archive, Some(&relay), &rec.id, &req)?;
            if file.exists() {
                bail!("{} exists; choose another --out", file.display());
            }
            std::fs::write(file, &f.bytes)
                .with_context(|| format!("writing {}", file.display()))?;
            out!(
                "{}",
                ta(
                    "cli-disclose-wrote",
                    &[
                        ("file", file.display().to_string()),
                        ("entries", f.entries.to_string()),
                        ("verdict", verdict_words(&f.report))
                    ]
                )
            );
            Ok(Outcome::Ok)
        }
    }
}

fn verdict_words(r: &Report) -> String {
    let missing = || vec![("missing", r.missing_consents.join(", "))];
    match r.verdict {
        Verdict::Valid => t("cli-verdict-valid"),
        Verdict::NotConsented if r.parties.iter().any(|p| p.refused) => {
            ta("cli-verdict-not-consented-refused", &missing())
        }
        Verdict::NotConsented => ta("cli-verdict-not-consented", &missing()),
        Verdict::Invalid => t("cli-verdict-invalid"),
    }
}

/// `hotline verify FILE`.
pub fn run_verify(file: &Path, json: bool) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let r = hotline_disclosure::verify(&bytes);
    if json {
        out!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        // The bundle's texts are the parties' (a hostile bundle's are
        // anyone's): printed without control characters.
        let p = |s: &str| printable(s);
        out!(
            "{}",
            ta("cli-verify-bundle", &[("file", file.display().to_string())])
        );
        if let Some(c) = &r.channel {
            out!("  {}", ta("cli-verify-channel", &[("title", p(c))]));
        }
        if let Some((o, n)) = &r.checkpoint {
            out!(
                "  {}",
                ta(
                    "cli-verify-log",
                    &[("origin", p(o)), ("size", n.to_string())]
                )
            );
        }
        if let Some(purpose) = &r.purpose {
            out!("  {}", ta("cli-verify-purpose", &[("purpose", p(purpose))]));
        }
        for party in &r.parties {
            let flags: String = [
                (party.required, "cli-verify-party-of-cases"),
                (party.consented, "cli-verify-consented"),
                (
                    party.required && !party.consented,
                    "cli-verify-not-consented",
                ),
                (party.refused, "cli-verify-refused"),
                (party.receipt, "cli-verify-receipt"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, id)| t(id))
            .collect();
            out!(
                "  {}",
                ta(
                    "cli-verify-party",
                    &[
                        ("short", p(&party.short)),
                        ("name", p(&party.name)),
                        ("flags", flags)
                    ]
                )
            );
        }
        out!("{}", t("cli-verify-checks"));
        for ch in &r.checks {
            out!(
                "  [{}] {}: {}",
                t(if ch.ok {
                    "cli-verify-ok"
                } else {
                    "cli-verify-fail"
                }),
                ch.what,
                p(&ch.detail)
            );
        }
        out!(
            "{}",
            ta(
                "cli-verify-messages",
                &[("count", r.messages.len().to_string())]
            )
        );
        for m in &r.messages {
            let title = if m.redacted_parts > 0 {
                ta(
                    "cli-verify-redacted-parts",
                    &[
                        ("title", p(&m.title)),
                        ("parts", m.redacted_parts.to_string()),
                    ],
                )
            } else {
                p(&m.title)
            };
            out!(
                "  {}",
                ta(
                    "cli-verify-message",
                    &[
                        ("index", m.index.to_string()),
                        ("kind", crate::tr::kind(&m.kind)),
                        ("party", p(&m.party)),
                        ("title", title)
                    ]
                )
            );
            let several = m.texts.len() > 1;
            for text in &m.texts {
                let label = if several {
                    crate::cmd_case::text_label(&text.lang, text.authentic)
                } else {
                    ta("cli-text-one", &[("lang", p(&text.lang))])
                };
                match &text.body {
                    Some(b) => {
                        out!("    {label}");
                        for line in crate::cmd_case::quoted(b) {
                            out!("    {line}");
                        }
                    }
                    None => out!("    {}", ta("cli-text-redacted", &[("label", label)])),
                }
            }
        }
        out!(
            "{}",
            ta("cli-verify-verdict", &[("verdict", verdict_words(&r))])
        );
    }
    Ok(if r.verdict == Verdict::Valid {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}
