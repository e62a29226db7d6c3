//! Keys and key identifiers (DESIGN §3, `docs/format.md` §2).
//!
//! * Party keys and member signing keys are Ed25519 (RFC 8032); verification
//!   is strict (`verify_strict`: canonical S, no small-order keys).
//! * Member encryption keys are X25519 (`hotline-v1`) or X-Wing
//!   (`hotline-v2-xwing`), used through HPKE (RFC 9180).
//! * A [`KeyId`] is `SHA-256("hotline/keyid/v1/" || alg || 0x00 || public key)`,
//!   where `alg` is `ed25519`, `x25519` or `x-wing`: it names one public key and tells
//!   the algorithm apart, so a signing key and an encryption key with equal
//!   bytes still get different ids.

use core::fmt;

use ed25519_dalek::Signer as _;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::hpke_suite::{Suite, XWING_PUBLIC_KEY_LEN};

/// A cryptographic check failed. Deliberately opaque: the reason is not
/// revealed (which byte, which key), so errors cannot serve as an oracle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cryptographic verification failed")]
pub struct CryptoError;

/// A 32-byte identifier of one public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 32]);

impl KeyId {
    fn derive(alg: &str, public: &[u8]) -> KeyId {
        let mut h = Sha256::new();
        h.update(b"hotline/keyid/v1/");
        h.update(alg.as_bytes());
        h.update([0u8]);
        h.update(public);
        KeyId(h.finalize().into())
    }

    /// Lower-case hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex characters.
    pub fn from_hex(s: &str) -> Result<KeyId, crate::codec::DecodeError> {
        parse_hex32(s, "key id").map(KeyId)
    }

    /// The first 8 bytes in hex, for display to people.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..8])
    }
}

pub(crate) fn parse_hex32(
    s: &str,
    what: &'static str,
) -> Result<[u8; 32], crate::codec::DecodeError> {
    let mut out = [0u8; 32];
    if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(crate::codec::DecodeError::invalid(
            what,
            "expected 64 lower-case hex digits",
        ));
    }
    hex::decode_to_slice(s, &mut out).map_err(|_| {
        crate::codec::DecodeError::invalid(what, "expected 64 lower-case hex digits")
    })?;
    Ok(out)
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.short())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An Ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}…)", hex::encode(&self.0[..8]))
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// Parses 32 bytes; rejects encodings that are not points, and those
    /// that are not canonical (RFC 8032 §5.1.3: y ≥ p, or x = 0 with its
    /// sign bit set), which ed25519-dalek would take: a key has one encoding,
    /// as in the JavaScript verifier.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<VerifyingKey, CryptoError> {
        let k = ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| CryptoError)?;
        if k.to_edwards().compress().to_bytes() != *bytes {
            return Err(CryptoError);
        }
        Ok(VerifyingKey(k))
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// This key's id.
    pub fn key_id(&self) -> KeyId {
        KeyId::derive("ed25519", self.0.as_bytes())
    }

    /// Strict RFC 8032 verification of `sig` over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> Result<(), CryptoError> {
        let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
        self.0.verify_strict(msg, &sig).map_err(|_| CryptoError)
    }

    /// Standard base64 of the 32 bytes.
    pub fn to_base64(&self) -> String {
        crate::b64::encode(self.0.as_bytes())
    }

    /// Parses standard base64 of 32 bytes.
    pub fn from_base64(s: &str) -> Result<VerifyingKey, crate::codec::DecodeError> {
        let bytes: [u8; 32] = crate::b64::decode_array(s, "ed25519 public key")?;
        VerifyingKey::from_bytes(&bytes).map_err(|_| {
            crate::codec::DecodeError::invalid("ed25519 public key", "not a valid point")
        })
    }

    /// Whether the key has small order (such keys are refused in rosters).
    pub fn is_weak(&self) -> bool {
        self.0.is_weak()
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({})", self.key_id().short())
    }
}

/// An Ed25519 private key. Zeroized on drop; never printed.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// A fresh key from the given CSPRNG.
    pub fn generate(rng: &mut impl CryptoRngCore) -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::generate(rng))
    }

    /// The key with this 32-byte RFC 8032 seed.
    pub fn from_seed(seed: &[u8; 32]) -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The 32-byte seed (secret).
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// The public key's id.
    pub fn key_id(&self) -> KeyId {
        self.verifying_key().key_id()
    }

    /// Signs `msg` (RFC 8032 Ed25519, deterministic).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature(self.0.sign(msg).to_bytes())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, secret redacted)", self.key_id().short())
    }
}

/// A recipient's public encryption key, of one suite: X25519 (32 bytes)
/// or X-Wing (1,216 bytes).
#[derive(Clone, PartialEq, Eq)]
pub enum EncryptionPublicKey {
    /// `hotline-v1`.
    X25519([u8; 32]),
    /// `hotline-v2-xwing`.
    XWing(Box<[u8; XWING_PUBLIC_KEY_LEN]>),
}

impl EncryptionPublicKey {
    /// The suite this key belongs to.
    pub fn suite(&self) -> Suite {
        match self {
            EncryptionPublicKey::X25519(_) => Suite::V1,
            EncryptionPublicKey::XWing(_) => Suite::XWing,
        }
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            EncryptionPublicKey::X25519(b) => b,
            EncryptionPublicKey::XWing(b) => b.as_ref(),
        }
    }

    /// This key's id (`x25519` or `x-wing` as the algorithm).
    pub fn key_id(&self) -> KeyId {
        KeyId::derive(self.suite().key_alg(), self.as_bytes())
    }

    /// Parses an encoded key: 32 bytes are X25519, 1,216 bytes X-Wing (whose
    /// ML-KEM part must pass the FIPS 203 modulus check).
    pub fn from_bytes(bytes: &[u8]) -> Result<EncryptionPublicKey, crate::codec::DecodeError> {
        let bad = |why: &str| crate::codec::DecodeError::invalid("encryption public key", why);
        if let Ok(b) = <[u8; 32]>::try_from(bytes) {
            return Ok(EncryptionPublicKey::X25519(b));
        }
        let b: [u8; XWING_PUBLIC_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| bad("neither 32 bytes (X25519) nor 1216 bytes (X-Wing)"))?;
        if !crate::hpke_suite::xwing_public_key_valid(&b) {
            return Err(bad(
                "not a valid X-Wing key (its ML-KEM-768 part is not reduced)",
            ));
        }
        Ok(EncryptionPublicKey::XWing(Box::new(b)))
    }

    /// Standard base64 of the encoded key.
    pub fn to_base64(&self) -> String {
        crate::b64::encode(self.as_bytes())
    }

    /// Parses standard base64 of an encoded key ([`EncryptionPublicKey::from_bytes`]).
    pub fn from_base64(s: &str) -> Result<EncryptionPublicKey, crate::codec::DecodeError> {
        let bytes = crate::b64::decode(s, "encryption public key", XWING_PUBLIC_KEY_LEN)?;
        EncryptionPublicKey::from_bytes(&bytes)
    }
}

impl fmt::Debug for EncryptionPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EncryptionPublicKey({}, {})",
            self.suite(),
            self.key_id().short()
        )
    }
}

/// A private encryption key, of one suite: 32 secret bytes either way (an
/// X25519 scalar, clamped when used, or an X-Wing seed). Zeroized on drop;
/// never printed.
#[derive(Clone)]
pub struct EncryptionSecretKey {
    suite: Suite,
    secret: Zeroizing<[u8; 32]>,
}

impl EncryptionSecretKey {
    /// A fresh X25519 key from the given CSPRNG.
    pub fn generate(rng: &mut impl CryptoRngCore) -> EncryptionSecretKey {
        Self::generate_for(Suite::V1, rng)
    }

    /// A fresh key of `suite` from the given CSPRNG.
    pub fn generate_for(suite: Suite, rng: &mut impl CryptoRngCore) -> EncryptionSecretKey {
        let mut b = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(b.as_mut());
        EncryptionSecretKey { suite, secret: b }
    }

    /// The X25519 key with these 32 secret bytes (clamped when used, RFC 7748).
    pub fn from_bytes(bytes: &[u8; 32]) -> EncryptionSecretKey {
        Self::from_suite_bytes(Suite::V1, bytes)
    }

    /// The key of `suite` with these 32 secret bytes.
    pub fn from_suite_bytes(suite: Suite, bytes: &[u8; 32]) -> EncryptionSecretKey {
        EncryptionSecretKey {
            suite,
            secret: Zeroizing::new(*bytes),
        }
    }

    /// Its suite.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The 32 secret bytes.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.secret.clone()
    }

    /// The public half.
    pub fn public_key(&self) -> EncryptionPublicKey {
        match self.suite {
            Suite::V1 => {
                let secret = x25519_dalek::StaticSecret::from(*self.secret);
                EncryptionPublicKey::X25519(x25519_dalek::PublicKey::from(&secret).to_bytes())
            }
            Suite::XWing => {
                EncryptionPublicKey::XWing(crate::hpke_suite::xwing_public_key(&self.secret))
            }
        }
    }

    /// The public key's id.
    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }
}

impl fmt::Debug for EncryptionSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EncryptionSecretKey({}, {}, secret redacted)",
            self.suite,
            self.key_id().short()
        )
    }
}

/// A member's private keys: one signing key and an encryption key per
/// suite (a profile made before the X-Wing suite has none of that suite
/// until its keys are rotated).
#[derive(Clone, Debug)]
pub struct MemberKeys {
    /// Signs envelopes, cosignatures and HTTP requests.
    pub signing: SigningKey,
    /// Opens envelopes of `hotline-v1` channels addressed to this member.
    pub encryption: EncryptionSecretKey,
    /// Opens envelopes of `hotline-v2-xwing` channels addressed to this member.
    pub xwing: Option<EncryptionSecretKey>,
}

impl MemberKeys {
    /// Fresh keys for every suite.
    pub fn generate(rng: &mut impl CryptoRngCore) -> MemberKeys {
        let mut keys = Self::generate_v1(rng);
        keys.xwing = Some(EncryptionSecretKey::generate_for(Suite::XWing, rng));
        keys
    }

    /// Fresh keys of `hotline-v1` only (a signing and an X25519 key, drawn in
    /// that order, as before the X-Wing suite).
    pub fn generate_v1(rng: &mut impl CryptoRngCore) -> MemberKeys {
        MemberKeys {
            signing: SigningKey::generate(rng),
            encryption: EncryptionSecretKey::generate(rng),
            xwing: None,
        }
    }

    /// The encryption key for a channel of `suite`, if these keys have one.
    pub fn encryption_for(&self, suite: Suite) -> Option<&EncryptionSecretKey> {
        match suite {
            Suite::V1 => Some(&self.encryption),
            Suite::XWing => self.xwing.as_ref(),
        }
    }

    /// Every encryption key, of every suite.
    pub fn encryption_keys(&self) -> impl Iterator<Item = &EncryptionSecretKey> {
        std::iter::once(&self.encryption).chain(self.xwing.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encodings of y = p + k (k < 19) that ed25519-dalek decompresses:
    /// non-canonical (RFC 8032 §5.1.3: "if y >= p, decoding fails").
    pub(crate) fn non_canonical_points() -> Vec<[u8; 32]> {
        let mut out = Vec::new();
        for k in 0u8..19 {
            for sign in [0u8, 0x80] {
                // p = 2^255 - 19, little-endian, plus k.
                let mut b = [0xffu8; 32];
                b[0] = 0xed + k;
                b[31] = 0x7f | sign;
                if ed25519_dalek::VerifyingKey::from_bytes(&b).is_ok() {
                    out.push(b);
                }
            }
        }
        out
    }

    #[test]
    fn non_canonical_encodings_are_not_keys() {
        let points = non_canonical_points();
        assert!(!points.is_empty(), "dalek decompresses some y >= p");
        for b in points {
            assert!(VerifyingKey::from_bytes(&b).is_err(), "{}", hex::encode(b));
            assert!(VerifyingKey::from_base64(&crate::b64::encode(&b)).is_err());
        }
    }

    #[test]
    fn key_ids_separate_algorithms() {
        let bytes = [9u8; 32];
        let x = EncryptionPublicKey::X25519(bytes);
        assert_ne!(x.key_id(), KeyId::derive("ed25519", &bytes));
        assert_eq!(KeyId::from_hex(&x.key_id().to_hex()).unwrap(), x.key_id());
        assert!(KeyId::from_hex(&x.key_id().to_hex().to_uppercase()).is_err());
    }

    #[test]
    fn debug_never_prints_secrets() {
        let k = SigningKey::from_seed(&[7u8; 32]);
        let s = format!("{k:?}");
        assert!(!s.contains(&hex::encode([7u8; 32])));
        assert!(s.contains("redacted"));
    }
}
