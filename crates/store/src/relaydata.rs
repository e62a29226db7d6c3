//! What a relay keeps beside each log: envelope bodies (stanzas and
//! ciphertext) in log order, written in the append's own transaction;
//! content-addressed blobs (large encrypted attachments, ciphertexts uploaded
//! before their head); every checkpoint it signed (not only the latest) and
//! the cosignatures parties and witnesses sent for them; and the sequencer
//! lock. Implemented by both backends in the same database as the logs.

use std::time::{Duration, Instant};

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{AppendBatch, Hash, LogStore, StoreError, to_i64};

/// The relay's side data, per log.
pub trait RelayData: LogStore {
    /// Stores blobs under their SHA-256 (the caller checked it), in one
    /// durable transaction; a blob already present is kept as it is.
    fn put_blobs(&self, log: &str, blobs: &[(Hash, &[u8])]) -> Result<(), StoreError>;
    /// A blob's bytes.
    fn blob(&self, log: &str, hash: &Hash) -> Result<Option<Vec<u8>>, StoreError>;
    /// Whether a blob is present.
    fn has_blob(&self, log: &str, hash: &Hash) -> Result<bool, StoreError>;
    /// Records a signed checkpoint of `size` in the history (idempotent).
    fn put_checkpoint_at(&self, log: &str, size: u64, note: &[u8]) -> Result<(), StoreError>;
    /// The signed checkpoint of exactly `size`, if one was recorded.
    fn checkpoint_at(&self, log: &str, size: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Adds a cosignature line by `signer` (a key name and id) for the
    /// checkpoint of `size`; false if that signer already has one there.
    fn add_cosignature(
        &self,
        log: &str,
        size: u64,
        signer: &str,
        line: &str,
    ) -> Result<bool, StoreError>;
    /// The cosignature lines for the checkpoint of `size`, in arrival order.
    fn cosignatures(&self, log: &str, size: u64) -> Result<Vec<String>, StoreError>;
    /// Up to `limit` recorded checkpoints of size greater than `after`,
    /// ascending by size.
    fn checkpoints_after(
        &self,
        log: &str,
        after: u64,
        limit: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;
    /// The sizes of every recorded checkpoint, ascending.
    fn checkpoint_sizes(&self, log: &str) -> Result<Vec<u64>, StoreError>;
    /// The names of every blob of `log`, ascending.
    fn blob_hashes(&self, log: &str) -> Result<Vec<Hash>, StoreError>;
    /// Stores a blob (the caller checked its SHA-256) uploaded by a member
    /// of `party`, charging its bytes to the party, if the log's and the
    /// party's charged blob bytes stay within `quota`; checked, stored and
    /// charged in one durable transaction (one arbiter across processes). A
    /// blob already present is kept and charged to nobody.
    fn put_blob_within(
        &self,
        log: &str,
        hash: &Hash,
        data: &[u8],
        party: &[u8; 32],
        quota: BlobQuota,
    ) -> Result<BlobPut, StoreError>;
    /// The blob bytes charged to each party of `log` (by
    /// [`RelayData::put_blob_within`]), by party key id.
    fn blob_usage(&self, log: &str) -> Result<Vec<([u8; 32], u64)>, StoreError>;
    /// Appends a batch (as `LogStore::append`) and the bodies of the
    /// envelopes in it, in one durable transaction.
    fn append_with_bodies(
        &self,
        log: &str,
        batch: &AppendBatch<'_>,
        bodies: &[Body<'_>],
    ) -> Result<(), StoreError>;
    /// Stores bodies of entries already logged (a restore); one kept as it is
    /// if present.
    fn put_bodies(&self, log: &str, bodies: &[Body<'_>]) -> Result<(), StoreError>;
    /// The body of the envelope at `index`: its stanzas, and its ciphertext
    /// unless that was uploaded as a blob.
    fn body(&self, log: &str, index: u64) -> Result<Option<StoredBody>, StoreError>;
    /// The indexes of the bodies in `start..end`, ascending.
    fn body_indexes(&self, log: &str, start: u64, end: u64) -> Result<Vec<u64>, StoreError>;
    /// Whether other processes may append to the same logs (a shared
    /// database): then a relay must re-read what it did not append itself.
    fn shared(&self) -> bool;
    /// Records a request signature's nonce of `key`, kept until `expires`
    /// (Unix seconds), and says whether it is new: `false` is a replay, a
    /// request this or another relay process sharing the store already
    /// accepted. Nonces expired at `now` are forgotten. A store that one
    /// process owns (SQLite) needs no record beyond that process's memory
    /// (`auth.rs`), and answers `true`.
    fn record_nonce(
        &self,
        key: &[u8; 32],
        nonce: &str,
        expires: i64,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Forgets the nonces expired at `now` (a relay calls it now and then;
    /// [`RelayData::record_nonce`] treats an expired one as new anyway);
    /// how many.
    fn forget_nonces(&self, now: i64) -> Result<u64, StoreError> {
        let _ = now;
        Ok(0)
    }
    /// Takes the right to sequence `log`, waiting up to `wait` while another
    /// process holds it; [`StoreError::Busy`] after that. The right is
    /// released when the lock drops, or when the process dies. Exactly one
    /// holder per log at a time across every process sharing the database.
    fn sequencer_lock(&self, log: &str, wait: Duration) -> Result<SequencerLock<'_>, StoreError>;
}

/// The most blob bytes charged to one log and to one party in it.
#[derive(Debug, Clone, Copy)]
pub struct BlobQuota {
    /// Over every party of the log.
    pub channel: u64,
    /// To one party.
    pub party: u64,
}

/// What [`RelayData::put_blob_within`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobPut {
    /// Stored and charged.
    Created,
    /// Already present: kept as it was, charged to nobody.
    Existed,
    /// Refused: the log's charged bytes would exceed the channel quota
    /// (those charged so far).
    OverChannel(u64),
    /// Refused: the party's charged bytes would exceed its quota (those
    /// charged so far).
    OverParty(u64),
}

/// Decides a blob upload of `len` bytes against charged bytes `channel`
/// and `party`.
fn within(len: u64, channel: u64, party: u64, q: BlobQuota) -> Option<BlobPut> {
    if party.saturating_add(len) > q.party {
        Some(BlobPut::OverParty(party))
    } else if channel.saturating_add(len) > q.channel {
        Some(BlobPut::OverChannel(channel))
    } else {
        None
    }
}

/// A stored body: the stanzas, and the ciphertext unless it is a blob.
pub type StoredBody = (Vec<u8>, Option<Vec<u8>>);

/// The bytes of an envelope beside its head in the log, stored in log order
/// (sequential writes) rather than by hash.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    /// The log index of the envelope's head.
    pub index: u64,
    /// The recipient stanzas.
    pub stanzas: &'a [u8],
    /// The ciphertext, or `None` when it was uploaded as a blob (named by
    /// the head's ciphertext hash).
    pub ciphertext: Option<&'a [u8]>,
}

/// The right to sequence one log; released on drop.
pub struct SequencerLock<'a> {
    release: Option<Box<dyn FnOnce() + Send + 'a>>,
    /// The log's size, when the store read it with the lock (in the same
    /// round trip). It may predate an append that committed just before
    /// the lock was granted: a batch checked against it can only fail the
    /// append's own size check (a conflict, then a re-read), never fork the log.
    pub size: Option<u64>,
}

impl SequencerLock<'_> {
    /// A lock that guards nothing (a store no other process can open).
    pub fn local() -> SequencerLock<'static> {
        SequencerLock {
            release: None,
            size: None,
        }
    }
}

impl Drop for SequencerLock<'_> {
    fn drop(&mut self) {
        if let Some(f) = self.release.take() {
            f();
        }
    }
}

/// The advisory-lock key of a log's sequencer: the first 8 bytes of
/// SHA-256("hotline sequencer\n" ‖ log name), big-endian, as a signed integer.
pub fn sequencer_lock_key(log: &str) -> i64 {
    let d = Sha256::new()
        .chain_update(b"hotline sequencer\n")
        .chain_update(log.as_bytes())
        .finalize();
    let mut k = [0u8; 8];
    k.copy_from_slice(&d[..8]);
    i64::from_be_bytes(k)
}

pub(crate) const SQLITE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bodies (
    log TEXT NOT NULL,
    idx INTEGER NOT NULL,
    stanzas BLOB NOT NULL,
    ciphertext BLOB,
    PRIMARY KEY (log, idx)
);
CREATE TABLE IF NOT EXISTS blobs (
    log TEXT NOT NULL,
    hash BLOB NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (log, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    log TEXT NOT NULL,
    size INTEGER NOT NULL,
    note BLOB NOT NULL,
    PRIMARY KEY (log, size)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cosignatures (
    log TEXT NOT NULL,
    size INTEGER NOT NULL,
    signer TEXT NOT NULL,
    line TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, size, signer)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blob_usage (
    log TEXT NOT NULL,
    party BLOB NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (log, party)
) WITHOUT ROWID;
";

pub(crate) const PG_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hotline_bodies (
    log TEXT NOT NULL,
    idx BIGINT NOT NULL,
    stanzas BYTEA NOT NULL,
    ciphertext BYTEA,
    PRIMARY KEY (log, idx)
);
CREATE TABLE IF NOT EXISTS hotline_blobs (
    log TEXT NOT NULL,
    hash BYTEA NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (log, hash)
);
CREATE TABLE IF NOT EXISTS hotline_checkpoints (
    log TEXT NOT NULL,
    size BIGINT NOT NULL,
    note BYTEA NOT NULL,
    PRIMARY KEY (log, size)
);
CREATE TABLE IF NOT EXISTS hotline_cosignatures (
    log TEXT NOT NULL,
    size BIGINT NOT NULL,
    signer TEXT NOT NULL,
    line TEXT NOT NULL,
    seq BIGSERIAL,
    PRIMARY KEY (log, size, signer)
);
CREATE TABLE IF NOT EXISTS hotline_nonces (
    key BYTEA NOT NULL,
    nonce TEXT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (key, nonce)
);
CREATE INDEX IF NOT EXISTS hotline_nonces_by_expiry ON hotline_nonces (expires);
CREATE TABLE IF NOT EXISTS hotline_blob_usage (
    log TEXT NOT NULL,
    party BYTEA NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (log, party)
);
";

fn sq(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn pg(e: postgres::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl RelayData for SqliteStore {
    fn put_blobs(&self, log: &str, blobs: &[(Hash, &[u8])]) -> Result<(), StoreError> {
        if blobs.is_empty() {
            return Ok(());
        }
        let mut c = self.writer();
        let tx = c.transaction().map_err(sq)?;
        {
            let mut st = tx
                .prepare_cached("INSERT OR IGNORE INTO blobs (log, hash, data) VALUES (?1, ?2, ?3)")
                .map_err(sq)?;
            for (h, b) in blobs {
                st.execute(params![log, &h[..], b]).map_err(sq)?;
            }
        }
        tx.commit().map_err(sq)
    }

    fn put_blob_within(
        &self,
        log: &str,
        hash: &Hash,
        data: &[u8],
        party: &[u8; 32],
        quota: BlobQuota,
    ) -> Result<BlobPut, StoreError> {
        let mut c = self.writer();
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sq)?;
        let present = tx
            .query_row(
                "SELECT 1 FROM blobs WHERE log = ?1 AND hash = ?2",
                params![log, &hash[..]],
                |_| Ok(()),
            )
            .optional()
            .map_err(sq)?
            .is_some();
        if present {
            return Ok(BlobPut::Existed);
        }
        let (channel, mine): (i64, i64) = tx
            .query_row(
                "SELECT COALESCE(SUM(bytes), 0),
                        COALESCE(SUM(CASE WHEN party = ?2 THEN bytes END), 0)
                 FROM blob_usage WHERE log = ?1",
                params![log, &party[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sq)?;
        let len = data.len() as u64;
        if let Some(refused) = within(len, channel as u64, mine as u64, quota) {
            return Ok(refused);
        }
        tx.execute(
            "INSERT INTO blobs (log, hash, data) VALUES (?1, ?2, ?3)",
            params![log, &hash[..], data],
        )
        .map_err(sq)?;
        tx.execute(
            "INSERT INTO blob_usage (log, party, bytes) VALUES (?1, ?2, ?3)
             ON CONFLICT (log, party) DO UPDATE SET bytes = bytes + excluded.bytes",
            params![log, &party[..], to_i64(len, "blob length")?],
        )
        .map_err(sq)?;
        tx.commit().map_err(sq)?;
        Ok(BlobPut::Created)
    }

    fn blob_usage(&self, log: &str) -> Result<Vec<([u8; 32], u64)>, StoreError> {
        let c = self.reader();
        let mut st = c
            .prepare_cached("SELECT party, bytes FROM blob_usage WHERE log = ?1 ORDER BY party")
            .map_err(sq)?;
        let rows = st
            .query_map(params![log], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(sq)?;
        let mut out = Vec::new();
        for r in rows {
            let (p, b) = r.map_err(sq)?;
            if let Ok(p) = <[u8; 32]>::try_from(p.as_slice()) {
                out.push((p, b.max(0) as u64));
            }
        }
        Ok(out)
    }

    fn blob(&self, log: &str, hash: &Hash) -> Result<Option<Vec<u8>>, StoreError> {
        self.reader()
            .query_row(
                "SELECT data FROM blobs WHERE log = ?1 AND hash = ?2",
                params![log, &hash[..]],
                |r| r.get(0),
            )
            .optional()
            .map_err(sq)
    }

    fn has_blob(&self, log: &str, hash: &Hash) -> Result<bool, StoreError> {
        Ok(self
            .reader()
            .query_row(
                "SELECT 1 FROM blobs WHERE log = ?1 AND hash = ?2",
                params![log, &hash[..]],
                |_| Ok(()),
            )
            .optional()
            .map_err(sq)?
            .is_some())
    }

    fn put_checkpoint_at(&self, log: &str, size: u64, note: &[u8]) -> Result<(), StoreError> {
        self.writer()
            .execute(
                "INSERT OR IGNORE INTO checkpoints (log, size, note) VALUES (?1, ?2, ?3)",
                params![log, to_i64(size, "size")?, note],
            )
            .map_err(sq)?;
        Ok(())
    }

    fn checkpoint_at(&self, log: &str, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.reader()
            .query_row(
                "SELECT note FROM checkpoints WHERE log = ?1 AND size = ?2",
                params![log, to_i64(size, "size")?],
                |r| r.get(0),
            )
            .optional()
            .map_err(sq)
    }

    fn add_cosignature(
        &self,
        log: &str,
        size: u64,
        signer: &str,
        line: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .writer()
            .execute(
                "INSERT OR IGNORE INTO cosignatures (log, size, signer, line, seq)
                 VALUES (?1, ?2, ?3, ?4,
                   (SELECT coalesce(max(seq), 0) + 1 FROM cosignatures WHERE log = ?1 AND size = ?2))",
                params![log, to_i64(size, "size")?, signer, line],
            )
            .map_err(sq)?;
        Ok(n == 1)
    }

    fn cosignatures(&self, log: &str, size: u64) -> Result<Vec<String>, StoreError> {
        let c = self.reader();
        let mut st = c
            .prepare_cached(
                "SELECT line FROM cosignatures WHERE log = ?1 AND size = ?2 ORDER BY seq",
            )
            .map_err(sq)?;
        let rows = st
            .query_map(params![log, to_i64(size, "size")?], |r| r.get(0))
            .map_err(sq)?;
        rows.collect::<Result<_, _>>().map_err(sq)
    }

    fn checkpoints_after(
        &self,
        log: &str,
        after: u64,
        limit: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let c = self.reader();
        let mut st = c
            .prepare_cached("SELECT size, note FROM checkpoints WHERE log = ?1 AND size > ?2 ORDER BY size LIMIT ?3")
            .map_err(sq)?;
        let rows = st
            .query_map(
                params![log, to_i64(after, "size")?, to_i64(limit, "limit")?],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)),
            )
            .map_err(sq)?;
        rows.map(|r| r.map_err(sq)).collect()
    }

    fn checkpoint_sizes(&self, log: &str) -> Result<Vec<u64>, StoreError> {
        let c = self.reader();
        let mut st = c
            .prepare_cached("SELECT size FROM checkpoints WHERE log = ?1 ORDER BY size")
            .map_err(sq)?;
        let rows = st
            .query_map(params![log], |r| r.get::<_, i64>(0))
            .map_err(sq)?;
        rows.map(|r| r.map(|s| s as u64).map_err(sq)).collect()
    }

    fn blob_hashes(&self, log: &str) -> Result<Vec<Hash>, StoreError> {
        let c = self.reader();
        let mut st = c
            .prepare_cached("SELECT hash FROM blobs WHERE log = ?1 ORDER BY hash")
            .map_err(sq)?;
        let rows = st
            .query_map(params![log], |r| r.get::<_, Vec<u8>>(0))
            .map_err(sq)?;
        rows.map(|r| crate::hash_from(&r.map_err(sq)?)).collect()
    }

    fn append_with_bodies(
        &self,
        log: &str,
        batch: &AppendBatch<'_>,
        bodies: &[Body<'_>],
    ) -> Result<(), StoreError> {
        batch.check()?;
        let mut c = self.writer();
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sq)?;
        crate::sqlite::append_in(&tx, log, batch)?;
        sqlite_bodies(&tx, log, bodies)?;
        tx.commit().map_err(sq)
    }

    fn put_bodies(&self, log: &str, bodies: &[Body<'_>]) -> Result<(), StoreError> {
        let mut c = self.writer();
        let tx = c.transaction().map_err(sq)?;
        sqlite_bodies(&tx, log, bodies)?;
        tx.commit().map_err(sq)
    }

    fn body(&self, log: &str, index: u64) -> Result<Option<StoredBody>, StoreError> {
        self.reader()
            .query_row(
                "SELECT stanzas, ciphertext FROM bodies WHERE log = ?1 AND idx = ?2",
                params![log, to_i64(index, "index")?],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sq)
    }

    fn body_indexes(&self, log: &str, start: u64, end: u64) -> Result<Vec<u64>, StoreError> {
        let c = self.reader();
        let mut st = c
            .prepare_cached(
                "SELECT idx FROM bodies WHERE log = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx",
            )
            .map_err(sq)?;
        let rows = st
            .query_map(
                params![log, to_i64(start, "index")?, to_i64(end, "index")?],
                |r| r.get::<_, i64>(0),
            )
            .map_err(sq)?;
        rows.map(|r| r.map(|i| i as u64).map_err(sq)).collect()
    }

    fn shared(&self) -> bool {
        false
    }

    fn record_nonce(
        &self,
        _key: &[u8; 32],
        _nonce: &str,
        _expires: i64,
        _now: i64,
    ) -> Result<bool, StoreError> {
        // One process owns the file: its in-memory nonce cache is the record.
        Ok(true)
    }

    fn sequencer_lock(&self, _log: &str, _wait: Duration) -> Result<SequencerLock<'_>, StoreError> {
        // One process owns the file (the relay's data folder); its single
        // sequencer task per log is the only appender.
        Ok(SequencerLock::local())
    }
}

impl RelayData for PgStore {
    fn put_blobs(&self, log: &str, blobs: &[(Hash, &[u8])]) -> Result<(), StoreError> {
        if blobs.is_empty() {
            return Ok(());
        }
        let mut c = self.conn();
        let mut tx = c.transaction().map_err(pg)?;
        let st = tx
            .prepare(
                "INSERT INTO hotline_blobs (log, hash, data) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .map_err(pg)?;
        for (h, b) in blobs {
            tx.execute(&st, &[&log, &&h[..], b]).map_err(pg)?;
        }
        tx.commit().map_err(pg)
    }

    fn put_blob_within(
        &self,
        log: &str,
        hash: &Hash,
        data: &[u8],
        party: &[u8; 32],
        quota: BlobQuota,
    ) -> Result<BlobPut, StoreError> {
        let mut c = self.conn();
        let mut tx = c.transaction().map_err(pg)?;
        // One uploader per log at a time across processes, for the length
        // of this transaction: the sum read is the sum charged against.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&sequencer_lock_key(&format!("blobs {log}"))],
        )
        .map_err(pg)?;
        let row = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM hotline_blobs WHERE log = $1 AND hash = $2),
                        COALESCE((SELECT SUM(bytes) FROM hotline_blob_usage WHERE log = $1), 0)::BIGINT,
                        COALESCE((SELECT bytes FROM hotline_blob_usage WHERE log = $1 AND party = $3), 0)::BIGINT",
                &[&log, &&hash[..], &&party[..]],
            )
            .map_err(pg)?;
        if row.get::<_, bool>(0) {
            return Ok(BlobPut::Existed);
        }
        let (channel, mine): (i64, i64) = (row.get(1), row.get(2));
        let len = data.len() as u64;
        if let Some(refused) = within(len, channel as u64, mine as u64, quota) {
            return Ok(refused);
        }
        tx.execute(
            "WITH b AS (INSERT INTO hotline_blobs (log, hash, data) VALUES ($1, $2, $3))
             INSERT INTO hotline_blob_usage (log, party, bytes) VALUES ($1, $4, $5)
             ON CONFLICT (log, party) DO UPDATE SET bytes = hotline_blob_usage.bytes + EXCLUDED.bytes",
            &[&log, &&hash[..], &data, &&party[..], &to_i64(len, "blob length")?],
        )
        .map_err(pg)?;
        tx.commit().map_err(pg)?;
        Ok(BlobPut::Created)
    }

    fn blob_usage(&self, log: &str) -> Result<Vec<([u8; 32], u64)>, StoreError> {
        let rows = self
            .conn()
            .query(
                "SELECT party, bytes FROM hotline_blob_usage WHERE log = $1 ORDER BY party",
                &[&log],
            )
            .map_err(pg)?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let p: Vec<u8> = r.get(0);
                let b: i64 = r.get(1);
                <[u8; 32]>::try_from(p.as_slice())
                    .ok()
                    .map(|p| (p, b.max(0) as u64))
            })
            .collect())
    }

    fn blob(&self, log: &str, hash: &Hash) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()
            .query_opt(
                "SELECT data FROM hotline_blobs WHERE log = $1 AND hash = $2",
                &[&log, &&hash[..]],
            )
            .map_err(pg)?
            .map(|r| r.get(0)))
    }

    fn has_blob(&self, log: &str, hash: &Hash) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_opt(
                "SELECT 1 FROM hotline_blobs WHERE log = $1 AND hash = $2",
                &[&log, &&hash[..]],
            )
            .map_err(pg)?
            .is_some())
    }

    fn put_checkpoint_at(&self, log: &str, size: u64, note: &[u8]) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO hotline_checkpoints (log, size, note) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&log, &to_i64(size, "size")?, &note],
            )
            .map_err(pg)?;
        Ok(())
    }

    fn checkpoint_at(&self, log: &str, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()
            .query_opt(
                "SELECT note FROM hotline_checkpoints WHERE log = $1 AND size = $2",
                &[&log, &to_i64(size, "size")?],
            )
            .map_err(pg)?
            .map(|r| r.get(0)))
    }

    fn add_cosignature(
        &self,
        log: &str,
        size: u64,
        signer: &str,
        line: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "INSERT INTO hotline_cosignatures (log, size, signer, line) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&log, &to_i64(size, "size")?, &signer, &line],
            )
            .map_err(pg)?;
        Ok(n == 1)
    }

    fn cosignatures(&self, log: &str, size: u64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .conn()
            .query(
                "SELECT line FROM hotline_cosignatures WHERE log = $1 AND size = $2 ORDER BY seq",
                &[&log, &to_i64(size, "size")?],
            )
            .map_err(pg)?
            .into_iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn checkpoints_after(
        &self,
        log: &str,
        after: u64,
        limit: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        Ok(self
            .conn()
            .query(
                "SELECT size, note FROM hotline_checkpoints WHERE log = $1 AND size > $2 ORDER BY size LIMIT $3",
                &[&log, &to_i64(after, "size")?, &to_i64(limit, "limit")?],
            )
            .map_err(pg)?
            .into_iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
            .collect())
    }

    fn checkpoint_sizes(&self, log: &str) -> Result<Vec<u64>, StoreError> {
        Ok(self
            .conn()
            .query(
                "SELECT size FROM hotline_checkpoints WHERE log = $1 ORDER BY size",
                &[&log],
            )
            .map_err(pg)?
            .into_iter()
            .map(|r| r.get::<_, i64>(0) as u64)
            .collect())
    }

    fn blob_hashes(&self, log: &str) -> Result<Vec<Hash>, StoreError> {
        self.conn()
            .query(
                "SELECT hash FROM hotline_blobs WHERE log = $1 ORDER BY hash",
                &[&log],
            )
            .map_err(pg)?
            .into_iter()
            .map(|r| crate::hash_from(&r.get::<_, Vec<u8>>(0)))
            .collect()
    }

    fn append_with_bodies(
        &self,
        log: &str,
        batch: &AppendBatch<'_>,
        bodies: &[Body<'_>],
    ) -> Result<(), StoreError> {
        batch.check()?;
        crate::postgres::append_one(&mut self.conn(), log, batch, bodies)
    }

    fn put_bodies(&self, log: &str, bodies: &[Body<'_>]) -> Result<(), StoreError> {
        let mut c = self.conn();
        let mut tx = c.transaction().map_err(pg)?;
        pg_bodies(&mut tx, log, bodies)?;
        tx.commit().map_err(pg)
    }

    fn body(&self, log: &str, index: u64) -> Result<Option<StoredBody>, StoreError> {
        Ok(self
            .conn()
            .query_opt(
                "SELECT stanzas, ciphertext FROM hotline_bodies WHERE log = $1 AND idx = $2",
                &[&log, &to_i64(index, "index")?],
            )
            .map_err(pg)?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn body_indexes(&self, log: &str, start: u64, end: u64) -> Result<Vec<u64>, StoreError> {
        Ok(self
            .conn()
            .query(
                "SELECT idx FROM hotline_bodies WHERE log = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
                &[&log, &to_i64(start, "index")?, &to_i64(end, "index")?],
            )
            .map_err(pg)?
            .into_iter()
            .map(|r| r.get::<_, i64>(0) as u64)
            .collect())
    }

    fn shared(&self) -> bool {
        true
    }

    fn record_nonce(
        &self,
        key: &[u8; 32],
        nonce: &str,
        expires: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut c = self.nonce_conn();
        // One round trip: insert this nonce unless present (then it is a
        // replay). The table's primary key makes the insert the one arbiter
        // across relay processes. Expired nonces are deleted in sweeps
        // (`forget_nonces`), not here: deleting the oldest rows on every
        // request made each request scan the dead rows at the head of the
        // expiry index, and wait on the others' row locks
        // (`docs/benchmarks.md`).
        let fresh = c
            .execute(
                "INSERT INTO hotline_nonces (key, nonce, expires) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&&key[..], &nonce, &expires],
            )
            .map_err(pg)?;
        if fresh == 1 {
            return Ok(true);
        }
        // Present: a replay, unless the earlier one has expired (then it is
        // renewed for this request).
        let renewed = c
            .execute(
                "UPDATE hotline_nonces SET expires = $3
                 WHERE key = $1 AND nonce = $2 AND expires < $4",
                &[&&key[..], &nonce, &expires, &now],
            )
            .map_err(pg)?;
        Ok(renewed == 1)
    }

    fn forget_nonces(&self, now: i64) -> Result<u64, StoreError> {
        self.nonce_conn()
            .execute("DELETE FROM hotline_nonces WHERE expires < $1", &[&now])
            .map_err(pg)
    }

    fn sequencer_lock(&self, log: &str, wait: Duration) -> Result<SequencerLock<'_>, StoreError> {
        let key = sequencer_lock_key(log);
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_micros(200);
        loop {
            // One round trip for the lock and the log's size.
            let row = self
                .locks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .query_one(
                    "SELECT pg_try_advisory_lock($1),
                            (SELECT size FROM hotline_logs WHERE name = $2)",
                    &[&key, &log],
                )
                .map_err(pg)?;
            let got: bool = row.get(0);
            if got {
                return Ok(SequencerLock {
                    release: Some(Box::new(move || {
                        let mut c = self.locks.lock().unwrap_or_else(|p| p.into_inner());
                        // If this fails the session is gone, and the lock with it.
                        let _ = c.execute("SELECT pg_advisory_unlock($1)", &[&key]);
                    })),
                    size: row.get::<_, Option<i64>>(1).map(|s| s as u64),
                });
            }
            if Instant::now() >= deadline {
                return Err(StoreError::Busy(format!(
                    "another relay process has sequenced {log} for over {} ms",
                    wait.as_millis()
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(2));
        }
    }
}

fn sqlite_bodies(
    tx: &rusqlite::Transaction<'_>,
    log: &str,
    bodies: &[Body<'_>],
) -> Result<(), StoreError> {
    let mut st = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO bodies (log, idx, stanzas, ciphertext) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(sq)?;
    for b in bodies {
        st.execute(params![
            log,
            to_i64(b.index, "index")?,
            b.stanzas,
            b.ciphertext
        ])
        .map_err(sq)?;
    }
    Ok(())
}

fn pg_bodies(
    tx: &mut postgres::Transaction<'_>,
    log: &str,
    bodies: &[Body<'_>],
) -> Result<(), StoreError> {
    if bodies.is_empty() {
        return Ok(());
    }
    let idx: Vec<i64> = bodies
        .iter()
        .map(|b| to_i64(b.index, "index"))
        .collect::<Result<_, _>>()?;
    let stanzas: Vec<&[u8]> = bodies.iter().map(|b| b.stanzas).collect();
    let cts: Vec<Option<&[u8]>> = bodies.iter().map(|b| b.ciphertext).collect();
    tx.execute(
        "INSERT INTO hotline_bodies (log, idx, stanzas, ciphertext)
         SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[])
         ON CONFLICT DO NOTHING",
        &[&log, &idx, &stanzas, &cts],
    )
    .map_err(pg)?;
    Ok(())
}
