//! Setting up a channel: drafting its charter from the parties' public
//! profiles, and building a party's next roster version from the log.

use std::collections::BTreeMap;

use hotline_core::charter::{
    Charter, CharterParty, Deadline, DisclosureRule, RelayInfo, WitnessInfo,
};
use hotline_core::dsse::SignedDocument;
use hotline_core::entry::Entry;
use hotline_core::ids::ChannelId;
use hotline_core::keys::KeyId;
use hotline_core::message::{Kind, Tlp};
use hotline_core::roster::{Roster, RosterMember, payload_hash};
use rand_core::CryptoRngCore;

use crate::archive::{Archive, ArchiveError};
use crate::profile::PartyInfo;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// The deadlines a new charter proposes (parties may edit the draft before
/// signing it): acknowledgement and answer per case-opening kind, and the
/// `pong` to a `ping` (as its acknowledgement).
pub fn default_deadlines() -> BTreeMap<Kind, Deadline> {
    let d = |ack: u64, answer: Option<u64>| Deadline {
        ack_within: Some(ack),
        answer_within: answer,
    };
    BTreeMap::from([
        (Kind::Inquiry, d(DAY, Some(7 * DAY))),
        (Kind::Assistance, d(4 * HOUR, Some(3 * DAY))),
        (Kind::Warning, d(4 * HOUR, None)),
        (Kind::Deconfliction, d(HOUR, Some(DAY))),
        (Kind::Consultation, d(3 * DAY, Some(30 * DAY))),
        (Kind::Ping, d(HOUR, None)),
    ])
}

/// A draft charter for `parties`, carried by the relay at `relay_url` with
/// verifier key `relay_key`. Unsigned; every party signs it.
pub fn draft(
    title: &str,
    parties: &[PartyInfo],
    relay_url: &str,
    relay_key: &str,
    witnesses: Vec<WitnessInfo>,
    witness_quorum: u32,
    rng: &mut impl CryptoRngCore,
) -> Result<SignedDocument, hotline_core::charter::CharterError> {
    let mut nonce = [0u8; 16];
    rng.fill_bytes(&mut nonce);
    let created = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let c = Charter {
        v: 1,
        title: title.into(),
        nonce: hex::encode(nonce),
        created,
        parties: parties
            .iter()
            .map(|p| CharterParty {
                id: p.id,
                name: p.name.clone(),
                short: p.short.clone(),
                key: p.key.clone(),
            })
            .collect(),
        relay: RelayInfo {
            url: relay_url.into(),
            key: relay_key.into(),
        },
        witnesses,
        witness_quorum,
        deadlines: default_deadlines(),
        disclosure: DisclosureRule::Unanimous,
        default_tlp: Tlp::Amber,
        retention_days: 365,
        suite: "hotline-v1".into(),
    };
    c.validate()?;
    c.to_document()
}

/// Every roster entry of the mirrored log `origin` below `before`, with its
/// index, in log order.
pub fn roster_docs(
    archive: &Archive,
    origin: &str,
    before: u64,
) -> Result<Vec<(u64, SignedDocument)>, ArchiveError> {
    let size = hotline_log::storage::LogStore::size(&archive.log, origin)?.min(before);
    let mut out = Vec::new();
    let mut at = 1;
    while at < size {
        let end = size.min(at + 1024);
        for (i, e) in hotline_log::storage::LogStore::read_entries(&archive.log, origin, at, end)?
            .iter()
            .enumerate()
        {
            if let Ok(Entry::Roster(doc)) = Entry::from_bytes(e) {
                out.push((at + i as u64, doc));
            }
        }
        at = end;
    }
    Ok(out)
}

/// The latest roster of `party` in the archive's mirror of `channel`.
pub fn latest_roster(
    archive: &Archive,
    channel: &ChannelId,
    party: &KeyId,
) -> Result<Option<(Roster, SignedDocument)>, ArchiveError> {
    let rec = archive.channel(channel)?;
    Ok(roster_docs(archive, &rec.origin, u64::MAX)?
        .into_iter()
        .rev()
        .find_map(|(_, doc)| {
            serde_json::from_slice::<Roster>(&doc.payload)
                .ok()
                .filter(|r| r.party == *party)
                .map(|r| (r, doc))
        }))
}

/// The next roster version of `party` listing `members` (unsigned): version
/// 1, or one more than the latest in the log, chained to it. Each member
/// carries its own proof of possession ([`RosterMember::new`], [`MemberProof`]).
pub fn next_roster(
    archive: &Archive,
    channel: &ChannelId,
    party: &KeyId,
    members: &[RosterMember],
) -> Result<Roster, ArchiveError> {
    let last = latest_roster(archive, channel, party)?;
    Ok(chained(channel, party, last.as_ref(), members.to_vec()))
}

/// Why a roster update is refused.
#[derive(Debug, thiserror::Error)]
pub enum RosterUpdateError {
    /// The archive failed.
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    /// The change does not make sense against the current roster.
    #[error("{0}")]
    Invalid(String),
}

/// The next roster version of `party`: its current members (per the
/// archive's mirror, which must be synced), less those whose signing key id
/// is in `revoke`, plus `add`. Refuses a revocation of a key that is not
/// listed, an addition of a key that is, and a roster left empty. The
/// members kept carry their proofs over from the current version (they bind
/// only the channel, the party, the name and the keys, none of which changed).
pub fn updated_roster(
    archive: &Archive,
    channel: &ChannelId,
    party: &KeyId,
    add: &[RosterMember],
    revoke: &[KeyId],
) -> Result<Roster, RosterUpdateError> {
    if add.is_empty() && revoke.is_empty() {
        return Err(RosterUpdateError::Invalid(
            "nothing to change: name members to add or keys to revoke".into(),
        ));
    }
    let last = latest_roster(archive, channel, party)?;
    let mut members = last
        .as_ref()
        .map(|(r, _)| r.members.clone())
        .unwrap_or_default();
    let id_of = |m: &RosterMember| {
        hotline_core::keys::VerifyingKey::from_base64(&m.signing_key)
            .map(|k| k.key_id())
            .ok()
    };
    for id in revoke {
        let before = members.len();
        members.retain(|m| id_of(m) != Some(*id));
        if members.len() == before {
            return Err(RosterUpdateError::Invalid(format!(
                "{id} is not a member key in the party's current roster"
            )));
        }
    }
    for m in add {
        if members
            .iter()
            .any(|x| x.signing_key == m.signing_key || x.encryption_key == m.encryption_key)
        {
            return Err(RosterUpdateError::Invalid(format!(
                "{} ({}) is listed already",
                m.name,
                id_of(m).map(|k| k.to_hex()).unwrap_or_default()
            )));
        }
        members.push(m.clone());
    }
    if members.is_empty() {
        return Err(RosterUpdateError::Invalid(
            "a roster lists at least one member: add the replacement in the same update".into(),
        ));
    }
    Ok(chained(channel, party, last.as_ref(), members))
}

/// The `type` of a [`MemberProof`] file.
pub const MEMBER_PROOF_FILE_TYPE: &str = "hotline.member-proof";

/// What a new member hands its party's key holder (`hotline roster proof`):
/// its roster entry, with the proof of possession made by its own signing
/// key for this channel and party. Public; nothing in it is secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberProof {
    /// [`MEMBER_PROOF_FILE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Format version; 1.
    pub v: u8,
    /// The channel the proof is for.
    pub channel: ChannelId,
    /// The party the member joins.
    pub party: KeyId,
    /// The roster entry, proof included.
    pub member: RosterMember,
}

impl MemberProof {
    /// The proof of the member holding `keys`, to be listed as `name` by `party` in `channel`.
    pub fn new(
        channel: &ChannelId,
        party: &KeyId,
        name: &str,
        keys: &hotline_core::keys::MemberKeys,
    ) -> MemberProof {
        MemberProof {
            kind: MEMBER_PROOF_FILE_TYPE.into(),
            v: 1,
            channel: *channel,
            party: *party,
            member: RosterMember::new(channel, party, name, keys),
        }
    }

    /// The roster entry, if this proof is for `party` in `channel` and verifies.
    pub fn check(
        &self,
        channel: &ChannelId,
        party: &KeyId,
    ) -> Result<RosterMember, RosterUpdateError> {
        let bad = |m: String| RosterUpdateError::Invalid(m);
        if self.kind != MEMBER_PROOF_FILE_TYPE || self.v != 1 {
            return Err(bad(format!(
                "not a member proof (type {:?} version {})",
                self.kind, self.v
            )));
        }
        if self.channel != *channel {
            return Err(bad(format!(
                "member {:?}: the proof is for channel {}, not {}; the member makes one for this channel with `hotline roster proof --channel {}`",
                self.member.name,
                self.channel.to_hex(),
                channel.to_hex(),
                channel.to_hex()
            )));
        }
        if self.party != *party {
            return Err(bad(format!(
                "member {:?}: the proof is for party {}, not this party {}; the member makes one for this party with `hotline roster proof --party {}`",
                self.member.name,
                self.party.short(),
                party.short(),
                party.to_hex()
            )));
        }
        self.member
            .verify(channel, party)
            .map_err(|e| bad(e.to_string()))?;
        Ok(self.member.clone())
    }
}

fn chained(
    channel: &ChannelId,
    party: &KeyId,
    last: Option<&(Roster, SignedDocument)>,
    members: Vec<RosterMember>,
) -> Roster {
    Roster {
        v: 1,
        channel: *channel,
        party: *party,
        version: last.map(|(r, _)| r.version + 1).unwrap_or(1),
        previous: last.map(|(_, d)| payload_hash(&d.payload)),
        issued: time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        members,
    }
}

/// The party `member` (a signing key id) belongs to in the channel's
/// current rosters, per the archive's mirror.
pub fn party_of(
    archive: &Archive,
    channel: &ChannelId,
    member: &KeyId,
) -> Result<Option<KeyId>, ArchiveError> {
    let rec = archive.channel(channel)?;
    let doc = SignedDocument::from_json(&rec.charter).map_err(|e| {
        ArchiveError::Db(
            std::path::PathBuf::new(),
            format!("the stored charter: {e}"),
        )
    })?;
    let charter = hotline_core::charter::VerifiedCharter::verify(&doc).map_err(|e| {
        ArchiveError::Db(
            std::path::PathBuf::new(),
            format!("the stored charter: {e}"),
        )
    })?;
    let size = hotline_log::storage::LogStore::size(&archive.log, &rec.origin)?;
    let dir = crate::sync::directory(archive, &rec.origin, size, &charter)?;
    Ok(dir.signer_at(member, size).map(|s| s.party))
}

/// Checks `doc`, a party's next roster, against the channel's key directory
/// as the archive's mirror holds it (the rules the relay and every client
/// apply, `docs/format.md` §3.2), so that a roster the relay would refuse is
/// refused before it is posted, with the same reason. A mirror without the
/// charter entry (a profile that cannot sync) checks nothing.
pub fn check_next_roster(
    archive: &Archive,
    channel: &ChannelId,
    doc: &SignedDocument,
) -> Result<(), RosterUpdateError> {
    let rec = archive.channel(channel)?;
    let size = hotline_log::storage::LogStore::size(&archive.log, &rec.origin)
        .map_err(ArchiveError::from)?;
    if size == 0 {
        return Ok(());
    }
    let charter = SignedDocument::from_json(&rec.charter)
        .ok()
        .and_then(|d| hotline_core::charter::VerifiedCharter::verify(&d).ok())
        .ok_or_else(|| RosterUpdateError::Invalid("the stored charter does not verify".into()))?;
    let mut dir = crate::sync::directory(archive, &rec.origin, size, &charter)?;
    dir.apply(size, doc)
        .map(|_| ())
        .map_err(|e| RosterUpdateError::Invalid(e.to_string()))
}
