//! What a channel's health is read from, besides the checkpoints: the
//! cosignatures on the checkpoints this archive verified (the charter's
//! witnesses' and the parties' receipts, `crate::receipts`), and which alarms
//! the person at this machine acknowledged (`docs/ui.md`, "Channel health").
//!
//! Both tables are created when an archive is opened (`CREATE TABLE IF NOT
//! EXISTS`, as every table of the archive): an archive of an earlier version
//! gains them empty, so every alarm it holds shows as not acknowledged and no
//! cosignature is known until the next refresh. Acknowledging never deletes
//! or changes an alarm: it stays on record, with its evidence.

use hotline_core::ids::ChannelId;
use hotline_core::keys::KeyId;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Archive, ArchiveError};

pub(super) const SCHEMA: &str = "
-- Cosignatures on checkpoints this archive verified, each verified over the
-- very checkpoint text it verified: a witness's (party NULL, signer its
-- name in the charter's key) or a member's receipt (party its party's key
-- id, signer the member's signing key id). time: the cosignature's own
-- timestamp (POSIX seconds, the cosigner's clock).
CREATE TABLE IF NOT EXISTS client_cosignatures (
    channel TEXT NOT NULL,
    size INTEGER NOT NULL,
    signer TEXT NOT NULL,
    party TEXT,
    time INTEGER NOT NULL,
    PRIMARY KEY (channel, size, signer)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS client_cosignatures_by_party ON client_cosignatures (channel, party, size);
-- Alarms acknowledged at this machine (the UI's banner is gone): one row per
-- alarm, the first acknowledgement's time (RFC 3339). The alarm itself stays.
CREATE TABLE IF NOT EXISTS client_alarm_acks (
    alarm INTEGER PRIMARY KEY REFERENCES client_alarms (id),
    acked_at TEXT NOT NULL
);
";

/// A cosignature on a checkpoint this archive verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cosignature {
    /// The checkpoint's size.
    pub size: u64,
    /// The cosigner: a witness's key name, or a member's signing key id (hex).
    pub signer: String,
    /// The member's party, for a receipt; `None` for a witness.
    pub party: Option<KeyId>,
    /// Its timestamp (POSIX seconds, by the cosigner's clock).
    pub time: u64,
}

fn cosignature(r: &rusqlite::Row<'_>) -> rusqlite::Result<Cosignature> {
    let party: Option<String> = r.get(2)?;
    Ok(Cosignature {
        size: r.get::<_, i64>(0)?.max(0) as u64,
        signer: r.get(1)?,
        party: party.and_then(|p| KeyId::from_hex(&p).ok()),
        time: r.get::<_, i64>(3)?.max(0) as u64,
    })
}

impl Archive {
    /// Records verified cosignatures; returns how many were new. The caller
    /// verified each over the text of the checkpoint this archive holds at
    /// its size ([`crate::receipts::refresh`]).
    pub fn record_cosignatures(
        &self,
        channel: &ChannelId,
        rows: &[Cosignature],
    ) -> Result<usize, ArchiveError> {
        let ch = channel.to_hex();
        let mut db = self.db();
        let run = |db: &mut rusqlite::Connection| -> rusqlite::Result<usize> {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut n = 0;
            {
                let mut st = tx.prepare_cached(
                    "INSERT OR IGNORE INTO client_cosignatures (channel, size, signer, party, time)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for c in rows {
                    n += st.execute(params![
                        ch,
                        c.size.min(i64::MAX as u64) as i64,
                        c.signer,
                        c.party.map(|p| p.to_hex()),
                        c.time.min(i64::MAX as u64) as i64
                    ])?;
                }
            }
            tx.commit()?;
            Ok(n)
        };
        run(&mut db).map_err(|e| self.err(e))
    }

    /// The verified cosignatures on the checkpoint of `size`, witnesses
    /// first, then receipts, each by signer.
    pub fn cosignatures(
        &self,
        channel: &ChannelId,
        size: u64,
    ) -> Result<Vec<Cosignature>, ArchiveError> {
        let db = self.db();
        let mut st = db
            .prepare_cached(
                "SELECT size, signer, party, time FROM client_cosignatures
                 WHERE channel = ?1 AND size = ?2 ORDER BY party IS NOT NULL, signer",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(
                params![channel.to_hex(), size.min(i64::MAX as u64) as i64],
                cosignature,
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Each party's latest receipt known to this archive: the cosignature by
    /// one of its members of the largest checkpoint any of them cosigned
    /// (one per party, by party). A message at log index `i` is covered by a
    /// party's receipt when the receipt's `size` is greater than `i`: that
    /// party's system verified a log holding it.
    pub fn receipts(&self, channel: &ChannelId) -> Result<Vec<Cosignature>, ArchiveError> {
        let db = self.db();
        // SQLite takes the bare columns from the row holding MAX(size).
        let mut st = db
            .prepare_cached(
                "SELECT MAX(size), signer, party, time FROM client_cosignatures
                 WHERE channel = ?1 AND party IS NOT NULL GROUP BY party ORDER BY party",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([channel.to_hex()], cosignature)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The size of the `n`-th newest checkpoint this archive verified of a
    /// channel (0 the newest), if it verified so many.
    pub fn nth_newest_checkpoint(
        &self,
        channel: &ChannelId,
        n: u64,
    ) -> Result<Option<u64>, ArchiveError> {
        self.db()
            .query_row(
                "SELECT size FROM client_checkpoints WHERE channel = ?1
                 ORDER BY size DESC LIMIT 1 OFFSET ?2",
                params![channel.to_hex(), n.min(i64::MAX as u64) as i64],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|s| s.map(|s| s.max(0) as u64))
            .map_err(|e| self.err(e))
    }

    /// Acknowledges alarm `id` at this machine (its banner goes); returns
    /// when it was acknowledged (the first time, if it already was), or
    /// `None` if there is no such alarm. The alarm is kept as it was.
    pub fn acknowledge_alarm(&self, id: i64) -> Result<Option<String>, ArchiveError> {
        let mut db = self.db();
        let run = |db: &mut rusqlite::Connection| -> rusqlite::Result<Option<String>> {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let exists = tx
                .query_row(
                    "SELECT 1 FROM client_alarms WHERE id = ?1",
                    [id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !exists {
                return Ok(None);
            }
            tx.execute(
                "INSERT OR IGNORE INTO client_alarm_acks (alarm, acked_at) VALUES (?1, ?2)",
                params![id, super::now()],
            )?;
            let at: String = tx.query_row(
                "SELECT acked_at FROM client_alarm_acks WHERE alarm = ?1",
                [id],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok(Some(at))
        };
        run(&mut db).map_err(|e| self.err(e))
    }

    /// The alarms acknowledged at this machine: alarm id and when (RFC 3339).
    pub fn alarm_acks(&self) -> Result<std::collections::BTreeMap<i64, String>, ArchiveError> {
        let db = self.db();
        let mut st = db
            .prepare_cached("SELECT alarm, acked_at FROM client_alarm_acks")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The alarms not acknowledged at this machine, oldest first: what the
    /// UI shows as a banner on every page.
    pub fn unacknowledged_alarms(&self) -> Result<Vec<super::Alarm>, ArchiveError> {
        let acks = self.alarm_acks()?;
        Ok(self
            .alarms()?
            .into_iter()
            .filter(|a| !acks.contains_key(&a.id))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_acknowledged_alarm_stays_and_a_new_one_is_not_acknowledged() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let ch = ChannelId([3; 16]);
        let first = a.raise(&ch, "fork", "two roots", &[b"note"]).unwrap();
        assert_eq!(a.unacknowledged_alarms().unwrap(), vec![first.clone()]);
        assert_eq!(a.acknowledge_alarm(first.id + 100).unwrap(), None);
        let at = a.acknowledge_alarm(first.id).unwrap().unwrap();
        // Idempotent: the first time is kept.
        assert_eq!(a.acknowledge_alarm(first.id).unwrap(), Some(at.clone()));
        assert!(a.unacknowledged_alarms().unwrap().is_empty());
        // The alarm is still on record, with its evidence.
        assert_eq!(a.alarms().unwrap(), vec![first.clone()]);
        drop(a);
        // Persisted.
        let a = Archive::open(d.path()).unwrap();
        assert_eq!(a.alarm_acks().unwrap().get(&first.id), Some(&at));
        let second = a.raise(&ch, "fork", "two roots", &[b"note"]).unwrap();
        assert_eq!(a.unacknowledged_alarms().unwrap(), vec![second]);
    }

    #[test]
    fn an_archive_of_an_earlier_version_gains_the_tables_with_nothing_acknowledged() {
        let d = tempfile::tempdir().unwrap();
        {
            // The alarm table as earlier versions wrote it, and no others.
            let c = rusqlite::Connection::open(d.path().join(super::super::FILE)).unwrap();
            c.execute_batch(
                "CREATE TABLE client_alarms (id INTEGER PRIMARY KEY, channel TEXT NOT NULL,
                   kind TEXT NOT NULL, detail TEXT NOT NULL, evidence TEXT NOT NULL,
                   raised_at TEXT NOT NULL);
                 INSERT INTO client_alarms VALUES (7, 'aa', 'fork', 'old', '[]', '2026-01-01T00:00:00Z');",
            )
            .unwrap();
        }
        let a = Archive::open(d.path()).unwrap();
        let old = a.unacknowledged_alarms().unwrap();
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].id, 7);
        assert!(a.acknowledge_alarm(7).unwrap().is_some());
        assert!(a.unacknowledged_alarms().unwrap().is_empty());
        assert!(a.receipts(&ChannelId([0; 16])).unwrap().is_empty());
    }

    #[test]
    fn receipts_are_each_partys_largest() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let ch = ChannelId([3; 16]);
        let (n, s) = (KeyId([1; 32]), KeyId([2; 32]));
        let row = |size, signer: &str, party, time| Cosignature {
            size,
            signer: signer.into(),
            party,
            time,
        };
        let rows = [
            row(5, "n1", Some(n), 100),
            row(9, "n2", Some(n), 200),
            row(7, "s1", Some(s), 150),
            row(9, "witness.example/w", None, 190),
        ];
        assert_eq!(a.record_cosignatures(&ch, &rows).unwrap(), 4);
        assert_eq!(a.record_cosignatures(&ch, &rows).unwrap(), 0, "idempotent");
        let mut r = a.receipts(&ch).unwrap();
        r.sort_by_key(|c| c.party);
        assert_eq!(r, vec![rows[1].clone(), rows[2].clone()]);
        assert_eq!(
            a.cosignatures(&ch, 9).unwrap(),
            vec![rows[3].clone(), rows[1].clone()]
        );
        assert!(a.receipts(&ChannelId([4; 16])).unwrap().is_empty());
    }
}
