//! Live updates: a background task syncs every channel with its relay
//! (polling, every few seconds; `docs/ui.md` says why not the relay's event
//! stream yet) and, when a sync stored something new or a channel's status
//! changed, tells every `GET /events` subscriber (server-sent events).
//! When a relay cannot be reached the pages say so and keep serving the
//! archive.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use hotline_client::relay_client::RelayClient;
use hotline_client::sync::{SyncError, sync_channel};
use hotline_core::ids::ChannelId;

use crate::Ui;

/// What is wrong with a channel's sync, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The relay could not be reached: the archive is shown, read-only.
    Unreachable,
    /// The sync failed otherwise (an alarm is on record, or another error).
    Failed(String),
}

/// The channels whose last sync did not succeed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// By channel.
    pub problems: BTreeMap<ChannelId, Problem>,
}

/// Syncs every channel once; returns whether anything new was stored, and
/// the status it found.
pub fn sync_all(ui: &Ui) -> (bool, Status) {
    let mut changed = false;
    let mut status = Status::default();
    let chans = match ui.archive.channels() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "reading the archive's channels");
            return (false, status);
        }
    };
    for rec in chans {
        let relay = match RelayClient::new(&rec.relay_url, ui.keys.current.signing.clone()) {
            Ok(r) => r,
            Err(e) => {
                status
                    .problems
                    .insert(rec.id, Problem::Failed(e.to_string()));
                continue;
            }
        };
        let synced = sync_channel(&ui.archive, &relay, &rec.id, &*ui.keys, &|_, _| {});
        // The other parties' receipts (and witness cosignatures) collected
        // since: the health page and the case timelines show them.
        if !matches!(&synced, Err(SyncError::Relay(e)) if e.is_unreachable()) {
            match hotline_client::receipts::refresh(&ui.archive, &relay, &rec.id) {
                Ok(n) => changed |= n > 0,
                Err(e) => tracing::debug!(error = %e, "refreshing receipts"),
            }
        }
        match synced {
            Ok(o) => changed |= o.new_entries > 0 || o.opened > 0,
            // The verified log is there; some bodies are still to fetch.
            Err(SyncError::Incomplete { .. }) => changed = true,
            Err(SyncError::Relay(e)) if e.is_unreachable() => {
                status.problems.insert(rec.id, Problem::Unreachable);
            }
            Err(e) => {
                // An alarm is now on record and shows as a banner.
                changed = true;
                tracing::warn!(channel = %rec.id.to_hex(), error = %e, "sync failed");
                status
                    .problems
                    .insert(rec.id, Problem::Failed(e.to_string()));
            }
        }
    }
    (changed, status)
}

/// Starts the background sync, every `every`.
pub fn spawn_sync(ui: Arc<Ui>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut generation = 0u64;
        loop {
            let u = ui.clone();
            if let Ok((changed, status)) = tokio::task::spawn_blocking(move || sync_all(&u)).await {
                let status_changed = match ui.status.write() {
                    Ok(mut s) => {
                        let c = *s != status;
                        *s = status;
                        c
                    }
                    Err(_) => false,
                };
                if changed || status_changed {
                    generation += 1;
                    // No subscriber is not an error.
                    let _ = ui.events.send(generation);
                }
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// `GET /events`: a `changed` event each time something new was stored.
pub async fn events(
    State(ui): State<Arc<Ui>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = ui.events.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        use tokio::sync::broadcast::error::RecvError;
        match rx.recv().await {
            Ok(n) => Some((
                Ok(Event::default().event("changed").data(n.to_string())),
                rx,
            )),
            // Missed some: one event says as much.
            Err(RecvError::Lagged(_)) => {
                Some((Ok(Event::default().event("changed").data("0")), rx))
            }
            Err(RecvError::Closed) => None,
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
