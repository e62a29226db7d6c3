//! The witness's HTTP interface: `POST /add-checkpoint` exactly as C2SP
//! tlog-witness gives it, and `GET /healthz`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::{MAX_BODY, Witness, WitnessError};

impl IntoResponse for WitnessError {
    fn into_response(self) -> Response {
        let text = |code: StatusCode, msg: String| {
            (
                code,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                msg + "\n",
            )
                .into_response()
        };
        match self {
            WitnessError::Conflict(size) => (
                StatusCode::CONFLICT,
                [(header::CONTENT_TYPE, "text/x.tlog.size")],
                format!("{size}\n"),
            )
                .into_response(),
            WitnessError::BadRequest(m) => text(StatusCode::BAD_REQUEST, m),
            WitnessError::Forbidden(m) => text(StatusCode::FORBIDDEN, m),
            e @ WitnessError::UnknownOrigin(_) => text(StatusCode::NOT_FOUND, e.to_string()),
            WitnessError::Inconsistent(m) => text(StatusCode::UNPROCESSABLE_ENTITY, m),
            WitnessError::Config(m) | WitnessError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                text(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: Bytes) -> Response {
    let r = tokio::task::spawn_blocking(move || w.add_checkpoint_now(&body)).await;
    match r {
        Ok(Ok(lines)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            lines,
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::info!(error = %e, "add-checkpoint refused");
            e.into_response()
        }
        Err(e) => WitnessError::Internal(e.to_string()).into_response(),
    }
}

/// The router: `POST /add-checkpoint`, `GET /healthz`.
pub fn router(w: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(w)
}
