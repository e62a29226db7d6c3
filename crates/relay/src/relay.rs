//! The relay's core, independent of HTTP: channels, their key directories,
//! the per-channel sequencer (group commit) and checkpoint signing.
//!
//! Every storage call is blocking (SQLite, and the synchronous PostgreSQL
//! client) and runs on tokio's blocking pool. One sequencer task per channel
//! takes every request waiting for that channel, checks and appends them as
//! one durable batch, and answers each; a timer signs a checkpoint whenever
//! the log grew, so an acknowledged entry is in a signed checkpoint within
//! `checkpoint_interval_ms` (plus the signing time).
//!
//! Several relay processes may share one PostgreSQL database: each sequences
//! the requests it received, and the store's row lock on the log (taken by
//! every append transaction, with its size check) makes exactly one of them
//! append to a channel at a time; a process that loses the race re-reads the
//! log, re-checks its batch against the new state and appends after it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hotline_core::charter::VerifiedCharter;
use hotline_core::dsse::SignedDocument;
use hotline_core::entry::Entry;
use hotline_core::envelope::{SignedHead, stanzas_match};
use hotline_core::ids::ChannelId;
use hotline_core::keys::KeyId;
use hotline_core::keys::VerifyingKey;
use hotline_core::roster::Directory;
use hotline_log::cosignature::{CosignatureVerifier, Cosigner};
use hotline_log::log::{Log, LogError};
use hotline_log::merkle::{self, Hash};
use hotline_log::note::{Ed25519Signer, Note};
use hotline_store::StoreError;
use hotline_store::relaydata::{BlobPut, BlobQuota, Body, RelayData};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot, watch};

use crate::auth::Auth;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::problem::Problem;

/// The largest batch one durable commit takes.
const MAX_BATCH_ENTRIES: usize = 4096;
/// How long a sequencer waits for another process's sequencer lock.
const SEQUENCER_WAIT: Duration = Duration::from_secs(10);
/// The least time between two re-reads of a channel prompted by requests
/// of keys its directory does not know.
pub const REFRESH_GAP: Duration = Duration::from_millis(250);
/// Requests queued per channel before new ones wait (back-pressure).
const QUEUE_DEPTH: usize = 1024;

/// One envelope as posted: its signed head, its stanzas, and its
/// ciphertext (or `None` when the ciphertext was uploaded as a blob).
#[derive(Debug, Clone)]
pub struct PostedEnvelope {
    /// The signed head bytes.
    pub head: Vec<u8>,
    /// The recipient stanzas, concatenated.
    pub stanzas: Vec<u8>,
    /// The ciphertext, unless uploaded before as a blob.
    pub ciphertext: Option<Vec<u8>>,
    /// The key the head's signature was verified with before sequencing
    /// (set by [`Relay::submit`]); the sequencer then only checks that the
    /// key is the sender's at the entry's index.
    pub verified_with: Option<VerifyingKey>,
}

/// What to append: an envelope, a roster version, or (the relay's own) a
/// time attestation.
#[derive(Debug, Clone)]
pub enum Submission {
    /// An envelope.
    Envelope(PostedEnvelope),
    /// A roster version (DSSE JSON, as posted).
    Roster(SignedDocument),
    /// A time attestation (`docs/format.md` §7): a checkpoint this relay
    /// signed, with its timestamp and the witnesses' cosignatures. Never
    /// taken from a request; the sequencer makes them.
    Time(String),
}

/// An accepted entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Accepted {
    /// Its log index.
    pub index: u64,
    /// Its RFC 6962 leaf hash (hex).
    pub leaf_hash: String,
    /// When this relay sequenced it (RFC 3339), or `None` when the entry was
    /// already in the log (a re-post) and this is its original index.
    pub sequenced_at: Option<String>,
    /// True when the entry was already in the log.
    pub duplicate: bool,
}

struct Job {
    items: Vec<Submission>,
    reply: oneshot::Sender<Vec<Result<Accepted, Problem>>>,
}

struct DirState {
    /// Shared with [`Channel::view`] until the next change (copied on write).
    dir: Arc<Directory>,
    /// Entries read into `dir` so far (the log size it reflects).
    scanned: u64,
    /// Every entry's leaf hash, to answer a re-post with its index.
    leaves: LeafIndex,
    /// Which envelope heads a time attestation has dated.
    timing: Timing,
    /// Envelope bytes logged, by party (from the heads, so exact across
    /// relay processes: every batch re-reads the log under the lock).
    envelopes: Usage,
}

/// Bytes stored in a channel, in all and by party.
#[derive(Default, Clone, Debug)]
pub struct Usage {
    /// Every party's.
    pub total: u64,
    /// By party key id.
    pub parties: HashMap<KeyId, u64>,
}

impl Usage {
    fn charge(&mut self, party: KeyId, bytes: u64) {
        self.total = self.total.saturating_add(bytes);
        let p = self.parties.entry(party).or_default();
        *p = p.saturating_add(bytes);
    }

    fn of(&self, party: &KeyId) -> u64 {
        self.parties.get(party).copied().unwrap_or(0)
    }
}

/// The quotas of one channel (`relay.toml`'s `quota_*`).
#[derive(Debug, Clone, Copy)]
pub struct Quotas {
    /// Envelope bytes in the channel.
    pub channel_envelope: u64,
    /// Envelope bytes by one party in the channel.
    pub party_envelope: u64,
    /// Blob bytes in the channel, and by one party.
    pub blob: BlobQuota,
}

impl Quotas {
    fn of(cfg: &Config) -> Quotas {
        Quotas {
            channel_envelope: cfg.quota_channel_envelope_bytes,
            party_envelope: cfg.quota_party_envelope_bytes,
            blob: BlobQuota {
                channel: cfg.quota_channel_blob_bytes,
                party: cfg.quota_party_blob_bytes,
            },
        }
    }
}

/// The bytes an envelope head declares: its stanzas and its ciphertext.
fn envelope_len(h: &SignedHead) -> u64 {
    h.head.stanzas_len().saturating_add(h.head.ciphertext_len)
}

/// Which envelope heads a logged time attestation dates (`docs/relay.md`,
/// "Time attestations").
#[derive(Default, Clone)]
struct Timing {
    /// The checkpoint size of the last time attestation: every entry below
    /// it is dated.
    dated: u64,
    /// The indexes of envelope heads at or past `dated`, ascending.
    undated: std::collections::VecDeque<u64>,
}

impl Timing {
    /// Takes note of the entry at `index`: a head (`Head`), a time
    /// attestation of the checkpoint of that size (`Time`), or another entry.
    fn observe(&mut self, index: u64, what: Dated) {
        match what {
            Dated::Head => self.undated.push_back(index),
            Dated::Time(size) => {
                self.dated = self.dated.max(size);
                while self.undated.front().is_some_and(|&i| i < self.dated) {
                    self.undated.pop_front();
                }
            }
            Dated::Other => {}
        }
    }

    /// Whether an attestation of the checkpoint of `size` would date a head
    /// no earlier attestation dates.
    fn would_date(&self, size: u64) -> bool {
        size > self.dated && self.undated.front().is_some_and(|&i| i < size)
    }
}

/// What an entry is to [`Timing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dated {
    Head,
    Time(u64),
    Other,
}

impl Dated {
    fn of(entry: &Entry) -> Dated {
        match entry {
            Entry::Head(_) => Dated::Head,
            Entry::Time(note) => attested_size(note).map_or(Dated::Other, Dated::Time),
            Entry::Charter(_) | Entry::Roster(_) => Dated::Other,
        }
    }
}

/// The size of the checkpoint a time attestation's note holds.
fn attested_size(note: &str) -> Option<u64> {
    let n = hotline_log::note::Note::parse(note.as_bytes()).ok()?;
    Some(
        hotline_log::checkpoint::Checkpoint::parse(&n.text)
            .ok()?
            .size,
    )
}

/// The log's leaf hashes by their first 8 bytes (16 bytes per entry), for
/// re-post detection. A candidate is confirmed against the stored leaf hash,
/// so a collision of prefixes costs a read, never a wrong answer. Kept in
/// memory because an SQL index on random 32-byte keys made every append
/// batch write a page per entry (`docs/benchmarks.md`).
#[derive(Default)]
struct LeafIndex {
    first: HashMap<u64, u64>,
    more: HashMap<u64, Vec<u64>>,
}

impl LeafIndex {
    fn key(leaf: &Hash) -> u64 {
        let mut k = [0u8; 8];
        k.copy_from_slice(&leaf[..8]);
        u64::from_le_bytes(k)
    }

    fn insert(&mut self, leaf: &Hash, index: u64) {
        let k = LeafIndex::key(leaf);
        match self.first.entry(k) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.more.entry(k).or_default().push(index)
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(index);
            }
        }
    }

    /// The index of the entry whose leaf hash is `leaf`, if it is logged.
    fn find(
        &self,
        store: &dyn RelayData,
        origin: &str,
        leaf: &Hash,
    ) -> Result<Option<u64>, Problem> {
        let k = LeafIndex::key(leaf);
        let Some(first) = self.first.get(&k) else {
            return Ok(None);
        };
        let more = self.more.get(&k).map(Vec::as_slice).unwrap_or_default();
        for &i in std::iter::once(first).chain(more) {
            let stored = store.read_hashes(origin, &[merkle::stored_index(0, i)])?;
            if stored.first() == Some(leaf) {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }
}

/// One channel the relay carries.
pub struct Channel {
    /// Its id.
    pub id: ChannelId,
    /// Its log's origin, `<relay name>/<channel id>`.
    pub origin: String,
    dir: Mutex<DirState>,
    /// The directory and the size it reflects, as of the last change of
    /// `dir`: what requests are authorised against. Apart from `dir` so that
    /// a request never waits for a batch in flight, which holds `dir` across
    /// its store writes (milliseconds on PostgreSQL, while every handler of
    /// the channel on the runtime's threads waited behind it).
    view: RwLock<(Arc<Directory>, u64)>,
    tx: mpsc::Sender<Job>,
    size: watch::Sender<u64>,
    quota: Quotas,
    /// When a request by a key the directory does not know last made this
    /// process re-read the channel ([`Channel::refresh_due`]).
    last_unknown_refresh: Mutex<Option<Instant>>,
    /// Blob bytes charged, by party, as this process last read or charged
    /// them (for `/metrics`; the store decides uploads).
    blobs: Mutex<Usage>,
}

impl Channel {
    /// The channel's directory (charter and roster history) as of the last
    /// refresh, for authorisation.
    pub fn with_dir<T>(&self, f: impl FnOnce(&Directory, u64) -> T) -> T {
        let (dir, size) = self.view.read().unwrap_or_else(|p| p.into_inner()).clone();
        f(&dir, size)
    }

    /// Makes `st`'s directory the one requests are judged against.
    fn publish(&self, st: &DirState) {
        *self.view.write().unwrap_or_else(|p| p.into_inner()) = (st.dir.clone(), st.scanned);
    }

    /// A receiver of the log size, updated after every append.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.size.subscribe()
    }

    /// Envelope and blob bytes stored in the channel, as this process knows them.
    pub fn usage(&self) -> (Usage, Usage) {
        let env = self
            .dir
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .envelopes
            .clone();
        let blobs = self.blobs.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (env, blobs)
    }

    /// Whether a request by a key this channel's directory does not know
    /// may make the relay re-read the channel now (a roster another relay
    /// process appended may name it): at most once every [`REFRESH_GAP`],
    /// so that requests by unknown keys cannot load the store. A member
    /// added by another process within that gap may be refused once (403)
    /// and is served on its retry.
    pub fn refresh_due(&self) -> bool {
        let mut last = self
            .last_unknown_refresh
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|t| t.elapsed() >= REFRESH_GAP);
        if due {
            *last = Some(Instant::now());
        }
        due
    }

    /// The party of a member key, as of the current log size.
    pub fn party_of(&self, key: &KeyId) -> Option<KeyId> {
        self.with_dir(|d, size| d.signer_at(key, size).map(|s| s.party))
    }
}

/// The relay.
pub struct Relay {
    /// Its configuration.
    pub cfg: Config,
    store: Arc<dyn RelayData>,
    signer: Ed25519Signer,
    timestamper: Cosigner,
    channels: RwLock<HashMap<ChannelId, Arc<Channel>>>,
    sequencers: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Request authentication and limits.
    pub auth: Auth,
    /// Open event streams, bounded.
    pub streams: Arc<crate::auth::Streams>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// The global bounds on requests and body bytes in flight.
    pub limits: crate::limits::Limits,
    closing: AtomicBool,
    /// Set to true when the sequencers are to drain their queues and stop.
    stop: watch::Sender<bool>,
    started: Instant,
    last_checkpoint_ms: AtomicU64,
    /// When (Unix seconds) expired nonces were last swept from a shared store.
    last_nonce_sweep: std::sync::atomic::AtomicI64,
    witnesses: crate::witnesses::Witnesses,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn log_problem(e: LogError) -> Problem {
    match e {
        LogError::Store(s) => s.into(),
        other => other.into(),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Problem::internal("a storage task failed"))?
}

impl Relay {
    /// A relay over `store`, signing with `signer`. Channels are loaded on
    /// first use.
    pub fn new(cfg: Config, store: Arc<dyn RelayData>, keys: crate::key::RelayKeys) -> Arc<Relay> {
        let crate::key::RelayKeys {
            signer,
            timestamper,
        } = keys;
        let allowed =
            crate::witnesses::Allowed::new(cfg.danger_any_witness, &cfg.allowed_witnesses);
        let limits = crate::limits::Limits::new(
            cfg.max_concurrent_requests,
            cfg.max_inflight_body_bytes,
            cfg.max_body_bytes.max(cfg.max_blob_bytes),
        );
        Arc::new(Relay {
            auth: Auth::new(&cfg),
            streams: Arc::default(),
            cfg,
            store,
            signer,
            timestamper,
            channels: RwLock::new(HashMap::new()),
            sequencers: Mutex::new(Vec::new()),
            metrics: Metrics::default(),
            limits,
            closing: AtomicBool::new(false),
            stop: watch::Sender::new(false),
            started: Instant::now(),
            last_checkpoint_ms: AtomicU64::new(0),
            last_nonce_sweep: std::sync::atomic::AtomicI64::new(0),
            witnesses: crate::witnesses::Witnesses::new(allowed),
        })
    }

    /// The relay's signed-note verifier key.
    pub fn vkey(&self) -> String {
        self.signer.vkey()
    }

    /// The relay's key name (the origin prefix).
    pub fn name(&self) -> &str {
        self.signer.name()
    }

    /// The store.
    pub fn store(&self) -> Arc<dyn RelayData> {
        self.store.clone()
    }

    /// The origin of channel `id`'s log.
    pub fn origin(&self, id: &ChannelId) -> String {
        format!("{}/{}", self.signer.name(), id.to_hex())
    }

    /// How many channels are loaded.
    pub fn channel_count(&self) -> usize {
        self.channels
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Whether shutdown has begun.
    pub fn closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Marks the relay as closing: health answers 503, new submissions are
    /// refused and event streams end, so that open connections drain.
    pub fn begin_close(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    /// Seconds since start (for `/healthz`).
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// The ids of every channel in the store with this relay's origin prefix.
    pub async fn channel_ids(self: &Arc<Self>) -> Result<Vec<ChannelId>, Problem> {
        let store = self.store.clone();
        let prefix = format!("{}/", self.signer.name());
        blocking(move || {
            Ok(store
                .logs()?
                .iter()
                .filter_map(|l| l.strip_prefix(&prefix))
                .filter_map(|h| ChannelId::from_hex(h).ok())
                .collect())
        })
        .await
    }

    /// The channel `id`, loading it from the store on first use.
    pub async fn channel(self: &Arc<Self>, id: ChannelId) -> Result<Arc<Channel>, Problem> {
        if let Some(c) = self
            .channels
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
        {
            return Ok(c.clone());
        }
        let store = self.store.clone();
        let origin = self.origin(&id);
        let o = origin.clone();
        let st = blocking(move || {
            let first = match store.read_entries(&o, 0, 1) {
                Err(StoreError::NoSuchLog(_)) => {
                    return Err(Problem::not_found(format!(
                        "this relay carries no channel {}",
                        id.to_hex()
                    )));
                }
                r => r?,
            };
            let Some(Ok(Entry::Charter(doc))) = first.first().map(|e| Entry::from_bytes(e)) else {
                return Err(Problem::internal("the channel's entry 0 is not a charter"));
            };
            let charter = VerifiedCharter::verify(&doc).map_err(|e| {
                Problem::internal(format!("the stored charter does not verify: {e}"))
            })?;
            let mut st = DirState {
                dir: Arc::new(Directory::new(charter)),
                scanned: 1,
                leaves: LeafIndex::default(),
                timing: Timing::default(),
                envelopes: Usage::default(),
            };
            st.leaves.insert(&merkle::leaf_hash(&first[0]), 0);
            refresh(&*store, &o, &mut st)?;
            let mut blobs = Usage::default();
            for (party, bytes) in store.blob_usage(&o)? {
                blobs.charge(KeyId(party), bytes);
            }
            Ok((st, blobs))
        })
        .await?;
        let (st, blobs) = st;
        let mut map = self.channels.write().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = map.get(&id) {
            return Ok(c.clone());
        }
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let (size_tx, _) = watch::channel(st.scanned);
        let chan = Arc::new(Channel {
            id,
            origin,
            view: RwLock::new((st.dir.clone(), st.scanned)),
            dir: Mutex::new(st),
            tx,
            size: size_tx,
            quota: Quotas::of(&self.cfg),
            last_unknown_refresh: Mutex::new(None),
            blobs: Mutex::new(blobs),
        });
        map.insert(id, chan.clone());
        let handle = tokio::spawn(sequencer(self.clone(), chan.clone(), rx));
        let mut seqs = self.sequencers.lock().unwrap_or_else(|p| p.into_inner());
        // Sequencers of released channels have ended: forget them.
        seqs.retain(|h| !h.is_finished());
        seqs.push(handle);
        Ok(chan)
    }

    /// Stores a blob uploaded by member `key` of the channel, within the
    /// channel's and the member's party's blob quotas; true if it was
    /// already stored.
    pub async fn put_blob(
        self: &Arc<Self>,
        chan: &Arc<Channel>,
        key: &KeyId,
        hash: Hash,
        body: Bytes,
    ) -> Result<bool, Problem> {
        let party = chan
            .party_of(key)
            .ok_or_else(|| Problem::forbidden("not a current member"))?;
        let store = self.store.clone();
        let origin = chan.origin.clone();
        let quota = chan.quota.blob;
        let len = body.len() as u64;
        let put =
            blocking(move || Ok(store.put_blob_within(&origin, &hash, &body, &party.0, quota)?))
                .await?;
        let refused = |detail: String| {
            self.metrics
                .quota_refused_blobs
                .fetch_add(1, Ordering::Relaxed);
            Err(Problem::quota(detail))
        };
        match put {
            BlobPut::Existed => Ok(true),
            BlobPut::Created => {
                chan.blobs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .charge(party, len);
                Ok(false)
            }
            BlobPut::OverParty(used) => refused(format!(
                "party {} has uploaded {used} blob bytes to this channel; this blob's {len} would pass its quota of {} (the relay operator sets quota_party_blob_bytes)",
                party.short(),
                quota.party
            )),
            BlobPut::OverChannel(used) => refused(format!(
                "this channel holds {used} blob bytes; this blob's {len} would pass its quota of {} (the relay operator sets quota_channel_blob_bytes)",
                quota.channel
            )),
        }
    }

    /// Whether expired nonces are due to be swept (every 10 s; true for
    /// exactly one caller each time).
    pub fn nonce_sweep_due(&self, now: i64) -> bool {
        let last = self.last_nonce_sweep.load(Ordering::Relaxed);
        now >= last + 10
            && self
                .last_nonce_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// The loaded channels.
    pub fn loaded(&self) -> Vec<Arc<Channel>> {
        let mut v: Vec<_> = self
            .channels
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        v.sort_by_key(|c| c.id.to_hex());
        v
    }

    /// Releases `chan` from memory if nothing but the map and its own
    /// sequencer holds it: no request, event stream or witness exchange
    /// (none can take it from the map while the map is locked here). The
    /// next request loads it again from the store.
    fn release_if_unused(&self, chan: &Arc<Channel>) -> bool {
        let mut map = self.channels.write().unwrap_or_else(|p| p.into_inner());
        if Arc::strong_count(chan) != 2 || !map.get(&chan.id).is_some_and(|c| Arc::ptr_eq(c, chan))
        {
            return false;
        }
        map.remove(&chan.id);
        true
    }

    /// Re-reads the channel's log past what its directory reflects (entries
    /// appended by another relay process), e.g. before refusing an unknown key.
    pub async fn refresh(self: &Arc<Self>, chan: &Arc<Channel>) -> Result<(), Problem> {
        let store = self.store.clone();
        let c = chan.clone();
        let size = blocking(move || {
            let mut st = c.dir.lock().unwrap_or_else(|p| p.into_inner());
            refresh(&*store, &c.origin, &mut st)?;
            c.publish(&st);
            Ok(st.scanned)
        })
        .await?;
        chan.size.send_if_modified(|s| {
            let grew = size > *s;
            *s = (*s).max(size);
            grew
        });
        Ok(())
    }

    /// Registers a channel from its charter (entry 0). Idempotent: the same
    /// charter again answers with the existing channel.
    pub async fn create_channel(
        self: &Arc<Self>,
        doc: SignedDocument,
    ) -> Result<(ChannelId, bool), Problem> {
        let charter = VerifiedCharter::verify(&doc)
            .map_err(|e| Problem::rejected(format!("the charter does not verify: {e}")))?;
        if charter.charter().relay.key != self.vkey() {
            return Err(Problem::rejected(format!(
                "the charter names relay key {:?}, but this relay's key is {:?}",
                charter.charter().relay.key,
                self.vkey()
            )));
        }
        let id = charter.channel();
        let origin = self.origin(&id);
        let entry = Entry::Charter(doc)
            .to_bytes()
            .map_err(|e| Problem::rejected(e.to_string()))?;
        let admission = self
            .cfg
            .admission()
            .map_err(|e| Problem::internal(e.to_string()))?;
        let refusal = admission.check(charter.charter()).and_then(|()| {
            // A witness the relay may not contact could never cosign.
            match charter
                .charter()
                .witnesses
                .iter()
                .find(|w| !self.witnesses.allowed().allows(&w.url))
            {
                Some(w) => Err(Problem::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "witness-not-allowed",
                    "Witness not allowed",
                    format!(
                        "this relay does not contact the witness at {}: its operator allows only \
                         the witnesses listed in relay.toml's allowed_witnesses. Ask the operator \
                         to allow it, or draft the charter with a witness the relay allows",
                        w.url
                    ),
                )),
                None => Ok(()),
            }
        });
        if let Err(refused) = refusal {
            // Admission gates new channels: a charter already registered is
            // answered as before (its members post it again when they join).
            let (store, o, e) = (self.store.clone(), origin.clone(), entry.clone());
            let registered = blocking(move || {
                Ok(match store.read_entries(&o, 0, 1) {
                    Ok(first) => first.first() == Some(&e),
                    Err(_) => false,
                })
            })
            .await?;
            if !registered {
                if refused.kind.ends_with("not-admitted") {
                    self.metrics.count_not_admitted();
                }
                tracing::info!(channel = %id.to_hex(), detail = %refused.detail, "a new channel was refused");
                return Err(refused);
            }
        }
        let store = self.store.clone();
        let signer = self.signer.clone();
        let timestamper = self.timestamper.clone();
        let created = blocking(move || {
            match store.create(&origin) {
                Ok(()) => {}
                Err(StoreError::LogExists(_)) => {
                    let first = store.read_entries(&origin, 0, 1)?;
                    if first.first() == Some(&entry) {
                        return Ok(false);
                    }
                    if first.is_empty() {
                        // Created but entry 0 never landed (a crash between
                        // the two): fall through and append it.
                    } else {
                        return Err(Problem::conflict(
                            "a different charter holds this channel id",
                        ));
                    }
                }
                Err(e) => return Err(e.into()),
            }
            let log = Log::new(&*store, &origin);
            match log.append(std::slice::from_ref(&entry)) {
                Ok(_) => {}
                Err(LogError::Store(StoreError::Conflict { .. })) => return Ok(false),
                Err(e) => return Err(log_problem(e)),
            }
            publish_checkpoint(&*store, &signer, &timestamper, &origin)?;
            Ok(true)
        })
        .await?;
        self.channel(id).await?;
        Ok((id, created))
    }

    /// Queues submissions for the channel's sequencer and waits for their
    /// outcomes (one per submission, in order).
    pub async fn submit(
        self: &Arc<Self>,
        chan: &Arc<Channel>,
        items: Vec<Submission>,
    ) -> Result<Vec<Result<Accepted, Problem>>, Problem> {
        if self.closing() {
            return Err(Problem::unavailable("the relay is shutting down; retry"));
        }
        // Signatures are verified here, concurrently across requests, so
        // that the one sequencer per channel does not verify serially.
        let c = chan.clone();
        let prechecked = blocking(move || {
            Ok(items
                .into_iter()
                .map(|i| precheck(&c, i))
                .collect::<Vec<_>>())
        })
        .await?;
        let mut queued = Vec::with_capacity(prechecked.len());
        let mut refused = Vec::with_capacity(prechecked.len());
        for p in prechecked {
            match p {
                Ok(item) => {
                    queued.push(item);
                    refused.push(None);
                }
                Err(problem) => refused.push(Some(problem)),
            }
        }
        let mut outcomes = if queued.is_empty() {
            Vec::new()
        } else {
            let (reply, rx) = oneshot::channel();
            chan.tx
                .send(Job {
                    items: queued,
                    reply,
                })
                .await
                .map_err(|_| Problem::unavailable("the channel's sequencer stopped; retry"))?;
            rx.await.map_err(|_| {
                Problem::internal("the sequencer dropped the request; nothing was acknowledged")
            })?
        }
        .into_iter();
        Ok(refused
            .into_iter()
            .map(|r| match r {
                Some(p) => Err(p),
                None => outcomes.next().unwrap_or_else(|| {
                    Err(Problem::internal("the sequencer answered too few outcomes"))
                }),
            })
            .collect())
    }

    /// Signs a checkpoint of the channel's current size if the latest one is
    /// older, and records it in the history.
    async fn checkpoint(self: &Arc<Self>, chan: &Arc<Channel>) -> Result<(), Problem> {
        let store = self.store.clone();
        let signer = self.signer.clone();
        let timestamper = self.timestamper.clone();
        let origin = chan.origin.clone();
        let t = Instant::now();
        let signed = blocking(move || {
            let size = store.size(&origin)?;
            if store.checkpoint(&origin)?.is_some_and(|(s, _)| s >= size) {
                return Ok(None);
            }
            Ok(Some(publish_checkpoint(
                &*store,
                &signer,
                &timestamper,
                &origin,
            )?))
        })
        .await?;
        let Some((size, note)) = signed else {
            return Ok(());
        };
        self.forward_to_witnesses(chan, size, note);
        self.last_checkpoint_ms
            .store(t.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.metrics.checkpoints.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Sends a new checkpoint to the charter's witnesses in the background
    /// and attaches their cosignatures (`witnesses.rs`); once a checkpoint
    /// has the charter's quorum, queues its time attestation.
    fn forward_to_witnesses(self: &Arc<Self>, chan: &Arc<Channel>, size: u64, note: Vec<u8>) {
        let ws = chan.with_dir(|d, _| d.charter().charter().witnesses.clone());
        for w in ws {
            let relay = self.clone();
            let chan = chan.clone();
            let origin = chan.origin.clone();
            let note = note.clone();
            tokio::task::spawn_blocking(move || {
                match relay
                    .witnesses
                    .forward(&*relay.store, &origin, &w, size, &note)
                {
                    Ok(crate::witnesses::Outcome::Cosigned(s)) => {
                        relay
                            .metrics
                            .witness_cosignatures
                            .fetch_add(1, Ordering::Relaxed);
                        match relay.time_note(&chan, Some(s)) {
                            Ok(Some(note)) => {
                                // The sequencer re-checks it; a full queue
                                // leaves it to a later cosignature or tick.
                                let (reply, _) = oneshot::channel();
                                let _ = chan.tx.try_send(Job {
                                    items: vec![Submission::Time(note)],
                                    reply,
                                });
                            }
                            Ok(None) => {}
                            Err(p) => {
                                tracing::warn!(origin = %origin, size = s, detail = %p.detail, "time attestation failed");
                            }
                        }
                    }
                    Ok(crate::witnesses::Outcome::Busy) => {}
                    Err(e) => {
                        relay
                            .metrics
                            .witness_failures
                            .fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(origin = %origin, witness = %w.url, size, error = %e, "witness did not cosign");
                    }
                }
            });
        }
    }

    /// The time attestation of the checkpoint of `size` (the latest when
    /// `None`), if it would date a head no earlier one dates and carries
    /// what the charter asks: the relay's timestamp, and, when the charter
    /// sets a witness quorum, that many of its witnesses' cosignatures
    /// (`docs/relay.md`, "Time attestations"). Blocking.
    fn time_note(&self, chan: &Channel, size: Option<u64>) -> Result<Option<String>, Problem> {
        if chan
            .dir
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .timing
            .undated
            .is_empty()
        {
            return Ok(None);
        }
        let store = &*self.store;
        let origin = &chan.origin;
        let (witnesses, quorum) = chan.with_dir(|d, _| {
            let c = d.charter().charter();
            (c.witnesses.clone(), c.witness_quorum as usize)
        });
        let found = match size {
            Some(s) => store.checkpoint_at(origin, s)?.map(|b| (s, b)),
            None => store.checkpoint(origin)?,
        };
        let Some((size, bytes)) = found else {
            return Ok(None);
        };
        let would = chan
            .dir
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .timing
            .would_date(size);
        if !would {
            return Ok(None);
        }
        let mut note = Note::parse(&bytes).map_err(|e| Problem::internal(e.to_string()))?;
        let time_verifier = CosignatureVerifier::from_vkey(&self.timestamper.vkey())
            .map_err(|e| Problem::internal(e.to_string()))?;
        let verifiers: Vec<CosignatureVerifier> = witnesses
            .iter()
            .filter_map(|w| CosignatureVerifier::from_vkey(&w.key).ok())
            .collect();
        let mut timed = false;
        let mut cosigned = vec![false; verifiers.len()];
        for line in store.cosignatures(origin, size)? {
            let Ok(sig) = hotline_log::note::parse_signature_line(line.trim_end_matches('\n'))
            else {
                continue;
            };
            let keep = if !timed && matches!(time_verifier.verify(&note.text, &sig), Ok(Some(_))) {
                timed = true;
                true
            } else if let Some(i) = verifiers.iter().enumerate().position(|(i, v)| {
                !cosigned[i] && matches!(v.verify(&note.text, &sig), Ok(Some(_)))
            }) {
                cosigned[i] = true;
                true
            } else {
                false
            };
            if keep {
                note.add_signature(sig);
            }
        }
        let witnessed = cosigned.iter().filter(|c| **c).count();
        if !timed || witnessed < quorum {
            return Ok(None);
        }
        String::from_utf8(note.to_bytes())
            .map(Some)
            .map_err(|e| Problem::internal(e.to_string()))
    }

    /// Logs the time attestation of the latest checkpoint if it is due
    /// ([`Relay::time_note`]); from the channel's own sequencer only.
    /// Returns whether it appended one.
    async fn attest_time(self: &Arc<Self>, chan: &Arc<Channel>) -> Result<bool, Problem> {
        let relay = self.clone();
        let c = chan.clone();
        let appended = blocking(move || {
            let Some(note) = relay.time_note(&c, None)? else {
                return Ok(false);
            };
            let out = run_batch(&*relay.store, &c, &[vec![Submission::Time(note)]])?;
            Ok(matches!(out.first().and_then(|o| o.first()), Some(Ok(a)) if !a.duplicate))
        })
        .await?;
        if appended {
            let size = chan.view.read().unwrap_or_else(|p| p.into_inner()).1;
            chan.size.send_replace(size);
        }
        Ok(appended)
    }

    /// At a sequencer's start: a latest checkpoint with heads still to date
    /// (a relay stopped before its witnesses answered) is sent to them again.
    async fn reforward_undated(self: &Arc<Self>, chan: &Arc<Channel>) -> Result<(), Problem> {
        if chan.with_dir(|d, _| d.charter().charter().witnesses.is_empty()) {
            return Ok(());
        }
        let store = self.store.clone();
        let c = chan.clone();
        let due = blocking(move || {
            let Some((size, note)) = store.checkpoint(&c.origin)? else {
                return Ok(None);
            };
            let st = c.dir.lock().unwrap_or_else(|p| p.into_inner());
            Ok(st.timing.would_date(size).then_some((size, note)))
        })
        .await?;
        if let Some((size, note)) = due {
            self.forward_to_witnesses(chan, size, note);
        }
        Ok(())
    }

    /// Begins shutdown: refuses new submissions, lets every sequencer finish
    /// what it holds and sign a last checkpoint, and waits for them.
    pub async fn shutdown(self: &Arc<Self>) {
        self.closing.store(true, Ordering::SeqCst);
        // Each sequencer answers what is queued, signs, and ends.
        self.stop.send_replace(true);
        self.channels
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        let handles: Vec<_> =
            std::mem::take(&mut *self.sequencers.lock().unwrap_or_else(|p| p.into_inner()));
        for h in handles {
            let _ = h.await;
        }
    }
}

/// The checks of an envelope that need no log position: the head parses,
/// is for this channel, and its signature verifies with the sender's key as
/// of the last roster seen. A sender not (yet) known is left to the
/// sequencer, which sees rosters queued before this envelope.
/// The refusal of an envelope whose suite is not its channel's.
fn wrong_suite(head: &SignedHead) -> Problem {
    Problem::rejected(format!(
        "the envelope is of cipher suite {}, which is not this channel's (its charter names the suite); seal it to the members' keys of the channel's suite",
        head.head.header.suite
    ))
}

fn precheck(chan: &Channel, item: Submission) -> Result<Submission, Problem> {
    let Submission::Envelope(mut p) = item else {
        return Ok(item);
    };
    let head = SignedHead::from_bytes(&p.head)
        .map_err(|e| Problem::rejected(format!("the envelope head does not parse: {e}")))?;
    if head.head.header.channel != chan.id {
        return Err(Problem::rejected("the envelope is for another channel"));
    }
    if chan.with_dir(|d, _| d.charter().suite()) != head.head.header.suite {
        return Err(wrong_suite(&head));
    }
    let key = chan.with_dir(|d, size| {
        d.signer_at(&head.head.header.sender, size)
            .map(|s| s.member.signing_key)
    });
    if let Some(key) = key {
        head.verify(&key)
            .map_err(|e| Problem::rejected(format!("the envelope head signature: {e}")))?;
        p.verified_with = Some(key);
    }
    Ok(Submission::Envelope(p))
}

/// Signs a checkpoint of the log's current size, records it in the history
/// with the relay's timestamp cosignature, and only then makes it the latest
/// (so that whoever sees it as the latest finds it, timestamped, in the
/// history). Returns its size and bytes.
fn publish_checkpoint(
    store: &dyn RelayData,
    signer: &Ed25519Signer,
    timestamper: &Cosigner,
    origin: &str,
) -> Result<(u64, Vec<u8>), Problem> {
    let note = Log::new(store, origin)
        .checkpoint_note(signer)
        .map_err(log_problem)?;
    let cp = hotline_log::checkpoint::Checkpoint::parse(&note.text)
        .map_err(|e| Problem::internal(e.to_string()))?;
    let bytes = note.to_bytes();
    store.put_checkpoint_at(origin, cp.size, &bytes)?;
    add_time(store, timestamper, origin, cp.size, &note.text)?;
    store.put_checkpoint(origin, cp.size, &bytes)?;
    Ok((cp.size, bytes))
}

/// The signer id under which the relay's own timestamp cosignature of a
/// checkpoint is recorded.
pub const TIME_SIGNER: &str = "relay-time";

/// Cosigns a checkpoint the relay just signed with the current time and
/// attaches the cosignature: every entry below its size was sequenced by then.
fn add_time(
    store: &dyn RelayData,
    timestamper: &Cosigner,
    origin: &str,
    size: u64,
    text: &str,
) -> Result<(), Problem> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(1) as u64;
    let sig = timestamper
        .cosign(text, now)
        .map_err(|e| Problem::internal(e.to_string()))?;
    store.add_cosignature(
        origin,
        size,
        TIME_SIGNER,
        sig.to_line().trim_end_matches('\n'),
    )?;
    Ok(())
}

/// Reads entries past `st.scanned` and applies the rosters among them.
fn refresh(store: &dyn RelayData, origin: &str, st: &mut DirState) -> Result<(), Problem> {
    refresh_to(store, origin, st, None)
}

/// As [`refresh`], to the log size `known` if the caller read it already.
fn refresh_to(
    store: &dyn RelayData,
    origin: &str,
    st: &mut DirState,
    known: Option<u64>,
) -> Result<(), Problem> {
    let size = match known {
        Some(s) => s,
        None => store.size(origin)?,
    };
    while st.scanned < size {
        let end = size.min(st.scanned + 4096);
        let entries = store.read_entries(origin, st.scanned, end)?;
        for (i, e) in entries.iter().enumerate() {
            let index = st.scanned + i as u64;
            st.leaves.insert(&merkle::leaf_hash(e), index);
            let entry = Entry::from_bytes(e);
            if let Ok(Entry::Roster(doc)) = &entry {
                Arc::make_mut(&mut st.dir).apply(index, doc).map_err(|e| {
                    Problem::internal(format!("the logged roster at {index} does not apply: {e}"))
                })?;
            }
            if let Ok(Entry::Head(h)) = &entry
                && let Some(s) = st.dir.signer_at(&h.head.header.sender, index)
            {
                st.envelopes.charge(s.party, envelope_len(h));
            }
            if let Ok(entry) = &entry {
                st.timing.observe(index, Dated::of(entry));
            }
        }
        st.scanned = end;
    }
    Ok(())
}

/// One checked entry ready for the batch.
struct Ready {
    entry: Vec<u8>,
    /// An envelope's stanzas and, unless uploaded as a blob, ciphertext.
    body: Option<(Vec<u8>, Option<Vec<u8>>)>,
    /// What the entry is to the channel's [`Timing`].
    dated: Dated,
    /// The envelope bytes it charges to a party.
    charge: Option<(KeyId, u64)>,
}

/// Checks one submission as the entry at `index`, against (and updating)
/// `dir`, and against `timing`.
fn check(
    store: &dyn RelayData,
    origin: &str,
    channel: &ChannelId,
    (dir, timing, usage): (&mut Directory, &Timing, &Usage),
    quota: &Quotas,
    index: u64,
    item: &Submission,
) -> Result<Ready, Problem> {
    match item {
        Submission::Roster(doc) => {
            let entry = Entry::Roster(doc.clone())
                .to_bytes()
                .map_err(|e| Problem::rejected(e.to_string()))?;
            dir.apply(index, doc)
                .map_err(|e| Problem::rejected(format!("the roster was refused: {e}")))?;
            Ok(Ready {
                entry,
                body: None,
                dated: Dated::Other,
                charge: None,
            })
        }
        Submission::Time(note) => {
            // Re-checked here, against the log as it now is: another relay
            // process (or an earlier tick) may have dated these heads.
            let size = attested_size(note)
                .ok_or_else(|| Problem::internal("a time attestation that does not parse"))?;
            if size > index || !timing.would_date(size) {
                return Err(Problem::conflict(
                    "that checkpoint dates no head not already dated",
                ));
            }
            let entry = Entry::Time(note.clone())
                .to_bytes()
                .map_err(|e| Problem::internal(e.to_string()))?;
            Ok(Ready {
                entry,
                body: None,
                dated: Dated::Time(size),
                charge: None,
            })
        }
        Submission::Envelope(p) => {
            let head = SignedHead::from_bytes(&p.head)
                .map_err(|e| Problem::rejected(format!("the envelope head does not parse: {e}")))?;
            let h = &head.head;
            if h.header.channel != *channel {
                return Err(Problem::rejected("the envelope is for another channel"));
            }
            if dir.charter().suite() != h.header.suite {
                return Err(wrong_suite(&head));
            }
            let signer = dir.signer_at(&h.header.sender, index).ok_or_else(|| {
                Problem::rejected(format!(
                    "the sender key {} is not in its party's current roster (unknown or revoked)",
                    h.header.sender.short()
                ))
            })?;
            if p.verified_with != Some(signer.member.signing_key) {
                head.verify(&signer.member.signing_key)
                    .map_err(|e| Problem::rejected(format!("the envelope head signature: {e}")))?;
            }
            if !stanzas_match(h, &p.stanzas) {
                return Err(Problem::rejected(
                    "the stanzas do not match the head's count and hash",
                ));
            }
            match &p.ciphertext {
                Some(c) => {
                    if c.len() as u64 != h.ciphertext_len
                        || Sha256::digest(c).as_slice() != h.ciphertext_sha256
                    {
                        return Err(Problem::rejected(
                            "the ciphertext does not match the head's length and hash",
                        ));
                    }
                }
                None => {
                    if !store.has_blob(origin, &h.ciphertext_sha256)? {
                        return Err(Problem::rejected(
                            "the ciphertext is neither in the request nor uploaded as a blob",
                        ));
                    }
                }
            }
            let bytes = envelope_len(&head);
            let (party, used) = (signer.party, usage.of(&signer.party));
            if used.saturating_add(bytes) > quota.party_envelope {
                return Err(Problem::quota(format!(
                    "party {} has logged {used} envelope bytes in this channel; this envelope's {bytes} would pass its quota of {} (the relay operator sets quota_party_envelope_bytes)",
                    party.short(),
                    quota.party_envelope
                )));
            }
            if usage.total.saturating_add(bytes) > quota.channel_envelope {
                return Err(Problem::quota(format!(
                    "this channel holds {} envelope bytes; this envelope's {bytes} would pass its quota of {} (the relay operator sets quota_channel_envelope_bytes)",
                    usage.total, quota.channel_envelope
                )));
            }
            Ok(Ready {
                entry: p.head.clone(),
                body: Some((p.stanzas.clone(), p.ciphertext.clone())),
                dated: Dated::Head,
                charge: Some((party, bytes)),
            })
        }
    }
}

/// Checks and appends one batch of jobs durably; returns each job's outcomes.
fn run_batch(
    store: &dyn RelayData,
    chan: &Channel,
    jobs: &[Vec<Submission>],
) -> Result<Vec<Vec<Result<Accepted, Problem>>>, Problem> {
    // Across relay processes sharing a database, one sequencer per log at a
    // time: the others wait here, then re-read what it appended. (Taken
    // before `dir`, so that nothing waits on `dir` while this waits.)
    let lock = store.sequencer_lock(&chan.origin, SEQUENCER_WAIT)?;
    let mut st = chan.dir.lock().unwrap_or_else(|p| p.into_inner());
    let mut known = lock.size;
    for _attempt in 0..8 {
        let before = st.scanned;
        refresh_to(store, &chan.origin, &mut st, known.take())?;
        if st.scanned != before {
            chan.publish(&st);
        }
        let size = st.scanned;
        let mut dir = (*st.dir).clone();
        let mut timing = st.timing.clone();
        let mut usage = st.envelopes.clone();
        let mut seen: HashMap<Hash, u64> = HashMap::new();
        let mut ready: Vec<Ready> = Vec::new();
        let mut outcomes: Vec<Vec<Result<Accepted, Problem>>> = Vec::with_capacity(jobs.len());
        let at = now_rfc3339();
        for job in jobs {
            let mut out = Vec::with_capacity(job.len());
            for item in job {
                let index = size + ready.len() as u64;
                let r = check(
                    store,
                    &chan.origin,
                    &chan.id,
                    (&mut dir, &timing, &usage),
                    &chan.quota,
                    index,
                    item,
                );
                let r = match r {
                    Err(p) => {
                        // A refused re-post of something already logged (e.g. a
                        // roster whose version is now stale) is still a re-post.
                        if let Some(i) = existing(store, &chan.origin, item, &seen, &st.leaves)? {
                            Ok(dup(i, item))
                        } else {
                            Err(p)
                        }
                    }
                    Ok(rd) => {
                        let leaf = merkle::leaf_hash(&rd.entry);
                        if let Some(&i) = seen.get(&leaf) {
                            Ok(accepted(i, &leaf, None))
                        } else if let Some(i) = st.leaves.find(store, &chan.origin, &leaf)? {
                            Ok(accepted(i, &leaf, None))
                        } else {
                            seen.insert(leaf, index);
                            timing.observe(index, rd.dated);
                            if let Some((party, bytes)) = rd.charge {
                                usage.charge(party, bytes);
                            }
                            ready.push(rd);
                            Ok(accepted(index, &leaf, Some(at.clone())))
                        }
                    }
                };
                out.push(r);
            }
            outcomes.push(out);
        }
        if ready.is_empty() {
            return Ok(outcomes);
        }
        // Entries and envelope bodies in one durable transaction; bodies are
        // stored in log order, so the writes are sequential.
        let bodies: Vec<Body<'_>> = ready
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.body.as_ref().map(|(st, ct)| Body {
                    index: size + i as u64,
                    stanzas: st,
                    ciphertext: ct.as_deref(),
                })
            })
            .collect();
        let entries: Vec<Vec<u8>> = ready.iter().map(|r| r.entry.clone()).collect();
        let appended = Log::new(store, &chan.origin).append_with(&entries, |b| {
            store.append_with_bodies(&chan.origin, b, &bodies)
        });
        match appended {
            Ok(_) => {
                st.dir = Arc::new(dir);
                st.timing = timing;
                st.envelopes = usage;
                st.scanned = size + entries.len() as u64;
                for (leaf, i) in &seen {
                    st.leaves.insert(leaf, *i);
                }
                chan.publish(&st);
                return Ok(outcomes);
            }
            // Another relay process appended first: re-read and re-check.
            Err(LogError::Store(StoreError::Conflict { .. })) => continue,
            Err(e) => return Err(log_problem(e)),
        }
    }
    Err(Problem::unavailable(
        "the log kept moving under contention; nothing was appended, retry",
    ))
}

fn accepted(index: u64, leaf: &Hash, at: Option<String>) -> Accepted {
    Accepted {
        index,
        leaf_hash: hex::encode(leaf),
        duplicate: at.is_none(),
        sequenced_at: at,
    }
}

fn entry_bytes(item: &Submission) -> Option<Vec<u8>> {
    match item {
        Submission::Envelope(p) => Some(p.head.clone()),
        Submission::Roster(d) => Entry::Roster(d.clone()).to_bytes().ok(),
        Submission::Time(n) => Entry::Time(n.clone()).to_bytes().ok(),
    }
}

fn existing(
    store: &dyn RelayData,
    origin: &str,
    item: &Submission,
    seen: &HashMap<Hash, u64>,
    leaves: &LeafIndex,
) -> Result<Option<u64>, Problem> {
    let Some(e) = entry_bytes(item) else {
        return Ok(None);
    };
    let leaf = merkle::leaf_hash(&e);
    if let Some(&i) = seen.get(&leaf) {
        return Ok(Some(i));
    }
    leaves.find(store, origin, &leaf)
}

fn dup(index: u64, item: &Submission) -> Accepted {
    let leaf = entry_bytes(item)
        .map(|e| merkle::leaf_hash(&e))
        .unwrap_or([0; 32]);
    accepted(index, &leaf, None)
}

/// A channel's sequencer: group commit, and checkpoints on a timer.
async fn sequencer(relay: Arc<Relay>, chan: Arc<Channel>, mut rx: mpsc::Receiver<Job>) {
    let interval = Duration::from_millis(relay.cfg.checkpoint_interval_ms);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dirty = true;
    let idle = Duration::from_secs(relay.cfg.idle_channel_secs);
    let mut last_job = Instant::now();
    let mut stop = relay.stop.subscribe();
    if let Err(p) = relay.reforward_undated(&chan).await {
        tracing::warn!(channel = %chan.id.to_hex(), detail = %p.detail, "re-sending to the witnesses failed");
    }
    loop {
        tokio::select! {
            _ = async { let _ = stop.wait_for(|s| *s).await.map(|_| ()); } => {
                // No more jobs can be queued (submit refuses while closing);
                // answer those already queued, then stop.
                rx.close();
                if rx.is_empty() {
                    break;
                }
            }
            job = rx.recv() => {
                let Some(first) = job else { break };
                last_job = Instant::now();
                let mut jobs = vec![first];
                let mut n = jobs[0].items.len();
                while n < MAX_BATCH_ENTRIES {
                    match rx.try_recv() {
                        Ok(j) => { n += j.items.len(); jobs.push(j); }
                        Err(_) => break,
                    }
                }
                let counts: Vec<usize> = jobs.iter().map(|j| j.items.len()).collect();
                let items: Vec<Vec<Submission>> = jobs.iter_mut().map(|j| std::mem::take(&mut j.items)).collect();
                let store = relay.store.clone();
                let c = chan.clone();
                let t = Instant::now();
                let result = tokio::task::spawn_blocking(move || run_batch(&*store, &c, &items)).await;
                let result = result.unwrap_or_else(|_| Err(Problem::internal("the sequencer's batch failed")));
                relay.metrics.observe_batch(n as u64, t.elapsed());
                match result {
                    Ok(outcomes) => {
                        let size = chan.view.read().unwrap_or_else(|p| p.into_inner()).1;
                        chan.size.send_replace(size);
                        for (j, o) in jobs.into_iter().zip(outcomes) {
                            let _ = j.reply.send(o);
                        }
                        dirty = true;
                    }
                    Err(p) => {
                        relay.metrics.batch_failures.fetch_add(1, Ordering::Relaxed);
                        for (j, k) in jobs.into_iter().zip(counts) {
                            let _ = j.reply.send(vec![Err(p.clone()); k]);
                        }
                    }
                }
            }
            _ = ticker.tick() => {
                // On a shared database another process may have appended
                // (and died before signing): look every tick.
                if dirty || relay.store.shared() {
                    match relay.checkpoint(&chan).await {
                        Ok(()) => dirty = false,
                        Err(p) => tracing::error!(channel = %chan.id.to_hex(), detail = %p.detail, "checkpoint failed"),
                    }
                }
                // Heads the latest checkpoint covers, not dated yet: their
                // time attestation, once it has what the charter asks.
                match relay.attest_time(&chan).await {
                    Ok(appended) => dirty |= appended,
                    Err(p) => tracing::error!(channel = %chan.id.to_hex(), detail = %p.detail, "time attestation failed"),
                }
                // Unused for idle_channel_secs, signed, every head dated
                // (none waits for its witnesses), nothing queued: released.
                // (Its checkpoint covers the whole log, so nothing is left
                // to sign.)
                let waiting = !chan.dir.lock().unwrap_or_else(|p| p.into_inner()).timing.undated.is_empty();
                if !dirty && !waiting && last_job.elapsed() >= idle && rx.is_empty() && relay.release_if_unused(&chan) {
                    relay.metrics.channels_released.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(channel = %chan.id.to_hex(), "an idle channel was released from memory");
                    return;
                }
            }
        }
    }
    // Shutdown: everything queued was answered; sign a last checkpoint.
    if let Err(p) = relay.checkpoint(&chan).await {
        tracing::error!(channel = %chan.id.to_hex(), detail = %p.detail, "final checkpoint failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_core::charter::{Charter, CharterParty, DisclosureRule, RelayInfo};
    use hotline_core::keys::SigningKey;
    use hotline_core::message::Tlp;

    /// A relay on SQLite in `dir`, and a channel of two fresh parties on it.
    async fn relay_with_a_channel(dir: &std::path::Path) -> (Arc<Relay>, Arc<Channel>) {
        let store = hotline_store::sqlite::SqliteStore::open(&dir.join("relay.sqlite")).unwrap();
        let cfg = Config {
            name: "relay.test".into(),
            danger_open_admission: true,
            ..Config::default()
        };
        let keys = crate::key::RelayKeys {
            signer: hotline_log::note::Ed25519Signer::new("relay.test", &[7; 32]).unwrap(),
            timestamper: hotline_log::cosignature::Cosigner::new("relay.test", &[7; 32]).unwrap(),
        };
        let relay = Relay::new(cfg, Arc::new(store), keys);
        let parties: Vec<SigningKey> = (0..2)
            .map(|_| SigningKey::generate(&mut rand_core::OsRng))
            .collect();
        let charter = Charter {
            v: 1,
            title: "Directory view test".into(),
            nonce: "00112233445566778899aabbccddeeff".into(),
            created: "2026-12-03T00:00:00Z".into(),
            parties: parties
                .iter()
                .enumerate()
                .map(|(i, k)| CharterParty {
                    id: k.key_id(),
                    name: format!("party {i}"),
                    short: format!("p{i}"),
                    key: k.verifying_key().to_base64(),
                })
                .collect(),
            relay: RelayInfo {
                url: "http://127.0.0.1:1".into(),
                key: relay.vkey(),
            },
            witnesses: vec![],
            witness_quorum: 0,
            deadlines: Default::default(),
            disclosure: DisclosureRule::Unanimous,
            default_tlp: Tlp::Amber,
            retention_days: 30,
            suite: "hotline-v1".into(),
        };
        let mut doc = charter.to_document().unwrap();
        for k in &parties {
            doc.sign(k);
        }
        let (id, _) = relay.create_channel(doc).await.unwrap();
        let chan = relay.channel(id).await.unwrap();
        (relay, chan)
    }

    /// A batch holds the channel's state (`dir`) across its store writes;
    /// requests read the published view, and must not wait for it (they
    /// did: on PostgreSQL every handler of the channel queued behind each
    /// batch, on the runtime's own threads).
    #[test]
    fn a_request_does_not_wait_for_a_batch_in_flight() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        rt.block_on(async {
            let (_relay, chan) = relay_with_a_channel(dir.path()).await;
            let expected = chan.with_dir(|d, size| (d.charter().channel(), size));
            assert_eq!(expected, (chan.id, 1));
            // A batch in flight, for as long as this test takes.
            let held = chan.clone();
            let (took, release) = std::sync::mpsc::channel::<()>();
            let (go, done) = std::sync::mpsc::channel::<()>();
            let batch = std::thread::spawn(move || {
                let _st = held.dir.lock().unwrap();
                took.send(()).unwrap();
                let _ = done.recv_timeout(Duration::from_secs(10));
            });
            release.recv().unwrap();
            let reader = chan.clone();
            let read = tokio::task::spawn_blocking(move || {
                reader.with_dir(|d, size| (d.charter().channel(), size))
            });
            let got = tokio::time::timeout(Duration::from_secs(2), read).await;
            go.send(()).unwrap();
            batch.join().unwrap();
            assert_eq!(
                got.expect("with_dir waited for the batch holding the channel's state")
                    .unwrap(),
                expected
            );
        });
    }
}
