//! A cheap mark of what the archive holds for a channel, for a reader that
//! keeps what it derived from the archive (the web UI's cases) and must know
//! when to derive it again.

use hotline_core::ids::ChannelId;
use hotline_log::storage::LogStore as _;
use rusqlite::params;

use super::{Archive, ArchiveError};

/// What [`Archive::state`] reads: if two marks of a channel are equal, its
/// opened messages, their sequencing times, its mirror (and with it the
/// key directory) and its record (the charter) are the same as well.
///
/// Equal marks mean equal contents because the archive only adds: a
/// message is never deleted nor changed once stored (so a new one raises
/// `messages`, the largest row id of the stored messages, of every
/// channel); a time attestation is written in the same transaction as the
/// mirror entries it comes with (so it raises `log_size`); a channel's
/// record is written once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelState {
    /// The mirror's size.
    pub log_size: u64,
    /// The last time attestation mirrored (attested size, time).
    pub last_time: Option<(u64, u64)>,
    /// The largest row id of the stored messages of any channel: it grows
    /// with every message stored.
    pub messages: u64,
}

impl Archive {
    /// The mark of what the archive holds for channel `id` (three look-ups
    /// by key, no scan: cheap enough for every page).
    pub fn state(&self, id: &ChannelId) -> Result<ChannelState, ArchiveError> {
        let origin = self.channel(id)?.origin;
        let log_size = self.log.size(&origin)?;
        let last_time = self.last_time(id)?;
        let messages = self
            .db()
            .query_row(
                "SELECT COALESCE(MAX(rowid), 0) FROM client_messages",
                params![],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(ChannelState {
            log_size,
            last_time,
            messages: u64::try_from(messages).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use hotline_core::ids::MessageId;
    use hotline_core::keys::KeyId;
    use hotline_core::message::{InnerHeader, Kind, Tlp};

    use super::super::{AppendRows, ChannelRecord, write_rows};
    use super::*;

    fn header(ch: ChannelId, i: u64) -> InnerHeader {
        let id = MessageId([i as u8; 16]);
        InnerHeader {
            v: 1,
            channel: ch,
            id,
            case: id,
            kind: Kind::Inquiry,
            author: KeyId([1; 32]),
            party: KeyId([1; 32]),
            created: "2026-12-02T00:00:00Z".into(),
            to: vec![KeyId([2; 32])],
            refs: vec![],
            title: format!("m{i}"),
            tlp: Tlp::Green,
            norm: None,
            lang: "en".into(),
            other_langs: vec![],
            authentic: vec![],
            attachments: vec![],
            stix: false,
            nonce: format!("{i:032x}"),
        }
    }

    #[test]
    fn the_state_changes_with_every_message_and_time_and_dates_match() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let (c1, c2) = (ChannelId([1; 16]), ChannelId([2; 16]));
        for c in [c1, c2] {
            a.add_channel(&ChannelRecord {
                id: c,
                origin: format!("t/{}", c.to_hex()),
                relay_url: String::new(),
                relay_vkey: String::new(),
                charter: vec![],
            })
            .unwrap();
        }
        let s0 = a.state(&c1).unwrap();
        a.put_message(&c1, 5, &header(c1, 5), "b", &[]).unwrap();
        let s1 = a.state(&c1).unwrap();
        assert_ne!(s0, s1);
        // The same message again stores nothing: the same state.
        a.put_message(&c1, 5, &header(c1, 5), "b", &[]).unwrap();
        assert_eq!(a.state(&c1).unwrap(), s1);
        // A message of a lower index (a pending one fetched late) and one
        // of another channel each change it.
        a.put_message(&c1, 2, &header(c1, 2), "b", &[]).unwrap();
        let s2 = a.state(&c1).unwrap();
        assert_ne!(s1, s2);
        a.put_message(&c2, 9, &header(c2, 9), "b", &[]).unwrap();
        let s3 = a.state(&c1).unwrap();
        assert_ne!(s2, s3);
        a.put_message(&c1, 7, &header(c1, 7), "b", &[]).unwrap();

        // Time attestations: attested size 3 at time 100, 6 at 200.
        {
            let db = a.db();
            let rows = AppendRows {
                times: vec![(3, 3, 100), (6, 6, 200)],
                ..Default::default()
            };
            write_rows(&db, &c1.to_hex(), "2026-12-02T00:00:00Z", &rows).unwrap();
        }
        assert_ne!(a.state(&c1).unwrap(), s3);
        let logged = a.logged_messages(&c1).unwrap();
        assert_eq!(
            logged.iter().map(|m| m.index).collect::<Vec<_>>(),
            [2, 5, 7]
        );
        for m in &logged {
            assert_eq!(
                m.sequenced_at,
                a.sequenced_at(&c1, m.index).unwrap(),
                "{}",
                m.index
            );
        }
        assert_eq!(
            logged.iter().map(|m| m.sequenced_at).collect::<Vec<_>>(),
            [Some(100), Some(200), None]
        );
    }
}
