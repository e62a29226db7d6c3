//! The relay's side data (blobs, checkpoint history, cosignatures) behaves
//! the same on SQLite and on the real PostgreSQL server.

use hotline_store::postgres::PgStore;
use hotline_store::relaydata::RelayData;
use hotline_store::sqlite::SqliteStore;

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("test.example/{prefix}-{}-{nanos}", std::process::id())
}

fn suite(s: &dyn RelayData) {
    let log = unique("side");
    let other = unique("other");
    let (h1, h2) = ([1u8; 32], [2u8; 32]);
    assert_eq!(s.blob(&log, &h1).unwrap(), None);
    assert!(!s.has_blob(&log, &h1).unwrap());
    s.put_blobs(&log, &[(h1, b"one"), (h2, b"two")]).unwrap();
    // Idempotent: a second write of the same hash keeps the first bytes.
    s.put_blobs(&log, &[(h1, b"one")]).unwrap();
    assert_eq!(s.blob(&log, &h1).unwrap().as_deref(), Some(&b"one"[..]));
    assert!(s.has_blob(&log, &h2).unwrap());
    // Blobs are per log.
    assert_eq!(s.blob(&other, &h1).unwrap(), None);
    s.put_blobs(&log, &[]).unwrap();

    assert_eq!(s.checkpoint_at(&log, 5).unwrap(), None);
    s.put_checkpoint_at(&log, 5, b"cp5").unwrap();
    s.put_checkpoint_at(&log, 5, b"cp5-again").unwrap();
    s.put_checkpoint_at(&log, 7, b"cp7").unwrap();
    assert_eq!(
        s.checkpoint_at(&log, 5).unwrap().as_deref(),
        Some(&b"cp5"[..])
    );
    assert_eq!(
        s.checkpoint_at(&log, 7).unwrap().as_deref(),
        Some(&b"cp7"[..])
    );

    assert!(s.cosignatures(&log, 5).unwrap().is_empty());
    assert!(s.add_cosignature(&log, 5, "w1", "— w1 AAAA").unwrap());
    assert!(s.add_cosignature(&log, 5, "w2", "— w2 BBBB").unwrap());
    assert!(!s.add_cosignature(&log, 5, "w1", "— w1 CCCC").unwrap());
    assert!(s.add_cosignature(&log, 7, "w1", "— w1 DDDD").unwrap());
    assert_eq!(
        s.cosignatures(&log, 5).unwrap(),
        vec!["— w1 AAAA", "— w2 BBBB"]
    );
    assert_eq!(s.cosignatures(&log, 7).unwrap(), vec!["— w1 DDDD"]);
}

#[test]
fn sqlite_relay_data() {
    let d = tempfile::tempdir().unwrap();
    suite(&SqliteStore::open(&d.path().join("r.sqlite")).unwrap());
}

#[test]
fn postgres_relay_data() {
    let Ok(url) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: the PostgreSQL backend was NOT tested");
        return;
    };
    suite(&PgStore::connect(&url).unwrap());
}
