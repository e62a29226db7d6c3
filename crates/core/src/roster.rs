//! Rosters (DESIGN §3, `docs/format.md` §3.2): a party's members and keys.
//!
//! A roster is a JSON document in a DSSE envelope with payload type
//! [`ROSTER_PAYLOAD_TYPE`], signed by the party key. Rosters are log
//! entries, so every party sees the same key history. Rules:
//!
//! * version 1 has `previous: null`; version `n+1` names the SHA-256 of
//!   version `n`'s payload: a party's rosters form a hash chain;
//! * a roster takes effect for entries *after* its own log index;
//! * a key absent from the newest roster is revoked from that roster's log
//!   index on: entries it signs later are refused (a key may be re-added by a
//!   later version).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::charter::VerifiedCharter;
use crate::codec::DecodeError;
use crate::dsse::SignedDocument;
use crate::ids::ChannelId;
use crate::keys::{EncryptionPublicKey, KeyId, VerifyingKey};

/// DSSE payload type of a roster.
pub const ROSTER_PAYLOAD_TYPE: &str = "application/vnd.hotline.roster+json";
/// Most members in one roster.
pub const MAX_MEMBERS: usize = 256;

/// One member as a roster lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterMember {
    /// Display name, e.g. "Duty officer (A. Berg)".
    pub name: String,
    /// Ed25519 signing key, base64.
    pub signing_key: String,
    /// X25519 encryption key, base64.
    pub encryption_key: String,
}

/// The roster document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// Format version; 1.
    pub v: u8,
    /// The channel.
    pub channel: ChannelId,
    /// The party (its party key id).
    pub party: KeyId,
    /// 1, 2, 3, …
    pub version: u64,
    /// SHA-256 (hex) of the previous version's payload; `null` for version 1.
    pub previous: Option<String>,
    /// When it was issued, RFC 3339 UTC.
    pub issued: String,
    /// The members; at least one.
    pub members: Vec<RosterMember>,
}

/// A member with parsed keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Display name.
    pub name: String,
    /// Signing key.
    pub signing_key: VerifyingKey,
    /// Encryption key.
    pub encryption_key: EncryptionPublicKey,
}

/// Why a roster is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterError {
    /// Not a well-formed roster.
    #[error("malformed roster: {0}")]
    Malformed(#[from] DecodeError),
    /// Not signed by the party key.
    #[error("the roster is not signed by its party's key")]
    BadSignature,
    /// Breaks a rule.
    #[error("invalid roster: {0}")]
    Invalid(String),
}

impl Roster {
    /// An unsigned DSSE document carrying this roster.
    pub fn to_document(&self) -> Result<SignedDocument, RosterError> {
        self.parsed_members()?;
        let payload = serde_json::to_vec(self).map_err(|e| RosterError::Invalid(e.to_string()))?;
        Ok(SignedDocument::new(ROSTER_PAYLOAD_TYPE, payload))
    }

    /// The members with parsed, checked keys.
    pub fn parsed_members(&self) -> Result<Vec<Member>, RosterError> {
        if self.v != 1 {
            return Err(RosterError::Invalid(format!(
                "unsupported version {}",
                self.v
            )));
        }
        if self.members.is_empty() || self.members.len() > MAX_MEMBERS {
            return Err(RosterError::Invalid(format!(
                "{} members; between 1 and {MAX_MEMBERS} are allowed",
                self.members.len()
            )));
        }
        let mut out: Vec<Member> = Vec::with_capacity(self.members.len());
        for m in &self.members {
            let signing_key = VerifyingKey::from_base64(&m.signing_key)?;
            if signing_key.is_weak() {
                return Err(RosterError::Invalid(format!(
                    "member {:?} has a weak signing key",
                    m.name
                )));
            }
            let encryption_key = EncryptionPublicKey::from_base64(&m.encryption_key)?;
            if out
                .iter()
                .any(|o| o.signing_key == signing_key || o.encryption_key == encryption_key)
            {
                return Err(RosterError::Invalid(format!(
                    "member {:?}: a key is listed twice",
                    m.name
                )));
            }
            out.push(Member {
                name: m.name.clone(),
                signing_key,
                encryption_key,
            });
        }
        Ok(out)
    }
}

/// SHA-256 of a roster payload, lower-case hex (the `previous` link).
pub fn payload_hash(payload: &[u8]) -> String {
    hex::encode(Sha256::digest(payload))
}

/// One accepted roster version and where it sits in the log.
#[derive(Debug, Clone)]
pub struct RosterVersion {
    /// Its log index.
    pub index: u64,
    /// The roster.
    pub roster: Roster,
    /// Its members, parsed.
    pub members: Vec<Member>,
    /// The signed document, as logged.
    pub document: SignedDocument,
}

/// Every party's roster history in one channel: who may sign at which log index.
#[derive(Debug, Clone)]
pub struct Directory {
    charter: VerifiedCharter,
    // Per party, in charter order; each party's versions in log order.
    histories: Vec<Vec<RosterVersion>>,
}

/// Who signed an entry, as the rosters say.
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    /// The party's id.
    pub party: KeyId,
    /// The member.
    pub member: &'a Member,
}

impl Directory {
    /// A directory with no rosters yet.
    pub fn new(charter: VerifiedCharter) -> Directory {
        let n = charter.charter().parties.len();
        Directory {
            charter,
            histories: vec![Vec::new(); n],
        }
    }

    /// The charter.
    pub fn charter(&self) -> &VerifiedCharter {
        &self.charter
    }

    /// Checks and applies the roster logged at `index` (indexes must increase).
    pub fn apply(
        &mut self,
        index: u64,
        doc: &SignedDocument,
    ) -> Result<&RosterVersion, RosterError> {
        if doc.payload_type != ROSTER_PAYLOAD_TYPE {
            return Err(RosterError::Invalid(format!(
                "payload type {:?} is not a roster",
                doc.payload_type
            )));
        }
        let roster: Roster = serde_json::from_slice(&doc.payload)
            .map_err(|e| RosterError::Malformed(DecodeError::invalid("roster", e.to_string())))?;
        let charter = self.charter.charter();
        if roster.channel != self.charter.channel() {
            return Err(RosterError::Invalid(
                "the roster names another channel".into(),
            ));
        }
        let slot = charter
            .parties
            .iter()
            .position(|p| p.id == roster.party)
            .ok_or_else(|| {
                RosterError::Invalid(format!(
                    "party {} is not in the charter",
                    roster.party.short()
                ))
            })?;
        let party_key = VerifyingKey::from_base64(&charter.parties[slot].key)?;
        doc.verify_by(&party_key)
            .map_err(|_| RosterError::BadSignature)?;
        if doc.signatures.len() != 1 {
            return Err(RosterError::Invalid(
                "a roster carries exactly one signature, its party's".into(),
            ));
        }
        let members = roster.parsed_members()?;
        let history = &mut self.histories[slot];
        let expected_previous = history.last().map(|v| payload_hash(&v.document.payload));
        let expected_version = history.len() as u64 + 1;
        if roster.version != expected_version {
            return Err(RosterError::Invalid(format!(
                "version {} follows version {}; expected {expected_version}",
                roster.version,
                expected_version - 1
            )));
        }
        if roster.previous != expected_previous {
            return Err(RosterError::Invalid(
                "the previous-version hash does not match".into(),
            ));
        }
        if history.last().is_some_and(|v| v.index >= index) {
            return Err(RosterError::Invalid(
                "roster log indexes must increase".into(),
            ));
        }
        time::OffsetDateTime::parse(
            &roster.issued,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|_| RosterError::Invalid("issued is not an RFC 3339 time".into()))?;
        history.push(RosterVersion {
            index,
            roster,
            members,
            document: doc.clone(),
        });
        // Just pushed.
        Ok(&history[history.len() - 1])
    }

    fn effective(history: &[RosterVersion], index: u64) -> Option<&RosterVersion> {
        history.iter().rev().find(|v| v.index < index)
    }

    /// The member whose signing key has `key_id`, if that key is valid for
    /// an entry at log `index` (present in its party's roster in effect there).
    pub fn signer_at(&self, key_id: &KeyId, index: u64) -> Option<Signer<'_>> {
        for (slot, history) in self.histories.iter().enumerate() {
            if let Some(v) = Self::effective(history, index)
                && let Some(member) = v.members.iter().find(|m| &m.signing_key.key_id() == key_id)
            {
                return Some(Signer {
                    party: self.charter.charter().parties[slot].id,
                    member,
                });
            }
        }
        None
    }

    /// The current members of every party (for sealing to the whole channel).
    pub fn current_members(&self) -> Vec<(KeyId, &Member)> {
        let parties = &self.charter.charter().parties;
        self.histories
            .iter()
            .zip(parties)
            .filter_map(|(h, p)| h.last().map(|v| (p.id, v)))
            .flat_map(|(id, v)| v.members.iter().map(move |m| (id, m)))
            .collect()
    }

    /// A party's roster history.
    pub fn history(&self, party: &KeyId) -> &[RosterVersion] {
        self.charter
            .charter()
            .parties
            .iter()
            .position(|p| &p.id == party)
            .map(|i| self.histories[i].as_slice())
            .unwrap_or(&[])
    }
}
