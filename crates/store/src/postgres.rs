//! The PostgreSQL backend: the production store, shared by several relay
//! processes. Each batch is one transaction; the size check takes a row lock
//! (`SELECT … FOR UPDATE`), so concurrent appenders can never fork a log.
//! Durability follows the server's `synchronous_commit` (on by default).

use std::sync::{Mutex, MutexGuard};

use postgres::{Client, NoTls};

use crate::{AppendBatch, Hash, LogStore, StoreError, hash_from, to_i64};

fn be(e: postgres::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hotline_logs (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    size BIGINT NOT NULL,
    checkpoint_size BIGINT,
    checkpoint BYTEA
);
CREATE TABLE IF NOT EXISTS hotline_entries (
    log BIGINT NOT NULL REFERENCES hotline_logs (id),
    idx BIGINT NOT NULL,
    leaf BYTEA NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (log, idx)
);
DROP INDEX IF EXISTS hotline_entries_by_leaf;
CREATE TABLE IF NOT EXISTS hotline_hashes (
    log BIGINT NOT NULL REFERENCES hotline_logs (id),
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (log, idx)
);
";

/// Logs in a PostgreSQL database (tables prefixed `hotline_`).
pub struct PgStore {
    conns: Vec<Mutex<Client>>,
    /// A connection of its own for session advisory locks (the sequencer
    /// lock, `relaydata.rs`): they are released when it closes, so when
    /// the process dies.
    pub(crate) locks: Mutex<Client>,
}

impl PgStore {
    /// Connects to `url` (e.g. `postgres://user@host/db`) and creates the tables if needed.
    /// Must not be called from inside an async runtime's worker thread.
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let mut first = Client::connect(url, NoTls).map_err(be)?;
        // Concurrent first starts may race on CREATE; an advisory lock serialises them.
        first
            .batch_execute(&format!(
                "SELECT pg_advisory_lock(7418); {SCHEMA} {} SELECT pg_advisory_unlock(7418);",
                crate::relaydata::PG_SCHEMA
            ))
            .map_err(be)?;
        let mut conns = vec![Mutex::new(first)];
        for _ in 0..3 {
            conns.push(Mutex::new(Client::connect(url, NoTls).map_err(be)?));
        }
        let locks = Mutex::new(Client::connect(url, NoTls).map_err(be)?);
        Ok(PgStore { conns, locks })
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Client> {
        for c in &self.conns {
            if let Ok(g) = c.try_lock() {
                return g;
            }
        }
        // A poisoned lock means a panic mid-call; the server aborts any open transaction.
        self.conns[0].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops every Hotline table (tests only).
    pub fn danger_drop_all(&self) -> Result<(), StoreError> {
        self.conn()
            .batch_execute(
                "DROP TABLE IF EXISTS hotline_hashes, hotline_entries, hotline_logs, \
                 hotline_blobs, hotline_bodies, hotline_checkpoints, hotline_cosignatures CASCADE",
            )
            .map_err(be)
    }
}

fn log_id(
    c: &mut impl postgres::GenericClient,
    log: &str,
    lock: bool,
) -> Result<(i64, u64), StoreError> {
    let q = if lock {
        "SELECT id, size FROM hotline_logs WHERE name = $1 FOR UPDATE"
    } else {
        "SELECT id, size FROM hotline_logs WHERE name = $1"
    };
    let row = c.query_opt(q, &[&log]).map_err(be)?;
    row.map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1) as u64))
        .ok_or_else(|| StoreError::NoSuchLog(log.into()))
}

/// The rows of one append inside the caller's transaction: the size check
/// under a row lock, entries, hashes, new size.
pub(crate) fn append_in(
    tx: &mut postgres::Transaction<'_>,
    log: &str,
    batch: &AppendBatch<'_>,
) -> Result<(), StoreError> {
    let (id, actual) = log_id(tx, log, true)?;
    if actual != batch.old_size {
        return Err(StoreError::Conflict {
            expected: batch.old_size,
            actual,
        });
    }
    let n = batch.entries.len();
    let idxs: Vec<i64> = (0..n as u64)
        .map(|i| to_i64(actual + i, "index"))
        .collect::<Result<_, _>>()?;
    let leaves: Vec<&[u8]> = batch.leaf_hashes.iter().map(|h| &h[..]).collect();
    let datas: Vec<&[u8]> = batch.entries.iter().map(|e| &e[..]).collect();
    tx.execute(
        "INSERT INTO hotline_entries (log, idx, leaf, data)
         SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[])",
        &[&id, &idxs, &leaves, &datas],
    )
    .map_err(be)?;
    let hidx: Vec<i64> = batch
        .hashes
        .iter()
        .map(|(i, _)| to_i64(*i, "stored index"))
        .collect::<Result<_, _>>()?;
    let hvals: Vec<&[u8]> = batch.hashes.iter().map(|(_, h)| &h[..]).collect();
    tx.execute(
        "INSERT INTO hotline_hashes (log, idx, hash)
         SELECT $1, * FROM unnest($2::bigint[], $3::bytea[])
         ON CONFLICT (log, idx) DO UPDATE SET hash = EXCLUDED.hash",
        &[&id, &hidx, &hvals],
    )
    .map_err(be)?;
    tx.execute(
        "UPDATE hotline_logs SET size = $1 WHERE id = $2",
        &[&to_i64(actual + n as u64, "size")?, &id],
    )
    .map_err(be)?;
    Ok(())
}

impl LogStore for PgStore {
    fn create(&self, log: &str) -> Result<(), StoreError> {
        let n = self
            .conn()
            .execute(
                "INSERT INTO hotline_logs (name, size) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING",
                &[&log],
            )
            .map_err(be)?;
        if n == 0 {
            return Err(StoreError::LogExists(log.into()));
        }
        Ok(())
    }

    fn logs(&self) -> Result<Vec<String>, StoreError> {
        let rows = self
            .conn()
            .query("SELECT name FROM hotline_logs ORDER BY name", &[])
            .map_err(be)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn size(&self, log: &str) -> Result<u64, StoreError> {
        Ok(log_id(&mut *self.conn(), log, false)?.1)
    }

    fn read_hashes(&self, log: &str, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let mut c = self.conn();
        let (id, _) = log_id(&mut *c, log, false)?;
        let idx: Vec<i64> = indexes
            .iter()
            .map(|&i| to_i64(i, "index"))
            .collect::<Result<_, _>>()?;
        let rows = c
            .query(
                "SELECT idx, hash FROM hotline_hashes WHERE log = $1 AND idx = ANY($2)",
                &[&id, &idx],
            )
            .map_err(be)?;
        let found: std::collections::HashMap<i64, Vec<u8>> = rows
            .iter()
            .map(|r| (r.get::<_, i64>(0), r.get::<_, Vec<u8>>(1)))
            .collect();
        idx.iter()
            .map(|i| {
                hash_from(
                    found
                        .get(i)
                        .ok_or_else(|| StoreError::Missing(format!("stored hash {i} of {log}")))?,
                )
            })
            .collect()
    }

    fn read_entries(&self, log: &str, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut c = self.conn();
        let (id, size) = log_id(&mut *c, log, false)?;
        let end = end.min(size);
        if start >= end {
            return Ok(Vec::new());
        }
        let rows = c
            .query(
                "SELECT data FROM hotline_entries WHERE log = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
                &[&id, &to_i64(start, "start")?, &to_i64(end, "end")?],
            )
            .map_err(be)?;
        if rows.len() as u64 != end - start {
            return Err(StoreError::Missing(format!(
                "entries {start}..{end} of {log}"
            )));
        }
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn append(&self, log: &str, batch: &AppendBatch<'_>) -> Result<(), StoreError> {
        batch.check()?;
        let mut c = self.conn();
        let mut tx = c.transaction().map_err(be)?;
        append_in(&mut tx, log, batch)?;
        tx.commit().map_err(be)
    }

    fn put_checkpoint(&self, log: &str, size: u64, note: &[u8]) -> Result<(), StoreError> {
        let mut c = self.conn();
        let n = c
            .execute(
                "UPDATE hotline_logs SET checkpoint_size = $1, checkpoint = $2
                 WHERE name = $3 AND (checkpoint_size IS NULL OR checkpoint_size <= $1)",
                &[&to_i64(size, "size")?, &note, &log],
            )
            .map_err(be)?;
        if n == 0 {
            log_id(&mut *c, log, false)?;
        }
        Ok(())
    }

    fn checkpoint(&self, log: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let row = self
            .conn()
            .query_opt(
                "SELECT checkpoint_size, checkpoint FROM hotline_logs WHERE name = $1",
                &[&log],
            )
            .map_err(be)?
            .ok_or_else(|| StoreError::NoSuchLog(log.into()))?;
        let s: Option<i64> = row.get(0);
        let b: Option<Vec<u8>> = row.get(1);
        Ok(s.zip(b).map(|(s, b)| (s as u64, b)))
    }
}
