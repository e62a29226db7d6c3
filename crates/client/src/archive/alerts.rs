//! The alert queue (`crate::alerts`, `docs/alerts.md`): every alert raised,
//! its delivery to each configured target, and every attempt at it.
//!
//! An alert is raised once per key (`message:CHANNEL:INDEX`,
//! `deadline:CHANNEL:CASE:KIND:DUE`, `alarm:ID`): raising it again is a
//! no-op, so a restart, two processes (`hotline watch` beside `hotline ui`)
//! or a second look at the same messages never alert twice. Its deliveries
//! are created with it, in one transaction, one per target configured then;
//! the worker takes those due, sends them without holding the archive, and
//! records the outcome of each attempt. Nothing is deleted.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Archive, ArchiveError};

pub(super) const SCHEMA: &str = "
-- Alerts raised: the payload is the JSON every target is sent.
CREATE TABLE IF NOT EXISTS client_alerts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    payload TEXT NOT NULL
);
-- One row per alert and target: state pending, delivered or failed (gave
-- up); next_at: when the next attempt is due (POSIX seconds).
CREATE TABLE IF NOT EXISTS client_alert_deliveries (
    alert INTEGER NOT NULL REFERENCES client_alerts (id),
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_error TEXT,
    delivered_at INTEGER,
    PRIMARY KEY (alert, target)
);
CREATE INDEX IF NOT EXISTS client_alert_deliveries_due ON client_alert_deliveries (state, next_at);
-- Every attempt, as it ended.
CREATE TABLE IF NOT EXISTS client_alert_attempts (
    alert INTEGER NOT NULL,
    target TEXT NOT NULL,
    at INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL
);
-- Where the raising of alerts stands: `since` (when alerts were first
-- enabled for this archive), `alarms` (the last alarm id looked at),
-- `messages:CHANNEL` (the first log index not looked at yet).
CREATE TABLE IF NOT EXISTS client_alert_marks (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
";

/// A delivery of an alert to one target, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The alert's number in this archive.
    pub alert: i64,
    /// The alert's key (`message:…`, `deadline:…`, `alarm:…`).
    pub key: String,
    /// The target, as `crate::alerts::Target::name` gives it.
    pub target: String,
    /// `pending`, `delivered` or `failed` (given up).
    pub state: String,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due (POSIX seconds), while pending.
    pub next_at: u64,
    /// What the last failed attempt said.
    pub last_error: Option<String>,
    /// When it was delivered (POSIX seconds).
    pub delivered_at: Option<u64>,
    /// When the alert was raised (POSIX seconds).
    pub created_at: u64,
    /// The alert, JSON.
    pub payload: String,
}

fn delivery(r: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    let u = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
    Ok(Delivery {
        alert: r.get(0)?,
        key: r.get(1)?,
        target: r.get(2)?,
        state: r.get(3)?,
        attempts: u(4)? as u32,
        next_at: u(5)?,
        last_error: r.get(6)?,
        delivered_at: r.get::<_, Option<i64>>(7)?.map(|t| t.max(0) as u64),
        created_at: u(8)?,
        payload: r.get(9)?,
    })
}

const DELIVERY: &str = "SELECT d.alert, a.key, d.target, d.state, d.attempts, d.next_at,
    d.last_error, d.delivered_at, a.created_at, a.payload
    FROM client_alert_deliveries d JOIN client_alerts a ON a.id = d.alert";

impl Archive {
    /// A mark of the alert raiser (`None` if never set).
    pub fn alert_mark(&self, name: &str) -> Result<Option<u64>, ArchiveError> {
        self.db()
            .query_row(
                "SELECT value FROM client_alert_marks WHERE name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|v| v.map(|v| v.max(0) as u64))
            .map_err(|e| self.err(e))
    }

    /// Sets a mark of the alert raiser.
    pub fn set_alert_mark(&self, name: &str, value: u64) -> Result<(), ArchiveError> {
        self.db()
            .execute(
                "INSERT INTO client_alert_marks (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value as i64],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Raises an alert with a delivery to each of `targets`, due at once, in
    /// one transaction; `None` if an alert with this key was raised before
    /// (nothing changes then).
    pub fn raise_alert(
        &self,
        key: &str,
        channel: &str,
        payload: &str,
        targets: &[String],
        now: u64,
    ) -> Result<Option<i64>, ArchiveError> {
        let mut db = self.db();
        let go = |db: &mut rusqlite::Connection| -> rusqlite::Result<Option<i64>> {
            let tx = db.transaction()?;
            let n = tx.execute(
                "INSERT INTO client_alerts (key, channel, created_at, payload) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO NOTHING",
                params![key, channel, now as i64, payload],
            )?;
            if n == 0 {
                return Ok(None);
            }
            let id = tx.last_insert_rowid();
            for t in targets {
                tx.execute(
                    "INSERT INTO client_alert_deliveries (alert, target, state, next_at)
                     VALUES (?1, ?2, 'pending', ?3)",
                    params![id, t, now as i64],
                )?;
            }
            tx.commit()?;
            Ok(Some(id))
        };
        go(&mut db).map_err(|e| self.err(e))
    }

    /// The pending deliveries due at `now`, oldest first, at most `limit`;
    /// only those to `target` if given.
    pub fn due_deliveries(
        &self,
        now: u64,
        limit: usize,
        target: Option<&str>,
    ) -> Result<Vec<Delivery>, ArchiveError> {
        let db = self.db();
        let mut st = db
            .prepare_cached(&format!(
                "{DELIVERY} WHERE d.state = 'pending' AND d.next_at <= ?1
                 AND (?3 IS NULL OR d.target = ?3)
                 ORDER BY d.next_at, d.alert LIMIT ?2"
            ))
            .map_err(|e| self.err(e))?;
        st.query_map(params![now as i64, limit as i64, target], delivery)
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }

    /// Claims a due delivery for one attempt: moves its next attempt to
    /// `lease_until`, only if it is still pending and due at `now`. Two
    /// processes on one archive (`hotline watch` beside `hotline ui`) never
    /// both send it; a process that dies mid-attempt leaves it due again at
    /// `lease_until`. Whether this caller got it.
    pub fn claim_delivery(
        &self,
        alert: i64,
        target: &str,
        now: u64,
        lease_until: u64,
    ) -> Result<bool, ArchiveError> {
        self.db()
            .execute(
                "UPDATE client_alert_deliveries SET next_at = ?4
                 WHERE alert = ?1 AND target = ?2 AND state = 'pending' AND next_at <= ?3",
                params![alert, target, now as i64, lease_until as i64],
            )
            .map(|n| n == 1)
            .map_err(|e| self.err(e))
    }

    /// The number of the last alert raised (0 if none).
    pub fn last_alert(&self) -> Result<i64, ArchiveError> {
        self.db()
            .query_row("SELECT COALESCE(MAX(id), 0) FROM client_alerts", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))
    }

    /// Alerts raised after `after` (their number), oldest first, at most
    /// `limit`: (number, key, payload).
    pub fn alerts_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, String)>, ArchiveError> {
        let db = self.db();
        let mut st = db
            .prepare_cached(
                "SELECT id, key, payload FROM client_alerts WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![after, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }

    /// Every delivery, newest alert first, at most `limit`.
    pub fn deliveries(&self, limit: usize) -> Result<Vec<Delivery>, ArchiveError> {
        let db = self.db();
        let mut st = db
            .prepare_cached(&format!(
                "{DELIVERY} ORDER BY d.alert DESC, d.target LIMIT ?1"
            ))
            .map_err(|e| self.err(e))?;
        st.query_map(params![limit as i64], delivery)
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }

    /// Records an attempt at a delivery: delivered (`Ok`), or failed with
    /// the next attempt at `retry_at` (`Some`) or given up (`None`).
    pub fn record_attempt(
        &self,
        alert: i64,
        target: &str,
        now: u64,
        outcome: Result<(), (&str, Option<u64>)>,
    ) -> Result<(), ArchiveError> {
        let mut db = self.db();
        let go = |db: &mut rusqlite::Connection| -> rusqlite::Result<()> {
            let tx = db.transaction()?;
            let (ok, detail) = match outcome {
                Ok(()) => (true, "delivered"),
                Err((e, _)) => (false, e),
            };
            tx.execute(
                "INSERT INTO client_alert_attempts (alert, target, at, ok, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![alert, target, now as i64, ok, detail],
            )?;
            match outcome {
                Ok(()) => tx.execute(
                    "UPDATE client_alert_deliveries SET state = 'delivered', attempts = attempts + 1,
                     delivered_at = ?3 WHERE alert = ?1 AND target = ?2",
                    params![alert, target, now as i64],
                )?,
                Err((e, Some(at))) => tx.execute(
                    "UPDATE client_alert_deliveries SET attempts = attempts + 1, last_error = ?3,
                     next_at = ?4 WHERE alert = ?1 AND target = ?2",
                    params![alert, target, e, at as i64],
                )?,
                Err((e, None)) => tx.execute(
                    "UPDATE client_alert_deliveries SET state = 'failed', attempts = attempts + 1,
                     last_error = ?3 WHERE alert = ?1 AND target = ?2",
                    params![alert, target, e],
                )?,
            };
            tx.commit()
        };
        go(&mut db).map_err(|e| self.err(e))
    }

    /// Every attempt at one delivery, oldest first: (time, delivered, what it said).
    pub fn attempts(
        &self,
        alert: i64,
        target: &str,
    ) -> Result<Vec<(u64, bool, String)>, ArchiveError> {
        let db = self.db();
        let mut st = db
            .prepare_cached(
                "SELECT at, ok, detail FROM client_alert_attempts WHERE alert = ?1 AND target = ?2 ORDER BY rowid",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![alert, target], |r| {
            Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?, r.get(2)?))
        })
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }
}

impl Archive {
    /// The stored messages' headers (JSON) in the order they were stored,
    /// after row `after`: (row, channel hex, log index, header), at most
    /// `limit`. A message opened late (its envelope fetched by a later
    /// sync) comes after those stored before it, whatever its index.
    pub fn messages_stored_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, String, u64, String)>, ArchiveError> {
        let db = self.db();
        let mut st = db
            .prepare_cached(
                "SELECT rowid, channel, idx, header FROM client_messages WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![after as i64, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?.max(0) as u64,
                r.get(1)?,
                r.get::<_, i64>(2)?.max(0) as u64,
                r.get(3)?,
            ))
        })
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }

    /// The largest row of the stored messages and the largest alarm id (0 if none).
    pub fn alert_frontier(&self) -> Result<(u64, u64), ArchiveError> {
        self.db()
            .query_row(
                "SELECT (SELECT COALESCE(MAX(rowid), 0) FROM client_messages),
                        (SELECT COALESCE(MAX(id), 0) FROM client_alarms)",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?.max(0) as u64,
                        r.get::<_, i64>(1)?.max(0) as u64,
                    ))
                },
            )
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_is_raised_once_and_every_attempt_is_recorded() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let t = vec![
            "webhook:https://a.example/".to_string(),
            "email:x".to_string(),
        ];
        let id = a.raise_alert("message:c:1", "c", "{}", &t, 100).unwrap();
        assert!(id.is_some());
        assert_eq!(
            a.raise_alert("message:c:1", "c", "{}", &t, 200).unwrap(),
            None
        );
        assert_eq!(a.due_deliveries(99, 10, None).unwrap().len(), 0);
        let due = a.due_deliveries(100, 10, None).unwrap();
        assert_eq!(due.len(), 2);
        let id = id.unwrap();
        a.record_attempt(id, &t[0], 101, Err(("refused", Some(110))))
            .unwrap();
        a.record_attempt(id, &t[1], 101, Ok(())).unwrap();
        assert!(a.due_deliveries(109, 10, None).unwrap().is_empty());
        let due = a.due_deliveries(110, 10, Some(&t[0])).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].attempts, 1);
        assert_eq!(due[0].last_error.as_deref(), Some("refused"));
        a.record_attempt(id, &t[0], 111, Err(("still refused", None)))
            .unwrap();
        assert!(
            a.due_deliveries(u64::MAX >> 2, 10, None)
                .unwrap()
                .is_empty()
        );
        let all = a.deliveries(10).unwrap();
        let states: Vec<_> = all
            .iter()
            .map(|d| (d.target.as_str(), d.state.as_str()))
            .collect();
        assert_eq!(
            states,
            [
                ("email:x", "delivered"),
                ("webhook:https://a.example/", "failed")
            ]
        );
        assert_eq!(
            a.attempts(id, &t[0]).unwrap(),
            [
                (101, false, "refused".into()),
                (111, false, "still refused".into())
            ]
        );
    }
}
