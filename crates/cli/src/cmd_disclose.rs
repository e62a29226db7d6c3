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
            out!("Requested disclosure {} (log entry {index})", id.to_hex());
            out!(
                "Next: the other parties run `hotline disclose consent {}`; then `hotline disclose export {} --out FILE`",
                id.to_hex(),
                id.to_hex()
            );
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
                "{} disclosure request {} (log entry {index})",
                if reason.is_some() {
                    "Refused"
                } else {
                    "Consented to"
                },
                req.id.to_hex()
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
                "Wrote {} ({} entries); verified here: {}",
                file.display(),
                f.entries,
                verdict_words(&f.report)
            );
            Ok(Outcome::Ok)
        }
    }
}

fn verdict_words(r: &Report) -> String {
    match r.verdict {
        Verdict::Valid => "VALID".into(),
        Verdict::NotConsented => format!(
            "NOT CONSENTED (missing: {}{})",
            r.missing_consents.join(", "),
            if r.parties.iter().any(|p| p.refused) {
                "; refused by a party"
            } else {
                ""
            }
        ),
        Verdict::Invalid => "INVALID".into(),
    }
}

/// `hotline verify FILE`.
pub fn run_verify(file: &Path, json: bool) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let r = hotline_disclosure::verify(&bytes);
    if json {
        out!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        out!("Disclosure bundle {}", file.display());
        if let Some(t) = &r.channel {
            out!("  channel   {t}");
        }
        if let Some((o, n)) = &r.checkpoint {
            out!("  log       {o}, {n} entries");
        }
        if let Some(p) = &r.purpose {
            out!("  purpose   {p}");
        }
        for p in &r.parties {
            out!(
                "  party     {} ({}){}{}{}{}",
                p.short,
                p.name,
                if p.required {
                    ", party of the cases"
                } else {
                    ""
                },
                if p.consented {
                    ", consented"
                } else if p.required {
                    ", NOT consented"
                } else {
                    ""
                },
                if p.refused { ", REFUSED" } else { "" },
                if p.receipt {
                    ", receipt on the checkpoint"
                } else {
                    ""
                }
            );
        }
        out!("Checks:");
        for ch in &r.checks {
            out!(
                "  [{}] {}: {}",
                if ch.ok { "ok" } else { "FAIL" },
                ch.what,
                ch.detail
            );
        }
        out!("Messages disclosed: {}", r.messages.len());
        for m in &r.messages {
            out!(
                "  #{} {} from {}: {}{}",
                m.index,
                m.kind,
                m.party,
                m.title,
                if m.redacted_parts > 0 {
                    format!(" ({} part(s) redacted)", m.redacted_parts)
                } else {
                    String::new()
                }
            );
            let several = m.texts.len() > 1;
            for t in &m.texts {
                let label = if several {
                    crate::cmd_case::text_label(&t.lang, t.authentic)
                } else {
                    format!("[{}]", t.lang)
                };
                match &t.body {
                    Some(b) => {
                        out!("    {label}");
                        for line in crate::cmd_case::quoted(b) {
                            out!("    {line}");
                        }
                    }
                    None => out!("    {label} redacted"),
                }
            }
        }
        out!("Verdict: {}", verdict_words(&r));
    }
    Ok(if r.verdict == Verdict::Valid {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}
