//! The witness refuses rollbacks and forks, answers as tlog-witness says,
//! persists its view atomically, and keeps what it cosigned and what it refused.

use std::sync::Arc;

use hotline_log::cosignature::CosignatureVerifier;
use hotline_log::log::Log;
use hotline_log::memory::MemoryStore;
use hotline_log::note::{Ed25519Signer, Note};
use hotline_log::storage::LogStore;
use hotline_witness::{LogConfig, Witness, WitnessConfig, WitnessError, request_body};

const ORIGIN: &str = "relay.example/00112233445566778899aabbccddeeff";

struct Fixture {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    signer: Ed25519Signer,
    store: MemoryStore,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let signer = Ed25519Signer::new("relay.example", &[5; 32]).unwrap();
    WitnessConfig {
        name: "witness.example/w1".into(),
        logs: vec![LogConfig {
            origin: ORIGIN.into(),
            keys: vec![signer.vkey()],
        }],
    }
    .save(&data)
    .unwrap();
    let store = MemoryStore::default();
    store.create(ORIGIN).unwrap();
    Fixture {
        _dir: dir,
        data,
        signer,
        store,
    }
}

impl Fixture {
    fn grow(&self, n: u64) -> (u64, Note) {
        let log = Log::new(&self.store, ORIGIN);
        let start = log.size().unwrap();
        let entries: Vec<Vec<u8>> = (start..start + n)
            .map(|i| format!("e{i}").into_bytes())
            .collect();
        log.append(&entries).unwrap();
        (start + n, log.sign_checkpoint(&self.signer).unwrap())
    }
    fn proof(&self, old: u64, new: u64) -> Vec<[u8; 32]> {
        Log::new(&self.store, ORIGIN)
            .consistency_proof(old, new)
            .unwrap()
    }
}

#[test]
fn cosigns_consistent_growth_and_persists() {
    let f = fixture();
    let w = Witness::open(&f.data, &[9; 32]).unwrap();
    let verifier = CosignatureVerifier::from_vkey(&w.vkey()).unwrap();
    let (s1, cp1) = f.grow(5);
    let line = w
        .add_checkpoint(&request_body(0, &[], &cp1.to_bytes()), 1000)
        .unwrap();
    // The answer is a note signature line that verifies as a cosignature on the checkpoint.
    let mut n = Note::parse(&cp1.to_bytes()).unwrap();
    n.add_signature(hotline_log::note::parse_signature_line(line.trim_end()).unwrap());
    assert_eq!(
        verifier
            .verify(&n.text, n.signatures.last().unwrap())
            .unwrap(),
        Some(1000)
    );
    let (s2, cp2) = f.grow(300);
    w.add_checkpoint(&request_body(s1, &f.proof(s1, s2), &cp2.to_bytes()), 1001)
        .unwrap();
    // Same size again (no proof) is fine.
    w.add_checkpoint(&request_body(s2, &[], &cp2.to_bytes()), 1002)
        .unwrap();
    drop(w);
    let w = Witness::open(&f.data, &[9; 32]).unwrap();
    let v = w.latest(ORIGIN).unwrap().unwrap();
    assert_eq!(v.size, s2);
    assert_eq!(w.cosigned(ORIGIN).unwrap().len(), 3);
    let kept = Note::parse(&w.cosigned(ORIGIN).unwrap()[1]).unwrap();
    assert_eq!(
        kept.signatures.len(),
        2,
        "the log's signature and ours are kept"
    );
}

#[test]
fn refuses_rollback_fork_and_bad_requests() {
    let f = fixture();
    let w = Witness::open(&f.data, &[9; 32]).unwrap();
    let (s1, cp1) = f.grow(10);
    w.add_checkpoint(&request_body(0, &[], &cp1.to_bytes()), 1)
        .unwrap();
    let (s2, cp2) = f.grow(10);
    w.add_checkpoint(&request_body(s1, &f.proof(s1, s2), &cp2.to_bytes()), 2)
        .unwrap();

    // Rollback: presenting the older checkpoint (or a stale old size) is a 409 with our size.
    assert!(
        matches!(w.add_checkpoint(&request_body(s1, &[], &cp1.to_bytes()), 3), Err(WitnessError::Conflict(s)) if s == s2)
    );
    assert!(
        matches!(w.add_checkpoint(&request_body(0, &[], &cp1.to_bytes()), 3), Err(WitnessError::Conflict(s)) if s == s2)
    );

    // Fork: a second log state signed by the same key, same size, different root.
    let fork_store = MemoryStore::default();
    fork_store.create(ORIGIN).unwrap();
    let fork = Log::new(&fork_store, ORIGIN);
    fork.append(
        &(0..s2)
            .map(|i| format!("forked {i}").into_bytes())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let fork_cp = fork.sign_checkpoint(&f.signer).unwrap();
    assert!(matches!(
        w.add_checkpoint(&request_body(s2, &[], &fork_cp.to_bytes()), 4),
        Err(WitnessError::Inconsistent(_))
    ));
    // Fork that grows: a proof from the fork does not link to what we cosigned.
    fork.append(&[b"more".to_vec()]).unwrap();
    let fork_cp2 = fork.sign_checkpoint(&f.signer).unwrap();
    let fork_proof = fork.consistency_proof(s2, s2 + 1).unwrap();
    assert!(matches!(
        w.add_checkpoint(&request_body(s2, &fork_proof, &fork_cp2.to_bytes()), 5),
        Err(WitnessError::Inconsistent(_))
    ));
    assert_eq!(
        w.evidence(ORIGIN).unwrap().len(),
        2,
        "refused forks are kept as evidence"
    );
    assert_eq!(
        w.latest(ORIGIN).unwrap().unwrap().size,
        s2,
        "the view did not move"
    );

    // Unknown origin, unknown key, bad signature, malformed bodies.
    let other = Ed25519Signer::new("relay.example", &[6; 32]).unwrap();
    let mut n = Note::new(&cp2.text.replace(ORIGIN, "elsewhere.example/log")).unwrap();
    n.add_signature(f.signer.sign(&n.text));
    assert!(matches!(
        w.add_checkpoint(&request_body(s2, &[], &n.to_bytes()), 6),
        Err(WitnessError::UnknownOrigin(_))
    ));
    let mut n = Note::new(&cp2.text).unwrap();
    n.add_signature(other.sign(&n.text));
    assert!(matches!(
        w.add_checkpoint(&request_body(s2, &[], &n.to_bytes()), 6),
        Err(WitnessError::Forbidden(_))
    ));
    let mut forged = cp2.clone();
    forged.signatures[0].sig[0] ^= 1;
    assert!(matches!(
        w.add_checkpoint(&request_body(s2, &[], &forged.to_bytes()), 6),
        Err(WitnessError::Forbidden(_))
    ));
    for bad in [
        &b"old 01\n\n"[..],
        b"new 1\n\n",
        b"old 1\nnot base64\n\n",
        b"old 1\n",
        b"old 99999999999999999999\n\n",
    ] {
        assert!(
            matches!(w.add_checkpoint(bad, 7), Err(WitnessError::BadRequest(_))),
            "{bad:?}"
        );
    }
    let (s3, cp3) = f.grow(1);
    assert!(matches!(
        w.add_checkpoint(&request_body(s3 + 1, &[], &cp3.to_bytes()), 8),
        Err(WitnessError::BadRequest(_))
    ));
    // A proof is not allowed from old size zero; after all that, honest growth still works.
    assert!(matches!(
        w.add_checkpoint(&request_body(s2, &[[0; 32]], &cp3.to_bytes()), 9),
        Err(WitnessError::Inconsistent(_))
    ));
    w.add_checkpoint(&request_body(s2, &f.proof(s2, s3), &cp3.to_bytes()), 9)
        .unwrap();
}

#[test]
fn racing_requests_cannot_roll_the_view_back() {
    let f = fixture();
    let w = Arc::new(Witness::open(&f.data, &[9; 32]).unwrap());
    let (s1, cp1) = f.grow(4);
    w.add_checkpoint(&request_body(0, &[], &cp1.to_bytes()), 1)
        .unwrap();
    // Many concurrent submissions built on the same old size: exactly one may win.
    let (s2, cp2) = f.grow(4);
    let (s3, cp3) = f.grow(4);
    let reqs = [
        request_body(s1, &f.proof(s1, s2), &cp2.to_bytes()),
        request_body(s1, &f.proof(s1, s3), &cp3.to_bytes()),
    ];
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let w = w.clone();
            let body = reqs[i % 2].clone();
            std::thread::spawn(move || w.add_checkpoint(&body, 10).is_ok())
        })
        .collect();
    let wins = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|&ok| ok)
        .count();
    assert_eq!(
        wins, 1,
        "exactly one submission built on size {s1} may be cosigned"
    );
    let size = w.latest(ORIGIN).unwrap().unwrap().size;
    assert!(size == s2 || size == s3);
}
