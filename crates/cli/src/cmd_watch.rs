//! `hotline watch`: sync continuously. Each channel's event stream wakes the
//! loop as soon as the relay sequences an entry (the sync then waits for the
//! checkpoint that covers it); without a stream, it polls every `--interval`
//! seconds. What is new is printed as it arrives, alarms loudly on stderr
//! too; it runs until interrupted. With `--json`, one object per line:
//! `watching`, then `message`, `synced`, `alarm` and `error` events, and,
//! when the profile configures alerts (`alerts.toml`), `alert`,
//! `alert-delivered` and `alert-failed`.

use std::collections::BTreeMap;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use hotline_client::alerts::{self, Alerter, Report};
use hotline_client::archive::Archive;
use hotline_client::events::{self, Follow};
use hotline_client::profile::Profile;
use hotline_client::relay_client::RelayClient;
use hotline_client::sync::{SyncError, sync_channel};
use hotline_core::ids::ChannelId;
use hotline_log::storage::LogStore as _;

use crate::tr::{printable, ta};
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
    if hotline_client::airgap::is_air_gapped(p.dir()) {
        anyhow::bail!(
            "this profile is air-gapped: it reaches no relay. `hotline sync --import FILE --out OUT` \
             brings what the courier fetched (docs/airgap.md); `hotline ui` shows it and alerts"
        );
    }
    let me = p.unlock_keyring(&crate::passphrase::existing("member keys")?)?;
    let a = Arc::new(Archive::open(p.dir())?);
    let alert_cfg = alerts::Config::load(p.dir())?;
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
    let targets: Vec<String> = alert_cfg
        .as_ref()
        .map(|c| c.targets.iter().map(alerts::Target::name).collect())
        .unwrap_or_default();
    if json {
        out!(
            "{}",
            serde_json::json!({"event": "watching", "channels": recs.iter().map(|r| r.id.to_hex()).collect::<Vec<_>>(), "alert_targets": targets})
        );
    } else {
        out!(
            "{}",
            ta(
                "cli-watching",
                &[
                    ("channels", recs.len().to_string()),
                    ("profile", p.dir().display().to_string())
                ]
            )
        );
        if alert_cfg.is_some() {
            out!(
                "{}",
                ta(
                    "cli-watch-alerts",
                    &[
                        ("targets", targets.len().to_string()),
                        ("file", p.dir().join(alerts::FILE).display().to_string())
                    ]
                )
            );
        }
    }
    // The alert worker runs on threads of its own: a mail server or webhook
    // that does not answer never holds up the sync.
    let alerter = alert_cfg.map(|cfg| {
        Alerter::spawn(a.clone(), cfg, me.current.signing.key_id(), move |r| {
            tell_alert(&r, json)
        })
    });
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
                        out!(
                            "{} {}",
                            clock(),
                            ta(
                                "cli-sync-failed",
                                &[
                                    ("channel", rec.id.to_hex()[..8].to_owned()),
                                    ("error", printable(&e.to_string()))
                                ]
                            )
                        );
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
                    "{} {}",
                    clock(),
                    ta(
                        "cli-synced",
                        &[
                            ("channel", rec.id.to_hex()[..8].to_owned()),
                            ("size", o.size.to_string()),
                            ("new", o.new_entries.to_string()),
                            ("opened", o.opened.to_string()),
                        ]
                    )
                );
                for m in &fresh {
                    out!(
                        "  {}",
                        ta(
                            "cli-watch-message",
                            &[
                                ("index", m.index.to_string()),
                                ("kind", crate::tr::kind(m.header.kind.as_str())),
                                ("case", m.header.case.to_hex()),
                                // Another party's text.
                                ("title", printable(&m.header.title)),
                            ]
                        )
                    );
                }
            }
        }
        let alarms = a.alarms()?;
        for al in alarms.iter().skip(alarms_seen) {
            let line = ta(
                "cli-watch-alarm",
                &[
                    ("id", al.id.to_string()),
                    ("channel", al.channel.clone()),
                    ("kind", al.kind.to_string()),
                    ("detail", printable(&al.detail)),
                ],
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
        if let Some(al) = &alerter {
            al.poke();
        }

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

/// Prints what the alert worker did (on its thread: a closed stdout is
/// not an error there).
fn tell_alert(r: &Report, json: bool) {
    use std::io::Write as _;
    let line = if json {
        match r {
            Report::Raised(r) => serde_json::json!({"event": "alert", "id": r.id, "key": r.key, "alert": r.alert}),
            Report::Delivered { key, target } => {
                serde_json::json!({"event": "alert-delivered", "key": key, "target": target})
            }
            Report::Failed {
                key,
                target,
                error,
                retry_at,
            } => serde_json::json!({"event": "alert-failed", "key": key, "target": target, "error": error, "retry_at": retry_at}),
            Report::Error(e) => serde_json::json!({"event": "error", "error": format!("alerts: {e}")}),
        }
        .to_string()
    } else {
        let said = match r {
            Report::Raised(r) => ta(
                "cli-alert-raised",
                &[
                    ("id", r.id.to_string()),
                    ("subject", printable(&r.alert.subject())),
                ],
            ),
            Report::Delivered { key, target } => ta(
                "cli-alert-delivered",
                &[("key", key.clone()), ("target", target.clone())],
            ),
            Report::Failed {
                key,
                target,
                error,
                retry_at,
            } => {
                let mut vars = vec![
                    ("key", key.clone()),
                    ("target", target.clone()),
                    ("error", printable(error)),
                ];
                match retry_at {
                    Some(t) => {
                        vars.push(("secs", t.saturating_sub(alerts::now()).to_string()));
                        ta("cli-alert-retry", &vars)
                    }
                    None => ta("cli-alert-gave-up", &vars),
                }
            }
            Report::Error(e) => ta("cli-alert-error", &[("error", e.to_string())]),
        };
        format!("{} {said}", clock())
    };
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn clock() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!("{:02}:{:02}:{:02}Z", t.hour(), t.minute(), t.second())
}
