//! Courier grants (`docs/airgap.md`): a member on an air-gapped machine lets
//! a courier key — held by a connected machine that holds no party or member
//! key — fetch from the relay and post to it what the member signed, for one
//! channel, until a time.
//!
//! The grant is a DSSE document (`application/vnd.hotline.courier-grant+json`)
//! signed by the member's signing key. The relay accepts a request signed by
//! the courier key (RFC 9421) that carries the grant, base64, in a
//! `Hotline-Courier` header, as if the member had signed it, while the grant
//! has not expired and its member is in its party's current roster. The
//! courier can read what a member can read of the relay — ciphertext and the
//! log — but open nothing (it has no decryption key) and sign nothing in the
//! member's name (every envelope and cosignature it posts is signed on the
//! air-gapped machine).

use serde::{Deserialize, Serialize};

use crate::codec::DecodeError;
use crate::dsse::SignedDocument;
use crate::ids::ChannelId;
use crate::keys::{KeyId, SigningKey, VerifyingKey};

/// The DSSE payload type.
pub const PAYLOAD_TYPE: &str = "application/vnd.hotline.courier-grant+json";
/// The HTTP header a courier's requests carry the grant in (base64 of the
/// grant's DSSE JSON).
pub const HEADER: &str = "hotline-courier";
/// The longest a grant may last: a courier key lost is a reader of the
/// channel's ciphertext until its grant ends.
pub const MAX_DAYS: u64 = 400;

/// What a grant says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourierGrant {
    /// Format version; 1.
    pub v: u8,
    /// The channel.
    pub channel: ChannelId,
    /// The courier's Ed25519 public key, base64.
    pub courier: String,
    /// The granting member's signing key id.
    pub member: KeyId,
    /// When it was made and when it ends (POSIX seconds).
    pub not_before: u64,
    /// When it ends (POSIX seconds).
    pub not_after: u64,
}

/// Why a grant is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// Not a grant at all.
    #[error("not a courier grant: {0}")]
    Malformed(String),
    /// Its signature does not verify with its member's key.
    #[error("the courier grant's signature does not verify with its member's key")]
    BadSignature,
    /// Outside its validity.
    #[error(
        "the courier grant is valid from {not_before} to {not_after} (POSIX seconds), not at {now}"
    )]
    Expired {
        /// From.
        not_before: u64,
        /// To.
        not_after: u64,
        /// The time it was judged at.
        now: u64,
    },
}

impl CourierGrant {
    /// The courier's key.
    pub fn courier_key(&self) -> Result<VerifyingKey, GrantError> {
        VerifyingKey::from_base64(&self.courier)
            .map_err(|e| GrantError::Malformed(format!("the courier key: {e}")))
    }

    /// Signs the grant with the member's key.
    pub fn sign(&self, member: &SigningKey) -> SignedDocument {
        // Serialising plain fields cannot fail.
        let mut d = SignedDocument::new(PAYLOAD_TYPE, serde_json::to_vec(self).unwrap_or_default());
        d.sign(member);
        d
    }

    /// Reads a grant without checking its signature (to find its member).
    pub fn parse(doc: &SignedDocument) -> Result<CourierGrant, GrantError> {
        if doc.payload_type != PAYLOAD_TYPE {
            return Err(GrantError::Malformed(format!(
                "payload type {:?}, expected {PAYLOAD_TYPE}",
                doc.payload_type
            )));
        }
        let g: CourierGrant = serde_json::from_slice(&doc.payload)
            .map_err(|e| GrantError::Malformed(e.to_string()))?;
        if g.v != 1 {
            return Err(GrantError::Malformed(format!(
                "version {}, expected 1",
                g.v
            )));
        }
        if g.not_after <= g.not_before || g.not_after - g.not_before > MAX_DAYS * 86_400 {
            return Err(GrantError::Malformed(format!(
                "a grant lasts more than nothing and at most {MAX_DAYS} days"
            )));
        }
        g.courier_key()?;
        Ok(g)
    }

    /// Checks `doc` is a grant signed by `member` (its member's signing
    /// key), valid at `now`; returns it.
    pub fn verify(
        doc: &SignedDocument,
        member: &VerifyingKey,
        now: u64,
    ) -> Result<CourierGrant, GrantError> {
        let g = CourierGrant::parse(doc)?;
        if member.key_id() != g.member {
            return Err(GrantError::BadSignature);
        }
        doc.verify_by(member)
            .map_err(|_| GrantError::BadSignature)?;
        if now < g.not_before || now >= g.not_after {
            return Err(GrantError::Expired {
                not_before: g.not_before,
                not_after: g.not_after,
                now,
            });
        }
        Ok(g)
    }
}

/// The grant as the `Hotline-Courier` header carries it.
pub fn header_value(doc: &SignedDocument) -> String {
    crate::b64::encode(&doc.to_json())
}

/// A `Hotline-Courier` header's grant.
pub fn from_header(value: &str) -> Result<SignedDocument, DecodeError> {
    let bytes = crate::b64::decode(value.trim(), "courier grant", 16 * 1024)?;
    SignedDocument::from_json(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    fn grant(member: &SigningKey, courier: &SigningKey) -> CourierGrant {
        CourierGrant {
            v: 1,
            channel: ChannelId([3; 16]),
            courier: courier.verifying_key().to_base64(),
            member: member.key_id(),
            not_before: 1000,
            not_after: 2000,
        }
    }

    #[test]
    fn a_grant_holds_for_its_member_and_its_time_only() {
        let (m, c, other) = (
            SigningKey::generate(&mut OsRng),
            SigningKey::generate(&mut OsRng),
            SigningKey::generate(&mut OsRng),
        );
        let doc = grant(&m, &c).sign(&m);
        let back = from_header(&header_value(&doc)).unwrap();
        let g = CourierGrant::verify(&back, &m.verifying_key(), 1500).unwrap();
        assert_eq!(g.courier_key().unwrap().key_id(), c.key_id());
        assert_eq!(
            CourierGrant::verify(&back, &other.verifying_key(), 1500),
            Err(GrantError::BadSignature)
        );
        assert!(matches!(
            CourierGrant::verify(&back, &m.verifying_key(), 2000),
            Err(GrantError::Expired { .. })
        ));
        assert!(matches!(
            CourierGrant::verify(&back, &m.verifying_key(), 999),
            Err(GrantError::Expired { .. })
        ));
        // Signed by another key in the member's name.
        let forged = grant(&m, &c).sign(&other);
        assert_eq!(
            CourierGrant::verify(&forged, &m.verifying_key(), 1500),
            Err(GrantError::BadSignature)
        );
        // Altered after signing.
        let mut altered = doc.clone();
        let mut g2 = grant(&m, &c);
        g2.not_after = 1_000_000;
        altered.payload = serde_json::to_vec(&g2).unwrap();
        assert_eq!(
            CourierGrant::verify(&altered, &m.verifying_key(), 1500),
            Err(GrantError::BadSignature)
        );
        // Too long, or another type.
        let mut long = grant(&m, &c);
        long.not_after = long.not_before + (MAX_DAYS + 1) * 86_400;
        assert!(matches!(
            CourierGrant::parse(&long.sign(&m)),
            Err(GrantError::Malformed(_))
        ));
        let mut other_type = doc;
        other_type.payload_type = "application/vnd.hotline.roster+json".into();
        assert!(matches!(
            CourierGrant::parse(&other_type),
            Err(GrantError::Malformed(_))
        ));
        assert!(from_header("not base64!").is_err());
    }
}
