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

/// The shared replay cache: a nonce is accepted once, a replay refused
/// (also by another process's store), an expired one accepted again; a
/// sweep forgets only expired nonces. (Real times: a sweep deletes every
/// expired nonce in the database, which other tests' requests may share.)
#[test]
fn postgres_nonces_are_recorded_once_and_swept_when_expired() {
    let Ok(url) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: the PostgreSQL backend was NOT tested");
        return;
    };
    let (a, b) = (
        PgStore::connect(&url).unwrap(),
        PgStore::connect(&url).unwrap(),
    );
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(&std::process::id().to_be_bytes().repeat(4));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let nonce = unique("nonce");
    assert!(a.record_nonce(&key, &nonce, now + 60, now).unwrap());
    assert!(
        !a.record_nonce(&key, &nonce, now + 60, now).unwrap(),
        "a replay"
    );
    assert!(
        !b.record_nonce(&key, &nonce, now + 60, now + 1).unwrap(),
        "a replay to another process"
    );
    // One recorded long ago, expired now: new again (a request's signature
    // is checked for age before this), and recorded afresh.
    let old = unique("old");
    assert!(a.record_nonce(&key, &old, now - 100, now - 160).unwrap());
    assert!(b.record_nonce(&key, &old, now + 60, now).unwrap());
    assert!(!a.record_nonce(&key, &old, now + 60, now).unwrap());
    // A sweep forgets the expired, not the live.
    let gone = unique("gone");
    assert!(a.record_nonce(&key, &gone, now - 5, now - 65).unwrap());
    assert!(a.forget_nonces(now).unwrap() >= 1);
    assert!(!a.record_nonce(&key, &nonce, now + 60, now).unwrap());
    // `gone` is not in the table any more: inserted as new (the same
    // answer an expired one gets, but by the insert, not the renewal).
    assert!(a.record_nonce(&key, &gone, now + 60, now).unwrap());
}
