//! Sync (DESIGN §5): fetch a channel's new entries and its checkpoint from
//! the relay, verify everything, open what is addressed to us, store it,
//! and cosign the checkpoint as our receipt.
//!
//! The order of checks, each of which raises a persistent alarm on failure
//! (`docs/client.md`, "Sync and alarms"):
//!
//! 1. the checkpoint is signed by the relay key the charter names, for this
//!    channel's origin;
//! 2. it is not smaller than one the relay showed us before, nor than our
//!    mirror (`stale-checkpoint`) and, at the same size, has the same root
//!    (`fork`);
//! 3. every new entry verifies: entry 0 is our charter, rosters apply, each
//!    envelope head is signed by a member current at its index (`bad-entry`);
//!    a head already in the log is a replay (`replayed-entry`): mirrored, never
//!    opened;
//! 4. the Merkle root of our mirror plus the new entries equals the
//!    checkpoint's root and every checkpoint of the history since the last
//!    verified one is a prefix of it (`fork` otherwise, with both signed
//!    checkpoints kept). Only then are the entries appended to the mirror, in
//!    one durable transaction with the checkpoints and the list of envelopes
//!    still to fetch (every new head: a head does not say whom it is for);
//! 5. every envelope still to fetch, this sync's and those earlier syncs could
//!    not fetch, is fetched and checked against its logged head (the relay's
//!    fault otherwise: `bad-envelope`, and it stays to fetch; refused for
//!    [`WITHHELD_AFTER_ATTEMPTS`] syncs over [`WITHHELD_AFTER_SECS`]:
//!    `withheld-envelope`); ours are opened and their plaintext checked against
//!    the commitment (the sender's fault otherwise: `bad-envelope`, done with);
//!    a message id opened before at another entry is a replay
//!    (`replayed-entry`; the same entry, stored meanwhile by another sync of
//!    this archive, is not);
//! 6. the receipt: our cosignature of the largest verified checkpoint below
//!    which nothing is left to fetch.

use hotline_core::charter::VerifiedCharter;
use hotline_core::commitment::encode_parts;
use hotline_core::dsse::SignedDocument;
use hotline_core::entry::Entry;
use hotline_core::envelope::{
    Envelope, EnvelopeError, Opened, Recipient, SIGNED_HEAD_LEN, SignedHead, VerifiedHead,
};
use hotline_core::ids::ChannelId;
use hotline_core::keys::{MemberKeys, VerifyingKey};
use hotline_core::roster::Directory;
use hotline_log::checkpoint::Checkpoint;
use hotline_log::cosignature::{CosignatureVerifier, Cosigner};
use hotline_log::log::{Log, LogError};
use hotline_log::note::{Ed25519Verifier, Note, Verifier};
use hotline_log::storage::{AppendBatch, LogStore, MAX_BATCH};
use hotline_store::StoreError;

use crate::archive::{
    Alarm, AppendRows, Archive, ArchiveError, ChannelRecord, PendingEnvelope, SeenCheckpoint,
};
use crate::keyring::Keys;
use crate::relay_client::{RelayClient, RelayError};

/// How far ahead of our clock a relay timestamp may be (seconds).
pub const MAX_CLOCK_SKEW: u64 = 600;

/// The verifier key of the relay's timestamp cosignatures: the relay key as
/// a `tlog-cosignature/v1` cosigner (type 0x04, same name and public key).
pub fn timestamp_vkey(relay: &hotline_log::note::VerifierKey) -> String {
    hotline_log::note::format_vkey(&relay.name, 0x04, &relay.key.to_bytes())
}

/// How long witnesses have to cosign a checkpoint before a missing quorum is
/// an alarm (seconds after the relay's timestamp on it, or after we first
/// verified it when it carries none).
pub const WITNESS_GRACE: u64 = 120;

/// A relay that logged an envelope and refuses to serve it (an error, or a
/// body that is not the logged one) on at least this many syncs …
pub const WITHHELD_AFTER_ATTEMPTS: u32 = 3;

/// … spanning at least this many seconds from the first refusal raises
/// `withheld-envelope` (once per envelope). Both bounds must be met, so a
/// few quick retries during a short outage raise nothing, and a relay cannot
/// hold a message back for long unnoticed. The envelope stays to fetch
/// whatever happens: it was not received.
pub const WITHHELD_AFTER_SECS: u64 = 900;

/// An envelope head the relay logged that no time attestation dates this
/// many seconds after we first verified a checkpoint covering it raises
/// `undated-entry` (once): its deadlines cannot start until one does.
pub const UNDATED_AFTER_SECS: u64 = 900;

/// After this many envelope requests in a row get no answer at all (no
/// connection, a timeout), a sync leaves the rest for the next one.
pub const UNANSWERED_IN_A_ROW: u32 = 3;

/// What a sync tolerates before it raises an alarm; [`Default`] is the
/// documented bounds. Tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncOptions {
    /// [`WITHHELD_AFTER_ATTEMPTS`].
    pub withheld_after_attempts: u32,
    /// [`WITHHELD_AFTER_SECS`].
    pub withheld_after_secs: u64,
    /// [`WITNESS_GRACE`].
    pub witness_grace: u64,
    /// [`UNDATED_AFTER_SECS`].
    pub undated_after_secs: u64,
    /// The most new entries mirrored in one append ([`MAX_BATCH`], the log
    /// store's bound); more are mirrored in steps, each ending at a
    /// checkpoint of the relay's history. Tests lower it.
    pub max_append: usize,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            withheld_after_attempts: WITHHELD_AFTER_ATTEMPTS,
            withheld_after_secs: WITHHELD_AFTER_SECS,
            witness_grace: WITNESS_GRACE,
            undated_after_secs: UNDATED_AFTER_SECS,
            max_append: MAX_BATCH,
        }
    }
}

/// How many of the charter's witnesses validly cosigned the checkpoint `note`.
pub fn witness_cosignatures(charter: &hotline_core::charter::Charter, note: &Note) -> usize {
    witness_times(&charter.witnesses, note).len()
}

/// The time of each of `witnesses` that validly cosigned `note` (one per
/// witness, in the order they are listed).
fn witness_times(witnesses: &[hotline_core::charter::WitnessInfo], note: &Note) -> Vec<u64> {
    witnesses
        .iter()
        .filter_map(|w| {
            let v = CosignatureVerifier::from_vkey(&w.key).ok()?;
            note.signatures
                .iter()
                .find_map(|s| v.verify(&note.text, s).ok().flatten())
        })
        .collect()
}

/// Checks the witnesses' cosignatures on the checkpoint `cp` we verified,
/// `grace` seconds after its relay timestamp (after we first verified it,
/// when it carries none). The relay serves the checkpoint with the
/// cosignatures it collected; only those over the very text we verified
/// count. Raises, once each:
///
/// - `split-view` when the relay serves at that size a checkpoint, signed by
///   its key, whose text is not the one we verified: it shows the witnesses
///   another log than us (both notes are the evidence);
/// - `bad-checkpoint` when what it serves does not parse, or differs from
///   ours without the relay's signature;
/// - `witness-quorum` when fewer of the charter's witnesses than its quorum
///   cosigned our checkpoint.
///
/// Returns the alarm if one was raised now.
pub fn check_witness_quorum(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    charter: &hotline_core::charter::Charter,
    cp: &SeenCheckpoint,
    grace: u64,
    now: u64,
) -> Result<Option<Alarm>, SyncError> {
    let quorum = charter.witness_quorum as usize;
    if quorum == 0 {
        return Ok(None);
    }
    let since = match cp.time {
        Some(t) => Some(t),
        None => archive.checkpoint_seen_at(channel, cp.size)?,
    };
    // A checkpoint never recorded has no start for its grace period yet.
    if since.is_none_or(|t| now < t.saturating_add(grace)) {
        return Ok(None);
    }
    let once =
        |kind: &str, detail: String, evidence: &[&[u8]]| -> Result<Option<Alarm>, SyncError> {
            if archive
                .alarms()?
                .iter()
                .any(|a| a.channel == channel.to_hex() && a.kind == kind && a.detail == detail)
            {
                return Ok(None);
            }
            Ok(Some(archive.raise(channel, kind, &detail, evidence)?))
        };
    let ours = match Note::parse(&cp.note) {
        Ok(n) => n,
        Err(e) => {
            return once(
                "bad-checkpoint",
                format!(
                    "the archive's checkpoint of size {} does not parse: {e}",
                    cp.size
                ),
                &[&cp.note],
            );
        }
    };
    let served = relay.checkpoint_at(channel, cp.size)?;
    let note = match Note::parse(&served) {
        Ok(n) => n,
        Err(e) => {
            return once(
                "bad-checkpoint",
                format!(
                    "the relay's checkpoint of size {} with its cosignatures does not parse: {e}",
                    cp.size
                ),
                &[&served],
            );
        }
    };
    if note.text != ours.text {
        let relay_signed = Ed25519Verifier::from_vkey(&archive.channel(channel)?.relay_vkey)
            .is_ok_and(|v| note.verify(&[&v as &dyn Verifier]).is_ok());
        return if relay_signed {
            once(
                "split-view",
                format!(
                    "the relay serves, with {} witness cosignature(s), a checkpoint of size {} that is not the one \
                     it showed us: it shows the witnesses another log than ours",
                    witness_cosignatures(charter, &note),
                    cp.size
                ),
                &[&cp.note, &served],
            )
        } else {
            once(
                "bad-checkpoint",
                format!(
                    "the relay's checkpoint of size {} with its cosignatures is not the one we verified, \
                     nor signed by the relay key",
                    cp.size
                ),
                &[&cp.note, &served],
            )
        };
    }
    // The same text as ours: its cosignatures are over what we verified.
    let cosigned = witness_cosignatures(charter, &note);
    if cosigned >= quorum {
        return Ok(None);
    }
    once(
        "witness-quorum",
        format!(
            "only {cosigned} of the {quorum} witness cosignatures the charter requires on the checkpoint of size {}",
            cp.size
        ),
        &[&served],
    )
}

/// Raises `undated-entry` (once) for the first envelope head no time
/// attestation dates, if we verified a checkpoint covering it at least
/// `opts.undated_after_secs` ago.
fn check_undated(
    archive: &Archive,
    channel: &ChannelId,
    origin: &str,
    size: u64,
    now: u64,
    opts: &SyncOptions,
) -> Result<Option<Alarm>, ArchiveError> {
    let dated = archive.last_time(channel)?.map_or(1, |(s, _)| s.max(1));
    let mut at = dated;
    let mut first = None;
    while at < size && first.is_none() {
        let end = size.min(at + 256);
        let held = archive.log.read_entries(origin, at, end)?;
        first = held
            .iter()
            .position(|e| e.starts_with(&hotline_core::entry::HEAD_MAGIC))
            .map(|k| at + k as u64);
        at = end;
    }
    let Some(head) = first else {
        return Ok(None);
    };
    let Some((seen_at, note)) = archive.first_covering(channel, head)? else {
        return Ok(None);
    };
    if now < seen_at.saturating_add(opts.undated_after_secs) {
        return Ok(None);
    }
    let detail = format!(
        "no time attestation dates the envelope head at index {head}, {} s or more after we \
         verified a checkpoint covering it: the relay has not logged one (or the charter's \
         witnesses have not cosigned), so its deadlines cannot start",
        opts.undated_after_secs
    );
    let hex = channel.to_hex();
    if archive
        .alarms()?
        .iter()
        .any(|a| a.channel == hex && a.kind == "undated-entry" && a.detail == detail)
    {
        return Ok(None);
    }
    archive
        .raise(channel, "undated-entry", &detail, &[&note])
        .map(Some)
}

/// What a time attestation is checked against (`docs/client.md`,
/// "Sequencing times").
struct Attestation<'a> {
    origin: &'a str,
    /// The charter's witnesses, and how many of them must cosign.
    witnesses: &'a [hotline_core::charter::WitnessInfo],
    quorum: usize,
    verifier: &'a Ed25519Verifier,
    time_verifier: &'a CosignatureVerifier,
    now: u64,
}

/// The root and relay timestamp of a checkpoint the relay's history lists.
type ListedCheckpoint = ([u8; 32], Option<u64>);

/// The checkpoint of a size the relay's signed history lists, if any.
type Listed<'a> = dyn Fn(u64) -> Result<Option<ListedCheckpoint>, ArchiveError> + 'a;

impl Attestation<'_> {
    /// Checks the time attestation logged at `index`, after `dated` (the
    /// size and time of the one before it, if any), against the checkpoints
    /// the relay's history lists. Returns the size it attests and the time
    /// it gives every head below that size not dated before, or why it is
    /// false.
    fn check(
        &self,
        text: &str,
        index: u64,
        listed: &Listed<'_>,
        dated: Option<(u64, u64)>,
    ) -> Result<Result<(u64, u64), String>, ArchiveError> {
        let bad = |why: String| Ok(Err(format!("a time attestation: {why}")));
        let note = match Note::parse(text.as_bytes()) {
            Ok(n) if n.to_bytes() == text.as_bytes() => n,
            Ok(_) => return bad("its note is not in canonical form".into()),
            Err(e) => return bad(format!("its note does not parse: {e}")),
        };
        if note.verify(&[self.verifier as &dyn Verifier]).is_err() {
            return bad("its checkpoint is not signed by the relay key".into());
        }
        let cp = match Checkpoint::parse(&note.text) {
            Ok(c) => c,
            Err(e) => return bad(format!("its checkpoint: {e}")),
        };
        if cp.origin != self.origin {
            return bad(format!("its checkpoint is of {}", cp.origin));
        }
        let (prev_size, prev_time) = dated.unwrap_or((0, 0));
        if cp.size == 0 || cp.size > index || cp.size <= prev_size {
            return bad(format!(
                "it attests the checkpoint of size {}, which must be past the last attested \
                 ({prev_size}) and at most its own index ({index})",
                cp.size
            ));
        }
        let Some(relay_time) = relay_time(self.time_verifier, &note) else {
            return bad("it carries no valid relay timestamp".into());
        };
        match listed(cp.size)? {
            None => {
                return bad(format!(
                    "the relay's checkpoint history lists no checkpoint of size {}",
                    cp.size
                ));
            }
            Some((root, _)) if root != cp.root => {
                return bad(format!(
                    "it attests a checkpoint of size {} whose root is not the log's: \
                     the relay signed two logs",
                    cp.size
                ));
            }
            Some((_, time)) if time != Some(relay_time) => {
                return bad(two_times(cp.size, time, Some(relay_time)));
            }
            Some(_) => {}
        }
        let quorum = self.quorum;
        let time = if quorum == 0 {
            relay_time
        } else {
            // Each witness's cosignature counts once; the quorum-th earliest
            // time is one that a quorum of witnesses vouch for.
            let mut times = witness_times(self.witnesses, &note);
            if times.len() < quorum {
                return bad(format!(
                    "only {} of the {quorum} witness cosignatures the charter requires",
                    times.len()
                ));
            }
            times.sort_unstable();
            times[quorum - 1]
        };
        if time < prev_time || time > self.now.saturating_add(MAX_CLOCK_SKEW) {
            return bad(format!(
                "its time {time} is before the last attested ({prev_time}) or more than \
                 {MAX_CLOCK_SKEW} s in the future"
            ));
        }
        Ok(Ok((cp.size, time)))
    }
}

/// The time of the relay's timestamp cosignature on a checkpoint, if it
/// carries a valid one.
fn relay_time(time_verifier: &CosignatureVerifier, note: &Note) -> Option<u64> {
    note.signatures
        .iter()
        .find_map(|sig| time_verifier.verify(&note.text, sig).ok().flatten())
}

/// The alarm's words when the relay dates one checkpoint twice.
fn two_times(size: u64, first: Option<u64>, then: Option<u64>) -> String {
    let t = |t: Option<u64>| t.map_or("none".to_owned(), |t| t.to_string());
    format!(
        "the relay dated the checkpoint of size {size} twice: timestamp {} and then {}; \
         one checkpoint has one sequencing time",
        t(first),
        t(then)
    )
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The relay could not be asked.
    #[error("{0}")]
    Relay(#[from] RelayError),
    /// The archive failed.
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    /// A check failed; the alarm is recorded with its evidence.
    #[error("ALARM ({}): {}", .0.kind, .0.detail)]
    Alarm(Box<Alarm>),
    /// The log was verified and mirrored, but some envelopes it holds could
    /// not be fetched (or the relay served other bodies than the logged
    /// ones): they stay to fetch, are fetched again on every sync, and no
    /// receipt covers them.
    #[error(
        "{pending} envelope(s) the relay logged could not be fetched (first: entry {first}: {cause}); \
         they are kept and fetched again on the next sync, and no receipt was given for them"
    )]
    Incomplete {
        /// What the sync did.
        outcome: Box<SyncOutcome>,
        /// How many envelopes are still to fetch.
        pending: u64,
        /// The lowest index among them.
        first: u64,
        /// Why it could not be fetched.
        cause: String,
    },
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncOutcome {
    /// The verified size of the log now.
    pub size: u64,
    /// Entries fetched and verified in this sync.
    pub new_entries: u64,
    /// Envelopes addressed to us, opened and stored.
    pub opened: u64,
    /// Envelopes still to fetch (see [`SyncError::Incomplete`]).
    pub pending: u64,
    /// Whether our cosignature of the checkpoint of `size` (the receipt)
    /// was posted in this sync.
    pub cosigned: bool,
    /// The size of the largest checkpoint our receipt covers, if any.
    pub receipt: Option<u64>,
}

/// Rebuilds a channel's key directory from the mirror (charter, rosters):
/// the roster entries below `size` only, found by their recorded indexes
/// ([`Archive::roster_indexes`]).
pub(crate) fn directory(
    archive: &Archive,
    origin: &str,
    size: u64,
    charter: &VerifiedCharter,
) -> Result<Directory, ArchiveError> {
    let mut dir = Directory::new(charter.clone());
    for index in archive.roster_indexes(origin, size)? {
        let bytes = archive
            .log
            .read_entries(origin, index, index + 1)?
            .pop()
            .ok_or_else(|| {
                ArchiveError::Store(StoreError::Missing(format!(
                    "mirrored roster entry {index} of {origin}"
                )))
            })?;
        if let Ok(Entry::Roster(doc)) = Entry::from_bytes(&bytes) {
            // It applied when it was mirrored; it applies again.
            let _ = dir.apply(index, &doc);
        }
    }
    Ok(dir)
}

/// Syncs one channel with the default [`SyncOptions`]. `progress(done,
/// total)` reports entries verified.
pub fn sync_channel(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    me: &dyn Keys,
    progress: &dyn Fn(u64, u64),
) -> Result<SyncOutcome, SyncError> {
    sync_channel_with(
        archive,
        relay,
        channel,
        me,
        progress,
        &SyncOptions::default(),
    )
}

/// Which check of a batch against the checkpoints failed.
enum RootCheck {
    Ok,
    Final,
    History(usize),
}

/// Checks a served envelope body against its logged head, then opens it
/// if it is addressed to one of our keys (current or retired). `Err` is
/// the relay's doing, why: the body is not the one the log holds (another
/// head, another size, or recipients or a ciphertext whose hashes are not
/// the logged head's). Past that, a fault is the sender's (who signed the
/// head): [`Opening::Unopenable`]. The body is hashed once, by
/// [`Envelope::from_bytes_for_opening`] (in `hotline-v2-xwing`, the other
/// recipients' sealed keys only by their index entries; ours when opened,
/// a mismatch there the relay's doing too); the head's signature is verified unless this
/// sync verified it already (`g.proof`, for the same head and key).
fn check_and_open(
    bytes: &[u8],
    g: &Got<'_>,
    channel: &ChannelId,
    mine: &[Recipient],
) -> Result<Opening, String> {
    let logged: &[u8] = &g.logged;
    if bytes.get(..SIGNED_HEAD_LEN) != Some(logged) {
        return Err("the relay served another head than the one logged".into());
    }
    let sh = SignedHead::from_bytes(logged).map_err(|e| format!("the logged head: {e}"))?;
    let expected = SIGNED_HEAD_LEN as u64 + sh.head.stanzas_len() + sh.head.ciphertext_len;
    if bytes.len() as u64 != expected {
        return Err(format!(
            "the relay served {} bytes where the logged head names {expected}",
            bytes.len()
        ));
    }
    let env = match Envelope::from_bytes_for_opening(bytes) {
        Ok(e) => e,
        // Its head is the logged one and its sizes are the head's: what
        // differs is the recipients' or the ciphertext's hash.
        Err(EnvelopeError::BodyMismatch) => {
            return Err(
                "the relay served recipients or a ciphertext that do not match the logged head"
                    .into(),
            );
        }
        Err(e) => return Ok(Opening::Unopenable(e.to_string())),
    };
    open_body(&env, g, channel, mine)
}

/// What a body that matches its logged head gives us.
enum Opening {
    NotOurs,
    Opened(Box<Opened>),
    /// The sender's fault: why.
    Unopenable(String),
}

/// Opens an envelope that matches its logged head, if it is addressed to
/// one of our keys. `Err` is the relay's doing, as in [`check_and_open`]:
/// our sealed key is not the one its index entry, which the signed head
/// covers, names.
fn open_body(
    env: &Envelope,
    g: &Got<'_>,
    channel: &ChannelId,
    mine: &[Recipient],
) -> Result<Opening, String> {
    let p = g.p;
    let Some(keys) = env
        .stanzas()
        .iter()
        .find_map(|s| mine.iter().find(|r| r.id() == s.recipient))
    else {
        return Ok(Opening::NotOurs);
    };
    let head = match g.proof.filter(|v| v.sender() == &p.signer) {
        Some(v) => Ok(v),
        None => env.signed_head().verified(&p.signer),
    };
    let o = match head.and_then(|h| env.open_verified(&h, keys)) {
        Ok(o) => o,
        Err(EnvelopeError::BodyMismatch) => {
            return Err(
                "the relay served a sealed key for us that is not the one the logged head names"
                    .into(),
            );
        }
        Err(e) => return Ok(Opening::Unopenable(format!("it does not open: {e}"))),
    };
    let h = &o.message.header;
    if h.author != o.head.head.header.sender || h.channel != *channel || h.party != p.party {
        return Ok(Opening::Unopenable(
            "its inner header names another author, party or channel".into(),
        ));
    }
    Ok(Opening::Opened(Box::new(o)))
}

/// Syncs one channel (see the module docs for the steps).
pub fn sync_channel_with(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    me: &dyn Keys,
    progress: &dyn Fn(u64, u64),
    opts: &SyncOptions,
) -> Result<SyncOutcome, SyncError> {
    let rec = archive.channel(channel)?;
    // One sync of this channel at a time (threads and processes).
    let _lock = archive.sync_lock(channel)?;
    let alarm = |kind: &str, detail: String, evidence: &[&[u8]]| -> SyncError {
        match archive.raise(channel, kind, &detail, evidence) {
            Ok(a) => SyncError::Alarm(Box::new(a)),
            Err(e) => SyncError::Archive(e),
        }
    };
    let charter_doc = SignedDocument::from_json(&rec.charter).map_err(|e| {
        alarm(
            "bad-entry",
            format!("the stored charter does not parse: {e}"),
            &[],
        )
    })?;
    let charter = VerifiedCharter::verify(&charter_doc).map_err(|e| {
        alarm(
            "bad-entry",
            format!("the stored charter does not verify: {e}"),
            &[],
        )
    })?;
    let verifier = Ed25519Verifier::from_vkey(&rec.relay_vkey).map_err(|e| {
        alarm(
            "bad-checkpoint",
            format!("the charter's relay key: {e}"),
            &[],
        )
    })?;
    let time_verifier =
        CosignatureVerifier::from_vkey(&timestamp_vkey(verifier.key())).map_err(|e| {
            alarm(
                "bad-checkpoint",
                format!("the relay's timestamp key: {e}"),
                &[],
            )
        })?;

    // 1. The checkpoint.
    let note_bytes = relay.checkpoint(channel)?;
    let note = Note::parse(&note_bytes).map_err(|e| {
        alarm(
            "bad-checkpoint",
            format!("the relay's checkpoint does not parse: {e}"),
            &[&note_bytes],
        )
    })?;
    if note.verify(&[&verifier as &dyn Verifier]).is_err() {
        return Err(alarm(
            "bad-checkpoint",
            "the relay's checkpoint is not signed by the relay key in the charter".into(),
            &[&note_bytes],
        ));
    }
    let cp = Checkpoint::parse(&note.text).map_err(|e| {
        alarm(
            "bad-checkpoint",
            format!("the checkpoint body: {e}"),
            &[&note_bytes],
        )
    })?;
    if cp.origin != rec.origin {
        return Err(alarm(
            "bad-checkpoint",
            format!("the checkpoint is for {}, not {}", cp.origin, rec.origin),
            &[&note_bytes],
        ));
    }

    // 2. Against what we saw before, and what we hold.
    let last = archive.latest_checkpoint(channel)?;
    let have = archive.log.size(&rec.origin).map_err(ArchiveError::from)?;
    let log = Log::new(&archive.log, &rec.origin);
    let seen = last.as_ref().map_or(0, |l| l.size);
    if cp.size < seen.max(have) {
        let root_then = log.root(cp.size).ok();
        let kind = if root_then == Some(cp.root) {
            "stale-checkpoint"
        } else {
            "fork"
        };
        let after = if seen >= have {
            format!("after one of size {seen}")
        } else {
            format!("but our mirror of its log already holds {have} entries")
        };
        let mut evidence: Vec<&[u8]> = Vec::new();
        if let Some(l) = &last {
            evidence.push(&l.note);
        }
        evidence.push(&note_bytes);
        return Err(alarm(
            kind,
            format!(
                "the relay served a checkpoint of size {} {after}{}",
                cp.size,
                if kind == "fork" {
                    " with a root inconsistent with it"
                } else {
                    ""
                }
            ),
            &evidence,
        ));
    }
    if let Some(l) = &last
        && cp.size == l.size
        && cp.root != l.root
    {
        return Err(alarm(
            "fork",
            format!("two checkpoints of size {} with different roots", cp.size),
            &[&l.note, &note_bytes],
        ));
    }
    let latest_time = relay_time(&time_verifier, &note);
    if let Some(l) = &last
        && cp.size == l.size
        && latest_time != l.time
    {
        return Err(alarm(
            "bad-checkpoint",
            two_times(cp.size, l.time, latest_time),
            &[&l.note, &note_bytes],
        ));
    }

    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    let mut outcome = SyncOutcome {
        size: cp.size,
        ..SyncOutcome::default()
    };
    // Alarms raised once the mirror is consistent: the sync goes on (every
    // other envelope is still fetched) and reports the first.
    let mut raised: Vec<Alarm> = Vec::new();
    let mut proofs = Default::default();
    if cp.size > seen {
        (outcome.new_entries, proofs) = append_new(
            archive,
            relay,
            channel,
            &rec,
            &charter,
            &verifier,
            &time_verifier,
            (&note_bytes, &note, &cp),
            last.as_ref(),
            have,
            (now, opts.max_append.clamp(1, MAX_BATCH) as u64),
            progress,
            &mut raised,
        )?;
    }

    // 5. Every envelope still to fetch, lowest index first: those earlier
    // syncs could not fetch, then this sync's.
    let still = fetch_pending(
        &Fetch {
            archive,
            relay,
            channel,
            origin: &rec.origin,
            me,
            note_bytes: &note_bytes,
            size: cp.size,
            now,
            opts,
        },
        proofs,
        &mut outcome,
        &mut raised,
    )?;
    outcome.pending = still.len() as u64;
    if let Some(a) = check_undated(archive, channel, &rec.origin, cp.size, now, opts)? {
        raised.push(a);
    }

    // 6. The receipt: the largest verified checkpoint below which nothing
    // is left to fetch, if we have not cosigned it yet.
    let target = match still.first() {
        None => archive.checkpoint_at_most(channel, cp.size)?,
        Some((first, _)) => archive.checkpoint_at_most(channel, *first)?,
    };
    outcome.receipt = archive.latest_receipt(channel)?;
    if let Some(t) = target
        && t.size > outcome.receipt.unwrap_or(0)
        && let Ok(n) = Note::parse(&t.note)
    {
        let signing = &me.current().signing;
        let posted = Cosigner::new(&signing.key_id().to_hex(), &signing.seed())
            .and_then(|c| c.cosign(&n.text, now))
            .ok()
            .is_some_and(|sig| relay.cosign(channel, t.size, &sig.to_line()).is_ok());
        if posted {
            archive.record_receipt(channel, t.size)?;
            outcome.receipt = Some(t.size);
            outcome.cosigned = t.size == cp.size;
        }
    }

    // The witnesses had their grace period on the checkpoint verified before.
    if let Some(l) = &last
        && let Some(a) = check_witness_quorum(
            archive,
            relay,
            channel,
            charter.charter(),
            l,
            opts.witness_grace,
            now,
        )?
        && a.kind != "witness-quorum"
    {
        raised.push(a);
    }

    if let Some(a) = raised.into_iter().next() {
        return Err(SyncError::Alarm(Box::new(a)));
    }
    if let Some((first, cause)) = still.into_iter().next() {
        return Err(SyncError::Incomplete {
            pending: outcome.pending,
            outcome: Box::new(outcome),
            first,
            cause,
        });
    }
    Ok(outcome)
}

/// Steps 3 and 4: the checkpoint history since the last verified one, the
/// new entries, their checks, and the durable append. Returns how many
/// entries were added, and the proofs of the verified heads by index.
#[allow(clippy::too_many_arguments)]
fn append_new(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    rec: &ChannelRecord,
    charter: &VerifiedCharter,
    verifier: &Ed25519Verifier,
    time_verifier: &CosignatureVerifier,
    (note_bytes, note, cp): (&[u8], &Note, &Checkpoint),
    last: Option<&SeenCheckpoint>,
    have: u64,
    (now, max_append): (u64, u64),
    progress: &dyn Fn(u64, u64),
    raised: &mut Vec<Alarm>,
) -> Result<(u64, std::collections::HashMap<u64, VerifiedHead>), SyncError> {
    let origin = rec.origin.as_str();
    let alarm = |kind: &str, detail: String, evidence: &[&[u8]]| -> SyncError {
        match archive.raise(channel, kind, &detail, evidence) {
            Ok(a) => SyncError::Alarm(Box::new(a)),
            Err(e) => SyncError::Archive(e),
        }
    };
    // Every checkpoint the relay signed since the last we verified, each with
    // its timestamp: they date the new entries.
    let mut history: Vec<SeenCheckpoint> = Vec::new();
    let mut after = last.map(|l| l.size).unwrap_or(0);
    let mut prev_time = last.and_then(|l| l.time).unwrap_or(0);
    'pages: while after < cp.size {
        let page = relay.checkpoints_after(channel, after, 256)?;
        if page.is_empty() {
            break;
        }
        for (size, bytes) in page {
            if size <= after || size > cp.size {
                break 'pages;
            }
            let bad = |why: String| {
                alarm(
                    "bad-checkpoint",
                    format!("the checkpoint of size {size}: {why}"),
                    &[&bytes],
                )
            };
            let n = Note::parse(&bytes).map_err(|e| bad(e.to_string()))?;
            n.verify(&[verifier as &dyn Verifier])
                .map_err(|_| bad("not signed by the relay key".into()))?;
            let c = Checkpoint::parse(&n.text).map_err(|e| bad(e.to_string()))?;
            if c.origin != cp.origin || c.size != size {
                return Err(bad(format!("it holds {} at size {}", c.origin, c.size)));
            }
            let time = relay_time(time_verifier, &n);
            if let Some(t) = time {
                if t < prev_time || t > now + MAX_CLOCK_SKEW {
                    return Err(bad(format!(
                        "its timestamp {t} is before an earlier checkpoint's ({prev_time}) or in the future"
                    )));
                }
                prev_time = t;
            }
            history.push(SeenCheckpoint {
                size,
                root: c.root,
                note: bytes.clone(),
                time,
            });
            after = size;
        }
    }
    // The latest checkpoint gets the checks the history gets; listed there
    // too, it must carry the same timestamp (one checkpoint, one time).
    let time = relay_time(time_verifier, note);
    match history.last() {
        Some(h) if h.size == cp.size => {
            if h.time != time {
                return Err(alarm(
                    "bad-checkpoint",
                    two_times(cp.size, h.time, time),
                    &[&h.note, note_bytes],
                ));
            }
        }
        _ => {
            if let Some(t) = time
                && (t < prev_time || t > now + MAX_CLOCK_SKEW)
            {
                return Err(alarm(
                    "bad-checkpoint",
                    format!(
                        "the checkpoint of size {}: its timestamp {t} is before an earlier checkpoint's \
                         ({prev_time}) or more than {MAX_CLOCK_SKEW} s in the future",
                        cp.size
                    ),
                    &[note_bytes],
                ));
            }
            history.push(SeenCheckpoint {
                size: cp.size,
                root: cp.root,
                note: note_bytes.to_vec(),
                time,
            });
        }
    }

    // 3. The new entries.
    let mut dir = directory(archive, origin, have, charter)?;
    let total = cp.size - have;
    let mut entries: Vec<Vec<u8>> = Vec::with_capacity(total.min(1 << 16) as usize);
    while (have + entries.len() as u64) < cp.size {
        let start = have + entries.len() as u64;
        let page = relay.entries(channel, start, (cp.size - start).min(1024))?;
        for e in page.entries {
            if e.index != have + entries.len() as u64 || e.index >= cp.size {
                break;
            }
            let bytes =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &e.entry)
                    .map_err(|_| {
                        alarm("bad-entry", format!("entry {} is not base64", e.index), &[])
                    })?;
            entries.push(bytes);
        }
        if have + entries.len() as u64 == start {
            // Nothing at `start`: the relay withholds an entry it signed.
            return Err(alarm(
                "withheld-entry",
                format!(
                    "the relay signed a checkpoint of size {} but does not serve entry {start}",
                    cp.size
                ),
                &[note_bytes],
            ));
        }
        progress(entries.len() as u64, total);
    }
    let mut rows = AppendRows::default();
    // A mirror ahead of every recorded checkpoint was left by an earlier
    // version that crashed between its append and its opening: its heads not
    // opened are fetched again (those not ours are struck off as usual).
    let seen = last.map_or(0, |l| l.size);
    if have > seen {
        let from = seen.max(1);
        let held = archive
            .log
            .read_entries(origin, from, have)
            .map_err(ArchiveError::from)?;
        for (k, bytes) in held.iter().enumerate() {
            let index = from + k as u64;
            if let Ok(Entry::Head(h)) = Entry::from_bytes(bytes)
                && archive.message_body(channel, index)?.is_none()
                && let Some(signer) = dir.signer_at(&h.head.header.sender, index)
            {
                rows.heads
                    .push((index, hotline_log::merkle::leaf_hash(bytes)));
                rows.pending
                    .push((index, signer.member.signing_key, signer.party));
            }
        }
    }
    let mut replays: Vec<(u64, u64)> = Vec::new();
    let mut batch_heads: std::collections::HashMap<[u8; 32], u64> = Default::default();
    // In log order, every check but the heads' signatures, up to the first
    // that fails; the signatures then on every core. The first failure in
    // log order is the one reported, as if each entry were checked in turn.
    let mut heads: Vec<(u64, SignedHead, VerifyingKey)> = Vec::new();
    let mut rosters: Vec<u64> = Vec::new();
    // Time attestations: each checked against the checkpoint history, which
    // lists the checkpoint it attests (this sync's, or an earlier one's).
    let listed: std::collections::HashMap<u64, &SeenCheckpoint> =
        history.iter().map(|h| (h.size, h)).collect();
    let mut dated = archive.last_time(channel)?;
    let mut failed: Option<(u64, &str, String)> = None;
    for (i, bytes) in entries.iter().enumerate() {
        let index = have + i as u64;
        let entry = match Entry::from_bytes(bytes) {
            Ok(e) => e,
            Err(e) => {
                failed = Some((index, "bad-entry", e.to_string()));
                break;
            }
        };
        match entry {
            Entry::Charter(doc) if index == 0 => {
                if doc.to_json() != rec.charter {
                    failed = Some((
                        index,
                        "bad-entry",
                        "the log's charter is not the channel's charter".into(),
                    ));
                    break;
                }
            }
            Entry::Roster(doc) if index > 0 => {
                if let Err(e) = dir.apply(index, &doc) {
                    failed = Some((
                        index,
                        "bad-entry",
                        format!("the roster does not apply: {e}"),
                    ));
                    break;
                }
                rosters.push(index);
            }
            Entry::Head(h) if index > 0 => {
                if h.head.header.channel != *channel {
                    failed = Some((index, "bad-entry", "an envelope of another channel".into()));
                    break;
                }
                if h.head.header.suite != dir.charter().suite() {
                    failed = Some((
                        index,
                        "bad-entry",
                        format!(
                            "an envelope of suite {}, not the channel's ({})",
                            h.head.header.suite,
                            dir.charter().charter().suite
                        ),
                    ));
                    break;
                }
                let Some(signer) = dir.signer_at(&h.head.header.sender, index) else {
                    failed = Some((
                        index,
                        "bad-entry",
                        "its sender was not a member at that index".into(),
                    ));
                    break;
                };
                heads.push((index, h, signer.member.signing_key));
                // The relay deduplicates re-posts: the same head twice is a
                // replay. Mirrored (it is in the signed log), never opened.
                let leaf = hotline_log::merkle::leaf_hash(bytes);
                let earlier = match batch_heads.get(&leaf) {
                    Some(j) => Some(*j),
                    None => archive.head_index(channel, &leaf)?,
                };
                if let Some(j) = earlier {
                    replays.push((j, index));
                } else {
                    batch_heads.insert(leaf, index);
                    rows.heads.push((index, leaf));
                    rows.pending
                        .push((index, signer.member.signing_key, signer.party));
                }
            }
            Entry::Time(text) if index > 0 => {
                let listed_at = |size: u64| -> Result<Option<ListedCheckpoint>, ArchiveError> {
                    if let Some(h) = listed.get(&size) {
                        return Ok(Some((h.root, h.time)));
                    }
                    Ok(archive
                        .checkpoint_at_most(channel, size)?
                        .filter(|c| c.size == size)
                        .map(|c| (c.root, c.time)))
                };
                let t = Attestation {
                    origin,
                    witnesses: &charter.charter().witnesses,
                    quorum: charter.charter().witness_quorum as usize,
                    verifier,
                    time_verifier,
                    now,
                };
                match t.check(&text, index, &listed_at, dated)? {
                    Ok((size, time)) => {
                        rows.times.push((index, size, time));
                        dated = Some((size, time));
                    }
                    Err(why) => {
                        failed = Some((index, "bad-time", why));
                        break;
                    }
                }
            }
            _ => {
                failed = Some((
                    index,
                    "bad-entry",
                    "out of place (the charter is entry 0, and only it)".into(),
                ));
                break;
            }
        }
    }
    let verified = par_map(&heads, &|(_, h, key)| h.verified(key));
    let mut proofs: std::collections::HashMap<u64, VerifiedHead> = Default::default();
    for ((index, _, _), v) in heads.iter().zip(verified) {
        match v {
            Ok(v) => {
                proofs.insert(*index, v);
            }
            Err(e) => {
                // Heads were gathered only below a failed check, if any.
                failed = Some((*index, "bad-entry", format!("its signature: {e}")));
                break;
            }
        }
    }
    if let Some((index, kind, why)) = failed {
        let bytes = &entries[(index - have) as usize];
        return Err(alarm(
            kind,
            format!("entry {index}: {why}"),
            &[bytes, note_bytes],
        ));
    }

    // 4. The roots, and the mirror, in one durable step.
    rows.checkpoints = &history;
    rows.rosters = Some((origin, have, have + entries.len() as u64, rosters));
    let log = Log::new(&archive.log, origin);
    let mut check = RootCheck::Ok;
    if entries.is_empty() {
        // The mirror already holds the checkpoint's entries (an archive whose
        // checkpoint record was lost): check, record.
        if log.root(cp.size).ok() != Some(cp.root) {
            check = RootCheck::Final;
        } else if let Some(i) = history
            .iter()
            .position(|h| log.root(h.size).ok() != Some(h.root))
        {
            check = RootCheck::History(i);
        } else {
            archive.record_verified(channel, &rows)?;
        }
    } else {
        // At most MAX_BATCH entries per append: more are appended in steps,
        // each ending at a checkpoint of the history and checked against it
        // and every checkpoint below it (the last step, also against `cp`).
        let mut at = have;
        while at < cp.size && matches!(check, RootCheck::Ok) {
            let end = if cp.size - at <= max_append {
                cp.size
            } else {
                history
                    .iter()
                    .rev()
                    .map(|h| h.size)
                    .find(|&s| s > at && s - at <= max_append)
                    .ok_or_else(|| {
                        ArchiveError::Store(StoreError::Invalid(format!(
                            "the relay signed no checkpoint within {max_append} entries after entry {at}, \
                             so its {} new entries cannot be mirrored in verified steps",
                            cp.size - have
                        )))
                    })?
            };
            let first = at == have;
            let lo = if first {
                0
            } else {
                history.partition_point(|h| h.size <= at)
            };
            let hi = history.partition_point(|h| h.size <= end);
            let within = |i: u64| i < end && (first || i >= at);
            let step = AppendRows {
                pending: rows
                    .pending
                    .iter()
                    .filter(|p| within(p.0))
                    .cloned()
                    .collect(),
                heads: rows.heads.iter().filter(|h| within(h.0)).cloned().collect(),
                times: rows.times.iter().filter(|t| within(t.0)).cloned().collect(),
                checkpoints: &history[lo..hi],
                rosters: Some((
                    origin,
                    at,
                    end,
                    rows.rosters
                        .as_ref()
                        .map(|r| r.3.iter().copied().filter(|&i| within(i)).collect())
                        .unwrap_or_default(),
                )),
            };
            let chunk = &entries[(at - have) as usize..(end - have) as usize];
            let appended = log.append_with(chunk, |batch: &AppendBatch<'_>| {
                if end == cp.size && log.root_with(cp.size, batch).ok() != Some(cp.root) {
                    check = RootCheck::Final;
                } else if let Some(i) = (lo..hi)
                    .find(|&i| log.root_with(history[i].size, batch).ok() != Some(history[i].root))
                {
                    check = RootCheck::History(i);
                }
                if !matches!(check, RootCheck::Ok) {
                    return Err(StoreError::Invalid("root mismatch".into()));
                }
                archive
                    .append_verified(channel, origin, batch, &step)
                    .map_err(|e| match e {
                        ArchiveError::Store(s) => s,
                        other => StoreError::Backend(other.to_string()),
                    })
            });
            if matches!(check, RootCheck::Ok) {
                appended.map_err(|e| match e {
                    LogError::Store(s) => SyncError::Archive(ArchiveError::Store(s)),
                    other => SyncError::Archive(ArchiveError::Store(StoreError::Backend(
                        other.to_string(),
                    ))),
                })?;
            }
            at = end;
        }
    }
    match check {
        RootCheck::Ok => {}
        RootCheck::Final => {
            let mut evidence: Vec<&[u8]> = vec![note_bytes];
            if let Some(l) = last {
                evidence.push(&l.note);
            }
            return Err(alarm(
                "fork",
                format!(
                    "the checkpoint of size {} does not match the entries the relay served and those we hold: \
                     the relay shows different logs",
                    cp.size
                ),
                &evidence,
            ));
        }
        RootCheck::History(i) => {
            return Err(alarm(
                "fork",
                format!(
                    "the relay's checkpoint of size {} is inconsistent with its checkpoint of size {}",
                    history[i].size, cp.size
                ),
                &[&history[i].note, note_bytes],
            ));
        }
    }

    for (j, index) in replays {
        let earlier = archive
            .log
            .read_entries(origin, j, j + 1)
            .map_err(ArchiveError::from)?;
        let again = &entries[(index - have) as usize];
        let mut evidence: Vec<&[u8]> = earlier.iter().map(Vec::as_slice).collect();
        evidence.push(again);
        evidence.push(note_bytes);
        raised.push(archive.raise(
            channel,
            "replayed-entry",
            &format!(
                "entry {index} is the envelope head already logged at entry {j}: the relay deduplicates re-posts, \
                 so it re-logged it; it is mirrored (the signed log holds it) and not applied to any case"
            ),
            &evidence,
        )?);
    }
    Ok((total, proofs))
}

/// Envelopes asked for in one page request at most (the relay's bound on a
/// page of `GET …/envelopes`).
pub const ENVELOPE_PAGE: u64 = 1024;

/// What step 5 works with.
struct Fetch<'a> {
    archive: &'a Archive,
    relay: &'a RelayClient,
    channel: &'a ChannelId,
    origin: &'a str,
    me: &'a dyn Keys,
    note_bytes: &'a [u8],
    size: u64,
    now: u64,
    opts: &'a SyncOptions,
}

/// Step 5: fetches every pending envelope, a page of up to
/// [`ENVELOPE_PAGE`] entries per request. A page is the relay's word only:
/// each envelope in it is checked against its logged head exactly as one
/// fetched alone, and a pending envelope the page covers but does not hold
/// (or every one of a page the relay did not serve) is asked for alone.
/// What a page yields is stored in one transaction (shared with the pages
/// waiting behind it, up to [`GROUP_PAGES`]). Returns the envelopes still
/// to fetch, with why.
///
/// Three stages overlap, each page handed on in log order through a
/// bounded queue ([`PAGES_AHEAD`]): one thread fetches the pages, the
/// envelopes of each are checked and opened on every core, and one thread
/// deals with them in log order and stores them, exactly as if the pages
/// were dealt with one at a time (an error of the archive while fetching
/// page k+1 is reported after page k is stored; a failure of the storing
/// stage stops the others).
fn fetch_pending(
    f: &Fetch<'_>,
    proofs: std::collections::HashMap<u64, VerifiedHead>,
    outcome: &mut SyncOutcome,
    raised: &mut Vec<Alarm>,
) -> Result<Vec<(u64, String)>, SyncError> {
    let stage = Stage {
        archive: f.archive,
        relay: f.relay,
        channel: f.channel,
        origin: f.origin,
        note_bytes: f.note_bytes,
        size: f.size,
        now: f.now,
        opts: f.opts,
    };
    // Ours if it names one of our keys, current or retired.
    let mine: Vec<Recipient> = std::iter::once(f.me.current())
        .chain(f.me.retired())
        .flat_map(MemberKeys::encryption_keys)
        .filter_map(|k| Recipient::new(k).ok())
        .collect();
    let pending = f.archive.pending(f.channel)?;
    let (stage, pending) = (&stage, pending.as_slice());
    let (to_open, fetched) = std::sync::mpsc::sync_channel::<Fetched<'_>>(PAGES_AHEAD);
    let (to_store, checked) = std::sync::mpsc::sync_channel::<Checked<'_>>(GROUP_PAGES);
    std::thread::scope(|s| {
        let fetcher = s.spawn(move || fetch_pages(stage, pending, proofs, &to_open));
        let storer = s.spawn(move || store_pages(stage, pending, checked, outcome, raised));
        // Checked against their heads and opened on every core.
        for page in fetched {
            let opened = match &page {
                Fetched::Page(got) => par_map(got, &|g| match &g.body {
                    Ok(bytes) => check_and_open(bytes, g, stage.channel, &mine),
                    Err(_) => Ok(Opening::NotOurs),
                }),
                Fetched::Rest(..) | Fetched::Failed(_) => Vec::new(),
            };
            if to_store.send((page, opened)).is_err() {
                // The storing stage stopped (on an error it returns).
                break;
            }
        }
        drop(to_store);
        fetcher
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        storer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Pages fetched ahead of the one being opened, at most.
const PAGES_AHEAD: usize = 2;

/// Pages stored in one transaction at most: those opened while the
/// storing stage stored the previous ones. Each page is stored and struck
/// off the pending list whole, in one transaction; fewer transactions
/// write the message-id index's pages (one per message, at random) fewer
/// times over.
const GROUP_PAGES: usize = 4;

/// What the stages of step 5 share.
struct Stage<'a> {
    archive: &'a Archive,
    relay: &'a RelayClient,
    channel: &'a ChannelId,
    origin: &'a str,
    note_bytes: &'a [u8],
    size: u64,
    now: u64,
    opts: &'a SyncOptions,
}

/// What the fetching stage hands on, in log order.
enum Fetched<'a> {
    /// A page's pending envelopes, each fetched or why not.
    Page(Vec<Got<'a>>),
    /// The relay is unreachable: the pending envelopes from this position
    /// of the pending list on are not asked for now, with why.
    Rest(usize, String),
    /// The archive failed: the sync stops there.
    Failed(SyncError),
}

/// A fetched page and, for each of its envelopes, what checking and
/// opening it gave (empty if not a page).
type Checked<'a> = (Fetched<'a>, Vec<Result<Opening, String>>);

/// The fetching stage: each page's logged heads read from the mirror and
/// its envelopes asked of the relay, handed on in log order until the last
/// page, an unreachable relay or an error, or until the next stage stops.
fn fetch_pages<'p>(
    f: &Stage<'_>,
    pending: &'p [PendingEnvelope],
    mut proofs: std::collections::HashMap<u64, VerifiedHead>,
    out: &std::sync::mpsc::SyncSender<Fetched<'p>>,
) {
    let channel = f.channel;
    let mut unreachable: Option<String> = None;
    let mut unanswered = 0u32;
    let mut k = 0;
    while k < pending.len() {
        if let Some(why) = &unreachable {
            let _ = out.send(Fetched::Rest(k, why.clone()));
            return;
        }
        let start = pending[k].index;
        let group =
            k + pending[k..].partition_point(|p| p.index < start.saturating_add(ENVELOPE_PAGE));
        let limit = pending[group - 1].index - start + 1;
        let mut logged = match f.archive.log.read_entries(f.origin, start, start + limit) {
            Ok(l) if l.len() as u64 == limit => l,
            Ok(_) => {
                let e = ArchiveError::Store(StoreError::Missing(format!(
                    "mirrored entries {start}..{} of {}",
                    start + limit,
                    f.origin
                )));
                let _ = out.send(Fetched::Failed(e.into()));
                return;
            }
            Err(e) => {
                let _ = out.send(Fetched::Failed(ArchiveError::from(e).into()));
                return;
            }
        };
        let (mut served, covered) = match f.relay.envelopes(channel, start, limit) {
            Ok(page) => {
                let covered = page.next.clamp(start + 1, start + limit);
                let mut m: std::collections::HashMap<u64, Vec<u8>> = Default::default();
                for e in page.envelopes {
                    if e.index >= start
                        && e.index < covered
                        && let Ok(b) = base64::Engine::decode(
                            &base64::engine::general_purpose::STANDARD,
                            &e.envelope,
                        )
                    {
                        m.entry(e.index).or_insert(b);
                    }
                }
                (m, covered)
            }
            // Not served as a page: each is asked for alone.
            Err(_) => (Default::default(), start + limit),
        };
        // The page's envelopes, and those it lacks asked for alone.
        let end = k + pending[k..group].partition_point(|p| p.index < covered);
        let mut got: Vec<Got<'p>> = Vec::with_capacity(end - k);
        for p in &pending[k..end] {
            let logged = std::mem::take(&mut logged[(p.index - start) as usize]);
            let body = match served.remove(&p.index) {
                Some(b) => Ok(b),
                None => match &unreachable {
                    Some(why) => Err((why.clone(), false)),
                    None => match f.relay.envelope(channel, p.index) {
                        Ok(b) => {
                            unanswered = 0;
                            Ok(b)
                        }
                        Err(e) => {
                            if matches!(e, RelayError::Transport { .. }) {
                                // One envelope's connection dropped does not
                                // stop the others; a relay gone altogether
                                // (this many in a row) is not asked for the
                                // rest now.
                                unanswered += 1;
                                if unanswered >= UNANSWERED_IN_A_ROW {
                                    unreachable = Some(e.to_string());
                                }
                            } else {
                                unanswered = 0;
                            }
                            Err((e.to_string(), true))
                        }
                    },
                },
            };
            got.push(Got {
                p,
                logged,
                body,
                proof: proofs.remove(&p.index),
            });
        }
        k = end;
        if out.send(Fetched::Page(got)).is_err() {
            return;
        }
    }
}

/// The storing stage: each page's envelopes dealt with in log order, as if
/// one at a time, and what the page yields stored in one transaction, with
/// the pages already waiting (up to [`GROUP_PAGES`]; a replay within them
/// is found by the ids of those not stored yet). Returns the envelopes still
/// to fetch, with why.
fn store_pages(
    f: &Stage<'_>,
    pending: &[PendingEnvelope],
    pages: std::sync::mpsc::Receiver<Checked<'_>>,
    outcome: &mut SyncOutcome,
    raised: &mut Vec<Alarm>,
) -> Result<Vec<(u64, String)>, SyncError> {
    let (archive, channel) = (f.archive, f.channel);
    let mut still: Vec<(u64, String)> = Vec::new();
    // What ends the pages: the relay unreachable, or the archive failing.
    let mut stop: Option<Fetched<'_>> = None;
    while stop.is_none() {
        let Ok(first) = pages.recv() else { break };
        // The pages already waiting are stored with it (up to GROUP_PAGES).
        let mut group = vec![first];
        while group.len() < GROUP_PAGES
            && let Ok(next) = pages.try_recv()
        {
            group.push(next);
        }
        // Dealt with in log order, as if one at a time.
        let mut done = Done::default();
        for (page, opened) in group {
            let got = match page {
                Fetched::Page(got) => got,
                other => {
                    stop = Some(other);
                    break;
                }
            };
            for (g, opening) in got.iter().zip(opened) {
                let (p, logged) = (g.p, g.logged.as_slice());
                let refused = |why: String, raised: &mut Vec<Alarm>| -> Result<String, SyncError> {
                    let p = archive.pending_failed(channel, p, f.now, &why)?;
                    if !p.alarmed
                        && p.attempts >= f.opts.withheld_after_attempts
                        && p.first_failure
                            .is_some_and(|t| f.now >= t.saturating_add(f.opts.withheld_after_secs))
                    {
                        raised.push(archive.raise(
                        channel,
                        "withheld-envelope",
                        &format!(
                            "the relay logged envelope {} (its signed checkpoint of size {} covers it) but has not served it \
                             on {} syncs over {} s: {why}; it stays to fetch and no receipt covers it",
                            p.index,
                            f.size,
                            p.attempts,
                            f.now.saturating_sub(p.first_failure.unwrap_or(f.now))
                        ),
                        &[logged, f.note_bytes],
                    )?);
                        archive.pending_alarmed(channel, p.index)?;
                    }
                    Ok(why)
                };
                let bytes = match &g.body {
                    Ok(b) => b,
                    // Not asked for: the relay is unreachable now.
                    Err((why, false)) => {
                        still.push((p.index, why.clone()));
                        continue;
                    }
                    Err((why, true)) => {
                        still.push((p.index, refused(why.clone(), raised)?));
                        continue;
                    }
                };
                let opening = match opening {
                    Ok(o) => o,
                    Err(why) => {
                        // The relay's doing: not received. Said once per envelope and lie.
                        let detail = format!("envelope {}: {why}", p.index);
                        let kind = "bad-envelope";
                        if !archive.alarms()?.iter().any(|a| {
                            a.channel == channel.to_hex() && a.kind == kind && a.detail == detail
                        }) {
                            raised.push(archive.raise(channel, kind, &detail, &[logged, bytes])?);
                        }
                        still.push((p.index, refused(why, raised)?));
                        continue;
                    }
                };
                match opening {
                    Opening::NotOurs => done.struck.push(p.index),
                    Opening::Unopenable(why) => {
                        // The sender signed this body: received, and unopenable.
                        raised.push(archive.raise(
                        channel,
                        "bad-envelope",
                        &format!(
                            "envelope {} from {}: {why} (it is the envelope its sender signed; the others are opened)",
                            p.index,
                            p.signer.key_id().to_hex()
                        ),
                        &[logged, bytes],
                    )?);
                        done.struck.push(p.index);
                    }
                    Opening::Opened(o) => {
                        let id = o.message.header.id.to_hex();
                        let earlier = match done.ids.get(&id) {
                            Some(j) => Some(*j),
                            None => archive.message_index(channel, &id)?,
                        };
                        if earlier == Some(p.index) {
                            // This very entry, stored by another sync of this
                            // archive since we listed it as pending (the UI's
                            // background sync beside a send's): no replay.
                            done.struck.push(p.index);
                        } else if let Some(earlier) = earlier {
                            raised.push(archive.raise(
                            channel,
                            "replayed-entry",
                            &format!(
                                "envelope {} carries message {id} already received at entry {earlier}: a replayed copy, \
                                 not applied to its case",
                                p.index,
                            ),
                            &[logged, f.note_bytes],
                        )?);
                            done.struck.push(p.index);
                        } else {
                            done.ids.insert(id, p.index);
                            done.opened.push((p.index, o));
                        }
                    }
                }
            }
        }
        // What these pages yield, in one transaction: the messages stored
        // and their envelopes struck off, or neither.
        let opened: Vec<_> = done
            .opened
            .iter()
            .map(|(i, o)| {
                (
                    *i,
                    &o.message.header,
                    o.message.body.as_str(),
                    encode_parts(&o.parts),
                )
            })
            .collect();
        archive.put_opened(channel, &opened, &done.struck)?;
        outcome.opened += opened.len() as u64;
    }
    match stop {
        Some(Fetched::Rest(k, why)) => {
            still.extend(pending[k..].iter().map(|p| (p.index, why.clone())));
        }
        Some(Fetched::Failed(e)) => return Err(e),
        Some(Fetched::Page(_)) | None => {}
    }
    Ok(still)
}

/// A pending envelope of a page: its logged head, the body the relay
/// served (or why not, and whether it was asked for), and the proof of its
/// head if this sync verified it.
struct Got<'a> {
    p: &'a PendingEnvelope,
    logged: Vec<u8>,
    body: Result<Vec<u8>, (String, bool)>,
    proof: Option<VerifiedHead>,
}

/// A page's envelopes dealt with, stored together.
#[derive(Default)]
struct Done {
    /// Opened and new: stored, and struck off.
    opened: Vec<(u64, Box<Opened>)>,
    /// Their message ids (hex), to find a replay within the pages stored
    /// together.
    ids: std::collections::HashMap<String, u64>,
    /// Struck off without a message: not ours, unopenable, replayed.
    struck: Vec<u64>,
}

/// `f` over `items` on every core, in order; inline for a few items. The
/// cores take chunks of [`PAR_CHUNK`] items in turn, so that one slowed
/// by another thread (the fetching or storing stage) holds up none.
fn par_map<T: Sync, R: Send>(items: &[T], f: &(dyn Fn(&T) -> R + Sync)) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < 64 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let chunks = items.len().div_ceil(PAR_CHUNK);
    let work = || {
        let mut out: Vec<(usize, Vec<R>)> = Vec::new();
        loop {
            let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if c >= chunks {
                return out;
            }
            let part = &items[c * PAR_CHUNK..((c + 1) * PAR_CHUNK).min(items.len())];
            out.push((c, part.iter().map(f).collect()));
        }
    };
    let mut done: Vec<(usize, Vec<R>)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
        hs.into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_unstable_by_key(|(c, _)| *c);
    done.into_iter().flat_map(|(_, r)| r).collect()
}

/// Items one core takes at a time in [`par_map`].
const PAR_CHUNK: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_core::charter::WitnessInfo;
    use hotline_log::note::Ed25519Signer;

    const ORIGIN: &str = "relay.test/0123";

    struct Keys {
        relay: Ed25519Signer,
        clock: Cosigner,
        witnesses: Vec<Cosigner>,
    }

    fn keys() -> Keys {
        Keys {
            relay: Ed25519Signer::new("relay.test", &[1; 32]).unwrap(),
            clock: Cosigner::new("relay.test", &[1; 32]).unwrap(),
            witnesses: (0..3u8)
                .map(|i| Cosigner::new(&format!("witness.test/w{i}"), &[10 + i; 32]).unwrap())
                .collect(),
        }
    }

    /// The attestation of the checkpoint of `size`, the relay dating it
    /// `relay_time`, witness `i` cosigning at `times[i]` (when `Some`).
    fn note(k: &Keys, size: u64, relay_time: u64, times: &[Option<u64>]) -> (String, [u8; 32]) {
        let root = [size as u8; 32];
        let text = Checkpoint {
            origin: ORIGIN.into(),
            size,
            root,
            extensions: vec![],
        }
        .to_text();
        let mut n = Note::new(&text).unwrap();
        n.add_signature(k.relay.sign(&text));
        n.add_signature(k.clock.cosign(&text, relay_time).unwrap());
        for (w, t) in k.witnesses.iter().zip(times) {
            if let Some(t) = t {
                n.add_signature(w.cosign(&text, *t).unwrap());
            }
        }
        (String::from_utf8(n.to_bytes()).unwrap(), root)
    }

    fn check(
        k: &Keys,
        quorum: usize,
        (text, root): &(String, [u8; 32]),
        listed_time: u64,
        dated: Option<(u64, u64)>,
    ) -> Result<(u64, u64), String> {
        let witnesses: Vec<WitnessInfo> = k
            .witnesses
            .iter()
            .map(|w| WitnessInfo {
                key: w.vkey(),
                url: "http://127.0.0.1:1".into(),
            })
            .collect();
        let verifier = Ed25519Verifier::from_vkey(&k.relay.vkey()).unwrap();
        let time_verifier =
            CosignatureVerifier::from_vkey(&timestamp_vkey(verifier.key())).unwrap();
        let a = Attestation {
            origin: ORIGIN,
            witnesses: &witnesses,
            quorum,
            verifier: &verifier,
            time_verifier: &time_verifier,
            now: 1_000_000,
        };
        let root = *root;
        a.check(text, 10, &|_| Ok(Some((root, Some(listed_time)))), dated)
            .unwrap()
    }

    #[test]
    fn without_a_quorum_the_time_is_the_relays() {
        let k = keys();
        let n = note(&k, 5, 900_000, &[]);
        assert_eq!(check(&k, 0, &n, 900_000, None), Ok((5, 900_000)));
    }

    #[test]
    fn with_a_quorum_the_time_is_the_quorum_th_earliest_witness_time() {
        let k = keys();
        // The relay backdates by a day; the witnesses say when they saw it.
        let n = note(
            &k,
            5,
            900_000,
            &[Some(986_400), Some(986_390), Some(986_410)],
        );
        assert_eq!(check(&k, 1, &n, 900_000, None), Ok((5, 986_390)));
        assert_eq!(check(&k, 2, &n, 900_000, None), Ok((5, 986_400)));
        assert_eq!(check(&k, 3, &n, 900_000, None), Ok((5, 986_410)));
        // One witness alone cannot set it early when two are required.
        let early = note(&k, 5, 900_000, &[Some(1), Some(986_390), None]);
        assert_eq!(check(&k, 2, &early, 900_000, None), Ok((5, 986_390)));
    }

    #[test]
    fn too_few_witnesses_or_times_that_go_back_or_ahead_are_refused() {
        let k = keys();
        let one = note(&k, 5, 900_000, &[Some(986_400), None, None]);
        let e = check(&k, 2, &one, 900_000, None).unwrap_err();
        assert!(e.contains("only 1 of the 2 witness cosignatures"), "{e}");
        // Before the last attested time.
        let e = check(&k, 1, &one, 900_000, Some((3, 986_401))).unwrap_err();
        assert!(e.contains("before the last attested"), "{e}");
        // Not past the last attested size.
        let e = check(&k, 1, &one, 900_000, Some((5, 1))).unwrap_err();
        assert!(e.contains("past the last attested"), "{e}");
        // Beyond the clock skew ahead of this machine.
        let ahead = note(&k, 5, 900_000, &[Some(1_000_000 + MAX_CLOCK_SKEW + 1)]);
        let e = check(&k, 1, &ahead, 900_000, None).unwrap_err();
        assert!(e.contains("in the future"), "{e}");
        // A checkpoint past its own index.
        let late = note(&k, 11, 900_000, &[Some(986_400)]);
        let e = check(&k, 1, &late, 900_000, None).unwrap_err();
        assert!(e.contains("at most its own index"), "{e}");
    }

    #[test]
    fn an_attestation_must_agree_with_the_history() {
        let k = keys();
        let n = note(&k, 5, 900_000, &[Some(986_400)]);
        // The history dates the same checkpoint otherwise.
        let e = check(&k, 1, &n, 899_000, None).unwrap_err();
        assert!(e.contains("twice"), "{e}");
        // A note the relay did not sign, or not canonical.
        let forged = n.0.replace("\u{2014} relay.test", "\u{2014} relay.tesx");
        assert!(check(&k, 1, &(forged, n.1), 900_000, None).is_err());
        let spaced = format!("{}\n", n.0);
        assert!(check(&k, 1, &(spaced, n.1), 900_000, None).is_err());
        // The history lists another root at that size: two logs.
        let other = (n.0.clone(), [9; 32]);
        let e = check(&k, 1, &other, 900_000, None).unwrap_err();
        assert!(e.contains("two logs"), "{e}");
    }

    /// A hotline-v2-xwing envelope from `from` (of `party`) to `to`, and
    /// the pending entry sync holds for it.
    fn xwing_envelope(
        from: &MemberKeys,
        party: &hotline_core::keys::SigningKey,
        to: &[&MemberKeys],
        channel: ChannelId,
    ) -> (Vec<u8>, PendingEnvelope) {
        use hotline_core::charter::Suite;
        use hotline_core::message::{InnerHeader, Kind, Message, Tlp};
        let id = hotline_core::ids::MessageId::random(&mut rand_core::OsRng);
        let m = Message {
            header: InnerHeader {
                v: 1,
                channel,
                id,
                case: id,
                kind: Kind::Inquiry,
                author: from.signing.key_id(),
                party: party.key_id(),
                created: "2026-12-03T10:00:00Z".into(),
                to: vec![party.key_id()],
                refs: vec![],
                title: "Sealed keys".into(),
                tlp: Tlp::Amber,
                norm: None,
                lang: "en".into(),
                other_langs: vec![],
                authentic: vec![],
                attachments: vec![],
                stix: false,
                nonce: "00".repeat(16),
            },
            body: "Body".into(),
            other_bodies: vec![],
            attachments: vec![],
            stix: None,
        };
        let pks: Vec<_> = to
            .iter()
            .map(|k| k.encryption_for(Suite::XWing).unwrap().public_key())
            .collect();
        let (env, _) =
            Envelope::seal_message(&m, &from.signing, &pks, &mut rand_core::OsRng).unwrap();
        let p = PendingEnvelope {
            index: 7,
            signer: from.signing.verifying_key(),
            party: party.key_id(),
            attempts: 0,
            first_failure: None,
            last_error: None,
            alarmed: false,
        };
        (env.to_bytes(), p)
    }

    #[test]
    fn a_sealed_key_the_relay_altered_is_its_fault_for_that_recipient_only() {
        use hotline_core::charter::Suite;
        let channel = ChannelId([3; 16]);
        let party = hotline_core::keys::SigningKey::generate(&mut rand_core::OsRng);
        let from = MemberKeys::generate(&mut rand_core::OsRng);
        let (me, other) = (
            MemberKeys::generate(&mut rand_core::OsRng),
            MemberKeys::generate(&mut rand_core::OsRng),
        );
        let (good, p) = xwing_envelope(&from, &party, &[&other, &me], channel);
        let mine = [Recipient::new(me.encryption_for(Suite::XWing).unwrap()).unwrap()];
        let open = |bytes: &[u8]| {
            let g = Got {
                p: &p,
                logged: good[..SIGNED_HEAD_LEN].to_vec(),
                body: Ok(bytes.to_vec()),
                proof: None,
            };
            check_and_open(bytes, &g, &channel, &mine)
        };
        assert!(matches!(open(&good), Ok(Opening::Opened(_))));
        // Index of two (64 bytes each), then the sealed keys: the other
        // recipient's, then ours.
        let sealed_at = SIGNED_HEAD_LEN + 2 * 64;
        let mut theirs = good.clone();
        theirs[sealed_at + 9] ^= 0x01;
        assert!(
            matches!(open(&theirs), Ok(Opening::Opened(_))),
            "another recipient's sealed key is that recipient's business"
        );
        let mut ours = good.clone();
        ours[sealed_at + 1168 + 9] ^= 0x01;
        let why = match open(&ours) {
            Err(why) => why,
            Ok(Opening::Unopenable(why)) => panic!("blamed on the sender: {why}"),
            Ok(_) => panic!("opened"),
        };
        assert!(why.contains("relay"), "{why}");
        // A recipient renamed in the index: the head's hash no longer
        // matches, the relay's doing (and not "not ours").
        let mut renamed = good.clone();
        renamed[SIGNED_HEAD_LEN + 64 + 3] ^= 0x01;
        assert!(open(&renamed).is_err());
    }
}
