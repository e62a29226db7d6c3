//! A blocking HTTP client of the relay API (`docs/relay.md`): every request
//! signed with the member's (or party's) Ed25519 key per RFC 9421, with a
//! `Content-Digest`. Errors carry the relay's RFC 9457 problem.
//!
//! The client trusts nothing it receives: callers verify entries, proofs and
//! checkpoints themselves (sync, in a later module).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hotline_core::dsse::SignedDocument;
use hotline_core::envelope::{Envelope, SIGNED_HEAD_LEN};
use hotline_core::ids::ChannelId;
use hotline_core::keys::SigningKey;
use hotline_httpsig::{Message, SignatureParams};
use rand_core::RngCore as _;
use serde::Deserialize;

/// The largest response body read (envelopes and blobs are bounded by the
/// relay's own limits, far below this).
const MAX_RESPONSE: u64 = 512 << 20;

/// Why a relay request failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The relay answered with a problem.
    #[error("the relay answered {status}: {title}: {detail}")]
    Problem {
        /// HTTP status.
        status: u16,
        /// The problem type URI.
        kind: String,
        /// Its title.
        title: String,
        /// What was wrong.
        detail: String,
        /// The whole problem document.
        body: serde_json::Value,
    },
    /// The relay could not be reached or the exchange failed.
    #[error("cannot reach the relay at {url}: {detail}")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The relay's answer is not what the API promises.
    #[error("unexpected answer from the relay: {0}")]
    Protocol(String),
}

/// How long a lookup of the relay's host name, and then the connection to it
/// (TLS handshake included), may each take before the relay counts as
/// unreachable. A refused connection fails at once; this bounds a
/// black-holed address, so a reading command falls back to the archive
/// within seconds (`docs/client.md`, "Reading offline").
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the relay may take to begin its answer once a request is sent
/// (a hung relay, or a stalled gateway, that accepts connections but never
/// answers). The relay answers within milliseconds; a durable append within
/// one group commit.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(20);

/// How long one request may take in all, its answer's body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

impl RelayError {
    /// Whether the relay could not be reached: a transport failure (refused,
    /// reset, timed out, DNS, TLS), or a gateway in front of it answering 502,
    /// 503 or 504 (the relay itself answers 503 while shutting down). Not a
    /// problem the relay stated about the request, and never an alarm: what a
    /// reading command may answer from the archive instead.
    pub fn is_unreachable(&self) -> bool {
        match self {
            RelayError::Transport { .. } => true,
            RelayError::Problem { status, .. } => matches!(status, 502..=504),
            RelayError::Protocol(_) => false,
        }
    }
}

/// The relay's answer for one accepted entry.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Accepted {
    /// Its log index.
    pub index: u64,
    /// Its leaf hash, hex.
    pub leaf_hash: String,
    /// When it was sequenced (absent for a re-post).
    pub sequenced_at: Option<String>,
    /// True when it was already in the log.
    pub duplicate: bool,
}

/// One entry read from the relay.
#[derive(Debug, Clone, Deserialize)]
pub struct WireEntry {
    /// Its index.
    pub index: u64,
    /// `charter`, `roster` or `envelope`.
    pub kind: String,
    /// The entry bytes, base64.
    pub entry: String,
}

/// A page of entries.
#[derive(Debug, Clone, Deserialize)]
pub struct EntriesPage {
    /// The log size when read.
    pub size: u64,
    /// The entries.
    pub entries: Vec<WireEntry>,
}

/// One envelope of a page of envelopes.
#[derive(Debug, Clone, Deserialize)]
pub struct WireEnvelope {
    /// Its log index.
    pub index: u64,
    /// The whole envelope (signed head, stanzas, ciphertext), base64.
    pub envelope: String,
}

/// A page of whole envelopes ([`RelayClient::envelopes`]).
#[derive(Debug, Clone, Deserialize)]
pub struct EnvelopesPage {
    /// The log size when read.
    pub size: u64,
    /// The first index this page does not cover: every envelope head below
    /// it, from the page's start, is in `envelopes`.
    pub next: u64,
    /// The envelopes, in log order.
    pub envelopes: Vec<WireEnvelope>,
}

/// The roots trusted for `https` relays when a private CA is configured
/// ([`trust_ca_pem`]); otherwise the Mozilla roots (webpki-roots).
static PRIVATE_ROOTS: std::sync::OnceLock<std::sync::Arc<Vec<ureq::tls::Certificate<'static>>>> =
    std::sync::OnceLock::new();

/// Trusts only the CA certificates in `pem` (PEM, one or more) for every
/// `https` relay this process talks to from now on: for relays whose
/// certificate a state's own CA issued. Returns how many certificates were
/// read. Called once per process (the CLI's `--relay-ca`).
pub fn trust_ca_pem(pem: &[u8]) -> Result<usize, RelayError> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c.to_owned()),
            Ok(_) => {}
            Err(e) => return Err(RelayError::Protocol(format!("the CA file: {e}"))),
        }
    }
    if certs.is_empty() {
        return Err(RelayError::Protocol(
            "the CA file holds no PEM certificate".into(),
        ));
    }
    let n = certs.len();
    PRIVATE_ROOTS
        .set(std::sync::Arc::new(certs))
        .map_err(|_| RelayError::Protocol("a private CA is configured already".into()))?;
    Ok(n)
}

/// Whether `host` (from a URL's authority) is a loopback address (also
/// the TAXII client's rule for plain http).
pub(crate) fn is_loopback(authority: &str) -> bool {
    hotline_core::net::is_loopback_authority(authority)
}

/// A signed client of one relay.
pub struct RelayClient {
    base: String,
    authority: String,
    key: SigningKey,
    agent: ureq::Agent,
    /// A courier's grant (`Hotline-Courier` header), sent with every signed request.
    courier: Option<String>,
    /// Answers from an export file instead of the network (`crate::airgap`).
    replay: Option<std::sync::Arc<crate::airgap::Replay>>,
}

impl RelayClient {
    /// A client of the relay at `base` (e.g. `http://127.0.0.1:8440`)
    /// signing with `key`.
    pub fn new(base: &str, key: SigningKey) -> Result<RelayClient, RelayError> {
        let base = base.trim_end_matches('/').to_owned();
        let authority = base
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_owned())
            .ok_or_else(|| RelayError::Protocol(format!("{base} is not an http(s) URL")))?;
        if base.starts_with("http://") {
            if !is_loopback(&authority) {
                return Err(RelayError::Protocol(format!(
                    "refusing plain HTTP to {authority}: requests and answers would cross the network \
                     unprotected; the relay's URL must be https:// (or a loopback address)"
                )));
            }
        } else if !base.starts_with("https://") {
            return Err(RelayError::Protocol(format!(
                "{base} is not an http(s) URL"
            )));
        }
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_resolve(Some(CONNECT_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(RESPONSE_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT));
        if let Some(roots) = PRIVATE_ROOTS.get() {
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(roots.clone()))
                    .build(),
            );
        }
        let agent: ureq::Agent = config.build().into();
        Ok(RelayClient {
            base,
            authority,
            key,
            agent,
            courier: None,
            replay: None,
        })
    }

    /// A courier's client (`docs/airgap.md`): requests signed with the
    /// courier key `key`, carrying the member's `grant`.
    pub fn courier(
        base: &str,
        key: SigningKey,
        grant: &SignedDocument,
    ) -> Result<RelayClient, RelayError> {
        let mut c = RelayClient::new(base, key)?;
        c.courier = Some(hotline_core::courier::header_value(grant));
        Ok(c)
    }

    /// A client that answers from an export file, never the network: what
    /// `hotline sync --import` syncs against (`crate::airgap`). What it
    /// posts is kept for the courier to post.
    pub fn replaying(
        base: &str,
        key: SigningKey,
        replay: std::sync::Arc<crate::airgap::Replay>,
    ) -> Result<RelayClient, RelayError> {
        let mut c = RelayClient::new(base, key)?;
        c.replay = Some(replay);
        Ok(c)
    }

    /// The relay's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn signed_headers(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: &[u8],
    ) -> Vec<(String, String)> {
        let digest = hotline_httpsig::content_digest(body);
        let headers = vec![("content-digest".to_owned(), digest)];
        let mut nonce = [0u8; 16];
        rand_core::OsRng.fill_bytes(&mut nonce);
        let created = time::OffsetDateTime::now_utc().unix_timestamp();
        let sp = SignatureParams::new(
            &hotline_httpsig_required(),
            created,
            &self.key.key_id().to_hex(),
            &hex::encode(nonce),
        );
        let msg = Message {
            method,
            scheme: "http",
            authority: &self.authority,
            path,
            query,
            headers: &headers,
        };
        // Signing cannot fail for these components: all are present.
        let (si, sg) = hotline_httpsig::sign(&msg, "hotline", &sp, &self.key)
            .unwrap_or_else(|_| (String::new(), String::new()));
        let mut out = headers;
        out.push(("signature-input".into(), si));
        out.push(("signature".into(), sg));
        out
    }

    /// Sends a request; returns status and body (problems become errors).
    fn send(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<(&[u8], &str)>,
        signed: bool,
    ) -> Result<Vec<u8>, RelayError> {
        let bytes = body.map(|(b, _)| b).unwrap_or(&[]);
        if let Some(r) = &self.replay {
            return r.answer(method, path_and_query, bytes);
        }
        let url = format!("{}{}", self.base, path_and_query);
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if signed {
            for (k, v) in self.signed_headers(method, path, query, bytes) {
                req = req.header(k, v);
            }
            if let Some(g) = &self.courier {
                req = req.header(hotline_core::courier::HEADER, g);
            }
        }
        if let Some((_, ct)) = body {
            req = req.header("content-type", ct);
        }
        let req = req
            .body(bytes.to_vec())
            .map_err(|e| RelayError::Protocol(e.to_string()))?;
        let mut resp = self.agent.run(req).map_err(|e| RelayError::Transport {
            url: url.clone(),
            detail: e.to_string(),
        })?;
        let status = resp.status().as_u16();
        let data = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| RelayError::Transport {
                url: url.clone(),
                detail: e.to_string(),
            })?;
        if (200..300).contains(&status) {
            return Ok(data);
        }
        let v: serde_json::Value = serde_json::from_slice(&data).unwrap_or_default();
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
        Err(RelayError::Problem {
            status,
            kind: s("type"),
            title: s("title"),
            detail: s("detail"),
            body: v,
        })
    }

    fn json<T: serde::de::DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, RelayError> {
        serde_json::from_slice(bytes).map_err(|e| RelayError::Protocol(e.to_string()))
    }

    /// `GET /v1/relay`.
    pub fn info(&self) -> Result<serde_json::Value, RelayError> {
        let b = self.send("GET", "/v1/relay", None, false)?;
        self.json(&b)
    }

    /// Registers a channel from its fully signed charter; returns its id.
    pub fn create_channel(&self, charter: &SignedDocument) -> Result<ChannelId, RelayError> {
        let b = self.send(
            "POST",
            "/v1/channels",
            Some((&charter.to_json(), "application/json")),
            true,
        )?;
        let v: serde_json::Value = self.json(&b)?;
        v.get("channel")
            .and_then(|c| c.as_str())
            .and_then(|c| ChannelId::from_hex(c).ok())
            .ok_or_else(|| RelayError::Protocol("no channel id in the answer".into()))
    }

    /// Publishes a roster version.
    pub fn post_roster(
        &self,
        channel: &ChannelId,
        roster: &SignedDocument,
    ) -> Result<Accepted, RelayError> {
        let b = self.send(
            "POST",
            &format!("/v1/channels/{}/rosters", channel.to_hex()),
            Some((&roster.to_json(), "application/json")),
            true,
        )?;
        self.json(&b)
    }

    /// Posts envelopes (ciphertexts inline); one answer per envelope.
    pub fn post_envelopes(
        &self,
        channel: &ChannelId,
        envs: &[Envelope],
    ) -> Result<Vec<Accepted>, RelayError> {
        let items: Vec<serde_json::Value> = envs
            .iter()
            .map(|e| {
                let b = e.to_bytes();
                let head = &b[..SIGNED_HEAD_LEN];
                let n = e.signed_head().head.stanzas_len() as usize;
                let stanzas = &b[SIGNED_HEAD_LEN..SIGNED_HEAD_LEN + n];
                let ct = &b[SIGNED_HEAD_LEN + n..];
                serde_json::json!({"head": B64.encode(head), "stanzas": B64.encode(stanzas), "ciphertext": B64.encode(ct)})
            })
            .collect();
        self.post_raw_envelopes(channel, &serde_json::json!({ "envelopes": items }))
    }

    /// Posts a raw `{"envelopes": …}` body (tests use it to send bad input).
    pub fn post_raw_envelopes(
        &self,
        channel: &ChannelId,
        body: &serde_json::Value,
    ) -> Result<Vec<Accepted>, RelayError> {
        let body = serde_json::to_vec(body).map_err(|e| RelayError::Protocol(e.to_string()))?;
        let b = self.send(
            "POST",
            &format!("/v1/channels/{}/entries", channel.to_hex()),
            Some((&body, "application/json")),
            true,
        )?;
        #[derive(Deserialize)]
        struct R {
            results: Vec<Accepted>,
        }
        Ok(self.json::<R>(&b)?.results)
    }

    /// Reads entries from `start` (at most `limit`).
    pub fn entries(
        &self,
        channel: &ChannelId,
        start: u64,
        limit: u64,
    ) -> Result<EntriesPage, RelayError> {
        let b = self.send(
            "GET",
            &format!(
                "/v1/channels/{}/entries?start={start}&limit={limit}",
                channel.to_hex()
            ),
            None,
            true,
        )?;
        self.json(&b)
    }

    /// The whole envelope at `index`.
    pub fn envelope(&self, channel: &ChannelId, index: u64) -> Result<Vec<u8>, RelayError> {
        self.send(
            "GET",
            &format!("/v1/channels/{}/envelopes/{index}", channel.to_hex()),
            None,
            true,
        )
    }

    /// The whole envelopes of the envelope heads among the `limit` entries
    /// from `start` (at most 1,024 entries; the page may stop earlier, at
    /// [`EnvelopesPage::next`]). The relay's word only: each must still be
    /// checked against its logged head.
    pub fn envelopes(
        &self,
        channel: &ChannelId,
        start: u64,
        limit: u64,
    ) -> Result<EnvelopesPage, RelayError> {
        let b = self.send(
            "GET",
            &format!(
                "/v1/channels/{}/envelopes?start={start}&limit={limit}",
                channel.to_hex()
            ),
            None,
            true,
        )?;
        self.json(&b)
    }

    /// Uploads a blob; returns its hex SHA-256.
    pub fn put_blob(&self, channel: &ChannelId, bytes: &[u8]) -> Result<String, RelayError> {
        use sha2::Digest as _;
        let h = hex::encode(sha2::Sha256::digest(bytes));
        self.send(
            "PUT",
            &format!("/v1/channels/{}/blobs/{h}", channel.to_hex()),
            Some((bytes, "application/octet-stream")),
            true,
        )?;
        Ok(h)
    }

    /// Fetches a blob.
    pub fn blob(&self, channel: &ChannelId, hash_hex: &str) -> Result<Vec<u8>, RelayError> {
        self.send(
            "GET",
            &format!("/v1/channels/{}/blobs/{hash_hex}", channel.to_hex()),
            None,
            true,
        )
    }

    /// The latest checkpoint (a signed note with cosignatures).
    pub fn checkpoint(&self, channel: &ChannelId) -> Result<Vec<u8>, RelayError> {
        self.send(
            "GET",
            &format!("/v1/channels/{}/log/checkpoint", channel.to_hex()),
            None,
            false,
        )
    }

    /// The checkpoint of `size` with its cosignatures.
    pub fn checkpoint_at(&self, channel: &ChannelId, size: u64) -> Result<Vec<u8>, RelayError> {
        self.send(
            "GET",
            &format!("/v1/channels/{}/checkpoints/{size}", channel.to_hex()),
            None,
            false,
        )
    }

    /// Checkpoints of size greater than `after` (at most `limit`), ascending,
    /// each the signed note with its cosignatures.
    pub fn checkpoints_after(
        &self,
        channel: &ChannelId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, RelayError> {
        #[derive(Deserialize)]
        struct Item {
            size: u64,
            note: String,
        }
        #[derive(Deserialize)]
        struct List {
            checkpoints: Vec<Item>,
        }
        let b = self.send(
            "GET",
            &format!(
                "/v1/channels/{}/checkpoints?after={after}&limit={limit}",
                channel.to_hex()
            ),
            None,
            false,
        )?;
        let l: List = self.json(&b)?;
        l.checkpoints
            .into_iter()
            .map(|i| {
                B64.decode(&i.note)
                    .map(|n| (i.size, n))
                    .map_err(|_| RelayError::Protocol("a checkpoint note is not base64".into()))
            })
            .collect()
    }

    /// A tile by its `tlog-tiles` path (`tile/0/000`, `tile/entries/000.p/3`).
    /// Entry bundles are signed for (the relay serves them to the channel's
    /// members, parties and witnesses only); hash tiles are public.
    pub fn tile(&self, channel: &ChannelId, path: &str) -> Result<Vec<u8>, RelayError> {
        self.send(
            "GET",
            &format!("/v1/channels/{}/log/{path}", channel.to_hex()),
            None,
            path.starts_with("tile/entries/"),
        )
    }

    /// Posts our cosignature line for the checkpoint of `size`.
    pub fn cosign(&self, channel: &ChannelId, size: u64, line: &str) -> Result<bool, RelayError> {
        let body = serde_json::to_vec(&serde_json::json!({"size": size, "cosignature": line}))
            .map_err(|e| RelayError::Protocol(e.to_string()))?;
        let b = self.send(
            "POST",
            &format!("/v1/channels/{}/cosignatures", channel.to_hex()),
            Some((&body, "application/json")),
            true,
        )?;
        let v: serde_json::Value = self.json(&b)?;
        Ok(v.get("added").and_then(|a| a.as_bool()).unwrap_or(false))
    }

    /// Opens the channel's event stream (server-sent events) from entry
    /// `start`: one `entry` event per appended entry, as soon as it is
    /// sequenced (before a checkpoint covers it), and keep-alive comments.
    /// The stream has no time limit; read it line by line.
    pub fn events(
        &self,
        channel: &ChannelId,
        start: u64,
    ) -> Result<Box<dyn std::io::Read + Send>, RelayError> {
        if self.replay.is_some() {
            return Err(RelayError::Protocol(
                "an export file has no event stream".into(),
            ));
        }
        let path = format!("/v1/channels/{}/events", channel.to_hex());
        let query = format!("start={start}");
        let url = format!("{}{path}?{query}", self.base);
        let mut req = ureq::http::Request::builder().method("GET").uri(&url);
        for (k, v) in self.signed_headers("GET", &path, Some(&query), b"") {
            req = req.header(k, v);
        }
        if let Some(g) = &self.courier {
            req = req.header(hotline_core::courier::HEADER, g);
        }
        let req = req
            .body(Vec::new())
            .map_err(|e| RelayError::Protocol(e.to_string()))?;
        let req = self
            .agent
            .configure_request(req)
            .timeout_global(None)
            .build();
        let resp = self.agent.run(req).map_err(|e| RelayError::Transport {
            url: url.clone(),
            detail: e.to_string(),
        })?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(RelayError::Protocol(format!(
                "the event stream answered {status}"
            )));
        }
        Ok(Box::new(resp.into_body().into_reader()))
    }

    /// Sends any request, signed or not (tests of hostile input use it).
    pub fn raw(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<(&[u8], &str)>,
        signed: bool,
    ) -> Result<Vec<u8>, RelayError> {
        self.send(method, path_and_query, body, signed)
    }

    /// The headers a signed request carries (tests replay them).
    pub fn sign_request(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: &[u8],
    ) -> Vec<(String, String)> {
        self.signed_headers(method, path, query, body)
    }
}

fn hotline_httpsig_required() -> [&'static str; 5] {
    ["@method", "@authority", "@path", "@query", "content-digest"]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16) -> RelayError {
        RelayError::Problem {
            status,
            kind: String::new(),
            title: String::new(),
            detail: String::new(),
            body: serde_json::Value::Null,
        }
    }

    #[test]
    fn only_transport_failures_and_gateways_count_as_unreachable() {
        let t = RelayError::Transport {
            url: "http://127.0.0.1:9/".into(),
            detail: "io: Connection refused".into(),
        };
        assert!(t.is_unreachable());
        for s in [502, 503, 504] {
            assert!(problem(s).is_unreachable(), "{s}");
        }
        for s in [400, 401, 404, 409, 422, 429, 500, 501, 505] {
            assert!(!problem(s).is_unreachable(), "{s}");
        }
        assert!(!RelayError::Protocol("not JSON".into()).is_unreachable());
    }
}
