//! Parties behind an air gap (`docs/airgap.md`): the member's keys stay on a
//! machine that is on no network; a connected machine, the courier, holds a
//! courier key of its own and none of the party's or member's, fetches what
//! the relay has into a file, and posts what the air-gapped machine wrote.
//!
//! The round trip, each step a file carried by hand:
//!
//! 1. air-gapped: [`grant`] — a courier grant per channel (`hotline
//!    courier grant`), signed by the member, naming the courier's key; the
//!    profile is marked air-gapped (its messages are queued, not posted).
//! 2. connected: [`Courier::accept`] the grants, then [`Courier::export`]
//!    (`hotline sync --export FILE`): checkpoints with their cosignatures,
//!    entries and envelopes from where the air-gapped archive stands.
//! 3. air-gapped: [`import`] (`hotline sync --import FILE --out OUT`): the
//!    very sync an online machine runs ([`crate::sync::sync_channel`]),
//!    against a [`Replay`] of the file instead of the network, so every
//!    check, alarm and opening is the same; then the outbox: the receipts
//!    (cosignatures) that sync made, the envelopes queued, and where the
//!    archive stands for the next export.
//! 4. connected: [`Courier::post`] (`hotline post OUT`).
//!
//! The courier can read what a member can read of the relay — ciphertext
//! and the log — and nothing more: it opens nothing and signs nothing in the
//! member's name. A courier that lies (drops, alters, reorders, replays) is
//! a lying relay to the sync, with the same alarms.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hotline_core::courier::CourierGrant;
use hotline_core::dsse::SignedDocument;
use hotline_core::envelope::Envelope;
use hotline_core::ids::ChannelId;
use hotline_core::keys::{SigningKey, VerifyingKey};
use hotline_log::checkpoint::Checkpoint;
use hotline_log::note::Note;
use hotline_log::storage::LogStore as _;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::archive::{Archive, ArchiveError};
use crate::keyring::Keys;
use crate::relay_client::{RelayClient, RelayError};
use crate::sync::{SyncError, SyncOutcome};

/// The file that marks a profile air-gapped: its messages are queued for
/// the courier, and commands do not try to reach the relay.
pub const MARKER: &str = "air-gapped";
/// The courier's key file (encrypted, like every key at rest).
pub const COURIER_KEY: &str = "courier.key";
/// The courier's grants and where each channel's air-gapped archive stands.
pub const COURIER_STATE: &str = "courier.json";

/// Whether the profile at `dir` is air-gapped.
pub fn is_air_gapped(dir: &Path) -> bool {
    dir.join(MARKER).exists()
}

/// Why an air-gap step failed.
#[derive(Debug, thiserror::Error)]
pub enum AirGapError {
    /// A file is not what it should be.
    #[error("{0}")]
    Invalid(String),
    /// The archive failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The relay failed (courier side).
    #[error(transparent)]
    Relay(#[from] RelayError),
    /// Reading or writing a file failed.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The courier's key file.
    #[error(transparent)]
    Key(#[from] hotline_store::keyfile::KeyFileError),
}

fn b64d(s: &str, what: &str) -> Result<Vec<u8>, AirGapError> {
    B64.decode(s)
        .map_err(|_| AirGapError::Invalid(format!("{what} is not base64")))
}

/// The size a checkpoint note states (its signatures unchecked: the sync
/// checks them; here the size only bounds what is fetched or awaited).
fn checkpoint_size(note: &[u8]) -> Option<u64> {
    let n = Note::parse(note).ok()?;
    Checkpoint::parse(&n.text).ok().map(|c| c.size)
}

// --- The files ------------------------------------------------------------

/// One channel of a grants file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantedChannel {
    /// The channel.
    pub channel: ChannelId,
    /// Its relay.
    pub relay_url: String,
    /// The grant, DSSE JSON, base64.
    pub grant: String,
    /// Where the air-gapped archive stands: its mirror's size.
    pub have: u64,
    /// Envelopes it has not fetched yet (log indexes).
    pub pending: Vec<u64>,
}

/// `hotline courier grant`'s file: what the courier needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// `hotline-courier-grants`.
    pub format: String,
    /// The channels.
    pub channels: Vec<GrantedChannel>,
}

/// A checkpoint note, base64, by size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizedNote {
    /// Its size.
    pub size: u64,
    /// The signed note with its cosignatures, base64.
    pub note: String,
}

/// An entry or envelope by index, base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indexed {
    /// Its log index.
    pub index: u64,
    /// The entry's kind (`charter`, `roster`, `envelope`), for entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The bytes, base64.
    pub bytes: String,
}

/// What the courier fetched of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelExport {
    /// The channel.
    pub channel: ChannelId,
    /// The relay's latest checkpoint, base64.
    pub checkpoint: String,
    /// Checkpoints from `from` on (the relay's history), with cosignatures.
    pub checkpoints: Vec<SizedNote>,
    /// The first entry exported.
    pub from: u64,
    /// Entries `from` to the checkpoint's size.
    pub entries: Vec<Indexed>,
    /// Whole envelopes among them, and those still pending.
    pub envelopes: Vec<Indexed>,
}

/// `hotline sync --export`'s file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// `hotline-courier-export`.
    pub format: String,
    /// When the courier fetched it (its clock: the file's word only).
    pub exported_at: u64,
    /// The channels.
    pub channels: Vec<ChannelExport>,
}

/// A cosignature the air-gapped sync made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The checkpoint's size.
    pub size: u64,
    /// The signature line.
    pub line: String,
}

/// What the air-gapped machine sends out for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelOut {
    /// The channel.
    pub channel: ChannelId,
    /// Where the archive stands now (for the next export).
    pub have: u64,
    /// Envelopes still to fetch.
    pub pending: Vec<u64>,
    /// Receipts to post.
    pub cosignatures: Vec<Receipt>,
    /// Envelopes queued (whole, base64), oldest first.
    pub envelopes: Vec<String>,
}

/// `hotline sync --import --out`'s file, for `hotline post`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbox {
    /// `hotline-courier-outbox`.
    pub format: String,
    /// The channels.
    pub channels: Vec<ChannelOut>,
}

/// Reads a file of ours, checking its `format`.
pub fn read_file<T: serde::de::DeserializeOwned>(
    path: &Path,
    format: &str,
) -> Result<T, AirGapError> {
    let bytes = std::fs::read(path).map_err(|e| AirGapError::Io(path.into(), e))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| AirGapError::Invalid(format!("{} is not JSON: {e}", path.display())))?;
    let got = v.get("format").and_then(|f| f.as_str()).unwrap_or("");
    if got != format {
        return Err(AirGapError::Invalid(format!(
            "{} is a {:?} file, not a {format:?} file",
            path.display(),
            got
        )));
    }
    serde_json::from_value(v).map_err(|e| AirGapError::Invalid(format!("{}: {e}", path.display())))
}

/// Writes a file of ours (atomically: a crash leaves the old file or none).
pub fn write_file<T: Serialize>(path: &Path, v: &T) -> Result<(), AirGapError> {
    let bytes = serde_json::to_vec_pretty(v).map_err(|e| AirGapError::Invalid(e.to_string()))?;
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, &bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| AirGapError::Io(path.into(), e))
}

// --- The air-gapped side --------------------------------------------------

/// Where the archive stands for `channel`: mirror size and pending envelopes.
fn standing(archive: &Archive, channel: &ChannelId) -> Result<(u64, Vec<u64>), AirGapError> {
    let rec = archive.channel(channel)?;
    let have = archive.log.size(&rec.origin).map_err(ArchiveError::from)?;
    let pending = archive
        .pending(channel)?
        .into_iter()
        .map(|p| p.index)
        .collect();
    Ok((have, pending))
}

/// Grants `courier` (its public key) for `days` from `now` on every channel
/// the archive follows, signed with the member's key; marks the profile at
/// `profile_dir` air-gapped.
pub fn grant(
    profile_dir: &Path,
    archive: &Archive,
    member: &SigningKey,
    courier: &VerifyingKey,
    days: u64,
    now: u64,
) -> Result<Grants, AirGapError> {
    if days == 0 || days > hotline_core::courier::MAX_DAYS {
        return Err(AirGapError::Invalid(format!(
            "a grant lasts 1 to {} days",
            hotline_core::courier::MAX_DAYS
        )));
    }
    let mut channels = Vec::new();
    for rec in archive.channels()? {
        let g = CourierGrant {
            v: 1,
            channel: rec.id,
            courier: courier.to_base64(),
            member: member.key_id(),
            not_before: now.saturating_sub(300),
            not_after: now + days * 86_400,
        };
        let (have, pending) = standing(archive, &rec.id)?;
        channels.push(GrantedChannel {
            channel: rec.id,
            relay_url: rec.relay_url.clone(),
            grant: B64.encode(g.sign(member).to_json()),
            have,
            pending,
        });
    }
    if channels.is_empty() {
        return Err(AirGapError::Invalid(
            "this profile follows no channel: join one before going air-gapped".into(),
        ));
    }
    std::fs::write(
        profile_dir.join(MARKER),
        "This profile is air-gapped: messages are queued for the courier (docs/airgap.md).\n",
    )
    .map_err(|e| AirGapError::Io(profile_dir.join(MARKER), e))?;
    Ok(Grants {
        format: "hotline-courier-grants".into(),
        channels,
    })
}

/// What [`import`] did for one channel.
#[derive(Debug)]
pub struct Imported {
    /// The channel.
    pub channel: ChannelId,
    /// The sync's outcome, as online.
    pub sync: Result<SyncOutcome, SyncError>,
    /// Queued envelopes found in the log (sent), now off the queue.
    pub sent: usize,
}

/// Imports an export: syncs each channel of it the archive follows against
/// its [`Replay`], as online; then writes nothing but returns the outbox.
pub fn import(
    archive: &Archive,
    export: &Export,
    me: &dyn Keys,
) -> Result<(Vec<Imported>, Outbox), AirGapError> {
    let mut done = Vec::new();
    let mut out = Outbox {
        format: "hotline-courier-outbox".into(),
        channels: Vec::new(),
    };
    for ce in &export.channels {
        let Ok(rec) = archive.channel(&ce.channel) else {
            continue;
        };
        let replay = Arc::new(Replay::new(ce)?);
        let relay =
            RelayClient::replaying(&rec.relay_url, me.current().signing.clone(), replay.clone())?;
        let sync = crate::sync::sync_channel(archive, &relay, &ce.channel, me, &|_, _| {});
        // The other parties' receipts and the witnesses' cosignatures.
        if sync.is_ok() {
            let _ = crate::receipts::refresh(archive, &relay, &ce.channel);
        }
        let sent = archive.strike_sent(&ce.channel)?;
        let (have, pending) = standing(archive, &ce.channel)?;
        let cosignatures = replay.cosignatures();
        let envelopes = archive
            .outgoing(&ce.channel)?
            .into_iter()
            .map(|b| B64.encode(b))
            .collect();
        out.channels.push(ChannelOut {
            channel: ce.channel,
            have,
            pending,
            cosignatures,
            envelopes,
        });
        done.push(Imported {
            channel: ce.channel,
            sync,
            sent,
        });
    }
    if done.is_empty() {
        return Err(AirGapError::Invalid(
            "the export holds no channel this profile follows".into(),
        ));
    }
    Ok((done, out))
}

/// The relay's API answered from an export, for [`import`]: the same
/// answers a relay gives to the requests sync makes, from what the courier
/// fetched; what it did not fetch is answered 404. Posted cosignatures are
/// kept for the outbox.
pub struct Replay {
    channel: ChannelId,
    checkpoint: Vec<u8>,
    size: u64,
    checkpoints: BTreeMap<u64, Vec<u8>>,
    from: u64,
    entries: Vec<(String, Vec<u8>)>,
    envelopes: BTreeMap<u64, Vec<u8>>,
    posted: Mutex<Vec<Receipt>>,
}

fn problem(status: u16, detail: String) -> RelayError {
    RelayError::Problem {
        status,
        kind: "urn:hotline:problem:not-in-export".into(),
        title: "Not in the export".into(),
        detail,
        body: serde_json::Value::Null,
    }
}

impl Replay {
    /// Reads one channel of an export.
    pub fn new(ce: &ChannelExport) -> Result<Replay, AirGapError> {
        let checkpoint = b64d(&ce.checkpoint, "the checkpoint")?;
        let size = checkpoint_size(&checkpoint)
            .ok_or_else(|| AirGapError::Invalid("the export's checkpoint does not parse".into()))?;
        let mut checkpoints = BTreeMap::new();
        for c in &ce.checkpoints {
            checkpoints.insert(c.size, b64d(&c.note, "a checkpoint")?);
        }
        let mut entries = Vec::with_capacity(ce.entries.len());
        for (i, e) in ce.entries.iter().enumerate() {
            if e.index != ce.from + i as u64 {
                return Err(AirGapError::Invalid(format!(
                    "the export's entries are not consecutive from {} (entry {} at position {i})",
                    ce.from, e.index
                )));
            }
            entries.push((
                e.kind.clone().unwrap_or_default(),
                b64d(&e.bytes, "an entry")?,
            ));
        }
        let mut envelopes = BTreeMap::new();
        for e in &ce.envelopes {
            envelopes.insert(e.index, b64d(&e.bytes, "an envelope")?);
        }
        Ok(Replay {
            channel: ce.channel,
            checkpoint,
            size,
            checkpoints,
            from: ce.from,
            entries,
            envelopes,
            posted: Mutex::new(Vec::new()),
        })
    }

    /// The cosignatures posted to it.
    pub fn cosignatures(&self) -> Vec<Receipt> {
        self.posted.lock().map(|p| p.clone()).unwrap_or_default()
    }

    fn json(v: serde_json::Value) -> Result<Vec<u8>, RelayError> {
        serde_json::to_vec(&v).map_err(|e| RelayError::Protocol(e.to_string()))
    }

    /// Answers a request as the relay would.
    pub fn answer(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, RelayError> {
        let prefix = format!("/v1/channels/{}/", self.channel.to_hex());
        let Some(rest) = path_and_query.strip_prefix(&prefix) else {
            return Err(RelayError::Protocol(format!(
                "{path_and_query} cannot be answered from an export file"
            )));
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let q = |k: &str| -> u64 {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        match (method, path) {
            ("GET", "log/checkpoint") => Ok(self.checkpoint.clone()),
            ("GET", "checkpoints") => {
                let (after, limit) = (q("after"), q("limit").clamp(1, 1024));
                let items: Vec<_> = self
                    .checkpoints
                    .range(after.saturating_add(1)..)
                    .take(limit as usize)
                    .map(|(s, n)| serde_json::json!({"size": s, "note": B64.encode(n)}))
                    .collect();
                Self::json(serde_json::json!({ "checkpoints": items }))
            }
            ("GET", p) if p.starts_with("checkpoints/") => {
                let size: u64 = p["checkpoints/".len()..].parse().unwrap_or(u64::MAX);
                self.checkpoints.get(&size).cloned().ok_or_else(|| {
                    problem(
                        404,
                        format!("the export holds no checkpoint of size {size}"),
                    )
                })
            }
            ("GET", "entries") => {
                let (start, limit) = (q("start"), q("limit").clamp(1, 1024));
                if start < self.from {
                    return Err(problem(
                        404,
                        format!(
                            "the export starts at entry {}, this archive needs entry {start}: \
                             post this archive's last outbox with the courier, then export again",
                            self.from
                        ),
                    ));
                }
                let from = (start - self.from) as usize;
                let items: Vec<_> = self
                    .entries
                    .iter()
                    .enumerate()
                    .skip(from)
                    .take(limit as usize)
                    .map(|(i, (kind, b))| {
                        serde_json::json!({"index": self.from + i as u64, "kind": kind, "entry": B64.encode(b)})
                    })
                    .collect();
                Self::json(serde_json::json!({"size": self.size, "entries": items}))
            }
            ("GET", "envelopes") => {
                let (start, limit) = (q("start"), q("limit").clamp(1, 1024));
                let end = start.saturating_add(limit);
                let items: Vec<_> = self
                    .envelopes
                    .range(start..end)
                    .map(|(i, b)| serde_json::json!({"index": i, "envelope": B64.encode(b)}))
                    .collect();
                Self::json(serde_json::json!({"size": self.size, "next": end, "envelopes": items}))
            }
            ("GET", p) if p.starts_with("envelopes/") => {
                let i: u64 = p["envelopes/".len()..].parse().unwrap_or(u64::MAX);
                self.envelopes
                    .get(&i)
                    .cloned()
                    .ok_or_else(|| problem(404, format!("the export holds no envelope {i}")))
            }
            ("POST", "cosignatures") => {
                #[derive(Deserialize)]
                struct C {
                    size: u64,
                    cosignature: String,
                }
                let c: C = serde_json::from_slice(body)
                    .map_err(|e| RelayError::Protocol(e.to_string()))?;
                if let Ok(mut p) = self.posted.lock() {
                    p.retain(|r| r.size != c.size);
                    p.push(Receipt {
                        size: c.size,
                        line: c.cosignature,
                    });
                }
                Self::json(serde_json::json!({"size": c.size, "added": true}))
            }
            _ => Err(problem(
                404,
                format!("{method} {path} cannot be answered from an export file"),
            )),
        }
    }
}

// --- The connected side ---------------------------------------------------

/// The courier's folder: its key (encrypted) and state.
pub struct Courier {
    dir: PathBuf,
    key: SigningKey,
    /// The grants and where each air-gapped archive stands.
    pub state: Vec<GrantedChannel>,
}

/// What [`Courier::post`] did for one channel.
#[derive(Debug, Clone, Serialize)]
pub struct Posted {
    /// The channel.
    pub channel: ChannelId,
    /// The log index of each envelope posted.
    pub envelopes: Vec<u64>,
    /// Receipts the relay took.
    pub cosignatures: usize,
    /// The size of the relay's checkpoint that covers the envelopes posted,
    /// if one did within 15 s.
    pub checkpoint: Option<u64>,
}

impl Courier {
    /// Makes a courier folder: a new courier key, encrypted with `pass`.
    /// Returns the public key, for the member to grant.
    pub fn init(
        dir: &Path,
        pass: &hotline_store::keyfile::Passphrase,
        kdf: hotline_store::keyfile::KdfStrength,
    ) -> Result<VerifyingKey, AirGapError> {
        std::fs::create_dir_all(dir).map_err(|e| AirGapError::Io(dir.into(), e))?;
        let key = SigningKey::generate(&mut rand_core::OsRng);
        hotline_store::keyfile::write(&dir.join(COURIER_KEY), &key.seed()[..], pass, kdf)?;
        write_file(&dir.join(COURIER_STATE), &Vec::<GrantedChannel>::new())?;
        Ok(key.verifying_key())
    }

    /// Opens a courier folder.
    pub fn open(
        dir: &Path,
        pass: &hotline_store::keyfile::Passphrase,
    ) -> Result<Courier, AirGapError> {
        let seed = hotline_store::keyfile::read(&dir.join(COURIER_KEY), pass)?;
        let seed: [u8; 32] = seed[..].try_into().map_err(|_| {
            AirGapError::Invalid("the courier key file holds no Ed25519 seed".into())
        })?;
        let key = SigningKey::from_seed(&seed);
        let p = dir.join(COURIER_STATE);
        let bytes = std::fs::read(&p).map_err(|e| AirGapError::Io(p.clone(), e))?;
        let state = serde_json::from_slice(&bytes)
            .map_err(|e| AirGapError::Invalid(format!("{}: {e}", p.display())))?;
        Ok(Courier {
            dir: dir.into(),
            key,
            state,
        })
    }

    /// Whether `dir` is a courier folder.
    pub fn is_courier(dir: &Path) -> bool {
        dir.join(COURIER_KEY).exists()
    }

    /// The courier's public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    fn save(&self) -> Result<(), AirGapError> {
        write_file(&self.dir.join(COURIER_STATE), &self.state)
    }

    fn client(&self, g: &GrantedChannel) -> Result<RelayClient, AirGapError> {
        let doc = SignedDocument::from_json(&b64d(&g.grant, "a grant")?)
            .map_err(|e| AirGapError::Invalid(format!("a grant: {e}")))?;
        Ok(RelayClient::courier(&g.relay_url, self.key.clone(), &doc)?)
    }

    /// Takes the member's grants (replacing those of the same channels);
    /// each must name this courier's key.
    pub fn accept(&mut self, grants: &Grants) -> Result<usize, AirGapError> {
        for g in &grants.channels {
            let doc = SignedDocument::from_json(&b64d(&g.grant, "a grant")?)
                .map_err(|e| AirGapError::Invalid(format!("a grant: {e}")))?;
            let parsed =
                CourierGrant::parse(&doc).map_err(|e| AirGapError::Invalid(e.to_string()))?;
            if parsed.courier_key().map(|k| k.key_id()).ok() != Some(self.key.key_id())
                || parsed.channel != g.channel
            {
                return Err(AirGapError::Invalid(format!(
                    "the grant for channel {} names another courier key: grant this courier's key (`hotline courier init` printed it)",
                    g.channel.to_hex()
                )));
            }
            self.state.retain(|s| s.channel != g.channel);
            self.state.push(g.clone());
        }
        self.save()?;
        Ok(grants.channels.len())
    }

    /// Fetches, for every granted channel, what the air-gapped archive does
    /// not have yet: checkpoints, entries and envelopes from where it stands.
    pub fn export(&self, now: u64, progress: &dyn Fn(&str)) -> Result<Export, AirGapError> {
        let mut channels = Vec::new();
        for g in &self.state {
            let relay = self.client(g)?;
            let ch = &g.channel;
            progress(&format!("channel {}: checkpoint", &ch.to_hex()[..8]));
            let checkpoint = relay.checkpoint(ch)?;
            let size = checkpoint_size(&checkpoint).ok_or_else(|| {
                AirGapError::Invalid("the relay's checkpoint does not parse".into())
            })?;
            let mut checkpoints = Vec::new();
            if g.have > 0 {
                match relay.checkpoint_at(ch, g.have) {
                    Ok(n) => checkpoints.push(SizedNote {
                        size: g.have,
                        note: B64.encode(n),
                    }),
                    Err(RelayError::Problem { status: 404, .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            let mut after = g.have;
            loop {
                let page = relay.checkpoints_after(ch, after, 256)?;
                let Some(last) = page.last().map(|p| p.0) else {
                    break;
                };
                if last <= after {
                    break;
                }
                for (s, n) in page {
                    checkpoints.push(SizedNote {
                        size: s,
                        note: B64.encode(n),
                    });
                }
                after = last;
                if after >= size {
                    break;
                }
            }
            let mut entries = Vec::new();
            let mut start = g.have;
            while start < size {
                progress(&format!(
                    "channel {}: entries {start}/{size}",
                    &ch.to_hex()[..8]
                ));
                let page = relay.entries(ch, start, (size - start).min(1024))?;
                let mut got = 0;
                for e in page.entries {
                    if e.index != start + got || e.index >= size {
                        break;
                    }
                    entries.push(Indexed {
                        index: e.index,
                        kind: Some(e.kind),
                        bytes: e.entry,
                    });
                    got += 1;
                }
                if got == 0 {
                    break;
                }
                start += got;
            }
            let mut envelopes = BTreeMap::new();
            let mut start = g.have;
            while start < size {
                let page = relay.envelopes(ch, start, (size - start).min(1024))?;
                for e in page.envelopes {
                    envelopes.insert(e.index, e.envelope);
                }
                let next = page.next.clamp(start + 1, size);
                start = next;
            }
            for i in &g.pending {
                if envelopes.contains_key(i) {
                    continue;
                }
                if let Ok(b) = relay.envelope(ch, *i) {
                    envelopes.insert(*i, B64.encode(b));
                }
            }
            channels.push(ChannelExport {
                channel: *ch,
                checkpoint: B64.encode(&checkpoint),
                checkpoints,
                from: g.have,
                entries,
                envelopes: envelopes
                    .into_iter()
                    .map(|(index, bytes)| Indexed {
                        index,
                        kind: None,
                        bytes,
                    })
                    .collect(),
            });
        }
        if channels.is_empty() {
            return Err(AirGapError::Invalid(
                "this courier holds no grant: `hotline courier accept GRANTS` first".into(),
            ));
        }
        Ok(Export {
            format: "hotline-courier-export".into(),
            exported_at: now,
            channels,
        })
    }

    /// Posts an outbox: its envelopes and receipts, then records where the
    /// air-gapped archive stands for the next export.
    pub fn post(&mut self, outbox: &Outbox) -> Result<Vec<Posted>, AirGapError> {
        let mut done = Vec::new();
        for c in &outbox.channels {
            let Some(g) = self.state.iter().find(|g| g.channel == c.channel).cloned() else {
                return Err(AirGapError::Invalid(format!(
                    "this courier holds no grant for channel {}",
                    c.channel.to_hex()
                )));
            };
            let relay = self.client(&g)?;
            let mut envs = Vec::new();
            for (i, e) in c.envelopes.iter().enumerate() {
                let b = b64d(e, "an envelope")?;
                envs.push(Envelope::from_bytes(&b).map_err(|e| {
                    AirGapError::Invalid(format!("envelope {i} of the outbox: {e}"))
                })?);
            }
            let mut indexes = Vec::new();
            for chunk in envs.chunks(64) {
                for a in relay.post_envelopes(&c.channel, chunk)? {
                    indexes.push(a.index);
                }
            }
            // Wait (a little) for a checkpoint that covers them, so that
            // the other parties see them at their next sync.
            let mut covered = None;
            if let Some(max) = indexes.iter().max() {
                let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
                while std::time::Instant::now() < until {
                    let size = relay
                        .checkpoint(&c.channel)
                        .ok()
                        .and_then(|b| checkpoint_size(&b));
                    if size.is_some_and(|s| s > *max) {
                        covered = size;
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
            let mut cosigned = 0;
            for r in &c.cosignatures {
                // A receipt for a checkpoint the relay no longer has, or has
                // already, is not an error of this post.
                if relay.cosign(&c.channel, r.size, &r.line).is_ok() {
                    cosigned += 1;
                }
            }
            if let Some(s) = self.state.iter_mut().find(|g| g.channel == c.channel) {
                s.have = c.have;
                s.pending = c.pending.clone();
            }
            done.push(Posted {
                channel: c.channel,
                envelopes: indexes,
                cosignatures: cosigned,
                checkpoint: covered,
            });
        }
        self.save()?;
        Ok(done)
    }
}

// --- The queue in the archive ---------------------------------------------

pub(crate) const SCHEMA: &str = "
-- Envelopes an air-gapped profile sealed, waiting for the courier: each
-- stays until an import finds its head in the log (docs/airgap.md).
CREATE TABLE IF NOT EXISTS client_outgoing (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    leaf BLOB NOT NULL,
    envelope BLOB NOT NULL,
    UNIQUE (channel, leaf)
);
";

impl Archive {
    /// Queues an envelope (its bytes) for the courier.
    pub fn queue_outgoing(&self, channel: &ChannelId, envelope: &[u8]) -> Result<(), ArchiveError> {
        let env = Envelope::from_bytes(envelope)
            .map_err(|e| ArchiveError::Db(PathBuf::new(), format!("queueing an envelope: {e}")))?;
        let leaf = hotline_log::merkle::leaf_hash(&env.signed_head().to_bytes());
        self.with_db(|db| {
            db.execute(
                "INSERT INTO client_outgoing (channel, leaf, envelope) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![channel.to_hex(), &leaf[..], envelope],
            )
            .map(|_| ())
        })
    }

    /// The envelopes queued for `channel`, oldest first.
    pub fn outgoing(&self, channel: &ChannelId) -> Result<Vec<Vec<u8>>, ArchiveError> {
        self.with_db(|db| {
            let mut st = db.prepare_cached(
                "SELECT envelope FROM client_outgoing WHERE channel = ?1 ORDER BY id",
            )?;
            st.query_map([channel.to_hex()], |r| r.get(0))?.collect()
        })
    }

    /// Takes off the queue the envelopes whose heads are in the mirror now;
    /// returns how many.
    pub fn strike_sent(&self, channel: &ChannelId) -> Result<usize, ArchiveError> {
        let queued: Vec<(i64, Vec<u8>)> = self.with_db(|db| {
            let mut st =
                db.prepare_cached("SELECT id, leaf FROM client_outgoing WHERE channel = ?1")?;
            st.query_map([channel.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })?;
        let mut n = 0;
        for (id, leaf) in queued {
            let Ok(leaf) = <[u8; 32]>::try_from(&leaf[..]) else {
                continue;
            };
            if self.head_index(channel, &leaf)?.is_some() {
                self.with_db(|db| {
                    db.execute("DELETE FROM client_outgoing WHERE id = ?1", [id])
                        .map(|_| ())
                })?;
                n += 1;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
