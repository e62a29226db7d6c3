//! `hotline relay …`: run the relay, print its key, list its channels.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use hotline_relay::config::Config;
use hotline_store::relaydata::RelayData;

use crate::{Outcome, out};

#[derive(Debug, clap::Subcommand)]
pub enum RelayCommand {
    /// Serve the relay API until SIGTERM or Ctrl-C (creates the relay key on first start).
    Serve(ServeArgs),
    /// Print the relay's checkpoint key as a C2SP signed-note verifier key (name+id+base64).
    Key {
        /// The relay's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
    /// List the channels the relay carries, one id per line.
    Channels {
        /// The relay's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// PostgreSQL URL, when the relay uses PostgreSQL.
        #[arg(long, env = "HOTLINE_RELAY_DATABASE", value_name = "URL")]
        database: Option<String>,
        /// Print JSON (id, origin, size, latest checkpoint size) instead.
        #[arg(long)]
        json: bool,
    },
    /// Write a backup of every channel (entries, blobs, checkpoints, cosignatures and the
    /// encrypted relay key) to FILE, as JSON Lines (docs/relay.md).
    Export {
        /// The relay's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// PostgreSQL URL, when the relay uses PostgreSQL.
        #[arg(long, env = "HOTLINE_RELAY_DATABASE", value_name = "URL")]
        database: Option<String>,
        /// Where to write the backup (written whole, then renamed into place).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Leave the encrypted relay key out of the backup.
        #[arg(long)]
        without_key: bool,
    },
    /// Restore a backup into an empty relay, after verifying every log in it (signatures,
    /// roots, rosters, blobs). Nothing is written unless all of it verifies.
    Import {
        /// The backup file.
        file: PathBuf,
        /// The target relay's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// PostgreSQL URL, when the target relay uses PostgreSQL.
        #[arg(long, env = "HOTLINE_RELAY_DATABASE", value_name = "URL")]
        database: Option<String>,
        /// Only verify the backup; write nothing.
        #[arg(long)]
        verify_only: bool,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The relay's data folder (key, SQLite database, relay.toml).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Address to listen on [default: 127.0.0.1:8440; port 0 picks a free one].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Use PostgreSQL at URL instead of SQLite in the data folder.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// A configuration file [default: DIR/relay.toml if present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The relay's name (origin prefix) when its key is created [default: relay.hotline.local].
    #[arg(long)]
    name: Option<String>,
    /// Longest delay (ms) before an appended entry is in a signed checkpoint.
    #[arg(long, value_name = "MS")]
    checkpoint_interval_ms: Option<u64>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy).
    #[arg(long)]
    insecure_plain_http: bool,
    /// Admit a party to create channels: its party key id or party key, as
    /// its profile.json's "party" gives them (repeat for several; added to
    /// relay.toml's `admit`). With no party admitted, every new channel is refused.
    #[arg(long, value_name = "PARTY")]
    admit: Vec<String>,
    /// A file of admitted parties, one per line (# comments), read again at
    /// every channel creation, so that admitting a party needs no restart.
    #[arg(long, value_name = "FILE")]
    admit_file: Option<PathBuf>,
    /// DANGEROUS: let any party create channels (a trial on loopback, never
    /// a relay others can reach: anyone could make it store and sequence channels).
    #[arg(long, conflicts_with_all = ["admit", "admit_file"])]
    danger_open_admission: bool,
    /// Let the relay contact the witness at URL, exactly as charters name
    /// it (repeat for several; added to relay.toml's `allowed_witnesses`).
    /// A charter naming another witness is refused.
    #[arg(long, value_name = "URL")]
    allow_witness: Vec<String>,
    /// DANGEROUS: contact whatever witness a charter names (a trial on
    /// loopback: a charter's authors could make the relay POST anywhere).
    #[arg(long, conflicts_with = "allow_witness")]
    danger_any_witness: bool,
}

/// The SQLite file inside the data folder.
const SQLITE_FILE: &str = "relay.sqlite";

fn open_store(data: &Path, database: Option<&str>) -> anyhow::Result<Arc<dyn RelayData>> {
    Ok(match database {
        Some(url) => Arc::new(
            hotline_store::postgres::PgStore::connect(url)
                .context("connecting to PostgreSQL (check --database)")?,
        ),
        None => {
            hotline_store::files::create_private_dir(data)
                .with_context(|| format!("creating {}", data.display()))?;
            Arc::new(
                hotline_store::sqlite::SqliteStore::open(&data.join(SQLITE_FILE))
                    .with_context(|| format!("opening {}", data.join(SQLITE_FILE).display()))?,
            )
        }
    })
}

pub fn run(cmd: &RelayCommand) -> anyhow::Result<Outcome> {
    match cmd {
        RelayCommand::Key { data } => {
            out!("{}", hotline_relay::key::vkey(data)?);
            Ok(Outcome::Ok)
        }
        RelayCommand::Channels {
            data,
            database,
            json,
        } => {
            let vkey = hotline_relay::key::vkey(data)?;
            let name = vkey.split('+').next().unwrap_or_default().to_owned();
            let cfg = Config::load(data, None, std::env::vars())?;
            let db = database.clone().or(cfg.database);
            let store = open_store(data, db.as_deref())?;
            let prefix = format!("{name}/");
            let mut rows = Vec::new();
            for log in store.logs()? {
                let Some(id) = log.strip_prefix(&prefix) else {
                    continue;
                };
                if *json {
                    let size = store.size(&log)?;
                    let cp = store.checkpoint(&log)?.map(|(s, _)| s);
                    rows.push(serde_json::json!({
                        "channel": id, "origin": log, "size": size, "checkpoint_size": cp,
                    }));
                } else {
                    out!("{id}");
                }
            }
            if *json {
                out!("{}", serde_json::to_string_pretty(&rows)?);
            }
            Ok(Outcome::Ok)
        }
        RelayCommand::Serve(a) => serve(a),
        RelayCommand::Export {
            data,
            database,
            out: file,
            without_key,
        } => export(data, database.as_deref(), file, *without_key),
        RelayCommand::Import {
            file,
            data,
            database,
            verify_only,
            json,
        } => import(file, data, database.as_deref(), *verify_only, *json),
    }
}

fn progress_bar(what: &'static str) -> impl Fn(u64, u64) {
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} entries ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(what);
    move |done, total| {
        bar.set_length(total);
        bar.set_position(done);
        if done >= total {
            bar.finish_and_clear();
        }
    }
}

fn export(
    data: &Path,
    database: Option<&str>,
    file: &Path,
    without_key: bool,
) -> anyhow::Result<Outcome> {
    let vkey = hotline_relay::key::vkey(data)?;
    let name = vkey.split('+').next().unwrap_or_default().to_owned();
    let cfg = Config::load(data, None, std::env::vars())?;
    let db = database.map(str::to_owned).or(cfg.database);
    let store = open_store(data, db.as_deref())?;
    let key_file = if without_key {
        None
    } else {
        let p = data.join(hotline_relay::key::KEY_FILE);
        Some(std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?)
    };
    let tmp = file.with_extension("partial");
    let f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut w = std::io::BufWriter::new(f);
    let t = hotline_relay::backup::export(
        &*store,
        &name,
        &vkey,
        key_file.as_deref(),
        &mut w,
        &progress_bar("exporting"),
    )?;
    let f = w.into_inner().map_err(|e| e.into_error())?;
    f.sync_all()?;
    std::fs::rename(&tmp, file)
        .with_context(|| format!("renaming {} to {}", tmp.display(), file.display()))?;
    out!(
        "exported {} channels, {} entries, {} envelope bodies, {} blobs, {} checkpoints to {}{}",
        t.logs,
        t.entries,
        t.bodies,
        t.blobs,
        t.checkpoints,
        file.display(),
        if without_key {
            " (without the relay key)"
        } else {
            ""
        }
    );
    Ok(Outcome::Ok)
}

fn import(
    file: &Path,
    data: &Path,
    database: Option<&str>,
    verify_only: bool,
    json: bool,
) -> anyhow::Result<Outcome> {
    use hotline_relay::backup;
    let open = || -> anyhow::Result<std::io::BufReader<std::fs::File>> {
        Ok(std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
        ))
    };
    let (header, t) = match backup::verify(open()?, &progress_bar("verifying")) {
        Ok(v) => v,
        Err(e @ backup::BackupError::Verify(_)) => {
            if json {
                out!(
                    "{}",
                    serde_json::json!({"verified": false, "error": e.to_string()})
                );
            } else {
                out!("{e}");
            }
            return Ok(Outcome::CheckFailed);
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("reading {}", file.display()))),
    };
    let summary = serde_json::json!({
        "verified": true, "relay": header.vkey, "logs": t.logs, "entries": t.entries,
        "blobs": t.blobs, "checkpoints": t.checkpoints, "imported": !verify_only,
    });
    if verify_only {
        if json {
            out!("{summary}");
        } else {
            out!(
                "verified: {} channels, {} entries, {} blobs, {} checkpoints signed by {}",
                t.logs,
                t.entries,
                t.blobs,
                t.checkpoints,
                header.vkey
            );
        }
        return Ok(Outcome::Ok);
    }
    // The target's key: the backup's relay key, or none yet (then the
    // backup must carry the encrypted key file).
    let vkey_path = data.join(hotline_relay::key::VKEY_FILE);
    let key_path = data.join(hotline_relay::key::KEY_FILE);
    if vkey_path.exists() {
        let have = hotline_relay::key::vkey(data)?;
        if have != header.vkey {
            anyhow::bail!(
                "{} holds relay key {have}, but the backup is of relay {}: import into an empty data folder",
                data.display(),
                header.vkey
            );
        }
    } else if header.key_file.is_none() {
        anyhow::bail!(
            "the backup holds no relay key and {} has none: copy the relay's relay.key and relay.vkey there first",
            data.display()
        );
    }
    let cfg = Config::load(data, None, std::env::vars())?;
    let db = database.map(str::to_owned).or(cfg.database);
    let sqlite = data.join(SQLITE_FILE);
    let restored = match &db {
        Some(url) => {
            let store = open_store(data, Some(url))?;
            backup::restore(&*store, open()?, &progress_bar("importing"))?
        }
        None => {
            // Into a new file, renamed into place only when complete.
            if sqlite.exists() && !open_store(data, None)?.logs()?.is_empty() {
                anyhow::bail!(
                    "{} already holds channels: import into an empty data folder",
                    sqlite.display()
                );
            }
            hotline_store::files::create_private_dir(data)
                .with_context(|| format!("creating {}", data.display()))?;
            let tmp = data.join(format!("{SQLITE_FILE}.importing"));
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", tmp.display()));
            }
            let t = {
                let store = hotline_store::sqlite::SqliteStore::open(&tmp)
                    .with_context(|| format!("opening {}", tmp.display()))?;
                backup::restore(&store, open()?, &progress_bar("importing"))?
            };
            for ext in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", sqlite.display()));
            }
            std::fs::rename(&tmp, &sqlite)
                .with_context(|| format!("renaming {} into place", tmp.display()))?;
            t
        }
    };
    if let (false, Some(k)) = (vkey_path.exists(), &header.key_file) {
        hotline_store::files::write_atomic(&key_path, k, true, false)
            .with_context(|| format!("writing {}", key_path.display()))?;
        let v = format!("{}\n", header.vkey);
        hotline_store::files::write_atomic(&vkey_path, v.as_bytes(), false, false)
            .with_context(|| format!("writing {}", vkey_path.display()))?;
    }
    // Read back what landed.
    let store = open_store(data, db.as_deref())?;
    let mut entries = 0;
    let logs = store.logs()?;
    for l in logs
        .iter()
        .filter(|l| l.starts_with(&format!("{}/", header.name)))
    {
        entries += store.size(l)?;
    }
    anyhow::ensure!(
        entries == restored.entries && restored == t,
        "the restored relay holds {entries} entries, the backup {}: do not use it; import again into an empty folder",
        t.entries
    );
    if json {
        out!("{summary}");
    } else {
        out!(
            "verified and imported {} channels, {} entries, {} blobs, {} checkpoints into {}",
            t.logs,
            t.entries,
            t.blobs,
            t.checkpoints,
            db.as_deref()
                .map(|_| "PostgreSQL".to_owned())
                .unwrap_or_else(|| sqlite.display().to_string())
        );
    }
    Ok(Outcome::Ok)
}

fn serve(a: &ServeArgs) -> anyhow::Result<Outcome> {
    let mut cfg = Config::load(&a.data, a.config.as_deref(), std::env::vars())?;
    if let Some(l) = a.listen {
        cfg.listen = l;
    }
    if let Some(d) = &a.database {
        cfg.database = Some(d.clone());
    }
    if let Some(n) = &a.name {
        cfg.name = n.clone();
    }
    if let Some(ms) = a.checkpoint_interval_ms {
        cfg.checkpoint_interval_ms = ms;
    }
    if let (Some(c), Some(k)) = (&a.tls_cert, &a.tls_key) {
        cfg.tls_cert = Some(c.clone());
        cfg.tls_key = Some(k.clone());
    }
    cfg.insecure_plain_http |= a.insecure_plain_http;
    cfg.admit.extend(a.admit.iter().cloned());
    if let Some(f) = &a.admit_file {
        cfg.admit_file = Some(f.clone());
    }
    cfg.danger_open_admission |= a.danger_open_admission;
    cfg.allowed_witnesses
        .extend(a.allow_witness.iter().cloned());
    cfg.danger_any_witness |= a.danger_any_witness;
    cfg.check()?;
    if cfg.danger_any_witness {
        tracing::warn!(
            "danger_any_witness: the relay contacts whatever witness a charter names; \
             list the witnesses it may contact (allowed_witnesses) before others can reach it"
        );
    }
    let admission = cfg.admission()?;
    if admission.is_open() {
        tracing::warn!(
            "danger_open_admission: any party can create channels on this relay; \
             list the parties it serves (admit, admit_file) before others can reach it"
        );
    } else if admission.admitted().map(|a| a.is_empty()).unwrap_or(false) {
        tracing::warn!(
            "no party is admitted: every new channel will be refused; \
             list party key ids in relay.toml's admit or admit_file (docs/relay.md, Admission)"
        );
    }
    let key_exists = a.data.join(hotline_relay::key::KEY_FILE).exists();
    let pass = if key_exists {
        crate::passphrase::existing("relay key")?
    } else {
        crate::passphrase::new()?
    };
    let (keys, created) = hotline_relay::key::load_keys(&a.data, &cfg.name, &pass)?;
    drop(pass);
    if created {
        tracing::info!(key = %keys.signer.vkey(), "created the relay key");
    }
    // The synchronous PostgreSQL client must be connected outside the runtime.
    let store = open_store(&a.data, cfg.database.as_deref())?;
    let backend = if cfg.database.is_some() {
        "postgresql"
    } else {
        "sqlite"
    };
    let listen = cfg.listen;
    let tls = crate::serve::Tls::from_args(cfg.tls_cert.as_ref(), cfg.tls_key.as_ref());
    // The synchronous PostgreSQL client must also be dropped outside the
    // runtime: this handle outlives it.
    let keep = store.clone();
    let relay = hotline_relay::relay::Relay::new(cfg, store, keys);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let tls = match &tls {
            Some(t) => Some(t.load().await?),
            None => None,
        };
        let listener = std::net::TcpListener::bind(listen)
            .with_context(|| format!("listening on {listen}"))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(%addr, key = %relay.vkey(), backend, scheme, "relay listening");
        // A server keeps serving if nobody reads its stdout any more.
        crate::serve::announce(&format!(
            "relay listening on {scheme}://{addr}\nrelay key {}",
            relay.vkey()
        ));
        let shutdown = crate::serve::shutdown_signal();
        // The relay's own shutdown: event streams end on the signal, and
        // the last checkpoints are signed after the drain.
        let closing = relay.clone();
        let signal = async move {
            shutdown.await;
            closing.begin_close();
        };
        let app = hotline_relay::api::router(relay.clone());
        let grace = hotline_relay::api::SHUTDOWN_GRACE;
        let header_timeout = std::time::Duration::from_secs(relay.cfg.header_read_timeout_secs);
        crate::serve::serve_app(app, listener, tls, signal, grace, header_timeout).await?;
        relay.shutdown().await;
        tracing::info!("relay stopped; every acknowledged entry is durable");
        Ok::<_, anyhow::Error>(())
    })?;
    drop(rt);
    drop(keep);
    Ok(Outcome::Ok)
}
