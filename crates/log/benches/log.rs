//! Log benchmarks (docs/benchmarks.md): appends on the in-memory tree, and
//! proofs and whole-log verification at 1M entries, beside the SHA-256 rate
//! measured in the same run.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hotline_log::log::Log;
use hotline_log::memory::MemoryStore;
use hotline_log::merkle::{self, MemoryTree};
use hotline_log::storage::LogStore;
use hotline_log::tiles::{self, Tile};
use sha2::{Digest, Sha256};

const MILLION: u64 = 1_000_000;

fn entry(i: u64) -> Vec<u8> {
    // About the size of an envelope head.
    let mut e = vec![0u8; 241];
    e[..8].copy_from_slice(&i.to_be_bytes());
    e
}

fn baseline(c: &mut Criterion) {
    let mut g = c.benchmark_group("baseline");
    let block = [0x11u8; 64];
    g.throughput(Throughput::Elements(1));
    g.bench_function("sha256_64b_raw", |b| {
        b.iter(|| Sha256::digest(black_box(block)))
    });
    g.finish();
}

fn appends(c: &mut Criterion) {
    let mut g = c.benchmark_group("append_memory");
    g.measurement_time(Duration::from_secs(3));
    for batch in [1u64, 64, 1024] {
        let entries: Vec<Vec<u8>> = (0..batch).map(entry).collect();
        g.throughput(Throughput::Elements(batch));
        g.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, _| {
            let store = MemoryStore::default();
            store.create("l").unwrap();
            let log = Log::new(&store, "l");
            b.iter(|| log.append(black_box(&entries)).unwrap())
        });
    }
    g.finish();
}

struct Million {
    tree: MemoryTree,
    entries: Vec<Vec<u8>>,
}

fn million() -> Million {
    let entries: Vec<Vec<u8>> = (0..MILLION).map(entry).collect();
    let mut tree = MemoryTree::new();
    for e in &entries {
        tree.append(merkle::leaf_hash(e));
    }
    Million { tree, entries }
}

fn proofs(c: &mut Criterion, m: &Million) {
    let root = m.tree.root();
    let mut g = c.benchmark_group("proofs_1m");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("inclusion_generate", |b| {
        b.iter(|| {
            i = (i + 7919) % MILLION;
            merkle::inclusion_proof(i, MILLION, &m.tree).unwrap()
        })
    });
    let p = merkle::inclusion_proof(123_456, MILLION, &m.tree).unwrap();
    let leaf = merkle::leaf_hash(&m.entries[123_456]);
    g.bench_function("inclusion_verify", |b| {
        b.iter(|| merkle::verify_inclusion(123_456, MILLION, &leaf, black_box(&p), &root).unwrap())
    });
    let mut old = 1u64;
    g.bench_function("consistency_generate", |b| {
        b.iter(|| {
            old = (old + 104_729) % (MILLION - 1) + 1;
            merkle::consistency_proof(old, MILLION, &m.tree).unwrap()
        })
    });
    let old_root = merkle::root(654_321, &m.tree).unwrap();
    let cp = merkle::consistency_proof(654_321, MILLION, &m.tree).unwrap();
    g.bench_function("consistency_verify", |b| {
        b.iter(|| {
            merkle::verify_consistency(654_321, MILLION, &old_root, &root, black_box(&cp)).unwrap()
        })
    });
    g.finish();
}

fn verify_from_tiles(c: &mut Criterion, m: &Million) {
    let root = m.tree.root();
    let mut files: HashMap<Tile, Vec<u8>> = HashMap::new();
    for t in tiles::tiles_changed(0, MILLION) {
        let bytes = match t.level {
            Some(_) => tiles::read_tile(&t, &m.tree).unwrap(),
            None => {
                let lo = (t.index * 256) as usize;
                tiles::encode_bundle(&m.entries[lo..lo + usize::from(t.width)]).unwrap()
            }
        };
        files.insert(t, bytes);
    }
    let mut g = c.benchmark_group("verify_log_1m");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(MILLION));
    g.bench_function("from_tiles", |b| {
        b.iter(|| {
            tiles::verify_log(
                MILLION,
                &root,
                &mut |t| files.get(t).cloned().ok_or_else(|| "missing".into()),
                &mut |_| {},
            )
            .unwrap()
        })
    });
    g.finish();
}

fn at_a_million(c: &mut Criterion) {
    let m = million();
    proofs(c, &m);
    verify_from_tiles(c, &m);
}

criterion_group!(benches, baseline, appends, at_a_million);
criterion_main!(benches);
