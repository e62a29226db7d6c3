//! Sync (DESIGN §5): fetch a channel's new entries and its checkpoint from
//! the relay, verify everything, open what is addressed to us, store it,
//! and cosign the checkpoint as our receipt.
//!
//! The order of checks, each of which raises a persistent alarm on failure:
//!
//! 1. the checkpoint is signed by the relay key the charter names, for this
//!    channel's origin;
//! 2. it is not older than one the relay showed us before (`stale-checkpoint`)
//!    and, at the same size, has the same root (`fork`);
//! 3. every new entry verifies: entry 0 is our charter, rosters apply, each
//!    envelope head is signed by a member current at its index (`bad-entry`);
//! 4. the Merkle root of our mirror plus the new entries equals the
//!    checkpoint's root, which proves consistency with every checkpoint we
//!    verified before (`fork` otherwise, with both signed checkpoints kept);
//! 5. each envelope addressed to us matches its logged head, opens, and its
//!    plaintext matches its commitment (`bad-envelope`).
//!
//! Only then are the entries appended to the mirror (in the same durable
//! transaction as their root check), the checkpoint recorded, and our
//! cosignature posted.

use hotline_core::charter::VerifiedCharter;
use hotline_core::commitment::encode_parts;
use hotline_core::dsse::SignedDocument;
use hotline_core::entry::Entry;
use hotline_core::envelope::{Envelope, SIGNED_HEAD_LEN};
use hotline_core::ids::ChannelId;
use hotline_core::roster::Directory;
use hotline_log::checkpoint::Checkpoint;
use hotline_log::cosignature::{CosignatureVerifier, Cosigner};
use hotline_log::log::{Log, LogError};
use hotline_log::note::{Ed25519Verifier, Note, Verifier};
use hotline_log::storage::{AppendBatch, LogStore};
use hotline_store::StoreError;

use crate::archive::{Alarm, Archive, ArchiveError, SeenCheckpoint};
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
/// an alarm (seconds after the relay's timestamp on it).
pub const WITNESS_GRACE: u64 = 120;

/// How many of the charter's witnesses validly cosigned the checkpoint `note`.
pub fn witness_cosignatures(charter: &hotline_core::charter::Charter, note: &Note) -> usize {
    charter
        .witnesses
        .iter()
        .filter(|w| {
            CosignatureVerifier::from_vkey(&w.key).is_ok_and(|v| {
                note.signatures
                    .iter()
                    .any(|s| matches!(v.verify(&note.text, s), Ok(Some(_))))
            })
        })
        .count()
}

/// Raises a `witness-quorum` alarm (once) if fewer of the charter's
/// witnesses than its quorum have cosigned the checkpoint `cp`, `grace`
/// seconds after its timestamp. Returns the alarm if one was raised now.
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
    if quorum == 0 || cp.time.is_none_or(|t| now < t + grace) {
        return Ok(None);
    }
    let served = relay.checkpoint_at(channel, cp.size)?;
    let Ok(note) = Note::parse(&served) else {
        return Ok(None);
    };
    let cosigned = witness_cosignatures(charter, &note);
    if cosigned >= quorum {
        return Ok(None);
    }
    let detail = format!(
        "only {cosigned} of the {quorum} witness cosignatures the charter requires on the checkpoint of size {}",
        cp.size
    );
    if archive
        .alarms()?
        .iter()
        .any(|a| a.channel == channel.to_hex() && a.kind == "witness-quorum" && a.detail == detail)
    {
        return Ok(None);
    }
    Ok(Some(archive.raise(
        channel,
        "witness-quorum",
        &detail,
        &[&served],
    )?))
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
    /// Whether our cosignature of the checkpoint was posted.
    pub cosigned: bool,
}

/// Rebuilds a channel's key directory from the mirror (charter, rosters).
pub(crate) fn directory(
    archive: &Archive,
    origin: &str,
    size: u64,
    charter: &VerifiedCharter,
) -> Result<Directory, ArchiveError> {
    let mut dir = Directory::new(charter.clone());
    for (index, doc) in crate::channel::roster_docs(archive, origin, size)? {
        // It applied when it was mirrored; it applies again.
        let _ = dir.apply(index, &doc);
    }
    Ok(dir)
}

/// Syncs one channel. `progress(done, total)` reports entries verified.
pub fn sync_channel(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    me: &dyn Keys,
    progress: &dyn Fn(u64, u64),
) -> Result<SyncOutcome, SyncError> {
    let rec = archive.channel(channel)?;
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

    // 2. Against what we saw before.
    let last = archive.latest_checkpoint(channel)?;
    let have = archive.log.size(&rec.origin).map_err(ArchiveError::from)?;
    if let Some(l) = &last {
        if cp.size < l.size {
            let root_then = Log::new(&archive.log, &rec.origin).root(cp.size).ok();
            let kind = if root_then == Some(cp.root) {
                "stale-checkpoint"
            } else {
                "fork"
            };
            return Err(alarm(
                kind,
                format!(
                    "the relay served a checkpoint of size {} after one of size {}{}",
                    cp.size,
                    l.size,
                    if kind == "fork" {
                        " with a root inconsistent with it"
                    } else {
                        ""
                    }
                ),
                &[&l.note, &note_bytes],
            ));
        }
        if cp.size == l.size {
            if cp.root != l.root {
                return Err(alarm(
                    "fork",
                    format!("two checkpoints of size {} with different roots", cp.size),
                    &[&l.note, &note_bytes],
                ));
            }
            return Ok(SyncOutcome {
                size: cp.size,
                ..SyncOutcome::default()
            });
        }
    }

    // Every checkpoint the relay signed since the last we verified, each with
    // its timestamp: they date the new entries.
    let mut history: Vec<SeenCheckpoint> = Vec::new();
    let mut after = last.as_ref().map(|l| l.size).unwrap_or(0);
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    let mut prev_time = last.as_ref().and_then(|l| l.time).unwrap_or(0);
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
            n.verify(&[&verifier as &dyn Verifier])
                .map_err(|_| bad("not signed by the relay key".into()))?;
            let c = Checkpoint::parse(&n.text).map_err(|e| bad(e.to_string()))?;
            if c.origin != rec.origin || c.size != size {
                return Err(bad(format!("it holds {} at size {}", c.origin, c.size)));
            }
            let time = n
                .signatures
                .iter()
                .find_map(|sig| time_verifier.verify(&n.text, sig).ok().flatten());
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

    // 3. The new entries.
    let mut dir = directory(archive, &rec.origin, have, &charter)?;
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
                &[&note_bytes],
            ));
        }
        progress(entries.len() as u64, total);
    }
    let mut heads = Vec::new();
    for (i, bytes) in entries.iter().enumerate() {
        let index = have + i as u64;
        let bad = |why: String| {
            alarm(
                "bad-entry",
                format!("entry {index}: {why}"),
                &[bytes, &note_bytes],
            )
        };
        match Entry::from_bytes(bytes).map_err(|e| bad(e.to_string()))? {
            Entry::Charter(doc) if index == 0 => {
                if doc.to_json() != rec.charter {
                    return Err(bad("the log's charter is not the channel's charter".into()));
                }
            }
            Entry::Roster(doc) if index > 0 => {
                dir.apply(index, &doc)
                    .map_err(|e| bad(format!("the roster does not apply: {e}")))?;
            }
            Entry::Head(h) if index > 0 => {
                if h.head.header.channel != *channel {
                    return Err(bad("an envelope of another channel".into()));
                }
                let signer = dir
                    .signer_at(&h.head.header.sender, index)
                    .ok_or_else(|| bad("its sender was not a member at that index".into()))?;
                h.verify(&signer.member.signing_key)
                    .map_err(|e| bad(format!("its signature: {e}")))?;
                heads.push((index, signer.member.signing_key, signer.party));
            }
            _ => {
                return Err(bad(
                    "out of place (the charter is entry 0, and only it)".into()
                ));
            }
        }
    }

    // 4. The root, and the mirror, in one durable step.
    let mut root_ok = true;
    let mirror = Log::new(&archive.log, &rec.origin);
    let appended = mirror.append_with(&entries, |batch: &AppendBatch<'_>| {
        match mirror.root_with(cp.size, batch) {
            Ok(r) if r == cp.root => archive.log.append(&rec.origin, batch),
            _ => {
                root_ok = false;
                Err(StoreError::Invalid("root mismatch".into()))
            }
        }
    });
    if !root_ok {
        let mut evidence: Vec<&[u8]> = vec![&note_bytes];
        if let Some(l) = &last {
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
    appended.map_err(|e| match e {
        LogError::Store(s) => SyncError::Archive(ArchiveError::Store(s)),
        other => SyncError::Archive(ArchiveError::Store(StoreError::Backend(other.to_string()))),
    })?;

    // Every checkpoint of the history is a prefix of the log we now hold.
    let log = Log::new(&archive.log, &rec.origin);
    for h in &history {
        if log.root(h.size).ok() != Some(h.root) {
            return Err(alarm(
                "fork",
                format!(
                    "the relay's checkpoint of size {} is inconsistent with its checkpoint of size {}",
                    h.size, cp.size
                ),
                &[&h.note, &note_bytes],
            ));
        }
        archive.record_checkpoint(channel, h)?;
    }

    // 5. Open what is addressed to us.
    let mut opened = 0;
    for (index, sender_key, party) in heads {
        let bytes = relay.envelope(channel, index)?;
        let logged = &entries[(index - have) as usize];
        let bad = |why: String| {
            alarm(
                "bad-envelope",
                format!("envelope {index}: {why}"),
                &[logged, &bytes],
            )
        };
        if bytes.get(..SIGNED_HEAD_LEN) != Some(&logged[..]) {
            return Err(bad(
                "the relay served another head than the one logged".into()
            ));
        }
        let env = Envelope::from_bytes(&bytes).map_err(|e| bad(e.to_string()))?;
        // Ours if it names one of our keys, current or retired.
        let Some(keys) = env.stanzas().iter().find_map(|s| me.opener(&s.recipient)) else {
            continue;
        };
        let o = env
            .open(&sender_key, &keys.encryption)
            .map_err(|e| bad(format!("it does not open: {e}")))?;
        let h = &o.message.header;
        if h.author != o.head.head.header.sender || h.channel != *channel || h.party != party {
            return Err(bad(
                "its inner header names another author, party or channel".into(),
            ));
        }
        archive.put_message(channel, index, h, &o.message.body, &encode_parts(&o.parts))?;
        opened += 1;
    }

    // The witnesses had their grace period on the checkpoint verified before.
    if let Some(l) = &last {
        check_witness_quorum(
            archive,
            relay,
            channel,
            charter.charter(),
            l,
            WITNESS_GRACE,
            now,
        )?;
    }

    // The receipt.
    let time = note
        .signatures
        .iter()
        .find_map(|sig| time_verifier.verify(&note.text, sig).ok().flatten());
    archive.record_checkpoint(
        channel,
        &SeenCheckpoint {
            size: cp.size,
            root: cp.root,
            note: note_bytes.clone(),
            time,
        },
    )?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    let signing = &me.current().signing;
    let cosigned = match Cosigner::new(&signing.key_id().to_hex(), &signing.seed())
        .and_then(|c| c.cosign(&note.text, now))
    {
        Ok(sig) => relay.cosign(channel, cp.size, &sig.to_line()).is_ok(),
        Err(_) => false,
    };
    Ok(SyncOutcome {
        size: cp.size,
        new_entries: total,
        opened,
        cosigned,
    })
}
