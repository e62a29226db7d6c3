//! The PostgreSQL backend: the production store, shared by several relay
//! processes. Each batch is one statement, its own transaction; the size
//! check takes a row lock (`SELECT … FOR UPDATE`), so concurrent appenders
//! can never fork a log. Statements are prepared once per connection.
//! Durability follows the server's `synchronous_commit` (on by default).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};

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

/// Connections the store keeps for logs and side data (besides the lock
/// connection and the nonce connections).
const CONNECTIONS: usize = 8;
/// Connections for request nonces (`RelayData::record_nonce`), apart so
/// that a flood of requests never makes an append wait for a connection.
const NONCE_CONNECTIONS: usize = 4;

/// One connection and the statements prepared on it: every query by text
/// is prepared once per connection and then executed by name, one round
/// trip instead of two (parse, then bind and execute).
pub(crate) struct PgConn {
    pub(crate) client: Client,
    cache: HashMap<String, Statement>,
}

impl PgConn {
    fn new(client: Client) -> PgConn {
        PgConn {
            client,
            cache: HashMap::new(),
        }
    }

    /// The statement for `sql`, prepared on first use.
    pub(crate) fn stmt(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.cache.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.cache.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let st = self.stmt(sql)?;
        self.client.query(&st, params)
    }

    pub(crate) fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, postgres::Error> {
        let st = self.stmt(sql)?;
        self.client.query_one(&st, params)
    }

    pub(crate) fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, postgres::Error> {
        let st = self.stmt(sql)?;
        self.client.query_opt(&st, params)
    }

    pub(crate) fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let st = self.stmt(sql)?;
        self.client.execute(&st, params)
    }

    pub(crate) fn transaction(&mut self) -> Result<postgres::Transaction<'_>, postgres::Error> {
        self.client.transaction()
    }

    pub(crate) fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.client.batch_execute(sql)
    }
}

/// Logs in a PostgreSQL database (tables prefixed `hotline_`).
pub struct PgStore {
    conns: Vec<Mutex<PgConn>>,
    next: AtomicUsize,
    /// Sessions with `synchronous_commit = off` for the replay cache: a
    /// nonce is recorded without waiting for the disk (a database crash
    /// may forget the last fraction of a second of nonces, whose requests
    /// could then be replayed once within their signature's lifetime).
    nonces: Vec<Mutex<PgConn>>,
    /// A connection of its own for session advisory locks (the sequencer
    /// lock, `relaydata.rs`): they are released when it closes, so when
    /// the process dies.
    pub(crate) locks: Mutex<PgConn>,
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
        let mut conns = vec![Mutex::new(PgConn::new(first))];
        for _ in 1..CONNECTIONS {
            conns.push(Mutex::new(PgConn::new(
                Client::connect(url, NoTls).map_err(be)?,
            )));
        }
        let locks = Mutex::new(PgConn::new(Client::connect(url, NoTls).map_err(be)?));
        let mut nonces = Vec::with_capacity(NONCE_CONNECTIONS);
        for _ in 0..NONCE_CONNECTIONS {
            let mut c = Client::connect(url, NoTls).map_err(be)?;
            c.batch_execute("SET synchronous_commit TO off")
                .map_err(be)?;
            nonces.push(Mutex::new(PgConn::new(c)));
        }
        Ok(PgStore {
            conns,
            next: AtomicUsize::new(0),
            nonces,
            locks,
        })
    }

    /// A free connection, or (all busy) the next in turn: waiters are
    /// spread over the connections rather than queued on one.
    pub(crate) fn conn(&self) -> MutexGuard<'_, PgConn> {
        for c in &self.conns {
            if let Ok(g) = c.try_lock() {
                return g;
            }
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        // A poisoned lock means a panic mid-call; the server aborts any open transaction.
        self.conns[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection for the replay cache (see `nonces`).
    pub(crate) fn nonce_conn(&self) -> MutexGuard<'_, PgConn> {
        for c in &self.nonces {
            if let Ok(g) = c.try_lock() {
                return g;
            }
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.nonces.len();
        self.nonces[i].lock().unwrap_or_else(|p| p.into_inner())
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

/// The id and size of `log`, by a prepared statement.
fn log_id_cached(c: &mut PgConn, log: &str) -> Result<(i64, u64), StoreError> {
    let row = c
        .query_opt("SELECT id, size FROM hotline_logs WHERE name = $1", &[&log])
        .map_err(be)?;
    row.map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1) as u64))
        .ok_or_else(|| StoreError::NoSuchLog(log.into()))
}

/// One append as one statement (one round trip, committed on its own):
/// the size check under the log row's lock, the entries, the new hashes,
/// the envelope bodies and the new size. When the size is not the batch's
/// `old_size` nothing is written and the actual size is returned (NULL: no
/// such log).
const APPEND: &str = "
WITH l AS (
    SELECT id, size FROM hotline_logs WHERE name = $1 FOR UPDATE
), ok AS (
    SELECT id FROM l WHERE size = $2
), e AS (
    INSERT INTO hotline_entries (log, idx, leaf, data)
    SELECT ok.id, u.idx, u.leaf, u.data
    FROM ok, unnest($3::bigint[], $4::bytea[], $5::bytea[]) AS u (idx, leaf, data)
), h AS (
    INSERT INTO hotline_hashes (log, idx, hash)
    SELECT ok.id, u.idx, u.hash
    FROM ok, unnest($6::bigint[], $7::bytea[]) AS u (idx, hash)
    ON CONFLICT (log, idx) DO UPDATE SET hash = EXCLUDED.hash
), b AS (
    INSERT INTO hotline_bodies (log, idx, stanzas, ciphertext)
    SELECT $1, u.idx, u.stanzas, u.ciphertext
    FROM ok, unnest($8::bigint[], $9::bytea[], $10::bytea[]) AS u (idx, stanzas, ciphertext)
    ON CONFLICT DO NOTHING
), s AS (
    UPDATE hotline_logs SET size = $11 WHERE id = (SELECT id FROM ok)
)
SELECT (SELECT size FROM l)";

/// Appends `batch` and `bodies` to `log` in one statement ([`APPEND`]).
pub(crate) fn append_one(
    c: &mut PgConn,
    log: &str,
    batch: &AppendBatch<'_>,
    bodies: &[crate::relaydata::Body<'_>],
) -> Result<(), StoreError> {
    let old = to_i64(batch.old_size, "size")?;
    let n = batch.entries.len() as u64;
    let idxs: Vec<i64> = (0..n)
        .map(|i| to_i64(batch.old_size + i, "index"))
        .collect::<Result<_, _>>()?;
    let leaves: Vec<&[u8]> = batch.leaf_hashes.iter().map(|h| &h[..]).collect();
    let datas: Vec<&[u8]> = batch.entries.iter().map(|e| &e[..]).collect();
    let hidx: Vec<i64> = batch
        .hashes
        .iter()
        .map(|(i, _)| to_i64(*i, "stored index"))
        .collect::<Result<_, _>>()?;
    let hvals: Vec<&[u8]> = batch.hashes.iter().map(|(_, h)| &h[..]).collect();
    let bidx: Vec<i64> = bodies
        .iter()
        .map(|b| to_i64(b.index, "index"))
        .collect::<Result<_, _>>()?;
    let stanzas: Vec<&[u8]> = bodies.iter().map(|b| b.stanzas).collect();
    let cts: Vec<Option<&[u8]>> = bodies.iter().map(|b| b.ciphertext).collect();
    let new = to_i64(batch.old_size + n, "size")?;
    let row = c
        .query_one(
            APPEND,
            &[
                &log, &old, &idxs, &leaves, &datas, &hidx, &hvals, &bidx, &stanzas, &cts, &new,
            ],
        )
        .map_err(be)?;
    match row.get::<_, Option<i64>>(0) {
        None => Err(StoreError::NoSuchLog(log.into())),
        Some(actual) if actual == old => Ok(()),
        Some(actual) => Err(StoreError::Conflict {
            expected: batch.old_size,
            actual: actual as u64,
        }),
    }
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
        Ok(log_id_cached(&mut self.conn(), log)?.1)
    }

    fn read_hashes(&self, log: &str, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let mut c = self.conn();
        let idx: Vec<i64> = indexes
            .iter()
            .map(|&i| to_i64(i, "index"))
            .collect::<Result<_, _>>()?;
        // One round trip: the log by name, joined.
        let rows = c
            .query(
                "SELECT h.idx, h.hash FROM hotline_hashes h JOIN hotline_logs l ON h.log = l.id
                 WHERE l.name = $1 AND h.idx = ANY($2)",
                &[&log, &idx],
            )
            .map_err(be)?;
        if rows.is_empty() && !idx.is_empty() {
            log_id_cached(&mut c, log)?;
        }
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
        // One round trip: the log's size and the entries below it.
        let rows = c
            .query(
                "SELECT l.size, e.data FROM hotline_logs l
                 LEFT JOIN hotline_entries e
                   ON e.log = l.id AND e.idx >= $2 AND e.idx < LEAST($3, l.size)
                 WHERE l.name = $1 ORDER BY e.idx",
                &[
                    &log,
                    &to_i64(start.min(i64::MAX as u64), "start")?,
                    &to_i64(end.min(i64::MAX as u64), "end")?,
                ],
            )
            .map_err(be)?;
        let size = rows
            .first()
            .map(|r| r.get::<_, i64>(0) as u64)
            .ok_or_else(|| StoreError::NoSuchLog(log.into()))?;
        let end = end.min(size);
        if start >= end {
            return Ok(Vec::new());
        }
        let out: Vec<Vec<u8>> = rows
            .iter()
            .filter_map(|r| r.get::<_, Option<Vec<u8>>>(1))
            .collect();
        if out.len() as u64 != end - start {
            return Err(StoreError::Missing(format!(
                "entries {start}..{end} of {log}"
            )));
        }
        Ok(out)
    }

    fn append(&self, log: &str, batch: &AppendBatch<'_>) -> Result<(), StoreError> {
        batch.check()?;
        append_one(&mut self.conn(), log, batch, &[])
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
            log_id_cached(&mut c, log)?;
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
