//! A transparency-log witness per C2SP `tlog-witness` (`docs/witness.md`).
//!
//! A [`Witness`] is configured with the logs it follows (origin and log
//! verifier keys). For each `add-checkpoint` request it verifies the log's
//! signature, checks the submitted old size against the latest checkpoint it
//! cosigned for that origin, verifies the consistency proof, and only then
//! cosigns (C2SP `tlog-cosignature`, type 0x04, timestamped). The check and
//! the update of its view are one SQLite `IMMEDIATE` transaction, so two
//! racing requests can never roll it back; every checkpoint it cosigned is
//! kept whole, and every validly signed checkpoint it refused as
//! inconsistent is kept as evidence of the log's misbehaviour.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use hotline_witness::{Witness, WitnessConfig};
//! let w = Witness::open(std::path::Path::new("/var/lib/hotline-witness"), &[7; 32])?;
//! let body = std::fs::read("request.txt")?;
//! let cosignature_lines = w.add_checkpoint(&body, 1_795_000_000)?;
//! # Ok(()) }
//! ```
//!
//! This crate's HTTP layer is [`http`]; the logic does not know HTTP.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod http;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hotline_log::checkpoint::Checkpoint;
use hotline_log::cosignature::Cosigner;
use hotline_log::merkle::{self, Hash};
use hotline_log::note::{Ed25519Verifier, Note, NoteError, Verifier};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

/// Largest `add-checkpoint` body accepted.
pub const MAX_BODY: usize = 64 * 1024;
/// Most consistency proof lines (the spec's limit).
pub const MAX_PROOF_LINES: usize = 63;

/// The witness's configuration file, `DATA/witness.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessConfig {
    /// The witness's key name, e.g. `witness.example/w1`.
    pub name: String,
    /// The logs it follows.
    #[serde(default, rename = "log")]
    pub logs: Vec<LogConfig>,
}

/// One followed log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// The checkpoint origin line.
    pub origin: String,
    /// The log's signed-note verifier keys (any one signature suffices).
    pub keys: Vec<String>,
}

impl WitnessConfig {
    /// The config file's path in `data`.
    pub fn path(data: &Path) -> PathBuf {
        data.join("witness.toml")
    }

    /// Reads `DATA/witness.toml`.
    pub fn load(data: &Path) -> Result<WitnessConfig, WitnessError> {
        let p = Self::path(data);
        let s = std::fs::read_to_string(&p)
            .map_err(|e| WitnessError::Config(format!("reading {}: {e}", p.display())))?;
        let c: WitnessConfig = toml::from_str(&s)
            .map_err(|e| WitnessError::Config(format!("{}: {e}", p.display())))?;
        c.verifiers()?;
        Ok(c)
    }

    /// Writes `DATA/witness.toml` atomically.
    pub fn save(&self, data: &Path) -> Result<(), WitnessError> {
        self.verifiers()?;
        let s = toml::to_string_pretty(self).map_err(|e| WitnessError::Config(e.to_string()))?;
        hotline_store::files::write_atomic(&Self::path(data), s.as_bytes(), false, false).map_err(
            |e| WitnessError::Config(format!("writing {}: {e}", Self::path(data).display())),
        )
    }

    fn verifiers(&self) -> Result<BTreeMap<String, Vec<Ed25519Verifier>>, WitnessError> {
        let mut out = BTreeMap::new();
        for l in &self.logs {
            if l.origin.is_empty() || l.keys.is_empty() {
                return Err(WitnessError::Config(format!(
                    "log {:?} needs an origin and at least one key",
                    l.origin
                )));
            }
            let vs = l
                .keys
                .iter()
                .map(|k| {
                    Ed25519Verifier::from_vkey(k)
                        .map_err(|e| WitnessError::Config(format!("log {:?}: {e}", l.origin)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if out.insert(l.origin.clone(), vs).is_some() {
                return Err(WitnessError::Config(format!(
                    "log {:?} is listed twice",
                    l.origin
                )));
            }
        }
        Ok(out)
    }
}

/// Why a request was refused, as the spec's HTTP statuses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// 400: the request is malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 403: no valid signature from a key trusted for the origin.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: the origin is not a log this witness follows.
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// 409: the old size is not the size of the latest cosigned checkpoint.
    #[error("conflict: the latest cosigned checkpoint has size {0}")]
    Conflict(u64),
    /// 422: the checkpoint is not consistent with what was cosigned.
    #[error("unprocessable: {0}")]
    Inconsistent(String),
    /// Configuration problem (at start-up).
    #[error("configuration: {0}")]
    Config(String),
    /// Internal failure (storage); details are logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

fn db_err(e: rusqlite::Error) -> WitnessError {
    WitnessError::Internal(e.to_string())
}

/// A witness: its key, the logs it follows, and its durable view of them.
pub struct Witness {
    cosigner: Cosigner,
    logs: BTreeMap<String, Vec<Ed25519Verifier>>,
    db: Mutex<Connection>,
}

/// What the witness last cosigned for an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// The full signed checkpoint, with the witness's cosignature.
    pub checkpoint: Vec<u8>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS latest (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    checkpoint BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS cosigned (
    origin TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    checkpoint BLOB NOT NULL,
    cosigned_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
    origin TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    old_size INTEGER NOT NULL,
    request BLOB NOT NULL,
    reason TEXT NOT NULL
);
";

/// A parsed `add-checkpoint` request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpointRequest<'a> {
    /// The old size line's value.
    pub old: u64,
    /// The consistency proof (at most 63 hashes).
    pub proof: Vec<Hash>,
    /// The signed checkpoint bytes (not yet parsed).
    pub checkpoint: &'a [u8],
}

impl<'a> AddCheckpointRequest<'a> {
    /// Parses a request body strictly (`400 Bad Request` on any error).
    pub fn parse(body: &'a [u8]) -> Result<AddCheckpointRequest<'a>, WitnessError> {
        parse_request(body)
    }
}

fn parse_request(body: &[u8]) -> Result<AddCheckpointRequest<'_>, WitnessError> {
    let bad = |m: &str| WitnessError::BadRequest(m.to_owned());
    if body.len() > MAX_BODY {
        return Err(bad("request body too large"));
    }
    let nl = body
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| bad("missing old size line"))?;
    let first = std::str::from_utf8(&body[..nl]).map_err(|_| bad("old size line is not UTF-8"))?;
    let old_s = first
        .strip_prefix("old ")
        .ok_or_else(|| bad("the first line must be `old <size>`"))?;
    if old_s.is_empty()
        || !old_s.bytes().all(|b| b.is_ascii_digit())
        || (old_s.len() > 1 && old_s.starts_with('0'))
    {
        return Err(bad("old size must be decimal without leading zeroes"));
    }
    let old: u64 = old_s.parse().map_err(|_| bad("old size out of range"))?;
    let mut rest = &body[nl + 1..];
    let mut proof = Vec::new();
    loop {
        let nl = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("missing empty line before the checkpoint"))?;
        let line = &rest[..nl];
        rest = &rest[nl + 1..];
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(bad("more than 63 consistency proof lines"));
        }
        let h: Hash = B64
            .decode(line)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| bad("a consistency proof line is not a base64 hash"))?;
        proof.push(h);
    }
    Ok(AddCheckpointRequest {
        old,
        proof,
        checkpoint: rest,
    })
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Witness {
    /// Opens the witness in `data` (its `witness.toml` and `witness.sqlite`),
    /// with the 32-byte Ed25519 seed of its cosigning key.
    pub fn open(data: &Path, seed: &[u8; 32]) -> Result<Witness, WitnessError> {
        let config = WitnessConfig::load(data)?;
        let cosigner =
            Cosigner::new(&config.name, seed).map_err(|e| WitnessError::Config(e.to_string()))?;
        let db = Connection::open(data.join("witness.sqlite")).map_err(db_err)?;
        db.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        db.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err)?;
        db.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err)?;
        db.execute_batch(SCHEMA).map_err(db_err)?;
        Ok(Witness {
            cosigner,
            logs: config.verifiers()?,
            db: Mutex::new(db),
        })
    }

    /// The cosigner verifier key (type 0x04) as a C2SP vkey.
    pub fn vkey(&self) -> String {
        self.cosigner.vkey()
    }

    /// The latest cosigned view of `origin`.
    pub fn latest(&self, origin: &str) -> Result<Option<View>, WitnessError> {
        let db = self.db.lock().unwrap_or_else(|p| p.into_inner());
        db.query_row(
            "SELECT size, root, checkpoint FROM latest WHERE origin = ?1",
            [origin],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            },
        )
        .optional()
        .map_err(db_err)?
        .map(|(s, root, cp)| {
            Ok(View {
                size: s as u64,
                root: root
                    .try_into()
                    .map_err(|_| WitnessError::Internal("stored root is not 32 bytes".into()))?,
                checkpoint: cp,
            })
        })
        .transpose()
    }

    /// Every checkpoint cosigned for `origin`, oldest first.
    pub fn cosigned(&self, origin: &str) -> Result<Vec<Vec<u8>>, WitnessError> {
        let db = self.db.lock().unwrap_or_else(|p| p.into_inner());
        let mut st = db
            .prepare("SELECT checkpoint FROM cosigned WHERE origin = ?1 ORDER BY rowid")
            .map_err(db_err)?;
        let rows = st.query_map([origin], |r| r.get(0)).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    /// Validly signed requests refused as inconsistent, kept as evidence: `(old size, request, reason)`.
    pub fn evidence(&self, origin: &str) -> Result<Vec<(u64, Vec<u8>, String)>, WitnessError> {
        let db = self.db.lock().unwrap_or_else(|p| p.into_inner());
        let mut st = db
            .prepare(
                "SELECT old_size, request, reason FROM evidence WHERE origin = ?1 ORDER BY rowid",
            )
            .map_err(db_err)?;
        let rows = st
            .query_map([origin], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?))
            })
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    /// Handles an `add-checkpoint` request body; returns the cosignature
    /// line(s) to send back. `now` is the POSIX time for the cosignature.
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Result<String, WitnessError> {
        let req = parse_request(body)?;
        let note =
            Note::parse(req.checkpoint).map_err(|e| WitnessError::BadRequest(e.to_string()))?;
        let cp =
            Checkpoint::parse(&note.text).map_err(|e| WitnessError::BadRequest(e.to_string()))?;
        let verifiers = self
            .logs
            .get(&cp.origin)
            .ok_or_else(|| WitnessError::UnknownOrigin(cp.origin.clone()))?;
        let known: Vec<&dyn Verifier> = verifiers.iter().map(|v| v as &dyn Verifier).collect();
        note.verify(&known).map_err(|e| match e {
            NoteError::NoKnownSignature => {
                WitnessError::Forbidden("no signature by a key trusted for this log".into())
            }
            other => WitnessError::Forbidden(other.to_string()),
        })?;
        if req.old > cp.size {
            return Err(WitnessError::BadRequest(format!(
                "old size {} exceeds the checkpoint size {}",
                req.old, cp.size
            )));
        }

        let mut db = self.db.lock().unwrap_or_else(|p| p.into_inner());
        let tx = db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let latest: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT size, root FROM latest WHERE origin = ?1",
                [&cp.origin],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)?;
        let (cur_size, cur_root) = match latest {
            Some((s, r)) => (s as u64, Some(r)),
            None => (0, None),
        };
        if req.old != cur_size {
            return Err(WitnessError::Conflict(cur_size));
        }
        let inconsistent = |tx: &rusqlite::Transaction<'_>, reason: String| -> WitnessError {
            // Keep the validly signed, inconsistent request as evidence.
            let _ = tx.execute(
                "INSERT INTO evidence (origin, received_at, old_size, request, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![cp.origin, now as i64, req.old as i64, body, reason],
            );
            WitnessError::Inconsistent(reason)
        };
        let check = (|| {
            if cp.size == 0 && cp.root != merkle::empty_root() {
                return Err("a checkpoint of size zero must have the empty tree's root".to_string());
            }
            if req.old == 0 {
                if !req.proof.is_empty() {
                    return Err("the proof must be empty when the old size is zero".into());
                }
                return Ok(());
            }
            let Some(old_root) = cur_root
                .as_ref()
                .and_then(|r| <Hash>::try_from(r.as_slice()).ok())
            else {
                return Err("no stored root for the old size".into());
            };
            merkle::verify_consistency(req.old, cp.size, &old_root, &cp.root, &req.proof).map_err(
                |e| {
                    format!(
                        "not consistent with the cosigned checkpoint of size {}: {e}",
                        req.old
                    )
                },
            )
        })();
        if let Err(reason) = check {
            let e = inconsistent(&tx, reason);
            tx.commit().map_err(db_err)?;
            return Err(e);
        }
        let sig = self
            .cosigner
            .cosign(&note.text, now.max(1))
            .map_err(|e| WitnessError::Internal(e.to_string()))?;
        let mut cosigned = note.clone();
        cosigned.add_signature(sig.clone());
        let full = cosigned.to_bytes();
        tx.execute(
            "INSERT INTO latest (origin, size, root, checkpoint) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, checkpoint = excluded.checkpoint",
            params![cp.origin, cp.size as i64, &cp.root[..], full],
        )
        .map_err(db_err)?;
        tx.execute(
            "INSERT INTO cosigned (origin, size, root, checkpoint, cosigned_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![cp.origin, cp.size as i64, &cp.root[..], full, now as i64],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok(sig.to_line())
    }

    /// Handles a request at the current time.
    pub fn add_checkpoint_now(&self, body: &[u8]) -> Result<String, WitnessError> {
        self.add_checkpoint(body, now_unix())
    }
}

/// Builds an `add-checkpoint` request body (for logs and tests).
pub fn request_body(old: u64, proof: &[Hash], signed_checkpoint: &[u8]) -> Vec<u8> {
    let mut b = format!("old {old}\n").into_bytes();
    for h in proof {
        b.extend_from_slice(B64.encode(h).as_bytes());
        b.push(b'\n');
    }
    b.push(b'\n');
    b.extend_from_slice(signed_checkpoint);
    b
}
