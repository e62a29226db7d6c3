//! A blocking client of other TAXII 2.1 servers (OASIS, TAXII Version 2.1,
//! 10 June 2021; sections cited as §): what `hotline evidence import` pulls
//! a party's own MISP or OpenCTI collection with (`docs/import.md`).
//!
//! It reads one collection's objects (§5.3), page after page (`limit`,
//! `next`, `more`: §3.4), and keeps each object as the exact JSON text the
//! server sent. It trusts nothing it receives: every answer is bounded (time,
//! size, pages, total bytes) and a server that never ends its pages is an
//! error, never a loop. The objects are not validated here; the caller does
//! that (`archive::check_objects`).
//!
//! ```no_run
//! use hotline_client::taxii_client::{Limits, TaxiiClient};
//! let c = TaxiiClient::new("http://127.0.0.1:5000/api1/", None, None)?;
//! let pulled = c.objects("my-collection", None, &Limits::default(), &mut |p| {
//!     eprintln!("{} objects in {} pages", p.objects, p.pages)
//! })?;
//! println!("{} objects from {}", pulled.objects.len(), pulled.collection_url);
//! # Ok::<(), hotline_client::taxii_client::TaxiiError>(())
//! ```

use std::collections::HashSet;
use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::Digest as _;
use zeroize::Zeroizing;

use crate::archive::MAX_DRAFT_BYTES;
use crate::relay_client::{CONNECT_TIMEOUT, REQUEST_TIMEOUT, RESPONSE_TIMEOUT};

/// The media type asked for and expected (§1.6.8).
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";

/// How much is read before giving up ([`TaxiiClient::objects`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The `limit` asked for each page (the server may send fewer).
    pub page_size: u32,
    /// The most pages read.
    pub max_pages: usize,
    /// The most bytes one answer may have.
    pub max_response: u64,
    /// The most bytes of objects in all (each object's JSON and one byte, as
    /// a draft counts them).
    pub max_total: usize,
    /// The most objects in all (many tiny objects cost memory beyond their bytes).
    pub max_objects: usize,
}

impl Default for Limits {
    /// Pages of 1,000; 10,000 pages; an answer no larger than a draft may be
    /// (and 1 MiB for the envelope around the objects); in all, what a draft
    /// may hold ([`MAX_DRAFT_BYTES`]), and no more than 1,000,000 objects.
    fn default() -> Limits {
        Limits {
            page_size: 1000,
            max_pages: 10_000,
            max_response: MAX_DRAFT_BYTES as u64 + (1 << 20),
            max_total: MAX_DRAFT_BYTES,
            max_objects: 1_000_000,
        }
    }
}

/// Where paging has got to, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Objects received so far.
    pub objects: usize,
    /// Pages received so far.
    pub pages: usize,
    /// Bytes of objects received so far.
    pub bytes: usize,
}

/// A collection's objects ([`TaxiiClient::objects`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The collection's URL (`{api root}collections/{id}/`).
    pub collection_url: String,
    /// Each object's JSON text, exactly as the server sent it, in order.
    pub objects: Vec<String>,
    /// How many pages were read.
    pub pages: usize,
}

/// A collection a server lists (§5.1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CollectionInfo {
    /// Its id.
    pub id: String,
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// Whether this account may read it.
    #[serde(default)]
    pub can_read: bool,
}

/// Why a TAXII server could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaxiiError {
    /// The URL is not one this client will use.
    #[error("{0}")]
    Url(String),
    /// The private CA file could not be used.
    #[error("the CA file: {0}")]
    Ca(String),
    /// The server could not be reached, or the exchange failed.
    #[error("cannot reach the TAXII server at {url}: {detail}")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// 401: no credentials, or wrong ones.
    #[error(
        "the TAXII server at {url} refused the credentials (401 Unauthorized){}: check the user \
         name and the password, or give a user if the server needs one",
        said(.title, .description)
    )]
    Unauthorized {
        /// The URL.
        url: String,
        /// The server's error title, if it sent a TAXII error.
        title: String,
        /// Its description.
        description: String,
    },
    /// 403: this account may not read the collection.
    #[error(
        "the TAXII server at {url} does not let this account read it (403 Forbidden){}: ask the \
         server's administrator for read access to the collection",
        said(.title, .description)
    )]
    Forbidden {
        /// The URL.
        url: String,
        /// The server's error title.
        title: String,
        /// Its description.
        description: String,
    },
    /// 404 for the collection: the server lists others (or none).
    #[error("{}", no_collection_text(.collection, .api_root, .available))]
    NoCollection {
        /// The id asked for.
        collection: String,
        /// The API root.
        api_root: String,
        /// The collections the server lists at `{api root}collections/`.
        available: Vec<CollectionInfo>,
    },
    /// 404 for the API root itself.
    #[error(
        "there is no TAXII 2.1 API root at {api_root} (404){}: give the API root's URL (such as \
         https://host/api1/), which the server's discovery document lists (often at /taxii2/)",
        said(.title, .description)
    )]
    NoApiRoot {
        /// The URL given.
        api_root: String,
        /// The server's error title.
        title: String,
        /// Its description.
        description: String,
    },
    /// 406: the server does not serve TAXII 2.1 there.
    #[error(
        "the server at {url} will not answer in {TAXII_MEDIA_TYPE} (406 Not Acceptable){}: it does \
         not speak TAXII 2.1 there; check the URL and that the server is a TAXII 2.1 server",
        said(.title, .description)
    )]
    NotAcceptable {
        /// The URL.
        url: String,
        /// The server's error title.
        title: String,
        /// Its description.
        description: String,
    },
    /// Another error status.
    #[error("the TAXII server at {url} answered {status}{}", said(.title, .description))]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's error title.
        title: String,
        /// Its description.
        description: String,
    },
    /// A redirection: not followed (credentials are not sent elsewhere).
    #[error(
        "the server at {url} redirects ({status}) to {location:?}: give that URL instead \
         (redirections are not followed, so credentials go nowhere else)"
    )]
    Redirect {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Its `Location`.
        location: String,
    },
    /// A success whose content type is not TAXII 2.1's.
    #[error(
        "the answer of {url} is not TAXII 2.1 (content type {content_type:?}, not \
         {TAXII_MEDIA_TYPE}): check that the URL is a TAXII 2.1 API root"
    )]
    ContentType {
        /// The URL.
        url: String,
        /// The content type received.
        content_type: String,
    },
    /// A success whose body is not the JSON TAXII promises.
    #[error("the answer of {url} is not a TAXII 2.1 envelope: {detail}")]
    Json {
        /// The URL.
        url: String,
        /// What is wrong.
        detail: String,
    },
    /// One answer is larger than [`Limits::max_response`].
    #[error(
        "the answer of {url} is larger than {limit} bytes: it was not read; ask for fewer objects \
         (--added-after)"
    )]
    ResponseTooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The objects in all outgrow [`Limits::max_total`].
    #[error(
        "the collection holds more than {limit} bytes of objects (more than a draft may hold): \
         nothing was imported; import fewer with --added-after"
    )]
    TotalTooLarge {
        /// The limit.
        limit: usize,
    },
    /// More than [`Limits::max_objects`] objects.
    #[error(
        "the collection holds more than {limit} objects: nothing was imported; import fewer \
         with --added-after"
    )]
    TooManyObjects {
        /// The limit.
        limit: usize,
    },
    /// More than [`Limits::max_pages`] pages.
    #[error(
        "the server sent {pages} pages and still says there are more: stopped (a server that \
         never ends its pages); nothing was imported"
    )]
    TooManyPages {
        /// The pages read.
        pages: usize,
    },
    /// The server sent a page it had sent before, with the same `next`: it
    /// would never end. (The same `next` alone is no fault: medallion, for
    /// one, keeps one token for every page of a walk.)
    #[error(
        "the server sent the same page twice, with the same `next` ({next:?}): it would page \
         forever; nothing was imported (a fault of the server)"
    )]
    RepeatedNext {
        /// The token.
        next: String,
    },
    /// `more` is true but there is no `next` to ask for the rest with.
    #[error(
        "the server says there are more objects but gives no `next` to ask for them with \
         (TAXII 2.1 §3.4): nothing was imported (a fault of the server)"
    )]
    MoreWithoutNext,
    /// `more` is true but the page holds no object.
    #[error(
        "the server sent a page with no object that says there are more: nothing was imported \
         (a fault of the server)"
    )]
    EmptyPage,
}

/// The server's own words, if any, for a message.
fn said(title: &str, description: &str) -> String {
    match (title.is_empty(), description.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" (the server says: {title})"),
        (true, false) => format!(" (the server says: {description})"),
        (false, false) => format!(" (the server says: {title}: {description})"),
    }
}

fn no_collection_text(collection: &str, api_root: &str, available: &[CollectionInfo]) -> String {
    let mut s = format!("the API root {api_root} has no collection {collection:?} (404)");
    if available.is_empty() {
        s.push_str("; it lists no collection this account can see");
    } else {
        s.push_str("; it has:");
        for c in available.iter().take(50) {
            s.push_str(&format!(
                "\n  {}  {}{}",
                c.id,
                c.title,
                if c.can_read { "" } else { " (not readable)" }
            ));
        }
        s.push_str("\npass one of these ids with --collection");
    }
    s
}

/// Percent-encodes a query value (all but RFC 3986's unreserved characters).
fn encode(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// A page of objects ([`parse_envelope`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// `more`: whether the server has more objects after this page.
    pub more: bool,
    /// `next`: the token for the next page, if given.
    pub next: Option<String>,
    /// The objects, each the exact JSON text the server sent.
    pub objects: Vec<String>,
}

/// Reads a TAXII 2.1 envelope (§3.7), as a page of objects answers: `more`
/// (absent is false), `next`, and `objects`, each kept as its JSON text.
/// Unknown members are ignored, as TAXII asks. The error says what is wrong.
pub fn parse_envelope(bytes: &[u8]) -> Result<Page, String> {
    let env: Envelope = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let objects: Vec<String> = env
        .objects
        .unwrap_or_default()
        .into_iter()
        .map(|o| o.get().to_owned())
        .collect();
    // An object keyed by serde_json's private RawValue token is JSON text
    // that serde_json cannot read as a value (the fuzz target found it):
    // nothing downstream could use it, so the page is refused here.
    if let Some(i) = objects
        .iter()
        .position(|o| serde_json::from_str::<serde_json::Value>(o).is_err())
    {
        return Err(format!(
            "object {i} of the page is not a JSON value serde_json can read"
        ));
    }
    Ok(Page {
        more: env.more.unwrap_or(false),
        next: env.next,
        objects,
    })
}

/// A page of objects (§3.7 envelope), each kept as its text.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    more: Option<bool>,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    objects: Option<Vec<Box<RawValue>>>,
}

/// A TAXII error message (§3.6.1), as far as it is given.
#[derive(Deserialize, Default)]
struct ErrorMessage {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// A client of one TAXII 2.1 API root.
pub struct TaxiiClient {
    api_root: String,
    authorization: Option<Zeroizing<String>>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for TaxiiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaxiiClient")
            .field("api_root", &self.api_root)
            .field("authorization", &self.authorization.as_ref().map(|_| "…"))
            .finish()
    }
}

/// What an answer was: status, content type, `Location`, body.
struct Answer {
    status: u16,
    content_type: String,
    location: String,
    body: Vec<u8>,
}

impl TaxiiClient {
    /// A client of the API root at `api_root` (such as
    /// `https://misp.example/taxii2/api1/`; a missing final `/` is added),
    /// with HTTP Basic credentials (user, password) if given, trusting only
    /// the CA certificates of `ca_pem` (PEM) if given, else the Mozilla
    /// roots. Plain `http` is refused off loopback: the credentials and the
    /// objects would cross the network unprotected.
    pub fn new(
        api_root: &str,
        credentials: Option<(&str, &str)>,
        ca_pem: Option<&[u8]>,
    ) -> Result<TaxiiClient, TaxiiError> {
        let mut api_root = api_root.trim().to_owned();
        if !api_root.ends_with('/') {
            api_root.push('/');
        }
        let rest = if let Some(r) = api_root.strip_prefix("https://") {
            r
        } else if let Some(r) = api_root.strip_prefix("http://") {
            let authority = r.split('/').next().unwrap_or(r);
            if !crate::relay_client::is_loopback(authority) {
                return Err(TaxiiError::Url(format!(
                    "refusing plain HTTP to {authority}: the password and the objects would \
                     cross the network unprotected; use the server's https:// URL (plain http \
                     only to a loopback address)"
                )));
            }
            r
        } else {
            return Err(TaxiiError::Url(format!(
                "{api_root:?} is not an http(s) URL: give the TAXII API root's URL, such as \
                 https://host/api1/"
            )));
        };
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() || api_root.contains(['?', '#']) {
            return Err(TaxiiError::Url(format!(
                "{api_root:?} is not an API root URL: give one such as https://host/api1/ (no \
                 query, no fragment)"
            )));
        }
        if let Some((user, _)) = credentials
            && (user.is_empty() || user.contains(':'))
        {
            return Err(TaxiiError::Url(
                "a user name must be non-empty and have no ':' (HTTP Basic authentication)".into(),
            ));
        }
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .https_only(api_root.starts_with("https://"))
            .timeout_resolve(Some(CONNECT_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(RESPONSE_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT));
        if let Some(pem) = ca_pem {
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(pem) {
                match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c.to_owned()),
                    Ok(_) => {}
                    Err(e) => return Err(TaxiiError::Ca(e.to_string())),
                }
            }
            if certs.is_empty() {
                return Err(TaxiiError::Ca("it holds no PEM certificate".into()));
            }
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)))
                    .build(),
            );
        }
        let authorization = credentials.map(|(user, password)| {
            let pair = Zeroizing::new(format!("{user}:{password}"));
            Zeroizing::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())
            ))
        });
        Ok(TaxiiClient {
            api_root,
            authorization,
            agent: config.build().into(),
        })
    }

    /// The API root's URL, ending in `/`.
    pub fn api_root(&self) -> &str {
        &self.api_root
    }

    /// The URL of collection `id`.
    pub fn collection_url(&self, id: &str) -> Result<String, TaxiiError> {
        if id.is_empty()
            || id.len() > 256
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        {
            return Err(TaxiiError::Url(format!(
                "{id:?} is not a collection id this client asks for: use the id (often a UUID) \
                 that the API root's collections list gives"
            )));
        }
        Ok(format!("{}collections/{id}/", self.api_root))
    }

    fn get(&self, url: &str, limit: u64) -> Result<Answer, TaxiiError> {
        let transport = |e: ureq::Error| match e {
            ureq::Error::BodyExceedsLimit(_) => TaxiiError::ResponseTooLarge {
                url: url.to_owned(),
                limit,
            },
            e => {
                let mut detail = e.to_string();
                if detail.contains("certificate") {
                    detail.push_str(
                        "; if your own CA issued the server's certificate, trust its PEM file \
                         (hotline evidence import --ca FILE)",
                    );
                }
                TaxiiError::Transport {
                    url: url.to_owned(),
                    detail,
                }
            }
        };
        let mut req = self.agent.get(url).header("Accept", TAXII_MEDIA_TYPE);
        if let Some(a) = &self.authorization {
            req = req.header("Authorization", a.as_str());
        }
        let mut resp = req.call().map_err(transport)?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (content_type, location) = (header("content-type"), header("location"));
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(transport)?;
        Ok(Answer {
            status,
            content_type,
            location,
            body,
        })
    }

    /// An error for a status that is not a success.
    fn status_error(&self, url: &str, a: &Answer, collection: Option<&str>) -> TaxiiError {
        let m: ErrorMessage = serde_json::from_slice(&a.body).unwrap_or_default();
        let title: String = m.title.unwrap_or_default().chars().take(300).collect();
        let description: String = m
            .description
            .unwrap_or_default()
            .chars()
            .take(1000)
            .collect();
        let url = url.to_owned();
        match a.status {
            300..=399 => TaxiiError::Redirect {
                url,
                status: a.status,
                location: a.location.chars().take(500).collect(),
            },
            401 => TaxiiError::Unauthorized {
                url,
                title,
                description,
            },
            403 => TaxiiError::Forbidden {
                url,
                title,
                description,
            },
            406 => TaxiiError::NotAcceptable {
                url,
                title,
                description,
            },
            404 => match collection {
                Some(c) => match self.collections() {
                    Ok(available) => TaxiiError::NoCollection {
                        collection: c.to_owned(),
                        api_root: self.api_root.clone(),
                        available,
                    },
                    Err(e @ TaxiiError::NoApiRoot { .. }) => e,
                    Err(_) => TaxiiError::Status {
                        url,
                        status: 404,
                        title,
                        description,
                    },
                },
                None => TaxiiError::NoApiRoot {
                    api_root: self.api_root.clone(),
                    title,
                    description,
                },
            },
            status => TaxiiError::Status {
                url,
                status,
                title,
                description,
            },
        }
    }

    /// Checks that a success is TAXII 2.1 JSON.
    fn check_type(url: &str, a: &Answer) -> Result<(), TaxiiError> {
        let ct = a.content_type.to_ascii_lowercase();
        let mut parts = ct.split(';').map(str::trim);
        let ok = parts.next() == Some("application/taxii+json")
            && parts.all(|p| match p.split_once('=') {
                Some(("version", v)) => v.trim_matches('"') == "2.1",
                _ => true,
            });
        if ok {
            Ok(())
        } else {
            Err(TaxiiError::ContentType {
                url: url.to_owned(),
                content_type: a.content_type.chars().take(200).collect(),
            })
        }
    }

    /// The collections the API root lists (§5.1).
    pub fn collections(&self) -> Result<Vec<CollectionInfo>, TaxiiError> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            collections: Vec<CollectionInfo>,
        }
        let url = format!("{}collections/", self.api_root);
        let a = self.get(&url, 16 << 20)?;
        if !(200..300).contains(&a.status) {
            return Err(self.status_error(&url, &a, None));
        }
        Self::check_type(&url, &a)?;
        let l: List = serde_json::from_slice(&a.body).map_err(|e| TaxiiError::Json {
            url: url.clone(),
            detail: e.to_string(),
        })?;
        Ok(l.collections)
    }

    /// Every object of collection `collection` (added after `added_after`,
    /// an RFC 3339 instant, if given: passed on as is), following `next`
    /// while `more` is true (§3.4), each as the JSON text the server sent.
    /// `progress` is told after each page. Fails, keeping nothing, at the
    /// first error or limit passed.
    pub fn objects(
        &self,
        collection: &str,
        added_after: Option<&str>,
        limits: &Limits,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Pulled, TaxiiError> {
        let collection_url = self.collection_url(collection)?;
        let mut query = format!("limit={}", limits.page_size.max(1));
        if let Some(t) = added_after {
            query.push_str(&format!("&added_after={}", encode(t)));
        }
        // (`next`, the page's digest) of every page: a page seen again with
        // the same `next` means the server would page forever.
        let mut seen: HashSet<(String, [u8; 32])> = HashSet::new();
        let mut next: Option<String> = None;
        let mut objects = Vec::new();
        let (mut pages, mut bytes) = (0usize, 0usize);
        loop {
            if pages >= limits.max_pages {
                return Err(TaxiiError::TooManyPages { pages });
            }
            let url = match &next {
                Some(n) => format!("{collection_url}objects/?{query}&next={}", encode(n)),
                None => format!("{collection_url}objects/?{query}"),
            };
            let a = self.get(&url, limits.max_response)?;
            if !(200..300).contains(&a.status) {
                return Err(self.status_error(&url, &a, Some(collection)));
            }
            Self::check_type(&url, &a)?;
            let env = parse_envelope(&a.body).map_err(|detail| TaxiiError::Json {
                url: url.clone(),
                detail,
            })?;
            pages += 1;
            let got = env.objects.len();
            let mut digest = sha2::Sha256::new();
            for o in env.objects {
                digest.update(o.as_bytes());
                digest.update(b"\n");
                bytes += o.len() + 1;
                if bytes > limits.max_total {
                    return Err(TaxiiError::TotalTooLarge {
                        limit: limits.max_total,
                    });
                }
                if objects.len() >= limits.max_objects {
                    return Err(TaxiiError::TooManyObjects {
                        limit: limits.max_objects,
                    });
                }
                objects.push(o);
            }
            progress(Progress {
                objects: objects.len(),
                pages,
                bytes,
            });
            if !env.more {
                break;
            }
            if got == 0 {
                return Err(TaxiiError::EmptyPage);
            }
            match env.next {
                Some(n) if !n.is_empty() => {
                    if !seen.insert((n.clone(), digest.finalize().into())) {
                        return Err(TaxiiError::RepeatedNext { next: n });
                    }
                    next = Some(n);
                }
                _ => return Err(TaxiiError::MoreWithoutNext),
            }
        }
        Ok(Pulled {
            collection_url,
            objects,
            pages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpListener;
    use std::sync::Mutex;

    /// The fuzz target's find: an object keyed by serde_json's private
    /// RawValue token, which serde_json cannot read as a value; the page is
    /// refused.
    #[test]
    fn a_page_with_an_object_keyed_by_serde_jsons_raw_value_token_is_refused() {
        let page = br#"{"more":true,"next":"abc","objects":[{"$serde_json::private::RawValue":"indicatob","spec11111111111111?_version":"2.0","id":"indicator--","valid_from":"2026-11-20T08:00:00Z"}, { "type" : "ipv4-addr", "sppa_version":"2.1", "id":"ipv3-addr--ff26c055-6336-5bc5-b226742=d", "value":"198.51.100.3" }]}"#;
        assert!(
            parse_envelope(page)
                .unwrap_err()
                .contains("not a JSON value")
        );
        let ok = br#"{"objects":[{"type":"indicator"}]}"#;
        assert_eq!(
            parse_envelope(ok).unwrap().objects,
            vec![r#"{"type":"indicator"}"#]
        );
    }

    /// What the test server saw of a request.
    #[derive(Debug, Clone)]
    struct Seen {
        target: String,
        accept: String,
        authorization: String,
    }

    type Answerer = dyn Fn(&str, usize) -> (u16, &'static str, String) + Send + Sync;

    /// A one-thread HTTP/1.1 server on loopback: `answer(target, n)` gives
    /// status, content type and body for the n-th request (from 0).
    struct Server {
        url: String,
        seen: Arc<Mutex<Vec<Seen>>>,
    }

    fn serve(answer: Box<Answerer>) -> Server {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api1/", l.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for (n, stream) in l.incoming().enumerate() {
                let Ok(mut s) = stream else { return };
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                let target = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                let (mut accept, mut authorization) = (String::new(), String::new());
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        match k.to_ascii_lowercase().as_str() {
                            "accept" => accept = v.trim().to_owned(),
                            "authorization" => authorization = v.trim().to_owned(),
                            _ => {}
                        }
                    }
                }
                log.lock().unwrap().push(Seen {
                    target: target.clone(),
                    accept,
                    authorization,
                });
                let (status, ct, body) = answer(&target, n);
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} X\r\ncontent-type: {ct}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Server { url, seen }
    }

    const T: &str = TAXII_MEDIA_TYPE;

    fn obj(i: usize) -> String {
        format!(
            r#"{{ "type" : "identity", "id" : "identity--00000000-0000-4000-8000-{i:012}", "name": "n\u00e9 {i}" }}"#
        )
    }

    fn pull(s: &Server, limits: &Limits) -> Result<Pulled, TaxiiError> {
        let c = TaxiiClient::new(&s.url, Some(("cert", "pw")), None).unwrap();
        c.objects("c1", Some("2026-11-01T00:00:00+01:00"), limits, &mut |_| {})
    }

    #[test]
    fn pages_are_followed_and_objects_kept_verbatim() {
        let s = serve(Box::new(|target, _| {
            if target.contains("next=p2") {
                (
                    200,
                    T,
                    format!(r#"{{"more":false,"objects":[{}]}}"#, obj(2)),
                )
            } else {
                (
                    200,
                    "application/taxii+json; version=2.1",
                    format!(
                        r#"{{"more":true,"next":"p2","objects":[{} , {}]}}"#,
                        obj(0),
                        obj(1)
                    ),
                )
            }
        }));
        let c = TaxiiClient::new(&s.url, Some(("cert", "pw")), None).unwrap();
        let mut seen_progress = vec![];
        let p = c
            .objects(
                "c1",
                Some("2026-11-01T00:00:00+01:00"),
                &Limits {
                    page_size: 2,
                    ..Limits::default()
                },
                &mut |p| seen_progress.push((p.objects, p.pages)),
            )
            .unwrap();
        assert_eq!(p.objects, vec![obj(0), obj(1), obj(2)]);
        assert_eq!(p.pages, 2);
        assert_eq!(p.collection_url, format!("{}collections/c1/", s.url));
        assert_eq!(seen_progress, vec![(2, 1), (3, 2)]);
        let seen = s.seen.lock().unwrap().clone();
        assert_eq!(
            seen.iter().map(|s| s.target.as_str()).collect::<Vec<_>>(),
            [
                "/api1/collections/c1/objects/?limit=2&added_after=2026-11-01T00%3A00%3A00%2B01%3A00",
                "/api1/collections/c1/objects/?limit=2&added_after=2026-11-01T00%3A00%3A00%2B01%3A00&next=p2",
            ]
        );
        for r in &seen {
            assert_eq!(r.accept, T);
            assert_eq!(r.authorization, "Basic Y2VydDpwdw==");
        }
    }

    #[test]
    fn a_repeated_next_ends_with_an_error() {
        let s = serve(Box::new(|_, _| {
            (
                200,
                T,
                format!(r#"{{"more":true,"next":"same","objects":[{}]}}"#, obj(0)),
            )
        }));
        let e = pull(&s, &Limits::default()).unwrap_err();
        assert!(
            matches!(e, TaxiiError::RepeatedNext { ref next } if next == "same"),
            "{e}"
        );
        assert_eq!(s.seen.lock().unwrap().len(), 2);
    }

    #[test]
    fn one_next_for_every_page_is_followed() {
        // As medallion does: the same token, the walk's next objects.
        let s = serve(Box::new(|_, n| {
            let more = n < 3;
            (
                200,
                T,
                format!(r#"{{"more":{more},"next":"walk","objects":[{}]}}"#, obj(n)),
            )
        }));
        let p = pull(&s, &Limits::default()).unwrap();
        assert_eq!(p.objects, (0..4).map(obj).collect::<Vec<_>>());
        assert_eq!(p.pages, 4);
    }

    #[test]
    fn more_without_next_or_objects_ends_with_an_error() {
        let s = serve(Box::new(|_, _| {
            (200, T, format!(r#"{{"more":true,"objects":[{}]}}"#, obj(0)))
        }));
        let e = pull(&s, &Limits::default()).unwrap_err();
        assert!(matches!(e, TaxiiError::MoreWithoutNext), "{e}");
        let s = serve(Box::new(|_, n| {
            (200, T, format!(r#"{{"more":true,"next":"n{n}"}}"#))
        }));
        let e = pull(&s, &Limits::default()).unwrap_err();
        assert!(matches!(e, TaxiiError::EmptyPage), "{e}");
        assert_eq!(s.seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn endless_fresh_pages_stop_at_the_page_limit() {
        let s = serve(Box::new(|_, n| {
            (
                200,
                T,
                format!(r#"{{"more":true,"next":"n{n}","objects":[{}]}}"#, obj(n)),
            )
        }));
        let e = pull(
            &s,
            &Limits {
                max_pages: 5,
                ..Limits::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, TaxiiError::TooManyPages { pages: 5 }), "{e}");
        assert_eq!(s.seen.lock().unwrap().len(), 5);
    }

    #[test]
    fn an_oversized_answer_or_total_is_refused() {
        let big = format!(
            r#"{{"more":false,"objects":[{}]}}"#,
            vec![obj(0); 100].join(",")
        );
        let s = serve(Box::new(move |_, _| (200, T, big.clone())));
        let e = pull(
            &s,
            &Limits {
                max_response: 1000,
                ..Limits::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(e, TaxiiError::ResponseTooLarge { limit: 1000, .. }),
            "{e}"
        );

        let s = serve(Box::new(|_, n| {
            (
                200,
                T,
                format!(r#"{{"more":true,"next":"n{n}","objects":[{}]}}"#, obj(n)),
            )
        }));
        let e = pull(
            &s,
            &Limits {
                max_total: 3 * (obj(0).len() + 1),
                ..Limits::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, TaxiiError::TotalTooLarge { .. }), "{e}");
        assert_eq!(s.seen.lock().unwrap().len(), 4);

        let s = serve(Box::new(|_, n| {
            (
                200,
                T,
                format!(
                    r#"{{"more":true,"next":"n{n}","objects":[{},{}]}}"#,
                    obj(2 * n),
                    obj(2 * n + 1)
                ),
            )
        }));
        let e = pull(
            &s,
            &Limits {
                max_objects: 5,
                ..Limits::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, TaxiiError::TooManyObjects { limit: 5 }), "{e}");
        assert_eq!(s.seen.lock().unwrap().len(), 3);
    }

    #[test]
    fn plain_http_off_loopback_is_refused() {
        for url in ["http://192.0.2.1/api1/", "http://taxii.example:5000/api1/"] {
            let e = TaxiiClient::new(url, None, None).unwrap_err();
            assert!(e.to_string().contains("refusing plain HTTP"), "{e}");
        }
        for url in ["ftp://x/", "https:///api1/", "https://h/api1/?x=1"] {
            assert!(
                matches!(TaxiiClient::new(url, None, None), Err(TaxiiError::Url(_))),
                "{url}"
            );
        }
        for url in [
            "http://127.0.0.1:5000/api1/",
            "http://[::1]:5/a/",
            "https://h/api1",
        ] {
            assert!(TaxiiClient::new(url, None, None).is_ok(), "{url}");
        }
        let c = TaxiiClient::new("https://h/api1", None, None).unwrap();
        assert_eq!(c.api_root(), "https://h/api1/");
        assert!(c.collection_url("../x").is_err());
        assert!(matches!(
            TaxiiClient::new("https://h/", None, Some(b"not pem")),
            Err(TaxiiError::Ca(_))
        ));
    }

    #[test]
    fn error_statuses_say_what_to_do() {
        let s = serve(Box::new(|target, _| {
            let e = |t: &str, d: &str| format!(r#"{{"title":"{t}","description":"{d}"}}"#);
            match target {
                t if t.starts_with("/api1/collections/c1/") => {
                    (401, T, e("Unauthorized", "bad pw"))
                }
                t if t.starts_with("/api1/collections/c2/") => (403, T, e("Forbidden", "")),
                t if t.starts_with("/api1/collections/c3/") => (406, "text/plain", "no".into()),
                t if t.starts_with("/api1/collections/c4/") => (500, T, e("Oops", "disk")),
                t if t.starts_with("/api1/collections/c5/") => (200, "text/html", "<html>".into()),
                t if t.starts_with("/api1/collections/c6/") => (200, T, "{not json".into()),
                t if t.starts_with("/api1/collections/c7/") => (200, T, r#"{"objects":{}}"#.into()),
                "/api1/collections/" => (
                    200,
                    T,
                    r#"{"collections":[{"id":"real-one","title":"Our feed","can_read":true}]}"#
                        .into(),
                ),
                _ => (404, T, e("Not found", "no such collection")),
            }
        }));
        let c = TaxiiClient::new(&s.url, Some(("cert", "pw")), None).unwrap();
        let err = |id: &str| {
            c.objects(id, None, &Limits::default(), &mut |_| {})
                .unwrap_err()
        };
        let e = err("c1");
        assert!(matches!(e, TaxiiError::Unauthorized { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("check the user name and the password"),
            "{e}"
        );
        assert!(e.to_string().contains("Unauthorized: bad pw"), "{e}");
        assert!(matches!(err("c2"), TaxiiError::Forbidden { .. }));
        assert!(matches!(err("c3"), TaxiiError::NotAcceptable { .. }));
        let e = err("c4");
        assert!(matches!(e, TaxiiError::Status { status: 500, .. }), "{e}");
        assert!(e.to_string().contains("Oops: disk"), "{e}");
        assert!(matches!(err("c5"), TaxiiError::ContentType { .. }));
        assert!(matches!(err("c6"), TaxiiError::Json { .. }));
        assert!(matches!(err("c7"), TaxiiError::Json { .. }));
        let e = err("nope");
        assert!(matches!(e, TaxiiError::NoCollection { .. }), "{e}");
        assert!(e.to_string().contains("real-one  Our feed"), "{e}");
    }

    #[test]
    fn redirections_are_not_followed() {
        let s = serve(Box::new(|_, _| {
            (
                302,
                "text/plain\r\nlocation: https://elsewhere.example/api1/",
                String::new(),
            )
        }));
        let c = TaxiiClient::new(&s.url, Some(("cert", "pw")), None).unwrap();
        assert!(!format!("{c:?}").contains("Y2VydDpwdw"), "{c:?}");
        let e = c
            .objects("c1", None, &Limits::default(), &mut |_| {})
            .unwrap_err();
        assert!(
            matches!(e, TaxiiError::Redirect { status: 302, ref location, .. } if location == "https://elsewhere.example/api1/"),
            "{e}"
        );
        assert_eq!(s.seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_missing_api_root_is_named() {
        let s = serve(Box::new(|_, _| (404, "text/html", "Not Found".into())));
        let c = TaxiiClient::new(&s.url, None, None).unwrap();
        let e = c
            .objects("c1", None, &Limits::default(), &mut |_| {})
            .unwrap_err();
        assert!(matches!(e, TaxiiError::NoApiRoot { .. }), "{e}");
        assert!(
            s.seen
                .lock()
                .unwrap()
                .iter()
                .all(|r| r.authorization.is_empty())
        );
    }

    /// Objects as a server might space them: a few members, arbitrary
    /// whitespace, strings with escapes.
    fn spaced_objects() -> impl proptest::strategy::Strategy<Value = Vec<String>> {
        use proptest::prelude::*;
        let member = (
            "[a-z_]{1,8}",
            "[ -~\\u{e9}\\u{4e2d}]{0,12}",
            "[ \\t\\n]{0,3}",
        )
            .prop_map(|(k, v, ws)| {
                format!("{ws}\"{k}\"{ws}:{ws}{}{ws}", serde_json::Value::String(v))
            });
        proptest::collection::vec(
            proptest::collection::vec(member, 1..5).prop_map(|ms| format!("{{{}}}", ms.join(","))),
            0..6,
        )
    }

    proptest::proptest! {
        /// Every object of an envelope comes back as the very text sent,
        /// whatever its spacing, with `more` and `next` as given.
        #[test]
        fn envelopes_give_back_each_object_verbatim(
            objects in spaced_objects(),
            more in proptest::option::of(proptest::bool::ANY),
            next in proptest::option::of("[ -~]{0,10}"),
            ws in "[ \\n]{0,2}",
        ) {
            let mut body = format!("{{{ws}\"objects\"{ws}:{ws}[{}]", objects.join(&format!(",{ws}")));
            if let Some(m) = more {
                body.push_str(&format!(",\"more\":{m}"));
            }
            if let Some(n) = &next {
                body.push_str(&format!(",\"next\":{}", serde_json::Value::String(n.clone())));
            }
            body.push_str(",\"x_unknown\":[1,{}]}");
            let p = parse_envelope(body.as_bytes()).unwrap();
            proptest::prop_assert_eq!(&p.objects, &objects);
            proptest::prop_assert_eq!(p.more, more.unwrap_or(false));
            proptest::prop_assert_eq!(p.next, next);
        }

        /// Bytes that are not an envelope are an error, never a panic.
        #[test]
        fn anything_else_is_an_error(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            if let Ok(p) = parse_envelope(&bytes) {
                for o in &p.objects {
                    proptest::prop_assert!(serde_json::from_str::<serde_json::Value>(o).is_ok());
                }
            }
        }
    }
}
