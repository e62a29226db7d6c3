//! Getting the passphrase: from `HOTLINE_PASSPHRASE`, else a terminal prompt.

use anyhow::{Context as _, bail};
use hotline_client::profile::{PASSPHRASE_ENV, Passphrase};
use std::io::IsTerminal as _;

/// The passphrase for an existing key file.
pub fn existing(what: &str) -> anyhow::Result<Passphrase> {
    if let Some(p) = Passphrase::from_env() {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "a passphrase is needed to unlock the {what}: set {PASSPHRASE_ENV} or run in a terminal"
        );
    }
    let p = rpassword::prompt_password(format!("Passphrase for the {what}: "))
        .context("reading the passphrase")?;
    Ok(Passphrase::new(p))
}

/// A new passphrase, asked twice on a terminal.
pub fn new() -> anyhow::Result<Passphrase> {
    if let Some(p) = Passphrase::from_env() {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "a passphrase is needed to encrypt the new keys: set {PASSPHRASE_ENV} or run in a terminal"
        );
    }
    let a = rpassword::prompt_password("New passphrase (at least 8 characters): ")
        .context("reading the passphrase")?;
    let b =
        rpassword::prompt_password("Repeat the passphrase: ").context("reading the passphrase")?;
    if a != b {
        bail!("the two passphrases differ; nothing was created");
    }
    Ok(Passphrase::new(a))
}
