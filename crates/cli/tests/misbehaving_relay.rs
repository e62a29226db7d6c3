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
use hotline_client::sync::{SyncError, sync_channel};
use hotline_core::dsse::SignedDocument;
use hotline_core::ids::ChannelId;
use hotline_core::keys::{MemberKeys, SigningKey};
use std::path::Path;
use std::time::Duration;

struct World {
    _dir: tempfile::TempDir,
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
        let charter = charter_doc_at(
            &proxy.url,
            &relay.vkey,
            &[("north", &north), ("south", &south)],
            "0123456789abcdef0123456789abcdef",
            vec![],
        );
        let direct = RelayClient::new(&relay.url, north.clone()).unwrap();
        let ch = direct.create_channel(&charter).unwrap();
        direct
            .post_roster(&ch, &roster(ch, &north, 1, None, &[&n1]))
            .unwrap();
        RelayClient::new(&relay.url, south.clone())
            .unwrap()
            .post_roster(&ch, &roster(ch, &south, 1, None, &[&s1]))
            .unwrap();
        let w = World {
            _dir: dir,
            origin: format!("{name}/{}", ch.to_hex()),
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
        w
    }

    /// Posts an envelope from n1 to s1 directly to the relay at `url` and
    /// waits until a checkpoint covers it.
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
        wait_checkpoint(&c, &self.ch, i + 1, &self.relay.vkey);
        i
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
    let d = tempfile::tempdir().unwrap();
    let name = unique("forker");
    let a_dir = d.path().join("a");
    let relay_a = start(&a_dir, &name, None);
    let proxy = Proxy::start(&relay_a.url);
    let (north, south) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let (n1, s1) = (
        MemberKeys::generate(&mut rand_core::OsRng),
        MemberKeys::generate(&mut rand_core::OsRng),
    );
    let charter = charter_doc_at(
        &proxy.url,
        &relay_a.vkey,
        &[("north", &north), ("south", &south)],
        "fedcba9876543210fedcba9876543210",
        vec![],
    );
    let direct = RelayClient::new(&relay_a.url, north.clone()).unwrap();
    let ch = direct.create_channel(&charter).unwrap();
    direct
        .post_roster(&ch, &roster(ch, &north, 1, None, &[&n1]))
        .unwrap();
    RelayClient::new(&relay_a.url, south.clone())
        .unwrap()
        .post_roster(&ch, &roster(ch, &south, 1, None, &[&s1]))
        .unwrap();
    let vkey = relay_a.vkey.clone();
    wait_checkpoint(&direct, &ch, 3, &vkey);
    // The operator copies the relay, key and log, and runs both.
    stop(relay_a);
    let b_dir = d.path().join("b");
    copy_dir(&a_dir, &b_dir);
    let relay_a = start(&a_dir, &name, None);
    let relay_b = start(&b_dir, &name, None);
    assert_eq!(relay_a.vkey, relay_b.vkey, "one key, two logs");
    proxy.set(|l| l.upstream = relay_a.url.clone());
    let post = |url: &str, body: &str, size: u64| {
        let c = RelayClient::new(url, n1.signing.clone()).unwrap();
        c.post_envelopes(&ch, &[sealed(ch, &n1, &north, &s1, &south, body)])
            .unwrap();
        wait_checkpoint(&c, &ch, size, &vkey);
    };
    post(&relay_a.url, "shown to south", 4);
    post(&relay_b.url, "shown to others", 4);
    post(&relay_b.url, "and more", 5);

    let w = |p: &Path| {
        let a = Archive::open(p).unwrap();
        a.add_channel(&ChannelRecord {
            id: ch,
            origin: format!("{name}/{}", ch.to_hex()),
            relay_url: proxy.url.clone(),
            relay_vkey: vkey.clone(),
            charter: charter.to_json(),
        })
        .unwrap();
        a
    };
    let c = RelayClient::new(&proxy.url, s1.signing.clone()).unwrap();
    let sync = |a: &Archive| sync_channel(a, &c, &ch, &s1, &|_, _| {});

    // South verified relay A's log of 4 entries; relay B's log of 5 is not
    // an extension of it.
    let p1 = tempfile::tempdir().unwrap();
    let a1 = w(p1.path());
    assert_eq!(sync(&a1).unwrap().size, 4);
    proxy.set(|l| l.upstream = relay_b.url.clone());
    match sync(&a1) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "fork", "{al:?}");
            assert_eq!(al.evidence.len(), 2, "both signed checkpoints are kept");
        }
        other => panic!("expected a fork alarm, got {other:?}"),
    }
    // Nothing of B's log was written to the mirror.
    assert_eq!(
        hotline_log::storage::LogStore::size(&a1.log, &format!("{name}/{}", ch.to_hex())).unwrap(),
        4
    );

    // Same size, different roots: B's checkpoint of size 4 (from its
    // history) against A's.
    let p2 = tempfile::tempdir().unwrap();
    let a2 = w(p2.path());
    proxy.set(|l| l.upstream = relay_a.url.clone());
    assert_eq!(sync(&a2).unwrap().size, 4);
    let b_client = RelayClient::new(&relay_b.url, s1.signing.clone()).unwrap();
    let b4 = b_client.checkpoint_at(&ch, 4).unwrap();
    proxy.set(|l| {
        l.upstream = relay_b.url.clone();
        l.checkpoint = Some(b4);
    });
    match sync(&a2) {
        Err(SyncError::Alarm(al)) => {
            assert_eq!(al.kind, "fork", "{al:?}");
            assert!(al.detail.contains("different roots"), "{}", al.detail);
            assert_eq!(al.evidence.len(), 2);
        }
        other => panic!("expected a fork alarm, got {other:?}"),
    }
    stop(relay_a);
    stop(relay_b);
}

#[test]
fn a_replayed_old_checkpoint_is_caught() {
    let w = World::new(1);
    let (_d, a, c) = w.client();
    assert_eq!(w.sync(&a, &c).unwrap(), 4);
    let old = c.checkpoint(&w.ch).unwrap();
    w.post(&w.relay.url, "later");
    assert_eq!(w.sync(&a, &c).unwrap(), 5);
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
    assert_eq!(w.sync(&a, &c).unwrap(), 6);
    stop(w.relay);
}

#[test]
fn a_dropped_entry_is_caught() {
    let w = World::new(3);
    let (_d, a, c) = w.client();
    assert_eq!(w.sync(&a, &c).unwrap(), 6);
    w.post(&w.relay.url, "one");
    w.post(&w.relay.url, "two");
    // The relay shows a log without entry 6, the rest moved up: one entry
    // short of the checkpoint it signed, and the entry it serves at 6 is
    // not the one there.
    w.proxy.set(|l| l.drop = Some(6));
    expect_alarm(&w, &a, &c, "withheld-entry");
    let al = a.alarms().unwrap();
    assert!(al[0].detail.contains("entry 7"), "{}", al[0].detail);
    assert_eq!(
        hotline_log::storage::LogStore::size(&a.log, &w.origin).unwrap(),
        6
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
    w.proxy.set(|l| l.swallow_posts_at = Some(4));
    let env = sealed(w.ch, &w.n1, &w.north, &w.s1, &w.south, "never logged");
    let leaf = hotline_log::merkle::leaf_hash(&env.signed_head().to_bytes());
    let acc = c.post_envelopes(&w.ch, &[env]).unwrap();
    assert_eq!(acc[0].index, 4);
    let r = hotline_client::compose::confirm_within(
        &a,
        &c,
        &w.ch,
        &w.n1,
        4,
        &leaf,
        Duration::from_secs(2),
    );
    assert!(r.is_err());
    let alarms = a.alarms().unwrap();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(alarms[0].kind, "missing-entry");

    // Acknowledged at an index the relay then fills with another entry.
    w.proxy.set(|l| l.swallow_posts_at = Some(4));
    let env = sealed(w.ch, &w.n1, &w.north, &w.s1, &w.south, "also never logged");
    let leaf = hotline_log::merkle::leaf_hash(&env.signed_head().to_bytes());
    c.post_envelopes(&w.ch, &[env]).unwrap();
    w.post(&w.relay.url, "someone else's");
    let r = hotline_client::compose::confirm_within(
        &a,
        &c,
        &w.ch,
        &w.n1,
        4,
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
