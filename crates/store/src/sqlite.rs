//! The SQLite backend: one file, WAL journal, `synchronous=FULL` so that a
//! committed batch survives power loss, one transaction per batch.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::{AppendBatch, Hash, LogStore, StoreError, hash_from, to_i64};

fn be(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    checkpoint_size INTEGER,
    checkpoint BLOB
);
CREATE TABLE IF NOT EXISTS entries (
    log INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    leaf BLOB NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (log, idx)
) WITHOUT ROWID;
-- Re-posts are found by the relay's in-memory leaf index, not a random-
-- write SQL index (it cost 85% of append time); drop one made earlier.
DROP INDEX IF EXISTS entries_by_leaf;
CREATE TABLE IF NOT EXISTS hashes (
    log INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (log, idx)
) WITHOUT ROWID;
";

/// Logs in one SQLite file.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
}

fn open_conn(path: &Path) -> Result<Connection, StoreError> {
    let c = Connection::open(path).map_err(be)?;
    c.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(be)?;
    c.pragma_update(None, "journal_mode", "WAL").map_err(be)?;
    c.pragma_update(None, "synchronous", "FULL").map_err(be)?;
    c.pragma_update(None, "foreign_keys", "ON").map_err(be)?;
    Ok(c)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let writer = open_conn(path)?;
        writer.execute_batch(SCHEMA).map_err(be)?;
        writer
            .execute_batch(crate::relaydata::SQLITE_SCHEMA)
            .map_err(be)?;
        let readers = (0..4)
            .map(|_| open_conn(path).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            readers,
        })
    }

    pub(crate) fn writer(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock means a panic while holding it; SQLite rolled back any open transaction.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn reader(&self) -> MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(g) = r.try_lock() {
                return g;
            }
        }
        self.readers[0].lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn log_id(c: &Connection, log: &str) -> Result<(i64, u64), StoreError> {
    c.query_row("SELECT id, size FROM logs WHERE name = ?1", [log], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    })
    .optional()
    .map_err(be)?
    .map(|(id, size)| (id, size as u64))
    .ok_or_else(|| StoreError::NoSuchLog(log.into()))
}

/// The rows of one append, inside the caller's transaction (which checks
/// nothing else and commits): the size check, entries, hashes, new size.
pub(crate) fn append_in(
    tx: &rusqlite::Transaction<'_>,
    log: &str,
    batch: &AppendBatch<'_>,
) -> Result<(), StoreError> {
    let (id, actual) = log_id(tx, log)?;
    if actual != batch.old_size {
        return Err(StoreError::Conflict {
            expected: batch.old_size,
            actual,
        });
    }
    {
        let mut ins = tx
            .prepare_cached("INSERT INTO entries (log, idx, leaf, data) VALUES (?1, ?2, ?3, ?4)")
            .map_err(be)?;
        for (i, (e, h)) in batch.entries.iter().zip(batch.leaf_hashes).enumerate() {
            let idx = to_i64(actual + i as u64, "index")?;
            ins.execute(params![id, idx, &h[..], e]).map_err(be)?;
        }
        let mut insh = tx
            .prepare_cached("INSERT OR REPLACE INTO hashes (log, idx, hash) VALUES (?1, ?2, ?3)")
            .map_err(be)?;
        for (i, h) in batch.hashes {
            insh.execute(params![id, to_i64(*i, "stored index")?, &h[..]])
                .map_err(be)?;
        }
    }
    let new_size = to_i64(actual + batch.entries.len() as u64, "size")?;
    tx.execute(
        "UPDATE logs SET size = ?1 WHERE id = ?2",
        params![new_size, id],
    )
    .map_err(be)?;
    Ok(())
}

impl SqliteStore {
    /// Appends `batch` to `log` as [`LogStore::append`] does and, inside the
    /// same transaction, runs `extra` (the caller's own rows beside the
    /// entries: an archive's bookkeeping of what the batch still needs). Both
    /// commit together or not at all; `extra`'s error rolls the append back.
    /// `extra` MUST write through the transaction it is given, never through
    /// another connection to the same file (that would wait on this one).
    pub fn append_with_tx(
        &self,
        log: &str,
        batch: &AppendBatch<'_>,
        extra: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        batch.check()?;
        let mut c = self.writer();
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(be)?;
        append_in(&tx, log, batch)?;
        extra(&tx)?;
        tx.commit().map_err(be)
    }
}

impl LogStore for SqliteStore {
    fn create(&self, log: &str) -> Result<(), StoreError> {
        let c = self.writer();
        match c.execute("INSERT INTO logs (name, size) VALUES (?1, 0)", [log]) {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::LogExists(log.into()))
            }
            Err(e) => Err(be(e)),
        }
    }

    fn logs(&self) -> Result<Vec<String>, StoreError> {
        let c = self.reader();
        let mut st = c
            .prepare("SELECT name FROM logs ORDER BY name")
            .map_err(be)?;
        let rows = st.query_map([], |r| r.get(0)).map_err(be)?;
        rows.collect::<Result<_, _>>().map_err(be)
    }

    fn size(&self, log: &str) -> Result<u64, StoreError> {
        Ok(log_id(&self.reader(), log)?.1)
    }

    fn read_hashes(&self, log: &str, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let c = self.reader();
        let (id, _) = log_id(&c, log)?;
        let mut st = c
            .prepare_cached("SELECT hash FROM hashes WHERE log = ?1 AND idx = ?2")
            .map_err(be)?;
        indexes
            .iter()
            .map(|&i| {
                let h: Option<Vec<u8>> = st
                    .query_row(params![id, to_i64(i, "index")?], |r| r.get(0))
                    .optional()
                    .map_err(be)?;
                hash_from(
                    &h.ok_or_else(|| StoreError::Missing(format!("stored hash {i} of {log}")))?,
                )
            })
            .collect()
    }

    fn read_entries(&self, log: &str, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let c = self.reader();
        let (id, size) = log_id(&c, log)?;
        let end = end.min(size);
        if start >= end {
            return Ok(Vec::new());
        }
        let mut st = c
            .prepare_cached(
                "SELECT data FROM entries WHERE log = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx",
            )
            .map_err(be)?;
        let rows = st
            .query_map(
                params![id, to_i64(start, "start")?, to_i64(end, "end")?],
                |r| r.get(0),
            )
            .map_err(be)?;
        let v: Vec<Vec<u8>> = rows.collect::<Result<_, _>>().map_err(be)?;
        if v.len() as u64 != end - start {
            return Err(StoreError::Missing(format!(
                "entries {start}..{end} of {log}"
            )));
        }
        Ok(v)
    }

    fn append(&self, log: &str, batch: &AppendBatch<'_>) -> Result<(), StoreError> {
        batch.check()?;
        let mut c = self.writer();
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(be)?;
        append_in(&tx, log, batch)?;
        tx.commit().map_err(be)
    }

    fn put_checkpoint(&self, log: &str, size: u64, note: &[u8]) -> Result<(), StoreError> {
        let c = self.writer();
        let n = c
            .execute(
                "UPDATE logs SET checkpoint_size = ?1, checkpoint = ?2
                 WHERE name = ?3 AND (checkpoint_size IS NULL OR checkpoint_size <= ?1)",
                params![to_i64(size, "size")?, note, log],
            )
            .map_err(be)?;
        if n == 0 {
            log_id(&c, log)?;
        }
        Ok(())
    }

    fn checkpoint(&self, log: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let c = self.reader();
        let row: Option<(Option<i64>, Option<Vec<u8>>)> = c
            .query_row(
                "SELECT checkpoint_size, checkpoint FROM logs WHERE name = ?1",
                [log],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(be)?;
        match row {
            None => Err(StoreError::NoSuchLog(log.into())),
            Some((Some(s), Some(b))) => Ok(Some((s as u64, b))),
            Some(_) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch_of<'a>(
        old: u64,
        entries: &'a [Vec<u8>],
        leaves: &'a [Hash],
        hashes: &'a [(u64, Hash)],
    ) -> AppendBatch<'a> {
        AppendBatch {
            old_size: old,
            entries,
            leaf_hashes: leaves,
            hashes,
        }
    }

    #[test]
    fn the_callers_rows_commit_with_the_append_or_not_at_all() {
        let d = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&d.path().join("a.sqlite")).unwrap();
        s.create("log").unwrap();
        s.writer()
            .execute_batch("CREATE TABLE extra (v INTEGER NOT NULL)")
            .unwrap();
        let (entries, leaves, hashes) = (vec![b"e0".to_vec()], [[1; 32]], [(0, [1; 32])]);
        let b = batch_of(0, &entries, &leaves, &hashes);
        // The caller's statement fails: the entries are not appended either.
        let r = s.append_with_tx("log", &b, |tx| {
            tx.execute("INSERT INTO extra (v) VALUES (1)", [])
                .map_err(be)?;
            Err(StoreError::Invalid("the caller refuses".into()))
        });
        assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
        assert_eq!(s.size("log").unwrap(), 0);
        let count = |s: &SqliteStore| -> i64 {
            s.reader()
                .query_row("SELECT COUNT(*) FROM extra", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(count(&s), 0);
        // It succeeds: both are there.
        s.append_with_tx("log", &b, |tx| {
            tx.execute("INSERT INTO extra (v) VALUES (1)", [])
                .map_err(be)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(s.size("log").unwrap(), 1);
        assert_eq!(count(&s), 1);
        // A batch that conflicts runs nothing of the caller's.
        let r = s.append_with_tx("log", &b, |tx| {
            tx.execute("INSERT INTO extra (v) VALUES (2)", [])
                .map_err(be)?;
            Ok(())
        });
        assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
        assert_eq!(count(&s), 1);
    }
}
