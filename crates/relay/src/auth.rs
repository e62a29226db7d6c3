//! Request authentication (RFC 9421 with Ed25519) and per-key limits.
//!
//! Every request except the public log reads carries `Content-Digest`
//! (RFC 9530, sha-256) and a signature covering `@method`, `@authority` (the
//! `Host` the relay was reached at: a request signed for one relay is refused
//! by another), `@path`, `@query`
//! and `content-digest`, with `created`, `nonce` and `keyid` (the hex key id
//! of the signer's Ed25519 key). A signature older than the window, from the
//! future beyond the allowed skew, or whose nonce was seen before inside the
//! window is refused; so is a key over its rate. With several relay
//! processes on one PostgreSQL database, each accepted nonce is also
//! recorded in the database (`RelayData::record_nonce`), so that a request
//! captured on its way to one process is refused by the others.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use axum::http::request::Parts;
use hotline_core::keys::{KeyId, VerifyingKey};
use hotline_httpsig::{Message, Policy};

use crate::config::Config;
use crate::problem::Problem;

/// The components every request signature must cover.
pub const REQUIRED: [&str; 5] = ["@method", "@authority", "@path", "@query", "content-digest"];

/// The nonce cache's hard bound; beyond it requests are refused (503)
/// rather than memory growing.
const MAX_NONCES: usize = 2_000_000;
/// The nonces one key may hold in the cache: an eighth of it, so that one
/// key (even one whose rate allows more) cannot fill it for the others; it
/// is answered 429, they go on.
const MAX_NONCES_PER_KEY: usize = MAX_NONCES / 8;
/// Keys tracked by the rate limiter (only keys whose signature verified).
const MAX_BUCKETS: usize = 100_000;

struct Nonces {
    seen: HashMap<(KeyId, String), i64>,
    order: VecDeque<(i64, KeyId, String)>,
    /// How many of `seen` each key holds.
    per_key: HashMap<KeyId, usize>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A request whose signature verified and whose nonce this process had
/// not seen: on a shared database the nonce must still be recorded there
/// ([`crate::api`] does, before acting on the request).
#[derive(Debug)]
pub struct Checked {
    /// The signer's key id.
    pub key: KeyId,
    /// The signature's nonce.
    pub nonce: String,
    /// Until when (Unix seconds) the nonce must be remembered.
    pub expires: i64,
}

/// Verifies request signatures and applies replay and rate limits.
pub struct Auth {
    policy: Policy,
    rate: f64,
    burst: f64,
    nonces: Mutex<Nonces>,
    buckets: Mutex<HashMap<KeyId, Bucket>>,
}

impl Auth {
    /// From the relay's configuration.
    pub fn new(cfg: &Config) -> Auth {
        Auth {
            policy: Policy {
                required: REQUIRED.iter().map(|s| (*s).to_owned()).collect(),
                max_age: cfg.signature_max_age_secs,
                max_skew: cfg.signature_max_skew_secs,
            },
            rate: cfg.rate_per_second,
            burst: cfg.rate_burst,
            nonces: Mutex::new(Nonces {
                seen: HashMap::new(),
                order: VecDeque::new(),
                per_key: HashMap::new(),
            }),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Checks the request's digest and signature at `now` (Unix seconds)
    /// with the key `lookup` finds, then its nonce and the key's rate.
    /// Returns the signer's key id.
    pub fn check(
        &self,
        parts: &Parts,
        body: &[u8],
        now: i64,
        lookup: impl FnOnce(&KeyId) -> Option<VerifyingKey>,
    ) -> Result<Checked, Problem> {
        let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());
        hotline_httpsig::check_content_digest(header("content-digest"), body)
            .map_err(|e| Problem::unauthenticated(e.to_string()))?;
        let headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let msg = Message {
            method: parts.method.as_str(),
            scheme: parts.uri.scheme_str().unwrap_or("http"),
            authority: header("host").unwrap_or(""),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &headers,
        };
        let mut key_id = None;
        let verified = hotline_httpsig::verify(
            &msg,
            header("signature-input"),
            header("signature"),
            &self.policy,
            now,
            |kid| {
                let id = KeyId::from_hex(kid).ok()?;
                key_id = Some(id);
                lookup(&id)
            },
        )
        .map_err(|e| match e {
            hotline_httpsig::Error::UnknownKey(k) => Problem::forbidden(format!(
                "key {k} is not allowed here (not a current member of this channel, revoked, or not a key id)"
            )),
            other => Problem::unauthenticated(other.to_string()),
        })?;
        let key_id = key_id.ok_or_else(|| Problem::unauthenticated("no key id"))?;
        let nonce = verified.nonce.ok_or_else(|| {
            Problem::unauthenticated("the signature must carry a nonce parameter")
        })?;
        if nonce.is_empty() || nonce.len() > 64 {
            return Err(Problem::unauthenticated("a nonce is 1 to 64 characters"));
        }
        self.rate_limit(&key_id)?;
        let expires = self.fresh_nonce(key_id, nonce.clone(), verified.created, now)?;
        Ok(Checked {
            key: key_id,
            nonce,
            expires,
        })
    }

    fn rate_limit(&self, key: &KeyId) -> Result<(), Problem> {
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if b.len() >= MAX_BUCKETS && !b.contains_key(key) {
            b.retain(|_, v| now.duration_since(v.at).as_secs_f64() * self.rate < self.burst);
        }
        let e = b.entry(*key).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        e.tokens = (e.tokens + now.duration_since(e.at).as_secs_f64() * self.rate).min(self.burst);
        e.at = now;
        if e.tokens < 1.0 {
            return Err(Problem::rate_limited(format!(
                "this key may make {} requests per second (burst {}); slow down and retry",
                self.rate, self.burst
            )));
        }
        e.tokens -= 1.0;
        Ok(())
    }

    fn fresh_nonce(
        &self,
        key: KeyId,
        nonce: String,
        created: i64,
        now: i64,
    ) -> Result<i64, Problem> {
        let mut n = self.nonces.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((exp, _, _)) = n.order.front() {
            if *exp >= now {
                break;
            }
            if let Some((_, k, s)) = n.order.pop_front()
                && n.seen.remove(&(k, s)).is_some()
                && let Some(c) = n.per_key.get_mut(&k)
            {
                *c -= 1;
                if *c == 0 {
                    n.per_key.remove(&k);
                }
            }
        }
        if n.seen.contains_key(&(key, nonce.clone())) {
            return Err(Problem::unauthenticated(
                "this request was already received (replayed nonce); sign each request afresh",
            ));
        }
        if n.per_key.get(&key).copied().unwrap_or(0) >= MAX_NONCES_PER_KEY {
            return Err(Problem::rate_limited(
                "this key has too many recent requests on record; slow down and retry",
            ));
        }
        if n.seen.len() >= MAX_NONCES {
            return Err(Problem::unavailable(
                "too many requests in flight; retry shortly",
            ));
        }
        let exp = created + self.policy.max_age + self.policy.max_skew;
        n.seen.insert((key, nonce.clone()), exp);
        *n.per_key.entry(key).or_insert(0) += 1;
        // Expiries are not strictly ordered (clock skew between clients);
        // the front-pruning above is conservative: an entry stays at most
        // until the entries before it expire, and the bound holds.
        n.order.push_back((exp, key, nonce));
        Ok(exp)
    }
}

/// Open event streams a key may hold at once.
pub const MAX_STREAMS_PER_KEY: usize = 8;
/// Open event streams in all.
pub const MAX_STREAMS: usize = 4096;

/// Counts open event streams (server-sent events), per key and in all, so
/// that clients cannot hold an unbounded number of them open.
#[derive(Default)]
pub struct Streams {
    per_key: Mutex<HashMap<KeyId, usize>>,
}

/// One open stream; released when dropped (the stream ended or its
/// connection closed).
pub struct StreamSlot {
    streams: std::sync::Arc<Streams>,
    key: KeyId,
}

impl Streams {
    /// Takes a slot for `key`, or says why not.
    pub fn open(self: &std::sync::Arc<Self>, key: KeyId) -> Result<StreamSlot, Problem> {
        let mut m = self.per_key.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = m.values().sum();
        if total >= MAX_STREAMS {
            return Err(Problem::unavailable(format!(
                "the relay holds {MAX_STREAMS} event streams; retry later"
            )));
        }
        let n = m.entry(key).or_insert(0);
        if *n >= MAX_STREAMS_PER_KEY {
            return Err(Problem::rate_limited(format!(
                "this key holds {MAX_STREAMS_PER_KEY} event streams already; close one first"
            )));
        }
        *n += 1;
        Ok(StreamSlot {
            streams: self.clone(),
            key,
        })
    }

    /// Open streams in all.
    pub fn open_count(&self) -> usize {
        self.per_key
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut m = self
            .streams
            .per_key
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod nonce_tests {
    use super::*;

    /// One key that fills its share of the nonce cache is refused (429);
    /// another key is not, and once the first key's nonces expire it may go
    /// on.
    #[test]
    fn one_key_cannot_fill_the_nonce_cache_for_the_others() {
        let auth = Auth::new(&Config::default());
        let (a, b) = (KeyId([1; 32]), KeyId([2; 32]));
        for i in 0..MAX_NONCES_PER_KEY {
            auth.fresh_nonce(a, format!("{i:x}"), 1_000, 1_000).unwrap();
        }
        let e = auth
            .fresh_nonce(a, "one more".into(), 1_000, 1_000)
            .unwrap_err();
        assert_eq!(e.status, 429, "{e:?}");
        auth.fresh_nonce(b, "0".into(), 1_000, 1_000).unwrap();
        // A replay is still a replay, not a quota matter.
        let e = auth.fresh_nonce(b, "0".into(), 1_000, 1_000).unwrap_err();
        assert_eq!(e.status, 401, "{e:?}");
        // Past the window, a's nonces expire and it is served again.
        let later = 1_000 + Config::default().signature_max_age_secs + 100;
        auth.fresh_nonce(a, "after".into(), later, later).unwrap();
    }
}
