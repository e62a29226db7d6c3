//! `hotline ui`: the duty officer's web UI (`docs/ui.md`) on loopback. The
//! member keys are unlocked once here and held by the server; the login
//! token goes to stdout once, in the `open` line, and nowhere else.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::{Cli, Outcome};

/// How often the background task syncs every channel.
const SYNC_EVERY: Duration = Duration::from_secs(3);

#[derive(Debug, clap::Args)]
pub struct UiArgs {
    /// The loopback address to listen on (port 0: any free port, printed).
    #[arg(long, default_value = "127.0.0.1:9200")]
    listen: SocketAddr,
    /// Do not open a browser (only print the address).
    #[arg(long)]
    no_open: bool,
}

/// Runs `hotline ui`.
pub fn run(cli: &Cli, a: &UiArgs) -> anyhow::Result<Outcome> {
    if !a.listen.ip().is_loopback() {
        bail!(
            "refusing to serve the UI on the non-loopback address {}: the server holds your \
             unlocked keys and is for this machine only. Listen on 127.0.0.1 (the default)",
            a.listen
        );
    }
    let dir = cli.profile_dir()?;
    let profile = hotline_client::profile::Profile::open(&dir)?;
    let pass = crate::passphrase::existing("member keys")?;
    let keys = profile.unlock_keyring(&pass)?;
    // The party key too, when the profile holds it: the set-up pages sign
    // charters and publish rosters with it. One passphrase per profile.
    let party_key = match profile.info().party {
        Some(_) if profile.dir().join("party.key").exists() => Some(profile.unlock_party(&pass)?),
        _ => None,
    };
    let archive = Arc::new(hotline_client::archive::Archive::open(profile.dir())?);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = std::net::TcpListener::bind(a.listen)
            .with_context(|| format!("listening on {}", a.listen))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let ui =
            Arc::new(hotline_ui::Ui::new(archive, keys, port).with_profile(profile, party_key));
        let url = ui.login_url();
        // The token is in `url`: stdout only, never the log.
        tracing::info!(port, "ui listening");
        crate::serve::announce(&format!(
            "ui listening on http://127.0.0.1:{port}/\nopen {url}"
        ));
        if !a.no_open {
            open_browser(&url);
        }
        let app = hotline_ui::router(ui.clone());
        let sync = hotline_ui::live::spawn_sync(ui, SYNC_EVERY);
        let listener = tokio::net::TcpListener::from_std(listener)?;
        // Open event streams never end by themselves, so a graceful shutdown
        // would wait for ever: a signal stops the server at once.
        tokio::select! {
            r = axum::serve(listener, app) => r.context("serving the UI")?,
            _ = crate::serve::shutdown_signal() => {}
        }
        sync.abort();
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(Outcome::Ok)
}

/// Tries `xdg-open` where there is one; a failure is not an error (the
/// address is printed).
fn open_browser(url: &str) {
    let r = std::process::Command::new("xdg-open")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if r.is_err() {
        eprintln!("no browser was opened: open the address above yourself");
    }
}
