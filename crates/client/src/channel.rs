//! Setting up a channel: drafting its charter from the parties' public
//! profiles, and building a party's next roster version from the log.

use std::collections::BTreeMap;

use hotline_core::charter::{
    Charter, CharterParty, Deadline, DisclosureRule, RelayInfo, Suite, WitnessInfo,
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
/// verifier key `relay_key`, in cipher suite `suite` (new channels:
/// [`Suite::DEFAULT`], the X-Wing hybrid). Unsigned; every party signs it.
#[allow(clippy::too_many_arguments)]
pub fn draft(
    title: &str,
    parties: &[PartyInfo],
    relay_url: &str,
    relay_key: &str,
    witnesses: Vec<WitnessInfo>,
    witness_quorum: u32,
    suite: Suite,
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
        suite: suite.name().into(),
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
    /// The proof of the member holding `keys`, to be listed as `name` by
    /// `party` in `channel`, whose cipher suite is `suite` (the proof names
    /// the member's encryption key of that suite). Refused if the keys have
    /// none of that suite (made before it; rotating them adds one).
    pub fn new(
        suite: Suite,
        channel: &ChannelId,
        party: &KeyId,
        name: &str,
        keys: &hotline_core::keys::MemberKeys,
    ) -> Result<MemberProof, RosterUpdateError> {
        Ok(MemberProof {
            kind: MEMBER_PROOF_FILE_TYPE.into(),
            v: 1,
            channel: *channel,
            party: *party,
            member: RosterMember::for_suite(suite, channel, party, name, keys)
                .map_err(|e| RosterUpdateError::Invalid(e.to_string()))?,
        })
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

/// The cipher suite of a channel in the archive, from its stored charter.
pub fn suite_of(archive: &Archive, channel: &ChannelId) -> Result<Suite, ArchiveError> {
    let rec = archive.channel(channel)?;
    let bad = |e: String| {
        ArchiveError::Db(
            std::path::PathBuf::new(),
            format!("the stored charter: {e}"),
        )
    };
    let doc = SignedDocument::from_json(&rec.charter).map_err(|e| bad(e.to_string()))?;
    hotline_core::charter::parse_unverified(&doc)
        .and_then(|c| c.cipher_suite())
        .map_err(|e| bad(e.to_string()))
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

// ---------------------------------------------------------------------------
// The set-up steps by file exchange (`docs/client.md`, "Setting up a
// channel"): what `hotline channel draft|sign|register|join` and `hotline
// roster publish` do, and the web UI's set-up pages, both calling these.

/// Why a set-up step failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A file given as a party's public profile is not one.
    #[error("{0} is not a profile.json (the public profile `hotline init` writes): {1}")]
    NotAProfile(String, String),
    /// A public profile without a party.
    #[error("{0} holds no party: its owner runs `hotline init --party-name … --party-short …`")]
    NoParty(String),
    /// A file given as a charter is not a signed document.
    #[error("{0} is not a charter file (a DSSE JSON document): {1}")]
    NotADocument(String, String),
    /// A draft option is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The charter breaks a rule, or a party's signature is missing or bad.
    #[error("{0}")]
    Charter(#[from] hotline_core::charter::CharterError),
    /// This profile's party is not a party of the charter.
    #[error("{0} is not a party of this charter")]
    NotAParty(String),
    /// This profile holds no party key.
    #[error("this profile holds no party key; the party's key holder does this step")]
    NoPartyKey,
    /// The relay refused or could not be reached.
    #[error("{0}")]
    Relay(#[from] crate::relay_client::RelayError),
    /// The archive failed.
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    /// The sync before a roster raised an alarm.
    #[error("sync raised an alarm ({0}: {1}); not publishing")]
    Alarm(String, String),
    /// The sync failed otherwise.
    #[error("{0}")]
    Sync(String),
    /// The roster is refused.
    #[error("not publishing this roster: {0}")]
    Roster(#[from] RosterUpdateError),
    /// The roster was acknowledged but not found logged.
    #[error(
        "the relay acknowledged roster version {version} of {party} at log index {index} but did not log it: {why}. \
         The roster is NOT in effect (nothing it adds or revokes has happened): try again, and report the relay"
    )]
    NotConfirmed {
        /// The roster's version.
        version: u64,
        /// The party's short name.
        party: String,
        /// Where the relay said it logged it.
        index: u64,
        /// What the confirmation found.
        why: String,
    },
}

/// The party of a public profile (`profile.json`); `name` names the file
/// in errors.
pub fn party_of_profile_json(name: &str, bytes: &[u8]) -> Result<PartyInfo, SetupError> {
    let info: crate::profile::ProfileInfo = serde_json::from_slice(bytes)
        .map_err(|e| SetupError::NotAProfile(name.into(), e.to_string()))?;
    info.party.ok_or_else(|| SetupError::NoParty(name.into()))
}

/// A witness given as `VKEY=URL` (`hotline channel draft --witness`).
pub fn parse_witness(s: &str) -> Result<WitnessInfo, SetupError> {
    let (key, url) = s
        .split_once('=')
        .filter(|(k, u)| !k.trim().is_empty() && !u.trim().is_empty())
        .ok_or_else(|| SetupError::Invalid(format!("witness {s:?}: expected VKEY=URL")))?;
    Ok(WitnessInfo {
        key: key.trim().into(),
        url: url.trim().into(),
    })
}

/// A duration of a deadline: seconds, or a number with `s`, `m`, `h` or `d`.
fn parse_secs(s: &str) -> Option<u64> {
    let s = s.trim();
    let (n, unit) = match s.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 's'),
    };
    let n: u64 = n.trim().parse().ok()?;
    let mul = match unit {
        's' => 1,
        'm' => 60,
        'h' => HOUR,
        'd' => DAY,
        _ => return None,
    };
    n.checked_mul(mul).filter(|v| *v > 0)
}

/// A deadline given as `KIND=ACK[/ANSWER]` (`hotline channel draft
/// --deadline inquiry=24h/7d`; `ANSWER` may be `-` for none): the kind and
/// its deadline.
pub fn parse_deadline(s: &str) -> Result<(Kind, Deadline), SetupError> {
    let bad = || {
        SetupError::Invalid(format!(
            "deadline {s:?}: expected KIND=ACK[/ANSWER], e.g. inquiry=24h/7d (units s, m, h, d; ANSWER may be - for none)"
        ))
    };
    let (kind, rest) = s.split_once('=').ok_or_else(bad)?;
    let kind: Kind = kind.trim().parse().map_err(|_| bad())?;
    if !(kind.opens_case() || kind == Kind::Ping) {
        return Err(SetupError::Invalid(format!(
            "deadline {s:?}: deadlines are set for the case-opening kinds and ping, not {kind}"
        )));
    }
    let (ack, answer) = match rest.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let ack_within = Some(parse_secs(ack).ok_or_else(bad)?);
    let answer_within = match answer.map(str::trim) {
        None | Some("-") | Some("") => None,
        Some(b) => Some(parse_secs(b).ok_or_else(bad)?),
    };
    Ok((
        kind,
        Deadline {
            ack_within,
            answer_within,
        },
    ))
}

/// What a draft charter holds besides its parties (`hotline channel draft`'s
/// options).
#[derive(Debug, Clone)]
pub struct DraftOptions {
    /// What the channel is for.
    pub title: String,
    /// The relay's URL.
    pub relay_url: String,
    /// The relay's verifier key.
    pub relay_key: String,
    /// The witnesses.
    pub witnesses: Vec<WitnessInfo>,
    /// Cosignatures a checkpoint needs; `None`: every witness.
    pub witness_quorum: Option<u32>,
    /// Deadlines that replace the defaults ([`default_deadlines`]) of their kind.
    pub deadlines: Vec<(Kind, Deadline)>,
    /// The default TLP label; `None`: TLP:AMBER.
    pub default_tlp: Option<Tlp>,
    /// The cipher suite; `None`: [`Suite::DEFAULT`] (`hotline-v2-xwing`).
    pub suite: Option<Suite>,
}

/// A draft charter for `parties` with `o` (unsigned; every party signs it).
pub fn draft_with(
    o: &DraftOptions,
    parties: &[PartyInfo],
    rng: &mut impl CryptoRngCore,
) -> Result<SignedDocument, SetupError> {
    let quorum = o
        .witness_quorum
        .unwrap_or(u32::try_from(o.witnesses.len()).unwrap_or(u32::MAX));
    let doc = draft(
        &o.title,
        parties,
        &o.relay_url,
        &o.relay_key,
        o.witnesses.clone(),
        quorum,
        o.suite.unwrap_or(Suite::DEFAULT),
        rng,
    )?;
    if o.deadlines.is_empty() && o.default_tlp.is_none() {
        return Ok(doc);
    }
    let mut c = hotline_core::charter::parse_unverified(&doc)?;
    for (k, d) in &o.deadlines {
        c.deadlines.insert(*k, *d);
    }
    if let Some(t) = o.default_tlp {
        c.default_tlp = t;
    }
    Ok(c.to_document()?)
}

/// A charter file's document; `name` names the file in errors.
pub fn charter_doc(name: &str, bytes: &[u8]) -> Result<SignedDocument, SetupError> {
    let doc = SignedDocument::from_json(bytes)
        .map_err(|e| SetupError::NotADocument(name.into(), e.to_string()))?;
    hotline_core::charter::parse_unverified(&doc)?;
    Ok(doc)
}

/// What [`sign_charter`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The party had signed already (nothing changed).
    pub already: bool,
    /// The short names of the parties still to sign.
    pub missing: Vec<String>,
}

/// The short names of the charter's parties that have not signed `doc`.
pub fn unsigned_parties(doc: &SignedDocument) -> Result<Vec<String>, SetupError> {
    let c = hotline_core::charter::parse_unverified(doc)?;
    Ok(c.parties
        .iter()
        .filter(|q| !doc.signatures.iter().any(|s| s.key_id == q.id))
        .map(|q| q.short.clone())
        .collect())
}

/// Signs `doc`, a charter, as `party` with its `key` (`hotline channel
/// sign`), unless it has already.
pub fn sign_charter(
    doc: &mut SignedDocument,
    party: &PartyInfo,
    key: &hotline_core::keys::SigningKey,
) -> Result<Signed, SetupError> {
    let c = hotline_core::charter::parse_unverified(doc)?;
    if c.party(&party.id).is_none() || key.key_id() != party.id {
        return Err(SetupError::NotAParty(party.short.clone()));
    }
    let already = doc.signatures.iter().any(|s| s.key_id == party.id);
    if !already {
        doc.sign(key);
    }
    Ok(Signed {
        already,
        missing: unsigned_parties(doc)?,
    })
}

/// The log origin of a channel on the relay with verifier key `relay_key`.
pub fn origin_of(relay_key: &str, id: &ChannelId) -> String {
    format!(
        "{}/{}",
        relay_key.split('+').next().unwrap_or_default(),
        id.to_hex()
    )
}

/// Follows the channel of `v` in `archive` (`hotline channel join`; a
/// channel followed already is left as it is).
pub fn follow(
    archive: &Archive,
    v: &hotline_core::charter::VerifiedCharter,
) -> Result<crate::archive::ChannelRecord, SetupError> {
    let c = v.charter();
    let rec = crate::archive::ChannelRecord {
        id: v.channel(),
        origin: origin_of(&c.relay.key, &v.channel()),
        relay_url: c.relay.url.clone(),
        relay_vkey: c.relay.key.clone(),
        charter: v.document().to_json(),
    };
    archive.add_channel(&rec)?;
    Ok(rec)
}

/// Verifies every party's signature on `doc` and follows the channel
/// (`hotline channel join`).
pub fn join(
    archive: &Archive,
    doc: &SignedDocument,
) -> Result<crate::archive::ChannelRecord, SetupError> {
    let v = hotline_core::charter::VerifiedCharter::verify(doc)?;
    follow(archive, &v)
}

/// Verifies every party's signature on `doc`, registers it on its relay
/// with a party's `key`, and follows the channel (`hotline channel
/// register`). Nothing is followed when the relay refuses.
pub fn register(
    archive: &Archive,
    doc: &SignedDocument,
    key: hotline_core::keys::SigningKey,
) -> Result<crate::archive::ChannelRecord, SetupError> {
    let v = hotline_core::charter::VerifiedCharter::verify(doc)?;
    if v.charter().party(&key.key_id()).is_none() {
        return Err(SetupError::NotAParty(key.key_id().short()));
    }
    let relay = crate::relay_client::RelayClient::new(&v.charter().relay.url, key)?;
    relay.create_channel(doc)?;
    follow(archive, &v)
}

/// A roster published and confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Its version.
    pub version: u64,
    /// Its log index.
    pub index: u64,
    /// How many members it lists.
    pub members: usize,
}

/// Syncs (as `me`, when given), builds `party`'s next roster with `build`
/// (from the synced mirror), signs it with the party `key`, checks it as
/// the relay will, posts it, and waits until a signed checkpoint holds it
/// (`hotline roster publish|update`, `docs/client.md`: confirmed or failed).
pub fn publish_roster(
    archive: &Archive,
    party: &PartyInfo,
    key: &hotline_core::keys::SigningKey,
    me: Option<&crate::keyring::Keyring>,
    id: &ChannelId,
    build: impl FnOnce(&Archive, &KeyId) -> Result<Roster, SetupError>,
) -> Result<Published, SetupError> {
    use crate::relay_client::RelayClient;
    use crate::sync::{SyncError, sync_channel};
    let rec = archive.channel(id)?;
    // Bring the mirror up to date first, so the version chains on the latest.
    if let Some(me) = me {
        let relay = RelayClient::new(&rec.relay_url, me.current.signing.clone())?;
        match sync_channel(archive, &relay, id, me, &|_, _| {}) {
            Ok(_) => {}
            Err(SyncError::Alarm(alarm)) => {
                return Err(SetupError::Alarm(alarm.kind.to_string(), alarm.detail));
            }
            // Not a member (yet, or any more): the party key reads nothing.
            Err(SyncError::Relay(_)) => {}
            // The log is verified and mirrored up to the checkpoint; only
            // envelope bodies are left to fetch, which a roster does not need.
            Err(SyncError::Incomplete { .. }) => {}
            Err(e) => return Err(SetupError::Sync(e.to_string())),
        }
    }
    let r = build(archive, &party.id)?;
    let mut doc = r
        .to_document()
        .map_err(|e| SetupError::Invalid(e.to_string()))?;
    doc.sign(key);
    check_next_roster(archive, id, &doc)?;
    let relay = RelayClient::new(&rec.relay_url, key.clone())?;
    let acc = relay.post_roster(id, &doc)?;
    // Confirmed or failed: wait until a signed checkpoint holds exactly this
    // roster at its index, as this profile's member if the new roster still
    // lists it, else from the public checkpoint and tiles.
    let entry = Entry::Roster(doc.clone())
        .to_bytes()
        .map_err(|e| SetupError::Invalid(e.to_string()))?;
    let leaf = hotline_log::merkle::leaf_hash(&entry);
    let listed = me.filter(|me| {
        let k = me.current.signing.verifying_key().to_base64();
        r.members.iter().any(|m| m.signing_key == k)
    });
    let confirmed = match listed {
        Some(me) => {
            let as_member = RelayClient::new(&rec.relay_url, me.current.signing.clone())?;
            crate::compose::confirm(archive, &as_member, id, me, acc.index, &leaf)
        }
        None => crate::compose::confirm_public_within(
            archive,
            &relay,
            id,
            acc.index,
            &leaf,
            crate::compose::CONFIRM_WITHIN,
        ),
    };
    if let Err(e) = confirmed {
        return Err(SetupError::NotConfirmed {
            version: r.version,
            party: party.short.clone(),
            index: acc.index,
            why: e.to_string(),
        });
    }
    Ok(Published {
        version: r.version,
        index: acc.index,
        members: r.members.len(),
    })
}

/// Publishes `party`'s next roster listing exactly this profile's member
/// (`me`, named `name`, its proof made on the spot) and the members of
/// `proofs` (each checked for this channel and party): `hotline roster
/// publish`. `proofs` are (file name, proof), the name used in errors.
pub fn publish_members(
    archive: &Archive,
    party: &PartyInfo,
    key: &hotline_core::keys::SigningKey,
    me: Option<(&str, &crate::keyring::Keyring)>,
    id: &ChannelId,
    proofs: &[(String, MemberProof)],
) -> Result<Published, SetupError> {
    if proofs.is_empty() && me.is_none() {
        return Err(SetupError::Invalid(
            "no member to list: this profile has none; give a member proof (made by the member with `hotline roster proof`)".into(),
        ));
    }
    publish_roster(archive, party, key, me.map(|(_, k)| k), id, |a, p| {
        let mut ms = Vec::new();
        if let Some((name, keys)) = me {
            let suite = suite_of(a, id)?;
            ms.push(
                RosterMember::for_suite(suite, id, p, name, &keys.current)
                    .map_err(|e| SetupError::Roster(RosterUpdateError::Invalid(e.to_string())))?,
            );
        }
        for (f, proof) in proofs {
            ms.push(proof.check(id, p).map_err(|e| {
                SetupError::Roster(RosterUpdateError::Invalid(format!("{f}: {e}")))
            })?);
        }
        Ok(next_roster(a, id, p, &ms)?)
    })
}

/// A TLP label as `TLP:AMBER` or `amber` (any case; `amber+strict`).
pub fn parse_tlp(s: &str) -> Result<Tlp, SetupError> {
    let up = s.trim().to_ascii_uppercase();
    let full = if up.starts_with("TLP:") {
        up
    } else {
        format!("TLP:{up}")
    };
    full.parse().map_err(|_| {
        SetupError::Invalid(format!(
            "TLP {s:?}: expected clear, green, amber, amber+strict or red"
        ))
    })
}

/// A member proof file (`hotline roster proof`); `name` names it in
/// errors. A profile.json in its place is refused with what to do instead.
pub fn member_proof_of_json(name: &str, bytes: &[u8]) -> Result<MemberProof, SetupError> {
    match serde_json::from_slice(bytes) {
        Ok(proof) => Ok(proof),
        Err(e) => {
            if serde_json::from_slice::<crate::profile::ProfileInfo>(bytes).is_ok() {
                return Err(SetupError::Invalid(format!(
                    "{name} is a profile.json, not a member proof: a roster lists only members that proved they hold their keys. \
                     The member runs `hotline roster proof --channel CHANNEL --party PARTY --out member.json` in its own profile and sends you member.json"
                )));
            }
            Err(SetupError::Invalid(format!(
                "{name} is not a member proof (made by `hotline roster proof`): {e}"
            )))
        }
    }
}
