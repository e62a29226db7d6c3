//! One conformance suite, run against every backend. The PostgreSQL run
//! uses the real server named by `HOTLINE_TEST_DATABASE_URL` (set by
//! `.ci/run`); without it that test says so and does nothing.

use std::sync::Arc;

use hotline_log::memory::MemoryStore;
use hotline_store::postgres::PgStore;
use hotline_store::sqlite::SqliteStore;
use hotline_store::{AppendBatch, LogStore, StoreError};

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("test.example/{prefix}-{}-{nanos}", std::process::id())
}

fn entry(i: u64) -> Vec<u8> {
    format!("entry {i}").into_bytes()
}

fn leaf(i: u64) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&i.to_be_bytes());
    h[31] = 0xee;
    h
}

fn append_n(s: &dyn LogStore, log: &str, old: u64, n: u64) -> Result<(), StoreError> {
    let entries: Vec<Vec<u8>> = (old..old + n).map(entry).collect();
    let leaves: Vec<[u8; 32]> = (old..old + n).map(leaf).collect();
    let hashes: Vec<(u64, [u8; 32])> = (old..old + n).map(|i| (i * 2, leaf(i))).collect();
    s.append(
        log,
        &AppendBatch {
            old_size: old,
            entries: &entries,
            leaf_hashes: &leaves,
            hashes: &hashes,
        },
    )
}

fn conformance(s: Arc<dyn LogStore>) {
    let log = unique("conf");
    // Unknown logs are reported as such.
    assert!(matches!(s.size(&log), Err(StoreError::NoSuchLog(_))));
    assert!(matches!(
        append_n(&*s, &log, 0, 1),
        Err(StoreError::NoSuchLog(_))
    ));
    s.create(&log).unwrap();
    assert!(matches!(s.create(&log), Err(StoreError::LogExists(_))));
    assert!(s.logs().unwrap().contains(&log));
    assert_eq!(s.size(&log).unwrap(), 0);
    assert_eq!(s.checkpoint(&log).unwrap(), None);
    assert!(s.read_entries(&log, 0, 10).unwrap().is_empty());

    // Appends are dense and checked against the expected size.
    append_n(&*s, &log, 0, 3).unwrap();
    append_n(&*s, &log, 3, 100).unwrap();
    assert_eq!(s.size(&log).unwrap(), 103);
    assert!(matches!(
        append_n(&*s, &log, 3, 1),
        Err(StoreError::Conflict {
            expected: 3,
            actual: 103
        })
    ));
    assert_eq!(s.size(&log).unwrap(), 103, "a refused batch writes nothing");
    let e = s.read_entries(&log, 1, 5).unwrap();
    assert_eq!(e, (1..5).map(entry).collect::<Vec<_>>());
    assert_eq!(
        s.read_entries(&log, 100, 200).unwrap().len(),
        3,
        "reads clamp to the size"
    );
    assert_eq!(
        s.read_hashes(&log, &[0, 4, 204]).unwrap(),
        vec![leaf(0), leaf(2), leaf(102)]
    );
    assert!(matches!(
        s.read_hashes(&log, &[1]),
        Err(StoreError::Missing(_))
    ));

    // Bad batches are refused whole.
    let empty = AppendBatch {
        old_size: 103,
        entries: &[],
        leaf_hashes: &[],
        hashes: &[],
    };
    assert!(matches!(
        s.append(&log, &empty),
        Err(StoreError::Invalid(_))
    ));
    let big = vec![vec![0u8; 70_000]];
    let bad = AppendBatch {
        old_size: 103,
        entries: &big,
        leaf_hashes: &[[0; 32]],
        hashes: &[],
    };
    assert!(matches!(s.append(&log, &bad), Err(StoreError::Invalid(_))));
    assert_eq!(s.size(&log).unwrap(), 103);

    // Checkpoints only move forward.
    s.put_checkpoint(&log, 50, b"cp50").unwrap();
    s.put_checkpoint(&log, 103, b"cp103").unwrap();
    s.put_checkpoint(&log, 60, b"cp60").unwrap();
    assert_eq!(s.checkpoint(&log).unwrap(), Some((103, b"cp103".to_vec())));

    // Concurrent appenders: exactly one wins each race, and the log stays dense.
    let log2 = unique("race");
    s.create(&log2).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let s = s.clone();
            let log2 = log2.clone();
            std::thread::spawn(move || {
                let mut wins = 0;
                for _ in 0..25 {
                    let old = s.size(&log2).unwrap();
                    match append_n(&*s, &log2, old, 2) {
                        Ok(()) => wins += 1,
                        Err(StoreError::Conflict { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                wins
            })
        })
        .collect();
    let wins: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(s.size(&log2).unwrap(), wins * 2);
    let all = s.read_entries(&log2, 0, wins * 2).unwrap();
    assert_eq!(all, (0..wins * 2).map(entry).collect::<Vec<_>>());
}

#[test]
fn memory_store_conformance() {
    conformance(Arc::new(MemoryStore::default()));
}

#[test]
fn sqlite_store_conformance() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("log.sqlite");
    conformance(Arc::new(SqliteStore::open(&path).unwrap()));
    // Everything committed is there after reopening.
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.logs().unwrap().len(), 2);
}

#[test]
fn postgres_store_conformance() {
    let Ok(url) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: the PostgreSQL backend was NOT tested");
        return;
    };
    conformance(Arc::new(PgStore::connect(&url).unwrap()));
}
