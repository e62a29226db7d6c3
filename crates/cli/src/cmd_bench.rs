//! `hotline bench relay`: a load benchmark of the relay over HTTP.
//!
//! Starts `hotline relay serve` as a child process (SQLite in a temporary
//! folder, or `--database`), creates a channel with N members, seals the
//! envelopes beforehand, then measures (1) sustained durable appends per
//! second with every member posting batches as fast as the relay takes them,
//! and (2) latency at a fixed offered rate of single-envelope requests,
//! timed from each request's scheduled start (so a stall is not hidden).
//! The baseline measured in the same run: appending the same entries to a
//! log in a fresh SQLite store directly, with no HTTP, no verification.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hotline_client::relay_client::RelayClient;
use hotline_core::charter::{Charter, CharterParty, Deadline, DisclosureRule, RelayInfo};
use hotline_core::commitment::{Part, PartKind};
use hotline_core::dsse::SignedDocument;
use hotline_core::envelope::Envelope;
use hotline_core::ids::ChannelId;
use hotline_core::keys::{MemberKeys, SigningKey};
use hotline_core::message::{Kind, Tlp};
use hotline_core::roster::{Roster, RosterMember};

use crate::{Outcome, out};

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Load-test a relay over HTTP: sustained appends/s, and latency at a fixed rate.
    Relay(RelayArgs),
    /// Time a member's cold sync of a large log, then an incremental sync of one entry.
    Sync(crate::cmd_bench_sync::SyncArgs),
    /// Time paging through a large collection of the TAXII 2.1 server (an archive filled
    /// directly, no relay: the server, not sync), optionally against OASIS's medallion.
    Taxii(crate::cmd_bench_taxii::TaxiiArgs),
    /// Time the web UI's pages at the server (p50/p95/p99) over an archive of many cases,
    /// synced from a relay in this run, against reading the archive's messages.
    Ui(crate::cmd_bench_ui::UiArgs),
    /// Time the offline verification of a disclosure bundle, against raw Ed25519
    /// verifications measured in the same run.
    Verify {
        /// The bundle (e.g. the demo's disclosure.json).
        file: std::path::PathBuf,
        /// Verifications to time.
        #[arg(long, default_value_t = 200)]
        iterations: u32,
    },
}

#[derive(Debug, clap::Args)]
pub struct RelayArgs {
    /// Use PostgreSQL at URL (the relay's tables are created there) instead of SQLite.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Simulated members, each posting from its own thread.
    #[arg(long, default_value_t = 8)]
    members: usize,
    /// Relay processes sharing the PostgreSQL database (with --database), with the
    /// same key: members and senders are spread over them.
    #[arg(long, default_value_t = 1)]
    relays: usize,
    /// Envelopes per request in the throughput phase.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Channels of the throughput phase (each with every member): member i posts to
    /// channel i mod N through relay process i mod --relays, so that with as many
    /// channels as processes each process sequences its own. The latency phase uses
    /// the first.
    #[arg(long, default_value_t = 1)]
    channels: usize,
    /// Envelopes sealed for the throughput phase (it ends when they are posted).
    #[arg(long, default_value_t = 100_000)]
    envelopes: usize,
    /// Offered rate (envelopes/s, one per request) of the latency phase.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Concurrent senders in the latency phase (each waits for its answer).
    #[arg(long, default_value_t = 32)]
    senders: usize,
    /// Length of the latency phase, seconds.
    #[arg(long, default_value_t = 10)]
    latency_secs: u64,
    /// After the latency phase, run it again while other clients flood the relay
    /// (unsigned requests, bad signatures, replays, oversized bodies, slowloris),
    /// and report both, with the relay's resident memory.
    #[arg(long)]
    hostile: bool,
    /// Slow connections held open by the slowloris attacker (with --hostile).
    #[arg(long, default_value_t = 256)]
    slow_connections: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: &BenchCommand) -> anyhow::Result<Outcome> {
    match cmd {
        BenchCommand::Relay(a) => relay(a),
        BenchCommand::Sync(a) => crate::cmd_bench_sync::sync_bench(a),
        BenchCommand::Taxii(a) => crate::cmd_bench_taxii::taxii_bench(a),
        BenchCommand::Ui(a) => crate::cmd_bench_ui::ui_bench(a),
        BenchCommand::Verify { file, iterations } => verify_bench(file, *iterations),
    }
}

fn verify_bench(file: &std::path::Path, iterations: u32) -> anyhow::Result<Outcome> {
    use anyhow::Context as _;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let n = iterations.max(1);
    let r = hotline_disclosure::verify(&bytes);
    if r.verdict != hotline_disclosure::Verdict::Valid {
        anyhow::bail!(
            "{} does not verify as valid; time a valid bundle",
            file.display()
        );
    }
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(hotline_disclosure::verify(std::hint::black_box(&bytes)));
    }
    let per = t.elapsed().as_secs_f64() / f64::from(n);
    // Baseline, same run: one strict Ed25519 verification.
    let key = SigningKey::generate(&mut rand_core::OsRng);
    let msg = [7u8; 241];
    let sig = key.sign(&msg);
    let vk = key.verifying_key();
    let m = 20 * n;
    let t = Instant::now();
    for _ in 0..m {
        std::hint::black_box(vk.verify(std::hint::black_box(&msg), &sig)).ok();
    }
    let ed = t.elapsed().as_secs_f64() / f64::from(m);
    out!(
        "verify {}: {} bytes, {} checks, {:.3} ms per verification ({n} runs)",
        file.display(),
        bytes.len(),
        r.checks.len(),
        per * 1e3
    );
    out!(
        "baseline: one Ed25519 verification {:.1} µs; a bundle costs {:.0} of them",
        ed * 1e6,
        per / ed
    );
    Ok(Outcome::Ok)
}

pub(crate) struct RelayProcess {
    child: Child,
    /// The relay's admission file: [`bench_channel`] admits its parties there.
    pub admit_file: PathBuf,
}

impl RelayProcess {
    /// The relay's process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_relay(
    data: &Path,
    database: Option<&str>,
) -> anyhow::Result<(RelayProcess, String, String)> {
    // No party is admitted until bench_channel makes its two.
    hotline_store::files::create_private_dir(data)
        .with_context(|| format!("creating {}", data.display()))?;
    let admit_file = data.join("admitted-parties");
    std::fs::write(&admit_file, "# parties bench_channel admits\n")?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args([
        "relay",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--name",
        "bench.hotline.test",
    ])
    .arg("--data")
    .arg(data)
    .arg("--admit-file")
    .arg(&admit_file)
    .env("HOTLINE_PASSPHRASE", "hotline bench relay")
    .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
    .env("HOTLINE_RELAY_RATE_PER_SECOND", "1000000")
    .env("HOTLINE_RELAY_RATE_BURST", "1000000")
    .env("HOTLINE_LOG", "warn")
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    if let Some(db) = database {
        cmd.args(["--database", db]);
    }
    let mut child = cmd.spawn().context("starting hotline relay serve")?;
    let stdout = child.stdout.take().context("the relay's stdout")?;
    let guard = RelayProcess { child, admit_file };
    let mut r = BufReader::new(stdout);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("relay listening on ")
        .with_context(|| format!("the relay did not start: {line:?}"))?
        .to_owned();
    line.clear();
    r.read_line(&mut line)?;
    let vkey = line
        .trim()
        .strip_prefix("relay key ")
        .unwrap_or_default()
        .to_owned();
    Ok((guard, url, vkey))
}

pub(crate) fn bar(len: u64, what: &'static str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(len).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>12} [{bar:40}] {pos}/{len} ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b.set_message(what);
    b
}

fn seal(ch: ChannelId, from: &MemberKeys, to: &MemberKeys, i: usize) -> anyhow::Result<Envelope> {
    let mut rng = rand_core::OsRng;
    let body = format!("bench message {i}: an acknowledgement of receipt with a reference number");
    let parts = vec![Part::new(PartKind::Body, body.into_bytes(), &mut rng)];
    Ok(Envelope::seal(
        ch,
        &from.signing,
        &[to.encryption.public_key()],
        &parts,
        &mut rng,
    )?)
}

/// Seals `n` envelopes round-robin over the members, on all cores; member
/// `i`'s in channel `chs[i % chs.len()]`.
fn seal_many(
    chs: &[ChannelId],
    members: &Arc<Vec<MemberKeys>>,
    n: usize,
    what: &'static str,
) -> anyhow::Result<Vec<Vec<Envelope>>> {
    let pb = bar(n as u64, what);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let m = members.len();
    let per: Vec<Vec<(usize, Envelope)>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let pb = pb.clone();
                let members = members.clone();
                s.spawn(move || -> anyhow::Result<Vec<(usize, Envelope)>> {
                    let mut v = Vec::new();
                    for i in (t..n).step_by(threads) {
                        let from = i % m;
                        let ch = chs[from % chs.len()];
                        v.push((from, seal(ch, &members[from], &members[(from + 1) % m], i)?));
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
    let mut out: Vec<Vec<Envelope>> = (0..m).map(|_| Vec::new()).collect();
    for (from, e) in per.into_iter().flatten() {
        out[from].push(e);
    }
    Ok(out)
}

/// A bench channel on the relay at `url` (key `relay_vkey`): two fresh
/// parties, `north` and `south`, each with a first roster listing its
/// members (proofs of possession included). Returns the channel, its signed
/// charter and the two party keys. Shared by `bench relay` and `bench sync`.
pub(crate) fn bench_channel(
    relay: &RelayProcess,
    title: &str,
    url: &str,
    relay_vkey: &str,
    north_members: &[MemberKeys],
    south_members: &[MemberKeys],
) -> anyhow::Result<(ChannelId, SignedDocument, [SigningKey; 2])> {
    let mut rng = rand_core::OsRng;
    let (north, south) = (
        SigningKey::generate(&mut rng),
        SigningKey::generate(&mut rng),
    );
    let party = |short: &str, k: &SigningKey| CharterParty {
        id: k.key_id(),
        name: format!("{short} CERT"),
        short: short.into(),
        key: k.verifying_key().to_base64(),
    };
    let mut deadlines = BTreeMap::new();
    deadlines.insert(
        Kind::Inquiry,
        Deadline {
            ack_within: Some(86_400),
            answer_within: Some(30 * 86_400),
        },
    );
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rng, &mut nonce);
    let charter = Charter {
        v: 1,
        title: title.into(),
        nonce: hex::encode(nonce),
        created: "2026-11-23T00:00:00Z".into(),
        parties: vec![party("north", &north), party("south", &south)],
        relay: RelayInfo {
            url: url.to_owned(),
            key: relay_vkey.to_owned(),
        },
        witnesses: vec![],
        witness_quorum: 0,
        deadlines,
        disclosure: DisclosureRule::Unanimous,
        default_tlp: Tlp::Amber,
        retention_days: 30,
        suite: "hotline-v1".into(),
    };
    let mut doc = charter.to_document()?;
    doc.sign(&north);
    doc.sign(&south);
    let mut admitted = std::fs::OpenOptions::new()
        .append(true)
        .open(&relay.admit_file)
        .with_context(|| format!("opening {}", relay.admit_file.display()))?;
    writeln!(admitted, "{}\n{}", north.key_id(), south.key_id())?;
    drop(admitted);
    let ch = RelayClient::new(url, north.clone())?.create_channel(&doc)?;
    for (k, members) in [(&north, north_members), (&south, south_members)] {
        let r = Roster {
            v: 1,
            channel: ch,
            party: k.key_id(),
            version: 1,
            previous: None,
            issued: "2026-11-23T00:00:00Z".into(),
            members: members
                .iter()
                .enumerate()
                .map(|(i, m)| RosterMember::new(&ch, &k.key_id(), &format!("bench member {i}"), m))
                .collect(),
        };
        let mut d = r.to_document()?;
        d.sign(k);
        RelayClient::new(url, k.clone())?.post_roster(&ch, &d)?;
    }
    Ok((ch, doc, [north, south]))
}

/// CPU seconds (user and system) used so far by the relay processes, by
/// PostgreSQL's server processes on this machine (every process named
/// `postgres`, when the database is used) and by this process, from
/// `/proc/<pid>/stat` (Linux; in USER_HZ, 100 per second); 0 where unreadable.
struct CpuUse {
    relays: f64,
    postgres: f64,
    bench: f64,
}

impl CpuUse {
    fn now(relays: &[u32], postgres: bool) -> CpuUse {
        let of = |pid: &str| -> f64 {
            let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return 0.0;
            };
            // Fields after the command name, which is in parentheses.
            let rest = s.rsplit_once(')').map_or("", |r| r.1);
            let f: Vec<&str> = rest.split_whitespace().collect();
            let tick = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            // utime and stime: fields 14 and 15 of stat, 12 and 13 after the name.
            (tick(11) + tick(12)) as f64 / 100.0
        };
        let postgres = if postgres {
            std::fs::read_dir("/proc")
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
                .filter(|p| {
                    std::fs::read_to_string(format!("/proc/{p}/comm"))
                        .is_ok_and(|c| c.trim() == "postgres")
                })
                .map(|p| of(&p))
                .sum()
        } else {
            0.0
        };
        CpuUse {
            relays: relays.iter().map(|p| of(&p.to_string())).sum(),
            postgres,
            bench: of("self"),
        }
    }

    fn since(&self, before: &CpuUse) -> CpuUse {
        CpuUse {
            relays: self.relays - before.relays,
            postgres: self.postgres - before.postgres,
            bench: self.bench - before.bench,
        }
    }
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn relay(a: &RelayArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(a.members >= 2, "--members must be at least 2");
    anyhow::ensure!(a.batch >= 1 && a.batch <= 1024, "--batch must be 1 to 1024");
    anyhow::ensure!(a.rate >= 1, "--rate must be at least 1");
    anyhow::ensure!(
        (1..=64).contains(&a.channels) && a.channels <= a.members,
        "--channels must be 1 to 64, and at most --members (each channel needs a poster)"
    );
    anyhow::ensure!(
        (1..=4).contains(&a.relays) && (a.relays == 1 || a.database.is_some()),
        "--relays must be 1 to 4, and more than 1 only with --database (processes share PostgreSQL)"
    );
    let dir = tempfile::tempdir()?;
    let (relay_proc, url, vkey) = start_relay(&dir.path().join("relay"), a.database.as_deref())?;
    // More processes with the same key (same identity, same origins).
    let mut others = Vec::new();
    let mut urls = vec![url.clone()];
    for i in 1..a.relays {
        let data = dir.path().join(format!("relay-{i}"));
        hotline_store::files::create_private_dir(&data)?;
        for f in [hotline_relay::key::KEY_FILE, hotline_relay::key::VKEY_FILE] {
            std::fs::copy(dir.path().join("relay").join(f), data.join(f))?;
        }
        let (p, u, k) = start_relay(&data, a.database.as_deref())?;
        anyhow::ensure!(k == vkey, "relay process {i} did not take the shared key");
        others.push(p);
        urls.push(u);
    }
    let urls = Arc::new(urls);
    let backend = if a.database.is_some() {
        "postgresql"
    } else {
        "sqlite"
    };

    // A channel: two parties, the members split between them.
    let mut rng = rand_core::OsRng;
    let members: Arc<Vec<MemberKeys>> = Arc::new(
        (0..a.members)
            .map(|_| MemberKeys::generate(&mut rng))
            .collect(),
    );
    let half = a.members / 2;
    let chs = (0..a.channels)
        .map(|_| {
            bench_channel(
                &relay_proc,
                "hotline bench relay",
                &url,
                &vkey,
                &members[..half],
                &members[half..],
            )
            .map(|c| c.0)
        })
        .collect::<anyhow::Result<Vec<ChannelId>>>()?;
    let ch = chs[0];

    // Phase 1: throughput.
    let envs = seal_many(&chs, &members, a.envelopes, "sealing")?;
    let per_channel: Vec<u64> = (0..chs.len())
        .map(|c| {
            envs.iter()
                .enumerate()
                .filter(|(i, _)| i % chs.len() == c)
                .map(|(_, e)| e.len() as u64)
                .sum()
        })
        .collect();
    let entries: Vec<Vec<u8>> = envs
        .iter()
        .flatten()
        .map(|e| e.to_bytes()[..241].to_vec())
        .collect();
    let acked = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let pb = bar(a.envelopes as u64, "throughput");
    let postgres = a.database.is_some();
    let relay_pids: Vec<u32> = std::iter::once(relay_proc.id())
        .chain(others.iter().map(RelayProcess::id))
        .collect();
    let cpu0 = CpuUse::now(&relay_pids, postgres);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for (i, mine) in envs.into_iter().enumerate() {
            let (acked, failed, pb) = (acked.clone(), failed.clone(), pb.clone());
            let url = urls[i % urls.len()].clone();
            let ch = chs[i % chs.len()];
            let key = members[i].signing.clone();
            let batch = a.batch;
            s.spawn(move || {
                let Ok(c) = RelayClient::new(&url, key) else {
                    failed.fetch_add(mine.len(), Ordering::Relaxed);
                    return;
                };
                for chunk in mine.chunks(batch) {
                    match c.post_envelopes(&ch, chunk) {
                        Ok(r) => {
                            acked.fetch_add(r.len() as u64, Ordering::Relaxed);
                            pb.inc(r.len() as u64);
                        }
                        Err(e) => {
                            if failed.fetch_add(chunk.len(), Ordering::Relaxed) == 0 {
                                eprintln!("a post failed: {e}");
                            }
                        }
                    }
                }
            });
        }
    });
    let elapsed = t0.elapsed();
    let cpu = CpuUse::now(&relay_pids, postgres).since(&cpu0);
    pb.finish_and_clear();
    let acked = acked.load(Ordering::Relaxed);
    let throughput = acked as f64 / elapsed.as_secs_f64();
    let failed = failed.load(Ordering::Relaxed);

    // The checkpoint catches up within the interval (of the first channel,
    // whose envelopes were all acknowledged unless some failed).
    let t_cp = Instant::now();
    let want = 3 + if failed == 0 { per_channel[0] } else { 0 };
    let reader = RelayClient::new(&url, members[0].signing.clone())?;
    let checkpoint_lag = loop {
        let note = hotline_log::note::Note::parse(&reader.checkpoint(&ch)?)?;
        let cp = hotline_log::checkpoint::Checkpoint::parse(&note.text)?;
        if cp.size >= want {
            break t_cp.elapsed();
        }
        anyhow::ensure!(
            t_cp.elapsed() < Duration::from_secs(30),
            "no checkpoint of size {want} after 30 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    };

    // Phase 2: latency at a fixed offered rate, one envelope per request.
    let n2 = (a.rate * a.latency_secs) as usize;
    let mut lat = latency(a, &urls, ch, &members, "latency")?;
    // Phase 3 (--hostile): the same, under attack.
    let hostile = if a.hostile {
        let before = crate::cmd_bench_hostile::memory_kib(relay_proc.id());
        let flood = crate::cmd_bench_hostile::Flood::start(
            &url,
            ch,
            &members[0].signing,
            a.slow_connections,
        );
        // Let the floods reach full strength first.
        std::thread::sleep(Duration::from_secs(2));
        let mut under = latency(a, &urls, ch, &members, "under attack")?;
        let during = crate::cmd_bench_hostile::memory_kib(relay_proc.id());
        let tally = flood.stop();
        under.sort();
        Some((under, tally, before, during))
    } else {
        None
    };
    // The relay's own view: batches committed and their mean size and time.
    let per: Vec<(u64, f64, f64)> = urls.iter().map(|u| relay_metrics(u)).collect();
    let batches: u64 = per.iter().map(|m| m.0).sum();
    let metrics = (
        batches,
        per.iter().map(|m| m.1 * m.0 as f64).sum::<f64>() / (batches.max(1) as f64),
        per.iter().map(|m| m.2 * m.0 as f64).sum::<f64>() / (batches.max(1) as f64),
    );
    drop(others);
    lat.sort();
    let ok2 = lat.len();
    let (p50, p99, max) = (
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or_default(),
    );
    drop(relay_proc);

    // Baseline: the same entries appended to a log directly (SQLite, batches of 1024).
    let base_dir = tempfile::tempdir()?;
    let store = hotline_store::sqlite::SqliteStore::open(&base_dir.path().join("baseline.sqlite"))?;
    let log = hotline_log::log::Log::new(&store, "bench/baseline");
    hotline_log::storage::LogStore::create(&store, "bench/baseline")?;
    let tb = Instant::now();
    for chunk in entries.chunks(1024) {
        log.append(chunk)?;
    }
    let baseline = entries.len() as f64 / tb.elapsed().as_secs_f64();

    let report = serde_json::json!({
        "backend": backend,
        "relays": a.relays,
        "channels": a.channels,
        "members": a.members,
        "batch": a.batch,
        "throughput": {
            "envelopes": acked, "failed": failed, "seconds": elapsed.as_secs_f64(),
            "envelopes_per_second": throughput,
            "cpu_seconds": {"relays": cpu.relays, "postgresql": cpu.postgres, "bench": cpu.bench},
            "cores_busy": (cpu.relays + cpu.postgres + cpu.bench) / elapsed.as_secs_f64(),
            "cpu_us_per_envelope": (cpu.relays + cpu.postgres + cpu.bench) * 1e6 / (acked.max(1) as f64),
            "checkpoint_after_last_ack_ms": checkpoint_lag.as_secs_f64() * 1e3,
        },
        "latency": {
            "offered_per_second": a.rate, "senders": a.senders, "requests": n2, "ok": ok2,
            "p50_ms": p50.as_secs_f64() * 1e3, "p99_ms": p99.as_secs_f64() * 1e3, "max_ms": max.as_secs_f64() * 1e3,
        },
        "relay_batches": metrics.0, "relay_mean_batch_entries": metrics.1, "relay_mean_batch_ms": metrics.2,
        "baseline_log_only_sqlite_per_second": baseline,
        "ratio_to_baseline": throughput / baseline,
    });
    let mut report = report;
    let mut hostile_ok = true;
    if let Some((under, tally, before, during)) = &hostile {
        let (hp50, hp99, hmax) = (
            percentile(under, 0.50),
            percentile(under, 0.99),
            under.last().copied().unwrap_or_default(),
        );
        hostile_ok = under.len() == n2;
        let sent: u64 = tally.values().flat_map(|m| m.values()).sum();
        report["hostile"] = serde_json::json!({
            "requests": n2, "ok": under.len(),
            "p50_ms": hp50.as_secs_f64() * 1e3, "p99_ms": hp99.as_secs_f64() * 1e3, "max_ms": hmax.as_secs_f64() * 1e3,
            "p99_ratio_to_quiet": hp99.as_secs_f64() / p99.as_secs_f64().max(1e-9),
            "attack_answers": tally, "attack_requests": sent,
            "slow_connections": a.slow_connections,
            "relay_rss_kib_before": before.map(|m| m.0),
            "relay_rss_kib_under_attack": during.map(|m| m.0),
            "relay_peak_rss_kib": during.map(|m| m.1),
        });
    }
    if a.json {
        out!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        out!(
            "{} relay process(es) on {backend}, {} channel(s), {} members, batches of {}",
            a.relays,
            a.channels,
            a.members,
            a.batch
        );
        out!(
            "throughput: {acked} envelopes in {:.2} s = {throughput:.0} envelopes/s durable ({failed} failed)",
            elapsed.as_secs_f64()
        );
        let total = cpu.relays + cpu.postgres + cpu.bench;
        out!(
            "  CPU: relays {:.2} s, PostgreSQL {:.2} s, this bench {:.2} s = {:.1} cores busy, {:.0} µs per envelope",
            cpu.relays,
            cpu.postgres,
            cpu.bench,
            total / elapsed.as_secs_f64(),
            total * 1e6 / acked.max(1) as f64
        );
        out!(
            "  checkpoint covering the last one: {:.0} ms after it was acknowledged",
            checkpoint_lag.as_secs_f64() * 1e3
        );
        out!(
            "latency at {} envelopes/s offered ({ok2} of {n2} ok): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            a.rate,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3
        );
        out!(
            "relay: {} durable batches, {:.1} entries and {:.2} ms each on average (both phases)",
            metrics.0,
            metrics.1,
            metrics.2
        );
        out!(
            "baseline, the same entries appended to a SQLite log directly: {baseline:.0}/s; relay/baseline = {:.2}",
            throughput / baseline
        );
        if let Some(h) = report.get("hostile") {
            let ms = |k: &str| h[k].as_f64().unwrap_or(0.0);
            out!(
                "under attack ({} attack requests and {} slow connections meanwhile): {} of {n2} ok, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; p99 under attack / quiet = {:.2}",
                h["attack_requests"],
                a.slow_connections,
                h["ok"],
                ms("p50_ms"),
                ms("p99_ms"),
                ms("max_ms"),
                ms("p99_ratio_to_quiet")
            );
            if let Some(t) = h["attack_answers"].as_object() {
                for (kind, answers) in t {
                    out!("  {kind}: {answers}");
                }
            }
            let kib = |k: &str| {
                h[k].as_u64()
                    .map_or("?".to_owned(), |v| format!("{:.1} MiB", v as f64 / 1024.0))
            };
            out!(
                "relay resident memory: {} before, {} under attack, peak {}",
                kib("relay_rss_kib_before"),
                kib("relay_rss_kib_under_attack"),
                kib("relay_peak_rss_kib")
            );
        }
    }
    Ok(if failed == 0 && ok2 == n2 && hostile_ok {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}

/// One latency phase: `rate × latency_secs` single-envelope requests on a
/// fixed schedule from `senders` threads, each latency measured from its
/// request's scheduled time; the latencies of those acknowledged.
fn latency(
    a: &RelayArgs,
    urls: &[String],
    ch: ChannelId,
    members: &Arc<Vec<MemberKeys>>,
    what: &'static str,
) -> anyhow::Result<Vec<Duration>> {
    let n2 = (a.rate * a.latency_secs) as usize;
    let envs2 = seal_many(&[ch], members, n2, "sealing")?;
    // Many senders, so that arrivals stay on schedule while earlier
    // requests are in flight (an open loop, as independent members are).
    let threads = a.senders.max(1);
    let all: Vec<Envelope> = envs2.into_iter().flatten().collect();
    let mut per_thread: Vec<Vec<(usize, Envelope)>> = (0..threads).map(|_| Vec::new()).collect();
    for (slot, e) in all.into_iter().enumerate() {
        per_thread[slot % threads].push((slot, e));
    }
    let interval = Duration::from_secs_f64(1.0 / a.rate as f64);
    let pb = bar(n2 as u64, what);
    let start = Instant::now() + Duration::from_millis(200);
    let lat: Vec<Duration> = std::thread::scope(|s| {
        let hs: Vec<_> = per_thread
            .into_iter()
            .enumerate()
            .map(|(t, mine)| {
                let (url, pb) = (urls[t % urls.len()].clone(), pb.clone());
                let key = members[t % members.len()].signing.clone();
                s.spawn(move || {
                    let mut out = Vec::with_capacity(mine.len());
                    let Ok(c) = RelayClient::new(&url, key) else {
                        return out;
                    };
                    for (slot, e) in &mine {
                        let at = start + interval * (*slot as u32);
                        if let Some(wait) = at.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        if c.post_envelopes(&ch, std::slice::from_ref(e)).is_ok() {
                            out.push(Instant::now().duration_since(at));
                        }
                        pb.inc(1);
                    }
                    out
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    pb.finish_and_clear();
    Ok(lat)
}

/// (batches, mean entries per batch, mean batch time in ms) from `/metrics`.
fn relay_metrics(url: &str) -> (u64, f64, f64) {
    let text = ureq::get(format!("{url}/metrics"))
        .call()
        .ok()
        .and_then(|mut r| r.body_mut().read_to_string().ok())
        .unwrap_or_default();
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    let batches = value("hotline_relay_batches_total");
    let appends = value("hotline_relay_appends_total");
    let secs = value("hotline_relay_batch_seconds_sum");
    let n = value("hotline_relay_batch_seconds_count").max(1.0);
    (batches as u64, appends / batches.max(1.0), secs / n * 1e3)
}
