//! Shared pieces of the long-running servers: logging, shutdown, address policy.

use std::net::SocketAddr;

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
