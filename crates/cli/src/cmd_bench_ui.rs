//! `hotline bench ui`: how long the web UI's pages take at the server with
//! a large archive (issue 15, "Fast at real sizes": the inbox and a case
//! page under 50 ms, p99, with 10,000 cases and 100,000 messages).
//!
//! The archive is made as a member's sync leaves it, by the real path: it
//! starts `hotline relay serve` as a child process (SQLite in a temporary
//! folder), creates a channel of two parties (north and south, one member
//! each), seals the cases' messages on all cores — openings, then
//! acknowledgements, interims, clarifications, answers and closes, with
//! realistic titles and Markdown bodies, some with a STIX bundle — posts
//! them and syncs south's fresh archive with the client library (every
//! entry verified, every envelope opened and archived, sequencing times
//! from the relay's time attestations). The messages of case *c* are posted
//! in rounds: round *j* holds the *j*-th message of every case that has
//! one, so each case's messages are logged in order while a round's
//! envelopes are posted in parallel batches.
//!
//! Then it serves the real `hotline_ui::router` over that archive in this
//! process and sends it the pages a browser asks for, with a session cookie
//! from `/login` as a browser has: the inbox, the inbox filtered, its
//! fragment, the whole inbox (every row), and case pages of several sizes,
//! each `--runs` times, interleaved; each time is from the request to the
//! last byte of the response body, at the router (no network). The baseline
//! measured in the same run: reading the channel's logged messages from the
//! archive (`Archive::logged_messages`, what deriving the cases starts
//! with). It also times the first page (nothing kept yet: the cases are
//! derived) and the first page after one more message was synced.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hotline_client::archive::{Archive, ChannelRecord};
use hotline_client::relay_client::RelayClient;
use hotline_core::envelope::Envelope;
use hotline_core::ids::{ChannelId, MessageId};
use hotline_core::keys::{KeyId, MemberKeys};
use hotline_core::message::{InnerHeader, Kind, Message, Tlp};
use tower::ServiceExt as _;

use crate::cmd_bench::{bar, bench_channel, percentile, start_relay};
use crate::cmd_bench_sync::{load_average, seal_all, wait_checkpoint};
use crate::{Outcome, out};

/// The port the UI believes it listens on (no socket: requests go to the
/// router directly, with this `Host`).
const PORT: u16 = 9200;
const HOST: &str = "127.0.0.1:9200";
/// The target of issue 15, item 6.
const TARGET_MS: f64 = 50.0;

#[derive(Debug, clap::Args)]
pub struct UiArgs {
    /// Cases in the archive.
    #[arg(long, default_value_t = 10_000)]
    cases: usize,
    /// Messages in the archive, the cases' openings included.
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// Requests of each page.
    #[arg(long, default_value_t = 200)]
    runs: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// splitmix64: the same archive for the same arguments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
}

const WHAT: &[&str] = &[
    "Phishing campaign against",
    "DDoS on the DNS resolvers of",
    "Ransomware at",
    "Credential stuffing against",
    "Scanning from address space of",
    "Defacement of web sites of",
    "Data exfiltration from",
    "Botnet command servers hosted by",
    "Compromised VPN appliances at",
    "Supply-chain implant in software used by",
];
const WHOM: &[&str] = &[
    "the ministry of finance",
    "regional hospitals",
    "the national grid operator",
    "port authorities",
    "a telecom provider",
    "universities",
    "the central bank",
    "municipal water utilities",
    "the electoral commission",
    "air traffic control",
];
const IOC: &[&str] = &[
    "198.51.100.23",
    "203.0.113.77",
    "update-check.example",
    "cdn-sync.example.net",
    "192.0.2.145",
];

/// A Markdown body of `kind` about `title`.
fn body(r: &mut Rng, kind: Kind, title: &str, n: usize) -> String {
    let ioc = r.pick(IOC);
    match kind {
        Kind::Ack => {
            format!("Received, thank you. We are looking into **{title}** (our reference {n:06}).")
        }
        Kind::Interim => format!(
            "## Interim update\n\nOur analysts confirmed part of the activity:\n\n\
             - traffic from `{ioc}` seen on 3 of our networks\n\
             - the hosting provider has been notified\n\n\
             We expect to answer in full within the deadline.\n"
        ),
        Kind::Clarification => format!(
            "Could you share the time window (UTC) and the source ports you saw for `{ioc}`?\n\n\
             > {title}\n\nThis would let us match it against our flow records."
        ),
        Kind::Answer => format!(
            "## Answer\n\nThe infrastructure at `{ioc}` was **taken down** on our side; the operator \
             has been identified and the case handed to law enforcement.\n\n\
             1. servers seized: 2\n2. accounts suspended: 14\n3. indicators shared: see the evidence\n\n\
             See also [our advisory](https://cert.example/advisories/{n}).\n"
        ),
        Kind::Close => "Closing this case: resolved. Thank you for the cooperation.".into(),
        _ => format!(
            "# {title}\n\nSince 02:10 UTC we observe activity that we attribute to infrastructure \
             in your jurisdiction.\n\n\
             ## What we see\n\n\
             - connections to `{ioc}` from {k} hosts\n\
             - a payload with SHA-256 `{h:064x}`\n\n\
             ## What we ask\n\n\
             Please **acknowledge**, and tell us whether you can act on the hosting provider. \
             Indicators are attached where we have them.\n\n\
             | indicator | type | first seen |\n|---|---|---|\n| `{ioc}` | ipv4 / domain | 02:10 UTC |\n",
            k = 3 + n % 40,
            h = n as u128 * 0x9e37_79b9_7f4a_7c15
        ),
    }
}

/// A STIX bundle of a few indicators, unique to `n`.
fn stix(n: usize) -> Vec<u8> {
    let objs: Vec<String> = (0..3)
        .map(|i| {
            let k = n * 3 + i;
            format!(
                r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{:08x}-0000-4000-8000-{:012x}","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z","name":"bench indicator {k}","pattern":"[ipv4-addr:value = '10.{}.{}.{}']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z","indicator_types":["malicious-activity"]}}"#,
                k >> 48,
                k & 0xffff_ffff_ffff,
                (k >> 16) & 0xff,
                (k >> 8) & 0xff,
                k & 0xff
            )
        })
        .collect();
    format!(
        r#"{{"type":"bundle","id":"bundle--{:08x}-0000-4000-8000-000000000000","objects":[{}]}}"#,
        n,
        objs.join(",")
    )
    .into_bytes()
}

/// One message to seal: which party sends it and what it says.
struct Planned {
    north: bool,
    msg: Message,
}

/// The cases: sizes, then each case's messages in order, as rounds.
struct Plan {
    rounds: Vec<Vec<Planned>>,
    /// (case id, messages) of every case.
    cases: Vec<(MessageId, usize)>,
}

fn plan(a: &UiArgs, ch: ChannelId, keys: [(&MemberKeys, KeyId); 2]) -> anyhow::Result<Plan> {
    let mut r = Rng(0x686f_746c_696e_6521);
    // Sizes: a few large cases, the rest of the messages spread at random.
    let mut sizes = vec![1usize; a.cases];
    let mut left = a.messages - a.cases;
    for (i, big) in [400usize, 100, 30].into_iter().enumerate() {
        if i < a.cases && a.cases > 3 {
            let n = (big - 1).min(left / 4);
            sizes[i] += n;
            left -= n;
        }
    }
    while left > 0 {
        let i = r.below(a.cases);
        sizes[i] += 1;
        left -= 1;
    }
    let mut rounds: Vec<Vec<Planned>> = Vec::new();
    let mut cases = Vec::with_capacity(a.cases);
    let mut n = 0usize;
    for (c, &size) in sizes.iter().enumerate() {
        let opener_north = c % 2 == 0;
        let id = MessageId::random(&mut rand_core::OsRng);
        let title = format!("{} {} ({})", r.pick(WHAT), r.pick(WHOM), c + 1);
        let kind = match r.below(10) {
            0 => Kind::Warning,
            1 => Kind::Assistance,
            2 => Kind::Consultation,
            _ => Kind::Inquiry,
        };
        let tlp = [
            Tlp::Clear,
            Tlp::Green,
            Tlp::Amber,
            Tlp::Amber,
            Tlp::AmberStrict,
            Tlp::Red,
        ][r.below(6)];
        // The kinds of the replies: an acknowledgement, interims and
        // clarifications, and an end that sets the state.
        let k = size - 1;
        let end = r.below(4);
        let mut replies: Vec<(Kind, bool)> = Vec::with_capacity(k);
        for j in 0..k {
            let last = j + 1 == k;
            let reply = if j == 0 {
                (Kind::Ack, false)
            } else if last && end == 0 {
                (Kind::Answer, false)
            } else if last && end == 1 {
                (Kind::Close, true)
            } else if j + 2 == k && end == 1 {
                (Kind::Answer, false)
            } else if j % 3 == 1 {
                (Kind::Clarification, true)
            } else if j % 3 == 2 {
                (Kind::Clarification, false)
            } else {
                (Kind::Interim, false)
            };
            replies.push(reply);
        }
        let all = std::iter::once((kind, true)).chain(replies);
        for (j, (kind, by_opener)) in all.enumerate() {
            let north = by_opener == opener_north;
            let (me, party) = if north { keys[0] } else { keys[1] };
            let other = if north { keys[1].1 } else { keys[0].1 };
            let mid = if j == 0 {
                id
            } else {
                MessageId::random(&mut rand_core::OsRng)
            };
            let t = if j == 0 {
                title.clone()
            } else {
                format!("Re: {title}")
            };
            let with_stix = (j == 0 && c % 10 == 0) || (kind == Kind::Answer && c % 7 == 0);
            let mut nonce = [0u8; 16];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
            let msg = Message {
                header: InnerHeader {
                    v: 1,
                    channel: ch,
                    id: mid,
                    case: id,
                    kind,
                    author: me.signing.key_id(),
                    party,
                    created: "2026-12-02T00:00:00Z".into(),
                    to: vec![other],
                    refs: if j == 0 { vec![] } else { vec![id] },
                    title: t,
                    tlp,
                    norm: None,
                    lang: "en".into(),
                    other_langs: vec![],
                    authentic: vec![],
                    attachments: vec![],
                    stix: with_stix,
                    nonce: hex::encode(nonce),
                },
                body: body(&mut r, kind, &title, n),
                other_bodies: vec![],
                attachments: vec![],
                stix: with_stix.then(|| stix(n)),
            };
            if rounds.len() <= j {
                rounds.push(Vec::new());
            }
            rounds[j].push(Planned { north, msg });
            n += 1;
        }
        cases.push((id, size));
    }
    Ok(Plan { rounds, cases })
}

/// Posts `envs` (all from `key`'s member) in parallel batches.
fn post_parallel(
    url: &str,
    ch: &ChannelId,
    key: &hotline_core::keys::SigningKey,
    envs: &[Envelope],
    pb: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    let chunks: Vec<&[Envelope]> = envs.chunks(256).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| -> anyhow::Result<()> {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let (chunks, next, key) = (&chunks, &next, key.clone());
                s.spawn(move || -> anyhow::Result<()> {
                    let c = RelayClient::new(url, key)?;
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(chunk) = chunks.get(k) else {
                            return Ok(());
                        };
                        let r = c.post_envelopes(ch, chunk)?;
                        anyhow::ensure!(r.len() == chunk.len(), "the relay took part of a batch");
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
    })
}

/// Syncs until the archive holds `want` messages, every one dated.
fn sync_until(
    archive: &Archive,
    client: &RelayClient,
    ch: &ChannelId,
    keys: &MemberKeys,
    want: usize,
    pb: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    let t = Instant::now();
    let progress = |done: u64, all: u64| {
        pb.set_length(all);
        pb.set_position(done);
    };
    loop {
        match hotline_client::sync::sync_channel(archive, client, ch, keys, &progress) {
            Ok(_) | Err(hotline_client::sync::SyncError::Incomplete { .. }) => {}
            Err(e) => return Err(e).context("syncing the bench archive"),
        }
        let msgs = archive.logged_messages(ch)?;
        if msgs.len() >= want && msgs.iter().all(|m| m.sequenced_at.is_some()) {
            return Ok(());
        }
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(120),
            "after 120 s the archive holds {} of {want} messages",
            msgs.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Seals the rounds (all cores), posts them round by round, and syncs south.
fn fill(
    p: &Plan,
    url: &str,
    ch: &ChannelId,
    north: &MemberKeys,
    south: &MemberKeys,
    archive: &Archive,
    quiet: bool,
) -> anyhow::Result<()> {
    let all: Vec<&Planned> = p.rounds.iter().flatten().collect();
    let recipients = [north.encryption.public_key(), south.encryption.public_key()];
    let seal = |i: usize| -> anyhow::Result<Envelope> {
        let m = all[i];
        let from = if m.north { north } else { south };
        Ok(Envelope::seal_message(&m.msg, &from.signing, &recipients, &mut rand_core::OsRng)?.0)
    };
    let envs = seal_all(all.len(), &seal)?;
    let pb = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        bar(all.len() as u64, "posting")
    };
    let mut envs = envs.into_iter();
    for round in &p.rounds {
        let (mut n, mut s) = (Vec::new(), Vec::new());
        for (m, e) in round.iter().zip(envs.by_ref().take(round.len())) {
            if m.north { n.push(e) } else { s.push(e) }
        }
        post_parallel(url, ch, &north.signing, &n, &pb)?;
        post_parallel(url, ch, &south.signing, &s, &pb)?;
    }
    pb.finish_and_clear();
    let client = RelayClient::new(url, south.signing.clone())?;
    wait_checkpoint(&client, ch, 3 + all.len() as u64)?;
    let pb = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        bar(all.len() as u64, "syncing")
    };
    sync_until(archive, &client, ch, south, all.len(), &pb)?;
    pb.finish_and_clear();
    Ok(())
}

/// Sends `path` to the router with the session cookie; returns the time
/// to the last byte and the body's size.
async fn request(
    app: &axum::Router,
    cookie: &str,
    path: &str,
) -> anyhow::Result<(Duration, usize)> {
    let req = Request::get(path)
        .header(header::HOST, HOST)
        .header(header::COOKIE, cookie)
        .body(Body::empty())?;
    let t = Instant::now();
    let r = app.clone().oneshot(req).await?;
    let status = r.status();
    let body = axum::body::to_bytes(r.into_body(), usize::MAX).await?;
    let d = t.elapsed();
    anyhow::ensure!(status == StatusCode::OK, "GET {path}: {status}");
    Ok((d, body.len()))
}

/// Logs in as a browser does; returns the `Cookie` header.
async fn login(app: &axum::Router, ui: &hotline_ui::Ui) -> anyhow::Result<String> {
    let req = Request::get(format!("/login?token={}", ui.login_token()))
        .header(header::HOST, HOST)
        .body(Body::empty())?;
    let r = app.clone().oneshot(req).await?;
    anyhow::ensure!(r.status() == StatusCode::SEE_OTHER, "login: {}", r.status());
    let c = r
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .context("login set no cookie")?;
    Ok(c.split(';').next().unwrap_or_default().to_owned())
}

/// One page's figures.
struct PageFigures {
    name: String,
    path: String,
    bytes: usize,
    times: Vec<Duration>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `hotline bench ui`.
pub fn ui_bench(a: &UiArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(a.cases >= 1, "--cases must be at least 1");
    anyhow::ensure!(
        a.messages >= a.cases,
        "--messages must be at least --cases (every case has its opening)"
    );
    anyhow::ensure!(a.runs >= 1, "--runs must be at least 1");
    let dir = tempfile::tempdir()?;
    let load_before = load_average();
    let (relay, url, vkey) = start_relay(&dir.path().join("relay"), None)?;
    let mut rng = rand_core::OsRng;
    let (north_m, south_m) = (
        MemberKeys::generate(&mut rng),
        MemberKeys::generate(&mut rng),
    );
    let (ch, charter, [north, south]) = bench_channel(
        &relay,
        "hotline bench ui",
        &url,
        &vkey,
        std::slice::from_ref(&north_m),
        std::slice::from_ref(&south_m),
    )?;
    let p = plan(
        a,
        ch,
        [(&north_m, north.key_id()), (&south_m, south.key_id())],
    )?;

    // South's archive, filled by a sync.
    let profile = dir.path().join("south");
    std::fs::create_dir_all(&profile)?;
    let archive = Archive::open(&profile)?;
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
    let t = Instant::now();
    fill(&p, &url, &ch, &north_m, &south_m, &archive, a.json)?;
    let fill_secs = t.elapsed().as_secs_f64();
    let archive = Arc::new(archive);

    // The baseline: the raw read of the logged messages.
    let base_runs = a.runs.clamp(1, 5);
    let mut base = Vec::with_capacity(base_runs);
    for _ in 0..base_runs {
        let t = Instant::now();
        let m = archive.logged_messages(&ch)?;
        base.push(t.elapsed());
        anyhow::ensure!(
            m.len() == a.messages,
            "the archive holds {} messages",
            m.len()
        );
    }
    base.sort();
    let base_ms = ms(percentile(&base, 0.5));

    // The cases by size: the largest, one of the median size, the smallest.
    let mut by_size: Vec<(MessageId, usize)> = p.cases.clone();
    by_size.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let pick = |i: usize| by_size[i.min(by_size.len() - 1)];
    let cases = [
        ("case, largest", pick(0)),
        ("case, 3rd largest", pick(2)),
        ("case, median", pick(by_size.len() / 2)),
        ("case, smallest", pick(by_size.len() - 1)),
    ];
    let mut pages: Vec<PageFigures> = [
        ("inbox", "/".to_owned()),
        (
            "inbox, filtered",
            "/?kind=inquiry&state=acknowledged".to_owned(),
        ),
        ("inbox fragment", "/fragment/inbox".to_owned()),
    ]
    .into_iter()
    .chain(
        cases
            .iter()
            .map(|(name, (id, n))| (*name, format!("/case/{}#{n}", id.to_hex()))),
    )
    .chain(std::iter::once((
        "inbox, every row",
        format!("/?shown={}", a.cases),
    )))
    .map(|(name, path)| PageFigures {
        name: name.to_owned(),
        path: path.split('#').next().unwrap_or_default().to_owned(),
        bytes: 0,
        times: Vec::with_capacity(a.runs),
    })
    .collect();
    let case_sizes: Vec<usize> = cases.iter().map(|(_, (_, n))| *n).collect();

    let rt = tokio::runtime::Runtime::new()?;
    let keyring = hotline_client::keyring::Keyring {
        current: south_m.clone(),
        retired: vec![],
    };
    let ui = Arc::new(hotline_ui::Ui::new(archive.clone(), keyring, PORT));
    let app = hotline_ui::router(ui.clone());
    let (first_ms, cookie) = rt.block_on(async {
        let cookie = login(&app, &ui).await?;
        // The first page: nothing kept, the cases derived.
        let (first, _) = request(&app, &cookie, "/").await?;
        let pb = if a.json {
            indicatif::ProgressBar::hidden()
        } else {
            bar((a.runs * pages.len()) as u64, "requests")
        };
        for _ in 0..a.runs {
            for pg in pages.iter_mut() {
                let (d, n) = request(&app, &cookie, &pg.path).await?;
                pg.times.push(d);
                pg.bytes = n;
                pb.inc(1);
            }
        }
        pb.finish_and_clear();
        Ok::<_, anyhow::Error>((ms(first), cookie))
    })?;

    // One more message (an acknowledgement of the smallest case by north),
    // synced: the first page after it derives again.
    let (id, _) = pick(by_size.len() - 1);
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rng, &mut nonce);
    let extra = Message {
        header: InnerHeader {
            v: 1,
            channel: ch,
            id: MessageId::random(&mut rng),
            case: id,
            kind: Kind::Interim,
            author: north_m.signing.key_id(),
            party: north.key_id(),
            created: "2026-12-02T00:00:00Z".into(),
            to: vec![south.key_id()],
            refs: vec![id],
            title: "Re: one more".into(),
            tlp: Tlp::Amber,
            norm: None,
            lang: "en".into(),
            other_langs: vec![],
            authentic: vec![],
            attachments: vec![],
            stix: false,
            nonce: hex::encode(nonce),
        },
        body: "One more message, after the timed requests.".into(),
        other_bodies: vec![],
        attachments: vec![],
        stix: None,
    };
    let env = Envelope::seal_message(
        &extra,
        &north_m.signing,
        &[
            north_m.encryption.public_key(),
            south_m.encryption.public_key(),
        ],
        &mut rng,
    )?
    .0;
    RelayClient::new(&url, north_m.signing.clone())?.post_envelopes(&ch, &[env])?;
    let client = RelayClient::new(&url, south_m.signing.clone())?;
    sync_until(
        &archive,
        &client,
        &ch,
        &south_m,
        a.messages + 1,
        &indicatif::ProgressBar::hidden(),
    )?;
    let (after_change_ms, shows_it) = rt.block_on(async {
        let t = Instant::now();
        let req = Request::get(format!("/case/{}", id.to_hex()))
            .header(header::HOST, HOST)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())?;
        let r = app.clone().oneshot(req).await?;
        let body = axum::body::to_bytes(r.into_body(), usize::MAX).await?;
        let d = t.elapsed();
        let shows =
            String::from_utf8_lossy(&body).contains("One more message, after the timed requests.");
        Ok::<_, anyhow::Error>((ms(d), shows))
    })?;
    anyhow::ensure!(
        shows_it,
        "the case page does not show the message synced last"
    );
    let load_after = load_average();

    let figures: Vec<serde_json::Value> = pages
        .iter_mut()
        .map(|pg| {
            pg.times.sort();
            let p99 = ms(percentile(&pg.times, 0.99));
            serde_json::json!({
                "page": pg.name,
                "path": pg.path,
                "bytes": pg.bytes,
                "p50_ms": ms(percentile(&pg.times, 0.5)),
                "p95_ms": ms(percentile(&pg.times, 0.95)),
                "p99_ms": p99,
                "max_ms": pg.times.last().copied().map(ms).unwrap_or(0.0),
                "p99_to_baseline": p99 / base_ms.max(1e-9),
                "under_target": p99 < TARGET_MS,
            })
        })
        .collect();
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "cases": a.cases,
                "messages": a.messages,
                "runs": a.runs,
                "case_sizes": case_sizes,
                "fill_seconds": fill_secs,
                "baseline_ms": base_ms,
                "first_request_ms": first_ms,
                "after_change_ms": after_change_ms,
                "target_ms": TARGET_MS,
                "pages": figures,
                "load_average": { "before": load_before, "after": load_after },
            }))?
        );
        return Ok(Outcome::Ok);
    }
    out!(
        "ui: {} cases, {} messages (filled and synced in {fill_secs:.1} s), {} requests of each page",
        a.cases,
        a.messages,
        a.runs
    );
    out!(
        "  baseline: reading the logged messages from the archive {base_ms:.1} ms (median of {base_runs})"
    );
    out!(
        "  {:<20} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}  path",
        "page",
        "bytes",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "p99/base"
    );
    for f in &figures {
        out!(
            "  {:<20} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>10.3}  {}{}",
            f["page"].as_str().unwrap_or_default(),
            f["bytes"].as_u64().unwrap_or(0),
            f["p50_ms"].as_f64().unwrap_or(0.0),
            f["p95_ms"].as_f64().unwrap_or(0.0),
            f["p99_ms"].as_f64().unwrap_or(0.0),
            f["max_ms"].as_f64().unwrap_or(0.0),
            f["p99_to_baseline"].as_f64().unwrap_or(0.0),
            f["path"].as_str().unwrap_or_default(),
            if f["under_target"] == true {
                ""
            } else {
                "  (over 50 ms)"
            }
        );
    }
    out!("  case pages of {case_sizes:?} messages");
    out!(
        "  first request (cases derived): {first_ms:.1} ms; first case page after one more message synced: {after_change_ms:.1} ms"
    );
    out!("  load average (1, 5, 15 min): {load_before} before, {load_after} after");
    Ok(Outcome::Ok)
}
