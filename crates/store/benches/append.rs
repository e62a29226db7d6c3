//! Durable append throughput (docs/benchmarks.md): batches of 1, 64 and
//! 1,024 entries of 241 bytes, each batch one durable commit, on SQLite
//! (WAL, synchronous=FULL) and PostgreSQL (synchronous_commit on, when
//! HOTLINE_TEST_DATABASE_URL is set), beside the in-memory store.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hotline_log::log::Log;
use hotline_log::memory::MemoryStore;
use hotline_log::storage::LogStore;
use hotline_store::postgres::PgStore;
use hotline_store::sqlite::SqliteStore;

fn entries(n: u64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let mut e = vec![0u8; 241];
            e[..8].copy_from_slice(&i.to_be_bytes());
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
        let es = entries(batch);
        g.throughput(Throughput::Elements(batch));
        g.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, _| {
            b.iter(|| log.append(black_box(&es)).unwrap())
        });
    }
    g.finish();
}

fn backends(c: &mut Criterion) {
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
