//! The STIX index of the archive (`client_stix`, `docs/taxii.md`): every
//! object of the STIX bundles carried by the stored messages, with what a
//! TAXII 2.1 server filters and pages on, and the object's JSON exactly as its
//! sender sealed it.
//!
//! [`Archive::index_stix`] indexes the messages stored since it last ran (it
//! is cheap when there are none, so a server calls it on every request and
//! sees what sync adds); [`Archive::stix_page`] answers one page with one
//! indexed keyset query (`seq > after ORDER BY seq LIMIT n`).

use std::collections::BTreeSet;

use hotline_core::ids::ChannelId;
use hotline_core::keys::KeyId;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};
use serde::Deserialize;
use serde_json::value::RawValue;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use super::{Archive, ArchiveError};

/// A version as a fixed-width UTC timestamp (nanoseconds), so that two
/// versions compare as text.
const VKEY: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");
/// `date_added`: RFC 3339, UTC, milliseconds.
const ADDED: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Which TAXII collection of a channel an object is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StixCollection {
    /// Objects from messages of the other parties.
    Received,
    /// Objects from our party's messages.
    Sent,
}

impl StixCollection {
    /// Its name (and TAXII collection id): `received` or `sent`.
    pub fn as_str(self) -> &'static str {
        match self {
            StixCollection::Received => "received",
            StixCollection::Sent => "sent",
        }
    }

    /// Parses a name given by [`StixCollection::as_str`].
    pub fn parse(s: &str) -> Option<StixCollection> {
        match s {
            "received" => Some(StixCollection::Received),
            "sent" => Some(StixCollection::Sent),
            _ => None,
        }
    }
}

/// Which versions of each object a query returns (TAXII 2.1
/// `match[version]`): any of the latest, the earliest and given ones, or all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionMatch {
    /// Every version.
    pub all: bool,
    /// The latest version of each object.
    pub last: bool,
    /// The earliest version of each object.
    pub first: bool,
    /// These versions (as [`version_key`] gives them).
    pub at: Vec<String>,
}

impl VersionMatch {
    /// The latest version only (the default of the objects endpoints).
    pub fn last() -> VersionMatch {
        VersionMatch {
            last: true,
            ..VersionMatch::default()
        }
    }

    /// Every version (the default of the versions endpoint).
    pub fn all() -> VersionMatch {
        VersionMatch {
            all: true,
            ..VersionMatch::default()
        }
    }

    /// Parses a `match[version]` value: a comma-separated list of `last`,
    /// `first`, `all` and RFC 3339 timestamps. The error names the bad item.
    pub fn parse(s: &str) -> Result<VersionMatch, String> {
        let mut m = VersionMatch::default();
        for v in s.split(',') {
            match v {
                "all" => m.all = true,
                "last" => m.last = true,
                "first" => m.first = true,
                t => {
                    m.at.push(version_key(t).ok_or_else(|| format!("{t:?} is not a version"))?)
                }
            }
        }
        Ok(m)
    }
}

/// The version key of an RFC 3339 timestamp: the instant in UTC with nine
/// fractional digits, so that keys compare as text in time order. `None` if
/// it is not a timestamp.
pub fn version_key(ts: &str) -> Option<String> {
    let t = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).ok()?;
    t.to_offset(time::UtcOffset::UTC).format(VKEY).ok()
}

/// A `date_added` in POSIX milliseconds as RFC 3339 (UTC, milliseconds).
pub fn date_added_text(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(ADDED).ok())
        .unwrap_or_default()
}

/// One page's question (the TAXII 2.1 filters, §3.4).
#[derive(Debug, Clone)]
pub struct StixQuery {
    /// The collection.
    pub collection: StixCollection,
    /// Only objects after this sequence number (a page's `next`; 0 first).
    pub after: u64,
    /// At most this many objects.
    pub limit: u32,
    /// Only objects added after this instant (POSIX milliseconds, rounded
    /// down: an object added in the same millisecond is not after it).
    pub added_after_ms: Option<i64>,
    /// Only these object ids (empty: any).
    pub ids: Vec<String>,
    /// Only these types (empty: any).
    pub types: Vec<String>,
    /// Only these `spec_version`s (empty: any).
    pub spec_versions: Vec<String>,
    /// Which versions.
    pub versions: VersionMatch,
    /// TLP levels never returned (`red`, `amber+strict`, …; see
    /// [`StixObject::tlp`]).
    pub withhold: Vec<String>,
}

/// One indexed object version.
#[derive(Debug, Clone)]
pub struct StixObject {
    /// Its sequence number in this archive (grows with every object indexed).
    pub seq: u64,
    /// When it was indexed (POSIX milliseconds).
    pub added_ms: i64,
    /// Its `id`.
    pub id: String,
    /// Its `type`.
    pub type_: String,
    /// Its `spec_version` (`2.1` if it has none).
    pub spec_version: String,
    /// Its version: `modified`, else `created`, else its `date_added`.
    pub version: String,
    /// The strictest TLP level among its `object_marking_refs` and the TLP
    /// label of the message that carried it: `clear`, `green`, `amber`,
    /// `amber+strict` or `red` (always set: every message has a label; an
    /// index of the earlier format, without it, is rebuilt on open).
    pub tlp: Option<String>,
    /// The log index of the message that carried it.
    pub index: u64,
    /// The object's JSON exactly as the sender sent it.
    pub object: Box<RawValue>,
}

/// A page of objects.
#[derive(Debug, Clone)]
pub struct StixPage {
    /// The objects, in sequence order.
    pub objects: Vec<StixObject>,
    /// Whether more objects match after the last one.
    pub more: bool,
}

/// The properties of an object the index needs; everything else is kept
/// only in the raw JSON.
#[derive(Deserialize)]
struct Head {
    id: String,
    #[serde(rename = "type")]
    type_: String,
    spec_version: Option<String>,
    modified: Option<String>,
    created: Option<String>,
    #[serde(default)]
    object_marking_refs: Vec<String>,
}

#[derive(Deserialize)]
struct Bundle<'a> {
    #[serde(borrow, default)]
    objects: Vec<&'a RawValue>,
}

fn tlp_name(t: hotline_stix::Tlp) -> &'static str {
    match t {
        hotline_stix::Tlp::Clear => "clear",
        hotline_stix::Tlp::Green => "green",
        hotline_stix::Tlp::Amber => "amber",
        hotline_stix::Tlp::AmberStrict => "amber+strict",
        // `Tlp` is non-exhaustive: an unknown level is treated as the
        // strictest.
        _ => "red",
    }
}

/// The STIX TLP level of a message's label.
fn label_level(t: hotline_core::message::Tlp) -> hotline_stix::Tlp {
    use hotline_core::message::Tlp as L;
    match t {
        L::Clear => hotline_stix::Tlp::Clear,
        L::Green => hotline_stix::Tlp::Green,
        L::Amber => hotline_stix::Tlp::Amber,
        L::AmberStrict => hotline_stix::Tlp::AmberStrict,
        L::Red => hotline_stix::Tlp::Red,
    }
}

/// The TLP label of a stored message, from its stored inner header. A header
/// that no longer parses (the archive was altered; `case show` reports it)
/// counts as TLP:RED, so that nothing of it is served.
fn message_level(header: &str) -> hotline_stix::Tlp {
    #[derive(Deserialize)]
    struct Label {
        tlp: hotline_core::message::Tlp,
    }
    serde_json::from_str::<Label>(header)
        .map(|l| label_level(l.tlp))
        .unwrap_or(hotline_stix::Tlp::Red)
}

/// The rows of one bundle: (id, type, spec_version, version, tlp, raw).
/// An object's TLP level is the strictest of its `object_marking_refs` and
/// `label`, the TLP label of the message that carried it: a sender's label
/// on a message covers its evidence. Objects without a string `id` and
/// `type` are left out (the validator reports them); a bundle that is not
/// JSON gives nothing.
fn bundle_rows(
    bytes: &[u8],
    added: &str,
    label: hotline_stix::Tlp,
) -> Vec<(Head, String, Option<String>, String)> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    let Ok(b) = serde_json::from_str::<Bundle<'_>>(text) else {
        return Vec::new();
    };
    b.objects
        .into_iter()
        .filter_map(|raw| {
            let h: Head = serde_json::from_str(raw.get()).ok()?;
            let version = h
                .modified
                .clone()
                .or_else(|| h.created.clone())
                .unwrap_or_else(|| added.to_owned());
            let tlp = h
                .object_marking_refs
                .iter()
                .filter_map(|r| hotline_stix::tlp_of(r))
                .chain([label])
                .max()
                .map(|t| tlp_name(t).to_owned());
            Some((h, version, tlp, raw.get().to_owned()))
        })
        .collect()
}

/// The format of the index this code writes (`client_stix_format`): 2 since
/// a row's TLP level counts its message's label. Format 1 did not, so its
/// rows could serve evidence the sender labelled TLP:RED.
const FORMAT: i64 = 2;

/// Empties an index of an earlier format, so that the next
/// [`Archive::index_stix`] indexes every stored message again (their objects
/// get new sequence numbers and `date_added`: a client sees them once more).
/// An index of this format is left as it is, with one read.
pub(super) fn upgrade(db: &mut rusqlite::Connection) -> rusqlite::Result<()> {
    let format = |c: &rusqlite::Connection| -> rusqlite::Result<Option<i64>> {
        c.query_row("SELECT version FROM client_stix_format", [], |r| r.get(0))
            .optional()
    };
    if format(db)?.is_some_and(|v| v >= FORMAT) {
        return Ok(());
    }
    let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if format(&tx)?.is_some_and(|v| v >= FORMAT) {
        return Ok(());
    }
    tx.execute_batch(
        "DELETE FROM client_stix; DELETE FROM client_stix_upto; DELETE FROM client_stix_msgs;",
    )?;
    tx.execute(
        "INSERT INTO client_stix_format (one, version) VALUES (1, ?1)
         ON CONFLICT (one) DO UPDATE SET version = excluded.version",
        [FORMAT],
    )?;
    tx.commit()
}

fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// `AND (alias.tlp IS NULL OR alias.tlp NOT IN (…))`, its values appended.
fn withhold_clause(alias: &str, withhold: &[String], args: &mut Vec<Value>) -> String {
    if withhold.is_empty() {
        return String::new();
    }
    args.extend(withhold.iter().cloned().map(Value::Text));
    format!(
        " AND ({alias}.tlp IS NULL OR {alias}.tlp NOT IN ({}))",
        marks(withhold.len())
    )
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(",")
}

fn in_clause(col: &str, vals: &[String], args: &mut Vec<Value>) -> String {
    if vals.is_empty() {
        return String::new();
    }
    args.extend(vals.iter().cloned().map(Value::Text));
    format!(" AND {col} IN ({})", marks(vals.len()))
}

/// The SQL and arguments of a page query (one more row than the limit, to
/// know whether there are more).
fn page_sql(channel: &str, q: &StixQuery) -> (String, Vec<Value>) {
    let mut args = vec![
        Value::Text(channel.to_owned()),
        Value::Text(q.collection.as_str().to_owned()),
        Value::Integer(i64::try_from(q.after).unwrap_or(i64::MAX)),
    ];
    let mut sql = String::from(
        "SELECT s.seq, s.added_ms, s.id, s.type, s.spec_version, s.version, s.tlp, s.idx, s.object
         FROM client_stix s INDEXED BY client_stix_page
         WHERE s.channel = ? AND s.collection = ? AND s.seq > ?",
    );
    if let Some(t) = q.added_after_ms {
        sql.push_str(" AND s.added_ms > ?");
        args.push(Value::Integer(t));
    }
    sql.push_str(&in_clause("s.id", &q.ids, &mut args));
    sql.push_str(&in_clause("s.type", &q.types, &mut args));
    sql.push_str(&in_clause("s.spec_version", &q.spec_versions, &mut args));
    sql.push_str(&withhold_clause("s", &q.withhold, &mut args));
    let v = &q.versions;
    if !v.all {
        let mut alts = Vec::new();
        for (on, cmp) in [(v.last, ">"), (v.first, "<")] {
            if on {
                let w = withhold_clause("o", &q.withhold, &mut args);
                alts.push(format!(
                    "NOT EXISTS (SELECT 1 FROM client_stix o WHERE o.channel = s.channel
                     AND o.collection = s.collection AND o.id = s.id AND o.vkey {cmp} s.vkey{w})"
                ));
            }
        }
        if !v.at.is_empty() {
            args.extend(v.at.iter().cloned().map(Value::Text));
            alts.push(format!("s.vkey IN ({})", marks(v.at.len())));
        }
        if alts.is_empty() {
            alts.push("0".into());
        }
        sql.push_str(&format!(" AND ({})", alts.join(" OR ")));
    }
    sql.push_str(" ORDER BY s.seq LIMIT ?");
    args.push(Value::Integer(i64::from(q.limit) + 1));
    (sql, args)
}

impl Archive {
    /// Indexes the STIX objects of every message of `channel` stored since
    /// the last call: objects of messages from `our_party` go to the `sent`
    /// collection, the others' to `received`. Returns how many object
    /// versions were added. When nothing new is stored this is one indexed
    /// read.
    pub fn index_stix(
        &self,
        channel: &ChannelId,
        our_party: &KeyId,
    ) -> Result<usize, ArchiveError> {
        let ch = channel.to_hex();
        let ours = our_party.to_hex();
        let mut db = self.db();
        let run = |db: &mut rusqlite::Connection| -> rusqlite::Result<usize> {
            let upto: i64 = db
                .query_row(
                    "SELECT upto FROM client_stix_upto WHERE channel = ?1",
                    [&ch],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            let new_rows = |c: &rusqlite::Connection| -> rusqlite::Result<Vec<(i64, String)>> {
                let mut st = c.prepare_cached(
                    "SELECT m.idx, m.party FROM client_messages m
                     WHERE m.channel = ?1 AND m.idx >= ?2 AND NOT EXISTS
                       (SELECT 1 FROM client_stix_msgs d WHERE d.channel = m.channel AND d.idx = m.idx)
                     ORDER BY m.idx",
                )?;
                st.query_map(params![ch, upto], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            };
            if new_rows(db)?.is_empty() {
                return Ok(0);
            }
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut added = 0;
            let last_ms: i64 = tx
                .query_row(
                    "SELECT added_ms FROM client_stix ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            let ms = now_ms().max(last_ms);
            let added_text = date_added_text(ms);
            let mut max_idx = upto - 1;
            for (idx, party) in new_rows(&tx)? {
                max_idx = max_idx.max(idx);
                let (header, parts): (String, Vec<u8>) = tx.query_row(
                    "SELECT header, parts FROM client_messages WHERE channel = ?1 AND idx = ?2",
                    params![ch, idx],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                // The parts were checked against the signed commitment when
                // the message was stored; if they no longer decode the
                // archive was altered, which `case show` reports. The message
                // is passed over so that the rest stays served.
                let stix = hotline_core::commitment::decode_parts(&parts)
                    .ok()
                    .and_then(|ps| {
                        ps.into_iter()
                            .find(|p| p.kind == hotline_core::commitment::PartKind::Stix)
                    });
                let collection = if party == ours {
                    StixCollection::Sent
                } else {
                    StixCollection::Received
                };
                if let Some(p) = stix {
                    let mut ins = tx.prepare_cached(
                        "INSERT OR IGNORE INTO client_stix
                         (channel, collection, added_ms, id, type, spec_version, version, vkey, tlp, idx, object)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    )?;
                    for (h, version, tlp, raw) in
                        bundle_rows(&p.bytes, &added_text, message_level(&header))
                    {
                        let vkey = version_key(&version).unwrap_or_else(|| version.clone());
                        added += ins.execute(params![
                            ch,
                            collection.as_str(),
                            ms,
                            h.id,
                            h.type_,
                            h.spec_version.as_deref().unwrap_or("2.1"),
                            version,
                            vkey,
                            tlp,
                            idx,
                            raw
                        ])?;
                    }
                }
                tx.execute(
                    "INSERT OR IGNORE INTO client_stix_msgs (channel, idx) VALUES (?1, ?2)",
                    params![ch, idx],
                )?;
            }
            // Every message below the first envelope still pending is stored
            // or never will be: the watermark moves up to there.
            let pending: Option<i64> = tx.query_row(
                "SELECT MIN(idx) FROM client_pending WHERE channel = ?1",
                [&ch],
                |r| r.get(0),
            )?;
            let new_upto = pending.unwrap_or(max_idx + 1).max(upto);
            tx.execute(
                "INSERT INTO client_stix_upto (channel, upto) VALUES (?1, ?2)
                 ON CONFLICT (channel) DO UPDATE SET upto = excluded.upto",
                params![ch, new_upto],
            )?;
            tx.execute(
                "DELETE FROM client_stix_msgs WHERE channel = ?1 AND idx < ?2",
                params![ch, new_upto],
            )?;
            tx.commit()?;
            Ok(added)
        };
        run(&mut db).map_err(|e| self.err(e))
    }

    /// One page of indexed objects of `channel`: one keyset query.
    pub fn stix_page(&self, channel: &ChannelId, q: &StixQuery) -> Result<StixPage, ArchiveError> {
        let (sql, args) = page_sql(&channel.to_hex(), q);
        let db = self.db();
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            String,
            Option<String>,
            i64,
            String,
        );
        let run = || -> rusqlite::Result<Vec<Row>> {
            let mut st = db.prepare_cached(&sql)?;
            st.query_map(params_from_iter(args), |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })?
            .collect()
        };
        let rows = run().map_err(|e| self.err(e))?;
        let mut objects = Vec::with_capacity(rows.len());
        for (seq, added_ms, id, type_, spec_version, version, tlp, index, text) in rows {
            let object = RawValue::from_string(text).map_err(|e| {
                ArchiveError::Db(
                    self.path.clone(),
                    format!("the indexed STIX object {id}: {e}"),
                )
            })?;
            objects.push(StixObject {
                seq: seq as u64,
                added_ms,
                id,
                type_,
                spec_version,
                version,
                tlp,
                index: index as u64,
                object,
            });
        }
        let more = objects.len() > q.limit as usize;
        objects.truncate(q.limit as usize);
        Ok(StixPage { objects, more })
    }

    /// Whether `collection` of `channel` holds a version of object `id` that
    /// is not withheld.
    pub fn stix_has(
        &self,
        channel: &ChannelId,
        collection: StixCollection,
        id: &str,
        withhold: &[String],
    ) -> Result<bool, ArchiveError> {
        let mut args = vec![
            Value::Text(channel.to_hex()),
            Value::Text(collection.as_str().into()),
            Value::Text(id.into()),
        ];
        let w = withhold_clause("s", withhold, &mut args);
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM client_stix s WHERE s.channel = ? AND s.collection = ? AND s.id = ?{w})"
        );
        self.db()
            .query_row(&sql, params_from_iter(args), |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The distinct TLP levels indexed in a collection, for tests and
    /// diagnostics.
    pub fn stix_tlps(
        &self,
        channel: &ChannelId,
        collection: StixCollection,
    ) -> Result<BTreeSet<Option<String>>, ArchiveError> {
        let db = self.db();
        let run = || -> rusqlite::Result<BTreeSet<Option<String>>> {
            let mut st = db.prepare(
                "SELECT DISTINCT tlp FROM client_stix WHERE channel = ?1 AND collection = ?2",
            )?;
            st.query_map(params![channel.to_hex(), collection.as_str()], |r| r.get(0))?
                .collect()
        };
        run().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_core::commitment::{Part, PartKind, encode_parts};

    const OURS: &str = "0000000000000000000000000000000000000000000000000000000000000001";
    const THEIRS: &str = "0000000000000000000000000000000000000000000000000000000000000002";
    const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
    const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

    fn ids() -> (ChannelId, KeyId) {
        (
            ChannelId::from_hex(&"ab".repeat(16)).unwrap(),
            KeyId::from_hex(OURS).unwrap(),
        )
    }

    /// Stores a message labelled TLP:GREEN carrying `bundle` from `party` at
    /// `idx`, as sync would (only the columns the index reads matter).
    fn store(a: &Archive, idx: i64, party: &str, bundle: &str) {
        store_labelled(a, idx, party, "TLP:GREEN", bundle);
    }

    /// The same with the message's TLP label.
    fn store_labelled(a: &Archive, idx: i64, party: &str, label: &str, bundle: &str) {
        let parts = encode_parts(&[Part {
            kind: PartKind::Stix,
            salt: [7; 32],
            bytes: bundle.as_bytes().to_vec(),
        }]);
        a.db()
            .execute(
                "INSERT INTO client_messages (channel, idx, id, case_id, kind, sender, party, header, body, parts)
                 VALUES (?1, ?2, 'm', 'c', 'inquiry', 's', ?3, ?4, '', ?5)",
                params![
                    "ab".repeat(16),
                    idx,
                    party,
                    format!(r#"{{"v":1,"title":"t","tlp":"{label}"}}"#),
                    parts
                ],
            )
            .unwrap();
    }

    fn obj(id: &str, modified: &str, marking: Option<&str>) -> String {
        let m = marking
            .map(|m| format!(r#","object_marking_refs":["{m}"]"#))
            .unwrap_or_default();
        format!(
            r#"{{"type":"indicator", "spec_version":"2.1","id":"indicator--{id}","created":"2026-01-01T00:00:00Z","modified":"{modified}","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"{m}}}"#
        )
    }

    fn bundle(objs: &[String]) -> String {
        format!(
            r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{}]}}"#,
            objs.join(",")
        )
    }

    fn q(collection: StixCollection) -> StixQuery {
        StixQuery {
            collection,
            after: 0,
            limit: 1000,
            added_after_ms: None,
            ids: vec![],
            types: vec![],
            spec_versions: vec![],
            versions: VersionMatch::last(),
            withhold: vec!["red".into(), "amber+strict".into()],
        }
    }

    fn page_ids(p: &StixPage) -> Vec<String> {
        p.objects.iter().map(|o| o.id.clone()).collect()
    }

    const A: &str = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    const B: &str = "9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    const C: &str = "ae2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    const D: &str = "be2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    const E: &str = "ce2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";

    #[test]
    fn objects_are_indexed_once_into_their_collection_byte_for_byte() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let (ch, ours) = ids();
        let first = obj(A, "2026-01-01T00:00:00Z", None);
        // Entry 4 is mirrored but its envelope not yet fetched.
        a.db()
            .execute(
                "INSERT INTO client_pending (channel, idx, signer, party) VALUES (?1, 4, 's', ?2)",
                params!["ab".repeat(16), THEIRS],
            )
            .unwrap();
        store(&a, 3, THEIRS, &bundle(std::slice::from_ref(&first)));
        store(
            &a,
            5,
            OURS,
            &bundle(&[obj(B, "2026-01-01T00:00:00Z", None)]),
        );
        assert_eq!(a.index_stix(&ch, &ours).unwrap(), 2);
        // Nothing new: nothing indexed again.
        assert_eq!(a.index_stix(&ch, &ours).unwrap(), 0);
        let r = a.stix_page(&ch, &q(StixCollection::Received)).unwrap();
        assert_eq!(page_ids(&r), [format!("indicator--{A}")]);
        // The sender's bytes, spacing included.
        assert_eq!(r.objects[0].object.get(), first);
        assert_eq!(r.objects[0].index, 3);
        let s = a.stix_page(&ch, &q(StixCollection::Sent)).unwrap();
        assert_eq!(page_ids(&s), [format!("indicator--{B}")]);
        // A message stored later (sync fetches it) is indexed on the next
        // call, even below the last message indexed.
        a.db()
            .execute("DELETE FROM client_pending WHERE idx = 4", [])
            .unwrap();
        store(
            &a,
            4,
            THEIRS,
            &bundle(&[obj(C, "2026-01-01T00:00:00Z", None)]),
        );
        assert_eq!(a.index_stix(&ch, &ours).unwrap(), 1);
        let r = a.stix_page(&ch, &q(StixCollection::Received)).unwrap();
        assert_eq!(
            page_ids(&r),
            [format!("indicator--{A}"), format!("indicator--{C}")]
        );
        assert!(r.objects[0].seq < r.objects[1].seq);
        assert!(r.objects[0].added_ms <= r.objects[1].added_ms);
    }

    #[test]
    fn pages_follow_the_keyset_and_filters_apply() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let (ch, ours) = ids();
        store(
            &a,
            1,
            THEIRS,
            &bundle(&[
                obj(A, "2026-01-01T00:00:00Z", Some(GREEN)),
                obj(B, "2026-01-01T00:00:00Z", Some(RED)),
                obj(C, "2026-01-01T00:00:00Z", None),
                r#"{"type":"identity","spec_version":"2.1","id":"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"N"}"#.into(),
            ]),
        );
        a.index_stix(&ch, &ours).unwrap();
        // TLP:RED is withheld; pages of one follow `seq`.
        let mut got = Vec::new();
        let mut query = q(StixCollection::Received);
        query.limit = 1;
        loop {
            let p = a.stix_page(&ch, &query).unwrap();
            assert_eq!(p.objects.len(), 1);
            got.push(p.objects[0].id.clone());
            query.after = p.objects[0].seq;
            if !p.more {
                break;
            }
        }
        assert_eq!(
            got,
            [
                format!("indicator--{A}"),
                format!("indicator--{C}"),
                "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".into()
            ]
        );
        assert!(
            a.stix_tlps(&ch, StixCollection::Received)
                .unwrap()
                .contains(&Some("red".into()))
        );
        let mut t = q(StixCollection::Received);
        t.types = vec!["identity".into()];
        assert_eq!(a.stix_page(&ch, &t).unwrap().objects.len(), 1);
        let mut i = q(StixCollection::Received);
        i.ids = vec![format!("indicator--{C}"), format!("indicator--{B}")];
        assert_eq!(
            page_ids(&a.stix_page(&ch, &i).unwrap()),
            [format!("indicator--{C}")]
        );
        let mut s = q(StixCollection::Received);
        s.spec_versions = vec!["2.0".into()];
        assert!(a.stix_page(&ch, &s).unwrap().objects.is_empty());
        let mut after = q(StixCollection::Received);
        let first = a.stix_page(&ch, &after).unwrap().objects[0].added_ms;
        after.added_after_ms = Some(first);
        assert!(a.stix_page(&ch, &after).unwrap().objects.is_empty());
        after.added_after_ms = Some(first - 1);
        assert_eq!(a.stix_page(&ch, &after).unwrap().objects.len(), 3);
        assert!(
            a.stix_has(
                &ch,
                StixCollection::Received,
                &format!("indicator--{A}"),
                &query.withhold
            )
            .unwrap()
        );
        assert!(
            !a.stix_has(
                &ch,
                StixCollection::Received,
                &format!("indicator--{B}"),
                &query.withhold
            )
            .unwrap()
        );
    }

    #[test]
    fn the_messages_label_covers_its_evidence() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let (ch, ours) = ids();
        let t = "2026-01-01T00:00:00Z";
        // Unmarked objects in messages labelled TLP:RED and TLP:AMBER+STRICT,
        // and in one labelled TLP:GREEN beside a TLP:RED object; a header
        // that does not parse counts as TLP:RED.
        store_labelled(&a, 1, THEIRS, "TLP:RED", &bundle(&[obj(A, t, None)]));
        store_labelled(
            &a,
            2,
            THEIRS,
            "TLP:AMBER+STRICT",
            &bundle(&[obj(B, t, None)]),
        );
        store_labelled(
            &a,
            3,
            THEIRS,
            "TLP:GREEN",
            &bundle(&[obj(C, t, None), obj(D, t, Some(RED))]),
        );
        store_labelled(&a, 4, THEIRS, "TLP:BLUE", &bundle(&[obj(E, t, None)]));
        assert_eq!(a.index_stix(&ch, &ours).unwrap(), 5);
        let r = a.stix_page(&ch, &q(StixCollection::Received)).unwrap();
        assert_eq!(page_ids(&r), [format!("indicator--{C}")]);
        assert_eq!(r.objects[0].tlp.as_deref(), Some("green"));
        let level = |id: &str| {
            let mut all = q(StixCollection::Received);
            all.withhold.clear();
            all.ids = vec![format!("indicator--{id}")];
            a.stix_page(&ch, &all).unwrap().objects[0].tlp.clone()
        };
        assert_eq!(level(A).as_deref(), Some("red"));
        assert_eq!(level(B).as_deref(), Some("amber+strict"));
        assert_eq!(level(D).as_deref(), Some("red"));
        assert_eq!(level(E).as_deref(), Some("red"));
        // A marking less strict than the label does not lower it.
        store_labelled(
            &a,
            5,
            THEIRS,
            "TLP:RED",
            &bundle(&[obj(A, "2026-02-01T00:00:00Z", Some(GREEN))]),
        );
        a.index_stix(&ch, &ours).unwrap();
        assert_eq!(
            page_ids(&a.stix_page(&ch, &q(StixCollection::Received)).unwrap()),
            [format!("indicator--{C}")]
        );
    }

    #[test]
    fn an_index_of_the_earlier_format_is_rebuilt_on_open() {
        let d = tempfile::tempdir().unwrap();
        let (ch, ours) = ids();
        {
            let a = Archive::open(d.path()).unwrap();
            store_labelled(
                &a,
                1,
                THEIRS,
                "TLP:RED",
                &bundle(&[obj(A, "2026-01-01T00:00:00Z", None)]),
            );
            a.index_stix(&ch, &ours).unwrap();
            // As format 1 left it: the label not counted, no format row.
            a.db()
                .execute_batch("UPDATE client_stix SET tlp = NULL; DELETE FROM client_stix_format;")
                .unwrap();
            assert_eq!(
                a.stix_page(&ch, &q(StixCollection::Received))
                    .unwrap()
                    .objects
                    .len(),
                1
            );
        }
        let a = Archive::open(d.path()).unwrap();
        assert!(
            a.stix_tlps(&ch, StixCollection::Received)
                .unwrap()
                .is_empty()
        );
        assert_eq!(a.index_stix(&ch, &ours).unwrap(), 1);
        assert!(
            a.stix_page(&ch, &q(StixCollection::Received))
                .unwrap()
                .objects
                .is_empty()
        );
        assert_eq!(
            a.stix_tlps(&ch, StixCollection::Received).unwrap(),
            BTreeSet::from([Some("red".to_owned())])
        );
        // Opened again, the index of this format is kept.
        drop(a);
        let a = Archive::open(d.path()).unwrap();
        assert_eq!(a.index_stix(&ch, &ours).unwrap(), 0);
        assert_eq!(a.stix_tlps(&ch, StixCollection::Received).unwrap().len(), 1);
    }

    #[test]
    fn objects_added_while_paging_come_after_those_seen() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let (ch, ours) = ids();
        let t = "2026-01-01T00:00:00Z";
        store(&a, 1, THEIRS, &bundle(&[obj(A, t, None), obj(B, t, None)]));
        a.index_stix(&ch, &ours).unwrap();
        let mut query = q(StixCollection::Received);
        query.limit = 1;
        let p = a.stix_page(&ch, &query).unwrap();
        assert!(p.more);
        let mut seen = page_ids(&p);
        query.after = p.objects[0].seq;
        // A new message, and a new version of the object already seen.
        store(
            &a,
            2,
            THEIRS,
            &bundle(&[obj(C, t, None), obj(A, "2026-02-01T00:00:00Z", None)]),
        );
        a.index_stix(&ch, &ours).unwrap();
        loop {
            let p = a.stix_page(&ch, &query).unwrap();
            seen.extend(page_ids(&p));
            let Some(last) = p.objects.last() else { break };
            query.after = last.seq;
            if !p.more {
                break;
            }
        }
        // Nothing skipped or repeated; the new version of A comes last.
        assert_eq!(
            seen,
            [
                format!("indicator--{A}"),
                format!("indicator--{B}"),
                format!("indicator--{C}"),
                format!("indicator--{A}"),
            ]
        );
    }

    #[test]
    fn versions_last_first_all_and_by_timestamp() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let (ch, ours) = ids();
        // The later version arrives first; precisions differ.
        store(
            &a,
            1,
            THEIRS,
            &bundle(&[obj(A, "2026-01-02T00:00:00.5Z", None)]),
        );
        store(
            &a,
            2,
            THEIRS,
            &bundle(&[obj(A, "2026-01-02T00:00:00Z", None)]),
        );
        // The same version again is not a new row.
        store(
            &a,
            3,
            THEIRS,
            &bundle(&[obj(A, "2026-01-02T00:00:00.000Z", None)]),
        );
        assert_eq!(a.index_stix(&ch, &ours).unwrap(), 2);
        let versions = |m: &str| -> Vec<String> {
            let mut x = q(StixCollection::Received);
            x.versions = VersionMatch::parse(m).unwrap();
            a.stix_page(&ch, &x)
                .unwrap()
                .objects
                .into_iter()
                .map(|o| o.version)
                .collect()
        };
        assert_eq!(versions("last"), ["2026-01-02T00:00:00.5Z"]);
        assert_eq!(versions("first"), ["2026-01-02T00:00:00Z"]);
        assert_eq!(versions("all").len(), 2);
        assert_eq!(versions("first,last").len(), 2);
        assert_eq!(
            versions("2026-01-02T00:00:00.000Z"),
            ["2026-01-02T00:00:00Z"]
        );
        assert!(versions("2026-01-03T00:00:00Z").is_empty());
        assert!(VersionMatch::parse("latest").is_err());
        // A newer version marked TLP:RED is withheld, and `last` is then the
        // latest one served.
        store(
            &a,
            4,
            THEIRS,
            &bundle(&[obj(A, "2026-01-03T00:00:00Z", Some(RED))]),
        );
        a.index_stix(&ch, &ours).unwrap();
        assert_eq!(versions("last"), ["2026-01-02T00:00:00.5Z"]);
    }

    #[test]
    fn a_page_is_one_search_of_the_page_index() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        let (sql, args) = page_sql("00", &q(StixCollection::Received));
        let db = a.db();
        let plan: Vec<String> = db
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(params_from_iter(args), |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            plan[0].starts_with(
                "SEARCH s USING INDEX client_stix_page (channel=? AND collection=? AND seq>?)"
            ),
            "{plan:?}"
        );
        assert!(
            plan.iter()
                .all(|p| !p.contains("SCAN") && !p.contains("TEMP B-TREE")),
            "{plan:?}"
        );
    }

    #[test]
    fn dates_and_version_keys() {
        assert_eq!(
            date_added_text(1_767_225_600_123),
            "2026-01-01T00:00:00.123Z"
        );
        assert_eq!(
            version_key("2026-01-01T01:00:00.5+01:00").unwrap(),
            "2026-01-01T00:00:00.500000000Z"
        );
        assert!(version_key("yesterday").is_none());
    }
}
