//! C2SP tlog-cosignature v1: timestamped Ed25519 cosignatures (type 0x04).
//!
//! The signed message is `cosignature/v1\ntime <t>\n` followed by the
//! checkpoint's note text; the signature line carries
//! `key id (4) || timestamp (8, big-endian) || Ed25519 signature (64)`.

use ed25519_dalek::{Signer as _, SigningKey};

use crate::note::{ALG_COSIGNATURE_V1, NoteError, NoteSignature, VerifierKey, format_vkey, key_id};

/// The message a cosigner signs.
pub fn message(timestamp: u64, checkpoint_text: &str) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}")
}

/// Produces cosignatures.
#[derive(Clone)]
pub struct Cosigner {
    name: String,
    key: SigningKey,
}

impl core::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Cosigner({}, secret redacted)", self.name)
    }
}

impl Cosigner {
    /// A cosigner named `name` with the 32-byte Ed25519 seed.
    pub fn new(name: &str, seed: &[u8; 32]) -> Result<Cosigner, NoteError> {
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
            return Err(NoteError::BadKey(format!("bad cosigner name {name:?}")));
        }
        Ok(Cosigner {
            name: name.to_owned(),
            key: SigningKey::from_bytes(seed),
        })
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id (computed with type 0x04).
    pub fn key_id(&self) -> u32 {
        key_id(
            &self.name,
            ALG_COSIGNATURE_V1,
            self.key.verifying_key().as_bytes(),
        )
    }

    /// The cosigner's vkey (type 0x04).
    pub fn vkey(&self) -> String {
        format_vkey(
            &self.name,
            ALG_COSIGNATURE_V1,
            self.key.verifying_key().as_bytes(),
        )
    }

    /// Cosigns `checkpoint_text` at `timestamp` (POSIX seconds, non-zero, < 2^63).
    pub fn cosign(
        &self,
        checkpoint_text: &str,
        timestamp: u64,
    ) -> Result<NoteSignature, NoteError> {
        if timestamp == 0 || timestamp > i64::MAX as u64 {
            return Err(NoteError::Malformed(
                "cosignature timestamp out of range".into(),
            ));
        }
        let sig = self
            .key
            .sign(message(timestamp, checkpoint_text).as_bytes());
        let mut bytes = timestamp.to_be_bytes().to_vec();
        bytes.extend_from_slice(&sig.to_bytes());
        Ok(NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id(),
            sig: bytes,
        })
    }
}

/// Verifies cosignatures of one cosigner.
#[derive(Debug, Clone)]
pub struct CosignatureVerifier(VerifierKey);

impl CosignatureVerifier {
    /// From a vkey of type 0x04.
    pub fn from_vkey(s: &str) -> Result<CosignatureVerifier, NoteError> {
        let k = VerifierKey::parse(s)?;
        if k.alg != ALG_COSIGNATURE_V1 {
            return Err(NoteError::BadKey(
                "not a cosignature/v1 key (type 0x04)".into(),
            ));
        }
        Ok(CosignatureVerifier(k))
    }

    /// The key.
    pub fn key(&self) -> &VerifierKey {
        &self.0
    }

    /// Whether `sig` is this cosigner's signature on `checkpoint_text`;
    /// returns the timestamp if so, `None` if it is not this key's.
    /// A signature that names this key but fails is an error.
    pub fn verify(
        &self,
        checkpoint_text: &str,
        sig: &NoteSignature,
    ) -> Result<Option<u64>, NoteError> {
        if sig.name != self.0.name || sig.key_id != self.0.key_id {
            return Ok(None);
        }
        let bad = || NoteError::BadSignature(sig.name.clone());
        let (ts, s) = sig.sig.split_at_checked(8).ok_or_else(bad)?;
        let ts = u64::from_be_bytes(ts.try_into().map_err(|_| bad())?);
        let s: [u8; 64] = s.try_into().map_err(|_| bad())?;
        if ts == 0 || ts > i64::MAX as u64 {
            return Err(bad());
        }
        self.0
            .key
            .verify_strict(
                message(ts, checkpoint_text).as_bytes(),
                &ed25519_dalek::Signature::from_bytes(&s),
            )
            .map_err(|_| bad())?;
        Ok(Some(ts))
    }
}

impl crate::note::Verifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.0.name
    }
    fn key_id(&self) -> u32 {
        self.0.key_id
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(text) else {
            return false;
        };
        let s = NoteSignature {
            name: self.0.name.clone(),
            key_id: self.0.key_id,
            sig: sig.to_vec(),
        };
        matches!(CosignatureVerifier::verify(self, text, &s), Ok(Some(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::Note;

    #[test]
    fn cosign_and_verify() {
        let c = Cosigner::new("witness.example/w1", &[9; 32]).unwrap();
        let v = CosignatureVerifier::from_vkey(&c.vkey()).unwrap();
        let text = "example.com/log\n5\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n";
        let s = c.cosign(text, 1679315147).unwrap();
        assert_eq!(s.sig.len(), 72);
        assert_eq!(v.verify(text, &s).unwrap(), Some(1679315147));
        assert!(
            v.verify(
                "example.com/log\n6\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
                &s
            )
            .is_err()
        );
        let mut n = Note::new(text).unwrap();
        n.add_signature(s);
        assert!(n.verify(&[&v]).is_ok());
        assert!(c.cosign(text, 0).is_err());
        // A note key (0x01) is not a cosigner key.
        assert!(
            CosignatureVerifier::from_vkey(
                &crate::note::Ed25519Signer::new("w", &[1; 32])
                    .unwrap()
                    .vkey()
            )
            .is_err()
        );
    }
}
