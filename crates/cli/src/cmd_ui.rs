//! `hotline ui`: the duty officer's web UI (`docs/ui.md`) on loopback. The
//! member keys are unlocked once here and held by the server; the login
//! token goes to stdout once, in the `open` line, and nowhere else.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::{Cli, Outcome};

/// How often the background task polls a channel whose event stream is
/// down.
const SYNC_EVERY: Duration = Duration::from_secs(3);

#[derive(Debug, clap::Args)]
pub struct UiArgs {
    /// The loopback address to listen on (port 0: any free port, printed).
    #[arg(long, default_value = "127.0.0.1:9200")]
    listen: SocketAddr,
    /// Do not open a browser (only print the address).
    #[arg(long)]
    no_open: bool,
    /// Lock a browser's session after this many minutes without a request
    /// from it; the member passphrase unlocks it (0: never lock).
    #[arg(long, value_name = "MINUTES", default_value_t = 15)]
    idle_lock: u64,
    /// The language of the pages (en, ru, ar; ar is partial) [default: the browser's
    /// Accept-Language, else English].
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,
}

/// How to serve a UI.
pub struct Serve {
    /// The loopback address (port 0: any free port).
    pub listen: SocketAddr,
    /// Whether to try to open a browser on the login address.
    pub open: bool,
    /// Minutes without a request before a session locks (0: never).
    pub idle_lock: u64,
    /// The member's language, over the browser's.
    pub lang: Option<String>,
}

/// Runs `hotline ui`.
pub fn run(cli: &Cli, a: &UiArgs) -> anyhow::Result<Outcome> {
    check_loopback(&a.listen)?;
    let dir = cli.profile_dir()?;
    let profile = hotline_client::profile::Profile::open(&dir)?;
    let pass = crate::passphrase::existing("member keys")?;
    let keys = profile.unlock_keyring(&pass)?;
    let party_key = party_key(&profile, &pass)?;
    let archive = Arc::new(hotline_client::archive::Archive::open(profile.dir())?);
    serve(
        archive,
        keys,
        profile,
        party_key,
        &Serve {
            listen: a.listen,
            open: !a.no_open,
            lang: a.lang.clone(),
            idle_lock: a.idle_lock,
        },
    )?;
    Ok(Outcome::Ok)
}

/// The party key too, when the profile holds it: the set-up pages sign
/// charters and publish rosters with it. One passphrase per profile.
pub fn party_key(
    profile: &hotline_client::profile::Profile,
    pass: &hotline_client::profile::Passphrase,
) -> anyhow::Result<Option<hotline_core::keys::SigningKey>> {
    Ok(match profile.info().party {
        Some(_) if profile.dir().join("party.key").exists() => Some(profile.unlock_party(pass)?),
        _ => None,
    })
}

fn check_loopback(listen: &SocketAddr) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() {
        bail!(
            "refusing to serve the UI on the non-loopback address {listen}: the server holds your \
             unlocked keys and is for this machine only. Listen on 127.0.0.1 (the default)"
        );
    }
    Ok(())
}

/// Serves the UI over `archive` with the unlocked `keys` of `profile` (whose
/// key file checks the passphrase that unlocks an idle session), printing
/// the two lines scripts read (`ui listening on …`, `open …`), until SIGINT
/// or SIGTERM. `hotline ui` and `hotline demo` both serve with it.
pub fn serve(
    archive: Arc<hotline_client::archive::Archive>,
    keys: hotline_client::keyring::Keyring,
    profile: hotline_client::profile::Profile,
    party_key: Option<hotline_core::keys::SigningKey>,
    s: &Serve,
) -> anyhow::Result<()> {
    check_loopback(&s.listen)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = std::net::TcpListener::bind(s.listen)
            .with_context(|| format!("listening on {}", s.listen))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let verify = {
            let profile = profile.clone();
            move |p: &str| {
                profile
                    .unlock_keyring(&hotline_client::profile::Passphrase::new(p.to_owned()))
                    .is_ok()
            }
        };
        let member = keys.current.signing.key_id();
        let ui_profile_dir = profile.dir().to_path_buf();
        let ui = Arc::new(
            hotline_ui::Ui::new(archive, keys, port)
                .with_idle_lock(Duration::from_secs(s.idle_lock.saturating_mul(60)), verify)
                .with_profile(profile, party_key),
        );
        let ui = match &s.lang {
            None => ui,
            Some(l) => Arc::new(
                Arc::into_inner(ui)
                    .ok_or_else(|| anyhow::anyhow!("the UI is shared before it starts"))?
                    .with_language(l)
                    .map_err(|e| anyhow::anyhow!("--lang: {e}"))?,
            ),
        };
        // Alerts: by e-mail and webhook as alerts.toml says, and to the open
        // pages for a browser notification (with no alerts.toml too: the
        // defaults, no target).
        let alert_cfg = match hotline_client::alerts::Config::load(ui_profile_dir.as_path())? {
            Some(c) => c,
            None => hotline_client::alerts::Config::parse("", &ui_profile_dir)
                .map_err(|e| anyhow::anyhow!("the default alert settings: {e}"))?,
        };
        let to_pages = ui.alert_sender();
        ui.set_alerter(hotline_client::alerts::Alerter::spawn(
            ui.archive.clone(),
            alert_cfg,
            member,
            move |r| match r {
                hotline_client::alerts::Report::Raised(r) => {
                    tracing::info!(alert = r.id, key = %r.key, "alert raised");
                    let _ = to_pages.send(hotline_ui::browser_alert(&r));
                }
                hotline_client::alerts::Report::Delivered { key, target } => {
                    tracing::info!(%key, %target, "alert delivered")
                }
                hotline_client::alerts::Report::Failed {
                    key,
                    target,
                    error,
                    retry_at,
                } => tracing::warn!(%key, %target, %error, ?retry_at, "alert delivery failed"),
                hotline_client::alerts::Report::Error(e) => {
                    tracing::error!(error = %e, "raising alerts")
                }
            },
        ));
        let url = ui.login_url();
        // The token is in `url`: stdout only, never the log.
        tracing::info!(port, "ui listening");
        crate::serve::announce(&format!(
            "ui listening on http://127.0.0.1:{port}/\nopen {url}"
        ));
        if s.open {
            open_browser(&url);
        }
        let app = hotline_ui::router(ui.clone());
        // An air-gapped profile reaches no relay: the archive is what
        // `hotline sync --import` brought, and the alert worker still looks
        // at it.
        let sync = if hotline_client::airgap::is_air_gapped(&ui_profile_dir) {
            tokio::spawn(async {})
        } else {
            hotline_ui::live::spawn_sync(ui, SYNC_EVERY)
        };
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
    // The event-stream followers are blocked in reads: do not wait for them.
    rt.shutdown_background();
    Ok(())
}

/// Tries `xdg-open` where there is one; a failure is not an error (the
/// address is printed).
fn open_browser(url: &str) {
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()));
    if cfg!(target_os = "linux") && !display {
        eprintln!("{}", crate::tr::t("cli-ui-no-display"));
        return;
    }
    let r = std::process::Command::new("xdg-open")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if r.is_err() {
        eprintln!("{}", crate::tr::t("cli-ui-no-browser"));
    }
}
