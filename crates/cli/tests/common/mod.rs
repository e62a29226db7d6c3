//! Helpers shared by the relay tests: start and stop the real binary, and
//! build charters, rosters and envelopes.
#![allow(dead_code)]

pub mod cli;
pub mod proxy;
pub mod ui;

use hotline_client::relay_client::{RelayClient, RelayError};
use hotline_core::charter::{Charter, CharterParty, Deadline, DisclosureRule, RelayInfo};
use hotline_core::commitment::{Part, PartKind};
use hotline_core::dsse::SignedDocument;
use hotline_core::envelope::Envelope;
use hotline_core::ids::ChannelId;
use hotline_core::keys::{MemberKeys, SigningKey};
use hotline_core::message::{Kind, Tlp};
use hotline_core::roster::{Roster, RosterMember, payload_hash};
use hotline_log::checkpoint::Checkpoint;
use hotline_log::note::{Ed25519Verifier, Note};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Relay {
    pub child: Child,
    pub url: String,
    pub vkey: String,
}

/// A test that panics before it stops its relay kills it: no relay process
/// outlives its test. (A stopped relay has exited; nothing is done then.)
impl Drop for Relay {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A relay on loopback that admits every party and contacts any witness:
/// the parties and witnesses of most tests are made after their relay
/// starts; admission and the witness allow-list are tested by relay_cli,
/// through [`start_with`].
pub fn start(data: &Path, name: &str, database: Option<&str>) -> Relay {
    start_with(
        data,
        name,
        database,
        &["--danger-open-admission", "--danger-any-witness"],
    )
}

/// A relay on loopback with `args` added to `hotline relay serve`.
pub fn start_with(data: &Path, name: &str, database: Option<&str>, args: &[&str]) -> Relay {
    start_env(data, name, database, args, &[])
}

/// As [`start_with`], with environment variables `envs` (`HOTLINE_RELAY_*`
/// settings) set for the relay.
pub fn start_env(
    data: &Path,
    name: &str,
    database: Option<&str>,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Relay {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline"));
    cmd.args(["relay", "serve", "--listen", "127.0.0.1:0", "--name", name])
        .arg("--data")
        .arg(data)
        .args(["--checkpoint-interval-ms", "50"])
        .args(args)
        .env("HOTLINE_PASSPHRASE", "relay test passphrase")
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .env("HOTLINE_RELAY_MAX_BODY_BYTES", "262144")
        .envs(envs.iter().copied())
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

pub fn stop(mut r: Relay) {
    halt(&mut r);
}

/// Stops the relay (SIGTERM) and checks it exited cleanly; the value stays
/// for the caller to replace.
pub fn halt(r: &mut Relay) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(r.child.id().to_string())
        .status();
    let status = r.child.wait().unwrap();
    assert!(status.success(), "the relay did not exit cleanly: {status}");
}

pub fn party(short: &str, key: &SigningKey) -> CharterParty {
    CharterParty {
        id: key.key_id(),
        name: format!("{short} CERT"),
        short: short.into(),
        key: key.verifying_key().to_base64(),
    }
}

pub fn charter_doc(relay: &Relay, parties: &[(&str, &SigningKey)], nonce: &str) -> SignedDocument {
    charter_doc_with(relay, parties, nonce, vec![])
}

pub fn charter_doc_with(
    relay: &Relay,
    parties: &[(&str, &SigningKey)],
    nonce: &str,
    witnesses: Vec<hotline_core::charter::WitnessInfo>,
) -> SignedDocument {
    charter_doc_at(&relay.url, &relay.vkey, parties, nonce, witnesses)
}

/// A charter naming the relay at `url` with key `vkey` (a proxy in front of
/// a relay, for instance), signed by every party.
pub fn charter_doc_at(
    url: &str,
    vkey: &str,
    parties: &[(&str, &SigningKey)],
    nonce: &str,
    witnesses: Vec<hotline_core::charter::WitnessInfo>,
) -> SignedDocument {
    charter_doc_in(
        hotline_core::charter::Suite::V1,
        url,
        vkey,
        parties,
        nonce,
        witnesses,
    )
}

/// As [`charter_doc_at`], of cipher suite `suite`.
pub fn charter_doc_in(
    suite: hotline_core::charter::Suite,
    url: &str,
    vkey: &str,
    parties: &[(&str, &SigningKey)],
    nonce: &str,
    witnesses: Vec<hotline_core::charter::WitnessInfo>,
) -> SignedDocument {
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
            url: url.to_owned(),
            key: vkey.to_owned(),
        },
        witness_quorum: witnesses.len() as u32,
        witnesses,
        deadlines,
        disclosure: DisclosureRule::Unanimous,
        default_tlp: Tlp::Amber,
        retention_days: 365,
        suite: suite.name().into(),
    };
    let mut doc = c.to_document().unwrap();
    for (_, k) in parties {
        doc.sign(k);
    }
    doc
}

pub fn roster(
    channel: ChannelId,
    party: &SigningKey,
    version: u64,
    previous: Option<&SignedDocument>,
    members: &[&MemberKeys],
) -> SignedDocument {
    roster_in(
        hotline_core::charter::Suite::V1,
        channel,
        party,
        version,
        previous,
        members,
    )
}

/// As [`roster`], the members' encryption keys of `suite`.
pub fn roster_in(
    suite: hotline_core::charter::Suite,
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
            .map(|(i, m)| {
                RosterMember::for_suite(suite, &channel, &party.key_id(), &format!("member {i}"), m)
                    .unwrap()
            })
            .collect(),
    };
    let mut d = r.to_document().unwrap();
    d.sign(party);
    d
}

/// An inner message from `from` (of party `party`) to party `to`.
pub fn message(
    ch: ChannelId,
    from: &MemberKeys,
    party: &SigningKey,
    to: &SigningKey,
    kind: Kind,
    body: &str,
    case: Option<hotline_core::ids::MessageId>,
) -> hotline_core::message::Message {
    let mut rng = rand_core::OsRng;
    let id = hotline_core::ids::MessageId::random(&mut rng);
    hotline_core::message::Message {
        header: hotline_core::message::InnerHeader {
            v: 1,
            channel: ch,
            id,
            case: case.unwrap_or(id),
            kind,
            author: from.signing.key_id(),
            party: party.key_id(),
            created: "2026-11-23T07:00:00Z".into(),
            to: vec![to.key_id()],
            refs: vec![],
            title: "Intrusions into university research networks".into(),
            tlp: Tlp::Amber,
            norm: None,
            lang: "en".into(),
            other_langs: vec![],
            authentic: vec![],
            attachments: vec![],
            stix: false,
            nonce: "00112233445566778899aabbccddeeff".into(),
        },
        body: body.into(),
        other_bodies: vec![],
        attachments: vec![],
        stix: None,
    }
}

/// A sealed inner message from member `from` of party `party` to member
/// `to` of party `to_party` (and to `from` itself).
pub fn sealed(
    channel: ChannelId,
    from: &MemberKeys,
    party: &SigningKey,
    to: &MemberKeys,
    to_party: &SigningKey,
    body: &str,
) -> Envelope {
    let m = message(channel, from, party, to_party, Kind::Inquiry, body, None);
    Envelope::seal_message(
        &m,
        &from.signing,
        &[to.encryption.public_key(), from.encryption.public_key()],
        &mut rand_core::OsRng,
    )
    .unwrap()
    .0
}

/// An envelope of bare parts (not an inner message: sync refuses to open it).
pub fn envelope(channel: ChannelId, from: &MemberKeys, to: &[&MemberKeys], body: &str) -> Envelope {
    envelope_in(hotline_core::charter::Suite::V1, channel, from, to, body)
}

/// As [`envelope`], sealed to the recipients' keys of `suite`.
pub fn envelope_in(
    suite: hotline_core::charter::Suite,
    channel: ChannelId,
    from: &MemberKeys,
    to: &[&MemberKeys],
    body: &str,
) -> Envelope {
    let mut rng = rand_core::OsRng;
    let parts = vec![Part::new(
        PartKind::Body,
        body.as_bytes().to_vec(),
        &mut rng,
    )];
    let recipients: Vec<_> = to
        .iter()
        .map(|m| m.encryption_for(suite).unwrap().public_key())
        .collect();
    Envelope::seal(channel, &from.signing, &recipients, &parts, &mut rng).unwrap()
}

pub fn status(e: RelayError) -> (u16, String) {
    match e {
        RelayError::Problem { status, kind, .. } => (status, kind),
        other => panic!("expected a problem, got {other}"),
    }
}

pub fn wait_checkpoint(
    c: &RelayClient,
    ch: &ChannelId,
    size: u64,
    vkey: &str,
) -> (Note, Checkpoint) {
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

pub fn get(url: &str) -> (u16, String, String) {
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

pub fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{n}.test", std::process::id())
}

pub fn base64_std(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub fn base64_dec(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub fn raw_get(base: &str, path: &str, query: &str, headers: &[(String, String)]) -> u16 {
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

pub fn sse_lines(base: &str, c: &RelayClient, ch: &ChannelId, start: u64) -> BufReader<impl Read> {
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

/// A private CA's certificate, and a server certificate it issued for
/// 127.0.0.1 with its key (PEM files), as [`test_certs`] makes them.
pub struct TestCerts {
    /// The CA certificate: what a client trusts.
    pub ca: std::path::PathBuf,
    /// The server's certificate (`--tls-cert`).
    pub cert: std::path::PathBuf,
    /// Its private key (`--tls-key`).
    pub key: std::path::PathBuf,
}

/// Makes a private CA (a state's own) and a server certificate issued by it
/// for `IP:127.0.0.1` in `dir`, with `openssl` (P-256 keys, two days).
pub fn test_certs(dir: &Path) -> TestCerts {
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let ok = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(Stdio::null())
            .status()
            .expect("openssl (Debian's openssl package) makes the test certificates");
        assert!(ok.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "2",
                "-subj",
                "/CN=Test State CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "key.pem",
                "-out",
                "server.csr",
            ],
        ]
        .concat(),
    );
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
    let c = TestCerts {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    assert!(c.ca.exists() && c.cert.exists() && c.key.exists());
    c
}

/// A running `hotline taxii serve`, killed when dropped.
pub struct TaxiiServer {
    child: Child,
    /// Its base URL, from the line it announces first.
    pub url: String,
}

impl Drop for TaxiiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `hotline --profile PROFILE taxii serve --user cert ARGS…` with
/// `password` and waits for its `taxii listening on URL` line.
pub fn taxii_serve(profile: &Path, password: &str, args: &[&str]) -> TaxiiServer {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(profile)
        .args(["taxii", "serve", "--user", "cert"])
        .args(args)
        .env("HOTLINE_TAXII_PASSWORD", password)
        .env_remove("HOTLINE_PASSPHRASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("taxii listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    TaxiiServer { child, url }
}

/// Creates on `relay` a channel of the parties `north` and `south` (by
/// north's request) and posts each party's first roster, of `north_members`
/// and `south_members` (none posted when empty): the charter and the id.
pub fn two_party_channel(
    relay: &Relay,
    parties: (&SigningKey, &SigningKey),
    north_members: &[&MemberKeys],
    south_members: &[&MemberKeys],
) -> (SignedDocument, ChannelId) {
    two_party_channel_in(
        hotline_core::charter::Suite::V1,
        relay,
        parties,
        north_members,
        south_members,
    )
}

/// As [`two_party_channel`], of cipher suite `suite`.
pub fn two_party_channel_in(
    suite: hotline_core::charter::Suite,
    relay: &Relay,
    (north, south): (&SigningKey, &SigningKey),
    north_members: &[&MemberKeys],
    south_members: &[&MemberKeys],
) -> (SignedDocument, ChannelId) {
    let charter = charter_doc_in(
        suite,
        &relay.url,
        &relay.vkey,
        &[("north", north), ("south", south)],
        "00112233445566778899aabbccddeeff",
        vec![],
    );
    let ch = RelayClient::new(&relay.url, north.clone())
        .unwrap()
        .create_channel(&charter)
        .unwrap();
    for (party, members) in [(north, north_members), (south, south_members)] {
        if !members.is_empty() {
            RelayClient::new(&relay.url, party.clone())
                .unwrap()
                .post_roster(&ch, &roster_in(suite, ch, party, 1, None, members))
                .unwrap();
        }
    }
    (charter, ch)
}
