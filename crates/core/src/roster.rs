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
//!   later version);
//! * every member carries a proof of possession ([`member_statement`]): its
//!   own signature binding its keys to the channel, its party and its name,
//!   so no party can enrol a key it does not hold;
//! * a key belongs to one party: a roster may not list a key that any other
//!   party's roster has ever listed, nor a charter party key, the relay key
//!   or a witness key ([`Directory::apply`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::charter::VerifiedCharter;
use crate::codec::DecodeError;
use crate::dsse::{SignedDocument, pae};
use crate::hpke_suite::Suite;
use crate::ids::ChannelId;
use crate::keys::{
    EncryptionPublicKey, EncryptionSecretKey, KeyId, MemberKeys, Signature, VerifyingKey,
};

/// DSSE payload type of a roster.
pub const ROSTER_PAYLOAD_TYPE: &str = "application/vnd.hotline.roster+json";
/// The PAE type of a member's proof of possession ([`member_statement`])
/// with an X25519 key (`hotline-v1`).
pub const MEMBER_PROOF_TYPE: &str = "application/vnd.hotline.member-proof.v1";
/// The PAE type of a member's proof of possession with an X-Wing key
/// (`hotline-v2-xwing`).
pub const MEMBER_PROOF_TYPE_XWING: &str = "application/vnd.hotline.member-proof.v2-xwing";
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
    /// Encryption key of the channel's suite, base64: X25519 (32 bytes) or
    /// X-Wing (1,216 bytes).
    pub encryption_key: String,
    /// Proof of possession: the member signing key's Ed25519 signature over
    /// [`member_statement`], base64. Required; a missing one parses as empty
    /// so that the refusal can say what is wrong.
    #[serde(default)]
    pub proof: String,
}

/// The bytes a member signs to prove it holds its signing key and agrees to
/// be listed under `name` in `party`'s roster of `channel` with these keys
/// (`docs/format.md` §3.2):
///
/// `PAE(type, channel[16] || party[32] || signing_key[32] || encryption_key || name)`
///
/// where `type` is [`MEMBER_PROOF_TYPE`] with an X25519 key (32 bytes) and
/// [`MEMBER_PROOF_TYPE_XWING`] with an X-Wing key (1,216 bytes), with the
/// name's UTF-8 bytes last (for each type everything before the name has a
/// fixed length).
pub fn member_statement(
    channel: &ChannelId,
    party: &KeyId,
    name: &str,
    signing_key: &VerifyingKey,
    encryption_key: &EncryptionPublicKey,
) -> Vec<u8> {
    let key = encryption_key.as_bytes();
    let mut body = Vec::with_capacity(80 + key.len() + name.len());
    body.extend_from_slice(&channel.0);
    body.extend_from_slice(&party.0);
    body.extend_from_slice(&signing_key.to_bytes());
    body.extend_from_slice(key);
    body.extend_from_slice(name.as_bytes());
    let kind = match encryption_key.suite() {
        Suite::V1 => MEMBER_PROOF_TYPE,
        Suite::XWing => MEMBER_PROOF_TYPE_XWING,
    };
    pae(kind, &body)
}

impl RosterMember {
    /// The roster entry of the member holding `keys`, listed as `name` in
    /// `party`'s roster of a `hotline-v1` channel, with its proof of
    /// possession ([`RosterMember::for_suite`] for a channel of any suite).
    pub fn new(channel: &ChannelId, party: &KeyId, name: &str, keys: &MemberKeys) -> RosterMember {
        Self::with_key(channel, party, name, keys, &keys.encryption)
    }

    /// The roster entry of the member holding `keys` in a channel of
    /// `suite`: refused if the keys have no encryption key of that suite (a
    /// profile made before the X-Wing suite, until its keys are rotated).
    pub fn for_suite(
        suite: Suite,
        channel: &ChannelId,
        party: &KeyId,
        name: &str,
        keys: &MemberKeys,
    ) -> Result<RosterMember, RosterError> {
        let key = keys.encryption_for(suite).ok_or_else(|| {
            RosterError::Invalid(format!(
                "member {name:?} has no {suite} encryption key: these keys were made before that suite; rotate them (`hotline key rotate`) to add one"
            ))
        })?;
        Ok(Self::with_key(channel, party, name, keys, key))
    }

    fn with_key(
        channel: &ChannelId,
        party: &KeyId,
        name: &str,
        keys: &MemberKeys,
        key: &EncryptionSecretKey,
    ) -> RosterMember {
        let signing_key = keys.signing.verifying_key();
        let encryption_key = key.public_key();
        let sig = keys.signing.sign(&member_statement(
            channel,
            party,
            name,
            &signing_key,
            &encryption_key,
        ));
        RosterMember {
            name: name.to_owned(),
            signing_key: signing_key.to_base64(),
            encryption_key: encryption_key.to_base64(),
            proof: crate::b64::encode(&sig.0),
        }
    }

    /// Checks the keys and the proof of possession for `party`'s roster of `channel`.
    pub fn verify(&self, channel: &ChannelId, party: &KeyId) -> Result<Member, RosterError> {
        let bad = |why: &str| RosterError::Invalid(format!("member {:?}: {why}", self.name));
        let signing_key = VerifyingKey::from_base64(&self.signing_key)?;
        if signing_key.is_weak() {
            return Err(bad("its signing key is weak (small order)"));
        }
        let encryption_key = EncryptionPublicKey::from_base64(&self.encryption_key)?;
        if self.proof.is_empty() {
            return Err(bad(
                "it carries no proof of possession (the member's own signature binding its keys to this channel, party and name); the member makes one with `hotline roster proof`",
            ));
        }
        let sig = Signature(
            crate::b64::decode_array(&self.proof, "member proof")
                .map_err(|_| bad("its proof of possession is not a base64 64-byte signature"))?,
        );
        signing_key
            .verify(
                &member_statement(channel, party, &self.name, &signing_key, &encryption_key),
                &sig,
            )
            .map_err(|_| {
                bad("its proof of possession does not verify: it was not made by this signing key for this channel, party, name and encryption key")
            })?;
        Ok(Member {
            name: self.name.clone(),
            signing_key,
            encryption_key,
        })
    }
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

    /// The members with parsed, checked keys and verified proofs of possession.
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
            let member = m.verify(&self.channel, &self.party)?;
            // Every key's bytes differ from every other key's, whatever
            // their kinds.
            let (s, e) = (
                member.signing_key.to_bytes(),
                member.encryption_key.as_bytes(),
            );
            if s[..] == *e
                || out.iter().any(|o| {
                    let (os, oe) = (o.signing_key.to_bytes(), o.encryption_key.as_bytes());
                    [&os[..], oe].contains(&&s[..]) || [&os[..], oe].contains(&e)
                })
            {
                return Err(RosterError::Invalid(format!(
                    "member {:?}: a key is listed twice",
                    m.name
                )));
            }
            out.push(member);
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

/// What a public key's 32 bytes already are in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    /// A charter party key, the relay key or a witness key (described).
    Reserved(String),
    /// A member key of the party in this charter slot; `true` for a signing key.
    Member(usize, bool),
}

/// Every party's roster history in one channel: who may sign at which log index.
#[derive(Debug, Clone)]
pub struct Directory {
    charter: VerifiedCharter,
    // Per party, in charter order; each party's versions in log order.
    histories: Vec<Vec<RosterVersion>>,
    // Every public key of the channel by its raw bytes: the charter's keys
    // and every member key any roster has listed.
    owners: BTreeMap<Vec<u8>, Owner>,
}

/// The 32 key bytes of a C2SP verifier key `name+id+base64(type || key)`,
/// if it has that shape (a key that does not parse equals no member key).
fn vkey_bytes(vkey: &str) -> Option<[u8; 32]> {
    let b64 = vkey.splitn(3, '+').nth(2)?;
    let raw: [u8; 33] = crate::b64::decode_array(b64, "verifier key").ok()?;
    raw[1..].try_into().ok()
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
        let c = charter.charter();
        let mut owners = BTreeMap::new();
        for p in &c.parties {
            if let Ok(k) = VerifyingKey::from_base64(&p.key) {
                owners.insert(
                    k.to_bytes().to_vec(),
                    Owner::Reserved(format!("the party key of {}", p.short)),
                );
            }
        }
        if let Some(k) = vkey_bytes(&c.relay.key) {
            owners.insert(k.to_vec(), Owner::Reserved("the relay's key".into()));
        }
        for w in &c.witnesses {
            if let Some(k) = vkey_bytes(&w.key) {
                let name = w.key.split('+').next().unwrap_or_default();
                owners.insert(
                    k.to_vec(),
                    Owner::Reserved(format!("the key of witness {name}")),
                );
            }
        }
        let n = c.parties.len();
        Directory {
            charter,
            histories: vec![Vec::new(); n],
            owners,
        }
    }

    /// Refuses a member key that is already another party's key, a party,
    /// relay or witness key, or this party's key of the other kind.
    fn check_owner(&self, slot: usize, m: &Member, signing: bool) -> Result<(), RosterError> {
        let (bytes, what) = if signing {
            (m.signing_key.to_bytes().to_vec(), "signing key")
        } else {
            (m.encryption_key.as_bytes().to_vec(), "encryption key")
        };
        let parties = &self.charter.charter().parties;
        let why = match self.owners.get(&bytes) {
            None => return Ok(()),
            Some(Owner::Member(s, k)) if *s == slot && *k == signing => return Ok(()),
            Some(Owner::Member(s, _)) if *s == slot => format!(
                "is listed earlier by this party as a {} key",
                if signing { "encryption" } else { "signing" }
            ),
            Some(Owner::Member(s, _)) => format!(
                "is already a key of party {} (listed in its roster): a key belongs to one party; the member makes its own keys",
                parties[*s].short
            ),
            Some(Owner::Reserved(d)) => {
                format!("is {d}: a member key is never also a party, relay or witness key")
            }
        };
        Err(RosterError::Invalid(format!(
            "member {:?}: its {what} ({}) {why}",
            m.name,
            if signing {
                m.signing_key.key_id().short()
            } else {
                m.encryption_key.key_id().short()
            }
        )))
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
        let suite = self.charter.suite();
        for m in &members {
            if m.encryption_key.suite() != suite {
                return Err(RosterError::Invalid(format!(
                    "member {:?}: its encryption key is of suite {}, but the channel's suite is {suite}",
                    m.name,
                    m.encryption_key.suite()
                )));
            }
            self.check_owner(slot, m, true)?;
            self.check_owner(slot, m, false)?;
        }
        let history = &self.histories[slot];
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
        for m in &members {
            self.owners
                .insert(m.signing_key.to_bytes().to_vec(), Owner::Member(slot, true));
            self.owners.insert(
                m.encryption_key.as_bytes().to_vec(),
                Owner::Member(slot, false),
            );
        }
        let history = &mut self.histories[slot];
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
