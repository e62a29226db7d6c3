//! Drafts: STIX 2.1 objects gathered, channel by channel, as the evidence of
//! a case not opened yet (`docs/client.md`, "Drafts"). Objects come from the
//! TAXII server's `outbox` collection and from `hotline evidence import`;
//! `hotline case open --draft NAME` sends them as the case's STIX bundle,
//! each object the very JSON text it arrived as.
//!
//! Every object is validated (the MUST rules of `hotline_stix`) before it is
//! kept, and one call writes all of its objects or none.

use hotline_core::ids::ChannelId;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Archive, ArchiveError};

/// The draft objects go to when none is named.
pub const DEFAULT_DRAFT: &str = "evidence";

/// The most a draft's objects may weigh, in bytes of JSON: what a bundle of
/// them may weigh (`hotline_stix::MAX_BUNDLE_LEN`) less room for the
/// bundle's own members. The relay may accept less (`MAX_BLOB_BYTES`).
pub const MAX_DRAFT_BYTES: usize = hotline_stix::MAX_BUNDLE_LEN - 4096;

/// Why objects could not be added to a draft, or a draft not read.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// The archive failed.
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    /// A draft name that is not 1–64 of `a-z 0-9 . _ -`.
    #[error("{0:?} is not a draft name: use 1 to 64 lower-case letters, digits, '.', '_' or '-'")]
    Name(String),
    /// No such draft in that channel.
    #[error("there is no draft {0:?} in this channel; `hotline evidence list` shows the drafts")]
    NotFound(String),
    /// Objects that break a MUST rule of STIX 2.1: nothing was added.
    #[error("{}", refused_text(.0))]
    Invalid(Vec<Refused>),
    /// Objects whose `id` and version the draft holds already, as another
    /// object (or given twice, differing): nothing was added. A STIX object
    /// version is immutable; a changed object needs a new `modified`.
    #[error("{}", conflict_text(.0))]
    Conflict(Vec<Refused>),
    /// The draft would outgrow [`MAX_DRAFT_BYTES`]: nothing was added.
    #[error(
        "the draft would hold {0} bytes of STIX, more than a case's bundle may ({MAX_DRAFT_BYTES}); \
         open a case with what it holds, or add fewer objects"
    )]
    TooLarge(usize),
}

fn refused_text(r: &[Refused]) -> String {
    let shown: Vec<String> = r.iter().take(20).map(|x| format!("  {x}")).collect();
    format!(
        "{} object(s) are not valid STIX 2.1, so none was added:\n{}{}",
        r.len(),
        shown.join("\n"),
        if r.len() > shown.len() {
            format!("\n  … and {} more", r.len() - shown.len())
        } else {
            String::new()
        }
    )
}

fn conflict_text(r: &[Refused]) -> String {
    let shown: Vec<String> = r.iter().take(20).map(|x| format!("  {x}")).collect();
    format!(
        "{} object(s) differ from the object of the same id and version the draft holds, so none was added \
         (a changed object needs a newer `modified`):\n{}",
        r.len(),
        shown.join("\n")
    )
}

/// An object refused, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    /// Its place among the objects given (from 0).
    pub position: usize,
    /// Its `id`, if it has a string one.
    pub id: Option<String>,
    /// The MUST rules it breaks, one per line, as `hotline_stix` words them.
    pub errors: Vec<String>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "object {} ({id}): ", self.position)?,
            None => write!(f, "object {}: ", self.position)?,
        }
        f.write_str(&self.errors.join("; "))
    }
}

/// A valid object, ready to be added: its JSON text and what identifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Its place among the objects given to [`check_objects`] (0 from
    /// [`check_object`]).
    pub position: usize,
    /// `id`.
    pub id: String,
    /// `type`.
    pub type_: String,
    /// `modified`, else `created` (SCOs have neither).
    pub version: Option<String>,
    /// Broken SHOULD rules, worded as `hotline_stix` words them.
    pub warnings: Vec<String>,
    /// The object's JSON text, as given.
    pub json: String,
}

/// Validates one object (its JSON text) as a draft takes it: the MUST rules
/// of STIX 2.1, a string `id` and `type`, not a bundle.
pub fn check_object(json: &str) -> Result<Checked, Vec<String>> {
    let r = hotline_stix::validate_object(json.as_bytes());
    let v: Option<serde_json::Value> = serde_json::from_str(json).ok();
    let get = |k: &str| {
        v.as_ref()
            .and_then(|v| v.get(k))
            .and_then(|x| x.as_str())
            .map(str::to_owned)
    };
    let mut errors: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
    let (id, type_) = (get("id"), get("type"));
    if type_.as_deref() == Some("bundle") {
        errors.push("a bundle is not an object: add the objects it holds".into());
    }
    match (id, type_) {
        (Some(id), Some(type_)) if errors.is_empty() => Ok(Checked {
            position: 0,
            version: get("modified").or_else(|| get("created")),
            warnings: r.warnings.iter().map(ToString::to_string).collect(),
            id,
            type_,
            json: json.to_owned(),
        }),
        _ => {
            if errors.is_empty() {
                errors.push("an object needs a string `id` and `type`".into());
            }
            Err(errors)
        }
    }
}

/// [`check_object`] over many: the valid ones, and the refused with their place.
pub fn check_objects<S: AsRef<str>>(objects: &[S]) -> (Vec<Checked>, Vec<Refused>) {
    let (mut ok, mut bad) = (vec![], vec![]);
    for (position, o) in objects.iter().enumerate() {
        match check_object(o.as_ref()) {
            Ok(c) => ok.push(Checked { position, ..c }),
            Err(errors) => bad.push(Refused {
                position,
                id: serde_json::from_str::<serde_json::Value>(o.as_ref())
                    .ok()
                    .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned)),
                errors,
            }),
        }
    }
    (ok, bad)
}

/// What [`Archive::add_to_draft`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Added {
    /// Object versions added: (`id`, version).
    pub added: Vec<(String, Option<String>)>,
    /// Object versions the draft already held, left as they were.
    pub already: Vec<(String, Option<String>)>,
}

/// A draft, in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftSummary {
    /// Its channel.
    pub channel: ChannelId,
    /// Its name.
    pub name: String,
    /// When it was started (RFC 3339, UTC).
    pub created: String,
    /// How many object versions it holds.
    pub objects: u64,
    /// Their JSON, in bytes.
    pub bytes: u64,
}

/// A draft's objects made into a bundle ([`Archive::draft_bundle`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftBundle {
    /// The bundle's JSON.
    pub bytes: Vec<u8>,
    /// How many objects it holds.
    pub objects: usize,
    /// The last object's place in the draft ([`Archive::remove_sent`]).
    pub upto: i64,
}

/// An object of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftObject {
    /// Its place: objects added later have larger ones.
    #[serde(skip)]
    pub seq: i64,
    /// `id`.
    pub id: String,
    /// `type`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `modified`, else `created`.
    pub version: Option<String>,
    /// Where it came from: `taxii outbox`, or `import <collection URL>`.
    pub source: String,
    /// When it was added (RFC 3339, UTC).
    pub added: String,
    /// Its JSON text, as it arrived.
    pub json: String,
}

/// Checks a draft name: 1–64 of `a-z 0-9 . _ -`.
pub fn check_name(name: &str) -> Result<(), DraftError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(DraftError::Name(name.to_owned()))
    }
}

pub(super) fn now_text() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// A new bundle id: `bundle--` and a random (version 4) UUID.
fn bundle_id() -> String {
    use rand_core::RngCore as _;
    let mut b = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "bundle--{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A STIX 2.1 bundle of `objects` (JSON texts), each written verbatim.
pub fn bundle_of<S: AsRef<str>>(objects: &[S]) -> Vec<u8> {
    let mut out = format!(
        "{{\"type\":\"bundle\",\"id\":\"{}\",\"objects\":[",
        bundle_id()
    );
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(o.as_ref());
    }
    out.push_str("]}");
    out.into_bytes()
}

impl Archive {
    /// Adds `objects` (JSON texts, each one STIX 2.1 object) to the draft
    /// `name` of `channel`, starting the draft if needed, in one
    /// transaction: every object is checked first ([`check_object`]) and if
    /// any is refused, or the draft would outgrow [`MAX_DRAFT_BYTES`],
    /// nothing is written. An object version (`id` and version) the draft
    /// already holds is left as it was. `source` says where they came from.
    pub fn add_to_draft<S: AsRef<str>>(
        &self,
        channel: &ChannelId,
        name: &str,
        objects: &[S],
        source: &str,
    ) -> Result<Added, DraftError> {
        check_name(name)?;
        let (ok, bad) = check_objects(objects);
        if !bad.is_empty() {
            return Err(DraftError::Invalid(bad));
        }
        let ch = channel.to_hex();
        let mut db = self.db();
        enum Fail {
            TooLarge(usize),
            Conflict(Vec<Refused>),
        }
        let same = |a: &str, b: &str| {
            serde_json::from_str::<serde_json::Value>(a).ok()
                == serde_json::from_str::<serde_json::Value>(b).ok()
        };
        let mut run = || -> Result<Result<Added, Fail>, rusqlite::Error> {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = now_text();
            tx.execute(
                "INSERT OR IGNORE INTO client_drafts (channel, name, created) VALUES (?1, ?2, ?3)",
                params![ch, name, now],
            )?;
            let held: i64 = tx.query_row(
                "SELECT COALESCE(SUM(LENGTH(CAST(object AS BLOB))), 0) FROM client_draft_objects
                 WHERE channel = ?1 AND draft = ?2",
                params![ch, name],
                |r| r.get(0),
            )?;
            let mut total = held as usize;
            let mut added = Added::default();
            let mut conflicts = vec![];
            {
                let mut held = tx.prepare_cached(
                    "SELECT object FROM client_draft_objects
                     WHERE channel = ?1 AND draft = ?2 AND id = ?3 AND version = ?4",
                )?;
                let mut ins = tx.prepare_cached(
                    "INSERT OR IGNORE INTO client_draft_objects
                     (channel, draft, id, type, version, object, source, added)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                for c in &ok {
                    let key = (c.id.clone(), c.version.clone());
                    let n = ins.execute(params![
                        ch,
                        name,
                        c.id,
                        c.type_,
                        c.version.as_deref().unwrap_or(""),
                        c.json,
                        source,
                        now
                    ])?;
                    if n == 1 {
                        total += c.json.len() + 1;
                        added.added.push(key);
                        continue;
                    }
                    let v = c.version.as_deref().unwrap_or("");
                    let there: String = held.query_row(params![ch, name, c.id, v], |r| r.get(0))?;
                    if same(&there, &c.json) {
                        added.already.push(key);
                    } else {
                        conflicts.push(Refused {
                            position: c.position,
                            id: Some(c.id.clone()),
                            errors: vec![format!(
                                "the draft holds another object with this id and version {}",
                                c.version.as_deref().unwrap_or("(none)")
                            )],
                        });
                    }
                }
            }
            // Returning before the commit rolls the transaction back.
            if !conflicts.is_empty() {
                return Ok(Err(Fail::Conflict(conflicts)));
            }
            if total > MAX_DRAFT_BYTES {
                return Ok(Err(Fail::TooLarge(total)));
            }
            tx.commit()?;
            Ok(Ok(added))
        };
        match run() {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(Fail::TooLarge(total))) => Err(DraftError::TooLarge(total)),
            Ok(Err(Fail::Conflict(r))) => Err(DraftError::Conflict(r)),
            Err(e) => Err(DraftError::Archive(self.err(e))),
        }
    }

    /// Every draft of every channel, by channel and name.
    pub fn drafts(&self) -> Result<Vec<DraftSummary>, ArchiveError> {
        let db = self.db();
        type Row = (String, String, String, i64, i64);
        let run = || -> rusqlite::Result<Vec<Row>> {
            let mut st = db.prepare(
                "SELECT d.channel, d.name, d.created, COUNT(o.seq),
                        COALESCE(SUM(LENGTH(CAST(o.object AS BLOB))), 0)
                 FROM client_drafts d LEFT JOIN client_draft_objects o
                   ON o.channel = d.channel AND o.draft = d.name
                 GROUP BY d.channel, d.name ORDER BY d.channel, d.name",
            )?;
            st.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect()
        };
        let rows = run().map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|(ch, name, created, n, bytes)| {
                Ok(DraftSummary {
                    channel: ChannelId::from_hex(&ch).map_err(|_| {
                        ArchiveError::Db(self.path.clone(), format!("bad channel id {ch:?}"))
                    })?,
                    name,
                    created,
                    objects: n as u64,
                    bytes: bytes as u64,
                })
            })
            .collect()
    }

    /// The objects of a draft, in the order they were added.
    pub fn draft_objects(
        &self,
        channel: &ChannelId,
        name: &str,
    ) -> Result<Vec<DraftObject>, DraftError> {
        check_name(name)?;
        let ch = channel.to_hex();
        let db = self.db();
        let run = || -> rusqlite::Result<Option<Vec<DraftObject>>> {
            let exists = db
                .query_row(
                    "SELECT 1 FROM client_drafts WHERE channel = ?1 AND name = ?2",
                    params![ch, name],
                    |_| Ok(()),
                )
                .optional()?;
            if exists.is_none() {
                return Ok(None);
            }
            let mut st = db.prepare(
                "SELECT id, type, version, source, added, object, seq FROM client_draft_objects
                 WHERE channel = ?1 AND draft = ?2 ORDER BY seq",
            )?;
            let rows = st
                .query_map(params![ch, name], |r| {
                    let v: String = r.get(2)?;
                    Ok(DraftObject {
                        id: r.get(0)?,
                        type_: r.get(1)?,
                        version: (!v.is_empty()).then_some(v),
                        source: r.get(3)?,
                        added: r.get(4)?,
                        json: r.get(5)?,
                        seq: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(rows))
        };
        run()
            .map_err(|e| DraftError::Archive(self.err(e)))?
            .ok_or_else(|| DraftError::NotFound(name.to_owned()))
    }

    /// The draft's objects as one STIX 2.1 bundle (a new bundle id; each
    /// object verbatim, in the order added), to send. An empty or missing
    /// draft is [`DraftError::NotFound`].
    pub fn draft_bundle(&self, channel: &ChannelId, name: &str) -> Result<DraftBundle, DraftError> {
        let objects = self.draft_objects(channel, name)?;
        if objects.is_empty() {
            return Err(DraftError::NotFound(name.to_owned()));
        }
        let texts: Vec<&str> = objects.iter().map(|o| o.json.as_str()).collect();
        Ok(DraftBundle {
            bytes: bundle_of(&texts),
            objects: objects.len(),
            upto: objects.iter().map(|o| o.seq).max().unwrap_or(0),
        })
    }

    /// Removes from the draft the objects a sent [`DraftBundle`] held (those
    /// added up to its `upto`), and the draft itself if nothing was added
    /// since: objects that arrived while the case was being sent stay.
    /// Returns how many objects are left.
    pub fn remove_sent(
        &self,
        channel: &ChannelId,
        name: &str,
        sent: &DraftBundle,
    ) -> Result<u64, DraftError> {
        check_name(name)?;
        let ch = channel.to_hex();
        let mut db = self.db();
        let mut run = || -> rusqlite::Result<u64> {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM client_draft_objects WHERE channel = ?1 AND draft = ?2 AND seq <= ?3",
                params![ch, name, sent.upto],
            )?;
            let left: i64 = tx.query_row(
                "SELECT COUNT(*) FROM client_draft_objects WHERE channel = ?1 AND draft = ?2",
                params![ch, name],
                |r| r.get(0),
            )?;
            if left == 0 {
                tx.execute(
                    "DELETE FROM client_drafts WHERE channel = ?1 AND name = ?2",
                    params![ch, name],
                )?;
            }
            tx.commit()?;
            Ok(left as u64)
        };
        run().map_err(|e| DraftError::Archive(self.err(e)))
    }

    /// Removes a draft and its objects; returns how many objects it held.
    pub fn discard_draft(&self, channel: &ChannelId, name: &str) -> Result<u64, DraftError> {
        check_name(name)?;
        let ch = channel.to_hex();
        let mut db = self.db();
        let mut run = || -> rusqlite::Result<Option<u64>> {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "DELETE FROM client_draft_objects WHERE channel = ?1 AND draft = ?2",
                params![ch, name],
            )?;
            let d = tx.execute(
                "DELETE FROM client_drafts WHERE channel = ?1 AND name = ?2",
                params![ch, name],
            )?;
            tx.commit()?;
            Ok((d == 1).then_some(n as u64))
        };
        run()
            .map_err(|e| DraftError::Archive(self.err(e)))?
            .ok_or_else(|| DraftError::NotFound(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator(n: u32, modified: &str) -> String {
        format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--a932fcc6-e032-476c-826f-cb970a5a{n:04x}","created":"2026-11-20T08:00:00.000Z","modified":"{modified}","pattern":"[ipv4-addr:value = '198.51.100.{n}']","pattern_type":"stix","valid_from":"2026-11-20T08:00:00Z"}}"#
        )
    }

    fn archive() -> (tempfile::TempDir, Archive, ChannelId) {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::open(d.path()).unwrap();
        (d, a, ChannelId([7; 16]))
    }

    #[test]
    fn objects_are_kept_verbatim_once_and_bundled_in_order() {
        let (_d, a, ch) = archive();
        // Spacing and key order that a parse-and-reserialise would change.
        let odd = r#"{ "spec_version":"2.1", "type" : "ipv4-addr", "id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value":"198.51.100.3" }"#;
        let one = indicator(1, "2026-11-20T08:00:00.000Z");
        let r = a
            .add_to_draft(&ch, DEFAULT_DRAFT, &[one.as_str(), odd], "taxii outbox")
            .unwrap();
        assert_eq!(r.added.len(), 2);
        assert!(r.already.is_empty());
        // The same version again is left alone; a newer version is added.
        let newer = indicator(1, "2026-11-21T08:00:00.000Z");
        let r = a
            .add_to_draft(&ch, DEFAULT_DRAFT, &[one.as_str(), &newer], "import x")
            .unwrap();
        assert_eq!(
            r.already,
            vec![(
                "indicator--a932fcc6-e032-476c-826f-cb970a5a0001".to_owned(),
                Some("2026-11-20T08:00:00.000Z".to_owned())
            )]
        );
        assert_eq!(r.added.len(), 1);
        // The same version respaced is the same object; changed, it is refused
        // (an object version is immutable), and nothing of the call is added.
        let respaced = one.replace(",", ", ");
        let r = a
            .add_to_draft(&ch, DEFAULT_DRAFT, &[respaced.as_str()], "t")
            .unwrap();
        assert_eq!(r.already.len(), 1);
        let changed = one.replace("198.51.100.1'", "198.51.100.99'");
        let other = indicator(5, "2026-11-20T08:00:00.000Z");
        let e = a
            .add_to_draft(&ch, DEFAULT_DRAFT, &[other.as_str(), &changed], "t")
            .unwrap_err();
        let DraftError::Conflict(r) = &e else {
            panic!("{e}")
        };
        assert_eq!(r.iter().map(|x| x.position).collect::<Vec<_>>(), vec![1]);
        assert!(e.to_string().contains("none was added"), "{e}");
        // Given twice in one call, differing: refused too.
        let twice = indicator(6, "2026-11-20T08:00:00.000Z");
        let twice_changed = twice.replace("198.51.100.6'", "198.51.100.66'");
        assert!(matches!(
            a.add_to_draft(&ch, DEFAULT_DRAFT, &[twice.as_str(), &twice_changed], "t"),
            Err(DraftError::Conflict(_))
        ));
        let objs = a.draft_objects(&ch, DEFAULT_DRAFT).unwrap();
        let texts: Vec<&str> = objs.iter().map(|o| o.json.as_str()).collect();
        assert_eq!(texts, vec![one.as_str(), odd, newer.as_str()]);
        assert_eq!(objs[1].version, None);
        assert_eq!(objs[2].source, "import x");

        let b = a.draft_bundle(&ch, DEFAULT_DRAFT).unwrap();
        assert_eq!(b.objects, 3);
        let r = hotline_stix::validate_bundle(&b.bytes);
        assert!(r.is_valid(), "{:?}", r.errors);
        let text = String::from_utf8(b.bytes.clone()).unwrap();
        // Each object is in the bundle byte for byte.
        for t in &texts {
            assert!(text.contains(t), "{t} not verbatim in {text}");
        }
        let s = a.drafts().unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].name.as_str(), s[0].objects), (DEFAULT_DRAFT, 3));
        // An object that arrives while the case is sent stays in the draft.
        let late = indicator(9, "2026-11-20T08:00:00.000Z");
        a.add_to_draft(&ch, DEFAULT_DRAFT, &[late.as_str()], "taxii outbox")
            .unwrap();
        assert_eq!(a.remove_sent(&ch, DEFAULT_DRAFT, &b).unwrap(), 1);
        let left = a.draft_objects(&ch, DEFAULT_DRAFT).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].json, late);
        assert_eq!(a.discard_draft(&ch, DEFAULT_DRAFT).unwrap(), 1);
        assert!(a.drafts().unwrap().is_empty());
        assert!(matches!(
            a.draft_objects(&ch, DEFAULT_DRAFT),
            Err(DraftError::NotFound(_))
        ));
    }

    #[test]
    fn one_invalid_object_and_nothing_is_added() {
        let (_d, a, ch) = archive();
        let good = indicator(2, "2026-11-20T08:00:00.000Z");
        let bad_pattern = good.replace("198.51.100.2']", "198.51.100.2'");
        let backwards = indicator(3, "2026-11-19T08:00:00.000Z");
        let bundle = r#"{"type":"bundle","id":"bundle--6f0e8a3c-2b9e-4f43-9c55-1f7d7f3b2c11"}"#;
        let e = a
            .add_to_draft(
                &ch,
                "case-1",
                &[good.as_str(), &bad_pattern, &backwards, "[1]", bundle],
                "taxii outbox",
            )
            .unwrap_err();
        let DraftError::Invalid(r) = &e else {
            panic!("{e}")
        };
        assert_eq!(
            r.iter().map(|x| x.position).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        let msg = e.to_string();
        assert!(msg.contains("pattern"), "{msg}");
        assert!(msg.contains("modified"), "{msg}");
        assert!(msg.contains("none was added"), "{msg}");
        // Nothing written, not even the draft.
        assert!(a.drafts().unwrap().is_empty());
    }

    #[test]
    fn names_and_sizes_are_bounded() {
        let (_d, a, ch) = archive();
        for bad in ["", "Evidence", "a b", "../x", &"x".repeat(65)] {
            assert!(
                matches!(
                    a.add_to_draft::<&str>(&ch, bad, &[], "t"),
                    Err(DraftError::Name(_))
                ),
                "{bad:?}"
            );
        }
        // One object larger than a bundle may be: refused, nothing written.
        let big = indicator(4, "2026-11-20T08:00:00.000Z").replace(
            "\"pattern_type\"",
            &format!(
                "\"description\":\"{}\",\"pattern_type\"",
                "x".repeat(MAX_DRAFT_BYTES)
            ),
        );
        assert!(matches!(
            a.add_to_draft(&ch, "big", &[big.as_str()], "t"),
            Err(DraftError::TooLarge(_))
        ));
        assert!(a.drafts().unwrap().is_empty());
    }
}
