//! The HTTP API (`docs/relay.md`, `/v1/openapi.json`): axum handlers over
//! [`Relay`]. Public: health, metrics, the OpenAPI document, relay info and
//! each channel's log (`/v1/channels/{id}/log/…`, `tlog-tiles` paths) and
//! checkpoints. Everything else needs a request signed by a member of the
//! channel (or, to create a channel, by one of its parties).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::stream::Stream;
use hotline_core::dsse::SignedDocument;
use hotline_core::entry::Entry;
use hotline_core::envelope::SignedHead;
use hotline_core::ids::ChannelId;
use hotline_core::keys::{KeyId, VerifyingKey};
use hotline_log::cosignature::CosignatureVerifier;
use hotline_log::log::Log;
use hotline_log::note::{self, Note};
use hotline_log::tiles::Tile;
use hotline_store::relaydata::RelayData;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::problem::Problem;
use crate::relay::{Channel, PostedEnvelope, Relay, Submission};

type R = Arc<Relay>;

/// How long open connections may take to drain after the shutdown signal
/// (`hotline relay serve` serves [`router`] with the CLI's server,
/// `crates/cli/src/serve.rs`, over HTTP or HTTPS, with a header read
/// timeout; it calls [`Relay::begin_close`] on the signal and
/// [`Relay::shutdown`] after).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// The OpenAPI document.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The relay's router.
pub fn router(relay: R) -> Router {
    let limit = relay.cfg.max_body_bytes.max(relay.cfg.max_blob_bytes);
    let timeout = Duration::from_secs(relay.cfg.request_timeout_secs);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/relay", get(info))
        .route("/v1/channels", post(create_channel))
        .route("/v1/channels/{id}", get(channel_info))
        .route("/v1/channels/{id}/rosters", post(post_roster))
        .route(
            "/v1/channels/{id}/entries",
            post(post_entries).get(get_entries),
        )
        .route("/v1/channels/{id}/envelopes", get(get_envelopes))
        .route("/v1/channels/{id}/envelopes/{index}", get(get_envelope))
        .route("/v1/channels/{id}/events", get(events))
        .route(
            "/v1/channels/{id}/blobs/{hash}",
            put(put_blob).get(get_blob),
        )
        .route("/v1/channels/{id}/cosignatures", post(post_cosignature))
        .route("/v1/channels/{id}/checkpoints", get(checkpoints_after))
        .route("/v1/channels/{id}/checkpoints/{size}", get(checkpoint_at))
        .route("/v1/channels/{id}/log/checkpoint", get(log_checkpoint))
        .route("/v1/channels/{id}/log/{*path}", get(log_tile))
        .fallback(|| async { Problem::not_found("no such endpoint; see /v1/openapi.json") })
        .layer(middleware::from_fn_with_state(
            relay.clone(),
            crate::limits::bound,
        ))
        .layer(middleware::from_fn_with_state(relay.clone(), observe))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(middleware::from_fn(problems_only))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(relay)
}

/// Every error is a problem document: a refusal that axum or tower-http
/// answer themselves in plain text or with no body (a query or path that
/// does not parse, a method the route has not, the request timeout) is
/// turned into an RFC 9457 problem with the same status, its text as the
/// detail, and its headers (`Allow`, `Retry-After`) kept.
async fn problems_only(req: Request, next: Next) -> Response {
    let r = next.run(req).await;
    let status = r.status();
    let is_problem = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if status.as_u16() < 400 || is_problem {
        return r;
    }
    let (parts, body) = r.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let (slug, title, hint) = match status {
        StatusCode::BAD_REQUEST => (
            "bad-request",
            "Bad request",
            "a path or query parameter is malformed; see /v1/openapi.json",
        ),
        StatusCode::NOT_FOUND => ("not-found", "Not found", "see /v1/openapi.json"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            "Method not allowed",
            "this endpoint does not take that method; the Allow header lists those it takes",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "timeout",
            "Request timeout",
            "the request was not received and answered within request_timeout_secs; retry",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("too-large", "Request too large", "send less"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "bad-request",
            "Bad request",
            "the content type is not one this endpoint takes",
        ),
        s if s.is_server_error() => ("internal", "Internal error", "the relay failed; retry"),
        _ => ("bad-request", "Bad request", "see /v1/openapi.json"),
    };
    let detail = if text.is_empty() {
        hint.to_owned()
    } else {
        format!("{text} ({hint})")
    };
    let mut out = Problem::new(status, slug, title, detail).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

async fn observe(State(relay): State<R>, req: Request, next: Next) -> Response {
    let t = Instant::now();
    let r = next.run(req).await;
    relay
        .metrics
        .observe_response(r.status().as_u16(), t.elapsed());
    r
}

fn json<T: Serialize>(status: StatusCode, v: &T) -> Response {
    let mut r = (status, serde_json::to_vec(v).unwrap_or_default()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn bytes_response(body: Vec<u8>, content_type: &'static str, cache: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Problem::internal("a storage task failed"))?
}

fn channel_id(s: &str) -> Result<ChannelId, Problem> {
    ChannelId::from_hex(s)
        .map_err(|_| Problem::not_found("a channel id is 32 lower-case hex digits"))
}

/// How far beyond an endpoint's limit an announced body is still read (and
/// discarded) before the 413, so that the client, still sending it, reads
/// the answer and may reuse the connection; beyond, the 413 is at once and
/// the connection closed (`Connection: close`), unread.
const DRAIN_BEYOND_LIMIT: u64 = 4 << 20;

/// Reads the body within `limit`, answering 413 beyond it — at once, before
/// reading any of it, when the body announces far more.
async fn read(req: Request, limit: usize) -> Result<(Parts, Bytes), Problem> {
    if let Some(n) = crate::limits::declared_length(req.headers())
        && n > limit as u64
    {
        let refused = Problem::too_large(format!(
            "the request body announces {n} bytes, more than the {limit} bytes this endpoint takes"
        ));
        if n <= (limit as u64).saturating_add(DRAIN_BEYOND_LIMIT) {
            let _ = axum::body::to_bytes(req.into_body(), n as usize).await;
            let mut r = refused;
            r.keep_alive = true;
            return Err(r);
        }
        return Err(refused);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Problem::too_large(format!(
            "the request body exceeds {limit} bytes (or could not be read)"
        ))
    })?;
    Ok((parts, bytes))
}

/// Records a checked request's nonce in a store other relay processes
/// share, refusing it if one of them (or this one) accepted it before: a
/// captured request cannot be replayed to another process. Returns the
/// signer's key id.
async fn recorded(relay: &R, c: crate::auth::Checked) -> Result<KeyId, Problem> {
    let store = relay.store();
    if !store.shared() {
        return Ok(c.key);
    }
    let key = c.key;
    let now = unix_now();
    if relay.nonce_sweep_due(now) {
        // Expired nonces are forgotten in the background, at most once
        // every few seconds per process.
        let s = store.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = s.forget_nonces(now) {
                tracing::warn!(error = %e, "forgetting expired nonces failed");
            }
        });
    }
    let fresh =
        blocking(move || Ok(store.record_nonce(&c.key.0, &c.nonce, c.expires, now)?)).await?;
    if !fresh {
        return Err(Problem::unauthenticated(
            "this request was already received by a relay process (replayed nonce); sign each request afresh",
        ));
    }
    Ok(key)
}

/// Authenticates a member of `chan` (a key in its party's current roster),
/// or a courier acting for one (`docs/airgap.md`): a request signed by the
/// courier key that a `Hotline-Courier` grant names, signed by a member who
/// is in its party's current roster, for this channel, not expired. Returns
/// the member's signing key id (the courier's requests are the member's).
async fn member(
    relay: &R,
    chan: &Arc<Channel>,
    parts: &Parts,
    body: &[u8],
) -> Result<KeyId, Problem> {
    use hotline_core::courier::{self, CourierGrant};
    let grant = match parts.headers.get(courier::HEADER) {
        None => None,
        Some(v) => {
            let doc = v
                .to_str()
                .ok()
                .and_then(|v| courier::from_header(v).ok())
                .ok_or_else(|| {
                    Problem::bad_request(format!(
                        "the {} header is not a courier grant (base64 of its DSSE JSON)",
                        courier::HEADER
                    ))
                })?;
            let g = CourierGrant::parse(&doc).map_err(|e| Problem::bad_request(e.to_string()))?;
            Some((doc, g))
        }
    };
    let now = unix_now().max(0) as u64;
    // The courier's key stands for the member only while the grant holds,
    // judged against the directory as of the current log size.
    let lookup = |kid: &KeyId| {
        chan.with_dir(|d, size| {
            if let Some(s) = d.signer_at(kid, size) {
                return Some(s.member.signing_key);
            }
            let (doc, g) = grant.as_ref()?;
            grant_holds(d, size, &chan.id, doc, g, now)
                .ok()
                .filter(|k| k.key_id() == *kid)
        })
    };
    let signer = match checked_in(relay, chan, parts, body, lookup).await {
        Err(p) if p.status == 403 && grant.is_some() => {
            // Say why the grant does not hold.
            let why = grant
                .as_ref()
                .and_then(|(doc, g)| {
                    chan.with_dir(|d, size| grant_holds(d, size, &chan.id, doc, g, now).err())
                })
                .unwrap_or_else(|| "the request is not signed by its courier key".into());
            return Err(Problem::forbidden(format!(
                "the courier grant does not hold: {why}; ask the member for a new grant (`hotline courier grant`)"
            )));
        }
        r => r?,
    };
    match &grant {
        Some((_, g)) if g.courier_key().is_ok_and(|c| c.key_id() == signer) => Ok(g.member),
        _ => Ok(signer),
    }
}

/// The courier key of grant `g` (`doc`) if it holds in `channel` at log
/// `size` of directory `d` at `now`: for this channel, signed by its
/// member, who is in its party's roster then, not expired; else why not.
fn grant_holds(
    d: &hotline_core::roster::Directory,
    size: u64,
    channel: &hotline_core::ids::ChannelId,
    doc: &hotline_core::dsse::SignedDocument,
    g: &hotline_core::courier::CourierGrant,
    now: u64,
) -> Result<VerifyingKey, String> {
    if g.channel != *channel {
        return Err("it is for another channel".into());
    }
    let m = d
        .signer_at(&g.member, size)
        .ok_or("its member is not in its party's current roster")?;
    hotline_core::courier::CourierGrant::verify(doc, &m.member.signing_key, now)
        .map_err(|e| e.to_string())?;
    g.courier_key().map_err(|e| e.to_string())
}

/// Authenticates a request to `chan` with the key `lookup` finds in the
/// channel's directory, re-reading the channel once if the key is unknown
/// (perhaps a roster another relay process appended), and records its nonce.
async fn checked_in(
    relay: &R,
    chan: &Arc<Channel>,
    parts: &Parts,
    body: &[u8],
    lookup: impl Fn(&KeyId) -> Option<VerifyingKey>,
) -> Result<KeyId, Problem> {
    let checked = match relay.auth.check(parts, body, unix_now(), &lookup) {
        // At most one such re-read per channel every REFRESH_GAP: a flood
        // of requests by unknown keys costs the store nothing more.
        Err(p) if p.status == 403 && chan.refresh_due() => {
            relay
                .metrics
                .unknown_key_refreshes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            relay.refresh(chan).await?;
            relay.auth.check(parts, body, unix_now(), &lookup)
        }
        r => r,
    }?;
    recorded(relay, checked).await
}

async fn healthz(State(relay): State<R>) -> Response {
    if relay.closing() {
        return Problem::unavailable("shutting down").into_response();
    }
    let store = relay.store();
    match blocking(move || Ok(store.logs()?.len())).await {
        Ok(_) => json(
            StatusCode::OK,
            &serde_json::json!({"status": "ok", "uptime_seconds": relay.uptime().as_secs()}),
        ),
        Err(p) => p.into_response(),
    }
}

async fn metrics(State(relay): State<R>) -> Response {
    let n = relay.channel_count();
    let mut text = relay.metrics.render(n);
    text.push_str(&relay.limits.render());
    text.push_str(&usage_metrics(&relay));
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// Each loaded channel's stored bytes, in all and by party (party key ids,
/// never names), and the configured quotas.
fn usage_metrics(relay: &R) -> String {
    use std::fmt::Write as _;
    let c = &relay.cfg;
    let mut o = String::from(
        "# HELP hotline_relay_quota_bytes Configured quotas.\n# TYPE hotline_relay_quota_bytes gauge\n",
    );
    for (kind, scope, v) in [
        ("envelope", "channel", c.quota_channel_envelope_bytes),
        ("envelope", "party", c.quota_party_envelope_bytes),
        ("blob", "channel", c.quota_channel_blob_bytes),
        ("blob", "party", c.quota_party_blob_bytes),
    ] {
        let _ = writeln!(
            o,
            "hotline_relay_quota_bytes{{kind=\"{kind}\",scope=\"{scope}\"}} {v}"
        );
    }
    o.push_str("# HELP hotline_relay_stored_bytes Bytes stored in each loaded channel, in all (party=\"\") and by party.\n# TYPE hotline_relay_stored_bytes gauge\n");
    for chan in relay.loaded() {
        let id = chan.id.to_hex();
        let (env, blobs) = chan.usage();
        for (kind, u) in [("envelope", &env), ("blob", &blobs)] {
            let _ = writeln!(
                o,
                "hotline_relay_stored_bytes{{channel=\"{id}\",kind=\"{kind}\",party=\"\"}} {}",
                u.total
            );
            let mut parties: Vec<_> = u.parties.iter().collect();
            parties.sort_by_key(|(p, _)| p.to_hex());
            for (p, b) in parties {
                let _ = writeln!(
                    o,
                    "hotline_relay_stored_bytes{{channel=\"{id}\",kind=\"{kind}\",party=\"{}\"}} {b}",
                    p.to_hex()
                );
            }
        }
    }
    o
}

async fn openapi() -> Response {
    bytes_response(
        OPENAPI.as_bytes().to_vec(),
        "application/json",
        "max-age=3600",
    )
}

async fn info(State(relay): State<R>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({
            "name": relay.name(),
            "key": relay.vkey(),
            "version": env!("CARGO_PKG_VERSION"),
            "checkpoint_interval_ms": relay.cfg.checkpoint_interval_ms,
            "max_body_bytes": relay.cfg.max_body_bytes,
            "max_blob_bytes": relay.cfg.max_blob_bytes,
        }),
    )
}

fn parse_document(body: &[u8], what: &str) -> Result<SignedDocument, Problem> {
    SignedDocument::from_json(body)
        .map_err(|e| Problem::bad_request(format!("the body is not a DSSE {what} document: {e}")))
}

async fn create_channel(State(relay): State<R>, req: Request) -> Result<Response, Problem> {
    let (parts, body) = read(req, relay.cfg.max_body_bytes).await?;
    let doc = parse_document(&body, "charter")?;
    let charter = hotline_core::charter::parse_unverified(&doc)
        .map_err(|e| Problem::rejected(format!("the charter is not valid: {e}")))?;
    let parties: Vec<VerifyingKey> = charter
        .parties
        .iter()
        .filter_map(|p| VerifyingKey::from_base64(&p.key).ok())
        .collect();
    let checked = relay.auth.check(&parts, &body, unix_now(), |kid| {
        parties.iter().find(|k| k.key_id() == *kid).copied()
    })?;
    recorded(&relay, checked).await?;
    let (id, created) = relay.create_channel(doc).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(
        status,
        &serde_json::json!({"channel": id.to_hex(), "origin": relay.origin(&id), "created": created}),
    ))
}

async fn channel_info(
    State(relay): State<R>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let (parts, body) = read(req, relay.cfg.max_body_bytes).await?;
    member(&relay, &chan, &parts, &body).await?;
    let (charter, size) = chan.with_dir(|d, size| (d.charter().document().to_json(), size));
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({
            "channel": chan.id.to_hex(),
            "origin": chan.origin,
            "size": size,
            "charter": B64.encode(charter),
        }),
    ))
}

async fn post_roster(
    State(relay): State<R>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let (parts, body) = read(req, relay.cfg.max_body_bytes).await?;
    let doc = parse_document(&body, "roster")?;
    // The party itself, or a current member, may publish the party's roster.
    let lookup = |kid: &KeyId| {
        chan.with_dir(|d, size| {
            d.charter()
                .charter()
                .parties
                .iter()
                .filter_map(|p| VerifyingKey::from_base64(&p.key).ok())
                .find(|k| k.key_id() == *kid)
                .or_else(|| d.signer_at(kid, size).map(|s| s.member.signing_key))
        })
    };
    let checked = relay.auth.check(&parts, &body, unix_now(), lookup)?;
    recorded(&relay, checked).await?;
    let mut out = relay.submit(&chan, vec![Submission::Roster(doc)]).await?;
    match out.pop() {
        Some(Ok(a)) => {
            count(&relay, &[Ok(a.clone())]);
            Ok(json(StatusCode::OK, &a))
        }
        Some(Err(p)) => Err(p),
        None => Err(Problem::internal("no outcome")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEnvelope {
    head: String,
    stanzas: String,
    #[serde(default)]
    ciphertext: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostEntries {
    envelopes: Vec<WireEnvelope>,
}

fn count(relay: &R, outcomes: &[Result<crate::relay::Accepted, Problem>]) {
    use std::sync::atomic::Ordering::Relaxed;
    for o in outcomes {
        match o {
            Ok(a) if a.duplicate => relay.metrics.duplicates.fetch_add(1, Relaxed),
            Ok(_) => relay.metrics.appends.fetch_add(1, Relaxed),
            Err(p) => {
                if p.kind.ends_with(":quota-exceeded") {
                    relay.metrics.quota_refused_envelopes.fetch_add(1, Relaxed);
                }
                relay.metrics.rejected.fetch_add(1, Relaxed)
            }
        };
    }
}

async fn post_entries(
    State(relay): State<R>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let (parts, body) = read(req, relay.cfg.max_body_bytes).await?;
    member(&relay, &chan, &parts, &body).await?;
    let posted: PostEntries = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request(format!("expected {{\"envelopes\": [...]}}: {e}")))?;
    if posted.envelopes.is_empty() || posted.envelopes.len() > relay.cfg.max_envelopes_per_request {
        return Err(Problem::bad_request(format!(
            "post 1 to {} envelopes per request",
            relay.cfg.max_envelopes_per_request
        )));
    }
    let b64 = |s: &str, what: &str| {
        B64.decode(s)
            .map_err(|_| Problem::bad_request(format!("{what} is not base64")))
    };
    let mut items = Vec::with_capacity(posted.envelopes.len());
    for (i, e) in posted.envelopes.iter().enumerate() {
        items.push(Submission::Envelope(PostedEnvelope {
            head: b64(&e.head, &format!("envelopes[{i}].head"))?,
            stanzas: b64(&e.stanzas, &format!("envelopes[{i}].stanzas"))?,
            ciphertext: e
                .ciphertext
                .as_deref()
                .map(|c| b64(c, &format!("envelopes[{i}].ciphertext")))
                .transpose()?,
            verified_with: None,
        }));
    }
    relay
        .metrics
        .body_bytes
        .fetch_add(body.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let outcomes = relay.submit(&chan, items).await?;
    count(&relay, &outcomes);
    let first_err = outcomes
        .iter()
        .enumerate()
        .find_map(|(i, o)| o.as_ref().err().map(|p| (i, p.clone())));
    let results: Vec<serde_json::Value> = outcomes
        .into_iter()
        .map(|o| match o {
            Ok(a) => serde_json::to_value(a).unwrap_or_default(),
            Err(p) => serde_json::json!({"error": p}),
        })
        .collect();
    match first_err {
        None => Ok(json(
            StatusCode::OK,
            &serde_json::json!({"results": results}),
        )),
        Some((i, mut p)) => {
            p.detail = format!(
                "envelopes[{i}]: {} (see results for each envelope)",
                p.detail
            );
            p.results = Some(serde_json::Value::Array(results));
            Err(p)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    #[serde(default)]
    start: u64,
    #[serde(default)]
    limit: Option<u64>,
}

#[derive(Serialize)]
struct WireEntry {
    index: u64,
    kind: &'static str,
    entry: String,
}

fn wire_entries(start: u64, entries: Vec<Vec<u8>>) -> Vec<WireEntry> {
    entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| WireEntry {
            index: start + i as u64,
            kind: Entry::from_bytes(&e).map(|x| x.kind()).unwrap_or("unknown"),
            entry: B64.encode(e),
        })
        .collect()
}

async fn get_entries(
    State(relay): State<R>,
    Path(id): Path<String>,
    Query(cur): Query<Cursor>,
    req: Request,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let (parts, body) = read(req, 0).await?;
    member(&relay, &chan, &parts, &body).await?;
    let limit = cur.limit.unwrap_or(256).clamp(1, 1024);
    let store = relay.store();
    let origin = chan.origin.clone();
    let (size, entries) = blocking(move || {
        let size = store.size(&origin)?;
        let end = size.min(cur.start.saturating_add(limit));
        Ok((size, store.read_entries(&origin, cur.start.min(end), end)?))
    })
    .await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({"size": size, "entries": wire_entries(cur.start, entries)}),
    ))
}

/// The whole envelope (signed head, stanzas, ciphertext) of the head logged
/// at `index`: the body stored beside the entry, or a part uploaded as a blob
/// (or, for data stored before bodies existed, both) by hash.
fn envelope_bytes(
    store: &dyn RelayData,
    origin: &str,
    index: u64,
    h: &SignedHead,
) -> Result<Vec<u8>, Problem> {
    let (stanzas, ciphertext) = match store.body(origin, index)? {
        Some((s, c)) => (Some(s), c),
        None => (None, None),
    };
    let stanzas = match stanzas {
        Some(s) => s,
        None => store
            .blob(origin, &h.head.stanzas_sha256)?
            .ok_or_else(|| Problem::internal("the envelope's stanzas are missing"))?,
    };
    let ciphertext = match ciphertext {
        Some(c) => c,
        None => store
            .blob(origin, &h.head.ciphertext_sha256)?
            .ok_or_else(|| Problem::internal("the envelope's ciphertext is missing"))?,
    };
    let mut out = h.to_bytes().to_vec();
    out.extend_from_slice(&stanzas);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

async fn get_envelope(
    State(relay): State<R>,
    Path((id, index)): Path<(String, u64)>,
    req: Request,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let (parts, body) = read(req, 0).await?;
    member(&relay, &chan, &parts, &body).await?;
    let store = relay.store();
    let origin = chan.origin.clone();
    let bytes = blocking(move || {
        let Some(end) = index.checked_add(1) else {
            return Err(Problem::not_found(format!(
                "entry {index} is not an envelope (or not in the log)"
            )));
        };
        let e = store.read_entries(&origin, index, end)?;
        let Some(Ok(Entry::Head(h))) = e.first().map(|b| Entry::from_bytes(b)) else {
            return Err(Problem::not_found(format!(
                "entry {index} is not an envelope (or not in the log)"
            )));
        };
        envelope_bytes(store.as_ref(), &origin, index, &h)
    })
    .await?;
    Ok(bytes_response(
        bytes,
        "application/octet-stream",
        "private, max-age=31536000, immutable",
    ))
}

/// Most envelope bytes in one page of `GET …/envelopes` (the page ends
/// early, at an envelope boundary, and says where to go on).
const ENVELOPE_PAGE_BYTES: usize = 8 << 20;

#[derive(Serialize)]
struct ServedEnvelope {
    index: u64,
    envelope: String,
}

/// The envelopes logged from `start`: every envelope head among the next
/// `limit` entries (at most 1,024), whole, in log order; charter and roster
/// entries are skipped. `next` is the first index the page does not cover
/// (the page stops early past [`ENVELOPE_PAGE_BYTES`]).
async fn get_envelopes(
    State(relay): State<R>,
    Path(id): Path<String>,
    Query(cur): Query<Cursor>,
    req: Request,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let (parts, body) = read(req, 0).await?;
    member(&relay, &chan, &parts, &body).await?;
    let limit = cur.limit.unwrap_or(256).clamp(1, 1024);
    let store = relay.store();
    let origin = chan.origin.clone();
    let (size, next, envelopes) = blocking(move || {
        let size = store.size(&origin)?;
        let start = cur.start.min(size);
        let end = size.min(start.saturating_add(limit));
        let entries = store.read_entries(&origin, start, end)?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut next = start;
        for (i, e) in entries.iter().enumerate() {
            let index = start + i as u64;
            if bytes >= ENVELOPE_PAGE_BYTES {
                break;
            }
            if let Ok(Entry::Head(h)) = Entry::from_bytes(e) {
                let env = envelope_bytes(store.as_ref(), &origin, index, &h)?;
                bytes += env.len();
                out.push(ServedEnvelope {
                    index,
                    envelope: B64.encode(env),
                });
            }
            next = index + 1;
        }
        Ok((size, next, out))
    })
    .await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({"size": size, "next": next, "envelopes": envelopes}),
    ))
}

async fn events(
    State(relay): State<R>,
    Path(id): Path<String>,
    Query(cur): Query<Cursor>,
    req: Request,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let (parts, body) = read(req, 0).await?;
    let key = member(&relay, &chan, &parts, &body).await?;
    // A courier's stream lasts no longer than its grant (`member` checked
    // that it holds now; a member's own request with a grant attached ends
    // then too, and reconnects without it).
    let until = parts
        .headers
        .get(hotline_core::courier::HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| hotline_core::courier::from_header(v).ok())
        .and_then(|doc| hotline_core::courier::CourierGrant::parse(&doc).ok())
        .map(|g| g.not_after);
    let slot = relay.streams.open(key)?;
    let rx = chan.subscribe();
    let state = (
        (relay.clone(), slot, key, until),
        chan.clone(),
        rx,
        cur.start,
        Vec::<WireEntry>::new(),
    );
    let stream = futures_util::stream::unfold(
        state,
        |((relay, slot, key, until), chan, mut rx, mut next, mut pending)| async move {
            loop {
                if until.is_some_and(|t| unix_now().max(0) as u64 >= t) {
                    tracing::info!(key = %key.to_hex(), "a courier's event stream was closed: its grant ended");
                    return None;
                }
                // Judged again at every step against the directory as of
                // the current log size: a member revoked meanwhile gets
                // nothing more, and its stream ends at once.
                if chan
                    .with_dir(|d, size| d.signer_at(&key, size).map(|_| ()))
                    .is_none()
                {
                    tracing::info!(key = %key.to_hex(), "an event stream of a revoked key was closed");
                    return None;
                }
                if let Some(e) = pending.pop() {
                    let ev = Event::default()
                        .event("entry")
                        .id(e.index.to_string())
                        .data(serde_json::to_string(&e).unwrap_or_default());
                    return Some((Ok(ev), ((relay, slot, key, until), chan, rx, next, pending)));
                }
                if relay.closing() {
                    return None;
                }
                let size = *rx.borrow_and_update();
                if size > next {
                    let store = relay.store();
                    let origin = chan.origin.clone();
                    let end = size.min(next + 256);
                    let start = next;
                    match blocking(move || Ok(store.read_entries(&origin, start, end)?)).await {
                        Ok(entries) => {
                            next = end;
                            pending = wire_entries(start, entries);
                            pending.reverse();
                            continue;
                        }
                        Err(_) => return None,
                    }
                }
                // Wait for an append here, or poll the store now and then for
                // appends by another relay process sharing the database.
                if tokio::time::timeout(Duration::from_secs(1), rx.changed())
                    .await
                    .is_err()
                {
                    let _ = relay.refresh(&chan).await;
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn blob_hash(s: &str) -> Result<[u8; 32], Problem> {
    let mut h = [0u8; 32];
    if s.len() != 64
        || s.bytes().any(|b| b.is_ascii_uppercase())
        || hex::decode_to_slice(s, &mut h).is_err()
    {
        return Err(Problem::not_found(
            "a blob is named by its SHA-256 in 64 lower-case hex digits",
        ));
    }
    Ok(h)
}

async fn put_blob(
    State(relay): State<R>,
    Path((id, hash)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let h = blob_hash(&hash)?;
    let (parts, body) = read(req, relay.cfg.max_blob_bytes).await?;
    let key = member(&relay, &chan, &parts, &body).await?;
    if Sha256::digest(&body).as_slice() != h {
        return Err(Problem::bad_request(
            "the body's SHA-256 is not the blob's name",
        ));
    }
    relay
        .metrics
        .body_bytes
        .fetch_add(body.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let existed = relay.put_blob(&chan, &key, h, body).await?;
    Ok(json(
        if existed {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        &serde_json::json!({"blob": hash}),
    ))
}

async fn get_blob(
    State(relay): State<R>,
    Path((id, hash)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let h = blob_hash(&hash)?;
    let (parts, body) = read(req, 0).await?;
    member(&relay, &chan, &parts, &body).await?;
    let store = relay.store();
    let origin = chan.origin.clone();
    let b = blocking(move || store.blob(&origin, &h).map_err(Problem::from)).await?;
    let b = b.ok_or_else(|| Problem::not_found("no such blob in this channel"))?;
    Ok(bytes_response(
        b,
        "application/octet-stream",
        "private, max-age=31536000, immutable",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostCosignature {
    size: u64,
    cosignature: String,
}

/// The cosigner name of a member's signing key: its key id in hex.
pub fn member_cosigner_vkey(key: &VerifyingKey) -> String {
    note::format_vkey(&key.key_id().to_hex(), 0x04, &key.to_bytes())
}

async fn post_cosignature(
    State(relay): State<R>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let (parts, body) = read(req, relay.cfg.max_body_bytes).await?;
    let signer = member(&relay, &chan, &parts, &body).await?;
    let p: PostCosignature = serde_json::from_slice(&body).map_err(|e| {
        Problem::bad_request(format!(
            "expected {{\"size\": N, \"cosignature\": \"— …\"}}: {e}"
        ))
    })?;
    let sig = note::parse_signature_line(p.cosignature.trim_end_matches('\n'))
        .map_err(|e| Problem::bad_request(format!("not a signature line: {e}")))?;
    if sig.name != signer.to_hex() {
        return Err(Problem::forbidden(
            "a member posts its own cosignature, named by its signing key id in hex",
        ));
    }
    let key = chan
        .with_dir(|d, size| d.signer_at(&signer, size).map(|s| s.member.signing_key))
        .ok_or_else(|| Problem::forbidden("not a current member"))?;
    let verifier = CosignatureVerifier::from_vkey(&member_cosigner_vkey(&key))
        .map_err(|e| Problem::internal(e.to_string()))?;
    let store = relay.store();
    let origin = chan.origin.clone();
    let line = sig.to_line().trim_end_matches('\n').to_owned();
    let added = blocking(move || {
        let Some(cp) = store.checkpoint_at(&origin, p.size)? else {
            return Err(Problem::not_found(format!(
                "this relay signed no checkpoint of size {}",
                p.size
            )));
        };
        let note = Note::parse(&cp).map_err(|e| Problem::internal(e.to_string()))?;
        match verifier.verify(&note.text, &sig) {
            Ok(Some(_)) => {}
            _ => {
                return Err(Problem::rejected(
                    "the cosignature does not verify over that checkpoint",
                ));
            }
        }
        Ok(store.add_cosignature(&origin, p.size, &sig.name, &line)?)
    })
    .await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({"size": p.size, "added": added}),
    ))
}

/// A stored checkpoint with every cosignature recorded for its size.
fn with_cosignatures(
    store: &dyn hotline_store::relaydata::RelayData,
    origin: &str,
    size: u64,
    note_bytes: &[u8],
) -> Result<Vec<u8>, Problem> {
    let mut n = Note::parse(note_bytes).map_err(|e| Problem::internal(e.to_string()))?;
    for line in store.cosignatures(origin, size)? {
        if let Ok(s) = note::parse_signature_line(line.trim_end_matches('\n')) {
            n.add_signature(s);
        }
    }
    Ok(n.to_bytes())
}

async fn log_checkpoint(
    State(relay): State<R>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let store = relay.store();
    let origin = chan.origin.clone();
    let b = blocking(move || {
        let (size, bytes) = store
            .checkpoint(&origin)?
            .ok_or_else(|| Problem::not_found("no checkpoint yet"))?;
        with_cosignatures(&*store, &origin, size, &bytes)
    })
    .await?;
    Ok(bytes_response(b, "text/plain; charset=utf-8", "no-cache"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct After {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: Option<u64>,
}

/// Every checkpoint the relay signed after a size, ascending, each with its
/// cosignatures (the relay's timestamp among them): how a member learns
/// when each entry was sequenced.
async fn checkpoints_after(
    State(relay): State<R>,
    Path(id): Path<String>,
    Query(q): Query<After>,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let store = relay.store();
    let origin = chan.origin.clone();
    let limit = q.limit.unwrap_or(256).clamp(1, 1024);
    let list = blocking(move || {
        let mut out = Vec::new();
        for (size, note) in store.checkpoints_after(&origin, q.after, limit)? {
            let with = with_cosignatures(&*store, &origin, size, &note)?;
            out.push(serde_json::json!({"size": size, "note": B64.encode(with)}));
        }
        Ok(out)
    })
    .await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({"checkpoints": list}),
    ))
}

async fn checkpoint_at(
    State(relay): State<R>,
    Path((id, size)): Path<(String, u64)>,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let store = relay.store();
    let origin = chan.origin.clone();
    let b = blocking(move || {
        let bytes = store.checkpoint_at(&origin, size)?.ok_or_else(|| {
            Problem::not_found(format!("this relay signed no checkpoint of size {size}"))
        })?;
        with_cosignatures(&*store, &origin, size, &bytes)
    })
    .await?;
    Ok(bytes_response(b, "text/plain; charset=utf-8", "no-cache"))
}

/// Authenticates a reader of a channel's entry data: a current member, a
/// party key, or a witness the charter names (its note key signs the
/// request). Entries carry the charter and the rosters, which name the
/// parties' officials: they are not for anyone who learns a channel id
/// (`docs/relay.md` § Who may read what).
async fn entry_reader(
    relay: &R,
    chan: &Arc<Channel>,
    parts: &Parts,
    body: &[u8],
) -> Result<KeyId, Problem> {
    let lookup = |kid: &KeyId| {
        chan.with_dir(|d, size| {
            let c = d.charter().charter();
            d.signer_at(kid, size)
                .map(|s| s.member.signing_key)
                .or_else(|| {
                    c.parties
                        .iter()
                        .filter_map(|p| VerifyingKey::from_base64(&p.key).ok())
                        .find(|k| k.key_id() == *kid)
                })
                .or_else(|| {
                    c.witnesses
                        .iter()
                        .filter_map(|w| hotline_log::note::VerifierKey::parse(&w.key).ok())
                        .filter_map(|v| VerifyingKey::from_bytes(v.key.as_bytes()).ok())
                        .find(|k| k.key_id() == *kid)
                })
        })
    };
    checked_in(relay, chan, parts, body, lookup).await
}

async fn log_tile(
    State(relay): State<R>,
    Path((id, path)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Problem> {
    let chan = relay.channel(channel_id(&id)?).await?;
    let tile = Tile::parse_path(&path)
        .map_err(|_| Problem::not_found(format!("{path} is not a tlog-tiles path")))?;
    // Hash tiles are public (witnesses and monitors need them, and they
    // hold only hashes); entry bundles are for the channel's readers.
    let data = path.starts_with("tile/entries/");
    if data {
        let (parts, body) = read(req, relay.cfg.max_body_bytes).await?;
        entry_reader(&relay, &chan, &parts, &body).await?;
    }
    let store = relay.store();
    let origin = chan.origin.clone();
    let full = u64::from(tile.width) == hotline_log::tiles::TILE_WIDTH;
    let b = blocking(move || {
        Log::new(&*store, &origin)
            .tile(&tile)
            .map_err(|_| Problem::not_found(format!("tile {} is beyond the log", tile.path())))
    })
    .await?;
    // An entry bundle is not for shared caches: its readers authenticate.
    let cache = match (data, full) {
        (true, true) => "private, max-age=31536000, immutable",
        (true, false) => "private, max-age=60",
        (false, true) => "public, max-age=31536000, immutable",
        (false, false) => "public, max-age=60",
    };
    Ok(bytes_response(b, "application/octet-stream", cache))
}
