//! Global bounds that hold under attack (`docs/relay.md` § Limits): at most
//! `max_concurrent_requests` requests are served at once, and the request
//! bodies they hold in memory (read, verified, queued for a sequencer) add
//! up to at most `max_inflight_body_bytes`. A request beyond either is
//! answered at once with 503 and `Retry-After` (back-pressure), before its
//! body is read: memory stays bounded however many clients flood the relay,
//! and an honest client retries.
//!
//! `/healthz` and `/metrics` are outside the bounds, so that an operator
//! can see a relay under load.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::problem::Problem;
use crate::relay::Relay;

/// Body bytes are counted in units of this many (a semaphore's permits are
/// `u32`; 1 KiB units reach 4 TiB).
const UNIT: usize = 1024;

/// The relay's global bounds and what they refused.
pub struct Limits {
    requests: Arc<Semaphore>,
    body_units: Arc<Semaphore>,
    max_requests: usize,
    max_units: usize,
    /// Largest body a request may declare (the larger route limit).
    max_body: usize,
    /// Requests refused because a bound was reached.
    pub shed: AtomicU64,
}

impl Limits {
    /// Bounds of `max_requests` concurrent requests and `max_body_bytes`
    /// of bodies in flight; `largest_body` is the largest body one request
    /// may carry (reserved for a body of unknown length).
    pub fn new(max_requests: usize, max_body_bytes: usize, largest_body: usize) -> Limits {
        let max_units = max_body_bytes.div_ceil(UNIT).clamp(1, u32::MAX as usize);
        Limits {
            requests: Arc::new(Semaphore::new(max_requests.max(1))),
            body_units: Arc::new(Semaphore::new(max_units)),
            max_requests: max_requests.max(1),
            max_units,
            max_body: largest_body,
            shed: AtomicU64::new(0),
        }
    }

    /// Requests being served now.
    pub fn requests_in_flight(&self) -> usize {
        self.max_requests - self.requests.available_permits()
    }

    /// Body bytes reserved by the requests being served now.
    pub fn body_bytes_in_flight(&self) -> usize {
        (self.max_units - self.body_units.available_permits()) * UNIT
    }

    /// The bounds' lines of `/metrics`.
    pub fn render(&self) -> String {
        format!(
            "# HELP hotline_relay_shed_total Requests refused with 503 at a global bound.\n\
             # TYPE hotline_relay_shed_total counter\n\
             hotline_relay_shed_total {}\n\
             # HELP hotline_relay_requests_in_flight Requests being served (of max_concurrent_requests).\n\
             # TYPE hotline_relay_requests_in_flight gauge\n\
             hotline_relay_requests_in_flight {}\n\
             # HELP hotline_relay_inflight_body_bytes Request body bytes reserved in flight (of max_inflight_body_bytes).\n\
             # TYPE hotline_relay_inflight_body_bytes gauge\n\
             hotline_relay_inflight_body_bytes {}\n",
            self.shed.load(Ordering::Relaxed),
            self.requests_in_flight(),
            self.body_bytes_in_flight()
        )
    }

    fn busy(&self, detail: String) -> Response {
        self.shed.fetch_add(1, Ordering::Relaxed);
        let mut r = Problem::unavailable(detail).into_response();
        // The body is left unread: the client must not reuse the connection.
        r.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        r
    }
}

/// The body length a request's `Content-Length` announces, if it has one
/// that parses.
pub fn declared_length(h: &axum::http::HeaderMap) -> Option<u64> {
    h.get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// The middleware applying [`Limits`] to every request but health and
/// metrics.
pub async fn bound(State(relay): State<Arc<Relay>>, req: Request, next: Next) -> Response {
    if matches!(req.uri().path(), "/healthz" | "/metrics") {
        return next.run(req).await;
    }
    let limits = &relay.limits;
    let Ok(_request) = limits.requests.clone().try_acquire_owned() else {
        return limits.busy(format!(
            "the relay is serving its limit of {} concurrent requests; retry after the \
             Retry-After delay",
            limits.max_requests
        ));
    };
    // A body announced beyond what any request may carry is refused at
    // once, unread (each handler then holds its own route to its limit).
    let declared = declared_length(req.headers());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return Problem::too_large(format!(
            "the request body announces more than the {} bytes any request may carry",
            limits.max_body
        ))
        .into_response();
    }
    // What the body will hold: its declared length, or the largest a
    // request may send when it declares none (chunked) and may have one.
    let bytes = match declared {
        Some(n) => (n as usize).min(limits.max_body),
        None if req.headers().contains_key(header::TRANSFER_ENCODING) => limits.max_body,
        None => 0,
    };
    let units = bytes.div_ceil(UNIT).min(limits.max_units) as u32;
    let _body = match limits.body_units.clone().try_acquire_many_owned(units) {
        Ok(p) => p,
        Err(_) => {
            return limits.busy(format!(
                "the relay holds its limit of {} bytes of request bodies in flight; retry after \
                 the Retry-After delay",
                limits.max_units * UNIT
            ));
        }
    };
    next.run(req).await
}
