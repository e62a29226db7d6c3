//! Live updates: a background task syncs every channel with its relay as
//! soon as the relay's event stream says something was sequenced
//! ([`hotline_client::events`], the stream `hotline watch` follows), polling
//! only while a channel's stream is down, and, when a sync stored something
//! new or a channel's status changed, tells every `GET /events` subscriber
//! (server-sent events). When a relay cannot be reached the pages say so
//! and keep serving the archive.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use hotline_client::events::Follow;
use hotline_client::relay_client::RelayClient;
use hotline_client::sync::{SyncError, sync_channel};
use hotline_core::ids::ChannelId;

use crate::Ui;
use crate::security::Session;

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

/// What one round of syncing found.
#[derive(Default)]
pub struct Round {
    /// Whether anything new was stored (or an alarm raised).
    pub changed: bool,
    /// The channels whose sync did not succeed.
    pub status: Status,
    /// The verified size of each channel's log after the round.
    pub sizes: BTreeMap<ChannelId, u64>,
    /// Every channel with its relay client (to follow its event stream).
    pub relays: Vec<(ChannelId, RelayClient)>,
}

/// Syncs every channel once.
pub fn sync_all(ui: &Ui) -> Round {
    let mut round = Round::default();
    let chans = match ui.archive.channels() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "reading the archive's channels");
            return round;
        }
    };
    let Round {
        changed,
        status,
        sizes,
        relays,
    } = &mut round;
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
                Ok(n) => *changed |= n > 0,
                Err(e) => tracing::debug!(error = %e, "refreshing receipts"),
            }
        }
        relays.push((rec.id, relay));
        match synced {
            Ok(o) => {
                *changed |= o.new_entries > 0 || o.opened > 0;
                sizes.insert(rec.id, o.size);
            }
            // The verified log is there; some bodies are still to fetch.
            Err(SyncError::Incomplete { outcome, .. }) => {
                *changed = true;
                sizes.insert(rec.id, outcome.size);
            }
            Err(SyncError::Relay(e)) if e.is_unreachable() => {
                status.problems.insert(rec.id, Problem::Unreachable);
            }
            Err(e) => {
                // An alarm is now on record and shows as a banner.
                *changed = true;
                tracing::warn!(channel = %rec.id.to_hex(), error = %e, "sync failed");
                status
                    .problems
                    .insert(rec.id, Problem::Failed(e.to_string()));
            }
        }
    }
    round
}

/// How soon to sync again when an entry was sequenced but no checkpoint
/// covering it was verified yet.
const SOON: Duration = Duration::from_millis(200);
/// How long a follower waits before reopening a stream that failed.
const REOPEN: Duration = Duration::from_secs(5);
/// How often to sync anyway while every stream is open (a safety net: the
/// stream only wakes us).
const WHILE_FOLLOWING: Duration = Duration::from_secs(60);

/// What the event-stream followers tell the sync loop.
type Wake = (ChannelId, Follow);

/// Starts the background sync: each channel's event stream is followed on
/// a thread of its own and wakes the sync as soon as the relay sequences an
/// entry (then it syncs every 200 ms until a checkpoint covers it, as
/// `hotline watch` does); while a channel's stream is down the sync polls
/// every `every`.
pub fn spawn_sync(ui: Arc<Ui>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut generation = 0u64;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Wake>();
        // By channel: whether its stream is open, the largest index it
        // announced.
        let mut followed: BTreeMap<ChannelId, bool> = BTreeMap::new();
        let mut wanted: BTreeMap<ChannelId, u64> = BTreeMap::new();
        loop {
            let u = ui.clone();
            let Ok(round) = tokio::task::spawn_blocking(move || sync_all(&u)).await else {
                tokio::time::sleep(every).await;
                continue;
            };
            let status_changed = match ui.status.write() {
                Ok(mut s) => {
                    let c = *s != round.status;
                    *s = round.status;
                    c
                }
                Err(_) => false,
            };
            if round.changed
                && let Some(a) = ui.alerter.get()
            {
                a.poke();
            }
            if round.changed || status_changed {
                generation += 1;
                // No subscriber is not an error.
                let _ = ui.events.send(generation);
            }
            // Follow the streams of channels not followed yet (also those
            // added while the UI runs).
            for (id, relay) in round.relays {
                if followed.contains_key(&id) {
                    continue;
                }
                followed.insert(id, false);
                let start = round.sizes.get(&id).copied().unwrap_or(0);
                let tx = tx.clone();
                std::thread::spawn(move || {
                    hotline_client::events::follow_events(&relay, &id, start, REOPEN, |e| {
                        tx.send((id, e)).is_ok()
                    })
                });
            }
            let behind = wanted
                .iter()
                .any(|(id, w)| round.sizes.get(id).is_some_and(|size| *w >= *size));
            let wait = if behind {
                SOON
            } else if !followed.is_empty() && followed.values().all(|open| *open) {
                WHILE_FOLLOWING
            } else {
                every
            };
            let mut woken = false;
            tokio::select! {
                w = rx.recv() => if let Some(w) = w {
                    woken |= note(&mut followed, &mut wanted, w);
                    while let Ok(w) = rx.try_recv() {
                        woken |= note(&mut followed, &mut wanted, w);
                    }
                },
                _ = tokio::time::sleep(wait) => {}
            }
            if woken {
                // Let the checkpoint covering the entry come.
                tokio::time::sleep(SOON).await;
            }
        }
    })
}

/// Records what a follower said; whether it calls for a sync now.
pub(crate) fn note(
    followed: &mut BTreeMap<ChannelId, bool>,
    wanted: &mut BTreeMap<ChannelId, u64>,
    (id, e): Wake,
) -> bool {
    match e {
        Follow::Connected => {
            followed.insert(id, true);
            false
        }
        Follow::Lost => {
            followed.insert(id, false);
            false
        }
        Follow::Sequenced(i) => {
            let w = wanted.entry(id).or_default();
            *w = (*w).max(i);
            true
        }
    }
}

/// `GET /events`: a `changed` event each time something new was stored;
/// an `alert` event (JSON: `subject`, `link`, `key`) for each alert raised
/// while the page is open, for a browser notification (nothing above what
/// `alerts.toml` lets an alert carry); a `locked` event (and the end of
/// the stream) when the idle lock locks the session, so that the page
/// reloads into the locked page.
pub async fn events(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = ui.events.subscribe();
    let arx = ui.alerts.subscribe();
    let every = ui.lock.check_every;
    let state = (rx, arx, ui, s.id, false);
    let stream =
        futures_util::stream::unfold(state, move |(mut rx, mut arx, ui, id, done)| async move {
            use tokio::sync::broadcast::error::RecvError;
            if done {
                return None;
            }
            enum Got {
                Changed(Result<u64, RecvError>),
                Alert(Result<String, RecvError>),
            }
            loop {
                let next = async {
                    tokio::select! {
                        c = rx.recv() => Got::Changed(c),
                        a = arx.recv() => Got::Alert(a),
                    }
                };
                let got = match ui.lock.after {
                    Some(_) => match tokio::time::timeout(every, next).await {
                        Ok(got) => got,
                        Err(_) => {
                            if ui.locked(&id) {
                                let ev = Event::default().event("locked").data("");
                                return Some((Ok(ev), (rx, arx, ui, id, true)));
                            }
                            continue;
                        }
                    },
                    None => next.await,
                };
                let ev = match got {
                    Got::Changed(Ok(n)) => Event::default().event("changed").data(n.to_string()),
                    // Missed some: one event says as much.
                    Got::Changed(Err(RecvError::Lagged(_))) => {
                        Event::default().event("changed").data("0")
                    }
                    Got::Alert(Ok(a)) => Event::default().event("alert").data(a),
                    // Missed alerts are in the archive's queue; the page shows the rest.
                    Got::Alert(Err(RecvError::Lagged(_))) => continue,
                    Got::Changed(Err(RecvError::Closed)) | Got::Alert(Err(RecvError::Closed)) => {
                        return None;
                    }
                };
                return Some((Ok(ev), (rx, arx, ui, id, false)));
            }
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
