//! `hotline key …`.

use hotline_client::profile::Profile;
use serde_json::json;

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
                    Ok(_) => out!("party key: ok"),
                    Err(e) => {
                        ok = false;
                        out!("party key: FAILED: {e}");
                    }
                }
            }
            if p.info().member.is_some() {
                match p.unlock_member(&pass) {
                    Ok(_) => out!("member keys: ok"),
                    Err(e) => {
                        ok = false;
                        out!("member keys: FAILED: {e}");
                    }
                }
            }
            Ok(if ok {
                Outcome::Ok
            } else {
                Outcome::CheckFailed
            })
        }
    }
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
    out!("Profile {}", p.dir().display());
    if let Some(party) = &info.party {
        out!("Party   {} ({})", party.name, party.short);
        out!("  party id       {}", party.id);
        out!("  party key      {} (Ed25519)", party.key);
    }
    if let Some(m) = &info.member {
        out!("Member  {}", m.name);
        out!("  signing id     {}", m.signing_key_id);
        out!("  signing key    {} (Ed25519)", m.signing_key);
        out!("  encryption id  {}", m.encryption_key_id);
        out!("  encryption key {} (X25519)", m.encryption_key);
    }
    Ok(())
}
