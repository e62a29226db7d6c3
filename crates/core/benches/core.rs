//! Foundation benchmarks (docs/benchmarks.md). Baselines first — raw
//! Ed25519 verify, SHA-256, one X25519 HPKE seal — so every figure can be
//! read as a ratio to what the machine can do in the same run.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signer as _, SigningKey as DalekKey};
use hotline_core::commitment::{self, Part, PartKind};
use hotline_core::envelope::{Envelope, HPKE_INFO, Recipient, Suite};
use hotline_core::hpke_suite;
use hotline_core::ids::{ChannelId, MessageId};
use hotline_core::keys::{KeyId, MemberKeys};
use hotline_core::message::{AttachmentMeta, InnerHeader, Kind, Message, Tlp, sha256_hex};
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::time::Duration;

fn message(author: &MemberKeys, attachment: Vec<u8>) -> Message {
    let id = MessageId::random(&mut OsRng);
    Message {
        header: InnerHeader {
            v: 1,
            channel: ChannelId([1; 16]),
            id,
            case: id,
            kind: Kind::Inquiry,
            author: author.signing.key_id(),
            party: KeyId([2; 32]),
            created: "2026-11-22T10:00:00Z".into(),
            to: vec![KeyId([3; 32])],
            refs: vec![],
            title: "Intrusions into university research networks".into(),
            tlp: Tlp::Amber,
            norm: None,
            lang: "en".into(),
            other_langs: vec![],
            authentic: vec![],
            attachments: vec![AttachmentMeta {
                name: "evidence.bin".into(),
                media_type: "application/octet-stream".into(),
                size: attachment.len() as u64,
                sha256: sha256_hex(&attachment),
            }],
            stix: false,
            nonce: "00112233445566778899aabbccddeeff".into(),
        },
        body: "x".repeat(4096),
        other_bodies: vec![],
        attachments: vec![attachment],
        stix: None,
    }
}

fn baselines(c: &mut Criterion) {
    let mut g = c.benchmark_group("baseline");
    let k = DalekKey::from_bytes(&[7; 32]);
    let msg = [0x42u8; 241];
    let sig = k.sign(&msg);
    let vk = k.verifying_key();
    g.throughput(Throughput::Elements(1));
    g.bench_function("ed25519_verify_raw", |b| {
        b.iter(|| vk.verify_strict(black_box(&msg), &sig).unwrap())
    });
    g.bench_function("ed25519_sign_raw", |b| b.iter(|| k.sign(black_box(&msg))));
    let mib = vec![0x5au8; 1 << 20];
    g.throughput(Throughput::Bytes(mib.len() as u64));
    g.bench_function("sha256_1mib_raw", |b| {
        b.iter(|| Sha256::digest(black_box(&mib)))
    });
    let r = MemberKeys::generate(&mut OsRng);
    g.throughput(Throughput::Elements(1));
    g.bench_function("hpke_seal_32b_raw", |b| {
        b.iter(|| {
            hpke_suite::seal_base(
                &r.encryption.public_key(),
                HPKE_INFO,
                b"aad",
                &[0; 32],
                &mut OsRng,
            )
            .unwrap()
        })
    });
    g.finish();
}

/// Seal and open for 1–1,000 recipients in both suites, side by side in one
/// run (ids `seal/<suite>/<n>`, `open/<suite>/<n>`), so the hybrid suite
/// reads as a ratio to hotline-v1.
fn envelopes(c: &mut Criterion) {
    let sender = MemberKeys::generate(&mut OsRng);
    let m = message(&sender, vec![0xab; 16 * 1024]);
    let mut g = c.benchmark_group("envelope");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    for n in [1usize, 10, 100, 1000] {
        let recips: Vec<MemberKeys> = (0..n).map(|_| MemberKeys::generate(&mut OsRng)).collect();
        for suite in [Suite::V1, Suite::XWing] {
            let key = |k: &MemberKeys| k.encryption_for(suite).unwrap().clone();
            let pks: Vec<_> = recips.iter().map(|k| key(k).public_key()).collect();
            let name = |op: &str| format!("{op}/{}", suite.name());
            g.throughput(Throughput::Elements(1));
            g.bench_with_input(BenchmarkId::new(name("seal"), n), &n, |b, _| {
                b.iter(|| Envelope::seal_message(&m, &sender.signing, &pks, &mut OsRng).unwrap())
            });
            let (env, _) = Envelope::seal_message(&m, &sender.signing, &pks, &mut OsRng).unwrap();
            let bytes = env.to_bytes();
            // Opened as sync opens (`from_bytes_for_opening`: in X-Wing, only
            // our sealed key hashed): the recipient's key parsed once (for
            // X-Wing, its ML-KEM key expanded once), the head verified, the
            // last stanza unwrapped, the content decrypted and checked.
            let last = Recipient::new(&key(&recips[n - 1])).unwrap();
            let vk = sender.signing.verifying_key();
            g.bench_with_input(BenchmarkId::new(name("open"), n), &n, |b, _| {
                b.iter(|| {
                    let env = Envelope::from_bytes_for_opening(black_box(&bytes)).unwrap();
                    let head = env.signed_head().verified(&vk).unwrap();
                    env.open_verified(&head, &last).unwrap()
                })
            });
        }
    }
    g.finish();
}

fn heads(c: &mut Criterion) {
    let sender = MemberKeys::generate(&mut OsRng);
    let m = message(&sender, vec![1; 100]);
    let (env, _) = Envelope::seal_message(
        &m,
        &sender.signing,
        &[sender.encryption.public_key()],
        &mut OsRng,
    )
    .unwrap();
    let head = *env.signed_head();
    let vk = sender.signing.verifying_key();
    let mut g = c.benchmark_group("head");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign", |b| {
        b.iter(|| sender.signing.sign(&black_box(&head.head).signing_input()))
    });
    g.bench_function("verify", |b| {
        b.iter(|| black_box(&head).verify(&vk).unwrap())
    });
    g.finish();
}

fn commitments(c: &mut Criterion) {
    let ten = vec![0x33u8; 10 << 20];
    let parts = vec![
        Part::new(PartKind::Header, vec![b'{'; 600], &mut OsRng),
        Part::new(PartKind::Body, vec![b'x'; 4096], &mut OsRng),
        Part::new(PartKind::Attachment, ten.clone(), &mut OsRng),
    ];
    let mut g = c.benchmark_group("commitment");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(10 << 20));
    g.bench_function("commit_10mib_attachment", |b| {
        b.iter(|| commitment::commit(black_box(&parts)))
    });
    let sender = MemberKeys::generate(&mut OsRng);
    let m = message(&sender, ten);
    let pks = [sender.encryption.public_key()];
    g.bench_function("seal_10mib_attachment", |b| {
        b.iter(|| Envelope::seal_message(&m, &sender.signing, &pks, &mut OsRng).unwrap())
    });
    let (env, _) = Envelope::seal_message(&m, &sender.signing, &pks, &mut OsRng).unwrap();
    let bytes = env.to_bytes();
    g.bench_function("open_10mib_attachment", |b| {
        b.iter(|| {
            Envelope::from_bytes(&bytes)
                .unwrap()
                .open(&sender.signing.verifying_key(), &sender.encryption)
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, baselines, envelopes, heads, commitments);
criterion_main!(benches);
