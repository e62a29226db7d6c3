//! Scale-out on PostgreSQL: two real relay processes with the same key and
//! one database serve the same channel. Members post to both at once; one
//! process is killed with SIGKILL in the middle of the load. Every
//! acknowledged envelope must be in the log exactly once at the index it was
//! acknowledged with, the log must not fork (every checkpoint either process
//! signed is consistent with the entries: `relay import --verify-only` on an
//! export checks each one), and the surviving process goes on sequencing.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use hotline_client::relay_client::RelayClient;
use hotline_core::keys::{MemberKeys, SigningKey};
use hotline_log::merkle::{self, MemoryTree};

const THREADS: usize = 4;
const PER_THREAD: usize = 60;

#[test]
fn two_relays_one_database_survive_a_kill() {
    let Ok(db) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: PostgreSQL scale-out was NOT tested");
        return;
    };
    let (da, db_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let name = unique("scaleout");
    let a = start(da.path(), &name, Some(&db));
    // The second process shares the relay key (same identity, same origins).
    for f in ["relay.key", "relay.vkey"] {
        std::fs::copy(da.path().join(f), db_dir.path().join(f)).unwrap();
    }
    let b = start(db_dir.path(), &name, Some(&db));
    assert_eq!(a.vkey, b.vkey);

    let (north, south) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let members: Vec<MemberKeys> = (0..THREADS)
        .map(|_| MemberKeys::generate(&mut rand_core::OsRng))
        .collect();
    let charter = charter_doc(
        &a,
        &[("north", &north), ("south", &south)],
        "0123456789abcdef0123456789abcdef",
    );
    let ch = RelayClient::new(&a.url, north.clone())
        .unwrap()
        .create_channel(&charter)
        .unwrap();
    let refs: Vec<&MemberKeys> = members.iter().collect();
    let rn = roster(ch, &north, 1, None, &refs[..THREADS / 2]);
    let rs = roster(ch, &south, 1, None, &refs[THREADS / 2..]);
    // Rosters through different processes: each sees the other's.
    RelayClient::new(&a.url, north.clone())
        .unwrap()
        .post_roster(&ch, &rn)
        .unwrap();
    RelayClient::new(&b.url, south.clone())
        .unwrap()
        .post_roster(&ch, &rs)
        .unwrap();

    // A request captured on its way to one process, replayed to the other
    // (behind one address, as with a load balancer: the same Host), is
    // refused: nonces are recorded in the shared database.
    let path = format!("/v1/channels/{}/entries", ch.to_hex());
    let m0 = RelayClient::new(&a.url, members[0].signing.clone()).unwrap();
    let hs = m0.sign_request("GET", &path, Some("start=0"), b"");
    let authority = a.url.trim_start_matches("http://").to_owned();
    let (sa, _) = raw_at(&a.url, &authority, &path, "start=0", &hs);
    assert_eq!(sa, 200);
    let (sb, body) = raw_at(&b.url, &authority, &path, "start=0", &hs);
    assert_eq!(sb, 401, "{body}");
    assert!(body.contains("already received"), "{body}");
    // A fresh signature is served by either.
    let hs = m0.sign_request("GET", &path, Some("start=0"), b"");
    assert_eq!(raw_at(&b.url, &authority, &path, "start=0", &hs).0, 200);

    // Envelopes sealed before the load.
    let sealed: Vec<Vec<_>> = members
        .iter()
        .enumerate()
        .map(|(t, m)| {
            (0..PER_THREAD)
                .map(|i| {
                    envelope(
                        ch,
                        m,
                        &[&members[(t + 1) % THREADS]],
                        &format!("thread {t} message {i}"),
                    )
                })
                .collect()
        })
        .collect();

    // index -> leaf hash, for every acknowledgement either process gave.
    let acked: Arc<Mutex<HashMap<u64, String>>> = Arc::default();
    let urls = [a.url.clone(), b.url.clone()];
    let a = Arc::new(Mutex::new(Some(a)));
    let killer = {
        let a = a.clone();
        let acked = acked.clone();
        std::thread::spawn(move || {
            // Once a quarter of the load is acknowledged.
            let t = Instant::now();
            while acked.lock().unwrap().len() < THREADS * PER_THREAD / 4
                && t.elapsed() < Duration::from_secs(60)
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            let mut r = a.lock().unwrap().take().unwrap();
            r.child.kill().unwrap(); // SIGKILL
            r.child.wait().unwrap();
        })
    };
    let workers: Vec<_> = sealed
        .into_iter()
        .enumerate()
        .map(|(t, envs)| {
            let key = members[t].signing.clone();
            let urls = urls.clone();
            let acked = acked.clone();
            std::thread::spawn(move || {
                let clients: Vec<RelayClient> = urls
                    .iter()
                    .map(|u| RelayClient::new(u, key.clone()).unwrap())
                    .collect();
                let mut posted = 0;
                for (i, e) in envs.iter().enumerate() {
                    // Alternate between the processes; when one is gone (or
                    // busy), retry the same envelope on the other.
                    let deadline = Instant::now() + Duration::from_secs(30);
                    let mut k = (i + t) % 2;
                    loop {
                        match clients[k].post_envelopes(&ch, std::slice::from_ref(e)) {
                            Ok(r) => {
                                let prev = acked
                                    .lock()
                                    .unwrap()
                                    .insert(r[0].index, r[0].leaf_hash.clone());
                                if let Some(p) = prev {
                                    assert_eq!(
                                        p, r[0].leaf_hash,
                                        "index {} given to two entries",
                                        r[0].index
                                    );
                                }
                                posted += 1;
                                break;
                            }
                            Err(err) => {
                                assert!(
                                    Instant::now() < deadline,
                                    "no relay took envelope {i} of thread {t}: {err}"
                                );
                                k = 1 - k;
                                std::thread::sleep(Duration::from_millis(20));
                            }
                        }
                    }
                }
                posted
            })
        })
        .collect();
    let posted: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    killer.join().unwrap();
    assert_eq!(posted, THREADS * PER_THREAD);
    assert!(
        a.lock().unwrap().is_none(),
        "the first relay was killed during the load"
    );

    // The survivor serves the whole log: 3 + every envelope, once each, and
    // the time attestations dating them (`docs/relay.md`), each dating heads
    // no earlier one dates, whichever process logged it.
    let reader = RelayClient::new(&b.url, members[0].signing.clone()).unwrap();
    let heads = THREADS * PER_THREAD;
    let t = Instant::now();
    let (cp, raw) = loop {
        let (_, cp) = wait_checkpoint(&reader, &ch, (3 + heads) as u64, &b.vkey);
        let mut raw = Vec::new();
        while (raw.len() as u64) < cp.size {
            let page = reader.entries(&ch, raw.len() as u64, 1024).unwrap();
            raw.extend(
                page.entries
                    .iter()
                    .filter(|e| e.index < cp.size)
                    .map(|e| base64_dec(&e.entry)),
            );
        }
        let (mut last_head, mut dated) = (0, Vec::new());
        for (i, e) in raw.iter().enumerate() {
            match hotline_core::entry::Entry::from_bytes(e).unwrap() {
                hotline_core::entry::Entry::Head(_) => last_head = i as u64,
                hotline_core::entry::Entry::Time(n) => {
                    let note = hotline_log::note::Note::parse(n.as_bytes()).unwrap();
                    dated.push(
                        hotline_log::checkpoint::Checkpoint::parse(&note.text)
                            .unwrap()
                            .size,
                    );
                }
                _ => {}
            }
        }
        assert!(
            dated.windows(2).all(|w| w[0] < w[1]),
            "each time attestation dates heads no earlier one dates: {dated:?}"
        );
        if dated.last().is_some_and(|&d| d > last_head) {
            assert_eq!(
                raw.len() as u64,
                (3 + heads + dated.len()) as u64,
                "no duplicate and no lost entry"
            );
            break (cp, raw);
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the survivor dated not every head within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Every head dated: the relay appends nothing more unasked.
    let total = raw.len() as u64;
    let mut tree = MemoryTree::new();
    let mut leaves = BTreeMap::new();
    for (i, e) in raw.iter().enumerate() {
        let leaf = merkle::leaf_hash(e);
        assert!(leaves.insert(leaf, i).is_none(), "entry {i} appears twice");
        tree.append(leaf);
    }
    assert_eq!(cp.root, tree.root());
    for (index, leaf) in acked.lock().unwrap().iter() {
        assert_eq!(
            hex::encode(merkle::leaf_hash(&raw[*index as usize])),
            *leaf,
            "acknowledged entry {index} is not what the log holds there"
        );
    }

    // Every checkpoint either process signed agrees with these entries.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shared.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "relay",
            "export",
            "--without-key",
            "--database",
            &db,
            "--out",
        ])
        .arg(&file)
        .arg("--data")
        .arg(db_dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["relay", "import", "--verify-only", "--json", "--data"])
        .arg(dir.path().join("none"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entries"].as_u64(), Some(total));
    assert!(v["checkpoints"].as_u64().unwrap() >= 2, "{v}");

    // A restarted first process rejoins and sequences again.
    let a2 = start(da.path(), &name, Some(&db));
    let extra = envelope(ch, &members[0], &[&members[1]], "after the restart");
    let r = RelayClient::new(&a2.url, members[0].signing.clone())
        .unwrap()
        .post_envelopes(&ch, &[extra])
        .unwrap();
    assert_eq!(r[0].index, total);
    wait_checkpoint(&reader, &ch, total + 1, &b.vkey);
    stop(a2);
    stop(b);
}

/// Sends a GET to the relay at `base` with `Host: authority` and `headers`;
/// its status and body.
fn raw_at(
    base: &str,
    authority: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let mut c = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    let mut req =
        format!("GET {path}?{query} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    c.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, out)
}
