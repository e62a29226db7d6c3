//! `hotline witness …`: run a C2SP tlog-witness.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use hotline_log::cosignature::Cosigner;
use hotline_store::keyfile::{self, KdfStrength};
use hotline_witness::{LogConfig, Witness, WitnessConfig};
use rand_core::RngCore as _;
use zeroize::Zeroizing;

use crate::{Outcome, out};

#[derive(Debug, clap::Subcommand)]
pub enum WitnessCommand {
    /// Create a witness in DIR: a cosigning key (encrypted with the passphrase) and witness.toml.
    Init {
        /// The witness's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Its key name, a schema-less URL such as witness.example/w1.
        #[arg(long)]
        name: String,
    },
    /// Print the witness's cosigner verifier key (signature type 0x04) as a C2SP vkey.
    Key {
        /// The witness's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
    /// Follow a log: accept its checkpoints signed by KEY for ORIGIN.
    AddLog {
        /// The witness's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The log's checkpoint origin line.
        #[arg(long)]
        origin: String,
        /// The log's signed-note verifier key (name+id+base64).
        #[arg(long)]
        key: String,
    },
    /// Serve the tlog-witness HTTP API (POST /add-checkpoint) until interrupted.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:7380 (port 0 picks a free one).
        #[arg(long, value_name = "ADDR")]
        listen: SocketAddr,
        /// The witness's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Allow listening on a non-loopback address without TLS (use a TLS-terminating proxy).
        #[arg(long)]
        insecure_plain_http: bool,
    },
}

const KEY_FILE: &str = "witness.key";
const VKEY_FILE: &str = "witness.vkey";

fn load_seed(data: &Path) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    let pass = crate::passphrase::existing("witness key")?;
    let bytes = keyfile::read(&data.join(KEY_FILE), &pass)?;
    if bytes.len() != 32 {
        anyhow::bail!("{} is not a witness key", data.join(KEY_FILE).display());
    }
    // Straight into the wiped buffer: no copy of the seed left behind.
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&bytes);
    Ok(seed)
}

pub fn run(cmd: &WitnessCommand) -> anyhow::Result<Outcome> {
    match cmd {
        WitnessCommand::Init { data, name } => {
            if WitnessConfig::path(data).exists() {
                bail!(
                    "{} already holds a witness; nothing was changed",
                    data.display()
                );
            }
            hotline_store::files::create_private_dir(data)
                .with_context(|| format!("creating {}", data.display()))?;
            let mut seed = Zeroizing::new([0u8; 32]);
            rand_core::OsRng.fill_bytes(seed.as_mut());
            let cosigner = Cosigner::new(name, &seed).map_err(|e| anyhow::anyhow!("{e}"))?;
            let pass = crate::passphrase::new()?;
            keyfile::write(
                &data.join(KEY_FILE),
                seed.as_ref(),
                &pass,
                KdfStrength::from_env(),
            )?;
            hotline_store::files::write_atomic(
                &data.join(VKEY_FILE),
                format!("{}\n", cosigner.vkey()).as_bytes(),
                false,
                true,
            )?;
            WitnessConfig {
                name: name.clone(),
                logs: vec![],
            }
            .save(data)?;
            out!("{}", cosigner.vkey());
            Ok(Outcome::Ok)
        }
        WitnessCommand::Key { data } => {
            let p = data.join(VKEY_FILE);
            let vkey = std::fs::read_to_string(&p).with_context(|| {
                format!(
                    "reading {}; create the witness with `hotline witness init --data {}`",
                    p.display(),
                    data.display()
                )
            })?;
            out!("{}", vkey.trim_end());
            Ok(Outcome::Ok)
        }
        WitnessCommand::AddLog { data, origin, key } => {
            let mut c = WitnessConfig::load(data)?;
            match c.logs.iter_mut().find(|l| &l.origin == origin) {
                Some(l) if l.keys.contains(key) => {}
                Some(l) => l.keys.push(key.clone()),
                None => c.logs.push(LogConfig {
                    origin: origin.clone(),
                    keys: vec![key.clone()],
                }),
            }
            c.save(data)?;
            out!("following {origin}");
            Ok(Outcome::Ok)
        }
        WitnessCommand::Serve {
            listen,
            data,
            insecure_plain_http,
        } => {
            crate::serve::refuse_plain_non_loopback(listen, *insecure_plain_http)?;
            let seed = load_seed(data)?;
            let witness = Arc::new(Witness::open(data, &seed)?);
            drop(seed);
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("listening on {listen}"))?;
                let addr = listener.local_addr()?;
                tracing::info!(%addr, vkey = %witness.vkey(), "witness listening");
                crate::serve::announce(&format!("witness listening on http://{addr}"));
                axum::serve(listener, hotline_witness::http::router(witness))
                    .with_graceful_shutdown(crate::serve::shutdown_signal())
                    .await?;
                Ok::<_, anyhow::Error>(())
            })?;
            Ok(Outcome::Ok)
        }
    }
}
