//! `hotline relay export` and `import`: everything a relay keeps, as JSON
//! Lines (`docs/relay.md`, "Backup and restore"), and a restore that verifies
//! every log before it writes anything.
//!
//! The import reads the file twice. The first pass checks it as a member
//! would: every checkpoint's signature by the relay key and its root against
//! the entries, the charter, every roster against the one before, every
//! envelope head's signature by a member current at its index, every blob
//! against its name, and that each envelope's stanzas and ciphertext are
//! present. Only then does the second pass write, into a store that must be
//! empty.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hotline_core::charter::VerifiedCharter;
use hotline_core::entry::Entry;
use hotline_core::envelope::{Head, stanzas_match};
use hotline_core::ids::ChannelId;
use hotline_core::roster::Directory;
use hotline_log::checkpoint::Checkpoint;
use hotline_log::log::Log;
use hotline_log::merkle::{self, Hash, MemoryTree};
use hotline_log::note::{self, Ed25519Verifier, Note, Verifier};
use hotline_store::relaydata::{Body, RelayData, StoredBody};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The format name in an export's first line.
pub const FORMAT: &str = "hotline-relay-export/v1";
/// Entries per `entries` record.
const CHUNK: u64 = 1024;

/// One line of an export.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    /// First line: which relay, and totals for progress.
    Header {
        /// [`FORMAT`].
        format: String,
        /// The relay's key name (origin prefix).
        name: String,
        /// The relay's verifier key.
        vkey: String,
        /// The encrypted relay key file (`relay.key`), base64, if included.
        key_file: Option<String>,
        /// When the export was made (RFC 3339).
        exported_at: String,
        /// Logs in the export.
        logs: u64,
        /// Entries in all logs.
        entries: u64,
    },
    /// Starts a log: its checkpoints, entries and blobs follow.
    Log {
        /// Its origin.
        origin: String,
        /// Its size.
        size: u64,
    },
    /// A signed checkpoint of the current log and its cosignature lines.
    Checkpoint {
        /// Its size.
        size: u64,
        /// The relay's signed note, base64.
        note: String,
        /// Cosignature lines (without newline).
        cosignatures: Vec<String>,
    },
    /// Consecutive entries of the current log.
    Entries {
        /// The index of the first.
        start: u64,
        /// The entries, base64.
        entries: Vec<String>,
    },
    /// The body of an envelope of the current log (after its entries).
    Body {
        /// The index of its head.
        index: u64,
        /// The stanzas, base64.
        stanzas: String,
        /// The ciphertext, base64, or null when it is a blob.
        ciphertext: Option<String>,
    },
    /// A blob of the current log.
    Blob {
        /// Its SHA-256, hex.
        sha256: String,
        /// Its bytes, base64.
        data: String,
    },
    /// Last line: totals, so that a truncated file is refused.
    End {
        /// Logs.
        logs: u64,
        /// Entries.
        entries: u64,
        /// Envelope bodies.
        bodies: u64,
        /// Blobs.
        blobs: u64,
        /// Checkpoints.
        checkpoints: u64,
    },
}

/// Why an export or import failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The store failed.
    #[error("{0}")]
    Store(#[from] hotline_store::StoreError),
    /// The log layer failed.
    #[error("{0}")]
    Log(#[from] hotline_log::log::LogError),
    /// The file is not a well-formed export.
    #[error("line {line}: {msg}")]
    Format {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        msg: String,
    },
    /// The file is well-formed but a check failed: nothing was written.
    #[error("verification failed, nothing was imported: {0}")]
    Verify(String),
    /// The target is not suitable.
    #[error("{0}")]
    Target(String),
}

/// What an export or import covered.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Logs.
    pub logs: u64,
    /// Entries.
    pub entries: u64,
    /// Envelope bodies.
    pub bodies: u64,
    /// Blobs.
    pub blobs: u64,
    /// Checkpoints.
    pub checkpoints: u64,
}

fn line(w: &mut impl Write, r: &Record) -> Result<(), BackupError> {
    serde_json::to_writer(&mut *w, r).map_err(std::io::Error::other)?;
    w.write_all(b"\n")?;
    Ok(())
}

/// Writes every log whose origin starts with `name/` to `w`. `progress` is
/// called with the number of entries written so far.
pub fn export(
    store: &dyn RelayData,
    name: &str,
    vkey: &str,
    key_file: Option<&[u8]>,
    w: &mut impl Write,
    progress: &dyn Fn(u64, u64),
) -> Result<Totals, BackupError> {
    let prefix = format!("{name}/");
    let logs: Vec<String> = store
        .logs()?
        .into_iter()
        .filter(|l| l.starts_with(&prefix))
        .collect();
    let mut sizes = Vec::with_capacity(logs.len());
    for l in &logs {
        sizes.push(store.size(l)?);
    }
    let total: u64 = sizes.iter().sum();
    line(
        w,
        &Record::Header {
            format: FORMAT.into(),
            name: name.into(),
            vkey: vkey.into(),
            key_file: key_file.map(|k| B64.encode(k)),
            exported_at: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            logs: logs.len() as u64,
            entries: total,
        },
    )?;
    let mut t = Totals::default();
    for (origin, &size) in logs.iter().zip(&sizes) {
        line(
            w,
            &Record::Log {
                origin: origin.clone(),
                size,
            },
        )?;
        for cs in store.checkpoint_sizes(origin)? {
            let Some(note) = store.checkpoint_at(origin, cs)? else {
                continue;
            };
            let cosignatures = store.cosignatures(origin, cs)?;
            line(
                w,
                &Record::Checkpoint {
                    size: cs,
                    note: B64.encode(note),
                    cosignatures,
                },
            )?;
            t.checkpoints += 1;
        }
        let mut start = 0;
        while start < size {
            let end = size.min(start + CHUNK);
            let entries = store.read_entries(origin, start, end)?;
            line(
                w,
                &Record::Entries {
                    start,
                    entries: entries.iter().map(|e| B64.encode(e)).collect(),
                },
            )?;
            t.entries += end - start;
            start = end;
            progress(t.entries, total);
        }
        let mut start = 0;
        while start < size {
            let end = size.min(start + CHUNK);
            for index in store.body_indexes(origin, start, end)? {
                let Some((st, ct)) = store.body(origin, index)? else {
                    continue;
                };
                line(
                    w,
                    &Record::Body {
                        index,
                        stanzas: B64.encode(st),
                        ciphertext: ct.map(|c| B64.encode(c)),
                    },
                )?;
                t.bodies += 1;
            }
            start = end;
        }
        for h in store.blob_hashes(origin)? {
            let Some(data) = store.blob(origin, &h)? else {
                continue;
            };
            line(
                w,
                &Record::Blob {
                    sha256: hex::encode(h),
                    data: B64.encode(data),
                },
            )?;
            t.blobs += 1;
        }
        t.logs += 1;
    }
    line(
        w,
        &Record::End {
            logs: t.logs,
            entries: t.entries,
            bodies: t.bodies,
            blobs: t.blobs,
            checkpoints: t.checkpoints,
        },
    )?;
    w.flush()?;
    Ok(t)
}

/// The header of an export.
#[derive(Debug, Clone)]
pub struct Header {
    /// The relay's key name.
    pub name: String,
    /// The relay's verifier key.
    pub vkey: String,
    /// The encrypted relay key file, if included.
    pub key_file: Option<Vec<u8>>,
    /// Entries in all logs.
    pub entries: u64,
}

struct Lines<R> {
    r: R,
    n: u64,
    buf: String,
}

impl<R: BufRead> Lines<R> {
    fn next(&mut self) -> Result<Option<Record>, BackupError> {
        self.buf.clear();
        if self.r.read_line(&mut self.buf)? == 0 {
            return Ok(None);
        }
        self.n += 1;
        serde_json::from_str(self.buf.trim_end_matches('\n'))
            .map(Some)
            .map_err(|e| self.err(format!("not an export record: {e}")))
    }

    fn err(&self, msg: impl Into<String>) -> BackupError {
        BackupError::Format {
            line: self.n,
            msg: msg.into(),
        }
    }
}

fn b64(l: &Lines<impl BufRead>, s: &str, what: &str) -> Result<Vec<u8>, BackupError> {
    B64.decode(s)
        .map_err(|_| l.err(format!("{what} is not base64")))
}

/// One log being checked in the first pass.
struct Checking {
    origin: String,
    channel: ChannelId,
    size: u64,
    tree: MemoryTree,
    dir: Option<Directory>,
    roots: BTreeMap<u64, Hash>,
    /// Envelope heads whose body has not been seen: index -> (stanzas
    /// hash and length, ciphertext hash and length).
    heads: HashMap<u64, HeadRefs>,
    needed: HashSet<Hash>,
    have: HashSet<Hash>,
}

#[derive(Clone, Copy)]
struct HeadRefs {
    head: Head,
    stanzas: Hash,
    ciphertext: Hash,
    ciphertext_len: u64,
}

impl Checking {
    fn finish(mut self) -> Result<(), BackupError> {
        // Envelopes without a body record keep both parts as blobs (data
        // stored before bodies existed).
        for h in std::mem::take(&mut self.heads).into_values() {
            self.needed.insert(h.stanzas);
            self.needed.insert(h.ciphertext);
        }
        let bad = |m: String| Err(BackupError::Verify(format!("{}: {m}", self.origin)));
        if self.tree.size() != self.size {
            return bad(format!(
                "{} entries, but the log has size {}",
                self.tree.size(),
                self.size
            ));
        }
        if let Some((s, _)) = self
            .roots
            .iter()
            .next_back()
            .filter(|(s, _)| **s > self.size)
        {
            return bad(format!("a checkpoint of size {s} is beyond the log"));
        }
        if let Some(h) = self.needed.difference(&self.have).next() {
            return bad(format!(
                "the blob {} an envelope needs is missing",
                hex::encode(h)
            ));
        }
        Ok(())
    }

    fn body(
        &mut self,
        index: u64,
        stanzas: &[u8],
        ciphertext: Option<&[u8]>,
    ) -> Result<(), String> {
        let h = self.heads.remove(&index).ok_or_else(|| {
            format!("a body for entry {index}, which is not an envelope (or has one already)")
        })?;
        let sha = |b: &[u8]| -> Hash { Sha256::digest(b).into() };
        if !stanzas_match(&h.head, stanzas) {
            return Err(format!(
                "the stanzas of entry {index} do not match its head"
            ));
        }
        match ciphertext {
            Some(c) if c.len() as u64 != h.ciphertext_len || sha(c) != h.ciphertext => {
                return Err(format!(
                    "the ciphertext of entry {index} does not match its head"
                ));
            }
            Some(_) => {}
            None => {
                self.needed.insert(h.ciphertext);
            }
        }
        Ok(())
    }

    fn entry(&mut self, index: u64, bytes: &[u8]) -> Result<(), String> {
        let entry =
            Entry::from_bytes(bytes).map_err(|e| format!("entry {index} does not parse: {e}"))?;
        match (entry, &mut self.dir) {
            (Entry::Charter(doc), None) if index == 0 => {
                let c = VerifiedCharter::verify(&doc).map_err(|e| format!("the charter: {e}"))?;
                if c.channel() != self.channel {
                    return Err("the charter is not this channel's".into());
                }
                self.dir = Some(Directory::new(c));
            }
            (Entry::Roster(doc), Some(dir)) => {
                dir.apply(index, &doc)
                    .map_err(|e| format!("the roster at {index}: {e}"))?;
            }
            (Entry::Head(h), Some(dir)) => {
                let head = &h.head;
                if head.header.channel != self.channel {
                    return Err(format!("the envelope at {index} is for another channel"));
                }
                if dir.charter().suite() != head.header.suite {
                    return Err(format!(
                        "the envelope at {index} is of suite {}, not the channel's",
                        head.header.suite
                    ));
                }
                let signer = dir.signer_at(&head.header.sender, index).ok_or_else(|| {
                    format!("the sender of the envelope at {index} was not a member then")
                })?;
                h.verify(&signer.member.signing_key)
                    .map_err(|e| format!("the envelope at {index}: {e}"))?;
                self.heads.insert(
                    index,
                    HeadRefs {
                        head: *head,
                        stanzas: head.stanzas_sha256,
                        ciphertext: head.ciphertext_sha256,
                        ciphertext_len: head.ciphertext_len,
                    },
                );
            }
            // The relay's own time attestation: its signatures are the
            // clients' to check (`docs/relay.md`); the import checks that it
            // is in the log the checkpoints sign, as for every entry.
            (Entry::Time(_), Some(_)) => {}
            (_, _) => {
                return Err(format!(
                    "entry {index} is out of place (entry 0 is the charter, and only it)"
                ));
            }
        }
        self.tree.append(merkle::leaf_hash(bytes));
        if self
            .roots
            .get(&self.tree.size())
            .is_some_and(|root| *root != self.tree.root())
        {
            return Err(format!(
                "the checkpoint of size {} has another root than the entries",
                self.tree.size()
            ));
        }
        Ok(())
    }
}

/// Checks an export completely without writing anything; returns its
/// header and totals. `progress` is called with entries checked so far.
pub fn verify(
    r: impl BufRead,
    progress: &dyn Fn(u64, u64),
) -> Result<(Header, Totals), BackupError> {
    let mut l = Lines {
        r,
        n: 0,
        buf: String::new(),
    };
    let Some(Record::Header {
        format,
        name,
        vkey,
        key_file,
        entries: total,
        ..
    }) = l.next()?
    else {
        return Err(l.err("the first line is not an export header"));
    };
    if format != FORMAT {
        return Err(l.err(format!("format {format:?} is not {FORMAT:?}")));
    }
    let verifier =
        Ed25519Verifier::from_vkey(&vkey).map_err(|e| l.err(format!("the relay key: {e}")))?;
    if verifier.key().name != name {
        return Err(l.err("the relay key's name is not the relay's name"));
    }
    let key_file = key_file.map(|k| b64(&l, &k, "key_file")).transpose()?;
    let header = Header {
        name: name.clone(),
        vkey,
        key_file,
        entries: total,
    };
    let mut t = Totals::default();
    let mut cur: Option<Checking> = None;
    let mut origins = HashSet::new();
    loop {
        let Some(rec) = l.next()? else {
            return Err(l.err("the file ends without its end record (truncated?)"));
        };
        match rec {
            Record::Header { .. } => return Err(l.err("a second header")),
            Record::Log { origin, size } => {
                if let Some(c) = cur.take() {
                    c.finish()?;
                }
                let id = origin
                    .strip_prefix(&format!("{name}/"))
                    .and_then(|h| ChannelId::from_hex(h).ok())
                    .ok_or_else(|| l.err(format!("{origin:?} is not {name}/<channel id>")))?;
                if !origins.insert(origin.clone()) {
                    return Err(l.err(format!("{origin} appears twice")));
                }
                cur = Some(Checking {
                    origin,
                    channel: id,
                    size,
                    tree: MemoryTree::new(),
                    dir: None,
                    roots: BTreeMap::new(),
                    heads: HashMap::new(),
                    needed: HashSet::new(),
                    have: HashSet::new(),
                });
                t.logs += 1;
            }
            Record::Checkpoint {
                size,
                note: n,
                cosignatures,
            } => {
                let c = cur
                    .as_mut()
                    .ok_or_else(|| l.err("a checkpoint before any log"))?;
                if c.tree.size() > 0 {
                    return Err(l.err("checkpoints come before the log's entries"));
                }
                let bytes = b64(&l, &n, "note")?;
                let note =
                    Note::parse(&bytes).map_err(|e| l.err(format!("the checkpoint note: {e}")))?;
                note.verify(&[&verifier as &dyn Verifier]).map_err(|e| {
                    BackupError::Verify(format!(
                        "{}: the checkpoint of size {size} is not signed by {}: {e}",
                        c.origin, header.vkey
                    ))
                })?;
                let cp = Checkpoint::parse(&note.text)
                    .map_err(|e| l.err(format!("the checkpoint: {e}")))?;
                if cp.origin != c.origin || cp.size != size {
                    return Err(BackupError::Verify(format!(
                        "{}: a checkpoint record of size {size} holds {} at size {}",
                        c.origin, cp.origin, cp.size
                    )));
                }
                for s in &cosignatures {
                    note::parse_signature_line(s)
                        .map_err(|e| l.err(format!("a cosignature line: {e}")))?;
                }
                if c.roots.insert(size, cp.root).is_some() {
                    return Err(l.err(format!("two checkpoints of size {size}")));
                }
                t.checkpoints += 1;
            }
            Record::Entries { start, entries } => {
                let c = cur
                    .as_mut()
                    .ok_or_else(|| l.err("entries before any log"))?;
                if start != c.tree.size() {
                    return Err(l.err(format!(
                        "entries from {start}, expected from {}",
                        c.tree.size()
                    )));
                }
                for (i, e) in entries.iter().enumerate() {
                    let bytes = b64(&l, e, "an entry")?;
                    c.entry(start + i as u64, &bytes)
                        .map_err(|m| BackupError::Verify(format!("{}: {m}", c.origin)))?;
                }
                t.entries += entries.len() as u64;
                progress(t.entries, total);
            }
            Record::Body {
                index,
                stanzas,
                ciphertext,
            } => {
                let c = cur.as_mut().ok_or_else(|| l.err("a body before any log"))?;
                let st = b64(&l, &stanzas, "stanzas")?;
                let ct = ciphertext
                    .map(|c| b64(&l, &c, "a ciphertext"))
                    .transpose()?;
                c.body(index, &st, ct.as_deref())
                    .map_err(|m| BackupError::Verify(format!("{}: {m}", c.origin)))?;
                t.bodies += 1;
            }
            Record::Blob { sha256, data } => {
                let c = cur.as_mut().ok_or_else(|| l.err("a blob before any log"))?;
                let bytes = b64(&l, &data, "a blob")?;
                let h: Hash = Sha256::digest(&bytes).into();
                if hex::encode(h) != sha256 {
                    return Err(BackupError::Verify(format!(
                        "{}: the blob {sha256} has another hash",
                        c.origin
                    )));
                }
                c.have.insert(h);
                t.blobs += 1;
            }
            Record::End {
                logs,
                entries,
                bodies,
                blobs,
                checkpoints,
            } => {
                if let Some(c) = cur.take() {
                    c.finish()?;
                }
                let claimed = Totals {
                    logs,
                    entries,
                    bodies,
                    blobs,
                    checkpoints,
                };
                if claimed != t {
                    return Err(l.err(format!(
                        "the end record counts {claimed:?}, the file holds {t:?}"
                    )));
                }
                if l.next()?.is_some() {
                    return Err(l.err("lines after the end record"));
                }
                return Ok((header, t));
            }
        }
    }
}

/// Writes a verified export into `store`, which must hold no log of the
/// export's relay. Call [`verify`] on the same file first.
pub fn restore(
    store: &dyn RelayData,
    r: impl BufRead,
    progress: &dyn Fn(u64, u64),
) -> Result<Totals, BackupError> {
    let mut l = Lines {
        r,
        n: 0,
        buf: String::new(),
    };
    let Some(Record::Header {
        name,
        entries: total,
        ..
    }) = l.next()?
    else {
        return Err(l.err("the first line is not an export header"));
    };
    let prefix = format!("{name}/");
    if let Some(existing) = store.logs()?.into_iter().find(|o| o.starts_with(&prefix)) {
        return Err(BackupError::Target(format!(
            "the target already holds {existing}: import into an empty data folder or database"
        )));
    }
    let mut t = Totals::default();
    let mut origin = String::new();
    let mut latest: Option<(u64, Vec<u8>)> = None;
    let mut pending: Vec<(u64, StoredBody)> = Vec::new();
    let finish = |origin: &str, latest: &mut Option<(u64, Vec<u8>)>| -> Result<(), BackupError> {
        if let Some((s, n)) = latest.take() {
            store.put_checkpoint(origin, s, &n)?;
        }
        Ok(())
    };
    while let Some(rec) = l.next()? {
        match rec {
            Record::Header { .. } => return Err(l.err("a second header")),
            Record::Log { origin: o, .. } => {
                flush_bodies(store, &origin, &mut pending)?;
                finish(&origin, &mut latest)?;
                store.create(&o)?;
                origin = o;
                t.logs += 1;
            }
            Record::Checkpoint {
                size,
                note,
                cosignatures,
            } => {
                let bytes = b64(&l, &note, "note")?;
                store.put_checkpoint_at(&origin, size, &bytes)?;
                for s in cosignatures {
                    let sig = note::parse_signature_line(&s).map_err(|e| l.err(e.to_string()))?;
                    store.add_cosignature(&origin, size, &sig.name, &s)?;
                }
                if latest.as_ref().is_none_or(|(s, _)| size > *s) {
                    latest = Some((size, bytes));
                }
                t.checkpoints += 1;
            }
            Record::Entries { entries, .. } => {
                let bytes = entries
                    .iter()
                    .map(|e| b64(&l, e, "an entry"))
                    .collect::<Result<Vec<_>, _>>()?;
                Log::new(store, &origin).append(&bytes)?;
                t.entries += bytes.len() as u64;
                progress(t.entries, total);
            }
            Record::Body {
                index,
                stanzas,
                ciphertext,
            } => {
                let st = b64(&l, &stanzas, "stanzas")?;
                let ct = ciphertext
                    .map(|c| b64(&l, &c, "a ciphertext"))
                    .transpose()?;
                pending.push((index, (st, ct)));
                if pending.len() >= CHUNK as usize {
                    flush_bodies(store, &origin, &mut pending)?;
                }
                t.bodies += 1;
            }
            Record::Blob { data, .. } => {
                flush_bodies(store, &origin, &mut pending)?;
                let bytes = b64(&l, &data, "a blob")?;
                let h: Hash = Sha256::digest(&bytes).into();
                store.put_blobs(&origin, &[(h, &bytes)])?;
                t.blobs += 1;
            }
            Record::End { .. } => {
                flush_bodies(store, &origin, &mut pending)?;
                finish(&origin, &mut latest)?;
                break;
            }
        }
    }
    Ok(t)
}

/// Writes the bodies gathered so far in one transaction.
fn flush_bodies(
    store: &dyn RelayData,
    origin: &str,
    pending: &mut Vec<(u64, StoredBody)>,
) -> Result<(), BackupError> {
    if pending.is_empty() {
        return Ok(());
    }
    let bodies: Vec<Body<'_>> = pending
        .iter()
        .map(|(index, (st, ct))| Body {
            index: *index,
            stanzas: st,
            ciphertext: ct.as_deref(),
        })
        .collect();
    store.put_bodies(origin, &bodies)?;
    pending.clear();
    Ok(())
}
