//! `hotline bench sync`: how fast a member's client syncs a large log.
//!
//! Starts `hotline relay serve` as a child process (SQLite in a temporary
//! folder), creates a channel with one sender and one recipient, seals N
//! messages to the recipient on all cores and posts them in batches, then
//! times, with the client library into a fresh archive, (1) a cold sync of
//! everything (every entry and checkpoint verified, every envelope fetched,
//! checked against its head, opened and archived) and (2) an incremental
//! sync of one more message. The baselines measured in the same run: strict
//! Ed25519 verifications per second on one core, and reading the same
//! entries and envelopes from the relay with no checks at all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hotline_client::archive::{Archive, ChannelRecord};
use hotline_client::relay_client::RelayClient;
use hotline_core::envelope::Envelope;
use hotline_core::ids::{ChannelId, MessageId};
use hotline_core::keys::{MemberKeys, SigningKey};
use hotline_core::message::{InnerHeader, Kind, Message, Tlp};

use crate::cmd_bench::{bar, bench_channel, start_relay};
use crate::{Outcome, out};

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Envelopes in the log, all addressed to the syncing member.
    #[arg(long, default_value_t = 100_000)]
    envelopes: usize,
    /// Envelopes per request when filling the log.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// One inquiry from `from` (of party `party`) to `to`.
fn seal_one(
    ch: ChannelId,
    from: &MemberKeys,
    party: hotline_core::keys::KeyId,
    to_party: hotline_core::keys::KeyId,
    to: &MemberKeys,
    i: usize,
) -> anyhow::Result<Envelope> {
    let mut rng = rand_core::OsRng;
    let id = MessageId::random(&mut rng);
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rng, &mut nonce);
    let msg = Message {
        header: InnerHeader {
            v: 1,
            channel: ch,
            id,
            case: id,
            kind: Kind::Inquiry,
            author: from.signing.key_id(),
            party,
            created: "2026-11-23T00:00:00Z".into(),
            to: vec![to_party],
            refs: vec![],
            title: format!("bench inquiry {i}"),
            tlp: Tlp::Amber,
            norm: None,
            lang: "en".into(),
            other_langs: vec![],
            authentic: vec![],
            attachments: vec![],
            stix: false,
            nonce: hex::encode(nonce),
        },
        body: format!("bench message {i}: an inquiry about an incident, with a reference number"),
        other_bodies: vec![],
        attachments: vec![],
        stix: None,
    };
    Ok(Envelope::seal_message(&msg, &from.signing, &[to.encryption.public_key()], &mut rng)?.0)
}

/// Seals `n` inquiries on all cores, in order.
pub(crate) fn seal_all(
    n: usize,
    seal: &(dyn Fn(usize) -> anyhow::Result<Envelope> + Sync),
) -> anyhow::Result<Vec<Envelope>> {
    let pb = bar(n as u64, "sealing");
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let per: Vec<Vec<(usize, Envelope)>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let pb = pb.clone();
                s.spawn(move || -> anyhow::Result<Vec<(usize, Envelope)>> {
                    let mut v = Vec::new();
                    for i in (t..n).step_by(threads) {
                        v.push((i, seal(i)?));
                        pb.inc(1);
                    }
                    Ok(v)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a sealing thread panicked")))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    pb.finish_and_clear();
    let mut all: Vec<(usize, Envelope)> = per.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, e)| e).collect())
}

/// Waits until the relay's checkpoint covers `want` entries.
pub(crate) fn wait_checkpoint(c: &RelayClient, ch: &ChannelId, want: u64) -> anyhow::Result<()> {
    let t = Instant::now();
    loop {
        let note = hotline_log::note::Note::parse(&c.checkpoint(ch)?)?;
        let cp = hotline_log::checkpoint::Checkpoint::parse(&note.text)?;
        if cp.size >= want {
            return Ok(());
        }
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(60),
            "no checkpoint of size {want} after 60 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The CPU time (user and system, in seconds, all threads) process `pid`
/// has used so far, from `/proc/PID/stat` (Linux, in ticks of USER_HZ,
/// 100 a second), if it can be read.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (in parentheses) start at the 3rd;
    // utime and stime are the 14th and 15th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// The load average (1, 5, 15 min) from `/proc/loadavg`.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

pub fn sync_bench(a: &SyncArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(a.envelopes >= 1, "--envelopes must be at least 1");
    anyhow::ensure!(a.batch >= 1 && a.batch <= 1024, "--batch must be 1 to 1024");
    let dir = tempfile::tempdir()?;
    let (relay_proc, url, vkey) = start_relay(&dir.path().join("relay"), None)?;
    let mut rng = rand_core::OsRng;
    let (sender, recipient) = (
        MemberKeys::generate(&mut rng),
        MemberKeys::generate(&mut rng),
    );
    let (ch, charter, [north, south]) = bench_channel(
        &relay_proc,
        "hotline bench sync",
        &url,
        &vkey,
        std::slice::from_ref(&sender),
        std::slice::from_ref(&recipient),
    )?;
    let (np, sp) = (north.key_id(), south.key_id());

    // The log: N inquiries from the sender to the recipient.
    let seal = |i: usize| seal_one(ch, &sender, np, sp, &recipient, i);
    let envs = seal_all(a.envelopes + 1, &seal)?;
    let (envs, last) = envs.split_at(a.envelopes);
    let poster = RelayClient::new(&url, sender.signing.clone())?;
    let pb = bar(a.envelopes as u64, "posting");
    let chunks: Vec<&[Envelope]> = envs.chunks(a.batch).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| -> anyhow::Result<()> {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let (pb, url, key, chunks, next) =
                    (pb.clone(), &url, sender.signing.clone(), &chunks, &next);
                s.spawn(move || -> anyhow::Result<()> {
                    let c = RelayClient::new(url, key)?;
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(chunk) = chunks.get(k) else {
                            return Ok(());
                        };
                        let r = c.post_envelopes(&ch, chunk)?;
                        anyhow::ensure!(
                            r.len() == chunk.len(),
                            "the relay answered {} of {}",
                            r.len(),
                            chunk.len()
                        );
                        pb.inc(chunk.len() as u64);
                    }
                })
            })
            .collect();
        for h in hs {
            h.join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a posting thread panicked")))?;
        }
        Ok(())
    })?;
    pb.finish_and_clear();
    let total = 3 + a.envelopes as u64;
    wait_checkpoint(&poster, &ch, total)?;

    // The recipient's fresh archive.
    let profile = tempfile::tempdir()?;
    let archive = Archive::open(profile.path())?;
    archive.add_channel(&ChannelRecord {
        id: ch,
        origin: format!(
            "{}/{}",
            vkey.split('+').next().unwrap_or_default(),
            ch.to_hex()
        ),
        relay_url: url.clone(),
        relay_vkey: vkey.clone(),
        charter: charter.to_json(),
    })?;
    let client = RelayClient::new(&url, recipient.signing.clone())?;

    // Baseline 1: the same entries and envelopes read with no checks.
    let load_before = load_average();
    let t = Instant::now();
    let mut read = 0u64;
    let mut at = 0u64;
    while at < total {
        let p = client.entries(&ch, at, 1024)?;
        anyhow::ensure!(!p.entries.is_empty(), "the relay served no entry at {at}");
        at += p.entries.len() as u64;
    }
    let mut at = 0u64;
    while at < total {
        let p = client.envelopes(&ch, at, 1024)?;
        anyhow::ensure!(
            p.next > at,
            "the relay's envelope page at {at} covers nothing"
        );
        read += p.envelopes.len() as u64;
        at = p.next;
    }
    let read_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        read == a.envelopes as u64,
        "read {read} envelopes, not {}",
        a.envelopes
    );

    // Baseline 2: strict Ed25519 verifications on one core.
    let key = SigningKey::generate(&mut rng);
    let msg = [7u8; 241];
    let sig = key.sign(&msg);
    let vk = key.verifying_key();
    let m = 20_000u32;
    let t = Instant::now();
    for _ in 0..m {
        std::hint::black_box(vk.verify(std::hint::black_box(&msg), &sig)).ok();
    }
    let ed_per_sec = f64::from(m) / t.elapsed().as_secs_f64();
    // Baseline 3: opening one envelope (its head verified once) on one core.
    let probe = seal_one(ch, &sender, np, sp, &recipient, 0)?;
    let proof = probe
        .signed_head()
        .verified(&sender.signing.verifying_key())?;
    let rk = hotline_core::envelope::Recipient::new(&recipient.encryption)?;
    let m = 2_000u32;
    let t = Instant::now();
    for _ in 0..m {
        std::hint::black_box(probe.open_verified(&proof, std::hint::black_box(&rk))).ok();
    }
    let open_per_sec = f64::from(m) / t.elapsed().as_secs_f64();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    // What the cores could do with nothing but a verification and an
    // opening per envelope (no HTTP, no SQLite, no relay on the same cores).
    let crypto_bound = cores / (1.0 / ed_per_sec + 1.0 / open_per_sec);

    // Cold sync.
    let pb = Arc::new(bar(total, "cold sync"));
    let progress = {
        let pb = pb.clone();
        move |done: u64, all: u64| {
            pb.set_length(all);
            pb.set_position(done);
        }
    };
    let relay_pid = relay_proc.id().to_string();
    let cpu_before = (cpu_seconds("self"), cpu_seconds(&relay_pid));
    let t = Instant::now();
    let cold = hotline_client::sync::sync_channel(&archive, &client, &ch, &recipient, &progress)
        .context("the cold sync")?;
    let cold_secs = t.elapsed().as_secs_f64();
    // Core-seconds the cold sync took, in this process and in the relay's.
    let cold_cpu = match (cpu_before, (cpu_seconds("self"), cpu_seconds(&relay_pid))) {
        ((Some(c0), Some(r0)), (Some(c1), Some(r1))) => Some((c1 - c0, r1 - r0)),
        _ => None,
    };
    pb.finish_and_clear();
    let load_cold = load_average();
    anyhow::ensure!(
        cold.opened == a.envelopes as u64 && cold.pending == 0,
        "the cold sync opened {} of {} envelopes ({} pending)",
        cold.opened,
        a.envelopes,
        cold.pending
    );
    let cold_rate = a.envelopes as f64 / cold_secs;

    // Incremental sync of one more message.
    let r = poster.post_envelopes(&ch, last)?;
    anyhow::ensure!(r.len() == 1, "the relay did not take the last envelope");
    wait_checkpoint(&poster, &ch, total + 1)?;
    let t = Instant::now();
    let inc = hotline_client::sync::sync_channel(&archive, &client, &ch, &recipient, &|_, _| {})
        .context("the incremental sync")?;
    let inc_ms = t.elapsed().as_secs_f64() * 1e3;
    anyhow::ensure!(
        inc.new_entries == 1 && inc.opened == 1,
        "the incremental sync took {} entries and opened {}",
        inc.new_entries,
        inc.opened
    );
    drop(relay_proc);

    let read_rate = a.envelopes as f64 / read_secs;
    let report = serde_json::json!({
        "envelopes": a.envelopes,
        "cold_sync": { "seconds": cold_secs, "envelopes_per_second": cold_rate, "receipt": cold.receipt },
        "cold_sync_cpu_seconds": cold_cpu.map(|(c, r)| serde_json::json!({ "client": c, "relay": r })),
        "incremental_sync_ms": inc_ms,
        "baseline_read_without_checks": { "seconds": read_secs, "envelopes_per_second": read_rate },
        "baseline_ed25519_verify_per_second_one_core": ed_per_sec,
        "ratio_cold_to_read": cold_rate / read_rate,
        "ratio_cold_to_ed25519_one_core": cold_rate / ed_per_sec,
        "baseline_open_per_second_one_core": open_per_sec,
        "crypto_bound_all_cores_per_second": crypto_bound,
        "ratio_cold_to_crypto_bound": cold_rate / crypto_bound,
        "load_average": { "before": load_before, "after_cold_sync": load_cold, "end": load_average() },
    });
    if a.json {
        out!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        out!(
            "cold sync: {} envelopes in {cold_secs:.2} s = {cold_rate:.0} envelopes/s (verified, opened, archived)",
            a.envelopes
        );
        if let Some((c, r)) = cold_cpu {
            out!(
                "cold sync CPU time: {c:.2} s in the client + {r:.2} s in the relay = {:.2} core-seconds \
                 ({cores} cores for {cold_secs:.2} s: {:.2})",
                c + r,
                cores * cold_secs
            );
        }
        out!("incremental sync of 1 entry: {inc_ms:.1} ms");
        out!(
            "baseline, reading the same entries and envelopes with no checks: {read_secs:.2} s = {read_rate:.0} envelopes/s; \
             cold sync/read = {:.2}",
            cold_rate / read_rate
        );
        out!(
            "baseline, strict Ed25519 verifications on one core: {ed_per_sec:.0}/s; cold sync/that = {:.2}",
            cold_rate / ed_per_sec
        );
        out!(
            "baseline, opening an envelope (head verified once) on one core: {open_per_sec:.0}/s; \
             one verification and one opening each on all {cores} cores: {crypto_bound:.0}/s; cold sync/that = {:.2}",
            cold_rate / crypto_bound
        );
        out!(
            "load average (1, 5, 15 min): {load_before} before, {load_cold} after the cold sync, {} at the end",
            load_average()
        );
    }
    Ok(Outcome::Ok)
}
