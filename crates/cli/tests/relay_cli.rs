//! `hotline relay serve` end to end, against the real binary on 127.0.0.1,
//! on SQLite and on the real PostgreSQL server (`HOTLINE_TEST_DATABASE_URL`):
//! channel creation, rosters, envelopes, re-posts, reads, SSE, tiles,
//! checkpoints and cosignatures, auth failures, hostile input, revocation,
//! graceful restart.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hotline_client::relay_client::{RelayClient, RelayError};
use hotline_core::charter::{Charter, CharterParty, Deadline, DisclosureRule, RelayInfo};
use hotline_core::commitment::{Part, PartKind};
use hotline_core::dsse::SignedDocument;
use hotline_core::entry::Entry;
use hotline_core::envelope::Envelope;
use hotline_core::ids::ChannelId;
use hotline_core::keys::{MemberKeys, SigningKey};
use hotline_core::message::{Kind, Tlp};
use hotline_core::roster::{Roster, RosterMember, payload_hash};
use hotline_log::checkpoint::Checkpoint;
use hotline_log::cosignature::Cosigner;
use hotline_log::merkle::{self, MemoryTree};
use hotline_log::note::{Ed25519Verifier, Note};
use hotline_log::tiles;

struct Relay {
    child: Child,
    url: String,
    vkey: String,
}

fn start(data: &Path, name: &str, database: Option<&str>) -> Relay {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline"));
    cmd.args(["relay", "serve", "--listen", "127.0.0.1:0", "--name", name])
        .arg("--data")
        .arg(data)
        .args(["--checkpoint-interval-ms", "50"])
        .env("HOTLINE_PASSPHRASE", "relay test passphrase")
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .env("HOTLINE_RELAY_MAX_BODY_BYTES", "262144")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(db) = database {
        cmd.args(["--database", db]);
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("relay listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    line.clear();
    out.read_line(&mut line).unwrap();
    let vkey = line.trim().strip_prefix("relay key ").unwrap().to_owned();
    Relay { child, url, vkey }
}

fn stop(mut r: Relay) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(r.child.id().to_string())
        .status();
    let status = r.child.wait().unwrap();
    assert!(status.success(), "the relay did not exit cleanly: {status}");
}

fn party(short: &str, key: &SigningKey) -> CharterParty {
    CharterParty {
        id: key.key_id(),
        name: format!("{short} CERT"),
        short: short.into(),
        key: key.verifying_key().to_base64(),
    }
}

fn charter_doc(relay: &Relay, parties: &[(&str, &SigningKey)], nonce: &str) -> SignedDocument {
    let mut deadlines = BTreeMap::new();
    deadlines.insert(
        Kind::Inquiry,
        Deadline {
            ack_within: Some(86_400),
            answer_within: Some(30 * 86_400),
        },
    );
    let c = Charter {
        v: 1,
        title: "Relay test channel".into(),
        nonce: nonce.into(),
        created: "2026-11-22T10:00:00Z".into(),
        parties: parties.iter().map(|(s, k)| party(s, k)).collect(),
        relay: RelayInfo {
            url: relay.url.clone(),
            key: relay.vkey.clone(),
        },
        witnesses: vec![],
        witness_quorum: 0,
        deadlines,
        disclosure: DisclosureRule::Unanimous,
        default_tlp: Tlp::Amber,
        retention_days: 365,
        suite: "hotline-v1".into(),
    };
    let mut doc = c.to_document().unwrap();
    for (_, k) in parties {
        doc.sign(k);
    }
    doc
}

fn roster(
    channel: ChannelId,
    party: &SigningKey,
    version: u64,
    previous: Option<&SignedDocument>,
    members: &[&MemberKeys],
) -> SignedDocument {
    let r = Roster {
        v: 1,
        channel,
        party: party.key_id(),
        version,
        previous: previous.map(|d| payload_hash(&d.payload)),
        issued: "2026-11-22T10:00:00Z".into(),
        members: members
            .iter()
            .enumerate()
            .map(|(i, m)| RosterMember {
                name: format!("member {i}"),
                signing_key: m.signing.verifying_key().to_base64(),
                encryption_key: m.encryption.public_key().to_base64(),
            })
            .collect(),
    };
    let mut d = r.to_document().unwrap();
    d.sign(party);
    d
}

fn envelope(channel: ChannelId, from: &MemberKeys, to: &[&MemberKeys], body: &str) -> Envelope {
    let mut rng = rand_core::OsRng;
    let parts = vec![Part::new(
        PartKind::Body,
        body.as_bytes().to_vec(),
        &mut rng,
    )];
    let recipients: Vec<_> = to.iter().map(|m| m.encryption.public_key()).collect();
    Envelope::seal(channel, &from.signing, &recipients, &parts, &mut rng).unwrap()
}

fn status(e: RelayError) -> (u16, String) {
    match e {
        RelayError::Problem { status, kind, .. } => (status, kind),
        other => panic!("expected a problem, got {other}"),
    }
}

fn wait_checkpoint(c: &RelayClient, ch: &ChannelId, size: u64, vkey: &str) -> (Note, Checkpoint) {
    let v = Ed25519Verifier::from_vkey(vkey).unwrap();
    let t = Instant::now();
    loop {
        let note = Note::parse(&c.checkpoint(ch).unwrap()).unwrap();
        note.verify(&[&v])
            .expect("the checkpoint is signed by the relay key");
        let cp = Checkpoint::parse(&note.text).unwrap();
        if cp.size >= size {
            return (note, cp);
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "no checkpoint of size {size} within 5 s (at {})",
            cp.size
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn get(url: &str) -> (u16, String, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(url).call().unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        r.status().as_u16(),
        ct,
        r.body_mut().read_to_string().unwrap(),
    )
}

fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{n}.test", std::process::id())
}

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
        vec![(4, false), (5, false), (4, true)]
    );

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
    assert_eq!(m_n1.post_raw_envelopes(&ch, &body).unwrap()[0].index, 6);
    assert_eq!(m_s1.envelope(&ch, 6).unwrap(), bytes);
    assert_eq!(m_s2.envelope(&ch, 3).unwrap(), e1.to_bytes());

    // Reads: every entry, in order, of the right kind.
    let page = m_s2.entries(&ch, 0, 100).unwrap();
    assert_eq!(page.size, 7);
    let kinds: Vec<&str> = page.entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "charter", "roster", "roster", "envelope", "envelope", "envelope", "envelope"
        ]
    );
    let raw: Vec<Vec<u8>> = page.entries.iter().map(|e| base64_dec(&e.entry)).collect();
    assert!(matches!(
        Entry::from_bytes(&raw[0]).unwrap(),
        Entry::Charter(_)
    ));

    // The checkpoint covers them within the interval, signed by the relay key,
    // and its root is the RFC 6962 root of exactly these entries.
    let (note, cp) = wait_checkpoint(&m_n1, &ch, 7, &relay.vkey);
    assert_eq!(cp.origin, format!("{name}/{}", ch.to_hex()));
    let mut tree = MemoryTree::new();
    for e in &raw {
        tree.append(merkle::leaf_hash(e));
    }
    assert_eq!(cp.root, tree.root());
    // Tiles at their tlog-tiles paths give the same entries and hashes.
    let bundle = m_n1.tile(&ch, "tile/entries/000.p/7").unwrap();
    assert_eq!(tiles::parse_bundle(&bundle, 7).unwrap(), raw);
    let level0 = m_n1.tile(&ch, "tile/0/000.p/7").unwrap();
    assert_eq!(level0.len(), 7 * 32);
    assert_eq!(&level0[..32], &merkle::leaf_hash(&raw[0]));
    assert_eq!(status(m_n1.tile(&ch, "tile/0/001").unwrap_err()).0, 404);
    assert_eq!(
        status(m_n1.tile(&ch, "tile/0/../../etc").unwrap_err()).0,
        404
    );

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
    assert_eq!(m_s2.post_envelopes(&ch, &[e5]).unwrap()[0].index, 7);
    loop {
        let mut l = String::new();
        sse.read_line(&mut l).unwrap();
        if let Some(id) = l.trim().strip_prefix("id: ") {
            assert_eq!(id, "7");
            break;
        }
    }
    drop(sse);

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
    assert_eq!(m_n1.entries(&ch, 0, 1).unwrap().size, 8);

    // Revocation: south's roster v2 drops s2; s2 is refused from then on.
    let rs2 = roster(ch, &south, 2, Some(&rs), &[&s1]);
    assert_eq!(m_s1.post_roster(&ch, &rs2).unwrap().index, 8);
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
    let before = wait_checkpoint(&m_n1, &ch, 9, &relay.vkey).1;
    stop(relay);
    let relay = start(d.path(), &name, database);
    let m_n1 = RelayClient::new(&relay.url, n1.signing.clone()).unwrap();
    let after = wait_checkpoint(&m_n1, &ch, 9, &relay.vkey).1;
    assert_eq!((after.size, after.root), (before.size, before.root));
    let e7 = envelope(ch, &n1, &[&s1], "after restart");
    assert_eq!(m_n1.post_envelopes(&ch, &[e7]).unwrap()[0].index, 9);
    assert_eq!(m_n1.post_envelopes(&ch, &[e1]).unwrap()[0].index, 3);
    wait_checkpoint(&m_n1, &ch, 10, &relay.vkey);

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
    stop(relay);
}

fn base64_std(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn base64_dec(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn raw_get(base: &str, path: &str, query: &str, headers: &[(String, String)]) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(format!("{base}{path}?{query}"));
    for (k, v) in headers {
        req = req.header(k, v);
    }
    req.call().unwrap().status().as_u16()
}

fn sse_lines(base: &str, c: &RelayClient, ch: &ChannelId, start: u64) -> BufReader<impl Read> {
    let path = format!("/v1/channels/{}/events", ch.to_hex());
    let q = format!("start={start}");
    let hs = c.sign_request("GET", &path, Some(&q), b"");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let mut req = agent.get(format!("{base}{path}?{q}"));
    for (k, v) in &hs {
        req = req.header(k, v);
    }
    let resp = req.call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    BufReader::new(resp.into_body().into_reader())
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
