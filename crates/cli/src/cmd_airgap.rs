//! Parties behind an air gap (`docs/airgap.md`): `hotline courier …` (grant
//! a courier key, set up the connected machine), `hotline sync --export`
//! on the connected machine, `hotline sync --import` on the air-gapped one,
//! `hotline post` on the connected one. The work is in
//! `hotline_client::airgap`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Subcommand;
use hotline_client::airgap::{self, Courier, Export, Grants, Outbox};
use hotline_client::archive::Archive;
use hotline_client::profile::{KdfStrength, Profile};
use hotline_client::sync::SyncError;
use hotline_core::keys::VerifyingKey;

use crate::offline::now;
use crate::tr::{printable, t, ta};
use crate::{Cli, Outcome, out};

#[derive(Debug, Subcommand)]
pub enum CourierCommand {
    /// On the connected machine: make a courier folder (--profile DIR) with a courier key of
    /// its own (no party or member key); prints the public key for the member to grant.
    Init,
    /// On the air-gapped machine: grant a courier key access to every channel of this profile
    /// (the relay takes its requests as this member's); marks the profile air-gapped, so that
    /// messages are queued for the courier.
    Grant {
        /// The courier's public key (base64), or a file holding it (`courier.pub`).
        #[arg(long)]
        courier: String,
        /// How long the grant lasts.
        #[arg(long, default_value_t = 30)]
        days: u64,
        /// Where to write the grants file, for the courier.
        #[arg(long)]
        out: PathBuf,
    },
    /// On the connected machine: take the grants file the member wrote.
    Accept {
        /// The grants file.
        file: PathBuf,
    },
}

fn courier_key(arg: &str) -> anyhow::Result<VerifyingKey> {
    let text = if Path::new(arg).exists() {
        std::fs::read_to_string(arg).with_context(|| format!("reading {arg}"))?
    } else {
        arg.to_owned()
    };
    VerifyingKey::from_base64(text.trim()).map_err(|e| {
        anyhow::anyhow!(
            "--courier is not an Ed25519 public key (base64) nor a file holding one: {e}"
        )
    })
}

pub fn run_courier(cli: &Cli, c: &CourierCommand) -> anyhow::Result<Outcome> {
    let dir = cli.profile_dir()?;
    match c {
        CourierCommand::Init => {
            if Courier::is_courier(&dir) {
                bail!("{} is a courier folder already", dir.display());
            }
            let pass = crate::passphrase::new()?;
            let k = Courier::init(&dir, &pass, KdfStrength::from_env())?;
            let pub_file = dir.join("courier.pub");
            std::fs::write(&pub_file, format!("{}\n", k.to_base64()))
                .with_context(|| format!("writing {}", pub_file.display()))?;
            out!(
                "{}",
                ta(
                    "cli-courier-key",
                    &[
                        ("key", k.to_base64()),
                        ("file", pub_file.display().to_string())
                    ]
                )
            );
            out!("{}", t("cli-courier-carry-key"));
            Ok(Outcome::Ok)
        }
        CourierCommand::Grant { courier, days, out } => {
            let p = Profile::open(&dir)?;
            let me = p.unlock_keyring(&crate::passphrase::existing("member keys")?)?;
            let a = Archive::open(p.dir())?;
            let g = airgap::grant(
                p.dir(),
                &a,
                &me.current.signing,
                &courier_key(courier)?,
                *days,
                now(),
            )?;
            airgap::write_file(out, &g)?;
            out!(
                "{}",
                ta(
                    "cli-courier-granted",
                    &[
                        ("channels", g.channels.len().to_string()),
                        ("days", days.to_string()),
                        ("file", out.display().to_string())
                    ]
                )
            );
            Ok(Outcome::Ok)
        }
        CourierCommand::Accept { file } => {
            let mut c = Courier::open(&dir, &crate::passphrase::existing("courier key")?)?;
            let g: Grants = airgap::read_file(file, "hotline-courier-grants")?;
            let n = c.accept(&g)?;
            out!(
                "{}",
                ta("cli-courier-accepted", &[("channels", n.to_string())])
            );
            Ok(Outcome::Ok)
        }
    }
}

/// `hotline sync --export FILE` (a courier folder).
pub fn run_export(cli: &Cli, file: &Path, json: bool) -> anyhow::Result<Outcome> {
    let dir = cli.profile_dir()?;
    if !Courier::is_courier(&dir) {
        bail!(
            "{} is not a courier folder: `hotline sync --export` runs on the connected machine, in the folder `hotline courier init` made",
            dir.display()
        );
    }
    let c = Courier::open(&dir, &crate::passphrase::existing("courier key")?)?;
    let bar = indicatif::ProgressBar::new_spinner();
    let e = c.export(now(), &|m| bar.set_message(m.to_owned()))?;
    bar.finish_and_clear();
    airgap::write_file(file, &e)?;
    let rows: Vec<_> = e
        .channels
        .iter()
        .map(|c| serde_json::json!({"channel": c.channel.to_hex(), "from": c.from, "entries": c.entries.len(), "envelopes": c.envelopes.len(), "checkpoints": c.checkpoints.len()}))
        .collect();
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"file": file, "channels": rows}))?
        );
    } else {
        for c in &e.channels {
            out!(
                "{}",
                ta(
                    "cli-export-channel",
                    &[
                        ("channel", c.channel.to_hex()),
                        ("entries", c.entries.len().to_string()),
                        ("from", c.from.to_string()),
                        ("envelopes", c.envelopes.len().to_string()),
                        ("checkpoints", c.checkpoints.len().to_string())
                    ]
                )
            );
        }
        out!(
            "{}",
            ta("cli-export-wrote", &[("file", file.display().to_string())])
        );
    }
    Ok(Outcome::Ok)
}

/// `hotline sync --import FILE --out OUT` (an air-gapped profile).
pub fn run_import(cli: &Cli, file: &Path, outbox: &Path, json: bool) -> anyhow::Result<Outcome> {
    let p = Profile::open(&cli.profile_dir()?)?;
    let me = p.unlock_keyring(&crate::passphrase::existing("member keys")?)?;
    let a = Archive::open(p.dir())?;
    let e: Export = airgap::read_file(file, "hotline-courier-export")?;
    let (done, ob) = airgap::import(&a, &e, &me)?;
    airgap::write_file(outbox, &ob)?;
    let mut alarmed = false;
    let mut rows = Vec::new();
    for d in &done {
        let ch = d.channel.to_hex();
        // `text` is the `result` of --json, in English; `line` what a person reads.
        let (ok, text, line) = match &d.sync {
            Ok(o) => (
                true,
                format!(
                    "verified up to {} ({} new entries, {} opened for us){}",
                    o.size,
                    o.new_entries,
                    o.opened,
                    if o.cosigned { ", receipt cosigned" } else { "" }
                ),
                ta(
                    if o.cosigned {
                        "cli-synced-cosigned"
                    } else {
                        "cli-synced"
                    },
                    &[
                        ("channel", ch.clone()),
                        ("size", o.size.to_string()),
                        ("new", o.new_entries.to_string()),
                        ("opened", o.opened.to_string()),
                    ],
                ),
            ),
            Err(SyncError::Alarm(al)) => {
                alarmed = true;
                (
                    false,
                    format!(
                        "ALARM {}: {} (`hotline alarms` shows the evidence)",
                        al.kind, al.detail
                    ),
                    ta(
                        "cli-import-alarm",
                        &[
                            ("channel", ch.clone()),
                            ("kind", al.kind.to_string()),
                            ("detail", printable(&al.detail)),
                        ],
                    ),
                )
            }
            Err(e) => (
                false,
                format!("could not sync: {e}"),
                ta(
                    "cli-sync-failed",
                    &[
                        ("channel", ch.clone()),
                        ("error", printable(&e.to_string())),
                    ],
                ),
            ),
        };
        if json {
            rows.push(serde_json::json!({"channel": ch, "ok": ok, "result": text, "sent": d.sent}));
        } else {
            out!("{line}");
            if d.sent > 0 {
                out!(
                    "  {}",
                    ta("cli-import-sent", &[("sent", d.sent.to_string())])
                );
            }
        }
    }
    let queued: usize = ob.channels.iter().map(|c| c.envelopes.len()).sum();
    let receipts: usize = ob.channels.iter().map(|c| c.cosignatures.len()).sum();
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"channels": rows, "outbox": outbox, "envelopes": queued, "cosignatures": receipts})
            )?
        );
    } else {
        out!(
            "{}",
            ta(
                "cli-import-wrote",
                &[
                    ("file", outbox.display().to_string()),
                    ("queued", queued.to_string()),
                    ("receipts", receipts.to_string())
                ]
            )
        );
    }
    let failed = done.iter().any(|d| d.sync.is_err());
    Ok(if alarmed || failed {
        Outcome::CheckFailed
    } else {
        Outcome::Ok
    })
}

/// `hotline post FILE` (a courier folder).
pub fn run_post(cli: &Cli, file: &Path, json: bool) -> anyhow::Result<Outcome> {
    let dir = cli.profile_dir()?;
    let mut c = Courier::open(&dir, &crate::passphrase::existing("courier key")?)?;
    let ob: Outbox = airgap::read_file(file, "hotline-courier-outbox")?;
    let done = c.post(&ob)?;
    if json {
        out!("{}", serde_json::to_string_pretty(&done)?);
    } else {
        for d in &done {
            let mut vars = vec![
                ("channel", d.channel.to_hex()),
                ("envelopes", d.envelopes.len().to_string()),
                ("entries", format!("{:?}", d.envelopes)),
                ("receipts", d.cosignatures.to_string()),
            ];
            let id = match (d.envelopes.is_empty(), d.checkpoint) {
                (true, _) => "cli-post-row",
                (false, Some(s)) => {
                    vars.push(("size", s.to_string()));
                    "cli-post-row-checkpoint"
                }
                (false, None) => "cli-post-row-no-checkpoint",
            };
            out!("{}", ta(id, &vars));
        }
    }
    Ok(Outcome::Ok)
}
