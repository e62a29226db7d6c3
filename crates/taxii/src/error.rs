//! TAXII 2.1 error messages (§3.6.1): every error the server answers with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::TAXII_MEDIA_TYPE;

/// An error answered as a TAXII error message. Internal causes are logged,
/// never sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {title}: {description}")]
pub struct TaxiiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short, fixed summary.
    pub title: &'static str,
    /// What was wrong with this request, and what to do.
    pub description: String,
}

#[derive(Serialize)]
struct Body<'a> {
    title: &'a str,
    description: &'a str,
    http_status: String,
}

impl TaxiiError {
    fn new(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        TaxiiError {
            status,
            title,
            description: description.into(),
        }
    }

    /// 400: a parameter is malformed.
    pub fn bad_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", d)
    }

    /// 401: no or wrong credentials.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Authentication required",
            "this server needs HTTP Basic authentication with the user name and password given to `hotline taxii serve`",
        )
    }

    /// 403: the collection does not allow this (`can_read` or `can_write`
    /// false, §5.3, §5.5).
    pub fn forbidden(d: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", d)
    }

    /// 413: the request body is larger than the API root's
    /// `max_content_length` (§5.5), or than the draft can take.
    pub fn too_large(d: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Request too large", d)
    }

    /// 415: a POST whose Content-Type is not the TAXII 2.1 media type (§5.5).
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            format!("post a TAXII envelope with Content-Type: {TAXII_MEDIA_TYPE}"),
        )
    }

    /// 422: JSON that is not a TAXII envelope (§5.5).
    pub fn unprocessable(d: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable request", d)
    }

    /// 404: no such resource.
    pub fn not_found(d: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", d)
    }

    /// 405: a method other than GET.
    pub fn method_not_allowed(d: impl Into<String>) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed", d)
    }

    /// 406: the Accept header admits no media type the server sends.
    pub fn not_acceptable() -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            format!("this server sends {TAXII_MEDIA_TYPE} only; accept it"),
        )
    }

    /// 500: the archive failed; the cause is logged here, not sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "taxii request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the archive failed; the server's log says why",
        )
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&Body {
            title: self.title,
            description: &self.description,
            http_status: self.status.as_u16().to_string(),
        })
        .unwrap_or_default();
        let mut r = (self.status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(TAXII_MEDIA_TYPE),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"hotline-taxii\", charset=\"UTF-8\""),
            );
        }
        r
    }
}
