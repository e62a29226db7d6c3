//! The TAXII 2.1 endpoints (TAXII 2.1 §4, §5): axum handlers over the
//! archive's STIX index. Only this module and `outbox` (the POST to the
//! outbox and the status resources) know the JSON shapes of TAXII.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hotline_client::archive::{
    ArchiveError, StixCollection, StixPage, StixQuery, VersionMatch, date_added_text,
};
use hotline_core::ids::ChannelId;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::{
    Config, MAX_CONTENT_LENGTH, MAX_PAGE, STIX_MEDIA_TYPE, Server, TAXII_MEDIA_TYPE, TaxiiError,
};

pub(crate) type S = Arc<Server>;

/// How long a request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The server's router over `archive`: every route needs authentication and
/// an Accept header that admits [`TAXII_MEDIA_TYPE`].
pub fn router(archive: Arc<hotline_client::archive::Archive>, cfg: Config) -> Router {
    let s = Arc::new(Server { archive, cfg });
    Router::new()
        .route("/taxii2/", get(discovery))
        .route("/{root}/", get(api_root))
        .route("/{root}/collections/", get(collections))
        .route("/{root}/collections/{coll}/", get(collection))
        .route(
            "/{root}/collections/{coll}/objects/",
            get(objects).post(crate::outbox::add_objects),
        )
        .route("/{root}/collections/{coll}/objects/{id}/", get(object))
        .route(
            "/{root}/collections/{coll}/objects/{id}/versions/",
            get(versions),
        )
        .route("/{root}/collections/{coll}/manifest/", get(manifest))
        // taxii2-client asks for the status URL without the final '/'.
        .route("/{root}/status/{id}/", get(crate::outbox::status))
        .route("/{root}/status/{id}", get(crate::outbox::status))
        .fallback(|| async {
            TaxiiError::not_found(
                "no such TAXII resource; start at /taxii2/ (every TAXII URL ends with '/')",
            )
        })
        .method_not_allowed_fallback(|| async {
            TaxiiError::method_not_allowed(
                "this endpoint takes GET only; POST is for …/collections/outbox/objects/ (docs/taxii.md)",
            )
        })
        .layer(middleware::from_fn(accept))
        .layer(middleware::from_fn_with_state(s.clone(), authenticate))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(s)
}

/// HTTP Basic authentication (RFC 7617) against the configured user.
async fn authenticate(State(s): State<S>, req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, cred) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(cred)
        })
        .and_then(|cred| B64.decode(cred.trim()).ok())
        .is_some_and(|cred| {
            let (user, pass) = match cred.iter().position(|&b| b == b':') {
                Some(i) => (&cred[..i], &cred[i + 1..]),
                None => (&cred[..], &[][..]),
            };
            s.cfg.check(user, pass)
        });
    if !ok {
        return TaxiiError::unauthorized().into_response();
    }
    next.run(req).await
}

/// 406 unless the Accept header admits the TAXII 2.1 media type (§1.6.8).
async fn accept(req: Request, next: Next) -> Response {
    if !accepts_taxii(req.headers()) {
        return TaxiiError::not_acceptable().into_response();
    }
    next.run(req).await
}

/// Whether `Accept` (absent: anything) admits `application/taxii+json` of
/// version 2.1: that type with no version or version 2.1, `application/*`
/// or `*/*`, with a quality above 0.
fn accepts_taxii(h: &HeaderMap) -> bool {
    let values: Vec<&HeaderValue> = h.get_all(header::ACCEPT).iter().collect();
    if values.is_empty() {
        return true;
    }
    values.iter().any(|v| {
        let Ok(s) = v.to_str() else {
            return false;
        };
        s.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let mut version_ok = true;
            for p in parts {
                let Some((k, v)) = p.split_once('=') else {
                    continue;
                };
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"'));
                if k == "q" && v.parse::<f32>().is_ok_and(|q| q <= 0.0) {
                    return false;
                }
                if k == "version" && v != "2.1" {
                    version_ok = false;
                }
            }
            match media.as_str() {
                "*/*" | "application/*" => true,
                "application/taxii+json" => version_ok,
                _ => false,
            }
        })
    })
}

/// A TAXII response: `body` as JSON with the TAXII media type.
fn taxii<T: Serialize>(body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(b) => taxii_bytes(StatusCode::OK, b),
        Err(e) => TaxiiError::internal(e).into_response(),
    }
}

/// A TAXII response of JSON already written.
pub(crate) fn taxii_bytes(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TAXII_MEDIA_TYPE),
    );
    r
}

pub(crate) fn archive_err(e: ArchiveError) -> TaxiiError {
    match e {
        ArchiveError::NoChannel(c) => TaxiiError::not_found(format!(
            "no API root {c}: this archive follows no such channel (see /taxii2/)"
        )),
        e => TaxiiError::internal(e),
    }
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, TaxiiError> + Send + 'static,
) -> Result<T, TaxiiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(TaxiiError::internal)?
}

#[derive(Serialize)]
struct Discovery {
    title: String,
    description: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    api_roots: Vec<String>,
}

/// The base URL of the API roots in a discovery answer: the configured
/// scheme with the request's `Host` (the authority the client reached, which
/// the configured address is not when the server listens on `0.0.0.0`), or
/// the configured base URL if `Host` is absent or not a host and port.
fn base_url(cfg: &Config, h: &HeaderMap) -> String {
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=255).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    match (host, cfg.base_url.split_once("://")) {
        (Some(host), Some((scheme, _))) => format!("{scheme}://{host}"),
        _ => cfg.base_url.clone(),
    }
}

/// `GET /taxii2/` (§4.1): one API root per channel the archive follows.
async fn discovery(State(s): State<S>, h: HeaderMap) -> Result<Response, TaxiiError> {
    let s2 = s.clone();
    let channels = blocking(move || s2.archive.channels().map_err(archive_err)).await?;
    let base = base_url(&s.cfg, &h);
    let api_roots: Vec<String> = channels
        .iter()
        .map(|c| format!("{base}/{}/", c.id.to_hex()))
        .collect();
    Ok(taxii(&Discovery {
        title: s.cfg.title.clone(),
        description: "The STIX 2.1 evidence of this member's Hotline channels: one API root per channel, with the objects received and sent, and an outbox for a case's evidence (docs/taxii.md)",
        default: api_roots.first().cloned(),
        api_roots,
    }))
}

/// The channel of an API root path, if the archive follows it.
pub(crate) async fn channel(s: &S, root: &str) -> Result<ChannelId, TaxiiError> {
    let id = ChannelId::from_hex(root).map_err(|_| {
        TaxiiError::not_found(format!(
            "no API root {root:?}: an API root is a channel id, 32 lower-case hex digits (see /taxii2/)"
        ))
    })?;
    let s = s.clone();
    blocking(move || s.archive.channel(&id).map(|_| id).map_err(archive_err)).await
}

#[derive(Serialize)]
struct ApiRoot {
    title: String,
    description: &'static str,
    versions: [&'static str; 1],
    max_content_length: u64,
}

/// `GET /{root}/` (§4.2).
async fn api_root(State(s): State<S>, Path(root): Path<String>) -> Result<Response, TaxiiError> {
    let id = channel(&s, &root).await?;
    Ok(taxii(&ApiRoot {
        title: format!("Hotline channel {}", id.to_hex()),
        description: "The STIX objects of this channel's messages: received from the other parties, and sent by ours; and an outbox for the evidence of a case to open",
        versions: [TAXII_MEDIA_TYPE],
        max_content_length: MAX_CONTENT_LENGTH as u64,
    }))
}

#[derive(Serialize)]
struct CollectionResource {
    id: &'static str,
    title: &'static str,
    description: &'static str,
    can_read: bool,
    can_write: bool,
    media_types: [&'static str; 1],
}

/// A collection of an API root: one of the archive's STIX index, or the
/// outbox.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Coll {
    /// `received` or `sent`: read-only.
    Read(StixCollection),
    /// `outbox`: write-only; what is posted goes to the configured draft.
    Outbox,
}

/// The outbox's collection id.
pub(crate) const OUTBOX: &str = "outbox";

fn collection_resource(cfg: &Config, c: Coll) -> CollectionResource {
    let restricted = |c: StixCollection| cfg.withheld(c).is_empty();
    let (id, title, description, can_read) = match c {
        Coll::Read(c @ StixCollection::Received) => (
            "received",
            "Received",
            if restricted(c) {
                "STIX objects in the other parties' messages, as they sent them, TLP:RED and TLP:AMBER+STRICT included"
            } else {
                "STIX objects in the other parties' messages, as they sent them (objects at TLP:RED or TLP:AMBER+STRICT, by marking or by their message's label, withheld)"
            },
            true,
        ),
        Coll::Read(c @ StixCollection::Sent) => (
            "sent",
            "Sent",
            if restricted(c) {
                "STIX objects in our party's messages, as sent, TLP:RED and TLP:AMBER+STRICT included"
            } else {
                "STIX objects in our party's messages, as sent (objects at TLP:RED or TLP:AMBER+STRICT, by marking or by their message's label, withheld)"
            },
            true,
        ),
        Coll::Outbox => (
            OUTBOX,
            "Outbox",
            "Write-only: valid STIX 2.1 objects posted here wait in a draft for `hotline case open --draft`, which sends them to the channel; `hotline evidence show` lists them",
            false,
        ),
    };
    CollectionResource {
        id,
        title,
        description,
        can_read,
        can_write: !can_read,
        media_types: [STIX_MEDIA_TYPE],
    }
}

#[derive(Serialize)]
struct Collections {
    collections: [CollectionResource; 3],
}

/// `GET /{root}/collections/` (§5.1).
async fn collections(State(s): State<S>, Path(root): Path<String>) -> Result<Response, TaxiiError> {
    channel(&s, &root).await?;
    Ok(taxii(&Collections {
        collections: [
            collection_resource(&s.cfg, Coll::Read(StixCollection::Received)),
            collection_resource(&s.cfg, Coll::Read(StixCollection::Sent)),
            collection_resource(&s.cfg, Coll::Outbox),
        ],
    }))
}

pub(crate) fn collection_id(c: &str) -> Result<Coll, TaxiiError> {
    if c == OUTBOX {
        return Ok(Coll::Outbox);
    }
    StixCollection::parse(c).map(Coll::Read).ok_or_else(|| {
        TaxiiError::not_found(format!(
            "no collection {c:?}: the collections are `received`, `sent` and `outbox`"
        ))
    })
}

/// A collection that can be read: 403 for the outbox (§5.3: the client
/// may not read this objects resource).
fn readable(c: &str, draft: &str) -> Result<StixCollection, TaxiiError> {
    match collection_id(c)? {
        Coll::Read(c) => Ok(c),
        Coll::Outbox => Err(TaxiiError::forbidden(format!(
            "the outbox cannot be read (can_read is false): what is posted to it waits in draft \
             {draft:?}, which `hotline evidence show {draft}` lists; read `received` and `sent`"
        ))),
    }
}

/// `GET /{root}/collections/{id}/` (§5.2).
async fn collection(
    State(s): State<S>,
    Path((root, coll)): Path<(String, String)>,
) -> Result<Response, TaxiiError> {
    channel(&s, &root).await?;
    Ok(taxii(&collection_resource(&s.cfg, collection_id(&coll)?)))
}

/// Which filters an endpoint takes (§3.4.1, and each endpoint's table).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Objects,
    Object,
    Versions,
}

/// Parses the URL parameters into a query (unknown ones are ignored).
fn parse_query(
    cfg: &Config,
    coll: StixCollection,
    params: &[(String, String)],
    endpoint: Endpoint,
) -> Result<StixQuery, TaxiiError> {
    let list = |v: &str| -> Vec<String> { v.split(',').map(str::to_owned).collect() };
    let mut q = StixQuery {
        collection: coll,
        after: 0,
        limit: MAX_PAGE,
        added_after_ms: None,
        ids: vec![],
        types: vec![],
        spec_versions: vec![],
        versions: if endpoint == Endpoint::Versions {
            VersionMatch::all()
        } else {
            VersionMatch::last()
        },
        withhold: cfg.withheld(coll).iter().map(|s| (*s).to_owned()).collect(),
    };
    for (k, v) in params {
        match k.as_str() {
            "limit" => {
                let n: u32 = v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    TaxiiError::bad_request(format!("limit {v:?}: a positive integer"))
                })?;
                q.limit = n.min(MAX_PAGE);
            }
            "next" => {
                q.after = v.parse().map_err(|_| {
                    TaxiiError::bad_request(format!(
                        "next {v:?}: not a token this server gave; start again without it"
                    ))
                })?;
            }
            "added_after" => {
                let t = time::OffsetDateTime::parse(
                    v,
                    &time::format_description::well_known::Rfc3339,
                )
                .map_err(|_| {
                    TaxiiError::bad_request(format!(
                        "added_after {v:?}: an RFC 3339 timestamp, like 2026-12-01T00:00:00.000Z"
                    ))
                })?;
                let ms = t.unix_timestamp_nanos().div_euclid(1_000_000);
                q.added_after_ms = Some(i64::try_from(ms).unwrap_or(i64::MAX));
            }
            "match[spec_version]" => q.spec_versions = list(v),
            "match[id]" if endpoint == Endpoint::Objects => q.ids = list(v),
            "match[type]" if endpoint == Endpoint::Objects => q.types = list(v),
            "match[version]" if endpoint != Endpoint::Versions => {
                q.versions = VersionMatch::parse(v)
                    .map_err(|e| TaxiiError::bad_request(format!("match[version]: {e}")))?;
            }
            _ => {}
        }
    }
    Ok(q)
}

/// The URL parameters, or 400 as a TAXII error if they do not decode.
fn query(
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Vec<(String, String)>, TaxiiError> {
    params
        .map(|Query(p)| p)
        .map_err(|e| TaxiiError::bad_request(format!("the URL parameters: {e}")))
}

/// Indexes what is new, then answers one page.
async fn page(
    s: &S,
    root: &str,
    coll: &str,
    object: Option<String>,
    params: Vec<(String, String)>,
    endpoint: Endpoint,
) -> Result<StixPage, TaxiiError> {
    let id = channel(s, root).await?;
    let mut q = parse_query(&s.cfg, readable(coll, &s.cfg.draft)?, &params, endpoint)?;
    if let Some(o) = &object {
        q.ids = vec![o.clone()];
    }
    let s = s.clone();
    blocking(move || {
        s.archive
            .index_stix(&id, &s.cfg.our_party)
            .map_err(archive_err)?;
        let page = s.archive.stix_page(&id, &q).map_err(archive_err)?;
        if let Some(o) = &object
            && page.objects.is_empty()
            && q.after == 0
            && !s
                .archive
                .stix_has(&id, q.collection, o, &q.withhold)
                .map_err(archive_err)?
        {
            return Err(TaxiiError::not_found(format!(
                "no object {o} in this collection"
            )));
        }
        Ok(page)
    })
    .await
}

/// The page's `next` token and date headers.
fn paged<T: Serialize>(page: &StixPage, body: &T) -> Response {
    let mut r = taxii(body);
    if let (Some(first), Some(last)) = (page.objects.first(), page.objects.last()) {
        for (name, ms) in [
            ("x-taxii-date-added-first", first.added_ms),
            ("x-taxii-date-added-last", last.added_ms),
        ] {
            if let Ok(v) = HeaderValue::from_str(&date_added_text(ms)) {
                r.headers_mut().insert(name, v);
            }
        }
    }
    r
}

fn next_token(page: &StixPage) -> Option<String> {
    page.more
        .then(|| page.objects.last().map(|o| o.seq.to_string()))
        .flatten()
}

#[derive(Serialize)]
struct Envelope<'a> {
    more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    objects: Vec<&'a RawValue>,
}

fn envelope(page: &StixPage) -> Response {
    paged(
        page,
        &Envelope {
            more: page.more,
            next: next_token(page),
            objects: page.objects.iter().map(|o| &*o.object).collect(),
        },
    )
}

/// `GET …/objects/` (§5.3).
async fn objects(
    State(s): State<S>,
    Path((root, coll)): Path<(String, String)>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, TaxiiError> {
    let p = page(&s, &root, &coll, None, query(params)?, Endpoint::Objects).await?;
    Ok(envelope(&p))
}

/// `GET …/objects/{id}/` (§5.6).
async fn object(
    State(s): State<S>,
    Path((root, coll, id)): Path<(String, String, String)>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, TaxiiError> {
    let p = page(&s, &root, &coll, Some(id), query(params)?, Endpoint::Object).await?;
    Ok(envelope(&p))
}

#[derive(Serialize)]
struct Versions<'a> {
    more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    versions: Vec<&'a str>,
}

/// `GET …/objects/{id}/versions/` (§5.8).
async fn versions(
    State(s): State<S>,
    Path((root, coll, id)): Path<(String, String, String)>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, TaxiiError> {
    let p = page(
        &s,
        &root,
        &coll,
        Some(id),
        query(params)?,
        Endpoint::Versions,
    )
    .await?;
    Ok(paged(
        &p,
        &Versions {
            more: p.more,
            next: next_token(&p),
            versions: p.objects.iter().map(|o| o.version.as_str()).collect(),
        },
    ))
}

#[derive(Serialize)]
struct ManifestRecord<'a> {
    id: &'a str,
    date_added: String,
    version: &'a str,
    media_type: &'static str,
}

#[derive(Serialize)]
struct Manifest<'a> {
    more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    objects: Vec<ManifestRecord<'a>>,
}

/// `GET …/manifest/` (§5.4).
async fn manifest(
    State(s): State<S>,
    Path((root, coll)): Path<(String, String)>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, TaxiiError> {
    let p = page(&s, &root, &coll, None, query(params)?, Endpoint::Objects).await?;
    Ok(paged(
        &p,
        &Manifest {
            more: p.more,
            next: next_token(&p),
            objects: p
                .objects
                .iter()
                .map(|o| ManifestRecord {
                    id: &o.id,
                    date_added: date_added_text(o.added_ms),
                    version: &o.version,
                    media_type: STIX_MEDIA_TYPE,
                })
                .collect(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(accept: &[&str]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for a in accept {
            m.append(header::ACCEPT, HeaderValue::from_str(a).unwrap());
        }
        m
    }

    #[test]
    fn accept_admits_taxii_2_1_only() {
        for ok in [
            &[][..],
            &["application/taxii+json;version=2.1"],
            &["application/taxii+json"],
            &["application/taxii+json; version=\"2.1\""],
            &["*/*"],
            &["text/html, application/*;q=0.5"],
        ] {
            assert!(accepts_taxii(&h(ok)), "{ok:?}");
        }
        for bad in [
            &["application/taxii+json;version=2.0"][..],
            &["application/json"],
            &["application/stix+json;version=2.1"],
            &["application/taxii+json;version=2.1;q=0"],
        ] {
            assert!(!accepts_taxii(&h(bad)), "{bad:?}");
        }
    }

    #[test]
    fn parameters_are_parsed_or_refused() {
        let party = hotline_core::keys::KeyId::from_hex(&"01".repeat(32)).unwrap();
        let mut cfg = Config::new("taxii", "pw", party, "http://127.0.0.1:1".into());
        let p = |kv: &[(&str, &str)]| {
            parse_query(
                &cfg,
                StixCollection::Received,
                &kv.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<Vec<_>>(),
                Endpoint::Objects,
            )
        };
        let q = p(&[
            ("limit", "5000"),
            ("next", "17"),
            ("added_after", "2026-01-01T00:00:00.0019Z"),
            ("match[type]", "indicator,malware"),
            ("match[version]", "first"),
        ])
        .unwrap();
        assert_eq!(q.limit, MAX_PAGE);
        assert_eq!(q.after, 17);
        assert_eq!(q.added_after_ms, Some(1_767_225_600_001));
        assert_eq!(q.types, ["indicator", "malware"]);
        assert!(q.versions.first && !q.versions.last);
        assert_eq!(q.withhold, ["red", "amber+strict"]);
        for bad in [
            ("limit", "0"),
            ("limit", "x"),
            ("next", "abc"),
            ("added_after", "yesterday"),
            ("match[version]", "newest"),
        ] {
            assert_eq!(
                p(&[bad]).unwrap_err().status,
                StatusCode::BAD_REQUEST,
                "{bad:?}"
            );
        }
        let mut h = HeaderMap::new();
        assert_eq!(base_url(&cfg, &h), "http://127.0.0.1:1");
        h.insert(
            header::HOST,
            HeaderValue::from_static("taxii.cert.example:9100"),
        );
        assert_eq!(base_url(&cfg, &h), "http://taxii.cert.example:9100");
        h.insert(header::HOST, HeaderValue::from_static("[::1]:9100"));
        assert_eq!(base_url(&cfg, &h), "http://[::1]:9100");
        h.insert(header::HOST, HeaderValue::from_static("evil/x?"));
        assert_eq!(base_url(&cfg, &h), "http://127.0.0.1:1");
        cfg.serve_restricted = vec![StixCollection::Received];
        let q = parse_query(&cfg, StixCollection::Received, &[], Endpoint::Objects).unwrap();
        assert!(q.withhold.is_empty());
        let q = parse_query(&cfg, StixCollection::Sent, &[], Endpoint::Objects).unwrap();
        assert_eq!(q.withhold, ["red", "amber+strict"]);
    }
}

#[cfg(test)]
mod router_tests {
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    fn app(d: &std::path::Path) -> Router {
        let archive = Arc::new(hotline_client::archive::Archive::open(d).unwrap());
        let party = hotline_core::keys::KeyId::from_hex(&"01".repeat(32)).unwrap();
        router(
            archive,
            Config::new("taxii", "s3cret pass", party, "http://127.0.0.1:1".into()),
        )
    }

    async fn get(app: &Router, path: &str, auth: Option<&str>, accept: &str) -> Response {
        let mut r = axum::http::Request::get(path).header(header::ACCEPT, accept);
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, format!("Basic {}", B64.encode(a)));
        }
        app.clone()
            .oneshot(r.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn json(r: Response) -> serde_json::Value {
        serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap()
    }

    const OURS: &str = "0101010101010101010101010101010101010101010101010101010101010101";
    const THEIRS: &str = "0202020202020202020202020202020202020202020202020202020202020202";
    const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
    const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

    fn indicator(n: u8, marking: Option<&str>) -> String {
        let m = marking
            .map(|m| format!(r#","object_marking_refs":["{m}"]"#))
            .unwrap_or_default();
        format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{n:02x}2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"{m}}}"#
        )
    }

    /// An archive of one channel with three messages: Theirs' labelled
    /// TLP:GREEN with a TLP:GREEN indicator (1) and a TLP:RED one (2);
    /// Theirs' labelled TLP:AMBER+STRICT with an unmarked one (3); ours
    /// labelled TLP:RED with an unmarked one (4).
    fn archive_with_evidence(d: &std::path::Path) -> hotline_core::ids::ChannelId {
        use hotline_core::commitment::{Part, PartKind, encode_parts};
        use hotline_core::ids::{ChannelId, MessageId};
        use hotline_core::keys::KeyId;
        use hotline_core::message::{InnerHeader, Kind, Tlp};
        let a = hotline_client::archive::Archive::open(d).unwrap();
        let ch = ChannelId::from_hex(&"ab".repeat(16)).unwrap();
        a.add_channel(&hotline_client::archive::ChannelRecord {
            id: ch,
            origin: format!("test/{}", ch.to_hex()),
            relay_url: "http://127.0.0.1:1".into(),
            relay_vkey: String::new(),
            charter: Vec::new(),
        })
        .unwrap();
        let (ours, theirs) = (
            KeyId::from_hex(OURS).unwrap(),
            KeyId::from_hex(THEIRS).unwrap(),
        );
        let messages = [
            (
                theirs,
                Tlp::Green,
                vec![indicator(1, Some(GREEN)), indicator(2, Some(RED))],
            ),
            (theirs, Tlp::AmberStrict, vec![indicator(3, None)]),
            (ours, Tlp::Red, vec![indicator(4, None)]),
        ];
        for (i, (party, tlp, objs)) in messages.into_iter().enumerate() {
            let id = MessageId::from_hex(&format!("{:032x}", i + 1)).unwrap();
            let h = InnerHeader {
                v: 1,
                channel: ch,
                id,
                case: id,
                kind: Kind::Inquiry,
                author: party,
                party,
                created: "2026-01-01T00:00:00Z".into(),
                to: vec![],
                refs: vec![],
                title: "evidence".into(),
                tlp,
                norm: None,
                lang: "en".into(),
                other_langs: vec![],
                authentic: vec![],
                attachments: vec![],
                stix: true,
                nonce: format!("{i:032x}"),
            };
            let bundle = format!(
                r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{}]}}"#,
                objs.join(",")
            );
            let parts = encode_parts(&[Part {
                kind: PartKind::Stix,
                salt: [7; 32],
                bytes: bundle.into_bytes(),
            }]);
            a.put_message(&ch, i as u64 + 1, &h, "evidence", &parts)
                .unwrap();
        }
        ch
    }

    fn app_serving(d: &std::path::Path, restricted: &[StixCollection]) -> Router {
        let archive = Arc::new(hotline_client::archive::Archive::open(d).unwrap());
        let party = hotline_core::keys::KeyId::from_hex(OURS).unwrap();
        let mut cfg = Config::new("taxii", "s3cret pass", party, "https://127.0.0.1:1".into());
        cfg.serve_restricted = restricted.to_vec();
        router(archive, cfg)
    }

    /// The numbers of the indicators a collection serves.
    async fn served(app: &Router, ch: &str, coll: &str) -> Vec<u8> {
        let r = get(
            app,
            &format!("/{ch}/collections/{coll}/objects/"),
            Some("taxii:s3cret pass"),
            TAXII_MEDIA_TYPE,
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let v = json(r).await;
        v["objects"]
            .as_array()
            .map(|o| {
                o.iter()
                    .map(|o| {
                        u8::from_str_radix(
                            &o["id"].as_str().unwrap()["indicator--".len()..][..2],
                            16,
                        )
                        .unwrap()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn restricted_objects_are_served_only_where_asked() {
        let d = tempfile::tempdir().unwrap();
        let ch = archive_with_evidence(d.path()).to_hex();
        let ok = Some("taxii:s3cret pass");
        let red = "indicator--022e2d2b-17d4-4cbf-938f-98ee46b3cd3f";

        // By default: neither the TLP:RED object, nor the unmarked ones in
        // messages labelled TLP:AMBER+STRICT or TLP:RED.
        let app = app_serving(d.path(), &[]);
        let r = get(&app, "/taxii2/", ok, "*/*").await;
        assert_eq!(
            json(r).await["api_roots"],
            serde_json::json!([format!("https://127.0.0.1:1/{ch}/")])
        );
        assert_eq!(served(&app, &ch, "received").await, [1]);
        assert_eq!(served(&app, &ch, "sent").await, Vec::<u8>::new());
        let r = get(
            &app,
            &format!("/{ch}/collections/received/objects/{red}/"),
            ok,
            "*/*",
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = get(&app, &format!("/{ch}/collections/received/"), ok, "*/*").await;
        assert!(
            json(r).await["description"]
                .as_str()
                .unwrap()
                .contains("withheld")
        );

        // Served in `received` only.
        let app = app_serving(d.path(), &[StixCollection::Received]);
        assert_eq!(served(&app, &ch, "received").await, [1, 2, 3]);
        assert_eq!(served(&app, &ch, "sent").await, Vec::<u8>::new());
        let r = get(
            &app,
            &format!("/{ch}/collections/received/objects/{red}/"),
            ok,
            "*/*",
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = get(&app, &format!("/{ch}/collections/received/"), ok, "*/*").await;
        assert!(
            json(r).await["description"]
                .as_str()
                .unwrap()
                .contains("included")
        );

        // In `sent` only.
        let app = app_serving(d.path(), &[StixCollection::Sent]);
        assert_eq!(served(&app, &ch, "received").await, [1]);
        assert_eq!(served(&app, &ch, "sent").await, [4]);
    }

    #[tokio::test]
    async fn authentication_accept_and_errors() {
        let d = tempfile::tempdir().unwrap();
        let app = app(d.path());
        for auth in [
            None,
            Some("taxii:wrong"),
            Some("other:s3cret pass"),
            Some("taxii"),
        ] {
            let r = get(&app, "/taxii2/", auth, TAXII_MEDIA_TYPE).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
            assert!(
                r.headers()[header::WWW_AUTHENTICATE]
                    .to_str()
                    .unwrap()
                    .starts_with("Basic ")
            );
            assert_eq!(r.headers()[header::CONTENT_TYPE], TAXII_MEDIA_TYPE);
            assert_eq!(json(r).await["http_status"], "401");
        }
        let ok = Some("taxii:s3cret pass");
        let r = get(&app, "/taxii2/", ok, TAXII_MEDIA_TYPE).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], TAXII_MEDIA_TYPE);
        let v = json(r).await;
        assert_eq!(v["api_roots"], serde_json::json!([]));
        assert_eq!(v["title"], "Hotline TAXII 2.1 server");
        let r = get(&app, "/taxii2/", ok, "application/json").await;
        assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
        assert_eq!(json(r).await["http_status"], "406");
        let r = app
            .clone()
            .oneshot(
                axum::http::Request::post("/taxii2/")
                    .header(
                        header::AUTHORIZATION,
                        format!("Basic {}", B64.encode("taxii:s3cret pass")),
                    )
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers()[header::CONTENT_TYPE], TAXII_MEDIA_TYPE);
        assert_eq!(json(r).await["http_status"], "405");
        for path in [
            "/nothing",
            "/zz/",
            &format!("/{}/collections/", "ab".repeat(16)),
        ] {
            let r = get(&app, path, ok, TAXII_MEDIA_TYPE).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(json(r).await["http_status"], "404");
        }
    }

    const AUTH: Option<&str> = Some("taxii:s3cret pass");
    const CH: ChannelId = ChannelId([7; 16]);

    /// A router over an archive that follows the channel `CH`.
    fn app_with_channel(d: &std::path::Path) -> Router {
        let a = hotline_client::archive::Archive::open(d).unwrap();
        a.add_channel(&hotline_client::archive::ChannelRecord {
            id: CH,
            origin: format!("test.relay/{}", CH.to_hex()),
            relay_url: "http://127.0.0.1:1".into(),
            relay_vkey: "unused".into(),
            charter: vec![],
        })
        .unwrap();
        drop(a);
        app(d)
    }

    async fn post(
        app: &Router,
        path: &str,
        auth: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Response {
        let mut r = axum::http::Request::post(path).header(header::ACCEPT, TAXII_MEDIA_TYPE);
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, format!("Basic {}", B64.encode(a)));
        }
        if let Some(c) = content_type {
            r = r.header(header::CONTENT_TYPE, c);
        }
        app.clone()
            .oneshot(r.body(body.into()).unwrap())
            .await
            .unwrap()
    }

    async fn text(r: Response) -> String {
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    fn spaced_indicator(n: u32, spacing: &str) -> String {
        format!(
            r#"{{"type":{spacing}"indicator","spec_version":"2.1","id":"indicator--a932fcc6-e032-476c-826f-cb970a5a{n:04x}","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-21T08:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.{n}']","pattern_type":"stix","valid_from":"2026-11-20T08:00:00Z"}}"#
        )
    }

    fn root() -> String {
        format!("/{}", CH.to_hex())
    }

    #[tokio::test]
    async fn the_outbox_is_write_only_and_the_others_read_only() {
        let d = tempfile::tempdir().unwrap();
        let app = app_with_channel(d.path());
        let v = json(
            get(
                &app,
                &format!("{}/collections/", root()),
                AUTH,
                TAXII_MEDIA_TYPE,
            )
            .await,
        )
        .await;
        let colls = v["collections"].as_array().unwrap();
        let by_id = |id: &str| colls.iter().find(|c| c["id"] == id).unwrap().clone();
        assert_eq!(colls.len(), 3);
        let outbox = by_id("outbox");
        assert_eq!(
            (&outbox["can_read"], &outbox["can_write"]),
            (&false.into(), &true.into())
        );
        assert_eq!(outbox["media_types"], serde_json::json!([STIX_MEDIA_TYPE]));
        for id in ["received", "sent"] {
            assert_eq!(by_id(id)["can_write"], false);
            assert_eq!(by_id(id)["can_read"], true);
        }
        let r = get(
            &app,
            &format!("{}/collections/outbox/", root()),
            AUTH,
            TAXII_MEDIA_TYPE,
        )
        .await;
        assert_eq!(json(r).await["can_write"], true);
        let v = json(get(&app, &format!("{}/", root()), AUTH, TAXII_MEDIA_TYPE).await).await;
        assert_eq!(v["max_content_length"], MAX_CONTENT_LENGTH as u64);

        // Reading the outbox: 403, with a TAXII error.
        for end in [
            "objects/",
            "manifest/",
            "objects/indicator--a932fcc6-e032-476c-826f-cb970a5a0001/",
            "objects/indicator--a932fcc6-e032-476c-826f-cb970a5a0001/versions/",
        ] {
            let r = get(
                &app,
                &format!("{}/collections/outbox/{end}", root()),
                AUTH,
                TAXII_MEDIA_TYPE,
            )
            .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{end}");
            assert_eq!(r.headers()[header::CONTENT_TYPE], TAXII_MEDIA_TYPE);
            let e = json(r).await;
            assert_eq!(e["http_status"], "403");
            assert!(
                e["description"].as_str().unwrap().contains("evidence show"),
                "{e}"
            );
        }
        // Writing the others: 403, and nothing is added.
        let env = format!(r#"{{"objects":[{}]}}"#, spaced_indicator(1, ""));
        for c in ["received", "sent"] {
            let r = post(
                &app,
                &format!("{}/collections/{c}/objects/", root()),
                AUTH,
                Some(TAXII_MEDIA_TYPE),
                env.clone(),
            )
            .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{c}");
            assert_eq!(json(r).await["http_status"], "403");
        }
        // No such collection: 404.
        let r = post(
            &app,
            &format!("{}/collections/inbox/objects/", root()),
            AUTH,
            Some(TAXII_MEDIA_TYPE),
            env.clone(),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let a = hotline_client::archive::Archive::open(d.path()).unwrap();
        assert!(a.drafts().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_post_that_is_not_a_taxii_envelope_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let app = app_with_channel(d.path());
        let url = format!("{}/collections/outbox/objects/", root());
        let env = format!(r#"{{"objects":[{}]}}"#, spaced_indicator(1, ""));
        // Without credentials: 401, whatever the body.
        let r = post(&app, &url, None, Some(TAXII_MEDIA_TYPE), env.clone()).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = post(
            &app,
            &url,
            Some("taxii:wrong"),
            Some(TAXII_MEDIA_TYPE),
            env.clone(),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // Another media type, or none: 415.
        for ct in [
            None,
            Some("application/json"),
            Some("application/stix+json;version=2.1"),
            Some("application/taxii+json;version=2.0"),
        ] {
            let r = post(&app, &url, AUTH, ct, env.clone()).await;
            assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
            assert_eq!(r.headers()[header::CONTENT_TYPE], TAXII_MEDIA_TYPE);
            assert_eq!(json(r).await["http_status"], "415");
        }
        // Larger than max_content_length: 413, declared or not.
        let mut big = env.clone().into_bytes();
        big.resize(MAX_CONTENT_LENGTH + 1, b' ');
        let r = post(&app, &url, AUTH, Some(TAXII_MEDIA_TYPE), big).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let e = json(r).await;
        assert_eq!(e["http_status"], "413");
        assert!(
            e["description"]
                .as_str()
                .unwrap()
                .contains("max_content_length"),
            "{e}"
        );
        let r = app
            .clone()
            .oneshot(
                axum::http::Request::post(&url)
                    .header(
                        header::AUTHORIZATION,
                        format!("Basic {}", B64.encode(AUTH.unwrap())),
                    )
                    .header(header::CONTENT_TYPE, TAXII_MEDIA_TYPE)
                    .header(header::CONTENT_LENGTH, (MAX_CONTENT_LENGTH + 1).to_string())
                    .body(Body::from(env.clone()))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        // Not JSON: 400; JSON but no list of objects: 422.
        for (body, want) in [
            (r#"{"objects": ["#, StatusCode::BAD_REQUEST),
            ("", StatusCode::BAD_REQUEST),
            ("[1, 2]", StatusCode::UNPROCESSABLE_ENTITY),
            (r#"{"more": false}"#, StatusCode::UNPROCESSABLE_ENTITY),
            (r#"{"objects": {}}"#, StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let r = post(&app, &url, AUTH, Some(TAXII_MEDIA_TYPE), body).await;
            assert_eq!(r.status(), want, "{body:?}");
            let e = json(r).await;
            assert_eq!(e["http_status"], want.as_u16().to_string());
            assert!(
                e["description"].as_str().unwrap().contains("envelope"),
                "{e}"
            );
        }
        let a = hotline_client::archive::Archive::open(d.path()).unwrap();
        assert!(a.drafts().unwrap().is_empty());
    }

    #[tokio::test]
    async fn valid_objects_go_to_the_draft_verbatim_and_the_status_is_kept() {
        let d = tempfile::tempdir().unwrap();
        let app = app_with_channel(d.path());
        let url = format!("{}/collections/outbox/objects/", root());
        // Spacing a re-serialisation would lose; an SCO (no version); one
        // indicator whose pattern does not parse.
        let one = spaced_indicator(1, "  ");
        let sco = r#"{ "type" : "ipv4-addr", "spec_version":"2.1", "id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value":"198.51.100.3" }"#;
        let bad = spaced_indicator(2, "").replace("198.51.100.2']", "198.51.100.2'");
        let env = format!("{{\"objects\": [{one},\n {sco}, {bad}], \"more\": false}}");
        let r = post(&app, &url, AUTH, Some(TAXII_MEDIA_TYPE), env).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        assert_eq!(r.headers()[header::CONTENT_TYPE], TAXII_MEDIA_TYPE);
        let body = text(r).await;
        let st: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(st["status"], "complete");
        assert_eq!(
            (
                &st["total_count"],
                &st["success_count"],
                &st["failure_count"],
                &st["pending_count"]
            ),
            (&3.into(), &2.into(), &1.into(), &0.into())
        );
        let sid = st["id"].as_str().unwrap().to_owned();
        assert_eq!(sid.len(), 36);
        assert_eq!(
            st["successes"][0]["id"],
            "indicator--a932fcc6-e032-476c-826f-cb970a5a0001"
        );
        assert_eq!(st["successes"][0]["version"], "2026-11-21T08:00:00.000Z");
        assert_eq!(st["successes"][1]["version"], st["request_timestamp"]);
        let f = &st["failures"][0];
        assert_eq!(f["id"], "indicator--a932fcc6-e032-476c-826f-cb970a5a0002");
        assert_eq!(f["version"], "2026-11-21T08:00:00.000Z");
        let m = f["message"].as_str().unwrap();
        assert!(
            m.starts_with("object 2 of the envelope was not added: "),
            "{m}"
        );
        assert!(m.contains("pattern"), "{m}");

        // In the draft, byte for byte, with where they came from.
        let a = hotline_client::archive::Archive::open(d.path()).unwrap();
        let objs = a
            .draft_objects(&CH, hotline_client::archive::DEFAULT_DRAFT)
            .unwrap();
        let texts: Vec<&str> = objs.iter().map(|o| o.json.as_str()).collect();
        assert_eq!(texts, [one.as_str(), sco]);
        assert!(objs.iter().all(|o| o.source == "taxii outbox"));

        // Again: a success, already in the draft; nothing added.
        let r = post(
            &app,
            &url,
            AUTH,
            Some("application/taxii+json; version=2.1"),
            format!(r#"{{"objects":[{one}]}}"#),
        )
        .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let again = json(r).await;
        assert_eq!(again["success_count"], 1);
        assert!(
            again["successes"][0]["message"]
                .as_str()
                .unwrap()
                .contains("already in draft"),
            "{again}"
        );
        assert_eq!(a.draft_objects(&CH, "evidence").unwrap().len(), 2);
        // Nothing to add: a status, and no draft started for it.
        let r = post(
            &app,
            &url,
            AUTH,
            Some(TAXII_MEDIA_TYPE),
            r#"{"objects":[]}"#,
        )
        .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        assert_eq!(json(r).await["total_count"], 0);
        assert_eq!(a.drafts().unwrap().len(), 1);

        // The status, with and without the final '/', as answered.
        for path in [
            format!("{}/status/{sid}/", root()),
            format!("{}/status/{sid}", root()),
        ] {
            let r = get(&app, &path, AUTH, TAXII_MEDIA_TYPE).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(r.headers()[header::CONTENT_TYPE], TAXII_MEDIA_TYPE);
            assert_eq!(text(r).await, body);
        }
        let r = get(
            &app,
            &format!("{}/status/{sid}/", root()),
            None,
            TAXII_MEDIA_TYPE,
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = get(
            &app,
            &format!("{}/status/2f0e1c4b-8a4e-4b7e-9d61-0c0e6c1f3a55/", root()),
            AUTH,
            TAXII_MEDIA_TYPE,
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(json(r).await["http_status"], "404");
        // Another channel's API root does not have it.
        let r = get(
            &app,
            &format!("/{}/status/{sid}/", "ab".repeat(16)),
            AUTH,
            TAXII_MEDIA_TYPE,
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);

        // After a restart (the archive opened again), still there.
        drop((app, a));
        let app = super::router_tests::app(d.path());
        let r = get(
            &app,
            &format!("{}/status/{sid}/", root()),
            AUTH,
            TAXII_MEDIA_TYPE,
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(text(r).await, body);
    }

    #[tokio::test]
    async fn a_changed_object_under_a_held_version_fails_and_the_rest_is_added() {
        let d = tempfile::tempdir().unwrap();
        let app = app_with_channel(d.path());
        let url = format!("{}/collections/outbox/objects/", root());
        let one = spaced_indicator(1, "");
        let r = post(
            &app,
            &url,
            AUTH,
            Some(TAXII_MEDIA_TYPE),
            format!("{{\"objects\":[{one}]}}"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        // The same id and version, another pattern; and a new object.
        let changed = one.replace("198.51.100.1'", "203.0.113.1'");
        let two = spaced_indicator(2, "");
        let r = post(
            &app,
            &url,
            AUTH,
            Some(TAXII_MEDIA_TYPE),
            format!("{{\"objects\":[{two},{changed}]}}"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let st: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
        assert_eq!(
            (&st["success_count"], &st["failure_count"]),
            (&1.into(), &1.into())
        );
        assert_eq!(
            st["successes"][0]["id"],
            "indicator--a932fcc6-e032-476c-826f-cb970a5a0002"
        );
        let f = &st["failures"][0];
        assert_eq!(f["id"], "indicator--a932fcc6-e032-476c-826f-cb970a5a0001");
        let m = f["message"].as_str().unwrap();
        assert!(
            m.starts_with("object 1 of the envelope was not added: "),
            "{m}"
        );
        assert!(m.contains("another object with this id and version"), "{m}");
        // The draft holds the first object as it was, and the new one.
        let a = hotline_client::archive::Archive::open(d.path()).unwrap();
        let texts: Vec<String> = a
            .draft_objects(&CH, hotline_client::archive::DEFAULT_DRAFT)
            .unwrap()
            .into_iter()
            .map(|o| o.json)
            .collect();
        assert_eq!(texts, [one, two]);
    }

    #[tokio::test]
    async fn a_post_the_draft_cannot_take_adds_nothing() {
        let d = tempfile::tempdir().unwrap();
        let app = app_with_channel(d.path());
        // A draft all but full.
        let max = hotline_client::archive::MAX_DRAFT_BYTES;
        let filler = spaced_indicator(8, "").replace(
            "\"pattern_type\"",
            &format!(
                "\"description\":\"{}\",\"pattern_type\"",
                "x".repeat(max - 400)
            ),
        );
        let a = hotline_client::archive::Archive::open(d.path()).unwrap();
        a.add_to_draft(&CH, "evidence", &[filler.as_str()], "test")
            .unwrap();
        let env = format!(
            r#"{{"objects":[{},{}]}}"#,
            spaced_indicator(1, ""),
            spaced_indicator(2, "")
        );
        let r = post(
            &app,
            &format!("{}/collections/outbox/objects/", root()),
            AUTH,
            Some(TAXII_MEDIA_TYPE),
            env,
        )
        .await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let e = json(r).await;
        let m = e["description"].as_str().unwrap();
        assert!(m.starts_with("nothing was added"), "{m}");
        assert!(m.contains("case open --draft evidence"), "{m}");
        assert_eq!(a.draft_objects(&CH, "evidence").unwrap().len(), 1);
    }

    #[tokio::test]
    async fn the_outbox_goes_to_the_draft_configured() {
        let d = tempfile::tempdir().unwrap();
        drop(app_with_channel(d.path()));
        let archive = Arc::new(hotline_client::archive::Archive::open(d.path()).unwrap());
        let party = hotline_core::keys::KeyId::from_hex(&"01".repeat(32)).unwrap();
        let mut cfg = Config::new("taxii", "s3cret pass", party, "http://127.0.0.1:1".into());
        cfg.draft = "case-7".into();
        let app = router(archive.clone(), cfg);
        let one = spaced_indicator(5, "");
        let r = post(
            &app,
            &format!("{}/collections/outbox/objects/", root()),
            AUTH,
            Some(TAXII_MEDIA_TYPE),
            format!(r#"{{"objects":[{one}]}}"#),
        )
        .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let texts: Vec<String> = archive
            .draft_objects(&CH, "case-7")
            .unwrap()
            .into_iter()
            .map(|o| o.json)
            .collect();
        assert_eq!(texts, [one]);
        assert!(archive.draft_objects(&CH, "evidence").is_err());
    }
}
