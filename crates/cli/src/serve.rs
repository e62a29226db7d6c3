//! Shared pieces of the long-running servers: logging, shutdown, address
//! policy, and HTTPS (rustls through axum-server) for the relay and the TAXII
//! server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;

/// TLS settings of a server: a PEM certificate chain and its private key.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The certificate chain (PEM).
    pub cert: PathBuf,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl Tls {
    /// Both files, or neither (clap makes sure one is not given alone).
    pub fn from_args(cert: Option<&PathBuf>, key: Option<&PathBuf>) -> Option<Tls> {
        match (cert, key) {
            (Some(cert), Some(key)) => Some(Tls {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        }
    }

    /// Loads the certificate and key, so that an unreadable file, or a key
    /// that is not the certificate's, is reported (naming the files) before
    /// the server says it is listening.
    pub async fn load(&self) -> anyhow::Result<RustlsConfig> {
        // One process-wide provider (ring); an error means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        RustlsConfig::from_pem_file(&self.cert, &self.key)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "loading the TLS certificate {} and key {}: {e}. Give a PEM certificate chain \
                     and its PEM private key",
                    self.cert.display(),
                    self.key.display()
                )
            })
    }
}

/// How long a client may take to send a request's headers before the
/// connection is closed: a client that trickles them (slowloris) holds a
/// socket only this long.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` over TLS (rustls) on `listener` until `shutdown` resolves,
/// then lets requests in flight finish for at most `grace`.
pub async fn serve_tls(
    app: axum::Router,
    listener: std::net::TcpListener,
    config: RustlsConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    serve_app(
        app,
        listener,
        Some(config),
        shutdown,
        grace,
        HEADER_READ_TIMEOUT,
    )
    .await
}

/// Serves `app` on `listener`, over TLS when `tls` is given, until
/// `shutdown` resolves, then lets requests in flight finish for at most
/// `grace`. A connection that has not sent a whole request head within
/// `header_timeout` is closed (hyper's HTTP/1 header read timeout, with
/// tokio's timer: without a timer hyper enforces none).
pub async fn serve_app(
    app: axum::Router,
    listener: std::net::TcpListener,
    tls: Option<RustlsConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
    header_timeout: Duration,
) -> std::io::Result<()> {
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        h.graceful_shutdown(Some(grace));
    });
    let timeouts =
        |b: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>| {
            b.http1()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout);
        };
    match tls {
        Some(config) => {
            let mut server = axum_server::from_tcp_rustls(listener, config)?;
            timeouts(server.http_builder());
            server.handle(handle).serve(app.into_make_service()).await
        }
        None => {
            let mut server = axum_server::from_tcp(listener)?;
            timeouts(server.http_builder());
            server.handle(handle).serve(app.into_make_service()).await
        }
    }
}

/// Refuses plain HTTP on a non-loopback address unless explicitly allowed.
pub fn refuse_plain_non_loopback(
    addr: &SocketAddr,
    insecure_plain_http: bool,
) -> anyhow::Result<()> {
    if !addr.ip().is_loopback() && !insecure_plain_http {
        anyhow::bail!(
            "refusing to serve plain HTTP on the non-loopback address {addr}: listen on 127.0.0.1, \
             or put a TLS-terminating proxy in front and pass --insecure-plain-http"
        );
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// Sets up logging to stderr: human-readable, or JSON lines with `--log-format json`.
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HOTLINE_LOG")
        .unwrap_or_else(|_| "info".into());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        let _ = b.json().try_init();
    } else {
        let _ = b.try_init();
    }
}

/// Prints a server's start-up lines to stdout and flushes them. Errors are
/// ignored: a server goes on serving when whoever started it stops reading.
pub fn announce(lines: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{lines}");
    let _ = out.flush();
}
