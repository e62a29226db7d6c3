//! Durable append throughput (docs/benchmarks.md): batches of 1, 64 and
//! 1,024 entries of 241 bytes, each batch one durable commit, on SQLite
//! (WAL, synchronous=FULL) and PostgreSQL (synchronous_commit on, when
//! HOTLINE_TEST_DATABASE_URL is set), beside the in-memory store; and the
//! checkpoint interval's work: integrate a batch of 1,024 and sign and store
//! a checkpoint, on every backend.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hotline_log::log::Log;
use hotline_log::memory::MemoryStore;
use hotline_log::note::Ed25519Signer;
use hotline_log::storage::LogStore;
use hotline_store::postgres::PgStore;
use hotline_store::sqlite::SqliteStore;
use sha2::{Digest, Sha256};

/// `n` distinct 241-byte entries, never the same twice in a process (a
/// log of copies of the same entries would measure duplicate-key indexes).
fn entries(n: u64) -> Vec<Vec<u8>> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let first = NEXT.fetch_add(n, Ordering::Relaxed);
    (first..first + n)
        .map(|i| {
            let mut e = Sha256::digest(i.to_be_bytes()).to_vec();
            e.resize(241, 0x2a);
            e
        })
        .collect()
}

fn run(c: &mut Criterion, backend: &str, store: &dyn LogStore) {
    let mut g = c.benchmark_group(format!("append_{backend}"));
    g.measurement_time(Duration::from_secs(4)).sample_size(20);
    for batch in [1u64, 64, 1024] {
        let name = format!("bench.example/{backend}-{batch}-{}", std::process::id());
        store.create(&name).unwrap();
        let log = Log::new(store, &name);
        g.throughput(Throughput::Elements(batch));
        g.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, _| {
            b.iter_batched(
                || entries(batch),
                |es| log.append(black_box(&es)).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();

    // One checkpoint interval: a full batch integrated, then a checkpoint
    // signed over the new root and stored.
    let mut g = c.benchmark_group("checkpoint");
    g.measurement_time(Duration::from_secs(4)).sample_size(20);
    let name = format!("bench.example/{backend}-cp-{}", std::process::id());
    store.create(&name).unwrap();
    let log = Log::new(store, &name);
    let signer = Ed25519Signer::new("bench.example", &[7u8; 32]).unwrap();
    g.bench_function(format!("{backend}_append1024_and_sign"), |b| {
        b.iter_batched(
            || entries(1024),
            |es| {
                log.append(black_box(&es)).unwrap();
                log.sign_checkpoint(&signer).unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn baseline(c: &mut Criterion) {
    let mut g = c.benchmark_group("baseline");
    let block = [0x11u8; 64];
    g.throughput(Throughput::Elements(1));
    g.bench_function("store_sha256_64b_raw", |b| {
        b.iter(|| Sha256::digest(black_box(block)))
    });
    g.finish();
}

fn backends(c: &mut Criterion) {
    baseline(c);
    run(c, "memory", &MemoryStore::default());
    let d = tempfile::tempdir().unwrap();
    run(
        c,
        "sqlite",
        &SqliteStore::open(&d.path().join("bench.sqlite")).unwrap(),
    );
    match std::env::var("HOTLINE_TEST_DATABASE_URL") {
        Ok(url) => run(c, "postgres", &PgStore::connect(&url).unwrap()),
        Err(_) => eprintln!("HOTLINE_TEST_DATABASE_URL not set: PostgreSQL not measured"),
    }
}

criterion_group!(benches, backends);
criterion_main!(benches);
