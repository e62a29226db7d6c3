//! Signed documents: DSSE envelopes (`docs/format.md` §3).
//!
//! Charters, rosters and other signed JSON documents travel as DSSE v1
//! envelopes (<https://github.com/secure-systems-lab/dsse>): the signature is
//! over the pre-authentication encoding
//! `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, where `LEN` is the
//! ASCII decimal byte length. The payload is signed and verified as the exact
//! bytes carried, never re-serialised. The same [`pae`] function covers the
//! binary envelope head (§5).

use serde::{Deserialize, Serialize};

use crate::codec::DecodeError;
use crate::keys::{CryptoError, KeyId, Signature, SigningKey, VerifyingKey};

/// Largest DSSE document we accept, encoded (bytes).
pub const MAX_DOCUMENT_LEN: usize = 64 * 1024;
/// Most signatures on one document.
pub const MAX_SIGNATURES: usize = 64;

/// The DSSE pre-authentication encoding of `payload_type` and `body`.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + payload_type.len() + body.len());
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(body);
    out
}

/// One signature in a DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSignature {
    /// The signer's key id.
    pub key_id: KeyId,
    /// Ed25519 over `pae(payload_type, payload)`.
    pub sig: Signature,
}

/// A DSSE envelope: a typed payload and its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDocument {
    /// The media type naming what the payload is.
    pub payload_type: String,
    /// The exact signed bytes.
    pub payload: Vec<u8>,
    /// Signatures, in the order they were added.
    pub signatures: Vec<DocumentSignature>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSig {
    keyid: String,
    sig: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireDoc {
    payload_type: String,
    payload: String,
    signatures: Vec<WireSig>,
}

impl SignedDocument {
    /// An unsigned document.
    pub fn new(payload_type: &str, payload: Vec<u8>) -> SignedDocument {
        SignedDocument {
            payload_type: payload_type.to_owned(),
            payload,
            signatures: Vec::new(),
        }
    }

    /// The bytes a signer signs.
    pub fn signing_input(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Adds (or replaces) the signature of `key`.
    pub fn sign(&mut self, key: &SigningKey) {
        let key_id = key.key_id();
        let sig = key.sign(&self.signing_input());
        self.signatures.retain(|s| s.key_id != key_id);
        self.signatures.push(DocumentSignature { key_id, sig });
    }

    /// Verifies the signature made by `key`, if any.
    pub fn verify_by(&self, key: &VerifyingKey) -> Result<(), CryptoError> {
        let id = key.key_id();
        let s = self
            .signatures
            .iter()
            .find(|s| s.key_id == id)
            .ok_or(CryptoError)?;
        key.verify(&self.signing_input(), &s.sig)
    }

    /// The canonical JSON encoding (fields in DSSE order, no whitespace).
    pub fn to_json(&self) -> Vec<u8> {
        let w = WireDoc {
            payload_type: self.payload_type.clone(),
            payload: crate::b64::encode(&self.payload),
            signatures: self
                .signatures
                .iter()
                .map(|s| WireSig {
                    keyid: s.key_id.to_hex(),
                    sig: crate::b64::encode(&s.sig.0),
                })
                .collect(),
        };
        // Serialising plain strings and vectors cannot fail.
        serde_json::to_vec(&w).unwrap_or_default()
    }

    /// Parses a DSSE JSON envelope, bounded and strict.
    pub fn from_json(bytes: &[u8]) -> Result<SignedDocument, DecodeError> {
        if bytes.len() > MAX_DOCUMENT_LEN * 2 {
            return Err(DecodeError::TooLarge {
                what: "signed document",
                value: bytes.len() as u64,
                limit: (MAX_DOCUMENT_LEN * 2) as u64,
            });
        }
        let w: WireDoc = serde_json::from_slice(bytes)
            .map_err(|e| DecodeError::invalid("signed document", e.to_string()))?;
        if w.signatures.len() > MAX_SIGNATURES {
            return Err(DecodeError::TooLarge {
                what: "signed document signatures",
                value: w.signatures.len() as u64,
                limit: MAX_SIGNATURES as u64,
            });
        }
        let payload = crate::b64::decode(&w.payload, "signed document payload", MAX_DOCUMENT_LEN)?;
        let mut signatures = Vec::with_capacity(w.signatures.len());
        for s in &w.signatures {
            let key_id = KeyId::from_hex(&s.keyid)?;
            if signatures
                .iter()
                .any(|x: &DocumentSignature| x.key_id == key_id)
            {
                return Err(DecodeError::invalid("signed document", "duplicate signer"));
            }
            let sig = Signature(crate::b64::decode_array(&s.sig, "signature")?);
            signatures.push(DocumentSignature { key_id, sig });
        }
        Ok(SignedDocument {
            payload_type: w.payload_type,
            payload,
            signatures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_dsse_spec_example() {
        // The example of the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn sign_roundtrip_and_tamper() {
        let k = SigningKey::from_seed(&[1u8; 32]);
        let mut d = SignedDocument::new("application/x-test", b"{}".to_vec());
        d.sign(&k);
        let d2 = SignedDocument::from_json(&d.to_json()).unwrap();
        assert_eq!(d, d2);
        d2.verify_by(&k.verifying_key()).unwrap();
        let mut d3 = d2.clone();
        d3.payload_type = "application/x-other".into();
        assert!(d3.verify_by(&k.verifying_key()).is_err());
        let other = SigningKey::from_seed(&[2u8; 32]);
        assert!(d2.verify_by(&other.verifying_key()).is_err());
    }
}
