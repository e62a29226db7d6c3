//! `hotline init`.

use anyhow::Context as _;
use hotline_client::profile::{KdfStrength, NewProfile, Profile};

use crate::tr::ta;
use crate::{Cli, Outcome, out};

/// Create a profile folder with new keys.
///
/// A party key signs the party's rosters and its consent to a charter; keep
/// it offline where you can. Member keys are a person's or device's signing
/// and encryption keys. Keys are encrypted with a passphrase (scrypt, age
/// format); scripts supply it in HOTLINE_PASSPHRASE.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hotline init --profile ./northland --party-name 'Northland CERT' --party-short northland --member-name 'Duty officer'\n  hotline init --member-name 'Night shift'"
)]
pub struct Args {
    /// Create a party key for the organisation with this display name.
    #[arg(long, value_name = "NAME", requires = "party_short")]
    party_name: Option<String>,
    /// The party's short handle (lower-case letters, digits, '-').
    #[arg(long, value_name = "SHORT", requires = "party_name")]
    party_short: Option<String>,
    /// Create member keys for a person or device with this display name.
    #[arg(long, value_name = "NAME")]
    member_name: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<Outcome> {
    let dir = cli.profile_dir()?;
    let what = NewProfile {
        party: args.party_name.clone().zip(args.party_short.clone()),
        member: args.member_name.clone(),
    };
    if what.party.is_none() && what.member.is_none() {
        anyhow::bail!(
            "nothing to create: pass --party-name and --party-short, --member-name, or both"
        );
    }
    let pass = crate::passphrase::new()?;
    let p = Profile::create(&dir, &what, &pass, KdfStrength::from_env())
        .with_context(|| format!("creating the profile in {}", dir.display()))?;
    if args.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&crate::cmd_key::show_json(&p))?
        );
    } else {
        out!(
            "{}",
            ta(
                "cli-init-created",
                &[("dir", p.dir().display().to_string())]
            )
        );
        crate::cmd_key::print_human(&p)?;
    }
    Ok(Outcome::Ok)
}
