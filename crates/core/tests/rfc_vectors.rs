//! The official vectors of the primitives we use, run through our own code
//! paths where we have them: RFC 8032 Ed25519 (`keys`) and RFC 9180 HPKE
//! for our one suite (`hpke_suite`; sequence numbers > 0, exports and PSK
//! mode, which Hotline does not use, through the `hpke` crate directly).

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use hotline_core::hpke_suite;
use hotline_core::keys::{EncryptionSecretKey, Signature, SigningKey, VerifyingKey};
use hpke::{Deserializable as _, OpModeR, PskBundle};
use serde_json::Value;

type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::ChaCha20Poly1305;

fn load(name: &str) -> Value {
    let path = format!("{}/../../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn h(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn h32(v: &Value) -> [u8; 32] {
    h(v).try_into().unwrap()
}

#[test]
fn rfc8032_ed25519() {
    let doc = load("rfc8032-ed25519.json");
    let (mut good, mut bad) = (0, 0);
    for v in doc["vectors"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let public = VerifyingKey::from_bytes(&h32(&v["public_key"])).unwrap();
        let msg = h(&v["message"]);
        let sig = Signature(h(&v["signature"]).try_into().unwrap());
        if v["valid"].as_bool().unwrap() {
            let sk = SigningKey::from_seed(&h32(&v["secret_key"]));
            assert_eq!(sk.verifying_key(), public, "{name}: public key");
            assert_eq!(sk.sign(&msg), sig, "{name}: signature");
            public
                .verify(&msg, &sig)
                .unwrap_or_else(|_| panic!("{name}: verify"));
            good += 1;
        } else {
            assert!(
                public.verify(&msg, &sig).is_err(),
                "{name}: must be rejected"
            );
            bad += 1;
        }
    }
    assert_eq!((good, bad), (4, 4));
}

#[test]
fn rfc9180_hpke_x25519_sha256_chacha20poly1305() {
    let doc = load("rfc9180-x25519-sha256-chacha20poly1305.json");
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 2);
    for v in vectors {
        let mode = v["mode"].as_u64().unwrap();
        assert_eq!(
            (
                v["kem_id"].as_u64(),
                v["kdf_id"].as_u64(),
                v["aead_id"].as_u64()
            ),
            (Some(32), Some(1), Some(3))
        );
        // DeriveKeyPair through our code.
        for (ikm, sk, pk) in [("ikmE", "skEm", "pkEm"), ("ikmR", "skRm", "pkRm")] {
            let k: EncryptionSecretKey = hpke_suite::derive_keypair(&h(&v[ikm]));
            // hpke 0.15 keeps X25519 secret keys clamped (RFC 7748 §5: the
            // same scalar, the same key); the RFC lists them unclamped.
            let mut want = h32(&v[sk]);
            want[0] &= 248;
            want[31] &= 127;
            want[31] |= 64;
            assert_eq!(*k.to_bytes(), want, "mode {mode}: {sk}");
            assert_eq!(k.public_key().as_bytes(), h32(&v[pk]), "mode {mode}: {pk}");
        }
        assert_eq!(v["enc"], v["pkEm"]);
        let skr = EncryptionSecretKey::from_bytes(&h32(&v["skRm"]));
        let enc = h32(&v["enc"]);
        let info = h(&v["info"]);
        let encs = v["encryptions"].as_array().unwrap();
        if mode == 0 {
            // Sequence number 0 is exactly a single-shot open: our path.
            let e0 = &encs[0];
            assert_eq!(e0["sequence_number"], 0);
            let pt =
                hpke_suite::open_base(&skr, &enc, &info, &h(&e0["aad"]), &h(&e0["ct"])).unwrap();
            assert_eq!(pt, h(&e0["pt"]));
            let mut ct = h(&e0["ct"]);
            ct[0] ^= 1;
            assert!(hpke_suite::open_base(&skr, &enc, &info, &h(&e0["aad"]), &ct).is_err());
            assert!(
                hpke_suite::open_base(&skr, &enc, b"other info", &h(&e0["aad"]), &h(&e0["ct"]))
                    .is_err()
            );
        }
        // The whole context (all sequence numbers, exports) through the hpke crate.
        let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(&h(&v["skRm"])).unwrap();
        let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(&enc).unwrap();
        let (psk, psk_id) = if mode == 1 {
            (h(&v["psk"]), h(&v["psk_id"]))
        } else {
            (vec![], vec![])
        };
        let op = if mode == 1 {
            OpModeR::Psk(PskBundle::new(&psk, &psk_id).unwrap())
        } else {
            OpModeR::Base
        };
        let mut ctx = hpke::setup_receiver::<Aead, Kdf, Kem>(&op, &sk, &encapped, &info).unwrap();
        // The context opens consecutive sequence numbers (a failed open does not
        // advance it); every encryption, including the skipped numbers, is also
        // checked with the vector's key and nonce = base_nonce XOR seq (RFC 9180 §5.2).
        let cipher = ChaCha20Poly1305::new_from_slice(&h(&v["key"])).unwrap();
        let base_nonce = h(&v["base_nonce"]);
        for (i, e) in encs.iter().enumerate() {
            let seq = e["sequence_number"].as_u64().unwrap();
            let mut nonce = base_nonce.clone();
            for (k, b) in seq.to_be_bytes().iter().enumerate() {
                nonce[4 + k] ^= b;
            }
            assert_eq!(nonce, h(&e["nonce"]), "mode {mode} seq {seq}: nonce");
            let pt = cipher
                .decrypt(
                    nonce.as_slice().into(),
                    Payload {
                        msg: &h(&e["ct"]),
                        aad: &h(&e["aad"]),
                    },
                )
                .unwrap();
            assert_eq!(pt, h(&e["pt"]));
            if seq == i as u64 {
                let pt = ctx
                    .open(&h(&e["ct"]), &h(&e["aad"]))
                    .unwrap_or_else(|_| panic!("mode {mode} seq {seq}"));
                assert_eq!(pt, h(&e["pt"]));
            }
        }
        for x in v["exports"].as_array().unwrap() {
            let mut out = vec![0u8; x["L"].as_u64().unwrap() as usize];
            ctx.export(&h(&x["exporter_context"]), &mut out).unwrap();
            assert_eq!(out, h(&x["exported_value"]));
        }
    }
}

/// draft-connolly-cfrg-xwing-kem-06 Appendix C: the X-Wing KEM alone. The
/// public key is derived from the seed by our code
/// (`EncryptionSecretKey::public_key`); encapsulation with the vector's
/// randomness by the `x-wing` crate the `hpke` crate builds on; decapsulation
/// by the `hpke` crate's X-Wing, the one our envelopes open with.
#[test]
fn xwing_draft06_kem() {
    use hpke::Kem as _;
    use x_wing::KeyExport as _;
    let doc = load("xwing-draft06.json");
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 3);
    for (i, v) in vectors.iter().enumerate() {
        let seed = h32(&v["seed"]);
        assert_eq!(h(&v["sk"]), seed, "vector {i}: the private key is the seed");
        let ours = EncryptionSecretKey::from_suite_bytes(hpke_suite::Suite::XWing, &seed);
        assert_eq!(ours.public_key().as_bytes(), h(&v["pk"]), "vector {i}: pk");

        let ek = x_wing::EncapsulationKey::try_from(&h(&v["pk"])[..]).unwrap();
        let eseed: [u8; 64] = h(&v["eseed"]).try_into().unwrap();
        let (ct, ss) = ek.encapsulate_deterministic(&eseed.into());
        assert_eq!(ct.as_slice(), h(&v["ct"]), "vector {i}: ct");
        assert_eq!(ss.as_slice(), h(&v["ss"]), "vector {i}: ss");
        assert_eq!(ek.to_bytes().as_slice(), h(&v["pk"]));

        let sk = <hpke::kem::XWing as hpke::Kem>::PrivateKey::from_bytes(&seed).unwrap();
        let enc = <hpke::kem::XWing as hpke::Kem>::EncappedKey::from_bytes(&h(&v["ct"])).unwrap();
        let got = hpke::kem::XWing::decap(&sk, None, &enc).unwrap();
        assert_eq!(got.0.as_slice(), h(&v["ss"]), "vector {i}: decapsulated ss");
        // Implicit rejection: another ciphertext gives another secret, no error.
        let mut bad = h(&v["ct"]);
        bad[0] ^= 1;
        let enc = <hpke::kem::XWing as hpke::Kem>::EncappedKey::from_bytes(&bad).unwrap();
        let got = hpke::kem::XWing::decap(&sk, None, &enc).unwrap();
        assert_ne!(got.0.as_slice(), h(&v["ss"]));
    }
}

/// draft-ietf-hpke-pq-04's vector for our hybrid suite exactly (X-Wing,
/// HKDF-SHA256, ChaCha20-Poly1305, base mode): its first encryption through
/// our open path (`hpke_suite::open_base`), the whole context and the
/// exports through the `hpke` crate.
#[test]
fn hpke_pq04_xwing_hkdf_sha256_chacha20poly1305() {
    type XKem = hpke::kem::XWing;
    let doc = load("hpke-pq-xwing.json");
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 1);
    let v = &vectors[0];
    assert_eq!(
        (
            v["mode"].as_u64(),
            v["kem_id"].as_u64(),
            v["kdf_id"].as_u64(),
            v["aead_id"].as_u64()
        ),
        (Some(0), Some(0x647a), Some(1), Some(3))
    );
    assert_eq!(hpke_suite::Suite::XWing.kem_id(), 0x647a);
    // DeriveKeyPair (the hpke-pq definition) and the public key, ours.
    let (sk, pk) = <XKem as hpke::Kem>::derive_keypair(&h(&v["ikmR"]));
    assert_eq!(hpke::Serializable::to_bytes(&sk).as_slice(), h(&v["skRm"]));
    assert_eq!(hpke::Serializable::to_bytes(&pk).as_slice(), h(&v["pkRm"]));
    let skr = EncryptionSecretKey::from_suite_bytes(hpke_suite::Suite::XWing, &h32(&v["skRm"]));
    assert_eq!(skr.public_key().as_bytes(), h(&v["pkRm"]));
    let enc = h(&v["enc"]);
    assert_eq!(enc.len(), hpke_suite::Suite::XWing.enc_len());
    let info = h(&v["info"]);
    let encs = v["encryptions"].as_array().unwrap();
    let e0 = &encs[0];
    let pt = hpke_suite::open_base(&skr, &enc, &info, &h(&e0["aad"]), &h(&e0["ct"])).unwrap();
    assert_eq!(pt, h(&e0["pt"]));
    let mut ct = h(&e0["ct"]);
    ct[0] ^= 1;
    assert!(hpke_suite::open_base(&skr, &enc, &info, &h(&e0["aad"]), &ct).is_err());
    let mut bad_enc = enc.clone();
    bad_enc[7] ^= 1;
    assert!(hpke_suite::open_base(&skr, &bad_enc, &info, &h(&e0["aad"]), &h(&e0["ct"])).is_err());

    let sk = <XKem as hpke::Kem>::PrivateKey::from_bytes(&h(&v["skRm"])).unwrap();
    let encapped = <XKem as hpke::Kem>::EncappedKey::from_bytes(&enc).unwrap();
    let mut ctx =
        hpke::setup_receiver::<Aead, Kdf, XKem>(&OpModeR::Base, &sk, &encapped, &info).unwrap();
    let cipher = ChaCha20Poly1305::new_from_slice(&h(&v["key"])).unwrap();
    let base_nonce = h(&v["base_nonce"]);
    // Entry i is sequence number i (the draft's file names no number).
    for (seq, e) in encs.iter().enumerate() {
        let mut nonce = base_nonce.clone();
        for (k, b) in (seq as u64).to_be_bytes().iter().enumerate() {
            nonce[4 + k] ^= b;
        }
        assert_eq!(nonce, h(&e["nonce"]), "seq {seq}: nonce");
        let payload = Payload {
            msg: &h(&e["ct"]),
            aad: &h(&e["aad"]),
        };
        assert_eq!(
            cipher.decrypt(nonce.as_slice().into(), payload).unwrap(),
            h(&e["pt"])
        );
        assert_eq!(ctx.open(&h(&e["ct"]), &h(&e["aad"])).unwrap(), h(&e["pt"]));
    }
    for x in v["exports"].as_array().unwrap() {
        let mut out = vec![0u8; x["L"].as_u64().unwrap() as usize];
        ctx.export(&h(&x["exporter_context"]), &mut out).unwrap();
        assert_eq!(out, h(&x["exported_value"]));
    }
}
