//! `hotline relay`: stores envelopes, sequences each channel's log, signs
//! checkpoints and serves what members need (DESIGN §2, §9, §10;
//! `docs/relay.md`). It never sees plaintext, and everything it does is
//! checkable by the clients: entries are signed by their senders, the log is
//! a Merkle tree whose checkpoints it signs, and members and witnesses
//! cosign what they verified.
//!
//! * [`config`]: settings (file, environment, flags).
//! * [`key`]: the relay's checkpoint key, encrypted at rest.
//! * [`relay`]: channels, their key directories, the sequencer (group
//!   commit) and checkpoints — no HTTP.
//! * [`auth`]: RFC 9421 request signatures, replay and rate limits.
//! * [`api`]: the axum router; [`problem`]: RFC 9457 errors;
//!   [`metrics`]: Prometheus counters.
//! * [`backup`]: export, and the verified import.
//! * [`witnesses`]: forwarding checkpoints to the charter's witnesses.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admission;
pub mod api;
pub mod auth;
pub mod backup;
pub mod config;
pub mod key;
pub mod limits;
pub mod metrics;
pub mod problem;
pub mod relay;
pub mod witnesses;
