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

#[cfg(test)]
mod tests {
    //! What a lying relay can do to receipts: lend cosignatures of another
    //! checkpoint text, forge one in a member's name, present a key that no
    //! roster lists (or not yet at that size), or a witness not in the
    //! charter. None of it may become a receipt.

    use std::collections::BTreeMap;

    use hotline_core::charter::{
        Charter, CharterParty, DisclosureRule, RelayInfo, VerifiedCharter, WitnessInfo,
    };
    use hotline_core::keys::{MemberKeys, SigningKey};
    use hotline_core::message::Tlp;
    use hotline_core::roster::{Directory, Roster, RosterMember};
    use hotline_log::cosignature::Cosigner;
    use hotline_log::note::Note;

    use super::*;

    const TEXT: &str = "relay.test/chan\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const OTHER: &str = "relay.test/chan\n7\nBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=\n";

    struct World {
        charter: VerifiedCharter,
        dir: Directory,
        north: MemberKeys,
        witness: Cosigner,
    }

    /// A channel of north and south with one witness; north's member
    /// listed by a roster logged at index 1 (south publishes none).
    fn world() -> World {
        let keys = [[1u8; 32], [2u8; 32]].map(|s| SigningKey::from_seed(&s));
        let witness = Cosigner::new("witness.test", &[9; 32]).unwrap();
        let charter = Charter {
            v: 1,
            title: "receipts".into(),
            nonce: "00112233445566778899aabbccddeeff".into(),
            created: "2026-12-01T00:00:00Z".into(),
            parties: ["north", "south"]
                .iter()
                .zip(&keys)
                .map(|(s, k)| CharterParty {
                    id: k.key_id(),
                    name: format!("{s} CERT"),
                    short: (*s).into(),
                    key: k.verifying_key().to_base64(),
                })
                .collect(),
            relay: RelayInfo {
                url: "http://127.0.0.1:1".into(),
                key: Cosigner::new("relay.test", &[8; 32]).unwrap().vkey(),
            },
            witnesses: vec![WitnessInfo {
                key: witness.vkey(),
                url: "http://127.0.0.1:2".into(),
            }],
            witness_quorum: 1,
            deadlines: BTreeMap::new(),
            disclosure: DisclosureRule::Unanimous,
            default_tlp: Tlp::Amber,
            retention_days: 30,
            suite: "hotline-v1".into(),
        };
        let mut doc = charter.to_document().unwrap();
        doc.sign(&keys[0]);
        doc.sign(&keys[1]);
        let charter = VerifiedCharter::verify(&doc).unwrap();
        let north = MemberKeys::generate(&mut rand_core::OsRng);
        let mut dir = Directory::new(charter.clone());
        let roster = Roster {
            v: 1,
            channel: charter.channel(),
            party: keys[0].key_id(),
            version: 1,
            previous: None,
            issued: "2026-12-01T00:00:00Z".into(),
            members: vec![RosterMember::new(
                &charter.channel(),
                &keys[0].key_id(),
                "Alice",
                &north,
            )],
        };
        let mut rdoc = roster.to_document().unwrap();
        rdoc.sign(&keys[0]);
        dir.apply(1, &rdoc).unwrap();
        World {
            charter,
            dir,
            north,
            witness,
        }
    }

    /// The relay's signature on `text` (a note carries at least one).
    fn relay_signed(text: &str) -> Note {
        let mut n = Note::new(text).unwrap();
        n.add_signature(
            hotline_log::note::Ed25519Signer::new("relay.test", &[8; 32])
                .unwrap()
                .sign(text),
        );
        n
    }

    /// The checkpoint of size `size` this archive verified, with `TEXT`.
    fn ours(size: u64) -> SeenCheckpoint {
        SeenCheckpoint {
            size,
            root: [0; 32],
            note: relay_signed(TEXT).to_bytes(),
            time: Some(1_000),
        }
    }

    /// `text` with the given cosignatures, as a relay serves it.
    fn served(text: &str, sigs: &[hotline_log::note::NoteSignature]) -> Vec<u8> {
        let mut n = relay_signed(text);
        for s in sigs {
            n.add_signature(s.clone());
        }
        n.to_bytes()
    }

    fn member_cosigner(m: &MemberKeys) -> Cosigner {
        Cosigner::new(&m.signing.key_id().to_hex(), &m.signing.seed()).unwrap()
    }

    #[test]
    fn a_members_and_a_witnesss_cosignature_over_our_text_are_receipts() {
        let w = world();
        let north = w.charter.charter().parties[0].id;
        let sigs = [
            member_cosigner(&w.north).cosign(TEXT, 2_000).unwrap(),
            w.witness.cosign(TEXT, 2_001).unwrap(),
        ];
        let got =
            verified_cosignatures(w.charter.charter(), &w.dir, &ours(7), &served(TEXT, &sigs));
        assert_eq!(got.len(), 2, "{got:?}");
        let member = got.iter().find(|c| c.party.is_some()).unwrap();
        assert_eq!(member.party, Some(north));
        assert_eq!((member.size, member.time), (7, 2_000));
        let witness = got.iter().find(|c| c.party.is_none()).unwrap();
        assert_eq!(witness.signer, "witness.test");
        assert_eq!(witness.time, 2_001);
    }

    #[test]
    fn cosignatures_over_another_text_are_lent_and_prove_nothing() {
        let w = world();
        let sigs = [
            member_cosigner(&w.north).cosign(OTHER, 2_000).unwrap(),
            w.witness.cosign(OTHER, 2_001).unwrap(),
        ];
        // Served over the other text: the texts differ, nothing.
        let other = served(OTHER, &sigs);
        assert!(verified_cosignatures(w.charter.charter(), &w.dir, &ours(7), &other).is_empty());
        // Served over our text: they do not verify over it; only the
        // genuine receipt beside them counts.
        let mut with_genuine = sigs.to_vec();
        with_genuine.push(member_cosigner(&w.north).cosign(TEXT, 2_002).unwrap());
        let moved = served(TEXT, &with_genuine);
        let got = verified_cosignatures(w.charter.charter(), &w.dir, &ours(7), &moved);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].time, 2_002);
    }

    #[test]
    fn forged_unknown_and_premature_keys_are_not_receipts() {
        let w = world();
        // A forged signature in north's member's name: its bytes altered.
        let mut forged = member_cosigner(&w.north).cosign(TEXT, 2_000).unwrap();
        let last = forged.sig.len() - 1;
        forged.sig[last] ^= 1;
        // A key no roster lists, cosigning properly.
        let stranger = MemberKeys::generate(&mut rand_core::OsRng);
        let unknown = member_cosigner(&stranger).cosign(TEXT, 2_000).unwrap();
        // A witness the charter does not name.
        let fake_witness = Cosigner::new("witness.test", &[7; 32])
            .unwrap()
            .cosign(TEXT, 2_000)
            .unwrap();
        // Beside them one genuine receipt: it alone is recorded (the note
        // parsed; each of the others was refused on its own).
        let genuine = member_cosigner(&w.north).cosign(TEXT, 2_002).unwrap();
        let sigs = [forged, unknown, fake_witness, genuine];
        let got =
            verified_cosignatures(w.charter.charter(), &w.dir, &ours(7), &served(TEXT, &sigs));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].time, 2_002);
        // North's member, genuinely, but at a size before its roster was
        // logged (index 1): no member of north was current then.
        let early = [member_cosigner(&w.north).cosign(TEXT, 2_000).unwrap()];
        let got =
            verified_cosignatures(w.charter.charter(), &w.dir, &ours(1), &served(TEXT, &early));
        assert!(got.is_empty(), "{got:?}");
    }
}
