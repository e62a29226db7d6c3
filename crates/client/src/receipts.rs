//! Receipts and witness cosignatures (DESIGN §5; `docs/ui.md`, "Channel
//! health" and "Receipts on the timeline"): which parties' systems cosigned
//! which checkpoint, and which of the charter's witnesses did.
//!
//! A sync posts our own receipt; the other parties post theirs when they
//! sync, often after we verified that checkpoint, so the note this archive
//! stored then does not carry them. [`refresh`] asks the relay again for the
//! newest checkpoints we verified ([`REFRESH_WINDOW`] of them), each with
//! every cosignature it collected since, and records those that verify:
//!
//! - only over the very checkpoint text this archive verified at that size
//!   (a relay could otherwise lend us cosignatures of another log);
//! - a witness's with the charter's key for it;
//! - a member's (a receipt) with the signing key of a member of its party
//!   in the roster in effect at that size; its key name is its key id (hex).
//!
//! Anything else (an unknown key, a bad signature, another text) is ignored:
//! it proves nothing. A party's latest receipt covers every message below
//! its size ([`Archive::receipts`]).

use hotline_core::charter::VerifiedCharter;
use hotline_core::dsse::SignedDocument;
use hotline_core::ids::ChannelId;
use hotline_core::keys::KeyId;
use hotline_core::roster::Directory;
use hotline_log::cosignature::CosignatureVerifier;
use hotline_log::note::Note;

use crate::archive::{Archive, ArchiveError, Cosignature, SeenCheckpoint};
use crate::relay_client::RelayClient;
use crate::sync::SyncError;

/// How many of the newest verified checkpoints [`refresh`] asks about. A
/// party cosigns the newest checkpoint it verified, so its receipt lands on
/// one of these while the log grows by fewer than this many checkpoints
/// between two refreshes; a later receipt supersedes an earlier one.
pub const REFRESH_WINDOW: u64 = 32;

/// The cosignatures in `served` that verify over the text of `ours` (the
/// checkpoint this archive verified at that size): the charter's
/// witnesses' and the receipts of members current at that size in `dir`.
/// Nothing when the texts differ.
pub fn verified_cosignatures(
    charter: &hotline_core::charter::Charter,
    dir: &Directory,
    ours: &SeenCheckpoint,
    served: &[u8],
) -> Vec<Cosignature> {
    let (Ok(ours_note), Ok(note)) = (Note::parse(&ours.note), Note::parse(served)) else {
        return vec![];
    };
    if note.text != ours_note.text {
        return vec![];
    }
    let mut out: Vec<Cosignature> = Vec::new();
    let mut add = |c: Cosignature| {
        if !out.iter().any(|o| o.signer == c.signer) {
            out.push(c);
        }
    };
    for w in &charter.witnesses {
        let Ok(v) = CosignatureVerifier::from_vkey(&w.key) else {
            continue;
        };
        if let Some(t) = note
            .signatures
            .iter()
            .find_map(|s| v.verify(&note.text, s).ok().flatten())
        {
            add(Cosignature {
                size: ours.size,
                signer: v.key().name.clone(),
                party: None,
                time: t,
            });
        }
    }
    for s in &note.signatures {
        let Ok(key) = KeyId::from_hex(&s.name) else {
            continue;
        };
        // A member whose roster was in effect for an entry at this size.
        let Some(signer) = dir.signer_at(&key, ours.size) else {
            continue;
        };
        let vkey =
            hotline_log::note::format_vkey(&s.name, 0x04, &signer.member.signing_key.to_bytes());
        if let Ok(v) = CosignatureVerifier::from_vkey(&vkey)
            && let Ok(Some(t)) = v.verify(&note.text, s)
        {
            add(Cosignature {
                size: ours.size,
                signer: s.name.clone(),
                party: Some(signer.party),
                time: t,
            });
        }
    }
    out
}

/// Asks the relay for the newest [`REFRESH_WINDOW`] checkpoints this
/// archive verified of `channel`, with their cosignatures, and records those
/// that verify (with those the stored notes carry); returns how many were
/// new. Reads nothing else and changes nothing but the cosignatures; an
/// unreachable relay is [`SyncError::Relay`].
pub fn refresh(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
) -> Result<usize, SyncError> {
    let Some(latest) = archive.latest_checkpoint(channel)? else {
        return Ok(0);
    };
    let rec = archive.channel(channel)?;
    let bad = |e: String| {
        SyncError::Archive(ArchiveError::Db(
            std::path::PathBuf::from(crate::archive::FILE),
            format!("the stored charter of channel {}: {e}", channel.to_hex()),
        ))
    };
    let charter = VerifiedCharter::verify(
        &SignedDocument::from_json(&rec.charter).map_err(|e| bad(e.to_string()))?,
    )
    .map_err(|e| bad(e.to_string()))?;
    let dir = crate::sync::directory(archive, &rec.origin, latest.size, &charter)?;
    let after = archive
        .nth_newest_checkpoint(channel, REFRESH_WINDOW)?
        .unwrap_or(0);
    let served = relay.checkpoints_after(channel, after, REFRESH_WINDOW)?;
    let mut rows = Vec::new();
    for (size, note) in served {
        let Some(ours) = archive
            .checkpoint_at_most(channel, size)?
            .filter(|c| c.size == size)
        else {
            continue;
        };
        rows.extend(verified_cosignatures(charter.charter(), &dir, &ours, &note));
        rows.extend(verified_cosignatures(
            charter.charter(),
            &dir,
            &ours,
            &ours.note,
        ));
    }
    Ok(archive.record_cosignatures(channel, &rows)?)
}

/// Each of the charter's witnesses, by its key name (the key itself if it
/// does not parse), with the time of its cosignature among `cosigs` (those
/// of one checkpoint, [`Archive::cosignatures`]), if it cosigned.
pub fn witnesses_of(
    charter: &hotline_core::charter::Charter,
    cosigs: &[Cosignature],
) -> Vec<(String, Option<u64>)> {
    charter
        .witnesses
        .iter()
        .map(|w| {
            let name = CosignatureVerifier::from_vkey(&w.key)
                .map(|v| v.key().name.clone())
                .unwrap_or_else(|_| w.key.clone());
            let t = cosigs
                .iter()
                .find(|c| c.party.is_none() && c.signer == name)
                .map(|c| c.time);
            (name, t)
        })
        .collect()
}
