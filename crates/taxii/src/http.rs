//! The TAXII 2.1 endpoints (TAXII 2.1 §4, §5): axum handlers over the
//! archive's STIX index. Only this module knows the JSON shapes of TAXII.

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

use crate::{Config, MAX_PAGE, STIX_MEDIA_TYPE, Server, TAXII_MEDIA_TYPE, TaxiiError};

type S = Arc<Server>;

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
        .route("/{root}/collections/{coll}/objects/", get(objects))
        .route("/{root}/collections/{coll}/objects/{id}/", get(object))
        .route(
            "/{root}/collections/{coll}/objects/{id}/versions/",
            get(versions),
        )
        .route("/{root}/collections/{coll}/manifest/", get(manifest))
        .fallback(|| async {
            TaxiiError::not_found(
                "no such TAXII resource; start at /taxii2/ (every TAXII URL ends with '/')",
            )
        })
        .method_not_allowed_fallback(|| async {
            TaxiiError::method_not_allowed(
                "this server is read-only: only GET is served (no outbox yet; docs/taxii.md)",
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
        Ok(b) => {
            let mut r = (StatusCode::OK, b).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(TAXII_MEDIA_TYPE),
            );
            r
        }
        Err(e) => TaxiiError::internal(e).into_response(),
    }
}

fn archive_err(e: ArchiveError) -> TaxiiError {
    match e {
        ArchiveError::NoChannel(c) => TaxiiError::not_found(format!(
            "no API root {c}: this archive follows no such channel (see /taxii2/)"
        )),
        e => TaxiiError::internal(e),
    }
}

async fn blocking<T: Send + 'static>(
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
        description: "The STIX 2.1 evidence of this member's Hotline channels: one API root per channel, read-only (docs/taxii.md)",
        default: api_roots.first().cloned(),
        api_roots,
    }))
}

/// The channel of an API root path, if the archive follows it.
async fn channel(s: &S, root: &str) -> Result<ChannelId, TaxiiError> {
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
        description: "The STIX objects of this channel's messages: received from the other parties, and sent by ours",
        versions: [TAXII_MEDIA_TYPE],
        // Read-only: no request body is accepted.
        max_content_length: 0,
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

fn collection_resource(cfg: &Config, c: StixCollection) -> CollectionResource {
    let restricted = cfg.withheld(c).is_empty();
    let (title, description) = match (c, restricted) {
        (StixCollection::Received, false) => (
            "Received",
            "STIX objects in the other parties' messages, as they sent them (objects at TLP:RED or TLP:AMBER+STRICT, by marking or by their message's label, withheld)",
        ),
        (StixCollection::Received, true) => (
            "Received",
            "STIX objects in the other parties' messages, as they sent them, TLP:RED and TLP:AMBER+STRICT included",
        ),
        (StixCollection::Sent, false) => (
            "Sent",
            "STIX objects in our party's messages, as sent (objects at TLP:RED or TLP:AMBER+STRICT, by marking or by their message's label, withheld)",
        ),
        (StixCollection::Sent, true) => (
            "Sent",
            "STIX objects in our party's messages, as sent, TLP:RED and TLP:AMBER+STRICT included",
        ),
    };
    CollectionResource {
        id: c.as_str(),
        title,
        description,
        can_read: true,
        can_write: false,
        media_types: [STIX_MEDIA_TYPE],
    }
}

#[derive(Serialize)]
struct Collections {
    collections: [CollectionResource; 2],
}

/// `GET /{root}/collections/` (§5.1).
async fn collections(State(s): State<S>, Path(root): Path<String>) -> Result<Response, TaxiiError> {
    channel(&s, &root).await?;
    Ok(taxii(&Collections {
        collections: [
            collection_resource(&s.cfg, StixCollection::Received),
            collection_resource(&s.cfg, StixCollection::Sent),
        ],
    }))
}

fn collection_id(c: &str) -> Result<StixCollection, TaxiiError> {
    StixCollection::parse(c).ok_or_else(|| {
        TaxiiError::not_found(format!(
            "no collection {c:?}: the collections are `received` and `sent`"
        ))
    })
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
    let mut q = parse_query(&s.cfg, collection_id(coll)?, &params, endpoint)?;
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
}
