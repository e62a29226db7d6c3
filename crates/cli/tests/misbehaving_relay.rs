//! A relay that misbehaves on purpose, over HTTP, and the client catching
//! each lie (DESIGN §5): a fork (two relay processes with the same key and
//! diverging logs), a replayed old checkpoint, an entry withheld, dropped or
//! moved, an envelope body that is not the logged one, and a post the relay
//! acknowledges but never sequences. The lies are told by a proxy
//! (`common/proxy.rs`) in front of real relay binaries; every signature the
//! client sees is the real relay key's.

mod common;

use common::proxy::Proxy;
use common::*;
use hotline_client::archive::{Archive, ChannelRecord};
use hotline_client::relay_client::RelayClient;
use hotline_client::sync::{SyncError, sync_channel, sync_channel_with};
use hotline_core::dsse::SignedDocument;
use hotline_core::ids::ChannelId;
use hotline_core::keys::{MemberKeys, SigningKey};
use std::path::Path;
use std::time::Duration;

struct World {
    dir: tempfile::TempDir,
    name: String,
    relay: Relay,
    proxy: Proxy,
    charter: SignedDocument,
    ch: ChannelId,
    origin: String,
    north: SigningKey,
    south: SigningKey,
    n1: MemberKeys,
    s1: MemberKeys,
}

impl World {
    /// A relay with a channel between north and south (charter pointing at
    /// the proxy), both rosters, and `posts` envelopes from n1 to s1.
    fn new(posts: usize) -> World {
        World::build(posts, false).0
    }

    /// As [`World::new`], the charter naming one witness (quorum 1): a real
    /// `hotline witness` process following the relay's log, which the relay
    /// sends every checkpoint to. Returns it too.
    fn with_witness(posts: usize) -> (World, std::process::Child, String) {
        let (w, witness) = World::build(posts, true);
        let (child, vkey) = witness.unwrap();
        (w, child, vkey)
    }

    fn build(posts: usize, witness: bool) -> (World, Option<(std::process::Child, String)>) {
        let dir = tempfile::tempdir().unwrap();
        let name = unique("liar");
        let relay = start(&dir.path().join("relay"), &name, None);
        let proxy = Proxy::start(&relay.url);
        let (north, south) = (
            SigningKey::generate(&mut rand_core::OsRng),
            SigningKey::generate(&mut rand_core::OsRng),
        );
        let (n1, s1) = (
            MemberKeys::generate(&mut rand_core::OsRng),
            MemberKeys::generate(&mut rand_core::OsRng),
        );
        let wdir = dir.path().join("witness");
        let mut witnesses = vec![];
        let mut wport = 0;
        if witness {
            let w = |args: &[&str]| {
                let o = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
                    .arg("witness")
                    .args(args)
                    .arg("--data")
                    .arg(&wdir)
                    .env("HOTLINE_PASSPHRASE", "witness test passphrase")
                    .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                String::from_utf8(o.stdout).unwrap().trim().to_owned()
            };
            w(&["init", "--name", "witness.test/w1"]);
            let vkey = w(&["key"]);
            wport = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            witnesses.push(hotline_core::charter::WitnessInfo {
                key: vkey,
                url: format!("http://127.0.0.1:{wport}"),
            });
        }
        let charter = charter_doc_at(
            &proxy.url,
            &relay.vkey,
            &[("north", &north), ("south", &south)],
            "0123456789abcdef0123456789abcdef",
            witnesses.clone(),
        );
        let ch = hotline_core::charter::VerifiedCharter::verify(&charter)
            .unwrap()
            .channel();
        let origin = format!("{name}/{}", ch.to_hex());
        let witness = witnesses.first().map(|info| {
            let run = |args: &[&str]| {
                let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"));
                c.arg("witness")
                    .args(args)
                    .arg("--data")
                    .arg(&wdir)
                    .env("HOTLINE_PASSPHRASE", "witness test passphrase")
                    .env("HOTLINE_INSECURE_KDF_LOG_N", "10");
                c
            };
            let o = run(&["add-log", "--origin", &origin, "--key", &relay.vkey])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let mut child = run(&["serve", "--listen", &format!("127.0.0.1:{wport}")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let mut line = String::new();
            std::io::BufRead::read_line(
                &mut std::io::BufReader::new(child.stdout.take().unwrap()),
                &mut line,
            )
            .unwrap();
            assert!(line.starts_with("witness listening on "), "{line:?}");
            (child, info.key.clone())
        });
        let direct = RelayClient::new(&relay.url, north.clone()).unwrap();
        assert_eq!(direct.create_channel(&charter).unwrap(), ch);
        direct
            .post_roster(&ch, &roster(ch, &north, 1, None, &[&n1]))
            .unwrap();
        RelayClient::new(&relay.url, south.clone())
            .unwrap()
            .post_roster(&ch, &roster(ch, &south, 1, None, &[&s1]))
            .unwrap();
        let w = World {
            dir,
            origin,
            name,
            relay,
            proxy,
            charter,
            ch,
            north,
            south,
            n1,
            s1,
        };
        for i in 0..posts {
            w.post(&w.relay.url, &format!("message {i}"));
        }
        (w, witness)
    }

    /// The operator copies the relay (key and log) while it is stopped and
    /// runs both: `self.relay` is the original, restarted; the copy is
    /// returned. The proxy still points at the original.
    fn fork(&mut self) -> Relay {
        let (a, b) = (self.dir.path().join("relay"), self.dir.path().join("copy"));
        halt(&mut self.relay);
        copy_dir(&a, &b);
        self.relay = start(&a, &self.name, None);
        let url = self.relay.url.clone();
        self.proxy.set(|l| l.upstream = url);
        start(&b, &self.name, None)
    }

    /// Posts an envelope from n1 to s1 directly to the relay at `url` and
    /// waits until a checkpoint covers it and the time attestation the relay
    /// logs after it (so each post adds two entries: the head, then the
    /// attestation dating it).
    fn post(&self, url: &str, body: &str) -> u64 {
        let c = RelayClient::new(url, self.n1.signing.clone()).unwrap();
        let i = c
            .post_envelopes(
                &self.ch,
                &[sealed(
                    self.ch,
                    &self.n1,
                    &self.north,
                    &self.s1,
                    &self.south,
                    body,
                )],
            )
            .unwrap()[0]
            .index;
        wait_checkpoint(&c, &self.ch, i + 2, &self.relay.vkey);
        i
    }

    /// Waits until a signed checkpoint covers a log in which a time
    /// attestation dates every head, and which holds at least `heads` heads;
    /// returns its size and the heads' indexes.
    fn settle(&self, n: usize) -> (u64, Vec<u64>) {
        use hotline_core::entry::Entry;
        let c = RelayClient::new(&self.relay.url, self.s1.signing.clone()).unwrap();
        let t = std::time::Instant::now();
        loop {
            let (_, cp) = wait_checkpoint(&c, &self.ch, 1, &self.relay.vkey);
            let (mut heads, mut dated, mut at) = (Vec::new(), 0, 0);
            while at < cp.size {
                let page = c.entries(&self.ch, at, (cp.size - at).min(1024)).unwrap();
                for e in &page.entries {
                    match Entry::from_bytes(&base64_dec(&e.entry)).unwrap() {
                        Entry::Head(_) => heads.push(e.index),
                        Entry::Time(n) => {
                            let note = hotline_log::note::Note::parse(n.as_bytes()).unwrap();
                            dated = hotline_log::checkpoint::Checkpoint::parse(&note.text)
                                .unwrap()
                                .size;
                        }
                        _ => {}
                    }
                }
                at = page.entries.last().map_or(cp.size, |e| e.index + 1);
            }
            if heads.len() >= n && heads.last().is_none_or(|&h| h < dated) {
                return (cp.size, heads);
            }
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "the relay dated not every head within 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A fresh archive for s1 following the channel, and s1's client of the
    /// proxy.
    fn client(&self) -> (tempfile::TempDir, Archive, RelayClient) {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        a.add_channel(&ChannelRecord {
            id: self.ch,
            origin: self.origin.clone(),
            relay_url: self.proxy.url.clone(),
            relay_vkey: self.relay.vkey.clone(),
            charter: self.charter.to_json(),
        })
        .unwrap();
        let c = RelayClient::new(&self.proxy.url, self.s1.signing.clone()).unwrap();
        (d, a, c)
    }

    fn mirror_size_of(&self, a: &Archive) -> u64 {
        hotline_log::storage::LogStore::size(&a.log, &self.origin).unwrap()
    }

    fn sync(&self, a: &Archive, c: &RelayClient) -> Result<u64, SyncError> {
        sync_channel(a, c, &self.ch, &self.s1, &|_, _| {}).map(|o| o.size)
    }
}

/// Syncs and expects an alarm of `kind`, recorded in the archive with
/// evidence.
fn expect_alarm(w: &World, a: &Archive, c: &RelayClient, kind: &str) {
    match w.sync(a, c) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, kind, "{al:?}");
            assert!(!al.evidence.is_empty(), "the alarm keeps its evidence");
        }
        other => panic!("expected a {kind} alarm, got {other:?}"),
    }
    let stored = a.alarms().unwrap();
    assert!(
        stored.iter().any(|s| s.kind == kind),
        "the {kind} alarm is persistent: {stored:?}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn a_fork_between_two_relays_with_the_same_key_is_caught() {
    let mut w = World::new(0);
    let relay_b = w.fork();
    assert_eq!(w.relay.vkey, relay_b.vkey, "one key, two logs");
    w.post(&w.relay.url, "shown to south");
    w.post(&relay_b.url, "shown to others");
    w.post(&relay_b.url, "and more");
    let upstream = |url: &str| {
        let url = url.to_owned();
        w.proxy.set(|l| l.upstream = url)
    };

    // South verified relay A's log of 5 entries (charter, two rosters, a
    // head and its time attestation); relay B's log of 7 is not an
    // extension of it.
    let (_p1, a1, c) = w.client();
    assert_eq!(w.sync(&a1, &c).unwrap(), 5);
    upstream(&relay_b.url);
    match w.sync(&a1, &c) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "fork", "{al:?}");
            assert_eq!(al.evidence.len(), 2, "both signed checkpoints are kept");
        }
        other => panic!("expected a fork alarm, got {other:?}"),
    }
    // Nothing of B's log was written to the mirror.
    assert_eq!(
        hotline_log::storage::LogStore::size(&a1.log, &w.origin).unwrap(),
        5
    );

    // Same size, different roots: B's checkpoint of size 5 (from its
    // history) against A's.
    let (_p2, a2, c) = w.client();
    upstream(&w.relay.url);
    assert_eq!(w.sync(&a2, &c).unwrap(), 5);
    let b4 = RelayClient::new(&relay_b.url, w.s1.signing.clone())
        .unwrap()
        .checkpoint_at(&w.ch, 5)
        .unwrap();
    upstream(&relay_b.url);
    w.proxy.set(|l| l.checkpoint = Some(b4));
    match w.sync(&a2, &c) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "fork", "{al:?}");
            assert!(al.detail.contains("different roots"), "{}", al.detail);
            assert_eq!(al.evidence.len(), 2);
        }
        other => panic!("expected a fork alarm, got {other:?}"),
    }
    stop(w.relay);
    stop(relay_b);
}

#[test]
fn a_replayed_old_checkpoint_is_caught() {
    let w = World::new(1);
    let (_d, a, c) = w.client();
    assert_eq!(w.sync(&a, &c).unwrap(), 5);
    let old = c.checkpoint(&w.ch).unwrap();
    w.post(&w.relay.url, "later");
    assert_eq!(w.sync(&a, &c).unwrap(), 7);
    w.proxy.set(|l| l.checkpoint = Some(old));
    expect_alarm(&w, &a, &c, "stale-checkpoint");
    stop(w.relay);
}

#[test]
fn a_withheld_entry_is_caught() {
    let w = World::new(3);
    let (_d, a, c) = w.client();
    w.proxy.set(|l| l.withhold = Some(4));
    expect_alarm(&w, &a, &c, "withheld-entry");
    assert_eq!(
        hotline_log::storage::LogStore::size(&a.log, &w.origin).unwrap(),
        0,
        "nothing is mirrored from a sync that failed"
    );
    // The relay tells the truth again: the sync completes.
    w.proxy.set(|l| l.withhold = None);
    assert_eq!(w.sync(&a, &c).unwrap(), 9);
    stop(w.relay);
}

#[test]
fn a_dropped_entry_is_caught() {
    let w = World::new(3);
    let (_d, a, c) = w.client();
    assert_eq!(w.sync(&a, &c).unwrap(), 9);
    w.post(&w.relay.url, "one");
    w.post(&w.relay.url, "two");
    // The relay shows a log without entry 9, the rest moved up: one entry
    // short of the checkpoint it signed, and the entry it serves at 9 is
    // not the one there.
    w.proxy.set(|l| l.drop = Some(9));
    expect_alarm(&w, &a, &c, "withheld-entry");
    let al = a.alarms().unwrap();
    assert!(al[0].detail.contains("entry 12"), "{}", al[0].detail);
    assert_eq!(
        hotline_log::storage::LogStore::size(&a.log, &w.origin).unwrap(),
        9
    );
    stop(w.relay);
}

#[test]
fn reordered_entries_are_caught() {
    let w = World::new(3);
    let (_d, a, c) = w.client();
    w.proxy.set(|l| l.swap = Some((3, 5)));
    expect_alarm(&w, &a, &c, "fork");
    stop(w.relay);
}

#[test]
fn an_envelope_that_is_not_the_logged_one_is_caught() {
    let w = World::new(1);
    let (_d, a, c) = w.client();
    w.proxy.set(|l| l.corrupt_envelope = Some(3));
    expect_alarm(&w, &a, &c, "bad-envelope");
    assert!(
        !receipt_of(&w.relay.url, &w.ch, &w.s1.signing, 5),
        "a substituted body is not received: no receipt"
    );
    // It was not received: when the relay serves the logged envelope, it is
    // opened, and only then receipted.
    w.proxy.set(|l| l.corrupt_envelope = None);
    assert_eq!(w.sync(&a, &c).unwrap(), 5);
    assert_eq!(a.messages(&w.ch).unwrap().len(), 1);
    assert!(receipt_of(&w.relay.url, &w.ch, &w.s1.signing, 5));
    stop(w.relay);
}

#[test]
fn the_first_forged_head_signature_in_log_order_is_the_alarm() {
    // Enough heads to be verified on every core.
    let w = World::new(0);
    let c = RelayClient::new(&w.relay.url, w.n1.signing.clone()).unwrap();
    let envs: Vec<_> = (0..150)
        .map(|i| sealed(w.ch, &w.n1, &w.north, &w.s1, &w.south, &format!("m{i}")))
        .collect();
    for chunk in envs.chunks(50) {
        c.post_envelopes(&w.ch, chunk).unwrap();
    }
    // Time attestations fall between the heads where the relay's ticks
    // came: the heads' indexes are read from the log.
    let (size, heads) = w.settle(150);
    let (_d, a, sc) = w.client();
    w.proxy
        .set(|l| l.forge_entries = vec![heads[137], heads[74]]);
    match w.sync(&a, &sc) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "bad-entry");
            assert!(
                al.detail
                    .starts_with(&format!("entry {}: its signature", heads[74])),
                "{}",
                al.detail
            );
        }
        other => panic!("expected a bad-entry alarm, got {other:?}"),
    }
    assert_eq!(
        w.mirror_size_of(&a),
        0,
        "nothing of a bad batch is mirrored"
    );
    w.proxy.set(|l| l.forge_entries.clear());
    assert_eq!(w.sync(&a, &sc).unwrap(), size);
    assert_eq!(a.messages(&w.ch).unwrap().len(), 150);
    stop(w.relay);
}

#[test]
fn rosters_are_indexed_as_they_are_mirrored_and_old_archives_scanned_once() {
    let w = World::new(1);
    let (_d, a, c) = w.client();
    assert_eq!(w.sync(&a, &c).unwrap(), 5);
    assert_eq!(a.roster_indexes(&w.origin, u64::MAX).unwrap(), vec![1, 2]);
    // North adds a member, who writes: the directory of the next sync,
    // rebuilt from the indexed rosters, knows them.
    let n2 = MemberKeys::generate(&mut rand_core::OsRng);
    let direct = RelayClient::new(&w.relay.url, w.north.clone()).unwrap();
    let v1 = roster(w.ch, &w.north, 1, None, &[&w.n1]);
    direct
        .post_roster(&w.ch, &roster(w.ch, &w.north, 2, Some(&v1), &[&w.n1, &n2]))
        .unwrap();
    wait_checkpoint(&direct, &w.ch, 6, &w.relay.vkey);
    let as_n2 = RelayClient::new(&w.relay.url, n2.signing.clone()).unwrap();
    as_n2
        .post_envelopes(
            &w.ch,
            &[sealed(w.ch, &n2, &w.north, &w.s1, &w.south, "from n2")],
        )
        .unwrap();
    wait_checkpoint(&direct, &w.ch, 8, &w.relay.vkey);
    assert_eq!(w.sync(&a, &c).unwrap(), 8);
    assert_eq!(
        a.roster_indexes(&w.origin, u64::MAX).unwrap(),
        vec![1, 2, 5]
    );
    assert_eq!(a.roster_indexes(&w.origin, 5).unwrap(), vec![1, 2]);
    assert_eq!(a.messages(&w.ch).unwrap().len(), 2);
    // An archive whose mirror an earlier version wrote, with no roster list:
    // scanned once, then synced as any other.
    let (_d2, old, c2) = w.client();
    let entries: Vec<Vec<u8>> = c2
        .entries(&w.ch, 0, 8)
        .unwrap()
        .entries
        .iter()
        .map(|e| base64_dec(&e.entry))
        .collect();
    hotline_log::log::Log::new(&old.log, &w.origin)
        .append(&entries)
        .unwrap();
    assert_eq!(
        old.roster_indexes(&w.origin, u64::MAX).unwrap(),
        vec![1, 2, 5]
    );
    w.post(&w.relay.url, "after");
    assert_eq!(w.sync(&old, &c2).unwrap(), 10);
    assert_eq!(
        old.roster_indexes(&w.origin, u64::MAX).unwrap(),
        vec![1, 2, 5]
    );
    stop(w.relay);
}

#[test]
fn a_long_log_is_mirrored_in_steps_each_checked_against_a_signed_checkpoint() {
    // Each post (a head, then its time attestation) is in its own
    // checkpoints: sizes 3 (charter, rosters), 4 … 13.
    let w = World::new(5);
    let (_d, a, c) = w.client();
    let mut opts = hotline_client::sync::SyncOptions::default();
    opts.max_append = 3;
    let sync = |a: &Archive| sync_channel_with(a, &c, &w.ch, &w.s1, &|_, _| {}, &opts);
    // Steps of at most 3 entries; the relay reorders two entries of the
    // last step: the steps before it, each checked against a checkpoint the
    // relay signed, stay mirrored; the last is not.
    w.proxy.set(|l| l.swap = Some((6, 7)));
    match sync(&a) {
        Err(SyncError::Alarm(al)) => assert_eq!(al.kind, "fork", "{al:?}"),
        other => panic!("expected a fork alarm, got {other:?}"),
    }
    let mirrored = w.mirror_size_of(&a);
    assert!(
        (3..=6).contains(&mirrored),
        "only verified steps are mirrored: {mirrored}"
    );
    w.proxy.set(|l| l.swap = None);
    let o = sync(&a).unwrap();
    assert_eq!((o.size, w.mirror_size_of(&a)), (13, 13));
    assert_eq!(a.messages(&w.ch).unwrap().len(), 5);
    assert_eq!(o.receipt, Some(13));
    // A fresh archive, in steps, with no lie: the same log.
    let (_d2, b, _) = w.client();
    assert_eq!(sync(&b).unwrap().size, 13);
    assert_eq!(b.messages(&w.ch).unwrap().len(), 5);
    stop(w.relay);
}

#[test]
fn envelopes_are_fetched_a_page_at_a_time() {
    let w = World::new(5);
    let (_d, a, c) = w.client();
    assert_eq!(w.sync(&a, &c).unwrap(), 13);
    assert_eq!(a.messages(&w.ch).unwrap().len(), 5);
    let l = w.proxy.lies.lock().unwrap().clone();
    assert_eq!(
        (l.envelope_page_gets, l.single_envelope_gets),
        (1, 0),
        "five envelopes in one page request, none alone"
    );
    stop(w.relay);
}

#[test]
fn envelopes_of_a_page_the_relay_refuses_are_fetched_one_by_one() {
    let w = World::new(3);
    let (_d, a, c) = w.client();
    w.proxy.set(|l| l.refuse_envelope_pages = true);
    assert_eq!(w.sync(&a, &c).unwrap(), 9);
    assert_eq!(a.messages(&w.ch).unwrap().len(), 3);
    assert_eq!(w.proxy.lies.lock().unwrap().single_envelope_gets, 3);
    assert!(a.alarms().unwrap().is_empty(), "a refused page is no lie");
    stop(w.relay);
}

#[test]
fn a_page_serving_envelopes_under_each_others_index_is_caught() {
    let w = World::new(2);
    let (_d, a, c) = w.client();
    w.proxy.set(|l| l.swap_in_pages = Some((3, 5)));
    expect_alarm(&w, &a, &c, "bad-envelope");
    assert!(
        a.messages(&w.ch).unwrap().is_empty(),
        "a body served under another's index is not received"
    );
    assert!(!receipt_of(&w.relay.url, &w.ch, &w.s1.signing, 7));
    w.proxy.set(|l| l.swap_in_pages = None);
    assert_eq!(w.sync(&a, &c).unwrap(), 7);
    assert_eq!(a.messages(&w.ch).unwrap().len(), 2);
    assert!(receipt_of(&w.relay.url, &w.ch, &w.s1.signing, 7));
    stop(w.relay);
}

#[test]
fn an_acknowledged_post_that_is_never_logged_is_caught() {
    let w = World::new(1);
    // n1 posts through the lying relay, which acknowledges at index 4 and
    // drops the envelope.
    let d = tempfile::tempdir().unwrap();
    let a = Archive::open(d.path()).unwrap();
    a.add_channel(&ChannelRecord {
        id: w.ch,
        origin: w.origin.clone(),
        relay_url: w.proxy.url.clone(),
        relay_vkey: w.relay.vkey.clone(),
        charter: w.charter.to_json(),
    })
    .unwrap();
    let c = RelayClient::new(&w.proxy.url, w.n1.signing.clone()).unwrap();
    sync_channel(&a, &c, &w.ch, &w.n1, &|_, _| {}).unwrap();
    w.proxy.set(|l| l.swallow_posts_at = Some(5));
    let env = sealed(w.ch, &w.n1, &w.north, &w.s1, &w.south, "never logged");
    let leaf = hotline_log::merkle::leaf_hash(&env.signed_head().to_bytes());
    let acc = c.post_envelopes(&w.ch, &[env]).unwrap();
    assert_eq!(acc[0].index, 5);
    let r = hotline_client::compose::confirm_within(
        &a,
        &c,
        &w.ch,
        &w.n1,
        5,
        &leaf,
        Duration::from_secs(2),
    );
    assert!(r.is_err());
    let alarms = a.alarms().unwrap();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(alarms[0].kind, "missing-entry");

    // Acknowledged at an index the relay then fills with another entry.
    w.proxy.set(|l| l.swallow_posts_at = Some(5));
    let env = sealed(w.ch, &w.n1, &w.north, &w.s1, &w.south, "also never logged");
    let leaf = hotline_log::merkle::leaf_hash(&env.signed_head().to_bytes());
    c.post_envelopes(&w.ch, &[env]).unwrap();
    w.post(&w.relay.url, "someone else's");
    let r = hotline_client::compose::confirm_within(
        &a,
        &c,
        &w.ch,
        &w.n1,
        5,
        &leaf,
        Duration::from_secs(2),
    );
    assert!(r.is_err());
    let alarms = a.alarms().unwrap();
    assert_eq!(alarms.len(), 2, "{alarms:?}");
    assert!(
        alarms[1].detail.contains("another entry"),
        "{}",
        alarms[1].detail
    );
    stop(w.relay);
}

/// Whether the member `m` cosigned (gave its receipt for) the checkpoint of
/// `size` the relay at `url` holds.
fn receipt_of(url: &str, ch: &ChannelId, m: &SigningKey, size: u64) -> bool {
    let c = RelayClient::new(url, m.clone()).unwrap();
    let served = hotline_log::note::Note::parse(&c.checkpoint_at(ch, size).unwrap()).unwrap();
    let v = hotline_log::cosignature::CosignatureVerifier::from_vkey(
        &hotline_relay::api::member_cosigner_vkey(&m.verifying_key()),
    )
    .unwrap();
    served
        .signatures
        .iter()
        .any(|s| matches!(v.verify(&served.text, s), Ok(Some(_))))
}

/// Two profiles made by the real binary (northland, southland) on a channel
/// whose charter names the proxy in front of a real relay.
struct CliWorld {
    dir: tempfile::TempDir,
    relay: Relay,
    proxy: Proxy,
    north: std::path::PathBuf,
    south: std::path::PathBuf,
    ch: ChannelId,
}

impl CliWorld {
    fn new() -> CliWorld {
        let dir = tempfile::tempdir().unwrap();
        let relay = start(&dir.path().join("relay"), &unique("liar"), None);
        let proxy = Proxy::start(&relay.url);
        let (dirs, id, _) = common::cli::set_up_at(
            dir.path(),
            &proxy.url,
            &relay.vkey,
            &[
                ("northland", "Northland CERT"),
                ("southland", "Southland CERT"),
            ],
        );
        CliWorld {
            dir,
            relay,
            proxy,
            north: dirs[0].clone(),
            south: dirs[1].clone(),
            ch: ChannelId::from_hex(&id).unwrap(),
        }
    }

    /// North warns south; returns the case id and the warning's log index.
    fn warn(&self) -> (String, u64) {
        let out = common::cli::ok(common::cli::hotline(
            &self.north,
            &[
                "case",
                "open",
                "--kind",
                "warning",
                "--to",
                "southland",
                "--title",
                "Imminent attack on the grid operator",
                "--body",
                "Expect a wiper within 24 hours.",
            ],
        ));
        let case = out.split_whitespace().nth(3).unwrap().to_owned();
        let index = out
            .rsplit_once("(log entry ")
            .and_then(|(_, r)| r.trim().trim_end_matches(')').parse().ok())
            .unwrap_or_else(|| panic!("{out}"));
        (case, index)
    }

    fn south_signing(&self) -> SigningKey {
        let p = hotline_client::profile::Profile::open(&self.south).unwrap();
        let pass = hotline_client::profile::Passphrase::new(common::cli::PASS.into());
        p.unlock_keyring(&pass).unwrap().current.signing
    }

    fn mirror_size(&self) -> u64 {
        let a = Archive::open(&self.south).unwrap();
        let rec = a.channel(&self.ch).unwrap();
        hotline_log::storage::LogStore::size(&a.log, &rec.origin).unwrap()
    }
}

#[test]
fn a_warning_whose_envelope_the_relay_refuses_once_is_not_lost() {
    let w = CliWorld::new();
    let (case, index) = w.warn();
    // The warning's head, then its time attestation.
    let size = index + 2;
    w.proxy.set(|l| l.refuse_envelope = Some((index, 1)));
    let o = common::cli::hotline(&w.south, &["sync"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(1),
        "a sync that could not fetch an envelope fails: {out}"
    );
    assert!(
        out.contains("could not be fetched") && out.contains("next sync"),
        "it says so plainly: {out}"
    );
    assert_eq!(
        w.mirror_size(),
        size,
        "the log itself was verified and kept"
    );
    let south = w.south_signing();
    assert!(
        !receipt_of(&w.relay.url, &w.ch, &south, size),
        "no receipt for an envelope not received"
    );
    // The relay serves it again: the next sync fetches and opens it, and only
    // then gives the receipt.
    let out = common::cli::ok(common::cli::hotline(&w.south, &["sync"]));
    assert!(
        out.contains("1 opened for us") && out.contains("receipt cosigned"),
        "{out}"
    );
    assert!(receipt_of(&w.relay.url, &w.ch, &south, size));
    let inbox = common::cli::ok(common::cli::hotline(&w.south, &["inbox"]));
    assert!(
        inbox.contains(&case),
        "the warning is in the inbox: {inbox}"
    );
    stop(w.relay);
}

#[test]
fn a_sync_killed_between_the_append_and_the_opening_loses_nothing() {
    let w = CliWorld::new();
    let (case, index) = w.warn();
    // The warning's head, then its time attestation.
    let size = index + 2;
    w.proxy.set(|l| l.hold_envelope = Some(index));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(&w.south)
        .arg("sync")
        .env("HOTLINE_PASSPHRASE", common::cli::PASS)
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The sync asks for the envelope only after the append: once the proxy
    // holds that request, the entries are mirrored and the envelope unopened.
    let t = std::time::Instant::now();
    while w.proxy.lies.lock().unwrap().held == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the sync never asked for envelope {index}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    w.proxy.set(|l| l.hold_envelope = None);
    assert_eq!(w.mirror_size(), size, "killed after the append");
    {
        let a = Archive::open(&w.south).unwrap();
        assert!(
            a.messages(&w.ch).unwrap().is_empty(),
            "and before the opening"
        );
    }
    let south = w.south_signing();
    assert!(!receipt_of(&w.relay.url, &w.ch, &south, size));

    let out = common::cli::ok(common::cli::hotline(&w.south, &["sync"]));
    assert!(
        out.contains("1 opened for us") && out.contains("receipt cosigned"),
        "the next sync opens what the killed one did not, then cosigns: {out}"
    );
    assert!(receipt_of(&w.relay.url, &w.ch, &south, size));
    let inbox = common::cli::ok(common::cli::hotline(&w.south, &["inbox"]));
    assert!(inbox.contains(&case), "{inbox}");
    drop(w.dir);
    stop(w.relay);
}

#[test]
fn two_syncs_at_once_store_an_envelope_once_and_raise_no_alarm() {
    // `hotline ui` syncs in the background while a reply it sends syncs to
    // confirm itself, and `hotline watch` may run beside `hotline inbox`:
    // two syncs of one archive at once. The first one's envelope request is
    // slow; the second starts meanwhile. They must not take each other's
    // appends and stores for a relay's replay or fork: the second waits for
    // the first (`Archive::sync_lock`), and an entry stored by another sync
    // since it was listed is no replay either.
    let w = CliWorld::new();
    let (case, _) = w.warn();
    w.proxy.set(|l| l.pause_first_envelope_request = true);
    let sync = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
            .arg("--profile")
            .arg(&w.south)
            .arg("sync")
            .env("HOTLINE_PASSPHRASE", common::cli::PASS)
            .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = sync();
    let t = std::time::Instant::now();
    while !w.proxy.lies.lock().unwrap().paused {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the first sync never asked for the envelope"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = sync();
    std::thread::sleep(Duration::from_millis(300));
    w.proxy.set(|l| l.pause_first_envelope_request = false);
    for (which, child) in [("first", first), ("second", second)] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "the {which} sync: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let a = Archive::open(&w.south).unwrap();
    assert_eq!(a.alarms().unwrap(), vec![], "no alarm");
    assert_eq!(a.messages(&w.ch).unwrap().len(), 1, "stored once");
    let inbox = common::cli::ok(common::cli::hotline(&w.south, &["inbox"]));
    assert!(inbox.contains(&case), "{inbox}");
    drop(w.dir);
    stop(w.relay);
}

/// `env` (sealed to s1 first) with its first recipient stanza listed twice,
/// the head's stanza hash updated and re-signed by `sender`: a body that
/// matches its signed head but that `Envelope::from_bytes` refuses.
fn with_a_duplicate_recipient(
    env: &hotline_core::envelope::Envelope,
    sender: &SigningKey,
) -> serde_json::Value {
    let first = env.stanzas()[0].clone();
    let (dup, stanzas_sha256) = hotline_core::envelope::stanza_block(
        env.signed_head().head.header.suite,
        &[first.clone(), first],
    );
    let mut sh = *env.signed_head();
    sh.head.recipient_count = 2;
    sh.head.stanzas_sha256 = stanzas_sha256;
    sh.signature = sender.sign(&sh.head.signing_input());
    serde_json::json!({"envelopes": [{
        "head": base64_std(&sh.to_bytes()),
        "stanzas": base64_std(&dup),
        "ciphertext": base64_std(env.ciphertext()),
    }]})
}

#[test]
fn a_malformed_envelope_does_not_stop_the_others_from_being_opened() {
    let w = World::new(0);
    let as_n1 = RelayClient::new(&w.relay.url, w.n1.signing.clone()).unwrap();
    let bad = sealed(w.ch, &w.n1, &w.north, &w.s1, &w.south, "twice addressed");
    let i = as_n1
        .post_raw_envelopes(&w.ch, &with_a_duplicate_recipient(&bad, &w.n1.signing))
        .unwrap()[0]
        .index;
    assert_eq!(i, 3);
    wait_checkpoint(&as_n1, &w.ch, i + 2, &w.relay.vkey);
    w.post(&w.relay.url, "the one after it");
    let (_d, a, c) = w.client();
    match w.sync(&a, &c) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "bad-envelope", "{al:?}");
            assert!(al.detail.contains("envelope 3"), "{}", al.detail);
            assert!(al.detail.contains("listed twice"), "{}", al.detail);
        }
        other => panic!("expected a bad-envelope alarm, got {other:?}"),
    }
    let msgs = a.messages(&w.ch).unwrap();
    assert_eq!(
        msgs.iter().map(|m| m.index).collect::<Vec<_>>(),
        [5],
        "the envelope after the malformed one is opened"
    );
    // The malformed one was received (it is what its sender signed): the
    // receipt is given, and the next sync is clean.
    assert!(receipt_of(&w.relay.url, &w.ch, &w.s1.signing, 7));
    assert_eq!(w.sync(&a, &c).unwrap(), 7);
    stop(w.relay);
}

impl World {
    /// Posts a message from n1 (north) to south's s1 and n1, directly to the
    /// relay; returns its log index once a checkpoint covers it.
    fn post_message(&self, m: &hotline_core::message::Message) -> u64 {
        let c = RelayClient::new(&self.relay.url, self.n1.signing.clone()).unwrap();
        let (env, _) = hotline_core::envelope::Envelope::seal_message(
            m,
            &self.n1.signing,
            &[
                self.s1.encryption.public_key(),
                self.n1.encryption.public_key(),
            ],
            &mut rand_core::OsRng,
        )
        .unwrap();
        let i = c.post_envelopes(&self.ch, &[env]).unwrap()[0].index;
        wait_checkpoint(&c, &self.ch, i + 2, &self.relay.vkey);
        i
    }

    /// The operator re-logs entry `k` (head and body) at the end of the
    /// stopped relay's log with the relay's own store code — the API
    /// deduplicates re-posts, so no request can do it — and restarts the
    /// relay, which signs its checkpoints over it with its own key. Returns
    /// the replay's index.
    fn relog(&mut self, k: u64) -> u64 {
        use hotline_store::relaydata::{Body, RelayData as _};
        halt(&mut self.relay);
        let at = {
            let store = hotline_store::sqlite::SqliteStore::open(
                &self.dir.path().join("relay").join("relay.sqlite"),
            )
            .unwrap();
            let entry =
                hotline_log::storage::LogStore::read_entries(&store, &self.origin, k, k + 1)
                    .unwrap()
                    .remove(0);
            let (stanzas, ciphertext) = store.body(&self.origin, k).unwrap().unwrap();
            let log = hotline_log::log::Log::new(&store, &self.origin);
            let at = log.size().unwrap();
            log.append_with(&[entry], |batch| {
                store.append_with_bodies(
                    &self.origin,
                    batch,
                    &[Body {
                        index: at,
                        stanzas: &stanzas,
                        ciphertext: ciphertext.as_deref(),
                    }],
                )
            })
            .unwrap();
            at
        };
        self.relay = start(&self.dir.path().join("relay"), &self.name, None);
        let url = self.relay.url.clone();
        self.proxy.set(|l| l.upstream = url);
        let c = RelayClient::new(&self.relay.url, self.n1.signing.clone()).unwrap();
        wait_checkpoint(&c, &self.ch, at + 2, &self.relay.vkey);
        at
    }

    fn case_state(&self, a: &Archive) -> Vec<hotline_client::cases::State> {
        let charter = hotline_core::charter::VerifiedCharter::verify(&self.charter).unwrap();
        hotline_client::cases::derive(charter.charter(), &a.logged_messages(&self.ch).unwrap())
            .0
            .into_iter()
            .map(|c| c.state)
            .collect()
    }
}

#[test]
fn an_old_close_relogged_after_a_reopen_is_caught_and_changes_no_case() {
    use hotline_client::cases::State;
    use hotline_core::message::Kind;
    let mut w = World::new(0);
    let m =
        |kind, body: &str, case| common::message(w.ch, &w.n1, &w.north, &w.south, kind, body, case);
    let inquiry = m(Kind::Inquiry, "We observe intrusions.", None);
    w.post_message(&inquiry);
    let close = m(Kind::Close, "Resolved.", Some(inquiry.header.id));
    let close_at = w.post_message(&close);
    w.post_message(&m(Kind::Reopen, "It is back.", Some(inquiry.header.id)));
    let (_d, a, c) = w.client();
    assert_eq!(w.sync(&a, &c).unwrap(), 9);
    assert_eq!(w.case_state(&a), [State::Open], "reopened");

    // The relay re-logs the old close: the same head, a second time.
    let again = w.relog(close_at);
    match w.sync(&a, &c) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "replayed-entry", "{al:?}");
            assert!(
                al.detail.contains(&format!("entry {again}"))
                    && al.detail.contains(&format!("entry {close_at}")),
                "{}",
                al.detail
            );
            assert!(al.evidence.len() >= 2, "both copies are the evidence");
        }
        other => panic!("expected a replayed-entry alarm, got {other:?}"),
    }
    assert_eq!(
        hotline_log::storage::LogStore::size(&a.log, &w.origin).unwrap(),
        again + 2,
        "the replay is mirrored (the signed log holds it), and its time attestation"
    );
    assert_eq!(
        w.case_state(&a),
        [State::Open],
        "and the case stays reopened"
    );
    assert!(a.messages(&w.ch).unwrap().iter().all(|m| m.index != again));

    // A re-sealed copy of the close (a new envelope, the same message id).
    let resealed = w.post_message(&close);
    match w.sync(&a, &c) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "replayed-entry", "{al:?}");
            assert!(
                al.detail.contains(&format!("envelope {resealed}")),
                "{}",
                al.detail
            );
        }
        other => panic!("expected a replayed-entry alarm, got {other:?}"),
    }
    assert_eq!(w.case_state(&a), [State::Open]);
    stop(w.relay);
}

#[test]
fn a_checkpoint_smaller_than_the_mirror_is_stale_not_a_panic() {
    let w = World::new(3);
    let direct = RelayClient::new(&w.relay.url, w.s1.signing.clone()).unwrap();
    // An older checkpoint the relay signed, smaller than the log.
    let (old_size, old) = direct
        .checkpoints_after(&w.ch, 0, 256)
        .unwrap()
        .into_iter()
        .find(|(s, _)| (1..9).contains(s))
        .expect("an older checkpoint");
    // An archive whose mirror holds all nine entries but which recorded no
    // checkpoint as large (as a crash between the append and the record
    // left archives of earlier versions): the entries are appended with the
    // log code, verified against the relay's checkpoint of size 9.
    let (_d, a, c) = w.client();
    let entries: Vec<Vec<u8>> = direct
        .entries(&w.ch, 0, 9)
        .unwrap()
        .entries
        .iter()
        .map(|e| base64_dec(&e.entry))
        .collect();
    let mirror = hotline_log::log::Log::new(&a.log, &w.origin);
    mirror.append(&entries).unwrap();
    let (_, cp9) = wait_checkpoint(&direct, &w.ch, 9, &w.relay.vkey);
    assert_eq!(mirror.root(9).unwrap(), cp9.root);
    // The relay now answers the older checkpoint.
    w.proxy.set(|l| l.checkpoint = Some(old));
    match w.sync(&a, &c) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "stale-checkpoint", "{al:?}");
            assert!(
                al.detail.contains(&format!("size {old_size}")) && al.detail.contains("9 entries"),
                "{}",
                al.detail
            );
        }
        other => panic!("expected a stale-checkpoint alarm, got {other:?}"),
    }
    // The relay serves its latest checkpoint again: the mirror checks out
    // against it, and the envelopes the interrupted sync had not opened
    // are fetched and opened before the receipt.
    w.proxy.set(|l| l.checkpoint = None);
    let o = sync_channel(&a, &c, &w.ch, &w.s1, &|_, _| {}).unwrap();
    assert_eq!(
        (o.size, o.new_entries, o.opened, o.cosigned),
        (9, 0, 3, true)
    );
    assert!(receipt_of(&w.relay.url, &w.ch, &w.s1.signing, 9));
    stop(w.relay);
}

/// Waits until the relay at `url` holds its checkpoint of `size` with a
/// cosignature of the witness `wvkey`; returns it.
fn witnessed(url: &str, w: &World, size: u64, wvkey: &str) -> Vec<u8> {
    let c = RelayClient::new(url, w.s1.signing.clone()).unwrap();
    let v = hotline_log::cosignature::CosignatureVerifier::from_vkey(wvkey).unwrap();
    let t = std::time::Instant::now();
    loop {
        if let Ok(b) = c.checkpoint_at(&w.ch, size) {
            let n = hotline_log::note::Note::parse(&b).unwrap();
            if n.signatures
                .iter()
                .any(|s| matches!(v.verify(&n.text, s), Ok(Some(_))))
            {
                return b;
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the witness did not cosign the checkpoint of size {size}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_relay_showing_the_witnesses_another_log_than_ours_is_caught() {
    let (mut w, mut witness, wvkey) = World::with_witness(0);
    witnessed(&w.relay.url, &w, 3, &wvkey);
    // The operator copies the relay (key and log) while it is stopped.
    let (a_dir, b_dir) = (w.dir.path().join("relay"), w.dir.path().join("copy"));
    halt(&mut w.relay);
    copy_dir(&a_dir, &b_dir);
    w.relay = start(&a_dir, &w.name, None);
    // Relay A's log, of which the witness cosigns size 4 …
    w.post(&w.relay.url, "shown to the witness");
    let a4 = witnessed(&w.relay.url, &w, 4, &wvkey);
    // … and relay B's, shown to south, of the same size and another root
    // (the witness refuses B's checkpoint: it is inconsistent with A's).
    let relay_b = start(&b_dir, &w.name, None);
    let b = RelayClient::new(&relay_b.url, w.n1.signing.clone()).unwrap();
    b.post_envelopes(
        &w.ch,
        &[sealed(
            w.ch,
            &w.n1,
            &w.north,
            &w.s1,
            &w.south,
            "shown to south",
        )],
    )
    .unwrap();
    wait_checkpoint(&b, &w.ch, 4, &w.relay.vkey);
    let url = relay_b.url.clone();
    let a_url = w.relay.url.clone();
    w.proxy.set(|l| {
        l.upstream = url;
        l.checkpoints_from = Some(a_url);
    });
    let (_d, a, c) = w.client();
    assert_eq!(w.sync(&a, &c).unwrap(), 4);
    let seen = a.latest_checkpoint(&w.ch).unwrap().unwrap();
    assert_ne!(seen.note, a4, "south verified B's checkpoint");
    let charter = hotline_core::charter::VerifiedCharter::verify(&w.charter).unwrap();
    let t = seen.time.expect("timestamped");
    let check = |now: u64| {
        hotline_client::sync::check_witness_quorum(
            &a,
            &c,
            &w.ch,
            charter.charter(),
            &seen,
            120,
            now,
        )
        .unwrap()
    };
    assert!(check(t + 10).is_none(), "within the grace period");
    // The next sync, the grace period over, checks the witnesses.
    let mut opts = hotline_client::sync::SyncOptions::default();
    opts.witness_grace = 0;
    let al = match sync_channel_with(&a, &c, &w.ch, &w.s1, &|_, _| {}, &opts) {
        Err(SyncError::Alarm(al)) => al,
        other => panic!("expected an alarm: the witnesses cosigned another log; got {other:?}"),
    };
    assert_eq!(al.kind, "split-view", "{al:?}");
    assert_eq!(
        al.evidence,
        [base64_std(&seen.note), base64_std(&a4)],
        "both checkpoints of size 4 are the evidence"
    );
    assert!(check(t + 500).is_none(), "raised once");

    // What the relay serves by size does not parse: an alarm, not silence.
    w.proxy
        .set(|l| l.checkpoint_at = Some(b"not a signed note".to_vec()));
    let al = check(t + 121).expect("an alarm for a checkpoint that does not parse");
    assert_eq!(al.kind, "bad-checkpoint", "{al:?}");
    let _ = witness.kill();
    let _ = witness.wait();
    stop(relay_b);
    stop(w.relay);
}

#[test]
fn an_envelope_the_relay_keeps_refusing_raises_withheld_envelope_once() {
    let w = World::new(2);
    let (_d, a, c) = w.client();
    w.proxy.set(|l| l.refuse_envelope = Some((3, u32::MAX)));
    let mut opts = hotline_client::sync::SyncOptions::default();
    opts.withheld_after_attempts = 2;
    opts.withheld_after_secs = 0;
    let sync = || sync_channel_with(&a, &c, &w.ch, &w.s1, &|_, _| {}, &opts);
    match sync() {
        Err(SyncError::Incomplete {
            pending,
            first,
            outcome,
            ..
        }) => {
            assert_eq!((pending, first), (1, 3));
            assert_eq!(
                (outcome.size, outcome.opened),
                (7, 1),
                "the other one is opened"
            );
        }
        other => panic!("expected an incomplete sync, got {other:?}"),
    }
    assert!(a.alarms().unwrap().is_empty(), "one refusal is no alarm");
    match sync() {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "withheld-envelope", "{al:?}");
            assert!(al.detail.contains("envelope 3"), "{}", al.detail);
            let (_, cp) = wait_checkpoint(&c, &w.ch, 7, &w.relay.vkey);
            let note = hotline_log::note::Note::parse(&base64_dec(&al.evidence[1])).unwrap();
            assert_eq!(
                hotline_log::checkpoint::Checkpoint::parse(&note.text)
                    .unwrap()
                    .root,
                cp.root,
                "the signed checkpoint covering it is the evidence"
            );
        }
        other => panic!("expected a withheld-envelope alarm, got {other:?}"),
    }
    assert!(
        matches!(sync(), Err(SyncError::Incomplete { .. })),
        "raised once"
    );
    assert_eq!(a.alarms().unwrap().len(), 1);
    assert!(!receipt_of(&w.relay.url, &w.ch, &w.s1.signing, 7));
    // Still fetched on every sync: once served, it is opened and receipted.
    w.proxy.set(|l| l.refuse_envelope = None);
    let o = sync().unwrap();
    assert_eq!((o.opened, o.pending, o.cosigned), (1, 0, true));
    assert!(receipt_of(&w.relay.url, &w.ch, &w.s1.signing, 7));
    stop(w.relay);
}

#[test]
fn watch_shows_a_message_whose_envelope_the_relay_refused_at_first() {
    let w = CliWorld::new();
    // The first message will be entry 3 (charter, two rosters).
    w.proxy.set(|l| l.refuse_envelope = Some((3, 2)));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(&w.south)
        .args(["watch", "--json", "--interval", "1"])
        .env("HOTLINE_PASSPHRASE", common::cli::PASS)
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(out)) {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = |what: &str| -> serde_json::Value {
        let t = std::time::Instant::now();
        loop {
            let left = Duration::from_secs(30).saturating_sub(t.elapsed());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("watch printed no {what} within 30 s"));
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if v["event"] == what {
                return v;
            }
        }
    };
    next("watching");
    let (_, index) = w.warn();
    assert_eq!(index, 3);
    let m = next("message");
    assert_eq!(m["index"], 3, "{m}");
    assert_eq!(m["kind"], "warning", "{m}");
    child.kill().unwrap();
    let _ = child.wait();
    stop(w.relay);
}

#[test]
fn an_envelope_whose_connection_the_relay_drops_does_not_stop_the_others() {
    let w = World::new(3);
    let (_d, a, c) = w.client();
    w.proxy.set(|l| l.hang_up_envelope = Some(3));
    match w.sync(&a, &c) {
        Err(SyncError::Incomplete {
            pending,
            first,
            outcome,
            ..
        }) => {
            assert_eq!((pending, first), (1, 3));
            assert_eq!(outcome.opened, 2, "the envelopes after it are opened");
        }
        other => panic!("expected an incomplete sync, got {other:?}"),
    }
    assert_eq!(
        a.messages(&w.ch)
            .unwrap()
            .iter()
            .map(|m| m.index)
            .collect::<Vec<_>>(),
        [5, 7]
    );
    w.proxy.set(|l| l.hang_up_envelope = None);
    let o = sync_channel(&a, &c, &w.ch, &w.s1, &|_, _| {}).unwrap();
    assert_eq!((o.opened, o.cosigned), (1, true));
    stop(w.relay);
}

#[test]
fn a_relay_withholding_one_envelope_does_not_stop_the_officer_from_answering() {
    // Southland holds a warning; the relay then logs a second one and
    // refuses to serve it. A relay that could block every case command by
    // withholding one envelope could make Southland miss its deadlines.
    let w = CliWorld::new();
    let (case, _) = w.warn();
    common::cli::ok(common::cli::hotline(&w.south, &["sync"]));
    let (_, withheld) = w.warn();
    w.proxy
        .set(|l| l.refuse_envelope = Some((withheld, u32::MAX)));
    for args in [
        &["inbox"][..],
        &["case", "show", &case],
        &["report"],
        &["case", "ack", &case],
    ] {
        let o = common::cli::hotline(&w.south, args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            o.status.success(),
            "`hotline {}` goes on with the verified log: {err}",
            args.join(" ")
        );
        assert!(
            err.contains("could not be fetched"),
            "`hotline {}` says an envelope is still to fetch: {err}",
            args.join(" ")
        );
    }
    let shown = common::cli::ok(common::cli::hotline(&w.south, &["case", "show", &case]));
    assert!(
        shown.contains("ack"),
        "the acknowledgement is in the case: {shown}"
    );
    stop(w.relay);
}

/// The relay's note signer and timestamp cosigner, from its key file: what
/// an operator who lies holds.
fn relay_keys(
    data: &Path,
) -> (
    hotline_log::note::Ed25519Signer,
    hotline_log::cosignature::Cosigner,
) {
    let pass = hotline_store::keyfile::Passphrase::new("relay test passphrase".into());
    let b = hotline_store::keyfile::read(&data.join("relay.key"), &pass).unwrap();
    let seed: [u8; 32] = b[..32].try_into().unwrap();
    let name = String::from_utf8(b[32..].to_vec()).unwrap();
    (
        hotline_log::note::Ed25519Signer::new(&name, &seed).unwrap(),
        hotline_log::cosignature::Cosigner::new(&name, &seed).unwrap(),
    )
}

#[test]
fn relay_timestamps_on_the_latest_checkpoint_are_checked_as_the_history_is() {
    use hotline_log::note::Note;
    let w = World::new(1);
    let (signer, timestamper) = relay_keys(&w.dir.path().join("relay"));
    let (_d0, a0, c0) = w.client();
    assert_eq!(w.sync(&a0, &c0).unwrap(), 5);
    let t4 = a0.latest_checkpoint(&w.ch).unwrap().unwrap().time.unwrap();
    w.post(&w.relay.url, "later");
    let real = Note::parse(&c0.checkpoint(&w.ch).unwrap()).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    // The checkpoint of size 7, signed by the relay key, with a timestamp
    // of the relay's choosing.
    let stamped = |t: u64| {
        let mut n = Note::new(&real.text).unwrap();
        n.add_signature(signer.sign(&real.text));
        n.add_signature(timestamper.cosign(&real.text, t).unwrap());
        n.to_bytes()
    };

    // A day ahead, with no history to check it against.
    let (_d, a, c) = w.client();
    w.proxy.set(|l| {
        l.checkpoint = Some(stamped(now + 86_400));
        l.no_history = true;
    });
    expect_alarm(&w, &a, &c, "bad-checkpoint");

    // Before the checkpoint we verified earlier (backdated).
    w.proxy.set(|l| l.checkpoint = Some(stamped(t4 - 3_600)));
    expect_alarm(&w, &a0, &c0, "bad-checkpoint");

    // A second timestamp for a checkpoint the history dates otherwise: the
    // relay tells clients different times for one checkpoint.
    let (_d, a, c) = w.client();
    w.proxy.set(|l| {
        l.checkpoint = Some(stamped(now + 1));
        l.no_history = false;
    });
    expect_alarm(&w, &a, &c, "bad-checkpoint");
    stop(w.relay);
}

#[test]
fn a_relay_dating_the_history_otherwise_for_one_party_moves_no_deadline() {
    use hotline_log::note::Note;
    let w = World::new(1);
    let (signer, timestamper) = relay_keys(&w.dir.path().join("relay"));
    // North's view: the log as it is; the inquiry at 3 is dated by the
    // time attestation at 4.
    let (_da, a, c) = w.client();
    assert_eq!(w.sync(&a, &c).unwrap(), 5);
    let dated = a.sequenced_at(&w.ch, 3).unwrap().expect("dated");
    // For south, the operator signs every checkpoint of the history again
    // with the relay key, each an hour earlier: the same log, other times.
    let restamp = |note: &[u8]| {
        let real = Note::parse(note).unwrap();
        let t = real
            .signatures
            .iter()
            .find_map(|s| {
                hotline_log::cosignature::CosignatureVerifier::from_vkey(&timestamper.vkey())
                    .unwrap()
                    .verify(&real.text, s)
                    .ok()
                    .flatten()
            })
            .expect("the relay dates every checkpoint");
        let mut n = Note::new(&real.text).unwrap();
        n.add_signature(signer.sign(&real.text));
        n.add_signature(timestamper.cosign(&real.text, t - 3_600).unwrap());
        n.to_bytes()
    };
    let direct = RelayClient::new(&w.relay.url, w.s1.signing.clone()).unwrap();
    let history: Vec<(u64, Vec<u8>)> = direct
        .checkpoints_after(&w.ch, 0, 256)
        .unwrap()
        .into_iter()
        .map(|(size, note)| (size, restamp(&note)))
        .collect();
    let latest = history.last().unwrap().1.clone();
    w.proxy.set(|l| {
        l.history = Some(history);
        l.checkpoint = Some(latest);
    });
    let (_db, b, c) = w.client();
    // South's archive does not date the inquiry an hour earlier than
    // north's: the logged attestation is the one time, and a history that
    // says otherwise is an alarm.
    match w.sync(&b, &c) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "bad-time", "{al:?}");
            assert!(
                al.detail.contains("dated the checkpoint of size 4 twice"),
                "{}",
                al.detail
            );
        }
        other => panic!("expected a bad-time alarm, got {other:?}"),
    }
    assert_ne!(
        b.sequenced_at(&w.ch, 3).unwrap(),
        Some(dated - 3_600),
        "no other time for the inquiry"
    );
    // Told the truth again, south dates it as north does.
    w.proxy.set(|l| {
        l.history = None;
        l.checkpoint = None;
    });
    assert_eq!(w.sync(&b, &c).unwrap(), 5);
    assert_eq!(b.sequenced_at(&w.ch, 3).unwrap(), Some(dated));
    stop(w.relay);
}

#[test]
fn with_a_witness_quorum_the_witness_dates_an_entry_and_its_absence_is_an_alarm() {
    use hotline_core::entry::Entry;
    let (w, mut witness, wvkey) = World::with_witness(1);
    let (_d, a, c) = w.client();
    assert_eq!(w.sync(&a, &c).unwrap(), 5);
    // The attestation at 4 carries the witness's cosignature, and its time
    // is the one the inquiry at 3 is dated by.
    let entry = hotline_log::storage::LogStore::read_entries(&a.log, &w.origin, 4, 5)
        .unwrap()
        .remove(0);
    let Entry::Time(text) = Entry::from_bytes(&entry).unwrap() else {
        panic!("entry 4 is the time attestation")
    };
    let note = hotline_log::note::Note::parse(text.as_bytes()).unwrap();
    let v = hotline_log::cosignature::CosignatureVerifier::from_vkey(&wvkey).unwrap();
    let witnessed: Vec<u64> = note
        .signatures
        .iter()
        .filter_map(|s| v.verify(&note.text, s).ok().flatten())
        .collect();
    assert_eq!(witnessed.len(), 1, "the witness's cosignature is logged");
    assert_eq!(a.sequenced_at(&w.ch, 3).unwrap(), Some(witnessed[0]));

    // The witness goes away: the relay cannot date what comes next, and a
    // sync past the bound says so, once.
    let _ = witness.kill();
    let _ = witness.wait();
    let as_n1 = RelayClient::new(&w.relay.url, w.n1.signing.clone()).unwrap();
    let i = as_n1
        .post_envelopes(
            &w.ch,
            &[sealed(w.ch, &w.n1, &w.north, &w.s1, &w.south, "undated")],
        )
        .unwrap()[0]
        .index;
    assert_eq!(i, 5);
    wait_checkpoint(&as_n1, &w.ch, 6, &w.relay.vkey);
    let mut opts = hotline_client::sync::SyncOptions::default();
    opts.undated_after_secs = 0;
    let sync = || sync_channel_with(&a, &c, &w.ch, &w.s1, &|_, _| {}, &opts);
    match sync() {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "undated-entry", "{al:?}");
            assert!(al.detail.contains("index 5"), "{}", al.detail);
            assert_eq!(al.evidence.len(), 1, "the checkpoint covering it");
        }
        other => panic!("expected an undated-entry alarm, got {other:?}"),
    }
    assert_eq!(a.sequenced_at(&w.ch, 5).unwrap(), None, "not dated");
    assert_eq!(a.messages(&w.ch).unwrap().len(), 2, "but received");
    sync().expect("raised once");
    assert_eq!(a.alarms().unwrap().len(), 1);
    stop(w.relay);
}

#[test]
fn a_relay_that_backdates_our_own_message_is_caught_by_its_sender() {
    use hotline_core::entry::Entry;
    use hotline_log::checkpoint::Checkpoint;
    use hotline_log::merkle::{MemoryTree, leaf_hash};
    use hotline_log::note::Note;
    let w = World::new(0);
    let (signer, timestamper) = relay_keys(&w.dir.path().join("relay"));
    // North posts; the relay sequences the head at 3.
    let direct = RelayClient::new(&w.relay.url, w.n1.signing.clone()).unwrap();
    let posted_at = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let i = direct
        .post_envelopes(
            &w.ch,
            &[sealed(w.ch, &w.n1, &w.north, &w.s1, &w.south, "dated late")],
        )
        .unwrap()[0]
        .index;
    assert_eq!(i, 3);
    wait_checkpoint(&direct, &w.ch, 4, &w.relay.vkey);
    let mut entries: Vec<(String, Vec<u8>)> = direct
        .entries(&w.ch, 0, 4)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| (e.kind, base64_dec(&e.entry)))
        .collect();
    // The operator, with the relay key and a clock an hour slow from the
    // channel's start, signs every checkpoint and the attestation at 4.
    let signed = |entries: &[(String, Vec<u8>)], t: u64| {
        let mut tree = MemoryTree::new();
        for (_, e) in entries {
            tree.append(leaf_hash(e));
        }
        let text = Checkpoint {
            origin: w.origin.clone(),
            size: entries.len() as u64,
            root: tree.root(),
            extensions: vec![],
        }
        .to_text();
        let mut n = Note::new(&text).unwrap();
        n.add_signature(signer.sign(&text));
        n.add_signature(timestamper.cosign(&text, t).unwrap());
        n.to_bytes()
    };
    let slow = posted_at - 3_600;
    let mut history: Vec<(u64, Vec<u8>)> = (1..=4)
        .map(|k| (k as u64, signed(&entries[..k], slow - 10 + k as u64)))
        .collect();
    let attested = String::from_utf8(history[3].1.clone()).unwrap();
    entries.push(("time".into(), Entry::Time(attested).to_bytes().unwrap()));
    let note = signed(&entries, slow - 5);
    history.push((5, note.clone()));
    w.proxy.set(|l| {
        l.forged = Some(std::sync::Arc::new(common::proxy::Forged {
            entries,
            note,
            history,
        }))
    });
    // To everyone else the forged log is consistent: the times never go
    // back and are not in the future. North, who posted at `posted_at`,
    // sees its message dated an hour before.
    let (_d, a, _) = w.client();
    let as_n1 = RelayClient::new(&w.proxy.url, w.n1.signing.clone()).unwrap();
    let r = hotline_client::compose::await_dated(
        &a,
        &as_n1,
        &w.ch,
        &w.n1,
        (3, posted_at),
        Duration::from_secs(5),
    );
    let e = r.expect_err("a backdated entry is refused");
    assert!(
        e.to_string().contains("bad-time") && e.to_string().contains("backdated"),
        "{e}"
    );
    let al = a.alarms().unwrap();
    assert_eq!(al.len(), 1, "{al:?}");
    assert_eq!(al[0].kind, "bad-time");
    assert_eq!(al[0].evidence.len(), 1, "the attestation is the evidence");
    stop(w.relay);
}

#[test]
fn a_copy_pages_after_its_message_is_a_replay_and_every_other_envelope_is_opened() {
    use hotline_client::sync::ENVELOPE_PAGE;
    use hotline_core::message::Kind;
    let w = World::new(0);
    let m =
        |kind, body: &str, case| common::message(w.ch, &w.n1, &w.north, &w.south, kind, body, case);
    let inquiry = m(Kind::Inquiry, "We observe intrusions.", None);
    let first = w.post_message(&inquiry);
    // More than a page of other envelopes, then a re-sealed copy of the
    // inquiry (a new envelope, the same message id): the sync fetches,
    // opens and stores them in several pages, overlapped.
    let fillers = ENVELOPE_PAGE as usize + 100;
    let poster = RelayClient::new(&w.relay.url, w.n1.signing.clone()).unwrap();
    let envs: Vec<_> = (0..fillers)
        .map(|i| {
            hotline_core::envelope::Envelope::seal_message(
                &m(Kind::Inquiry, &format!("filler {i}"), None),
                &w.n1.signing,
                &[w.s1.encryption.public_key()],
                &mut rand_core::OsRng,
            )
            .unwrap()
            .0
        })
        .collect();
    for chunk in envs.chunks(64) {
        poster.post_envelopes(&w.ch, chunk).unwrap();
    }
    let copy = w.post_message(&inquiry);
    assert!(copy - first > ENVELOPE_PAGE, "the copy is pages after");

    let (_d, a, c) = w.client();
    match w.sync(&a, &c) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "replayed-entry", "{al:?}");
            assert!(
                al.detail.contains(&format!("envelope {copy}"))
                    && al.detail.contains(&format!("entry {first}")),
                "{}",
                al.detail
            );
        }
        other => panic!("expected a replayed-entry alarm, got {other:?}"),
    }
    let stored = a.messages(&w.ch).unwrap();
    assert_eq!(stored.len(), fillers + 1, "every other envelope is opened");
    assert!(stored.iter().all(|s| s.index != copy));
    assert!(
        a.pending(&w.ch).unwrap().is_empty(),
        "the copy is struck off"
    );
    stop(w.relay);
}
