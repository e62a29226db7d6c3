//! The Hotline client library: everything a point of contact's machine does,
//! with no user interface of its own. The `hotline` CLI, the local web UI and
//! the local TAXII server are thin layers over it.
//!
//! Today it holds [`profile`]: a folder with a member's (and optionally a
//! party's) keys, encrypted at rest with a passphrase; [`relay_client`]:
//! signed requests to the relay; [`archive`]: the verified local mirror of
//! each channel; [`sync`]: fetch, verify, open, store, cosign; [`receipts`]:
//! the parties' receipts and the witnesses' cosignatures on checkpoints; and
//! [`taxii_client`]: reading another TAXII 2.1 server's collection.
//!
//! ```no_run
//! use hotline_client::profile::{Profile, NewProfile, Passphrase, KdfStrength};
//! let pass = Passphrase::new("correct horse battery staple".into());
//! let p = Profile::create(
//!     "/tmp/northland".as_ref(),
//!     &NewProfile { party: Some(("Northland CERT".into(), "northland".into())), member: Some("Duty officer".into()) },
//!     &pass,
//!     KdfStrength::default(),
//! )?;
//! let keys = p.unlock_member(&pass)?;
//! # Ok::<(), hotline_client::profile::ProfileError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod airgap;
pub mod alerts;
pub mod archive;
pub mod cases;
pub mod channel;
pub mod compose;
pub mod disclosure;
pub mod events;
pub mod keyring;
pub mod profile;
pub mod receipts;
pub mod relay_client;
pub mod sync;
pub mod taxii_client;
