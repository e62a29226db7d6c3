//! RFC 9457 problem details: every error the relay answers with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The prefix of every problem type URI (documented in `docs/relay.md`).
pub const TYPE_PREFIX: &str = "urn:hotline:problem:";

/// One problem: a status, a stable type, a title and a specific detail.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// The type URI (`urn:hotline:problem:<slug>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, fixed summary of the type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What was wrong with this request, and what to do.
    pub detail: String,
    /// For a request with several envelopes: each one's outcome (an
    /// extension member, RFC 9457 §3.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<serde_json::Value>,
    /// A 413 whose body was read (drained): the connection stays usable.
    #[serde(skip)]
    pub keep_alive: bool,
}

impl Problem {
    /// A problem of type `slug`.
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("{TYPE_PREFIX}{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            results: None,
            keep_alive: false,
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Malformed request",
            detail,
        )
    }

    /// 401: missing or invalid request signature.
    pub fn unauthenticated(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Request signature missing or invalid",
            detail,
        )
    }

    /// 403: a valid signature by a key that may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed for this key",
            detail,
        )
    }

    /// 404: no such channel, entry or blob.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 409: the request conflicts with the log's state.
    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::CONFLICT,
            "conflict",
            "Conflicts with the log",
            detail,
        )
    }

    /// 413: the body is too large.
    pub fn too_large(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Request too large",
            detail,
        )
    }

    /// 413: storing this would take a channel or a party past its quota.
    pub fn quota(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "quota-exceeded",
            "Storage quota exceeded",
            detail,
        )
    }

    /// 422: well-formed, but an envelope, roster or charter failed a check.
    pub fn rejected(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rejected",
            "The content failed verification",
            detail,
        )
    }

    /// 429: the key's rate limit is exceeded.
    pub fn rate_limited(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            detail,
        )
    }

    /// 500: the relay failed; nothing was acknowledged.
    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The relay failed; nothing was acknowledged",
            detail,
        )
    }

    /// 503: shutting down or overloaded; retry.
    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Temporarily unavailable; retry later",
            detail,
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut r = (status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        // A body refused for its size and left unread: the connection cannot
        // carry another request, and the client must not reuse it (RFC 9112
        // §9.6) — else its next request on it fails with a reset.
        if self.status == 413 && !self.keep_alive {
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        // Back-pressure and rate limits say when to come back (RFC 9110 §10.2.3).
        if matches!(self.status, 429 | 503) {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}

impl From<hotline_store::StoreError> for Problem {
    fn from(e: hotline_store::StoreError) -> Problem {
        use hotline_store::StoreError as E;
        match e {
            E::NoSuchLog(_) => Problem::not_found("no such channel"),
            E::Conflict { .. } => Problem::unavailable("the log moved on during the append; retry"),
            E::Invalid(m) => Problem::bad_request(m),
            E::Busy(m) => Problem::unavailable(format!("{m}; retry")),
            other => {
                tracing::error!(error = %other, "storage failure");
                Problem::internal("storage failure; see the relay's log")
            }
        }
    }
}

impl From<hotline_log::log::LogError> for Problem {
    fn from(e: hotline_log::log::LogError) -> Problem {
        tracing::error!(error = %e, "log failure");
        Problem::internal("log failure; see the relay's log")
    }
}
