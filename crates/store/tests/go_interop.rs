//! Independent verification with Go's golang.org/x/mod/sumdb/{note,tlog}
//! (tests/interop/go): our checkpoints, cosignatures, inclusion and
//! consistency proofs and tiles are accepted, and a tampered checkpoint,
//! proof or tile is refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hotline_log::cosignature::Cosigner;
use hotline_log::log::Log;
use hotline_log::note::{Ed25519Signer, Note};
use hotline_log::storage::LogStore;
use hotline_store::sqlite::SqliteStore;
use hotline_store::tiledir;
use serde_json::json;

/// Builds the Go verifier. If the build fails the test fails, whatever the
/// environment, unless `HOTLINE_SKIP_GO_INTEROP=1` says to skip it knowingly
/// (a developer's machine without Go; `.ci/run` unsets it).
fn verifier() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/go");
    let out = std::env::temp_dir().join(format!("hotlineverify-{}", std::process::id()));
    match Command::new("bash")
        .arg(root.join("build.sh"))
        .arg(&out)
        .output()
    {
        Ok(o) if o.status.success() => Some(out),
        Ok(o) => {
            let msg = String::from_utf8_lossy(&o.stderr).to_string();
            assert!(
                std::env::var_os("HOTLINE_SKIP_GO_INTEROP").is_some_and(|v| v == "1"),
                "the Go verifier could not be built ({msg}): install golang-go and \
                 golang-golang-x-mod-dev (Debian), or set HOTLINE_SKIP_GO_INTEROP=1 to skip \
                 this test knowingly"
            );
            eprintln!(
                "the Go verifier could not be built ({msg}); HOTLINE_SKIP_GO_INTEROP=1: NOT tested."
            );
            None
        }
        Err(e) => panic!("cannot run bash: {e}"),
    }
}

fn run(bin: &Path, input: &serde_json::Value, dir: &Path) -> (bool, String) {
    let p = dir.join(format!("input-{}.json", rand_suffix()));
    std::fs::write(&p, serde_json::to_vec_pretty(input).unwrap()).unwrap();
    let o = Command::new(bin).arg(&p).output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string(),
    )
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[test]
fn go_sumdb_accepts_our_log_and_refuses_tampering() {
    let Some(bin) = verifier() else { return };
    let d = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&d.path().join("log.sqlite")).unwrap();
    let origin = "relay.example/0123456789abcdef0123456789abcdef";
    store.create(origin).unwrap();
    let log = Log::new(&store, origin);
    let signer = Ed25519Signer::new("relay.example", &[0x11; 32]).unwrap();
    let tiles = d.path().join("tiles");

    // Grow the log in uneven batches, publishing tiles and a checkpoint each time.
    let mut sizes = Vec::new();
    let mut roots = Vec::new();
    let mut n = 0u64;
    let mut note = None;
    for batch in [1u64, 3, 250, 10, 700, 37] {
        let entries: Vec<Vec<u8>> = (n..n + batch)
            .map(|i| format!("entry {i}").into_bytes())
            .collect();
        let old = n;
        log.append(&entries).unwrap();
        n += batch;
        let cp = log.sign_checkpoint(&signer).unwrap();
        tiledir::write(&log, &tiles, old, n, &cp.to_bytes()).unwrap();
        sizes.push(n);
        roots.push(log.root(n).unwrap());
        note = Some(cp);
    }
    // Two witnesses cosign the final checkpoint.
    let mut note: Note = note.unwrap();
    let cosigners = [
        Cosigner::new("witness.example/w1", &[0x21; 32]).unwrap(),
        Cosigner::new("witness.example/w2", &[0x22; 32]).unwrap(),
    ];
    for c in &cosigners {
        note.add_signature(c.cosign(&note.text, 1_795_000_000).unwrap());
    }
    let size = n;
    let inclusion: Vec<_> = [0u64, 1, 255, 256, 700, size - 1]
        .iter()
        .map(|&i| {
            let proof = log.inclusion_proof(i, size).unwrap();
            json!({"index": i, "leaf_hash": B64.encode(hotline_log::merkle::leaf_hash(format!("entry {i}").as_bytes())), "proof": proof.iter().map(|h| B64.encode(h)).collect::<Vec<_>>()})
        })
        .collect();
    let consistency: Vec<_> = sizes[..sizes.len() - 1]
        .iter()
        .zip(&roots)
        .map(|(&old, r)| {
            let proof = log.consistency_proof(old, size).unwrap();
            json!({"old_size": old, "old_root": B64.encode(r), "proof": proof.iter().map(|h| B64.encode(h)).collect::<Vec<_>>()})
        })
        .collect();
    let good = json!({
        "vkey": signer.vkey(),
        "checkpoint": String::from_utf8(note.to_bytes()).unwrap(),
        "cosigners": cosigners.iter().map(Cosigner::vkey).collect::<Vec<_>>(),
        "tiles_dir": tiles,
        "inclusion": inclusion,
        "consistency": consistency,
    });
    let (ok, out) = run(&bin, &good, d.path());
    assert!(ok, "the Go verifier refused our log:\n{out}");
    assert!(
        out.contains("root of 1001 recomputed from tiles")
            && out.contains("cosignature by witness.example/w2"),
        "{out}"
    );

    // A tampered checkpoint (the size line), a tampered proof, a tampered cosignature.
    let mut bad = good.clone();
    bad["checkpoint"] = json!(
        good["checkpoint"]
            .as_str()
            .unwrap()
            .replacen("\n1001\n", "\n1002\n", 1)
    );
    assert!(!run(&bin, &bad, d.path()).0, "tampered checkpoint accepted");
    let mut bad = good.clone();
    let h = bad["inclusion"][2]["proof"][0].as_str().unwrap().to_owned();
    let mut raw = B64.decode(h).unwrap();
    raw[0] ^= 1;
    bad["inclusion"][2]["proof"][0] = json!(B64.encode(raw));
    assert!(
        !run(&bin, &bad, d.path()).0,
        "tampered inclusion proof accepted"
    );
    let mut bad = good.clone();
    let h = bad["consistency"][1]["proof"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let mut raw = B64.decode(h).unwrap();
    raw[31] ^= 0x80;
    bad["consistency"][1]["proof"][0] = json!(B64.encode(raw));
    assert!(
        !run(&bin, &bad, d.path()).0,
        "tampered consistency proof accepted"
    );
    let mut bad = good.clone();
    bad["cosigners"] = json!([Cosigner::new("witness.example/w1", &[0x99; 32])
        .unwrap()
        .vkey()]);
    assert!(
        !run(&bin, &bad, d.path()).0,
        "a cosignature by another key accepted"
    );

    // A tampered tile: flip a byte in a level-0 tile, then in a level-1 tile, then in an entry bundle.
    for victim in ["tile/0/001", "tile/1/000.p/3", "tile/entries/000"] {
        let p = tiles.join(victim);
        let orig = std::fs::read(&p).unwrap_or_else(|e| panic!("{victim}: {e}"));
        let mut b = orig.clone();
        b[40] ^= 1;
        std::fs::write(&p, &b).unwrap();
        let (ok, out) = run(&bin, &good, d.path());
        assert!(!ok, "tampered {victim} accepted:\n{out}");
        std::fs::write(&p, &orig).unwrap();
    }
    assert!(run(&bin, &good, d.path()).0);
    let _ = std::fs::remove_file(bin);
}
