//! Keys and key identifiers (DESIGN §3, `docs/format.md` §2).
//!
//! * Party keys and member signing keys are Ed25519 (RFC 8032); verification
//!   is strict (`verify_strict`: canonical S, no small-order keys).
//! * Member encryption keys are X25519, used through HPKE (RFC 9180).
//! * A [`KeyId`] is `SHA-256("hotline/keyid/v1/" || alg || 0x00 || public key)`,
//!   where `alg` is `ed25519` or `x25519`: it names one public key and tells
//!   the algorithm apart, so a signing key and an encryption key with equal
//!   bytes still get different ids.

use core::fmt;

use ed25519_dalek::Signer as _;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

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

/// An X25519 public key used as an HPKE recipient key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EncryptionPublicKey(pub [u8; 32]);

impl EncryptionPublicKey {
    /// This key's id.
    pub fn key_id(&self) -> KeyId {
        KeyId::derive("x25519", &self.0)
    }

    /// Standard base64 of the 32 bytes.
    pub fn to_base64(&self) -> String {
        crate::b64::encode(&self.0)
    }

    /// Parses standard base64 of 32 bytes.
    pub fn from_base64(s: &str) -> Result<EncryptionPublicKey, crate::codec::DecodeError> {
        crate::b64::decode_array(s, "x25519 public key").map(EncryptionPublicKey)
    }
}

impl fmt::Debug for EncryptionPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionPublicKey({})", self.key_id().short())
    }
}

/// An X25519 private key. Zeroized on drop; never printed.
#[derive(Clone)]
pub struct EncryptionSecretKey(Zeroizing<[u8; 32]>);

impl EncryptionSecretKey {
    /// A fresh key from the given CSPRNG.
    pub fn generate(rng: &mut impl CryptoRngCore) -> EncryptionSecretKey {
        let mut b = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(b.as_mut());
        EncryptionSecretKey(b)
    }

    /// The key with these 32 secret bytes (clamped when used, RFC 7748).
    pub fn from_bytes(bytes: &[u8; 32]) -> EncryptionSecretKey {
        EncryptionSecretKey(Zeroizing::new(*bytes))
    }

    /// The 32 secret bytes.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.0.clone()
    }

    /// The public half.
    pub fn public_key(&self) -> EncryptionPublicKey {
        let secret = x25519_dalek::StaticSecret::from(*self.0);
        EncryptionPublicKey(x25519_dalek::PublicKey::from(&secret).to_bytes())
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
            "EncryptionSecretKey({}, secret redacted)",
            self.key_id().short()
        )
    }
}

/// A member's two private keys.
#[derive(Clone, Debug)]
pub struct MemberKeys {
    /// Signs envelopes, cosignatures and HTTP requests.
    pub signing: SigningKey,
    /// Opens envelopes addressed to this member.
    pub encryption: EncryptionSecretKey,
}

impl MemberKeys {
    /// Fresh keys.
    pub fn generate(rng: &mut impl CryptoRngCore) -> MemberKeys {
        MemberKeys {
            signing: SigningKey::generate(rng),
            encryption: EncryptionSecretKey::generate(rng),
        }
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
        let x = EncryptionPublicKey(bytes);
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
