//! The fuzz targets' seed corpora (`fuzz/seeds/<target>/`, copied into the
//! working corpora by `fuzz/run.sh`): every target has seeds checked in, and
//! `write_fuzz_seeds` regenerates them from the checked-in test vectors and
//! from what the real binary produces (a channel's charter, rosters, log
//! entries, checkpoint, tlog-proofs, a disclosure bundle and a relay
//! export). Regenerate after a format change:
//!
//! ```sh
//! cargo test -p hotline-cli --test fuzz_seeds -- --ignored write_fuzz_seeds
//! ```

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::cli::*;
use common::*;
use hotline_core::charter::{Charter, CharterParty, DisclosureRule, RelayInfo, VerifiedCharter};
use hotline_core::commitment::{Part, PartKind, encode_parts};
use hotline_core::envelope::SIGNED_HEAD_LEN;
use hotline_core::keys::{MemberKeys, SigningKey};
use hotline_core::message::Tlp;
use hotline_log::log::Log;
use hotline_log::memory::MemoryStore;
use hotline_log::note::Ed25519Signer;
use hotline_log::storage::LogStore;
use hotline_log::tiles::{Tile, encode_bundle, tiles_for_size};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The targets `fuzz/Cargo.toml` declares.
fn targets() -> Vec<String> {
    let toml = std::fs::read_to_string(root().join("fuzz/Cargo.toml")).unwrap();
    let mut out = Vec::new();
    let mut in_bin = false;
    for line in toml.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_bin = l == "[[bin]]";
        } else if in_bin && let Some(v) = l.strip_prefix("name = ") {
            out.push(v.trim_matches('"').to_owned());
        }
    }
    out
}

#[test]
fn every_fuzz_target_has_checked_in_seeds() {
    let ts = targets();
    assert!(ts.len() >= 14, "{ts:?}");
    for t in ts {
        let dir = root().join("fuzz/seeds").join(&t);
        let n = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}; run write_fuzz_seeds", dir.display()))
            .count();
        assert!(n > 0, "{} is empty; run write_fuzz_seeds", dir.display());
    }
}

struct Seeds {
    dir: PathBuf,
    count: BTreeMap<String, usize>,
}

impl Seeds {
    fn put(&mut self, target: &str, name: &str, bytes: &[u8]) {
        let d = self.dir.join(target);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), bytes).unwrap();
        *self.count.entry(target.into()).or_default() += 1;
    }
}

fn b64(s: &str) -> Vec<u8> {
    base64_dec(s)
}

/// The fixed two-party charter of the `roster` target (fuzz/fuzz_targets/roster.rs).
fn roster_target_charter(keys: &[SigningKey; 2]) -> VerifiedCharter {
    let parties = ["north", "south"]
        .iter()
        .zip(keys)
        .map(|(s, k)| CharterParty {
            id: k.key_id(),
            name: s.to_string(),
            short: s.to_string(),
            key: k.verifying_key().to_base64(),
        })
        .collect();
    let c = Charter {
        v: 1,
        title: "fuzz".into(),
        nonce: "00000000000000000000000000000000".into(),
        created: "2026-01-01T00:00:00Z".into(),
        parties,
        relay: RelayInfo {
            url: "https://relay.example".into(),
            key: "relay.example+00000000+AQ==".into(),
        },
        witnesses: vec![],
        witness_quorum: 0,
        deadlines: BTreeMap::new(),
        disclosure: DisclosureRule::Unanimous,
        default_tlp: Tlp::Amber,
        retention_days: 1,
        suite: "hotline-v1".into(),
    };
    let mut d = c.to_document().unwrap();
    d.sign(&keys[0]);
    d.sign(&keys[1]);
    VerifiedCharter::verify(&d).unwrap()
}

/// Seeds from the checked-in vectors and from in-process encodings.
fn from_vectors(s: &mut Seeds) {
    let v: Value = serde_json::from_slice(
        &std::fs::read(root().join("tests/vectors/envelopes.json")).unwrap(),
    )
    .unwrap();
    for vec in v["vectors"].as_array().unwrap() {
        let name = vec["name"].as_str().unwrap();
        let env = hex::decode(vec["envelope"].as_str().unwrap()).unwrap();
        if vec["expect"] == "ok" {
            hotline_core::envelope::Envelope::from_bytes(&env).unwrap();
        }
        s.put("envelope", name, &env);
        if env.len() >= SIGNED_HEAD_LEN {
            s.put("signed_head", name, &env[..SIGNED_HEAD_LEN]);
        }
        if let Some(parts) = vec["parts"].as_array() {
            let parts: Vec<Part> = parts
                .iter()
                .filter_map(|p| {
                    Some(Part {
                        kind: PartKind::from_name(p["kind"].as_str()?)?,
                        salt: hex::decode(p["salt"].as_str()?).ok()?.try_into().ok()?,
                        bytes: hex::decode(p["content"].as_str()?).ok()?,
                    })
                })
                .collect();
            if !parts.is_empty() {
                s.put("message", name, &encode_parts(&parts));
                s.put("message", &format!("{name}.header"), &parts[0].bytes);
            }
        }
    }

    // A body in three languages (docs/format.md §4.1): header, three body
    // parts, an attachment.
    {
        use hotline_core::ids::{ChannelId, MessageId};
        use hotline_core::keys::KeyId;
        use hotline_core::message::{AttachmentMeta, InnerHeader, Kind, Message, sha256_hex};
        let id = MessageId([7; 16]);
        let m = Message {
            header: InnerHeader {
                v: 1,
                channel: ChannelId([1; 16]),
                id,
                case: id,
                kind: Kind::Inquiry,
                author: KeyId([2; 32]),
                party: KeyId([3; 32]),
                created: "2026-12-04T10:00:00Z".into(),
                to: vec![KeyId([4; 32])],
                refs: vec![],
                title: "Intrusions".into(),
                tlp: Tlp::Amber,
                norm: None,
                lang: "en".into(),
                other_langs: vec!["ru".into(), "ar".into()],
                authentic: vec!["en".into(), "ru".into()],
                attachments: vec![AttachmentMeta {
                    name: "log.txt".into(),
                    media_type: "text/plain".into(),
                    size: 3,
                    sha256: sha256_hex(b"log"),
                }],
                stix: false,
                nonce: "11".repeat(16),
            },
            body: "We observed intrusions.".into(),
            other_bodies: vec![
                "Мы наблюдали вторжения.".into(),
                "لاحظنا عمليات اقتحام.".into(),
            ],
            attachments: vec![b"log".to_vec()],
            stix: None,
        };
        let parts = m.to_parts(&mut rand_core::OsRng).unwrap();
        s.put("message", "three_languages", &encode_parts(&parts));
        s.put("message", "three_languages.header", &parts[0].bytes);
    }

    let note: Value = serde_json::from_slice(
        &std::fs::read(root().join("tests/vectors/log/go-sumdb-note.json")).unwrap(),
    )
    .unwrap();
    for (k, val) in note.as_object().unwrap() {
        if let Some(t) = val.as_str()
            && t.contains("\n\n\u{2014} ")
        {
            s.put("note", &format!("go-sumdb-{k}"), t.as_bytes());
        }
    }

    let sig: Value = serde_json::from_slice(
        &std::fs::read(root().join("tests/vectors/rfc9421-ed25519.json")).unwrap(),
    )
    .unwrap();
    let input = sig["signature_input"].as_str().unwrap();
    let signature = sig["signature"].as_str().unwrap();
    s.put(
        "httpsig",
        "rfc9421-b26",
        format!("{input}\n{signature}").as_bytes(),
    );

    // A log in memory: checkpoints, tiles, bundles, a witness request.
    let store = MemoryStore::default();
    let origin = "relay.example/00112233445566778899aabbccddeeff";
    store.create(origin).unwrap();
    let log = Log::new(&store, origin);
    let signer = Ed25519Signer::new("relay.example", &[7; 32]).unwrap();
    let entries: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("entry {i}").into_bytes())
        .collect();
    log.append(&entries[..5]).unwrap();
    let old = log.sign_checkpoint(&signer).unwrap();
    log.append(&entries[5..]).unwrap();
    let new = log.sign_checkpoint(&signer).unwrap();
    let text = &new.text;
    s.put("checkpoint", "size-300", text.as_bytes());
    s.put("checkpoint", "size-5", old.text.as_bytes());
    s.put("note", "checkpoint-300", &new.to_bytes());
    for t in tiles_for_size(300).iter().take(4) {
        s.put("tiles", &t.path().replace('/', "_"), t.path().as_bytes());
    }
    let bundle = encode_bundle(&entries[..3]).unwrap();
    s.put("tiles", "bundle-3", &[&[3u8][..], &bundle].concat());
    let partial = Tile::parse_path("tile/entries/000.p/3").unwrap();
    s.put("tiles", "entries-partial", partial.path().as_bytes());
    let proof = log.consistency_proof(5, 300).unwrap();
    let mut req = String::from("old 5\n");
    for h in &proof {
        req.push_str(&base64_std(h));
        req.push('\n');
    }
    req.push('\n');
    let mut body = req.into_bytes();
    body.extend_from_slice(&new.to_bytes());
    hotline_witness::AddCheckpointRequest::parse(&body).unwrap();
    s.put("witness_request", "old-5", &body);
    let mut fresh = b"old 0\n\n".to_vec();
    fresh.extend_from_slice(&old.to_bytes());
    s.put("witness_request", "old-0", &fresh);

    // A roster for the roster target's fixed channel, signed by its first party.
    let keys = [
        SigningKey::from_seed(&[1; 32]),
        SigningKey::from_seed(&[2; 32]),
    ];
    let charter = roster_target_charter(&keys);
    let m = MemberKeys::generate(&mut rand_core::OsRng);
    let r = roster(charter.channel(), &keys[0], 1, None, &[&m]);
    s.put("roster", "version-1", &r.to_json());
    s.put("roster", "version-1.payload", &r.payload);
    s.put("document", "roster", &r.to_json());
    s.put(
        "charter",
        "roster-target-charter",
        &charter.document().to_json(),
    );
    s.put(
        "charter",
        "roster-target-charter.payload",
        &charter.document().payload,
    );
}

/// Seeds from what the real binary writes: a channel with a case disclosed,
/// and the relay's export.
fn from_the_binary(s: &mut Seeds) {
    let d = tempfile::tempdir().unwrap();
    let relay_dir = d.path().join("relay");
    let relay = start(&relay_dir, &unique("seeds"), None);
    let (dirs, _, charter) = set_up(
        d.path(),
        &relay,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);
    let c = std::fs::read(&charter).unwrap();
    s.put("charter", "channel-charter", &c);
    s.put("document", "channel-charter", &c);
    let stix = d.path().join("indicators.json");
    std::fs::write(
        &stix,
        r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.23']","pattern_type":"stix","valid_from":"2026-11-20T08:00:00Z"}]}"#,
    )
    .unwrap();
    let opened = ok(hotline(
        north,
        &[
            "case",
            "open",
            "--kind",
            "inquiry",
            "--to",
            "southland",
            "--title",
            "Intrusions",
            "--body",
            "We see intrusions.",
            "--stix",
            stix.to_str().unwrap(),
        ],
    ));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();
    ok(hotline(south, &["case", "ack", &case]));
    ok(hotline(
        south,
        &["case", "answer", &case, "--body", "Contained."],
    ));
    let r = ok(hotline(
        north,
        &[
            "disclose",
            "request",
            "--case",
            &case,
            "--redact",
            "stix",
            "--purpose",
            "seeds",
        ],
    ));
    let request = r.split_whitespace().nth(2).unwrap().to_owned();
    ok(hotline(south, &["disclose", "consent", &request]));
    ok(hotline(north, &["sync"]));
    let out = d.path().join("bundle.json");
    ok(hotline(
        north,
        &[
            "disclose",
            "export",
            &request,
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let bundle = std::fs::read(&out).unwrap();
    assert_eq!(
        hotline_disclosure::verify(&bundle).verdict,
        hotline_disclosure::Verdict::Valid
    );
    let b: Value = serde_json::from_slice(&bundle).unwrap();
    // The target asserts that what it is fed is never valid (it cannot forge
    // a signature), so its seeds are the valid bundle with one thing wrong:
    // everything parses and nearly every check runs.
    let mut flipped = b.clone();
    let cp = flipped["checkpoint"].as_str().unwrap().to_owned();
    let (body, sigs) = cp.split_once("\n\n").unwrap();
    let at = sigs.find(' ').unwrap() + 3;
    let mut sigs = sigs.to_owned().into_bytes();
    sigs[at] = if sigs[at] == b'A' { b'B' } else { b'A' };
    flipped["checkpoint"] = format!("{body}\n\n{}", String::from_utf8(sigs).unwrap()).into();
    let mut dropped = b.clone();
    dropped["entries"].as_array_mut().unwrap().pop();
    for (name, bad) in [
        ("checkpoint-signature-flipped", flipped),
        ("entry-dropped", dropped),
    ] {
        let bytes = serde_json::to_vec_pretty(&bad).unwrap();
        assert_ne!(
            hotline_disclosure::verify(&bytes).verdict,
            hotline_disclosure::Verdict::Valid,
            "{name}"
        );
        s.put("disclosure_bundle", name, &bytes);
    }
    let note = b["checkpoint"].as_str().unwrap();
    s.put("note", "bundle-checkpoint", note.as_bytes());
    s.put(
        "checkpoint",
        "bundle-checkpoint",
        note.split_once("\n\n").unwrap().0.as_bytes(),
    );
    for e in b["entries"].as_array().unwrap() {
        let i = e["index"].as_u64().unwrap();
        let proof = e["proof"].as_str().unwrap();
        hotline_disclosure::proof::TlogProof::parse(proof).unwrap();
        s.put("tlog_proof", &format!("entry-{i}"), proof.as_bytes());
        let bytes = b64(e["entry"].as_str().unwrap());
        match &bytes[..4] {
            b"HLC\x01" | b"HLR\x01" => s.put("document", &format!("entry-{i}"), &bytes[4..]),
            _ => s.put("signed_head", &format!("entry-{i}"), &bytes),
        }
    }
    // Every entry of the log as north's archive mirrors it, time
    // attestations among them.
    let a = hotline_client::archive::Archive::open(north).unwrap();
    let origin = a.channels().unwrap()[0].origin.clone();
    let size = a.log.size(&origin).unwrap();
    for (i, bytes) in a
        .log
        .read_entries(&origin, 0, size)
        .unwrap()
        .iter()
        .enumerate()
    {
        s.put("entry", &format!("entry-{i}"), bytes);
    }
    stop(relay);
    let export = d.path().join("export.jsonl");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["relay", "export", "--data"])
        .arg(&relay_dir)
        .arg("--out")
        .arg(&export)
        .arg("--without-key")
        .env("HOTLINE_PASSPHRASE", "relay test passphrase")
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let export = std::fs::read(&export).unwrap();
    hotline_relay::backup::verify(&export[..], &|_, _| {}).unwrap();
    s.put("relay_export", "channel", &export);
}

#[test]
#[ignore = "writes fuzz/seeds/; run by hand after a format change (see the file's doc)"]
fn write_fuzz_seeds() {
    // Written beside, then swapped in: the check above never sees half a corpus.
    let new = root().join("fuzz/seeds.new");
    let _ = std::fs::remove_dir_all(&new);
    let mut s = Seeds {
        dir: new.clone(),
        count: BTreeMap::new(),
    };
    from_vectors(&mut s);
    from_the_binary(&mut s);
    // Targets whose seeds are made by hand or by another tool (the STIX
    // corpus of tests/interop/stix, the TAXII envelopes) keep theirs.
    let dir = root().join("fuzz/seeds");
    for t in targets() {
        if s.count.contains_key(&t) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(dir.join(&t)) else {
            continue;
        };
        for e in entries {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap();
            s.put(&t, &e.file_name().to_string_lossy(), &bytes);
        }
    }
    for t in targets() {
        assert!(s.count.get(&t).is_some_and(|n| *n > 0), "no seed for {t}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&new, &dir).unwrap();
    eprintln!("seeds written: {:?}", s.count);
}
