//! An in-memory store: the same contract without durability. For tests and
//! as the benchmark baseline.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::storage::{AppendBatch, Hash, LogStore, StoreError};

#[derive(Default)]
struct Log {
    entries: Vec<Vec<u8>>,
    hashes: HashMap<u64, Hash>,
    checkpoint: Option<(u64, Vec<u8>)>,
}

/// Logs held in memory.
#[derive(Default)]
pub struct MemoryStore {
    logs: Mutex<HashMap<String, Log>>,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Log>> {
        // A poisoned lock only means another thread panicked mid-test; the map is still usable.
        self.logs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn get<'a>(m: &'a mut HashMap<String, Log>, log: &str) -> Result<&'a mut Log, StoreError> {
    m.get_mut(log)
        .ok_or_else(|| StoreError::NoSuchLog(log.into()))
}

impl LogStore for MemoryStore {
    fn create(&self, log: &str) -> Result<(), StoreError> {
        let mut m = self.lock();
        if m.contains_key(log) {
            return Err(StoreError::LogExists(log.into()));
        }
        m.insert(log.into(), Log::default());
        Ok(())
    }

    fn logs(&self) -> Result<Vec<String>, StoreError> {
        let mut v: Vec<String> = self.lock().keys().cloned().collect();
        v.sort();
        Ok(v)
    }

    fn size(&self, log: &str) -> Result<u64, StoreError> {
        Ok(get(&mut self.lock(), log)?.entries.len() as u64)
    }

    fn read_hashes(&self, log: &str, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let mut m = self.lock();
        let l = get(&mut m, log)?;
        indexes
            .iter()
            .map(|i| {
                l.hashes
                    .get(i)
                    .copied()
                    .ok_or_else(|| StoreError::Missing(format!("stored hash {i}")))
            })
            .collect()
    }

    fn read_entries(&self, log: &str, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut m = self.lock();
        let l = get(&mut m, log)?;
        let n = l.entries.len() as u64;
        let (s, e) = (start.min(n) as usize, end.min(n) as usize);
        Ok(l.entries.get(s..e.max(s)).unwrap_or_default().to_vec())
    }

    fn append(&self, log: &str, batch: &AppendBatch<'_>) -> Result<(), StoreError> {
        batch.check()?;
        let mut m = self.lock();
        let l = get(&mut m, log)?;
        let actual = l.entries.len() as u64;
        if actual != batch.old_size {
            return Err(StoreError::Conflict {
                expected: batch.old_size,
                actual,
            });
        }
        l.entries.extend(batch.entries.iter().cloned());
        l.hashes.extend(batch.hashes.iter().copied());
        Ok(())
    }

    fn put_checkpoint(&self, log: &str, size: u64, note: &[u8]) -> Result<(), StoreError> {
        let mut m = self.lock();
        let l = get(&mut m, log)?;
        if l.checkpoint.as_ref().is_none_or(|(s, _)| *s <= size) {
            l.checkpoint = Some((size, note.to_vec()));
        }
        Ok(())
    }

    fn checkpoint(&self, log: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        Ok(get(&mut self.lock(), log)?.checkpoint.clone())
    }
}
