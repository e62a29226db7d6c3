//! X-Wing decapsulation with the recipient's key expanded once.
//!
//! Why this exists beside the `hpke` crate's X-Wing: its private key (from
//! the `x-wing` crate, 0.1.1) keeps only the 32-byte seed and expands it —
//! SHAKE256, an ML-KEM-768 key generation and an X25519 base-point
//! multiplication — again at every decapsulation. A member opens every
//! envelope addressed to it with the same key, so that expansion was about
//! 40% of opening an envelope (`docs/benchmarks.md`). Here the key is
//! expanded once, when a [`crate::envelope::Recipient`] is made, and each
//! decapsulation is the ML-KEM-768 decapsulation, one X25519 and the
//! combiner, exactly as draft-connolly-cfrg-xwing-kem-06 §5.3 writes them
//! (`docs/format.md` §5.5):
//!
//! ```text
//! expand(sk)  = SHAKE256(sk, 96) = d || z || sk_X
//! ss          = SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel)
//! ```
//!
//! The parts are the RustCrypto crates the `x-wing` crate itself uses
//! (`ml-kem`, `sha3`, `shake`) and `x25519-dalek`; nothing cryptographic is
//! written here beyond that composition. It is checked against the
//! official X-Wing vectors, the `hpke` crate's X-Wing on random keys and
//! ciphertexts, and draft-ietf-hpke-pq-04's vector for our suite
//! (`tests/rfc_vectors.rs`, and the tests below). Sealing stays the `hpke`
//! crate's: it has nothing to expand.

use hpke::kem::SharedSecret;
use hpke::{Deserializable, HpkeError, Serializable};
use ml_kem::array::Array;
use ml_kem::{Decapsulate as _, MlKem768};
use sha3::Digest as _;
use shake::{ExtendableOutput as _, XofReader as _};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::hpke_suite::XWingKem;

/// The X-Wing combiner's label, `\.//^\`.
const LABEL: &[u8; 6] = br"\.//^\";
/// Bytes of the ML-KEM-768 ciphertext at the start of an X-Wing one.
const CT_M_LEN: usize = 1088;

/// The X-Wing KEM for HPKE (id 0x647a), opening with [`ExpandedKey`]s.
pub(crate) struct XWingExpanded;

/// An X-Wing private key with its expansion kept.
#[derive(Clone)]
pub(crate) struct ExpandedKey {
    /// The seed, as the `hpke` crate's key (for the public key and bytes).
    seed: <XWingKem as hpke::Kem>::PrivateKey,
    dk_m: ml_kem::DecapsulationKey<MlKem768>,
    sk_x: x25519_dalek::StaticSecret,
    pk_x: [u8; 32],
}

impl ExpandedKey {
    fn new(seed: <XWingKem as hpke::Kem>::PrivateKey) -> ExpandedKey {
        let mut xof = shake::Shake256::default();
        shake::Update::update(&mut xof, &seed.to_bytes());
        let mut reader = xof.finalize_xof();
        let mut expanded = Zeroizing::new([0u8; 96]);
        reader.read(&mut expanded[..]);
        let mut d_z = Array::<u8, ml_kem::array::sizes::U64>::default();
        d_z.copy_from_slice(&expanded[..64]);
        let dk_m = ml_kem::DecapsulationKey::<MlKem768>::from_seed(d_z);
        let mut x = Zeroizing::new([0u8; 32]);
        x.copy_from_slice(&expanded[64..]);
        let sk_x = x25519_dalek::StaticSecret::from(*x);
        let pk_x = x25519_dalek::PublicKey::from(&sk_x).to_bytes();
        ExpandedKey {
            seed,
            dk_m,
            sk_x,
            pk_x,
        }
    }

    /// X-Wing's `Decapsulate(ct, sk)`; it never fails (ML-KEM's implicit
    /// rejection): a wrong ciphertext gives another secret.
    fn decapsulate(&self, ct: &[u8]) -> Result<Zeroizing<[u8; 32]>, HpkeError> {
        if ct.len() != crate::hpke_suite::XWING_ENC_LEN {
            return Err(HpkeError::DecapError);
        }
        let (ct_m, ct_x) = ct.split_at(CT_M_LEN);
        let ct_m =
            ml_kem::Ciphertext::<MlKem768>::try_from(ct_m).map_err(|_| HpkeError::DecapError)?;
        let ss_m = Zeroizing::new(self.dk_m.decapsulate(&ct_m));
        let ct_x: [u8; 32] = ct_x.try_into().map_err(|_| HpkeError::DecapError)?;
        let ss_x = self
            .sk_x
            .diffie_hellman(&x25519_dalek::PublicKey::from(ct_x));
        let digest = sha3::Sha3_256::new()
            .chain_update(ss_m.as_slice())
            .chain_update(ss_x.as_bytes())
            .chain_update(ct_x)
            .chain_update(self.pk_x)
            .chain_update(LABEL)
            .finalize();
        Ok(Zeroizing::new(digest.into()))
    }
}

impl ConstantTimeEq for ExpandedKey {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.seed.ct_eq(&other.seed)
    }
}

impl Serializable for ExpandedKey {
    type OutputSize = <<XWingKem as hpke::Kem>::PrivateKey as Serializable>::OutputSize;
    fn write_exact(&self, buf: &mut [u8]) {
        self.seed.write_exact(buf)
    }
}

impl Deserializable for ExpandedKey {
    fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
        <XWingKem as hpke::Kem>::PrivateKey::from_bytes(encoded).map(ExpandedKey::new)
    }
}

impl hpke::Kem for XWingExpanded {
    type PublicKey = <XWingKem as hpke::Kem>::PublicKey;
    type PrivateKey = ExpandedKey;
    type EncappedKey = <XWingKem as hpke::Kem>::EncappedKey;
    type NSecret = <XWingKem as hpke::Kem>::NSecret;
    const KEM_ID: u16 = <XWingKem as hpke::Kem>::KEM_ID;

    fn sk_to_pk(sk: &ExpandedKey) -> Self::PublicKey {
        XWingKem::sk_to_pk(&sk.seed)
    }

    fn derive_keypair(ikm: &[u8]) -> (ExpandedKey, Self::PublicKey) {
        let (sk, pk) = XWingKem::derive_keypair(ikm);
        (ExpandedKey::new(sk), pk)
    }

    fn decap(
        sk_recip: &ExpandedKey,
        pk_sender_id: Option<&Self::PublicKey>,
        encapped_key: &Self::EncappedKey,
    ) -> Result<SharedSecret<Self>, HpkeError> {
        // X-Wing has no authenticated mode; Hotline uses base mode only.
        if pk_sender_id.is_some() {
            return Err(HpkeError::DecapError);
        }
        let ss = sk_recip.decapsulate(&encapped_key.to_bytes())?;
        let mut out = SharedSecret::<Self>::default();
        out.0.copy_from_slice(&ss[..]);
        Ok(out)
    }

    fn encap_with_rng(
        pk_recip: &Self::PublicKey,
        sender_id_keypair: Option<(&ExpandedKey, &Self::PublicKey)>,
        csprng: &mut impl hpke::rand_core::CryptoRng,
    ) -> Result<(SharedSecret<Self>, Self::EncappedKey), HpkeError> {
        if sender_id_keypair.is_some() {
            return Err(HpkeError::EncapError);
        }
        let (ss, enc) = XWingKem::encap_with_rng(pk_recip, None, csprng)?;
        let mut out = SharedSecret::<Self>::default();
        out.0.copy_from_slice(&ss.0);
        Ok((out, enc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hpke::Kem as _;
    use proptest::prelude::*;

    fn seed_key(seed: [u8; 32]) -> (ExpandedKey, <XWingKem as hpke::Kem>::PrivateKey) {
        (
            ExpandedKey::from_bytes(&seed).unwrap(),
            <XWingKem as hpke::Kem>::PrivateKey::from_bytes(&seed).unwrap(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// The same secret as the `hpke` crate's X-Wing for random keys and
        /// for random (mostly invalid) ciphertexts, and the same public key.
        #[test]
        fn agrees_with_the_hpke_crates_xwing(
            seed in any::<[u8; 32]>(),
            noise in proptest::collection::vec(any::<u8>(), 1120),
            flip in 0usize..1120,
        ) {
            let (ours, theirs) = seed_key(seed);
            prop_assert_eq!(
                XWingExpanded::sk_to_pk(&ours).to_bytes(),
                XWingKem::sk_to_pk(&theirs).to_bytes()
            );
            let pk = XWingKem::sk_to_pk(&theirs);
            let mut rng = crate::hpke_suite::RngBridge(&mut rand_core::OsRng);
            let (ss, enc) = XWingKem::encap_with_rng(&pk, None, &mut rng).unwrap();
            let got = XWingExpanded::decap(&ours, None, &enc).unwrap();
            prop_assert_eq!(got.0.as_slice(), ss.0.as_slice());
            let mut bad = enc.to_bytes().to_vec();
            bad[flip] ^= 1;
            for ct in [bad, noise] {
                let enc = <XWingKem as hpke::Kem>::EncappedKey::from_bytes(&ct).unwrap();
                let want = XWingKem::decap(&theirs, None, &enc).unwrap();
                let got = XWingExpanded::decap(&ours, None, &enc).unwrap();
                prop_assert_eq!(got.0.as_slice(), want.0.as_slice());
                prop_assert_ne!(got.0.as_slice(), ss.0.as_slice());
            }
        }
    }

    /// The official vectors' decapsulations (draft-connolly-cfrg-xwing-kem-06
    /// Appendix C, `tests/vectors/xwing-draft06.json`).
    #[test]
    fn opens_the_official_vectors() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/xwing-draft06.json"
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let h = |v: &serde_json::Value| hex::decode(v.as_str().unwrap()).unwrap();
        let vectors = doc["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 3);
        for v in vectors {
            let key = ExpandedKey::from_bytes(&h(&v["seed"])).unwrap();
            assert_eq!(
                XWingExpanded::sk_to_pk(&key).to_bytes().as_slice(),
                h(&v["pk"])
            );
            assert_eq!(key.decapsulate(&h(&v["ct"])).unwrap()[..], h(&v["ss"])[..]);
        }
        let key = ExpandedKey::from_bytes(&[1; 32]).unwrap();
        assert!(key.decapsulate(&[0; 1119]).is_err());
    }
}
