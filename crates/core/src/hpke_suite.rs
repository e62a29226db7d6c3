//! The one HPKE suite of version 1 (RFC 9180): DHKEM(X25519, HKDF-SHA256)
//! (0x0020), HKDF-SHA256 (0x0001), ChaCha20-Poly1305 (0x0003), single-shot
//! base mode. Checked against the RFC's Appendix A.2 vectors in
//! `tests/rfc_vectors.rs`.

use hpke::{Deserializable as _, Kem as _, OpModeR, OpModeS, Serializable as _};
use rand_core::CryptoRngCore;

use crate::keys::{CryptoError, EncryptionPublicKey, EncryptionSecretKey};

pub(crate) type Kem = hpke::kem::X25519HkdfSha256;
pub(crate) type Kdf = hpke::kdf::HkdfSha256;
pub(crate) type Aead = hpke::aead::ChaCha20Poly1305;

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

/// `SealBase(pkR, info, aad, pt)`: returns the 32-byte encapsulated key and the ciphertext.
pub fn seal_base(
    pk: &EncryptionPublicKey,
    info: &[u8],
    aad: &[u8],
    pt: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<([u8; 32], Vec<u8>), CryptoError> {
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(&pk.0).map_err(|_| CryptoError)?;
    let (enc, ct) = hpke::single_shot_seal_with_rng::<Aead, Kdf, Kem>(
        &OpModeS::Base,
        &pk,
        info,
        pt,
        aad,
        &mut RngBridge(rng),
    )
    .map_err(|_| CryptoError)?;
    Ok((enc.to_bytes().into(), ct))
}

/// `OpenBase(enc, skR, info, aad, ct)`.
pub fn open_base(
    sk: &EncryptionSecretKey,
    enc: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(sk.to_bytes().as_ref())
        .map_err(|_| CryptoError)?;
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| CryptoError)?;
    hpke::single_shot_open::<Aead, Kdf, Kem>(&OpModeR::Base, &sk, &enc, info, ct, aad)
        .map_err(|_| CryptoError)
}

/// `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3) for X25519.
pub fn derive_keypair(ikm: &[u8]) -> EncryptionSecretKey {
    let (sk, _pk) = Kem::derive_keypair(ikm);
    let bytes: [u8; 32] = sk.to_bytes().into();
    EncryptionSecretKey::from_bytes(&bytes)
}
