//! The local archive (`PROFILE/archive.sqlite`): a verified mirror of each
//! channel's log (the same tables and Merkle hashes as a relay's SQLite
//! store), every checkpoint the relay showed us that we verified, the
//! messages opened for us, and alarms with their evidence.
//!
//! Nothing enters the mirror before it is verified: entries are appended
//! only in a batch whose root equals a checkpoint signed by the relay key,
//! in one transaction with the verified checkpoints and the envelopes still
//! to fetch (`client_pending`); an opened message is stored in one
//! transaction with its envelope struck off that list. The archive also
//! keeps the leaf hash of every envelope head (`client_heads`, to find a
//! replay) and the receipts the relay accepted (`client_receipts`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hotline_core::ids::ChannelId;
use hotline_core::keys::{KeyId, VerifyingKey};
use hotline_store::sqlite::SqliteStore;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

mod alerts;
mod attachments;
mod drafts;
mod health;
mod state;
mod stix_index;
mod taxii_status;
pub use alerts::Delivery;
pub use attachments::{AttachmentError, StoredAttachment, checked_attachment};
pub use drafts::{
    Added, Checked, DEFAULT_DRAFT, DraftBundle, DraftError, DraftObject, DraftSummary,
    MAX_DRAFT_BYTES, Refused, bundle_of, check_name, check_object, check_objects,
};
pub use health::Cosignature;
pub use state::ChannelState;
pub use stix_index::{
    StixCollection, StixObject, StixPage, StixQuery, VersionMatch, date_added_text,
};
pub use taxii_status::MAX_TAXII_STATUSES;

/// The archive's file name in a profile folder.
pub const FILE: &str = "archive.sqlite";

/// [`Archive::head_index`].
const HEAD_INDEX: &str = "SELECT idx FROM client_heads WHERE channel = ?1 AND leaf = ?2";
/// [`Archive::message_index`], by the message-id index: left to itself,
/// SQLite walks the channel's messages in log order instead.
const MESSAGE_INDEX: &str = "SELECT MIN(idx) FROM client_messages INDEXED BY client_messages_by_id
     WHERE channel = ?1 AND id = ?2";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS client_channels (
    id TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    relay_url TEXT NOT NULL,
    relay_vkey TEXT NOT NULL,
    charter BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS client_checkpoints (
    channel TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note BLOB NOT NULL,
    time INTEGER,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (channel, size)
);
CREATE TABLE IF NOT EXISTS client_messages (
    channel TEXT NOT NULL,
    idx INTEGER NOT NULL,
    id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    party TEXT NOT NULL,
    header TEXT NOT NULL,
    body TEXT NOT NULL,
    parts BLOB NOT NULL,
    PRIMARY KEY (channel, idx)
);
CREATE TABLE IF NOT EXISTS client_alarms (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    evidence TEXT NOT NULL,
    raised_at TEXT NOT NULL
);
-- Envelopes logged and mirrored but not yet fetched and checked against
-- their heads (docs/client.md, pending envelopes): written in the same
-- transaction as the mirror append, deleted in the same transaction as the
-- opened message is stored.
CREATE TABLE IF NOT EXISTS client_pending (
    channel TEXT NOT NULL,
    idx INTEGER NOT NULL,
    signer TEXT NOT NULL,
    party TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_failure INTEGER,
    last_error TEXT,
    alarmed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, idx)
) WITHOUT ROWID;
-- The leaf hash of every envelope head mirrored, to find a head the relay
-- logged twice (it deduplicates re-posts, so a second copy is a replay).
CREATE TABLE IF NOT EXISTS client_heads (
    channel TEXT NOT NULL,
    leaf BLOB NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (channel, leaf)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS client_messages_by_id ON client_messages (channel, id);
-- The index of every roster entry of a mirrored log (by origin), written
-- in the same transaction as the mirror append, so that a sync rebuilds the
-- key directory from the rosters alone; `upto` is the mirror size below
-- which the list is complete (an archive of an earlier version is scanned
-- once, from there).
CREATE TABLE IF NOT EXISTS client_rosters (
    origin TEXT NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (origin, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS client_roster_scan (
    origin TEXT PRIMARY KEY,
    upto INTEGER NOT NULL
);
-- Every time attestation of a mirrored log (docs/client.md, section Sequencing
-- times): the size of the checkpoint it attests, its own index, and the
-- time it gives the envelope heads below that size not dated before.
-- Written in the same transaction as the mirror append.
CREATE TABLE IF NOT EXISTS client_times (
    channel TEXT NOT NULL,
    size INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    time INTEGER NOT NULL,
    PRIMARY KEY (channel, size)
) WITHOUT ROWID;
-- The STIX objects of the stored messages, for the TAXII server
-- (docs/taxii.md): one row per object of a message's bundle, its JSON exactly
-- as the sender sent it. `seq` only grows (the keyset of a page); `vkey` is
-- the object's version as a fixed-width UTC timestamp, so that versions
-- compare as text; `added_ms` is when it was indexed (POSIX milliseconds,
-- never less than an earlier row's). An object version already indexed in a
-- collection is not indexed again.
CREATE TABLE IF NOT EXISTS client_stix (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    collection TEXT NOT NULL,
    added_ms INTEGER NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    version TEXT NOT NULL,
    vkey TEXT NOT NULL,
    tlp TEXT,
    idx INTEGER NOT NULL,
    object TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS client_stix_page ON client_stix (channel, collection, seq);
CREATE UNIQUE INDEX IF NOT EXISTS client_stix_by_id ON client_stix (channel, collection, id, vkey);
-- Which messages are indexed: every message below `upto` (no envelope
-- below it is still pending), and those above it in client_stix_msgs.
CREATE TABLE IF NOT EXISTS client_stix_upto (
    channel TEXT PRIMARY KEY,
    upto INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS client_stix_msgs (
    channel TEXT NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (channel, idx)
) WITHOUT ROWID;
-- The format of the STIX index (one row): 2 since each row's TLP level
-- counts the label of the message that carried it. An index of an earlier
-- format (no row here) is emptied on open and indexed again.
CREATE TABLE IF NOT EXISTS client_stix_format (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    version INTEGER NOT NULL
);
-- Drafts (`archive/drafts.rs`): STIX objects gathered for a case not
-- opened yet, each its JSON text as it arrived; one version of an object
-- once per draft (`version` is '' for objects without one).
CREATE TABLE IF NOT EXISTS client_drafts (
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (channel, name)
);
CREATE TABLE IF NOT EXISTS client_draft_objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    draft TEXT NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    version TEXT NOT NULL,
    object TEXT NOT NULL,
    source TEXT NOT NULL,
    added TEXT NOT NULL,
    UNIQUE (channel, draft, id, version)
);
-- The TAXII outbox's status resources (`archive/taxii_status.rs`): the
-- JSON answered, by channel and id; the newest MAX_TAXII_STATUSES kept.
CREATE TABLE IF NOT EXISTS client_taxii_status (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    id TEXT NOT NULL,
    json TEXT NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (channel, id)
);
CREATE INDEX IF NOT EXISTS client_taxii_status_by_seq ON client_taxii_status (channel, seq);
-- Our cosignatures (receipts) the relay accepted.
CREATE TABLE IF NOT EXISTS client_receipts (
    channel TEXT NOT NULL,
    size INTEGER NOT NULL,
    posted_at TEXT NOT NULL,
    PRIMARY KEY (channel, size)
);
";

/// Why the archive failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The database failed.
    #[error("the archive {0}: {1}")]
    Db(PathBuf, String),
    /// The mirror failed.
    #[error("the archive's log mirror: {0}")]
    Store(#[from] hotline_store::StoreError),
    /// No such channel in the archive.
    #[error("the archive holds no channel {0}; join it first")]
    NoChannel(String),
}

/// A channel the archive follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRecord {
    /// Its id.
    pub id: ChannelId,
    /// Its log's origin (`<relay name>/<id hex>`).
    pub origin: String,
    /// The relay's URL.
    pub relay_url: String,
    /// The relay's checkpoint verifier key.
    pub relay_vkey: String,
    /// The charter's DSSE JSON (entry 0 without its magic).
    pub charter: Vec<u8>,
}

/// A verified checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenCheckpoint {
    /// Its size.
    pub size: u64,
    /// Its root.
    pub root: [u8; 32],
    /// The signed note as the relay served it.
    pub note: Vec<u8>,
    /// The time (POSIX seconds) of the relay's timestamp cosignature on it:
    /// every entry below `size` was sequenced by then.
    pub time: Option<u64>,
}

/// The latest checkpoint this archive verified for a channel, and when:
/// what a reading command shows when the relay cannot be reached
/// (`docs/client.md`, "Reading offline").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LastVerified {
    /// Its size: the archive holds the log's entries below it.
    pub size: u64,
    /// The time (POSIX seconds) of the relay's timestamp on it, if it had one.
    pub time: Option<u64>,
    /// When this archive verified it (POSIX seconds, this machine's clock):
    /// the first sync that reached that size. A later sync that finds the log
    /// unchanged does not move it, so `now - verified_at` is an upper bound on
    /// how long ago the archive was last known current.
    pub verified_at: u64,
}

impl LastVerified {
    /// Seconds from its verification to `now` (0 if the clock went back).
    pub fn age_secs(&self, now: u64) -> u64 {
        now.saturating_sub(self.verified_at)
    }
}

/// An alarm: something that must not happen did, with the signed evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alarm {
    /// Its number in this archive.
    pub id: i64,
    /// The channel (hex).
    pub channel: String,
    /// `fork`, `stale-checkpoint`, `bad-checkpoint`, `bad-entry`, `bad-envelope`,
    /// `withheld-entry`, `withheld-envelope`, `replayed-entry`, `split-view`,
    /// `witness-quorum`, `missing-entry`, `bad-time`, `undated-entry` (see `docs/client.md`).
    pub kind: String,
    /// What happened, for a person.
    pub detail: String,
    /// The evidence (signed notes, entries), base64.
    pub evidence: Vec<String>,
    /// When it was raised (RFC 3339).
    pub raised_at: String,
}

/// An opened message, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its log index.
    pub index: u64,
    /// The inner header, JSON.
    pub header: String,
    /// The body.
    pub body: String,
}

/// One language version of a stored message's body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredText {
    /// Its BCP 47 tag.
    pub lang: String,
    /// Whether its author marked it authentic.
    pub authentic: bool,
    /// The text, Markdown (another party's: escape it).
    pub body: String,
}

/// The local archive.
pub struct Archive {
    path: PathBuf,
    /// The verified mirror of every channel's log.
    pub log: SqliteStore,
    db: Mutex<Connection>,
}

/// Held while one sync of a channel runs ([`Archive::sync_lock`]): an
/// exclusive lock on `PROFILE/sync-CHANNEL.lock`, released when dropped.
#[derive(Debug)]
pub struct SyncLock(#[allow(dead_code)] std::fs::File);

/// An RFC 3339 time this archive wrote (`now`), in POSIX seconds.
fn posix_secs(t: &str) -> Option<u64> {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp().max(0) as u64)
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// An envelope whose head is mirrored but whose body has not yet been
/// fetched and checked against it (nor opened, if it is ours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEnvelope {
    /// Its log index.
    pub index: u64,
    /// The sender's signing key, a member at that index.
    pub signer: VerifyingKey,
    /// The sender's party.
    pub party: KeyId,
    /// Syncs in which fetching it failed or the relay served another body.
    pub attempts: u32,
    /// When the first of them happened (POSIX seconds).
    pub first_failure: Option<u64>,
    /// What went wrong the last time.
    pub last_error: Option<String>,
    /// Whether the `withheld-envelope` alarm was raised for it.
    pub alarmed: bool,
}

/// The archive's rows written in the same transaction as a mirror append.
#[derive(Debug, Default)]
pub(crate) struct AppendRows<'a> {
    /// Envelope heads to fetch: index, sender key, sender party.
    pub pending: Vec<(u64, VerifyingKey, KeyId)>,
    /// Leaf hashes of the new envelope heads (replays excluded), with their index.
    pub heads: Vec<(u64, [u8; 32])>,
    /// The checkpoints verified against the mirror plus the batch.
    pub checkpoints: &'a [SeenCheckpoint],
    /// The roster entries of the batch: the log's origin, the mirror size
    /// before and after it, and their indexes.
    pub rosters: Option<(&'a str, u64, u64, Vec<u64>)>,
    /// The time attestations of the batch: index, attested size, time.
    pub times: Vec<(u64, u64, u64)>,
}

fn write_rows(
    tx: &Connection,
    channel: &str,
    at: &str,
    rows: &AppendRows<'_>,
) -> rusqlite::Result<()> {
    {
        let mut p = tx.prepare_cached(
            "INSERT OR IGNORE INTO client_pending (channel, idx, signer, party) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (i, signer, party) in &rows.pending {
            p.execute(params![
                channel,
                *i as i64,
                signer.to_base64(),
                party.to_hex()
            ])?;
        }
        let mut h = tx.prepare_cached(
            "INSERT OR IGNORE INTO client_heads (channel, leaf, idx) VALUES (?1, ?2, ?3)",
        )?;
        for (i, leaf) in &rows.heads {
            h.execute(params![channel, &leaf[..], *i as i64])?;
        }
    }
    for cp in rows.checkpoints {
        insert_checkpoint(tx, channel, at, cp)?;
    }
    for (idx, size, time) in &rows.times {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO client_times (channel, size, idx, time) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            channel,
            *size as i64,
            *idx as i64,
            (*time).min(i64::MAX as u64) as i64
        ])?;
    }
    if let Some((origin, from, to, rosters)) = &rows.rosters {
        record_rosters(tx, origin, *from, *to, rosters)?;
    }
    Ok(())
}

/// Records the roster entries among the mirrored entries `from..to` of
/// `origin`, if the list was complete below `from` (else the next read
/// scans the mirror from where it was).
fn record_rosters(
    tx: &Connection,
    origin: &str,
    from: u64,
    to: u64,
    rosters: &[u64],
) -> rusqlite::Result<()> {
    let upto: i64 = tx
        .query_row(
            "SELECT upto FROM client_roster_scan WHERE origin = ?1",
            [origin],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    if upto as u64 != from {
        return Ok(());
    }
    let mut st =
        tx.prepare_cached("INSERT OR IGNORE INTO client_rosters (origin, idx) VALUES (?1, ?2)")?;
    for i in rosters {
        st.execute(params![origin, *i as i64])?;
    }
    tx.execute(
        "INSERT INTO client_roster_scan (origin, upto) VALUES (?1, ?2)
         ON CONFLICT (origin) DO UPDATE SET upto = excluded.upto",
        params![origin, to as i64],
    )?;
    Ok(())
}

fn insert_checkpoint(
    c: &Connection,
    channel: &str,
    at: &str,
    cp: &SeenCheckpoint,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO client_checkpoints (channel, size, root, note, time, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![channel, cp.size as i64, &cp.root[..], cp.note, cp.time.map(|t| t as i64), at],
    )?;
    Ok(())
}

fn seen_checkpoint(r: &rusqlite::Row<'_>) -> rusqlite::Result<SeenCheckpoint> {
    let root: Vec<u8> = r.get(1)?;
    Ok(SeenCheckpoint {
        size: r.get::<_, i64>(0)? as u64,
        root: root.try_into().unwrap_or([0; 32]),
        note: r.get(2)?,
        time: r.get::<_, Option<i64>>(3)?.map(|t| t as u64),
    })
}

fn insert_message(
    c: &Connection,
    id: &ChannelId,
    index: u64,
    header: &hotline_core::message::InnerHeader,
    body: &str,
    parts: &[u8],
) -> rusqlite::Result<()> {
    let json = serde_json::to_string(header).unwrap_or_default();
    c.prepare_cached(
        "INSERT OR IGNORE INTO client_messages (channel, idx, id, case_id, kind, sender, party, header, body, parts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
            id.to_hex(),
            index as i64,
            header.id.to_hex(),
            header.case.to_hex(),
            header.kind.as_str(),
            header.author.to_hex(),
            header.party.to_hex(),
            json,
            body,
            parts
        ])?;
    Ok(())
}

impl Archive {
    /// Waits for, then holds, the right to sync `id`: one sync of a channel
    /// at a time, across the threads of a process (the UI's background sync
    /// beside a reply's own) and across processes (`hotline watch` beside
    /// `hotline inbox`). Two overlapping syncs would each append what the
    /// other appended and see the same entries twice, which looks like a
    /// relay's replay or fork. The lock is the operating system's (`flock`),
    /// so a process that dies releases it.
    pub fn sync_lock(&self, id: &ChannelId) -> Result<SyncLock, ArchiveError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let p = dir.join(format!("sync-{}.lock", id.to_hex()));
        let err = |e: std::io::Error| ArchiveError::Db(p.clone(), format!("the sync lock: {e}"));
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(err)?;
        f.lock().map_err(err)?;
        Ok(SyncLock(f))
    }

    /// Opens (creating if needed) the archive in a profile folder.
    pub fn open(profile_dir: &Path) -> Result<Archive, ArchiveError> {
        let path = profile_dir.join(FILE);
        let log = SqliteStore::open(&path)?;
        let mut db =
            Connection::open(&path).map_err(|e| ArchiveError::Db(path.clone(), e.to_string()))?;
        let init = |db: &mut Connection| -> rusqlite::Result<()> {
            db.busy_timeout(std::time::Duration::from_secs(10))?;
            db.pragma_update(None, "journal_mode", "WAL")?;
            db.pragma_update(None, "synchronous", "FULL")?;
            db.execute_batch(SCHEMA)?;
            db.execute_batch(health::SCHEMA)?;
            db.execute_batch(alerts::SCHEMA)?;
            db.execute_batch(crate::airgap::SCHEMA)?;
            stix_index::upgrade(db)
        };
        init(&mut db).map_err(|e| ArchiveError::Db(path.clone(), e.to_string()))?;
        Ok(Archive {
            path,
            log,
            db: Mutex::new(db),
        })
    }

    fn db(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The profile folder the archive is in.
    pub fn profile_dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Runs `f` on the database, its error as the archive's.
    pub(crate) fn with_db<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ArchiveError> {
        f(&self.db()).map_err(|e| self.err(e))
    }

    fn err(&self, e: rusqlite::Error) -> ArchiveError {
        ArchiveError::Db(self.path.clone(), e.to_string())
    }

    /// Follows a channel (idempotent).
    pub fn add_channel(&self, c: &ChannelRecord) -> Result<(), ArchiveError> {
        self.db()
            .execute(
                "INSERT OR IGNORE INTO client_channels (id, origin, relay_url, relay_vkey, charter)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    c.id.to_hex(),
                    c.origin,
                    c.relay_url,
                    c.relay_vkey,
                    c.charter
                ],
            )
            .map_err(|e| self.err(e))?;
        match hotline_log::storage::LogStore::create(&self.log, &c.origin) {
            Ok(()) | Err(hotline_store::StoreError::LogExists(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A channel the archive follows.
    pub fn channel(&self, id: &ChannelId) -> Result<ChannelRecord, ArchiveError> {
        self.db()
            .query_row(
                "SELECT origin, relay_url, relay_vkey, charter FROM client_channels WHERE id = ?1",
                [id.to_hex()],
                |r| {
                    Ok(ChannelRecord {
                        id: *id,
                        origin: r.get(0)?,
                        relay_url: r.get(1)?,
                        relay_vkey: r.get(2)?,
                        charter: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))?
            .ok_or_else(|| ArchiveError::NoChannel(id.to_hex()))
    }

    /// Every channel the archive follows.
    pub fn channels(&self) -> Result<Vec<ChannelRecord>, ArchiveError> {
        let ids: Vec<String> = {
            let db = self.db();
            let mut st = db
                .prepare("SELECT id FROM client_channels ORDER BY id")
                .map_err(|e| self.err(e))?;
            let rows = st.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        ids.iter()
            .map(|h| {
                let id = ChannelId::from_hex(h).map_err(|_| {
                    ArchiveError::Db(
                        self.path.clone(),
                        format!("a stored channel id {h:?} is not hex"),
                    )
                })?;
                self.channel(&id)
            })
            .collect()
    }

    /// The latest verified checkpoint of a channel.
    pub fn latest_checkpoint(
        &self,
        id: &ChannelId,
    ) -> Result<Option<SeenCheckpoint>, ArchiveError> {
        self.db()
            .query_row(
                "SELECT size, root, note, time FROM client_checkpoints WHERE channel = ?1 ORDER BY size DESC LIMIT 1",
                [id.to_hex()],
                seen_checkpoint,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The latest verified checkpoint of a channel with the time this
    /// archive verified it; `None` before the first sync. Reads only the
    /// archive: it works whether or not the relay can be reached.
    pub fn last_verified(&self, id: &ChannelId) -> Result<Option<LastVerified>, ArchiveError> {
        let row = self
            .db()
            .query_row(
                "SELECT size, time, seen_at FROM client_checkpoints WHERE channel = ?1 ORDER BY size DESC LIMIT 1",
                [id.to_hex()],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((size, time, seen_at)) = row else {
            return Ok(None);
        };
        let verified_at = time::OffsetDateTime::parse(
            &seen_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|e| {
            ArchiveError::Db(
                self.path.clone(),
                format!(
                    "the stored verification time {seen_at:?} of the checkpoint of size {size}: {e}"
                ),
            )
        })?
        .unix_timestamp();
        Ok(Some(LastVerified {
            size: u64::try_from(size).unwrap_or(0),
            time: time.and_then(|t| u64::try_from(t).ok()),
            verified_at: u64::try_from(verified_at).unwrap_or(0),
        }))
    }

    /// Records a verified checkpoint.
    pub fn record_checkpoint(
        &self,
        id: &ChannelId,
        cp: &SeenCheckpoint,
    ) -> Result<(), ArchiveError> {
        insert_checkpoint(&self.db(), &id.to_hex(), &now(), cp).map_err(|e| self.err(e))
    }

    /// When entry `index` was sequenced, at the latest: the time the first
    /// time attestation of the log that covers it gives (`docs/client.md`,
    /// "Sequencing times"), or `None` while none does. The same on every
    /// party's machine, since the attestation is an entry of the log they
    /// all verified.
    pub fn sequenced_at(&self, id: &ChannelId, index: u64) -> Result<Option<u64>, ArchiveError> {
        Ok(self.dating(id, index)?.map(|(_, time)| time))
    }

    /// The first time attestation that dates entry `index`: its own index
    /// and the time it gives.
    fn dating(&self, id: &ChannelId, index: u64) -> Result<Option<(u64, u64)>, ArchiveError> {
        self.db()
            .query_row(
                "SELECT idx, time FROM client_times WHERE channel = ?1 AND size > ?2
                 ORDER BY size LIMIT 1",
                params![id.to_hex(), index.min(i64::MAX as u64) as i64],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// When this archive first verified a checkpoint covering entry `index`
    /// (POSIX seconds), and that checkpoint's note.
    pub fn first_covering(
        &self,
        id: &ChannelId,
        index: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, ArchiveError> {
        let row: Option<(String, Vec<u8>)> = self
            .db()
            .query_row(
                "SELECT seen_at, note FROM client_checkpoints WHERE channel = ?1 AND size > ?2
                 ORDER BY size LIMIT 1",
                params![id.to_hex(), index.min(i64::MAX as u64) as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(row.and_then(|(t, note)| Some((posix_secs(&t)?, note))))
    }

    /// The entry of the time attestation that dates entry `index`, if one
    /// does (empty otherwise).
    pub fn attestation_of(&self, id: &ChannelId, index: u64) -> Result<Vec<Vec<u8>>, ArchiveError> {
        let Some((at, _)) = self.dating(id, index)? else {
            return Ok(Vec::new());
        };
        let origin = self.channel(id)?.origin;
        Ok(hotline_log::storage::LogStore::read_entries(
            &self.log,
            &origin,
            at,
            at + 1,
        )?)
    }

    /// The last time attestation mirrored: the size it attests and its time.
    pub fn last_time(&self, id: &ChannelId) -> Result<Option<(u64, u64)>, ArchiveError> {
        self.db()
            .query_row(
                "SELECT size, time FROM client_times WHERE channel = ?1 ORDER BY size DESC LIMIT 1",
                params![id.to_hex()],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Stores an opened message (idempotent).
    #[allow(clippy::too_many_arguments)]
    pub fn put_message(
        &self,
        id: &ChannelId,
        index: u64,
        header: &hotline_core::message::InnerHeader,
        body: &str,
        parts: &[u8],
    ) -> Result<(), ArchiveError> {
        insert_message(&self.db(), id, index, header, body, parts).map_err(|e| self.err(e))
    }

    /// Stores opened messages (index, header, body, encoded parts) and
    /// strikes their envelopes and those of `struck` off the pending list,
    /// in one transaction: a crash leaves each either pending (and fetched
    /// again) or dealt with, never lost.
    pub(crate) fn put_opened(
        &self,
        id: &ChannelId,
        opened: &[(u64, &hotline_core::message::InnerHeader, &str, Vec<u8>)],
        struck: &[u64],
    ) -> Result<(), ArchiveError> {
        if opened.is_empty() && struck.is_empty() {
            return Ok(());
        }
        let ch = id.to_hex();
        let mut db = self.db();
        let run = |db: &mut Connection| -> rusqlite::Result<()> {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut del = tx
                    .prepare_cached("DELETE FROM client_pending WHERE channel = ?1 AND idx = ?2")?;
                for (index, header, body, parts) in opened {
                    insert_message(&tx, id, *index, header, body, parts)?;
                    del.execute(params![ch, *index as i64])?;
                }
                for index in struck {
                    del.execute(params![ch, *index as i64])?;
                }
            }
            tx.commit()
        };
        run(&mut db).map_err(|e| self.err(e))
    }

    /// Writes a batch of verified entries to the mirror and, in the same
    /// durable transaction, the envelopes still to fetch, the leaf hashes of
    /// the new heads, and the verified checkpoints (`checkpoints`, the one
    /// the batch was checked against last). The caller checks the batch's
    /// roots against the checkpoints before calling this (inside
    /// `Log::append_with`); an error here writes nothing.
    pub(crate) fn append_verified(
        &self,
        id: &ChannelId,
        origin: &str,
        batch: &hotline_log::storage::AppendBatch<'_>,
        rows: &AppendRows<'_>,
    ) -> Result<(), ArchiveError> {
        let ch = id.to_hex();
        let at = now();
        self.log.append_with_tx(origin, batch, |tx| {
            let be = |e: rusqlite::Error| hotline_store::StoreError::Backend(e.to_string());
            write_rows(tx, &ch, &at, rows).map_err(be)
        })?;
        Ok(())
    }

    /// Records verified checkpoints and the leaf hashes of heads without an
    /// append (a sync that found the mirror already as large as the
    /// checkpoint), in one transaction.
    pub(crate) fn record_verified(
        &self,
        id: &ChannelId,
        rows: &AppendRows<'_>,
    ) -> Result<(), ArchiveError> {
        let ch = id.to_hex();
        let at = now();
        let mut db = self.db();
        let run = |db: &mut Connection| -> rusqlite::Result<()> {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            write_rows(&tx, &ch, &at, rows)?;
            tx.commit()
        };
        run(&mut db).map_err(|e| self.err(e))
    }

    /// The indexes of the roster entries of the mirrored log `origin` below
    /// `before`, in log order. Kept as entries are mirrored; the part of the
    /// mirror not listed yet (an archive of an earlier version) is scanned
    /// once and recorded.
    pub fn roster_indexes(&self, origin: &str, before: u64) -> Result<Vec<u64>, ArchiveError> {
        use hotline_log::storage::LogStore as _;
        let size = self.log.size(origin)?;
        let upto = self
            .db()
            .query_row(
                "SELECT upto FROM client_roster_scan WHERE origin = ?1",
                [origin],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .map_or(0, |u| u.max(0) as u64);
        if upto < size {
            let mut found = Vec::new();
            let mut at = upto.max(1);
            while at < size {
                let end = size.min(at + 1024);
                for (i, e) in self.log.read_entries(origin, at, end)?.iter().enumerate() {
                    if matches!(
                        hotline_core::entry::Entry::from_bytes(e),
                        Ok(hotline_core::entry::Entry::Roster(_))
                    ) {
                        found.push(at + i as u64);
                    }
                }
                at = end;
            }
            let mut db = self.db();
            let run = |db: &mut Connection| -> rusqlite::Result<()> {
                let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                record_rosters(&tx, origin, upto, size, &found)?;
                tx.commit()
            };
            run(&mut db).map_err(|e| self.err(e))?;
        }
        let db = self.db();
        let mut st = db
            .prepare_cached(
                "SELECT idx FROM client_rosters WHERE origin = ?1 AND idx < ?2 ORDER BY idx",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![origin, before.min(i64::MAX as u64) as i64], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(|e| self.err(e))?;
        rows.map(|r| r.map(|i| i as u64).map_err(|e| self.err(e)))
            .collect()
    }

    /// The envelopes of a channel still to fetch and check, lowest index
    /// first.
    pub fn pending(&self, id: &ChannelId) -> Result<Vec<PendingEnvelope>, ArchiveError> {
        let db = self.db();
        let mut st = db
            .prepare(
                "SELECT idx, signer, party, attempts, first_failure, last_error, alarmed
                 FROM client_pending WHERE channel = ?1 ORDER BY idx",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([id.to_hex()], |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        // A sender's key parsed once (its point decompressed once), not
        // once per envelope.
        let mut keys: std::collections::HashMap<String, VerifyingKey> = Default::default();
        for row in rows {
            let (index, signer, party, attempts, first, last, alarmed) =
                row.map_err(|e| self.err(e))?;
            let bad = |what: &str| {
                ArchiveError::Db(
                    self.path.clone(),
                    format!("the pending envelope {index}'s stored {what} does not parse"),
                )
            };
            out.push(PendingEnvelope {
                index,
                signer: match keys.get(&signer) {
                    Some(k) => *k,
                    None => {
                        let k = VerifyingKey::from_base64(&signer).map_err(|_| bad("signer"))?;
                        keys.insert(signer, k);
                        k
                    }
                },
                party: KeyId::from_hex(&party).map_err(|_| bad("party"))?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                first_failure: first.map(|t| t.max(0) as u64),
                last_error: last,
                alarmed: alarmed != 0,
            });
        }
        Ok(out)
    }

    /// Records a failed attempt to fetch (or a refused body of) a pending
    /// envelope at `now` (POSIX seconds); returns the updated record.
    pub(crate) fn pending_failed(
        &self,
        id: &ChannelId,
        p: &PendingEnvelope,
        now: u64,
        error: &str,
    ) -> Result<PendingEnvelope, ArchiveError> {
        self.db()
            .execute(
                "UPDATE client_pending SET attempts = attempts + 1,
                     first_failure = COALESCE(first_failure, ?3), last_error = ?4
                 WHERE channel = ?1 AND idx = ?2",
                params![id.to_hex(), p.index as i64, now as i64, error],
            )
            .map_err(|e| self.err(e))?;
        Ok(PendingEnvelope {
            attempts: p.attempts.saturating_add(1),
            first_failure: p.first_failure.or(Some(now)),
            last_error: Some(error.to_owned()),
            ..p.clone()
        })
    }

    /// Marks that the `withheld-envelope` alarm was raised for a pending
    /// envelope (it is raised once).
    pub(crate) fn pending_alarmed(&self, id: &ChannelId, index: u64) -> Result<(), ArchiveError> {
        self.db()
            .execute(
                "UPDATE client_pending SET alarmed = 1 WHERE channel = ?1 AND idx = ?2",
                params![id.to_hex(), index as i64],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The index of an envelope head with leaf hash `leaf` already mirrored.
    pub(crate) fn head_index(
        &self,
        id: &ChannelId,
        leaf: &[u8; 32],
    ) -> Result<Option<u64>, ArchiveError> {
        self.db()
            .prepare_cached(HEAD_INDEX)
            .and_then(|mut st| {
                st.query_row(params![id.to_hex(), &leaf[..]], |r| r.get::<_, i64>(0))
                    .optional()
            })
            .map(|i| i.map(|i| i as u64))
            .map_err(|e| self.err(e))
    }

    /// The index of an opened message with message id `msg` (hex).
    pub(crate) fn message_index(
        &self,
        id: &ChannelId,
        msg: &str,
    ) -> Result<Option<u64>, ArchiveError> {
        self.db()
            .prepare_cached(MESSAGE_INDEX)
            .and_then(|mut st| {
                st.query_row(params![id.to_hex(), msg], |r| r.get::<_, Option<i64>>(0))
            })
            .map(|i| i.map(|i| i as u64))
            .map_err(|e| self.err(e))
    }

    /// The size of the largest checkpoint our cosignature (receipt) of was
    /// accepted by the relay.
    pub fn latest_receipt(&self, id: &ChannelId) -> Result<Option<u64>, ArchiveError> {
        self.db()
            .query_row(
                "SELECT MAX(size) FROM client_receipts WHERE channel = ?1",
                [id.to_hex()],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map(|s| s.map(|s| s as u64))
            .map_err(|e| self.err(e))
    }

    /// Records that the relay accepted our receipt for the checkpoint of `size`.
    pub(crate) fn record_receipt(&self, id: &ChannelId, size: u64) -> Result<(), ArchiveError> {
        self.db()
            .execute(
                "INSERT OR IGNORE INTO client_receipts (channel, size, posted_at) VALUES (?1, ?2, ?3)",
                params![id.to_hex(), size as i64, now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The largest verified checkpoint of at most `size`.
    pub fn checkpoint_at_most(
        &self,
        id: &ChannelId,
        size: u64,
    ) -> Result<Option<SeenCheckpoint>, ArchiveError> {
        self.db()
            .query_row(
                "SELECT size, root, note, time FROM client_checkpoints WHERE channel = ?1 AND size <= ?2
                 ORDER BY size DESC LIMIT 1",
                params![id.to_hex(), size.min(i64::MAX as u64) as i64],
                seen_checkpoint,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// When this archive first verified the checkpoint of `size` (POSIX
    /// seconds).
    pub fn checkpoint_seen_at(
        &self,
        id: &ChannelId,
        size: u64,
    ) -> Result<Option<u64>, ArchiveError> {
        let at: Option<String> = self
            .db()
            .query_row(
                "SELECT seen_at FROM client_checkpoints WHERE channel = ?1 AND size = ?2",
                params![id.to_hex(), size.min(i64::MAX as u64) as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(at.and_then(|t| posix_secs(&t)))
    }

    /// The messages opened in a channel, in log order.
    pub fn messages(&self, id: &ChannelId) -> Result<Vec<StoredMessage>, ArchiveError> {
        let db = self.db();
        let mut st = db
            .prepare(
                "SELECT idx, header, body FROM client_messages WHERE channel = ?1 ORDER BY idx",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([id.to_hex()], |r| {
                Ok(StoredMessage {
                    index: r.get::<_, i64>(0)? as u64,
                    header: r.get(1)?,
                    body: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The body of the message at `index`, if this archive opened it.
    pub fn message_body(&self, id: &ChannelId, index: u64) -> Result<Option<String>, ArchiveError> {
        let db = self.db();
        let r = db.query_row(
            "SELECT body FROM client_messages WHERE channel = ?1 AND idx = ?2",
            params![id.to_hex(), index as i64],
            |r| r.get::<_, String>(0),
        );
        match r {
            Ok(b) => Ok(Some(b)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(self.err(e)),
        }
    }

    /// The encoded parts (with their salts) of the message at `index`, if
    /// this archive opened it: what a selective opening is made from.
    pub fn message_parts(
        &self,
        id: &ChannelId,
        index: u64,
    ) -> Result<Option<Vec<u8>>, ArchiveError> {
        let db = self.db();
        let r = db.query_row(
            "SELECT parts FROM client_messages WHERE channel = ?1 AND idx = ?2",
            params![id.to_hex(), index as i64],
            |r| r.get::<_, Vec<u8>>(0),
        );
        match r {
            Ok(b) => Ok(Some(b)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(self.err(e)),
        }
    }

    /// The STIX bundle a stored message carries, exactly as its sender
    /// sealed it, if it has one.
    pub fn message_stix(
        &self,
        id: &ChannelId,
        index: u64,
    ) -> Result<Option<Vec<u8>>, ArchiveError> {
        let Some(parts) = self.message_parts(id, index)? else {
            return Ok(None);
        };
        let parts = hotline_core::commitment::decode_parts(&parts).map_err(|e| {
            ArchiveError::Db(
                self.path.clone(),
                format!("the stored parts of message {index}: {e}"),
            )
        })?;
        Ok(parts
            .into_iter()
            .find(|p| p.kind == hotline_core::commitment::PartKind::Stix)
            .map(|p| p.bytes))
    }

    /// The body of the message at `index` in every language it was written
    /// in, part 1's first, if this archive opened it.
    pub fn message_texts(
        &self,
        id: &ChannelId,
        index: u64,
    ) -> Result<Option<Vec<StoredText>>, ArchiveError> {
        let Some(parts) = self.message_parts(id, index)? else {
            return Ok(None);
        };
        let bad = |e: hotline_core::codec::DecodeError| {
            ArchiveError::Db(
                self.path.clone(),
                format!("the stored parts of message {index}: {e}"),
            )
        };
        let parts = hotline_core::commitment::decode_parts(&parts).map_err(bad)?;
        let m = hotline_core::message::Message::from_parts(&parts).map_err(bad)?;
        Ok(Some(
            m.texts()
                .into_iter()
                .map(|t| StoredText {
                    lang: t.lang.into(),
                    authentic: t.authentic,
                    body: t.body.into(),
                })
                .collect(),
        ))
    }

    /// The opened messages of a channel with their sequencing times, for
    /// [`crate::cases::derive`]. A stored header that no longer parses is an
    /// error (the archive was altered).
    pub fn logged_messages(
        &self,
        id: &ChannelId,
    ) -> Result<Vec<crate::cases::LoggedMessage>, ArchiveError> {
        // Every time attestation at once, by attested size (what
        // `sequenced_at` looks up one at a time): far fewer than messages.
        let times: Vec<(u64, u64)> = {
            let db = self.db();
            let mut st = db
                .prepare_cached(
                    "SELECT size, time FROM client_times WHERE channel = ?1 ORDER BY size",
                )
                .map_err(|e| self.err(e))?;
            let rows = st
                .query_map([id.to_hex()], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
                })
                .map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        let dated = |index: u64| {
            // The first attestation of a size above the index dates it.
            let i = times.partition_point(|(size, _)| *size <= index);
            times.get(i).map(|(_, time)| *time)
        };
        // The headers only: the bodies are read by the page that shows them.
        let db = self.db();
        let mut st = db
            .prepare_cached(
                "SELECT idx, header FROM client_messages WHERE channel = ?1 ORDER BY idx",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([id.to_hex()], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (index, header) = row.map_err(|e| self.err(e))?;
            let header = serde_json::from_str(&header).map_err(|e| {
                ArchiveError::Db(
                    self.path.clone(),
                    format!("the stored header of entry {index}: {e}"),
                )
            })?;
            out.push(crate::cases::LoggedMessage {
                index,
                sequenced_at: dated(index),
                header,
            });
        }
        Ok(out)
    }

    /// Raises an alarm; returns it.
    pub fn raise(
        &self,
        id: &ChannelId,
        kind: &str,
        detail: &str,
        evidence: &[&[u8]],
    ) -> Result<Alarm, ArchiveError> {
        let ev: Vec<String> = evidence.iter().map(|e| B64.encode(e)).collect();
        let at = now();
        let db = self.db();
        db.execute(
            "INSERT INTO client_alarms (channel, kind, detail, evidence, raised_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.to_hex(), kind, detail, serde_json::to_string(&ev).unwrap_or_default(), at],
        )
        .map_err(|e| self.err(e))?;
        Ok(Alarm {
            id: db.last_insert_rowid(),
            channel: id.to_hex(),
            kind: kind.into(),
            detail: detail.into(),
            evidence: ev,
            raised_at: at,
        })
    }

    /// Every alarm raised, oldest first.
    pub fn alarms(&self) -> Result<Vec<Alarm>, ArchiveError> {
        let db = self.db();
        let mut st = db
            .prepare("SELECT id, channel, kind, detail, evidence, raised_at FROM client_alarms ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                let ev: String = r.get(4)?;
                Ok(Alarm {
                    id: r.get(0)?,
                    channel: r.get(1)?,
                    kind: r.get(2)?,
                    detail: r.get(3)?,
                    evidence: serde_json::from_str(&ev).unwrap_or_default(),
                    raised_at: r.get(5)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sync_of_a_channel_at_a_time_across_archives_of_one_profile() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let ch = ChannelId([5; 16]);
        let held = a.sync_lock(&ch).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let dir = d.path().to_owned();
        let t = std::thread::spawn(move || {
            // Another opening of the archive, as another process would.
            let b = Archive::open(&dir).unwrap();
            let _l = b.sync_lock(&ch).unwrap();
            tx.send(()).unwrap();
            // Another channel is not held up by this one.
            let _m = b.sync_lock(&ChannelId([6; 16])).unwrap();
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "the second sync waited while the first held the lock"
        );
        drop(held);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("and went on once it was released");
        t.join().unwrap();
    }

    /// The query plans of the look-ups a sync makes once per entry: each
    /// must search an index, never scan a channel's rows (which made a cold
    /// sync quadratic in the log's size).
    #[test]
    fn per_entry_lookups_search_an_index() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let db = a.db();
        for (sql, key) in [
            (MESSAGE_INDEX, "(channel=? AND id=?)"),
            (HEAD_INDEX, "(channel=? AND leaf=?)"),
        ] {
            let plan: Vec<String> = db
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(params!["00", "00"], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(
                plan.iter()
                    .all(|p| p.starts_with("SEARCH") && p.contains(key)),
                "{sql}: {plan:?}"
            );
        }
    }
}
