//! Durable storage for Hotline's append-only logs, behind one contract
//! ([`LogStore`]) with two real backends: [`sqlite::SqliteStore`] (the
//! embedded default) and [`postgres::PgStore`] (production, shared by several
//! relay processes). `hotline_log::memory::MemoryStore` is the in-memory
//! reference.
//!
//! The contract itself ([`LogStore`]) lives in `hotline_log::storage`, so
//! the log's algorithms are written against it; this crate implements it.
//! A store keeps, per named log: the entries, their leaf hashes (for
//! de-duplication), the Merkle tree's *stored hashes* (see
//! `hotline_log::merkle`; the store treats them as opaque `(index, hash)`
//! pairs), the tree size, and the latest signed checkpoint. It computes no
//! hashes itself: the caller (the sequencer) computes a batch's hashes and
//! hands the store one [`AppendBatch`].
//!
//! It also holds the careful file operations every component shares:
//! [`files`] (atomic, private writes) and [`keyfile`] (secrets encrypted at
//! rest with a passphrase, in the age format).
//!
//! This crate knows nothing of envelopes, HTTP or Merkle maths.
//!
//! ```
//! use hotline_store::{LogStore, AppendBatch};
//! use hotline_log::memory::MemoryStore;
//! let s = MemoryStore::default();
//! s.create("example.org/log")?;
//! s.append("example.org/log", &AppendBatch {
//!     old_size: 0,
//!     entries: &[b"hello".to_vec()],
//!     leaf_hashes: &[[1; 32]],
//!     hashes: &[(0, [1; 32])],
//! })?;
//! assert_eq!(s.size("example.org/log")?, 1);
//! # Ok::<(), hotline_store::StoreError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod files;
pub mod keyfile;
pub mod postgres;
pub mod relaydata;
pub mod sqlite;
pub mod tiledir;

pub use hotline_log::storage::{AppendBatch, Hash, LogStore, MAX_BATCH, MAX_ENTRY_LEN, StoreError};

pub(crate) fn to_i64(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid(format!("{what} {v} is out of range")))
}

pub(crate) fn hash_from(v: &[u8]) -> Result<Hash, StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Backend(format!("a stored hash has {} bytes, not 32", v.len())))
}
