//! What a relay keeps beside each log: content-addressed blobs (the stanzas
//! and ciphertexts of envelopes, and large encrypted attachments), every
//! checkpoint it signed (not only the latest), and the cosignatures parties
//! and witnesses sent for them. Implemented by both backends in the same
//! database as the logs.

use rusqlite::{OptionalExtension, params};

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Hash, LogStore, StoreError, to_i64};

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
}

pub(crate) const SQLITE_SCHEMA: &str = "
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
";

pub(crate) const PG_SCHEMA: &str = "
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
}
