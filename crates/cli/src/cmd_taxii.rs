//! `hotline taxii serve`: a TAXII 2.1 server over this profile's archive
//! (`docs/taxii.md`).

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use std::io::IsTerminal as _;

use crate::{Cli, Outcome};

/// The environment variable holding the TAXII password.
pub const PASSWORD_ENV: &str = "HOTLINE_TAXII_PASSWORD";

/// `hotline taxii …`.
#[derive(Debug, Subcommand)]
pub enum TaxiiCommand {
    /// Serve the STIX objects of this profile's archive over TAXII 2.1: one API root per
    /// channel, collections `received` and `sent` (read-only) and `outbox` (write-only: valid
    /// objects posted to it go to a draft, sent by `hotline case open --draft`). Needs no key;
    /// sync keeps running beside it and the server sees what sync adds. TLP:RED and
    /// TLP:AMBER+STRICT objects are withheld. Prints `taxii listening on http://ADDR` first.
    Serve(ServeArgs),
}

/// `hotline taxii serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (a loopback address: TLS, needed off loopback, is not yet
    /// supported).
    #[arg(long, default_value = "127.0.0.1:9100", value_name = "ADDR")]
    listen: SocketAddr,
    /// The user name clients authenticate with (HTTP Basic); the password is read from
    /// HOTLINE_TAXII_PASSWORD, or asked for on a terminal.
    #[arg(long, default_value = "taxii", value_name = "NAME")]
    user: String,
    /// The draft the objects posted to a channel's `outbox` go to (`hotline evidence show`).
    #[arg(long, default_value = hotline_client::archive::DEFAULT_DRAFT, value_name = "NAME")]
    draft: String,
}

/// Runs a `taxii` command.
pub fn run(cli: &Cli, c: &TaxiiCommand) -> anyhow::Result<Outcome> {
    match c {
        TaxiiCommand::Serve(a) => serve(&cli.profile_dir()?, a),
    }
}

fn password() -> anyhow::Result<String> {
    let p = match std::env::var(PASSWORD_ENV) {
        Ok(p) => p,
        Err(_) if std::io::stdin().is_terminal() => {
            rpassword::prompt_password("Password TAXII clients will use: ")
                .context("reading the password")?
        }
        Err(_) => bail!(
            "the TAXII server needs a password for its clients: set {PASSWORD_ENV} or run in a terminal"
        ),
    };
    if p.is_empty() {
        bail!("the TAXII password is empty; choose one and set {PASSWORD_ENV}");
    }
    Ok(p)
}

fn serve(dir: &Path, a: &ServeArgs) -> anyhow::Result<Outcome> {
    if !a.listen.ip().is_loopback() {
        bail!(
            "refusing to serve TAXII on {}: TLS is required off loopback; not yet supported. \
             Listen on 127.0.0.1 (the default)",
            a.listen
        );
    }
    hotline_client::archive::check_name(&a.draft)?;
    let profile = hotline_client::profile::Profile::open(dir)?;
    let party =
        profile.info().party.as_ref().map(|p| p.id).context(
            "this profile belongs to no party, so it has no archive of a party's channels",
        )?;
    if !dir.join(hotline_client::archive::FILE).exists() {
        bail!(
            "{} holds no archive yet: join a channel and run `hotline sync` first",
            dir.display()
        );
    }
    let password = password()?;
    let archive = std::sync::Arc::new(hotline_client::archive::Archive::open(dir)?);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let mut cfg = hotline_taxii::Config::new(&a.user, &password, party, base.clone());
        cfg.draft = a.draft.clone();
        tracing::info!(%addr, user = %a.user, "taxii listening");
        crate::serve::announce(&format!(
            "taxii listening on {base}\ndiscovery {base}/taxii2/"
        ));
        hotline_taxii::serve(
            hotline_taxii::router(archive, cfg),
            listener,
            crate::serve::shutdown_signal(),
        )
        .await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(Outcome::Ok)
}
