//! A named log over a [`LogStore`]: batched appends (one durable commit per
//! batch), roots, proofs, tiles and signed checkpoints (`docs/log.md`).

use std::collections::HashMap;

use crate::checkpoint::Checkpoint;
use crate::merkle::{self, Hash, HashReader, MerkleError};
use crate::note::{Ed25519Signer, Note, NoteError};
use crate::storage::{AppendBatch, LogStore, StoreError};
use crate::tiles::{self, Tile, TileError};

/// Why a log operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A Merkle computation failed.
    #[error(transparent)]
    Merkle(#[from] MerkleError),
    /// A tile could not be built.
    #[error(transparent)]
    Tile(#[from] TileError),
    /// A checkpoint could not be signed.
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// One log in a store.
pub struct Log<'a> {
    store: &'a dyn LogStore,
    name: String,
}

/// The stored hashes of a log, read through its store.
struct StoreReader<'a> {
    store: &'a dyn LogStore,
    name: &'a str,
}

impl HashReader for StoreReader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MerkleError> {
        self.store
            .read_hashes(self.name, indexes)
            .map_err(|e| MerkleError::Read(e.to_string()))
    }
}

/// The store's hashes plus those of a batch not yet committed.
struct Overlay<'a> {
    base: StoreReader<'a>,
    pending: HashMap<u64, Hash>,
}

impl HashReader for Overlay<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MerkleError> {
        let missing: Vec<u64> = indexes
            .iter()
            .copied()
            .filter(|i| !self.pending.contains_key(i))
            .collect();
        // Only the hashes of the tree before the batch are read from the
        // store (a few per batch); most leaves need none.
        let mut base = if missing.is_empty() {
            Vec::new().into_iter()
        } else {
            self.base.read_hashes(&missing)?.into_iter()
        };
        indexes
            .iter()
            .map(|i| match self.pending.get(i) {
                Some(h) => Ok(*h),
                None => base
                    .next()
                    .ok_or_else(|| MerkleError::Read("short read".into())),
            })
            .collect()
    }
}

/// Where a batch landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Index of the batch's first entry.
    pub first: u64,
    /// The log's size after the batch.
    pub size: u64,
}

impl<'a> Log<'a> {
    /// The log `name` in `store`.
    pub fn new(store: &'a dyn LogStore, name: &str) -> Log<'a> {
        Log {
            store,
            name: name.to_owned(),
        }
    }

    /// The log's name (its checkpoint origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn reader(&self) -> StoreReader<'_> {
        StoreReader {
            store: self.store,
            name: &self.name,
        }
    }

    /// The committed size.
    pub fn size(&self) -> Result<u64, LogError> {
        Ok(self.store.size(&self.name)?)
    }

    /// Appends entries as one atomic, durable batch. Fails with
    /// `StoreError::Conflict` if another writer appended meanwhile.
    pub fn append(&self, entries: &[Vec<u8>]) -> Result<Appended, LogError> {
        self.append_with(entries, |b| self.store.append(&self.name, b))
    }

    /// Appends as [`Log::append`] does, but hands the computed batch to
    /// `write` instead of the store's `append`: a backend transaction that
    /// stores more beside the entries (and must check and write the batch
    /// exactly as `LogStore::append` does).
    pub fn append_with(
        &self,
        entries: &[Vec<u8>],
        write: impl FnOnce(&AppendBatch<'_>) -> Result<(), StoreError>,
    ) -> Result<Appended, LogError> {
        let old = self.size()?;
        let leaves: Vec<Hash> = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
        let mut overlay = Overlay {
            base: self.reader(),
            pending: HashMap::new(),
        };
        // The old tree's frontier, in one read: the only hashes from before
        // the batch that any of its leaves needs (one round trip to a
        // database, rather than one per leaf that needs one).
        if !entries.is_empty() {
            let frontier = merkle::frontier(old);
            if !frontier.is_empty() {
                let hs = self.reader().read_hashes(&frontier)?;
                overlay.pending.extend(frontier.into_iter().zip(hs));
            }
        }
        let mut hashes = Vec::with_capacity(entries.len() * 2);
        for (i, leaf) in leaves.iter().enumerate() {
            let size = old + i as u64;
            let new = merkle::hashes_for_append(size, *leaf, &overlay)?;
            let at = merkle::stored_hash_count(size);
            for (k, h) in new.into_iter().enumerate() {
                overlay.pending.insert(at + k as u64, h);
                hashes.push((at + k as u64, h));
            }
        }
        write(&AppendBatch {
            old_size: old,
            entries,
            leaf_hashes: &leaves,
            hashes: &hashes,
        })?;
        Ok(Appended {
            first: old,
            size: old + entries.len() as u64,
        })
    }

    /// The root at `size` of the stored tree extended by `batch`, before the
    /// batch is committed (to check a batch against a checkpoint in the
    /// same step as writing it, inside [`Log::append_with`]).
    pub fn root_with(&self, size: u64, batch: &AppendBatch<'_>) -> Result<Hash, LogError> {
        let overlay = Overlay {
            base: self.reader(),
            pending: batch.hashes.iter().copied().collect(),
        };
        Ok(merkle::root(size, &overlay)?)
    }

    /// The root at `size`.
    pub fn root(&self, size: u64) -> Result<Hash, LogError> {
        Ok(merkle::root(size, &self.reader())?)
    }

    /// The inclusion proof of entry `index` in the tree of `size`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        Ok(merkle::inclusion_proof(index, size, &self.reader())?)
    }

    /// The consistency proof from `old` to `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LogError> {
        Ok(merkle::consistency_proof(old, new, &self.reader())?)
    }

    /// The bytes of a hash tile or entry bundle.
    pub fn tile(&self, t: &Tile) -> Result<Vec<u8>, LogError> {
        match t.level {
            Some(_) => Ok(tiles::read_tile(t, &self.reader())?),
            None => {
                // From a request: checked (an entry bundle beyond u64
                // entries is in no log).
                let (lo, hi) = t
                    .index
                    .checked_mul(tiles::TILE_WIDTH)
                    .and_then(|lo| Some((lo, lo.checked_add(u64::from(t.width))?)))
                    .ok_or_else(|| {
                        StoreError::Missing(format!("entries for {} (beyond any log)", t.path()))
                    })?;
                let entries = self.store.read_entries(&self.name, lo, hi)?;
                if entries.len() != usize::from(t.width) {
                    return Err(StoreError::Missing(format!("entries for {}", t.path())).into());
                }
                Ok(tiles::encode_bundle(&entries)?)
            }
        }
    }

    /// Signs a checkpoint of the committed size with `signer`, stores it as
    /// the latest, and returns it.
    pub fn sign_checkpoint(&self, signer: &Ed25519Signer) -> Result<Note, LogError> {
        let note = self.checkpoint_note(signer)?;
        let size = Checkpoint::parse(&note.text)?.size;
        self.store
            .put_checkpoint(&self.name, size, &note.to_bytes())?;
        Ok(note)
    }

    /// Signs a checkpoint of the current size without storing it (for a
    /// caller that records more before publishing it with `put_checkpoint`).
    pub fn checkpoint_note(&self, signer: &Ed25519Signer) -> Result<Note, LogError> {
        let size = self.size()?;
        let cp = Checkpoint {
            origin: self.name.clone(),
            size,
            root: self.root(size)?,
            extensions: Vec::new(),
        };
        let mut note = Note::new(&cp.to_text())?;
        note.add_signature(signer.sign(&note.text));
        Ok(note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;
    use crate::merkle::MemoryTree;

    #[test]
    fn batched_appends_match_the_in_memory_tree() {
        let store = MemoryStore::default();
        store.create("l").unwrap();
        let log = Log::new(&store, "l");
        let mut reference = MemoryTree::new();
        let mut n = 0u64;
        for batch in [1usize, 2, 5, 64, 3, 300, 1] {
            let entries: Vec<Vec<u8>> = (0..batch)
                .map(|i| format!("e{}", n + i as u64).into_bytes())
                .collect();
            let a = log.append(&entries).unwrap();
            assert_eq!(a.first, n);
            for e in &entries {
                reference.append(merkle::leaf_hash(e));
            }
            n += batch as u64;
            assert_eq!(log.root(n).unwrap(), reference.root());
        }
        let r = log.root(n).unwrap();
        for i in [0, 1, 7, 100, n - 1] {
            let p = log.inclusion_proof(i, n).unwrap();
            let e = format!("e{i}").into_bytes();
            merkle::verify_inclusion(i, n, &merkle::leaf_hash(&e), &p, &r).unwrap();
        }
        let p = log.consistency_proof(70, n).unwrap();
        merkle::verify_consistency(70, n, &log.root(70).unwrap(), &r, &p).unwrap();
        let signer = Ed25519Signer::new("l", &[1; 32]).unwrap();
        let note = log.sign_checkpoint(&signer).unwrap();
        assert_eq!(store.checkpoint("l").unwrap().unwrap().1, note.to_bytes());
    }
}
