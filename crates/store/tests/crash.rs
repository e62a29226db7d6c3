//! Crash safety: a child process appends batches as fast as it can and
//! reports each batch the store acknowledged; the parent kills it with
//! SIGKILL mid-load, reopens the store and checks that every acknowledged
//! batch is there, that no batch is half-written, and that the size, the
//! root, every inclusion proof and the consistency proofs from every batch
//! boundary hold. Three rounds per backend, on the same log.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::Instant;

use hotline_log::log::Log;
use hotline_log::merkle::{self, MemoryTree};
use hotline_log::storage::LogStore;
use hotline_store::postgres::PgStore;
use hotline_store::sqlite::SqliteStore;

const BATCH: u64 = 64;
const CHILD_ENV: &str = "HOTLINE_CRASH_CHILD";

fn entry(i: u64) -> Vec<u8> {
    format!("crash-test entry {i:08}").into_bytes()
}

fn open(spec: &str) -> Box<dyn LogStore> {
    match spec.split_once(':') {
        Some(("sqlite", path)) => Box::new(SqliteStore::open(path.as_ref()).unwrap()),
        Some(("postgres", url)) => Box::new(PgStore::connect(url).unwrap()),
        _ => panic!("bad spec {spec}"),
    }
}

/// The child process's body, not a test of its own: ignored in normal runs,
/// spawned by `crash_round` with `--ignored` and the env var set.
#[test]
#[ignore = "the crash tests' child process; run by sqlite_survives_kill_9 and postgres_survives_kill_9"]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (log_name, store_spec) = spec.split_once('|').unwrap();
    let store = open(store_spec);
    let log = Log::new(&*store, log_name);
    let mut n = log.size().unwrap();
    let mut out = std::io::stdout().lock();
    loop {
        let entries: Vec<Vec<u8>> = (n..n + BATCH).map(entry).collect();
        log.append(&entries).unwrap();
        n += BATCH;
        writeln!(out, "committed {n}").unwrap();
        out.flush().unwrap();
    }
}

fn crash_round(store_spec: &str, log_name: &str, round: u32) {
    let before = open(store_spec).size(log_name).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{log_name}|{store_spec}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut acked = before;
    // Kill mid-load after a number of acknowledged batches that varies by round.
    let kill_after = 15 + 7 * u64::from(round);
    let mut seen = 0;
    while seen < kill_after {
        match lines.next() {
            Some(Ok(l)) => {
                if let Some(n) = l.strip_prefix("committed ") {
                    acked = n.parse().unwrap();
                    seen += 1;
                }
            }
            _ => break,
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Lines already written before the kill count as acknowledged too.
    for l in lines.map_while(Result::ok) {
        if let Some(n) = l.strip_prefix("committed ") {
            acked = n.parse().unwrap();
        }
    }
    assert!(acked > before, "round {round}: the child committed nothing");

    let store = open(store_spec);
    let log = Log::new(&*store, log_name);
    let size = log.size().unwrap();
    assert!(
        size >= acked,
        "round {round}: acknowledged {acked} entries but the log has {size}"
    );
    assert!(
        size <= acked + BATCH,
        "round {round}: more than one unacknowledged batch"
    );
    assert_eq!(size % BATCH, 0, "round {round}: a batch was half-written");

    let entries = store.read_entries(log_name, 0, size).unwrap();
    let mut reference = MemoryTree::new();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e, &entry(i as u64), "round {round}: entry {i} differs");
        reference.append(merkle::leaf_hash(e));
    }
    let root = log.root(size).unwrap();
    assert_eq!(root, reference.root(), "round {round}: root");
    for i in 0..size {
        let p = log.inclusion_proof(i, size).unwrap();
        merkle::verify_inclusion(i, size, &merkle::leaf_hash(&entries[i as usize]), &p, &root)
            .unwrap();
    }
    for old in (BATCH..=size).step_by(BATCH as usize) {
        let p = log.consistency_proof(old, size).unwrap();
        merkle::verify_consistency(old, size, &reference_root(&entries, old), &root, &p).unwrap();
    }
    eprintln!(
        "round {round}: killed after {acked} acknowledged entries; reopened log has {size}, all proofs hold"
    );
}

fn reference_root(entries: &[Vec<u8>], size: u64) -> [u8; 32] {
    let mut t = MemoryTree::new();
    for e in &entries[..size as usize] {
        t.append(merkle::leaf_hash(e));
    }
    t.root()
}

#[test]
fn sqlite_survives_kill_9() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let spec = format!("sqlite:{}", d.path().join("crash.sqlite").display());
    open(&spec).create("crash.example/log").unwrap();
    for round in 0..3 {
        crash_round(&spec, "crash.example/log", round);
    }
}

#[test]
fn postgres_survives_kill_9() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let Ok(url) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: the PostgreSQL crash test was NOT run");
        return;
    };
    let spec = format!("postgres:{url}");
    let name = format!(
        "crash.example/{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    );
    open(&spec).create(&name).unwrap();
    for round in 0..3 {
        crash_round(&spec, &name, round);
    }
}
