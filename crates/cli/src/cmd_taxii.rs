//! `hotline taxii serve`: a TAXII 2.1 server over this profile's archive
//! (`docs/taxii.md`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use hotline_client::archive::StixCollection;
use std::io::IsTerminal as _;

use crate::{Cli, Outcome};

/// How long requests in flight may take to finish after the shutdown signal
/// (over HTTPS; over HTTP the server waits for them).
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The environment variable holding the TAXII password.
pub const PASSWORD_ENV: &str = "HOTLINE_TAXII_PASSWORD";

/// `hotline taxii …`.
#[derive(Debug, Subcommand)]
pub enum TaxiiCommand {
    /// Serve the STIX objects of this profile's archive over TAXII 2.1: one API root per
    /// channel, collections `received` and `sent` (read-only) and `outbox` (write-only: valid
    /// objects posted to it go to a draft, sent by `hotline case open --draft`). Needs no key;
    /// sync keeps running beside it and the server sees what sync adds. Objects at TLP:RED or
    /// TLP:AMBER+STRICT (by their markings or their message's label) are withheld unless
    /// --serve-restricted names their collection. Prints `taxii listening on http://ADDR`
    /// (`https://` with --tls-cert) first.
    Serve(ServeArgs),
}

/// `hotline taxii serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on. Off loopback, --tls-cert and --tls-key are required (the
    /// password would otherwise travel in clear).
    #[arg(long, default_value = "127.0.0.1:9100", value_name = "ADDR")]
    listen: SocketAddr,
    /// The user name clients authenticate with (HTTP Basic); the password is read from
    /// HOTLINE_TAXII_PASSWORD, or asked for on a terminal.
    #[arg(long, default_value = "taxii", value_name = "NAME")]
    user: String,
    /// The draft the objects posted to a channel's `outbox` go to (`hotline evidence show`).
    #[arg(long, default_value = hotline_client::archive::DEFAULT_DRAFT, value_name = "NAME")]
    draft: String,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Also serve, in this collection, the objects at TLP:RED or TLP:AMBER+STRICT (by marking
    /// or by their message's label), withheld by default because they are for the named
    /// recipients, or their organisations, only and the tools reading TAXII may share
    /// further. Repeat for both collections.
    #[arg(long, value_name = "COLLECTION", value_enum)]
    serve_restricted: Vec<Collection>,
}

/// A collection of every API root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Collection {
    /// The other parties' objects.
    Received,
    /// Our party's objects.
    Sent,
}

impl From<Collection> for StixCollection {
    fn from(c: Collection) -> StixCollection {
        match c {
            Collection::Received => StixCollection::Received,
            Collection::Sent => StixCollection::Sent,
        }
    }
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
    let tls = crate::serve::Tls::from_args(a.tls_cert.as_ref(), a.tls_key.as_ref());
    if !a.listen.ip().is_loopback() && tls.is_none() {
        bail!(
            "refusing to serve TAXII in clear on the non-loopback address {}: the password \
             would travel in clear. Give --tls-cert FILE --tls-key FILE to serve HTTPS, or \
             listen on 127.0.0.1 (the default)",
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
        let tls = match &tls {
            Some(t) => Some(t.load().await?),
            None => None,
        };
        let listener = std::net::TcpListener::bind(a.listen)
            .with_context(|| format!("listening on {}", a.listen))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{addr}");
        let mut cfg = hotline_taxii::Config::new(&a.user, &password, party, base.clone());
        cfg.serve_restricted = a.serve_restricted.iter().map(|c| (*c).into()).collect();
        cfg.draft = a.draft.clone();
        let restricted: Vec<&str> = cfg.serve_restricted.iter().map(|c| c.as_str()).collect();
        tracing::info!(%addr, user = %a.user, scheme, ?restricted, "taxii listening");
        crate::serve::announce(&format!(
            "taxii listening on {base}\ndiscovery {base}/taxii2/"
        ));
        let app = hotline_taxii::router(archive, cfg);
        let shutdown = crate::serve::shutdown_signal();
        match tls {
            Some(t) => crate::serve::serve_tls(app, listener, t, shutdown, SHUTDOWN_GRACE).await?,
            None => {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                hotline_taxii::serve(app, listener, shutdown).await?
            }
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(Outcome::Ok)
}
