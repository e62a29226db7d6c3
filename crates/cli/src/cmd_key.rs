//! `hotline key …`.

use hotline_client::profile::Profile;
use serde_json::json;

use crate::tr::{t, ta};
use crate::{Cli, Outcome, out};

#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Show the profile's public keys and key ids (never secrets; no passphrase needed).
    Show {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Unlock the profile's key files with the passphrase and check they match the
    /// profile (exit status 1 if they do not).
    Check,
    /// Replace this profile's member keys with fresh ones. The old keys are
    /// kept in PROFILE/retired/ to open what was sealed to them. If this
    /// profile holds its party's key, every channel's roster is updated at
    /// once (the old key revoked, the new one listed); otherwise the party's
    /// key holder runs the `hotline roster update` printed for each channel.
    Rotate {
        /// Rotate the keys only; publish no roster.
        #[arg(long)]
        no_roster: bool,
    },
}

pub fn run(cli: &Cli, cmd: &KeyCommand) -> anyhow::Result<Outcome> {
    match cmd {
        KeyCommand::Show { json } => {
            let p = Profile::open(&cli.profile_dir()?)?;
            if *json {
                out!("{}", serde_json::to_string_pretty(&show_json(&p))?);
            } else {
                print_human(&p)?;
            }
            Ok(Outcome::Ok)
        }
        KeyCommand::Check => {
            let p = Profile::open(&cli.profile_dir()?)?;
            let pass = crate::passphrase::existing("profile's keys")?;
            let mut ok = true;
            if p.info().party.is_some() {
                match p.unlock_party(&pass) {
                    Ok(_) => out!("{}", t("cli-key-party-ok")),
                    Err(e) => {
                        ok = false;
                        out!(
                            "{}",
                            ta("cli-key-party-failed", &[("error", e.to_string())])
                        );
                    }
                }
            }
            if p.info().member.is_some() {
                match p.unlock_member(&pass) {
                    Ok(_) => out!("{}", t("cli-key-member-ok")),
                    Err(e) => {
                        ok = false;
                        out!(
                            "{}",
                            ta("cli-key-member-failed", &[("error", e.to_string())])
                        );
                    }
                }
            }
            Ok(if ok {
                Outcome::Ok
            } else {
                Outcome::CheckFailed
            })
        }
        KeyCommand::Rotate { no_roster } => rotate(cli, *no_roster),
    }
}

fn rotate(cli: &Cli, no_roster: bool) -> anyhow::Result<Outcome> {
    use hotline_client::archive::Archive;
    use hotline_client::relay_client::RelayClient;
    use hotline_client::sync::sync_channel;

    let mut p = Profile::open(&cli.profile_dir()?)?;
    let pass = crate::passphrase::existing("profile's keys")?;
    let before = p.unlock_keyring(&pass)?;
    let a = Archive::open(p.dir())?;
    // Everything sealed to the old keys so far is opened and stored first.
    for rec in a.channels()? {
        let relay = RelayClient::new(&rec.relay_url, before.current.signing.clone())?;
        if let Err(e) = sync_channel(&a, &relay, &rec.id, &before, &|_, _| {}) {
            anyhow::bail!(
                "channel {}: could not sync before rotating ({e}); nothing was changed",
                rec.id.to_hex()
            );
        }
    }
    let (old, new) = p.rotate_member(&pass, hotline_client::profile::KdfStrength::from_env())?;
    out!(
        "{}",
        ta(
            "cli-key-rotated",
            &[("profile", p.dir().display().to_string())]
        )
    );
    out!(
        "  {}",
        ta(
            "cli-key-rotated-old",
            &[("id", old.signing_key_id.to_string())]
        )
    );
    out!(
        "  {}",
        ta(
            "cli-key-rotated-new",
            &[("id", new.signing_key_id.to_string())]
        )
    );
    let keys = p.unlock_member(&pass)?;
    let mut pending = Vec::new();
    let mut failed = false;
    for rec in a.channels()? {
        let party = match &p.info().party {
            Some(party) => party.id,
            None => {
                pending.push(rec.id);
                continue;
            }
        };
        let listed = hotline_client::channel::latest_roster(&a, &rec.id, &party)?
            .is_some_and(|(r, _)| r.members.iter().any(|m| m.signing_key == old.signing_key));
        if !listed {
            continue;
        }
        if no_roster {
            pending.push(rec.id);
            continue;
        }
        let r = crate::cmd_channel::publish_roster(&p, &pass, &rec.id, |a, party| {
            let suite = hotline_client::channel::suite_of(a, &rec.id)?;
            let entry = hotline_core::roster::RosterMember::for_suite(
                suite, &rec.id, party, &new.name, &keys,
            )
            .map_err(|e| {
                hotline_client::channel::SetupError::Roster(
                    hotline_client::channel::RosterUpdateError::Invalid(e.to_string()),
                )
            })?;
            Ok(hotline_client::channel::updated_roster(
                a,
                &rec.id,
                party,
                &[entry],
                &[old.signing_key_id],
            )?)
        });
        if let Err(e) = r {
            out!(
                "{}",
                ta(
                    "cli-key-roster-not-updated",
                    &[("channel", rec.id.to_hex()), ("error", format!("{e:#}"))]
                )
            );
            pending.push(rec.id);
            failed = true;
        }
    }
    for id in &pending {
        // The party's key holder needs this member's proof for the new keys.
        let party = match &p.info().party {
            Some(party) => Some(party.id),
            None => hotline_client::channel::party_of(&a, id, &old.signing_key_id)?,
        };
        let Some(party) = party else {
            out!(
                "{}",
                ta(
                    "cli-key-make-proof",
                    &[
                        ("channel", id.to_hex()),
                        ("key", old.signing_key_id.to_string())
                    ]
                )
            );
            continue;
        };
        let file = p.dir().join(format!("member-proof-{}.json", id.to_hex()));
        let suite = hotline_client::channel::suite_of(&a, id)?;
        let proof = hotline_client::channel::MemberProof::new(suite, id, &party, &new.name, &keys)?;
        std::fs::write(&file, serde_json::to_vec_pretty(&proof)?)?;
        out!(
            "{}",
            ta(
                "cli-key-holder-runs",
                &[
                    ("channel", id.to_hex()),
                    ("file", file.display().to_string()),
                    ("key", old.signing_key_id.to_string())
                ]
            )
        );
    }
    Ok(if failed {
        Outcome::CheckFailed
    } else {
        Outcome::Ok
    })
}

pub fn show_json(p: &Profile) -> serde_json::Value {
    json!({
        "profile": p.dir(),
        "created": p.info().created,
        "party": p.info().party,
        "member": p.info().member,
    })
}

pub fn print_human(p: &Profile) -> anyhow::Result<()> {
    let info = p.info();
    let s = |v: &dyn std::fmt::Display| v.to_string();
    out!(
        "{}",
        ta("cli-profile", &[("dir", p.dir().display().to_string())])
    );
    if let Some(party) = &info.party {
        out!(
            "{}",
            ta(
                "cli-profile-party",
                &[("name", party.name.clone()), ("short", party.short.clone())]
            )
        );
        out!("  {}", ta("cli-profile-party-id", &[("id", s(&party.id))]));
        out!(
            "  {}",
            ta("cli-profile-party-key", &[("key", s(&party.key))])
        );
    }
    if let Some(m) = &info.member {
        out!("{}", ta("cli-profile-member", &[("name", m.name.clone())]));
        out!(
            "  {}",
            ta("cli-profile-signing-id", &[("id", s(&m.signing_key_id))])
        );
        out!(
            "  {}",
            ta("cli-profile-signing-key", &[("key", s(&m.signing_key))])
        );
        out!(
            "  {}",
            ta(
                "cli-profile-encryption-id",
                &[("id", s(&m.encryption_key_id))]
            )
        );
        out!(
            "  {}",
            ta(
                "cli-profile-encryption-key",
                &[("key", s(&m.encryption_key))]
            )
        );
    }
    Ok(())
}
