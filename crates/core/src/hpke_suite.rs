//! The cipher suites (`docs/format.md` §5.3) and their HPKE (RFC 9180)
//! single-shot base mode, always with HKDF-SHA256 (0x0001) and
//! ChaCha20-Poly1305 (0x0003):
//!
//! * `hotline-v1` (envelope suite byte 1): DHKEM(X25519, HKDF-SHA256),
//!   KEM 0x0020. Checked against RFC 9180 Appendix A.2 in
//!   `tests/rfc_vectors.rs`.
//! * `hotline-v2-xwing` (suite byte 2): X-Wing (ML-KEM-768 with X25519),
//!   KEM 0x647a, as draft-ietf-hpke-pq-03 assigns it, with the X-Wing KEM
//!   of draft-connolly-cfrg-xwing-kem (the `hpke` crate's, built on the
//!   `x-wing` crate) for sealing; opening expands the recipient's key once
//!   (`xwing_expanded.rs`). Our envelopes in this suite are opened by
//!   independent implementations in `.ci/run`
//!   (`tests/interop/xwing`).

use hpke::{Deserializable as _, Kem as _, OpModeR, OpModeS, Serializable as _};
use rand_core::CryptoRngCore;

use crate::keys::{CryptoError, EncryptionPublicKey, EncryptionSecretKey};
use crate::xwing_expanded::XWingExpanded;

pub(crate) type Kem = hpke::kem::X25519HkdfSha256;
pub(crate) type XWingKem = hpke::kem::XWing;
pub(crate) type Kdf = hpke::kdf::HkdfSha256;
pub(crate) type Aead = hpke::aead::ChaCha20Poly1305;

/// Length of an X-Wing public (encapsulation) key.
pub const XWING_PUBLIC_KEY_LEN: usize = 1216;
/// Length of an X-Wing encapsulation (HPKE `enc`).
pub const XWING_ENC_LEN: usize = 1120;
/// Length of one recipient's entry in a `hotline-v2-xwing` stanza index:
/// key id and SHA-256 of the sealed key.
pub const INDEX_ENTRY_LEN: usize = 64;

/// A channel's cipher suite: which KEM wraps the content key to each
/// recipient. Everything else (Ed25519 signatures, the STREAM content
/// encryption, HKDF-SHA256 and ChaCha20-Poly1305 in HPKE) is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Suite {
    /// `hotline-v1`: X25519.
    V1,
    /// `hotline-v2-xwing`: the X-Wing hybrid of ML-KEM-768 and X25519.
    XWing,
}

impl Suite {
    /// Every suite, the default for new channels first.
    pub const ALL: [Suite; 2] = [Suite::XWing, Suite::V1];
    /// The suite of new channels.
    pub const DEFAULT: Suite = Suite::XWing;

    /// The name a charter gives it.
    pub const fn name(self) -> &'static str {
        match self {
            Suite::V1 => "hotline-v1",
            Suite::XWing => "hotline-v2-xwing",
        }
    }

    /// The suite a charter names, if known.
    pub fn from_name(name: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The envelope header's suite byte.
    pub const fn id(self) -> u8 {
        match self {
            Suite::V1 => 1,
            Suite::XWing => 2,
        }
    }

    /// The suite of an envelope header's suite byte, if known.
    pub fn from_id(id: u8) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The HPKE KEM identifier (RFC 9180 §7.1; draft-ietf-hpke-pq-03 for X-Wing).
    pub const fn kem_id(self) -> u16 {
        match self {
            Suite::V1 => 0x0020,
            Suite::XWing => 0x647a,
        }
    }

    /// Length of a recipient's public key.
    pub const fn public_key_len(self) -> usize {
        match self {
            Suite::V1 => 32,
            Suite::XWing => XWING_PUBLIC_KEY_LEN,
        }
    }

    /// Length of the HPKE encapsulated key in a stanza.
    pub const fn enc_len(self) -> usize {
        match self {
            Suite::V1 => 32,
            Suite::XWing => XWING_ENC_LEN,
        }
    }

    /// Bytes per recipient in an envelope's stanza block (`docs/format.md`
    /// §5.1): in `hotline-v1` the stanza (key id, `enc`, wrapped key, 112);
    /// in `hotline-v2-xwing` its index entry (key id, SHA-256 of the sealed
    /// key) and its sealed key (`enc`, wrapped key): 64 + 1,168 = 1,232.
    pub const fn stanza_len(self) -> usize {
        match self {
            Suite::V1 => 32 + self.sealed_len(),
            Suite::XWing => INDEX_ENTRY_LEN + self.sealed_len(),
        }
    }

    /// Length of one recipient's sealed content key: `enc` and the wrapped key.
    pub const fn sealed_len(self) -> usize {
        self.enc_len() + 48
    }

    /// Whether the suite's stanza block starts with an index of recipient
    /// key ids and sealed-key hashes, which the head's `stanzas_sha256`
    /// covers (so a recipient hashes 64 bytes per other recipient, not
    /// their 1,168-byte sealed keys).
    pub const fn indexed(self) -> bool {
        matches!(self, Suite::XWing)
    }

    /// HPKE `info` for wrapping the content key.
    pub const fn hpke_info(self) -> &'static [u8] {
        match self {
            Suite::V1 => b"hotline/v1 content key",
            Suite::XWing => b"hotline/v2-xwing content key",
        }
    }

    /// The algorithm name in an encryption key's [`crate::keys::KeyId`].
    pub(crate) const fn key_alg(self) -> &'static str {
        match self {
            Suite::V1 => "x25519",
            Suite::XWing => "x-wing",
        }
    }
}

impl core::fmt::Display for Suite {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Lets the `hpke` crate (rand_core 0.10) draw from a rand_core 0.6 generator.
pub(crate) struct RngBridge<'a, R: CryptoRngCore>(pub(crate) &'a mut R);

impl<R: CryptoRngCore> rand_core_010::TryRng for RngBridge<'_, R> {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.0.next_u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0.next_u64())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: CryptoRngCore> rand_core_010::TryCryptoRng for RngBridge<'_, R> {}

fn seal_with<K: hpke::Kem>(
    pk: &[u8],
    info: &[u8],
    aad: &[u8],
    pt: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    let pk = K::PublicKey::from_bytes(pk).map_err(|_| CryptoError)?;
    let (enc, ct) = hpke::single_shot_seal_with_rng::<Aead, Kdf, K>(
        &OpModeS::Base,
        &pk,
        info,
        pt,
        aad,
        &mut RngBridge(rng),
    )
    .map_err(|_| CryptoError)?;
    Ok((enc.to_bytes().to_vec(), ct))
}

fn open_with<K: hpke::Kem>(
    sk: &K::PrivateKey,
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let enc = K::EncappedKey::from_bytes(enc).map_err(|_| CryptoError)?;
    hpke::single_shot_open::<Aead, Kdf, K>(&OpModeR::Base, sk, &enc, info, ct, aad)
        .map_err(|_| CryptoError)
}

/// `SealBase(pkR, info, aad, pt)` in the key's suite: returns the
/// encapsulated key ([`Suite::enc_len`] bytes) and the ciphertext.
pub fn seal_base(
    pk: &EncryptionPublicKey,
    info: &[u8],
    aad: &[u8],
    pt: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    match pk.suite() {
        Suite::V1 => seal_with::<Kem>(pk.as_bytes(), info, aad, pt, rng),
        Suite::XWing => seal_with::<XWingKem>(pk.as_bytes(), info, aad, pt, rng),
    }
}

/// A private key parsed once for repeated opening.
#[derive(Clone)]
pub(crate) enum Opener {
    V1(<Kem as hpke::Kem>::PrivateKey),
    /// Expanded once (`xwing_expanded.rs`): not again per envelope.
    XWing(Box<<XWingExpanded as hpke::Kem>::PrivateKey>),
}

impl Opener {
    pub(crate) fn new(sk: &EncryptionSecretKey) -> Result<Opener, CryptoError> {
        let bytes = sk.to_bytes();
        Ok(match sk.suite() {
            Suite::V1 => Opener::V1(
                <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes.as_ref())
                    .map_err(|_| CryptoError)?,
            ),
            Suite::XWing => Opener::XWing(Box::new(
                <XWingExpanded as hpke::Kem>::PrivateKey::from_bytes(bytes.as_ref())
                    .map_err(|_| CryptoError)?,
            )),
        })
    }

    /// The public key (from the parsed key: no second X-Wing key expansion).
    pub(crate) fn public_key(&self) -> Result<EncryptionPublicKey, CryptoError> {
        match self {
            Opener::V1(sk) => EncryptionPublicKey::from_bytes(&Kem::sk_to_pk(sk).to_bytes()),
            Opener::XWing(sk) => {
                EncryptionPublicKey::from_bytes(&XWingExpanded::sk_to_pk(sk).to_bytes())
            }
        }
        .map_err(|_| CryptoError)
    }

    /// `OpenBase(enc, skR, info, aad, ct)`.
    pub(crate) fn open(
        &self,
        enc: &[u8],
        info: &[u8],
        aad: &[u8],
        ct: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match self {
            Opener::V1(sk) => open_with::<Kem>(sk, enc, info, aad, ct),
            Opener::XWing(sk) => open_with::<XWingExpanded>(sk, enc, info, aad, ct),
        }
    }
}

/// `OpenBase(enc, skR, info, aad, ct)` in the key's suite.
pub fn open_base(
    sk: &EncryptionSecretKey,
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    Opener::new(sk)?.open(enc, info, aad, ct)
}

/// `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3) for X25519.
pub fn derive_keypair(ikm: &[u8]) -> EncryptionSecretKey {
    let (sk, _pk) = Kem::derive_keypair(ikm);
    let bytes: [u8; 32] = sk.to_bytes().into();
    EncryptionSecretKey::from_bytes(&bytes)
}

/// The X-Wing public key of a 32-byte X-Wing private key (seed).
pub(crate) fn xwing_public_key(seed: &[u8; 32]) -> Box<[u8; XWING_PUBLIC_KEY_LEN]> {
    // A 32-byte seed always parses (from_bytes checks only the length).
    let pk = <XWingKem as hpke::Kem>::PrivateKey::from_bytes(seed)
        .map(|sk| XWingKem::sk_to_pk(&sk).to_bytes())
        .map(|b| {
            let mut out = Box::new([0u8; XWING_PUBLIC_KEY_LEN]);
            out.copy_from_slice(&b);
            out
        });
    pk.unwrap_or_else(|_| Box::new([0u8; XWING_PUBLIC_KEY_LEN]))
}

/// Whether these bytes are an X-Wing public key (its ML-KEM part passes the
/// FIPS 203 modulus check).
pub(crate) fn xwing_public_key_valid(bytes: &[u8]) -> bool {
    <XWingKem as hpke::Kem>::PublicKey::from_bytes(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_round_trip_by_name_and_id() {
        for s in Suite::ALL {
            assert_eq!(Suite::from_name(s.name()), Some(s));
            assert_eq!(Suite::from_id(s.id()), Some(s));
        }
        assert_eq!(Suite::from_name("hotline-v3"), None);
        assert_eq!(Suite::from_id(0), None);
        assert_eq!(Suite::XWing.stanza_len(), 1232);
        assert_eq!(Suite::XWing.sealed_len(), 1168);
        assert_eq!(Suite::V1.stanza_len(), 112);
    }

    #[test]
    fn xwing_seals_and_opens_and_refuses_other_aad() {
        let mut rng = rand_core::OsRng;
        let sk = EncryptionSecretKey::generate_for(Suite::XWing, &mut rng);
        let pk = sk.public_key();
        assert_eq!(pk.as_bytes().len(), XWING_PUBLIC_KEY_LEN);
        let (enc, ct) = seal_base(&pk, b"info", b"aad", b"secret", &mut rng).unwrap();
        assert_eq!(enc.len(), XWING_ENC_LEN);
        assert_eq!(
            open_base(&sk, &enc, b"info", b"aad", &ct).unwrap(),
            b"secret"
        );
        assert!(open_base(&sk, &enc, b"info", b"other", &ct).is_err());
        assert!(open_base(&sk, &enc[..32], b"info", b"aad", &ct).is_err());
        let other = EncryptionSecretKey::generate_for(Suite::XWing, &mut rng);
        assert!(open_base(&other, &enc, b"info", b"aad", &ct).is_err());
    }
}
