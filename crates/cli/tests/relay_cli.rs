//! `hotline relay serve` end to end, against the real binary on 127.0.0.1,
//! on SQLite and on the real PostgreSQL server (`HOTLINE_TEST_DATABASE_URL`):
//! channel creation, rosters, envelopes, re-posts, reads, SSE, tiles,
//! checkpoints and cosignatures, auth failures, hostile input, revocation,
//! graceful restart.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hotline_client::relay_client::{RelayClient, RelayError};
use hotline_core::entry::Entry;
use hotline_core::envelope::Envelope;
use hotline_core::ids::ChannelId;
use hotline_core::keys::{MemberKeys, SigningKey};
use hotline_log::checkpoint::Checkpoint;
use hotline_log::cosignature::Cosigner;
use hotline_log::merkle::{self, MemoryTree};
use hotline_log::note::Note;
use hotline_log::tiles;

fn scenario(database: Option<&str>) {
    let d = tempfile::tempdir().unwrap();
    let name = unique("relay");
    let relay = start(d.path(), &name, database);

    // Operations endpoints.
    let (s, ct, body) = get(&format!("{}/healthz", relay.url));
    assert_eq!((s, ct.as_str()), (200, "application/json"), "{body}");
    let (s, _, openapi) = get(&format!("{}/v1/openapi.json", relay.url));
    assert_eq!(s, 200);
    let openapi: serde_json::Value = serde_json::from_str(&openapi).unwrap();
    for p in [
        "/v1/channels",
        "/v1/channels/{id}/entries",
        "/v1/channels/{id}/events",
        "/v1/channels/{id}/blobs/{hash}",
        "/v1/channels/{id}/cosignatures",
        "/v1/channels/{id}/log/checkpoint",
    ] {
        assert!(
            openapi["paths"].get(p).is_some(),
            "{p} missing from the OpenAPI document"
        );
    }

    let (north, south, stranger) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let (n1, s1, s2) = (
        MemberKeys::generate(&mut rand_core::OsRng),
        MemberKeys::generate(&mut rand_core::OsRng),
        MemberKeys::generate(&mut rand_core::OsRng),
    );
    let charter = charter_doc(
        &relay,
        &[("north", &north), ("south", &south)],
        "00112233445566778899aabbccddeeff",
    );
    let as_north = RelayClient::new(&relay.url, north.clone()).unwrap();
    let as_south = RelayClient::new(&relay.url, south.clone()).unwrap();
    let as_stranger = RelayClient::new(&relay.url, stranger.clone()).unwrap();

    // Creation needs a party's request signature, and the charter must name this relay.
    assert_eq!(
        status(as_stranger.create_channel(&charter).unwrap_err()).0,
        403
    );
    let other_relay = charter_doc(
        &Relay {
            child: Command::new("true").spawn().unwrap(),
            url: relay.url.clone(),
            vkey: "other.example+01234567+AXe4xkKAuDBf8yItPbXm+DT4vgqCJ0vFdWcy2LhYOupx".into(),
        },
        &[("north", &north), ("south", &south)],
        "00112233445566778899aabbccddeeff",
    );
    assert_eq!(
        status(as_north.create_channel(&other_relay).unwrap_err()).0,
        422
    );
    let ch = as_north.create_channel(&charter).unwrap();
    assert_eq!(
        as_south.create_channel(&charter).unwrap(),
        ch,
        "creation is idempotent"
    );

    // Rosters: by the party key.
    let rn = roster(ch, &north, 1, None, &[&n1]);
    let rs = roster(ch, &south, 1, None, &[&s1, &s2]);
    assert_eq!(as_north.post_roster(&ch, &rn).unwrap().index, 1);
    assert_eq!(as_south.post_roster(&ch, &rs).unwrap().index, 2);
    // A roster signed by the wrong party is refused.
    let forged = roster(ch, &north, 1, None, &[&n1]);
    let mut forged_south = forged.clone();
    forged_south.signatures.clear();
    forged_south.sign(&stranger);
    assert_eq!(
        status(as_south.post_roster(&ch, &forged_south).unwrap_err()).0,
        422
    );

    let m_n1 = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    let m_s1 = RelayClient::new(&relay.url, s1.signing.clone()).unwrap();
    let m_s2 = RelayClient::new(&relay.url, s2.signing.clone()).unwrap();

    // Envelopes: accepted once, a re-post answers with the original index.
    let e1 = envelope(
        ch,
        &n1,
        &[&s1, &s2, &n1],
        "Inquiry: intrusions into university networks",
    );
    let a = m_n1.post_envelopes(&ch, std::slice::from_ref(&e1)).unwrap();
    assert_eq!((a[0].index, a[0].duplicate), (3, false));
    assert!(a[0].sequenced_at.is_some());
    let again = m_n1.post_envelopes(&ch, std::slice::from_ref(&e1)).unwrap();
    assert_eq!((again[0].index, again[0].duplicate), (3, true));
    // The relay dates each sequenced head with a time attestation it logs
    // after it (`docs/relay.md`): entry 4, once a checkpoint covers 3.
    let settle = |size: u64| wait_checkpoint(&m_n1, &ch, size, &relay.vkey);
    settle(5);
    assert_eq!(again[0].leaf_hash, a[0].leaf_hash);
    assert_eq!(
        a[0].leaf_hash,
        hex::encode(merkle::leaf_hash(&e1.to_bytes()[..241]))
    );

    // Several in one request, one of them twice.
    let e2 = envelope(ch, &s1, &[&n1], "ack");
    let e3 = envelope(ch, &s2, &[&n1], "answer");
    let r = m_s1
        .post_envelopes(&ch, &[e2.clone(), e3.clone(), e2.clone()])
        .unwrap();
    assert_eq!(
        r.iter().map(|a| (a.index, a.duplicate)).collect::<Vec<_>>(),
        vec![(5, false), (6, false), (5, true)]
    );
    settle(8);

    // Ciphertext uploaded as a blob first, then the head and stanzas.
    let e4 = envelope(ch, &n1, &[&s1], &"large evidence ".repeat(20_000));
    let bytes = e4.to_bytes();
    let nst = e4.signed_head().head.recipient_count as usize * 112;
    let ct = &bytes[241 + nst..];
    let h = m_n1.put_blob(&ch, ct).unwrap();
    assert_eq!(m_n1.blob(&ch, &h).unwrap(), ct);
    let body = serde_json::json!({"envelopes": [{
        "head": base64_std(&bytes[..241]), "stanzas": base64_std(&bytes[241..241 + nst])
    }]});
    assert_eq!(m_n1.post_raw_envelopes(&ch, &body).unwrap()[0].index, 8);
    assert_eq!(m_s1.envelope(&ch, 8).unwrap(), bytes);
    settle(10);
    assert_eq!(m_s2.envelope(&ch, 3).unwrap(), e1.to_bytes());

    // Envelopes in pages: the heads among the entries asked for, whole
    // (the blob-backed one too), charter and rosters skipped.
    let page = m_s2.envelopes(&ch, 0, 100).unwrap();
    assert_eq!((page.size, page.next), (10, 10));
    let got: Vec<(u64, Vec<u8>)> = page
        .envelopes
        .iter()
        .map(|e| (e.index, base64_dec(&e.envelope)))
        .collect();
    let want: Vec<(u64, Vec<u8>)> = [3, 5, 6, 8]
        .into_iter()
        .map(|i| (i, m_s2.envelope(&ch, i).unwrap()))
        .collect();
    assert_eq!(got, want);
    let page = m_s2.envelopes(&ch, 4, 2).unwrap();
    assert_eq!(page.next, 6);
    assert_eq!(
        page.envelopes.iter().map(|e| e.index).collect::<Vec<_>>(),
        [5],
        "the time attestation at 4 is no envelope"
    );
    let page = m_s2.envelopes(&ch, 99, 10).unwrap();
    assert_eq!((page.next, page.envelopes.len()), (10, 0));

    // Reads: every entry, in order, of the right kind.
    let page = m_s2.entries(&ch, 0, 100).unwrap();
    assert_eq!(page.size, 10);
    let kinds: Vec<&str> = page.entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "charter", "roster", "roster", "envelope", "time", "envelope", "envelope", "time",
            "envelope", "time"
        ]
    );
    let raw: Vec<Vec<u8>> = page.entries.iter().map(|e| base64_dec(&e.entry)).collect();
    assert!(matches!(
        Entry::from_bytes(&raw[0]).unwrap(),
        Entry::Charter(_)
    ));

    // The checkpoint covers them within the interval, signed by the relay key,
    // and its root is the RFC 6962 root of exactly these entries.
    let (note, cp) = wait_checkpoint(&m_n1, &ch, 10, &relay.vkey);
    assert_eq!(cp.origin, format!("{name}/{}", ch.to_hex()));
    let mut tree = MemoryTree::new();
    for e in &raw {
        tree.append(merkle::leaf_hash(e));
    }
    assert_eq!(cp.root, tree.root());
    // Tiles at their tlog-tiles paths give the same entries and hashes.
    let bundle = m_n1.tile(&ch, "tile/entries/000.p/10").unwrap();
    assert_eq!(tiles::parse_bundle(&bundle, 10).unwrap(), raw);
    // Who may read what: entry bundles (the charter, rosters naming the
    // officials) need a member's, a party's or a charter witness's
    // signature; hash tiles and checkpoints stay public for witnesses and
    // monitors.
    let tile_url = |p: &str| format!("{}/v1/channels/{}/log/{p}", relay.url, ch.to_hex());
    let (s, ct, body) = get(&tile_url("tile/entries/000.p/10"));
    assert_eq!(
        (s, ct.as_str()),
        (401, "application/problem+json"),
        "{body}"
    );
    assert_eq!(
        status(as_stranger.tile(&ch, "tile/entries/000.p/10").unwrap_err()).0,
        403
    );
    assert_eq!(as_north.tile(&ch, "tile/entries/000.p/10").unwrap(), bundle);
    assert_eq!(raw_get(&tile_url("tile/0/000.p/10"), "", "", &[]), 200);
    assert_eq!(get(&tile_url("checkpoint")).0, 200);
    let level0 = m_n1.tile(&ch, "tile/0/000.p/10").unwrap();
    assert_eq!(level0.len(), 10 * 32);
    assert_eq!(&level0[..32], &merkle::leaf_hash(&raw[0]));
    assert_eq!(status(m_n1.tile(&ch, "tile/0/001").unwrap_err()).0, 404);
    assert_eq!(
        status(m_n1.tile(&ch, "tile/0/../../etc").unwrap_err()).0,
        404
    );
    // Numbers that overflow u64 arithmetic (`index * 256`, a hash's stored
    // index at a high level, `index + 1`): a 404 problem each, never a
    // panic, and never another tile's bytes under this path.
    for path in [
        "tile/entries/x018/x446/x744/x073/x709/x551/615",
        "tile/entries/x072/x057/x594/x037/x927/936",
        "tile/0/x072/x057/x594/x037/x927/936",
        "tile/63/001",
        "tile/63/x018/x446/x744/x073/x709/x551/615.p/1",
    ] {
        assert_eq!(status(m_n1.tile(&ch, path).unwrap_err()).0, 404, "{path}");
    }
    assert_eq!(status(m_n1.envelope(&ch, u64::MAX).unwrap_err()).0, 404);
    assert_eq!(m_n1.tile(&ch, "tile/entries/000.p/10").unwrap(), bundle);

    // A member's cosignature (its receipt) is checked and attached.
    let cos = Cosigner::new(&n1.signing.key_id().to_hex(), &n1.signing.seed()).unwrap();
    let line = cos.cosign(&note.text, 1_790_000_000).unwrap().to_line();
    assert!(m_n1.cosign(&ch, cp.size, &line).unwrap());
    assert!(
        !m_n1.cosign(&ch, cp.size, &line).unwrap(),
        "a second copy is not added"
    );
    let with = String::from_utf8(m_n1.checkpoint_at(&ch, cp.size).unwrap()).unwrap();
    assert!(with.contains(&line), "{with}");
    // Someone else's cosignature, or a bad one, is refused.
    assert_eq!(status(m_s1.cosign(&ch, cp.size, &line).unwrap_err()).0, 403);
    let bad = cos.cosign("other text\n", 1_790_000_000).unwrap().to_line();
    assert_eq!(status(m_n1.cosign(&ch, cp.size, &bad).unwrap_err()).0, 422);

    // Server-sent events from a cursor.
    let mut sse = sse_lines(&relay.url, &m_s1, &ch, 5);
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let mut l = String::new();
        sse.read_line(&mut l).unwrap();
        if let Some(id) = l.trim().strip_prefix("id: ") {
            seen.push(id.parse::<u64>().unwrap());
        }
    }
    assert_eq!(seen, [5, 6]);
    let e5 = envelope(ch, &s2, &[&n1], "live");
    assert_eq!(m_s2.post_envelopes(&ch, &[e5]).unwrap()[0].index, 10);
    loop {
        let mut l = String::new();
        sse.read_line(&mut l).unwrap();
        if let Some(id) = l.trim().strip_prefix("id: ") {
            seen.push(id.parse::<u64>().unwrap());
            if seen.last() == Some(&10) {
                break;
            }
        }
    }
    assert_eq!(seen, [5, 6, 7, 8, 9, 10], "every entry, in order");
    drop(sse);
    settle(12);

    // A key may hold 8 event streams at once; the 9th is refused (429).
    let held: Vec<_> = (0..8)
        .map(|_| sse_lines(&relay.url, &m_s2, &ch, 0))
        .collect();
    assert_eq!(sse_status(&relay.url, &m_s2, &ch), 429);
    assert_eq!(
        sse_status(&relay.url, &m_s1, &ch),
        200,
        "another key is not affected"
    );
    drop(held);

    // Authentication and authorisation failures, as problem details.
    let (s, ct, _) = get(&format!(
        "{}/v1/channels/{}/entries",
        relay.url,
        ch.to_hex()
    ));
    assert_eq!((s, ct.as_str()), (401, "application/problem+json"));
    assert_eq!(status(as_stranger.entries(&ch, 0, 1).unwrap_err()).0, 403);
    let (s, kind) = status(m_n1.entries(&ChannelId([7; 16]), 0, 1).unwrap_err());
    assert_eq!((s, kind.as_str()), (404, "urn:hotline:problem:not-found"));
    // A replayed request is refused.
    let path = format!("/v1/channels/{}/entries", ch.to_hex());
    let hs = m_n1.sign_request("GET", &path, Some("start=0"), b"");
    assert_eq!(raw_get(&relay.url, &path, "start=0", &hs), 200);
    assert_eq!(raw_get(&relay.url, &path, "start=0", &hs), 401);
    // A signature over another query does not carry over.
    let hs = m_n1.sign_request("GET", &path, Some("start=0"), b"");
    assert_eq!(raw_get(&relay.url, &path, "start=1", &hs), 401);
    // Nor one made for another authority (`@authority` is covered): a
    // request signed for `localhost:PORT`, sent to `127.0.0.1:PORT`.
    let elsewhere = RelayClient::new(
        &relay.url.replace("127.0.0.1", "localhost"),
        n1.signing.clone(),
    )
    .unwrap();
    let hs = elsewhere.sign_request("GET", &path, Some("start=0"), b"");
    assert_eq!(raw_get(&relay.url, &path, "start=0", &hs), 401);

    // Hostile input: malformed JSON, bad base64, a tampered head, stanzas that
    // do not match, another channel's envelope, a huge body.
    let bad = |v: serde_json::Value| status(m_n1.post_raw_envelopes(&ch, &v).unwrap_err()).0;
    assert_eq!(bad(serde_json::json!({"nope": 1})), 400);
    assert_eq!(bad(serde_json::json!({"envelopes": []})), 400);
    assert_eq!(
        bad(serde_json::json!({"envelopes": [{"head": "!!", "stanzas": ""}]})),
        400
    );
    let e6 = envelope(ch, &n1, &[&s1], "x");
    let mut b6 = e6.to_bytes();
    b6[120] ^= 1;
    let n6 = 112;
    assert_eq!(
        bad(
            serde_json::json!({"envelopes": [{"head": base64_std(&b6[..241]), "stanzas": base64_std(&b6[241..241 + n6]), "ciphertext": base64_std(&b6[241 + n6..])}]})
        ),
        422
    );
    let b6 = e6.to_bytes();
    assert_eq!(
        bad(
            serde_json::json!({"envelopes": [{"head": base64_std(&b6[..241]), "stanzas": base64_std(&b6[241..241 + n6 - 1]), "ciphertext": base64_std(&b6[241 + n6..])}]})
        ),
        422
    );
    let elsewhere = envelope(ChannelId([9; 16]), &n1, &[&s1], "y");
    assert_eq!(
        status(m_n1.post_envelopes(&ch, &[elsewhere]).unwrap_err()).0,
        422
    );
    // An envelope of another suite than the charter's: X-Wing stanzas in
    // this hotline-v1 channel, properly signed by a member.
    let hybrid = envelope_in(hotline_core::charter::Suite::XWing, ch, &n1, &[&s1], "z");
    let e = m_n1.post_envelopes(&ch, &[hybrid]).unwrap_err();
    assert!(e.to_string().contains("suite"), "{e}");
    assert_eq!(status(e).0, 422);
    let huge = vec![b'a'; 300_000];
    assert_eq!(
        status(
            m_n1.raw("POST", &path, Some((&huge, "application/json")), true)
                .unwrap_err()
        )
        .0,
        413
    );
    let (s, _) = status(
        m_n1.raw("POST", &path, Some((b"{", "application/json")), true)
            .unwrap_err(),
    );
    assert_eq!(s, 400);
    // Nothing of that reached the log.
    assert_eq!(m_n1.entries(&ch, 0, 1).unwrap().size, 12);

    // Revocation: south's roster v2 drops s2; s2 is refused from then on,
    // and the event stream s2 opened before is closed at once (an open
    // stream is judged against the directory as of the current log size).
    let mut s2_events = sse_lines(&relay.url, &m_s2, &ch, 12);
    let rs2 = roster(ch, &south, 2, Some(&rs), &[&s1]);
    assert_eq!(m_s1.post_roster(&ch, &rs2).unwrap().index, 12);
    let mut after = Vec::new();
    loop {
        let mut l = String::new();
        match s2_events.read_line(&mut l) {
            Ok(0) => break,
            Ok(_) => after.extend(l.trim().strip_prefix("id: ").map(str::to_owned)),
            Err(e) => panic!("the revoked member's stream stayed open until {e}"),
        }
    }
    assert_eq!(
        after,
        Vec::<String>::new(),
        "nothing streamed to a revoked member"
    );
    drop(s2_events);
    let late = envelope(ch, &s2, &[&n1], "after revocation");
    assert_eq!(
        status(
            m_s2.post_envelopes(&ch, std::slice::from_ref(&late))
                .unwrap_err()
        )
        .0,
        403
    );
    assert_eq!(
        status(m_s1.post_envelopes(&ch, &[late]).unwrap_err()).0,
        422,
        "s2's envelope, posted by s1"
    );
    // An old roster version again is a re-post, answered with its index.
    let re = as_south.post_roster(&ch, &rs).unwrap();
    assert_eq!((re.index, re.duplicate), (2, true));

    let (s, _, m) = get(&format!("{}/metrics", relay.url));
    assert_eq!(s, 200);
    assert!(m.contains("hotline_relay_appends_total"), "{m}");

    // Restart: SIGTERM, then the same data folder; nothing lost.
    let before = wait_checkpoint(&m_n1, &ch, 13, &relay.vkey).1;
    stop(relay);
    let relay = start(d.path(), &name, database);
    let m_n1 = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    let after = wait_checkpoint(&m_n1, &ch, 13, &relay.vkey).1;
    assert_eq!((after.size, after.root), (before.size, before.root));
    let e7 = envelope(ch, &n1, &[&s1], "after restart");
    assert_eq!(m_n1.post_envelopes(&ch, &[e7]).unwrap()[0].index, 13);
    assert_eq!(
        m_n1.post_envelopes(&ch, std::slice::from_ref(&e1)).unwrap()[0].index,
        3
    );
    wait_checkpoint(&m_n1, &ch, 15, &relay.vkey);

    // The channel list.
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["relay", "channels", "--data"])
        .arg(d.path())
        .args(
            database
                .map(|db| vec!["--database", db])
                .unwrap_or_default(),
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), ch.to_hex());
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["relay", "key", "--data"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), relay.vkey);

    backup_and_restore(d.path(), database, &relay, &ch, &e1, &n1);
    stop(relay);
}

fn hotline(args: &[&str], data: &Path, database: Option<&str>) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hotline"));
    c.args(args)
        .arg("--data")
        .arg(data)
        .env_remove("HOTLINE_RELAY_DATABASE");
    if let Some(db) = database {
        c.args(["--database", db]);
    }
    c.output().unwrap()
}

/// `relay export`, a verified `relay import` into a new relay that then
/// serves the same log, and refusals of tampered, truncated and clashing imports.
fn backup_and_restore(
    data: &Path,
    database: Option<&str>,
    relay: &Relay,
    ch: &ChannelId,
    e1: &Envelope,
    n1: &MemberKeys,
) {
    let m_n1 = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    let (_, cp) = wait_checkpoint(&m_n1, ch, 15, &relay.vkey);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.jsonl");
    let f = file.to_str().unwrap();
    let out = hotline(&["relay", "export", "--out", f], data, database);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(
        said.starts_with("exported 1 channels, 15 entries"),
        "{said}"
    );

    // Verification alone writes nothing and passes.
    let empty = dir.path().join("verify-only");
    let out = hotline(
        &["relay", "import", f, "--verify-only", "--json"],
        &empty,
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["verified"].as_bool(), v["entries"].as_u64()),
        (Some(true), Some(15))
    );
    assert!(!empty.exists());

    // Tampering with one entry, or a checkpoint, fails verification (exit 1);
    // a truncated file is refused (exit 2); nothing is written either way.
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let tampered = |pick: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let mut out = Vec::new();
        let mut done = false;
        for l in &lines {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if !done && v["record"] == pick {
                edit(&mut v);
                done = true;
            }
            out.push(v.to_string());
        }
        assert!(done, "no {pick} record");
        let p = dir.path().join(format!("tampered-{pick}.jsonl"));
        std::fs::write(&p, out.join("\n") + "\n").unwrap();
        p
    };
    let flip = |s: &str, at: usize| {
        let mut b = base64_dec(s);
        b[at] ^= 1;
        base64_std(&b)
    };
    let bad_entry = tampered("entries", &|v| {
        let e = v["entries"][3].as_str().unwrap().to_owned();
        v["entries"][3] = flip(&e, 100).into();
    });
    let bad_checkpoint = tampered("checkpoint", &|v| {
        let n = v["note"].as_str().unwrap().to_owned();
        v["note"] = flip(&n, 40).into();
    });
    let bad_blob = tampered("blob", &|v| {
        let n = v["data"].as_str().unwrap().to_owned();
        v["data"] = flip(&n, 0).into();
    });
    let bad_body = tampered("body", &|v| {
        let n = v["stanzas"].as_str().unwrap().to_owned();
        v["stanzas"] = flip(&n, 5).into();
    });
    // An envelope of the other cipher suite, signed by its member: its
    // head's suite byte changed and signed again.
    let head = base64_std(&e1.signed_head().to_bytes());
    let other_suite = tampered("entries", &|v| {
        let entries = v["entries"].as_array_mut().unwrap();
        let e = entries
            .iter_mut()
            .find(|e| e.as_str() == Some(&head))
            .unwrap();
        let mut b = base64_dec(e.as_str().unwrap());
        b[4] = if b[4] == 1 { 2 } else { 1 };
        let sig = n1.signing.sign(&hotline_core::dsse::pae(
            hotline_core::envelope::HEAD_PAYLOAD_TYPE,
            &b[..177],
        ));
        b[177..].copy_from_slice(&sig.0);
        *e = base64_std(&b).into();
    });
    let out = hotline(
        &["relay", "import", other_suite.to_str().unwrap()],
        &empty,
        None,
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("is of suite"), "{said}");
    assert!(!empty.join("relay.sqlite").exists(), "nothing written");
    for p in [&bad_entry, &bad_checkpoint, &bad_blob, &bad_body] {
        let out = hotline(&["relay", "import", p.to_str().unwrap()], &empty, None);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {}",
            p.display(),
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("verification failed"));
        assert!(!empty.join("relay.sqlite").exists(), "nothing written");
    }
    let truncated = dir.path().join("truncated.jsonl");
    std::fs::write(&truncated, lines[..lines.len() - 1].join("\n")).unwrap();
    let out = hotline(
        &["relay", "import", truncated.to_str().unwrap()],
        &empty,
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("truncated"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!empty.join("relay.sqlite").exists());

    // Into the relay's own store: refused, it already holds the channel.
    let out = hotline(&["relay", "import", f], data, database);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds"));

    // Into a new SQLite relay folder (from PostgreSQL, a migration), and,
    // when PostgreSQL is at hand, from SQLite into it.
    let targets: Vec<(tempfile::TempDir, Option<String>)> =
        match (database, std::env::var("HOTLINE_TEST_DATABASE_URL")) {
            (None, Ok(url)) => vec![
                (tempfile::tempdir().unwrap(), None),
                (tempfile::tempdir().unwrap(), Some(url)),
            ],
            _ => vec![(tempfile::tempdir().unwrap(), None)],
        };
    for (target, db) in &targets {
        let out = hotline(&["relay", "import", f], target.path(), db.as_deref());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .contains("verified and imported 1 channels, 15 entries")
        );
        let restored = start(target.path(), "ignored.example", db.as_deref());
        assert_eq!(
            restored.vkey, relay.vkey,
            "the relay key came with the backup"
        );
        let c = RelayClient::new(&restored.url, n1.signing.clone()).unwrap();
        let (_, again) = wait_checkpoint(&c, ch, 15, &restored.vkey);
        assert_eq!((again.size, again.root), (cp.size, cp.root));
        assert_eq!(c.envelope(ch, 3).unwrap(), e1.to_bytes());
        let r = c.post_envelopes(ch, std::slice::from_ref(e1)).unwrap();
        assert_eq!((r[0].index, r[0].duplicate), (3, true));
        stop(restored);
    }
}

#[test]
fn relay_on_sqlite() {
    scenario(None);
}

#[test]
fn relay_on_postgres() {
    let Ok(url) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: the PostgreSQL backend was NOT tested");
        return;
    };
    scenario(Some(&url));
}

#[test]
fn relay_over_tls_and_address_policy() {
    let d = tempfile::tempdir().unwrap();
    // A private CA (a state's own) and the relay's certificate issued by it.
    let TestCerts { ca, cert, key } = test_certs(d.path());
    let data = d.path().join("relay");

    // Plain HTTP on a non-loopback address is refused, with what to do.
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["relay", "serve", "--listen", "0.0.0.0:0", "--data"])
        .arg(&data)
        .env("HOTLINE_PASSPHRASE", "relay test passphrase")
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to serve plain HTTP") && err.contains("tls_cert"),
        "{err}"
    );

    // A missing key file is reported before listening.
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["relay", "serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(d.path().join("missing.pem"))
        .env("HOTLINE_PASSPHRASE", "relay test passphrase")
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.pem"));

    // With a certificate: HTTPS, verified against it by curl.
    // (With structured logs: JSON lines on stderr.)
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "--log-format",
            "json",
            "relay",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
        ])
        .arg(&data)
        .env("HOTLINE_RELAY_TLS_CERT", &cert)
        .env("HOTLINE_RELAY_TLS_KEY", &key)
        .env("HOTLINE_PASSPHRASE", "relay test passphrase")
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let mut log_line = String::new();
    // Kept open to the end, so the relay's later log lines have a reader.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    stderr.read_line(&mut log_line).unwrap();
    // A relay that admits no party says so first: it will refuse every new channel.
    let log: serde_json::Value = serde_json::from_str(&log_line).expect("a JSON log line");
    assert_eq!(log["level"], "WARN", "{log_line}");
    assert!(
        log["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no party is admitted")),
        "{log_line}"
    );
    log_line.clear();
    stderr.read_line(&mut log_line).unwrap();
    let log: serde_json::Value = serde_json::from_str(&log_line).expect("a JSON log line");
    assert_eq!(log["level"], "INFO", "{log_line}");
    assert!(log["fields"]["message"].is_string(), "{log_line}");
    assert!(!log_line.contains("relay test passphrase"));
    let url = line
        .trim()
        .strip_prefix("relay listening on ")
        .unwrap()
        .to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let curl = |args: &[&str], u: &str| {
        Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "10",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ])
            .args(args)
            .arg(u)
            .output()
            .unwrap()
    };
    let out = curl(
        &["--cacert", ca.to_str().unwrap()],
        &format!("{url}/healthz"),
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "200",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without trusting the certificate, curl refuses; plain HTTP gets nothing.
    assert!(!curl(&[], &format!("{url}/healthz")).status.success());
    let plain = url.replace("https://", "http://");
    let out = curl(&[], &format!("{plain}/healthz"));
    assert_ne!(String::from_utf8_lossy(&out.stdout), "200");

    // The client: refused by the default (public) roots, trusted with the
    // private CA (`hotline --relay-ca FILE`).
    let k = SigningKey::generate(&mut rand_core::OsRng);
    match RelayClient::new(&url, k.clone()).unwrap().info() {
        Err(RelayError::Transport { .. }) => {}
        other => panic!("expected a TLS failure, got {other:?}"),
    }
    hotline_client::relay_client::trust_ca_pem(&std::fs::read(&ca).unwrap()).unwrap();
    let info = RelayClient::new(&url, k.clone()).unwrap().info().unwrap();
    assert!(info["relay"].is_string() || info.is_object(), "{info}");
    // Plain HTTP to a host that is not loopback is refused before any request.
    let e = RelayClient::new("http://192.0.2.1:8440", k.clone())
        .err()
        .expect("plain HTTP off loopback is refused");
    assert!(e.to_string().contains("refusing plain HTTP"), "{e}");
    assert!(RelayClient::new("http://[::1]:8440", k.clone()).is_ok());
    assert!(RelayClient::new("ftp://127.0.0.1", k).is_err());
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    assert!(child.wait().unwrap().success());
}

fn witness_serve(data: &Path, port: u16) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "witness",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data",
        ])
        .arg(data)
        .env("HOTLINE_PASSPHRASE", "witness passphrase")
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("witness listening on ")
        .unwrap()
        .to_owned();
    (child, url)
}

/// Waits for a checkpoint of at least `size` carrying a cosignature that
/// verifies with `vkey`; returns its size.
fn wait_cosigned(c: &RelayClient, ch: &ChannelId, size: u64, vkey: &str) -> u64 {
    let v = hotline_log::cosignature::CosignatureVerifier::from_vkey(vkey).unwrap();
    let t = Instant::now();
    loop {
        let note = Note::parse(&c.checkpoint(ch).unwrap()).unwrap();
        let cp = Checkpoint::parse(&note.text).unwrap();
        if cp.size >= size
            && note
                .signatures
                .iter()
                .any(|s| matches!(v.verify(&note.text, s), Ok(Some(_))))
        {
            return cp.size;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "no checkpoint of size {size} cosigned by {vkey} within 10 s (at {})",
            cp.size
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn relay_forwards_checkpoints_to_the_charters_witness() {
    let d = tempfile::tempdir().unwrap();
    let wdir = d.path().join("witness");
    let witness = |args: &[&str]| witness_cmd(&wdir, args);
    witness(&["init", "--name", "witness.test/w1"]);
    let wvkey = witness(&["key"]).trim().to_owned();
    // The charter names the witness's URL before it runs: pick a free port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let name = unique("relay");
    let relay = start(&d.path().join("relay"), &name, None);
    let north = SigningKey::generate(&mut rand_core::OsRng);
    let south = SigningKey::generate(&mut rand_core::OsRng);
    let n1 = MemberKeys::generate(&mut rand_core::OsRng);
    let charter = charter_doc_with(
        &relay,
        &[("north", &north), ("south", &south)],
        "fedcba9876543210fedcba9876543210",
        vec![hotline_core::charter::WitnessInfo {
            key: wvkey.clone(),
            url: format!("http://127.0.0.1:{port}"),
        }],
    );
    let id = hotline_core::charter::VerifiedCharter::verify(&charter)
        .unwrap()
        .channel();
    witness(&[
        "add-log",
        "--origin",
        &format!("{name}/{}", id.to_hex()),
        "--key",
        &relay.vkey,
    ]);
    let (w, _) = witness_serve(&wdir, port);

    let as_north = RelayClient::new(&relay.url, north.clone()).unwrap();
    let ch = as_north.create_channel(&charter).unwrap();
    assert_eq!(ch, id);
    as_north
        .post_roster(&ch, &roster(ch, &north, 1, None, &[&n1]))
        .unwrap();
    let m = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    m.post_envelopes(&ch, &[envelope(ch, &n1, &[&n1], "one")])
        .unwrap();
    assert!(wait_cosigned(&m, &ch, 3, &wvkey) >= 3);

    // The witness goes away: sequencing and checkpoints go on, the failure is counted.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(w.id().to_string())
        .status();
    let mut w = w;
    w.wait().unwrap();
    m.post_envelopes(&ch, &[envelope(ch, &n1, &[&n1], "two")])
        .unwrap();
    wait_checkpoint(&m, &ch, 4, &relay.vkey);
    let t = Instant::now();
    loop {
        let (_, _, metrics) = get(&format!("{}/metrics", relay.url));
        if metrics
            .lines()
            .any(|l| l.starts_with("hotline_relay_witness_failures_total ") && !l.ends_with(" 0"))
        {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "no witness failure counted:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Back again (same view on disk): the next checkpoint is cosigned with
    // a consistency proof from the size it cosigned before.
    let (w, _) = witness_serve(&wdir, port);
    m.post_envelopes(&ch, &[envelope(ch, &n1, &[&n1], "three")])
        .unwrap();
    assert!(wait_cosigned(&m, &ch, 5, &wvkey) >= 5);
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(w.id().to_string())
        .status();
    let mut w = w;
    w.wait().unwrap();
    stop(relay);
}

/// `hotline witness ARGS --data WDIR`: its stdout (it must succeed).
fn witness_cmd(wdir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("witness")
        .args(args)
        .arg("--data")
        .arg(wdir)
        .env("HOTLINE_PASSPHRASE", "witness passphrase")
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A server on loopback that answers every request with a 303 redirect to
/// `to` and counts the requests it got.
fn redirector(to: String) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read as _, Write as _};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = c.set_read_timeout(Some(Duration::from_millis(200)));
            let mut buf = [0u8; 65536];
            let _ = c.read(&mut buf);
            let _ = write!(
                c,
                "HTTP/1.1 303 See Other\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (port, hits)
}

#[test]
fn the_relay_follows_no_redirect_from_a_witness_url() {
    // A charter's witness URL is its authors' choice; a redirect from it
    // could send the relay to any address its network reaches, an internal
    // service say (server-side request forgery: a 303 turns the POST into a
    // GET, which an HTTP client follows). The relay must not go there.
    let d = tempfile::tempdir().unwrap();
    let (internal, internal_hits) = redirector("http://127.0.0.1:1/".into());
    let (via, hits) = redirector(format!("http://127.0.0.1:{internal}/latest/meta-data"));
    let name = unique("relay");
    let relay = start(&d.path().join("relay"), &name, None);
    let north = SigningKey::generate(&mut rand_core::OsRng);
    let south = SigningKey::generate(&mut rand_core::OsRng);
    let n1 = MemberKeys::generate(&mut rand_core::OsRng);
    let w = hotline_log::cosignature::Cosigner::new("witness.test/w2", &[7; 32]).unwrap();
    let charter = charter_doc_with(
        &relay,
        &[("north", &north), ("south", &south)],
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        vec![hotline_core::charter::WitnessInfo {
            key: w.vkey(),
            url: format!("http://127.0.0.1:{via}"),
        }],
    );
    let as_north = RelayClient::new(&relay.url, north.clone()).unwrap();
    let ch = as_north.create_channel(&charter).unwrap();
    as_north
        .post_roster(&ch, &roster(ch, &north, 1, None, &[&n1]))
        .unwrap();
    let m = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    m.post_envelopes(&ch, &[envelope(ch, &n1, &[&n1], "one")])
        .unwrap();
    wait_checkpoint(&m, &ch, 3, &relay.vkey);
    // The relay asked the charter's URL and counted a failure…
    let t = Instant::now();
    loop {
        let (_, _, metrics) = get(&format!("{}/metrics", relay.url));
        if hits.load(std::sync::atomic::Ordering::SeqCst) > 0
            && metrics.lines().any(|l| {
                l.starts_with("hotline_relay_witness_failures_total ") && !l.ends_with(" 0")
            })
        {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "the relay never tried the witness URL, or counted no failure:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // …and never went where the redirect pointed.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        internal_hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the relay followed the witness URL's redirect"
    );
    stop(relay);
}

fn sse_status(base: &str, c: &RelayClient, ch: &ChannelId) -> u16 {
    let path = format!("/v1/channels/{}/events", ch.to_hex());
    let hs = c.sign_request("GET", &path, Some("start=0"), b"");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let mut req = agent.get(format!("{base}{path}?start=0"));
    for (k, v) in &hs {
        req = req.header(k, v);
    }
    req.call().unwrap().status().as_u16()
}

#[test]
fn a_test_that_panics_leaves_no_relay_running() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(d.path(), &unique("relay"), None);
    let pid = relay.child.id();
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _relay = relay;
        panic!("a failing assertion, on purpose");
    }));
    assert!(r.is_err());
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the relay of a test that panicked is stopped"
    );
}

/// Admission (`docs/relay.md` § Admission): a relay on its default settings
/// refuses a channel of parties it never admitted, with a problem that says
/// which party and what to do; the operator's list (flags, `admit_file`,
/// read again at each creation) admits them; a registered channel stays
/// served when a party leaves the list, a new one is refused again.
#[test]
fn a_default_relay_refuses_channels_of_parties_it_never_admitted() {
    let d = tempfile::tempdir().unwrap();
    let name = unique("relay");
    let (north, south) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let parties = [("north", &north), ("south", &south)];
    let as_north = |r: &Relay| RelayClient::new(&r.url, north.clone()).unwrap();
    let problem = |e: RelayError| match e {
        RelayError::Problem {
            status,
            kind,
            detail,
            ..
        } => (
            status,
            kind.rsplit(':').next().unwrap_or("").to_owned(),
            detail,
        ),
        other => panic!("expected a problem, got {other}"),
    };

    // Default settings: nobody is admitted.
    let relay = start_with(&d.path().join("default"), &name, None, &[]);
    let charter = charter_doc(&relay, &parties, "00112233445566778899aabbccddeeff");
    let (s, kind, detail) = problem(as_north(&relay).create_channel(&charter).unwrap_err());
    assert_eq!((s, kind.as_str()), (403, "not-admitted"), "{detail}");
    assert!(
        detail.contains("does not admit north (party key id")
            && detail.contains("and south (party key id")
            && detail.contains("Ask the relay's operator")
            && detail.contains("admit_file"),
        "{detail}"
    );
    let (_, _, metrics) = get(&format!("{}/metrics", relay.url));
    assert!(
        metrics.contains("hotline_relay_not_admitted_total 1"),
        "{metrics}"
    );
    // The refused charter left nothing behind.
    let out = hotline(
        &["relay", "channels", "--json"],
        &d.path().join("default"),
        None,
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed, serde_json::json!([]), "{listed}");
    stop(relay);

    // An admission file naming one party (its key id): the other is named.
    let data = d.path().join("listed");
    std::fs::create_dir_all(&data).unwrap();
    let file = data.join("admitted");
    std::fs::write(
        &file,
        format!("# the parties we serve\n{}  # North\n", north.key_id()),
    )
    .unwrap();
    let relay = start_with(
        &data,
        &name,
        None,
        &["--admit-file", file.to_str().unwrap()],
    );
    let charter = charter_doc(&relay, &parties, "00112233445566778899aabbccddeeff");
    let (s, _, detail) = problem(as_north(&relay).create_channel(&charter).unwrap_err());
    assert_eq!(s, 403);
    assert!(
        detail.contains("does not admit south (") && !detail.contains("north ("),
        "{detail}"
    );
    // Admitting the other (by its party key, as profile.json gives it) needs no restart.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!("{}\n", south.verifying_key().to_base64()));
    std::fs::write(&file, &text).unwrap();
    let ch = as_north(&relay).create_channel(&charter).unwrap();
    // Leaving the list: the registered channel is still answered (its
    // members post the charter again when they join); a new one is refused.
    std::fs::write(&file, format!("{}\n", north.key_id())).unwrap();
    assert_eq!(
        RelayClient::new(&relay.url, south.clone())
            .unwrap()
            .create_channel(&charter)
            .unwrap(),
        ch
    );
    let another = charter_doc(&relay, &parties, "ffeeddccbbaa99887766554433221100");
    assert_eq!(
        problem(as_north(&relay).create_channel(&another).unwrap_err()).0,
        403
    );
    // An admission file that breaks while the relay runs refuses new
    // channels (503, retry later), never admits by default.
    std::fs::write(&file, "not a key\n").unwrap();
    let (s, kind, detail) = problem(as_north(&relay).create_channel(&another).unwrap_err());
    assert_eq!((s, kind.as_str()), (503, "unavailable"), "{detail}");
    assert!(!detail.contains("not a key"), "{detail}");
    stop(relay);

    // At start: a bad line is named and the relay does not start; open
    // admission and a list together are refused.
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["relay", "serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .args(["--admit-file", file.to_str().unwrap()])
        .env("HOTLINE_PASSPHRASE", "relay test passphrase")
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("line 1: \"not a key\" is neither"), "{err}");
    std::fs::write(
        data.join("relay.toml"),
        format!(
            "admit = [\"{}\"]\ndanger_open_admission = true\n",
            north.key_id()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["relay", "serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("HOTLINE_PASSPHRASE", "relay test passphrase")
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not both"), "{err}");

    // Flags: --admit names the parties, as `hotline demo` does.
    std::fs::remove_file(data.join("relay.toml")).unwrap();
    let relay = start_with(
        &d.path().join("flags"),
        &name,
        None,
        &[
            "--admit",
            &north.key_id().to_hex(),
            "--admit",
            &south.key_id().to_hex(),
        ],
    );
    let charter = charter_doc(&relay, &parties, "00112233445566778899aabbccddeeff");
    as_north(&relay).create_channel(&charter).unwrap();
    stop(relay);
}

/// The relay contacts only the witnesses its operator allows
/// (`allowed_witnesses`, `--allow-witness`): a new charter naming another
/// is refused, and a registered channel whose witness was allowed no
/// longer is not sent a checkpoint (a counted failure instead).
#[test]
fn the_relay_contacts_only_the_witnesses_its_operator_allows() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("relay");
    let (allowed, allowed_hits) = redirector("http://127.0.0.1:1/".into());
    let (other, other_hits) = redirector("http://127.0.0.1:1/".into());
    let name = unique("relay");
    let allowed_url = format!("http://127.0.0.1:{allowed}");
    let serve = |extra: &[&str]| {
        let mut args = vec!["--danger-open-admission"];
        args.extend_from_slice(extra);
        start_with(&data, &name, None, &args)
    };
    let relay = serve(&["--allow-witness", &format!("{allowed_url}/")]);
    let north = SigningKey::generate(&mut rand_core::OsRng);
    let south = SigningKey::generate(&mut rand_core::OsRng);
    let n1 = MemberKeys::generate(&mut rand_core::OsRng);
    let w = hotline_log::cosignature::Cosigner::new("witness.test/w3", &[8; 32]).unwrap();
    let with_witness = |url: String, nonce: &str| {
        charter_doc_with(
            &relay,
            &[("north", &north), ("south", &south)],
            nonce,
            vec![hotline_core::charter::WitnessInfo { key: w.vkey(), url }],
        )
    };
    let as_north = RelayClient::new(&relay.url, north.clone()).unwrap();
    let refused = with_witness(
        format!("http://127.0.0.1:{other}"),
        "0a1b2c3d4e5f60718293a4b5c6d7e8f0",
    );
    match as_north.create_channel(&refused).unwrap_err() {
        RelayError::Problem {
            status,
            kind,
            detail,
            ..
        } => {
            assert_eq!(status, 403, "{detail}");
            assert!(kind.ends_with("witness-not-allowed"), "{kind}");
            assert!(
                detail.contains(&format!("the witness at http://127.0.0.1:{other}"))
                    && detail.contains("allowed_witnesses"),
                "{detail}"
            );
        }
        e => panic!("expected a problem, got {e}"),
    }
    let charter = with_witness(allowed_url.clone(), "0a1b2c3d4e5f60718293a4b5c6d7e8f1");
    let ch = as_north.create_channel(&charter).unwrap();
    as_north
        .post_roster(&ch, &roster(ch, &north, 1, None, &[&n1]))
        .unwrap();
    let m = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    wait_checkpoint(&m, &ch, 2, &relay.vkey);
    let t = Instant::now();
    while allowed_hits.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "the allowed witness was never contacted"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    stop(relay);

    // The operator withdraws the witness: the channel is still served, its
    // checkpoints are no longer sent there.
    let relay = serve(&[]);
    let before = allowed_hits.load(std::sync::atomic::Ordering::SeqCst);
    let m = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    m.post_envelopes(&ch, &[envelope(ch, &n1, &[&n1], "after")])
        .unwrap();
    wait_checkpoint(&m, &ch, 3, &relay.vkey);
    let t = Instant::now();
    loop {
        let (_, _, metrics) = get(&format!("{}/metrics", relay.url));
        if metrics
            .lines()
            .any(|l| l.starts_with("hotline_relay_witness_failures_total ") && !l.ends_with(" 0"))
        {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "no witness failure counted:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        allowed_hits.load(std::sync::atomic::Ordering::SeqCst),
        before
    );
    assert_eq!(other_hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    stop(relay);

    // A listed URL the relay could never reach safely is refused at start.
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["relay", "serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .args(["--allow-witness", "http://witness.example/"])
        .env("HOTLINE_PASSPHRASE", "relay test passphrase")
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("allowed_witnesses: refusing plain HTTP"),
        "{err}"
    );
}

/// Opens a connection that sends a request's head announcing `len` body
/// bytes and then a few, and stalls (a slowloris client).
fn stall(base: &str, len: usize) -> std::net::TcpStream {
    use std::io::Write as _;
    let addr = base.trim_start_matches("http://");
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    write!(
        c,
        "POST /v1/channels HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n{{\"pay"
    )
    .unwrap();
    c.flush().unwrap();
    c
}

/// Global bounds (`docs/relay.md` § Limits): slow clients holding every
/// request slot, or bodies announcing more bytes than the relay keeps in
/// flight, get the next requests a 503 with Retry-After at once, not
/// unbounded memory or a hang; health and metrics stay answerable; the
/// request timeout frees the slots; then the relay serves again.
#[test]
fn the_relay_sheds_load_beyond_its_global_bounds() {
    let d = tempfile::tempdir().unwrap();
    let relay = start_env(
        d.path(),
        &unique("relay"),
        None,
        &["--danger-open-admission"],
        &[
            ("HOTLINE_RELAY_MAX_CONCURRENT_REQUESTS", "4"),
            ("HOTLINE_RELAY_MAX_BLOB_BYTES", "262144"),
            ("HOTLINE_RELAY_MAX_INFLIGHT_BODY_BYTES", "400000"),
            ("HOTLINE_RELAY_REQUEST_TIMEOUT_SECS", "3"),
        ],
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let call = |path: &str| {
        let mut r = agent.get(format!("{}{path}", relay.url)).call().unwrap();
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        (
            r.status().as_u16(),
            retry,
            ct,
            r.body_mut().read_to_string().unwrap(),
        )
    };
    assert_eq!(call("/v1/relay").0, 200);
    let wait_until = |what: &str, f: &dyn Fn() -> bool| {
        let t = Instant::now();
        while !f() {
            assert!(t.elapsed() < Duration::from_secs(10), "{what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let in_flight = |n: usize| {
        let (_, _, _, m) = call("/metrics");
        m.contains(&format!("hotline_relay_requests_in_flight {n}\n"))
    };

    // Four slow clients take every request slot.
    let slow: Vec<_> = (0..4).map(|_| stall(&relay.url, 1000)).collect();
    wait_until("four requests in flight", &|| in_flight(4));
    let (s, retry, ct, body) = call("/v1/relay");
    assert_eq!(s, 503, "{body}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    assert!(body.contains("limit of 4 concurrent requests"), "{body}");
    assert_eq!(call("/healthz").0, 200, "health stays answerable");
    let (_, _, _, m) = call("/metrics");
    assert!(!m.contains("hotline_relay_shed_total 0\n"), "{m}");
    // Closing them frees the slots.
    drop(slow);
    wait_until("the slots freed", &|| in_flight(0));
    assert_eq!(call("/v1/relay").0, 200);

    // Bodies announcing more than the bytes kept in flight: the second is
    // refused before it is read.
    let big = stall(&relay.url, 250_000);
    wait_until("one request in flight", &|| in_flight(1));
    let mut second = stall(&relay.url, 200_000);
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut second, &mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nretry-after: 1\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains("bytes of request bodies in flight"),
        "{answer}"
    );

    // A client that never finishes its body is cut by the request timeout
    // (408), which frees its slot and its bytes.
    let t = Instant::now();
    let mut big = big;
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut big, &mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(t.elapsed() < Duration::from_secs(8));
    wait_until("the slot freed after the timeout", &|| in_flight(0));
    let (_, _, _, m) = call("/metrics");
    assert!(m.contains("hotline_relay_inflight_body_bytes 0\n"), "{m}");
    assert_eq!(call("/v1/relay").0, 200);
    stop(relay);
}

fn metric(base: &str, line_prefix: &str) -> Option<u64> {
    let (_, _, m) = get(&format!("{base}/metrics"));
    m.lines()
        .find_map(|l| l.strip_prefix(line_prefix))
        .and_then(|v| v.trim().parse().ok())
}

fn wait_metric(base: &str, line_prefix: &str, want: u64) {
    let t = Instant::now();
    while metric(base, line_prefix) != Some(want) {
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "{line_prefix} never became {want} (is {:?})",
            metric(base, line_prefix)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Quotas (`docs/relay.md` § Limits): a party's members cannot log or
/// upload more than its quota in a channel, nor all parties together more
/// than the channel's; a refusal is a 413 `quota-exceeded` problem that
/// names the setting; a re-post of what is stored is still answered; the
/// usage is in `/metrics`, by party key id; and it holds across a restart
/// (envelope bytes are counted from the log, blob bytes in the database).
fn quotas(database: Option<&str>) {
    let d = tempfile::tempdir().unwrap();
    let name = unique("relay");
    let mut rng = rand_core::OsRng;
    let (north, south) = (
        SigningKey::generate(&mut rng),
        SigningKey::generate(&mut rng),
    );
    let (n1, s1) = (
        MemberKeys::generate(&mut rng),
        MemberKeys::generate(&mut rng),
    );
    // Every envelope below has one recipient and a body of the same length.
    let probe = envelope(ChannelId([0; 16]), &n1, &[&s1], "quota probe 00");
    let len = probe.signed_head().head.stanzas_len() + probe.signed_head().head.ciphertext_len;
    let (party_env, channel_env) = (2 * len + len / 2, 3 * len + len / 2);
    let envs = [
        (
            "HOTLINE_RELAY_QUOTA_PARTY_ENVELOPE_BYTES",
            party_env.to_string(),
        ),
        (
            "HOTLINE_RELAY_QUOTA_CHANNEL_ENVELOPE_BYTES",
            channel_env.to_string(),
        ),
        ("HOTLINE_RELAY_QUOTA_PARTY_BLOB_BYTES", "100".to_owned()),
        ("HOTLINE_RELAY_QUOTA_CHANNEL_BLOB_BYTES", "150".to_owned()),
    ];
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let open = ["--danger-open-admission", "--danger-any-witness"];
    let relay = start_env(d.path(), &name, database, &open, &envs);
    let (_, ch) = two_party_channel(&relay, (&north, &south), &[&n1], &[&s1]);
    let (m_n1, m_s1) = (
        RelayClient::new(&relay.url, n1.signing.clone()).unwrap(),
        RelayClient::new(&relay.url, s1.signing.clone()).unwrap(),
    );
    let env = |from: &MemberKeys, to: &MemberKeys, i: u32| {
        envelope(ch, from, &[to], &format!("quota probe {i:02}"))
    };

    // North: two envelopes fit its quota, the third does not.
    let first = env(&n1, &s1, 1);
    m_n1.post_envelopes(&ch, std::slice::from_ref(&first))
        .unwrap();
    m_n1.post_envelopes(&ch, &[env(&n1, &s1, 2)]).unwrap();
    let e = m_n1.post_envelopes(&ch, &[env(&n1, &s1, 3)]).unwrap_err();
    let text = e.to_string();
    assert_eq!(
        status(e),
        (413, "urn:hotline:problem:quota-exceeded".to_owned()),
        "{text}"
    );
    assert!(text.contains("quota_party_envelope_bytes"), "{text}");
    // What is already logged is answered as a re-post, not refused.
    let again = m_n1
        .post_envelopes(&ch, std::slice::from_ref(&first))
        .unwrap();
    assert!(again[0].duplicate);
    // South: one envelope fits the channel's quota, a second does not.
    m_s1.post_envelopes(&ch, &[env(&s1, &n1, 4)]).unwrap();
    let e = m_s1.post_envelopes(&ch, &[env(&s1, &n1, 5)]).unwrap_err();
    let text = e.to_string();
    assert_eq!(status(e).0, 413, "{text}");
    assert!(text.contains("quota_channel_envelope_bytes"), "{text}");

    // Blobs: 100 bytes per party, 150 in the channel.
    let blob = vec![b'n'; 60];
    m_n1.put_blob(&ch, &blob).unwrap();
    let e = m_n1.put_blob(&ch, &[b'm'; 60]).unwrap_err();
    let text = e.to_string();
    assert_eq!(status(e).0, 413, "{text}");
    assert!(text.contains("quota_party_blob_bytes"), "{text}");
    m_n1.put_blob(&ch, &blob)
        .expect("a blob already stored is answered");
    m_s1.put_blob(&ch, &[b's'; 60]).unwrap();
    let e = m_s1.put_blob(&ch, &[b't'; 40]).unwrap_err();
    let text = e.to_string();
    assert_eq!(status(e).0, 413, "{text}");
    assert!(text.contains("quota_channel_blob_bytes"), "{text}");

    let check_metrics = |base: &str| {
        let id = ch.to_hex();
        let stored = |kind: &str, party: &str| {
            metric(
                base,
                &format!(
                    "hotline_relay_stored_bytes{{channel=\"{id}\",kind=\"{kind}\",party=\"{party}\"}} "
                ),
            )
        };
        assert_eq!(stored("envelope", ""), Some(3 * len));
        assert_eq!(stored("envelope", &north.key_id().to_hex()), Some(2 * len));
        assert_eq!(stored("envelope", &south.key_id().to_hex()), Some(len));
        assert_eq!(stored("blob", ""), Some(120));
        assert_eq!(stored("blob", &north.key_id().to_hex()), Some(60));
    };
    check_metrics(&relay.url);
    assert_eq!(
        metric(&relay.url, "hotline_relay_quota_refused_envelopes_total "),
        Some(2)
    );
    assert_eq!(
        metric(&relay.url, "hotline_relay_quota_refused_blobs_total "),
        Some(2)
    );
    assert_eq!(
        metric(
            &relay.url,
            "hotline_relay_quota_bytes{kind=\"blob\",scope=\"party\"} "
        ),
        Some(100)
    );

    // After a restart the quotas still hold.
    stop(relay);
    let relay = start_env(d.path(), &name, database, &open, &envs);
    let (m_n1, m_s1) = (
        RelayClient::new(&relay.url, n1.signing.clone()).unwrap(),
        RelayClient::new(&relay.url, s1.signing.clone()).unwrap(),
    );
    assert_eq!(
        status(m_n1.post_envelopes(&ch, &[env(&n1, &s1, 6)]).unwrap_err()).0,
        413
    );
    assert_eq!(status(m_s1.put_blob(&ch, &[b'u'; 40]).unwrap_err()).0, 413);
    check_metrics(&relay.url);
    stop(relay);
}

#[test]
fn quotas_hold_on_sqlite() {
    quotas(None);
}

#[test]
fn quotas_hold_on_postgres() {
    let Ok(url) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: the PostgreSQL backend was NOT tested");
        return;
    };
    quotas(Some(&url));
}

/// Idle channels (`idle_channel_secs`): released from memory when unused,
/// kept while an event stream is open, and loaded again on the next
/// request with their log, directory and re-post index intact.
#[test]
fn an_idle_channel_is_released_and_loaded_again() {
    let d = tempfile::tempdir().unwrap();
    let relay = start_env(
        d.path(),
        &unique("relay"),
        None,
        &["--danger-open-admission", "--danger-any-witness"],
        &[("HOTLINE_RELAY_IDLE_CHANNEL_SECS", "1")],
    );
    let mut rng = rand_core::OsRng;
    let (north, south) = (
        SigningKey::generate(&mut rng),
        SigningKey::generate(&mut rng),
    );
    let (n1, s1) = (
        MemberKeys::generate(&mut rng),
        MemberKeys::generate(&mut rng),
    );
    let (_, ch) = two_party_channel(&relay, (&north, &south), &[&n1], &[&s1]);
    let m_n1 = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    let first = envelope(ch, &n1, &[&s1], "before the channel idles");
    let a = m_n1
        .post_envelopes(&ch, std::slice::from_ref(&first))
        .unwrap();
    assert_eq!(metric(&relay.url, "hotline_relay_channels "), Some(1));
    wait_metric(&relay.url, "hotline_relay_channels ", 0);
    assert_eq!(
        metric(&relay.url, "hotline_relay_channels_released_total "),
        Some(1)
    );

    // An open event stream keeps its channel loaded.
    let mut lines = sse_lines(&relay.url, &m_n1, &ch, 0);
    let mut l = String::new();
    lines.read_line(&mut l).unwrap();
    assert_eq!(metric(&relay.url, "hotline_relay_channels "), Some(1));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(metric(&relay.url, "hotline_relay_channels "), Some(1));
    drop(lines);
    wait_metric(&relay.url, "hotline_relay_channels ", 0);

    // Loaded again: the re-post index, the directory and the log go on.
    let again = m_n1
        .post_envelopes(&ch, std::slice::from_ref(&first))
        .unwrap();
    assert_eq!((again[0].index, again[0].duplicate), (a[0].index, true));
    let next = m_n1
        .post_envelopes(&ch, &[envelope(ch, &n1, &[&s1], "after")])
        .unwrap();
    assert!(next[0].index > a[0].index && !next[0].duplicate);
    let stranger = MemberKeys::generate(&mut rng);
    let e = RelayClient::new(&relay.url, stranger.signing.clone())
        .unwrap()
        .post_envelopes(&ch, &[envelope(ch, &stranger, &[&s1], "x")])
        .unwrap_err();
    assert_eq!(status(e).0, 403);
    wait_checkpoint(&m_n1, &ch, next[0].index + 1, &relay.vkey);
    stop(relay);
}

/// A body announced beyond what the route takes is refused at once (413),
/// before any of it is read: a client cannot hold a request slot and the
/// bytes it reserved until the request timeout by announcing a gigabyte
/// and sending a few bytes.
#[test]
fn a_body_announced_beyond_the_limit_is_refused_before_it_is_read() {
    use std::io::{Read as _, Write as _};
    let d = tempfile::tempdir().unwrap();
    let relay = start(d.path(), &unique("relay"), None);
    let addr = relay.url.trim_start_matches("http://").to_owned();
    let (north, south) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let ch = two_party_channel(&relay, (&north, &south), &[], &[])
        .1
        .to_hex();
    for (method, path, len) in [
        ("POST", format!("/v1/channels/{ch}/entries"), 1u64 << 30),
        (
            "PUT",
            format!("/v1/channels/{ch}/blobs/{}", "ab".repeat(32)),
            1 << 40,
        ),
        // Beyond max_body_bytes (262144 in these tests) by more than the 4 MiB
        // drained, within max_blob_bytes (64 MiB).
        ("POST", "/v1/channels".to_owned(), 8 << 20),
        ("POST", format!("/v1/channels/{ch}/entries"), 8 << 20),
        // A read takes no body.
        ("GET", format!("/v1/channels/{ch}/entries"), 5 << 20),
    ] {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n{{\"env"
        )
        .unwrap();
        let t = Instant::now();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).unwrap_or(0);
        let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{method} {path} with Content-Length {len}: {answer:?}"
        );
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "answered only after {:?}",
            t.elapsed()
        );
    }
    let (_, _, m) = get(&format!("{}/metrics", relay.url));
    assert!(m.contains("hotline_relay_requests_in_flight 0\n"), "{m}");
    assert!(m.contains("hotline_relay_inflight_body_bytes 0\n"), "{m}");
    stop(relay);
}

/// Slowloris: a connection that sends its request line and then one header
/// byte a second, never finishing, is closed after
/// `header_read_timeout_secs` — a socket is not held for ever.
#[test]
fn a_connection_that_trickles_its_headers_is_closed() {
    use std::io::Write as _;
    let d = tempfile::tempdir().unwrap();
    let relay = start_env(
        d.path(),
        &unique("relay"),
        None,
        &["--danger-open-admission"],
        &[("HOTLINE_RELAY_HEADER_READ_TIMEOUT_SECS", "2")],
    );
    let addr = relay.url.trim_start_matches("http://").to_owned();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(s, "GET /v1/relay HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ").unwrap();
    let t = Instant::now();
    let closed = loop {
        std::thread::sleep(Duration::from_millis(250));
        if s.write_all(b"x").is_err() {
            break t.elapsed();
        }
        // A closed socket may take one more write to report it.
        if t.elapsed() > Duration::from_secs(15) {
            panic!("the relay still held a trickling connection after 15 s");
        }
    };
    assert!(
        closed >= Duration::from_secs(1),
        "closed after only {closed:?}"
    );
    // The relay still serves.
    assert_eq!(get(&format!("{}/v1/relay", relay.url)).0, 200);
    stop(relay);
}

/// Requests signed by keys a channel's directory does not know make the
/// relay re-read the channel (a roster another process appended may name
/// them) at most once every 250 ms: a flood of them costs the store next
/// to nothing, and each is still refused (403).
#[test]
fn a_flood_of_unknown_keys_does_not_make_the_relay_reread_the_channel_each_time() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(d.path(), &unique("relay"), None);
    let (north, south) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let (_, ch) = two_party_channel(&relay, (&north, &south), &[], &[]);
    let t = Instant::now();
    let mut n = 0u64;
    while n < 200 {
        let stranger = SigningKey::generate(&mut rand_core::OsRng);
        let c = RelayClient::new(&relay.url, stranger).unwrap();
        assert_eq!(status(c.entries(&ch, 0, 1).unwrap_err()).0, 403);
        n += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    let refreshes = metric(&relay.url, "hotline_relay_unknown_key_refreshes_total ").unwrap();
    assert!(refreshes >= 1, "none at all: the re-read is gone");
    assert!(
        refreshes as f64 <= secs / 0.25 + 2.0,
        "{refreshes} re-reads for {n} requests in {secs:.2} s"
    );
    stop(relay);
}

/// A refusal that leaves the body unread (413) closes the connection and
/// says so (`Connection: close`), so that the client's next request goes
/// on a new connection instead of failing on the closed one.
#[test]
fn a_client_goes_on_after_a_body_refused_unread() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(d.path(), &unique("relay"), None);
    let (north, south) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let charter = charter_doc(
        &relay,
        &[("north", &north), ("south", &south)],
        "00112233445566778899aabbccddeeff",
    );
    let c = RelayClient::new(&relay.url, north).unwrap();
    let huge = vec![b'a'; 300_000];
    for _ in 0..30 {
        let e = c
            .raw(
                "POST",
                "/v1/channels",
                Some((&huge, "application/json")),
                true,
            )
            .unwrap_err();
        assert_eq!(status(e).0, 413);
        c.create_channel(&charter)
            .expect("the request after a 413 is served");
    }
    stop(relay);
}

/// In a hotline-v2-xwing channel the head's hash covers the stanza index
/// only (`docs/format.md` §5.1), so the relay must hash every sealed key
/// against its index entry itself: otherwise a member (or anyone between
/// it and the relay) could store a sealed key its recipient would then
/// blame on the relay.
#[test]
fn an_xwing_envelope_whose_sealed_key_is_not_its_index_entry_is_refused() {
    use hotline_core::charter::Suite;
    let d = tempfile::tempdir().unwrap();
    let name = unique("xwing-index");
    let relay = start_env(d.path(), &name, None, &["--danger-open-admission"], &[]);
    let (north, south) = (
        SigningKey::generate(&mut rand_core::OsRng),
        SigningKey::generate(&mut rand_core::OsRng),
    );
    let (n1, s1) = (
        MemberKeys::generate(&mut rand_core::OsRng),
        MemberKeys::generate(&mut rand_core::OsRng),
    );
    let (_, ch) = two_party_channel_in(Suite::XWing, &relay, (&north, &south), &[&n1], &[&s1]);
    let m_n1 = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    let honest = envelope_in(Suite::XWing, ch, &n1, &[&s1, &n1], "indexed");
    let b = honest.to_bytes();
    let n = 2 * Suite::XWing.stanza_len();
    let post = |stanzas: &[u8], ct: &[u8]| {
        m_n1.post_raw_envelopes(
            &ch,
            &serde_json::json!({"envelopes": [{"head": base64_std(&b[..241]), "stanzas": base64_std(stanzas), "ciphertext": base64_std(ct)}]}),
        )
    };
    // The second sealed key altered, the index (and so the head) intact.
    let mut stanzas = b[241..241 + n].to_vec();
    stanzas[2 * 64 + 1168 + 11] ^= 0x01;
    let e = post(&stanzas, &b[241 + n..]).unwrap_err();
    let text = e.to_string();
    assert_eq!(status(e).0, 422, "{text}");
    assert!(text.contains("stanzas"), "{text}");
    // The honest one is logged, and served back byte for byte.
    let i = post(&b[241..241 + n], &b[241 + n..]).unwrap()[0].index;
    assert_eq!(m_n1.envelope(&ch, i).unwrap(), b);
    stop(relay);
}

/// A courier's event stream ends when its grant does (`docs/airgap.md`):
/// the relay judges the grant at every step of the stream, as it judges
/// the member's roster, so a courier whose grant expired learns nothing
/// more of the channel, not even that entries were sequenced.
#[test]
fn a_couriers_event_stream_ends_with_its_grant() {
    let d = tempfile::tempdir().unwrap();
    let relay = start_env(
        d.path(),
        &unique("relay"),
        None,
        &["--danger-open-admission", "--danger-any-witness"],
        &[],
    );
    let mut rng = rand_core::OsRng;
    let (north, south) = (
        SigningKey::generate(&mut rng),
        SigningKey::generate(&mut rng),
    );
    let (n1, s1) = (
        MemberKeys::generate(&mut rng),
        MemberKeys::generate(&mut rng),
    );
    let (_, ch) = two_party_channel(&relay, (&north, &south), &[&n1], &[&s1]);
    let courier = SigningKey::generate(&mut rng);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let grant = hotline_core::courier::CourierGrant {
        v: 1,
        channel: ch,
        courier: courier.verifying_key().to_base64(),
        member: s1.signing.key_id(),
        not_before: now - 60,
        not_after: now + 3,
    }
    .sign(&s1.signing);
    let c = RelayClient::courier(&relay.url, courier, &grant).unwrap();
    // The stream as the courier opens it: signed by its key, the grant in
    // its header.
    let path = format!("/v1/channels/{}/events", ch.to_hex());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let mut req = agent.get(format!("{}{path}?start=0", relay.url)).header(
        hotline_core::courier::HEADER,
        hotline_core::courier::header_value(&grant),
    );
    for (k, v) in c.sign_request("GET", &path, Some("start=0"), b"") {
        req = req.header(k, v);
    }
    let resp = req.call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let lines = BufReader::new(resp.into_body().into_reader());
    // Read the stream on a thread; it must end (EOF) soon after the grant.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut n = 0;
        for l in lines.lines() {
            if l.is_err() {
                break;
            }
            n += 1;
        }
        let _ = tx.send(n);
    });
    let started = Instant::now();
    let lines_read = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the courier's stream still open 7 s after its grant ended");
    assert!(
        lines_read > 0,
        "the stream served the channel's entries first"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it ended only at the grant's end"
    );
    // And a new request with the expired grant is refused.
    std::thread::sleep(Duration::from_millis(200));
    let e = c.envelope(&ch, 0).unwrap_err();
    assert_eq!(status(e).0, 403);
    stop(relay);
}
