//! A TAXII 2.1 server over a member's archive (`docs/taxii.md`).
//!
//! It serves the STIX 2.1 objects of the evidence bundles in a profile's
//! archive to the CERT's own tools (MISP, OpenCTI, a SIEM) with the TAXII 2.1
//! API of OASIS (TAXII 2.1, OS, June 2021): a discovery resource, one API root
//! per channel (`/{channel hex}/`), and in each three collections: `received`
//! (the other parties' objects) and `sent` (ours), read-only, and `outbox`,
//! write-only, whose objects go to a draft of the channel
//! ([`Config::draft`]; `hotline case open --draft` sends them), each
//! answered with a status resource kept in the archive. Every request first
//! indexes what sync stored since the last one
//! ([`hotline_client::archive::Archive::index_stix`]), so the server needs no
//! restart; a page is one indexed keyset query.
//!
//! Every request needs HTTP Basic authentication with the one user name and
//! password of the [`Config`]. Objects at TLP:RED or TLP:AMBER+STRICT (by
//! their markings or their message's label) are withheld ([`WITHHELD`]),
//! except in the collections of [`Config::serve_restricted`]. The objects are
//! served exactly as their sender sent them: never re-serialised.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! let profile = std::path::Path::new("/path/to/profile");
//! let archive = Arc::new(hotline_client::archive::Archive::open(profile)?);
//! let party = hotline_client::profile::Profile::open(profile)?
//!     .info()
//!     .party
//!     .clone()
//!     .ok_or("no party")?
//!     .id;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let cfg = hotline_taxii::Config::new(
//!     "taxii",
//!     "a long password",
//!     party,
//!     format!("http://{}", listener.local_addr()?),
//! );
//! let app = hotline_taxii::router(archive, cfg);
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod http;
mod outbox;

use std::sync::Arc;

use hotline_client::archive::{Archive, StixCollection};
use hotline_core::keys::KeyId;
use sha2::{Digest, Sha256};

pub use error::TaxiiError;
pub use http::router;
pub use outbox::parse_posted;

/// The TAXII 2.1 media type: every response (and error) has it.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// The STIX 2.1 media type, of the objects in the collections.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
/// The most objects one page holds, and the default `limit`.
pub const MAX_PAGE: u32 = 1000;
/// The API root's `max_content_length` (§4.2): the largest request body, in
/// bytes, a POST to the outbox may have (413 beyond, before it is all read).
pub const MAX_CONTENT_LENGTH: usize = 16 * 1024 * 1024;
const _: () = assert!(MAX_CONTENT_LENGTH <= hotline_client::archive::MAX_DRAFT_BYTES);
/// The `source` of the draft objects that come from the outbox.
pub const OUTBOX_SOURCE: &str = "taxii outbox";
/// TLP levels not served unless a collection is in
/// [`Config::serve_restricted`] (`docs/taxii.md`, "TLP"): information for the
/// named recipients, or for the recipients' organisations only, does not
/// flow on by default into tools that share further.
pub const WITHHELD: &[&str] = &["red", "amber+strict"];

/// What a server is configured with.
pub struct Config {
    /// The discovery resource's title.
    pub title: String,
    /// SHA-256 of the user name (compared in constant time).
    user: [u8; 32],
    /// SHA-256 of the password (compared in constant time).
    password: [u8; 32],
    /// Our party: its messages' objects are in `sent`, the others' in
    /// `received`.
    pub our_party: KeyId,
    /// The server's base URL (`http://127.0.0.1:9100`, or `https://…`), for
    /// the API root URLs in the discovery resource.
    pub base_url: String,
    /// The collections that also serve the objects at a [`WITHHELD`] level
    /// (none by default).
    pub serve_restricted: Vec<StixCollection>,
    /// The draft the outbox's objects go to (by default
    /// [`hotline_client::archive::DEFAULT_DRAFT`]); a valid draft name
    /// ([`hotline_client::archive::check_name`]).
    pub draft: String,
}

impl Config {
    /// A configuration with the default title.
    pub fn new(user: &str, password: &str, our_party: KeyId, base_url: String) -> Config {
        Config {
            title: "Hotline TAXII 2.1 server".into(),
            user: Sha256::digest(user.as_bytes()).into(),
            password: Sha256::digest(password.as_bytes()).into(),
            our_party,
            base_url: base_url.trim_end_matches('/').to_owned(),
            serve_restricted: Vec::new(),
            draft: hotline_client::archive::DEFAULT_DRAFT.into(),
        }
    }

    /// The TLP levels withheld from `collection`: [`WITHHELD`], or none if it
    /// is in [`Config::serve_restricted`].
    pub fn withheld(&self, collection: StixCollection) -> &'static [&'static str] {
        if self.serve_restricted.contains(&collection) {
            &[]
        } else {
            WITHHELD
        }
    }

    /// Whether `user` and `password` are the configured ones, in time
    /// independent of where they differ.
    pub fn check(&self, user: &[u8], password: &[u8]) -> bool {
        use subtle::ConstantTimeEq as _;
        let u: [u8; 32] = Sha256::digest(user).into();
        let p: [u8; 32] = Sha256::digest(password).into();
        (u.ct_eq(&self.user) & p.ct_eq(&self.password)).into()
    }
}

/// The state the handlers share.
pub(crate) struct Server {
    pub archive: Arc<Archive>,
    pub cfg: Config,
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    app: axum::Router,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
