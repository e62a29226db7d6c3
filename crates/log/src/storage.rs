//! The storage contract of a log (`docs/log.md` §5): what every backend
//! MUST guarantee. Backends live in the `hotline-store` crate (SQLite,
//! PostgreSQL); [`crate::memory::MemoryStore`] is the in-memory reference.

pub use crate::merkle::Hash;

/// Largest entry a store accepts (C2SP tlog-tiles caps entries at 64 KiB).
pub const MAX_ENTRY_LEN: usize = 65_535;
/// Most entries in one append batch.
pub const MAX_BATCH: usize = 65_536;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No log by that name.
    #[error("no log named {0:?}")]
    NoSuchLog(String),
    /// A log by that name exists already.
    #[error("a log named {0:?} exists already")]
    LogExists(String),
    /// The log's size was not what the appender expected: someone else appended.
    #[error("append conflict: the log has {actual} entries, the batch expected {expected}")]
    Conflict {
        /// The size the batch was built on.
        expected: u64,
        /// The size found.
        actual: u64,
    },
    /// A stored hash or entry that should exist is missing.
    #[error("missing data: {0}")]
    Missing(String),
    /// The request breaks the contract (sizes, lengths).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The database failed (connection, disk, constraint).
    #[error("storage backend error: {0}")]
    Backend(String),
    /// Another process held the log (its sequencer) for longer than the wait.
    #[error("busy: {0}")]
    Busy(String),
}

/// One atomic, durable append.
#[derive(Debug, Clone, Copy)]
pub struct AppendBatch<'a> {
    /// The log size the batch was computed against; the append fails with
    /// [`StoreError::Conflict`] if the log's size differs.
    pub old_size: u64,
    /// The new entries, to take indexes `old_size..old_size + entries.len()`.
    pub entries: &'a [Vec<u8>],
    /// Each entry's leaf hash, same order.
    pub leaf_hashes: &'a [Hash],
    /// The new stored hashes `(stored index, hash)` the batch creates.
    pub hashes: &'a [(u64, Hash)],
}

impl AppendBatch<'_> {
    /// Checks the batch's own shape.
    pub fn check(&self) -> Result<(), StoreError> {
        if self.entries.is_empty() || self.entries.len() > MAX_BATCH {
            return Err(StoreError::Invalid(format!(
                "a batch holds 1 to {MAX_BATCH} entries, not {}",
                self.entries.len()
            )));
        }
        if self.leaf_hashes.len() != self.entries.len() {
            return Err(StoreError::Invalid(
                "one leaf hash per entry is required".into(),
            ));
        }
        if let Some(e) = self.entries.iter().find(|e| e.len() > MAX_ENTRY_LEN) {
            return Err(StoreError::Invalid(format!(
                "an entry of {} bytes exceeds {MAX_ENTRY_LEN}",
                e.len()
            )));
        }
        Ok(())
    }
}

/// The storage contract every backend MUST meet.
///
/// * `append` is atomic: after a crash the log holds either the whole batch
///   or none of it, never a prefix.
/// * `append` is durable: once it returns `Ok`, the batch survives a process
///   kill and (as far as the backend promises) power loss. One durable
///   commit per batch (group commit).
/// * `append` checks `old_size` against the stored size inside the same
///   transaction, so two writers can never fork a log: one gets `Conflict`.
/// * Reads see only committed batches.
/// * Entry indexes are dense: `0..size`.
pub trait LogStore: Send + Sync {
    /// Creates an empty log.
    fn create(&self, log: &str) -> Result<(), StoreError>;
    /// The names of all logs.
    fn logs(&self) -> Result<Vec<String>, StoreError>;
    /// The number of entries.
    fn size(&self, log: &str) -> Result<u64, StoreError>;
    /// Stored hashes by stored index; `Missing` if any is absent.
    fn read_hashes(&self, log: &str, indexes: &[u64]) -> Result<Vec<Hash>, StoreError>;
    /// Entries `start..end` (clamped to the size).
    fn read_entries(&self, log: &str, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Appends a batch atomically and durably.
    fn append(&self, log: &str, batch: &AppendBatch<'_>) -> Result<(), StoreError>;
    /// Records the latest signed checkpoint (for `size`), replacing an older one;
    /// a checkpoint for a smaller size than the stored one is ignored.
    fn put_checkpoint(&self, log: &str, size: u64, note: &[u8]) -> Result<(), StoreError>;
    /// The latest signed checkpoint and its size.
    fn checkpoint(&self, log: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError>;
}
