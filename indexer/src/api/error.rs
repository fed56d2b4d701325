//! Error answers: one JSON shape for every 4xx and 5xx, never carrying
//! database text.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// An error's machine-readable code and human-readable message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `unavailable`,
    /// `not_ready` or `internal`.
    pub code: String,
    /// What to do about it.
    pub message: String,
}

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is malformed (the message says which part).
    BadRequest(String),
    /// 401: the request needs a session (a wallet sign-in) it does not carry, or carries an
    /// unknown or expired one.
    Unauthorized(String),
    /// 403: the signed-in account may not do this (the message says why).
    Forbidden(String),
    /// 404: nothing has this id (or path).
    NotFound(String),
    /// 409: the request is well formed but the state it acts on refuses it (the message says
    /// what would work instead).
    Conflict(String),
    /// 503: the database cannot be reached now.
    Unavailable,
    /// 503: the mirror cannot answer yet (the message says why).
    NotReady(String),
    /// 500: a bug or a corrupt row; logged, not shown.
    Internal,
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database request failed");
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable
            }
            _ => Self::Internal,
        }
    }
}

impl From<crate::Error> for ApiError {
    fn from(error: crate::Error) -> Self {
        match error {
            crate::Error::Db(error) => error.into(),
            other => {
                tracing::error!(error = %other, "reading the mirror failed");
                Self::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad_request", message),
            Self::Unauthorized(message) => (StatusCode::UNAUTHORIZED, "unauthorized", message),
            Self::Forbidden(message) => (StatusCode::FORBIDDEN, "forbidden", message),
            Self::NotFound(message) => (StatusCode::NOT_FOUND, "not_found", message),
            Self::Conflict(message) => (StatusCode::CONFLICT, "conflict", message),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database cannot be reached; try again later".to_owned(),
            ),
            Self::NotReady(message) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready", message),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error; it was logged".to_owned(),
            ),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        };
        (status, Json(body)).into_response()
    }
}

pub(crate) type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; see /openapi.json".into())
}
