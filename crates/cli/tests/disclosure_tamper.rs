//! Tampering with a disclosure bundle is caught (docs/disclosure.md §3):
//! flipping any bit of its signed or hashed content (property test over
//! positions), dropping any entry, swapping a redacted part, replaying a
//! consent given to another request, a body presented as a redacted
//! attachment, history the relay re-logged, signature lines the two
//! verifiers once read differently, and signatures that only a lax Ed25519
//! verifier accepts (forged with the relay's key, read from its data folder,
//! as a lying relay would). With `HOTLINE_DISCLOSURE_CORPUS` set, the valid
//! bundles and a corpus of tampered ones are written there with the Rust
//! verdict and every check's outcome, for the JavaScript verifier and
//! verify.html to be checked against, check by check (web/verify/test).

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::cli::*;
use common::*;
use hotline_disclosure::{Verdict, verify};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

use hotline_disclosure::proof::TlogProof;
use hotline_log::checkpoint::Checkpoint;
use hotline_log::merkle::{MemoryTree, inclusion_proof, leaf_hash};
use hotline_log::note::{Ed25519Signer, Note, NoteSignature, key_id};

/// An Ed25519 key by its seed, to sign note lines with.
struct NoteKey {
    name: String,
    seed: [u8; 32],
}

impl NoteKey {
    /// The relay's key, read from its data folder (`relay.key`).
    fn relay(data: &std::path::Path) -> NoteKey {
        let pass = hotline_store::keyfile::Passphrase::new("relay test passphrase".into());
        let b = hotline_store::keyfile::read(&data.join("relay.key"), &pass).unwrap();
        NoteKey {
            seed: b[..32].try_into().unwrap(),
            name: String::from_utf8(b[32..].to_vec()).unwrap(),
        }
    }
    fn signing(&self) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&self.seed)
    }
    fn public(&self) -> [u8; 32] {
        self.signing().verifying_key().to_bytes()
    }
    /// Its checkpoint signature line (type 0x01).
    fn sign(&self, text: &str) -> String {
        Ed25519Signer::new(&self.name, &self.seed)
            .unwrap()
            .sign(text)
            .to_line()
    }
    /// Its cosignature line (type 0x04) at `time`, any u64: the cosigner
    /// of hotline-log refuses times of 2^63 and more, a forger does not.
    fn cosign(&self, text: &str, time: u64) -> String {
        let sig = ed25519_dalek::Signer::sign(
            &self.signing(),
            hotline_log::cosignature::message(time, text).as_bytes(),
        );
        self.line(0x04, [&time.to_be_bytes()[..], &sig.to_bytes()].concat())
    }
    fn line(&self, alg: u8, sig: Vec<u8>) -> String {
        NoteSignature {
            name: self.name.clone(),
            key_id: key_id(&self.name, alg, &self.public()),
            sig,
        }
        .to_line()
    }
}

/// A signature by `key` over `msg` whose R is the identity, a point of
/// small order: with s = k·a (k = SHA-512(R || A || M) mod ℓ, a the key's
/// scalar), [s]B − [k]A is the identity, so ed25519-dalek's `verify`
/// accepts it and its `verify_strict` refuses it, as does any verifier that
/// refuses small-order R (RFC 8032 verifiers differ here).
fn small_order_r(key: &NoteKey, msg: &[u8]) -> [u8; 64] {
    use curve25519_dalek::scalar::{Scalar, clamp_integer};
    use sha2::{Digest, Sha512};
    let h = Sha512::digest(key.seed);
    let a = Scalar::from_bytes_mod_order(clamp_integer(h[..32].try_into().unwrap()));
    let mut r = [0u8; 32];
    r[0] = 1;
    let k = Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(r)
            .chain_update(key.public())
            .chain_update(msg)
            .finalize()
            .into(),
    );
    let sig: [u8; 64] = [r, (k * a).to_bytes()].concat().try_into().unwrap();
    let vk = key.signing().verifying_key();
    let s = ed25519_dalek::Signature::from_bytes(&sig);
    assert!(vk.verify_strict(msg, &s).is_err());
    assert!(ed25519_dalek::Verifier::verify(&vk, msg, &s).is_ok());
    sig
}

/// Re-logs the bundle as a lying relay could: the log the bundle's entries
/// are in, other positions filled, `extra` entries appended after its end,
/// under a new checkpoint whose signature lines `sign` gives for its text.
/// The proofs are recomputed; the checkpoint's old cosignatures dropped.
fn relog(b: &Value, extra: &[Value], sign: &dyn Fn(&str) -> String) -> Value {
    let note = Note::parse(b["checkpoint"].as_str().unwrap().as_bytes()).unwrap();
    let old = Checkpoint::parse(&note.text).unwrap();
    let mut entries = b["entries"].as_array().unwrap().clone();
    for (k, e) in extra.iter().enumerate() {
        let mut e = e.clone();
        e["index"] = (old.size + k as u64).into();
        entries.push(e);
    }
    let size = old.size + extra.len() as u64;
    let mut tree = MemoryTree::new();
    for i in 0..size {
        tree.append(
            match entries.iter().find(|e| e["index"].as_u64() == Some(i)) {
                Some(e) => leaf_hash(&B64.decode(e["entry"].as_str().unwrap()).unwrap()),
                None => leaf_hash(format!("another entry {i}").as_bytes()),
            },
        );
    }
    let text = Checkpoint {
        origin: old.origin,
        size,
        root: tree.root(),
        extensions: vec![],
    }
    .to_text();
    let signed = format!("{text}\n{}", sign(&text));
    for e in &mut entries {
        let i = e["index"].as_u64().unwrap();
        e["proof"] = TlogProof {
            extra: None,
            index: i,
            hashes: inclusion_proof(i, size, &tree).unwrap(),
            checkpoint: signed.clone(),
        }
        .to_text()
        .into();
    }
    let mut b = b.clone();
    b["entries"] = entries.into();
    b["checkpoint"] = signed.into();
    b
}

/// The bundle with its checkpoint's signature lines extended by `more`,
/// everywhere the checkpoint is (its proofs too).
fn with_lines(b: &Value, more: &str) -> Value {
    let old = b["checkpoint"].as_str().unwrap().to_owned();
    let new = format!("{old}{more}");
    let mut b = b.clone();
    b["checkpoint"] = new.clone().into();
    for e in b["entries"].as_array_mut().unwrap() {
        let p = e["proof"].as_str().unwrap().replace(&old, &new);
        e["proof"] = p.into();
    }
    b
}

/// A signature line of an unknown key named `name` (every verifier ignores
/// it, if the note parses).
fn unknown_line(name: &str) -> String {
    format!("\u{2014} {name} {}\n", B64.encode([7u8; 68]))
}

/// A signature by `key` over `msg` whose R is a point of mixed order
/// ([r]B plus a point of order 8) and s = r + k·a: the cofactored equation
/// ([8][s]B = [8]R + [8][k]A) holds, the cofactorless one of
/// ed25519-dalek ([s]B − [k]A = R) does not.
fn mixed_order_r(key: &NoteKey, msg: &[u8]) -> [u8; 64] {
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use curve25519_dalek::scalar::{Scalar, clamp_integer};
    use sha2::{Digest, Sha512};
    let h = Sha512::digest(key.seed);
    let a = Scalar::from_bytes_mod_order(clamp_integer(h[..32].try_into().unwrap()));
    let r = Scalar::from_bytes_mod_order([42; 32]);
    let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1]).compress();
    let k = Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(big_r.as_bytes())
            .chain_update(key.public())
            .chain_update(msg)
            .finalize()
            .into(),
    );
    let sig: [u8; 64] = [*big_r.as_bytes(), (r + k * a).to_bytes()]
        .concat()
        .try_into()
        .unwrap();
    let vk = key.signing().verifying_key();
    let s = ed25519_dalek::Signature::from_bytes(&sig);
    assert!(ed25519_dalek::Verifier::verify(&vk, msg, &s).is_err());
    sig
}

/// A bundle of one entry, a charter with `payload` signed by `signers`,
/// in a log of that entry alone under a checkpoint signed by `relay` (and
/// the lines `more` gives for its text): every check up to the request's is
/// made, and the charter's rules are the ones that decide.
fn charter_bundle(
    payload: &[u8],
    signers: &[&hotline_core::keys::SigningKey],
    relay: &NoteKey,
    more: &dyn Fn(&str) -> String,
) -> Vec<u8> {
    let mut doc = hotline_core::dsse::SignedDocument::new(
        hotline_core::charter::CHARTER_PAYLOAD_TYPE,
        payload.to_vec(),
    );
    for k in signers {
        doc.sign(k);
    }
    let entry = [&hotline_core::entry::CHARTER_MAGIC[..], &doc.to_json()].concat();
    let channel = hotline_core::ids::ChannelId::for_charter_payload(payload).to_hex();
    let text = Checkpoint {
        origin: format!("{}/{channel}", relay.name),
        size: 1,
        root: leaf_hash(&entry),
        extensions: vec![],
    }
    .to_text();
    let note = format!("{text}\n{}{}", relay.sign(&text), more(&text));
    let proof = TlogProof {
        extra: None,
        index: 0,
        hashes: vec![],
        checkpoint: note.clone(),
    }
    .to_text();
    bytes(&serde_json::json!({
        "type": "hotline.disclosure-bundle", "v": 1, "created": "2026-12-01T00:00:00Z",
        "checkpoint": note,
        "entries": [{"index": 0, "entry": B64.encode(entry), "proof": proof}],
        "request": 0, "consents": [], "refusals": [], "missing_consents": [],
    }))
}

/// Charters breaking each rule of `Charter` (its fields, `validate`, and
/// `VerifiedCharter::verify`), and some keeping to them, each in a bundle
/// of its own, with whether its charter check must hold.
fn charter_cases() -> Vec<(String, Vec<u8>, bool)> {
    use hotline_core::keys::SigningKey;
    let relay = NoteKey {
        name: "relay.example/charters".into(),
        seed: [5; 32],
    };
    let vkey = hotline_log::note::format_vkey(&relay.name, 0x01, &relay.public());
    let (k1, k2, k3) = (
        SigningKey::from_seed(&[1; 32]),
        SigningKey::from_seed(&[2; 32]),
        SigningKey::from_seed(&[3; 32]),
    );
    let doc = charter_doc_at(
        "https://relay.example",
        &vkey,
        &[("northland", &k1), ("southland", &k2)],
        "00112233445566778899aabbccddeeff",
        vec![],
    );
    let base: Value = serde_json::from_slice(&doc.payload).unwrap();
    let both = [&k1, &k2];
    let mut out = Vec::new();
    let mut case = |name: &str, f: &dyn Fn(&mut Value), signers: &[&SigningKey], ok: bool| {
        let mut c = base.clone();
        f(&mut c);
        out.push((
            format!("charter-{name}"),
            charter_bundle(&serde_json::to_vec(&c).unwrap(), signers, &relay, &|_| {
                String::new()
            }),
            ok,
        ));
    };
    case("base", &|_| {}, &both, true);
    case("unknown-field", &|c| c["extra"] = 1.into(), &both, false);
    case(
        "party-unknown-field",
        &|c| c["parties"][0]["extra"] = 1.into(),
        &both,
        false,
    );
    case(
        "deadline-unknown-field",
        &|c| c["deadlines"]["inquiry"]["extra"] = 1.into(),
        &both,
        false,
    );
    case(
        "deadline-null",
        &|c| c["deadlines"]["inquiry"]["ack_within"] = Value::Null,
        &both,
        true,
    );
    case(
        "deadline-ping",
        &|c| c["deadlines"]["ping"] = serde_json::json!({"ack_within": 60}),
        &both,
        true,
    );
    case(
        "deadline-ack",
        &|c| c["deadlines"]["ack"] = serde_json::json!({}),
        &both,
        false,
    );
    case(
        "deadline-unknown-kind",
        &|c| c["deadlines"]["gossip"] = serde_json::json!({}),
        &both,
        false,
    );
    case("v2", &|c| c["v"] = 2.into(), &both, false);
    case("suite", &|c| c["suite"] = "hotline-v2".into(), &both, false);
    case(
        "one-party",
        &|c| {
            c["parties"].as_array_mut().unwrap().pop();
        },
        &[&k1],
        false,
    );
    case(
        "nonce-upper-case",
        &|c| c["nonce"] = "00112233445566778899AABBCCDDEEFF".into(),
        &both,
        true,
    );
    case("nonce-short", &|c| c["nonce"] = "0011".into(), &both, false);
    for (name, t, ok) in [
        ("created-month-13", "2026-13-22T10:00:00Z", false),
        ("created-space", "2026-11-22 10:00:00Z", true),
        ("created-newline", "2026-11-22\n10:00:00Z", true),
        ("created-e-acute", "2026-11-22\u{e9}10:00:00Z", false),
        ("created-offset", "2026-11-22T10:00:00.5+05:30", true),
        ("created-offset-24", "2026-11-22T10:00:00+24:00", false),
        ("created-leap-second", "2016-12-31T23:59:60Z", true),
        (
            "created-leap-second-offset",
            "2016-12-31T20:59:60-03:00",
            true,
        ),
        (
            "created-leap-second-mid-month",
            "2016-12-30T23:59:60Z",
            false,
        ),
        ("created-feb-29", "2027-02-29T10:00:00Z", false),
    ] {
        case(name, &|c| c["created"] = t.into(), &both, ok);
    }
    case(
        "short-upper-case",
        &|c| c["parties"][0]["short"] = "North".into(),
        &both,
        false,
    );
    case(
        "short-dash",
        &|c| c["parties"][0]["short"] = "-north".into(),
        &both,
        false,
    );
    case(
        "short-twice",
        &|c| c["parties"][1]["short"] = "northland".into(),
        &both,
        false,
    );
    case(
        "id-mismatch",
        &|c| c["parties"][0]["id"] = c["parties"][1]["id"].clone(),
        &both,
        false,
    );
    case("quorum", &|c| c["witness_quorum"] = 1.into(), &both, false);
    case(
        "tlp",
        &|c| c["default_tlp"] = "TLP:BLUE".into(),
        &both,
        false,
    );
    case(
        "retention-negative",
        &|c| c["retention_days"] = (-1).into(),
        &both,
        false,
    );
    case(
        "relay-url-empty",
        &|c| c["relay"]["url"] = "".into(),
        &both,
        false,
    );
    case(
        "witnesses-null",
        &|c| c["witnesses"] = Value::Null,
        &both,
        false,
    );
    case("stray-signature", &|_| {}, &[&k1, &k2, &k3], false);
    case("missing-signature", &|_| {}, &[&k1], false);
    // The relay's key the charter names: of type 0x01, its id its own.
    case(
        "relay-key-type-4",
        &|c| {
            c["relay"]["key"] =
                hotline_log::note::format_vkey(&relay.name, 0x04, &relay.public()).into()
        },
        &both,
        true,
    );
    case(
        "relay-key-bad-id",
        &|c| {
            let k = c["relay"]["key"].as_str().unwrap();
            let (name, rest) = k.split_once('+').unwrap();
            c["relay"]["key"] = format!("{name}+00000000{}", &rest[8..]).into();
        },
        &both,
        true,
    );
    // Repeated fields and floats, in the payload's text.
    let payload = String::from_utf8(doc.payload.clone()).unwrap();
    for (name, from, to) in [
        (
            "repeated-field",
            "\"title\":",
            "\"title\":\"again\",\"title\":",
        ),
        ("float", "\"witness_quorum\":0", "\"witness_quorum\":0.0"),
    ] {
        assert!(payload.contains(from), "{from}");
        out.push((
            format!("charter-{name}"),
            charter_bundle(
                payload.replacen(from, to, 1).as_bytes(),
                &both,
                &relay,
                &|_| String::new(),
            ),
            false,
        ));
    }
    // Witnesses: the quorum met, not met, and a witness whose key is the
    // identity (small order: any s makes [s]B − [k]A = R hold for R = [s]B,
    // which a lax verifier accepts and verify_strict refuses).
    let w = NoteKey {
        name: "witness.example/w2".into(),
        seed: [11; 32],
    };
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = "witness.example/weak";
    let weak_vkey = hotline_log::note::format_vkey(weak, 0x04, &identity);
    let with_witness = |key: &str, quorum: u32| {
        let mut c = base.clone();
        c["witnesses"] = serde_json::json!([{"key": key, "url": "https://w.example"}]);
        c["witness_quorum"] = quorum.into();
        serde_json::to_vec(&c).unwrap()
    };
    let wkey = hotline_log::note::format_vkey(&w.name, 0x04, &w.public());
    // y = p: the point with y = 0, which ed25519-dalek decodes and RFC 8032
    // (§5.1.3) does not: a key with two encodings.
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xed;
    non_canonical[31] = 0x7f;
    let nc_vkey = hotline_log::note::format_vkey("witness.example/nc", 0x04, &non_canonical);
    let time = 1_790_000_000u64;
    for (name, payload, more, witnessed) in [
        (
            "witness-non-canonical-key",
            with_witness(&nc_vkey, 0),
            Box::new(|_: &str| String::new()) as Box<dyn Fn(&str) -> String>,
            true,
        ),
        (
            "witness-quorum-met",
            with_witness(&wkey, 1),
            Box::new(|t: &str| w.cosign(t, time)),
            true,
        ),
        (
            "witness-quorum-missed",
            with_witness(&wkey, 1),
            Box::new(|_: &str| String::new()),
            false,
        ),
        (
            "witness-small-order-key",
            with_witness(&weak_vkey, 1),
            Box::new(|t: &str| {
                use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
                use curve25519_dalek::scalar::Scalar;
                let s = Scalar::from_bytes_mod_order([3; 32]);
                let r = (ED25519_BASEPOINT_POINT * s).compress();
                let sig = [&time.to_be_bytes()[..], r.as_bytes(), s.as_bytes()].concat();
                let msg = hotline_log::cosignature::message(time, t);
                let vk = ed25519_dalek::VerifyingKey::from_bytes(&identity).unwrap();
                let ds = ed25519_dalek::Signature::from_slice(&sig[8..]).unwrap();
                assert!(ed25519_dalek::Verifier::verify(&vk, msg.as_bytes(), &ds).is_ok());
                assert!(vk.verify_strict(msg.as_bytes(), &ds).is_err());
                NoteSignature {
                    name: weak.into(),
                    key_id: key_id(weak, 0x04, &identity),
                    sig,
                }
                .to_line()
            }),
            false,
        ),
    ] {
        let data = charter_bundle(&payload, &both, &relay, &*more);
        let r = verify(&data);
        let c = r
            .checks
            .iter()
            .find(|c| c.what == "the charter's witnesses cosigned the checkpoint")
            .unwrap();
        assert_eq!(c.ok, witnessed, "{name}: {}", c.detail);
        out.push((format!("charter-{name}"), data, true));
    }
    out
}

/// The entry of `b` at log index `i`.
fn entry_at(b: &Value, i: u64) -> Value {
    b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["index"].as_u64() == Some(i))
        .unwrap()
        .clone()
}

/// Where a tamper lands.
#[derive(Debug, Clone)]
enum Spot {
    Entry(usize),
    Part(usize, usize, &'static str),
    ProofHash(usize, usize),
    CheckpointBody,
    RelaySignature,
}

fn spots(b: &Value) -> Vec<Spot> {
    let mut out = vec![Spot::CheckpointBody, Spot::RelaySignature];
    for (i, e) in b["entries"].as_array().unwrap().iter().enumerate() {
        out.push(Spot::Entry(i));
        for (j, p) in e["parts"].as_array().into_iter().flatten().enumerate() {
            for f in ["salt", "content", "redacted"] {
                if p.get(f).is_some() && !p[f].as_str().unwrap().is_empty() {
                    out.push(Spot::Part(i, j, f));
                }
            }
        }
        let hashes = e["proof"]
            .as_str()
            .unwrap()
            .split("\n\n")
            .next()
            .unwrap()
            .lines()
            .count()
            - 2;
        for k in 0..hashes {
            out.push(Spot::ProofHash(i, k));
        }
    }
    out
}

fn flip_b64(s: &str, pos: usize, bit: u8, skip: usize) -> String {
    let mut b = B64.decode(s).unwrap();
    let n = b.len() - skip;
    b[skip + pos % n] ^= 1 << bit;
    B64.encode(b)
}

/// Flips one bit at `spot`; keeps the bundle well-formed JSON.
fn tamper(b: &Value, spot: &Spot, pos: usize, bit: u8) -> Value {
    let mut b = b.clone();
    match spot {
        Spot::Entry(i) => {
            let e = &mut b["entries"][*i];
            e["entry"] = flip_b64(e["entry"].as_str().unwrap(), pos, bit, 0).into();
        }
        Spot::Part(i, j, f) => {
            let p = &mut b["entries"][*i]["parts"][*j];
            p[*f] = flip_b64(p[*f].as_str().unwrap(), pos, bit, 0).into();
        }
        Spot::ProofHash(i, k) => {
            let proof = b["entries"][*i]["proof"].as_str().unwrap().to_owned();
            let (head, cp) = proof.split_once("\n\n").unwrap();
            let mut lines: Vec<String> = head.lines().map(String::from).collect();
            lines[2 + k] = flip_b64(&lines[2 + k], pos, bit, 0);
            b["entries"][*i]["proof"] = format!("{}\n\n{cp}", lines.join("\n")).into();
        }
        Spot::CheckpointBody | Spot::RelaySignature => {
            let old = b["checkpoint"].as_str().unwrap().to_owned();
            let (body, sigs) = old.split_once("\n\n").unwrap();
            let new = if let Spot::CheckpointBody = spot {
                let mut bytes = body.as_bytes().to_vec();
                let n = bytes.len();
                // ASCII stays ASCII: bits 0..7 of an ASCII byte.
                bytes[pos % n] ^= 1 << (bit % 7);
                format!("{}\n\n{sigs}", String::from_utf8(bytes).unwrap())
            } else {
                // The relay's signature is the first line.
                let mut lines: Vec<String> = sigs.lines().map(String::from).collect();
                let (name, sig) = lines[0].rsplit_once(' ').unwrap();
                lines[0] = format!("{name} {}", flip_b64(sig, pos, bit, 4));
                format!("{body}\n\n{}\n", lines.join("\n"))
            };
            // Consistently everywhere: only the signatures can catch it.
            b["checkpoint"] = new.clone().into();
            for e in b["entries"].as_array_mut().unwrap() {
                let p = e["proof"].as_str().unwrap().replace(&old, &new);
                e["proof"] = p.into();
            }
        }
    }
    b
}

/// Builds the Go checker of tlog-proofs. If the build fails (Go or Debian's
/// golang-golang-x-mod-dev missing) the test fails, whatever the environment,
/// unless `HOTLINE_SKIP_GO_INTEROP=1` says to skip it knowingly (`.ci/run`
/// unsets it): then `None`, and it says so.
fn go_checker() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/go");
    let out = std::env::temp_dir().join(format!("tlogproofcheck-{}", std::process::id()));
    let o = std::process::Command::new("bash")
        .arg(root.join("build.sh"))
        .arg(&out)
        .arg("tlogproofcheck")
        .output()
        .unwrap();
    if o.status.success() {
        return Some(out);
    }
    let msg = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        std::env::var_os("HOTLINE_SKIP_GO_INTEROP").is_some_and(|v| v == "1"),
        "the Go tlog-proof checker could not be built ({msg}): install golang-go and \
         golang-golang-x-mod-dev (Debian), or set HOTLINE_SKIP_GO_INTEROP=1 to skip the Go \
         check knowingly"
    );
    eprintln!(
        "the Go tlog-proof checker could not be built ({msg}); HOTLINE_SKIP_GO_INTEROP=1: NOT tested."
    );
    None
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

#[test]
fn tampered_bundles_are_caught() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    // A witness the charter names, whose key the test holds; quorum 0, so
    // that the relay's checkpoints need none of its cosignatures.
    let witness = NoteKey {
        name: "witness.example/w1".into(),
        seed: [9; 32],
    };
    let wvkey = hotline_log::note::format_vkey(&witness.name, 0x04, &witness.public());
    let (dirs, _, _) = set_up_with(
        d.path(),
        &relay.url,
        &relay.vkey,
        &[
            ("northland", "Northland CERT"),
            ("southland", "Southland CERT"),
        ],
        &[
            "--witness",
            &format!("{wvkey}=http://127.0.0.1:9"),
            "--quorum",
            "0",
        ],
    );
    let (north, south) = (&dirs[0], &dirs[1]);
    let evidence = d.path().join("proxy.log");
    std::fs::write(&evidence, "2026-11-20 03:12:09 GET /wp-login.php 10.0.0.5").unwrap();
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
            "--evidence",
            evidence.to_str().unwrap(),
            "--stix",
            stix.to_str().unwrap(),
        ],
    ));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();
    ok(hotline(south, &["case", "ack", &case]));
    // A revoked signer: Southland acknowledged with a key its next roster
    // revokes, and answers with the new one.
    ok(hotline(south, &["key", "rotate"]));
    ok(hotline(
        south,
        &["case", "answer", &case, "--body", "Contained."],
    ));
    let mut requests = Vec::new();
    for redact in ["attachment", "stix"] {
        let r = ok(hotline(
            north,
            &[
                "disclose",
                "request",
                "--case",
                &case,
                "--redact",
                redact,
                "--purpose",
                redact,
            ],
        ));
        requests.push(r.split_whitespace().nth(2).unwrap().to_owned());
    }
    for r in &requests {
        ok(hotline(south, &["disclose", "consent", r]));
    }
    // A case message after those requests' listings (as_of), and a third
    // request that lists it.
    ok(hotline(
        north,
        &["case", "close", &case, "--body", "Closed."],
    ));
    let r = ok(hotline(
        north,
        &[
            "disclose",
            "request",
            "--case",
            &case,
            "--redact",
            "body",
            "--purpose",
            "after the close",
        ],
    ));
    requests.push(r.split_whitespace().nth(2).unwrap().to_owned());
    ok(hotline(south, &["disclose", "consent", &requests[2]]));
    ok(hotline(north, &["sync"]));
    let export = |r: &str, name: &str| -> Value {
        let f = d.path().join(name);
        ok(hotline(
            north,
            &["disclose", "export", r, "--out", f.to_str().unwrap()],
        ));
        serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap()
    };
    let valid = export(&requests[0], "one.json");
    let other = export(&requests[1], "two.json");
    let third = export(&requests[2], "three.json");
    for b in [&valid, &other, &third] {
        let r = verify(&bytes(b));
        assert_eq!(r.verdict, Verdict::Valid, "{:?}", r.checks);
    }
    assert_eq!(
        valid["checkpoint"], other["checkpoint"],
        "both exported under one checkpoint"
    );
    assert_eq!(valid["checkpoint"], third["checkpoint"]);

    let mut corpus: Vec<(String, Vec<u8>)> = vec![
        ("valid".into(), bytes(&valid)),
        ("valid-redacting-stix".into(), bytes(&other)),
        ("valid-as-of-after-close".into(), bytes(&third)),
    ];
    // Each case with the verdict it must get and, if invalid, words of
    // the failure it must show.
    let mut expect = |name: &str, data: Vec<u8>, verdict: Verdict, want: &str| {
        let r = verify(&data);
        assert_eq!(r.verdict, verdict, "{name}: {:?}", r.checks);
        let failed: Vec<_> = r
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| &c.detail)
            .collect();
        assert!(
            want.is_empty() || failed.iter().any(|f| f.contains(want)),
            "{name}: expected a failure mentioning {want:?}, got {failed:?}"
        );
        corpus.push((name.to_owned(), data));
    };
    let invalid = Verdict::Invalid;
    let valid_ = Verdict::Valid;

    // Signature lines the verifiers once read differently (C2SP
    // signed-note: no Unicode space and no '+' in a key name, no control
    // character in a note; U+FEFF is neither), and how many lines a note
    // may carry (at most 100, docs/disclosure.md §3).
    for (name, key, verdict) in [
        ("name-plus", "example.org/a+b", invalid),
        ("name-nel", "example.org/a\u{85}b", invalid),
        ("name-nbsp", "example.org/a\u{a0}b", invalid),
        ("name-control", "example.org/a\u{1}b", invalid),
        ("name-tab", "example.org/a\tb", invalid),
        ("name-bom", "example.org/a\u{feff}b", valid_),
        ("name-del", "example.org/a\u{7f}b", valid_),
    ] {
        expect(
            name,
            bytes(&with_lines(&valid, &unknown_line(key))),
            verdict,
            "",
        );
    }
    let have = Note::parse(valid["checkpoint"].as_str().unwrap().as_bytes())
        .unwrap()
        .signatures
        .len();
    for (name, total, verdict) in [
        ("signatures-100", 100, valid_),
        ("signatures-101", 101, invalid),
    ] {
        let more: String = (have..total)
            .map(|i| unknown_line(&format!("example.org/w{i}")))
            .collect();
        expect(name, bytes(&with_lines(&valid, &more)), verdict, "");
    }

    // A part's fields may be absent, never null.
    let stub_at = |b: &Value| {
        b["entries"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .find_map(|(i, e)| {
                e["parts"]
                    .as_array()?
                    .iter()
                    .position(|p| p.get("redacted").is_some())
                    .map(|j| (i, j))
            })
            .unwrap()
    };
    let (i, j) = stub_at(&valid);
    let mut b = valid.clone();
    b["entries"][i]["parts"][j]["salt"] = Value::Null;
    expect("stub-salt-null", bytes(&b), invalid, "does not parse");
    let mut b = valid.clone();
    b["entries"][i]["parts"][0]["redacted"] = Value::Null;
    expect(
        "open-part-redacted-null",
        bytes(&b),
        invalid,
        "does not parse",
    );

    // Redaction by position: the body shown as a redacted attachment (its
    // true leaf hash, so the commitment holds) when the terms redact
    // attachments.
    let mut b = valid.clone();
    let body = &mut b["entries"][i]["parts"][1];
    assert_eq!(body["tag"], 2);
    let leaf = hotline_core::commitment::Part {
        kind: hotline_core::commitment::PartKind::Body,
        salt: B64
            .decode(body["salt"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap(),
        bytes: B64.decode(body["content"].as_str().unwrap()).unwrap(),
    }
    .leaf_hash();
    *body = serde_json::json!({"tag": 3, "redacted": B64.encode(leaf)});
    expect(
        "body-as-redacted-attachment",
        bytes(&b),
        invalid,
        "where its header's layout has the body",
    );

    // JSON as serde_json reads it: no byte-order mark, no repeated field,
    // integers written as integers.
    let text = String::from_utf8(bytes(&valid)).unwrap();
    expect(
        "json-bom",
        format!("\u{feff}{text}").into_bytes(),
        invalid,
        "does not parse",
    );
    let req = format!("\"request\": {}", valid["request"]);
    assert!(text.contains(&req));
    expect(
        "json-repeated-field",
        text.replacen(&req, &format!("{req}, {req}"), 1)
            .into_bytes(),
        invalid,
        "does not parse",
    );
    expect(
        "json-float-index",
        text.replacen(&req, &format!("{req}.0"), 1).into_bytes(),
        invalid,
        "does not parse",
    );
    let created = format!("\"created\": {}", valid["created"]);
    assert!(text.contains(&created));
    for (name, escape, verdict) in [
        ("json-lone-leading-surrogate", "\\ud800", invalid),
        ("json-lone-trailing-surrogate", "\\udc00", invalid),
        ("json-surrogate-pair", "\\ud83d\\ude00", valid_),
    ] {
        let with = format!("\"created\": \"{escape}\"");
        expect(
            name,
            text.replacen(&created, &with, 1).into_bytes(),
            verdict,
            "",
        );
    }
    let mut b = valid.clone();
    b["entries"][0]["comment"] = "x".into();
    expect("json-unknown-field", bytes(&b), invalid, "does not parse");

    // A case message logged after the request's listing (as_of).
    let later = third["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["parts"].is_array())
        .find(|e| {
            !valid["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["index"] == e["index"])
        })
        .unwrap()
        .clone();
    let mut b = valid.clone();
    let es = b["entries"].as_array_mut().unwrap();
    es.push(later);
    es.sort_by_key(|e| e["index"].as_u64());
    expect(
        "as-of-later-entry",
        bytes(&b),
        invalid,
        "after the request's listing",
    );

    // Forged by the relay: its key signs a log it made up.
    let rk = NoteKey::relay(&d.path().join("relay"));
    let time = 1_790_000_000u64;
    let honest = |t: &str| format!("{}{}", rk.sign(t), rk.cosign(t, time));
    expect("relogged", bytes(&relog(&valid, &[], &honest)), valid_, "");
    // Witnesses: a valid cosignature, a bad one, one of time 2^63.
    let b = relog(&valid, &[], &|t| {
        format!("{}{}", honest(t), witness.cosign(t, time))
    });
    let r = verify(&bytes(&b));
    assert!(
        r.checks
            .iter()
            .any(|c| c.detail.starts_with("1 of 1 witnesses")),
        "{:?}",
        r.checks
    );
    expect("witness-cosigned", bytes(&b), valid_, "");
    expect(
        "witness-cosignature-bad",
        bytes(&relog(&valid, &[], &|t| {
            format!("{}{}", honest(t), witness.cosign(&format!("{t}x"), time))
        })),
        invalid,
        "does not verify",
    );
    for (name, key, at, verdict) in [
        ("witness-time-2^63", &witness, 1u64 << 63, invalid),
        ("relay-time-2^64-1", &rk, u64::MAX, invalid),
        ("relay-time-2^63-1", &rk, (1u64 << 63) - 1, valid_),
    ] {
        expect(
            name,
            bytes(&relog(&valid, &[], &|t| {
                format!("{}{}", honest(t), key.cosign(t, at))
            })),
            verdict,
            "",
        );
    }
    // Small-order R: accepted by a lax verifier, refused by a strict one.
    expect(
        "relay-small-order-r",
        bytes(&relog(&valid, &[], &|t| {
            format!(
                "{}{}",
                rk.line(0x01, small_order_r(&rk, t.as_bytes()).to_vec()),
                rk.cosign(t, time)
            )
        })),
        invalid,
        "not signed by the relay key",
    );
    expect(
        "witness-small-order-r",
        bytes(&relog(&valid, &[], &|t| {
            let msg = hotline_log::cosignature::message(time, t);
            let sig = small_order_r(&witness, msg.as_bytes());
            format!(
                "{}{}",
                honest(t),
                witness.line(0x04, [&time.to_be_bytes()[..], &sig].concat())
            )
        })),
        invalid,
        "does not verify",
    );
    // History replayed: the relay logs again an entry it logged before
    // (a consent, which no listing covers; a case message).
    let consent = valid["consents"][0].as_u64().unwrap();
    expect(
        "replayed-consent-entry",
        bytes(&relog(&valid, &[entry_at(&valid, consent)], &honest)),
        invalid,
        "repeats entry",
    );
    let answer = valid["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["parts"].is_array())
        .map(|e| e["index"].as_u64().unwrap())
        .filter(|i| *i != consent && *i != valid["request"].as_u64().unwrap())
        .max()
        .unwrap();
    expect(
        "replayed-case-message",
        bytes(&relog(&valid, &[entry_at(&valid, answer)], &honest)),
        invalid,
        "repeats the message",
    );
    // A time attestation (the relay's own log entry, `docs/format.md` §7)
    // presented as a disclosed entry: no bundle discloses one.
    let attestation = serde_json::json!({
        "index": 0,
        "entry": B64.encode(
            [&b"HLT\x01"[..], valid["checkpoint"].as_str().unwrap().as_bytes()].concat()
        ),
    });
    expect(
        "time-attestation-disclosed",
        bytes(&relog(&valid, &[attestation], &honest)),
        invalid,
        "a time attestation",
    );
    expect(
        "relay-mixed-order-r",
        bytes(&relog(&valid, &[], &|t| {
            format!(
                "{}{}",
                rk.line(0x01, mixed_order_r(&rk, t.as_bytes()).to_vec()),
                rk.cosign(t, time)
            )
        })),
        invalid,
        "not signed by the relay key",
    );
    // The charter's rules, each in a bundle of its own (invalid for want of
    // a request, whatever the charter).
    for (name, data, ok) in charter_cases() {
        let r = verify(&data);
        let c = r
            .checks
            .iter()
            .find(|c| c.what == "the charter is signed by every party")
            .unwrap();
        assert_eq!(c.ok, ok, "{name}: {}", c.detail);
        expect(&name, data, invalid, "");
    }
    // Listings that disagree: a second consent of Southland's to the first
    // request, signed with its member key (read from its profile), listing
    // one entry fewer than the request does; the relay logs it after the
    // log's end.
    let keys = hotline_client::profile::Profile::open(south)
        .unwrap()
        .unlock_member(&hotline_store::keyfile::Passphrase::new(PASS.into()))
        .unwrap();
    let real = entry_at(&valid, consent);
    let open = |i: usize| -> Value {
        serde_json::from_slice(
            &B64.decode(real["parts"][i]["content"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    let (mut header, mut terms) = (open(0), open(1));
    header["id"] = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a".into();
    terms["entries"].as_array_mut().unwrap().pop();
    let parts = [
        (hotline_core::commitment::PartKind::Header, header),
        (hotline_core::commitment::PartKind::Body, terms),
    ]
    .map(|(kind, v)| hotline_core::commitment::Part {
        kind,
        salt: [kind as u8; 32],
        bytes: serde_json::to_vec(&v).unwrap(),
    });
    let mut head = B64.decode(real["entry"].as_str().unwrap()).unwrap();
    head[69..101].copy_from_slice(&hotline_core::commitment::commit(&parts));
    let sig = keys.signing.sign(&hotline_core::dsse::pae(
        hotline_core::envelope::HEAD_PAYLOAD_TYPE,
        &head[..177],
    ));
    head[177..].copy_from_slice(&sig.0);
    let wire: Vec<Value> = parts
        .iter()
        .map(|p| {
            serde_json::to_value(hotline_disclosure::WirePart::from_opened(
                &hotline_core::commitment::OpenedPart::Open(p.clone()),
            ))
            .unwrap()
        })
        .collect();
    let fewer =
        serde_json::json!({"index": 0, "entry": B64.encode(&head), "proof": "", "parts": wire});
    let mut b = relog(&valid, &[fewer], &honest);
    let at = b["entries"].as_array().unwrap().last().unwrap()["index"].clone();
    b["consents"].as_array_mut().unwrap().push(at);
    expect(
        "listings-disagree",
        bytes(&b),
        invalid,
        "not listed in southland's consent",
    );
    // An envelope of the other cipher suite, properly signed by a member:
    // Southland's consent with its head's suite byte changed and signed
    // again, logged by the relay after the log's end.
    let mut other_suite = B64.decode(real["entry"].as_str().unwrap()).unwrap();
    other_suite[4] = if other_suite[4] == 1 { 2 } else { 1 };
    let sig = keys.signing.sign(&hotline_core::dsse::pae(
        hotline_core::envelope::HEAD_PAYLOAD_TYPE,
        &other_suite[..177],
    ));
    other_suite[177..].copy_from_slice(&sig.0);
    let mut e = real.clone();
    e["entry"] = B64.encode(&other_suite).into();
    expect(
        "envelope-of-other_suite-suite",
        bytes(&relog(&valid, &[e], &honest)),
        invalid,
        "an envelope of suite",
    );
    let mut caught = |name: String, b: Value, want: &str| {
        expect(&name, bytes(&b), invalid, want);
    };

    // Dropping any entry.
    let n = valid["entries"].as_array().unwrap().len();
    for i in 0..n {
        let mut b = valid.clone();
        b["entries"].as_array_mut().unwrap().remove(i);
        caught(format!("drop-entry-{i}"), b, "");
    }
    // Swapping a redacted part for another part's hash.
    let mut b = valid.clone();
    let parts = b["entries"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| {
            e["parts"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p.get("redacted").is_some()))
        })
        .unwrap()["parts"]
        .as_array_mut()
        .unwrap();
    let stub = parts
        .iter()
        .position(|p| p.get("redacted").is_some())
        .unwrap();
    let stix_stub = &other["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["parts"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p.get("redacted").is_some()))
        })
        .unwrap()["parts"];
    // The STIX part, redacted in the other bundle, put where the attachment was.
    let other_stub = stix_stub
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p.get("redacted").is_some())
        .unwrap()
        .clone();
    parts[stub]["redacted"] = other_stub["redacted"].clone();
    caught(
        "swap-redacted-part".into(),
        b,
        "do not match the signed commitment",
    );
    // Replaying the consent given to the other request.
    let consent_of = |b: &Value| b["consents"][0].as_u64().unwrap();
    let replay = other["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["index"].as_u64() == Some(consent_of(&other)))
        .unwrap()
        .clone();
    let mut b = valid.clone();
    let own = consent_of(&valid);
    let entries = b["entries"].as_array_mut().unwrap();
    entries.retain(|e| e["index"].as_u64() != Some(own));
    entries.push(replay);
    entries.sort_by_key(|e| e["index"].as_u64());
    b["consents"] = serde_json::json!([consent_of(&other)]);
    caught("replayed-consent".into(), b, "answers another request");
    // Without the consent: not consented (and so not valid).
    let mut b = valid.clone();
    b["consents"] = serde_json::json!([]);
    // …unless it hides that it lacks it.
    caught("consent-missing-unstated".into(), b.clone(), "missing, but");
    b["missing_consents"] = serde_json::json!(["southland"]);
    let r = verify(&bytes(&b));
    assert_eq!(r.verdict, Verdict::NotConsented);
    assert_eq!(r.missing_consents, vec!["southland".to_string()]);
    corpus.push(("no-consent".into(), bytes(&b)));

    // Any bit of the signed or hashed content.
    let spots = spots(&valid);
    let mut runner = TestRunner::new(Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    });
    let flips = std::cell::RefCell::new(Vec::new());
    runner
        .run(
            &(0..spots.len(), any::<usize>(), 0u8..8),
            |(s, pos, bit)| {
                let b = tamper(&valid, &spots[s], pos, bit);
                let r = verify(&bytes(&b));
                prop_assert_ne!(
                    r.verdict,
                    Verdict::Valid,
                    "{:?} at {} bit {}",
                    spots[s],
                    pos,
                    bit
                );
                let mut f = flips.borrow_mut();
                if f.len() < 40 {
                    f.push((format!("flip-{:?}-{pos}-{bit}", spots[s]), bytes(&b)));
                }
                Ok(())
            },
        )
        .unwrap();
    corpus.extend(flips.into_inner());

    // Through the real binary: `hotline verify` names the failed check and
    // exits 1.
    for (name, words) in [
        (
            "replayed-consent-entry",
            "[FAIL] no entry or message is logged twice (no replayed history)",
        ),
        (
            "body-as-redacted-attachment",
            "where its header's layout has the body",
        ),
        (
            "relay-small-order-r",
            "[FAIL] the checkpoint is the relay's, for this channel",
        ),
    ] {
        let f = d.path().join(format!("{name}.json"));
        std::fs::write(&f, &corpus.iter().find(|(n, _)| n == name).unwrap().1).unwrap();
        let o = hotline(north, &["verify", f.to_str().unwrap()]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{name}: {out}");
        assert!(
            out.contains(words) && out.contains("Verdict: INVALID"),
            "{name}: {out}"
        );
    }

    // Edits of the bundle's text anywhere (JSON structure, strings,
    // numbers, signature lines), whatever their verdict: the JavaScript
    // verifier must make the same checks with the same outcomes.
    let seeds: Vec<Vec<u8>> = corpus
        .iter()
        .filter(|(n, _)| ["valid", "witness-cosigned", "charter-base"].contains(&n.as_str()))
        .map(|(_, b)| b.clone())
        .collect();
    assert_eq!(seeds.len(), 3);
    let pieces = [
        "\"", "\\", "{", "}", "[", "]", ",", ":", "0", "1", "-", ".", "e", " ", "\n", "null", "+",
        "/", "=", "\u{85}", "\u{feff}", "\u{1}", "\u{2014}", "A",
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for k in 0..60 {
        let mut t: Vec<char> = String::from_utf8(seeds[k % 3].clone())
            .unwrap()
            .chars()
            .collect();
        for _ in 0..1 + next(3) {
            let at = next(t.len());
            let piece: Vec<char> = pieces[next(pieces.len())].chars().collect();
            match next(3) {
                0 => {
                    t.splice(at..at + 1, piece);
                }
                1 => {
                    t.splice(at..at, piece);
                }
                _ => {
                    t.remove(at);
                }
            }
        }
        corpus.push((
            format!("text-edit-{k}"),
            t.into_iter().collect::<String>().into_bytes(),
        ));
    }

    // A generic transparency-log tool checks the tlog-proofs: Go's
    // golang.org/x/mod/sumdb/{note,tlog} (tests/interop/go/src/tlogproofcheck).
    if let Some(go) = go_checker() {
        let check = |b: &Value| {
            let f = d.path().join(format!("go-{}.json", unique("b")));
            std::fs::write(&f, bytes(b)).unwrap();
            let o = std::process::Command::new(&go)
                .arg(&relay.vkey)
                .arg(&f)
                .output()
                .unwrap();
            (
                o.status.success(),
                String::from_utf8_lossy(&o.stdout).to_string(),
            )
        };
        let (ok_, out) = check(&valid);
        assert!(ok_, "{out}");
        assert_eq!(
            out.lines().filter(|l| l.starts_with("ok ")).count(),
            valid["entries"].as_array().unwrap().len()
        );
        for (spot, what) in [
            (Spot::Entry(1), "an entry"),
            (Spot::ProofHash(1, 0), "a proof hash"),
        ] {
            let (ok_, out) = check(&tamper(&valid, &spot, 3, 2));
            assert!(!ok_ && out.contains("FAIL entry"), "{what}: {out}");
        }
        let (ok_, out) = check(&tamper(&valid, &Spot::CheckpointBody, 40, 1));
        assert!(!ok_, "the checkpoint: {out}");
    }

    if let Ok(dir) = std::env::var("HOTLINE_DISCLOSURE_CORPUS") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        let mut manifest = Vec::new();
        for (i, (name, data)) in corpus.iter().enumerate() {
            let file = format!("{i:03}.json");
            std::fs::write(dir.join(&file), data).unwrap();
            let r = verify(data);
            let checks: Vec<Value> = r
                .checks
                .iter()
                .map(|c| serde_json::json!({"what": c.what, "ok": c.ok}))
                .collect();
            manifest.push(serde_json::json!({
                "file": file,
                "name": name,
                "verdict": r.verdict,
                "checks": checks,
            }));
        }
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::to_vec_pretty(&manifest).unwrap(),
        )
        .unwrap();
    }
    stop(relay);
}
