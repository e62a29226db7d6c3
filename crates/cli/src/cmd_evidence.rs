//! `hotline evidence …`: the drafts, STIX 2.1 objects gathered for a case not
//! opened yet (`docs/client.md`, "Drafts"; `hotline_client::archive` drafts).
//! They read and write the archive only: no key, no relay.

use anyhow::{Context as _, bail};
use clap::Subcommand;
use hotline_client::archive::{Archive, ChannelRecord, DEFAULT_DRAFT};

use crate::{Cli, Outcome, out};

/// `hotline evidence …`.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// List the drafts of every channel: their objects wait for `hotline case open --draft`.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a draft's objects (id, type, version, where each came from).
    Show {
        /// The draft.
        #[arg(default_value = DEFAULT_DRAFT)]
        draft: String,
        /// The channel [default: the only one this profile follows].
        #[arg(long)]
        channel: Option<String>,
        /// Print JSON: the objects as they are held, each with its JSON text.
        #[arg(long)]
        json: bool,
    },
    /// Check a STIX 2.1 bundle (JSON) as `case open --stix` will: every broken MUST rule, then
    /// the SHOULD rules as warnings. Exit status 1 if it is not valid. Reads the file only.
    Check {
        /// The bundle.
        file: std::path::PathBuf,
        /// Print JSON: {valid, errors, warnings}.
        #[arg(long)]
        json: bool,
    },
    /// Discard a draft and its objects (nothing is sent).
    Discard {
        /// The draft.
        draft: String,
        /// The channel [default: the only one this profile follows].
        #[arg(long)]
        channel: Option<String>,
    },
}

/// Runs an `evidence` command.
pub fn run(cli: &Cli, c: &EvidenceCommand) -> anyhow::Result<Outcome> {
    let archive = || -> anyhow::Result<Archive> {
        let dir = cli.profile_dir()?;
        if !dir.join(hotline_client::archive::FILE).exists() {
            bail!(
                "{} holds no archive yet: join a channel and run `hotline sync` first",
                dir.display()
            );
        }
        Ok(Archive::open(&dir)?)
    };
    match c {
        EvidenceCommand::Check { file, json } => return check(file, *json),
        EvidenceCommand::List { json } => {
            let drafts = archive()?.drafts()?;
            if *json {
                out!("{}", serde_json::to_string_pretty(&drafts)?);
            } else if drafts.is_empty() {
                out!("No drafts.");
            } else {
                for d in drafts {
                    out!(
                        "{}  channel {}  {} object(s), {} bytes, started {}",
                        d.name,
                        d.channel.to_hex(),
                        d.objects,
                        d.bytes,
                        d.created
                    );
                }
            }
        }
        EvidenceCommand::Show {
            draft,
            channel,
            json,
        } => {
            let archive = archive()?;
            let rec = pick(&archive, channel.as_deref())?;
            let objects = archive.draft_objects(&rec.id, draft)?;
            if *json {
                out!("{}", serde_json::to_string_pretty(&objects)?);
            } else {
                out!(
                    "Draft {draft} (channel {}): {} object(s)",
                    rec.id.to_hex(),
                    objects.len()
                );
                for o in objects {
                    out!(
                        "  {}  {}  version {}  from {}, added {}",
                        o.id,
                        o.type_,
                        o.version.as_deref().unwrap_or("-"),
                        o.source,
                        o.added
                    );
                }
            }
        }
        EvidenceCommand::Discard { draft, channel } => {
            let archive = archive()?;
            let rec = pick(&archive, channel.as_deref())?;
            let n = archive.discard_draft(&rec.id, draft)?;
            out!("Discarded draft {draft} and its {n} object(s)");
        }
    }
    Ok(Outcome::Ok)
}

fn check(file: &std::path::Path, json: bool) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let r = hotline_stix::validate_bundle(&bytes);
    let lines = |v: &[hotline_stix::Issue]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "valid": r.is_valid(),
                "errors": lines(&r.errors),
                "warnings": lines(&r.warnings),
            }))?
        );
    } else {
        for e in lines(&r.errors) {
            out!("error: {e}");
        }
        for w in lines(&r.warnings) {
            out!("warning: {w}");
        }
        out!(
            "{}: {} ({} error(s), {} warning(s))",
            file.display(),
            if r.is_valid() {
                "valid STIX 2.1"
            } else {
                "NOT valid STIX 2.1"
            },
            r.errors.len(),
            r.warnings.len()
        );
    }
    Ok(if r.is_valid() {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}

/// The channel `--channel` names, or the only one the archive follows.
pub(crate) fn pick(archive: &Archive, channel: Option<&str>) -> anyhow::Result<ChannelRecord> {
    let all = archive.channels()?;
    if let Some(c) = channel {
        return all
            .into_iter()
            .find(|r| r.id.to_hex() == c)
            .with_context(|| format!("this profile does not follow channel {c}"));
    }
    match <[ChannelRecord; 1]>::try_from(all) {
        Ok([one]) => Ok(one),
        Err(all) if all.is_empty() => {
            bail!("this profile follows no channel: `hotline channel join` or `register` one first")
        }
        Err(_) => bail!("this profile follows several channels: pass --channel"),
    }
}
