//! Charters (DESIGN §3, `docs/format.md` §3.1): entry 0 of a channel's log.
//!
//! A charter is a JSON document in a DSSE envelope with payload type
//! [`CHARTER_PAYLOAD_TYPE`], signed by the party key of every party it
//! names, and by no other key. The channel id is derived from the exact
//! payload bytes ([`ChannelId::for_charter_payload`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::codec::DecodeError;
use crate::dsse::SignedDocument;
pub use crate::hpke_suite::Suite;
use crate::ids::ChannelId;
use crate::keys::{KeyId, VerifyingKey};
use crate::message::{Kind, Tlp, string_enum};

/// DSSE payload type of a charter.
pub const CHARTER_PAYLOAD_TYPE: &str = "application/vnd.hotline.charter+json";
/// The cipher suite name of version 1 (see [`Suite`] for every suite).
pub const SUITE_NAME: &str = Suite::V1.name();
/// Most parties in one channel.
pub const MAX_PARTIES: usize = 32;

/// A party as the charter names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharterParty {
    /// The party key's id.
    pub id: KeyId,
    /// Display name, e.g. "Northland CERT".
    pub name: String,
    /// A short handle: lower-case letters, digits and `-`, e.g. `northland`.
    pub short: String,
    /// The party's Ed25519 public key, base64.
    pub key: String,
}

/// The relay that carries the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayInfo {
    /// Base URL, e.g. `https://relay.example:8443`.
    pub url: String,
    /// Its checkpoint key as a C2SP signed-note verifier key (`name+hash+base64`).
    pub key: String,
}

/// An independent witness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessInfo {
    /// Its C2SP cosigner verifier key (`name+hash+base64`, type 0x04).
    pub key: String,
    /// Where it accepts `add-checkpoint` requests.
    pub url: String,
}

/// Deadlines for one kind, in seconds after the relay sequenced the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// An `ack` (or, for `ping`, a `pong`) is due within this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_within: Option<u64>,
    /// An `answer` is due within this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_within: Option<u64>,
}

string_enum! {
    /// Who must consent before correspondence is disclosed.
    DisclosureRule {
        /// Every party of the channel.
        Unanimous => "unanimous",
    }
}

/// The charter document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charter {
    /// Format version; 1.
    pub v: u8,
    /// What the channel is for.
    pub title: String,
    /// 16 random bytes, hex: two charters never share an id.
    pub nonce: String,
    /// When it was drafted, RFC 3339 UTC.
    pub created: String,
    /// The parties, at least two.
    pub parties: Vec<CharterParty>,
    /// The relay.
    pub relay: RelayInfo,
    /// Witnesses that cosign checkpoints.
    #[serde(default)]
    pub witnesses: Vec<WitnessInfo>,
    /// How many witness cosignatures a checkpoint needs.
    pub witness_quorum: u32,
    /// Deadlines per case-opening kind and for `ping`.
    pub deadlines: BTreeMap<Kind, Deadline>,
    /// The disclosure rule.
    pub disclosure: DisclosureRule,
    /// TLP label of messages that do not set one.
    pub default_tlp: Tlp,
    /// Days after which old encryption keys are deleted.
    pub retention_days: u32,
    /// Cipher suite: `hotline-v2-xwing` or `hotline-v1` ([`Suite::name`]).
    pub suite: String,
}

/// Why a charter is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CharterError {
    /// Not a well-formed charter.
    #[error("malformed charter: {0}")]
    Malformed(#[from] DecodeError),
    /// Well-formed but breaks a rule.
    #[error("invalid charter: {0}")]
    Invalid(String),
    /// A party's signature is missing or does not verify.
    #[error("the charter is not signed by party {0:?}")]
    MissingSignature(String),
    /// Signed by a key that is not a party's.
    #[error("the charter carries a signature by {0}, which is not a party key")]
    StraySignature(KeyId),
}

fn valid_short(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

impl Charter {
    /// The cipher suite, if it is one this version knows (a validated
    /// charter's always is).
    pub fn cipher_suite(&self) -> Result<Suite, CharterError> {
        Suite::from_name(&self.suite)
            .ok_or_else(|| CharterError::Invalid(format!("unknown suite {:?}", self.suite)))
    }

    /// Checks the rules a charter must meet on its own.
    pub fn validate(&self) -> Result<(), CharterError> {
        let bad = |m: String| Err(CharterError::Invalid(m));
        if self.v != 1 {
            return bad(format!("unsupported version {}", self.v));
        }
        if Suite::from_name(&self.suite).is_none() {
            return bad(format!(
                "unknown suite {:?}; this version supports {}",
                self.suite,
                Suite::ALL
                    .iter()
                    .map(|s| format!("{:?}", s.name()))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
        if self.parties.len() < 2 || self.parties.len() > MAX_PARTIES {
            return bad(format!(
                "{} parties; between 2 and {MAX_PARTIES} are required",
                self.parties.len()
            ));
        }
        if self.nonce.len() != 32 || hex::decode(&self.nonce).is_err() {
            return bad("nonce must be 32 hex digits".into());
        }
        time::OffsetDateTime::parse(
            &self.created,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|_| CharterError::Invalid("created is not an RFC 3339 time".into()))?;
        for (i, p) in self.parties.iter().enumerate() {
            let key = VerifyingKey::from_base64(&p.key)?;
            if key.is_weak() {
                return bad(format!("party {:?} has a weak key", p.short));
            }
            if key.key_id() != p.id {
                return bad(format!("party {:?}: id does not match its key", p.short));
            }
            if !valid_short(&p.short) {
                return bad(format!(
                    "party short name {:?} must be lower-case letters, digits and '-'",
                    p.short
                ));
            }
            if self.parties[..i]
                .iter()
                .any(|q| q.id == p.id || q.short == p.short)
            {
                return bad(format!("party {:?} is listed twice", p.short));
            }
        }
        if self.witness_quorum as usize > self.witnesses.len() {
            return bad(format!(
                "witness quorum {} exceeds the {} witnesses listed",
                self.witness_quorum,
                self.witnesses.len()
            ));
        }
        for k in self.deadlines.keys() {
            if !(k.opens_case() || *k == Kind::Ping) {
                return bad(format!(
                    "deadlines may be set for case-opening kinds and ping, not {k}"
                ));
            }
        }
        if self.relay.url.is_empty() || self.relay.key.is_empty() {
            return bad("the relay's URL and key are required".into());
        }
        Ok(())
    }

    /// The party with this id.
    pub fn party(&self, id: &KeyId) -> Option<&CharterParty> {
        self.parties.iter().find(|p| &p.id == id)
    }

    /// The party with this short name.
    pub fn party_by_short(&self, short: &str) -> Option<&CharterParty> {
        self.parties.iter().find(|p| p.short == short)
    }

    /// The deadlines for `kind` (none if the charter sets none).
    pub fn deadline(&self, kind: Kind) -> Deadline {
        self.deadlines.get(&kind).copied().unwrap_or(Deadline {
            ack_within: None,
            answer_within: None,
        })
    }

    /// An unsigned DSSE document carrying this charter.
    pub fn to_document(&self) -> Result<SignedDocument, CharterError> {
        self.validate()?;
        let payload = serde_json::to_vec(self).map_err(|e| CharterError::Invalid(e.to_string()))?;
        Ok(SignedDocument::new(CHARTER_PAYLOAD_TYPE, payload))
    }
}

/// A charter whose every party signature verified. Only [`VerifiedCharter::verify`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCharter {
    charter: Charter,
    channel: ChannelId,
    suite: Suite,
    document: SignedDocument,
}

impl VerifiedCharter {
    /// Parses and verifies a signed charter: every party signed, nobody else.
    pub fn verify(doc: &SignedDocument) -> Result<VerifiedCharter, CharterError> {
        let charter = parse_unverified(doc)?;
        for p in &charter.parties {
            let key = VerifyingKey::from_base64(&p.key)?;
            doc.verify_by(&key)
                .map_err(|_| CharterError::MissingSignature(p.short.clone()))?;
        }
        if let Some(s) = doc
            .signatures
            .iter()
            .find(|s| charter.party(&s.key_id).is_none())
        {
            return Err(CharterError::StraySignature(s.key_id));
        }
        Ok(VerifiedCharter {
            channel: ChannelId::for_charter_payload(&doc.payload),
            suite: charter.cipher_suite()?,
            charter,
            document: doc.clone(),
        })
    }

    /// The charter.
    pub fn charter(&self) -> &Charter {
        &self.charter
    }

    /// The channel id.
    pub fn channel(&self) -> ChannelId {
        self.channel
    }

    /// The cipher suite (parsed once, when verified).
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The signed document.
    pub fn document(&self) -> &SignedDocument {
        &self.document
    }
}

/// Parses a charter document without checking signatures (to show a draft
/// to a party before it signs). Checks the payload type and the rules.
pub fn parse_unverified(doc: &SignedDocument) -> Result<Charter, CharterError> {
    if doc.payload_type != CHARTER_PAYLOAD_TYPE {
        return Err(CharterError::Invalid(format!(
            "payload type {:?} is not {CHARTER_PAYLOAD_TYPE:?}",
            doc.payload_type
        )));
    }
    let charter: Charter = serde_json::from_slice(&doc.payload)
        .map_err(|e| CharterError::Malformed(DecodeError::invalid("charter", e.to_string())))?;
    charter.validate()?;
    Ok(charter)
}
