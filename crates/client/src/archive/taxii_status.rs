//! The status resources of the TAXII server's outbox (TAXII 2.1 §4.3), kept
//! so that `GET /{root}/status/{id}/` answers after a restart
//! (`docs/taxii.md`, "Status"). Each is the JSON the server answered the
//! POST with, kept as text; a channel keeps its newest [`MAX_TAXII_STATUSES`].

use hotline_core::ids::ChannelId;
use rusqlite::{OptionalExtension, params};

use super::{Archive, ArchiveError};

/// How many status resources a channel keeps: the oldest beyond are
/// removed as new ones come, so a client cannot fill the disk with them.
pub const MAX_TAXII_STATUSES: u32 = 10_000;

impl Archive {
    /// Keeps a status resource (`id`, its JSON text) of `channel`, and drops
    /// the channel's oldest beyond [`MAX_TAXII_STATUSES`]. An id already
    /// kept is left as it was.
    pub fn put_taxii_status(
        &self,
        channel: &ChannelId,
        id: &str,
        json: &str,
    ) -> Result<(), ArchiveError> {
        self.put_taxii_status_keeping(channel, id, json, MAX_TAXII_STATUSES)
    }

    fn put_taxii_status_keeping(
        &self,
        channel: &ChannelId,
        id: &str,
        json: &str,
        keep: u32,
    ) -> Result<(), ArchiveError> {
        let ch = channel.to_hex();
        let mut db = self.db();
        let mut run = || -> rusqlite::Result<()> {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT OR IGNORE INTO client_taxii_status (channel, id, json, created)
                 VALUES (?1, ?2, ?3, ?4)",
                params![ch, id, json, super::drafts::now_text()],
            )?;
            // The seq of the newest row not kept, if any: it and the older go.
            let cut: Option<i64> = tx
                .query_row(
                    "SELECT seq FROM client_taxii_status WHERE channel = ?1
                     ORDER BY seq DESC LIMIT 1 OFFSET ?2",
                    params![ch, keep],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(cut) = cut {
                tx.execute(
                    "DELETE FROM client_taxii_status WHERE channel = ?1 AND seq <= ?2",
                    params![ch, cut],
                )?;
            }
            tx.commit()
        };
        run().map_err(|e| self.err(e))
    }

    /// The JSON of a status resource of `channel`, if it is kept.
    pub fn taxii_status(
        &self,
        channel: &ChannelId,
        id: &str,
    ) -> Result<Option<String>, ArchiveError> {
        self.db()
            .query_row(
                "SELECT json FROM client_taxii_status WHERE channel = ?1 AND id = ?2",
                params![channel.to_hex(), id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_kept_per_channel_bounded_and_across_opening() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (ChannelId([1; 16]), ChannelId([2; 16]));
        {
            let ar = Archive::open(d.path()).unwrap();
            ar.put_taxii_status(&a, "s1", r#"{"id":"s1"}"#).unwrap();
            // The same id again is left as it was.
            ar.put_taxii_status(&a, "s1", r#"{"id":"other"}"#).unwrap();
            assert_eq!(ar.taxii_status(&b, "s1").unwrap(), None);
        }
        let ar = Archive::open(d.path()).unwrap();
        assert_eq!(
            ar.taxii_status(&a, "s1").unwrap().as_deref(),
            Some(r#"{"id":"s1"}"#)
        );
        // Keeping three: the oldest of a channel go, the other channel's stay.
        ar.put_taxii_status(&b, "b1", "{}").unwrap();
        for i in 2..=5 {
            ar.put_taxii_status_keeping(&a, &format!("s{i}"), "{}", 3)
                .unwrap();
        }
        for (id, kept) in [
            ("s1", false),
            ("s2", false),
            ("s3", true),
            ("s4", true),
            ("s5", true),
        ] {
            assert_eq!(ar.taxii_status(&a, id).unwrap().is_some(), kept, "{id}");
        }
        assert!(ar.taxii_status(&b, "b1").unwrap().is_some());
    }
}
