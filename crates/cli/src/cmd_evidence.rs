//! `hotline evidence …`: the drafts, STIX 2.1 objects gathered for a case not
//! opened yet (`docs/client.md`, "Drafts"; `hotline_client::archive` drafts).
//! They read and write the archive only: no key, no relay. `import` also
//! reads another TAXII 2.1 server (`docs/import.md`).

use std::io::IsTerminal as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use hotline_client::archive::{Archive, ChannelRecord, DEFAULT_DRAFT, check_objects};
use hotline_client::taxii_client::{Limits, TaxiiClient};
use zeroize::Zeroizing;

use crate::tr::{printable, t, ta};
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
    /// Import a collection of another TAXII 2.1 server (the party's MISP or OpenCTI) into a
    /// draft: every object validated, each kept as the server sent it.
    Import {
        /// The TAXII 2.1 API root's URL (https, or http to a loopback address), such as
        /// https://misp.example/taxii2/api1/.
        #[arg(long, value_name = "URL")]
        taxii: String,
        /// The collection's id (the error for an unknown one lists those the server has).
        #[arg(long, value_name = "ID")]
        collection: String,
        /// Only the objects the server added after this instant (RFC 3339, such as
        /// 2026-11-30T00:00:00Z).
        #[arg(long, value_name = "T")]
        added_after: Option<String>,
        /// The draft to add them to.
        #[arg(long, default_value = DEFAULT_DRAFT)]
        draft: String,
        /// The channel [default: the only one this profile follows].
        #[arg(long)]
        channel: Option<String>,
        /// The user name for HTTP Basic authentication; the password is read from
        /// HOTLINE_TAXII_IMPORT_PASSWORD, or asked for on a terminal [default: no
        /// authentication].
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// Trust only the CA certificates in this PEM file for the server [default: the
        /// Mozilla roots].
        #[arg(long, value_name = "PEM_FILE")]
        ca: Option<PathBuf>,
        /// Add the valid objects even if some are not valid STIX 2.1 (those are listed as
        /// warnings) [default: if any is invalid, add none].
        #[arg(long)]
        skip_invalid: bool,
        /// Print JSON: what was added, what the draft held already, what was refused.
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
                out!("{}", t("cli-evidence-no-drafts"));
            } else {
                for d in drafts {
                    out!(
                        "{}",
                        ta(
                            "cli-evidence-draft-row",
                            &[
                                ("draft", d.name),
                                ("channel", d.channel.to_hex()),
                                ("objects", d.objects.to_string()),
                                ("bytes", d.bytes.to_string()),
                                ("started", d.created.to_string())
                            ]
                        )
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
                    "{}",
                    ta(
                        "cli-evidence-draft-head",
                        &[
                            ("draft", draft.clone()),
                            ("channel", rec.id.to_hex()),
                            ("objects", objects.len().to_string())
                        ]
                    )
                );
                for o in objects {
                    out!(
                        "  {}",
                        ta(
                            "cli-evidence-object",
                            &[
                                ("id", printable(&o.id)),
                                ("type", printable(&o.type_)),
                                ("version", printable(o.version.as_deref().unwrap_or("-"))),
                                ("source", printable(&o.source)),
                                ("added", o.added.to_string())
                            ]
                        )
                    );
                }
            }
        }
        EvidenceCommand::Import {
            taxii,
            collection,
            added_after,
            draft,
            channel,
            user,
            ca,
            skip_invalid,
            json,
        } => {
            let archive = archive()?;
            let rec = pick(&archive, channel.as_deref())?;
            let args = ImportArgs {
                taxii,
                collection,
                added_after: added_after.as_deref(),
                draft,
                user: user.as_deref(),
                ca: ca.as_deref(),
                skip_invalid: *skip_invalid,
                json: *json,
            };
            import(&archive, &rec, &args)?;
        }
        EvidenceCommand::Discard { draft, channel } => {
            let archive = archive()?;
            let rec = pick(&archive, channel.as_deref())?;
            let n = archive.discard_draft(&rec.id, draft)?;
            out!(
                "{}",
                ta(
                    "cli-evidence-discarded",
                    &[("draft", draft.clone()), ("objects", n.to_string())]
                )
            );
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
            out!("{}", ta("cli-evidence-error", &[("issue", printable(&e))]));
        }
        for w in lines(&r.warnings) {
            out!(
                "{}",
                ta("cli-evidence-warning", &[("issue", printable(&w))])
            );
        }
        out!(
            "{}",
            ta(
                if r.is_valid() {
                    "cli-evidence-valid"
                } else {
                    "cli-evidence-invalid"
                },
                &[
                    ("file", file.display().to_string()),
                    ("errors", r.errors.len().to_string()),
                    ("warnings", r.warnings.len().to_string())
                ]
            )
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

/// The password for `--user`.
pub const IMPORT_PASSWORD_ENV: &str = "HOTLINE_TAXII_IMPORT_PASSWORD";

struct ImportArgs<'a> {
    taxii: &'a str,
    collection: &'a str,
    added_after: Option<&'a str>,
    draft: &'a str,
    user: Option<&'a str>,
    ca: Option<&'a std::path::Path>,
    skip_invalid: bool,
    json: bool,
}

/// `hotline evidence import`.
fn import(archive: &Archive, rec: &ChannelRecord, a: &ImportArgs<'_>) -> anyhow::Result<()> {
    hotline_client::archive::check_name(a.draft)?;
    if let Some(t) = a.added_after {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).map_err(
            |_| {
                anyhow::anyhow!(
                    "--added-after {t:?} is not an RFC 3339 instant: give one such as \
                     2026-11-30T00:00:00Z"
                )
            },
        )?;
    }
    let password = match a.user {
        None => None,
        Some(_) => Some(match std::env::var(IMPORT_PASSWORD_ENV) {
            Ok(p) => Zeroizing::new(p),
            Err(_) if std::io::stdin().is_terminal() => Zeroizing::new(
                rpassword::prompt_password(format!("{}: ", t("cli-evidence-password")))
                    .context("reading the password")?,
            ),
            Err(_) => {
                bail!("--user needs a password: set {IMPORT_PASSWORD_ENV} or run in a terminal")
            }
        }),
    };
    let ca = a
        .ca
        .map(|f| std::fs::read(f).with_context(|| format!("reading the CA file {}", f.display())))
        .transpose()?;
    let credentials = a.user.zip(password.as_deref().map(String::as_str));
    let client = TaxiiClient::new(a.taxii, credentials, ca.as_deref())?;

    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr())
            .with_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_message(ta("cli-evidence-reading", &[("url", a.taxii.to_owned())]));
    let pulled = client.objects(a.collection, a.added_after, &Limits::default(), &mut |p| {
        bar.set_message(ta(
            "cli-evidence-progress",
            &[
                ("objects", p.objects.to_string()),
                ("pages", p.pages.to_string()),
                ("bytes", p.bytes.to_string()),
            ],
        ));
        bar.tick();
    });
    bar.finish_and_clear();
    let pulled = pulled?;
    let source = format!("import {}", pulled.collection_url);

    let (ok, refused) = check_objects(&pulled.objects);
    if !refused.is_empty() && !a.skip_invalid {
        for r in &refused {
            eprintln!(
                "{}",
                ta(
                    "cli-evidence-refused",
                    &[("reason", printable(&r.to_string()))]
                )
            );
        }
        bail!(
            "{} of the {} object(s) received are not valid STIX 2.1 (listed above), so none was \
             imported: fix them on the server, or pass --skip-invalid to import the valid ones",
            refused.len(),
            pulled.objects.len()
        );
    }
    for r in &refused {
        eprintln!(
            "{}",
            ta(
                "cli-evidence-not-imported",
                &[("reason", printable(&r.to_string()))]
            )
        );
    }
    let valid: Vec<&str> = ok.iter().map(|c| c.json.as_str()).collect();
    let added = if valid.is_empty() {
        Default::default()
    } else {
        archive.add_to_draft(&rec.id, a.draft, &valid, &source)?
    };
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "draft": a.draft,
                "channel": rec.id.to_hex(),
                "source": source,
                "pages": pulled.pages,
                "received": pulled.objects.len(),
                "added": added.added.len(),
                "already": added.already.len(),
                "refused": refused,
            }))?
        );
    } else {
        out!(
            "{}",
            ta(
                "cli-evidence-imported",
                &[
                    ("added", added.added.len().to_string()),
                    ("draft", a.draft.to_owned()),
                    ("already", added.already.len().to_string()),
                    ("url", a.taxii.to_owned())
                ]
            )
        );
        if !refused.is_empty() {
            out!(
                "{}",
                ta(
                    "cli-evidence-refused-count",
                    &[("refused", refused.len().to_string())]
                )
            );
        }
    }
    Ok(())
}
