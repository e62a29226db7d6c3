//! `hotline watch`: sync continuously. Each channel's event stream wakes the
//! loop as soon as the relay sequences an entry (the sync then waits for the
//! checkpoint that covers it); without a stream, it polls every `--interval`
//! seconds. What is new is printed as it arrives, alarms loudly on stderr
//! too; it runs until interrupted. With `--json`, one object per line:
//! `watching`, then `message`, `synced`, `alarm` and `error` events.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use hotline_client::archive::Archive;
use hotline_client::events::{self, Follow};
use hotline_client::profile::Profile;
use hotline_client::relay_client::RelayClient;
use hotline_client::sync::{SyncError, sync_channel};
use hotline_core::ids::ChannelId;
use hotline_log::storage::LogStore as _;

use crate::{Cli, Outcome, out};

/// How soon to sync again when an entry is sequenced but not yet covered by
/// a checkpoint.
const SOON: Duration = Duration::from_millis(200);

/// Follows a channel's event stream (`hotline_client::events`), sending the
/// index of every entry sequenced; the stream is reopened after a pause when
/// it ends.
fn follow_events(
    relay: RelayClient,
    id: ChannelId,
    start: u64,
    tx: mpsc::Sender<(ChannelId, u64)>,
) {
    events::follow_events(&relay, &id, start, Duration::from_secs(5), |e| match e {
        Follow::Sequenced(i) => tx.send((id, i)).is_ok(),
        Follow::Connected | Follow::Lost => true,
    });
}

pub fn run_watch(
    cli: &Cli,
    channel: Option<&str>,
    interval: u64,
    json: bool,
) -> anyhow::Result<Outcome> {
    let p = Profile::open(&cli.profile_dir()?)?;
    let me = p.unlock_keyring(&crate::passphrase::existing("member keys")?)?;
    let a = Archive::open(p.dir())?;
    let recs: Vec<_> = a
        .channels()?
        .into_iter()
        .filter(|r| channel.is_none_or(|c| c == r.id.to_hex()))
        .collect();
    if recs.is_empty() {
        anyhow::bail!(
            "no channel to watch: `hotline channel list` shows the channels this profile follows"
        );
    }
    let interval = Duration::from_secs(interval.max(1));
    let (tx, rx) = mpsc::channel();
    let mut wanted: BTreeMap<ChannelId, u64> = BTreeMap::new();
    for rec in &recs {
        let relay = RelayClient::new(&rec.relay_url, me.current.signing.clone())?;
        let start = a.log.size(&rec.origin)?;
        let tx = tx.clone();
        let id = rec.id;
        std::thread::spawn(move || follow_events(relay, id, start, tx));
    }
    drop(tx);
    let mut alarms_seen = a.alarms()?.len();
    let mut shown: BTreeMap<ChannelId, std::collections::BTreeSet<u64>> = BTreeMap::new();
    for rec in &recs {
        shown.insert(
            rec.id,
            a.messages(&rec.id)?.iter().map(|m| m.index).collect(),
        );
    }
    if json {
        out!(
            "{}",
            serde_json::json!({"event": "watching", "channels": recs.iter().map(|r| r.id.to_hex()).collect::<Vec<_>>()})
        );
    } else {
        out!(
            "Watching {} channel(s) of {} (Ctrl-C to stop)",
            recs.len(),
            p.dir().display()
        );
    }
    loop {
        for rec in &recs {
            let relay = RelayClient::new(&rec.relay_url, me.current.signing.clone())?;
            let r = sync_channel(&a, &relay, &rec.id, &me, &|_, _| {});
            // A sync that left envelopes to fetch still verified the log and
            // opened the others: show them, and say what is left.
            let done = match &r {
                Ok(o) => Some(o.clone()),
                Err(SyncError::Incomplete { outcome, .. }) => Some((**outcome).clone()),
                Err(_) => None,
            };
            match &r {
                // Alarms are reported below, from the archive, once each.
                Ok(_) | Err(SyncError::Alarm(_)) => {}
                Err(e) => {
                    if json {
                        out!(
                            "{}",
                            serde_json::json!({"event": "error", "channel": rec.id.to_hex(), "error": e.to_string()})
                        );
                    } else {
                        out!("{} {}: could not sync: {e}", clock(), &rec.id.to_hex()[..8]);
                    }
                }
            }
            let Some(o) = done.filter(|o| o.new_entries > 0 || o.opened > 0) else {
                continue;
            };
            // Messages not shown yet, also those an earlier sync could not
            // fetch and this one opened.
            let seen = shown.entry(rec.id).or_default();
            let fresh: Vec<_> = a
                .logged_messages(&rec.id)?
                .into_iter()
                .filter(|m| !seen.contains(&m.index))
                .collect();
            seen.extend(fresh.iter().map(|m| m.index));
            if json {
                for m in &fresh {
                    out!(
                        "{}",
                        serde_json::json!({"event": "message", "channel": rec.id.to_hex(), "index": m.index, "kind": m.header.kind.as_str(), "case": m.header.case.to_hex(), "title": m.header.title, "sequenced_at": m.sequenced_at})
                    );
                }
                out!(
                    "{}",
                    serde_json::json!({"event": "synced", "channel": rec.id.to_hex(), "outcome": o})
                );
            } else {
                out!(
                    "{} {}: verified up to {} ({} new entries, {} opened for us)",
                    clock(),
                    &rec.id.to_hex()[..8],
                    o.size,
                    o.new_entries,
                    o.opened
                );
                for m in &fresh {
                    out!(
                        "  #{} {} in case {}: {}",
                        m.index,
                        m.header.kind.as_str(),
                        m.header.case.to_hex(),
                        m.header.title
                    );
                }
            }
        }
        let alarms = a.alarms()?;
        for al in alarms.iter().skip(alarms_seen) {
            let line = format!(
                "ALARM #{} channel {} {}: {} (`hotline alarms` shows the evidence)",
                al.id, al.channel, al.kind, al.detail
            );
            eprintln!("{line}");
            tracing::error!(alarm = al.id, kind = %al.kind, channel = %al.channel, "{}", al.detail);
            if json {
                out!("{}", serde_json::json!({"event": "alarm", "alarm": al}));
            } else {
                out!("{line}");
            }
        }
        alarms_seen = alarms.len();

        // Sleep until an entry is sequenced, or the interval passes; sooner
        // if a sequenced entry still waits for its checkpoint.
        let mut behind = false;
        for rec in &recs {
            if wanted
                .get(&rec.id)
                .is_some_and(|w| *w >= a.log.size(&rec.origin).unwrap_or(0))
            {
                behind = true;
            }
        }
        match rx.recv_timeout(if behind { SOON } else { interval }) {
            Ok((id, i)) => {
                let w = wanted.entry(id).or_default();
                *w = (*w).max(i);
                while let Ok((id, i)) = rx.try_recv() {
                    let w = wanted.entry(id).or_default();
                    *w = (*w).max(i);
                }
                std::thread::sleep(SOON);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(interval),
        }
    }
}

fn clock() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!("{:02}:{:02}:{:02}Z", t.hour(), t.minute(), t.second())
}
