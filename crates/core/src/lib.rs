//! Hotline's wire formats and cryptography. No I/O, no clocks, no globals:
//! every function takes its inputs (including the random number generator)
//! and returns a value or a typed error.
//!
//! * [`keys`]: Ed25519 signing keys, X25519 encryption keys, [`keys::KeyId`].
//! * [`dsse`]: signed JSON documents (DSSE envelopes and PAE).
//! * [`charter`], [`roster`]: a channel's founding document and the parties'
//!   member lists, with their verification and revocation rules.
//! * [`message`], [`commitment`]: the inner message, its salted parts, the
//!   commitment and selective openings.
//! * [`envelope`]: sealing to many recipients with HPKE and opening.
//!
//! The normative description of every byte is `docs/format.md`.
//!
//! ```
//! use hotline_core::commitment::{Part, PartKind, commit, Opening};
//! use hotline_core::envelope::Envelope;
//! use hotline_core::ids::ChannelId;
//! use hotline_core::keys::{MemberKeys};
//!
//! let mut rng = rand_core::OsRng;
//! let alice = MemberKeys::generate(&mut rng);
//! let bob = MemberKeys::generate(&mut rng);
//! let parts = vec![Part::new(PartKind::Body, b"hello".to_vec(), &mut rng)];
//! let env = Envelope::seal(
//!     ChannelId([0; 16]),
//!     &alice.signing,
//!     &[bob.encryption.public_key()],
//!     &parts,
//!     &mut rng,
//! )?;
//! // Bob parses the bytes, then checks signature, decryption and commitment.
//! let received = Envelope::from_bytes(&env.to_bytes())?;
//! # // This example's single body part is not a full message, so open() would
//! # // refuse it; check the commitment with a selective opening instead.
//! let opening = Opening::new(&parts, &[0]);
//! opening.verify(&received.signed_head().head.header.commitment).unwrap();
//! # Ok::<(), hotline_core::envelope::EnvelopeError>(())
//! ```
//!
//! This crate deliberately knows nothing of the log, the relay, HTTP,
//! databases or files.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod b64;
pub mod charter;
pub mod codec;
pub mod commitment;
pub mod courier;
pub mod dsse;
pub mod entry;
pub mod envelope;
pub mod hpke_suite;
pub mod ids;
pub mod keys;
pub mod message;
pub mod net;
pub mod roster;
mod xwing_expanded;

pub use rand_core;

#[cfg(test)]
mod vectors_test;
