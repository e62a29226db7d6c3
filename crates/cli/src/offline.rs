//! Reading from the archive when the relay cannot be reached
//! (`docs/client.md`, "Reading offline"): what every reading command
//! (`inbox`, `case show`, `report`, `alarms`) says about how current the
//! archive is, on stderr for a person and as an `archive` field in `--json`.

use hotline_client::archive::{Archive, LastVerified};
use hotline_client::profile::Profile;
use hotline_core::ids::ChannelId;

use crate::{Cli, Outcome};

/// What a reading command knows of one channel's archive.
pub(crate) struct Freshness {
    /// The channel.
    pub(crate) channel: ChannelId,
    /// Whether this command asked the relay: `Some(None)` it synced,
    /// `Some(Some(why))` the relay could not be reached, `None` not asked.
    pub(crate) relay: Option<Option<String>>,
    /// The latest checkpoint the archive verified.
    pub(crate) last: Option<LastVerified>,
    /// Alarms on record for the channel.
    pub(crate) alarms: usize,
}

impl Freshness {
    /// What the archive holds of `channel`; `relay` as in [`Freshness::relay`].
    pub(crate) fn of(
        archive: &Archive,
        channel: ChannelId,
        relay: Option<Option<String>>,
    ) -> anyhow::Result<Freshness> {
        let hex = channel.to_hex();
        Ok(Freshness {
            last: archive.last_verified(&channel)?,
            alarms: archive
                .alarms()?
                .iter()
                .filter(|a| a.channel == hex)
                .count(),
            channel,
            relay,
        })
    }
}

pub(crate) fn now() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64
}

pub(crate) use crate::tr::duration;
use crate::tr::{t, ta};

fn rfc3339(t: u64) -> Option<String> {
    let d = time::OffsetDateTime::from_unix_timestamp(i64::try_from(t).ok()?).ok()?;
    d.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

impl Freshness {
    /// `the checkpoint verified 2 h 14 min ago (size 7, 2026-12-01T17:48:00Z)`.
    fn checkpoint_phrase(l: &LastVerified, now: u64) -> String {
        let time = l
            .time
            .and_then(rfc3339)
            .unwrap_or_else(|| t("cli-no-timestamp"));
        ta(
            "cli-checkpoint-phrase",
            &[
                ("age", duration(l.age_secs(now))),
                ("size", l.size.to_string()),
                ("time", time),
            ],
        )
    }

    /// The one line a person reads; `warning` when the relay was not reached.
    pub(crate) fn line(&self, now: u64) -> String {
        let ch = self.channel.to_hex();
        let held = match &self.last {
            Some(l) => ta(
                "cli-archive-as-of",
                &[("checkpoint", Self::checkpoint_phrase(l, now))],
            ),
            None => t("cli-archive-empty"),
        };
        let id = match &self.relay {
            Some(Some(why)) => {
                return ta(
                    "cli-fresh-unreachable",
                    &[("channel", ch), ("why", why.clone()), ("held", held)],
                );
            }
            Some(None) => match &self.last {
                Some(l) if l.age_secs(now) >= 60 => "cli-fresh-synced-nothing-new",
                _ => "cli-fresh-synced",
            },
            None => "cli-fresh-not-synced",
        };
        ta(id, &[("channel", ch), ("held", held)])
    }

    /// The JSON a reading command's `--json` output carries under `archive`.
    pub(crate) fn json(&self, now: u64) -> serde_json::Value {
        serde_json::json!({
            "channel": self.channel.to_hex(),
            "relay_reached": self.relay.as_ref().map(|r| r.is_none()),
            "relay_error": self.relay.as_ref().and_then(|r| r.clone()),
            "alarms": self.alarms,
            "checkpoint": self.last.map(|l| serde_json::json!({
                "size": l.size,
                "time": l.time,
                "verified_at": l.verified_at,
                "age_secs": l.age_secs(now),
            })),
        })
    }
}

/// Says how current the archive is: on stderr, every channel's line for a
/// person, only the warnings under `--json` (stdout stays one JSON value).
pub(crate) fn tell(fresh: &[Freshness], json: bool, now: u64) {
    for f in fresh {
        if !json || matches!(f.relay, Some(Some(_))) {
            eprintln!("{}", f.line(now));
        }
        if f.alarms > 0 && f.relay.is_some() {
            eprintln!(
                "{}",
                ta(
                    "cli-fresh-alarms",
                    &[
                        ("channel", f.channel.to_hex()),
                        ("alarms", f.alarms.to_string())
                    ]
                )
            );
        }
    }
}

/// The `archive` field of `--json` output.
pub(crate) fn json(fresh: &[Freshness], now: u64) -> serde_json::Value {
    serde_json::Value::Array(fresh.iter().map(|f| f.json(now)).collect())
}

/// `hotline alarms`: the alarms on record, from the archive alone (the relay
/// is never asked), with how current the archive is.
pub fn run_alarms(cli: &Cli, json: bool) -> anyhow::Result<Outcome> {
    let p = Profile::open(&cli.profile_dir()?)?;
    let a = Archive::open(p.dir())?;
    let now = now();
    let fresh = a
        .channels()?
        .into_iter()
        .map(|rec| Freshness::of(&a, rec.id, None))
        .collect::<anyhow::Result<Vec<_>>>()?;
    tell(&fresh, json, now);
    if !json {
        return crate::cmd_channel::run_alarms(cli, false);
    }
    let alarms = a.alarms()?;
    crate::out!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "archive": self::json(&fresh, now),
            "alarms": alarms,
        }))?
    );
    Ok(if alarms.is_empty() {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_would_say_them() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(60), "1 min");
        assert_eq!(duration(2 * 3_600 + 14 * 60 + 5), "2 h 14 min");
        assert_eq!(duration(3 * 86_400 + 4 * 3_600 + 59), "3 d 4 h");
    }

    #[test]
    fn the_line_says_unreachable_and_how_old() {
        let f = Freshness {
            channel: ChannelId::from_hex("00112233445566778899aabbccddeeff").unwrap(),
            relay: Some(Some(
                "cannot reach the relay at http://127.0.0.1:9/: refused".into(),
            )),
            last: Some(LastVerified {
                size: 7,
                time: Some(1_764_611_280),
                verified_at: 1_000,
            }),
            alarms: 0,
        };
        let l = f.line(1_000 + 2 * 3_600 + 14 * 60);
        assert!(
            l.starts_with(
                "warning: channel 00112233445566778899aabbccddeeff: relay unreachable (cannot reach"
            ),
            "{l}"
        );
        assert!(
            l.ends_with("showing the archive as of the checkpoint verified 2 h 14 min ago (size 7, 2025-12-01T17:48:00Z)"),
            "{l}"
        );
        let v = f.json(1_060);
        assert_eq!(v["relay_reached"], false);
        assert_eq!(v["checkpoint"]["age_secs"], 60);
        assert_eq!(v["checkpoint"]["size"], 7);
    }
}
